/* hush_rng: the only source of randomness in Hush.
 *
 * Start here: hush_rng_init_u64(&rng, seed) for reproducible runs or hush_rng_init_random(&rng)
 * for secrets, hush_rng_derive(&child, &rng, "name") for an independent named stream, then the
 * draws (hush_rng_below, _uniform, _normal, _shuffle_u32, ...), and hush_rng_clear when done.
 * A hush_rng is a plain struct: no allocation.
 *
 * A ChaCha20 (IETF, RFC 8439) keystream under a 32-byte key, read sequentially. Seeded either
 * explicitly (tests, reproducible training) or from the OS CSPRNG via libsodium's
 * randombytes_buf. Named sub-streams derive an independent key with keyed BLAKE2b
 * (key = parent key, message = name), so a child's draws never depend on how much the parent
 * has already consumed, and two names never share keystream.
 *
 * The state is a plain struct (as libsodium's hash states are) so it can live on the stack or
 * inside another handle without an allocation. Call hush_rng_clear when done: it wipes the key.
 *
 * Everything here is integer or exactly-rounded arithmetic, so native, Emscripten and WASI
 * builds produce bit-identical draws for the same seed.
 */
#ifndef HUSH_RNG_H
#define HUSH_RNG_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

#define HUSH_RNG_SEED_BYTES 32
#define HUSH_RNG_NONCE_BYTES 12
#define HUSH_RNG_BUF_BYTES 256 /* four ChaCha20 blocks per refill */

typedef struct hush_rng {
    uint8_t key[HUSH_RNG_SEED_BYTES];
    uint8_t nonce[HUSH_RNG_NONCE_BYTES];
    uint64_t counter;          /* next ChaCha20 block counter (64-bit so exhaustion is detectable) */
    uint32_t pos;              /* read position in buf */
    uint32_t exhausted;        /* sticky: a draw needed keystream past block 2^32 */
    uint8_t buf[HUSH_RNG_BUF_BYTES];
} hush_rng;

/* Seed from 32 bytes. Nonce 0, counter 0. */
HUSH_NODISCARD int hush_rng_init(hush_rng *rng, const uint8_t seed[HUSH_RNG_SEED_BYTES]);
/* Seed from a 64-bit integer (the CLI's --seed): key = BLAKE2b-256("hush.seed" || le64(seed)). */
HUSH_NODISCARD int hush_rng_init_u64(hush_rng *rng, uint64_t seed);
/* Seed from the OS CSPRNG. */
HUSH_NODISCARD int hush_rng_init_random(hush_rng *rng);
/* Raw keystream position: exactly RFC 8439's ChaCha20 block function output from `counter`. */
HUSH_NODISCARD int hush_rng_init_stream(hush_rng *rng, const uint8_t key[HUSH_RNG_SEED_BYTES],
                                        const uint8_t nonce[HUSH_RNG_NONCE_BYTES], uint32_t counter);
/* Independent named child stream; does not advance the parent. */
HUSH_NODISCARD int hush_rng_derive(hush_rng *child, const hush_rng *parent, const char *name);
/* Wipe the state (sodium_memzero). */
void hush_rng_clear(hush_rng *rng);

/* Exhaustion. A stream holds 2^32 ChaCha20 blocks (256 GiB); a draw that would need more fails
 * instead of repeating keystream, and marks the stream exhausted for good. The status-returning
 * functions report it as HUSH_ERANGE; the value-returning draws (u32, u64, uniform, normal,
 * bernoulli) then return zeros, so callers of those that may run that long check
 * hush_rng_exhausted afterwards. No draw loops forever on an exhausted stream. */
int hush_rng_exhausted(const hush_rng *rng);

/* Keystream bytes. HUSH_ERANGE (and nothing written) if the stream would be exhausted. */
HUSH_NODISCARD int hush_rng_bytes(hush_rng *rng, uint8_t *out, size_t len);
uint32_t hush_rng_u32(hush_rng *rng);
uint64_t hush_rng_u64(hush_rng *rng);
/* Unbiased integer in [0, bound) by rejection into *out; bound 0 gives 0. HUSH_ERANGE once the
 * stream is exhausted. */
HUSH_NODISCARD int hush_rng_below(hush_rng *rng, uint64_t *out, uint64_t bound);
/* Uniform double in [0, 1) with 53 random bits. */
double hush_rng_uniform(hush_rng *rng);
/* Uniform double in (0, 1): never 0, for logarithms. */
double hush_rng_uniform_pos(hush_rng *rng);
/* Standard normal deviate: 256-layer Ziggurat, one 64-bit word per draw 99% of the time, Hush's
 * own exp/log on the rare wedge and tail paths, so it is libm-free and exact in distribution up to
 * the 53-bit uniforms. */
double hush_rng_normal(hush_rng *rng);
/* n standard normals, exactly the values (and stream position) of n hush_rng_normal calls, with
 * the keystream generated in large blocks. */
void hush_rng_normals(hush_rng *rng, double *out, size_t n);
/* Standard normal as a float: the same Ziggurat on one 32-bit word per draw 99% of the time (a
 * 23-bit uniform, the resolution of a float), half the keystream of hush_rng_normal. */
float hush_rng_normal_f32(hush_rng *rng);
/* n float normals, exactly the values (and stream position) of n hush_rng_normal_f32 calls. */
void hush_rng_normals_f32(hush_rng *rng, float *out, size_t n);
/* Bernoulli(p) for p given as a double in [0, 1], exact: compares 64 uniform bits. */
int hush_rng_bernoulli(hush_rng *rng, double p);
/* Fisher-Yates shuffle of n uint32 indices. HUSH_ERANGE if the stream runs out (v is then
 * partly shuffled). */
HUSH_NODISCARD int hush_rng_shuffle_u32(hush_rng *rng, uint32_t *v, size_t n);

#ifdef __cplusplus
}
#endif
#endif
