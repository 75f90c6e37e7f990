/* Issue 10 point 11: data-derived values must not outlive their owner. Every block that nn, the
 * data sets and the parsers free comes back zeroed: model workspaces (activations, deltas,
 * gathered labels), parameters, gradients and the input standardisation, optimiser moments,
 * data set rows, labels and class names, split permutations, and the ARFF parser's row scratch,
 * on success and on the error paths. The allocator (check.h) inspects each block as it is freed. */
#include "check.h"
#include "hush/data.h"
#include "hush/nn.h"

#define WIPED(cw, what) CHECK_MSG((cw).frees > 0 && (cw).dirty == 0, "%s: %ld of %ld freed blocks not wiped", what, \
                                  (cw).dirty, (cw).frees)

static const char CSV[] = "f1,f2,f3,label\n"
                          "0.5,1.5,-2,0\n1,2,3,1\n-1,0.25,7,2\n4,5,6,1\n9,8,7,0\n0.1,0.2,0.3,2\n";

static void test_model_and_optimiser(void) {
    check_wipe cw = {0, 0};
    hush_allocator al = CHECK_WIPE_ALLOCATOR(cw);
    hush_layer_spec layers[8];
    size_t n_layers;
    CHECK_OK(hush_model_spec_parse(layers, 8, &n_layers, "conv:2:3:same,relu,maxpool,dense:3", NULL));
    hush_model *m = NULL;
    hush_shape in = {1, 4, 4};
    CHECK_OK(hush_model_create(&m, layers, n_layers, in, 4, &al));
    hush_rng rng;
    CHECK_OK(hush_rng_init_u64(&rng, 11));
    CHECK_OK(hush_model_init_params(m, &rng));
    float x[4 * 16], shift[16], scale[16], loss;
    uint32_t y[4] = {0, 1, 2, 1};
    for (int i = 0; i < 64; i++) x[i] = (float)(i % 7) - 3.0f;
    for (int i = 0; i < 16; i++) shift[i] = 0.5f, scale[i] = 2.0f;
    CHECK_OK(hush_model_set_input_norm(m, shift, scale, 16));
    hush_optim_config oc;
    CHECK_OK(hush_optim_config_init(&oc, HUSH_OPTIM_ADAM, 0.01f));
    hush_optim *o = NULL;
    CHECK_OK(hush_optim_create(&o, &oc, hush_model_param_count(m), &al));
    CHECK_OK(hush_model_step(m, o, &loss, x, y, 4));
    float norms[4];
    CHECK_OK(hush_model_backward_examples(m, &loss, norms, x, y, 4));
    uint8_t file[4096];
    size_t len = 0;
    CHECK_OK(hush_model_save(m, file, sizeof file, &len));
    hush_model *m2 = NULL;
    CHECK_OK(hush_model_load(&m2, file, len, 2, &al)); /* load plans through a temporary too */
    hush_model_free(m2);
    hush_optim_free(o);
    hush_model_free(m);
    WIPED(cw, "model, loaded model, adam");
    /* momentum state too, and a create that fails half-way (out of memory) */
    check_wipe cw2 = {0, 0};
    hush_allocator al2 = CHECK_WIPE_ALLOCATOR(cw2);
    CHECK_OK(hush_optim_config_init(&oc, HUSH_OPTIM_MOMENTUM, 0.01f));
    CHECK_OK(hush_optim_create(&o, &oc, 10, &al2));
    float p[10] = {1, 2, 3}, g[10] = {4, 5, 6};
    CHECK_OK(hush_optim_step(o, p, g, 10));
    hush_optim_free(o);
    WIPED(cw2, "momentum");
}

static void test_datasets(void) {
    check_wipe cw = {0, 0};
    hush_allocator al = CHECK_WIPE_ALLOCATOR(cw);
    hush_dataset *d = NULL, *tr = NULL, *te = NULL;
    CHECK_OK(hush_csv_parse(&d, CSV, sizeof CSV - 1, NULL, &al));
    hush_rng rng;
    CHECK_OK(hush_rng_init_u64(&rng, 5));
    CHECK_OK(hush_dataset_split(&tr, &te, &rng, d, 0.34, &al));
    CHECK_OK(hush_dataset_standardize(tr, te));
    hush_dataset_free(tr);
    hush_dataset_free(te);
    CHECK_OK(hush_dataset_fold(&tr, &te, &rng, d, 3, 1, &al));
    hush_dataset_free(tr);
    hush_dataset_free(te);
    hush_dataset_free(d);
    WIPED(cw, "csv, split, fold");

    static const char ARFF[] = "@relation r\n@attribute a numeric\n@attribute colour {red,green}\n"
                               "@attribute class {yes,no}\n@data\n1.5,red,yes\n?,green,no\n-2,red,no\n";
    check_wipe cw2 = {0, 0};
    hush_allocator al2 = CHECK_WIPE_ALLOCATOR(cw2);
    CHECK_OK(hush_arff_parse(&d, ARFF, sizeof ARFF - 1, NULL, &al2));
    hush_dataset_free(d);
    WIPED(cw2, "arff");
    /* a row that fails after the matrix and the scratch exist */
    static const char BAD[] = "@relation r\n@attribute a numeric\n@attribute class {yes,no}\n@data\n"
                              "1,yes\n2,no\n3,maybe\n";
    check_wipe cw3 = {0, 0};
    hush_allocator al3 = CHECK_WIPE_ALLOCATOR(cw3);
    hush_parse_error e;
    CHECK_RC(hush_arff_parse(&d, BAD, sizeof BAD - 1, &e, &al3), HUSH_EFORMAT);
    WIPED(cw3, "arff error path");

    uint8_t img[16 + 3 * 4] = {0, 0, 8, 3, 0, 0, 0, 3, 0, 0, 0, 2, 0, 0, 0, 2, 9, 8, 7, 6, 5, 4, 3, 2, 1, 255, 128, 7};
    uint8_t lab[8 + 3] = {0, 0, 8, 1, 0, 0, 0, 3, 1, 0, 2};
    check_wipe cw4 = {0, 0};
    hush_allocator al4 = CHECK_WIPE_ALLOCATOR(cw4);
    CHECK_OK(hush_idx_parse(&d, img, sizeof img, lab, sizeof lab, NULL, &al4));
    hush_dataset_free(d);
    WIPED(cw4, "idx");
}

int main(void) {
    test_model_and_optimiser();
    test_datasets();
    CHECK_SUMMARY();
}
