/* nn training: seeded synthetic data sets that each optimiser must learn (accuracy thresholds a
 * broken backward or optimiser cannot reach), fit_epoch semantics (shuffle, partial last batch,
 * weighted mean loss) checked against a hand-written loop, reproducibility, and a golden digest
 * of a short training run that every build must reproduce bit for bit. */
#include <stdint.h>

#include "check.h"
#include "hush/nn.h"

#define TRAIN_DIGEST 0xab676c0e0c1d4990ull

typedef struct {
    size_t n, dim;
    uint32_t classes;
    float *x;
    uint32_t *y;
} dataset;

/* Three Gaussian blobs in 2-D (sd 1, centres 5.2 apart): linearly separable up to ~0.3% overlap. */
static dataset blobs(hush_rng *r, size_t n) {
    dataset d = {n, 2, 3, malloc(n * 2 * sizeof(float)), malloc(n * sizeof(uint32_t))};
    const float cx[3] = {0, 3, -3}, cy[3] = {3, -1.5f, -1.5f};
    for (size_t i = 0; i < n; i++) {
        uint32_t c = (uint32_t)check_below(r, 3);
        d.y[i] = c;
        d.x[2 * i] = cx[c] + (float)hush_rng_normal(r);
        d.x[2 * i + 1] = cy[c] + (float)hush_rng_normal(r);
    }
    return d;
}

/* Two concentric rings (radius 1 and 3, noise 0.25): not linearly separable. */
static dataset rings(hush_rng *r, size_t n) {
    dataset d = {n, 2, 2, malloc(n * 2 * sizeof(float)), malloc(n * sizeof(uint32_t))};
    for (size_t i = 0; i < n; i++) {
        uint32_t c = (uint32_t)check_below(r, 2);
        double a = 6.283185307179586 * hush_rng_uniform(r), rad = (c ? 3.0 : 1.0) + 0.25 * hush_rng_normal(r);
        /* cos/sin only build the test data; the library never calls libm */
        d.y[i] = c;
        d.x[2 * i] = (float)(rad * cos(a));
        d.x[2 * i + 1] = (float)(rad * sin(a));
    }
    return d;
}

/* 1x6x6 images holding a vertical (class 0) or horizontal (class 1) bar of random position,
 * plus noise: needs the convolution to see orientation. */
static dataset bars(hush_rng *r, size_t n) {
    dataset d = {n, 36, 2, calloc(n * 36, sizeof(float)), malloc(n * sizeof(uint32_t))};
    for (size_t i = 0; i < n; i++) {
        uint32_t c = (uint32_t)check_below(r, 2), at = (uint32_t)check_below(r, 6);
        float *img = d.x + i * 36;
        for (int k = 0; k < 36; k++) img[k] = 0.3f * (float)hush_rng_uniform(r);
        for (uint32_t k = 0; k < 6; k++) img[c ? at * 6 + k : k * 6 + at] += 1.0f;
        d.y[i] = c;
    }
    return d;
}

static void ds_free(dataset *d) {
    free(d->x);
    free(d->y);
}

static hush_model *make(const char *spec, hush_shape in, uint32_t max_batch, hush_rng *r) {
    hush_layer_spec L[HUSH_MODEL_MAX_LAYERS];
    size_t n;
    hush_model *m = NULL;
    if (hush_model_spec_parse(L, HUSH_MODEL_MAX_LAYERS, &n, spec, NULL) != HUSH_OK) return NULL;
    if (hush_model_create(&m, L, n, in, max_batch, NULL) != HUSH_OK) return NULL;
    if (hush_model_init_params(m, r) != HUSH_OK) {
        hush_model_free(m);
        return NULL;
    }
    return m;
}

/* Trains and returns test accuracy; checks the epoch loss falls. */
static float train(const char *what, const char *spec, hush_shape in, dataset *tr, dataset *te, uint32_t kind,
                   float lr, int epochs, size_t batch, uint64_t seed, int must_fit) {
    hush_rng r;
    CHECK_OK(hush_rng_init_u64(&r, seed));
    hush_model *m = make(spec, in, 64, &r);
    hush_optim_config c;
    hush_optim *o = NULL;
    CHECK_OK(hush_optim_config_init(&c, kind, lr));
    CHECK(m != NULL);
    if (!m) return 0;
    CHECK_OK(hush_optim_create(&o, &c, hush_model_param_count(m), NULL));
    uint32_t *perm = malloc(tr->n * sizeof(uint32_t));
    float first = 0, last = 0, loss, acc = 0;
    CHECK_OK(hush_model_evaluate(m, &first, &acc, tr->x, tr->y, tr->n));
    for (int e = 0; e < epochs; e++) CHECK_OK(hush_model_fit_epoch(m, &r, o, perm, &last, tr->x, tr->y, tr->n, batch));
    CHECK_OK(hush_model_evaluate(m, &loss, &acc, te->x, te->y, te->n));
    printf("  %-28s loss %.4f -> %.4f (last epoch), test loss %.4f, accuracy %.4f\n", what, first, last, loss, acc);
    if (must_fit) CHECK_MSG(last < 0.5f * first, "%s: loss %g -> %g", what, first, last);
    free(perm);
    hush_optim_free(o);
    hush_model_free(m);
    hush_rng_clear(&r);
    return acc;
}

