/* Max pooling, 2x2 windows, stride 2; an odd trailing row or column is dropped (as Keras'
 * "valid" pooling). Per example: x (C, H, W) -> y (C, H/2, W/2).
 *
 * The gradient goes to the first maximum in window order (0,0), (0,1), (1,0), (1,1); backward
 * recomputes that choice from the stored input instead of keeping indices.
 */
#include <string.h>

#include "nn/model.h"

/* Offset of the winning element of the window whose top-left is p. */
static size_t win(const float *p, size_t w) {
    size_t best = 0;
    float v = p[0];
    if (p[1] > v) best = 1, v = p[1];
    if (p[w] > v) best = w, v = p[w];
    if (p[w + 1] > v) best = w + 1;
    return best;
}

void hush__nn_maxpool_forward(hush__nn_layer *l, size_t B) {
    size_t C = l->in.c, H = l->in.h, W = l->in.w, OH = l->out.h, OW = l->out.w;
    for (size_t n = 0; n < B; n++) {
        const float *x = l->x + n * l->in_size;
        float *y = l->y + n * l->out_size;
        for (size_t c = 0; c < C; c++)
            for (size_t oy = 0; oy < OH; oy++)
                for (size_t ox = 0; ox < OW; ox++) {
                    const float *p = x + (c * H + 2 * oy) * W + 2 * ox;
                    y[(c * OH + oy) * OW + ox] = p[win(p, W)];
                }
    }
}

void hush__nn_maxpool_backward(hush__nn_layer *l, size_t B) {
    size_t C = l->in.c, H = l->in.h, W = l->in.w, OH = l->out.h, OW = l->out.w;
    memset(l->dx, 0, B * l->in_size * sizeof(float));
    for (size_t n = 0; n < B; n++) {
        const float *x = l->x + n * l->in_size, *dy = l->dy + n * l->out_size;
        float *dx = l->dx + n * l->in_size;
        for (size_t c = 0; c < C; c++)
            for (size_t oy = 0; oy < OH; oy++)
                for (size_t ox = 0; ox < OW; ox++) {
                    size_t base = (c * H + 2 * oy) * W + 2 * ox;
                    dx[base + win(x + base, W)] = dy[(c * OH + oy) * OW + ox];
                }
    }
}
