/* PATE end to end on sklearn's 8x8 digits (a bench, not a test).
 *
 * Canonical split (seed 1, "split", test 20%). The training part is cut into a public student pool
 * (the last POOL rows, labels hidden from the student) and N disjoint teacher partitions. Each
 * teacher MLP trains on its own partition; the ensemble's votes on the pool are aggregated with
 * LNMax, GNMax and Confident-GNMax at several noise levels; the student MLP trains on the answered
 * pool rows with the noisy labels and is scored on the test split. Epsilons (delta 1e-5):
 *   LNMax: PySyft perform_analysis (data-dependent, and data-independent) over the answered rows;
 *   GNMax / Confident-GNMax: the 2018 RDP analysis (hush_pate_analyze_gnmax).
 * The data-dependent values are what the papers report; publishing one exactly needs smooth
 * sensitivity (not applied here).
 *
 *   pate_digits [TEACHERS] [POOL] [TEACHER_SPEC]   (defaults 50, 300, dense:10; from the repo root)
 */
#define _POSIX_C_SOURCE 199309L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hush.h"

#ifndef T_EPOCHS
#define T_EPOCHS 150
#endif
#ifndef T_LR
#define T_LR 0.01f
#endif
#ifndef T_WD
#define T_WD 0.0f
#endif

