/* p2p sessions on hush-server (see p2p.h): banks, sessions, relay, signalling, the dealer. */
#define _POSIX_C_SOURCE 200809L
#include "p2p.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "dealer.h"
#include "hush/mpc.h"
#include "hush/p2p.h"
#include "io/p2pwire.h"

#define SID HUSH_NET_SESSION_BYTES
#define BUCKETS 1024
#define RECENT 16
#define DEAL_WINDOW (1u << 20)          /* bytes queued for a party before dealing pauses */
#define DEAL_FRAGMENT (64u << 10)       /* dealer bytes per DEALER frame */
#define SESSION_TIMEOUT 60.0            /* seconds without a frame */
#define MAX_SESSIONS 8192               /* on the server at once */
#define MAX_SESSIONS_PER_APPLICANT 256
#define GUARD_CAPACITY (1u << 16)

typedef struct recent {
    double at, seconds;
    uint32_t rows;
    uint64_t bytes;
    char applicant[HUSH_NET_NAME_MAX + 1];
    const char *link, *state;
} recent;

typedef struct bank {
    struct bank *next;
    uint64_t conn; /* 0: not serving now */
    char name[HUSH_NET_NAME_MAX + 1];
    uint8_t pk[32], hash[HUSH_P2P_HASH_BYTES];
    uint32_t flags, max_rows;
    uint8_t *model_frame; /* the MODEL frame answering DESCRIBE, minus nothing: sent as is */
    size_t model_len;
    hush_model *model;
    hush_mpc_model *pub;
    uint64_t served, failed, rows, bytes;
    double seconds;
    recent recent[RECENT];
    uint32_t n_recent, recent_next;
} bank;

typedef struct session {
    struct session *hnext;
    uint8_t id[SID];
    uint64_t conn[2]; /* 0 bank, 1 applicant; 0 once gone */
    char name[2][HUSH_NET_NAME_MAX + 1];
    bank *b;
    uint32_t rows, link, used_link;
    int ended[2];
    srv_dealer *dealer;
    uint8_t *dbuf; /* the dealer record being sent */
    size_t dcap, dlen, doff;
    uint32_t dto;
    uint64_t relay_bytes, signal_bytes, dealer_bytes;
    double started, last;
} session;

struct srv_p2p {
    srv_store *store;
    srv_io io;
    srv_limits lim;
    int dealer;
    uint8_t sk[64], pk[32];
    hush_mpc_guard *guard;
    bank *banks;
    session *table[BUCKETS];
    uint32_t n_sessions;
    uint8_t last_sid[SID]; /* test builds: the reuse-session fault */
#ifdef HUSH_SERVER_TEST
    FILE *tap;
#endif
};

/* ---------------- test builds: the tap and the faults ---------------- */

#ifdef HUSH_SERVER_TEST
/* HUSH_SERVER_TAP=FILE: every p2p frame the server received or sent, as records
 * u8 direction (0 in, 1 out) | u8 type | u64 conn | u32 length | bytes. */
static void tap(srv_p2p *x, int out, uint64_t conn, const uint8_t *f, size_t len) {
    if (!x->tap || len < 4) return;
    uint8_t h[14];
    h[0] = (uint8_t)out;
    h[1] = f[3];
    for (int i = 0; i < 8; i++) h[2 + i] = (uint8_t)(conn >> (8 * i));
    for (int i = 0; i < 4; i++) h[10 + i] = (uint8_t)(len >> (8 * i));
    fwrite(h, 1, sizeof h, x->tap);
    fwrite(f, 1, len, x->tap);
    fflush(x->tap);
}
static int fault(const char *what) {
    const char *f = getenv("HUSH_SERVER_P2P_FAULT");
    return f && !strcmp(f, what);
}
#else
#define tap(x, out, conn, f, len) ((void)0)
#define fault(what) 0
#endif

/* ---------------- helpers ---------------- */

static void xsend(srv_p2p *x, uint64_t conn, const uint8_t *f, size_t len) {
    if (!conn) return;
    tap(x, 1, conn, f, len);
    (void)x->io.send(x->io.ud, conn, f, len); /* a failure means the transport closes it */
}

static size_t queued(const srv_p2p *x, uint64_t conn) { return x->io.queued ? x->io.queued(x->io.ud, conn) : 0; }

