/* nn API: spec parser and formatter, argument validation, fault injection on every create path,
 * model file round trip, and hand-computed optimiser steps. (Gradients: test_nn_grad.c;
 * training: test_nn_train.c.) */
#include <stdint.h>

#include "check.h"
#include "hush/dp.h"
#include "hush/nn.h"
#include "io/modelfile.h"

/* ------------------------------------------------------------ spec strings */

static void test_spec_good(void) {
    hush_layer_spec L[HUSH_MODEL_MAX_LAYERS];
    size_t n, pos = 99;
    CHECK_OK(hush_model_spec_parse(L, HUSH_MODEL_MAX_LAYERS, &n, "dense:32,relu,dense:16,relu,dense:2", &pos));
    CHECK(n == 5 && pos == 0);
    CHECK(L[0].kind == HUSH_LAYER_DENSE && L[0].a == 32 && L[0].b == 0 && L[0].c == 0);
    CHECK(L[1].kind == HUSH_LAYER_RELU && L[1].a == 0);
    CHECK(L[4].kind == HUSH_LAYER_DENSE && L[4].a == 2);
    CHECK_OK(hush_model_spec_parse(L, HUSH_MODEL_MAX_LAYERS, &n,
                                   "conv:16:5,relu,maxpool,conv:32:5:same,tanh,maxpool,conv:8:3:valid,sigmoid,dense:10",
                                   NULL));
    CHECK(n == 9);
    CHECK(L[0].kind == HUSH_LAYER_CONV2D && L[0].a == 16 && L[0].b == 5 && L[0].c == HUSH_PAD_VALID);
    CHECK(L[2].kind == HUSH_LAYER_MAXPOOL);
    CHECK(L[3].kind == HUSH_LAYER_CONV2D && L[3].a == 32 && L[3].b == 5 && L[3].c == HUSH_PAD_SAME);
    CHECK(L[4].kind == HUSH_LAYER_TANH);
    CHECK(L[6].c == HUSH_PAD_VALID && L[6].b == 3);
    CHECK(L[7].kind == HUSH_LAYER_SIGMOID);
    char buf[256];
    size_t w;
    CHECK_OK(hush_model_spec_format(buf, sizeof buf, &w, L, n));
    CHECK(strcmp(buf, "conv:16:5,relu,maxpool,conv:32:5:same,tanh,maxpool,conv:8:3,sigmoid,dense:10") == 0);
    CHECK(w == strlen(buf));
    /* round trip: format(parse(format(x))) is stable */
    hush_layer_spec L2[HUSH_MODEL_MAX_LAYERS];
    size_t n2;
    CHECK_OK(hush_model_spec_parse(L2, HUSH_MODEL_MAX_LAYERS, &n2, buf, NULL));
    CHECK(n2 == n && memcmp(L, L2, n * sizeof *L) == 0);
    /* whitespace around tokens, leading zeros, limits */
    CHECK_OK(hush_model_spec_parse(L, HUSH_MODEL_MAX_LAYERS, &n, " dense:007 ,\trelu , dense:65536", NULL));
    CHECK(n == 3 && L[0].a == 7 && L[2].a == 65536);
    CHECK_OK(hush_model_spec_parse(L, HUSH_MODEL_MAX_LAYERS, &n, "conv:1:15", NULL));
    CHECK(L[0].b == 15);
    /* exactly HUSH_MODEL_MAX_LAYERS layers fit */
    char big[HUSH_MODEL_MAX_LAYERS * 5 + 1] = "";
    for (int i = 0; i < HUSH_MODEL_MAX_LAYERS; i++) strcat(big, i ? ",relu" : "relu");
    CHECK_OK(hush_model_spec_parse(L, HUSH_MODEL_MAX_LAYERS, &n, big, NULL));
    CHECK(n == HUSH_MODEL_MAX_LAYERS);
    /* format: exact fit, one short (needed length reported), size query */
    CHECK_OK(hush_model_spec_parse(L, HUSH_MODEL_MAX_LAYERS, &n, "dense:3,relu", NULL));
    CHECK_OK(hush_model_spec_format(buf, 13, &w, L, n));
    CHECK(w == 12 && strcmp(buf, "dense:3,relu") == 0);
    CHECK_RC(hush_model_spec_format(buf, 12, &w, L, n), HUSH_ERANGE);
    CHECK(w == 12 && buf[0] == 0);
    CHECK_RC(hush_model_spec_format(NULL, 0, &w, L, n), HUSH_ERANGE);
    CHECK(w == 12);
}

