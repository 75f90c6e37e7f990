/* Secure aggregation (hush/secagg.h).
 *
 * Correctness: through hush_secagg_run the unmasked sum equals the plain modular sum for several
 * n, ring sizes and SecAgg+ graphs, with dropouts in every round, exactly t survivors and t - 1
 * (clean abort), authenticated or not; the server's view is uniform and independent of the
 * inputs; Shamir over GF(2^61-1); known answers shared with the Node tests; fault injection.
 *
 * Attacks (issue 10), each played by this file as the adversary, each shown to work where the
 * declared bounds are exceeded (so the attack code is not vacuous) and to fail within them:
 *  1. split view: a malicious server and one colluding client show "0 alive" to one group and
 *     "0 dropped" to another and collect both secrets of client 0; and the "U2 signed by
 *     nobody" route, where client 0 is told only colluders shared keys with it;
 *  2. a low-order, duplicate or badly signed key must be refused by the server, a bad
 *     consistency signature too, and a ciphertext a client cannot open must not stop it;
 *  3. a seed reused across sessions must not let the server combine two rounds;
 *  4. a corrupted share, or shares inconsistent with the dealer's commitment, must be caught and
 *     the culprit named;
 *  6. masked inputs travel at exactly k bits;
 * 11. the Shamir rng and the signing key do not survive in the handle.
 * (Point 5, the 32-bit layouts, is tests/c/test_secagg_sizes.c, also run under WASI.) */
#include <sodium.h>

#include "check.h"
#include "kat.h"
#include "hush.h"
#include "hush/secagg.h"
#include "io/buf.h"
#include "io/secaggwire.h"
#include "secagg/sa.h"

#define HB HUSH_SECAGG_HEADER_BYTES
#define NEVER HUSH_SECAGG_DONE

static uint32_t lcg(uint32_t *s) { return *s = *s * 1664525u + 1013904223u; }

static void inputs(uint32_t *x, size_t len, uint32_t bits, uint32_t seed) {
    uint32_t mask = bits >= 32 ? 0xffffffffu : (1u << bits) - 1;
    for (size_t i = 0; i < len; i++) x[i] = (lcg(&seed) ^ lcg(&seed) >> 7) & mask;
}

static void session_of(hush_secagg_config *cfg, const char *s16) { memcpy(cfg->session, s16, 16); }

/* ---------------------------------------------------------------------------------------------
 * Whole rounds through the driver */

/* Runs a round and compares with the plain sum over the clients that did not drop before
 * round 2. Returns the run's status. */
static int round_ok(const hush_secagg_config *cfg, const uint8_t *drop, const char *what) {
    size_t nd = (size_t)cfg->n * cfg->dim;
    uint32_t *x = malloc(nd * 4), *sum = calloc(cfg->dim, 4), *want = calloc(cfg->dim, 4);
    uint8_t *inc = calloc(cfg->n, 1);
    inputs(x, nd, cfg->bits, cfg->n * 7919u + cfg->dim);
    uint32_t mask = cfg->bits >= 32 ? 0xffffffffu : (1u << cfg->bits) - 1;
    for (uint32_t u = 0; u < cfg->n; u++)
        if (!drop || drop[u] > 2)
            for (uint32_t i = 0; i < cfg->dim; i++) want[i] = (want[i] + x[(size_t)u * cfg->dim + i]) & mask;
    hush_rng rng;
    CHECK_OK(hush_rng_init_u64(&rng, cfg->n + 1000u * cfg->dim));
    hush_secagg_stats st;
    int rc = hush_secagg_run(cfg, &rng, &st, sum, cfg->dim, inc, cfg->n, x, nd, drop, drop ? cfg->n : 0, NULL, NULL);
    if (rc == HUSH_OK) {
        CHECK_MSG(memcmp(sum, want, cfg->dim * 4) == 0, "%s: sum differs from plain sum", what);
        uint32_t k = 0;
        for (uint32_t u = 0; u < cfg->n; u++) {
            CHECK_MSG(inc[u] == (!drop || drop[u] > 2), "%s: included[%u]", what, u);
            k += inc[u];
        }
        CHECK(st.survivors == k && st.aborted_round == HUSH_SECAGG_DONE && st.faulty == 0);
    } else {
        CHECK(st.aborted_round <= HUSH_SECAGG_ROUND_UNMASK);
    }
    hush_rng_clear(&rng);
    free(x);
    free(sum);
    free(want);
    free(inc);
    return rc;
}

static void test_sizes(void) {
    static const uint32_t ns[] = {2, 3, 10, 100}, dims[] = {17, 33, 100, 6}, ts[] = {2, 2, 6, 51};
    for (int i = 0; i < 4; i++) {
        hush_secagg_config cfg;
        CHECK_OK(hush_secagg_config_init(&cfg, ns[i], ts[i], 0, dims[i]));
        char what[64];
        snprintf(what, sizeof what, "n=%u", ns[i]);
        CHECK_OK(round_ok(&cfg, NULL, what));
    }
    /* other ring sizes, packed at exactly k bits */
    static const uint32_t bits[] = {1, 7, 13, 16, 23, 31};
    for (int i = 0; i < 6; i++) {
        hush_secagg_config cfg;
        CHECK_OK(hush_secagg_config_init(&cfg, 4, 3, 0, 50));
        cfg.bits = bits[i];
        char what[64];
        snprintf(what, sizeof what, "bits=%u", bits[i]);
        CHECK_OK(round_ok(&cfg, NULL, what));
    }
}

static void test_dropouts(void) {
    hush_secagg_config cfg;
    CHECK_OK(hush_secagg_config_init(&cfg, 10, 6, 0, 40));
    for (int r = 0; r <= 4; r++) {
        uint8_t drop[10];
        memset(drop, NEVER, sizeof drop);
        drop[1] = drop[7] = (uint8_t)r;
        char what[64];
        snprintf(what, sizeof what, "drop 2 at round %d", r);
        CHECK_OK(round_ok(&cfg, drop, what));
        /* exactly t survivors */
        for (int u = 0; u < 10; u++) drop[u] = u < 4 ? (uint8_t)r : NEVER;
        snprintf(what, sizeof what, "t survivors, round %d", r);
        CHECK_OK(round_ok(&cfg, drop, what));
        /* t - 1: abort */
        for (int u = 0; u < 10; u++) drop[u] = u < 5 ? (uint8_t)r : NEVER;
        snprintf(what, sizeof what, "t-1 survivors, round %d", r);
        CHECK_RC(round_ok(&cfg, drop, what), HUSH_ESTATE);
    }
    /* mixed: dropouts in several rounds */
    uint8_t drop[10] = {NEVER, 0, NEVER, 1, NEVER, 2, NEVER, NEVER, NEVER, NEVER};
    CHECK_OK(round_ok(&cfg, drop, "mixed"));
    /* 100 clients, 10% dropping after the masked input, 10% before */
    uint8_t d100[100];
    for (int u = 0; u < 100; u++) d100[u] = u % 10 == 3 ? 3 : u % 10 == 6 ? 1 : NEVER;
    CHECK_OK(hush_secagg_config_init(&cfg, 100, 51, 0, 5));
    CHECK_OK(round_ok(&cfg, d100, "n=100 drops"));
    /* the abort is reported with its round and the clients left */
    uint32_t x[40] = {0}, sum[4];
    hush_secagg_stats st;
    uint8_t d5[10] = {2, 2, 2, 2, 2, NEVER, NEVER, NEVER, NEVER, NEVER};
    CHECK_OK(hush_secagg_config_init(&cfg, 10, 6, 0, 4));
    CHECK_RC(hush_secagg_run(&cfg, NULL, &st, sum, 4, NULL, 0, x, 40, d5, 10, NULL, NULL), HUSH_ESTATE);
    CHECK(st.aborted_round == 2 && st.remaining == 5);
}

static void test_secagg_plus(void) {
    hush_secagg_config cfg;
    CHECK_OK(hush_secagg_config_init(&cfg, 40, 6, 1, 30));
    cfg.neighbours = 8;
    CHECK_RC(hush_secagg_config_check(&cfg), HUSH_EARG); /* a fixed, predictable graph */
    session_of(&cfg, "secagg+ session!");
    CHECK_OK(hush_secagg_config_check(&cfg));
    CHECK(hush_secagg_neighbourhood_size(&cfg) == 9);
    /* the graph is symmetric and 8-regular */
    uint32_t row[9], row2[9];
    size_t cnt;
    int sym = 1;
    for (uint32_t u = 0; u < 40; u++) {
        CHECK_OK(hush_secagg_neighbourhood(&cfg, row, 9, &cnt, u, NULL));
        for (size_t j = 0; j < cnt; j++) {
            CHECK_OK(hush_secagg_neighbourhood(&cfg, row2, 9, &cnt, row[j], NULL));
            int found = 0;
            for (size_t k = 0; k < cnt; k++) found |= row2[k] == u;
            sym &= found;
        }
    }
    CHECK(sym);
    CHECK_RC(hush_secagg_neighbourhood(&cfg, row, 8, &cnt, 0, NULL), HUSH_ERANGE);
    CHECK_OK(round_ok(&cfg, NULL, "secagg+"));
    uint8_t drop[40];
    for (int u = 0; u < 40; u++) drop[u] = u % 10 == 2 ? 3 : u % 13 == 5 ? 1 : NEVER;
    CHECK_OK(round_ok(&cfg, drop, "secagg+ drops"));
    /* one more dropout after the masked input leaves client 6's neighbourhood with 5 < t
     * revealers: the round aborts at unmasking, with no sum */
    for (int u = 0; u < 40; u++) drop[u] = u % 9 == 2 ? 3 : u % 13 == 5 ? 1 : NEVER;
    CHECK_RC(round_ok(&cfg, drop, "secagg+ too many drops"), HUSH_ESTATE);
    /* the bounds hold per neighbourhood (m = 9) */
    cfg.threshold = 5; /* 2t = 10 <= m + c = 10 */
    CHECK_RC(hush_secagg_config_check(&cfg), HUSH_ERANGE);
    cfg.threshold = 10; /* t > m */
    CHECK_RC(hush_secagg_config_check(&cfg), HUSH_ERANGE);
}

