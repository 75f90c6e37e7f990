/* The training driver (hush/train.h): one handle per training (create, epoch, evaluate, report),
 * and hush_train_run on top of it for one training or K folds. The CLI, the JS API and the benches
 * all come through here, so the canonical order of random draws lives in this file only:
 * "split" (create, unless a test set is given), "init" after the model and its input scaling,
 * then "shuffle" (plain) or "dpsgd" (DP-SGD, HUSH_TRAIN_NOISE_SEED only) and "scaling" (the DP
 * histogram, HUSH_TRAIN_NOISE_SEED only). */
#include <math.h>
#include <string.h>

#include <sodium.h>

#include "base/alloc.h"
#include "hush/train.h"

struct hush_train {
    hush_train_config cfg; /* bounds cleared: only create reads them */
    hush_allocator alloc_copy;
    const hush_allocator *alloc;
    hush_dataset *own_train, *own_test; /* from the split; NULL when borrowed */
    const hush_dataset *train, *test;
    hush_model *model;
    hush_optim *opt;
    hush_dpsgd *dp;
    hush_rng shuffle;
    uint32_t *perm;
    size_t n;
    uint32_t epoch, runs, scaling;
    double scaling_noise; /* the DP histogram's noise multiplier, 0 without one */
    int has_shuffle;
};

int hush_train_config_init(hush_train_config *cfg, uint32_t optimizer, double lr) {
    if (!cfg) return HUSH_EARG;
    memset(cfg, 0, sizeof *cfg);
    if (optimizer > HUSH_OPTIM_ADAM || !(lr >= 0.0) || !isfinite(lr)) return HUSH_EARG;
    int rc = hush_dpsgd_config_init(&cfg->dpsgd, HUSH_DPSGD_POISSON, 1.0, 1.0, 1.0);
    if (rc != HUSH_OK) return rc;
    cfg->version = HUSH_TRAIN_CONFIG_VERSION;
    cfg->epochs = 10;
    cfg->batch = 32;
    cfg->optimizer = optimizer;
    cfg->lr = lr;
    cfg->test_fraction = 0.2;
    cfg->scaling = HUSH_TRAIN_SCALING_AUTO;
    cfg->scaling_noise = 8.0;
    cfg->noise_source = HUSH_TRAIN_NOISE_OS;
    return HUSH_OK;
}

static int config_ok(const hush_train_config *c) {
    if (c->version != HUSH_TRAIN_CONFIG_VERSION) return 0;
    if (c->epochs == 0 || c->batch == 0 || c->batch > HUSH_MODEL_MAX_BATCH || c->max_batch > HUSH_MODEL_MAX_BATCH)
        return 0;
    if (c->optimizer > HUSH_OPTIM_ADAM || !(c->lr >= 0.0) || !isfinite(c->lr)) return 0;
    if (!(c->weight_decay >= 0.0) || !isfinite(c->weight_decay)) return 0;
    if (!(c->test_fraction >= 0.0 && c->test_fraction <= 1.0)) return 0;
    if (c->folds == 1 || c->folds > HUSH_TRAIN_MAX_FOLDS || (c->folds && c->fold >= c->folds)) return 0;
    if (c->scaling > HUSH_TRAIN_SCALING_DP || (c->n_bounds && !c->bounds)) return 0;
    if (c->noise_source > HUSH_TRAIN_NOISE_SEED || c->dp > 1) return 0;
    if (c->dp && (c->dpsgd.version != HUSH_DPSGD_CONFIG_VERSION || !(c->target_epsilon >= 0.0))) return 0;
    return 1;
}

/* The named stream of the master, or a fresh OS seed when there is none. */
static int stream(hush_rng *out, const hush_rng *master, const char *name) {
    return master ? hush_rng_derive(out, master, name) : hush_rng_init_random(out);
}

