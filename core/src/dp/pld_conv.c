/* PLD convolution: products of components by direct sums or by a radix-2 FFT (tilted where the
 * tail matters, see conv_add), cut to windows from the log-MGF bounds every distribution carries
 * (Chernoff bounds on both tails, free of FFT round-off). pld.c explains the error model. */
#include "dp/pld_internal.h"

#include <math.h>
#include <string.h>

#include "dp/dpmath.h"

#define DIRECT_MAX 40000 /* direct convolution below this many products (no round-off) */

/* ---- convolution ---- */

/* In-place radix-2 FFT of n complex points (interleaved), n a power of two up to the table's:
 * bit reversal, then the butterflies stage by stage with the stage's twiddles in order. */
static void fft(double *z, size_t n, const double *tw, int inverse) {
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
    /* len 2 and 4: the twiddles are 1 and -i (+i inverse) */
    for (size_t s = 0; s + 1 < n; s += 2) {
        double ar = z[2 * s], ai = z[2 * s + 1], br = z[2 * s + 2], bi = z[2 * s + 3];
        z[2 * s] = ar + br;
        z[2 * s + 1] = ai + bi;
        z[2 * s + 2] = ar - br;
        z[2 * s + 3] = ai - bi;
    }
    if (n >= 4) {
        const double g = inverse ? -1.0 : 1.0;
        for (size_t s = 0; s < n; s += 4) {
            double *a0 = z + 2 * s, *a1 = a0 + 2, *b0 = a0 + 4, *b1 = a0 + 6;
            double xr = b0[0], xi = b0[1];
            b0[0] = a0[0] - xr;
            b0[1] = a0[1] - xi;
            a0[0] += xr;
            a0[1] += xi;
            /* times -i (forward) or +i (inverse) */
            double yr = g * b1[1], yi = -g * b1[0];
            b1[0] = a1[0] - yr;
            b1[1] = a1[1] - yi;
            a1[0] += yr;
            a1[1] += yi;
        }
    }
    /* the remaining stages two at a time (radix 2^2: half the passes over memory): stage 2m with
     * twiddle W = e^{-2 pi i k / 2m} on (a0, a1) and (a2, a3), then stage 4m with V = e^{-2 pi i k / 4m}
     * on (b0, b2) and V e^{-i pi / 2} = -i V on (b1, b3); an odd last stage alone */
    const double sg = inverse ? -1.0 : 1.0;
    size_t m = 4;
    for (; 4 * m <= n; m *= 4) {
        const double *tw2 = tw + 2 * (m - 1), *tw4 = tw + 2 * (2 * m - 1);
        for (size_t s0 = 0; s0 < n; s0 += 4 * m) {
            double *p0 = z + 2 * s0, *p1 = p0 + 2 * m, *p2 = p1 + 2 * m, *p3 = p2 + 2 * m;
            for (size_t k = 0; k < m; k++) {
                double wr = tw2[2 * k], wi = sg * tw2[2 * k + 1], vr = tw4[2 * k], vi = sg * tw4[2 * k + 1];
                double a0r = p0[2 * k], a0i = p0[2 * k + 1], a1r = p1[2 * k], a1i = p1[2 * k + 1];
                double a2r = p2[2 * k], a2i = p2[2 * k + 1], a3r = p3[2 * k], a3i = p3[2 * k + 1];
                double t1r = a1r * wr - a1i * wi, t1i = a1r * wi + a1i * wr;
                double t3r = a3r * wr - a3i * wi, t3i = a3r * wi + a3i * wr;
                double b0r = a0r + t1r, b0i = a0i + t1i, b1r = a0r - t1r, b1i = a0i - t1i;
                double b2r = a2r + t3r, b2i = a2i + t3i, b3r = a2r - t3r, b3i = a2i - t3i;
                double u2r = b2r * vr - b2i * vi, u2i = b2r * vi + b2i * vr;
                /* (-i) V b3 forward, (+i) V b3 inverse: V b3 then times -sg i */
                double x3r = b3r * vr - b3i * vi, x3i = b3r * vi + b3i * vr;
                double u3r = sg * x3i, u3i = -sg * x3r;
                p0[2 * k] = b0r + u2r;
                p0[2 * k + 1] = b0i + u2i;
                p2[2 * k] = b0r - u2r;
                p2[2 * k + 1] = b0i - u2i;
                p1[2 * k] = b1r + u3r;
                p1[2 * k + 1] = b1i + u3i;
                p3[2 * k] = b1r - u3r;
                p3[2 * k + 1] = b1i - u3i;
            }
        }
    }
    if (2 * m <= n) { /* one stage left: len 2m */
        const double *t = tw + 2 * (m - 1);
        for (size_t s0 = 0; s0 < n; s0 += 2 * m) {
            double *pa = z + 2 * s0, *pb = pa + 2 * m;
            for (size_t k = 0; k < m; k++) {
                double wr = t[2 * k], wi = sg * t[2 * k + 1];
                double xr = pb[2 * k] * wr - pb[2 * k + 1] * wi;
                double xi = pb[2 * k] * wi + pb[2 * k + 1] * wr;
                pb[2 * k] = pa[2 * k] - xr;
                pb[2 * k + 1] = pa[2 * k + 1] - xi;
                pa[2 * k] += xr;
                pa[2 * k + 1] += xi;
            }
        }
    }
}

