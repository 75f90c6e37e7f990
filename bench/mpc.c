/* Encrypted ML benchmark (not a test), for `make bench-mpc`.
 *
 * On German credit (data/credit-g.arff, canonical split of seed 1), with 2 compute parties +
 * dealer + client in one process exchanging real records over an authenticated channel on every
 * link (hush_mpc_predict_run / hush_mpc_train_run; secrets from the OS CSPRNG):
 *   - encrypted prediction latency and bytes per applicant (one applicant per session, and 200
 *     per session) for the credit MLP (dense:32,relu,dense:16,relu,dense:2, trained with the
 *     canonical `hush train` recipe) and for logistic regression (dense:2), next to plaintext;
 *   - encrypted SGD training time per epoch next to plaintext, for both models.
 * Reference points: CrypTen reports 61 ms per 20-feature logistic-regression inference and about
 * 390x plaintext per training epoch (two parties); the design target is < 50 ms per encrypted
 * credit prediction. One JSON object per row on stdout, a table on stderr.
 * Usage: mpc [--epochs E] (training epochs timed, default 2) */
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"
#include "hush.h"

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

#define TRY(x)                                                                                  \
    do {                                                                                        \
        int rc_ = (x);                                                                          \
        if (rc_ != HUSH_OK) {                                                                   \
            fprintf(stderr, "bench/mpc: %s: %s\n", #x, hush_strerror(rc_));                     \
            exit(1);                                                                            \
        }                                                                                       \
    } while (0)

static hush_dataset *train_set, *test_set;
static hush_rng master;

static hush_model *make_model(const char *spec, uint32_t okind, float lr, float wd, int epochs, double *secs) {
    hush_layer_spec ls[HUSH_MODEL_MAX_LAYERS];
    size_t nl = 0, in = hush_dataset_dim(train_set), n = hush_dataset_rows(train_set);
    hush_model *m = NULL;
    hush_optim *o = NULL;
    hush_optim_config oc;
    hush_rng init, shuf;
    float *st = malloc(2 * in * sizeof *st), loss;
    uint32_t *perm = malloc(n * sizeof *perm);
    TRY(hush_model_spec_parse(ls, HUSH_MODEL_MAX_LAYERS, &nl, spec, NULL));
    TRY(hush_model_create(&m, ls, nl, hush_dataset_shape(train_set), 32, NULL));
    TRY(hush_dataset_norm_stats(train_set, st, st + in, in));
    TRY(hush_model_set_input_norm(m, st, st + in, in));
    TRY(hush_rng_derive(&init, &master, "init"));
    TRY(hush_rng_derive(&shuf, &master, "shuffle"));
    TRY(hush_model_init_params(m, &init));
    TRY(hush_optim_config_init(&oc, okind, lr));
    oc.weight_decay = wd;
    TRY(hush_optim_create(&o, &oc, hush_model_param_count(m), NULL));
    double t0 = now_s();
    for (int e = 0; e < epochs; e++)
        TRY(hush_model_fit_epoch(m, &shuf, o, perm, &loss, hush_dataset_x(train_set), hush_dataset_labels(train_set), n,
                                 32));
    if (secs) *secs = (now_s() - t0) / (epochs ? epochs : 1);
    hush_optim_free(o);
    free(st);
    free(perm);
    return m;
}

static void bench_predict(const char *name, hush_model *m, uint32_t batch) {
    size_t n = hush_dataset_rows(test_set), k = hush_model_output_size(m), in = hush_dataset_dim(test_set);
    const float *x = hush_dataset_x(test_set);
    float *pl = malloc(32 * k * sizeof *pl);
    uint32_t *dec = malloc(n * sizeof *dec), *pdec = malloc(n * sizeof *pdec);
    hush_mpc_config cfg;
    TRY(hush_mpc_config_init(&cfg, HUSH_MPC_PREDICT)); /* decisions only */
    cfg.rows = batch;
    hush_mpc_stats st;
    memset(&st, 0, sizeof st);
    double t0 = now_s();
    TRY(hush_mpc_predict_run(&cfg, NULL, &st, dec, n, NULL, 0, m, x, n * in, NULL));
    double enc = (now_s() - t0) / (double)n;
    size_t agree = 0;
    for (size_t s = 0; s < n; s += 32) {
        size_t B = n - s < 32 ? n - s : 32;
        TRY(hush_model_predict(m, pdec + s, x + s * in, B));
    }
    for (size_t i = 0; i < n; i++) agree += dec[i] == pdec[i];
    int reps = 200;
    t0 = now_s();
    for (int i = 0; i < reps; i++)
        TRY(hush_model_forward(m, pl, k, x + (size_t)i % n * hush_dataset_dim(test_set), 1));
    double plain = (now_s() - t0) / reps;
    printf("{\"bench\":\"mpc-predict\",\"model\":\"%s\",\"applicants_per_session\":%u,\"ms_per_prediction\":%.4f,"
           "\"plaintext_ms_per_prediction\":%.5f,\"bytes_per_prediction\":%.0f,\"dealer_bytes_per_prediction\":%.0f,"
           "\"handshake_bytes_per_prediction\":%.0f,\"rounds_per_session\":%.1f,\"decision_agreement\":%.4f}\n",
           name, batch, 1e3 * enc, 1e3 * plain, (double)st.bytes / (double)n, (double)st.dealer_bytes / (double)n,
           (double)st.handshake_bytes / (double)n, (double)st.rounds / (double)st.sessions, (double)agree / (double)n);
    fprintf(stderr, "%-22s predict  %3u/session  %8.3f ms  (plain %.4f ms)  %9.0f bytes/applicant  agreement %.4f\n",
            name, batch, 1e3 * enc, 1e3 * plain, (double)st.bytes / (double)n, (double)agree / (double)n);
    free(pl), free(dec), free(pdec);
}

/* The cost of one authenticated channel: the handshake (two signatures, two verifications, four
 * X25519 operations) and sealing plus opening a 64 KiB record. */
static void bench_channel(void) {
    hush_rng r;
    TRY(hush_rng_init_random(&r));
    uint8_t pk[2][32], sk[2][64], sid[16] = {1}, hs[HUSH_CHANNEL_HANDSHAKE_MAX_BYTES], none[1];
    static uint8_t plain[65536], rec[65536 + HUSH_CHANNEL_OVERHEAD_BYTES], back[65536];
    size_t w, n0;
    TRY(hush_channel_keypair(&r, pk[0], 32, sk[0], 64));
    TRY(hush_channel_keypair(&r, pk[1], 32, sk[1], 64));
    int reps = 200;
    double t_hs = 0, t_rec = 0;
    for (int i = 0; i < reps; i++) {
        hush_channel_config ci, cr;
        hush_channel *a = NULL, *b = NULL;
        double t0 = now_s();
        TRY(hush_channel_config_init(&ci, HUSH_CHANNEL_INITIATOR, sid, 16, 0, 1));
        TRY(hush_channel_config_init(&cr, HUSH_CHANNEL_RESPONDER, sid, 16, 1, 0));
        TRY(hush_channel_create(&a, &r, &ci, sk[0], 64, pk[1], 32, NULL));
        TRY(hush_channel_create(&b, &r, &cr, sk[1], 64, pk[0], 32, NULL));
        for (int s = 0; s < 3; s++) {
            TRY(hush_channel_next_message(s == 1 ? b : a, hs, sizeof hs, &w));
            TRY(hush_channel_receive(s == 1 ? a : b, none, 1, &n0, hs, w));
        }
        double t1 = now_s();
        TRY(hush_channel_seal(a, rec, sizeof rec, &w, plain, sizeof plain));
        TRY(hush_channel_receive(b, back, sizeof back, &n0, rec, w));
        t_hs += t1 - t0, t_rec += now_s() - t1;
        hush_channel_free(a);
        hush_channel_free(b);
    }
    printf("{\"bench\":\"channel\",\"handshake_ms\":%.4f,\"record_64k_ms\":%.4f,\"handshake_bytes\":%d,"
           "\"record_overhead_bytes\":%d}\n",
           1e3 * t_hs / reps, 1e3 * t_rec / reps, 64 + 104 + 72, HUSH_CHANNEL_OVERHEAD_BYTES);
    fprintf(stderr, "%-22s handshake %.3f ms (%d bytes), 64 KiB record sealed and opened %.3f ms\n", "channel",
            1e3 * t_hs / reps, 64 + 104 + 72, 1e3 * t_rec / reps);
    hush_rng_clear(&r);
}

static void bench_train(const char *name, const char *spec, float lr, int epochs) {
    double plain_s;
    hush_model *p = make_model(spec, HUSH_OPTIM_SGD, lr, 0, epochs, &plain_s);
    hush_model *e = make_model(spec, HUSH_OPTIM_SGD, lr, 0, 0, NULL);
    size_t n = hush_dataset_rows(train_set), in = hush_dataset_dim(train_set);
    hush_mpc_config cfg;
    TRY(hush_mpc_config_init(&cfg, HUSH_MPC_TRAIN));
    cfg.epochs = (uint32_t)epochs, cfg.batch = 32, cfg.lr = lr, cfg.shuffle_seed = 1;
    hush_mpc_stats st;
    memset(&st, 0, sizeof st);
    double t0 = now_s();
    /* raw features: the client standardises them with the model's norm before sharing */
    TRY(hush_mpc_train_run(&cfg, NULL, &st, e, hush_dataset_x(train_set), n * in, hush_dataset_labels(train_set), n,
                           NULL));
    double enc_s = (now_s() - t0) / epochs;
    float l1, a1, l2, a2;
    size_t nt = hush_dataset_rows(test_set);
    TRY(hush_model_evaluate(p, &l1, &a1, hush_dataset_x(test_set), hush_dataset_labels(test_set), nt));
    TRY(hush_model_evaluate(e, &l2, &a2, hush_dataset_x(test_set), hush_dataset_labels(test_set), nt));
    printf("{\"bench\":\"mpc-train\",\"model\":\"%s\",\"epochs\":%d,\"seconds_per_epoch\":%.4f,"
           "\"plaintext_seconds_per_epoch\":%.6f,\"slowdown\":%.0f,\"bytes_per_epoch\":%.0f,\"test_accuracy\":%.4f,"
           "\"plaintext_test_accuracy\":%.4f,\"truncations\":%llu,\"truncation_failure_probability\":0}\n",
           name, epochs, enc_s, plain_s, enc_s / plain_s, (double)st.bytes / epochs, a2, a1,
           (unsigned long long)st.truncations);
    fprintf(stderr, "%-22s train    %8.3f s/epoch (plain %.5f s, %.0fx)  %6.1f MB/epoch  acc %.3f vs %.3f\n", name,
            enc_s, plain_s, enc_s / plain_s, (double)st.bytes / epochs / 1e6, a2, a1);
    hush_model_free(p), hush_model_free(e);
}

int main(int argc, char **argv) {
    int epochs = 2;
    for (int i = 1; i + 1 < argc; i++)
        if (!strcmp(argv[i], "--epochs")) epochs = atoi(argv[i + 1]);
    if (epochs < 1) epochs = 1;
    TRY(hush_init());
    size_t len;
    char *text = (char *)bench_read_file("data/credit-g.arff", &len);
    hush_dataset *all = NULL;
    hush_rng split;
    TRY(hush_arff_parse(&all, text, len, NULL, NULL));
    free(text);
    TRY(hush_rng_init_u64(&master, 1));
    TRY(hush_rng_derive(&split, &master, "split"));
    TRY(hush_dataset_split(&train_set, &test_set, &split, all, 0.2, NULL));
    hush_model *mlp = make_model("dense:32,relu,dense:16,relu,dense:2", HUSH_OPTIM_ADAM, 0.003f, 1.0f, 10, NULL);
    hush_model *lr = make_model("dense:2", HUSH_OPTIM_SGD, 0.1f, 0, 10, NULL);
    bench_channel();
    bench_predict("credit-mlp", mlp, 1);
    bench_predict("credit-mlp", mlp, 200);
    bench_predict("logistic-regression", lr, 1);
    bench_predict("logistic-regression", lr, 200);
    bench_train("logistic-regression", "dense:2", 0.1f, epochs);
    bench_train("credit-mlp", "dense:32,relu,dense:16,relu,dense:2", 0.05f, epochs);
    hush_model_free(mlp), hush_model_free(lr);
    hush_dataset_free(all), hush_dataset_free(train_set), hush_dataset_free(test_set);
    return 0;
}
