/* Secure-aggregation primitives shared by client and server (see sa.h and hush/secagg.h):
 * GF(2^61 - 1) arithmetic and Shamir sharing, key derivation, mask expansion, the graph.
 *
 * Field arithmetic uses only 64-bit multiplies (no __int128, which not every target has) and
 * masks instead of branches, so timing does not depend on secret values. Share x-coordinates and
 * hence Lagrange coefficients are public. */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "io/buf.h"
#include "secagg/sa.h"

#define P HUSH__SA_P

/* Any x < 2^64 to [0, P). */
static inline uint64_t fred(uint64_t x) {
    x = (x & P) + (x >> 61); /* < 2^61 + 8 */
    x = (x & P) + (x >> 61); /* <= P + 1 */
    uint64_t t = x - P;
    uint64_t keep = (uint64_t)0 - (t >> 63); /* all ones iff x < P */
    return (x & keep) | (t & ~keep);
}

uint64_t hush__sa_fadd(uint64_t a, uint64_t b) { return fred(a + b); }
uint64_t hush__sa_fsub(uint64_t a, uint64_t b) { return fred(a + (P - b)); }

uint64_t hush__sa_fmul(uint64_t a, uint64_t b) {
    /* a, b < 2^61: a = a1 2^32 + a0, so a1 < 2^29. 2^61 = 1 and 2^64 = 8 mod P. */
    uint64_t a0 = a & 0xffffffffu, a1 = a >> 32, b0 = b & 0xffffffffu, b1 = b >> 32;
    uint64_t hi = a1 * b1;           /* < 2^58 */
    uint64_t mid = a1 * b0 + a0 * b1; /* < 2^62 */
    uint64_t lo = a0 * b0;           /* < 2^64 */
    uint64_t mh = mid >> 29, ml = mid & (((uint64_t)1 << 29) - 1);
    /* mid 2^32 = mh 2^61 + ml 2^32 = mh + ml 2^32 */
    uint64_t s = (hi << 3) + mh + (ml << 32); /* < 2^61 + 2^33 + 2^61 */
    s = fred(s);
    return fred(s + fred(lo));
}

uint64_t hush__sa_finv(uint64_t a) {
    uint64_t r = 1, base = a, e = P - 2;
    for (int i = 0; i < 61; i++) {
        uint64_t m = (uint64_t)0 - ((e >> i) & 1);
        uint64_t prod = hush__sa_fmul(r, base);
        r = (prod & m) | (r & ~m);
        base = hush__sa_fmul(base, base);
    }
    return r;
}

