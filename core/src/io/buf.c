/* Bounds-checked little-endian reader/writer (see buf.h). The bounds test is written as
 * `n > len - pos` (never `pos + n > len`) so that a huge n cannot wrap around. */
#include "io/buf.h"

void hush__rd_init(hush__rd *r, const uint8_t *p, size_t len) {
    r->p = p;
    r->len = p ? len : 0;
    r->pos = 0;
    r->err = HUSH_OK;
    r->err_off = 0;
}

/* Returns the start of the next n bytes and advances, or NULL after recording the error. */
static const uint8_t *rd_take(hush__rd *r, size_t n) {
    if (r->err) return NULL;
    if (n > r->len - r->pos) {
        r->err = HUSH_ETRUNC;
        r->err_off = r->pos;
        return NULL;
    }
    const uint8_t *q = r->p + r->pos;
    r->pos += n;
    return q;
}

uint8_t hush__rd_u8(hush__rd *r) {
    const uint8_t *q = rd_take(r, 1);
    return q ? q[0] : 0;
}
uint16_t hush__rd_u16(hush__rd *r) {
    const uint8_t *q = rd_take(r, 2);
    return q ? (uint16_t)((unsigned)q[0] | (unsigned)q[1] << 8) : 0;
}
uint32_t hush__rd_u32(hush__rd *r) {
    const uint8_t *q = rd_take(r, 4);
    return q ? hush__load32_le(q) : 0;
}
uint64_t hush__rd_u64(hush__rd *r) {
    const uint8_t *q = rd_take(r, 8);
    return q ? hush__load64_le(q) : 0;
}
uint32_t hush__rd_u32_be(hush__rd *r) {
    const uint8_t *q = rd_take(r, 4);
    return q ? hush__load32_be(q) : 0;
}
float hush__rd_f32(hush__rd *r) { return hush__bits_f32(hush__rd_u32(r)); }
double hush__rd_f64(hush__rd *r) { return hush__bits_f64(hush__rd_u64(r)); }

const uint8_t *hush__rd_bytes(hush__rd *r, size_t n) { return rd_take(r, n); }

void hush__rd_copy(hush__rd *r, void *out, size_t n) {
    const uint8_t *q = rd_take(r, n);
    if (n == 0) return;
    if (q)
        memcpy(out, q, n);
    else
        memset(out, 0, n);
}

void hush__wr_init(hush__wr *w, uint8_t *p, size_t cap) {
    w->p = p;
    w->cap = p ? cap : 0;
    w->pos = 0;
    w->err = HUSH_OK;
    w->err_off = 0;
}

static uint8_t *wr_take(hush__wr *w, size_t n) {
    if (w->err) return NULL;
    if (n > w->cap - w->pos) {
        w->err = HUSH_ERANGE;
        w->err_off = w->pos;
        return NULL;
    }
    uint8_t *q = w->p + w->pos;
    w->pos += n;
    return q;
}

void hush__wr_u8(hush__wr *w, uint8_t v) {
    uint8_t *q = wr_take(w, 1);
    if (q) q[0] = v;
}
void hush__wr_u16(hush__wr *w, uint16_t v) {
    uint8_t *q = wr_take(w, 2);
    if (q) {
        q[0] = (uint8_t)v;
        q[1] = (uint8_t)(v >> 8);
    }
}
void hush__wr_u32(hush__wr *w, uint32_t v) {
    uint8_t *q = wr_take(w, 4);
    if (q) hush__store32_le(q, v);
}
void hush__wr_u64(hush__wr *w, uint64_t v) {
    uint8_t *q = wr_take(w, 8);
    if (q) hush__store64_le(q, v);
}
void hush__wr_f32(hush__wr *w, float v) { hush__wr_u32(w, hush__f32_bits(v)); }
void hush__wr_f64(hush__wr *w, double v) { hush__wr_u64(w, hush__f64_bits(v)); }
void hush__wr_bytes(hush__wr *w, const void *src, size_t n) {
    uint8_t *q = wr_take(w, n);
    if (q && n) memcpy(q, src, n);
}
