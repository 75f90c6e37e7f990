/* ChaCha20 keystream reader. See hush/rng.h for the contract. */
#include "hush/rng.h"

#include <sodium.h>
#include <string.h>

#include "hush/mathf.h"
#include "rng/ziggurat.h"

static void refill(hush_rng *r) {
    static const uint8_t zeros[HUSH_RNG_BUFBYTES];
    crypto_stream_chacha20_ietf_xor_ic(r->buf, zeros, sizeof r->buf, r->nonce, (uint32_t)r->counter, r->key);
    r->counter += HUSH_RNG_BUFBYTES / 64;
    r->pos = 0;
}

static int init_stream(hush_rng *r, const uint8_t key[32], const uint8_t nonce[12], uint32_t counter) {
    if (!r || !key) return HUSH_EARG;
    if (hush_init() != HUSH_OK) return HUSH_ECRYPTO;
    memset(r, 0, sizeof *r);
    memcpy(r->key, key, HUSH_RNG_SEEDBYTES);
    if (nonce) memcpy(r->nonce, nonce, HUSH_RNG_NONCEBYTES);
    r->counter = counter;
    r->pos = HUSH_RNG_BUFBYTES; /* empty: first draw refills */
    return HUSH_OK;
}

int hush_rng_init_stream(hush_rng *rng, const uint8_t key[HUSH_RNG_SEEDBYTES],
                         const uint8_t nonce[HUSH_RNG_NONCEBYTES], uint32_t counter) {
    return init_stream(rng, key, nonce, counter);
}

int hush_rng_init(hush_rng *rng, const uint8_t seed[HUSH_RNG_SEEDBYTES]) {
    return init_stream(rng, seed, NULL, 0);
}

int hush_rng_init_u64(hush_rng *rng, uint64_t seed) {
    if (!rng) return HUSH_EARG;
    if (hush_init() != HUSH_OK) return HUSH_ECRYPTO;
    uint8_t msg[9 + 8] = {'h', 'u', 's', 'h', '.', 's', 'e', 'e', 'd'};
    for (int i = 0; i < 8; i++) msg[9 + i] = (uint8_t)(seed >> (8 * i));
    uint8_t key[HUSH_RNG_SEEDBYTES];
    crypto_generichash(key, sizeof key, msg, sizeof msg, NULL, 0);
    int rc = init_stream(rng, key, NULL, 0);
    sodium_memzero(key, sizeof key);
    return rc;
}

int hush_rng_init_random(hush_rng *rng) {
    if (!rng) return HUSH_EARG;
    if (hush_init() != HUSH_OK) return HUSH_ECRYPTO;
    uint8_t key[HUSH_RNG_SEEDBYTES];
    randombytes_buf(key, sizeof key);
    int rc = init_stream(rng, key, NULL, 0);
    sodium_memzero(key, sizeof key);
    return rc;
}

