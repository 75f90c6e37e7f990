/* Federated tasks on the hub, without sockets (sim.h): participants are the core's
 * hush_net_client running the same per-round steps as `hush fl join` and hush.FederatedClient
 * (split, charge, contribute). Each committed round's stored sum must equal the plaintext sum of
 * the vectors the participants computed, each stored model version must be exactly the server
 * step applied to the previous version, every participant must hold the final version, a
 * participant over budget must decline (not drop) and never be charged twice, and a killed
 * server must resume from the last committed version, bytes identical. Each attempt's recorded
 * traffic must be exactly the frames that passed, a task's interval must hold between rounds, and
 * a database made before those columns existed must open and read. */
#include <sqlite3.h>

#include "federated.h"
#include "hush/federated.h"
#include "sim.h"

#define ROUNDS 3
#define PARTS 4

typedef struct fedp {
    hush_dataset *data, *train, *val;
    hush_odometer *od;
    uint64_t seed;
    uint32_t declined, charged_rounds;
    int recharge, recharged; /* test_charge_once: save, reload and charge the round again */
    uint32_t *x[ROUNDS + 8]; /* the vector it fed each round (by round number) */
    size_t dim;
} fedp;

static hush_dataset *make_data(uint64_t seed, size_t rows) {
    hush_rng r;
    CHECK_OK(hush_rng_init_u64(&r, seed));
    size_t cap = rows * 48 + 16, len = 0;
    char *text = malloc(cap);
    for (size_t i = 0; i < rows; i++) {
        double a = hush_rng_uniform(&r) * 4 - 2, b = hush_rng_uniform(&r) * 4 - 2;
        len += (size_t)snprintf(text + len, cap - len, "%.4f,%.4f,%d\n", a, b, a + 0.5 * b > 0);
    }
    hush_dataset *d = NULL;
    CHECK_OK(hush_csv_parse(&d, text, len, NULL, NULL));
    free(text);
    return d;
}

static void create_task(sim *s, const char *name, uint32_t privacy, uint32_t rounds, double interval) {
    hush_federated_task ft;
    CHECK_OK(hush_federated_task_init(&ft, privacy, PARTS, 3, 0.2));
    ft.local_batch = 8;
    if (privacy != HUSH_FEDERATED_PRIVACY_NONE) ft.noise_multiplier = 1.0;
    CHECK_OK(hush_federated_task_check(&ft));
    uint8_t *model = NULL;
    size_t mlen = 0, np = 0;
    uint64_t seed = 5;
    CHECK_OK(srv_fed_initial_model("dense:6,relu,dense:2", 2, 2, &seed, NULL, 0, &model, &mlen, &np));
    srv_task d;
    memset(&d, 0, sizeof d);
    snprintf(d.name, sizeof d.name, "%s", name);
    snprintf(d.kind, sizeof d.kind, "fedavg");
    d.dim = (uint32_t)hush_federated_dim(np);
    d.clients = PARTS;
    d.threshold = 3;
    d.bits = ft.bits;
    d.rounds = rounds;
    d.deadline = 5.0;
    d.interval = interval;
    size_t w;
    CHECK_OK(hush_federated_task_encode(d.fl, sizeof d.fl, &w, &ft));
    snprintf(d.spec, sizeof d.spec, "dense:6,relu,dense:2");
    d.input_size = 2;
    d.classes = 2;
    CHECK_OK(srv_store_task_create(s->store, &d, model, mlen, s->now));
    s->dim = d.dim;
    free(model);
}

static uint8_t *client_model(hush_net_client *c, size_t *len, hush_federated_task *t) {
    CHECK_RC(hush_net_client_model(c, NULL, 0, len, t), HUSH_ERANGE);
    uint8_t *m = malloc(*len);
    CHECK_OK(hush_net_client_model(c, m, *len, len, t));
    return m;
}

/* One round of a participant: the steps of `hush fl join`, and the same vector recomputed
 * independently from the model and terms it was given. */
