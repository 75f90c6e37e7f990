/* hush_secagg_run: one secure-aggregation round with every party in this process (the CLI's
 * `hush secagg sim`, the tests, the bench and hush.secagg.run in JS all call it). Every message
 * goes through the wire encoding, client -> server -> client, exactly as over a network; a
 * client that drops out in round r simply stops sending from r on. */
#include <string.h>

#include <sodium.h>

#include "base/alloc.h"
#include "secagg/sa.h"

typedef struct run {
    const hush_secagg_config *cfg;
    const hush_allocator *alloc;
    const hush_secagg_clock *clock;
    hush_secagg_server *srv;
    hush_secagg_client **cl;
    uint8_t *buf;
    size_t cap;
    uint64_t *up, *down;
    double *secs;
    uint8_t *sign_sks, *sign_pks;
    hush_secagg_stats *st;
} run;

static double now(const run *R) { return R->clock ? R->clock->now(R->clock->ud) : 0; }

static void release(run *R) {
    uint32_t n = R->cfg->n;
    if (R->cl)
        for (uint32_t u = 0; u < n; u++) hush_secagg_client_free(R->cl[u]);
    hush_secagg_server_free(R->srv);
    if (R->sign_sks) sodium_memzero(R->sign_sks, (size_t)n * 64);
    if (R->buf) sodium_memzero(R->buf, R->cap);
    hush__free(R->alloc, R->cl, (size_t)n * sizeof *R->cl);
    hush__free(R->alloc, R->buf, R->cap);
    hush__free(R->alloc, R->up, (size_t)n * 2 * sizeof *R->up);
    hush__free(R->alloc, R->secs, (size_t)n * sizeof *R->secs);
    hush__free(R->alloc, R->sign_sks, (size_t)n * 96);
}

/* Server, clients (keys from rng), the PKI when authenticated, the inputs. */
static int setup(run *R, hush_rng *rng, const uint32_t *inputs) {
    const hush_secagg_config *cfg = R->cfg;
    uint32_t n = cfg->n;
    if (!(R->cl = hush__calloc(R->alloc, n, sizeof *R->cl)) || !(R->up = hush__calloc(R->alloc, 2 * (size_t)n, 8)) ||
        (R->clock && !(R->secs = hush__calloc(R->alloc, n, sizeof *R->secs))) ||
        (cfg->authenticated && !(R->sign_sks = hush__calloc(R->alloc, n, 96))))
        return HUSH_ENOMEM;
    R->down = R->up + n;
    int rc = hush_secagg_server_create(&R->srv, cfg, R->alloc);
    if (rc) return rc;
    R->cap = hush_secagg_server_max_message(R->srv);
    if (!(R->buf = hush__alloc(R->alloc, R->cap))) return HUSH_ENOMEM;
    hush_rng seeds, ids;
    uint8_t seed[32];
    if ((rc = hush_rng_derive(&seeds, rng, "secagg.clients")) != HUSH_OK) return rc;
    if ((rc = hush_rng_derive(&ids, rng, "secagg.identities")) != HUSH_OK) goto out;
    if (cfg->authenticated) {
        R->sign_pks = R->sign_sks + (size_t)n * 64;
        for (uint32_t u = 0; u < n && rc == HUSH_OK; u++)
            if ((rc = hush_rng_bytes(&ids, seed, 32)) == HUSH_OK)
                crypto_sign_seed_keypair(R->sign_pks + (size_t)u * 32, R->sign_sks + (size_t)u * 64, seed);
        if (rc == HUSH_OK) rc = hush_secagg_server_set_identities(R->srv, R->sign_pks, (size_t)n * 32);
    }
    for (uint32_t u = 0; u < n && rc == HUSH_OK; u++) {
        double t0 = now(R);
        if ((rc = hush_rng_bytes(&seeds, seed, 32)) != HUSH_OK) break;
        rc = hush_secagg_client_create(&R->cl[u], cfg, u, seed, 32, R->alloc);
        if (rc == HUSH_OK && cfg->authenticated)
            rc = hush_secagg_client_set_identity(R->cl[u], R->sign_sks + (size_t)u * 64, 64, R->sign_pks,
                                                 (size_t)n * 32);
        if (rc == HUSH_OK) rc = hush_secagg_client_set_input(R->cl[u], inputs + (size_t)u * cfg->dim, cfg->dim);
        if (R->secs) R->secs[u] += now(R) - t0;
    }
out:
    sodium_memzero(seed, sizeof seed);
    hush_rng_clear(&seeds);
    hush_rng_clear(&ids);
    return rc;
}

