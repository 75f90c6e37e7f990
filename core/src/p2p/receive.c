/* What a hush_p2p receives (structures and overview in p2p_int.h): hush_p2p_receive and
 * hush_p2p_link_receive, and the handlers of the frames from the server (a bank's signed
 * description, the start of a session and its roles, dealer and relayed records, signalling,
 * the end of a session, a refusal).
 *
 * The model's parameters are shared as (W - E, E) with E the expansion of a key derived from
 * the session id: public, so both sides build their party at SESSION time without a message,
 * and harmless, because every opening that involves the parameters is masked by the dealer's
 * randomness, which neither the applicant nor the server-as-relay sees (hush/mpc.h). */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "base/alloc.h"
#include "base/fmt.h"
#include "hush/rng.h"
#include "io/netwire.h"
#include "io/p2pwire.h"
#include "mpc/role.h"
#include "p2p/p2p_int.h"

/* ---------------- names, reassembly, lookups ---------------- */

static void copy_name(char *dst, const uint8_t *p, size_t n) {
    memcpy(dst, p, n);
    dst[n] = 0;
}

static int name_eq(const char *s, hush__nw_name n) { return strlen(s) == n.len && !memcmp(s, n.p, n.len); }

static size_t rx_limit(const hush_mpc_party *r) { return r->lay.rx + HUSH_CHANNEL_OVERHEAD_BYTES; }

/* Appends one fragment of a record. HUSH_ERANGE past limit. */
static int rx_add(const hush_allocator *a, rxbuf *b, const uint8_t *d, size_t n, size_t limit) {
    if (n > limit || b->len > limit - n) return HUSH_ERANGE;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        while (cap < b->len + n) cap = cap > limit / 2 ? limit : cap * 2;
        uint8_t *p = hush__alloc(a, cap);
        if (!p) return HUSH_ENOMEM;
        if (b->len) memcpy(p, b->p, b->len);
        if (b->p) hush__free_wipe(a, b->p, b->cap);
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, d, n);
    b->len += n;
    return HUSH_OK;
}

static sess *find_sid(const hush_p2p *p, const uint8_t *sid) {
    for (uint32_t i = 0; i < p->cfg.max_sessions; i++) {
        sess *s = p->slots[i];
        if (s && (s->state == S_RUNNING || s->state == S_DONE) && !memcmp(s->sid, sid, SID)) return s;
    }
    return NULL;
}

static sess *find_req(const hush_p2p *p, uint32_t req) {
    sess *s = hush__p2p_slot_get(p, req);
    return s && s->state == S_OPENING ? s : NULL;
}

/* 1 if bank/pk is acceptable: no pins, or pinned with this key. */
static int pinned_ok(const hush_p2p *p, const char *bank, const uint8_t *pk) {
    if (!p->n_pins) return 1;
    for (size_t i = 0; i < p->n_pins; i++)
        if (!strcmp(p->pins[i].name, bank)) return sodium_memcmp(p->pins[i].pk, pk, 32) == 0;
    return 0;
}

/* ---------------- frames from the server ---------------- */

