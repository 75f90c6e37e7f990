/* p2p sessions through the hub without sockets (sim.h): a bank and applicants are the core's
 * hush_p2p state machines, the hub is the server's with its dealer. Decisions must equal the
 * plaintext model's on every row, over the relay and over a direct link; a replayed session, a
 * forged signalling message, a pinned key that does not match, a dealer that is sent anything
 * after its handshake and a bank that leaves mid-session must all end the session with a clear
 * code and no output; nothing the server relayed or sent holds an input or a weight. */
#pragma GCC diagnostic ignored "-Wunused-function" /* sim.h's secure-aggregation helpers */
#include "sim.h"

#include "hush/p2p.h"
#include "io/p2pwire.h"

#define IN 12
#define MAXP 8

typedef struct peer {
    hush_p2p *p;
    uint64_t conn;
    uint8_t sk[64], pk[32];
    char name[32];
    int ready, direct;
    /* the last events of each kind */
    uint32_t done_slot[64], n_done, failed_slot[64], n_failed;
    int32_t failed_code[64];
    char failed_text[64][HUSH_NET_ERROR_TEXT_MAX + 1];
    int model_code, models;
    uint32_t session_slot[64], n_sessions;
    uint8_t session_id[64][16];
    uint8_t session_frame[512]; /* the last SESSION frame from the server */
    size_t session_frame_len;
    uint32_t signal_kind[16], n_signals;
    char signal_text[16][256];
} peer;

static peer peers[MAXP];
static size_t n_peers;
/* every frame the server sent or relayed (the tap) */
static uint8_t *tap_buf;
static size_t tap_len, tap_cap;
/* frames to a connection may be altered in transit (the forged-signal test) */
static int forge_signals_to;

static void tap_add(const uint8_t *f, size_t n) {
    if (tap_len + n > tap_cap) {
        tap_cap = (tap_len + n) * 2;
        tap_buf = realloc(tap_buf, tap_cap);
    }
    memcpy(tap_buf + tap_len, f, n);
    tap_len += n;
}

/* The patterns searched for in the tap: sorted by their first 8 bytes, so one pass over the
 * tap with a binary search per position finds any of them. */
typedef struct pattern {
    uint64_t key;
    uint8_t bytes[16];
    size_t len;
} pattern;
static pattern *pats;
static size_t n_pats, cap_pats;

static uint64_t key_of(const uint8_t *p) {
    uint64_t k;
    memcpy(&k, p, 8);
    return k;
}
static int dense(const uint8_t *p, size_t n);
static void pats_clear(void) { n_pats = 0; }
static void pats_add(const uint8_t *p, size_t len) {
    if (!dense(p, len)) return;
    if (n_pats == cap_pats) pats = realloc(pats, (cap_pats = cap_pats ? 2 * cap_pats : 1024) * sizeof *pats);
    pats[n_pats].key = key_of(p);
    memcpy(pats[n_pats].bytes, p, len);
    pats[n_pats++].len = len;
}
static int pat_cmp(const void *a, const void *b) {
    uint64_t x = ((const pattern *)a)->key, y = ((const pattern *)b)->key;
    return x < y ? -1 : x > y;
}
static size_t pats_find(const uint8_t *h, size_t n) {
    qsort(pats, n_pats, sizeof *pats, pat_cmp);
    size_t found = 0;
    for (size_t i = 0; i + 8 <= n; i++) {
        uint64_t k = key_of(h + i);
        size_t lo = 0, hi = n_pats;
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (pats[mid].key < k) lo = mid + 1;
            else hi = mid;
        }
        for (size_t j = lo; j < n_pats && pats[j].key == k; j++)
            if (i + pats[j].len <= n && !memcmp(h + i, pats[j].bytes, pats[j].len)) found++;
    }
    return found;
}

static int has_bytes(const uint8_t *h, size_t n, const uint8_t *pat, size_t k) {
    for (size_t i = 0; i + k <= n; i++)
        if (h[i] == pat[0] && !memcmp(h + i, pat, k)) return 1;
    return 0;
}

/* At least five bytes that are neither 0 nor 0xff (a fixed-point pair of small values has about
 * six): a pattern no header or counter makes by chance. */
static int dense(const uint8_t *p, size_t n) {
    int k = 0;
    for (size_t i = 0; i < n; i++) k += p[i] != 0 && p[i] != 0xff;
    return k >= 5;
}

