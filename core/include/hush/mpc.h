/* hush mpc: secret sharing and encrypted machine learning.
 *
 * Start here: hush_mpc_predict_run makes encrypted decisions in one call (parties, dealer and
 * applicant in-process, every link an authenticated channel); hush_mpc_train_run trains on shares.
 * For roles in separate processes: hush_mpc_config_init, hush_mpc_party_create per role, attach
 * an open hush_channel (hush/channel.h) per peer, then move records: hush_mpc_party_next_message
 * says whom each is for, hush_mpc_party_receive takes each with the role it came from.
 *
 * ROLES AND WHAT EACH LEARNS. n >= 2 compute parties (the bank runs them) hold additive shares
 * over the ring Z_2^64 (x = sum of the shares mod 2^64) of the model and of every intermediate
 * value. A dealer (the "crypto provider", hush-server --dealer) hands out correlated randomness:
 * Beaver triples, truncation pairs, comparison keys. A client (the applicant; the data owner
 * when training) shares her inputs and alone reconstructs outputs.
 *  - A compute party learns the public shapes and architecture, and values that are uniform on
 *    their own: shares, and openings x - a or x + r masked by ring elements only the dealer
 *    knows. Shares and Beaver openings stay private against any n - 1 colluding parties;
 *    comparisons use two-party DCF keys held by parties 0 and 1, private unless those two
 *    collude (with n = 2, the basic assumption anyway).
 *  - The dealer learns nothing: it never receives a share, an opening or an output. The state
 *    machines never address a message to it (it has no receive path at all), and it cannot
 *    read the party-to-party or client-to-party channels.
 *  - The client learns the output and the model's public input standardisation (the training
 *    means and standard deviations, applied before sharing, as client-side preprocessing in TF
 *    Encrypted and CrypTen). By default (HUSH_MPC_OUTPUT_DECISION) the output is the decision
 *    alone, the securely computed argmax; HUSH_MPC_OUTPUT_LOGITS also reveals full-precision
 *    logits, which let an applicant extract a linear model with d + 1 queries (and small
 *    models with a few more): opt in only when the model owner accepts that.
 *  - Training reveals the trained parameters to the client (the data owner), and the public
 *    schedule (epochs, batch, learning rate, shuffle order) to everyone.
 * ASSUMPTIONS. Every role is semi-honest (follows the protocol) and no compute party colludes
 * with the dealer (the dealer knows the masks of every opening). The network is NOT trusted:
 * every party-to-party, dealer-to-party and client-to-party link is a hush_channel, so an
 * active network (including the relay) reads nothing, and cannot inject, replay, reorder or
 * drop-and-resume messages. The channel must provide (and does, see hush/channel.h): mutual
 * authentication against the identity keys the caller expects, confidentiality, integrity,
 * ordering, and binding to the session id and both roles. A record is attributed to the role
 * of the channel it came from; the party refuses any message whose header names another sender,
 * recipient or session. Malicious parties or a malicious dealer can still make the result wrong
 * (no MACs on shares: this is not a maliciously secure protocol).
 *
 * SESSIONS. A session id is 128 random bits (HUSH_MPC_SESSION_BYTES) agreed by all roles: the
 * client draws it and every role's channels are created with it. It is bound into every message
 * header, every channel key (so every dealer message is authenticated by a MAC, the channel's
 * Poly1305 tag, under a key derived from a transcript that contains the session id), and every
 * PRG seed expansion (hush_mpc_share_expand's context names the session and the operation), so
 * material from another session is refused or expands to unrelated values. The all-zero id is
 * refused. A hush_mpc_guard remembers the ids a role has used and refuses a repeat: a long-lived
 * compute party or dealer (the bank's server, the dealer server) must pass the same guard to
 * every hush_mpc_party_create for as long as it runs, and persist the ids it added if it
 * restarts (add them again at start). The in-process drivers keep one per role per call.
 *
 * RANDOMNESS. Shares, dealer material, session ids, identity and ephemeral keys come from the
 * rng given to the drivers and to the dealer and client, and a NULL rng means the OS CSPRNG.
 * Pass a seeded rng only for tests and reproducible experiments: then the secrets are
 * reproducible too, so nothing is private.
 *
 * FIXED POINT. A real x is encoded as round(x * 2^f) in two's complement (f = frac_bits,
 * default 16). Encoding reports HUSH_ERANGE when |x| * 2^f >= 2^62 (products need headroom)
 * and HUSH_ENUMERIC for NaN/inf; decoding is exact whenever |x| * 2^f < 2^53.
 *
 * MULTIPLICATION. Beaver triples (a, b, c = a*b) from the dealer: the parties open
 * alpha = x - a and beta = y - b and take z = c + alpha*b + beta*a (+ alpha*beta by party 0).
 * Matrix products use matmul triples (A, B, C = A B) the same way. Exact in the ring.
 *
 * TRUNCATION (after a fixed-point product, which has 2f fractional bits), exact up to one ulp
 * and never failing for |x| < 2^62 ring units (real products below 2^(62-2f), 2^30 at f = 16;
 * beyond that the ring itself overflows). The dealer gives shares of r uniform in Z_2^64, of
 * r >> s and of r's top bit r63. The parties open c = x + 2^62 + r: x' = x + 2^62 is in
 * [0, 2^63), so the sum wraps past 2^64 exactly when r63 = 1 and c63 = 0, and with c public the
 * wrap bit w = (1 - c63) r63 is linear in the shares of r63 (the observation that a known MSB
 * makes the wrap local, as in Cheetah, Huang et al., USENIX Security 2022). Then
 * x >> s = (c >> s) - (r >> s) + w 2^(64-s) - 2^(62-s) - b with the borrow b in {0, 1} from the
 * low bits: the result is floor(x / 2^s) or floor(x / 2^s) + 1. c is uniform (r is), so nothing
 * leaks, and there is no statistical parameter: the failure probability per truncation and per
 * run is 0 (hush_mpc_stats.truncations counts them; the CLI reports the probability per run).
 *
 * COMPARISON. [x < 0] for any x in Z_2^64 read as signed, exactly and with one opening: the
 * dealer draws r, gives the parties shares of r, of its top bit r63, and DCF keys (Boyle et
 * al., Eurocrypt 2021) for the comparison [c_low < r_low] on the low 63 bits; the parties open
 * c = x + r. Then MSB(x) = c63 xor r63 xor [c_low < r_low]. ReLU(x) = x * [x >= 0] (one Beaver
 * product), argmax is a tournament of comparisons (ties go to the first maximum, as in
 * hush_model_predict), and the sigmoid is a piecewise-linear interpolant at the 25 knots -6,
 * -5.5, ..., 6 built from ReLUs, flat outside: |sigma^ - sigma| <= 4e-3 plus fixed-point
 * rounding (tanh(x) = 2 sigma(2x) - 1: <= 8e-3). Its 25 comparisons [x < k_j] share one opening
 * and one DCF key: x - k_j is masked by the same r (c - k_j), and evaluating one key at several
 * public points reveals nothing beyond evaluating it at one.
 *
 * MESSAGES. Every message carries a versioned header (magic, version, kind, sender, recipient,
 * 128-bit session, sequence number, payload length) checked by core/src/io/mpcwire.c, and
 * travels inside one channel record. Malformed, forged, wrong-session, out-of-order and
 * not-yet-expected messages return an error status and leave the party AND its channel
 * unchanged (HUSH_ESTATE: offer the same record again after the party has moved on).
 *
 * SIZES. Every buffer a role allocates (program, registers, dealer material, messages) is laid
 * out in 64-bit checked arithmetic and limited to HUSH_MPC_MAX_PARTY_BYTES in all; a config that
 * needs more is HUSH_ERANGE before anything is allocated, on 32-bit wasm as natively.
 */