static int on_model(hush_p2p *p, const hush__pw_msg *m) {
    if (p->cfg.role != HUSH_P2P_APPLICANT) return HUSH_ESTATE;
    char bank[HUSH_NET_NAME_MAX + 1];
    copy_name(bank, m->name.p, m->name.len);
    hush_p2p_event e;
    hush__p2p_ev_init(&e, HUSH_P2P_EV_MODEL);
    hush__fmt(e.peer, sizeof e.peer, "%s", bank);
    e.flags = m->flags;
    size_t tl = hush__pw_model_transcript_size(bank, m->desc_len);
    uint8_t *tr = hush__alloc(p->a, tl);
    if (!tr) return HUSH_ENOMEM;
    int rc = hush__pw_model_transcript(tr, tl, &tl, bank, m->pk, m->flags, m->max_rows, m->desc, m->desc_len);
    if (rc == HUSH_OK && crypto_sign_verify_detached(m->sig, tr, tl, m->pk) != 0) rc = HUSH_ECRYPTO;
    hush__free(p->a, tr, hush__pw_model_transcript_size(bank, m->desc_len));
    if (rc == HUSH_OK && !pinned_ok(p, bank, m->pk)) {
        e.code = HUSH_P2P_E_IDENTITY;
        hush__p2p_ev_text(&e, "the bank's identity key is not the one pinned");
        hush__p2p_push_event(p, &e, NULL, 0);
        return HUSH_ECRYPTO;
    }
    bank_desc *b = NULL;
    if (rc == HUSH_OK) {
        b = hush__calloc(p->a, 1, sizeof *b);
        if (!b) rc = HUSH_ENOMEM;
    }
    if (rc == HUSH_OK) {
        memcpy(b->name, bank, sizeof bank);
        memcpy(b->pk, m->pk, 32);
        b->flags = m->flags;
        b->max_rows = m->max_rows;
        b->desc = hush__alloc(p->a, m->desc_len);
        if (!b->desc) rc = HUSH_ENOMEM;
    }
    if (rc == HUSH_OK) {
        memcpy(b->desc, m->desc, m->desc_len);
        b->desc_len = m->desc_len;
        crypto_generichash(b->hash, sizeof b->hash, b->desc, b->desc_len, NULL, 0);
        rc = hush__pw_desc_split(b->desc, b->desc_len, &b->model_file, &b->model_len, &b->schema, &b->schema_len);
    }
    if (rc == HUSH_OK) rc = hush_model_load(&b->model, b->model_file, b->model_len, 1, p->a);
    if (rc == HUSH_OK) rc = hush_mpc_model_public(&b->pub, b->model, p->a);
    if (rc != HUSH_OK) {
        if (b) hush__p2p_bank_free(p->a, b);
        e.code = rc == HUSH_ECRYPTO ? HUSH_P2P_E_PROTOCOL : rc;
        hush__p2p_ev_text(&e, rc == HUSH_ECRYPTO ? "the bank's description is not signed by its identity"
                                       : "the bank's description is not usable");
        hush__p2p_push_event(p, &e, NULL, 0);
        return rc;
    }
    /* replace an older description of the same bank unless a session still uses it */
    for (bank_desc **pp = &p->banks; *pp; pp = &(*pp)->next) {
        if (strcmp((*pp)->name, bank)) continue;
        bank_desc *old = *pp;
        int used = 0;
        for (uint32_t i = 0; i < p->cfg.max_sessions; i++)
            used |= p->slots[i] && p->slots[i]->state != S_FREE && p->slots[i]->bank == old;
        if (used) {
            old->name[0] = 0; /* no new session finds it */
        } else {
            *pp = old->next;
            hush__p2p_bank_free(p->a, old);
        }
        break;
    }
    b->next = p->banks;
    p->banks = b;
    hush__p2p_push_event(p, &e, b->schema, b->schema_len);
    return HUSH_OK;
}

static int channel_new(hush_p2p *p, sess *s, hush_channel **ch, uint32_t side, uint32_t local, uint32_t peer,
                       const uint8_t *peer_pk) {
    hush_channel_config cc;
    int rc = hush_channel_config_init(&cc, side, s->sid, SID, local, peer);
    if (rc == HUSH_OK) rc = hush_channel_create(ch, NULL, &cc, p->sk, sizeof p->sk, peer_pk, 32, p->a);
    return rc;
}

