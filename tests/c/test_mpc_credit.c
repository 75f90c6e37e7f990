/* Encrypted ML on German credit (data/credit-g.arff), every link an authenticated channel:
 * encrypted prediction with the canonical credit MLP (`hush train ... --seed 1` pipeline) gives
 * the plaintext decision for every applicant of the test split (one applicant per session,
 * decisions only), and with logits opted in they are within 1e-3; logistic regression and a
 * small MLP trained by SGD entirely on shares end within 1.5 accuracy points of the same model
 * trained in plaintext with the same schedule. */
#include <math.h>
#include <string.h>

#include "check.h"
#include "hush.h"

typedef struct prepared {
    hush_dataset *train, *test;
    hush_rng master;
} prepared;

static int prepare(prepared *p) {
    memset(p, 0, sizeof *p);
    size_t len = 0;
    unsigned char *text = check_data_file("data/credit-g.arff", &len);
    if (!text) return 0;
    hush_dataset *all = NULL;
    hush_rng split;
    CHECK_OK(hush_arff_parse(&all, (const char *)text, len, NULL, NULL));
    free(text);
    CHECK_OK(hush_rng_init_u64(&p->master, 1));
    CHECK_OK(hush_rng_derive(&split, &p->master, "split"));
    CHECK_OK(hush_dataset_split(&p->train, &p->test, &split, all, 0.2, NULL));
    hush_dataset_free(all);
    hush_rng_clear(&split);
    return p->train && p->test;
}

/* The canonical pipeline of `hush train`: model-carried input norm, "init", "shuffle". */
static hush_model *train_plain(prepared *p, const char *spec, uint32_t okind, float lr, float wd, int epochs) {
    hush_layer_spec ls[HUSH_MODEL_MAX_LAYERS];
    size_t nl = 0, in = hush_dataset_dim(p->train), n = hush_dataset_rows(p->train);
    hush_model *m = NULL;
    hush_optim *o = NULL;
    hush_optim_config oc;
    hush_rng init, shuf;
    float stats[2 * 128], loss;
    uint32_t *perm = malloc(n * sizeof *perm);
    CHECK(in <= 128 && perm);
    CHECK_OK(hush_model_spec_parse(ls, HUSH_MODEL_MAX_LAYERS, &nl, spec, NULL));
    CHECK_OK(hush_model_create(&m, ls, nl, hush_dataset_shape(p->train), 32, NULL));
    CHECK_OK(hush_dataset_norm_stats(p->train, stats, stats + in, in));
    CHECK_OK(hush_model_set_input_norm(m, stats, stats + in, in));
    CHECK_OK(hush_rng_derive(&init, &p->master, "init"));
    CHECK_OK(hush_rng_derive(&shuf, &p->master, "shuffle"));
    CHECK_OK(hush_model_init_params(m, &init));
    CHECK_OK(hush_optim_config_init(&oc, okind, lr));
    oc.weight_decay = wd;
    CHECK_OK(hush_optim_create(&o, &oc, hush_model_param_count(m), NULL));
    for (int e = 0; e < epochs; e++)
        CHECK_OK(hush_model_fit_epoch(m, &shuf, o, perm, &loss, hush_dataset_x(p->train), hush_dataset_labels(p->train),
                                      n, 32));
    hush_optim_free(o);
    hush_rng_clear(&init);
    hush_rng_clear(&shuf);
    free(perm);
    return m;
}

