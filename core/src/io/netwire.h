/* Wire encoding of the hush.v1 network protocol (hush/net.h): the only place its bytes are
 * parsed, on the server and in every participant. One message per WebSocket binary frame:
 *
 *   'h' 'n' | u8 version (1) | u8 type | u32 body length | body
 *
 * Bodies, all little-endian; NAME is u8 length (1..64) then that many bytes of [A-Za-z0-9._-]:
 *   1 CHALLENGE  S->C  nonce[32] u32 flags
 *   2 AUTH       C->S  NAME(identity) pk[32] u8 has_token [token[32]] sig[64]
 *   3 WELCOME    S->C  NAME(identity) u32 flags (bit 0: enrolled by this connection)
 *   4 ERROR      S->C  u16 code u16 length text (printable ASCII, at most 200 bytes)
 *   5 JOIN       C->S  NAME(task)
 *   6 ROUND      S->C  NAME(task) u32 round session[16] u32 n u32 threshold u32 bits u32 dim
 *                      u32 neighbours u32 max_corrupt u32 flags u32 your_id, then the round's PKI:
 *                      n x (NAME(identity) pk[32])                        (index = id), or with
 *                      flags bit 1 (SPARSE): u32 count, count x (u32 id NAME(identity) pk[32]),
 *                      ids strictly increasing, your_id among them: SecAgg+ sends each
 *                      participant its neighbourhood's keys only (all a participant verifies)
 *   7 SECAGG     both  u32 round, then one secure-aggregation message (hush/secagg.h) to the end
 *   8 RESULT     S->C  NAME(task) u32 round u8 status (1 committed, 2 aborted) u32 flags
 *                      (bit 0: the task has no further rounds) u32 dim, dim x u32 (committed only)
 *   9 MODEL      S->C  NAME(task) u32 round task[HUSH_FEDERATED_TASK_BYTES] u32 length, model file
 *  10 DECLINE    C->S  NAME(task) u32 round u32 reason (enum hush_net_decline_reason)
 * Types 16..31 are the p2p frames (hush/p2p.h): the header is checked here and the body handed
 * on unparsed (payload, payload_len) to io/p2pwire.c.
 * The body length must match the frame exactly (shorter: HUSH_ETRUNC; longer or inconsistent:
 * HUSH_EFORMAT); another version is HUSH_EVERSION; unknown types, bad names, flags with unknown
 * bits, zero or out-of-range configuration fields and ids >= n are HUSH_EFORMAT. The decoder is
 * stateless, allocates nothing and copies nothing (pointers point into the frame), so checks that
 * need memory (a ROUND's PKI holding a name or key twice) are the receiver's.
 */
#ifndef HUSH__IO_NETWIRE_H
#define HUSH__IO_NETWIRE_H

#include <stddef.h>
#include <stdint.h>

#include "hush/net.h"

#define HUSH__NW_HEADER_BYTES 8
#define HUSH__NW_ROUND_SPARSE 2u /* ROUND flags: the PKI lists some ids, each with its id */
#define HUSH__NW_MAGIC0 'h'
#define HUSH__NW_MAGIC1 'n'

typedef struct hush__nw_name {
    const uint8_t *p;
    uint8_t len;
} hush__nw_name;

typedef struct hush__nw_msg {
    uint32_t type;
    const uint8_t *nonce;  /* CHALLENGE */
    uint32_t flags;        /* CHALLENGE, WELCOME, ROUND, RESULT */
    hush__nw_name name;    /* AUTH, WELCOME: identity; JOIN, ROUND, RESULT: task */
    const uint8_t *pk, *token, *sig; /* AUTH (token NULL when absent) */
    uint16_t code;         /* ERROR */
    const uint8_t *text;
    uint16_t text_len;
    uint32_t round;        /* ROUND, SECAGG, RESULT */
    const uint8_t *session;
    uint32_t n, threshold, bits, dim, neighbours, max_corrupt, your_id; /* ROUND (dim also RESULT) */
    const uint8_t *pki;    /* ROUND: pki_count entries (n unless SPARSE), walk with hush__nw_pki_next */
    size_t pki_len;
    uint32_t pki_count;
    uint32_t status;       /* RESULT */
    const uint8_t *values; /* RESULT: dim little-endian u32 */
    const uint8_t *payload; /* SECAGG; MODEL: the model file; types 16..31: the whole body */
    size_t payload_len;
    const uint8_t *fl_task; /* MODEL: HUSH_FEDERATED_TASK_BYTES, decoded and checked */
    uint32_t reason;        /* DECLINE */
} hush__nw_msg;

