/* `hush mpc predict` and `hush mpc train`: encrypted prediction and training with in-process
 * parties (n compute parties + dealer + client shuttling bytes through the wire encoding),
 * each compared with the same computation in plaintext. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static int fail(const char *what, int rc) {
    cli_error("%s: %s (%s)", what, hush_strerror(rc), hush_status_name(rc));
    return CLI_EXIT_FAIL;
}

static const char *const predict_flags[] = {"json", "test-split", NULL};

static int mpc_predict(int argc, char **argv) {
    cli_args a;
    int rc = cli_parse(&a, argc, argv, predict_flags);
    if (rc) return rc;
    const char *mpath = cli_str(&a, "model", NULL), *data = cli_str(&a, "data", NULL);
    const char *format = cli_str(&a, "format", NULL);
    int json = cli_flag(&a, "json"), test_split = cli_flag(&a, "test-split");
    uint64_t parties, frac, batch, seed;
    double tf;
    if ((rc = cli_u64(&a, "parties", 2, 2, HUSH_MPC_MAX_PARTIES, &parties)) ||
        (rc = cli_u64(&a, "frac-bits", HUSH_MPC_DEFAULT_FRAC_BITS, 1, HUSH_MPC_MAX_FRAC_BITS, &frac)) ||
        (rc = cli_u64(&a, "batch", 1, 1, HUSH_MAX_BATCH, &batch)) || (rc = cli_u64(&a, "seed", 1, 0, UINT64_MAX, &seed)) ||
        (rc = cli_f64(&a, "test-fraction", 0.2, 0.0, 0.99, &tf)) || (rc = cli_done(&a)))
        return rc;
    if (!mpath || !data) {
        cli_error("mpc predict needs --model MODEL and --data FILE");
        return CLI_EXIT_USAGE;
    }
    size_t len = 0;
    unsigned char *bytes = cli_read_file(mpath, &len);
    if (!bytes) return CLI_EXIT_FAIL;
    hush_model *model = NULL;
    hush_dataset *all = NULL, *train = NULL, *test = NULL;
    float *plain = NULL, *enc = NULL;
    uint32_t *dec = NULL, *pdec = NULL;
    hush_rng master, split_rng, mpc_rng;
    memset(&split_rng, 0, sizeof split_rng);
    mpc_rng = master = split_rng;
    int exit_code = CLI_EXIT_FAIL, st = hush_model_load(&model, bytes, len, 256, NULL);
    free(bytes);
    if (st != HUSH_OK) {
        cli_error("%s: %s (%s)", mpath, hush_strerror(st), hush_status_name(st));
        return CLI_EXIT_FAIL;
    }
    if ((rc = cli_load_dataset(&all, data, format))) {
        exit_code = rc;
        goto done;
    }
    const hush_dataset *ds = all;
    if ((st = hush_rng_init_u64(&master, seed)) || (st = hush_rng_derive(&mpc_rng, &master, "mpc"))) {
        exit_code = fail("rng", st);
        goto done;
    }
    if (test_split) {
        /* The canonical test split of `hush train --seed S`. */
        if ((st = hush_rng_derive(&split_rng, &master, "split")) ||
            (st = hush_dataset_split(&train, &test, all, tf, &split_rng, NULL))) {
            exit_code = fail("split", st);
            goto done;
        }
        ds = test;
    }
    size_t n = hush_dataset_rows(ds), in = hush_model_input_size(model), k = hush_model_output_size(model);
    if (hush_dataset_dim(ds) != in || n == 0) {
        cli_error("%s has %zu features but the model expects %zu", data, hush_dataset_dim(ds), in);
        goto done;
    }
    plain = malloc(n * k * sizeof *plain);
    enc = malloc(n * k * sizeof *enc);
    dec = malloc(n * sizeof *dec);
    pdec = malloc(n * sizeof *pdec);
    if (!plain || !enc || !dec || !pdec) {
        exit_code = fail("mpc", HUSH_ENOMEM);
        goto done;
    }
    const float *x = hush_dataset_x(ds);
    for (size_t s = 0; s < n; s += 256) {
        size_t B = n - s < 256 ? n - s : 256;
        if ((st = hush_model_forward(model, plain + s * k, B * k, x + s * in, B)) ||
            (st = hush_model_predict(model, pdec + s, x + s * in, B))) {
            exit_code = fail("plaintext forward", st);
            goto done;
        }
    }
    hush_mpc_stats stats;
    memset(&stats, 0, sizeof stats);
    double t0 = cli_now();
    st = hush_mpc_predict_run(enc, dec, model, x, n, (uint32_t)parties, (uint32_t)frac, (uint32_t)batch, &mpc_rng,
                              &stats, NULL);
    double secs = cli_now() - t0;
    if (st != HUSH_OK) {
        exit_code = fail("encrypted prediction", st);
        goto done;
    }
    size_t agree = 0, correct = 0;
    double maxerr = 0;
    const uint32_t *y = hush_dataset_labels(ds);
    for (size_t i = 0; i < n; i++) {
        agree += dec[i] == pdec[i];
        correct += dec[i] == y[i];
        for (size_t j = 0; j < k; j++) {
            double e = fabs((double)enc[i * k + j] - (double)plain[i * k + j]);
            if (e > maxerr) maxerr = e;
        }
    }
    double sessions = (double)((n + batch - 1) / batch);
    if (json)
        printf("{\"command\":\"mpc predict\",\"rows\":%zu,\"parties\":%llu,\"frac_bits\":%llu,\"batch\":%llu,"
               "\"decision_agreement\":%.6f,\"max_abs_logit_error\":%.9g,\"encrypted_accuracy\":%.6f,"
               "\"ms_per_prediction\":%.4f,\"bytes_per_prediction\":%.1f,\"dealer_bytes_per_prediction\":%.1f,"
               "\"rounds_per_session\":%.1f,\"seconds\":%.4f}\n",
               n, (unsigned long long)parties, (unsigned long long)frac, (unsigned long long)batch,
               (double)agree / (double)n, maxerr, (double)correct / (double)n, 1e3 * secs / (double)n,
               (double)stats.bytes / (double)n, (double)stats.dealer_bytes / (double)n, (double)stats.rounds / sessions,
               secs);
    else
        printf("%zu rows: decisions agree on %.4f, max |logit error| %.3g, %.3f ms and %.0f bytes per prediction\n", n,
               (double)agree / (double)n, maxerr, 1e3 * secs / (double)n, (double)stats.bytes / (double)n);
    exit_code = 0;
