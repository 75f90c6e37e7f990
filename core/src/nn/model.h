/* Internal layout of hush_model, shared by the files in core/src/nn.
 *
 * Parameter layout (the model file and the JS side rely on it): for each parameterised layer in
 * order, its weights then its bias, packed with no gaps.
 *   dense  (in -> out):  W[in][out] row-major (W[i*out + j]), so y = x W + b; then b[out].
 *                        The input is flattened in C,H,W order.
 *   conv2d (C -> F, k):  W[F][C][k][k] row-major; then b[F].
 * Activations are stored per example in C,H,W order (a dense output is (units, 1, 1)).
 *
 * Workspace (one allocation, sized for max_batch at create): every layer's output activations
 * (the previous layer's output is the next layer's input; layer 0 reads a copy of the caller's
 * batch), the output deltas of every parameterised layer (kept so that grad_weighted and
 * example_grad can run after backward_examples), two ping-pong delta buffers for the
 * parameter-free layers, and scratch for the kernels.
 */
#ifndef HUSH__NN_MODEL_H
#define HUSH__NN_MODEL_H

#include "hush/nn.h"
#include "nn/kernels.h"

typedef struct hush__nn_layer {
    hush_layer_spec spec;
    hush_shape in, out;
    size_t in_size, out_size;  /* floats per example */
    size_t w_off, n_w;         /* weights in the flat block; n_w == 0: no parameters */
    size_t b_off, n_b;
    hush__nn_convgeo geo;      /* conv only */
    size_t ckk, npos;          /* conv: C*k*k and output positions oh*ow */
    int he_init;               /* followed by ReLU: He-uniform, else Glorot-uniform */
    float *x;                  /* input activations: max_batch x in_size */
    float *y;                  /* output activations: max_batch x out_size */
    float *dy;                 /* dL/dy per example (unscaled): max_batch x out_size */
    float *dx;                 /* dL/dx: the previous layer's dy; NULL for layer 0 */
} hush__nn_layer;

struct hush_model {
    hush_allocator alloc_copy;
    const hush_allocator *alloc; /* &alloc_copy or NULL */
    hush_shape input;
    size_t n_layers;
    hush_layer_spec specs[HUSH_MODEL_MAX_LAYERS];
    hush__nn_layer layer[HUSH_MODEL_MAX_LAYERS];
    uint32_t max_batch;
    size_t n_params, in_size, out_size;
    size_t n_train;      /* parameters the training steps update: n_params, or the head's offset */
    float *params, *grads;
    float *norm;         /* input standardisation: shift[in_size] then scale[in_size] */
    int has_norm;
    uint32_t norm_scaling; /* enum hush_input_scaling */
    unsigned char *ws;
    size_t ws_bytes;
    /* views into ws */
    double *sq;          /* max_batch per-example squared gradient norms */
    uint32_t *labels;    /* max_batch labels gathered by fit_epoch */
    float *wts;          /* max_batch example weights */
    float *scaled;       /* weighted deltas: max(max_batch x dense out, conv F x positions) */
    float *wt;           /* a dense layer's transposed weights (out x in) */
    float *col, *dcol;   /* conv: im2col of one example and its gradient */
    float *gk;           /* conv: one example's kernel gradient (F x C*k*k) */
    size_t saved_batch;  /* batch of the last backward_examples, 0 if none is valid */
};

static inline int hush__nn_has_params(const hush__nn_layer *l) { return l->n_w != 0; }
/* x - x is 0 for finite x and NaN for inf/NaN: no <math.h> classification needed. */
static inline int hush__finite_f(float x) { return x - x == 0.0f; }

/* model.c: copies `rows` examples into the layer-0 input, standardising them if the model has an
 * input norm. Every pass loads its input through here. */
void hush__nn_load_input(hush_model *m, float *dst, const float *src, size_t rows);


/* model.c: shapes, offsets and workspace size without allocating. */
int hush__nn_plan(hush_model *m, const hush_layer_spec *layers, size_t n_layers, hush_shape input,
                  uint32_t max_batch);

/* dense.c / conv.c: per-layer passes over a batch of B examples held in the workspace. */
void hush__nn_dense_forward(hush_model *m, hush__nn_layer *l, size_t B);
void hush__nn_dense_backward_data(hush_model *m, hush__nn_layer *l, size_t B);
void hush__nn_dense_sqnorms(hush_model *m, hush__nn_layer *l, size_t B, double *sq);
void hush__nn_dense_grad(hush_model *m, hush__nn_layer *l, size_t B, const float *w);
void hush__nn_dense_example_grad(hush_model *m, hush__nn_layer *l, size_t i, float *out);
void hush__nn_conv_forward(hush_model *m, hush__nn_layer *l, size_t B);
void hush__nn_conv_backward_data(hush_model *m, hush__nn_layer *l, size_t B);
void hush__nn_conv_sqnorms(hush_model *m, hush__nn_layer *l, size_t B, double *sq);
void hush__nn_conv_grad(hush_model *m, hush__nn_layer *l, size_t B, const float *w);
void hush__nn_conv_example_grad(hush_model *m, hush__nn_layer *l, size_t i, float *out);

/* pool.c / act.c */
void hush__nn_maxpool_forward(hush__nn_layer *l, size_t B);
void hush__nn_maxpool_backward(hush__nn_layer *l, size_t B);
void hush__nn_act_forward(hush__nn_layer *l, size_t B);
void hush__nn_act_backward(hush__nn_layer *l, size_t B);

/* train.c: plain backward (w_i = 1/B) of the batch already in layer[0].x. */
int hush__nn_backward_ws(hush_model *m, float *loss, const uint32_t *labels, size_t B);

/* optim.c */
size_t hush__nn_optim_size(const hush_optim *o);

/* loss.c: softmax cross-entropy of B rows of K logits. Adds the per-example losses to *loss_sum
 * (in example order), writes the unscaled deltas softmax - onehot into delta (may be NULL) and
 * counts argmax hits into *correct (may be NULL). */
void hush__nn_softmax_xent(const float *logits, size_t B, size_t K, const uint32_t *labels, float *delta,
                           double *loss_sum, size_t *correct);
/* First index of the largest value (NaN never wins). */
uint32_t hush__nn_argmax(const float *v, size_t n);

#endif