static void fed_round(sim_part *p, const hush_net_event *ev) {
    fedp *f = p->ud;
    CHECK(ev->task_kind == HUSH_NET_TASK_FEDAVG && ev->dim == f->dim);
    if (!f->train) CHECK_OK(hush_net_client_fl_split(p->c, &f->train, &f->val, f->data, NULL));
    int declined = 0;
    CHECK_OK(hush_net_client_fl_charge(p->c, f->od, &declined, hush_dataset_rows(f->train)));
    if (declined) {
        f->declined++;
        return;
    }
    f->charged_rounds++;
    if (f->recharge) {
        size_t cap = hush_odometer_save_size(f->od), w = 0;
        uint8_t *b = malloc(cap);
        CHECK_OK(hush_odometer_save(f->od, b, cap, &w));
        hush_odometer *od = NULL;
        CHECK_OK(hush_odometer_load(&od, b, w, NULL));
        free(b);
        size_t n = hush_odometer_count(od);
        CHECK_OK(hush_net_client_fl_charge(p->c, od, &declined, hush_dataset_rows(f->train)));
        CHECK(!declined && hush_odometer_count(od) == n);
        f->recharged++;
        hush_odometer_free(f->od);
        f->od = od;
    }
    hush_rng r, r2;
    CHECK_OK(hush_rng_init_u64(&r, f->seed * 1000 + ev->round));
    r2 = r;
    hush_federated_report rep, rep2;
    CHECK_OK(hush_net_client_fl_contribute(p->c, &r, &rep, f->train, f->val, NULL));
    size_t ml;
    hush_federated_task t;
    uint8_t *m = client_model(p->c, &ml, &t);
    if (ev->round < ROUNDS + 8) {
        free(f->x[ev->round]);
        f->x[ev->round] = calloc(f->dim, 4);
        CHECK_OK(hush_federated_contribute(&r2, f->x[ev->round], f->dim, &rep2, &t, m, ml, f->train, f->val, NULL));
        CHECK(rep.train_rows == rep2.train_rows && rep.steps == rep2.steps);
    }
    free(m);
}

static fedp *add_fed(sim *s, const char *name, const char *task, uint64_t seed, size_t rows, double budget) {
    sim_part *p = sim_add_part(s, name, 1, task);
    fedp *f = calloc(1, sizeof *f);
    f->data = make_data(seed, rows);
    f->seed = seed;
    f->dim = s->dim;
    hush_odometer_config oc;
    CHECK_OK(hush_odometer_config_init(&oc, budget, 1e-5));
    CHECK_OK(hush_odometer_create(&f->od, &oc, NULL));
    p->on_round = fed_round;
    p->ud = f;
    sim_connect(s, p);
    return f;
}

static void free_fed(sim *s) {
    for (size_t i = 0; i < s->n_parts; i++) {
        fedp *f = s->parts[i].ud;
        if (!f) continue;
        hush_dataset_free(f->data);
        hush_dataset_free(f->train);
        hush_dataset_free(f->val);
        hush_odometer_free(f->od);
        for (size_t k = 0; k < ROUNDS + 8; k++) free(f->x[k]);
        free(f);
    }
}

static const char *until_task;
static uint32_t until_committed;
static int task_reached(sim *s) {
    srv_task t;
    return srv_store_task_get(s->store, until_task, &t) == HUSH_OK && t.committed >= until_committed;
}

/* Round `round`'s stored sum is the plaintext sum of the vectors of the participants in `in`,
 * and version `round` is the server step applied to version `prev` with that sum. */
