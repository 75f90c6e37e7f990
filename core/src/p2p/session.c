/* The sessions of a hush_p2p (structures and overview in p2p_int.h): the record queues, the
 * events for the transport, the FIFO of frames to the server, the slots, ending a session, the
 * link to the peer (relayed or direct, fragmented), and the pump that runs a session's MPC roles
 * until nothing moves. */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "base/alloc.h"
#include "base/fmt.h"
#include "io/netwire.h"
#include "io/p2pwire.h"
#include "mpc/role.h"
#include "p2p/p2p_int.h"

/* ---------------- queues, events ---------------- */

int hush__p2p_q_push(const hush_allocator *a, queue *q, uint32_t tag, const uint8_t *d, size_t len, qitem **made) {
    if (len > SIZE_MAX - sizeof(qitem)) return HUSH_ERANGE;
    qitem *it = hush__alloc(a, sizeof *it + len);
    if (!it) return HUSH_ENOMEM;
    it->next = NULL;
    it->len = len;
    it->tag = tag;
    if (d && len) memcpy(it->data, d, len);
    if (q->tail) q->tail->next = it;
    else q->head = it;
    q->tail = it;
    q->bytes += len;
    if (made) *made = it;
    return HUSH_OK;
}

void hush__p2p_q_pop(const hush_allocator *a, queue *q) {
    qitem *it = q->head;
    if (!it) return;
    q->head = it->next;
    if (!q->head) q->tail = NULL;
    q->bytes -= it->len;
    hush__free_wipe(a, it, sizeof *it + it->len);
}

void hush__p2p_q_clear(const hush_allocator *a, queue *q) {
    while (q->head) hush__p2p_q_pop(a, q);
}

static void rx_free(const hush_allocator *a, rxbuf *b) {
    if (b->p) hush__free_wipe(a, b->p, b->cap);
    memset(b, 0, sizeof *b);
}

void hush__p2p_push_event(hush_p2p *p, const hush_p2p_event *e, const uint8_t *data, size_t len) {
    event *x = hush__calloc(p->a, 1, sizeof *x);
    if (!x) return; /* out of memory: the event is lost, the transport sees the state */
    x->ev = *e;
    if (len) {
        x->data = hush__alloc(p->a, len);
        if (!x->data) {
            hush__free(p->a, x, sizeof *x);
            return;
        }
        memcpy(x->data, data, len);
        x->len = len;
    }
    x->ev.data_len = (uint32_t)len;
    if (p->ev_tail) p->ev_tail->next = x;
    else p->ev_head = x;
    p->ev_tail = x;
}

void hush__p2p_ev_init(hush_p2p_event *e, uint32_t kind) {
    memset(e, 0, sizeof *e);
    e->kind = kind;
}

void hush__p2p_ev_text(hush_p2p_event *e, const char *t) {
    size_t n = t ? strlen(t) : 0;
    if (n > HUSH_NET_ERROR_TEXT_MAX) n = HUSH_NET_ERROR_TEXT_MAX;
    if (n) memcpy(e->text, t, n);
    e->text[n] = 0;
}

/* ---------------- frames to the server ---------------- */

int hush__p2p_out_frame(hush_p2p *p, const uint8_t *f, size_t len) {
    return hush__p2p_q_push(p->a, &p->out, 0, f, len, NULL);
}

/* ---------------- sessions ---------------- */

sess *hush__p2p_slot_get(const hush_p2p *p, uint32_t slot) {
    uint32_t i = slot & SLOT_MASK;
    if (i >= p->cfg.max_sessions || !p->slots[i]) return NULL;
    sess *s = p->slots[i];
    return s->id == slot && s->state != S_FREE ? s : NULL;
}

sess *hush__p2p_slot_new(hush_p2p *p) {
    for (uint32_t i = 0; i < p->cfg.max_sessions; i++) {
        sess *s = p->slots[i];
        if (s && s->state != S_FREE) continue;
        if (!s) {
            s = hush__calloc(p->a, 1, sizeof *s);
            if (!s) return NULL;
            p->slots[i] = s;
        }
        uint32_t g = s->gen + 1;
        memset(s, 0, sizeof *s);
        s->gen = g & ((1u << (32 - SLOT_BITS)) - 1);
        if (!s->gen) s->gen = 1;
        s->id = s->gen << SLOT_BITS | i;
        p->n_active++;
        return s;
    }
    return NULL;
}

/* Wipes everything the session holds and frees the slot (its generation stays). */
/* Frees (and wipes) the session's roles, channels, input and queued messages: what only a running
 * session needs. */
