/* Federated learning rounds (hush/federated.h): a participant's contribution through the training
 * driver, and the server's FedAvg / FedAdam step on the secure sum. */
#include "hush/federated.h"

#include <math.h>
#include <string.h>

#include <sodium.h>

#include "base/alloc.h"
#include "hush/fl.h"
#include "hush/train.h"
#include "io/fedtask.h"

#define ADAM_B1 0.9
#define ADAM_B2 0.99
#define ADAM_TAU 1e-3

int hush_federated_task_init(hush_federated_task *t, uint32_t privacy, uint32_t participants, uint32_t min_survivors,
                             double lr) {
    if (!t) return HUSH_EARG;
    memset(t, 0, sizeof *t);
    if (privacy < HUSH_FEDERATED_PRIVACY_NONE || privacy > HUSH_FEDERATED_PRIVACY_USER || participants < 2 ||
        min_survivors < 1 || min_survivors > participants || !(lr >= 0) || !isfinite(lr))
        return HUSH_EARG;
    t->version = HUSH_FEDERATED_TASK_VERSION;
    t->privacy = privacy;
    t->local_epochs = 1;
    t->local_batch = 32;
    t->optimizer = HUSH_OPTIM_SGD;
    t->lr = lr;
    t->server_optimizer = HUSH_FEDERATED_FEDAVG;
    t->server_lr = 1.0;
    t->clip = 1.0;
    t->noise_multiplier = privacy == HUSH_FEDERATED_PRIVACY_NONE ? 0.0 : 1.0;
    t->metric_noise = privacy == HUSH_FEDERATED_PRIVACY_NONE ? 0.0 : 4.0;
    t->delta = 1e-5;
    t->validation_fraction = 0.2;
    t->bits = privacy == HUSH_FEDERATED_PRIVACY_USER ? 24 : 32;
    t->max_participants = participants;
    t->min_survivors = min_survivors;
    t->max_rows = participants > 128 ? (1u << 23) / participants : 65536;
    return hush_federated_task_check(t);
}

/* The quantiser of the update coordinates (and, USER, the distributed noise) for task t. */
static int update_quant(const hush_federated_task *t, size_t n_params, hush_fl_quant *q, hush_fl_ddp *d) {
    if (t->privacy == HUSH_FEDERATED_PRIVACY_USER) {
        /* Each participant adds 1/sqrt(min_survivors) of the noise, so min_survivors honest
         * ones together reach the task's noise multiplier. */
        double z = t->noise_multiplier / sqrt((double)t->min_survivors);
        return hush_fl_ddp_init(d, q, t->bits, t->max_participants, n_params, t->clip, z);
    }
    memset(d, 0, sizeof *d);
    /* |w (new - global)| <= max_rows * clip per coordinate, after clipping the update */
    return hush_fl_quant_init(q, t->bits, t->max_participants, (double)t->max_rows * t->clip, 0.0);
}