/* Moves handshake messages between the applicant's two in-process channel ends. */
static int local_handshake(sess *s) {
    uint8_t buf[HUSH_CHANNEL_HANDSHAKE_MAX_BYTES], none[1];
    for (int step = 0; step < 3; step++) {
        hush_channel *from = step == 1 ? s->ch_lp : s->ch_lc, *to = step == 1 ? s->ch_lc : s->ch_lp;
        size_t w = 0, n0 = 0;
        int rc = hush_channel_next_message(from, buf, sizeof buf, &w);
        if (rc == HUSH_OK) rc = hush_channel_receive(to, none, sizeof none, &n0, buf, w);
        if (rc != HUSH_OK) return rc;
    }
    return HUSH_OK;
}

/* The session's roles: the bank's party 0, the applicant's party 1 and client. */
static int start_roles(hush_p2p *p, sess *s) {
    int bank = p->cfg.role == HUSH_P2P_BANK;
    const hush_model *m = bank ? p->model : s->bank->model;
    hush_mpc_config cfg;
    int rc = hush_mpc_config_init(&cfg, HUSH_MPC_PREDICT);
    if (rc) return rc;
    cfg.n_parties = 2;
    cfg.frac_bits = FRAC;
    cfg.rows = s->rows;
    cfg.output = HUSH_MPC_OUTPUT_DECISION;
    memcpy(cfg.session, s->sid, SID);
    /* the parameters' sharing (W - E, E), E from the session id (see the top of this file) */
    uint8_t key[32];
    hush_rng rng;
    hush_mpc_model *shares[2] = {NULL, NULL};
    crypto_generichash(key, sizeof key, s->sid, SID, (const uint8_t *)"hush-p2p-model-v1", 17);
    rc = hush_rng_init(&rng, key);
    sodium_memzero(key, sizeof key);
    if (rc == HUSH_OK) rc = hush_mpc_model_share(shares, 2, &rng, m, FRAC, p->a);
    hush_rng_clear(&rng);
    uint32_t me = bank ? 0 : 1;
    if (rc == HUSH_OK) rc = hush_mpc_party_create(&s->party, NULL, &cfg, me, shares[me], p->guard, p->a);
    hush_mpc_model_free(shares[0]);
    hush_mpc_model_free(shares[1]);
    if (rc != HUSH_OK) return rc;
    uint32_t side = bank ? HUSH_CHANNEL_RESPONDER : HUSH_CHANNEL_INITIATOR;
    rc = channel_new(p, s, &s->ch_dealer, HUSH_CHANNEL_RESPONDER, me, HUSH_MPC_ROLE_DEALER, s->dealer_pk);
    if (rc == HUSH_OK) rc = channel_new(p, s, &s->ch_party, side, me, 1 - me, s->peer_pk);
    if (rc == HUSH_OK)
        rc = bank ? channel_new(p, s, &s->ch_client, side, 0, HUSH_MPC_ROLE_CLIENT, s->peer_pk)
                  : channel_new(p, s, &s->ch_client, side, HUSH_MPC_ROLE_CLIENT, 0, s->peer_pk);
    if (bank || rc != HUSH_OK) return rc;
    rc = hush_mpc_party_create(&s->client, NULL, &cfg, HUSH_MPC_ROLE_CLIENT, s->bank->pub, NULL, p->a);
    if (rc == HUSH_OK) rc = hush_mpc_party_set_input(s->client, s->x, s->x_len, NULL, 0, NULL, 0);
    if (s->x) hush__free_wipe(p->a, s->x, s->x_len * sizeof *s->x);
    s->x = NULL;
    s->x_len = 0;
    if (rc == HUSH_OK) rc = channel_new(p, s, &s->ch_lc, HUSH_CHANNEL_INITIATOR, HUSH_MPC_ROLE_CLIENT, 1, p->pk);
    if (rc == HUSH_OK) rc = channel_new(p, s, &s->ch_lp, HUSH_CHANNEL_RESPONDER, 1, HUSH_MPC_ROLE_CLIENT, p->pk);
    if (rc == HUSH_OK) rc = local_handshake(s);
    if (rc == HUSH_OK) rc = hush_mpc_party_attach(s->client, s->ch_lc);
    if (rc == HUSH_OK) rc = hush_mpc_party_attach(s->party, s->ch_lp);
    /* the initiator's HELLOs wait for the link */
    uint8_t hello[HUSH_CHANNEL_HANDSHAKE_MAX_BYTES];
    size_t w = 0;
    if (rc == HUSH_OK) rc = hush_channel_next_message(s->ch_party, hello, sizeof hello, &w);
    if (rc == HUSH_OK && w) rc = hush__p2p_link_send(p, s, HUSH__PW_TAG_PARTY, hello, w);
    if (rc == HUSH_OK) rc = hush_channel_next_message(s->ch_client, hello, sizeof hello, &w);
    if (rc == HUSH_OK && w) rc = hush__p2p_link_send(p, s, HUSH__PW_TAG_CLIENT, hello, w);
    return rc;
}

