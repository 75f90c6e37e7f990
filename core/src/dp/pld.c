/* Privacy loss distributions (PLD) on a grid, pessimistically discretised.
 *
 * For a dominating pair (P, Q) the privacy loss is L = log(P(x)/Q(x)) with x ~ P, and
 * delta(eps) = E[(1 - e^{eps - L})_+] + P[L = +inf] (the hockey-stick divergence). That
 * expression only grows when probability moves to a larger loss, so every approximation here
 * can only increase delta: the mass between two grid points (width h) is split between them
 * preserving both P- and Q-mass ("connect the dots", the default of Google's dp_accounting;
 * see spread() below; rounding every loss up, Meiser and Mohammadi 2018 / Koskela et al. 2020,
 * is also pessimistic but its bias grows with the number of steps), the lower tail is merged
 * into the lowest kept point and the upper tail goes to +infinity. Composition is the
 * convolution of the distributions (independent losses add), computed directly for short
 * inputs and otherwise by a radix-2 FFT that transforms both real inputs in one complex pass.
 * The reported epsilon is therefore an upper bound, up to FFT round-off (about 1e-16 of the
 * peak per bin; negative round-off is clamped to zero, and end bins under 1e-13 of the peak are
 * cut pessimistically like the tails).
 *
 * Poisson subsampling with add-or-remove neighbours gives two different pairs, "remove"
 * (mixture vs N(0, s^2)) and "add" (N(0, s^2) vs mixture); the accountant composes each and
 * reports the worse, as dp_accounting does.
 */
#include "dp/pld.h"

#include <math.h>
#include <string.h>

#include "dp/dpmath.h"
#include "hush/common.h"

void hush__pld_identity(hush__pld_pmf *d) {
    d->len = 1;
    d->off = 0;
    d->p[0] = 1.0;
    d->inf = 0.0;
}

void hush__pld_copy(hush__pld_pmf *dst, const hush__pld_pmf *src) {
    if (dst == src) return;
    memmove(dst->p, src->p, src->len * sizeof *src->p);
    dst->len = src->len;
    dst->off = src->off;
    dst->inf = src->inf;
}

/* x with log(1 - q + q e^{(2x-1)/(2 s^2)}) = l; -inf when l <= log(1-q). */
static double sgm_x_of(double l, double q, double s2) {
    if (q == 1.0) return s2 * l + 0.5;
    double t = -expm1(log1p(-q) - l); /* 1 - (1-q) e^{-l} */
    if (!(t > 0.0)) return -INFINITY;
    return s2 * (l + log(t) - log(q)) + 0.5;
}

static double sgm_loss(double x, double q, double s2) {
    double e = (2.0 * x - 1.0) / (2.0 * s2);
    if (q == 1.0) return e;
    return hush__dp_log_add(log1p(-q), log(q) + e);
}

/* CDF and survival function of the mixture (1-q) N(0,s^2) + q N(1,s^2). */
static double mix_cdf(double x, double q, double s) {
    return (1.0 - q) * hush__dp_ndtr(x / s) + q * hush__dp_ndtr((x - 1.0) / s);
}
static double mix_sf(double x, double q, double s) {
    return (1.0 - q) * hush__dp_ndtr_upper(x / s) + q * hush__dp_ndtr_upper((x - 1.0) / s);
}

/* Grid points l_k = (i0 + k) h, k = 0..n-1, covering [l_lo, l_hi]. */
static int grid_range(double l_lo, double l_hi, double h, size_t cap, int64_t *i0, size_t *n) {
    double a = floor(l_lo / h), b = ceil(l_hi / h);
    if (!(a > -0x1p60 && b < 0x1p60) || b < a) return HUSH_ERANGE;
    if (b - a + 2.0 > (double)cap) return HUSH_ERANGE;
    *i0 = (int64_t)a;
    *n = (size_t)(b - a) + 2; /* one spare point so every interval has an upper end */
    return HUSH_OK;
}

/* "Connect the dots" (Doroshenko, Ghazi, Kamath, Kumar, Manurangsi 2022): the losses in
 * (l_k, l_k + h], with P-mass a and Q-mass qb (= E_P[e^{-L}] over the interval), are split
 * between the two end points so that both masses are preserved. That is a mean-preserving
 * spread of e^{-L}, and delta(eps) = E_P[(1 - e^eps e^{-L})_+] is convex in e^{-L}, so delta
 * can only grow, for every eps: the result dominates the true pair and stays dominating under
 * composition. Unlike rounding every loss up, its error does not grow linearly with the number
 * of compositions. */
