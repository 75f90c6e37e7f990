/* Distributed comparison function (two-party function secret sharing of x -> [x < alpha] beta)
 * and the dealer-assisted secure comparison built on it; see mpc.h for the construction. The
 * DCF tree has one level per input bit; at each level both keys expand their seed with the PRG
 * and a public correction word keeps the two walks equal off the path to alpha, so their
 * outputs cancel, while the value corrections accumulate beta on the "x < alpha" side. */
#include <string.h>

#include <sodium.h>

#include "mpc/mpc.h"

typedef struct dcf_node {
    uint64_t sl[2], sr[2];
    uint64_t vl, vr;
    uint32_t tl, tr;
} dcf_node;

#define ROTL32(v, n) ((uint32_t)((v) << (n)) | ((v) >> (32 - (n))))
#define QR(a, b, c, d)                                                                          \
    a += b, d ^= a, d = ROTL32(d, 16), c += d, b ^= c, b = ROTL32(b, 12), a += b, d ^= a,      \
    d = ROTL32(d, 8), c += d, b ^= c, b = ROTL32(b, 7)

/* G(s): the first ChaCha20 block (RFC 8439: counter 0, nonce 0) under the key s || 0^128,
 * i.e. exactly libsodium's crypto_stream_chacha20_ietf output, computed inline because a
 * library call per 64-byte block costs several times the block itself and the DCF makes 63
 * of them per evaluation. */
static void prg(dcf_node *o, const uint64_t s[2]) {
    uint32_t in[16] = {0x61707865u, 0x3320646eu, 0x79622d32u, 0x6b206574u, (uint32_t)s[0], (uint32_t)(s[0] >> 32),
                       (uint32_t)s[1], (uint32_t)(s[1] >> 32), 0, 0, 0, 0, 0, 0, 0, 0};
    uint32_t x[16];
    memcpy(x, in, sizeof x);
    for (int i = 0; i < 10; i++) {
        QR(x[0], x[4], x[8], x[12]);
        QR(x[1], x[5], x[9], x[13]);
        QR(x[2], x[6], x[10], x[14]);
        QR(x[3], x[7], x[11], x[15]);
        QR(x[0], x[5], x[10], x[15]);
        QR(x[1], x[6], x[11], x[12]);
        QR(x[2], x[7], x[8], x[13]);
        QR(x[3], x[4], x[9], x[14]);
    }
    for (int i = 0; i < 16; i++) x[i] += in[i];
    /* little-endian words: 64-bit word j is x[2j] | x[2j+1] << 32 */
    o->sl[0] = (uint64_t)x[0] | (uint64_t)x[1] << 32, o->sl[1] = (uint64_t)x[2] | (uint64_t)x[3] << 32;
    o->vl = (uint64_t)x[4] | (uint64_t)x[5] << 32;
    o->sr[0] = (uint64_t)x[6] | (uint64_t)x[7] << 32, o->sr[1] = (uint64_t)x[8] | (uint64_t)x[9] << 32;
    o->vr = (uint64_t)x[10] | (uint64_t)x[11] << 32;
    o->tl = x[12] & 1u;        /* byte 48 */
    o->tr = (x[12] >> 8) & 1u; /* byte 49 */
    sodium_memzero(x, sizeof x);
    sodium_memzero(in, sizeof in);
}

/* key layout: s[2] | per level: scw[2], vcw | tl bits | tr bits | final */
#define K_S 0
#define K_LEVEL(i) (2 + 3 * (size_t)(i))
#define K_TL (2 + 3 * HUSH__DCF_BITS)
#define K_TR (K_TL + 1)
#define K_FINAL (K_TR + 1)