static const hush_allocator *next_alloc; /* the allocator add_peer gives the next peer */

static peer *add_peer(sim *s, const char *name, uint32_t role, int direct) {
    peer *q = &peers[n_peers++];
    memset(q, 0, sizeof *q);
    snprintf(q->name, sizeof q->name, "%s", name);
    CHECK_OK(hush_net_identity_generate(q->sk));
    CHECK_OK(hush_net_identity_public(q->pk, q->sk));
    uint8_t token[HUSH_NET_TOKEN_BYTES];
    CHECK_OK(srv_store_enroll(s->store, name, s->now, 3600, token));
    hush_p2p_config cfg;
    CHECK_OK(hush_p2p_config_init(&cfg, role));
    cfg.direct = (uint32_t)direct;
    cfg.frame_max = 4096; /* small frames: fragmentation is exercised */
    cfg.link_max = 1024;
    q->direct = direct;
    int rc = hush_p2p_create(&q->p, &cfg, q->sk, name, token, next_alloc);
    if (!next_alloc) CHECK_OK(rc);
    else CHECK(rc == HUSH_OK || rc == HUSH_ENOMEM);
    if (rc != HUSH_OK) {
        n_peers--;
        return NULL;
    }
    q->conn = sim_open(s);
    return q;
}

static void drop_peer(sim *s, peer *q) {
    sim_drop_conn(s, q->conn);
    q->conn = 0;
}

/* Direct-link messages not deliverable yet (the other end has not seen its SESSION). */
typedef struct linkmsg {
    struct linkmsg *next;
    uint8_t sid[16];
    size_t from, len;
    uint8_t data[];
} linkmsg;
static linkmsg *links_head, **links_tail = &links_head;

static const uint8_t *sid_of(const peer *q, uint32_t slot) {
    for (uint32_t k = 0; k < q->n_sessions && k < 64; k++)
        if (q->session_slot[k] == slot) return q->session_id[k];
    return NULL;
}

/* Delivers waiting direct-link messages in order; returns how many went. */
static size_t links_deliver(void) {
    size_t n = 0;
    while (links_head) {
        linkmsg *l = links_head;
        int sent = 0;
        for (size_t j = 0; j < n_peers && !sent; j++) {
            if (j == l->from || !peers[j].conn) continue;
            for (uint32_t k = 0; k < peers[j].n_sessions && k < 64 && !sent; k++)
                if (!memcmp(peers[j].session_id[k], l->sid, 16)) {
                    int rc = hush_p2p_link_receive(peers[j].p, peers[j].session_slot[k], l->data, l->len);
                    (void)rc; /* a refusal ends the session: the events say so */
                    sent = 1;
                }
        }
        if (!sent) break; /* in order: later ones wait too */
        links_head = l->next;
        if (!links_head) links_tail = &links_head;
        free(l);
        n++;
    }
    return n;
}

static void on_event(peer *q, const hush_p2p_event *e) {
    switch (e->kind) {
    case HUSH_P2P_EV_READY: q->ready = 1; break;
    case HUSH_P2P_EV_MODEL:
        q->models++;
        q->model_code = e->code;
        break;
    case HUSH_P2P_EV_SESSION:
        memcpy(q->session_id[q->n_sessions % 64], e->session, 16);
        q->session_slot[q->n_sessions++ % 64] = e->slot;
        /* a transport with a data channel: the link comes up at once here */
        if (q->direct && e->link == HUSH_P2P_LINK_DIRECT) CHECK_OK(hush_p2p_link(q->p, e->slot, HUSH_P2P_LINK_DIRECT));
        break;
    case HUSH_P2P_EV_SIGNAL: {
        uint8_t b[256];
        size_t w = 0;
        CHECK_OK(hush_p2p_event_data(q->p, b, sizeof b - 1, &w));
        b[w] = 0;
        q->signal_kind[q->n_signals % 16] = e->signal;
        memcpy(q->signal_text[q->n_signals % 16], b, w + 1);
        q->n_signals++;
        break;
    }
    case HUSH_P2P_EV_DONE: q->done_slot[q->n_done++ % 64] = e->slot; break;
    case HUSH_P2P_EV_FAILED:
        q->failed_code[q->n_failed % 64] = e->code;
        snprintf(q->failed_text[q->n_failed % 64], sizeof q->failed_text[0], "%s", e->text);
        q->failed_slot[q->n_failed++ % 64] = e->slot;
        break;
    default: break;
    }
}

