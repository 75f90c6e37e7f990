/* hush_rng: RFC 8439 keystream vectors, stream semantics, and statistical tests of the samplers
 * with fixed seeds. Each statistical check uses a threshold with a stated false-alarm rate for a
 * correct sampler; with fixed seeds the outcome is deterministic, so a pass stays a pass. */
#define _POSIX_C_SOURCE 200809L /* alarm(): an endless loop must fail the test, not hang it */
#include <stdint.h>
#include <unistd.h>

#include "check.h"
#include "kat.h"
#include "hush.h"
#include "rng/normal.h"

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
    CHECK_OK(hush_rng_init_stream(&a, key, nonce, UINT32_MAX - 3));
    CHECK_RC(hush_rng_bytes(&a, buf, 300), HUSH_ERANGE); /* more than the stream has, in one read */

    /* Reads of any size, whole buffers or not, give the bytes of one-byte reads. */
    static const size_t sizes[] = {1, 300, 1024, 5, 777, 2048, 256, 3, 512};
    uint8_t big[4926], small[4926];
    CHECK_OK(hush_rng_init_u64(&a, 11));
    CHECK_OK(hush_rng_init_u64(&b, 11));
    size_t tot = 0;
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        CHECK_OK(hush_rng_bytes(&a, big + tot, sizes[i]));
        tot += sizes[i];
    }
    for (size_t i = 0; i < tot; i++) CHECK_OK(hush_rng_bytes(&b, small + i, 1));
    CHECK(tot == sizeof big && memcmp(big, small, tot) == 0);
    CHECK(hush_rng_u64(&a) == hush_rng_u64(&b)); /* and leave the stream at the same place */

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
        uint64_t v = check_below(&r, K);
        CHECK(v < K);
        if (v < K) count[v]++;
    }
    double chi = 0, e = (double)N / K;
    for (int k = 0; k < K; k++) chi += ((double)count[k] - e) * ((double)count[k] - e) / e;
    CHECK_MSG(chi < 27.877, "chi2 = %g (df 9, p=0.001 critical 27.877)", chi);

    /* bound = 3*2^62 is where plain modulo is badly biased: 2^64 mod bound = 2^62, so values
     * below 2^62 would come up twice as often and P(v >= bound/2) would be 0.375, not 0.5.
     * The band is 4.4 sigma of the unbiased binomial (sd 70.7). */
    uint64_t bound = (uint64_t)3 << 62, half = (uint64_t)3 << 61;
    long high = 0;
    for (int i = 0; i < 20000; i++) high += check_below(&r, bound) >= half;
    CHECK_MSG(labs(high - 10000) < 311, "high = %ld", high);
    CHECK(check_below(&r, 0) == 0);
    CHECK(check_below(&r, 1) == 0);
}

static double normal_cdf(double x) { return 0.5 * erfc(-x / sqrt(2.0)); }

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Bytes consumed from a stream so far (counter counts 64-byte blocks already generated). */
static uint64_t consumed(const hush_rng *r) { return r->counter * 64 - (HUSH_RNG_BUF_BYTES - r->pos); }

/* The Ziggurat's rightmost layer edge: every |x| beyond it came from the tail algorithm. */
#define ZIG_R 3.6541528853610088

/* One draw of the double (f32 = 0) or the float sampler. */
static double draw_normal(hush_rng *r, int f32) { return f32 ? hush_rng_normal_f32(r) : hush_rng_normal(r); }

/* Moments and KS against Phi on 10^6 draws of either sampler. Thresholds: 5 sigma for the
 * moments (false alarm about 6e-7 each); the KS critical value at alpha = 0.001 is 1.95/sqrt(N). */
static void test_normal(int f32) {
    hush_rng r;
    CHECK_OK(hush_rng_init_u64(&r, 2));
    enum { N = 1000000 };
    double *v = malloc(N * sizeof *v);
    CHECK(v != NULL);
    if (!v) return;
    double sum = 0, sq = 0, q4 = 0;
    for (int i = 0; i < N; i++) {
        v[i] = draw_normal(&r, f32);
        sum += v[i];
        sq += v[i] * v[i];
        q4 += v[i] * v[i] * v[i] * v[i];
    }
    double mean = sum / N, var = sq / N - mean * mean, kurt = q4 / N;
    /* sd: mean 1/sqrt(N), E x^2 sqrt(2/N), E x^4 sqrt((105 - 9)/N) */
    CHECK_NEAR(mean, 0.0, 5.0 / sqrt(N));
    CHECK_NEAR(var, 1.0, 5.0 * sqrt(2.0 / N));
    CHECK_NEAR(kurt, 3.0, 5.0 * sqrt(96.0 / N));
    qsort(v, N, sizeof *v, cmp_double);
    double d = 0;
    for (int i = 0; i < N; i++) {
        double f = normal_cdf(v[i]);
        double d1 = fabs(f - (double)i / N), d2 = fabs((double)(i + 1) / N - f);
        if (d1 > d) d = d1;
        if (d2 > d) d = d2;
    }
    CHECK_MSG(d < 1.95 / sqrt(N), "KS D = %g (alpha 0.001 critical %g)", d, 1.95 / sqrt(N));
    free(v);
}

