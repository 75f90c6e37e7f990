/* Privacy loss distributions (PLD) on adaptive power-of-two grids, with a rigorous bracket.
 *
 * For a dominating pair (P, Q) the privacy loss is L = log(P(x)/Q(x)) with x ~ P, and
 * delta(eps) = E[(1 - e^{eps - L})_+] + P[L = +inf] (the hockey-stick divergence). Composition
 * adds independent losses, so the PLD of a composition is the convolution of the PLDs. Writing
 * Y = e^{-L}, delta(eps) = E[f(Y)] with f(y) = (1 - e^{eps} y)_+ convex and non-increasing, and
 * the composed Y is the product of the steps' Y. Two facts give both bounds:
 *   - pessimistic: replacing Y by a mean-preserving spread (E[Y'|Y] = Y, conditionally
 *     independent across steps) can only raise E[f(Y_T)] (Jensen, then independence), and so can
 *     raising a loss or sending it to +inf, or adding mass anywhere;
 *   - optimistic: replacing Y by a conditional expectation E[Y|G] (merging outcomes: a
 *     post-processing, so the discretised pair is dominated by the true one) can only lower it,
 *     and so can lowering a loss or dropping mass.
 * Both are second order in the grid spacing h, so the pair of results brackets the true epsilon
 * tightly, and the bracket itself is a proof of accuracy (up to double rounding).
 *
 * Discretisations. Pessimistic ("connect the dots", Doroshenko, Ghazi, Kamath, Kumar,
 * Manurangsi 2022): the mass of each loss interval (a, a + h] is split between a and a + h so
 * that E[Y] is kept. Optimistic (ours): the mass is partitioned into groups whose P-weighted
 * mean of Y is exactly e^{-l_j} for a grid point l_j, by one sweep in increasing loss that
 * splits atoms where needed (a randomised merge, hence a post-processing); the last group of a
 * sweep, which cannot balance, is merged and rounded down. Single steps are discretised from
 * exact interval integrals (Gauss-Legendre in x, relative error near 1e-15); coarsening an
 * already discrete distribution onto a coarser grid uses the same two rules.
 *
 * Error model and grids. A rounding with spacing h adds about h^2/6 of variance and shifts the
 * mean of L by about h^2/12 (either sign) per unit of rounded mass, and a distribution of m steps
 * inside a composition of T is used about T/m times. Every distribution (level of the repeated
 * squaring) is kept on a grid of spacing at most its own standard deviation / bins_per_std, so
 * every level adds the same small relative error (about 1/(6 N^2) of the variance); epsilon moves
 * by a similar relative amount. The grids are powers of two, so they nest and coarsening is exact
 * bookkeeping.
 *
 * Multi-scale losses. The Poisson-subsampled Gaussian with small q and small sigma has most mass
 * within about q of 0 and a tail reaching 10-30, and one uniform grid fine enough for the variance
 * would need 10^6-10^7 bins. Such a step is split into a fine component (a window around the
 * bulk, spacing h_F = std / N) and a coarse one (everything outside the window, spacing h_C): the
 * coarse part holds mass psi (outside the window), so by the model above it may use
 * h_C = std / (N sqrt(psi)). The window is chosen to minimise the bins. Products keep fine x fine
 * on the fine grid and put every term with a coarse factor on the coarse grid; once the fine
 * grid would reach the coarse one the two merge.
 *
 * Truncation. Each truncation removes at most TAU_OP * m / T of mass from each end of a
 * distribution of m steps (so at most about TAU_OP per truncation after composition, 1e-15 in
 * all, against any delta >= 1e-12): pessimistically the upper tail goes to +inf and the lower
 * tail moves up onto the first kept bin; optimistically both are dropped. Losses far below zero
 * only matter through what can be added to them: with U a Chernoff bound on the largest loss any
 * part of the composition reaches (probability TAU_FLOOR), every loss below -U is moved up to -U
 * (or dropped), which changes delta at any eps >= 0 by at most TAU_FLOOR of the mass moved. This
 * keeps the heavy lower tail of the "add" direction from growing the arrays. Convolutions by FFT
 * leave round-off of about 1e-16 of the peak, of either sign, in every bin; it is kept signed
 * (clamping would bias the far tails), and bins outside a Chernoff bound of the exact result
 * (computed from the inputs) are cleared, their bound on true mass accounted as a truncation.
 */
#include "dp/pld.h"

#include <math.h>
#include <string.h>

#include "dp/dpmath.h"


#define TAU_OP 1e-18     /* truncated mass per truncation, for a distribution of all T steps */
#define TAU_FLOOR 1e-30  /* probability that the composition lifts a floored loss above 0 */
#define DIRECT_MAX 40000 /* direct convolution below this many products (no round-off) */
#define E_MIN (-1060)
#define E_MAX 1000

static int64_t floor_div(int64_t a, int64_t b) {
    int64_t q = a / b;
    if ((a % b) != 0 && ((a < 0) != (b < 0))) q--;
    return q;
}

/* largest e with 2^e <= x (x > 0, finite), clamped to the grid range */
static int pow2_exp(double x) {
    if (!(x > 0.0)) return E_MIN;
    if (!isfinite(x)) return E_MAX;
    int e;
    (void)frexp(x, &e);
    e -= 1;
    return e < E_MIN ? E_MIN : e > E_MAX ? E_MAX : e;
}

static size_t next_pow2(size_t n) {
    size_t p = 1;
    while (p < n) p <<= 1;
    return p;
}

/* ---- memory ---- */

static size_t fft_size(size_t cap) { return next_pow2(2 * cap); }
static size_t scratch_len(size_t cap) { return fft_size(cap) / 2 + 16; }

/* z and tw: 2 nfft each, y, y2, outf and outc: nfft each, six scratch arrays, base and res */
size_t hush__pld_work_doubles(size_t cap) {
    size_t n = fft_size(cap);
    return 8 * n + 6 * scratch_len(cap) + 4 * cap;
}

void hush__pld_init(hush__pld *d, double *mem, size_t cap) {
    memset(d, 0, sizeof *d);
    d->f.p = mem;
    d->c.p = mem + cap;
}

void hush__pld_work_init(hush__pld_work *w, double *mem, size_t cap) {
    size_t n = fft_size(cap);
    w->cap = cap;
    w->nfft = n;
    w->bins_per_std = HUSH__PLD_BINS_PER_STD;
    w->steps = 1.0;
    w->floor = -INFINITY;
    w->z = mem;
    mem += 2 * n;
    w->tw = mem;
    mem += 2 * n;
    w->outf = mem;
    mem += n;
    w->outc = mem;
    mem += n;
    w->y = mem;
    mem += n;
    w->y2 = mem;
    mem += n;
    for (int i = 0; i < 6; i++) {
        w->s[i] = mem;
        mem += scratch_len(cap);
    }
    hush__pld_init(&w->base, mem, cap);
    mem += 2 * cap;
    hush__pld_init(&w->res, mem, cap);
    /* FFT twiddles, stage by stage: for len = 2^m the len/2 factors e^{-2 pi i k / len} at complex
     * offset len/2 - 1, so every stage reads them in order (computed once, from one table of the
     * largest size, which the stages sample) */
    const double two_pi = 6.283185307179586476925286766559;
    double *base = w->tw + (n - 2); /* the last stage's table, len = n, at complex offset n/2 - 1 */
    for (size_t k = 0; k < n / 2; k++) {
        base[2 * k] = cos(two_pi * (double)k / (double)n);
        base[2 * k + 1] = -sin(two_pi * (double)k / (double)n);
    }
    for (size_t len = 2; len < n; len <<= 1) {
        size_t half = len / 2, st = n / len;
        double *t = w->tw + 2 * (half - 1);
        for (size_t k = 0; k < half; k++) {
            t[2 * k] = base[2 * k * st];
            t[2 * k + 1] = base[2 * k * st + 1];
        }
    }
}

static size_t comp_room(const hush__pld_work *w) { return w->cap - 4; }

static void set_identity(hush__pld *d) {
    d->f.len = 1;
    d->f.off = 0;
    d->f.e = E_MIN; /* loss 0 sits on every grid */
    d->f.p[0] = 1.0;
    d->c.len = 0;
    d->c.off = 0;
    d->c.e = E_MIN;
    d->f.ph = d->c.ph = 0.0;
    d->inf = 0.0;
    d->steps = 0.0;
    for (int k = 0; k < HUSH__PLD_NT; k++) {
        d->lmf[k] = 0.0;
        d->lmc[k] = -INFINITY;
    }
}

static int is_identity(const hush__pld *d) { return d->steps == 0.0; }

/* truncation budget for a distribution of m steps */
static double tau_of(const hush__pld_work *w, double m) {
    double t = TAU_OP * (m > 1.0 ? m : 1.0) / w->steps;
    return t > TAU_OP ? TAU_OP : t < 1e-300 ? 1e-300 : t;
}

/* ---- single steps ---- */

typedef struct step {
    int kind, remove;
    double q, s, s2;
    double xlo, xhi; /* the x range discretised; beyond it the tails (see build_step) */
} step;

