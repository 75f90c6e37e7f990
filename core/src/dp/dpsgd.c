/* DP-SGD: Poisson sampling, per-example (or per-microbatch) clipping, Gaussian noise, accounting.
 *
 * Who learns what: whoever sees the parameters after any number of steps (and the reported
 * epsilon) learns at most what the accountant states about any single training example, under the
 * add/remove-one neighbouring relation and Poisson sampling, as long as the handle's randomness is
 * secret (created with rng == NULL, from the OS): a known seed repeats the batches and the noise.
 * SHUFFLE mode is outside that statement (its epsilon is the customary number, labelled as such in
 * dp.h).
 *
 * Gradients: the model's backward_examples gives every example's gradient norm without forming
 * the gradient (dense layers use ||a_i|| ||delta_i||), and grad_weighted forms
 * sum_i w_i g_i with w_i = min(1, C / ||g_i||) / E[B] in the same pass as plain training, so with
 * C = +inf, sigma = 0 and a fixed batch the update equals hush_model_step bit for bit. A Poisson
 * batch larger than the model's max_batch is processed in chunks of max_batch gathered into a
 * buffer allocated at create; chunk sums are added in chunk order.
 *
 * Noise: N(0, (sigma C)^2) / E[B] per coordinate, so every build adds the same bits. Step t's noise
 * has its own stream under the handle's "noise" key (nonce t), so hush_dpsgd_prefetch can draw it
 * on another thread while the step computes its gradients: the noise is the step's largest cost at
 * small batches (a ChaCha20 word per parameter) and it does not depend on the data.
 *
 * FAST noise is hush_rng_normals_f32 (Ziggurat on one 32-bit word, Hush's exactly-rounded exp/log,
 * see rng.c), the float Gaussian TF Privacy, Opacus and JAX privacy add. Its values are a 23-bit
 * uniform times a layer's edge, so their absolute resolution is that of the uniform, not of the
 * float: near zero, where floats are far denser, it reaches only a sparse, uneven subset of them
 * (about 18% of the float32 values in [2^-10, 2^-9), 1% in [2^-14, 2^-13)), and its
 * probabilities deviate from the ideal density in the far tails. The proven (eps, delta) is for
 * the ideal real-valued mechanism. Attacks of Mironov's 2012 kind read the raw noisy value of a
 * low-dimensional release; here the noise is summed into float gradients, rounded and passed
 * through the optimiser over thousands of coordinates and steps, and Jin et al. 2022 ("Are we
 * there yet?") found the practical gap for DP-SGD small but not zero. It halves the keystream of
 * double normals, which is most of the noise cost.
 * SECURE noise is for when a noisy gradient is released as such (a federated client): Opacus'
 * secure mode (Holohan and Braghin 2021, "Secure random sampling in differential privacy"), the
 * sum of four double normals (53-bit uniforms, hush_rng_normals) halved, which is N(0, 1) in
 * distribution and fills the gaps of a single draw; it is added to the gradient in double and
 * rounded once to float. Values that are released directly (counts, sums, PATE votes) use the
 * exact discrete samplers instead.
 */
#include <math.h>
#include <stdatomic.h>
#include <string.h>

#include <sodium.h>

#include "base/alloc.h"
#include "hush/dp.h"
#include "hush/mathf.h"

struct hush_dpsgd {
    hush_model *m;
    hush_dpsgd_config cfg;
    int has_alloc;
    hush_allocator alloc;
    size_t bytes;
    hush_rng sample;
    hush_rng noise; /* its key only: step t reads the stream (key, nonce t), see draw_noise */
    hush_accountant *acc;
    double q;             /* sampling rate for the accountant (SHUFFLE: set by fit_epoch if 0) */
    uint64_t q_thr;       /* POISSON: include an example when a uniform 32-bit number is below this */
    double pend_q;        /* steps not yet composed into acc: pend_count at rate pend_q */
    uint64_t pend_count, steps;
    int unbounded;        /* a step ran with clipping off or no noise: epsilon is infinite */
    size_t in, np, mb;
    size_t xb_used;       /* rows of xb/lb holding records since the last wipe */
    float *xb, *norms, *w, *accg;
    /* Standard normals for one step: float (FAST) or double (SECURE), zbytes each. nz: drawn by the
     * step itself, wiped after it; pf: drawn ahead by hush_dpsgd_prefetch, owned by whoever the
     * slot says. */
    void *nz, *pf;
    size_t zbytes;
    uint32_t *lb;
    uint64_t noisy; /* steps that have taken their noise: the next one's stream index */
    /* (t << 2) | SLOT_*: who owns pf, and for which step. EMPTY(t): nobody, t is the next step to
     * take noise; the prefetcher moves it to BUSY(t) while drawing, then READY(t); the step adds
     * pf and moves READY(t) to EMPTY(t + 1), or EMPTY(t) straight to EMPTY(t + 1) when it draws its
     * own. One word for both facts, so a prefetch can never draw a step that is already past. */
    _Atomic uint64_t slot;
};

