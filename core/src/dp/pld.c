/* Privacy loss distributions (PLD) on adaptive power-of-two grids, with a rigorous bracket.
 *
 * For a dominating pair (P, Q) the privacy loss is L = hush_log(P(x)/Q(x)) with x ~ P, and
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
 * Truncation. Each truncation removes at most HUSH__PLD_TAU_OP * m / T of mass from each end of a
 * distribution of m steps (so at most about HUSH__PLD_TAU_OP per truncation after composition, 1e-15 in
 * all, against any delta >= 1e-12): pessimistically the upper tail goes to +inf and the lower
 * tail moves up onto the first kept bin; optimistically both are dropped. Losses far below zero
 * only matter through what can be added to them: with U a Chernoff bound on the largest loss any
 * part of the composition reaches (probability TAU_FLOOR), every loss below -U is moved up to -U
 * (or dropped), which changes delta at any eps >= 0 by at most TAU_FLOOR of the mass moved. This
 * keeps the heavy lower tail of the "add" direction from growing the arrays. Convolutions by FFT
 * leave round-off of about 1e-16 of the peak, of either sign, in every bin; it is kept signed
 * (clamping would bias the far tails), and bins outside a Chernoff bound of the exact result
 * (computed from the inputs) are cleared, their bound on true mass accounted as a truncation.
 *
 * Files: this one holds the work memory, composition (repeated squaring, the grid rules after
 * each product) and the hockey-stick divergence; pld_step.c one mechanism's loss and its
 * discretisation, pld_grid.c the lattices (coarsening, the grouping sweep, trimming),
 * pld_conv.c the products (FFT, tilts) and the log-MGF bounds that window them.
 *
 * Parity. The optimistic build makes discrete choices (tail windows, tilts, group splits) from
 * values that follow the last bits of exp, log and the FFT's twiddles, so no rounding libm
 * function is used: exp, log, log1p and expm1 are hush/mathf.h's, erfc is dpmath.c's and sin and
 * cos are pld_conv.c's kernels, all fixed sequences of IEEE operations. Native, Emscripten and
 * WASI builds give the same bits (glibc's and musl's last bits moved the lower bound by 6e-6).
 */
#include "dp/pld_internal.h"

#include <math.h>
#include <string.h>

#include "dp/dpmath.h"

/* ---- memory ---- */

static size_t fft_size(size_t cap) { return hush__pld_next_pow2(2 * cap); }
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
    hush__pld_fft_twiddles(w->tw, n);
}

void hush__pld_set_identity(hush__pld *d) {
    d->f.len = 1;
    d->f.off = 0;
    d->f.e = HUSH__PLD_E_MIN; /* loss 0 sits on every grid */
    d->f.p[0] = 1.0;
    d->c.len = 0;
    d->c.off = 0;
    d->c.e = HUSH__PLD_E_MIN;
    d->f.ph = d->c.ph = 0.0;
    d->inf = 0.0;
    d->steps = 0.0;
    for (int k = 0; k < HUSH__PLD_NT; k++) {
        d->lmf[k] = 0.0;
        d->lmc[k] = -INFINITY;
    }
}

static int is_identity(const hush__pld *d) { return d->steps == 0.0; }

/* ---- composition ---- */

static void store(hush__pld *d, const hush__pld_comp *F, const hush__pld_comp *C, double inf, double steps,
                  const double *lmf, const double *lmc) {
    if (lmf != d->lmf) memcpy(d->lmf, lmf, sizeof d->lmf);
    if (lmc != d->lmc) memcpy(d->lmc, lmc, sizeof d->lmc);
    hush__pld_comp_copy(&d->f, d->f.p, F);
    if (C->len)
        hush__pld_comp_copy(&d->c, d->c.p, C);
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
    if (ph < 0.0) ph = hush__pld_spike_phase(c, e, mode);
    if (e == c->e && ph == c->ph) return;
    hush__pld_lm_coarsen(lm, w->t, e);
    double *keep = c->p;
    hush__pld_comp t;
    hush__pld_coarsen(&t, w->s[5], c, e, ph, mode);
    hush__pld_comp_copy(c, keep, &t);
}

