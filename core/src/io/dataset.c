/* hush_dataset: the dense matrix every parser produces (allocation, class names, accessors) and
 * the text helpers the text parsers share. Feature preparation (split, folds, standardisation,
 * scaling) is in core/src/train/prepare.c, with the rest of the training workflow. */
#include "io/dataset.h"

#include "base/fmt.h"

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
