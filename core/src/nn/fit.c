/* Training steps: one optimiser step on a batch, and a shuffled epoch over a data set.
 * Both run entirely inside memory sized at create time (the epoch gathers each minibatch into the
 * workspace), so they allocate nothing. */
#include <string.h>

#include "nn/model.h"

static int labels_ok(const hush_model *m, const uint32_t *labels, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (labels[i] >= m->out_size) return 0;
    return 1;
}

int hush_model_step(hush_model *m, hush_optim *o, float *loss, const float *x, const uint32_t *labels,
                    size_t batch) {
    if (!m || !o || !loss || !x || !labels) return HUSH_EARG;
    if (hush__nn_optim_size(o) != m->n_params) return HUSH_ESHAPE;
    int rc = hush_model_backward(m, loss, x, labels, batch);
    if (rc != HUSH_OK) return rc;
    return hush_optim_step(o, m->params, m->grads, m->n_train);
}

int hush_model_fit_epoch(hush_model *m, hush_rng *rng, hush_optim *o, uint32_t *perm, float *mean_loss,
                         const float *x, const uint32_t *labels, size_t n, size_t batch) {
    if (!m || !o || !rng || !perm || !mean_loss || !x || !labels) return HUSH_EARG;
    if (n == 0 || n > UINT32_MAX || batch == 0 || batch > m->max_batch) return HUSH_ERANGE;
    if (hush__nn_optim_size(o) != m->n_params) return HUSH_ESHAPE;
    if (!labels_ok(m, labels, n)) return HUSH_ERANGE;
    for (size_t i = 0; i < n; i++) perm[i] = (uint32_t)i;
    int rc = hush_rng_shuffle_u32(rng, perm, n);
    if (rc != HUSH_OK) return rc;
    size_t in = m->in_size;
    float *xb = m->layer[0].x;
    double total = 0;
    for (size_t s = 0; s < n; s += batch) {
        size_t B = n - s < batch ? n - s : batch;
        for (size_t i = 0; i < B; i++) {
            size_t r = perm[s + i];
            hush__nn_load_input(m, xb + i * in, x + r * in, 1);
            m->labels[i] = labels[r];
        }
        float loss;
        int rc = hush__nn_backward_ws(m, &loss, m->labels, B);
        if (rc == HUSH_OK) rc = hush_optim_step(o, m->params, m->grads, m->n_train);
        if (rc != HUSH_OK) {
            *mean_loss = loss;
            return rc;
        }
        total += (double)loss * (double)B;
    }
    *mean_loss = (float)(total / (double)n);
    return HUSH_OK;
}
