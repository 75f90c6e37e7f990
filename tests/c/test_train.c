/* The training driver (hush/train.h): hush_train_run reproduces the pipeline spelled out by hand
 * (split, model, input statistics, "init", optimiser, "shuffle") bit for bit; DP runs draw secret
 * noise unless HUSH_TRAIN_NOISE_SEED; a DP model depends on one changed record only through the DP
 * mechanisms (its input scaling is the same bytes, its parameters move by at most the clipped
 * sensitivity), while the non-private exact statistics give the record away; the reported epsilon
 * composes the scaling histogram and every fold; configs, parsing, bounds, the DP histogram and
 * allocation failures. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>

#include "check.h"
#include "hush.h"

#define ROWS 400
#define DIM 4

/* A CSV of ROWS rows: four numeric features (in [0, 100), [1000, 3000), [-5, 5), [0.5, 1)) and a
 * label from the first two, from a fixed seed. Row 0's second feature is `row0`. */

/* An RDP accountant with the default orders. */
static hush_accountant *rdp_accountant(void) {
    hush_accountant_config c;
    hush_accountant *a = NULL;
    CHECK_OK(hush_accountant_config_init(&c, HUSH_ACCOUNTANT_RDP));
    CHECK_OK(hush_accountant_create(&a, &c, NULL));
    return a;
}

static hush_dataset *make_data(double row0) {
    static char text[ROWS * 80];
    size_t pos = 0;
    hush_rng r;
    CHECK_OK(hush_rng_init_u64(&r, 2024));
    for (int i = 0; i < ROWS; i++) {
        double a = 100 * hush_rng_uniform(&r), b = 1000 + 2000 * hush_rng_uniform(&r);
        double c = 10 * hush_rng_uniform(&r) - 5, d = 0.5 + 0.5 * hush_rng_uniform(&r);
        if (i == 0) b = row0;
        int y = a / 100 + (b - 1000) / 2000 > 1.0;
        pos += (size_t)snprintf(text + pos, sizeof text - pos, "%.3f,%.2f,%.4f,%.4f,%d\n", a, b, c, d, y);
    }
    hush_rng_clear(&r);
    hush_dataset *ds = NULL;
    CHECK_OK(hush_csv_parse(&ds, text, pos, NULL, NULL));
    return ds;
}

static size_t parse_spec(hush_layer_spec *ls, const char *spec) {
    size_t n = 0;
    CHECK_OK(hush_model_spec_parse(ls, HUSH_MODEL_MAX_LAYERS, &n, spec, NULL));
    return n;
}

static size_t save(const hush_model *m, uint8_t *buf, size_t cap) {
    size_t w = 0;
    CHECK_OK(hush_model_save(m, buf, cap, &w));
    return w;
}

