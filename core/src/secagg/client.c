/* Secure-aggregation client state machine (protocol and threat model in hush/secagg.h).
 *
 * Everything is sized once at create in one block: the neighbourhood M(u), the peers' public
 * keys, the shares received from them, the two sharing polynomials and the input vector, which
 * is masked in place. Each server message is accepted exactly once and only in its round, so the
 * choice between revealing a peer's b-share and its sk-share is made once, when U3 arrives, and
 * recorded in reveal[]; the unmasking message is built from reveal[] alone. The rng that drew
 * the polynomials lives only inside _create, and the signing key only until the consistency
 * signature is made. */
#include <string.h>

#include <sodium.h>

#include "base/alloc.h"
#include "io/buf.h"
#include "io/secaggwire.h"
#include "secagg/sa.h"

#define F_U1 1  /* its keys reached us */
#define F_U2 2  /* its shares reached us: we mask with it */
#define F_BAD 4 /* ... but they were unusable: we never reveal them (and report it) */
#define F_U3 8
#define F_U4 16

enum { O_PKS, O_ROW, O_KEYS, O_FLAGS, O_REVEAL, O_SHARES, O_COEF, O_X, O_U3, O_COUNT };

struct hush_secagg_client {
    hush_allocator alloc;
    int has_alloc;
    size_t total;
    hush_secagg_config cfg;
    uint32_t id, m, self;
    int state;   /* round the client is in, or DONE / ABORTED */
    int pending; /* round of the message waiting in next_message, -1 if none */
    int have_input, have_identity, masked;
    uint8_t c_pk[32], c_sk[32], s_pk[32], s_sk[32], b[32];
    uint8_t sign_sk[64];
    uint8_t *sign_pks; /* n * 32, authenticated only */
    uint32_t *row;     /* M(u), sorted */
    uint8_t *keys;     /* m * 64: c_pk, s_pk */
    uint8_t *flags;    /* m */
    uint8_t *reveal;   /* m: 0, KIND_B or KIND_SK, set once */
    uint8_t *shares;   /* m * 80: (b-share, sk-share) from each peer */
    uint64_t *coef;    /* 2 * 5 * t: b then sk */
    uint32_t *x;       /* dim: input, then masked input */
    uint8_t *u3;       /* ceil(n/8) bitmap */
};

int hush__sa_client_layout(const hush_secagg_config *cfg, uint64_t *total, uint64_t off[12]) {
    uint64_t m = hush__sa_degree(cfg) + 1, n = cfg->n;
    hush__sa_layout l = {sizeof(hush_secagg_client), 0};
    off[O_PKS] = hush__sa_lay(&l, cfg->authenticated ? n : 0, 32);
    off[O_ROW] = hush__sa_lay(&l, m, 4);
    off[O_KEYS] = hush__sa_lay(&l, m, 64);
    off[O_FLAGS] = hush__sa_lay(&l, m, 1);
    off[O_REVEAL] = hush__sa_lay(&l, m, 1);
    off[O_SHARES] = hush__sa_lay(&l, m, 80);
    off[O_COEF] = hush__sa_lay(&l, (uint64_t)10 * cfg->threshold, 8);
    off[O_X] = hush__sa_lay(&l, cfg->dim, 4);
    off[O_U3] = hush__sa_lay(&l, (n + 7) / 8, 1);
    *total = l.size;
    return l.overflow ? HUSH_ERANGE : HUSH_OK;
}

/* Once the round is over or aborted, nothing secret is needed any more. */
static void wipe_secrets(hush_secagg_client *c) {
    sodium_memzero(c->shares, (size_t)c->m * 80);
    sodium_memzero(c->coef, (size_t)10 * c->cfg.threshold * sizeof *c->coef);
    sodium_memzero(c->x, (size_t)c->cfg.dim * sizeof *c->x);
    sodium_memzero(c->c_sk, 32);
    sodium_memzero(c->s_sk, 32);
    sodium_memzero(c->b, 32);
    sodium_memzero(c->sign_sk, 64);
}

static int abort_round(hush_secagg_client *c) {
    c->state = HUSH_SECAGG_ABORTED;
    c->pending = -1;
    wipe_secrets(c);
    return HUSH_ESTATE;
}

