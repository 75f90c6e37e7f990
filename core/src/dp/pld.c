/* Privacy loss distributions (PLD) on adaptive power-of-two grids.
 *
 * For a dominating pair (P, Q) the privacy loss is L = log(P(x)/Q(x)) with x ~ P, and
 * delta(eps) = E[(1 - e^{eps - L})_+] + P[L = +inf] (the hockey-stick divergence). Composition
 * adds independent losses, so the PLD of a composition is the convolution of the PLDs.
 *
 * Grids. Every distribution lives on a grid of spacing h = 2^e, chosen per distribution: a
 * single step is discretised finely enough that the discretisation adds at most RHO of its
 * variance, and every composed distribution is coarsened (h doubles) whenever its standard
 * deviation exceeds 2 BINS_PER_STD bins. Since the spacings are powers of two, all grids nest.
 * The width of a composition grows like sqrt(steps) and so does h: the arrays keep a few
 * thousand bins from 1 to 10^7 steps, and nothing ever overflows (a fixed grid, like
 * dp_accounting's 1e-4, needs ever more bins as epsilon grows).
 *
 * Multi-scale losses. The Poisson-subsampled Gaussian with small q and sigma near 1 has a
 * log-normal-like loss: most mass within q of 0, a tail reaching 1-10. One uniform grid fine
 * enough for the bulk would need 10^7 bins. Such a step is split at a loss c into a fine
 * component (losses <= c, spacing h_f) and a coarse one (spacing H = 2^k h_f); products keep
 * fine x fine on the fine grid and put every term with a coarse factor on the coarse grid. Once
 * the fine component's own spread reaches H (after enough compositions) the two merge.
 *
 * Pessimistic mode (an upper bound on delta at every eps): each interval's mass is split
 * between its end points preserving both P- and Q-mass ("connect the dots", Doroshenko, Ghazi,
 * Kamath, Kumar, Manurangsi 2022): a mean-preserving spread of y = e^{-L}, and delta is convex
 * in y, so delta can only grow, also after composition. Coarsening does the same spread onto
 * the coarser grid. Truncated lower tails move up onto the first kept bin, upper tails go to
 * +infinity (about TAU_TOTAL in all, tiny against any delta >= 1e-12); after an FFT, the bins
 * outside a Chernoff bound of the exact result hold only round-off and are cleared.
 *
 * Optimistic mode (a lower bound on epsilon): every rounding instead splits mass preserving the
 * mean of L (randomised rounding), and truncated tails are dropped. Then the true and the
 * discretised total loss are coupled so that their difference is a martingale with increments
 * bounded by the largest spacing used (b) and predictable variance at most v (tracked through
 * every rounding), so by Freedman's inequality L_true >= L_disc - D except with probability
 * delta_err, and delta_true(eps) >= delta_disc(eps + D) - delta_err. (The same coupling is the
 * basis of the PRV accountant of Gopi, Lee and Wutschitz 2021.)
 *
 * Both are exact up to double rounding: interval masses come from Gauss-Legendre quadrature in
 * x (relative error near 1e-15), convolutions from a radix-2 FFT (round-off about 1e-16 of the
 * peak per bin, of either sign: kept signed, see convolve).
 */
#include "dp/pld.h"

#include <math.h>
#include <string.h>

#include "dp/dpmath.h"

#define BINS_PER_STD 48.0 /* coarsen when the standard deviation exceeds 2x this many bins */
#define RHO 2e-4          /* single-step discretisation variance / true variance */
#define TAU_TOTAL 1e-16   /* truncated mass per composition, divided by its number of steps */
#define TAU_STEP 1e-18    /* tail mass cut from a single step, divided by the step count */
#define LOW_STD 24.0      /* lower tails beyond this many standard deviations merge into one bin */

static int64_t floor_div(int64_t a, int64_t b) {
    int64_t q = a / b;
    if ((a % b) != 0 && ((a < 0) != (b < 0))) q--;
    return q;
}

/* fft 4 cap, out_f 2 cap, out_c 6 cap, conv 2 cap, six scratch components of cap + 16, base and res */
size_t hush__pld_work_doubles(size_t cap) { return 14 * cap + 6 * (cap + 16) + 4 * cap; }

void hush__pld_init(hush__pld *d, double *mem, size_t cap) {
    (void)cap;
    memset(d, 0, sizeof *d);
    d->f.p = mem;
    d->c.p = mem + cap;
}

void hush__pld_work_init(hush__pld_work *w, double *mem, size_t cap) {
    w->cap = cap;
    w->fft = mem;
    mem += 4 * cap;
    w->out_f = mem;
    mem += 2 * cap;
    w->out_c = mem;
    mem += 6 * cap;
    w->conv = mem;
    mem += 2 * cap;
    for (int i = 0; i < 6; i++) {
        w->t[i] = mem;
        mem += cap + 16;
    }
    hush__pld_init(&w->base, mem, cap);
    mem += 2 * cap;
    hush__pld_init(&w->res, mem, cap);
}