enum { SLOT_EMPTY = 0, SLOT_BUSY = 1, SLOT_READY = 2 };

/* SECURE: (a + b + c + d) / 2 for four standard normals, in one fixed order. */
static void secure_normals(hush_rng *r, double *out, size_t n) {
    double chunk[256];
    while (n) {
        size_t m = n < 64 ? n : 64;
        hush_rng_normals(r, chunk, 4 * m);
        for (size_t k = 0; k < m; k++)
            out[k] = ((chunk[4 * k] + chunk[4 * k + 1]) + (chunk[4 * k + 2] + chunk[4 * k + 3])) * 0.5;
        out += m;
        n -= m;
    }
    sodium_memzero(chunk, sizeof chunk);
}

/* The noise of step t: its own ChaCha20 stream (the "noise" key, nonce le64(t)), so it is a pure
 * function of the key and t that any thread can draw. */
static void draw_noise(const hush_dpsgd *dp, uint64_t t, void *out) {
    uint8_t nonce[HUSH_RNG_NONCE_BYTES] = {0};
    for (int i = 0; i < 8; i++) nonce[i] = (uint8_t)(t >> 8 * i);
    hush_rng r;
    /* cannot fail: the key and nonce are given and no step needs 2^32 blocks */
    if (hush_rng_init_stream(&r, dp->noise.key, nonce, 0) == HUSH_OK) {
        if (dp->cfg.noise == HUSH_DPSGD_NOISE_SECURE) secure_normals(&r, out, dp->np);
        else hush_rng_normals_f32(&r, out, dp->np);
    }
    hush_rng_clear(&r);
}

/* g += sd * N(0, 1) per coordinate: in float as the gradients are (FAST), or in double rounded
 * once (SECURE). The noise is what hides the data: wiped once per step. */
static void add_noise(hush_dpsgd *dp, float *g, double sd) {
    uint64_t t = dp->noisy++, st = atomic_load(&dp->slot);
    void *z = NULL;
    while (!z) {
        if ((st & 3) == SLOT_READY) {
            z = dp->pf; /* READY until we empty it, so no prefetch touches pf meanwhile */
        } else if ((st & 3) == SLOT_BUSY) {
            st = atomic_load(&dp->slot); /* ours, being drawn: waiting beats drawing it again */
        } else if (atomic_compare_exchange_weak(&dp->slot, &st, (t + 1) << 2 | SLOT_EMPTY)) {
            draw_noise(dp, t, dp->nz);
            z = dp->nz;
        }
    }
    if (dp->cfg.noise == HUSH_DPSGD_NOISE_SECURE) {
        const double *zd = z;
        for (size_t j = 0; j < dp->np; j++) g[j] = (float)((double)g[j] + sd * zd[j]);
    } else {
        const float *zf = z;
        float s = (float)sd;
        for (size_t j = 0; j < dp->np; j++) g[j] += s * zf[j];
    }
    sodium_memzero(z, dp->zbytes);
    if (z == dp->pf) atomic_store(&dp->slot, (t + 1) << 2 | SLOT_EMPTY);
}