static void check_round(sim *s, const char *task, uint32_t round, uint32_t prev, const int *in, uint32_t survivors) {
    srv_task d;
    CHECK_OK(srv_store_task_get(s->store, task, &d));
    uint32_t *sum = calloc(d.dim, 4), dim = 0, mask = d.bits == 32 ? 0xffffffffu : (1u << d.bits) - 1;
    CHECK_OK(srv_store_result(s->store, task, round, sum, d.dim, &dim));
    int same = dim == d.dim;
    for (uint32_t j = 0; same && j < d.dim; j++) {
        uint32_t want = 0;
        for (size_t i = 0; i < s->n_parts; i++)
            if (in[i]) want += ((fedp *)s->parts[i].ud)->x[round][j];
        same &= (want & mask) == sum[j];
    }
    CHECK_MSG(same, "round %u: the stored sum is not the sum of the participants' vectors", round);
    uint8_t *m0 = NULL, *st0 = NULL, *m1 = NULL, *st1 = NULL;
    size_t l0, s0, l1, s1;
    uint32_t got;
    CHECK_OK(srv_store_model_get(s->store, task, prev, &m0, &l0, &st0, &s0, &got));
    CHECK(got == prev);
    CHECK_OK(srv_store_model_get(s->store, task, round, &m1, &l1, &st1, &s1, &got));
    CHECK(got == round);
    hush_federated_task ft;
    CHECK_OK(hush_federated_task_decode(&ft, d.fl, sizeof d.fl));
    hush_federated_server *fs = NULL;
    CHECK_OK(hush_federated_server_create(&fs, &ft, m0, l0, st0, s0, NULL));
    hush_federated_metrics met;
    CHECK_OK(hush_federated_server_apply(fs, &met, sum, dim, survivors));
    size_t need = 0;
    CHECK_RC(hush_federated_server_model(fs, NULL, 0, &need), HUSH_ERANGE);
    uint8_t *want = malloc(need);
    CHECK_OK(hush_federated_server_model(fs, want, need, &need));
    CHECK_MSG(need == l1 && !memcmp(want, m1, l1), "version %u is not the server step from version %u", round, prev);
    free(want);
    hush_federated_server_free(fs);
    free(sum);
    free(m0);
    free(st0);
    free(m1);
    free(st1);
}

/* The traffic the task's attempts recorded (/api/tasks/NAME/rounds) is exactly what passed between
 * the hub and the participants after they joined: every ROUND, SECAGG, RESULT and MODEL frame the
 * hub queued, every SECAGG and DECLINE frame it was handed (the sim counts them as they pass).
 * Every attempt carries some of it. Returns the number of attempts. */
static size_t check_traffic(sim *s, const char *task) {
    char *json = NULL;
    size_t len, attempts = 0;
    CHECK_OK(srv_store_rounds_json(s->store, task, &json, &len));
    uint64_t in = 0, out = 0;
    int each = 1;
    for (const char *p = json; (p = strstr(p, "\"bytes_in\":")); attempts++) {
        char *end;
        uint64_t i = strtoull(p + 11, &end, 10);
        CHECK_MSG(!strncmp(end, ",\"bytes_out\":", 13), "no bytes_out after bytes_in: %s", json);
        uint64_t o = strtoull(end + 13, &end, 10);
        each &= i > 0 && o > 0;
        in += i;
        out += o;
        p = end;
    }
    uint64_t want_out = s->from_hub[HUSH_NET_ROUND] + s->from_hub[HUSH_NET_SECAGG] + s->from_hub[HUSH_NET_RESULT] +
                        s->from_hub[HUSH_NET_MODEL];
    uint64_t want_in = s->to_hub[HUSH_NET_SECAGG] + s->to_hub[HUSH_NET_DECLINE];
    CHECK_MSG(in == want_in && out == want_out, "recorded %llu in, %llu out; %llu in, %llu out passed",
              (unsigned long long)in, (unsigned long long)out, (unsigned long long)want_in,
              (unsigned long long)want_out);
    CHECK_MSG(each && attempts > 0, "an attempt without traffic: %s", json);
    CHECK(s->from_hub[HUSH_NET_ERROR] == 0);
    free(json);
    return attempts;
}

/* Three rounds without noise: sums, versions, and every participant ends with the final model
 * (each version sent to each participant once: 1 before the first round + 1 per commit). */
