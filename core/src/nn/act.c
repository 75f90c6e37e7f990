/* Elementwise activations: ReLU, tanh, sigmoid (tanh and sigmoid from Hush's deterministic
 * mathf, so every build agrees). Shapes are unchanged: x, y, dy, dx are all (B, size).
 *   relu:    y = x > 0 ? x : 0        dx = x > 0 ? dy : 0  (gradient 0 at x == 0, as TF)
 *   tanh:    y = tanh(x)              dx = dy * (1 - y*y)
 *   sigmoid: y = 1 / (1 + exp(-x))    dx = dy * (y * (1 - y))
 */
#include "hush/mathf.h"
#include "nn/model.h"
#include "nn/simd.h"

/* Branch-free, vectorised: random signs would make a branchy loop mispredict half the time. */
static void relu_select(float *out, const float *x, const float *v, size_t n) {
    size_t i = 0;
#ifdef HUSH__NN_VEC
    for (; i + 4 <= n; i += 4) hush__st4(out + i, hush__pos_select4(hush__ld4(x + i), hush__ld4(v + i)));
#endif
    for (; i < n; i++) out[i] = x[i] > 0.0f ? v[i] : 0.0f;
}

void hush__nn_act_forward(hush__nn_layer *l, size_t B) {
    size_t n = B * l->out_size;
    const float *x = l->x;
    float *y = l->y;
    switch (l->spec.kind) {
    case HUSH_LAYER_RELU:
        relu_select(y, x, x, n);
        break;
    case HUSH_LAYER_TANH:
        for (size_t i = 0; i < n; i++) y[i] = hush_tanhf(x[i]);
        break;
    default:
        for (size_t i = 0; i < n; i++) y[i] = hush_sigmoidf(x[i]);
        break;
    }
}

void hush__nn_act_backward(hush__nn_layer *l, size_t B) {
    size_t n = B * l->out_size;
    const float *x = l->x, *y = l->y, *dy = l->dy;
    float *dx = l->dx;
    switch (l->spec.kind) {
    case HUSH_LAYER_RELU:
        relu_select(dx, x, dy, n);
        break;
    case HUSH_LAYER_TANH:
        for (size_t i = 0; i < n; i++) dx[i] = dy[i] * (1.0f - y[i] * y[i]);
        break;
    default:
        for (size_t i = 0; i < n; i++) dx[i] = dy[i] * (y[i] * (1.0f - y[i]));
        break;
    }
}
