/* DP-SGD: the unclipped noiseless fixed-batch step equals hush_model_step bit for bit (MLP, CNN,
 * SGD and Adam); the clipping bound and the exact update against per-example gradients from
 * example_grad; TF Privacy microbatch semantics against a hand computation; noise mean and
 * variance; Poisson batch sizes (binomial mean/variance) and chunking past max_batch; the handle's
 * epsilon equals the RDP functions for (q, sigma, T); target-epsilon calibration; errors and
 * fault injection. Statistical checks use fixed seeds; each states its false-alarm rate. */
#include <math.h>
#include <stdint.h>

#include "check.h"
#include "hush.h"

typedef struct fixture {
    hush_model *m;
    hush_optim *o;
} fixture;

static void fx_make(fixture *f, const char *spec, hush_shape in, uint32_t max_batch, uint32_t okind, float lr) {
    hush_layer_spec ls[16];
    size_t n;
    CHECK_OK(hush_model_spec_parse(ls, 16, &n, spec, NULL));
    CHECK_OK(hush_model_create(&f->m, ls, n, in, max_batch, NULL));
    hush_rng r;
    CHECK_OK(hush_rng_init_u64(&r, 42));
    CHECK_OK(hush_model_init_params(f->m, &r));
    hush_rng_clear(&r);
    hush_optim_config oc;
    CHECK_OK(hush_optim_config_init(&oc, okind, lr));
    CHECK_OK(hush_optim_create(&f->o, &oc, hush_model_param_count(f->m), NULL));
}

static void fx_free(fixture *f) {
    hush_optim_free(f->o);
    hush_model_free(f->m);
}

/* n examples of `in` floats in [-1, 1) and labels < k from a fixed seed */
static void make_data(float *x, uint32_t *y, size_t n, size_t in, uint32_t k, uint64_t seed) {
    hush_rng r;
    CHECK_OK(hush_rng_init_u64(&r, seed));
    for (size_t i = 0; i < n * in; i++) x[i] = (float)(2.0 * hush_rng_uniform(&r) - 1.0);
    for (size_t i = 0; i < n; i++) y[i] = (uint32_t)check_below(&r, k);
    hush_rng_clear(&r);
}

static hush_dpsgd_config cfg_of(double C, double sigma, uint32_t sampling, double q) {
    hush_dpsgd_config c;
    CHECK_OK(hush_dpsgd_config_init(&c, sampling, q, C, sigma));
    return c;
}

static void check_identical(const char *spec, hush_shape in, uint32_t okind, uint32_t sampling) {
    fixture a, b;
    size_t B = 16, isz = (size_t)in.c * in.h * in.w;
    fx_make(&a, spec, in, 16, okind, 0.05f);
    fx_make(&b, spec, in, 16, okind, 0.05f);
    float *x = malloc(B * isz * sizeof *x);
    uint32_t y[16];
    hush_rng seed;
    CHECK_OK(hush_rng_init_u64(&seed, 5));
    hush_dpsgd *dp;
    hush_dpsgd_config c = cfg_of(INFINITY, 0.0, sampling, sampling == HUSH_DPSGD_POISSON ? 1.0 : 0.25);
    CHECK_OK(hush_dpsgd_create(&dp, &seed, b.m, &c, NULL));
    for (int s = 0; s < 5; s++) {
        make_data(x, y, B, isz, 3, 100 + (uint64_t)s);
        float la, lb;
        size_t got;
        CHECK_OK(hush_model_step(a.m, a.o, &la, x, y, B));
        CHECK_OK(hush_dpsgd_step(dp, b.o, &lb, &got, x, y, B));
        CHECK(got == B);
        CHECK(la == lb);
    }
    CHECK_MSG(memcmp(hush_model_params(a.m), hush_model_params(b.m), hush_model_param_count(a.m) * sizeof(float)) == 0,
              "%s: DP-SGD (C = inf, sigma = 0) differs from hush_model_step", spec);
    double eps;
    CHECK_OK(hush_dpsgd_epsilon(dp, &eps, 0));
    CHECK(isinf(eps));
    CHECK(hush_dpsgd_steps(dp) == 5);
    hush_dpsgd_free(dp);
    free(x);
    fx_free(&a);
    fx_free(&b);
}

static void test_bit_identical(void) {
    hush_shape vec = {10, 1, 1}, img = {1, 6, 6};
    check_identical("dense:12,relu,dense:3", vec, HUSH_OPTIM_SGD, HUSH_DPSGD_SHUFFLE);
    check_identical("dense:12,tanh,dense:8,sigmoid,dense:3", vec, HUSH_OPTIM_ADAM, HUSH_DPSGD_SHUFFLE);
    check_identical("conv:4:3:same,relu,maxpool,conv:3:3,tanh,dense:3", img, HUSH_OPTIM_MOMENTUM,
                    HUSH_DPSGD_SHUFFLE);
    /* Poisson with q = 1 takes every example; 1/16 is exact in both weight formulas */
    check_identical("dense:12,relu,dense:3", vec, HUSH_OPTIM_SGD, HUSH_DPSGD_POISSON);
}

