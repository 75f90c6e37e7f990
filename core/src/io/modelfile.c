/* Model file v1 encoder/decoder. The format and the order of the decode checks are specified in
 * modelfile.h; this file is the only code that reads model files. */
#include "io/modelfile.h"

#include <sodium.h>

#include "io/buf.h"
#include "nn/spec.h"

#define HDR_FIXED 32u /* magic..n_layers */

static int f32_bits_finite(uint32_t u) { return (u & 0x7f800000u) != 0x7f800000u; }

size_t hush__modelfile_size(size_t n_layers, size_t n_params, size_t n_norm) {
    if (n_layers > HUSH_MODEL_MAX_LAYERS || n_params > HUSH_MODEL_MAX_PARAMS || n_norm > 2u * HUSH_MODEL_MAX_PARAMS)
        return 0;
    /* Every factor is bounded above, so this cannot overflow a 32-bit size_t: at most
     * 72 + 512 + 256 MiB + 512 MiB. */
    return HUSH__MODELFILE_MIN_SIZE + 16u * n_layers + 4u * n_params + 4u * n_norm;
}

/* c*h*w, or 0 when it exceeds the limit for a norm section. */
static size_t norm_count(hush_shape in) {
    uint64_t d = (uint64_t)in.c * in.h * in.w; /* each <= 2^16: no overflow */
    return d > HUSH_MODEL_MAX_PARAMS ? 0 : (size_t)(2 * d);
}

static int dim_ok(uint32_t d) { return d >= 1 && d <= HUSH__MODELFILE_MAX_DIM; }

int hush__modelfile_encode(uint8_t *out, size_t cap, size_t *written, hush_shape input,
                           const hush_layer_spec *layers, size_t n_layers, const float *params,
                           size_t n_params, const float *norm, uint32_t scaling) {
    if (written) *written = 0;
    if (!out || !written || (n_layers && !layers) || (n_params && !params)) return HUSH_EARG;
    if (scaling > (HUSH__MODELFILE_SCALING_MASK >> HUSH__MODELFILE_SCALING_SHIFT) || (scaling && !norm)) return HUSH_EARG;
    if (!dim_ok(input.c) || !dim_ok(input.h) || !dim_ok(input.w)) return HUSH_EARG;
    size_t n_norm = norm ? norm_count(input) : 0;
    if (norm && n_norm == 0) return HUSH_ERANGE;
    size_t need = hush__modelfile_size(n_layers, n_params, n_norm);
    if (need == 0) return HUSH_ERANGE;
    if (cap < need) return HUSH_ERANGE;
    for (size_t i = 0; i < n_layers; i++)
        if (hush__nn_layer_check(&layers[i]) != HUSH_OK) return HUSH_EARG;
    for (size_t i = 0; i < n_params; i++)
        if (!f32_bits_finite(hush__f32_bits(params[i]))) return HUSH_ENUMERIC;
    for (size_t i = 0; i < n_norm; i++)
        if (!f32_bits_finite(hush__f32_bits(norm[i]))) return HUSH_ENUMERIC;
    if (hush_init() != HUSH_OK) return HUSH_ECRYPTO;

    hush__wr w;
    hush__wr_init(&w, out, need);
    hush__wr_bytes(&w, HUSH__MODELFILE_MAGIC, 8);
    hush__wr_u32(&w, HUSH__MODELFILE_VERSION);
    hush__wr_u32(&w, norm ? HUSH__MODELFILE_FLAG_NORM | scaling << HUSH__MODELFILE_SCALING_SHIFT : 0);
    hush__wr_u32(&w, input.c);
    hush__wr_u32(&w, input.h);
    hush__wr_u32(&w, input.w);
    hush__wr_u32(&w, (uint32_t)n_layers);
    for (size_t i = 0; i < n_layers; i++) {
        hush__wr_u32(&w, layers[i].kind);
        hush__wr_u32(&w, layers[i].a);
        hush__wr_u32(&w, layers[i].b);
        hush__wr_u32(&w, layers[i].c);
    }
    hush__wr_u64(&w, (uint64_t)n_params);
    for (size_t i = 0; i < n_params; i++) hush__wr_f32(&w, params[i]);
    for (size_t i = 0; i < n_norm; i++) hush__wr_f32(&w, norm[i]);
    size_t body = w.pos;
    uint8_t hash[HUSH__MODELFILE_HASH_BYTES];
    if (w.err || crypto_generichash(hash, sizeof hash, out, body, NULL, 0) != 0) return HUSH_ECRYPTO;
    hush__wr_bytes(&w, hash, sizeof hash);
    if (w.err || w.pos != need) return HUSH_ECRYPTO; /* unreachable: sizes computed above */
    *written = need;
    return HUSH_OK;
}

