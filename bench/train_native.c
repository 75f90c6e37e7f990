/* Training-step throughput of the Hush core, for `make bench`.
 *
 * The same source is built natively (linked to build/native/libhush.a), for wasm32-wasi (run
 * under node:wasi) and with emcc (SIMD and baseline, run under Node), so every build times the
 * exact same loop: hush_model_step (forward, backward, SGD update) on one fixed batch of
 * synthetic data, examples/second = steps * batch / wall time from clock_gettime.
 *
 * Usage: train_native [--engine NAME] [--seconds S] [--repeats R] [--warm S] [--breakdown]
 *                     NAME=SPEC@CxHxW/B ...
 * e.g.   train_native digits=dense:50,relu,dense:50,relu,dense:10@64x1x1/32
 * One JSON object per case on stdout. --breakdown also times hush_model_forward,
 * hush_model_backward and hush_optim_step on their own (for profiling, not for the table).
 * Seeding follows the canonical scheme: master = seed 1, children "init" and "data".
 */
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hush/nn.h"
#include "hush/rng.h"

#ifndef BENCH_ENGINE
#define BENCH_ENGINE "hush-native"
#endif

#define MAX_REPEATS 15

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(const double *v, int n) {
    double s[MAX_REPEATS];
    memcpy(s, v, (size_t)n * sizeof *s);
    qsort(s, (size_t)n, sizeof *s, cmp_double);
    return n % 2 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
}

typedef struct bench_case {
    char name[64];
    char spec[256];
    hush_shape shape;
    unsigned batch;
} bench_case;

static int parse_case(bench_case *c, const char *arg) {
    const char *eq = strchr(arg, '=');
    const char *at = strrchr(arg, '@');
    if (!eq || !at || at < eq || (size_t)(eq - arg) >= sizeof c->name || (size_t)(at - eq - 1) >= sizeof c->spec)
        return -1;
    memcpy(c->name, arg, (size_t)(eq - arg));
    c->name[eq - arg] = 0;
    memcpy(c->spec, eq + 1, (size_t)(at - eq - 1));
    c->spec[at - eq - 1] = 0;
    if (sscanf(at + 1, "%ux%ux%u/%u", &c->shape.c, &c->shape.h, &c->shape.w, &c->batch) != 4 || c->batch == 0)
        return -1;
    return 0;
}

typedef struct timing {
    double rates[MAX_REPEATS];
    double median;
    long steps;
} timing;

enum what { DO_STEP, DO_FORWARD, DO_BACKWARD, DO_OPTIM };

typedef struct ctx {
    hush_model *m;
    hush_optim *o;
    float *x, *logits;
    uint32_t *y;
    size_t batch;
    float loss;
} ctx;

static int run_one(ctx *c, enum what w) {
    switch (w) {
    case DO_STEP:
        return hush_model_step(c->m, c->o, &c->loss, c->x, c->y, c->batch);
    case DO_FORWARD:
        return hush_model_forward(c->m, c->logits, c->batch * hush_model_output_size(c->m), c->x, c->batch);
    case DO_BACKWARD:
        return hush_model_backward(c->m, &c->loss, c->x, c->y, c->batch);
    case DO_OPTIM:
        return hush_optim_step(c->o, hush_model_params(c->m), hush_model_grads(c->m), hush_model_param_count(c->m));
    }
    return -1;
}

/* Warm up for `warm` seconds (at least 2 steps), size each repeat to ~`seconds`, time `repeats`. */
static int time_it(ctx *c, enum what w, double seconds, int repeats, double warm, timing *t) {
    double t0 = now_s();
    long n = 0;
    int rc;
    do {
        if ((rc = run_one(c, w)) != HUSH_OK) return rc;
        n++;
    } while (n < 2 || now_s() - t0 < warm);
    double per = (now_s() - t0) / (double)n;
    long steps = (long)(seconds / (per > 1e-9 ? per : 1e-9)) + 1;
    if (steps < 3) steps = 3;
    t->steps = steps;
    for (int r = 0; r < repeats; r++) {
        t0 = now_s();
        for (long i = 0; i < steps; i++)
            if ((rc = run_one(c, w)) != HUSH_OK) return rc;
        t->rates[r] = (double)steps * (double)c->batch / (now_s() - t0);
    }
    t->median = median(t->rates, repeats);
    return HUSH_OK;
}

static void print_rates(const timing *t, int repeats) {
    printf("[");
    for (int r = 0; r < repeats; r++) printf("%s%.1f", r ? "," : "", t->rates[r]);
    printf("]");
}