int hush_dpsgd_prefetch(hush_dpsgd *dp, int *drew) {
    if (drew) *drew = 0;
    if (!dp) return HUSH_EARG;
    if (!(dp->cfg.noise_multiplier > 0.0)) return HUSH_OK;
    uint64_t st = atomic_load(&dp->slot), t = st >> 2;
    if ((st & 3) != SLOT_EMPTY || !atomic_compare_exchange_strong(&dp->slot, &st, t << 2 | SLOT_BUSY)) return HUSH_OK;
    draw_noise(dp, t, dp->pf);
    atomic_store(&dp->slot, t << 2 | SLOT_READY);
    if (drew) *drew = 1;
    return HUSH_OK;
}

/* The config's own rules, shared by config_init and create. */
static int config_ok(const hush_dpsgd_config *c) {
    if (c->version != HUSH_DPSGD_CONFIG_VERSION) return 0;
    if (!(c->l2_norm_clip > 0.0) || !(c->noise_multiplier >= 0.0) || !isfinite(c->noise_multiplier)) return 0;
    if (c->sampling == HUSH_DPSGD_POISSON) return c->sampling_rate > 0.0 && c->sampling_rate <= 1.0;
    if (c->sampling == HUSH_DPSGD_SHUFFLE) return c->sampling_rate >= 0.0 && c->sampling_rate <= 1.0;
    return 0;
}

int hush_dpsgd_config_init(hush_dpsgd_config *cfg, uint32_t sampling, double sampling_rate, double l2_norm_clip,
                           double noise_multiplier) {
    if (!cfg) return HUSH_EARG;
    memset(cfg, 0, sizeof *cfg);
    cfg->version = HUSH_DPSGD_CONFIG_VERSION;
    cfg->sampling = sampling;
    cfg->sampling_rate = sampling_rate;
    cfg->l2_norm_clip = l2_norm_clip;
    cfg->noise_multiplier = noise_multiplier;
    cfg->noise = HUSH_DPSGD_NOISE_FAST;
    cfg->delta = 1e-5;
    if (config_ok(cfg)) return HUSH_OK;
    memset(cfg, 0, sizeof *cfg); /* a refused config is never usable */
    return HUSH_EARG;
}

uint64_t hush_dpsgd_steps_per_epoch(const hush_dpsgd_config *cfg, size_t n) {
    if (!cfg || !config_ok(cfg) || n == 0) return 0;
    if (cfg->sampling == HUSH_DPSGD_POISSON) {
        uint64_t s = (uint64_t)floor(1.0 / cfg->sampling_rate + 0.5);
        return s ? s : 1;
    }
    return cfg->batch_size ? (uint64_t)(n / cfg->batch_size) : 0;
}