/* SGD with lr 1 and no noise: params_after = params_before - sum_i clip(g_i) / B. */
static void check_clipped_update(const char *spec, hush_shape in, double C) {
    fixture f;
    size_t B = 12, isz = (size_t)in.c * in.h * in.w;
    fx_make(&f, spec, in, 16, HUSH_OPTIM_SGD, 1.0f);
    size_t P = hush_model_param_count(f.m);
    float *x = malloc(B * isz * sizeof *x), *g = malloc(P * sizeof *g), *p0 = malloc(P * sizeof *p0);
    double *want = calloc(P, sizeof *want);
    uint32_t y[12];
    make_data(x, y, B, isz, 3, 77);
    memcpy(p0, hush_model_params(f.m), P * sizeof *p0);
    float loss, norms[12];
    CHECK_OK(hush_model_backward_examples(f.m, &loss, norms, x, y, B));
    int bound = 1, clipped = 0;
    for (size_t i = 0; i < B; i++) {
        CHECK_OK(hush_model_example_grad(f.m, g, P, i));
        double sq = 0;
        for (size_t j = 0; j < P; j++) sq += (double)g[j] * g[j];
        double nrm = sqrt(sq), w = nrm > C ? C / nrm : 1.0;
        clipped += nrm > C;
        CHECK_NEAR(nrm, norms[i], 1e-5 * nrm + 1e-9);
        double csq = 0;
        for (size_t j = 0; j < P; j++) {
            double v = w * g[j];
            csq += v * v;
            want[j] += v / (double)B;
        }
        bound &= sqrt(csq) <= C * (1 + 1e-6);
    }
    CHECK(bound);
    CHECK_MSG(clipped >= 3, "%s: only %d of 12 examples above C: the test would not see clipping", spec, clipped);
    hush_rng seed;
    CHECK_OK(hush_rng_init_u64(&seed, 1));
    hush_dpsgd *dp;
    hush_dpsgd_config c = cfg_of(C, 0.0, HUSH_DPSGD_SHUFFLE, 0.1);
    CHECK_OK(hush_dpsgd_create(&dp, &seed, f.m, &c, NULL));
    CHECK_OK(hush_dpsgd_step(dp, f.o, &loss, NULL, x, y, B));
    const float *p1 = hush_model_params(f.m);
    double worst = 0, total = 0;
    for (size_t j = 0; j < P; j++) {
        double upd = (double)p0[j] - p1[j], d = fabs(upd - want[j]);
        if (d > worst) worst = d;
        total += want[j] * want[j];
    }
    /* each clipped contribution has norm <= C/B, so the update's norm is <= C */
    CHECK(sqrt(total) <= C * (1 + 1e-6));
    CHECK_MSG(worst < 1e-6, "%s: update differs from the hand-clipped sum by %g", spec, worst);
    hush_dpsgd_free(dp);
    free(x);
    free(g);
    free(p0);
    free(want);
    fx_free(&f);
}

static void test_clipping(void) {
    hush_shape vec = {10, 1, 1}, img = {1, 6, 6};
    check_clipped_update("dense:12,relu,dense:3", vec, 0.3);
    check_clipped_update("conv:4:3,relu,maxpool,dense:3", img, 0.2);
}

/* TF Privacy microbatches: M contiguous microbatches, each mean gradient clipped, averaged. */
static void test_microbatches(void) {
    fixture f;
    hush_shape vec = {10, 1, 1};
    size_t B = 8, M = 2, mbs = 4;
    double C = 0.2;
    fx_make(&f, "dense:12,relu,dense:3", vec, 16, HUSH_OPTIM_SGD, 1.0f);
    size_t P = hush_model_param_count(f.m);
    float x[80], *g = malloc(P * sizeof *g), *p0 = malloc(P * sizeof *p0);
    double *mean = malloc(P * sizeof *mean), *want = calloc(P, sizeof *want);
    uint32_t y[8];
    make_data(x, y, B, 10, 3, 3);
    memcpy(p0, hush_model_params(f.m), P * sizeof *p0);
    float loss;
    CHECK_OK(hush_model_backward_examples(f.m, &loss, NULL, x, y, B));
    int clipped = 0;
    for (size_t k = 0; k < M; k++) {
        for (size_t j = 0; j < P; j++) mean[j] = 0;
        for (size_t i = k * mbs; i < (k + 1) * mbs; i++) {
            CHECK_OK(hush_model_example_grad(f.m, g, P, i));
            for (size_t j = 0; j < P; j++) mean[j] += g[j] / (double)mbs;
        }
        double sq = 0;
        for (size_t j = 0; j < P; j++) sq += mean[j] * mean[j];
        double w = sqrt(sq) > C ? C / sqrt(sq) : 1.0;
        clipped += sqrt(sq) > C;
        for (size_t j = 0; j < P; j++) want[j] += w * mean[j] / (double)M;
    }
    CHECK(clipped >= 1);
    hush_rng seed;
    CHECK_OK(hush_rng_init_u64(&seed, 1));
    hush_dpsgd *dp;
    hush_dpsgd_config c = cfg_of(C, 0.0, HUSH_DPSGD_SHUFFLE, 0.1);
    c.num_microbatches = (uint32_t)M;
    CHECK_OK(hush_dpsgd_create(&dp, &seed, f.m, &c, NULL));
    CHECK_RC(hush_dpsgd_step(dp, f.o, &loss, NULL, x, y, 7), HUSH_ESHAPE); /* 7 % 2 != 0 */
    CHECK_OK(hush_dpsgd_step(dp, f.o, &loss, NULL, x, y, B));
    double worst = 0;
    for (size_t j = 0; j < P; j++) {
        double d = fabs(((double)p0[j] - hush_model_params(f.m)[j]) - want[j]);
        if (d > worst) worst = d;
    }
    CHECK_MSG(worst < 1e-6, "microbatch update differs from the hand computation by %g", worst);
    /* per-example clipping differs from microbatch clipping here: the test can tell them apart */
    hush_dpsgd_free(dp);
    free(g);
    free(p0);
    free(mean);
    free(want);
    fx_free(&f);
}

