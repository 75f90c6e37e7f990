/* Minimal test harness: each tests/c/test_*.c is one binary; a failed check prints file:line and
 * the test keeps going so one run shows every failure. main() ends with CHECK_SUMMARY(). */
#ifndef HUSH_TEST_CHECK_H
#define HUSH_TEST_CHECK_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hush/rng.h"

static int check_pass_, check_fail_;

#define CHECK(cond)                                                              \
    do {                                                                         \
        if (cond) {                                                              \
            check_pass_++;                                                       \
        } else {                                                                 \
            check_fail_++;                                                       \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
        }                                                                        \
    } while (0)

#define CHECK_MSG(cond, ...)                                                     \
    do {                                                                         \
        if (cond) {                                                              \
            check_pass_++;                                                       \
        } else {                                                                 \
            check_fail_++;                                                       \
            fprintf(stderr, "%s:%d: CHECK failed: %s: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                        \
            fputc('\n', stderr);                                                 \
        }                                                                        \
    } while (0)

#define CHECK_RC(expr, want)                                                     \
    do {                                                                         \
        int rc_ = (expr);                                                        \
        CHECK_MSG(rc_ == (want), "%s returned %d (%s), want %d", #expr, rc_,     \
                  hush_status_name(rc_), (int)(want));                           \
    } while (0)

#define CHECK_OK(expr) CHECK_RC(expr, HUSH_OK)

#define CHECK_NEAR(a, b, tol)                                                    \
    do {                                                                         \
        double a_ = (double)(a), b_ = (double)(b);                               \
        CHECK_MSG(fabs(a_ - b_) <= (tol), "%s = %.17g, %s = %.17g, tol %g", #a, a_, #b, b_, \
                  (double)(tol));                                                \
    } while (0)

#define CHECK_SUMMARY()                                                          \
    do {                                                                         \
        printf("%s: %d passed, %d failed\n", __FILE__, check_pass_, check_fail_); \
        return check_fail_ ? 1 : 0;                                              \
    } while (0)

/* Reads a whole file; NULL if missing. Caller frees. */
static inline unsigned char *check_read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    if (buf) buf[n] = 0;
    fclose(f);
    if (len) *len = (size_t)n;
    return buf;
}

/* Data sets in data/ come from scripts/bootstrap.sh and are never committed. A missing one is a
 * skip on a developer machine but a failure under CI=true or HUSH_REQUIRE_DATA=1 (HUSH_REQUIRE_DATA=0
 * turns that off), so a CI run without data/ cannot pass on skipped checks. The same rule is
 * tests/data.mjs for the JS suites. */
static inline int check_data_required(void) {
    const char *r = getenv("HUSH_REQUIRE_DATA"), *ci = getenv("CI");
    if (r && *r) return strcmp(r, "0") != 0;
    return ci && (strcmp(ci, "true") == 0 || strcmp(ci, "1") == 0);
}

/* Reads data/<...> (path from the repository root); NULL if missing, after failing a check or
 * printing a skip note as above. Caller frees. */
static inline unsigned char *check_data_file(const char *path, size_t *len) {
    unsigned char *buf = check_read_file(path, len);
    if (buf) return buf;
    if (check_data_required()) {
        check_fail_++;
        fprintf(stderr, "%s missing and CI/HUSH_REQUIRE_DATA requires data/: run make bootstrap\n", path);
    } else {
        printf("note: %s missing, its checks are skipped (run make bootstrap)\n", path);
    }
    return NULL;
}

/* Allocator that fails the Nth allocation (1-based; 0 = never) and counts live bytes, for the
 * fault-injection tests required of every create/parse path. */
typedef struct check_alloc {
    long calls, fail_at;
    long live_blocks;
    size_t live_bytes;
} check_alloc;

static inline void *check_alloc_fn(void *ud, size_t size) {
    check_alloc *c = ud;
    c->calls++;
    if (c->fail_at && c->calls == c->fail_at) return NULL;
    void *p = malloc(size);
    if (p) {
        c->live_blocks++;
        c->live_bytes += size;
    }
    return p;
}
static inline void check_free_fn(void *ud, void *p, size_t size) {
    check_alloc *c = ud;
    c->live_blocks--;
    c->live_bytes -= size;
    free(p);
}
#define CHECK_ALLOCATOR(ca) {check_alloc_fn, check_free_fn, &(ca)}

/* Allocator that checks every block comes back zeroed: what the library frees (activations,
 * parameters, optimiser moments, data rows, parser scratch) must not linger in the heap. */
typedef struct check_wipe {
    long frees, dirty; /* blocks freed, and those freed with a nonzero byte */
} check_wipe;

static inline void *check_wipe_alloc_fn(void *ud, size_t size) {
    (void)ud;
    return malloc(size);
}
static inline void check_wipe_free_fn(void *ud, void *p, size_t size) {
    check_wipe *c = ud;
    const unsigned char *b = p;
    size_t i = 0;
    while (i < size && b[i] == 0) i++;
    c->frees++;
    c->dirty += i < size;
    free(p);
}
#define CHECK_WIPE_ALLOCATOR(cw) {check_wipe_alloc_fn, check_wipe_free_fn, &(cw)}

/* Test data from an rng that cannot run out: hush_rng_below's value, its status checked. */
static inline uint64_t check_below(hush_rng *r, uint64_t bound) {
    uint64_t v = 0;
    CHECK_OK(hush_rng_below(r, &v, bound));
    return v;
}

#endif
