/* Tests for secret sharing and the MPC primitives and state machines (core/src/mpc,
 * core/src/io/mpcwire.c): the seeds' three-party teaching example with a statistical
 * independence test, fixed-point encoding and overflow, sharing (plain and seed-compressed,
 * bound to a context), Beaver products and matmuls exactly against plaintext, truncation (its
 * error distribution, and exactness near 2^62), the DCF and the comparison on edge values, the
 * sigmoid/tanh splines and argmax through the state machines, the uniformity of one party's
 * view; and the attacks of issue 10 as tests: an eavesdropper and an injector on the links,
 * sessions replayed, logits by default, truncation failures, secrets left in freed memory;
 * rejected messages, configs and links, fault injection on every create path. */
#include <math.h>
#include <string.h>

#include <sodium.h>

#include "check.h"
#include "hush.h"
#include "channel/channel.h"
#include "io/mpcwire.h"
#include "mpc/mpc.h"
#include "mpc/prog.h"
#include "mpc/role.h"

static hush_rng seeded(uint64_t s) {
    hush_rng r;
    if (hush_rng_init_u64(&r, s) != HUSH_OK) memset(&r, 0, sizeof r);
    return r;
}

static uint64_t enc1(double x, uint32_t f) {
    uint64_t v = 0;
    CHECK_OK(hush_mpc_fixed_encode(&v, &x, 1, f));
    return v;
}
static double dec1(uint64_t v, uint32_t f) {
    double x = 0;
    CHECK_OK(hush_mpc_fixed_decode(&x, &v, 1, f));
    return x;
}

/* Chi-square of the top 4 bits of the values against uniform (15 degrees of freedom). */
static double chi2_top4(const uint64_t *v, size_t n) {
    double h[16] = {0};
    for (size_t i = 0; i < n; i++) h[v[i] >> 60] += 1;
    double e = (double)n / 16, c = 0;
    for (int i = 0; i < 16; i++) c += (h[i] - e) * (h[i] - e) / e;
    return c;
}

/* The seeds' example: alice, bob and charlie share 2 and 5; adding shares gives 7; any two
 * shares alone are uniform whatever the secret. */
static void test_teaching_example(void) {
    hush_rng r = seeded(42);
    uint64_t x = enc1(2, 16), y = enc1(5, 16), sx[3], sy[3], sz[3], z;
    CHECK_OK(hush_mpc_share_split(&r, sx, 3, &x, 1));
    CHECK_OK(hush_mpc_share_split(&r, sy, 3, &y, 1));
    for (int i = 0; i < 3; i++) CHECK_OK(hush_mpc_share_add(&sz[i], &sx[i], &sy[i], 1));
    CHECK_OK(hush_mpc_share_reconstruct(&z, sz, 3, 1));
    CHECK(dec1(z, 16) == 7.0);
    /* Independence: for secrets 2 and 5, the joint view of every pair (i, j) is uniform. The
     * pair's sum s_i + s_j = secret - s_k must be uniform too, which fails for a bad split
     * (e.g. secret in one share, zeros elsewhere). 20000 trials per secret; chi-square with 15
     * degrees of freedom has a 0.1% tail at 37.7. */
    enum { T = 20000 };
    static uint64_t a[T], b[T], s[T];
    for (int secret = 0; secret < 2; secret++) {
        uint64_t v = enc1(secret ? 5 : 2, 16), sh[3];
        for (int pi = 0; pi < 3; pi++) {
            int i = pi, j = (pi + 1) % 3;
            for (int t = 0; t < T; t++) {
                CHECK_OK(hush_mpc_share_split(&r, sh, 3, &v, 1));
                a[t] = sh[i], b[t] = sh[j], s[t] = sh[i] + sh[j];
            }
            CHECK_MSG(chi2_top4(a, T) < 37.7 && chi2_top4(b, T) < 37.7 && chi2_top4(s, T) < 37.7,
                      "pair (%d,%d) secret %d: chi2 %g %g %g", i, j, secret, chi2_top4(a, T), chi2_top4(b, T),
                      chi2_top4(s, T));
        }
    }
    /* And the test can fail: the sum of a pair from a degenerate split is constant. */
    for (int t = 0; t < T; t++) s[t] = x;
    CHECK(chi2_top4(s, T) > 1000);
    hush_rng_clear(&r);
}

static void test_fixed(void) {
    double xs[] = {0, 1, -1, 0.5, -0.25, 1234.5, -98765.125, 1.0 / 65536, -3.0 / 65536, 35184372088831.5};
    for (size_t i = 0; i < sizeof xs / sizeof xs[0]; i++) CHECK(dec1(enc1(xs[i], 16), 16) == xs[i]);
    uint64_t v;
    double d = -1.0 / 65536;
    CHECK_OK(hush_mpc_fixed_encode(&v, &d, 1, 16));
    CHECK(v == UINT64_MAX);
    d = 1.4 / 65536; /* rounds to nearest */
    CHECK_OK(hush_mpc_fixed_encode(&v, &d, 1, 16));
    CHECK(v == 1);
    d = ldexp(1, 46); /* 2^46 * 2^16 = 2^62: out of range */
    CHECK_RC(hush_mpc_fixed_encode(&v, &d, 1, 16), HUSH_ERANGE);
    d = -ldexp(1, 46);
    CHECK_RC(hush_mpc_fixed_encode(&v, &d, 1, 16), HUSH_ERANGE);
    d = ldexp(1, 46) - 1;
    CHECK_OK(hush_mpc_fixed_encode(&v, &d, 1, 16));
    d = NAN;
    CHECK_RC(hush_mpc_fixed_encode(&v, &d, 1, 16), HUSH_ENUMERIC);
    d = INFINITY;
    CHECK_RC(hush_mpc_fixed_encode(&v, &d, 1, 16), HUSH_ENUMERIC);
    CHECK_RC(hush_mpc_fixed_encode(&v, &d, 1, 99), HUSH_EARG);
    /* configurable precision */
    CHECK(dec1(enc1(0.1, 8), 8) == 26.0 / 256);
    uint64_t w;
    d = 3.0;
    CHECK_OK(hush_mpc_fixed_encode(&w, &d, 1, 20));
    CHECK(w == 3u << 20);
}

static void test_sharing(void) {
    hush_rng r = seeded(7);
    enum { N = 257 };
    static uint64_t sec[N], sh[HUSH_MPC_MAX_PARTIES * N], back[N];
    for (size_t np = 2; np <= 5; np++) {
        for (size_t j = 0; j < N; j++) sec[j] = hush_rng_u64(&r);
        CHECK_OK(hush_mpc_share_split(&r, sh, np, sec, N));
        CHECK_OK(hush_mpc_share_reconstruct(back, sh, np, N));
        CHECK(memcmp(back, sec, sizeof sec) == 0);
        /* shares are not the secret (with overwhelming probability) */
        CHECK(memcmp(sh, sec, sizeof sec) != 0);
        uint8_t seeds[(HUSH_MPC_MAX_PARTIES - 1) * 32];
        static const uint8_t ctx[5] = {'s', 'e', 's', 's', 1};
        CHECK_OK(hush_mpc_share_split_seeded(&r, sh, seeds, np, sec, N, ctx, sizeof ctx));
        for (size_t i = 1; i < np; i++) CHECK_OK(hush_mpc_share_expand(sh + i * N, N, seeds + (i - 1) * 32, ctx, sizeof ctx));
        CHECK_OK(hush_mpc_share_reconstruct(back, sh, np, N));
        CHECK(memcmp(back, sec, sizeof sec) == 0);
        /* the same seed under another context (session, operation) expands to unrelated words */
        static const uint8_t other[5] = {'s', 'e', 's', 's', 2};
        CHECK_OK(hush_mpc_share_expand(sh + N, N, seeds, other, sizeof other));
        CHECK_OK(hush_mpc_share_reconstruct(back, sh, np, N));
        long same = 0;
        for (size_t j = 0; j < N; j++) same += back[j] == sec[j];
        CHECK_MSG(same == 0, "%ld words survive a change of context", same);
    }
    /* expansion is ChaCha20 under BLAKE2b-256(key = seed, label || context): recomputed here */
    {
        uint8_t seed[32], key[32], ctx[3] = {9, 8, 7};
        uint64_t got[4], want[4];
        for (int i = 0; i < 32; i++) seed[i] = (uint8_t)(i * 7 + 1);
        crypto_generichash_state st;
        crypto_generichash_init(&st, seed, 32, 32);
        crypto_generichash_update(&st, (const uint8_t *)"hush-mpc-expand-v1", 18);
        crypto_generichash_update(&st, ctx, 3);
        crypto_generichash_final(&st, key, 32);
        hush_rng kr;
        CHECK_OK(hush_rng_init(&kr, key));
        for (int i = 0; i < 4; i++) want[i] = hush_rng_u64(&kr);
        CHECK_OK(hush_mpc_share_expand(got, 4, seed, ctx, 3));
        CHECK(memcmp(got, want, sizeof got) == 0);
        CHECK_RC(hush_mpc_share_expand(got, 4, seed, ctx, 65), HUSH_EARG);
        hush_rng_clear(&kr);
    }
    CHECK_RC(hush_mpc_share_split(&r, sh, 1, sec, N), HUSH_EARG);
    CHECK_RC(hush_mpc_share_split(&r, sh, HUSH_MPC_MAX_PARTIES + 1, sec, N), HUSH_EARG);
    /* public operations */
    uint64_t a[3] = {enc1(1.5, 16), enc1(-2, 16), enc1(4, 16)}, k[3] = {2, 3, (uint64_t)0 - 1}, s2[6], o[6], res[3];
    CHECK_OK(hush_mpc_share_split(&r, s2, 2, a, 3));
    for (uint32_t i = 0; i < 2; i++) {
        CHECK_OK(hush_mpc_share_mul_public(o + 3 * i, s2 + 3 * i, k, 3));
        CHECK_OK(hush_mpc_share_add_public(o + 3 * i, o + 3 * i, a, 3, i));
    }
    CHECK_OK(hush_mpc_share_reconstruct(res, o, 2, 3));
    CHECK(dec1(res[0], 16) == 4.5 && dec1(res[1], 16) == -8 && dec1(res[2], 16) == 0);
    hush_rng_clear(&r);
}

