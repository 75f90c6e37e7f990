/* Wasm-only entry points (hush_wasm_*) that JS calls beside the public API.
 *
 * Start here: web/ calls these as M._hush_wasm_... (wasm/exports.txt lists every function JS
 * reaches); hush_wasm_constants is the table of every number C owns, the others wrap a few public
 * calls each (exports.c, dp_exports.c).
 *
 * They exist only where the public API is awkward across the (ptr, len) boundary: structs passed
 * by value (hush_shape), 64-bit seeds (split into two u32 so the glue needs no BigInt), the
 * canonical seed derivation, and option structs whose layout JS should not know. Each is a few
 * lines over the public API and returns a status like everything else.
 */
#ifndef HUSH_WASM_EXPORTS_H
#define HUSH_WASM_EXPORTS_H

#include "hush/common.h"
#include "hush/data.h"
#include "hush/dp.h"
#include "hush/pate.h"
#include "hush/nn.h"
#include "hush/rng.h"
#include "hush/train.h"

/* JSON object of status codes, limits, enums and struct layouts (see constants.c). *written is
 * the length without the NUL; HUSH_ERANGE (with *written set) if cap is too small. */
HUSH_NODISCARD int hush_wasm_constants(char *buf, size_t cap, size_t *written);

/* Canonical seeding: master = hush_rng_init_u64(seed_hi:seed_lo); *out = derive(master, name). */
HUSH_NODISCARD int hush_wasm_rng_stream(hush_rng *out, uint32_t seed_lo, uint32_t seed_hi, const char *name);

/* Master seed from a u64 split into halves: hush_rng_init_u64(seed_hi:seed_lo). */
HUSH_NODISCARD int hush_wasm_rng_seed(hush_rng *out, uint32_t seed_lo, uint32_t seed_hi);

/* hush_model_spec_parse + hush_train_create (test may be NULL). *err_pos as for model_create. */
HUSH_NODISCARD int hush_wasm_train_create(hush_train **out, const hush_rng *master, const hush_train_config *cfg,
                                          const char *spec, const hush_dataset *data, const hush_dataset *test,
                                          size_t *err_pos);
/* The DP-SGD steps so far, as a double (exact to 2^53). */
double hush_wasm_train_steps(const hush_train *t);

/* hush_model_spec_parse + hush_model_create with input shape (c, h, w). *err_pos (may be NULL)
 * is the spec offset of a parse error. */
HUSH_NODISCARD int hush_wasm_model_create(hush_model **out, const char *spec, uint32_t c, uint32_t h, uint32_t w,
                                          uint32_t max_batch, size_t *err_pos);
/* Canonical spec string of a model's layers. */
HUSH_NODISCARD int hush_wasm_model_spec(const hush_model *m, char *out, size_t cap, size_t *written);
void hush_wasm_model_input_shape(const hush_model *m, uint32_t shape[3]);
void hush_wasm_dataset_shape(const hush_dataset *d, uint32_t shape[3]);

/* hush_optim_config_init(kind, lr) + hush_optim_create. */
HUSH_NODISCARD int hush_wasm_optim_create(hush_optim **out, uint32_t kind, float lr, float weight_decay, size_t n_params);

/* Bytes currently allocated by malloc (tests use it to prove nothing leaks). */
size_t hush_wasm_heap_in_use(void);

/* DP (wasm/dp_exports.c): the option structs as scalars, 64-bit counts as doubles (exact to 2^53). */
HUSH_NODISCARD int hush_wasm_dpsgd_create(hush_dpsgd **out, const hush_rng *rng, hush_model *m, double l2_norm_clip,
                                          double noise_multiplier, uint32_t sampling, double sampling_rate,
                                          uint32_t batch_size, uint32_t microbatches, double delta, uint32_t noise);
double hush_wasm_dpsgd_steps(const hush_dpsgd *dp);
HUSH_NODISCARD int hush_wasm_dpsgd_noise_for_epsilon(double *noise_multiplier, double target_epsilon, double delta,
                                                     double q, double steps);
HUSH_NODISCARD int hush_wasm_accountant_create(hush_accountant **out, uint32_t kind, uint32_t conversion,
                                               uint32_t pld_max_bins);
HUSH_NODISCARD int hush_wasm_accountant_compose(hush_accountant *acc, uint32_t kind, double noise_multiplier,
                                                double sampling_rate, double count);
/* hush_pate_config_init + every field, into a config JS allocated (sizeof_hush_pate_config). */
HUSH_NODISCARD int hush_wasm_pate_config(hush_pate_config *cfg, uint32_t mechanism, double noise_eps, double sigma,
                                         double threshold, double sigma1, uint32_t n_classes, double delta,
                                         uint32_t conversion, uint32_t moments, double order, double beta,
                                         double sigma_ss);
HUSH_NODISCARD int hush_wasm_odometer_create(hush_odometer **out, double budget_epsilon, double budget_delta,
                                             uint32_t accountant, uint32_t pld_max_bins);
/* hush_odometer_event_init + every field (sizeof_hush_odometer_event bytes at ev). */
HUSH_NODISCARD int hush_wasm_odometer_event(hush_odometer_event *ev, uint32_t kind, double count,
                                            double noise_multiplier, double sampling_rate, double sigma,
                                            double sensitivity, uint32_t parties, uint32_t dimension, double epsilon,
                                            double delta, const uint8_t *id, uint32_t id_len, const double *orders,
                                            const double *rdp, uint32_t n_orders);
double hush_wasm_odometer_event_count(const hush_odometer_event *ev);

#endif
