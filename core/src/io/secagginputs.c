/* The secure-aggregation inputs file of `hush secagg sim --inputs` (hush_secagg_inputs_parse in
 * hush/secagg.h): one client per line, unsigned decimal values below 2^bits separated by commas
 * and/or blanks (a trailing comma is allowed), blank lines skipped, '\r' ignored; every line has
 * the first line's count.
 *
 * Like the PATE votes parser it writes into a caller buffer and allocates nothing: call once with
 * out == NULL to learn clients and dim, then again with a buffer of clients * dim values. Counts
 * are checked against the secure-aggregation limits before anything is used as a size. */
#include <stdio.h>
#include <string.h>

#include "hush/secagg.h"

static void set_err(hush_parse_error *err, size_t line, size_t offset, const char *msg, size_t field) {
    if (!err) return;
    err->line = line;
    err->offset = offset;
    if (field)
        snprintf(err->msg, sizeof err->msg, "value %zu: %s", field, msg);
    else
        snprintf(err->msg, sizeof err->msg, "%s", msg);
}

static int is_blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

int hush_secagg_inputs_parse(uint32_t *out, size_t cap, size_t *clients, size_t *dim, uint32_t bits,
                             const char *text, size_t len, hush_parse_error *err) {
    if (err) memset(err, 0, sizeof *err);
    if (!clients || !dim || (!text && len) || bits < 1 || bits > HUSH_SECAGG_MAX_BITS) return HUSH_EARG;
    uint64_t max = bits == 32 ? 0xffffffffu : ((uint64_t)1 << bits) - 1;
    size_t rows = 0, cols = 0, line = 0, n = 0;
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
        while (q < eol) {
            if (*q < '0' || *q > '9') {
                set_err(err, line, (size_t)(q - text), "expected an unsigned integer", c + 1);
                return HUSH_EFORMAT;
            }
            uint64_t v = 0;
            while (q < eol && *q >= '0' && *q <= '9') {
                v = v * 10 + (uint64_t)(*q - '0');
                if (v > max) {
                    char msg[64];
                    snprintf(msg, sizeof msg, "not below 2^%u", bits);
                    set_err(err, line, (size_t)(q - text), msg, c + 1);
                    return HUSH_EFORMAT;
                }
                q++;
            }
            if (rows == 0 && c >= HUSH_SECAGG_MAX_DIM) {
                set_err(err, line, (size_t)(q - text), "too many values in a line", 0);
                return HUSH_ERANGE;
            }
            if (rows > 0 && c >= cols) {
                set_err(err, line, (size_t)(q - text), "more values than the first line", 0);
                return HUSH_EFORMAT;
            }
            if (out) {
                if (n >= cap) return HUSH_ERANGE;
                out[n] = (uint32_t)v;
            }
            n++;
            c++;
            while (q < eol && is_blank(*q)) q++;
            if (q < eol && *q == ',') q++;
            while (q < eol && is_blank(*q)) q++;
        }
        if (rows == 0) {
            cols = c;
        } else if (c != cols) {
            set_err(err, line, (size_t)(q - text), "fewer values than the first line", 0);
            return HUSH_EFORMAT;
        }
        if (++rows > HUSH_SECAGG_MAX_CLIENTS) {
            set_err(err, line, (size_t)(p - text), "more clients than HUSH_SECAGG_MAX_CLIENTS", 0);
            return HUSH_ERANGE;
        }
        p = eol + (eol < end);
    }
    if (rows < 2) {
        set_err(err, line, len, "need at least two clients (lines)", 0);
        return HUSH_EFORMAT;
    }
    *clients = rows;
    *dim = cols;
    return HUSH_OK;
}