/* Moves frames (server <-> peers, and direct links between peers) until nothing moves, or
 * `budget` frames have moved (a session cut short). */
static size_t pump(sim *s, size_t budget) {
    static uint8_t buf[1 << 22];
    size_t moved = 0, round;
    do {
        round = 0;
        for (size_t i = 0; i < n_peers; i++) {
            peer *q = &peers[i];
            if (!q->conn) continue;
            sim_frame *f;
            while (moved < budget && (f = sim_pop(s, q->conn))) {
                tap_add(f->p, f->len);
                if ((int)i == forge_signals_to && f->len > 8 && f->p[3] == HUSH_P2P_MSG_SIGNAL) f->p[f->len - 70] ^= 1;
                if (f->p[3] == HUSH_P2P_MSG_SESSION && f->len <= sizeof q->session_frame)
                    memcpy(q->session_frame, f->p, q->session_frame_len = f->len);
                int rc = hush_p2p_receive(q->p, f->p, f->len); /* refusals show up as events */
                (void)rc;
                free(f->p);
                free(f);
                round++, moved++;
            }
            hush_p2p_event e;
            for (hush_p2p_event_next(q->p, &e); e.kind; hush_p2p_event_next(q->p, &e)) on_event(q, &e);
            if (s->conns[q->conn].close_requested) {
                drop_peer(s, q);
                continue;
            }
            for (;;) {
                if (moved >= budget) break;
                size_t len = 0;
                int rc = hush_p2p_next_message(q->p, buf, sizeof buf, &len);
                CHECK_OK(rc);
                if (rc || !len) break;
                srv_hub_message(s->hub, q->conn, buf, len, s->now);
                round++, moved++;
            }
            /* direct links: to the other end of the same session, as a data channel would */
            for (;;) {
                if (moved >= budget) break;
                uint32_t slot = 0;
                size_t len = 0;
                CHECK_OK(hush_p2p_link_next_message(q->p, &slot, buf, sizeof buf, &len));
                if (!len) break;
                const uint8_t *sid = sid_of(q, slot);
                CHECK(sid != NULL);
                if (!sid) break;
                linkmsg *l = malloc(sizeof *l + len);
                memcpy(l->sid, sid, 16);
                l->from = i;
                l->len = len;
                l->next = NULL;
                memcpy(l->data, buf, len);
                *links_tail = l;
                links_tail = &l->next;
                round++, moved++;
            }
            round += links_deliver();
        }
    } while (round && moved < budget);
    return moved;
}

static hush_model *make_model(uint64_t seed) {
    hush_layer_spec layers[8];
    size_t nl = 0;
    CHECK_OK(hush_model_spec_parse(layers, 8, &nl, "dense:16,relu,dense:8,relu,dense:2", NULL));
    hush_shape in = {IN, 1, 1};
    hush_model *m = NULL;
    CHECK_OK(hush_model_create(&m, layers, nl, in, 64, NULL));
    hush_rng r;
    CHECK_OK(hush_rng_init_u64(&r, seed));
    CHECK_OK(hush_model_init_params(m, &r));
    float shift[IN], scale[IN];
    for (int i = 0; i < IN; i++) shift[i] = (float)i * 0.5f, scale[i] = 1.0f / (1.0f + (float)i);
    CHECK_OK(hush_model_set_input_norm(m, shift, scale, IN));
    return m;
}

static float *make_rows(size_t rows, uint64_t seed) {
    float *x = malloc(rows * IN * sizeof *x);
    hush_rng r;
    CHECK_OK(hush_rng_init_u64(&r, seed));
    for (size_t i = 0; i < rows * IN; i++) x[i] = (float)(check_below(&r, 2000)) / 100.0f - 5.0f;
    return x;
}

static const char schema[] = "@relation t\n@attribute a numeric\n@attribute class {good,bad}\n";