static void test_rounds(void) {
    sim s;
    sim_init(&s, NULL);
    create_task(&s, "credit", HUSH_FEDERATED_PRIVACY_NONE, ROUNDS, 0);
    for (int i = 0; i < PARTS; i++) {
        char name[24];
        snprintf(name, sizeof name, "bank-%d", i);
        add_fed(&s, name, "credit", (uint64_t)i + 1, 60 + 20 * (size_t)i, 1.0);
    }
    until_task = "credit";
    until_committed = ROUNDS;
    sim_run(&s, task_reached, 1.0, 50);
    srv_task d;
    CHECK_OK(srv_store_task_get(s.store, "credit", &d));
    CHECK(d.committed == ROUNDS && !strcmp(d.state, "done"));
    int all[PARTS] = {1, 1, 1, 1};
    for (uint32_t r = 1; r <= ROUNDS; r++) check_round(&s, "credit", r, r - 1, all, PARTS);
    uint8_t *last = NULL, *st = NULL;
    size_t ll, sl;
    uint32_t got;
    CHECK_OK(srv_store_model_get(s.store, "credit", -1, &last, &ll, &st, &sl, &got));
    CHECK(got == ROUNDS);
    for (size_t i = 0; i < s.n_parts; i++) {
        size_t ml;
        uint8_t *m = client_model(s.parts[i].c, &ml, NULL);
        CHECK_MSG(ml == ll && !memcmp(m, last, ll), "participant %zu does not hold the final model", i);
        CHECK(s.parts[i].models == ROUNDS + 1 && s.parts[i].rounds_committed == ROUNDS);
        /* privacy none costs nothing, and the odometer says so */
        CHECK(hush_odometer_count(((fedp *)s.parts[i].ud)->od) == 0);
        free(m);
    }
    char *json = NULL;
    size_t len;
    CHECK_OK(srv_hub_status_json(s.hub, &json, &len));
    CHECK(json && strstr(json, "\"model_version\":3") && strstr(json, "\"validation_accuracy\":"));
    free(json);
    CHECK(check_traffic(&s, "credit") == ROUNDS);
    free(last);
    free(st);
    free_fed(&s);
    sim_done(&s);
}

/* Record-level DP: a participant whose budget covers one round takes part once, then declines;
 * the round commits without it, records it as declined (not a survivor, not a drop-out), and
 * its odometer holds exactly one round's events, also if the same round is charged again. */
static void test_decline(void) {
    sim s;
    sim_init(&s, NULL);
    create_task(&s, "dp", HUSH_FEDERATED_PRIVACY_RECORD, 2, 0);
    fedp *f[PARTS];
    for (int i = 0; i < PARTS; i++) {
        char name[24];
        snprintf(name, sizeof name, "bank-%d", i);
        f[i] = add_fed(&s, name, "dp", (uint64_t)i + 11, 80, 1000.0);
    }
    until_task = "dp";
    until_committed = 1;
    sim_run(&s, task_reached, 1.0, 50);
    double lo = 0, hi = 0;
    CHECK_OK(hush_odometer_spent(f[0]->od, &lo, &hi, 1e-5));
    CHECK(hi > 0 && hush_odometer_count(f[0]->od) == 2); /* DP-SGD and the metrics */
    /* bank-0's budget now covers round 1 and no more */
    CHECK_OK(hush_odometer_set_budget(f[0]->od, hi * 1.01, 1e-5));
    size_t before = hush_odometer_count(f[0]->od);
    until_committed = 2;
    sim_run(&s, task_reached, 1.0, 50);
    CHECK(f[0]->declined == 1 && f[0]->charged_rounds == 1);
    CHECK(hush_odometer_count(f[0]->od) == before);
    for (int i = 1; i < PARTS; i++) CHECK(f[i]->declined == 0 && hush_odometer_count(f[i]->od) == 4);
    int in2[PARTS] = {0, 1, 1, 1};
    check_round(&s, "dp", 2, 1, in2, PARTS - 1);
    char *rounds = NULL;
    size_t rl;
    CHECK_OK(srv_store_rounds_json(s.store, "dp", &rounds, &rl));
    CHECK_MSG(rounds && strstr(rounds, "\"declined\":1,"), "round 2 does not record the decline: %s",
              rounds ? rounds : "");
    free(rounds);
    CHECK(check_traffic(&s, "dp") == 2); /* the DECLINE frame included */
    CHECK(s.to_hub[HUSH_NET_DECLINE] > 0);
    free_fed(&s);
    sim_done(&s);
}

static int any_aborted(sim *s) {
    char *json = NULL;
    size_t len;
    CHECK_OK(srv_store_rounds_json(s->store, until_task, &json, &len));
    int found = json && strstr(json, "\"state\":\"aborted\"") != NULL;
    free(json);
    return found;
}

/* Every participant over budget: the round aborts below the threshold, and its record says they
 * all declined (none dropped out), in the declined count and in the reason. */
