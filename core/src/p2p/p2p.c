/* The applicant's and the bank's side of p2p sessions (protocol and threat model in hush/p2p.h).
 *
 * One hush_p2p is one hush.v1 connection: a hush_net_client does the authentication, every
 * frame of types 16..31 is handled here. Each session (a slot) holds the MPC roles of its side
 * (bank: party 0; applicant: party 1 and the client), their channels (to the dealer in DEALER
 * frames, to the peer over the link, and the applicant's in-process client<->party 1 channel),
 * reassembly buffers for fragmented records, and per-source queues of records a role has not
 * taken yet (an MPC role refuses a record it does not expect now, leaving it intact, so it waits
 * in order and is offered again after every step). Frames for the server wait in one FIFO, so a
 * session's END never overtakes its last relayed record.
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
#include "channel/channel.h"
#include "hush/channel.h"
#include "hush/mpc.h"
#include "hush/p2p.h"
#include "io/buf.h"
#include "io/netwire.h"
#include "io/p2pwire.h"
#include "mpc/role.h"

#define SID HUSH_NET_SESSION_BYTES
#define SLOT_BITS 12
#define SLOT_MASK ((1u << SLOT_BITS) - 1)
#define FRAC HUSH_MPC_DEFAULT_FRAC_BITS

typedef struct qitem {
    struct qitem *next;
    size_t len;
    uint32_t tag;
    uint8_t data[];
} qitem;

typedef struct queue {
    qitem *head, *tail;
    size_t bytes;
} queue;

typedef struct rxbuf {
    uint8_t *p;
    size_t len, cap;
} rxbuf;

typedef struct bank_desc {
    struct bank_desc *next;
    char name[HUSH_NET_NAME_MAX + 1];
    uint8_t pk[32], hash[HUSH_P2P_HASH_BYTES];
    uint32_t flags, max_rows;
    uint8_t *desc;
    size_t desc_len;
    const uint8_t *model_file, *schema; /* inside desc */
    size_t model_len, schema_len;
    hush_model *model; /* the public model: architecture and standardisation, zero weights */
    hush_mpc_model *pub;
} bank_desc;

typedef struct pin {
    char name[HUSH_NET_NAME_MAX + 1];
    uint8_t pk[32];
} pin;

enum { S_FREE = 0, S_OPENING, S_RUNNING, S_DONE };
/* queues of records a local role has not taken yet */
enum { Q_DEALER = 0, Q_PEER_PARTY, Q_PEER_CLIENT, Q_LOCAL_PARTY, Q_LOCAL_CLIENT, Q_COUNT };

typedef struct sess {
    uint32_t state, gen, id;
    uint8_t sid[SID];
    char peer[HUSH_NET_NAME_MAX + 1];
    uint8_t peer_pk[32], dealer_pk[32];
    uint32_t rows, link, want;
    bank_desc *bank;
    hush_mpc_party *party, *client;
    hush_channel *ch_dealer, *ch_party, *ch_client, *ch_lc, *ch_lp;
    int att_dealer, att_party, att_client;
    float *x;
    size_t x_len;
    uint32_t *dec;
    rxbuf rx_dealer, rx_link[2];
    queue q[Q_COUNT];
    queue hold;     /* link records before the link is decided (tag, whole records) */
    queue link_out; /* direct-link messages, fragmented */
    uint32_t sig_out, sig_in;
    uint64_t bytes_out, bytes_in;
    int end_pending; /* DONE, END goes out once link_out is empty */
} sess;

typedef struct event {
    struct event *next;
    hush_p2p_event ev;
    uint8_t *data;
    size_t len;
} event;

