/* Normal-distribution tails and log-space summation for the DP accountants, from Hush's own exp
 * and log (hush/mathf.h) and the erfc below: the same bits on every build. */
#include "dp/dpmath.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "hush/mathf.h"

/* erfc from fdlibm's s_erf.c (as in FreeBSD and musl), with hush_exp for exp; Sun's notice:
 * "Copyright (C) 1993 by Sun Microsystems, Inc. All rights reserved. Developed at SunPro, a Sun
 * Microsystems, Inc. business. Permission to use, copy, modify, and distribute this software is
 * freely granted, provided that this notice is preserved." Rational approximations in 1/x^2
 * (relative error about 2^-57 before the exp) on [0, 0.84375), [0.84375, 1.25), [1.25, 1/0.35)
 * and [1/0.35, 28); erfc(-x) = 2 - erfc(x). */
static uint32_t high_word(double x) {
    uint64_t u;
    memcpy(&u, &x, sizeof u);
    return (uint32_t)(u >> 32);
}

static double erfc_tail(uint32_t ix, double x) { /* 0.84375 <= |x| < 28 */
    static const double erx = 8.45062911510467529297e-01, pa0 = -2.36211856075265944077e-03,
                        pa1 = 4.14856118683748331666e-01, pa2 = -3.72207876035701323847e-01,
                        pa3 = 3.18346619901161753674e-01, pa4 = -1.10894694282396677476e-01,
                        pa5 = 3.54783043256182359371e-02, pa6 = -2.16637559486879084300e-03,
                        qa1 = 1.06420880400844228286e-01, qa2 = 5.40397917702171048937e-01,
                        qa3 = 7.18286544141962662868e-02, qa4 = 1.26171219808761642112e-01,
                        qa5 = 1.36370839120290507362e-02, qa6 = 1.19844998467991074170e-02;
    static const double ra0 = -9.86494403484714822705e-03, ra1 = -6.93858572707181764372e-01,
                        ra2 = -1.05586262253232909814e+01, ra3 = -6.23753324503260060396e+01,
                        ra4 = -1.62396669462573470355e+02, ra5 = -1.84605092906711035994e+02,
                        ra6 = -8.12874355063065934246e+01, ra7 = -9.81432934416914548592e+00,
                        sa1 = 1.96512716674392571292e+01, sa2 = 1.37657754143519042600e+02,
                        sa3 = 4.34565877475229228821e+02, sa4 = 6.45387271733267880336e+02,
                        sa5 = 4.29008140027567833386e+02, sa6 = 1.08635005541779435134e+02,
                        sa7 = 6.57024977031928170135e+00, sa8 = -6.04244152148580987438e-02;
    static const double rb0 = -9.86494292470009928597e-03, rb1 = -7.99283237680523006574e-01,
                        rb2 = -1.77579549177547519889e+01, rb3 = -1.60636384855821916062e+02,
                        rb4 = -6.37566443368389627722e+02, rb5 = -1.02509513161107724954e+03,
                        rb6 = -4.83519191608651397019e+02, sb1 = 3.03380607434824582924e+01,
                        sb2 = 3.25792512996573918826e+02, sb3 = 1.53672958608443695994e+03,
                        sb4 = 3.19985821950859553908e+03, sb5 = 2.55305040643316442583e+03,
                        sb6 = 4.74528541206955367215e+02, sb7 = -2.24409524465858183362e+01;
    if (ix < 0x3ff40000u) { /* |x| < 1.25 */
        double s = fabs(x) - 1.0;
        double P = pa0 + s * (pa1 + s * (pa2 + s * (pa3 + s * (pa4 + s * (pa5 + s * pa6)))));
        double Q = 1.0 + s * (qa1 + s * (qa2 + s * (qa3 + s * (qa4 + s * (qa5 + s * qa6)))));
        return 1.0 - erx - P / Q;
    }
    x = fabs(x);
    double s = 1.0 / (x * x), R, S;
    if (ix < 0x4006db6du) { /* |x| < 1/0.35 */
        R = ra0 + s * (ra1 + s * (ra2 + s * (ra3 + s * (ra4 + s * (ra5 + s * (ra6 + s * ra7))))));
        S = 1.0 + s * (sa1 + s * (sa2 + s * (sa3 + s * (sa4 + s * (sa5 + s * (sa6 + s * (sa7 + s * sa8)))))));
    } else {
        R = rb0 + s * (rb1 + s * (rb2 + s * (rb3 + s * (rb4 + s * (rb5 + s * rb6)))));
        S = 1.0 + s * (sb1 + s * (sb2 + s * (sb3 + s * (sb4 + s * (sb5 + s * (sb6 + s * sb7))))));
    }
    /* z: x with its low word cleared, so z * z is exact and only the small rest goes through R/S */
    uint64_t u;
    memcpy(&u, &x, sizeof u);
    u &= 0xffffffff00000000ull;
    double z;
    memcpy(&z, &u, sizeof z);
    return hush_exp(-z * z - 0.5625) * hush_exp((z - x) * (z + x) + R / S) / x;
}

