/* `hush train` and `hush eval`.
 *
 * train parses its options into a hush_train_config, loads the data (hush_train_data_parse), makes
 * one hush_train_run call and prints the result: the pipeline, the canonical random streams, the
 * DP-SGD calibration and accounting all live in the core (core/src/train/driver.c), which the JS
 * API and the benches call too. What stays here is the command line: files, the clock, the JSON,
 * and (natively) the thread that draws DP-SGD noise ahead (prefetch.h), which changes the time,
 * never the result.
 *
 * Randomness: --seed S fixes the split, the initialisation and the plain minibatch order. DP noise,
 * Poisson sampling and the DP scaling histogram come from the OS whatever the seed, unless
 * --reproducible-noise asks for them from the seed too (with a warning: the run is not private).
 * Without --seed everything comes from the OS and the JSON has no "seed".
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "ledger.h"

#if !defined(__wasi__) && !defined(__EMSCRIPTEN__)
#define CLI_PREFETCH 1
#include "prefetch.h"
#endif

static const char *const train_flags[] = {"json", "dp", "reproducible-noise", "secure-noise", NULL};

typedef struct train_opts {
    const char *data, *test_data, *format, *spec, *out, *bounds, *ledger;
    double budget_eps, budget_delta;
    uint64_t seed, cv, epochs, batch, microbatches;
    int has_seed, json;
    hush_train_config cfg;
} train_opts;

static int fail_status(const char *what, int rc) {
    cli_error("%s: %s (%s)", what, hush_strerror(rc), hush_status_name(rc));
    return CLI_EXIT_FAIL;
}

static int usage(const char *msg) {
    cli_error("%s", msg);
    return CLI_EXIT_USAGE;
}

/* names[i] -> i (an empty name is never matched). */
static int pick(const char *value, const char *what, const char *const *names, const char *allowed, uint32_t *out) {
    for (uint32_t i = 0; names[i]; i++)
        if (names[i][0] && !strcmp(value, names[i])) {
            *out = i;
            return 0;
        }
    cli_error("unknown --%s '%s' (%s)", what, value, allowed);
    return CLI_EXIT_USAGE;
}

