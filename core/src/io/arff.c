/* ARFF (Weka's Attribute-Relation File Format) parser for untrusted text.
 *
 * Accepted: @relation, @attribute NAME numeric|real|integer|{v1, v2, ...}, @data; keywords in
 * any case; names and values bare or quoted with '...' or "..." (escapes \\ \' \" \% \n \t \r);
 * % comments to end of line outside quotes; blank lines; CRLF. A bare '?' is a missing value
 * (a quoted '?' is the literal string "?", as in Weka). Rejected with HUSH_EUNSUPPORTED: string,
 * date and relational attributes, sparse rows ("{0 x, 3 y}") and instance weights.
 *
 * Output: numeric attributes become one column each; nominal attributes become one one-hot
 * column per declared value, in declaration order. The class (the attribute named "class",
 * compared case-insensitively, else the last attribute) must be nominal; its label is the value's
 * position in the declaration and it takes no feature column. A missing class value is an error,
 * because every row needs a label.
 *
 * Passes: the header is parsed twice (count, then fill exact-size arrays, so no growing
 * buffers); the data lines are counted, the matrix is allocated once after every limit has been
 * checked, and each row is tokenised twice (count fields, then store) so that a row with a wrong
 * number of fields is reported as such rather than as a misplaced value.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "io/dataset.h"

typedef struct arff_val {
    const char *s; /* unescaped, NUL-terminated, in the arena */
    size_t len;
    uint32_t pos; /* declaration index */
} arff_val;

typedef struct arff_attr {
    const char *name;
    size_t name_len;
    int nominal;
    size_t val_first, n_vals; /* into vals[] and sorted[] */
    size_t line;
    size_t col; /* first feature column */
} arff_attr;

typedef struct arff {
    const char *t;
    size_t len;
    hush_parse_error *err;
    const hush_allocator *alloc;
    int fill; /* 0: header counting pass, 1: storing pass */
    size_t n_attr, n_val, arena_len;
    size_t arena_pos;
    arff_attr *attrs;
    arff_val *vals, *sorted;
    char *arena;
    size_t data_pos, data_line;
    size_t class_idx, dim;
    char *scratch;
    size_t scratch_len;
    size_t attrs_cap, vals_cap, arena_cap; /* sizes the arrays were allocated with */
} arff;

static int line_next(const char *t, size_t len, size_t *pos, size_t *b, size_t *e) {
    if (*pos >= len) return 0;
    const char *nl = memchr(t + *pos, '\n', len - *pos);
    *b = *pos;
    *e = nl ? (size_t)(nl - t) : len;
    *pos = nl ? *e + 1 : len;
    return 1;
}

static size_t skip_ws(const char *t, size_t i, size_t e) {
    while (i < e && hush__is_space(t[i])) i++;
    return i;
}

static int is_delim(char c) {
    return hush__is_space(c) || c == ',' || c == '{' || c == '}' || c == '%' || c == '\'' || c == '"';
}

static int lower(int c) { return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c; }

static int ieq(const char *s, size_t n, const char *lit) {
    size_t m = strlen(lit);
    if (n != m) return 0;
    for (size_t i = 0; i < n; i++)
        if (lower((unsigned char)s[i]) != lit[i]) return 0;
    return 1;
}

/* Reads one bare or quoted token at t[*i]. A quoted token is unescaped into dst when dst is not
 * NULL (dst must have room for e - *i bytes); *s then points at dst, or into the text for a bare
 * token. An empty bare token (the next byte is a delimiter) yields n = 0, quoted = 0. */