/* Tails and the paths that produce them, on 4e6 draws (bulk API).
 * - chi-square of |x| over bins split at 3, 3.25, 3.5, r, 4, 4.5 (expected counts from erfc;
 *   df 6, critical 22.458 at p = 0.001). The bin edge r separates the wedges of the top layers
 *   from the tail algorithm, so a wrong tail or wedge shows up as a mismatch there.
 * - 200 equiprobable bins of the body (df 199, critical 267.0 at p = 0.001): the wedges of all
 *   255 layers lie in the body, so accepting or rejecting wedge points wrongly distorts it.
 * - path counts, by replaying single draws and the words each consumed: one word is the fast
 *   path; |x| > r is the tail (1 + 2t words); anything else took at least one wedge attempt.
 *   Tail frequency must match 2(1 - Phi(r)) within 5 sigma and the wedge path must run. */
static void test_normal_tails(int f32) {
    hush_rng r;
    CHECK_OK(hush_rng_init_u64(&r, 5));
    enum { N = 4000000, CH = 4096, NB = 200 };
    static const double edge[] = {0, 3.0, 3.25, 3.5, ZIG_R, 4.0, 4.5, INFINITY};
    enum { NT = sizeof edge / sizeof edge[0] - 1 };
    long tail[NT] = {0}, body[NB] = {0};
    double *v = malloc(CH * sizeof *v);
    float *vf = malloc(CH * sizeof *vf);
    CHECK(v != NULL && vf != NULL);
    if (!v || !vf) {
        free(v);
        free(vf);
        return;
    }
    for (int done = 0; done < N; done += CH) {
        if (f32) {
            hush_rng_normals_f32(&r, vf, CH);
            for (int k = 0; k < CH; k++) v[k] = vf[k];
        } else {
            hush_rng_normals(&r, v, CH);
        }
        for (int k = 0; k < CH; k++) {
            double a = fabs(v[k]);
            int b = 0;
            while (b < NT - 1 && a >= edge[b + 1]) b++;
            tail[b]++;
            int j = (int)(normal_cdf(v[k]) * NB);
            body[j < 0 ? 0 : j >= NB ? NB - 1 : j]++;
        }
    }
    double chi = 0;
    for (int b = 0; b < NT; b++) {
        double e = N * (erfc(edge[b] / sqrt(2.0)) - (isinf(edge[b + 1]) ? 0.0 : erfc(edge[b + 1] / sqrt(2.0))));
        chi += ((double)tail[b] - e) * ((double)tail[b] - e) / e;
    }
    CHECK_MSG(chi < 22.458, "tail chi2 = %g (df 6, p=0.001 critical 22.458)", chi);
    CHECK(tail[NT - 1] > 0); /* |x| >= 4.5 happens ~27 times in 4e6 */
    chi = 0;
    for (int j = 0; j < NB; j++) {
        double e = (double)N / NB, o = (double)body[j];
        chi += (o - e) * (o - e) / e;
    }
    CHECK_MSG(chi < 267.0, "body chi2 = %g (df 199, p=0.001 critical 267.0)", chi);

    long fast = 0, wedge = 0, tails = 0, bad_tail_words = 0;
    enum { M = 1000000 };
    uint64_t first = f32 ? 4 : 8; /* bytes of the attempt's word; the slow paths read 8-byte words */
    for (int i = 0; i < M; i++) {
        uint64_t before = consumed(&r);
        double x = draw_normal(&r, f32);
        uint64_t bytes = consumed(&r) - before;
        if (fabs(x) > ZIG_R) {
            tails++;
            /* a tail draw: k failed wedge attempts (first + 8 bytes each), the tail's attempt word
             * and t >= 1 pairs of 8-byte words */
            int ok = 0;
            for (uint64_t t = 16; t + first <= bytes; t += 16) ok |= (bytes - first - t) % (first + 8) == 0;
            bad_tail_words += !ok;
        } else if (bytes == first) {
            fast++;
        } else {
            wedge++;
        }
    }
    double p_tail = erfc(ZIG_R / sqrt(2.0)), sd = sqrt(M * p_tail * (1 - p_tail));
    CHECK_MSG(fabs((double)tails - M * p_tail) < 5 * sd, "tail draws %ld, expected %g", tails, M * p_tail);
    CHECK(bad_tail_words == 0);
    /* The fast test fails in about 1% of attempts (mostly wedges); a bug that skipped wedges or
     * sent everything through them would move this far outside the band. */
    CHECK_MSG(wedge > M / 1000 && wedge < M / 20, "wedge draws %ld", wedge);
    CHECK(fast + wedge + tails == M);
    free(v);
    free(vf);
}