struct hush_p2p {
    hush_allocator alloc;
    const hush_allocator *a;
    hush_p2p_config cfg;
    hush_net_client *net;
    uint8_t sk[HUSH_NET_SECRET_KEY_BYTES], pk[32];
    char name[HUSH_NET_NAME_MAX + 1];
    int ready;
    /* bank */
    hush_model *model;
    uint8_t *serve_frame;
    size_t serve_len;
    uint8_t desc_hash[HUSH_P2P_HASH_BYTES];
    /* applicant */
    bank_desc *banks;
    pin *pins;
    size_t n_pins, cap_pins;
    uint8_t dealer_pin[32];
    int has_dealer_pin;
    /* both */
    hush_mpc_guard *guard;
    sess **slots;
    size_t n_active;
    uint32_t gen;
    queue out;
    event *ev_head, *ev_tail;
    uint8_t *cur_data;
    size_t cur_len;
};

/* ---------------- queues, events ---------------- */

static int q_push(const hush_allocator *a, queue *q, uint32_t tag, const uint8_t *d, size_t len, qitem **made) {
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

static void q_pop(const hush_allocator *a, queue *q) {
    qitem *it = q->head;
    if (!it) return;
    q->head = it->next;
    if (!q->head) q->tail = NULL;
    q->bytes -= it->len;
    hush__free_wipe(a, it, sizeof *it + it->len);
}

static void q_clear(const hush_allocator *a, queue *q) {
    while (q->head) q_pop(a, q);
}

static void rx_free(const hush_allocator *a, rxbuf *b) {
    if (b->p) hush__free_wipe(a, b->p, b->cap);
    memset(b, 0, sizeof *b);
}

/* Appends one fragment; *done when it was the last one. HUSH_ERANGE past limit. */
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

static void copy_name(char *dst, const uint8_t *p, size_t n) {
    memcpy(dst, p, n);
    dst[n] = 0;
}

static int name_eq(const char *s, hush__nw_name n) { return strlen(s) == n.len && !memcmp(s, n.p, n.len); }

static void push_event(hush_p2p *p, const hush_p2p_event *e, const uint8_t *data, size_t len) {
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

static void ev_init(hush_p2p_event *e, uint32_t kind) {
    memset(e, 0, sizeof *e);
    e->kind = kind;
}

static void ev_text(hush_p2p_event *e, const char *t) {
    size_t n = t ? strlen(t) : 0;
    if (n > HUSH_NET_ERROR_TEXT_MAX) n = HUSH_NET_ERROR_TEXT_MAX;
    if (n) memcpy(e->text, t, n);
    e->text[n] = 0;
}

/* ---------------- frames to the server ---------------- */

static int out_frame(hush_p2p *p, const uint8_t *f, size_t len) { return q_push(p->a, &p->out, 0, f, len, NULL); }

/* A frame encoded straight into a queue item of the exact size. */
#define OUT_ENCODE(p, size, call)                                                        \
    do {                                                                                 \
        qitem *it_;                                                                      \
        int rc_ = q_push((p)->a, &(p)->out, 0, NULL, (size), &it_);                      \
        if (rc_ != HUSH_OK) return rc_;                                                  \
        uint8_t *out = it_->data;                                                        \
        size_t cap = (size), w_ = 0;                                                     \
        rc_ = (call);                                                                    \
        (void)w_;                                                                        \
        if (rc_ != HUSH_OK) return rc_;                                                  \
    } while (0)

/* ---------------- sessions ---------------- */

static sess *slot_get(const hush_p2p *p, uint32_t slot) {
    uint32_t i = slot & SLOT_MASK;
    if (i >= p->cfg.max_sessions || !p->slots[i]) return NULL;
    sess *s = p->slots[i];
    return s->id == slot && s->state != S_FREE ? s : NULL;
}

static sess *find_sid(const hush_p2p *p, const uint8_t *sid) {
    for (uint32_t i = 0; i < p->cfg.max_sessions; i++) {
        sess *s = p->slots[i];
        if (s && (s->state == S_RUNNING || s->state == S_DONE) && !memcmp(s->sid, sid, SID)) return s;
    }
    return NULL;
}

static sess *find_req(const hush_p2p *p, uint32_t req) {
    sess *s = slot_get(p, req);
    return s && s->state == S_OPENING ? s : NULL;
}

static sess *slot_new(hush_p2p *p) {
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
static void sess_clear(hush_p2p *p, sess *s) {
    const hush_allocator *a = p->a;
    hush_mpc_party_free(s->party);
    hush_mpc_party_free(s->client);
    hush_channel_free(s->ch_dealer);
    hush_channel_free(s->ch_party);
    hush_channel_free(s->ch_client);
    hush_channel_free(s->ch_lc);
    hush_channel_free(s->ch_lp);
    if (s->x) hush__free_wipe(a, s->x, s->x_len * sizeof *s->x);
    if (s->dec) hush__free_wipe(a, s->dec, (size_t)s->rows * sizeof *s->dec);
    rx_free(a, &s->rx_dealer);
    rx_free(a, &s->rx_link[0]);
    rx_free(a, &s->rx_link[1]);
    for (int i = 0; i < Q_COUNT; i++) q_clear(a, &s->q[i]);
    q_clear(a, &s->hold);
    q_clear(a, &s->link_out);
    uint32_t gen = s->gen, id = s->id;
    if (s->state != S_FREE && p->n_active) p->n_active--;
    sodium_memzero(s, sizeof *s);
    s->gen = gen;
    s->id = id;
}

static int queue_end(hush_p2p *p, sess *s, uint16_t code, const char *text) {
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
static void fail(hush_p2p *p, sess *s, int32_t code, const char *why, int tell_server) {
    if (s->state == S_FREE) return;
    hush_p2p_event e;
    ev_init(&e, HUSH_P2P_EV_FAILED);
    e.slot = s->id;
    e.rows = s->rows;
    e.code = code;
    e.bytes_out = s->bytes_out, e.bytes_in = s->bytes_in;
    memcpy(e.session, s->sid, SID);
    hush__fmt(e.peer, sizeof e.peer, "%s", s->peer);
    ev_text(&e, why);
    if (tell_server && s->state == S_RUNNING) {
        uint16_t c = code >= 4000 && code <= 4999 ? (uint16_t)code : (uint16_t)HUSH_P2P_E_REFUSED;
        char t[HUSH_NET_ERROR_TEXT_MAX + 1];
        hush__fmt(t, sizeof t, "%s", why ? why : "");
        for (char *c2 = t; *c2; c2++)
            if (*c2 < 0x20 || *c2 > 0x7e) *c2 = '?';
        (void)queue_end(p, s, c, t);
    }
    sess_clear(p, s);
    push_event(p, &e, NULL, 0);
}

static void fail_rc(hush_p2p *p, sess *s, int rc, const char *what) {
    char t[160];
    hush__fmt(t, sizeof t, "%s: %s", what, hush_strerror(rc));
    fail(p, s, rc, t, 1);
}

/* ---------------- links ---------------- */

static size_t link_payload_max(const hush_p2p *p, uint32_t link) {
    size_t m = link == HUSH_P2P_LINK_DIRECT ? p->cfg.link_max : p->cfg.frame_max - HUSH__PW_RELAY_PREFIX;
    return m - HUSH__PW_LINK_PREFIX;
}

/* One record (or handshake message) to the peer, fragmented for the session's link. */
static int link_send(hush_p2p *p, sess *s, uint32_t tag, const uint8_t *rec, size_t len) {
    if (s->link == HUSH_P2P_LINK_NONE) return q_push(p->a, &s->hold, tag, rec, len, NULL);
    size_t max = link_payload_max(p, s->link), off = 0;
    do {
        size_t n = len - off < max ? len - off : max;
        int more = off + n < len;
        if (s->link == HUSH_P2P_LINK_RELAY) {
            size_t size = HUSH__PW_RELAY_PREFIX + HUSH__PW_LINK_PREFIX + n;
            qitem *it;
            int rc = q_push(p->a, &p->out, 0, NULL, size, &it);
            if (rc) return rc;
            hush__pw_relay_header(it->data, s->sid, HUSH__PW_LINK_PREFIX + n);
            it->data[HUSH__PW_RELAY_PREFIX] = (uint8_t)tag;
            it->data[HUSH__PW_RELAY_PREFIX + 1] = more ? HUSH__PW_FLAG_MORE : 0;
            memcpy(it->data + HUSH__PW_RELAY_PREFIX + HUSH__PW_LINK_PREFIX, rec + off, n);
            s->bytes_out += size;
        } else {
            qitem *it;
            int rc = q_push(p->a, &s->link_out, 0, NULL, HUSH__PW_LINK_PREFIX + n, &it);
            if (rc) return rc;
            it->data[0] = (uint8_t)tag;
            it->data[1] = more ? HUSH__PW_FLAG_MORE : 0;
            memcpy(it->data + HUSH__PW_LINK_PREFIX, rec + off, n);
        }
        off += n;
    } while (off < len);
    return HUSH_OK;
}

static int set_link(hush_p2p *p, sess *s, uint32_t link) {
    s->link = link;
    while (s->hold.head) {
        qitem *it = s->hold.head;
        int rc = link_send(p, s, it->tag, it->data, it->len);
        if (rc) return rc;
        q_pop(p->a, &s->hold);
    }
    return HUSH_OK;
}

/* ---------------- the MPC roles of a session ---------------- */

static size_t rx_limit(const hush_mpc_party *r) { return r->lay.rx + HUSH_CHANNEL_OVERHEAD_BYTES; }

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
            q_pop(p->a, &s->q[q]);
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
        rc = tag ? link_send(p, s, tag, it->data, it->len) : HUSH_ESTATE;
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
static void pump(hush_p2p *p, sess *s) {
    if (s->state != S_RUNNING) return;
    int rc = attach_open(s);
    for (int progress = 1; rc == HUSH_OK && progress;) {
        progress = 0;
        rc = deliver(p, s, &progress);
        if (rc == HUSH_OK) rc = drain_role(p, s, s->party, &progress);
        if (rc == HUSH_OK && s->client) rc = drain_role(p, s, s->client, &progress);
    }
    if (rc != HUSH_OK) {
        fail_rc(p, s, rc, "the encrypted prediction stopped");
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
            fail_rc(p, s, rc, "reading the decisions");
            return;
        }
    }
    /* the roles, their shares and channels are not needed any more */
    hush_mpc_party_free(s->party);
    hush_mpc_party_free(s->client);
    s->party = s->client = NULL;
    hush_channel_free(s->ch_dealer);
    hush_channel_free(s->ch_party);
    hush_channel_free(s->ch_client);
    hush_channel_free(s->ch_lc);
    hush_channel_free(s->ch_lp);
    s->ch_dealer = s->ch_party = s->ch_client = s->ch_lc = s->ch_lp = NULL;
    if (s->x) hush__free_wipe(p->a, s->x, s->x_len * sizeof *s->x);
    s->x = NULL;
    for (int i = 0; i < Q_COUNT; i++) q_clear(p->a, &s->q[i]);
    s->state = S_DONE;
    if (s->link_out.head) s->end_pending = 1;
    else (void)queue_end(p, s, 0, "");
    hush_p2p_event e;
    ev_init(&e, HUSH_P2P_EV_DONE);
    e.slot = s->id;
    e.rows = s->rows;
    e.link = s->link;
    e.bytes_out = s->bytes_out, e.bytes_in = s->bytes_in;
    memcpy(e.session, s->sid, SID);
    hush__fmt(e.peer, sizeof e.peer, "%s", s->peer);
    push_event(p, &e, NULL, 0);
    /* a bank keeps nothing once its direct link is drained; an applicant waits for result() */
    if (!s->dec && !s->end_pending) sess_clear(p, s);
}

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

static void bank_free(const hush_allocator *a, bank_desc *b) {
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
            sess_clear(p, p->slots[i]);
            hush__free(a, p->slots[i], sizeof(sess));
        }
    if (p->slots) hush__free(a, p->slots, p->cfg.max_sessions * sizeof *p->slots);
    q_clear(a, &p->out);
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
        bank_free(a, b);
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
        if (s && s->state != S_FREE) fail(p, s, HUSH_P2P_E_PEER_GONE, "the connection to the server was lost", 0);
    }
    q_clear(p->a, &p->out);
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

/* 1 if bank/pk is acceptable: no pins, or pinned with this key. */
static int pinned_ok(const hush_p2p *p, const char *bank, const uint8_t *pk) {
    if (!p->n_pins) return 1;
    for (size_t i = 0; i < p->n_pins; i++)
        if (!strcmp(p->pins[i].name, bank)) return sodium_memcmp(p->pins[i].pk, pk, 32) == 0;
    return 0;
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
    if (rc == HUSH_OK && p->ready) rc = out_frame(p, frame, frame_cap);
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
    sess *s = slot_new(p);
    if (!s) return HUSH_ERANGE;
    s->state = S_OPENING;
    s->bank = b;
    s->rows = rows;
    s->want = link;
    hush__fmt(s->peer, sizeof s->peer, "%s", bank);
    s->x = hush__alloc(p->a, x_len * sizeof *s->x);
    if (!s->x) {
        sess_clear(p, s);
        return HUSH_ENOMEM;
    }
    memcpy(s->x, x, x_len * sizeof *s->x);
    s->x_len = x_len;
    size_t size = HUSH__NW_HEADER_BYTES + 4 + 1 + strlen(bank) + 8;
    qitem *it;
    int rc = q_push(p->a, &p->out, 0, NULL, size, &it);
    if (rc == HUSH_OK) rc = hush__pw_open(it->data, size, &size, s->id, bank, rows, link);
    if (rc != HUSH_OK) {
        sess_clear(p, s);
        return rc;
    }
    *slot = s->id;
    return HUSH_OK;
}

/* ---------------- receiving ---------------- */

static int on_model(hush_p2p *p, const hush__pw_msg *m) {
    if (p->cfg.role != HUSH_P2P_APPLICANT) return HUSH_ESTATE;
    char bank[HUSH_NET_NAME_MAX + 1];
    copy_name(bank, m->name.p, m->name.len);
    hush_p2p_event e;
    ev_init(&e, HUSH_P2P_EV_MODEL);
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
        ev_text(&e, "the bank's identity key is not the one pinned");
        push_event(p, &e, NULL, 0);
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
        if (b) bank_free(p->a, b);
        e.code = rc == HUSH_ECRYPTO ? HUSH_P2P_E_PROTOCOL : rc;
        ev_text(&e, rc == HUSH_ECRYPTO ? "the bank's description is not signed by its identity"
                                       : "the bank's description is not usable");
        push_event(p, &e, NULL, 0);
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
            bank_free(p->a, old);
        }
        break;
    }
    b->next = p->banks;
    p->banks = b;
    push_event(p, &e, b->schema, b->schema_len);
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
    if (rc == HUSH_OK && w) rc = link_send(p, s, HUSH__PW_TAG_PARTY, hello, w);
    if (rc == HUSH_OK) rc = hush_channel_next_message(s->ch_client, hello, sizeof hello, &w);
    if (rc == HUSH_OK && w) rc = link_send(p, s, HUSH__PW_TAG_CLIENT, hello, w);
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
        s = p->model ? slot_new(p) : NULL;
        if (!s) {
            /* no slot to fail: refuse straight away */
            sess tmp;
            memset(&tmp, 0, sizeof tmp);
            memcpy(tmp.sid, m->session, SID);
            int rc = queue_end(p, &tmp, HUSH_P2P_E_BUSY, p->model ? "the bank has no free session slot" : "not serving");
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
        fail(p, s, code, why, 1);
        return HUSH_ECRYPTO;
    }
    int rc = start_roles(p, s);
    if (rc == HUSH_ESTATE) {
        fail(p, s, HUSH_P2P_E_REFUSED, "session id used before: replay refused", 1);
        return rc;
    }
    if (rc == HUSH_OK && !bank && s->want == HUSH_P2P_LINK_RELAY) rc = set_link(p, s, HUSH_P2P_LINK_RELAY);
    if (rc != HUSH_OK) {
        fail_rc(p, s, rc, "starting the session");
        return rc;
    }
    hush_p2p_event e;
    ev_init(&e, HUSH_P2P_EV_SESSION);
    e.slot = s->id;
    e.rows = s->rows;
    e.link = s->want;
    memcpy(e.session, s->sid, SID);
    hush__fmt(e.peer, sizeof e.peer, "%s", s->peer);
    push_event(p, &e, NULL, 0);
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
    if (!dealer) return link_send(p, s, tag, reply, w);
    size_t size = HUSH__PW_DEALER_PREFIX + w;
    qitem *it;
    rc = q_push(p->a, &p->out, 0, NULL, size, &it);
    if (rc) return rc;
    hush__pw_dealer_header(it->data, s->sid, 0, w);
    memcpy(it->data + HUSH__PW_DEALER_PREFIX, reply, w);
    s->bytes_out += size;
    return HUSH_OK;
}