int hush_dpsgd_create(hush_dpsgd **out, const hush_rng *rng, hush_model *model, const hush_dpsgd_config *cfg,
                      const hush_allocator *alloc) {
    if (!hush__alloc_ok(alloc)) return HUSH_EARG;
    if (!out) return HUSH_EARG;
    *out = NULL;
    if (!model || !cfg || !config_ok(cfg)) return HUSH_EARG;
    hush_dpsgd_config c = *cfg;
    if (isinf(c.l2_norm_clip) && c.noise_multiplier > 0.0) return HUSH_EARG; /* infinite noise */
    if (c.noise != HUSH_DPSGD_NOISE_FAST && c.noise != HUSH_DPSGD_NOISE_SECURE) return HUSH_EARG;
    if (c.sampling == HUSH_DPSGD_POISSON && c.num_microbatches > 1) return HUSH_EUNSUPPORTED;
    if (c.batch_size > HUSH_MODEL_MAX_BATCH || c.num_microbatches > HUSH_MODEL_MAX_BATCH) return HUSH_ERANGE;
    if (c.delta == 0.0) c.delta = 1e-5;
    if (!(c.delta > 0.0 && c.delta < 1.0)) return HUSH_EARG;

    size_t in = hush_model_input_size(model), np = hush_model_param_count(model), mb = hush_model_max_batch(model);
    /* The noise buffers come first (16-aligned, sizes multiples of 8), so doubles stay aligned. */
    size_t zbytes = np * (c.noise == HUSH_DPSGD_NOISE_SECURE ? sizeof(double) : sizeof(float));
    zbytes = (zbytes + 7) & ~(size_t)7;
    size_t bytes = (sizeof(hush_dpsgd) + 15) & ~(size_t)15;
    size_t off_z = bytes;
    bytes += zbytes;
    size_t off_p = bytes;
    bytes += zbytes;
    size_t off_x = bytes;
    bytes += mb * in * sizeof(float);
    size_t off_n = bytes;
    bytes += mb * sizeof(float);
    size_t off_w = bytes;
    bytes += mb * sizeof(float);
    size_t off_a = bytes;
    bytes += np * sizeof(float);
    size_t off_l = bytes;
    bytes += mb * sizeof(uint32_t);
    unsigned char *blk = hush__calloc(alloc, 1, bytes);
    if (!blk) return HUSH_ENOMEM;
    hush_dpsgd *dp = (hush_dpsgd *)blk;
    dp->m = model;
    dp->cfg = c;
    dp->has_alloc = alloc != NULL;
    if (alloc) dp->alloc = *alloc;
    dp->bytes = bytes;
    dp->q = c.sampling_rate;
    if (c.sampling == HUSH_DPSGD_POISSON) {
        /* Bernoulli(q) as "32 random bits < ceil(q 2^32)": exact, at most four keystream bytes per
         * example (see step_poisson), and q is rounded up to the next multiple of 2^-32, so the rate
         * actually used (which is what the accountant and E[B] use) is never below the one asked. */
        dp->q_thr = (uint64_t)ceil(c.sampling_rate * 4294967296.0);
        dp->q = (double)dp->q_thr / 4294967296.0;
    }
    dp->in = in;
    dp->np = np;
    dp->mb = mb;
    dp->zbytes = zbytes;
    dp->nz = blk + off_z;
    dp->pf = blk + off_p;
    dp->xb = (float *)(blk + off_x);
    dp->norms = (float *)(blk + off_n);
    dp->w = (float *)(blk + off_w);
    dp->accg = (float *)(blk + off_a);
    atomic_init(&dp->slot, SLOT_EMPTY);
    dp->lb = (uint32_t *)(blk + off_l);
    hush_rng base;
    int rc = rng ? (base = *rng, HUSH_OK) : hush_rng_init_random(&base);
    if (rc == HUSH_OK) rc = hush_rng_derive(&dp->sample, &base, "sample");
    if (rc == HUSH_OK) rc = hush_rng_derive(&dp->noise, &base, "noise");
    hush_rng_clear(&base);
    hush_accountant_config acfg;
    if (rc == HUSH_OK) rc = hush_accountant_config_init(&acfg, HUSH_ACCOUNTANT_RDP);
    if (rc == HUSH_OK) rc = hush_accountant_create(&dp->acc, &acfg, alloc);
    if (rc != HUSH_OK) {
        hush_dpsgd_free(dp);
        return rc;
    }
    *out = dp;
    return HUSH_OK;
}

void hush_dpsgd_free(hush_dpsgd *dp) {
    if (!dp) return;
    hush_accountant_free(dp->acc);
    hush_allocator a = dp->alloc;
    int has = dp->has_alloc;
    size_t bytes = dp->bytes;
    /* keys, the noise nobody took, and whatever records or sums a failed step left behind */
    sodium_memzero(dp, bytes);
    hush__free(has ? &a : NULL, dp, bytes);
}

/* The raw records gathered for a step, their norms and weights: wiped as soon as the step is done. */
static void wipe_batch(hush_dpsgd *dp) {
    if (!dp->xb_used) return;
    sodium_memzero(dp->xb, dp->xb_used * dp->in * sizeof(float));
    sodium_memzero(dp->lb, dp->xb_used * sizeof(uint32_t));
    dp->xb_used = 0;
}

static void wipe_weights(hush_dpsgd *dp, size_t B) {
    sodium_memzero(dp->norms, B * sizeof(float));
    sodium_memzero(dp->w, B * sizeof(float));
}

static int flush_accounting(hush_dpsgd *dp) {
    if (dp->pend_count == 0) return HUSH_OK;
    hush_dp_event ev = {HUSH_DP_EVENT_SAMPLED_GAUSSIAN, dp->cfg.noise_multiplier, dp->pend_q, NULL, NULL, 0};
    int rc = hush_accountant_compose(dp->acc, &ev, dp->pend_count);
    if (rc == HUSH_OK) dp->pend_count = 0;
    return rc;
}

