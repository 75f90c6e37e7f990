/* Laplace and Gaussian mechanisms: calibration (sensitivity, epsilon, delta -> noise scale) and
 * the release of real vectors on a power-of-two grid with exact discrete noise.
 *
 * The release path (see hush/dp.h for the privacy argument) uses only exact floating-point
 * steps - scaling by powers of two, floor, comparisons, sqrt and int64 <-> double conversion,
 * all correctly rounded under IEEE 754 - plus the integer samplers, so the noise is
 * bit-identical in every build. Calibration uses libm (erfc, log, exp): it reports numbers, it
 * does not draw noise. */
#include <math.h>

#include "dp/dpmath.h"
#include "hush/dp.h"

int hush_dp_laplace_scale(double *scale, double sensitivity, double epsilon) {
    if (!scale || !(sensitivity > 0.0) || !(epsilon > 0.0) || isinf(sensitivity) || isinf(epsilon))
        return HUSH_EARG;
    *scale = sensitivity / epsilon;
    return HUSH_OK;
}

int hush_dp_gaussian_sigma_classic(double *sigma, double epsilon, double delta, double sensitivity) {
    if (!sigma || !(epsilon > 0.0) || isinf(epsilon) || !(delta > 0.0 && delta < 1.0) || !(sensitivity > 0.0) ||
        isinf(sensitivity))
        return HUSH_EARG;
    *sigma = sqrt(2.0 * log(1.25 / delta)) * sensitivity / epsilon;
    return HUSH_OK;
}

/* delta(eps) of the Gaussian mechanism with noise sigma and sensitivity 1 (Balle and Wang 2018,
 * Theorem 8): Phi(1/(2s) - eps s) - e^eps Phi(-1/(2s) - eps s). */
static double gauss_delta(double eps, double s) {
    double a = 0.5 / s - eps * s, b = -0.5 / s - eps * s;
    double d = hush__dp_ndtr(a) - exp(eps + hush__dp_log_ndtr(b));
    return d > 0.0 ? d : 0.0;
}

int hush_dp_gaussian_delta(double *delta, double epsilon, double sigma, double sensitivity) {
    if (!delta || !(epsilon >= 0.0) || isinf(epsilon) || !(sigma > 0.0) || isinf(sigma) || !(sensitivity > 0.0) ||
        isinf(sensitivity))
        return HUSH_EARG;
    *delta = gauss_delta(epsilon, sigma / sensitivity);
    return HUSH_OK;
}

/* Balle and Wang's Algorithm 1 solves delta(eps, sigma) = delta through a reparametrisation;
 * delta(eps, .) is strictly decreasing in sigma, so bisection on sigma itself finds the same
 * point. We bracket by doubling, then bisect in log space and return the upper end, which is
 * guaranteed to satisfy the budget. */
int hush_dp_gaussian_sigma(double *sigma, double epsilon, double delta, double sensitivity) {
    if (!sigma || !(epsilon > 0.0) || isinf(epsilon) || !(delta > 0.0 && delta < 1.0) || !(sensitivity > 0.0) ||
        isinf(sensitivity))
        return HUSH_EARG;
    double lo = 1.0, hi = 1.0;
    while (gauss_delta(epsilon, hi) > delta) {
        hi *= 2.0;
        if (hi > 1e300) return HUSH_ERANGE;
    }
    while (gauss_delta(epsilon, lo) <= delta) {
        lo *= 0.5;
        if (lo < 1e-300) return HUSH_ERANGE;
    }
    while (hi / lo > 1.0 + 1e-13) {
        double mid = sqrt(lo * hi);
        if (gauss_delta(epsilon, mid) > delta)
            lo = mid;
        else
            hi = mid;
    }
    *sigma = hi * sensitivity;
    return HUSH_OK;
}

/* ---- release on a grid ---- */

/* Largest power of two <= v (v > 0, finite); 0 if v is subnormal. */
static double pow2_floor(double v) {
    int e;
    (void)frexp(v, &e); /* v = m 2^e, m in [0.5, 1): exact */
    return ldexp(1.0, e - 1);
}

/* Smallest power of two >= v (v > 0). */
static double pow2_ceil(double v) {
    double p = pow2_floor(v);
    return p == v ? p : 2.0 * p;
}

/* round(x / g) to the nearest integer (ties away from zero), exactly; HUSH_ERANGE beyond 2^62. */
static int to_grid(double x, double g, int64_t *k) {
    if (!isfinite(x)) return HUSH_ENUMERIC;
    double u = x / g; /* exact: g is a power of two and u stays normal or is an integer */
    if (!(fabs(u) < 0x1p62)) return HUSH_ERANGE;
    double f = floor(fabs(u));
    if (fabs(u) - f >= 0.5) f += 1.0;
    *k = (int64_t)f;
    if (u < 0) *k = -*k;
    return HUSH_OK;
}

/* Integer noise source for one release. */
typedef struct grid_noise {
    int gaussian;
    uint64_t units; /* Laplace scale or Gaussian sigma, in grid units */
    double g;
} grid_noise;

static int grid_sample(hush_rng *rng, const grid_noise *gn, int64_t *z) {
    if (gn->gaussian) return hush_dp_discrete_gaussian(rng, z, gn->units * gn->units, 1);
    return hush_dp_discrete_laplace(rng, z, gn->units, 1);
}