/* noise = (update with noise) - (update without), SGD lr 1: N(0, (sigma C / B)^2) per coordinate */
static void test_noise_statistics(void) {
    fixture a, b;
    hush_shape vec = {20, 1, 1};
    size_t B = 8;
    double C = 1.0, sigma = 2.0, sd = sigma * C / (double)B;
    fx_make(&a, "dense:64,relu,dense:40,relu,dense:4", vec, 16, HUSH_OPTIM_SGD, 1.0f);
    fx_make(&b, "dense:64,relu,dense:40,relu,dense:4", vec, 16, HUSH_OPTIM_SGD, 1.0f);
    size_t P = hush_model_param_count(a.m);
    float x[160];
    uint32_t y[8];
    make_data(x, y, B, 20, 4, 9);
    hush_rng seed;
    CHECK_OK(hush_rng_init_u64(&seed, 2024));
    hush_dpsgd *da, *db;
    hush_dpsgd_config ca = cfg_of(C, sigma, HUSH_DPSGD_SHUFFLE, 0.1), cb = cfg_of(C, 0.0, HUSH_DPSGD_SHUFFLE, 0.1);
    CHECK_OK(hush_dpsgd_create(&da, &seed, a.m, &ca, NULL));
    CHECK_OK(hush_dpsgd_create(&db, &seed, b.m, &cb, NULL));
    float l;
    CHECK_OK(hush_dpsgd_step(da, a.o, &l, NULL, x, y, B));
    CHECK_OK(hush_dpsgd_step(db, b.o, &l, NULL, x, y, B));
    double s1 = 0, s2 = 0;
    for (size_t j = 0; j < P; j++) {
        double z = (double)hush_model_params(b.m)[j] - hush_model_params(a.m)[j];
        s1 += z;
        s2 += z * z;
    }
    double mean = s1 / (double)P, var = s2 / (double)P - mean * mean;
    /* P = 4108 coordinates. Mean: |mean| < 5 sd / sqrt(P) (two-sided false alarm 5.7e-7).
     * Variance: var / sd^2 - 1 is about N(0, 2 / P): 5 standard errors, false alarm 5.7e-7. */
    CHECK_MSG(fabs(mean) < 5 * sd / sqrt((double)P), "noise mean %g", mean);
    CHECK_MSG(fabs(var / (sd * sd) - 1.0) < 5 * sqrt(2.0 / (double)P), "noise var %g want %g", var, sd * sd);
    /* same seed, same noise: a third run reproduces the first bit for bit */
    fixture c3;
    fx_make(&c3, "dense:64,relu,dense:40,relu,dense:4", vec, 16, HUSH_OPTIM_SGD, 1.0f);
    hush_dpsgd *dc;
    CHECK_OK(hush_dpsgd_create(&dc, &seed, c3.m, &ca, NULL));
    CHECK_OK(hush_dpsgd_step(dc, c3.o, &l, NULL, x, y, B));
    CHECK(memcmp(hush_model_params(a.m), hush_model_params(c3.m), P * sizeof(float)) == 0);
    hush_dpsgd_free(da);
    hush_dpsgd_free(db);
    hush_dpsgd_free(dc);
    fx_free(&a);
    fx_free(&b);
    fx_free(&c3);
}

/* Step t's noise is exactly the sequence of hush_rng_normal_f32 draws on the ChaCha20 stream of the
 * handle's "noise" key with nonce le64(t). An (almost surely) empty Poisson batch makes grads =
 * pure noise; params zeroed and SGD with lr 1 make the new params exactly -noise. */