/* A served bank and a described applicant. */
static void setup(sim *s, peer **bank, peer **app, const hush_model *m, int direct) {
    *bank = add_peer(s, "bank", HUSH_P2P_BANK, direct);
    *app = add_peer(s, "alice", HUSH_P2P_APPLICANT, direct);
    static uint8_t file[1 << 20];
    size_t len = 0;
    CHECK_OK(hush_model_save(m, file, sizeof file, &len));
    CHECK_OK(hush_p2p_serve((*bank)->p, file, len, schema, sizeof schema - 1));
    pump(s, SIZE_MAX);
    CHECK((*bank)->ready && (*app)->ready);
    CHECK_OK(hush_p2p_describe((*app)->p, "bank"));
    pump(s, SIZE_MAX);
    CHECK((*app)->models == 1 && (*app)->model_code == 0);
    /* the description carries the schema and a public model without weights */
    uint8_t *pub = malloc(len);
    char sch[256];
    size_t pl = 0, sl = 0;
    CHECK_OK(hush_p2p_description((*app)->p, "bank", pub, len, &pl, sch, sizeof sch, &sl));
    CHECK(sl == sizeof schema - 1 && !memcmp(sch, schema, sl));
    hush_model *pm = NULL;
    CHECK_OK(hush_model_load(&pm, pub, pl, 1, NULL));
    int zero = 1;
    for (size_t i = 0; pm && i < hush_model_param_count(pm); i++) zero &= hush_model_params(pm)[i] == 0.0f;
    CHECK_MSG(zero, "the published model has weights");
    hush_model_free(pm);
    free(pub);
}

static void reset_all(sim *s) {
    for (size_t i = 0; i < n_peers; i++) {
        if (peers[i].conn) drop_peer(s, &peers[i]);
        hush_p2p_free(peers[i].p);
    }
    n_peers = 0;
    forge_signals_to = -1;
    while (links_head) {
        linkmsg *l = links_head;
        links_head = l->next;
        free(l);
    }
    links_tail = &links_head;
}

/* Runs sessions of `rows` rows each over `total` rows; returns how many decisions were right. */
static size_t apply_all(sim *s, peer *app, hush_model *m, size_t total, uint32_t rows, uint32_t link, int concurrent) {
    float *x = make_rows(total, 77);
    uint32_t *want = calloc(total, sizeof *want), *got = calloc(total, sizeof *got);
    CHECK_OK(hush_model_predict(m, want, x, total));
    uint32_t slots[512];
    size_t agree = 0, started = 0, n_sess = (total + rows - 1) / rows;
    while (started < n_sess) {
        size_t batch = concurrent ? (n_sess - started < 16 ? n_sess - started : 16) : 1;
        uint32_t before = app->n_done;
        for (size_t k = 0; k < batch; k++) {
            size_t first = (started + k) * rows, r = total - first < rows ? total - first : rows;
            CHECK_OK(hush_p2p_apply(app->p, &slots[started + k], "bank", x + first * IN, r * IN, (uint32_t)r, link));
        }
        pump(s, SIZE_MAX);
        CHECK_MSG(app->n_done - before == batch, "%u of %zu sessions done (%u failed: %s)", app->n_done - before,
                  batch, app->n_failed, app->n_failed ? app->failed_text[(app->n_failed - 1) % 64] : "");
        for (size_t k = 0; k < batch; k++) {
            size_t first = (started + k) * rows, r = total - first < rows ? total - first : rows;
            CHECK_OK(hush_p2p_result(app->p, slots[started + k], got + first, r));
            CHECK_RC(hush_p2p_result(app->p, slots[started + k], got + first, r), HUSH_ESTATE); /* taken once */
        }
        started += batch;
    }
    for (size_t i = 0; i < total; i++) agree += want[i] == got[i];
    /* nothing the server relayed or sent holds an input or a weight: as float32 pairs (the
     * applicant's raw rows, the model file's layout) or as the fixed-point encodings the parties
     * compute on (the standardised inputs, the weights). Patterns with many zero bytes (zero
     * biases, small integers) are skipped: they occur in any header. */
    uint8_t pat[16];
    size_t found = 0;
    const float *w = hush_model_params(m);
    pats_clear();
    for (size_t i = 0; i + 1 < total * IN; i++) {
        memcpy(pat, x + i, 8);
        pats_add(pat, 8);
        for (int k = 0; k < 2; k++) {
            size_t j = i + (size_t)k;
            double v = ((double)x[j] - (double)(j % IN) * 0.5) / (1.0 + (double)(j % IN));
            uint64_t enc;
            CHECK_OK(hush_mpc_fixed_encode(&enc, &v, 1, 16));
            for (int b = 0; b < 8; b++) pat[8 * k + b] = (uint8_t)(enc >> (8 * b));
        }
        pats_add(pat, 16);
    }
    for (size_t i = 0; i + 1 < hush_model_param_count(m); i++) {
        memcpy(pat, w + i, 8);
        pats_add(pat, 8);
        for (int k = 0; k < 2; k++) {
            uint64_t enc;
            double v = w[i + (size_t)k];
            CHECK_OK(hush_mpc_fixed_encode(&enc, &v, 1, 16));
            for (int b = 0; b < 8; b++) pat[8 * k + b] = (uint8_t)(enc >> (8 * b));
        }
        pats_add(pat, 16);
    }
    found = pats_find(tap_buf, tap_len);
    tap_len = 0;
    CHECK_MSG(found == 0, "%zu input or weight patterns in the server's frames", found);
    /* the check would see them: the model file holds its weights as float32 pairs */
    uint8_t file[65536];
    size_t fl = 0;
    CHECK_OK(hush_model_save(m, file, sizeof file, &fl));
    memcpy(pat, w, 8);
    CHECK(has_bytes(file, fl, pat, 8));
    free(x), free(want), free(got);
    return agree;
}