static uint32_t resolve_scaling(const hush_train_config *c) {
    if (c->scaling != HUSH_TRAIN_SCALING_AUTO) return c->scaling;
    if (c->n_bounds) return HUSH_TRAIN_SCALING_BOUNDS;
    if (c->format == HUSH_TRAIN_FORMAT_ARFF || c->format == HUSH_TRAIN_FORMAT_CSV)
        return c->dp ? HUSH_TRAIN_SCALING_DP : HUSH_TRAIN_SCALING_STATS;
    return HUSH_TRAIN_SCALING_NONE;
}

/* RDP of the scaling histogram (a Gaussian mechanism) at the default orders, added into rdp. */
static int scaling_rdp(double *rdp, const double *orders, size_t n, double z, double count) {
    return z > 0.0 ? hush_rdp_gaussian(rdp, orders, n, z, count) : HUSH_OK;
}

static int set_scaling(hush_train *t, const hush_rng *master) {
    const hush_train_config *c = &t->cfg;
    t->scaling = resolve_scaling(c);
    if (t->scaling == HUSH_TRAIN_SCALING_STATS && c->dp) return HUSH_EARG;
    if (t->scaling == HUSH_TRAIN_SCALING_BOUNDS && !c->n_bounds) return HUSH_EARG;
    if (t->scaling == HUSH_TRAIN_SCALING_NONE) return HUSH_OK;
    size_t dim = hush_dataset_dim(t->train);
    float *norm = hush__calloc(t->alloc, 2 * dim, sizeof(float));
    if (!norm) return HUSH_ENOMEM;
    int rc;
    uint32_t tag;
    if (t->scaling == HUSH_TRAIN_SCALING_STATS) {
        rc = hush_dataset_norm_stats(t->train, norm, norm + dim, dim);
        tag = HUSH_INPUT_SCALING_STATS;
    } else if (t->scaling == HUSH_TRAIN_SCALING_BOUNDS) {
        rc = hush_train_scaling_bounds(norm, norm + dim, dim, t->train, c->bounds, c->n_bounds);
        tag = HUSH_INPUT_SCALING_BOUNDS;
    } else {
        hush_rng r;
        rc = c->noise_source == HUSH_TRAIN_NOISE_SEED ? hush_rng_derive(&r, master, HUSH_TRAIN_STREAM_SCALING)
                                                       : hush_rng_init_random(&r);
        if (rc == HUSH_OK) rc = hush_train_scaling_dp(&r, norm, norm + dim, dim, t->train, c->scaling_noise, t->alloc);
        hush_rng_clear(&r);
        tag = HUSH_INPUT_SCALING_DP;
        if (hush_train_numeric_columns(t->train)) t->scaling_noise = c->scaling_noise;
    }
    if (rc == HUSH_OK) rc = hush_model_set_input_norm(t->model, norm, norm + dim, dim);
    if (rc == HUSH_OK) rc = hush_model_set_input_scaling(t->model, tag);
    /* the exact statistics are the model's now (non-private runs only); no other copy stays */
    sodium_memzero(norm, 2 * dim * sizeof(float));
    hush__free(t->alloc, norm, 2 * dim * sizeof(float));
    return rc;
}

/* The DP-SGD handle: q = batch / rows, the noise multiplier for target_epsilon if asked. With K
 * folds the calibration assumes the largest rate and the most steps any fold can have (training
 * rows between rows - ceil(rows / K) and rows - floor(rows / K)), so K composed folds meet it. */
