/* Secure-aggregation client state machine (protocol and threat model in hush/secagg.h).
 *
 * Everything is sized once at create in one block: the neighbourhood M(u), the peers' public
 * keys, the shares received from them, the two sharing polynomials and the input vector, which
 * is masked in place. Each server message is accepted exactly once and only in its round, so the
 * choice between revealing a peer's b-share and its sk-share is made once, when U3 arrives, and
 * recorded in reveal[]; the unmasking message is built from reveal[] alone. */
#include <string.h>

#include <sodium.h>

#include "base/alloc.h"
#include "io/buf.h"
#include "io/secaggwire.h"
#include "secagg/sa.h"

#define F_U1 1 /* advertised keys reached us */
#define F_U2 2 /* its shares reached us */
#define F_U3 4
#define F_U4 8

struct hush_secagg_client {
    hush_allocator alloc;
    int has_alloc;
    size_t total;
    hush_secagg_config cfg;
    uint32_t id, m, self;
    int state;   /* round the client is in, or DONE / ABORTED */
    int pending; /* round of the message waiting in next_message, -1 if none */
    int have_input, have_identity, masked;
    hush_rng rng;
    uint8_t c_pk[32], c_sk[32], s_pk[32], s_sk[32], b[32];
    uint8_t sign_sk[64];
    uint8_t *sign_pks;  /* n * 32, authenticated only */
    uint32_t *row;      /* M(u), sorted */
    uint8_t *keys;      /* m * 64: c_pk, s_pk */
    uint8_t *flags;     /* m */
    uint8_t *reveal;    /* m: 0, KIND_B or KIND_SK, set once */
    uint8_t *shares;    /* m * 80: (b-share, sk-share) from each peer */
    uint64_t *coef;     /* 2 * 5 * t: b then sk */
    uint32_t *x;        /* dim: input, then masked input */
    uint8_t *u3;        /* ceil(n/8) bitmap */
};

static size_t align8(size_t v) { return (v + 7) & ~(size_t)7; }

/* Once the round is over or aborted, nothing secret is needed any more. */
static void wipe_secrets(hush_secagg_client *c) {
    sodium_memzero(c->shares, (size_t)c->m * 80);
    sodium_memzero(c->coef, (size_t)10 * c->cfg.threshold * sizeof *c->coef);
    sodium_memzero(c->x, (size_t)c->cfg.dim * sizeof *c->x);
    sodium_memzero(c->c_sk, 32);
    sodium_memzero(c->s_sk, 32);
    sodium_memzero(c->b, 32);
}

static int abort_round(hush_secagg_client *c) {
    c->state = HUSH_SECAGG_ABORTED;
    c->pending = -1;
    wipe_secrets(c);
    return HUSH_ESTATE;
}

