/* Privacy loss distributions on a grid (internal to the accountant). */
#ifndef HUSH__DP_PLD_H
#define HUSH__DP_PLD_H

#include <stddef.h>
#include <stdint.h>

/* p[i] is the probability of privacy loss (off + i) * h; inf is the mass at +infinity. */
typedef struct hush__pld_pmf {
    double *p;
    size_t len, cap;
    int64_t off;
    double inf;
} hush__pld_pmf;

/* Scratch for convolutions: tmp holds 2 cap doubles, fft 2 fft_n doubles (fft_n complex). */
typedef struct hush__pld_work {
    double *tmp;
    double *fft;
    size_t fft_n;
} hush__pld_work;

void hush__pld_identity(hush__pld_pmf *d);
void hush__pld_copy(hush__pld_pmf *dst, const hush__pld_pmf *src);
/* Poisson-subsampled Gaussian (q = 1: plain Gaussian) with sensitivity 1. remove = 1: the
 * pair (mixture, N(0,s^2)); remove = 0: the pair (N(0,s^2), mixture). */
int hush__pld_sampled_gaussian(hush__pld_pmf *d, double q, double sigma, int remove, double h, double tail);
/* Laplace with scale b and sensitivity 1 (symmetric). */
int hush__pld_laplace(hush__pld_pmf *d, double b, double h);
/* dst = a * b (composition), truncated; dst may alias a or b. */
int hush__pld_compose(hush__pld_pmf *dst, const hush__pld_pmf *a, const hush__pld_pmf *b, hush__pld_work *w,
                      double tail);
double hush__pld_delta(const hush__pld_pmf *d, double h, double eps);
double hush__pld_epsilon(const hush__pld_pmf *d, double h, double delta);

#endif
