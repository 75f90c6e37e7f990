/* Internals shared by the PLD files: pld.c (work memory, composition, the hockey-stick
 * divergence; its opening comment explains the method), pld_grid.c (components on their lattices),
 * pld_conv.c (FFT products and the log-MGF bounds that window them) and pld_step.c (one
 * mechanism's loss and its discretisation). */
#ifndef HUSH__DP_PLD_INTERNAL_H
#define HUSH__DP_PLD_INTERNAL_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "dp/pld.h"
#include "hush/mathf.h"

#define HUSH__PLD_TAU_OP 1e-18 /* truncated mass per truncation, for a distribution of all T steps */
#define HUSH__PLD_E_MIN (-1060) /* the range of grid exponents */
#define HUSH__PLD_E_MAX 1000
/* a window holding this share of a component's mass sets an optimistic lattice's phase (pld_grid.c) */
#define HUSH__PLD_SPIKE_SHARE 0.3

static inline int64_t hush__pld_floor_div(int64_t a, int64_t b) {
    int64_t q = a / b;
    if ((a % b) != 0 && ((a < 0) != (b < 0))) q--;
    return q;
}

/* largest e with 2^e <= x (x > 0, finite), clamped to the grid range */
static inline int hush__pld_pow2_exp(double x) {
    if (!(x > 0.0)) return HUSH__PLD_E_MIN;
    if (!isfinite(x)) return HUSH__PLD_E_MAX;
    int e;
    (void)frexp(x, &e);
    e -= 1;
    return e < HUSH__PLD_E_MIN ? HUSH__PLD_E_MIN : e > HUSH__PLD_E_MAX ? HUSH__PLD_E_MAX : e;
}

static inline size_t hush__pld_next_pow2(size_t n) {
    size_t p = 1;
    while (p < n) p <<= 1;
    return p;
}

/* bins a component may hold (a margin below the arrays' cap) */
static inline size_t hush__pld_comp_room(const hush__pld_work *w) { return w->cap - 4; }

/* truncation budget for a distribution of m steps */
static inline double hush__pld_tau_of(const hush__pld_work *w, double m) {
    double t = HUSH__PLD_TAU_OP * (m > 1.0 ? m : 1.0) / w->steps;
    return t > HUSH__PLD_TAU_OP ? HUSH__PLD_TAU_OP : t < 1e-300 ? 1e-300 : t;
}

static inline double hush__pld_comp_h(const hush__pld_comp *c) { return ldexp(1.0, c->e); }
static inline double hush__pld_comp_loss(const hush__pld_comp *c, size_t i) {
    return (double)(c->off + (int64_t)i) * hush__pld_comp_h(c) + c->ph;
}

/* ---- pld.c ---- */

/* d = the identity of composition (loss 0 with mass 1, no steps) */
void hush__pld_set_identity(hush__pld *d);

/* ---- pld_grid.c ---- */

/* The optimistic grouping sweep. Atoms arrive in increasing loss, each at idx * h + frac
 * (0 <= frac <= h) on a source grid of spacing h = H / f; groups go to the points j H of the
 * target grid, dst[k] holding target index lo + k. */
typedef struct hush__pld_sweep {
    int down; /* spacing above 1: round every atom down instead (see hush__pld_sweep_init) */
    double *dst;
    int64_t lo; /* target index of dst[0] */
    size_t n;
    int64_t f;
    double h, H;
    int64_t j;    /* the open group's target */
    double m, ex; /* its mass and sum of m (e^{-(l - jH)} - 1) >= 0 */
    int open;
} hush__pld_sweep;

void hush__pld_sweep_init(hush__pld_sweep *s, double *dst, int64_t lo, size_t n, int e_src, int e_dst);
void hush__pld_sweep_atom(hush__pld_sweep *s, double m, int64_t idx, double frac);
void hush__pld_sweep_finish(hush__pld_sweep *s);

void hush__pld_comp_copy(hush__pld_comp *dst, double *dst_p, const hush__pld_comp *src);
/* the phase of an optimistic lattice 2^e for src (0 for pessimistic ones) */
double hush__pld_spike_phase(const hush__pld_comp *src, int e, int mode);
/* dst = src on the lattice j 2^e + ph, in dst_p (room for src.len / 2^(e - src.e) + 3 doubles) */
void hush__pld_coarsen(hush__pld_comp *dst, double *dst_p, const hush__pld_comp *src, int e, double ph, int mode);
/* cuts c's ends (below floor_loss, and tau/2 of mass at each end); returns the mass moved up */
double hush__pld_trim(hush__pld_comp *c, int mode, double tau, double floor_loss, double *inf);
/* dst (room doubles) += src on the same lattice; 0 if the union does not fit */
int hush__pld_add_into(hush__pld_comp *dst, const hush__pld_comp *src, size_t room);
/* standard deviation (loss units) of F and C together */
double hush__pld_std_of(const hush__pld_comp *F, const hush__pld_comp *C);

/* ---- pld_conv.c ---- */

/* a term coef * c of a sum of components on one lattice */
typedef struct hush__pld_term {
    const hush__pld_comp *c;
    double coef;
} hush__pld_term;

/* the FFT twiddle tables for transforms up to n points, into tw (2 n doubles) */
void hush__pld_fft_twiddles(double *tw, size_t n);
/* the union index range of a sum of components on one lattice (its start in *lo) */
int64_t hush__pld_terms_range(const hush__pld_term *t, int n, int64_t *lo);
/* acc += A (x) B on the grid 2^e, windowed by the product's log-MGF bound lm (merged into lm_acc) */
void hush__pld_conv_win(hush__pld_comp *acc, const hush__pld_term *A, int na, const hush__pld_term *B, int nb, int e,
                        int mode, const double *lm, double *lm_acc, double tau, double *inf, hush__pld_work *w);
/* Log-MGF bounds (HUSH__PLD_NT values, at the points t): the factors of a rounding onto spacing
 * 2^e, a bound raised by such a rounding, by mass m at loss l, merged with another, of a product
 * (factors' bounds x and y with rounding factors rx, ry), and of a single step's noise-free arrays. */
void hush__pld_lm_rho(double *r, const double *t, int e);
void hush__pld_lm_coarsen(double *lm, const double *t, int e);
void hush__pld_lm_add_mass(double *lm, const double *t, double m, double l);
void hush__pld_lm_merge(double *dst, const double *src);
void hush__pld_lm_prod(double *out, const double *x, const double *rx, const double *y, const double *ry);
void hush__pld_lm_of_arrays(hush__pld *d, const double *t);

/* ---- pld_step.c ---- */

/* one step of an event into d (arrays of cap each), pessimistic or optimistic */
void hush__pld_step_build(hush__pld *d, const hush__pld_event *ev, int remove, int mode, hush__pld_work *w);
/* the floor on losses of the whole composition (see pld.c's Truncation) */
double hush__pld_step_floor(const hush__pld_event *ev, size_t n, int remove);
/* the variance of one step's loss */
double hush__pld_step_var(const hush__pld_event *ev, int remove);

#endif
