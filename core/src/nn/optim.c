/* Optimisers over a flat parameter block, with TF.js's update rules and operation order
 * (tf.train.sgd / tf.train.momentum / tf.train.adam), all in float32:
 *
 *   SGD:       p = p + (-lr) * g                       (== p - lr*g bit for bit)
 *   momentum:  v = v * mu + g;  p = p + (-lr) * v      (TF's accumulator convention, not Keras'
 *                                                       v = mu*v - lr*g; same trajectory for a
 *                                                       constant lr, different rounding)
 *   Adam:      m = m * b1 + g * (1 - b1);  v = v * b2 + (g*g) * (1 - b2)
 *              mh = m / (1 - b1^t);  vh = v / (1 - b2^t)
 *              p = p + (mh / (sqrt(vh) + eps)) * (-lr)
 *              b^t starts at b and is updated by repeated multiplication after each step;
 *              eps is added to sqrt(vh) (TF.js), not to sqrt(v) (Keras' "epsilon hat").
 *   weight decay (optional, all kinds): p = p * (1 - lr*wd) before the update (decoupled, as
 *              AdamW of Loshchilov & Hutter 2019; for plain SGD identical to L2 regularisation).
 * The state starts at zero. 1 - b1 is computed in float from the float config.
 */
#include <string.h>

#include "base/alloc.h"
#include "nn/model.h"
#include "nn/simd.h"

struct hush_optim {
    hush_allocator alloc_copy;
    const hush_allocator *alloc;
    hush_optim_config cfg;
    size_t n;
    float *state; /* momentum: v[n]; Adam: m[n] then v[n] */
    size_t state_len;
    float b1t, b2t; /* beta powers for the next step */
};

int hush_optim_config_init(hush_optim_config *cfg, uint32_t kind, float lr) {
    if (!cfg) return HUSH_EARG;
    memset(cfg, 0, sizeof *cfg);
    if (kind > HUSH_OPTIM_ADAM || !hush__finite_f(lr) || lr < 0.0f) return HUSH_EARG;
    cfg->version = HUSH_OPTIM_CONFIG_VERSION;
    cfg->kind = kind;
    cfg->lr = lr;
    cfg->momentum = 0.9f;
    cfg->beta1 = 0.9f;
    cfg->beta2 = 0.999f;
    cfg->eps = 1e-7f;
    cfg->weight_decay = 0.0f;
    return HUSH_OK;
}

int hush_optim_create(hush_optim **out, const hush_optim_config *cfg, size_t n_params,
                      const hush_allocator *alloc) {
    if (!hush__alloc_ok(alloc)) return HUSH_EARG;
    if (!out) return HUSH_EARG;
    *out = NULL;
    if (!cfg || cfg->version != HUSH_OPTIM_CONFIG_VERSION) return HUSH_EARG;
    if (cfg->kind > HUSH_OPTIM_ADAM) return HUSH_EARG;
    if (n_params == 0 || n_params > HUSH_MODEL_MAX_PARAMS) return HUSH_ERANGE;
    if (!hush__finite_f(cfg->lr) || cfg->lr < 0.0f) return HUSH_ERANGE;
    if (!(cfg->weight_decay >= 0.0f && cfg->lr * cfg->weight_decay < 1.0f)) return HUSH_ERANGE;
    if (cfg->kind == HUSH_OPTIM_MOMENTUM && !(cfg->momentum >= 0.0f && cfg->momentum <= 1.0f)) return HUSH_ERANGE;
    if (cfg->kind == HUSH_OPTIM_ADAM &&
        !(cfg->beta1 >= 0.0f && cfg->beta1 < 1.0f && cfg->beta2 >= 0.0f && cfg->beta2 < 1.0f &&
          cfg->eps > 0.0f && hush__finite_f(cfg->eps)))
        return HUSH_ERANGE;
    hush_optim *o = hush__calloc(alloc, 1, sizeof *o);
    if (!o) return HUSH_ENOMEM;
    if (alloc) {
        o->alloc_copy = *alloc;
        o->alloc = &o->alloc_copy;
    }
    o->cfg = *cfg;
    o->n = n_params;
    o->state_len = cfg->kind == HUSH_OPTIM_ADAM ? 2 * n_params : cfg->kind == HUSH_OPTIM_MOMENTUM ? n_params : 0;
    if (o->state_len) {
        o->state = hush__calloc(o->alloc, o->state_len, sizeof(float));
        if (!o->state) {
            hush_optim_free(o);
            return HUSH_ENOMEM;
        }
    }
    o->b1t = cfg->beta1;
    o->b2t = cfg->beta2;
    *out = o;
    return HUSH_OK;
}

