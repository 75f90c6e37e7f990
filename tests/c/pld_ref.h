/* An independent high-precision reference for the T-fold composition of the Poisson-subsampled
 * Gaussian (add-or-remove neighbours), used to check the PLD accountant. No grid, no FFT, no
 * discretisation of the loss distribution: the hockey-stick divergence is inverted from the exact
 * moment generating function of one step, in long double.
 *
 * Exact cases. One step (T = 1) is closed form: the loss is monotone in the noise x, so
 *     remove: delta(eps) = P_mix[x > x*] - e^eps P_N0[x > x*],
 *     add:    delta(eps) = P_N0[x < x*] (1 - e^eps (1-q)) - e^eps q P_N1[x < x*],
 * with x* where the loss crosses eps; every term is a normal tail (erfcl of a positive argument),
 * so nothing cancels but the final difference. q = 1 is the Gaussian mechanism, and T steps of
 * it are one step with noise sigma / sqrt(T).
 *
 * T >= 2. For y = L - eps, (1 - e^{-y})_+ has the two-sided Laplace transform 1 / (z (z + 1))
 * (Re z > 0), so for any c > 0
 *     delta(eps) = (1/pi) int_0^inf Re[ M(c + iu)^T e^{-(c + iu) eps} / ((c + iu)(c + iu + 1)) ] du,
 * M(z) = E_P[e^{z L}] the moment generating function of one step's loss (Zhu, Dong, Wang 2022 use
 * the same idea with characteristic functions):
 *     remove: M(z) = int N(x; 0, s^2) r(x)^{1+z} dx,   add: M(z) = int N(x; 0, s^2) r(x)^{-z} dx,
 *     r(x) = 1 - q + q e^{(2x - 1)/(2 s^2)}.
 * M - 1 is summed from expm1 terms (M is 1 + 1e-12 for small q) by the trapezoid rule over x,
 * which converges geometrically for this analytic integrand: the nodes cover every mode of
 * |N r^{1+c}| (found by a scan: it can have two, the bulk near 0 and the sampled mode near 1 + c)
 * down to e^-60 of the peak, at a spacing below the Gaussian width / 12, the distance pi s^2 to
 * the nearest complex singularity of log r, and a third of the oscillation period of e^{iu log r}
 * where the integrand is above e^-40 of its peak (refined as u grows). c is the saddle point of T log M(c) - c eps - log(c(c+1)), where the
 * u-integrand is smooth and non-oscillating; the trapezoid rule in u is then exact up to
 * aliasing, whose two sides are bounded by choosing the period 2 pi / du above 60 standard
 * deviations of the tilted sum and above 90 / c. The integral is cut when the integrand has
 * stayed below 1e-13 of its start.
 *
 * Trust. Every epsilon is computed twice: on the saddle contour c, and on 0.97 c with every
 * spacing (x nodes, u step) 0.8 times as large. They are different integrals and different
 * discretisations of the same quantity (a contour far from the saddle would only test its own
 * cancellation), so their agreement to 1e-5 relative (200 times below the 2e-3 bar it judges) is
 * the reference's own accuracy check. Each direction starts from its own saddle-point estimate. When they disagree, or the u-integral needs more than REF_MAX_WORK node
 * evaluations (nearly atomic losses: few steps of a tiny q, where |M(c + iu)|^T hardly decays),
 * the reference says it has no answer (ok = 0) instead of guessing, and the caller must not count
 * that row as a pass or a fail. */
#ifndef HUSH_TEST_PLD_REF_H
#define HUSH_TEST_PLD_REF_H

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define REF_PI 3.14159265358979323846264338327950288L
#define REF_MAX_U 400000L
#define REF_MAX_X 4000000L
#define REF_MAX_WORK 1.5e7L /* x-node evaluations per contour */