/* hush_train_run = the canonical pipeline written out with the lower-level API. */
static void test_run_is_the_pipeline(void) {
    hush_dataset *all = make_data(1500);
    hush_layer_spec ls[HUSH_MODEL_MAX_LAYERS];
    size_t nl = parse_spec(ls, "dense:8,relu,dense:2");
    hush_rng master;
    CHECK_OK(hush_rng_init_u64(&master, 7));
    hush_train_config c;
    CHECK_OK(hush_train_config_init(&c, HUSH_OPTIM_ADAM, 0.01));
    c.format = HUSH_TRAIN_FORMAT_CSV;
    c.epochs = 3;
    c.batch = 16;
    hush_model *a = NULL;
    hush_train_result res;
    CHECK_OK(hush_train_run(&c, &master, &a, &res, ls, nl, all, NULL, NULL, NULL, NULL));
    CHECK(res.train_rows == 320 && res.test_rows == 80 && res.folds == 1 && !res.privacy.dp);
    CHECK(res.privacy.scaling == HUSH_TRAIN_SCALING_STATS);

    hush_rng split, init, shuffle;
    hush_dataset *tr, *te;
    CHECK_OK(hush_rng_derive(&split, &master, HUSH_TRAIN_STREAM_SPLIT));
    CHECK_OK(hush_dataset_split(&tr, &te, &split, all, 0.2, NULL));
    hush_model *b;
    CHECK_OK(hush_model_create(&b, ls, nl, hush_dataset_shape(tr), 16, NULL));
    float norm[2 * DIM];
    CHECK_OK(hush_dataset_norm_stats(tr, norm, norm + DIM, DIM));
    CHECK_OK(hush_model_set_input_norm(b, norm, norm + DIM, DIM));
    CHECK_OK(hush_model_set_input_scaling(b, HUSH_INPUT_SCALING_STATS));
    CHECK_OK(hush_rng_derive(&init, &master, HUSH_TRAIN_STREAM_INIT));
    CHECK_OK(hush_model_init_params(b, &init));
    hush_optim_config oc;
    CHECK_OK(hush_optim_config_init(&oc, HUSH_OPTIM_ADAM, 0.01f));
    hush_optim *o;
    CHECK_OK(hush_optim_create(&o, &oc, hush_model_param_count(b), NULL));
    CHECK_OK(hush_rng_derive(&shuffle, &master, HUSH_TRAIN_STREAM_SHUFFLE));
    uint32_t perm[320];
    float loss = 0, acc = 0, tl;
    for (int e = 0; e < 3; e++)
        CHECK_OK(
            hush_model_fit_epoch(b, &shuffle, o, perm, &loss, hush_dataset_x(tr), hush_dataset_labels(tr), 320, 16));
    CHECK_OK(hush_model_evaluate(b, &tl, &acc, hush_dataset_x(te), hush_dataset_labels(te), 80));
    static uint8_t fa[8192], fb[8192];
    size_t na = save(a, fa, sizeof fa), nb = save(b, fb, sizeof fb);
    CHECK_MSG(na == nb && memcmp(fa, fb, na) == 0, "hush_train_run differs from the pipeline written out");
    CHECK(res.final_loss == loss && res.test_accuracy == acc);
    CHECK(hush_model_input_scaling(a) == HUSH_INPUT_SCALING_STATS && (fa[12] & 7) == 3);
    /* the scaling tag survives a round trip; setting a norm by hand resets it */
    hush_model *c2;
    CHECK_OK(hush_model_load(&c2, fa, na, 8, NULL));
    CHECK(hush_model_input_scaling(c2) == HUSH_INPUT_SCALING_STATS);
    CHECK_OK(hush_model_set_input_norm(c2, norm, norm + DIM, DIM));
    CHECK(hush_model_input_scaling(c2) == HUSH_INPUT_SCALING_CUSTOM);
    CHECK_RC(hush_model_set_input_scaling(c2, 4), HUSH_EARG);
    CHECK_OK(hush_model_set_input_norm(c2, NULL, NULL, 0));
    CHECK_RC(hush_model_set_input_scaling(c2, HUSH_INPUT_SCALING_BOUNDS), HUSH_ESTATE);
    hush_model_free(c2);
    hush_optim_free(o);
    hush_model_free(a);
    hush_model_free(b);
    hush_dataset_free(tr);
    hush_dataset_free(te);
    hush_dataset_free(all);
    hush_rng_clear(&master);
    hush_rng_clear(&split);
    hush_rng_clear(&init);
    hush_rng_clear(&shuffle);
}

static void dp_config(hush_train_config *c, uint32_t scaling, uint32_t source) {
    CHECK_OK(hush_train_config_init(c, HUSH_OPTIM_SGD, 0.5));
    c->format = HUSH_TRAIN_FORMAT_CSV;
    c->epochs = 2;
    c->batch = 32;
    c->dp = 1;
    c->scaling = scaling;
    c->noise_source = source;
    CHECK_OK(hush_dpsgd_config_init(&c->dpsgd, HUSH_DPSGD_POISSON, 1.0, 1.0, 1.1));
}

static const double BOUNDS[2 * DIM] = {0, 100, 1000, 3000, -5, 5, 0.5, 1};

/* Issue 11, point 1: the noise is secret unless asked otherwise, whatever the seed. */
static void test_secret_noise(void) {
    hush_dataset *all = make_data(1500);
    hush_layer_spec ls[HUSH_MODEL_MAX_LAYERS];
    size_t nl = parse_spec(ls, "dense:8,relu,dense:2");
    hush_rng master;
    CHECK_OK(hush_rng_init_u64(&master, 3));
    static uint8_t f[4][8192];
    size_t n[4];
    for (int k = 0; k < 4; k++) {
        hush_train_config c;
        dp_config(&c, HUSH_TRAIN_SCALING_BOUNDS, k < 2 ? HUSH_TRAIN_NOISE_OS : HUSH_TRAIN_NOISE_SEED);
        c.bounds = BOUNDS;
        c.n_bounds = DIM;
        hush_model *m;
        hush_train_result r;
        CHECK_OK(hush_train_run(&c, &master, &m, &r, ls, nl, all, NULL, NULL, NULL, NULL));
        CHECK(isnan(r.final_loss) && isnan(r.train_accuracy)); /* withheld */
        CHECK(r.privacy.dp && r.privacy.noise_source == c.noise_source && r.privacy.scaling == HUSH_TRAIN_SCALING_BOUNDS);
        CHECK(r.privacy.scaling_noise == 0.0 && r.privacy.scaling_epsilon == 0.0 && r.privacy.epsilon > 0);
        n[k] = save(m, f[k], sizeof f[k]);
        CHECK(hush_model_input_scaling(m) == HUSH_INPUT_SCALING_BOUNDS);
        hush_model_free(m);
    }
    CHECK_MSG(n[0] == n[1] && memcmp(f[0], f[1], n[0]) != 0, "two DP runs with the same seed gave the same model");
    CHECK_MSG(n[2] == n[3] && memcmp(f[2], f[3], n[2]) == 0, "HUSH_TRAIN_NOISE_SEED does not repeat");
    /* OS noise, but the same seed: the same split and initialisation, hence the same norm bytes */
    size_t nb = n[0] - 32 - 2 * DIM * 4;
    CHECK(memcmp(f[0] + nb, f[1] + nb, 2 * DIM * 4) == 0);
    hush_dataset_free(all);
    hush_rng_clear(&master);
}

