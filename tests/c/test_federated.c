/* Federated rounds (hush/federated.h): with no noise the server's step equals plaintext weighted
 * FedAvg of the participants' own local trainings within the stated quantisation error, coordinate
 * by coordinate (with a frozen head too, whose coordinates stay bit for bit, noise or not); FedAdam follows Reddi et al.'s update; USER noise has the stated variance; the
 * costs a participant charges match what it runs; the odometer charges a round atomically and
 * once; the task and state formats round-trip and refuse damage. */
#include <math.h>

#include "check.h"
#include "hush.h"
#include "hush/federated.h"
#include "io/fedtask.h"

#define P_ROWS 3

/* Three participants' data: rows of two features with label [x0 + 0.5 x1 > 0], sizes differ. */
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

static void global_model(uint8_t **file, size_t *len) {
    hush_layer_spec l[4];
    size_t nl;
    CHECK_OK(hush_model_spec_parse(l, 4, &nl, "dense:6,relu,dense:2", NULL));
    hush_model *m;
    hush_shape s = {2, 1, 1};
    CHECK_OK(hush_model_create(&m, l, nl, s, 32, NULL));
    hush_rng r;
    CHECK_OK(hush_rng_init_u64(&r, 99));
    CHECK_OK(hush_model_init_params(m, &r));
    *len = hush_model_save_size(m);
    *file = malloc(*len);
    CHECK_OK(hush_model_save(m, *file, *len, len));
    hush_model_free(m);
}

/* The participant's local training, written out independently of hush_federated_contribute: the
 * same driver, the same streams ("federated" of its rng, then the driver's own). */
static void local_params(float *out, const hush_federated_task *t, const uint8_t *file, size_t len,
                         const hush_dataset *train, const hush_dataset *val, uint64_t seed) {
    /* with freeze_head the reference zeroes nothing itself: it asks the model to freeze */
    hush_rng rng, master;
    CHECK_OK(hush_rng_init_u64(&rng, seed));
    CHECK_OK(hush_rng_derive(&master, &rng, "federated"));
    hush_model *g;
    CHECK_OK(hush_model_load(&g, file, len, 64, NULL));
    hush_train_config cfg;
    CHECK_OK(hush_train_config_init(&cfg, t->optimizer, t->lr));
    cfg.epochs = t->local_epochs;
    cfg.batch = t->local_batch;
    cfg.max_batch = 64;
    cfg.scaling = HUSH_TRAIN_SCALING_NONE;
    cfg.test_fraction = 0;
    cfg.noise_source = HUSH_TRAIN_NOISE_SEED;
    hush_train *tr;
    CHECK_OK(hush_train_create(&tr, &master, &cfg, hush_model_layers(g), hush_model_layer_count(g), train, val, NULL));
    hush_model *m = hush_train_model(tr);
    size_t np = hush_model_param_count(g);
    memcpy(hush_model_params(m), hush_model_params(g), np * sizeof(float));
    if (t->freeze_head) CHECK_OK(hush_model_freeze_head(m, 1));
    while (hush_train_epoch(tr, NULL) == HUSH_OK) {
    }
    memcpy(out, hush_model_params(m), np * sizeof(float));
    hush_train_free(tr);
    hush_model_free(g);
}

