/* hush_model: small neural networks trained where the data lives.
 *
 * Start here: hush_model_spec_parse("dense:32,relu,dense:2") -> hush_model_create ->
 * hush_model_init_params, a hush_optim_create, then hush_model_fit_epoch per epoch (or
 * hush_model_step per batch) and hush_model_evaluate; hush_model_save/_load for files.
 * examples/quickstart.c does exactly that in 15 lines.
 *
 * A model is a sequence of layers over an input of shape (C, H, W) (a plain feature vector is
 * (features, 1, 1)); the last layer's outputs are logits scored with softmax cross-entropy
 * against integer labels. All parameters live in one flat float block, all gradients in another,
 * and every activation/delta buffer in one workspace arena sized for `max_batch` at create time,
 * so forward, backward and step never allocate.
 *
 * Per-example gradients (for DP-SGD): backprop is linear in the output delta, so Hush first
 * propagates the unscaled per-example deltas through every layer, then forms parameter gradients
 * as  grad = sum_i w_i * g_i  from the stored activations and deltas. Plain training uses
 * w_i = 1/B; DP-SGD uses w_i = min(1, C/||g_i||)/B. Because both paths run the same arithmetic,
 * DP-SGD with clipping off and no noise reproduces the plain step bit for bit. For dense layers
 * ||g_i||^2 = ||a_i||^2 * ||delta_i||^2 (+ ||delta_i||^2 for the bias), with no per-example
 * materialisation (Goodfellow 2015); conv layers materialise their small per-example kernels.
 *
 * Parameter layout (the model file and JS rely on it): for each parameterised layer in order,
 * its weights then its bias. Dense: W[in][out] row-major (W[i*out + j], y = x W + b), then
 * b[out]; its input is the previous output flattened in C,H,W order. Conv2d: W[F][C][k][k], then
 * b[F]; "same" padding puts the odd extra zero row/column after (bottom/right), as TF does.
 *
 * Determinism: loops keep one summation order on every build (vectorised across independent
 * outputs only), exp/log/tanh come from mathf.h, and the build uses -ffp-contract=off, so the
 * native, Emscripten (SIMD or not) and WASI builds produce identical bits.
 */
#ifndef HUSH_NN_H
#define HUSH_NN_H

#include "common.h"
#include "rng.h"