static int account_step(hush_dpsgd *dp, double q) {
    if (dp->pend_count && dp->pend_q != q) {
        int rc = flush_accounting(dp);
        if (rc != HUSH_OK) return rc;
    }
    dp->pend_q = q;
    dp->pend_count++;
    dp->steps++;
    if (isinf(dp->cfg.l2_norm_clip) || dp->cfg.noise_multiplier == 0.0) dp->unbounded = 1;
    return HUSH_OK;
}

/* Per-example pass over B examples at x: gradient sum with clipped weights, into grads (last chunk
 * of a step) or added into accg (chunks before it; *have says whether accg holds anything). */
static int clip_chunk(hush_dpsgd *dp, double *loss_sum, const float *x, const uint32_t *labels, size_t B,
                      float w0, double denom, int *have, int only_chunk) {
    float loss;
    int rc = hush_model_backward_examples(dp->m, &loss, dp->norms, x, labels, B);
    if (rc != HUSH_OK) return rc;
    *loss_sum += (double)loss * (double)B;
    double C = dp->cfg.l2_norm_clip;
    for (size_t i = 0; i < B; i++) {
        double nrm = dp->norms[i];
        /* nrm > C is false for NaN: such an example keeps weight w0 and the NaN reaches the
         * optimiser check rather than being silently dropped. */
        dp->w[i] = nrm > C ? (float)(C / nrm / denom) : w0;
    }
    rc = hush_model_grad_weighted(dp->m, dp->w, B);
    if (rc != HUSH_OK) return rc;
    float *g = hush_model_grads(dp->m);
    if (only_chunk) return HUSH_OK; /* the caller uses grads directly */
    if (*have)
        for (size_t j = 0; j < dp->np; j++) dp->accg[j] += g[j];
    else
        memcpy(dp->accg, g, dp->np * sizeof(float));
    *have = 1;
    return HUSH_OK;
}

/* Where a step's clipped sum is when its last chunk is done. */
enum { SUM_NONE, SUM_ACCG, SUM_GRADS };

/* grads = the clipped sum (or 0), plus noise of std sigma C / denom; then the optimiser step. */
static int finish_step(hush_dpsgd *dp, hush_optim *o, int sum, double denom) {
    float *g = hush_model_grads(dp->m);
    if (sum == SUM_ACCG) {
        memcpy(g, dp->accg, dp->np * sizeof(float));
        sodium_memzero(dp->accg, dp->np * sizeof(float)); /* the exact clipped sum, before noise */
    } else if (sum == SUM_NONE) {
        memset(g, 0, dp->np * sizeof(float));
    }
    if (dp->cfg.noise_multiplier > 0.0) {
        double sd = dp->cfg.noise_multiplier * dp->cfg.l2_norm_clip / denom;
        add_noise(dp, g, sd);
    }
    /* a frozen head (hush_model_freeze_head) gets noise like every coordinate, but no step */
    return hush_optim_step(o, hush_model_params(dp->m), g, hush_model_trainable_count(dp->m));
}

/* The index (0..7) of the first of the 8 little-endian bytes of w that is <= t, or 8 if none;
 * t < 128. The borrow trick (Mycroft) flags bytes below t + 1; borrows only ever flag bytes above
 * a truly flagged one, so the lowest flag is exact. */
static unsigned first_byte_le(uint64_t w, unsigned t) {
    const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
    uint64_t m = (w - ones * (t + 1)) & ~w & highs;
    if (!m) return 8;
    unsigned k = 0;
    while (!(m & 0x80)) m >>= 8, k++;
    return k;
}

