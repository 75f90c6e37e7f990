/* Feature preparation for the training workflow: seeded splits and folds, input standardisation
 * with the training split's exact statistics (non-private runs), and the two scalings a DP run may
 * use: public bounds, and bounds from a differentially private histogram (hush/train.h).
 *
 * Split, fold and the DP histogram allocate (through the caller's allocator); standardize computes
 * its statistics column by column, so it needs no workspace. All statistics are summed in double
 * in row order: one summation order on every build. */
#include <math.h>
#include <string.h>

#include <sodium.h>

#include "base/norm.h"
#include "hush/dp.h"
#include "hush/train.h"
#include "io/dataset.h"

/* Copies everything but rows into a new data set of `rows` rows. */
static int ds_like(hush_dataset **out, const hush_dataset *d, size_t rows, const hush_allocator *alloc) {
    hush_dataset *n;
    int rc = hush__dataset_alloc(&n, rows, d->dim, alloc);
    if (rc != HUSH_OK) return rc;
    n->shape = d->shape;
    if (d->dim) memcpy(n->onehot, d->onehot, d->dim);
    if (d->names) {
        rc = hush__dataset_alloc_names(n, d->n_classes, d->names_len);
        if (rc != HUSH_OK) {
            hush_dataset_free(n);
            return rc;
        }
        memcpy(n->name_off, d->name_off, (size_t)d->n_classes * sizeof(uint32_t));
        memcpy(n->names, d->names, d->names_len);
    }
    n->n_classes = d->n_classes;
    *out = n;
    return HUSH_OK;
}

/* Split: perm = 0..rows-1 shuffled by hush_rng_shuffle_u32 (Fisher-Yates); the first
 * round(rows * test_fraction) entries of perm, in that order, become the test set and the rest
 * the training set. Both keep the original class count, names and column kinds. */
/* Shuffles the row indices with rng; shuffled positions [lo, hi) form the test set, the rest the
 * training set (both keep shuffled order). */
static int split_range(hush_dataset **train, hush_dataset **test, const hush_dataset *d, size_t lo, size_t hi,
                       hush_rng *rng, const hush_allocator *alloc) {
    size_t n = d->rows, n_test = hi - lo;
    uint32_t *perm = hush__calloc(alloc, n, sizeof(uint32_t));
    if (!perm) return HUSH_ENOMEM;
    hush_dataset *tr = NULL, *te = NULL;
    int rc = ds_like(&te, d, n_test, alloc);
    if (rc == HUSH_OK) rc = ds_like(&tr, d, n - n_test, alloc);
    if (rc != HUSH_OK) {
        hush_dataset_free(te);
        hush__free_wipe(alloc, perm, n * sizeof(uint32_t)); /* which rows went where */
        return rc;
    }
    for (size_t i = 0; i < n; i++) perm[i] = (uint32_t)i;
    if ((rc = hush_rng_shuffle_u32(rng, perm, n)) != HUSH_OK) {
        hush_dataset_free(te);
        hush_dataset_free(tr);
        hush__free_wipe(alloc, perm, n * sizeof(uint32_t)); /* which rows went where */
        return rc;
    }
    for (size_t i = 0; i < n; i++) {
        int in_test = i >= lo && i < hi;
        hush_dataset *dst = in_test ? te : tr;
        size_t r = in_test ? i - lo : i < lo ? i : i - n_test;
        if (d->dim) memcpy(dst->x + r * d->dim, d->x + (size_t)perm[i] * d->dim, d->dim * sizeof(float));
        dst->labels[r] = d->labels[perm[i]];
    }
    hush__free_wipe(alloc, perm, n * sizeof(uint32_t)); /* which rows went where */
    *train = tr;
    *test = te;
    return HUSH_OK;
}

int hush_dataset_split(hush_dataset **train, hush_dataset **test, hush_rng *rng, const hush_dataset *d,
                       double test_fraction, const hush_allocator *alloc) {
    if (!hush__alloc_ok(alloc)) return HUSH_EARG;
    if (train) *train = NULL;
    if (test) *test = NULL;
    if (!train || !test || !d || !rng) return HUSH_EARG;
    if (!(test_fraction >= 0.0 && test_fraction <= 1.0)) return HUSH_EARG; /* also rejects NaN */
    /* rows <= 2^24, so the product is exact and +0.5 then truncation rounds half up. */
    size_t n_test = (size_t)((double)d->rows * test_fraction + 0.5);
    if (n_test > d->rows) n_test = d->rows;
    return split_range(train, test, d, 0, n_test, rng, alloc);
}