static int set_dpsgd(hush_train *t, const hush_rng *master, const hush_dataset *data) {
    hush_train_config *c = &t->cfg;
    hush_dpsgd_config d = c->dpsgd;
    if (c->batch > t->n) return HUSH_ERANGE;
    d.sampling_rate = (double)c->batch / (double)t->n;
    d.batch_size = c->batch;
    if (c->target_epsilon > 0.0) {
        size_t rows = hush_dataset_rows(data), n_lo = t->n, n_hi = t->n;
        if (c->folds >= 2) {
            n_lo = rows - (rows + c->folds - 1) / c->folds;
            n_hi = rows - rows / c->folds;
        }
        if (c->batch > n_lo) return HUSH_ERANGE;
        hush_dpsgd_config worst = d;
        worst.sampling_rate = (double)c->batch / (double)n_hi;
        uint64_t steps = hush_dpsgd_steps_per_epoch(&worst, n_hi) * c->epochs;
        double orders[HUSH_RDP_DEFAULT_ORDERS_COUNT], base[HUSH_RDP_DEFAULT_ORDERS_COUNT];
        size_t no = hush_rdp_default_orders(orders, HUSH_RDP_DEFAULT_ORDERS_COUNT);
        memset(base, 0, sizeof base);
        int rc = scaling_rdp(base, orders, no, t->scaling_noise, 1.0);
        if (rc == HUSH_OK)
            rc = hush_dpsgd_noise_for_epsilon_composed(&d.noise_multiplier, c->target_epsilon, d.delta,
                                                       (double)c->batch / (double)n_lo, steps, t->runs, base);
        if (rc != HUSH_OK) return rc;
    }
    c->dpsgd = d;
    hush_rng r;
    int rc = HUSH_OK;
    if (c->noise_source == HUSH_TRAIN_NOISE_SEED) rc = hush_rng_derive(&r, master, HUSH_TRAIN_STREAM_DPSGD);
    if (rc == HUSH_OK)
        rc = hush_dpsgd_create(&t->dp, c->noise_source == HUSH_TRAIN_NOISE_SEED ? &r : NULL, t->model, &d, t->alloc);
    if (c->noise_source == HUSH_TRAIN_NOISE_SEED) hush_rng_clear(&r);
    return rc;
}

int hush_train_create(hush_train **out, const hush_rng *master, const hush_train_config *cfg,
                      const hush_layer_spec *layers, size_t n_layers, const hush_dataset *data,
                      const hush_dataset *test, const hush_allocator *alloc) {
    if (!hush__alloc_ok(alloc)) return HUSH_EARG;
    if (!out) return HUSH_EARG;
    *out = NULL;
    if (!cfg || !layers || !data || !config_ok(cfg)) return HUSH_EARG;
    if (cfg->noise_source == HUSH_TRAIN_NOISE_SEED && !master) return HUSH_EARG;
    if (test && cfg->folds) return HUSH_EARG;
    hush_train *t = hush__calloc(alloc, 1, sizeof *t);
    if (!t) return HUSH_ENOMEM;
    t->cfg = *cfg;
    if (alloc) {
        t->alloc_copy = *alloc;
        t->alloc = &t->alloc_copy;
    }
    t->runs = cfg->dp && cfg->folds >= 2 ? cfg->folds : 1;
    int rc = HUSH_OK;
    if (test) {
        t->train = data;
        t->test = test;
    } else {
        hush_rng split;
        rc = stream(&split, master, HUSH_TRAIN_STREAM_SPLIT);
        if (rc == HUSH_OK)
            rc = cfg->folds ? hush_dataset_fold(&t->own_train, &t->own_test, &split, data, cfg->folds, cfg->fold, alloc)
                            : hush_dataset_split(&t->own_train, &t->own_test, &split, data, cfg->test_fraction, alloc);
        hush_rng_clear(&split);
        t->train = t->own_train;
        t->test = t->own_test;
    }
    t->n = hush_dataset_rows(t->train);
    if (rc == HUSH_OK && t->n == 0) rc = HUSH_ERANGE;
    if (rc == HUSH_OK) {
        uint32_t mb = cfg->max_batch ? cfg->max_batch : cfg->batch;
        rc = hush_model_create(&t->model, layers, n_layers, hush_dataset_shape(t->train), mb, alloc);
    }
    if (rc == HUSH_OK && hush_model_output_size(t->model) < hush_dataset_classes(t->train)) rc = HUSH_ESHAPE;
    if (rc == HUSH_OK) rc = set_scaling(t, master);
    if (rc == HUSH_OK) {
        hush_rng init;
        rc = stream(&init, master, HUSH_TRAIN_STREAM_INIT);
        if (rc == HUSH_OK) rc = hush_model_init_params(t->model, &init);
        hush_rng_clear(&init);
    }
    if (rc == HUSH_OK) {
        hush_optim_config oc;
        rc = hush_optim_config_init(&oc, cfg->optimizer, (float)cfg->lr);
        oc.weight_decay = (float)cfg->weight_decay;
        if (rc == HUSH_OK) rc = hush_optim_create(&t->opt, &oc, hush_model_param_count(t->model), alloc);
    }
    if (rc == HUSH_OK) {
        if (cfg->dp) {
            rc = set_dpsgd(t, master, data);
        } else {
            rc = stream(&t->shuffle, master, HUSH_TRAIN_STREAM_SHUFFLE);
            t->has_shuffle = rc == HUSH_OK;
        }
    }
    if (rc == HUSH_OK) {
        t->perm = hush__calloc(alloc, t->n, sizeof *t->perm);
        if (!t->perm) rc = HUSH_ENOMEM;
    }
    t->cfg.bounds = NULL;
    t->cfg.n_bounds = 0;
    if (rc != HUSH_OK) {
        hush_train_free(t);
        return rc;
    }
    *out = t;
    return HUSH_OK;
}

