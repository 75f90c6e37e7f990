/* Stochastic quantisation of float updates into the secure-aggregation ring Z_2^k and back
 * (hush/fl.h). The scale leaves room for the sum of every client's values plus the declared
 * headroom, so the modular sum never wraps. */
#include <math.h>

#include "fl/ring.h"
#include "hush/fl.h"

int hush_fl_quant_init(hush_fl_quant *q, uint32_t bits, uint32_t clients, double bound, double headroom) {
    if (!q || bits < 2 || bits > 32 || clients < 1 || !(bound > 0) || !isfinite(bound) || !(headroom >= 0) ||
        !isfinite(headroom))
        return HUSH_EARG;
    double room = ldexp(1.0, (int)bits - 1) - 1 - clients - headroom;
    if (!(room > 0)) return HUSH_ERANGE;
    q->bits = bits;
    q->clients = clients;
    q->bound = bound;
    q->headroom = headroom;
    q->scale = room / ((double)clients * bound);
    return HUSH_OK;
}

int hush_fl_quantize(const hush_fl_quant *q, hush_rng *rng, uint32_t *out, const float *x, size_t n) {
    if (!q || !rng || ((!out || !x) && n) || q->scale <= 0) return HUSH_EARG;
    uint32_t m = hush__fl_mask(q->bits);
    for (size_t i = 0; i < n; i++) {
        double v = x[i];
        if (!isfinite(v)) return HUSH_ENUMERIC;
        if (fabs(v) > q->bound) return HUSH_ERANGE;
        double s = v * q->scale, f = floor(s);
        int64_t r = (int64_t)f + hush_rng_bernoulli(rng, s - f);
        out[i] = (uint32_t)(uint64_t)r & m;
    }
    return HUSH_OK;
}

int hush_fl_dequantize(const hush_fl_quant *q, float *out, const uint32_t *sum, size_t n) {
    if (!q || ((!out || !sum) && n) || q->scale <= 0) return HUSH_EARG;
    for (size_t i = 0; i < n; i++) out[i] = (float)(hush__fl_signed(sum[i], q->bits) / q->scale);
    return HUSH_OK;
}
