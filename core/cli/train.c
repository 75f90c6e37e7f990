/* `hush train` and `hush eval`.
 *
 * The sequence of random draws is the project's canonical one (the JS API follows it too, and the
 * parity test compares the resulting model files byte for byte): master = seed, then the named
 * sub-streams "split" (train/test split), "init" (parameters) and "shuffle" (minibatch order).
 * With --cv K the same streams are derived afresh for each of the K folds, so the folds cut one
 * permutation and every row is tested exactly once; the JSON reports the mean over folds.
 *
 * With --dp, training is DP-SGD (hush_dpsgd) instead of hush_model_fit_epoch: the handle gets the
 * sub-stream "dpsgd" of master (it derives its own "sample" and "noise" from it; "shuffle" is not
 * used), the sampling rate is q = batch / train_rows, an epoch is round(1/q) Poisson steps (or
 * floor(rows / batch) fixed batches with --sampling shuffle), and --target-epsilon picks the
 * smallest noise multiplier meeting the budget for all epochs (bisection on the RDP accountant).
 * Without --dp nothing here changes. The native build draws each step's noise ahead on a second
 * thread (hush_dpsgd_prefetch), which changes the time, never the result.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#if !defined(__wasi__) && !defined(__EMSCRIPTEN__)
#define CLI_PREFETCH 1
#include "prefetch.h"
#endif

static const char *const train_flags[] = {"json", "dp", NULL};

typedef struct train_opts {
    const char *data, *test_data, *format, *spec, *out, *optimizer;
    uint64_t epochs, batch, seed, cv;
    double lr, test_fraction, weight_decay;
    int json;
    /* --dp */
    int dp, poisson;
    double clip, noise, target_eps, delta;
    uint64_t microbatches;
} train_opts;

typedef struct dp_result {
    double epsilon, noise, q;
    uint64_t steps;
} dp_result;

static int parse_train(train_opts *o, int argc, char **argv) {
    cli_args a;
    int rc = cli_parse(&a, argc, argv, train_flags);
    if (rc) return rc;
    o->data = cli_str(&a, "data", NULL);
    o->test_data = cli_str(&a, "test-data", NULL);
    o->format = cli_str(&a, "format", NULL);
    o->spec = cli_str(&a, "model", NULL);
    o->out = cli_str(&a, "out", NULL);
    o->optimizer = cli_str(&a, "optimizer", "sgd");
    o->json = cli_flag(&a, "json");
    if ((rc = cli_u64(&a, "epochs", 10, 1, 1000000, &o->epochs)) ||
        (rc = cli_u64(&a, "batch", 32, 1, HUSH_MAX_BATCH, &o->batch)) ||
        (rc = cli_u64(&a, "seed", 1, 0, UINT64_MAX, &o->seed)) ||
        (rc = cli_u64(&a, "cv", 0, 0, 64, &o->cv)) ||
        (rc = cli_f64(&a, "lr", 0.01, 0.0, 1e6, &o->lr)) ||
        (rc = cli_f64(&a, "weight-decay", 0.0, 0.0, 1e6, &o->weight_decay)) ||
        (rc = cli_f64(&a, "test-fraction", 0.2, 0.0, 0.99, &o->test_fraction)))
        return rc;
    o->dp = cli_flag(&a, "dp");
    const char *sampling = cli_str(&a, "sampling", NULL);
    int has_noise = cli_str(&a, "noise-multiplier", NULL) != NULL, has_target = cli_str(&a, "target-epsilon", NULL) != NULL;
    int has_dp_opt = sampling || has_noise || has_target || cli_str(&a, "l2-norm-clip", NULL) ||
                     cli_str(&a, "delta", NULL) || cli_str(&a, "microbatches", NULL);
    if ((rc = cli_f64(&a, "l2-norm-clip", 1.0, 1e-12, 1e12, &o->clip)) ||
        (rc = cli_f64(&a, "noise-multiplier", 1.0, 0.0, 1e6, &o->noise)) ||
        (rc = cli_f64(&a, "target-epsilon", 0.0, 1e-6, 1e6, &o->target_eps)) ||
        (rc = cli_f64(&a, "delta", 1e-5, 1e-300, 0.999999, &o->delta)) ||
        (rc = cli_u64(&a, "microbatches", 0, 0, HUSH_MAX_BATCH, &o->microbatches)) || (rc = cli_done(&a)))
        return rc;
    if (has_dp_opt && !o->dp) {
        cli_error("--l2-norm-clip, --noise-multiplier, --target-epsilon, --delta, --sampling and --microbatches need --dp");
        return CLI_EXIT_USAGE;
    }
    if (has_noise && has_target) {
        cli_error("give either --noise-multiplier or --target-epsilon, not both");
        return CLI_EXIT_USAGE;
    }
    o->poisson = !sampling || !strcmp(sampling, "poisson");
    if (sampling && !o->poisson && strcmp(sampling, "shuffle")) {
        cli_error("unknown --sampling '%s' (poisson or shuffle)", sampling);
        return CLI_EXIT_USAGE;
    }
    if (o->dp && o->poisson && o->microbatches > 1) {
        cli_error("--microbatches needs --sampling shuffle (a Poisson batch has no fixed size to split)");
        return CLI_EXIT_USAGE;
    }
    if (!o->data || !o->spec) {
        cli_error("train needs --data FILE and --model SPEC");
        return CLI_EXIT_USAGE;
    }
    return 0;
}

