/* Fixed-point encoding, additive sharing over Z_2^64, and the Beaver/truncation arithmetic
 * (dealer side and party side). Threat model and error bounds: core/include/hush/mpc.h.
 *
 * All ring arithmetic is on uint64_t, where C defines wrap-around; signed readings use an
 * explicit two's complement conversion, never a signed overflow. */
#include <math.h>
#include <string.h>

#include <sodium.h>

#include "base/alloc.h"
#include "hush/mpc.h"
#include "mpc/mpc.h"

/* |x| * 2^f must stay below 2^62: one bit of headroom for sums and the sign. */
#define FIXED_LIMIT 4611686018427387904.0 /* 2^62 */

void hush__mpc_free(const hush_allocator *a, void *p, size_t bytes) {
    if (!p) return;
    sodium_memzero(p, bytes);
    hush__free(a, p, bytes);
}

int hush_mpc_fixed_encode(uint64_t *out, const double *x, size_t n, uint32_t frac_bits) {
    if ((!out || !x) && n) return HUSH_EARG;
    if (frac_bits > HUSH_MPC_MAX_FRAC_BITS) return HUSH_EARG;
    double scale = ldexp(1.0, (int)frac_bits);
    int rc = HUSH_OK;
    for (size_t i = 0; i < n; i++) {
        double v = x[i];
        if (!(v == v) || v == INFINITY || v == -INFINITY) {
            out[i] = 0;
            if (rc == HUSH_OK) rc = HUSH_ENUMERIC;
            continue;
        }
        double s = nearbyint(v * scale); /* exact: scaling by a power of two */
        if (fabs(s) >= FIXED_LIMIT) {
            out[i] = 0;
            if (rc == HUSH_OK) rc = HUSH_ERANGE;
            continue;
        }
        out[i] = hush__mpc_from_i64((int64_t)s);
    }
    return rc;
}

int hush_mpc_fixed_decode(double *out, const uint64_t *v, size_t n, uint32_t frac_bits) {
    if ((!out || !v) && n) return HUSH_EARG;
    if (frac_bits > HUSH_MPC_MAX_FRAC_BITS) return HUSH_EARG;
    double inv = ldexp(1.0, -(int)frac_bits);
    for (size_t i = 0; i < n; i++) out[i] = (double)hush__mpc_to_i64(v[i]) * inv;
    return HUSH_OK;
}

int hush__mpc_rng_words(hush_rng *rng, uint64_t *out, size_t n) {
    for (size_t i = 0; i < n; i++) out[i] = hush_rng_u64(rng);
    return hush_rng_exhausted(rng) ? HUSH_ERANGE : HUSH_OK;
}

static int parties_ok(size_t n_parties) { return n_parties >= 2 && n_parties <= HUSH_MPC_MAX_PARTIES; }

int hush_mpc_share_split(hush_rng *rng, uint64_t *shares, size_t n_parties, const uint64_t *secret, size_t n) {
    if (!rng || ((!shares || !secret) && n)) return HUSH_EARG;
    if (!parties_ok(n_parties)) return HUSH_EARG;
    uint64_t acc = 0;
    for (size_t j = 0; j < n; j++) {
        acc = secret[j];
        for (size_t i = 1; i < n_parties; i++) {
            uint64_t s = hush_rng_u64(rng);
            shares[i * n + j] = s;
            acc -= s;
        }
        shares[j] = acc;
    }
    sodium_memzero(&acc, sizeof acc);
    return hush_rng_exhausted(rng) ? HUSH_ERANGE : HUSH_OK;
}

int hush_mpc_share_reconstruct(uint64_t *secret, const uint64_t *shares, size_t n_parties, size_t n) {
    if ((!shares || !secret) && n) return HUSH_EARG;
    if (n_parties < 1 || n_parties > HUSH_MPC_MAX_PARTIES) return HUSH_EARG;
    for (size_t j = 0; j < n; j++) {
        uint64_t acc = 0;
        for (size_t i = 0; i < n_parties; i++) acc += shares[i * n + j];
        secret[j] = acc;
    }
    return HUSH_OK;
}