/* Brings a raw product (F in w->outf, C in w->outc) back within the grid rules, into d. */
static void normalize(hush__pld *d, hush__pld_comp *F, hush__pld_comp *C, double inf, double steps, int mode,
                      double *lmf, double *lmc, hush__pld_work *w) {
    double tau = hush__pld_tau_of(w, steps);
    size_t room = hush__pld_comp_room(w);
    double mv = hush__pld_trim(F, mode, tau, w->floor, &inf);
    if (mv > 0.0) hush__pld_lm_add_mass(lmf, w->t, mv, hush__pld_comp_loss(F, 0));
    mv = hush__pld_trim(C, mode, tau, w->floor, &inf);
    if (mv > 0.0) hush__pld_lm_add_mass(lmc, w->t, mv, hush__pld_comp_loss(C, 0));
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
    double sd = hush__pld_std_of(F, C);
    int et = sd > 0.0 ? hush__pld_pow2_exp(sd / w->bins_per_std) : F->e;
    if (C->len) {
        if (et > C->e) recoarsen(C, et, -1.0, mode, w, lmc);
        int ef = et < C->e ? et : C->e;
        if (F->e < ef) recoarsen(F, ef, -1.0, mode, w, lmf);
        while (F->len > room && F->e < C->e) recoarsen(F, F->e + 1, -1.0, mode, w, lmf);
        if (F->e >= C->e) { /* one grid: merge onto F's lattice (the coarse part is wide) */
            recoarsen(F, C->e, -1.0, mode, w, lmf);
            recoarsen(C, C->e, F->ph, mode, w, lmc);
            if (!hush__pld_add_into(C, F, w->nfft)) { /* cannot happen with these sizes; coarsen and retry */
                recoarsen(C, C->e + 1, -1.0, mode, w, lmc);
                recoarsen(F, C->e, C->ph, mode, w, lmf);
                (void)hush__pld_add_into(C, F, w->nfft);
            }
            memcpy(F->p, C->p, C->len * sizeof(double));
            F->len = C->len;
            F->off = C->off;
            F->e = C->e;
            F->ph = C->ph;
            C->len = 0;
            hush__pld_lm_merge(lmf, lmc);
            for (int k = 0; k < HUSH__PLD_NT; k++) lmc[k] = -INFINITY;
        }
    } else if (F->e < et) {
        recoarsen(F, et, -1.0, mode, w, lmf);
    }
    while (F->len > room) recoarsen(F, F->e + 1, -1.0, mode, w, lmf);
    while (C->len > room) recoarsen(C, C->e + 1, -1.0, mode, w, lmc);
    store(d, F, C, inf, steps, lmf, lmc);
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
    hush__pld_coarsen(dst, buf, src, e, hush__pld_spike_phase(src, e, mode), mode);
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
    double steps = a->steps + b->steps, tau = hush__pld_tau_of(w, steps);
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
            hush__pld_term ta[2] = {{&afc, 1.0}, {&ac, 1.0}}, tb[2] = {{&bfc, 1.0}, {&bc, 1.0}};
            int64_t x;
            if (hush__pld_terms_range(ta, 2, &x) + hush__pld_terms_range(tb, 2, &x) + 4 <= (int64_t)w->nfft) break;
            ec++; /* the parts lie too far apart (not expected): a coarser grid */
        }
    }
    /* rounding factors of the bounds: fine parts to 2^ef or 2^ec, coarse parts to 2^ec */
    double zero[HUSH__PLD_NT] = {0}, r_ef[HUSH__PLD_NT], r_ec[HUSH__PLD_NT];
    hush__pld_lm_rho(r_ef, w->t, ef);
    hush__pld_lm_rho(r_ec, w->t, ec);
    const double *rfa = a->f.e < ef ? r_ef : zero, *rfb = b->f.e < ef ? r_ef : zero;
    const double *rfac = a->f.e < ec ? r_ec : zero, *rfbc = b->f.e < ec ? r_ec : zero;
    const double *rca = a->c.len && a->c.e < ec ? r_ec : zero, *rcb = b->c.len && b->c.e < ec ? r_ec : zero;
    double lmf[HUSH__PLD_NT], lmc[HUSH__PLD_NT], lm[HUSH__PLD_NT];
    for (int k = 0; k < HUSH__PLD_NT; k++) lmf[k] = lmc[k] = -INFINITY;
    hush__pld_comp F = {w->outf, 0, 0, ef, 0.0}, C = {w->outc, 0, 0, ec, 0.0};
    hush__pld_term tf_a = {&af, 1.0}, tf_b = {&bf, 1.0};
    hush__pld_lm_prod(lm, a->lmf, rfa, b->lmf, rfb);
    hush__pld_conv_win(&F, &tf_a, 1, &tf_b, 1, ef, mode, lm, lmf, tau, &inf, w);
    if (a->c.len || b->c.len) {
        /* Each product is transformed on its own: a sum like 2 af + ac mixes a bulk of mass 1 with
         * a tail of mass 1e-7 whose digits the transform's round-off (relative to the larger)
         * would lose. In the optimistic mode the parts may also sit on different lattices. */
        hush__pld_term t_afc = {&afc, 1.0}, t_bfc = {&bfc, 1.0}, t_ac = {&ac, 1.0}, t_bc = {&bc, 1.0};
        if (sq) {
            hush__pld_term t_afc2 = {&afc, 2.0};
            hush__pld_lm_prod(lm, a->lmc, rca, a->lmf, rfac);
            for (int k = 0; k < HUSH__PLD_NT; k++) lm[k] += HUSH__DP_LN2;
            hush__pld_conv_win(&C, &t_ac, 1, &t_afc2, 1, ec, mode, lm, lmc, tau, &inf, w);
            hush__pld_lm_prod(lm, a->lmc, rca, a->lmc, rca);
            hush__pld_conv_win(&C, &t_ac, 1, &t_ac, 1, ec, mode, lm, lmc, tau, &inf, w);
        } else {
            if (b->c.len) {
                hush__pld_lm_prod(lm, a->lmf, rfac, b->lmc, rcb);
                hush__pld_conv_win(&C, &t_afc, 1, &t_bc, 1, ec, mode, lm, lmc, tau, &inf, w);
            }
            if (a->c.len) {
                hush__pld_lm_prod(lm, a->lmc, rca, b->lmf, rfbc);
                hush__pld_conv_win(&C, &t_ac, 1, &t_bfc, 1, ec, mode, lm, lmc, tau, &inf, w);
                if (b->c.len) {
                    hush__pld_lm_prod(lm, a->lmc, rca, b->lmc, rcb);
                    hush__pld_conv_win(&C, &t_ac, 1, &t_bc, 1, ec, mode, lm, lmc, tau, &inf, w);
                }
            }
        }
    }
    normalize(d, &F, &C, inf, steps, mode, lmf, lmc, w);
}

