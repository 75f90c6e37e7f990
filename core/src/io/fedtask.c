/* Federated learning's byte formats (hush/federated.h, io/fedtask.h): the task as it travels in a
 * round's MODEL message, and the FedAdam state. Both are checked completely before use.
 * Task: u32 version, privacy, local_epochs, local_batch, optimizer, server_optimizer, bits,
 * max_participants, min_survivors, max_rows; f64 lr, server_lr, clip, noise_multiplier,
 * metric_noise, delta, validation_fraction; version 2 adds u32 freeze_head. */
#include "io/fedtask.h"

#include <math.h>
#include <string.h>

#include "hush/federated.h"
#include "io/buf.h"

#define STATE_MAGIC 0x44414648u /* "HFAD" */
#define V1_BYTES 96               /* version 1: everything up to validation_fraction */

int hush_federated_task_encode(uint8_t *out, size_t cap, size_t *written, const hush_federated_task *t) {
    if (!written || !t || (!out && cap)) return HUSH_EARG;
    *written = HUSH_FEDERATED_TASK_BYTES;
    int rc = hush_federated_task_check(t);
    if (rc) return rc;
    if (cap < HUSH_FEDERATED_TASK_BYTES) return HUSH_ERANGE;
    hush__wr w;
    hush__wr_init(&w, out, cap);
    hush__wr_u32(&w, t->version);
    hush__wr_u32(&w, t->privacy);
    hush__wr_u32(&w, t->local_epochs);
    hush__wr_u32(&w, t->local_batch);
    hush__wr_u32(&w, t->optimizer);
    hush__wr_u32(&w, t->server_optimizer);
    hush__wr_u32(&w, t->bits);
    hush__wr_u32(&w, t->max_participants);
    hush__wr_u32(&w, t->min_survivors);
    hush__wr_u32(&w, t->max_rows);
    hush__wr_f64(&w, t->lr);
    hush__wr_f64(&w, t->server_lr);
    hush__wr_f64(&w, t->clip);
    hush__wr_f64(&w, t->noise_multiplier);
    hush__wr_f64(&w, t->metric_noise);
    hush__wr_f64(&w, t->delta);
    hush__wr_f64(&w, t->validation_fraction);
    hush__wr_u32(&w, t->freeze_head);
    return w.err ? HUSH_ERANGE : HUSH_OK;
}

int hush_federated_task_decode(hush_federated_task *t, const uint8_t *buf, size_t len) {
    if (!t || (!buf && len)) return HUSH_EARG;
    memset(t, 0, sizeof *t);
    if (len < 4) return HUSH_ETRUNC;
    uint32_t version = hush__load32_le(buf);
    if (version != 1 && version != HUSH_FEDERATED_TASK_VERSION) return HUSH_EVERSION;
    size_t want = version == 1 ? V1_BYTES : HUSH_FEDERATED_TASK_BYTES;
    if (len < want) return HUSH_ETRUNC;
    if (len > want) return HUSH_EFORMAT;
    hush__rd r;
    hush__rd_init(&r, buf, len);
    t->version = hush__rd_u32(&r);
    t->privacy = hush__rd_u32(&r);
    t->local_epochs = hush__rd_u32(&r);
    t->local_batch = hush__rd_u32(&r);
    t->optimizer = hush__rd_u32(&r);
    t->server_optimizer = hush__rd_u32(&r);
    t->bits = hush__rd_u32(&r);
    t->max_participants = hush__rd_u32(&r);
    t->min_survivors = hush__rd_u32(&r);
    t->max_rows = hush__rd_u32(&r);
    t->lr = hush__rd_f64(&r);
    t->server_lr = hush__rd_f64(&r);
    t->clip = hush__rd_f64(&r);
    t->noise_multiplier = hush__rd_f64(&r);
    t->metric_noise = hush__rd_f64(&r);
    t->delta = hush__rd_f64(&r);
    t->validation_fraction = hush__rd_f64(&r);
    if (version == HUSH_FEDERATED_TASK_VERSION) t->freeze_head = hush__rd_u32(&r);
    t->version = HUSH_FEDERATED_TASK_VERSION; /* the struct is always the current version */
    if (r.err) return r.err;
    /* NaNs fail every range comparison in the check */
    if (hush_federated_task_check(t) != HUSH_OK) {
        memset(t, 0, sizeof *t);
        return HUSH_EFORMAT;
    }
    return HUSH_OK;
}

size_t hush__fedstate_bytes(size_t n_params) { return 20 + n_params * 8; }

int hush__fedstate_encode(uint8_t *out, size_t cap, size_t *written, const float *m, const float *v, size_t n_params,
                          uint64_t steps) {
    if (!written || !m || !v || n_params > UINT32_MAX) return HUSH_EARG;
    *written = hush__fedstate_bytes(n_params);
    if (!out || cap < *written) return HUSH_ERANGE;
    hush__wr w;
    hush__wr_init(&w, out, cap);
    hush__wr_u32(&w, STATE_MAGIC);
    hush__wr_u32(&w, 1);
    hush__wr_u32(&w, (uint32_t)n_params);
    hush__wr_u64(&w, steps);
    for (size_t i = 0; i < n_params; i++) hush__wr_f32(&w, m[i]);
    for (size_t i = 0; i < n_params; i++) hush__wr_f32(&w, v[i]);
    return w.err ? HUSH_ERANGE : HUSH_OK;
}

int hush__fedstate_decode(float *m, float *v, size_t n_params, uint64_t *steps, const uint8_t *buf, size_t len) {
    if (!m || !v || !steps || (!buf && len)) return HUSH_EARG;
    hush__rd r;
    hush__rd_init(&r, buf, len);
    uint32_t magic = hush__rd_u32(&r), version = hush__rd_u32(&r), np = hush__rd_u32(&r);
    uint64_t st = hush__rd_u64(&r);
    if (r.err) return r.err;
    if (magic != STATE_MAGIC) return HUSH_EFORMAT;
    if (version != 1) return HUSH_EVERSION;
    if (np != n_params) return HUSH_EFORMAT;
    if (hush__rd_remaining(&r) < (size_t)np * 8) return HUSH_ETRUNC;
    if (hush__rd_remaining(&r) > (size_t)np * 8) return HUSH_EFORMAT;
    for (size_t i = 0; i < n_params; i++) m[i] = hush__rd_f32(&r);
    for (size_t i = 0; i < n_params; i++) v[i] = hush__rd_f32(&r);
    for (size_t i = 0; i < n_params; i++)
        if (!isfinite(m[i]) || !(v[i] >= 0) || !isfinite(v[i])) return HUSH_EFORMAT;
    *steps = st;
    return HUSH_OK;
}
