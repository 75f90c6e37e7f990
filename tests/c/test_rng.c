/* hush_rng: RFC 8439 keystream vectors, stream semantics, and statistical tests of the samplers
 * with fixed seeds. Each statistical check uses a threshold with a stated false-alarm rate for a
 * correct sampler; with fixed seeds the outcome is deterministic, so a pass stays a pass. */
#include <stdint.h>

#include "check.h"
#include "kat.h"
#include "hush.h"

/* Every case of the RFC 8439 file must come out of hush_rng_init_stream exactly. */
static void test_rfc8439(void) {
    kat_file k;
    CHECK(kat_load(&k, "tests/vectors/rng/chacha20.kat") == 0);
    for (size_t c = 0; c < k.n; c++) {
        size_t nkey = 0, nnonce = 0, nwant = 0;
        unsigned char *key = kat_hex(kat_get(&k.cases[c], "key"), &nkey);
        unsigned char *nonce = kat_hex(kat_get(&k.cases[c], "nonce"), &nnonce);
        unsigned char *want = kat_hex(kat_get(&k.cases[c], "keystream"), &nwant);
        const char *counter = kat_get(&k.cases[c], "counter");
        CHECK(key && nonce && want && counter && nkey == 32 && nnonce == 12 && nwant <= 256);
        if (key && nonce && want && counter && nkey == 32 && nnonce == 12 && nwant <= 256) {
            hush_rng r;
            CHECK_OK(hush_rng_init_stream(&r, key, nonce, (uint32_t)strtoul(counter, NULL, 10)));
            uint8_t got[256];
            /* Odd-sized reads cross the internal buffer boundaries. */
            for (size_t off = 0; off < nwant; off += 7)
                CHECK_OK(hush_rng_bytes(&r, got + off, nwant - off < 7 ? nwant - off : 7));
            CHECK_MSG(memcmp(got, want, nwant) == 0, "case %s", kat_get(&k.cases[c], "name"));
            hush_rng_clear(&r);
        }
        free(key);
        free(nonce);
        free(want);
    }
    CHECK(k.n == 3);
    kat_free(&k);
}

static void test_streams(void) {
    hush_rng a, b, c, d;
    CHECK_OK(hush_rng_init_u64(&a, 42));
    CHECK_OK(hush_rng_init_u64(&b, 42));
    CHECK(hush_rng_u64(&a) == hush_rng_u64(&b));
    CHECK_OK(hush_rng_init_u64(&c, 43));
    CHECK(hush_rng_u64(&a) != hush_rng_u64(&c));

    /* Deriving does not depend on, or advance, the parent's position. */
    CHECK_OK(hush_rng_init_u64(&a, 7));
    CHECK_OK(hush_rng_derive(&c, &a, "init"));
    (void)hush_rng_u64(&a);
    CHECK_OK(hush_rng_derive(&d, &a, "init"));
    CHECK(hush_rng_u64(&c) == hush_rng_u64(&d));
    CHECK_OK(hush_rng_derive(&d, &a, "shuffle"));
    CHECK_OK(hush_rng_derive(&c, &a, "init"));
    CHECK(hush_rng_u64(&c) != hush_rng_u64(&d));
    CHECK_RC(hush_rng_derive(&a, &a, "x"), HUSH_EARG);
    CHECK_RC(hush_rng_derive(&c, &a, NULL), HUSH_EARG);

    /* The stream refuses to wrap its 32-bit block counter instead of repeating keystream. */
    uint8_t key[32] = {1}, nonce[12] = {0}, buf[300];
    CHECK_OK(hush_rng_init_stream(&a, key, nonce, UINT32_MAX - 3));
    CHECK_OK(hush_rng_bytes(&a, buf, 256));
    CHECK_RC(hush_rng_bytes(&a, buf, 1), HUSH_ERANGE);

    /* Clear wipes the key. */
    hush_rng_clear(&b);
    uint8_t zero[32] = {0};
    CHECK(memcmp(b.key, zero, 32) == 0);

    /* Random seeding gives distinct streams. */
    CHECK_OK(hush_rng_init_random(&a));
    CHECK_OK(hush_rng_init_random(&b));
    CHECK(hush_rng_u64(&a) != hush_rng_u64(&b));
}