static int optim_kind(const char *name, uint32_t *kind) {
    if (!strcmp(name, "sgd")) *kind = HUSH_OPTIM_SGD;
    else if (!strcmp(name, "momentum")) *kind = HUSH_OPTIM_MOMENTUM;
    else if (!strcmp(name, "adam")) *kind = HUSH_OPTIM_ADAM;
    else {
        cli_error("unknown --optimizer '%s' (sgd, momentum or adam)", name);
        return CLI_EXIT_USAGE;
    }
    return 0;
}

static int needs_standardize(const char *path, const char *format) {
    if (format) return !strcmp(format, "arff") || !strcmp(format, "csv");
    size_t n = strlen(path);
    return (n > 5 && !strcmp(path + n - 5, ".arff")) || (n > 4 && !strcmp(path + n - 4, ".csv") && !strstr(path, "digits"));
}

static int fail_status(const char *what, int rc) {
    cli_error("%s: %s (%s)", what, hush_strerror(rc), hush_status_name(rc));
    return CLI_EXIT_FAIL;
}

typedef struct run_result {
    float loss, train_acc, test_acc, test_loss;
    size_t n_train, n_test, params;
    double seconds;
} run_result;

/* One training run on a prepared split, following the canonical streams "init" and "shuffle". */
/* DP-SGD epochs in place of hush_model_fit_epoch (see the header comment). */
static int run_dp(dp_result *dr, float *loss, double *seconds, const train_opts *o, hush_model *model, hush_optim *opt,
                  uint32_t *perm, const float *x, const uint32_t *y, size_t n, const hush_rng *master) {
    hush_rng dp_rng;
    int st = hush_rng_derive(&dp_rng, master, "dpsgd");
    if (st) return fail_status("rng", st);
    if (o->batch > n) {
        hush_rng_clear(&dp_rng);
        cli_error("--batch %llu is larger than the %zu training rows", (unsigned long long)o->batch, n);
        return CLI_EXIT_USAGE;
    }
    double q = (double)o->batch / (double)n;
    uint64_t per_epoch = o->poisson ? (uint64_t)(1.0 / q + 0.5) : n / o->batch;
    if (per_epoch == 0) per_epoch = 1;
    dr->q = q;
    dr->noise = o->noise;
    if (o->target_eps > 0) {
        st = hush_dpsgd_noise_for_epsilon(&dr->noise, o->target_eps, o->delta, q, per_epoch * o->epochs);
        if (st) {
            hush_rng_clear(&dp_rng);
            return fail_status("--target-epsilon", st);
        }
    }
    hush_dpsgd_config c;
    st = hush_dpsgd_config_init(&c, o->poisson ? HUSH_DPSGD_POISSON : HUSH_DPSGD_SHUFFLE, q, o->clip, dr->noise);
    if (st) {
        hush_rng_clear(&dp_rng);
        return fail_status("dpsgd", st);
    }
    c.batch_size = (uint32_t)o->batch;
    c.num_microbatches = (uint32_t)o->microbatches;
    c.delta = o->delta;
    hush_dpsgd *dp = NULL;
    st = hush_dpsgd_create(&dp, model, &c, &dp_rng, NULL);
    hush_rng_clear(&dp_rng);
    if (st) return fail_status("dpsgd", st);
    double t0 = cli_now(); /* the timing covers the epochs only, not calibration or accounting */
#ifdef CLI_PREFETCH
    hush_prefetcher pf;
    if (dr->noise > 0) hush_prefetcher_start(&pf, dp);
#endif
    for (uint64_t e = 0; e < o->epochs && st == HUSH_OK; e++) {
        st = hush_dpsgd_fit_epoch(dp, opt, perm, loss, NULL, x, y, n);
        if (st == HUSH_OK && !o->json)
            printf("epoch %llu/%llu loss %.6f\n", (unsigned long long)e + 1, (unsigned long long)o->epochs, *loss);
    }
#ifdef CLI_PREFETCH
    if (dr->noise > 0) {
        int pst = hush_prefetcher_stop(&pf);
        if (st == HUSH_OK) st = pst;
    }
#endif
    *seconds = cli_now() - t0;
    if (st == HUSH_OK) st = hush_dpsgd_epsilon(dp, &dr->epsilon, o->delta);
    dr->steps = hush_dpsgd_steps(dp);
    hush_dpsgd_free(dp);
    return st ? fail_status("dp training", st) : 0;
}

