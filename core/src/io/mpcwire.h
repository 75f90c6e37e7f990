/* Wire encoding of MPC messages (core/include/hush/mpc.h): the only code that reads MPC bytes.
 * Each message travels as the payload of one channel record (hush/channel.h).
 *
 * Layout, little-endian, HUSH_MPC_HEADER_BYTES = 36 bytes of header then the payload:
 *   0  4  magic "HMPC"
 *   4  1  version (HUSH_MPC_WIRE_VERSION = 2)
 *   5  1  kind (hush_mpc_msg_kind)
 *   6  2  from (party index, HUSH_MPC_ROLE_DEALER or HUSH_MPC_ROLE_CLIENT)
 *   8  2  to (party index or HUSH_MPC_ROLE_CLIENT)
 *  10  2  reserved, must be 0
 *  12 16  session id (128 bits)
 *  28  4  seq (the operation the message belongs to)
 *  32  4  n_words
 *  36  8*n_words  payload: ring elements (u64)
 * The decoder checks magic, version, kind, the reserved field and that the length is exactly
 * header + 8 * n_words (in 64-bit arithmetic); the state machine then checks sender (against
 * the channel it came from), recipient, session, sequence and that n_words is what the
 * operation expects. */
#ifndef HUSH__IO_MPCWIRE_H
#define HUSH__IO_MPCWIRE_H

#include <stddef.h>
#include <stdint.h>

#include "hush/mpc.h"

/* a message never exceeds a party's memory limit */
#define HUSH__MPCWIRE_MAX_WORDS (HUSH_MPC_MAX_PARTY_BYTES / 8)

typedef struct hush__mpc_msg {
    uint32_t kind, from, to, seq;
    const uint8_t *session; /* HUSH_MPC_SESSION_BYTES inside the decoded buffer */
    size_t n_words;
    const uint8_t *payload; /* n_words * 8 bytes inside the decoded buffer */
} hush__mpc_msg;

HUSH_NODISCARD int hush__mpcwire_decode(hush__mpc_msg *m, const uint8_t *buf, size_t len);
/* Word i of a decoded payload (i < n_words). */
uint64_t hush__mpcwire_word(const hush__mpc_msg *m, size_t i);
void hush__mpcwire_words(const hush__mpc_msg *m, uint64_t *out, size_t first, size_t n);
/* n_words <= HUSH__MPCWIRE_MAX_WORDS, so the size fits 32-bit size_t. */
static inline size_t hush__mpcwire_size(size_t n_words) { return HUSH_MPC_HEADER_BYTES + 8 * n_words; }
/* Writes the header for n_words of payload; the caller then stores the words with
 * hush__mpcwire_put at out + HUSH_MPC_HEADER_BYTES. HUSH_ERANGE if cap is too small. */
HUSH_NODISCARD int hush__mpcwire_header(uint8_t *out, size_t cap, uint32_t kind, uint32_t from, uint32_t to,
                                        const uint8_t *session, uint32_t seq, size_t n_words);
void hush__mpcwire_put(uint8_t *payload, size_t first, const uint64_t *w, size_t n);

#endif