static void test_spec_bad(void) {
    struct {
        const char *s;
        size_t pos;
        int rc;
    } bad[] = {
        {"", 0, HUSH_EFORMAT},
        {"dense", 0, HUSH_EFORMAT},
        {"dense:", 0, HUSH_EFORMAT},
        {"dense:0", 0, HUSH_EFORMAT},
        {"dense:65537", 0, HUSH_EFORMAT},
        {"dense:99999999999", 0, HUSH_EFORMAT},
        {"dense:3,", 8, HUSH_EFORMAT},
        {"dense:3,,relu", 8, HUSH_EFORMAT},
        {"dense:3,rleu", 8, HUSH_EFORMAT},
        {"relu,dense:-3", 5, HUSH_EFORMAT},
        {"relu,dense:3x", 5, HUSH_EFORMAT},
        {"relu,dense:3:1", 5, HUSH_EFORMAT},
        {"RELU", 0, HUSH_EFORMAT},
        {"relu,conv:16", 5, HUSH_EFORMAT},
        {"relu,conv:16:", 5, HUSH_EFORMAT},
        {"relu, conv:16:0", 6, HUSH_EFORMAT},
        {"relu,conv:16:16", 5, HUSH_EFORMAT},
        {"relu,conv:0:3", 5, HUSH_EFORMAT},
        {"relu,conv:4:3:full", 5, HUSH_EFORMAT},
        {"relu,conv:4:3:same:", 5, HUSH_EFORMAT},
        {"relu,maxpool:2", 5, HUSH_EFORMAT},
        {"dense: 3", 0, HUSH_EFORMAT},
        {"relu relu", 0, HUSH_EFORMAT},
    };
    hush_layer_spec L[HUSH_MODEL_MAX_LAYERS];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        size_t n = 77, pos = 77;
        int rc = hush_model_spec_parse(L, HUSH_MODEL_MAX_LAYERS, &n, bad[i].s, &pos);
        CHECK_MSG(rc == bad[i].rc && pos == bad[i].pos, "\"%s\": rc %d pos %zu, want %d at %zu", bad[i].s, rc, pos,
                  bad[i].rc, bad[i].pos);
        CHECK(n == 0);
    }
    /* too many layers for HUSH_MODEL_MAX_LAYERS; too many for the caller's array */
    char big[(HUSH_MODEL_MAX_LAYERS + 1) * 5 + 1] = "";
    for (int i = 0; i <= HUSH_MODEL_MAX_LAYERS; i++) strcat(big, i ? ",relu" : "relu");
    size_t n, pos;
    CHECK_RC(hush_model_spec_parse(L, HUSH_MODEL_MAX_LAYERS, &n, big, &pos), HUSH_EFORMAT);
    CHECK(pos == (size_t)HUSH_MODEL_MAX_LAYERS * 5);
    CHECK_RC(hush_model_spec_parse(L, 2, &n, "relu,tanh,relu", &pos), HUSH_ERANGE);
    CHECK(pos == 10);
    CHECK_RC(hush_model_spec_parse(NULL, 2, &n, "relu", &pos), HUSH_EARG);
    CHECK_RC(hush_model_spec_parse(L, 2, NULL, "relu", &pos), HUSH_EARG);
    CHECK_RC(hush_model_spec_parse(L, 2, &n, NULL, &pos), HUSH_EARG);
    /* format refuses invalid layers */
    hush_layer_spec badl = {HUSH_LAYER_DENSE, 0, 0, 0};
    char buf[64];
    size_t w;
    CHECK_RC(hush_model_spec_format(buf, sizeof buf, &w, &badl, 1), HUSH_EFORMAT);
    badl.kind = 99;
    CHECK_RC(hush_model_spec_format(buf, sizeof buf, &w, &badl, 1), HUSH_EFORMAT);
    CHECK_RC(hush_model_spec_format(buf, sizeof buf, NULL, L, 1), HUSH_EARG);
}

/* ------------------------------------------------------------ create and validation */

static hush_model *make(const char *spec, hush_shape in, uint32_t max_batch) {
    hush_layer_spec L[HUSH_MODEL_MAX_LAYERS];
    size_t n;
    hush_model *m = NULL;
    if (hush_model_spec_parse(L, HUSH_MODEL_MAX_LAYERS, &n, spec, NULL) != HUSH_OK) return NULL;
    if (hush_model_create(&m, L, n, in, max_batch, NULL) != HUSH_OK) return NULL;
    return m;
}

static int create_rc(const char *spec, hush_shape in, uint32_t max_batch) {
    hush_layer_spec L[HUSH_MODEL_MAX_LAYERS];
    size_t n;
    hush_model *m = (hush_model *)&n; /* must be reset to NULL on failure */
    if (hush_model_spec_parse(L, HUSH_MODEL_MAX_LAYERS, &n, spec, NULL) != HUSH_OK) return -999;
    int rc = hush_model_create(&m, L, n, in, max_batch, NULL);
    if (rc != HUSH_OK) CHECK(m == NULL);
    hush_model_free(m);
    return rc;
}

static void test_create(void) {
    hush_shape img = {1, 28, 28}, vec = {64, 1, 1};
    hush_model *m = make("conv:16:5,relu,maxpool,conv:32:5,relu,maxpool,dense:10", img, 8);
    CHECK(m != NULL);
    if (m) {
        /* 28 -> 24 -> 12 -> 8 -> 4: 16*1*25+16 + 32*16*25+32 + 32*4*4*10+10 */
        CHECK(hush_model_param_count(m) == 416 + 12832 + 5130);
        CHECK(hush_model_input_size(m) == 784 && hush_model_output_size(m) == 10);
        CHECK(hush_model_max_batch(m) == 8 && hush_model_layer_count(m) == 7);
        hush_shape s = hush_model_input_shape(m);
        CHECK(s.c == 1 && s.h == 28 && s.w == 28);
        CHECK(hush_model_layers(m)[3].a == 32);
        /* zeroed at create */
        size_t nz = 0;
        for (size_t i = 0; i < hush_model_param_count(m); i++) nz += hush_model_params(m)[i] != 0.0f;
        CHECK(nz == 0);
        hush_model_free(m);
    }
    m = make("conv:4:5:same,maxpool,dense:3", img, 2); /* same keeps 28x28 -> pool 14 */
    CHECK(m && hush_model_param_count(m) == 4 * 25 + 4 + 4 * 14 * 14 * 3 + 3);
    hush_model_free(m);
    m = make("dense:50,relu,dense:50,relu,dense:10", vec, 32);
    CHECK(m && hush_model_param_count(m) == 64 * 50 + 50 + 50 * 50 + 50 + 50 * 10 + 10);
    hush_model_free(m);
    hush_model_free(NULL);
    CHECK(hush_model_param_count(NULL) == 0 && hush_model_params(NULL) == NULL);

    /* shapes that collapse */
    hush_shape small = {1, 4, 4};
    CHECK(create_rc("conv:2:5", small, 1) == HUSH_ESHAPE);
    CHECK(create_rc("conv:2:5:same", small, 1) == HUSH_OK);
    CHECK(create_rc("maxpool,maxpool,maxpool", small, 1) == HUSH_ESHAPE);
    CHECK(create_rc("maxpool,maxpool", small, 1) == HUSH_OK);
    hush_shape line = {3, 1, 5};
    CHECK(create_rc("maxpool", line, 1) == HUSH_ESHAPE);
    hush_shape zero = {0, 4, 4};
    CHECK(create_rc("dense:2", zero, 1) == HUSH_ESHAPE);
    CHECK(create_rc("dense:2", small, 0) == HUSH_ERANGE);
    CHECK(create_rc("dense:2", small, HUSH_MODEL_MAX_BATCH + 1) == HUSH_ERANGE);
    CHECK(create_rc("dense:2", small, HUSH_MODEL_MAX_BATCH) == HUSH_OK);
    hush_shape huge = {65536, 65536, 1};
    CHECK(create_rc("dense:65536", huge, 1) == HUSH_ERANGE); /* > HUSH_MODEL_MAX_PARAMS */
    hush_shape too_big = {65537, 1, 1};
    CHECK(create_rc("dense:2", too_big, 1) == HUSH_ERANGE);

    hush_layer_spec L[2] = {{HUSH_LAYER_DENSE, 3, 0, 0}, {HUSH_LAYER_RELU, 0, 0, 0}};
    CHECK_RC(hush_model_create(&m, L, 0, small, 1, NULL), HUSH_ERANGE);
    CHECK_RC(hush_model_create(&m, L, HUSH_MODEL_MAX_LAYERS + 1, small, 1, NULL), HUSH_ERANGE);
    CHECK_RC(hush_model_create(NULL, L, 2, small, 1, NULL), HUSH_EARG);
    CHECK_RC(hush_model_create(&m, NULL, 2, small, 1, NULL), HUSH_EARG);
    L[1].a = 1; /* relu takes no argument */
    CHECK_RC(hush_model_create(&m, L, 2, small, 1, NULL), HUSH_EFORMAT);
    L[1].a = 0, L[1].kind = 0;
    CHECK_RC(hush_model_create(&m, L, 2, small, 1, NULL), HUSH_EFORMAT);
    hush_allocator half = {NULL, NULL, NULL};
    L[1].kind = HUSH_LAYER_RELU;
    CHECK_RC(hush_model_create(&m, L, 2, small, 1, &half), HUSH_EARG);
}

