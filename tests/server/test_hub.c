/* hush-server's hub without sockets: participants are the core's hush_net_client, frames move
 * through sim.h, time is simulated. Rounds must commit exactly the plaintext sum (mod 2^bits) of
 * the inputs the round says it included, survive drop-outs at every stage, abort below the
 * threshold, and every hostile input must be refused without disturbing the others. */
#include "sim.h"

static srv_task task_def(const char *name, uint32_t dim, uint32_t clients, uint32_t t, uint32_t bits, uint32_t rounds) {
    srv_task d;
    memset(&d, 0, sizeof d);
    snprintf(d.name, sizeof d.name, "%s", name);
    snprintf(d.kind, sizeof d.kind, "sum");
    d.dim = dim;
    d.clients = clients;
    d.threshold = t;
    d.bits = bits;
    d.rounds = rounds;
    d.deadline = 5.0;
    return d;
}

static void fill_inputs(sim *s, uint32_t bits, uint32_t seed) {
    hush_rng r;
    CHECK_OK(hush_rng_init_u64(&r, seed));
    for (size_t i = 0; i < s->n_parts; i++)
        for (uint32_t j = 0; j < s->dim; j++) s->parts[i].x[j] = (uint32_t)check_below(&r, (uint64_t)1 << bits);
}

static srv_task get_task(sim *s, const char *name) {
    srv_task t;
    memset(&t, 0, sizeof t);
    CHECK_OK(srv_store_task_get(s->store, name, &t));
    return t;
}

static const char *until_task;
static uint32_t until_committed;
static int task_reached(sim *s) {
    srv_task t;
    return srv_store_task_get(s->store, until_task, &t) == HUSH_OK && t.committed >= until_committed;
}

/* The committed sum of `round` equals the plaintext sum of exactly the named survivors. */
static void check_round_sum(sim *s, const char *task, uint32_t round, uint32_t bits, const int *included) {
    uint32_t *got = calloc(s->dim, 4), dim = 0;
    CHECK_OK(srv_store_result(s->store, task, round, got, s->dim, &dim));
    CHECK(dim == s->dim);
    uint32_t mask = bits == 32 ? 0xffffffffu : (1u << bits) - 1;
    int same = 1;
    for (uint32_t j = 0; j < s->dim; j++) {
        uint32_t want = 0;
        for (size_t i = 0; i < s->n_parts; i++)
            if (included[i]) want += s->parts[i].x[j];
        same &= (want & mask) == got[j];
    }
    CHECK_MSG(same, "round %u: committed sum differs from the plaintext sum of the included inputs", round);
    free(got);
}

static void test_rounds(void) {
    sim s;
    sim_init(&s, NULL);
    s.dim = 10;
    srv_task d = task_def("sum10", 10, 5, 3, 16, 2);
    CHECK_OK(srv_store_task_create(s.store, &d, NULL, 0, s.now));
    for (int i = 0; i < 5; i++) {
        char name[24];
        snprintf(name, sizeof name, "bank-%d", i);
        sim_connect(&s, sim_add_part(&s, name, 1, "sum10"));
    }
    fill_inputs(&s, 16, 7);
    until_task = "sum10";
    until_committed = 2;
    sim_run(&s, task_reached, 1.0, 50);
    srv_task t = get_task(&s, "sum10");
    CHECK(t.committed == 2 && t.last_result == 2 && !strcmp(t.state, "done"));
    int all[5] = {1, 1, 1, 1, 1};
    check_round_sum(&s, "sum10", 1, 16, all);
    check_round_sum(&s, "sum10", 2, 16, all);
    for (int i = 0; i < 5; i++) {
        CHECK(s.parts[i].rounds_committed == 2);
        /* participants get the committed sum too */
        uint32_t want = 0;
        for (int k = 0; k < 5; k++) want += s.parts[k].x[3];
        CHECK((want & 0xffff) == s.parts[i].sum[3]);
    }
    char *json = NULL;
    size_t len;
    CHECK_OK(srv_hub_status_json(s.hub, &json, &len));
    CHECK(json && strstr(json, "\"name\":\"sum10\",\"kind\":\"sum\",\"round\":3,\"committed_rounds\":2,"
                               "\"state\":\"done\",\"last_result_round\":2"));
    CHECK(json && strstr(json, "\"connections\":5"));
    free(json);
    /* Enrolled identities authenticate again without a token; the task is finished. */
    sim_part *p = &s.parts[0];
    sim_drop_conn(&s, p->conn);
    hush_net_client_free(p->c);
    CHECK_OK(hush_net_client_create(&p->c, p->sk, p->name, NULL, NULL));
    CHECK_OK(hush_net_client_join(p->c, "sum10"));
    sim_connect(&s, p);
    sim_pump(&s);
    CHECK(p->last_error == HUSH_NET_E_TASK && p->conn == 0);
    sim_done(&s);
}

