/* Deterministic elementary functions (see hush/mathf.h).
 *
 * Every result is a fixed sequence of IEEE-754 +, -, *, / (and exact scaling by powers of two
 * done on the exponent bits), so with -ffp-contract=off every build returns the same bits; no
 * libm is called. NaN inputs are returned unchanged (arithmetic on a NaN may change its payload
 * or sign differently on x86 and wasm); invalid arguments return one fixed quiet NaN.
 *
 * Double functions follow Sun's fdlibm 5.3 (e_exp.c, e_log.c, s_log1p.c, s_expm1.c; "Developed at
 * SunPro ... Permission to use, copy, modify, and distribute this software is freely granted,
 * provided that this notice is preserved"), rewritten over 64-bit words; all are < 1 ulp.
 * Float functions evaluate in double with short polynomials and round once at the end, which
 * keeps them within ~0.5 ulp without fdlibm's float-specific tricks.
 */
#include "hush/mathf.h"

#include <string.h>

static uint64_t dbits(double x) {
    uint64_t u;
    memcpy(&u, &x, sizeof u);
    return u;
}
static double dfrom(uint64_t u) {
    double x;
    memcpy(&x, &u, sizeof x);
    return x;
}
static uint32_t fbits(float x) {
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    return u;
}
static float ffrom(uint32_t u) {
    float x;
    memcpy(&x, &u, sizeof x);
    return x;
}
static uint32_t hiword(double x) { return (uint32_t)(dbits(x) >> 32); }
static double set_hiword(double x, uint32_t hi) {
    return dfrom(((uint64_t)hi << 32) | (dbits(x) & 0xffffffffu));
}
/* y * 2^k by adding to the exponent field: exact, valid only when y and the result are normal. */
static double add_exponent(double y, int k) { return dfrom(dbits(y) + ((uint64_t)(int64_t)k << 52)); }

#define D_QNAN 0x7ff8000000000000ull
#define D_INF 0x7ff0000000000000ull
#define F_QNAN 0x7fc00000u
#define F_INF 0x7f800000u

static const double ln2_hi = 6.93147180369123816490e-01; /* 0x3fe62e42 fee00000: k*ln2_hi exact */
static const double ln2_lo = 1.90821492927058770002e-10; /* 0x3dea39ef 35793c76 */
static const double invln2 = 1.44269504088896338700e+00; /* 0x3ff71547 652b82fe */
static const double two54 = 1.80143985094819840000e+16;  /* 0x43500000 00000000 */

/* ---------------------------------------------------------------- double exp */

double hush_exp(double x) {
    static const double o_threshold = 7.09782712893383973096e+02; /* 0x40862E42 FEFA39EF */
    static const double u_threshold = -7.45133219101941108420e+02; /* 0xc0874910 D52D3051 */
    static const double P1 = 1.66666666666666019037e-01, P2 = -2.77777777770155933842e-03,
                        P3 = 6.61375632143793436117e-05, P4 = -1.65339022054652515390e-06,
                        P5 = 4.13813679705723846039e-08;
    if (x != x) return x;
    if (x > o_threshold) return dfrom(D_INF);
    if (x < u_threshold) return 0.0;
    uint32_t hx = hiword(x) & 0x7fffffffu;
    int neg = x < 0;
    double hi = 0, lo = 0;
    int k = 0;
    if (hx > 0x3fd62e42u) { /* |x| > 0.5 ln2 */
        if (hx < 0x3ff0a2b2u) { /* and |x| < 1.5 ln2 */
            hi = neg ? x + ln2_hi : x - ln2_hi;
            lo = neg ? -ln2_lo : ln2_lo;
            k = neg ? -1 : 1;
        } else {
            k = (int)(invln2 * x + (neg ? -0.5 : 0.5)); /* truncation: round half away */
            double t = (double)k;
            hi = x - t * ln2_hi;
            lo = t * ln2_lo;
        }
        x = hi - lo;
    } else if (hx < 0x3e300000u) { /* |x| < 2^-28 */
        return 1.0 + x;
    }
    double t = x * x;
    double c = x - t * (P1 + t * (P2 + t * (P3 + t * (P4 + t * P5))));
    if (k == 0) return 1.0 - ((x * c) / (c - 2.0) - x);
    double y = 1.0 - ((lo - (x * c) / (2.0 - c)) - hi);
    if (k >= -1021) {
        if (k == 1024) return add_exponent(y, 1023) * 2.0; /* y < 1 here, result finite */
        return add_exponent(y, k);
    }
    /* Subnormal result: scale exactly into range, then one rounding multiply. */
    return add_exponent(y, k + 1000) * 0x1p-1000;
}