#define EXPAND_LABEL "hush-mpc-expand-v1"
#define EXPAND_MAX_CONTEXT 64

/* The ChaCha20 stream of a seed under a context. */
static int expand_rng(hush_rng *r, const uint8_t seed[HUSH_MPC_SEED_BYTES], const uint8_t *context,
                      size_t context_len) {
    uint8_t key[HUSH_RNG_SEED_BYTES];
    crypto_generichash_state st;
    crypto_generichash_init(&st, seed, HUSH_MPC_SEED_BYTES, sizeof key);
    crypto_generichash_update(&st, (const uint8_t *)EXPAND_LABEL, sizeof EXPAND_LABEL - 1);
    if (context_len) crypto_generichash_update(&st, context, context_len);
    crypto_generichash_final(&st, key, sizeof key);
    int rc = hush_rng_init(r, key);
    sodium_memzero(&st, sizeof st);
    sodium_memzero(key, sizeof key);
    return rc;
}

int hush_mpc_share_expand(uint64_t *share, size_t n, const uint8_t seed[HUSH_MPC_SEED_BYTES], const uint8_t *context,
                          size_t context_len) {
    if (!seed || (!share && n) || (!context && context_len) || context_len > EXPAND_MAX_CONTEXT) return HUSH_EARG;
    int rc = hush_init();
    if (rc != HUSH_OK) return rc;
    hush_rng r;
    rc = expand_rng(&r, seed, context, context_len);
    if (rc == HUSH_OK) rc = hush__mpc_rng_words(&r, share, n);
    hush_rng_clear(&r);
    return rc;
}

int hush_mpc_share_split_seeded(hush_rng *rng, uint64_t *share0, uint8_t *seeds, size_t n_parties,
                                const uint64_t *secret, size_t n, const uint8_t *context, size_t context_len) {
    if (!rng || !seeds || ((!share0 || !secret) && n)) return HUSH_EARG;
    if (!parties_ok(n_parties) || (!context && context_len) || context_len > EXPAND_MAX_CONTEXT) return HUSH_EARG;
    int rc = hush_init();
    if (rc != HUSH_OK) return rc;
    if (share0 != secret) memmove(share0, secret, n * sizeof *share0);
    for (size_t i = 1; i < n_parties && rc == HUSH_OK; i++) {
        uint8_t *seed = seeds + (i - 1) * HUSH_MPC_SEED_BYTES;
        hush_rng r;
        rc = hush_rng_bytes(rng, seed, HUSH_MPC_SEED_BYTES);
        if (rc == HUSH_OK) rc = expand_rng(&r, seed, context, context_len);
        if (rc == HUSH_OK)
            for (size_t j = 0; j < n; j++) share0[j] -= hush_rng_u64(&r);
        hush_rng_clear(&r);
    }
    if (rc != HUSH_OK) { /* nothing half-made: no seed, no partial share survives */
        sodium_memzero(seeds, (n_parties - 1) * HUSH_MPC_SEED_BYTES);
        sodium_memzero(share0, n * sizeof *share0);
    }
    return rc;
}

int hush_mpc_share_add(uint64_t *out, const uint64_t *a, const uint64_t *b, size_t n) {
    if ((!out || !a || !b) && n) return HUSH_EARG;
    for (size_t i = 0; i < n; i++) out[i] = a[i] + b[i];
    return HUSH_OK;
}

int hush_mpc_share_sub(uint64_t *out, const uint64_t *a, const uint64_t *b, size_t n) {
    if ((!out || !a || !b) && n) return HUSH_EARG;
    for (size_t i = 0; i < n; i++) out[i] = a[i] - b[i];
    return HUSH_OK;
}

int hush_mpc_share_add_public(uint64_t *out, const uint64_t *a, const uint64_t *k, size_t n, uint32_t party) {
    if ((!out || !a || !k) && n) return HUSH_EARG;
    for (size_t i = 0; i < n; i++) out[i] = party == 0 ? a[i] + k[i] : a[i];
    return HUSH_OK;
}