int hush_dataset_fold(hush_dataset **train, hush_dataset **test, hush_rng *rng, const hush_dataset *d,
                      uint32_t folds, uint32_t fold, const hush_allocator *alloc) {
    if (!hush__alloc_ok(alloc)) return HUSH_EARG;
    if (train) *train = NULL;
    if (test) *test = NULL;
    if (!train || !test || !d || !rng) return HUSH_EARG;
    if (folds < 2 || fold >= folds || folds > d->rows) return HUSH_ERANGE;
    /* rows <= 2^24 and folds <= rows, so the products fit in 64 bits. */
    uint64_t n = d->rows;
    size_t lo = (size_t)(n * fold / folds), hi = (size_t)(n * (fold + 1) / folds);
    return split_range(train, test, d, lo, hi, rng, alloc);
}

/* Stable counting sort of the row indices in v by label (labels < n_classes). */
static int sort_by_label(uint32_t *v, size_t n, const hush_dataset *d, const hush_allocator *alloc) {
    size_t k = d->n_classes ? d->n_classes : 1;
    uint32_t *tmp = hush__calloc(alloc, n, sizeof *tmp);
    size_t *start = hush__calloc(alloc, k + 1, sizeof *start);
    if (!tmp || !start) {
        hush__free(alloc, tmp, n * sizeof *tmp);
        hush__free(alloc, start, (k + 1) * sizeof *start);
        return HUSH_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) start[d->labels[v[i]] + 1]++;
    for (size_t c = 0; c < k; c++) start[c + 1] += start[c];
    for (size_t i = 0; i < n; i++) tmp[start[d->labels[v[i]]]++] = v[i];
    memcpy(v, tmp, n * sizeof *v);
    hush__free_wipe(alloc, tmp, n * sizeof *tmp);
    hush__free(alloc, start, (k + 1) * sizeof *start);
    return HUSH_OK;
}

int hush_dataset_shard(hush_dataset **out, hush_rng *rng, const hush_dataset *d, uint32_t parts, uint32_t part,
                       uint32_t labels_per_part, const hush_allocator *alloc) {
    if (!hush__alloc_ok(alloc)) return HUSH_EARG;
    if (out) *out = NULL;
    if (!out || !d || !rng || parts == 0) return HUSH_EARG;
    uint64_t k = labels_per_part ? labels_per_part : 1, pieces = (uint64_t)parts * k;
    if (part >= parts || pieces > d->rows) return HUSH_ERANGE;
    size_t n = d->rows;
    uint32_t *perm = hush__calloc(alloc, n, sizeof *perm);
    uint32_t *order = hush__calloc(alloc, (size_t)pieces, sizeof *order);
    int rc = perm && order ? HUSH_OK : HUSH_ENOMEM;
    for (size_t i = 0; rc == HUSH_OK && i < n; i++) perm[i] = (uint32_t)i;
    for (uint64_t i = 0; rc == HUSH_OK && i < pieces; i++) order[i] = (uint32_t)i;
    if (rc == HUSH_OK) rc = hush_rng_shuffle_u32(rng, perm, n);
    if (rc == HUSH_OK && labels_per_part) {
        rc = sort_by_label(perm, n, d, alloc);
        if (rc == HUSH_OK) rc = hush_rng_shuffle_u32(rng, order, (size_t)pieces);
    }
    /* piece i is perm[n i / pieces, n (i + 1) / pieces): IID, piece `part` itself */
    size_t rows = 0;
    for (uint64_t j = 0; rc == HUSH_OK && j < k; j++) {
        uint64_t i = labels_per_part ? order[part * k + j] : part;
        rows += (size_t)(n * (i + 1) / pieces - n * i / pieces);
    }
    hush_dataset *s = NULL;
    if (rc == HUSH_OK) rc = ds_like(&s, d, rows, alloc);
    size_t r = 0;
    for (uint64_t j = 0; rc == HUSH_OK && j < k; j++) {
        uint64_t i = labels_per_part ? order[part * k + j] : part;
        for (size_t q = (size_t)(n * i / pieces); q < (size_t)(n * (i + 1) / pieces); q++, r++) {
            if (d->dim) memcpy(s->x + r * d->dim, d->x + (size_t)perm[q] * d->dim, d->dim * sizeof(float));
            s->labels[r] = d->labels[perm[q]];
        }
    }
    hush__free_wipe(alloc, perm, n * sizeof *perm); /* which rows went where */
    hush__free_wipe(alloc, order, (size_t)pieces * sizeof *order);
    if (rc != HUSH_OK) {
        hush_dataset_free(s);
        return rc;
    }
    *out = s;
    return HUSH_OK;
}

