/* Secure-aggregation benchmark (not a test): whole rounds in process through hush_secagg_run (the
 * same driver as `hush secagg sim`, the tests and hush.secagg.run), every message through the wire
 * encoding, timed per party through the driver's clock callback.
 *
 * Cases: 100 clients x 100,000 parameters with 10% dropping after their masked input (complete
 * graph, Bonawitz et al.), and 1000 x 10,000 with SecAgg+ (degree 2 ceil(log2 n)). Inputs are
 * 16-bit values, so the ring needs k = 16 + ceil(log2 n) bits for their sum not to wrap; masked
 * inputs travel packed at exactly k bits. Printed: client time (max over clients, summed over
 * rounds), server time, bytes per client, and the expansion factor versus sending the plain
 * vector as 16-bit values, upload alone and upload + download (Bonawitz et al. report 1.73x for
 * 2^10 users x 2^20 16-bit entries); and the server's mask expansion throughput as a fraction of
 * raw libsodium ChaCha20 measured in the same run. The 32-bit ring is shown for comparison (it is
 * what every k cost on the wire before masked inputs were packed).
 *   build: make bench-secagg */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "hush.h"

static double now(void *ud) {
    (void)ud;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double chacha_gbps(void) {
    size_t len = 1 << 22;
    uint8_t *buf = malloc(len), key[32] = {1}, nonce[12] = {0};
    double t0 = now(NULL), bytes = 0;
    while (now(NULL) - t0 < 0.5) {
        crypto_stream_chacha20_ietf(buf, len, nonce, key);
        bytes += (double)len;
    }
    double r = bytes / (now(NULL) - t0) / 1e9;
    free(buf);
    return r;
}

static int bench(const char *name, uint32_t n, uint32_t dim, uint32_t t, uint32_t c, uint32_t nb, uint32_t bits,
                 int drop_round, double drop_frac, double raw) {
    hush_secagg_config cfg;
    if (hush_secagg_config_init(&cfg, n, t, c, dim)) return 1;
    cfg.bits = bits;
    cfg.neighbours = nb;
    memcpy(cfg.session, "hush-bench-sessi", 16);
    if (hush_secagg_config_check(&cfg)) {
        fprintf(stderr, "%s: bad config\n", name);
        return 1;
    }
    uint32_t *x = malloc((size_t)n * dim * 4), *sum = malloc((size_t)dim * 4);
    uint8_t *drop = malloc(n);
    if (!x || !sum || !drop) return 1;
    for (size_t i = 0; i < (size_t)n * dim; i++) x[i] = (uint32_t)(i * 2654435761u) >> 16; /* 16-bit inputs */
    uint32_t ndrop = (uint32_t)(n * drop_frac);
    for (uint32_t u = 0; u < n; u++) drop[u] = u < ndrop ? (uint8_t)drop_round : HUSH_SECAGG_DONE;
    hush_rng rng;
    if (hush_rng_init_u64(&rng, 1)) return 1;
    hush_secagg_clock clock = {now, NULL};
    hush_secagg_stats st;
    double t_all = now(NULL);
    int rc = hush_secagg_run(&cfg, &rng, &st, sum, dim, NULL, 0, x, (size_t)n * dim, drop, n, &clock, NULL);
    t_all = now(NULL) - t_all;
    hush_rng_clear(&rng);
    if (rc) {
        fprintf(stderr, "%s: %s (round %u)\n", name, hush_strerror(rc), st.aborted_round);
        return 2;
    }
    /* masks the server expands: b_u of every survivor, plus pairwise masks of dropped clients */
    uint32_t m = hush_secagg_neighbourhood_size(&cfg), dropped_after_shares = drop_round == 2 ? ndrop : 0;
    double masks = st.survivors + (double)dropped_after_shares * (m - 1);
    double mask_gbps = masks * dim * 4 / st.unmask_seconds / 1e9;
    double plain = dim * 2.0; /* the vector as 16-bit values */
    printf("%-30s n=%-5u dim=%-7u m=%-4u t=%-3u c=%-2u k=%-2u | total %.2f s | client max %.1f ms | server %.1f ms "
           "(unmask %.1f ms) | up %.1f KB down %.1f KB per client | expansion vs 16-bit: up %.2fx, up+down %.2fx "
           "| mask expansion %.2f GB/s = %.0f%% of raw ChaCha20\n",
           name, n, dim, m, t, c, bits, t_all, st.client_seconds_max * 1e3, st.server_seconds * 1e3,
           st.unmask_seconds * 1e3, (double)st.max_client_bytes_up / 1e3, (double)st.max_client_bytes_down / 1e3,
           (double)st.max_client_bytes_up / plain, (double)(st.max_client_bytes_up + st.max_client_bytes_down) / plain,
           mask_gbps, 100 * mask_gbps / raw);
    free(x);
    free(sum);
    free(drop);
    return 0;
}

int main(void) {
    if (hush_init()) return 1;
    double raw = chacha_gbps();
    printf("raw libsodium ChaCha20-IETF keystream: %.2f GB/s\n", raw);
    /* 16-bit inputs of 100 clients need 16 + 7 = 23 bits */
    int rc = bench("bonawitz 10% drop after y", 100, 100000, 51, 0, 0, 23, 3, 0.10, raw);
    if (!rc) rc = bench("  same, 32-bit ring", 100, 100000, 51, 0, 0, 32, 3, 0.10, raw);
    /* SecAgg+: degree 2 ceil(log2 n) = 20, neighbourhood 21, threshold 14 tolerates 6 corrupt
     * clients per neighbourhood (28 > 21 + 6); 16 + 10 = 26 bits */
    if (!rc) rc = bench("secagg+ 5% drop before y", 1000, 10000, 14, 6, 20, 26, 2, 0.05, raw);
    if (rc) fprintf(stderr, "bench failed (%d)\n", rc);
    return rc;
}
