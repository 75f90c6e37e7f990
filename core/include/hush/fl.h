/* What secure aggregation sums: clipped, quantised model updates, weighted FedAvg and
 * distributed differential privacy (core/src/fl/: clip.c, quant.c, fedavg.c, ddp.c).
 *
 * Start here: hush_fl_quant_init picks the scale for (k bits, clients, bound); each client clips
 * (hush_fl_clip_l2) and quantises (hush_fl_quantize, or hush_fl_fedavg_encode for a weighted
 * average, or hush_fl_ddp_encode to add its share of DP noise) into the input of its
 * hush_secagg_client; the server dequantises the secure sum (hush_fl_dequantize,
 * hush_fl_fedavg_decode) and accounts the noise (hush_fl_ddp_epsilon).
 *
 * Clipping is explicit: hush_fl_clip_l2 scales a vector into an L2 ball, hush_fl_clip_range clamps
 * coordinates; quantisation then refuses (HUSH_ERANGE) any value outside the declared bound
 * instead of silently saturating.
 *
 * Quantisation maps x in [-bound, bound] to round_stochastic(x * scale) in Z, stored mod 2^k as
 * two's complement. Stochastic rounding (floor plus Bernoulli(fraction) from hush_rng) is
 * unbiased and moves a value by less than one unit. The scale is chosen so that the sum of
 * `clients` such values plus `headroom` units of noise stays inside (-2^(k-1), 2^(k-1)), so the
 * modular sum never wraps and dequantisation (signed reading of the sum, divided by scale) is
 * exact up to the rounding: |error of a sum of c clients| < c / scale per coordinate.
 *
 * Weighted FedAvg: each client sends (w * update, w) as one vector of dim + 1 values; the server's
 * sum gives sum(w u) / sum(w).
 *
 * Distributed DP (Kairouz, Liu and Steinke, ICML 2021, "The Distributed Discrete Gaussian
 * Mechanism"): each client clips its update to L2 norm C, quantises it, and adds discrete
 * Gaussian noise N_Z(0, sigma^2) per coordinate in the integer domain (exact sampler of dp.h)
 * before masking, so nobody, the server included, sees a noiseless update. Stochastic rounding
 * can grow the L2 norm by at most sqrt(dim) units, so the integer-domain sensitivity is
 * Delta = C * scale + sqrt(dim) (worst case; Kairouz et al. tighten this with conditional
 * rounding), and sigma = z * Delta for noise multiplier z. The sum over s surviving clients
 * carries noise of variance s * sigma^2; hush_fl_ddp_epsilon accounts the round as a Gaussian
 * mechanism with noise multiplier sigma sqrt(s) / Delta (RDP, improved conversion). This treats
 * the sum of discrete Gaussians as a discrete Gaussian of the summed variance, which Kairouz et
 * al. (Thm 1) show is off by a negligible tau for sigma >= 1; honest clients only count if they
 * really add their noise, so pass the number of honest survivors you are willing to assume.
 */
#ifndef HUSH_FL_H
#define HUSH_FL_H

#include "common.h"
#include "rng.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Scales x so its L2 norm is at most max_norm; *norm (may be NULL) gets the norm before. */
HUSH_NODISCARD int hush_fl_clip_l2(float *x, size_t n, double *norm, double max_norm);
/* Clamps every coordinate into [lo, hi]; *clipped (may be NULL) gets how many changed. */
HUSH_NODISCARD int hush_fl_clip_range(float *x, size_t n, size_t *clipped, double lo, double hi);

typedef struct hush_fl_quant {
    uint32_t bits;    /* k, 2..32 */
    uint32_t clients; /* most summands */
    double bound;     /* |x| <= bound for every quantised value */
    double headroom;  /* integer units reserved per coordinate (noise) */
    double scale;     /* integer units per 1.0 (set by init) */
} hush_fl_quant;

/* scale = (2^(k-1) - 1 - clients - headroom) / (clients * bound): HUSH_ERANGE if non-positive. */
HUSH_NODISCARD int hush_fl_quant_init(hush_fl_quant *q, uint32_t bits, uint32_t clients, double bound,
                                      double headroom);
/* out[i] = stochastic_round(x[i] * scale) mod 2^bits. HUSH_ERANGE if |x[i]| > bound,
 * HUSH_ENUMERIC if not finite (out is then unspecified). */
HUSH_NODISCARD int hush_fl_quantize(const hush_fl_quant *q, hush_rng *rng, uint32_t *out, const float *x, size_t n);
/* out[i] = signed(sum[i]) / scale. */
HUSH_NODISCARD int hush_fl_dequantize(const hush_fl_quant *q, float *out, const uint32_t *sum, size_t n);

/* Weighted FedAvg: out (n + 1 values) = quantised (w * update, w); w * |update| and w must be
 * within the bound. */
HUSH_NODISCARD int hush_fl_fedavg_encode(const hush_fl_quant *q, hush_rng *rng, uint32_t *out, const float *update,
                                         size_t n, double weight);
/* avg = dequantised sum(w u) / sum(w); *total_weight (may be NULL) = dequantised sum(w).
 * HUSH_ERANGE if the total weight is not positive. */
HUSH_NODISCARD int hush_fl_fedavg_decode(const hush_fl_quant *q, float *avg, double *total_weight, const uint32_t *sum,
                                         size_t n);

typedef struct hush_fl_ddp {
    double clip;             /* L2 norm C */
    double noise_multiplier; /* z */
    double sensitivity;      /* Delta in integer units */
    double sigma;            /* per-client noise actually sampled: sqrt(var_num / var_den) >= z Delta */
    uint64_t var_num, var_den;
} hush_fl_ddp;

/* Chooses the quantisation (bits, clients, dim) with headroom for 12 standard deviations of the
 * summed noise and the noise sigma = z * Delta. */
HUSH_NODISCARD int hush_fl_ddp_init(hush_fl_ddp *d, hush_fl_quant *q, uint32_t bits, uint32_t clients, size_t dim,
                                    double clip, double noise_multiplier);
/* Clips x (in place) to C, quantises it into out and adds the client's discrete Gaussian noise
 * mod 2^bits. */
HUSH_NODISCARD int hush_fl_ddp_encode(const hush_fl_ddp *d, hush_rng *rng, const hush_fl_quant *q, uint32_t *out,
                                      float *x, size_t n);
/* Epsilon of one round with `survivors` noise-adding clients, for delta. */
HUSH_NODISCARD int hush_fl_ddp_epsilon(const hush_fl_ddp *d, double *epsilon, uint32_t survivors, double delta);

#ifdef __cplusplus
}
#endif
#endif