void hush_train_free(hush_train *t) {
    if (!t) return;
    const hush_allocator *a = t->alloc ? &t->alloc_copy : NULL;
    hush_dpsgd_free(t->dp);
    hush_optim_free(t->opt);
    hush_model_free(t->model);
    hush_dataset_free(t->own_train);
    hush_dataset_free(t->own_test);
    if (t->perm) {
        sodium_memzero(t->perm, t->n * sizeof *t->perm);
        hush__free(a, t->perm, t->n * sizeof *t->perm);
    }
    hush_allocator copy = t->alloc_copy;
    int has = t->alloc != NULL;
    sodium_memzero(t, sizeof *t); /* the shuffle key */
    hush__free(has ? &copy : NULL, t, sizeof *t);
}

/* This training's RDP so far (scaling, then its DP-SGD steps), count times, added into rdp.
 * *unbounded is set when a step ran without clipping or noise. */
static int training_rdp(const hush_train *t, double *rdp, const double *orders, size_t no, double count,
                        int *unbounded) {
    int rc = scaling_rdp(rdp, orders, no, t->scaling_noise, count);
    uint64_t steps = hush_dpsgd_steps(t->dp);
    if (rc != HUSH_OK || steps == 0) return rc;
    const hush_dpsgd_config *d = &t->cfg.dpsgd;
    if (isinf(d->l2_norm_clip) || d->noise_multiplier == 0.0) {
        *unbounded = 1;
        return HUSH_OK;
    }
    return hush_rdp_sampled_gaussian(rdp, orders, no, hush_dpsgd_sampling_rate(t->dp), d->noise_multiplier,
                                     (double)steps * count);
}

static int epsilon_of(double *eps, const double *rdp, const double *orders, size_t no, double delta, int unbounded) {
    if (unbounded) {
        *eps = INFINITY;
        return HUSH_OK;
    }
    int any = 0;
    for (size_t i = 0; i < no; i++) any |= rdp[i] != 0.0;
    if (!any) {
        *eps = 0.0;
        return HUSH_OK;
    }
    return hush_rdp_epsilon(eps, NULL, orders, rdp, no, delta, HUSH_DP_CONVERSION_IMPROVED);
}

/* Epsilon of this training (one run). */
static int epsilon_after(const hush_train *t, double *eps, const double *base, int base_unbounded) {
    double orders[HUSH_RDP_DEFAULT_ORDERS_COUNT], rdp[HUSH_RDP_DEFAULT_ORDERS_COUNT];
    size_t no = hush_rdp_default_orders(orders, HUSH_RDP_DEFAULT_ORDERS_COUNT);
    for (size_t i = 0; i < no; i++) rdp[i] = base ? base[i] : 0.0;
    int unbounded = base_unbounded;
    int rc = training_rdp(t, rdp, orders, no, 1.0, &unbounded);
    return rc != HUSH_OK ? rc : epsilon_of(eps, rdp, orders, no, t->cfg.dpsgd.delta, unbounded);
}