static void drop_roles(const hush_allocator *a, sess *s) {
    hush_mpc_party_free(s->party);
    hush_mpc_party_free(s->client);
    s->party = s->client = NULL;
    hush_channel_free(s->ch_dealer);
    hush_channel_free(s->ch_party);
    hush_channel_free(s->ch_client);
    hush_channel_free(s->ch_lc);
    hush_channel_free(s->ch_lp);
    s->ch_dealer = s->ch_party = s->ch_client = s->ch_lc = s->ch_lp = NULL;
    if (s->x) hush__free_wipe(a, s->x, s->x_len * sizeof *s->x);
    s->x = NULL;
    for (int i = 0; i < Q_COUNT; i++) hush__p2p_q_clear(a, &s->q[i]);
}

void hush__p2p_sess_clear(hush_p2p *p, sess *s) {
    const hush_allocator *a = p->a;
    drop_roles(a, s);
    if (s->dec) hush__free_wipe(a, s->dec, (size_t)s->rows * sizeof *s->dec);
    rx_free(a, &s->rx_dealer);
    rx_free(a, &s->rx_link[0]);
    rx_free(a, &s->rx_link[1]);
    hush__p2p_q_clear(a, &s->hold);
    hush__p2p_q_clear(a, &s->link_out);
    uint32_t gen = s->gen, id = s->id;
    if (s->state != S_FREE && p->n_active) p->n_active--;
    sodium_memzero(s, sizeof *s);
    s->gen = gen;
    s->id = id;
}

int hush__p2p_queue_end(hush_p2p *p, sess *s, uint16_t code, const char *text) {
    size_t tl = text ? strlen(text) : 0;
    if (tl > HUSH_NET_ERROR_TEXT_MAX) tl = HUSH_NET_ERROR_TEXT_MAX;
    size_t size = HUSH__NW_HEADER_BYTES + SID + 4 + tl;
    char t[HUSH_NET_ERROR_TEXT_MAX + 1];
    memcpy(t, text ? text : "", tl);
    t[tl] = 0;
    OUT_ENCODE(p, size, hush__pw_end(out, cap, &w_, s->sid, code, t));
    s->bytes_out += size;
    return HUSH_OK;
}

/* The session ends without output: everything wiped, the server and the transport told. */
void hush__p2p_fail(hush_p2p *p, sess *s, int32_t code, const char *why, int tell_server) {
    if (s->state == S_FREE) return;
    hush_p2p_event e;
    hush__p2p_ev_init(&e, HUSH_P2P_EV_FAILED);
    e.slot = s->id;
    e.rows = s->rows;
    e.code = code;
    e.bytes_out = s->bytes_out, e.bytes_in = s->bytes_in;
    memcpy(e.session, s->sid, SID);
    hush__fmt(e.peer, sizeof e.peer, "%s", s->peer);
    hush__p2p_ev_text(&e, why);
    if (tell_server && s->state == S_RUNNING) {
        uint16_t c = code >= 4000 && code <= 4999 ? (uint16_t)code : (uint16_t)HUSH_P2P_E_REFUSED;
        char t[HUSH_NET_ERROR_TEXT_MAX + 1];
        hush__fmt(t, sizeof t, "%s", why ? why : "");
        for (char *c2 = t; *c2; c2++)
            if (*c2 < 0x20 || *c2 > 0x7e) *c2 = '?';
        (void)hush__p2p_queue_end(p, s, c, t);
    }
    hush__p2p_sess_clear(p, s);
    hush__p2p_push_event(p, &e, NULL, 0);
}

void hush__p2p_fail_rc(hush_p2p *p, sess *s, int rc, const char *what) {
    char t[160];
    hush__fmt(t, sizeof t, "%s: %s", what, hush_strerror(rc));
    hush__p2p_fail(p, s, rc, t, 1);
}

/* ---------------- links ---------------- */

static size_t link_payload_max(const hush_p2p *p, uint32_t link) {
    size_t m = link == HUSH_P2P_LINK_DIRECT ? p->cfg.link_max : p->cfg.frame_max - HUSH__PW_RELAY_PREFIX;
    return m - HUSH__PW_LINK_PREFIX;
}

