/* hush_dpsgd_prefetch: drawing a step's noise ahead, on the same thread or on another one, leaves
 * every parameter bit for bit as without it (Poisson steps, shuffled epochs, microbatches), whatever
 * the interleaving, also with two prefetching threads; calls that find the buffer full draw nothing. Built with -pthread; `make
 * test-tsan` also runs it under ThreadSanitizer. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "check.h"
#include "hush.h"

#define IN 8
#define N 120

typedef struct run {
    hush_model *m;
    hush_optim *o;
    hush_dpsgd *dp;
} run;

static void run_make(run *r, int sampling, uint32_t microbatches, uint32_t noise) {
    hush_layer_spec ls[8];
    size_t nl;
    CHECK_OK(hush_model_spec_parse(ls, 8, &nl, "dense:16,relu,dense:4", NULL));
    CHECK_OK(hush_model_create(&r->m, ls, nl, (hush_shape){IN, 1, 1}, 16, NULL));
    hush_rng seed;
    CHECK_OK(hush_rng_init_u64(&seed, 5));
    CHECK_OK(hush_model_init_params(r->m, &seed));
    hush_optim_config oc;
    CHECK_OK(hush_optim_config_init(&oc, HUSH_OPTIM_ADAM, 0.01f));
    CHECK_OK(hush_optim_create(&r->o, &oc, hush_model_param_count(r->m), NULL));
    hush_dpsgd_config c;
    CHECK_OK(hush_dpsgd_config_init(&c, (uint32_t)sampling, 0.1, 1.0, 1.1));
    c.batch_size = 12;
    c.noise = noise;
    c.num_microbatches = microbatches;
    CHECK_OK(hush_dpsgd_create(&r->dp, &seed, r->m, &c, NULL));
    hush_rng_clear(&seed);
}

static void run_free(run *r) {
    hush_dpsgd_free(r->dp);
    hush_optim_free(r->o);
    hush_model_free(r->m);
}

static int same_params(const run *a, const run *b) {
    size_t P = hush_model_param_count(a->m);
    return memcmp(hush_model_params(a->m), hush_model_params(b->m), P * sizeof(float)) == 0;
}

static void make_data(float *x, uint32_t *y) {
    hush_rng r;
    CHECK_OK(hush_rng_init_u64(&r, 9));
    for (size_t i = 0; i < N * IN; i++) x[i] = (float)(2.0 * hush_rng_uniform(&r) - 1.0);
    for (size_t i = 0; i < N; i++) y[i] = (uint32_t)check_below(&r, 4);
    hush_rng_clear(&r);
}

/* Same thread: prefetch before some steps, twice before others, never before the rest. */
static void test_interleaved(const float *x, const uint32_t *y) {
    run a, b;
    run_make(&a, HUSH_DPSGD_POISSON, 0, HUSH_DPSGD_NOISE_FAST);
    run_make(&b, HUSH_DPSGD_POISSON, 0, HUSH_DPSGD_NOISE_FAST);
    int drew_first = 0, drew_second = 0;
    for (int t = 0; t < 30; t++) {
        CHECK_OK(hush_dpsgd_step(a.dp, a.o, NULL, NULL, x, y, N));
        int d;
        if (t % 3 != 2) {
            CHECK_OK(hush_dpsgd_prefetch(b.dp, &d));
            drew_first += d;
        }
        if (t % 3 == 1) {
            CHECK_OK(hush_dpsgd_prefetch(b.dp, &d));
            drew_second += d;
        }
        CHECK_OK(hush_dpsgd_step(b.dp, b.o, NULL, NULL, x, y, N));
    }
    CHECK(drew_first == 20 && drew_second == 0);
    CHECK_MSG(same_params(&a, &b), "prefetched noise changed the parameters");
    /* a prefetch nobody takes is simply wiped at free */
    int d;
    CHECK_OK(hush_dpsgd_prefetch(b.dp, &d));
    CHECK(d == 1);
    run_free(&a);
    run_free(&b);
}