static int parse_train(train_opts *o, int argc, char **argv) {
    cli_args a;
    int rc = cli_parse(&a, argc, argv, train_flags);
    if (rc) return rc;
    memset(o, 0, sizeof *o);
    o->data = cli_str(&a, "data", NULL);
    o->test_data = cli_str(&a, "test-data", NULL);
    o->format = cli_str(&a, "format", NULL);
    o->spec = cli_str(&a, "model", NULL);
    o->out = cli_str(&a, "out", NULL);
    o->bounds = cli_str(&a, "bounds", NULL);
    o->ledger = cli_str(&a, "ledger", NULL);
    o->json = cli_flag(&a, "json");
    o->has_seed = cli_str(&a, "seed", NULL) != NULL;
    const char *optimizer = cli_str(&a, "optimizer", "sgd"), *scaling = cli_str(&a, "scaling", NULL);
    const char *sampling = cli_str(&a, "sampling", NULL);
    double lr, wd, tf, clip, noise, target, delta, scaling_noise;
    if ((rc = cli_u64(&a, "epochs", 10, 1, 1000000, &o->epochs)) ||
        (rc = cli_u64(&a, "batch", 32, 1, HUSH_MODEL_MAX_BATCH, &o->batch)) ||
        (rc = cli_u64(&a, "seed", 0, 0, UINT64_MAX, &o->seed)) || (rc = cli_u64(&a, "cv", 0, 0, 64, &o->cv)) ||
        (rc = cli_f64(&a, "lr", 0.01, 0.0, 1e6, &lr)) || (rc = cli_f64(&a, "weight-decay", 0.0, 0.0, 1e6, &wd)) ||
        (rc = cli_f64(&a, "test-fraction", 0.2, 0.0, 0.99, &tf)) ||
        (rc = cli_f64(&a, "scaling-noise", 8.0, 0.1, 1e6, &scaling_noise)))
        return rc;
    int dp = cli_flag(&a, "dp"), reproducible = cli_flag(&a, "reproducible-noise"), secure = cli_flag(&a, "secure-noise");
    int has_noise = cli_str(&a, "noise-multiplier", NULL) != NULL, has_target = cli_str(&a, "target-epsilon", NULL) != NULL;
    int has_dp_opt = sampling || has_noise || has_target || cli_str(&a, "l2-norm-clip", NULL) ||
                     cli_str(&a, "delta", NULL) || cli_str(&a, "microbatches", NULL) || reproducible || secure;
    if ((rc = cli_f64(&a, "l2-norm-clip", 1.0, 1e-12, 1e12, &clip)) ||
        (rc = cli_f64(&a, "noise-multiplier", 1.0, 0.0, 1e6, &noise)) ||
        (rc = cli_f64(&a, "target-epsilon", 0.0, 1e-6, 1e6, &target)) ||
        (rc = cli_f64(&a, "delta", 1e-5, 1e-300, 0.999999, &delta)) ||
        (rc = cli_u64(&a, "microbatches", 0, 0, HUSH_MODEL_MAX_BATCH, &o->microbatches)) ||
        (rc = cli_f64(&a, "budget-epsilon", NAN, 1e-9, 1e9, &o->budget_eps)) ||
        (rc = cli_f64(&a, "budget-delta", NAN, 1e-300, 0.5, &o->budget_delta)) || (rc = cli_done(&a)))
        return rc;
    if ((!isnan(o->budget_eps) || !isnan(o->budget_delta)) && !o->ledger)
        return usage("--budget-epsilon and --budget-delta go with --ledger FILE");
    if (o->ledger && !dp) return usage("--ledger charges a DP run's privacy: it needs --dp");
    if (!o->data || !o->spec) return usage("train needs --data FILE and --model SPEC");
    if (has_dp_opt && !dp)
        return usage("--l2-norm-clip, --noise-multiplier, --target-epsilon, --delta, --sampling, --microbatches, "
                     "--reproducible-noise and --secure-noise need --dp");
    if (has_noise && has_target) return usage("give either --noise-multiplier or --target-epsilon, not both");
    if (reproducible && !o->has_seed) return usage("--reproducible-noise needs --seed (the noise comes from it)");
    if (o->cv == 1) return usage("--cv needs at least 2 folds");
    if (o->cv && (o->out || o->test_data))
        return usage("--cv trains one model per fold: it cannot be combined with --out or --test-data");

    static const char *const optimizers[] = {"sgd", "momentum", "adam", NULL};
    static const char *const samplings[] = {"", "poisson", "shuffle", NULL};
    static const char *const scalings[] = {"auto", "none", "standardize", "bounds", "dp", NULL};
    uint32_t okind, samp = HUSH_DPSGD_POISSON, scal = HUSH_TRAIN_SCALING_AUTO;
    if ((rc = pick(optimizer, "optimizer", optimizers, "sgd, momentum or adam", &okind)) ||
        (sampling && (rc = pick(sampling, "sampling", samplings, "poisson or shuffle", &samp))) ||
        (scaling && (rc = pick(scaling, "scaling", scalings, "auto, none, standardize, bounds or dp", &scal))))
        return rc;
    if (dp && samp == HUSH_DPSGD_POISSON && o->microbatches > 1)
        return usage("--microbatches needs --sampling shuffle (a Poisson batch has no fixed size to split)");
    if (scal == HUSH_TRAIN_SCALING_BOUNDS && !o->bounds) return usage("--scaling bounds needs --bounds FILE");
    if (o->bounds && scal != HUSH_TRAIN_SCALING_AUTO && scal != HUSH_TRAIN_SCALING_BOUNDS)
        return usage("--bounds FILE sets --scaling bounds");
    if (dp && scal == HUSH_TRAIN_SCALING_STATS)
        return usage("--dp cannot --scaling standardize: the training split's exact means and deviations would "
                     "be stored in the model (use --bounds FILE, --scaling dp or --scaling none)");

    hush_train_config *c = &o->cfg;
    if ((rc = hush_train_config_init(c, okind, lr))) return fail_status("config", rc);
    c->epochs = (uint32_t)o->epochs;
    c->batch = (uint32_t)o->batch;
    c->weight_decay = wd;
    c->test_fraction = tf;
    c->folds = (uint32_t)o->cv;
    c->scaling = scal;
    c->scaling_noise = scaling_noise;
    c->dp = (uint32_t)dp;
    c->noise_source = reproducible ? HUSH_TRAIN_NOISE_SEED : HUSH_TRAIN_NOISE_OS;
    if (dp) {
        if ((rc = hush_dpsgd_config_init(&c->dpsgd, samp, samp == HUSH_DPSGD_POISSON ? 1.0 : 0.0, clip, noise)))
            return fail_status("dp", rc);
        c->dpsgd.num_microbatches = (uint32_t)o->microbatches;
        c->dpsgd.delta = delta;
        c->dpsgd.noise = secure ? HUSH_DPSGD_NOISE_SECURE : HUSH_DPSGD_NOISE_FAST;
        c->target_epsilon = has_target ? target : 0.0;
    }
    if (reproducible)
        cli_error("warning: --reproducible-noise: the DP noise and sampling come from --seed, so anyone who knows "
                  "the seed can remove them: this run is NOT private (for tests and debugging)");
    return 0;
}