/* sin and cos on [-pi/4, pi/4] (fdlibm's kernels, as in FreeBSD and musl; Sun's notice:
 * "Copyright (C) 1993 by Sun Microsystems, Inc. All rights reserved. Developed at SunPro, a Sun
 * Microsystems, Inc. business. Permission to use, copy, modify, and distribute this software is
 * freely granted, provided that this notice is preserved."). Only + - * on fixed coefficients, so
 * every build gets the same twiddles; libm's sin and cos differ in last bits between glibc and
 * musl, and the FFT's round-off (which sets tail windows) follows them. */
static double sin_kernel(double x) {
    const double S1 = -1.66666666666666324348e-01, S2 = 8.33333333332248946124e-03,
                 S3 = -1.98412698298579493134e-04, S4 = 2.75573137070700676789e-06,
                 S5 = -2.50507602534068634195e-08, S6 = 1.58969099521155010221e-10;
    double z = x * x, w = z * z, r = S2 + z * (S3 + z * S4) + z * w * (S5 + z * S6), v = z * x;
    return x + v * (S1 + z * r);
}

static double cos_kernel(double x) {
    const double C1 = 4.16666666666666019037e-02, C2 = -1.38888888888741095749e-03,
                 C3 = 2.48015872894767294178e-05, C4 = -2.75573143513906633035e-07,
                 C5 = 2.08757232129817482790e-09, C6 = -1.13596475577881948265e-11;
    double z = x * x, w = z * z, r = z * (C1 + z * (C2 + z * C3)) + w * w * (C4 + z * (C5 + z * C6));
    double hz = 0.5 * z, u = 1.0 - hz;
    return u + (((1.0 - u) - hz) + z * r);
}

/* FFT twiddles, stage by stage: for len = 2^m the len/2 factors e^{-2 pi i k / len} at complex
 * offset len/2 - 1, so every stage reads them in order (computed once, from one table of the
 * largest size, which the stages sample). The angle 2 pi k / n is reduced to [0, pi/4] exactly,
 * on the integer k, by the symmetries of sin and cos. */
void hush__pld_fft_twiddles(double *tw, size_t n) {
    const double two_pi = 6.283185307179586476925286766559;
    double *base = tw + (n - 2); /* the last stage's table, len = n, at complex offset n/2 - 1 */
    /* the octant ends: k <= q1 (angle <= pi/4), q2 (pi/2), q3 (3 pi/4); no 8 k to overflow */
    size_t q1 = n / 8, q2 = n / 4, q3 = n / 8 * 3 + n % 8 * 3 / 8;
    for (size_t k = 0; k < n / 2; k++) {
        size_t j = k <= q1 ? k : k <= q2 ? q2 - k : k <= q3 ? k - q2 : n / 2 - k;
        double x = two_pi * (double)j / (double)n, c = cos_kernel(x), s = sin_kernel(x);
        if (k <= q1) {
            base[2 * k] = c;
            base[2 * k + 1] = -s;
        } else if (k <= q2) { /* angle pi/2 - x */
            base[2 * k] = s;
            base[2 * k + 1] = -c;
        } else if (k <= q3) { /* pi/2 + x */
            base[2 * k] = -s;
            base[2 * k + 1] = -c;
        } else { /* pi - x */
            base[2 * k] = -c;
            base[2 * k + 1] = -s;
        }
    }
    for (size_t len = 2; len < n; len <<= 1) {
        size_t half = len / 2, st = n / len;
        double *t = tw + 2 * (half - 1);
        for (size_t k = 0; k < half; k++) {
            t[2 * k] = base[2 * k * st];
            t[2 * k + 1] = base[2 * k * st + 1];
        }
    }
}

