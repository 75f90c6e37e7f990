/* A half-filled allocator (one function pointer NULL) is refused with HUSH_EARG by every public
 * function that takes one, before anything is allocated (issue 10, point 13: most _create calls
 * used to call through the NULL pointer). The check lives in one place, hush__alloc_ok. */
#include "check.h"
#include "hush.h"

static void *ok_alloc(void *ud, size_t n) {
    (void)ud;
    return malloc(n);
}
static void ok_free(void *ud, void *p, size_t n) {
    (void)ud;
    (void)n;
    free(p);
}

static void refused(const hush_allocator *bad) {
    hush_layer_spec layers[2];
    size_t n_layers = 0;
    CHECK_OK(hush_model_spec_parse(layers, 2, &n_layers, "dense:2", NULL));
    hush_shape shape = {3, 1, 1};
    hush_model *m = NULL;
    CHECK_RC(hush_model_create(&m, layers, n_layers, shape, 4, bad), HUSH_EARG);
    CHECK(m == NULL);
    CHECK_OK(hush_model_create(&m, layers, n_layers, shape, 4, NULL));

    uint8_t file[4096];
    size_t written = 0;
    CHECK_OK(hush_model_save(m, file, sizeof file, &written));
    hush_model *m2 = NULL;
    CHECK_RC(hush_model_load(&m2, file, written, 4, bad), HUSH_EARG);

    hush_optim_config oc;
    CHECK_OK(hush_optim_config_init(&oc, HUSH_OPTIM_SGD, 0.1f));
    hush_optim *o = NULL;
    CHECK_RC(hush_optim_create(&o, &oc, 8, bad), HUSH_EARG);

    hush_accountant *acc = NULL;
    hush_accountant_config acfg;
    CHECK_OK(hush_accountant_config_init(&acfg, HUSH_ACCOUNTANT_RDP));
    CHECK_RC(hush_accountant_create(&acc, &acfg, bad), HUSH_EARG);
    CHECK_OK(hush_accountant_config_init(&acfg, HUSH_ACCOUNTANT_PLD));
    CHECK_RC(hush_accountant_create(&acc, &acfg, bad), HUSH_EARG);

    hush_rng rng;
    CHECK_OK(hush_rng_init_u64(&rng, 1));
    hush_dpsgd_config dc;
    CHECK_OK(hush_dpsgd_config_init(&dc, HUSH_DPSGD_POISSON, 0.5, 1.0, 1.0));
    hush_dpsgd *dp = NULL;
    CHECK_RC(hush_dpsgd_create(&dp, &rng, m, &dc, bad), HUSH_EARG);

    const char csv[] = "1,2,3,0\n4,5,6,1\n";
    hush_dataset *ds = NULL, *tr = NULL, *te = NULL;
    CHECK_RC(hush_csv_parse(&ds, csv, sizeof csv - 1, NULL, bad), HUSH_EARG);
    const char arff[] = "@relation r\n@attribute a numeric\n@attribute class {x,y}\n@data\n1,x\n";
    CHECK_RC(hush_arff_parse(&ds, arff, sizeof arff - 1, NULL, bad), HUSH_EARG);
    uint8_t idx_img[16] = {0, 0, 8, 3, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1};
    uint8_t idx_lab[8] = {0, 0, 8, 1, 0, 0, 0, 0};
    CHECK_RC(hush_idx_parse(&ds, idx_img, sizeof idx_img, idx_lab, sizeof idx_lab, NULL, bad), HUSH_EARG);
    CHECK_OK(hush_csv_parse(&ds, csv, sizeof csv - 1, NULL, NULL));
    CHECK_RC(hush_dataset_split(&tr, &te, &rng, ds, 0.5, bad), HUSH_EARG);
    CHECK_RC(hush_dataset_fold(&tr, &te, &rng, ds, 2, 0, bad), HUSH_EARG);

    uint32_t votes[4] = {0, 1, 1, 1};
    int32_t labels[2];
    hush_pate_config pc;
    CHECK_OK(hush_pate_config_init(&pc, HUSH_PATE_LNMAX));
    pc.noise_eps = 1.0;
    CHECK_RC(hush_pate_aggregate(&rng, labels, NULL, votes, 2, 2, 2, &pc, bad), HUSH_EARG);
    double e1, e2;
    CHECK_RC(hush_pate_analyze(&e1, &e2, votes, 2, 2, NULL, 0, 0.1, 1e-5, 8, bad), HUSH_EARG);

    hush_secagg_config sc;
    CHECK_OK(hush_secagg_config_init(&sc, 3, 2, 0, 4));
    hush_secagg_client *cl = NULL;
    hush_secagg_server *sv = NULL;
    CHECK_RC(hush_secagg_client_create(&cl, &sc, 0, NULL, 0, bad), HUSH_EARG);
    CHECK_RC(hush_secagg_server_create(&sv, &sc, bad), HUSH_EARG);
    uint32_t nb[3];
    size_t count;
    CHECK_RC(hush_secagg_neighbourhood(&sc, nb, 3, &count, 0, bad), HUSH_EARG);
    uint32_t sx[12] = {0}, ssum[4];
    hush_secagg_stats sst;
    CHECK_RC(hush_secagg_run(&sc, &rng, &sst, ssum, 4, NULL, 0, sx, 12, NULL, 0, NULL, bad), HUSH_EARG);

    hush_mpc_model *mm = NULL;
    CHECK_RC(hush_mpc_model_public(&mm, m, bad), HUSH_EARG);
    CHECK_RC(hush_mpc_model_share(&mm, 2, &rng, m, 16, bad), HUSH_EARG);
    hush_mpc_guard *g = NULL;
    CHECK_RC(hush_mpc_guard_create(&g, 4, bad), HUSH_EARG);
    hush_channel_config chc;
    hush_channel *ch = NULL;
    uint8_t sid[16] = {1}, pk[32], sk[64];
    CHECK_OK(hush_channel_keypair(&rng, pk, 32, sk, 64));
    CHECK_OK(hush_channel_config_init(&chc, HUSH_CHANNEL_INITIATOR, sid, 16, 0, 1));
    CHECK_RC(hush_channel_create(&ch, &rng, &chc, sk, 64, pk, 32, bad), HUSH_EARG);

    hush_rng_clear(&rng);
    hush_dataset_free(ds);
    hush_model_free(m);
}

int main(void) {
    hush_allocator no_alloc = {NULL, ok_free, NULL}, no_free = {ok_alloc, NULL, NULL};
    refused(&no_alloc);
    refused(&no_free);
    CHECK_SUMMARY();
}