static void test_beaver(void) {
    hush_rng r = seeded(11);
    enum { N = 1000, NP = 3 };
    static uint64_t x[N], y[N], xs[NP * N], ys[NP * N], a[NP * N], b[NP * N], c[NP * N], al[NP * N], be[NP * N];
    static uint64_t alpha[N], beta[N], z[NP * N], zr[N], rr[NP * N], rt[NP * N], rm[NP * N], ci[NP * N], cc[N];
    static uint64_t tz[NP * N], t[N];
    double xd[N], yd[N];
    for (int j = 0; j < N; j++) {
        xd[j] = (hush_rng_uniform(&r) - 0.5) * 200;
        yd[j] = (hush_rng_uniform(&r) - 0.5) * 200;
    }
    CHECK_OK(hush_mpc_fixed_encode(x, xd, N, 16));
    CHECK_OK(hush_mpc_fixed_encode(y, yd, N, 16));
    CHECK_OK(hush_mpc_share_split(&r, xs, NP, x, N));
    CHECK_OK(hush_mpc_share_split(&r, ys, NP, y, N));
    CHECK_OK(hush_mpc_beaver_triples(&r, a, b, c, NP, N));
    for (int i = 0; i < NP; i++) CHECK_OK(hush_mpc_beaver_mul_open(al + i * N, be + i * N, xs + i * N, ys + i * N, a + i * N, b + i * N, N));
    CHECK_OK(hush_mpc_share_reconstruct(alpha, al, NP, N));
    CHECK_OK(hush_mpc_share_reconstruct(beta, be, NP, N));
    for (uint32_t i = 0; i < NP; i++)
        CHECK_OK(hush_mpc_beaver_mul_finish(z + i * N, i, alpha, beta, a + i * N, b + i * N, c + i * N, N));
    CHECK_OK(hush_mpc_share_reconstruct(zr, z, NP, N));
    int exact = 1;
    for (int j = 0; j < N; j++) exact &= zr[j] == x[j] * y[j]; /* exact in the ring */
    CHECK(exact);
    /* truncation of the products back to 16 fractional bits: within 1 ulp of the real product
     * (plus the encoding's own rounding of x and y) */
    CHECK_OK(hush_mpc_trunc_pairs(&r, rr, rt, rm, NP, N, 16));
    for (uint32_t i = 0; i < NP; i++) CHECK_OK(hush_mpc_trunc_open(ci + i * N, i, z + i * N, rr + i * N, N));
    CHECK_OK(hush_mpc_share_reconstruct(cc, ci, NP, N));
    for (uint32_t i = 0; i < NP; i++) CHECK_OK(hush_mpc_trunc_finish(tz + i * N, i, cc, rt + i * N, rm + i * N, N, 16));
    CHECK_OK(hush_mpc_share_reconstruct(t, tz, NP, N));
    double maxe = 0;
    for (int j = 0; j < N; j++) {
        double want = dec1(x[j], 16) * dec1(y[j], 16), e = fabs(dec1(t[j], 16) - want);
        if (e > maxe) maxe = e;
    }
    CHECK_MSG(maxe <= 1.0 / 65536, "max truncated product error %g", maxe);

    /* matmul triple: (4 x 5) (5 x 3), exact in the ring */
    enum { M = 4, K = 5, P = 3 };
    uint64_t X[M * K], Y[K * P], XS[NP * M * K], YS[NP * K * P], A[NP * M * K], B[NP * K * P], C[NP * M * P];
    uint64_t E[NP * M * K], F[NP * K * P], Eo[M * K], Fo[K * P], Z[NP * M * P], Zr[M * P];
    for (int j = 0; j < M * K; j++) X[j] = hush_rng_u64(&r);
    for (int j = 0; j < K * P; j++) Y[j] = hush_rng_u64(&r);
    CHECK_OK(hush_mpc_share_split(&r, XS, NP, X, M * K));
    CHECK_OK(hush_mpc_share_split(&r, YS, NP, Y, K * P));
    CHECK_OK(hush_mpc_beaver_matmul(&r, A, B, C, NP, M, K, P));
    for (int i = 0; i < NP; i++) {
        CHECK_OK(hush_mpc_share_sub(E + i * M * K, XS + i * M * K, A + i * M * K, M * K));
        CHECK_OK(hush_mpc_share_sub(F + i * K * P, YS + i * K * P, B + i * K * P, K * P));
    }
    CHECK_OK(hush_mpc_share_reconstruct(Eo, E, NP, M * K));
    CHECK_OK(hush_mpc_share_reconstruct(Fo, F, NP, K * P));
    for (uint32_t i = 0; i < NP; i++)
        CHECK_OK(hush_mpc_beaver_matmul_finish(Z + i * M * P, i, Eo, Fo, A + i * M * K, B + i * K * P, C + i * M * P, M, K, P));
    CHECK_OK(hush_mpc_share_reconstruct(Zr, Z, NP, M * P));
    exact = 1;
    for (int i = 0; i < M; i++)
        for (int j = 0; j < P; j++) {
            uint64_t s = 0;
            for (int q = 0; q < K; q++) s += X[i * K + q] * Y[q * P + j];
            exact &= Zr[i * P + j] == s;
        }
    CHECK(exact);
    hush_rng_clear(&r);
}

/* One truncation of every x through the primitives, with 2 parties; returns how many results
 * were neither floor(x / 2^16) nor floor + 1, and counts the + 1s. */
static long trunc_all(const uint64_t *x, size_t n, hush_rng *r, long *ones, double *expect) {
    static uint64_t xs[2 * 60000], rr[2 * 60000], rt[2 * 60000], rm[2 * 60000], ci[2 * 60000], c[60000], o[2 * 60000],
        t[60000];
    if (n > 60000) return -1;
    CHECK_OK(hush_mpc_share_split(r, xs, 2, x, n));
    CHECK_OK(hush_mpc_trunc_pairs(r, rr, rt, rm, 2, n, 16));
    for (uint32_t i = 0; i < 2; i++) CHECK_OK(hush_mpc_trunc_open(ci + i * n, i, xs + i * n, rr + i * n, n));
    CHECK_OK(hush_mpc_share_reconstruct(c, ci, 2, n));
    for (uint32_t i = 0; i < 2; i++) CHECK_OK(hush_mpc_trunc_finish(o + i * n, i, c, rt + i * n, rm + i * n, n, 16));
    CHECK_OK(hush_mpc_share_reconstruct(t, o, 2, n));
    long bad = 0;
    *ones = 0;
    *expect = 0;
    for (size_t j = 0; j < n; j++) {
        int64_t want = hush__mpc_to_i64(x[j]) >> 16; /* floor (arithmetic shift) */
        int64_t e = hush__mpc_to_i64(t[j]) - want;
        if (e != 0 && e != 1) bad++;
        *ones += e == 1;
        *expect += (double)(x[j] & 0xffff) / 65536.0;
    }
    return bad;
}

/* Truncation: error is floor or floor + 1, and the +1 happens with probability
 * (x mod 2^s) / 2^s, so for uniform low bits the mean error is 1/2 ulp. */
static void test_trunc_distribution(void) {
    hush_rng r = seeded(13);
    enum { N = 50000 };
    static uint64_t x[N];
    for (int j = 0; j < N; j++) x[j] = hush__mpc_from_i64((int64_t)(hush_rng_u64(&r) >> 24) - ((int64_t)1 << 39));
    long ones;
    double expect;
    long bad = trunc_all(x, N, &r, &ones, &expect);
    CHECK_MSG(bad == 0, "%ld truncations off by more than 1 ulp", bad);
    CHECK_MSG(fabs((double)ones - expect) < 4 * sqrt(expect), "carry count %ld, expected %.0f", ones, expect);
    CHECK(ones > N / 3 && ones < 2 * N / 3);
    CHECK_RC(hush_mpc_trunc_pairs(&r, x, x, x, 2, 1, 63), HUSH_EARG);
    hush_rng_clear(&r);
}

/* Issue 10, point 10: truncating a product failed silently with probability |x| / 2^64 (r
 * uniform, no wrap handling): for |x| near 2^60 that was one product in 16 (318 of 4000 on the
 * code before this fix). With the wrap bit from r's top bit it never fails below 2^62, at the
 * edges of the range included. */
static void test_trunc_large(void) {
    hush_rng r = seeded(14);
    enum { N = 40000 };
    static uint64_t x[N];
    for (int j = 0; j < N; j++) {
        uint64_t mag = (hush_rng_u64(&r) >> 3) | ((uint64_t)1 << 59); /* [2^59, 2^61) */
        x[j] = hush__mpc_from_i64((j % 2 ? 1 : -1) * (int64_t)mag);
    }
    /* the extremes of the exact range: -2^62, 2^62 - 1, and around 0 */
    x[0] = hush__mpc_from_i64(-((int64_t)1 << 62));
    x[1] = ((uint64_t)1 << 62) - 1;
    x[2] = 0, x[3] = UINT64_MAX, x[4] = 1;
    long ones;
    double expect;
    long bad = trunc_all(x, N, &r, &ones, &expect);
    CHECK_MSG(bad == 0, "%ld of %d truncations of |x| ~ 2^60 failed", bad, N);
    hush_rng_clear(&r);
}