static int read_tok(arff *A, size_t line, size_t *i, size_t e, char *dst, const char **s, size_t *n,
                    int *quoted) {
    const char *t = A->t;
    size_t k = *i;
    if (k < e && (t[k] == '\'' || t[k] == '"')) {
        char q = t[k++];
        size_t m = 0;
        for (;;) {
            if (k >= e) return hush__perr(A->err, HUSH_EFORMAT, line, *i, "unterminated quoted string");
            char c = t[k++];
            if (c == q) break;
            if (c == '\\') {
                if (k >= e) return hush__perr(A->err, HUSH_EFORMAT, line, *i, "unterminated quoted string");
                char x = t[k++];
                switch (x) {
                case '\\': case '\'': case '"': case '%': c = x; break;
                case 'n': c = '\n'; break;
                case 't': c = '\t'; break;
                case 'r': c = '\r'; break;
                default:
                    return hush__perr(A->err, HUSH_EFORMAT, line, k - 2, "unknown escape '\\%c'",
                                      (x >= 0x20 && x < 0x7f) ? x : '?');
                }
            }
            if (dst) dst[m] = c;
            m++;
        }
        *s = dst;
        *n = m;
        *quoted = 1;
    } else {
        while (k < e && !is_delim(t[k])) k++;
        *s = t + *i;
        *n = k - *i;
        *quoted = 0;
    }
    *i = k;
    return HUSH_OK;
}

/* Stores a string in the arena (fill pass) or just counts it; returns its arena copy. */
static const char *arena_put(arff *A, const char *s, size_t n) {
    if (!A->fill) {
        A->arena_len += n + 1;
        return NULL;
    }
    char *p = A->arena + A->arena_pos;
    if (n) memcpy(p, s, n);
    p[n] = 0;
    A->arena_pos += n + 1;
    return p;
}

/* Quoted tokens in the header are unescaped straight into the arena; bare ones are copied.
 * `what` names the expected token for the error message when it is missing. */
static int header_tok(arff *A, size_t line, size_t *i, size_t e, const char **out, size_t *n, const char *what) {
    char *dst = A->fill ? A->arena + A->arena_pos : NULL;
    const char *s;
    int q;
    size_t at = *i;
    int rc = read_tok(A, line, i, e, dst, &s, n, &q);
    if (rc != HUSH_OK) return rc;
    if (*n == 0 && !q) return hush__perr(A->err, HUSH_EFORMAT, line, at, "expected %s", what);
    if (q) {
        if (A->fill) {
            dst[*n] = 0;
            A->arena_pos += *n + 1;
        } else {
            A->arena_len += *n + 1;
        }
        *out = dst;
    } else {
        *out = arena_put(A, s, *n);
    }
    return HUSH_OK;
}

