/* hush_dataset: the dense matrix every parser produces, its accessors, and the explicit
 * feature-preparation steps (split, standardize, scale). Preparation never allocates except
 * split, which builds two new data sets; standardize computes statistics column by column so it
 * needs no workspace (and so takes no allocator). */
#include "io/dataset.h"

#include "base/fmt.h"
#include "base/norm.h"

#include <math.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

static const hush_allocator *ds_alloc(const hush_dataset *d) { return d->has_alloc ? &d->alloc : NULL; }

int hush__dataset_size_ok(size_t rows, size_t dim) {
    if (rows > HUSH_DATA_MAX_ROWS || dim > HUSH_DATA_MAX_COLS) return 0;
    return dim == 0 || rows <= HUSH__DATA_MAX_CELLS / dim;
}

int hush__dataset_alloc(hush_dataset **out, size_t rows, size_t dim, const hush_allocator *alloc) {
    *out = NULL;
    if (!hush__dataset_size_ok(rows, dim)) return HUSH_ERANGE;
    hush_dataset *d = hush__calloc(alloc, 1, sizeof *d);
    if (!d) return HUSH_ENOMEM;
    if (alloc) {
        d->alloc = *alloc;
        d->has_alloc = 1;
    }
    d->rows = rows;
    d->dim = dim;
    d->shape.c = (uint32_t)dim;
    d->shape.h = 1;
    d->shape.w = 1;
    d->x = hush__calloc(alloc, rows * dim, sizeof(float));
    d->labels = hush__calloc(alloc, rows, sizeof(uint32_t));
    d->onehot = hush__calloc(alloc, dim, 1);
    if (!d->x || !d->labels || !d->onehot) {
        hush_dataset_free(d);
        return HUSH_ENOMEM;
    }
    *out = d;
    return HUSH_OK;
}

int hush__dataset_alloc_names(hush_dataset *d, uint32_t n_classes, size_t names_len) {
    const hush_allocator *a = ds_alloc(d);
    d->name_off = hush__calloc(a, n_classes, sizeof(uint32_t));
    d->names = hush__alloc(a, names_len);
    if (!d->name_off || !d->names) {
        hush__free_wipe(a, d->name_off, (size_t)n_classes * sizeof(uint32_t));
        hush__free_wipe(a, d->names, names_len);
        d->name_off = NULL;
        d->names = NULL;
        return HUSH_ENOMEM;
    }
    d->n_classes = n_classes;
    d->names_len = names_len;
    return HUSH_OK;
}

int hush__dataset_decimal_names(hush_dataset *d, uint32_t n_classes) {
    size_t len = 0;
    for (uint32_t k = 0; k < n_classes; k++) len += (size_t)hush__fmt(NULL, 0, "%u", (unsigned)k) + 1;
    int rc = hush__dataset_alloc_names(d, n_classes, len);
    if (rc != HUSH_OK) return rc;
    size_t pos = 0;
    for (uint32_t k = 0; k < n_classes; k++) {
        d->name_off[k] = (uint32_t)pos;
        pos += (size_t)hush__fmt(d->names + pos, len - pos, "%u", (unsigned)k) + 1;
    }
    return HUSH_OK;
}

size_t hush_dataset_rows(const hush_dataset *d) { return d ? d->rows : 0; }
size_t hush_dataset_dim(const hush_dataset *d) { return d ? d->dim : 0; }
uint32_t hush_dataset_classes(const hush_dataset *d) { return d ? d->n_classes : 0; }
hush_shape hush_dataset_shape(const hush_dataset *d) {
    hush_shape zero = {0, 0, 0};
    return d ? d->shape : zero;
}
const float *hush_dataset_x(const hush_dataset *d) { return d ? d->x : NULL; }
const uint32_t *hush_dataset_labels(const hush_dataset *d) { return d ? d->labels : NULL; }
const char *hush_dataset_class_name(const hush_dataset *d, uint32_t k) {
    if (!d || !d->names || k >= d->n_classes) return NULL;
    return d->names + d->name_off[k];
}

