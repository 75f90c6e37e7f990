/* The authenticated channel of hush/channel.h: a three-message signed X25519 handshake, then
 * XChaCha20-Poly1305 records with per-direction keys and counters. Every incoming message is
 * checked completely on copies before the state changes, so a refused one leaves no trace. */
#include <string.h>

#include <sodium.h>

#include "base/alloc.h"
#include "channel/channel.h"
#include "io/buf.h"
#include "io/chanwire.h"

enum phase {
    INIT_WAIT_REPLY = 1, /* initiator: HELLO pending or sent */
    RESP_WAIT_HELLO,
    RESP_WAIT_FINISH, /* responder: REPLY pending or sent */
    OPEN
};

struct hush_channel {
    hush_allocator alloc;
    int has_alloc;
    hush_channel_config cfg;
    uint32_t phase;
    int sent_close, peer_closed;
    uint8_t sign_sk[HUSH_CHANNEL_SECRET_KEY_BYTES]; /* wiped once this side has signed */
    uint8_t own_pk[32], peer_pk[32];
    uint8_t e_sk[32], e_pk[32]; /* e_sk wiped once the keys exist */
    uint8_t th[64];
    uint8_t k_send[32], k_recv[32];
    uint64_t send_ctr, recv_ctr;
    uint8_t pending[HUSH_CHANNEL_HANDSHAKE_MAX_BYTES];
    size_t pending_len;
};

static const char LABEL_TH[] = "hush-channel-v1";
static const char LABEL_KEYS[] = "hush-channel-v1 keys";
static const char LABEL_SIG_I[] = "hush-channel-v1 initiator";
static const char LABEL_SIG_R[] = "hush-channel-v1 responder";

int hush_channel_config_init(hush_channel_config *cfg, uint32_t side, const uint8_t *session, size_t session_len,
                             uint32_t local_role, uint32_t peer_role) {
    if (!cfg) return HUSH_EARG;
    memset(cfg, 0, sizeof *cfg);
    if (side != HUSH_CHANNEL_INITIATOR && side != HUSH_CHANNEL_RESPONDER) return HUSH_EARG;
    if (!session || session_len != HUSH_CHANNEL_SESSION_BYTES || local_role == peer_role) return HUSH_EARG;
    if (sodium_is_zero(session, session_len)) return HUSH_EARG;
    cfg->version = HUSH_CHANNEL_CONFIG_VERSION;
    cfg->side = side;
    cfg->local_role = local_role;
    cfg->peer_role = peer_role;
    memcpy(cfg->session, session, HUSH_CHANNEL_SESSION_BYTES);
    return HUSH_OK;
}

static int config_check(const hush_channel_config *cfg) {
    if (!cfg || cfg->version != HUSH_CHANNEL_CONFIG_VERSION) return HUSH_EARG;
    if (cfg->side != HUSH_CHANNEL_INITIATOR && cfg->side != HUSH_CHANNEL_RESPONDER) return HUSH_EARG;
    if (cfg->local_role == cfg->peer_role || sodium_is_zero(cfg->session, sizeof cfg->session)) return HUSH_EARG;
    return HUSH_OK;
}

/* 32 bytes of secret randomness from rng, or from a stream the OS seeds when rng is NULL. */
static int random_bytes(hush_rng *rng, uint8_t out[32]) {
    if (rng) return hush_rng_bytes(rng, out, 32);
    hush_rng os;
    int rc = hush_rng_init_random(&os);
    if (rc == HUSH_OK) rc = hush_rng_bytes(&os, out, 32);
    hush_rng_clear(&os);
    return rc;
}

int hush_channel_keypair(hush_rng *rng, uint8_t *public_key, size_t public_key_len, uint8_t *secret_key,
                         size_t secret_key_len) {
    if (!public_key || !secret_key || public_key_len != HUSH_CHANNEL_PUBLIC_KEY_BYTES ||
        secret_key_len != HUSH_CHANNEL_SECRET_KEY_BYTES)
        return HUSH_EARG;
    int rc = hush_init();
    if (rc != HUSH_OK) return rc;
    uint8_t seed[32];
    rc = random_bytes(rng, seed);
    if (rc == HUSH_OK && crypto_sign_seed_keypair(public_key, secret_key, seed) != 0) rc = HUSH_ECRYPTO;
    sodium_memzero(seed, sizeof seed);
    return rc;
}

