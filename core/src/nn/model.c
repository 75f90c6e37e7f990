/* hush_model lifetime: shape planning, the four allocations (parameters, gradients, input norm,
 * workspace), accessors and parameter initialisation. Layout of parameters and workspace:
 * nn/model.h. */
#include <string.h>

#include "base/alloc.h"
#include "base/norm.h"
#include "nn/model.h"
#include "nn/spec.h"

/* Larger workspaces are a mistake rather than a model; refusing keeps size arithmetic far from
 * overflow on 32-bit (wasm) size_t as well. */
#define WS_LIMIT ((uint64_t)1 << 40)
#define DIM_LIMIT 65536u /* per input dimension, as in the model file */

static int mul64(uint64_t a, uint64_t b, uint64_t *r) {
    if (a && b > (((uint64_t)1 << 62) / a)) return 0;
    *r = a * b;
    return 1;
}

/* Reserves count*elem bytes at *off (16-byte aligned) and returns base+offset, or NULL while
 * only measuring (base NULL). */
static void *region(unsigned char *base, uint64_t *off, uint64_t count, uint64_t elem, int *ok) {
    uint64_t bytes;
    if (!*ok || !mul64(count, elem, &bytes) || bytes > WS_LIMIT) {
        *ok = 0;
        return NULL;
    }
    uint64_t o = *off;
    *off = o + ((bytes + 15) & ~(uint64_t)15);
    if (*off > WS_LIMIT) *ok = 0;
    return (base && *ok) ? (void *)(base + o) : NULL;
}

/* Walks the workspace regions in one fixed order: measures (base NULL) or assigns views. */
static int layout(hush_model *m, unsigned char *base, uint64_t *total) {
    uint64_t off = 0, B = m->max_batch;
    uint64_t np_out = 0, dense_out = 0, dense_wt = 0, conv_out = 0, conv_col = 0, conv_gk = 0;
    int ok = 1;
    m->sq = region(base, &off, B, sizeof(double), &ok);
    m->labels = region(base, &off, B, sizeof(uint32_t), &ok);
    m->wts = region(base, &off, B, sizeof(float), &ok);
    float *prev_y = region(base, &off, B, (uint64_t)m->in_size * sizeof(float), &ok);
    for (size_t i = 0; i < m->n_layers; i++) {
        hush__nn_layer *l = &m->layer[i];
        l->x = prev_y;
        l->y = region(base, &off, B, (uint64_t)l->out_size * sizeof(float), &ok);
        prev_y = l->y;
        if (hush__nn_has_params(l)) {
            l->dy = region(base, &off, B, (uint64_t)l->out_size * sizeof(float), &ok);
            if (l->spec.kind == HUSH_LAYER_DENSE) {
                if (l->out_size > dense_out) dense_out = l->out_size;
                if (i > 0 && (uint64_t)l->in_size * l->out_size > dense_wt) dense_wt = (uint64_t)l->in_size * l->out_size;
            } else {
                uint64_t fp = (uint64_t)l->spec.a * l->npos, cp = (uint64_t)l->ckk * l->npos;
                uint64_t fk = (uint64_t)l->spec.a * l->ckk;
                if (fp > conv_out) conv_out = fp;
                if (cp > conv_col) conv_col = cp;
                if (fk > conv_gk) conv_gk = fk;
            }
        } else if (l->out_size > np_out) {
            np_out = l->out_size;
        }
    }
    float *scratch[2];
    scratch[0] = region(base, &off, B, np_out * sizeof(float), &ok);
    scratch[1] = region(base, &off, B, np_out * sizeof(float), &ok);
    uint64_t scaled = 0;
    if (!mul64(B, dense_out, &scaled)) ok = 0;
    if (conv_out > scaled) scaled = conv_out;
    m->scaled = region(base, &off, scaled, sizeof(float), &ok);
    m->wt = region(base, &off, dense_wt, sizeof(float), &ok);
    m->col = region(base, &off, conv_col, sizeof(float), &ok);
    m->dcol = region(base, &off, conv_col, sizeof(float), &ok);
    m->gk = region(base, &off, conv_gk, sizeof(float), &ok);
    for (size_t i = 0; i < m->n_layers; i++) {
        hush__nn_layer *l = &m->layer[i];
        if (!hush__nn_has_params(l)) l->dy = scratch[i % 2]; /* neighbours never share */
        l->dx = i ? m->layer[i - 1].dy : NULL;
    }
    *total = off;
    return ok ? HUSH_OK : HUSH_ERANGE;
}