typedef struct pld_ref {
    double q, sigma;
    unsigned long long T;
    int remove;
    long double c;
    /* x nodes at the current refinement: weights (trapezoid step times N(x; 0, s^2)) and log r */
    long nx;
    long double *w, *lr, dx, dlr_max;
    /* u grid: T log|M(c + iu)| - log|z (z + 1)| and T arg M(c + iu) - arg(z (z+1)) at u = k du */
    long nu;
    long double du, *mod, *arg;
    long double fine; /* 1, or < 1 for the check: every spacing (x and u) scaled by it */
    /* per node, on the u grid: expm1 of the real exponent, and cos, sin of u log r with the
     * rotation by du log r that advances them (no trigonometry per step) */
    long double *em, *co, *si, *rc, *rs;
    int ok;
} pld_ref;

static long double ref_lr(long double q, long double s, long double x) {
    long double v = (2.0L * x - 1.0L) / (2.0L * s * s);
    if (q == 1.0L) return v;
    if (v < 40.0L) return log1pl(q * expm1l(v));
    return v + logl(q) + log1pl((1.0L - q) / q * expl(-v));
}

/* log of the x-integrand's modulus at real part c: log N(x) + k log r(x), k = 1 + c or -c */
static long double ref_g(const pld_ref *r, long double c, long double x) {
    long double s = r->sigma, k = r->remove ? 1.0L + c : -c;
    return -x * x / (2.0L * s * s) + k * ref_lr(r->q, s, x);
}

/* Nodes for the integrand at real part c and frequency up to u: every region where the modulus
 * is within e^-60 of its peak, at the spacing described above. */
static void ref_nodes(pld_ref *r, long double c, long double u) {
    long double s = r->sigma, k = r->remove ? 1.0L + c : -c;
    /* the modes solve x = k s^2 (log r)'(x), with (log r)' in (0, 1/s^2): x between 0 and k */
    long double a = (k < 0 ? k : 0.0L) - 12.0L * s, b = (k > 0 ? k : 0.0L) + 12.0L * s;
    long double step = s / 4.0L;
    long n = (long)((b - a) / step) + 1;
    if (n > REF_MAX_X) {
        n = REF_MAX_X;
        step = (b - a) / (long double)(n - 1);
    }
    long double gmax = -INFINITY;
    for (long i = 0; i < n; i++) {
        long double g = ref_g(r, c, a + step * (long double)i);
        if (g > gmax) gmax = g;
    }
    /* the region above gmax - 60, extended until the Gaussian factor alone has decayed; hi40 the
     * top of the part above gmax - 40 (beyond it the weight is below 1e-17: its oscillation need
     * not be resolved) */
    long double lo = INFINITY, hi = -INFINITY, hi40 = -INFINITY;
    for (long i = 0; i < n; i++) {
        long double x = a + step * (long double)i, g = ref_g(r, c, x);
        if (g > gmax - 62.0L) {
            if (x < lo) lo = x;
            if (x > hi) hi = x;
        }
        if (g > gmax - 40.0L && x > hi40) hi40 = x;
    }
    lo -= 2.0L * step;
    hi += 2.0L * step;
    while (ref_g(r, c, lo) > gmax - 70.0L) lo -= s;
    while (ref_g(r, c, hi) > gmax - 70.0L) hi += s;
    /* (log r)' = q e^v / (s^2 r) <= 1/s^2 increases with x: its value at hi bounds the oscillation */
    long double vh = (2.0L * (hi40 + step) - 1.0L) / (2.0L * s * s);
    long double dmax = r->q == 1.0L ? 1.0L / (s * s) : 1.0L / (s * s * (1.0L + (1.0L - r->q) / r->q * expl(-vh)));
    long double dx = s / 12.0L * r->fine;
    if (REF_PI * s * s / 8.0L * r->fine < dx) dx = REF_PI * s * s / 8.0L * r->fine;
    if (u > 0.0L && dmax > 0.0L && 2.0L * REF_PI * r->fine / (3.0L * u * dmax) < dx)
        dx = 2.0L * REF_PI * r->fine / (3.0L * u * dmax);
    long m = (long)((hi - lo) / dx) + 1;
    if (m > REF_MAX_X) {
        m = REF_MAX_X;
        r->ok = 0; /* could not resolve: the answer is not trusted */
    }
    dx = (hi - lo) / (long double)(m - 1);
    free(r->w);
    free(r->lr);
    r->w = malloc((size_t)m * sizeof *r->w);
    r->lr = malloc((size_t)m * sizeof *r->lr);
    long double norm = 1.0L / (sqrtl(2.0L * REF_PI) * s);
    for (long i = 0; i < m; i++) {
        long double x = lo + dx * (long double)i;
        r->w[i] = dx * norm * expl(-x * x / (2.0L * s * s));
        r->lr[i] = ref_lr(r->q, s, x);
    }
    r->nx = m;
    r->dx = dx;
    r->dlr_max = dmax;
}