/* Keys, self mask and both sharing polynomials, from the seeded or OS-random master stream. */
static int draw_secrets(hush_secagg_client *c, const uint8_t *seed) {
    hush_rng master, child;
    uint8_t kseed[32];
    int rc = seed ? hush__sa_client_master(&master, seed, &c->cfg, c->id) : hush_rng_init_random(&master);
    if (rc) return rc;
    if ((rc = hush_rng_derive(&child, &master, "secagg.keys")) == HUSH_OK &&
        (rc = hush_rng_bytes(&child, kseed, 32)) == HUSH_OK) {
        crypto_kx_seed_keypair(c->c_pk, c->c_sk, kseed);
        if ((rc = hush_rng_bytes(&child, kseed, 32)) == HUSH_OK) crypto_kx_seed_keypair(c->s_pk, c->s_sk, kseed);
        if (rc == HUSH_OK) rc = hush_rng_bytes(&child, c->b, 32);
    }
    hush_rng_clear(&child);
    if (rc == HUSH_OK && (rc = hush_rng_derive(&child, &master, "secagg.shamir")) == HUSH_OK) {
        uint32_t t = c->cfg.threshold;
        hush__sa_poly_init(c->coef, t, c->b, &child);
        hush__sa_poly_init(c->coef + (size_t)5 * t, t, c->s_sk, &child);
        if (hush_rng_exhausted(&child)) rc = HUSH_ERANGE;
    }
    sodium_memzero(kseed, sizeof kseed);
    hush_rng_clear(&child);
    hush_rng_clear(&master);
    return rc;
}

int hush_secagg_client_create(hush_secagg_client **out, const hush_secagg_config *cfg, uint32_t id,
                              const uint8_t *seed, size_t seed_len, const hush_allocator *alloc) {
    if (!hush__alloc_ok(alloc)) return HUSH_EARG;
    if (!out) return HUSH_EARG;
    *out = NULL;
    int rc = hush_secagg_config_check(cfg);
    if (rc) return rc;
    if (id >= cfg->n || (seed && seed_len != HUSH_SECAGG_SEED_BYTES) || (!seed && seed_len)) return HUSH_EARG;
    if (hush_init() != HUSH_OK) return HUSH_ECRYPTO;
    uint64_t off[12], total64;
    if ((rc = hush__sa_client_layout(cfg, &total64, off)) != HUSH_OK) return rc;
    if (total64 > SIZE_MAX) return HUSH_ERANGE;
    size_t total = (size_t)total64;
    uint32_t m = hush__sa_degree(cfg) + 1, n = cfg->n;
    uint8_t *blk = hush__alloc(alloc, total);
    if (!blk) return HUSH_ENOMEM;
    memset(blk, 0, total);
    hush_secagg_client *c = (hush_secagg_client *)blk;
    if (alloc) {
        c->alloc = *alloc;
        c->has_alloc = 1;
    }
    c->total = total;
    c->cfg = *cfg;
    c->id = id;
    c->m = m;
    c->pending = 0;
    c->state = HUSH_SECAGG_ROUND_ADVERTISE;
    c->sign_pks = cfg->authenticated ? blk + off[O_PKS] : NULL;
    c->row = (uint32_t *)(blk + off[O_ROW]);
    c->keys = blk + off[O_KEYS];
    c->flags = blk + off[O_FLAGS];
    c->reveal = blk + off[O_REVEAL];
    c->shares = blk + off[O_SHARES];
    c->coef = (uint64_t *)(blk + off[O_COEF]);
    c->x = (uint32_t *)(blk + off[O_X]);
    c->u3 = blk + off[O_U3];

    uint32_t *perm = NULL;
    if (m < n && !(perm = hush__calloc(alloc, n, sizeof *perm))) {
        rc = HUSH_ENOMEM;
        goto fail;
    }
    rc = hush__sa_graph_row(cfg, id, c->row, perm);
    if (perm) hush__free(alloc, perm, (size_t)n * sizeof *perm);
    if (rc) goto fail;
    c->self = (uint32_t)hush__sa_slot(c->row, m, id);
    if ((rc = draw_secrets(c, seed)) != HUSH_OK) goto fail;
    memcpy(c->keys + (size_t)c->self * 64, c->c_pk, 32);
    memcpy(c->keys + (size_t)c->self * 64 + 32, c->s_pk, 32);
    *out = c;
    return HUSH_OK;
fail:
    sodium_memzero(blk, total);
    hush__free(alloc, blk, total);
    return rc;
}

