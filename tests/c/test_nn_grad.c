/* nn gradients: an independent double-precision reference network (written from the documented
 * parameter layout, not from the library's code) checks forward and loss, central finite
 * differences in double check backward for every layer type, and the per-example machinery is
 * checked against the batch gradient, against single-example backward passes (bit for bit) and
 * against hand-computed known answers. */
#include <math.h>
#include <stdint.h>

#include "check.h"
#include "hush/mathf.h"
#include "hush/nn.h"

/* ------------------------------------------------------------ double reference network */

typedef struct {
    size_t c, h, w;
} dshape;

/* Runs example x through the layers in double; returns the logits in out (caller sized),
 * and their count. */
static size_t ref_forward(const hush_layer_spec *L, size_t n, hush_shape in, const double *P, const float *x,
                          double *out) {
    static double a[1 << 16], b[1 << 16];
    dshape s = {in.c, in.h, in.w};
    size_t sz = s.c * s.h * s.w;
    for (size_t i = 0; i < sz; i++) a[i] = x[i];
    size_t po = 0; /* parameter offset */
    for (size_t li = 0; li < n; li++) {
        const hush_layer_spec *l = &L[li];
        dshape t = s;
        switch (l->kind) {
        case HUSH_LAYER_DENSE: {
            size_t out_n = l->a;
            const double *W = P + po, *bias = P + po + sz * out_n;
            for (size_t j = 0; j < out_n; j++) {
                double v = bias[j];
                for (size_t k = 0; k < sz; k++) v += a[k] * W[k * out_n + j];
                b[j] = v;
            }
            po += sz * out_n + out_n;
            t.c = out_n, t.h = 1, t.w = 1;
            break;
        }
        case HUSH_LAYER_CONV2D: {
            size_t F = l->a, k = l->b;
            long pt = 0, pl = 0;
            if (l->c == HUSH_PAD_SAME) {
                pt = pl = (long)(k - 1) / 2;
                t.h = s.h, t.w = s.w;
            } else {
                t.h = s.h - k + 1, t.w = s.w - k + 1;
            }
            t.c = F;
            const double *W = P + po, *bias = P + po + F * s.c * k * k;
            for (size_t f = 0; f < F; f++)
                for (size_t oy = 0; oy < t.h; oy++)
                    for (size_t ox = 0; ox < t.w; ox++) {
                        double v = bias[f];
                        for (size_t c = 0; c < s.c; c++)
                            for (size_t ki = 0; ki < k; ki++)
                                for (size_t kj = 0; kj < k; kj++) {
                                    long iy = (long)oy + (long)ki - pt, ix = (long)ox + (long)kj - pl;
                                    if (iy < 0 || ix < 0 || iy >= (long)s.h || ix >= (long)s.w) continue;
                                    v += W[((f * s.c + c) * k + ki) * k + kj] * a[(c * s.h + (size_t)iy) * s.w + (size_t)ix];
                                }
                        b[(f * t.h + oy) * t.w + ox] = v;
                    }
            po += F * s.c * k * k + F;
            break;
        }
        case HUSH_LAYER_MAXPOOL:
            t.h = s.h / 2, t.w = s.w / 2;
            for (size_t c = 0; c < s.c; c++)
                for (size_t oy = 0; oy < t.h; oy++)
                    for (size_t ox = 0; ox < t.w; ox++) {
                        double v = -INFINITY;
                        for (size_t dy = 0; dy < 2; dy++)
                            for (size_t dx = 0; dx < 2; dx++) {
                                double u = a[(c * s.h + 2 * oy + dy) * s.w + 2 * ox + dx];
                                if (u > v) v = u;
                            }
                        b[(c * t.h + oy) * t.w + ox] = v;
                    }
            break;
        case HUSH_LAYER_RELU:
            for (size_t i = 0; i < sz; i++) b[i] = a[i] > 0 ? a[i] : 0;
            break;
        case HUSH_LAYER_TANH:
            for (size_t i = 0; i < sz; i++) b[i] = tanh(a[i]);
            break;
        default:
            for (size_t i = 0; i < sz; i++) b[i] = 1.0 / (1.0 + exp(-a[i]));
            break;
        }
        s = t;
        sz = s.c * s.h * s.w;
        memcpy(a, b, sz * sizeof(double));
    }
    memcpy(out, a, sz * sizeof(double));
    return sz;
}