int hush_secagg_client_create(hush_secagg_client **out, const hush_secagg_config *cfg, uint32_t id,
                              const uint8_t *seed, size_t seed_len, const hush_allocator *alloc) {
    if (!hush__alloc_ok(alloc)) return HUSH_EARG;
    if (!out) return HUSH_EARG;
    *out = NULL;
    int rc = hush_secagg_config_check(cfg);
    if (rc) return rc;
    if (id >= cfg->n || (seed && seed_len != 32) || (!seed && seed_len)) return HUSH_EARG;
    if (hush_init() != HUSH_OK) return HUSH_ECRYPTO;
    uint32_t m = hush__sa_degree(cfg) + 1, n = cfg->n, t = cfg->threshold;
    size_t o_pks = align8(sizeof(hush_secagg_client));
    size_t o_row = align8(o_pks + (cfg->authenticated ? (size_t)n * 32 : 0));
    size_t o_keys = align8(o_row + (size_t)m * 4);
    size_t o_flags = align8(o_keys + (size_t)m * 64);
    size_t o_reveal = align8(o_flags + m);
    size_t o_shares = align8(o_reveal + m);
    size_t o_coef = align8(o_shares + (size_t)m * 80);
    size_t o_x = align8(o_coef + (size_t)10 * t * 8);
    size_t o_u3 = align8(o_x + (size_t)cfg->dim * 4);
    size_t total = o_u3 + ((size_t)n + 7) / 8;
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
    c->sign_pks = cfg->authenticated ? blk + o_pks : NULL;
    c->row = (uint32_t *)(blk + o_row);
    c->keys = blk + o_keys;
    c->flags = blk + o_flags;
    c->reveal = blk + o_reveal;
    c->shares = blk + o_shares;
    c->coef = (uint64_t *)(blk + o_coef);
    c->x = (uint32_t *)(blk + o_x);
    c->u3 = blk + o_u3;

    uint32_t *perm = NULL;
    if (m < n && !(perm = hush__calloc(alloc, n, sizeof *perm))) {
        rc = HUSH_ENOMEM;
        goto fail;
    }
    rc = hush__sa_graph_row(cfg, id, c->row, perm);
    if (perm) hush__free(alloc, perm, (size_t)n * sizeof *perm);
    if (rc) goto fail;
    c->self = (uint32_t)hush__sa_slot(c->row, m, id);

    hush_rng master, child;
    rc = seed ? hush_rng_init(&master, seed) : hush_rng_init_random(&master);
    if (rc) goto fail;
    uint8_t kseed[32];
    if ((rc = hush_rng_derive(&child, &master, "secagg.keys")) == HUSH_OK &&
        (rc = hush_rng_bytes(&child, kseed, 32)) == HUSH_OK) {
        crypto_kx_seed_keypair(c->c_pk, c->c_sk, kseed);
        rc = hush_rng_bytes(&child, kseed, 32);
        if (rc == HUSH_OK) crypto_kx_seed_keypair(c->s_pk, c->s_sk, kseed);
        if (rc == HUSH_OK) rc = hush_rng_bytes(&child, c->b, 32);
    }
    sodium_memzero(kseed, sizeof kseed);
    hush_rng_clear(&child);
    if (rc == HUSH_OK) rc = hush_rng_derive(&c->rng, &master, "secagg.shamir");
    hush_rng_clear(&master);
    if (rc) goto fail;
    hush__sa_poly_init(c->coef, t, c->b, &c->rng);
    hush__sa_poly_init(c->coef + (size_t)5 * t, t, c->s_sk, &c->rng);
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
    if (!c || !sign_sk || !sign_pks || sk_len != 64 || pks_len != (size_t)c->cfg.n * 32) return HUSH_EARG;
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

int hush_secagg_client_round(const hush_secagg_client *c) { return c ? c->state : HUSH_EARG; }

size_t hush_secagg_client_max_message(const hush_secagg_client *c) {
    if (!c) return 0;
    size_t best = 0;
    for (int dir = 0; dir < 2; dir++)
        for (int r = 0; r <= 4; r++) {
            size_t s = hush__saw_size(&c->cfg, dir, r, c->m);
            if (s > best) best = s;
        }
    return best;
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
    const uint8_t *mine = mask ? c->s_pk : c->c_pk;
    uint32_t v = c->row[slot];
    const uint8_t *lo = c->id < v ? mine : their, *hi = c->id < v ? their : mine;
    return mask ? hush__sa_mask_seed(key, c->cfg.session, c->s_sk, their, lo, hi)
                : hush__sa_enc_key(key, c->cfg.session, c->c_sk, their, lo, hi);
}

static uint32_t count_flag(const hush_secagg_client *c, uint8_t f) {
    uint32_t k = 0;
    for (uint32_t j = 0; j < c->m; j++) k += (c->flags[j] & f) != 0;
    return k;
}

static int recv_keys(hush_secagg_client *c, const hush__saw_msg *msg) {
    int have_self = 0;
    for (uint32_t i = 0; i < msg->count; i++) {
        uint32_t v = hush__saw_id(msg, i);
        const uint8_t *e = hush__saw_entry(msg, i);
        if (hush__sa_slot(c->row, c->m, v) < 0) return HUSH_EFORMAT;
        if (v == c->id) {
            if (sodium_memcmp(e, c->c_pk, 32) || sodium_memcmp(e + 32, c->s_pk, 32)) return HUSH_ECRYPTO;
            have_self = 1;
        }
        if (c->cfg.authenticated) {
            uint8_t dg[64];
            hush__sa_adv_digest(dg, c->cfg.session, v, e, e + 32);
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

static int recv_shares(hush_secagg_client *c, const hush__saw_msg *msg) {
    uint8_t key[32], nonce[24], ad[24], plain[HUSH__SA_PLAINBYTES];
    int rc = HUSH_OK;
    uint32_t i;
    for (i = 0; i < msg->count && rc == HUSH_OK; i++) {
        uint32_t v = hush__saw_id(msg, i);
        long slot = hush__sa_slot(c->row, c->m, v);
        if (slot < 0 || !(c->flags[slot] & F_U1)) {
            rc = HUSH_EFORMAT;
            break;
        }
        if ((rc = pair_key(c, key, (uint32_t)slot, 0)) != HUSH_OK) break;
        nonce_for(nonce, v, c->id);
        ad_for(ad, &c->cfg, v, c->id);
        if (crypto_aead_xchacha20poly1305_ietf_decrypt(plain, NULL, NULL, hush__saw_entry(msg, i), HUSH__SA_CTBYTES,
                                                       ad, sizeof ad, nonce, key) != 0 ||
            hush__load32_le(plain) != v || hush__load32_le(plain + 4) != c->id || !hush__sa_share_valid(plain + 8) ||
            !hush__sa_share_valid(plain + 48)) {
            rc = HUSH_ECRYPTO;
            break;
        }
        memcpy(c->shares + (size_t)slot * 80, plain + 8, 80);
    }
    sodium_memzero(key, sizeof key);
    sodium_memzero(plain, sizeof plain);
    if (rc) { /* undo: nothing from this message is kept */
        for (uint32_t j = 0; j < c->m; j++)
            if (j != c->self) sodium_memzero(c->shares + (size_t)j * 80, 80);
        return rc;
    }
    for (i = 0; i < msg->count; i++) c->flags[hush__sa_slot(c->row, c->m, hush__saw_id(msg, i))] |= F_U2;
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
        if (in && !(c->flags[j] & F_U2)) return HUSH_EFORMAT; /* alive but never shared with us */
        if (v == c->id && !in) return HUSH_EFORMAT;
        k += (uint32_t)in;
    }
    memcpy(c->u3, msg->bitmap, msg->bitmap_len);
    /* The one decision point: each peer's share kind is fixed here, once. */
    for (uint32_t j = 0; j < c->m; j++) {
        uint32_t v = c->row[j];
        if (!(c->flags[j] & F_U2)) continue;
        if ((c->u3[v / 8] >> (v % 8)) & 1) {
            c->flags[j] |= F_U3;
            c->reveal[j] = HUSH__SA_KIND_B;
        } else {
            c->reveal[j] = HUSH__SA_KIND_SK;
        }
    }
    if (k < c->cfg.threshold) return abort_round(c);
    c->state = HUSH_SECAGG_ROUND_CONSISTENCY;
    c->pending = HUSH_SECAGG_ROUND_CONSISTENCY;
    return HUSH_OK;
}

static int recv_u4(hush_secagg_client *c, const hush__saw_msg *msg) {
    int have_self = 0;
    uint8_t dg[64];
    if (c->cfg.authenticated) hush__sa_u3_digest(dg, c->cfg.session, c->u3, ((size_t)c->cfg.n + 7) / 8);
    for (uint32_t i = 0; i < msg->count; i++) {
        uint32_t v = hush__saw_id(msg, i);
        long slot = hush__sa_slot(c->row, c->m, v);
        if (slot < 0 || !(c->flags[slot] & F_U3)) return HUSH_EFORMAT; /* U4 must be inside U3 */
        have_self |= v == c->id;
        if (c->cfg.authenticated &&
            crypto_sign_verify_detached(hush__saw_entry(msg, i), dg, 64, c->sign_pks + (size_t)v * 32) != 0)
            return HUSH_ECRYPTO;
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

static int build_shares(hush_secagg_client *c, uint8_t *out) {
    uint32_t t = c->cfg.threshold, count = 0;
    for (uint32_t j = 0; j < c->m; j++) count += j != c->self && (c->flags[j] & F_U1);
    size_t body = 4 + (size_t)count * (4 + HUSH__SA_CTBYTES);
    hush__saw_header(out, &c->cfg, HUSH__SAW_UP, 1, c->id, HUSH_SECAGG_SERVER_ID, body);
    uint8_t *p = out + HUSH_SECAGG_HEADERBYTES;
    hush__store32_le(p, count);
    p += 4;
    uint8_t key[32], nonce[24], ad[24], plain[HUSH__SA_PLAINBYTES];
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
        crypto_aead_xchacha20poly1305_ietf_encrypt(p + 4, NULL, plain, sizeof plain, ad, sizeof ad, NULL, nonce, key);
        p += 4 + HUSH__SA_CTBYTES;
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

int hush_secagg_client_next_message(hush_secagg_client *c, uint8_t *out, size_t cap, size_t *len) {
    if (!c || !len || (!out && cap)) return HUSH_EARG;
    *len = 0;
    if (c->pending < 0) return HUSH_OK;
    int r = c->pending;
    uint32_t count = 0;
    if (r == 1) {
        for (uint32_t j = 0; j < c->m; j++) count += j != c->self && (c->flags[j] & F_U1);
    } else if (r == 4) {
        count = count_flag(c, F_U2);
    }
    size_t need = hush__saw_size(&c->cfg, HUSH__SAW_UP, r, count);
    if (r == 0 && c->cfg.authenticated && !c->have_identity) return HUSH_ESTATE;
    if (r == 2 && !c->have_input) return HUSH_ESTATE;
    *len = need;
    if (cap < need) return HUSH_ERANGE;
    size_t body = need - HUSH_SECAGG_HEADERBYTES;
    uint8_t *p = out + HUSH_SECAGG_HEADERBYTES;
    int rc = HUSH_OK;
    if (r == 0) {
        hush__saw_header(out, &c->cfg, HUSH__SAW_UP, 0, c->id, HUSH_SECAGG_SERVER_ID, body);
        memcpy(p, c->c_pk, 32);
        memcpy(p + 32, c->s_pk, 32);
        if (c->cfg.authenticated) {
            uint8_t dg[64];
            hush__sa_adv_digest(dg, c->cfg.session, c->id, c->c_pk, c->s_pk);
            crypto_sign_detached(p + 64, NULL, dg, 64, c->sign_sk);
        }
    } else if (r == 1) {
        rc = build_shares(c, out);
    } else if (r == 2) {
        if (!c->masked) rc = mask_input(c);
        if (rc == HUSH_OK) {
            hush__saw_header(out, &c->cfg, HUSH__SAW_UP, 2, c->id, HUSH_SECAGG_SERVER_ID, body);
            hush__store32_le(p, c->cfg.dim);
            p[4] = (uint8_t)c->cfg.bits;
            hush__saw_pack_values(p + 5, c->x, c->cfg.dim, c->cfg.bits);
        }
    } else if (r == 3) {
        hush__saw_header(out, &c->cfg, HUSH__SAW_UP, 3, c->id, HUSH_SECAGG_SERVER_ID, body);
        if (c->cfg.authenticated) {
            uint8_t dg[64];
            hush__sa_u3_digest(dg, c->cfg.session, c->u3, ((size_t)c->cfg.n + 7) / 8);
            crypto_sign_detached(p, NULL, dg, 64, c->sign_sk);
        }
    } else {
        hush__saw_header(out, &c->cfg, HUSH__SAW_UP, 4, c->id, HUSH_SECAGG_SERVER_ID, body);
        hush__store32_le(p, count);
        p += 4;
        for (uint32_t j = 0; j < c->m; j++) {
            if (!(c->flags[j] & F_U2)) continue;
            int kind = c->reveal[j];
            /* reveal[] holds exactly one kind per peer; anything else is a broken invariant */
            if (kind != HUSH__SA_KIND_B && kind != HUSH__SA_KIND_SK) {
                rc = HUSH_ESTATE;
                break;
            }
            hush__store32_le(p, c->row[j]);
            p[4] = (uint8_t)kind;
            memcpy(p + 5, c->shares + (size_t)j * 80 + (kind == HUSH__SA_KIND_B ? 0 : 40), 40);
            p += 4 + 1 + 40;
        }
    }
    if (rc) {
        sodium_memzero(out, need);
        *len = 0;
        return rc;
    }
    c->pending = -1;
    if (r == 4) {
        c->state = HUSH_SECAGG_DONE;
        wipe_secrets(c);
    }
    return HUSH_OK;
}
