/* Privacy loss distributions on adaptive power-of-two grids (internal to the accountant; see pld.c). */
#ifndef HUSH__DP_PLD_H
#define HUSH__DP_PLD_H

#include <stddef.h>
#include <stdint.h>

/* One component: p[i] is the probability of privacy loss (off + i) * 2^e + ph, the phase ph in
 * [0, 2^e) (always 0 in pessimistic distributions; see pld.c). */
typedef struct hush__pld_comp {
    double *p;
    size_t len;
    int64_t off;
    int e;
    double ph;
} hush__pld_comp;

/* Points of the log-MGF bound kept with every distribution (half positive, half negative t). */
#define HUSH__PLD_NT 64

/* A distribution: a fine component f and, for multi-scale losses, a coarse component c (c.len == 0:
 * f alone), plus the mass at +infinity; `steps` is how many single steps it composes (it scales
 * the tail budget of every truncation); lmf[k] and lmc[k] are upper bounds on log E[e^{t_k L}]
 * over f and over c, free of FFT round-off (they set the tail windows, see pld_conv.c). */
typedef struct hush__pld {
    hush__pld_comp f, c;
    double inf, steps;
    double lmf[HUSH__PLD_NT], lmc[HUSH__PLD_NT];
} hush__pld;

enum hush__pld_mode { HUSH__PLD_PESSIMISTIC = 0, HUSH__PLD_OPTIMISTIC = 1 };
enum hush__pld_kind { HUSH__PLD_SGM = 1, HUSH__PLD_LAPLACE = 2 };

/* One mechanism composed `count` times. SGM: Poisson-subsampled Gaussian with rate q and noise s
 * (q = 1: the Gaussian mechanism); LAPLACE: scale s (sensitivity 1). */
typedef struct hush__pld_event {
    int kind;
    double q, s;
    uint64_t count;
} hush__pld_event;

/* Default resolution: grid spacing at most the standard deviation of the distribution / this. */
#define HUSH__PLD_BINS_PER_STD 128.0

/* Workspace for hush__pld_build, carved from `mem` (hush__pld_work_doubles(cap) doubles). */
typedef struct hush__pld_work {
    size_t cap;          /* bins per component */
    size_t nfft;         /* largest FFT (complex points) */
    double bins_per_std; /* resolution (HUSH__PLD_BINS_PER_STD unless set) */
    double steps;        /* steps of the whole build (truncation budget) */
    double floor;        /* losses below it are moved up (pessimistic) or dropped: see pld.c */
    double t[HUSH__PLD_NT]; /* the points of the log-MGF bounds */
    double *z, *y, *y2, *tw, *outf, *outc, *s[6];
    hush__pld base, res;
} hush__pld_work;

size_t hush__pld_work_doubles(size_t cap);
void hush__pld_work_init(hush__pld_work *w, double *mem, size_t cap);
/* d's arrays: 2 cap doubles at mem. */
void hush__pld_init(hush__pld *d, double *mem, size_t cap);

/* Composes every event (both directions of add-or-remove neighbours are separate calls:
 * remove = 1 for the pair (mechanism on D, on D - x)). Never fails on valid input: when the
 * arrays would overflow, the grids coarsen (the result stays a bound, only less tight).
 * Pessimistic: delta(eps) of the result is at least the true delta at every eps; optimistic: at
 * most (up to double rounding). */
void hush__pld_build(hush__pld *out, const hush__pld_event *ev, size_t n, int remove, int mode, hush__pld_work *w);
/* delta(eps) of a built distribution, and the smallest eps >= 0 with delta(eps) <= delta (for a
 * pessimistic build an upper bound on the true epsilon, for an optimistic one a lower bound). */
double hush__pld_delta(const hush__pld *d, double eps);
double hush__pld_epsilon(const hush__pld *d, double delta);

#endif
