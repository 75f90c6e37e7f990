/* Wire encoding of secure-aggregation messages (hush/secagg.h): the only place their bytes are
 * parsed. Every message is a 32-byte header followed by a body:
 *
 *   u8 version (1) | u8 round (0..4) | u8 direction (0 client->server, 1 server->client) |
 *   u8 flags (0) | session[16] | u32 sender | u32 recipient | u32 body length
 *
 * (the server's id is 0xffffffff). Bodies, all little-endian, by (direction, round):
 *   up 0    c_pk[32] s_pk[32] [sig[64]]                      advertise keys
 *   down 1  u32 count, count x (u32 id, c_pk, s_pk, [sig])    neighbours' keys
 *   up 1    u32 count, count x (u32 to, ct[104])              encrypted shares
 *   down 2  u32 count, count x (u32 from, ct[104])            shares addressed to the recipient
 *   up 2    u32 dim, u8 bits, dim x ceil(bits/8) bytes         masked input
 *   down 3  u32 n, ceil(n/8) bytes bitmap of U3
 *   up 3    [sig[64]]                                          consistency (signature over U3)
 *   down 4  u32 count, count x (u32 id, [sig])                 U4 among the neighbours
 *   up 4    u32 count, count x (u32 owner, u8 kind, share[40]) unmasking shares (kind 1 b, 2 sk)
 * [sig] is present exactly in the authenticated variant. Lists have strictly increasing ids
 * below n (so a repeated entry is malformed), counts at most n, and the body length must match
 * exactly: a shorter buffer is HUSH_ETRUNC, extra or inconsistent bytes HUSH_EFORMAT, another
 * version HUSH_EVERSION. Values of a masked input must be < 2^bits, share elements < 2^61 - 1,
 * unused bitmap bits zero. The decoder is stateless: replays and rounds out of order are the
 * state machines' business.
 */
#ifndef HUSH__IO_SECAGGWIRE_H
#define HUSH__IO_SECAGGWIRE_H

#include <stddef.h>
#include <stdint.h>

#include "hush/secagg.h"

#define HUSH__SAW_UP 0
#define HUSH__SAW_DOWN 1

typedef struct hush__saw_msg {
    uint8_t round, dir;
    uint32_t sender, recipient;
    uint32_t count;          /* entries of a list message; dim for up 2 */
    const uint8_t *entries;  /* list entries, each starting with its u32 id */
    size_t entry_size;
    const uint8_t *c_pk, *s_pk, *sig; /* up 0 (and sig of up 3); sig NULL when unauthenticated */
    const uint8_t *values;   /* up 2: packed values */
    uint32_t width;          /* bytes per value */
    const uint8_t *bitmap;   /* down 3 */
    size_t bitmap_len;
} hush__saw_msg;

int hush__saw_decode(hush__saw_msg *m, const uint8_t *p, size_t len, const hush_secagg_config *cfg);
/* Size of a whole message; count = entries (or ignored where there is no list). */
size_t hush__saw_size(const hush_secagg_config *cfg, int dir, int round, uint32_t count);
/* Writes the 32-byte header. */
void hush__saw_header(uint8_t *out, const hush_secagg_config *cfg, int dir, int round, uint32_t sender,
                      uint32_t recipient, size_t body_len);
static inline uint32_t hush__saw_id(const hush__saw_msg *m, uint32_t i) {
    const uint8_t *e = m->entries + (size_t)i * m->entry_size;
    return (uint32_t)e[0] | (uint32_t)e[1] << 8 | (uint32_t)e[2] << 16 | (uint32_t)e[3] << 24;
}
static inline const uint8_t *hush__saw_entry(const hush__saw_msg *m, uint32_t i) {
    return m->entries + (size_t)i * m->entry_size + 4;
}
/* Packs dim values (each < 2^bits) into ceil(bits/8)-byte little-endian fields. */
void hush__saw_pack_values(uint8_t *out, const uint32_t *v, size_t dim, uint32_t bits);
/* sum[i] = (sum[i] + value i) mod 2^bits, from a decoded up-2 message. */
void hush__saw_add_values(uint32_t *sum, const hush__saw_msg *m, uint32_t bits);

#endif