/* The stored shift of feature 1 (the mean under STATS) and the parameter block. */
static float stored_shift1(const uint8_t *file, size_t len) {
    float v;
    memcpy(&v, file + len - 32 - 2 * DIM * 4 + 4, 4);
    return v;
}

/* Issue 11, point 2: change one record (row 0 of the training set) and compare what is released.
 * The attack on the old code: the model stored the training mean, so shift' - shift = (x0' - x0)/n
 * gives the record away. A DP model's norm bytes do not move at all (public bounds, or a DP
 * histogram whose noisy counts fall on the same side of its threshold), and its parameters move
 * by at most what the clipped gradient allows: one Poisson step at q = 1, SGD lr, clip C, the same
 * noise (reproducible, to compare): ||theta - theta'|| <= lr 2C / n. */
static void test_one_record(void) {
    hush_dataset *d0 = make_data(1500), *d1 = make_data(2900);
    hush_dataset *t0 = make_data(1500); /* a test set, so row 0 stays row 0 of the training set */
    hush_layer_spec ls[HUSH_MODEL_MAX_LAYERS];
    size_t nl = parse_spec(ls, "dense:8,tanh,dense:2");
    hush_rng master;
    CHECK_OK(hush_rng_init_u64(&master, 11));
    static uint8_t fa[8192], fb[8192];
    /* non-private: the exact statistics leak the change (this is what `train --dp` used to ship) */
    hush_train_config c;
    CHECK_OK(hush_train_config_init(&c, HUSH_OPTIM_SGD, 0.5));
    c.format = HUSH_TRAIN_FORMAT_CSV;
    c.epochs = 1;
    hush_model *ma, *mb;
    hush_train_result r;
    CHECK_OK(hush_train_run(&c, &master, &ma, &r, ls, nl, d0, t0, NULL, NULL, NULL));
    CHECK_OK(hush_train_run(&c, &master, &mb, &r, ls, nl, d1, t0, NULL, NULL, NULL));
    size_t na = save(ma, fa, sizeof fa), nb = save(mb, fb, sizeof fb);
    double recovered = ((double)stored_shift1(fb, nb) - (double)stored_shift1(fa, na)) * ROWS;
    CHECK_MSG(fabs(recovered - (2900 - 1500)) < 1.0, "the attack should recover the change from exact statistics: %g",
              recovered);
    hush_model_free(ma);
    hush_model_free(mb);
    for (uint32_t scaling = HUSH_TRAIN_SCALING_BOUNDS; scaling <= HUSH_TRAIN_SCALING_DP; scaling++) {
        dp_config(&c, scaling, HUSH_TRAIN_NOISE_SEED);
        c.epochs = 1;
        c.batch = ROWS; /* q = 1: one step with every row */
        c.lr = 0.5;
        c.dpsgd.l2_norm_clip = 0.1;
        c.dpsgd.noise_multiplier = 0.5;
        c.bounds = BOUNDS;
        c.n_bounds = scaling == HUSH_TRAIN_SCALING_BOUNDS ? DIM : 0;
        c.scaling_noise = 2.0;
        CHECK_OK(hush_train_run(&c, &master, &ma, &r, ls, nl, d0, t0, NULL, NULL, NULL));
        CHECK(r.privacy.steps == 1 && r.privacy.sampling_rate == 1.0);
        CHECK_OK(hush_train_run(&c, &master, &mb, &r, ls, nl, d1, t0, NULL, NULL, NULL));
        na = save(ma, fa, sizeof fa);
        nb = save(mb, fb, sizeof fb);
        size_t P = hush_model_param_count(ma), off = na - 32 - 2 * DIM * 4;
        CHECK_MSG(na == nb && memcmp(fa, fb, off - 4 * P) == 0 && memcmp(fa + off, fb + off, 2 * DIM * 4) == 0,
                  "scaling %u: the header or the norm bytes depend on the changed record", scaling);
        CHECK((fa[12] >> 1 & 3) == (scaling == HUSH_TRAIN_SCALING_BOUNDS ? HUSH_INPUT_SCALING_BOUNDS : HUSH_INPUT_SCALING_DP));
        double sq = 0;
        const float *pa = hush_model_params(ma), *pb = hush_model_params(mb);
        for (size_t j = 0; j < P; j++) sq += ((double)pa[j] - pb[j]) * ((double)pa[j] - pb[j]);
        double bound = 0.5 * 2 * 0.1 / ROWS;
        CHECK_MSG(sq > 0 && sqrt(sq) <= bound * (1 + 1e-4) + 1e-6, "scaling %u: the parameters moved by %g, sensitivity %g",
                  scaling, sqrt(sq), bound);
        hush_model_free(ma);
        hush_model_free(mb);
    }
    hush_dataset_free(d0);
    hush_dataset_free(d1);
    hush_dataset_free(t0);
    hush_rng_clear(&master);
}