static void test_validation(void) {
    hush_shape in = {3, 1, 1};
    hush_model *m = make("dense:4,relu,dense:3", in, 4);
    if (!m) {
        CHECK(0);
        return;
    }
    hush_rng rng;
    CHECK_OK(hush_rng_init_u64(&rng, 1));
    CHECK_OK(hush_model_init_params(m, &rng));
    CHECK_RC(hush_model_init_params(NULL, &rng), HUSH_EARG);
    CHECK_RC(hush_model_init_params(m, NULL), HUSH_EARG);
    float x[15] = {0.1f, 0.2f, 0.3f, 1, 2, 3, -1, 0, 1, 0.5f, 0.5f, 0.5f, 9, 8, 7};
    uint32_t y[5] = {0, 1, 2, 1, 0}, ybad[2] = {0, 3};
    float logits[15], loss, acc, norms[5], g[64];
    uint32_t pred[5];
    size_t np = hush_model_param_count(m);
    CHECK_RC(hush_model_forward(NULL, logits, 12, x, 4), HUSH_EARG);
    CHECK_RC(hush_model_forward(m, NULL, 12, x, 4), HUSH_EARG);
    CHECK_RC(hush_model_forward(m, logits, 12, NULL, 4), HUSH_EARG);
    CHECK_RC(hush_model_forward(m, logits, 12, x, 0), HUSH_ERANGE);
    CHECK_RC(hush_model_forward(m, logits, 15, x, 5), HUSH_ERANGE);
    CHECK_RC(hush_model_forward(m, logits, 11, x, 4), HUSH_ESHAPE);
    CHECK_OK(hush_model_forward(m, logits, 12, x, 4));
    CHECK_RC(hush_model_backward(m, NULL, x, y, 2), HUSH_EARG);
    CHECK_RC(hush_model_backward(m, &loss, x, NULL, 2), HUSH_EARG);
    CHECK_RC(hush_model_backward(m, &loss, x, y, 0), HUSH_ERANGE);
    CHECK_RC(hush_model_backward(m, &loss, x, y, 5), HUSH_ERANGE);
    CHECK_RC(hush_model_backward(m, &loss, x, ybad, 2), HUSH_ERANGE);
    CHECK_RC(hush_model_backward_examples(m, &loss, norms, x, ybad, 2), HUSH_ERANGE);
    /* grad_weighted and example_grad need a valid backward_examples of the same batch */
    CHECK_RC(hush_model_grad_weighted(m, norms, 2), HUSH_ESTATE);
    CHECK_RC(hush_model_example_grad(m, g, np, 0), HUSH_ESTATE);
    CHECK_OK(hush_model_backward_examples(m, &loss, norms, x, y, 3));
    CHECK_RC(hush_model_grad_weighted(m, norms, 2), HUSH_ESHAPE);
    CHECK_RC(hush_model_grad_weighted(m, NULL, 3), HUSH_EARG);
    CHECK_OK(hush_model_grad_weighted(m, norms, 3));
    CHECK_RC(hush_model_example_grad(m, g, np, 3), HUSH_ERANGE);
    CHECK_RC(hush_model_example_grad(m, g, np - 1, 0), HUSH_ESHAPE);
    CHECK_RC(hush_model_example_grad(m, NULL, np, 0), HUSH_EARG);
    CHECK_OK(hush_model_example_grad(m, g, np, 2));
    CHECK_OK(hush_model_forward(m, logits, 12, x, 4)); /* overwrites the stored activations */
    CHECK_RC(hush_model_example_grad(m, g, np, 0), HUSH_ESTATE);
    /* predict/evaluate: any n, in chunks of max_batch */
    CHECK_RC(hush_model_predict(m, pred, x, 0), HUSH_ERANGE);
    CHECK_RC(hush_model_predict(m, NULL, x, 5), HUSH_EARG);
    CHECK_OK(hush_model_predict(m, pred, x, 5));
    CHECK_OK(hush_model_forward(m, logits, 15, x + 12, 1));
    uint32_t best = logits[0] >= logits[1] ? (logits[0] >= logits[2] ? 0 : 2) : (logits[1] >= logits[2] ? 1 : 2);
    CHECK(pred[4] == best);
    CHECK_RC(hush_model_evaluate(m, &loss, &acc, x, ybad, 2), HUSH_ERANGE);
    CHECK_RC(hush_model_evaluate(m, &loss, &acc, x, y, 0), HUSH_ERANGE);
    CHECK_RC(hush_model_evaluate(m, NULL, &acc, x, y, 5), HUSH_EARG);
    CHECK_OK(hush_model_evaluate(m, &loss, &acc, x, y, 5));
    size_t hits = 0;
    for (int i = 0; i < 5; i++) hits += pred[i] == y[i];
    CHECK(acc == (float)hits / 5.0f);
    /* evaluate's mean loss over 5 examples (chunks 4 + 1) equals the weighted batch losses */
    float l4, l1;
    CHECK_OK(hush_model_backward(m, &l4, x, y, 4));
    CHECK_OK(hush_model_backward(m, &l1, x + 12, y + 4, 1));
    CHECK_NEAR(loss, (4.0 * l4 + l1) / 5.0, 1e-6);
    /* non-finite: a NaN parameter poisons the loss */
    float *p = hush_model_params(m);
    float save = p[np - 1];
    p[np - 1] = NAN;
    CHECK_RC(hush_model_backward(m, &loss, x, y, 2), HUSH_ENUMERIC);
    CHECK_RC(hush_model_evaluate(m, &loss, &acc, x, y, 5), HUSH_ENUMERIC);
    CHECK_RC(hush_model_example_grad(m, g, np, 0), HUSH_ESTATE);
    p[np - 1] = INFINITY;
    CHECK_RC(hush_model_backward_examples(m, &loss, norms, x, y, 2), HUSH_ENUMERIC);
    p[np - 1] = save;
    /* huge but finite logits stay finite: the softmax subtracts the max */
    for (size_t i = 0; i < 4; i++) p[np - 3 + i % 3] = 1e30f;
    p[np - 3] = -1e30f;
    CHECK_OK(hush_model_backward(m, &loss, x, y, 2));
    hush_rng_clear(&rng);
    hush_model_free(m);
}