void hush__pld_build(hush__pld *out, const hush__pld_event *ev, size_t n, int remove, int mode, hush__pld_work *w) {
    double steps = 0.0;
    for (size_t i = 0; i < n; i++) steps += (double)ev[i].count;
    w->steps = steps > 1.0 ? steps : 1.0;
    w->floor = hush__pld_step_floor(ev, n, remove);
    /* the log-MGF points: 2^j / S for 32 octaves from 0.02 / S, S the composition's standard
     * deviation (optimal Chernoff points are near 10 / S for every level and both tails) */
    double var = 0.0;
    for (size_t i = 0; i < n; i++) {
        if (!ev[i].count || ev[i].s == 0.0 || (ev[i].kind == HUSH__PLD_SGM && ev[i].q == 0.0)) continue;
        var += (double)ev[i].count * hush__pld_step_var(&ev[i], remove);
    }
    int j0 = var > 0.0 && isfinite(var) ? hush__pld_pow2_exp(0.02 / sqrt(var)) : -6;
    if (j0 > 900) j0 = 900;
    if (j0 < -900) j0 = -900;
    for (int k = 0; k < HUSH__PLD_NT / 2; k++) {
        w->t[2 * k] = ldexp(1.0, j0 + k);
        w->t[2 * k + 1] = -w->t[2 * k];
    }
    hush__pld_set_identity(out);
    for (size_t i = 0; i < n; i++) {
        if (ev[i].count == 0) continue;
        hush__pld_step_build(&w->base, &ev[i], remove, mode, w);
        hush__pld_set_identity(&w->res);
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
    double h = hush__pld_comp_h(c);
    /* first index with loss > eps */
    double t = (eps - c->ph) / h - (double)c->off;
    if (t >= (double)c->len) return 0.0;
    size_t i = t < 0.0 ? 0 : (size_t)floor(t) + 1;
    while (i > 0 && hush__pld_comp_loss(c, i - 1) > eps) i--;
    double s = 0.0, r = hush_exp(-h), f = hush_exp(eps - hush__pld_comp_loss(c, i));
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
    if (d->f.len) t = hush__pld_comp_loss(&d->f, d->f.len - 1);
    if (d->c.len) {
        double u = hush__pld_comp_loss(&d->c, d->c.len - 1);
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