void hush_channel_free(hush_channel *ch) {
    if (!ch) return;
    hush_allocator acopy = ch->alloc;
    const hush_allocator *a = ch->has_alloc ? &acopy : NULL;
    sodium_memzero(ch, sizeof *ch);
    hush__free(a, ch, sizeof *ch);
}

int hush_channel_create(hush_channel **out, hush_rng *rng, const hush_channel_config *cfg, const uint8_t *secret_key,
                        size_t secret_key_len, const uint8_t *peer_public_key, size_t peer_public_key_len,
                        const hush_allocator *alloc) {
    if (!hush__alloc_ok(alloc) || !out) return HUSH_EARG;
    *out = NULL;
    int rc = config_check(cfg);
    if (rc != HUSH_OK) return rc;
    if (!secret_key || secret_key_len != HUSH_CHANNEL_SECRET_KEY_BYTES || !peer_public_key ||
        peer_public_key_len != HUSH_CHANNEL_PUBLIC_KEY_BYTES)
        return HUSH_EARG;
    if ((rc = hush_init()) != HUSH_OK) return rc;
    hush_channel *ch = hush__calloc(alloc, 1, sizeof *ch);
    if (!ch) return HUSH_ENOMEM;
    if (alloc) ch->alloc = *alloc, ch->has_alloc = 1;
    ch->cfg = *cfg;
    memcpy(ch->sign_sk, secret_key, sizeof ch->sign_sk);
    crypto_sign_ed25519_sk_to_pk(ch->own_pk, ch->sign_sk);
    memcpy(ch->peer_pk, peer_public_key, sizeof ch->peer_pk);
    rc = random_bytes(rng, ch->e_sk);
    if (rc == HUSH_OK && crypto_scalarmult_base(ch->e_pk, ch->e_sk) != 0) rc = HUSH_ECRYPTO;
    if (rc != HUSH_OK) {
        hush_channel_free(ch);
        return rc;
    }
    if (cfg->side == HUSH_CHANNEL_INITIATOR) {
        hush__chanwire_hello(ch->pending, cfg->session, cfg->local_role, cfg->peer_role, ch->e_pk);
        ch->pending_len = HUSH__CHAN_HELLO_BYTES;
        ch->phase = INIT_WAIT_REPLY;
    } else {
        ch->phase = RESP_WAIT_HELLO;
    }
    *out = ch;
    return HUSH_OK;
}

uint32_t hush_channel_state(const hush_channel *ch) {
    if (!ch) return 0;
    if (ch->peer_closed) return HUSH_CHANNEL_STATE_CLOSED;
    /* the initiator's FINISH must leave before anything else: until then it is still handshaking */
    return ch->phase == OPEN && !ch->pending_len ? HUSH_CHANNEL_STATE_OPEN : HUSH_CHANNEL_STATE_HANDSHAKE;
}

int hush_channel_next_message(hush_channel *ch, uint8_t *out, size_t cap, size_t *written) {
    if (!ch || !written) return HUSH_EARG;
    *written = 0;
    if (!ch->pending_len) return HUSH_OK;
    if (!out || cap < ch->pending_len) {
        *written = ch->pending_len;
        return HUSH_ERANGE;
    }
    memcpy(out, ch->pending, ch->pending_len);
    *written = ch->pending_len;
    sodium_memzero(ch->pending, sizeof ch->pending);
    ch->pending_len = 0;
    return HUSH_OK;
}