int hush_mpc_share_mul_public(uint64_t *out, const uint64_t *a, const uint64_t *k, size_t n) {
    if ((!out || !a || !k) && n) return HUSH_EARG;
    for (size_t i = 0; i < n; i++) out[i] = a[i] * k[i];
    return HUSH_OK;
}

/* C (m x p) += A (m x k) B (k x p) in the ring. */
void hush__mpc_matmul_acc(uint64_t *c, const uint64_t *a, const uint64_t *b, size_t m, size_t k, size_t p) {
    for (size_t i = 0; i < m; i++) {
        uint64_t *ci = c + i * p;
        for (size_t t = 0; t < k; t++) {
            uint64_t av = a[i * k + t];
            const uint64_t *bt = b + t * p;
            for (size_t j = 0; j < p; j++) ci[j] += av * bt[j];
        }
    }
}

int hush_mpc_beaver_triples(hush_rng *rng, uint64_t *a, uint64_t *b, uint64_t *c, size_t n_parties, size_t n) {
    if (!rng || ((!a || !b || !c) && n)) return HUSH_EARG;
    if (!parties_ok(n_parties)) return HUSH_EARG;
    /* Draw a and b as the sum of independent uniform shares, then share c = a b. */
    uint64_t sa = 0, sb = 0, acc = 0;
    for (size_t j = 0; j < n; j++) {
        sa = sb = 0;
        for (size_t i = 0; i < n_parties; i++) {
            a[i * n + j] = hush_rng_u64(rng);
            b[i * n + j] = hush_rng_u64(rng);
            sa += a[i * n + j];
            sb += b[i * n + j];
        }
        acc = sa * sb;
        for (size_t i = 1; i < n_parties; i++) {
            c[i * n + j] = hush_rng_u64(rng);
            acc -= c[i * n + j];
        }
        c[j] = acc;
    }
    sodium_memzero(&sa, sizeof sa);
    sodium_memzero(&sb, sizeof sb);
    sodium_memzero(&acc, sizeof acc);
    return hush_rng_exhausted(rng) ? HUSH_ERANGE : HUSH_OK;
}

int hush_mpc_beaver_matmul(hush_rng *rng, uint64_t *a, uint64_t *b, uint64_t *c, size_t n_parties, size_t m, size_t k,
                           size_t p) {
    if (!rng || !a || !b || !c) return HUSH_EARG;
    if (!parties_ok(n_parties)) return HUSH_EARG;
    size_t na = m * k, nb = k * p, nc = m * p;
    /* Party 0's slots first hold the plain A, B and C = A B; then every other party's share is
     * drawn and subtracted from them, which leaves party 0's share in place. */
    hush__mpc_rng_words(rng, a, na);
    hush__mpc_rng_words(rng, b, nb);
    memset(c, 0, nc * sizeof *c);
    hush__mpc_matmul_acc(c, a, b, m, k, p);
    hush__mpc_share_out(a, n_parties, na, rng);
    hush__mpc_share_out(b, n_parties, nb, rng);
    hush__mpc_share_out(c, n_parties, nc, rng);
    return hush_rng_exhausted(rng) ? HUSH_ERANGE : HUSH_OK;
}

/* v[0..n) holds a secret; fills v[q*n..] (q >= 1) with uniform shares and subtracts them. */
void hush__mpc_share_out(uint64_t *v, size_t n_parties, size_t n, hush_rng *rng) {
    for (size_t q = 1; q < n_parties; q++)
        for (size_t j = 0; j < n; j++) {
            v[q * n + j] = hush_rng_u64(rng);
            v[j] -= v[q * n + j];
        }
}

