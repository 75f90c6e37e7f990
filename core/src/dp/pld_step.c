/* PLD single steps: the privacy loss of one Gaussian, Poisson-subsampled Gaussian or Laplace
 * mechanism (likelihood ratios, densities, tails, moments, log-MGF), its discretisation onto one
 * or two grids (pessimistic connect-the-dots or optimistic atoms and grouping, see pld.c), and the
 * Chernoff floor on the losses of a whole composition. */
#include "dp/pld_internal.h"

#include <math.h>
#include <string.h>

#include "dp/dpmath.h"

#define TAU_FLOOR 1e-30 /* probability that the composition lifts a floored loss above 0 */

/* ---- single steps ---- */

typedef struct step {
    int kind, remove;
    double q, s, s2;
    double xlo, xhi; /* the x range discretised; beyond it the tails (see hush__pld_step_build) */
} step;

/* log of the likelihood ratio mixture / N(0, s^2) at x */
static double lr_of(const step *st, double x) {
    double u = (2.0 * x - 1.0) / (2.0 * st->s2);
    if (st->q == 1.0) return u;
    if (u < 30.0) return hush_log1p(st->q * hush_expm1(u));
    return hush__dp_log_add(hush_log1p(-st->q), hush_log(st->q) + u);
}

/* inverse of lr_of; -inf below its range */
static double x_of_lr(const step *st, double l) {
    if (st->q == 1.0) return st->s2 * l + 0.5;
    double t = -hush_expm1(hush_log1p(-st->q) - l);
    if (!(t > 0.0)) return -INFINITY;
    return st->s2 * (l + hush_log(t) - hush_log(st->q)) + 0.5;
}

static double npdf(double z) { return 0.39894228040143267794 * hush_exp(-0.5 * z * z); }

static double loss_at(const step *st, double x) {
    if (st->kind == HUSH__PLD_LAPLACE) return (1.0 - 2.0 * x) / st->s;
    return st->remove ? lr_of(st, x) : -lr_of(st, x);
}

static double pdf_at(const step *st, double x) {
    if (st->kind == HUSH__PLD_LAPLACE) return hush_exp(-x / st->s) / (2.0 * st->s);
    if (!st->remove) return npdf(x / st->s) / st->s;
    if (st->q == 1.0) return npdf((x - 1.0) / st->s) / st->s;
    return ((1.0 - st->q) * npdf(x / st->s) + st->q * npdf((x - 1.0) / st->s)) / st->s;
}

static double log_pdf_at(const step *st, double x) {
    const double lc = -0.91893853320467274178 - hush_log(st->s); /* hush_log(1 / (sqrt(2 pi) s)) */
    double z0 = x / st->s, z1 = (x - 1.0) / st->s;
    if (st->kind == HUSH__PLD_LAPLACE) return -x / st->s - hush_log(2.0 * st->s);
    if (!st->remove) return lc - 0.5 * z0 * z0;
    if (st->q == 1.0) return lc - 0.5 * z1 * z1;
    return lc + hush__dp_log_add(hush_log1p(-st->q) - 0.5 * z0 * z0, hush_log(st->q) - 0.5 * z1 * z1);
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
    double w = (x1 - x0) / n, a = 0.0, u = 0.0, den = -hush_expm1(-h);
    for (long i = 0; i < (long)n; i++) {
        double c = x0 + w * ((double)i + 0.5);
        for (int j = 0; j < 5; j++) {
            double x = c + 0.5 * w * GL_X[j], pw = GL_W[j] * pdf_at(st, x);
            double r = -hush_expm1(la - loss_at(st, x)) / den;
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
            double b = st->s, pa = 0.5, pb = 0.5 * hush_exp(-1.0 / b), la = 1.0 / b - c0, lb = -1.0 / b - c0;
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
                double x = c + 0.5 * w * GL_X[j];
                double v = hush_log(0.5 * w * GL_W[j]) + log_pdf_at(st, x) + t * loss_at(st, x);
                if (pass == 0) {
                    if (v > m) m = v;
                } else {
                    acc += hush_exp(v - m);
                }
            }
        }
        if (pass == 0 && st->kind == HUSH__PLD_LAPLACE) {
            double b = st->s;
            if (hush_log(0.5) + t / b > m) m = hush_log(0.5) + t / b;
        }
    }
    if (st->kind == HUSH__PLD_LAPLACE)
        acc += 0.5 * hush_exp(t / st->s - m) + 0.5 * hush_exp(-1.0 / st->s - t / st->s - m);
    return m + hush_log(acc);
}