/* Per training (fold): the clock, the epochs printed, the noise prefetch thread, and the ledger
 * each training is charged to before its first step. */
typedef struct progress {
    const train_opts *o;
    double t0, seconds;
    cli_ledger *ledger;
#ifdef CLI_PREFETCH
    hush_prefetcher pf;
    int prefetching;
#endif
} progress;

/* One training's whole cost (its planned DP-SGD steps and the DP scaling histogram, if any),
 * charged and written back before the first step: over budget, nothing is trained. */
static int charge_training(cli_ledger *l, hush_train *t) {
    hush_train_privacy pr;
    int rc = hush_train_privacy_report(t, &pr);
    if (rc) return rc;
    hush_odometer_event ev[2];
    size_t n = 0;
    cli_ledger_sampled_gaussian(&ev[n++], pr.sampling_rate, pr.noise_multiplier, pr.planned_steps, NULL);
    if (pr.scaling_noise > 0) {
        if ((rc = hush_odometer_event_init(&ev[n], HUSH_DP_EVENT_GAUSSIAN, 1))) return rc;
        ev[n++].noise_multiplier = pr.scaling_noise;
    }
    if (cli_ledger_charge(l, ev, n)) return HUSH_EBUDGET;
    return cli_ledger_commit(l) ? HUSH_EIO : HUSH_OK;
}

static int on_progress(void *ud, hush_train *t, const hush_train_status *st) {
    progress *p = ud;
    int rc = HUSH_OK;
    if (st->event == HUSH_TRAIN_START && p->ledger && (rc = charge_training(p->ledger, t))) return rc;
    if (st->event == HUSH_TRAIN_START) {
#ifdef CLI_PREFETCH
        hush_dpsgd *dp = hush_train_dpsgd(t);
        p->prefetching = dp && p->o->cfg.dpsgd.noise_multiplier > 0;
        if (p->prefetching) hush_prefetcher_start(&p->pf, dp);
#else
        (void)t;
#endif
        p->t0 = cli_now(); /* the epochs only: not the split, the scaling, this printing or the evaluation */
    } else if (st->event == HUSH_TRAIN_EPOCH) {
        p->seconds += cli_now() - p->t0;
        if (!p->o->json) {
            if (p->o->cv) printf("fold %u/%llu ", st->fold + 1, (unsigned long long)p->o->cv);
            double eps = 0;
            if (p->o->cfg.dp && (rc = hush_train_epsilon(t, &eps)) == HUSH_OK)
                printf("epoch %u/%u epsilon %.4f\n", st->epoch, st->epochs, eps);
            else if (!p->o->cfg.dp)
                printf("epoch %u/%u loss %.6f\n", st->epoch, st->epochs, st->loss);
        }
        p->t0 = cli_now();
    } else {
#ifdef CLI_PREFETCH
        if (p->prefetching) rc = hush_prefetcher_stop(&p->pf);
        p->prefetching = 0;
#endif
    }
    return rc;
}

static const char *scaling_name(uint32_t s) {
    switch (s) {
    case HUSH_TRAIN_SCALING_STATS: return "standardize";
    case HUSH_TRAIN_SCALING_BOUNDS: return "bounds";
    case HUSH_TRAIN_SCALING_DP: return "dp";
    default: return "none";
    }
}

/* JSON has no infinity: an unbounded epsilon is null, as `hush privacy` prints it. */
static void json_num(char *buf, size_t cap, double v) {
    if (isfinite(v)) snprintf(buf, cap, "%.9g", v);
    else snprintf(buf, cap, "null");
}

