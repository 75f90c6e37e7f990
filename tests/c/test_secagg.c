/* Secure aggregation (hush/secagg.h): the unmasked sum equals the plain modular sum for several
 * n, with dropouts in every round, exactly t survivors and t - 1 (clean abort); SecAgg+ graphs;
 * the authenticated variant; the server's view is uniform and independent of the inputs;
 * tampered, replayed, truncated and out-of-order messages are rejected; a client never reveals
 * both shares of a peer; Shamir over GF(2^61-1); fault injection on create. */
#include <sodium.h>

#include "check.h"
#include "kat.h"
#include "hush.h"
#include "hush/secagg.h"
#include "secagg_sim.h"

static uint32_t lcg(uint32_t *s) { return *s = *s * 1664525u + 1013904223u; }

static void inputs(uint32_t *x, size_t len, uint32_t bits, uint32_t seed) {
    uint32_t mask = bits >= 32 ? 0xffffffffu : (1u << bits) - 1;
    for (size_t i = 0; i < len; i++) x[i] = (lcg(&seed) ^ lcg(&seed) >> 7) & mask;
}

/* Runs a round and compares with the plain sum over the clients that did not drop before
 * round 2. Returns the run's status. */
static int round_ok(const hush_secagg_config *cfg, const int *drop, const char *what) {
    size_t nd = (size_t)cfg->n * cfg->dim;
    uint32_t *x = malloc(nd * 4), *sum = calloc(cfg->dim, 4), *want = calloc(cfg->dim, 4);
    uint8_t *inc = calloc(cfg->n, 1);
    inputs(x, nd, cfg->bits, cfg->n * 7919u + cfg->dim);
    uint32_t mask = cfg->bits >= 32 ? 0xffffffffu : (1u << cfg->bits) - 1;
    for (uint32_t u = 0; u < cfg->n; u++)
        if (!drop || drop[u] > 2)
            for (uint32_t i = 0; i < cfg->dim; i++) want[i] = (want[i] + x[(size_t)u * cfg->dim + i]) & mask;
    sim_opts o = {drop, NULL, NULL, 1, NULL};
    int rc = sim_run(cfg, x, &o, sum, inc);
    if (rc == HUSH_OK) {
        CHECK_MSG(memcmp(sum, want, cfg->dim * 4) == 0, "%s: sum differs from plain sum", what);
        for (uint32_t u = 0; u < cfg->n; u++) CHECK_MSG(inc[u] == (!drop || drop[u] > 2), "%s: included[%u]", what, u);
    }
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
        CHECK_OK(hush_secagg_config_init(&cfg, ns[i], ts[i], dims[i]));
        char what[64];
        snprintf(what, sizeof what, "n=%u", ns[i]);
        CHECK_OK(round_ok(&cfg, NULL, what));
    }
    /* other ring sizes */
    hush_secagg_config cfg;
    CHECK_OK(hush_secagg_config_init(&cfg, 4, 3, 50));
    cfg.bits = 7;
    CHECK_OK(round_ok(&cfg, NULL, "bits=7"));
    cfg.bits = 16;
    CHECK_OK(round_ok(&cfg, NULL, "bits=16"));
    cfg.bits = 1;
    CHECK_OK(round_ok(&cfg, NULL, "bits=1"));
}

static void test_dropouts(void) {
    hush_secagg_config cfg;
    CHECK_OK(hush_secagg_config_init(&cfg, 10, 6, 40));
    for (int r = 0; r <= 4; r++) {
        int drop[10];
        for (int u = 0; u < 10; u++) drop[u] = 5;
        drop[1] = drop[7] = r;
        char what[64];
        snprintf(what, sizeof what, "drop 2 at round %d", r);
        CHECK_OK(round_ok(&cfg, drop, what));
        /* exactly t survivors */
        for (int u = 0; u < 10; u++) drop[u] = u < 4 ? r : 5;
        snprintf(what, sizeof what, "t survivors, round %d", r);
        CHECK_OK(round_ok(&cfg, drop, what));
        /* t - 1: abort */
        for (int u = 0; u < 10; u++) drop[u] = u < 5 ? r : 5;
        snprintf(what, sizeof what, "t-1 survivors, round %d", r);
        CHECK_RC(round_ok(&cfg, drop, what), HUSH_ESTATE);
    }
    /* mixed: dropouts in several rounds */
    int drop[10] = {5, 0, 5, 1, 5, 2, 5, 5, 5, 5};
    CHECK_OK(hush_secagg_config_init(&cfg, 10, 6, 40));
    CHECK_OK(round_ok(&cfg, drop, "mixed"));
    /* 100 clients, 10% dropping after the masked input, 10% before */
    int d100[100];
    for (int u = 0; u < 100; u++) d100[u] = u % 10 == 3 ? 3 : u % 10 == 6 ? 1 : 5;
    CHECK_OK(hush_secagg_config_init(&cfg, 100, 51, 5));
    CHECK_OK(round_ok(&cfg, d100, "n=100 drops"));
}