void hush_secagg_client_free(hush_secagg_client *c) {
    if (!c) return;
    hush_allocator a = c->alloc;
    int has = c->has_alloc;
    size_t total = c->total;
    sodium_memzero(c, total);
    hush__free(has ? &a : NULL, c, total);
}

int hush_secagg_client_set_identity(hush_secagg_client *c, const uint8_t *sign_sk, size_t sk_len,
                                    const uint8_t *sign_pks, size_t pks_len) {
    if (!c || !sign_sk || !sign_pks || sk_len != HUSH_SECAGG_SIGN_SECRET_KEY_BYTES ||
        pks_len != (size_t)c->cfg.n * HUSH_SECAGG_SIGN_PUBLIC_KEY_BYTES)
        return HUSH_EARG;
    if (!c->cfg.authenticated || c->state != HUSH_SECAGG_ROUND_ADVERTISE || c->pending != 0) return HUSH_ESTATE;
    /* the secret key must belong to our own PKI entry (the Ed25519 sk ends with its pk) */
    if (sodium_memcmp(sign_sk + 32, sign_pks + (size_t)c->id * 32, 32) != 0) return HUSH_EARG;
    memcpy(c->sign_sk, sign_sk, 64);
    memcpy(c->sign_pks, sign_pks, pks_len);
    c->have_identity = 1;
    return HUSH_OK;
}

int hush_secagg_client_set_input(hush_secagg_client *c, const uint32_t *x, size_t dim) {
    if (!c || !x || dim != c->cfg.dim) return HUSH_EARG;
    if (c->masked || c->state >= HUSH_SECAGG_DONE) return HUSH_ESTATE;
    uint32_t lim = c->cfg.bits;
    for (size_t i = 0; i < dim; i++)
        if (lim < 32 && (x[i] >> lim)) return HUSH_ERANGE;
    memcpy(c->x, x, dim * sizeof *x);
    c->have_input = 1;
    return HUSH_OK;
}

int hush_secagg_client_round(const hush_secagg_client *c) { return c ? c->state : HUSH_SECAGG_ABORTED; }

size_t hush_secagg_client_max_message(const hush_secagg_client *c) {
    if (!c) return 0;
    uint64_t z = hush__saw_max(&c->cfg, c->m);
    return z > SIZE_MAX ? SIZE_MAX : (size_t)z;
}

static void nonce_for(uint8_t nonce[24], uint32_t from, uint32_t to) {
    memset(nonce, 0, 24);
    hush__store32_le(nonce, from);
    hush__store32_le(nonce + 4, to);
}

static void ad_for(uint8_t ad[24], const hush_secagg_config *cfg, uint32_t from, uint32_t to) {
    memcpy(ad, cfg->session, 16);
    hush__store32_le(ad + 16, from);
    hush__store32_le(ad + 20, to);
}

static int pair_key(const hush_secagg_client *c, uint8_t key[32], uint32_t slot, int mask) {
    const uint8_t *their = c->keys + (size_t)slot * 64 + (mask ? 32 : 0);
    uint32_t v = c->row[slot];
    return mask ? hush__sa_mask_seed(key, &c->cfg, c->id, v, c->s_sk, c->s_pk, their)
                : hush__sa_enc_key(key, &c->cfg, c->id, v, c->c_sk, c->c_pk, their);
}

static uint32_t count_flags(const hush_secagg_client *c, uint8_t all, uint8_t none) {
    uint32_t k = 0;
    for (uint32_t j = 0; j < c->m; j++) k += (c->flags[j] & all) == all && !(c->flags[j] & none);
    return k;
}