done:
    free(plain);
    free(enc);
    free(dec);
    free(pdec);
    hush_model_free(model);
    hush_dataset_free(all);
    hush_dataset_free(train);
    hush_dataset_free(test);
    hush_rng_clear(&master);
    hush_rng_clear(&split_rng);
    hush_rng_clear(&mpc_rng);
    return exit_code;
}

static const char *const train_flags[] = {"json", NULL};

/* x -> (x - shift) * scale, NaN -> 0: the model's own input standardisation, applied by the data
 * owner before sharing. */
static float *normalized(const hush_model *m, const hush_dataset *d) {
    size_t n = hush_dataset_rows(d), in = hush_dataset_dim(d);
    float *out = malloc(n * in * sizeof *out + 2 * in * sizeof *out);
    if (!out) return NULL;
    float *shift = out + n * in, *scale = shift + in;
    const float *x = hush_dataset_x(d);
    int has = hush_model_input_norm(m, shift, scale, in) == HUSH_OK;
    for (size_t i = 0; i < n * in; i++) {
        float v = x[i];
        out[i] = !has ? v : v != v ? 0.0f : (v - shift[i % in]) * scale[i % in];
    }
    return out;
}

static int mpc_train(int argc, char **argv) {
    cli_args a;
    int rc = cli_parse(&a, argc, argv, train_flags);
    if (rc) return rc;
    const char *data = cli_str(&a, "data", NULL), *format = cli_str(&a, "format", NULL);
    const char *spec = cli_str(&a, "model", NULL);
    int json = cli_flag(&a, "json");
    uint64_t parties, frac, epochs, batch, seed;
    double lr, tf;
    if ((rc = cli_u64(&a, "parties", 2, 2, HUSH_MPC_MAX_PARTIES, &parties)) ||
        (rc = cli_u64(&a, "frac-bits", HUSH_MPC_DEFAULT_FRAC_BITS, 1, HUSH_MPC_MAX_FRAC_BITS, &frac)) ||
        (rc = cli_u64(&a, "epochs", 10, 1, 1000, &epochs)) || (rc = cli_u64(&a, "batch", 32, 1, HUSH_MAX_BATCH, &batch)) ||
        (rc = cli_u64(&a, "seed", 1, 0, UINT64_MAX, &seed)) || (rc = cli_f64(&a, "lr", 0.01, 1e-9, 1e3, &lr)) ||
        (rc = cli_f64(&a, "test-fraction", 0.2, 0.0, 0.99, &tf)) || (rc = cli_done(&a)))
        return rc;
    if (!data || !spec) {
        cli_error("mpc train needs --data FILE and --model SPEC");
        return CLI_EXIT_USAGE;
    }
    hush_layer_spec layers[HUSH_MAX_LAYERS];
    size_t n_layers = 0, err_pos = 0;
    int st = hush_model_spec_parse(layers, HUSH_MAX_LAYERS, &n_layers, spec, &err_pos);
    if (st != HUSH_OK) {
        cli_error("--model '%s': %s at offset %zu", spec, hush_strerror(st), err_pos);
        return CLI_EXIT_USAGE;
    }
    hush_dataset *all = NULL, *train = NULL, *test = NULL;
    hush_model *pm = NULL, *em = NULL;
    hush_optim *opt = NULL;
    uint32_t *perm = NULL;
    float *xn = NULL, *stats_buf = NULL;
    hush_rng master, split_rng, init_rng, shuffle_rng, mpc_rng;
    memset(&master, 0, sizeof master);
    split_rng = init_rng = shuffle_rng = mpc_rng = master;
    int exit_code = CLI_EXIT_FAIL;
    if ((rc = cli_load_dataset(&all, data, format))) return rc;
    if ((st = hush_rng_init_u64(&master, seed)) || (st = hush_rng_derive(&split_rng, &master, "split")) ||
        (st = hush_rng_derive(&init_rng, &master, "init")) || (st = hush_rng_derive(&shuffle_rng, &master, "shuffle")) ||
        (st = hush_rng_derive(&mpc_rng, &master, "mpc"))) {
        exit_code = fail("rng", st);
        goto done;
    }
    if ((st = hush_dataset_split(&train, &test, all, tf, &split_rng, NULL))) {
        exit_code = fail("split", st);
        goto done;
    }
    if (hush_dataset_classes(train) > 2) {
        cli_error("encrypted training supports two classes (the data has %u)", (unsigned)hush_dataset_classes(train));
        goto done;
    }
    size_t in = hush_dataset_dim(train), n = hush_dataset_rows(train);
    if ((st = hush_model_create(&pm, layers, n_layers, hush_dataset_shape(train), (uint32_t)batch, NULL)) ||
        (st = hush_model_create(&em, layers, n_layers, hush_dataset_shape(train), (uint32_t)batch, NULL))) {
        exit_code = fail("model", st);
        goto done;
    }
    stats_buf = malloc(2 * in * sizeof *stats_buf);
    if (!stats_buf) goto done;
    if ((st = hush_dataset_norm_stats(train, stats_buf, stats_buf + in, in)) ||
        (st = hush_model_set_input_norm(pm, stats_buf, stats_buf + in, in)) ||
        (st = hush_model_set_input_norm(em, stats_buf, stats_buf + in, in)) || (st = hush_model_init_params(pm, &init_rng))) {
        exit_code = fail("init", st);
        goto done;
    }
    memcpy(hush_model_params(em), hush_model_params(pm), hush_model_param_count(pm) * sizeof(float));
    /* Plaintext reference: the same SGD schedule (hush_model_fit_epoch, "shuffle" stream). */
    hush_optim_config oc;
    hush_optim_config_default(&oc, HUSH_OPTIM_SGD, (float)lr);
    perm = malloc(n * sizeof *perm);
    if (!perm) goto done;
    if ((st = hush_optim_create(&opt, &oc, hush_model_param_count(pm), NULL))) {
        exit_code = fail("optimizer", st);
        goto done;
    }
    double t0 = cli_now();
    for (uint64_t e = 0; e < epochs; e++) {
        float loss;
        if ((st = hush_model_fit_epoch(pm, opt, &shuffle_rng, perm, &loss, hush_dataset_x(train),
                                       hush_dataset_labels(train), n, (size_t)batch))) {
            exit_code = fail("plaintext training", st);
            goto done;
        }
    }
    double plain_secs = cli_now() - t0;
    xn = normalized(em, train);
    if (!xn) goto done;
    hush_mpc_config cfg;
    hush_mpc_config_default(&cfg, HUSH_MPC_TRAIN);
    cfg.n_parties = (uint32_t)parties, cfg.frac_bits = (uint32_t)frac, cfg.epochs = (uint32_t)epochs;
    cfg.batch = (uint32_t)batch, cfg.lr = (float)lr, cfg.shuffle_seed = seed;
    hush_mpc_stats ms;
    memset(&ms, 0, sizeof ms);
    t0 = cli_now();
    st = hush_mpc_train_run(em, &cfg, xn, hush_dataset_labels(train), n, &mpc_rng, &ms, NULL);
    double enc_secs = cli_now() - t0;
    if (st != HUSH_OK) {
        exit_code = fail("encrypted training", st);
        goto done;
    }
    float pl, pa, el, ea, maxd = 0;
    const float *p1 = hush_model_params(pm), *p2 = hush_model_params(em);
    for (size_t i = 0; i < hush_model_param_count(pm); i++) {
        float d = fabsf(p1[i] - p2[i]);
        if (d > maxd) maxd = d;
    }
    if ((st = hush_model_evaluate(pm, &pl, &pa, hush_dataset_x(test), hush_dataset_labels(test), hush_dataset_rows(test))) ||
        (st = hush_model_evaluate(em, &el, &ea, hush_dataset_x(test), hush_dataset_labels(test), hush_dataset_rows(test)))) {
        exit_code = fail("evaluate", st);
        goto done;
    }
    if (json)
        printf("{\"command\":\"mpc train\",\"parties\":%llu,\"frac_bits\":%llu,\"epochs\":%llu,\"batch\":%llu,"
               "\"seed\":%llu,\"train_rows\":%zu,\"test_rows\":%zu,\"test_accuracy\":%.6f,"
               "\"plaintext_test_accuracy\":%.6f,\"test_loss\":%.9g,\"plaintext_test_loss\":%.9g,"
               "\"max_param_difference\":%.9g,\"seconds_per_epoch\":%.4f,\"plaintext_seconds_per_epoch\":%.6f,"
               "\"bytes_per_epoch\":%.1f,\"rounds\":%llu}\n",
               (unsigned long long)parties, (unsigned long long)frac, (unsigned long long)epochs,
               (unsigned long long)batch, (unsigned long long)seed, n, hush_dataset_rows(test), ea, pa, el, pl, maxd,
               enc_secs / (double)epochs, plain_secs / (double)epochs, (double)ms.bytes / (double)epochs,
               (unsigned long long)ms.rounds);
    else
        printf("encrypted test accuracy %.4f, plaintext %.4f; %.2f s per encrypted epoch\n", ea, pa,
               enc_secs / (double)epochs);
    exit_code = 0;
done:
    free(xn);
    free(stats_buf);
    free(perm);
    hush_optim_free(opt);
    hush_model_free(pm);
    hush_model_free(em);
    hush_dataset_free(all);
    hush_dataset_free(train);
    hush_dataset_free(test);
    hush_rng_clear(&master);
    hush_rng_clear(&split_rng);
    hush_rng_clear(&init_rng);
    hush_rng_clear(&shuffle_rng);
    hush_rng_clear(&mpc_rng);
    return exit_code;
}

int cmd_mpc(int argc, char **argv) {
    if (argc >= 1 && !strcmp(argv[0], "predict")) return mpc_predict(argc - 1, argv + 1);
    if (argc >= 1 && !strcmp(argv[0], "train")) return mpc_train(argc - 1, argv + 1);
    cli_error("mpc needs a subcommand: predict or train");
    return CLI_EXIT_USAGE;
}
