/* Secure aggregation with dropout recovery: Bonawitz et al., "Practical Secure Aggregation for
 * Privacy-Preserving Machine Learning" (CCS 2017), double masking; and SecAgg+ of Bell et al.,
 * "Secure Single-Server Aggregation with (Poly)Logarithmic Overhead" (CCS 2020), which replaces
 * the complete graph by a sparse random neighbour graph.
 *
 * Parties: n clients with ids 0..n-1 and one server that only routes messages and unmasks. Both
 * sides are pure state machines: bytes in (_receive), bytes out (_next_message). Nothing here
 * has a socket or a clock; the driver decides when a round's deadline has passed and calls
 * hush_secagg_server_end_round, which is how dropouts are noticed.
 *
 * Rounds (client -> server messages carry the round number; the server's reply that opens round
 * r carries r):
 *   0 AdvertiseKeys   client: two X25519 public keys c_pk (encryption), s_pk (masking),
 *                     Ed25519-signed in the authenticated variant. Server -> each client: the keys
 *                     of its neighbours that advertised (U1).
 *   1 ShareKeys       client: t-of-m Shamir shares of its self-mask seed b_u and of its masking
 *                     secret key s_sk, one pair per neighbour, each encrypted with
 *                     XChaCha20-Poly1305 under BLAKE2b(X25519(c_sk_u, c_pk_v), session, keys).
 *                     Server -> each client: the ciphertexts addressed to it (senders = U2).
 *   2 MaskedInput     client: y_u = x_u + PRG(b_u) + sum_{v>u} PRG(s_uv) - sum_{v<u} PRG(s_uv)
 *                     mod 2^k over v in U2 among its neighbours, s_uv = BLAKE2b(X25519(s_sk_u,
 *                     s_pk_v), ...). PRG = ChaCha20-IETF keystream (key = seed, nonce 0) read as
 *                     little-endian 32-bit words, each reduced mod 2^k. Server -> survivors: U3.
 *   3 Consistency     client: Ed25519 signature over (session, U3) in the authenticated variant,
 *                     an empty acknowledgement otherwise. Server -> each client: U4 (and the
 *                     signatures of its neighbours in U4, which it verifies).
 *   4 Unmasking       client: for each neighbour v in U2 (itself included) exactly one share:
 *                     of b_v if v is in U3, of s_sk_v if not. The state machine fixes the kind per
 *                     peer once, when U3 arrives, and never reveals the other kind. Server:
 *                     reconstructs b_u for u in U3 and s_sk_v for v in U2 \ U3 (checked against
 *                     the advertised s_pk_v), removes the masks and outputs only the sum over U3.
 * If fewer than t clients remain at any round (or, with SecAgg+, some survivor's neighbourhood has
 * fewer than t), the round aborts: the server discards its running sum and shares, a client
 * stops, and no output exists.
 *
 * Neighbourhoods. neighbours = 0 (or >= n - 1): the complete graph (Bonawitz). Otherwise SecAgg+:
 * a Harary-like d-regular graph (d = neighbours rounded up to even) under a random relabelling
 * drawn from the public session id: client u is joined to the d clients nearest to it on a ring
 * ordered by that permutation. Bell et al. take d = O(log n). Each client's Shamir sharing is
 * over its neighbourhood M(u) = N(u) plus itself (m = d + 1 parties, threshold t <= m); with the
 * complete graph m = n. Share x-coordinates are id + 1.
 *
 * Shamir field: GF(2^61 - 1). A 32-byte secret is split into five 7-byte chunks, each shared
 * with its own random polynomial of degree t - 1; a share is five field elements (40 bytes).
 * Field arithmetic on secrets is branch-free and uses no secret-dependent indices; Lagrange
 * coefficients depend only on public ids.
 *
 * Threat model and who learns what.
 *  - Honest-but-curious server, up to t - 1 colluding clients (possibly with the server): they
 *    learn the sum over U3 (at least t clients, plus their own inputs) and the survivor sets, and
 *    nothing else about any honest client's input. Each y_u is uniform over Z_2^k given the
 *    others because of the self mask b_u; the pairwise masks make the sum of inputs the only
 *    thing b-unmasking reveals. We require 2t > m so that one set of t shares cannot be matched
 *    by a disjoint set of t, i.e. the honest clients of a neighbourhood cannot be split into a
 *    group that reveals b_v and a group that reveals s_sk_v.
 *  - Active server (authenticated variant, clients hold Ed25519 keys of a PKI given with
 *    hush_secagg_client_set_identity): it cannot impersonate clients (signed keys), cannot make
 *    different honest clients act on different survivor sets (signed U3, checked by everyone)
 *    and cannot read or alter shares in transit (AEAD with sender, recipient and session bound).
 *    It can still drop messages, which only aborts or shrinks the round. Without authentication,
 *    a malicious server can simulate clients (Sybils), so the semi-honest variant must only be
 *    used with a server that follows the protocol.
 *  - Clients learn their neighbours' public keys, the survivor sets and nothing about inputs.
 *  - SecAgg+: security holds with high probability over the random graph (Bell et al., Thm 3.6)
 *    when d is large enough for the assumed fraction of corrupt and dropped clients; the graph
 *    seed is the public session id, so the server must not be able to choose it after seeing
 *    who is corrupt (derive it from a public beacon or a commitment in a real deployment).
 * Secrets (key pairs, b_u, polynomial coefficients, received shares, the input and the masked
 * vector) live in the handle and are wiped with sodium_memzero when it is freed.
 */