static void hex(char *out, const uint8_t *p, size_t n) {
    static const char d[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) out[2 * i] = d[p[i] >> 4], out[2 * i + 1] = d[p[i] & 15];
    out[2 * n] = 0;
}

static void audit(srv_p2p *x, double now, const char *who, const char *event, const char *detail) {
    srv_store_audit(x->store, now, who, event, detail);
}

static size_t bucket_of(const uint8_t *sid) { return ((size_t)sid[0] | (size_t)sid[1] << 8) % BUCKETS; }

static session *find(const srv_p2p *x, const uint8_t *sid) {
    for (session *s = x->table[bucket_of(sid)]; s; s = s->hnext)
        if (!memcmp(s->id, sid, SID)) return s;
    return NULL;
}

static bank *bank_find(const srv_p2p *x, const char *name) {
    for (bank *b = x->banks; b; b = b->next)
        if (!strcmp(b->name, name)) return b;
    return NULL;
}

static void copy_name(char *dst, const uint8_t *p, size_t n) {
    memcpy(dst, p, n);
    dst[n] = 0;
}

static void send_end(srv_p2p *x, uint64_t conn, const uint8_t *sid, uint16_t code, const char *text) {
    uint8_t f[HUSH__NW_HEADER_BYTES + SID + 4 + HUSH_NET_ERROR_TEXT_MAX];
    size_t n;
    if (hush__pw_end(f, sizeof f, &n, sid, code, text) == HUSH_OK) xsend(x, conn, f, n);
}

static void refuse_req(srv_p2p *x, uint64_t conn, const char *bank_name, uint32_t req, uint16_t code,
                       const char *text) {
    uint8_t f[HUSH__NW_HEADER_BYTES + 1 + HUSH_NET_NAME_MAX + 8 + HUSH_NET_ERROR_TEXT_MAX];
    size_t n;
    if (hush__pw_refuse(f, sizeof f, &n, bank_name, req, code, text) == HUSH_OK) xsend(x, conn, f, n);
}

static const char *link_name(uint32_t l) {
    return l == HUSH_P2P_LINK_DIRECT ? "direct" : l == HUSH_P2P_LINK_RELAY ? "relay" : "none";
}

/* ---------------- create / free ---------------- */

int srv_p2p_create(srv_p2p **out, srv_store *store, const srv_io *io, const srv_limits *limits) {
    if (!out || !store || !io || !limits) return HUSH_EARG;
    *out = NULL;
    srv_p2p *x = calloc(1, sizeof *x);
    if (!x) return HUSH_ENOMEM;
    x->store = store;
    x->io = *io;
    x->lim = *limits;
#ifdef HUSH_SERVER_TEST
    const char *t = getenv("HUSH_SERVER_TAP");
    if (t && *t) x->tap = fopen(t, "ab");
#endif
    *out = x;
    return HUSH_OK;
}

static void bank_free(bank *b) {
    free(b->model_frame);
    hush_model_free(b->model);
    hush_mpc_model_free(b->pub);
    free(b);
}

static void session_free(session *s) {
    srv_dealer_free(s->dealer);
    if (s->dbuf) {
        sodium_memzero(s->dbuf, s->dcap);
        free(s->dbuf);
    }
    free(s);
}

void srv_p2p_free(srv_p2p *x) {
    if (!x) return;
    for (size_t i = 0; i < BUCKETS; i++)
        while (x->table[i]) {
            session *s = x->table[i];
            x->table[i] = s->hnext;
            session_free(s);
        }
    while (x->banks) {
        bank *b = x->banks;
        x->banks = b->next;
        bank_free(b);
    }
    hush_mpc_guard_free(x->guard);
#ifdef HUSH_SERVER_TEST
    if (x->tap) fclose(x->tap);
#endif
    sodium_memzero(x->sk, sizeof x->sk);
    free(x);
}

int srv_p2p_set_dealer(srv_p2p *x, const uint8_t sk[64]) {
    if (!x || !sk) return HUSH_EARG;
    if (!x->guard) {
        int rc = hush_mpc_guard_create(&x->guard, GUARD_CAPACITY, NULL);
        if (rc) return rc;
    }
    memcpy(x->sk, sk, 64);
    crypto_sign_ed25519_sk_to_pk(x->pk, x->sk);
    x->dealer = 1;
    return HUSH_OK;
}