static int is_nan(float v) { return v != v; }

/* Mean and 1/(population std) of numeric column j of train (std 0 -> 1). Two passes in double,
 * rows in order: one summation order on every build. */
static void column_stats(const hush_dataset *train, size_t j, float *shift, float *scale) {
    size_t dim = train->dim, cnt = 0;
    double sum = 0.0;
    for (size_t i = 0; i < train->rows; i++) {
        float v = train->x[i * dim + j];
        if (!is_nan(v)) {
            sum += v;
            cnt++;
        }
    }
    double mean = cnt ? sum / (double)cnt : 0.0;
    double ss = 0.0;
    for (size_t i = 0; i < train->rows; i++) {
        float v = train->x[i * dim + j];
        if (!is_nan(v)) ss += ((double)v - mean) * ((double)v - mean);
    }
    double var = cnt ? ss / (double)cnt : 0.0;
    /* sqrt is exactly rounded (IEEE 754), so it is deterministic across builds. */
    double sd = var > 0.0 ? sqrt(var) : 1.0;
    *shift = (float)mean;
    *scale = (float)(1.0 / sd);
}

int hush_dataset_norm_stats(const hush_dataset *train, float *shift, float *scale, size_t n) {
    if (!train || !shift || !scale) return HUSH_EARG;
    if (n != train->dim) return HUSH_ESHAPE;
    for (size_t j = 0; j < n; j++) {
        shift[j] = 0.0f;
        scale[j] = 1.0f;
        if (!train->onehot[j]) column_stats(train, j, &shift[j], &scale[j]);
    }
    return HUSH_OK;
}

int hush_dataset_standardize(hush_dataset *train, hush_dataset *test) {
    if (!train || test == train) return HUSH_EARG; /* the same set twice would be scaled twice */
    if (test && (test->dim != train->dim || memcmp(test->onehot, train->onehot, train->dim) != 0))
        return HUSH_ESHAPE;
    size_t dim = train->dim;
    for (size_t j = 0; j < dim; j++) {
        if (train->onehot[j]) continue;
        float shift, scale;
        column_stats(train, j, &shift, &scale);
        hush_dataset *parts[2] = {train, test};
        for (int p = 0; p < 2; p++)
            for (size_t i = 0; parts[p] && i < parts[p]->rows; i++) {
                float *v = &parts[p]->x[i * dim + j];
                *v = hush__norm_apply(*v, shift, scale);
            }
    }
    return HUSH_OK;
}

int hush_dataset_scale(hush_dataset *d, float s) {
    if (!d || s != s || s - s != 0.0f) return HUSH_EARG; /* NaN or infinite */
    size_t n = d->rows * d->dim;
    for (size_t i = 0; i < n; i++) d->x[i] *= s;
    return HUSH_OK;
}


size_t hush_train_numeric_columns(const hush_dataset *d) {
    size_t k = 0;
    for (size_t j = 0; d && j < d->dim; j++) k += !d->onehot[j];
    return k;
}

/* [lo, hi] -> [-1, 1], in double, rounded once to float. */
static void map_bounds(float *shift, float *scale, double lo, double hi) {
    *shift = (float)((lo + hi) * 0.5);
    *scale = (float)(2.0 / (hi - lo));
}

int hush_train_scaling_bounds(float *shift, float *scale, size_t n, const hush_dataset *train, const double *lo_hi,
                              size_t count) {
    if (!shift || !scale || !train || (count && !lo_hi)) return HUSH_EARG;
    if (n != train->dim || count != hush_train_numeric_columns(train)) return HUSH_ESHAPE;
    for (size_t k = 0; k < count; k++) {
        double lo = lo_hi[2 * k], hi = lo_hi[2 * k + 1];
        if (!(lo < hi) || !isfinite(lo) || !isfinite(hi) || !isfinite(2.0 / (hi - lo))) return HUSH_EARG;
    }
    for (size_t j = 0, k = 0; j < n; j++) {
        shift[j] = 0.0f;
        scale[j] = 1.0f;
        if (!train->onehot[j]) {
            map_bounds(&shift[j], &scale[j], lo_hi[2 * k], lo_hi[2 * k + 1]);
            k++;
        }
    }
    return HUSH_OK;
}