#ifndef HUSH_SECAGG_H
#define HUSH_SECAGG_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

#define HUSH_SECAGG_VERSION 1
#define HUSH_SECAGG_SESSIONBYTES 16
#define HUSH_SECAGG_SEEDBYTES 32
#define HUSH_SECAGG_SHAREBYTES 40         /* five GF(2^61-1) elements, little-endian u64 */
#define HUSH_SECAGG_SIGN_PUBLICKEYBYTES 32 /* Ed25519 */
#define HUSH_SECAGG_SIGN_SECRETKEYBYTES 64
#define HUSH_SECAGG_HEADERBYTES 32
#define HUSH_SECAGG_MAX_CLIENTS 65536
#define HUSH_SECAGG_MAX_DIM (1u << 26)
#define HUSH_SECAGG_MAX_BITS 32
#define HUSH_SECAGG_SERVER_ID 0xffffffffu

/* Round numbers (hush_secagg_*_round) and terminal states. */
#define HUSH_SECAGG_ROUND_ADVERTISE 0
#define HUSH_SECAGG_ROUND_SHARE 1
#define HUSH_SECAGG_ROUND_MASKED_INPUT 2
#define HUSH_SECAGG_ROUND_CONSISTENCY 3
#define HUSH_SECAGG_ROUND_UNMASK 4
#define HUSH_SECAGG_DONE 5
#define HUSH_SECAGG_ABORTED 6

typedef struct hush_secagg_config {
    uint32_t n;             /* clients, 2..HUSH_SECAGG_MAX_CLIENTS */
    uint32_t threshold;     /* t: 2t > m and t <= m, m = neighbourhood size including self */
    uint32_t bits;          /* k: inputs and the sum live in Z_2^k, 1..32 (default 32) */
    uint32_t dim;           /* vector length, 1..HUSH_SECAGG_MAX_DIM */
    uint32_t neighbours;    /* 0: complete graph; else SecAgg+ degree (rounded up to even) */
    uint32_t authenticated; /* 1: Ed25519 signatures (rounds 0 and 3) */
    uint8_t session[HUSH_SECAGG_SESSIONBYTES]; /* public, unique per round; seeds the graph */
} hush_secagg_config;

/* Fills defaults: bits 32, complete graph, unauthenticated, session all zero. */
HUSH_NODISCARD int hush_secagg_config_init(hush_secagg_config *cfg, uint32_t n, uint32_t threshold, uint32_t dim);
/* HUSH_OK if the configuration is usable, else HUSH_EARG / HUSH_ERANGE. */
HUSH_NODISCARD int hush_secagg_config_check(const hush_secagg_config *cfg);
/* Neighbourhood size m (self included) of every client under cfg; 0 if cfg is invalid. */
uint32_t hush_secagg_neighbourhood_size(const hush_secagg_config *cfg);
/* The public graph: sorted ids of client's neighbourhood M(client), self included, into
 * out[0..m). HUSH_ERANGE if cap < m. Allocates a temporary permutation through alloc. */
HUSH_NODISCARD int hush_secagg_neighbourhood(const hush_secagg_config *cfg, uint32_t client, uint32_t *out,
                                             size_t cap, size_t *count, const hush_allocator *alloc);

/* The mask PRG: out[i] = (little-endian word i of ChaCha20-IETF(key = seed, nonce = 0, counter
 * 0)) mod 2^bits, for i < dim. Exposed for known-answer tests. */
HUSH_NODISCARD int hush_secagg_prg_expand(uint32_t *out, size_t dim, uint32_t bits,
                                          const uint8_t seed[HUSH_SECAGG_SEEDBYTES]);

