/* Federated-learning encodings for secure aggregation (see hush/fl.h): clipping, stochastic
 * quantisation into Z_2^k, weighted FedAvg and distributed discrete-Gaussian DP. */
#include <math.h>
#include <string.h>

#include "hush/dp.h"
#include "hush/fl.h"

int hush_fl_clip_l2(float *x, size_t n, double max_norm, double *norm) {
    if ((!x && n) || !(max_norm > 0) || !isfinite(max_norm)) return HUSH_EARG;
    double s = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(x[i])) return HUSH_ENUMERIC;
        s += (double)x[i] * x[i];
    }
    double nrm = sqrt(s);
    if (norm) *norm = nrm;
    if (nrm > max_norm) {
        double f = max_norm / nrm;
        for (size_t i = 0; i < n; i++) x[i] = (float)(x[i] * f);
        /* float rounding may leave the norm a hair above max_norm: shrink until it is not */
        for (int k = 0; k < 4; k++) {
            s = 0;
            for (size_t i = 0; i < n; i++) s += (double)x[i] * x[i];
            if (sqrt(s) <= max_norm) break;
            for (size_t i = 0; i < n; i++) x[i] = (float)(x[i] * (1 - 1e-6));
        }
    }
    return HUSH_OK;
}

int hush_fl_clip_range(float *x, size_t n, double lo, double hi, size_t *clipped) {
    if ((!x && n) || !(lo <= hi) || !isfinite(lo) || !isfinite(hi)) return HUSH_EARG;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (isnan(x[i])) return HUSH_ENUMERIC;
        if (x[i] < lo) {
            x[i] = (float)lo;
            k++;
        } else if (x[i] > hi) {
            x[i] = (float)hi;
            k++;
        }
        if (x[i] < lo || x[i] > hi) x[i] = (float)(x[i] < lo ? nextafterf((float)lo, INFINITY) : nextafterf((float)hi, -INFINITY));
    }
    if (clipped) *clipped = k;
    return HUSH_OK;
}

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

static uint32_t mask_of(uint32_t bits) { return bits >= 32 ? 0xffffffffu : ((uint32_t)1 << bits) - 1; }

int hush_fl_quantize(const hush_fl_quant *q, hush_rng *rng, uint32_t *out, const float *x, size_t n) {
    if (!q || !rng || ((!out || !x) && n) || q->scale <= 0) return HUSH_EARG;
    uint32_t m = mask_of(q->bits);
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

static double signed_of(uint32_t v, uint32_t bits) {
    uint64_t half = (uint64_t)1 << (bits - 1), u = v & mask_of(bits);
    return u >= half ? (double)u - ldexp(1.0, (int)bits) : (double)u;
}

int hush_fl_dequantize(const hush_fl_quant *q, float *out, const uint32_t *sum, size_t n) {
    if (!q || ((!out || !sum) && n) || q->scale <= 0) return HUSH_EARG;
    for (size_t i = 0; i < n; i++) out[i] = (float)(signed_of(sum[i], q->bits) / q->scale);
    return HUSH_OK;
}

int hush_fl_fedavg_encode(const hush_fl_quant *q, hush_rng *rng, uint32_t *out, const float *update, size_t n,
                          double weight) {
    if (!q || !rng || !out || (!update && n) || !(weight >= 0) || weight > q->bound) return HUSH_EARG;
    uint32_t m = mask_of(q->bits);
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

int hush_fl_fedavg_decode(const hush_fl_quant *q, float *avg, const uint32_t *sum, size_t n, double *total_weight) {
    if (!q || !sum || (!avg && n) || q->scale <= 0) return HUSH_EARG;
    double w = signed_of(sum[n], q->bits) / q->scale;
    if (total_weight) *total_weight = w;
    if (!(w > 0)) return HUSH_ERANGE;
    for (size_t i = 0; i < n; i++) avg[i] = (float)(signed_of(sum[i], q->bits) / q->scale / w);
    return HUSH_OK;
}

#define TAIL 12.0 /* standard deviations of summed noise kept inside the ring */

int hush_fl_ddp_init(hush_fl_ddp *d, hush_fl_quant *q, uint32_t bits, uint32_t clients, size_t dim, double clip,
                     double noise_multiplier) {
    if (!d || !q || bits < 2 || bits > 32 || clients < 1 || dim < 1 || !(clip > 0) || !isfinite(clip) ||
        !(noise_multiplier > 0) || !isfinite(noise_multiplier))
        return HUSH_EARG;
    /* Need clients (C s + 1) + TAIL sqrt(clients) z (C s + sqrt(dim)) <= 2^(k-1) - 1: linear in s. */
    double rc = sqrt((double)clients), rd = sqrt((double)dim), z = noise_multiplier;
    double room = ldexp(1.0, (int)bits - 1) - 1 - clients - TAIL * rc * z * (rd + 1);
    double per = clients * clip + TAIL * rc * z * clip;
    if (!(room > 0)) return HUSH_ERANGE;
    double scale = room / per;
    double delta = clip * scale + rd;
    double sigma = z * delta;
    /* var = sigma^2 as a fraction with the finest denominator the sampler accepts */
    uint64_t den = (uint64_t)1 << 20;
    double t = floor(sigma) + 2;
    while (den > 1 && (double)den * t * t > ldexp(1.0, 50)) den >>= 1;
    double num = ceil(sigma * sigma * (double)den);
    if ((double)den * t * t > ldexp(1.0, 50) || num > ldexp(1.0, 62)) return HUSH_ERANGE;
    d->clip = clip;
    d->noise_multiplier = z;
    d->sensitivity = delta;
    d->var_num = (uint64_t)num;
    d->var_den = den;
    d->sigma = sqrt(num / (double)den);
    /* the headroom actually used: +1 unit per the sigma rounding-up */
    return hush_fl_quant_init(q, bits, clients, clip, TAIL * rc * (d->sigma + z));
}

int hush_fl_ddp_encode(const hush_fl_ddp *d, const hush_fl_quant *q, hush_rng *rng, uint32_t *out, float *x,
                       size_t n) {
    if (!d || !q || !rng || ((!out || !x) && n)) return HUSH_EARG;
    int rc = hush_fl_clip_l2(x, n, d->clip, NULL);
    if (rc) return rc;
    if ((rc = hush_fl_quantize(q, rng, out, x, n)) != HUSH_OK) return rc;
    uint32_t m = mask_of(q->bits);
    for (size_t i = 0; i < n; i++) {
        int64_t e;
        if ((rc = hush_dp_discrete_gaussian(rng, &e, d->var_num, d->var_den)) != HUSH_OK) return rc;
        out[i] = (uint32_t)(out[i] + (uint64_t)e) & m;
    }
    return HUSH_OK;
}

int hush_fl_ddp_epsilon(const hush_fl_ddp *d, uint32_t survivors, double delta, double *epsilon) {
    if (!d || !epsilon || survivors < 1 || !(delta > 0 && delta < 1)) return HUSH_EARG;
    double orders[HUSH_RDP_DEFAULT_ORDERS_COUNT], rdp[HUSH_RDP_DEFAULT_ORDERS_COUNT];
    size_t k = hush_rdp_default_orders(orders, HUSH_RDP_DEFAULT_ORDERS_COUNT);
    memset(rdp, 0, sizeof rdp);
    double z = d->sigma * sqrt((double)survivors) / d->sensitivity;
    int rc = hush_rdp_gaussian(rdp, orders, k, z, 1);
    if (rc) return rc;
    return hush_rdp_epsilon(epsilon, NULL, orders, rdp, k, delta, HUSH_DP_CONVERSION_IMPROVED);
}