#define OK(expr)                                                                                   \
    do {                                                                                           \
        int rc_ = (expr);                                                                          \
        if (rc_ != HUSH_OK) {                                                                      \
            fprintf(stderr, "%s:%d: %s -> %s\n", __FILE__, __LINE__, #expr, hush_status_name(rc_)); \
            exit(1);                                                                               \
        }                                                                                          \
    } while (0)

static hush_model *mlp(const char *spec, size_t dim, uint32_t max_batch, hush_rng *master, const char *name) {
    hush_layer_spec ls[8];
    size_t nl;
    hush_model *m;
    OK(hush_model_spec_parse(ls, 8, &nl, spec, NULL));
    hush_shape in = {(uint32_t)dim, 1, 1};
    OK(hush_model_create(&m, ls, nl, in, max_batch, NULL));
    hush_rng r;
    OK(hush_rng_derive(&r, master, name));
    OK(hush_model_init_params(m, &r));
    hush_rng_clear(&r);
    return m;
}

static void fit(hush_model *m, hush_rng *master, const char *name, const float *x, const uint32_t *y, size_t n,
                uint32_t epochs, float lr, size_t batch, float wd) {
    hush_optim_config oc;
    hush_optim_config_default(&oc, HUSH_OPTIM_ADAM, lr);
    oc.weight_decay = wd;
    hush_optim *o;
    OK(hush_optim_create(&o, &oc, hush_model_param_count(m), NULL));
    hush_rng sh;
    OK(hush_rng_derive(&sh, master, name));
    uint32_t *perm = malloc(n * sizeof *perm);
    for (uint32_t e = 0; e < epochs; e++) {
        float l;
        OK(hush_model_fit_epoch(m, o, &sh, perm, &l, x, y, n, batch < n ? batch : n));
    }
    free(perm);
    hush_rng_clear(&sh);
    hush_optim_free(o);
}

int main(int argc, char **argv) {
    if (hush_init() != HUSH_OK) return 1;
    size_t T = argc > 1 ? (size_t)atoi(argv[1]) : 50, POOL = argc > 2 ? (size_t)atoi(argv[2]) : 300;
    FILE *f = fopen("data/digits.csv", "rb");
    if (!f) {
        fprintf(stderr, "data/digits.csv missing (scripts/bootstrap.sh)\n");
        return 1;
    }
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *text = malloc((size_t)len);
    if (fread(text, 1, (size_t)len, f) != (size_t)len) return 1;
    fclose(f);
    hush_dataset *all, *train, *test;
    hush_parse_error err;
    OK(hush_csv_parse(&all, text, (size_t)len, &err, NULL));
    free(text);
    OK(hush_dataset_scale(all, 1.0f / 16.0f));
    hush_rng master, split;
    OK(hush_rng_init_u64(&master, 1));
    OK(hush_rng_derive(&split, &master, "split"));
    OK(hush_dataset_split(&train, &test, all, 0.2, &split, NULL));
    size_t D = hush_dataset_dim(train), N = hush_dataset_rows(train), NT = hush_dataset_rows(test);
    const float *x = hush_dataset_x(train), *xt = hush_dataset_x(test);
    const uint32_t *y = hush_dataset_labels(train), *yt = hush_dataset_labels(test);
    /* "testpool" (as Papernot et al. 2017 do with MNIST's test set): the student pool is the first
     * POOL test rows and the student is scored on the rest; the teachers share all training rows.
     * Otherwise the pool is the last POOL training rows and the whole test split scores. */
    int testpool = argc > 4 && !strcmp(argv[4], "testpool");
    size_t teach_rows = testpool ? N : N - POOL;
    if ((testpool ? POOL >= NT : POOL >= N) || T == 0 || teach_rows / T < 5) {
        fprintf(stderr, "pool %zu and %zu teachers do not fit the data\n", POOL, T);
        return 1;
    }
    size_t per = teach_rows / T;
    const float *xp = testpool ? xt : x + (N - POOL) * D;
    const uint32_t *yp = testpool ? yt : y + (N - POOL);
    if (testpool) {
        xt += POOL * D;
        yt += POOL;
        NT -= POOL;
    }
    printf("PATE on digits: %zu teachers x %zu rows, a %zu-row student pool (%s), %zu rows to score the student\n",
           T, per, POOL, testpool ? "first test rows" : "last training rows", NT);

    /* teachers and their votes on the pool (votes[t * POOL + e]) */
    const char *tspec = argc > 3 ? argv[3] : "dense:10";
    uint32_t *votes = malloc(T * POOL * sizeof *votes);
    double tacc = 0;
    for (size_t t = 0; t < T; t++) {
        char name[32];
        snprintf(name, sizeof name, "teacher.%zu", t);
        hush_model *m = mlp(tspec, D, 64, &master, name);
        fit(m, &master, name, x + t * per * D, y + t * per, per, T_EPOCHS, T_LR, 16, T_WD);
        OK(hush_model_predict(m, votes + t * POOL, xp, POOL));
        float l, a;
        OK(hush_model_evaluate(m, &l, &a, xt, yt, NT));
        tacc += a;
        hush_model_free(m);
    }
    size_t agree = 0;
    uint32_t counts[10];
    for (size_t e = 0; e < POOL; e++) {
        memset(counts, 0, sizeof counts);
        for (size_t t = 0; t < T; t++) counts[votes[t * POOL + e]]++;
        uint32_t best = 0;
        for (uint32_t k = 1; k < 10; k++)
            if (counts[k] > counts[best]) best = k;
        agree += best == yp[e];
    }
    printf("teachers (%s, %zu rows each): mean test accuracy %.3f; noiseless plurality on the pool %.3f\n\n", tspec,
           per, tacc / (double)T, (double)agree / (double)POOL);

    /* a non-private reference: the student on the true pool labels */
    hush_model *ref = mlp("dense:64,relu,dense:10", D, 64, &master, "student");
    fit(ref, &master, "student", xp, yp, POOL, 200, 0.01f, 32, 0.0f);
    float rl, ra;
    OK(hush_model_evaluate(ref, &rl, &ra, xt, yt, NT));
    hush_model_free(ref);
    printf("student on the TRUE pool labels (no privacy): test accuracy %.3f\n\n", ra);

    typedef struct row {
        const char *label;
        hush_pate_config cfg;
    } row;
    const row rows[] = {
        {"LNMax eps 0.05", {HUSH_PATE_LNMAX, 0.05, 0, 0, 0}},
        {"LNMax eps 0.1", {HUSH_PATE_LNMAX, 0.1, 0, 0, 0}},
        {"LNMax eps 0.2", {HUSH_PATE_LNMAX, 0.2, 0, 0, 0}},
        {"GNMax s 10", {HUSH_PATE_GNMAX, 0, 10, 0, 0}},
        {"GNMax s 20", {HUSH_PATE_GNMAX, 0, 20, 0, 0}},
        {"GNMax s 40", {HUSH_PATE_GNMAX, 0, 40, 0, 0}},
        {"GNMax s .1N", {HUSH_PATE_GNMAX, 0, 0.1 * T, 0, 0}},
        {"Conf T.5N s1 .2N s2 .1N", {HUSH_PATE_CONFIDENT, 0, 0.1 * T, 0.5 * T, 0.2 * T}},
        {"Conf T.6N s1 .2N s2 .1N", {HUSH_PATE_CONFIDENT, 0, 0.1 * T, 0.6 * T, 0.2 * T}},
        {"Conf T.7N s1 .2N s2 .1N", {HUSH_PATE_CONFIDENT, 0, 0.1 * T, 0.7 * T, 0.2 * T}},
        {"Conf T.6N s1 .3N s2 .15N", {HUSH_PATE_CONFIDENT, 0, 0.15 * T, 0.6 * T, 0.3 * T}},
        {"Conf T.7N s1 .3N s2 .2N", {HUSH_PATE_CONFIDENT, 0, 0.2 * T, 0.7 * T, 0.3 * T}},
        {"Conf T.6N s1 .5N s2 .1N", {HUSH_PATE_CONFIDENT, 0, 0.1 * T, 0.6 * T, 0.5 * T}},
        {"Conf T.7N s1 .5N s2 .1N", {HUSH_PATE_CONFIDENT, 0, 0.1 * T, 0.7 * T, 0.5 * T}},
        {"Conf T.8N s1 .5N s2 .1N", {HUSH_PATE_CONFIDENT, 0, 0.1 * T, 0.8 * T, 0.5 * T}},
        {"Conf T.9N s1 .5N s2 .1N", {HUSH_PATE_CONFIDENT, 0, 0.1 * T, 0.9 * T, 0.5 * T}},
    };
    printf("%-26s %8s %9s %9s %12s %12s\n", "aggregator", "answered", "label acc", "student", "eps (dep)", "eps (indep)");
    int32_t *lab = malloc(POOL * sizeof *lab);
    uint32_t *idx = malloc(POOL * sizeof *idx), *sy = malloc(POOL * sizeof *sy);
    float *sx = malloc(POOL * D * sizeof *sx);
    double best_eps = INFINITY;
    const char *best = NULL;
    for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++) {
        hush_rng noise;
        OK(hush_rng_derive(&noise, &master, "pate"));
        size_t answered;
        OK(hush_pate_aggregate(&noise, lab, &answered, votes, T, POOL, 10, &rows[r].cfg, NULL));
        hush_rng_clear(&noise);
        size_t na = 0, right = 0;
        for (size_t e = 0; e < POOL; e++) {
            if (lab[e] < 0) continue;
            idx[na] = (uint32_t)e;
            sy[na] = (uint32_t)lab[e];
            memcpy(sx + na * D, xp + e * D, D * sizeof(float));
            right += (uint32_t)lab[e] == yp[e];
            na++;
        }
        double dd = NAN, di = NAN;
        if (rows[r].cfg.mechanism == HUSH_PATE_LNMAX) {
            double unused;
            if (hush_pate_analyze(&dd, &unused, votes, T, POOL, idx, na, rows[r].cfg.noise_eps, 1e-5, 8, NULL) != HUSH_OK)
                dd = NAN;
            OK(hush_pate_lnmax_epsilon(&di, na, rows[r].cfg.noise_eps, 1e-5, 8));
        } else {
            OK(hush_pate_analyze_gnmax(&dd, &di, votes, T, POOL, 10, lab, rows[r].cfg.threshold,
                                       rows[r].cfg.mechanism == HUSH_PATE_CONFIDENT ? rows[r].cfg.sigma1 : 0.0,
                                       rows[r].cfg.sigma, 1e-5, NULL));
        }
        float sl = 0, sa = 0;
        if (na > 0) {
            hush_model *s = mlp("dense:64,relu,dense:10", D, 64, &master, "student");
            fit(s, &master, "student", sx, sy, na, 200, 0.01f, 32, 0.0f);
            OK(hush_model_evaluate(s, &sl, &sa, xt, yt, NT));
            hush_model_free(s);
        }
        if (sa >= 0.9f && dd < best_eps) best_eps = dd, best = rows[r].label;
        printf("%-26s %8zu %9.3f %9.3f %12.3f %12.3f\n", rows[r].label, na, na ? (double)right / (double)na : 0.0, sa,
               dd, di);
        fflush(stdout);
    }
    if (best)
        printf("\nlowest data-dependent epsilon with student >= 0.90: %.3f (%s); target < 5\n", best_eps, best);
    else
        printf("\nno aggregator reached student accuracy 0.90\n");
    printf("\nLNMax epsilons: PySyft 0.2 perform_analysis over the answered rows (moments 8); GNMax and\n"
           "Confident-GNMax: Papernot et al. 2018 RDP (data-dependent; data-independent), delta 1e-5.\n");
    free(lab);
    free(idx);
    free(sy);
    free(sx);
    free(votes);
    hush_dataset_free(all);
    hush_dataset_free(train);
    hush_dataset_free(test);
    hush_rng_clear(&master);
    hush_rng_clear(&split);
    return 0;
}