static int on_session(hush_p2p *p, const hush__pw_msg *m) {
    int bank = p->cfg.role == HUSH_P2P_BANK;
    char peer[HUSH_NET_NAME_MAX + 1];
    copy_name(peer, m->name.p, m->name.len);
    if (m->role != (bank ? 0u : 1u)) return HUSH_EFORMAT;
    if (find_sid(p, m->session)) return HUSH_ESTATE;
    sess *s;
    if (bank) {
        s = p->model ? hush__p2p_slot_new(p) : NULL;
        if (!s) {
            /* no slot to fail: refuse straight away */
            sess tmp;
            memset(&tmp, 0, sizeof tmp);
            memcpy(tmp.sid, m->session, SID);
            int rc = hush__p2p_queue_end(p, &tmp, HUSH_P2P_E_BUSY,
                                         p->model ? "the bank has no free session slot" : "not serving");
            return rc ? rc : HUSH_ERANGE;
        }
        s->rows = m->rows;
        s->link = HUSH_P2P_LINK_NONE;
        s->want = m->link;
    } else {
        s = find_req(p, m->req);
        if (!s) return HUSH_ESTATE;
    }
    memcpy(s->sid, m->session, SID);
    memcpy(s->peer_pk, m->pk, 32);
    memcpy(s->dealer_pk, m->dealer_pk, 32);
    hush__fmt(s->peer, sizeof s->peer, "%s", peer);
    s->state = S_RUNNING;
    s->bytes_in += (uint64_t)(HUSH__NW_HEADER_BYTES + 4 + SID + 4 + 1 + 64 + 8 + HUSH_P2P_HASH_BYTES) + m->name.len;
    const char *why = NULL;
    int32_t code = HUSH_P2P_E_REFUSED;
    if (bank) {
        if (sodium_memcmp(m->hash, p->desc_hash, sizeof p->desc_hash) != 0) why = "not this bank's description";
        else if (m->rows > p->cfg.max_rows) why = "too many rows", code = HUSH_P2P_E_BUSY;
    } else {
        if (!name_eq(s->bank->name, m->name) || sodium_memcmp(m->pk, s->bank->pk, 32) != 0)
            why = "the server named another bank or key", code = HUSH_P2P_E_IDENTITY;
        else if (sodium_memcmp(m->hash, s->bank->hash, sizeof s->bank->hash) != 0)
            why = "the bank's description changed";
        else if (m->rows != s->rows) why = "the server changed the number of rows";
        else if (m->link != s->want) why = "the server changed the link";
    }
    if (!why && p->has_dealer_pin && sodium_memcmp(m->dealer_pk, p->dealer_pin, 32) != 0)
        why = "the dealer's identity key is not the one pinned", code = HUSH_P2P_E_IDENTITY;
    if (why) {
        hush__p2p_fail(p, s, code, why, 1);
        return HUSH_ECRYPTO;
    }
    int rc = start_roles(p, s);
    if (rc == HUSH_ESTATE) {
        hush__p2p_fail(p, s, HUSH_P2P_E_REFUSED, "session id used before: replay refused", 1);
        return rc;
    }
    if (rc == HUSH_OK && !bank && s->want == HUSH_P2P_LINK_RELAY) rc = hush__p2p_set_link(p, s, HUSH_P2P_LINK_RELAY);
    if (rc != HUSH_OK) {
        hush__p2p_fail_rc(p, s, rc, "starting the session");
        return rc;
    }
    hush_p2p_event e;
    hush__p2p_ev_init(&e, HUSH_P2P_EV_SESSION);
    e.slot = s->id;
    e.rows = s->rows;
    e.link = s->want;
    memcpy(e.session, s->sid, SID);
    hush__fmt(e.peer, sizeof e.peer, "%s", s->peer);
    hush__p2p_push_event(p, &e, NULL, 0);
    return HUSH_OK;
}