static void test_dcf_and_ltz(void) {
    hush_rng r = seeded(17);
    static uint64_t k0[HUSH__DCF_KEY_WORDS], k1[HUSH__DCF_KEY_WORDS];
    long bad = 0;
    const uint64_t LOW = (((uint64_t)1) << 63) - 1;
    for (int t = 0; t < 300; t++) {
        uint64_t alpha = hush_rng_u64(&r) & LOW, beta = hush_rng_u64(&r);
        if (t == 0) alpha = 0;
        if (t == 1) alpha = LOW;
        CHECK_OK(hush__dcf_gen(k0, k1, alpha, beta, &r));
        uint64_t xs[6] = {alpha, alpha - 1, alpha + 1, 0, LOW, hush_rng_u64(&r) & LOW};
        for (int q = 0; q < 6; q++) {
            uint64_t x = xs[q] & LOW;
            bad += hush__dcf_eval(0, k0, x) + hush__dcf_eval(1, k1, x) != (x < alpha ? beta : 0);
        }
    }
    CHECK_MSG(bad == 0, "%ld wrong DCF outputs", bad);
    /* one key at many points (shared prefixes, a wrap-around, repeats) = one eval per point */
    {
        uint64_t alpha = hush_rng_u64(&r) & LOW, pts[40], many[40];
        CHECK_OK(hush__dcf_gen(k0, k1, alpha, 5, &r));
        for (int q = 0; q < 40; q++) pts[q] = q < 20 ? alpha - 10 + (uint64_t)q : q < 30 ? (uint64_t)q * 3 : hush_rng_u64(&r);
        pts[30] = pts[29];
        long mism = 0;
        for (uint32_t b = 0; b < 2; b++) {
            hush__dcf_eval_many(b, b ? k1 : k0, pts, 40, many);
            for (int q = 0; q < 40; q++) mism += many[q] != hush__dcf_eval(b, b ? k1 : k0, pts[q] & LOW);
        }
        CHECK_MSG(mism == 0, "%ld eval_many mismatches", mism);
    }
    /* comparison [x < 0] with 2 and 3 parties, on edge values and random ones */
    enum { N = 64 };
    static uint64_t x[N], xs[3 * N], rr[3 * N], off[3 * N], K0[N * HUSH__DCF_KEY_WORDS], K1[N * HUSH__DCF_KEY_WORDS];
    static uint64_t c[N], s[3 * N], res[N];
    uint64_t edge[] = {0, 1, UINT64_MAX, (uint64_t)1 << 63, ((uint64_t)1 << 63) - 1, enc1(-0.5 / 65536, 16)};
    for (int j = 0; j < N; j++) x[j] = j < 6 ? edge[j] : hush_rng_u64(&r) >> (j % 2 ? 0 : 40);
    for (size_t np = 2; np <= 3; np++) {
        CHECK_OK(hush_mpc_share_split(&r, xs, np, x, N));
        CHECK_OK(hush__ltz_gen(rr, off, K0, K1, np, N, &r));
        for (size_t j = 0; j < N; j++) {
            c[j] = 0;
            for (size_t i = 0; i < np; i++) c[j] += xs[i * N + j] + rr[i * N + j];
        }
        for (uint32_t i = 0; i < np; i++) hush__ltz_finish(s + i * N, i, c, off + i * N, i == 0 ? K0 : K1, N);
        CHECK_OK(hush_mpc_share_reconstruct(res, s, np, N));
        bad = 0;
        for (int j = 0; j < N; j++) bad += res[j] != (x[j] >> 63);
        CHECK_MSG(bad == 0, "%ld wrong comparisons with %zu parties", bad, np);
    }
    hush_rng_clear(&r);
}

/* A model computing logits = [0, act(x)] for a scalar x: dense:1 (w=1), act, dense:2 (w=[0,1]). */
static hush_model *act_model(uint32_t act) {
    hush_layer_spec ls[3] = {{HUSH_LAYER_DENSE, 1, 0, 0}, {act, 0, 0, 0}, {HUSH_LAYER_DENSE, 2, 0, 0}};
    hush_shape in = {1, 1, 1};
    hush_model *m = NULL;
    CHECK_OK(hush_model_create(&m, ls, 3, in, 64, NULL));
    if (!m) return NULL;
    float *p = hush_model_params(m); /* W1, b1, W2[1x2], b2[2] */
    p[0] = 1, p[1] = 0, p[2] = 0, p[3] = 1, p[4] = 0, p[5] = 0;
    return m;
}

/* A prediction config: n parties, output kind, applicants per session. */
static hush_mpc_config pcfg(uint32_t n, uint32_t output, uint32_t rows) {
    hush_mpc_config c;
    CHECK_OK(hush_mpc_config_init(&c, HUSH_MPC_PREDICT));
    c.n_parties = n, c.output = output, c.rows = rows;
    return c;
}

static void test_activations(void) {
    hush_rng r = seeded(19);
    enum { N = 161 };
    float x[N], lg[2 * N];
    uint32_t dec[N];
    for (int i = 0; i < N; i++) x[i] = -10.0f + 0.125f * (float)i;
    uint32_t acts[2] = {HUSH_LAYER_SIGMOID, HUSH_LAYER_TANH};
    double bound[2] = {4.5e-3, 9e-3};
    hush_mpc_config c = pcfg(2, HUSH_MPC_OUTPUT_LOGITS, N);
    for (int a = 0; a < 2; a++) {
        hush_model *m = act_model(acts[a]);
        if (!m) return;
        CHECK_OK(hush_mpc_predict_run(&c, &r, NULL, dec, N, lg, 2 * N, m, x, N, NULL));
        double maxe = 0;
        for (int i = 0; i < N; i++) {
            double want = a == 0 ? 1.0 / (1.0 + exp(-(double)x[i])) : tanh((double)x[i]);
            double e = fabs((double)lg[2 * i + 1] - want);
            if (e > maxe) maxe = e;
            CHECK(lg[2 * i] == 0.0f);
        }
        CHECK_MSG(maxe <= bound[a], "activation %u: max error %g", acts[a], maxe);
        CHECK_MSG(maxe > 1e-4, "activation %u: suspiciously exact (%g)", acts[a], maxe);
        hush_model_free(m);
    }
    /* argmax among 5 logits (identity layer), ties resolve to the first maximum; 3 parties,
     * 7 applicants per session, decisions only */
    hush_layer_spec ls[1] = {{HUSH_LAYER_DENSE, 5, 0, 0}};
    hush_shape in = {5, 1, 1};
    hush_model *m = NULL;
    CHECK_OK(hush_model_create(&m, ls, 1, in, 64, NULL));
    if (!m) return;
    float *p = hush_model_params(m);
    memset(p, 0, 30 * sizeof *p);
    for (int i = 0; i < 5; i++) p[i * 5 + i] = 1;
    enum { R = 40 };
    float xs[R * 5];
    uint32_t d5[R], want[R];
    for (int i = 0; i < R; i++) {
        for (int j = 0; j < 5; j++) xs[i * 5 + j] = (float)((int)(check_below(&r, 9)) - 4) * (i % 3 ? 1.0f : 0.01f);
        int best = 0;
        for (int j = 1; j < 5; j++)
            if (xs[i * 5 + j] > xs[i * 5 + best]) best = j;
        want[i] = (uint32_t)best;
    }
    c = pcfg(3, HUSH_MPC_OUTPUT_DECISION, 7);
    hush_mpc_stats st;
    memset(&st, 0, sizeof st);
    CHECK_OK(hush_mpc_predict_run(&c, &r, &st, d5, R, NULL, 0, m, xs, R * 5, NULL));
    int ok = 1;
    for (int i = 0; i < R; i++) ok &= d5[i] == want[i];
    CHECK(ok);
    CHECK(st.sessions == 6 && st.rounds > 0 && st.handshake_bytes > 0 && st.bytes > st.handshake_bytes);
    hush_model_free(m);
    hush_rng_clear(&r);
}

/* ---- state machines over channels ---- */

/* One session's roles (parties 0..n-1, dealer, client: their link slots) and links. */
typedef struct session {
    uint32_t n;
    hush_mpc_party *slot[HUSH_MPC_MAX_PARTIES + 2];
    hush_mpc_model *sh[HUSH_MPC_MAX_PARTIES], *pub;
    hush_mpc_config cfg;
    hush__mpc_link links[HUSH__MPC_MAX_LINKS];
    size_t nl;
    uint32_t dealer_next; /* the party the dealer's next message is for */
} session;

static hush_model *small_model(void) {
    hush_layer_spec ls[3] = {{HUSH_LAYER_DENSE, 4, 0, 0}, {HUSH_LAYER_RELU, 0, 0, 0}, {HUSH_LAYER_DENSE, 2, 0, 0}};
    hush_shape in = {3, 1, 1};
    hush_model *m = NULL;
    hush_rng r = seeded(23);
    if (hush_model_create(&m, ls, 3, in, 8, NULL) != HUSH_OK || hush_model_init_params(m, &r) != HUSH_OK) {
        hush_model_free(m);
        m = NULL;
    }
    hush_rng_clear(&r);
    return m;
}

static uint32_t role_of(const session *s, uint32_t slot) {
    return slot < s->n ? slot : slot == s->n ? (uint32_t)HUSH_MPC_ROLE_DEALER : (uint32_t)HUSH_MPC_ROLE_CLIENT;
}
static uint32_t slot_of(const session *s, uint32_t role) {
    return role < s->n ? role : role == HUSH_MPC_ROLE_DEALER ? s->n : s->n + 1;
}
/* The end of the link between slots a and b that a holds. */
static hush_channel *end_of(session *s, uint32_t a, uint32_t b) {
    for (size_t k = 0; k < s->nl; k++) {
        if (s->links[k].a == a && s->links[k].b == b) return s->links[k].ca;
        if (s->links[k].b == a && s->links[k].a == b) return s->links[k].cb;
    }
    return NULL;
}

/* Two parties, a session id from r (or `id` when not NULL), the roles created; with links
 * when `linked`. */
static int session_open(session *s, const hush_model *m, const float *x, hush_rng *r, const uint8_t *id, int linked,
                        const hush_allocator *alloc) {
    memset(s, 0, sizeof *s);
    s->n = 2;
    s->cfg = pcfg(2, HUSH_MPC_OUTPUT_LOGITS, 1);
    int rc = HUSH_OK;
    if (id) memcpy(s->cfg.session, id, 16);
    else rc = hush_rng_bytes(r, s->cfg.session, 16);
    if (rc == HUSH_OK) rc = hush_mpc_model_share(s->sh, 2, r, m, 16, alloc);
    if (rc == HUSH_OK) rc = hush_mpc_model_public(&s->pub, m, alloc);
    for (uint32_t i = 0; i < 2 && rc == HUSH_OK; i++)
        rc = hush_mpc_party_create(&s->slot[i], NULL, &s->cfg, i, s->sh[i], NULL, alloc);
    if (rc == HUSH_OK) rc = hush_mpc_party_create(&s->slot[2], r, &s->cfg, HUSH_MPC_ROLE_DEALER, s->pub, NULL, alloc);
    if (rc == HUSH_OK) rc = hush_mpc_party_create(&s->slot[3], r, &s->cfg, HUSH_MPC_ROLE_CLIENT, s->pub, NULL, alloc);
    if (rc == HUSH_OK && x) rc = hush_mpc_party_set_input(s->slot[3], x, 3, NULL, 0, NULL, 0);
    if (rc == HUSH_OK && linked) rc = hush__mpc_links_open(s->links, &s->nl, s->slot, s->n, r, NULL, alloc);
    return rc;
}

