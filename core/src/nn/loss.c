/* Softmax cross-entropy over integer labels, numerically stable.
 *
 * Per example with logits z (K) and label y:  m = max z,  e_j = exp(z_j - m),  s = sum e_j,
 *   loss = log s - (z_y - m),   delta_j = e_j / s - [j == y]   (the unscaled gradient).
 * Subtracting m keeps every e_j in (0, 1] and s in [1, K], so nothing overflows. s and the loss
 * are accumulated in double in index order; callers divide by the batch size.
 */
#include "hush/mathf.h"
#include "nn/model.h"

uint32_t hush__nn_argmax(const float *v, size_t n) {
    size_t best = 0;
    for (size_t j = 1; j < n; j++)
        if (v[j] > v[best]) best = j;
    return (uint32_t)best;
}

void hush__nn_softmax_xent(const float *logits, size_t B, size_t K, const uint32_t *labels, float *delta,
                           double *loss_sum, size_t *correct) {
    for (size_t i = 0; i < B; i++) {
        const float *z = logits + i * K;
        float *d = delta ? delta + i * K : NULL;
        uint32_t y = labels[i], top = hush__nn_argmax(z, K);
        float m = z[top];
        if (correct && top == y) (*correct)++;
        double s = 0;
        for (size_t j = 0; j < K; j++) {
            float e = hush_expf(z[j] - m);
            if (d) d[j] = e;
            s += (double)e;
        }
        *loss_sum += hush_log(s) - (double)(z[y] - m);
        if (d) {
            for (size_t j = 0; j < K; j++) d[j] = (float)((double)d[j] / s);
            d[y] -= 1.0f;
        }
    }
}