static int grid_value(hush_rng *rng, const grid_noise *gn, double x, double *y) {
    int64_t k, z;
    int rc = to_grid(x, gn->g, &k);
    if (rc != HUSH_OK) return rc;
    rc = grid_sample(rng, gn, &z);
    if (rc != HUSH_OK) return rc;
    if ((z > 0 && k > INT64_MAX - z) || (z < 0 && k < INT64_MIN - z)) return HUSH_ERANGE;
    /* post-processing of the integer k + z: the rounding to double reveals nothing more */
    *y = (double)(k + z) * gn->g;
    return HUSH_OK;
}

/* Laplace: g <= scale 2^-40 and n g <= D1 2^-10; units = ceil(scale (D1 + n g) / (D1 g)). */
static int laplace_grid(grid_noise *gn, size_t n, double d1, double scale) {
    if (!(d1 > 0.0) || isinf(d1) || !(scale > 0.0) || isinf(scale)) return HUSH_EARG;
    double nn = (double)n;
    double gmax = scale * 0x1p-40, ginf = d1 * 0x1p-10 / nn;
    gn->g = pow2_floor(gmax < ginf ? gmax : ginf);
    if (!(gn->g > 0.0) || gn->g < 0x1p-1000) return HUSH_ERANGE;
    /* the 1 + 2^-40 factor and the + 1 absorb every rounding in this double expression */
    double u = (scale / gn->g + nn * (scale / d1)) * (1.0 + 0x1p-40) + 1.0;
    if (!(u < 0x1p61)) return HUSH_ERANGE;
    gn->units = (uint64_t)ceil(u);
    gn->gaussian = 0;
    return HUSH_OK;
}

/* Gaussian: g <= sigma 2^-20 and sqrt(n) g <= D2 2^-10, but no finer than sigma 2^-24 so the
 * discrete Gaussian stays within its 2^25 range; units = ceil(sigma (D2 + sqrt(n) g) / (D2 g)). */
static int gaussian_grid(grid_noise *gn, size_t n, double d2, double sigma) {
    if (!(d2 > 0.0) || isinf(d2) || !(sigma > 0.0) || isinf(sigma)) return HUSH_EARG;
    double rn = sqrt((double)n);
    double gmax = sigma * 0x1p-20, ginf = d2 * 0x1p-10 / rn;
    double g = pow2_floor(gmax < ginf ? gmax : ginf), gmin = pow2_ceil(sigma * 0x1p-24);
    gn->g = g > gmin ? g : gmin;
    if (!(gn->g > 0.0) || gn->g < 0x1p-1000) return HUSH_ERANGE;
    double u = (sigma / gn->g + rn * (sigma / d2)) * (1.0 + 0x1p-40) + 1.0;
    if (!(u < 0x1p25 - 2.0)) return HUSH_ERANGE; /* t = units + 1 must keep t^2 <= 2^50 */
    gn->units = (uint64_t)ceil(u);
    gn->gaussian = 1;
    return HUSH_OK;
}

static int add_noise_f64(hush_rng *rng, double *x, size_t n, const grid_noise *gn) {
    for (size_t i = 0; i < n; i++) {
        double y;
        int rc = grid_value(rng, gn, x[i], &y);
        if (rc != HUSH_OK) return rc;
        x[i] = y;
    }
    return HUSH_OK;
}

static int add_noise_f32(hush_rng *rng, float *x, size_t n, const grid_noise *gn) {
    for (size_t i = 0; i < n; i++) {
        double y;
        int rc = grid_value(rng, gn, (double)x[i], &y);
        if (rc != HUSH_OK) return rc;
        x[i] = (float)y;
    }
    return HUSH_OK;
}

int hush_dp_laplace_add_noise(hush_rng *rng, double *x, size_t n, double l1_sensitivity, double scale) {
    if (!rng || (!x && n)) return HUSH_EARG;
    grid_noise gn;
    int rc = laplace_grid(&gn, n ? n : 1, l1_sensitivity, scale);
    return rc != HUSH_OK ? rc : add_noise_f64(rng, x, n, &gn);
}

int hush_dp_gaussian_add_noise(hush_rng *rng, double *x, size_t n, double l2_sensitivity, double sigma) {
    if (!rng || (!x && n)) return HUSH_EARG;
    grid_noise gn;
    int rc = gaussian_grid(&gn, n ? n : 1, l2_sensitivity, sigma);
    return rc != HUSH_OK ? rc : add_noise_f64(rng, x, n, &gn);
}

int hush_dp_laplace_add_noise_f32(hush_rng *rng, float *x, size_t n, double l1_sensitivity, double scale) {
    if (!rng || (!x && n)) return HUSH_EARG;
    grid_noise gn;
    int rc = laplace_grid(&gn, n ? n : 1, l1_sensitivity, scale);
    return rc != HUSH_OK ? rc : add_noise_f32(rng, x, n, &gn);
}

int hush_dp_gaussian_add_noise_f32(hush_rng *rng, float *x, size_t n, double l2_sensitivity, double sigma) {
    if (!rng || (!x && n)) return HUSH_EARG;
    grid_noise gn;
    int rc = gaussian_grid(&gn, n ? n : 1, l2_sensitivity, sigma);
    return rc != HUSH_OK ? rc : add_noise_f32(rng, x, n, &gn);
}