/* ------------------------------------------------------------ optimisers */

static void test_optim(void) {
    hush_optim_config c;
    hush_optim *o = NULL;
    float p[2], g[2];
    /* SGD: p = 1 - 0.1 * 0.5 = 0.95 */
    CHECK_OK(hush_optim_config_init(&c, HUSH_OPTIM_SGD, 0.1f));
    CHECK_OK(hush_optim_create(&o, &c, 2, NULL));
    p[0] = 1, p[1] = -2, g[0] = 0.5f, g[1] = -1;
    CHECK_OK(hush_optim_step(o, p, g, 2));
    CHECK(p[0] == 1.0f - 0.1f * 0.5f && p[1] == -2.0f + 0.1f);
    CHECK_NEAR(p[0], 0.95, 1e-7);
    CHECK_RC(hush_optim_step(o, p, g, 3), HUSH_ESHAPE);
    CHECK_OK(hush_optim_step(o, p, g, 1)); /* a prefix: the first parameter only */
    CHECK(p[0] == 0.95f - 0.1f * 0.5f && p[1] == -2.0f + 0.1f);
    CHECK_RC(hush_optim_step(o, NULL, g, 2), HUSH_EARG);
    hush_optim_free(o);
    /* Momentum 0.9 (TF convention v = mu v + g; p -= lr v), lr 0.1, g = 0.5 twice:
     *   v1 = 0.5, p1 = 1 - 0.05 = 0.95;  v2 = 0.45 + 0.5 = 0.95, p2 = 0.95 - 0.095 = 0.855 */
    CHECK_OK(hush_optim_config_init(&c, HUSH_OPTIM_MOMENTUM, 0.1f));
    CHECK(c.momentum == 0.9f);
    CHECK_OK(hush_optim_create(&o, &c, 1, NULL));
    p[0] = 1, g[0] = 0.5f;
    CHECK_OK(hush_optim_step(o, p, g, 1));
    CHECK_NEAR(p[0], 0.95, 1e-7);
    CHECK_OK(hush_optim_step(o, p, g, 1));
    CHECK_NEAR(p[0], 0.855, 1e-7);
    hush_optim_free(o);
    /* Adam (TF.js), lr 0.1, b1 0.9, b2 0.999, eps 1e-7; g = 0.5 then -1:
     *   t=1: m = 0.05, v = 0.00025, mh = 0.5, vh = 0.25, p = 1 - 0.1*0.5/(0.5+1e-7) = 0.90000002
     *   t=2: m = 0.045 - 0.1 = -0.055, v = 0.00024975 + 0.001 = 0.00124975,
     *        mh = -0.055/0.19 = -0.28947368, vh = 0.00124975/0.001999 = 0.62518759,
     *        p = 0.90000002 + 0.1*0.28947368/(0.79068805 + 1e-7) = 0.93661037 */
    CHECK_OK(hush_optim_config_init(&c, HUSH_OPTIM_ADAM, 0.1f));
    CHECK(c.beta1 == 0.9f && c.beta2 == 0.999f && c.eps == 1e-7f);
    CHECK_OK(hush_optim_create(&o, &c, 1, NULL));
    p[0] = 1, g[0] = 0.5f;
    CHECK_OK(hush_optim_step(o, p, g, 1));
    CHECK_NEAR(p[0], 0.900000019999996, 2e-7);
    g[0] = -1;
    CHECK_OK(hush_optim_step(o, p, g, 1));
    CHECK_NEAR(p[0], 0.9366103680733917, 5e-7);
    hush_optim_free(o);
    /* bad configs */
    CHECK_RC(hush_optim_create(&o, NULL, 1, NULL), HUSH_EARG);
    CHECK_RC(hush_optim_create(NULL, &c, 1, NULL), HUSH_EARG);
    CHECK_RC(hush_optim_create(&o, &c, 0, NULL), HUSH_ERANGE);
    CHECK(o == NULL);
    c.kind = 7;
    CHECK_RC(hush_optim_create(&o, &c, 1, NULL), HUSH_EARG);
    /* config_init refuses a bad kind or learning rate and leaves a config create refuses too */
    CHECK_RC(hush_optim_config_init(&c, 3, 0.1f), HUSH_EARG);
    CHECK_RC(hush_optim_create(&o, &c, 1, NULL), HUSH_EARG);
    CHECK_RC(hush_optim_config_init(&c, HUSH_OPTIM_ADAM, -1.0f), HUSH_EARG);
    CHECK_RC(hush_optim_create(&o, &c, 1, NULL), HUSH_EARG);
    CHECK_RC(hush_optim_config_init(&c, HUSH_OPTIM_ADAM, NAN), HUSH_EARG);
    CHECK_RC(hush_optim_config_init(NULL, HUSH_OPTIM_ADAM, 0.1f), HUSH_EARG);
    /* a zeroed config (SGD at lr 0 if it were read) and a wrong version are refused */
    memset(&c, 0, sizeof c);
    CHECK_RC(hush_optim_create(&o, &c, 1, NULL), HUSH_EARG);
    CHECK_OK(hush_optim_config_init(&c, HUSH_OPTIM_SGD, 0.1f));
    c.version++;
    CHECK_RC(hush_optim_create(&o, &c, 1, NULL), HUSH_EARG);
    /* a valid config changed afterwards is still checked by create */
    CHECK_OK(hush_optim_config_init(&c, HUSH_OPTIM_ADAM, 0.1f));
    c.lr = -1.0f;
    CHECK_RC(hush_optim_create(&o, &c, 1, NULL), HUSH_ERANGE);
    c.lr = NAN;
    CHECK_RC(hush_optim_create(&o, &c, 1, NULL), HUSH_ERANGE);
    CHECK(o == NULL);
    CHECK_OK(hush_optim_config_init(&c, HUSH_OPTIM_ADAM, 0.1f));
    c.beta2 = 1.0f;
    CHECK_RC(hush_optim_create(&o, &c, 1, NULL), HUSH_ERANGE);
    c.beta2 = 0.999f, c.eps = 0;
    CHECK_RC(hush_optim_create(&o, &c, 1, NULL), HUSH_ERANGE);
    CHECK_OK(hush_optim_config_init(&c, HUSH_OPTIM_MOMENTUM, 0.1f));
    c.momentum = -0.5f;
    CHECK_RC(hush_optim_create(&o, &c, 1, NULL), HUSH_ERANGE);
    hush_optim_free(NULL);

    /* model_step = backward + optimiser step; mismatched optimiser size is refused */
    hush_shape in = {2, 1, 1};
    hush_model *m = make("dense:2", in, 2);
    CHECK_OK(hush_optim_config_init(&c, HUSH_OPTIM_SGD, 0.5f));
    CHECK_OK(hush_optim_create(&o, &c, 5, NULL));
    float x[2] = {1, -1}, loss;
    uint32_t y = 0;
    CHECK_RC(hush_model_step(m, o, &loss, x, &y, 1), HUSH_ESHAPE);
    hush_optim_free(o);
    CHECK_OK(hush_optim_create(&o, &c, 6, NULL));
    CHECK_RC(hush_model_step(m, NULL, &loss, x, &y, 1), HUSH_EARG);
    CHECK_OK(hush_model_step(m, o, &loss, x, &y, 1));
    /* zero params: logits 0, p = 0.5 each, delta = (-0.5, 0.5); W -= 0.5 * x^T delta */
    const float *pp = hush_model_params(m);
    CHECK(pp[0] == 0.25f && pp[1] == -0.25f && pp[2] == -0.25f && pp[3] == 0.25f);
    CHECK(pp[4] == 0.25f && pp[5] == -0.25f);
    CHECK_NEAR(loss, 0.6931471805599453, 1e-7);
    hush_optim_free(o);
    hush_model_free(m);
}

