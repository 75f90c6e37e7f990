/* hush channel: an authenticated, encrypted, ordered link between two peers.
 *
 * Start here: each side calls hush_channel_config_init (initiator or responder, the agreed 128-bit
 * session id, both roles) and hush_channel_create (its Ed25519 identity key, the peer's expected
 * public key), and moves handshake bytes (hush_channel_next_message out, hush_channel_receive in)
 * over any transport until hush_channel_state is OPEN; then hush_channel_seal each message out and
 * hush_channel_receive each record in. No sockets, no clock: bytes in, bytes out.
 *
 * HANDSHAKE (three messages, signed ephemeral Diffie-Hellman in the style of SIGMA):
 *   HELLO   initiator -> responder  session, role_I, role_R, e_I     (X25519 ephemeral key)
 *   REPLY   responder -> initiator  e_R, sig_R
 *   FINISH  initiator -> responder  sig_I
 * th = BLAKE2b-512("hush-channel-v1" || session || le32 role_I || le32 role_R || pk_I || pk_R ||
 * e_I || e_R), where pk_I, pk_R are the Ed25519 identity keys; sig_R = Ed25519(sk_R,
 * "hush-channel-v1 responder" || th), sig_I = Ed25519(sk_I, "hush-channel-v1 initiator" || th).
 * Each side verifies the peer's signature with the public key it EXPECTS (given at create), so a
 * man in the middle without the peer's secret key is refused, and because th names both identity
 * keys, both roles and the session, a signature cannot be replayed into another session, another
 * pair of roles or another peer (no unknown-key-share). Keys: k = BLAKE2b-512(key = X25519(e, e'),
 * "hush-channel-v1 keys" || th); the first half encrypts initiator -> responder, the second half
 * responder -> initiator. The ephemeral secret is wiped as soon as the keys exist (forward
 * secrecy: a later theft of identity keys does not decrypt recorded sessions), and the identity
 * secret as soon as the handshake signature is made.
 *
 * RECORDS: header (magic, version, type DATA or CLOSE, u64 counter, u32 length) followed by
 * XChaCha20-Poly1305 of the payload with the header as associated data and the counter as nonce.
 * Each direction has its own key and counter starting at 0; a receiver accepts exactly the next
 * counter, so replayed, reordered, dropped-then-resumed and reflected records are refused, and
 * any flipped bit fails the tag. A CLOSE record ends a direction: hush_channel_state says CLOSED
 * only after the peer's authentic CLOSE, so a stream cut short by an attacker is noticed (the
 * transport ended while the state is still OPEN).
 *
 * THREAT MODEL. The network (the signalling server, a relay, anyone on the path) is fully active:
 * it reads, drops, delays, replays, reorders and injects bytes. Assumed: each party's identity
 * secret key is secret, the expected public key of the peer is authentic (enrolment with the
 * server or out of band), the session id is fresh and agreed by both ends, and libsodium's
 * primitives are secure. Then the network learns only the identities, the roles, the session id,
 * the record lengths and their timing; it cannot read, forge, replay, reorder or truncate
 * records without detection. It can always stop the channel (denial of service). Nothing here
 * hides who talks to whom, or the size of what they say. Both ends must treat a record only as
 * coming from the peer's identity, never from anything the payload claims.
 *
 * ERRORS. HUSH_ETRUNC, HUSH_EFORMAT, HUSH_EVERSION for malformed bytes; HUSH_ESTATE for a valid
 * message that is not expected now (a handshake message out of turn, another session or role, a
 * counter other than the next one, a record after CLOSE); HUSH_ECRYPTO for a bad signature, tag
 * or ephemeral key. On every error the channel is unchanged, so injected garbage cannot knock a
 * genuine stream off course; a caller may still choose to drop the link on any error.
 */
#ifndef HUSH_CHANNEL_H
#define HUSH_CHANNEL_H

#include "common.h"
#include "rng.h"