/* log of the likelihood ratio mixture / N(0, s^2) at x */
static double lr_of(const step *st, double x) {
    double u = (2.0 * x - 1.0) / (2.0 * st->s2);
    if (st->q == 1.0) return u;
    if (u < 30.0) return log1p(st->q * expm1(u));
    return hush__dp_log_add(log1p(-st->q), log(st->q) + u);
}

/* inverse of lr_of; -inf below its range */
static double x_of_lr(const step *st, double l) {
    if (st->q == 1.0) return st->s2 * l + 0.5;
    double t = -expm1(log1p(-st->q) - l);
    if (!(t > 0.0)) return -INFINITY;
    return st->s2 * (l + log(t) - log(st->q)) + 0.5;
}

static double npdf(double z) { return 0.39894228040143267794 * exp(-0.5 * z * z); }

static double loss_at(const step *st, double x) {
    if (st->kind == HUSH__PLD_LAPLACE) return (1.0 - 2.0 * x) / st->s;
    return st->remove ? lr_of(st, x) : -lr_of(st, x);
}

static double pdf_at(const step *st, double x) {
    if (st->kind == HUSH__PLD_LAPLACE) return exp(-x / st->s) / (2.0 * st->s);
    if (!st->remove) return npdf(x / st->s) / st->s;
    if (st->q == 1.0) return npdf((x - 1.0) / st->s) / st->s;
    return ((1.0 - st->q) * npdf(x / st->s) + st->q * npdf((x - 1.0) / st->s)) / st->s;
}

static double log_pdf_at(const step *st, double x) {
    const double lc = -0.91893853320467274178 - log(st->s); /* log(1 / (sqrt(2 pi) s)) */
    double z0 = x / st->s, z1 = (x - 1.0) / st->s;
    if (st->kind == HUSH__PLD_LAPLACE) return -x / st->s - log(2.0 * st->s);
    if (!st->remove) return lc - 0.5 * z0 * z0;
    if (st->q == 1.0) return lc - 0.5 * z1 * z1;
    return lc + hush__dp_log_add(log1p(-st->q) - 0.5 * z0 * z0, log(st->q) - 0.5 * z1 * z1);
}

/* P-mass of x < v (upper = 0) or x > v (upper = 1), for the Gaussian kinds */
static double x_tail(const step *st, double v, int upper) {
    double a = upper ? hush__dp_ndtr_upper(v / st->s) : hush__dp_ndtr(v / st->s);
    if (!st->remove) return a;
    double b = upper ? hush__dp_ndtr_upper((v - 1.0) / st->s) : hush__dp_ndtr((v - 1.0) / st->s);
    if (st->q == 1.0) return b;
    return (1.0 - st->q) * a + st->q * b;
}

/* x-interval of losses (la, lb], clipped to the discretised range */
static void x_range(const step *st, double la, double lb, double *x0, double *x1) {
    double a, b;
    if (st->kind == HUSH__PLD_LAPLACE) {
        a = (1.0 - st->s * lb) / 2.0;
        b = (1.0 - st->s * la) / 2.0;
    } else if (st->remove) {
        a = x_of_lr(st, la);
        b = x_of_lr(st, lb);
    } else {
        a = x_of_lr(st, -lb);
        b = x_of_lr(st, -la);
    }
    *x0 = a > st->xlo ? a : st->xlo;
    *x1 = b < st->xhi ? b : st->xhi;
}

static const double GL_X[5] = {0.0, 0.53846931010568309104, -0.53846931010568309104, 0.90617984593866399280,
                               -0.90617984593866399280};
static const double GL_W[5] = {0.56888888888888888889, 0.47862867049936646804, 0.47862867049936646804,
                               0.23692688505618908751, 0.23692688505618908751};

/* Mass of the losses in (la, la + h], and g = E[(1 - e^{-(L - la)}) / (1 - e^{-h})] over them:
 * the share connect-the-dots sends to the upper end; E[e^{-(L - la)}] = 1 - (1 - e^{-h}) g. */
static void interval(const step *st, double la, double h, double *mass, double *g) {
    double x0, x1;
    x_range(st, la, la + h, &x0, &x1);
    *mass = *g = 0.0;
    if (!(x1 > x0) || !isfinite(x0) || !isfinite(x1)) return;
    double piece = st->s / 8.0;
    double n = ceil((x1 - x0) / piece);
    if (n < 1.0) n = 1.0;
    if (n > 4096.0) n = 4096.0;
    double w = (x1 - x0) / n, a = 0.0, u = 0.0, den = -expm1(-h);
    for (long i = 0; i < (long)n; i++) {
        double c = x0 + w * ((double)i + 0.5);
        for (int j = 0; j < 5; j++) {
            double x = c + 0.5 * w * GL_X[j], pw = GL_W[j] * pdf_at(st, x);
            double r = -expm1(la - loss_at(st, x)) / den;
            a += pw;
            u += pw * (r < 0.0 ? 0.0 : r > 1.0 ? 1.0 : r);
        }
    }
    *mass = 0.5 * w * a;
    *g = a > 0.0 ? u / a : 0.0;
}

/* Mean and variance of the loss over the discretised range (plus the Laplace atoms). */
static void loss_moments(const step *st, double *mean, double *var) {
    double x0 = st->xlo, x1 = st->xhi, piece = st->s / 8.0, n = ceil((x1 - x0) / piece);
    if (n < 1.0) n = 1.0;
    if (n > 100000.0) n = 100000.0;
    double w = (x1 - x0) / n, m0 = 0.0, m1 = 0.0;
    for (int pass = 0; pass < 2; pass++) { /* second pass about the mean: no cancellation */
        double c0 = pass ? m1 / m0 : 0.0;
        double s0 = 0.0, s1 = 0.0, s2 = 0.0;
        for (long i = 0; i < (long)n; i++) {
            double c = x0 + w * ((double)i + 0.5);
            for (int j = 0; j < 5; j++) {
                double x = c + 0.5 * w * GL_X[j], pw = 0.5 * w * GL_W[j] * pdf_at(st, x), l = loss_at(st, x) - c0;
                s0 += pw;
                s1 += pw * l;
                s2 += pw * l * l;
            }
        }
        if (st->kind == HUSH__PLD_LAPLACE) {
            double b = st->s, pa = 0.5, pb = 0.5 * exp(-1.0 / b), la = 1.0 / b - c0, lb = -1.0 / b - c0;
            s0 += pa + pb;
            s1 += pa * la + pb * lb;
            s2 += pa * la * la + pb * lb * lb;
        }
        if (pass == 0) {
            m0 = s0;
            m1 = s1;
            if (!(m0 > 0.0)) break;
        } else {
            *mean = c0 + s1 / s0;
            *var = s2 / s0 - (s1 / s0) * (s1 / s0);
            if (!(*var > 0.0)) *var = 0.0;
            return;
        }
    }
    *mean = 0.0;
    *var = 0.0;
}

/* log E_P[e^{t L}] (t > 0) over the step, by quadrature in log space: for the floor's Chernoff
 * bound only, so a few digits suffice. The range follows the tilt (x up to 1 + t + 12 s for
 * the heavy "remove" tail). */
static double log_mgf_step(const step *st, double t) {
    double x0 = st->kind == HUSH__PLD_LAPLACE ? 0.0 : -12.0 * st->s;
    double x1 = st->kind == HUSH__PLD_LAPLACE ? 1.0 : st->remove ? 1.0 + t + 12.0 * st->s : 12.0 * st->s;
    double piece = st->s / 4.0, n = ceil((x1 - x0) / piece);
    if (n < 1.0) n = 1.0;
    if (n > 20000.0) n = 20000.0;
    double w = (x1 - x0) / n, m = -INFINITY, acc = 0.0;
    /* two passes: the maximum, then the sum scaled by it */
    for (int pass = 0; pass < 2; pass++) {
        for (long i = 0; i < (long)n; i++) {
            double c = x0 + w * ((double)i + 0.5);
            for (int j = 0; j < 5; j++) {
                double x = c + 0.5 * w * GL_X[j], v = log(0.5 * w * GL_W[j]) + log_pdf_at(st, x) + t * loss_at(st, x);
                if (pass == 0) {
                    if (v > m) m = v;
                } else {
                    acc += exp(v - m);
                }
            }
        }
        if (pass == 0 && st->kind == HUSH__PLD_LAPLACE) {
            double b = st->s;
            if (log(0.5) + t / b > m) m = log(0.5) + t / b;
        }
    }
    if (st->kind == HUSH__PLD_LAPLACE) acc += 0.5 * exp(t / st->s - m) + 0.5 * exp(-1.0 / st->s - t / st->s - m);
    return m + log(acc);
}

/* ---- optimistic sweep (see the header comment) ----
 * Atoms arrive in increasing loss, each at idx * h + frac (0 <= frac <= h) on a source grid of
 * spacing h = H / f; groups go to the points j H of the target grid. */