static int step_poisson(hush_dpsgd *dp, hush_optim *o, float *loss, size_t *batch, const float *x,
                        const uint32_t *labels, size_t n) {
    double q = dp->q, denom = q * (double)n;
    float w0 = (float)(1.0 / denom);
    double loss_sum = 0;
    size_t pending = 0, total = 0;
    int have = 0, rc = HUSH_OK;
    uint8_t rb[1024];
    size_t rpos = sizeof rb;
    unsigned top = (unsigned)(dp->q_thr >> 24); /* q_thr's leading byte (256: q = 1) */
    for (size_t i = 0; i < n && rc == HUSH_OK; i++) {
        /* u < q_thr for a uniform 32-bit u, deciding on u's bytes most significant first: the
         * first byte that differs from q_thr's settles it, so a small q mostly costs one
         * keystream byte per example instead of four, with exactly the same probability.
         * While leading bytes exceed q_thr's, each is one excluded example: skip them 8 at a time. */
        while (top < 128 && rpos + 8 <= sizeof rb && n - i > 8) {
            const uint8_t *b = rb + rpos;
            uint64_t w = (uint64_t)b[0] | (uint64_t)b[1] << 8 | (uint64_t)b[2] << 16 | (uint64_t)b[3] << 24 |
                         (uint64_t)b[4] << 32 | (uint64_t)b[5] << 40 | (uint64_t)b[6] << 48 | (uint64_t)b[7] << 56;
            unsigned k = first_byte_le(w, top);
            rpos += k;
            i += k;
            if (k < 8) break;
        }
        int in = dp->q_thr >> 32 != 0; /* q = 1 */
        for (int shift = 24; !in && shift >= 0; shift -= 8) {
            if (rpos == sizeof rb) {
                if ((rc = hush_rng_bytes(&dp->sample, rb, sizeof rb)) != HUSH_OK) break;
                rpos = 0;
            }
            unsigned ub = rb[rpos++], tb = (unsigned)(dp->q_thr >> shift) & 0xff;
            if (ub != tb) {
                in = ub < tb;
                break;
            }
        }
        if (!in) continue;
        memcpy(dp->xb + pending * dp->in, x + i * dp->in, dp->in * sizeof(float));
        dp->lb[pending++] = labels[i];
        if (pending > dp->xb_used) dp->xb_used = pending;
        if (pending == dp->mb) {
            if ((rc = clip_chunk(dp, &loss_sum, dp->xb, dp->lb, pending, w0, denom, &have, 0)) != HUSH_OK) break;
            total += pending;
            pending = 0;
        }
    }
    /* which examples were sampled is part of what the analysis keeps secret */
    sodium_memzero(rb, sizeof rb);
    int sum = have ? SUM_ACCG : SUM_NONE;
    if (rc == HUSH_OK && pending) {
        /* a batch that fits one chunk (the usual case) leaves its sum in grads */
        rc = clip_chunk(dp, &loss_sum, dp->xb, dp->lb, pending, w0, denom, &have, !have);
        sum = sum == SUM_NONE ? SUM_GRADS : SUM_ACCG;
        total += pending;
    }
    wipe_batch(dp);
    wipe_weights(dp, dp->mb);
    if (rc == HUSH_OK) rc = finish_step(dp, o, sum, denom);
    if (rc != HUSH_OK) {
        sodium_memzero(dp->accg, dp->np * sizeof(float));
        return rc;
    }
    if (loss) *loss = total ? (float)(loss_sum / (double)total) : 0.0f;
    if (batch) *batch = total;
    return account_step(dp, q);
}

static int step_microbatches(hush_dpsgd *dp, hush_optim *o, double *loss_sum, const float *x,
                             const uint32_t *labels, size_t n) {
    size_t M = dp->cfg.num_microbatches, mbs = n / M;
    if (n % M) return HUSH_ESHAPE;
    if (mbs > dp->mb) return HUSH_ERANGE;
    float w0 = 1.0f / (float)mbs;
    for (size_t i = 0; i < mbs; i++) dp->w[i] = w0;
    float *g = hush_model_grads(dp->m);
    double C = dp->cfg.l2_norm_clip;
    for (size_t k = 0; k < M; k++) {
        float loss;
        int rc = hush_model_backward_examples(dp->m, &loss, NULL, x + k * mbs * dp->in, labels + k * mbs, mbs);
        if (rc == HUSH_OK) rc = hush_model_grad_weighted(dp->m, dp->w, mbs);
        if (rc != HUSH_OK) return rc;
        *loss_sum += (double)loss * (double)mbs;
        double sq = 0;
        for (size_t j = 0; j < dp->np; j++) sq += (double)g[j] * (double)g[j];
        double nrm = sqrt(sq);
        float s = (float)((nrm > C ? C / nrm : 1.0) / (double)M);
        for (size_t j = 0; j < dp->np; j++) dp->accg[j] = k ? dp->accg[j] + s * g[j] : s * g[j];
    }
    return finish_step(dp, o, SUM_ACCG, (double)M);
}