static void test_relay_and_direct(void) {
    sim s;
    sim_init(&s, NULL);
    uint8_t dsk[64];
    CHECK_OK(hush_net_identity_generate(dsk));
    CHECK_OK(srv_hub_enable_dealer(s.hub, dsk));
    hush_model *m = make_model(5);
    peer *bank, *app;
    setup(&s, &bank, &app, m, 1);
    tap_len = 0;
    CHECK(apply_all(&s, app, m, 40, 1, HUSH_P2P_LINK_RELAY, 0) == 40);
    CHECK(apply_all(&s, app, m, 40, 7, HUSH_P2P_LINK_RELAY, 0) == 40);
    CHECK(apply_all(&s, app, m, 64, 2, HUSH_P2P_LINK_RELAY, 1) == 64); /* 16 sessions in flight */
    CHECK(apply_all(&s, app, m, 30, 3, HUSH_P2P_LINK_DIRECT, 0) == 30);
    CHECK(hush_p2p_sessions(app->p) == 0 && hush_p2p_sessions(bank->p) == 0);
    CHECK(app->n_failed == 0 && bank->n_failed == 0);
    /* the server recorded every session, done, with bytes */
    srv_hub_tick(s.hub, s.now);
    uint64_t done = 0, failed = 0;
    CHECK_OK(srv_store_p2p_count(s.store, "bank", &done, &failed));
    CHECK_MSG(done == 40 + 6 + 32 + 10 && failed == 0, "done %llu failed %llu", (unsigned long long)done,
              (unsigned long long)failed);
    char *json = NULL;
    size_t jl = 0;
    CHECK_OK(srv_hub_status_json(s.hub, &json, &jl));
    CHECK(json && strstr(json, "\"dealer\":{\"enabled\":true") && strstr(json, "\"name\":\"bank\""));
    free(json);
    reset_all(&s);
    hush_model_free(m);
    sim_done(&s);
}