static void test_secagg_plus(void) {
    hush_secagg_config cfg;
    CHECK_OK(hush_secagg_config_init(&cfg, 40, 21, 30));
    cfg.neighbours = 8;
    cfg.threshold = 6;
    memcpy(cfg.session, "secagg+ session!", 16);
    CHECK_OK(hush_secagg_config_check(&cfg));
    CHECK(hush_secagg_neighbourhood_size(&cfg) == 9);
    /* the graph is symmetric and 8-regular */
    uint32_t row[9], row2[9];
    size_t cnt;
    int sym = 1;
    for (uint32_t u = 0; u < 40; u++) {
        CHECK_OK(hush_secagg_neighbourhood(&cfg, u, row, 9, &cnt, NULL));
        for (size_t j = 0; j < cnt; j++) {
            CHECK_OK(hush_secagg_neighbourhood(&cfg, row[j], row2, 9, &cnt, NULL));
            int found = 0;
            for (size_t k = 0; k < cnt; k++) found |= row2[k] == u;
            sym &= found;
        }
    }
    CHECK(sym);
    CHECK_RC(hush_secagg_neighbourhood(&cfg, 0, row, 8, &cnt, NULL), HUSH_ERANGE);
    CHECK_OK(round_ok(&cfg, NULL, "secagg+"));
    int drop[40];
    for (int u = 0; u < 40; u++) drop[u] = u % 9 == 2 ? 3 : u % 13 == 5 ? 1 : 5;
    CHECK_OK(round_ok(&cfg, drop, "secagg+ drops"));
    /* invalid thresholds for the neighbourhood */
    cfg.threshold = 4; /* 2t <= m */
    CHECK_RC(hush_secagg_config_check(&cfg), HUSH_ERANGE);
    cfg.threshold = 10; /* t > m */
    CHECK_RC(hush_secagg_config_check(&cfg), HUSH_ERANGE);
}

static void keys_for(uint32_t n, uint8_t *sks, uint8_t *pks) {
    for (uint32_t u = 0; u < n; u++) {
        uint8_t seed[32] = {(uint8_t)u, 1, 2, 3};
        crypto_sign_seed_keypair(pks + 32 * u, sks + 64 * u, seed);
    }
}

static void test_authenticated(void) {
    hush_secagg_config cfg;
    CHECK_OK(hush_secagg_config_init(&cfg, 6, 4, 20));
    cfg.authenticated = 1;
    uint8_t sks[6 * 64], pks[6 * 32];
    keys_for(6, sks, pks);
    uint32_t x[120], sum[20], want[20] = {0};
    inputs(x, 120, 32, 99);
    int drop[6] = {5, 5, 3, 5, 1, 5};
    for (int u = 0; u < 6; u++)
        if (drop[u] > 2)
            for (int i = 0; i < 20; i++) want[i] += x[u * 20 + i];
    sim_opts o = {drop, sks, pks, 3, NULL};
    CHECK_OK(sim_run(&cfg, x, &o, sum, NULL));
    CHECK(memcmp(sum, want, sizeof sum) == 0);
    /* a client refuses to start without its identity, and a key that is not its PKI entry */
    hush_secagg_client *c;
    uint8_t seed[32] = {0}, buf[512];
    size_t len;
    CHECK_OK(hush_secagg_client_create(&c, &cfg, 0, seed, 32, NULL));
    CHECK_RC(hush_secagg_client_next_message(c, buf, sizeof buf, &len), HUSH_ESTATE);
    CHECK_RC(hush_secagg_client_set_identity(c, sks + 64, 64, pks, sizeof pks), HUSH_EARG);
    hush_secagg_client_free(c);
}