static int step_shuffle(hush_dpsgd *dp, hush_optim *o, float *loss, const float *x, const uint32_t *labels,
                        size_t n) {
    if (!(dp->q > 0.0)) return HUSH_ESTATE;
    double loss_sum = 0;
    int rc;
    if (dp->cfg.num_microbatches >= 1) {
        rc = step_microbatches(dp, o, &loss_sum, x, labels, n);
    } else {
        /* 1.0f / B exactly as plain training computes it, so the unclipped step is identical. */
        float w0 = 1.0f / (float)n;
        int have = 0;
        rc = HUSH_OK;
        if (n <= dp->mb) {
            /* one chunk: the sum is already in grads; skip the copy through accg */
            rc = clip_chunk(dp, &loss_sum, x, labels, n, w0, (double)n, &have, 1);
            if (rc == HUSH_OK) rc = finish_step(dp, o, SUM_GRADS, (double)n);
        } else {
            for (size_t s = 0; s < n && rc == HUSH_OK; s += dp->mb) {
                size_t B = n - s < dp->mb ? n - s : dp->mb;
                rc = clip_chunk(dp, &loss_sum, x + s * dp->in, labels + s, B, w0, (double)n, &have, 0);
            }
            if (rc == HUSH_OK) rc = finish_step(dp, o, SUM_ACCG, (double)n);
        }
    }
    wipe_weights(dp, n < dp->mb ? n : dp->mb);
    if (rc != HUSH_OK) {
        sodium_memzero(dp->accg, dp->np * sizeof(float));
        return rc;
    }
    if (loss) *loss = (float)(loss_sum / (double)n);
    return account_step(dp, dp->q);
}

int hush_dpsgd_step(hush_dpsgd *dp, hush_optim *o, float *loss, size_t *batch, const float *x,
                    const uint32_t *labels, size_t n) {
    if (!dp || !o || !x || !labels) return HUSH_EARG;
    if (n == 0 || n > UINT32_MAX) return HUSH_ERANGE;
    if (dp->cfg.sampling == HUSH_DPSGD_POISSON) return step_poisson(dp, o, loss, batch, x, labels, n);
    if (batch) *batch = n;
    return step_shuffle(dp, o, loss, x, labels, n);
}

int hush_dpsgd_fit_epoch(hush_dpsgd *dp, hush_optim *o, uint32_t *perm, float *mean_loss, size_t *steps,
                         const float *x, const uint32_t *labels, size_t n) {
    if (!dp || !o || !mean_loss || !x || !labels) return HUSH_EARG;
    if (n == 0 || n > UINT32_MAX) return HUSH_ERANGE;
    double total = 0;
    size_t count = 0, nsteps = 0;
    int rc = HUSH_OK;
    if (dp->cfg.sampling == HUSH_DPSGD_POISSON) {
        nsteps = (size_t)hush_dpsgd_steps_per_epoch(&dp->cfg, n);
        for (size_t s = 0; s < nsteps && rc == HUSH_OK; s++) {
            float l;
            size_t b;
            rc = step_poisson(dp, o, &l, &b, x, labels, n);
            total += (double)l * (double)b;
            count += b;
        }
    } else {
        size_t B = dp->cfg.batch_size;
        if (!perm) return HUSH_EARG;
        if (B == 0 || B > n || B > dp->mb) return HUSH_ERANGE;
        if (dp->cfg.sampling_rate == 0.0) dp->q = (double)B / (double)n;
        for (size_t i = 0; i < n; i++) perm[i] = (uint32_t)i;
        if ((rc = hush_rng_shuffle_u32(&dp->sample, perm, n)) != HUSH_OK) return rc;
        for (size_t s = 0; s + B <= n && rc == HUSH_OK; s += B, nsteps++) {
            for (size_t i = 0; i < B; i++) {
                memcpy(dp->xb + i * dp->in, x + (size_t)perm[s + i] * dp->in, dp->in * sizeof(float));
                dp->lb[i] = labels[perm[s + i]];
            }
            dp->xb_used = B;
            float l;
            rc = step_shuffle(dp, o, &l, dp->xb, dp->lb, B);
            wipe_batch(dp);
            total += (double)l * (double)B;
            count += B;
        }
        /* which rows made up each batch is part of what the analysis keeps secret */
        sodium_memzero(perm, n * sizeof *perm);
    }
    *mean_loss = count ? (float)(total / (double)count) : 0.0f;
    if (steps) *steps = nsteps;
    return rc;
}

