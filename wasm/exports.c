/* Thin wasm-only wrappers over the public API; see wasm_exports.h for why each exists. */
#include "wasm_exports.h"

#include <malloc.h>

int hush_wasm_rng_stream(hush_rng *out, uint32_t seed_lo, uint32_t seed_hi, const char *name) {
    if (!out || !name) return HUSH_EARG;
    hush_rng master;
    int rc = hush_rng_init_u64(&master, ((uint64_t)seed_hi << 32) | seed_lo);
    if (rc == HUSH_OK) rc = hush_rng_derive(out, &master, name);
    hush_rng_clear(&master);
    return rc;
}

int hush_wasm_rng_seed(hush_rng *out, uint32_t seed_lo, uint32_t seed_hi) {
    if (!out) return HUSH_EARG;
    return hush_rng_init_u64(out, ((uint64_t)seed_hi << 32) | seed_lo);
}

int hush_wasm_train_create(hush_train **out, const hush_rng *master, const hush_train_config *cfg, const char *spec,
                           const hush_dataset *data, const hush_dataset *test, size_t *err_pos) {
    if (!out || !spec) return HUSH_EARG;
    *out = NULL;
    hush_layer_spec layers[HUSH_MODEL_MAX_LAYERS];
    size_t n = 0;
    int rc = hush_model_spec_parse(layers, HUSH_MODEL_MAX_LAYERS, &n, spec, err_pos);
    if (rc != HUSH_OK) return rc;
    return hush_train_create(out, master, cfg, layers, n, data, test, NULL);
}

double hush_wasm_train_steps(const hush_train *t) { return (double)hush_dpsgd_steps(hush_train_dpsgd((hush_train *)t)); }

int hush_wasm_model_create(hush_model **out, const char *spec, uint32_t c, uint32_t h, uint32_t w,
                           uint32_t max_batch, size_t *err_pos) {
    if (!out || !spec) return HUSH_EARG;
    *out = NULL;
    hush_layer_spec layers[HUSH_MODEL_MAX_LAYERS];
    size_t n = 0;
    int rc = hush_model_spec_parse(layers, HUSH_MODEL_MAX_LAYERS, &n, spec, err_pos);
    if (rc != HUSH_OK) return rc;
    hush_shape shape = {c, h, w};
    return hush_model_create(out, layers, n, shape, max_batch, NULL);
}

int hush_wasm_model_spec(const hush_model *m, char *out, size_t cap, size_t *written) {
    if (!m) return HUSH_EARG;
    return hush_model_spec_format(out, cap, written, hush_model_layers(m), hush_model_layer_count(m));
}

void hush_wasm_model_input_shape(const hush_model *m, uint32_t shape[3]) {
    hush_shape s = {0, 0, 0};
    if (m) s = hush_model_input_shape(m);
    shape[0] = s.c, shape[1] = s.h, shape[2] = s.w;
}

void hush_wasm_dataset_shape(const hush_dataset *d, uint32_t shape[3]) {
    hush_shape s = {0, 0, 0};
    if (d) s = hush_dataset_shape(d);
    shape[0] = s.c, shape[1] = s.h, shape[2] = s.w;
}

int hush_wasm_optim_create(hush_optim **out, uint32_t kind, float lr, float weight_decay, size_t n_params) {
    if (!out) return HUSH_EARG;
    *out = NULL;
    hush_optim_config cfg;
    int rc = hush_optim_config_init(&cfg, kind, lr);
    if (rc != HUSH_OK) return rc;
    cfg.weight_decay = weight_decay;
    return hush_optim_create(out, &cfg, n_params, NULL);
}

size_t hush_wasm_heap_in_use(void) {
    struct mallinfo mi = mallinfo();
    return (size_t)mi.uordblks;
}