static double det_erfc(double x) {
    static const double pp0 = 1.28379167095512558561e-01, pp1 = -3.25042107247001499370e-01,
                        pp2 = -2.84817495755985104766e-02, pp3 = -5.77027029648944159157e-03,
                        pp4 = -2.37630166566501626084e-05, qq1 = 3.97917223959155352819e-01,
                        qq2 = 6.50222499887672944485e-02, qq3 = 5.08130628187576562776e-03,
                        qq4 = 1.32494738004321644526e-04, qq5 = -3.96022827877536812320e-06;
    uint32_t ix = high_word(x);
    int sign = (int)(ix >> 31);
    ix &= 0x7fffffffu;
    if (ix >= 0x7ff00000u) return 2.0 * (double)sign + 1.0 / x; /* NaN, or 0 and 2 at +-inf */
    if (ix < 0x3feb0000u) { /* |x| < 0.84375 */
        if (ix < 0x3c700000u) return 1.0 - x; /* |x| < 2^-56 */
        double z = x * x;
        double r = pp0 + z * (pp1 + z * (pp2 + z * (pp3 + z * pp4)));
        double s = 1.0 + z * (qq1 + z * (qq2 + z * (qq3 + z * (qq4 + z * qq5))));
        double y = r / s;
        if (sign || ix < 0x3fd00000u) return 1.0 - (x + x * y); /* x < 1/4 */
        return 0.5 - (x - 0.5 + x * y);
    }
    if (ix < 0x403c0000u) return sign ? 2.0 - erfc_tail(ix, x) : erfc_tail(ix, x); /* |x| < 28 */
    return sign ? 2.0 : 0.0; /* fdlibm: 2 - tiny and tiny^2 */
}

double hush__dp_log_erfc(double x) {
    if (x < 25.0) return hush_log(det_erfc(x));
    /* det_erfc(x) = e^{-x^2} / (x sqrt(pi)) * (1 - 1/(2x^2) + 3/(4x^4) - 15/(8x^6) + ...); at x >= 25
     * the omitted terms are below 1e-13 relative. */
    double r = 1.0 / (2.0 * x * x);
    double series = 1.0 - r * (1.0 - 3.0 * r * (1.0 - 5.0 * r * (1.0 - 7.0 * r)));
    return -x * x - hush_log(x) - HUSH__DP_LOG_SQRT_PI + hush_log(series);
}

double hush__dp_log_ndtr(double x) {
    /* Phi(x) = det_erfc(-x / sqrt 2) / 2 */
    if (x > 5.0) return hush_log1p(-0.5 * det_erfc(x / HUSH__DP_SQRT2));
    return hush__dp_log_erfc(-x / HUSH__DP_SQRT2) - HUSH__DP_LN2;
}

double hush__dp_ndtr(double x) { return 0.5 * det_erfc(-x / HUSH__DP_SQRT2); }
double hush__dp_ndtr_upper(double x) { return 0.5 * det_erfc(x / HUSH__DP_SQRT2); }

double hush__dp_log_add(double a, double b) {
    if (a == -INFINITY) return b;
    if (b == -INFINITY) return a;
    double m = a > b ? a : b;
    return m + hush_log1p(hush_exp(-fabs(a - b)));
}

void hush__dp_logsum_init(hush__dp_logsum *a) {
    a->m = -INFINITY;
    a->s = 0.0;
    a->c = 0.0;
}

void hush__dp_logsum_add(hush__dp_logsum *a, int sign, double logv) {
    if (logv == -INFINITY) return;
    if (logv > a->m) {
        /* rescale so the largest term seen is e^0: nothing overflows */
        double f = a->m == -INFINITY ? 0.0 : hush_exp(a->m - logv);
        a->s *= f;
        a->c *= f;
        a->m = logv;
    }
    double v = (sign < 0 ? -1.0 : 1.0) * hush_exp(logv - a->m);
    /* Neumaier compensated addition */
    double t = a->s + v;
    if (fabs(a->s) >= fabs(v))
        a->c += (a->s - t) + v;
    else
        a->c += (v - t) + a->s;
    a->s = t;
}

double hush__dp_logsum_log(const hush__dp_logsum *a) {
    double s = a->s + a->c;
    if (a->m == -INFINITY || s == 0.0) return -INFINITY;
    if (s < 0.0) return NAN;
    return a->m + hush_log(s);
}