/* ---------------- ending sessions ---------------- */


/* Records the session (audit line, table row, the bank's counters) and forgets it. */
static void session_end(srv_p2p *x, session *s, int ok, const char *detail, double now) {
    session **pp = &x->table[bucket_of(s->id)];
    while (*pp && *pp != s) pp = &(*pp)->hnext;
    if (*pp) *pp = s->hnext;
    x->n_sessions--;
    /* a session that wanted a direct link and never relayed a frame used it */
    if (s->used_link == HUSH_P2P_LINK_NONE && s->link == HUSH_P2P_LINK_DIRECT && ok) s->used_link = HUSH_P2P_LINK_DIRECT;
    char sh[2 * SID + 1], line[512];
    hex(sh, s->id, SID);
    uint64_t bytes = s->relay_bytes + s->signal_bytes + s->dealer_bytes;
    snprintf(line, sizeof line,
             "session %s applicant %s bank %s rows %u link %s: %s; relayed %llu bytes, signalled %llu, dealt %llu, "
             "%.1f ms",
             sh, s->name[1], s->name[0], s->rows, link_name(s->used_link), ok ? "done" : detail,
             (unsigned long long)s->relay_bytes, (unsigned long long)s->signal_bytes,
             (unsigned long long)s->dealer_bytes, 1e3 * (now - s->started));
    audit(x, now, "p2p", ok ? "p2p-session" : "p2p-session-failed", line);
    srv_p2p_record r;
    memset(&r, 0, sizeof r);
    memcpy(r.session, s->id, SID);
    snprintf(r.applicant, sizeof r.applicant, "%s", s->name[1]);
    snprintf(r.bank, sizeof r.bank, "%s", s->name[0]);
    r.rows = s->rows;
    r.link = link_name(s->used_link);
    r.state = ok ? "done" : "failed";
    snprintf(r.detail, sizeof r.detail, "%s", ok ? "" : detail);
    r.started = s->started;
    r.ended = now;
    r.relay_bytes = s->relay_bytes, r.signal_bytes = s->signal_bytes, r.dealer_bytes = s->dealer_bytes;
    srv_store_p2p_record(x->store, &r);
    bank *b = s->b;
    if (b) {
        if (ok) {
            b->served++;
            b->rows += s->rows;
            b->bytes += bytes;
            b->seconds += now - s->started;
        } else {
            b->failed++;
        }
        recent *rc = &b->recent[b->recent_next];
        b->recent_next = (b->recent_next + 1) % RECENT;
        if (b->n_recent < RECENT) b->n_recent++;
        rc->at = now;
        rc->seconds = now - s->started;
        rc->rows = s->rows;
        rc->bytes = bytes;
        rc->link = link_name(s->used_link);
        rc->state = ok ? "done" : "failed";
        snprintf(rc->applicant, sizeof rc->applicant, "%s", s->name[1]);
    }
    session_free(s);
}

/* Fails a session: both sides still connected get END with the reason. */
static void session_fail(srv_p2p *x, session *s, uint16_t code, const char *why, double now) {
    for (int i = 0; i < 2; i++)
        if (s->conn[i] && !s->ended[i]) send_end(x, s->conn[i], s->id, code, why);
    session_end(x, s, 0, why, now);
}

/* ---------------- dealing ---------------- */