/* The wedge squeeze against the exp test it replaces, with long-double libm as the reference:
 * 4000 points per layer spread over the wedge box; every answer the squeeze gives must be the
 * reference's (an error would change the sampler's output), and it must answer for most points
 * (else the exp it saves still runs). Layers straddling x = 1 are left to exp by design. */
static void test_zig_squeeze(void) {
    hush_rng r;
    CHECK_OK(hush_rng_init_u64(&r, 12));
    long wrong = 0, decided = 0, total = 0;
    for (unsigned i = 1; i < 256; i++) {
        double a = hush__rng_zig_x(i - 1), b = hush__rng_zig_x(i);
        CHECK(a < b);
        if (a < 1.0 && b > 1.0) continue;
        double fa = (double)expl(-0.5L * a * a), fb = (double)expl(-0.5L * b * b);
        for (int k = 0; k < 4000; k++) {
            double x = a + (b - a) * hush_rng_uniform(&r), y = fb + (fa - fb) * hush_rng_uniform(&r);
            int s = hush__rng_zig_squeeze(i, x, y);
            total++;
            if (s == 0) continue;
            decided++;
            wrong += (s > 0) != ((long double)y < expl(-0.5L * (long double)x * x));
        }
    }
    CHECK_MSG(wrong == 0, "squeeze disagrees with exp on %ld points", wrong);
    CHECK_MSG(decided > total * 9 / 10, "squeeze decided %ld of %ld", decided, total);
    CHECK(hush__rng_zig_x(255) > 3.65 && hush__rng_zig_x(255) < 3.66); /* r */
}

/* n bulk draws of either sampler into v (vf is scratch for the float one). */
static void draw_normals(hush_rng *r, double *v, float *vf, size_t n, int f32) {
    if (!f32) {
        hush_rng_normals(r, v, n);
        return;
    }
    hush_rng_normals_f32(r, vf, n);
    for (size_t i = 0; i < n; i++) v[i] = vf[i];
}

/* hush_rng_normals(_f32) gives exactly the values and stream position of repeated single draws,
 * for odd sizes, a misaligned read position, and at the end of the 2^32-block stream. */
static void test_normals_bulk(int f32) {
    hush_rng a, b;
    CHECK_OK(hush_rng_init_u64(&a, 9));
    CHECK_OK(hush_rng_init_u64(&b, 9));
    static const size_t sizes[] = {0, 1, 7, 31, 32, 33, 500, 511, 512, 513, 5000, 20000};
    double *v = malloc(20000 * sizeof *v);
    float *vf = malloc(20000 * sizeof *vf);
    CHECK(v != NULL && vf != NULL);
    if (!v || !vf) {
        free(v);
        free(vf);
        return;
    }
    int same = 1;
    for (int round = 0; round < 2; round++) {
        if (round == 1) { /* misalign both streams by 3 bytes */
            uint8_t t[3];
            CHECK_OK(hush_rng_bytes(&a, t, 3));
            CHECK_OK(hush_rng_bytes(&b, t, 3));
        }
        for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
            draw_normals(&a, v, vf, sizes[k], f32);
            for (size_t i = 0; i < sizes[k]; i++) same &= v[i] == draw_normal(&b, f32);
            same &= draw_normal(&a, f32) == draw_normal(&b, f32); /* interleaved single draws */
            same &= consumed(&a) == consumed(&b);
        }
        same &= hush_rng_u64(&a) == hush_rng_u64(&b);
    }
    CHECK_MSG(same, "bulk and single normal sequences differ");

    uint8_t key[32] = {7}, nonce[12] = {0};
    CHECK_OK(hush_rng_init_stream(&a, key, nonce, UINT32_MAX - 15));
    CHECK_OK(hush_rng_init_stream(&b, key, nonce, UINT32_MAX - 15));
    /* 1 KiB left: the rest reads as zero words */
    draw_normals(&a, v, vf, f32 ? 600 : 300, f32);
    same = 1;
    long zeros = 0;
    for (size_t i = 0; i < (f32 ? 600u : 300u); i++) {
        same &= v[i] == draw_normal(&b, f32);
        zeros += v[i] == 0.0;
    }
    CHECK(same);
    CHECK(zeros > 100);
    free(v);
    free(vf);
    hush_rng_normals(NULL, NULL, 5); /* no crash */
    hush_rng_normals_f32(NULL, NULL, 5);
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
        CHECK_MSG(fabs((double)hits - N * ps[k]) <= 5 * sd + 1e-9, "p=%g hits=%ld", ps[k], hits);
    }

    /* Shuffle: a permutation, and each of the 6 orders of 3 items about equally often. */
    long seen[6] = {0};
    for (int i = 0; i < 60000; i++) {
        uint32_t v[3] = {0, 1, 2};
        CHECK_OK(hush_rng_shuffle_u32(&r, v, 3));
        int code = (int)(v[0] * 2 + (v[1] > v[2]));
        CHECK(v[0] + v[1] + v[2] == 3 && v[0] != v[1]);
        seen[code]++;
    }
    double chi = 0;
    for (int k = 0; k < 6; k++) chi += ((double)seen[k] - 10000.0) * ((double)seen[k] - 10000.0) / 10000.0;
    CHECK_MSG(chi < 20.515, "chi2 = %g (df 5, p=0.001 critical 20.515)", chi);
}