static void test_learns(void) {
    hush_rng r;
    CHECK_OK(hush_rng_init_u64(&r, 2024));
    dataset btr = blobs(&r, 600), bte = blobs(&r, 300);
    dataset rtr = rings(&r, 800), rte = rings(&r, 400);
    dataset ctr = bars(&r, 400), cte = bars(&r, 200);
    hush_shape v2 = {2, 1, 1}, img = {1, 6, 6};
    CHECK(train("blobs, sgd", "dense:8,relu,dense:3", v2, &btr, &bte, HUSH_OPTIM_SGD, 0.1f, 10, 16, 1, 1) >= 0.95f);
    CHECK(train("blobs, momentum", "dense:8,tanh,dense:3", v2, &btr, &bte, HUSH_OPTIM_MOMENTUM, 0.02f, 10, 16, 2, 1) >=
          0.95f);
    CHECK(train("blobs, adam", "dense:8,sigmoid,dense:3", v2, &btr, &bte, HUSH_OPTIM_ADAM, 0.02f, 15, 16, 3, 1) >= 0.95f);
    CHECK(train("rings, adam", "dense:16,relu,dense:16,relu,dense:2", v2, &rtr, &rte, HUSH_OPTIM_ADAM, 0.01f, 40, 32,
                4, 1) >= 0.95f);
    CHECK(train("rings, momentum", "dense:16,tanh,dense:2", v2, &rtr, &rte, HUSH_OPTIM_MOMENTUM, 0.05f, 60, 16, 5, 1) >=
          0.95f);
    CHECK(train("bars, conv adam", "conv:4:3,relu,maxpool,dense:2", img, &ctr, &cte, HUSH_OPTIM_ADAM, 0.01f, 15, 16,
                6, 1) >= 0.95f);
    CHECK(train("bars, conv same sgd", "conv:4:3:same,tanh,maxpool,dense:2", img, &ctr, &cte, HUSH_OPTIM_SGD, 0.1f,
                20, 8, 7, 1) >= 0.95f);
    /* A linear model cannot separate the rings: the threshold above means something. */
    float lin = train("rings, linear (must fail)", "dense:2", v2, &rtr, &rte, HUSH_OPTIM_ADAM, 0.01f, 1, 32, 8, 0);
    CHECK(lin < 0.8f);
    ds_free(&btr), ds_free(&bte), ds_free(&rtr), ds_free(&rte), ds_free(&ctr), ds_free(&cte);
    hush_rng_clear(&r);
}

/* fit_epoch == identity perm shuffled by the same rng, then plain steps over batches with the
 * last one partial, and the mean loss weighted by batch sizes. */