static void test_noise_sequence(void) {
    fixture f;
    hush_shape vec = {7, 1, 1};
    fx_make(&f, "dense:9,tanh,dense:3", vec, 4, HUSH_OPTIM_SGD, 1.0f);
    size_t P = hush_model_param_count(f.m);
    float x[7] = {0};
    uint32_t y[1] = {0};
    hush_rng seed, key;
    CHECK_OK(hush_rng_init_u64(&seed, 31));
    CHECK_OK(hush_rng_derive(&key, &seed, "noise"));
    hush_dpsgd *dp;
    /* q = 2^-32 (sampled with probability 2^-32), E[B] = 2^-32: sd = 2^32 scales exactly */
    hush_dpsgd_config c = cfg_of(0.5, 2.0, HUSH_DPSGD_POISSON, 0x1p-32);
    CHECK_OK(hush_dpsgd_create(&dp, &seed, f.m, &c, NULL));
    int same = 1;
    for (int step = 0; step < 3; step++) {
        memset(hush_model_params(f.m), 0, P * sizeof(float));
        size_t b;
        float l;
        CHECK_OK(hush_dpsgd_step(dp, f.o, &l, &b, x, y, 1));
        CHECK(b == 0 && l == 0.0f);
        uint8_t nonce[12] = {(uint8_t)step};
        hush_rng ref;
        CHECK_OK(hush_rng_init_stream(&ref, key.key, nonce, 0));
        for (size_t j = 0; j < P; j++) {
            float want = 0.0f + 0x1p32f * hush_rng_normal_f32(&ref);
            same &= -hush_model_params(f.m)[j] == want;
        }
        hush_rng_clear(&ref);
    }
    CHECK_MSG(same, "step t's noise is not the hush_rng_normal_f32 sequence of the noise key's stream t");
    hush_rng_clear(&key);
    hush_dpsgd_free(dp);
    fx_free(&f);
}

static void test_poisson(void) {
    fixture f;
    hush_shape vec = {6, 1, 1};
    size_t n = 200;
    fx_make(&f, "dense:8,relu,dense:3", vec, 16, HUSH_OPTIM_SGD, 0.0f);
    float *x = malloc(n * 6 * sizeof *x);
    uint32_t *y = malloc(n * sizeof *y);
    make_data(x, y, n, 6, 3, 11);
    hush_rng seed;
    CHECK_OK(hush_rng_init_u64(&seed, 8));
    hush_dpsgd *dp;
    double q = 0.125, sigma = 1.1; /* a multiple of 2^-32: used exactly */
    hush_dpsgd_config c = cfg_of(1.0, sigma, HUSH_DPSGD_POISSON, q);
    CHECK_OK(hush_dpsgd_create(&dp, &seed, f.m, &c, NULL));
    /* batch sizes are Binomial(200, 0.125): mean 25, variance 21.875. Batches above max_batch = 16
     * exercise chunking. 400 steps: |mean - 25| < 5 sqrt(21.875 / 400) and
     * |var / 21.875 - 1| < 5 sqrt(2 / 399) (normal approximations; false alarms about 1e-6 each). */
    enum { STEPS = 400 };
    double s1 = 0, s2 = 0;
    size_t big = 0;
    for (int s = 0; s < STEPS; s++) {
        size_t b;
        float l;
        CHECK_OK(hush_dpsgd_step(dp, f.o, &l, &b, x, y, n));
        s1 += (double)b;
        s2 += (double)b * (double)b;
        big += b > 16;
    }
    double mean = s1 / STEPS, var = (s2 - s1 * s1 / STEPS) / (STEPS - 1);
    CHECK_MSG(fabs(mean - 25.0) < 5 * sqrt(21.875 / STEPS), "batch mean %g", mean);
    CHECK_MSG(fabs(var / 21.875 - 1.0) < 5 * sqrt(2.0 / (STEPS - 1)), "batch variance %g", var);
    CHECK(big > 100);
    /* epsilon equals the RDP functions for (q, sigma, T) */
    double eps, want, orders[HUSH_RDP_DEFAULT_ORDERS_COUNT], rdp[HUSH_RDP_DEFAULT_ORDERS_COUNT] = {0};
    size_t no = hush_rdp_default_orders(orders, HUSH_RDP_DEFAULT_ORDERS_COUNT);
    CHECK_OK(hush_rdp_sampled_gaussian(rdp, orders, no, q, sigma, STEPS));
    CHECK_OK(hush_rdp_epsilon(&want, NULL, orders, rdp, no, 1e-5, HUSH_DP_CONVERSION_IMPROVED));
    CHECK_OK(hush_dpsgd_epsilon(dp, &eps, 0));
    CHECK_NEAR(eps, want, 1e-9 * want);
    CHECK(hush_dpsgd_steps(dp) == STEPS);
    /* an epoch is round(1/q) = 8 steps; the rate used is q itself (a multiple of 2^-32) */
    CHECK(hush_dpsgd_steps_per_epoch(&c, n) == 8 && hush_dpsgd_sampling_rate(dp) == q);
    hush_dpsgd_config c3 = cfg_of(1.0, 1.0, HUSH_DPSGD_POISSON, 0.3);
    CHECK(hush_dpsgd_steps_per_epoch(&c3, 5) == 3); /* round(3.33) */
    c3 = cfg_of(1.0, 1.0, HUSH_DPSGD_POISSON, 0.9);
    CHECK(hush_dpsgd_steps_per_epoch(&c3, 5) == 1);
    size_t steps;
    float ml;
    CHECK_OK(hush_dpsgd_fit_epoch(dp, f.o, NULL, &ml, &steps, x, y, n));
    CHECK(steps == 8 && hush_dpsgd_steps(dp) == STEPS + 8);
    hush_dpsgd_free(dp);
    fx_free(&f);

    /* The sampler decides u < q_thr on u's bytes most significant first (and below a leading byte
     * of 0x80, skips runs of excluding leading bytes eight at a time). The leading byte ties with
     * probability 1/256; after a tie, q_thr = 0x..000001 almost never includes and 0x..ffffff
     * almost always does, so settling ties either way moves one of each pair of rates by 0.0039.
     * Over 10^6 draws the 5-sigma band is at most 0.0025 (false alarm about 6e-7 each). */
    static const uint32_t thr[4] = {0x80000001u, 0x80ffffffu, 0x10000001u, 0x10ffffffu};
    for (int k = 0; k < 4; k++) {
        fixture t;
        hush_shape two = {2, 1, 1};
        fx_make(&t, "dense:2", two, 64, HUSH_OPTIM_SGD, 0.0f);
        enum { TN = 1000, TSTEPS = 1000 };
        float *tx = calloc(TN * 2, sizeof *tx);
        uint32_t *ty = calloc(TN, sizeof *ty);
        double tq = (double)thr[k] / 4294967296.0, drawn = 0;
        hush_dpsgd_config tc = cfg_of(1.0, 0.0, HUSH_DPSGD_POISSON, tq);
        hush_dpsgd *tdp;
        CHECK_OK(hush_dpsgd_create(&tdp, &seed, t.m, &tc, NULL));
        int ok = tx && ty;
        for (int s = 0; s < TSTEPS && ok; s++) {
            size_t b;
            float l;
            ok = hush_dpsgd_step(tdp, t.o, &l, &b, tx, ty, TN) == HUSH_OK;
            drawn += (double)b;
        }
        CHECK(ok);
        double rate = drawn / ((double)TN * TSTEPS);
        CHECK_MSG(fabs(rate - tq) < 5 * sqrt(tq * (1 - tq) / ((double)TN * TSTEPS)), "inclusion rate %.5f want %.5f",
                  rate, tq);
        hush_dpsgd_free(tdp);
        free(tx);
        free(ty);
        fx_free(&t);
    }

    /* chunking: q = 1, no clipping or noise over 40 examples with max_batch 16 (chunks 16+16+8)
     * against one plain step over all 40 (different summation order: equal to float rounding) */
    fixture a, b;
    fx_make(&a, "dense:8,relu,dense:3", vec, 40, HUSH_OPTIM_SGD, 0.5f);
    fx_make(&b, "dense:8,relu,dense:3", vec, 16, HUSH_OPTIM_SGD, 0.5f);
    float la, lb;
    size_t got;
    CHECK_OK(hush_model_step(a.m, a.o, &la, x, y, 40));
    c = cfg_of(INFINITY, 0.0, HUSH_DPSGD_POISSON, 1.0);
    CHECK_OK(hush_dpsgd_create(&dp, &seed, b.m, &c, NULL));
    CHECK_OK(hush_dpsgd_step(dp, b.o, &lb, &got, x, y, 40));
    CHECK(got == 40);
    CHECK_NEAR(la, lb, 1e-6);
    double worst = 0;
    for (size_t j = 0; j < hush_model_param_count(a.m); j++) {
        double d = fabs((double)hush_model_params(a.m)[j] - hush_model_params(b.m)[j]);
        if (d > worst) worst = d;
    }
    CHECK_MSG(worst < 1e-6, "chunked step differs by %g", worst);
    hush_dpsgd_free(dp);
    fx_free(&a);
    fx_free(&b);
    free(x);
    free(y);
}