static int parse_attribute(arff *A, size_t line, size_t i, size_t e) {
    const char *t = A->t;
    char tmp[40];
    i = skip_ws(t, i, e);
    size_t name_at = i;
    const char *name = NULL;
    size_t name_len = 0;
    int rc = header_tok(A, line, &i, e, &name, &name_len, "an attribute name");
    if (rc != HUSH_OK) return rc;
    if (A->n_attr >= HUSH_DATA_MAX_COLS + 1u)
        return hush__perr(A->err, HUSH_ERANGE, line, name_at, "more than %u attributes", HUSH_DATA_MAX_COLS + 1u);
    arff_attr *a = A->fill ? &A->attrs[A->n_attr] : NULL;
    if (a) {
        a->name = name;
        a->name_len = name_len;
        a->line = line;
        a->val_first = A->n_val;
        a->n_vals = 0;
        a->nominal = 0;
    }
    A->n_attr++;
    i = skip_ws(t, i, e);
    if (i < e && t[i] == '{') {
        i++;
        size_t k = 0;
        for (;;) {
            i = skip_ws(t, i, e);
            if (i >= e) return hush__perr(A->err, HUSH_EFORMAT, line, i, "unterminated nominal list");
            if (k == 0 && t[i] == '}')
                return hush__perr(A->err, HUSH_EFORMAT, line, i, "empty nominal list");
            size_t at = i;
            const char *v = NULL;
            size_t vn = 0;
            rc = header_tok(A, line, &i, e, &v, &vn, "a nominal value");
            if (rc != HUSH_OK) return rc;
            if (k >= HUSH_DATA_MAX_CLASSES)
                return hush__perr(A->err, HUSH_ERANGE, line, at, "more than %u nominal values", HUSH_DATA_MAX_CLASSES);
            if (A->fill) {
                arff_val *val = &A->vals[A->n_val];
                val->s = v;
                val->len = vn;
                val->pos = (uint32_t)k;
                A->sorted[A->n_val] = *val;
            }
            A->n_val++;
            k++;
            i = skip_ws(t, i, e);
            if (i >= e || t[i] == '%') return hush__perr(A->err, HUSH_EFORMAT, line, i, "unterminated nominal list");
            if (t[i] == ',') {
                i++;
                continue;
            }
            if (t[i] == '}') {
                i++;
                break;
            }
            return hush__perr(A->err, HUSH_EFORMAT, line, i, "expected ',' or '}' in nominal list");
        }
        if (a) {
            a->nominal = 1;
            a->n_vals = k;
        }
    } else {
        size_t k = i;
        while (k < e && ((t[k] >= 'a' && t[k] <= 'z') || (t[k] >= 'A' && t[k] <= 'Z'))) k++;
        if (ieq(t + i, k - i, "numeric") || ieq(t + i, k - i, "real") || ieq(t + i, k - i, "integer")) {
            i = k;
        } else if (ieq(t + i, k - i, "string") || ieq(t + i, k - i, "date") || ieq(t + i, k - i, "relational")) {
            char ty[16];
            hush__quote_token(ty, sizeof ty, t + i, k - i);
            for (char *p = ty; *p; p++) *p = (char)lower((unsigned char)*p);
            return hush__perr(A->err, HUSH_EUNSUPPORTED, line, i, "%s attributes are not supported", ty);
        } else {
            size_t k2 = i;
            while (k2 < e && !hush__is_space(t[k2])) k2++;
            hush__quote_token(tmp, sizeof tmp, t + i, k2 - i);
            return hush__perr(A->err, HUSH_EFORMAT, line, i, "unknown attribute type '%s'", tmp);
        }
    }
    i = skip_ws(t, i, e);
    if (i < e && t[i] != '%')
        return hush__perr(A->err, HUSH_EFORMAT, line, i, "unexpected text after attribute type");
    return HUSH_OK;
}

/* One pass over the header; stops after the @data line. */
static int parse_header(arff *A) {
    const char *t = A->t;
    size_t pos = 0, b, e, line = 0;
    int seen_relation = 0;
    A->n_attr = A->n_val = 0;
    A->arena_pos = 0;
    while (line_next(t, A->len, &pos, &b, &e)) {
        line++;
        size_t i = skip_ws(t, b, e);
        if (i == e || t[i] == '%') continue;
        if (t[i] != '@')
            return hush__perr(A->err, HUSH_EFORMAT, line, i, "expected @relation, @attribute or @data");
        size_t k = i + 1;
        while (k < e && ((t[k] >= 'a' && t[k] <= 'z') || (t[k] >= 'A' && t[k] <= 'Z'))) k++;
        const char *kw = t + i + 1;
        size_t kn = k - i - 1;
        if (k < e && !hush__is_space(t[k]) && t[k] != '%') kn = 0; /* "@attribute'x'" etc. */
        if (ieq(kw, kn, "relation")) {
            /* The relation name is not used, so its syntax is not policed. */
            if (seen_relation) return hush__perr(A->err, HUSH_EFORMAT, line, i, "duplicate @relation");
            seen_relation = 1;
        } else if (ieq(kw, kn, "attribute")) {
            if (!seen_relation) return hush__perr(A->err, HUSH_EFORMAT, line, i, "@attribute before @relation");
            int rc = parse_attribute(A, line, k, e);
            if (rc != HUSH_OK) return rc;
        } else if (ieq(kw, kn, "data")) {
            size_t r = skip_ws(t, k, e);
            if (r < e && t[r] != '%') return hush__perr(A->err, HUSH_EFORMAT, line, r, "unexpected text after @data");
            if (A->n_attr == 0) return hush__perr(A->err, HUSH_EFORMAT, line, i, "no @attribute before @data");
            A->data_pos = pos;
            A->data_line = line;
            return HUSH_OK;
        } else {
            char tmp[24];
            size_t k2 = i;
            while (k2 < e && !hush__is_space(t[k2])) k2++;
            hush__quote_token(tmp, sizeof tmp, t + i, k2 - i);
            return hush__perr(A->err, HUSH_EFORMAT, line, i, "unknown keyword '%s'", tmp);
        }
    }
    if (!seen_relation) return hush__perr(A->err, HUSH_EFORMAT, line ? line : 1, A->len, "missing @relation");
    return hush__perr(A->err, HUSH_EFORMAT, line ? line : 1, A->len, "missing @data");
}