static void set_identity(hush__pld *d) {
    d->f.len = 1;
    d->f.off = 0;
    d->f.e = -1100; /* loss 0 sits on every grid */
    d->f.p[0] = 1.0;
    d->c.len = 0;
    d->inf = d->v = d->b = 0.0;
}

static int is_identity_comp(const hush__pld_comp *c) { return c->len == 1 && c->off == 0; }

/* ---- single steps ---- */

typedef struct step {
    int kind, remove;
    double q, s, s2, h; /* h: the interval width while discretising */
    double xlo, xhi;    /* the x range discretised; beyond it the tails (see build_step) */
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
    double a = npdf(x / st->s) / st->s;
    if (!st->remove || st->q == 1.0) return st->remove && st->q == 1.0 ? npdf((x - 1.0) / st->s) / st->s : a;
    return (1.0 - st->q) * a + st->q * npdf((x - 1.0) / st->s) / st->s;
}

/* x-interval of losses (la, lb] */
static void x_range(const step *st, double la, double lb, double *x0, double *x1) {
    if (st->kind == HUSH__PLD_LAPLACE) {
        *x0 = (1.0 - st->s * lb) / 2.0;
        *x1 = (1.0 - st->s * la) / 2.0;
        if (*x0 < 0.0) *x0 = 0.0;
        if (*x1 > 1.0) *x1 = 1.0;
        return;
    }
    double a = st->remove ? x_of_lr(st, la) : x_of_lr(st, -lb), b = st->remove ? x_of_lr(st, lb) : x_of_lr(st, -la);
    *x0 = a > st->xlo ? a : st->xlo;
    *x1 = b < st->xhi ? b : st->xhi;
}

static const double GL_X[5] = {0.0, 0.53846931010568309104, -0.53846931010568309104, 0.90617984593866399280,
                               -0.90617984593866399280};
static const double GL_W[5] = {0.56888888888888888889, 0.47862867049936646804, 0.47862867049936646804,
                               0.23692688505618908751, 0.23692688505618908751};

/* Fraction of an interval's mass that goes to its upper end point, for a loss l in (la, la + h]. */
static double up_weight(double l, double la, double h, int mode) {
    double g = mode == HUSH__PLD_PESSIMISTIC ? -expm1(la - l) / -expm1(-h) : (l - la) / h;
    return g < 0.0 ? 0.0 : g > 1.0 ? 1.0 : g;
}

/* Mass and upper-end share of the losses in (la, la + h], by quadrature over x. */
static void interval(const step *st, double la, int mode, double *mass, double *up) {
    double x0, x1;
    x_range(st, la, la + st->h, &x0, &x1);
    *mass = *up = 0.0;
    if (!(x1 > x0) || !isfinite(x0) || !isfinite(x1)) return;
    double piece = st->s / 8.0;
    double n = ceil((x1 - x0) / piece);
    if (n < 1.0) n = 1.0;
    if (n > 4096.0) n = 4096.0;
    double w = (x1 - x0) / n, a = 0.0, u = 0.0;
    for (long i = 0; i < (long)n; i++) {
        double c = x0 + w * ((double)i + 0.5);
        for (int j = 0; j < 5; j++) {
            double x = c + 0.5 * w * GL_X[j], pw = GL_W[j] * pdf_at(st, x);
            a += pw;
            u += pw * up_weight(loss_at(st, x), la, st->h, mode);
        }
    }
    *mass = 0.5 * w * a;
    *up = a > 0.0 ? u / a : 0.0;
}

/* Puts point mass m at loss l onto the grid (index i0 at p[0], spacing h); l inside it. */
static void put_atom(double *p, int64_t i0, size_t n, double h, double l, double m, int mode, double *var) {
    double t = l / h;
    int64_t k = (int64_t)floor(t);
    double frac = t - (double)k;
    if (frac < 1e-9) frac = 0.0;
    if (frac > 1.0 - 1e-9) {
        k++;
        frac = 0.0;
    }
    int64_t j = k - i0;
    if (j < 0) j = 0;
    if ((size_t)j >= n) j = (int64_t)n - 1;
    if (frac == 0.0 || (size_t)j + 1 >= n) {
        p[j] += m;
        return;
    }
    double u = up_weight(l, (double)k * h, h, mode);
    p[j] += m * (1.0 - u);
    p[j + 1] += m * u;
    if (var) *var += m * u * (1.0 - u) * h * h;
}

/* Discretises the intervals (l_k, l_k + h] for grid indices k = i0 .. i0 + n - 2 into p[0 .. n-1]
 * (added), returning the variance the rounding adds (an upper bound on it in pessimistic mode,
 * the coupling's variance in optimistic mode). Atoms (Laplace) and tails are the caller's. */
