/* Internals shared by the data set parsers (arff.c, csv.c, idx.c) and dataset.c.
 *
 * Representation: x is rows x dim floats, row-major; labels one uint32 per row; onehot[j] is 1
 * for columns that belong to a one-hot encoded nominal attribute (never standardised) and 0 for
 * numeric ones. A missing numeric value ('?' in ARFF) is stored as a quiet NaN in x until
 * hush_dataset_standardize replaces it with the training mean; a missing nominal value is an
 * all-zero one-hot group from the start. Class names are NUL-terminated strings packed in one
 * block, found through name_off[k].
 */
#ifndef HUSH__IO_DATASET_H
#define HUSH__IO_DATASET_H

#include <stdarg.h>

#include "base/alloc.h"
#include "hush/data.h"

/* A cap on rows * dim, checked before allocating: a 1 MB ARFF header can declare a nominal
 * attribute with tens of thousands of values, so rows * dim alone could ask for terabytes.
 * 2^28 floats is 1 GiB; Fashion-MNIST's training set is 47M cells. */
#define HUSH__DATA_MAX_CELLS ((size_t)1 << 28)

struct hush_dataset {
    hush_allocator alloc; /* copied, so the caller's struct may go away */
    int has_alloc;
    size_t rows, dim;
    hush_shape shape;
    uint32_t n_classes;
    float *x;
    uint32_t *labels;
    uint8_t *onehot;
    uint32_t *name_off; /* n_classes entries */
    char *names;
    size_t names_len;
};

/* Allocates a data set with zeroed x/labels/onehot and no class names; shape (dim, 1, 1). */
int hush__dataset_alloc(hush_dataset **out, size_t rows, size_t dim, const hush_allocator *alloc);
/* Allocates the name block (names_len bytes, to be filled by the caller) and offsets. */
int hush__dataset_alloc_names(hush_dataset *d, uint32_t n_classes, size_t names_len);
/* Class names "0", "1", ... for formats whose labels are plain integers. */
int hush__dataset_decimal_names(hush_dataset *d, uint32_t n_classes);
/* rows * dim within the limits of data.h and HUSH__DATA_MAX_CELLS. */
int hush__dataset_size_ok(size_t rows, size_t dim);

/* Resets *e (may be NULL). */
void hush__perr_clear(hush_parse_error *e);
/* Fills *e (may be NULL) with "line N: <msg>" (or just <msg> when line is 0); returns status. */
int hush__perr(hush_parse_error *e, int status, size_t line, size_t offset, const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;
/* Copies at most cap-1 bytes of s[0..n) into out, replacing non-printable bytes with '?' and
 * marking truncation with "...", so error messages never carry control characters. */
void hush__quote_token(char *out, size_t cap, const char *s, size_t n);

static inline int hush__is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v'; }

/* Strict decimal number: [+-]? (d+ (. d*)? | . d+) ([eE] [+-]? d+)?, nothing else (no inf, nan,
 * hex, whitespace). HUSH_EFORMAT on bad syntax, HUSH_ERANGE if the value overflows a float.
 * Conversion is by strtof/strtod, which round correctly on glibc, musl (Emscripten) and
 * wasi-libc; they honour LC_NUMERIC, and Hush never calls setlocale, so programs run in the "C"
 * locale. A program that switches to a locale with a decimal comma gets HUSH_EFORMAT, never a
 * silently different value, because the whole token must be consumed. */
int hush__parse_f32(const char *s, size_t n, float *out);
int hush__parse_f64(const char *s, size_t n, double *out);

#endif