/* A handshake message for a channel not attached yet; the reply goes back the same way. */
static int handshake(hush_p2p *p, sess *s, hush_channel *ch, const uint8_t *msg, size_t len, int dealer,
                     uint32_t tag) {
    uint8_t none[1], reply[HUSH_CHANNEL_HANDSHAKE_MAX_BYTES];
    size_t n0 = 0, w = 0;
    int rc = hush_channel_receive(ch, none, sizeof none, &n0, msg, len);
    if (rc == HUSH_OK) rc = hush_channel_next_message(ch, reply, sizeof reply, &w);
    if (rc != HUSH_OK || !w) return rc;
    if (!dealer) return hush__p2p_link_send(p, s, tag, reply, w);
    size_t size = HUSH__PW_DEALER_PREFIX + w;
    qitem *it;
    rc = hush__p2p_q_push(p->a, &p->out, 0, NULL, size, &it);
    if (rc) return rc;
    hush__pw_dealer_header(it->data, s->sid, 0, w);
    memcpy(it->data + HUSH__PW_DEALER_PREFIX, reply, w);
    s->bytes_out += size;
    return HUSH_OK;
}

static int on_dealer(hush_p2p *p, sess *s, const hush__pw_msg *m) {
    int rc = rx_add(p->a, &s->rx_dealer, m->payload, m->payload_len, rx_limit(s->party));
    if (rc != HUSH_OK || (m->flags & HUSH__PW_FLAG_MORE)) return rc;
    if (s->att_dealer) rc = hush__p2p_q_push(p->a, &s->q[Q_DEALER], 0, s->rx_dealer.p, s->rx_dealer.len, NULL);
    else rc = handshake(p, s, s->ch_dealer, s->rx_dealer.p, s->rx_dealer.len, 1, 0);
    sodium_memzero(s->rx_dealer.p, s->rx_dealer.len);
    s->rx_dealer.len = 0;
    return rc;
}

/* One link frame (relayed or direct). */
static int on_link(hush_p2p *p, sess *s, const uint8_t *f, size_t len) {
    uint32_t tag, flags;
    const uint8_t *b;
    size_t n;
    int rc = hush__pw_link_decode(f, len, &tag, &flags, &b, &n);
    if (rc) return rc;
    int bank = p->cfg.role == HUSH_P2P_BANK;
    hush_mpc_party *r = tag == HUSH__PW_TAG_PARTY || bank ? s->party : s->client;
    rxbuf *rx = &s->rx_link[tag - 1];
    rc = rx_add(p->a, rx, b, n, rx_limit(r));
    if (rc != HUSH_OK || (flags & HUSH__PW_FLAG_MORE)) return rc;
    hush_channel *ch = tag == HUSH__PW_TAG_PARTY ? s->ch_party : s->ch_client;
    int attached = tag == HUSH__PW_TAG_PARTY ? s->att_party : s->att_client;
    int q = tag == HUSH__PW_TAG_PARTY ? Q_PEER_PARTY : Q_PEER_CLIENT;
    if (attached) rc = hush__p2p_q_push(p->a, &s->q[q], 0, rx->p, rx->len, NULL);
    else rc = handshake(p, s, ch, rx->p, rx->len, 0, tag);
    sodium_memzero(rx->p, rx->len);
    rx->len = 0;
    return rc;
}

