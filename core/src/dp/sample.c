/* Exact discrete samplers of Canonne, Kamath and Steinke 2020 ("The Discrete Gaussian for
 * Differential Privacy", Algorithms 1-3), in integer arithmetic only.
 *
 * Every random decision is an exact rational Bernoulli: Bernoulli(n/d) is
 * (hush_rng_below(rng, d) < n). Algorithm 1 needs Bernoulli(gamma/k) for growing k; we draw it as
 * Bernoulli(gamma) AND Bernoulli(1/k) (independent, so the product probability is exact), which
 * avoids ever forming d*k and so cannot overflow. The discrete Gaussian's acceptance exponent
 * (|y| b t - a)^2 / (2 a b t^2) needs up to 128 bits; a two-word unsigned type does that
 * portably (wasm32 included), and a parameter check keeps every intermediate inside it.
 * Nothing here touches floating point, so all builds draw identical integers. */
#include "hush/dp.h"

/* ---- 128-bit unsigned helpers ---- */
typedef struct u128 {
    uint64_t hi, lo;
} u128;

static u128 u128_of(uint64_t v) {
    u128 r = {0, v};
    return r;
}

static u128 mul64(uint64_t a, uint64_t b) {
    uint64_t a0 = a & 0xffffffffu, a1 = a >> 32, b0 = b & 0xffffffffu, b1 = b >> 32;
    uint64_t p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
    uint64_t mid = (p00 >> 32) + (p01 & 0xffffffffu) + (p10 & 0xffffffffu);
    u128 r;
    r.lo = (mid << 32) | (p00 & 0xffffffffu);
    r.hi = p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
    return r;
}

/* a * b where a is 128-bit; *ovf set if the product needs more than 128 bits. */
static u128 mul128_64(u128 a, uint64_t b, int *ovf) {
    u128 lo = mul64(a.lo, b), hi = mul64(a.hi, b);
    u128 r = {lo.hi + hi.lo, lo.lo};
    if (hi.hi || r.hi < lo.hi) *ovf = 1;
    return r;
}

static int u128_lt(u128 a, u128 b) { return a.hi < b.hi || (a.hi == b.hi && a.lo < b.lo); }

static u128 u128_sub(u128 a, u128 b) {
    u128 r = {a.hi - b.hi - (a.lo < b.lo), a.lo - b.lo};
    return r;
}

static int u128_bits(u128 a) {
    int n = 0;
    uint64_t w = a.hi ? a.hi : a.lo;
    while (w) {
        n++;
        w >>= 1;
    }
    return a.hi ? n + 64 : n;
}

static u128 u128_shl(u128 a, int s) {
    if (s == 0) return a;
    if (s >= 64) {
        u128 r = {a.lo << (s - 64), 0};
        return r;
    }
    u128 r = {(a.hi << s) | (a.lo >> (64 - s)), a.lo << s};
    return r;
}

static u128 u128_shr1(u128 a) {
    u128 r = {a.hi >> 1, (a.lo >> 1) | (a.hi << 63)};
    return r;
}

/* n = q d + r with 0 <= r < d; HUSH_ERANGE if q needs more than 64 bits. Shift-subtract over
 * the quotient's bits only, so the common small-quotient case costs a few steps. */
static int u128_divmod(u128 n, u128 d, uint64_t *q, u128 *r) {
    *q = 0;
    if (u128_lt(n, d)) {
        *r = n;
        return HUSH_OK;
    }
    int shift = u128_bits(n) - u128_bits(d);
    if (shift >= 64) return HUSH_ERANGE;
    u128 ds = u128_shl(d, shift);
    uint64_t quo = 0;
    for (int i = shift; i >= 0; i--) {
        quo <<= 1;
        if (!u128_lt(n, ds)) {
            n = u128_sub(n, ds);
            quo |= 1;
        }
        ds = u128_shr1(ds);
    }
    *q = quo;
    *r = n;
    return HUSH_OK;
}