static void session_close(session *s) {
    hush__mpc_links_close(s->links, s->nl, s->slot, s->n);
    for (uint32_t i = 0; i < s->n + 2; i++) hush_mpc_party_free(s->slot[i]);
    for (uint32_t i = 0; i < s->n; i++) hush_mpc_model_free(s->sh[i]);
    hush_mpc_model_free(s->pub);
    memset(s, 0, sizeof *s);
}

/* Called for every record as it crosses a link, with the plaintext inside it (read with the
 * receiver's end of the link without consuming the record: the test's privilege). */
typedef void (*record_hook)(void *ctx, session *s, uint32_t from, uint32_t to, const uint8_t *rec, size_t len,
                            const uint8_t *plain, size_t plen);

static int deliver(session *s, uint32_t from, uint32_t to, const uint8_t *rec, size_t len, record_hook hook, void *ctx) {
    static uint8_t plain[1 << 16];
    size_t pw = 0;
    int close = 0;
    if (hook) {
        CHECK_OK(hush__channel_open(end_of(s, to, from), plain, sizeof plain, &pw, &close, rec, len));
        hook(ctx, s, from, to, rec, len, plain, pw);
    }
    return hush_mpc_party_receive(s->slot[to], role_of(s, from), rec, len);
}

/* Moves every record among the session's roles until all are DONE (dealer records held until
 * their party waits for them, as hush_mpc_run does). */
static int drive(session *s, record_hook hook, void *ctx) {
    static uint8_t buf[1 << 16], held[HUSH_MPC_MAX_PARTIES][1 << 16];
    size_t held_len[HUSH_MPC_MAX_PARTIES] = {0};
    uint32_t n = s->n, dealer = n;
    for (;;) {
        int progress = 0, rc;
        while (hush_mpc_party_state(s->slot[dealer], NULL) == HUSH_MPC_STATE_SEND && !held_len[s->dealer_next]) {
            uint32_t k = s->dealer_next, to;
            if ((rc = hush_mpc_party_next_message(s->slot[dealer], &to, held[k], sizeof held[k], &held_len[k]))) return rc;
            if (to != k) return HUSH_ESTATE;
            s->dealer_next = (k + 1) % n;
            progress = 1;
        }
        for (uint32_t k = 0; k < n; k++) {
            if (!held_len[k] || hush_mpc_party_state(s->slot[k], NULL) != HUSH_MPC_STATE_WAIT_DEALER) continue;
            if ((rc = deliver(s, dealer, k, held[k], held_len[k], hook, ctx))) return rc;
            held_len[k] = 0;
            progress = 1;
        }
        for (uint32_t q = 0; q < n + 2; q++) {
            if (q == dealer) continue;
            size_t w = 0;
            uint32_t to;
            while ((rc = hush_mpc_party_next_message(s->slot[q], &to, buf, sizeof buf, &w)) == HUSH_OK && w) {
                progress = 1;
                CHECK_MSG(to != HUSH_MPC_ROLE_DEALER, "role %u addressed a message to the dealer", role_of(s, q));
                if ((rc = deliver(s, q, slot_of(s, to), buf, w, hook, ctx))) return rc;
            }
            if (rc) return rc;
        }
        int done = 1;
        for (uint32_t q = 0; q < n + 2; q++) done &= hush_mpc_party_state(s->slot[q], NULL) == HUSH_MPC_STATE_DONE;
        if (done) return HUSH_OK;
        if (!progress) return HUSH_ESTATE;
    }
}

typedef struct view {
    uint64_t *words;
    size_t cap, n;
} view;

static void view_hook(void *ctx, session *s, uint32_t from, uint32_t to, const uint8_t *rec, size_t len,
                      const uint8_t *plain, size_t plen) {
    (void)s, (void)rec, (void)len;
    view *v = ctx;
    hush__mpc_msg m;
    if (from != 0 || to != 1 || hush__mpcwire_decode(&m, plain, plen) != HUSH_OK || m.kind != HUSH_MPC_MSG_OPEN) return;
    for (size_t i = 0; i < m.n_words && v->n < v->cap; i++) v->words[v->n++] = hush__mpcwire_word(&m, i);
}

static void test_party_view(void) {
    hush_model *m = small_model();
    if (!m) return;
    hush_rng r = seeded(29);
    enum { CAP = 40000 };
    static uint64_t v0[CAP], v1[CAP];
    float xa[3] = {0, 0, 0}, xb[3] = {100, -250, 3};
    view va = {v0, CAP, 0}, vb = {v1, CAP, 0};
    for (int t = 0; t < 2; t++)
        for (view *v = t ? &vb : &va; v->n < CAP;) {
            session s;
            size_t before = v->n;
            CHECK_OK(session_open(&s, m, t ? xb : xa, &r, NULL, 1, NULL));
            CHECK_OK(drive(&s, view_hook, v));
            session_close(&s);
            if (v->n == before) break;
        }
    CHECK(va.n == CAP && vb.n == CAP);
    double c0 = chi2_top4(v0, va.n), c1 = chi2_top4(v1, vb.n);
    /* 15 degrees of freedom: 0.1% tail at 37.7. Unmasked small values would put almost every
     * word in bucket 0 or 15. */
    CHECK_MSG(c0 < 37.7 && c1 < 37.7, "party 1's view is not uniform: chi2 %g, %g", c0, c1);
    hush_rng_clear(&r);
    hush_model_free(m);
}

/* ---- issue 10, point 7: the network reads and forges nothing ---- */

typedef struct eaves {
    uint64_t inputs, records, readable, leaked, to_dealer, output_words;
    uint64_t share0[3], seed1[4];
    int have0, have1;
} eaves;

/* memmem without the GNU extension */
static int contains(const uint8_t *hay, size_t n, const uint8_t *needle, size_t k) {
    for (size_t i = 0; i + k <= n; i++)
        if (memcmp(hay + i, needle, k) == 0) return 1;
    return 0;
}

static void eaves_hook(void *ctx, session *s, uint32_t from, uint32_t to, const uint8_t *rec, size_t len,
                       const uint8_t *plain, size_t plen) {
    eaves *e = ctx;
    hush__mpc_msg m, mr;
    e->records++;
    e->to_dealer += to == s->n;
    /* the network's view: the record itself is not an MPC message */
    e->readable += hush__mpcwire_decode(&mr, rec, len) == HUSH_OK;
    if (hush__mpcwire_decode(&m, plain, plen) != HUSH_OK) return;
    /* no payload bytes of the message appear in the record */
    if (m.n_words && contains(rec, len, m.payload, m.n_words * 8 < 16 ? m.n_words * 8 : 16)) e->leaked++;
    if (m.kind == HUSH_MPC_MSG_OUTPUT) e->output_words += m.n_words;
    if (m.kind != HUSH_MPC_MSG_INPUT || from != s->n + 1 || m.seq != 0) return;
    e->inputs++;
    if (to == 0 && m.n_words == 3) hush__mpcwire_words(&m, e->share0, 0, 3), e->have0 = 1;
    if (to == 1 && m.n_words == 4) hush__mpcwire_words(&m, e->seed1, 0, 4), e->have1 = 1;
}

/* Before this fix, the client's INPUT messages carried party 0's share and party 1's PRG seed
 * in the clear, so anyone on the path rebuilt x. Now every record is ciphertext; the test reads
 * the plaintext with the receiver's key to show that what it protects is the real thing. */
static void test_eavesdropper(void) {
    hush_model *m = small_model();
    if (!m) return;
    hush_rng r = seeded(30);
    float x[3] = {1.25f, -2.5f, 0.75f};
    session s;
    eaves e;
    memset(&e, 0, sizeof e);
    CHECK_OK(session_open(&s, m, x, &r, NULL, 1, NULL));
    CHECK_OK(drive(&s, eaves_hook, &e));
    CHECK(e.records > 20 && e.inputs == 2 && e.have0 && e.have1);
    CHECK_MSG(e.readable == 0 && e.leaked == 0, "%llu records readable, %llu leaking payload bytes",
              (unsigned long long)e.readable, (unsigned long long)e.leaked);
    CHECK(e.to_dealer == 0);
    /* inside the records: x = share0 + expand(seed1) under the session's context */
    uint8_t seed[32], ctx[HUSH__MPC_CONTEXT_BYTES];
    for (int i = 0; i < 32; i++) seed[i] = (uint8_t)(e.seed1[i / 8] >> (8 * (i % 8)));
    memcpy(ctx, s.cfg.session, 16);
    memset(ctx + 16, 0, 4);
    ctx[20] = HUSH_MPC_MSG_INPUT;
    uint64_t s1[3];
    CHECK_OK(hush_mpc_share_expand(s1, 3, seed, ctx, sizeof ctx));
    for (int i = 0; i < 3; i++) CHECK(dec1(e.share0[i] + s1[i], 16) == (double)x[i]);
    session_close(&s);
    hush_rng_clear(&r);
    hush_model_free(m);
}

/* Before this fix, an injected DEALER message was accepted (chosen triple; the openings then
 * revealed x), from/to were taken on trust, and OPEN was a broadcast the dealer could read. */