#ifdef __cplusplus
extern "C" {
#endif

#define HUSH_MODEL_MAX_LAYERS 32
#define HUSH_MODEL_MAX_UNITS 65536       /* per dense layer, per conv filter count */
#define HUSH_MODEL_MAX_KERNEL 15
#define HUSH_MODEL_MAX_BATCH 65536
#define HUSH_MODEL_MAX_PARAMS (64u * 1024u * 1024u)

enum hush_layer_kind {
    HUSH_LAYER_DENSE = 1,   /* a = units */
    HUSH_LAYER_CONV2D = 2,  /* a = filters, b = kernel size, c = padding (HUSH_PAD_*), stride 1 */
    HUSH_LAYER_MAXPOOL = 3, /* 2x2, stride 2 (odd trailing row/column dropped) */
    HUSH_LAYER_RELU = 4,
    HUSH_LAYER_TANH = 5,
    HUSH_LAYER_SIGMOID = 6
};
enum hush_padding { HUSH_PAD_VALID = 0, HUSH_PAD_SAME = 1 };

typedef struct hush_layer_spec {
    uint32_t kind;    /* enum hush_layer_kind */
    uint32_t a, b, c; /* as the kind says */
} hush_layer_spec;

typedef struct hush_shape {
    uint32_t c, h, w;
} hush_shape;

/* Parse "dense:32,relu,dense:2" or "conv:16:5[:same|:valid],relu,maxpool,dense:10" into layers;
 * *written is the number of layers. On error, *err_pos (if non-NULL) is the byte offset of the
 * offending token. */
HUSH_NODISCARD int hush_model_spec_parse(hush_layer_spec *layers, size_t max_layers, size_t *written,
                                         const char *spec, size_t *err_pos);
/* Format layers back into the canonical spec string; *written excludes the NUL. */
HUSH_NODISCARD int hush_model_spec_format(char *out, size_t cap, size_t *written,
                                          const hush_layer_spec *layers, size_t n_layers);

typedef struct hush_model hush_model;

/* Creates a model with zeroed parameters; call hush_model_init_params before training. */
HUSH_NODISCARD int hush_model_create(hush_model **out, const hush_layer_spec *layers, size_t n_layers,
                                     hush_shape input, uint32_t max_batch, const hush_allocator *alloc);
void hush_model_free(hush_model *m);

/* He-uniform for layers followed by ReLU, Glorot-uniform otherwise; biases zero. */
HUSH_NODISCARD int hush_model_init_params(hush_model *m, hush_rng *rng);

size_t hush_model_param_count(const hush_model *m);
/* Freeze (frozen = 1) or thaw the head: the last layer with parameters (the classifier) keeps its
 * values while the layers below it train. Training steps (hush_model_step, hush_model_fit_epoch,
 * DP-SGD) update the first hush_model_trainable_count parameters only; the head sits at the end
 * of the parameter vector (layers in order). Federated learning under label skew trains the body
 * with the head fixed at its initialisation (FedBABU: Oh, Kim and Yun, ICLR 2022), so silos that
 * hold different classes stop pulling the classifier each their own way. HUSH_ESTATE for a model
 * with a single parameter layer (nothing would train). */
HUSH_NODISCARD int hush_model_freeze_head(hush_model *m, int frozen);
size_t hush_model_trainable_count(const hush_model *m);
float *hush_model_params(hush_model *m);
float *hush_model_grads(hush_model *m);
size_t hush_model_input_size(const hush_model *m);  /* C*H*W */
size_t hush_model_output_size(const hush_model *m); /* number of classes */
uint32_t hush_model_max_batch(const hush_model *m);
hush_shape hush_model_input_shape(const hush_model *m);
size_t hush_model_layer_count(const hush_model *m);
const hush_layer_spec *hush_model_layers(const hush_model *m);

/* logits is batch x output_size. x is batch x input_size, each example in C,H,W order. */
HUSH_NODISCARD int hush_model_forward(hush_model *m, float *logits, size_t logits_len, const float *x,
                                      size_t batch);
/* Mean softmax cross-entropy of the batch into *loss and its gradient into the grads block. */
HUSH_NODISCARD int hush_model_backward(hush_model *m, float *loss, const float *x, const uint32_t *labels,
                                       size_t batch);
/* Per-example pass: forward, per-example deltas for every layer, and each example's gradient
 * L2 norm (of its own, unscaled loss gradient) into norms[batch] (may be NULL). Leaves the deltas
 * in the workspace for hush_model_grad_weighted / hush_model_example_grad. */
HUSH_NODISCARD int hush_model_backward_examples(hush_model *m, float *loss, float *norms, const float *x,
                                                const uint32_t *labels, size_t batch);
/* grads = sum_i weights[i] * g_i over the batch of the last backward_examples. */
HUSH_NODISCARD int hush_model_grad_weighted(hush_model *m, const float *weights, size_t batch);
/* Example i's flat gradient (param_count floats) from the last backward_examples. */
HUSH_NODISCARD int hush_model_example_grad(hush_model *m, float *out, size_t out_len, size_t i);

/* Argmax labels. */
HUSH_NODISCARD int hush_model_predict(hush_model *m, uint32_t *labels_out, const float *x, size_t n);
/* Mean loss and accuracy over n examples, in chunks of max_batch. */
HUSH_NODISCARD int hush_model_evaluate(hush_model *m, float *loss, float *accuracy, const float *x,
                                       const uint32_t *labels, size_t n);

/* Optional input standardisation carried by the model and its file: every pass first maps each
 * input feature x[j] -> (x[j] - shift[j]) * scale[j] (NaN, a missing value, -> 0), so a saved
 * model takes raw features. n must equal the input size; shift == NULL removes it. */
HUSH_NODISCARD int hush_model_set_input_norm(hush_model *m, const float *shift, const float *scale, size_t n);
/* Copies it out; HUSH_ESTATE if the model has none. */
HUSH_NODISCARD int hush_model_input_norm(const hush_model *m, float *shift, float *scale, size_t n);
/* Where the input norm came from, recorded in the model file so a reader can tell whether it is a
 * statistic of the training data. hush_model_set_input_norm resets it to CUSTOM. */
enum hush_input_scaling {
    HUSH_INPUT_SCALING_CUSTOM = 0, /* set by the caller; nothing recorded */
    HUSH_INPUT_SCALING_STATS = 1,  /* the training split's exact mean and std: not private */
    HUSH_INPUT_SCALING_BOUNDS = 2, /* public per-feature bounds given by the user */
    HUSH_INPUT_SCALING_DP = 3      /* bounds estimated with a differentially private mechanism */
};
/* HUSH_ESTATE if the model has no input norm, HUSH_EARG for an unknown value. */
HUSH_NODISCARD int hush_model_set_input_scaling(hush_model *m, uint32_t scaling);
uint32_t hush_model_input_scaling(const hush_model *m); /* CUSTOM without a norm */

/* Model file (format in core/src/io/modelfile.h): exact bytes, identical on every build. */
size_t hush_model_save_size(const hush_model *m);
HUSH_NODISCARD int hush_model_save(const hush_model *m, uint8_t *out, size_t cap, size_t *written);
HUSH_NODISCARD int hush_model_load(hush_model **out, const uint8_t *buf, size_t len, uint32_t max_batch,
                                   const hush_allocator *alloc);

/* ---- optimisers over a flat parameter block ---- */
enum hush_optim_kind { HUSH_OPTIM_SGD = 0, HUSH_OPTIM_MOMENTUM = 1, HUSH_OPTIM_ADAM = 2 };

#define HUSH_OPTIM_CONFIG_VERSION 1u

typedef struct hush_optim_config {
    uint32_t version;          /* HUSH_OPTIM_CONFIG_VERSION, set by hush_optim_config_init */
    uint32_t kind;             /* enum hush_optim_kind */
    float lr;
    float momentum;            /* MOMENTUM: default 0.9 */
    float beta1, beta2, eps;   /* ADAM: defaults 0.9, 0.999, 1e-7 (as Keras/TF.js) */
    float weight_decay;        /* decoupled (AdamW-style): p *= 1 - lr*wd before each update;
                                  for SGD this is L2 regularisation. Default 0 (off). */
} hush_optim_config;

/* Fills every default for `kind` with learning rate lr; HUSH_EARG for an unknown kind or a negative
 * or non-finite lr. hush_optim_create refuses a config whose version is not
 * HUSH_OPTIM_CONFIG_VERSION (a zeroed struct). */
HUSH_NODISCARD int hush_optim_config_init(hush_optim_config *cfg, uint32_t kind, float lr);

typedef struct hush_optim hush_optim;
HUSH_NODISCARD int hush_optim_create(hush_optim **out, const hush_optim_config *cfg, size_t n_params,
                                     const hush_allocator *alloc);
void hush_optim_free(hush_optim *o);
/* One step on the first n parameters (n <= the optimiser's size, HUSH_ESHAPE otherwise); the rest
 * and their optimiser state are left alone (a frozen head: hush_model_trainable_count). */
HUSH_NODISCARD int hush_optim_step(hush_optim *o, float *params, const float *grads, size_t n);

/* backward + optimiser step. */
HUSH_NODISCARD int hush_model_step(hush_model *m, hush_optim *o, float *loss, const float *x,
                                   const uint32_t *labels, size_t batch);
/* One epoch of minibatch training over n examples in an order shuffled by rng. perm is caller
 * workspace of n uint32 (so the epoch allocates nothing); the last partial batch is trained too.
 * *mean_loss is the example-weighted mean of the batch losses. */
HUSH_NODISCARD int hush_model_fit_epoch(hush_model *m, hush_rng *rng, hush_optim *o, uint32_t *perm,
                                        float *mean_loss, const float *x, const uint32_t *labels, size_t n,
                                        size_t batch);

#ifdef __cplusplus
}
#endif
#endif
