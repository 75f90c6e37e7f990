/* Encrypted models: splitting a trained hush_model into per-party shares (each holds the public
 * architecture and its own shares of the parameters), and the public part for the dealer and
 * the client. */
#include <string.h>

#include <sodium.h>

#include "base/alloc.h"
#include "io/mpcwire.h"
#include "mpc/mpc.h"
#include "mpc/prog.h"

void hush_mpc_model_free(hush_mpc_model *mm) {
    if (!mm) return;
    /* a copy: the handle (which holds the allocator) is wiped before it is freed */
    hush_allocator acopy = mm->alloc;
    const hush_allocator *a = mm->has_alloc ? &acopy : NULL;
    hush__mpc_free(a, mm->params, mm->n_params * 8);
    hush__mpc_free(a, mm->norm, 2 * (size_t)mm->in_size * sizeof *mm->norm);
    sodium_memzero(mm, sizeof *mm);
    hush__free(a, mm, sizeof *mm);
}

static int model_new(hush_mpc_model **out, const hush_model *m, int with_params, const hush_allocator *alloc) {
    *out = NULL;
    size_t nl = hush_model_layer_count(m);
    const hush_layer_spec *ls = hush_model_layers(m);
    if (nl == 0 || nl > HUSH_MODEL_MAX_LAYERS) return HUSH_EARG;
    for (size_t i = 0; i < nl; i++)
        if (ls[i].kind != HUSH_LAYER_DENSE && ls[i].kind != HUSH_LAYER_RELU && ls[i].kind != HUSH_LAYER_SIGMOID &&
            ls[i].kind != HUSH_LAYER_TANH)
            return HUSH_EUNSUPPORTED;
    hush_mpc_model *mm = hush__calloc(alloc, 1, sizeof *mm);
    if (!mm) return HUSH_ENOMEM;
    if (alloc) mm->alloc = *alloc, mm->has_alloc = 1;
    memcpy(mm->layers, ls, nl * sizeof *ls);
    mm->n_layers = (uint32_t)nl;
    mm->in_size = (uint32_t)hush_model_input_size(m);
    mm->out_size = (uint32_t)hush_model_output_size(m);
    mm->norm = hush__calloc(alloc, 2 * (size_t)mm->in_size, sizeof *mm->norm);
    if (!mm->norm) {
        hush_mpc_model_free(mm);
        return HUSH_ENOMEM;
    }
    int rc = hush_model_input_norm(m, mm->norm, mm->norm + mm->in_size, mm->in_size);
    mm->has_norm = rc == HUSH_OK;
    if (with_params) {
        mm->n_params = hush_model_param_count(m);
        mm->params = hush__calloc(alloc, mm->n_params ? mm->n_params : 1, 8);
        if (!mm->params) {
            mm->n_params = 0;
            hush_mpc_model_free(mm);
            return HUSH_ENOMEM;
        }
        if (!mm->n_params) mm->n_params = 1; /* keep free()'s size equal to the allocation */
        mm->has_shares = 1;
    }
    *out = mm;
    return HUSH_OK;
}

int hush_mpc_model_public(hush_mpc_model **out, const hush_model *m, const hush_allocator *alloc) {
    if (!hush__alloc_ok(alloc)) return HUSH_EARG;
    if (!out || !m) return HUSH_EARG;
    return model_new(out, m, 0, alloc);
}

int hush_mpc_model_share(hush_mpc_model **out, size_t n_parties, hush_rng *rng, const hush_model *m,
                         uint32_t frac_bits, const hush_allocator *alloc) {
    if (!hush__alloc_ok(alloc)) return HUSH_EARG;
    if (!out || !m) return HUSH_EARG;
    if (n_parties < 2 || n_parties > HUSH_MPC_MAX_PARTIES) return HUSH_EARG;
    if (frac_bits < 1 || frac_bits > HUSH_MPC_MAX_FRAC_BITS) return HUSH_EARG;
    for (size_t i = 0; i < n_parties; i++) out[i] = NULL;
    hush_rng os;
    int rc = rng ? HUSH_OK : hush_rng_init_random(&os);
    if (!rng) rng = &os;
    for (size_t i = 0; i < n_parties && rc == HUSH_OK; i++) {
        rc = model_new(&out[i], m, 1, alloc);
        if (rc == HUSH_OK) out[i]->frac_bits = frac_bits;
    }
    /* hush_model_params takes a non-const handle but only returns the pointer; we only read. */
    const float *w = hush_model_params((hush_model *)(uintptr_t)m);
    size_t np = hush_model_param_count(m);
    double v = 0;
    uint64_t acc = 0;
    for (size_t j = 0; j < np && rc == HUSH_OK; j++) {
        v = (double)w[j];
        rc = hush_mpc_fixed_encode(&acc, &v, 1, frac_bits);
        for (size_t i = 1; i < n_parties && rc == HUSH_OK; i++) {
            uint64_t s = hush_rng_u64(rng);
            out[i]->params[j] = s;
            acc -= s;
        }
        if (rc == HUSH_OK) out[0]->params[j] = acc;
    }
    /* the plaintext weight and its encoding passed through these locals */
    sodium_memzero(&v, sizeof v);
    sodium_memzero(&acc, sizeof acc);
    if (rc == HUSH_OK && hush_rng_exhausted(rng)) rc = HUSH_ERANGE;
    if (rng == &os) hush_rng_clear(&os);
    if (rc != HUSH_OK) {
        for (size_t i = 0; i < n_parties; i++) {
            hush_mpc_model_free(out[i]);
            out[i] = NULL;
        }
    }
    return rc;
}