/* The server already refused weak and duplicate keys (and, with the PKI, bad signatures); a
 * client pins the PKI itself, so a substituted key is refused here and the state stays as it
 * was. Pairwise keys bind both ids, so a duplicated key gives a peer nothing. */
static int recv_keys(hush_secagg_client *c, const hush__saw_msg *msg) {
    int have_self = 0;
    for (uint32_t i = 0; i < msg->count; i++) {
        uint32_t v = hush__saw_id(msg, i);
        const uint8_t *e = hush__saw_entry(msg, i);
        if (hush__sa_slot(c->row, c->m, v) < 0) return HUSH_EFORMAT;
        if (v == c->id) {
            if (sodium_memcmp(e, c->c_pk, 32) || sodium_memcmp(e + 32, c->s_pk, 32)) return HUSH_ECRYPTO;
            have_self = 1;
            continue;
        }
        if (c->cfg.authenticated) {
            uint8_t dg[64];
            hush__sa_adv_digest(dg, &c->cfg, v, e, e + 32);
            if (crypto_sign_verify_detached(e + 64, dg, 64, c->sign_pks + (size_t)v * 32) != 0) return HUSH_ECRYPTO;
        }
    }
    if (!have_self) return HUSH_EFORMAT;
    for (uint32_t i = 0; i < msg->count; i++) {
        uint32_t slot = (uint32_t)hush__sa_slot(c->row, c->m, hush__saw_id(msg, i));
        memcpy(c->keys + (size_t)slot * 64, hush__saw_entry(msg, i), 64);
        c->flags[slot] |= F_U1;
    }
    if (msg->count < c->cfg.threshold) return abort_round(c);
    c->state = HUSH_SECAGG_ROUND_SHARE;
    c->pending = HUSH_SECAGG_ROUND_SHARE;
    return HUSH_OK;
}

/* One peer's ciphertext: 1 if it opened and both shares match the dealer's hashes. */
static int open_share(hush_secagg_client *c, uint32_t slot, const uint8_t *e, uint8_t plain[HUSH__SA_PLAIN_BYTES],
                      uint8_t key[32]) {
    uint32_t v = c->row[slot];
    uint8_t nonce[24], ad[24], h[32];
    if (pair_key(c, key, slot, 0) != HUSH_OK) return 0;
    nonce_for(nonce, v, c->id);
    ad_for(ad, &c->cfg, v, c->id);
    const uint8_t *ct = e + 2 * HUSH__SAW_HASH;
    if (crypto_aead_xchacha20poly1305_ietf_decrypt(plain, NULL, NULL, ct, HUSH__SA_CT_BYTES, ad, sizeof ad, nonce,
                                                   key) != 0)
        return 0;
    if (hush__load32_le(plain) != v || hush__load32_le(plain + 4) != c->id || !hush__sa_share_valid(plain + 8) ||
        !hush__sa_share_valid(plain + 48))
        return 0;
    hush__sa_share_hash(h, &c->cfg, v, c->id, HUSH__SA_KIND_B, plain + 8);
    if (sodium_memcmp(h, e, 32) != 0) return 0;
    hush__sa_share_hash(h, &c->cfg, v, c->id, HUSH__SA_KIND_SK, plain + 48);
    return sodium_memcmp(h, e + 32, 32) == 0;
}

static int recv_shares(hush_secagg_client *c, const hush__saw_msg *msg) {
    for (uint32_t i = 0; i < msg->count; i++) {
        long slot = hush__sa_slot(c->row, c->m, hush__saw_id(msg, i));
        if (slot < 0 || !(c->flags[slot] & F_U1)) return HUSH_EFORMAT;
    }
    uint8_t key[32], plain[HUSH__SA_PLAIN_BYTES];
    for (uint32_t i = 0; i < msg->count; i++) {
        uint32_t slot = (uint32_t)hush__sa_slot(c->row, c->m, hush__saw_id(msg, i));
        /* A share we cannot use is the sender's (or the server's) fault, not a reason to stop: we
         * still mask with that peer, whose keys are valid, and report it instead of revealing. */
        if (open_share(c, slot, hush__saw_entry(msg, i), plain, key)) {
            memcpy(c->shares + (size_t)slot * 80, plain + 8, 80);
            c->flags[slot] |= F_U2;
        } else {
            c->flags[slot] |= F_U2 | F_BAD;
        }
    }
    sodium_memzero(key, sizeof key);
    sodium_memzero(plain, sizeof plain);
    c->flags[c->self] |= F_U2;
    if (msg->count + 1 < c->cfg.threshold) return abort_round(c);
    c->state = HUSH_SECAGG_ROUND_MASKED_INPUT;
    c->pending = HUSH_SECAGG_ROUND_MASKED_INPUT;
    return HUSH_OK;
}