int hush__nn_plan(hush_model *m, const hush_layer_spec *layers, size_t n_layers, hush_shape input,
                  uint32_t max_batch) {
    if (n_layers == 0 || n_layers > HUSH_MODEL_MAX_LAYERS) return HUSH_ERANGE;
    if (max_batch == 0 || max_batch > HUSH_MODEL_MAX_BATCH) return HUSH_ERANGE;
    if (input.c == 0 || input.h == 0 || input.w == 0) return HUSH_ESHAPE;
    if (input.c > DIM_LIMIT || input.h > DIM_LIMIT || input.w > DIM_LIMIT) return HUSH_ERANGE;
    for (size_t i = 0; i < n_layers; i++)
        if (hush__nn_layer_check(&layers[i]) != HUSH_OK) return HUSH_EFORMAT;
    m->input = input;
    m->n_layers = n_layers;
    m->max_batch = max_batch;
    memcpy(m->specs, layers, n_layers * sizeof *layers);
    hush_shape s = input;
    uint64_t n_params = 0;
    for (size_t i = 0; i < n_layers; i++) {
        hush__nn_layer *l = &m->layer[i];
        memset(l, 0, sizeof *l);
        l->spec = layers[i];
        l->in = s;
        uint64_t in_size = (uint64_t)s.c * s.h * s.w; /* <= 2^48 */
        uint64_t nw = 0, nb = 0;
        switch (l->spec.kind) {
        case HUSH_LAYER_DENSE:
            s.c = l->spec.a, s.h = 1, s.w = 1;
            if (!mul64(in_size, l->spec.a, &nw)) return HUSH_ERANGE;
            nb = l->spec.a;
            break;
        case HUSH_LAYER_CONV2D: {
            uint32_t k = l->spec.b;
            hush__nn_convgeo *g = &l->geo;
            g->c = s.c, g->h = s.h, g->w = s.w, g->k = k;
            if (l->spec.c == HUSH_PAD_SAME) {
                /* TF/Keras "same" for stride 1: the odd extra zero goes after (bottom/right). */
                g->pt = g->pl = (k - 1) / 2;
                g->oh = s.h, g->ow = s.w;
            } else {
                if (s.h < k || s.w < k) return HUSH_ESHAPE;
                g->oh = s.h - k + 1, g->ow = s.w - k + 1;
            }
            l->ckk = (size_t)s.c * k * k;
            l->npos = (size_t)g->oh * g->ow;
            s.c = l->spec.a, s.h = g->oh, s.w = g->ow;
            if (!mul64((uint64_t)l->spec.a * k * k, g->c, &nw)) return HUSH_ERANGE;
            nb = l->spec.a;
            break;
        }
        case HUSH_LAYER_MAXPOOL:
            s.h /= 2, s.w /= 2;
            if (s.h == 0 || s.w == 0) return HUSH_ESHAPE;
            break;
        default:
            break;
        }
        uint64_t out_size = (uint64_t)s.c * s.h * s.w;
        if (in_size > ((uint64_t)1 << 32) || out_size > ((uint64_t)1 << 32)) return HUSH_ERANGE;
        if (nw > HUSH_MODEL_MAX_PARAMS || n_params + nw + nb > HUSH_MODEL_MAX_PARAMS) return HUSH_ERANGE;
        l->in_size = (size_t)in_size;
        l->out = s;
        l->out_size = (size_t)out_size;
        l->w_off = (size_t)n_params, l->n_w = (size_t)nw;
        l->b_off = (size_t)(n_params + nw), l->n_b = (size_t)nb;
        n_params += nw + nb;
    }
    for (size_t i = 0; i < n_layers; i++) {
        hush__nn_layer *l = &m->layer[i];
        if (!hush__nn_has_params(l)) continue;
        for (size_t j = i + 1; j < n_layers && !hush__nn_has_params(&m->layer[j]); j++) {
            uint32_t k = m->layer[j].spec.kind;
            if (k == HUSH_LAYER_RELU || k == HUSH_LAYER_TANH || k == HUSH_LAYER_SIGMOID) {
                l->he_init = k == HUSH_LAYER_RELU;
                break;
            }
        }
    }
    m->n_params = (size_t)n_params;
    m->n_train = m->n_params;
    m->in_size = (size_t)input.c * input.h * input.w;
    m->out_size = m->layer[n_layers - 1].out_size;
    uint64_t total;
    int rc = layout(m, NULL, &total);
    if (rc != HUSH_OK) return rc;
    if (total > SIZE_MAX) return HUSH_ERANGE;
    m->ws_bytes = (size_t)total;
    return HUSH_OK;
}