static double ref_loss(const hush_layer_spec *L, size_t n, hush_shape in, const double *P, const float *x,
                       const uint32_t *y, size_t B, size_t in_size) {
    double z[4096], tot = 0;
    for (size_t i = 0; i < B; i++) {
        size_t K = ref_forward(L, n, in, P, x + i * in_size, z);
        double m = z[0];
        for (size_t j = 1; j < K; j++)
            if (z[j] > m) m = z[j];
        double s = 0;
        for (size_t j = 0; j < K; j++) s += exp(z[j] - m);
        tot += log(s) - (z[y[i]] - m);
    }
    return tot / (double)B;
}

/* ------------------------------------------------------------ helpers */

static float randf(hush_rng *r, float lo, float hi) { return lo + (hi - lo) * (float)hush_rng_uniform(r); }

typedef struct {
    const char *spec;
    hush_shape in;
} netcase;

static const netcase cases[] = {
    {"dense:5,relu,dense:3", {4, 1, 1}},
    {"dense:4,tanh,dense:3", {3, 1, 1}},
    {"dense:4,sigmoid,dense:2", {5, 1, 1}},
    {"dense:6,relu,dense:5,tanh,dense:4", {7, 1, 1}},
    {"conv:3:3,relu,dense:3", {2, 5, 5}},
    {"conv:2:3:same,tanh,maxpool,dense:3", {2, 6, 5}},
    {"conv:2:2:same,sigmoid,conv:3:3,relu,dense:3", {1, 6, 7}},
    {"conv:2:4:same,relu,maxpool,conv:2:2:valid,dense:2", {3, 7, 6}},
    {"maxpool,dense:3", {2, 4, 5}},
    {"relu,conv:2:3,maxpool,sigmoid,dense:4", {1, 7, 7}},
    {"conv:3:1,tanh,dense:3", {2, 3, 3}},
    {"conv:2:5:same,sigmoid,dense:2", {1, 3, 2}}, /* kernel larger than the input */
};