int hush__dcf_gen(uint64_t *k0, uint64_t *k1, uint64_t alpha, uint64_t beta, hush_rng *rng) {
    if (!k0 || !k1 || !rng) return HUSH_EARG;
    uint64_t s0[2], s1[2], va = 0, tlw = 0, trw = 0;
    uint32_t t0 = 0, t1 = 1;
    s0[0] = hush_rng_u64(rng), s0[1] = hush_rng_u64(rng);
    s1[0] = hush_rng_u64(rng), s1[1] = hush_rng_u64(rng);
    k0[K_S] = s0[0], k0[K_S + 1] = s0[1];
    k1[K_S] = s1[0], k1[K_S + 1] = s1[1];
    for (int i = 0; i < HUSH__DCF_BITS; i++) {
        uint32_t a = (uint32_t)(alpha >> (HUSH__DCF_BITS - 1 - i)) & 1u;
        dcf_node n0, n1;
        prg(&n0, s0);
        prg(&n1, s1);
        /* keep = the child on alpha's path, lose = the other */
        const uint64_t *s0k = a ? n0.sr : n0.sl, *s1k = a ? n1.sr : n1.sl;
        const uint64_t *s0l = a ? n0.sl : n0.sr, *s1l = a ? n1.sl : n1.sr;
        uint64_t v0k = a ? n0.vr : n0.vl, v1k = a ? n1.vr : n1.vl;
        uint64_t v0l = a ? n0.vl : n0.vr, v1l = a ? n1.vl : n1.vr;
        uint64_t scw[2] = {s0l[0] ^ s1l[0], s0l[1] ^ s1l[1]};
        uint64_t sign = t1 ? (uint64_t)0 - 1 : 1;
        uint64_t vcw = sign * (v1l - v0l - va);
        if (a) vcw += sign * beta; /* lose = left: every x on the left of alpha here has x < alpha */
        va = va - v1k + v0k + sign * vcw;
        uint32_t tlcw = n0.tl ^ n1.tl ^ a ^ 1u, trcw = n0.tr ^ n1.tr ^ a;
        uint32_t tkcw = a ? trcw : tlcw;
        uint32_t t0k = a ? n0.tr : n0.tl, t1k = a ? n1.tr : n1.tl;
        size_t L = K_LEVEL(i);
        k0[L] = k1[L] = scw[0];
        k0[L + 1] = k1[L + 1] = scw[1];
        k0[L + 2] = k1[L + 2] = vcw;
        tlw |= (uint64_t)tlcw << i;
        trw |= (uint64_t)trcw << i;
        uint64_t m0 = t0 ? ~(uint64_t)0 : 0, m1 = t1 ? ~(uint64_t)0 : 0;
        s0[0] = s0k[0] ^ (m0 & scw[0]), s0[1] = s0k[1] ^ (m0 & scw[1]);
        s1[0] = s1k[0] ^ (m1 & scw[0]), s1[1] = s1k[1] ^ (m1 & scw[1]);
        t0 = t0k ^ (t0 & tkcw);
        t1 = t1k ^ (t1 & tkcw);
        sodium_memzero(&n0, sizeof n0);
        sodium_memzero(&n1, sizeof n1);
    }
    uint64_t sign = t1 ? (uint64_t)0 - 1 : 1;
    k0[K_TL] = k1[K_TL] = tlw;
    k0[K_TR] = k1[K_TR] = trw;
    k0[K_FINAL] = k1[K_FINAL] = sign * (s1[0] - s0[0] - va);
    sodium_memzero(s0, sizeof s0);
    sodium_memzero(s1, sizeof s1);
    sodium_memzero(&va, sizeof va);
    sodium_memzero(&alpha, sizeof alpha);
    sodium_memzero(&beta, sizeof beta);
    return HUSH_OK;
}

uint64_t hush__dcf_eval(uint32_t b, const uint64_t *key, uint64_t x) {
    uint64_t s[2] = {key[K_S], key[K_S + 1]}, v = 0;
    uint64_t sign = b ? (uint64_t)0 - 1 : 1;
    uint32_t t = b & 1u;
    dcf_node n;
    for (int i = 0; i < HUSH__DCF_BITS; i++) {
        prg(&n, s);
        size_t L = K_LEVEL(i);
        uint64_t m = t ? ~(uint64_t)0 : 0;
        n.sl[0] ^= m & key[L], n.sl[1] ^= m & key[L + 1];
        n.sr[0] ^= m & key[L], n.sr[1] ^= m & key[L + 1];
        n.tl ^= t & (uint32_t)(key[K_TL] >> i) & 1u;
        n.tr ^= t & (uint32_t)(key[K_TR] >> i) & 1u;
        uint64_t tv = t ? key[L + 2] : 0;
        if ((x >> (HUSH__DCF_BITS - 1 - i)) & 1u) {
            v += sign * (n.vr + tv);
            s[0] = n.sr[0], s[1] = n.sr[1], t = n.tr;
        } else {
            v += sign * (n.vl + tv);
            s[0] = n.sl[0], s[1] = n.sl[1], t = n.tl;
        }
    }
    v += sign * (s[0] + (t ? key[K_FINAL] : 0));
    /* the walk's seeds are key material: wipe the last ones (once per evaluation, not per level) */
    sodium_memzero(&n, sizeof n);
    sodium_memzero(s, sizeof s);
    return v;
}

#define LOW63 ((((uint64_t)1) << 63) - 1)

/* Number of leading bits (of the 63) that a and b share. */
static int common_prefix(uint64_t a, uint64_t b) {
    uint64_t d = (a ^ b) & LOW63;
    if (!d) return HUSH__DCF_BITS;
    int n = 0;
    for (uint64_t bit = (uint64_t)1 << 62; !(d & bit); bit >>= 1) n++;
    return n;
}