/* ---------------------------------------------------------------- double log */

double hush_log(double x) {
    static const double Lg1 = 6.666666666666735130e-01, Lg2 = 3.999999999940941908e-01,
                        Lg3 = 2.857142874366239149e-01, Lg4 = 2.222219843214978396e-01,
                        Lg5 = 1.818357216161805012e-01, Lg6 = 1.531383769920937332e-01,
                        Lg7 = 1.479819860511658591e-01;
    if (x != x) return x;
    uint64_t ux = dbits(x);
    int32_t hx = (int32_t)(ux >> 32);
    uint32_t lx = (uint32_t)ux;
    int k = 0;
    if (hx < 0x00100000) { /* x < 2^-1022 */
        if (((hx & 0x7fffffff) | (int32_t)lx) == 0) return dfrom(D_INF | (1ull << 63));
        if (hx < 0) return dfrom(D_QNAN);
        k -= 54;
        x *= two54; /* subnormal: scale up exactly */
        hx = (int32_t)hiword(x);
    }
    if (hx >= 0x7ff00000) return x; /* +inf */
    k += (hx >> 20) - 1023;
    hx &= 0x000fffff;
    int32_t i = (hx + 0x95f64) & 0x100000;
    x = set_hiword(x, (uint32_t)(hx | (i ^ 0x3ff00000))); /* normalise x or x/2 */
    k += (i >> 20);
    double f = x - 1.0;
    double dk = (double)k;
    if ((0x000fffff & (2 + hx)) < 3) { /* |f| < 2^-20 */
        if (f == 0.0) return k == 0 ? 0.0 : dk * ln2_hi + dk * ln2_lo;
        double R = f * f * (0.5 - 0.33333333333333333 * f);
        return k == 0 ? f - R : dk * ln2_hi - ((R - dk * ln2_lo) - f);
    }
    double s = f / (2.0 + f);
    double z = s * s;
    int32_t ii = hx - 0x6147a;
    double w = z * z;
    int32_t j = 0x6b851 - hx;
    double t1 = w * (Lg2 + w * (Lg4 + w * Lg6));
    double t2 = z * (Lg1 + w * (Lg3 + w * (Lg5 + w * Lg7)));
    ii |= j;
    double R = t2 + t1;
    if (ii > 0) {
        double hfsq = 0.5 * f * f;
        if (k == 0) return f - (hfsq - s * (hfsq + R));
        return dk * ln2_hi - ((hfsq - (s * (hfsq + R) + dk * ln2_lo)) - f);
    }
    if (k == 0) return f - s * (f - R);
    return dk * ln2_hi - ((s * (f - R) - dk * ln2_lo) - f);
}

/* ---------------------------------------------------------------- double log1p */

double hush_log1p(double x) {
    static const double Lp1 = 6.666666666666735130e-01, Lp2 = 3.999999999940941908e-01,
                        Lp3 = 2.857142874366239149e-01, Lp4 = 2.222219843214978396e-01,
                        Lp5 = 1.818357216161805012e-01, Lp6 = 1.531383769920937332e-01,
                        Lp7 = 1.479819860511658591e-01;
    if (x != x) return x;
    int32_t hx = (int32_t)hiword(x);
    int32_t ax = hx & 0x7fffffff;
    int32_t hu = 0;
    int k = 1;
    double f = 0, c = 0;
    if (hx < 0x3FDA827A) { /* 1+x < sqrt(2)+ */
        if (ax >= 0x3ff00000) { /* x <= -1.0 */
            if (x == -1.0) return dfrom(D_INF | (1ull << 63));
            return dfrom(D_QNAN);
        }
        if (ax < 0x3e200000) { /* |x| < 2^-29 */
            if (ax < 0x3c900000) return x; /* |x| < 2^-54 */
            return x - x * x * 0.5;
        }
        if (hx > 0 || hx <= (int32_t)0xbfd2bec4u) { /* sqrt(2)/2- <= 1+x < sqrt(2)+ */
            k = 0;
            f = x;
            hu = 1;
        }
    }
    if (hx >= 0x7ff00000) return x; /* +inf */
    if (k != 0) {
        double u;
        if (hx < 0x43400000) {
            u = 1.0 + x;
            hu = (int32_t)hiword(u);
            k = (hu >> 20) - 1023;
            c = (k > 0) ? 1.0 - (u - x) : x - (u - 1.0); /* rounding error of 1+x */
            c /= u;
        } else {
            u = x;
            hu = (int32_t)hiword(u);
            k = (hu >> 20) - 1023;
            c = 0;
        }
        hu &= 0x000fffff;
        if (hu < 0x6a09e) { /* u < sqrt(2) */
            u = set_hiword(u, (uint32_t)(hu | 0x3ff00000));
        } else {
            k += 1;
            u = set_hiword(u, (uint32_t)(hu | 0x3fe00000));
            hu = (0x00100000 - hu) >> 2;
        }
        f = u - 1.0;
    }
    double hfsq = 0.5 * f * f;
    double dk = (double)k;
    if (hu == 0) { /* |f| < 2^-20 */
        if (f == 0.0) {
            if (k == 0) return 0.0;
            c += dk * ln2_lo;
            return dk * ln2_hi + c;
        }
        double R = hfsq * (1.0 - 0.66666666666666666 * f);
        if (k == 0) return f - R;
        return dk * ln2_hi - ((R - (dk * ln2_lo + c)) - f);
    }
    double s = f / (2.0 + f);
    double z = s * s;
    double R = z * (Lp1 + z * (Lp2 + z * (Lp3 + z * (Lp4 + z * (Lp5 + z * (Lp6 + z * Lp7))))));
    if (k == 0) return f - (hfsq - s * (hfsq + R));
    return dk * ln2_hi - ((hfsq - (s * (hfsq + R) + (dk * ln2_lo + c))) - f);
}