/* log M(c + iu): real part in *lm, imaginary part in *ar (principal value) */
static void ref_logm(const pld_ref *r, long double c, long double u, long double *lm, long double *ar) {
    long double re = 0.0L, im = 0.0L, wsum = 0.0L;
    for (long i = 0; i < r->nx; i++) {
        long double l = r->lr[i];
        long double a = r->remove ? (1.0L + c) * l : -c * l, bb = r->remove ? u * l : -u * l;
        /* e^{a + ib} - 1, accurate when a and b are tiny */
        long double ea = expm1l(a), sb = sinl(bb), hb = sinl(0.5L * bb);
        re += r->w[i] * (ea * cosl(bb) - 2.0L * hb * hb);
        im += r->w[i] * (ea + 1.0L) * sb;
        wsum += r->w[i];
    }
    re -= 1.0L - wsum; /* M - 1 = E[r^{...} - 1] + (weights' shortfall from 1) * (-1) */
    /* log(1 + w) without cancellation */
    long double mod1 = 0.5L * log1pl(2.0L * re + re * re + im * im);
    *lm = mod1;
    *ar = atan2l(im, 1.0L + re);
}

static long double ref_f(pld_ref *r, long double c, double eps) {
    long double lm, ar;
    ref_nodes(r, c, 0.0L);
    ref_logm(r, c, 0.0L, &lm, &ar);
    long double f = (long double)r->T * lm - c * eps - logl(c * (c + 1.0L));
    return isfinite(f) ? f : INFINITY;
}

/* the rotation state of the nodes at real part c and frequency u (see pld_ref) */
static void ref_rot_init(pld_ref *r, long double c, long double u) {
    free(r->em);
    free(r->co);
    free(r->si);
    free(r->rc);
    free(r->rs);
    size_t n = (size_t)r->nx;
    r->em = malloc(n * sizeof *r->em);
    r->co = malloc(n * sizeof *r->co);
    r->si = malloc(n * sizeof *r->si);
    r->rc = malloc(n * sizeof *r->rc);
    r->rs = malloc(n * sizeof *r->rs);
    long double k = r->remove ? 1.0L + c : -c, sg = r->remove ? 1.0L : -1.0L;
    for (long i = 0; i < r->nx; i++) {
        long double l = r->lr[i];
        r->em[i] = expm1l(k * l);
        r->co[i] = cosl(sg * u * l);
        r->si[i] = sinl(sg * u * l);
        r->rc[i] = cosl(sg * r->du * l);
        r->rs[i] = sinl(sg * r->du * l);
    }
}

/* log M(c + iu) from the rotation state, which then advances to u + du */
static void ref_logm_rot(pld_ref *r, long double *lm, long double *ar) {
    long double re = 0.0L, im = 0.0L, wsum = 0.0L;
    for (long i = 0; i < r->nx; i++) {
        long double co = r->co[i], si = r->si[i], w = r->w[i], e = r->em[i];
        /* e^{a} (cos + i sin) - 1 = e cos + (cos - 1) + i (e + 1) sin */
        re += w * (e * co + (co - 1.0L));
        im += w * (e + 1.0L) * si;
        wsum += w;
        r->co[i] = co * r->rc[i] - si * r->rs[i];
        r->si[i] = si * r->rc[i] + co * r->rs[i];
    }
    re -= 1.0L - wsum;
    *lm = 0.5L * log1pl(2.0L * re + re * re + im * im);
    *ar = atan2l(im, 1.0L + re);
}

