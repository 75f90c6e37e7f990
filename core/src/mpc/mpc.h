/* Internals shared by the mpc files: ring helpers, saturating 64-bit layout arithmetic, wiping
 * frees, and the distributed comparison function. */
#ifndef HUSH__MPC_MPC_H
#define HUSH__MPC_MPC_H

#include <stddef.h>
#include <stdint.h>

#include "hush/mpc.h"
#include "hush/rng.h"

/* Two's complement between the ring and int64 without signed overflow or
 * implementation-defined conversions. */
static inline uint64_t hush__mpc_from_i64(int64_t v) { return v < 0 ? (uint64_t)0 - (uint64_t)(-(v + 1)) - 1 : (uint64_t)v; }
static inline int64_t hush__mpc_to_i64(uint64_t u) {
    return u >> 63 ? -(int64_t)(~u) - 1 : (int64_t)u;
}

/* Layout arithmetic: every size is computed in 64 bits and saturates at UINT64_MAX instead of
 * wrapping, then compared with HUSH_MPC_MAX_PARTY_BYTES; only sizes under that limit (2^30)
 * are ever converted to size_t, which is 32 bits on wasm32. */
static inline uint64_t hush__sat_add(uint64_t a, uint64_t b) { return a > UINT64_MAX - b ? UINT64_MAX : a + b; }
static inline uint64_t hush__sat_mul(uint64_t a, uint64_t b) { return b && a > UINT64_MAX / b ? UINT64_MAX : a * b; }

/* Frees a block after wiping all of it: everything the mpc code frees was zeroed first, secret
 * or not, so no path can forget a secret (tests check every freed byte). */
void hush__mpc_free(const hush_allocator *a, void *p, size_t bytes);

int hush__mpc_rng_words(hush_rng *rng, uint64_t *out, size_t n);
void hush__mpc_matmul_acc(uint64_t *c, const uint64_t *a, const uint64_t *b, size_t m, size_t k, size_t p);
void hush__mpc_share_out(uint64_t *v, size_t n_parties, size_t n, hush_rng *rng);
/* 2^62: the offset that makes a truncated value's top bit known (see TRUNCATION in mpc.h). */
#define HUSH__TRUNC_OFFSET ((uint64_t)1 << 62)

/* DCF over a 63-bit domain (Boyle, Chandran, Gilboa, Gupta, Ishai, Kumar, Rathee, Eurocrypt
 * 2021, Fig. 1), output group Z_2^64, 128-bit seeds, PRG = ChaCha20 keyed by the seed:
 * eval(0, k0, x) + eval(1, k1, x) = beta if x < alpha else 0. Keys are HUSH__DCF_KEY_WORDS
 * words; each key alone is pseudorandom and reveals nothing about alpha or beta. */
#define HUSH__DCF_BITS 63
#define HUSH__DCF_KEY_WORDS (2 + 3 * HUSH__DCF_BITS + 2 + 1)
int hush__dcf_gen(uint64_t *k0, uint64_t *k1, uint64_t alpha, uint64_t beta, hush_rng *rng);
uint64_t hush__dcf_eval(uint32_t b, const uint64_t *key, uint64_t x);

/* Comparison [x < 0] (signed) with one opening of c = x + r.
 * Dealer: per element, additive material r and off (= r's top bit) for every party, and DCF
 * keys for parties 0 and 1. */
int hush__ltz_gen(uint64_t *r, uint64_t *off, uint64_t *key0, uint64_t *key1, size_t n_parties, size_t n,
                  hush_rng *rng);
/* Party side: s_i = share of [x < 0] from the opened c, its off share and (parties 0/1) key. */
void hush__ltz_finish(uint64_t *s, uint32_t party, const uint64_t *c, const uint64_t *off, const uint64_t *keys,
                      size_t n);

/* The same DCF key evaluated at many points (outputs out[q] = eval(b, key, xs[q])); points
 * that share leading bits share the tree walk, so nearby points cost a few levels each. */
void hush__dcf_eval_many(uint32_t b, const uint64_t *key, const uint64_t *xs, size_t n, uint64_t *out);
/* Comparisons of one masked x against k public knots: s[j*n + i] = share of [x_i - knots[j] < 0].
 * One opening and one DCF key per x: x - k_j is masked by the same r (c - k_j), and one key
 * evaluated at several public points reveals nothing more than at one. */
#define HUSH__LTZ_MAX_KNOTS 64
void hush__ltz_knots_finish(uint64_t *s, uint32_t party, const uint64_t *c, const uint64_t *off, const uint64_t *keys,
                            const uint64_t *knots, size_t k, size_t n);

#endif
