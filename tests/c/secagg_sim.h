/* In-process secure-aggregation round for the tests: every message goes through the real wire
 * encoding, client -> server -> client. drop[u] = first round in which client u sends nothing
 * (5 = never drops). */
#ifndef HUSH_TEST_SECAGG_SIM_H
#define HUSH_TEST_SECAGG_SIM_H

#include <stdlib.h>
#include <string.h>

#include "hush/secagg.h"

typedef struct sim_opts {
    const int *drop;               /* n entries or NULL */
    const uint8_t *sign_sks;       /* n * 64 (authenticated) */
    const uint8_t *sign_pks;       /* n * 32 */
    uint32_t seed_base;            /* client u's seed is derived from (seed_base, u) */
    uint32_t *y_out;               /* n * dim: masked inputs as the server saw them (optional) */
} sim_opts;

static void sim_seed(uint8_t seed[32], uint32_t base, uint32_t u) {
    memset(seed, 0, 32);
    memcpy(seed, &base, 4);
    memcpy(seed + 4, &u, 4);
    seed[31] = 0x5a;
}

/* Returns HUSH_OK and the result, or the first error (an abort shows up as HUSH_ESTATE). */
static int sim_run(const hush_secagg_config *cfg, const uint32_t *x, const sim_opts *o, uint32_t *sum,
                   uint8_t *included) {
    uint32_t n = cfg->n;
    hush_secagg_server *srv = NULL;
    hush_secagg_client **cl = calloc(n, sizeof *cl);
    int rc = hush_secagg_server_create(&srv, cfg, NULL);
    size_t cap = rc ? 0 : hush_secagg_server_max_message(srv);
    uint8_t *buf = malloc(cap + 1);
    for (uint32_t u = 0; u < n && rc == HUSH_OK; u++) {
        uint8_t seed[32];
        sim_seed(seed, o->seed_base, u);
        rc = hush_secagg_client_create(&cl[u], cfg, u, seed, 32, NULL);
        if (rc == HUSH_OK && cfg->authenticated)
            rc = hush_secagg_client_set_identity(cl[u], o->sign_sks + 64 * (size_t)u, 64, o->sign_pks, (size_t)n * 32);
        if (rc == HUSH_OK) rc = hush_secagg_client_set_input(cl[u], x + (size_t)u * cfg->dim, cfg->dim);
    }
    for (int r = 0; r <= 4 && rc == HUSH_OK; r++) {
        for (uint32_t u = 0; u < n && rc == HUSH_OK; u++) {
            if ((o->drop && o->drop[u] <= r) || hush_secagg_client_round(cl[u]) != r) continue;
            size_t len;
            rc = hush_secagg_client_next_message(cl[u], buf, cap, &len);
            if (rc == HUSH_OK && len) {
                if (r == 2 && o->y_out) {
                    for (uint32_t i = 0; i < cfg->dim; i++) {
                        const uint8_t *q = buf + HUSH_SECAGG_HEADERBYTES + 5 + (size_t)i * ((cfg->bits + 7) / 8);
                        uint32_t v = 0;
                        for (uint32_t b = 0; b < (cfg->bits + 7) / 8; b++) v |= (uint32_t)q[b] << (8 * b);
                        o->y_out[(size_t)u * cfg->dim + i] = v;
                    }
                }
                rc = hush_secagg_server_receive(srv, buf, len);
            }
        }
        if (rc) break;
        rc = hush_secagg_server_end_round(srv);
        for (;;) {
            if (rc) break;
            uint32_t to;
            size_t len;
            rc = hush_secagg_server_next_message(srv, &to, buf, cap, &len);
            if (rc || !len) break;
            int crc = hush_secagg_client_receive(cl[to], buf, len);
            if (crc != HUSH_OK && hush_secagg_client_round(cl[to]) != HUSH_SECAGG_ABORTED) rc = crc;
        }
    }
    if (rc == HUSH_OK) rc = hush_secagg_server_result(srv, sum, cfg->dim, included, n);
    for (uint32_t u = 0; u < n; u++) hush_secagg_client_free(cl[u]);
    hush_secagg_server_free(srv);
    free(cl);
    free(buf);
    return rc;
}

#endif