static void spread(double *p, size_t k, double a, double qb, double lk, double h) {
    if (!(a > 0.0)) return;
    double y = (a - qb * exp(lk)) / -expm1(-h);
    if (!(y >= 0.0)) y = 0.0; /* round-off only */
    if (y > a) y = a;
    p[k] += a - y;
    p[k + 1] += y;
}

/* Probability of (xa, xb] from a CDF and survival function pair, using the one that is small. */
static double mass(double (*cdf)(double, double, double), double (*sf)(double, double, double), double xa,
                   double xb, double q, double s) {
    double m = xb <= 0.5 ? cdf(xb, q, s) - cdf(xa, q, s) : sf(xa, q, s) - sf(xb, q, s);
    return m > 0.0 ? m : 0.0;
}
static double nrm_cdf(double x, double q, double s) {
    (void)q;
    return hush__dp_ndtr(x / s);
}
static double nrm_sf(double x, double q, double s) {
    (void)q;
    return hush__dp_ndtr_upper(x / s);
}

int hush__pld_sampled_gaussian(hush__pld_pmf *d, double q, double sigma, int remove, double h, double tail) {
    if (q == 0.0) {
        hush__pld_identity(d);
        return HUSH_OK;
    }
    if (sigma == 0.0) {
        d->len = 1;
        d->off = 0;
        d->p[0] = 0.0;
        d->inf = 1.0;
        return HUSH_OK;
    }
    const double s2 = sigma * sigma;
    /* x outside [-z s, 1 + z s] has probability below tail/2 under either distribution */
    const double z = sqrt(2.0 * log(2.0 / tail));
    int64_t i0;
    size_t n;
    int rc;
    if (remove) /* P = mixture, Q = N(0, s^2); the loss increases with x */
        rc = grid_range(sgm_loss(-z * sigma, q, s2), sgm_loss(1.0 + z * sigma, q, s2), h, d->cap, &i0, &n);
    else /* P = N(0, s^2), Q = mixture; the loss -log(1 - q + q e^{...}) decreases with x */
        rc = grid_range(-sgm_loss(z * sigma, q, s2), -sgm_loss(-z * sigma, q, s2), h, d->cap, &i0, &n);
    if (rc != HUSH_OK) return rc;
    memset(d->p, 0, n * sizeof *d->p);
    if (remove) {
        double prev = sgm_x_of((double)i0 * h, q, s2);
        d->p[0] = mix_cdf(prev, q, sigma); /* losses below l_0 move up to l_0 */
        for (size_t k = 0; k + 1 < n; k++) {
            double x = sgm_x_of((double)(i0 + (int64_t)k + 1) * h, q, s2);
            spread(d->p, k, mass(mix_cdf, mix_sf, prev, x, q, sigma), mass(nrm_cdf, nrm_sf, prev, x, q, sigma),
                   (double)(i0 + (int64_t)k) * h, h);
            prev = x;
        }
        d->inf = mix_sf(prev, q, sigma);
    } else {
        /* L in (l_k, l_{k+1}] <=> x in [c_{k+1}, c_k) with c_k = sgm_x_of(-l_k) */
        double prev = sgm_x_of(-(double)i0 * h, q, s2);
        d->p[0] = hush__dp_ndtr_upper(prev / sigma);
        for (size_t k = 0; k + 1 < n; k++) {
            double c = sgm_x_of(-(double)(i0 + (int64_t)k + 1) * h, q, s2);
            spread(d->p, k, mass(nrm_cdf, nrm_sf, c, prev, q, sigma), mass(mix_cdf, mix_sf, c, prev, q, sigma),
                   (double)(i0 + (int64_t)k) * h, h);
            prev = c;
        }
        d->inf = prev == -INFINITY ? 0.0 : hush__dp_ndtr(prev / sigma);
    }
    d->off = i0;
    d->len = n;
    return HUSH_OK;
}

/* Index k of the interval (l_k, l_{k+1}] holding loss v, or -1 if v <= l_0; grid-exact
 * values (1/b a multiple of h up to round-off) count as the interval's upper end. */