static void test_fedavg_exact(uint32_t server_opt, uint32_t freeze_head) {
    uint8_t *file;
    size_t flen;
    global_model(&file, &flen);
    hush_federated_task t;
    CHECK_OK(hush_federated_task_init(&t, HUSH_FEDERATED_PRIVACY_NONE, 5, 2, 0.2));
    t.local_epochs = 2;
    t.local_batch = 16;
    t.max_rows = 1000;
    t.clip = 10; /* large enough that no update is clipped: the reference does not clip */
    t.server_optimizer = server_opt;
    t.server_lr = server_opt == HUSH_FEDERATED_FEDADAM ? 0.05 : 1.0;
    t.freeze_head = freeze_head;
    size_t rows[P_ROWS] = {120, 45, 300};
    hush_dataset *tr[P_ROWS], *va[P_ROWS];
    hush_model *g;
    CHECK_OK(hush_model_load(&g, file, flen, 1, NULL));
    size_t np = hush_model_param_count(g), dim = hush_federated_dim(np);
    uint32_t *sum = calloc(dim, 4), *vec = calloc(dim, 4);
    double *want = calloc(np, sizeof(double));
    float *lp = calloc(np, sizeof(float));
    double wsum = 0, correct = 0, vrows = 0;
    for (int i = 0; i < P_ROWS; i++) {
        tr[i] = make_data(10 + (uint64_t)i, rows[i]);
        va[i] = make_data(20 + (uint64_t)i, 30);
        hush_rng r;
        CHECK_OK(hush_rng_init_u64(&r, 1000 + (uint64_t)i));
        hush_federated_report rep;
        CHECK_OK(hush_federated_contribute(&r, vec, dim, &rep, &t, file, flen, tr[i], va[i], NULL));
        CHECK(rep.train_rows == rows[i] && rep.validation_rows == 30);
        for (size_t j = 0; j < dim; j++) sum[j] += vec[j];
        local_params(lp, &t, file, flen, tr[i], va[i], 1000 + (uint64_t)i);
        for (size_t j = 0; j < np; j++) want[j] += (double)rows[i] * ((double)lp[j] - (double)hush_model_params(g)[j]);
        wsum += (double)rows[i];
        correct += floor((double)rep.validation_accuracy * 30 + 0.5);
        vrows += 30;
        CHECK(rep.update_norm < t.clip); /* so clipping did not change the reference */
    }
    hush_federated_server *s;
    CHECK_OK(hush_federated_server_create(&s, &t, file, flen, NULL, 0, NULL));
    hush_federated_metrics mt;
    CHECK_OK(hush_federated_server_apply(s, &mt, sum, dim, P_ROWS));
    CHECK(mt.weight == wsum);
    CHECK_NEAR(mt.validation_accuracy, correct / vrows, 1e-12);
    CHECK(mt.validation_rows == vrows);
    /* the stated error: |sum error| < participants / scale per coordinate, then / total weight */
    hush_fl_quant q;
    CHECK_OK(hush_fl_quant_init(&q, 32, 5, 1000.0 * t.clip, 0));
    double tol = (double)P_ROWS / q.scale / wsum + 1e-6;
    uint8_t *nf = malloc(flen);
    size_t nlen;
    CHECK_OK(hush_federated_server_model(s, nf, flen, &nlen));
    hush_model *nm;
    CHECK_OK(hush_model_load(&nm, nf, nlen, 1, NULL));
    int ok = 1, head_kept = 1;
    double m1 = 0, v1 = 0, body_moved = 0;
    /* dense:6,relu,dense:2 on 2 inputs: the head is the last 6 x 2 weights and 2 biases */
    size_t body = freeze_head ? np - 14 : np;
    for (size_t j = 0; j < np; j++) {
        double avg = want[j] / wsum, got = (double)hush_model_params(nm)[j] - (double)hush_model_params(g)[j];
        if (j >= body) {
            head_kept &= hush_model_params(nm)[j] == hush_model_params(g)[j] && want[j] == 0;
            continue;
        }
        body_moved += fabs(got);
        if (server_opt == HUSH_FEDERATED_FEDAVG) {
            ok &= fabs(got - avg) <= tol;
        } else {
            /* first FedAdam step from zero moments: m = 0.1 avg, v = 0.01 avg^2,
             * step = lr m / (sqrt v + tau) */
            m1 = 0.1 * avg;
            v1 = 0.01 * avg * avg;
            double step = 0.05 * m1 / (sqrt(v1) + 1e-3);
            double dstep = 0.05 * 0.1 * tol / 1e-3; /* a bound on how far quantisation can move it */
            ok &= fabs(got - step) <= dstep + 1e-6;
        }
    }
    CHECK_MSG(ok, "server step differs from plaintext weighted FedAvg beyond the quantisation error");
    CHECK_MSG(head_kept, "a frozen head moved");
    CHECK(body_moved > 1e-3);
    if (server_opt == HUSH_FEDERATED_FEDADAM) {
        /* the state survives a restart: a server rebuilt from the model and state steps the same */
        size_t sl;
        CHECK_RC(hush_federated_server_moments(s, NULL, 0, &sl), HUSH_ERANGE); /* a size query */
        CHECK(sl == hush__fedstate_bytes(np));
        uint8_t *st = malloc(hush__fedstate_bytes(np));
        CHECK_OK(hush_federated_server_moments(s, st, hush__fedstate_bytes(np), &sl));
        hush_federated_server *s2;
        CHECK_OK(hush_federated_server_create(&s2, &t, nf, nlen, st, sl, NULL));
        CHECK_OK(hush_federated_server_apply(s, &mt, sum, dim, P_ROWS));
        CHECK_OK(hush_federated_server_apply(s2, &mt, sum, dim, P_ROWS));
        uint8_t *a = malloc(flen), *b = malloc(flen);
        size_t la, lb;
        CHECK_OK(hush_federated_server_model(s, a, flen, &la));
        CHECK_OK(hush_federated_server_model(s2, b, flen, &lb));
        CHECK(la == lb && memcmp(a, b, la) == 0);
        st[sl - 1] ^= 0x7f; /* damage: refused or still finite */
        hush_federated_server *s3 = NULL;
        int rc = hush_federated_server_create(&s3, &t, nf, nlen, st, sl - 3, NULL);
        CHECK(rc == HUSH_ETRUNC);
        hush_federated_server_free(s3);
        free(a);
        free(b);
        free(st);
        hush_federated_server_free(s2);
    }
    hush_model_free(nm);
    free(nf);
    hush_federated_server_free(s);
    for (int i = 0; i < P_ROWS; i++) {
        hush_dataset_free(tr[i]);
        hush_dataset_free(va[i]);
    }
    hush_model_free(g);
    free(sum);
    free(vec);
    free(want);
    free(lp);
    free(file);
}