/* The reported epsilon composes the scaling histogram's Gaussian and the DP-SGD steps, and K folds;
 * hush_train_privacy_compose charges exactly those events; target_epsilon is met with them. */
static void test_accounting(void) {
    hush_dataset *all = make_data(1500);
    hush_layer_spec ls[HUSH_MODEL_MAX_LAYERS];
    size_t nl = parse_spec(ls, "dense:8,relu,dense:2");
    hush_train_config c;
    dp_config(&c, HUSH_TRAIN_SCALING_AUTO, HUSH_TRAIN_NOISE_OS); /* CSV under DP: the histogram */
    hush_train_result r, r0;
    CHECK_OK(hush_train_run(&c, NULL, NULL, &r, ls, nl, all, NULL, NULL, NULL, NULL));
    CHECK(r.privacy.scaling == HUSH_TRAIN_SCALING_DP && r.privacy.scaling_noise == 8.0);
    c.scaling = HUSH_TRAIN_SCALING_NONE;
    CHECK_OK(hush_train_run(&c, NULL, NULL, &r0, ls, nl, all, NULL, NULL, NULL, NULL));
    CHECK(r.privacy.epsilon > r0.privacy.epsilon && r0.privacy.scaling_epsilon == 0);
    CHECK(r.privacy.steps == 20 && r.privacy.steps == r0.privacy.steps); /* round(320 / 32) x 2 */
    for (int k = 0; k < 2; k++) {
        hush_accountant *acc;
        acc = rdp_accountant();
        CHECK_OK(hush_train_privacy_compose(k ? &r0.privacy : &r.privacy, acc));
        double e;
        CHECK_OK(hush_accountant_epsilon(acc, &e, NULL, 1e-5));
        CHECK_NEAR(e, k ? r0.privacy.epsilon : r.privacy.epsilon, 1e-12);
        hush_accountant_free(acc);
    }
    /* the scaling alone: the Gaussian mechanism at noise multiplier 8 */
    hush_accountant *g;
    g = rdp_accountant();
    hush_dp_event ev = {HUSH_DP_EVENT_GAUSSIAN, 8.0, 0, NULL, NULL, 0};
    CHECK_OK(hush_accountant_compose(g, &ev, 1));
    double ge;
    CHECK_OK(hush_accountant_epsilon(g, &ge, NULL, 1e-5));
    CHECK_NEAR(r.privacy.scaling_epsilon, ge, 1e-12);
    hush_accountant_free(g);
    /* a target is met with the scaling included, to the calibration's 1e-4 in sigma */
    c.scaling = HUSH_TRAIN_SCALING_DP;
    c.target_epsilon = 2.0;
    CHECK_OK(hush_train_run(&c, NULL, NULL, &r, ls, nl, all, NULL, NULL, NULL, NULL));
    CHECK_MSG(r.privacy.epsilon <= 2.0 && r.privacy.epsilon > 1.99, "target 2: epsilon %g", r.privacy.epsilon);
    /* K = 4 folds compose: the same as four runs' events */
    c.folds = 4;
    CHECK_OK(hush_train_run(&c, NULL, NULL, &r, ls, nl, all, NULL, NULL, NULL, NULL));
    CHECK(r.folds == 4 && r.privacy.runs == 4 && r.cv_test_rows == ROWS);
    CHECK_MSG(r.privacy.epsilon <= 2.0 && r.privacy.epsilon > 1.98, "4 folds, target 2: epsilon %g", r.privacy.epsilon);
    c.target_epsilon = 0;
    c.dpsgd.noise_multiplier = 1.1;
    CHECK_OK(hush_train_run(&c, NULL, NULL, &r, ls, nl, all, NULL, NULL, NULL, NULL));
    /* each fold trains on 300 rows: q = 32/300 (rounded up to 2^-32), round(300/32) = 9 steps an epoch */
    double q = ceil(32.0 / 300.0 * 4294967296.0) / 4294967296.0;
    CHECK(r.privacy.steps == 18 && r.privacy.sampling_rate == q);
    hush_accountant *acc;
    acc = rdp_accountant();
    hush_dp_event sg = {HUSH_DP_EVENT_SAMPLED_GAUSSIAN, 1.1, q, NULL, NULL, 0};
    CHECK_OK(hush_accountant_compose(acc, &ev, 4));
    CHECK_OK(hush_accountant_compose(acc, &sg, 4 * 18));
    double e4;
    CHECK_OK(hush_accountant_epsilon(acc, &e4, NULL, 1e-5));
    hush_accountant_free(acc);
    CHECK_NEAR(r.privacy.epsilon, e4, 1e-9 * e4);
    hush_dataset_free(all);
}