static void test_all_decline(void) {
    sim s;
    sim_init(&s, NULL);
    create_task(&s, "spent", HUSH_FEDERATED_PRIVACY_RECORD, 2, 0);
    for (int i = 0; i < PARTS; i++) {
        char name[24];
        snprintf(name, sizeof name, "bank-%d", i);
        add_fed(&s, name, "spent", (uint64_t)i + 51, 60, 1e-3); /* less than one round costs */
    }
    until_task = "spent";
    sim_run(&s, any_aborted, 1.0, 50);
    char *json = NULL;
    size_t len;
    CHECK_OK(srv_store_rounds_json(s.store, "spent", &json, &len));
    const char *ab = json ? strstr(json, "\"state\":\"aborted\"") : NULL;
    CHECK_MSG(ab && strstr(ab, "4 declined") && strstr(ab, "\"declined\":4,"), "the aborted round does not record its declines: %s",
              json ? json : "");
    free(json);
    for (int i = 0; i < PARTS; i++) CHECK(((fedp *)s.parts[i].ud)->declined >= 1 && ((fedp *)s.parts[i].ud)->charged_rounds == 0);
    free_fed(&s);
    sim_done(&s);
}

/* The same round charged twice (a reload, a restart before contributing) costs once: the id
 * binds task, round and session, and the odometer keeps the ids through save and load. */
static void test_charge_once(void) {
    sim s;
    sim_init(&s, NULL);
    create_task(&s, "once", HUSH_FEDERATED_PRIVACY_RECORD, 1, 0);
    fedp *f[PARTS];
    for (int i = 0; i < PARTS; i++) {
        char name[24];
        snprintf(name, sizeof name, "p-%d", i);
        f[i] = add_fed(&s, name, "once", (uint64_t)i + 21, 50, 1000.0);
    }
    f[0]->recharge = 1;
    until_task = "once";
    until_committed = 1;
    sim_run(&s, task_reached, 1.0, 50);
    CHECK(f[0]->charged_rounds == 1 && f[0]->recharged == 1);
    CHECK(hush_odometer_count(f[0]->od) == hush_odometer_count(f[1]->od) && hush_odometer_count(f[1]->od) == 2);
    int all[PARTS] = {1, 1, 1, 1};
    check_round(&s, "once", 1, 0, all, PARTS);
    free_fed(&s);
    sim_done(&s);
}

/* kill -9 between rounds and in the middle of one: the restarted server resumes from the last
 * committed version (bytes identical), the abandoned round is recorded, and the task finishes. */
static void test_restart(void) {
    sim s;
    sim_init(&s, NULL);
    create_task(&s, "resume", HUSH_FEDERATED_PRIVACY_NONE, ROUNDS, 0);
    for (int i = 0; i < PARTS; i++) {
        char name[24];
        snprintf(name, sizeof name, "bank-%d", i);
        add_fed(&s, name, "resume", (uint64_t)i + 31, 60, 1.0);
    }
    until_task = "resume";
    until_committed = 1;
    sim_run(&s, task_reached, 1.0, 50);
    uint8_t *v1 = NULL, *st = NULL;
    size_t l1, sl;
    uint32_t got;
    CHECK_OK(srv_store_model_get(s.store, "resume", -1, &v1, &l1, &st, &sl, &got));
    CHECK(got == 1);
    free(st);
    /* round 2 starts and stalls after its first stage (nobody sends more): kill the server */
    for (size_t i = 0; i < s.n_parts; i++) s.parts[i].mute_at = 1;
    for (int k = 0; k < 50 && s.parts[0].last_round < 2; k++) {
        s.now += 1.0;
        srv_hub_tick(s.hub, s.now);
        sim_pump(&s);
    }
    CHECK(s.parts[0].last_round == 2);
    for (size_t i = 0; i < s.n_parts; i++) {
        s.conns[s.parts[i].conn].open = 0;
        sim_free_frames(&s.conns[s.parts[i].conn]);
        s.parts[i].conn = 0;
    }
    sim_restart_hub(&s);
    uint8_t *again = NULL;
    size_t la;
    CHECK_OK(srv_store_model_get(s.store, "resume", -1, &again, &la, &st, &sl, &got));
    CHECK(got == 1 && la == l1 && !memcmp(again, v1, l1));
    free(st);
    free(again);
    for (size_t i = 0; i < s.n_parts; i++) {
        s.parts[i].mute_at = -1;
        sim_connect(&s, &s.parts[i]);
    }
    until_committed = ROUNDS;
    sim_run(&s, task_reached, 1.0, 80);
    srv_task d;
    CHECK_OK(srv_store_task_get(s.store, "resume", &d));
    CHECK(d.committed == ROUNDS && !strcmp(d.state, "done"));
    /* the rounds after the restart went on from version 1, bytes identical: each committed
     * version is the server step from the one before (round 2 is attempted again) */
    uint32_t prev = 1, seen = 1;
    int all[PARTS] = {1, 1, 1, 1};
    for (uint32_t r = 2; r <= d.last_result; r++) {
        uint8_t *m = NULL;
        size_t ml;
        if (srv_store_model_get(s.store, "resume", r, &m, &ml, &st, &sl, &got) != HUSH_OK) continue;
        free(m);
        free(st);
        check_round(&s, "resume", r, prev, all, PARTS);
        prev = r;
        seen++;
    }
    CHECK(seen == ROUNDS);
    char *rounds = NULL;
    size_t rl;
    CHECK_OK(srv_store_rounds_json(s.store, "resume", &rounds, &rl));
    CHECK_MSG(rounds && strstr(rounds, "\"round\":2,\"state\":\"abandoned\""), "no abandoned attempt: %s",
              rounds ? rounds : "");
    /* the abandoned attempt never ended on a server: its traffic is unknown, not zero */
    const char *ab = rounds ? strstr(rounds, "\"state\":\"abandoned\"") : NULL;
    const char *abend = ab ? strchr(ab, '}') : NULL;
    const char *abin = ab ? strstr(ab, "\"bytes_in\":null,\"bytes_out\":null") : NULL;
    CHECK_MSG(abin && abin < abend, "abandoned attempt with traffic: %s", rounds ? rounds : "");
    free(rounds);
    free(v1);
    free_fed(&s);
    sim_done(&s);
}