static int on_signal(hush_p2p *p, sess *s, const hush__pw_msg *m) {
    size_t tl = hush__pw_signal_transcript_size(s->peer, p->name, m->payload_len);
    uint8_t *tr = hush__alloc(p->a, tl);
    if (!tr) return HUSH_ENOMEM;
    int rc = hush__pw_signal_transcript(tr, tl, &tl, s->sid, s->peer, p->name, m->kind, m->seq, m->payload,
                                        m->payload_len);
    if (rc == HUSH_OK && crypto_sign_verify_detached(m->sig, tr, tl, s->peer_pk) != 0) rc = HUSH_ECRYPTO;
    hush__free(p->a, tr, hush__pw_signal_transcript_size(s->peer, p->name, m->payload_len));
    if (rc == HUSH_OK && m->seq <= s->sig_in) rc = HUSH_ECRYPTO; /* replayed within the session */
    if (rc != HUSH_OK) {
        hush__p2p_fail(p, s, HUSH_P2P_E_PROTOCOL, "a signalling message not signed by the peer: refused", 1);
        return rc;
    }
    s->sig_in = m->seq;
    hush_p2p_event e;
    hush__p2p_ev_init(&e, HUSH_P2P_EV_SIGNAL);
    e.slot = s->id;
    e.signal = m->kind;
    memcpy(e.session, s->sid, SID);
    hush__fmt(e.peer, sizeof e.peer, "%s", s->peer);
    hush__p2p_push_event(p, &e, m->payload, m->payload_len);
    return HUSH_OK;
}

/* The server ended a session (the peer left or refused it, a timeout). */
static int on_end(hush_p2p *p, const hush__pw_msg *m) {
    sess *s = find_sid(p, m->session);
    if (!s || s->state != S_RUNNING) return HUSH_OK; /* already over */
    char t[HUSH_NET_ERROR_TEXT_MAX + 1];
    copy_name(t, m->text, m->text_len);
    hush__p2p_fail(p, s, m->code ? m->code : HUSH_P2P_E_REFUSED, m->text_len ? t : "the server ended the session", 0);
    return HUSH_OK;
}

/* The server refused an OPEN (req) or a DESCRIBE (req 0). */
static int on_refuse(hush_p2p *p, const hush__pw_msg *m) {
    if (p->cfg.role != HUSH_P2P_APPLICANT) return HUSH_ESTATE;
    char t[HUSH_NET_ERROR_TEXT_MAX + 1], bank[HUSH_NET_NAME_MAX + 1];
    copy_name(t, m->text, m->text_len);
    copy_name(bank, m->name.p, m->name.len);
    if (m->req) {
        sess *s = find_req(p, m->req);
        if (s && !strcmp(s->peer, bank)) hush__p2p_fail(p, s, m->code, t, 0);
        return HUSH_OK;
    }
    hush_p2p_event e;
    hush__p2p_ev_init(&e, HUSH_P2P_EV_MODEL);
    hush__fmt(e.peer, sizeof e.peer, "%s", bank);
    e.code = m->code;
    hush__p2p_ev_text(&e, t);
    hush__p2p_push_event(p, &e, NULL, 0);
    return HUSH_OK;
}