/* Uniform in [0, d), d > 0, by rejection on the bit length of d. Every helper below returns a
 * status: an exhausted rng ends each loop with HUSH_ERANGE instead of spinning forever. */
static int below128(hush_rng *rng, u128 *out, u128 d) {
    if (d.hi == 0) {
        uint64_t v;
        int rc = hush_rng_below(rng, &v, d.lo);
        *out = u128_of(v);
        return rc;
    }
    int bits = u128_bits(d) - 64; /* 1..64 bits in the high word */
    uint64_t mask = bits == 64 ? ~(uint64_t)0 : (((uint64_t)1 << bits) - 1);
    for (;;) {
        u128 x;
        x.hi = hush_rng_u64(rng) & mask;
        x.lo = hush_rng_u64(rng);
        if (hush_rng_exhausted(rng)) return HUSH_ERANGE;
        if (u128_lt(x, d)) {
            *out = x;
            return HUSH_OK;
        }
    }
}

/* *b = Bernoulli(1/k), k >= 1. */
static int bern_inv(hush_rng *rng, int *b, uint64_t k) {
    uint64_t v = 0;
    int rc = k == 1 ? HUSH_OK : hush_rng_below(rng, &v, k);
    *b = v == 0;
    return rc;
}

/* *b = Bernoulli(exp(-1)): Algorithm 1 with gamma = 1. */
static int bern_exp1(hush_rng *rng, int *b) {
    uint64_t k = 1;
    for (;;) {
        int a, rc = bern_inv(rng, &a, k);
        if (rc != HUSH_OK) return rc;
        if (!a) break;
        k++;
    }
    *b = (int)(k & 1);
    return HUSH_OK;
}

/* Bernoulli(exp(-r/d)) for 0 <= r < d: Algorithm 1. A_k ~ Bernoulli(gamma/k) is drawn as
 * Bernoulli(r/d) AND Bernoulli(1/k). K = the first k with A_k = 0; return [K odd]. k cannot
 * wrap: reaching k = 2^64 has probability below 1/(2^64)!. */
static int bern_exp_frac(hush_rng *rng, int *b, u128 r, u128 d) {
    uint64_t k = 1;
    for (;;) {
        int a, rc = bern_inv(rng, &a, k);
        if (rc != HUSH_OK) return rc;
        if (a) {
            u128 u;
            if ((rc = below128(rng, &u, d)) != HUSH_OK) return rc;
            a = u128_lt(u, r);
        }
        if (!a) break;
        k++;
    }
    *b = (int)(k & 1);
    return HUSH_OK;
}

/* Bernoulli(exp(-n/d)), d > 0: exp(-gamma) = exp(-1)^floor(gamma) * exp(-frac(gamma)). */
static int bern_exp128(hush_rng *rng, int *out, u128 n, u128 d) {
    uint64_t q;
    u128 r;
    int rc = u128_divmod(n, d, &q, &r);
    if (rc != HUSH_OK) return rc;
    for (uint64_t i = 0; i < q; i++) {
        int b;
        if ((rc = bern_exp1(rng, &b)) != HUSH_OK) return rc;
        if (!b) {
            *out = 0;
            return HUSH_OK;
        }
    }
    return bern_exp_frac(rng, out, r, d);
}

int hush_dp_bernoulli_exp(hush_rng *rng, int *out, uint64_t num, uint64_t den) {
    if (!rng || !out || den == 0) return HUSH_EARG;
    return bern_exp128(rng, out, u128_of(num), u128_of(den));
}

