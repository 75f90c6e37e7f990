/* URL path -> file under --static (rules in files.h). */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE /* realpath */
#include "files.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Percent-decodes src into dst (cap bytes); 0 on a malformed escape, a NUL or a backslash. */
static int decode(const char *src, char *dst, size_t cap) {
    size_t n = 0;
    for (const char *p = src; *p; p++) {
        char c = *p;
        if (c == '%') {
            int hi = hexval(p[1]), lo = hi < 0 ? -1 : hexval(p[2]);
            if (lo < 0) return 0;
            c = (char)(hi * 16 + lo);
            p += 2;
        }
        if (c == 0 || c == '\\' || n + 1 >= cap) return 0;
        dst[n++] = c;
    }
    dst[n] = 0;
    return 1;
}

static int inside(const char *root, const char *p) {
    size_t n = strlen(root);
    return !strncmp(p, root, n) && (p[n] == '/' || p[n] == 0);
}

/* dec (decoded) is under one of allow's comma-separated prefixes; a directory prefix "/demo/"
 * also admits "/demo" (which then redirects to the slash form). */
static int allowed(const char *allow, const char *dec) {
    if (!allow) return 1;
    size_t dl = strlen(dec);
    for (const char *p = allow; *p;) {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (n && p[0] == '/' &&
            ((dl >= n && !memcmp(dec, p, n)) || (p[n - 1] == '/' && dl == n - 1 && !memcmp(dec, p, dl))))
            return 1;
        p += n + (e ? 1 : 0);
    }
    return 0;
}

int srv_files_resolve(const char *root, const char *allow, const char *url_path, char *out, size_t cap, size_t *size) {
    char dec[PATH_MAX], path[PATH_MAX], real[PATH_MAX];
    if (!root || !url_path || !out || url_path[0] != '/') return 400;
    const char *q = strchr(url_path, '?');
    char raw[PATH_MAX];
    size_t rl = q ? (size_t)(q - url_path) : strlen(url_path);
    if (rl >= sizeof raw) return 400;
    memcpy(raw, url_path, rl);
    raw[rl] = 0;
    if (!decode(raw, dec, sizeof dec)) return 400;
    if (!allowed(allow, dec)) return 404;
    /* every segment: not "..", not a dot-file */
    for (const char *s = dec; *s;) {
        while (*s == '/') s++;
        if (*s == '.') return 404;
        while (*s && *s != '/') s++;
    }
    if (snprintf(path, sizeof path, "%s%s", root, dec) >= (int)sizeof path) return 404;
    struct stat st;
    if (stat(path, &st) != 0) return 404;
    if (S_ISDIR(st.st_mode)) {
        size_t dl = strlen(dec);
        if (!dl || dec[dl - 1] != '/') {
            if (snprintf(out, cap, "%s/", raw) >= (int)cap) return 400;
            return 301;
        }
        if (snprintf(path, sizeof path, "%s%sindex.html", root, dec) >= (int)sizeof path) return 404;
        if (stat(path, &st) != 0) return 404;
    }
    if (!S_ISREG(st.st_mode)) return 404;
    if (!realpath(path, real) || !inside(root, real)) return 404;
    if (strlen(real) >= cap) return 404;
    memcpy(out, real, strlen(real) + 1);
    if (size) *size = (size_t)st.st_size;
    return 200;
}

const char *srv_files_mime(const char *path) {
    static const char *const map[][2] = {
        {".html", "text/html; charset=utf-8"}, {".js", "text/javascript; charset=utf-8"},
        {".mjs", "text/javascript; charset=utf-8"}, {".css", "text/css; charset=utf-8"},
        {".json", "application/json; charset=utf-8"}, {".map", "application/json; charset=utf-8"},
        {".wasm", "application/wasm"}, {".svg", "image/svg+xml"}, {".png", "image/png"},
        {".ico", "image/x-icon"}, {".txt", "text/plain; charset=utf-8"}, {".md", "text/plain; charset=utf-8"},
        {".ts", "text/plain; charset=utf-8"}, {".arff", "text/plain; charset=utf-8"},
        {".csv", "text/csv; charset=utf-8"},
    };
    const char *dot = strrchr(path, '.');
    const char *slash = strrchr(path, '/');
    if (dot && (!slash || dot > slash))
        for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
            if (!strcmp(dot, map[i][0])) return map[i][1];
    return "application/octet-stream";
}