/* Saddle point of T log M(c) - c eps - log(c (c + 1)) (convex in c): a scan up in factors of 4
 * until it rises, then golden section on log c inside the bracket. */
static long double ref_saddle(pld_ref *r, double eps) {
    long double a = logl(1e-7L), prev = ref_f(r, expl(a), eps), x = a;
    long double b = a;
    for (int i = 0; i < 40; i++) {
        x += logl(4.0L);
        long double f = ref_f(r, expl(x), eps);
        if (f > prev) {
            b = x;
            break;
        }
        prev = f;
        a = x - logl(4.0L);
        b = x + logl(4.0L);
    }
    long double g = 0.61803398874989484820L;
    long double x1 = b - g * (b - a), x2 = a + g * (b - a), f1 = ref_f(r, expl(x1), eps), f2 = ref_f(r, expl(x2), eps);
    for (int it = 0; it < 60; it++) {
        if (f1 < f2) {
            b = x2;
            x2 = x1;
            f2 = f1;
            x1 = b - g * (b - a);
            f1 = ref_f(r, expl(x1), eps);
        } else {
            a = x1;
            x1 = x2;
            f1 = f2;
            x2 = a + g * (b - a);
            f2 = ref_f(r, expl(x2), eps);
        }
    }
    return expl(0.5L * (a + b));
}

static long double ref_logm_real(pld_ref *r, long double c) {
    long double lm, ar;
    ref_nodes(r, c, 0.0L);
    ref_logm(r, c, 0.0L, &lm, &ar);
    return lm;
}

/* The u grid on the contour c, for eps near eps0 and delta near delta0 (see the header comment).
 * The trapezoid rule in u with step du returns sum_k delta(eps + k P) e^{c k P}, P = 2 pi / du
 * (Poisson summation). The aliases below (k < 0) are at most e^{-c P}; above, delta non-increasing
 * gives delta(y) <= M(c')^T e^{-c' y} / (c' + 1) for every c' > 0, so P is chosen to keep both below
 * 1e-10 delta0, with the best c' of a few above c. */
static void ref_prepare(pld_ref *r, long double c, double eps0, double delta0) {
    r->c = c;
    long double lt = -logl(1e-10L * (long double)delta0), period = lt / c;
    static const long double f[] = {1.05L, 1.1L, 1.2L, 1.4L, 1.7L, 2.0L, 3.0L, 5.0L};
    long double best = INFINITY;
    for (int i = 0; i < 8; i++) {
        long double c2 = f[i] * c, v = ((long double)r->T * ref_logm_real(r, c2) - c2 * eps0 - logl(c2 + 1.0L) + lt) / (c2 - c);
        if (v < best) best = v; /* NaN never compares */
    }
    if (best > period) period = best;
    ref_nodes(r, c, 0.0L);
    r->du = 2.0L * REF_PI / period * r->fine;
    ref_rot_init(r, c, 0.0L);
    free(r->mod);
    free(r->arg);
    long cap = 4096;
    r->mod = malloc((size_t)cap * sizeof *r->mod);
    r->arg = malloc((size_t)cap * sizeof *r->arg);
    r->nu = 0;
    long double start = 0.0L, refined_for = 0.0L, work = 0.0L;
    int quiet = 0;
    for (long k = 0;; k++) {
        if (k == REF_MAX_U || work > REF_MAX_WORK) { /* nearly atomic losses: give up, say so */
            r->ok = 0;
            break;
        }
        work += (long double)r->nx;
        long double u = r->du * (long double)k;
        /* finer x nodes as the oscillation of e^{iu log r} grows */
        if (u > 0.0L && u > 2.0L * refined_for && 2.0L * REF_PI * r->fine / (3.0L * u * r->dlr_max) < r->dx) {
            ref_nodes(r, c, 2.0L * u);
            ref_rot_init(r, c, u);
            refined_for = u;
        }
        long double lm, a;
        ref_logm_rot(r, &lm, &a);
        long double zr = c, zi = u; /* z (z + 1) */
        long double pr = zr * (zr + 1.0L) - zi * zi, pi = zi * (2.0L * zr + 1.0L);
        long double m = (long double)r->T * lm - 0.5L * logl(pr * pr + pi * pi);
        long double ph = fmodl((long double)r->T * a, 2.0L * REF_PI) - atan2l(pi, pr);
        if (k == cap) {
            cap *= 2;
            r->mod = realloc(r->mod, (size_t)cap * sizeof *r->mod);
            r->arg = realloc(r->arg, (size_t)cap * sizeof *r->arg);
        }
        r->mod[k] = m;
        r->arg[k] = ph;
        r->nu = k + 1;
        if (k == 0) start = m;
        quiet = m < start + logl(1e-13L) ? quiet + 1 : 0;
        if (quiet >= 20) break;
    }
}