int hush_federated_task_check(const hush_federated_task *t) {
    if (!t || t->version != HUSH_FEDERATED_TASK_VERSION) return HUSH_EARG;
    if (t->privacy < HUSH_FEDERATED_PRIVACY_NONE || t->privacy > HUSH_FEDERATED_PRIVACY_USER) return HUSH_EARG;
    if (t->server_optimizer != HUSH_FEDERATED_FEDAVG && t->server_optimizer != HUSH_FEDERATED_FEDADAM)
        return HUSH_EARG;
    if (t->optimizer > HUSH_OPTIM_ADAM || t->freeze_head > 1) return HUSH_EARG;
    if (t->local_epochs < 1 || t->local_epochs > 1000 || t->local_batch < 1 || t->local_batch > HUSH_MODEL_MAX_BATCH)
        return HUSH_ERANGE;
    if (!(t->lr >= 0 && t->lr <= 1e6) || !(t->server_lr > 0 && t->server_lr <= 1e6)) return HUSH_ERANGE;
    if (!(t->clip > 0 && t->clip <= 1e6) || !(t->delta > 0 && t->delta < 1)) return HUSH_ERANGE;
    if (!(t->validation_fraction >= 0 && t->validation_fraction < 1)) return HUSH_ERANGE;
    if (t->bits < 8 || t->bits > 32 || t->max_participants < 2 || t->max_participants > 65536) return HUSH_ERANGE;
    if (t->min_survivors < 1 || t->min_survivors > t->max_participants) return HUSH_ERANGE;
    if (t->max_rows < 1 || t->max_rows > (1u << 24)) return HUSH_ERANGE;
    int priv = t->privacy != HUSH_FEDERATED_PRIVACY_NONE;
    if (priv && !(t->noise_multiplier > 0 && t->noise_multiplier <= 1e4)) return HUSH_ERANGE;
    if (priv && !(t->metric_noise >= 0.1 && t->metric_noise <= 1e4)) return HUSH_ERANGE;
    if (!priv && (t->noise_multiplier != 0 || t->metric_noise != 0)) return HUSH_ERANGE;
    /* The weights, counts and loss sums of every participant must fit the ring without wrapping. */
    double top = ldexp(1.0, (int)t->bits - 1) - 1;
    double rows = t->privacy == HUSH_FEDERATED_PRIVACY_USER ? HUSH_FEDERATED_ACC_SCALE : (double)t->max_rows;
    if ((double)t->max_participants * rows * HUSH_FEDERATED_LOSS_CAP * HUSH_FEDERATED_LOSS_SCALE > top &&
        t->privacy == HUSH_FEDERATED_PRIVACY_NONE)
        return HUSH_ERANGE;
    if ((double)t->max_participants * rows * 2 > top) return HUSH_ERANGE;
    hush_fl_quant q;
    hush_fl_ddp d;
    return update_quant(t, 1, &q, &d) == HUSH_OK ? HUSH_OK : HUSH_ERANGE;
}

size_t hush_federated_dim(size_t n_params) { return n_params + HUSH_FEDERATED_METRICS; }

int hush_federated_session(uint8_t out[16], const uint8_t session[16], const uint8_t terms[HUSH_FEDERATED_TASK_BYTES],
                           const uint8_t *model_file, size_t model_len) {
    if (!out || !session || !terms || (!model_file && model_len)) return HUSH_EARG;
    if (hush_init() != HUSH_OK) return HUSH_ECRYPTO;
    static const uint8_t label[] = "hush.fl.session.v1";
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, 16);
    crypto_generichash_update(&st, label, sizeof label);
    crypto_generichash_update(&st, session, 16);
    crypto_generichash_update(&st, terms, HUSH_FEDERATED_TASK_BYTES);
    crypto_generichash_update(&st, model_file, model_len);
    crypto_generichash_final(&st, out, 16);
    return HUSH_OK;
}

/* The DP-SGD configuration a RECORD participant with `rows` training rows runs, as the training
 * driver sets it up (q = batch / rows, Poisson). */
static void record_dpsgd(const hush_federated_task *t, size_t rows, hush_dpsgd_config *c) {
    double q = (double)t->local_batch / (double)rows;
    if (q > 1) q = 1;
    (void)!hush_dpsgd_config_init(c, HUSH_DPSGD_POISSON, q, t->clip, t->noise_multiplier);
}

static int set_id(hush_odometer_event *e, const uint8_t *prefix, size_t len, unsigned k) {
    if (len + 3 > HUSH_ODOMETER_ID_MAX) return HUSH_ERANGE;
    memcpy(e->id, prefix, len);
    e->id[len] = '/';
    e->id[len + 1] = (uint8_t)('0' + k);
    e->id_len = (uint32_t)len + 2;
    return HUSH_OK;
}