int hush_model_create(hush_model **out, const hush_layer_spec *layers, size_t n_layers, hush_shape input,
                      uint32_t max_batch, const hush_allocator *alloc) {
    if (!hush__alloc_ok(alloc)) return HUSH_EARG;
    if (!out) return HUSH_EARG;
    *out = NULL;
    if (!layers) return HUSH_EARG;
    hush_model *m = hush__calloc(alloc, 1, sizeof *m);
    if (!m) return HUSH_ENOMEM;
    if (alloc) {
        m->alloc_copy = *alloc;
        m->alloc = &m->alloc_copy;
    }
    int rc = hush__nn_plan(m, layers, n_layers, input, max_batch);
    if (rc != HUSH_OK) {
        hush_model_free(m);
        return rc;
    }
    m->params = hush__calloc(m->alloc, m->n_params ? m->n_params : 1, sizeof(float));
    m->grads = m->params ? hush__calloc(m->alloc, m->n_params ? m->n_params : 1, sizeof(float)) : NULL;
    m->norm = m->grads ? hush__calloc(m->alloc, 2 * m->in_size, sizeof(float)) : NULL;
    m->ws = m->norm ? hush__calloc(m->alloc, m->ws_bytes, 1) : NULL;
    if (!m->ws) {
        hush_model_free(m);
        return HUSH_ENOMEM;
    }
    uint64_t total;
    (void)layout(m, m->ws, &total); /* same walk that measured ws_bytes: cannot fail now */
    *out = m;
    return HUSH_OK;
}

void hush_model_free(hush_model *m) {
    if (!m) return;
    hush_allocator a = m->alloc_copy;
    const hush_allocator *ap = m->alloc ? &a : NULL;
    size_t np = m->n_params ? m->n_params : 1;
    /* activations, labels, parameters, gradients and the input statistics all derive from data */
    hush__free_wipe(ap, m->ws, m->ws_bytes);
    hush__free_wipe(ap, m->norm, 2 * m->in_size * sizeof(float));
    hush__free_wipe(ap, m->grads, np * sizeof(float));
    hush__free_wipe(ap, m->params, np * sizeof(float));
    hush__free_wipe(ap, m, sizeof *m);
}

/* Weight draws: layers in order, weights in layout order, one hush_rng_uniform u each:
 *   w = (float)((2u - 1) * limit),  limit = sqrt(6 / fan_in)            (He-uniform)
 *                                    limit = sqrt(6 / (fan_in + fan_out)) (Glorot-uniform)
 * with fan_in = in, fan_out = out for dense and fan_in = C*k*k, fan_out = F*k*k for conv
 * (Keras' conventions). He is used when the first activation after the layer (before the next
 * parameterised layer) is ReLU. Biases are zero. */
int hush_model_init_params(hush_model *m, hush_rng *rng) {
    if (!m || !rng) return HUSH_EARG;
    for (size_t i = 0; i < m->n_layers; i++) {
        hush__nn_layer *l = &m->layer[i];
        if (!hush__nn_has_params(l)) continue;
        double fan_in, fan_out;
        if (l->spec.kind == HUSH_LAYER_DENSE) {
            fan_in = (double)l->in_size;
            fan_out = (double)l->spec.a;
        } else {
            double kk = (double)l->spec.b * (double)l->spec.b;
            fan_in = (double)l->geo.c * kk;
            fan_out = (double)l->spec.a * kk;
        }
        double limit = __builtin_sqrt(6.0 / (l->he_init ? fan_in : fan_in + fan_out));
        float *w = m->params + l->w_off;
        for (size_t j = 0; j < l->n_w; j++) w[j] = (float)((2.0 * hush_rng_uniform(rng) - 1.0) * limit);
        memset(m->params + l->b_off, 0, l->n_b * sizeof(float));
    }
    m->saved_batch = 0;
    return HUSH_OK;
}