/* ------------------------------------------------------------ fault injection */

static void test_fault_injection(void) {
    hush_layer_spec L[HUSH_MODEL_MAX_LAYERS];
    size_t n;
    CHECK_OK(hush_model_spec_parse(L, HUSH_MODEL_MAX_LAYERS, &n, "conv:2:3,relu,maxpool,dense:3", NULL));
    hush_shape in = {1, 8, 8};
    int created = 0;
    for (long k = 1; k < 50 && !created; k++) {
        check_alloc ca = {0, k, 0, 0};
        hush_allocator a = CHECK_ALLOCATOR(ca);
        hush_model *m = (hush_model *)&ca;
        int rc = hush_model_create(&m, L, n, in, 4, &a);
        if (rc == HUSH_OK) {
            created = 1;
            CHECK(ca.calls == k - 1); /* every allocation was tried before success */
            hush_model_free(m);
        } else {
            CHECK_MSG(rc == HUSH_ENOMEM && m == NULL, "model alloc %ld: rc %d", k, rc);
        }
        CHECK_MSG(ca.live_blocks == 0 && ca.live_bytes == 0, "model alloc %ld leaked %ld", k, ca.live_blocks);
    }
    CHECK(created);
    for (uint32_t kind = 0; kind <= HUSH_OPTIM_ADAM; kind++) {
        created = 0;
        for (long k = 1; k < 10 && !created; k++) {
            check_alloc ca = {0, k, 0, 0};
            hush_allocator a = CHECK_ALLOCATOR(ca);
            hush_optim_config c;
            CHECK_OK(hush_optim_config_init(&c, kind, 0.1f));
            hush_optim *o = (hush_optim *)&ca;
            int rc = hush_optim_create(&o, &c, 100, &a);
            if (rc == HUSH_OK) {
                created = 1;
                float p[100] = {0}, g[100] = {0};
                CHECK_OK(hush_optim_step(o, p, g, 100));
                hush_optim_free(o);
            } else {
                CHECK_MSG(rc == HUSH_ENOMEM && o == NULL, "optim %u alloc %ld: rc %d", kind, k, rc);
            }
            CHECK(ca.live_blocks == 0 && ca.live_bytes == 0);
        }
        CHECK(created);
    }
    /* load allocates too */
    hush_model *m = NULL;
    CHECK_OK(hush_model_create(&m, L, n, in, 4, NULL));
    size_t len = hush_model_save_size(m), w;
    uint8_t *buf = malloc(len);
    CHECK_OK(hush_model_save(m, buf, len, &w));
    hush_model_free(m);
    created = 0;
    for (long k = 1; k < 50 && !created; k++) {
        check_alloc ca = {0, k, 0, 0};
        hush_allocator a = CHECK_ALLOCATOR(ca);
        int rc = hush_model_load(&m, buf, len, 4, &a);
        if (rc == HUSH_OK) {
            created = 1;
            hush_model_free(m);
        } else {
            CHECK_MSG(rc == HUSH_ENOMEM && m == NULL, "load alloc %ld: rc %d", k, rc);
        }
        CHECK(ca.live_blocks == 0 && ca.live_bytes == 0);
    }
    CHECK(created);
    free(buf);
}