static int on_dealer(hush_p2p *p, sess *s, const hush__pw_msg *m) {
    int rc = rx_add(p->a, &s->rx_dealer, m->payload, m->payload_len, rx_limit(s->party));
    if (rc != HUSH_OK || (m->flags & HUSH__PW_FLAG_MORE)) return rc;
    if (s->att_dealer) rc = q_push(p->a, &s->q[Q_DEALER], 0, s->rx_dealer.p, s->rx_dealer.len, NULL);
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
    if (attached) rc = q_push(p->a, &s->q[tag == HUSH__PW_TAG_PARTY ? Q_PEER_PARTY : Q_PEER_CLIENT], 0, rx->p, rx->len, NULL);
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
        fail(p, s, HUSH_P2P_E_PROTOCOL, "a signalling message not signed by the peer: refused", 1);
        return rc;
    }
    s->sig_in = m->seq;
    hush_p2p_event e;
    ev_init(&e, HUSH_P2P_EV_SIGNAL);
    e.slot = s->id;
    e.signal = m->kind;
    memcpy(e.session, s->sid, SID);
    hush__fmt(e.peer, sizeof e.peer, "%s", s->peer);
    push_event(p, &e, m->payload, m->payload_len);
    return HUSH_OK;
}

/* The server ended a session (the peer left or refused it, a timeout). */
static int on_end(hush_p2p *p, const hush__pw_msg *m) {
    sess *s = find_sid(p, m->session);
    if (!s || s->state != S_RUNNING) return HUSH_OK; /* already over */
    char t[HUSH_NET_ERROR_TEXT_MAX + 1];
    copy_name(t, m->text, m->text_len);
    fail(p, s, m->code ? m->code : HUSH_P2P_E_REFUSED, m->text_len ? t : "the server ended the session", 0);
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
        if (s && !strcmp(s->peer, bank)) fail(p, s, m->code, t, 0);
        return HUSH_OK;
    }
    hush_p2p_event e;
    ev_init(&e, HUSH_P2P_EV_MODEL);
    hush__fmt(e.peer, sizeof e.peer, "%s", bank);
    e.code = m->code;
    ev_text(&e, t);
    push_event(p, &e, NULL, 0);
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
            if (s->link == HUSH_P2P_LINK_NONE && p->cfg.role == HUSH_P2P_BANK) rc = set_link(p, s, HUSH_P2P_LINK_RELAY);
            else if (s->link != HUSH_P2P_LINK_RELAY) rc = HUSH_ESTATE;
            if (rc == HUSH_OK) rc = on_link(p, s, m.payload, m.payload_len);
        }
        if (rc != HUSH_OK) {
            fail_rc(p, s, rc, m.type == HUSH_P2P_MSG_DEALER ? "a dealer message was refused" : "a relayed message was refused");
            return rc;
        }
        pump(p, s);
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
            if (p->serve_frame) (void)out_frame(p, p->serve_frame, p->serve_len);
            ev_init(&e, HUSH_P2P_EV_READY);
            e.flags = ne.flags;
            hush__fmt(e.peer, sizeof e.peer, "%s", p->name);
            push_event(p, &e, NULL, 0);
        } else if (ne.kind == HUSH_NET_EV_ERROR) {
            ev_init(&e, HUSH_P2P_EV_ERROR);
            e.code = ne.code;
            ev_text(&e, ne.text);
            push_event(p, &e, NULL, 0);
        }
    }
}