/* A hostile server sends one participant a different global model (Pasquini et al., CCS 2022:
 * with a crafted model per victim, the sum would expose the victim's update). The victim's
 * secure-aggregation session is bound to the model it got, so its keys fail the checks: the
 * round goes on without it and its update is in no sum. */
static uint64_t victim_conn;
static uint8_t *evil_model;
static size_t evil_len;
static int tampered;
static int swap_model(sim *s, uint64_t id, const uint8_t *f, size_t len, uint8_t **out, size_t *out_len) {
    (void)s;
    if (id != victim_conn || len < HUSH__NW_HEADER_BYTES || f[3] != HUSH_NET_MODEL) return 0;
    hush__nw_msg m;
    if (hush__nw_decode(&m, f, len, len) != HUSH_OK) return 0;
    char task[HUSH_NET_NAME_MAX + 1];
    memcpy(task, m.name.p, m.name.len);
    task[m.name.len] = 0;
    size_t cap = hush__nw_model_size(task, evil_len);
    *out = malloc(cap);
    CHECK_OK(hush__nw_model(*out, cap, out_len, task, m.round, m.fl_task, evil_model, evil_len));
    tampered++;
    return 1;
}

static void test_model_inconsistency(void) {
    sim s;
    sim_init(&s, NULL);
    create_task(&s, "split", HUSH_FEDERATED_PRIVACY_NONE, 1, 0);
    size_t np;
    uint64_t seed = 666;
    CHECK_OK(srv_fed_initial_model("dense:6,relu,dense:2", 2, 2, &seed, NULL, 0, &evil_model, &evil_len, &np));
    for (int i = 0; i < PARTS; i++) {
        char name[24];
        snprintf(name, sizeof name, "bank-%d", i);
        add_fed(&s, name, "split", (uint64_t)i + 41, 60, 1.0);
    }
    victim_conn = s.parts[3].conn;
    s.tamper = swap_model;
    until_task = "split";
    until_committed = 1;
    sim_run(&s, task_reached, 1.0, 60);
    CHECK(tampered == 1);
    srv_task d;
    CHECK_OK(srv_store_task_get(s.store, "split", &d));
    CHECK_MSG(d.committed == 1, "the round must go on without the victim");
    int in[PARTS] = {1, 1, 1, 0};
    check_round(&s, "split", 1, 0, in, PARTS - 1);
    char *rounds = NULL;
    size_t rl;
    CHECK_OK(srv_store_rounds_json(s.store, "split", &rounds, &rl));
    CHECK_MSG(rounds && strstr(rounds, "\"participants\":4,\"survivors\":3"), "%s", rounds ? rounds : "");
    free(rounds);
    free(evil_model);
    free_fed(&s);
    sim_done(&s);
}