static double discretise(step *st, double *p, int64_t i0, size_t n, int e, int mode) {
    st->h = ldexp(1.0, e);
    double added = 0.0;
    for (size_t k = 0; k + 1 < n; k++) {
        double a, u, la = (double)(i0 + (int64_t)k) * st->h;
        interval(st, la, mode, &a, &u);
        p[k] += a * (1.0 - u);
        p[k + 1] += a * u;
        added += a * u * (1.0 - u) * st->h * st->h;
    }
    return added;
}

/* Mean and variance of the loss (quadrature over x; Laplace adds its atoms). */
static void loss_moments(step *st, double x0, double x1, double *mean, double *var) {
    double piece = st->s / 8.0, n = ceil((x1 - x0) / piece);
    if (n < 1.0) n = 1.0;
    if (n > 100000.0) n = 100000.0;
    double w = (x1 - x0) / n, m0 = 0.0, m1 = 0.0, m2 = 0.0;
    for (long i = 0; i < (long)n; i++) {
        double c = x0 + w * ((double)i + 0.5);
        for (int j = 0; j < 5; j++) {
            double x = c + 0.5 * w * GL_X[j], pw = 0.5 * w * GL_W[j] * pdf_at(st, x), l = loss_at(st, x);
            m0 += pw;
            m1 += pw * l;
            m2 += pw * l * l;
        }
    }
    if (st->kind == HUSH__PLD_LAPLACE) {
        double b = st->s, pa = 0.5, pb = 0.5 * exp(-1.0 / b);
        m0 += pa + pb;
        m1 += (pa - pb) / b;
        m2 += (pa + pb) / (b * b);
    }
    *mean = m1 / m0;
    *var = m2 / m0 - *mean * *mean;
    if (!(*var > 0.0)) *var = 0.0;
}

static int exp_fit(double width, size_t bins) {
    /* smallest e with width / 2^e + 2 <= bins */
    int e = (int)floor(log2(width / (double)(bins - 2)));
    while (width / ldexp(1.0, e) + 2.0 > (double)bins) e++;
    while (e > -1060 && width / ldexp(1.0, e - 1) + 2.0 <= (double)bins) e--;
    return e;
}

static double comp_variance(const double *p, size_t n, double h, double *mass) {
    double m0 = 0, m1 = 0, m2 = 0;
    for (size_t i = 0; i < n; i++) m0 += p[i];
    if (!(m0 > 0.0)) {
        if (mass) *mass = 0.0;
        return 0.0;
    }
    for (size_t i = 0; i < n; i++) m1 += p[i] * (double)i;
    double mu = m1 / m0;
    for (size_t i = 0; i < n; i++) m2 += p[i] * ((double)i - mu) * ((double)i - mu);
    if (mass) *mass = m0;
    return m2 / m0 * h * h;
}

/* One step of an event into d (arrays of cap), pessimistic or optimistic, with `count` the
 * number of times it will be composed (for the tail budget). */