/* Hands out dealer records while the recipient's queue is under the window. */
static void deal(srv_p2p *x, session *s, double now) {
    while (s->dealer) {
        if (s->doff == s->dlen) {
            s->dlen = s->doff = 0;
            size_t w = 0;
            uint32_t to = 0;
            int rc = srv_dealer_next(s->dealer, &to, s->dbuf, s->dcap, &w);
            if (rc != HUSH_OK) {
                session_fail(x, s, HUSH_P2P_E_PROTOCOL, "the dealer failed", now);
                return;
            }
            if (!w) {
                if (srv_dealer_done(s->dealer)) {
                    srv_dealer_free(s->dealer); /* every record is out: its material is wiped */
                    s->dealer = NULL;
                    sodium_memzero(s->dbuf, s->dcap);
                }
                return;
            }
            s->dlen = w;
            s->dto = to;
        }
        uint64_t conn = s->conn[s->dto ? 1 : 0];
        if (!conn) return;
        if (queued(x, conn) >= DEAL_WINDOW) return; /* srv_p2p_drained resumes it */
        size_t n = s->dlen - s->doff < DEAL_FRAGMENT ? s->dlen - s->doff : DEAL_FRAGMENT;
        int more = s->doff + n < s->dlen;
        uint8_t *f = malloc(HUSH__PW_DEALER_PREFIX + n);
        if (!f) {
            session_fail(x, s, HUSH_NET_E_FULL, "out of memory", now);
            return;
        }
        hush__pw_dealer_header(f, s->id, more ? HUSH__PW_FLAG_MORE : 0, n);
        memcpy(f + HUSH__PW_DEALER_PREFIX, s->dbuf + s->doff, n);
        xsend(x, conn, f, HUSH__PW_DEALER_PREFIX + n);
        free(f);
        s->dealer_bytes += HUSH__PW_DEALER_PREFIX + n;
        s->doff += n;
    }
}

/* Sends whatever handshake messages the dealer has for either party. */
static void dealer_handshakes(srv_p2p *x, session *s) {
    for (uint32_t i = 0; i < 2 && s->dealer; i++) {
        uint8_t f[HUSH__PW_DEALER_PREFIX + HUSH_CHANNEL_HANDSHAKE_MAX_BYTES];
        size_t w = 0;
        if (srv_dealer_handshake(s->dealer, i, f + HUSH__PW_DEALER_PREFIX, HUSH_CHANNEL_HANDSHAKE_MAX_BYTES, &w) !=
                HUSH_OK ||
            !w)
            continue;
        hush__pw_dealer_header(f, s->id, 0, w);
        xsend(x, s->conn[i], f, HUSH__PW_DEALER_PREFIX + w);
        s->dealer_bytes += HUSH__PW_DEALER_PREFIX + w;
    }
}

/* ---------------- frames ---------------- */

static int on_serve(srv_p2p *x, uint64_t conn, const char *name, const uint8_t *pk, const hush__pw_msg *m, double now,
                    const char **why) {
    size_t tl = hush__pw_model_transcript_size(name, m->desc_len);
    uint8_t *tr = malloc(tl);
    if (!tr) return *why = "out of memory", HUSH_NET_E_FULL;
    int rc = hush__pw_model_transcript(tr, tl, &tl, name, pk, m->flags, m->max_rows, m->desc, m->desc_len);
    if (rc == HUSH_OK && crypto_sign_verify_detached(m->sig, tr, tl, pk) != 0) rc = HUSH_ECRYPTO;
    free(tr);
    if (rc != HUSH_OK) return *why = "the description is not signed by this identity", HUSH_P2P_E_PROTOCOL;
    bank *b = bank_find(x, name);
    if (b && b->conn && b->conn != conn) return *why = "already serving on another connection", HUSH_NET_E_STATE;
    hush_model *model = NULL;
    hush_mpc_model *pub = NULL;
    rc = hush_model_load(&model, m->model, m->model_len, 1, NULL);
    if (rc == HUSH_OK) rc = hush_mpc_model_public(&pub, model, NULL);
    size_t ml = hush__pw_model_size(name, m->desc_len);
    uint8_t *mf = rc == HUSH_OK ? malloc(ml) : NULL;
    if (rc == HUSH_OK && !mf) rc = HUSH_ENOMEM;
    if (rc == HUSH_OK) rc = hush__pw_model(mf, ml, &ml, name, pk, m->flags, m->max_rows, m->desc, m->desc_len, m->sig);
    if (rc == HUSH_OK && !b) {
        b = calloc(1, sizeof *b);
        if (!b) rc = HUSH_ENOMEM;
        else {
            snprintf(b->name, sizeof b->name, "%s", name);
            b->next = x->banks;
            x->banks = b;
        }
    }
    if (rc != HUSH_OK) {
        free(mf);
        hush_model_free(model);
        hush_mpc_model_free(pub);
        return *why = "the description is not a usable model", HUSH_P2P_E_PROTOCOL;
    }
    free(b->model_frame);
    hush_model_free(b->model);
    hush_mpc_model_free(b->pub);
    b->conn = conn;
    memcpy(b->pk, pk, 32);
    b->flags = m->flags;
    b->max_rows = m->max_rows;
    b->model_frame = mf;
    b->model_len = ml;
    b->model = model;
    b->pub = pub;
    crypto_generichash(b->hash, sizeof b->hash, m->desc, m->desc_len, NULL, 0);
    char d[160];
    snprintf(d, sizeof d, "model with %zu inputs, up to %u rows a session%s", hush_model_input_size(model),
             m->max_rows, (m->flags & HUSH__PW_SERVE_DIRECT) ? ", direct links" : "");
    audit(x, now, name, "p2p-serving", d);
    return 0;
}

