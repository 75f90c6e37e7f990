/* A small snprintf (see fmt.h). */
#include "base/fmt.h"

#include <limits.h>
#include <stdint.h>

typedef struct {
    char *out;
    size_t cap, n; /* n counts every byte, written or not */
} sink;

static void put(sink *s, char c) {
    if (s->n + 1 < s->cap) s->out[s->n] = c;
    s->n++;
}

/* v in base 10 or 16, left-padded with pad to width. */
static void put_uint(sink *s, uintmax_t v, unsigned base, int upper, int neg, char pad, unsigned width) {
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char buf[3 * sizeof(uintmax_t) + 2];
    unsigned k = 0;
    do {
        buf[k++] = digits[v % base];
        v /= base;
    } while (v);
    unsigned len = k + (neg ? 1u : 0u);
    if (neg && pad == '0') put(s, '-');
    for (; width > len; width--) put(s, pad);
    if (neg && pad != '0') put(s, '-');
    while (k) put(s, buf[--k]);
}

int hush__vfmt(char *out, size_t cap, const char *fmt, va_list ap) {
    sink s = {out, out ? cap : 0, 0};
    for (const char *p = fmt; *p; p++) {
        if (*p != '%') {
            put(&s, *p);
            continue;
        }
        p++;
        char pad = ' ';
        unsigned width = 0;
        if (*p == '0') {
            pad = '0';
            p++;
        }
        while (*p >= '0' && *p <= '9' && width < 1000) width = width * 10 + (unsigned)(*p++ - '0');
        int len = 0; /* 0 int, 1 long, 2 long long, 3 size_t; h and hh promote to int */
        if (*p == 'h') {
            p++;
            if (*p == 'h') p++;
        } else if (*p == 'l') {
            p++;
            len = 1;
            if (*p == 'l') {
                p++;
                len = 2;
            }
        } else if (*p == 'z') {
            p++;
            len = 3;
        }
        char c = *p;
        if (c == '%') {
            put(&s, '%');
        } else if (c == 'c') {
            put(&s, (char)va_arg(ap, int));
        } else if (c == 's') {
            const char *str = va_arg(ap, const char *);
            if (!str) str = "(null)";
            size_t n = 0;
            while (str[n]) n++;
            for (; width > n; width--) put(&s, ' ');
            for (size_t i = 0; i < n; i++) put(&s, str[i]);
        } else if (c == 'd' || c == 'i') {
            intmax_t v = len == 1 ? va_arg(ap, long) : len == 2 ? va_arg(ap, long long)
                       : len == 3 ? (intmax_t)va_arg(ap, size_t) : va_arg(ap, int);
            uintmax_t mag = v < 0 ? (uintmax_t)0 - (uintmax_t)v : (uintmax_t)v;
            put_uint(&s, mag, 10, 0, v < 0, pad, width);
        } else if (c == 'u' || c == 'x' || c == 'X') {
            uintmax_t v = len == 1 ? va_arg(ap, unsigned long) : len == 2 ? va_arg(ap, unsigned long long)
                        : len == 3 ? va_arg(ap, size_t) : va_arg(ap, unsigned);
            put_uint(&s, v, c == 'u' ? 10u : 16u, c == 'X', 0, pad, width);
        } else {
            break; /* unsupported: stop rather than misread the arguments */
        }
    }
    if (s.cap) out[s.n < s.cap ? s.n : s.cap - 1] = 0;
    return s.n > INT_MAX ? INT_MAX : (int)s.n;
}

int hush__fmt(char *out, size_t cap, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = hush__vfmt(out, cap, fmt, ap);
    va_end(ap);
    return n;
}