static void test_injection(void) {
    hush_model *m = small_model();
    if (!m) return;
    hush_rng r = seeded(31);
    float x[3] = {1.25f, -2.5f, 0.75f};
    static uint8_t msg[1 << 16], rec[1 << 16], ins[2][1 << 12];
    size_t w, rl, insl[2];
    uint32_t to;
    session s;
    CHECK_OK(session_open(&s, m, x, &r, NULL, 1, NULL));
    for (int i = 0; i < 2; i++) CHECK_OK(hush_mpc_party_next_message(s.slot[3], &to, ins[i], sizeof ins[i], &insl[i]));
    for (int i = 0; i < 2; i++) CHECK_OK(hush_mpc_party_receive(s.slot[i], HUSH_MPC_ROLE_CLIENT, ins[i], insl[i]));
    CHECK(hush_mpc_party_state(s.slot[0], NULL) == HUSH_MPC_STATE_WAIT_DEALER);
    /* (a) the old attack: a plaintext DEALER message with forged material */
    static uint64_t zeros[32];
    CHECK_OK(hush__mpcwire_header(msg, sizeof msg, HUSH_MPC_MSG_DEALER, HUSH_MPC_ROLE_DEALER, 0, s.cfg.session, 1, 19));
    hush__mpcwire_put(msg + HUSH_MPC_HEADER_BYTES, 0, zeros, 19);
    w = hush__mpcwire_size(19);
    CHECK_RC(hush_mpc_party_receive(s.slot[0], HUSH_MPC_ROLE_DEALER, msg, w), HUSH_EFORMAT);
    /* (b) the same material in a record under a key nobody shares with party 0: party 1's end
     * of its link with the dealer (an attacker holding some valid channel) */
    CHECK_OK(hush_channel_seal(end_of(&s, 1, 2), rec, sizeof rec, &rl, msg, w)); /* counter 0, as expected */
    CHECK_RC(hush_mpc_party_receive(s.slot[0], HUSH_MPC_ROLE_DEALER, rec, rl), HUSH_ECRYPTO);
    /* (c) a malicious client on its own authentic link to party 0, claiming to be the dealer */
    CHECK_OK(hush_channel_seal(end_of(&s, 3, 0), rec, sizeof rec, &rl, msg, w));
    CHECK_RC(hush_mpc_party_receive(s.slot[0], HUSH_MPC_ROLE_CLIENT, rec, rl), HUSH_ESTATE);
    CHECK(hush_mpc_party_state(s.slot[0], NULL) == HUSH_MPC_STATE_WAIT_DEALER);
    /* the genuine dealer record still goes through, and party 0's opening is addressed to
     * party 1 only; the dealer can neither receive it nor decrypt it with its own link */
    CHECK_OK(hush_mpc_party_next_message(s.slot[2], &to, rec, sizeof rec, &rl));
    CHECK(to == 0);
    CHECK_OK(hush_mpc_party_receive(s.slot[0], HUSH_MPC_ROLE_DEALER, rec, rl));
    CHECK_OK(hush_mpc_party_next_message(s.slot[0], &to, rec, sizeof rec, &rl));
    CHECK(to == 1 && rl > 0);
    CHECK_OK(hush_mpc_party_next_message(s.slot[0], &to, msg, sizeof msg, &w));
    CHECK(w == 0); /* one opening, one recipient (n = 2) */
    CHECK_RC(hush_mpc_party_receive(s.slot[2], 0, rec, rl), HUSH_ESTATE);
    size_t pw;
    int close;
    CHECK_RC(hush__channel_open(end_of(&s, 2, 0), msg, sizeof msg, &pw, &close, rec, rl), HUSH_ECRYPTO);
    /* a party's opening replayed to party 1 as if from the dealer */
    CHECK_RC(hush_mpc_party_receive(s.slot[1], HUSH_MPC_ROLE_DEALER, rec, rl), HUSH_ECRYPTO);
    CHECK_OK(hush_mpc_party_receive(s.slot[1], 0, rec, rl));
    CHECK_RC(hush_mpc_party_receive(s.slot[1], 0, rec, rl), HUSH_ESTATE); /* replayed */
    session_close(&s);
    hush_rng_clear(&r);
    hush_model_free(m);
}

/* ---- issue 10, point 8: sessions ---- */

/* Runs the start of a session by hand: inputs, the dealer's first messages (delivered as they
 * are, or replaced by `forged` plaintexts delivered inside the parties' state machines), then
 * reads both parties' first openings. dealer_plain[k] receives the genuine plaintexts. */
static void first_opening(session *s, uint64_t alpha[3], uint8_t dealer_plain[2][512], size_t dealer_len[2],
                          uint8_t forged[2][512], const size_t *forged_len) {
    static uint8_t rec[1 << 16], plain[1 << 16];
    size_t rl, pw;
    uint32_t to;
    int close;
    for (int i = 0; i < 2; i++) {
        CHECK_OK(hush_mpc_party_next_message(s->slot[3], &to, rec, sizeof rec, &rl));
        CHECK_OK(hush_mpc_party_receive(s->slot[to], HUSH_MPC_ROLE_CLIENT, rec, rl));
    }
    for (uint32_t k = 0; k < 2; k++) {
        CHECK_OK(hush_mpc_party_next_message(s->slot[2], &to, rec, sizeof rec, &rl));
        CHECK_OK(hush__channel_open(end_of(s, k, 2), plain, sizeof plain, &pw, &close, rec, rl));
        if (dealer_plain && pw <= 512) memcpy(dealer_plain[k], plain, pw), dealer_len[k] = pw;
        if (forged) CHECK_OK(hush__mpc_party_deliver(s->slot[k], HUSH_MPC_ROLE_DEALER, forged[k], forged_len[k]));
        else CHECK_OK(hush_mpc_party_receive(s->slot[k], HUSH_MPC_ROLE_DEALER, rec, rl));
    }
    memset(alpha, 0, 3 * sizeof *alpha);
    for (uint32_t k = 0; k < 2; k++) {
        CHECK_OK(hush_mpc_party_next_message(s->slot[k], &to, rec, sizeof rec, &rl));
        CHECK_OK(hush__channel_open(end_of(s, 1 - k, k), plain, sizeof plain, &pw, &close, rec, rl));
        hush__mpc_msg m;
        CHECK_OK(hush__mpcwire_decode(&m, plain, pw));
        for (int j = 0; j < 3; j++) alpha[j] += hush__mpcwire_word(&m, (size_t)j);
    }
}

/* Before this fix, the session id was a 32-bit number defaulting to 0, so a dealer message of
 * an earlier session was accepted, the triple reused, and two applicants' openings differed by
 * x1 - x2. Now: records of another session fail the channel; a replayed plaintext names the
 * wrong session; an insider who rewrites the session id gets material that expands under the
 * new session into something unrelated; and a guard refuses a session id twice. */
static void test_sessions(void) {
    hush_model *m = small_model();
    if (!m) return;
    hush_rng r = seeded(32);
    float x1[3] = {1, 2, 3}, x2[3] = {-4, 0.5f, 8};
    uint64_t a1[3], a2[3];
    static uint8_t dplain[2][512], forged[2][512], rec[1 << 12];
    size_t dlen[2], rl;
    session s1, s2;
    CHECK_OK(session_open(&s1, m, x1, &r, NULL, 1, NULL));
    first_opening(&s1, a1, dplain, dlen, NULL, NULL);
    CHECK_OK(session_open(&s2, m, x2, &r, NULL, 1, NULL));
    CHECK(memcmp(s1.cfg.session, s2.cfg.session, 16) != 0);
    /* a record of session 1 sent into session 2 */
    uint32_t to;
    CHECK_OK(hush_mpc_party_next_message(s1.slot[0], &to, rec, sizeof rec, &rl)); /* nothing left or an output */
    session s3;
    CHECK_OK(session_open(&s3, m, x1, &r, NULL, 1, NULL));
    size_t r3;
    static uint8_t rec3[1 << 12];
    CHECK_OK(hush_mpc_party_next_message(s3.slot[2], &to, rec3, sizeof rec3, &r3)); /* dealer -> party 0 */
    CHECK_RC(hush_mpc_party_receive(s2.slot[0], HUSH_MPC_ROLE_DEALER, rec3, r3), HUSH_ECRYPTO);
    session_close(&s3);
    /* the plaintext of session 1's dealer messages, as they are: wrong session */
    uint32_t st;
    for (int i = 0; i < 2; i++) {
        CHECK_OK(hush_mpc_party_next_message(s2.slot[3], &to, rec, sizeof rec, &rl));
        CHECK_OK(hush_mpc_party_receive(s2.slot[to], HUSH_MPC_ROLE_CLIENT, rec, rl));
    }
    st = hush_mpc_party_state(s2.slot[0], NULL);
    CHECK_RC(hush__mpc_party_deliver(s2.slot[0], HUSH_MPC_ROLE_DEALER, dplain[0], dlen[0]), HUSH_ESTATE);
    CHECK(hush_mpc_party_state(s2.slot[0], NULL) == st);
    session_close(&s2);
    /* an insider rewrites the session id: accepted by the state machines, but the triple is not
     * the same triple: party 1 expands its seed under session 2's context */
    CHECK_OK(session_open(&s2, m, x2, &r, NULL, 1, NULL));
    for (int k = 0; k < 2; k++) {
        memcpy(forged[k], dplain[k], dlen[k]);
        memcpy(forged[k] + 12, s2.cfg.session, 16);
    }
    first_opening(&s2, a2, NULL, NULL, forged, dlen);
    int related = 1;
    for (int j = 0; j < 3; j++) related &= a1[j] - a2[j] == enc1(x1[j], 16) - enc1(x2[j], 16);
    CHECK_MSG(!related, "the openings of two sessions differ by x1 - x2: the triple was reused");
    session_close(&s2);
    session_close(&s1);
    /* the guard */
    hush_mpc_guard *g = NULL;
    hush_mpc_model *pub = NULL;
    hush_mpc_party *p = NULL, *q = NULL;
    hush_mpc_config c = pcfg(2, HUSH_MPC_OUTPUT_DECISION, 1);
    CHECK_OK(hush_mpc_model_public(&pub, m, NULL));
    CHECK_OK(hush_mpc_guard_create(&g, 2, NULL));
    CHECK_RC(hush_mpc_party_create(&p, NULL, &c, HUSH_MPC_ROLE_DEALER, pub, g, NULL), HUSH_EARG); /* zero id */
    c.session[0] = 1;
    CHECK_OK(hush_mpc_party_create(&p, NULL, &c, HUSH_MPC_ROLE_DEALER, pub, g, NULL));
    CHECK_RC(hush_mpc_party_create(&q, NULL, &c, HUSH_MPC_ROLE_DEALER, pub, g, NULL), HUSH_ESTATE);
    CHECK(q == NULL && hush_mpc_guard_count(g) == 1);
    c.session[0] = 2;
    CHECK_OK(hush_mpc_party_create(&q, NULL, &c, HUSH_MPC_ROLE_DEALER, pub, g, NULL));
    hush_mpc_party_free(q);
    c.session[0] = 3;
    CHECK_RC(hush_mpc_party_create(&q, NULL, &c, HUSH_MPC_ROLE_DEALER, pub, g, NULL), HUSH_ERANGE); /* full */
    uint8_t id[16] = {0};
    CHECK_RC(hush_mpc_guard_add(g, id, 16), HUSH_EARG);
    CHECK_RC(hush_mpc_guard_add(g, id, 15), HUSH_EARG);
    hush_mpc_guard_free(g);
    CHECK_RC(hush_mpc_guard_create(&g, 0, NULL), HUSH_EARG);
    CHECK_RC(hush_mpc_guard_create(&g, (size_t)HUSH_MPC_GUARD_MAX + 1, NULL), HUSH_EARG);
    /* many ids: each accepted once */
    CHECK_OK(hush_mpc_guard_create(&g, 5000, NULL));
    long fails = 0;
    for (int t = 0; t < 2; t++)
        for (uint32_t i = 1; i <= 5000; i++) {
            uint8_t sid[16] = {0};
            memcpy(sid, &i, 4);
            fails += hush_mpc_guard_add(g, sid, 16) != (t ? HUSH_ESTATE : HUSH_OK);
        }
    CHECK(fails == 0 && hush_mpc_guard_count(g) == 5000);
    hush_mpc_guard_free(g);
    hush_mpc_party_free(p);
    hush_mpc_model_free(pub);
    hush_rng_clear(&r);
    hush_model_free(m);
}