/* Everything after create runs in memory sized at create: no call reaches the allocator. */
static void test_no_allocation_after_create(void) {
    check_alloc ca = {0, 0, 0, 0};
    hush_allocator a = CHECK_ALLOCATOR(ca);
    hush_layer_spec L[HUSH_MODEL_MAX_LAYERS];
    size_t n;
    CHECK_OK(hush_model_spec_parse(L, HUSH_MODEL_MAX_LAYERS, &n, "conv:2:3:same,relu,maxpool,dense:4,tanh,dense:3",
                                   NULL));
    hush_shape in = {1, 6, 6};
    hush_model *m = NULL;
    hush_optim *o = NULL;
    hush_optim_config c;
    CHECK_OK(hush_optim_config_init(&c, HUSH_OPTIM_ADAM, 0.01f));
    CHECK_OK(hush_model_create(&m, L, n, in, 4, &a));
    if (!m) return;
    CHECK_OK(hush_optim_create(&o, &c, hush_model_param_count(m), &a));
    long calls = ca.calls;
    hush_rng rng;
    CHECK_OK(hush_rng_init_u64(&rng, 3));
    CHECK_OK(hush_model_init_params(m, &rng));
    float x[10 * 36], loss, acc, norms[4], logits[12];
    uint32_t y[10], perm[10], pred[10];
    for (int i = 0; i < 360; i++) x[i] = (float)hush_rng_uniform(&rng);
    for (int i = 0; i < 10; i++) y[i] = (uint32_t)(i % 3);
    CHECK_OK(hush_model_fit_epoch(m, &rng, o, perm, &loss, x, y, 10, 4));
    CHECK_OK(hush_model_step(m, o, &loss, x, y, 4));
    CHECK_OK(hush_model_backward_examples(m, &loss, norms, x, y, 4));
    CHECK_OK(hush_model_grad_weighted(m, norms, 4));
    float *g = malloc(hush_model_param_count(m) * sizeof(float));
    CHECK_OK(hush_model_example_grad(m, g, hush_model_param_count(m), 3));
    CHECK_OK(hush_model_forward(m, logits, 12, x, 4));
    CHECK_OK(hush_model_predict(m, pred, x, 10));
    CHECK_OK(hush_model_evaluate(m, &loss, &acc, x, y, 10));
    CHECK(ca.calls == calls);
    free(g);
    hush_rng_clear(&rng);
    hush_optim_free(o);
    hush_model_free(m);
    CHECK(ca.live_blocks == 0 && ca.live_bytes == 0);
}

/* ------------------------------------------------------------ model file */

