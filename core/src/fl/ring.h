/* Internals shared by the FL encodings: values of Z_2^k. */
#ifndef HUSH__FL_RING_H
#define HUSH__FL_RING_H

#include <math.h>
#include <stdint.h>

static inline uint32_t hush__fl_mask(uint32_t bits) { return bits >= 32 ? 0xffffffffu : ((uint32_t)1 << bits) - 1; }

/* v read as a two's-complement k-bit integer. */
static inline double hush__fl_signed(uint32_t v, uint32_t bits) {
    uint64_t half = (uint64_t)1 << (bits - 1), u = v & hush__fl_mask(bits);
    return u >= half ? (double)u - ldexp(1.0, (int)bits) : (double)u;
}

#endif