static void test_calibration(void) {
    /* TF Privacy tutorial setting: q = 256/60000, 60 epochs (14063 steps), target 3 */
    double q = 256.0 / 60000.0, sigma, e1, e2, orders[HUSH_RDP_DEFAULT_ORDERS_COUNT];
    uint64_t T = 14063;
    CHECK_OK(hush_dpsgd_noise_for_epsilon(&sigma, 3.0, 1e-5, q, T));
    size_t no = hush_rdp_default_orders(orders, HUSH_RDP_DEFAULT_ORDERS_COUNT);
    double r1[HUSH_RDP_DEFAULT_ORDERS_COUNT] = {0}, r2[HUSH_RDP_DEFAULT_ORDERS_COUNT] = {0};
    CHECK_OK(hush_rdp_sampled_gaussian(r1, orders, no, q, sigma, (double)T));
    CHECK_OK(hush_rdp_epsilon(&e1, NULL, orders, r1, no, 1e-5, HUSH_DP_CONVERSION_IMPROVED));
    CHECK_OK(hush_rdp_sampled_gaussian(r2, orders, no, q, sigma * (1 - 3e-4), (double)T));
    CHECK_OK(hush_rdp_epsilon(&e2, NULL, orders, r2, no, 1e-5, HUSH_DP_CONVERSION_IMPROVED));
    CHECK_MSG(e1 <= 3.0 && e2 > 3.0, "sigma %g gives %g, slightly less gives %g", sigma, e1, e2);
    /* the improved conversion gives 2.60 at sigma 1.1 (rdp.kat), so the answer lies below 1.1 */
    CHECK(sigma > 0.9 && sigma < 1.1);
    CHECK_RC(hush_dpsgd_noise_for_epsilon(&sigma, 1e-6, 1e-5, 1.0, 1000000), HUSH_ERANGE);
    CHECK_RC(hush_dpsgd_noise_for_epsilon(&sigma, 1.0, 1e-5, 0.0, 10), HUSH_EARG);
}

