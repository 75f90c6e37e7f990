/* Vote-matrix helpers shared by the PATE files (internal). */
#ifndef HUSH__DP_PATE_VOTES_H
#define HUSH__DP_PATE_VOTES_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define MAX_CLASSES ((size_t)1 << 20)
#define MAX_MOMENTS 1024

static inline int votes_ok(const uint32_t *votes, size_t T, size_t E, uint32_t K) {
    for (size_t i = 0; i < T * E; i++)
        if (votes[i] >= K) return 0;
    return 1;
}

static inline void count_votes_i64(int64_t *c, const uint32_t *votes, size_t T, size_t E, uint32_t K, size_t e) {
    memset(c, 0, K * sizeof *c);
    for (size_t t = 0; t < T; t++) c[votes[t * E + e]]++;
}

static inline void count_votes_f64(double *c, const uint32_t *votes, size_t T, size_t E, size_t K, size_t e) {
    for (size_t k = 0; k < K; k++) c[k] = 0.0;
    for (size_t t = 0; t < T; t++) c[votes[t * E + e]] += 1.0;
}


#endif
