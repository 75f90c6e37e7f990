/* Secure aggregation: n clients each hold a vector in Z_2^k; a server learns the sum of the
 * survivors' vectors and nothing else, even when clients drop out in the middle of the round.
 *
 * Start here: hush_secagg_config_init + hush_secagg_session_random give a configuration; each
 * client runs a hush_secagg_client (set_input, then next_message / receive until DONE), the server
 * a hush_secagg_server (receive, end_round at each deadline, next_message), over any transport.
 * hush_secagg_run plays a whole round in process. The bounds you must declare are below.
 *
 * Protocol: Bonawitz et al., "Practical Secure Aggregation for Privacy-Preserving Machine
 * Learning" (CCS 2017), double masking; and SecAgg+ of Bell et al., "Secure Single-Server
 * Aggregation with (Poly)Logarithmic Overhead" (CCS 2020), a sparse random neighbour graph.
 * Both sides are pure state machines: bytes in (_receive), bytes out (_next_message), no socket,
 * no clock; the driver decides when a round's deadline has passed (hush_secagg_server_end_round),
 * which is how dropouts are noticed. Messages are in core/src/io/secaggwire.h (wire version 2).
 *
 * Rounds (a client's message carries the round number; the server's reply opening round r
 * carries r):
 *   0 AdvertiseKeys   client: X25519 public keys c_pk (encryption) and s_pk (masking), Ed25519-
 *                     signed in the authenticated variant. The server refuses low-order keys,
 *                     c_pk = s_pk, a key a neighbour already advertised and, with the PKI, a bad
 *                     signature. Server -> each client: its neighbours' keys (U1).
 *   1 ShareKeys       client: a hash commitment to its self-mask seed b_u, and for each neighbour
 *                     v a t-of-m Shamir share of b_u and of s_sk_u, encrypted with XChaCha20-
 *                     Poly1305 under a key from X25519(c_sk_u, c_pk_v), with a hash of each share
 *                     in the clear. Server -> each client: the shares addressed to it (U2).
 *   2 MaskedInput     client: y_u = x_u + PRG(b_u) + sum_{v>u} PRG(s_uv) - sum_{v<u} PRG(s_uv) mod
 *                     2^k over its neighbours v in U2, packed at k bits; and the neighbours whose
 *                     shares it could not use (ciphertext that does not open, share that does not
 *                     match its hash). It keeps masking with them (their keys are valid) but can
 *                     never reveal their shares; the server flags them. Server -> survivors: U3.
 *   3 Consistency     client: Ed25519 signature over (session, its id, U3) in the authenticated
 *                     variant (the server verifies it), an empty acknowledgement otherwise. A
 *                     client refuses a U3 holding a neighbour it did not mask with. Server -> each
 *                     client: its neighbours in U4 with their signatures.
 *   4 Unmasking       client, only after t valid signatures on its own U3 from its neighbourhood:
 *                     for each usable neighbour v exactly one share, of b_v if v is in U3, of
 *                     s_sk_v if not (fixed once, when U3 arrives). Server: checks every share
 *                     against its hash, reconstructs b_u for u in U3 (checked against the
 *                     commitment) and s_sk_v for v in U2 \ U3 (checked against s_pk_v), removes
 *                     the masks and outputs only the sum over U3.
 * Fewer than t clients at any round (in any survivor's neighbourhood, for SecAgg+) aborts the
 * round: the server discards its running sum and shares, a client stops, no sum exists. A share
 * that fails its hash names its sender, a secret that fails its commitment names its dealer
 * (hush_secagg_server_faults), so the driver can rerun without them.
 *
 * Keys. Every derivation binds the session: client keys come from BLAKE2b(seed; session, n, id)
 * (or the OS), pairwise keys from X25519 plus session, both ids and both public keys. One seed can
 * serve many sessions; one (seed, session) pair must never carry two different inputs.
 *
 * Neighbourhoods. neighbours = 0: the complete graph (m = n). Otherwise SecAgg+: a Harary-like
 * d-regular graph (d = neighbours rounded up to even) under a random relabelling drawn from the
 * session: client u is joined to the d clients nearest to it on a ring ordered by that
 * permutation; Bell et al. take d = O(log n). Shamir sharing is over M(u) = N(u) plus u itself
 * (m = d + 1 parties), share x-coordinates are id + 1, over GF(2^61 - 1): a 32-byte secret is five
 * 7-byte chunks with their own polynomials of degree t - 1 (a share is 40 bytes). Arithmetic on
 * secrets is branch-free; Lagrange coefficients depend only on public ids.
 *
 * Threat model: who learns what, under which declared bounds.
 *   Every configuration declares c = max_corrupt, the clients the adversary may control (they
 *   collude with the server and deviate at will; for SecAgg+, the corrupt clients inside any one
 *   neighbourhood M(u)), and k_min = min_honest, and must satisfy
 *           2t > m + c        and        t - c >= k_min        (m = |M(u)|, m = n when complete)
 *   (hush_secagg_config_check refuses anything else). These are the bounds of Bonawitz et al.
 *   (Section 6 and the appendix on active adversaries: one sum of at least t - n_C honest inputs
 *   when 2t > n + n_C, e.g. t > 2n/3 for n_C < n/3), applied per neighbourhood for SecAgg+. The
 *   counting behind them: an honest client reveals, per peer v, a share of b_v or of s_sk_v, never
 *   both; isolating x_v needs t of each, so t - c honest holders of each kind, 2(t - c) <= m - c,
 *   which 2t > m + c forbids. The same count stops two different U3 from both collecting t
 *   signatures in one neighbourhood (an honest client signs one U3; a corrupt one signs any).
 *   1. Semi-honest server (follows the protocol, reads everything), colluding with up to c
 *      clients, any dropouts: they learn the sum over U3 (at least t clients, so at least
 *      t - c >= k_min honest inputs), who survived, and nothing else. Each y_u alone is uniform
 *      (self mask b_u). This is Bonawitz et al.'s honest-but-curious theorem.
 *   2. Malicious server, authenticated variant (hush_secagg_client_set_identity on every client,
 *      hush_secagg_server_set_identities on the server: the participants' Ed25519 keys are the
 *      PKI), colluding with up to c clients. Complete graph: it learns at most one sum, over the
 *      U3 it declares (at least t - c >= k_min honest inputs), and nothing else: signed keys stop
 *      Sybils and key substitution; the signature round makes every honest client that reveals
 *      agree on U3; a client masks with at least t - 1 others and refuses a U3 holding a neighbour
 *      it did not mask with, so no honest survivor can be cut out of the sum (the "U2 signed by
 *      nobody" route, telling a client that only colluders shared keys with it, needs t - 1
 *      colluders, which t - c >= k_min >= 2 forbids). It can still drop anyone,
 *      choose U3, delay or abort the round. SecAgg+: the per-neighbourhood count still holds, so
 *      no honest client ever has both b_u and s_sk_u reconstructed; but the signature round only
 *      makes each neighbourhood agree, so clients in different neighbourhoods may act on different
 *      U3, and the smallest sum the server can isolate is a property of the random graph that
 *      Bell et al. bound with high probability (for a given degree and fractions of corrupt and
 *      dropped clients), not a deterministic bound; use the complete graph when you need one.
 *      The graph is a public function of the session: a server that may pick the session after
 *      learning who is corrupt can steer the graph, so derive it from something it committed to
 *      earlier (a beacon, or a hash of the participants' contributions); refused if all zero.
 *   3. Unauthenticated variant, malicious server: no guarantee (it can play every other client).
 *   Clients learn their neighbours' public keys and the survivor sets, nothing about inputs.
 * Secrets (key pairs, b_u, polynomial coefficients, received shares, the signing key, the input
 * and the masked vector) live in the handle and are wiped once the round is over, on abort and
 * at free; temporaries on the stack are wiped before returning.
 */