int hush_federated_cost(hush_odometer_event *events, size_t cap, size_t *written, const hush_federated_task *t,
                        size_t train_rows, size_t n_params, const uint8_t *id_prefix, size_t id_len) {
    if (!written || (!events && cap) || (!id_prefix && id_len)) return HUSH_EARG;
    *written = 0;
    int rc = hush_federated_task_check(t);
    if (rc) return rc;
    if (t->privacy == HUSH_FEDERATED_PRIVACY_NONE) return HUSH_OK;
    if (cap < 2) return HUSH_ERANGE;
    if (!train_rows || !n_params) return HUSH_ERANGE;
    if (t->privacy == HUSH_FEDERATED_PRIVACY_RECORD) {
        hush_dpsgd_config c;
        record_dpsgd(t, train_rows, &c);
        uint64_t steps = hush_dpsgd_steps_per_epoch(&c, train_rows) * t->local_epochs;
        if ((rc = hush_odometer_event_init(&events[0], HUSH_DP_EVENT_SAMPLED_GAUSSIAN, steps))) return rc;
        /* The sampler includes a row when a 32-bit word falls below ceil(q 2^32): account that. */
        events[0].sampling_rate = ceil(c.sampling_rate * 4294967296.0) / 4294967296.0;
        events[0].noise_multiplier = t->noise_multiplier;
        if ((rc = hush_odometer_event_init(&events[1], HUSH_DP_EVENT_GAUSSIAN, 1))) return rc;
        events[1].noise_multiplier = t->metric_noise;
    } else {
        hush_fl_quant q;
        hush_fl_ddp d;
        if ((rc = update_quant(t, n_params, &q, &d))) return rc;
        if ((rc = hush_odometer_event_init(&events[0], HUSH_DP_EVENT_DISCRETE_GAUSSIAN_SUM, 1))) return rc;
        events[0].sigma = d.sigma;
        events[0].sensitivity = d.sensitivity;
        events[0].parties = t->min_survivors;
        events[0].dimension = (uint32_t)n_params;
        /* the metrics (accuracy, 1) in units of ACC_SCALE: L2 sensitivity sqrt 2 units */
        if ((rc = hush_odometer_event_init(&events[1], HUSH_DP_EVENT_DISCRETE_GAUSSIAN_SUM, 1))) return rc;
        events[1].sigma = t->metric_noise * sqrt(2.0) * HUSH_FEDERATED_ACC_SCALE / sqrt((double)t->min_survivors);
        events[1].sensitivity = sqrt(2.0) * HUSH_FEDERATED_ACC_SCALE;
        events[1].parties = t->min_survivors;
        events[1].dimension = 2;
    }
    for (unsigned k = 0; k < 2 && id_len; k++)
        if ((rc = set_id(&events[k], id_prefix, id_len, k))) return rc;
    *written = 2;
    return HUSH_OK;
}

/* Discrete Gaussian noise of standard deviation at least sigma (the variance is rounded up to a
 * multiple of 2^-10), added to v mod 2^bits. */
static int add_noise(hush_rng *rng, uint32_t *v, double sigma, uint32_t bits) {
    double var = ceil(sigma * sigma * 1024.0);
    if (!(var >= 1) || var > ldexp(1.0, 50)) return HUSH_ERANGE;
    int64_t e;
    int rc = hush_dp_discrete_gaussian(rng, &e, (uint64_t)var, 1024);
    if (rc) return rc;
    uint32_t mask = bits == 32 ? 0xffffffffu : ((1u << bits) - 1);
    *v = (uint32_t)((uint64_t)*v + (uint64_t)e) & mask;
    return HUSH_OK;
}

static uint32_t u32_of(double x) { return x <= 0 ? 0 : x >= 4294967295.0 ? 0xffffffffu : (uint32_t)llround(x); }