typedef struct sweep {
    int down; /* spacing above 1: round every atom down instead (see sweep_init) */
    double *dst;
    int64_t lo; /* target index of dst[0] */
    size_t n;
    int64_t f;
    double h, H;
    int64_t j; /* the open group's target */
    double m, ex; /* its mass and sum of m (e^{-(l - jH)} - 1) >= 0 */
    int open;
} sweep;

static void sweep_init(sweep *s, double *dst, int64_t lo, size_t n, int e_src, int e_dst) {
    s->dst = dst;
    s->lo = lo;
    s->n = n;
    s->f = (int64_t)1 << (e_dst - e_src);
    s->h = ldexp(1.0, e_src);
    s->H = ldexp(1.0, e_dst);
    s->open = 0;
    s->m = s->ex = 0.0;
    s->j = 0;
    /* With a spacing H above 1, e^{-L} varies by e^H across one bin: a group then needs about e^H
     * times its own mass above its target and swallows the tail. Rounding down (a lower loss,
     * pointwise) costs H/2 per rounding there, but epsilon is then at least about S^2/2 for a
     * standard deviation S >= N H, so that is a relative 1/N^2 again. */
    s->down = s->H > 1.0;
}

static void sweep_emit(sweep *s, int64_t j, double m) {
    int64_t k = j - s->lo;
    /* the callers size dst to cover every target; clamping down keeps a lower bound regardless */
    if (k >= (int64_t)s->n) k = (int64_t)s->n - 1;
    if (k < 0) return;
    s->dst[k] += m;
}

static void sweep_atom(sweep *s, double m, int64_t idx, double frac) {
    if (!(m > 0.0)) return; /* round-off of either sign: a negative atom is not mass */
    if (s->down) {
        int64_t a = floor_div(idx, s->f);
        if (frac >= s->h && idx - a * s->f == s->f - 1) a++; /* frac == h: exactly on the next point */
        sweep_emit(s, a, m);
        return;
    }
    for (;;) {
        if (!s->open) {
            int64_t a = floor_div(idx, s->f), r = idx - a * s->f;
            s->j = (r == 0 && frac == 0.0) ? a : a + 1;
            s->m = s->ex = 0.0;
            s->open = 1;
        }
        double d = (double)(idx - s->j * s->f) * s->h + frac; /* loss - target */
        if (d <= 0.0) {
            s->ex += m * expm1(-d);
            s->m += m;
            return;
        }
        double g = -expm1(-d);
        if (m * g <= s->ex) {
            s->ex -= m * g;
            s->m += m;
            return;
        }
        double a = s->ex / g; /* the part of this atom that balances the group */
        sweep_emit(s, s->j, s->m + a);
        s->open = 0;
        m -= a;
        if (!(m > 0.0)) return;
    }
}

static void sweep_finish(sweep *s) {
    if (!s->open) return;
    s->open = 0;
    if (!(s->m > 0.0)) return;
    /* unbalanced: the group's mean loss is in (l_{j-1}, l_j]; rounding down keeps the bound */
    sweep_emit(s, s->ex > 0.0 ? s->j - 1 : s->j, s->m);
}

/* ---- grid operations ---- */

static double comp_h(const hush__pld_comp *c) { return ldexp(1.0, c->e); }
static double comp_loss(const hush__pld_comp *c, size_t i) { return (double)(c->off + (int64_t)i) * comp_h(c) + c->ph; }

static void comp_copy(hush__pld_comp *dst, double *dst_p, const hush__pld_comp *src) {
    if (dst_p != src->p) memmove(dst_p, src->p, src->len * sizeof(double));
    dst->p = dst_p;
    dst->len = src->len;
    dst->off = src->off;
    dst->e = src->e;
    dst->ph = src->ph;
}

/* Optimistic lattices follow the spikes. A component whose mass sits mostly within less than one
 * bin of the target grid (the bulk of a small-q step, seen from the coarse grid) cannot be grouped
 * onto a lattice whose points miss its mean of e^{-L}: its group would have to swallow the sparse
 * mass above it. So the target lattice j 2^e + ph is chosen with ph = the mean loss (in the e^{-L}
 * sense) of the heaviest window of 2^(e - src.e) + 1 source bins, when that window holds at least
 * SPIKE_SHARE of the mass; otherwise ph = 0. (Pessimistic lattices keep ph = 0.) */
#define SPIKE_SHARE 0.3

static double spike_phase(const hush__pld_comp *src, int e, int mode) {
    if (mode == HUSH__PLD_PESSIMISTIC || src->len < 2 || e > 0) return 0.0;
    int k = e - src->e;
    if (k < 0 || k > 40) return 0.0;
    size_t win = ((size_t)1 << k) + 1, n = src->len, best_i = 0;
    if (win > n) win = n;
    double tot = 0.0, run = 0.0, best = -1.0;
    for (size_t i = 0; i < n; i++) {
        double m = src->p[i] > 0.0 ? src->p[i] : 0.0;
        tot += m;
        run += m;
        if (i >= win) run -= src->p[i - win] > 0.0 ? src->p[i - win] : 0.0;
        if (i + 1 >= win && run > best) {
            best = run;
            best_i = i + 1 - win;
        }
    }
    if (!(tot > 0.0) || best < SPIKE_SHARE * tot) return 0.0;
    double h = comp_h(src), ref = comp_loss(src, best_i), m0 = 0.0, y = 0.0;
    for (size_t i = best_i; i < best_i + win; i++) {
        double m = src->p[i] > 0.0 ? src->p[i] : 0.0;
        m0 += m;
        y += m * exp(-(double)(i - best_i) * h);
    }
    double lam = ref - log(y / m0), H = ldexp(1.0, e);
    double ph = lam - floor(lam / H) * H;
    return ph >= 0.0 && ph < H ? ph : 0.0;
}

/* dst = src on the lattice j 2^e + ph (e >= src.e) in the buffer dst_p (room for
 * src.len / 2^(e - src.e) + 3 doubles; may not alias src unless nothing moves). Pessimistic:
 * connect-the-dots, phases 0. Optimistic: the grouping sweep from src's lattice to the target. */
static void coarsen(hush__pld_comp *dst, double *dst_p, const hush__pld_comp *src, int e, double ph, int mode) {
    if (src->len == 0 || (e <= src->e && ph == src->ph)) {
        comp_copy(dst, dst_p, src);
        return;
    }
    if (e < src->e) e = src->e;
    int k = e - src->e;
    if (k > 62) k = 62; /* a factor beyond 2^62 puts everything in one or two bins anyway */
    int64_t f = (int64_t)1 << k;
    double h = comp_h(src), H = ldexp(1.0, src->e + k);
    /* source positions relative to the target origin ph: (idx + sh) h + fr, fr in [0, h) */
    double dph = src->ph - ph, shd = floor(dph / h);
    int64_t sh = (int64_t)shd;
    double fr = dph - shd * h;
    if (fr >= h) { /* rounding */
        fr = 0.0;
        sh++;
    }
    if (fr < 0.0) fr = 0.0;
    int64_t a0 = src->off + sh, a1 = src->off + (int64_t)src->len - 1 + sh;
    int64_t lo = floor_div(a0, f) - 1, hi = floor_div(a1, f) + 1;
    size_t n = (size_t)(hi - lo) + 1;
    memset(dst_p, 0, n * sizeof(double));
    if (mode == HUSH__PLD_PESSIMISTIC) {
        double den = -expm1(-H);
        for (size_t i = 0; i < src->len; i++) {
            double m = src->p[i];
            if (m == 0.0) continue;
            int64_t a = src->off + (int64_t)i + sh, j = floor_div(a, f), r = a - j * f;
            if (r == 0 && fr == 0.0) {
                dst_p[j - lo] += m;
                continue;
            }
            double u = -expm1(-((double)r * h + fr)) / den;
            dst_p[j - lo] += m * (1.0 - u);
            dst_p[j - lo + 1] += m * u;
        }
    } else {
        sweep sw;
        sweep_init(&sw, dst_p, lo, n, src->e, src->e + k);
        for (size_t i = 0; i < src->len; i++) sweep_atom(&sw, src->p[i], src->off + (int64_t)i + sh, fr);
        sweep_finish(&sw);
    }
    while (n > 1 && dst_p[n - 1] == 0.0) n--;
    size_t z = 0;
    while (z + 1 < n && dst_p[z] == 0.0) z++;
    if (z) memmove(dst_p, dst_p + z, (n - z) * sizeof(double));
    dst->p = dst_p;
    dst->len = n - z;
    dst->off = lo + (int64_t)z;
    dst->e = src->e + k;
    dst->ph = ph;
}

/* Cuts the ends of c: bins below the floor loss and at most tau/2 of |mass| at each end
 * (pessimistic: the lower part moves up onto the first kept bin, the upper part goes to +inf;
 * optimistic: both are dropped). Exact zeros at the ends always go. Returns the mass moved up. */