static void test_errors(void) {
    fixture f;
    hush_shape vec = {6, 1, 1};
    fx_make(&f, "dense:8,relu,dense:3", vec, 16, HUSH_OPTIM_SGD, 0.1f);
    hush_dpsgd *dp;
    hush_dpsgd_config c = cfg_of(1.0, 1.0, HUSH_DPSGD_POISSON, 0.1);
    c.num_microbatches = 4;
    CHECK_RC(hush_dpsgd_create(&dp, NULL, f.m, &c, NULL), HUSH_EUNSUPPORTED);
    c = cfg_of(INFINITY, 1.0, HUSH_DPSGD_SHUFFLE, 0.1);
    CHECK_RC(hush_dpsgd_create(&dp, NULL, f.m, &c, NULL), HUSH_EARG);
    /* config_init refuses bad required arguments and leaves nothing usable behind */
    CHECK_RC(hush_dpsgd_config_init(&c, HUSH_DPSGD_POISSON, 0.0, 1.0, 1.0), HUSH_EARG);
    CHECK(c.version == 0);
    CHECK_RC(hush_dpsgd_create(&dp, NULL, f.m, &c, NULL), HUSH_EARG);
    CHECK_RC(hush_dpsgd_config_init(&c, 7, 0.1, 1.0, 1.0), HUSH_EARG);
    CHECK_RC(hush_dpsgd_config_init(&c, HUSH_DPSGD_SHUFFLE, 1.5, 1.0, 1.0), HUSH_EARG);
    CHECK_RC(hush_dpsgd_config_init(&c, HUSH_DPSGD_POISSON, 0.1, 0.0, 1.0), HUSH_EARG);
    CHECK_RC(hush_dpsgd_config_init(&c, HUSH_DPSGD_POISSON, 0.1, 1.0, NAN), HUSH_EARG);
    CHECK_RC(hush_dpsgd_config_init(NULL, HUSH_DPSGD_POISSON, 0.1, 1.0, 1.0), HUSH_EARG);
    /* a zeroed (never initialised) config is refused, and so is one edited into nonsense */
    hush_dpsgd_config zero;
    memset(&zero, 0, sizeof zero);
    zero.sampling = HUSH_DPSGD_POISSON;
    zero.sampling_rate = 0.1;
    zero.l2_norm_clip = 1.0;
    CHECK_RC(hush_dpsgd_create(&dp, NULL, f.m, &zero, NULL), HUSH_EARG);
    CHECK(hush_dpsgd_steps_per_epoch(&zero, 100) == 0);
    c = cfg_of(1.0, 1.0, HUSH_DPSGD_POISSON, 0.1);
    c.sampling = 7;
    CHECK_RC(hush_dpsgd_create(&dp, NULL, f.m, &c, NULL), HUSH_EARG);
    c = cfg_of(1.0, 1.0, HUSH_DPSGD_POISSON, 0.1);
    c.noise = 9;
    CHECK_RC(hush_dpsgd_create(&dp, NULL, f.m, &c, NULL), HUSH_EARG);
    /* SHUFFLE step without a rate to account: state error; fit_epoch sets it from batch / n */
    c = cfg_of(1.0, 1.0, HUSH_DPSGD_SHUFFLE, 0.0);
    c.batch_size = 10;
    CHECK(hush_dpsgd_steps_per_epoch(&c, 40) == 4 && hush_dpsgd_steps_per_epoch(&c, 49) == 4);
    CHECK(hush_dpsgd_steps_per_epoch(&c, 9) == 0 && hush_dpsgd_steps_per_epoch(&c, 0) == 0);
    CHECK_OK(hush_dpsgd_create(&dp, NULL, f.m, &c, NULL));
    CHECK(hush_dpsgd_sampling_rate(dp) == 0.0);
    float x[6 * 40], l;
    uint32_t y[40], perm[40];
    make_data(x, y, 40, 6, 3, 1);
    CHECK_RC(hush_dpsgd_step(dp, f.o, &l, NULL, x, y, 10), HUSH_ESTATE);
    size_t steps;
    CHECK_OK(hush_dpsgd_fit_epoch(dp, f.o, perm, &l, &steps, x, y, 40));
    CHECK(steps == 4 && hush_dpsgd_sampling_rate(dp) == 0.25);
    double eps;
    CHECK_OK(hush_dpsgd_epsilon(dp, &eps, 1e-5));
    CHECK(eps > 0 && isfinite(eps));
    y[3] = 9; /* label out of range */
    CHECK_RC(hush_dpsgd_step(dp, f.o, &l, NULL, x, y, 10), HUSH_ERANGE);
    hush_dpsgd_free(dp);
    /* fault injection on create: every allocation failure is ENOMEM with nothing leaked */
    c = cfg_of(1.0, 1.0, HUSH_DPSGD_POISSON, 0.1);
    int saw_ok = 0;
    for (long fail = 1; fail <= 8 && !saw_ok; fail++) {
        check_alloc ca = {0, fail, 0, 0};
        hush_allocator al = CHECK_ALLOCATOR(ca);
        int rc = hush_dpsgd_create(&dp, NULL, f.m, &c, &al);
        if (rc == HUSH_OK) {
            saw_ok = 1;
            hush_dpsgd_free(dp);
        } else {
            CHECK_RC(rc, HUSH_ENOMEM);
            CHECK(dp == NULL);
        }
        CHECK(ca.live_blocks == 0);
    }
    CHECK(saw_ok);
    fx_free(&f);
}

