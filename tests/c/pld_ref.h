/* An independent high-precision reference for the T-fold composition of the Poisson-subsampled
 * Gaussian (add-or-remove neighbours), used to check the PLD accountant. No grid, no FFT, no
 * discretisation of the loss: the hockey-stick divergence is inverted from the exact moment
 * generating function of one step.
 *
 * delta(eps) = E[(1 - e^{eps - L_T})_+]. For y = L - eps, (1 - e^{-y})_+ has the two-sided Laplace
 * transform 1 / (s (s + 1)) (Re s > 0), so for any c > 0
 *     delta(eps) = (1/pi) int_0^inf Re[ M(c + iu)^T e^{-(c + iu) eps} / ((c + iu)(c + iu + 1)) ] du
 * with M(s) = E_P[e^{s L}] the moment generating function of one step's loss (Zhu, Dong, Wang 2022
 * use the same idea with characteristic functions). M is the Renyi moment
 *     remove: M(s) = int N(x; 0, sigma^2) r(x)^{1+s} dx,   add: M(s) = int N(x; 0, sigma^2) r(x)^{-s} dx,
 *     r(x) = 1 - q + q e^{(2x - 1)/(2 sigma^2)},
 * computed by the trapezoid rule in long double (the integrand is analytic and decays like a
 * Gaussian, so the rule converges geometrically). c is the saddle point of T log M(c) - c eps, where
 * the integrand is smooth and non-oscillating, so a trapezoid rule in u over a few hundred points is
 * accurate to many digits. Cost: O(x points x u points); meant for T >= 10 (one step is exact in
 * closed form: pld_ref_delta1). */
#ifndef HUSH_TEST_PLD_REF_H
#define HUSH_TEST_PLD_REF_H

#include <complex.h>
#include <math.h>
#include <stdlib.h>

typedef struct pld_ref {
    double q, sigma;
    unsigned long long T;
    int remove;
    long double c;
    /* x grid */
    long nx;
    long double *w, *lr; /* trapezoid weight times density, and log r */
    /* u grid, M(c + iu)^T e^{-iu 0} cached as log-modulus and phase */
    long nu;
    long double du, *lmod, *arg;
    int converged; /* 0: the u integral was cut before its integrand vanished (small T) */
} pld_ref;

static long double pld_ref_lr(const pld_ref *r, long double x) {
    long double u = (2.0L * x - 1.0L) / (2.0L * (long double)r->sigma * r->sigma);
    if (r->q == 1.0) return u;
    if (u < 30.0L) return log1pl((long double)r->q * expm1l(u));
    return u + logl((long double)r->q) + log1pl((1.0L - r->q) / r->q * expl(-u));
}

/* log M(c + iu) (real part in *lm, imaginary part in *ar) */
static void pld_ref_logm(const pld_ref *r, long double c, long double u, long double *lm, long double *ar) {
    long double re = 0.0L, im = 0.0L;
    for (long i = 0; i < r->nx; i++) {
        long double a = r->remove ? (1.0L + c) * r->lr[i] : -c * r->lr[i];
        long double b = r->remove ? u * r->lr[i] : -u * r->lr[i];
        long double m = r->w[i] * expl(a);
        re += m * cosl(b);
        im += m * sinl(b);
    }
    *lm = 0.5L * logl(re * re + im * im);
    *ar = atan2l(im, re);
}

static void pld_ref_grid_x(pld_ref *r, long double c) {
    long double s = r->sigma, lo = -14.0L * s, hi = (r->remove ? 1.0L + c : 0.0L) + 14.0L * s;
    if (r->q == 1.0 && !r->remove) hi = 14.0L * s;
    long double dx = s / 24.0L;
    r->nx = (long)((hi - lo) / dx) + 1;
    free(r->w);
    free(r->lr);
    r->w = malloc((size_t)r->nx * sizeof *r->w);
    r->lr = malloc((size_t)r->nx * sizeof *r->lr);
    for (long i = 0; i < r->nx; i++) {
        long double x = lo + dx * i;
        r->w[i] = dx * expl(-x * x / (2.0L * s * s)) / (sqrtl(2.0L * 3.14159265358979323846264338327950288L) * s);
        r->lr[i] = pld_ref_lr(r, x);
    }
}

/* Saddle point of T log M(c) - c eps - log(c (c + 1)), by golden section on log c. */
static long double pld_ref_saddle(pld_ref *r, double eps) {
    long double a = logl(1e-3L), b = logl(400.0L), g = 0.61803398874989484820L;
    for (int it = 0; it < 60; it++) {
        long double m1 = b - g * (b - a), m2 = a + g * (b - a), f[2];
        for (int k = 0; k < 2; k++) {
            long double c = expl(k ? m2 : m1), lm, ar;
            pld_ref_grid_x(r, c);
            pld_ref_logm(r, c, 0.0L, &lm, &ar);
            f[k] = (long double)r->T * lm - c * eps - logl(c * (c + 1.0L));
            if (!isfinite(f[k])) f[k] = INFINITY;
        }
        if (f[0] < f[1])
            b = m2;
        else
            a = m1;
    }
    return expl(0.5L * (a + b));
}