int hush_train_epoch(hush_train *t, hush_train_status *st) {
    if (!t) return HUSH_EARG;
    if (!t->model || t->epoch >= t->cfg.epochs) return HUSH_ESTATE;
    const float *x = hush_dataset_x(t->train);
    const uint32_t *y = hush_dataset_labels(t->train);
    float loss = 0;
    int rc = t->dp ? hush_dpsgd_fit_epoch(t->dp, t->opt, t->perm, &loss, NULL, x, y, t->n)
                   : hush_model_fit_epoch(t->model, &t->shuffle, t->opt, t->perm, &loss, x, y, t->n, t->cfg.batch);
    if (rc != HUSH_OK) return rc;
    t->epoch++;
    if (!st) return HUSH_OK;
    memset(st, 0, sizeof *st);
    st->event = HUSH_TRAIN_EPOCH;
    st->fold = t->cfg.folds ? t->cfg.fold : 0;
    st->epoch = t->epoch;
    st->epochs = t->cfg.epochs;
    st->loss = t->dp ? NAN : loss;
    st->steps = hush_dpsgd_steps(t->dp);
    return HUSH_OK;
}

int hush_train_epsilon(const hush_train *t, double *epsilon) {
    if (!t || !epsilon) return HUSH_EARG;
    *epsilon = 0.0;
    return t->cfg.dp ? epsilon_after(t, epsilon, NULL, 0) : HUSH_OK;
}

int hush_train_evaluate(hush_train *t, float *loss, float *accuracy, uint32_t split) {
    if (!t || !loss || !accuracy) return HUSH_EARG;
    if (split != HUSH_TRAIN_SPLIT_TRAIN && split != HUSH_TRAIN_SPLIT_TEST) return HUSH_EARG;
    if (!t->model || (split == HUSH_TRAIN_SPLIT_TRAIN && t->cfg.dp)) return HUSH_ESTATE;
    const hush_dataset *d = split == HUSH_TRAIN_SPLIT_TRAIN ? t->train : t->test;
    size_t n = hush_dataset_rows(d);
    *loss = *accuracy = 0.0f;
    if (n == 0) return HUSH_OK;
    return hush_model_evaluate(t->model, loss, accuracy, hush_dataset_x(d), hush_dataset_labels(d), n);
}

int hush_train_privacy_report(const hush_train *t, hush_train_privacy *p) {
    if (!t || !p) return HUSH_EARG;
    memset(p, 0, sizeof *p);
    p->scaling = t->scaling;
    p->runs = 1;
    if (!t->cfg.dp) return HUSH_OK;
    const hush_dpsgd_config *d = &t->cfg.dpsgd;
    p->dp = 1;
    p->noise_source = t->cfg.noise_source;
    p->sampling = d->sampling;
    p->noise = d->noise;
    p->sampling_rate = t->dp ? hush_dpsgd_sampling_rate(t->dp) : d->sampling_rate;
    p->noise_multiplier = d->noise_multiplier;
    p->l2_norm_clip = d->l2_norm_clip;
    p->delta = d->delta;
    p->steps = hush_dpsgd_steps(t->dp);
    p->planned_steps = hush_dpsgd_steps_per_epoch(d, t->n) * t->cfg.epochs;
    p->scaling_noise = t->scaling_noise;
    p->runs = t->runs;
    double orders[HUSH_RDP_DEFAULT_ORDERS_COUNT], rdp[HUSH_RDP_DEFAULT_ORDERS_COUNT];
    size_t no = hush_rdp_default_orders(orders, HUSH_RDP_DEFAULT_ORDERS_COUNT);
    memset(rdp, 0, sizeof rdp);
    int rc = scaling_rdp(rdp, orders, no, t->scaling_noise, (double)t->runs);
    if (rc == HUSH_OK) rc = epsilon_of(&p->scaling_epsilon, rdp, orders, no, d->delta, 0);
    memset(rdp, 0, sizeof rdp);
    int unbounded = 0;
    if (rc == HUSH_OK) rc = training_rdp(t, rdp, orders, no, (double)t->runs, &unbounded);
    if (rc == HUSH_OK) rc = epsilon_of(&p->epsilon, rdp, orders, no, d->delta, unbounded);
    /* the plan: the same events with every step taken */
    memset(rdp, 0, sizeof rdp);
    unbounded = isinf(d->l2_norm_clip) || d->noise_multiplier == 0.0;
    if (rc == HUSH_OK) rc = scaling_rdp(rdp, orders, no, t->scaling_noise, (double)t->runs);
    if (rc == HUSH_OK && !unbounded)
        rc = hush_rdp_sampled_gaussian(rdp, orders, no, p->sampling_rate, d->noise_multiplier,
                                       (double)p->planned_steps * t->runs);
    if (rc == HUSH_OK) rc = epsilon_of(&p->planned_epsilon, rdp, orders, no, d->delta, unbounded);
    return rc;
}