static void test_fit_epoch_semantics(void) {
    hush_rng r, r1, r2;
    CHECK_OK(hush_rng_init_u64(&r, 99));
    dataset d = blobs(&r, 23);
    hush_shape v2 = {2, 1, 1};
    CHECK_OK(hush_rng_init_u64(&r1, 5));
    CHECK_OK(hush_rng_init_u64(&r2, 5));
    hush_model *a = make("dense:4,relu,dense:3", v2, 8, &r1);
    hush_model *b = make("dense:4,relu,dense:3", v2, 8, &r2);
    if (!a || !b) {
        CHECK(0);
        return;
    }
    hush_optim_config c;
    hush_optim *oa, *ob;
    CHECK_OK(hush_optim_config_init(&c, HUSH_OPTIM_ADAM, 0.01f));
    CHECK_OK(hush_optim_create(&oa, &c, hush_model_param_count(a), NULL));
    CHECK_OK(hush_optim_create(&ob, &c, hush_model_param_count(b), NULL));
    uint32_t perm[23], perm2[23];
    memset(perm, 0xff, sizeof perm); /* prior contents must not matter */
    float mean;
    CHECK_OK(hush_model_fit_epoch(a, &r1, oa, perm, &mean, d.x, d.y, 23, 8));
    /* by hand */
    for (uint32_t i = 0; i < 23; i++) perm2[i] = i;
    CHECK_OK(hush_rng_shuffle_u32(&r2, perm2, 23));
    CHECK(memcmp(perm, perm2, sizeof perm) == 0);
    double tot = 0;
    for (size_t s = 0; s < 23; s += 8) {
        size_t B = 23 - s < 8 ? 23 - s : 8;
        float xb[16], loss;
        uint32_t yb[8];
        for (size_t i = 0; i < B; i++) {
            memcpy(xb + 2 * i, d.x + 2 * perm2[s + i], 2 * sizeof(float));
            yb[i] = d.y[perm2[s + i]];
        }
        CHECK_OK(hush_model_step(b, ob, &loss, xb, yb, B));
        tot += (double)loss * (double)B;
    }
    CHECK(mean == (float)(tot / 23.0));
    CHECK(memcmp(hush_model_params(a), hush_model_params(b), hush_model_param_count(a) * sizeof(float)) == 0);
    /* a DP-style step with unit weights 1/B (no clipping, no noise) is the same step */
    float loss, norms[8];
    const float *x = d.x;
    CHECK_OK(hush_model_backward(a, &loss, x, d.y, 8));
    float *g = malloc(hush_model_param_count(a) * sizeof(float));
    memcpy(g, hush_model_grads(a), hush_model_param_count(a) * sizeof(float));
    float w[8];
    CHECK_OK(hush_model_backward_examples(b, &loss, norms, x, d.y, 8));
    for (int i = 0; i < 8; i++) w[i] = 1.0f / 8.0f;
    CHECK_OK(hush_model_grad_weighted(b, w, 8));
    CHECK(memcmp(hush_model_grads(b), g, hush_model_param_count(a) * sizeof(float)) == 0);
    free(g);
    /* argument checks */
    CHECK_RC(hush_model_fit_epoch(a, &r1, oa, perm, &mean, d.x, d.y, 0, 8), HUSH_ERANGE);
    CHECK_RC(hush_model_fit_epoch(a, &r1, oa, perm, &mean, d.x, d.y, 23, 0), HUSH_ERANGE);
    CHECK_RC(hush_model_fit_epoch(a, &r1, oa, perm, &mean, d.x, d.y, 23, 9), HUSH_ERANGE);
    CHECK_RC(hush_model_fit_epoch(a, &r1, oa, NULL, &mean, d.x, d.y, 23, 8), HUSH_EARG);
    CHECK_RC(hush_model_fit_epoch(a, NULL, oa, perm, &mean, d.x, d.y, 23, 8), HUSH_EARG);
    uint32_t saved = d.y[22];
    d.y[22] = 3;
    CHECK_RC(hush_model_fit_epoch(a, &r1, oa, perm, &mean, d.x, d.y, 23, 8), HUSH_ERANGE);
    d.y[22] = saved;
    hush_optim *small;
    CHECK_OK(hush_optim_create(&small, &c, 3, NULL));
    CHECK_RC(hush_model_fit_epoch(a, &r1, small, perm, &mean, d.x, d.y, 23, 8), HUSH_ESHAPE);
    hush_optim_free(small);
    hush_optim_free(oa), hush_optim_free(ob);
    hush_model_free(a), hush_model_free(b);
    ds_free(&d);
    hush_rng_clear(&r), hush_rng_clear(&r1), hush_rng_clear(&r2);
}

static uint64_t fnv(uint64_t h, const void *p, size_t n) {
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

/* Same seed, same bits; and a recorded digest that Emscripten and WASI builds must match. */
static void test_reproducible(void) {
    uint64_t digest[2];
    for (int run = 0; run < 2; run++) {
        hush_rng r;
        CHECK_OK(hush_rng_init_u64(&r, 31337));
        dataset d = bars(&r, 64);
        hush_shape img = {1, 6, 6};
        hush_model *m = make("conv:3:3:same,relu,maxpool,conv:2:2,tanh,dense:6,sigmoid,dense:2", img, 16, &r);
        hush_optim_config c;
        hush_optim *o = NULL;
        CHECK_OK(hush_optim_config_init(&c, HUSH_OPTIM_ADAM, 0.01f));
        CHECK_OK(hush_optim_create(&o, &c, hush_model_param_count(m), NULL));
        uint32_t perm[64];
        float loss;
        for (int e = 0; e < 3; e++) CHECK_OK(hush_model_fit_epoch(m, &r, o, perm, &loss, d.x, d.y, 64, 10));
        float norms[16];
        CHECK_OK(hush_model_backward_examples(m, &loss, norms, d.x, d.y, 16));
        uint64_t h = 0xcbf29ce484222325ull;
        h = fnv(h, hush_model_params(m), hush_model_param_count(m) * sizeof(float));
        h = fnv(h, norms, sizeof norms);
        h = fnv(h, &loss, sizeof loss);
        digest[run] = h;
        hush_optim_free(o);
        hush_model_free(m);
        ds_free(&d);
        hush_rng_clear(&r);
    }
    printf("  training digest %016llx\n", (unsigned long long)digest[0]);
    CHECK(digest[0] == digest[1]);
    CHECK(digest[0] == TRAIN_DIGEST);
}

int main(void) {
    (void)check_alloc_fn;
    (void)check_free_fn;
    test_learns();
    test_fit_epoch_semantics();
    test_reproducible();
    CHECK_SUMMARY();
}
