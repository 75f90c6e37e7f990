/* The ChaCha20 keystream reader: seeding, named sub-streams, bytes, integers, uniforms,
 * Bernoulli and shuffles (hush/rng.h has the contract). The normal samplers are in normal.c. */
#include "hush/rng.h"

#include <sodium.h>
#include <string.h>

#include "rng/stream.h"

static void refill(hush_rng *r) {
    static const uint8_t zeros[HUSH_RNG_BUF_BYTES];
    crypto_stream_chacha20_ietf_xor_ic(r->buf, zeros, sizeof r->buf, r->nonce, (uint32_t)r->counter, r->key);
    r->counter += HUSH_RNG_BUF_BYTES / 64;
    r->pos = 0;
}

static int init_stream(hush_rng *r, const uint8_t key[32], const uint8_t nonce[12], uint32_t counter) {
    if (!r || !key) return HUSH_EARG;
    if (hush_init() != HUSH_OK) return HUSH_ECRYPTO;
    memset(r, 0, sizeof *r);
    memcpy(r->key, key, HUSH_RNG_SEED_BYTES);
    if (nonce) memcpy(r->nonce, nonce, HUSH_RNG_NONCE_BYTES);
    r->counter = counter;
    r->pos = HUSH_RNG_BUF_BYTES; /* empty: first draw refills */
    return HUSH_OK;
}

int hush_rng_init_stream(hush_rng *rng, const uint8_t key[HUSH_RNG_SEED_BYTES],
                         const uint8_t nonce[HUSH_RNG_NONCE_BYTES], uint32_t counter) {
    return init_stream(rng, key, nonce, counter);
}

int hush_rng_init(hush_rng *rng, const uint8_t seed[HUSH_RNG_SEED_BYTES]) {
    return init_stream(rng, seed, NULL, 0);
}

int hush_rng_init_u64(hush_rng *rng, uint64_t seed) {
    if (!rng) return HUSH_EARG;
    if (hush_init() != HUSH_OK) return HUSH_ECRYPTO;
    uint8_t msg[9 + 8] = {'h', 'u', 's', 'h', '.', 's', 'e', 'e', 'd'};
    for (int i = 0; i < 8; i++) msg[9 + i] = (uint8_t)(seed >> (8 * i));
    uint8_t key[HUSH_RNG_SEED_BYTES];
    crypto_generichash(key, sizeof key, msg, sizeof msg, NULL, 0);
    int rc = init_stream(rng, key, NULL, 0);
    sodium_memzero(key, sizeof key);
    return rc;
}

int hush_rng_init_random(hush_rng *rng) {
    if (!rng) return HUSH_EARG;
    if (hush_init() != HUSH_OK) return HUSH_ECRYPTO;
    uint8_t key[HUSH_RNG_SEED_BYTES];
    randombytes_buf(key, sizeof key);
    int rc = init_stream(rng, key, NULL, 0);
    sodium_memzero(key, sizeof key);
    return rc;
}

int hush_rng_derive(hush_rng *child, const hush_rng *parent, const char *name) {
    if (!child || !parent || !name || child == parent) return HUSH_EARG;
    crypto_generichash_state st;
    uint8_t key[HUSH_RNG_SEED_BYTES];
    if (crypto_generichash_init(&st, parent->key, sizeof parent->key, sizeof key) != 0) return HUSH_ECRYPTO;
    /* The parent nonce is part of the input so children of distinct streams never coincide. */
    crypto_generichash_update(&st, parent->nonce, sizeof parent->nonce);
    crypto_generichash_update(&st, (const uint8_t *)name, strlen(name));
    crypto_generichash_final(&st, key, sizeof key);
    sodium_memzero(&st, sizeof st);
    int rc = init_stream(child, key, NULL, 0);
    sodium_memzero(key, sizeof key);
    return rc;
}

void hush_rng_clear(hush_rng *rng) {
    if (rng) sodium_memzero(rng, sizeof *rng);
}

int hush_rng_exhausted(const hush_rng *rng) { return rng ? rng->exhausted != 0 : 1; }