/* One record (or handshake message) to the peer, fragmented for the session's link. */
int hush__p2p_link_send(hush_p2p *p, sess *s, uint32_t tag, const uint8_t *rec, size_t len) {
    if (s->link == HUSH_P2P_LINK_NONE) return hush__p2p_q_push(p->a, &s->hold, tag, rec, len, NULL);
    size_t max = link_payload_max(p, s->link), off = 0;
    do {
        size_t n = len - off < max ? len - off : max;
        int more = off + n < len;
        if (s->link == HUSH_P2P_LINK_RELAY) {
            size_t size = HUSH__PW_RELAY_PREFIX + HUSH__PW_LINK_PREFIX + n;
            qitem *it;
            int rc = hush__p2p_q_push(p->a, &p->out, 0, NULL, size, &it);
            if (rc) return rc;
            hush__pw_relay_header(it->data, s->sid, HUSH__PW_LINK_PREFIX + n);
            it->data[HUSH__PW_RELAY_PREFIX] = (uint8_t)tag;
            it->data[HUSH__PW_RELAY_PREFIX + 1] = more ? HUSH__PW_FLAG_MORE : 0;
            memcpy(it->data + HUSH__PW_RELAY_PREFIX + HUSH__PW_LINK_PREFIX, rec + off, n);
            s->bytes_out += size;
        } else {
            qitem *it;
            int rc = hush__p2p_q_push(p->a, &s->link_out, 0, NULL, HUSH__PW_LINK_PREFIX + n, &it);
            if (rc) return rc;
            it->data[0] = (uint8_t)tag;
            it->data[1] = more ? HUSH__PW_FLAG_MORE : 0;
            memcpy(it->data + HUSH__PW_LINK_PREFIX, rec + off, n);
        }
        off += n;
    } while (off < len);
    return HUSH_OK;
}

int hush__p2p_set_link(hush_p2p *p, sess *s, uint32_t link) {
    s->link = link;
    while (s->hold.head) {
        qitem *it = s->hold.head;
        int rc = hush__p2p_link_send(p, s, it->tag, it->data, it->len);
        if (rc) return rc;
        hush__p2p_q_pop(p->a, &s->hold);
    }
    return HUSH_OK;
}

/* ---------------- the MPC roles of a session ---------------- */

static hush_mpc_party *role_of_queue(const sess *s, int q) {
    if (!s->client) return s->party; /* the bank: everything is for party 0 */
    switch (q) {
    case Q_DEALER:
    case Q_PEER_PARTY:
    case Q_LOCAL_PARTY: return s->party;
    default: return s->client;
    }
}

static uint32_t from_of_queue(const hush_p2p *p, int q) {
    int bank = p->cfg.role == HUSH_P2P_BANK;
    switch (q) {
    case Q_DEALER: return HUSH_MPC_ROLE_DEALER;
    case Q_PEER_PARTY: return bank ? 1u : 0u;
    case Q_PEER_CLIENT: return bank ? (uint32_t)HUSH_MPC_ROLE_CLIENT : 0u;
    case Q_LOCAL_PARTY: return HUSH_MPC_ROLE_CLIENT; /* applicant: client -> party 1 */
    default: return 1u;                              /* applicant: party 1 -> client */
    }
}

/* Offers queued records to their roles in order; *progress when any was taken. */
static int deliver(hush_p2p *p, sess *s, int *progress) {
    for (int q = 0; q < Q_COUNT; q++) {
        hush_mpc_party *r = role_of_queue(s, q);
        while (r && s->q[q].head) {
            qitem *it = s->q[q].head;
            int rc = hush_mpc_party_receive(r, from_of_queue(p, q), it->data, it->len);
            if (rc == HUSH_ESTATE) break; /* not expected yet (or its channel is not attached) */
            if (rc != HUSH_OK) return rc;
            hush__p2p_q_pop(p->a, &s->q[q]);
            *progress = 1;
        }
    }
    return HUSH_OK;
}

static qitem *q_alloc(const hush_allocator *a, size_t len) {
    if (len > SIZE_MAX - sizeof(qitem)) return NULL;
    qitem *it = hush__alloc(a, sizeof *it + len);
    if (it) it->next = NULL, it->len = len, it->tag = 0;
    return it;
}

static void q_append(queue *q, qitem *it) {
    if (q->tail) q->tail->next = it;
    else q->head = it;
    q->tail = it;
    q->bytes += it->len;
}

/* Takes every record a role has ready and routes it: to the other local role's queue
 * (applicant), or to the peer over the link. */