static session *session_new(srv_p2p *x, bank *b, uint64_t conn, const char *name, const uint8_t *pk,
                            const hush__pw_msg *m, double now, int *code, const char **why) {
    session *s = calloc(1, sizeof *s);
    if (!s) return *code = HUSH_NET_E_FULL, *why = "out of memory", NULL;
    /* a fresh random id: never zero, never one issued before (memory and the database) */
    do {
        randombytes_buf(s->id, SID);
        if (fault("reuse-session") && !sodium_is_zero(x->last_sid, SID)) memcpy(s->id, x->last_sid, SID);
    } while (sodium_is_zero(s->id, SID) ||
             (!fault("reuse-session") && (find(x, s->id) || srv_store_p2p_used(x->store, s->id))));
    memcpy(x->last_sid, s->id, SID);
    s->conn[0] = b->conn;
    s->conn[1] = conn;
    snprintf(s->name[0], sizeof s->name[0], "%s", b->name);
    snprintf(s->name[1], sizeof s->name[1], "%s", name);
    s->b = b;
    s->rows = m->rows;
    s->link = m->link;
    s->started = s->last = now;
    /* the dealer's own replay guard; every id is also checked against the database above, so
     * when it fills up a fresh one loses nothing */
    if (hush_mpc_guard_count(x->guard) >= GUARD_CAPACITY) {
        hush_mpc_guard_free(x->guard);
        x->guard = NULL;
        if (hush_mpc_guard_create(&x->guard, GUARD_CAPACITY, NULL) != HUSH_OK) x->guard = NULL;
    }
    int rc = x->guard ? srv_dealer_create(&s->dealer, s->id, m->rows, b->pub, x->sk, b->pk, pk,
                                          fault("reuse-session") ? NULL : x->guard)
                      : HUSH_ENOMEM;
    if (rc == HUSH_OK) {
        s->dcap = srv_dealer_max_message(s->dealer);
        s->dbuf = malloc(s->dcap);
        if (!s->dbuf) rc = HUSH_ENOMEM;
    }
    if (rc != HUSH_OK) {
        session_free(s);
        *code = HUSH_P2P_E_BUSY;
        *why = rc == HUSH_ERANGE ? "the session is too large for the dealer" : "the dealer could not start";
        return NULL;
    }
    s->hnext = x->table[bucket_of(s->id)];
    x->table[bucket_of(s->id)] = s;
    x->n_sessions++;
    /* the id is on record (written at the next tick, replaced by the outcome when it ends) */
    srv_p2p_record r;
    memset(&r, 0, sizeof r);
    memcpy(r.session, s->id, SID);
    snprintf(r.applicant, sizeof r.applicant, "%s", name);
    snprintf(r.bank, sizeof r.bank, "%s", b->name);
    r.rows = s->rows;
    r.link = link_name(s->link);
    r.state = "running";
    r.started = r.ended = now;
    srv_store_p2p_record(x->store, &r);
    return s;
}