static int run_once(run_result *res, dp_result *dr, const train_opts *o, const hush_layer_spec *layers,
                    size_t n_layers, uint32_t okind, hush_dataset *train, hush_dataset *test, const hush_rng *master) {
    hush_model *model = NULL;
    hush_optim *opt = NULL;
    uint32_t *perm = NULL;
    hush_rng init_rng, shuffle_rng;
    int exit_code = CLI_EXIT_FAIL, st;
    memset(&init_rng, 0, sizeof init_rng);
    shuffle_rng = init_rng;
    if ((st = hush_rng_derive(&init_rng, master, "init")) || (st = hush_rng_derive(&shuffle_rng, master, "shuffle"))) {
        exit_code = fail_status("rng", st);
        goto done;
    }
    res->n_train = hush_dataset_rows(train);
    res->n_test = test ? hush_dataset_rows(test) : 0;
    if (res->n_train == 0) {
        cli_error("no training rows");
        goto done;
    }
    st = hush_model_create(&model, layers, n_layers, hush_dataset_shape(train), (uint32_t)o->batch, NULL);
    if (st != HUSH_OK) {
        exit_code = fail_status("model", st);
        goto done;
    }
    if (hush_model_output_size(model) < hush_dataset_classes(train)) {
        cli_error("the model has %zu outputs but the data has %u classes", hush_model_output_size(model),
                  (unsigned)hush_dataset_classes(train));
        goto done;
    }
    if (needs_standardize(o->data, o->format)) {
        /* The model standardises its own input with the training split's statistics, so the
         * saved file takes raw features (`hush eval` on a raw file just works). */
        size_t dim = hush_dataset_dim(train);
        float *stats = malloc(2 * dim * sizeof *stats);
        st = stats ? hush_dataset_norm_stats(train, stats, stats + dim, dim) : HUSH_ENOMEM;
        if (st == HUSH_OK) st = hush_model_set_input_norm(model, stats, stats + dim, dim);
        free(stats);
        if (st != HUSH_OK) {
            exit_code = fail_status("standardize", st);
            goto done;
        }
    }
    res->params = hush_model_param_count(model);
    if ((st = hush_model_init_params(model, &init_rng))) {
        exit_code = fail_status("init", st);
        goto done;
    }
    hush_optim_config oc;
    hush_optim_config_default(&oc, okind, (float)o->lr);
    oc.weight_decay = (float)o->weight_decay;
    if ((st = hush_optim_create(&opt, &oc, res->params, NULL))) {
        exit_code = fail_status("optimizer", st);
        goto done;
    }
    perm = malloc(res->n_train * sizeof *perm);
    if (!perm) {
        exit_code = fail_status("training", HUSH_ENOMEM);
        goto done;
    }
    const float *x = hush_dataset_x(train);
    const uint32_t *y = hush_dataset_labels(train);
    double t0 = cli_now(), dp_seconds = 0;
    if (o->dp) {
        int rc = run_dp(dr, &res->loss, &dp_seconds, o, model, opt, perm, x, y, res->n_train, master);
        if (rc) {
            exit_code = rc;
            goto done;
        }
    }
    for (uint64_t e = 0; !o->dp && e < o->epochs; e++) {
        st = hush_model_fit_epoch(model, opt, &shuffle_rng, perm, &res->loss, x, y, res->n_train, (size_t)o->batch);
        if (st != HUSH_OK) {
            exit_code = fail_status("training", st);
            goto done;
        }
        if (!o->json) printf("epoch %llu/%llu loss %.6f\n", (unsigned long long)e + 1, (unsigned long long)o->epochs, res->loss);
    }
    res->seconds = o->dp ? dp_seconds : cli_now() - t0;
    float train_loss;
    res->test_acc = res->test_loss = 0;
    if ((st = hush_model_evaluate(model, &train_loss, &res->train_acc, x, y, res->n_train)) ||
        (res->n_test && (st = hush_model_evaluate(model, &res->test_loss, &res->test_acc, hush_dataset_x(test),
                                                  hush_dataset_labels(test), res->n_test)))) {
        exit_code = fail_status("evaluate", st);
        goto done;
    }
    if (o->out) {
        size_t size = hush_model_save_size(model), written = 0;
        uint8_t *buf = malloc(size);
        if (!buf) {
            exit_code = fail_status("save", HUSH_ENOMEM);
            goto done;
        }
        st = hush_model_save(model, buf, size, &written);
        int rc = st ? fail_status("save", st) : cli_write_file(o->out, buf, written);
        free(buf);
        if (rc) {
            exit_code = rc;
            goto done;
        }
    }
    exit_code = 0;
done:
    free(perm);
    hush_optim_free(opt);
    hush_model_free(model);
    hush_rng_clear(&init_rng);
    hush_rng_clear(&shuffle_rng);
    return exit_code;
}