static void test_save_load(void) {
    hush_shape in = {2, 7, 6};
    hush_model *m = make("conv:3:3:same,tanh,maxpool,dense:5,sigmoid,dense:4", in, 3);
    if (!m) {
        CHECK(0);
        return;
    }
    hush_rng rng;
    CHECK_OK(hush_rng_init_u64(&rng, 7));
    CHECK_OK(hush_model_init_params(m, &rng));
    size_t np = hush_model_param_count(m);
    hush_model_params(m)[np - 1] = 0.125f; /* a non-zero bias */
    size_t len = hush_model_save_size(m), w = 0;
    CHECK(len == hush__modelfile_size(6, np, 0));
    uint8_t *buf = malloc(len + 1);
    CHECK_RC(hush_model_save(m, buf, len - 1, &w), HUSH_ERANGE);
    CHECK_RC(hush_model_save(NULL, buf, len, &w), HUSH_EARG);
    CHECK_OK(hush_model_save(m, buf, len, &w));
    CHECK(w == len);
    hush_model *m2 = NULL;
    CHECK_OK(hush_model_load(&m2, buf, len, 5, NULL));
    if (m2) {
        CHECK(hush_model_max_batch(m2) == 5);
        CHECK(hush_model_param_count(m2) == np);
        CHECK(memcmp(hush_model_params(m2), hush_model_params(m), np * sizeof(float)) == 0);
        CHECK(hush_model_layer_count(m2) == 6);
        CHECK(memcmp(hush_model_layers(m2), hush_model_layers(m), 6 * sizeof(hush_layer_spec)) == 0);
        hush_shape s = hush_model_input_shape(m2);
        CHECK(s.c == 2 && s.h == 7 && s.w == 6);
        float x[84 * 2], z1[8], z2[8];
        for (int i = 0; i < 168; i++) x[i] = (float)((i * 37) % 19) / 7.0f - 1.0f;
        CHECK_OK(hush_model_forward(m, z1, 8, x, 2));
        CHECK_OK(hush_model_forward(m2, z2, 8, x, 2));
        CHECK(memcmp(z1, z2, sizeof z1) == 0);
        /* saving the loaded model gives the same bytes */
        uint8_t *buf2 = malloc(len);
        CHECK_OK(hush_model_save(m2, buf2, len, &w));
        CHECK(memcmp(buf, buf2, len) == 0);
        free(buf2);
        hush_model_free(m2);
    }
    m2 = (hush_model *)buf;
    CHECK_RC(hush_model_load(&m2, buf, len, 0, NULL), HUSH_ERANGE);
    CHECK(m2 == NULL);
    CHECK_RC(hush_model_load(&m2, NULL, len, 1, NULL), HUSH_EARG);
    CHECK_RC(hush_model_load(&m2, buf, len - 1, 1, NULL), HUSH_ETRUNC);
    buf[len - 1] ^= 1;
    CHECK_RC(hush_model_load(&m2, buf, len, 1, NULL), HUSH_ECHECKSUM);
    free(buf);

    /* well-formed files whose architecture does not match: wrong parameter count, layers that do
     * not fit the input */
    hush_layer_spec L[2] = {{HUSH_LAYER_DENSE, 3, 0, 0}, {HUSH_LAYER_RELU, 0, 0, 0}};
    hush_shape in2 = {4, 1, 1};
    float params[16] = {0};
    uint8_t fb[512];
    CHECK_OK(hush__modelfile_encode(fb, sizeof fb, &w, in2, L, 2, params, 15, NULL, 0)); /* 4*3+3 = 15 */
    CHECK_OK(hush_model_load(&m2, fb, w, 1, NULL));
    hush_model_free(m2);
    CHECK_OK(hush__modelfile_encode(fb, sizeof fb, &w, in2, L, 2, params, 16, NULL, 0));
    CHECK_RC(hush_model_load(&m2, fb, w, 1, NULL), HUSH_EFORMAT);
    CHECK_OK(hush__modelfile_encode(fb, sizeof fb, &w, in2, L, 2, params, 14, NULL, 0));
    CHECK_RC(hush_model_load(&m2, fb, w, 1, NULL), HUSH_EFORMAT);
    hush_layer_spec C[1] = {{HUSH_LAYER_CONV2D, 1, 3, HUSH_PAD_VALID}};
    hush_shape in3 = {1, 2, 2};
    CHECK_OK(hush__modelfile_encode(fb, sizeof fb, &w, in3, C, 1, params, 10, NULL, 0));
    CHECK_RC(hush_model_load(&m2, fb, w, 1, NULL), HUSH_EFORMAT);
    CHECK_OK(hush__modelfile_encode(fb, sizeof fb, &w, in3, C, 0, params, 0, NULL, 0));
    CHECK_RC(hush_model_load(&m2, fb, w, 1, NULL), HUSH_EFORMAT); /* no layers */
    hush_rng_clear(&rng);
    hush_model_free(m);
}

/* A model with an input norm on raw data computes exactly what the same model without one computes
 * on data standardised by hush_dataset_standardize's formula, trains identically, and keeps the
 * norm through save/load. */
static void test_input_norm(void) {
    hush_layer_spec L[3] = {{HUSH_LAYER_DENSE, 5, 0, 0}, {HUSH_LAYER_TANH, 0, 0, 0}, {HUSH_LAYER_DENSE, 3, 0, 0}};
    hush_shape in = {4, 1, 1};
    hush_model *a = NULL, *b = NULL, *c = NULL;
    CHECK_OK(hush_model_create(&a, L, 3, in, 8, NULL));
    CHECK_OK(hush_model_create(&b, L, 3, in, 8, NULL));
    if (!a || !b) return;
    hush_rng r1, r2;
    CHECK_OK(hush_rng_init_u64(&r1, 5));
    r2 = r1;
    CHECK_OK(hush_model_init_params(a, &r1));
    CHECK_OK(hush_model_init_params(b, &r2));
    float shift[4] = {10, -3, 0.5f, 0}, scale[4] = {0.1f, 2, 1, 0.25f};
    float raw[8 * 4], std[8 * 4];
    uint32_t y[8];
    for (int i = 0; i < 8 * 4; i++) raw[i] = (float)((i * 7919) % 23) - 11.0f;
    raw[5] = NAN; /* missing -> 0, the training mean */
    for (int i = 0; i < 8; i++) y[i] = (uint32_t)(i % 3);
    for (int i = 0; i < 8 * 4; i++) std[i] = raw[i] != raw[i] ? 0.0f : (raw[i] - shift[i % 4]) * scale[i % 4];
    float sh[4], sc[4];
    CHECK_RC(hush_model_input_norm(a, sh, sc, 4), HUSH_ESTATE);
    CHECK_RC(hush_model_set_input_norm(a, shift, scale, 3), HUSH_ESHAPE);
    CHECK_RC(hush_model_set_input_norm(a, shift, NULL, 4), HUSH_EARG);
    float bad[4] = {0, INFINITY, 0, 0};
    CHECK_RC(hush_model_set_input_norm(a, shift, bad, 4), HUSH_ENUMERIC);
    CHECK_OK(hush_model_set_input_norm(a, shift, scale, 4));
    CHECK_OK(hush_model_input_norm(a, sh, sc, 4));
    CHECK(memcmp(sh, shift, sizeof sh) == 0 && memcmp(sc, scale, sizeof sc) == 0);
    float la[24], lb[24];
    CHECK_OK(hush_model_forward(a, la, 24, raw, 8));
    CHECK_OK(hush_model_forward(b, lb, 24, std, 8));
    CHECK(memcmp(la, lb, sizeof la) == 0);
    hush_optim_config oc;
    hush_optim *oa = NULL, *ob = NULL;
    CHECK_OK(hush_optim_config_init(&oc, HUSH_OPTIM_ADAM, 0.01f));
    CHECK_OK(hush_optim_create(&oa, &oc, hush_model_param_count(a), NULL));
    CHECK_OK(hush_optim_create(&ob, &oc, hush_model_param_count(b), NULL));
    uint32_t perm[8];
    float loss_a, loss_b;
    CHECK_OK(hush_rng_init_u64(&r1, 9));
    r2 = r1;
    for (int e = 0; e < 3; e++) {
        CHECK_OK(hush_model_fit_epoch(a, &r1, oa, perm, &loss_a, raw, y, 8, 3));
        CHECK_OK(hush_model_fit_epoch(b, &r2, ob, perm, &loss_b, std, y, 8, 3));
    }
    CHECK(loss_a == loss_b);
    CHECK(memcmp(hush_model_params(a), hush_model_params(b), hush_model_param_count(a) * sizeof(float)) == 0);
    /* save/load keeps the norm; the file grows by 2*4 floats */
    size_t na = hush_model_save_size(a), nb = hush_model_save_size(b), w = 0;
    CHECK(na == nb + 32);
    uint8_t *buf = malloc(na);
    CHECK_OK(hush_model_save(a, buf, na, &w));
    CHECK_OK(hush_model_load(&c, buf, w, 8, NULL));
    if (c) {
        float lc[24];
        CHECK_OK(hush_model_forward(c, lc, 24, raw, 8));
        CHECK_OK(hush_model_forward(a, la, 24, raw, 8));
        CHECK(memcmp(la, lc, sizeof la) == 0);
    }
    /* removing it */
    CHECK_OK(hush_model_set_input_norm(a, NULL, NULL, 0));
    CHECK_RC(hush_model_input_norm(a, sh, sc, 4), HUSH_ESTATE);
    CHECK(hush_model_save_size(a) == nb);
    free(buf);
    hush_optim_free(oa);
    hush_optim_free(ob);
    hush_model_free(a);
    hush_model_free(b);
    hush_model_free(c);
}