/* ---- issue 10, point 9: decisions only, unless the caller opts in ---- */

typedef struct outputs {
    uint64_t records, words;
} outputs;
static void output_hook(void *ctx, session *s, uint32_t from, uint32_t to, const uint8_t *rec, size_t len,
                        const uint8_t *plain, size_t plen) {
    (void)from, (void)rec, (void)len;
    outputs *o = ctx;
    hush__mpc_msg m;
    if (to != s->n + 1 || hush__mpcwire_decode(&m, plain, plen) != HUSH_OK) return;
    o->records++;
    o->words += m.n_words;
}

static void test_decision_only(void) {
    hush_model *m = small_model();
    if (!m) return;
    hush_rng r = seeded(33);
    float x[3 * 4] = {1, 2, 3, -1, 0, 2, 0.5f, 0.5f, -3, 4, -4, 1};
    hush_mpc_config c;
    CHECK_OK(hush_mpc_config_init(&c, HUSH_MPC_PREDICT));
    CHECK(c.output == HUSH_MPC_OUTPUT_DECISION && c.version == HUSH_MPC_CONFIG_VERSION);
    uint32_t d[4], pd[4];
    float lg[8];
    CHECK_RC(hush_mpc_predict_run(&c, &r, NULL, d, 4, lg, 8, m, x, 12, NULL), HUSH_EARG);
    CHECK_OK(hush_mpc_predict_run(&c, &r, NULL, d, 4, NULL, 0, m, x, 12, NULL));
    CHECK_OK(hush_model_predict(m, pd, x, 4));
    CHECK(memcmp(d, pd, sizeof d) == 0);
    /* what reaches the applicant: one word per party (her share of the decision) */
    session s;
    outputs o = {0, 0};
    CHECK_OK(session_open(&s, m, x, &r, NULL, 0, NULL));
    session_close(&s);
    memset(&s, 0, sizeof s);
    s.n = 2;
    s.cfg = pcfg(2, HUSH_MPC_OUTPUT_DECISION, 1);
    CHECK_OK(hush_rng_bytes(&r, s.cfg.session, 16));
    CHECK_OK(hush_mpc_model_share(s.sh, 2, &r, m, 16, NULL));
    CHECK_OK(hush_mpc_model_public(&s.pub, m, NULL));
    for (uint32_t i = 0; i < 2; i++) CHECK_OK(hush_mpc_party_create(&s.slot[i], NULL, &s.cfg, i, s.sh[i], NULL, NULL));
    CHECK_OK(hush_mpc_party_create(&s.slot[2], &r, &s.cfg, HUSH_MPC_ROLE_DEALER, s.pub, NULL, NULL));
    CHECK_OK(hush_mpc_party_create(&s.slot[3], &r, &s.cfg, HUSH_MPC_ROLE_CLIENT, s.pub, NULL, NULL));
    CHECK_OK(hush_mpc_party_set_input(s.slot[3], x, 3, NULL, 0, NULL, 0));
    CHECK_OK(hush__mpc_links_open(s.links, &s.nl, s.slot, 2, &r, NULL, NULL));
    CHECK_OK(drive(&s, output_hook, &o));
    CHECK_MSG(o.records == 2 && o.words == 2, "%llu output records, %llu words", (unsigned long long)o.records,
              (unsigned long long)o.words);
    CHECK_OK(hush_mpc_predict_result(s.slot[3], d, 1, NULL, 0));
    CHECK(d[0] == pd[0]);
    CHECK_RC(hush_mpc_predict_result(s.slot[3], d, 1, lg, 2), HUSH_ESTATE);
    session_close(&s);
    /* opted in: the logits (two words per party) come too */
    o.records = o.words = 0;
    CHECK_OK(session_open(&s, m, x, &r, NULL, 1, NULL));
    CHECK_OK(drive(&s, output_hook, &o));
    CHECK(o.records == 4 && o.words == 6);
    CHECK_OK(hush_mpc_predict_result(s.slot[3], d, 1, lg, 2));
    session_close(&s);
    hush_rng_clear(&r);
    hush_model_free(m);
}

/* ---- issue 10, point 10, end to end: big products through the state machines ---- */

static void test_trunc_in_protocol(void) {
    /* logits = [2^13 x, -2^13 x] for x near +-2^14: products of 2^59-2^60 ring units, where the
     * old truncation failed about once in 20 (a logit off by about 2^32) */
    hush_layer_spec ls[1] = {{HUSH_LAYER_DENSE, 2, 0, 0}};
    hush_shape in = {1, 1, 1};
    hush_model *m = NULL;
    CHECK_OK(hush_model_create(&m, ls, 1, in, 64, NULL));
    if (!m) return;
    float *p = hush_model_params(m);
    p[0] = 8192, p[1] = -8192, p[2] = 0, p[3] = 0;
    enum { R = 200 };
    static float x[R], lg[2 * R], want[2 * R];
    uint32_t d[R];
    hush_rng r = seeded(34);
    for (int i = 0; i < R; i++) x[i] = (float)((i % 2 ? 1 : -1) * (16384.0 + 8192.0 * hush_rng_uniform(&r)));
    hush_mpc_config c = pcfg(2, HUSH_MPC_OUTPUT_LOGITS, 50);
    hush_mpc_stats st;
    memset(&st, 0, sizeof st);
    CHECK_OK(hush_mpc_predict_run(&c, &r, &st, d, R, lg, 2 * R, m, x, R, NULL));
    CHECK_OK(hush_model_forward(m, want, 2 * R, x, R > 64 ? 64 : R));
    long bad = 0;
    for (int i = 0; i < 2 * R; i++) {
        double w = (double)x[i / 2] * (i % 2 ? -8192.0 : 8192.0);
        bad += fabs((double)lg[i] - w) > 64.0; /* float32 spacing at 2^28 is 32 */
    }
    CHECK_MSG(bad == 0, "%ld of %d large logits wrong", bad, 2 * R);
    CHECK(st.truncations == 2 * R && st.sessions == 4);
    hush_rng_clear(&r);
    hush_model_free(m);
}

/* ---- rejected messages (inside the channel: from an authenticated but misbehaving peer) ---- */