int cmd_train(int argc, char **argv) {
    train_opts o;
    int rc = parse_train(&o, argc, argv);
    if (rc) return rc;
    uint32_t okind;
    if ((rc = optim_kind(o.optimizer, &okind))) return rc;
    if (o.cv == 1) {
        cli_error("--cv needs at least 2 folds");
        return CLI_EXIT_USAGE;
    }
    if (o.cv && (o.out || o.test_data)) {
        cli_error("--cv trains one model per fold: it cannot be combined with --out or --test-data");
        return CLI_EXIT_USAGE;
    }

    hush_layer_spec layers[HUSH_MAX_LAYERS];
    size_t n_layers = 0, err_pos = 0;
    int st = hush_model_spec_parse(layers, HUSH_MAX_LAYERS, &n_layers, o.spec, &err_pos);
    if (st != HUSH_OK) {
        cli_error("--model '%s': %s at offset %zu", o.spec, hush_strerror(st), err_pos);
        return CLI_EXIT_USAGE;
    }

    hush_dataset *all = NULL, *train = NULL, *test = NULL;
    hush_rng master, split_rng;
    int exit_code = CLI_EXIT_FAIL;
    run_result sum, r;
    dp_result dr;
    memset(&dr, 0, sizeof dr);
    float fold_acc[64];
    memset(&master, 0, sizeof master);
    memset(&sum, 0, sizeof sum);
    split_rng = master;
    uint64_t runs = o.cv ? o.cv : 1;

    if ((st = hush_rng_init_u64(&master, o.seed))) {
        exit_code = fail_status("rng", st);
        goto done;
    }
    if ((rc = cli_load_dataset(&all, o.data, o.format))) {
        exit_code = rc;
        goto done;
    }
    for (uint64_t k = 0; k < runs; k++) {
        /* Every fold derives "split" afresh, so all folds cut the same permutation. */
        if ((st = hush_rng_derive(&split_rng, &master, "split"))) {
            exit_code = fail_status("rng", st);
            goto done;
        }
        if (o.test_data) {
            if ((rc = cli_load_dataset(&test, o.test_data, o.format))) {
                exit_code = rc;
                goto done;
            }
            train = all;
            all = NULL;
        } else if (o.cv) {
            st = hush_dataset_fold(&train, &test, all, (uint32_t)o.cv, (uint32_t)k, &split_rng, NULL);
        } else {
            st = hush_dataset_split(&train, &test, all, o.test_fraction, &split_rng, NULL);
        }
        if (st) {
            exit_code = fail_status("split", st);
            goto done;
        }
        memset(&r, 0, sizeof r);
        if ((rc = run_once(&r, &dr, &o, layers, n_layers, okind, train, test, &master))) {
            exit_code = rc;
            goto done;
        }
        fold_acc[k] = r.test_acc;
        sum.loss += r.loss, sum.train_acc += r.train_acc, sum.test_acc += r.test_acc, sum.test_loss += r.test_loss;
        sum.n_train += r.n_train, sum.n_test += r.n_test, sum.seconds += r.seconds, sum.params = r.params;
        hush_dataset_free(train);
        hush_dataset_free(test);
        train = test = NULL;
    }
    double eps = sum.seconds > 0 ? (double)sum.n_train * (double)o.epochs / sum.seconds : 0;
    float n = (float)runs;
    if (o.json) {
        printf("{\"command\":\"train\",\"seed\":%llu,\"epochs\":%llu,\"batch\":%llu,\"params\":%zu,"
               "\"train_rows\":%zu,\"test_rows\":%zu,\"final_loss\":%.9g,\"train_accuracy\":%.6f,"
               "\"test_accuracy\":%.6f,\"test_loss\":%.9g,\"examples_per_second\":%.1f,\"seconds\":%.4f",
               (unsigned long long)o.seed, (unsigned long long)o.epochs, (unsigned long long)o.batch, sum.params,
               (size_t)(sum.n_train / runs), (size_t)(sum.n_test / runs), sum.loss / n, sum.train_acc / n, sum.test_acc / n,
               sum.test_loss / n, eps, sum.seconds);
        if (o.cv) {
            printf(",\"cv_folds\":%llu,\"fold_test_accuracies\":[", (unsigned long long)o.cv);
            for (uint64_t k = 0; k < runs; k++) printf("%s%.6f", k ? "," : "", fold_acc[k]);
            printf("],\"cv_test_rows\":%zu", sum.n_test);
        }
        if (o.dp) {
            /* JSON has no infinity: noise 0 reports epsilon null, as `hush privacy` does */
            char ebuf[40] = "null";
            if (isfinite(dr.epsilon)) snprintf(ebuf, sizeof ebuf, "%.9g", dr.epsilon);
            printf(",\"dp\":true,\"epsilon\":%s,\"delta\":%.9g,\"steps\":%llu,\"sampling_rate\":%.9g,"
                   "\"noise_multiplier\":%.9g,\"l2_norm_clip\":%.9g,\"sampling\":\"%s\",\"microbatches\":%llu",
                   ebuf, o.delta, (unsigned long long)dr.steps, dr.q, dr.noise, o.clip,
                   o.poisson ? "poisson" : "shuffle", (unsigned long long)o.microbatches);
        }
        printf("}\n");
    } else {
        printf("train accuracy %.4f, test accuracy %.4f (%zu test rows%s), %.0f examples/s\n", sum.train_acc / n,
               sum.test_acc / n, sum.n_test, o.cv ? " over all folds" : "", eps);
        if (o.dp)
            printf("DP-SGD (%s): epsilon %.4f at delta %g after %llu steps, q %.6g, noise multiplier %.6g\n",
                   o.poisson ? "Poisson" : "shuffled fixed batches; epsilon assumes Poisson sampling", dr.epsilon,
                   o.delta, (unsigned long long)dr.steps, dr.q, dr.noise);
    }
    exit_code = 0;
done:
    hush_dataset_free(all);
    hush_dataset_free(train);
    hush_dataset_free(test);
    hush_rng_clear(&master);
    hush_rng_clear(&split_rng);
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