/* Calls the driver refuses, and the handle API directly. */
static void test_handle_and_errors(void) {
    hush_dataset *all = make_data(1500);
    hush_layer_spec ls[HUSH_MODEL_MAX_LAYERS];
    size_t nl = parse_spec(ls, "dense:8,relu,dense:2");
    hush_train_config c, zero;
    memset(&zero, 0, sizeof zero);
    hush_train *t = NULL;
    hush_train_result r;
    CHECK_RC(hush_train_create(&t, NULL, &zero, ls, nl, all, NULL, NULL), HUSH_EARG);
    CHECK_RC(hush_train_run(&zero, NULL, NULL, &r, ls, nl, all, NULL, NULL, NULL, NULL), HUSH_EARG);
    CHECK_RC(hush_train_config_init(&c, 9, 0.1), HUSH_EARG);
    CHECK_RC(hush_train_config_init(&c, HUSH_OPTIM_SGD, -1), HUSH_EARG);
    dp_config(&c, HUSH_TRAIN_SCALING_STATS, HUSH_TRAIN_NOISE_OS);
    CHECK_RC(hush_train_create(&t, NULL, &c, ls, nl, all, NULL, NULL), HUSH_EARG); /* exact stats under DP */
    dp_config(&c, HUSH_TRAIN_SCALING_NONE, HUSH_TRAIN_NOISE_SEED);
    CHECK_RC(hush_train_create(&t, NULL, &c, ls, nl, all, NULL, NULL), HUSH_EARG); /* seeded noise, no seed */
    dp_config(&c, HUSH_TRAIN_SCALING_BOUNDS, HUSH_TRAIN_NOISE_OS);
    CHECK_RC(hush_train_create(&t, NULL, &c, ls, nl, all, NULL, NULL), HUSH_EARG); /* bounds missing */
    c.bounds = BOUNDS;
    c.n_bounds = 3;
    CHECK_RC(hush_train_create(&t, NULL, &c, ls, nl, all, NULL, NULL), HUSH_ESHAPE);
    dp_config(&c, HUSH_TRAIN_SCALING_NONE, HUSH_TRAIN_NOISE_OS);
    c.batch = 321;
    CHECK_RC(hush_train_create(&t, NULL, &c, ls, nl, all, NULL, NULL), HUSH_ERANGE); /* above the 320 rows */
    hush_layer_spec one[HUSH_MODEL_MAX_LAYERS];
    size_t n1 = parse_spec(one, "dense:1");
    dp_config(&c, HUSH_TRAIN_SCALING_NONE, HUSH_TRAIN_NOISE_OS);
    CHECK_RC(hush_train_create(&t, NULL, &c, one, n1, all, NULL, NULL), HUSH_ESHAPE); /* 1 output, 2 classes */
    c.folds = 3;
    CHECK_RC(hush_train_create(&t, NULL, &c, ls, nl, all, all, NULL), HUSH_EARG); /* folds and a test set */
    c.folds = 0;
    /* the handle: epochs, evaluation, the training split withheld, the model detached */
    CHECK_OK(hush_train_create(&t, NULL, &c, ls, nl, all, NULL, NULL));
    hush_train_privacy plan, done;
    CHECK_OK(hush_train_privacy_report(t, &plan)); /* before any step: what a budget is charged */
    CHECK(plan.dp && plan.steps == 0 && plan.planned_steps == 20 && plan.epsilon == 0 && plan.planned_epsilon > 0);
    hush_train_status st;
    float loss, acc;
    CHECK_OK(hush_train_epoch(t, &st));
    CHECK(st.event == HUSH_TRAIN_EPOCH && st.epoch == 1 && st.epochs == 2 && isnan(st.loss) && st.steps == 10);
    double e1, e2;
    CHECK_OK(hush_train_epsilon(t, &e1));
    CHECK_OK(hush_train_epoch(t, &st));
    CHECK_OK(hush_train_epsilon(t, &e2));
    CHECK(e1 > 0 && e2 > e1);
    CHECK_OK(hush_train_privacy_report(t, &done));
    CHECK(done.steps == 20 && done.epsilon == e2 && done.planned_epsilon == plan.planned_epsilon);
    CHECK_NEAR(plan.planned_epsilon, e2, 1e-12);
    CHECK_RC(hush_train_epoch(t, &st), HUSH_ESTATE); /* all epochs done */
    CHECK_RC(hush_train_evaluate(t, &loss, &acc, HUSH_TRAIN_SPLIT_TRAIN), HUSH_ESTATE);
    CHECK_OK(hush_train_evaluate(t, &loss, &acc, HUSH_TRAIN_SPLIT_TEST));
    CHECK(acc > 0 && hush_dataset_rows(hush_train_dataset(t, HUSH_TRAIN_SPLIT_TEST)) == 80);
    CHECK(hush_train_dpsgd(t) != NULL && hush_train_epochs_done(t) == 2);
    hush_model *m;
    CHECK_OK(hush_train_detach_model(t, &m));
    CHECK(hush_train_model(t) == NULL);
    CHECK_RC(hush_train_evaluate(t, &loss, &acc, HUSH_TRAIN_SPLIT_TEST), HUSH_ESTATE);
    hush_train_free(t);
    hush_model_free(m);
    /* non-DP: the training split may be evaluated; a callback sees START, each EPOCH and END */
    CHECK_OK(hush_train_config_init(&c, HUSH_OPTIM_SGD, 0.1));
    CHECK_OK(hush_train_create(&t, NULL, &c, ls, nl, all, NULL, NULL));
    CHECK(hush_train_dpsgd(t) == NULL);
    CHECK_OK(hush_train_epoch(t, &st));
    CHECK(!isnan(st.loss) && st.steps == 0);
    CHECK_OK(hush_train_evaluate(t, &loss, &acc, HUSH_TRAIN_SPLIT_TRAIN));
    hush_train_free(t);
    /* fault injection: every allocation of create fails cleanly */
    dp_config(&c, HUSH_TRAIN_SCALING_DP, HUSH_TRAIN_NOISE_OS);
    int saw_ok = 0;
    for (long fail = 1; fail <= 40 && !saw_ok; fail++) {
        check_alloc ca = {0, fail, 0, 0};
        hush_allocator al = CHECK_ALLOCATOR(ca);
        int rc = hush_train_create(&t, NULL, &c, ls, nl, all, NULL, &al);
        if (rc == HUSH_OK) {
            saw_ok = 1;
            hush_train_free(t);
        } else {
            CHECK_RC(rc, HUSH_ENOMEM);
            CHECK(t == NULL);
        }
        CHECK(ca.live_blocks == 0);
    }
    CHECK(saw_ok);
    hush_dataset_free(all);
}