int hush_rng_derive(hush_rng *child, const hush_rng *parent, const char *name) {
    if (!child || !parent || !name || child == parent) return HUSH_EARG;
    crypto_generichash_state st;
    uint8_t key[HUSH_RNG_SEEDBYTES];
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

/* Marks the stream spent: every later draw fails too, so a loop that keeps drawing terminates. */
static int exhaust(hush_rng *r) {
    r->exhausted = 1;
    return HUSH_ERANGE;
}

/* Can the stream still supply `blocks` ChaCha20 blocks from its counter? */
static int has_blocks(const hush_rng *r, uint64_t blocks) {
    return !r->exhausted && r->counter <= ((uint64_t)1 << 32) && blocks <= ((uint64_t)1 << 32) - r->counter;
}

int hush_rng_bytes(hush_rng *r, uint8_t *out, size_t len) {
    if (!r || (!out && len)) return HUSH_EARG;
    if (r->exhausted) return HUSH_ERANGE;
    while (len) {
        if (r->pos == HUSH_RNG_BUFBYTES && len >= HUSH_RNG_BUFBYTES) {
            /* Whole buffers straight into out in one call: the same keystream bytes, without the
             * per-call cost of 256-byte refills. */
            size_t whole = len / HUSH_RNG_BUFBYTES * HUSH_RNG_BUFBYTES;
            if (!has_blocks(r, whole / 64)) return exhaust(r);
            memset(out, 0, whole);
            crypto_stream_chacha20_ietf_xor_ic(out, out, whole, r->nonce, (uint32_t)r->counter, r->key);
            r->counter += whole / 64;
            out += whole;
            len -= whole;
            continue;
        }
        if (r->pos == HUSH_RNG_BUFBYTES) {
            /* 2^32 blocks is the whole IETF stream; refusing beats silently repeating it. */
            if (!has_blocks(r, HUSH_RNG_BUFBYTES / 64)) return exhaust(r);
            refill(r);
        }
        size_t n = HUSH_RNG_BUFBYTES - r->pos;
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

/* ---- standard normal: Ziggurat (Marsaglia & Tsang 2000, J. Stat. Softw. 5(8)), 256 layers ----
 *
 * Layer i >= 1 is the rectangle [0, x_i] x [f(x_i), f(x_{i-1})] of f(x) = exp(-x^2/2), x_0 = 0,
 * x_255 = r; layer 0 is [0, v/f(r)] x [0, f(r)] plus the tail beyond r. All 256 have area v, so a
 * uniform layer and a uniform point in it give a uniform point under f when the point lies under f:
 * x < x_{i-1} (integer test on the 53-bit uniform, 99% of draws), else the wedge test against
 * hush_exp, or Marsaglia's 1964 tail algorithm for layer 0. Each attempt reads one 64-bit word:
 * bits 0-7 the layer, bit 8 the sign, bits 11-63 the uniform, so unlike the original 32-bit
 * version (Doornik 2005) layer, sign and abscissa never share bits. Only integer ops, exactly
 * rounded IEEE multiply/add and Hush's own exp/log run, so every build gives the same bits.
 *
 * Tables generated by a throwaway C program in 80-bit long double (glibc expl/logl/erfcl):
 * r solved by bisection so that the recursion x_{i-1} = sqrt(-2 log(v/x_i + f(x_i))) with
 * v = r f(r) + sqrt(pi/2) erfc(r/sqrt 2) makes the top layer's area x_1 (1 - f(x_1)) equal v
 * (residual 1.2e-18); zig_k[i] = floor(2^53 x_{i-1}/x_i) (zig_k[0] = floor(2^53 r f(r)/v),
 * zig_k[1] = 0), zig_w[i] = x_i 2^-53 (zig_w[0] = v/f(r) 2^-53), zig_f[i] = f(x_i) (zig_f[0] = 1,
 * the top of layer 1), each rounded to nearest. */
/* r = 3.6541528853610087714, v = 0.00492867323397465535082 */
#define ZIG_R 0x1.d3bb48209ad33p+1
#define ZIG_INV_R 0x1.183aa6c20e8c1p-2
#define ZIG_K_TABLE(X) \
    X(0x1de67b004bdeca) X(0x00000000000000) X(0x18117d31f78d6c) X(0x1b46a9f57b028c) \
    X(0x1ca3ecfd83ddd8) X(0x1d64abd3a7eefc) X(0x1dde9702fd9571) X(0x1e328e15f48957) \
    X(0x1e6fdac3ff962e) X(0x1e9e8d2ac24ab6) X(0x1ec34bc837472c) X(0x1ee0f4eaa72d49) \
    X(0x1ef965d8508936) X(0x1f0de218c6afa5) X(0x1f1f4caf064bbb) X(0x1f2e498e9ba1b4) \
    X(0x1f3b520fb7ea11) X(0x1f46c1eb03f4e5) X(0x1f50dfbcb697f1) X(0x1f59e2c1a6a9b7) \
    X(0x1f61f6ce31721c) X(0x1f693f1aa6e98b) X(0x1f6fd846cdfcef) X(0x1f75d9d343ca19) \
    X(0x1f7b573a0817db) X(0x1f8060c1fed8ae) X(0x1f8504206f4490) X(0x1f894cf5c4b7a2) \
    X(0x1f8d452ef5dc60) X(0x1f90f552512d49) X(0x1f9464bc97bd0a) X(0x1f9799d2044634) \
    X(0x1f9a9a25f07388) X(0x1f9d6a9b1fd932) X(0x1fa00f7e3b9261) X(0x1fa28c9bad89ca) \
    X(0x1fa4e551c5e8a0) X(0x1fa71c9fe1923c) X(0x1fa935332168f3) X(0x1fab3171241ea5) \
    X(0x1fad13811d33d8) X(0x1faedd5391d064) X(0x1fb090a8f611d0) X(0x1fb22f175a5917) \
    X(0x1fb3ba0f4f5ba5) X(0x1fb532e020bd17) X(0x1fb69abb805c3f) X(0x1fb7f2b8b7f9a1) \
    X(0x1fb93bd77334fa) X(0x1fba770230e53a) X(0x1fbba510685f1f) X(0x1fbcc6c86d3ec7) \
    X(0x1fbddce11aa29c) X(0x1fbee8034d685c) X(0x1fbfe8cb33da7d) X(0x1fc0dfc97849e3) \
    X(0x1fc1cd844b44b0) X(0x1fc2b278517097) X(0x1fc38f19787f31) X(0x1fc463d3b63952) \
    X(0x1fc5310bb43723) X(0x1fc5f71f6a830c) X(0x1fc6b666ab1a95) X(0x1fc76f33a00055) \
    X(0x1fc821d33d5afd) X(0x1fc8ce8da8ee69) X(0x1fc975a69812b7) X(0x1fca175da52a49) \
    X(0x1fcab3ee9d78ee) X(0x1fcb4b91c82424) X(0x1fcbde7c270d12) X(0x1fcc6cdfb220ef) \
    X(0x1fccf6eb8daaf0) X(0x1fcd7ccc3c2355) X(0x1fcdfeabcbe9e4) X(0x1fce7cb2014e02) \
    X(0x1fcef7047d3c72) X(0x1fcf6dc6e0e143) X(0x1fcfe11aee8485) X(0x1fd05120a7e118) \
    X(0x1fd0bdf66a2e76) X(0x1fd127b90810c8) X(0x1fd18e83e19d78) X(0x1fd1f270fa9dec) \
    X(0x1fd253990f3639) X(0x1fd2b213a711d5) X(0x1fd30df7273543) X(0x1fd36758e290cb) \
    X(0x1fd3be4d296daa) X(0x1fd412e757ccf7) X(0x1fd46539e2cd48) X(0x1fd4b556652a59) \
    X(0x1fd5034daae833) X(0x1fd54f2fbc39de) X(0x1fd5990be7b23f) X(0x1fd5e0f0cbcc78) \
    X(0x1fd626ec5fd824) X(0x1fd66b0bfc5495) X(0x1fd6ad5c62c568) X(0x1fd6ede9c509f3) \
    X(0x1fd72cbfcc4026) X(0x1fd769e99f3af8) X(0x1fd7a571e8939f) X(0x1fd7df62dc5c7b) \
    X(0x1fd817c63d7bd0) X(0x1fd84ea562b429) X(0x1fd884093b5fa6) X(0x1fd8b7fa53e32c) \
    X(0x1fd8ea80d9dde8) X(0x1fd91ba4a01968) X(0x1fd94b6d223e21) X(0x1fd979e1884ffc) \
    X(0x1fd9a708a9f62a) X(0x1fd9d2e9119167) X(0x1fd9fd88ff236e) X(0x1fda26ee6b0a50) \
    X(0x1fda4f1f089206) X(0x1fda7620485e98) X(0x1fda9bf75ab0db) X(0x1fdac0a93187b9) \
    X(0x1fdae43a829fd0) X(0x1fdb06afc95303) X(0x1fdb280d485991) X(0x1fdb48570b6e08) \
    X(0x1fdb6790e8d566) X(0x1fdb85be82cca4) X(0x1fdba2e348dca4) X(0x1fdbbf027915a4) \
    X(0x1fdbda1f2132ff) X(0x1fdbf43c1fa827) X(0x1fdc0d5c249789) X(0x1fdc2581b2b40c) \
    X(0x1fdc3caf200dbf) X(0x1fdc52e696ca48) X(0x1fdc682a15c977) X(0x1fdc7c7b713679) \
    X(0x1fdc8fdc5305e7) X(0x1fdca24e3b610c) X(0x1fdcb3d280fe82) X(0x1fdcc46a51685b) \
    X(0x1fdcd416b12fe1) X(0x1fdce2d87c0ef4) X(0x1fdcf0b064f702) X(0x1fdcfd9ef60d73) \
    X(0x1fdd09a4909565) X(0x1fdd14c16cc685) X(0x1fdd1ef59990a3) X(0x1fdd2840fc4bb4) \
    X(0x1fdd30a35053d6) X(0x1fdd381c2690b6) X(0x1fdd3eaae4e7e7) X(0x1fdd444ec5995c) \
    X(0x1fdd4906d68556) X(0x1fdd4cd1f85ae2) X(0x1fdd4faeddadf3) X(0x1fdd519c09f414) \
    X(0x1fdd5297d06677) X(0x1fdd52a052c81e) X(0x1fdd51b3800ebb) X(0x1fdd4fcf12eca7) \
    X(0x1fdd4cf0903a48) X(0x1fdd4915453d05) X(0x1fdd443a45c9b3) X(0x1fdd3e5c6a4048) \
    X(0x1fdd37784d5e5d) X(0x1fdd2f8a49e5c7) X(0x1fdd268e781472) X(0x1fdd1c80aaea2a) \
    X(0x1fdd115c6d38f3) X(0x1fdd051cfe7bf9) X(0x1fdcf7bd4f710f) X(0x1fdce937fe6ffe) \
    X(0x1fdcd987537abc) X(0x1fdcc8a53c00fe) X(0x1fdcb68b465111) X(0x1fdca3329caf6b) \
    X(0x1fdc8e94000d9d) X(0x1fdc78a7c2589e) X(0x1fdc6165c055ae) X(0x1fdc48c55b0409) \
    X(0x1fdc2ebd7078b3) X(0x1fdc134454288e) X(0x1fdbf64fc69397) X(0x1fdbd7d4ec42d8) \
    X(0x1fdbb7c84408fa) X(0x1fdb961d9c73a6) X(0x1fdb72c80859e7) X(0x1fdb4db9d27192) \
    X(0x1fdb26e46fd319) X(0x1fdafe3871506c) X(0x1fdad3a5738055) X(0x1fdaa71a0d5bfe) \
    X(0x1fda7883bd4844) X(0x1fda47ced45fae) X(0x1fda14e65fcc87) X(0x1fd9dfb40ffc66) \
    X(0x1fd9a8201d6f70) X(0x1fd96e112add68) X(0x1fd9316c246181) X(0x1fd8f2141b52f0) \
    X(0x1fd8afea1e63fb) X(0x1fd86acd0d92c3) X(0x1fd82299696669) X(0x1fd7d7291cdfa1) \
    X(0x1fd78853416d22) X(0x1fd735ebdc19b8) X(0x1fd6dfc3930a85) X(0x1fd685a75a3f3c) \
    X(0x1fd62760165a96) X(0x1fd5c4b23405d1) X(0x1fd55d5d3244ad) X(0x1fd4f11b1dc64d) \
    X(0x1fd47f9ffae7ca) X(0x1fd408991bb3ed) X(0x1fd38bac5eac74) X(0x1fd30877528f46) \
    X(0x1fd27e8e3a8e51) X(0x1fd1ed7aed8bac) X(0x1fd154bb89d1cc) X(0x1fd0b3c0f563d4) \
    X(0x1fd009ed21527f) X(0x1fcf569104677e) X(0x1fce98ea3ed54a) X(0x1fcdd020554403) \
    X(0x1fccfb416d57b1) X(0x1fcc193e7060fb) X(0x1fcb28e671ee84) X(0x1fca28e12ee500) \
    X(0x1fc917a86de8af) X(0x1fc7f37ffa3c6e) X(0x1fc6ba6bdd6337) X(0x1fc56a245fc9fa) \
    X(0x1fc4000732aaae) X(0x1fc27904f10628) X(0x1fc0d189dccf5e) X(0x1fbf056056e354) \
    X(0x1fbd0f8afdfd54) X(0x1fbaea138c77fa) X(0x1fb88dca537e25) X(0x1fb5f1f05c0505) \
    X(0x1fb30bc36574ea) X(0x1fafcdde919e08) X(0x1fac275b7aca16) X(0x1fa80293c5e023) \
    X(0x1fa3434f698f58) X(0x1f9dc408ec3f3d) X(0x1f9751b0bc2363) X(0x1f8fa4dd9a5a45) \
    X(0x1f86565e3c45d9) X(0x1f7acb03817073) X(0x1f6c0d8800a867) X(0x1f5880b05450e7) \
    X(0x1f3d2e3c028b2e) X(0x1f13f491483bf7) X(0x1ecd8befe06058) X(0x1e34b496663893)

#define ZIG_W_TABLE(X) \
    X(0x1.f493b7815d982p-52) X(0x1.b8d0be3fdf703p-56) X(0x1.250af3c2c5bc6p-55) X(0x1.57cb938443b71p-55) \
    X(0x1.801fce82fa71bp-55) X(0x1.a230c2e4cd0cbp-55) X(0x1.c004d2f386207p-55) X(0x1.dac2f5a747281p-55) \
    X(0x1.f32482d4cd5dp-55) X(0x1.04d32278ebbb4p-54) X(0x1.0f5053b025d4ap-54) X(0x1.192a69741367dp-54) \
    X(0x1.227a28f7a1afap-54) X(0x1.2b52e3863d885p-54) X(0x1.33c3fc05791fap-54) X(0x1.3bd9ec1a2b134p-54) \
    X(0x1.439ef8dff9b5ap-54) X(0x1.4b1bb363dfeadp-54) X(0x1.52575621ad379p-54) X(0x1.59580a707ce9cp-54) \
    X(0x1.60231cfd97ef1p-54) X(0x1.66bd261a37c44p-54) X(0x1.6d2a292000577p-54) X(0x1.736dad346f8adp-54) \
    X(0x1.798ad10b32a7ep-54) X(0x1.7f845ad46f549p-54) X(0x1.855cc53430a7dp-54) X(0x1.8b1649e7b769fp-54) \
    X(0x1.90b2ea94ecf9ep-54) X(0x1.96347822c1efp-54) X(0x1.9b9c98e38c54dp-54) X(0x1.a0eccdca4a731p-54) \
    X(0x1.a62676d77cd5fp-54) X(0x1.ab4ad6e101636p-54) X(0x1.b05b16d136ca2p-54) X(0x1.b558487427a2fp-54) \
    X(0x1.ba4368e529f4p-54) X(0x1.bf1d62abf8239p-54) X(0x1.c3e70f9594ef8p-54) X(0x1.c8a13a5323b66p-54) \
    X(0x1.cd4c9fe72268fp-54) X(0x1.d1e9f0e80b74bp-54) X(0x1.d679d29e41f14p-54) X(0x1.dafce0023b8c8p-54) \
    X(0x1.df73aa9f17656p-54) X(0x1.e3debb5d2ee02p-54) X(0x1.e83e9337a6f04p-54) X(0x1.ec93abdf982d2p-54) \
    X(0x1.f0de784f0622ap-54) X(0x1.f51f654d8f68cp-54) X(0x1.f956d9e87d7b2p-54) X(0x1.fd8537dfa2eb1p-54) \
    X(0x1.00d56e04234eep-53) X(0x1.02e40f5398f9dp-53) X(0x1.04eea9e16a5ffp-53) X(0x1.06f565b72a014p-53) \
    X(0x1.08f869071f40fp-53) X(0x1.0af7d84bc6116p-53) X(0x1.0cf3d664bcc83p-53) X(0x1.0eec84b16086fp-53) \
    X(0x1.10e20329515f1p-53) X(0x1.12d4707310fc1p-53) X(0x1.14c3e9f8e9143p-53) X(0x1.16b08bfc4202p-53) \
    X(0x1.189a71a78da37p-53) X(0x1.1a81b51ee6d8bp-53) X(0x1.1c666f8f82acfp-53) X(0x1.1e48b93e0d431p-53) \
    X(0x1.2028a9940a0a3p-53) X(0x1.2206572c4c6ecp-53) X(0x1.23e1d7de9c322p-53) X(0x1.25bb40ca96bfep-53) \
    X(0x1.2792a661dd381p-53) X(0x1.29681c719d71dp-53) X(0x1.2b3bb62b82edbp-53) X(0x1.2d0d862e1b856p-53) \
    X(0x1.2edd9e8cba99p-53) X(0x1.30ac10d6e48dap-53) X(0x1.3278ee1f4b933p-53) X(0x1.3444470265ea4p-53) \
    X(0x1.360e2baca52d7p-53) X(0x1.37d6abe05586cp-53) X(0x1.399dd6fb2b267p-53) X(0x1.3b63bbfb83d06p-53) \
    X(0x1.3d28698561de3p-53) X(0x1.3eebede725a85p-53) X(0x1.40ae571e09e76p-53) X(0x1.426fb2da6745fp-53) \
    X(0x1.44300e83c30a6p-53) X(0x1.45ef773cac75ep-53) X(0x1.47adf9e66c338p-53) X(0x1.496ba32488f3p-53) \
    X(0x1.4b287f602415ep-53) X(0x1.4ce49acb311ddp-53) X(0x1.4ea001638a606p-53) X(0x1.505abef5e5563p-53) \
    X(0x1.5214df20a8b5cp-53) X(0x1.53ce6d56a665p-53) X(0x1.558774e1bb2c9p-53) X(0x1.574000e555f79p-53) \
    X(0x1.58f81c60e8515p-53) X(0x1.5aafd23241b5ap-53) X(0x1.5c672d17d733fp-53) X(0x1.5e1e37b2f8cd4p-53) \
    X(0x1.5fd4fc89f5e39p-53) X(0x1.618b860a31fc5p-53) X(0x1.6341de8a2b0a4p-53) X(0x1.64f8104b7260dp-53) \
    X(0x1.66ae257c99674p-53) X(0x1.6864283b13139p-53) X(0x1.6a1a22950b2b3p-53) X(0x1.6bd01e8b343bdp-53) \
    X(0x1.6d8626128d354p-53) X(0x1.6f3c43161f856p-53) X(0x1.70f27f78b68ecp-53) X(0x1.72a8e516914c7p-53) \
    X(0x1.745f7dc70eeddp-53) X(0x1.7616535e5732p-53) X(0x1.77cd6faeff44ap-53) X(0x1.7984dc8babd94p-53) \
    X(0x1.7b3ca3c8b140ap-53) X(0x1.7cf4cf3db22fcp-53) X(0x1.7ead68c73dee7p-53) X(0x1.80667a486ea1fp-53) \
    X(0x1.82200dac88677p-53) X(0x1.83da2ce899f16p-53) X(0x1.8594e1fd1f5bep-53) X(0x1.875036f7a7ec7p-53) \
    X(0x1.890c35f47f72ep-53) X(0x1.8ac8e9205c044p-53) X(0x1.8c865aba10c9dp-53) X(0x1.8e44951446a28p-53) \
    X(0x1.9003a2973b591p-53) X(0x1.91c38dc288349p-53) X(0x1.9384612ef0afep-53) X(0x1.954627903a28bp-53) \
    X(0x1.9708ebb70d5efp-53) X(0x1.98ccb892e2a33p-53) X(0x1.9a919933f99c1p-53) X(0x1.9c5798cd5d92ep-53) \
    X(0x1.9e1ec2b6f7414p-53) X(0x1.9fe7226fad24dp-53) X(0x1.a1b0c39f93696p-53) X(0x1.a37bb21a2c85ep-53) \
    X(0x1.a547f9e0bbb8bp-53) X(0x1.a715a724aa9a7p-53) X(0x1.a8e4c64a0313fp-53) X(0x1.aab563e9ff10ap-53) \
    X(0x1.ac878cd5af5cfp-53) X(0x1.ae5b4e18bb338p-53) X(0x1.b030b4fc3a11bp-53) X(0x1.b207cf09a985cp-53) \
    X(0x1.b3e0aa0e00c01p-53) X(0x1.b5bb541ce3d04p-53) X(0x1.b797db93f8928p-53) X(0x1.b9764f1e5f73dp-53) \
    X(0x1.bb56bdb85256ep-53) X(0x1.bd3936b2ec0a2p-53) X(0x1.bf1dc9b81ae82p-53) X(0x1.c10486cec16ap-53) \
    X(0x1.c2ed7e5f07a2dp-53) X(0x1.c4d8c136e0d1dp-53) X(0x1.c6c6608ec8705p-53) X(0x1.c8b66e0eba617p-53) \
    X(0x1.caa8fbd36a2abp-53) X(0x1.cc9e1c73bd69p-53) X(0x1.ce95e3068e037p-53) X(0x1.d0906328b8f6ep-53) \
    X(0x1.d28db1037ef2p-53) X(0x1.d48de1533c647p-53) X(0x1.d691096e7f123p-53) X(0x1.d8973f4d7fba4p-53) \
    X(0x1.daa0999206e6ep-53) X(0x1.dcad2f8fc490cp-53) X(0x1.debd195522e34p-53) X(0x1.e0d06fb49d219p-53) \
    X(0x1.e2e74c4ea46f3p-53) X(0x1.e501c99c1d186p-53) X(0x1.e72002f97fe23p-53) X(0x1.e94214b2abf09p-53) \
    X(0x1.eb681c0f76f08p-53) X(0x1.ed9237610a73ap-53) X(0x1.efc086101eca9p-53) X(0x1.f1f328ac25321p-53) \
    X(0x1.f42a40fb74d6dp-53) X(0x1.f665f20c90168p-53) X(0x1.f8a6604899782p-53) X(0x1.faebb187122bfp-53) \
    X(0x1.fd360d22fe785p-53) X(0x1.ff859c118f60bp-53) X(0x1.00ed447d3a075p-52) X(0x1.021a8028fc947p-52) \
    X(0x1.034a983a902abp-52) X(0x1.047da4e3ef5c7p-52) X(0x1.05b3bf6adb37ep-52) X(0x1.06ed023a72669p-52) \
    X(0x1.082988f632e18p-52) X(0x1.0969708e8a255p-52) X(0x1.0aacd7571c0c5p-52) X(0x1.0bf3dd1eed449p-52) \
    X(0x1.0d3ea34aa3d32p-52) X(0x1.0e8d4cf116594p-52) X(0x1.0fdffefa69fb8p-52) X(0x1.1136e04207043p-52) \
    X(0x1.129219bbb5d37p-52) X(0x1.13f1d69c4096fp-52) X(0x1.1556448602e3dp-52) X(0x1.16bf93b9deef5p-52) \
    X(0x1.182df74d21262p-52) X(0x1.19a1a564eebadp-52) X(0x1.1b1ad777f2f8fp-52) X(0x1.1c99ca971a695p-52) \
    X(0x1.1e1ebfbe4ae39p-52) X(0x1.1fa9fc2e2d901p-52) X(0x1.213bc9d04cc82p-52) X(0x1.22d477a6fd3efp-52) \
    X(0x1.24745a4ac9c24p-52) X(0x1.261bcc77658ep-52) X(0x1.27cb2faa8592ep-52) X(0x1.2982ecd770e78p-52) \
    X(0x1.2b437532a0a53p-52) X(0x1.2d0d43196db97p-52) X(0x1.2ee0db1a978f5p-52) X(0x1.30becd256aeeep-52) \
    X(0x1.32a7b5e68a4a3p-52) X(0x1.349c405ae12a3p-52) X(0x1.369d27a33a84p-52) X(0x1.38ab39256410ap-52) \
    X(0x1.3ac7570ae88fap-52) X(0x1.3cf27b31704a6p-52) X(0x1.3f2dbaa60f475p-52) X(0x1.417a49cb9e5dbp-52) \
    X(0x1.43d9815545e94p-52) X(0x1.464ce44a73a16p-52) X(0x1.48d62759c43bdp-52) X(0x1.4b7739d6b5a28p-52) \
    X(0x1.4e3250dcd8903p-52) X(0x1.5109f53e9ac42p-52) X(0x1.54011523a7e43p-52) X(0x1.571b1a94ae41cp-52) \
    X(0x1.5a5c08b718dd9p-52) X(0x1.5dc8a243ad0fep-52) X(0x1.61669cf861e4bp-52) X(0x1.653ce7b006aeap-52) \
    X(0x1.69540be9fe5c2p-52) X(0x1.6db6b8d09e231p-52) X(0x1.72728f05f7a33p-52) X(0x1.7799556090672p-52) \
    X(0x1.7d42df4d6ce8bp-52) X(0x1.839030529f233p-52) X(0x1.8ab0fbfaa7c14p-52) X(0x1.92ee0946f4496p-52) \
    X(0x1.9cbee014057aap-52) X(0x1.a8fdc78947759p-52) X(0x1.b981f3878fdbp-52) X(0x1.d3bb48209ad33p-52)

#define ZIG_AS_IS(v) v,
#define ZIG_K23(v) (uint32_t)((v) >> 30),
#define ZIG_W23(v) (float)((v)*0x1p30),
static const uint64_t zig_k[256] = {ZIG_K_TABLE(ZIG_AS_IS)};
static const double zig_w[256] = {ZIG_W_TABLE(ZIG_AS_IS)};
/* the float sampler's: floor(2^23 x_{i-1}/x_i) and x_i 2^-23 rounded to float */
static const uint32_t zig_k23[256] = {ZIG_K_TABLE(ZIG_K23)};
static const float zig_w23[256] = {ZIG_W_TABLE(ZIG_W23)};
#undef ZIG_AS_IS
#undef ZIG_K23
#undef ZIG_W23
static const double zig_f[256] = {
    0x1p+0,    0x1.f446ac979f084p-1,    0x1.eb7545b6ca912p-1,    0x1.e3f11e027f074p-1,
    0x1.dd36fa704de92p-1,    0x1.d70920657bcefp-1,    0x1.d144978a119d9p-1,    0x1.cbd33a8a72de8p-1,
    0x1.c6a5ecea9787cp-1,    0x1.c1b1cd9eebae7p-1,    0x1.bceeb4ee1dc7fp-1,    0x1.b85653a8ff54fp-1,
    0x1.b3e3a8234dd0ep-1,    0x1.af92a3f6ce8ap-1,    0x1.ab5fef17a2502p-1,    0x1.a748bd550c9dep-1,
    0x1.a34aafdf5af0cp-1,    0x1.9f63bee651fd5p-1,    0x1.9b9228d24067ep-1,    0x1.97d4657617abep-1,
    0x1.94291c21b7a43p-1,    0x1.908f1bd31714bp-1,    0x1.8d0554fe60aa4p-1,    0x1.898ad48badefep-1,
    0x1.861ebfc37bca8p-1,    0x1.82c050f56cf6bp-1,    0x1.7f6ed4b20e2c8p-1,    0x1.7c29a779c6855p-1,
    0x1.78f033ca0b0d2p-1,    0x1.75c1f0770d852p-1,    0x1.729e5f43f6d0ep-1,    0x1.6f850baea7aebp-1,
    0x1.6c7589e635a86p-1,    0x1.696f75e513b26p-1,    0x1.667272a92e32p-1,    0x1.637e298550c15p-1,
    0x1.6092498802661p-1,    0x1.5dae86f4aff66p-1,    0x1.5ad29acc85c85p-1,    0x1.57fe4264c8d8cp-1,
    0x1.55313f08d9e44p-1,    0x1.526b55a656cd3p-1,    0x1.4fac4e820b665p-1,    0x1.4cf3f4f494ebep-1,
    0x1.4a42172dc5276p-1,    0x1.479685fdf500fp-1,    0x1.44f114a493676p-1,    0x1.425198a355fep-1,
    0x1.3fb7e99585b7fp-1,    0x1.3d23e10af31a1p-1,    0x1.3a955a662cd0bp-1,    0x1.380c32bda00d2p-1,
    0x1.358848bf550e6p-1,    0x1.33097c9703a32p-1,    0x1.308fafd6438ebp-1,    0x1.2e1ac55ea3be9p-1,
    0x1.2baaa14d79545p-1,    0x1.293f28e93cd11p-1,    0x1.26d84290504e9p-1,    0x1.2475d5a90db8p-1,
    0x1.2217ca92ff7eep-1,    0x1.1fbe0a992961dp-1,    0x1.1d687fe549966p-1,    0x1.1b171573fd10ep-1,
    0x1.18c9b709b3c4dp-1,    0x1.16805128639d6p-1,    0x1.143ad105ea998p-1,    0x1.11f9248311f34p-1,
    0x1.0fbb3a232590fp-1,    0x1.0d8101041429cp-1,    0x1.0b4a68d70d9abp-1,    0x1.091761d995d7dp-1,
    0x1.06e7dccf03c33p-1,    0x1.04bbcafa63f2bp-1,    0x1.02931e18b8228p-1,    0x1.006dc85b8cac2p-1,
    0x1.fc9778c7bbd9bp-2,    0x1.f859da7a900c4p-2,    0x1.f4229cb2f7aecp-2,    0x1.eff1a717e8f8ep-2,
    0x1.ebc6e20bd1f4fp-2,    0x1.e7a236a4ec3bfp-2,    0x1.e3838ea5f9b7ep-2,    0x1.df6ad47763a03p-2,
    0x1.db57f320b56aap-2,    0x1.d74ad6426de2dp-2,    0x1.d3436a102107bp-2,    0x1.cf419b4ae5b69p-2,
    0x1.cb45573c0a843p-2,    0x1.c74e8bb00d7c3p-2,    0x1.c35d26f1d2cb5p-2,    0x1.bf7117c616a14p-2,
    0x1.bb8a4d6716d8fp-2,    0x1.b7a8b78071319p-2,    0x1.b3cc462b331c8p-2,    0x1.aff4e9ea1855p-2,
    0x1.ac2293a5f5a9ap-2,    0x1.a85534aa4d87dp-2,    0x1.a48cbea20c04bp-2,    0x1.a0c923946843bp-2,
    0x1.9d0a55e1e93dcp-2,    0x1.995048418c0c3p-2,    0x1.959aedbe09f8fp-2,    0x1.91ea39b33cb13p-2,
    0x1.8e3e1fcb9f113p-2,    0x1.8a9693fde9185p-2,    0x1.86f38a8ac5ab2p-2,    0x1.8354f7faa0dd5p-2,
    0x1.7fbad11b8d90dp-2,    0x1.7c250aff414acp-2,    0x1.78939af9252e6p-2,    0x1.7506769c7b1e8p-2,
    0x1.717d93ba96148p-2,    0x1.6df8e86124ca6p-2,    0x1.6a786ad88de1ep-2,    0x1.66fc11a25cbdfp-2,
    0x1.6383d377be513p-2,    0x1.600fa7480d2c6p-2,    0x1.5c9f84376c241p-2,    0x1.5933619d6eebcp-2,
    0x1.55cb3703d00fdp-2,    0x1.5266fc2533beap-2,    0x1.4f06a8ebf6d91p-2,    0x1.4baa357109ca2p-2,
    0x1.485199fad6ad4p-2,    0x1.44fccefc324fcp-2,    0x1.41abcd1357a18p-2,    0x1.3e5e8d08ed2d8p-2,
    0x1.3b1507cf143acp-2,    0x1.37cf368081376p-2,    0x1.348d125f9d19cp-2,    0x1.314e94d5af62dp-2,
    0x1.2e13b77210764p-2,    0x1.2adc73e963fdap-2,    0x1.27a8c414db11bp-2,    0x1.2478a1f17de86p-2,
    0x1.214c079f7cc9cp-2,    0x1.1e22ef6188113p-2,    0x1.1afd539c2f04cp-2,    0x1.17db2ed5454e5p-2,
    0x1.14bc7bb34ee63p-2,    0x1.11a134fcf241dp-2,    0x1.0e895598709bdp-2,    0x1.0b74d88b242d4p-2,
    0x1.0863b8f904331p-2,    0x1.0555f2242e9d4p-2,    0x1.024b7f6c7747ap-2,    0x1.fe88b89df93bcp-3,
    0x1.f88108cb8322fp-3,    0x1.f27fe6ce998ccp-3,    0x1.ec854a4c99c3ep-3,    0x1.e6912b2283cd9p-3,
    0x1.e0a3816457181p-3,    0x1.dabc455c79006p-3,    0x1.d4db6f8b2514cp-3,    0x1.cf00f8a5e6fcap-3,
    0x1.c92cd9971df52p-3,    0x1.c35f0b7d89d46p-3,    0x1.bd9787abe18a2p-3,    0x1.b7d647a8731abp-3,
    0x1.b21b452ccd13ap-3,    0x1.ac667a2571805p-3,    0x1.a6b7e0b19267cp-3,    0x1.a10f7322d7e3cp-3,
    0x1.9b6d2bfd2fe5ap-3,    0x1.95d105f6a7c27p-3,    0x1.903afbf74fa68p-3,    0x1.8aab09192815ap-3,
    0x1.852128a819a38p-3,    0x1.7f9d5621f7174p-3,    0x1.7a1f8d368a323p-3,    0x1.74a7c9c7ab5a8p-3,
    0x1.6f3607e964719p-3,    0x1.69ca43e21f261p-3,    0x1.64647a2adf1a4p-3,    0x1.5f04a76f884p-3,
    0x1.59aac88f31d74p-3,    0x1.5456da9c8683bp-3,    0x1.4f08dade31fc6p-3,    0x1.49c0c6cf5ce3p-3,
    0x1.447e9c20375d6p-3,    0x1.3f4258b6931afp-3,    0x1.3a0bfaae8d7eep-3,    0x1.34db805b4ab89p-3,
    0x1.2fb0e847c2a65p-3,    0x1.2a8c3137a071bp-3,    0x1.256d5a2835eb6p-3,    0x1.2054625183c34p-3,
    0x1.1b41492757d42p-3,    0x1.16340e5a82d62p-3,    0x1.112cb1da26eb8p-3,    0x1.0c2b33d5209b9p-3,
    0x1.072f94bb8bf84p-3,    0x1.0239d54067d29p-3,    0x1.fa93ecb6b222bp-4,    0x1.f0bff29520e16p-4,
    0x1.e6f7bf29aa546p-4,    0x1.dd3b56176e88bp-4,    0x1.d38abb9bd91dcp-4,    0x1.c9e5f493b7404p-4,
    0x1.c04d0680b100ap-4,    0x1.b6bff78f2e228p-4,    0x1.ad3ece9caf627p-4,    0x1.a3c9933ea627bp-4,
    0x1.9a604dc9d5b0bp-4,    0x1.9103075a4a09fp-4,    0x1.87b1c9dbf2846p-4,    0x1.7e6ca013eefccp-4,
    0x1.753395aaa116dp-4,    0x1.6c06b73694a46p-4,    0x1.62e6124854d1p-4,    0x1.59d1b5774669dp-4,
    0x1.50c9b06fa2babp-4,    0x1.47ce1401b2212p-4,    0x1.3edef23269a81p-4,    0x1.35fc5e4d93e69p-4,
    0x1.2d266cf9b310dp-4,    0x1.245d344dd0d8fp-4,    0x1.1ba0cbe97897ep-4,    0x1.12f14d0f2179dp-4,
    0x1.0a4ed2c159622p-4,    0x1.01b979e30e496p-4,    0x1.f262c2b6c6e34p-5,    0x1.e16d547b25185p-5,
    0x1.d092efeadf162p-5,    0x1.bfd3e0f282a2cp-5,    0x1.af30790385f6fp-5,    0x1.9ea90f9295561p-5,
    0x1.8e3e02a68b5a9p-5,    0x1.7defb77af271cp-5,    0x1.6dbe9b398d062p-5,    0x1.5dab23cf2add1p-5,
    0x1.4db5d0e11275cp-5,    0x1.3ddf2ce98eec7p-5,    0x1.2e27ce83df495p-5,    0x1.1e9059f1f6ab6p-5,
    0x1.0f1982e968009p-5,    0x1.ff881d718a5b5p-6,    0x1.e121adb828c69p-6,    0x1.c301983cd0912p-6,
    0x1.a529f4e22ebf4p-6,    0x1.879d1b600c10bp-6,    0x1.6a5daf40bbf87p-6,    0x1.4d6eaf2fbb067p-6,
    0x1.30d388dab5e1ap-6,    0x1.149033460301ap-6,    0x1.f152a4f72dd53p-7,    0x1.ba48d274f8fb3p-7,
    0x1.841040d8da47ep-7,    0x1.4eb96421acfe7p-7,    0x1.1a59229952f95p-7,    0x1.ce160f8ec683cp-8,
    0x1.69ea8d90cb864p-8,    0x1.08a1f03b0b205p-8,    0x1.55f9f43c1b07p-9,    0x1.4a605b6b9f70dp-10,
};

/* Little-endian 64-bit load (hush_rng_u64's byte order); one mov on the targets Hush builds for. */
static inline uint64_t load_le64(const uint8_t *b) {
    uint64_t v;
    memcpy(&v, b, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
}

/* -a when the sign bit is set, by flipping the IEEE sign bit: no branch on a coin flip. */
static inline double with_sign(double a, uint64_t sign) {
    uint64_t b;
    memcpy(&b, &a, 8);
    b ^= sign << 55; /* sign is bit 8 of the word */
    memcpy(&a, &b, 8);
    return a;
}

typedef uint64_t (*word_fn)(void *src);

/* The rare path of one attempt whose fast test failed: wedge or tail. Returns 1 and sets *out on
 * acceptance; 0 means start over with a fresh word. */
/* The wedge test y < f(x) of layer i >= 1 (x in [a, b] = [x_{i-1}, x_i], y in [f(b), f(a)])
 * without exp where lines through the wedge decide it: f = exp(-x^2/2) is concave below 1 and
 * convex above, so on one side of 1 the chord is below f and the tangents above, on the other
 * the reverse. 1 = accept, -1 = reject, 0 = undecided (the layer straddles 1, or the point lies
 * within 2^-40 of a line: the lines are computed with rounding errors near 2^-52 and hush_exp
 * is within an ulp, so outside that margin this answer is the one the exp test would give, and
 * the sampler's output does not change). */
static inline double zig_x(unsigned i) { return i == 0 ? 0.0 : zig_w[i] * 0x1p53; }

static inline int zig_squeeze(unsigned i, double x, double y, double fa, double fb) {
    double a = zig_x(i - 1), b = zig_x(i);
    double chord = fa + (fb - fa) * ((x - a) / (b - a));
    double ta = fa * (1.0 - a * (x - a)), tb = fb * (1.0 + b * (b - x)); /* f' = -x f */
    const double m = 0x1p-40;
    if (b <= 1.0) { /* concave: chord <= f <= min(ta, tb) */
        double up = ta < tb ? ta : tb;
        return y < chord - m ? 1 : y >= up + m ? -1 : 0;
    }
    if (a >= 1.0) { /* convex: max(ta, tb) <= f <= chord */
        double lo = ta > tb ? ta : tb;
        return y < lo - m ? 1 : y >= chord + m ? -1 : 0;
    }
    return 0;
}

double hush__rng_zig_x(unsigned i) { return i < 256 ? zig_x(i) : 0.0; }

int hush__rng_zig_squeeze(unsigned i, double x, double y) {
    return i >= 1 && i < 256 ? zig_squeeze(i, x, y, zig_f[i - 1], zig_f[i]) : 0;
}

static int zig_slow(word_fn next, void *src, unsigned i, uint64_t sign, double x, double *out) {
    if (i == 0) {
        /* Tail x > r: density proportional to exp(-x^2/2) there, sampled exactly by rejection
         * from the exponential r + E/r (Marsaglia 1964). */
        double t, y;
        for (;;) {
            uint64_t wt = next(src), wy = next(src);
            t = -hush_log(((double)(wt >> 11) + 0.5) * 0x1p-53) * ZIG_INV_R;
            y = -hush_log(((double)(wy >> 11) + 0.5) * 0x1p-53);
            /* An exhausted stream reads zero words, which this test rejects forever; accepting
             * two zero words (probability 2^-128 on a live stream) guarantees the loop ends. */
            if (y + y > t * t || (wt | wy) == 0) break;
        }
        double z = ZIG_R + t;
        *out = with_sign(z, sign);
        return 1;
    }
    double fa = zig_f[i - 1], fb = zig_f[i];
    double y = fb + (double)(next(src) >> 11) * 0x1p-53 * (fa - fb);
    int in = zig_squeeze(i, x, y, fa, fb);
    if (in == 0) in = y < hush_exp(-0.5 * x * x) ? 1 : -1;
    if (in < 0) return 0;
    *out = with_sign(x, sign);
    return 1;
}

static inline int zig_fast(uint64_t w, double *out, unsigned *layer, uint64_t *sign, double *x) {
    unsigned i = (unsigned)(w & 0xff);
    uint64_t u = w >> 11;
    /* u < 2^53: the signed conversion is exact and cheaper than the unsigned one */
    double a = (double)(int64_t)u * zig_w[i];
    if (u < zig_k[i]) {
        *out = with_sign(a, w & 0x100);
        return 1;
    }
    *layer = i;
    *sign = w & 0x100;
    *x = a;
    return 0;
}

/* hush_rng_u64 without the per-word call overhead when the word lies inside the buffer. */
static inline uint64_t rng_word(hush_rng *r) {
    if (r->pos > HUSH_RNG_BUFBYTES - 8) return hush_rng_u64(r);
    uint8_t *b = r->buf + r->pos;
    uint64_t v = load_le64(b);
    memset(b, 0, 8); /* drawn bytes must not linger; r is live past this call, so the store stays */
    r->pos += 8;
    return v;
}

static uint64_t rng_word_cb(void *src) { return rng_word((hush_rng *)src); }

double hush_rng_normal(hush_rng *r) {
    for (;;) {
        double out, x;
        unsigned i;
        uint64_t sign;
        if (zig_fast(rng_word(r), &out, &i, &sign, &x)) return out;
        if (zig_slow(rng_word_cb, r, i, sign, x, &out)) return out;
    }
}

/* Bulk reads generate the keystream straight into a stack chunk of whole 256-byte buffers from
 * the rng's counter, so the words are exactly those successive hush_rng_normal calls would read;
 * the partly used last buffer is handed back to the rng. */
#define CHUNK_BYTES 4096

typedef struct {
    hush_rng *r;
    uint8_t *chunk;
    size_t len, pos;
    uint64_t counter; /* block counter of chunk[0] */
    int failed;       /* the stream cannot supply another chunk */
} chunk_src;

static int chunk_fill(chunk_src *c, size_t want) {
    hush_rng *r = c->r;
    size_t len = (want + HUSH_RNG_BUFBYTES - 1) / HUSH_RNG_BUFBYTES * HUSH_RNG_BUFBYTES;
    if (len > CHUNK_BYTES) len = CHUNK_BYTES;
    /* Not exhaustion yet: near the end the callers fall back to the rng's own 256-byte reads. */
    if (!has_blocks(r, len / 64)) return 0;
    memset(c->chunk, 0, len);
    crypto_stream_chacha20_ietf_xor_ic(c->chunk, c->chunk, len, r->nonce, (uint32_t)r->counter, r->key);
    c->counter = r->counter;
    r->counter += len / 64;
    c->len = len;
    c->pos = 0;
    return 1;
}

/* Puts the unread rest of the current 256-byte buffer back into the rng. */
static void chunk_return(chunk_src *c) {
    hush_rng *r = c->r;
    if (c->len == 0) return;
    size_t blk = c->pos / HUSH_RNG_BUFBYTES * HUSH_RNG_BUFBYTES;
    if (c->pos == blk) {
        r->counter = c->counter + blk / 64;
        r->pos = HUSH_RNG_BUFBYTES;
    } else {
        memcpy(r->buf, c->chunk + blk, HUSH_RNG_BUFBYTES);
        memset(r->buf, 0, c->pos - blk);
        r->pos = (uint32_t)(c->pos - blk);
        r->counter = c->counter + blk / 64 + HUSH_RNG_BUFBYTES / 64;
    }
    sodium_memzero(c->chunk, c->len);
    c->len = c->pos = 0;
}

/* The used-up chunk back to the rng, then the next one (want bytes); 0 at the end of the stream. */
static int chunk_next(chunk_src *c, size_t want) {
    chunk_return(c);
    return chunk_fill(c, want);
}

/* The next 8 bytes of the chunk as a word, for the slow paths. The float sampler reads 4 bytes at
 * a time, so a word may straddle two chunks; at the end of a chunk the next one is generated. */
static uint64_t chunk_word(void *src) {
    chunk_src *c = src;
    if (c->len - c->pos >= 8) {
        uint64_t v = load_le64(c->chunk + c->pos);
        c->pos += 8;
        return v;
    }
    uint8_t b[8];
    size_t have = 0;
    while (have < 8) {
        if (c->pos == c->len) {
            if (!chunk_next(c, HUSH_RNG_BUFBYTES)) {
                sodium_memzero(b, sizeof b);
                exhaust(c->r);
                return 0; /* stream end: hush_rng_u64 reads a zero word too */
            }
        }
        size_t k = c->len - c->pos < 8 - have ? c->len - c->pos : 8 - have;
        memcpy(b + have, c->chunk + c->pos, k);
        c->pos += k;
        have += k;
    }
    uint64_t v = load_le64(b);
    sodium_memzero(b, sizeof b);
    return v;
}

void hush_rng_normals(hush_rng *r, double *out, size_t n) {
    if (!r || !out) return;
    /* Finish the rng's own buffer first (word by word, so a misaligned position stays exact). */
    while (n && r->pos != HUSH_RNG_BUFBYTES) {
        *out++ = hush_rng_normal(r);
        n--;
    }
    uint8_t chunk[CHUNK_BYTES];
    chunk_src c = {r, chunk, 0, 0, 0, 0};
    while (n) {
        /* about 1.02 words per normal; any shortfall is topped up by chunk_word */
        if (c.pos == c.len && !chunk_next(&c, 8 * n + 8 * (n / 32) + 64)) break;
        double v, x;
        unsigned i;
        uint64_t sign, w = load_le64(c.chunk + c.pos); /* c.pos < c.len here */
        c.pos += 8;
        if (zig_fast(w, &v, &i, &sign, &x) || zig_slow(chunk_word, &c, i, sign, x, &v)) {
            *out++ = v;
            n--;
        }
    }
    chunk_return(&c);
    /* near the end of the 2^32-block stream: the plain path reports exhaustion as zero words */
    for (; n; n--) *out++ = hush_rng_normal(r);
}

/* ---- float noise: the same Ziggurat on 32-bit words ----
 * Bits 0-7 the layer, bit 8 the sign, bits 9-31 a 23-bit uniform: a float has 24 significant
 * bits, so this is the resolution the value can carry, and half the keystream of the 64-bit
 * draw. The integer test uses zig_k >> 30 = floor(2^23 x_{i-1}/x_i) exactly; the rare wedge and
 * tail paths are those of hush_rng_normal, reading further 64-bit words. */
static inline float with_sign_f(float a, uint32_t sign) {
    uint32_t b;
    memcpy(&b, &a, 4);
    b ^= sign << 23; /* sign is bit 8 of the word */
    memcpy(&a, &b, 4);
    return a;
}

static inline uint32_t load_le32(const uint8_t *b) {
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

/* The integer test of word w: 1 with *out set, 0 if the slow path must decide. */
static inline int zig_f32_fast(uint32_t w, float *out) {
    unsigned i = w & 0xff;
    uint32_t u = w >> 9;
    if (u >= zig_k23[i]) return 0;
    *out = with_sign_f((float)(int32_t)u * zig_w23[i], w & 0x100);
    return 1;
}

/* The wedge or tail for a word that failed the integer test: 1 with *out set, 0 to start over. */
static int zig_f32_slow(uint32_t w, word_fn next, void *src, float *out) {
    unsigned i = w & 0xff;
    uint32_t u = w >> 9;
    double d;
    /* u 2^30 is exact: the abscissa in double for the wedge and tail tests */
    if (!zig_slow(next, src, i, w & 0x100, (double)(int32_t)u * 0x1p30 * zig_w[i], &d)) return 0;
    *out = (float)d;
    return 1;
}

float hush_rng_normal_f32(hush_rng *r) {
    for (;;) {
        float out;
        uint32_t w = hush_rng_u32(r);
        if (zig_f32_fast(w, &out) || zig_f32_slow(w, rng_word_cb, r, &out)) return out;
    }
}

void hush_rng_normals_f32(hush_rng *r, float *out, size_t n) {
    if (!r || !out) return;
    while (n && r->pos != HUSH_RNG_BUFBYTES) {
        *out++ = hush_rng_normal_f32(r);
        n--;
    }
    uint8_t chunk[CHUNK_BYTES];
    chunk_src c = {r, chunk, 0, 0, 0, 0};
    while (n) {
        if (c.pos == c.len && !chunk_next(&c, 4 * n + 4 * (n / 32) + 64)) break;
        /* the fast path with the read position in a register; c is synced around the slow path,
         * which may read on into the next chunk. pos is a multiple of 4 below len. */
        size_t pos = c.pos, len = c.len;
        while (n && pos < len) {
            uint32_t w = load_le32(chunk + pos);
            pos += 4;
            if (zig_f32_fast(w, out)) {
                out++;
                n--;
                continue;
            }
            c.pos = pos;
            if (zig_f32_slow(w, chunk_word, &c, out)) {
                out++;
                n--;
            }
            pos = c.pos;
            len = c.len;
        }
        c.pos = pos;
    }
    chunk_return(&c);
    for (; n; n--) *out++ = hush_rng_normal_f32(r);
}

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