/* Round r: every client still in it sends, the deadline passes, the server answers. */
static int play_round(run *R, int r, const uint8_t *drop) {
    uint32_t n = R->cfg->n;
    int rc = HUSH_OK;
    for (uint32_t u = 0; u < n && rc == HUSH_OK; u++) {
        if ((drop && drop[u] <= r) || hush_secagg_client_round(R->cl[u]) != r) continue;
        size_t len;
        double t0 = now(R);
        rc = hush_secagg_client_next_message(R->cl[u], R->buf, R->cap, &len);
        double t1 = now(R);
        if (R->secs) R->secs[u] += t1 - t0;
        if (rc || !len) continue;
        R->up[u] += len;
        R->st->messages++;
        rc = hush_secagg_server_receive(R->srv, R->buf, len);
        R->st->server_seconds += now(R) - t1;
    }
    if (rc) return rc;
    double t0 = now(R);
    rc = hush_secagg_server_end_round(R->srv);
    double dt = now(R) - t0;
    R->st->server_seconds += dt;
    if (r == HUSH_SECAGG_ROUND_UNMASK) R->st->unmask_seconds = dt;
    if (rc) {
        R->st->aborted_round = (uint32_t)r;
        R->st->remaining = hush_secagg_server_count(R->srv, (uint32_t)r);
        return rc;
    }
    for (;;) {
        uint32_t to;
        size_t len;
        t0 = now(R);
        rc = hush_secagg_server_next_message(R->srv, &to, R->buf, R->cap, &len);
        double t1 = now(R);
        R->st->server_seconds += t1 - t0;
        if (rc || !len) break;
        R->down[to] += len;
        R->st->messages++;
        int crc = hush_secagg_client_receive(R->cl[to], R->buf, len);
        if (R->secs) R->secs[to] += now(R) - t1;
        /* a client whose neighbourhood fell below t stops by itself; anything else is a bug */
        if (crc && hush_secagg_client_round(R->cl[to]) != HUSH_SECAGG_ABORTED) rc = crc;
        if (rc) break;
    }
    return rc;
}

int hush_secagg_run(const hush_secagg_config *cfg, hush_rng *rng, hush_secagg_stats *stats, uint32_t *sum,
                    size_t sum_len, uint8_t *included, size_t included_len, const uint32_t *inputs, size_t inputs_len,
                    const uint8_t *drop, size_t drop_len, const hush_secagg_clock *clock,
                    const hush_allocator *alloc) {
    if (!hush__alloc_ok(alloc) || !stats || !sum || !inputs || (clock && !clock->now)) return HUSH_EARG;
    int rc = hush_secagg_config_check(cfg);
    if (rc) return rc;
    if (sum_len != cfg->dim || (included && included_len != cfg->n) || (!included && included_len) ||
        (uint64_t)inputs_len != (uint64_t)cfg->n * cfg->dim || (drop ? drop_len != cfg->n : drop_len != 0))
        return HUSH_EARG;
    memset(stats, 0, sizeof *stats);
    stats->aborted_round = HUSH_SECAGG_DONE;
    hush_rng own;
    if (!rng) {
        if ((rc = hush_rng_init_random(&own)) != HUSH_OK) return rc;
        rng = &own;
    }
    run R;
    memset(&R, 0, sizeof R);
    R.cfg = cfg;
    R.alloc = alloc;
    R.clock = clock;
    R.st = stats;
    rc = setup(&R, rng, inputs);
    for (int r = 0; r <= HUSH_SECAGG_ROUND_UNMASK && rc == HUSH_OK; r++) rc = play_round(&R, r, drop);
    if (rc == HUSH_OK) rc = hush_secagg_server_result(R.srv, sum, sum_len, included, included_len);
    if (R.srv) {
        stats->survivors = hush_secagg_server_count(R.srv, HUSH_SECAGG_ROUND_MASKED_INPUT);
        stats->faulty = hush__sa_server_faulty(R.srv);
    }
    if (R.up)
        for (uint32_t u = 0; u < cfg->n; u++) {
            stats->bytes_up += R.up[u];
            stats->bytes_down += R.down[u];
            if (R.up[u] > stats->max_client_bytes_up) stats->max_client_bytes_up = R.up[u];
            if (R.down[u] > stats->max_client_bytes_down) stats->max_client_bytes_down = R.down[u];
            if (R.secs && R.secs[u] > stats->client_seconds_max) stats->client_seconds_max = R.secs[u];
        }
    release(&R);
    if (rng == &own) hush_rng_clear(&own);
    return rc;
}