static double ref_delta_u(const pld_ref *r, double eps) {
    long double sum = 0.0L;
    for (long k = 0; k < r->nu; k++) {
        long double u = r->du * (long double)k;
        long double m = r->mod[k] - r->c * eps, ph = r->arg[k] - fmodl(u * eps, 2.0L * REF_PI);
        sum += (k == 0 ? 0.5L : 1.0L) * expl(m) * cosl(ph);
    }
    return (double)(sum * r->du / REF_PI);
}

static void pld_ref_free(pld_ref *r) {
    free(r->w);
    free(r->lr);
    free(r->mod);
    free(r->arg);
    free(r->em);
    free(r->co);
    free(r->si);
    free(r->rc);
    free(r->rs);
    r->w = r->lr = r->mod = r->arg = r->em = r->co = r->si = r->rc = r->rs = NULL;
}

/* Smallest eps with delta(eps) <= delta on the contour already prepared for eps near e. The
 * inversion is accurate near the eps its contour was placed for (far from it the integrand is
 * e^{c |eps - e|} larger than delta and the cut and the aliasing no longer hold), so the bracket
 * starts around e and widens step by step. NaN: not found within reach. */
static double ref_bisect(const pld_ref *r, double delta, double e) {
    double lo = 0.8 * e, hi = 1.25 * e;
    for (int i = 0; ref_delta_u(r, lo) <= delta; i++) {
        if (i == 60) return 0.0; /* below any eps of interest: the caller checks eps = 0 */
        lo *= 0.5;
    }
    for (int i = 0; ref_delta_u(r, hi) > delta; i++) {
        if (i == 60) return NAN;
        hi *= 1.5;
    }
    for (int it = 0; it < 90; it++) {
        double mid = 0.5 * (lo + hi);
        if (ref_delta_u(r, mid) > delta)
            lo = mid;
        else
            hi = mid;
    }
    return 0.5 * (lo + hi);
}

/* A first estimate of one direction's epsilon (a few per cent) by the saddle-point approximation,
 * parametrised by the contour c: eps(c) = T (log M)'(c) - (2c + 1) / (c (c + 1)) and
 * log delta ~ T log M(c) - c eps - log(c (c + 1)) - log(2 pi T (log M)''(c)) / 2, from real-c MGFs
 * only; log delta falls as c grows. 0 when even the smallest c gives delta below the target. */
static double ref_rough(pld_ref *r, double delta) {
    double prev_e = 0.0, prev_l = 0.0, ld = log(delta);
    for (int i = 0; i < 72; i++) { /* c up to 5e6 */
        long double c = 1e-6L * powl(1.5L, (long double)i), h = 1e-3L * c;
        long double l0 = ref_logm_real(r, c - h), l1 = ref_logm_real(r, c), l2 = ref_logm_real(r, c + h);
        long double T = (long double)r->T, d1 = T * (l2 - l0) / (2.0L * h), d2 = T * (l0 - 2.0L * l1 + l2) / (h * h);
        if (!(d2 > 0.0L)) d2 = 1e-300L;
        long double e = d1 - (2.0L * c + 1.0L) / (c * (c + 1.0L));
        long double lg = T * l1 - c * e - logl(c * (c + 1.0L)) - 0.5L * logl(2.0L * REF_PI * d2);
        if (!isfinite(lg) || !isfinite(e)) continue;
        if ((double)lg <= ld) {
            if (i == 0 || e <= 0.0L) return 0.0;
            /* interpolate in log delta between the two last contours */
            double t = (prev_l - ld) / (prev_l - (double)lg);
            double est = prev_e + t * ((double)e - prev_e);
            return est > 0.0 ? est : (double)e;
        }
        prev_e = (double)e;
        prev_l = (double)lg;
    }
    return NAN; /* no contour reaches delta: no estimate */
}