static uint64_t load7(const uint8_t *p, size_t n) {
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static uint64_t rand_field(hush_rng *rng) {
    for (;;) { /* rejection depends only on fresh randomness, never on the secret */
        uint64_t v = hush_rng_u64(rng) & P;
        if (v != P) return v;
    }
}

int hush__sa_poly_init(uint64_t *coef, uint32_t t, const uint8_t secret[32], hush_rng *rng) {
    for (int c = 0; c < HUSH__SA_CHUNKS; c++) {
        size_t len = c < 4 ? 7 : 4;
        coef[(size_t)c * t] = load7(secret + 7 * c, len);
        for (uint32_t j = 1; j < t; j++) coef[(size_t)c * t + j] = rand_field(rng);
    }
    return HUSH_OK;
}

void hush__sa_poly_eval(uint8_t share[HUSH_SECAGG_SHARE_BYTES], const uint64_t *coef, uint32_t t, uint32_t id) {
    uint64_t x = (uint64_t)id + 1;
    for (int c = 0; c < HUSH__SA_CHUNKS; c++) {
        const uint64_t *a = coef + (size_t)c * t;
        uint64_t y = 0;
        for (uint32_t j = t; j-- > 0;) y = hush__sa_fadd(hush__sa_fmul(y, x), a[j]);
        hush__store64_le(share + 8 * c, y);
    }
}

int hush__sa_share_valid(const uint8_t share[HUSH_SECAGG_SHARE_BYTES]) {
    for (int c = 0; c < HUSH__SA_CHUNKS; c++)
        if (hush__load64_le(share + 8 * c) >= P) return 0;
    return 1;
}

int hush__sa_reconstruct(uint8_t secret[32], const uint8_t *const *shares, const uint32_t *ids, uint32_t t,
                         uint64_t *lambda) {
    /* lambda_j = prod_{m != j} x_m / (x_m - x_j), on public x only. */
    for (uint32_t j = 0; j < t; j++) {
        uint64_t num = 1, den = 1, xj = (uint64_t)ids[j] + 1;
        for (uint32_t m = 0; m < t; m++) {
            if (m == j) continue;
            uint64_t xm = (uint64_t)ids[m] + 1;
            num = hush__sa_fmul(num, xm);
            den = hush__sa_fmul(den, hush__sa_fsub(xm, xj));
        }
        if (den == 0) return HUSH_EARG; /* repeated id */
        lambda[j] = hush__sa_fmul(num, hush__sa_finv(den));
    }
    uint64_t bad = 0;
    uint8_t out[35];
    for (int c = 0; c < HUSH__SA_CHUNKS; c++) {
        uint64_t acc = 0;
        for (uint32_t j = 0; j < t; j++) {
            uint64_t y = hush__load64_le(shares[j] + 8 * c);
            bad |= (y >> 61) | (uint64_t)(y == P); /* y >= P */
            acc = hush__sa_fadd(acc, hush__sa_fmul(lambda[j], fred(y)));
        }
        bad |= acc >> (c < 4 ? 56 : 32);
        for (int b = 0; b < 7; b++) out[7 * c + b] = (uint8_t)(acc >> (8 * b));
    }
    memcpy(secret, out, 32);
    sodium_memzero(out, sizeof out);
    return bad ? HUSH_EFORMAT : HUSH_OK;
}

/* ---- key derivation and commitments ---- */
static void put32(crypto_generichash_state *st, uint32_t v) {
    uint8_t b[4];
    hush__store32_le(b, v);
    crypto_generichash_update(st, b, 4);
}

int hush__sa_client_master(hush_rng *master, const uint8_t seed[32], const hush_secagg_config *cfg, uint32_t id) {
    static const char label[] = "hush.secagg.v2.client";
    uint8_t key[32];
    crypto_generichash_state st;
    crypto_generichash_init(&st, seed, 32, sizeof key);
    crypto_generichash_update(&st, (const uint8_t *)label, sizeof label);
    crypto_generichash_update(&st, cfg->session, HUSH_SECAGG_SESSION_BYTES);
    put32(&st, cfg->n);
    put32(&st, id);
    crypto_generichash_final(&st, key, sizeof key);
    int rc = hush_rng_init(master, key);
    sodium_memzero(key, sizeof key);
    sodium_memzero(&st, sizeof st);
    return rc;
}

static int kdf(uint8_t out[32], const char *label, const hush_secagg_config *cfg, uint32_t my_id,
               uint32_t their_id, const uint8_t my_sk[32], const uint8_t my_pk[32], const uint8_t their_pk[32]) {
    uint8_t shared[32];
    if (crypto_scalarmult(shared, my_sk, their_pk) != 0) {
        sodium_memzero(shared, sizeof shared);
        return HUSH_ECRYPTO;
    }
    /* both ends hash the same bytes: the pair in id order */
    int mine_first = my_id < their_id;
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, 32);
    crypto_generichash_update(&st, (const uint8_t *)label, strlen(label) + 1);
    crypto_generichash_update(&st, cfg->session, HUSH_SECAGG_SESSION_BYTES);
    crypto_generichash_update(&st, shared, sizeof shared);
    put32(&st, mine_first ? my_id : their_id);
    put32(&st, mine_first ? their_id : my_id);
    crypto_generichash_update(&st, mine_first ? my_pk : their_pk, 32);
    crypto_generichash_update(&st, mine_first ? their_pk : my_pk, 32);
    crypto_generichash_final(&st, out, 32);
    sodium_memzero(shared, sizeof shared);
    sodium_memzero(&st, sizeof st);
    return HUSH_OK;
}