/* log sum_i |p_i| e^{t l_i} over a component (Horner: no exp per element, nothing overflows) */
static double comp_log_mgf(const hush__pld_comp *c, double t) {
    if (!c->len) return -INFINITY;
    double h = hush__pld_comp_h(c), s = 0.0;
    if (t > 0.0) {
        double f = hush_exp(-t * h);
        for (size_t i = 0; i < c->len; i++) s = s * f + fabs(c->p[i]);
        return hush_log(s) + t * hush__pld_comp_loss(c, c->len - 1);
    }
    double f = hush_exp(t * h);
    for (size_t i = c->len; i-- > 0;) s = s * f + fabs(c->p[i]);
    return hush_log(s) + t * hush__pld_comp_loss(c, 0);
}

/* log of the largest factor by which a rounding onto a grid of spacing H can multiply E[e^{tL}]:
 * for connect-the-dots, max over d in [0, H] of (1 - u) e^{-td} + u e^{t(H - d)},
 * u = (1 - e^{-d}) / (1 - e^{-H}) (about t(t+1)H^2/8: second order), sampled at 63 points with a 5%
 * margin on the logarithm. (Optimistic groupings move mass by about as much; their windows need
 * no rigour: cutting true mass only lowers an optimistic delta further.) */
static double log_rho(double t, double H) {
    double den = -hush_expm1(-H), best = 0.0;
    for (int k = 1; k < 64; k++) {
        double d = H * (double)k / 64.0, u = -hush_expm1(-d) / den;
        double v = hush__dp_log_add(hush_log1p(-u) - t * d, hush_log(u) + t * (H - d));
        if (v > best) best = v;
    }
    return 1.05 * best;
}

/* the factors of a rounding onto spacing 2^e at every t */
void hush__pld_lm_rho(double *r, const double *t, int e) {
    double H = ldexp(1.0, e);
    for (int k = 0; k < HUSH__PLD_NT; k++) r[k] = log_rho(t[k], H);
}

void hush__pld_lm_coarsen(double *lm, const double *t, int e) {
    double H = ldexp(1.0, e);
    for (int k = 0; k < HUSH__PLD_NT; k++) lm[k] += log_rho(t[k], H);
}

/* adds mass m at loss l to a log-MGF bound */
void hush__pld_lm_add_mass(double *lm, const double *t, double m, double l) {
    if (!(m > 0.0)) return;
    for (int k = 0; k < HUSH__PLD_NT; k++) lm[k] = hush__dp_log_add(lm[k], hush_log(m) + t[k] * l);
}

void hush__pld_lm_merge(double *dst, const double *src) {
    for (int k = 0; k < HUSH__PLD_NT; k++) dst[k] = hush__dp_log_add(dst[k], src[k]);
}

/* [lo, hi] (losses) outside which a distribution with log-MGF bound lm has mass at most tau/2 on
 * each side: P[L >= x] <= M(t) e^{-tx} for t > 0, P[L <= x] <= M(t) e^{-tx} for t < 0. */
static void lm_window(const double *lm, const double *t, double tau, double *lo, double *hi) {
    double lt = hush_log(2.0 / tau);
    *lo = -INFINITY;
    *hi = INFINITY;
    for (int k = 0; k < HUSH__PLD_NT; k++) {
        double x = (lm[k] + lt) / t[k];
        if (t[k] > 0.0 && x < *hi) *hi = x; /* NaN never compares */
        if (t[k] < 0.0 && x > *lo) *lo = x;
    }
}

/* the t > 0 of the tightest Chernoff bound on an upper tail of mass tau (0 if none): tilting by it
 * puts the tilted distribution's peak near that tail */
static double lm_tilt(const double *lm, const double *t, double tau) {
    double lt = hush_log(1.0 / tau), best = INFINITY, th = 0.0;
    for (int k = 0; k < HUSH__PLD_NT; k++) {
        if (!(t[k] > 0.0)) continue;
        double x = (lm[k] + lt) / t[k];
        if (x < best) {
            best = x;
            th = t[k];
        }
    }
    return th;
}