static int on_open(srv_p2p *x, uint64_t conn, const char *name, const uint8_t *pk, const hush__pw_msg *m, double now,
                   const char **why) {
    char bn[HUSH_NET_NAME_MAX + 1];
    copy_name(bn, m->name.p, m->name.len);
    if (!x->dealer) {
        refuse_req(x, conn, bn, m->req, HUSH_P2P_E_NO_DEALER, "this server is not a dealer (serve --dealer)");
        return 0;
    }
    bank *b = bank_find(x, bn);
    if (!b || !b->conn) {
        refuse_req(x, conn, bn, m->req, HUSH_P2P_E_NO_BANK, "no bank of that name is serving");
        return 0;
    }
    if (b->conn == conn) return *why = "a bank cannot apply to itself", HUSH_NET_E_STATE;
    if (m->rows > b->max_rows) {
        refuse_req(x, conn, bn, m->req, HUSH_P2P_E_BUSY, "more rows than the bank takes in one session");
        return 0;
    }
    if (m->link == HUSH_P2P_LINK_DIRECT && !(b->flags & HUSH__PW_SERVE_DIRECT)) {
        refuse_req(x, conn, bn, m->req, HUSH_P2P_E_REFUSED, "the bank makes no direct links");
        return 0;
    }
    uint32_t mine = 0;
    for (size_t i = 0; i < BUCKETS; i++)
        for (session *s = x->table[i]; s; s = s->hnext) mine += s->conn[1] == conn;
    if (x->n_sessions >= MAX_SESSIONS || mine >= MAX_SESSIONS_PER_APPLICANT) {
        refuse_req(x, conn, bn, m->req, HUSH_P2P_E_BUSY, "too many sessions");
        return 0;
    }
    int code = 0;
    session *s = session_new(x, b, conn, name, pk, m, now, &code, why);
    if (!s) {
        refuse_req(x, conn, bn, m->req, (uint16_t)code, *why);
        *why = NULL;
        return 0;
    }
    /* SESSION to both, then the dealer's HELLOs */
    uint8_t f[HUSH__NW_HEADER_BYTES + 4 + SID + 4 + 1 + HUSH_NET_NAME_MAX + 64 + 8 + HUSH_P2P_HASH_BYTES];
    size_t n;
    if (hush__pw_session(f, sizeof f, &n, 0, s->id, 0, name, pk, x->pk, s->rows, s->link, b->hash) == HUSH_OK)
        xsend(x, s->conn[0], f, n);
    if (hush__pw_session(f, sizeof f, &n, m->req, s->id, 1, b->name, b->pk, x->pk, s->rows, s->link, b->hash) ==
        HUSH_OK)
        xsend(x, s->conn[1], f, n);
    dealer_handshakes(x, s);
    return 0;
}

/* The party index of conn in s, or -1. */
static int member(const session *s, uint64_t conn) { return s->conn[0] == conn ? 0 : s->conn[1] == conn ? 1 : -1; }

static int on_session_frame(srv_p2p *x, uint64_t conn, const hush__pw_msg *m, const uint8_t *frame, size_t len,
                            double now, const char **why) {
    session *s = find(x, m->session);
    int me = s ? member(s, conn) : -1;
    if (me < 0) {
        /* a late frame of a session that just ended is harmless; anything else is not */
        if (m->type == HUSH_P2P_MSG_RELAY || m->type == HUSH_P2P_MSG_END || m->type == HUSH_P2P_MSG_DEALER ||
            m->type == HUSH_P2P_MSG_SIGNAL)
            return 0;
        return *why = "not in that session", HUSH_P2P_E_SESSION;
    }
    s->last = now;
    uint64_t peer = s->conn[1 - me];
    switch (m->type) {
    case HUSH_P2P_MSG_RELAY:
        if (s->used_link == HUSH_P2P_LINK_NONE) s->used_link = HUSH_P2P_LINK_RELAY;
        s->relay_bytes += len;
        if (!peer) return 0;
        if (x->lim.max_queue && queued(x, peer) > x->lim.max_queue / 2) {
            session_fail(x, s, HUSH_NET_E_RATE, "relay flooding: the peer is not reading", now);
            return *why = "relayed faster than the peer reads", HUSH_NET_E_RATE;
        }
        xsend(x, peer, frame, len);
        return 0;
    case HUSH_P2P_MSG_SIGNAL: {
        s->signal_bytes += len;
        if (s->link != HUSH_P2P_LINK_DIRECT) return *why = "signalling in a relayed session", HUSH_NET_E_STATE;
        if (fault("forge-signal") && m->payload_len) {
            uint8_t *c = malloc(len);
            if (!c) return 0;
            memcpy(c, frame, len);
            c[m->payload - frame] ^= 1; /* a forged SDP: the receiver must refuse it */
            xsend(x, peer, c, len);
            free(c);
            return 0;
        }
        xsend(x, peer, frame, len);
        return 0;
    }
    case HUSH_P2P_MSG_DEALER: {
        s->dealer_bytes += len;
        int rc = s->dealer && !(m->flags & HUSH__PW_FLAG_MORE)
                     ? srv_dealer_receive(s->dealer, (uint32_t)me, m->payload, m->payload_len)
                     : HUSH_ESTATE;
        if (rc != HUSH_OK) {
            char d[128];
            snprintf(d, sizeof d, "the dealer receives only handshakes (%s)", hush_strerror(rc));
            session_fail(x, s, HUSH_P2P_E_PROTOCOL, d, now);
            return 0;
        }
        dealer_handshakes(x, s);
        deal(x, s, now);
        return 0;
    }
    case HUSH_P2P_MSG_END: {
        char t[HUSH_NET_ERROR_TEXT_MAX + 1];
        copy_name(t, m->text, m->text_len);
        if (m->code) {
            char d[HUSH_NET_ERROR_TEXT_MAX + 16];
            snprintf(d, sizeof d, "the %s: %.180s", me == 0 ? "bank" : "applicant", t);
            s->ended[me] = 1;
            session_fail(x, s, m->code, d, now);
            return 0;
        }
        s->ended[me] = 1;
        if (s->ended[1 - me]) session_end(x, s, 1, "", now);
        return 0;
    }
    default: return *why = "not a client message", HUSH_NET_E_STATE;
    }
}