/* Rounds run back to back (the next starts at the first tick after the last ended) unless the
 * task has an interval: then never sooner than the interval after the last attempt ended, and
 * at the first tick once it has passed. */
static double gap_between_rounds(double interval) {
    sim s;
    sim_init(&s, NULL);
    create_task(&s, "paced", HUSH_FEDERATED_PRIVACY_NONE, 2, interval);
    for (int i = 0; i < PARTS; i++) {
        char name[24];
        snprintf(name, sizeof name, "bank-%d", i);
        add_fed(&s, name, "paced", (uint64_t)i + 41, 40, 1.0);
    }
    double ended = -1, started = -1;
    for (int k = 0; k < 200 && started < 0; k++) {
        sim_pump(&s);
        srv_task d;
        CHECK_OK(srv_store_task_get(s.store, "paced", &d));
        if (ended < 0 && d.committed == 1) ended = s.now;
        if (ended >= 0 && s.parts[0].last_round == 2) started = s.now;
        s.now += 0.5;
        srv_hub_tick(s.hub, s.now);
    }
    CHECK(ended > 0 && started > 0);
    srv_task d;
    CHECK_OK(srv_store_task_get(s.store, "paced", &d));
    CHECK(d.interval == interval);
    char *json = NULL;
    size_t len;
    char want[64];
    snprintf(want, sizeof want, "\"interval\":%g", interval);
    CHECK_OK(srv_hub_status_json(s.hub, &json, &len));
    CHECK_MSG(json && strstr(json, want), "status without %s: %s", want, json ? json : "");
    free(json);
    free_fed(&s);
    sim_done(&s);
    return started - ended;
}

static void test_interval(void) {
    double gap0 = gap_between_rounds(0), gap10 = gap_between_rounds(10);
    CHECK_MSG(gap0 <= 0.5, "without an interval round 2 started %.1f s after round 1", gap0);
    CHECK_MSG(gap10 >= 10 && gap10 <= 10.5, "with a 10 s interval round 2 started %.1f s after round 1", gap10);
}

/* A database made by a server without the interval and traffic columns: opening it adds them
 * (existing rows get interval 0 and unknown traffic), twice is harmless, and they work. Its
 * fedavg task's terms are in the version 1 encoding (96 bytes): they read back re-encoded as the
 * current version with every field kept and freeze_head 0. */