static void test_no_noise_and_errors(void) {
    run r;
    run_make(&r, HUSH_DPSGD_POISSON, 0, HUSH_DPSGD_NOISE_FAST);
    int d = 7;
    CHECK_RC(hush_dpsgd_prefetch(NULL, &d), HUSH_EARG);
    CHECK(d == 0);
    hush_dpsgd *z;
    hush_dpsgd_config c;
    CHECK_OK(hush_dpsgd_config_init(&c, HUSH_DPSGD_POISSON, 0.5, 1.0, 0.0));
    CHECK_OK(hush_dpsgd_create(&z, NULL, r.m, &c, NULL));
    d = 7;
    CHECK_OK(hush_dpsgd_prefetch(z, &d));
    CHECK(d == 0); /* sigma 0: there is no noise to draw */
    CHECK_OK(hush_dpsgd_prefetch(z, NULL));
    hush_dpsgd_free(z);
    run_free(&r);
}

typedef struct prefetcher {
    hush_dpsgd *dp;
    atomic_int stop, drew, failed;
} prefetcher;

static void *prefetch_loop(void *p) {
    prefetcher *pf = p;
    while (!atomic_load(&pf->stop)) {
        int d;
        if (hush_dpsgd_prefetch(pf->dp, &d) != HUSH_OK) atomic_store(&pf->failed, 1);
        if (d) atomic_fetch_add(&pf->drew, 1);
    }
    return NULL;
}

/* nth other threads prefetching as fast as they can while this one trains; the first step's noise
 * is prefetched for sure (the loop waits for it), later ones race. */
static void threaded(const float *x, const uint32_t *y, int sampling, uint32_t microbatches, int nth, uint32_t noise) {
    run a, b;
    run_make(&a, sampling, microbatches, noise);
    run_make(&b, sampling, microbatches, noise);
    prefetcher pf = {.dp = b.dp};
    atomic_init(&pf.stop, 0);
    atomic_init(&pf.drew, 0);
    atomic_init(&pf.failed, 0);
    pthread_t th[2];
    for (int i = 0; i < nth; i++) CHECK(pthread_create(&th[i], NULL, prefetch_loop, &pf) == 0);
    while (atomic_load(&pf.drew) == 0) {
    }
    uint32_t perm[N];
    float la, lb;
    for (int e = 0; e < 4; e++) {
        CHECK_OK(hush_dpsgd_fit_epoch(a.dp, a.o, perm, &la, NULL, x, y, N));
        CHECK_OK(hush_dpsgd_fit_epoch(b.dp, b.o, perm, &lb, NULL, x, y, N));
    }
    atomic_store(&pf.stop, 1);
    for (int i = 0; i < nth; i++) CHECK(pthread_join(th[i], NULL) == 0);
    CHECK(!atomic_load(&pf.failed));
    CHECK(atomic_load(&pf.drew) >= 1);
    CHECK(hush_dpsgd_steps(a.dp) == hush_dpsgd_steps(b.dp) && hush_dpsgd_steps(a.dp) >= 30);
    CHECK_MSG(same_params(&a, &b) && la == lb, "noise prefetched on another thread changed the parameters "
              "(sampling %d, microbatches %u)", sampling, microbatches);
    run_free(&a);
    run_free(&b);
}

int main(void) {
    float x[N * IN];
    uint32_t y[N];
    make_data(x, y);
    test_interleaved(x, y);
    test_no_noise_and_errors();
    threaded(x, y, HUSH_DPSGD_POISSON, 0, 1, HUSH_DPSGD_NOISE_FAST);
    threaded(x, y, HUSH_DPSGD_SHUFFLE, 0, 1, HUSH_DPSGD_NOISE_FAST);
    threaded(x, y, HUSH_DPSGD_SHUFFLE, 3, 1, HUSH_DPSGD_NOISE_FAST);
    threaded(x, y, HUSH_DPSGD_POISSON, 0, 2, HUSH_DPSGD_NOISE_FAST); /* two prefetchers: one draws at a time */
    threaded(x, y, HUSH_DPSGD_POISSON, 0, 1, HUSH_DPSGD_NOISE_SECURE);
    CHECK_SUMMARY();
}
