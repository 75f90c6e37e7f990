/* Distributed discrete-Gaussian DP (Kairouz, Liu and Steinke, ICML 2021; hush/fl.h): the
 * quantisation and noise calibration, each client's clip-quantise-noise step, and the round's
 * epsilon. */
#include <math.h>
#include <string.h>

#include "fl/ring.h"
#include "hush/dp.h"
#include "hush/fl.h"

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

int hush_fl_ddp_encode(const hush_fl_ddp *d, hush_rng *rng, const hush_fl_quant *q, uint32_t *out, float *x,
                       size_t n) {
    if (!d || !q || !rng || ((!out || !x) && n)) return HUSH_EARG;
    int rc = hush_fl_clip_l2(x, n, NULL, d->clip);
    if (rc) return rc;
    if ((rc = hush_fl_quantize(q, rng, out, x, n)) != HUSH_OK) return rc;
    uint32_t m = hush__fl_mask(q->bits);
    for (size_t i = 0; i < n; i++) {
        int64_t e;
        if ((rc = hush_dp_discrete_gaussian(rng, &e, d->var_num, d->var_den)) != HUSH_OK) return rc;
        out[i] = (uint32_t)(out[i] + (uint64_t)e) & m;
    }
    return HUSH_OK;
}

int hush_fl_ddp_epsilon(const hush_fl_ddp *d, double *epsilon, uint32_t survivors, double delta) {
    if (!d || !epsilon || survivors < 1 || !(delta > 0 && delta < 1)) return HUSH_EARG;
    double orders[HUSH_RDP_DEFAULT_ORDERS_COUNT], rdp[HUSH_RDP_DEFAULT_ORDERS_COUNT];
    size_t k = hush_rdp_default_orders(orders, HUSH_RDP_DEFAULT_ORDERS_COUNT);
    memset(rdp, 0, sizeof rdp);
    double z = d->sigma * sqrt((double)survivors) / d->sensitivity;
    int rc = hush_rdp_gaussian(rdp, orders, k, z, 1);
    if (rc) return rc;
    return hush_rdp_epsilon(epsilon, NULL, orders, rdp, k, delta, HUSH_DP_CONVERSION_IMPROVED);
}