int hush_dpsgd_epsilon(hush_dpsgd *dp, double *epsilon, double delta) {
    if (!dp || !epsilon) return HUSH_EARG;
    if (delta <= 0.0) delta = dp->cfg.delta;
    if (!(delta < 1.0)) return HUSH_EARG;
    if (dp->steps == 0) {
        *epsilon = 0.0;
        return HUSH_OK;
    }
    if (dp->unbounded) {
        *epsilon = INFINITY;
        return HUSH_OK;
    }
    int rc = flush_accounting(dp);
    if (rc != HUSH_OK) return rc;
    return hush_accountant_epsilon(dp->acc, epsilon, NULL, delta);
}

uint64_t hush_dpsgd_steps(const hush_dpsgd *dp) { return dp ? dp->steps : 0; }

double hush_dpsgd_sampling_rate(const hush_dpsgd *dp) { return dp ? dp->q : 0.0; }

/* Epsilon of `runs` x (base + `steps` sampled-Gaussian steps at (q, sigma)). */
static int eps_for_sigma(double *eps, double sigma, double delta, double q, uint64_t steps, uint32_t runs,
                         const double *base) {
    double orders[HUSH_RDP_DEFAULT_ORDERS_COUNT], rdp[HUSH_RDP_DEFAULT_ORDERS_COUNT];
    size_t n = hush_rdp_default_orders(orders, HUSH_RDP_DEFAULT_ORDERS_COUNT);
    for (size_t i = 0; i < n; i++) rdp[i] = base ? (double)runs * base[i] : 0.0;
    int rc = hush_rdp_sampled_gaussian(rdp, orders, n, q, sigma, (double)steps * (double)runs);
    if (rc != HUSH_OK) return rc;
    return hush_rdp_epsilon(eps, NULL, orders, rdp, n, delta, HUSH_DP_CONVERSION_IMPROVED);
}

int hush_dpsgd_noise_for_epsilon_composed(double *noise_multiplier, double target_epsilon, double delta, double q,
                                          uint64_t steps, uint32_t runs, const double *base_rdp) {
    if (!noise_multiplier || !(target_epsilon > 0.0) || !(delta > 0.0 && delta < 1.0) || !(q > 0.0 && q <= 1.0) ||
        steps == 0 || runs == 0)
        return HUSH_EARG;
    double lo = 1e-3, hi = 1e3, e;
    int rc = eps_for_sigma(&e, hi, delta, q, steps, runs, base_rdp);
    if (rc != HUSH_OK) return rc;
    if (!(e <= target_epsilon)) return HUSH_ERANGE;
    if ((rc = eps_for_sigma(&e, lo, delta, q, steps, runs, base_rdp)) != HUSH_OK) return rc;
    if (e <= target_epsilon) {
        *noise_multiplier = lo;
        return HUSH_OK;
    }
    /* invariant: eps(lo) > target >= eps(hi); epsilon decreases in sigma */
    while (hi / lo > 1.0 + 1e-4) {
        double mid = sqrt(lo * hi);
        if ((rc = eps_for_sigma(&e, mid, delta, q, steps, runs, base_rdp)) != HUSH_OK) return rc;
        if (e <= target_epsilon) hi = mid;
        else lo = mid;
    }
    *noise_multiplier = hi;
    return HUSH_OK;
}

int hush_dpsgd_noise_for_epsilon(double *noise_multiplier, double target_epsilon, double delta, double q,
                                 uint64_t steps) {
    return hush_dpsgd_noise_for_epsilon_composed(noise_multiplier, target_epsilon, delta, q, steps, 1, NULL);
}