int hush_rng_bytes(hush_rng *r, uint8_t *out, size_t len) {
    if (!r || (!out && len)) return HUSH_EARG;
    if (r->exhausted) return HUSH_ERANGE;
    while (len) {
        if (r->pos == HUSH_RNG_BUF_BYTES && len >= HUSH_RNG_BUF_BYTES) {
            /* Whole buffers straight into out in one call: the same keystream bytes, without the
             * per-call cost of 256-byte refills. */
            size_t whole = len / HUSH_RNG_BUF_BYTES * HUSH_RNG_BUF_BYTES;
            if (!hush__rng_has_blocks(r, whole / 64)) return hush__rng_exhaust(r);
            memset(out, 0, whole);
            crypto_stream_chacha20_ietf_xor_ic(out, out, whole, r->nonce, (uint32_t)r->counter, r->key);
            r->counter += whole / 64;
            out += whole;
            len -= whole;
            continue;
        }
        if (r->pos == HUSH_RNG_BUF_BYTES) {
            /* 2^32 blocks is the whole IETF stream; refusing beats silently repeating it. */
            if (!hush__rng_has_blocks(r, HUSH_RNG_BUF_BYTES / 64)) return hush__rng_exhaust(r);
            refill(r);
        }
        size_t n = HUSH_RNG_BUF_BYTES - r->pos;
        if (n > len) n = len;
        memcpy(out, r->buf + r->pos, n);
        sodium_memzero(r->buf + r->pos, n); /* drawn bytes must not linger in the state */
        r->pos += (uint32_t)n;
        out += n;
        len -= n;
    }
    return HUSH_OK;
}

uint64_t hush_rng_u64(hush_rng *r) {
    uint8_t b[8];
    /* Exhaustion after 256 GiB of draws cannot happen in practice; report all-zero if it did. */
    if (hush_rng_bytes(r, b, 8) != HUSH_OK) return 0;
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = (v << 8) | b[i];
    return v;
}

uint32_t hush_rng_u32(hush_rng *r) {
    uint8_t b[4];
    if (hush_rng_bytes(r, b, 4) != HUSH_OK) return 0;
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

int hush_rng_below(hush_rng *r, uint64_t *out, uint64_t bound) {
    if (!r || !out) return HUSH_EARG;
    *out = 0;
    if (bound == 0) return r->exhausted ? HUSH_ERANGE : HUSH_OK;
    /* Reject the lowest (2^64 mod bound) values so every residue is equally likely. */
    uint64_t threshold = (0 - bound) % bound;
    for (;;) {
        uint64_t x = hush_rng_u64(r);
        if (r->exhausted) return HUSH_ERANGE;
        if (x >= threshold) {
            *out = x % bound;
            return HUSH_OK;
        }
    }
}

double hush_rng_uniform(hush_rng *r) { return (double)(hush_rng_u64(r) >> 11) * 0x1p-53; }

double hush_rng_uniform_pos(hush_rng *r) { return ((double)(hush_rng_u64(r) >> 11) + 0.5) * 0x1p-53; }

int hush_rng_bernoulli(hush_rng *r, double p) {
    if (!(p > 0.0)) return 0; /* also NaN */
    if (p >= 1.0) return 1;
    /* Compare a uniform binary fraction with p's finite binary expansion, 64 bits at a time:
     * exact for every double p, and almost always decided by the first word. */
    for (;;) {
        double m = p * 0x1p64;            /* exact scaling */
        uint64_t hi = (uint64_t)m;        /* m < 2^64 */
        double frac = m - (double)hi;     /* exact: both in the same binade or frac is small */
        uint64_t u = hush_rng_u64(r);
        if (u < hi) return 1;
        if (u > hi) return 0;
        if (frac == 0.0) return 0;
        p = frac;
    }
}

int hush_rng_shuffle_u32(hush_rng *r, uint32_t *v, size_t n) {
    if (!r || (!v && n)) return HUSH_EARG;
    for (size_t i = n; i > 1; i--) {
        uint64_t j;
        int rc = hush_rng_below(r, &j, i);
        if (rc != HUSH_OK) return rc;
        uint32_t t = v[i - 1];
        v[i - 1] = v[(size_t)j];
        v[(size_t)j] = t;
    }
    return HUSH_OK;
}