/* Drop-outs at every stage: before advertising keys and before sharing (not in the round's
 * sum), before the masked input (excluded), and after it (included, recovered). */
static void test_dropouts(void) {
    sim s;
    sim_init(&s, NULL);
    s.dim = 7;
    srv_task d = task_def("drops", 7, 8, 5, 20, 1);
    CHECK_OK(srv_store_task_create(s.store, &d, NULL, 0, s.now));
    for (int i = 0; i < 8; i++) {
        char name[24];
        snprintf(name, sizeof name, "p%d", i);
        sim_connect(&s, sim_add_part(&s, name, 1, "drops"));
    }
    fill_inputs(&s, 20, 11);
    s.parts[1].drop_at = 1; /* after advertising keys, before sharing */
    s.parts[4].drop_at = 2; /* after sharing, before the masked input */
    s.parts[6].drop_at = 3; /* after the masked input, before consistency */
    until_task = "drops";
    until_committed = 1;
    sim_run(&s, task_reached, 6.0, 50);
    srv_task t = get_task(&s, "drops");
    CHECK(t.committed == 1);
    int inc[8] = {1, 0, 1, 1, 0, 1, 1, 1};
    check_round_sum(&s, "drops", 1, 20, inc);
    sim_done(&s);
}

/* Below the threshold the round aborts, is recorded, and the next round (with the ones left and
 * a newcomer) commits. */
static void test_abort_then_continue(void) {
    sim s;
    sim_init(&s, NULL);
    s.dim = 4;
    srv_task d = task_def("ab", 4, 4, 3, 12, 1);
    CHECK_OK(srv_store_task_create(s.store, &d, NULL, 0, s.now));
    for (int i = 0; i < 4; i++) {
        char name[24];
        snprintf(name, sizeof name, "q%d", i);
        sim_connect(&s, sim_add_part(&s, name, 1, "ab"));
    }
    fill_inputs(&s, 12, 3);
    s.parts[0].drop_at = 2;
    s.parts[1].drop_at = 2;
    sim_run(&s, task_reached, 6.0, 8); /* round 1 aborts; 2 left of a threshold of 3 */
    srv_task t = get_task(&s, "ab");
    CHECK(t.committed == 0 && t.round == 2);
    CHECK(s.parts[2].rounds_aborted == 1 && s.parts[3].rounds_aborted == 1);
    /* a third participant arrives: round 2 runs with q2, q3, q4 */
    sim_part *p = sim_add_part(&s, "q4", 1, "ab");
    for (uint32_t j = 0; j < s.dim; j++) p->x[j] = 100 + j;
    sim_connect(&s, p);
    until_task = "ab";
    until_committed = 1;
    sim_run(&s, task_reached, 6.0, 50);
    t = get_task(&s, "ab");
    CHECK(t.committed == 1 && t.last_result == 2);
    int inc[5] = {0, 0, 1, 1, 1};
    check_round_sum(&s, "ab", 2, 12, inc);
    uint32_t dim;
    uint32_t tmp[4];
    CHECK_RC(srv_store_result(s.store, "ab", 1, tmp, 4, &dim), HUSH_EARG); /* aborted: no result */
    sim_done(&s);
}

/* A restart mid-round abandons the round; after restart the same round number reruns with a
 * fresh session and commits. */
static void test_restart_mid_round(void) {
    sim s;
    sim_init(&s, NULL);
    s.dim = 5;
    srv_task d = task_def("rs", 5, 3, 2, 16, 1);
    CHECK_OK(srv_store_task_create(s.store, &d, NULL, 0, s.now));
    for (int i = 0; i < 3; i++) {
        char name[24];
        snprintf(name, sizeof name, "r%d", i);
        sim_connect(&s, sim_add_part(&s, name, 1, "rs"));
    }
    fill_inputs(&s, 16, 5);
    s.parts[0].mute_at = 2; /* stalls the round at stage 2 until the deadline */
    sim_pump(&s);
    srv_task t = get_task(&s, "rs");
    CHECK(t.round == 1 && t.committed == 0);
    /* "crash": forget every connection and reopen the store */
    for (size_t i = 0; i < s.n_parts; i++) {
        if (s.parts[i].conn) s.conns[s.parts[i].conn].open = 0;
        sim_free_frames(&s.conns[s.parts[i].conn]);
        s.parts[i].conn = 0;
        s.parts[i].mute_at = -1;
    }
    sim_restart_hub(&s);
    for (size_t i = 0; i < s.n_parts; i++) sim_connect(&s, &s.parts[i]);
    until_task = "rs";
    until_committed = 1;
    sim_run(&s, task_reached, 6.0, 50);
    t = get_task(&s, "rs");
    CHECK(t.committed == 1 && t.last_result == 1);
    int inc[3] = {1, 1, 1};
    check_round_sum(&s, "rs", 1, 16, inc);
    sim_done(&s);
}