static int p2p_frame(hush_p2p *p, const uint8_t *msg, size_t len) {
    hush__pw_msg m;
    size_t max = p->cfg.frame_max + (size_t)HUSH_P2P_DESC_MAX + 1024;
    int rc = hush__pw_decode(&m, msg, len, max);
    if (rc != HUSH_OK) return rc;
    if (!p->ready) return HUSH_ESTATE;
    sess *s = NULL;
    switch (m.type) {
    case HUSH_P2P_MSG_MODEL: return on_model(p, &m);
    case HUSH_P2P_MSG_SESSION: return on_session(p, &m);
    case HUSH_P2P_MSG_END: return on_end(p, &m);
    case HUSH_P2P_MSG_REFUSE: return on_refuse(p, &m);
    case HUSH_P2P_MSG_DEALER:
    case HUSH_P2P_MSG_RELAY:
    case HUSH_P2P_MSG_SIGNAL:
        s = find_sid(p, m.session);
        if (!s || s->state != S_RUNNING) return HUSH_ESTATE; /* late frames of a finished session */
        s->bytes_in += len;
        if (m.type == HUSH_P2P_MSG_DEALER) {
            rc = on_dealer(p, s, &m);
        } else if (m.type == HUSH_P2P_MSG_SIGNAL) {
            return on_signal(p, s, &m);
        } else {
            if (s->link == HUSH_P2P_LINK_NONE && p->cfg.role == HUSH_P2P_BANK)
                rc = hush__p2p_set_link(p, s, HUSH_P2P_LINK_RELAY);
            else if (s->link != HUSH_P2P_LINK_RELAY) rc = HUSH_ESTATE;
            if (rc == HUSH_OK) rc = on_link(p, s, m.payload, m.payload_len);
        }
        if (rc != HUSH_OK) {
            hush__p2p_fail_rc(p, s, rc,
                              m.type == HUSH_P2P_MSG_DEALER ? "a dealer message was refused"
                                                            : "a relayed message was refused");
            return rc;
        }
        hush__p2p_pump(p, s);
        return HUSH_OK;
    default: return HUSH_ESTATE; /* a client-to-server type */
    }
}

static void net_events(hush_p2p *p) {
    hush_net_event ne;
    for (hush_net_client_event(p->net, &ne); ne.kind; hush_net_client_event(p->net, &ne)) {
        hush_p2p_event e;
        if (ne.kind == HUSH_NET_EV_WELCOME) {
            p->ready = 1;
            if (p->serve_frame) (void)hush__p2p_out_frame(p, p->serve_frame, p->serve_len);
            hush__p2p_ev_init(&e, HUSH_P2P_EV_READY);
            e.flags = ne.flags;
            hush__fmt(e.peer, sizeof e.peer, "%s", p->name);
            hush__p2p_push_event(p, &e, NULL, 0);
        } else if (ne.kind == HUSH_NET_EV_ERROR) {
            hush__p2p_ev_init(&e, HUSH_P2P_EV_ERROR);
            e.code = ne.code;
            hush__p2p_ev_text(&e, ne.text);
            hush__p2p_push_event(p, &e, NULL, 0);
        }
    }
}

/* ---------------- the entry points ---------------- */

int hush_p2p_receive(hush_p2p *p, const uint8_t *msg, size_t len) {
    if (!p || (!msg && len)) return HUSH_EARG;
    if (len >= 4 && msg[3] >= HUSH_P2P_MSG_FIRST && msg[3] <= HUSH_P2P_MSG_LAST) return p2p_frame(p, msg, len);
    int rc = hush_net_client_receive(p->net, msg, len);
    net_events(p);
    return rc;
}

int hush_p2p_link_receive(hush_p2p *p, uint32_t slot, const uint8_t *msg, size_t len) {
    if (!p || (!msg && len)) return HUSH_EARG;
    sess *s = hush__p2p_slot_get(p, slot);
    if (!s || s->state != S_RUNNING) return HUSH_ESTATE;
    if (s->link != HUSH_P2P_LINK_DIRECT) return HUSH_ESTATE;
    s->bytes_in += len;
    int rc = on_link(p, s, msg, len);
    if (rc != HUSH_OK) {
        hush__p2p_fail_rc(p, s, rc, "a message on the direct link was refused");
        return rc;
    }
    hush__p2p_pump(p, s);
    return HUSH_OK;
}