/* Drives a 3-client round by hand so messages can be tampered with. */
typedef struct hand {
    hush_secagg_config cfg;
    hush_secagg_server *s;
    hush_secagg_client *c[4];
    uint8_t buf[4][4096];
    size_t len[4];
    uint8_t sbuf[4096];
} hand;

static void hand_init(hand *h, uint32_t n, int auth, const uint8_t *sks, const uint8_t *pks) {
    memset(h, 0, sizeof *h);
    CHECK_OK(hush_secagg_config_init(&h->cfg, n, n / 2 + 1, 8));
    h->cfg.authenticated = (uint32_t)auth;
    CHECK_OK(hush_secagg_server_create(&h->s, &h->cfg, NULL));
    uint32_t x[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    for (uint32_t u = 0; u < n; u++) {
        uint8_t seed[32];
        sim_seed(seed, 11, u);
        CHECK_OK(hush_secagg_client_create(&h->c[u], &h->cfg, u, seed, 32, NULL));
        if (auth) CHECK_OK(hush_secagg_client_set_identity(h->c[u], sks + 64 * u, 64, pks, 32 * n));
        CHECK_OK(hush_secagg_client_set_input(h->c[u], x, 8));
    }
}
static void hand_free(hand *h) {
    for (int u = 0; u < 4; u++) hush_secagg_client_free(h->c[u]);
    hush_secagg_server_free(h->s);
}
/* Clients' messages to the server (kept in h->buf), end of round, server's replies kept too. */
static void hand_up(hand *h) {
    for (uint32_t u = 0; u < h->cfg.n; u++) {
        CHECK_OK(hush_secagg_client_next_message(h->c[u], h->buf[u], sizeof h->buf[u], &h->len[u]));
        CHECK_OK(hush_secagg_server_receive(h->s, h->buf[u], h->len[u]));
    }
    CHECK_OK(hush_secagg_server_end_round(h->s));
    for (uint32_t u = 0; u < h->cfg.n; u++) {
        uint32_t to;
        CHECK_OK(hush_secagg_server_next_message(h->s, &to, h->buf[u], sizeof h->buf[u], &h->len[u]));
        CHECK(h->len[u] == 0 || to == u);
    }
}
static void hand_down(hand *h) {
    for (uint32_t u = 0; u < h->cfg.n; u++) CHECK_OK(hush_secagg_client_receive(h->c[u], h->buf[u], h->len[u]));
}

static void test_rejects(void) {
    hand h;
    hand_init(&h, 3, 0, NULL, NULL);
    uint8_t m0[4096];
    size_t l0;
    CHECK_OK(hush_secagg_client_next_message(h.c[0], m0, sizeof m0, &l0));
    /* truncated, wrong version, wrong session, trailing bytes */
    CHECK_RC(hush_secagg_server_receive(h.s, m0, l0 - 1), HUSH_ETRUNC);
    CHECK_RC(hush_secagg_server_receive(h.s, m0, 10), HUSH_ETRUNC);
    m0[0] = 2;
    CHECK_RC(hush_secagg_server_receive(h.s, m0, l0), HUSH_EVERSION);
    m0[0] = 1;
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
    CHECK_OK(hush_secagg_client_next_message(h.c[0], m0, sizeof m0, &l));
    CHECK(l == 0);
    for (uint32_t u = 1; u < 3; u++) {
        CHECK_OK(hush_secagg_client_next_message(h.c[u], h.buf[u], sizeof h.buf[u], &h.len[u]));
        CHECK_OK(hush_secagg_server_receive(h.s, h.buf[u], h.len[u]));
    }
    CHECK_OK(hush_secagg_server_end_round(h.s));
    for (uint32_t u = 0; u < 3; u++) {
        uint32_t to;
        CHECK_OK(hush_secagg_server_next_message(h.s, &to, h.buf[u], sizeof h.buf[u], &h.len[u]));
    }
    /* a round-0 message after round 0 ended is out of order */
    CHECK_RC(hush_secagg_server_receive(h.s, m0, 0), HUSH_ETRUNC);
    /* client: key list addressed to someone else, then replayed */
    CHECK_RC(hush_secagg_client_receive(h.c[1], h.buf[0], h.len[0]), HUSH_EFORMAT);
    hand_down(&h);
    CHECK_RC(hush_secagg_client_receive(h.c[0], h.buf[0], h.len[0]), HUSH_ESTATE);
    /* round 1: tamper with a ciphertext on its way to client 0 */
    hand_up(&h);
    uint8_t saved[4096];
    memcpy(saved, h.buf[0], h.len[0]);
    h.buf[0][HUSH_SECAGG_HEADERBYTES + 4 + 4 + 50] ^= 0x20;
    CHECK_RC(hush_secagg_client_receive(h.c[0], h.buf[0], h.len[0]), HUSH_ECRYPTO);
    CHECK(hush_secagg_client_round(h.c[0]) == HUSH_SECAGG_ROUND_SHARE);
    /* swap the two ciphertexts' sender ids: AEAD binds the sender */
    memcpy(h.buf[0], saved, h.len[0]);
    {
        uint8_t *p = h.buf[0] + HUSH_SECAGG_HEADERBYTES + 4;
        uint8_t tmp[104];
        memcpy(tmp, p + 4, 104);
        memcpy(p + 4, p + 4 + 108, 104);
        memcpy(p + 4 + 108, tmp, 104);
        CHECK_RC(hush_secagg_client_receive(h.c[0], h.buf[0], h.len[0]), HUSH_ECRYPTO);
    }
    memcpy(h.buf[0], saved, h.len[0]);
    hand_down(&h);
    /* round 2: the server rejects a masked input with a value >= 2^bits only when bits < 32;
     * here it rejects a duplicate */
    for (uint32_t u = 0; u < 3; u++) {
        CHECK_OK(hush_secagg_client_next_message(h.c[u], h.buf[u], sizeof h.buf[u], &h.len[u]));
        CHECK_OK(hush_secagg_server_receive(h.s, h.buf[u], h.len[u]));
    }
    CHECK_RC(hush_secagg_server_receive(h.s, h.buf[2], h.len[2]), HUSH_ESTATE);
    /* a client message claiming to be from another sender in round 2 of a client that has
     * already sent is a replay too */
    CHECK_OK(hush_secagg_server_end_round(h.s));
    for (uint32_t u = 0; u < 3; u++) {
        uint32_t to;
        CHECK_OK(hush_secagg_server_next_message(h.s, &to, h.buf[u], sizeof h.buf[u], &h.len[u]));
    }
    /* out of order: the U3 list given to a client that is still in round 1 of another session
     * is rejected; here: deliver U3 twice */
    hand_down(&h);
    CHECK_RC(hush_secagg_client_receive(h.c[1], h.buf[1], h.len[1]), HUSH_ESTATE);
    hand_free(&h);
}

/* The server tries to learn both b_v and s_sk_v of client 2: it tells client 0 that 2 survived
 * and tells it later that 2 did not, or includes 2 in U4 after leaving it out of U3. */
static void test_never_both(void) {
    hand h;
    hand_init(&h, 3, 0, NULL, NULL);
    hand_up(&h);
    hand_down(&h); /* keys */
    hand_up(&h);
    hand_down(&h); /* shares */
    hand_up(&h);   /* masked inputs; buf = U3 = {0,1,2} */
    uint8_t u3_all[4096], u3_forged[4096];
    size_t l_all = h.len[0];
    memcpy(u3_all, h.buf[0], l_all);
    memcpy(u3_forged, u3_all, l_all);
    u3_forged[HUSH_SECAGG_HEADERBYTES + 4] &= (uint8_t)~4u; /* "client 2 dropped" */
    /* first U3 without client 2: client 0 fixes sk for 2 */
    CHECK_OK(hush_secagg_client_receive(h.c[0], u3_forged, l_all));
    /* the other U3 (2 alive) is now refused: the decision is final */
    CHECK_RC(hush_secagg_client_receive(h.c[0], u3_all, l_all), HUSH_ESTATE);
    /* nor can U4 reintroduce client 2 */
    uint8_t c3[4096];
    size_t l3;
    CHECK_OK(hush_secagg_client_next_message(h.c[0], c3, sizeof c3, &l3));
    uint8_t d4[HUSH_SECAGG_HEADERBYTES + 4 + 12];
    uint8_t sess[16] = {0};
    (void)sess;
    memcpy(d4, u3_all, HUSH_SECAGG_HEADERBYTES);
    d4[1] = 4;
    d4[28] = 16; d4[29] = d4[30] = d4[31] = 0;
    d4[32] = 3; d4[33] = d4[34] = d4[35] = 0;
    for (int i = 0; i < 3; i++) {
        d4[36 + 4 * i] = (uint8_t)i;
        d4[37 + 4 * i] = d4[38 + 4 * i] = d4[39 + 4 * i] = 0;
    }
    CHECK_RC(hush_secagg_client_receive(h.c[0], d4, sizeof d4), HUSH_EFORMAT);
    /* a consistent U4 {0, 1} is accepted; the unmasking message reveals b for 0 and 1, sk for 2 */
    d4[28] = 12;
    d4[32] = 2;
    CHECK_OK(hush_secagg_client_receive(h.c[0], d4, sizeof d4 - 4));
    uint8_t r4[4096];
    size_t l4;
    CHECK_OK(hush_secagg_client_next_message(h.c[0], r4, sizeof r4, &l4));
    CHECK(l4 == HUSH_SECAGG_HEADERBYTES + 4 + 3 * 45);
    const uint8_t *e = r4 + HUSH_SECAGG_HEADERBYTES + 4;
    CHECK(e[0] == 0 && e[4] == 1);
    CHECK(e[45] == 1 && e[49] == 1);
    CHECK(e[90] == 2 && e[94] == 2);
    /* and nothing more can be extracted */
    CHECK_OK(hush_secagg_client_next_message(h.c[0], r4, sizeof r4, &l4));
    CHECK(l4 == 0);
    CHECK(hush_secagg_client_round(h.c[0]) == HUSH_SECAGG_DONE);
    CHECK_RC(hush_secagg_client_receive(h.c[0], d4, sizeof d4 - 4), HUSH_ESTATE);
    hand_free(&h);
}

/* Authenticated variant: a server that forges a consistency signature is caught. */
static void test_auth_tamper(void) {
    uint8_t sks[3 * 64], pks[3 * 32];
    keys_for(3, sks, pks);
    hand h;
    hand_init(&h, 3, 1, sks, pks);
    hand_up(&h);
    /* the key list: flip a bit of client 1's s_pk (the server substitutes a key) */
    h.buf[0][HUSH_SECAGG_HEADERBYTES + 4 + (4 + 128) + 4 + 40] ^= 1;
    CHECK_RC(hush_secagg_client_receive(h.c[0], h.buf[0], h.len[0]), HUSH_ECRYPTO);
    h.buf[0][HUSH_SECAGG_HEADERBYTES + 4 + (4 + 128) + 4 + 40] ^= 1;
    hand_down(&h);
    hand_up(&h);
    hand_down(&h);
    hand_up(&h);
    hand_down(&h);
    hand_up(&h); /* U4 with signatures */
    h.buf[1][h.len[1] - 1] ^= 1;
    CHECK_RC(hush_secagg_client_receive(h.c[1], h.buf[1], h.len[1]), HUSH_ECRYPTO);
    h.buf[1][h.len[1] - 1] ^= 1;
    hand_down(&h);
    hand_up(&h);
    CHECK(hush_secagg_server_round(h.s) == HUSH_SECAGG_DONE);
    uint32_t sum[8];
    CHECK_OK(hush_secagg_server_result(h.s, sum, 8, NULL, 0));
    CHECK(sum[0] == 3 && sum[7] == 24);
    hand_free(&h);
}

/* Server's view: masked inputs are uniform, and their distribution does not depend on the
 * inputs (two-sample chi-square between all-zero inputs and large inputs with the same sum). */
static void test_view(void) {
    enum { N = 3, D = 4096, B = 256 };
    hush_secagg_config cfg;
    CHECK_OK(hush_secagg_config_init(&cfg, N, 2, D));
    cfg.bits = 8;
    uint32_t *x = calloc(N * D, 4), *y0 = malloc(N * D * 4), *y1 = malloc(N * D * 4), sum[D];
    sim_opts o = {NULL, NULL, NULL, 21, y0};
    CHECK_OK(sim_run(&cfg, x, &o, sum, NULL));
    for (int i = 0; i < D; i++) {
        x[i] = 200;
        x[D + i] = 56 + (uint32_t)(i % 7);
        x[2 * D + i] = (256 - 256 - (uint32_t)(i % 7)) & 255;
    }
    sim_opts o1 = {NULL, NULL, NULL, 22, y1};
    CHECK_OK(sim_run(&cfg, x, &o1, sum, NULL));
    for (int i = 0; i < D; i++) CHECK(sum[i] == 0);
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
    /* the pairwise masks alone also hide the input: y_u - PRG(b_u) is not x_u (sanity) */
    CHECK(y1[0] != x[0] || y1[1] != x[1] || y1[2] != x[2]);
    free(x);
    free(y0);
    free(y1);
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
    for (int i = 0; i < 3000; i++)
        same &= a[i] == ((uint32_t)ks[4 * i] | (uint32_t)ks[4 * i + 1] << 8 | (uint32_t)ks[4 * i + 2] << 16 |
                         (uint32_t)ks[4 * i + 3] << 24);
    CHECK(same);
    free(a);
}

static void test_faults(void) {
    hush_secagg_config cfg;
    CHECK_OK(hush_secagg_config_init(&cfg, 12, 7, 10));
    cfg.neighbours = 4;
    cfg.threshold = 3;
    for (int which = 0; which < 2; which++) {
        int ok = 0;
        for (long k = 1; k < 20 && !ok; k++) {
            check_alloc ca = {0, k, 0, 0};
            hush_allocator al = CHECK_ALLOCATOR(ca);
            void *h = NULL;
            int rc;
            uint8_t seed[32] = {1};
            if (which == 0) rc = hush_secagg_client_create((hush_secagg_client **)&h, &cfg, 3, seed, 32, &al);
            else rc = hush_secagg_server_create((hush_secagg_server **)&h, &cfg, &al);
            if (rc == HUSH_OK) {
                ok = 1;
                if (which == 0) hush_secagg_client_free(h);
                else hush_secagg_server_free(h);
            } else {
                CHECK_RC(rc, HUSH_ENOMEM);
                CHECK(h == NULL);
            }
            CHECK_MSG(ca.live_blocks == 0 && ca.live_bytes == 0, "leak after failing allocation %ld", k);
        }
        CHECK(ok);
    }
    /* argument checks */
    hush_secagg_client *c;
    CHECK_RC(hush_secagg_client_create(&c, &cfg, 12, NULL, 0, NULL), HUSH_EARG);
    CHECK_RC(hush_secagg_client_create(&c, &cfg, 0, (const uint8_t *)"short", 5, NULL), HUSH_EARG);
    cfg.bits = 0;
    CHECK_RC(hush_secagg_client_create(&c, &cfg, 0, NULL, 0, NULL), HUSH_ERANGE);
    /* OS-random client works too */
    cfg.bits = 32;
    CHECK_OK(hush_secagg_client_create(&c, &cfg, 0, NULL, 0, NULL));
    uint32_t bad[10] = {0};
    CHECK_RC(hush_secagg_client_set_input(c, bad, 9), HUSH_EARG);
    hush_secagg_client_free(c);
    /* the server ends rounds only while collecting */
    hush_secagg_server *s;
    CHECK_OK(hush_secagg_server_create(&s, &cfg, NULL));
    CHECK_RC(hush_secagg_server_end_round(s), HUSH_ESTATE); /* nobody advertised: abort */
    CHECK(hush_secagg_server_round(s) == HUSH_SECAGG_ABORTED);
    uint32_t sum[10];
    CHECK_RC(hush_secagg_server_result(s, sum, 10, NULL, 0), HUSH_ESTATE);
    hush_secagg_server_free(s);
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
                                         (uint32_t)atoi(kat_get(c, "dim"))));
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

int main(void) {
    if (hush_init() != HUSH_OK) return 1;
    test_shamir_and_prg();
    test_kat();
    test_sizes();
    test_dropouts();
    test_secagg_plus();
    test_authenticated();
    test_rejects();
    test_never_both();
    test_auth_tamper();
    test_view();
    test_faults();
    CHECK_SUMMARY();
}