/* th over the handshake, from the initiator's point of view. */
static void transcript(uint8_t th[64], const hush_channel *ch, const uint8_t *e_i, const uint8_t *e_r) {
    int init = ch->cfg.side == HUSH_CHANNEL_INITIATOR;
    uint8_t roles[8];
    hush__store32_le(roles, init ? ch->cfg.local_role : ch->cfg.peer_role);
    hush__store32_le(roles + 4, init ? ch->cfg.peer_role : ch->cfg.local_role);
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, 64);
    crypto_generichash_update(&st, (const uint8_t *)LABEL_TH, sizeof LABEL_TH - 1);
    crypto_generichash_update(&st, ch->cfg.session, HUSH_CHANNEL_SESSION_BYTES);
    crypto_generichash_update(&st, roles, sizeof roles);
    crypto_generichash_update(&st, init ? ch->own_pk : ch->peer_pk, 32);
    crypto_generichash_update(&st, init ? ch->peer_pk : ch->own_pk, 32);
    crypto_generichash_update(&st, e_i, 32);
    crypto_generichash_update(&st, e_r, 32);
    crypto_generichash_final(&st, th, 64);
}

/* The message a side signs: its label, then th. */
static void sig_message(uint8_t msg[25 + 64], const char *label, const uint8_t th[64]) {
    memcpy(msg, label, 25);
    memcpy(msg + 25, th, 64);
}

/* k_i2r || k_r2i from the ephemeral exchange and th. */
static int derive_keys(uint8_t k_i2r[32], uint8_t k_r2i[32], const uint8_t e_sk[32], const uint8_t peer_e[32],
                       const uint8_t th[64]) {
    uint8_t shared[32], okm[64];
    if (crypto_scalarmult(shared, e_sk, peer_e) != 0) { /* a low-order point: no shared secret */
        sodium_memzero(shared, sizeof shared);
        return HUSH_ECRYPTO;
    }
    crypto_generichash_state st;
    crypto_generichash_init(&st, shared, sizeof shared, sizeof okm);
    crypto_generichash_update(&st, (const uint8_t *)LABEL_KEYS, sizeof LABEL_KEYS - 1);
    crypto_generichash_update(&st, th, 64);
    crypto_generichash_final(&st, okm, sizeof okm);
    memcpy(k_i2r, okm, 32);
    memcpy(k_r2i, okm + 32, 32);
    sodium_memzero(&st, sizeof st);
    sodium_memzero(shared, sizeof shared);
    sodium_memzero(okm, sizeof okm);
    return HUSH_OK;
}

static int on_hello(hush_channel *ch, const hush__chan_msg *m) {
    if (ch->phase != RESP_WAIT_HELLO) return HUSH_ESTATE;
    if (sodium_memcmp(m->session, ch->cfg.session, HUSH_CHANNEL_SESSION_BYTES) != 0 || m->role_i != ch->cfg.peer_role ||
        m->role_r != ch->cfg.local_role)
        return HUSH_ESTATE;
    uint8_t th[64], k_i2r[32], k_r2i[32], msg[89], sig[64];
    transcript(th, ch, m->e, ch->e_pk);
    int rc = derive_keys(k_i2r, k_r2i, ch->e_sk, m->e, th);
    if (rc == HUSH_OK) {
        sig_message(msg, LABEL_SIG_R, th);
        crypto_sign_detached(sig, NULL, msg, sizeof msg, ch->sign_sk);
        memcpy(ch->th, th, sizeof th);
        memcpy(ch->k_recv, k_i2r, 32);
        memcpy(ch->k_send, k_r2i, 32);
        hush__chanwire_reply(ch->pending, ch->e_pk, sig);
        ch->pending_len = HUSH__CHAN_REPLY_BYTES;
        ch->phase = RESP_WAIT_FINISH;
        sodium_memzero(ch->e_sk, sizeof ch->e_sk);
        sodium_memzero(ch->sign_sk, sizeof ch->sign_sk);
    }
    sodium_memzero(k_i2r, sizeof k_i2r);
    sodium_memzero(k_r2i, sizeof k_r2i);
    return rc;
}