#ifndef HUSH_MPC_H
#define HUSH_MPC_H

#include "channel.h"
#include "common.h"
#include "nn.h"
#include "rng.h"

#ifdef __cplusplus
extern "C" {
#endif

#define HUSH_MPC_CONFIG_VERSION 0x4D500002u
#define HUSH_MPC_DEFAULT_FRAC_BITS 16
#define HUSH_MPC_MAX_FRAC_BITS 24
#define HUSH_MPC_MAX_PARTIES 16
#define HUSH_MPC_SEED_BYTES 32
#define HUSH_MPC_SESSION_BYTES HUSH_CHANNEL_SESSION_BYTES
#define HUSH_MPC_WIRE_VERSION 2
#define HUSH_MPC_HEADER_BYTES 36
#define HUSH_MPC_MAX_PARTY_BYTES (1u << 30)
#define HUSH_MPC_MAX_TRUNC_SHIFT 62
#define HUSH_MPC_GUARD_MAX (1u << 22) /* session ids one guard can hold */

/* Roles besides the compute parties 0..n-1. */
enum hush_mpc_role { HUSH_MPC_ROLE_CLIENT = 0xFFFDu, HUSH_MPC_ROLE_DEALER = 0xFFFEu };
enum hush_mpc_msg_kind {
    HUSH_MPC_MSG_DEALER = 1, /* dealer -> party: correlated randomness for one operation */
    HUSH_MPC_MSG_OPEN = 2,   /* party -> party: its share of masked values */
    HUSH_MPC_MSG_INPUT = 3,  /* client -> party: the party's share of an input */
    HUSH_MPC_MSG_OUTPUT = 4  /* party -> client: its share of an output */
};
enum hush_mpc_protocol { HUSH_MPC_PREDICT = 1, HUSH_MPC_TRAIN = 2 };
enum hush_mpc_output {
    HUSH_MPC_OUTPUT_DECISION = 1, /* the client learns the argmax only (default) */
    HUSH_MPC_OUTPUT_LOGITS = 2    /* and the logits: enables model extraction, opt in knowingly */
};
enum hush_mpc_state {
    HUSH_MPC_STATE_LINK = 1,        /* waiting for a channel to every peer (hush_mpc_party_attach) */
    HUSH_MPC_STATE_SEND = 2,        /* a message is ready: call next_message */
    HUSH_MPC_STATE_WAIT_DEALER = 3, /* waiting for the dealer's message for `seq` */
    HUSH_MPC_STATE_WAIT_PEERS = 4,  /* waiting for the other parties' openings */
    HUSH_MPC_STATE_WAIT_INPUT = 5,  /* waiting for the client's input shares (client: for set_input) */
    HUSH_MPC_STATE_WAIT_OUTPUT = 6, /* client: waiting for output shares */
    HUSH_MPC_STATE_DONE = 7
};

/* ---- fixed point ---- */
HUSH_NODISCARD int hush_mpc_fixed_encode(uint64_t *out, const double *x, size_t n, uint32_t frac_bits);
HUSH_NODISCARD int hush_mpc_fixed_decode(double *out, const uint64_t *v, size_t n, uint32_t frac_bits);

/* ---- additive sharing ----
 * shares is n_parties x n (party i's share at shares[i*n .. i*n+n-1]). */
HUSH_NODISCARD int hush_mpc_share_split(hush_rng *rng, uint64_t *shares, size_t n_parties, const uint64_t *secret,
                                        size_t n);
HUSH_NODISCARD int hush_mpc_share_reconstruct(uint64_t *secret, const uint64_t *shares, size_t n_parties, size_t n);
/* Seed-compressed: parties 1..n-1 get a 32-byte seed each (seeds is (n_parties-1) x 32) and
 * expand their share with hush_mpc_share_expand under the same context; party 0 gets
 * share0 = secret - sum(expansions). */
HUSH_NODISCARD int hush_mpc_share_split_seeded(hush_rng *rng, uint64_t *share0, uint8_t *seeds, size_t n_parties,
                                               const uint64_t *secret, size_t n, const uint8_t *context,
                                               size_t context_len);
/* n ring elements from ChaCha20 keyed by BLAKE2b-256(key = seed, "hush-mpc-expand-v1" ||
 * context): the same seed under another context (another session, operation or recipient)
 * gives unrelated values. context_len <= 64. */
HUSH_NODISCARD int hush_mpc_share_expand(uint64_t *share, size_t n, const uint8_t seed[HUSH_MPC_SEED_BYTES],
                                         const uint8_t *context, size_t context_len);
/* Local operations on one party's shares (out may alias an input). add_public/mul_public take a
 * public ring vector k[n]; only party 0 adds a public value. mul_public multiplies by integers:
 * for fixed-point k, truncate afterwards. */
HUSH_NODISCARD int hush_mpc_share_add(uint64_t *out, const uint64_t *a, const uint64_t *b, size_t n);
HUSH_NODISCARD int hush_mpc_share_sub(uint64_t *out, const uint64_t *a, const uint64_t *b, size_t n);
HUSH_NODISCARD int hush_mpc_share_add_public(uint64_t *out, const uint64_t *a, const uint64_t *k, size_t n,
                                             uint32_t party);
HUSH_NODISCARD int hush_mpc_share_mul_public(uint64_t *out, const uint64_t *a, const uint64_t *k, size_t n);

/* ---- dealer (crypto provider) ----
 * Each output is n_parties x (its size), split like hush_mpc_share_split. */
HUSH_NODISCARD int hush_mpc_beaver_triples(hush_rng *rng, uint64_t *a, uint64_t *b, uint64_t *c, size_t n_parties,
                                           size_t n);
/* A (m x k), B (k x p), C = A B (m x p), row-major. */
HUSH_NODISCARD int hush_mpc_beaver_matmul(hush_rng *rng, uint64_t *a, uint64_t *b, uint64_t *c, size_t n_parties,
                                          size_t m, size_t k, size_t p);
/* Truncation material: r uniform, rt = r >> shift (logical), rmsb = r >> 63; shift <= 62. */
HUSH_NODISCARD int hush_mpc_trunc_pairs(hush_rng *rng, uint64_t *r, uint64_t *rt, uint64_t *rmsb, size_t n_parties,
                                        size_t n, uint32_t shift);

/* ---- party side of one Beaver multiplication / truncation (for callers running their own
 * protocol; the state machines below do the same internally) ---- */
/* alpha_i = x_i - a_i, beta_i = y_i - b_i: this party's contribution to the openings. */
HUSH_NODISCARD int hush_mpc_beaver_mul_open(uint64_t *alpha, uint64_t *beta, const uint64_t *x, const uint64_t *y,
                                            const uint64_t *a, const uint64_t *b, size_t n);
/* z_i from the opened alpha, beta (sums over all parties). */
HUSH_NODISCARD int hush_mpc_beaver_mul_finish(uint64_t *z, uint32_t party, const uint64_t *alpha,
                                              const uint64_t *beta, const uint64_t *a, const uint64_t *b,
                                              const uint64_t *c, size_t n);
/* Matrix version: alpha is (m x k) = X - A, beta is (k x p) = Y - B, opened. */
HUSH_NODISCARD int hush_mpc_beaver_matmul_finish(uint64_t *z, uint32_t party, const uint64_t *alpha,
                                                 const uint64_t *beta, const uint64_t *a, const uint64_t *b,
                                                 const uint64_t *c, size_t m, size_t k, size_t p);
/* Truncation, party side: c_i = x_i + r_i (+ 2^62 by party 0) to open; then from the opened
 * c = sum of the c_i: out_i = [party 0] ((c >> shift) - 2^(62-shift)) - rt_i
 * + (1 - c63) rmsb_i 2^(64-shift). Exact up to one ulp for |x| < 2^62 (see TRUNCATION). */
HUSH_NODISCARD int hush_mpc_trunc_open(uint64_t *c, uint32_t party, const uint64_t *x, const uint64_t *r, size_t n);
HUSH_NODISCARD int hush_mpc_trunc_finish(uint64_t *out, uint32_t party, const uint64_t *c, const uint64_t *rt,
                                         const uint64_t *rmsb, size_t n, uint32_t shift);

/* ---- encrypted models ---- */
typedef struct hush_mpc_model hush_mpc_model;
/* Splits a trained dense model (dense / relu / sigmoid / tanh layers) into n_parties shares
 * (out[i] for party i) with rng (NULL: the OS CSPRNG). Each share holds the public architecture
 * and that party's shares of the parameters, encoded with frac_bits. HUSH_EUNSUPPORTED for
 * conv/pool layers. */
HUSH_NODISCARD int hush_mpc_model_share(hush_mpc_model **out, size_t n_parties, hush_rng *rng, const hush_model *m,
                                        uint32_t frac_bits, const hush_allocator *alloc);
/* The public part only (architecture, input standardisation): for the dealer and the client. */
HUSH_NODISCARD int hush_mpc_model_public(hush_mpc_model **out, const hush_model *m, const hush_allocator *alloc);
void hush_mpc_model_free(hush_mpc_model *mm);

typedef struct hush_mpc_config {
    uint32_t version;   /* HUSH_MPC_CONFIG_VERSION, set by hush_mpc_config_init */
    uint32_t protocol;  /* enum hush_mpc_protocol */
    uint32_t n_parties; /* >= 2; default 2 */
    uint32_t frac_bits; /* default 16 */
    uint32_t output;    /* PREDICT: enum hush_mpc_output; default HUSH_MPC_OUTPUT_DECISION */
    uint32_t rows;      /* PREDICT: applicants per session (default 1); TRAIN: training rows */
    /* TRAIN only: SGD schedule, identical to hush_model_fit_epoch with HUSH_OPTIM_SGD. */
    uint32_t epochs, batch; /* defaults 10, 32 */
    float lr;               /* default 0.01 */
    uint64_t shuffle_seed;  /* public: the minibatch order comes from its "shuffle" stream */
    uint8_t session[HUSH_MPC_SESSION_BYTES]; /* random, agreed by all roles; never all zero */
} hush_mpc_config;
/* Every default; the session is left zero (which party_create refuses) for the caller to draw.
 * HUSH_EARG for an unknown protocol. */
HUSH_NODISCARD int hush_mpc_config_init(hush_mpc_config *cfg, uint32_t protocol);

/* ---- replay guard: the session ids a role has used ---- */
typedef struct hush_mpc_guard hush_mpc_guard;
/* Room for `capacity` ids (1..HUSH_MPC_GUARD_MAX). */
HUSH_NODISCARD int hush_mpc_guard_create(hush_mpc_guard **out, size_t capacity, const hush_allocator *alloc);
void hush_mpc_guard_free(hush_mpc_guard *g);
/* Records an id: HUSH_ESTATE if it was already recorded, HUSH_ERANGE if the guard is full. */
HUSH_NODISCARD int hush_mpc_guard_add(hush_mpc_guard *g, const uint8_t *session, size_t session_len);
size_t hush_mpc_guard_count(const hush_mpc_guard *g);

typedef struct hush_mpc_party hush_mpc_party;
/* role: 0..n_parties-1, HUSH_MPC_ROLE_DEALER or HUSH_MPC_ROLE_CLIENT. rng: the dealer's and the
 * client's secret randomness (NULL: the OS CSPRNG; a seeded rng makes the session reproducible
 * and so not private); unused by compute parties. model: for PREDICT the party's own share
 * (parties) or the public model (dealer, client); for TRAIN the public model (its
 * architecture; dense + relu layers ending in dense:2). guard (may be NULL only where the
 * caller guarantees fresh ids itself): the session id is recorded there, and a repeat is
 * HUSH_ESTATE. HUSH_EARG for an all-zero session; HUSH_ERANGE for a layout over
 * HUSH_MPC_MAX_PARTY_BYTES. */
HUSH_NODISCARD int hush_mpc_party_create(hush_mpc_party **out, hush_rng *rng, const hush_mpc_config *cfg,
                                         uint32_t role, const hush_mpc_model *model, hush_mpc_guard *guard,
                                         const hush_allocator *alloc);
/* Wipes and frees the party (never the channels attached to it). */
void hush_mpc_party_free(hush_mpc_party *p);
/* Links the party to a peer through an open channel whose session is the party's, whose local
 * role is the party's role and whose peer role is a peer of it (a compute party: the other
 * parties, the dealer, the client; the dealer and the client: the compute parties). The party
 * borrows the channel: keep it alive and do not seal or receive on it yourself while attached.
 * HUSH_ESTATE if the channel is not open or that peer is already linked, HUSH_EARG for any
 * mismatch. */
HUSH_NODISCARD int hush_mpc_party_attach(hush_mpc_party *p, hush_channel *ch);
/* One of enum hush_mpc_state (0 for NULL); *seq (may be NULL) is the sequence number the party
 * waits for or sends next. */
uint32_t hush_mpc_party_state(const hush_mpc_party *p, uint32_t *seq);
/* Largest record this party sends (size next_message buffers with it). */
size_t hush_mpc_party_max_message(const hush_mpc_party *p);
/* Consumes one record that arrived on the channel from role `from`. Besides the channel's
 * errors: HUSH_EFORMAT/ETRUNC/EVERSION for bad inner bytes, HUSH_ESTATE for a message that is
 * valid but not expected now (other sender, recipient, kind, session, sequence, duplicate; or
 * the dealer's material for an operation the party has not reached: offer it again later). On
 * any error the party and its channel are unchanged. */
HUSH_NODISCARD int hush_mpc_party_receive(hush_mpc_party *p, uint32_t from, const uint8_t *record, size_t len);
/* Writes the next outgoing record (*written = 0 if there is none now) and its recipient to *to.
 * HUSH_ERANGE (with *written the size needed) if cap is too small. */
HUSH_NODISCARD int hush_mpc_party_next_message(hush_mpc_party *p, uint32_t *to, uint8_t *out, size_t cap,
                                               size_t *written);

/* Client: the inputs, raw features rows x input_size: the model's input standardisation (if
 * any) is applied first. TRAIN also takes labels in {0, 1} and the initial parameters
 * (hush_model layout). */
HUSH_NODISCARD int hush_mpc_party_set_input(hush_mpc_party *p, const float *x, size_t x_len, const uint32_t *labels,
                                            size_t labels_len, const float *params, size_t params_len);
/* Client, after DONE. PREDICT: the securely computed argmax per row, and with
 * HUSH_MPC_OUTPUT_LOGITS the logits rows x classes (logits must be NULL otherwise: HUSH_ESTATE). */
HUSH_NODISCARD int hush_mpc_predict_result(const hush_mpc_party *p, uint32_t *decisions, size_t decisions_len,
                                           float *logits, size_t logits_len);
/* TRAIN: the trained parameters (hush_model layout). */
HUSH_NODISCARD int hush_mpc_train_result(const hush_mpc_party *p, float *params, size_t params_len);

/* ---- in-process drivers ---- */
typedef struct hush_mpc_stats {
    uint64_t bytes;           /* every byte on every link: handshakes and records */
    uint64_t dealer_bytes;    /* records from the dealer */
    uint64_t handshake_bytes; /* channel handshakes */
    uint64_t messages;        /* records */
    uint64_t rounds;          /* opening rounds */
    uint64_t sessions;
    uint64_t truncations;     /* truncated ring elements (each exact up to one ulp) */
} hush_mpc_stats;
/* Runs one session among its roles: every compute party, the dealer and the client, each
 * exactly once (any order), none linked yet (HUSH_ESTATE otherwise). Gives every role a fresh identity key pair, opens an authenticated
 * channel for every link (party-party, dealer-party, client-party) bound to the session, then
 * shuttles records until all are DONE (HUSH_ESTATE if they deadlock). rng: the identity and
 * ephemeral keys (NULL: the OS CSPRNG). stats (may be NULL) are added to. */
HUSH_NODISCARD int hush_mpc_run(hush_mpc_party **roles, size_t count, hush_rng *rng, hush_mpc_stats *stats,
                                const hush_allocator *alloc);
/* Encrypted prediction of every row of x (raw features, rows x input_size; rows =
 * decisions_len) among cfg->n_parties in-process compute parties + dealer + client, cfg->rows
 * applicants per session, each session with a fresh random id and fresh channels. logits: with
 * HUSH_MPC_OUTPUT_LOGITS only (rows x classes), else NULL. rng: every secret (NULL: the OS
 * CSPRNG). cfg->session is ignored. */
HUSH_NODISCARD int hush_mpc_predict_run(const hush_mpc_config *cfg, hush_rng *rng, hush_mpc_stats *stats,
                                        uint32_t *decisions, size_t decisions_len, float *logits, size_t logits_len,
                                        const hush_model *m, const float *x, size_t x_len,
                                        const hush_allocator *alloc);
/* Encrypted SGD training of m (its current parameters are the initial ones; on success they
 * are replaced by the trained ones) on raw features x (rows x input_size, standardised by the
 * client with the model's input norm, if any) with labels in {0, 1}; rows = labels_len. */
HUSH_NODISCARD int hush_mpc_train_run(const hush_mpc_config *cfg, hush_rng *rng, hush_mpc_stats *stats, hush_model *m,
                                      const float *x, size_t x_len, const uint32_t *labels, size_t labels_len,
                                      const hush_allocator *alloc);

/* ---- encrypted against plaintext (the CLI, the benchmarks and hush.mpc.*Eval in JS) ---- */
typedef struct hush_mpc_report {
    hush_mpc_stats stats;
    uint64_t rows;                 /* PREDICT: applicants; TRAIN: training rows */
    double decision_agreement;     /* PREDICT: encrypted decision == plaintext decision */
    double encrypted_accuracy;     /* PREDICT: encrypted decision == label */
    double max_abs_logit_error;    /* PREDICT with HUSH_MPC_OUTPUT_LOGITS; 0 otherwise */
    double test_accuracy, plaintext_test_accuracy; /* TRAIN: on the test rows */
    double test_loss, plaintext_test_loss;
    double max_param_difference;   /* TRAIN: encrypted vs plaintext parameters */
} hush_mpc_report;
/* hush_mpc_predict_run and hush_model_predict (and forward, with logits) on the same rows,
 * compared. labels (rows of them) may be NULL (encrypted_accuracy is then 0). */
HUSH_NODISCARD int hush_mpc_predict_eval(const hush_mpc_config *cfg, hush_rng *rng, hush_mpc_report *report,
                                         hush_model *m, const float *x, size_t x_len, const uint32_t *labels,
                                         size_t labels_len, const hush_allocator *alloc);
/* hush_mpc_train_run of m, next to the same SGD schedule in plaintext (hush_model_fit_epoch
 * from the same initial parameters, shuffle stream of cfg->shuffle_seed), both evaluated on
 * the test rows. On success m holds the encrypted-trained parameters. */
HUSH_NODISCARD int hush_mpc_train_eval(const hush_mpc_config *cfg, hush_rng *rng, hush_mpc_report *report,
                                       hush_model *m, const float *x, size_t x_len, const uint32_t *labels,
                                       size_t labels_len, const float *test_x, size_t test_x_len,
                                       const uint32_t *test_labels, size_t test_labels_len,
                                       const hush_allocator *alloc);

#ifdef __cplusplus
}
#endif
#endif