#ifndef HUSH_SECAGG_H
#define HUSH_SECAGG_H

#include "common.h"
#include "data.h"
#include "rng.h"

#ifdef __cplusplus
extern "C" {
#endif

#define HUSH_SECAGG_WIRE_VERSION 2
#define HUSH_SECAGG_CONFIG_VERSION 0x53410002u
#define HUSH_SECAGG_SESSION_BYTES 16
#define HUSH_SECAGG_SEED_BYTES 32
#define HUSH_SECAGG_SHARE_BYTES 40 /* five GF(2^61-1) elements, little-endian u64 */
#define HUSH_SECAGG_SIGN_PUBLIC_KEY_BYTES 32 /* Ed25519 */
#define HUSH_SECAGG_SIGN_SECRET_KEY_BYTES 64
#define HUSH_SECAGG_HEADER_BYTES 32
#define HUSH_SECAGG_MAX_CLIENTS 65536
#define HUSH_SECAGG_MAX_DIM (1u << 26)
#define HUSH_SECAGG_MAX_BITS 32
#define HUSH_SECAGG_SERVER_ID 0xffffffffu

/* Where a client or the server is (hush_secagg_*_round): a round 0..4, or a terminal state. */
enum hush_secagg_state {
    HUSH_SECAGG_ROUND_ADVERTISE = 0,
    HUSH_SECAGG_ROUND_SHARE = 1,
    HUSH_SECAGG_ROUND_MASKED_INPUT = 2,
    HUSH_SECAGG_ROUND_CONSISTENCY = 3,
    HUSH_SECAGG_ROUND_UNMASK = 4,
    HUSH_SECAGG_DONE = 5,
    HUSH_SECAGG_ABORTED = 6
};

/* What the server noticed about a client (bits of hush_secagg_server_faults). */
enum hush_secagg_fault {
    HUSH_SECAGG_FAULT_KEY = 1,        /* round 0 refused: low-order, duplicate or badly signed keys */
    HUSH_SECAGG_FAULT_SIGNATURE = 2,  /* round 3 refused: bad consistency signature */
    HUSH_SECAGG_FAULT_SHARE = 4,      /* round 4 refused: a revealed share does not match its hash */
    HUSH_SECAGG_FAULT_DEALER = 8,     /* its shares reconstruct a secret other than its commitment */
    HUSH_SECAGG_FAULT_CIPHERTEXT = 16 /* a neighbour could not use the shares it sent (it or the
                                         server sent garbage); too many and the round aborts */
};

typedef struct hush_secagg_config {
    uint32_t version;       /* HUSH_SECAGG_CONFIG_VERSION (set by hush_secagg_config_init) */
    uint32_t n;             /* clients, 2..HUSH_SECAGG_MAX_CLIENTS */
    uint32_t threshold;     /* t */
    uint32_t max_corrupt;   /* c: corrupt clients tolerated (per neighbourhood for SecAgg+) */
    uint32_t min_honest;    /* k_min: honest inputs in any sum the server learns (default 2) */
    uint32_t bits;          /* k: inputs and the sum live in Z_2^k, 1..32 (default 32) */
    uint32_t dim;           /* vector length, 1..HUSH_SECAGG_MAX_DIM */
    uint32_t neighbours;    /* 0: complete graph; else SecAgg+ degree (rounded up to even) */
    uint32_t authenticated; /* 1: Ed25519 PKI (rounds 0 and 3) */
    uint8_t session[HUSH_SECAGG_SESSION_BYTES]; /* public, fresh per round; seeds the graph */
} hush_secagg_config;

/* Fills every default (k_min 2, bits 32, complete graph, unauthenticated, all-zero session) and
 * the required values. HUSH_EARG if one of these is impossible on its own (n outside 2..MAX,
 * threshold outside 1..n, max_corrupt >= n, dim outside 1..MAX_DIM); the bounds that depend on
 * the graph are checked by hush_secagg_config_check and by every _create. */
HUSH_NODISCARD int hush_secagg_config_init(hush_secagg_config *cfg, uint32_t n, uint32_t threshold,
                                           uint32_t max_corrupt, uint32_t dim);
/* HUSH_OK if usable. HUSH_EARG: NULL, wrong version, an all-zero session with neighbours != 0 or
 * authenticated; HUSH_ERANGE: a value out of range, t > m, or a bound violated (2t <= m + c, or
 * t - c < k_min). */
HUSH_NODISCARD int hush_secagg_config_check(const hush_secagg_config *cfg);
/* A fresh random session id from the OS CSPRNG (through hush_rng). */
HUSH_NODISCARD int hush_secagg_session_random(uint8_t out[HUSH_SECAGG_SESSION_BYTES]);
/* Neighbourhood size m (self included) under cfg; 0 if cfg is invalid. */
uint32_t hush_secagg_neighbourhood_size(const hush_secagg_config *cfg);
/* The public graph: sorted ids of M(client), self included, into out[0..m); *written = m.
 * HUSH_ERANGE if cap < m. Allocates a temporary permutation through alloc. */
HUSH_NODISCARD int hush_secagg_neighbourhood(const hush_secagg_config *cfg, uint32_t *out, size_t cap,
                                             size_t *written, uint32_t client, const hush_allocator *alloc);
/* Bytes one client handle and the server handle take under cfg (the whole layout, computed in 64
 * bits). HUSH_ERANGE if a size does not fit 64 bits; _create fails with HUSH_ERANGE when it does
 * not fit size_t (32 bits on wasm32). Either output may be NULL. */
HUSH_NODISCARD int hush_secagg_memory(const hush_secagg_config *cfg, uint64_t *client_bytes, uint64_t *server_bytes);

/* The mask PRG: out[i] = (little-endian word i of ChaCha20-IETF(key = seed, nonce = 0, counter
 * 0)) mod 2^bits, for i < dim. Exposed for known-answer tests. */
HUSH_NODISCARD int hush_secagg_prg_expand(uint32_t *out, size_t dim, uint32_t bits,
                                          const uint8_t seed[HUSH_SECAGG_SEED_BYTES]);

/* The untrusted text of `hush secagg sim --inputs`: one client per line, dim unsigned decimal
 * integers each below 2^bits separated by commas and/or blanks; blank lines skipped; every line
 * has the first line's count; at least two lines. Writes nothing and allocates nothing when
 * out is NULL (size pass); otherwise out needs clients * dim values. HUSH_EFORMAT with err set
 * (line, message) on bad text, HUSH_ERANGE if cap is too small or a count exceeds the limits. */
HUSH_NODISCARD int hush_secagg_inputs_parse(uint32_t *out, size_t cap, size_t *clients, size_t *dim, uint32_t bits,
                                            const char *text, size_t len, hush_parse_error *err);

/* ---- client ---- */
typedef struct hush_secagg_client hush_secagg_client;

/* seed: 32 bytes that, with the session, n and id, determine every key and random coefficient
 * (tests, reproducible simulations), or NULL for the OS CSPRNG. */
HUSH_NODISCARD int hush_secagg_client_create(hush_secagg_client **out, const hush_secagg_config *cfg, uint32_t id,
                                             const uint8_t *seed, size_t seed_len, const hush_allocator *alloc);
void hush_secagg_client_free(hush_secagg_client *c);
/* Authenticated variant, before the first message: own Ed25519 secret key (64 bytes, its public
 * half must be entry id of the PKI) and the public keys of all n clients (n * 32 bytes, index =
 * id), pinned: no other key is accepted for a peer. Only the neighbourhood's keys are ever used
 * (SecAgg+: the others may be zero). */
HUSH_NODISCARD int hush_secagg_client_set_identity(hush_secagg_client *c, const uint8_t *sign_sk, size_t sk_len,
                                                   const uint8_t *sign_pks, size_t pks_len);
/* The private input, dim values each < 2^bits; copied. Must be set before round 2. */
HUSH_NODISCARD int hush_secagg_client_set_input(hush_secagg_client *c, const uint32_t *x, size_t dim);
/* A message from the server. Wrong round, replay, wrong session or recipient, a list the client
 * cannot accept (a U3 with a neighbour it did not mask with): HUSH_ESTATE or HUSH_EFORMAT and the
 * state is unchanged; a key with a bad signature, a bad consistency signature: HUSH_ECRYPTO, state
 * unchanged; fewer than t clients left in its neighbourhood: HUSH_ESTATE and it is ABORTED. A
 * share it cannot open is not an error: that peer's shares are treated as never received. */
HUSH_NODISCARD int hush_secagg_client_receive(hush_secagg_client *c, const uint8_t *msg, size_t len);
/* The pending outgoing message, if any (*written = 0 when there is none). HUSH_ERANGE with
 * *written set to the size needed if cap is too small (the message stays pending). */
HUSH_NODISCARD int hush_secagg_client_next_message(hush_secagg_client *c, uint8_t *out, size_t cap, size_t *written);
/* enum hush_secagg_state (HUSH_SECAGG_ABORTED for NULL). */
int hush_secagg_client_round(const hush_secagg_client *c);
/* Upper bound of any message this client sends or receives, for sizing buffers. */
size_t hush_secagg_client_max_message(const hush_secagg_client *c);

/* Reads a message's header only, for routing: its round (0..4), sender and recipient (the server
 * is HUSH_SECAGG_SERVER_ID). A transport that knows who sent a message checks the sender field
 * against it before the server state machine sees the message. */
HUSH_NODISCARD int hush_secagg_message_route(uint32_t *round, uint32_t *sender, uint32_t *recipient,
                                             const uint8_t *msg, size_t len);

/* ---- server ---- */
typedef struct hush_secagg_server hush_secagg_server;

HUSH_NODISCARD int hush_secagg_server_create(hush_secagg_server **out, const hush_secagg_config *cfg,
                                             const hush_allocator *alloc);
void hush_secagg_server_free(hush_secagg_server *s);
/* Authenticated variant, before the first message: the participants' Ed25519 public keys
 * (n * 32 bytes, index = id). Without them an authenticated server accepts nothing. */
HUSH_NODISCARD int hush_secagg_server_set_identities(hush_secagg_server *s, const uint8_t *sign_pks, size_t pks_len);
/* A client message for the current round. Duplicate, wrong round, unknown sender or a message
 * inconsistent with earlier rounds: an error and nothing is recorded. Bad keys (round 0), a bad
 * signature (round 3) or a share that fails its hash (round 4): HUSH_ECRYPTO, the message is
 * refused (that client counts as dropped) and the fault is recorded. */
HUSH_NODISCARD int hush_secagg_server_receive(hush_secagg_server *s, const uint8_t *msg, size_t len);
/* The current round's deadline: whoever has not sent by now has dropped out. Moves to the next
 * round (after round 4: unmasks and finishes). HUSH_ESTATE if the round aborted (fewer than t
 * clients, or a neighbourhood that cannot be reconstructed); HUSH_ECRYPTO if a reconstructed
 * secret fails its commitment or public key, or a client's shares are unusable by too many
 * neighbours to reconstruct it (also aborts; hush_secagg_server_faults names the client). */
HUSH_NODISCARD int hush_secagg_server_end_round(hush_secagg_server *s);
/* Next queued message for a client (*to = its id); *written = 0 when the queue is empty.
 * HUSH_ERANGE with *written set if cap is too small (the message stays queued). */
HUSH_NODISCARD int hush_secagg_server_next_message(hush_secagg_server *s, uint32_t *to, uint8_t *out, size_t cap,
                                                   size_t *written);
/* enum hush_secagg_state (HUSH_SECAGG_ABORTED for NULL). */
int hush_secagg_server_round(const hush_secagg_server *s);
/* Number of clients whose message for `round` (0..4) was accepted. */
uint32_t hush_secagg_server_count(const hush_secagg_server *s, uint32_t round);
/* After DONE: the sum mod 2^bits over U3 (dim values) and, if included is not NULL, included[i]
 * = 1 for the n clients whose input is in the sum. HUSH_ESTATE before DONE or after an abort. */
HUSH_NODISCARD int hush_secagg_server_result(const hush_secagg_server *s, uint32_t *sum, size_t sum_len,
                                             uint8_t *included, size_t included_len);
/* faults[i] = OR of enum hush_secagg_fault noticed about client i so far (any state). */
HUSH_NODISCARD int hush_secagg_server_faults(const hush_secagg_server *s, uint8_t *faults, size_t faults_len);
size_t hush_secagg_server_max_message(const hush_secagg_server *s);

/* ---- in-process driver ---- */
/* Optional wall clock for the driver's per-party timing (the core has no clock of its own). */
typedef struct hush_secagg_clock {
    double (*now)(void *ud); /* seconds, monotonic */
    void *ud;
} hush_secagg_clock;

typedef struct hush_secagg_stats {
    uint32_t survivors;     /* inputs in the sum (|U3|) */
    uint32_t aborted_round; /* round that aborted (0..4), HUSH_SECAGG_DONE if none */
    uint32_t remaining;     /* after an abort: clients whose message of that round was accepted */
    uint32_t faulty;        /* clients with a fault recorded */
    uint64_t messages;      /* messages delivered, both directions */
    uint64_t bytes_up, bytes_down;                       /* all clients together */
    uint64_t max_client_bytes_up, max_client_bytes_down; /* the busiest client */
    double client_seconds_max, server_seconds, unmask_seconds; /* 0 without a clock */
} hush_secagg_stats;

/* One whole round in process, every message through the wire encoding: n clients with inputs
 * (n * dim values < 2^bits, row u = client u), and the server. drop[u] (n entries, or NULL for
 * nobody) is the first round in which client u sends nothing, HUSH_SECAGG_DONE for never. The
 * clients' seeds (and, authenticated, an Ed25519 PKI) come from rng, or from the OS if rng is
 * NULL. On success: sum (dim) and included (n, may be NULL). An abort returns HUSH_ESTATE (or the
 * server's HUSH_ECRYPTO) with stats->aborted_round and ->remaining set. */
HUSH_NODISCARD int hush_secagg_run(const hush_secagg_config *cfg, hush_rng *rng, hush_secagg_stats *stats,
                                   uint32_t *sum, size_t sum_len, uint8_t *included, size_t included_len,
                                   const uint32_t *inputs, size_t inputs_len, const uint8_t *drop, size_t drop_len,
                                   const hush_secagg_clock *clock, const hush_allocator *alloc);

#ifdef __cplusplus
}
#endif
#endif