static int recv_u3(hush_secagg_client *c, const hush__saw_msg *msg) {
    uint32_t k = 0;
    for (uint32_t j = 0; j < c->m; j++) {
        uint32_t v = c->row[j];
        int in = (msg->bitmap[v / 8] >> (v % 8)) & 1;
        /* a survivor we did not mask with would be cut out of our sum: refuse */
        if (in && !(c->flags[j] & F_U2)) return HUSH_EFORMAT;
        if (v == c->id && !in) return HUSH_EFORMAT;
        k += (uint32_t)in;
    }
    memcpy(c->u3, msg->bitmap, msg->bitmap_len);
    /* The one decision point: each usable peer's share kind is fixed here, once. */
    for (uint32_t j = 0; j < c->m; j++) {
        uint32_t v = c->row[j];
        if (!(c->flags[j] & F_U2) || (c->flags[j] & F_BAD)) continue;
        if ((c->u3[v / 8] >> (v % 8)) & 1) {
            c->flags[j] |= F_U3;
            c->reveal[j] = HUSH__SA_KIND_B;
        } else {
            c->reveal[j] = HUSH__SA_KIND_SK;
        }
    }
    for (uint32_t j = 0; j < c->m; j++) /* survivors whose shares were unusable are in U3 too */
        if ((c->u3[c->row[j] / 8] >> (c->row[j] % 8)) & 1) c->flags[j] |= F_U3;
    if (k < c->cfg.threshold) return abort_round(c);
    c->state = HUSH_SECAGG_ROUND_CONSISTENCY;
    c->pending = HUSH_SECAGG_ROUND_CONSISTENCY;
    return HUSH_OK;
}

static int recv_u4(hush_secagg_client *c, const hush__saw_msg *msg) {
    int have_self = 0;
    for (uint32_t i = 0; i < msg->count; i++) {
        uint32_t v = hush__saw_id(msg, i);
        long slot = hush__sa_slot(c->row, c->m, v);
        if (slot < 0 || !(c->flags[slot] & F_U3)) return HUSH_EFORMAT; /* U4 must be inside U3 */
        have_self |= v == c->id;
        if (c->cfg.authenticated) {
            /* each signer signed our exact U3 under its own id: t of them are what makes every
             * honest client that reveals agree on U3 (see the header) */
            uint8_t dg[64];
            hush__sa_u3_digest(dg, &c->cfg, v, c->u3, ((size_t)c->cfg.n + 7) / 8);
            if (crypto_sign_verify_detached(hush__saw_entry(msg, i), dg, 64, c->sign_pks + (size_t)v * 32) != 0)
                return HUSH_ECRYPTO;
        }
    }
    if (!have_self) return HUSH_EFORMAT;
    for (uint32_t i = 0; i < msg->count; i++) c->flags[hush__sa_slot(c->row, c->m, hush__saw_id(msg, i))] |= F_U4;
    if (msg->count < c->cfg.threshold) return abort_round(c);
    c->state = HUSH_SECAGG_ROUND_UNMASK;
    c->pending = HUSH_SECAGG_ROUND_UNMASK;
    return HUSH_OK;
}

