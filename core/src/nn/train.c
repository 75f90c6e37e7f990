/* Forward, backward (batch and per-example), prediction and evaluation; the training loop (one
 * optimiser step, a shuffled epoch) is fit.c.
 *
 * Every gradient goes through one path: backward_examples propagates each example's unscaled
 * delta (softmax - onehot) through all layers, keeping activations and deltas in the workspace;
 * grad_weighted then forms grads = sum_i w_i g_i. hush_model_backward is exactly that with
 * w_i = 1.0f / B, so DP-SGD with clipping off and no noise reproduces plain training bit for bit.
 */
#include <string.h>

#include "nn/model.h"

static int batch_ok(const hush_model *m, size_t B) { return B >= 1 && B <= m->max_batch; }

static int labels_ok(const hush_model *m, const uint32_t *labels, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (labels[i] >= m->out_size) return 0;
    return 1;
}

static float *input_ws(hush_model *m) { return m->layer[0].x; }

static void forward_ws(hush_model *m, size_t B) {
    for (size_t i = 0; i < m->n_layers; i++) {
        hush__nn_layer *l = &m->layer[i];
        switch (l->spec.kind) {
        case HUSH_LAYER_DENSE: hush__nn_dense_forward(m, l, B); break;
        case HUSH_LAYER_CONV2D: hush__nn_conv_forward(m, l, B); break;
        case HUSH_LAYER_MAXPOOL: hush__nn_maxpool_forward(l, B); break;
        default: hush__nn_act_forward(l, B); break;
        }
    }
}

/* From the last layer's dy (written by the loss) down to layer 0; no dx for layer 0. */
static void backward_ws(hush_model *m, size_t B, double *sq) {
    for (size_t i = m->n_layers; i-- > 0;) {
        hush__nn_layer *l = &m->layer[i];
        switch (l->spec.kind) {
        case HUSH_LAYER_DENSE:
            if (sq) hush__nn_dense_sqnorms(m, l, B, sq);
            if (i) hush__nn_dense_backward_data(m, l, B);
            break;
        case HUSH_LAYER_CONV2D:
            if (sq) hush__nn_conv_sqnorms(m, l, B, sq);
            if (i) hush__nn_conv_backward_data(m, l, B);
            break;
        case HUSH_LAYER_MAXPOOL:
            if (i) hush__nn_maxpool_backward(l, B);
            break;
        default:
            if (i) hush__nn_act_backward(l, B);
            break;
        }
    }
}

/* The batch is already in the workspace input. */
static int backward_examples_ws(hush_model *m, float *loss, float *norms, const uint32_t *labels, size_t B) {
    m->saved_batch = 0;
    forward_ws(m, B);
    hush__nn_layer *last = &m->layer[m->n_layers - 1];
    double sum = 0;
    hush__nn_softmax_xent(last->y, B, m->out_size, labels, last->dy, &sum, NULL);
    float mean = (float)(sum / (double)B);
    *loss = mean;
    if (!hush__finite_f(mean)) return HUSH_ENUMERIC;
    double *sq = norms ? m->sq : NULL;
    if (sq) memset(sq, 0, B * sizeof *sq);
    backward_ws(m, B, sq);
    if (norms)
        for (size_t i = 0; i < B; i++) norms[i] = (float)__builtin_sqrt(sq[i]);
    m->saved_batch = B;
    return HUSH_OK;
}

static void grad_weighted_ws(hush_model *m, const float *w, size_t B) {
    for (size_t i = 0; i < m->n_layers; i++) {
        hush__nn_layer *l = &m->layer[i];
        if (l->spec.kind == HUSH_LAYER_DENSE) hush__nn_dense_grad(m, l, B, w);
        else if (l->spec.kind == HUSH_LAYER_CONV2D) hush__nn_conv_grad(m, l, B, w);
    }
}

int hush__nn_backward_ws(hush_model *m, float *loss, const uint32_t *labels, size_t B) {
    int rc = backward_examples_ws(m, loss, NULL, labels, B);
    if (rc != HUSH_OK) return rc;
    float w = 1.0f / (float)B;
    for (size_t i = 0; i < B; i++) m->wts[i] = w;
    grad_weighted_ws(m, m->wts, B);
    return HUSH_OK;
}