/* Sends one frame on a raw connection and returns the close code the hub answered with (0 if
 * it did not close). */
static uint16_t raw_close_code(sim *s, uint64_t id) {
    sim_frame *f;
    while ((f = sim_pop(s, id))) {
        free(f->p);
        free(f);
    }
    return s->conns[id].close_requested ? s->conns[id].close_code : 0;
}

static void raw_auth(sim *s, uint64_t id, const char *name, const uint8_t sk[64], const uint8_t *token,
                     int corrupt_sig) {
    sim_frame *f = sim_pop(s, id);
    CHECK(f && f->p[3] == HUSH_NET_CHALLENGE);
    if (!f) return;
    const uint8_t *nonce = f->p + 8;
    uint8_t pk[32], tr[256], sig[64], out[512];
    size_t tl, ol;
    CHECK_OK(hush_net_identity_public(pk, sk));
    CHECK_OK(hush__nw_auth_transcript(tr, sizeof tr, &tl, nonce, name, pk, token));
    crypto_sign_detached(sig, NULL, tr, tl, sk);
    if (corrupt_sig) sig[5] ^= 1;
    CHECK_OK(hush__nw_auth(out, sizeof out, &ol, name, pk, token, sig));
    free(f->p);
    free(f);
    srv_hub_message(s->hub, id, out, ol, s->now);
}