static double trim(hush__pld_comp *c, int mode, double tau, double floor_loss, double *inf) {
    if (c->len == 0) return 0.0;
    double h = comp_h(c);
    int64_t fi = INT64_MIN;
    if (floor_loss > -INFINITY) {
        double t = ceil((floor_loss - c->ph) / h) - (double)c->off;
        fi = t > 9e18 ? INT64_MAX : t < -9e18 ? INT64_MIN : (int64_t)t;
    }
    size_t lo = 0, hi = c->len - 1;
    double cum = 0.0, moved = 0.0;
    while (lo < hi && ((int64_t)lo < fi || c->p[lo] == 0.0 || cum + fabs(c->p[lo]) <= 0.5 * tau)) {
        if ((int64_t)lo >= fi) cum += fabs(c->p[lo]);
        moved += c->p[lo++];
    }
    if (mode == HUSH__PLD_PESSIMISTIC) c->p[lo] += moved;
    cum = 0.0;
    while (hi > lo && (c->p[hi] == 0.0 || cum + fabs(c->p[hi]) <= 0.5 * tau)) cum += fabs(c->p[hi--]);
    if (mode == HUSH__PLD_PESSIMISTIC) *inf += cum;
    if (lo) memmove(c->p, c->p + lo, (hi - lo + 1) * sizeof(double));
    c->off += (int64_t)lo;
    c->len = hi - lo + 1;
    if (c->len == 1 && c->p[0] == 0.0) c->len = 0;
    return mode == HUSH__PLD_PESSIMISTIC ? fabs(moved) : 0.0;
}

/* dst (buffer of room doubles) += src, on the same lattice. Returns 0 if the union does not fit. */
static int add_into(hush__pld_comp *dst, const hush__pld_comp *src, size_t room) {
    if (src->len == 0) return 1;
    if (dst->len == 0) {
        if (src->len > room) return 0;
        comp_copy(dst, dst->p, src);
        return 1;
    }
    int64_t lo = dst->off < src->off ? dst->off : src->off;
    int64_t hi_d = dst->off + (int64_t)dst->len, hi_s = src->off + (int64_t)src->len;
    int64_t hi = hi_d > hi_s ? hi_d : hi_s;
    if ((uint64_t)(hi - lo) > room) return 0;
    size_t n = (size_t)(hi - lo);
    if (dst->off > lo) {
        size_t sh = (size_t)(dst->off - lo);
        memmove(dst->p + sh, dst->p, dst->len * sizeof(double));
        memset(dst->p, 0, sh * sizeof(double));
    }
    size_t end_d = (size_t)(hi_d - lo);
    if (n > end_d) memset(dst->p + end_d, 0, (n - end_d) * sizeof(double));
    size_t at = (size_t)(src->off - lo);
    for (size_t i = 0; i < src->len; i++) dst->p[at + i] += src->p[i];
    dst->off = lo;
    dst->len = n;
    return 1;
}

/* standard deviation (loss units) of F and C together */
static double std_of(const hush__pld_comp *F, const hush__pld_comp *C) {
    const hush__pld_comp *cs[2] = {F, C};
    double m0 = 0.0, m1 = 0.0, ref = 0.0;
    int have_ref = 0;
    for (int k = 0; k < 2; k++) {
        const hush__pld_comp *c = cs[k];
        if (!c->len) continue;
        double h = comp_h(c), base = comp_loss(c, 0);
        if (!have_ref) {
            ref = base;
            have_ref = 1;
        }
        for (size_t i = 0; i < c->len; i++) {
            m0 += c->p[i];
            m1 += c->p[i] * (base - ref + (double)i * h);
        }
    }
    if (!(m0 > 0.0)) return 0.0;
    double mu = m1 / m0, m2 = 0.0;
    for (int k = 0; k < 2; k++) {
        const hush__pld_comp *c = cs[k];
        if (!c->len) continue;
        double h = comp_h(c), base = comp_loss(c, 0) - ref - mu;
        for (size_t i = 0; i < c->len; i++) {
            double d = base + (double)i * h;
            m2 += c->p[i] * d * d;
        }
    }
    return m2 > 0.0 ? sqrt(m2 / m0) : 0.0;
}

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

/* log sum_i |p_i| e^{t l_i} over a component (Horner: no exp per element, nothing overflows) */
static double comp_log_mgf(const hush__pld_comp *c, double t) {
    if (!c->len) return -INFINITY;
    double h = comp_h(c), s = 0.0;
    if (t > 0.0) {
        double f = exp(-t * h);
        for (size_t i = 0; i < c->len; i++) s = s * f + fabs(c->p[i]);
        return log(s) + t * comp_loss(c, c->len - 1);
    }
    double f = exp(t * h);
    for (size_t i = c->len; i-- > 0;) s = s * f + fabs(c->p[i]);
    return log(s) + t * comp_loss(c, 0);
}

/* log of the largest factor by which a rounding onto a grid of spacing H can multiply E[e^{tL}]:
 * for connect-the-dots, max over d in [0, H] of (1 - u) e^{-td} + u e^{t(H - d)},
 * u = (1 - e^{-d}) / (1 - e^{-H}) (about t(t+1)H^2/8: second order), sampled at 63 points with a 5%
 * margin on the logarithm. (Optimistic groupings move mass by about as much; their windows need
 * no rigour: cutting true mass only lowers an optimistic delta further.) */
static double log_rho(double t, double H) {
    double den = -expm1(-H), best = 0.0;
    for (int k = 1; k < 64; k++) {
        double d = H * (double)k / 64.0, u = -expm1(-d) / den;
        double v = hush__dp_log_add(log1p(-u) - t * d, log(u) + t * (H - d));
        if (v > best) best = v;
    }
    return 1.05 * best;
}

/* the factors of a rounding onto spacing 2^e at every t */
static void rho_of(double *r, const double *t, int e) {
    double H = ldexp(1.0, e);
    for (int k = 0; k < HUSH__PLD_NT; k++) r[k] = log_rho(t[k], H);
}

static void lm_coarsen(double *lm, const double *t, int e) {
    double H = ldexp(1.0, e);
    for (int k = 0; k < HUSH__PLD_NT; k++) lm[k] += log_rho(t[k], H);
}

/* adds mass m at loss l to a log-MGF bound */
static void lm_add_mass(double *lm, const double *t, double m, double l) {
    if (!(m > 0.0)) return;
    for (int k = 0; k < HUSH__PLD_NT; k++) lm[k] = hush__dp_log_add(lm[k], log(m) + t[k] * l);
}

static void lm_merge(double *dst, const double *src) {
    for (int k = 0; k < HUSH__PLD_NT; k++) dst[k] = hush__dp_log_add(dst[k], src[k]);
}

/* [lo, hi] (losses) outside which a distribution with log-MGF bound lm has mass at most tau/2 on
 * each side: P[L >= x] <= M(t) e^{-tx} for t > 0, P[L <= x] <= M(t) e^{-tx} for t < 0. */
