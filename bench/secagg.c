/* Secure-aggregation benchmark (not a test): whole rounds in process, every message through the
 * wire encoding. Cases: 100 clients x 100,000 parameters with 10% dropping after their masked
 * input (complete graph, Bonawitz et al.), and 1000 x 10,000 with SecAgg+ (degree 2 ceil(log2 n)).
 * Prints client time (max over clients, summed over rounds), server time, bytes per client, the
 * expansion factor versus sending the plain vector as 16-bit values (Bonawitz et al. report 1.73x
 * for 2^10 users x 2^20 entries), and the server's mask-expansion throughput as a fraction of raw
 * libsodium ChaCha20 measured in the same run.
 *   build: cc -O2 -Icore/include -Icore/src bench/secagg.c build/native/libhush.a -lsodium -lm */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "hush.h"

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static double chacha_gbps(void) {
    size_t len = 1 << 22;
    uint8_t *buf = malloc(len), key[32] = {1}, nonce[12] = {0};
    double t0 = now(), bytes = 0;
    while (now() - t0 < 0.5) {
        crypto_stream_chacha20_ietf(buf, len, nonce, key);
        bytes += len;
    }
    double r = bytes / (now() - t0) / 1e9;
    free(buf);
    return r;
}

static int bench(const char *name, uint32_t n, uint32_t dim, uint32_t t, uint32_t nb, int drop_round, double drop_frac,
                 double raw) {
    hush_secagg_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.n = n;
    cfg.threshold = t;
    cfg.bits = 32;
    cfg.dim = dim;
    cfg.neighbours = nb;
    memcpy(cfg.session, "hush-bench-sessi", 16);
    if (hush_secagg_config_check(&cfg)) {
        fprintf(stderr, "%s: bad config\n", name);
        return 1;
    }
    hush_secagg_server *s;
    if (hush_secagg_server_create(&s, &cfg, NULL)) return 1;
    hush_secagg_client **cl = calloc(n, sizeof *cl);
    double *ct = calloc(n, sizeof *ct), st = 0, unmask_s = 0;
    uint64_t *up = calloc(n, 8), *down = calloc(n, 8);
    size_t cap = hush_secagg_server_max_message(s);
    uint8_t *buf = malloc(cap);
    uint32_t *x = malloc((size_t)dim * 4);
    for (uint32_t i = 0; i < dim; i++) x[i] = i * 2654435761u;
    double t_all = now();
    for (uint32_t u = 0; u < n; u++) {
        uint8_t seed[32] = {(uint8_t)u, (uint8_t)(u >> 8), 3};
        double t0 = now();
        if (hush_secagg_client_create(&cl[u], &cfg, u, seed, 32, NULL) || hush_secagg_client_set_input(cl[u], x, dim))
            return 1;
        ct[u] += now() - t0;
    }
    uint32_t ndrop = (uint32_t)(n * drop_frac);
    for (int r = 0; r <= 4; r++) {
        for (uint32_t u = 0; u < n; u++) {
            if ((u < ndrop && r >= drop_round) || hush_secagg_client_round(cl[u]) != r) continue;
            size_t len;
            double t0 = now();
            if (hush_secagg_client_next_message(cl[u], buf, cap, &len)) return 2;
            ct[u] += now() - t0;
            up[u] += len;
            t0 = now();
            if (hush_secagg_server_receive(s, buf, len)) return 3;
            st += now() - t0;
        }
        double t0 = now();
        if (hush_secagg_server_end_round(s)) return 4;
        double dt = now() - t0;
        st += dt;
        if (r == 4) unmask_s = dt;
        for (;;) {
            uint32_t to;
            size_t len;
            t0 = now();
            if (hush_secagg_server_next_message(s, &to, buf, cap, &len)) return 5;
            st += now() - t0;
            if (!len) break;
            down[to] += len;
            t0 = now();
            if (hush_secagg_client_receive(cl[to], buf, len)) return 6;
            ct[to] += now() - t0;
        }
    }
    t_all = now() - t_all;
    uint32_t *sum = malloc((size_t)dim * 4);
    if (hush_secagg_server_result(s, sum, dim, NULL, 0)) return 7;
    double cmax = 0;
    uint64_t upmax = 0, downmax = 0;
    for (uint32_t u = 0; u < n; u++) {
        if (ct[u] > cmax) cmax = ct[u];
        if (up[u] > upmax) upmax = up[u];
        if (down[u] > downmax) downmax = down[u];
    }
    /* masks the server expands: b_u of every survivor, plus pairwise masks of dropped clients */
    uint32_t m = hush_secagg_neighbourhood_size(&cfg);
    double masks = hush_secagg_server_count(s, 2) +
                   (double)(hush_secagg_server_count(s, 1) - hush_secagg_server_count(s, 2)) * (m - 1);
    double mask_gbps = masks * dim * 4 / unmask_s / 1e9;
    double expansion = (double)upmax / (dim * 2.0);
    printf("%-28s n=%-5u dim=%-7u m=%-4u t=%-4u | total %.2f s | client max %.1f ms | server %.1f ms "
           "(unmask %.1f ms) | up %.1f KB down %.1f KB per client | expansion vs 16-bit %.2fx (vs 32-bit %.2fx) "
           "| mask expansion %.2f GB/s = %.0f%% of raw ChaCha20\n",
           name, n, dim, m, t, t_all, cmax * 1e3, st * 1e3, unmask_s * 1e3, upmax / 1e3, downmax / 1e3, expansion,
           expansion / 2, mask_gbps, 100 * mask_gbps / raw);
    for (uint32_t u = 0; u < n; u++) hush_secagg_client_free(cl[u]);
    hush_secagg_server_free(s);
    free(cl);
    free(ct);
    free(up);
    free(down);
    free(buf);
    free(x);
    free(sum);
    return 0;
}

int main(void) {
    if (hush_init()) return 1;
    double raw = chacha_gbps();
    printf("raw libsodium ChaCha20-IETF keystream: %.2f GB/s\n", raw);
    int rc = bench("bonawitz 10% drop after y", 100, 100000, 51, 0, 3, 0.10, raw);
    /* SecAgg+: degree 2 ceil(log2 n) = 20, neighbourhood 21, threshold 11 */
    if (!rc) rc = bench("secagg+ 5% drop before y", 1000, 10000, 14, 20, 2, 0.05, raw);
    if (rc) fprintf(stderr, "bench failed (%d)\n", rc);
    return rc;
}