static void test_authenticated(void) {
    hush_secagg_config cfg;
    CHECK_OK(hush_secagg_config_init(&cfg, 6, 5, 1, 20));
    cfg.authenticated = 1;
    CHECK_RC(hush_secagg_config_check(&cfg), HUSH_EARG); /* all-zero session */
    session_of(&cfg, "authenticated-06");
    uint8_t drop[6] = {NEVER, NEVER, 3, NEVER, NEVER, NEVER};
    CHECK_OK(round_ok(&cfg, drop, "authenticated"));
    /* a client refuses to start without its identity, and a key that is not its PKI entry */
    uint8_t sks[2 * 64], pks[6 * 32] = {0};
    for (int u = 0; u < 2; u++) {
        uint8_t seed[32] = {(uint8_t)u, 1, 2, 3};
        crypto_sign_seed_keypair(pks + 32 * u, sks + 64 * u, seed);
    }
    hush_secagg_client *c;
    uint8_t seed[32] = {0}, buf[512];
    size_t len;
    CHECK_OK(hush_secagg_client_create(&c, &cfg, 0, seed, 32, NULL));
    CHECK_RC(hush_secagg_client_next_message(c, buf, sizeof buf, &len), HUSH_ESTATE);
    CHECK_RC(hush_secagg_client_set_identity(c, sks + 64, 64, pks, sizeof pks), HUSH_EARG);
    hush_secagg_client_free(c);
    /* nor does a server accept anything before it has the PKI */
    hush_secagg_server *s;
    CHECK_OK(hush_secagg_server_create(&s, &cfg, NULL));
    CHECK_OK(hush_secagg_client_create(&c, &cfg, 0, seed, 32, NULL));
    CHECK_OK(hush_secagg_client_set_identity(c, sks, 64, pks, sizeof pks));
    CHECK_OK(hush_secagg_client_next_message(c, buf, sizeof buf, &len));
    CHECK_RC(hush_secagg_server_receive(s, buf, len), HUSH_ESTATE);
    CHECK_OK(hush_secagg_server_set_identities(s, pks, sizeof pks));
    CHECK_OK(hush_secagg_server_receive(s, buf, len));
    CHECK_RC(hush_secagg_server_set_identities(s, pks, sizeof pks), HUSH_ESTATE);
    hush_secagg_server_free(s);
    hush_secagg_client_free(c);
}

