/* Dense layer: y = x W + b over a batch, with W stored (in, out) row-major.
 *
 * Shapes: x (B, in), W (in, out), b (out), y/dy (B, out), dx (B, in).
 * Per-example gradient of example i: dW_i = x_i^T dy_i (an outer product), db_i = dy_i, so
 * ||g_i||^2 = ||x_i||^2 ||dy_i||^2 + ||dy_i||^2 without materialising anything (Goodfellow 2015).
 */
#include <string.h>

#include "nn/model.h"

void hush__nn_dense_forward(hush_model *m, hush__nn_layer *l, size_t B) {
    const float *W = m->params + l->w_off, *b = m->params + l->b_off;
    size_t in = l->in_size, out = l->out_size;
    for (size_t i = 0; i < B; i++) memcpy(l->y + i * out, b, out * sizeof(float));
    hush__nn_gemm(l->y, out, l->x, in, 1, W, out, B, in, out);
}

/* dx = dy W^T, through an explicit transpose so the multiply's inner loop stays contiguous. */
void hush__nn_dense_backward_data(hush_model *m, hush__nn_layer *l, size_t B) {
    const float *W = m->params + l->w_off;
    size_t in = l->in_size, out = l->out_size;
    float *wt = m->wt; /* (out, in) */
    for (size_t k = 0; k < in; k++)
        for (size_t j = 0; j < out; j++) wt[j * in + k] = W[k * out + j];
    memset(l->dx, 0, B * in * sizeof(float));
    hush__nn_gemm(l->dx, in, l->dy, out, 1, wt, in, B, out, in);
}

void hush__nn_dense_sqnorms(hush_model *m, hush__nn_layer *l, size_t B, double *sq) {
    (void)m;
    size_t in = l->in_size, out = l->out_size;
    for (size_t i = 0; i < B; i++) {
        double a2 = hush__nn_sumsq(l->x + i * in, in), d2 = hush__nn_sumsq(l->dy + i * out, out);
        sq[i] += a2 * d2 + d2;
    }
}

/* grads = sum_i w_i g_i: scale each delta row by w_i, then dW = x^T (w dy), db = sum_i w_i dy_i,
 * both accumulated in example order. */
void hush__nn_dense_grad(hush_model *m, hush__nn_layer *l, size_t B, const float *w) {
    size_t in = l->in_size, out = l->out_size;
    float *gW = m->grads + l->w_off, *gb = m->grads + l->b_off, *s = m->scaled;
    for (size_t i = 0; i < B; i++) {
        const float *d = l->dy + i * out;
        float wi = w[i];
        for (size_t j = 0; j < out; j++) s[i * out + j] = wi * d[j];
    }
    memset(gb, 0, out * sizeof(float));
    for (size_t i = 0; i < B; i++)
        for (size_t j = 0; j < out; j++) gb[j] += s[i * out + j];
    memset(gW, 0, in * out * sizeof(float));
    hush__nn_gemm(gW, out, l->x, 1, in, s, out, in, B, out);
}

void hush__nn_dense_example_grad(hush_model *m, hush__nn_layer *l, size_t i, float *out_flat) {
    (void)m;
    size_t in = l->in_size, out = l->out_size;
    const float *x = l->x + i * in, *d = l->dy + i * out;
    float *gW = out_flat + l->w_off, *gb = out_flat + l->b_off;
    /* "0 +" as in the batch accumulation, so signed zeros match a batch-of-one gradient too. */
    for (size_t k = 0; k < in; k++)
        for (size_t j = 0; j < out; j++) gW[k * out + j] = 0.0f + x[k] * d[j];
    for (size_t j = 0; j < out; j++) gb[j] = 0.0f + d[j];
}