/* ---- one step ---- */

/* z with P[N(0,1) > z] = p */
static double normal_quantile_upper(double p) {
    double lo = 0.0, hi = 40.0, lp = hush_log(p);
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
    double h = hush__pld_comp_h(c), t = floor(l / h);
    int64_t k = (int64_t)t - c->off;
    double d = l - t * h;
    if (k < 0) k = 0;
    if ((size_t)k >= c->len) k = (int64_t)c->len - 1;
    if (d <= 0.0 || (size_t)k + 1 >= c->len) {
        c->p[k] += m;
        return;
    }
    double u = -hush_expm1(-d) / -hush_expm1(-h);
    c->p[k] += m * (1.0 - u);
    c->p[k + 1] += m * u;
}

/* The intervals k = k0 .. k1-1 of spacing 2^e: pessimistic, connect-the-dots into c (grid 2^e,
 * phase 0, covering k0 .. k1); optimistic, each interval's mass as one atom at its conditional
 * mean of e^{-L}, appended to atoms (mass, loss) in increasing loss. Returns the atoms written. */
static size_t discretise(const step *st, hush__pld_comp *c, int e, int64_t k0, int64_t k1, int mode, double *atoms) {
    double h = ldexp(1.0, e), em = hush_expm1(-h);
    size_t na = 0;
    for (int64_t k = k0; k < k1; k++) {
        double p, g, la = (double)k * h;
        interval(st, la, h, &p, &g);
        if (!(p > 0.0)) continue;
        if (mode == HUSH__PLD_PESSIMISTIC) {
            c->p[k - c->off] += p * (1.0 - g);
            c->p[k - c->off + 1] += p * g;
        } else {
            double frac = -hush_log1p(em * g);
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
    if (na && best >= HUSH__PLD_SPIKE_SHARE * tot && e <= 0) {
        double l0 = atoms[2 * bi + 1], y = atoms[2 * bi], m0 = atoms[2 * bi];
        if (bi + 1 < na && atoms[2 * bi + 3] - l0 <= 2.0 * h) {
            y += atoms[2 * bi + 2] * hush_exp(-(atoms[2 * bi + 3] - l0));
            m0 += atoms[2 * bi + 2];
        }
        double lam = l0 - hush_log(y / m0);
        ph = lam - floor(lam / h) * h;
        if (!(ph >= 0.0 && ph < h)) ph = 0.0;
    }
    int64_t lo = na ? (int64_t)floor((atoms[1] - ph) / h) - 1 : 0;
    int64_t hi = na ? (int64_t)ceil((atoms[2 * na - 1] - ph) / h) + 1 : 0;
    size_t n = (size_t)(hi - lo) + 1;
    memset(buf, 0, n * sizeof(double));
    hush__pld_sweep sw;
    hush__pld_sweep_init(&sw, buf, lo, n, e, e);
    for (size_t i = 0; i < na; i++) {
        double x = (atoms[2 * i + 1] - ph) / h, t = floor(x);
        double fr = (x - t) * h;
        hush__pld_sweep_atom(&sw, atoms[2 * i], (int64_t)t, fr < 0.0 ? 0.0 : fr > h ? h : fr);
    }
    hush__pld_sweep_finish(&sw);
    c->p = buf;
    c->len = n;
    c->off = lo;
    c->e = e;
    c->ph = ph;
}

/* One step of an event into d (arrays of cap each), pessimistic or optimistic. */
void hush__pld_step_build(hush__pld *d, const hush__pld_event *ev, int remove, int mode, hush__pld_work *w) {
    hush__pld_set_identity(d);
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
        double z = normal_quantile_upper(0.5 * hush__pld_tau_of(w, 1.0)), s = ev->s;
        /* x ranges over the components of P present: N(0, s^2), and N(1, s^2) when removing */
        st.xlo = (ev->q == 1.0 ? 1.0 : 0.0) - z * s;
        st.xhi = (st.remove ? 1.0 : 0.0) + z * s;
        lmin = st.remove ? loss_at(&st, st.xlo) : loss_at(&st, st.xhi);
        lmax = st.remove ? loss_at(&st, st.xhi) : loss_at(&st, st.xlo);
        if (lmin < w->floor) { /* see Truncation in pld.c */
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
    int64_t room = (int64_t)hush__pld_comp_room(w);
    int ef = hush__pld_pow2_exp(sd / nps);
    if (!(sd > 0.0)) ef = hush__pld_pow2_exp((lmax - lmin) / (double)room) + 1;
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
                psi[k] = hush_exp(-1.15129254649702284201 * (double)(k + 1)); /* 10^(-(k+1)/2) */
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
                int e2 = hush__pld_pow2_exp(sd / (nps * sqrt(out)));
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
            put_atom_pess(F, -1.0 / b, 0.5 * hush_exp(-1.0 / b));
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
            at[0] = 0.5 * hush_exp(-1.0 / ev->s);
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
        hush__pld_comp_copy(F, F->p, &g);
        if (two) {
            size_t n1 = discretise(&st, NULL, ec, c0, wa, mode, at);
            hush__pld_comp g1 = {w->s[1], 0, 0, ec, 0.0}, g2;
            group_atoms(&g1, w->s[1], at, n1, ec);
            size_t n2 = discretise(&st, NULL, ec, wb, c1, mode, at);
            group_atoms(&g2, w->s[2], at, n2, ec);
            /* one coarse lattice for both parts (the tails are wide) */
            hush__pld_comp g2r;
            if (g1.len && g2.len && g2.ph != g1.ph) {
                hush__pld_coarsen(&g2r, w->s[3], &g2, ec, g1.ph, mode);
                g2 = g2r;
            }
            C->len = 0;
            C->e = ec;
            C->ph = g1.len ? g1.ph : g2.ph;
            (void)hush__pld_add_into(C, &g1, hush__pld_comp_room(w));
            (void)hush__pld_add_into(C, &g2, hush__pld_comp_room(w));
        }
    }
    double dummy = 0.0;
    hush__pld_trim(F, mode, 0.0, -INFINITY, &dummy);
    if (two) hush__pld_trim(C, mode, 0.0, -INFINITY, &dummy);
    if (!C->len) C->e = ec;
    if (!F->len) { /* all the mass in the coarse part (not expected) */
        if (C->len) {
            hush__pld_comp_copy(F, F->p, C);
            C->len = 0;
        } else {
            F->len = 1;
            F->ph = 0.0;
            F->p[0] = 0.0;
        }
    }
    hush__pld_lm_of_arrays(d, w->t);
}

/* Chernoff bound U on the largest loss any part of the composition reaches except with
 * probability TAU_FLOOR (log M(t) >= 0 for t >= 0 since E[L] >= 0, so the whole composition's
 * bound covers every part of it); the floor is -U. */
double hush__pld_step_floor(const hush__pld_event *ev, size_t n, int remove) {
    double hard = 0.0, lt = -hush_log(TAU_FLOOR), var = 0.0, cnt = 0.0;
    for (size_t i = 0; i < n; i++) {
        const hush__pld_event *e = &ev[i];
        if (!e->count || (e->kind == HUSH__PLD_SGM && e->q == 0.0)) continue;
        if (e->s == 0.0) return -INFINITY;
        double c = (double)e->count, b;
        if (e->kind == HUSH__PLD_LAPLACE)
            b = 1.0 / e->s;
        else if (!remove && e->q < 1.0)
            b = -hush_log1p(-e->q);
        else
            b = INFINITY;
        hard += c * b;
        cnt += c;
        double v = e->kind == HUSH__PLD_LAPLACE ? 1.0 / (e->s * e->s) : e->q * e->q / (e->s * e->s);
        var += c * v;
    }
    if (cnt == 0.0) return -INFINITY;
    /* scan t around the Gaussian optimum sqrt(2 lt / var) */
    int j0 = hush__pld_pow2_exp(sqrt(2.0 * lt / (var > 1e-300 ? var : 1e-300))); /* floor(log2) */
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

/* Variance of one step's loss (over 12 standard deviations of x), for the log-MGF points. */
double hush__pld_step_var(const hush__pld_event *ev, int remove) {
    step st = {ev->kind, remove, ev->q, ev->s, ev->s * ev->s, 0.0, 1.0};
    if (st.kind == HUSH__PLD_SGM) {
        if (st.q == 1.0) st.remove = 1;
        st.xlo = (st.q == 1.0 ? 1.0 : 0.0) - 12.0 * st.s;
        st.xhi = (st.remove ? 1.0 : 0.0) + 12.0 * st.s;
    }
    double mean, v;
    loss_moments(&st, &mean, &v);
    return v;
}