static void test_credit_prediction(prepared *p) {
    hush_model *m = train_plain(p, "dense:32,relu,dense:16,relu,dense:2", HUSH_OPTIM_ADAM, 0.003f, 1.0f, 10);
    if (!m) return;
    size_t n = hush_dataset_rows(p->test), in = hush_dataset_dim(p->test);
    const float *x = hush_dataset_x(p->test);
    hush_rng r;
    CHECK_OK(hush_rng_derive(&r, &p->master, "mpc"));
    hush_mpc_config cfg;
    CHECK_OK(hush_mpc_config_init(&cfg, HUSH_MPC_PREDICT)); /* one applicant per session, decisions only */
    hush_mpc_report rep;
    CHECK_OK(hush_mpc_predict_eval(&cfg, &r, &rep, m, x, n * in, hush_dataset_labels(p->test), n, NULL));
    const hush_mpc_stats *st = &rep.stats;
    printf("credit MLP, %zu applicants: decision agreement %.4f, %.0f bytes/applicant (%.0f of handshakes), "
           "%.1f rounds\n", n, rep.decision_agreement, (double)st->bytes / (double)n,
           (double)st->handshake_bytes / (double)n, (double)st->rounds / (double)st->sessions);
    CHECK(n == 200 && rep.rows == 200 && st->sessions == 200);
    CHECK_MSG(rep.decision_agreement == 1.0, "agreement %.4f", rep.decision_agreement);
    CHECK(rep.encrypted_accuracy > 0.7);
    /* logits opted in, 40 applicants per session */
    cfg.output = HUSH_MPC_OUTPUT_LOGITS, cfg.rows = 40;
    CHECK_OK(hush_mpc_predict_eval(&cfg, &r, &rep, m, x, n * in, NULL, 0, NULL));
    printf("credit MLP, logits: max |logit error| %.3g\n", rep.max_abs_logit_error);
    CHECK(rep.decision_agreement == 1.0 && rep.stats.sessions == 5);
    CHECK_MSG(rep.max_abs_logit_error <= 1e-3 && rep.max_abs_logit_error > 0, "max logit error %g",
              rep.max_abs_logit_error);
    hush_rng_clear(&r);
    hush_model_free(m);
}

static void test_credit_training(prepared *p, const char *spec, float lr, int epochs) {
    hush_model *plain = train_plain(p, spec, HUSH_OPTIM_SGD, lr, 0, epochs);
    hush_model *enc = train_plain(p, spec, HUSH_OPTIM_SGD, lr, 0, 0); /* same init, untrained */
    if (!plain || !enc) return;
    size_t n = hush_dataset_rows(p->train), in = hush_dataset_dim(p->train), nt = hush_dataset_rows(p->test);
    hush_mpc_config cfg;
    CHECK_OK(hush_mpc_config_init(&cfg, HUSH_MPC_TRAIN));
    cfg.epochs = (uint32_t)epochs, cfg.batch = 32, cfg.lr = lr, cfg.shuffle_seed = 1;
    hush_rng r;
    CHECK_OK(hush_rng_derive(&r, &p->master, "mpc"));
    hush_mpc_report rep;
    /* raw features: the data owner standardises with the model's norm before sharing */
    CHECK_OK(hush_mpc_train_eval(&cfg, &r, &rep, enc, hush_dataset_x(p->train), n * in, hush_dataset_labels(p->train),
                                 n, hush_dataset_x(p->test), nt * in, hush_dataset_labels(p->test), nt, NULL));
    float pl, pa, el, ea;
    CHECK_OK(hush_model_evaluate(plain, &pl, &pa, hush_dataset_x(p->test), hush_dataset_labels(p->test), nt));
    CHECK_OK(hush_model_evaluate(enc, &el, &ea, hush_dataset_x(p->test), hush_dataset_labels(p->test), nt));
    float maxd = 0;
    for (size_t i = 0; i < hush_model_param_count(enc); i++)
        maxd = fmaxf(maxd, fabsf(hush_model_params(enc)[i] - hush_model_params(plain)[i]));
    printf("%s, %d epochs: encrypted test accuracy %.4f, plaintext %.4f, max parameter difference %.3g, "
           "%llu truncations\n", spec, epochs, ea, pa, maxd, (unsigned long long)rep.stats.truncations);
    /* the report's plaintext reference is this test's own plaintext run */
    CHECK(rep.plaintext_test_accuracy == (double)pa && rep.test_accuracy == (double)ea);
    CHECK_NEAR(rep.max_param_difference, maxd, 1e-7);
    CHECK_MSG(fabsf(ea - pa) <= 0.015f, "encrypted %.4f vs plaintext %.4f", ea, pa);
    CHECK(pa > 0.6f); /* sanity: the plaintext run learned something */
    CHECK(maxd < 0.05f);
    CHECK(rep.stats.truncations > 0 && rep.stats.sessions == 1);
    hush_rng_clear(&r);
    hush_model_free(plain);
    hush_model_free(enc);
}

int main(void) {
    if (hush_init() != HUSH_OK) return 1;
    prepared p;
    if (!prepare(&p)) CHECK_SUMMARY(); /* data/ missing: a skip, or a failure under CI (check.h) */
    test_credit_prediction(&p);
    test_credit_training(&p, "dense:2", 0.1f, 10);
    test_credit_training(&p, "dense:16,relu,dense:2", 0.05f, 3);
    hush_dataset_free(p.train);
    hush_dataset_free(p.test);
    hush_rng_clear(&p.master);
    CHECK_SUMMARY();
}