static int val_cmp(const void *pa, const void *pb) {
    const arff_val *a = pa, *b = pb;
    size_t n = a->len < b->len ? a->len : b->len;
    int c = n ? memcmp(a->s, b->s, n) : 0;
    if (c) return c;
    return (a->len > b->len) - (a->len < b->len);
}

/* Declaration index of s among attribute a's values, or -1. */
static long lookup(const arff *A, const arff_attr *a, const char *s, size_t n) {
    arff_val key = {s, n, 0};
    const arff_val *hit = bsearch(&key, A->sorted + a->val_first, a->n_vals, sizeof key, val_cmp);
    return hit ? (long)hit->pos : -1;
}

/* Tokenises one data row; with d == NULL only counts fields into *nf. */
static int parse_row(arff *A, hush_dataset *d, size_t row, size_t line, size_t b, size_t e, size_t *nf) {
    const char *t = A->t;
    char tmp[24], nm[24];
    size_t i = skip_ws(t, b, e), f = 0;
    if (i < e && t[i] == '{')
        return hush__perr(A->err, HUSH_EUNSUPPORTED, line, i, "sparse ARFF rows are not supported");
    for (;;) {
        i = skip_ws(t, i, e);
        size_t at = i;
        const char *s;
        size_t n;
        int q;
        int rc = read_tok(A, line, &i, e, d ? A->scratch : NULL, &s, &n, &q);
        if (rc != HUSH_OK) return rc;
        if (n == 0 && !q) {
            if (at < e && t[at] == '{')
                return hush__perr(A->err, HUSH_EUNSUPPORTED, line, at, "instance weights are not supported");
            return hush__perr(A->err, HUSH_EFORMAT, line, at, "empty value in field %zu", f + 1);
        }
        if (d && f < A->n_attr) {
            const arff_attr *a = &A->attrs[f];
            int missing = !q && n == 1 && s[0] == '?';
            if (f == A->class_idx) {
                if (missing) return hush__perr(A->err, HUSH_EFORMAT, line, at, "missing class value");
                long k = lookup(A, a, s, n);
                if (k < 0) {
                    hush__quote_token(tmp, sizeof tmp, s, n);
                    return hush__perr(A->err, HUSH_EFORMAT, line, at, "unknown class value '%s'", tmp);
                }
                d->labels[row] = (uint32_t)k;
            } else if (!a->nominal) {
                float v = NAN;
                if (!missing) {
                    rc = hush__parse_f32(s, n, &v);
                    if (rc != HUSH_OK) {
                        hush__quote_token(tmp, sizeof tmp, s, n);
                        hush__quote_token(nm, sizeof nm, a->name, a->name_len);
                        return hush__perr(A->err, rc, line, at, "field %zu (%s): %s number '%s'", f + 1, nm,
                                          rc == HUSH_ERANGE ? "out-of-range" : "invalid", tmp);
                    }
                }
                d->x[row * d->dim + a->col] = v;
            } else if (!missing) {
                long k = lookup(A, a, s, n);
                if (k < 0) {
                    hush__quote_token(tmp, sizeof tmp, s, n);
                    hush__quote_token(nm, sizeof nm, a->name, a->name_len);
                    return hush__perr(A->err, HUSH_EFORMAT, line, at, "field %zu (%s): unknown value '%s'", f + 1,
                                      nm, tmp);
                }
                d->x[row * d->dim + a->col + (size_t)k] = 1.0f;
            }
        }
        f++;
        i = skip_ws(t, i, e);
        if (i >= e || t[i] == '%') break;
        if (t[i] != ',') return hush__perr(A->err, HUSH_EFORMAT, line, i, "expected ',' after field %zu", f);
        i++;
    }
    *nf = f;
    return HUSH_OK;
}

