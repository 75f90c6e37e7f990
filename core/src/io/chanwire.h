/* Wire encoding of channel messages (hush/channel.h): the only code that reads channel bytes.
 *
 * Every message starts with an 8-byte preamble: magic "HCHN", u8 version (HUSH_CHANNEL_WIRE_
 * VERSION), u8 type, u16 reserved (0). Then, little-endian, by type:
 *   1 HELLO   session[16] | u32 role_I | u32 role_R | e_I[32]             64 bytes in all
 *   2 REPLY   e_R[32] | sig_R[64]                                          104
 *   3 FINISH  sig_I[64]                                                    72
 *   4 DATA    u64 counter | u32 length | ciphertext[length + 16]           36 + length
 *   5 CLOSE   u64 counter | u32 length (0) | tag[16]                        36
 * A record's first HUSH_CHANNEL_RECORD_HEADER_BYTES (preamble, counter, length) are the AEAD's
 * associated data. The decoder checks the preamble, the exact size of every type, length <=
 * HUSH_CHANNEL_MAX_PAYLOAD_BYTES and a zero length for CLOSE; counters, sessions, roles,
 * signatures and tags are the channel's business. */
#ifndef HUSH__IO_CHANWIRE_H
#define HUSH__IO_CHANWIRE_H

#include <stddef.h>
#include <stdint.h>

#include "hush/channel.h"

enum hush__chan_type {
    HUSH__CHAN_HELLO = 1,
    HUSH__CHAN_REPLY = 2,
    HUSH__CHAN_FINISH = 3,
    HUSH__CHAN_DATA = 4,
    HUSH__CHAN_CLOSE = 5
};

#define HUSH__CHAN_PREAMBLE_BYTES 8
#define HUSH__CHAN_HELLO_BYTES 64
#define HUSH__CHAN_REPLY_BYTES 104
#define HUSH__CHAN_FINISH_BYTES 72

typedef struct hush__chan_msg {
    uint32_t type;
    const uint8_t *session;        /* HELLO */
    uint32_t role_i, role_r;       /* HELLO */
    const uint8_t *e;              /* HELLO, REPLY: X25519 public key */
    const uint8_t *sig;            /* REPLY, FINISH */
    uint64_t counter;              /* DATA, CLOSE */
    uint32_t length;               /* DATA, CLOSE: payload length */
    const uint8_t *ad;             /* DATA, CLOSE: the record header (associated data) */
    const uint8_t *ciphertext;     /* DATA, CLOSE: length + HUSH_CHANNEL_TAG_BYTES bytes */
} hush__chan_msg;

HUSH_NODISCARD int hush__chanwire_decode(hush__chan_msg *m, const uint8_t *buf, size_t len);
/* Encoders write into out, which the caller sized (the sizes above; records
 * HUSH_CHANNEL_OVERHEAD_BYTES + length). */
void hush__chanwire_hello(uint8_t out[HUSH__CHAN_HELLO_BYTES], const uint8_t *session, uint32_t role_i,
                          uint32_t role_r, const uint8_t e[32]);
void hush__chanwire_reply(uint8_t out[HUSH__CHAN_REPLY_BYTES], const uint8_t e[32], const uint8_t sig[64]);
void hush__chanwire_finish(uint8_t out[HUSH__CHAN_FINISH_BYTES], const uint8_t sig[64]);
void hush__chanwire_record_header(uint8_t out[HUSH_CHANNEL_RECORD_HEADER_BYTES], uint32_t type, uint64_t counter,
                                  uint32_t length);

#endif
