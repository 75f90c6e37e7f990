/* Federated tasks on hush-server (see federated.h). */
#include "federated.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hush/federated.h"
#include "hush/train.h"
#include "io/netwire.h"

int srv_fed_model_frame(srv_store *st, const srv_task *t, uint32_t round, const uint8_t *session, uint8_t *bound,
                        uint8_t **frame, size_t *len) {
    uint8_t *model = NULL, *state = NULL;
    size_t ml = 0, sl = 0;
    *frame = NULL;
    int rc = srv_store_model_get(st, t->name, -1, &model, &ml, &state, &sl, NULL);
    if (rc) return rc;
    free(state);
    if (session && (rc = hush_federated_session(bound, session, t->fl, model, ml)) != HUSH_OK) {
        free(model);
        return rc;
    }
    size_t cap = hush__nw_model_size(t->name, ml);
    uint8_t *f = malloc(cap);
    if (!f) rc = HUSH_ENOMEM;
    else rc = hush__nw_model(f, cap, len, t->name, round, t->fl, model, ml);
    free(model);
    if (rc) {
        free(f);
        return rc;
    }
    *frame = f;
    return HUSH_OK;
}

int srv_fed_initial_model(const char *spec, uint32_t input_size, uint32_t classes, const uint64_t *seed,
                          const double *bounds, size_t n_bounds, uint8_t **model, size_t *len, size_t *np) {
    hush_layer_spec layers[HUSH_MODEL_MAX_LAYERS];
    size_t nl = 0;
    *model = NULL;
    int rc = hush_model_spec_parse(layers, HUSH_MODEL_MAX_LAYERS, &nl, spec, NULL);
    if (rc) return rc;
    hush_shape shape = {input_size, 1, 1};
    hush_model *m = NULL;
    hush_rng r;
    memset(&r, 0, sizeof r);
    if ((rc = hush_model_create(&m, layers, nl, shape, 1, NULL))) return rc;
    if (hush_model_output_size(m) != classes) rc = HUSH_ESHAPE;
    if (rc == HUSH_OK) rc = seed ? hush_rng_init_u64(&r, *seed) : hush_rng_init_random(&r);
    if (rc == HUSH_OK) rc = hush_model_init_params(m, &r);
    hush_rng_clear(&r);
    if (rc == HUSH_OK && bounds) {
        float *shift = malloc(2 * (size_t)input_size * sizeof(float));
        if (!shift) rc = HUSH_ENOMEM;
        else if (n_bounds != input_size) rc = HUSH_ESHAPE;
        for (size_t j = 0; rc == HUSH_OK && j < input_size; j++) {
            double lo = bounds[2 * j], hi = bounds[2 * j + 1];
            shift[j] = (float)((lo + hi) / 2);
            shift[input_size + j] = (float)(2 / (hi - lo));
        }
        if (rc == HUSH_OK) rc = hush_model_set_input_norm(m, shift, shift + input_size, input_size);
        free(shift);
    }
    if (rc == HUSH_OK) {
        size_t cap = hush_model_save_size(m);
        *model = malloc(cap);
        rc = *model ? hush_model_save(m, *model, cap, len) : HUSH_ENOMEM;
        *np = hush_model_param_count(m);
    }
    hush_model_free(m);
    if (rc) {
        free(*model);
        *model = NULL;
    }
    return rc;
}

static const char *privacy_name(uint32_t p) {
    return p == HUSH_FEDERATED_PRIVACY_RECORD ? "record" : p == HUSH_FEDERATED_PRIVACY_USER ? "user" : "none";
}

static void num(char *b, size_t cap, double v) {
    if (isfinite(v)) snprintf(b, cap, "%.6g", v);
    else snprintf(b, cap, "null");
}