void hush_optim_free(hush_optim *o) {
    if (!o) return;
    hush_allocator a = o->alloc_copy;
    const hush_allocator *ap = o->alloc ? &a : NULL;
    /* the moments are running averages of data-derived gradients */
    hush__free_wipe(ap, o->state, o->state_len * sizeof(float));
    hush__free_wipe(ap, o, sizeof *o);
}

size_t hush__nn_optim_size(const hush_optim *o) { return o->n; }

int hush_optim_step(hush_optim *o, float *params, const float *grads, size_t n) {
    if (!o || !params || !grads) return HUSH_EARG;
    if (n > o->n) return HUSH_ESHAPE;
    const float neg_lr = -o->cfg.lr;
    size_t i = 0;
    /* A separate pass, skipped when off, so that wd = 0 leaves every result bit-identical. */
    if (o->cfg.weight_decay != 0.0f) {
        const float keep = 1.0f - o->cfg.lr * o->cfg.weight_decay;
        for (size_t j = 0; j < n; j++) params[j] *= keep;
    }
    /* Vector lanes run the scalar formulas exactly; the scalar loops finish the tail. */
    switch (o->cfg.kind) {
    case HUSH_OPTIM_SGD:
#ifdef HUSH__NN_VEC
        for (; i + 4 <= n; i += 4) {
            hush__v4f p = hush__ld4(params + i), g = hush__ld4(grads + i);
            hush__st4(params + i, p + hush__splat4(neg_lr) * g);
        }
#endif
        for (; i < n; i++) params[i] = params[i] + neg_lr * grads[i];
        break;
    case HUSH_OPTIM_MOMENTUM: {
        float *v = o->state, mu = o->cfg.momentum;
#ifdef HUSH__NN_VEC
        for (; i + 4 <= n; i += 4) {
            hush__v4f vv = hush__ld4(v + i) * hush__splat4(mu) + hush__ld4(grads + i);
            hush__st4(v + i, vv);
            hush__st4(params + i, hush__ld4(params + i) + hush__splat4(neg_lr) * vv);
        }
#endif
        for (; i < n; i++) {
            v[i] = v[i] * mu + grads[i];
            params[i] = params[i] + neg_lr * v[i];
        }
        break;
    }
    default: {
        float *mo = o->state, *ve = o->state + n;
        float b1 = o->cfg.beta1, b2 = o->cfg.beta2, eps = o->cfg.eps;
        float omb1 = 1.0f - b1, omb2 = 1.0f - b2;
        float c1 = 1.0f - o->b1t, c2 = 1.0f - o->b2t;
#ifdef HUSH__NN_VEC
        for (; i + 4 <= n; i += 4) {
            hush__v4f g = hush__ld4(grads + i);
            hush__v4f mv = hush__ld4(mo + i) * hush__splat4(b1) + g * hush__splat4(omb1);
            hush__v4f vv = hush__ld4(ve + i) * hush__splat4(b2) + (g * g) * hush__splat4(omb2);
            hush__st4(mo + i, mv);
            hush__st4(ve + i, vv);
            hush__v4f mh = mv / hush__splat4(c1), vh = vv / hush__splat4(c2);
            hush__v4f step = (mh / (hush__sqrt4(vh) + hush__splat4(eps))) * hush__splat4(neg_lr);
            hush__st4(params + i, hush__ld4(params + i) + step);
        }
#endif
        for (; i < n; i++) {
            float g = grads[i];
            mo[i] = mo[i] * b1 + g * omb1;
            ve[i] = ve[i] * b2 + (g * g) * omb2;
            float mh = mo[i] / c1, vh = ve[i] / c2;
            params[i] = params[i] + (mh / (__builtin_sqrtf(vh) + eps)) * neg_lr;
        }
        o->b1t *= b1;
        o->b2t *= b2;
        break;
    }
    }
    return HUSH_OK;
}