void hush_dataset_free(hush_dataset *d) {
    if (!d) return;
    hush_allocator copy = d->alloc;
    const hush_allocator *a = d->has_alloc ? &copy : NULL;
    hush__free_wipe(a, d->x, d->rows * d->dim * sizeof(float));
    hush__free_wipe(a, d->labels, d->rows * sizeof(uint32_t));
    hush__free_wipe(a, d->onehot, d->dim);
    hush__free_wipe(a, d->name_off, (size_t)d->n_classes * sizeof(uint32_t));
    hush__free_wipe(a, d->names, d->names_len);
    hush__free_wipe(a, d, sizeof *d);
}

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
        hush__free_wipe(alloc, perm, n * sizeof(uint32_t));
        return rc;
    }
    for (size_t i = 0; i < n; i++) {
        int in_test = i >= lo && i < hi;
        hush_dataset *dst = in_test ? te : tr;
        size_t r = in_test ? i - lo : i < lo ? i : i - n_test;
        if (d->dim) memcpy(dst->x + r * d->dim, d->x + (size_t)perm[i] * d->dim, d->dim * sizeof(float));
        dst->labels[r] = d->labels[perm[i]];
    }
    hush__free_wipe(alloc, perm, n * sizeof(uint32_t));
    *train = tr;
    *test = te;
    return HUSH_OK;
}

int hush_dataset_split(hush_dataset **train, hush_dataset **test, const hush_dataset *d, double test_fraction,
                       hush_rng *rng, const hush_allocator *alloc) {
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

int hush_dataset_fold(hush_dataset **train, hush_dataset **test, const hush_dataset *d, uint32_t folds,
                      uint32_t fold, hush_rng *rng, const hush_allocator *alloc) {
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

/* ---- text helpers shared by the text parsers ---- */

void hush__perr_clear(hush_parse_error *e) {
    if (!e) return;
    e->line = 0;
    e->offset = 0;
    e->msg[0] = 0;
}

int hush__perr(hush_parse_error *e, int status, size_t line, size_t offset, const char *fmt, ...) {
    if (!e) return status;
    e->line = line;
    e->offset = offset;
    int n = 0;
    if (line) n = hush__fmt(e->msg, sizeof e->msg, "line %zu: ", line);
    if (n < 0 || (size_t)n >= sizeof e->msg) n = 0;
    va_list ap;
    va_start(ap, fmt);
    hush__vfmt(e->msg + n, sizeof e->msg - (size_t)n, fmt, ap);
    va_end(ap);
    return status;
}

void hush__quote_token(char *out, size_t cap, const char *s, size_t n) {
    if (cap == 0) return;
    size_t limit = cap - 1, i = 0;
    int cut = n > limit;
    if (cut) limit = cap > 4 ? cap - 4 : 0;
    for (; i < n && i < limit; i++) {
        unsigned char c = (unsigned char)s[i];
        out[i] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
    }
    if (cut)
        for (size_t k = 0; k < 3 && i < cap - 1; k++) out[i++] = '.';
    out[i] = 0;
}

/* 1 if s[0..n) matches the strict decimal grammar of hush__parse_f32, else 0. */
static int number_syntax_ok(const char *s, size_t n) {
    size_t i = 0, digits = 0;
    if (i < n && (s[i] == '+' || s[i] == '-')) i++;
    while (i < n && s[i] >= '0' && s[i] <= '9') i++, digits++;
    if (i < n && s[i] == '.') {
        i++;
        while (i < n && s[i] >= '0' && s[i] <= '9') i++, digits++;
    }
    if (digits == 0) return 0;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-')) i++;
        size_t ed = 0;
        while (i < n && s[i] >= '0' && s[i] <= '9') i++, ed++;
        if (ed == 0) return 0;
    }
    return i == n;
}

#define NUM_MAX 128 /* longer tokens are rejected rather than truncated */

int hush__parse_f64(const char *s, size_t n, double *out) {
    char buf[NUM_MAX + 1];
    if (n == 0 || n > NUM_MAX || !number_syntax_ok(s, n)) return HUSH_EFORMAT;
    memcpy(buf, s, n);
    buf[n] = 0;
    char *end;
    double v = strtod(buf, &end);
    int consumed = end == buf + n;
    sodium_memzero(buf, n + 1); /* a copy of a raw value: wiped like every parser scratch */
    if (!consumed) return HUSH_EFORMAT;
    if (v - v != 0.0) return HUSH_ERANGE; /* overflowed to infinity */
    *out = v;
    return HUSH_OK;
}

int hush__parse_f32(const char *s, size_t n, float *out) {
    char buf[NUM_MAX + 1];
    if (n == 0 || n > NUM_MAX || !number_syntax_ok(s, n)) return HUSH_EFORMAT;
    memcpy(buf, s, n);
    buf[n] = 0;
    char *end;
    /* strtof rounds once, straight to float; strtod then a cast would round twice. */
    float v = strtof(buf, &end);
    int consumed = end == buf + n;
    sodium_memzero(buf, n + 1);
    if (!consumed) return HUSH_EFORMAT;
    if (v - v != 0.0f) return HUSH_ERANGE;
    *out = v;
    return HUSH_OK;
}