static int on_reply(hush_channel *ch, const hush__chan_msg *m) {
    /* The HELLO must have gone out: a REPLY cannot answer a message never sent. */
    if (ch->phase != INIT_WAIT_REPLY || ch->pending_len) return HUSH_ESTATE;
    uint8_t th[64], k_i2r[32], k_r2i[32], msg[89], sig[64];
    transcript(th, ch, ch->e_pk, m->e);
    sig_message(msg, LABEL_SIG_R, th);
    if (crypto_sign_verify_detached(m->sig, msg, sizeof msg, ch->peer_pk) != 0) return HUSH_ECRYPTO;
    int rc = derive_keys(k_i2r, k_r2i, ch->e_sk, m->e, th);
    if (rc == HUSH_OK) {
        sig_message(msg, LABEL_SIG_I, th);
        crypto_sign_detached(sig, NULL, msg, sizeof msg, ch->sign_sk);
        memcpy(ch->th, th, sizeof th);
        memcpy(ch->k_send, k_i2r, 32);
        memcpy(ch->k_recv, k_r2i, 32);
        hush__chanwire_finish(ch->pending, sig);
        ch->pending_len = HUSH__CHAN_FINISH_BYTES;
        ch->phase = OPEN;
        sodium_memzero(ch->e_sk, sizeof ch->e_sk);
        sodium_memzero(ch->sign_sk, sizeof ch->sign_sk);
    }
    sodium_memzero(k_i2r, sizeof k_i2r);
    sodium_memzero(k_r2i, sizeof k_r2i);
    return rc;
}

static int on_finish(hush_channel *ch, const hush__chan_msg *m) {
    if (ch->phase != RESP_WAIT_FINISH || ch->pending_len) return HUSH_ESTATE;
    uint8_t msg[89];
    sig_message(msg, LABEL_SIG_I, ch->th);
    if (crypto_sign_verify_detached(m->sig, msg, sizeof msg, ch->peer_pk) != 0) return HUSH_ECRYPTO;
    ch->phase = OPEN;
    return HUSH_OK;
}