static void lm_window(const double *lm, const double *t, double tau, double *lo, double *hi) {
    double lt = log(2.0 / tau);
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
    double lt = log(1.0 / tau), best = INFINITY, th = 0.0;
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
static void lm_of_arrays(hush__pld *d, const double *t) {
    for (int k = 0; k < HUSH__PLD_NT; k++) {
        d->lmf[k] = comp_log_mgf(&d->f, t[k]);
        d->lmc[k] = comp_log_mgf(&d->c, t[k]);
    }
}

typedef struct term {
    const hush__pld_comp *c;
    double coef;
} term;

/* the union index range of a sum of components on one lattice */
static int64_t terms_range(const term *t, int n, int64_t *lo) {
    int64_t a = INT64_MAX, b = INT64_MIN;
    for (int i = 0; i < n; i++) {
        if (!t[i].c || !t[i].c->len) continue;
        if (t[i].c->off < a) a = t[i].c->off;
        if (t[i].c->off + (int64_t)t[i].c->len > b) b = t[i].c->off + (int64_t)t[i].c->len;
    }
    *lo = a;
    return b > a ? b - a : 0;
}

static double terms_phase(const term *t, int n) {
    for (int i = 0; i < n; i++)
        if (t[i].c && t[i].c->len) return t[i].c->ph;
    return 0.0;
}

static void pack(double *dst, size_t stride, int64_t lo, size_t n, const term *t, int nt) {
    for (size_t i = 0; i < n; i++) dst[i * stride] = 0.0;
    for (int k = 0; k < nt; k++) {
        if (!t[k].c || !t[k].c->len) continue;
        size_t at = (size_t)(t[k].c->off - lo);
        for (size_t i = 0; i < t[k].c->len; i++) dst[(at + i) * stride] += t[k].coef * t[k].c->p[i];
    }
}

/* out[0 .. la+lb-2] = A (x) B by FFT (inputs packed from the terms at alo, blo; out not in w->z).
 * theta > 0: the inputs tilted by e^{theta h i} (i their index from alo, blo) and the tilted
 * product returned, with the log of the factor that maps it back: product[k] = out[k]
 * e^{ret - theta h k}. */
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
static double fft_conv(double *out, double *lnoise, size_t *k0, const term *A, int na, int64_t alo, size_t la,
                       const term *B, int nb, int64_t blo, size_t lb, int square, double theta, double h,
                       hush__pld_work *w) {
    size_t nout = la + lb - 1, n = next_pow2(nout);
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
                if (v != 0.0 && log(fabs(v)) + theta * h * (double)i > mx) mx = log(fabs(v)) + theta * h * (double)i;
            }
            if (mx == -INFINITY) continue;
            for (size_t i = 0; i < m; i++) {
                double v = z[2 * i + (size_t)c];
                if (v != 0.0) z[2 * i + (size_t)c] = copysign(exp(log(fabs(v)) + theta * h * (double)i - mx), v);
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
        n = next_pow2(nout);
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
    *lnoise = log(4.0 * 1.1e-16 * log2((double)n) * sqrt(nrm[0] * nrm[1]) + 1e-300) +
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
                double ar = side ? ym_r : yk_r, ai = side ? ym_i : yk_i, br = side ? yk_r : ym_r, bi = side ? -yk_i : -ym_i;
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

static void conv_add(hush__pld_comp *acc, size_t room, const term *A, int na, const term *B, int nb, int e, int mode,
                     double wlo, double whi, const double *theta, double tau, double *inf, hush__pld_work *w) {
    int64_t alo, blo;
    size_t la = (size_t)terms_range(A, na, &alo), lb = (size_t)terms_range(B, nb, &blo);
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
         * upper-tail bins 1e-15 below it. So, where the product falls within 1e8 of its round-off
         * (a relative error of 1e-8), it is computed again tilted, from a_i e^{th l_i} and
         * b_j e^{th l_j} with th the log-slope of the product there: the tilted product peaks
         * about there and its round-off is relative to that. Repeated from the tilted product
         * until the top of the window; each bin is taken from the transform whose round-off (a
         * line in log scale: the transform's peak, untilted) is the lowest there. All are the
         * same exact product. */
        double ln_[NTILT + 1], th_[NTILT + 1], pk = 0.0;
        size_t ip = 0;
        for (size_t i = 0; i < nout; i++)
            if (fabs(out[i]) > pk) {
                pk = fabs(out[i]);
                ip = i;
            }
        int nl = 0;
        if (pk > 0.0) {
            ln_[0] = lnp; /* log of the round-off per bin */
            th_[0] = 0.0;
            nl = 1;
        }
        int adaptive = 0;
        for (int j = 0; !adaptive && j < NTILT && nl; j++) {
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
                if (mine < env) out[i] = tl[i] * exp(lt - th * h * (double)i);
            }
            ln_[nl] = c;
            th_[nl] = th;
            nl++;
        }
        while (adaptive && nl && nl <= NTILT) {
            /* the first bin above the peak within 1e8 of the round-off envelope */
            size_t i1 = nout;
            for (size_t i = ip; i < nout; i++) {
                double env = INFINITY;
                for (int k = 0; k < nl; k++) {
                    double v = ln_[k] - th_[k] * h * (double)i;
                    if (v < env) env = v;
                }
                if (log(fabs(out[i]) + 1e-300) < env + log(1e8)) {
                    i1 = i;
                    break;
                }
            }
            if (i1 >= nout || i1 <= ip) break;
            size_t m = (i1 - ip) / 4 > 0 ? (i1 - ip) / 4 : 1;
            double th = (log(fabs(out[i1 - m]) + 1e-300) - log(fabs(out[i1]) + 1e-300)) / ((double)m * h);
            if (!(th > th_[nl - 1])) th = 2.0 * th_[nl - 1] + 1.0 / (h * (double)nout);
            size_t kt;
            double *tl = w->y2, lnt, lt = fft_conv(tl, &lnt, &kt, A, na, alo, la, B, nb, blo, lb, square, th, h, w);
            double c = lnt + lt;
            for (size_t i = kt; i < nout; i++) {
                double mine = c - th * h * (double)i, env = INFINITY;
                for (int k = 0; k < nl; k++) {
                    double v = ln_[k] - th_[k] * h * (double)i;
                    if (v < env) env = v;
                }
                if (mine < env) out[i] = tl[i] * exp(lt - th * h * (double)i);
            }
            ln_[nl] = c;
            th_[nl] = th;
            nl++;
            ip = i1;
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
        coarsen(&g, w->s[5], &r, e, acc->ph, mode);
        (void)add_into(acc, &g, room);
        return;
    }
    if (!acc->len) acc->ph = ph;
    (void)add_into(acc, &r, room);
}

/* ---- composition ---- */

static void store(hush__pld *d, const hush__pld_comp *F, const hush__pld_comp *C, double inf, double steps,
                  const double *lmf, const double *lmc) {
    if (lmf != d->lmf) memcpy(d->lmf, lmf, sizeof d->lmf);
    if (lmc != d->lmc) memcpy(d->lmc, lmc, sizeof d->lmc);
    comp_copy(&d->f, d->f.p, F);
    if (C->len)
        comp_copy(&d->c, d->c.p, C);
    else
        d->c.len = 0;
    d->inf = inf > 1.0 ? 1.0 : inf;
    d->steps = steps;
}

/* Coarsens a component in place (its buffer has room for the result) through a scratch array,
 * updating its log-MGF bound; ph < 0: choose the phase (spike_phase). */
static void recoarsen(hush__pld_comp *c, int e, double ph, int mode, hush__pld_work *w, double *lm) {
    if (!c->len) {
        if (e > c->e) c->e = e;
        return;
    }
    if (e < c->e) e = c->e;
    if (ph < 0.0) ph = spike_phase(c, e, mode);
    if (e == c->e && ph == c->ph) return;
    lm_coarsen(lm, w->t, e);
    double *keep = c->p;
    hush__pld_comp t;
    coarsen(&t, w->s[5], c, e, ph, mode);
    comp_copy(c, keep, &t);
}

/* Brings a raw product (F in w->outf, C in w->outc) back within the grid rules, into d. */
static void normalize(hush__pld *d, hush__pld_comp *F, hush__pld_comp *C, double inf, double steps, int mode,
                      double *lmf, double *lmc, hush__pld_work *w) {
    double tau = tau_of(w, steps);
    size_t room = comp_room(w);
    double mv = trim(F, mode, tau, w->floor, &inf);
    if (mv > 0.0) lm_add_mass(lmf, w->t, mv, comp_loss(F, 0));
    mv = trim(C, mode, tau, w->floor, &inf);
    if (mv > 0.0) lm_add_mass(lmc, w->t, mv, comp_loss(C, 0));
    if (!F->len && C->len) { /* the fine part is gone: the coarse one becomes the only one */
        memcpy(F->p, C->p, C->len * sizeof(double));
        F->len = C->len;
        F->off = C->off;
        F->e = C->e;
        F->ph = C->ph;
        C->len = 0;
        memcpy(lmf, lmc, HUSH__PLD_NT * sizeof(double));
    }
    if (!F->len) { /* everything truncated (only possible with absurd inputs) */
        F->len = 1;
        F->off = 0;
        F->ph = 0.0;
        F->p[0] = 0.0;
    }
    if (!C->len)
        for (int k = 0; k < HUSH__PLD_NT; k++) lmc[k] = -INFINITY;
    double sd = std_of(F, C);
    int et = sd > 0.0 ? pow2_exp(sd / w->bins_per_std) : F->e;
    if (C->len) {
        if (et > C->e) recoarsen(C, et, -1.0, mode, w, lmc);
        int ef = et < C->e ? et : C->e;
        if (F->e < ef) recoarsen(F, ef, -1.0, mode, w, lmf);
        while (F->len > room && F->e < C->e) recoarsen(F, F->e + 1, -1.0, mode, w, lmf);
        if (F->e >= C->e) { /* one grid: merge onto F's lattice (the coarse part is wide) */
            recoarsen(F, C->e, -1.0, mode, w, lmf);
            recoarsen(C, C->e, F->ph, mode, w, lmc);
            if (!add_into(C, F, w->nfft)) { /* cannot happen with these sizes; coarsen and retry */
                recoarsen(C, C->e + 1, -1.0, mode, w, lmc);
                recoarsen(F, C->e, C->ph, mode, w, lmf);
                (void)add_into(C, F, w->nfft);
            }
            memcpy(F->p, C->p, C->len * sizeof(double));
            F->len = C->len;
            F->off = C->off;
            F->e = C->e;
            F->ph = C->ph;
            C->len = 0;
            lm_merge(lmf, lmc);
            for (int k = 0; k < HUSH__PLD_NT; k++) lmc[k] = -INFINITY;
        }
    } else if (F->e < et) {
        recoarsen(F, et, -1.0, mode, w, lmf);
    }
    while (F->len > room) recoarsen(F, F->e + 1, -1.0, mode, w, lmf);
    while (C->len > room) recoarsen(C, C->e + 1, -1.0, mode, w, lmc);
    store(d, F, C, inf, steps, lmf, lmc);
}

/* lm of a product of two factors with log-MGF bounds x and y plus rounding factors rx, ry */
static void lm_prod(double *out, const double *x, const double *rx, const double *y, const double *ry) {
    for (int k = 0; k < HUSH__PLD_NT; k++) out[k] = x[k] + rx[k] + y[k] + ry[k];
}

/* acc += the product of the factors, windowed by their bound lm (merged into lm_acc) */
static void conv_win(hush__pld_comp *acc, const term *A, int na, const term *B, int nb, int e, int mode,
                     const double *lm, double *lm_acc, double tau, double *inf, hush__pld_work *w) {
    double wlo, whi, th[NTILT];
    lm_window(lm, w->t, tau, &wlo, &whi);
    th[0] = lm_tilt(lm, w->t, 1e-11);
    conv_add(acc, w->nfft, A, na, B, nb, e, mode, wlo, whi, th, tau, inf, w);
    lm_merge(lm_acc, lm);
    /* the lower edge may have received tau/2 (pessimistic) */
    if (mode == HUSH__PLD_PESSIMISTIC && isfinite(wlo)) lm_add_mass(lm_acc, w->t, 0.5 * tau, wlo);
}

/* a factor for a product on the lattice 2^e: src itself if it is on that grid, else a copy in buf */
static void factor(hush__pld_comp *dst, double *buf, const hush__pld_comp *src, int e, int mode) {
    if (!src->len) {
        *dst = *src;
        dst->len = 0;
        return;
    }
    if (src->e == e) {
        *dst = *src;
        return;
    }
    coarsen(dst, buf, src, e, spike_phase(src, e, mode), mode);
}

/* d = a (x) b (composition); d may alias a and/or b. */
static void mul(hush__pld *d, const hush__pld *a, const hush__pld *b, int mode, hush__pld_work *w) {
    if (is_identity(b) || is_identity(a)) {
        const hush__pld *x = is_identity(b) ? a : b;
        if (d != x) {
            hush__pld_comp F = x->f, C = x->c;
            store(d, &F, &C, x->inf, x->steps, x->lmf, x->lmc);
        }
        return;
    }
    int sq = a == b;
    double steps = a->steps + b->steps, tau = tau_of(w, steps);
    double inf = a->inf + b->inf - a->inf * b->inf;
    int ef = a->f.e > b->f.e ? a->f.e : b->f.e;
    hush__pld_comp af, bf, afc = {0}, bfc = {0}, ac = {0}, bc = {0};
    factor(&af, w->s[0], &a->f, ef, mode);
    if (sq)
        bf = af;
    else
        factor(&bf, w->s[1], &b->f, ef, mode);
    int ec = ef;
    if (a->c.len || b->c.len) {
        if (a->c.len && a->c.e > ec) ec = a->c.e;
        if (b->c.len && b->c.e > ec) ec = b->c.e;
        for (;;) {
            /* the fine parts go to the coarse grid straight from their own (one rounding) */
            if (b->c.len) factor(&afc, w->s[2], &a->f, ec, mode);
            if (a->c.len && !sq) factor(&bfc, w->s[3], &b->f, ec, mode);
            if (a->c.len) factor(&ac, w->s[4], &a->c, ec, mode);
            if (b->c.len && !sq) factor(&bc, w->s[5], &b->c, ec, mode);
            if (sq) {
                bc = ac;
                bfc = afc;
            }
            /* every product lies inside (afc + ac) (x) (bfc + bc): it must fit one FFT and outc */
            term ta[2] = {{&afc, 1.0}, {&ac, 1.0}}, tb[2] = {{&bfc, 1.0}, {&bc, 1.0}};
            int64_t x;
            if (terms_range(ta, 2, &x) + terms_range(tb, 2, &x) + 4 <= (int64_t)w->nfft) break;
            ec++; /* the parts lie too far apart (not expected): a coarser grid */
        }
    }
    /* rounding factors of the bounds: fine parts to 2^ef or 2^ec, coarse parts to 2^ec */
    double zero[HUSH__PLD_NT] = {0}, r_ef[HUSH__PLD_NT], r_ec[HUSH__PLD_NT];
    rho_of(r_ef, w->t, ef);
    rho_of(r_ec, w->t, ec);
    const double *rfa = a->f.e < ef ? r_ef : zero, *rfb = b->f.e < ef ? r_ef : zero;
    const double *rfac = a->f.e < ec ? r_ec : zero, *rfbc = b->f.e < ec ? r_ec : zero;
    const double *rca = a->c.len && a->c.e < ec ? r_ec : zero, *rcb = b->c.len && b->c.e < ec ? r_ec : zero;
    double lmf[HUSH__PLD_NT], lmc[HUSH__PLD_NT], lm[HUSH__PLD_NT];
    for (int k = 0; k < HUSH__PLD_NT; k++) lmf[k] = lmc[k] = -INFINITY;
    hush__pld_comp F = {w->outf, 0, 0, ef, 0.0}, C = {w->outc, 0, 0, ec, 0.0};
    term tf_a = {&af, 1.0}, tf_b = {&bf, 1.0};
    lm_prod(lm, a->lmf, rfa, b->lmf, rfb);
    conv_win(&F, &tf_a, 1, &tf_b, 1, ef, mode, lm, lmf, tau, &inf, w);
    if (a->c.len || b->c.len) {
        /* Each product is transformed on its own: a sum like 2 af + ac mixes a bulk of mass 1 with
         * a tail of mass 1e-7 whose digits the transform's round-off (relative to the larger)
         * would lose. In the optimistic mode the parts may also sit on different lattices. */
        term t_afc = {&afc, 1.0}, t_bfc = {&bfc, 1.0}, t_ac = {&ac, 1.0}, t_bc = {&bc, 1.0};
        if (sq) {
            term t_afc2 = {&afc, 2.0};
            lm_prod(lm, a->lmc, rca, a->lmf, rfac);
            for (int k = 0; k < HUSH__PLD_NT; k++) lm[k] += HUSH__DP_LN2;
            conv_win(&C, &t_ac, 1, &t_afc2, 1, ec, mode, lm, lmc, tau, &inf, w);
            lm_prod(lm, a->lmc, rca, a->lmc, rca);
            conv_win(&C, &t_ac, 1, &t_ac, 1, ec, mode, lm, lmc, tau, &inf, w);
        } else {
            if (b->c.len) {
                lm_prod(lm, a->lmf, rfac, b->lmc, rcb);
                conv_win(&C, &t_afc, 1, &t_bc, 1, ec, mode, lm, lmc, tau, &inf, w);
            }
            if (a->c.len) {
                lm_prod(lm, a->lmc, rca, b->lmf, rfbc);
                conv_win(&C, &t_ac, 1, &t_bfc, 1, ec, mode, lm, lmc, tau, &inf, w);
                if (b->c.len) {
                    lm_prod(lm, a->lmc, rca, b->lmc, rcb);
                    conv_win(&C, &t_ac, 1, &t_bc, 1, ec, mode, lm, lmc, tau, &inf, w);
                }
            }
        }
    }
    normalize(d, &F, &C, inf, steps, mode, lmf, lmc, w);
}

/* ---- one step ---- */

/* z with P[N(0,1) > z] = p */
static double normal_quantile_upper(double p) {
    double lo = 0.0, hi = 40.0, lp = log(p);
    for (int it = 0; it < 100; it++) {
        double mid = 0.5 * (lo + hi);
        if (hush__dp_log_erfc(mid / HUSH__DP_SQRT2) - HUSH__DP_LN2 > lp)
            lo = mid;
        else
            hi = mid;
    }
    return hi;
}

/* loss whose upper (upper = 1: P[L > l] = psi) or lower (P[L < l] = psi) tail has mass psi */
static double loss_quantile(const step *st, double psi, int upper) {
    /* remove: L increases with x; add: decreases */
    int x_upper = st->remove ? upper : !upper;
    double lo = st->xlo, hi = st->xhi;
    for (int it = 0; it < 80; it++) {
        double mid = 0.5 * (lo + hi), m = x_tail(st, mid, x_upper);
        if (x_upper ? m > psi : m < psi)
            lo = mid;
        else
            hi = mid;
    }
    return loss_at(st, 0.5 * (lo + hi));
}

static int64_t bins_of(double a, double b, int e) {
    double n = floor(b / ldexp(1.0, e)) - floor(a / ldexp(1.0, e)) + 2.0;
    return n > 4e18 ? INT64_MAX : (int64_t)n;
}

/* Puts mass m at loss l (inside the component, phase 0) pessimistically: split to the two
 * neighbours keeping E[e^{-L}]. */
static void put_atom_pess(hush__pld_comp *c, double l, double m) {
    double h = comp_h(c), t = floor(l / h);
    int64_t k = (int64_t)t - c->off;
    double d = l - t * h;
    if (k < 0) k = 0;
    if ((size_t)k >= c->len) k = (int64_t)c->len - 1;
    if (d <= 0.0 || (size_t)k + 1 >= c->len) {
        c->p[k] += m;
        return;
    }
    double u = -expm1(-d) / -expm1(-h);
    c->p[k] += m * (1.0 - u);
    c->p[k + 1] += m * u;
}

/* The intervals k = k0 .. k1-1 of spacing 2^e: pessimistic, connect-the-dots into c (grid 2^e,
 * phase 0, covering k0 .. k1); optimistic, each interval's mass as one atom at its conditional
 * mean of e^{-L}, appended to atoms (mass, loss) in increasing loss. Returns the atoms written. */
static size_t discretise(const step *st, hush__pld_comp *c, int e, int64_t k0, int64_t k1, int mode, double *atoms) {
    double h = ldexp(1.0, e), em = expm1(-h);
    size_t na = 0;
    for (int64_t k = k0; k < k1; k++) {
        double p, g, la = (double)k * h;
        interval(st, la, h, &p, &g);
        if (!(p > 0.0)) continue;
        if (mode == HUSH__PLD_PESSIMISTIC) {
            c->p[k - c->off] += p * (1.0 - g);
            c->p[k - c->off + 1] += p * g;
        } else {
            double frac = -log1p(em * g);
            if (!(frac >= 0.0)) frac = 0.0;
            if (frac > h) frac = h;
            atoms[2 * na] = p;
            atoms[2 * na + 1] = la + frac;
            na++;
        }
    }
    return na;
}

/* Groups atoms (mass, loss) onto the lattice j 2^e + ph (ph chosen like spike_phase, from the
 * heaviest pair of neighbouring atoms) into c, which gets its range. */
static void group_atoms(hush__pld_comp *c, double *buf, const double *atoms, size_t na, int e) {
    double h = ldexp(1.0, e), ph = 0.0, tot = 0.0, best = -1.0;
    size_t bi = 0;
    for (size_t i = 0; i < na; i++) {
        tot += atoms[2 * i];
        double m = atoms[2 * i] + (i + 1 < na ? atoms[2 * i + 2] : 0.0);
        if (m > best) {
            best = m;
            bi = i;
        }
    }
    if (na && best >= SPIKE_SHARE * tot && e <= 0) {
        double l0 = atoms[2 * bi + 1], y = atoms[2 * bi], m0 = atoms[2 * bi];
        if (bi + 1 < na && atoms[2 * bi + 3] - l0 <= 2.0 * h) {
            y += atoms[2 * bi + 2] * exp(-(atoms[2 * bi + 3] - l0));
            m0 += atoms[2 * bi + 2];
        }
        double lam = l0 - log(y / m0);
        ph = lam - floor(lam / h) * h;
        if (!(ph >= 0.0 && ph < h)) ph = 0.0;
    }
    int64_t lo = na ? (int64_t)floor((atoms[1] - ph) / h) - 1 : 0;
    int64_t hi = na ? (int64_t)ceil((atoms[2 * na - 1] - ph) / h) + 1 : 0;
    size_t n = (size_t)(hi - lo) + 1;
    memset(buf, 0, n * sizeof(double));
    sweep sw;
    sweep_init(&sw, buf, lo, n, e, e);
    for (size_t i = 0; i < na; i++) {
        double x = (atoms[2 * i + 1] - ph) / h, t = floor(x);
        double fr = (x - t) * h;
        sweep_atom(&sw, atoms[2 * i], (int64_t)t, fr < 0.0 ? 0.0 : fr > h ? h : fr);
    }
    sweep_finish(&sw);
    c->p = buf;
    c->len = n;
    c->off = lo;
    c->e = e;
    c->ph = ph;
}

/* One step of an event into d (arrays of cap each), pessimistic or optimistic. */
static void build_step(hush__pld *d, const hush__pld_event *ev, int remove, int mode, hush__pld_work *w) {
    set_identity(d);
    d->steps = 1.0;
    if (ev->kind == HUSH__PLD_SGM && ev->q == 0.0) {
        d->f.e = 0;
        return;
    }
    if (ev->s == 0.0) { /* no noise: no privacy */
        d->f.e = 0;
        d->f.p[0] = 0.0;
        d->inf = 1.0;
        for (int k = 0; k < HUSH__PLD_NT; k++) d->lmf[k] = -INFINITY;
        return;
    }
    step st = {ev->kind, remove, ev->q, ev->s, ev->s * ev->s, 0.0, 1.0};
    double lmin, lmax, low = 0.0, high = 0.0;
    if (ev->kind == HUSH__PLD_LAPLACE) {
        lmin = -1.0 / ev->s;
        lmax = 1.0 / ev->s;
    } else {
        if (ev->q == 1.0) st.remove = 1; /* both directions are the same pair */
        double z = normal_quantile_upper(0.5 * tau_of(w, 1.0)), s = ev->s;
        /* x ranges over the components of P present: N(0, s^2), and N(1, s^2) when removing */
        st.xlo = (ev->q == 1.0 ? 1.0 : 0.0) - z * s;
        st.xhi = (st.remove ? 1.0 : 0.0) + z * s;
        lmin = st.remove ? loss_at(&st, st.xlo) : loss_at(&st, st.xhi);
        lmax = st.remove ? loss_at(&st, st.xhi) : loss_at(&st, st.xlo);
        if (lmin < w->floor) { /* see the floor in the header comment */
            lmin = w->floor;
            if (st.remove)
                st.xlo = x_of_lr(&st, lmin);
            else
                st.xhi = x_of_lr(&st, -lmin);
        }
        low = st.remove ? x_tail(&st, st.xlo, 0) : x_tail(&st, st.xhi, 1);
        high = st.remove ? x_tail(&st, st.xhi, 1) : x_tail(&st, st.xlo, 0);
    }
    double mean, var;
    loss_moments(&st, &mean, &var);
    double sd = sqrt(var), nps = w->bins_per_std;
    int64_t room = (int64_t)comp_room(w);
    int ef = pow2_exp(sd / nps);
    if (!(sd > 0.0)) ef = pow2_exp((lmax - lmin) / (double)room) + 1;
    /* window [wa, wb] (coarse indices) and coarse exponent ec when one grid would be too long */
    int ec = 0, two = 0;
    int64_t wa = 0, wb = 0;
    /* candidate windows between tail quantiles 10^(-k/2) (k = 2 .. 40) or the range ends */
    enum { NPSI = 40 };
    double qlo[NPSI], qhi[NPSI], psi[NPSI];
    int have_q = 0;
    for (;; ef++) {
        if (bins_of(lmin, lmax, ef) <= room) break;
        if (ev->kind == HUSH__PLD_LAPLACE) continue;
        if (!have_q) {
            psi[0] = 0.0;
            qlo[0] = lmin;
            qhi[0] = lmax;
            for (int k = 1; k < NPSI; k++) {
                psi[k] = pow(10.0, -0.5 * (double)(k + 1));
                qlo[k] = loss_quantile(&st, psi[k], 0);
                qhi[k] = loss_quantile(&st, psi[k], 1);
            }
            have_q = 1;
        }
        int64_t best = INT64_MAX;
        for (int i = 0; i < NPSI; i++)
            for (int j = 0; j < NPSI; j++) {
                double out = psi[i] + psi[j];
                if (out == 0.0 || out > 0.5) continue;
                int e2 = pow2_exp(sd / (nps * sqrt(out)));
                if (e2 <= ef) e2 = ef + 1;
                double H = ldexp(1.0, e2);
                int64_t c0 = (int64_t)floor(lmin / H), c1 = (int64_t)ceil(lmax / H);
                int64_t a = (int64_t)floor(qlo[i] / H), b = (int64_t)ceil(qhi[j] / H);
                if (a < c0) a = c0;
                if (b > c1) b = c1;
                if (b <= a) continue;
                int64_t nf = (b - a) * ((int64_t)1 << (e2 - ef)) + 1, nc = c1 - c0 + 1;
                if (e2 - ef > 40 || nf > room || nc > room) continue;
                if (nf + nc < best) {
                    best = nf + nc;
                    ec = e2;
                    wa = a;
                    wb = b;
                }
            }
        if (best < INT64_MAX) {
            two = 1;
            break;
        }
    }
    /* the components: F over [k0, k1] on 2^ef; with two, C over [c0, c1] on 2^ec minus the window */
    int64_t f = two ? (int64_t)1 << (ec - ef) : 1, k0, k1, c0 = 0, c1 = 0;
    if (two) {
        double H = ldexp(1.0, ec);
        c0 = (int64_t)floor(lmin / H);
        c1 = (int64_t)ceil(lmax / H);
        k0 = wa * f;
        k1 = wb * f;
    } else {
        double h = ldexp(1.0, ef);
        k0 = (int64_t)floor(lmin / h);
        k1 = (int64_t)ceil(lmax / h);
    }
    hush__pld_comp *F = &d->f, *C = &d->c;
    if (mode == HUSH__PLD_PESSIMISTIC) {
        size_t nf = (size_t)(k1 - k0) + 1;
        memset(F->p, 0, nf * sizeof(double));
        *F = (hush__pld_comp){F->p, nf, k0, ef, 0.0};
        if (ev->kind == HUSH__PLD_LAPLACE) {
            double b = ev->s;
            put_atom_pess(F, -1.0 / b, 0.5 * exp(-1.0 / b));
            put_atom_pess(F, 1.0 / b, 0.5);
        }
        discretise(&st, F, ef, k0, k1, mode, NULL);
        if (two) {
            size_t nc = (size_t)(c1 - c0) + 1;
            memset(C->p, 0, nc * sizeof(double));
            *C = (hush__pld_comp){C->p, nc, c0, ec, 0.0};
            discretise(&st, C, ec, c0, wa, mode, NULL);
            discretise(&st, C, ec, wb, c1, mode, NULL);
        }
        (two && wa > c0 ? C : F)->p[0] += low;
        d->inf = high;
    } else {
        /* atoms in w->z (2 per interval: at most 2 cap intervals), grouped into scratch, copied */
        double *at = w->z;
        size_t na = 0;
        if (ev->kind == HUSH__PLD_LAPLACE) {
            at[0] = 0.5 * exp(-1.0 / ev->s);
            at[1] = -1.0 / ev->s;
            na = 1;
        }
        na += discretise(&st, NULL, ef, k0, k1, mode, at + 2 * na);
        if (ev->kind == HUSH__PLD_LAPLACE) {
            at[2 * na] = 0.5;
            at[2 * na + 1] = 1.0 / ev->s;
            na++;
        }
        hush__pld_comp g;
        group_atoms(&g, w->s[0], at, na, ef);
        comp_copy(F, F->p, &g);
        if (two) {
            size_t n1 = discretise(&st, NULL, ec, c0, wa, mode, at);
            hush__pld_comp g1 = {w->s[1], 0, 0, ec, 0.0}, g2;
            group_atoms(&g1, w->s[1], at, n1, ec);
            size_t n2 = discretise(&st, NULL, ec, wb, c1, mode, at);
            group_atoms(&g2, w->s[2], at, n2, ec);
            /* one coarse lattice for both parts (the tails are wide) */
            hush__pld_comp g2r;
            if (g1.len && g2.len && g2.ph != g1.ph) {
                coarsen(&g2r, w->s[3], &g2, ec, g1.ph, mode);
                g2 = g2r;
            }
            C->len = 0;
            C->e = ec;
            C->ph = g1.len ? g1.ph : g2.ph;
            (void)add_into(C, &g1, comp_room(w));
            (void)add_into(C, &g2, comp_room(w));
        }
    }
    double dummy = 0.0;
    trim(F, mode, 0.0, -INFINITY, &dummy);
    if (two) trim(C, mode, 0.0, -INFINITY, &dummy);
    if (!C->len) C->e = ec;
    if (!F->len) { /* all the mass in the coarse part (not expected) */
        if (C->len) {
            comp_copy(F, F->p, C);
            C->len = 0;
        } else {
            F->len = 1;
            F->ph = 0.0;
            F->p[0] = 0.0;
        }
    }
    lm_of_arrays(d, w->t);
}

/* Chernoff bound U on the largest loss any part of the composition reaches except with
 * probability TAU_FLOOR (log M(t) >= 0 for t >= 0 since E[L] >= 0, so the whole composition's
 * bound covers every part of it); the floor is -U. */
static double compute_floor(const hush__pld_event *ev, size_t n, int remove) {
    double hard = 0.0, lt = -log(TAU_FLOOR), var = 0.0, cnt = 0.0;
    for (size_t i = 0; i < n; i++) {
        const hush__pld_event *e = &ev[i];
        if (!e->count || (e->kind == HUSH__PLD_SGM && e->q == 0.0)) continue;
        if (e->s == 0.0) return -INFINITY;
        double c = (double)e->count, b;
        if (e->kind == HUSH__PLD_LAPLACE)
            b = 1.0 / e->s;
        else if (!remove && e->q < 1.0)
            b = -log1p(-e->q);
        else
            b = INFINITY;
        hard += c * b;
        cnt += c;
        double v = e->kind == HUSH__PLD_LAPLACE ? 1.0 / (e->s * e->s) : e->q * e->q / (e->s * e->s);
        var += c * v;
    }
    if (cnt == 0.0) return -INFINITY;
    /* scan t around the Gaussian optimum sqrt(2 lt / var) */
    int j0 = (int)floor(log2(sqrt(2.0 * lt / (var > 1e-300 ? var : 1e-300))));
    double best = hard;
    for (int j = j0 - 6; j <= j0 + 6; j++) {
        if (j > 6 || j < -200) continue;
        double t = ldexp(1.0, j), tot = 0.0;
        for (size_t i = 0; i < n && isfinite(tot); i++) {
            const hush__pld_event *e = &ev[i];
            if (!e->count || (e->kind == HUSH__PLD_SGM && e->q == 0.0)) continue;
            step st = {e->kind, remove, e->q, e->s, e->s * e->s, 0.0, 1.0};
            if (e->kind == HUSH__PLD_SGM && e->q == 1.0) st.remove = 1;
            double lm = log_mgf_step(&st, t);
            if (lm < 0.0) lm = 0.0;
            tot += (double)e->count * lm;
        }
        double u = (tot + lt) / t;
        if (u < best) best = u; /* NaN never compares */
    }
    return -best;
}

void hush__pld_build(hush__pld *out, const hush__pld_event *ev, size_t n, int remove, int mode, hush__pld_work *w) {
    double steps = 0.0;
    for (size_t i = 0; i < n; i++) steps += (double)ev[i].count;
    w->steps = steps > 1.0 ? steps : 1.0;
    w->floor = compute_floor(ev, n, remove);
    /* the log-MGF points: 2^j / S for 32 octaves from 0.02 / S, S the composition's standard
     * deviation (optimal Chernoff points are near 10 / S for every level and both tails) */
    double var = 0.0;
    for (size_t i = 0; i < n; i++) {
        if (!ev[i].count || ev[i].s == 0.0 || (ev[i].kind == HUSH__PLD_SGM && ev[i].q == 0.0)) continue;
        step st = {ev[i].kind, remove, ev[i].q, ev[i].s, ev[i].s * ev[i].s, 0.0, 1.0};
        if (st.kind == HUSH__PLD_SGM) {
            if (st.q == 1.0) st.remove = 1;
            st.xlo = (st.q == 1.0 ? 1.0 : 0.0) - 12.0 * st.s;
            st.xhi = (st.remove ? 1.0 : 0.0) + 12.0 * st.s;
        }
        double mean, v;
        loss_moments(&st, &mean, &v);
        var += (double)ev[i].count * v;
    }
    int j0 = var > 0.0 && isfinite(var) ? pow2_exp(0.02 / sqrt(var)) : -6;
    if (j0 > 900) j0 = 900;
    if (j0 < -900) j0 = -900;
    for (int k = 0; k < HUSH__PLD_NT / 2; k++) {
        w->t[2 * k] = ldexp(1.0, j0 + k);
        w->t[2 * k + 1] = -w->t[2 * k];
    }
    set_identity(out);
    for (size_t i = 0; i < n; i++) {
        if (ev[i].count == 0) continue;
        build_step(&w->base, &ev[i], remove, mode, w);
        set_identity(&w->res);
        for (uint64_t t = ev[i].count;;) {
            if (t & 1) mul(&w->res, &w->res, &w->base, mode, w);
            t >>= 1;
            if (!t) break;
            mul(&w->base, &w->base, &w->base, mode, w);
        }
        mul(out, out, &w->res, mode, w);
    }
}

/* ---- hockey-stick divergence ---- */

static double comp_delta(const hush__pld_comp *c, double eps) {
    if (!c->len) return 0.0;
    double h = comp_h(c);
    /* first index with loss > eps */
    double t = (eps - c->ph) / h - (double)c->off;
    if (t >= (double)c->len) return 0.0;
    size_t i = t < 0.0 ? 0 : (size_t)floor(t) + 1;
    while (i > 0 && comp_loss(c, i - 1) > eps) i--;
    double s = 0.0, r = exp(-h), f = exp(eps - comp_loss(c, i));
    for (; i < c->len; i++) {
        s += c->p[i] * (1.0 - f);
        f *= r;
    }
    return s;
}

double hush__pld_delta(const hush__pld *d, double eps) {
    double s = d->inf + comp_delta(&d->f, eps) + comp_delta(&d->c, eps);
    return s > 1.0 ? 1.0 : s < 0.0 ? 0.0 : s;
}

static double top_loss(const hush__pld *d) {
    double t = 0.0;
    if (d->f.len) t = comp_loss(&d->f, d->f.len - 1);
    if (d->c.len) {
        double u = comp_loss(&d->c, d->c.len - 1);
        if (u > t) t = u;
    }
    return t;
}

double hush__pld_epsilon(const hush__pld *d, double delta) {
    if (d->inf > delta) return INFINITY;
    if (hush__pld_delta(d, 0.0) <= delta) return 0.0;
    double lo = 0.0, hi = top_loss(d);
    if (!(hi > 0.0)) return 0.0;
    /* delta is continuous and non-increasing in eps: bisect (to about 1e-15 relative) */
    for (int it = 0; it < 120; it++) {
        double mid = 0.5 * (lo + hi);
        if (mid <= lo || mid >= hi) break;
        if (hush__pld_delta(d, mid) > delta)
            lo = mid;
        else
            hi = mid;
        if (hi - lo <= 1e-15 * hi) break;
    }
    return hi;
}