/* One direction by inversion; *ok = 0 when the two contours disagree or a limit was hit. */
static double ref_epsilon_dir(double q, double sigma, unsigned long long T, int remove, double delta, double guess,
                              int *ok) {
    pld_ref r;
    memset(&r, 0, sizeof r);
    r.q = q;
    r.sigma = sigma;
    r.T = T;
    r.remove = remove;
    r.ok = 1;
    r.fine = 1.0L;
    /* guess is the max over both directions (the accountant's): good for the larger one only, so
     * each direction estimates its own and takes the guess when the two are close */
    double e = ref_rough(&r, delta), e1 = 0.0, e2 = 0.0;
    if (guess > 0.0 && (!(e == e) || fabs(e - guess) < 0.3 * guess)) e = guess;
    if (!(e == e)) {
        *ok = 0;
        pld_ref_free(&r);
        return NAN;
    }
    if (!(e > 0.0)) { /* is eps 0? delta(0) on a contour placed at 0 */
        ref_prepare(&r, ref_saddle(&r, 0.0), 0.0, delta);
        double d0 = ref_delta_u(&r, 0.0);
        if (r.ok && d0 <= delta) {
            r.fine = 0.8L;
            ref_prepare(&r, 0.97L * r.c, 0.0, delta);
            double d1 = ref_delta_u(&r, 0.0);
            *ok = r.ok && d1 <= delta * (1.0 + 1e-5);
            pld_ref_free(&r);
            return 0.0;
        }
        e = 1e-6;
    }
    /* the saddle depends on eps: at the guess, and again at the answer if that is far from it */
    for (int pass = 0; pass < 3 && r.ok; pass++) {
        ref_prepare(&r, ref_saddle(&r, e), e, delta);
        e1 = ref_bisect(&r, delta, e);
        if (!(e1 > 0.0) || fabs(e1 - e) <= 0.01 * e) break;
        e = e1;
    }
    if (!r.ok || !(e1 > 0.0)) {
        *ok = 0;
        pld_ref_free(&r);
        return e1;
    }
    long double c = r.c;
    r.fine = 0.8L;
    ref_prepare(&r, 0.97L * c, e1, delta);
    e2 = ref_bisect(&r, delta, e1);
#ifdef REF_DEBUG
    fprintf(stderr, "dir %d: e1 %.12g e2 %.12g c %.6Lg nu %ld ok %d\n", remove, e1, e2, c, r.nu, r.ok);
#endif
    *ok = r.ok && fabs(e1 - e2) <= 1e-5 * (e1 > 1e-300 ? e1 : 1e-300) + 1e-15;
    pld_ref_free(&r);
    return e1;
}

/* ---- closed forms ---- */

/* P[N(0,1) > z] and P[N(0,1) < z], by erfcl of a positive argument where it matters */
static long double ref_tail_up(long double z) { return 0.5L * erfcl(z / sqrtl(2.0L)); }
static long double ref_tail_lo(long double z) { return 0.5L * erfcl(-z / sqrtl(2.0L)); }
/* e^{z^2/2} P[N(0,1) > z] for z > 0: directly while erfcl and expl are in range, beyond by the
 * continued fraction P[N > z] = phi(z) / (z + 1/(z + 2/(z + 3/(z + ...)))) (Abramowitz and
 * Stegun 26.2.14), which at z >= 40 converges to long double precision in far fewer than 200 terms */