/* ------------------------------------------------------------ frozen head */

/* hush_model_freeze_head: plain steps (Adam with weight decay, whose decay alone would move a
 * parameter) and DP-SGD (whose noise covers every coordinate) leave the head's parameters bit for
 * bit and train the rest; thawing trains the head again. */
static void test_freeze_head(void) {
    hush_layer_spec L[HUSH_MODEL_MAX_LAYERS];
    size_t n;
    CHECK_OK(hush_model_spec_parse(L, HUSH_MODEL_MAX_LAYERS, &n, "conv:2:3:same,relu,maxpool,dense:4,tanh,dense:3",
                                   NULL));
    hush_shape in = {1, 6, 6};
    hush_model *m = NULL;
    CHECK_OK(hush_model_create(&m, L, n, in, 10, NULL));
    size_t np = hush_model_param_count(m), head = 4 * 3 + 3;
    CHECK(hush_model_trainable_count(m) == np);
    CHECK_OK(hush_model_freeze_head(m, 1));
    CHECK(hush_model_trainable_count(m) == np - head);
    hush_rng rng;
    CHECK_OK(hush_rng_init_u64(&rng, 5));
    CHECK_OK(hush_model_init_params(m, &rng));
    float x[10 * 36], loss, *p0 = malloc(np * sizeof(float));
    uint32_t y[10], perm[10];
    for (int i = 0; i < 360; i++) x[i] = (float)hush_rng_uniform(&rng);
    for (int i = 0; i < 10; i++) y[i] = (uint32_t)(i % 3);
    memcpy(p0, hush_model_params(m), np * sizeof(float));
    hush_optim_config c;
    hush_optim *o = NULL;
    CHECK_OK(hush_optim_config_init(&c, HUSH_OPTIM_ADAM, 0.01f));
    c.weight_decay = 0.1f;
    CHECK_OK(hush_optim_create(&o, &c, np, NULL));
    CHECK_OK(hush_model_fit_epoch(m, &rng, o, perm, &loss, x, y, 10, 4));
    CHECK_OK(hush_model_step(m, o, &loss, x, y, 4));
    const float *p = hush_model_params(m);
    CHECK(memcmp(p + np - head, p0 + np - head, head * sizeof(float)) == 0);
    CHECK(memcmp(p, p0, (np - head) * sizeof(float)) != 0);
    /* DP-SGD, noise on */
    hush_dpsgd_config dc;
    CHECK_OK(hush_dpsgd_config_init(&dc, HUSH_DPSGD_POISSON, 0.5, 1.0, 1.0));
    hush_dpsgd *dp = NULL;
    CHECK_OK(hush_dpsgd_create(&dp, &rng, m, &dc, NULL));
    CHECK_OK(hush_dpsgd_fit_epoch(dp, o, NULL, &loss, NULL, x, y, 10));
    hush_dpsgd_free(dp);
    CHECK(memcmp(p + np - head, p0 + np - head, head * sizeof(float)) == 0);
    /* thawed, the head trains */
    CHECK_OK(hush_model_freeze_head(m, 0));
    CHECK(hush_model_trainable_count(m) == np);
    CHECK_OK(hush_model_step(m, o, &loss, x, y, 4));
    CHECK(memcmp(p + np - head, p0 + np - head, head * sizeof(float)) != 0);
    hush_optim_free(o);
    hush_model_free(m);
    /* one layer with parameters: nothing would train */
    CHECK_OK(hush_model_spec_parse(L, HUSH_MODEL_MAX_LAYERS, &n, "dense:3", NULL));
    hush_shape flat = {4, 1, 1};
    CHECK_OK(hush_model_create(&m, L, n, flat, 4, NULL));
    CHECK_RC(hush_model_freeze_head(m, 1), HUSH_ESTATE);
    CHECK(hush_model_trainable_count(m) == 4 * 3 + 3);
    CHECK_RC(hush_model_freeze_head(NULL, 1), HUSH_EARG);
    hush_model_free(m);
    free(p0);
    hush_rng_clear(&rng);
}

int main(void) {
    test_spec_good();
    test_spec_bad();
    test_create();
    test_validation();
    test_optim();
    test_fault_injection();
    test_no_allocation_after_create();
    test_save_load();
    test_input_norm();
    test_freeze_head();
    CHECK_SUMMARY();
}