static int events[4];
static int count_events(void *ud, hush_train *t, const hush_train_status *st) {
    (void)ud;
    (void)t;
    events[st->event]++;
    return st->event == HUSH_TRAIN_EPOCH && st->epoch == 2 ? HUSH_EBUDGET : HUSH_OK;
}

static void test_callback(void) {
    hush_dataset *all = make_data(1500);
    hush_layer_spec ls[HUSH_MODEL_MAX_LAYERS];
    size_t nl = parse_spec(ls, "dense:8,relu,dense:2");
    hush_train_config c;
    CHECK_OK(hush_train_config_init(&c, HUSH_OPTIM_SGD, 0.1));
    c.epochs = 5;
    hush_train_result r;
    hush_model *m = (hush_model *)&r;
    CHECK_RC(hush_train_run(&c, NULL, &m, &r, ls, nl, all, NULL, count_events, NULL, NULL), HUSH_EBUDGET);
    CHECK(m == NULL && events[HUSH_TRAIN_START] == 1 && events[HUSH_TRAIN_EPOCH] == 2 && events[HUSH_TRAIN_END] == 1);
    hush_dataset_free(all);
}

static void test_data_parse(void) {
    CHECK(hush_train_format_guess("data/credit-g.arff") == HUSH_TRAIN_FORMAT_ARFF);
    CHECK(hush_train_format_guess("x/train-images-idx3-ubyte.gz") == HUSH_TRAIN_FORMAT_IDX);
    CHECK(hush_train_format_guess("data/digits.csv.gz") == HUSH_TRAIN_FORMAT_DIGITS);
    CHECK(hush_train_format_guess("my_digits_v2.csv") == HUSH_TRAIN_FORMAT_DIGITS);
    CHECK(hush_train_format_guess("/home/digits/iris.csv") == HUSH_TRAIN_FORMAT_CSV); /* a directory says nothing */
    CHECK(hush_train_format_guess("iris.csv") == HUSH_TRAIN_FORMAT_CSV);
    uint32_t f = 0;
    CHECK_OK(hush_train_format_parse(&f, "digits"));
    CHECK(f == HUSH_TRAIN_FORMAT_DIGITS && !strcmp(hush_train_format_name(f), "digits"));
    CHECK_RC(hush_train_format_parse(&f, "xml"), HUSH_EARG);
    CHECK(hush_train_format_name(0) == NULL && hush_train_format_name(5) == NULL);
    /* digits: grey levels / 16 */
    const char d[] = "16,8,0,1\n4,12,2,0\n";
    hush_dataset *ds;
    hush_parse_error err;
    CHECK_OK(hush_train_data_parse(&ds, HUSH_TRAIN_FORMAT_DIGITS, (const uint8_t *)d, sizeof d - 1, NULL, 0, &err, NULL));
    CHECK(hush_dataset_x(ds)[0] == 1.0f && hush_dataset_x(ds)[1] == 0.5f && hush_dataset_x(ds)[3] == 0.25f);
    hush_dataset_free(ds);
    /* gzip: a plain refusal, not a line of binary noise */
    const uint8_t gz[] = {0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 'x'};
    CHECK_RC(hush_train_data_parse(&ds, HUSH_TRAIN_FORMAT_DIGITS, gz, sizeof gz, NULL, 0, &err, NULL), HUSH_EFORMAT);
    CHECK(ds == NULL && strstr(err.msg, "gzip-compressed") && err.line == 0);
    uint8_t idx_img[16] = {0, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1};
    CHECK_RC(hush_train_data_parse(&ds, HUSH_TRAIN_FORMAT_IDX, idx_img, sizeof idx_img, gz, sizeof gz, &err, NULL),
             HUSH_EFORMAT);
    CHECK(strstr(err.msg, "labels file is gzip-compressed") != NULL);
    CHECK_RC(hush_train_data_parse(&ds, 9, (const uint8_t *)d, 3, NULL, 0, &err, NULL), HUSH_EARG);
}

