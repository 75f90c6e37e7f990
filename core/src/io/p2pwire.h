/* Wire encoding of the p2p frames of hush.v1 (types 16..31, hush/p2p.h): the only place their
 * bytes are parsed, by the server and by both sides. The frame header is hush.v1's
 * ('h' 'n' | u8 version | u8 type | u32 body length, io/netwire.h, which hands types 16..31 here
 * unparsed); bodies, little-endian, NAME as in netwire.h:
 *
 *   16 SERVE     B->S  u32 flags (bit 0: direct links) u32 max_rows u32 desc_len desc sig[64]
 *   17 DESCRIBE  A->S  NAME(bank)
 *   18 MODEL     S->A  NAME(bank) pk[32] u32 flags u32 max_rows u32 desc_len desc sig[64]
 *   19 OPEN      A->S  u32 req NAME(bank) u32 rows u32 link (1 relay, 2 direct)
 *   20 SESSION   S->A,B u32 req session[16] u32 role (0 bank, 1 applicant) NAME(peer) pk[32]
 *                      dealer_pk[32] u32 rows u32 link hash[32] (BLAKE2b-256 of the description)
 *   21 DEALER    both  session[16] u8 flags (bit 0: more fragments follow) bytes (at least 1)
 *   22 RELAY     both  session[16] link frame
 *   23 SIGNAL    both  session[16] u8 kind (1..4) u32 seq u32 len payload sig[64]
 *   24 END       both  session[16] u16 code (0: finished; 4000..4999 otherwise) u16 len text
 *   25 REFUSE    S->A  NAME(bank) u32 req (0: a DESCRIBE) u16 code (4000..4999) u16 len text
 * A description is u32 model_len, a Hush model file (its public part: parameters zeroed),
 * u32 schema_len and the schema (an ARFF header: printable ASCII, tab, CR, LF).
 * A link frame (RELAY payloads and direct-link messages) is u8 tag (1: the party channel,
 * 2: the client channel) u8 flags (bit 0: more fragments follow) bytes (at least 1).
 *
 * Signatures (Ed25519 by the sender's identity key) cover:
 *   description  "hush.v1.model\0" NAME(bank) pk[32] u32 flags u32 max_rows desc
 *   signal       "hush.v1.signal\0" session[16] NAME(from) NAME(to) u8 kind u32 seq u32 len payload
 * Sizes are checked against the body exactly: shorter is HUSH_ETRUNC, longer or inconsistent
 * HUSH_EFORMAT, as in netwire.h; zero rows, an unknown link or kind, flags with unknown bits and
 * text outside printable ASCII are HUSH_EFORMAT. Stateless, no allocation, no copies. */
#ifndef HUSH__IO_P2PWIRE_H
#define HUSH__IO_P2PWIRE_H

#include <stddef.h>
#include <stdint.h>

#include "hush/p2p.h"
#include "io/netwire.h"

#define HUSH__PW_SIG 64
#define HUSH__PW_DEALER_PREFIX (HUSH__NW_HEADER_BYTES + HUSH_NET_SESSION_BYTES + 1)
#define HUSH__PW_RELAY_PREFIX (HUSH__NW_HEADER_BYTES + HUSH_NET_SESSION_BYTES)
#define HUSH__PW_LINK_PREFIX 2
#define HUSH__PW_FLAG_MORE 1u
#define HUSH__PW_SERVE_DIRECT 1u
enum { HUSH__PW_TAG_PARTY = 1, HUSH__PW_TAG_CLIENT = 2 };

typedef struct hush__pw_msg {
    uint32_t type;
    hush__nw_name name;      /* DESCRIBE, MODEL, OPEN: the bank; SESSION: the peer */
    const uint8_t *pk;       /* MODEL: the bank's key; SESSION: the peer's */
    const uint8_t *dealer_pk, *hash, *session, *sig;
    uint32_t flags, max_rows, req, rows, link, role, kind, seq;
    uint16_t code;
    const uint8_t *desc, *model, *schema, *payload, *text;
    size_t desc_len, model_len, schema_len, payload_len, text_len;
} hush__pw_msg;

/* One frame (header included) of type 16..31; larger than max_len: HUSH_ERANGE. */
int hush__pw_decode(hush__pw_msg *m, const uint8_t *frame, size_t len, size_t max_len);
/* Splits a description into its model file and schema (checked as above). */
int hush__pw_desc_split(const uint8_t *desc, size_t len, const uint8_t **model, size_t *model_len,
                        const uint8_t **schema, size_t *schema_len);
/* A link frame: tag, flags, the bytes after them. */
int hush__pw_link_decode(const uint8_t *frame, size_t len, uint32_t *tag, uint32_t *flags, const uint8_t **bytes,
                         size_t *n);

/* Encoders write out[cap] and set *written (HUSH_ERANGE when cap is short; names HUSH_EARG). */
int hush__pw_serve(uint8_t *out, size_t cap, size_t *written, uint32_t flags, uint32_t max_rows, const uint8_t *desc,
                   size_t desc_len, const uint8_t sig[64]);
int hush__pw_describe(uint8_t *out, size_t cap, size_t *written, const char *bank);
int hush__pw_model(uint8_t *out, size_t cap, size_t *written, const char *bank, const uint8_t pk[32], uint32_t flags,
                   uint32_t max_rows, const uint8_t *desc, size_t desc_len, const uint8_t sig[64]);
int hush__pw_open(uint8_t *out, size_t cap, size_t *written, uint32_t req, const char *bank, uint32_t rows,
                  uint32_t link);
int hush__pw_session(uint8_t *out, size_t cap, size_t *written, uint32_t req, const uint8_t session[16], uint32_t role,
                     const char *peer, const uint8_t pk[32], const uint8_t dealer_pk[32], uint32_t rows, uint32_t link,
                     const uint8_t hash[32]);
/* DEALER and RELAY: the prefix before bytes the caller writes at out + the prefix size. */
void hush__pw_dealer_header(uint8_t *out, const uint8_t session[16], uint32_t flags, size_t n);
void hush__pw_relay_header(uint8_t *out, const uint8_t session[16], size_t link_len);
int hush__pw_signal(uint8_t *out, size_t cap, size_t *written, const uint8_t session[16], uint32_t kind, uint32_t seq,
                    const uint8_t *payload, size_t len, const uint8_t sig[64]);
int hush__pw_refuse(uint8_t *out, size_t cap, size_t *written, const char *bank, uint32_t req, uint16_t code,
                    const char *text);
int hush__pw_end(uint8_t *out, size_t cap, size_t *written, const uint8_t session[16], uint16_t code, const char *text);
int hush__pw_desc(uint8_t *out, size_t cap, size_t *written, const uint8_t *model, size_t model_len, const char *schema,
                  size_t schema_len);
/* The signed transcripts. */
int hush__pw_model_transcript(uint8_t *out, size_t cap, size_t *written, const char *bank, const uint8_t pk[32],
                              uint32_t flags, uint32_t max_rows, const uint8_t *desc, size_t desc_len);
int hush__pw_signal_transcript(uint8_t *out, size_t cap, size_t *written, const uint8_t session[16], const char *from,
                               const char *to, uint32_t kind, uint32_t seq, const uint8_t *payload, size_t len);
/* Sizes of the variable frames. */
size_t hush__pw_serve_size(size_t desc_len);
size_t hush__pw_model_size(const char *bank, size_t desc_len);
size_t hush__pw_signal_size(size_t len);
size_t hush__pw_model_transcript_size(const char *bank, size_t desc_len);
size_t hush__pw_signal_transcript_size(const char *from, const char *to, size_t len);

#endif
