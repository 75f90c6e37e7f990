/* Federated learning in process (not a test): the peer of `make bench-fl` and the quality runs of
 * `make bench-fl-quality`, on the same functions hush-server and its participants run
 * (hush_federated_contribute, hush_secagg_run, hush_federated_server_apply).
 *
 *   build/bench/fl round   --model FILE --data FILE --participants N [task options]
 *       one round of N participants, participant i holding shard (i mod K) of the data
 *       (hush_dataset_shard as hush-swarm --fedavg and bench/fl_node.mjs), split into training
 *       and validation rows. Times: local training of everyone (sum and max), the plaintext sum
 *       with the server step (the floor: no secure aggregation), and hush_secagg_run (every
 *       message through the wire encoding, authenticated, as hush-server configures it) with the
 *       server step; bytes per participant of the secure-aggregation messages. One JSON line.
 *   build/bench/fl quality --model FILE --data FILE (--test FILE | --test-fraction F) [task options]
 *       --rounds R [--centralised] [--eval-every K]
 *       R rounds of N participants over secure aggregation in process; the global model's test
 *       accuracy after each round (every K), the epsilon each participant has spent (its
 *       odometer, charged as hush fl join charges it), and with --centralised the same model from
 *       the same initial parameters trained on the union of the participants' training rows for
 *       R x local-epochs epochs (same optimiser, lr and batch). One JSON line at the end.
 *
 *   build/bench/fl cost --rounds R --params P --train-rows N [task options]
 *       the epsilon R rounds cost one participant with N training rows, for a model of P
 *       parameters (to choose a noise multiplier for a budget).
 *
 * Task options mirror `hush-server task create --kind fedavg`: --privacy none|record|user, --lr,
 * --local-epochs, --local-batch, --optimizer sgd|momentum|adam, --server-optimizer fedavg|fedadam,
 * --server-lr, --clip, --noise-multiplier, --metric-noise, --delta, --validation-fraction,
 * --threshold T (min_survivors), --neighbours D, --max-rows, --freeze-head; data: --format F, --shards K
 * (default N), --labels-per-part L, --shard-seed S; --seed S seeds the participants' streams and
 * the split of --test-fraction.
 *   build: make build/bench/fl */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "hush.h"