static int bench(const char *engine, const bench_case *bc, double seconds, int repeats, double warm, int breakdown) {
    hush_layer_spec layers[HUSH_MODEL_MAX_LAYERS];
    size_t n_layers = 0, err_pos = 0;
    ctx c = {0};
    hush_rng master, init_rng, data_rng;
    int rc;
    c.batch = bc->batch;
    if ((rc = hush_model_spec_parse(layers, HUSH_MODEL_MAX_LAYERS, &n_layers, bc->spec, &err_pos)) != HUSH_OK) {
        fprintf(stderr, "train_native: %s: bad spec at %zu: %s\n", bc->name, err_pos, hush_strerror(rc));
        return rc;
    }
    if ((rc = hush_model_create(&c.m, layers, n_layers, bc->shape, bc->batch, NULL)) != HUSH_OK) goto out;
    if ((rc = hush_rng_init_u64(&master, 1)) != HUSH_OK) goto out;
    if ((rc = hush_rng_derive(&init_rng, &master, "init")) != HUSH_OK) goto out;
    if ((rc = hush_rng_derive(&data_rng, &master, "data")) != HUSH_OK) goto out;
    if ((rc = hush_model_init_params(c.m, &init_rng)) != HUSH_OK) goto out;
    hush_optim_config cfg;
    if ((rc = hush_optim_config_init(&cfg, HUSH_OPTIM_SGD, 0.01f)) != HUSH_OK) goto out;
    if ((rc = hush_optim_create(&c.o, &cfg, hush_model_param_count(c.m), NULL)) != HUSH_OK) goto out;

    size_t in = hush_model_input_size(c.m), out_n = hush_model_output_size(c.m);
    c.x = malloc(c.batch * in * sizeof *c.x);
    c.y = malloc(c.batch * sizeof *c.y);
    c.logits = malloc(c.batch * out_n * sizeof *c.logits);
    if (!c.x || !c.y || !c.logits) { rc = HUSH_ENOMEM; goto out; }
    for (size_t i = 0; i < c.batch * in; i++) c.x[i] = (float)hush_rng_uniform(&data_rng);
    for (size_t i = 0; i < c.batch; i++) {
        uint64_t y = 0;
        if ((rc = hush_rng_below(&data_rng, &y, out_n)) != HUSH_OK) goto out;
        c.y[i] = (uint32_t)y;
    }

    /* Sanity: on one fixed batch, SGD must lower the loss; a step that does not train would
     * otherwise show up as a spectacular (and meaningless) throughput. */
    timing t;
    c.loss = -1.0f;
    if ((rc = run_one(&c, DO_STEP)) != HUSH_OK) goto out;
    float loss0 = c.loss;
    if ((rc = time_it(&c, DO_STEP, seconds, repeats, warm, &t)) != HUSH_OK) goto out;
    int sane = loss0 > 0.0f && c.loss < loss0;
    printf("{\"engine\":\"%s\",\"case\":\"%s\",\"batch\":%u,\"params\":%zu,\"eps\":%.1f,\"steps\":%ld,"
           "\"loss0\":%g,\"loss\":%g,\"sane\":%s,\"rates\":",
           engine, bc->name, bc->batch, hush_model_param_count(c.m), t.median, t.steps, (double)loss0, (double)c.loss,
           sane ? "true" : "false");
    print_rates(&t, repeats);
    if (breakdown) {
        /* Seconds per call of each phase; backward includes its own forward pass. */
        static const char *names[] = {"forward", "backward", "optim"};
        static const enum what ws[] = {DO_FORWARD, DO_BACKWARD, DO_OPTIM};
        printf(",\"breakdown_us\":{");
        for (int k = 0; k < 3; k++) {
            timing tb;
            if ((rc = time_it(&c, ws[k], seconds / 3, repeats, warm / 3, &tb)) != HUSH_OK) goto out;
            printf("%s\"%s\":%.2f", k ? "," : "", names[k], 1e6 * (double)c.batch / tb.median);
        }
        printf("}");
    }
    printf("}\n");
    fflush(stdout);
out:
    if (rc != HUSH_OK) {
        printf("{\"engine\":\"%s\",\"case\":\"%s\",\"batch\":%u,\"error\":\"%s\"}\n", engine, bc->name, bc->batch,
               hush_status_name(rc));
        fflush(stdout);
    }
    hush_rng_clear(&master);
    hush_rng_clear(&init_rng);
    hush_rng_clear(&data_rng);
    free(c.x);
    free(c.y);
    free(c.logits);
    hush_optim_free(c.o);
    hush_model_free(c.m);
    return rc;
}

int main(int argc, char **argv) {
    const char *engine = BENCH_ENGINE;
    double seconds = 1.0, warm = 0.3;
    int repeats = 3, breakdown = 0, failed = 0, ncases = 0;
    /* Options first (they may follow the cases), then the cases in order. */
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--engine") && i + 1 < argc) engine = argv[++i];
        else if (!strcmp(a, "--seconds") && i + 1 < argc) seconds = atof(argv[++i]);
        else if (!strcmp(a, "--warm") && i + 1 < argc) warm = atof(argv[++i]);
        else if (!strcmp(a, "--repeats") && i + 1 < argc) repeats = atoi(argv[++i]);
        else if (!strcmp(a, "--breakdown")) breakdown = 1;
        else if (a[0] == '-') {
            fprintf(stderr, "train_native: unknown option '%s'\n", a);
            return 2;
        } else ncases++;
    }
    if (repeats < 1 || repeats > MAX_REPEATS || !(seconds > 0) || ncases == 0) {
        fprintf(stderr, "train_native: need 1..%d repeats, positive seconds and at least one case\n", MAX_REPEATS);
        return 2;
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] == '-') {
            if (strcmp(a, "--breakdown") != 0) i++;
            continue;
        }
        bench_case bc;
        if (parse_case(&bc, a) != 0) {
            fprintf(stderr, "train_native: bad case '%s' (want NAME=SPEC@CxHxW/B)\n", a);
            return 2;
        }
        if (bench(engine, &bc, seconds, repeats, warm, breakdown) != HUSH_OK) failed = 1;
    }
    return failed;
}
