/* hush mpc: secret sharing and encrypted machine learning.
 *
 * THREAT MODEL. n >= 2 compute parties hold additive shares over the ring Z_2^64 (x = sum of
 * the shares mod 2^64). A dealer (the "crypto provider") hands out correlated randomness (Beaver
 * triples, truncation pairs, comparison keys) and never sees inputs, outputs or shares. A client
 * (the applicant, or the data owner when training) shares its inputs and is the only one who
 * reconstructs outputs. Everyone is semi-honest (follows the protocol, tries to learn from what
 * it sees); no party colludes with the dealer. Every value a compute party receives is either a
 * share (uniform on its own) or a value masked by a uniform ring element only the dealer knows
 * (x - a, x + r), so one party's view is uniformly distributed and independent of the secrets.
 * Additive shares and Beaver openings stay private against any n-1 colluding parties.
 * Comparisons (ReLU, sign, argmax, the sigmoid spline) use a two-party distributed comparison
 * function (DCF) whose keys go to parties 0 and 1 only: they stay private as long as party 0
 * and party 1 do not collude (with n = 2 this is the basic assumption anyway).
 * Leakage of the protocols themselves: none beyond the output, the public shapes, the public
 * model architecture, and the public training schedule (epochs, batch, learning rate, shuffle
 * order). Encrypted prediction reveals the model's input standardisation (per-feature shift and
 * scale: training-set means and standard deviations) to the client, which applies it before
 * sharing (as client-side preprocessing in TF Encrypted / CrypTen).
 *
 * FIXED POINT. A real x is encoded as round(x * 2^f) in two's complement (f = frac_bits,
 * default 16). Encoding reports HUSH_ERANGE when |x| * 2^f >= 2^62 (products need headroom)
 * and HUSH_ENUMERIC for NaN/inf; decoding is exact whenever |x| * 2^f < 2^53.
 *
 * MULTIPLICATION. Beaver triples (a, b, c = a*b) from the dealer: the parties open
 * alpha = x - a and beta = y - b and take z = c + alpha*b + beta*a (+ alpha*beta by party 0).
 * Matrix products use matmul triples (A, B, C = A B) the same way. Exact in the ring.
 *
 * TRUNCATION (after a fixed-point product, which has 2f fractional bits): dealer-assisted
 * truncation pairs (r, r >> s) with r uniform in Z_2^64. The parties open c = x + r (uniform,
 * so it reveals nothing) and take (c >> s) - (r >> s). Result: floor(x / 2^s) or floor(x / 2^s)
 * + 1, i.e. an error of at most 1 ulp (2^-f), unless r lies within |x| of the wrap-around
 * point, which happens with probability |x| / 2^64 per element (x in ring units: with f = 16 a
 * product of reals of magnitude 2^k has |x| = 2^(2k+32), so |x*y| <= 2^8 fails with
 * probability <= 2^-24). A failure gives an error of about 2^(64-s) and is not detected.
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
 * MESSAGES. Every protocol is a message-passing state machine per role (compute party i,
 * dealer, client): bytes in with hush_mpc_party_receive, bytes out with
 * hush_mpc_party_next_message. Each message carries a versioned header (magic, version, kind,
 * session, sender, recipient, sequence number, payload length) checked by the decoder in
 * core/src/io/mpcwire.c; malformed, truncated, forged-kind, wrong-session and out-of-order
 * messages return an error status and leave the state machine unchanged.
 */
#ifndef HUSH_MPC_H
#define HUSH_MPC_H

#include "common.h"
#include "nn.h"
#include "rng.h"

