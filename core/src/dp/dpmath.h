/* Double-precision helpers shared by the DP calibration and accounting code. They use no libm
 * function that rounds (only hush/mathf.h and an own erfc), so every build returns the same bits. */
#ifndef HUSH__DP_DPMATH_H
#define HUSH__DP_DPMATH_H

#define HUSH__DP_SQRT2 1.41421356237309504880
#define HUSH__DP_LN2 0.69314718055994530942
#define HUSH__DP_LOG_SQRT_PI 0.57236494292470008707 /* log(sqrt(pi)) */

/* log(erfc(x)), accurate where erfc underflows (x up to about 1e150). */
double hush__dp_log_erfc(double x);
/* log(Phi(x)) for the standard normal CDF Phi. */
double hush__dp_log_ndtr(double x);
/* Phi(x) and 1 - Phi(x) with full relative precision in their small tails. */
double hush__dp_ndtr(double x);
double hush__dp_ndtr_upper(double x);
/* log(e^a + e^b), with -inf as the log of 0. */
double hush__dp_log_add(double a, double b);

/* Signed sum of terms given as (sign, log|term|), kept as s * e^m with compensation, so long
 * alternating series neither overflow nor lose the small result to one big rounding step. */
typedef struct hush__dp_logsum {
    double m, s, c;
} hush__dp_logsum;
void hush__dp_logsum_init(hush__dp_logsum *a);
void hush__dp_logsum_add(hush__dp_logsum *a, int sign, double logv);
/* log of the sum; -inf for 0, NaN if the sum is negative. */
double hush__dp_logsum_log(const hush__dp_logsum *a);

#endif