/* The declared bounds (Bonawitz et al.): 2t > m + c and t - c >= k_min, and the config idiom. */
static void test_config(void) {
    hush_secagg_config cfg;
    memset(&cfg, 0, sizeof cfg);
    CHECK_RC(hush_secagg_config_check(&cfg), HUSH_EARG); /* zeroed: no version */
    CHECK_RC(hush_secagg_config_init(&cfg, 1, 1, 0, 4), HUSH_EARG);
    CHECK_RC(hush_secagg_config_init(&cfg, 5, 6, 0, 4), HUSH_EARG);
    CHECK_RC(hush_secagg_config_init(&cfg, 5, 3, 5, 4), HUSH_EARG);
    CHECK_RC(hush_secagg_config_init(&cfg, 5, 3, 0, 0), HUSH_EARG);
    CHECK_RC(hush_secagg_config_init(NULL, 5, 3, 0, 4), HUSH_EARG);
    CHECK_OK(hush_secagg_config_init(&cfg, 5, 3, 0, 4));
    CHECK(cfg.version == HUSH_SECAGG_CONFIG_VERSION && cfg.min_honest == 2 && cfg.bits == 32);
    CHECK_OK(hush_secagg_config_check(&cfg));
    cfg.version = 1;
    CHECK_RC(hush_secagg_config_check(&cfg), HUSH_EARG);
    /* n = 5: the smallest t the old code accepted (2t = m + 1) tolerates no corrupt client */
    static const struct { uint32_t t, c, kmin; int ok; } cases[] = {
        {3, 0, 2, 1}, {3, 1, 2, 0}, {4, 1, 2, 1}, {4, 2, 2, 1}, {4, 3, 2, 0}, {5, 3, 2, 1},
        {5, 3, 3, 0}, {4, 2, 3, 0}, {5, 4, 1, 1}, {5, 4, 2, 0}, {2, 0, 2, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        CHECK_OK(hush_secagg_config_init(&cfg, 5, cases[i].t, cases[i].c, 4));
        cfg.min_honest = cases[i].kmin;
        CHECK_MSG((hush_secagg_config_check(&cfg) == HUSH_OK) == cases[i].ok, "t=%u c=%u k=%u", cases[i].t, cases[i].c,
                  cases[i].kmin);
        if (!cases[i].ok) {
            hush_secagg_server *s = NULL;
            hush_secagg_client *c = NULL;
            CHECK_RC(hush_secagg_server_create(&s, &cfg, NULL), HUSH_ERANGE);
            CHECK_RC(hush_secagg_client_create(&c, &cfg, 0, NULL, 0, NULL), HUSH_ERANGE);
        }
    }
    /* a fresh session is random; the all-zero one is refused where it matters */
    uint8_t s1[16], s2[16], zero[16] = {0};
    CHECK_OK(hush_secagg_session_random(s1));
    CHECK_OK(hush_secagg_session_random(s2));
    CHECK(memcmp(s1, s2, 16) != 0 && memcmp(s1, zero, 16) != 0);
    CHECK_RC(hush_secagg_session_random(NULL), HUSH_EARG);
    CHECK_OK(hush_secagg_config_init(&cfg, 12, 5, 0, 4));
    cfg.neighbours = 6;
    CHECK_RC(hush_secagg_config_check(&cfg), HUSH_EARG);
    memcpy(cfg.session, s1, 16);
    CHECK_OK(hush_secagg_config_check(&cfg));
}

/* ---------------------------------------------------------------------------------------------
 * A hand-driven network: the real server and clients, every message kept, so a test can tamper
 * with one or play a malicious server. Client u's seed is {u, base}; extra copies of a client
 * (same seed and identity) model a corrupt client that answers two views. */
#define NMAX 8

typedef struct net {
    hush_secagg_config cfg;
    uint32_t n, copies; /* slots n..n+copies-1 are copies of client `copy_of` */
    uint32_t copy_of;
    hush_secagg_server *s;
    hush_secagg_client *c[NMAX + 2];
    uint8_t sks[NMAX * 64], pks[NMAX * 32];
    uint8_t seeds[NMAX][32];
    uint32_t *x[NMAX];
    uint8_t *up[NMAX + 2], *down[NMAX + 2];
    size_t up_len[NMAX + 2], down_len[NMAX + 2], cap;
} net;

static uint32_t id_of(const net *h, uint32_t slot) { return slot < h->n ? slot : h->copy_of; }

static void net_init(net *h, const hush_secagg_config *cfg, uint8_t base, uint32_t copies, uint32_t copy_of) {
    memset(h, 0, sizeof *h);
    h->cfg = *cfg;
    h->n = cfg->n;
    h->copies = copies;
    h->copy_of = copy_of;
    for (uint32_t u = 0; u < h->n; u++) {
        uint8_t seed[32] = {(uint8_t)u, 0x51, base};
        crypto_sign_seed_keypair(h->pks + 32 * u, h->sks + 64 * u, seed);
        memset(h->seeds[u], 0, 32);
        h->seeds[u][0] = (uint8_t)u;
        h->seeds[u][1] = base;
        h->x[u] = malloc((size_t)cfg->dim * 4);
        inputs(h->x[u], cfg->dim, cfg->bits, 1000u * base + u);
    }
    CHECK_OK(hush_secagg_server_create(&h->s, cfg, NULL));
    if (cfg->authenticated) CHECK_OK(hush_secagg_server_set_identities(h->s, h->pks, 32 * (size_t)h->n));
    h->cap = hush_secagg_server_max_message(h->s) + 64;
    for (uint32_t k = 0; k < h->n + copies; k++) {
        uint32_t u = id_of(h, k);
        CHECK_OK(hush_secagg_client_create(&h->c[k], cfg, u, h->seeds[u], 32, NULL));
        if (cfg->authenticated)
            CHECK_OK(hush_secagg_client_set_identity(h->c[k], h->sks + 64 * u, 64, h->pks, 32 * (size_t)h->n));
        CHECK_OK(hush_secagg_client_set_input(h->c[k], h->x[u], cfg->dim));
        h->up[k] = calloc(h->cap, 1);
        h->down[k] = calloc(h->cap, 1);
    }
}

static void net_free(net *h) {
    for (uint32_t k = 0; k < h->n + h->copies; k++) {
        hush_secagg_client_free(h->c[k]);
        free(h->up[k]);
        free(h->down[k]);
    }
    for (uint32_t u = 0; u < h->n; u++) free(h->x[u]);
    hush_secagg_server_free(h->s);
}

/* Client slot k's pending message into up[k]. */
static int net_send(net *h, uint32_t k) { return hush_secagg_client_next_message(h->c[k], h->up[k], h->cap, &h->up_len[k]); }

/* Every original client in round r sends, the server receives; copies send too (kept, never
 * delivered: they are byte-identical to the original's). */
static void net_up(net *h) {
    for (uint32_t k = 0; k < h->n + h->copies; k++) {
        if (hush_secagg_client_round(h->c[k]) != hush_secagg_server_round(h->s)) continue;
        CHECK_OK(net_send(h, k));
        if (k < h->n && h->up_len[k]) CHECK_OK(hush_secagg_server_receive(h->s, h->up[k], h->up_len[k]));
    }
}

/* Deadline, then the server's replies kept in down[] (copies get the original's). */
static int net_end(net *h) {
    int rc = hush_secagg_server_end_round(h->s);
    for (uint32_t k = 0; k < h->n + h->copies; k++) h->down_len[k] = 0;
    for (;;) {
        uint32_t to;
        size_t len;
        uint8_t *tmp = malloc(h->cap);
        CHECK_OK(hush_secagg_server_next_message(h->s, &to, tmp, h->cap, &len));
        if (len) {
            memcpy(h->down[to], tmp, len);
            h->down_len[to] = len;
            for (uint32_t k = h->n; k < h->n + h->copies; k++)
                if (to == h->copy_of) {
                    memcpy(h->down[k], tmp, len);
                    h->down_len[k] = len;
                }
        }
        free(tmp);
        if (!len) break;
    }
    return rc;
}

static void net_down(net *h) {
    for (uint32_t k = 0; k < h->n + h->copies; k++)
        if (h->down_len[k]) CHECK_OK(hush_secagg_client_receive(h->c[k], h->down[k], h->down_len[k]));
}

/* A whole honest round from wherever the net is. */
static int net_finish(net *h) {
    int rc = HUSH_OK;
    while (rc == HUSH_OK && hush_secagg_server_round(h->s) <= HUSH_SECAGG_ROUND_UNMASK) {
        net_up(h);
        rc = net_end(h);
        if (rc == HUSH_OK) net_down(h);
    }
    return rc;
}

/* The masked input y of an up-2 message. */
static void masked_of(const hush_secagg_config *cfg, const uint8_t *msg, size_t len, uint32_t *y) {
    hush__saw_msg m;
    CHECK_OK(hush__saw_decode(&m, msg, len, cfg));
    memset(y, 0, (size_t)cfg->dim * 4);
    hush__saw_add_values(y, &m, cfg->bits);
}

/* What a corrupt client knows about itself: its keys and self mask, derived as client.c does. */
static void own_secrets(const hush_secagg_config *cfg, uint32_t id, const uint8_t seed[32], uint8_t s_sk[32],
                        uint8_t s_pk[32], uint8_t b[32]) {
    hush_rng master, child;
    uint8_t k[32], c_pk[32], c_sk[32];
    CHECK_OK(hush__sa_client_master(&master, seed, cfg, id));
    CHECK_OK(hush_rng_derive(&child, &master, "secagg.keys"));
    CHECK_OK(hush_rng_bytes(&child, k, 32));
    crypto_kx_seed_keypair(c_pk, c_sk, k);
    CHECK_OK(hush_rng_bytes(&child, k, 32));
    crypto_kx_seed_keypair(s_pk, s_sk, k);
    CHECK_OK(hush_rng_bytes(&child, b, 32));
    hush_rng_clear(&child);
    hush_rng_clear(&master);
}

/* Shares of `owner` of `kind` in an up-4 message, appended to shares/ids (at most t kept). */
static void collect(const hush_secagg_config *cfg, const uint8_t *msg, size_t len, uint32_t owner, int kind,
                    const uint8_t **shares, uint32_t *ids, uint32_t *k) {
    hush__saw_msg m;
    if (!len || hush__saw_decode(&m, msg, len, cfg) != HUSH_OK) return;
    for (uint32_t i = 0; i < m.count; i++) {
        const uint8_t *e = hush__saw_entry(&m, i);
        if (hush__saw_id(&m, i) != owner || e[0] != kind || *k >= cfg->threshold) continue;
        for (uint32_t j = 0; j < *k; j++)
            if (ids[j] == m.sender) return;
        shares[*k] = e + 1;
        ids[(*k)++] = m.sender;
    }
}

/* A malicious server's own U3 (round 3) and U4 (round 4) messages. */
static size_t forge_u3(const hush_secagg_config *cfg, uint8_t *out, uint32_t to, uint32_t bitmap) {
    size_t bl = ((size_t)cfg->n + 7) / 8;
    hush__saw_header(out, cfg, HUSH__SAW_DOWN, 3, HUSH_SECAGG_SERVER_ID, to, 4 + bl);
    hush__store32_le(out + HB, cfg->n);
    for (size_t i = 0; i < bl; i++) out[HB + 4 + i] = (uint8_t)(bitmap >> (8 * i));
    return HB + 4 + bl;
}
static size_t forge_u4(const hush_secagg_config *cfg, uint8_t *out, uint32_t to, const uint32_t *ids, uint32_t k,
                       uint8_t (*sigs)[64]) {
    size_t es = cfg->authenticated ? 68 : 4;
    hush__saw_header(out, cfg, HUSH__SAW_DOWN, 4, HUSH_SECAGG_SERVER_ID, to, 4 + k * es);
    hush__store32_le(out + HB, k);
    for (uint32_t i = 0; i < k; i++) {
        hush__store32_le(out + HB + 4 + es * i, ids[i]);
        if (cfg->authenticated) memcpy(out + HB + 8 + es * i, sigs[i], 64);
    }
    return HB + 4 + k * es;
}

/* y - PRG(b) - the pairwise masks of `u` with each v in peers (s_uv from v's key s_sk_v). */
static void unmask_one(const hush_secagg_config *cfg, uint32_t *y, uint32_t u, const uint8_t b[32],
                       const uint32_t *peers, uint32_t np, uint8_t (*peer_s_sk)[32], uint8_t (*peer_s_pk)[32],
                       const uint8_t u_s_pk[32]) {
    hush__sa_prg_add(y, cfg->dim, cfg->bits, b, -1);
    for (uint32_t i = 0; i < np; i++) {
        uint8_t seed[32];
        CHECK_OK(hush__sa_mask_seed(seed, cfg, peers[i], u, peer_s_sk[i], peer_s_pk[i], u_s_pk));
        hush__sa_prg_add(y, cfg->dim, cfg->bits, seed, peers[i] > u ? -1 : 1);
    }
}

/* ---------------------------------------------------------------------------------------------
 * Point 1: split view. n = 5, honest 0..3, client 4 corrupt (two copies: slots 4 and 5). After an
 * honest first half, the server shows group A = {0, 1, 4} "everyone survived" and group B =
 * {2, 3, 4'} "client 0 dropped", forwards each group its own signatures (4 signs both views) and
 * collects b_0's shares from A and s_sk_0's from B. Returns 1 if it recovered x_0. */
static int split_view(uint32_t t, uint32_t c_declared) {
    hush_secagg_config cfg;
    CHECK_OK(hush_secagg_config_init(&cfg, 5, t, c_declared, 16));
    cfg.authenticated = 1;
    session_of(&cfg, "split-view-sessi");
    if (hush_secagg_config_check(&cfg) != HUSH_OK) return -1;
    net h;
    net_init(&h, &cfg, 7, 1, 4);
    uint8_t s_pk[5][32];
    for (int r = 0; r < 2; r++) {
        net_up(&h);
        if (r == 0)
            for (int u = 0; u < 5; u++) memcpy(s_pk[u], h.up[u] + HB + 32, 32);
        CHECK_OK(net_end(&h));
        net_down(&h);
    }
    net_up(&h); /* masked inputs */
    uint32_t y0[16];
    masked_of(&cfg, h.up[0], h.up_len[0], y0);
    CHECK_OK(net_end(&h)); /* from here on the server is the adversary */
    static const int group[6] = {0, 0, 1, 1, 0, 1};
    static const uint32_t view[2] = {0x1f, 0x1e};
    static uint8_t msg[4096], sig[6][64];
    int alive[6];
    for (uint32_t k = 0; k < 6; k++) {
        size_t len = forge_u3(&cfg, msg, id_of(&h, k), view[group[k]]);
        alive[k] = hush_secagg_client_receive(h.c[k], msg, len) == HUSH_OK && net_send(&h, k) == HUSH_OK;
        if (alive[k]) memcpy(sig[k], h.up[k] + HB, 64);
    }
    for (uint32_t k = 0; k < 6; k++) {
        if (!alive[k]) continue;
        uint32_t ids[3], n4 = 0;
        uint8_t sg[3][64];
        for (uint32_t j = 0; j < 6; j++)
            if (alive[j] && group[j] == group[k]) {
                ids[n4] = id_of(&h, j);
                memcpy(sg[n4++], sig[j], 64);
            }
        size_t len = forge_u4(&cfg, msg, id_of(&h, k), ids, n4, sg);
        alive[k] = hush_secagg_client_receive(h.c[k], msg, len) == HUSH_OK && net_send(&h, k) == HUSH_OK;
    }
    const uint8_t *bs[5], *ss[5];
    uint32_t bid[5], sid[5], nb = 0, ns = 0;
    for (uint32_t k = 0; k < 6; k++) {
        if (!alive[k]) continue;
        collect(&cfg, h.up[k], h.up_len[k], 0, HUSH__SA_KIND_B, bs, bid, &nb);
        collect(&cfg, h.up[k], h.up_len[k], 0, HUSH__SA_KIND_SK, ss, sid, &ns);
    }
    int recovered = 0;
    if (nb >= t && ns >= t) {
        uint8_t b0[32], s0[32], pk[32];
        uint64_t lam[5];
        CHECK_OK(hush__sa_reconstruct(b0, bs, bid, t, lam));
        CHECK_OK(hush__sa_reconstruct(s0, ss, sid, t, lam));
        crypto_scalarmult_base(pk, s0);
        CHECK(memcmp(pk, s_pk[0], 32) == 0);
        /* knowing s_sk_0, every pairwise mask of client 0 is the server's to compute */
        hush__sa_prg_add(y0, 16, 32, b0, -1);
        for (uint32_t v = 1; v < 5; v++) {
            uint8_t seed[32];
            CHECK_OK(hush__sa_mask_seed(seed, &cfg, 0, v, s0, s_pk[0], s_pk[v]));
            hush__sa_prg_add(y0, 16, 32, seed, -1);
        }
        recovered = memcmp(y0, h.x[0], sizeof y0) == 0;
    }
    net_free(&h);
    return recovered;
}

/* The "U2 signed by nobody" route: the server tells client 0 that only the colluders 3 and 4
 * shared keys with it, so 0 masks only against them, then runs U3 = {0, 3, 4} past it. */
static int lonely_target(uint32_t t, uint32_t c_declared) {
    hush_secagg_config cfg;
    CHECK_OK(hush_secagg_config_init(&cfg, 5, t, c_declared, 16));
    cfg.authenticated = 1;
    session_of(&cfg, "lonely-target-s!");
    if (hush_secagg_config_check(&cfg) != HUSH_OK) return -1;
    net h;
    net_init(&h, &cfg, 8, 0, 0);
    uint8_t s_pk[5][32];
    net_up(&h);
    for (int u = 0; u < 5; u++) memcpy(s_pk[u], h.up[u] + HB + 32, 32);
    CHECK_OK(net_end(&h));
    net_down(&h);
    net_up(&h);
    CHECK_OK(net_end(&h));
    /* client 0's share list, cut down to the colluders' entries */
    {
        hush__saw_msg m;
        CHECK_OK(hush__saw_decode(&m, h.down[0], h.down_len[0], &cfg));
        static uint8_t cut[4096];
        uint32_t keep = 0;
        uint8_t *p = cut + HB + 4;
        for (uint32_t i = 0; i < m.count; i++)
            if (hush__saw_id(&m, i) >= 3) {
                memcpy(p, m.entries + i * m.entry_size, m.entry_size);
                p += m.entry_size;
                keep++;
            }
        hush__saw_header(cut, &cfg, HUSH__SAW_DOWN, 2, HUSH_SECAGG_SERVER_ID, 0, (size_t)(p - cut) - HB);
        hush__store32_le(cut + HB, keep);
        memcpy(h.down[0], cut, (size_t)(p - cut));
        h.down_len[0] = (size_t)(p - cut);
    }
    int recovered = 0;
    if (hush_secagg_client_receive(h.c[0], h.down[0], h.down_len[0]) != HUSH_OK) goto done;
    for (uint32_t u = 1; u < 5; u++) CHECK_OK(hush_secagg_client_receive(h.c[u], h.down[u], h.down_len[u]));
    uint32_t y0[16];
    CHECK_OK(net_send(&h, 0));
    masked_of(&cfg, h.up[0], h.up_len[0], y0);
    CHECK_OK(net_send(&h, 3));
    CHECK_OK(net_send(&h, 4));
    static const uint32_t team[3] = {0, 3, 4};
    static uint8_t msg[4096], sig[3][64];
    for (int i = 0; i < 3; i++) {
        size_t len = forge_u3(&cfg, msg, team[i], 0x19);
        if (hush_secagg_client_receive(h.c[team[i]], msg, len) != HUSH_OK) goto done;
        CHECK_OK(net_send(&h, team[i]));
        memcpy(sig[i], h.up[team[i]] + HB, 64);
    }
    const uint8_t *bs[5];
    uint32_t bid[5], nb = 0;
    for (int i = 0; i < 3; i++) {
        size_t len = forge_u4(&cfg, msg, team[i], team, 3, sig);
        if (hush_secagg_client_receive(h.c[team[i]], msg, len) != HUSH_OK) continue;
        CHECK_OK(net_send(&h, team[i]));
        collect(&cfg, h.up[team[i]], h.up_len[team[i]], 0, HUSH__SA_KIND_B, bs, bid, &nb);
    }
    if (nb >= t) {
        uint8_t b0[32], sk[2][32], pk[2][32], bb[32];
        uint64_t lam[5];
        CHECK_OK(hush__sa_reconstruct(b0, bs, bid, t, lam));
        own_secrets(&cfg, 3, h.seeds[3], sk[0], pk[0], bb);
        own_secrets(&cfg, 4, h.seeds[4], sk[1], pk[1], bb);
        unmask_one(&cfg, y0, 0, b0, team + 1, 2, sk, pk, s_pk[0]);
        recovered = memcmp(y0, h.x[0], sizeof y0) == 0;
    }
done:
    net_free(&h);
    return recovered;
}

static void test_attack_split_view(void) {
    /* The smallest threshold the old code accepted at n = 5 (t = 3, 2t = m + 1): one corrupt
     * client gives the server both secrets of client 0. The attack works whenever the corrupt
     * clients exceed the declared c (here c = 0), which is why c must be declared ... */
    CHECK_MSG(split_view(3, 0) == 1, "the split-view attack no longer works even beyond the bound (test is vacuous)");
    /* ... and a configuration that declares the corrupt client is refused at t = 3, */
    CHECK(split_view(3, 1) == -1);
    /* while the smallest one that tolerates it (t = 4: 8 > 5 + 1) stops the same attack. */
    CHECK(split_view(4, 1) == 0);
    /* U2 signed by nobody: t - 1 = 2 colluders isolate client 0 at t = 3, c = 0 ... */
    CHECK_MSG(lonely_target(3, 0) == 1, "the lonely-target attack no longer works beyond the bound (vacuous)");
    /* ... declaring them is refused at t = 3 (t - c < k_min), and t = 4, c = 2 stops it */
    CHECK(lonely_target(3, 2) == -1);
    CHECK(lonely_target(4, 2) == 0);
}

/* ---------------------------------------------------------------------------------------------
 * Point 2: one client must not stop the round. */

/* Client 2 of 4 advertises `bad` keys (or a bad signature): the server refuses them and flags
 * it, and the other three finish with the sum of their inputs. */
static void bad_advert(int what) {
    hush_secagg_config cfg;
    CHECK_OK(hush_secagg_config_init(&cfg, 4, 3, 0, 6));
    cfg.authenticated = what == 4;
    session_of(&cfg, "bad-advert-sessi");
    net h;
    net_init(&h, &cfg, 9, 0, 0);
    for (uint32_t u = 0; u < 4; u++) {
        CHECK_OK(net_send(&h, u));
        if (u != 2) CHECK_OK(hush_secagg_server_receive(h.s, h.up[u], h.up_len[u]));
    }
    uint8_t *k2 = h.up[2] + HB;
    /* an order-8 point, and 0 (order 4): every honest X25519 with them is all zero */
    static const uint8_t order8[32] = {0xe0, 0xeb, 0x7a, 0x7c, 0x3b, 0x41, 0xb8, 0xae, 0x16, 0x56, 0xe3,
                                       0xfa, 0xf1, 0x9f, 0xc4, 0x6a, 0xda, 0x09, 0x8d, 0xeb, 0x9c, 0x32,
                                       0xb1, 0xfd, 0x86, 0x62, 0x05, 0x16, 0x5f, 0x49, 0xb8, 0x00};
    if (what == 0) memset(k2, 0, 64);
    if (what == 1) memcpy(k2 + 32, order8, 32);
    if (what == 2) memcpy(k2 + 32, k2, 32);          /* c_pk = s_pk */
    if (what == 3) memcpy(k2, h.up[1] + HB + 32, 32); /* a neighbour's key */
    if (what == 4) k2[64] ^= 1;                       /* signature */
    CHECK_RC(hush_secagg_server_receive(h.s, h.up[2], h.up_len[2]), HUSH_ECRYPTO);
    uint8_t f[4];
    CHECK_OK(hush_secagg_server_faults(h.s, f, 4));
    CHECK_MSG(f[2] == HUSH_SECAGG_FAULT_KEY && !f[0] && !f[1] && !f[3], "bad advert %d: faults %d", what, f[2]);
    CHECK(hush_secagg_server_count(h.s, 0) == 3);
    CHECK_OK(net_end(&h));
    net_down(&h);
    CHECK_OK(net_finish(&h));
    uint32_t sum[6], want[6] = {0};
    uint8_t inc[4];
    CHECK_OK(hush_secagg_server_result(h.s, sum, 6, inc, 4));
    for (int i = 0; i < 6; i++) want[i] = h.x[0][i] + h.x[1][i] + h.x[3][i];
    CHECK_MSG(memcmp(sum, want, sizeof sum) == 0 && !inc[2], "bad advert %d: round did not finish without 2", what);
    net_free(&h);
}

/* Client 3 of 4 sends client 0 (and with `both`, client 1 too) shares that cannot be used: a
 * flipped ciphertext byte, or (hash) a share hash that does not match. */
static void bad_shares(int hash, int both) {
    hush_secagg_config cfg;
    CHECK_OK(hush_secagg_config_init(&cfg, 4, 3, 0, 6));
    net h;
    net_init(&h, &cfg, 11, 0, 0);
    net_up(&h);
    CHECK_OK(net_end(&h));
    net_down(&h);
    for (uint32_t u = 0; u < 4; u++) {
        CHECK_OK(net_send(&h, u));
        if (u == 3) /* entries for 0, 1, 2: u32 id, hb, hs, ct */
            for (int e = 0; e < 1 + both; e++) h.up[3][HB + 36 + 172 * e + 4 + (hash ? 5 : 64 + 10)] ^= 0x40;
        CHECK_OK(hush_secagg_server_receive(h.s, h.up[u], h.up_len[u]));
    }
    CHECK_OK(net_end(&h));
    /* before: HUSH_ECRYPTO for the whole message, on every retry. Now the peer is reported. */
    net_down(&h);
    CHECK(hush_secagg_client_round(h.c[0]) == HUSH_SECAGG_ROUND_MASKED_INPUT);
    CHECK_OK(net_send(&h, 0));
    hush__saw_msg m;
    CHECK_OK(hush__saw_decode(&m, h.up[0], h.up_len[0], &cfg));
    CHECK(m.count == 1 && hush__saw_id(&m, 0) == 3);
    CHECK_OK(hush_secagg_server_receive(h.s, h.up[0], h.up_len[0]));
    for (uint32_t u = 1; u < 4; u++) {
        CHECK_OK(net_send(&h, u));
        CHECK_OK(hush_secagg_server_receive(h.s, h.up[u], h.up_len[u]));
    }
    uint8_t f[4];
    if (both) {
        /* only 2 and 3 itself still hold usable shares of 3: its mask cannot be removed */
        CHECK_RC(net_end(&h), HUSH_ECRYPTO);
        CHECK(hush_secagg_server_round(h.s) == HUSH_SECAGG_ABORTED);
        CHECK_OK(hush_secagg_server_faults(h.s, f, 4));
        CHECK(f[3] == HUSH_SECAGG_FAULT_CIPHERTEXT && !f[0] && !f[1] && !f[2]);
        net_free(&h);
        return;
    }
    CHECK_OK(net_end(&h));
    net_down(&h);
    net_up(&h);
    CHECK_OK(net_end(&h));
    net_down(&h);
    net_up(&h);
    /* client 0 reveals nothing of 3 */
    CHECK_OK(hush__saw_decode(&m, h.up[0], h.up_len[0], &cfg));
    CHECK(m.count == 3 && hush__saw_id(&m, 2) == 2);
    CHECK_OK(net_end(&h));
    uint32_t sum[6], want[6] = {0};
    CHECK_OK(hush_secagg_server_result(h.s, sum, 6, NULL, 0));
    for (int i = 0; i < 6; i++) want[i] = h.x[0][i] + h.x[1][i] + h.x[2][i] + h.x[3][i];
    CHECK_MSG(memcmp(sum, want, sizeof sum) == 0, "bad shares (hash %d): sum", hash);
    CHECK_OK(hush_secagg_server_faults(h.s, f, 4));
    CHECK(f[3] == HUSH_SECAGG_FAULT_CIPHERTEXT && !f[0] && !f[1] && !f[2]);
    net_free(&h);
}

/* Round 3: a bad consistency signature is refused and flagged; that client counts as dropped. */
static void bad_consistency_signature(void) {
    hush_secagg_config cfg;
    CHECK_OK(hush_secagg_config_init(&cfg, 5, 4, 0, 6));
    cfg.authenticated = 1;
    session_of(&cfg, "bad-signature-se");
    net h;
    net_init(&h, &cfg, 12, 0, 0);
    for (int r = 0; r < 3; r++) {
        net_up(&h);
        CHECK_OK(net_end(&h));
        net_down(&h);
    }
    for (uint32_t u = 0; u < 5; u++) {
        CHECK_OK(net_send(&h, u));
        if (u == 4) h.up[4][HB + 3] ^= 1;
        CHECK_RC(hush_secagg_server_receive(h.s, h.up[u], h.up_len[u]), u == 4 ? HUSH_ECRYPTO : HUSH_OK);
    }
    CHECK(hush_secagg_server_count(h.s, 3) == 4);
    CHECK_OK(net_end(&h));
    net_down(&h);
    CHECK_OK(net_finish(&h));
    uint32_t sum[6], want[6] = {0};
    uint8_t f[5];
    CHECK_OK(hush_secagg_server_result(h.s, sum, 6, NULL, 0));
    for (int i = 0; i < 6; i++)
        for (int u = 0; u < 5; u++) want[i] += h.x[u][i]; /* 4 is in U3: its input counts */
    CHECK(memcmp(sum, want, sizeof sum) == 0);
    CHECK_OK(hush_secagg_server_faults(h.s, f, 5));
    CHECK(f[4] == HUSH_SECAGG_FAULT_SIGNATURE && !f[0]);
    net_free(&h);
}

static void test_attack_one_client_stops_round(void) {
    for (int what = 0; what < 5; what++) bad_advert(what);
    bad_shares(0, 0);
    bad_shares(1, 0);
    bad_shares(0, 1);
    bad_consistency_signature();
}

/* ---------------------------------------------------------------------------------------------
 * Point 3: client 0 uses one seed in two sessions. In A it survives (the server learns b_0); in B
 * the server pretends its masked input never arrived (and learns s_sk_0). Returns 1 if the
 * server then unmasks client 0's input of session B. */
static int seed_reuse(const char *sa, const char *sb) {
    hush_secagg_config cfg;
    CHECK_OK(hush_secagg_config_init(&cfg, 3, 2, 0, 8));
    session_of(&cfg, sa);
    net h;
    net_init(&h, &cfg, 13, 0, 0);
    for (int r = 0; r < 4; r++) {
        net_up(&h);
        CHECK_OK(net_end(&h));
        net_down(&h);
    }
    net_up(&h);
    const uint8_t *bs[3];
    uint32_t bid[3], nb = 0;
    collect(&cfg, h.up[1], h.up_len[1], 0, HUSH__SA_KIND_B, bs, bid, &nb);
    collect(&cfg, h.up[2], h.up_len[2], 0, HUSH__SA_KIND_B, bs, bid, &nb);
    uint8_t b0[32];
    uint64_t lam[3];
    CHECK(nb == 2);
    CHECK_OK(hush__sa_reconstruct(b0, bs, bid, 2, lam));
    CHECK_OK(net_end(&h));
    net_free(&h);

    session_of(&cfg, sb);
    net_init(&h, &cfg, 13, 0, 0); /* same seeds */
    uint32_t xb[8];
    inputs(xb, 8, 32, 4242);
    CHECK_OK(hush_secagg_client_set_input(h.c[0], xb, 8));
    uint8_t s_pk[3][32];
    net_up(&h);
    for (int u = 0; u < 3; u++) memcpy(s_pk[u], h.up[u] + HB + 32, 32);
    CHECK_OK(net_end(&h));
    net_down(&h);
    net_up(&h);
    CHECK_OK(net_end(&h));
    net_down(&h);
    uint32_t y0[8];
    CHECK_OK(net_send(&h, 0)); /* "lost" on its way to the server */
    masked_of(&cfg, h.up[0], h.up_len[0], y0);
    for (uint32_t u = 1; u < 3; u++) {
        CHECK_OK(net_send(&h, u));
        CHECK_OK(hush_secagg_server_receive(h.s, h.up[u], h.up_len[u]));
    }
    CHECK_OK(net_end(&h));
    net_down(&h);
    net_up(&h);
    CHECK_OK(net_end(&h));
    net_down(&h);
    net_up(&h);
    const uint8_t *ss[3];
    uint32_t sid[3], ns = 0;
    collect(&cfg, h.up[1], h.up_len[1], 0, HUSH__SA_KIND_SK, ss, sid, &ns);
    collect(&cfg, h.up[2], h.up_len[2], 0, HUSH__SA_KIND_SK, ss, sid, &ns);
    uint8_t s0[32];
    CHECK(ns == 2);
    CHECK_OK(hush__sa_reconstruct(s0, ss, sid, 2, lam));
    hush__sa_prg_add(y0, 8, 32, b0, -1);
    for (uint32_t v = 1; v < 3; v++) {
        uint8_t seed[32];
        CHECK_OK(hush__sa_mask_seed(seed, &cfg, 0, v, s0, s_pk[0], s_pk[v]));
        hush__sa_prg_add(y0, 8, 32, seed, -1);
    }
    int recovered = memcmp(y0, xb, sizeof xb) == 0;
    CHECK_OK(net_end(&h));
    net_free(&h);
    return recovered;
}

static void test_attack_seed_reuse(void) {
    /* one (seed, session) pair carrying two inputs is misuse, and the attack code shows why */
    CHECK_MSG(seed_reuse("same-session-AAA", "same-session-AAA") == 1, "seed-reuse attack is vacuous");
    /* a new session gives new keys and a new b_0: the two rounds cannot be combined */
    CHECK(seed_reuse("session-A-000000", "session-B-000000") == 0);
    /* and the keys depend on session, n and id, not on the seed alone */
    hush_secagg_config cfg;
    CHECK_OK(hush_secagg_config_init(&cfg, 3, 2, 0, 4));
    uint8_t seed[32] = {5}, m[4][256];
    size_t len;
    for (int k = 0; k < 4; k++) {
        hush_secagg_config c2 = cfg;
        if (k == 1) session_of(&c2, "another-session!");
        if (k == 3) {
            c2.n = 4;
            c2.threshold = 3;
        }
        hush_secagg_client *c;
        CHECK_OK(hush_secagg_client_create(&c, &c2, k == 2 ? 1 : 0, seed, 32, NULL));
        CHECK_OK(hush_secagg_client_next_message(c, m[k], sizeof m[k], &len));
        hush_secagg_client_free(c);
    }
    for (int k = 1; k < 4; k++) CHECK_MSG(memcmp(m[0] + HB, m[k] + HB, 64) != 0, "keys unchanged in variant %d", k);
}

/* ---------------------------------------------------------------------------------------------
 * Point 4: wrong shares are caught and named. */
static void test_attack_bad_share(void) {
    /* a revealer lies about its share of b_0: refused, flagged, and the round finishes with the
     * other three (the old code returned a garbage sum with HUSH_OK) */
    hush_secagg_config cfg;
    CHECK_OK(hush_secagg_config_init(&cfg, 4, 3, 0, 5));
    net h;
    net_init(&h, &cfg, 14, 0, 0);
    for (int r = 0; r < 4; r++) {
        net_up(&h);
        CHECK_OK(net_end(&h));
        net_down(&h);
    }
    for (uint32_t u = 0; u < 4; u++) {
        CHECK_OK(net_send(&h, u));
        if (u == 1) h.up[1][HB + 4 + 5] ^= 1; /* first entry: owner 0, kind b */
        CHECK_RC(hush_secagg_server_receive(h.s, h.up[u], h.up_len[u]), u == 1 ? HUSH_ECRYPTO : HUSH_OK);
    }
    CHECK_OK(net_end(&h));
    uint32_t sum[5], want[5] = {0};
    uint8_t f[4];
    CHECK_OK(hush_secagg_server_result(h.s, sum, 5, NULL, 0));
    for (int i = 0; i < 5; i++)
        for (int u = 0; u < 4; u++) want[i] += h.x[u][i];
    CHECK(memcmp(sum, want, sizeof sum) == 0);
    CHECK_OK(hush_secagg_server_faults(h.s, f, 4));
    CHECK(f[1] == HUSH_SECAGG_FAULT_SHARE && !f[0] && !f[2] && !f[3]);
    net_free(&h);

    /* a dealer (2) gives holder 0 a share off its polynomial, correctly hashed and encrypted: 0
     * cannot tell, but b_2 reconstructed with it fails 2's commitment, and 2 is named */
    CHECK_OK(hush_secagg_config_init(&cfg, 3, 2, 0, 5));
    net_init(&h, &cfg, 15, 0, 0);
    uint8_t c_pk[3][32];
    net_up(&h);
    for (int u = 0; u < 3; u++) memcpy(c_pk[u], h.up[u] + HB, 32);
    CHECK_OK(net_end(&h));
    net_down(&h);
    for (uint32_t u = 0; u < 3; u++) {
        CHECK_OK(net_send(&h, u));
        if (u == 2) {
            hush_rng master, child;
            uint8_t k[32], pk[32], sk[32], key[32], nonce[24] = {2, 0, 0, 0, 0}, ad[24], plain[88];
            CHECK_OK(hush__sa_client_master(&master, h.seeds[2], &cfg, 2));
            CHECK_OK(hush_rng_derive(&child, &master, "secagg.keys"));
            CHECK_OK(hush_rng_bytes(&child, k, 32));
            crypto_kx_seed_keypair(pk, sk, k);
            CHECK_OK(hush__sa_enc_key(key, &cfg, 2, 0, sk, pk, c_pk[0]));
            memcpy(ad, cfg.session, 16);
            memset(ad + 16, 0, 8);
            ad[16] = 2;
            uint8_t *e = h.up[2] + HB + 36 + 4; /* entry for holder 0: hb, hs, ct */
            CHECK(crypto_aead_xchacha20poly1305_ietf_decrypt(plain, NULL, NULL, e + 64, 104, ad, 24, nonce, key) == 0);
            plain[8] ^= 1; /* still a field element, no longer on the polynomial */
            hush__sa_share_hash(e, &cfg, 2, 0, HUSH__SA_KIND_B, plain + 8);
            crypto_aead_xchacha20poly1305_ietf_encrypt(e + 64, NULL, plain, 88, ad, 24, NULL, nonce, key);
            hush_rng_clear(&child);
            hush_rng_clear(&master);
        }
        CHECK_OK(hush_secagg_server_receive(h.s, h.up[u], h.up_len[u]));
    }
    CHECK_OK(net_end(&h));
    net_down(&h); /* client 0 accepts: the share matches its hash */
    net_up(&h);
    CHECK_OK(net_end(&h));
    net_down(&h);
    net_up(&h);
    CHECK_OK(net_end(&h));
    net_down(&h);
    net_up(&h);
    CHECK_RC(net_end(&h), HUSH_ECRYPTO);
    CHECK_OK(hush_secagg_server_faults(h.s, f, 3));
    CHECK(f[2] == HUSH_SECAGG_FAULT_DEALER && !f[0] && !f[1]);
    CHECK_RC(hush_secagg_server_result(h.s, sum, 5, NULL, 0), HUSH_ESTATE);
    net_free(&h);
}

/* ---------------------------------------------------------------------------------------------
 * Point 6: masked inputs at exactly k bits on the wire. */
static void test_packing(void) {
    uint32_t v[101], back[101];
    uint8_t buf[101 * 4 + 8];
    for (uint32_t bits = 1; bits <= 32; bits++) {
        uint32_t mask = bits == 32 ? 0xffffffffu : (1u << bits) - 1;
        inputs(v, 101, bits, bits);
        v[0] = mask;
        v[100] = mask;
        memset(buf, 0xee, sizeof buf);
        hush__saw_pack_values(buf, v, 101, bits);
        size_t len = (101 * bits + 7) / 8;
        CHECK_MSG(buf[len] == 0xee, "bits %u: packing wrote past %zu bytes", bits, len);
        hush__saw_msg m;
        memset(&m, 0, sizeof m);
        m.values = buf;
        m.dim = 101;
        memset(back, 0, sizeof back);
        hush__saw_add_values(back, &m, bits);
        CHECK_MSG(memcmp(back, v, sizeof v) == 0, "bits %u: round trip", bits);
    }
    /* the message: 32 + 4 + 4 reports + 5 + ceil(dim k / 8) bytes, padding bits zero */
    hush_secagg_config cfg;
    CHECK_OK(hush_secagg_config_init(&cfg, 3, 2, 0, 1000));
    cfg.bits = 16;
    net h;
    net_init(&h, &cfg, 16, 0, 0);
    for (int r = 0; r < 2; r++) {
        net_up(&h);
        CHECK_OK(net_end(&h));
        net_down(&h);
    }
    CHECK_OK(net_send(&h, 0));
    CHECK(h.up_len[0] == HB + 4 + 5 + 2000); /* was 4000 bytes of payload at any k */
    net_free(&h);
    CHECK_OK(hush_secagg_config_init(&cfg, 3, 2, 0, 3));
    cfg.bits = 7; /* 21 bits in 3 bytes: 3 bits of padding */
    net_init(&h, &cfg, 17, 0, 0);
    for (int r = 0; r < 2; r++) {
        net_up(&h);
        CHECK_OK(net_end(&h));
        net_down(&h);
    }
    CHECK_OK(net_send(&h, 0));
    CHECK(h.up_len[0] == HB + 4 + 5 + 3);
    h.up[0][h.up_len[0] - 1] |= 0x80;
    CHECK_RC(hush_secagg_server_receive(h.s, h.up[0], h.up_len[0]), HUSH_EFORMAT);
    h.up[0][h.up_len[0] - 1] &= 0x1f;
    CHECK_OK(hush_secagg_server_receive(h.s, h.up[0], h.up_len[0]));
    CHECK_OK(net_finish(&h));
    net_free(&h);
}

/* ---------------------------------------------------------------------------------------------
 * Point 11: secrets that used to stay in the handle. */
typedef struct rec {
    void *last;
    size_t size;
} rec;
static void *rec_alloc(void *ud, size_t size) {
    rec *r = ud;
    r->last = malloc(size);
    r->size = size;
    return r->last;
}
static void rec_free(void *ud, void *p, size_t size) {
    (void)ud;
    (void)size;
    free(p);
}
static int contains(const void *hay, size_t n, const uint8_t *needle, size_t k) {
    const uint8_t *h = hay;
    for (size_t i = 0; i + k <= n; i++)
        if (memcmp(h + i, needle, k) == 0) return 1;
    return 0;
}

static void test_wipe(void) {
    hush_secagg_config cfg;
    CHECK_OK(hush_secagg_config_init(&cfg, 3, 2, 0, 4));
    cfg.authenticated = 1;
    session_of(&cfg, "wipe-the-secrets");
    rec r = {NULL, 0};
    hush_allocator a = {rec_alloc, rec_free, &r};
    uint8_t seed[32] = {42}, sks[3 * 64], pks[3 * 32];
    for (int u = 0; u < 3; u++) {
        uint8_t ks[32] = {(uint8_t)u, 77};
        crypto_sign_seed_keypair(pks + 32 * u, sks + 64 * u, ks);
    }
    hush_secagg_client *c;
    CHECK_OK(hush_secagg_client_create(&c, &cfg, 1, seed, 32, &a));
    void *blk = r.last;
    size_t size = r.size;
    CHECK((void *)c == blk);
    /* the stream that drew the polynomial coefficients is gone once they are drawn */
    hush_rng master, shamir;
    CHECK_OK(hush__sa_client_master(&master, seed, &cfg, 1));
    CHECK_OK(hush_rng_derive(&shamir, &master, "secagg.shamir"));
    CHECK(!contains(blk, size, shamir.key, 32));
    CHECK(!contains(blk, size, master.key, 32));
    hush_rng_clear(&master);
    hush_rng_clear(&shamir);
    /* the signing key lives until the consistency signature, then is wiped */
    CHECK_OK(hush_secagg_client_set_identity(c, sks + 64, 64, pks, sizeof pks));
    CHECK(contains(blk, size, sks + 64, 32)); /* (so the scan below can see it) */
    hush_secagg_client_free(c);
    net h;
    net_init(&h, &cfg, 18, 0, 0);
    for (int r3 = 0; r3 < 3; r3++) {
        net_up(&h);
        CHECK_OK(net_end(&h));
        net_down(&h);
    }
    net_up(&h); /* consistency signatures */
    uint64_t cb;
    CHECK_OK(hush_secagg_memory(&cfg, &cb, NULL));
    for (uint32_t u = 0; u < 3; u++) CHECK_MSG(!contains(h.c[u], (size_t)cb, h.sks + 64 * u, 32), "client %u still holds its signing key", u);
    CHECK_OK(net_end(&h));
    net_down(&h);
    net_up(&h);
    CHECK_OK(net_end(&h));
    /* and after the round: no key, self mask or input is left */
    for (uint32_t u = 0; u < 3; u++) {
        uint8_t s_sk[32], s_pk[32], b[32];
        own_secrets(&cfg, u, h.seeds[u], s_sk, s_pk, b);
        CHECK(!contains(h.c[u], (size_t)cb, s_sk, 32) && !contains(h.c[u], (size_t)cb, b, 32));
        CHECK(!contains(h.c[u], (size_t)cb, (const uint8_t *)h.x[u], 16));
    }
    net_free(&h);
}

/* ---------------------------------------------------------------------------------------------
 * Malformed, replayed and out-of-order messages. */
static void test_rejects(void) {
    hush_secagg_config cfg;
    CHECK_OK(hush_secagg_config_init(&cfg, 3, 2, 0, 8));
    net h;
    net_init(&h, &cfg, 19, 0, 0);
    CHECK_OK(net_send(&h, 0));
    uint8_t *m0 = h.up[0];
    size_t l0 = h.up_len[0];
    /* truncated, wrong version, wrong session, trailing bytes */
    CHECK_RC(hush_secagg_server_receive(h.s, m0, l0 - 1), HUSH_ETRUNC);
    CHECK_RC(hush_secagg_server_receive(h.s, m0, 10), HUSH_ETRUNC);
    m0[0] = 1;
    CHECK_RC(hush_secagg_server_receive(h.s, m0, l0), HUSH_EVERSION);
    m0[0] = HUSH_SECAGG_WIRE_VERSION;
    m0[5] ^= 1;
    CHECK_RC(hush_secagg_server_receive(h.s, m0, l0), HUSH_EFORMAT);
    m0[5] ^= 1;
    m0[l0] = 0;
    CHECK_RC(hush_secagg_server_receive(h.s, m0, l0 + 1), HUSH_EFORMAT);
    /* the real one, then its replay */
    CHECK_OK(hush_secagg_server_receive(h.s, m0, l0));
    CHECK_RC(hush_secagg_server_receive(h.s, m0, l0), HUSH_ESTATE);
    CHECK(hush_secagg_server_count(h.s, 0) == 1);
    /* nothing pending any more for client 0 */
    size_t l;
    uint8_t tmp[512];
    CHECK_OK(hush_secagg_client_next_message(h.c[0], tmp, sizeof tmp, &l));
    CHECK(l == 0);
    for (uint32_t u = 1; u < 3; u++) {
        CHECK_OK(net_send(&h, u));
        CHECK_OK(hush_secagg_server_receive(h.s, h.up[u], h.up_len[u]));
    }
    CHECK_OK(net_end(&h));
    /* a round-0 message after round 0 ended is out of order */
    CHECK_RC(hush_secagg_server_receive(h.s, m0, l0), HUSH_ESTATE);
    /* client: key list addressed to someone else, then replayed */
    CHECK_RC(hush_secagg_client_receive(h.c[1], h.down[0], h.down_len[0]), HUSH_EFORMAT);
    net_down(&h);
    CHECK_RC(hush_secagg_client_receive(h.c[0], h.down[0], h.down_len[0]), HUSH_ESTATE);
    net_up(&h);
    CHECK_OK(net_end(&h));
    /* round 2: swap the two ciphertexts' sender ids: AEAD binds the sender, so client 0 can use
     * neither and reports both (before: HUSH_ECRYPTO for the whole message) */
    static uint8_t saved[4096];
    memcpy(saved, h.down[0], h.down_len[0]);
    {
        uint8_t *p = h.down[0] + HB + 4;
        uint8_t t4[4];
        memcpy(t4, p, 4);
        memcpy(p, p + 172, 4);
        memcpy(p + 172, t4, 4);
        CHECK_RC(hush_secagg_client_receive(h.c[0], h.down[0], h.down_len[0]), HUSH_EFORMAT); /* ids not sorted */
    }
    memcpy(h.down[0], saved, h.down_len[0]);
    /* a share list naming a peer whose keys never reached the client */
    h.down[0][HB + 4] = 0;
    CHECK_RC(hush_secagg_client_receive(h.c[0], h.down[0], h.down_len[0]), HUSH_EFORMAT);
    memcpy(h.down[0], saved, h.down_len[0]);
    net_down(&h);
    /* round 2: a duplicate masked input */
    net_up(&h);
    CHECK_RC(hush_secagg_server_receive(h.s, h.up[2], h.up_len[2]), HUSH_ESTATE);
    /* a report naming a peer that is not a neighbour with shares: refused */
    CHECK_OK(net_end(&h));
    /* U3 delivered twice */
    net_down(&h);
    CHECK_RC(hush_secagg_client_receive(h.c[1], h.down[1], h.down_len[1]), HUSH_ESTATE);
    CHECK_OK(net_finish(&h));
    net_free(&h);
    /* a report of a peer the reporter never got shares from, or of itself, is refused */
    net_init(&h, &cfg, 20, 0, 0);
    net_up(&h);
    CHECK_OK(net_end(&h));
    net_down(&h);
    net_up(&h);
    CHECK_OK(net_end(&h));
    net_down(&h);
    CHECK_OK(net_send(&h, 1));
    {
        /* rebuild client 1's message with a report of itself: the decoder refuses it */
        static uint8_t forged[8192];
        size_t body = h.up_len[1] - HB;
        memcpy(forged, h.up[1], HB);
        hush__store32_le(forged + 28, (uint32_t)(body + 4));
        hush__store32_le(forged + HB, 1);
        hush__store32_le(forged + HB + 4, 1);
        memcpy(forged + HB + 8, h.up[1] + HB + 4, body - 4);
        CHECK_RC(hush_secagg_server_receive(h.s, forged, h.up_len[1] + 4), HUSH_EFORMAT);
    }
    CHECK_OK(hush_secagg_server_receive(h.s, h.up[1], h.up_len[1]));
    net_free(&h);
}

/* The server tries to learn both b_v and s_sk_v of client 2 from one client: it tells client 0
 * that 2 dropped and later that it survived, or includes 2 in U4 after leaving it out of U3. */
static void test_never_both(void) {
    hush_secagg_config cfg;
    CHECK_OK(hush_secagg_config_init(&cfg, 3, 2, 0, 8));
    net h;
    net_init(&h, &cfg, 21, 0, 0);
    for (int r = 0; r < 2; r++) {
        net_up(&h);
        CHECK_OK(net_end(&h));
        net_down(&h);
    }
    net_up(&h);
    CHECK_OK(net_end(&h)); /* down = U3 = {0,1,2} */
    static uint8_t msg[256];
    size_t l = forge_u3(&cfg, msg, 0, 0x3); /* "client 2 dropped" */
    CHECK_OK(hush_secagg_client_receive(h.c[0], msg, l));
    /* the other U3 (2 alive) is now refused: the decision is final */
    CHECK_RC(hush_secagg_client_receive(h.c[0], h.down[0], h.down_len[0]), HUSH_ESTATE);
    CHECK_OK(net_send(&h, 0));
    /* nor can U4 reintroduce client 2 */
    uint32_t ids[3] = {0, 1, 2};
    l = forge_u4(&cfg, msg, 0, ids, 3, NULL);
    CHECK_RC(hush_secagg_client_receive(h.c[0], msg, l), HUSH_EFORMAT);
    /* a consistent U4 {0, 1} is accepted; the unmasking message reveals b for 0 and 1, sk for 2 */
    l = forge_u4(&cfg, msg, 0, ids, 2, NULL);
    CHECK_OK(hush_secagg_client_receive(h.c[0], msg, l));
    CHECK_OK(net_send(&h, 0));
    const uint8_t *e = h.up[0] + HB + 4;
    CHECK(h.up_len[0] == HB + 4 + 3 * 45);
    CHECK(e[0] == 0 && e[4] == 1);
    CHECK(e[45] == 1 && e[49] == 1);
    CHECK(e[90] == 2 && e[94] == 2);
    /* and nothing more can be extracted */
    CHECK_OK(net_send(&h, 0));
    CHECK(h.up_len[0] == 0);
    CHECK(hush_secagg_client_round(h.c[0]) == HUSH_SECAGG_DONE);
    CHECK_RC(hush_secagg_client_receive(h.c[0], msg, l), HUSH_ESTATE);
    net_free(&h);
}

/* Authenticated variant: a server that substitutes a key or forges a signature is caught. */
static void test_auth_tamper(void) {
    hush_secagg_config cfg;
    CHECK_OK(hush_secagg_config_init(&cfg, 3, 2, 0, 8));
    cfg.authenticated = 1;
    session_of(&cfg, "auth-tamper-sess");
    net h;
    net_init(&h, &cfg, 22, 0, 0);
    net_up(&h);
    CHECK_OK(net_end(&h));
    /* the key list: flip a bit of client 1's s_pk */
    size_t off = HB + 4 + (4 + 128) + 4 + 40;
    h.down[0][off] ^= 1;
    CHECK_RC(hush_secagg_client_receive(h.c[0], h.down[0], h.down_len[0]), HUSH_ECRYPTO);
    h.down[0][off] ^= 1;
    net_down(&h);
    for (int r = 1; r < 3; r++) {
        net_up(&h);
        CHECK_OK(net_end(&h));
        net_down(&h);
    }
    net_up(&h);
    CHECK_OK(net_end(&h)); /* U4 with signatures */
    h.down[1][h.down_len[1] - 1] ^= 1;
    CHECK_RC(hush_secagg_client_receive(h.c[1], h.down[1], h.down_len[1]), HUSH_ECRYPTO);
    h.down[1][h.down_len[1] - 1] ^= 1;
    /* a signature replayed under another signer's id */
    static uint8_t swapped[1024];
    memcpy(swapped, h.down[1], h.down_len[1]);
    memcpy(swapped + HB + 8, h.down[1] + HB + 8 + 68, 64);
    CHECK_RC(hush_secagg_client_receive(h.c[1], swapped, h.down_len[1]), HUSH_ECRYPTO);
    net_down(&h);
    net_up(&h);
    CHECK_OK(net_end(&h));
    CHECK(hush_secagg_server_round(h.s) == HUSH_SECAGG_DONE);
    uint32_t sum[8];
    CHECK_OK(hush_secagg_server_result(h.s, sum, 8, NULL, 0));
    CHECK(sum[0] == h.x[0][0] + h.x[1][0] + h.x[2][0]);
    net_free(&h);
}

/* Server's view: masked inputs are uniform, and their distribution does not depend on the
 * inputs (two-sample chi-square between all-zero inputs and large inputs with the same sum). */
static void view_run(const hush_secagg_config *cfg, uint8_t base, const uint32_t *x, uint32_t *y, uint32_t *sum) {
    enum { N = 3 };
    net h;
    net_init(&h, cfg, base, 0, 0);
    for (uint32_t u = 0; u < N; u++) CHECK_OK(hush_secagg_client_set_input(h.c[u], x + (size_t)u * cfg->dim, cfg->dim));
    for (int r = 0; r < 2; r++) {
        net_up(&h);
        CHECK_OK(net_end(&h));
        net_down(&h);
    }
    net_up(&h);
    for (uint32_t u = 0; u < N; u++) masked_of(cfg, h.up[u], h.up_len[u], y + (size_t)u * cfg->dim);
    CHECK_OK(net_end(&h));
    net_down(&h);
    CHECK_OK(net_finish(&h));
    CHECK_OK(hush_secagg_server_result(h.s, sum, cfg->dim, NULL, 0));
    net_free(&h);
}

static void test_view(void) {
    enum { N = 3, D = 4096, B = 256 };
    hush_secagg_config cfg;
    CHECK_OK(hush_secagg_config_init(&cfg, N, 2, 0, D));
    cfg.bits = 8;
    uint32_t *x = calloc(N * D, 4), *y0 = malloc(N * D * 4), *y1 = malloc(N * D * 4), *sum = malloc(D * 4);
    view_run(&cfg, 23, x, y0, sum);
    for (int i = 0; i < D; i++) {
        x[i] = 200;
        x[D + i] = 56 + (uint32_t)(i % 7);
        x[2 * D + i] = (256 - (uint32_t)(i % 7)) & 255;
    }
    view_run(&cfg, 24, x, y1, sum);
    int zero = 1;
    for (int i = 0; i < D; i++) zero &= sum[i] == 0;
    CHECK(zero);
    double worst = 0, worst2 = 0;
    for (int u = 0; u < N; u++) {
        double h0[B] = {0}, h1[B] = {0}, chi = 0, chi2 = 0;
        for (int i = 0; i < D; i++) {
            h0[y0[u * D + i]]++;
            h1[y1[u * D + i]]++;
        }
        double e = (double)D / B;
        for (int b = 0; b < B; b++) {
            chi += (h0[b] - e) * (h0[b] - e) / e;
            if (h0[b] + h1[b] > 0) chi2 += (h0[b] - h1[b]) * (h0[b] - h1[b]) / (h0[b] + h1[b]);
        }
        if (chi > worst) worst = chi;
        if (chi2 > worst2) worst2 = chi2;
    }
    /* 255 degrees of freedom: mean 255, sd 22.6; 255 + 6 sd fails with probability < 1e-8 */
    CHECK_MSG(worst < 390, "chi-square of masked inputs %g", worst);
    CHECK_MSG(worst2 < 390, "two-sample chi-square %g", worst2);
    CHECK(y1[0] != x[0] || y1[1] != x[1] || y1[2] != x[2]);
    free(x);
    free(y0);
    free(y1);
    free(sum);
}

static void test_shamir_and_prg(void) {
    /* PRG: seed 0 is the RFC 8439 A.1 #1 keystream, read as little-endian words */
    uint8_t seed[32] = {0};
    uint32_t w[20];
    CHECK_OK(hush_secagg_prg_expand(w, 20, 32, seed));
    CHECK(w[0] == 0xade0b876u && w[1] == 0x903df1a0u && w[16] == 0xbee7079fu);
    CHECK_OK(hush_secagg_prg_expand(w, 20, 12, seed));
    CHECK(w[0] == (0xade0b876u & 0xfff));
    CHECK_RC(hush_secagg_prg_expand(w, 20, 33, seed), HUSH_EARG);
    /* chunking across the 1024-word boundary agrees with one pass */
    uint32_t *a = malloc(3000 * 4);
    uint8_t ks[12000];
    static const uint8_t nonce[12];
    seed[3] = 9;
    CHECK_OK(hush_secagg_prg_expand(a, 3000, 32, seed));
    crypto_stream_chacha20_ietf(ks, sizeof ks, nonce, seed);
    int same = 1;
    for (int i = 0; i < 3000; i++) same &= a[i] == hush__load32_le(ks + 4 * i);
    CHECK(same);
    free(a);
    /* Shamir: any t of m shares give the secret back; t - 1 and a corrupted share do not */
    hush_rng rng;
    CHECK_OK(hush_rng_init_u64(&rng, 8));
    uint8_t secret[32], back[32], sh[6][40];
    CHECK_OK(hush_rng_bytes(&rng, secret, 32));
    uint64_t coef[5 * 4], lam[4];
    CHECK_OK(hush__sa_poly_init(coef, 4, secret, &rng));
    for (uint32_t j = 0; j < 6; j++) hush__sa_poly_eval(sh[j], coef, 4, j * 3);
    const uint8_t *p[4] = {sh[5], sh[1], sh[3], sh[0]};
    uint32_t ids[4] = {15, 3, 9, 0};
    CHECK_OK(hush__sa_reconstruct(back, p, ids, 4, lam));
    CHECK(memcmp(back, secret, 32) == 0);
    CHECK_OK(hush__sa_reconstruct(back, p, ids, 3, lam) == HUSH_OK && memcmp(back, secret, 32) == 0);
    hush_rng_clear(&rng);
    /* The weak X25519 keys the server refuses are exactly those libsodium's X25519 refuses: the
     * small-order encodings (0, 1, the order-8 points, p - 1, p, p + 1), each with and without
     * the ignored top bit and with its lowest byte moved by -1..+2, then random strings and keys,
     * all against crypto_scalarmult itself. */
    static const uint8_t order8a[32] = {0xe0, 0xeb, 0x7a, 0x7c, 0x3b, 0x41, 0xb8, 0xae, 0x16, 0x56, 0xe3,
                                        0xfa, 0xf1, 0x9f, 0xc4, 0x6a, 0xda, 0x09, 0x8d, 0xeb, 0x9c, 0x32,
                                        0xb1, 0xfd, 0x86, 0x62, 0x05, 0x16, 0x5f, 0x49, 0xb8, 0x00};
    static const uint8_t order8b[32] = {0x5f, 0x9c, 0x95, 0xbc, 0xa3, 0x50, 0x8c, 0x24, 0xb1, 0xd0, 0xb1,
                                        0x55, 0x9c, 0x83, 0xef, 0x5b, 0x04, 0x44, 0x5c, 0xc4, 0x58, 0x1c,
                                        0x8e, 0x86, 0xd8, 0x22, 0x4e, 0xdd, 0xd0, 0x9f, 0x11, 0x57};
    uint8_t pk[32], sk[32], out[32], u[32];
    crypto_box_keypair(pk, sk);
    int agree = 1, weak = 0;
    for (int base = 0; base < 5; base++)
        for (int d = -1; d <= 2; d++)
            for (int top = 0; top < 2; top++) {
                if (base == 0) memset(u, 0, 32); /* 0 and 1 */
                if (base == 1) memcpy(u, order8a, 32);
                if (base == 2) memcpy(u, order8b, 32);
                if (base >= 3) memset(u, 0xff, 32); /* p - 1 = 0x7fff..ffec, p, p + 1 */
                if (base >= 3) u[31] = 0x7f;
                if (base == 3) u[0] = 0xec;
                if (base == 4) u[0] = 0xee;
                u[0] = (uint8_t)(u[0] + d);
                u[31] = (uint8_t)(u[31] | (top << 7));
                int ref = crypto_scalarmult(out, pk, u) == 0;
                agree &= ref == hush__sa_key_ok(u);
                weak += !ref;
            }
    for (int i = 0; i < 2000; i++) {
        if (i % 2) randombytes_buf(u, 32);
        else crypto_box_keypair(u, sk);
        agree &= (crypto_scalarmult(out, pk, u) == 0) == hush__sa_key_ok(u);
    }
    CHECK_MSG(agree, "hush__sa_key_ok disagrees with crypto_scalarmult");
    /* 0, 1, order8a, order8b, p - 1, p, p + 1, with p and p + 1 reached from two bases: 9, x2 top bit */
    CHECK_MSG(weak == 18, "%d weak encodings among the candidates, want 18", weak);
}

static void test_faults(void) {
    hush_secagg_config cfg;
    CHECK_OK(hush_secagg_config_init(&cfg, 12, 3, 0, 10));
    cfg.neighbours = 4;
    session_of(&cfg, "fault-injection!");
    for (int which = 0; which < 3; which++) {
        int ok = 0;
        for (long k = 1; k < 200 && !ok; k++) {
            check_alloc ca = {0, k, 0, 0};
            hush_allocator al = CHECK_ALLOCATOR(ca);
            void *h = NULL;
            int rc;
            uint8_t seed[32] = {1};
            uint32_t x[120] = {0}, sum[10];
            hush_secagg_stats st;
            hush_rng rng;
            CHECK_OK(hush_rng_init_u64(&rng, 5));
            if (which == 0) rc = hush_secagg_client_create((hush_secagg_client **)&h, &cfg, 3, seed, 32, &al);
            else if (which == 1) rc = hush_secagg_server_create((hush_secagg_server **)&h, &cfg, &al);
            else rc = hush_secagg_run(&cfg, &rng, &st, sum, 10, NULL, 0, x, 120, NULL, 0, NULL, &al);
            if (rc == HUSH_OK) {
                ok = 1;
                if (which == 0) hush_secagg_client_free(h);
                if (which == 1) hush_secagg_server_free(h);
            } else {
                CHECK_RC(rc, HUSH_ENOMEM);
                CHECK(h == NULL);
            }
            CHECK_MSG(ca.live_blocks == 0 && ca.live_bytes == 0, "leak after failing allocation %ld (%d)", k, which);
            hush_rng_clear(&rng);
        }
        CHECK(ok);
    }
    /* argument checks */
    hush_secagg_client *c;
    CHECK_RC(hush_secagg_client_create(&c, &cfg, 12, NULL, 0, NULL), HUSH_EARG);
    CHECK_RC(hush_secagg_client_create(&c, &cfg, 0, (const uint8_t *)"short", 5, NULL), HUSH_EARG);
    cfg.bits = 0;
    CHECK_RC(hush_secagg_client_create(&c, &cfg, 0, NULL, 0, NULL), HUSH_ERANGE);
    cfg.bits = 32;
    CHECK_OK(hush_secagg_client_create(&c, &cfg, 0, NULL, 0, NULL)); /* OS-random client */
    uint32_t bad[10] = {0};
    CHECK_RC(hush_secagg_client_set_input(c, bad, 9), HUSH_EARG);
    hush_secagg_client_free(c);
    CHECK(hush_secagg_client_round(NULL) == HUSH_SECAGG_ABORTED);
    /* the server ends rounds only while collecting */
    hush_secagg_server *s;
    CHECK_OK(hush_secagg_server_create(&s, &cfg, NULL));
    CHECK_RC(hush_secagg_server_end_round(s), HUSH_ESTATE); /* nobody advertised: abort */
    CHECK(hush_secagg_server_round(s) == HUSH_SECAGG_ABORTED);
    uint32_t sum[10], x[120] = {0};
    CHECK_RC(hush_secagg_server_result(s, sum, 10, NULL, 0), HUSH_ESTATE);
    uint8_t f[12];
    CHECK_RC(hush_secagg_server_faults(s, f, 11), HUSH_EARG);
    hush_secagg_server_free(s);
    /* the driver's own argument checks */
    hush_secagg_stats st;
    uint8_t drop[12] = {0};
    CHECK_RC(hush_secagg_run(&cfg, NULL, &st, sum, 9, NULL, 0, x, 120, NULL, 0, NULL, NULL), HUSH_EARG);
    CHECK_RC(hush_secagg_run(&cfg, NULL, &st, sum, 10, NULL, 0, x, 119, NULL, 0, NULL, NULL), HUSH_EARG);
    CHECK_RC(hush_secagg_run(&cfg, NULL, &st, sum, 10, NULL, 0, x, 120, drop, 11, NULL, NULL), HUSH_EARG);
    x[5] = 1;
    cfg.bits = 1;
    x[6] = 2;
    CHECK_RC(hush_secagg_run(&cfg, NULL, &st, sum, 10, NULL, 0, x, 120, NULL, 0, NULL, NULL), HUSH_ERANGE);
}

static void test_kat(void) {
    kat_file k;
    CHECK(kat_load(&k, "tests/vectors/secagg/prg.kat") == 0);
    CHECK(k.n >= 4);
    for (size_t i = 0; i < k.n; i++) {
        size_t sl;
        unsigned char *seed = kat_hex(kat_get(&k.cases[i], "seed"), &sl);
        double want[64];
        size_t nw = kat_numbers(kat_get(&k.cases[i], "words"), want, 64);
        uint32_t got[64], bits = (uint32_t)atoi(kat_get(&k.cases[i], "bits"));
        CHECK(seed && sl == 32 && nw == (size_t)atoi(kat_get(&k.cases[i], "dim")));
        CHECK_OK(hush_secagg_prg_expand(got, nw, bits, seed));
        int same = 1;
        for (size_t j = 0; j < nw; j++) same &= got[j] == (uint32_t)want[j];
        CHECK_MSG(same, "prg.kat case %zu", i);
        free(seed);
    }
    kat_free(&k);
    CHECK(kat_load(&k, "tests/vectors/secagg/wire.kat") == 0);
    CHECK(k.n >= 1);
    for (size_t i = 0; i < k.n; i++) {
        const kat_case *c = &k.cases[i];
        hush_secagg_config cfg;
        CHECK_OK(hush_secagg_config_init(&cfg, (uint32_t)atoi(kat_get(c, "n")), (uint32_t)atoi(kat_get(c, "threshold")),
                                         (uint32_t)atoi(kat_get(c, "max_corrupt")), (uint32_t)atoi(kat_get(c, "dim"))));
        cfg.bits = (uint32_t)atoi(kat_get(c, "bits"));
        size_t l1, l2, l3;
        unsigned char *sess = kat_hex(kat_get(c, "session"), &l1), *seed = kat_hex(kat_get(c, "seed"), &l2),
                      *msg = kat_hex(kat_get(c, "message"), &l3);
        memcpy(cfg.session, sess, 16);
        hush_secagg_client *cl;
        CHECK_OK(hush_secagg_client_create(&cl, &cfg, (uint32_t)atoi(kat_get(c, "id")), seed, l2, NULL));
        uint8_t buf[512];
        size_t len;
        CHECK_OK(hush_secagg_client_next_message(cl, buf, sizeof buf, &len));
        CHECK_MSG(len == l3 && memcmp(buf, msg, len) == 0, "wire.kat case %zu", i);
        /* and the server accepts exactly these bytes */
        hush_secagg_server *s;
        CHECK_OK(hush_secagg_server_create(&s, &cfg, NULL));
        CHECK_OK(hush_secagg_server_receive(s, msg, l3));
        hush_secagg_server_free(s);
        hush_secagg_client_free(cl);
        free(sess);
        free(seed);
        free(msg);
    }
    kat_free(&k);
}

/* The `--inputs` file, parsed in core/src/io/secagginputs.c. */
static void test_inputs_parse(void) {
    const char *ok = "1, 2,3\n\n  4 5 6,\r\n7,8,9";
    size_t n = 0, d = 0;
    uint32_t v[9];
    hush_parse_error err;
    CHECK_OK(hush_secagg_inputs_parse(NULL, 0, &n, &d, 32, ok, strlen(ok), &err));
    CHECK(n == 3 && d == 3);
    CHECK_OK(hush_secagg_inputs_parse(v, 9, &n, &d, 32, ok, strlen(ok), &err));
    for (uint32_t i = 0; i < 9; i++) CHECK(v[i] == i + 1);
    CHECK_RC(hush_secagg_inputs_parse(v, 8, &n, &d, 32, ok, strlen(ok), &err), HUSH_ERANGE);
    static const struct { const char *text; uint32_t bits; int rc; size_t line; } bad[] = {
        {"1,2\n3\n", 32, HUSH_EFORMAT, 2},       {"1,2\n3,4,5\n", 32, HUSH_EFORMAT, 2},
        {"1,2\n", 32, HUSH_EFORMAT, 1},          {"", 32, HUSH_EFORMAT, 0},
        {"1,x\n2,3", 32, HUSH_EFORMAT, 1},       {"1,-2\n2,3", 32, HUSH_EFORMAT, 1},
        {"1,2\n2,256", 8, HUSH_EFORMAT, 2},      {"4294967296,1\n1,1", 32, HUSH_EFORMAT, 1},
        {"1,,2\n1,2", 32, HUSH_EFORMAT, 1},      {"99999999999999999999999\n1", 32, HUSH_EFORMAT, 1},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = hush_secagg_inputs_parse(NULL, 0, &n, &d, bad[i].bits, bad[i].text, strlen(bad[i].text), &err);
        CHECK_MSG(rc == bad[i].rc && err.line == bad[i].line, "case %zu: rc %d line %zu (%s)", i, rc, err.line, err.msg);
    }
    CHECK_OK(hush_secagg_inputs_parse(NULL, 0, &n, &d, 8, "255 0\n0 255\n", 12, NULL));
    CHECK_RC(hush_secagg_inputs_parse(NULL, 0, &n, &d, 0, "1\n2", 3, NULL), HUSH_EARG);
}

int main(void) {
    if (hush_init() != HUSH_OK) return 1;
    test_shamir_and_prg();
    test_kat();
    test_config();
    test_sizes();
    test_dropouts();
    test_secagg_plus();
    test_authenticated();
    test_rejects();
    test_never_both();
    test_auth_tamper();
    test_view();
    test_faults();
    test_packing();
    test_inputs_parse();
    test_attack_split_view();
    test_attack_one_client_stops_round();
    test_attack_seed_reuse();
    test_attack_bad_share();
    test_wipe();
    CHECK_SUMMARY();
}
