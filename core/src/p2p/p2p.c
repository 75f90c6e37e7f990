/* The applicant's and the bank's side of p2p sessions (protocol and threat model in hush/p2p.h;
 * structures and overview in p2p_int.h, sessions in session.c, what comes in in receive.c): the
 * configuration, create, free and reset, pins, a bank serving its model, an applicant asking for
 * descriptions and applying, and what goes out (frames to the server and on the direct link,
 * signalling, events, results). */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "base/alloc.h"
#include "base/fmt.h"
#include "io/netwire.h"
#include "io/p2pwire.h"
#include "p2p/p2p_int.h"

/* ---------------- create / free ---------------- */

int hush_p2p_config_init(hush_p2p_config *cfg, uint32_t role) {
    if (!cfg) return HUSH_EARG;
    memset(cfg, 0, sizeof *cfg);
    if (role != HUSH_P2P_BANK && role != HUSH_P2P_APPLICANT) return HUSH_EARG;
    cfg->version = HUSH_P2P_CONFIG_VERSION;
    cfg->role = role;
    cfg->max_sessions = 256;
    cfg->max_rows = 256;
    cfg->frame_max = HUSH_P2P_DEFAULT_FRAME_MAX;
    cfg->link_max = HUSH_P2P_DEFAULT_LINK_MAX;
    cfg->guard_capacity = 65536;
    cfg->direct = 0;
    return HUSH_OK;
}

static int config_check(const hush_p2p_config *c) {
    if (!c || c->version != HUSH_P2P_CONFIG_VERSION) return HUSH_EARG;
    if (c->role != HUSH_P2P_BANK && c->role != HUSH_P2P_APPLICANT) return HUSH_EARG;
    if (c->max_sessions == 0 || c->max_sessions > HUSH_P2P_MAX_SESSIONS) return HUSH_EARG;
    if (c->max_rows == 0 || c->max_rows > HUSH_P2P_MAX_ROWS) return HUSH_EARG;
    if (c->frame_max < HUSH_P2P_MIN_FRAME || c->frame_max > HUSH_NET_DEFAULT_MAX_MESSAGE) return HUSH_EARG;
    if (c->link_max < HUSH_P2P_MIN_FRAME || c->link_max > HUSH_NET_DEFAULT_MAX_MESSAGE) return HUSH_EARG;
    if (c->guard_capacity == 0 || c->guard_capacity > HUSH_MPC_GUARD_MAX) return HUSH_EARG;
    if (c->direct > 1) return HUSH_EARG;
    return HUSH_OK;
}

int hush_p2p_create(hush_p2p **out, const hush_p2p_config *cfg, const uint8_t sk[HUSH_NET_SECRET_KEY_BYTES],
                    const char *name, const uint8_t *token, const hush_allocator *alloc) {
    if (!hush__alloc_ok(alloc) || !out) return HUSH_EARG;
    *out = NULL;
    int rc = config_check(cfg);
    if (rc) return rc;
    if (!sk || !name || !hush__nw_name_ok((const uint8_t *)name, strlen(name))) return HUSH_EARG;
    if (hush_init() != HUSH_OK) return HUSH_ECRYPTO;
    hush_p2p *p = hush__calloc(alloc, 1, sizeof *p);
    if (!p) return HUSH_ENOMEM;
    if (alloc) {
        p->alloc = *alloc;
        p->a = &p->alloc;
    }
    p->cfg = *cfg;
    memcpy(p->sk, sk, sizeof p->sk);
    crypto_sign_ed25519_sk_to_pk(p->pk, p->sk);
    memcpy(p->name, name, strlen(name) + 1);
    p->slots = hush__calloc(p->a, cfg->max_sessions, sizeof *p->slots);
    rc = p->slots ? HUSH_OK : HUSH_ENOMEM;
    if (rc == HUSH_OK) rc = hush_net_client_create(&p->net, sk, name, token, p->a);
    if (rc == HUSH_OK) rc = hush_mpc_guard_create(&p->guard, cfg->guard_capacity, p->a);
    if (rc != HUSH_OK) {
        hush_p2p_free(p);
        return rc;
    }
    *out = p;
    return HUSH_OK;
}

void hush__p2p_bank_free(const hush_allocator *a, bank_desc *b) {
    hush_model_free(b->model);
    hush_mpc_model_free(b->pub);
    if (b->desc) hush__free(a, b->desc, b->desc_len);
    hush__free(a, b, sizeof *b);
}