/* ---------------------------------------------------------------- double expm1 */

double hush_expm1(double x) {
    static const double o_threshold = 7.09782712893383973096e+02;
    static const double Q1 = -3.33333333333331316428e-02, Q2 = 1.58730158725481460165e-03,
                        Q3 = -7.93650757867487942473e-05, Q4 = 4.00821782732936239552e-06,
                        Q5 = -2.01099218183624371326e-07;
    if (x != x) return x;
    uint32_t hx = hiword(x);
    int neg = (hx & 0x80000000u) != 0;
    hx &= 0x7fffffffu;
    if (hx >= 0x4043687Au) { /* |x| >= 56 ln2 */
        if (hx >= 0x40862E42u) {
            if (hx >= 0x7ff00000u) return neg ? -1.0 : x; /* expm1(+-inf) = {inf, -1} */
            if (x > o_threshold) return dfrom(D_INF);
        }
        if (neg) return -1.0; /* |exp(x)| < 2^-56: rounds to -1 */
    }
    double hi, lo, c = 0;
    int k;
    if (hx > 0x3fd62e42u) { /* |x| > 0.5 ln2 */
        if (hx < 0x3FF0A2B2u) { /* and |x| < 1.5 ln2 */
            if (!neg) {
                hi = x - ln2_hi;
                lo = ln2_lo;
                k = 1;
            } else {
                hi = x + ln2_hi;
                lo = -ln2_lo;
                k = -1;
            }
        } else {
            k = (int)(invln2 * x + (neg ? -0.5 : 0.5));
            double t = (double)k;
            hi = x - t * ln2_hi;
            lo = t * ln2_lo;
        }
        x = hi - lo;
        c = (hi - x) - lo;
    } else if (hx < 0x3c900000u) { /* |x| < 2^-54 */
        return x;
    } else {
        k = 0;
    }
    double hfx = 0.5 * x;
    double hxs = x * hfx;
    double r1 = 1.0 + hxs * (Q1 + hxs * (Q2 + hxs * (Q3 + hxs * (Q4 + hxs * Q5))));
    double t = 3.0 - r1 * hfx;
    double e = hxs * ((r1 - t) / (6.0 - x * t));
    if (k == 0) return x - (x * e - hxs);
    e = (x * (e - c) - c);
    e -= hxs;
    if (k == -1) return 0.5 * (x - e) - 0.5;
    if (k == 1) {
        if (x < -0.25) return -2.0 * (e - (x + 0.5));
        return 1.0 + 2.0 * (x - e);
    }
    double y;
    if (k <= -2 || k > 56) { /* exp(x)-1 = exp(x) to within rounding */
        y = 1.0 - (e - x);
        if (k == 1024) y = add_exponent(y, 1023) * 2.0;
        else y = add_exponent(y, k);
        return y - 1.0;
    }
    if (k < 20) {
        t = dfrom((uint64_t)(0x3ff00000u - (0x200000u >> k)) << 32); /* 1 - 2^-k */
        y = t - (e - x);
        return add_exponent(y, k);
    }
    t = dfrom((uint64_t)((uint32_t)(0x3ff - k) << 20) << 32); /* 2^-k */
    y = x - (e + t);
    y += 1.0;
    return add_exponent(y, k);
}