/* chi-square critical values at p = 0.001 (false alarm 0.1% for a correct sampler). */
static void test_below_uniform(void) {
    hush_rng r;
    CHECK_OK(hush_rng_init_u64(&r, 1));
    enum { K = 10, N = 200000 };
    long count[K] = {0};
    for (int i = 0; i < N; i++) {
        uint64_t v = hush_rng_below(&r, K);
        CHECK(v < K);
        if (v < K) count[v]++;
    }
    double chi = 0, e = (double)N / K;
    for (int k = 0; k < K; k++) chi += (count[k] - e) * (count[k] - e) / e;
    CHECK_MSG(chi < 27.877, "chi2 = %g (df 9, p=0.001 critical 27.877)", chi);

    /* bound = 3*2^62 is where plain modulo is badly biased: 2^64 mod bound = 2^62, so values
     * below 2^62 would come up twice as often and P(v >= bound/2) would be 0.375, not 0.5.
     * The band is 4.4 sigma of the unbiased binomial (sd 70.7). */
    uint64_t bound = (uint64_t)3 << 62, half = (uint64_t)3 << 61;
    long high = 0;
    for (int i = 0; i < 20000; i++) high += hush_rng_below(&r, bound) >= half;
    CHECK_MSG(labs(high - 10000) < 311, "high = %ld", high);
    CHECK(hush_rng_below(&r, 0) == 0);
    CHECK(hush_rng_below(&r, 1) == 0);
}

static double normal_cdf(double x) { return 0.5 * erfc(-x / sqrt(2.0)); }

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void test_normal(void) {
    hush_rng r;
    CHECK_OK(hush_rng_init_u64(&r, 2));
    enum { N = 100000 };
    double *v = malloc(N * sizeof *v);
    double sum = 0, sq = 0;
    for (int i = 0; i < N; i++) {
        v[i] = hush_rng_normal(&r);
        sum += v[i];
        sq += v[i] * v[i];
    }
    double mean = sum / N, var = sq / N - mean * mean;
    /* 5-sigma bands: mean sd 1/sqrt(N), variance sd sqrt(2/N). */
    CHECK_NEAR(mean, 0.0, 5.0 / sqrt(N));
    CHECK_NEAR(var, 1.0, 5.0 * sqrt(2.0 / N));
    /* Kolmogorov-Smirnov against Phi; critical value at alpha = 0.001 is 1.95/sqrt(N). */
    qsort(v, N, sizeof *v, cmp_double);
    double d = 0;
    for (int i = 0; i < N; i++) {
        double f = normal_cdf(v[i]);
        double d1 = fabs(f - (double)i / N), d2 = fabs((double)(i + 1) / N - f);
        if (d1 > d) d = d1;
        if (d2 > d) d = d2;
    }
    CHECK_MSG(d < 1.95 / sqrt(N), "KS D = %g", d);
    free(v);
}

static void test_uniform_bernoulli_shuffle(void) {
    hush_rng r;
    CHECK_OK(hush_rng_init_u64(&r, 3));
    enum { N = 100000 };
    double s = 0;
    int ok = 1;
    for (int i = 0; i < N; i++) {
        double u = hush_rng_uniform(&r), p = hush_rng_uniform_pos(&r);
        ok &= u >= 0 && u < 1 && p > 0 && p < 1;
        s += u;
    }
    CHECK(ok);
    CHECK_NEAR(s / N, 0.5, 5.0 * sqrt(1.0 / 12 / N));

    const double ps[] = {0.0, 1e-300, 0.1, 0.5, 0.9, 1.0};
    for (size_t k = 0; k < sizeof ps / sizeof ps[0]; k++) {
        long hits = 0;
        for (int i = 0; i < N; i++) hits += hush_rng_bernoulli(&r, ps[k]);
        double sd = sqrt(N * ps[k] * (1 - ps[k]));
        CHECK_MSG(fabs(hits - N * ps[k]) <= 5 * sd + 1e-9, "p=%g hits=%ld", ps[k], hits);
    }

    /* Shuffle: a permutation, and each of the 6 orders of 3 items about equally often. */
    long seen[6] = {0};
    for (int i = 0; i < 60000; i++) {
        uint32_t v[3] = {0, 1, 2};
        hush_rng_shuffle_u32(&r, v, 3);
        int code = (int)(v[0] * 2 + (v[1] > v[2]));
        CHECK(v[0] + v[1] + v[2] == 3 && v[0] != v[1]);
        seen[code]++;
    }
    double chi = 0;
    for (int k = 0; k < 6; k++) chi += (seen[k] - 10000.0) * (seen[k] - 10000.0) / 10000.0;
    CHECK_MSG(chi < 20.515, "chi2 = %g (df 5, p=0.001 critical 20.515)", chi);
}

int main(void) {
    test_rfc8439();
    test_streams();
    test_below_uniform();
    test_normal();
    test_uniform_bernoulli_shuffle();
    CHECK_SUMMARY();
}