static void build_step(hush__pld *d, const hush__pld_event *ev, int remove, int mode, size_t cap, uint64_t count) {
    d->c.len = 0;
    d->inf = d->v = d->b = 0.0;
    if (ev->kind == HUSH__PLD_SGM && ev->q == 0.0) {
        set_identity(d);
        return;
    }
    if (ev->s == 0.0) { /* no noise: no privacy */
        d->f.len = 1;
        d->f.off = 0;
        d->f.e = 0;
        d->f.p[0] = 0.0;
        d->inf = 1.0;
        return;
    }
    step st = {ev->kind, remove, ev->q, ev->s, ev->s * ev->s, 0.0, 0.0, 1.0};
    size_t start = cap / 4;
    double lo, hi;
    if (ev->kind == HUSH__PLD_LAPLACE) {
        lo = -1.0 / ev->s;
        hi = 1.0 / ev->s;
    } else {
        double tau = TAU_STEP / (double)(count ? count : 1);
        if (tau < 1e-300) tau = 1e-300;
        double z = sqrt(2.0 * log(2.0 / tau)), s = ev->s;
        st.remove = ev->q == 1.0 ? 1 : remove; /* q = 1: both directions are the same pair */
        st.xlo = (st.remove ? 0.0 : 0.0) - z * s;
        st.xhi = (st.remove ? 1.0 : 0.0) + z * s;
        lo = loss_at(&st, st.remove ? st.xlo : st.xhi);
        hi = loss_at(&st, st.remove ? st.xhi : st.xlo);
    }
    double mean, var;
    loss_moments(&st, st.xlo, st.xhi, &mean, &var);
    double width = hi - lo;
    if (!(width > 0.0)) width = fabs(hi) * 1e-12 + 1e-300;
    int e = exp_fit(width, start);
    /* A smooth loss is resolved long before it fills `start` bins: coarser grids are cheaper
     * (the normaliser coarsens composed distributions anyway). */
    double sd = sqrt(var);
    while (sd > 0.0 && ldexp(1.0, e + 1) * 4.0 * BINS_PER_STD <= sd) e++;
    double H = ldexp(1.0, e);
    int64_t i_lo = (int64_t)floor(lo / H), i_hi = (int64_t)ceil(hi / H);
    size_t n = (size_t)(i_hi - i_lo) + 1;

    /* One component at e, unless its rounding adds more than RHO of the variance (a
     * multi-scale loss): then a fine window around the mean, spacing 2^ef, holds the bulk and
     * the coarse grid e the rest. The window is at most start fine bins, so ef >= e - log2(start/2). */
    memset(d->f.p, 0, n * sizeof(double));
    double added = discretise(&st, d->f.p, i_lo, n, e, HUSH__PLD_PESSIMISTIC);
    int ef = e, max_split = 0;
    while (((size_t)2 << max_split) <= start / 2) max_split++;
    int64_t w_lo = 0, w_hi = 0; /* the window [w_lo, w_hi) in coarse indices */
    if (added > RHO * var && var > 0.0 && ev->kind != HUSH__PLD_LAPLACE) {
        int want = e - (int)ceil(log2(added / (RHO * var)));
        for (int tries = 0; tries < 8; tries++) {
            if (want < e - max_split) want = e - max_split;
            if (want >= e) break;
            int64_t per = (int64_t)1 << (e - want), wide = (int64_t)(start - 1) / per;
            int64_t lo_c = (int64_t)floor(mean / H) - wide / 2;
            if (lo_c < i_lo) lo_c = i_lo;
            int64_t hi_c = lo_c + wide;
            if (hi_c > i_hi) hi_c = i_hi;
            if (hi_c <= lo_c) break;
            size_t nf = (size_t)((hi_c - lo_c) * per) + 1;
            memset(d->f.p, 0, nf * sizeof(double));
            double add_f = discretise(&st, d->f.p, lo_c * per, nf, want, HUSH__PLD_PESSIMISTIC);
            /* the coarse intervals outside the window: the single-grid ones minus those inside */
            double add_in = 0.0;
            memset(d->c.p, 0, (size_t)(hi_c - lo_c + 1) * sizeof(double));
            add_in = discretise(&st, d->c.p, lo_c, (size_t)(hi_c - lo_c) + 1, e, HUSH__PLD_PESSIMISTIC);
            ef = want;
            w_lo = lo_c;
            w_hi = hi_c;
            if (added - add_in + add_f <= RHO * var || want == e - max_split) break;
            want--;
        }
    }
    /* the final discretisation in the requested mode */
    double add = 0.0;
    hush__pld_comp *outer = &d->f; /* the component that spans the whole range */
    if (ef == e) {
        memset(d->f.p, 0, n * sizeof(double));
        add = discretise(&st, d->f.p, i_lo, n, e, mode);
        d->f.len = n;
        d->f.off = i_lo;
        d->f.e = e;
    } else {
        int64_t per = (int64_t)1 << (e - ef);
        size_t nf = (size_t)((w_hi - w_lo) * per) + 1;
        memset(d->f.p, 0, nf * sizeof(double));
        add = discretise(&st, d->f.p, w_lo * per, nf, ef, mode);
        d->f.len = nf;
        d->f.off = w_lo * per;
        d->f.e = ef;
        /* coarse: the intervals below and above the window */
        memset(d->c.p, 0, n * sizeof(double));
        if (w_lo > i_lo) add += discretise(&st, d->c.p, i_lo, (size_t)(w_lo - i_lo) + 1, e, mode);
        if (w_hi < i_hi) add += discretise(&st, d->c.p + (w_hi - i_lo), w_hi, (size_t)(i_hi - w_hi) + 1, e, mode);
        d->c.len = n;
        d->c.off = i_lo;
        d->c.e = e;
        outer = &d->c;
    }
    if (mode == HUSH__PLD_OPTIMISTIC) {
        d->v = add;
        d->b = H;
    }
    /* atoms and tails */
    if (ev->kind == HUSH__PLD_LAPLACE) {
        double b = ev->s, v = 0.0;
        put_atom(d->f.p, d->f.off, d->f.len, H, 1.0 / b, 0.5, mode, &v);
        put_atom(d->f.p, d->f.off, d->f.len, H, -1.0 / b, 0.5 * exp(-1.0 / b), mode, &v);
        if (mode == HUSH__PLD_OPTIMISTIC) d->v += v;
    } else if (mode == HUSH__PLD_PESSIMISTIC) {
        /* x beyond the discretised range: the low-loss side moves up onto the first grid point
         * at or above lo, the high-loss side goes to +infinity */
        const double q = st.q, sg = st.s;
        double p_xlo, p_xhi; /* P[x < xlo], P[x > xhi] */
        if (st.remove) {
            p_xlo = (1.0 - q) * hush__dp_ndtr(st.xlo / sg) + q * hush__dp_ndtr((st.xlo - 1.0) / sg);
            p_xhi = (1.0 - q) * hush__dp_ndtr_upper(st.xhi / sg) + q * hush__dp_ndtr_upper((st.xhi - 1.0) / sg);
        } else {
            p_xlo = hush__dp_ndtr(st.xlo / sg);
            p_xhi = hush__dp_ndtr_upper(st.xhi / sg);
        }
        double low = st.remove ? p_xlo : p_xhi, high = st.remove ? p_xhi : p_xlo;
        size_t k = (double)i_lo * H == lo ? 0 : 1;
        if (k >= outer->len) k = outer->len - 1;
        outer->p[k] += low;
        d->inf = high;
    }
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

/* log sum_i p[i] e^{t (i - r)} */
static double log_mgf(const double *p, size_t n, double t, double r) {
    double m = -INFINITY;
    for (size_t i = 0; i < n; i++)
        if (p[i] > 0.0 && t * ((double)i - r) > m) m = t * ((double)i - r);
    if (m == -INFINITY) return -INFINITY;
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
        if (p[i] > 0.0) s += p[i] * exp(t * ((double)i - r) - m);
    return m + log(s);
}

/* Chernoff window of a * b: outside [lo, hi] (output indices) the exact convolution has mass at
 * most tau / 2 on each side (P[X > x] <= M(t) e^{-t x}, M of a sum the product of the
 * M's, computed from the inputs, which carry no FFT round-off). */
static void chernoff_window(const double *a, size_t na, const double *b, size_t nb, double tau, size_t *lo,
                            size_t *hi) {
    double ra = 0.5 * (double)na, rb = 0.5 * (double)nb, n = (double)(na + nb), up = n, dn = 0.0;
    double lt = log(2.0 / tau);
    for (int k = 1; k <= 24; k++) {
        double t = ldexp(1.0, k - 12) * 8.0 / n;
        double u = (log_mgf(a, na, t, ra) + log_mgf(b, nb, t, rb) + lt) / t + ra + rb;
        double d = -(log_mgf(a, na, -t, ra) + log_mgf(b, nb, -t, rb) + lt) / t + ra + rb;
        if (u < up) up = u; /* NaN never compares */
        if (d > dn) dn = d;
    }
    double last = (double)(na + nb - 2);
    if (!(up <= last)) up = last;
    if (!(up >= 0.0)) up = 0.0; /* -inf: an all-zero input */
    if (!(dn >= 0.0)) dn = 0.0;
    if (dn > up) dn = up;
    *lo = (size_t)floor(dn);
    *hi = (size_t)ceil(up);
}

/* out[0 .. na+nb-2] = a * b; out may not alias the inputs. Returns 1 if the FFT was used (its
 * round-off is then zeroed outside the Chernoff window, see conv_add). */
static int convolve(double *out, const double *a, size_t na, const double *b, size_t nb, double *z) {
    size_t nout = na + nb - 1;
    if (na <= 32 || nb <= 32 || (double)na * (double)nb <= 262144.0) {
        memset(out, 0, nout * sizeof *out);
        for (size_t i = 0; i < na; i++) {
            double ai = a[i];
            if (ai == 0.0) continue;
            for (size_t j = 0; j < nb; j++) out[i + j] += ai * b[j];
        }
        return 0;
    }
    size_t n = 1;
    while (n < nout) n <<= 1;
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
    /* Round-off leaves values of about 1e-16 of the peak, of either sign, in every bin. They are
     * kept signed: clamping them to zero would add a positive bias that composition spreads
     * into the far tails (1e-13 of fake mass after 10^6 steps, enough to move epsilon at delta
     * 1e-12 by 2%). */
    for (size_t i = 0; i < nout; i++) out[i] = z[2 * i] / (double)n;
    return 1;
}

/* ---- grid operations ---- */

/* dst = src coarsened from spacing 2^src.e to 2^e (e >= src.e) into the buffer dst_p. Returns the
 * added coupling variance bound (optimistic mode). */
static double coarsen_into(hush__pld_comp *dst, double *dst_p, const hush__pld_comp *src, int e, int mode) {
    if (is_identity_comp(src) || src->len == 0 || e <= src->e) {
        if (dst_p != src->p) memmove(dst_p, src->p, src->len * sizeof(double));
        dst->p = dst_p;
        dst->len = src->len;
        dst->off = src->off;
        dst->e = is_identity_comp(src) ? e : src->e;
        return 0.0;
    }
    int k = e - src->e;
    if (k > 62) k = 62;
    int64_t f = (int64_t)1 << k;
    double H = ldexp(1.0, e), hs = ldexp(1.0, src->e);
    int64_t lo = floor_div(src->off, f), hi = floor_div(src->off + (int64_t)src->len - 1, f) + 1;
    size_t n = (size_t)(hi - lo) + 1;
    memset(dst_p, 0, n * sizeof(double));
    int moved = 0;
    for (size_t i = 0; i < src->len; i++) {
        double m = src->p[i];
        if (m == 0.0) continue;
        int64_t a = src->off + (int64_t)i, j = floor_div(a, f), r = a - j * f;
        if (r == 0) {
            dst_p[j - lo] += m;
            continue;
        }
        double d = (double)r * hs, u = mode == HUSH__PLD_PESSIMISTIC ? -expm1(-d) / -expm1(-H) : d / H;
        dst_p[j - lo] += m * (1.0 - u);
        dst_p[j - lo + 1] += m * u;
        moved = 1;
    }
    while (n > 1 && dst_p[n - 1] == 0.0) n--;
    dst->p = dst_p;
    dst->len = n;
    dst->off = lo;
    dst->e = e;
    return moved ? 0.25 * H * H : 0.0;
}

/* Truncates both tails by at most tau / 2 each (pessimistic: the lower tail moves up onto the
 * first kept bin, the upper tail goes to +infinity; optimistic: both are dropped). */
static void trim(hush__pld_comp *c, int mode, double tau, double *inf) {
    if (c->len == 0) return;
    double m0 = 0.0, m1 = 0.0, m2 = 0.0;
    for (size_t i = 0; i < c->len; i++) {
        if (!(c->p[i] == c->p[i])) c->p[i] = 0.0;
        m0 += c->p[i];
        m1 += c->p[i] * (double)i;
    }
    double mu = m0 > 0.0 ? m1 / m0 : 0.0;
    for (size_t i = 0; i < c->len; i++) m2 += c->p[i] * ((double)i - mu) * ((double)i - mu);
    /* Losses more than LOW_STD standard deviations below the mean only ever matter through
     * what lies above them: pessimistically they move up to that point (optimistically they
     * are dropped). This keeps long lower tails (the "add" direction) from growing the arrays. */
    double floor_i = m0 > 0.0 ? mu - LOW_STD * sqrt(m2 / m0) - 1.0 : 0.0;
    size_t lo = 0, hi = c->len - 1;
    double cum = 0.0;
    while (lo < hi && ((double)lo < floor_i || cum + fabs(c->p[lo]) <= 0.5 * tau)) cum += fabs(c->p[lo++]);
    if (mode == HUSH__PLD_PESSIMISTIC) c->p[lo] += cum;
    cum = 0.0;
    while (hi > lo && cum + fabs(c->p[hi]) <= 0.5 * tau) cum += fabs(c->p[hi--]);
    if (mode == HUSH__PLD_PESSIMISTIC) *inf += cum;
    if (lo) memmove(c->p, c->p + lo, (hi - lo + 1) * sizeof(double));
    c->off += (int64_t)lo;
    c->len = hi - lo + 1;
}

/* dst (buffer of room doubles, may be empty) += src, on the same grid. */
static void add_into(hush__pld_comp *dst, const hush__pld_comp *src, size_t room) {
    if (src->len == 0) return;
    if (dst->len == 0) {
        memmove(dst->p, src->p, src->len * sizeof(double));
        dst->len = src->len;
        dst->off = src->off;
        dst->e = src->e;
        return;
    }
    int64_t lo = dst->off < src->off ? dst->off : src->off;
    int64_t hi_d = dst->off + (int64_t)dst->len, hi_s = src->off + (int64_t)src->len;
    int64_t hi = hi_d > hi_s ? hi_d : hi_s;
    size_t n = (size_t)(hi - lo);
    if (n > room) n = room; /* cannot happen with the sizes used here */
    if (dst->off > lo) {
        size_t sh = (size_t)(dst->off - lo);
        memmove(dst->p + sh, dst->p, dst->len * sizeof(double));
        memset(dst->p, 0, sh * sizeof(double));
    }
    size_t end_d = (size_t)(hi_d - lo);
    if (n > end_d) memset(dst->p + end_d, 0, (n - end_d) * sizeof(double));
    for (size_t i = 0; i < src->len; i++) {
        size_t j = (size_t)(src->off - lo) + i;
        if (j < n) dst->p[j] += src->p[i];
    }
    dst->off = lo;
    dst->len = n;
}

static double std_bins(const hush__pld_comp *c) {
    double mass;
    return sqrt(comp_variance(c->p, c->len, 1.0, &mass));
}

/* Brings the raw product (w->out_f: fine, w->out_c: coarse) back within the grid rules and
 * copies it into d. */
static void normalize(hush__pld *d, hush__pld_comp *F, hush__pld_comp *C, double inf, double v, double b, int mode,
                      hush__pld_work *w) {
    size_t cap = w->cap;
    trim(F, mode, w->tau, &inf);
    trim(C, mode, w->tau, &inf);
    /* coarsen the fine part while it is over-resolved (never past the coarse grid) */
    if (F->len > 1) {
        double sd = std_bins(F);
        int k = 0;
        while (sd / ldexp(1.0, k) > 2.0 * BINS_PER_STD) k++;
        if (C->len && F->e + k > C->e) k = C->e - F->e;
        if (k > 0) {
            hush__pld_comp t;
            v += coarsen_into(&t, w->t[0] == F->p ? w->t[1] : w->t[0], F, F->e + k, mode);
            double hh = ldexp(1.0, t.e);
            if (hh > b && mode == HUSH__PLD_OPTIMISTIC) b = hh;
            memmove(F->p, t.p, t.len * sizeof(double));
            F->len = t.len;
            F->off = t.off;
            F->e = t.e;
        }
    }
    if (C->len && F->e >= C->e) { /* the fine part reached the coarse grid: one component */
        add_into(C, F, 6 * cap);
        memmove(F->p, C->p, C->len * sizeof(double));
        F->len = C->len;
        F->off = C->off;
        F->e = C->e;
        C->len = 0;
    }
    while (F->len > cap) {
        if (C->len) { /* the fine part's top moves to the coarse grid */
            hush__pld_comp top = {F->p + cap, F->len - cap, F->off + (int64_t)cap, F->e}, t;
            v += coarsen_into(&t, w->t[0], &top, C->e, mode);
            F->len = cap;
            add_into(C, &t, 6 * cap);
        } else {
            hush__pld_comp t;
            int k = 1;
            while ((double)F->len / ldexp(1.0, k) + 2.0 > (double)cap) k++;
            v += coarsen_into(&t, w->t[0], F, F->e + k, mode);
            if (mode == HUSH__PLD_OPTIMISTIC && ldexp(1.0, t.e) > b) b = ldexp(1.0, t.e);
            memmove(F->p, t.p, t.len * sizeof(double));
            F->len = t.len;
            F->off = t.off;
            F->e = t.e;
        }
        trim(F, mode, w->tau, &inf);
    }
    while (C->len > cap) {
        hush__pld_comp t;
        int k = 1;
        while ((double)C->len / ldexp(1.0, k) + 2.0 > (double)cap) k++;
        v += coarsen_into(&t, w->t[0], C, C->e + k, mode);
        if (mode == HUSH__PLD_OPTIMISTIC && ldexp(1.0, t.e) > b) b = ldexp(1.0, t.e);
        memmove(C->p, t.p, t.len * sizeof(double));
        C->len = t.len;
        C->off = t.off;
        C->e = t.e;
        trim(C, mode, w->tau, &inf);
    }
    memmove(d->f.p, F->p, F->len * sizeof(double));
    d->f.len = F->len;
    d->f.off = F->off;
    d->f.e = F->e;
    if (C->len) memmove(d->c.p, C->p, C->len * sizeof(double));
    d->c.len = C->len;
    d->c.off = C->off;
    d->c.e = C->e;
    d->inf = inf > 1.0 ? 1.0 : inf;
    d->v = mode == HUSH__PLD_OPTIMISTIC ? v : 0.0;
    d->b = mode == HUSH__PLD_OPTIMISTIC ? b : 0.0;
}

/* conv of two components on the same grid, added into acc (room doubles). After an FFT the bins
 * outside the Chernoff window hold round-off only: they are cleared, and the at most
 * tau / 2 of true mass on each side is accounted pessimistically (the lower side onto
 * the first kept bin, the upper side to +infinity) or dropped (optimistic). */
static void conv_add(hush__pld_comp *acc, size_t room, const hush__pld_comp *x, const hush__pld_comp *y, int mode,
                     double *inf, hush__pld_work *w) {
    if (!x->len || !y->len) return;
    hush__pld_comp r = {w->conv, x->len + y->len - 1, x->off + y->off, x->e};
    if (convolve(w->conv, x->p, x->len, y->p, y->len, w->fft)) {
        size_t lo, hi;
        chernoff_window(x->p, x->len, y->p, y->len, w->tau, &lo, &hi);
        if (mode == HUSH__PLD_PESSIMISTIC) {
            if (lo > 0) w->conv[lo] += 0.5 * w->tau;
            if (hi + 1 < r.len) *inf += 0.5 * w->tau;
        }
        r.p = w->conv + lo;
        r.off += (int64_t)lo;
        r.len = hi - lo + 1;
    }
    add_into(acc, &r, room);
}

/* d = a (x) b (composition); d may alias a and/or b. */
static void mul(hush__pld *d, const hush__pld *a, const hush__pld *b, int mode, hush__pld_work *w) {
    double v = a->v + b->v, bb = a->b > b->b ? a->b : b->b;
    int ef = a->f.e > b->f.e ? a->f.e : b->f.e;
    hush__pld_comp af, bf;
    v += coarsen_into(&af, w->t[0], &a->f, ef, mode);
    v += coarsen_into(&bf, w->t[1], &b->f, ef, mode);
    if (mode == HUSH__PLD_OPTIMISTIC && ef > -1100 && ldexp(1.0, ef) > bb) bb = ldexp(1.0, ef);
    hush__pld_comp F = {w->out_f, 0, 0, ef}, C = {w->out_c, 0, 0, 0};
    double inf = a->inf + b->inf - a->inf * b->inf;
    conv_add(&F, 2 * w->cap, &af, &bf, mode, &inf, w);
    F.e = ef;
    if (a->c.len || b->c.len) {
        int ec = ef;
        if (a->c.len && a->c.e > ec) ec = a->c.e;
        if (b->c.len && b->c.e > ec) ec = b->c.e;
        hush__pld_comp afc, bfc, ac = {0}, bc = {0};
        v += coarsen_into(&afc, w->t[2], &af, ec, mode);
        v += coarsen_into(&bfc, w->t[3], &bf, ec, mode);
        if (a->c.len) v += coarsen_into(&ac, w->t[4], &a->c, ec, mode);
        if (b->c.len) v += coarsen_into(&bc, w->t[5], &b->c, ec, mode);
        if (mode == HUSH__PLD_OPTIMISTIC && ldexp(1.0, ec) > bb) bb = ldexp(1.0, ec);
        C.e = ec;
        conv_add(&C, 6 * w->cap, &afc, &bc, mode, &inf, w);
        conv_add(&C, 6 * w->cap, &ac, &bfc, mode, &inf, w);
        conv_add(&C, 6 * w->cap, &ac, &bc, mode, &inf, w);
        C.e = ec;
    }
    normalize(d, &F, &C, inf, v, bb, mode, w);
}

void hush__pld_build(hush__pld *out, const hush__pld_event *ev, size_t n, int remove, int mode, hush__pld_work *w) {
    /* A cut made early is multiplied by the compositions that follow, so the mass cut per
     * operation scales with 1 / steps: the total stays near TAU_TOTAL. */
    double steps = 1.0;
    for (size_t i = 0; i < n; i++) steps += (double)ev[i].count;
    w->tau = TAU_TOTAL / steps;
    set_identity(out);
    for (size_t i = 0; i < n; i++) {
        if (ev[i].count == 0) continue;
        build_step(&w->base, &ev[i], remove, mode, w->cap, ev[i].count);
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
    double h = ldexp(1.0, c->e);
    /* first index with loss > eps */
    double t = eps / h - (double)c->off;
    size_t i = t < 0.0 ? 0 : (size_t)floor(t) + 1;
    if (t >= (double)c->len) return 0.0;
    while (i > 0 && (double)(c->off + (int64_t)i - 1) * h > eps) i--;
    double s = 0.0, r = exp(-h), f = exp(eps - (double)(c->off + (int64_t)i) * h);
    for (; i < c->len; i++) {
        s += c->p[i] * (1.0 - f);
        f *= r;
    }
    return s;
}

double hush__pld_delta(const hush__pld *d, double eps) {
    double s = d->inf + comp_delta(&d->f, eps) + comp_delta(&d->c, eps);
    return s > 1.0 ? 1.0 : s;
}

static double top_loss(const hush__pld *d) {
    double t = 0.0;
    if (d->f.len) t = (double)(d->f.off + (int64_t)d->f.len - 1) * ldexp(1.0, d->f.e);
    if (d->c.len) {
        double u = (double)(d->c.off + (int64_t)d->c.len - 1) * ldexp(1.0, d->c.e);
        if (u > t) t = u;
    }
    return t;
}

double hush__pld_epsilon(const hush__pld *d, double delta) {
    if (d->inf > delta) return INFINITY;
    if (hush__pld_delta(d, 0.0) <= delta) return 0.0;
    double lo = 0.0, hi = top_loss(d);
    if (!(hi > 0.0)) return 0.0;
    /* delta is continuous and non-increasing in eps: bisect to the last bit */
    for (int it = 0; it < 200; it++) {
        double mid = 0.5 * (lo + hi);
        if (mid <= lo || mid >= hi) break;
        if (hush__pld_delta(d, mid) > delta)
            lo = mid;
        else
            hi = mid;
    }
    return hi;
}

double hush__pld_epsilon_lower(const hush__pld *d, double delta) {
    double derr = 1e-3 * delta, eps = hush__pld_epsilon(d, delta + derr);
    if (!isfinite(eps)) return eps;
    double L = log(1.0 / derr), bl = d->b * L / 3.0;
    double dev = bl + sqrt(bl * bl + 2.0 * d->v * L);
    eps -= dev;
    return eps > 0.0 ? eps : 0.0;
}