/* USER: with a zero learning rate the update is zero, so the summed update coordinates are the
 * noise alone: its variance must be participants x sigma_i^2 (grid units). */
static void test_user_noise(void) {
    uint8_t *file;
    size_t flen;
    global_model(&file, &flen);
    hush_federated_task t;
    CHECK_OK(hush_federated_task_init(&t, HUSH_FEDERATED_PRIVACY_USER, 4, 4, 0.0));
    t.noise_multiplier = 1.0;
    t.metric_noise = 1.0;
    hush_model *g;
    CHECK_OK(hush_model_load(&g, file, flen, 1, NULL));
    size_t np = hush_model_param_count(g), dim = hush_federated_dim(np);
    uint32_t *sum = calloc(dim, 4), *vec = calloc(dim, 4);
    double sumsq = 0;
    size_t count = 0;
    hush_odometer_event ev[2];
    size_t nev;
    CHECK_OK(hush_federated_cost(ev, 2, &nev, &t, 50, np, (const uint8_t *)"t", 1));
    CHECK(nev == 2 && ev[0].kind == HUSH_DP_EVENT_DISCRETE_GAUSSIAN_SUM && ev[0].parties == 4);
    for (int rep = 0; rep < 40; rep++) {
        memset(sum, 0, dim * 4);
        for (int i = 0; i < 4; i++) {
            hush_dataset *d = make_data(40 + (uint64_t)i, 50), *v = make_data(50 + (uint64_t)i, 10);
            hush_rng r;
            CHECK_OK(hush_rng_init_u64(&r, (uint64_t)(7000 + rep * 10 + i)));
            hush_federated_report rp;
            CHECK_OK(hush_federated_contribute(&r, vec, dim, &rp, &t, file, flen, d, v, NULL));
            for (size_t j = 0; j < dim; j++) sum[j] += vec[j];
            hush_dataset_free(d);
            hush_dataset_free(v);
        }
        for (size_t j = 0; j < np; j++) {
            uint32_t u = sum[j] & 0xffffffu; /* the USER ring is Z_2^24 */
            double e = u >= 0x800000u ? (double)u - 16777216.0 : (double)u;
            sumsq += e * e;
            count++;
        }
        CHECK((sum[np] & 0xffffffu) == 4);
    }
    double var = sumsq / (double)count, want = 4 * ev[0].sigma * ev[0].sigma;
    /* count >= 40 * 32 = 1280 samples: the variance estimate's relative sd is sqrt(2/1280) = 4% */
    CHECK_MSG(fabs(var / want - 1) < 0.15, "noise variance %g, expected %g", var, want);
    /* freeze_head: the server's step drops the noise on the head, which stays bit for bit */
    t.freeze_head = 1;
    hush_federated_server *s;
    hush_federated_metrics mt;
    CHECK_OK(hush_federated_server_create(&s, &t, file, flen, NULL, 0, NULL));
    CHECK_OK(hush_federated_server_apply(s, &mt, sum, dim, 4));
    uint8_t *nf = malloc(flen);
    size_t nlen;
    CHECK_OK(hush_federated_server_model(s, nf, flen, &nlen));
    hush_model *nm;
    CHECK_OK(hush_model_load(&nm, nf, nlen, 1, NULL));
    const float *a = hush_model_params(g), *b = hush_model_params(nm);
    CHECK(memcmp(a + np - 14, b + np - 14, 14 * sizeof(float)) == 0);
    CHECK(memcmp(a, b, (np - 14) * sizeof(float)) != 0);
    hush_model_free(nm);
    free(nf);
    hush_federated_server_free(s);
    hush_model_free(g);
    free(sum);
    free(vec);
    free(file);
}