int hush_federated_contribute(hush_rng *rng, uint32_t *out, size_t out_len, hush_federated_report *report,
                              const hush_federated_task *t, const uint8_t *model_file, size_t model_len,
                              const hush_dataset *train, const hush_dataset *validation,
                              const hush_allocator *alloc) {
    if (!hush__alloc_ok(alloc)) return HUSH_EARG;
    if (!out || !report || !model_file || !train) return HUSH_EARG;
    memset(report, 0, sizeof *report);
    int rc = hush_federated_task_check(t);
    if (rc) return rc;
    size_t rows = hush_dataset_rows(train), vrows = validation ? hush_dataset_rows(validation) : 0;
    if (!rows) return HUSH_ERANGE;
    hush_rng master, r;
    memset(&r, 0, sizeof r);
    if (rng) rc = hush_rng_derive(&master, rng, "federated");
    else rc = hush_rng_init_random(&master);
    if (rc == HUSH_OK) rc = hush_rng_derive(&r, &master, "encode");
    if (rc) {
        hush_rng_clear(&master);
        return rc;
    }
    uint32_t mb = t->local_batch > 64 ? t->local_batch : 64;
    hush_model *g = NULL;
    hush_train *tr = NULL;
    float *delta = NULL;
    size_t np = 0;
    if ((rc = hush_model_load(&g, model_file, model_len, mb, alloc)) != HUSH_OK) goto done;
    np = hush_model_param_count(g);
    if (out_len != hush_federated_dim(np)) {
        rc = HUSH_ESHAPE;
        goto done;
    }
    /* 1. the global model on this participant's validation rows */
    float vloss = 0, vacc = 0;
    if (vrows && (rc = hush_model_evaluate(g, &vloss, &vacc, hush_dataset_x(validation),
                                          hush_dataset_labels(validation), vrows)) != HUSH_OK)
        goto done;
    /* 2. local training from the global parameters, with the global input scaling */
    hush_train_config cfg;
    if ((rc = hush_train_config_init(&cfg, t->optimizer, t->lr))) goto done;
    cfg.epochs = t->local_epochs;
    cfg.batch = t->local_batch;
    cfg.max_batch = mb;
    cfg.scaling = HUSH_TRAIN_SCALING_NONE;
    cfg.test_fraction = 0;
    cfg.noise_source = HUSH_TRAIN_NOISE_SEED; /* from `master`, which is the OS's unless rng was given */
    if (t->privacy == HUSH_FEDERATED_PRIVACY_RECORD) {
        cfg.dp = 1;
        record_dpsgd(t, rows, &cfg.dpsgd);
        cfg.dpsgd.delta = t->delta;
    }
    if ((rc = hush_train_create(&tr, &master, &cfg, hush_model_layers(g), hush_model_layer_count(g), train,
                                vrows ? validation : train, alloc)) != HUSH_OK)
        goto done;
    hush_model *m = hush_train_model(tr);
    if (hush_model_param_count(m) != np) {
        rc = HUSH_ESHAPE;
        goto done;
    }
    size_t in = hush_model_input_size(g);
    float *shift = hush__alloc(alloc, 2 * in * sizeof(float));
    if (!shift) {
        rc = HUSH_ENOMEM;
        goto done;
    }
    rc = hush_model_input_norm(g, shift, shift + in, in);
    if (rc == HUSH_OK) rc = hush_model_set_input_norm(m, shift, shift + in, in);
    else if (rc == HUSH_ESTATE) rc = hush_model_set_input_norm(m, NULL, NULL, in);
    hush__free(alloc, shift, 2 * in * sizeof(float));
    if (rc) goto done;
    memcpy(hush_model_params(m), hush_model_params(g), np * sizeof(float));
    if (t->freeze_head && (rc = hush_model_freeze_head(m, 1)) != HUSH_OK) goto done;
    hush_train_status st;
    memset(&st, 0, sizeof st);
    while ((rc = hush_train_epoch(tr, &st)) == HUSH_OK) {
    }
    if (rc != HUSH_ESTATE || hush_train_epochs_done(tr) != t->local_epochs) {
        if (rc == HUSH_OK || rc == HUSH_ESTATE) rc = HUSH_ESTATE;
        goto done;
    }
    rc = HUSH_OK;
    report->steps = st.steps;
    /* 3. the update, clipped */
    if (!(delta = hush__alloc(alloc, np * sizeof(float)))) {
        rc = HUSH_ENOMEM;
        goto done;
    }
    const float *pn = hush_model_params(m), *pg = hush_model_params(g);
    for (size_t i = 0; i < np; i++) delta[i] = pn[i] - pg[i];
    double norm = 0;
    if ((rc = hush_fl_clip_l2(delta, np, &norm, t->clip))) goto done;
    report->update_norm = (float)norm;
    /* 4. the vector */
    hush_fl_quant q;
    hush_fl_ddp d;
    if ((rc = update_quant(t, np, &q, &d))) goto done;
    uint32_t mask = t->bits == 32 ? 0xffffffffu : ((1u << t->bits) - 1);
    if (t->privacy == HUSH_FEDERATED_PRIVACY_USER) {
        if ((rc = hush_fl_ddp_encode(&d, &r, &q, out, delta, np))) goto done;
        out[np] = 1;
    } else {
        size_t w = rows < t->max_rows ? rows : t->max_rows;
        for (size_t i = 0; i < np; i++) delta[i] *= (float)w;
        if ((rc = hush_fl_quantize(&q, &r, out, delta, np))) goto done;
        out[np] = (uint32_t)w;
    }
    double correct = floor((double)vacc * (double)vrows + 0.5);
    if (t->privacy == HUSH_FEDERATED_PRIVACY_NONE) {
        double lmean = isfinite(vloss) ? fmin((double)vloss, HUSH_FEDERATED_LOSS_CAP) : HUSH_FEDERATED_LOSS_CAP;
        out[np + 1] = u32_of((double)vrows * lmean * HUSH_FEDERATED_LOSS_SCALE) & mask;
        out[np + 2] = (uint32_t)correct;
        out[np + 3] = (uint32_t)vrows;
    } else if (t->privacy == HUSH_FEDERATED_PRIVACY_RECORD) {
        out[np + 1] = 0;
        out[np + 2] = (uint32_t)correct;
        out[np + 3] = (uint32_t)vrows;
        double s = t->metric_noise * sqrt(2.0);
        if ((rc = add_noise(&r, &out[np + 2], s, t->bits)) || (rc = add_noise(&r, &out[np + 3], s, t->bits))) goto done;
    } else {
        out[np + 1] = 0;
        out[np + 2] = vrows ? u32_of(correct / (double)vrows * HUSH_FEDERATED_ACC_SCALE) : 0;
        out[np + 3] = (uint32_t)HUSH_FEDERATED_ACC_SCALE;
        double s = t->metric_noise * sqrt(2.0) * HUSH_FEDERATED_ACC_SCALE / sqrt((double)t->min_survivors);
        if ((rc = add_noise(&r, &out[np + 2], s, t->bits)) || (rc = add_noise(&r, &out[np + 3], s, t->bits))) goto done;
    }
    report->train_rows = rows;
    report->validation_rows = vrows;
    report->validation_loss = vloss;
    report->validation_accuracy = vacc;
done:
    if (delta) {
        sodium_memzero(delta, np * sizeof(float));
        hush__free(alloc, delta, np * sizeof(float));
    }
    hush_train_free(tr);
    hush_model_free(g);
    hush_rng_clear(&r);
    hush_rng_clear(&master);
    if (rc) sodium_memzero(out, out_len * sizeof *out);
    return rc;
}

