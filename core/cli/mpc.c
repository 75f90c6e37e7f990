/* `hush mpc predict` and `hush mpc train`: encrypted prediction and training with in-process
 * roles (n compute parties + dealer + client, an authenticated channel on every link), each
 * compared with the same computation in plaintext by the core (hush_mpc_predict_eval,
 * hush_mpc_train_eval): parse the options, make one call, print the result.
 *
 * Randomness: --seed S fixes only the public, reproducible parts (the data split, the initial
 * parameters and the public shuffle order of training). Shares, dealer material, session ids and
 * keys come from the OS CSPRNG, unless --reproducible-noise derives them from S too (for tests
 * and comparisons between builds): then nothing is private, a warning goes to stderr and the
 * JSON says "private":false, "noise":"seed". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#ifdef HUSH_CLI_NET
#include "mpcnet.h"
#endif

static int fail(const char *what, int rc) {
    cli_error("%s: %s (%s)", what, hush_strerror(rc), hush_status_name(rc));
    return CLI_EXIT_FAIL;
}

/* The secrets' rng: NULL (the OS) unless reproducible noise was asked for. */
static hush_rng *noise_rng(hush_rng *rng, const hush_rng *master, int reproducible) {
    if (!reproducible) return NULL;
    fprintf(stderr, "hush: warning: --reproducible-noise derives every share, mask and key from --seed: "
                    "nothing in this run is private\n");
    return hush_rng_derive(rng, master, "mpc") == HUSH_OK ? rng : NULL;
}

static void print_stats(const hush_mpc_stats *st, int reproducible) {
    printf("\"bytes\":%llu,\"dealer_bytes\":%llu,\"handshake_bytes\":%llu,\"messages\":%llu,\"rounds\":%llu,"
           "\"sessions\":%llu,\"truncations\":%llu,\"truncation_failure_probability\":0,\"private\":%s,"
           "\"noise\":\"%s\"",
           (unsigned long long)st->bytes, (unsigned long long)st->dealer_bytes, (unsigned long long)st->handshake_bytes,
           (unsigned long long)st->messages, (unsigned long long)st->rounds, (unsigned long long)st->sessions,
           (unsigned long long)st->truncations, reproducible ? "false" : "true", reproducible ? "seed" : "os");
}

static const char *const predict_flags[] = {"json", "test-split", "logits", "reproducible-noise", NULL};