/* Decodes one frame of at most max_len bytes (larger: HUSH_ERANGE before anything is read). */
int hush__nw_decode(hush__nw_msg *m, const uint8_t *p, size_t len, size_t max_len);
/* Walks a decoded PKI: *pos starts at 0; call i (0-based) yields entry i's id, name and key. */
void hush__nw_pki_next(const hush__nw_msg *m, size_t *pos, uint32_t i, uint32_t *id, hush__nw_name *name,
                       const uint8_t **pk);
/* Is this a valid NAME (1..64 bytes of [A-Za-z0-9._-])? */
int hush__nw_name_ok(const uint8_t *p, size_t len);

/* Shared with the p2p frames (p2pwire.c), which use the same header and names. */
struct hush__rd;
struct hush__wr;
/* Checks the 8-byte header of a frame of at most max_len bytes and sets *type and a reader over
 * the body (which must fill the frame exactly). */
int hush__nw_open(struct hush__rd *r, uint32_t *type, const uint8_t *p, size_t len, size_t max_len);
/* A length-prefixed NAME; a bad one sets r->err to HUSH_EFORMAT. */
hush__nw_name hush__nw_rd_name(struct hush__rd *r);
/* Starts a frame of `type` with a body of `body` bytes into out[cap]; finish sets *written (0 and
 * HUSH_ERANGE when cap was too small). */
int hush__nw_begin(struct hush__wr *w, uint8_t *out, size_t cap, uint32_t type, size_t body);
int hush__nw_finish(struct hush__wr *w, size_t *written);

/* Encoders write into out[cap] and set *written; HUSH_ERANGE when cap is too small (nothing
 * useful written). Names are validated (HUSH_EARG). */
int hush__nw_challenge(uint8_t *out, size_t cap, size_t *written, const uint8_t nonce[32], uint32_t flags);
/* The bytes an AUTH signature covers (see net.h), into out[cap]. */
int hush__nw_auth_transcript(uint8_t *out, size_t cap, size_t *written, const uint8_t nonce[32], const char *name,
                             const uint8_t pk[32], const uint8_t *token);
int hush__nw_auth(uint8_t *out, size_t cap, size_t *written, const char *name, const uint8_t pk[32],
                  const uint8_t *token, const uint8_t sig[64]);
int hush__nw_welcome(uint8_t *out, size_t cap, size_t *written, const char *name, uint32_t flags);
int hush__nw_error(uint8_t *out, size_t cap, size_t *written, uint16_t code, const char *text);
int hush__nw_join(uint8_t *out, size_t cap, size_t *written, const char *task);
/* ROUND header fields; the PKI entries are appended with hush__nw_round_pki. */
typedef struct hush__nw_round {
    const char *task;
    uint32_t round;
    const uint8_t *session;
    uint32_t n, threshold, bits, dim, neighbours, max_corrupt, flags, your_id;
    uint32_t pki_count; /* SPARSE: the entries in pki (written before them) */
} hush__nw_round_info;
size_t hush__nw_round_size(const hush__nw_round_info *r, size_t pki_bytes);
int hush__nw_round(uint8_t *out, size_t cap, size_t *written, const hush__nw_round_info *r, const uint8_t *pki,
                   size_t pki_bytes);
/* One PKI entry (NAME pk[32]; sparse: u32 id NAME pk[32]) at out; returns its size, or 0 if the
 * name is invalid or cap short. */
size_t hush__nw_pki_entry(uint8_t *out, size_t cap, const char *name, const uint8_t pk[32]);
size_t hush__nw_pki_entry_id(uint8_t *out, size_t cap, uint32_t id, const char *name, const uint8_t pk[32]);
/* SECAGG: the 12 header bytes go before a payload the caller writes at out + 12. */
#define HUSH__NW_SECAGG_PREFIX (HUSH__NW_HEADER_BYTES + 4)
void hush__nw_secagg_header(uint8_t *out, uint32_t round, size_t payload_len);
int hush__nw_result(uint8_t *out, size_t cap, size_t *written, const char *task, uint32_t round, uint32_t status,
                    uint32_t flags, const uint32_t *values, uint32_t dim);
size_t hush__nw_model_size(const char *task, size_t model_len);
int hush__nw_model(uint8_t *out, size_t cap, size_t *written, const char *task, uint32_t round,
                   const uint8_t fl_task[HUSH_FEDERATED_TASK_BYTES], const uint8_t *model, size_t model_len);
int hush__nw_decline(uint8_t *out, size_t cap, size_t *written, const char *task, uint32_t round, uint32_t reason);

#endif
