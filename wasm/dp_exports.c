/* Wasm-only wrappers for DP-SGD, the accountant and PATE (declared in wasm_exports.h): they take
 * scalars instead of option structs and u32/double instead of 64-bit integers, so JS needs
 * neither struct layouts nor BigInt. */
#include <string.h>

#include "wasm_exports.h"

int hush_wasm_dpsgd_create(hush_dpsgd **out, const hush_rng *rng, hush_model *m, double l2_norm_clip,
                           double noise_multiplier, uint32_t sampling, double sampling_rate, uint32_t batch_size,
                           uint32_t microbatches, double delta, uint32_t noise) {
    if (out) *out = NULL;
    hush_dpsgd_config c;
    int rc = hush_dpsgd_config_init(&c, sampling, sampling_rate, l2_norm_clip, noise_multiplier);
    if (rc != HUSH_OK) return rc;
    c.batch_size = batch_size;
    c.num_microbatches = microbatches;
    c.delta = delta;
    c.noise = noise;
    return hush_dpsgd_create(out, rng, m, &c, NULL);
}

double hush_wasm_dpsgd_steps(const hush_dpsgd *dp) { return (double)hush_dpsgd_steps(dp); }

int hush_wasm_dpsgd_noise_for_epsilon(double *noise_multiplier, double target_epsilon, double delta, double q,
                                      double steps) {
    if (!(steps >= 1.0 && steps <= 9007199254740992.0)) return HUSH_EARG;
    return hush_dpsgd_noise_for_epsilon(noise_multiplier, target_epsilon, delta, q, (uint64_t)steps);
}

int hush_wasm_accountant_create(hush_accountant **out, uint32_t kind, uint32_t conversion, uint32_t pld_max_bins) {
    hush_accountant_config c;
    int rc = hush_accountant_config_init(&c, (enum hush_accountant_kind)kind);
    if (rc != HUSH_OK) return rc;
    c.conversion = (enum hush_dp_conversion)conversion;
    c.pld_max_bins = pld_max_bins;
    return hush_accountant_create(out, &c, NULL);
}

int hush_wasm_accountant_compose(hush_accountant *acc, uint32_t kind, double noise_multiplier, double sampling_rate,
                                 double count) {
    if (!(count >= 1.0 && count <= 9007199254740992.0) || count != (double)(uint64_t)count) return HUSH_EARG;
    hush_dp_event ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = (enum hush_dp_event_kind)kind;
    ev.noise_multiplier = noise_multiplier;
    ev.sampling_rate = sampling_rate;
    return hush_accountant_compose(acc, &ev, (uint64_t)count);
}

int hush_wasm_pate_config(hush_pate_config *cfg, uint32_t mechanism, double noise_eps, double sigma, double threshold,
                          double sigma1, uint32_t n_classes, double delta, uint32_t conversion, uint32_t moments,
                          double order, double beta, double sigma_ss) {
    int rc = hush_pate_config_init(cfg, (enum hush_pate_mechanism)mechanism);
    if (rc != HUSH_OK) return rc;
    cfg->noise_eps = noise_eps;
    cfg->sigma = sigma;
    cfg->threshold = threshold;
    cfg->sigma1 = sigma1;
    cfg->n_classes = n_classes;
    cfg->delta = delta;
    cfg->conversion = (enum hush_dp_conversion)conversion;
    cfg->moments = moments;
    cfg->order = order;
    cfg->beta = beta;
    cfg->sigma_ss = sigma_ss;
    return HUSH_OK;
}

int hush_wasm_odometer_create(hush_odometer **out, double budget_epsilon, double budget_delta, uint32_t accountant,
                              uint32_t pld_max_bins) {
    hush_odometer_config c;
    int rc = hush_odometer_config_init(&c, budget_epsilon, budget_delta);
    if (rc != HUSH_OK) return rc;
    c.accountant = (enum hush_accountant_kind)accountant;
    c.pld_max_bins = pld_max_bins;
    return hush_odometer_create(out, &c, NULL);
}

int hush_wasm_odometer_event(hush_odometer_event *ev, uint32_t kind, double count, double noise_multiplier,
                             double sampling_rate, double sigma, double sensitivity, uint32_t parties,
                             uint32_t dimension, double epsilon, double delta, const uint8_t *id, uint32_t id_len,
                             const double *orders, const double *rdp, uint32_t n_orders) {
    if (!(count >= 1.0 && count <= 9007199254740992.0) || count != (double)(uint64_t)count) return HUSH_EARG;
    if (id_len > HUSH_ODOMETER_ID_MAX || n_orders > HUSH_ODOMETER_CURVE_MAX || (id_len && !id) ||
        (n_orders && (!orders || !rdp)))
        return HUSH_EARG;
    int rc = hush_odometer_event_init(ev, (enum hush_dp_event_kind)kind, (uint64_t)count);
    if (rc != HUSH_OK) return rc;
    ev->noise_multiplier = noise_multiplier;
    ev->sampling_rate = sampling_rate;
    ev->sigma = sigma;
    ev->sensitivity = sensitivity;
    ev->parties = parties;
    ev->dimension = dimension;
    ev->epsilon = epsilon;
    ev->delta = delta;
    ev->id_len = id_len;
    if (id_len) memcpy(ev->id, id, id_len);
    ev->n_orders = n_orders;
    for (uint32_t i = 0; i < n_orders; i++) {
        ev->orders[i] = orders[i];
        ev->rdp[i] = rdp[i];
    }
    return HUSH_OK;
}

/* counts as doubles, for JS without BigInt */
double hush_wasm_odometer_event_count(const hush_odometer_event *ev) { return ev ? (double)ev->count : 0.0; }