static int mpc_predict(int argc, char **argv) {
    cli_args a;
    int rc = cli_parse(&a, argc, argv, predict_flags);
    if (rc) return rc;
    const char *mpath = cli_str(&a, "model", NULL), *data = cli_str(&a, "data", NULL);
    const char *format = cli_str(&a, "format", NULL);
    int json = cli_flag(&a, "json"), test_split = cli_flag(&a, "test-split"), logits = cli_flag(&a, "logits");
    int reproducible = cli_flag(&a, "reproducible-noise");
    uint64_t parties, frac, batch, seed;
    double tf;
    if ((rc = cli_u64(&a, "parties", 2, 2, HUSH_MPC_MAX_PARTIES, &parties)) ||
        (rc = cli_u64(&a, "frac-bits", HUSH_MPC_DEFAULT_FRAC_BITS, 1, HUSH_MPC_MAX_FRAC_BITS, &frac)) ||
        (rc = cli_u64(&a, "batch", 1, 1, HUSH_MODEL_MAX_BATCH, &batch)) ||
        (rc = cli_u64(&a, "seed", 1, 0, UINT64_MAX, &seed)) ||
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
    hush_rng master, split_rng, mpc_rng;
    memset(&master, 0, sizeof master);
    split_rng = mpc_rng = master;
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
    if ((st = hush_rng_init_u64(&master, seed))) {
        exit_code = fail("rng", st);
        goto done;
    }
    if (test_split) {
        /* The canonical test split of `hush train --seed S`. */
        if ((st = hush_rng_derive(&split_rng, &master, "split")) ||
            (st = hush_dataset_split(&train, &test, &split_rng, all, tf, NULL))) {
            exit_code = fail("split", st);
            goto done;
        }
        ds = test;
    }
    size_t n = hush_dataset_rows(ds), in = hush_model_input_size(model);
    if (hush_dataset_dim(ds) != in || n == 0) {
        cli_error("%s has %zu features but the model expects %zu", data, hush_dataset_dim(ds), in);
        goto done;
    }
    hush_mpc_config cfg;
    if ((st = hush_mpc_config_init(&cfg, HUSH_MPC_PREDICT))) {
        exit_code = fail("config", st);
        goto done;
    }
    cfg.n_parties = (uint32_t)parties, cfg.frac_bits = (uint32_t)frac, cfg.rows = (uint32_t)batch;
    cfg.output = logits ? HUSH_MPC_OUTPUT_LOGITS : HUSH_MPC_OUTPUT_DECISION;
    hush_mpc_report rep;
    double t0 = cli_now();
    st = hush_mpc_predict_eval(&cfg, noise_rng(&mpc_rng, &master, reproducible), &rep, model, hush_dataset_x(ds),
                               n * in, hush_dataset_labels(ds), n, NULL);
    double secs = cli_now() - t0;
    if (st != HUSH_OK) {
        exit_code = fail("encrypted prediction", st);
        goto done;
    }
    const hush_mpc_stats *ms = &rep.stats;
    if (json) {
        printf("{\"command\":\"mpc predict\",\"rows\":%zu,\"parties\":%llu,\"frac_bits\":%llu,\"batch\":%llu,"
               "\"output\":\"%s\",\"decision_agreement\":%.6f,\"encrypted_accuracy\":%.6f,",
               n, (unsigned long long)parties, (unsigned long long)frac, (unsigned long long)batch,
               logits ? "logits" : "decision", rep.decision_agreement, rep.encrypted_accuracy);
        if (logits) printf("\"max_abs_logit_error\":%.9g,", rep.max_abs_logit_error);
        printf("\"ms_per_prediction\":%.4f,\"bytes_per_prediction\":%.1f,\"dealer_bytes_per_prediction\":%.1f,"
               "\"handshake_bytes_per_prediction\":%.1f,\"rounds_per_session\":%.1f,\"seconds\":%.4f,",
               1e3 * secs / (double)n, (double)ms->bytes / (double)n, (double)ms->dealer_bytes / (double)n,
               (double)ms->handshake_bytes / (double)n, (double)ms->rounds / (double)ms->sessions, secs);
        print_stats(ms, reproducible);
        printf("}\n");
    } else {
        printf("%zu rows: decisions agree on %.4f, %.3f ms and %.0f bytes per prediction%s\n", n,
               rep.decision_agreement, 1e3 * secs / (double)n, (double)ms->bytes / (double)n,
               reproducible ? " (reproducible noise: not private)" : "");
    }
    exit_code = 0;
done:
    hush_model_free(model);
    hush_dataset_free(all);
    hush_dataset_free(train);
    hush_dataset_free(test);
    hush_rng_clear(&master);
    hush_rng_clear(&split_rng);
    hush_rng_clear(&mpc_rng);
    return exit_code;
}

static const char *const train_flags[] = {"json", "reproducible-noise", NULL};

static int mpc_train(int argc, char **argv) {
    cli_args a;
    int rc = cli_parse(&a, argc, argv, train_flags);
    if (rc) return rc;
    const char *data = cli_str(&a, "data", NULL), *format = cli_str(&a, "format", NULL);
    const char *spec = cli_str(&a, "model", NULL);
    int json = cli_flag(&a, "json"), reproducible = cli_flag(&a, "reproducible-noise");
    uint64_t parties, frac, epochs, batch, seed;
    double lr, tf;
    if ((rc = cli_u64(&a, "parties", 2, 2, HUSH_MPC_MAX_PARTIES, &parties)) ||
        (rc = cli_u64(&a, "frac-bits", HUSH_MPC_DEFAULT_FRAC_BITS, 1, HUSH_MPC_MAX_FRAC_BITS, &frac)) ||
        (rc = cli_u64(&a, "epochs", 10, 1, 1000, &epochs)) ||
        (rc = cli_u64(&a, "batch", 32, 1, HUSH_MODEL_MAX_BATCH, &batch)) ||
        (rc = cli_u64(&a, "seed", 1, 0, UINT64_MAX, &seed)) || (rc = cli_f64(&a, "lr", 0.01, 1e-9, 1e3, &lr)) ||
        (rc = cli_f64(&a, "test-fraction", 0.2, 0.0, 0.99, &tf)) || (rc = cli_done(&a)))
        return rc;
    if (!data || !spec) {
        cli_error("mpc train needs --data FILE and --model SPEC");
        return CLI_EXIT_USAGE;
    }
    hush_layer_spec layers[HUSH_MODEL_MAX_LAYERS];
    size_t n_layers = 0, err_pos = 0;
    int st = hush_model_spec_parse(layers, HUSH_MODEL_MAX_LAYERS, &n_layers, spec, &err_pos);
    if (st != HUSH_OK) {
        cli_error("--model '%s': %s at offset %zu", spec, hush_strerror(st), err_pos);
        return CLI_EXIT_USAGE;
    }
    hush_dataset *all = NULL, *train = NULL, *test = NULL;
    hush_model *m = NULL;
    float *norm = NULL;
    hush_rng master, split_rng, init_rng, mpc_rng;
    memset(&master, 0, sizeof master);
    split_rng = init_rng = mpc_rng = master;
    int exit_code = CLI_EXIT_FAIL;
    if ((rc = cli_load_dataset(&all, data, format))) return rc;
    if ((st = hush_rng_init_u64(&master, seed)) || (st = hush_rng_derive(&split_rng, &master, "split")) ||
        (st = hush_rng_derive(&init_rng, &master, "init"))) {
        exit_code = fail("rng", st);
        goto done;
    }
    if ((st = hush_dataset_split(&train, &test, &split_rng, all, tf, NULL))) {
        exit_code = fail("split", st);
        goto done;
    }
    if (hush_dataset_classes(train) > 2) {
        cli_error("encrypted training supports two classes (the data has %u)", (unsigned)hush_dataset_classes(train));
        goto done;
    }
    /* The model of `hush train --seed S`: its input standardisation from the training split and
     * its initial parameters from the "init" stream. */
    size_t in = hush_dataset_dim(train), n = hush_dataset_rows(train), nt = hush_dataset_rows(test);
    norm = malloc(2 * in * sizeof *norm);
    if (!norm) goto done;
    if ((st = hush_model_create(&m, layers, n_layers, hush_dataset_shape(train), (uint32_t)batch, NULL)) ||
        (st = hush_dataset_norm_stats(train, norm, norm + in, in)) ||
        (st = hush_model_set_input_norm(m, norm, norm + in, in)) || (st = hush_model_init_params(m, &init_rng))) {
        exit_code = fail("model", st);
        goto done;
    }
    hush_mpc_config cfg;
    if ((st = hush_mpc_config_init(&cfg, HUSH_MPC_TRAIN))) {
        exit_code = fail("config", st);
        goto done;
    }
    cfg.n_parties = (uint32_t)parties, cfg.frac_bits = (uint32_t)frac, cfg.epochs = (uint32_t)epochs;
    cfg.batch = (uint32_t)batch, cfg.lr = (float)lr, cfg.shuffle_seed = seed;
    hush_mpc_report rep;
    double t0 = cli_now();
    st = hush_mpc_train_eval(&cfg, noise_rng(&mpc_rng, &master, reproducible), &rep, m, hush_dataset_x(train), n * in,
                             hush_dataset_labels(train), n, hush_dataset_x(test), nt * in, hush_dataset_labels(test),
                             nt, NULL);
    double secs = cli_now() - t0;
    if (st == HUSH_EUNSUPPORTED) {
        cli_error("encrypted training needs dense layers with relu between them, ending in dense:2");
        goto done;
    }
    if (st != HUSH_OK) {
        exit_code = fail("encrypted training", st);
        goto done;
    }
    if (json) {
        printf("{\"command\":\"mpc train\",\"parties\":%llu,\"frac_bits\":%llu,\"epochs\":%llu,\"batch\":%llu,"
               "\"seed\":%llu,\"train_rows\":%zu,\"test_rows\":%zu,\"test_accuracy\":%.6f,"
               "\"plaintext_test_accuracy\":%.6f,\"test_loss\":%.9g,\"plaintext_test_loss\":%.9g,"
               "\"max_param_difference\":%.9g,\"seconds\":%.4f,\"seconds_per_epoch\":%.4f,\"bytes_per_epoch\":%.1f,",
               (unsigned long long)parties, (unsigned long long)frac, (unsigned long long)epochs,
               (unsigned long long)batch, (unsigned long long)seed, n, nt, rep.test_accuracy,
               rep.plaintext_test_accuracy, rep.test_loss, rep.plaintext_test_loss, rep.max_param_difference, secs,
               secs / (double)epochs, (double)rep.stats.bytes / (double)epochs);
        print_stats(&rep.stats, reproducible);
        printf("}\n");
    } else {
        printf("encrypted test accuracy %.4f, plaintext %.4f; %.2f s per encrypted epoch; %llu truncations, "
               "failure probability 0%s\n",
               rep.test_accuracy, rep.plaintext_test_accuracy, secs / (double)epochs,
               (unsigned long long)rep.stats.truncations, reproducible ? " (reproducible noise: not private)" : "");
    }
    exit_code = 0;
done:
    free(norm);
    hush_model_free(m);
    hush_dataset_free(all);
    hush_dataset_free(train);
    hush_dataset_free(test);
    hush_rng_clear(&master);
    hush_rng_clear(&split_rng);
    hush_rng_clear(&init_rng);
    hush_rng_clear(&mpc_rng);
    return exit_code;
}

int cmd_mpc(int argc, char **argv) {
    if (argc >= 1 && !strcmp(argv[0], "predict")) return mpc_predict(argc - 1, argv + 1);
    if (argc >= 1 && !strcmp(argv[0], "train")) return mpc_train(argc - 1, argv + 1);
#ifdef HUSH_CLI_NET
    /* the bank and the applicant over hush-server (mpcnet.c) */
    if (argc >= 1 && !strcmp(argv[0], "serve")) return cmd_mpc_serve(argc - 1, argv + 1);
    if (argc >= 1 && !strcmp(argv[0], "apply")) return cmd_mpc_apply(argc - 1, argv + 1);
#endif
    cli_error("mpc needs a subcommand: predict, train, serve or apply (serve and apply: native builds)");
    return CLI_EXIT_USAGE;
}