void hush_p2p_free(hush_p2p *p) {
    if (!p) return;
    const hush_allocator *a = p->a;
    hush_allocator acopy = p->alloc;
    if (a) a = &acopy;
    for (uint32_t i = 0; p->slots && i < p->cfg.max_sessions; i++)
        if (p->slots[i]) {
            hush__p2p_sess_clear(p, p->slots[i]);
            hush__free(a, p->slots[i], sizeof(sess));
        }
    if (p->slots) hush__free(a, p->slots, p->cfg.max_sessions * sizeof *p->slots);
    hush__p2p_q_clear(a, &p->out);
    while (p->ev_head) {
        event *e = p->ev_head;
        p->ev_head = e->next;
        if (e->data) hush__free_wipe(a, e->data, e->len);
        hush__free(a, e, sizeof *e);
    }
    if (p->cur_data) hush__free_wipe(a, p->cur_data, p->cur_len);
    while (p->banks) {
        bank_desc *b = p->banks;
        p->banks = b->next;
        hush__p2p_bank_free(a, b);
    }
    if (p->pins) hush__free(a, p->pins, p->cap_pins * sizeof *p->pins);
    if (p->serve_frame) hush__free(a, p->serve_frame, p->serve_len);
    if (p->model) {
        sodium_memzero(hush_model_params(p->model), hush_model_param_count(p->model) * sizeof(float));
        hush_model_free(p->model);
    }
    hush_mpc_guard_free(p->guard);
    hush_net_client_free(p->net);
    sodium_memzero(p, sizeof *p);
    hush__free(a, p, sizeof *p);
}

void hush_p2p_reset(hush_p2p *p) {
    if (!p) return;
    for (uint32_t i = 0; i < p->cfg.max_sessions; i++) {
        sess *s = p->slots[i];
        if (s && s->state != S_FREE)
            hush__p2p_fail(p, s, HUSH_P2P_E_PEER_GONE, "the connection to the server was lost", 0);
    }
    hush__p2p_q_clear(p->a, &p->out);
    p->ready = 0;
    hush_net_client_reset(p->net);
}

int hush_p2p_pin(hush_p2p *p, const char *bank, const uint8_t pk[HUSH_NET_PUBLIC_KEY_BYTES]) {
    if (!p || !pk || !bank || !hush__nw_name_ok((const uint8_t *)bank, strlen(bank))) return HUSH_EARG;
    for (size_t i = 0; i < p->n_pins; i++)
        if (!strcmp(p->pins[i].name, bank)) return HUSH_EARG;
    if (p->n_pins == p->cap_pins) {
        size_t cap = p->cap_pins ? 2 * p->cap_pins : 8;
        if (cap > 65536) return HUSH_ERANGE;
        pin *n = hush__calloc(p->a, cap, sizeof *n);
        if (!n) return HUSH_ENOMEM;
        if (p->n_pins) memcpy(n, p->pins, p->n_pins * sizeof *n);
        if (p->pins) hush__free(p->a, p->pins, p->cap_pins * sizeof *p->pins);
        p->pins = n;
        p->cap_pins = cap;
    }
    memcpy(p->pins[p->n_pins].name, bank, strlen(bank) + 1);
    memcpy(p->pins[p->n_pins].pk, pk, 32);
    p->n_pins++;
    return HUSH_OK;
}

int hush_p2p_pin_dealer(hush_p2p *p, const uint8_t pk[HUSH_NET_PUBLIC_KEY_BYTES]) {
    if (!p || !pk) return HUSH_EARG;
    memcpy(p->dealer_pin, pk, 32);
    p->has_dealer_pin = 1;
    return HUSH_OK;
}

/* ---------------- bank: serving ---------------- */