static void test_signals(void) {
    sim s;
    sim_init(&s, NULL);
    uint8_t dsk[64];
    CHECK_OK(hush_net_identity_generate(dsk));
    CHECK_OK(srv_hub_enable_dealer(s.hub, dsk));
    hush_model *m = make_model(6);
    peer *bank, *app;
    setup(&s, &bank, &app, m, 1);
    /* a direct session whose link is not up yet: signals go both ways, verified */
    app->direct = bank->direct = 0; /* the test's transport holds the link back */
    float *x = make_rows(1, 3);
    uint32_t slot;
    CHECK_OK(hush_p2p_apply(app->p, &slot, "bank", x, IN, 1, HUSH_P2P_LINK_DIRECT));
    pump(&s, SIZE_MAX);
    CHECK(bank->n_sessions == 1 && app->n_sessions == 1);
    const char offer[] = "v=0\r\na=fingerprint:sha-256 AB:CD\r\n";
    CHECK_OK(hush_p2p_signal(app->p, slot, HUSH_P2P_SIGNAL_OFFER, (const uint8_t *)offer, sizeof offer - 1));
    pump(&s, SIZE_MAX);
    CHECK(bank->n_signals == 1 && bank->signal_kind[0] == HUSH_P2P_SIGNAL_OFFER && !strcmp(bank->signal_text[0], offer));
    CHECK_OK(hush_p2p_signal(bank->p, bank->session_slot[0], HUSH_P2P_SIGNAL_ANSWER, (const uint8_t *)"answer", 6));
    pump(&s, SIZE_MAX);
    CHECK(app->n_signals == 1 && app->signal_kind[0] == HUSH_P2P_SIGNAL_ANSWER);
    /* the applicant gives up on the direct link: the relay carries the session to the end */
    CHECK_OK(hush_p2p_link(app->p, slot, HUSH_P2P_LINK_RELAY));
    pump(&s, SIZE_MAX);
    CHECK(app->n_done == 1);
    uint32_t dec = 9, want = 8;
    CHECK_OK(hush_p2p_result(app->p, slot, &dec, 1));
    CHECK_OK(hush_model_predict(m, &want, x, 1));
    CHECK(dec == want);
    /* a forged offer (one bit of the SDP flipped on the way to the bank) is refused, and the
     * session ends on both sides without output */
    CHECK_OK(hush_p2p_apply(app->p, &slot, "bank", x, IN, 1, HUSH_P2P_LINK_DIRECT));
    pump(&s, SIZE_MAX);
    forge_signals_to = 0; /* peers[0] is the bank */
    CHECK_OK(hush_p2p_signal(app->p, slot, HUSH_P2P_SIGNAL_OFFER, (const uint8_t *)offer, sizeof offer - 1));
    pump(&s, SIZE_MAX);
    forge_signals_to = -1;
    CHECK(bank->n_failed == 1 && bank->failed_code[0] == HUSH_P2P_E_PROTOCOL);
    CHECK(bank->n_signals == 1); /* the forged one never reached the transport */
    CHECK(app->n_failed == 1 && app->failed_code[0] == HUSH_P2P_E_PROTOCOL);
    CHECK_RC(hush_p2p_result(app->p, slot, &dec, 1), HUSH_ESTATE);
    /* a replayed signal (the same frame twice) is refused as well */
    CHECK(hush_p2p_sessions(app->p) == 0);
    free(x);
    reset_all(&s);
    hush_model_free(m);
    sim_done(&s);
}

/* Pumps one frame at a time until q has seen `n` SESSION events. */
static void pump_until_session(sim *s, peer *q, uint32_t n) {
    for (int k = 0; k < 200 && q->n_sessions < n; k++) pump(s, 1);
    CHECK(q->n_sessions >= n);
}

