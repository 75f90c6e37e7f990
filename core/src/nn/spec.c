/* Model spec strings: "dense:32,relu,dense:2", "conv:16:5[:same|:valid],relu,maxpool,dense:10".
 *
 * Grammar (lower case, comma separated, spaces/tabs allowed around tokens only):
 *   dense:UNITS | conv:FILTERS:KERNEL[:same|:valid] | maxpool | relu | tanh | sigmoid
 * Numbers are decimal digits. Conv padding defaults to valid, and the canonical format omits it.
 * Errors report the byte offset of the start of the offending token. The per-layer rule every
 * path checks (hush__nn_layer_check, nn/spec.h) lives here too.
 */
#include <string.h>

#include "nn/model.h"
#include "nn/spec.h"

int hush__nn_layer_check(const hush_layer_spec *l) {
    switch (l->kind) {
    case HUSH_LAYER_DENSE:
        if (l->a == 0 || l->a > HUSH_MODEL_MAX_UNITS || l->b != 0 || l->c != 0) return HUSH_EFORMAT;
        return HUSH_OK;
    case HUSH_LAYER_CONV2D:
        if (l->a == 0 || l->a > HUSH_MODEL_MAX_UNITS) return HUSH_EFORMAT;
        if (l->b == 0 || l->b > HUSH_MODEL_MAX_KERNEL) return HUSH_EFORMAT;
        if (l->c != HUSH_PAD_VALID && l->c != HUSH_PAD_SAME) return HUSH_EFORMAT;
        return HUSH_OK;
    case HUSH_LAYER_MAXPOOL:
    case HUSH_LAYER_RELU:
    case HUSH_LAYER_TANH:
    case HUSH_LAYER_SIGMOID:
        return (l->a | l->b | l->c) ? HUSH_EFORMAT : HUSH_OK;
    default:
        return HUSH_EFORMAT;
    }
}

/* Parses a decimal number at s[*i..end); fails on no digits or a value above 10^9. */
static int parse_num(const char *s, size_t *i, size_t end, uint32_t *out) {
    size_t j = *i;
    uint32_t v = 0;
    while (j < end && s[j] >= '0' && s[j] <= '9') {
        if (v > 100000000u) return 0;
        v = v * 10u + (uint32_t)(s[j] - '0');
        j++;
    }
    if (j == *i) return 0;
    *i = j;
    *out = v;
    return 1;
}

static int word_is(const char *s, size_t i, size_t end, const char *w) {
    size_t n = strlen(w);
    return end - i == n && memcmp(s + i, w, n) == 0;
}

static int starts_with(const char *s, size_t i, size_t end, const char *w) {
    size_t n = strlen(w);
    return end - i >= n && memcmp(s + i, w, n) == 0;
}

/* One token s[i..end) into *l. */
static int parse_token(const char *s, size_t i, size_t end, hush_layer_spec *l) {
    memset(l, 0, sizeof *l);
    if (word_is(s, i, end, "relu")) l->kind = HUSH_LAYER_RELU;
    else if (word_is(s, i, end, "tanh")) l->kind = HUSH_LAYER_TANH;
    else if (word_is(s, i, end, "sigmoid")) l->kind = HUSH_LAYER_SIGMOID;
    else if (word_is(s, i, end, "maxpool")) l->kind = HUSH_LAYER_MAXPOOL;
    else if (starts_with(s, i, end, "dense:")) {
        i += 6;
        l->kind = HUSH_LAYER_DENSE;
        if (!parse_num(s, &i, end, &l->a) || i != end) return HUSH_EFORMAT;
    } else if (starts_with(s, i, end, "conv:")) {
        i += 5;
        l->kind = HUSH_LAYER_CONV2D;
        if (!parse_num(s, &i, end, &l->a) || i >= end || s[i] != ':') return HUSH_EFORMAT;
        i++;
        if (!parse_num(s, &i, end, &l->b)) return HUSH_EFORMAT;
        if (i < end) {
            if (word_is(s, i, end, ":same")) l->c = HUSH_PAD_SAME;
            else if (word_is(s, i, end, ":valid")) l->c = HUSH_PAD_VALID;
            else return HUSH_EFORMAT;
        }
    } else {
        return HUSH_EFORMAT;
    }
    return hush__nn_layer_check(l);
}