static void arff_release(arff *A) {
    /* scratch holds a raw row; the rest describes the file's schema, wiped all the same */
    hush__free_wipe(A->alloc, A->attrs, A->attrs_cap * sizeof(arff_attr));
    hush__free_wipe(A->alloc, A->vals, A->vals_cap * sizeof(arff_val));
    hush__free_wipe(A->alloc, A->sorted, A->vals_cap * sizeof(arff_val));
    hush__free_wipe(A->alloc, A->arena, A->arena_cap);
    hush__free_wipe(A->alloc, A->scratch, A->scratch_len);
}

/* Everything after the header: choose the class, lay out the columns, then the data. */
static int arff_build(arff *A, hush_dataset **out) {
    const char *t = A->t;
    char nm[24];
    /* class attribute */
    size_t ci = A->n_attr;
    for (size_t j = 0; j < A->n_attr; j++) {
        if (!ieq(A->attrs[j].name, A->attrs[j].name_len, "class")) continue;
        if (ci != A->n_attr)
            return hush__perr(A->err, HUSH_EFORMAT, A->attrs[j].line, 0, "more than one attribute named 'class'");
        ci = j;
    }
    if (ci == A->n_attr) ci = A->n_attr - 1;
    A->class_idx = ci;
    const arff_attr *ca = &A->attrs[ci];
    if (!ca->nominal) {
        hush__quote_token(nm, sizeof nm, ca->name, ca->name_len);
        return hush__perr(A->err, HUSH_EFORMAT, ca->line, 0, "class attribute '%s' must be nominal", nm);
    }
    /* columns */
    size_t dim = 0;
    for (size_t j = 0; j < A->n_attr; j++) {
        arff_attr *a = &A->attrs[j];
        a->col = dim;
        if (j != ci) dim += a->nominal ? a->n_vals : 1;
        if (dim > HUSH_DATA_MAX_COLS)
            return hush__perr(A->err, HUSH_ERANGE, a->line, 0, "more than %u feature columns", HUSH_DATA_MAX_COLS);
        if (a->nominal) {
            arff_val *v = A->sorted + a->val_first;
            qsort(v, a->n_vals, sizeof *v, val_cmp);
            for (size_t k = 1; k < a->n_vals; k++)
                if (val_cmp(&v[k - 1], &v[k]) == 0) {
                    hush__quote_token(nm, sizeof nm, v[k].s, v[k].len);
                    return hush__perr(A->err, HUSH_EFORMAT, a->line, 0, "duplicate nominal value '%s'", nm);
                }
        }
    }
    if (dim == 0) return hush__perr(A->err, HUSH_EFORMAT, ca->line, 0, "no feature attributes besides the class");
    A->dim = dim;

    /* count rows and the longest line (the unescape buffer never needs more) */
    size_t pos = A->data_pos, b, e, line = A->data_line, rows = 0, maxlen = 0;
    while (line_next(t, A->len, &pos, &b, &e)) {
        size_t i = skip_ws(t, b, e);
        if (i == e || t[i] == '%') continue;
        rows++;
        if (e - b > maxlen) maxlen = e - b;
    }
    if (rows == 0) return hush__perr(A->err, HUSH_EFORMAT, A->data_line, A->len, "no data rows");
    if (!hush__dataset_size_ok(rows, dim))
        return hush__perr(A->err, HUSH_ERANGE, 0, A->data_pos, "%zu rows x %zu columns exceeds the limits", rows, dim);

    A->scratch_len = maxlen + 1;
    A->scratch = hush__alloc(A->alloc, A->scratch_len);
    if (!A->scratch) return hush__perr(A->err, HUSH_ENOMEM, 0, 0, "out of memory");
    hush_dataset *d;
    int rc = hush__dataset_alloc(&d, rows, dim, A->alloc);
    if (rc != HUSH_OK) return hush__perr(A->err, rc, 0, 0, "out of memory");
    size_t names_len = 0;
    for (size_t k = 0; k < ca->n_vals; k++) names_len += A->vals[ca->val_first + k].len + 1;
    rc = hush__dataset_alloc_names(d, (uint32_t)ca->n_vals, names_len);
    if (rc != HUSH_OK) {
        hush_dataset_free(d);
        return hush__perr(A->err, rc, 0, 0, "out of memory");
    }
    for (size_t k = 0, off = 0; k < ca->n_vals; k++) {
        const arff_val *v = &A->vals[ca->val_first + k];
        d->name_off[k] = (uint32_t)off;
        memcpy(d->names + off, v->s, v->len + 1);
        off += v->len + 1;
    }
    for (size_t j = 0; j < A->n_attr; j++)
        if (j != ci && A->attrs[j].nominal)
            memset(d->onehot + A->attrs[j].col, 1, A->attrs[j].n_vals);

    pos = A->data_pos;
    size_t row = 0;
    while (line_next(t, A->len, &pos, &b, &e)) {
        line++;
        size_t i = skip_ws(t, b, e);
        if (i == e || t[i] == '%') continue;
        size_t nf = 0;
        rc = parse_row(A, NULL, row, line, b, e, &nf);
        if (rc == HUSH_OK && nf != A->n_attr)
            rc = hush__perr(A->err, HUSH_EFORMAT, line, b, "expected %zu fields, got %zu", A->n_attr, nf);
        if (rc == HUSH_OK) rc = parse_row(A, d, row, line, b, e, &nf);
        if (rc != HUSH_OK) {
            hush_dataset_free(d);
            return rc;
        }
        row++;
    }
    *out = d;
    return HUSH_OK;
}

