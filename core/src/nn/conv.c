/* 2-D convolution, stride 1, valid or same zero padding, via im2col and the shared multiply.
 *
 * Per example: x (C, H, W), W (F, C*k*k), b (F), y/dy (F, P) with P = OH*OW positions.
 *   forward:   y = W col + b              col = im2col(x), (C*k*k, P)
 *   data grad: dx = col2im(W^T dy)
 *   weights:   dW_i = dy_i colT_i         colT = im2col_t(x), (P, C*k*k)
 *              db_i[f] = sum_p dy_i[f][p]
 * The per-example kernel gradient is small (F x C*k*k), so norms materialise it in scratch.
 */
#include <string.h>

#include "nn/model.h"

void hush__nn_conv_forward(hush_model *m, hush__nn_layer *l, size_t B) {
    const float *W = m->params + l->w_off, *b = m->params + l->b_off;
    size_t F = l->spec.a, P = l->npos, ckk = l->ckk;
    for (size_t n = 0; n < B; n++) {
        float *y = l->y + n * l->out_size;
        hush__nn_im2col(m->col, l->x + n * l->in_size, &l->geo);
        for (size_t f = 0; f < F; f++)
            for (size_t p = 0; p < P; p++) y[f * P + p] = b[f];
        hush__nn_gemm(y, P, W, ckk, 1, m->col, P, F, ckk, P);
    }
}

void hush__nn_conv_backward_data(hush_model *m, hush__nn_layer *l, size_t B) {
    const float *W = m->params + l->w_off;
    size_t F = l->spec.a, P = l->npos, ckk = l->ckk;
    for (size_t n = 0; n < B; n++) {
        memset(m->dcol, 0, ckk * P * sizeof(float));
        /* A(r, f) = W[f][r]: a transposed view, no copy. */
        hush__nn_gemm(m->dcol, P, W, 1, ckk, l->dy + n * l->out_size, P, ckk, F, P);
        float *dx = l->dx + n * l->in_size;
        memset(dx, 0, l->in_size * sizeof(float));
        hush__nn_col2im_add(dx, m->dcol, &l->geo);
    }
}

/* dW_i into gw (F x ckk, overwritten) and db_i into gb (F), for delta rows d (F x P). */
static void example_kernel_grad(hush_model *m, hush__nn_layer *l, size_t n, const float *d, float *gw,
                                float *gb) {
    size_t F = l->spec.a, P = l->npos, ckk = l->ckk;
    hush__nn_im2col_t(m->col, l->x + n * l->in_size, &l->geo);
    memset(gw, 0, F * ckk * sizeof(float));
    hush__nn_gemm(gw, ckk, d, P, 1, m->col, ckk, F, P, ckk);
    for (size_t f = 0; f < F; f++) {
        float s = 0.0f;
        for (size_t p = 0; p < P; p++) s += d[f * P + p];
        gb[f] = s;
    }
}

void hush__nn_conv_sqnorms(hush_model *m, hush__nn_layer *l, size_t B, double *sq) {
    size_t F = l->spec.a, ckk = l->ckk;
    for (size_t n = 0; n < B; n++) {
        const float *d = l->dy + n * l->out_size;
        double s = 0;
        /* bias part first, then the kernel, each in a fixed order */
        for (size_t f = 0; f < F; f++) {
            double bsum = 0;
            for (size_t p = 0; p < l->npos; p++) bsum += (double)d[f * l->npos + p];
            s += bsum * bsum;
        }
        hush__nn_im2col_t(m->col, l->x + n * l->in_size, &l->geo);
        memset(m->gk, 0, F * ckk * sizeof(float));
        hush__nn_gemm(m->gk, ckk, d, l->npos, 1, m->col, ckk, F, l->npos, ckk);
        sq[n] += s + hush__nn_sumsq(m->gk, F * ckk);
    }
}

void hush__nn_conv_grad(hush_model *m, hush__nn_layer *l, size_t B, const float *w) {
    size_t F = l->spec.a, P = l->npos, ckk = l->ckk;
    float *gW = m->grads + l->w_off, *gb = m->grads + l->b_off, *s = m->scaled;
    memset(gW, 0, F * ckk * sizeof(float));
    memset(gb, 0, F * sizeof(float));
    for (size_t n = 0; n < B; n++) {
        const float *d = l->dy + n * l->out_size;
        float wn = w[n];
        for (size_t r = 0; r < F * P; r++) s[r] = wn * d[r];
        hush__nn_im2col_t(m->col, l->x + n * l->in_size, &l->geo);
        hush__nn_gemm(gW, ckk, s, P, 1, m->col, ckk, F, P, ckk);
        for (size_t f = 0; f < F; f++)
            for (size_t p = 0; p < P; p++) gb[f] += s[f * P + p];
    }
}

void hush__nn_conv_example_grad(hush_model *m, hush__nn_layer *l, size_t i, float *out) {
    example_kernel_grad(m, l, i, l->dy + i * l->out_size, out + l->w_off, out + l->b_off);
}
