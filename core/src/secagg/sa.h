/* Internals shared by the secure-aggregation client, server and driver: the Shamir field
 * GF(2^61 - 1), sharing and reconstruction of 32-byte secrets, the key derivations, commitments,
 * mask expansion, the public neighbour graph and the checked 64-bit memory layouts. */
#ifndef HUSH__SECAGG_SA_H
#define HUSH__SECAGG_SA_H

#include <stddef.h>
#include <stdint.h>

#include "hush/rng.h"
#include "hush/secagg.h"

#define HUSH__SA_P (((uint64_t)1 << 61) - 1)
#define HUSH__SA_CHUNKS 5    /* 32-byte secret = 5 chunks of 7 bytes */
#define HUSH__SA_KEY_BYTES 32 /* X25519 keys */
#define HUSH__SA_HASH_BYTES 32
#define HUSH__SA_PLAIN_BYTES (8 + 2 * HUSH_SECAGG_SHARE_BYTES)
#define HUSH__SA_CT_BYTES (HUSH__SA_PLAIN_BYTES + 16)
#define HUSH__SA_SIG_BYTES 64
enum hush__sa_share_kind { HUSH__SA_KIND_B = 1, HUSH__SA_KIND_SK = 2 }; /* a share of b_u or of s_sk_u */

/* ---- field (branch-free on secret values) ---- */
uint64_t hush__sa_fadd(uint64_t a, uint64_t b);
uint64_t hush__sa_fsub(uint64_t a, uint64_t b);
uint64_t hush__sa_fmul(uint64_t a, uint64_t b);
uint64_t hush__sa_finv(uint64_t a); /* a != 0; exponent P - 2 is public, so fixed work */

/* Random polynomial coefficients for sharing a secret: coef[c * t + j], c < CHUNKS, j < t;
 * coef[c * t] holds chunk c of the secret. */
int hush__sa_poly_init(uint64_t *coef, uint32_t t, const uint8_t secret[32], hush_rng *rng);
/* Share at x = id + 1, written as 40 bytes. */
void hush__sa_poly_eval(uint8_t share[HUSH_SECAGG_SHARE_BYTES], const uint64_t *coef, uint32_t t, uint32_t id);
/* Reconstructs from t shares with x = ids[j] + 1 (distinct). lambda: t scratch words.
 * HUSH_EFORMAT if a share or the result is out of range (corrupt shares). */
int hush__sa_reconstruct(uint8_t secret[32], const uint8_t *const *shares, const uint32_t *ids, uint32_t t,
                         uint64_t *lambda);
/* 1 if each of the five elements is < P. */
int hush__sa_share_valid(const uint8_t share[HUSH_SECAGG_SHARE_BYTES]);

/* ---- key derivation and commitments ---- */
/* The master stream of a seeded client: key = BLAKE2b-256(key = seed, label, session, n, id). */
int hush__sa_client_master(hush_rng *master, const uint8_t seed[32], const hush_secagg_config *cfg, uint32_t id);
/* AEAD key / pairwise mask seed of the pair (my_id, their_id) from X25519(my_sk, their_pk),
 * bound to the session, both ids and both public keys. HUSH_ECRYPTO on a low-order point. */
int hush__sa_enc_key(uint8_t key[32], const hush_secagg_config *cfg, uint32_t my_id, uint32_t their_id,
                     const uint8_t my_sk[32], const uint8_t my_pk[32], const uint8_t their_pk[32]);
int hush__sa_mask_seed(uint8_t seed[32], const hush_secagg_config *cfg, uint32_t my_id, uint32_t their_id,
                       const uint8_t my_sk[32], const uint8_t my_pk[32], const uint8_t their_pk[32]);
/* 1 if pk is an X25519 point of large order (a shared secret with it is never all zero). */
int hush__sa_key_ok(const uint8_t pk[32]);
/* Commitment to a self-mask seed, and the hash of one share (dealer -> holder, kind). */
void hush__sa_commit_b(uint8_t out[32], const hush_secagg_config *cfg, uint32_t id, const uint8_t b[32]);
void hush__sa_share_hash(uint8_t out[32], const hush_secagg_config *cfg, uint32_t dealer, uint32_t holder, int kind,
                         const uint8_t share[HUSH_SECAGG_SHARE_BYTES]);

/* v += sign * PRG(seed) mod 2^bits (sign +1 or -1). */
void hush__sa_prg_add(uint32_t *v, size_t dim, uint32_t bits, const uint8_t seed[32], int sign);

/* ---- graph ---- */
/* Degree excluding self. */
uint32_t hush__sa_degree(const hush_secagg_config *cfg);
/* rows[u * m + j]: sorted M(u), m = degree + 1. perm: n scratch words. */
int hush__sa_graph(const hush_secagg_config *cfg, uint32_t *rows, uint32_t *perm);
/* Same for one client only. */
int hush__sa_graph_row(const hush_secagg_config *cfg, uint32_t u, uint32_t *row, uint32_t *perm);
/* Index of id in the sorted row of length m, or -1. */
long hush__sa_slot(const uint32_t *row, uint32_t m, uint32_t id);

/* Signed message bodies (authenticated variant). */
void hush__sa_adv_digest(uint8_t out[64], const hush_secagg_config *cfg, uint32_t id, const uint8_t c_pk[32],
                         const uint8_t s_pk[32]);
void hush__sa_u3_digest(uint8_t out[64], const hush_secagg_config *cfg, uint32_t signer, const uint8_t *bitmap,
                        size_t bitmap_len);

/* ---- memory layout, in 64 bits with overflow checks ---- */
typedef struct hush__sa_layout {
    uint64_t size;
    int overflow;
} hush__sa_layout;
/* Reserves count * elem bytes at the next 8-aligned offset; returns that offset. */
uint64_t hush__sa_lay(hush__sa_layout *l, uint64_t count, uint64_t elem);

/* Block offsets of the client and server handles (client.c, server.c); the size functions are
 * what hush_secagg_memory reports. */
int hush__sa_client_layout(const hush_secagg_config *cfg, uint64_t *total, uint64_t off[12]);
int hush__sa_server_layout(const hush_secagg_config *cfg, uint64_t *total, uint64_t off[16]);
/* Clients with a fault recorded (for the driver's stats). */
uint32_t hush__sa_server_faulty(const hush_secagg_server *s);

#endif