static int load_bounds(double **lo_hi, size_t *count, const char *path) {
    size_t len = 0;
    unsigned char *text = cli_read_file(path, &len);
    if (!text) return CLI_EXIT_FAIL;
    hush_parse_error err;
    int st = hush_train_bounds_parse(NULL, 0, count, (const char *)text, len, &err);
    *lo_hi = st == HUSH_OK ? malloc((*count ? *count : 1) * 2 * sizeof **lo_hi) : NULL;
    if (st == HUSH_OK && !*lo_hi) st = HUSH_ENOMEM;
    if (st == HUSH_OK) st = hush_train_bounds_parse(*lo_hi, *count, count, (const char *)text, len, &err);
    free(text);
    if (st == HUSH_OK) return 0;
    if (err.line) cli_error("%s: %s (%s)", path, err.msg, hush_status_name(st)); /* msg starts "line N: " */
    else cli_error("%s: %s (%s)", path, hush_strerror(st), hush_status_name(st));
    return CLI_EXIT_FAIL;
}

static void print_json(const train_opts *o, const hush_train_result *r, double seconds, cli_ledger *led) {
    const hush_train_config *c = &o->cfg;
    const hush_train_privacy *p = &r->privacy;
    double eps = seconds > 0 ? (double)r->train_rows * r->folds * (double)o->epochs / seconds : 0;
    printf("{\"command\":\"train\"");
    if (o->has_seed) printf(",\"seed\":%llu", (unsigned long long)o->seed);
    printf(",\"epochs\":%llu,\"batch\":%llu,\"params\":%zu,\"train_rows\":%zu,\"test_rows\":%zu",
           (unsigned long long)o->epochs, (unsigned long long)o->batch, r->params, r->train_rows, r->test_rows);
    if (c->dp) printf(",\"train_metrics\":\"withheld\"");
    else printf(",\"final_loss\":%.9g,\"train_accuracy\":%.6f", r->final_loss, r->train_accuracy);
    printf(",\"test_accuracy\":%.6f,\"test_loss\":%.9g,\"examples_per_second\":%.1f,\"seconds\":%.4f",
           r->test_accuracy, r->test_loss, eps, seconds);
    if (o->cv) {
        printf(",\"cv_folds\":%llu,\"fold_test_accuracies\":[", (unsigned long long)o->cv);
        for (uint32_t k = 0; k < r->folds; k++) printf("%s%.6f", k ? "," : "", r->fold_test_accuracy[k]);
        printf("],\"cv_test_rows\":%zu", r->cv_test_rows);
    }
    printf(",\"scaling\":\"%s\"", scaling_name(p->scaling));
    if (!c->dp) {
        printf(",\"private\":false}\n");
        return;
    }
    char e[40], se[40];
    json_num(e, sizeof e, p->epsilon);
    json_num(se, sizeof se, p->scaling_epsilon);
    int priv = p->noise_source == HUSH_TRAIN_NOISE_OS && isfinite(p->epsilon);
    printf(",\"dp\":true,\"private\":%s,\"noise\":\"%s\",\"secure_noise\":%s,\"epsilon\":%s,\"delta\":%.9g,"
           "\"steps\":%llu,\"sampling_rate\":%.9g,\"noise_multiplier\":%.9g,\"l2_norm_clip\":%.9g,"
           "\"sampling\":\"%s\",\"microbatches\":%llu,\"scaling_noise_multiplier\":%.9g,\"scaling_epsilon\":%s,"
           "\"runs\":%u",
           priv ? "true" : "false", p->noise_source == HUSH_TRAIN_NOISE_OS ? "os" : "seed",
           p->noise == HUSH_DPSGD_NOISE_SECURE ? "true" : "false", e, p->delta, (unsigned long long)p->steps,
           p->sampling_rate, p->noise_multiplier, p->l2_norm_clip,
           p->sampling == HUSH_DPSGD_POISSON ? "poisson" : "shuffle", (unsigned long long)o->microbatches,
           p->scaling_noise, se, p->runs);
    double lo = 0, hi = NAN;
    if (led && hush_odometer_spent(led->od, &lo, &hi, hush_odometer_budget_delta(led->od)) == HUSH_OK) {
        char spent[40];
        json_num(spent, sizeof spent, hi);
        printf(",\"ledger\":{\"file\":\"%s\",\"epsilon_spent\":%s,\"budget_epsilon\":%.9g,\"budget_delta\":%.9g}",
               led->path, spent, hush_odometer_budget_epsilon(led->od), hush_odometer_budget_delta(led->od));
    }
    printf("}\n");
}