void hush__dcf_eval_many(uint32_t b, const uint64_t *key, const uint64_t *xs, size_t n, uint64_t *out) {
    /* state before level i: seed, control bit, accumulated value */
    uint64_t s[HUSH__DCF_BITS + 1][2], v[HUSH__DCF_BITS + 1];
    uint32_t t[HUSH__DCF_BITS + 1];
    uint64_t sign = b ? (uint64_t)0 - 1 : 1;
    s[0][0] = key[K_S], s[0][1] = key[K_S + 1], t[0] = b & 1u, v[0] = 0;
    dcf_node nd;
    memset(&nd, 0, sizeof nd);
    for (size_t q = 0; q < n; q++) {
        uint64_t x = xs[q] & LOW63;
        /* points that share a prefix share the walk down to it */
        int start = q ? common_prefix(x, xs[q - 1]) : 0;
        for (int i = start; i < HUSH__DCF_BITS; i++) {
            prg(&nd, s[i]);
            size_t L = K_LEVEL(i);
            uint64_t m = t[i] ? ~(uint64_t)0 : 0, tv = t[i] ? key[L + 2] : 0;
            if ((x >> (HUSH__DCF_BITS - 1 - i)) & 1u) {
                s[i + 1][0] = nd.sr[0] ^ (m & key[L]), s[i + 1][1] = nd.sr[1] ^ (m & key[L + 1]);
                t[i + 1] = nd.tr ^ (t[i] & (uint32_t)(key[K_TR] >> i) & 1u);
                v[i + 1] = v[i] + sign * (nd.vr + tv);
            } else {
                s[i + 1][0] = nd.sl[0] ^ (m & key[L]), s[i + 1][1] = nd.sl[1] ^ (m & key[L + 1]);
                t[i + 1] = nd.tl ^ (t[i] & (uint32_t)(key[K_TL] >> i) & 1u);
                v[i + 1] = v[i] + sign * (nd.vl + tv);
            }
        }
        out[q] = v[HUSH__DCF_BITS] + sign * (s[HUSH__DCF_BITS][0] + (t[HUSH__DCF_BITS] ? key[K_FINAL] : 0));
    }
    sodium_memzero(s, sizeof s);
    sodium_memzero(v, sizeof v);
    sodium_memzero(t, sizeof t);
    sodium_memzero(&nd, sizeof nd);
}

int hush__ltz_gen(uint64_t *r, uint64_t *off, uint64_t *key0, uint64_t *key1, size_t n_parties, size_t n,
                  hush_rng *rng) {
    uint64_t rv = 0, beta = 0;
    for (size_t j = 0; j < n; j++) {
        rv = hush_rng_u64(rng);
        r[j] = rv;
        off[j] = rv >> 63;
        /* d = r63 xor [c_low < r_low] = r63 + (1 - 2 r63) [c_low < r_low] */
        beta = (rv >> 63) ? (uint64_t)0 - 1 : 1;
        int rc = hush__dcf_gen(key0 + j * HUSH__DCF_KEY_WORDS, key1 + j * HUSH__DCF_KEY_WORDS, rv & LOW63, beta, rng);
        if (rc != HUSH_OK) {
            sodium_memzero(&rv, sizeof rv);
            return rc;
        }
    }
    sodium_memzero(&rv, sizeof rv);
    sodium_memzero(&beta, sizeof beta);
    hush__mpc_share_out(r, n_parties, n, rng);
    hush__mpc_share_out(off, n_parties, n, rng);
    return HUSH_OK;
}

void hush__ltz_finish(uint64_t *s, uint32_t party, const uint64_t *c, const uint64_t *off, const uint64_t *keys,
                      size_t n) {
    for (size_t j = 0; j < n; j++) {
        uint64_t d = off[j];
        if (party < 2) d += hush__dcf_eval(party, keys + j * HUSH__DCF_KEY_WORDS, c[j] & LOW63);
        /* [x < 0] = c63 xor d */
        s[j] = (c[j] >> 63) ? (party == 0 ? 1 : 0) - d : d;
    }
}

void hush__ltz_knots_finish(uint64_t *s, uint32_t party, const uint64_t *c, const uint64_t *off, const uint64_t *keys,
                            const uint64_t *knots, size_t k, size_t n) {
    uint64_t pts[HUSH__LTZ_MAX_KNOTS], y[HUSH__LTZ_MAX_KNOTS];
    memset(y, 0, sizeof y);
    for (size_t i = 0; i < n; i++) {
        /* x - k_j is masked by the same r: c - k_j */
        for (size_t j = 0; j < k; j++) pts[j] = c[i] - knots[j];
        if (party < 2) hush__dcf_eval_many(party, keys + i * HUSH__DCF_KEY_WORDS, pts, k, y);
        for (size_t j = 0; j < k; j++) {
            uint64_t d = off[i] + (party < 2 ? y[j] : 0);
            s[j * n + i] = (pts[j] >> 63) ? (party == 0 ? 1 : 0) - d : d;
        }
    }
    sodium_memzero(y, sizeof y);
}