static void test_hostile(void) {
    srv_limits lim;
    srv_limits_default(&lim);
    lim.max_unauthenticated = 4;
    lim.rate = 10;
    lim.burst = 20;
    sim s;
    sim_init(&s, &lim);
    s.dim = 3;
    srv_task d = task_def("h", 3, 5, 3, 8, 1);
    CHECK_OK(srv_store_task_create(s.store, &d, NULL, 0, s.now));
    uint8_t sk[64], sk2[64], token[32], bad[32] = {0};
    CHECK_OK(hush_net_identity_generate(sk));
    CHECK_OK(hush_net_identity_generate(sk2));
    CHECK_OK(srv_store_enroll(s.store, "alice", s.now, 60, token));

    uint64_t c = sim_open(&s); /* a wrong token */
    raw_auth(&s, c, "alice", sk, bad, 0);
    CHECK(raw_close_code(&s, c) == HUSH_NET_E_TOKEN);
    sim_drop_conn(&s, c);
    c = sim_open(&s); /* a bad signature */
    raw_auth(&s, c, "alice", sk, token, 1);
    CHECK(raw_close_code(&s, c) == HUSH_NET_E_AUTH);
    sim_drop_conn(&s, c);
    c = sim_open(&s); /* the right one enrols */
    raw_auth(&s, c, "alice", sk, token, 0);
    sim_frame *f = sim_pop(&s, c);
    CHECK(f && f->p[3] == HUSH_NET_WELCOME && (f->p[8 + 1 + 5] & 1));
    if (f) {
        free(f->p);
        free(f);
    }
    sim_drop_conn(&s, c);
    c = sim_open(&s); /* the token again, with another key: reused */
    raw_auth(&s, c, "alice", sk2, token, 0);
    CHECK(raw_close_code(&s, c) == HUSH_NET_E_AUTH);
    sim_drop_conn(&s, c);
    uint8_t token2[32];
    CHECK_OK(srv_store_enroll(s.store, "bob", s.now, 60, token2));
    c = sim_open(&s); /* a token issued for another name */
    raw_auth(&s, c, "carol", sk2, token2, 0);
    CHECK(raw_close_code(&s, c) == HUSH_NET_E_TOKEN);
    sim_drop_conn(&s, c);
    s.now += 120; /* expired */
    c = sim_open(&s);
    raw_auth(&s, c, "bob", sk2, token2, 0);
    CHECK(raw_close_code(&s, c) == HUSH_NET_E_TOKEN);
    sim_drop_conn(&s, c);

    c = sim_open(&s); /* JOIN before authenticating */
    uint8_t out[512];
    size_t ol;
    CHECK_OK(hush__nw_join(out, sizeof out, &ol, "h"));
    srv_hub_message(s.hub, c, out, ol, s.now);
    CHECK(raw_close_code(&s, c) == HUSH_NET_E_STATE);
    sim_drop_conn(&s, c);
    c = sim_open(&s); /* garbage */
    srv_hub_message(s.hub, c, (const uint8_t *)"GET / HTTP/1.1\r\n", 16, s.now);
    CHECK(raw_close_code(&s, c) == HUSH_NET_E_MALFORMED);
    sim_drop_conn(&s, c);
    c = sim_open(&s); /* an unknown task */
    raw_auth(&s, c, "alice", sk, NULL, 0);
    CHECK_OK(hush__nw_join(out, sizeof out, &ol, "nope"));
    srv_hub_message(s.hub, c, out, ol, s.now);
    CHECK(raw_close_code(&s, c) == HUSH_NET_E_TASK);
    sim_drop_conn(&s, c);
    c = sim_open(&s); /* a flood */
    raw_auth(&s, c, "alice", sk, NULL, 0);
    for (int i = 0; i < 40; i++) srv_hub_message(s.hub, c, out, 4, s.now);
    CHECK(raw_close_code(&s, c) == HUSH_NET_E_MALFORMED || raw_close_code(&s, c) == HUSH_NET_E_RATE);
    sim_drop_conn(&s, c);
    uint64_t idle[5]; /* unauthenticated connections: capped, and timed out */
    for (int i = 0; i < 4; i++) CHECK((idle[i] = sim_open(&s)) != 0);
    CHECK(sim_open(&s) == 0);
    s.now += lim.handshake_timeout + 1;
    srv_hub_tick(s.hub, s.now);
    for (int i = 0; i < 4; i++) {
        CHECK(raw_close_code(&s, idle[i]) == HUSH_NET_E_TIMEOUT);
        sim_drop_conn(&s, idle[i]);
    }

    /* Meanwhile honest participants complete a round, with a spoofer among them: h4 stays silent
     * so the round waits in stage 0, and h0 sends a round-0 message claiming to be h4. */
    s.dim = 3;
    for (int i = 0; i < 5; i++) {
        char name[24];
        snprintf(name, sizeof name, "h%d", i);
        sim_part *p = sim_add_part(&s, name, 1, "h");
        p->mute_at = i == 4 ? 0 : -1;
        for (uint32_t j = 0; j < s.dim; j++) p->x[j] = (37 * (uint32_t)i + 11 * j + 5) & 0xff;
        sim_connect(&s, p);
        sim_pump(&s); /* one at a time: at most 4 unauthenticated connections here */
    }
    CHECK(get_task(&s, "h").committed == 0);
    uint8_t spoof[12 + HUSH_SECAGG_HEADER_BYTES + 64 + 64];
    memset(spoof, 0, sizeof spoof);
    hush__nw_secagg_header(spoof, 1, sizeof spoof - 12);
    spoof[12] = HUSH_SECAGG_WIRE_VERSION;
    spoof[12 + 20] = 4; /* sender 4 */
    memset(spoof + 12 + 24, 0xff, 4); /* to the server */
    uint64_t h0 = s.parts[0].conn;
    srv_hub_message(s.hub, h0, spoof, sizeof spoof, s.now);
    CHECK(s.conns[h0].close_requested && s.conns[h0].close_code == HUSH_NET_E_ROUND);
    until_task = "h";
    until_committed = 1;
    sim_run(&s, task_reached, 6.0, 50);
    srv_task t = get_task(&s, "h");
    CHECK(t.committed == 1);
    int inc[5] = {0, 1, 1, 1, 0};
    check_round_sum(&s, "h", 1, 8, inc);
    sim_done(&s);
}

/* SecAgg+ (16 participants, neighbourhoods of 7): each ROUND carries only the participant's
 * neighbourhood's keys (netwire.h, SPARSE; exactly its size in bytes), the round commits the
 * plaintext sum, and a participant whose sparse PKI lacks a neighbour, or holds a stranger in its
 * place, refuses the round (the others commit without it). */
