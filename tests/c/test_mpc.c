/* Tests for secret sharing and the MPC primitives (core/src/mpc, core/src/io/mpcwire.c):
 * the seeds' three-party teaching example with a statistical independence test, fixed-point
 * encoding and overflow, sharing (plain and seed-compressed), Beaver products and matmuls
 * exactly against plaintext, the truncation error distribution, the DCF and the comparison on
 * edge values, the sigmoid/tanh splines and argmax through the state machines, the uniformity
 * of one party's view, rejected messages, and fault injection on every create path. */
#include <math.h>
#include <string.h>

#include <sodium.h>

#include "check.h"
#include "hush.h"
#include "io/mpcwire.h"
#include "mpc/mpc.h"

static hush_rng seeded(uint64_t s) {
    hush_rng r;
    if (hush_rng_init_u64(&r, s) != HUSH_OK) memset(&r, 0, sizeof r);
    return r;
}

static uint64_t enc1(double x, uint32_t f) {
    uint64_t v = 0;
    CHECK_OK(hush_fixed_encode(&v, &x, 1, f));
    return v;
}
static double dec1(uint64_t v, uint32_t f) {
    double x = 0;
    CHECK_OK(hush_fixed_decode(&x, &v, 1, f));
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
    CHECK_OK(hush_share_split(sx, 3, &x, 1, &r));
    CHECK_OK(hush_share_split(sy, 3, &y, 1, &r));
    for (int i = 0; i < 3; i++) CHECK_OK(hush_share_add(&sz[i], &sx[i], &sy[i], 1));
    CHECK_OK(hush_share_reconstruct(&z, sz, 3, 1));
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
                CHECK_OK(hush_share_split(sh, 3, &v, 1, &r));
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
    CHECK_OK(hush_fixed_encode(&v, &d, 1, 16));
    CHECK(v == UINT64_MAX);
    d = 1.4 / 65536; /* rounds to nearest */
    CHECK_OK(hush_fixed_encode(&v, &d, 1, 16));
    CHECK(v == 1);
    d = ldexp(1, 46); /* 2^46 * 2^16 = 2^62: out of range */
    CHECK_RC(hush_fixed_encode(&v, &d, 1, 16), HUSH_ERANGE);
    d = -ldexp(1, 46);
    CHECK_RC(hush_fixed_encode(&v, &d, 1, 16), HUSH_ERANGE);
    d = ldexp(1, 46) - 1;
    CHECK_OK(hush_fixed_encode(&v, &d, 1, 16));
    d = NAN;
    CHECK_RC(hush_fixed_encode(&v, &d, 1, 16), HUSH_ENUMERIC);
    d = INFINITY;
    CHECK_RC(hush_fixed_encode(&v, &d, 1, 16), HUSH_ENUMERIC);
    CHECK_RC(hush_fixed_encode(&v, &d, 1, 99), HUSH_EARG);
    /* configurable precision */
    CHECK(dec1(enc1(0.1, 8), 8) == 26.0 / 256);
    uint64_t w;
    d = 3.0;
    CHECK_OK(hush_fixed_encode(&w, &d, 1, 20));
    CHECK(w == 3u << 20);
}

