/* Internals shared by the files of one hush_p2p (protocol and threat model in hush/p2p.h): the
 * connection's and the sessions' structures, and the calls between p2p.c (the public API, create
 * and free, pins, serving and applying), session.c (queues, events, sessions, links and the MPC
 * roles of a session) and receive.c (the frames that come in).
 *
 * One hush_p2p is one hush.v1 connection: a hush_net_client does the authentication, every
 * frame of types 16..31 is handled here. Each session (a slot) holds the MPC roles of its side
 * (bank: party 0; applicant: party 1 and the client), their channels (to the dealer in DEALER
 * frames, to the peer over the link, and the applicant's in-process client<->party 1 channel),
 * reassembly buffers for fragmented records, and per-source queues of records a role has not
 * taken yet (an MPC role refuses a record it does not expect now, leaving it intact, so it waits
 * in order and is offered again after every step). Frames for the server wait in one FIFO, so a
 * session's END never overtakes its last relayed record. */
#ifndef HUSH__P2P_INT_H
#define HUSH__P2P_INT_H

#include <stddef.h>
#include <stdint.h>

#include "hush/channel.h"
#include "hush/mpc.h"
#include "hush/net.h"
#include "hush/nn.h"
#include "hush/p2p.h"

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

/* ---- queues, events (session.c) ---- */
/* Appends a copy of d (or len uninitialised bytes when d is NULL; *made, if given, is the item). */
int hush__p2p_q_push(const hush_allocator *a, queue *q, uint32_t tag, const uint8_t *d, size_t len, qitem **made);
void hush__p2p_q_pop(const hush_allocator *a, queue *q); /* wipes the head item */
void hush__p2p_q_clear(const hush_allocator *a, queue *q);
void hush__p2p_push_event(hush_p2p *p, const hush_p2p_event *e, const uint8_t *data, size_t len);
void hush__p2p_ev_init(hush_p2p_event *e, uint32_t kind);
void hush__p2p_ev_text(hush_p2p_event *e, const char *t);

/* ---- frames to the server (session.c) ---- */
int hush__p2p_out_frame(hush_p2p *p, const uint8_t *f, size_t len);

/* A frame encoded straight into a queue item of the exact size. */
#define OUT_ENCODE(p, size, call)                                                        \
    do {                                                                                 \
        qitem *it_;                                                                      \
        int rc_ = hush__p2p_q_push((p)->a, &(p)->out, 0, NULL, (size), &it_);            \
        if (rc_ != HUSH_OK) return rc_;                                                  \
        uint8_t *out = it_->data;                                                        \
        size_t cap = (size), w_ = 0;                                                     \
        rc_ = (call);                                                                    \
        (void)w_;                                                                        \
        if (rc_ != HUSH_OK) return rc_;                                                  \
    } while (0)

/* ---- sessions, links, roles (session.c) ---- */
sess *hush__p2p_slot_get(const hush_p2p *p, uint32_t slot); /* a session in use, by its id */
sess *hush__p2p_slot_new(hush_p2p *p);                       /* NULL when every slot is taken */
void hush__p2p_sess_clear(hush_p2p *p, sess *s);
/* Queues the session's END frame for the server. */
int hush__p2p_queue_end(hush_p2p *p, sess *s, uint16_t code, const char *text);
void hush__p2p_fail(hush_p2p *p, sess *s, int32_t code, const char *why, int tell_server);
void hush__p2p_fail_rc(hush_p2p *p, sess *s, int rc, const char *what);
int hush__p2p_link_send(hush_p2p *p, sess *s, uint32_t tag, const uint8_t *rec, size_t len);
int hush__p2p_set_link(hush_p2p *p, sess *s, uint32_t link); /* sends what waited for the link */
void hush__p2p_pump(hush_p2p *p, sess *s);

/* ---- bank descriptions (p2p.c) ---- */
void hush__p2p_bank_free(const hush_allocator *a, bank_desc *b);

#endif