int hush_p2p_serve(hush_p2p *p, const uint8_t *model_file, size_t model_len, const char *schema, size_t schema_len) {
    if (!p || !model_file || (!schema && schema_len)) return HUSH_EARG;
    if (p->cfg.role != HUSH_P2P_BANK || p->model) return HUSH_ESTATE;
    if (schema_len > HUSH_P2P_SCHEMA_MAX || model_len > HUSH_P2P_DESC_MAX - 8 - schema_len) return HUSH_ERANGE;
    hush_model *m = NULL, *pubm = NULL;
    hush_mpc_model *pub = NULL;
    uint8_t *pubfile = NULL, *desc = NULL, *tr = NULL, *frame = NULL;
    size_t publen = 0, desc_cap = 8 + model_len + schema_len, desc_len = 0, tr_cap = 0, tl = 0, frame_cap = 0;
    uint32_t flags = p->cfg.direct ? HUSH__PW_SERVE_DIRECT : 0;
    int rc = hush_model_load(&m, model_file, model_len, 1, p->a);
    if (rc == HUSH_OK) rc = hush_mpc_model_public(&pub, m, p->a); /* HUSH_EUNSUPPORTED for conv layers */
    if (rc == HUSH_OK) rc = hush_model_load(&pubm, model_file, model_len, 1, p->a);
    if (rc == HUSH_OK) {
        /* the published copy: architecture and standardisation, weights zeroed */
        sodium_memzero(hush_model_params(pubm), hush_model_param_count(pubm) * sizeof(float));
        pubfile = hush__alloc(p->a, model_len);
        rc = pubfile ? hush_model_save(pubm, pubfile, model_len, &publen) : HUSH_ENOMEM;
    }
    if (rc == HUSH_OK) {
        desc = hush__alloc(p->a, desc_cap);
        rc = desc ? hush__pw_desc(desc, desc_cap, &desc_len, pubfile, publen, schema, schema_len) : HUSH_ENOMEM;
    }
    if (rc == HUSH_OK) {
        tr_cap = hush__pw_model_transcript_size(p->name, desc_len);
        tr = hush__alloc(p->a, tr_cap);
        rc = tr ? hush__pw_model_transcript(tr, tr_cap, &tl, p->name, p->pk, flags, p->cfg.max_rows, desc, desc_len)
                : HUSH_ENOMEM;
    }
    if (rc == HUSH_OK) {
        uint8_t sig[64];
        crypto_sign_detached(sig, NULL, tr, tl, p->sk);
        frame_cap = hush__pw_serve_size(desc_len);
        frame = hush__alloc(p->a, frame_cap);
        rc = frame ? hush__pw_serve(frame, frame_cap, &frame_cap, flags, p->cfg.max_rows, desc, desc_len, sig)
                   : HUSH_ENOMEM;
        crypto_generichash(p->desc_hash, sizeof p->desc_hash, desc, desc_len, NULL, 0);
    }
    if (tr) hush__free(p->a, tr, tr_cap);
    if (desc) hush__free(p->a, desc, desc_cap);
    if (pubfile) hush__free(p->a, pubfile, model_len);
    hush_model_free(pubm);
    hush_mpc_model_free(pub);
    if (rc == HUSH_OK && p->ready) rc = hush__p2p_out_frame(p, frame, frame_cap);
    if (rc != HUSH_OK) {
        if (frame) hush__free(p->a, frame, hush__pw_serve_size(desc_len));
        if (m) sodium_memzero(hush_model_params(m), hush_model_param_count(m) * sizeof(float));
        hush_model_free(m);
        return rc;
    }
    p->model = m;
    p->serve_frame = frame;
    p->serve_len = frame_cap;
    return HUSH_OK;
}

/* ---------------- applicant: descriptions and applications ---------------- */

static bank_desc *bank_find(const hush_p2p *p, const char *name) {
    for (bank_desc *b = p->banks; b; b = b->next)
        if (!strcmp(b->name, name)) return b;
    return NULL;
}

int hush_p2p_describe(hush_p2p *p, const char *bank) {
    if (!p || !bank || !hush__nw_name_ok((const uint8_t *)bank, strlen(bank))) return HUSH_EARG;
    if (p->cfg.role != HUSH_P2P_APPLICANT) return HUSH_ESTATE;
    size_t size = HUSH__NW_HEADER_BYTES + 1 + strlen(bank);
    OUT_ENCODE(p, size, hush__pw_describe(out, cap, &w_, bank));
    return HUSH_OK;
}

int hush_p2p_description(const hush_p2p *p, const char *bank, uint8_t *model_file, size_t model_cap, size_t *model_written,
                         char *schema, size_t schema_cap, size_t *schema_written) {
    if (!p || !bank || !model_written || !schema_written) return HUSH_EARG;
    const bank_desc *b = bank_find(p, bank);
    if (!b) return HUSH_ESTATE;
    *model_written = b->model_len;
    *schema_written = b->schema_len;
    if ((model_file && model_cap < b->model_len) || (schema && schema_cap < b->schema_len)) return HUSH_ERANGE;
    if (model_file) memcpy(model_file, b->model_file, b->model_len);
    if (schema && b->schema_len) memcpy(schema, b->schema, b->schema_len);
    return HUSH_OK;
}

