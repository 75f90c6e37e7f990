/* Train a small network on iris (data/iris.csv) and print its test accuracy. */
#include <hush.h>
#include <stdio.h>

int main(void) {
    static char text[1 << 16];
    FILE *f = fopen("data/iris.csv", "rb");
    size_t len = f ? fread(text, 1, sizeof text, f) : 0;
    hush_dataset *all = NULL, *train = NULL, *test = NULL;
    hush_model *model = NULL;
    hush_optim *opt = NULL;
    hush_optim_config oc;
    hush_layer_spec layers[4];
    size_t n_layers;
    hush_rng rng;
    float loss, acc = 0;
    uint32_t perm[150];
    hush_optim_config_default(&oc, HUSH_OPTIM_ADAM, 0.01f);
    int rc = hush_csv_parse(&all, text, len, NULL, NULL);
    if (!rc) rc = hush_rng_init_u64(&rng, 1);
    if (!rc) rc = hush_dataset_split(&train, &test, all, 0.3, &rng, NULL);
    if (!rc) rc = hush_dataset_standardize(train, test);
    if (!rc) rc = hush_model_spec_parse(layers, 4, &n_layers, "dense:16,relu,dense:3", NULL);
    if (!rc) rc = hush_model_create(&model, layers, n_layers, hush_dataset_shape(train), 16, NULL);
    if (!rc) rc = hush_model_init_params(model, &rng);
    if (!rc) rc = hush_optim_create(&opt, &oc, hush_model_param_count(model), NULL);
    for (int epoch = 0; !rc && epoch < 50; epoch++)
        rc = hush_model_fit_epoch(model, opt, &rng, perm, &loss, hush_dataset_x(train),
                                  hush_dataset_labels(train), hush_dataset_rows(train), 16);
    if (!rc) rc = hush_model_evaluate(model, &loss, &acc, hush_dataset_x(test), hush_dataset_labels(test),
                                      hush_dataset_rows(test));
    printf("iris test accuracy %.3f (%s)\n", acc, hush_strerror(rc));
    hush_optim_free(opt), hush_model_free(model), hush_rng_clear(&rng);
    hush_dataset_free(all), hush_dataset_free(train), hush_dataset_free(test);
    return rc || acc < 0.9f;
}