size_t hush_model_param_count(const hush_model *m) { return m ? m->n_params : 0; }

size_t hush_model_trainable_count(const hush_model *m) { return m ? m->n_train : 0; }

int hush_model_freeze_head(hush_model *m, int frozen) {
    if (!m) return HUSH_EARG;
    if (!frozen) {
        m->n_train = m->n_params;
        return HUSH_OK;
    }
    size_t i = m->n_layers;
    while (i-- > 0 && !hush__nn_has_params(&m->layer[i])) {
    }
    if (i == (size_t)-1 || m->layer[i].w_off == 0) return HUSH_ESTATE;
    m->n_train = m->layer[i].w_off; /* its weights, then its biases, close the vector */
    return HUSH_OK;
}

int hush_model_set_input_norm(hush_model *m, const float *shift, const float *scale, size_t n) {
    if (!m || (shift && !scale)) return HUSH_EARG;
    m->norm_scaling = HUSH_INPUT_SCALING_CUSTOM;
    if (!shift) {
        m->has_norm = 0;
        memset(m->norm, 0, 2 * m->in_size * sizeof(float));
        return HUSH_OK;
    }
    if (n != m->in_size) return HUSH_ESHAPE;
    for (size_t j = 0; j < n; j++)
        if (!hush__finite_f(shift[j]) || !hush__finite_f(scale[j])) return HUSH_ENUMERIC;
    memcpy(m->norm, shift, n * sizeof(float));
    memcpy(m->norm + n, scale, n * sizeof(float));
    m->has_norm = 1;
    return HUSH_OK;
}

int hush_model_input_norm(const hush_model *m, float *shift, float *scale, size_t n) {
    if (!m || !shift || !scale) return HUSH_EARG;
    if (!m->has_norm) return HUSH_ESTATE;
    if (n != m->in_size) return HUSH_ESHAPE;
    memcpy(shift, m->norm, n * sizeof(float));
    memcpy(scale, m->norm + n, n * sizeof(float));
    return HUSH_OK;
}

int hush_model_set_input_scaling(hush_model *m, uint32_t scaling) {
    if (!m || scaling > HUSH_INPUT_SCALING_DP) return HUSH_EARG;
    if (!m->has_norm) return HUSH_ESTATE;
    m->norm_scaling = scaling;
    return HUSH_OK;
}

uint32_t hush_model_input_scaling(const hush_model *m) {
    return m && m->has_norm ? m->norm_scaling : HUSH_INPUT_SCALING_CUSTOM;
}

void hush__nn_load_input(hush_model *m, float *dst, const float *src, size_t rows) {
    size_t in = m->in_size;
    if (!m->has_norm) {
        memcpy(dst, src, rows * in * sizeof(float));
        return;
    }
    const float *shift = m->norm, *scale = m->norm + in;
    for (size_t r = 0; r < rows; r++)
        for (size_t j = 0; j < in; j++) dst[r * in + j] = hush__norm_apply(src[r * in + j], shift[j], scale[j]);
}
float *hush_model_params(hush_model *m) { return m ? m->params : NULL; }
float *hush_model_grads(hush_model *m) { return m ? m->grads : NULL; }
size_t hush_model_input_size(const hush_model *m) { return m ? m->in_size : 0; }
size_t hush_model_output_size(const hush_model *m) { return m ? m->out_size : 0; }
uint32_t hush_model_max_batch(const hush_model *m) { return m ? m->max_batch : 0; }
hush_shape hush_model_input_shape(const hush_model *m) {
    hush_shape z = {0, 0, 0};
    return m ? m->input : z;
}
size_t hush_model_layer_count(const hush_model *m) { return m ? m->n_layers : 0; }
const hush_layer_spec *hush_model_layers(const hush_model *m) { return m ? m->specs : NULL; }