static long interval_of(double v, double h, int64_t i0) {
    double t = v / h, r = floor(t + 0.5);
    if (fabs(t - r) < 1e-9 * (fabs(t) + 1.0)) t = r;
    return (long)(ceil(t) - (double)i0) - 1;
}

int hush__pld_laplace(hush__pld_pmf *d, double b, double h) {
    if (b == 0.0) {
        d->len = 1;
        d->off = 0;
        d->p[0] = 0.0;
        d->inf = 1.0;
        return HUSH_OK;
    }
    /* P = Lap(0, b), Q = Lap(1, b): L = 1/b on x <= 0 (P-mass 1/2, Q-mass e^{-1/b}/2), -1/b on
     * x >= 1 (P-mass e^{-1/b}/2, Q-mass 1/2), (1 - 2x)/b in between. */
    int64_t i0;
    size_t n;
    int rc = grid_range(-1.0 / b, 1.0 / b, h, d->cap, &i0, &n);
    if (rc != HUSH_OK) return rc;
    memset(d->p, 0, n * sizeof *d->p);
    const double e1 = exp(-1.0 / b);
    long khi = interval_of(1.0 / b, h, i0), klo = interval_of(-1.0 / b, h, i0);
    if (klo < 0) d->p[0] += 0.5 * e1;
    for (size_t k = 0; k + 1 < n; k++) {
        double lk = (double)(i0 + (int64_t)k) * h;
        double xa = (1.0 - b * (lk + h)) / 2.0, xb = (1.0 - b * lk) / 2.0;
        if (xa < 0.0) xa = 0.0;
        if (xb > 1.0) xb = 1.0;
        double pa = 0.0, qa = 0.0;
        if (xa < xb) {
            pa = 0.5 * exp(-xa / b) * -expm1(-(xb - xa) / b);
            qa = 0.5 * exp(-(1.0 - xb) / b) * -expm1(-(xb - xa) / b);
        }
        if ((long)k == khi) {
            pa += 0.5;
            qa += 0.5 * e1;
        }
        if ((long)k == klo) {
            pa += 0.5 * e1;
            qa += 0.5;
        }
        spread(d->p, k, pa, qa, lk, h);
    }
    d->off = i0;
    d->len = n;
    d->inf = 0.0;
    return HUSH_OK;
}

/* ---- convolution ---- */

static void fft(double *z, size_t n, int inverse) {
    for (size_t i = 1, j = 0; i < n; i++) {
        size_t bit = n >> 1;
        for (; j & bit; bit >>= 1) j ^= bit;
        j ^= bit;
        if (i < j) {
            double tr = z[2 * i], ti = z[2 * i + 1];
            z[2 * i] = z[2 * j];
            z[2 * i + 1] = z[2 * j + 1];
            z[2 * j] = tr;
            z[2 * j + 1] = ti;
        }
    }
    const double two_pi = 6.283185307179586476925286766559;
    for (size_t len = 2; len <= n; len <<= 1) {
        size_t half = len >> 1;
        for (size_t k = 0; k < half; k++) {
            double ang = (inverse ? two_pi : -two_pi) * (double)k / (double)len;
            double wr = cos(ang), wi = sin(ang);
            for (size_t s = k; s < n; s += len) {
                size_t t = s + half;
                double xr = z[2 * t] * wr - z[2 * t + 1] * wi;
                double xi = z[2 * t] * wi + z[2 * t + 1] * wr;
                z[2 * t] = z[2 * s] - xr;
                z[2 * t + 1] = z[2 * s + 1] - xi;
                z[2 * s] += xr;
                z[2 * s + 1] += xi;
            }
        }
    }
}