/* the log-MGF bounds of d from its arrays (for noise-free arrays: single steps) */
void hush__pld_lm_of_arrays(hush__pld *d, const double *t) {
    for (int k = 0; k < HUSH__PLD_NT; k++) {
        d->lmf[k] = comp_log_mgf(&d->f, t[k]);
        d->lmc[k] = comp_log_mgf(&d->c, t[k]);
    }
}

/* the union index range of a sum of components on one lattice */
int64_t hush__pld_terms_range(const hush__pld_term *t, int n, int64_t *lo) {
    int64_t a = INT64_MAX, b = INT64_MIN;
    for (int i = 0; i < n; i++) {
        if (!t[i].c || !t[i].c->len) continue;
        if (t[i].c->off < a) a = t[i].c->off;
        if (t[i].c->off + (int64_t)t[i].c->len > b) b = t[i].c->off + (int64_t)t[i].c->len;
    }
    *lo = a;
    return b > a ? b - a : 0;
}

static double terms_phase(const hush__pld_term *t, int n) {
    for (int i = 0; i < n; i++)
        if (t[i].c && t[i].c->len) return t[i].c->ph;
    return 0.0;
}

static void pack(double *dst, size_t stride, int64_t lo, size_t n, const hush__pld_term *t, int nt) {
    for (size_t i = 0; i < n; i++) dst[i * stride] = 0.0;
    for (int k = 0; k < nt; k++) {
        if (!t[k].c || !t[k].c->len) continue;
        size_t at = (size_t)(t[k].c->off - lo);
        for (size_t i = 0; i < t[k].c->len; i++) dst[(at + i) * stride] += t[k].coef * t[k].c->p[i];
    }
}

/* From the DFT P of a real sequence of n points (n/2 + 1 values at P[0..n/2] suffice, by
 * symmetry, but all n are read here: p(k) for k < n), the half-size spectrum whose inverse DFT of
 * n/2 points is x_{2m} + i x_{2m+1}: Y_k = (P_k + P_{k+n/2}) / 2 + i e^{2 pi i k/n} (P_k - P_{k+n/2}) / 2. */
static void half_spectrum(double *z, size_t n, const double *tw) {
    size_t n2 = n / 2;
    const double *t = tw + 2 * (n2 - 1); /* e^{-2 pi i k / n}, k < n/2 */
    for (size_t k = 0; k < n2; k++) {
        double pr = z[2 * k], pi = z[2 * k + 1], qr = z[2 * (k + n2)], qi = z[2 * (k + n2) + 1];
        double er = 0.5 * (pr + qr), ei = 0.5 * (pi + qi), dr = 0.5 * (pr - qr), di = 0.5 * (pi - qi);
        double cr = t[2 * k], ci = -t[2 * k + 1]; /* e^{+2 pi i k / n} */
        double or_ = dr * cr - di * ci, oi = dr * ci + di * cr;
        z[2 * k] = er - oi; /* E + i O */
        z[2 * k + 1] = ei + or_;
    }
}

/* out[0 .. la+lb-2] = A (x) B by FFT (inputs packed from the terms at alo, blo; out not in w->z).
 * theta > 0: the inputs tilted by e^{theta h i} (i their index from alo, blo) and the tilted
 * product returned, with the log of the factor that maps it back: product[k] = out[k]
 * e^{ret - theta h k}; entries below k0 are then not computed (0). *lnoise: log of the round-off
 * per bin, in out's units. A square (A and B the same terms) takes half-size transforms: the
 * forward of one real sequence packed as x_{2m} + i x_{2m+1}, and, always, the inverse of the
 * real product from its half spectrum. */