static void test_case(const netcase *nc, uint64_t seed) {
    hush_layer_spec L[HUSH_MODEL_MAX_LAYERS];
    size_t n;
    CHECK_OK(hush_model_spec_parse(L, HUSH_MODEL_MAX_LAYERS, &n, nc->spec, NULL));
    const size_t B = 5;
    hush_model *m = NULL;
    CHECK_OK(hush_model_create(&m, L, n, nc->in, (uint32_t)B, NULL));
    if (!m) return;
    hush_rng rng;
    CHECK_OK(hush_rng_init_u64(&rng, seed));
    CHECK_OK(hush_model_init_params(m, &rng));
    size_t np = hush_model_param_count(m), in = hush_model_input_size(m), K = hush_model_output_size(m);
    float *p = hush_model_params(m);
    /* Non-zero biases so that their gradients and layout are exercised too. */
    for (size_t i = 0; i < np; i++)
        if (p[i] == 0.0f) p[i] = randf(&rng, -0.3f, 0.3f);
    float *x = malloc(B * in * sizeof(float));
    uint32_t y[5];
    for (size_t i = 0; i < B * in; i++) x[i] = randf(&rng, -1.5f, 1.5f);
    for (size_t i = 0; i < B; i++) y[i] = (uint32_t)check_below(&rng, K);

    double *P = malloc(np * sizeof(double));
    for (size_t i = 0; i < np; i++) P[i] = p[i];

    /* forward against the reference */
    float *logits = malloc(B * K * sizeof(float));
    CHECK_OK(hush_model_forward(m, logits, B * K, x, B));
    double zr[4096];
    double maxerr = 0;
    for (size_t i = 0; i < B; i++) {
        ref_forward(L, n, nc->in, P, x + i * in, zr);
        for (size_t j = 0; j < K; j++) {
            double e = fabs(logits[i * K + j] - zr[j]) / (1.0 + fabs(zr[j]));
            if (e > maxerr) maxerr = e;
        }
    }
    CHECK_MSG(maxerr < 1e-5, "%s: forward error %g", nc->spec, maxerr);

    /* batch gradient against central differences of the double reference */
    float loss;
    CHECK_OK(hush_model_backward(m, &loss, x, y, B));
    double lref = ref_loss(L, n, nc->in, P, x, y, B, in);
    CHECK_MSG(fabs(loss - lref) < 1e-5 * (1 + lref), "%s: loss %g vs %g", nc->spec, loss, lref);
    float *g = malloc(np * sizeof(float));
    memcpy(g, hush_model_grads(m), np * sizeof(float));
    double worst = 0;
    size_t worst_i = 0;
    double gmax = 0;
    for (size_t i = 0; i < np; i++) gmax = fmax(gmax, fabs(g[i]));
    for (size_t i = 0; i < np; i++) {
        const double h = 1e-6;
        double save = P[i];
        P[i] = save + h;
        double lp = ref_loss(L, n, nc->in, P, x, y, B, in);
        P[i] = save - h;
        double lm = ref_loss(L, n, nc->in, P, x, y, B, in);
        P[i] = save;
        double fd = (lp - lm) / (2 * h);
        /* float backward: error ~ a few float eps relative to the largest gradient entry */
        double err = fabs(fd - g[i]) / (1e-4 * fabs(fd) + 2e-6 * (1 + gmax));
        if (err > worst) worst = err, worst_i = i;
    }
    CHECK_MSG(worst <= 1.0, "%s: gradient %zu off (%.3g of tolerance)", nc->spec, worst_i, worst);

    /* per-example: norms, example grads, weighted sums */
    float norms[5], loss2;
    CHECK_OK(hush_model_backward_examples(m, &loss2, norms, x, y, B));
    CHECK(memcmp(&loss, &loss2, sizeof loss) == 0);
    float *gi = malloc(np * sizeof(float));
    double *sum = calloc(np, sizeof(double));
    float *ws = malloc(np * sizeof(float));
    float w[5];
    for (size_t i = 0; i < B; i++) w[i] = randf(&rng, 0.0f, 1.0f);
    double *wsum = calloc(np, sizeof(double));
    for (size_t i = 0; i < B; i++) {
        CHECK_OK(hush_model_example_grad(m, gi, np, i));
        double nn = 0;
        for (size_t k = 0; k < np; k++) {
            nn += (double)gi[k] * gi[k];
            sum[k] += gi[k] / (double)B;
            wsum[k] += (double)w[i] * gi[k];
        }
        CHECK_MSG(fabs(sqrt(nn) - norms[i]) <= 1e-5 * sqrt(nn) + 1e-7, "%s: norm %zu: %g vs %g", nc->spec, i,
                  sqrt(nn), norms[i]);
    }
    double e1 = 0, e2 = 0;
    for (size_t k = 0; k < np; k++) {
        e1 = fmax(e1, fabs(sum[k] - g[k]) / (1e-6 * (1 + gmax)));
    }
    CHECK_MSG(e1 <= 1.0, "%s: sum of example grads / B vs batch grad (%.3g of tolerance)", nc->spec, e1);
    CHECK_OK(hush_model_grad_weighted(m, w, B));
    memcpy(ws, hush_model_grads(m), np * sizeof(float));
    double wmax = 0;
    for (size_t k = 0; k < np; k++) wmax = fmax(wmax, fabs(wsum[k]));
    for (size_t k = 0; k < np; k++) e2 = fmax(e2, fabs(wsum[k] - ws[k]) / (1e-6 * (1 + wmax)));
    CHECK_MSG(e2 <= 1.0, "%s: grad_weighted vs sum w_i g_i (%.3g of tolerance)", nc->spec, e2);

    /* grad_weighted with w_i = 1/B is exactly hush_model_backward: the DP-SGD no-op guarantee */
    for (size_t i = 0; i < B; i++) w[i] = 1.0f / (float)B;
    CHECK_OK(hush_model_grad_weighted(m, w, B));
    CHECK_MSG(memcmp(hush_model_grads(m), g, np * sizeof(float)) == 0, "%s: weighted 1/B != backward", nc->spec);

    /* example i's gradient is bit-identical to a batch-of-one backward pass on example i */
    for (size_t i = 0; i < B; i++) {
        CHECK_OK(hush_model_backward_examples(m, &loss2, NULL, x, y, B));
        CHECK_OK(hush_model_example_grad(m, gi, np, i));
        float l1;
        CHECK_OK(hush_model_backward(m, &l1, x + i * in, y + i, 1));
        CHECK_MSG(memcmp(hush_model_grads(m), gi, np * sizeof(float)) == 0, "%s: example %zu", nc->spec, i);
    }
    free(x), free(P), free(logits), free(g), free(gi), free(sum), free(ws), free(wsum);
    hush_rng_clear(&rng);
    hush_model_free(m);
}