/* SECURE noise of step t is ((a + b) + (c + d)) / 2 for four consecutive hush_rng_normal draws of
 * the noise key's stream t, added to the gradient in double and rounded once to float. As in
 * test_noise_sequence, an empty Poisson batch, zero params and SGD lr 1 make params = -noise;
 * sd = 2^32 scales exactly. Then the statistics of many draws, and FAST != SECURE. */
static void test_secure_noise(void) {
    fixture f;
    hush_shape vec = {30, 1, 1};
    fx_make(&f, "dense:64,tanh,dense:30,relu,dense:10", vec, 4, HUSH_OPTIM_SGD, 1.0f);
    size_t P = hush_model_param_count(f.m);
    float x[30] = {0};
    uint32_t y[1] = {0};
    hush_rng seed, key;
    CHECK_OK(hush_rng_init_u64(&seed, 77));
    CHECK_OK(hush_rng_derive(&key, &seed, "noise"));
    hush_dpsgd *dp;
    hush_dpsgd_config c = cfg_of(0.5, 2.0, HUSH_DPSGD_POISSON, 0x1p-32);
    c.noise = HUSH_DPSGD_NOISE_SECURE;
    CHECK_OK(hush_dpsgd_create(&dp, &seed, f.m, &c, NULL));
    int same = 1;
    double s1 = 0, s2 = 0, s4 = 0, cnt = 0;
    for (int step = 0; step < 6; step++) {
        memset(hush_model_params(f.m), 0, P * sizeof(float));
        size_t b;
        float l;
        if (step % 2) {
            int drew;
            CHECK_OK(hush_dpsgd_prefetch(dp, &drew)); /* prefetched secure noise: the same bits */
            CHECK(drew == 1);
        }
        CHECK_OK(hush_dpsgd_step(dp, f.o, &l, &b, x, y, 1));
        CHECK(b == 0);
        uint8_t nonce[12] = {(uint8_t)step};
        hush_rng ref;
        CHECK_OK(hush_rng_init_stream(&ref, key.key, nonce, 0));
        for (size_t j = 0; j < P; j++) {
            double a = hush_rng_normal(&ref), bb = hush_rng_normal(&ref), cc = hush_rng_normal(&ref),
                   d = hush_rng_normal(&ref);
            double z = ((a + bb) + (cc + d)) * 0.5;
            float want = (float)(0.0 + 0x1p32 * z);
            float got = -hush_model_params(f.m)[j];
            same &= got == want;
            double u = (double)got * 0x1p-32;
            s1 += u, s2 += u * u, s4 += u * u * u * u, cnt++;
        }
        hush_rng_clear(&ref);
    }
    CHECK_MSG(same, "secure noise is not the halved sum of four hush_rng_normal draws of stream t");
    /* cnt = 6 P = 29580 standard normals: mean within 5 / sqrt(cnt), variance within 5 sqrt(2 / cnt),
     * fourth moment (3 for a Gaussian, standard error sqrt(96 / cnt)) within 5 standard errors;
     * false alarms about 6e-7 each. */
    double mean = s1 / cnt, var = s2 / cnt - mean * mean, m4 = s4 / cnt;
    CHECK_MSG(fabs(mean) < 5 / sqrt(cnt), "secure noise mean %g", mean);
    CHECK_MSG(fabs(var - 1) < 5 * sqrt(2 / cnt), "secure noise variance %g", var);
    CHECK_MSG(fabs(m4 - 3) < 5 * sqrt(96 / cnt), "secure noise fourth moment %g", m4);
    hush_dpsgd_free(dp);
    /* the same seed with FAST noise gives different bits */
    c.noise = HUSH_DPSGD_NOISE_FAST;
    float first = 0;
    CHECK_OK(hush_dpsgd_create(&dp, &seed, f.m, &c, NULL));
    memset(hush_model_params(f.m), 0, P * sizeof(float));
    size_t b;
    CHECK_OK(hush_dpsgd_step(dp, f.o, NULL, &b, x, y, 1));
    hush_rng ref;
    uint8_t nonce0[12] = {0};
    CHECK_OK(hush_rng_init_stream(&ref, key.key, nonce0, 0));
    first = -hush_model_params(f.m)[0];
    CHECK(first == 0.0f + 0x1p32f * hush_rng_normal_f32(&ref));
    hush_rng_clear(&ref);
    hush_rng_clear(&key);
    hush_dpsgd_free(dp);
    fx_free(&f);
}

/* An allocator that remembers the first block it hands out (hush_dpsgd_create allocates the
 * handle first, then its accountant) and checks, when it is freed, that every byte was wiped. */