static void test_costs_and_odometer(void) {
    hush_federated_task t;
    CHECK_OK(hush_federated_task_init(&t, HUSH_FEDERATED_PRIVACY_RECORD, 5, 3, 0.1));
    t.local_epochs = 3;
    t.local_batch = 20;
    t.noise_multiplier = 1.1;
    hush_odometer_event ev[2];
    size_t n;
    CHECK_OK(hush_federated_cost(ev, 2, &n, &t, 200, 100, (const uint8_t *)"task/7/ab", 9));
    CHECK(n == 2);
    CHECK(ev[0].kind == HUSH_DP_EVENT_SAMPLED_GAUSSIAN && ev[0].count == 30 && ev[0].noise_multiplier == 1.1);
    CHECK(ev[0].sampling_rate >= 0.1 && ev[0].sampling_rate < 0.1 + 1e-9);
    CHECK(ev[1].kind == HUSH_DP_EVENT_GAUSSIAN && ev[1].noise_multiplier == t.metric_noise);
    CHECK(ev[0].id_len == 11 && memcmp(ev[0].id, "task/7/ab/0", 11) == 0);
    /* the steps a RECORD participant really runs are the ones charged */
    uint8_t *file;
    size_t flen;
    global_model(&file, &flen);
    hush_model *g;
    CHECK_OK(hush_model_load(&g, file, flen, 1, NULL));
    size_t np = hush_model_param_count(g), dim = hush_federated_dim(np);
    uint32_t *vec = calloc(dim, 4);
    hush_dataset *d = make_data(5, 200), *v = make_data(6, 30);
    hush_federated_report rp;
    CHECK_OK(hush_federated_contribute(NULL, vec, dim, &rp, &t, file, flen, d, v, NULL));
    CHECK(rp.steps == ev[0].count);
    /* charging: atomic, once per id, refused over budget */
    hush_odometer_config oc;
    CHECK_OK(hush_odometer_config_init(&oc, 8.0, 1e-5));
    hush_odometer *od;
    CHECK_OK(hush_odometer_create(&od, &oc, NULL));
    size_t charged;
    CHECK_OK(hush_odometer_charge_all(od, &charged, ev, 2));
    CHECK(charged == 2 && hush_odometer_count(od) == 2);
    CHECK_OK(hush_odometer_charge_all(od, &charged, ev, 2)); /* the same round again: nothing */
    CHECK(charged == 0 && hush_odometer_count(od) == 2);
    int rounds = 1;
    for (; rounds < 200; rounds++) {
        char id[16];
        int l = snprintf(id, sizeof id, "task/%d", rounds + 7);
        CHECK_OK(hush_federated_cost(ev, 2, &n, &t, 200, 100, (const uint8_t *)id, (size_t)l));
        int rc = hush_odometer_charge_all(od, &charged, ev, 2);
        if (rc == HUSH_EBUDGET) break;
        CHECK_OK(rc);
    }
    CHECK(rounds > 1 && rounds < 200);
    size_t before = hush_odometer_count(od);
    CHECK_RC(hush_odometer_charge_all(od, &charged, ev, 2), HUSH_EBUDGET); /* nothing half-charged */
    CHECK(hush_odometer_count(od) == before && charged == 0);
    double lo, hi;
    CHECK_OK(hush_odometer_spent(od, &lo, &hi, 1e-5));
    CHECK(hi <= 8.0 && lo <= hi);
    hush_odometer_free(od);
    hush_dataset_free(d);
    hush_dataset_free(v);
    hush_model_free(g);
    free(vec);
    free(file);
    /* NONE costs nothing */
    CHECK_OK(hush_federated_task_init(&t, HUSH_FEDERATED_PRIVACY_NONE, 5, 3, 0.1));
    CHECK_OK(hush_federated_cost(ev, 2, &n, &t, 200, 100, NULL, 0));
    CHECK(n == 0);
}