int hush_train_privacy_compose(const hush_train_privacy *p, hush_accountant *acc) {
    if (!p || !acc || !p->dp || p->runs == 0) return HUSH_EARG;
    int rc = HUSH_OK;
    if (p->scaling_noise > 0.0) {
        hush_dp_event ev = {HUSH_DP_EVENT_GAUSSIAN, p->scaling_noise, 0.0, NULL, NULL, 0};
        rc = hush_accountant_compose(acc, &ev, p->runs);
    }
    if (rc == HUSH_OK && p->steps) {
        hush_dp_event ev = {HUSH_DP_EVENT_SAMPLED_GAUSSIAN, p->noise_multiplier, p->sampling_rate, NULL, NULL, 0};
        rc = hush_accountant_compose(acc, &ev, p->steps * p->runs);
    }
    return rc;
}

int hush_train_detach_model(hush_train *t, hush_model **out) {
    if (!t || !out) return HUSH_EARG;
    *out = NULL;
    if (!t->model) return HUSH_ESTATE;
    /* the DP-SGD handle keeps its pointer but never steps again: epoch needs the model */
    *out = t->model;
    t->model = NULL;
    return HUSH_OK;
}

hush_model *hush_train_model(hush_train *t) { return t ? t->model : NULL; }
hush_dpsgd *hush_train_dpsgd(hush_train *t) { return t ? t->dp : NULL; }
uint32_t hush_train_epochs_done(const hush_train *t) { return t ? t->epoch : 0; }

const hush_dataset *hush_train_dataset(const hush_train *t, uint32_t split) {
    if (!t) return NULL;
    return split == HUSH_TRAIN_SPLIT_TRAIN ? t->train : split == HUSH_TRAIN_SPLIT_TEST ? t->test : NULL;
}

/* ---- the whole workflow ---- */

static void status_of(hush_train_status *st, uint32_t event, uint32_t fold, const hush_train *t) {
    memset(st, 0, sizeof *st);
    st->event = event;
    st->fold = fold;
    st->epoch = t->epoch;
    st->epochs = t->cfg.epochs;
    st->loss = NAN;
    st->steps = hush_dpsgd_steps(t->dp);
}

