/* PATE teacher votes and answered-example indices, as text (the `hush pate` input files).
 *
 * Votes: one line per teacher, one comma-separated column per example, each field a label
 * 0..HUSH_PATE_VOTES_MAX_LABEL-1 (spaces, tabs and a trailing CR allowed around fields; blank lines
 * skipped); every row has the first row's column count. Indices: example numbers separated by
 * commas, spaces or newlines, each below the example count.
 *
 * Both parsers write into caller buffers and allocate nothing: call once with out == NULL to learn
 * the size, then again with a buffer. Every count is checked before it is used as a size. */
#include <string.h>

#include "base/fmt.h"
#include "hush/pate.h"

static void set_err(hush_parse_error *err, size_t line, size_t offset, const char *msg, size_t field) {
    if (!err) return;
    err->line = line;
    err->offset = offset;
    if (field)
        hush__fmt(err->msg, sizeof err->msg, "field %zu: %s", field, msg);
    else
        hush__fmt(err->msg, sizeof err->msg, "%s", msg);
}

static int is_blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

/* One decimal integer <= max at *p after optional blanks; *p ends just past its last digit. */
static int read_uint(const char **p, const char *end, uint64_t max, uint64_t *out) {
    const char *s = *p;
    while (s < end && (*s == ' ' || *s == '\t')) s++;
    if (s == end || *s < '0' || *s > '9') return -1;
    uint64_t v = 0;
    while (s < end && *s >= '0' && *s <= '9') {
        v = v * 10 + (uint64_t)(*s - '0');
        if (v > max) return -1;
        s++;
    }
    *p = s;
    *out = v;
    return 0;
}

int hush_pate_votes_parse(uint32_t *out, size_t cap, size_t *teachers, size_t *examples, uint32_t *max_label,
                          const char *text, size_t len, hush_parse_error *err) {
    if (err) memset(err, 0, sizeof *err);
    if (!teachers || !examples || !max_label || (!text && len)) return HUSH_EARG;
    size_t n = 0, cols = 0, rows = 0, line = 0;
    uint32_t mx = 0;
    const char *p = text, *end = text + len;
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol) eol = end;
        line++;
        const char *q = p;
        while (q < eol && is_blank(*q)) q++;
        if (q == eol) {
            p = eol + (eol < end);
            continue;
        }
        size_t c = 0;
        for (q = p;;) {
            uint64_t x;
            if (read_uint(&q, eol, HUSH_PATE_VOTES_MAX_LABEL - 1, &x)) {
                set_err(err, line, (size_t)(q - text), "expected a label 0..1048575", c + 1);
                return HUSH_EFORMAT;
            }
            if (rows && c == cols) {
                char msg[64];
                hush__fmt(msg, sizeof msg, "more than the first row's %zu columns", cols);
                set_err(err, line, (size_t)(q - text), msg, 0);
                return HUSH_EFORMAT;
            }
            if (n >= HUSH_PATE_VOTES_MAX) {
                set_err(err, line, (size_t)(q - text), "too many votes", 0);
                return HUSH_ERANGE;
            }
            if (out && n < cap) out[n] = (uint32_t)x;
            n++;
            if (x > mx) mx = (uint32_t)x;
            c++;
            while (q < eol && is_blank(*q)) q++;
            if (q == eol) break;
            if (*q != ',') {
                set_err(err, line, (size_t)(q - text), "expected ',' or the end of the line", c);
                return HUSH_EFORMAT;
            }
            q++;
        }
        if (rows && c != cols) {
            char msg[64];
            hush__fmt(msg, sizeof msg, "%zu columns, but the first row has %zu", c, cols);
            set_err(err, line, (size_t)(p - text), msg, 0);
            return HUSH_EFORMAT;
        }
        cols = c;
        rows++;
        p = eol + (eol < end);
    }
    if (rows == 0) {
        set_err(err, 0, 0, "no votes", 0);
        return HUSH_EFORMAT;
    }
    *teachers = rows;
    *examples = cols;
    *max_label = mx;
    if (out && cap < n) return HUSH_ERANGE;
    return HUSH_OK;
}

int hush_pate_indices_parse(uint32_t *out, size_t cap, size_t *written, size_t examples, const char *text,
                            size_t len, hush_parse_error *err) {
    if (err) memset(err, 0, sizeof *err);
    if (!written || (!text && len)) return HUSH_EARG;
    size_t n = 0, line = 1;
    const char *p = text, *end = text + len;
    while (p < end) {
        if (*p == '\n') line++;
        if (*p == '\n' || *p == ',' || is_blank(*p)) {
            p++;
            continue;
        }
        uint64_t x;
        if (read_uint(&p, end, UINT32_MAX, &x) || x >= examples) {
            set_err(err, line, (size_t)(p - text), "expected an example index below the example count", 0);
            return HUSH_EFORMAT;
        }
        if (p < end && *p != '\n' && *p != ',' && !is_blank(*p)) {
            set_err(err, line, (size_t)(p - text), "unexpected character after an index", 0);
            return HUSH_EFORMAT;
        }
        if (n >= HUSH_PATE_VOTES_MAX) {
            set_err(err, line, (size_t)(p - text), "too many indices", 0);
            return HUSH_ERANGE;
        }
        if (out && n < cap) out[n] = (uint32_t)x;
        n++;
    }
    *written = n;
    if (out && cap < n) return HUSH_ERANGE;
    return HUSH_OK;
}