int hush__sa_enc_key(uint8_t key[32], const hush_secagg_config *cfg, uint32_t my_id, uint32_t their_id,
                     const uint8_t my_sk[32], const uint8_t my_pk[32], const uint8_t their_pk[32]) {
    return kdf(key, "hush.secagg.v2.enc", cfg, my_id, their_id, my_sk, my_pk, their_pk);
}

int hush__sa_mask_seed(uint8_t seed[32], const hush_secagg_config *cfg, uint32_t my_id, uint32_t their_id,
                       const uint8_t my_sk[32], const uint8_t my_pk[32], const uint8_t their_pk[32]) {
    return kdf(seed, "hush.secagg.v2.mask", cfg, my_id, their_id, my_sk, my_pk, their_pk);
}

int hush__sa_key_ok(const uint8_t pk[32]) {
    /* The X25519 u-coordinates of small order, as libsodium lists them (ref10 has_small_order):
     * 0, 1, the two points of order 8, p - 1, and the non-canonical p and p + 1. X25519 ignores
     * the top bit, so it is masked off; with them every shared secret is all zero. The test
     * checks each against crypto_scalarmult itself. Public data, so a plain compare will do. */
    static const uint8_t bad[7][32] = {
        {0},
        {1},
        {0xe0, 0xeb, 0x7a, 0x7c, 0x3b, 0x41, 0xb8, 0xae, 0x16, 0x56, 0xe3, 0xfa, 0xf1, 0x9f, 0xc4, 0x6a,
         0xda, 0x09, 0x8d, 0xeb, 0x9c, 0x32, 0xb1, 0xfd, 0x86, 0x62, 0x05, 0x16, 0x5f, 0x49, 0xb8, 0x00},
        {0x5f, 0x9c, 0x95, 0xbc, 0xa3, 0x50, 0x8c, 0x24, 0xb1, 0xd0, 0xb1, 0x55, 0x9c, 0x83, 0xef, 0x5b,
         0x04, 0x44, 0x5c, 0xc4, 0x58, 0x1c, 0x8e, 0x86, 0xd8, 0x22, 0x4e, 0xdd, 0xd0, 0x9f, 0x11, 0x57},
        {0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
         0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},
        {0xed, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
         0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},
        {0xee, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
         0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},
    };
    uint8_t k[32];
    memcpy(k, pk, 32);
    k[31] &= 0x7f;
    for (int i = 0; i < 7; i++)
        if (memcmp(k, bad[i], 32) == 0) return 0;
    return 1;
}

void hush__sa_commit_b(uint8_t out[32], const hush_secagg_config *cfg, uint32_t id, const uint8_t b[32]) {
    static const char label[] = "hush.secagg.v2.commit";
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, 32);
    crypto_generichash_update(&st, (const uint8_t *)label, sizeof label);
    crypto_generichash_update(&st, cfg->session, HUSH_SECAGG_SESSION_BYTES);
    put32(&st, id);
    crypto_generichash_update(&st, b, 32);
    crypto_generichash_final(&st, out, 32);
    sodium_memzero(&st, sizeof st);
}

void hush__sa_share_hash(uint8_t out[32], const hush_secagg_config *cfg, uint32_t dealer, uint32_t holder, int kind,
                         const uint8_t share[HUSH_SECAGG_SHARE_BYTES]) {
    static const char label[] = "hush.secagg.v2.share";
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, 32);
    crypto_generichash_update(&st, (const uint8_t *)label, sizeof label);
    crypto_generichash_update(&st, cfg->session, HUSH_SECAGG_SESSION_BYTES);
    put32(&st, dealer);
    put32(&st, holder);
    put32(&st, (uint32_t)kind);
    crypto_generichash_update(&st, share, HUSH_SECAGG_SHARE_BYTES);
    crypto_generichash_final(&st, out, 32);
    sodium_memzero(&st, sizeof st);
}

