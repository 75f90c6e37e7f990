/* Internals of the keystream shared by rng.c and normal.c (the bulk normal samplers generate
 * keystream straight from the rng's key and counter, so they need the same exhaustion rule). */
#ifndef HUSH__RNG_STREAM_H
#define HUSH__RNG_STREAM_H

#include "hush/rng.h"

/* Marks the stream spent: every later draw fails too, so a loop that keeps drawing terminates. */
static inline int hush__rng_exhaust(hush_rng *r) {
    r->exhausted = 1;
    return HUSH_ERANGE;
}

/* Can the stream still supply `blocks` ChaCha20 blocks from its counter? 2^32 blocks is the whole
 * IETF stream; refusing beats silently repeating it. */
static inline int hush__rng_has_blocks(const hush_rng *r, uint64_t blocks) {
    return !r->exhausted && r->counter <= ((uint64_t)1 << 32) && blocks <= ((uint64_t)1 << 32) - r->counter;
}

#endif