static double fft_conv(double *out, double *lnoise, size_t *k0, const hush__pld_term *A, int na, int64_t alo, size_t la,
                       const hush__pld_term *B, int nb, int64_t blo, size_t lb, int square, double theta, double h,
                       hush__pld_work *w) {
    size_t nout = la + lb - 1, n = hush__pld_next_pow2(nout);
    if (n < 4) n = 4;
    double *z = w->z, ret = 0.0;
    int nch = square ? 1 : 2;
    *k0 = 0;
    memset(z, 0, 2 * n * sizeof(double));
    pack(z, 2, alo, la, A, na);
    if (!square) pack(z + 1, 2, blo, lb, B, nb);
    size_t lens[2] = {la, lb};
    int ex[2] = {0, 0};
    double nrm[2] = {0.0, 0.0};
    if (theta > 0.0) { /* tilt each input in log space, peak 1 */
        for (int c = 0; c < nch; c++) {
            size_t m = lens[c];
            double mx = -INFINITY;
            for (size_t i = 0; i < m; i++) {
                double v = z[2 * i + (size_t)c];
                if (v == 0.0) continue;
                double lv = hush_log(fabs(v)) + theta * h * (double)i;
                if (lv > mx) mx = lv;
            }
            if (mx == -INFINITY) continue;
            for (size_t i = 0; i < m; i++) {
                double v = z[2 * i + (size_t)c];
                if (v == 0.0) continue;
                z[2 * i + (size_t)c] = copysign(hush_exp(hush_log(fabs(v)) + theta * h * (double)i - mx), v);
            }
            ret += square ? 2.0 * mx : mx;
        }
        /* entries the tilt puts below 1e-20 of the peak add nothing above the round-off: drop the
         * lower ones, which shortens the transform (a deep tilt keeps little of either input) */
        size_t cut[2] = {0, 0};
        for (int c = 0; c < nch; c++) {
            while (cut[c] + 1 < lens[c] && fabs(z[2 * cut[c] + (size_t)c]) < 1e-20) cut[c]++;
            if (!cut[c]) continue;
            for (size_t i = 0; i + cut[c] < lens[c]; i++) z[2 * i + (size_t)c] = z[2 * (i + cut[c]) + (size_t)c];
            for (size_t i = lens[c] - cut[c]; i < lens[c]; i++) z[2 * i + (size_t)c] = 0.0;
            lens[c] -= cut[c];
        }
        if (square) {
            cut[1] = cut[0];
            lens[1] = lens[0];
        }
        *k0 = cut[0] + cut[1];
        nout = lens[0] + lens[1] - 1;
        n = hush__pld_next_pow2(nout);
        if (n < 4) n = 4;
    }
    /* Both inputs scaled to a peak near 1 (by powers of two: exact): the round-off of the packed
     * transform is relative to the larger of the two, which would otherwise swamp a small factor
     * (a coarse tail of mass 1e-7 against a bulk of mass 1 loses 9 digits). */
    for (int c = 0; c < nch; c++) {
        double mx = 0.0;
        for (size_t i = 0; i < lens[c]; i++)
            if (fabs(z[2 * i + (size_t)c]) > mx) mx = fabs(z[2 * i + (size_t)c]);
        if (mx > 0.0) (void)frexp(mx, &ex[c]);
        for (size_t i = 0; i < lens[c]; i++) {
            double v = ldexp(z[2 * i + (size_t)c], -ex[c]);
            z[2 * i + (size_t)c] = v;
            nrm[c] += v * v;
        }
    }
    if (square) {
        ex[1] = ex[0];
        nrm[1] = nrm[0];
    }
    /* round-off of an FFT convolution: about eps_mach log2(n) |a|_2 |b|_2 in every bin (a margin of
     * 4 on the usual eps sqrt(log n) for the packing and the peaks) */
    *lnoise = hush_log(4.0 * 1.1e-16 * (double)hush__pld_pow2_exp((double)n) * sqrt(nrm[0] * nrm[1]) + 1e-300) +
              (double)(ex[0] + ex[1]) * HUSH__DP_LN2;
    size_t n2 = n / 2;
    if (square) {
        /* the real sequence a (in the real channel) as n/2 complex points a_{2m} + i a_{2m+1} */
        for (size_t i = 0; i < n; i++) z[i] = z[2 * i];
        memset(z + n, 0, n * sizeof(double));
        fft(z, n2, w->tw, 0);
        /* A_k = E_k + e^{-2 pi i k/n} O_k, A_{k+n/2} = E_k - e^{-2 pi i k/n} O_k, with
         * E_k = (Y_k + conj Y_{n/2-k}) / 2, O_k = (Y_k - conj Y_{n/2-k}) / (2i); then P = A^2 and back to
         * the half spectrum of the product (pairs (k, n/2 - k) together, in place) */
        const double *t = w->tw + 2 * (n2 - 1);
        for (size_t k = 0; k <= n2 / 2; k++) {
            size_t m = (n2 - k) & (n2 - 1);
            double yk_r = z[2 * k], yk_i = z[2 * k + 1], ym_r = z[2 * m], ym_i = z[2 * m + 1];
            double res[2][2];
            for (int side = 0; side < 2; side++) {
                size_t j = side ? m : k;
                double ar = side ? ym_r : yk_r, ai = side ? ym_i : yk_i;
                double br = side ? yk_r : ym_r, bi = side ? -yk_i : -ym_i;
                double er = 0.5 * (ar + br), ei = 0.5 * (ai + bi);     /* E_j */
                double or_ = 0.5 * (ai - bi), oi = -0.5 * (ar - br);   /* O_j = (Y_j - conj Y_{n2-j}) / 2i */
                double wr = t[2 * j], wi = t[2 * j + 1];
                double tr = or_ * wr - oi * wi, ti = or_ * wi + oi * wr; /* W^j O_j */
                double x1r = er + tr, x1i = ei + ti, x2r = er - tr, x2i = ei - ti;   /* A_j, A_{j+n2} */
                double p1r = x1r * x1r - x1i * x1i, p1i = 2.0 * x1r * x1i;
                double p2r = x2r * x2r - x2i * x2i, p2i = 2.0 * x2r * x2i;
                double e2r = 0.5 * (p1r + p2r), e2i = 0.5 * (p1i + p2i), dr = 0.5 * (p1r - p2r), di = 0.5 * (p1i - p2i);
                double cr = wr, ci = -wi; /* e^{+2 pi i j / n} */
                double o2r = dr * cr - di * ci, o2i = dr * ci + di * cr;
                res[side][0] = e2r - o2i;
                res[side][1] = e2i + o2r;
            }
            z[2 * k] = res[0][0];
            z[2 * k + 1] = res[0][1];
            z[2 * m] = res[1][0];
            z[2 * m + 1] = res[1][1];
        }
    } else {
        fft(z, n, w->tw, 0);
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
        half_spectrum(z, n, w->tw);
    }
    fft(z, n2, w->tw, 1);
    double sc = 1.0 / (double)n2;
    if (theta > 0.0) {
        ret += (double)(ex[0] + ex[1]) * HUSH__DP_LN2;
        *lnoise -= (double)(ex[0] + ex[1]) * HUSH__DP_LN2; /* in tilted units; the caller untilts with ret */
    } else {
        sc = ldexp(sc, ex[0] + ex[1]);
    }
    for (size_t i = 0; i < *k0; i++) out[i] = 0.0;
    for (size_t i = 0; i < nout; i++) out[*k0 + i] = z[i] * sc; /* x_{2m}, x_{2m+1} = Re, Im y_m */
    return ret;
}