/* ---- mask expansion ---- */
#define CHUNK_WORDS 1024 /* 4 KiB of keystream = 64 ChaCha20 blocks per call */
static const uint8_t zeros[CHUNK_WORDS * 4];

void hush__sa_prg_add(uint32_t *v, size_t dim, uint32_t bits, const uint8_t seed[32], int sign) {
    static const uint8_t nonce[crypto_stream_chacha20_ietf_NONCEBYTES];
    uint32_t mask = bits >= 32 ? 0xffffffffu : ((uint32_t)1 << bits) - 1;
    uint8_t ks[CHUNK_WORDS * 4];
    for (size_t off = 0; off < dim; off += CHUNK_WORDS) {
        size_t n = dim - off < CHUNK_WORDS ? dim - off : CHUNK_WORDS;
        crypto_stream_chacha20_ietf_xor_ic(ks, zeros, (n * 4 + 63) / 64 * 64, nonce, (uint32_t)(off / 16), seed);
        uint32_t *o = v + off;
        if (sign > 0) {
            for (size_t i = 0; i < n; i++) o[i] = (o[i] + hush__load32_le(ks + 4 * i)) & mask;
        } else {
            for (size_t i = 0; i < n; i++) o[i] = (o[i] - hush__load32_le(ks + 4 * i)) & mask;
        }
    }
    sodium_memzero(ks, sizeof ks);
}

int hush_secagg_prg_expand(uint32_t *out, size_t dim, uint32_t bits, const uint8_t seed[HUSH_SECAGG_SEED_BYTES]) {
    if ((!out && dim) || !seed || bits < 1 || bits > 32 || dim > HUSH_SECAGG_MAX_DIM) return HUSH_EARG;
    if (hush_init() != HUSH_OK) return HUSH_ECRYPTO;
    memset(out, 0, dim * sizeof *out);
    hush__sa_prg_add(out, dim, bits, seed, 1);
    return HUSH_OK;
}

/* ---- configuration and graph ---- */
uint32_t hush__sa_degree(const hush_secagg_config *cfg) {
    uint32_t d = cfg->neighbours;
    if (d == 0 || d >= cfg->n - 1) return cfg->n - 1;
    d += d & 1;
    return d >= cfg->n - 1 ? cfg->n - 1 : d;
}

int hush_secagg_config_init(hush_secagg_config *cfg, uint32_t n, uint32_t threshold, uint32_t max_corrupt,
                            uint32_t dim) {
    if (!cfg) return HUSH_EARG;
    memset(cfg, 0, sizeof *cfg);
    cfg->version = HUSH_SECAGG_CONFIG_VERSION;
    cfg->n = n;
    cfg->threshold = threshold;
    cfg->max_corrupt = max_corrupt;
    cfg->min_honest = 2;
    cfg->dim = dim;
    cfg->bits = 32;
    if (n < 2 || n > HUSH_SECAGG_MAX_CLIENTS || threshold < 1 || threshold > n || max_corrupt >= n || dim < 1 ||
        dim > HUSH_SECAGG_MAX_DIM)
        return HUSH_EARG;
    return HUSH_OK;
}

static int all_zero(const uint8_t *p, size_t n) {
    uint8_t acc = 0;
    for (size_t i = 0; i < n; i++) acc |= p[i];
    return acc == 0;
}

