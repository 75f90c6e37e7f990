/* Bounds-checked byte reader and writer: the only way Hush touches bytes on disk or on the wire.
 *
 * Every multi-byte value is little-endian, assembled from single bytes, so the result does not
 * depend on the host's byte order or alignment. Floats travel as their IEEE-754 bit pattern
 * (memcpy to/from a uint32_t/uint64_t, never a pointer cast or union read, which would be
 * undefined or implementation-defined). IDX headers are the one big-endian format we read, so
 * the reader has explicit _be variants for it.
 *
 * Errors are sticky: the first out-of-bounds read or write sets `err` (HUSH_ETRUNC for the
 * reader, HUSH_ERANGE for a full writer) and `err_off` to the position where it happened; every
 * later call is a no-op returning zero. Callers read a whole header and check once.
 */
#ifndef HUSH__IO_BUF_H
#define HUSH__IO_BUF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "hush/common.h"

typedef struct hush__rd {
    const uint8_t *p;
    size_t len, pos;
    int err;        /* HUSH_OK or the first error */
    size_t err_off; /* position of the first error */
} hush__rd;

typedef struct hush__wr {
    uint8_t *p;
    size_t cap, pos;
    int err;
    size_t err_off;
} hush__wr;

/* ---- raw loads/stores on memory the caller has already bounds-checked ---- */
static inline uint32_t hush__load32_le(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t hush__load64_le(const uint8_t *p) {
    return (uint64_t)hush__load32_le(p) | (uint64_t)hush__load32_le(p + 4) << 32;
}
static inline uint32_t hush__load32_be(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}
static inline void hush__store32_le(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}
static inline void hush__store64_le(uint8_t *p, uint64_t v) {
    hush__store32_le(p, (uint32_t)v);
    hush__store32_le(p + 4, (uint32_t)(v >> 32));
}
static inline uint32_t hush__f32_bits(float f) {
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}
static inline float hush__bits_f32(uint32_t u) {
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}
static inline uint64_t hush__f64_bits(double d) {
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}
static inline double hush__bits_f64(uint64_t u) {
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}
/* Little-endian float32 at p (which need not be aligned). */
static inline float hush__load_f32_le(const uint8_t *p) { return hush__bits_f32(hush__load32_le(p)); }

/* ---- reader ---- */
void hush__rd_init(hush__rd *r, const uint8_t *p, size_t len);
uint8_t hush__rd_u8(hush__rd *r);
uint16_t hush__rd_u16(hush__rd *r);
uint32_t hush__rd_u32(hush__rd *r);
uint64_t hush__rd_u64(hush__rd *r);
uint32_t hush__rd_u32_be(hush__rd *r);
float hush__rd_f32(hush__rd *r);
double hush__rd_f64(hush__rd *r);
/* Pointer to the next n bytes inside the buffer (no copy), or NULL on error. */
const uint8_t *hush__rd_bytes(hush__rd *r, size_t n);
/* Copies n bytes; on error `out` is zero-filled so callers never see stale memory. */
void hush__rd_copy(hush__rd *r, void *out, size_t n);
static inline size_t hush__rd_remaining(const hush__rd *r) { return r->err ? 0 : r->len - r->pos; }

/* ---- writer ---- */
void hush__wr_init(hush__wr *w, uint8_t *p, size_t cap);
void hush__wr_u8(hush__wr *w, uint8_t v);
void hush__wr_u16(hush__wr *w, uint16_t v);
void hush__wr_u32(hush__wr *w, uint32_t v);
void hush__wr_u64(hush__wr *w, uint64_t v);
void hush__wr_f32(hush__wr *w, float v);
void hush__wr_f64(hush__wr *w, double v);
void hush__wr_bytes(hush__wr *w, const void *src, size_t n);

#endif