static int is_space(char c) { return c == ' ' || c == '\t'; }

int hush_model_spec_parse(hush_layer_spec *layers, size_t max_layers, size_t *written, const char *spec,
                          size_t *err_pos) {
    if (err_pos) *err_pos = 0;
    if (!written || !spec || (!layers && max_layers)) return HUSH_EARG;
    *written = 0;
    size_t pos = 0, count = 0;
    for (;;) {
        while (is_space(spec[pos])) pos++;
        size_t start = pos, end;
        while (spec[pos] && spec[pos] != ',') pos++;
        end = pos;
        while (end > start && is_space(spec[end - 1])) end--;
        hush_layer_spec l;
        int rc = HUSH_OK;
        if (parse_token(spec, start, end, &l) != HUSH_OK) rc = HUSH_EFORMAT;
        else if (count == HUSH_MODEL_MAX_LAYERS) rc = HUSH_EFORMAT;
        else if (count == max_layers) rc = HUSH_ERANGE; /* the caller's array is too small */
        if (rc != HUSH_OK) {
            if (err_pos) *err_pos = start;
            return rc;
        }
        layers[count++] = l;
        if (spec[pos] != ',') break;
        pos++;
    }
    *written = count;
    return HUSH_OK;
}

/* Appends s to out if it fits (keeping room for the NUL); always advances *n. */
static void put(char *out, size_t cap, size_t *n, const char *s) {
    for (; *s; s++, (*n)++)
        if (*n + 1 < cap) out[*n] = *s;
}

static void put_u32(char *out, size_t cap, size_t *n, uint32_t v) {
    char tmp[11];
    int i = 10;
    tmp[i] = 0;
    do {
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    put(out, cap, n, tmp + i);
}

/* On HUSH_ERANGE (cap too small) *written is the length that is needed, excluding the NUL, and
 * out holds "" if cap > 0; out may be NULL with cap 0 to ask for the length. */
int hush_model_spec_format(char *out, size_t cap, size_t *written, const hush_layer_spec *layers,
                           size_t n_layers) {
    if (written) *written = 0;
    if (!written || (!out && cap) || (!layers && n_layers)) return HUSH_EARG;
    size_t n = 0;
    for (size_t i = 0; i < n_layers; i++) {
        const hush_layer_spec *l = &layers[i];
        if (hush__nn_layer_check(l) != HUSH_OK) {
            if (cap) out[0] = 0;
            return HUSH_EFORMAT;
        }
        if (i) put(out, cap, &n, ",");
        switch (l->kind) {
        case HUSH_LAYER_DENSE:
            put(out, cap, &n, "dense:");
            put_u32(out, cap, &n, l->a);
            break;
        case HUSH_LAYER_CONV2D:
            put(out, cap, &n, "conv:");
            put_u32(out, cap, &n, l->a);
            put(out, cap, &n, ":");
            put_u32(out, cap, &n, l->b);
            if (l->c == HUSH_PAD_SAME) put(out, cap, &n, ":same");
            break;
        case HUSH_LAYER_MAXPOOL: put(out, cap, &n, "maxpool"); break;
        case HUSH_LAYER_RELU: put(out, cap, &n, "relu"); break;
        case HUSH_LAYER_TANH: put(out, cap, &n, "tanh"); break;
        default: put(out, cap, &n, "sigmoid"); break;
        }
    }
    *written = n;
    if (n + 1 > cap) {
        if (cap) out[0] = 0;
        return HUSH_ERANGE;
    }
    out[n] = 0;
    return HUSH_OK;
}