uint32_t hush__modelfile_scaling(const uint8_t *buf) {
    return (hush__load32_le(buf + 12) & HUSH__MODELFILE_SCALING_MASK) >> HUSH__MODELFILE_SCALING_SHIFT;
}

int hush__modelfile_decode(const uint8_t *buf, size_t len, hush_shape *input, hush_layer_spec *layers,
                           size_t max_layers, size_t *n_layers, const uint8_t **params_le,
                           size_t *n_params, const uint8_t **norm_le) {
    if (!buf || !input || !n_layers || !params_le || !n_params || !norm_le || (max_layers && !layers))
        return HUSH_EARG;
    if (len < HUSH__MODELFILE_MIN_SIZE) return HUSH_ETRUNC;

    hush__rd r;
    hush__rd_init(&r, buf, len);
    const uint8_t *magic = hush__rd_bytes(&r, 8);
    if (!magic || memcmp(magic, HUSH__MODELFILE_MAGIC, 8) != 0) return HUSH_EFORMAT;
    if (hush__rd_u32(&r) != HUSH__MODELFILE_VERSION) return HUSH_EVERSION;
    uint32_t flags = hush__rd_u32(&r);
    if (flags & ~(HUSH__MODELFILE_FLAG_NORM | HUSH__MODELFILE_SCALING_MASK)) return HUSH_EFORMAT;
    if ((flags & HUSH__MODELFILE_SCALING_MASK) && !(flags & HUSH__MODELFILE_FLAG_NORM)) return HUSH_EFORMAT;
    hush_shape in;
    in.c = hush__rd_u32(&r);
    in.h = hush__rd_u32(&r);
    in.w = hush__rd_u32(&r);
    uint32_t nl = hush__rd_u32(&r);
    if (r.err) return HUSH_ETRUNC; /* unreachable: len >= 72 > 32 */
    if (!dim_ok(in.c) || !dim_ok(in.h) || !dim_ok(in.w)) return HUSH_ERANGE;
    if (nl > HUSH_MODEL_MAX_LAYERS || nl > max_layers) return HUSH_ERANGE;

    /* n_layers is bounded, so the offset of n_params is too; the file length already covers
     * the fixed part, but not necessarily the layer table. */
    if (len - HDR_FIXED < 16u * nl + 8u) return HUSH_ETRUNC;
    const uint8_t *table = hush__rd_bytes(&r, 16u * nl);
    uint64_t np = hush__rd_u64(&r);
    if (r.err || !table) return HUSH_ETRUNC;
    if (np > HUSH_MODEL_MAX_PARAMS) return HUSH_ERANGE;
    size_t n_norm = (flags & HUSH__MODELFILE_FLAG_NORM) ? norm_count(in) : 0;
    if ((flags & HUSH__MODELFILE_FLAG_NORM) && n_norm == 0) return HUSH_ERANGE;
    size_t total = hush__modelfile_size(nl, (size_t)np, n_norm);
    if (len < total) return HUSH_ETRUNC;
    if (len > total) return HUSH_ERANGE;

    if (hush_init() != HUSH_OK) return HUSH_ECRYPTO;
    size_t body = total - HUSH__MODELFILE_HASH_BYTES;
    uint8_t hash[HUSH__MODELFILE_HASH_BYTES];
    if (crypto_generichash(hash, sizeof hash, buf, body, NULL, 0) != 0) return HUSH_ECRYPTO;
    if (sodium_memcmp(hash, buf + body, sizeof hash) != 0) return HUSH_ECHECKSUM;

    for (uint32_t i = 0; i < nl; i++) {
        hush_layer_spec l;
        l.kind = hush__load32_le(table + 16u * i);
        l.a = hush__load32_le(table + 16u * i + 4);
        l.b = hush__load32_le(table + 16u * i + 8);
        l.c = hush__load32_le(table + 16u * i + 12);
        if (hush__nn_layer_check(&l) != HUSH_OK) return HUSH_EFORMAT;
        layers[i] = l;
    }
    const uint8_t *p = buf + r.pos;
    for (size_t i = 0; i < (size_t)np + n_norm; i++)
        if (!f32_bits_finite(hush__load32_le(p + 4u * i))) return HUSH_ENUMERIC;

    *input = in;
    *n_layers = nl;
    *params_le = p;
    *n_params = (size_t)np;
    *norm_le = n_norm ? p + 4u * (size_t)np : NULL;
    return HUSH_OK;
}
