/* Weighted FedAvg through secure aggregation (hush/fl.h): each client sends its quantised
 * (w * update, w), and the server divides the two sums. */
#include <math.h>

#include "fl/ring.h"
#include "hush/fl.h"

int hush_fl_fedavg_encode(const hush_fl_quant *q, hush_rng *rng, uint32_t *out, const float *update, size_t n,
                          double weight) {
    if (!q || !rng || !out || (!update && n) || !(weight >= 0) || weight > q->bound) return HUSH_EARG;
    uint32_t m = hush__fl_mask(q->bits);
    for (size_t i = 0; i < n; i++) {
        double v = (double)update[i] * weight;
        if (!isfinite(v)) return HUSH_ENUMERIC;
        if (fabs(v) > q->bound) return HUSH_ERANGE;
        double s = v * q->scale, f = floor(s);
        out[i] = (uint32_t)(uint64_t)((int64_t)f + hush_rng_bernoulli(rng, s - f)) & m;
    }
    float w = (float)weight;
    if ((double)w > q->bound) w = (float)q->bound;
    return hush_fl_quantize(q, rng, out + n, &w, 1);
}

int hush_fl_fedavg_decode(const hush_fl_quant *q, float *avg, double *total_weight, const uint32_t *sum, size_t n) {
    if (!q || !sum || (!avg && n) || q->scale <= 0) return HUSH_EARG;
    double w = hush__fl_signed(sum[n], q->bits) / q->scale;
    if (total_weight) *total_weight = w;
    if (!(w > 0)) return HUSH_ERANGE;
    for (size_t i = 0; i < n; i++) avg[i] = (float)(hush__fl_signed(sum[i], q->bits) / q->scale / w);
    return HUSH_OK;
}
