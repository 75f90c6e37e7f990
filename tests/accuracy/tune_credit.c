/* How the German credit hyper-parameters in accuracy.test.mjs were chosen, without looking at a
 * test fold: nested cross-validation. For each of the 5 outer folds of `hush train --cv 5 --seed 1`
 * (same canonical "split" stream), only the outer training part is used, cut into 5 inner folds
 * (standardised with the inner training statistics); the configuration with the best mean inner
 * validation accuracy over all 25 inner runs is reported.
 * Run: make build/native/tune_credit && build/native/tune_credit */
#include <stdio.h>
#include <stdlib.h>

#include "hush.h"

typedef struct config {
    uint32_t optim;
    float lr;
    int epochs;
    float wd;
} config;

static float train_eval(const hush_dataset *tr, const hush_dataset *va, const config *c, uint64_t seed) {
    hush_layer_spec layers[8];
    size_t n_layers;
    hush_model *m = NULL;
    hush_optim *o = NULL;
    hush_optim_config oc;
    hush_rng rng;
    float loss, acc = 0;
    size_t n = hush_dataset_rows(tr);
    uint32_t *perm = malloc(n * sizeof *perm);
    int rc = hush_optim_config_init(&oc, c->optim, c->lr);
    oc.weight_decay = c->wd;
    if (!rc) rc = hush_model_spec_parse(layers, 8, &n_layers, "dense:32,relu,dense:16,relu,dense:2", NULL);
    if (!rc) rc = hush_model_create(&m, layers, n_layers, hush_dataset_shape(tr), 32, NULL);
    if (!rc) rc = hush_rng_init_u64(&rng, seed);
    if (!rc) rc = hush_model_init_params(m, &rng);
    if (!rc) rc = hush_optim_create(&o, &oc, hush_model_param_count(m), NULL);
    for (int e = 0; !rc && e < c->epochs; e++)
        rc = hush_model_fit_epoch(m, &rng, o, perm, &loss, hush_dataset_x(tr), hush_dataset_labels(tr), n, 32);
    if (!rc) rc = hush_model_evaluate(m, &loss, &acc, hush_dataset_x(va), hush_dataset_labels(va), hush_dataset_rows(va));
    if (rc) fprintf(stderr, "tune: %s\n", hush_strerror(rc));
    free(perm);
    hush_optim_free(o);
    hush_model_free(m);
    return acc;
}

int main(void) {
    static const config grid[] = {
        {HUSH_OPTIM_SGD, 0.01f, 20, 0},     {HUSH_OPTIM_SGD, 0.05f, 10, 0},     {HUSH_OPTIM_SGD, 0.05f, 20, 0},
        {HUSH_OPTIM_SGD, 0.05f, 20, 0.1f},  {HUSH_OPTIM_ADAM, 0.001f, 5, 0},    {HUSH_OPTIM_ADAM, 0.001f, 10, 0},
        {HUSH_OPTIM_ADAM, 0.001f, 20, 0},   {HUSH_OPTIM_ADAM, 0.001f, 10, 0.1f}, {HUSH_OPTIM_ADAM, 0.001f, 20, 0.1f},
        {HUSH_OPTIM_ADAM, 0.001f, 10, 1},   {HUSH_OPTIM_ADAM, 0.001f, 20, 1},   {HUSH_OPTIM_ADAM, 0.003f, 10, 1},
    };
    static const char *names[] = {"sgd", "momentum", "adam"};
    size_t len;
    FILE *f = fopen("data/credit-g.arff", "rb");
    static char text[1 << 20];
    len = f ? fread(text, 1, sizeof text, f) : 0;
    if (f) fclose(f);
    hush_dataset *all = NULL;
    if (hush_arff_parse(&all, text, len, NULL, NULL) != HUSH_OK) {
        fprintf(stderr, "tune: cannot parse data/credit-g.arff\n");
        return 1;
    }
    size_t ng = sizeof grid / sizeof grid[0];
    double score[sizeof grid / sizeof grid[0]] = {0};
    hush_rng master;
    if (hush_rng_init_u64(&master, 1)) return 1;
    for (uint32_t outer = 0; outer < 5; outer++) {
        hush_rng split;
        hush_dataset *train = NULL, *test = NULL;
        if (hush_rng_derive(&split, &master, "split") || hush_dataset_fold(&train, &test, &split, all, 5, outer, NULL))
            return 1;
        for (uint32_t inner = 0; inner < 5; inner++) {
            hush_rng cv;
            hush_dataset *tr = NULL, *va = NULL;
            char name[16];
            snprintf(name, sizeof name, "cv%u", outer);
            if (hush_rng_derive(&cv, &master, name) || hush_dataset_fold(&tr, &va, &cv, train, 5, inner, NULL) ||
                hush_dataset_standardize(tr, va))
                return 1;
            for (size_t g = 0; g < ng; g++) score[g] += train_eval(tr, va, &grid[g], 100u * outer + inner);
            hush_dataset_free(tr);
            hush_dataset_free(va);
        }
        hush_dataset_free(train);
        hush_dataset_free(test); /* never looked at */
    }
    size_t best = 0;
    for (size_t g = 0; g < ng; g++) {
        printf("%-5s lr %-6g epochs %-3d weight decay %-4g  mean validation accuracy %.4f\n", names[grid[g].optim],
               grid[g].lr, grid[g].epochs, grid[g].wd, score[g] / 25);
        if (score[g] > score[best]) best = g;
    }
    printf("best: %s lr %g epochs %d weight decay %g\n", names[grid[best].optim], grid[best].lr, grid[best].epochs,
           grid[best].wd);
    hush_dataset_free(all);
    return 0;
}