static void test_rejected_messages(void) {
    hush_model *m = small_model();
    if (!m) return;
    hush_rng r = seeded(35);
    float x[3] = {1, 2, 3};
    session s;
    CHECK_OK(session_open(&s, m, x, &r, NULL, 1, NULL));
    static uint8_t rec[1 << 16], msg[1 << 16], bad[1 << 16];
    size_t rl, w;
    uint32_t to;
    int close;
    /* the client's input for party 1 (the second one it sends) */
    CHECK_OK(hush_mpc_party_next_message(s.slot[3], &to, rec, sizeof rec, &rl));
    CHECK_OK(hush_mpc_party_receive(s.slot[0], HUSH_MPC_ROLE_CLIENT, rec, rl));
    CHECK_OK(hush_mpc_party_next_message(s.slot[3], &to, rec, sizeof rec, &rl));
    CHECK(to == 1 && rl == HUSH_CHANNEL_OVERHEAD_BYTES + HUSH_MPC_HEADER_BYTES + 32);
    CHECK_OK(hush__channel_open(end_of(&s, 1, 3), msg, sizeof msg, &w, &close, rec, rl));
    CHECK(w == HUSH_MPC_HEADER_BYTES + 32);
    hush_mpc_party *p1 = s.slot[1];
    uint32_t seq0, st0 = hush_mpc_party_state(p1, &seq0);
    CHECK(st0 == HUSH_MPC_STATE_WAIT_INPUT);
    const uint32_t C = HUSH_MPC_ROLE_CLIENT;
    for (size_t l = 0; l < w; l++) {
        int rc = hush__mpc_party_deliver(p1, C, msg, l);
        CHECK_MSG(rc == HUSH_ETRUNC || rc == HUSH_EFORMAT, "len %zu: %d", l, rc);
    }
    memcpy(bad, msg, w);
    bad[w] = 0;
    CHECK_RC(hush__mpc_party_deliver(p1, C, bad, w + 1), HUSH_EFORMAT); /* trailing byte */
    memcpy(bad, msg, w), bad[0] ^= 1;
    CHECK_RC(hush__mpc_party_deliver(p1, C, bad, w), HUSH_EFORMAT); /* magic */
    memcpy(bad, msg, w), bad[4] = 1;
    CHECK_RC(hush__mpc_party_deliver(p1, C, bad, w), HUSH_EVERSION); /* the old version */
    memcpy(bad, msg, w), bad[5] = 9;
    CHECK_RC(hush__mpc_party_deliver(p1, C, bad, w), HUSH_EFORMAT); /* unknown kind */
    memcpy(bad, msg, w), bad[5] = HUSH_MPC_MSG_OPEN;
    CHECK_RC(hush__mpc_party_deliver(p1, C, bad, w), HUSH_ESTATE); /* forged kind */
    memcpy(bad, msg, w), bad[5] = HUSH_MPC_MSG_DEALER;
    CHECK_RC(hush__mpc_party_deliver(p1, C, bad, w), HUSH_ESTATE);
    memcpy(bad, msg, w), bad[6] = 0, bad[7] = 0; /* claims party 0 on the client's link */
    CHECK_RC(hush__mpc_party_deliver(p1, C, bad, w), HUSH_ESTATE);
    CHECK_RC(hush__mpc_party_deliver(p1, 0, bad, w), HUSH_ESTATE); /* party 0 sending INPUT */
    memcpy(bad, msg, w), bad[8] = 0;                              /* addressed to party 0 */
    CHECK_RC(hush__mpc_party_deliver(p1, C, bad, w), HUSH_ESTATE);
    memcpy(bad, msg, w), bad[10] = 1; /* reserved */
    CHECK_RC(hush__mpc_party_deliver(p1, C, bad, w), HUSH_EFORMAT);
    for (int i = 12; i < 28; i++) { /* every byte of the session id */
        memcpy(bad, msg, w), bad[i] ^= 0x10;
        CHECK_RC(hush__mpc_party_deliver(p1, C, bad, w), HUSH_ESTATE);
    }
    memcpy(bad, msg, w), bad[28] += 1; /* seq: not an input op */
    CHECK_RC(hush__mpc_party_deliver(p1, C, bad, w), HUSH_ESTATE);
    memcpy(bad, msg, w), bad[28] = 0xff, bad[29] = 0xff; /* seq out of range */
    CHECK_RC(hush__mpc_party_deliver(p1, C, bad, w), HUSH_ESTATE);
    memcpy(bad, msg, w), bad[32] = 5; /* n_words disagrees with length */
    CHECK_RC(hush__mpc_party_deliver(p1, C, bad, w), HUSH_ETRUNC);
    memcpy(bad, msg, w), bad[32] = 3;
    CHECK_RC(hush__mpc_party_deliver(p1, C, bad, w), HUSH_EFORMAT);
    memcpy(bad, msg, w), bad[32] = 0xff, bad[33] = 0xff, bad[34] = 0xff, bad[35] = 0xff;
    CHECK_RC(hush__mpc_party_deliver(p1, C, bad, w), HUSH_ERANGE);
    memcpy(bad, msg, w), bad[32] = 3; /* well-formed, the wrong size for the operation */
    CHECK_RC(hush__mpc_party_deliver(p1, C, bad, w - 8), HUSH_EFORMAT);
    /* the dealer accepts nothing; the client only outputs */
    CHECK_RC(hush__mpc_party_deliver(s.slot[2], C, msg, w), HUSH_ESTATE);
    CHECK_RC(hush__mpc_party_deliver(s.slot[3], 1, msg, w), HUSH_ESTATE);
    uint32_t seq1, st1 = hush_mpc_party_state(p1, &seq1);
    CHECK(st1 == st0 && seq1 == seq0); /* nothing changed */
    /* the record itself: tampered, from the wrong role, then genuine, then replayed */
    memcpy(bad, rec, rl), bad[rl - 1] ^= 1;
    CHECK_RC(hush_mpc_party_receive(p1, C, bad, rl), HUSH_ECRYPTO);
    CHECK_RC(hush_mpc_party_receive(p1, 0, rec, rl), HUSH_ECRYPTO); /* party 0's link, other keys */
    CHECK_RC(hush_mpc_party_receive(p1, 7, rec, rl), HUSH_EARG);    /* not a role of this session */
    CHECK_OK(hush_mpc_party_receive(p1, C, rec, rl));
    CHECK_RC(hush_mpc_party_receive(p1, C, rec, rl), HUSH_ESTATE);
    /* the dealer's first message: early for the wrong party, out of order, then fine */
    CHECK(hush_mpc_party_state(s.slot[2], NULL) == HUSH_MPC_STATE_SEND);
    CHECK_OK(hush_mpc_party_next_message(s.slot[2], &to, rec, sizeof rec, &rl));
    CHECK(to == 0);
    CHECK_RC(hush_mpc_party_receive(s.slot[1], HUSH_MPC_ROLE_DEALER, rec, rl), HUSH_ECRYPTO);
    CHECK_OK(hush__channel_open(end_of(&s, 0, 2), msg, sizeof msg, &w, &close, rec, rl));
    memcpy(bad, msg, w), bad[28] += 1;
    CHECK_RC(hush__mpc_party_deliver(s.slot[0], HUSH_MPC_ROLE_DEALER, bad, w), HUSH_ESTATE);
    CHECK_OK(hush_mpc_party_receive(s.slot[0], HUSH_MPC_ROLE_DEALER, rec, rl));
    CHECK_RC(hush_mpc_party_receive(s.slot[0], HUSH_MPC_ROLE_DEALER, rec, rl), HUSH_ESTATE); /* duplicate */
    s.dealer_next = 1;
    /* party 0's opening: party 1 takes it once; a too-small buffer reports the size needed */
    CHECK(hush_mpc_party_state(s.slot[0], NULL) == HUSH_MPC_STATE_SEND);
    size_t need = 0;
    CHECK_RC(hush_mpc_party_next_message(s.slot[0], &to, rec, 10, &need), HUSH_ERANGE);
    CHECK(need > 10 && need <= hush_mpc_party_max_message(s.slot[0]));
    CHECK_OK(hush_mpc_party_next_message(s.slot[0], &to, rec, sizeof rec, &rl));
    CHECK(rl == need && to == 1);
    CHECK_OK(hush_mpc_party_receive(s.slot[1], 0, rec, rl));
    CHECK_RC(hush_mpc_party_receive(s.slot[1], 0, rec, rl), HUSH_ESTATE);
    /* the rest of the session completes */
    CHECK_OK(drive(&s, NULL, NULL));
    float lg[2], want[2];
    uint32_t d;
    CHECK_OK(hush_mpc_predict_result(s.slot[3], &d, 1, lg, 2));
    CHECK_OK(hush_model_forward(m, want, 2, x, 1));
    CHECK_NEAR(lg[0], want[0], 1e-3);
    CHECK_NEAR(lg[1], want[1], 1e-3);
    CHECK(d == (want[1] > want[0] ? 1u : 0u));
    /* after the protocol, a peer's CLOSE is fine */
    CHECK_OK(hush_channel_close(end_of(&s, 3, 0), rec, sizeof rec, &rl));
    CHECK_OK(hush_mpc_party_receive(s.slot[0], C, rec, rl));
    session_close(&s);
    hush_rng_clear(&r);
    hush_model_free(m);
}

static void test_config_and_links(void) {
    hush_model *m = small_model();
    if (!m) return;
    hush_rng r = seeded(36);
    hush_mpc_config c;
    CHECK_RC(hush_mpc_config_init(&c, 3), HUSH_EARG);
    CHECK_RC(hush_mpc_config_init(NULL, HUSH_MPC_PREDICT), HUSH_EARG);
    CHECK_OK(hush_mpc_config_init(&c, HUSH_MPC_PREDICT));
    c.session[3] = 9;
    hush_mpc_party *p = NULL;
    hush_mpc_model *pub = NULL;
    CHECK_OK(hush_mpc_model_public(&pub, m, NULL));
    CHECK_RC(hush_mpc_party_create(&p, NULL, &c, 0, pub, NULL, NULL), HUSH_EARG); /* a party needs shares */
    CHECK_RC(hush_mpc_party_create(&p, NULL, &c, 5, pub, NULL, NULL), HUSH_EARG);
    hush_mpc_config z = c;
    z.version = 0; /* a zeroed or stale config is never meaningful */
    CHECK_RC(hush_mpc_party_create(&p, NULL, &z, HUSH_MPC_ROLE_DEALER, pub, NULL, NULL), HUSH_EARG);
    z = c, z.output = 0;
    CHECK_RC(hush_mpc_party_create(&p, NULL, &z, HUSH_MPC_ROLE_DEALER, pub, NULL, NULL), HUSH_EARG);
    z = c, z.n_parties = 1;
    CHECK_RC(hush_mpc_party_create(&p, NULL, &z, HUSH_MPC_ROLE_DEALER, pub, NULL, NULL), HUSH_EARG);
    z = c, z.frac_bits = 0;
    CHECK_RC(hush_mpc_party_create(&p, NULL, &z, HUSH_MPC_ROLE_DEALER, pub, NULL, NULL), HUSH_EARG);
    CHECK(hush_mpc_party_state(NULL, NULL) == 0 && hush_mpc_party_max_message(NULL) == 0);
    /* links: only open channels of the same session, between this role and a peer of it */
    CHECK_OK(hush_mpc_party_create(&p, &r, &c, HUSH_MPC_ROLE_CLIENT, pub, NULL, NULL));
    CHECK(hush_mpc_party_state(p, NULL) == HUSH_MPC_STATE_LINK);
    uint8_t pk[2][32], sk[2][64], buf[128], none[1];
    size_t w, n0;
    CHECK_OK(hush_channel_keypair(&r, pk[0], 32, sk[0], 64));
    CHECK_OK(hush_channel_keypair(&r, pk[1], 32, sk[1], 64));
    uint8_t other[16] = {7};
    struct { const uint8_t *session; uint32_t me, peer; int want; } cases[] = {
        {c.session, HUSH_MPC_ROLE_CLIENT, 0, HUSH_OK},
        {c.session, HUSH_MPC_ROLE_CLIENT, 0, HUSH_ESTATE}, /* already linked */
        {other, HUSH_MPC_ROLE_CLIENT, 1, HUSH_EARG},       /* another session */
        {c.session, 1, 0, HUSH_EARG},                      /* not this role's channel */
        {c.session, HUSH_MPC_ROLE_CLIENT, HUSH_MPC_ROLE_DEALER, HUSH_EARG}, /* the client never talks to the dealer */
        {c.session, HUSH_MPC_ROLE_CLIENT, 1, HUSH_OK},
    };
    hush_channel *keep[12] = {0};
    size_t nk = 0;
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        hush_channel_config ci, cr;
        hush_channel *a = NULL, *b = NULL;
        CHECK_OK(hush_channel_config_init(&ci, HUSH_CHANNEL_INITIATOR, cases[k].session, 16, cases[k].me, cases[k].peer));
        CHECK_OK(hush_channel_config_init(&cr, HUSH_CHANNEL_RESPONDER, cases[k].session, 16, cases[k].peer, cases[k].me));
        CHECK_OK(hush_channel_create(&a, &r, &ci, sk[0], 64, pk[1], 32, NULL));
        CHECK_OK(hush_channel_create(&b, &r, &cr, sk[1], 64, pk[0], 32, NULL));
        if (k == 0) CHECK_RC(hush_mpc_party_attach(p, a), HUSH_ESTATE); /* not open yet */
        for (int step = 0; step < 3; step++) {
            CHECK_OK(hush_channel_next_message(step == 1 ? b : a, buf, sizeof buf, &w));
            CHECK_OK(hush_channel_receive(step == 1 ? a : b, none, 1, &n0, buf, w));
        }
        CHECK_RC(hush_mpc_party_attach(p, a), cases[k].want);
        keep[nk++] = a, keep[nk++] = b;
    }
    CHECK(hush_mpc_party_state(p, NULL) == HUSH_MPC_STATE_WAIT_INPUT);
    CHECK_RC(hush_mpc_party_attach(p, NULL), HUSH_EARG);
    hush_mpc_party_free(p);
    for (size_t k = 0; k < nk; k++) hush_channel_free(keep[k]);
    /* training needs a dense/relu net ending in dense:2, which the dealer accepts */
    c.protocol = HUSH_MPC_TRAIN;
    CHECK_OK(hush_mpc_party_create(&p, NULL, &c, HUSH_MPC_ROLE_DEALER, pub, NULL, NULL));
    hush_mpc_party_free(p);
    hush_mpc_model_free(pub);
    hush_rng_clear(&r);
    hush_model_free(m);
}