int hush_secagg_config_check(const hush_secagg_config *cfg) {
    if (!cfg || cfg->version != HUSH_SECAGG_CONFIG_VERSION || cfg->authenticated > 1) return HUSH_EARG;
    if (cfg->n < 2 || cfg->n > HUSH_SECAGG_MAX_CLIENTS) return HUSH_ERANGE;
    if (cfg->bits < 1 || cfg->bits > HUSH_SECAGG_MAX_BITS) return HUSH_ERANGE;
    if (cfg->dim < 1 || cfg->dim > HUSH_SECAGG_MAX_DIM) return HUSH_ERANGE;
    /* A fixed session makes the SecAgg+ graph predictable and lets signatures be replayed. */
    if ((cfg->neighbours || cfg->authenticated) && all_zero(cfg->session, HUSH_SECAGG_SESSION_BYTES))
        return HUSH_EARG;
    uint64_t m = hush__sa_degree(cfg) + 1, t = cfg->threshold, c = cfg->max_corrupt;
    if (t < 1 || t > m || cfg->min_honest < 1) return HUSH_ERANGE;
    /* Bonawitz et al.'s bounds, per neighbourhood: no two disjoint honest groups can each reach
     * t with the corrupt clients' help, and every sum holds at least k_min honest inputs. */
    if (2 * t <= m + c || t < c + cfg->min_honest) return HUSH_ERANGE;
    return HUSH_OK;
}

int hush_secagg_session_random(uint8_t out[HUSH_SECAGG_SESSION_BYTES]) {
    if (!out) return HUSH_EARG;
    hush_rng rng;
    int rc = hush_rng_init_random(&rng);
    if (rc == HUSH_OK) rc = hush_rng_bytes(&rng, out, HUSH_SECAGG_SESSION_BYTES);
    hush_rng_clear(&rng);
    return rc;
}

int hush_secagg_memory(const hush_secagg_config *cfg, uint64_t *client_bytes, uint64_t *server_bytes) {
    int rc = hush_secagg_config_check(cfg);
    if (rc) return rc;
    uint64_t c, s, off[16];
    if ((rc = hush__sa_client_layout(cfg, &c, off)) != HUSH_OK) return rc;
    if ((rc = hush__sa_server_layout(cfg, &s, off)) != HUSH_OK) return rc;
    if (client_bytes) *client_bytes = c;
    if (server_bytes) *server_bytes = s;
    return HUSH_OK;
}

uint64_t hush__sa_lay(hush__sa_layout *l, uint64_t count, uint64_t elem) {
    uint64_t off = l->size + 7;
    if (off < l->size) l->overflow = 1;
    off &= ~(uint64_t)7;
    if (elem && count > UINT64_MAX / elem) l->overflow = 1;
    uint64_t bytes = count * elem;
    if (off + bytes < off) l->overflow = 1;
    l->size = off + bytes;
    return off;
}

uint32_t hush_secagg_neighbourhood_size(const hush_secagg_config *cfg) {
    return hush_secagg_config_check(cfg) == HUSH_OK ? hush__sa_degree(cfg) + 1 : 0;
}

static int cmp_u32(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

static int permutation(const hush_secagg_config *cfg, uint32_t *perm) {
    uint8_t key[32];
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, sizeof key);
    crypto_generichash_update(&st, (const uint8_t *)"hush.secagg.v2.graph", 21);
    crypto_generichash_update(&st, cfg->session, HUSH_SECAGG_SESSION_BYTES);
    crypto_generichash_final(&st, key, sizeof key);
    hush_rng rng;
    int rc = hush_rng_init(&rng, key);
    if (rc) return rc;
    for (uint32_t i = 0; i < cfg->n; i++) perm[i] = i;
    rc = hush_rng_shuffle_u32(&rng, perm, cfg->n);
    hush_rng_clear(&rng);
    return rc;
}

static void fill_row(const hush_secagg_config *cfg, uint32_t d, const uint32_t *perm, uint32_t pos, uint32_t *row) {
    uint32_t n = cfg->n, k = 0;
    row[k++] = perm[pos];
    for (uint32_t j = 1; j <= d / 2; j++) {
        row[k++] = perm[(pos + j) % n];
        row[k++] = perm[(pos + n - j) % n];
    }
    qsort(row, k, sizeof *row, cmp_u32);
}