int hush_p2p_receive(hush_p2p *p, const uint8_t *msg, size_t len) {
    if (!p || (!msg && len)) return HUSH_EARG;
    if (len >= 4 && msg[3] >= HUSH_P2P_MSG_FIRST && msg[3] <= HUSH_P2P_MSG_LAST) return p2p_frame(p, msg, len);
    int rc = hush_net_client_receive(p->net, msg, len);
    net_events(p);
    return rc;
}

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
    q_pop(p->a, &p->out);
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
    sess *s = slot_get(p, slot);
    if (!s || s->state != S_RUNNING) return HUSH_ESTATE;
    if (s->link == link) return HUSH_OK;
    if (s->link != HUSH_P2P_LINK_NONE) return HUSH_ESTATE;
    if (link == HUSH_P2P_LINK_DIRECT && !p->cfg.direct) return HUSH_EARG;
    int rc = set_link(p, s, link);
    if (rc != HUSH_OK) fail_rc(p, s, rc, "switching the link");
    return rc;
}

int hush_p2p_link_receive(hush_p2p *p, uint32_t slot, const uint8_t *msg, size_t len) {
    if (!p || (!msg && len)) return HUSH_EARG;
    sess *s = slot_get(p, slot);
    if (!s || s->state != S_RUNNING) return HUSH_ESTATE;
    if (s->link != HUSH_P2P_LINK_DIRECT) return HUSH_ESTATE;
    s->bytes_in += len;
    int rc = on_link(p, s, msg, len);
    if (rc != HUSH_OK) {
        fail_rc(p, s, rc, "a message on the direct link was refused");
        return rc;
    }
    pump(p, s);
    return HUSH_OK;
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
        q_pop(p->a, &s->link_out);
        if (!s->link_out.head && s->end_pending) {
            s->end_pending = 0;
            int rc = queue_end(p, s, 0, "");
            if (!s->dec) sess_clear(p, s); /* a bank, or an applicant whose result was taken */
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
    sess *s = slot_get(p, slot);
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
    ev_init(ev, HUSH_P2P_EV_NONE);
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
    sess *s = slot_get(p, slot);
    if (!s || s->state != S_DONE || !s->dec) return HUSH_ESTATE;
    if (rows != s->rows) return HUSH_ESHAPE;
    memcpy(decisions, s->dec, rows * sizeof *decisions);
    hush__free_wipe(p->a, s->dec, (size_t)s->rows * sizeof *s->dec);
    s->dec = NULL;
    /* the last records to the bank may still wait for the direct link: the slot goes with them */
    if (!s->end_pending) sess_clear(p, s);
    return HUSH_OK;
}

size_t hush_p2p_sessions(const hush_p2p *p) { return p ? p->n_active : 0; }
