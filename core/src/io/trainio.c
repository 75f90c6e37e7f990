/* The byte-level inputs of the training workflow (hush/train.h): the data format by file name, the
 * one dispatch from raw bytes to the parsers (with sklearn's digits scaled and gzip refused in
 * plain words), and the bounds file of public per-column ranges. Everything here reads untrusted
 * bytes, so it lives in io and the bounds parser is fuzzed (tests/fuzz/fuzz_bounds.c). */
#include <math.h>
#include <string.h>

#include "hush/train.h"
#include "io/dataset.h"

static const char *const format_names[] = {NULL, "arff", "csv", "digits", "idx"};

const char *hush_train_format_name(uint32_t format) {
    return format >= 1 && format <= HUSH_TRAIN_FORMAT_IDX ? format_names[format] : NULL;
}

int hush_train_format_parse(uint32_t *format, const char *name) {
    if (!format || !name) return HUSH_EARG;
    for (uint32_t f = 1; f <= HUSH_TRAIN_FORMAT_IDX; f++)
        if (!strcmp(name, format_names[f])) {
            *format = f;
            return HUSH_OK;
        }
    return HUSH_EARG;
}

static int ends_with(const char *s, size_t n, const char *suffix) {
    size_t m = strlen(suffix);
    return n >= m && !memcmp(s + n - m, suffix, m);
}

uint32_t hush_train_format_guess(const char *name) {
    if (!name) return HUSH_TRAIN_FORMAT_CSV;
    size_t n = strlen(name);
    if (ends_with(name, n, ".gz")) n -= 3;
    if (ends_with(name, n, ".arff")) return HUSH_TRAIN_FORMAT_ARFF;
    if (ends_with(name, n, "-ubyte")) return HUSH_TRAIN_FORMAT_IDX;
    if (ends_with(name, n, ".csv")) {
        /* only the file's own name counts: a directory called "digits" says nothing */
        size_t b = n;
        while (b > 0 && name[b - 1] != '/' && name[b - 1] != '\\') b--;
        for (size_t i = b; i + 6 <= n; i++)
            if (!memcmp(name + i, "digits", 6)) return HUSH_TRAIN_FORMAT_DIGITS;
    }
    return HUSH_TRAIN_FORMAT_CSV;
}

static int is_gzip(const uint8_t *b, size_t len) { return len >= 2 && b[0] == 0x1f && b[1] == 0x8b; }

int hush_train_data_parse(hush_dataset **out, uint32_t format, const uint8_t *data, size_t len,
                          const uint8_t *labels, size_t labels_len, hush_parse_error *err,
                          const hush_allocator *alloc) {
    hush__perr_clear(err);
    if (!out) return HUSH_EARG;
    *out = NULL;
    if (!data && len) return HUSH_EARG;
    if (!hush_train_format_name(format)) return HUSH_EARG;
    /* Parsed as text, a compressed file fails on its first field with a line of binary noise. */
    if (is_gzip(data, len) || (format == HUSH_TRAIN_FORMAT_IDX && is_gzip(labels, labels_len)))
        return hush__perr(err, HUSH_EFORMAT, 0, 0,
                          "the %s is gzip-compressed: decompress it first (gunzip)",
                          is_gzip(data, len) ? "file" : "labels file");
    switch (format) {
    case HUSH_TRAIN_FORMAT_ARFF: return hush_arff_parse(out, (const char *)data, len, err, alloc);
    case HUSH_TRAIN_FORMAT_IDX: return hush_idx_parse(out, data, len, labels, labels_len, err, alloc);
    default: break;
    }
    int rc = hush_csv_parse(out, (const char *)data, len, err, alloc);
    /* sklearn's digits are 4-bit grey levels 0..16 */
    if (rc == HUSH_OK && format == HUSH_TRAIN_FORMAT_DIGITS) rc = hush_dataset_scale(*out, 1.0f / 16.0f);
    if (rc != HUSH_OK) {
        hush_dataset_free(*out);
        *out = NULL;
    }
    return rc;
}

/* ---- bounds file ---- */

static int is_sep(char c) { return hush__is_space(c) || c == ','; }

int hush_train_bounds_parse(double *lo_hi, size_t cap, size_t *written, const char *text, size_t len,
                            hush_parse_error *err) {
    hush__perr_clear(err);
    if (!written || (!text && len)) return HUSH_EARG;
    *written = 0;
    size_t line = 0, pos = 0, k = 0;
    while (pos < len) {
        size_t start = pos, end = pos;
        while (end < len && text[end] != '\n') end++;
        pos = end < len ? end + 1 : end;
        line++;
        for (size_t i = start; i < end; i++)
            if (text[i] == '#') {
                end = i;
                break;
            }
        /* up to three tokens: [name] lo hi */
        size_t ts[4], te[4], nt = 0, i = start;
        while (i < end) {
            while (i < end && is_sep(text[i])) i++;
            if (i == end) break;
            if (nt == 3) return hush__perr(err, HUSH_EFORMAT, line, i, "more than '[name] lo hi'");
            ts[nt] = i;
            while (i < end && !is_sep(text[i])) i++;
            te[nt++] = i;
        }
        if (nt == 0) continue;
        if (nt == 1) return hush__perr(err, HUSH_EFORMAT, line, ts[0], "expected '[name] lo hi'");
        double v[2];
        for (int t = 0; t < 2; t++) {
            size_t a = ts[nt - 2 + (size_t)t], b = te[nt - 2 + (size_t)t];
            if (hush__parse_f64(text + a, b - a, &v[t]) != HUSH_OK) {
                char tok[40];
                hush__quote_token(tok, sizeof tok, text + a, b - a);
                return hush__perr(err, HUSH_EFORMAT, line, a, "'%s' is not a number", tok);
            }
        }
        if (!(v[0] < v[1]) || !isfinite(2.0 / (v[1] - v[0])))
            return hush__perr(err, HUSH_EFORMAT, line, ts[nt - 2], "lo must be below hi");
        if (lo_hi) {
            if (k == cap) return hush__perr(err, HUSH_ERANGE, line, start, "more than %zu bounds", cap);
            lo_hi[2 * k] = v[0];
            lo_hi[2 * k + 1] = v[1];
        } else if (k == HUSH_TRAIN_MAX_BOUNDS) {
            return hush__perr(err, HUSH_ERANGE, line, start, "more than %u bounds", (unsigned)HUSH_TRAIN_MAX_BOUNDS);
        }
        k++;
    }
    *written = k;
    return HUSH_OK;
}