/* ---- client ---- */
typedef struct hush_secagg_client hush_secagg_client;

/* seed: 32 bytes that determine every key and random coefficient (tests, reproducible
 * simulations), or NULL for the OS CSPRNG. */
HUSH_NODISCARD int hush_secagg_client_create(hush_secagg_client **out, const hush_secagg_config *cfg, uint32_t id,
                                             const uint8_t *seed, size_t seed_len, const hush_allocator *alloc);
void hush_secagg_client_free(hush_secagg_client *c);
/* Authenticated variant, before the first message: own Ed25519 secret key (64 bytes) and the
 * public keys of all n clients (n * 32 bytes, index = id). */
HUSH_NODISCARD int hush_secagg_client_set_identity(hush_secagg_client *c, const uint8_t *sign_sk, size_t sk_len,
                                                   const uint8_t *sign_pks, size_t pks_len);
/* The private input, dim values each < 2^bits; copied. Must be set before round 2. */
HUSH_NODISCARD int hush_secagg_client_set_input(hush_secagg_client *c, const uint32_t *x, size_t dim);
/* A message from the server. Wrong round, replay, wrong session or recipient: HUSH_ESTATE or
 * HUSH_EFORMAT and the state is unchanged; bad signature or ciphertext: HUSH_ECRYPTO; fewer than
 * t clients left in this client's neighbourhood: HUSH_ESTATE and the client is ABORTED. */
HUSH_NODISCARD int hush_secagg_client_receive(hush_secagg_client *c, const uint8_t *msg, size_t len);
/* The pending outgoing message, if any: *len = 0 when there is none. HUSH_ERANGE with *len set
 * to the size needed if cap is too small (the message stays pending). */
HUSH_NODISCARD int hush_secagg_client_next_message(hush_secagg_client *c, uint8_t *out, size_t cap, size_t *len);
int hush_secagg_client_round(const hush_secagg_client *c);
/* Upper bound of any message this client sends or receives, for sizing buffers. */
size_t hush_secagg_client_max_message(const hush_secagg_client *c);

/* Reads a message's header only, for routing: its round (0..4), sender and recipient (the server
 * is HUSH_SECAGG_SERVER_ID). A transport that knows who sent a message checks the sender field
 * against it before the server state machine sees the message. */
HUSH_NODISCARD int hush_secagg_message_route(const uint8_t *msg, size_t len, uint32_t *round, uint32_t *sender,
                                             uint32_t *recipient);

/* ---- server ---- */
typedef struct hush_secagg_server hush_secagg_server;

HUSH_NODISCARD int hush_secagg_server_create(hush_secagg_server **out, const hush_secagg_config *cfg,
                                             const hush_allocator *alloc);
void hush_secagg_server_free(hush_secagg_server *s);
/* A client message for the current round. Duplicate, wrong round, unknown sender or a message
 * inconsistent with earlier rounds: an error and nothing is recorded. */
HUSH_NODISCARD int hush_secagg_server_receive(hush_secagg_server *s, const uint8_t *msg, size_t len);
/* The current round's deadline: whoever has not sent by now has dropped out. Moves to the next
 * round (after round 4: unmasks and finishes). HUSH_ESTATE if the round aborted (fewer than t
 * clients, or a neighbourhood that cannot be reconstructed); HUSH_ECRYPTO if a reconstructed key
 * does not match its advertised public key (also aborts). */
HUSH_NODISCARD int hush_secagg_server_end_round(hush_secagg_server *s);
/* Next queued message for a client (*to = its id); *len = 0 when the queue is empty. HUSH_ERANGE
 * with *len set if cap is too small (the message stays queued). */
HUSH_NODISCARD int hush_secagg_server_next_message(hush_secagg_server *s, uint32_t *to, uint8_t *out, size_t cap,
                                                   size_t *len);
int hush_secagg_server_round(const hush_secagg_server *s);
/* Number of clients whose message for `round` (0..4) was accepted. */
uint32_t hush_secagg_server_count(const hush_secagg_server *s, uint32_t round);
/* After DONE: the sum mod 2^bits over U3 (dim values) and, if included is not NULL, included[i]
 * = 1 for the n clients whose input is in the sum. HUSH_ESTATE before DONE or after an abort. */
HUSH_NODISCARD int hush_secagg_server_result(const hush_secagg_server *s, uint32_t *sum, size_t dim,
                                             uint8_t *included, size_t n);
size_t hush_secagg_server_max_message(const hush_secagg_server *s);

#ifdef __cplusplus
}
#endif
#endif