#include "hush/federated.h"
#include "hush/train.h"

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* CPU seconds of this process: on a shared machine they move less than wall time. */
static double cpu(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

#define TRY(x)                                                                                                         \
    do {                                                                                                               \
        int rc_ = (x);                                                                                                 \
        if (rc_ != HUSH_OK) {                                                                                          \
            fprintf(stderr, "fl: %s: %s (line %d)\n", #x, hush_strerror(rc_), __LINE__);                              \
            exit(1);                                                                                                   \
        }                                                                                                              \
    } while (0)

typedef struct setup {
    hush_federated_task t;
    uint32_t n, shards, lpp, neighbours, threshold;
    uint64_t shard_seed, seed;
    uint8_t *model;
    size_t model_len, np;
    hush_dataset **train, **val; /* n each */
} setup;

static void rng_stream(hush_rng *out, uint64_t seed, const char *name) {
    hush_rng base;
    TRY(hush_rng_init_u64(&base, seed));
    TRY(hush_rng_derive(out, &base, name));
    hush_rng_clear(&base);
}

/* The terms as hush-server task create sets them (server/main.c fed_terms). */
static int parse_task(cli_args *a, setup *s) {
    const char *privacy = cli_str(a, "privacy", "none"), *opt = cli_str(a, "optimizer", "sgd");
    const char *sopt = cli_str(a, "server-optimizer", "fedavg");
    uint32_t p = !strcmp(privacy, "none")     ? HUSH_FEDERATED_PRIVACY_NONE
                 : !strcmp(privacy, "record") ? HUSH_FEDERATED_PRIVACY_RECORD
                 : !strcmp(privacy, "user")   ? HUSH_FEDERATED_PRIVACY_USER
                                              : 0;
    uint32_t o = !strcmp(opt, "sgd") ? HUSH_OPTIM_SGD : !strcmp(opt, "momentum") ? HUSH_OPTIM_MOMENTUM
                 : !strcmp(opt, "adam") ? HUSH_OPTIM_ADAM : 99;
    uint32_t so = !strcmp(sopt, "fedavg") ? HUSH_FEDERATED_FEDAVG : !strcmp(sopt, "fedadam") ? HUSH_FEDERATED_FEDADAM : 0;
    uint64_t n, thr, epochs, batch, bits, max_rows, shards, lpp, nb;
    double lr;
    if (!p || o == 99 || !so) return CLI_EXIT_USAGE;
    if (cli_u64(a, "participants", 0, 2, 65536, &n) || cli_u64(a, "threshold", 0, 0, 65536, &thr) ||
        cli_f64(a, "lr", 0.1, 0, 1e6, &lr))
        return CLI_EXIT_USAGE;
    if (!thr) thr = n / 2 + 1;
    if (!n || hush_federated_task_init(&s->t, p, (uint32_t)n, (uint32_t)thr, lr)) return CLI_EXIT_USAGE;
    hush_federated_task *t = &s->t;
    t->optimizer = o;
    t->server_optimizer = so;
    if (cli_u64(a, "local-epochs", 1, 1, 1000, &epochs) || cli_u64(a, "local-batch", 32, 1, HUSH_MODEL_MAX_BATCH, &batch) ||
        cli_f64(a, "server-lr", so == HUSH_FEDERATED_FEDADAM ? 0.01 : 1.0, 1e-9, 1e6, &t->server_lr) ||
        cli_f64(a, "clip", t->clip, 1e-9, 1e6, &t->clip) ||
        cli_f64(a, "noise-multiplier", t->noise_multiplier, 0, 1e4, &t->noise_multiplier) ||
        cli_f64(a, "metric-noise", t->metric_noise, 0, 1e4, &t->metric_noise) ||
        cli_f64(a, "delta", t->delta, 1e-300, 0.5, &t->delta) ||
        cli_f64(a, "validation-fraction", t->validation_fraction, 0, 0.9, &t->validation_fraction) ||
        cli_u64(a, "bits", t->bits, 8, 32, &bits) || cli_u64(a, "max-rows", t->max_rows, 1, 1u << 24, &max_rows) ||
        cli_u64(a, "shards", 0, 0, 1u << 24, &shards) || cli_u64(a, "labels-per-part", 0, 0, 1024, &lpp) ||
        cli_u64(a, "shard-seed", 1, 0, UINT64_MAX, &s->shard_seed) || cli_u64(a, "seed", 1, 0, UINT64_MAX, &s->seed) ||
        cli_u64(a, "neighbours", 0, 0, 65536, &nb))
        return CLI_EXIT_USAGE;
    t->local_epochs = (uint32_t)epochs;
    t->local_batch = (uint32_t)batch;
    t->bits = (uint32_t)bits;
    t->max_rows = (uint32_t)max_rows;
    t->freeze_head = (uint32_t)cli_flag(a, "freeze-head");
    if (hush_federated_task_check(t) != HUSH_OK) {
        fprintf(stderr, "fl: invalid federated terms\n");
        return CLI_EXIT_USAGE;
    }
    s->n = (uint32_t)n;
    s->threshold = (uint32_t)thr;
    s->shards = shards ? (uint32_t)shards : (uint32_t)n;
    s->lpp = (uint32_t)lpp;
    s->neighbours = (uint32_t)nb;
    return 0;
}

/* Participant i's rows: shard (i mod K) as hush-swarm --fedavg takes it, then its own split. */
static void make_parts(setup *s, const hush_dataset *data) {
    s->train = calloc(s->n, sizeof *s->train);
    s->val = calloc(s->n, sizeof *s->val);
    if (!s->train || !s->val) exit(1);
    for (uint32_t i = 0; i < s->n; i++) {
        hush_rng r, sr;
        hush_dataset *shard = NULL;
        rng_stream(&r, s->shard_seed, "shard");
        TRY(hush_dataset_shard(&shard, &r, data, s->shards, i % s->shards, s->lpp, NULL));
        hush_rng_clear(&r);
        char label[48];
        snprintf(label, sizeof label, "split %u", i);
        rng_stream(&sr, s->seed, label);
        TRY(hush_dataset_split(&s->train[i], &s->val[i], &sr, shard, s->t.validation_fraction, NULL));
        hush_rng_clear(&sr);
        hush_dataset_free(shard);
    }
}

static void free_parts(setup *s) {
    for (uint32_t i = 0; s->train && i < s->n; i++) {
        hush_dataset_free(s->train[i]);
        hush_dataset_free(s->val[i]);
    }
    free(s->train);
    free(s->val);
}

static void secagg_config(const setup *s, hush_secagg_config *cfg, uint32_t dim) {
    TRY(hush_secagg_config_init(cfg, s->n, s->threshold, 0, dim));
    cfg->bits = s->t.bits;
    cfg->neighbours = s->neighbours;
    cfg->authenticated = 1; /* hush-server's rounds are */
    TRY(hush_secagg_session_random(cfg->session));
    TRY(hush_secagg_config_check(cfg));
}

/* Every participant's vector (rows of x) from the global model `model`; training time. */
static void contribute_all(const setup *s, uint32_t round, const uint8_t *model, size_t model_len, uint32_t *x,
                           size_t dim, double *sum_s, double *max_s, double *norm_max) {
    *sum_s = *max_s = *norm_max = 0;
    for (uint32_t i = 0; i < s->n; i++) {
        hush_rng r;
        char label[32];
        snprintf(label, sizeof label, "round %u", round);
        rng_stream(&r, s->seed + i, label);
        hush_federated_report rep;
        double t0 = now();
        TRY(hush_federated_contribute(&r, x + (size_t)i * dim, dim, &rep, &s->t, model, model_len, s->train[i],
                                      s->val[i], NULL));
        double dt = now() - t0;
        hush_rng_clear(&r);
        *sum_s += dt;
        if (dt > *max_s) *max_s = dt;
        if (rep.update_norm > *norm_max) *norm_max = rep.update_norm;
    }
}

static double secagg_clock(void *ud) {
    (void)ud;
    return now();
}

static int cmd_round(cli_args *a) {
    setup s;
    memset(&s, 0, sizeof s);
    const char *mpath = cli_str(a, "model", NULL), *dpath = cli_str(a, "data", NULL), *fmt = cli_str(a, "format", NULL);
    if (!mpath || !dpath || parse_task(a, &s) || cli_done(a)) return CLI_EXIT_USAGE;
    s.model = cli_read_file(mpath, &s.model_len);
    hush_dataset *data = NULL;
    if (!s.model || cli_load_dataset(&data, dpath, fmt)) return CLI_EXIT_FAIL;
    make_parts(&s, data);
    hush_federated_server *srv = NULL;
    TRY(hush_federated_server_create(&srv, &s.t, s.model, s.model_len, NULL, 0, NULL));
    size_t np = hush_federated_server_params(srv), dim = hush_federated_dim(np);
    uint32_t *x = malloc((size_t)s.n * dim * 4), *plain = malloc(dim * 4), *sum = malloc(dim * 4);
    if (!x || !plain || !sum) return CLI_EXIT_FAIL;
    double train_s, train_max, norm_max, c0 = cpu();
    contribute_all(&s, 1, s.model, s.model_len, x, dim, &train_s, &train_max, &norm_max);
    double train_cpu = cpu() - c0;
    uint32_t mask = s.t.bits == 32 ? 0xffffffffu : (1u << s.t.bits) - 1;
    /* without secure aggregation: the plaintext sum and the server step */
    double t0 = now();
    memset(plain, 0, dim * 4);
    for (uint32_t i = 0; i < s.n; i++)
        for (size_t j = 0; j < dim; j++) plain[j] = (plain[j] + x[(size_t)i * dim + j]) & mask;
    hush_federated_metrics m;
    TRY(hush_federated_server_apply(srv, &m, plain, dim, s.n));
    double plain_s = now() - t0;
    hush_federated_server_free(srv);
    /* with secure aggregation in process, then the same step */
    TRY(hush_federated_server_create(&srv, &s.t, s.model, s.model_len, NULL, 0, NULL));
    hush_secagg_config cfg;
    secagg_config(&s, &cfg, (uint32_t)dim);
    hush_secagg_stats st;
    hush_secagg_clock clk = {secagg_clock, NULL};
    c0 = cpu();
    t0 = now();
    TRY(hush_secagg_run(&cfg, NULL, &st, sum, dim, NULL, 0, x, (size_t)s.n * dim, NULL, 0, &clk, NULL));
    double sa_s = now() - t0;
    t0 = now();
    TRY(hush_federated_server_apply(srv, &m, sum, dim, st.survivors));
    double apply_s = now() - t0, secagg_cpu = cpu() - c0;
    int same = memcmp(sum, plain, dim * 4) == 0;
    hush_federated_server_free(srv);
    printf("{\"participants\":%u,\"params\":%zu,\"dim\":%zu,\"bits\":%u,\"neighbours\":%u,\"threshold\":%u,"
           "\"train_rows\":%zu,\"train_cpu\":%.4f,\"secagg_cpu\":%.4f,\"train_seconds\":%.4f,\"train_max\":%.5f,\"update_norm_max\":%.4g,"
           "\"plain_seconds\":%.4f,\"secagg_seconds\":%.4f,\"apply_seconds\":%.4f,\"secagg_client_max\":%.4f,"
           "\"secagg_server\":%.4f,\"bytes_up_per_client\":%.0f,\"bytes_down_per_client\":%.0f,"
           "\"model_file_bytes\":%zu,\"sum_equal\":%s,\"validation_accuracy\":%.4f}\n",
           s.n, np, dim, s.t.bits, s.neighbours, s.threshold, hush_dataset_rows(s.train[0]), train_cpu, secagg_cpu, train_s, train_max,
           norm_max, plain_s, sa_s, apply_s, st.client_seconds_max, st.server_seconds,
           (double)st.bytes_up / s.n, (double)st.bytes_down / s.n, s.model_len, same ? "true" : "false",
           m.validation_accuracy);
    free(x);
    free(plain);
    free(sum);
    free_parts(&s);
    hush_dataset_free(data);
    free(s.model);
    return same ? 0 : 1;
}

static double test_accuracy(const uint8_t *model, size_t len, const hush_dataset *test) {
    hush_model *m = NULL;
    TRY(hush_model_load(&m, model, len, 256, NULL));
    float loss, acc;
    TRY(hush_model_evaluate(m, &loss, &acc, hush_dataset_x(test), hush_dataset_labels(test), hush_dataset_rows(test)));
    hush_model_free(m);
    return acc;
}

/* The same model trained on the union of the participants' training rows, R x E epochs, from
 * the same initial parameters and input scaling, with the local optimiser, lr and batch. With a
 * validation fraction of 0 the union is the whole training set (the participants' shards
 * partition it). */
static double centralised(const setup *s, const hush_dataset *train, const hush_dataset *test, uint32_t epochs) {
    hush_rng r;
    rng_stream(&r, s->seed, "centralised");
    hush_model *g = NULL;
    TRY(hush_model_load(&g, s->model, s->model_len, 64, NULL));
    hush_train_config cfg;
    TRY(hush_train_config_init(&cfg, s->t.optimizer, s->t.lr));
    cfg.epochs = epochs;
    cfg.batch = s->t.local_batch;
    cfg.max_batch = s->t.local_batch > 64 ? s->t.local_batch : 64;
    cfg.scaling = HUSH_TRAIN_SCALING_NONE;
    cfg.test_fraction = 0;
    cfg.noise_source = HUSH_TRAIN_NOISE_SEED;
    hush_train *tr = NULL;
    TRY(hush_train_create(&tr, &r, &cfg, hush_model_layers(g), hush_model_layer_count(g), train, test, NULL));
    hush_model *m = hush_train_model(tr);
    size_t in = hush_model_input_size(g), np = hush_model_param_count(g);
    float *norm = malloc(2 * in * sizeof(float));
    int rc = hush_model_input_norm(g, norm, norm + in, in);
    if (rc == HUSH_OK) TRY(hush_model_set_input_norm(m, norm, norm + in, in));
    else TRY(hush_model_set_input_norm(m, NULL, NULL, in));
    free(norm);
    memcpy(hush_model_params(m), hush_model_params(g), np * sizeof(float));
    while ((rc = hush_train_epoch(tr, NULL)) == HUSH_OK) {
    }
    if (rc != HUSH_ESTATE) TRY(rc);
    float loss, acc;
    TRY(hush_model_evaluate(m, &loss, &acc, hush_dataset_x(test), hush_dataset_labels(test), hush_dataset_rows(test)));
    hush_train_free(tr);
    hush_model_free(g);
    hush_rng_clear(&r);
    return acc;
}

static int cmd_quality(cli_args *a) {
    setup s;
    memset(&s, 0, sizeof s);
    const char *mpath = cli_str(a, "model", NULL), *dpath = cli_str(a, "data", NULL), *fmt = cli_str(a, "format", NULL);
    const char *tpath = cli_str(a, "test", NULL);
    int central = cli_flag(a, "centralised");
    uint64_t rounds, every;
    double tf;
    if (!mpath || !dpath || parse_task(a, &s) || cli_u64(a, "rounds", 10, 1, 100000, &rounds) ||
        cli_u64(a, "eval-every", 0, 0, 100000, &every) || cli_f64(a, "test-fraction", 0.2, 0.01, 0.9, &tf) || cli_done(a))
        return CLI_EXIT_USAGE;
    s.model = cli_read_file(mpath, &s.model_len);
    hush_dataset *data = NULL, *train = NULL, *test = NULL;
    if (!s.model || cli_load_dataset(&data, dpath, fmt)) return CLI_EXIT_FAIL;
    if (tpath) {
        if (cli_load_dataset(&test, tpath, fmt)) return CLI_EXIT_FAIL;
        train = data;
        data = NULL;
    } else {
        hush_rng r;
        rng_stream(&r, s.seed, "test split");
        TRY(hush_dataset_split(&train, &test, &r, data, tf, NULL));
        hush_rng_clear(&r);
    }
    make_parts(&s, train);
    hush_federated_server *srv = NULL;
    TRY(hush_federated_server_create(&srv, &s.t, s.model, s.model_len, NULL, 0, NULL));
    size_t np = hush_federated_server_params(srv), dim = hush_federated_dim(np);
    uint32_t *x = malloc((size_t)s.n * dim * 4), *sum = malloc(dim * 4);
    size_t cap = s.model_len, len = s.model_len;
    uint8_t *model = malloc(cap);
    if (!x || !sum || !model) return CLI_EXIT_FAIL;
    memcpy(model, s.model, len);
    /* every participant's odometer is charged the same events as its ledger would be */
    hush_odometer_config oc;
    TRY(hush_odometer_config_init(&oc, 1e9, s.t.delta));
    hush_odometer *od = NULL;
    TRY(hush_odometer_create(&od, &oc, NULL));
    size_t rows0 = hush_dataset_rows(s.train[0]);
    double t_train = 0, t_agg = 0, acc = 0, norm_max = 0;
    printf("{\"curve\":[");
    for (uint32_t r = 1; r <= rounds; r++) {
        double ts, tm, nm;
        contribute_all(&s, r, model, len, x, dim, &ts, &tm, &nm);
        t_train += ts;
        if (nm > norm_max) norm_max = nm;
        hush_secagg_config cfg;
        secagg_config(&s, &cfg, (uint32_t)dim);
        hush_secagg_stats st;
        double t0 = now();
        TRY(hush_secagg_run(&cfg, NULL, &st, sum, dim, NULL, 0, x, (size_t)s.n * dim, NULL, 0, NULL, NULL));
        hush_federated_metrics m;
        TRY(hush_federated_server_apply(srv, &m, sum, dim, st.survivors));
        TRY(hush_federated_server_model(srv, model, cap, &len));
        t_agg += now() - t0;
        if (s.t.privacy != HUSH_FEDERATED_PRIVACY_NONE) {
            hush_odometer_event ev[2];
            size_t ne = 0, charged = 0;
            TRY(hush_federated_cost(ev, 2, &ne, &s.t, rows0, np, (const uint8_t *)&r, sizeof r));
            TRY(hush_odometer_charge_all(od, &charged, ev, ne));
        }
        if (r == rounds || (every && r % every == 0)) {
            acc = test_accuracy(model, len, test);
            printf("%s[%u,%.4f]", r == (every ? every : rounds) ? "" : ",", r, acc);
            fflush(stdout);
        }
    }
    double lo = 0, hi = 0;
    if (s.t.privacy != HUSH_FEDERATED_PRIVACY_NONE) TRY(hush_odometer_spent(od, &lo, &hi, s.t.delta));
    double cacc = central ? centralised(&s, train, test, (uint32_t)rounds * s.t.local_epochs) : NAN;
    printf("],\"participants\":%u,\"rounds\":%llu,\"train_rows\":%zu,\"test_rows\":%zu,\"accuracy\":%.4f,", s.n,
           (unsigned long long)rounds, rows0, hush_dataset_rows(test), acc);
    if (central) printf("\"centralised_accuracy\":%.4f,", cacc);
    printf("\"epsilon\":%.4f,\"epsilon_lower\":%.4f,\"delta\":%g,\"update_norm_max\":%.4g,\"train_seconds\":%.2f,"
           "\"aggregate_seconds\":%.2f}\n",
           hi, lo, s.t.delta, norm_max, t_train, t_agg);
    hush_odometer_free(od);
    hush_federated_server_free(srv);
    free(x);
    free(sum);
    free(model);
    free_parts(&s);
    hush_dataset_free(train);
    hush_dataset_free(test);
    hush_dataset_free(data);
    free(s.model);
    return 0;
}

/* What R rounds cost one participant (its odometer, charged as hush fl join charges it). */
static int cmd_cost(cli_args *a) {
    setup s;
    memset(&s, 0, sizeof s);
    uint64_t rounds, np, rows;
    if (parse_task(a, &s) || cli_u64(a, "rounds", 10, 1, 100000, &rounds) || cli_u64(a, "params", 0, 1, 1u << 30, &np) ||
        cli_u64(a, "train-rows", 0, 1, 1u << 30, &rows) || cli_done(a))
        return CLI_EXIT_USAGE;
    hush_odometer_config oc;
    TRY(hush_odometer_config_init(&oc, 1e9, s.t.delta));
    hush_odometer *od = NULL;
    TRY(hush_odometer_create(&od, &oc, NULL));
    for (uint32_t r = 1; r <= rounds && s.t.privacy != HUSH_FEDERATED_PRIVACY_NONE; r++) {
        hush_odometer_event ev[2];
        size_t ne = 0, charged = 0;
        TRY(hush_federated_cost(ev, 2, &ne, &s.t, (size_t)rows, (size_t)np, (const uint8_t *)&r, sizeof r));
        TRY(hush_odometer_charge_all(od, &charged, ev, ne));
    }
    double lo = 0, hi = 0;
    if (s.t.privacy != HUSH_FEDERATED_PRIVACY_NONE) TRY(hush_odometer_spent(od, &lo, &hi, s.t.delta));
    printf("{\"rounds\":%llu,\"epsilon\":%.4f,\"epsilon_lower\":%.4f,\"delta\":%g}\n", (unsigned long long)rounds, hi, lo,
           s.t.delta);
    hush_odometer_free(od);
    return 0;
}

int main(int argc, char **argv) {
    static const char *const flags[] = {"centralised", "freeze-head", NULL};
    cli_prog = "fl";
    if (argc < 2 || hush_init() != HUSH_OK) {
        fprintf(stderr, "usage: fl round|quality [options] (see bench/fl.c)\n");
        return CLI_EXIT_USAGE;
    }
    cli_args a;
    if (cli_parse(&a, argc - 2, argv + 2, flags)) return CLI_EXIT_USAGE;
    if (!strcmp(argv[1], "round")) return cmd_round(&a);
    if (!strcmp(argv[1], "quality")) return cmd_quality(&a);
    if (!strcmp(argv[1], "cost")) return cmd_cost(&a);
    fprintf(stderr, "usage: fl round|quality [options] (see bench/fl.c)\n");
    return CLI_EXIT_USAGE;
}