int hush__sa_graph(const hush_secagg_config *cfg, uint32_t *rows, uint32_t *perm) {
    uint32_t d = hush__sa_degree(cfg), m = d + 1, n = cfg->n;
    if (d == n - 1) {
        for (uint32_t u = 0; u < n; u++)
            for (uint32_t j = 0; j < n; j++) rows[(size_t)u * m + j] = j;
        return HUSH_OK;
    }
    int rc = permutation(cfg, perm);
    if (rc) return rc;
    for (uint32_t pos = 0; pos < n; pos++) fill_row(cfg, d, perm, pos, rows + (size_t)perm[pos] * m);
    return HUSH_OK;
}

int hush__sa_graph_row(const hush_secagg_config *cfg, uint32_t u, uint32_t *row, uint32_t *perm) {
    uint32_t d = hush__sa_degree(cfg), n = cfg->n;
    if (d == n - 1) {
        for (uint32_t j = 0; j < n; j++) row[j] = j;
        return HUSH_OK;
    }
    int rc = permutation(cfg, perm);
    if (rc) return rc;
    uint32_t pos = 0;
    while (perm[pos] != u) pos++;
    fill_row(cfg, d, perm, pos, row);
    return HUSH_OK;
}

long hush__sa_slot(const uint32_t *row, uint32_t m, uint32_t id) {
    uint32_t lo = 0, hi = m;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (row[mid] < id) lo = mid + 1;
        else hi = mid;
    }
    return lo < m && row[lo] == id ? (long)lo : -1;
}

#include "base/alloc.h"

int hush_secagg_neighbourhood(const hush_secagg_config *cfg, uint32_t *out, size_t cap, size_t *written,
                              uint32_t client, const hush_allocator *alloc) {
    if (!hush__alloc_ok(alloc)) return HUSH_EARG;
    if (!out || !written) return HUSH_EARG;
    int rc = hush_secagg_config_check(cfg);
    if (rc) return rc;
    if (client >= cfg->n) return HUSH_EARG;
    uint32_t m = hush__sa_degree(cfg) + 1;
    *written = m;
    if (cap < m) return HUSH_ERANGE;
    uint32_t *perm = hush__calloc(alloc, cfg->n, sizeof *perm);
    if (!perm) return HUSH_ENOMEM;
    rc = hush__sa_graph_row(cfg, client, out, perm);
    hush__free(alloc, perm, (size_t)cfg->n * sizeof *perm);
    return rc;
}

/* ---- signed digests ---- */
void hush__sa_adv_digest(uint8_t out[64], const hush_secagg_config *cfg, uint32_t id, const uint8_t c_pk[32],
                         const uint8_t s_pk[32]) {
    static const char label[] = "hush.secagg.v2.adv";
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, 64);
    crypto_generichash_update(&st, (const uint8_t *)label, sizeof label);
    crypto_generichash_update(&st, cfg->session, HUSH_SECAGG_SESSION_BYTES);
    put32(&st, id);
    crypto_generichash_update(&st, c_pk, 32);
    crypto_generichash_update(&st, s_pk, 32);
    crypto_generichash_final(&st, out, 64);
}

void hush__sa_u3_digest(uint8_t out[64], const hush_secagg_config *cfg, uint32_t signer, const uint8_t *bitmap,
                        size_t bitmap_len) {
    static const char label[] = "hush.secagg.v2.u3";
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, 64);
    crypto_generichash_update(&st, (const uint8_t *)label, sizeof label);
    crypto_generichash_update(&st, cfg->session, HUSH_SECAGG_SESSION_BYTES);
    put32(&st, signer);
    crypto_generichash_update(&st, bitmap, bitmap_len);
    crypto_generichash_final(&st, out, 64);
}