int hush_train_run(const hush_train_config *cfg, const hush_rng *master, hush_model **model, hush_train_result *res,
                   const hush_layer_spec *layers, size_t n_layers, const hush_dataset *data,
                   const hush_dataset *test, hush_train_callback cb, void *ud, const hush_allocator *alloc) {
    if (model) *model = NULL;
    if (!res || !cfg) return HUSH_EARG;
    memset(res, 0, sizeof *res);
    if (!config_ok(cfg) || (cfg->folds && test)) return HUSH_EARG;
    /* Without a seed, one OS master for all folds: each fold must cut the same permutation. */
    hush_rng own;
    memset(&own, 0, sizeof own);
    if (!master) {
        int r0 = hush_rng_init_random(&own);
        if (r0 != HUSH_OK) return r0;
        master = &own;
    }
    uint32_t K = cfg->folds >= 2 ? cfg->folds : 1;
    res->folds = K;
    double orders[HUSH_RDP_DEFAULT_ORDERS_COUNT], rdp[HUSH_RDP_DEFAULT_ORDERS_COUNT];
    size_t no = hush_rdp_default_orders(orders, HUSH_RDP_DEFAULT_ORDERS_COUNT);
    memset(rdp, 0, sizeof rdp);
    int unbounded = 0, rc = HUSH_OK;
    double loss_sum = 0, train_acc = 0, test_acc = 0, test_loss = 0;
    size_t train_rows = 0;
    uint64_t max_steps = 0;
    for (uint32_t k = 0; k < K && rc == HUSH_OK; k++) {
        hush_train_config c = *cfg;
        if (K > 1) c.fold = k;
        hush_train *t = NULL;
        rc = hush_train_create(&t, master, &c, layers, n_layers, data, test, alloc);
        if (rc != HUSH_OK) break;
        hush_train_status st;
        status_of(&st, HUSH_TRAIN_START, k, t);
        if (cb) rc = cb(ud, t, &st);
        while (rc == HUSH_OK && t->epoch < t->cfg.epochs) {
            rc = hush_train_epoch(t, &st);
            if (rc == HUSH_OK && cb) rc = cb(ud, t, &st);
        }
        /* the END callback comes before anything else can fail, so a prefetch thread always stops */
        hush_train_status end;
        status_of(&end, HUSH_TRAIN_END, k, t);
        end.loss = st.loss;
        if (cb) {
            int crc = cb(ud, t, &end);
            if (rc == HUSH_OK) rc = crc;
        }
        float tl = 0, ta = 0, l = 0, a = 0;
        if (rc == HUSH_OK) rc = hush_train_evaluate(t, &tl, &ta, HUSH_TRAIN_SPLIT_TEST);
        if (rc == HUSH_OK && !cfg->dp) rc = hush_train_evaluate(t, &l, &a, HUSH_TRAIN_SPLIT_TRAIN);
        if (rc == HUSH_OK) rc = hush_train_privacy_report(t, &res->privacy);
        if (rc == HUSH_OK && cfg->dp) rc = training_rdp(t, rdp, orders, no, 1.0, &unbounded);
        if (rc == HUSH_OK) {
            res->fold_test_accuracy[k] = ta;
            test_acc += ta;
            test_loss += tl;
            train_acc += a;
            loss_sum += st.loss;
            train_rows += t->n;
            res->cv_test_rows += hush_dataset_rows(t->test);
            res->params = hush_model_param_count(t->model);
            if (res->privacy.steps > max_steps) max_steps = res->privacy.steps;
        }
        if (rc == HUSH_OK && model && K == 1) rc = hush_train_detach_model(t, model);
        hush_train_free(t);
    }
    hush_rng_clear(&own);
    if (rc != HUSH_OK) {
        if (model) {
            hush_model_free(*model);
            *model = NULL;
        }
        memset(res, 0, sizeof *res);
        return rc;
    }
    res->train_rows = train_rows / K;
    res->test_rows = res->cv_test_rows / K;
    res->test_accuracy = (float)(test_acc / K);
    res->test_loss = (float)(test_loss / K);
    res->final_loss = cfg->dp ? NAN : (float)(loss_sum / K);
    res->train_accuracy = cfg->dp ? NAN : (float)(train_acc / K);
    if (cfg->dp) {
        /* every fold's actual events, composed; the scaling cost likewise */
        hush_train_privacy *p = &res->privacy;
        p->runs = K;
        p->steps = max_steps;
        rc = epsilon_of(&p->epsilon, rdp, orders, no, p->delta, unbounded);
        memset(rdp, 0, sizeof rdp);
        if (rc == HUSH_OK) rc = scaling_rdp(rdp, orders, no, p->scaling_noise, (double)K);
        if (rc == HUSH_OK) rc = epsilon_of(&p->scaling_epsilon, rdp, orders, no, p->delta, 0);
        if (rc != HUSH_OK && model) {
            hush_model_free(*model);
            *model = NULL;
        }
    }
    return rc;
}