int hush_arff_parse(hush_dataset **out, const char *text, size_t len, hush_parse_error *err,
                    const hush_allocator *alloc) {
    if (!hush__alloc_ok(alloc)) return HUSH_EARG;
    hush__perr_clear(err);
    if (out) *out = NULL;
    if (!out || (!text && len)) return hush__perr(err, HUSH_EARG, 0, 0, "invalid argument");
    arff A;
    memset(&A, 0, sizeof A);
    A.t = text;
    A.len = len;
    A.err = err;
    A.alloc = alloc;
    int rc = parse_header(&A);
    if (rc != HUSH_OK) return rc;
    A.attrs_cap = A.n_attr;
    A.vals_cap = A.n_val;
    A.arena_cap = A.arena_len;
    A.attrs = hush__calloc(alloc, A.attrs_cap, sizeof(arff_attr));
    A.vals = hush__calloc(alloc, A.vals_cap, sizeof(arff_val));
    A.sorted = hush__calloc(alloc, A.vals_cap, sizeof(arff_val));
    A.arena = hush__alloc(alloc, A.arena_cap);
    if (!A.attrs || !A.vals || !A.sorted || !A.arena) {
        arff_release(&A);
        return hush__perr(err, HUSH_ENOMEM, 0, 0, "out of memory");
    }
    A.fill = 1;
    rc = parse_header(&A);
    /* Both passes run the same code on the same text, so they agree on every count. */
    if (rc == HUSH_OK && (A.n_attr != A.attrs_cap || A.n_val != A.vals_cap || A.arena_pos != A.arena_cap))
        rc = hush__perr(err, HUSH_EFORMAT, 0, 0, "internal: header passes disagree");
    if (rc == HUSH_OK) rc = arff_build(&A, out);
    arff_release(&A);
    return rc;
}