static void print_text(const train_opts *o, const hush_train_result *r, double seconds, cli_ledger *led) {
    const hush_train_privacy *p = &r->privacy;
    double eps = seconds > 0 ? (double)r->train_rows * r->folds * (double)o->epochs / seconds : 0;
    if (o->cfg.dp)
        printf("test accuracy %.4f (%zu test rows%s; training metrics withheld under DP), %.0f examples/s\n",
               r->test_accuracy, r->cv_test_rows, o->cv ? " over all folds" : "", eps);
    else
        printf("train accuracy %.4f, test accuracy %.4f (%zu test rows%s), %.0f examples/s\n", r->train_accuracy,
               r->test_accuracy, r->cv_test_rows, o->cv ? " over all folds" : "", eps);
    if (!o->cfg.dp) return;
    printf("DP-SGD (%s): epsilon %.4f at delta %g after %llu steps%s, q %.6g, noise multiplier %.6g\n",
           p->sampling == HUSH_DPSGD_POISSON ? "Poisson" : "shuffled fixed batches; epsilon assumes Poisson sampling",
           p->epsilon, p->delta, (unsigned long long)p->steps, o->cv ? " per fold, all folds composed" : "",
           p->sampling_rate, p->noise_multiplier);
    printf("input scaling: %s", scaling_name(p->scaling));
    if (p->scaling_noise > 0) printf(" (DP histogram, noise multiplier %g; epsilon %.4f alone, composed into the total)", p->scaling_noise,
                                     p->scaling_epsilon);
    printf("; noise %s\n", p->noise_source == HUSH_TRAIN_NOISE_OS ? "from the OS (private)"
                                                                  : "from --seed (NOT private)");
    double lo = 0, hi = NAN;
    if (led && hush_odometer_spent(led->od, &lo, &hi, hush_odometer_budget_delta(led->od)) == HUSH_OK)
        printf("ledger %s: epsilon %.4f spent of the budget %g (delta %g)\n", led->path, hi,
               hush_odometer_budget_epsilon(led->od), hush_odometer_budget_delta(led->od));
}