/* A spent stream makes every draw fail; nothing loops forever on it (issue 10, point 12: rejection
 * sampling and the exact samplers used to spin on the zero words an exhausted stream returns). */
static void test_exhaustion(void) {
    uint8_t key[32] = {3}, nonce[12] = {0}, buf[256];
    hush_rng a;
    uint64_t v = 7;
    uint32_t perm[10] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
    int64_t z;
    int b;
    CHECK_OK(hush_rng_init_stream(&a, key, nonce, UINT32_MAX - 3)); /* 256 bytes left */
    CHECK_OK(hush_rng_below(&a, &v, 1000));
    CHECK(v < 1000 && !hush_rng_exhausted(&a));
    CHECK_OK(hush_rng_bytes(&a, buf, 248));
    CHECK_RC(hush_rng_below(&a, &v, 1000), HUSH_ERANGE); /* 2^64 mod 1000 != 0: zero words rejected */
    CHECK(hush_rng_exhausted(&a));
    CHECK_RC(hush_rng_below(&a, &v, 1u << 20), HUSH_ERANGE); /* would accept a zero word */
    CHECK_RC(hush_rng_below(&a, &v, 0), HUSH_ERANGE);
    CHECK_RC(hush_rng_bytes(&a, buf, 1), HUSH_ERANGE);
    CHECK_RC(hush_rng_shuffle_u32(&a, perm, 10), HUSH_ERANGE);
    CHECK_RC(hush_dp_discrete_laplace(&a, &z, 3, 1), HUSH_ERANGE);
    CHECK_RC(hush_dp_discrete_gaussian(&a, &z, 10, 1), HUSH_ERANGE);
    CHECK_RC(hush_dp_bernoulli_exp(&a, &b, 1, 3), HUSH_ERANGE);
    CHECK_RC(hush_dp_bernoulli_exp(&a, &b, 5, 2), HUSH_ERANGE);
    (void)hush_rng_normal(&a); /* terminate (with zeros) */
    (void)hush_rng_normal_f32(&a);
    (void)hush_rng_bernoulli(&a, 1e-30);
    CHECK(hush_rng_exhausted(&a));
    /* Not sticky across re-initialisation, and a fresh stream is not exhausted. */
    CHECK_OK(hush_rng_init_stream(&a, key, nonce, 0));
    CHECK(!hush_rng_exhausted(&a));
    CHECK_OK(hush_rng_shuffle_u32(&a, perm, 10));
    CHECK_RC(hush_rng_below(NULL, &v, 3), HUSH_EARG);
    CHECK_RC(hush_rng_below(&a, NULL, 3), HUSH_EARG);
    CHECK(hush_rng_exhausted(NULL));
}

int main(void) {
    alarm(120);
    test_exhaustion();
    test_rfc8439();
    test_streams();
    test_below_uniform();
    test_zig_squeeze();
    for (int f32 = 0; f32 < 2; f32++) {
        test_normal(f32);
        test_normal_tails(f32);
        test_normals_bulk(f32);
    }
    test_uniform_bernoulli_shuffle();
    CHECK_SUMMARY();
}