int hush_secagg_client_receive(hush_secagg_client *c, const uint8_t *msg, size_t len) {
    if (!c || (!msg && len)) return HUSH_EARG;
    hush__saw_msg m;
    int rc = hush__saw_decode(&m, msg, len, &c->cfg);
    if (rc) return rc;
    if (m.dir != HUSH__SAW_DOWN || m.recipient != c->id) return HUSH_EFORMAT;
    /* exactly once, in order, and only after our own message for the previous round went out */
    if (c->state >= HUSH_SECAGG_DONE || m.round != c->state + 1 || c->pending != -1) return HUSH_ESTATE;
    switch (m.round) {
    case 1: return recv_keys(c, &m);
    case 2: return recv_shares(c, &m);
    case 3: return recv_u3(c, &m);
    default: return recv_u4(c, &m);
    }
}

static int build_shares(hush_secagg_client *c, uint8_t *out, size_t body) {
    uint32_t t = c->cfg.threshold, count = count_flags(c, F_U1, 0) - 1;
    hush__saw_header(out, &c->cfg, HUSH__SAW_UP, 1, c->id, HUSH_SECAGG_SERVER_ID, body);
    uint8_t *p = out + HUSH_SECAGG_HEADER_BYTES;
    hush__sa_commit_b(p, &c->cfg, c->id, c->b);
    hush__store32_le(p + 32, count);
    p += 36;
    uint8_t key[32], nonce[24], ad[24], plain[HUSH__SA_PLAIN_BYTES];
    int rc = HUSH_OK;
    hush__sa_poly_eval(c->shares + (size_t)c->self * 80, c->coef, t, c->id);
    hush__sa_poly_eval(c->shares + (size_t)c->self * 80 + 40, c->coef + (size_t)5 * t, t, c->id);
    for (uint32_t j = 0; j < c->m && rc == HUSH_OK; j++) {
        if (j == c->self || !(c->flags[j] & F_U1)) continue;
        uint32_t v = c->row[j];
        hush__store32_le(plain, c->id);
        hush__store32_le(plain + 4, v);
        hush__sa_poly_eval(plain + 8, c->coef, t, v);
        hush__sa_poly_eval(plain + 48, c->coef + (size_t)5 * t, t, v);
        if ((rc = pair_key(c, key, j, 0)) != HUSH_OK) break;
        nonce_for(nonce, c->id, v);
        ad_for(ad, &c->cfg, c->id, v);
        hush__store32_le(p, v);
        hush__sa_share_hash(p + 4, &c->cfg, c->id, v, HUSH__SA_KIND_B, plain + 8);
        hush__sa_share_hash(p + 36, &c->cfg, c->id, v, HUSH__SA_KIND_SK, plain + 48);
        crypto_aead_xchacha20poly1305_ietf_encrypt(p + 68, NULL, plain, sizeof plain, ad, sizeof ad, NULL, nonce,
                                                   key);
        p += 4 + 2 * HUSH__SAW_HASH + HUSH__SA_CT_BYTES;
    }
    sodium_memzero(key, sizeof key);
    sodium_memzero(plain, sizeof plain);
    return rc;
}

static int mask_input(hush_secagg_client *c) {
    uint8_t seed[32];
    uint32_t bits = c->cfg.bits;
    hush__sa_prg_add(c->x, c->cfg.dim, bits, c->b, 1);
    for (uint32_t j = 0; j < c->m; j++) {
        if (j == c->self || !(c->flags[j] & F_U2)) continue;
        int rc = pair_key(c, seed, j, 1);
        if (rc) {
            sodium_memzero(seed, sizeof seed);
            return rc;
        }
        hush__sa_prg_add(c->x, c->cfg.dim, bits, seed, c->row[j] > c->id ? 1 : -1);
    }
    sodium_memzero(seed, sizeof seed);
    c->masked = 1;
    return HUSH_OK;
}

static void build_masked(hush_secagg_client *c, uint8_t *out, size_t body, uint32_t reports) {
    hush__saw_header(out, &c->cfg, HUSH__SAW_UP, 2, c->id, HUSH_SECAGG_SERVER_ID, body);
    uint8_t *p = out + HUSH_SECAGG_HEADER_BYTES;
    hush__store32_le(p, reports);
    p += 4;
    for (uint32_t j = 0; j < c->m; j++)
        if (c->flags[j] & F_BAD) {
            hush__store32_le(p, c->row[j]);
            p += 4;
        }
    hush__store32_le(p, c->cfg.dim);
    p[4] = (uint8_t)c->cfg.bits;
    hush__saw_pack_values(p + 5, c->x, c->cfg.dim, c->cfg.bits);
}

