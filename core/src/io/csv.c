/* CSV parser for numeric data sets with an integer label in the last column.
 *
 * Grammar: lines end with LF or CRLF; fields are separated by ',' and may be surrounded by
 * spaces or tabs; every field is a strict decimal number (hush__parse_f32: no inf/nan/hex, no
 * quotes); whitespace-only lines are skipped. The first non-blank line is a header, and is
 * skipped, if any of its fields is not a number (sklearn's iris.csv starts with
 * "150,4,setosa,versicolor,virginica"). Every data row must have as many fields as the first
 * one, at least two.
 *
 * The label is the last field: a number with an integral value in [0, HUSH_DATA_MAX_CLASSES)
 * ("3" or "3.0"; np.savetxt writes "3.000000000000000000e+00"). n_classes = max label + 1, and
 * class k is named "k".
 *
 * Pass 1 finds the header and counts rows; the matrix is allocated once after the limits are
 * checked; pass 2 parses and checks every row.
 */
#include <string.h>

#include "io/dataset.h"

static int line_next(const char *t, size_t len, size_t *pos, size_t *b, size_t *e) {
    if (*pos >= len) return 0;
    const char *nl = memchr(t + *pos, '\n', len - *pos);
    *b = *pos;
    *e = nl ? (size_t)(nl - t) : len;
    *pos = nl ? *e + 1 : len;
    return 1;
}

static int blank(const char *t, size_t b, size_t e) {
    while (b < e && hush__is_space(t[b])) b++;
    return b == e;
}

/* Next field of the line starting at *i: [*fb, *fe) with surrounding blanks trimmed. Returns 0
 * after the last field. */
static int field_next(const char *t, size_t *i, size_t e, int *done, size_t *fb, size_t *fe) {
    if (*done) return 0;
    size_t b = *i;
    const char *comma = memchr(t + b, ',', e - b);
    size_t end = comma ? (size_t)(comma - t) : e;
    *i = comma ? end + 1 : e;
    *done = comma == NULL;
    while (b < end && hush__is_space(t[b])) b++;
    while (end > b && hush__is_space(t[end - 1])) end--;
    *fb = b;
    *fe = end;
    return 1;
}

static size_t count_fields(const char *t, size_t b, size_t e) {
    size_t n = 1;
    for (const char *p = t + b; (p = memchr(p, ',', (size_t)(t + e - p))) != NULL; p++) n++;
    return n;
}

static int is_header(const char *t, size_t b, size_t e) {
    size_t i = b, fb, fe;
    int done = 0;
    float v;
    while (field_next(t, &i, e, &done, &fb, &fe))
        if (hush__parse_f32(t + fb, fe - fb, &v) != HUSH_OK) return 1;
    return 0;
}

int hush_csv_parse(hush_dataset **out, const char *text, size_t len, hush_parse_error *err,
                   const hush_allocator *alloc) {
    if (!hush__alloc_ok(alloc)) return HUSH_EARG;
    hush__perr_clear(err);
    if (out) *out = NULL;
    if (!out || (!text && len)) return hush__perr(err, HUSH_EARG, 0, 0, "invalid argument");
    const char *t = text;
    size_t pos = 0, b, e, line = 0, rows = 0, nf = 0, first_line = 0, data_pos = 0, data_line = 0;
    int seen_first = 0;
    while (line_next(t, len, &pos, &b, &e)) {
        line++;
        if (blank(t, b, e)) continue;
        if (!seen_first) {
            seen_first = 1;
            if (is_header(t, b, e)) continue;
        }
        if (rows == 0) {
            nf = count_fields(t, b, e);
            first_line = line;
            data_pos = b;
            data_line = line - 1;
        }
        rows++;
    }
    if (rows == 0) return hush__perr(err, HUSH_EFORMAT, line ? line : 1, len, "no data rows");
    if (nf < 2)
        return hush__perr(err, HUSH_EFORMAT, first_line, data_pos, "need at least 2 fields (features, label), got %zu",
                          nf);
    size_t dim = nf - 1;
    if (!hush__dataset_size_ok(rows, dim))
        return hush__perr(err, HUSH_ERANGE, first_line, data_pos, "%zu rows x %zu columns exceeds the limits", rows,
                          dim);
    hush_dataset *d;
    int rc = hush__dataset_alloc(&d, rows, dim, alloc);
    if (rc != HUSH_OK) return hush__perr(err, rc, 0, 0, "out of memory");

    char tmp[24];
    uint32_t max_label = 0;
    size_t row = 0;
    pos = data_pos;
    line = data_line;
    while (line_next(t, len, &pos, &b, &e)) {
        line++;
        if (blank(t, b, e)) continue;
        size_t got = count_fields(t, b, e);
        if (got != nf) {
            rc = hush__perr(err, HUSH_EFORMAT, line, b, "expected %zu fields, got %zu", nf, got);
            goto fail;
        }
        size_t i = b, fb, fe, f = 0;
        int done = 0;
        while (field_next(t, &i, e, &done, &fb, &fe)) {
            if (f < dim) {
                rc = hush__parse_f32(t + fb, fe - fb, &d->x[row * dim + f]);
            } else {
                double v = 0.0;
                rc = hush__parse_f64(t + fb, fe - fb, &v);
                if (rc == HUSH_OK && !(v >= 0.0 && v < (double)HUSH_DATA_MAX_CLASSES && v == (double)(uint32_t)v)) {
                    hush__quote_token(tmp, sizeof tmp, t + fb, fe - fb);
                    rc = hush__perr(err, HUSH_ERANGE, line, fb, "label '%s' is not an integer in [0, %u)", tmp,
                                    HUSH_DATA_MAX_CLASSES);
                    goto fail;
                }
                if (rc == HUSH_OK) {
                    d->labels[row] = (uint32_t)v;
                    if (d->labels[row] > max_label) max_label = d->labels[row];
                }
            }
            if (rc != HUSH_OK) {
                hush__quote_token(tmp, sizeof tmp, t + fb, fe - fb);
                if (fe == fb)
                    rc = hush__perr(err, rc, line, fb, "field %zu is empty", f + 1);
                else
                    rc = hush__perr(err, rc, line, fb, "field %zu: %s number '%s'", f + 1,
                                    rc == HUSH_ERANGE ? "out-of-range" : "invalid", tmp);
                goto fail;
            }
            f++;
        }
        row++;
    }
    rc = hush__dataset_decimal_names(d, max_label + 1);
    if (rc != HUSH_OK) {
        rc = hush__perr(err, rc, 0, 0, "out of memory");
        goto fail;
    }
    *out = d;
    return HUSH_OK;
fail:
    hush_dataset_free(d);
    return rc;
}