static long double ref_mills(long double z) {
    if (z < 40.0L) return ref_tail_up(z) * expl(0.5L * z * z);
    long double f = z;
    for (int k = 200; k >= 1; k--) f = z + (long double)k / f;
    return 1.0L / (sqrtl(2.0L * REF_PI) * f);
}

static double pld_ref_delta1(double q, double sigma, int remove, double eps) {
    long double s = sigma, s2 = s * s, Q = q, e = eps;
    if (q == 1.0) remove = 1;
    if (remove) {
        /* loss l(x) = log r(x) increasing: L > eps <=> x > x* */
        long double x;
        if (q == 1.0)
            x = s2 * e + 0.5L;
        else
            x = s2 * (e + logl(-expm1l(log1pl(-Q) - e)) - logl(Q)) + 0.5L;
        long double a = (1.0L - Q) * ref_tail_up(x / s) + Q * ref_tail_up((x - 1.0L) / s);
        long double d = a - expl(e) * ref_tail_up(x / s);
        if (q == 1.0 && e > 5000.0L) {
            /* e^eps overflows near 11356 (long double): with b = (x - 1) / s, a = x / s,
             * eps - a^2/2 = -b^2/2, so e^eps P[N > a] = e^{-b^2/2} mills(a) */
            long double bb = (x - 1.0L) / s, aa = x / s;
            d = ref_tail_up(bb) - expl(-0.5L * bb * bb) * ref_mills(aa);
        }
        return d > 0.0L ? (double)d : 0.0;
    }
    /* add: L = -l(x) with x ~ N(0, s^2), decreasing: L > eps <=> l(x) < -eps <=> x < x*; none when
     * eps >= -log(1 - q), the largest loss */
    long double t = -expm1l(log1pl(-Q) + e); /* 1 - (1-q) e^eps: r(x*) = e^-eps needs it > 0 */
    if (!(t > 0.0L)) return 0.0;
    long double x = s2 * (logl(expm1l(-e) + Q) - logl(Q)) + 0.5L; /* l(x*) = -eps */
    long double d = ref_tail_lo(x / s) * t - expl(e) * Q * ref_tail_lo((x - 1.0L) / s);
    return d > 0.0L ? (double)d : 0.0;
}

static double pld_ref_epsilon1(double q, double sigma, double delta) {
    double best = 0.0;
    for (int d = 0; d < (q == 1.0 ? 1 : 2); d++) {
        double lo = 0.0, hi = 1.0;
        if (pld_ref_delta1(q, sigma, d == 0, 0.0) <= delta) continue;
        while (pld_ref_delta1(q, sigma, d == 0, hi) > delta && hi < 1e15) hi *= 2.0;
        for (int it = 0; it < 200; it++) {
            double mid = 0.5 * (lo + hi);
            if (mid <= lo || mid >= hi) break;
            if (pld_ref_delta1(q, sigma, d == 0, mid) > delta)
                lo = mid;
            else
                hi = mid;
        }
        if (hi > best) best = hi;
    }
    return best;
}

/* The larger of the two directions' epsilons. guess: a rough epsilon (e.g. the accountant's).
 * *ok (may be NULL): 1 when the value is trusted (exact, or both contours agree). */
static double pld_ref_epsilon_ok(double q, double sigma, unsigned long long T, double delta, double guess, int *ok) {
    int k = 1;
    double e;
    if (T == 1)
        e = pld_ref_epsilon1(q, sigma, delta);
    else if (q == 1.0)
        e = pld_ref_epsilon1(1.0, sigma / sqrt((double)T), delta);
    else {
        int k0, k1;
        double a = ref_epsilon_dir(q, sigma, T, 1, delta, guess, &k0);
        double b = ref_epsilon_dir(q, sigma, T, 0, delta, guess, &k1);
        k = k0 && k1;
        e = a > b ? a : b;
    }
    if (ok) *ok = k;
    return e;
}

static inline double pld_ref_epsilon(double q, double sigma, unsigned long long T, double delta, double guess) {
    int ok;
    double e = pld_ref_epsilon_ok(q, sigma, T, delta, guess, &ok);
    return ok ? e : NAN;
}

#endif