int hush_p2p_apply(hush_p2p *p, uint32_t *slot, const char *bank, const float *x, size_t x_len, uint32_t rows,
                   uint32_t link) {
    if (!p || !slot || !bank || !x || rows == 0) return HUSH_EARG;
    *slot = 0;
    if (link != HUSH_P2P_LINK_RELAY && link != HUSH_P2P_LINK_DIRECT) return HUSH_EARG;
    if (p->cfg.role != HUSH_P2P_APPLICANT) return HUSH_ESTATE;
    if (rows > p->cfg.max_rows) return HUSH_ERANGE;
    if (link == HUSH_P2P_LINK_DIRECT && !p->cfg.direct) return HUSH_EARG;
    bank_desc *b = bank_find(p, bank);
    if (!b) return HUSH_ESTATE;
    if (rows > b->max_rows) return HUSH_ERANGE;
    if (link == HUSH_P2P_LINK_DIRECT && !(b->flags & HUSH__PW_SERVE_DIRECT)) link = HUSH_P2P_LINK_RELAY;
    if ((uint64_t)x_len != (uint64_t)rows * hush_model_input_size(b->model)) return HUSH_ESHAPE;
    sess *s = hush__p2p_slot_new(p);
    if (!s) return HUSH_ERANGE;
    s->state = S_OPENING;
    s->bank = b;
    s->rows = rows;
    s->want = link;
    hush__fmt(s->peer, sizeof s->peer, "%s", bank);
    s->x = hush__alloc(p->a, x_len * sizeof *s->x);
    if (!s->x) {
        hush__p2p_sess_clear(p, s);
        return HUSH_ENOMEM;
    }
    memcpy(s->x, x, x_len * sizeof *s->x);
    s->x_len = x_len;
    size_t size = HUSH__NW_HEADER_BYTES + 4 + 1 + strlen(bank) + 8;
    qitem *it;
    int rc = hush__p2p_q_push(p->a, &p->out, 0, NULL, size, &it);
    if (rc == HUSH_OK) rc = hush__pw_open(it->data, size, &size, s->id, bank, rows, link);
    if (rc != HUSH_OK) {
        hush__p2p_sess_clear(p, s);
        return rc;
    }
    *slot = s->id;
    return HUSH_OK;
}

/* ---------------- what goes out, events, results ---------------- */

int hush_p2p_next_message(hush_p2p *p, uint8_t *out, size_t cap, size_t *written) {
    if (!p || !written || (!out && cap)) return HUSH_EARG;
    *written = 0;
    int rc = hush_net_client_next_message(p->net, out, cap, written);
    if (rc != HUSH_OK || *written) return rc;
    qitem *it = p->out.head;
    if (!it) return HUSH_OK;
    if (cap < it->len) {
        *written = it->len;
        return HUSH_ERANGE;
    }
    memcpy(out, it->data, it->len);
    *written = it->len;
    hush__p2p_q_pop(p->a, &p->out);
    return HUSH_OK;
}

size_t hush_p2p_max_message(const hush_p2p *p) {
    if (!p) return 0;
    size_t m = hush_net_client_max_message(p->net);
    if (p->out.head && p->out.head->len > m) m = p->out.head->len;
    return m;
}

int hush_p2p_link(hush_p2p *p, uint32_t slot, uint32_t link) {
    if (!p || (link != HUSH_P2P_LINK_RELAY && link != HUSH_P2P_LINK_DIRECT)) return HUSH_EARG;
    sess *s = hush__p2p_slot_get(p, slot);
    if (!s || s->state != S_RUNNING) return HUSH_ESTATE;
    if (s->link == link) return HUSH_OK;
    if (s->link != HUSH_P2P_LINK_NONE) return HUSH_ESTATE;
    if (link == HUSH_P2P_LINK_DIRECT && !p->cfg.direct) return HUSH_EARG;
    int rc = hush__p2p_set_link(p, s, link);
    if (rc != HUSH_OK) hush__p2p_fail_rc(p, s, rc, "switching the link");
    return rc;
}