int cmd_train(int argc, char **argv) {
    train_opts o;
    int rc = parse_train(&o, argc, argv);
    if (rc) return rc;
    hush_layer_spec layers[HUSH_MODEL_MAX_LAYERS];
    size_t n_layers = 0, err_pos = 0;
    int st = hush_model_spec_parse(layers, HUSH_MODEL_MAX_LAYERS, &n_layers, o.spec, &err_pos);
    if (st != HUSH_OK) {
        cli_error("--model '%s': %s at offset %zu", o.spec, hush_strerror(st), err_pos);
        return CLI_EXIT_USAGE;
    }
    hush_dataset *all = NULL, *test = NULL;
    hush_model *model = NULL;
    double *bounds = NULL;
    size_t n_bounds = 0;
    hush_rng master;
    memset(&master, 0, sizeof master);
    cli_ledger led = {NULL, NULL};
    int exit_code = CLI_EXIT_FAIL;
    if (o.has_seed && (st = hush_rng_init_u64(&master, o.seed))) {
        exit_code = fail_status("rng", st);
        goto done;
    }
    if ((rc = cli_load_data(&all, &o.cfg.format, o.data, o.format)) ||
        (o.test_data && (rc = cli_load_dataset(&test, o.test_data, o.format))) ||
        (o.bounds && (rc = load_bounds(&bounds, &n_bounds, o.bounds)))) {
        exit_code = rc;
        goto done;
    }
    if (o.bounds && n_bounds != hush_train_numeric_columns(all)) {
        cli_error("%s has %zu ranges but %s has %zu numeric columns", o.bounds, n_bounds, o.data,
                  hush_train_numeric_columns(all));
        exit_code = CLI_EXIT_USAGE;
        goto done;
    }
    o.cfg.bounds = bounds;
    o.cfg.n_bounds = n_bounds;
    if (o.ledger && (rc = cli_ledger_open(&led, o.ledger, o.budget_eps, o.budget_delta))) {
        exit_code = rc;
        goto done;
    }
    progress p;
    memset(&p, 0, sizeof p);
    p.o = &o;
    p.ledger = o.ledger ? &led : NULL;
    hush_train_result res;
    st = hush_train_run(&o.cfg, o.has_seed ? &master : NULL, o.out ? &model : NULL, &res, layers, n_layers, all, test,
                        on_progress, &p, NULL);
    if (st == HUSH_EBUDGET || (st == HUSH_EIO && o.ledger)) goto done; /* the ledger said why */
    if (st == HUSH_ESHAPE) {
        hush_shape s = hush_dataset_shape(all);
        cli_error("--model '%s' does not fit the data (%u classes, input %ux%ux%u): %s (%s)", o.spec,
                  (unsigned)hush_dataset_classes(all), (unsigned)s.c, (unsigned)s.h, (unsigned)s.w, hush_strerror(st),
                  hush_status_name(st));
        goto done;
    }
    if (st == HUSH_ERANGE && o.cfg.dp) {
        cli_error("dp training: %s (%s): is --batch above the training rows, or --target-epsilon out of reach?",
                  hush_strerror(st), hush_status_name(st));
        goto done;
    }
    if (st) {
        exit_code = fail_status(st == HUSH_ERANGE && o.cfg.weight_decay > 0 ? "optimizer" : "training", st);
        goto done;
    }
    if (model) {
        size_t size = hush_model_save_size(model), written = 0;
        uint8_t *buf = malloc(size);
        st = buf ? hush_model_save(model, buf, size, &written) : HUSH_ENOMEM;
        rc = st ? fail_status("save", st) : cli_write_file(o.out, buf, written);
        free(buf);
        if (rc) {
            exit_code = rc;
            goto done;
        }
    }
    if (o.json) print_json(&o, &res, p.seconds, p.ledger);
    else print_text(&o, &res, p.seconds, p.ledger);
    exit_code = 0;
done:
    cli_ledger_close(&led);
    hush_model_free(model);
    hush_dataset_free(all);
    hush_dataset_free(test);
    free(bounds);
    hush_rng_clear(&master);
    return exit_code;
}

static const char *const eval_flags[] = {"json", NULL};

int cmd_eval(int argc, char **argv) {
    cli_args a;
    int rc = cli_parse(&a, argc, argv, eval_flags);
    if (rc) return rc;
    const char *mpath = cli_str(&a, "model", NULL), *data = cli_str(&a, "data", NULL);
    const char *format = cli_str(&a, "format", NULL);
    int json = cli_flag(&a, "json");
    if ((rc = cli_done(&a))) return rc;
    if (!mpath || !data) {
        cli_error("eval needs --model MODEL and --data FILE");
        return CLI_EXIT_USAGE;
    }
    size_t len = 0;
    unsigned char *bytes = cli_read_file(mpath, &len);
    if (!bytes) return CLI_EXIT_FAIL;
    hush_model *model = NULL;
    hush_dataset *ds = NULL;
    int exit_code = CLI_EXIT_FAIL;
    int st = hush_model_load(&model, bytes, len, 256, NULL);
    free(bytes);
    if (st != HUSH_OK) {
        cli_error("%s: %s (%s)", mpath, hush_strerror(st), hush_status_name(st));
        return CLI_EXIT_FAIL;
    }
    if ((rc = cli_load_dataset(&ds, data, format))) {
        exit_code = rc;
        goto done;
    }
    size_t n = hush_dataset_rows(ds);
    float loss = 0, acc = 0;
    if (hush_dataset_dim(ds) != hush_model_input_size(model)) {
        cli_error("%s has %zu features but the model expects %zu", data, hush_dataset_dim(ds),
                  hush_model_input_size(model));
        goto done;
    }
    if ((st = hush_model_evaluate(model, &loss, &acc, hush_dataset_x(ds), hush_dataset_labels(ds), n))) {
        exit_code = fail_status("evaluate", st);
        goto done;
    }
    if (json)
        printf("{\"command\":\"eval\",\"rows\":%zu,\"loss\":%.9g,\"accuracy\":%.6f}\n", n, loss, acc);
    else
        printf("%zu rows, loss %.6f, accuracy %.4f\n", n, loss, acc);
    exit_code = 0;
done:
    hush_model_free(model);
    hush_dataset_free(ds);
    return exit_code;
}