#ifdef __cplusplus
extern "C" {
#endif

#define HUSH_CHANNEL_CONFIG_VERSION 0x43480001u
#define HUSH_CHANNEL_WIRE_VERSION 1
#define HUSH_CHANNEL_SESSION_BYTES 16
#define HUSH_CHANNEL_PUBLIC_KEY_BYTES 32  /* Ed25519 */
#define HUSH_CHANNEL_SECRET_KEY_BYTES 64  /* Ed25519, libsodium layout (seed || public key) */
#define HUSH_CHANNEL_RECORD_HEADER_BYTES 20
#define HUSH_CHANNEL_TAG_BYTES 16
/* A record is its payload plus this many bytes. */
#define HUSH_CHANNEL_OVERHEAD_BYTES (HUSH_CHANNEL_RECORD_HEADER_BYTES + HUSH_CHANNEL_TAG_BYTES)
/* Largest handshake message (REPLY). */
#define HUSH_CHANNEL_HANDSHAKE_MAX_BYTES 104
/* Largest payload of one record; transports that carry smaller frames fragment records. */
#define HUSH_CHANNEL_MAX_PAYLOAD_BYTES (1u << 30)

enum hush_channel_side { HUSH_CHANNEL_INITIATOR = 1, HUSH_CHANNEL_RESPONDER = 2 };
enum hush_channel_state {
    HUSH_CHANNEL_STATE_HANDSHAKE = 1, /* exchanging handshake messages */
    HUSH_CHANNEL_STATE_OPEN = 2,      /* records can be sealed and received */
    HUSH_CHANNEL_STATE_CLOSED = 3     /* the peer's CLOSE arrived: its direction ended cleanly */
};

typedef struct hush_channel_config {
    uint32_t version;    /* HUSH_CHANNEL_CONFIG_VERSION, set by hush_channel_config_init */
    uint32_t side;       /* enum hush_channel_side */
    uint32_t local_role; /* application roles (e.g. an MPC party index, HUSH_MPC_ROLE_DEALER): */
    uint32_t peer_role;  /* both ends must agree, and both are bound into the keys */
    uint8_t session[HUSH_CHANNEL_SESSION_BYTES];
} hush_channel_config;

/* Fills every field. HUSH_EARG for a side that is not one of enum hush_channel_side, a session
 * that is not HUSH_CHANNEL_SESSION_BYTES long or all zero, or equal roles. */
HUSH_NODISCARD int hush_channel_config_init(hush_channel_config *cfg, uint32_t side, const uint8_t *session,
                                            size_t session_len, uint32_t local_role, uint32_t peer_role);

/* An Ed25519 identity key pair from rng (NULL: the OS CSPRNG). */
HUSH_NODISCARD int hush_channel_keypair(hush_rng *rng, uint8_t *public_key, size_t public_key_len,
                                        uint8_t *secret_key, size_t secret_key_len);

typedef struct hush_channel hush_channel;
/* rng: the ephemeral X25519 key (NULL: the OS CSPRNG; a seeded rng only for tests and
 * reproducible runs). secret_key: this side's identity; peer_public_key: the identity the peer
 * must prove. The initiator's HELLO is ready at once (hush_channel_next_message). */
HUSH_NODISCARD int hush_channel_create(hush_channel **out, hush_rng *rng, const hush_channel_config *cfg,
                                       const uint8_t *secret_key, size_t secret_key_len,
                                       const uint8_t *peer_public_key, size_t peer_public_key_len,
                                       const hush_allocator *alloc);
/* Wipes every key and frees. */
void hush_channel_free(hush_channel *ch);
/* One of enum hush_channel_state (0 for NULL). */
uint32_t hush_channel_state(const hush_channel *ch);
/* The next handshake message to send (*written = 0 if none now). HUSH_ERANGE (with *written the
 * size needed) if cap is too small. */
HUSH_NODISCARD int hush_channel_next_message(hush_channel *ch, uint8_t *out, size_t cap, size_t *written);
/* Consumes one message from the peer: a handshake message (*written = 0; check
 * hush_channel_next_message afterwards) or a record, whose payload is written to out (*written
 * its length; 0 for CLOSE). HUSH_ERANGE with *written the payload size if cap is too small. */
HUSH_NODISCARD int hush_channel_receive(hush_channel *ch, uint8_t *out, size_t cap, size_t *written,
                                        const uint8_t *msg, size_t len);
/* Encrypts len bytes into one DATA record of len + HUSH_CHANNEL_OVERHEAD_BYTES bytes. In place
 * works: plain may be out + HUSH_CHANNEL_RECORD_HEADER_BYTES. HUSH_ESTATE before the handshake
 * is done or after hush_channel_close. */
HUSH_NODISCARD int hush_channel_seal(hush_channel *ch, uint8_t *out, size_t cap, size_t *written,
                                     const uint8_t *plain, size_t len);
/* The CLOSE record that ends this side's direction; nothing can be sealed afterwards. */
HUSH_NODISCARD int hush_channel_close(hush_channel *ch, uint8_t *out, size_t cap, size_t *written);

#ifdef __cplusplus
}
#endif
#endif