static void test_old_database(void) {
    char path[64];
    snprintf(path, sizeof path, "/tmp/hush-old-db-%d.db", (int)getpid());
    unlink(path);
    sqlite3 *db = NULL;
    CHECK(sqlite3_open(path, &db) == SQLITE_OK);
    static const char old[] =
        "CREATE TABLE tasks(seq INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL UNIQUE,"
        " kind TEXT NOT NULL, dim INTEGER NOT NULL, clients INTEGER NOT NULL, threshold INTEGER NOT NULL,"
        " bits INTEGER NOT NULL, neighbours INTEGER NOT NULL, max_corrupt INTEGER NOT NULL,"
        " rounds INTEGER NOT NULL, deadline REAL NOT NULL, created_at REAL NOT NULL,"
        " round INTEGER NOT NULL DEFAULT 1, committed INTEGER NOT NULL DEFAULT 0,"
        " last_result INTEGER NOT NULL DEFAULT 0, state TEXT NOT NULL DEFAULT 'open',"
        " fl BLOB, spec TEXT, input_size INTEGER NOT NULL DEFAULT 0, classes INTEGER NOT NULL DEFAULT 0);"
        "CREATE TABLE rounds(id INTEGER PRIMARY KEY AUTOINCREMENT, task TEXT NOT NULL,"
        " round INTEGER NOT NULL, session BLOB NOT NULL UNIQUE, state TEXT NOT NULL,"
        " started_at REAL NOT NULL, ended_at REAL, participants TEXT NOT NULL, survivors TEXT,"
        " dim INTEGER, result BLOB, detail TEXT, declined TEXT, metrics TEXT);"
        "INSERT INTO tasks(name, kind, dim, clients, threshold, bits, neighbours, max_corrupt, rounds, deadline,"
        " created_at) VALUES('old', 'sum', 3, 3, 2, 32, 0, 0, 1, 5, 1);"
        "INSERT INTO rounds(task, round, session, state, started_at, ended_at, participants, survivors)"
        " VALUES('old', 1, x'000102030405060708090a0b0c0d0e0f', 'committed', 1, 2, 'a' || char(10) || 'b', 'a');";
    CHECK(sqlite3_exec(db, old, NULL, NULL, NULL) == SQLITE_OK);
    hush_federated_task ft, got;
    CHECK_OK(hush_federated_task_init(&ft, HUSH_FEDERATED_PRIVACY_RECORD, 5, 3, 0.25));
    ft.local_batch = 17;
    uint8_t v1[HUSH_FEDERATED_TASK_BYTES];
    size_t w;
    CHECK_OK(hush_federated_task_encode(v1, sizeof v1, &w, &ft));
    v1[0] = 1; /* version 1 is version 2 without the trailing freeze_head */
    sqlite3_stmt *ins = NULL;
    CHECK(sqlite3_prepare_v2(db,
                             "INSERT INTO tasks(name, kind, dim, clients, threshold, bits, neighbours, max_corrupt,"
                             " rounds, deadline, created_at, fl, spec, input_size, classes) VALUES('oldfl', 'fedavg',"
                             " 10, 5, 3, 32, 0, 0, 2, 5, 1, ?, 'dense:2', 2, 2)",
                             -1, &ins, NULL) == SQLITE_OK);
    CHECK(sqlite3_bind_blob(ins, 1, v1, 96, SQLITE_TRANSIENT) == SQLITE_OK);
    CHECK(sqlite3_step(ins) == SQLITE_DONE);
    sqlite3_finalize(ins);
    sqlite3_close(db);
    for (int pass = 0; pass < 2; pass++) {
        srv_store *st = NULL;
        CHECK_OK(srv_store_open(&st, path));
        srv_task t;
        CHECK_OK(srv_store_task_get(st, "old", &t));
        CHECK(t.dim == 3 && t.deadline == 5 && t.interval == 0);
        CHECK_OK(srv_store_task_get(st, "oldfl", &t));
        CHECK(t.fl[0] == HUSH_FEDERATED_TASK_VERSION);
        CHECK_OK(hush_federated_task_decode(&got, t.fl, sizeof t.fl));
        CHECK(memcmp(&got, &ft, sizeof ft) == 0 && got.freeze_head == 0 && got.local_batch == 17);
        char *json = NULL;
        size_t len;
        CHECK_OK(srv_store_rounds_json(st, "old", &json, &len));
        CHECK_MSG(json && strstr(json, pass ? "\"bytes_in\":5,\"bytes_out\":7}" : "\"bytes_in\":null,\"bytes_out\":null}"),
                  "pass %d: %s", pass, json ? json : "");
        free(json);
        const uint8_t session[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}, other[16] = {1};
        CHECK_OK(srv_store_round_traffic(st, session, 5, 7));
        CHECK_RC(srv_store_round_traffic(st, other, 5, 7), HUSH_EARG);
        if (pass) {
            CHECK_OK(srv_store_task_get(st, "new", &t));
            CHECK(t.interval == 2.5);
        } else {
            srv_task n;
            memset(&n, 0, sizeof n);
            snprintf(n.name, sizeof n.name, "new");
            snprintf(n.kind, sizeof n.kind, "sum");
            n.dim = n.clients = 3;
            n.threshold = 2;
            n.bits = 32;
            n.deadline = 5;
            n.interval = 2.5;
            CHECK_OK(srv_store_task_create(st, &n, NULL, 0, 1.0));
        }
        srv_store_close(st);
    }
    char side[80];
    unlink(path);
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
}

int main(void) {
    CHECK_OK(hush_init());
    test_rounds();
    test_decline();
    test_all_decline();
    test_charge_once();
    test_restart();
    test_model_inconsistency();
    test_interval();
    test_old_database();
    CHECK_SUMMARY();
}