static void test_task_format(void) {
    hush_federated_task t, u;
    CHECK_OK(hush_federated_task_init(&t, HUSH_FEDERATED_PRIVACY_USER, 10, 6, 0.05));
    t.server_optimizer = HUSH_FEDERATED_FEDADAM;
    t.server_lr = 0.01;
    uint8_t b[HUSH_FEDERATED_TASK_BYTES + 1];
    size_t w;
    CHECK_OK(hush_federated_task_encode(b, sizeof b, &w, &t));
    CHECK(w == HUSH_FEDERATED_TASK_BYTES);
    CHECK_OK(hush_federated_task_decode(&u, b, w));
    CHECK(memcmp(&t, &u, sizeof t) == 0);
    CHECK_RC(hush_federated_task_decode(&u, b, w - 1), HUSH_ETRUNC);
    CHECK_RC(hush_federated_task_decode(&u, b, w + 1), HUSH_EFORMAT);
    uint8_t c[HUSH_FEDERATED_TASK_BYTES];
    memcpy(c, b, w);
    c[0] = 9;
    CHECK_RC(hush_federated_task_decode(&u, c, w), HUSH_EVERSION);
    memcpy(c, b, w);
    memset(c + 48, 0xff, 8); /* server_lr = NaN */
    CHECK_RC(hush_federated_task_decode(&u, c, w), HUSH_EFORMAT);
    memcpy(c, b, w);
    c[4] = 7; /* privacy unit */
    CHECK_RC(hush_federated_task_decode(&u, c, w), HUSH_EFORMAT);
    /* freeze_head: the last u32, 0 or 1 */
    t.freeze_head = 1;
    CHECK_OK(hush_federated_task_encode(b, sizeof b, &w, &t));
    CHECK(b[96] == 1 && b[97] == 0);
    CHECK_OK(hush_federated_task_decode(&u, b, w));
    CHECK(u.freeze_head == 1 && memcmp(&t, &u, sizeof t) == 0);
    b[96] = 2;
    CHECK_RC(hush_federated_task_decode(&u, b, w), HUSH_EFORMAT);
    /* version 1 (96 bytes, as an earlier hush-server stored it) reads as freeze_head 0, and only
     * at its own length */
    memcpy(c, b, w);
    c[0] = 1;
    CHECK_OK(hush_federated_task_decode(&u, c, 96));
    CHECK(u.version == HUSH_FEDERATED_TASK_VERSION && u.freeze_head == 0 && u.server_lr == t.server_lr &&
          u.privacy == t.privacy && u.max_rows == t.max_rows);
    CHECK_RC(hush_federated_task_decode(&u, c, 95), HUSH_ETRUNC);
    CHECK_RC(hush_federated_task_decode(&u, c, w), HUSH_EFORMAT);
    t.freeze_head = 0;
    hush_federated_task z;
    memset(&z, 0, sizeof z);
    CHECK_RC(hush_federated_task_check(&z), HUSH_EARG); /* a zeroed task is refused */
    /* a ring too small for the weights */
    CHECK_OK(hush_federated_task_init(&t, HUSH_FEDERATED_PRIVACY_NONE, 1000, 500, 0.1));
    CHECK(t.max_rows == (1u << 23) / 1000);
    t.bits = 16;
    CHECK_RC(hush_federated_task_check(&t), HUSH_ERANGE);
}