/* ------------------------------------------------------------ known answers, by hand */

static void test_known_dense(void) {
    /* x = (1, 2) -> dense:2 -> relu -> dense:2, label 1. Layout: W1[in][out], b1, W2, b2.
     *   W1 = [[1, -1], [0.5, 1]], b1 = [0, -1.5]  ->  pre = [1 + 1, -1 + 2 - 1.5] = [2, -0.5]
     *   relu -> h = [2, 0]
     *   W2 = [[0.25, 0.75], [2, -3]], b2 = [0.5, 0]  ->  z = [0.5 + 0.5, 1.5] = [1, 1.5]
     *   p = softmax(z) = [s, 1 - s] with s = 1/(1 + e^0.5) = 0.3775406687981454
     *   loss = -log(1 - s) = log(1 + e^-0.5) = 0.4740769841801067
     *   delta = p - onehot(1) = [s, -s]
     *   dW2 = h^T delta = [[2s, -2s], [0, 0]], db2 = [s, -s]
     *   dh = delta W2^T = [0.25 s - 0.75 s, 2 s + 3 s] = [-0.5 s, 5 s]; relu'(pre) = [1, 0]
     *   dpre = [-0.5 s, 0];  dW1 = x^T dpre = [[-0.5 s, 0], [-s, 0]];  db1 = [-0.5 s, 0] */
    const double s = 0.3775406687981454;
    const double want[12] = {-0.5 * s, 0, -s, 0, -0.5 * s, 0, 2 * s, -2 * s, 0, 0, s, -s};
    hush_layer_spec L[3];
    size_t n;
    CHECK_OK(hush_model_spec_parse(L, 3, &n, "dense:2,relu,dense:2", NULL));
    hush_shape in = {2, 1, 1};
    hush_model *m;
    CHECK_OK(hush_model_create(&m, L, n, in, 4, NULL));
    CHECK(hush_model_param_count(m) == 12);
    const float params[12] = {1, -1, 0.5f, 1, 0, -1.5f, 0.25f, 0.75f, 2, -3, 0.5f, 0};
    memcpy(hush_model_params(m), params, sizeof params);
    const float x[2] = {1, 2};
    const uint32_t y = 1;
    float logits[2], loss, norm;
    CHECK_OK(hush_model_forward(m, logits, 2, x, 1));
    CHECK(logits[0] == 1.0f && logits[1] == 1.5f);
    CHECK_OK(hush_model_backward(m, &loss, x, &y, 1));
    CHECK_NEAR(loss, 0.4740769841801067, 1e-7);
    const float *g = hush_model_grads(m);
    double nn = 0;
    for (int i = 0; i < 12; i++) {
        CHECK_NEAR(g[i], want[i], 1e-7);
        nn += want[i] * want[i];
    }
    CHECK_OK(hush_model_backward_examples(m, &loss, &norm, x, &y, 1));
    CHECK_NEAR(norm, sqrt(nn), 1e-6);
    hush_model_free(m);
}