/* Prepares the u grid at the saddle point for eps0. */
static void pld_ref_prepare(pld_ref *r, double eps0) {
    r->c = pld_ref_saddle(r, eps0);
    pld_ref_grid_x(r, r->c);
    /* tilted variance per step from a second difference of log M */
    long double h = 1e-4L * (r->c + 1.0L), l0, l1, l2, ar;
    pld_ref_logm(r, r->c - h, 0, &l0, &ar);
    pld_ref_logm(r, r->c, 0, &l1, &ar);
    pld_ref_logm(r, r->c + h, 0, &l2, &ar);
    long double v = (l0 - 2 * l1 + l2) / (h * h);
    if (!(v > 0)) v = 1e-30L;
    long double sd = sqrtl((long double)r->T * v);
    r->du = 2.0L * 3.14159265358979323846L / (60.0L * (sd + 1.0L));
    long cap = 20000;
    free(r->lmod);
    free(r->arg);
    r->lmod = malloc((size_t)cap * sizeof *r->lmod);
    r->arg = malloc((size_t)cap * sizeof *r->arg);
    r->nu = 0;
    for (long k = 0; k < cap; k++) {
        long double lm, a;
        pld_ref_logm(r, r->c, r->du * k, &lm, &a);
        r->lmod[k] = (long double)r->T * lm;
        r->arg[k] = fmodl((long double)r->T * a, 2.0L * 3.14159265358979323846L);
        r->nu = k + 1;
        long double u = r->du * k, s2 = (r->c * r->c + u * u) * ((r->c + 1) * (r->c + 1) + u * u);
        if (k > 10 && r->lmod[k] - r->lmod[0] - 0.5L * logl(s2) < -75.0L) break;
    }
    r->converged = r->nu < cap;
}

static double pld_ref_delta(const pld_ref *r, double eps) {
    long double sum = 0.0L;
    for (long k = 0; k < r->nu; k++) {
        long double u = r->du * k;
        long double complex s = r->c + I * u;
        long double complex v = cexpl(r->lmod[k] - r->c * eps + I * (r->arg[k] - u * eps)) / (s * (s + 1.0L));
        sum += (k == 0 ? 0.5L : 1.0L) * creall(v);
    }
    return (double)(sum * r->du / 3.14159265358979323846L);
}

/* Smallest eps with delta(eps) <= delta, by bisection (delta is decreasing in eps). */
static double pld_ref_epsilon_dir(pld_ref *r, double delta, double guess) {
    double lo = 0.0, hi = guess > 0 ? 2.0 * guess + 1.0 : 1.0;
    for (int pass = 0; pass < 2; pass++) {
        pld_ref_prepare(r, pass == 0 ? guess : 0.5 * (lo + hi));
        if (pld_ref_delta(r, 0.0) <= delta) return 0.0;
        lo = 0.0;
        while (pld_ref_delta(r, hi) > delta) hi *= 2.0;
        for (int it = 0; it < 80; it++) {
            double mid = 0.5 * (lo + hi);
            if (pld_ref_delta(r, mid) > delta) lo = mid;
            else hi = mid;
        }
    }
    return 0.5 * (lo + hi);
}

static void pld_ref_free(pld_ref *r) {
    free(r->w);
    free(r->lr);
    free(r->lmod);
    free(r->arg);
}

/* One step exactly: delta(eps) = P[L > eps] - e^eps Q[L > eps], L monotone in x, so both are
 * normal tail probabilities at the x where the loss crosses eps (long double erfc). */
static long double pld_ref_ndtr(long double z) { return 0.5L * erfcl(-z / sqrtl(2.0L)); }
static double pld_ref_delta1(double q, double sigma, int remove, double eps) {
    long double s2 = (long double)sigma * sigma, l = remove ? eps : -eps, x;
    if (q == 1.0) x = s2 * l + 0.5L;
    else {
        long double t = -expm1l(log1pl(-(long double)q) - l);
        if (!(t > 0)) return remove ? 1.0 : 0.0;
        x = s2 * (l + logl(t) - logl((long double)q)) + 0.5L;
    }
    long double s = sigma;
    long double mix_gt = (1.0L - q) * pld_ref_ndtr(-x / s) + q * pld_ref_ndtr(-(x - 1.0L) / s);
    long double n0_gt = pld_ref_ndtr(-x / s), mix_le = 1.0L - mix_gt, n0_le = 1.0L - n0_gt;
    /* remove: P = mix, Q = N0, L > eps <=> x > x*; add: P = N0, Q = mix, L > eps <=> x < x* */
    long double d = remove ? mix_gt - expl(eps) * n0_gt : n0_le - expl(eps) * mix_le;
    if (q < 1.0 && !remove) d = pld_ref_ndtr(x / s) - expl(eps) * ((1.0L - q) * pld_ref_ndtr(x / s) + q * pld_ref_ndtr((x - 1.0L) / s));
    return d > 0 ? (double)d : 0.0;
}

static double pld_ref_epsilon1(double q, double sigma, double delta) {
    double best = 0.0;
    for (int d = 0; d < 2; d++) {
        double lo = 0.0, hi = 1.0;
        if (pld_ref_delta1(q, sigma, d == 0, 0.0) <= delta) continue;
        while (pld_ref_delta1(q, sigma, d == 0, hi) > delta) hi *= 2.0;
        for (int it = 0; it < 100; it++) {
            double mid = 0.5 * (lo + hi);
            if (pld_ref_delta1(q, sigma, d == 0, mid) > delta) lo = mid;
            else hi = mid;
        }
        if (hi > best) best = hi;
    }
    return best;
}

/* The larger of the two directions. guess: a rough epsilon (e.g. the accountant's). */
static double pld_ref_epsilon(double q, double sigma, unsigned long long T, double delta, double guess) {
    if (T == 1) return pld_ref_epsilon1(q, sigma, delta);
    double e[2];
    for (int d = 0; d < 2; d++) {
        pld_ref r = {q, sigma, T, d == 0, 0, 0, NULL, NULL, 0, 0, NULL, NULL, 0};
        e[d] = pld_ref_epsilon_dir(&r, delta, guess);
        int ok = r.converged;
        pld_ref_free(&r);
        if (!ok) return NAN;
        if (q == 1.0) return e[0]; /* symmetric */
    }
    return e[0] > e[1] ? e[0] : e[1];
}

#endif