static void test_sharing(void) {
    hush_rng r = seeded(7);
    enum { N = 257 };
    static uint64_t sec[N], sh[HUSH_MPC_MAX_PARTIES * N], back[N];
    for (size_t np = 2; np <= 5; np++) {
        for (size_t j = 0; j < N; j++) sec[j] = hush_rng_u64(&r);
        CHECK_OK(hush_share_split(sh, np, sec, N, &r));
        CHECK_OK(hush_share_reconstruct(back, sh, np, N));
        CHECK(memcmp(back, sec, sizeof sec) == 0);
        /* shares are not the secret (with overwhelming probability) */
        CHECK(memcmp(sh, sec, sizeof sec) != 0);
        uint8_t seeds[(HUSH_MPC_MAX_PARTIES - 1) * 32];
        CHECK_OK(hush_share_split_seeded(sh, seeds, np, sec, N, &r));
        for (size_t i = 1; i < np; i++) CHECK_OK(hush_share_expand(sh + i * N, N, seeds + (i - 1) * 32));
        CHECK_OK(hush_share_reconstruct(back, sh, np, N));
        CHECK(memcmp(back, sec, sizeof sec) == 0);
    }
    CHECK_RC(hush_share_split(sh, 1, sec, N, &r), HUSH_EARG);
    CHECK_RC(hush_share_split(sh, HUSH_MPC_MAX_PARTIES + 1, sec, N, &r), HUSH_EARG);
    /* public operations */
    uint64_t a[3] = {enc1(1.5, 16), enc1(-2, 16), enc1(4, 16)}, k[3] = {2, 3, (uint64_t)0 - 1}, s2[6], o[6], res[3];
    CHECK_OK(hush_share_split(s2, 2, a, 3, &r));
    for (uint32_t i = 0; i < 2; i++) {
        CHECK_OK(hush_share_mul_public(o + 3 * i, s2 + 3 * i, k, 3));
        CHECK_OK(hush_share_add_public(o + 3 * i, o + 3 * i, a, 3, i));
    }
    CHECK_OK(hush_share_reconstruct(res, o, 2, 3));
    CHECK(dec1(res[0], 16) == 4.5 && dec1(res[1], 16) == -8 && dec1(res[2], 16) == 0);
    hush_rng_clear(&r);
}

