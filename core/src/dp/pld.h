/* Privacy loss distributions on adaptive power-of-two grids (internal to the accountant; see pld.c). */
#ifndef HUSH__DP_PLD_H
#define HUSH__DP_PLD_H

#include <stddef.h>
#include <stdint.h>

/* One component: p[i] is the probability of privacy loss (off + i) * 2^e. */
typedef struct hush__pld_comp {
    double *p;
    size_t len;
    int64_t off;
    int e;
} hush__pld_comp;

/* A distribution: a fine component f and, for multi-scale losses, a coarse component c (c.len == 0:
 * f alone), plus the mass at +infinity. v and b are the optimistic mode's variance proxy and
 * largest increment of the rounding coupling (see pld.c). */
typedef struct hush__pld {
    hush__pld_comp f, c;
    double inf, v, b;
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

/* Workspace for hush__pld_build, carved from `mem` (hush__pld_work_doubles(cap) doubles). */
typedef struct hush__pld_work {
    size_t cap;
    double tau; /* truncation mass per operation (set by hush__pld_build) */
    double *fft, *out_f, *out_c, *conv, *t[6];
    hush__pld base, res;
} hush__pld_work;

size_t hush__pld_work_doubles(size_t cap);
void hush__pld_work_init(hush__pld_work *w, double *mem, size_t cap);
/* dst's arrays: 2 cap doubles at mem. */
void hush__pld_init(hush__pld *d, double *mem, size_t cap);

/* Composes every event (both directions of add-or-remove neighbours are separate calls:
 * remove = 1 for the pair (mechanism on D, on D - x)). Never fails on valid input. */
void hush__pld_build(hush__pld *out, const hush__pld_event *ev, size_t n, int remove, int mode, hush__pld_work *w);
/* delta at eps of a pessimistic build, and the smallest eps >= 0 with delta(eps) <= delta. */
double hush__pld_delta(const hush__pld *d, double eps);
double hush__pld_epsilon(const hush__pld *d, double delta);
/* Lower bound on the true epsilon at delta from an optimistic build (see pld.c). */
double hush__pld_epsilon_lower(const hush__pld *d, double delta);

#endif
