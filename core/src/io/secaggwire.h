/* Wire encoding of secure-aggregation messages (hush/secagg.h): the only place their bytes are
 * parsed. Every message is a 32-byte header followed by a body:
 *
 *   u8 version (2) | u8 round (0..4) | u8 direction (0 client->server, 1 server->client) |
 *   u8 flags (0) | session[16] | u32 sender | u32 recipient | u32 body length
 *
 * (the server's id is 0xffffffff). Bodies, all little-endian, by (direction, round):
 *   up 0    c_pk[32] s_pk[32] [sig[64]]                                advertise keys
 *   down 1  u32 count, count x (u32 id, c_pk, s_pk, [sig])             neighbours' keys
 *   up 1    commit[32], u32 count, count x (u32 to, hb[32], hs[32], ct[104])
 *                                                                      b_u commitment, shares
 *   down 2  u32 count, count x (u32 from, hb[32], hs[32], ct[104])     shares for the recipient
 *   up 2    u32 reports, reports x u32 id, u32 dim, u8 bits, ceil(dim * bits / 8) bytes
 *                                                                      unusable peers, masked input
 *   down 3  u32 n, ceil(n/8) bytes bitmap of U3
 *   up 3    [sig[64]]                                                  consistency (signature)
 *   down 4  u32 count, count x (u32 id, [sig])                         U4 among the neighbours
 *   up 4    u32 count, count x (u32 owner, u8 kind, share[40])         shares (kind 1 b, 2 sk)
 * [sig] is present exactly in the authenticated variant; hb and hs are the hashes of the b- and
 * sk-share inside ct. The masked input is packed at exactly `bits` bits per value, value i in
 * bits [i bits, (i + 1) bits) of the little-endian bit string, unused high bits of the last byte
 * zero. Lists have strictly increasing ids below n (so a repeated entry is malformed), counts
 * at most n, and the body length must match exactly: a shorter buffer is HUSH_ETRUNC, extra or
 * inconsistent bytes HUSH_EFORMAT, another version HUSH_EVERSION. Share elements are < 2^61 - 1
 * and bitmap padding is zero. The decoder is stateless: replays and rounds out of order are the
 * state machines' business. Sizes are computed in 64 bits.
 */
#ifndef HUSH__IO_SECAGGWIRE_H
#define HUSH__IO_SECAGGWIRE_H

#include <stddef.h>
#include <stdint.h>

#include "hush/secagg.h"

enum hush__saw_direction { HUSH__SAW_UP = 0, HUSH__SAW_DOWN = 1 }; /* client -> server, server -> client */
#define HUSH__SAW_HASH 32
#define HUSH__SAW_CT 104 /* 8 + 2 * 40 plaintext bytes + 16 tag */

typedef struct hush__saw_msg {
    uint8_t round, dir;
    uint32_t sender, recipient;
    uint32_t count;                   /* list entries; reported ids for up 2 */
    const uint8_t *entries;           /* list entries, each starting with its u32 id; up 2: reported ids */
    size_t entry_size;
    const uint8_t *c_pk, *s_pk, *sig; /* up 0 (and sig of up 3); sig NULL when unauthenticated */
    const uint8_t *commit;            /* up 1 */
    uint32_t dim;                     /* up 2 */
    const uint8_t *values;            /* up 2: packed values */
    const uint8_t *bitmap;            /* down 3 */
    size_t bitmap_len;
} hush__saw_msg;

int hush__saw_decode(hush__saw_msg *m, const uint8_t *p, size_t len, const hush_secagg_config *cfg);
/* Size of a whole message; count = entries (reported ids for up 2; ignored where there is no list). */
uint64_t hush__saw_size(const hush_secagg_config *cfg, int dir, int round, uint32_t count);
/* The largest message of either direction for a neighbourhood of m. */
uint64_t hush__saw_max(const hush_secagg_config *cfg, uint32_t m);
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
/* Packs dim values (each < 2^bits) at bits bits each; writes ceil(dim * bits / 8) bytes. */
void hush__saw_pack_values(uint8_t *out, const uint32_t *v, size_t dim, uint32_t bits);
/* sum[i] = (sum[i] + value i) mod 2^bits over the packed values of a decoded up-2 message. */
void hush__saw_add_values(uint32_t *sum, const hush__saw_msg *m, uint32_t bits);

#endif