int srv_fed_apply(srv_store *st, const srv_task *t, const uint32_t *sum, uint32_t survivors, uint32_t declined,
                  srv_fed_result *out) {
    memset(out, 0, sizeof *out);
    hush_federated_task ft;
    int rc = hush_federated_task_decode(&ft, t->fl, sizeof t->fl);
    if (rc) return rc;
    uint8_t *model = NULL, *state = NULL;
    size_t ml = 0, sl = 0;
    if ((rc = srv_store_model_get(st, t->name, -1, &model, &ml, &state, &sl, NULL))) return rc;
    hush_federated_server *s = NULL;
    rc = hush_federated_server_create(&s, &ft, model, ml, state, sl, NULL);
    free(model);
    free(state);
    hush_federated_metrics m;
    if (rc == HUSH_OK) rc = hush_federated_server_apply(s, &m, sum, t->dim, survivors);
    size_t need = 0;
    if (rc == HUSH_OK && (rc = hush_federated_server_model(s, NULL, 0, &need)) == HUSH_ERANGE) {
        rc = HUSH_OK; /* the size */
        out->model = malloc(need);
        rc = out->model ? hush_federated_server_model(s, out->model, need, &out->model_len) : HUSH_ENOMEM;
    }
    if (rc == HUSH_OK && (rc = hush_federated_server_moments(s, NULL, 0, &need)) == HUSH_ERANGE) rc = HUSH_OK;
    if (rc == HUSH_OK) {
        if (need) {
            out->state = malloc(need);
            rc = out->state ? hush_federated_server_moments(s, out->state, need, &out->state_len) : HUSH_ENOMEM;
        }
    }
    hush_federated_server_free(s);
    if (rc) {
        srv_fed_result_free(out);
        return rc;
    }
    char acc[32], loss[32], rows[32], norm[32], w[32];
    num(acc, sizeof acc, m.validation_accuracy);
    num(loss, sizeof loss, m.validation_loss);
    num(rows, sizeof rows, m.validation_rows);
    num(norm, sizeof norm, m.update_norm);
    num(w, sizeof w, m.weight);
    snprintf(out->metrics, sizeof out->metrics,
             "{\"participants\":%u,\"declined\":%u,\"weight\":%s,\"validation_accuracy\":%s,\"validation_loss\":%s,"
             "\"validation_rows\":%s,\"update_norm\":%s,\"privacy\":\"%s\"}",
             survivors, declined, w, acc, loss, rows, norm, privacy_name(ft.privacy));
    return HUSH_OK;
}

void srv_fed_result_free(srv_fed_result *r) {
    free(r->model);
    free(r->state);
    r->model = r->state = NULL;
}

int srv_fed_terms_json(const srv_task *t, char *out, size_t cap) {
    hush_federated_task ft;
    int rc = hush_federated_task_decode(&ft, t->fl, sizeof t->fl);
    if (rc) return rc;
    /* USER rounds cost every participant the same: publish the epsilon of one round at delta
     * (RECORD depends on each participant's row count, so its terms are the DP-SGD settings). */
    char user_eps[32] = "null";
    if (ft.privacy == HUSH_FEDERATED_PRIVACY_USER) {
        hush_odometer_event ev[2];
        size_t n;
        hush_odometer_config oc;
        hush_odometer *od = NULL;
        double lo, hi;
        size_t np = t->dim - HUSH_FEDERATED_METRICS;
        if (hush_federated_cost(ev, 2, &n, &ft, 1, np, NULL, 0) == HUSH_OK &&
            hush_odometer_config_init(&oc, 1e9, ft.delta) == HUSH_OK && hush_odometer_create(&od, &oc, NULL) == HUSH_OK &&
            hush_odometer_charge_all(od, &n, ev, n) == HUSH_OK &&
            hush_odometer_spent(od, &lo, &hi, ft.delta) == HUSH_OK)
            num(user_eps, sizeof user_eps, hi);
        hush_odometer_free(od);
    }
    snprintf(out, cap,
             "{\"privacy\":\"%s\",\"clip\":%.6g,\"noise_multiplier\":%.6g,\"metric_noise\":%.6g,\"delta\":%.6g,"
             "\"local_epochs\":%u,\"local_batch\":%u,\"lr\":%.6g,\"server_optimizer\":\"%s\",\"server_lr\":%.6g,"
             "\"freeze_head\":%s,\"epsilon_per_round\":%s}",
             privacy_name(ft.privacy), ft.clip, ft.noise_multiplier, ft.metric_noise, ft.delta, ft.local_epochs,
             ft.local_batch, ft.lr, ft.server_optimizer == HUSH_FEDERATED_FEDADAM ? "fedadam" : "fedavg", ft.server_lr,
             ft.freeze_head ? "true" : "false", user_eps);
    return HUSH_OK;
}