static void nonce_of(uint8_t nonce[crypto_aead_xchacha20poly1305_ietf_NPUBBYTES], uint64_t counter) {
    memset(nonce, 0, crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
    hush__store64_le(nonce, counter);
}

int hush__channel_open(hush_channel *ch, uint8_t *out, size_t cap, size_t *written, int *close, const uint8_t *msg,
                       size_t len) {
    if (!ch || !written || !close || (!msg && len)) return HUSH_EARG;
    *written = 0;
    *close = 0;
    hush__chan_msg m;
    int rc = hush__chanwire_decode(&m, msg, len);
    if (rc != HUSH_OK) return rc;
    if (m.type != HUSH__CHAN_DATA && m.type != HUSH__CHAN_CLOSE) return HUSH_ESTATE;
    if (ch->phase != OPEN || ch->peer_closed) return HUSH_ESTATE;
    /* exactly the next record: a replayed, reordered or skipped one is refused before the tag */
    if (m.counter != ch->recv_ctr) return HUSH_ESTATE;
    if (m.length > cap || (!out && m.length)) {
        *written = m.length;
        return HUSH_ERANGE;
    }
    uint8_t nonce[crypto_aead_xchacha20poly1305_ietf_NPUBBYTES];
    nonce_of(nonce, m.counter);
    unsigned long long mlen = 0;
    uint8_t empty[1];
    if (crypto_aead_xchacha20poly1305_ietf_decrypt(m.length ? out : empty, &mlen, NULL, m.ciphertext,
                                                   (unsigned long long)m.length + HUSH_CHANNEL_TAG_BYTES, m.ad,
                                                   HUSH_CHANNEL_RECORD_HEADER_BYTES, nonce, ch->k_recv) != 0) {
        if (m.length) sodium_memzero(out, m.length);
        return HUSH_ECRYPTO;
    }
    *written = m.length;
    *close = m.type == HUSH__CHAN_CLOSE;
    return HUSH_OK;
}

void hush__channel_commit(hush_channel *ch, int close) {
    ch->recv_ctr++;
    if (close) ch->peer_closed = 1;
}

int hush_channel_receive(hush_channel *ch, uint8_t *out, size_t cap, size_t *written, const uint8_t *msg,
                         size_t len) {
    if (!ch || !written || (!msg && len)) return HUSH_EARG;
    *written = 0;
    hush__chan_msg m;
    int rc = hush__chanwire_decode(&m, msg, len);
    if (rc != HUSH_OK) return rc;
    switch (m.type) {
    case HUSH__CHAN_HELLO: return ch->cfg.side == HUSH_CHANNEL_RESPONDER ? on_hello(ch, &m) : HUSH_ESTATE;
    case HUSH__CHAN_REPLY: return ch->cfg.side == HUSH_CHANNEL_INITIATOR ? on_reply(ch, &m) : HUSH_ESTATE;
    case HUSH__CHAN_FINISH: return ch->cfg.side == HUSH_CHANNEL_RESPONDER ? on_finish(ch, &m) : HUSH_ESTATE;
    default: break;
    }
    int close = 0;
    rc = hush__channel_open(ch, out, cap, written, &close, msg, len);
    if (rc == HUSH_OK) hush__channel_commit(ch, close);
    return rc;
}

static int seal(hush_channel *ch, uint32_t type, uint8_t *out, size_t cap, size_t *written, const uint8_t *plain,
                size_t len) {
    if (!ch || !written || (!plain && len)) return HUSH_EARG;
    *written = 0;
    if (ch->phase != OPEN || ch->pending_len || ch->sent_close) return HUSH_ESTATE;
    if (len > HUSH_CHANNEL_MAX_PAYLOAD_BYTES) return HUSH_ERANGE;
    if (ch->send_ctr == UINT64_MAX) return HUSH_ERANGE;
    size_t total = (size_t)len + HUSH_CHANNEL_OVERHEAD_BYTES; /* len <= 2^30: no wrap on 32 bits */
    if (!out || cap < total) {
        *written = total;
        return HUSH_ERANGE;
    }
    uint8_t *body = out + HUSH_CHANNEL_RECORD_HEADER_BYTES;
    /* Only exact in-place sealing may overlap: the header must not be written over the input. */
    uintptr_t o = (uintptr_t)out, q = (uintptr_t)plain;
    if (len && plain != body && q < o + total && o < q + len) return HUSH_EARG;
    hush__chanwire_record_header(out, type, ch->send_ctr, (uint32_t)len);
    uint8_t nonce[crypto_aead_xchacha20poly1305_ietf_NPUBBYTES];
    nonce_of(nonce, ch->send_ctr);
    unsigned long long clen = 0;
    uint8_t empty[1] = {0};
    crypto_aead_xchacha20poly1305_ietf_encrypt(body, &clen, len ? plain : empty, len, out,
                                               HUSH_CHANNEL_RECORD_HEADER_BYTES, NULL, nonce, ch->k_send);
    ch->send_ctr++;
    *written = total;
    return HUSH_OK;
}

int hush_channel_seal(hush_channel *ch, uint8_t *out, size_t cap, size_t *written, const uint8_t *plain, size_t len) {
    return seal(ch, HUSH__CHAN_DATA, out, cap, written, plain, len);
}

int hush_channel_close(hush_channel *ch, uint8_t *out, size_t cap, size_t *written) {
    int rc = seal(ch, HUSH__CHAN_CLOSE, out, cap, written, NULL, 0);
    if (rc == HUSH_OK) ch->sent_close = 1;
    return rc;
}

const uint8_t *hush__channel_session(const hush_channel *ch) { return ch->cfg.session; }
uint32_t hush__channel_local_role(const hush_channel *ch) { return ch->cfg.local_role; }
uint32_t hush__channel_peer_role(const hush_channel *ch) { return ch->cfg.peer_role; }
int hush__channel_ready(const hush_channel *ch) {
    return ch && ch->phase == OPEN && !ch->pending_len && !ch->sent_close && !ch->peer_closed;
}