/* ---- issue 10, point 11: every byte the MPC code frees has been wiped ---- */

typedef struct wipe_check {
    long dirty, blocks;
    size_t dirty_size;
} wipe_check;
static void *wc_alloc(void *ud, size_t n) {
    (void)ud;
    return malloc(n);
}
static void wc_free(void *ud, void *p, size_t n) {
    wipe_check *z = ud;
    z->blocks++;
    if (!sodium_is_zero(p, n)) z->dirty++, z->dirty_size = n;
    free(p);
}

static void test_wiped(void) {
    hush_model *m = small_model();
    if (!m) return;
    hush_rng r = seeded(37);
    wipe_check z = {0, 0, 0};
    hush_allocator al = {wc_alloc, wc_free, &z};
    float x[3 * 3] = {1, 2, 3, -1, 0.5f, 2, 4, 4, -4}, lg[6];
    uint32_t d[3];
    hush_mpc_config c = pcfg(2, HUSH_MPC_OUTPUT_LOGITS, 2);
    hush_mpc_report rep;
    CHECK_OK(hush_mpc_predict_run(&c, &r, NULL, d, 3, lg, 6, m, x, 9, &al));
    CHECK_OK(hush_mpc_predict_eval(&c, &r, &rep, m, x, 9, d, 3, &al));
    CHECK(rep.decision_agreement == 1.0 && rep.max_abs_logit_error < 1e-3);
    hush_layer_spec ls[1] = {{HUSH_LAYER_DENSE, 2, 0, 0}};
    hush_shape in = {3, 1, 1};
    hush_model *lin = NULL;
    CHECK_OK(hush_model_create(&lin, ls, 1, in, 4, NULL));
    uint32_t y[3] = {0, 1, 1};
    hush_mpc_config t;
    CHECK_OK(hush_mpc_config_init(&t, HUSH_MPC_TRAIN));
    t.epochs = 1, t.batch = 2, t.lr = 0.1f;
    CHECK_OK(hush_mpc_train_run(&t, &r, NULL, lin, x, 9, y, 3, &al));
    /* (hush_mpc_train_eval also builds a plaintext reference model, an nn object the nn module
     * frees: it is not checked here) */
    hush_mpc_guard *g = NULL;
    CHECK_OK(hush_mpc_guard_create(&g, 4, &al));
    uint8_t sid[16] = {1};
    CHECK_OK(hush_mpc_guard_add(g, sid, 16));
    hush_mpc_guard_free(g);
    CHECK(z.blocks > 50);
    CHECK_MSG(z.dirty == 0, "%ld of %ld freed blocks were not wiped (one of %zu bytes)", z.dirty, z.blocks,
              z.dirty_size);
    hush_model_free(lin);
    hush_rng_clear(&r);
    hush_model_free(m);
}

static void test_fault_injection(void) {
    hush_model *m = small_model();
    if (!m) return;
    float x[3] = {0.5f, -1, 2};
    int done = 0;
    for (long k = 1; k < 800 && !done; k++) {
        check_alloc ca = {0, k, 0, 0};
        hush_allocator al = CHECK_ALLOCATOR(ca);
        hush_rng r = seeded(37);
        session s;
        int rc = session_open(&s, m, x, &r, NULL, 1, &al);
        if (rc == HUSH_OK) rc = drive(&s, NULL, NULL);
        session_close(&s);
        if (rc == HUSH_OK) {
            done = 1;
            CHECK(ca.calls >= 10);
        } else {
            CHECK_MSG(rc == HUSH_ENOMEM, "allocation %ld: %s", k, hush_status_name(rc));
        }
        CHECK_MSG(ca.live_blocks == 0 && ca.live_bytes == 0, "allocation %ld: %ld blocks leaked", k, ca.live_blocks);
        hush_rng_clear(&r);
    }
    CHECK(done);
    /* hush_mpc_run, hush_mpc_predict_run and hush_mpc_train_run create and free everything */
    done = 0;
    for (long k = 1; k < 800 && !done; k++) {
        check_alloc ca = {0, k, 0, 0};
        hush_allocator al = CHECK_ALLOCATOR(ca);
        hush_rng r = seeded(38);
        session s;
        int rc = session_open(&s, m, x, &r, NULL, 0, NULL);
        if (rc == HUSH_OK) rc = hush_mpc_run(s.slot, 4, &r, NULL, &al);
        session_close(&s);
        if (rc == HUSH_OK) done = 1;
        else CHECK_MSG(rc == HUSH_ENOMEM, "allocation %ld: %s", k, hush_status_name(rc));
        CHECK(ca.live_blocks == 0 && ca.live_bytes == 0);
        hush_rng_clear(&r);
    }
    CHECK(done);
    {   /* the driver links the roles itself: already linked roles are refused */
        hush_rng r = seeded(39);
        session s;
        CHECK_OK(session_open(&s, m, x, &r, NULL, 1, NULL));
        CHECK_RC(hush_mpc_run(s.slot, 4, &r, NULL, NULL), HUSH_ESTATE);
        CHECK(hush_mpc_party_state(s.slot[0], NULL) != HUSH_MPC_STATE_LINK); /* its links untouched */
        session_close(&s);
        hush_rng_clear(&r);
    }
    done = 0;
    hush_mpc_config c = pcfg(2, HUSH_MPC_OUTPUT_DECISION, 1);
    for (long k = 1; k < 800 && !done; k++) {
        check_alloc ca = {0, k, 0, 0};
        hush_allocator al = CHECK_ALLOCATOR(ca);
        hush_rng r = seeded(41);
        uint32_t d;
        int rc = hush_mpc_predict_run(&c, &r, NULL, &d, 1, NULL, 0, m, x, 3, &al);
        if (rc == HUSH_OK) done = 1;
        else CHECK_MSG(rc == HUSH_ENOMEM, "allocation %ld: %s", k, hush_status_name(rc));
        CHECK(ca.live_blocks == 0 && ca.live_bytes == 0);
        hush_rng_clear(&r);
    }
    CHECK(done);
    done = 0;
    float xt[4 * 3] = {1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 1};
    uint32_t yt[4] = {0, 1, 1, 0};
    hush_mpc_config t;
    CHECK_OK(hush_mpc_config_init(&t, HUSH_MPC_TRAIN));
    t.epochs = 1, t.batch = 3, t.lr = 0.1f;
    for (long k = 1; k < 800 && !done; k++) {
        check_alloc ca = {0, k, 0, 0};
        hush_allocator al = CHECK_ALLOCATOR(ca);
        hush_rng r = seeded(43);
        int rc = hush_mpc_train_run(&t, &r, NULL, m, xt, 12, yt, 4, &al);
        if (rc == HUSH_OK) done = 1;
        else CHECK_MSG(rc == HUSH_ENOMEM, "allocation %ld: %s", k, hush_status_name(rc));
        CHECK(ca.live_blocks == 0 && ca.live_bytes == 0);
        hush_rng_clear(&r);
    }
    CHECK(done);
    for (long k = 1; k < 3; k++) {
        check_alloc ca = {0, k, 0, 0};
        hush_allocator al = CHECK_ALLOCATOR(ca);
        hush_mpc_guard *g = NULL;
        CHECK_RC(hush_mpc_guard_create(&g, 10, &al), HUSH_ENOMEM);
        CHECK(ca.live_blocks == 0);
    }
    hush_model_free(m);
}

/* Reproducible only on request: the same seeded rng gives the same secrets; the OS default
 * gives different shares every run. */
static void test_noise_source(void) {
    hush_model *m = small_model();
    if (!m) return;
    hush_mpc_model *a[2], *b[2];
    hush_rng r1 = seeded(5), r2 = seeded(5);
    CHECK_OK(hush_mpc_model_share(a, 2, &r1, m, 16, NULL));
    CHECK_OK(hush_mpc_model_share(b, 2, &r2, m, 16, NULL));
    CHECK(memcmp(a[1]->params, b[1]->params, 8 * a[1]->n_params) == 0);
    for (int i = 0; i < 2; i++) hush_mpc_model_free(b[i]);
    CHECK_OK(hush_mpc_model_share(b, 2, NULL, m, 16, NULL));
    CHECK(memcmp(a[1]->params, b[1]->params, 8 * a[1]->n_params) != 0);
    for (int i = 0; i < 2; i++) hush_mpc_model_free(a[i]), hush_mpc_model_free(b[i]);
    hush_rng_clear(&r1);
    hush_rng_clear(&r2);
    hush_model_free(m);
}

int main(void) {
    if (hush_init() != HUSH_OK) return 1;
    test_teaching_example();
    test_fixed();
    test_sharing();
    test_beaver();
    test_trunc_distribution();
    test_trunc_large();
    test_dcf_and_ltz();
    test_activations();
    test_party_view();
    test_eavesdropper();
    test_injection();
    test_sessions();
    test_decision_only();
    test_trunc_in_protocol();
    test_rejected_messages();
    test_config_and_links();
    test_wiped();
    test_fault_injection();
    test_noise_source();
    CHECK_SUMMARY();
}