/* Algorithm 2 with s = scale_den, t = scale_num: Lap_Z(t/s). */
int hush_dp_discrete_laplace(hush_rng *rng, int64_t *out, uint64_t scale_num, uint64_t scale_den) {
    if (!rng || !out || scale_num == 0 || scale_den == 0) return HUSH_EARG;
    if (scale_num > HUSH_DP_SAMPLER_MAX || scale_den > HUSH_DP_SAMPLER_MAX) return HUSH_ERANGE;
    const uint64_t t = scale_num, s = scale_den;
    for (;;) {
        uint64_t u;
        int d, rc = hush_rng_below(rng, &u, t);
        if (rc != HUSH_OK) return rc;
        if ((rc = bern_exp128(rng, &d, u128_of(u), u128_of(t))) != HUSH_OK) return rc;
        if (!d) continue;
        uint64_t v = 0;
        for (;;) {
            int more;
            if ((rc = bern_exp1(rng, &more)) != HUSH_OK) return rc;
            if (!more) break;
            v++;
        }
        /* x = u + t v must stay below 2^63; v is geometric with mean 1/(e-1), so this is
         * unreachable for t <= 2^62 except with probability about e^-(2^63/t). */
        if (v > ((uint64_t)INT64_MAX - u) / t) return HUSH_ERANGE;
        uint64_t x = u + t * v;
        uint64_t y = x / s;
        uint64_t b;
        if ((rc = hush_rng_below(rng, &b, 2)) != HUSH_OK) return rc;
        if (b && y == 0) continue;
        *out = b ? -(int64_t)y : (int64_t)y;
        return HUSH_OK;
    }
}

/* floor(sqrt(a/b)): the largest m with m^2 b <= a (m < 2^32 since a < 2^64). */
static uint64_t isqrt_ratio(uint64_t a, uint64_t b) {
    uint64_t lo = 0, hi = (uint64_t)1 << 32; /* invariant: lo^2 b <= a < hi^2 b */
    while (hi - lo > 1) {
        uint64_t mid = lo + (hi - lo) / 2;
        int ovf = 0;
        u128 p = mul128_64(mul64(mid, mid), b, &ovf);
        if (!ovf && !u128_lt(u128_of(a), p))
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

/* Algorithm 3: sigma^2 = a/b, t = floor(sigma) + 1, Y ~ Lap_Z(t), accept with probability
 * exp(-(|Y| - sigma^2/t)^2 / (2 sigma^2)) = exp(-(|Y| b t - a)^2 / (2 a b t^2)). */
int hush_dp_discrete_gaussian(hush_rng *rng, int64_t *out, uint64_t var_num, uint64_t var_den) {
    if (!rng || !out || var_num == 0 || var_den == 0) return HUSH_EARG;
    const uint64_t a = var_num, b = var_den;
    const uint64_t t = isqrt_ratio(a, b) + 1;
    int ovf = 0;
    u128 btt = mul128_64(mul64(b, t), t, &ovf);
    if (ovf || btt.hi || btt.lo > ((uint64_t)1 << 50)) return HUSH_ERANGE;
    const uint64_t bt = b * t; /* <= b t^2 <= 2^50 */
    /* d = 2 a (b t^2) < 2^115 */
    u128 d = mul128_64(mul64(a, btt.lo), 2, &ovf);
    if (ovf) return HUSH_ERANGE;
    for (;;) {
        int64_t y;
        int rc = hush_dp_discrete_laplace(rng, &y, t, 1);
        if (rc != HUSH_OK) return rc;
        uint64_t ay = y < 0 ? (uint64_t)0 - (uint64_t)y : (uint64_t)y;
        u128 ybt = mul64(ay, bt);
        /* |Y| b t >= 2^64 needs |Y| >= 2^14 t (b t^2 <= 2^50): probability about e^-16384. */
        if (ybt.hi) return HUSH_ERANGE;
        uint64_t z = ybt.lo >= a ? ybt.lo - a : a - ybt.lo;
        int c;
        rc = bern_exp128(rng, &c, mul64(z, z), d);
        if (rc != HUSH_OK) return rc;
        if (c) {
            *out = y;
            return HUSH_OK;
        }
    }
}