int hush_model_forward(hush_model *m, float *logits, size_t logits_len, const float *x, size_t batch) {
    if (!m || !logits || !x) return HUSH_EARG;
    if (!batch_ok(m, batch)) return HUSH_ERANGE;
    if (logits_len < batch * m->out_size) return HUSH_ESHAPE;
    m->saved_batch = 0;
    hush__nn_load_input(m, input_ws(m), x, batch);
    forward_ws(m, batch);
    memcpy(logits, m->layer[m->n_layers - 1].y, batch * m->out_size * sizeof(float));
    return HUSH_OK;
}

static int check_train_args(hush_model *m, float *loss, const float *x, const uint32_t *labels, size_t batch) {
    if (!m || !loss || !x || !labels) return HUSH_EARG;
    if (!batch_ok(m, batch) || !labels_ok(m, labels, batch)) return HUSH_ERANGE;
    return HUSH_OK;
}

int hush_model_backward(hush_model *m, float *loss, const float *x, const uint32_t *labels, size_t batch) {
    int rc = check_train_args(m, loss, x, labels, batch);
    if (rc != HUSH_OK) return rc;
    hush__nn_load_input(m, input_ws(m), x, batch);
    return hush__nn_backward_ws(m, loss, labels, batch);
}

int hush_model_backward_examples(hush_model *m, float *loss, float *norms, const float *x, const uint32_t *labels,
                                 size_t batch) {
    int rc = check_train_args(m, loss, x, labels, batch);
    if (rc != HUSH_OK) return rc;
    hush__nn_load_input(m, input_ws(m), x, batch);
    return backward_examples_ws(m, loss, norms, labels, batch);
}

int hush_model_grad_weighted(hush_model *m, const float *weights, size_t batch) {
    if (!m || !weights) return HUSH_EARG;
    if (m->saved_batch == 0) return HUSH_ESTATE;
    if (batch != m->saved_batch) return HUSH_ESHAPE;
    grad_weighted_ws(m, weights, batch);
    return HUSH_OK;
}

int hush_model_example_grad(hush_model *m, float *out, size_t out_len, size_t i) {
    if (!m || !out) return HUSH_EARG;
    if (m->saved_batch == 0) return HUSH_ESTATE;
    if (i >= m->saved_batch) return HUSH_ERANGE;
    if (out_len < m->n_params) return HUSH_ESHAPE;
    for (size_t k = 0; k < m->n_layers; k++) {
        hush__nn_layer *l = &m->layer[k];
        if (l->spec.kind == HUSH_LAYER_DENSE) hush__nn_dense_example_grad(m, l, i, out);
        else if (l->spec.kind == HUSH_LAYER_CONV2D) hush__nn_conv_example_grad(m, l, i, out);
    }
    return HUSH_OK;
}

int hush_model_predict(hush_model *m, uint32_t *labels_out, const float *x, size_t n) {
    if (!m || !labels_out || !x) return HUSH_EARG;
    if (n == 0) return HUSH_ERANGE;
    m->saved_batch = 0;
    const float *logits = m->layer[m->n_layers - 1].y;
    for (size_t s = 0; s < n; s += m->max_batch) {
        size_t B = n - s < m->max_batch ? n - s : m->max_batch;
        hush__nn_load_input(m, input_ws(m), x + s * m->in_size, B);
        forward_ws(m, B);
        for (size_t i = 0; i < B; i++) labels_out[s + i] = hush__nn_argmax(logits + i * m->out_size, m->out_size);
    }
    return HUSH_OK;
}

int hush_model_evaluate(hush_model *m, float *loss, float *accuracy, const float *x, const uint32_t *labels,
                        size_t n) {
    if (!m || !loss || !accuracy || !x || !labels) return HUSH_EARG;
    if (n == 0 || !labels_ok(m, labels, n)) return HUSH_ERANGE;
    m->saved_batch = 0;
    const float *logits = m->layer[m->n_layers - 1].y;
    double sum = 0;
    size_t correct = 0;
    for (size_t s = 0; s < n; s += m->max_batch) {
        size_t B = n - s < m->max_batch ? n - s : m->max_batch;
        hush__nn_load_input(m, input_ws(m), x + s * m->in_size, B);
        forward_ws(m, B);
        hush__nn_softmax_xent(logits, B, m->out_size, labels + s, NULL, &sum, &correct);
    }
    *loss = (float)(sum / (double)n);
    *accuracy = (float)((double)correct / (double)n);
    return hush__finite_f(*loss) ? HUSH_OK : HUSH_ENUMERIC;
}
