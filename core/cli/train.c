/* `hush train` and `hush eval`.
 *
 * The sequence of random draws is the project's canonical one (the JS API follows it too, and the
 * parity test compares the resulting model files byte for byte): master = seed, then the named
 * sub-streams "split" (train/test split), "init" (parameters) and "shuffle" (minibatch order). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char *const train_flags[] = {"json", NULL};

typedef struct train_opts {
    const char *data, *test_data, *format, *spec, *out, *optimizer;
    uint64_t epochs, batch, seed;
    double lr, test_fraction;
    int json;
} train_opts;

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
        (rc = cli_f64(&a, "lr", 0.01, 0.0, 1e6, &o->lr)) ||
        (rc = cli_f64(&a, "test-fraction", 0.2, 0.0, 0.99, &o->test_fraction)) || (rc = cli_done(&a)))
        return rc;
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

int cmd_train(int argc, char **argv) {
    train_opts o;
    int rc = parse_train(&o, argc, argv);
    if (rc) return rc;
    uint32_t okind;
    if ((rc = optim_kind(o.optimizer, &okind))) return rc;

    hush_layer_spec layers[HUSH_MAX_LAYERS];
    size_t n_layers = 0, err_pos = 0;
    int st = hush_model_spec_parse(layers, HUSH_MAX_LAYERS, &n_layers, o.spec, &err_pos);
    if (st != HUSH_OK) {
        cli_error("--model '%s': %s at offset %zu", o.spec, hush_strerror(st), err_pos);
        return CLI_EXIT_USAGE;
    }

    hush_dataset *all = NULL, *train = NULL, *test = NULL;
    hush_model *model = NULL;
    hush_optim *opt = NULL;
    uint32_t *perm = NULL;
    hush_rng master, split_rng, init_rng, shuffle_rng;
    int exit_code = CLI_EXIT_FAIL;
    memset(&master, 0, sizeof master);
    split_rng = init_rng = shuffle_rng = master;

    if ((st = hush_rng_init_u64(&master, o.seed)) || (st = hush_rng_derive(&split_rng, &master, "split")) ||
        (st = hush_rng_derive(&init_rng, &master, "init")) ||
        (st = hush_rng_derive(&shuffle_rng, &master, "shuffle"))) {
        exit_code = fail_status("rng", st);
        goto done;
    }
    if ((rc = cli_load_dataset(&all, o.data, o.format))) {
        exit_code = rc;
        goto done;
    }
    if (o.test_data) {
        if ((rc = cli_load_dataset(&test, o.test_data, o.format))) {
            exit_code = rc;
            goto done;
        }
        train = all;
        all = NULL;
    } else if ((st = hush_dataset_split(&train, &test, all, o.test_fraction, &split_rng, NULL))) {
        exit_code = fail_status("split", st);
        goto done;
    }
    if (needs_standardize(o.data, o.format) && (st = hush_dataset_standardize(train, test))) {
        exit_code = fail_status("standardize", st);
        goto done;
    }
    size_t n_train = hush_dataset_rows(train), n_test = test ? hush_dataset_rows(test) : 0;
    if (n_train == 0) {
        cli_error("no training rows");
        goto done;
    }
    st = hush_model_create(&model, layers, n_layers, hush_dataset_shape(train), (uint32_t)o.batch, NULL);
    if (st != HUSH_OK) {
        exit_code = fail_status("model", st);
        goto done;
    }
    if (hush_model_output_size(model) < hush_dataset_classes(train)) {
        cli_error("the model has %zu outputs but the data has %u classes", hush_model_output_size(model),
                  (unsigned)hush_dataset_classes(train));
        goto done;
    }
    if ((st = hush_model_init_params(model, &init_rng))) {
        exit_code = fail_status("init", st);
        goto done;
    }
    hush_optim_config oc;
    hush_optim_config_default(&oc, okind, (float)o.lr);
    if ((st = hush_optim_create(&opt, &oc, hush_model_param_count(model), NULL))) {
        exit_code = fail_status("optimizer", st);
        goto done;
    }
    perm = malloc(n_train * sizeof *perm);
    if (!perm) {
        exit_code = fail_status("training", HUSH_ENOMEM);
        goto done;
    }
    const float *x = hush_dataset_x(train);
    const uint32_t *y = hush_dataset_labels(train);
    float loss = 0;
    double t0 = cli_now();
    for (uint64_t e = 0; e < o.epochs; e++) {
        st = hush_model_fit_epoch(model, opt, &shuffle_rng, perm, &loss, x, y, n_train, (size_t)o.batch);
        if (st != HUSH_OK) {
            exit_code = fail_status("training", st);
            goto done;
        }
        if (!o.json) printf("epoch %llu/%llu loss %.6f\n", (unsigned long long)e + 1, (unsigned long long)o.epochs, loss);
    }
    double secs = cli_now() - t0;
    float train_loss, train_acc, test_loss = 0, test_acc = 0;
    if ((st = hush_model_evaluate(model, &train_loss, &train_acc, x, y, n_train)) ||
        (n_test && (st = hush_model_evaluate(model, &test_loss, &test_acc, hush_dataset_x(test),
                                             hush_dataset_labels(test), n_test)))) {
        exit_code = fail_status("evaluate", st);
        goto done;
    }
    if (o.out) {
        size_t size = hush_model_save_size(model), written = 0;
        uint8_t *buf = malloc(size);
        if (!buf) {
            exit_code = fail_status("save", HUSH_ENOMEM);
            goto done;
        }
        st = hush_model_save(model, buf, size, &written);
        rc = st ? fail_status("save", st) : cli_write_file(o.out, buf, written);
        free(buf);
        if (rc) {
            exit_code = rc;
            goto done;
        }
    }
    double eps = secs > 0 ? (double)n_train * (double)o.epochs / secs : 0;
    if (o.json) {
        printf("{\"command\":\"train\",\"seed\":%llu,\"epochs\":%llu,\"batch\":%llu,\"params\":%zu,"
               "\"train_rows\":%zu,\"test_rows\":%zu,\"final_loss\":%.9g,\"train_accuracy\":%.6f,"
               "\"test_accuracy\":%.6f,\"test_loss\":%.9g,\"examples_per_second\":%.1f,\"seconds\":%.4f}\n",
               (unsigned long long)o.seed, (unsigned long long)o.epochs, (unsigned long long)o.batch,
               hush_model_param_count(model), n_train, n_test, loss, train_acc, test_acc, test_loss, eps, secs);
    } else {
        printf("train accuracy %.4f, test accuracy %.4f (%zu test rows), %.0f examples/s\n", train_acc, test_acc,
               n_test, eps);
    }
    exit_code = 0;
done:
    free(perm);
    hush_optim_free(opt);
    hush_model_free(model);
    hush_dataset_free(all);
    hush_dataset_free(train);
    hush_dataset_free(test);
    hush_rng_clear(&master);
    hush_rng_clear(&split_rng);
    hush_rng_clear(&init_rng);
    hush_rng_clear(&shuffle_rng);
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