static void test_bounds(void) {
    const char ok[] = "# credit bounds\nduration 4 72\n\n  250, 18424  # amount\nage,18,75\n";
    double b[6];
    size_t n = 0;
    hush_parse_error err;
    CHECK_OK(hush_train_bounds_parse(NULL, 0, &n, ok, sizeof ok - 1, &err));
    CHECK(n == 3);
    CHECK_OK(hush_train_bounds_parse(b, 3, &n, ok, sizeof ok - 1, &err));
    CHECK(n == 3 && b[0] == 4 && b[1] == 72 && b[2] == 250 && b[3] == 18424 && b[4] == 18 && b[5] == 75);
    CHECK_RC(hush_train_bounds_parse(b, 2, &n, ok, sizeof ok - 1, &err), HUSH_ERANGE);
    static const struct {
        const char *text;
        size_t line;
        const char *msg;
    } bad[] = {
        {"1 2\n3\n", 2, "expected"}, {"a b 1 2\n", 1, "more than"}, {"x 5 1\n", 1, "below"},
        {"x 1 1e999\n", 1, "not a number"}, {"1 2\nx nan 3\n", 2, "not a number"}, {"x 3 3\n", 1, "below"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = hush_train_bounds_parse(b, 3, &n, bad[i].text, strlen(bad[i].text), &err);
        CHECK_MSG(rc == HUSH_EFORMAT && err.line == bad[i].line && strstr(err.msg, bad[i].msg), "bounds case %zu: %s",
                  i, err.msg);
    }
    /* the map: [lo, hi] -> [-1, 1] on numeric columns only */
    hush_dataset *all = make_data(1500);
    float shift[DIM], scale[DIM];
    CHECK(hush_train_numeric_columns(all) == DIM);
    CHECK_OK(hush_train_scaling_bounds(shift, scale, DIM, all, BOUNDS, DIM));
    CHECK(shift[1] == 2000.0f && scale[1] == 0.001f && shift[2] == 0.0f && scale[2] == 0.2f);
    CHECK_RC(hush_train_scaling_bounds(shift, scale, DIM, all, BOUNDS, 3), HUSH_ESHAPE);
    double flipped[2 * DIM] = {0, 100, 3000, 1000, -5, 5, 0.5, 1};
    CHECK_RC(hush_train_scaling_bounds(shift, scale, DIM, all, flipped, DIM), HUSH_EARG);
    hush_dataset_free(all);
    const char arff[] = "@relation r\n@attribute a numeric\n@attribute c {x,y,z}\n@attribute class {p,q}\n@data\n"
                        "1,x,p\n2,z,q\n";
    CHECK_OK(hush_arff_parse(&all, arff, sizeof arff - 1, NULL, NULL));
    CHECK(hush_dataset_dim(all) == 4 && hush_train_numeric_columns(all) == 1);
    double one[2] = {0, 4};
    CHECK_OK(hush_train_scaling_bounds(shift, scale, 4, all, one, 1));
    CHECK(shift[0] == 2.0f && scale[0] == 0.5f && shift[1] == 0 && scale[1] == 1 && shift[3] == 0 && scale[3] == 1);
    hush_dataset_free(all);
}

/* The DP histogram's bounds: column values spread over known power-of-two bins. With noise
 * multiplier 1 and one column the noise is N_Z(0, 1) per count and the threshold 4; the kept bins
 * have 1000 rows, the others none (an empty bin passes 4 with probability 3e-5; the seed is fixed).
 * Column 0 lies in [64, 512): bins [64,128), [128,256), [256,512). */
static void test_scaling_dp(void) {
    static char text[3000 * 24];
    size_t pos = 0;
    for (int i = 0; i < 3000; i++) {
        double v = i < 1000 ? 70 + i * 0.05 : i < 2000 ? 130 + (i - 1000) * 0.1 : 300 + (i - 2000) * 0.2;
        pos += (size_t)snprintf(text + pos, sizeof text - pos, "%.2f,%d\n", v, i & 1);
    }
    hush_dataset *ds;
    CHECK_OK(hush_csv_parse(&ds, text, pos, NULL, NULL));
    hush_rng r;
    CHECK_OK(hush_rng_init_u64(&r, 5));
    float shift, scale;
    CHECK_OK(hush_train_scaling_dp(&r, &shift, &scale, 1, ds, 1.0, NULL));
    CHECK_MSG(shift == 288.0f && scale == (float)(2.0 / 448.0), "DP bounds: shift %g scale %g", shift, scale);
    CHECK_RC(hush_train_scaling_dp(&r, &shift, &scale, 1, ds, 0.01, NULL), HUSH_EARG);
    CHECK_RC(hush_train_scaling_dp(&r, &shift, &scale, 2, ds, 1.0, NULL), HUSH_ESHAPE);
    /* huge noise hides everything: the column is left as it is */
    CHECK_OK(hush_train_scaling_dp(&r, &shift, &scale, 1, ds, 1e5, NULL));
    CHECK(shift == 0.0f && scale == 1.0f);
    int saw_ok = 0;
    for (long fail = 1; fail <= 4 && !saw_ok; fail++) {
        check_alloc ca = {0, fail, 0, 0};
        hush_allocator al = CHECK_ALLOCATOR(ca);
        int rc = hush_train_scaling_dp(&r, &shift, &scale, 1, ds, 1.0, &al);
        saw_ok = rc == HUSH_OK;
        CHECK(rc == HUSH_OK || rc == HUSH_ENOMEM);
        CHECK(ca.live_blocks == 0);
    }
    CHECK(saw_ok);
    hush_rng_clear(&r);
    hush_dataset_free(ds);
}

int main(void) {
    test_run_is_the_pipeline();
    test_secret_noise();
    test_one_record();
    test_accounting();
    test_handle_and_errors();
    test_callback();
    test_data_parse();
    test_bounds();
    test_scaling_dp();
    CHECK_SUMMARY();
}