int hush_mpc_trunc_pairs(hush_rng *rng, uint64_t *r, uint64_t *rt, uint64_t *rmsb, size_t n_parties, size_t n,
                         uint32_t shift) {
    if (!rng || ((!r || !rt || !rmsb) && n) || shift > HUSH_MPC_MAX_TRUNC_SHIFT) return HUSH_EARG;
    if (!parties_ok(n_parties)) return HUSH_EARG;
    /* party 0's slots hold the plain r, r >> shift and r >> 63 first, then are shared out */
    hush__mpc_rng_words(rng, r, n);
    for (size_t j = 0; j < n; j++) {
        rt[j] = r[j] >> shift;
        rmsb[j] = r[j] >> 63;
    }
    hush__mpc_share_out(r, n_parties, n, rng);
    hush__mpc_share_out(rt, n_parties, n, rng);
    hush__mpc_share_out(rmsb, n_parties, n, rng);
    return hush_rng_exhausted(rng) ? HUSH_ERANGE : HUSH_OK;
}

int hush_mpc_beaver_mul_open(uint64_t *alpha, uint64_t *beta, const uint64_t *x, const uint64_t *y, const uint64_t *a,
                             const uint64_t *b, size_t n) {
    if ((!alpha || !beta || !x || !y || !a || !b) && n) return HUSH_EARG;
    for (size_t i = 0; i < n; i++) {
        alpha[i] = x[i] - a[i];
        beta[i] = y[i] - b[i];
    }
    return HUSH_OK;
}

int hush_mpc_beaver_mul_finish(uint64_t *z, uint32_t party, const uint64_t *alpha, const uint64_t *beta,
                               const uint64_t *a, const uint64_t *b, const uint64_t *c, size_t n) {
    if ((!z || !alpha || !beta || !a || !b || !c) && n) return HUSH_EARG;
    for (size_t i = 0; i < n; i++) {
        uint64_t v = c[i] + alpha[i] * b[i] + beta[i] * a[i];
        if (party == 0) v += alpha[i] * beta[i];
        z[i] = v;
    }
    return HUSH_OK;
}

int hush_mpc_beaver_matmul_finish(uint64_t *z, uint32_t party, const uint64_t *alpha, const uint64_t *beta,
                                  const uint64_t *a, const uint64_t *b, const uint64_t *c, size_t m, size_t k,
                                  size_t p) {
    if (!z || !alpha || !beta || !a || !b || !c) return HUSH_EARG;
    memmove(z, c, m * p * sizeof *z);
    hush__mpc_matmul_acc(z, alpha, b, m, k, p);
    hush__mpc_matmul_acc(z, a, beta, m, k, p);
    if (party == 0) hush__mpc_matmul_acc(z, alpha, beta, m, k, p);
    return HUSH_OK;
}

int hush_mpc_trunc_open(uint64_t *c, uint32_t party, const uint64_t *x, const uint64_t *r, size_t n) {
    if ((!c || !x || !r) && n) return HUSH_EARG;
    for (size_t i = 0; i < n; i++) c[i] = x[i] + r[i] + (party == 0 ? HUSH__TRUNC_OFFSET : 0);
    return HUSH_OK;
}

int hush_mpc_trunc_finish(uint64_t *out, uint32_t party, const uint64_t *c, const uint64_t *rt, const uint64_t *rmsb,
                          size_t n, uint32_t shift) {
    if ((!out || !c || !rt || !rmsb) && n) return HUSH_EARG;
    if (shift > HUSH_MPC_MAX_TRUNC_SHIFT) return HUSH_EARG;
    /* 2^(64-shift) in the ring (0 when shift = 0: a wrap of a shift by nothing is a multiple of
     * 2^64), and the offset 2^62 shifted down */
    uint64_t wrap = shift ? (uint64_t)1 << (64 - shift) : 0, off = HUSH__TRUNC_OFFSET >> shift;
    for (size_t i = 0; i < n; i++) {
        uint64_t v = (party == 0 ? (c[i] >> shift) - off : 0) - rt[i];
        /* w = (1 - c63) r63: the sum x' + r wrapped exactly when r63 = 1 and c63 = 0 */
        if (!(c[i] >> 63)) v += rmsb[i] * wrap;
        out[i] = v;
    }
    return HUSH_OK;
}