static void test_failures(void) {
    sim s;
    sim_init(&s, NULL);
    uint8_t dsk[64];
    CHECK_OK(hush_net_identity_generate(dsk));
    hush_model *m = make_model(7);
    peer *bank, *app;
    /* no dealer: OPEN is refused with a clear code */
    setup(&s, &bank, &app, m, 0);
    float *x = make_rows(4, 9);
    uint32_t slot, dec[4];
    CHECK_OK(hush_p2p_apply(app->p, &slot, "bank", x, IN, 1, HUSH_P2P_LINK_RELAY));
    pump(&s, SIZE_MAX);
    CHECK(app->n_failed == 1 && app->failed_code[0] == HUSH_P2P_E_NO_DEALER);
    CHECK_OK(srv_hub_enable_dealer(s.hub, dsk));
    /* unknown bank */
    CHECK_OK(hush_p2p_describe(app->p, "nobank"));
    pump(&s, SIZE_MAX);
    CHECK(app->model_code == HUSH_P2P_E_NO_BANK);
    CHECK_RC(hush_p2p_apply(app->p, &slot, "nobank", x, IN, 1, HUSH_P2P_LINK_RELAY), HUSH_ESTATE);

    /* a replayed SESSION (a server reissuing an id the bank has used) is refused by the bank,
     * which tells the server why */
    CHECK_OK(hush_p2p_apply(app->p, &slot, "bank", x, IN, 1, HUSH_P2P_LINK_RELAY));
    pump(&s, SIZE_MAX);
    CHECK(app->n_done == 1 && bank->session_frame_len > 0);
    CHECK_OK(hush_p2p_result(app->p, slot, dec, 1));
    uint32_t failed0 = bank->n_failed;
    CHECK_RC(hush_p2p_receive(bank->p, bank->session_frame, bank->session_frame_len), HUSH_ESTATE);
    hush_p2p_event e;
    for (hush_p2p_event_next(bank->p, &e); e.kind; hush_p2p_event_next(bank->p, &e)) on_event(bank, &e);
    CHECK(bank->n_failed == failed0 + 1 && strstr(bank->failed_text[failed0 % 64], "replay"));
    uint8_t end[128];
    size_t endlen = 0;
    CHECK_OK(hush_p2p_next_message(bank->p, end, sizeof end, &endlen));
    CHECK(endlen > 0 && end[3] == HUSH_P2P_MSG_END);
    /* the applicant refuses a replay too (its own guard), and a SESSION it did not ask for */
    CHECK_RC(hush_p2p_receive(app->p, app->session_frame, app->session_frame_len), HUSH_ESTATE);

    /* a pinned key that is not the bank's: the description is refused, nothing can be applied */
    peer *eve = add_peer(&s, "eve", HUSH_P2P_APPLICANT, 0);
    pump(&s, SIZE_MAX);
    CHECK_OK(hush_p2p_pin(eve->p, "bank", app->pk)); /* the wrong key */
    CHECK_OK(hush_p2p_describe(eve->p, "bank"));
    pump(&s, SIZE_MAX);
    CHECK(eve->models == 1 && eve->model_code == HUSH_P2P_E_IDENTITY);
    CHECK_RC(hush_p2p_apply(eve->p, &slot, "bank", x, IN, 1, HUSH_P2P_LINK_RELAY), HUSH_ESTATE);
    /* the right bank key, but a dealer key that is not the server's */
    peer *bob = add_peer(&s, "bob", HUSH_P2P_APPLICANT, 0);
    pump(&s, SIZE_MAX);
    CHECK_OK(hush_p2p_pin(bob->p, "bank", bank->pk));
    CHECK_OK(hush_p2p_pin_dealer(bob->p, app->pk));
    CHECK_OK(hush_p2p_describe(bob->p, "bank"));
    pump(&s, SIZE_MAX);
    CHECK(bob->model_code == 0);
    CHECK_OK(hush_p2p_apply(bob->p, &slot, "bank", x, IN, 1, HUSH_P2P_LINK_RELAY));
    pump(&s, SIZE_MAX);
    CHECK(bob->n_failed == 1 && bob->failed_code[0] == HUSH_P2P_E_IDENTITY && bob->n_done == 0);

    /* the dealer receives nothing but one handshake message per party: a party that sends it
     * anything else ends the session; a frame for a session that is over is ignored */
    uint32_t before = app->n_failed;
    uint8_t frame[HUSH__PW_DEALER_PREFIX + 40];
    memset(frame, 0x5a, sizeof frame);
    hush__pw_dealer_header(frame, app->session_id[(app->n_sessions - 1) % 64], 0, 40);
    srv_hub_message(s.hub, app->conn, frame, sizeof frame, s.now);
    pump(&s, SIZE_MAX);
    CHECK(app->n_failed == before && app->conn != 0);
    CHECK_OK(hush_p2p_apply(app->p, &slot, "bank", x, IN, 1, HUSH_P2P_LINK_RELAY));
    pump_until_session(&s, app, app->n_sessions + 1);
    for (int k = 0; k < 8; k++) pump(&s, 1); /* past the dealer's handshake */
    hush__pw_dealer_header(frame, app->session_id[(app->n_sessions - 1) % 64], 0, 40);
    srv_hub_message(s.hub, app->conn, frame, sizeof frame, s.now);
    pump(&s, SIZE_MAX);
    CHECK_MSG(app->n_failed == before + 1 && app->failed_code[before % 64] == HUSH_P2P_E_PROTOCOL, "failed %u code %d",
              app->n_failed, app->n_failed ? app->failed_code[(app->n_failed - 1) % 64] : 0);
    CHECK(strstr(app->failed_text[before % 64], "dealer receives only handshakes") != NULL);

    /* the bank leaves mid-session: the applicant gets PEER_GONE and no output */
    uint32_t done0 = app->n_done;
    before = app->n_failed;
    CHECK_OK(hush_p2p_apply(app->p, &slot, "bank", x, 4 * IN, 4, HUSH_P2P_LINK_RELAY));
    pump_until_session(&s, app, app->n_sessions + 1);
    for (int k = 0; k < 30; k++) pump(&s, 1);
    CHECK(app->n_done == done0);
    drop_peer(&s, bank);
    pump(&s, SIZE_MAX);
    CHECK(app->n_failed == before + 1 && app->failed_code[before % 64] == HUSH_P2P_E_PEER_GONE);
    CHECK(strstr(app->failed_text[before % 64], "bank disconnected") != NULL);
    CHECK_RC(hush_p2p_result(app->p, slot, dec, 4), HUSH_ESTATE);
    CHECK(hush_p2p_sessions(app->p) == 0);
    /* and the server recorded each session it issued: one done, three failed (the wrong dealer
     * key, the record sent to the dealer, the bank that left); a refused OPEN issues none */
    srv_hub_tick(s.hub, s.now);
    uint64_t done = 0, failed = 0;
    CHECK_OK(srv_store_p2p_count(s.store, "bank", &done, &failed));
    CHECK_MSG(done == 1 && failed == 3, "done %llu failed %llu", (unsigned long long)done, (unsigned long long)failed);
    free(x);
    reset_all(&s);
    hush_model_free(m);
    sim_done(&s);
}