int srv_p2p_message(srv_p2p *x, uint64_t conn, const char *name, const uint8_t pk[32], const uint8_t *frame,
                    size_t len, double now, const char **why) {
    static const char *none = "";
    const char *w = none;
    if (!why) why = &w;
    *why = none;
    hush__pw_msg m;
    tap(x, 0, conn, frame, len);
    int rc = hush__pw_decode(&m, frame, len, x->lim.max_message);
    if (rc != HUSH_OK) return *why = "malformed p2p message", rc == HUSH_ERANGE ? HUSH_NET_E_TOO_BIG : HUSH_NET_E_MALFORMED;
    switch (m.type) {
    case HUSH_P2P_MSG_SERVE: return on_serve(x, conn, name, pk, &m, now, why);
    case HUSH_P2P_MSG_DESCRIBE: {
        char bn[HUSH_NET_NAME_MAX + 1];
        copy_name(bn, m.name.p, m.name.len);
        bank *b = bank_find(x, bn);
        if (!b || !b->conn) refuse_req(x, conn, bn, 0, HUSH_P2P_E_NO_BANK, "no bank of that name is serving");
        else xsend(x, conn, b->model_frame, b->model_len);
        return 0;
    }
    case HUSH_P2P_MSG_OPEN: return on_open(x, conn, name, pk, &m, now, why);
    case HUSH_P2P_MSG_RELAY:
    case HUSH_P2P_MSG_SIGNAL:
    case HUSH_P2P_MSG_DEALER:
    case HUSH_P2P_MSG_END: return on_session_frame(x, conn, &m, frame, len, now, why);
    default: return *why = "not a client message", HUSH_NET_E_STATE;
    }
}

void srv_p2p_closed(srv_p2p *x, uint64_t conn, double now) {
    if (!x) return;
    for (bank *b = x->banks; b; b = b->next)
        if (b->conn == conn) {
            b->conn = 0;
            audit(x, now, b->name, "p2p-stopped", "the bank disconnected");
        }
    for (size_t i = 0; i < BUCKETS; i++) {
        session *s = x->table[i];
        while (s) {
            session *next = s->hnext;
            int me = member(s, conn);
            if (me >= 0) {
                s->conn[me] = 0;
                if (!s->ended[me])
                    session_fail(x, s, HUSH_P2P_E_PEER_GONE,
                                 me == 0 ? "the bank disconnected mid-session" : "the applicant disconnected mid-session",
                                 now);
                else if (s->ended[1 - me] || !s->conn[1 - me])
                    session_end(x, s, 1, "", now);
            }
            s = next;
        }
    }
}

