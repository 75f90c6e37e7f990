/* Wasm-only wrappers for DP-SGD, the accountant and PATE (declared in wasm_exports.h): they take
 * scalars instead of option structs and u32/double instead of 64-bit integers, so JS needs
 * neither struct layouts nor BigInt. */
#include <string.h>

#include "wasm_exports.h"

int hush_wasm_dpsgd_create(hush_dpsgd **out, hush_model *m, double l2_norm_clip, double noise_multiplier,
                           uint32_t sampling, double sampling_rate, uint32_t batch_size, uint32_t microbatches,
                           double delta, uint32_t noise, const hush_rng *rng) {
    if (out) *out = NULL;
    hush_dpsgd_config c;
    int rc = hush_dpsgd_config_init(&c, sampling, sampling_rate, l2_norm_clip, noise_multiplier);
    if (rc != HUSH_OK) return rc;
    c.batch_size = batch_size;
    c.num_microbatches = microbatches;
    c.delta = delta;
    c.noise = noise;
    return hush_dpsgd_create(out, m, &c, rng, NULL);
}

double hush_wasm_dpsgd_steps(const hush_dpsgd *dp) { return (double)hush_dpsgd_steps(dp); }

int hush_wasm_dpsgd_noise_for_epsilon(double *noise_multiplier, double target_epsilon, double delta, double q,
                                      double steps) {
    if (!(steps >= 1.0 && steps <= 9007199254740992.0)) return HUSH_EARG;
    return hush_dpsgd_noise_for_epsilon(noise_multiplier, target_epsilon, delta, q, (uint64_t)steps);
}

int hush_wasm_accountant_create(hush_accountant **out, uint32_t kind, uint32_t conversion, uint32_t pld_max_bins,
                                double pld_discretization) {
    hush_accountant_options o;
    memset(&o, 0, sizeof o);
    o.conversion = (int)conversion;
    o.pld_max_bins = pld_max_bins;
    o.pld_discretization = pld_discretization;
    return hush_accountant_create(out, (int)kind, &o, NULL);
}

int hush_wasm_accountant_compose(hush_accountant *acc, uint32_t kind, double noise_multiplier, double sampling_rate,
                                 double count) {
    if (!(count >= 1.0 && count <= 9007199254740992.0) || count != (double)(uint64_t)count) return HUSH_EARG;
    hush_dp_event ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = (int)kind;
    ev.noise_multiplier = noise_multiplier;
    ev.sampling_rate = sampling_rate;
    return hush_accountant_compose(acc, &ev, (uint64_t)count);
}

int hush_wasm_pate_aggregate(hush_rng *rng, int32_t *labels, size_t *answered, const uint32_t *votes,
                             size_t n_teachers, size_t n_examples, uint32_t n_classes, uint32_t mechanism,
                             double noise_eps, double sigma, double threshold, double sigma1) {
    hush_pate_config c = {(int)mechanism, noise_eps, sigma, threshold, sigma1};
    return hush_pate_aggregate(rng, labels, answered, votes, n_teachers, n_examples, n_classes, &c, NULL);
}