/* ---------------------------------------------------------------- float functions */

/* exp(x) in double for |x| <= 200 (2^k stays a normal double), relative error ~1e-15: plenty
 * for float results, and no division so it stays cheap inside activation loops. */
static double exp_mid(double x) {
    double kd = (x * invln2 + 0x1.8p52) - 0x1.8p52; /* round to nearest integer */
    double r = (x - kd * ln2_hi) - kd * ln2_lo;     /* |r| <= 0.347 */
    /* Taylor to degree 11: truncation 0.347^12/12! < 2e-15. */
    double p = 1.0 / 39916800.0;
    p = 1.0 / 3628800.0 + r * p;
    p = 1.0 / 362880.0 + r * p;
    p = 1.0 / 40320.0 + r * p;
    p = 1.0 / 5040.0 + r * p;
    p = 1.0 / 720.0 + r * p;
    p = 1.0 / 120.0 + r * p;
    p = 1.0 / 24.0 + r * p;
    p = 1.0 / 6.0 + r * p;
    p = 0.5 + r * p;
    p = 1.0 + r * p;
    p = 1.0 + r * p;
    int k = (int)kd;
    return p * dfrom((uint64_t)(k + 1023) << 52);
}

float hush_expf(float x) {
    if (x != x) return x;
    if (x >= 0x1.62e430p+6f) return ffrom(F_INF); /* 88.7228394: exp rounds past FLT_MAX */
    if (x < -104.0f) return 0.0f;                  /* exp(x) < 2^-150: rounds to zero */
    return (float)exp_mid((double)x);
}

float hush_logf(float x) {
    if (x != x) return x;
    if (x < 0.0f) return ffrom(F_QNAN);
    if (x == 0.0f) return ffrom(F_INF | 0x80000000u);
    if (fbits(x) == F_INF) return x;
    uint64_t u = dbits((double)x); /* every float, subnormals included, is a normal double */
    int k = (int)(u >> 52) - 1023;
    double m = dfrom((u & 0x000fffffffffffffull) | 0x3ff0000000000000ull); /* [1, 2) */
    if (m > 1.4142135623730951) {
        m *= 0.5;
        k += 1;
    }
    double f = m - 1.0; /* exact (Sterbenz) */
    double s = f / (2.0 + f);
    double z = s * s; /* z <= 0.0295 */
    /* log(m) = 2 atanh(s) = 2 (s + s^3/3 + ...); truncation after z^6/13 < 2e-12 relative. */
    double p = 1.0 / 13.0;
    p = 1.0 / 11.0 + z * p;
    p = 1.0 / 9.0 + z * p;
    p = 1.0 / 7.0 + z * p;
    p = 1.0 / 5.0 + z * p;
    p = 1.0 / 3.0 + z * p;
    p = 1.0 + z * p;
    double lm = 2.0 * s * p;
    double dk = (double)k;
    return (float)((dk * ln2_hi + lm) + dk * ln2_lo);
}

float hush_tanhf(float x) {
    if (x != x) return x;
    int neg = (fbits(x) >> 31) != 0;
    double a = neg ? -(double)x : (double)x;
    double r;
    if (a > 10.0) {
        r = 1.0; /* tanh(10) = 1 - 4e-9 rounds to 1 */
    } else if (a < 0x1p-5) {
        /* Taylor near 0 keeps full relative accuracy where exp(2a) - 1 would cancel. */
        double z = a * a;
        double p = 62.0 / 2835.0;
        p = -17.0 / 315.0 + z * p;
        p = 2.0 / 15.0 + z * p;
        p = -1.0 / 3.0 + z * p;
        r = a + a * (z * p);
    } else {
        double e = exp_mid(2.0 * a) - 1.0; /* loses <= 6 of 53 bits for a >= 2^-5 */
        r = e / (e + 2.0);
    }
    float fr = (float)r;
    return neg ? -fr : fr;
}

float hush_sigmoidf(float x) {
    if (x != x) return x;
    /* Only ever exponentiate a non-positive number, so nothing overflows. */
    if (x >= 0.0f) {
        if (x > 40.0f) return 1.0f;
        return (float)(1.0 / (1.0 + exp_mid(-(double)x)));
    }
    if (x < -120.0f) return 0.0f;
    double e = exp_mid((double)x);
    return (float)(e / (1.0 + e));
}