static int drain_role(hush_p2p *p, sess *s, hush_mpc_party *r, int *progress) {
    int bank = p->cfg.role == HUSH_P2P_BANK;
    /* a role sends nothing before all its channels are attached (its first message may be ready) */
    if (hush_mpc_party_state(r, NULL) == HUSH_MPC_STATE_LINK) return HUSH_OK;
    for (;;) {
        uint32_t to = 0;
        size_t need = 0;
        int rc = hush_mpc_party_next_message(r, &to, NULL, 0, &need);
        if (rc == HUSH_OK && need == 0) return HUSH_OK;
        if (rc != HUSH_ERANGE) return rc;
        qitem *it = q_alloc(p->a, need);
        if (!it) return HUSH_ENOMEM;
        size_t w = 0;
        rc = hush_mpc_party_next_message(r, &to, it->data, need, &w);
        if (rc == HUSH_OK && w != need) rc = HUSH_ESTATE;
        if (rc != HUSH_OK) {
            hush__free_wipe(p->a, it, sizeof *it + need);
            return rc;
        }
        *progress = 1;
        uint32_t tag = 0;
        if (!bank && r == s->client && to == 1) {
            q_append(&s->q[Q_LOCAL_PARTY], it);
            continue;
        }
        if (!bank && r == s->party && to == HUSH_MPC_ROLE_CLIENT) {
            q_append(&s->q[Q_LOCAL_CLIENT], it);
            continue;
        }
        if (bank) tag = to == 1 ? HUSH__PW_TAG_PARTY : to == HUSH_MPC_ROLE_CLIENT ? HUSH__PW_TAG_CLIENT : 0;
        else if (to == 0) tag = r == s->party ? HUSH__PW_TAG_PARTY : HUSH__PW_TAG_CLIENT;
        rc = tag ? hush__p2p_link_send(p, s, tag, it->data, it->len) : HUSH_ESTATE;
        hush__free_wipe(p->a, it, sizeof *it + need);
        if (rc) return rc;
    }
}

static int attach_open(sess *s) {
    int rc = HUSH_OK;
    if (!s->att_dealer && hush_channel_state(s->ch_dealer) == HUSH_CHANNEL_STATE_OPEN) {
        rc = hush_mpc_party_attach(s->party, s->ch_dealer);
        s->att_dealer = rc == HUSH_OK;
    }
    if (rc == HUSH_OK && !s->att_party && hush_channel_state(s->ch_party) == HUSH_CHANNEL_STATE_OPEN) {
        rc = hush_mpc_party_attach(s->party, s->ch_party);
        s->att_party = rc == HUSH_OK;
    }
    if (rc == HUSH_OK && !s->att_client && hush_channel_state(s->ch_client) == HUSH_CHANNEL_STATE_OPEN) {
        rc = hush_mpc_party_attach(s->client ? s->client : s->party, s->ch_client);
        s->att_client = rc == HUSH_OK;
    }
    return rc;
}

static void finish_session(hush_p2p *p, sess *s);

/* Runs the session's roles until nothing moves. */
void hush__p2p_pump(hush_p2p *p, sess *s) {
    if (s->state != S_RUNNING) return;
    int rc = attach_open(s);
    for (int progress = 1; rc == HUSH_OK && progress;) {
        progress = 0;
        rc = deliver(p, s, &progress);
        if (rc == HUSH_OK) rc = drain_role(p, s, s->party, &progress);
        if (rc == HUSH_OK && s->client) rc = drain_role(p, s, s->client, &progress);
    }
    if (rc != HUSH_OK) {
        hush__p2p_fail_rc(p, s, rc, "the encrypted prediction stopped");
        return;
    }
    int done = hush_mpc_party_state(s->party, NULL) == HUSH_MPC_STATE_DONE &&
               (!s->client || hush_mpc_party_state(s->client, NULL) == HUSH_MPC_STATE_DONE);
    if (done) finish_session(p, s);
}

static void finish_session(hush_p2p *p, sess *s) {
    if (s->client) {
        s->dec = hush__calloc(p->a, s->rows, sizeof *s->dec);
        int rc = s->dec ? hush_mpc_predict_result(s->client, s->dec, s->rows, NULL, 0) : HUSH_ENOMEM;
        if (rc != HUSH_OK) {
            hush__p2p_fail_rc(p, s, rc, "reading the decisions");
            return;
        }
    }
    drop_roles(p->a, s); /* the roles, their shares and channels are not needed any more */
    s->state = S_DONE;
    if (s->link_out.head) s->end_pending = 1;
    else (void)hush__p2p_queue_end(p, s, 0, "");
    hush_p2p_event e;
    hush__p2p_ev_init(&e, HUSH_P2P_EV_DONE);
    e.slot = s->id;
    e.rows = s->rows;
    e.link = s->link;
    e.bytes_out = s->bytes_out, e.bytes_in = s->bytes_in;
    memcpy(e.session, s->sid, SID);
    hush__fmt(e.peer, sizeof e.peer, "%s", s->peer);
    hush__p2p_push_event(p, &e, NULL, 0);
    /* a bank keeps nothing once its direct link is drained; an applicant waits for result() */
    if (!s->dec && !s->end_pending) hush__p2p_sess_clear(p, s);
}