static void test_alloc_failures(void) {
    uint8_t *file;
    size_t flen;
    global_model(&file, &flen);
    hush_federated_task t;
    CHECK_OK(hush_federated_task_init(&t, HUSH_FEDERATED_PRIVACY_RECORD, 3, 2, 0.1));
    hush_dataset *d = make_data(5, 60), *v = make_data(6, 10);
    hush_model *g;
    CHECK_OK(hush_model_load(&g, file, flen, 1, NULL));
    size_t dim = hush_federated_dim(hush_model_param_count(g));
    uint32_t *vec = calloc(dim, 4);
    int done = 0;
    for (long k = 1; k < 400 && !done; k++) {
        check_alloc ca = {0, k, 0, 0};
        hush_allocator a = CHECK_ALLOCATOR(ca);
        hush_federated_report rp;
        int rc = hush_federated_contribute(NULL, vec, dim, &rp, &t, file, flen, d, v, &a);
        CHECK(rc == HUSH_OK || rc == HUSH_ENOMEM);
        CHECK(ca.live_blocks == 0);
        done = rc == HUSH_OK;
    }
    CHECK(done);
    for (long k = 1; k < 50; k++) {
        check_alloc ca = {0, k, 0, 0};
        hush_allocator a = CHECK_ALLOCATOR(ca);
        hush_federated_server *s = NULL;
        int rc = hush_federated_server_create(&s, &t, file, flen, NULL, 0, &a);
        CHECK(rc == HUSH_OK || rc == HUSH_ENOMEM);
        hush_federated_server_free(s);
        CHECK(ca.live_blocks == 0);
        if (rc == HUSH_OK) break;
    }
    hush_dataset_free(d);
    hush_dataset_free(v);
    hush_model_free(g);
    free(vec);
    free(file);
}

int main(void) {
    test_task_format();
    test_fedavg_exact(HUSH_FEDERATED_FEDAVG, 0);
    test_fedavg_exact(HUSH_FEDERATED_FEDADAM, 0);
    test_fedavg_exact(HUSH_FEDERATED_FEDAVG, 1);
    test_fedavg_exact(HUSH_FEDERATED_FEDADAM, 1);
    test_user_noise();
    test_costs_and_odometer();
    test_alloc_failures();
    CHECK_SUMMARY();
}
