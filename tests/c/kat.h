/* Reader for the project's known-answer files (tests/vectors/<module>/<case>.kat):
 *   '#' lines are comments, "name = value" lines are fields, a blank line ends a case.
 * Byte strings are hex; everything else is text that the test interprets. The file is read
 * into memory once and the fields point into it; kat_free releases it. Test-only code: it
 * reports malformed files loudly instead of guessing. */
#ifndef HUSH_TEST_KAT_H
#define HUSH_TEST_KAT_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KAT_MAX_FIELDS 32

typedef struct kat_field {
    const char *name, *value;
} kat_field;

typedef struct kat_case {
    kat_field f[KAT_MAX_FIELDS];
    size_t n;
    size_t line; /* first line of the case, for messages */
} kat_case;

typedef struct kat_file {
    char *text;
    kat_case *cases;
    size_t n;
} kat_file;

static inline char *kat_trim_(char *s) {
    while (*s == ' ' || *s == '\t') s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r')) s[--n] = 0;
    return s;
}

/* 0 on success; -1 if the file is missing or malformed (a message is printed for the latter). */
static inline int kat_load(kat_file *k, const char *path) {
    memset(k, 0, sizeof *k);
    FILE *fp = fopen(path, "rb");
    if (!fp) return -1;
    fseek(fp, 0, SEEK_END);
    long len = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    k->text = malloc((size_t)len + 1);
    if (!k->text || fread(k->text, 1, (size_t)len, fp) != (size_t)len) {
        fclose(fp);
        free(k->text);
        k->text = NULL;
        return -1;
    }
    fclose(fp);
    k->text[len] = 0;
    size_t cap = 1;
    for (long i = 0; i < len; i++) cap += k->text[i] == '\n';
    k->cases = calloc(cap, sizeof *k->cases);
    if (!k->cases) return -1;
    kat_case *cur = NULL;
    size_t lineno = 0;
    for (char *line = k->text; line;) {
        char *nl = strchr(line, '\n');
        if (nl) *nl = 0;
        lineno++;
        char *s = kat_trim_(line);
        if (*s == 0) {
            cur = NULL;
        } else if (*s != '#') {
            char *eq = strchr(s, '=');
            if (!eq) {
                fprintf(stderr, "%s:%zu: expected 'name = value'\n", path, lineno);
                return -1;
            }
            *eq = 0;
            if (!cur) {
                cur = &k->cases[k->n++];
                cur->line = lineno;
            }
            if (cur->n == KAT_MAX_FIELDS) {
                fprintf(stderr, "%s:%zu: too many fields in one case\n", path, lineno);
                return -1;
            }
            cur->f[cur->n].name = kat_trim_(s);
            cur->f[cur->n].value = kat_trim_(eq + 1);
            cur->n++;
        }
        line = nl ? nl + 1 : NULL;
    }
    return 0;
}

static inline void kat_free(kat_file *k) {
    free(k->text);
    free(k->cases);
    memset(k, 0, sizeof *k);
}

static inline const char *kat_get(const kat_case *c, const char *name) {
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->f[i].name, name) == 0) return c->f[i].value;
    return NULL;
}

static inline int kat_hexval_(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Decodes hex into a malloc'd buffer (never NULL on success, even when empty); NULL on bad hex. */
static inline unsigned char *kat_hex(const char *hex, size_t *len) {
    size_t n = strlen(hex);
    if (n % 2) return NULL;
    unsigned char *out = malloc(n / 2 + 1);
    if (!out) return NULL;
    for (size_t i = 0; i < n / 2; i++) {
        int hi = kat_hexval_(hex[2 * i]), lo = kat_hexval_(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            free(out);
            return NULL;
        }
        out[i] = (unsigned char)(hi << 4 | lo);
    }
    *len = n / 2;
    return out;
}

/* Whitespace-separated numbers (strtod syntax) into out[0..max); returns how many, or
 * (size_t)-1 if a token is not a number or there are more than max. */
static inline size_t kat_numbers(const char *s, double *out, size_t max) {
    size_t n = 0;
    for (;;) {
        while (*s == ' ' || *s == '\t') s++;
        if (!*s) return n;
        char *end;
        double v = strtod(s, &end);
        if (end == s || n == max) return (size_t)-1;
        out[n++] = v;
        s = end;
    }
}

#endif