/* ---- the DP histogram ----
 * 129 bins ordered by value: 0..63 negative with floor(log2 |x|) from 31 down to -32, 64 zero,
 * 65..128 positive with floor(log2 |x|) from -32 up to 31 (beyond: the end bins). */
#define DP_BINS 129
#define DP_ZERO 64

static int dp_bin(float v) {
    if (v != v) return -1; /* missing: counted nowhere */
    uint32_t b;
    memcpy(&b, &v, 4);
    uint32_t mag = b & 0x7fffffffu;
    if (mag < 0x2f800000u) return DP_ZERO; /* |v| < 2^-32 (0x2f800000 is 2^-32) */
    int e = (int)(mag >> 23) - 127;        /* floor(log2 |v|): v is normal here */
    if (e > 31) e = 31;
    int k = e + 32; /* 0..63 */
    return (b >> 31) ? 63 - k : DP_ZERO + 1 + k;
}

static double dp_bin_lo(int bin) {
    if (bin == DP_ZERO) return 0.0;
    if (bin < DP_ZERO) return -ldexp(1.0, (63 - bin) - 32 + 1);
    return ldexp(1.0, bin - DP_ZERO - 1 - 32);
}

static double dp_bin_hi(int bin) {
    if (bin == DP_ZERO) return 0.0;
    if (bin < DP_ZERO) return -ldexp(1.0, (63 - bin) - 32);
    return ldexp(1.0, bin - DP_ZERO - 1 - 32 + 1);
}

int hush_train_scaling_dp(hush_rng *rng, float *shift, float *scale, size_t n, const hush_dataset *train,
                          double noise_multiplier, const hush_allocator *alloc) {
    if (!hush__alloc_ok(alloc)) return HUSH_EARG;
    if (!rng || !shift || !scale || !train) return HUSH_EARG;
    if (n != train->dim) return HUSH_ESHAPE;
    if (!(noise_multiplier >= 0.1 && noise_multiplier <= 1e6)) return HUSH_EARG;
    size_t d = hush_train_numeric_columns(train);
    for (size_t j = 0; j < n; j++) shift[j] = 0.0f, scale[j] = 1.0f;
    if (d == 0) return HUSH_OK;
    /* sigma^2 = z^2 d as var_num / 2^k, rounded up (more noise is never less private), with k as
     * large as the sampler allows: var_den t^2 <= 2^50, t = floor(sigma) + 1. */
    double var = noise_multiplier * noise_multiplier * (double)d, sigma = sqrt(var);
    if (!(sigma < 0x1p24)) return HUSH_ERANGE;
    double t = floor(sigma) + 1.0;
    int k = 20;
    while (k > 0 && ldexp(t * t, k) > 0x1p50) k--;
    uint64_t var_num = (uint64_t)ceil(ldexp(var, k)), var_den = (uint64_t)1 << k;
    int64_t *counts = hush__calloc(alloc, d * DP_BINS, sizeof *counts);
    if (!counts) return HUSH_ENOMEM;
    for (size_t i = 0; i < train->rows; i++)
        for (size_t j = 0, c = 0; j < n; j++) {
            if (train->onehot[j]) continue;
            int b = dp_bin(train->x[i * n + j]);
            if (b >= 0) counts[c * DP_BINS + (size_t)b]++;
            c++;
        }
    int rc = HUSH_OK;
    for (size_t i = 0; i < d * DP_BINS && rc == HUSH_OK; i++) {
        int64_t z;
        rc = hush_dp_discrete_gaussian(rng, &z, var_num, var_den);
        counts[i] += z;
    }
    /* post-processing of the noisy counts only */
    double tau = 4.0 * sqrt((double)var_num / (double)var_den);
    for (size_t j = 0, c = 0; rc == HUSH_OK && j < n; j++) {
        if (train->onehot[j]) continue;
        const int64_t *h = counts + c * DP_BINS;
        int first = -1, last = -1;
        for (int b = 0; b < DP_BINS; b++)
            if ((double)h[b] > tau) {
                if (first < 0) first = b;
                last = b;
            }
        c++;
        if (first < 0) continue;
        double lo = dp_bin_lo(first), hi = dp_bin_hi(last);
        if (hi > lo) map_bounds(&shift[j], &scale[j], lo, hi);
    }
    sodium_memzero(counts, d * DP_BINS * sizeof *counts);
    hush__free_wipe(alloc, counts, d * DP_BINS * sizeof *counts);
    return rc;
}