static void test_beaver(void) {
    hush_rng r = seeded(11);
    enum { N = 1000, NP = 3 };
    static uint64_t x[N], y[N], xs[NP * N], ys[NP * N], a[NP * N], b[NP * N], c[NP * N], al[NP * N], be[NP * N];
    static uint64_t alpha[N], beta[N], z[NP * N], zr[N], rr[NP * N], rt[NP * N], cc[N], tz[NP * N], t[N];
    double xd[N], yd[N];
    for (int j = 0; j < N; j++) {
        xd[j] = (hush_rng_uniform(&r) - 0.5) * 200;
        yd[j] = (hush_rng_uniform(&r) - 0.5) * 200;
    }
    CHECK_OK(hush_fixed_encode(x, xd, N, 16));
    CHECK_OK(hush_fixed_encode(y, yd, N, 16));
    CHECK_OK(hush_share_split(xs, NP, x, N, &r));
    CHECK_OK(hush_share_split(ys, NP, y, N, &r));
    CHECK_OK(hush_beaver_triples(a, b, c, NP, N, &r));
    for (int i = 0; i < NP; i++) CHECK_OK(hush_beaver_mul_open(al + i * N, be + i * N, xs + i * N, ys + i * N, a + i * N, b + i * N, N));
    CHECK_OK(hush_share_reconstruct(alpha, al, NP, N));
    CHECK_OK(hush_share_reconstruct(beta, be, NP, N));
    for (uint32_t i = 0; i < NP; i++)
        CHECK_OK(hush_beaver_mul_finish(z + i * N, i, alpha, beta, a + i * N, b + i * N, c + i * N, N));
    CHECK_OK(hush_share_reconstruct(zr, z, NP, N));
    int exact = 1;
    for (int j = 0; j < N; j++) exact &= zr[j] == x[j] * y[j]; /* exact in the ring */
    CHECK(exact);
    /* truncation of the products back to 16 fractional bits: within 1 ulp of the real product
     * (plus the encoding's own rounding of x and y) */
    CHECK_OK(hush_beaver_trunc_pairs(rr, rt, NP, N, 16, &r));
    for (int j = 0; j < N; j++) {
        cc[j] = 0;
        for (int i = 0; i < NP; i++) cc[j] += z[i * N + j] + rr[i * N + j];
    }
    for (uint32_t i = 0; i < NP; i++) CHECK_OK(hush_trunc_finish(tz + i * N, i, cc, rt + i * N, N, 16));
    CHECK_OK(hush_share_reconstruct(t, tz, NP, N));
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
    CHECK_OK(hush_share_split(XS, NP, X, M * K, &r));
    CHECK_OK(hush_share_split(YS, NP, Y, K * P, &r));
    CHECK_OK(hush_beaver_matmul(A, B, C, NP, M, K, P, &r));
    for (int i = 0; i < NP; i++) {
        CHECK_OK(hush_share_sub(E + i * M * K, XS + i * M * K, A + i * M * K, M * K));
        CHECK_OK(hush_share_sub(F + i * K * P, YS + i * K * P, B + i * K * P, K * P));
    }
    CHECK_OK(hush_share_reconstruct(Eo, E, NP, M * K));
    CHECK_OK(hush_share_reconstruct(Fo, F, NP, K * P));
    for (uint32_t i = 0; i < NP; i++)
        CHECK_OK(hush_beaver_matmul_finish(Z + i * M * P, i, Eo, Fo, A + i * M * K, B + i * K * P, C + i * M * P, M, K, P));
    CHECK_OK(hush_share_reconstruct(Zr, Z, NP, M * P));
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

/* Truncation: error is floor or floor + 1 (never more when |x| << 2^64), and the +1 happens
 * with probability (x mod 2^s) / 2^s, so for uniform low bits the mean error is 1/2 ulp. */
static void test_trunc_distribution(void) {
    hush_rng r = seeded(13);
    enum { N = 50000 };
    static uint64_t x[N], xs[2 * N], rr[2 * N], rt[2 * N], c[N], o[2 * N], t[N];
    for (int j = 0; j < N; j++) x[j] = hush__mpc_from_i64((int64_t)(hush_rng_u64(&r) >> 24) - ((int64_t)1 << 39));
    CHECK_OK(hush_share_split(xs, 2, x, N, &r));
    CHECK_OK(hush_beaver_trunc_pairs(rr, rt, 2, N, 16, &r));
    for (int j = 0; j < N; j++) c[j] = xs[j] + rr[j] + xs[N + j] + rr[N + j];
    for (uint32_t i = 0; i < 2; i++) CHECK_OK(hush_trunc_finish(o + i * N, i, c, rt + i * N, N, 16));
    CHECK_OK(hush_share_reconstruct(t, o, 2, N));
    long bad = 0, ones = 0;
    double expect = 0;
    for (int j = 0; j < N; j++) {
        int64_t want = hush__mpc_to_i64(x[j]) >> 16; /* floor (arithmetic shift) */
        int64_t got = hush__mpc_to_i64(t[j]), e = got - want;
        if (e != 0 && e != 1) bad++;
        ones += e == 1;
        expect += (double)(x[j] & 0xffff) / 65536.0;
    }
    CHECK_MSG(bad == 0, "%ld truncations off by more than 1 ulp", bad);
    CHECK_MSG(fabs((double)ones - expect) < 4 * sqrt(expect), "carry count %ld, expected %.0f", ones, expect);
    CHECK(ones > N / 3 && ones < 2 * N / 3);
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
        CHECK_OK(hush_share_split(xs, np, x, N, &r));
        CHECK_OK(hush__ltz_gen(rr, off, K0, K1, np, N, &r));
        for (int j = 0; j < N; j++) {
            c[j] = 0;
            for (size_t i = 0; i < np; i++) c[j] += xs[i * N + j] + rr[i * N + j];
        }
        for (uint32_t i = 0; i < np; i++) hush__ltz_finish(s + i * N, i, c, off + i * N, i == 0 ? K0 : K1, N);
        CHECK_OK(hush_share_reconstruct(res, s, np, N));
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

static void test_activations(void) {
    hush_rng r = seeded(19);
    enum { N = 161 };
    float x[N], lg[2 * N];
    uint32_t dec[N];
    for (int i = 0; i < N; i++) x[i] = -10.0f + 0.125f * (float)i;
    uint32_t acts[2] = {HUSH_LAYER_SIGMOID, HUSH_LAYER_TANH};
    double bound[2] = {4.5e-3, 9e-3};
    for (int a = 0; a < 2; a++) {
        hush_model *m = act_model(acts[a]);
        if (!m) return;
        CHECK_OK(hush_mpc_predict_run(lg, dec, m, x, N, 2, 16, 0, &r, NULL, NULL));
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
    /* argmax among 5 logits (identity layer), ties resolve to the first maximum */
    hush_layer_spec ls[1] = {{HUSH_LAYER_DENSE, 5, 0, 0}};
    hush_shape in = {5, 1, 1};
    hush_model *m = NULL;
    CHECK_OK(hush_model_create(&m, ls, 1, in, 64, NULL));
    if (!m) return;
    float *p = hush_model_params(m);
    memset(p, 0, 30 * sizeof *p);
    for (int i = 0; i < 5; i++) p[i * 5 + i] = 1;
    enum { R = 40 };
    float xs[R * 5], l5[R * 5];
    uint32_t d5[R], want[R];
    for (int i = 0; i < R; i++) {
        for (int j = 0; j < 5; j++) xs[i * 5 + j] = (float)((int)(check_below(&r, 9)) - 4) * (i % 3 ? 1.0f : 0.01f);
        uint32_t best = 0;
        for (uint32_t j = 1; j < 5; j++)
            if (xs[i * 5 + j] > xs[i * 5 + best]) best = j;
        want[i] = best;
    }
    CHECK_OK(hush_mpc_predict_run(l5, d5, m, xs, R, 3, 16, 7, &r, NULL, NULL));
    int ok = 1;
    for (int i = 0; i < R; i++) ok &= d5[i] == want[i];
    CHECK(ok);
    hush_model_free(m);
    hush_rng_clear(&r);
}

/* ---- state machines: views, rejected messages, fault injection ---- */

typedef struct session {
    hush_mpc_party *roles[4]; /* party 0, party 1, dealer, client */
    hush_mpc_model *sh[2], *pub;
    hush_mpc_config cfg;
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

static int session_open(session *s, const hush_model *m, const float *x, hush_rng *r, const hush_allocator *alloc) {
    memset(s, 0, sizeof *s);
    hush_mpc_config_default(&s->cfg, HUSH_MPC_PREDICT);
    s->cfg.session = 77;
    s->cfg.rows = 1;
    int rc = hush_mpc_model_share(s->sh, 2, m, 16, r, alloc);
    if (rc == HUSH_OK) rc = hush_mpc_model_public(&s->pub, m, alloc);
    for (uint32_t i = 0; i < 2 && rc == HUSH_OK; i++) rc = hush_mpc_party_create(&s->roles[i], &s->cfg, i, s->sh[i], NULL, alloc);
    if (rc == HUSH_OK) rc = hush_mpc_party_create(&s->roles[2], &s->cfg, HUSH_MPC_ROLE_DEALER, s->pub, r, alloc);
    if (rc == HUSH_OK) rc = hush_mpc_party_create(&s->roles[3], &s->cfg, HUSH_MPC_ROLE_CLIENT, s->pub, r, alloc);
    if (rc == HUSH_OK && x) rc = hush_mpc_party_set_input(s->roles[3], x, 3, NULL, 0, NULL, 0);
    return rc;
}

static void session_close(session *s) {
    for (int i = 0; i < 4; i++) hush_mpc_party_free(s->roles[i]);
    for (int i = 0; i < 2; i++) hush_mpc_model_free(s->sh[i]);
    hush_mpc_model_free(s->pub);
    memset(s, 0, sizeof *s);
}

/* A minimal driver like hush_mpc_run that also records the words of every opening party 0
 * sends to party 1 (roles: party 0, party 1, dealer, client). */
static int drive(hush_mpc_party **roles, uint64_t *rec, size_t cap, size_t *nrec) {
    static uint8_t buf[1 << 16], held[2][1 << 16];
    size_t held_len[2] = {0, 0}, cnt = 0;
    uint32_t held_seq[2] = {0, 0};
    *nrec = 0;
    for (;;) {
        int progress = 0, rc;
        while (hush_mpc_party_state(roles[2], NULL) == HUSH_MPC_STATE_SEND && !held_len[cnt % 2]) {
            size_t k = cnt++ % 2;
            if ((rc = hush_mpc_party_next_message(roles[2], held[k], sizeof held[k], &held_len[k]))) return rc;
            if ((rc = hush_mpc_message_route(held[k], held_len[k], NULL, NULL, NULL, &held_seq[k]))) return rc;
            progress = 1;
        }
        for (int k = 0; k < 2; k++) {
            uint32_t seq;
            if (held_len[k] && hush_mpc_party_state(roles[k], &seq) == HUSH_MPC_STATE_WAIT_DEALER && seq == held_seq[k]) {
                if ((rc = hush_mpc_party_receive(roles[k], held[k], held_len[k]))) return rc;
                held_len[k] = 0;
                progress = 1;
            }
        }
        static const int order[3] = {0, 1, 3};
        for (int q = 0; q < 3; q++) {
            size_t w = 0;
            while ((rc = hush_mpc_party_next_message(roles[order[q]], buf, sizeof buf, &w)) == HUSH_OK && w) {
                uint32_t kind, from, to;
                progress = 1;
                if ((rc = hush_mpc_message_route(buf, w, &kind, &from, &to, NULL))) return rc;
                hush_mpc_party *dst = kind == HUSH_MPC_MSG_OPEN ? roles[1 - from] : kind == HUSH_MPC_MSG_INPUT ? roles[to] : roles[3];
                if ((rc = hush_mpc_party_receive(dst, buf, w))) return rc;
                if (kind == HUSH_MPC_MSG_OPEN && from == 0) {
                    hush__mpc_msg mm;
                    if ((rc = hush__mpcwire_decode(&mm, buf, w))) return rc;
                    for (size_t i = 0; i < mm.n_words && *nrec < cap; i++) rec[(*nrec)++] = hush__mpcwire_word(&mm, i);
                }
            }
            if (rc) return rc;
        }
        int done = 1;
        for (int i = 0; i < 4; i++) done &= hush_mpc_party_state(roles[i], NULL) == HUSH_MPC_STATE_DONE;
        if (done) return HUSH_OK;
        if (!progress) return HUSH_ESTATE;
    }
}

static void view_of_party1(uint64_t *words, size_t cap, size_t *n, const hush_model *m, const float *x, hush_rng *r) {
    session s;
    *n = 0;
    CHECK_OK(session_open(&s, m, x, r, NULL));
    CHECK_OK(drive(s.roles, words, cap, n));
    session_close(&s);
}

static void test_party_view(void) {
    hush_model *m = small_model();
    if (!m) return;
    hush_rng r = seeded(29);
    enum { CAP = 40000 };
    static uint64_t v0[CAP], v1[CAP];
    float xa[3] = {0, 0, 0}, xb[3] = {100, -250, 3};
    size_t n0 = 0, n1 = 0, t;
    while (n0 < CAP) {
        view_of_party1(v0 + n0, CAP - n0, &t, m, xa, &r);
        if (!t) break;
        n0 += t;
    }
    while (n1 < CAP) {
        view_of_party1(v1 + n1, CAP - n1, &t, m, xb, &r);
        if (!t) break;
        n1 += t;
    }
    CHECK(n0 == CAP && n1 == CAP);
    double c0 = chi2_top4(v0, n0), c1 = chi2_top4(v1, n1);
    /* 15 degrees of freedom: 0.1% tail at 37.7. Unmasked small values would put almost every
     * word in bucket 0 or 15. */
    CHECK_MSG(c0 < 37.7 && c1 < 37.7, "party 1's view is not uniform: chi2 %g, %g", c0, c1);
    hush_rng_clear(&r);
    hush_model_free(m);
}

static void test_rejected_messages(void) {
    hush_model *m = small_model();
    if (!m) return;
    hush_rng r = seeded(31);
    float x[3] = {1, 2, 3};
    session s;
    CHECK_OK(session_open(&s, m, x, &r, NULL));
    static uint8_t msg[1 << 16], bad[1 << 16];
    size_t w = 0;
    /* the client's input for party 1 (the second one it sends) */
    CHECK_OK(hush_mpc_party_next_message(s.roles[3], msg, sizeof msg, &w));
    CHECK_OK(hush_mpc_party_receive(s.roles[0], msg, w));
    CHECK_OK(hush_mpc_party_next_message(s.roles[3], msg, sizeof msg, &w));
    CHECK(w == HUSH_MPC_HEADER_BYTES + 32);
    hush_mpc_party *p1 = s.roles[1];
    uint32_t seq0, st0 = hush_mpc_party_state(p1, &seq0);
    CHECK(st0 == HUSH_MPC_STATE_WAIT_INPUT);
    /* every truncation */
    for (size_t l = 0; l < w; l++) {
        int rc = hush_mpc_party_receive(p1, msg, l);
        CHECK_MSG(rc == HUSH_ETRUNC || rc == HUSH_EFORMAT, "len %zu: %d", l, rc);
    }
    memcpy(bad, msg, w);
    bad[w] = 0;
    CHECK_RC(hush_mpc_party_receive(p1, bad, w + 1), HUSH_EFORMAT);        /* trailing byte */
    memcpy(bad, msg, w), bad[0] ^= 1;
    CHECK_RC(hush_mpc_party_receive(p1, bad, w), HUSH_EFORMAT);            /* magic */
    memcpy(bad, msg, w), bad[4] = 2;
    CHECK_RC(hush_mpc_party_receive(p1, bad, w), HUSH_EVERSION);           /* version */
    memcpy(bad, msg, w), bad[5] = 9;
    CHECK_RC(hush_mpc_party_receive(p1, bad, w), HUSH_EFORMAT);            /* unknown kind */
    memcpy(bad, msg, w), bad[5] = HUSH_MPC_MSG_OPEN;
    CHECK_RC(hush_mpc_party_receive(p1, bad, w), HUSH_ESTATE);             /* forged kind */
    memcpy(bad, msg, w), bad[5] = HUSH_MPC_MSG_DEALER;
    CHECK_RC(hush_mpc_party_receive(p1, bad, w), HUSH_ESTATE);
    memcpy(bad, msg, w), bad[6] = 0;                                       /* from party 0, not the client */
    CHECK_RC(hush_mpc_party_receive(p1, bad, w), HUSH_ESTATE);
    memcpy(bad, msg, w), bad[8] = 0;                                       /* addressed to party 0 */
    CHECK_RC(hush_mpc_party_receive(p1, bad, w), HUSH_ESTATE);
    memcpy(bad, msg, w), bad[10] = 1;                                      /* reserved */
    CHECK_RC(hush_mpc_party_receive(p1, bad, w), HUSH_EFORMAT);
    memcpy(bad, msg, w), bad[12] ^= 1;                                     /* session */
    CHECK_RC(hush_mpc_party_receive(p1, bad, w), HUSH_ESTATE);
    memcpy(bad, msg, w), bad[16] += 1;                                     /* seq: not an input op */
    CHECK_RC(hush_mpc_party_receive(p1, bad, w), HUSH_ESTATE);
    memcpy(bad, msg, w), bad[16] = 0xff, bad[17] = 0xff;                   /* seq out of range */
    CHECK_RC(hush_mpc_party_receive(p1, bad, w), HUSH_ESTATE);
    memcpy(bad, msg, w), bad[20] = 5;                                      /* n_words disagrees with length */
    CHECK_RC(hush_mpc_party_receive(p1, bad, w), HUSH_ETRUNC);
    memcpy(bad, msg, w), bad[20] = 3;
    CHECK_RC(hush_mpc_party_receive(p1, bad, w), HUSH_EFORMAT);
    memcpy(bad, msg, w), bad[20] = 0xff, bad[21] = 0xff, bad[22] = 0xff, bad[23] = 0xff;
    CHECK_RC(hush_mpc_party_receive(p1, bad, w), HUSH_ERANGE);
    /* a well-formed message of the wrong size for the operation */
    memcpy(bad, msg, w), bad[20] = 3;
    CHECK_RC(hush_mpc_party_receive(p1, bad, w - 8), HUSH_EFORMAT);
    /* the dealer accepts nothing; the client only outputs */
    CHECK_RC(hush_mpc_party_receive(s.roles[2], msg, w), HUSH_ESTATE);
    CHECK_RC(hush_mpc_party_receive(s.roles[3], msg, w), HUSH_ESTATE);
    uint32_t seq1, st1 = hush_mpc_party_state(p1, &seq1);
    CHECK(st1 == st0 && seq1 == seq0); /* nothing changed */
    CHECK_OK(hush_mpc_party_receive(p1, msg, w));
    CHECK_RC(hush_mpc_party_receive(p1, msg, w), HUSH_ESTATE); /* duplicate */
    /* the dealer's first message, delivered early to the wrong party and out of order */
    CHECK(hush_mpc_party_state(s.roles[2], NULL) == HUSH_MPC_STATE_SEND);
    CHECK_OK(hush_mpc_party_next_message(s.roles[2], msg, sizeof msg, &w));
    CHECK_RC(hush_mpc_party_receive(s.roles[1], msg, w), HUSH_ESTATE);
    memcpy(bad, msg, w), bad[16] += 1;
    CHECK_RC(hush_mpc_party_receive(s.roles[0], bad, w), HUSH_ESTATE);
    CHECK_OK(hush_mpc_party_receive(s.roles[0], msg, w));
    CHECK_RC(hush_mpc_party_receive(s.roles[0], msg, w), HUSH_ESTATE); /* duplicate */
    /* party 0 now has its opening ready; an opening from party 0 to itself is rejected, and
     * party 1 rejects a replay */
    CHECK(hush_mpc_party_state(s.roles[0], NULL) == HUSH_MPC_STATE_SEND);
    CHECK_OK(hush_mpc_party_next_message(s.roles[0], msg, sizeof msg, &w));
    CHECK_RC(hush_mpc_party_receive(s.roles[0], msg, w), HUSH_ESTATE);
    CHECK_OK(hush_mpc_party_receive(s.roles[1], msg, w));
    CHECK_RC(hush_mpc_party_receive(s.roles[1], msg, w), HUSH_ESTATE);
    /* a too-small output buffer reports the size it needs */
    size_t need = 0;
    CHECK_OK(hush_mpc_party_next_message(s.roles[2], msg, sizeof msg, &w)); /* dealer -> party 1 */
    CHECK_OK(hush_mpc_party_receive(s.roles[1], msg, w));
    CHECK_RC(hush_mpc_party_next_message(s.roles[1], msg, 10, &need), HUSH_ERANGE);
    CHECK(need > 10 && need <= hush_mpc_party_message_bound(s.roles[1]));
    /* the rest of the session still completes */
    CHECK_OK(hush_mpc_run(s.roles, 4, NULL, NULL));
    float lg[2], want[2];
    uint32_t d;
    CHECK_OK(hush_mpc_predict_result(s.roles[3], lg, 2, &d, 1));
    CHECK_OK(hush_model_forward(m, want, 2, x, 1));
    CHECK_NEAR(lg[0], want[0], 1e-3);
    CHECK_NEAR(lg[1], want[1], 1e-3);
    CHECK(d == (want[1] > want[0] ? 1u : 0u));
    session_close(&s);
    /* bad configurations and roles */
    hush_mpc_config c;
    hush_mpc_config_default(&c, HUSH_MPC_PREDICT);
    hush_mpc_party *p = NULL;
    hush_mpc_model *pub = NULL;
    CHECK_OK(hush_mpc_model_public(&pub, m, NULL));
    CHECK_RC(hush_mpc_party_create(&p, &c, 0, pub, NULL, NULL), HUSH_EARG); /* a party needs shares */
    CHECK_RC(hush_mpc_party_create(&p, &c, 5, pub, NULL, NULL), HUSH_EARG);
    c.n_parties = 1;
    CHECK_RC(hush_mpc_party_create(&p, &c, HUSH_MPC_ROLE_DEALER, pub, NULL, NULL), HUSH_EARG);
    c.n_parties = 2, c.frac_bits = 0;
    CHECK_RC(hush_mpc_party_create(&p, &c, HUSH_MPC_ROLE_DEALER, pub, NULL, NULL), HUSH_EARG);
    c.frac_bits = 16, c.protocol = HUSH_MPC_TRAIN; /* training needs a dense/relu net ending in dense:2 */
    CHECK_OK(hush_mpc_party_create(&p, &c, HUSH_MPC_ROLE_DEALER, pub, NULL, NULL));
    hush_mpc_party_free(p);
    CHECK(p != NULL);
    hush_mpc_model_free(pub);
    hush_rng_clear(&r);
    hush_model_free(m);
}

static void test_fault_injection(void) {
    hush_model *m = small_model();
    if (!m) return;
    float x[3] = {0.5f, -1, 2};
    int done = 0;
    for (long k = 1; k < 400 && !done; k++) {
        check_alloc ca = {0, k, 0, 0};
        hush_allocator al = CHECK_ALLOCATOR(ca);
        hush_rng r = seeded(37);
        session s;
        int rc = session_open(&s, m, x, &r, &al);
        if (rc == HUSH_OK) rc = hush_mpc_run(s.roles, 4, NULL, &al);
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
    /* hush_mpc_predict_run and hush_mpc_train_run create and free everything themselves */
    done = 0;
    for (long k = 1; k < 400 && !done; k++) {
        check_alloc ca = {0, k, 0, 0};
        hush_allocator al = CHECK_ALLOCATOR(ca);
        hush_rng r = seeded(41);
        float lg[2];
        uint32_t d;
        int rc = hush_mpc_predict_run(lg, &d, m, x, 1, 2, 16, 1, &r, NULL, &al);
        if (rc == HUSH_OK) done = 1;
        else CHECK_MSG(rc == HUSH_ENOMEM, "allocation %ld: %s", k, hush_status_name(rc));
        CHECK(ca.live_blocks == 0 && ca.live_bytes == 0);
        hush_rng_clear(&r);
    }
    CHECK(done);
    done = 0;
    float xt[4 * 3] = {1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 1};
    uint32_t yt[4] = {0, 1, 1, 0};
    hush_mpc_config c;
    hush_mpc_config_default(&c, HUSH_MPC_TRAIN);
    c.epochs = 1, c.batch = 3, c.lr = 0.1f;
    for (long k = 1; k < 400 && !done; k++) {
        check_alloc ca = {0, k, 0, 0};
        hush_allocator al = CHECK_ALLOCATOR(ca);
        hush_rng r = seeded(43);
        int rc = hush_mpc_train_run(m, &c, xt, yt, 4, &r, NULL, &al);
        if (rc == HUSH_OK) done = 1;
        else CHECK_MSG(rc == HUSH_ENOMEM, "allocation %ld: %s", k, hush_status_name(rc));
        CHECK(ca.live_blocks == 0 && ca.live_bytes == 0);
        hush_rng_clear(&r);
    }
    CHECK(done);
    hush_model_free(m);
}

int main(void) {
    if (hush_init() != HUSH_OK) return 1;
    test_teaching_example();
    test_fixed();
    test_sharing();
    test_beaver();
    test_trunc_distribution();
    test_dcf_and_ltz();
    test_activations();
    test_party_view();
    test_rejected_messages();
    test_fault_injection();
    CHECK_SUMMARY();
}