/* acc (room doubles) += A (x) B, A and B sums of components on the grid 2^e (the terms of each
 * sharing a phase), cut to the losses [wlo, whi] (a window of the exact product: beyond it at most
 * tau/2 of mass per side, accounted here; inside it the FFT round-off stays, signed). An empty acc
 * takes the product's phase; otherwise a product on another phase is regrouped onto acc's
 * (optimistic only). The caller has checked that len(A) + len(B) - 1 <= nfft. */
#define NTILT 1

static void conv_add(hush__pld_comp *acc, size_t room, const hush__pld_term *A, int na, const hush__pld_term *B, int nb,
                     int e, int mode, double wlo, double whi, const double *theta, double tau, double *inf,
                     hush__pld_work *w) {
    int64_t alo, blo;
    size_t la = (size_t)hush__pld_terms_range(A, na, &alo), lb = (size_t)hush__pld_terms_range(B, nb, &blo);
    if (!la || !lb) return;
    int square = na == nb;
    for (int i = 0; square && i < na; i++) square = A[i].c == B[i].c && A[i].coef == B[i].coef;
    size_t nout = la + lb - 1;
    double *z = w->z, *out, h = ldexp(1.0, e);
    double ph = terms_phase(A, na) + terms_phase(B, nb);
    int64_t base = alo + blo;
    if (ph >= h) {
        double c = floor(ph / h);
        base += (int64_t)c;
        ph -= c * h;
        if (ph < 0.0 || ph >= h) ph = 0.0;
    }
    if ((double)la * (double)lb <= DIRECT_MAX) {
        double *a = z, *b = z + la;
        out = z + la + lb;
        pack(a, 1, alo, la, A, na);
        pack(b, 1, blo, lb, B, nb);
        memset(out, 0, nout * sizeof(double));
        for (size_t i = 0; i < la; i++) {
            double ai = a[i];
            if (ai == 0.0) continue;
            for (size_t j = 0; j < lb; j++) out[i + j] += ai * b[j];
        }
    } else {
        out = w->y;
        double lnp;
        size_t k0;
        fft_conv(out, &lnp, &k0, A, na, alo, la, B, nb, blo, lb, square, 0.0, h, w);
        /* The round-off is about 1e-16 of the peak in every bin, while delta at 1e-12 depends on
         * upper-tail bins 1e-15 below it. So the product is computed again tilted, from
         * a_i e^{th l_i} and b_j e^{th l_j} with th the caller's Chernoff parameter of the tail
         * (theta[j]): the tilted product peaks there and its round-off is relative to that. Each
         * bin is taken from the transform whose round-off (a line in log scale: the transform's
         * peak, untilted) is the lowest there. Both are the same exact product. */
        double ln_[NTILT + 1], th_[NTILT + 1], pk = 0.0;
        for (size_t i = 0; i < nout; i++)
            if (fabs(out[i]) > pk) pk = fabs(out[i]);
        int nl = 0;
        if (pk > 0.0) {
            ln_[0] = lnp; /* log of the round-off per bin */
            th_[0] = 0.0;
            nl = 1;
        }
        for (int j = 0; j < NTILT && nl; j++) {
            double th = theta[j];
            if (!(th > 1.25 * th_[nl - 1]) || th * h * (double)nout < 1.0) continue;
            size_t kt;
            double *tl = w->y2, lnt, lt = fft_conv(tl, &lnt, &kt, A, na, alo, la, B, nb, blo, lb, square, th, h, w);
            double c = lnt + lt; /* round-off at bin i: e^{c - th h i} */
            for (size_t i = kt; i < nout; i++) {
                double mine = c - th * h * (double)i, env = INFINITY;
                for (int k = 0; k < nl; k++) {
                    double v = ln_[k] - th_[k] * h * (double)i;
                    if (v < env) env = v;
                }
                if (mine < env) out[i] = tl[i] * hush_exp(lt - th * h * (double)i);
            }
            ln_[nl] = c;
            th_[nl] = th;
            nl++;
        }
    }
    /* the window in output indices */
    double flo = ceil((wlo - ph) / h) - (double)base, fhi = floor((whi - ph) / h) - (double)base;
    size_t lo = !(flo > 0.0) ? 0 : flo >= (double)nout ? nout - 1 : (size_t)flo;
    size_t hi = !(fhi < (double)(nout - 1)) ? nout - 1 : fhi < 0.0 ? 0 : (size_t)fhi;
    if (hi < lo) hi = lo;
    if (mode == HUSH__PLD_PESSIMISTIC) {
        if (lo > 0) out[lo] += 0.5 * tau;
        if (hi + 1 < nout) *inf += 0.5 * tau;
    }
    hush__pld_comp r = {out + lo, hi - lo + 1, base + (int64_t)lo, e, ph};
    if (acc->len && acc->ph != ph) { /* regroup onto acc's lattice (the products are wide) */
        hush__pld_comp g;
        hush__pld_coarsen(&g, w->s[5], &r, e, acc->ph, mode);
        (void)hush__pld_add_into(acc, &g, room);
        return;
    }
    if (!acc->len) acc->ph = ph;
    (void)hush__pld_add_into(acc, &r, room);
}

/* lm of a product of two factors with log-MGF bounds x and y plus rounding factors rx, ry */
void hush__pld_lm_prod(double *out, const double *x, const double *rx, const double *y, const double *ry) {
    for (int k = 0; k < HUSH__PLD_NT; k++) out[k] = x[k] + rx[k] + y[k] + ry[k];
}

/* acc += the product of the factors, windowed by their bound lm (merged into lm_acc) */
void hush__pld_conv_win(hush__pld_comp *acc, const hush__pld_term *A, int na, const hush__pld_term *B, int nb, int e,
                        int mode, const double *lm, double *lm_acc, double tau, double *inf, hush__pld_work *w) {
    double wlo, whi, th[NTILT];
    lm_window(lm, w->t, tau, &wlo, &whi);
    th[0] = lm_tilt(lm, w->t, 1e-11);
    conv_add(acc, w->nfft, A, na, B, nb, e, mode, wlo, whi, th, tau, inf, w);
    hush__pld_lm_merge(lm_acc, lm);
    /* the lower edge may have received tau/2 (pessimistic) */
    if (mode == HUSH__PLD_PESSIMISTIC && isfinite(wlo)) hush__pld_lm_add_mass(lm_acc, w->t, 0.5 * tau, wlo);
}
