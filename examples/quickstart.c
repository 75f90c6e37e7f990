/* Train a small network on iris (data/iris.csv) and print its test accuracy. */
#include <hush.h>
#include <stdio.h>

int main(void) {
    static unsigned char text[1 << 16];
    FILE *f = fopen("data/iris.csv", "rb");
    size_t len = f ? fread(text, 1, sizeof text, f) : 0;
    if (f) fclose(f);
    hush_dataset *all = NULL;
    hush_layer_spec layers[4];
    size_t n_layers;
    hush_rng seed;
    hush_train_config cfg;
    hush_train_result res;
    int rc = hush_train_data_parse(&all, HUSH_TRAIN_FORMAT_CSV, text, len, NULL, 0, NULL, NULL);
    if (!rc) rc = hush_model_spec_parse(layers, 4, &n_layers, "dense:16,relu,dense:3", NULL);
    if (!rc) rc = hush_train_config_init(&cfg, HUSH_OPTIM_ADAM, 0.01);
    cfg.format = HUSH_TRAIN_FORMAT_CSV, cfg.epochs = 50, cfg.batch = 16, cfg.test_fraction = 0.3;
    if (!rc) rc = hush_rng_init_u64(&seed, 1); /* split, initialisation and minibatch order */
    if (!rc) rc = hush_train_run(&cfg, &seed, NULL, &res, layers, n_layers, all, NULL, NULL, NULL, NULL);
    printf("iris test accuracy %.3f (%s)\n", rc ? 0 : res.test_accuracy, hush_strerror(rc));
    hush_dataset_free(all), hush_rng_clear(&seed);
    return rc || res.test_accuracy < 0.9f;
}
