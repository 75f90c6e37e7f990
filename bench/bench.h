/* What the native benches share. */
#ifndef HUSH_BENCH_H
#define HUSH_BENCH_H

#include <stdio.h>
#include <stdlib.h>

/* The whole file (NUL-terminated, *len bytes without it); exits with a hint when it is missing. */
static inline unsigned char *bench_read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "cannot open %s (run scripts/bootstrap.sh)\n", path);
        exit(1);
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (!b || fread(b, 1, (size_t)n, f) != (size_t)n) {
        fprintf(stderr, "cannot read %s\n", path);
        exit(1);
    }
    b[n] = 0;
    fclose(f);
    *len = (size_t)n;
    return b;
}

#endif