static uint64_t tamper_conn;
static int tamper_mode; /* 1: drop a neighbour's entry; 2: give a neighbour's entry a stranger's id */
typedef struct pki_e {
    uint32_t id;
    char name[HUSH_NET_NAME_MAX + 1];
    const uint8_t *pk;
} pki_e;
static int cmp_pki_e(const void *a, const void *b) {
    uint32_t x = ((const pki_e *)a)->id, y = ((const pki_e *)b)->id;
    return (x > y) - (x < y);
}
static int sparse_tamper(sim *s, uint64_t id, const uint8_t *f, size_t len, uint8_t **out, size_t *out_len) {
    (void)s;
    hush__nw_msg m;
    if (id != tamper_conn || hush__nw_decode(&m, f, len, 1u << 22) != HUSH_OK || m.type != HUSH_NET_ROUND) return 0;
    CHECK(m.flags & HUSH__NW_ROUND_SPARSE);
    pki_e e[64];
    size_t pos = 0, cnt = 0, victim = SIZE_MAX;
    for (uint32_t i = 0; i < m.pki_count && cnt < 64; i++, cnt++) {
        hush__nw_name nm;
        hush__nw_pki_next(&m, &pos, i, &e[cnt].id, &nm, &e[cnt].pk);
        memcpy(e[cnt].name, nm.p, nm.len);
        e[cnt].name[nm.len] = 0;
        if (victim == SIZE_MAX && e[cnt].id != m.your_id) victim = cnt;
    }
    if (tamper_mode == 1) {
        memmove(&e[victim], &e[victim + 1], (cnt - victim - 1) * sizeof *e);
        cnt--;
    } else {
        for (uint32_t v = 0; v < m.n; v++) {
            size_t k = 0;
            while (k < cnt && e[k].id != v) k++;
            if (k == cnt) { /* not a neighbour */
                e[victim].id = v;
                break;
            }
        }
        qsort(e, cnt, sizeof *e, cmp_pki_e);
    }
    uint8_t pki[64 * (4 + 1 + HUSH_NET_NAME_MAX + 32)];
    size_t pl = 0;
    for (size_t k = 0; k < cnt; k++) pl += hush__nw_pki_entry_id(pki + pl, sizeof pki - pl, e[k].id, e[k].name, e[k].pk);
    char task[HUSH_NET_NAME_MAX + 1];
    memcpy(task, m.name.p, m.name.len);
    task[m.name.len] = 0;
    hush__nw_round_info ri = {task, m.round, m.session, m.n, m.threshold, m.bits, m.dim, m.neighbours,
                              m.max_corrupt, m.flags, m.your_id, (uint32_t)cnt};
    *out = malloc(hush__nw_round_size(&ri, pl));
    CHECK_OK(hush__nw_round(*out, hush__nw_round_size(&ri, pl), out_len, &ri, pki, pl));
    return 1;
}

static void test_secagg_plus(int mode) {
    sim s;
    sim_init(&s, NULL);
    s.dim = 5;
    srv_task d = task_def("plus", 5, 16, 5, 16, 1);
    d.neighbours = 6;
    CHECK_OK(srv_store_task_create(s.store, &d, NULL, 0, s.now));
    for (int i = 0; i < 16; i++) {
        char name[24];
        snprintf(name, sizeof name, "p-%02d", i);
        sim_add_part(&s, name, 1, "plus");
    }
    fill_inputs(&s, 16, 11);
    tamper_mode = mode;
    tamper_conn = 0;
    s.tamper = mode ? sparse_tamper : NULL;
    for (int i = 0; i < 16; i++) { /* the round starts with the 16th */
        sim_connect(&s, &s.parts[i]);
        if (i == 3) tamper_conn = s.parts[3].conn;
        sim_pump(&s);
    }
    until_task = "plus";
    until_committed = 1;
    sim_run(&s, task_reached, 1.0, 50);
    srv_task t = get_task(&s, "plus");
    CHECK(t.committed == 1);
    int in[16];
    for (int i = 0; i < 16; i++) in[i] = !(mode && i == 3);
    check_round_sum(&s, "plus", 1, 16, in);
    if (!mode) {
        /* 16 ROUNDs of: header, NAME(plus), round, session, 8 u32, count, 7 x (id NAME(p-NN) pk) */
        uint64_t each = 8 + 5 + 4 + 16 + 32 + 4 + 7 * (4 + 5 + 32);
        CHECK_MSG(s.from_hub[HUSH_NET_ROUND] == 16 * each, "ROUND bytes %llu, expected %llu",
                  (unsigned long long)s.from_hub[HUSH_NET_ROUND], (unsigned long long)(16 * each));
    } else {
        CHECK_MSG(s.parts[3].last_error == HUSH_EFORMAT, "mode %d: participant 3 got %d", mode, s.parts[3].last_error);
    }
    s.tamper = NULL;
    sim_done(&s);
}

int main(void) {
    CHECK_OK(hush_init());
    test_rounds();
    test_dropouts();
    test_abort_then_continue();
    test_restart_mid_round();
    test_hostile();
    test_secagg_plus(0);
    test_secagg_plus(1);
    test_secagg_plus(2);
    CHECK_SUMMARY();
}