static int build_unmask(hush_secagg_client *c, uint8_t *out, size_t body, uint32_t count) {
    hush__saw_header(out, &c->cfg, HUSH__SAW_UP, 4, c->id, HUSH_SECAGG_SERVER_ID, body);
    uint8_t *p = out + HUSH_SECAGG_HEADER_BYTES;
    hush__store32_le(p, count);
    p += 4;
    for (uint32_t j = 0; j < c->m; j++) {
        if (!(c->flags[j] & F_U2) || (c->flags[j] & F_BAD)) continue;
        int kind = c->reveal[j];
        /* reveal[] holds exactly one kind per usable peer; anything else is a broken invariant */
        if (kind != HUSH__SA_KIND_B && kind != HUSH__SA_KIND_SK) return HUSH_ESTATE;
        hush__store32_le(p, c->row[j]);
        p[4] = (uint8_t)kind;
        memcpy(p + 5, c->shares + (size_t)j * 80 + (kind == HUSH__SA_KIND_B ? 0 : 40), 40);
        p += 4 + 1 + 40;
    }
    return HUSH_OK;
}

int hush_secagg_client_next_message(hush_secagg_client *c, uint8_t *out, size_t cap, size_t *written) {
    if (!c || !written || (!out && cap)) return HUSH_EARG;
    *written = 0;
    if (c->pending < 0) return HUSH_OK;
    int r = c->pending;
    uint32_t count = 0;
    if (r == 1) count = count_flags(c, F_U1, 0) - 1;
    else if (r == 2) count = count_flags(c, F_BAD, 0);
    else if (r == 4) count = count_flags(c, F_U2, F_BAD);
    if (r == 0 && c->cfg.authenticated && !c->have_identity) return HUSH_ESTATE;
    if (r == 2 && !c->have_input) return HUSH_ESTATE;
    uint64_t need64 = hush__saw_size(&c->cfg, HUSH__SAW_UP, r, count);
    if (need64 > SIZE_MAX) return HUSH_ERANGE;
    size_t need = (size_t)need64;
    *written = need;
    if (cap < need) return HUSH_ERANGE;
    size_t body = need - HUSH_SECAGG_HEADER_BYTES;
    uint8_t *p = out + HUSH_SECAGG_HEADER_BYTES;
    int rc = HUSH_OK;
    if (r == 0) {
        hush__saw_header(out, &c->cfg, HUSH__SAW_UP, 0, c->id, HUSH_SECAGG_SERVER_ID, body);
        memcpy(p, c->c_pk, 32);
        memcpy(p + 32, c->s_pk, 32);
        if (c->cfg.authenticated) {
            uint8_t dg[64];
            hush__sa_adv_digest(dg, &c->cfg, c->id, c->c_pk, c->s_pk);
            crypto_sign_detached(p + 64, NULL, dg, 64, c->sign_sk);
        }
    } else if (r == 1) {
        rc = build_shares(c, out, body);
    } else if (r == 2) {
        if (!c->masked) rc = mask_input(c);
        if (rc == HUSH_OK) build_masked(c, out, body, count);
    } else if (r == 3) {
        hush__saw_header(out, &c->cfg, HUSH__SAW_UP, 3, c->id, HUSH_SECAGG_SERVER_ID, body);
        if (c->cfg.authenticated) {
            uint8_t dg[64];
            hush__sa_u3_digest(dg, &c->cfg, c->id, c->u3, ((size_t)c->cfg.n + 7) / 8);
            crypto_sign_detached(p, NULL, dg, 64, c->sign_sk);
        }
        sodium_memzero(c->sign_sk, sizeof c->sign_sk); /* its last use */
    } else {
        rc = build_unmask(c, out, body, count);
    }
    if (rc) {
        sodium_memzero(out, need);
        *written = 0;
        return rc;
    }
    c->pending = -1;
    if (r == 4) {
        c->state = HUSH_SECAGG_DONE;
        wipe_secrets(c);
    }
    return HUSH_OK;
}