int hush_p2p_link_next_message(hush_p2p *p, uint32_t *slot, uint8_t *out, size_t cap, size_t *written) {
    if (!p || !slot || !written || (!out && cap)) return HUSH_EARG;
    *written = 0;
    *slot = 0;
    for (uint32_t i = 0; i < p->cfg.max_sessions; i++) {
        sess *s = p->slots[i];
        if (!s || s->state == S_FREE) continue;
        qitem *it = s->link_out.head;
        if (!it) continue;
        if (cap < it->len) {
            *written = it->len;
            return HUSH_ERANGE;
        }
        memcpy(out, it->data, it->len);
        *written = it->len;
        *slot = s->id;
        s->bytes_out += it->len;
        hush__p2p_q_pop(p->a, &s->link_out);
        if (!s->link_out.head && s->end_pending) {
            s->end_pending = 0;
            int rc = hush__p2p_queue_end(p, s, 0, "");
            if (!s->dec) hush__p2p_sess_clear(p, s); /* a bank, or an applicant whose result was taken */
            if (rc) return rc;
        }
        return HUSH_OK;
    }
    return HUSH_OK;
}

int hush_p2p_signal(hush_p2p *p, uint32_t slot, uint32_t kind, const uint8_t *payload, size_t len) {
    if (!p || (!payload && len) || len > HUSH_P2P_SIGNAL_MAX) return HUSH_EARG;
    if (kind < HUSH_P2P_SIGNAL_OFFER || kind > HUSH_P2P_SIGNAL_BYE) return HUSH_EARG;
    for (size_t i = 0; i < len; i++)
        if (!((payload[i] >= 0x20 && payload[i] <= 0x7e) || payload[i] == '\t' || payload[i] == '\r' || payload[i] == '\n'))
            return HUSH_EARG;
    sess *s = hush__p2p_slot_get(p, slot);
    if (!s || s->state != S_RUNNING) return HUSH_ESTATE;
    uint32_t seq = s->sig_out + 1;
    size_t tl = hush__pw_signal_transcript_size(p->name, s->peer, len);
    uint8_t *tr = hush__alloc(p->a, tl), sig[64];
    if (!tr) return HUSH_ENOMEM;
    int rc = hush__pw_signal_transcript(tr, tl, &tl, s->sid, p->name, s->peer, kind, seq, payload, len);
    if (rc == HUSH_OK) crypto_sign_detached(sig, NULL, tr, tl, p->sk);
    hush__free(p->a, tr, hush__pw_signal_transcript_size(p->name, s->peer, len));
    if (rc) return rc;
    size_t size = hush__pw_signal_size(len);
    OUT_ENCODE(p, size, hush__pw_signal(out, cap, &w_, s->sid, kind, seq, payload, len, sig));
    s->sig_out = seq;
    s->bytes_out += size;
    return HUSH_OK;
}

void hush_p2p_event_next(hush_p2p *p, hush_p2p_event *ev) {
    if (!ev) return;
    hush__p2p_ev_init(ev, HUSH_P2P_EV_NONE);
    if (!p) return;
    if (p->cur_data) hush__free_wipe(p->a, p->cur_data, p->cur_len);
    p->cur_data = NULL;
    p->cur_len = 0;
    event *e = p->ev_head;
    if (!e) return;
    p->ev_head = e->next;
    if (!p->ev_head) p->ev_tail = NULL;
    *ev = e->ev;
    p->cur_data = e->data;
    p->cur_len = e->len;
    hush__free(p->a, e, sizeof *e);
}

int hush_p2p_event_data(const hush_p2p *p, uint8_t *out, size_t cap, size_t *written) {
    if (!p || !written || (!out && cap)) return HUSH_EARG;
    *written = p->cur_len;
    if (cap < p->cur_len) return HUSH_ERANGE;
    if (p->cur_len) memcpy(out, p->cur_data, p->cur_len);
    return HUSH_OK;
}

int hush_p2p_result(hush_p2p *p, uint32_t slot, uint32_t *decisions, size_t rows) {
    if (!p || !decisions) return HUSH_EARG;
    sess *s = hush__p2p_slot_get(p, slot);
    if (!s || s->state != S_DONE || !s->dec) return HUSH_ESTATE;
    if (rows != s->rows) return HUSH_ESHAPE;
    memcpy(decisions, s->dec, rows * sizeof *decisions);
    hush__free_wipe(p->a, s->dec, (size_t)s->rows * sizeof *s->dec);
    s->dec = NULL;
    /* the last records to the bank may still wait for the direct link: the slot goes with them */
    if (!s->end_pending) hush__p2p_sess_clear(p, s);
    return HUSH_OK;
}

size_t hush_p2p_sessions(const hush_p2p *p) { return p ? p->n_active : 0; }