/* ---- the server ---- */

struct hush_federated_server {
    hush_allocator alloc;
    const hush_allocator *a;
    hush_federated_task task;
    hush_model *model;
    size_t np;
    float *m, *v;   /* FedAdam moments, np each (NULL for FedAvg) */
    float *avg;     /* np */
    uint64_t steps; /* FedAdam steps taken */
};

void hush_federated_server_free(hush_federated_server *s) {
    if (!s) return;
    const hush_allocator *a = s->a;
    hush_model_free(s->model);
    size_t b = s->np * sizeof(float);
    hush__free(a, s->m, b);
    hush__free(a, s->v, b);
    hush__free(a, s->avg, b);
    hush__free(a, s, sizeof *s);
}

int hush_federated_server_create(hush_federated_server **out, const hush_federated_task *t, const uint8_t *model_file,
                                 size_t model_len, const uint8_t *state, size_t state_len,
                                 const hush_allocator *alloc) {
    if (!hush__alloc_ok(alloc)) return HUSH_EARG;
    if (!out || !model_file || (!state && state_len)) return HUSH_EARG;
    *out = NULL;
    int rc = hush_federated_task_check(t);
    if (rc) return rc;
    hush_federated_server *s = hush__calloc(alloc, 1, sizeof *s);
    if (!s) return HUSH_ENOMEM;
    if (alloc) {
        s->alloc = *alloc;
        s->a = &s->alloc;
    }
    s->task = *t;
    if ((rc = hush_model_load(&s->model, model_file, model_len, 1, s->a)) != HUSH_OK) goto fail;
    s->np = hush_model_param_count(s->model);
    if (t->freeze_head && (rc = hush_model_freeze_head(s->model, 1)) != HUSH_OK) goto fail;
    if (!(s->avg = hush__calloc(s->a, s->np, sizeof(float)))) goto nomem;
    if (t->server_optimizer == HUSH_FEDERATED_FEDADAM) {
        if (!(s->m = hush__calloc(s->a, s->np, sizeof(float))) || !(s->v = hush__calloc(s->a, s->np, sizeof(float))))
            goto nomem;
        if (state_len && (rc = hush__fedstate_decode(s->m, s->v, s->np, &s->steps, state, state_len)) != HUSH_OK)
            goto fail;
    } else if (state_len) {
        rc = HUSH_EFORMAT; /* FedAvg keeps no state */
        goto fail;
    }
    *out = s;
    return HUSH_OK;
nomem:
    rc = HUSH_ENOMEM;
fail:
    hush_federated_server_free(s);
    return rc;
}