#ifdef __cplusplus
extern "C" {
#endif

#define HUSH_MPC_DEFAULT_FRAC_BITS 16
#define HUSH_MPC_MAX_FRAC_BITS 24
#define HUSH_MPC_MAX_PARTIES 16
#define HUSH_MPC_SEEDBYTES 32
#define HUSH_MPC_WIRE_VERSION 1
#define HUSH_MPC_HEADER_BYTES 24
/* Roles besides the compute parties 0..n-1. */
#define HUSH_MPC_ROLE_DEALER 0xFFFEu
#define HUSH_MPC_ROLE_CLIENT 0xFFFDu
#define HUSH_MPC_BROADCAST 0xFFFFu

enum hush_mpc_msg_kind {
    HUSH_MPC_MSG_DEALER = 1, /* dealer -> party: correlated randomness for one operation */
    HUSH_MPC_MSG_OPEN = 2,   /* party -> all parties: its share of masked values */
    HUSH_MPC_MSG_INPUT = 3,  /* client -> party: the party's share of an input */
    HUSH_MPC_MSG_OUTPUT = 4  /* party -> client: its share of an output */
};
enum hush_mpc_protocol { HUSH_MPC_PREDICT = 1, HUSH_MPC_TRAIN = 2 };
enum hush_mpc_state {
    HUSH_MPC_STATE_SEND = 1,        /* a message is ready: call next_message */
    HUSH_MPC_STATE_WAIT_DEALER = 2, /* waiting for the dealer's message for `seq` */
    HUSH_MPC_STATE_WAIT_PEERS = 3,  /* waiting for the other parties' openings */
    HUSH_MPC_STATE_WAIT_INPUT = 4,  /* waiting for the client's input shares */
    HUSH_MPC_STATE_WAIT_OUTPUT = 5, /* client: waiting for output shares */
    HUSH_MPC_STATE_DONE = 6
};

/* ---- fixed point ---- */
HUSH_NODISCARD int hush_fixed_encode(uint64_t *out, const double *x, size_t n, uint32_t frac_bits);
HUSH_NODISCARD int hush_fixed_decode(double *out, const uint64_t *v, size_t n, uint32_t frac_bits);

/* ---- additive sharing ----
 * shares is n_parties x n (party i's share at shares[i*n .. i*n+n-1]). */
HUSH_NODISCARD int hush_share_split(uint64_t *shares, size_t n_parties, const uint64_t *secret, size_t n,
                                    hush_rng *rng);
HUSH_NODISCARD int hush_share_reconstruct(uint64_t *secret, const uint64_t *shares, size_t n_parties, size_t n);
/* Seed-compressed: parties 1..n-1 get a 32-byte seed each (seeds is (n_parties-1) x 32) and
 * expand their share with hush_share_expand; party 0 gets share0 = secret - sum(expansions). */
HUSH_NODISCARD int hush_share_split_seeded(uint64_t *share0, uint8_t *seeds, size_t n_parties,
                                           const uint64_t *secret, size_t n, hush_rng *rng);
HUSH_NODISCARD int hush_share_expand(uint64_t *share, size_t n, const uint8_t seed[HUSH_MPC_SEEDBYTES]);
/* Local operations on one party's shares (out may alias an input). add_public/mul_public take a
 * public ring vector k[n]; only party 0 adds a public value. mul_public multiplies by integers:
 * for fixed-point k, truncate afterwards. */
HUSH_NODISCARD int hush_share_add(uint64_t *out, const uint64_t *a, const uint64_t *b, size_t n);
HUSH_NODISCARD int hush_share_sub(uint64_t *out, const uint64_t *a, const uint64_t *b, size_t n);
HUSH_NODISCARD int hush_share_add_public(uint64_t *out, const uint64_t *a, const uint64_t *k, size_t n,
                                         uint32_t party);
HUSH_NODISCARD int hush_share_mul_public(uint64_t *out, const uint64_t *a, const uint64_t *k, size_t n);

/* ---- dealer (crypto provider) ----
 * Each output is n_parties x (its size), split like hush_share_split. */
HUSH_NODISCARD int hush_beaver_triples(uint64_t *a, uint64_t *b, uint64_t *c, size_t n_parties, size_t n,
                                       hush_rng *rng);
/* A (m x k), B (k x p), C = A B (m x p), row-major. */
HUSH_NODISCARD int hush_beaver_matmul(uint64_t *a, uint64_t *b, uint64_t *c, size_t n_parties, size_t m, size_t k,
                                      size_t p, hush_rng *rng);
/* r uniform, rt = r >> shift (logical). */
HUSH_NODISCARD int hush_beaver_trunc_pairs(uint64_t *r, uint64_t *rt, size_t n_parties, size_t n, uint32_t shift,
                                           hush_rng *rng);

/* ---- party side of one Beaver multiplication / truncation (for callers running their own
 * transport; the state machines below do the same internally) ---- */
/* alpha_i = x_i - a_i, beta_i = y_i - b_i: this party's contribution to the openings. */
HUSH_NODISCARD int hush_beaver_mul_open(uint64_t *alpha, uint64_t *beta, const uint64_t *x, const uint64_t *y,
                                        const uint64_t *a, const uint64_t *b, size_t n);
/* z_i from the opened alpha, beta (sums over all parties). */
HUSH_NODISCARD int hush_beaver_mul_finish(uint64_t *z, uint32_t party, const uint64_t *alpha, const uint64_t *beta,
                                          const uint64_t *a, const uint64_t *b, const uint64_t *c, size_t n);
/* Matrix version: alpha is (m x k) = X - A, beta is (k x p) = Y - B, opened. */
HUSH_NODISCARD int hush_beaver_matmul_finish(uint64_t *z, uint32_t party, const uint64_t *alpha,
                                             const uint64_t *beta, const uint64_t *a, const uint64_t *b,
                                             const uint64_t *c, size_t m, size_t k, size_t p);
/* Truncation: open c = x + r (c_i = x_i + r_i), then out_i = [party 0] (c >> shift) - rt_i. */
HUSH_NODISCARD int hush_trunc_finish(uint64_t *out, uint32_t party, const uint64_t *c, const uint64_t *rt, size_t n,
                                     uint32_t shift);

/* ---- encrypted models ---- */
typedef struct hush_mpc_model hush_mpc_model;
/* Splits a trained dense model (dense / relu / sigmoid / tanh layers) into n_parties shares
 * (out[i] for party i). Each share holds the public architecture and that party's shares of the
 * parameters, encoded with frac_bits. HUSH_EUNSUPPORTED for conv/pool layers. */
HUSH_NODISCARD int hush_mpc_model_share(hush_mpc_model **out, size_t n_parties, const hush_model *m,
                                        uint32_t frac_bits, hush_rng *rng, const hush_allocator *alloc);
/* The public part only (architecture, input standardisation): for the dealer and the client. */
HUSH_NODISCARD int hush_mpc_model_public(hush_mpc_model **out, const hush_model *m, const hush_allocator *alloc);
void hush_mpc_model_free(hush_mpc_model *mm);

typedef struct hush_mpc_config {
    uint32_t protocol;  /* HUSH_MPC_PREDICT or HUSH_MPC_TRAIN */
    uint32_t n_parties; /* >= 2 */
    uint32_t frac_bits; /* default 16 */
    uint32_t session;   /* every message carries it; others are rejected */
    uint32_t rows;      /* PREDICT: applicants per session; TRAIN: training rows */
    /* TRAIN only: SGD schedule, identical to hush_model_fit_epoch with HUSH_OPTIM_SGD. */
    uint32_t epochs, batch;
    float lr;
    uint64_t shuffle_seed; /* public: the minibatch order comes from its "shuffle" stream */
} hush_mpc_config;
void hush_mpc_config_default(hush_mpc_config *cfg, uint32_t protocol);

typedef struct hush_mpc_party hush_mpc_party;
/* role: 0..n_parties-1, HUSH_MPC_ROLE_DEALER or HUSH_MPC_ROLE_CLIENT. model: for PREDICT the
 * party's own share (parties) or the public model (dealer, client); for TRAIN the public model
 * (its architecture; dense + relu layers ending in dense:2). rng: the dealer's and the client's
 * randomness (a child is derived; NULL means OS randomness); unused by compute parties. */
HUSH_NODISCARD int hush_mpc_party_create(hush_mpc_party **out, const hush_mpc_config *cfg, uint32_t role,
                                         const hush_mpc_model *model, hush_rng *rng, const hush_allocator *alloc);
void hush_mpc_party_free(hush_mpc_party *p);
/* One of hush_mpc_state; *seq (may be NULL) is the sequence number the party waits for. */
uint32_t hush_mpc_party_state(const hush_mpc_party *p, uint32_t *seq);
/* Largest message this party sends (size next_message buffers with it). */
size_t hush_mpc_party_message_bound(const hush_mpc_party *p);
/* Consumes one message. HUSH_EFORMAT/ETRUNC/EVERSION for bad bytes, HUSH_ESTATE for a message
 * that is valid but not expected now (wrong sender, kind, session, sequence or duplicate). On
 * any error the party's state is unchanged. */
HUSH_NODISCARD int hush_mpc_party_receive(hush_mpc_party *p, const uint8_t *msg, size_t len);
/* Writes the next outgoing message (*written = 0 if there is none now). HUSH_ERANGE if cap is
 * too small. The recipient is in the header (hush_mpc_message_route). */
HUSH_NODISCARD int hush_mpc_party_next_message(hush_mpc_party *p, uint8_t *out, size_t cap, size_t *written);
/* Reads a message header (for routing): HUSH_OK and kind/from/to/seq, or the decoder's error. */
HUSH_NODISCARD int hush_mpc_message_route(const uint8_t *msg, size_t len, uint32_t *kind, uint32_t *from,
                                          uint32_t *to, uint32_t *seq);

/* Client: the inputs. PREDICT: x is rows x input_size raw features (the model's input
 * standardisation is applied first). TRAIN: x is rows x input_size (standardised by the caller
 * if wanted), labels in {0, 1}, params the initial parameters (hush_model layout). */
HUSH_NODISCARD int hush_mpc_party_set_input(hush_mpc_party *p, const float *x, size_t x_len, const uint32_t *labels,
                                            size_t labels_len, const float *params, size_t params_len);
/* Client, after DONE. PREDICT: logits rows x classes and the securely computed argmax per row.
 * TRAIN: the trained parameters (hush_model layout) in logits, decisions unused (NULL). */
HUSH_NODISCARD int hush_mpc_predict_result(const hush_mpc_party *p, float *logits, size_t logits_len,
                                           uint32_t *decisions, size_t decisions_len);
HUSH_NODISCARD int hush_mpc_train_result(const hush_mpc_party *p, float *params, size_t params_len);

/* ---- in-process driver ---- */
typedef struct hush_mpc_stats {
    uint64_t bytes;    /* all bytes delivered (dealer, inputs, openings, outputs) */
    uint64_t dealer_bytes;
    uint64_t messages;
    uint64_t rounds;   /* opening rounds */
} hush_mpc_stats;
/* Shuttles bytes between the given state machines (any order; each role once) until all are
 * DONE. HUSH_ESTATE if they deadlock. */
HUSH_NODISCARD int hush_mpc_run(hush_mpc_party **parties, size_t count, hush_mpc_stats *stats,
                                const hush_allocator *alloc);
/* Encrypted prediction of `rows` applicants among n_parties in-process parties + dealer +
 * client, `batch` applicants per session (0 = all at once). logits rows x classes. */
HUSH_NODISCARD int hush_mpc_predict_run(float *logits, uint32_t *decisions, const hush_model *m, const float *x,
                                        size_t rows, uint32_t n_parties, uint32_t frac_bits, uint32_t batch,
                                        hush_rng *rng, hush_mpc_stats *stats, const hush_allocator *alloc);
/* Encrypted SGD training of m (its current parameters are the initial ones; on success they are
 * replaced by the trained ones) on x (rows x input_size, used as given) with labels in {0, 1}. */
HUSH_NODISCARD int hush_mpc_train_run(hush_model *m, const hush_mpc_config *cfg, const float *x,
                                      const uint32_t *labels, size_t rows, hush_rng *rng, hush_mpc_stats *stats,
                                      const hush_allocator *alloc);

#ifdef __cplusplus
}
#endif
#endif
