/* PLD grid operations: components on the lattices j 2^e + ph (pld.c explains the grids and both
 * modes), coarsened by connect-the-dots (pessimistic) or by the grouping sweep (optimistic), and
 * trimmed, added and measured. */
#include "dp/pld_internal.h"

#include <math.h>
#include <string.h>

/* ---- the optimistic grouping sweep (pld_internal.h; the method in pld.c) ---- */

void hush__pld_sweep_init(hush__pld_sweep *s, double *dst, int64_t lo, size_t n, int e_src, int e_dst) {
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

static void sweep_emit(hush__pld_sweep *s, int64_t j, double m) {
    int64_t k = j - s->lo;
    /* the callers size dst to cover every target; clamping down keeps a lower bound regardless */
    if (k >= (int64_t)s->n) k = (int64_t)s->n - 1;
    if (k < 0) return;
    s->dst[k] += m;
}

void hush__pld_sweep_atom(hush__pld_sweep *s, double m, int64_t idx, double frac) {
    if (!(m > 0.0)) return; /* round-off of either sign: a negative atom is not mass */
    if (s->down) {
        int64_t a = hush__pld_floor_div(idx, s->f);
        if (frac >= s->h && idx - a * s->f == s->f - 1) a++; /* frac == h: exactly on the next point */
        sweep_emit(s, a, m);
        return;
    }
    for (;;) {
        if (!s->open) {
            int64_t a = hush__pld_floor_div(idx, s->f), r = idx - a * s->f;
            s->j = (r == 0 && frac == 0.0) ? a : a + 1;
            s->m = s->ex = 0.0;
            s->open = 1;
        }
        double d = (double)(idx - s->j * s->f) * s->h + frac; /* loss - target */
        if (d <= 0.0) {
            s->ex += m * hush_expm1(-d);
            s->m += m;
            return;
        }
        double g = -hush_expm1(-d);
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

void hush__pld_sweep_finish(hush__pld_sweep *s) {
    if (!s->open) return;
    s->open = 0;
    if (!(s->m > 0.0)) return;
    /* unbalanced: the group's mean loss is in (l_{j-1}, l_j]; rounding down keeps the bound */
    sweep_emit(s, s->ex > 0.0 ? s->j - 1 : s->j, s->m);
}

/* ---- grid operations ---- */


void hush__pld_comp_copy(hush__pld_comp *dst, double *dst_p, const hush__pld_comp *src) {
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
 * HUSH__PLD_SPIKE_SHARE of the mass; otherwise ph = 0. (Pessimistic lattices keep ph = 0.) */

double hush__pld_spike_phase(const hush__pld_comp *src, int e, int mode) {
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
    if (!(tot > 0.0) || best < HUSH__PLD_SPIKE_SHARE * tot) return 0.0;
    double h = hush__pld_comp_h(src), ref = hush__pld_comp_loss(src, best_i), m0 = 0.0, y = 0.0;
    for (size_t i = best_i; i < best_i + win; i++) {
        double m = src->p[i] > 0.0 ? src->p[i] : 0.0;
        m0 += m;
        y += m * hush_exp(-(double)(i - best_i) * h);
    }
    double lam = ref - hush_log(y / m0), H = ldexp(1.0, e);
    double ph = lam - floor(lam / H) * H;
    return ph >= 0.0 && ph < H ? ph : 0.0;
}

/* dst = src on the lattice j 2^e + ph (e >= src.e) in the buffer dst_p (room for
 * src.len / 2^(e - src.e) + 3 doubles; may not alias src unless nothing moves). Pessimistic:
 * connect-the-dots, phases 0. Optimistic: the grouping sweep from src's lattice to the target. */
void hush__pld_coarsen(hush__pld_comp *dst, double *dst_p, const hush__pld_comp *src, int e, double ph, int mode) {
    if (src->len == 0 || (e <= src->e && ph == src->ph)) {
        hush__pld_comp_copy(dst, dst_p, src);
        return;
    }
    if (e < src->e) e = src->e;
    int k = e - src->e;
    if (k > 62) k = 62; /* a factor beyond 2^62 puts everything in one or two bins anyway */
    int64_t f = (int64_t)1 << k;
    double h = hush__pld_comp_h(src), H = ldexp(1.0, src->e + k);
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
    int64_t lo = hush__pld_floor_div(a0, f) - 1, hi = hush__pld_floor_div(a1, f) + 1;
    size_t n = (size_t)(hi - lo) + 1;
    memset(dst_p, 0, n * sizeof(double));
    if (mode == HUSH__PLD_PESSIMISTIC) {
        double den = -hush_expm1(-H);
        for (size_t i = 0; i < src->len; i++) {
            double m = src->p[i];
            if (m == 0.0) continue;
            int64_t a = src->off + (int64_t)i + sh, j = hush__pld_floor_div(a, f), r = a - j * f;
            if (r == 0 && fr == 0.0) {
                dst_p[j - lo] += m;
                continue;
            }
            double u = -hush_expm1(-((double)r * h + fr)) / den;
            dst_p[j - lo] += m * (1.0 - u);
            dst_p[j - lo + 1] += m * u;
        }
    } else {
        hush__pld_sweep sw;
        hush__pld_sweep_init(&sw, dst_p, lo, n, src->e, src->e + k);
        for (size_t i = 0; i < src->len; i++) hush__pld_sweep_atom(&sw, src->p[i], src->off + (int64_t)i + sh, fr);
        hush__pld_sweep_finish(&sw);
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
double hush__pld_trim(hush__pld_comp *c, int mode, double tau, double floor_loss, double *inf) {
    if (c->len == 0) return 0.0;
    double h = hush__pld_comp_h(c);
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
int hush__pld_add_into(hush__pld_comp *dst, const hush__pld_comp *src, size_t room) {
    if (src->len == 0) return 1;
    if (dst->len == 0) {
        if (src->len > room) return 0;
        hush__pld_comp_copy(dst, dst->p, src);
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
double hush__pld_std_of(const hush__pld_comp *F, const hush__pld_comp *C) {
    const hush__pld_comp *cs[2] = {F, C};
    double m0 = 0.0, m1 = 0.0, ref = 0.0;
    int have_ref = 0;
    for (int k = 0; k < 2; k++) {
        const hush__pld_comp *c = cs[k];
        if (!c->len) continue;
        double h = hush__pld_comp_h(c), base = hush__pld_comp_loss(c, 0);
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
        double h = hush__pld_comp_h(c), base = hush__pld_comp_loss(c, 0) - ref - mu;
        for (size_t i = 0; i < c->len; i++) {
            double d = base + (double)i * h;
            m2 += c->p[i] * d * d;
        }
    }
    return m2 > 0.0 ? sqrt(m2 / m0) : 0.0;
}