/* Every allocation of an applicant's and of a bank's state machine fails once, in turn: the create,
 * the description, the session (its roles, channels, queues, events) must each end cleanly
 * (HUSH_ENOMEM, or a failed session, never a crash) and leave nothing allocated. */
static void test_alloc_faults(void) {
    hush_model *m = make_model(8);
    static uint8_t file[1 << 16];
    size_t flen = 0;
    CHECK_OK(hush_model_save(m, file, sizeof file, &flen));
    float *x = make_rows(2, 4);
    uint32_t want[2];
    CHECK_OK(hush_model_predict(m, want, x, 2));
    /* one server for every attempt (a fresh database per attempt would cost seconds of fsync);
     * each attempt enrols its own names */
    sim s;
    sim_init(&s, NULL);
    uint8_t dsk[64];
    CHECK_OK(hush_net_identity_generate(dsk));
    CHECK_OK(srv_hub_enable_dealer(s.hub, dsk));
    for (int side = 0; side < 2; side++) {
        long total = 0;
        for (long fail_at = 0;; fail_at++) {
            if (s.next_conn + 2 >= sizeof s.conns / sizeof s.conns[0]) { /* out of connection ids */
                sim_done(&s);
                sim_init(&s, NULL);
                CHECK_OK(srv_hub_enable_dealer(s.hub, dsk));
            }
            char bn[32], an[32];
            snprintf(bn, sizeof bn, "bank-%d-%ld", side, fail_at);
            snprintf(an, sizeof an, "app-%d-%ld", side, fail_at);
            check_alloc ca = {0, fail_at, 0, 0};
            hush_allocator a = CHECK_ALLOCATOR(ca);
            next_alloc = side == 0 ? &a : NULL;
            peer *bank = add_peer(&s, bn, HUSH_P2P_BANK, 0);
            next_alloc = side == 1 ? &a : NULL;
            peer *app = add_peer(&s, an, HUSH_P2P_APPLICANT, 0);
            next_alloc = NULL;
            int done = 0;
            if (bank && app) {
                int rc = hush_p2p_serve(bank->p, file, flen, schema, sizeof schema - 1);
                CHECK(rc == HUSH_OK || rc == HUSH_ENOMEM);
                pump(&s, SIZE_MAX);
                if (app->ready && hush_p2p_describe(app->p, bn) == HUSH_OK) pump(&s, SIZE_MAX);
                uint32_t slot = 0, dec[2] = {9, 9};
                if (app->models && hush_p2p_apply(app->p, &slot, bn, x, 2 * IN, 2, HUSH_P2P_LINK_RELAY) == HUSH_OK) {
                    pump(&s, SIZE_MAX);
                    if (app->n_done && hush_p2p_result(app->p, slot, dec, 2) == HUSH_OK) {
                        CHECK(dec[0] == want[0] && dec[1] == want[1]); /* a finished session is right */
                        done = 1;
                    }
                }
            }
            reset_all(&s);
            CHECK_MSG(ca.live_blocks == 0 && ca.live_bytes == 0, "side %d fail_at %ld: %ld blocks, %zu bytes left", side,
                      fail_at, ca.live_blocks, ca.live_bytes);
            if (fail_at == 0) {
                CHECK(done);
                total = ca.calls;
                continue;
            }
            if (fail_at >= total) break;
        }
        CHECK(total > 50);
    }
    sim_done(&s);
    free(x);
    hush_model_free(m);
}

int main(void) {
    CHECK_OK(hush_init());
    forge_signals_to = -1;
    test_relay_and_direct();
    test_signals();
    test_failures();
    test_alloc_faults();
    free(tap_buf);
    free(pats);
    CHECK_SUMMARY();
}