static void test_known_conv(void) {
    /* x = [[1,2,3],[4,5,6],[7,8,9]], kernel [[1,2],[3,4]], bias 0.5.
     * valid (2x2 out):  37.5 47.5 / 67.5 77.5   e.g. (0,0): 1*1 + 2*2 + 3*4 + 4*5 + 0.5
     * same  (3x3 out, even kernel pads the bottom/right):
     *   row 0: 37.5 47.5 (3*1 + 6*3 + 0.5 =) 21.5
     *   row 1: 67.5 77.5 (6*1 + 9*3 + 0.5 =) 33.5
     *   row 2: (7 + 16 + 0.5 =) 23.5 (8 + 18 + 0.5 =) 26.5 (9 + 0.5 =) 9.5
     * maxpool of the same output keeps the top-left window's max, 77.5. */
    const float x[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    const float kb[5] = {1, 2, 3, 4, 0.5f};
    const float want_valid[4] = {37.5f, 47.5f, 67.5f, 77.5f};
    const float want_same[9] = {37.5f, 47.5f, 21.5f, 67.5f, 77.5f, 33.5f, 23.5f, 26.5f, 9.5f};
    hush_shape in = {1, 3, 3};
    const char *specs[3] = {"conv:1:2", "conv:1:2:same", "conv:1:2:same,maxpool"};
    const float *wants[3] = {want_valid, want_same, NULL};
    size_t outs[3] = {4, 9, 1};
    for (int c = 0; c < 3; c++) {
        hush_layer_spec L[2];
        size_t n;
        hush_model *m;
        CHECK_OK(hush_model_spec_parse(L, 2, &n, specs[c], NULL));
        CHECK_OK(hush_model_create(&m, L, n, in, 1, NULL));
        CHECK(hush_model_output_size(m) == outs[c]);
        memcpy(hush_model_params(m), kb, sizeof kb);
        float z[9];
        CHECK_OK(hush_model_forward(m, z, 9, x, 1));
        if (wants[c])
            CHECK(memcmp(z, wants[c], outs[c] * sizeof(float)) == 0);
        else
            CHECK(z[0] == 77.5f);
        hush_model_free(m);
    }
}

static void test_activation_values(void) {
    /* Activation layers use Hush's mathf, not libm: check through a model. */
    hush_layer_spec L[1];
    size_t n;
    const char *names[3] = {"relu", "tanh", "sigmoid"};
    for (int a = 0; a < 3; a++) {
        CHECK_OK(hush_model_spec_parse(L, 1, &n, names[a], NULL));
        hush_shape in = {4, 1, 1};
        hush_model *m;
        CHECK_OK(hush_model_create(&m, L, n, in, 2, NULL));
        CHECK(hush_model_param_count(m) == 0);
        const float x[4] = {-2.0f, -0.0f, 0.5f, 30.0f};
        float z[4];
        CHECK_OK(hush_model_forward(m, z, 4, x, 1));
        for (int i = 0; i < 4; i++) {
            float want = a == 0 ? (x[i] > 0 ? x[i] : 0.0f) : a == 1 ? hush_tanhf(x[i]) : hush_sigmoidf(x[i]);
            CHECK(z[i] == want);
        }
        hush_model_free(m);
    }
}

int main(void) {
    (void)check_alloc_fn;
    (void)check_free_fn;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) test_case(&cases[i], 100 + i);
    test_known_dense();
    test_known_conv();
    test_activation_values();
    CHECK_SUMMARY();
}