typedef struct spy_alloc {
    unsigned char *big;
    size_t big_size;
    int freed_dirty, frees;
} spy_alloc;

static void *spy_alloc_fn(void *ud, size_t size) {
    spy_alloc *s = ud;
    void *p = malloc(size);
    if (p && !s->big_size) s->big = p, s->big_size = size;
    return p;
}
static void spy_free_fn(void *ud, void *p, size_t size) {
    spy_alloc *s = ud;
    if (p == s->big) {
        for (size_t i = 0; i < size; i++) s->freed_dirty |= s->big[i] != 0;
        s->frees++;
        s->big = NULL;
    }
    free(p);
}

static int contains(const unsigned char *hay, size_t n, const void *needle, size_t m) {
    for (size_t i = 0; i + m <= n; i++)
        if (memcmp(hay + i, needle, m) == 0) return 1;
    return 0;
}

/* Issue 10, point 11: after a step the handle holds neither the raw records of its batch nor the
 * clipped sum before noise, and at free nothing at all. The records carry a marker value; the
 * exact clipped sum comes from a twin run without noise (same model, q = 1: the same batch), and
 * the step is chunked (40 rows, max_batch 16) so the sum goes through the handle's accumulator. */
static void test_wipes(void) {
    hush_shape vec = {6, 1, 1};
    enum { N = 40 };
    float x[N * 6];
    uint32_t y[N], perm[N];
    make_data(x, y, N, 6, 3, 21);
    const float marker = 12345.678f;
    for (size_t i = 0; i < N; i++) x[i * 6 + 5] = marker;
    fixture a, b;
    fx_make(&a, "dense:8,relu,dense:3", vec, 16, HUSH_OPTIM_SGD, 0.5f);
    fx_make(&b, "dense:8,relu,dense:3", vec, 16, HUSH_OPTIM_SGD, 0.5f);
    size_t P = hush_model_param_count(a.m);
    hush_rng seed;
    CHECK_OK(hush_rng_init_u64(&seed, 3));
    hush_dpsgd *twin, *dp;
    hush_dpsgd_config c0 = cfg_of(0.05, 0.0, HUSH_DPSGD_POISSON, 1.0), c1 = cfg_of(0.05, 1.0, HUSH_DPSGD_POISSON, 1.0);
    CHECK_OK(hush_dpsgd_create(&twin, &seed, a.m, &c0, NULL));
    CHECK_OK(hush_dpsgd_step(twin, a.o, NULL, NULL, x, y, N));
    float sum[8]; /* the exact clipped sum's first coordinates, scaled by 1/E[B] */
    memcpy(sum, hush_model_grads(a.m), sizeof sum);
    int nonzero = 0;
    for (int j = 0; j < 8; j++) nonzero += sum[j] != 0.0f;
    CHECK(nonzero >= 4);
    spy_alloc spy = {NULL, 0, 0, 0};
    hush_allocator al = {spy_alloc_fn, spy_free_fn, &spy};
    CHECK_OK(hush_dpsgd_create(&dp, &seed, b.m, &c1, &al));
    CHECK(spy.big_size > (size_t)16 * 6 * sizeof(float));
    CHECK(!contains(spy.big, spy.big_size, &marker, sizeof marker));
    CHECK_OK(hush_dpsgd_step(dp, b.o, NULL, NULL, x, y, N));
    CHECK_MSG(!contains(spy.big, spy.big_size, &marker, sizeof marker), "a Poisson step left raw records in the handle");
    CHECK_MSG(!contains(spy.big, spy.big_size, sum, sizeof sum), "a step left the clipped sum before noise in the handle");
    (void)P;
    hush_dpsgd_free(dp);
    CHECK(spy.frees == 1 && !spy.freed_dirty);
    /* shuffled fixed batches, microbatches: the same, and the permutation is wiped too */
    for (uint32_t mbs = 0; mbs <= 2; mbs += 2) {
        spy_alloc s2 = {NULL, 0, 0, 0};
        hush_allocator a2 = {spy_alloc_fn, spy_free_fn, &s2};
        hush_dpsgd_config cs = cfg_of(0.05, 1.0, HUSH_DPSGD_SHUFFLE, 0.0);
        cs.batch_size = 8;
        cs.num_microbatches = mbs;
        CHECK_OK(hush_dpsgd_create(&dp, &seed, b.m, &cs, &a2));
        float l;
        CHECK_OK(hush_dpsgd_fit_epoch(dp, b.o, perm, &l, NULL, x, y, N));
        CHECK(!contains(s2.big, s2.big_size, &marker, sizeof marker));
        int perm_zero = 1;
        for (size_t i = 0; i < N; i++) perm_zero &= perm[i] == 0;
        CHECK(perm_zero);
        hush_dpsgd_free(dp);
        CHECK(s2.frees == 1 && !s2.freed_dirty);
    }
    hush_dpsgd_free(twin);
    fx_free(&a);
    fx_free(&b);
}

int main(void) {
    test_bit_identical();
    test_clipping();
    test_microbatches();
    test_noise_statistics();
    test_noise_sequence();
    test_poisson();
    test_calibration();
    test_errors();
    test_secure_noise();
    test_wipes();
    CHECK_SUMMARY();
}