static double signed_of(uint32_t v, uint32_t bits) {
    uint64_t top = (uint64_t)1 << (bits - 1), mod = (uint64_t)1 << bits;
    return v >= top ? (double)v - (double)mod : (double)v;
}

int hush_federated_server_apply(hush_federated_server *s, hush_federated_metrics *metrics, const uint32_t *sum,
                                size_t sum_len, uint32_t survivors) {
    if (!s || !metrics || !sum) return HUSH_EARG;
    memset(metrics, 0, sizeof *metrics);
    const hush_federated_task *t = &s->task;
    size_t np = s->np;
    if (sum_len != hush_federated_dim(np)) return HUSH_ESHAPE;
    hush_fl_quant q;
    hush_fl_ddp d;
    int rc = update_quant(t, np, &q, &d);
    if (rc) return rc;
    double w = signed_of(sum[np], t->bits);
    if (!(w > 0)) return HUSH_ERANGE;
    if ((rc = hush_fl_dequantize(&q, s->avg, sum, np))) return rc;
    double norm = 0;
    for (size_t i = 0; i < np; i++) {
        s->avg[i] = (float)((double)s->avg[i] / w);
        norm += (double)s->avg[i] * (double)s->avg[i];
    }
    float *p = hush_model_params(s->model);
    size_t nt = hush_model_trainable_count(s->model); /* np, or the body's with a frozen head */
    if (t->server_optimizer == HUSH_FEDERATED_FEDAVG) {
        for (size_t i = 0; i < nt; i++) p[i] += (float)(t->server_lr * (double)s->avg[i]);
    } else {
        /* FedAdam (Reddi et al. 2021, Algorithm 2, without bias correction, as the paper) */
        for (size_t i = 0; i < nt; i++) {
            double g = s->avg[i];
            double m = ADAM_B1 * s->m[i] + (1 - ADAM_B1) * g;
            double v = ADAM_B2 * s->v[i] + (1 - ADAM_B2) * g * g;
            s->m[i] = (float)m;
            s->v[i] = (float)v;
            p[i] += (float)(t->server_lr * m / (sqrt(v) + ADAM_TAU));
        }
        s->steps++;
    }
    for (size_t i = 0; i < np; i++)
        if (!isfinite(p[i])) return HUSH_ENUMERIC;
    metrics->weight = w;
    metrics->update_norm = sqrt(norm);
    double m1 = signed_of(sum[np + 1], t->bits), m2 = signed_of(sum[np + 2], t->bits),
           m3 = signed_of(sum[np + 3], t->bits);
    if (t->privacy == HUSH_FEDERATED_PRIVACY_USER) {
        metrics->validation_rows = survivors;
        metrics->validation_accuracy = m3 > 0 ? m2 / m3 : NAN;
        metrics->validation_loss = NAN;
    } else {
        metrics->validation_rows = m3;
        metrics->validation_accuracy = m3 > 0 ? m2 / m3 : NAN;
        metrics->validation_loss =
            t->privacy == HUSH_FEDERATED_PRIVACY_NONE && m3 > 0 ? m1 / HUSH_FEDERATED_LOSS_SCALE / m3 : NAN;
    }
    return HUSH_OK;
}

int hush_federated_server_model(const hush_federated_server *s, uint8_t *out, size_t cap, size_t *written) {
    if (!s || !written) return HUSH_EARG;
    size_t need = hush_model_save_size(s->model);
    *written = need;
    if (cap < need || !out) return HUSH_ERANGE;
    return hush_model_save(s->model, out, cap, written);
}

int hush_federated_server_moments(const hush_federated_server *s, uint8_t *out, size_t cap, size_t *written) {
    if (!s || !written || (!out && cap)) return HUSH_EARG;
    if (s->task.server_optimizer != HUSH_FEDERATED_FEDADAM) {
        *written = 0;
        return HUSH_OK;
    }
    return hush__fedstate_encode(out, cap, written, s->m, s->v, s->np, s->steps);
}

size_t hush_federated_server_params(const hush_federated_server *s) { return s ? s->np : 0; }