static void convolve(double *out, const double *a, size_t na, const double *b, size_t nb, hush__pld_work *w) {
    size_t nout = na + nb - 1;
    if (na <= 48 || nb <= 48) {
        memset(out, 0, nout * sizeof *out);
        for (size_t i = 0; i < na; i++)
            for (size_t j = 0; j < nb; j++) out[i + j] += a[i] * b[j];
        return;
    }
    size_t n = 1;
    while (n < nout) n <<= 1;
    double *z = w->fft;
    memset(z, 0, 2 * n * sizeof *z);
    for (size_t i = 0; i < na; i++) z[2 * i] = a[i];
    for (size_t i = 0; i < nb; i++) z[2 * i + 1] = b[i];
    fft(z, n, 0);
    /* A_k = (Z_k + conj Z_{n-k}) / 2, B_k = (Z_k - conj Z_{n-k}) / (2i); the product of two real
     * sequences' spectra is Hermitian, so each pair (k, n-k) is finished together in place. */
    for (size_t k = 0; k <= n / 2; k++) {
        size_t m = (n - k) & (n - 1);
        double zr = z[2 * k], zi = z[2 * k + 1], cr = z[2 * m], ci = -z[2 * m + 1];
        double ar = 0.5 * (zr + cr), ai = 0.5 * (zi + ci);
        double br = 0.5 * (zi - ci), bi = -0.5 * (zr - cr);
        double pr = ar * br - ai * bi, pi = ar * bi + ai * br;
        z[2 * k] = pr;
        z[2 * k + 1] = pi;
        z[2 * m] = pr;
        z[2 * m + 1] = -pi;
    }
    fft(z, n, 1);
    for (size_t i = 0; i < nout; i++) {
        double v = z[2 * i] / (double)n;
        out[i] = v > 0.0 ? v : 0.0;
    }
}

int hush__pld_compose(hush__pld_pmf *dst, const hush__pld_pmf *a, const hush__pld_pmf *b, hush__pld_work *w,
                      double tail) {
    double *t = w->tmp;
    size_t n = a->len + b->len - 1;
    convolve(t, a->p, a->len, b->p, b->len, w);
    double inf = a->inf + b->inf - a->inf * b->inf;
    int64_t off = a->off + b->off;
    /* pessimistic truncation: the bottom tail moves up onto the first kept bin, the top tail to
     * +infinity; each side at most tail/2 */
    /* FFT round-off leaves values around 1e-16 of the peak in every bin, which would stop the
     * tails from ever being cut; bins below `floor` at either end are cut too. */
    double peak = 0.0;
    for (size_t i = 0; i < n; i++)
        if (t[i] > peak) peak = t[i];
    const double floor_v = 1e-13 * peak;
    size_t lo = 0, hi = n - 1;
    double cum = 0.0;
    while (lo < hi && (t[lo] <= floor_v || cum + t[lo] <= 0.5 * tail)) cum += t[lo++];
    t[lo] += cum;
    cum = 0.0;
    while (hi > lo && (t[hi] <= floor_v || cum + t[hi] <= 0.5 * tail)) cum += t[hi--];
    inf += cum;
    size_t len = hi - lo + 1;
    if (len > dst->cap) return HUSH_ERANGE;
    memmove(dst->p, t + lo, len * sizeof *t);
    dst->len = len;
    dst->off = off + (int64_t)lo;
    dst->inf = inf > 1.0 ? 1.0 : inf;
    return HUSH_OK;
}

double hush__pld_delta(const hush__pld_pmf *d, double h, double eps) {
    double s = 0.0;
    for (size_t i = d->len; i-- > 0;) {
        double l = (double)(d->off + (int64_t)i) * h;
        if (l <= eps) break;
        s += d->p[i] * -expm1(eps - l);
    }
    s += d->inf;
    return s > 1.0 ? 1.0 : s;
}

/* Smallest eps >= 0 with delta(eps) <= target. On [l_{k-1}, l_k) the bins from k up are the
 * ones above eps, and delta(eps) = inf + S_p - e^eps S_e with S_p = sum p_j and
 * S_e = sum p_j e^{-l_j}, which is solved exactly for eps. */
double hush__pld_epsilon(const hush__pld_pmf *d, double h, double delta) {
    if (d->inf > delta) return INFINITY;
    double sp = 0.0, se = 0.0;
    for (size_t i = d->len; i-- > 0;) {
        double l = (double)(d->off + (int64_t)i) * h;
        if (l <= 0.0) break;
        sp += d->p[i];
        se += d->p[i] * exp(-l);
        /* next breakpoint below: the loss of bin i-1, or 0 */
        double lower = i > 0 ? (double)(d->off + (int64_t)i - 1) * h : 0.0;
        if (lower < 0.0) lower = 0.0;
        double dl = d->inf + sp - exp(lower) * se;
        if (dl > delta) {
            double e = log((d->inf + sp - delta) / se);
            return e > lower ? e : lower;
        }
    }
    return 0.0;
}
