/* hush_model save/load on top of the model file codec (io/modelfile.h). The codec checks the
 * bytes; this file checks that the architecture fits the input shape and that the parameter
 * count matches it, which only nn knows. */
#include <string.h>

#include "base/alloc.h"
#include "io/buf.h"
#include "io/modelfile.h"
#include "nn/model.h"

size_t hush_model_save_size(const hush_model *m) {
    return m ? hush__modelfile_size(m->n_layers, m->n_params, m->has_norm ? 2 * m->in_size : 0) : 0;
}

int hush_model_save(const hush_model *m, uint8_t *out, size_t cap, size_t *written) {
    if (written) *written = 0;
    if (!m || !out || !written) return HUSH_EARG;
    return hush__modelfile_encode(out, cap, written, m->input, m->specs, m->n_layers, m->params, m->n_params,
                                  m->has_norm ? m->norm : NULL, m->has_norm ? m->norm_scaling : 0);
}

int hush_model_load(hush_model **out, const uint8_t *buf, size_t len, uint32_t max_batch,
                    const hush_allocator *alloc) {
    if (!hush__alloc_ok(alloc)) return HUSH_EARG;
    if (!out) return HUSH_EARG;
    *out = NULL;
    if (!buf) return HUSH_EARG;
    hush_shape input;
    hush_layer_spec layers[HUSH_MODEL_MAX_LAYERS];
    size_t n_layers = 0, n_params = 0;
    const uint8_t *params_le = NULL, *norm_le = NULL;
    int rc = hush__modelfile_decode(buf, len, &input, layers, HUSH_MODEL_MAX_LAYERS, &n_layers, &params_le, &n_params,
                                    &norm_le);
    if (rc != HUSH_OK) return rc;
    if (max_batch == 0 || max_batch > HUSH_MODEL_MAX_BATCH) return HUSH_ERANGE;
    /* A well-formed file whose layers do not fit its input, or whose parameter count disagrees
     * with its layers, is malformed: plan it (no allocation) before creating anything. */
    hush_model *plan = hush__alloc(alloc, sizeof *plan);
    if (!plan) return HUSH_ENOMEM;
    rc = hush__nn_plan(plan, layers, n_layers, input, 1);
    size_t want = plan->n_params;
    hush__free_wipe(alloc, plan, sizeof *plan);
    if (rc != HUSH_OK || want != n_params) return HUSH_EFORMAT;
    hush_model *m;
    rc = hush_model_create(&m, layers, n_layers, input, max_batch, alloc);
    if (rc != HUSH_OK) return rc;
    for (size_t i = 0; i < n_params; i++) m->params[i] = hush__load_f32_le(params_le + 4 * i);
    if (norm_le) {
        for (size_t i = 0; i < 2 * m->in_size; i++) m->norm[i] = hush__load_f32_le(norm_le + 4 * i);
        m->has_norm = 1;
        m->norm_scaling = hush__modelfile_scaling(buf);
    }
    *out = m;
    return HUSH_OK;
}