void srv_p2p_drained(srv_p2p *x, uint64_t conn, double now) {
    if (!x) return;
    for (size_t i = 0; i < BUCKETS; i++) {
        session *s = x->table[i];
        while (s) {
            session *next = s->hnext; /* deal may end s */
            if (s->dealer && member(s, conn) >= 0) deal(x, s, now);
            s = next;
        }
    }
}

void srv_p2p_tick(srv_p2p *x, double now) {
    if (!x) return;
    for (size_t i = 0; i < BUCKETS; i++) {
        session *s = x->table[i];
        while (s) {
            session *next = s->hnext;
            if (now - s->last > SESSION_TIMEOUT) session_fail(x, s, HUSH_P2P_E_TIMEOUT, "no progress in time", now);
            else if (s->dealer) deal(x, s, now); /* a window that reopened without a drain */
            s = next;
        }
    }
}

/* ---------------- status ---------------- */

typedef struct sbuf {
    char *p;
    size_t len, cap;
    int err;
} sbuf;

static void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#include <stdarg.h>
static void sb_printf(sbuf *b, const char *fmt, ...) {
    if (b->err) return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->p ? b->p + b->len : NULL, b->p ? b->cap - b->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->err = 1;
            return;
        }
        if (b->p && (size_t)n < b->cap - b->len) {
            b->len += (size_t)n;
            return;
        }
        size_t cap = b->cap ? b->cap : 512;
        while (cap - b->len <= (size_t)n) cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->err = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
}

int srv_p2p_status_json(srv_p2p *x, char **json, size_t *len) {
    if (!x || !json || !len) return HUSH_EARG;
    sbuf b = {0};
    char pk[65];
    hex(pk, x->pk, 32);
    sb_printf(&b, "\"dealer\":{\"enabled\":%s,\"public_key\":\"%s\",\"sessions\":%u},\"banks\":[",
              x->dealer ? "true" : "false", x->dealer ? pk : "", x->n_sessions);
    int first = 1;
    for (bank *k = x->banks; k; k = k->next) {
        hex(pk, k->pk, 32);
        uint32_t active = 0;
        for (size_t i = 0; i < BUCKETS; i++)
            for (session *s = x->table[i]; s; s = s->hnext) active += s->b == k;
        uint64_t done = 0, failed = 0;
        (void)srv_store_p2p_count(x->store, k->name, &done, &failed);
        sb_printf(&b,
                  "%s{\"name\":\"%s\",\"public_key\":\"%s\",\"serving\":%s,\"direct\":%s,\"inputs\":%zu,"
                  "\"max_rows\":%u,\"active\":%u,\"served\":%llu,\"failed\":%llu,\"rows\":%llu,"
                  "\"bytes_per_session\":%.1f,\"ms_per_session\":%.3f,\"recorded_done\":%llu,\"recorded_failed\":%llu,"
                  "\"recent\":[",
                  first ? "" : ",", k->name, pk, k->conn ? "true" : "false",
                  (k->flags & HUSH__PW_SERVE_DIRECT) ? "true" : "false", hush_model_input_size(k->model), k->max_rows,
                  active, (unsigned long long)k->served, (unsigned long long)k->failed, (unsigned long long)k->rows,
                  k->served ? (double)k->bytes / (double)k->served : 0.0,
                  k->served ? 1e3 * k->seconds / (double)k->served : 0.0, (unsigned long long)done,
                  (unsigned long long)failed);
        first = 0;
        for (uint32_t i = 0; i < k->n_recent; i++) {
            const recent *r = &k->recent[(k->recent_next + RECENT - 1 - i) % RECENT];
            sb_printf(&b, "%s{\"applicant\":\"%s\",\"at\":%.3f,\"ms\":%.3f,\"rows\":%u,\"bytes\":%llu,\"link\":\"%s\","
                          "\"state\":\"%s\"}",
                      i ? "," : "", r->applicant, r->at, 1e3 * r->seconds, r->rows, (unsigned long long)r->bytes,
                      r->link, r->state);
        }
        sb_printf(&b, "]}");
    }
    sb_printf(&b, "]");
    if (b.err) {
        free(b.p);
        return HUSH_ENOMEM;
    }
    *json = b.p;
    *len = b.len;
    return HUSH_OK;
}
