/* hush-server's protocol logic (see hub.h). Connections and tasks; no sockets, no clock. */
#include "hub.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "federated.h"
#include "hush/p2p.h"
#include "hush/secagg.h"
#include "io/netwire.h"
#include "p2p.h"

enum { CONN_CHALLENGED = 0, CONN_READY = 1, CONN_CLOSING = 2 };

typedef struct task_rt task_rt;

typedef struct conn {
    uint64_t id;
    int state;
    uint8_t nonce[HUSH_NET_NONCE_BYTES];
    double opened, bucket, bucket_at;
    char name[HUSH_NET_NAME_MAX + 1];
    uint8_t pk[32];
    char peer[64];
    task_rt *task;  /* joined task, NULL if none */
    int64_t member; /* id in the task's running round, -1 if none */
    int waiting;    /* in the task's waiting list */
    uint32_t model_round; /* federated: the round whose global model this connection holds */
    double p2p_bucket, p2p_bucket_at; /* p2p frames' own rate allowance */
} conn;

struct task_rt {
    srv_task def;
    task_rt *next;
    int running;
    double gather_since; /* when the first waiting participant of the next round arrived */
    uint64_t *waiting;   /* conn ids, join order */
    size_t n_waiting, cap_waiting;
    /* the running round */
    hush_secagg_server *sa;
    uint32_t n, stage;
    double stage_deadline;
    uint8_t session[HUSH_NET_SESSION_BYTES];
    uint64_t *member; /* n: conn id per participant id, 0 once gone */
    char (*names)[HUSH_NET_NAME_MAX + 1];
    uint8_t *active, *sent, *declined;
    uint8_t *buf;
    size_t buf_cap;
    uint64_t bytes_in, bytes_out; /* the running attempt's frames from and to its members */
    double ended_at;              /* when the last attempt ended (0: none since the hub started) */
};

static int is_fed(const task_rt *t) { return !strcmp(t->def.kind, "fedavg"); }

struct srv_hub {
    srv_store *store;
    srv_limits lim;
    srv_io io;
    conn **slots; /* open addressing on conn id; NULL empty, &tombstone deleted */
    size_t cap;
    uint32_t n_conns, n_unauth;
    task_rt *tasks;
    uint8_t scratch[1024];
    srv_p2p *p2p; /* p2p sessions: banks, relay, signalling, dealer */
};

static conn tombstone;

void srv_limits_default(srv_limits *l) {
    l->max_message = HUSH_NET_DEFAULT_MAX_MESSAGE;
    l->max_connections = 4096;
    l->max_unauthenticated = 256;
    l->handshake_timeout = 10.0;
    l->rate = 50.0;
    l->burst = 200.0;
    l->p2p_rate = 100000.0;
    l->p2p_burst = 100000.0;
    l->max_queue = l->max_message;
}

/* ---- connection table ---- */

static size_t slot_of(const srv_hub *h, uint64_t id) {
    uint64_t x = id * 0x9e3779b97f4a7c15ull;
    return (size_t)(x >> 20) & (h->cap - 1);
}

static conn *find(const srv_hub *h, uint64_t id) {
    for (size_t i = slot_of(h, id), k = 0; k < h->cap; i = (i + 1) & (h->cap - 1), k++) {
        conn *c = h->slots[i];
        if (!c) return NULL;
        if (c != &tombstone && c->id == id) return c;
    }
    return NULL;
}

static int insert(srv_hub *h, conn *c) {
    for (size_t i = slot_of(h, c->id), k = 0; k < h->cap; i = (i + 1) & (h->cap - 1), k++) {
        if (!h->slots[i] || h->slots[i] == &tombstone) {
            h->slots[i] = c;
            return HUSH_OK;
        }
    }
    return HUSH_ERANGE;
}

static void erase(srv_hub *h, conn *c) {
    for (size_t i = slot_of(h, c->id), k = 0; k < h->cap; i = (i + 1) & (h->cap - 1), k++) {
        if (!h->slots[i]) return;
        if (h->slots[i] == c) {
            h->slots[i] = &tombstone;
            return;
        }
    }
}

/* ---- sending and refusing ---- */

static void audit(srv_hub *h, double now, const conn *c, const char *event, const char *detail) {
    char who[HUSH_NET_NAME_MAX + 80];
    if (c) snprintf(who, sizeof who, "%s#%llu@%s", c->name[0] ? c->name : "-", (unsigned long long)c->id, c->peer);
    srv_store_audit(h->store, now, c ? who : "server", event, detail);
}

/* 1 if the frame was queued. */
static int send_frame(srv_hub *h, conn *c, const uint8_t *f, size_t len) {
    if (c->state == CONN_CLOSING) return 0;
    if (h->io.send(h->io.ud, c->id, f, len) == 0) return 1;
    c->state = CONN_CLOSING; /* the transport closes it */
    return 0;
}

/* A frame of t's running attempt to one of its members: counted in the attempt's traffic. */
static void send_member(srv_hub *h, task_rt *t, conn *c, const uint8_t *f, size_t len) {
    if (send_frame(h, c, f, len)) t->bytes_out += len;
}

static void forget_round_member(srv_hub *h, conn *c, double now);

/* ERROR, the close, an audit entry; the connection takes no further part. */
static void refuse(srv_hub *h, conn *c, uint16_t code, const char *text, double now) {
    if (c->state == CONN_CLOSING) return;
    size_t n;
    if (hush__nw_error(h->scratch, sizeof h->scratch, &n, code, text) == HUSH_OK) send_frame(h, c, h->scratch, n);
    char d[256];
    snprintf(d, sizeof d, "%u %s", (unsigned)code, text);
    audit(h, now, c, "refused", d);
    if (c->state == CONN_CHALLENGED) h->n_unauth--;
    c->state = CONN_CLOSING;
    forget_round_member(h, c, now);
    h->io.close(h->io.ud, c->id, code, text);
}

/* ---- tasks ---- */

static task_rt *task_find(srv_hub *h, const char *name) {
    for (task_rt *t = h->tasks; t; t = t->next)
        if (!strcmp(t->def.name, name)) return t;
    return NULL;
}

static int task_add(void *ud, const srv_task *def) {
    srv_hub *h = ud;
    if (task_find(h, def->name)) return HUSH_OK;
    task_rt *t = calloc(1, sizeof *t);
    if (!t) return HUSH_ENOMEM;
    t->def = *def;
    t->next = h->tasks;
    h->tasks = t;
    return HUSH_OK;
}

/* A task created by `hush-server task create` while the server runs is found on first use. */
static task_rt *task_lookup(srv_hub *h, const char *name) {
    task_rt *t = task_find(h, name);
    if (t) return t;
    srv_task def;
    if (srv_store_task_get(h->store, name, &def) != HUSH_OK || task_add(h, &def) != HUSH_OK) return NULL;
    return task_find(h, name);
}

static void waiting_remove(task_rt *t, uint64_t id) {
    for (size_t i = 0; i < t->n_waiting; i++)
        if (t->waiting[i] == id) {
            memmove(t->waiting + i, t->waiting + i + 1, (t->n_waiting - i - 1) * sizeof *t->waiting);
            t->n_waiting--;
            return;
        }
}

static int waiting_add(task_rt *t, uint64_t id, double now) {
    if (t->n_waiting == t->cap_waiting) {
        size_t cap = t->cap_waiting ? 2 * t->cap_waiting : 64;
        uint64_t *w = realloc(t->waiting, cap * sizeof *w);
        if (!w) return HUSH_ENOMEM;
        t->waiting = w;
        t->cap_waiting = cap;
    }
    if (t->n_waiting == 0) t->gather_since = now;
    t->waiting[t->n_waiting++] = id;
    return HUSH_OK;
}

static void round_free(task_rt *t) {
    hush_secagg_server_free(t->sa);
    t->sa = NULL;
    free(t->member);
    free(t->names);
    free(t->active);
    free(t->sent);
    free(t->declined);
    free(t->buf);
    t->member = NULL;
    t->names = NULL;
    t->active = t->sent = t->declined = t->buf = NULL;
    t->running = 0;
}

/* Every queued secure-aggregation message, framed, to its recipient's connection. */
static void flush(srv_hub *h, task_rt *t) {
    for (;;) {
        uint32_t to;
        size_t len = 0;
        int rc = hush_secagg_server_next_message(t->sa, &to, t->buf + HUSH__NW_SECAGG_PREFIX,
                                                 t->buf_cap - HUSH__NW_SECAGG_PREFIX, &len);
        if (rc != HUSH_OK || len == 0) return; /* ERANGE cannot happen: buf holds max_message */
        conn *c = to < t->n && t->member[to] ? find(h, t->member[to]) : NULL;
        if (!c) continue;
        hush__nw_secagg_header(t->buf, t->def.round, len);
        send_member(h, t, c, t->buf, len + HUSH__NW_SECAGG_PREFIX);
    }
}

/* Names every participant the secure-aggregation server caught misbehaving (bad keys or
 * signatures, shares that fail their hashes, a dealer whose shares do not match its commitment,
 * ciphertexts its neighbours could not open). */
static void audit_faults(srv_hub *h, task_rt *t, double now) {
    uint8_t *f = malloc(t->n);
    if (f && hush_secagg_server_faults(t->sa, f, t->n) == HUSH_OK)
        for (uint32_t i = 0; i < t->n; i++)
            if (f[i]) {
                char d[HUSH_NET_NAME_MAX + 96];
                snprintf(d, sizeof d, "task %s round %u: %s, faults 0x%02x (enum hush_secagg_fault)", t->def.name,
                         t->def.round, t->names[i], f[i]);
                audit(h, now, NULL, "participant-fault", d);
            }
    free(f);
}

/* RESULT to every member still connected, and back into the waiting list for the next round. */
static void finish_round(srv_hub *h, task_rt *t, uint32_t status, const uint32_t *sum, double now) {
    uint32_t round = t->def.round;
    audit_faults(h, t, now);
    srv_task def;
    if (srv_store_task_get(h->store, t->def.name, &def) == HUSH_OK) t->def = def;
    uint32_t flags = !strcmp(t->def.state, "done") ? 1u : 0u;
    /* a federated participant gets the new model with the next round, not the raw sum */
    uint32_t dim = status == HUSH_NET_ROUND_COMMITTED && !is_fed(t) ? t->def.dim : 0;
    size_t cap = HUSH__NW_HEADER_BYTES + 1 + HUSH_NET_NAME_MAX + 13 + (size_t)dim * 4;
    uint8_t *f = malloc(cap), *mframe = NULL;
    size_t len = 0, mlen = 0;
    if (f && hush__nw_result(f, cap, &len, t->def.name, round, status, flags, sum, dim) != HUSH_OK) len = 0;
    /* ... and the model it made, which the next round starts from (or the final one) */
    if (is_fed(t) && status == HUSH_NET_ROUND_COMMITTED &&
        srv_fed_model_frame(h->store, &t->def, t->def.round, NULL, NULL, &mframe, &mlen) != HUSH_OK)
        mframe = NULL;
    for (uint32_t i = 0; i < t->n; i++) {
        conn *c = t->member[i] ? find(h, t->member[i]) : NULL;
        if (!c) continue;
        c->member = -1;
        if (mframe) {
            send_member(h, t, c, mframe, mlen);
            c->model_round = t->def.round;
        }
        if (len) send_member(h, t, c, f, len);
        if (!flags && c->state == CONN_READY && waiting_add(t, c->id, now) == HUSH_OK) c->waiting = 1;
    }
    free(f);
    free(mframe);
    /* the attempt's traffic, once its last frames are out (statistics: not part of the commit) */
    if (srv_store_round_traffic(h->store, t->session, t->bytes_in, t->bytes_out) != HUSH_OK) {
        char d[HUSH_NET_NAME_MAX + 64];
        snprintf(d, sizeof d, "task %s round %u: traffic not recorded", t->def.name, round);
        audit(h, now, NULL, "store-failed", d);
    }
    t->ended_at = now;
    round_free(t);
}

/* The participants that declined the running round, newline-separated (malloc'ed; NULL when out
 * of memory), and how many. */
static char *declined_names(const task_rt *t, uint32_t *count) {
    char *decl = malloc((size_t)t->n * (HUSH_NET_NAME_MAX + 1) + 1);
    size_t dl = 0;
    *count = 0;
    if (!decl) return NULL;
    for (uint32_t i = 0; i < t->n; i++)
        if (t->declined[i]) {
            size_t l = strlen(t->names[i]);
            if (dl) decl[dl++] = '\n';
            memcpy(decl + dl, t->names[i], l);
            dl += l;
            (*count)++;
        }
    decl[dl] = 0;
    return decl;
}

static void commit_round(srv_hub *h, task_rt *t, double now) {
    uint32_t dim = t->def.dim, n = t->n;
    uint32_t *sum = malloc((size_t)dim * 4 + 4);
    uint8_t *inc = malloc(n);
    char *surv = malloc((size_t)n * (HUSH_NET_NAME_MAX + 1) + 1);
    int rc = sum && inc && surv ? hush_secagg_server_result(t->sa, sum, dim, inc, n) : HUSH_ENOMEM;
    if (rc == HUSH_OK) {
        size_t len = 0;
        uint32_t count = 0;
        for (uint32_t i = 0; i < n; i++)
            if (inc[i]) {
                size_t l = strlen(t->names[i]);
                if (len) surv[len++] = '\n';
                memcpy(surv + len, t->names[i], l);
                len += l;
                count++;
            }
        surv[len] = 0;
        srv_round_extra x;
        memset(&x, 0, sizeof x);
        srv_fed_result fr;
        memset(&fr, 0, sizeof fr);
        char *decl = NULL;
        if (is_fed(t)) {
            uint32_t nd = 0;
            decl = declined_names(t, &nd);
            rc = decl ? srv_fed_apply(h->store, &t->def, sum, count, nd, &fr) : HUSH_ENOMEM;
            x.model = fr.model;
            x.model_len = fr.model_len;
            x.state = fr.state;
            x.state_len = fr.state_len;
            x.metrics = fr.metrics;
            x.declined = decl;
        }
        /* the sum and, for a federated task, the next model: one transaction */
        if (rc == HUSH_OK)
            rc = srv_store_round_commit(h->store, t->def.name, t->def.round, t->session, surv, sum, dim, &x, now);
        srv_fed_result_free(&fr);
        free(decl);
        char d[128];
        snprintf(d, sizeof d, "task %s round %u committed: %u of %u inputs summed", t->def.name, t->def.round,
                 count, n);
        audit(h, now, NULL, rc == HUSH_OK ? "round-committed" : "round-commit-failed", d);
    }
    if (rc == HUSH_OK) {
        finish_round(h, t, HUSH_NET_ROUND_COMMITTED, sum, now);
    } else {
        (void)srv_store_round_abort(h->store, t->def.name, t->def.round, t->session, "commit failed", NULL, now);
        finish_round(h, t, HUSH_NET_ROUND_ABORTED, NULL, now);
    }
    free(sum);
    free(inc);
    free(surv);
}

static void abort_round(srv_hub *h, task_rt *t, int rc, double now) {
    char why[160];
    uint32_t alive = 0, nd = 0;
    for (uint32_t i = 0; i < t->n; i++) alive += t->active[i];
    /* a round everyone declined (budgets spent) aborts too: its record says who declined */
    char *decl = declined_names(t, &nd);
    snprintf(why, sizeof why, "stage %u: %s (%u of %u participants left, %u declined, threshold %u)", t->stage,
             hush_strerror(rc), alive, t->n, nd, t->def.threshold);
    (void)srv_store_round_abort(h->store, t->def.name, t->def.round, t->session, why, nd ? decl : NULL, now);
    free(decl);
    char d[sizeof why + HUSH_NET_NAME_MAX + 48];
    snprintf(d, sizeof d, "task %s round %u aborted at %s", t->def.name, t->def.round, why);
    audit(h, now, NULL, "round-aborted", d);
    finish_round(h, t, HUSH_NET_ROUND_ABORTED, NULL, now);
}

/* The stage's deadline passed, or every active participant has sent: whoever has not is dropped. */
static void advance(srv_hub *h, task_rt *t, double now) {
    int rc = hush_secagg_server_end_round(t->sa);
    for (uint32_t i = 0; i < t->n; i++) {
        t->active[i] = t->active[i] && t->sent[i];
        t->sent[i] = 0;
    }
    if (rc != HUSH_OK) {
        abort_round(h, t, rc, now);
        return;
    }
    if (hush_secagg_server_round(t->sa) == HUSH_SECAGG_DONE) {
        commit_round(h, t, now);
        return;
    }
    t->stage++;
    t->stage_deadline = now + t->def.deadline;
    flush(h, t);
}

static int stage_complete(const task_rt *t) {
    for (uint32_t i = 0; i < t->n; i++)
        if (t->active[i] && !t->sent[i]) return 0;
    return 1;
}

static void forget_round_member(srv_hub *h, conn *c, double now) {
    task_rt *t = c->task;
    if (!t) return;
    if (c->waiting) {
        waiting_remove(t, c->id);
        c->waiting = 0;
    }
    if (c->member >= 0 && t->running && (uint32_t)c->member < t->n && t->member[c->member] == c->id) {
        t->member[c->member] = 0;
        t->active[c->member] = t->sent[c->member]; /* what it sent this stage still counts */
        c->member = -1;
        if (stage_complete(t)) advance(h, t, now);
    }
    c->member = -1;
}

static int start_round(srv_hub *h, task_rt *t, uint32_t n, double now) {
    hush_secagg_config cfg;
    int rc = hush_secagg_config_init(&cfg, n, t->def.threshold, t->def.max_corrupt, t->def.dim);
    if (rc) return rc;
    cfg.bits = t->def.bits; /* a federated task's ring is its terms' (task create sets both) */
    cfg.neighbours = t->def.neighbours;
    cfg.authenticated = 1; /* the enrolled identities are the round's PKI */
    if ((rc = hush_secagg_session_random(cfg.session)) != HUSH_OK) return rc;
    if ((rc = hush_secagg_config_check(&cfg)) != HUSH_OK) return rc;
    t->member = calloc(n, sizeof *t->member);
    t->names = calloc(n, sizeof *t->names);
    t->active = calloc(n, 1);
    t->sent = calloc(n, 1);
    t->declined = calloc(n, 1);
    uint8_t *mframe = NULL;
    size_t mlen = 0;
    /* a federated round's secure aggregation runs under the session bound to the model sent */
    hush_secagg_config sa_cfg = cfg;
    if (is_fed(t) && (rc = srv_fed_model_frame(h->store, &t->def, t->def.round, cfg.session, sa_cfg.session, &mframe,
                                               &mlen)) != HUSH_OK) {
        round_free(t);
        return rc;
    }
    /* SecAgg+ participants verify their neighbours' keys only, so each gets its neighbourhood's
     * PKI entries (netwire.h, SPARSE): 27 of them instead of 1000 in the 1000-participant bench. */
    uint32_t m = hush_secagg_neighbourhood_size(&sa_cfg);
    int sparse = m < n;
    size_t entry_max = 4 + 1 + HUSH_NET_NAME_MAX + 32, pki_cap = (size_t)(sparse ? m : n) * entry_max, pki_len = 0;
    uint8_t *pki = malloc(pki_cap), *pks = malloc((size_t)n * 32);
    uint32_t *nb = sparse ? malloc((size_t)m * sizeof *nb) : NULL;
    char *plist = malloc((size_t)n * (HUSH_NET_NAME_MAX + 1) + 1);
    if (!t->member || !t->names || !t->active || !t->sent || !t->declined || !pki || !pks || !plist || (sparse && !nb))
        rc = HUSH_ENOMEM;
    size_t plen = 0;
    for (uint32_t i = 0; rc == HUSH_OK && i < n; i++) {
        conn *c = find(h, t->waiting[i]);
        t->member[i] = c->id;
        t->active[i] = 1;
        memcpy(t->names[i], c->name, sizeof c->name);
        if (!sparse) pki_len += hush__nw_pki_entry(pki + pki_len, pki_cap - pki_len, c->name, c->pk);
        memcpy(pks + (size_t)i * 32, c->pk, 32);
        size_t l = strlen(c->name);
        if (plen) plist[plen++] = '\n';
        memcpy(plist + plen, c->name, l);
        plen += l;
    }
    if (plist) plist[plen] = 0;
    if (rc == HUSH_OK) rc = hush_secagg_server_create(&t->sa, &sa_cfg, NULL);
    /* With the PKI the server checks the round-0 keys' and round-3 signatures itself, so one
     * participant with bad keys cannot stall everyone else. */
    if (rc == HUSH_OK) rc = hush_secagg_server_set_identities(t->sa, pks, (size_t)n * 32);
    if (rc == HUSH_OK) {
        t->buf_cap = hush_secagg_server_max_message(t->sa) + HUSH__NW_SECAGG_PREFIX;
        hush__nw_round_info ri = {t->def.name, t->def.round, cfg.session, n, cfg.threshold, cfg.bits, cfg.dim,
                                  cfg.neighbours, t->def.max_corrupt, sparse ? HUSH__NW_ROUND_SPARSE : 0, 0, m};
        size_t rsz = hush__nw_round_size(&ri, sparse ? pki_cap : pki_len);
        if (rsz > t->buf_cap) t->buf_cap = rsz;
        if (!(t->buf = malloc(t->buf_cap))) rc = HUSH_ENOMEM;
    }
    if (rc == HUSH_OK) rc = srv_store_round_begin(h->store, t->def.name, t->def.round, cfg.session, plist, now);
    if (rc != HUSH_OK) {
        free(pks);
        free(nb);
        free(pki);
        free(plist);
        free(mframe);
        round_free(t);
        return rc;
    }
    memcpy(t->session, cfg.session, sizeof t->session);
    t->n = n;
    t->stage = 0;
    t->running = 1;
    t->bytes_in = t->bytes_out = 0;
    t->stage_deadline = now + t->def.deadline;
    for (uint32_t i = 0; i < n; i++) {
        conn *c = find(h, t->member[i]);
        c->waiting = 0;
        c->member = i;
        hush__nw_round_info ri = {t->def.name, t->def.round, cfg.session, n, cfg.threshold, cfg.bits, cfg.dim,
                                  cfg.neighbours, t->def.max_corrupt, sparse ? HUSH__NW_ROUND_SPARSE : 0, i, 0};
        size_t len;
        if (mframe && c->model_round != t->def.round) { /* the global model once, then the round */
            send_member(h, t, c, mframe, mlen);
            c->model_round = t->def.round;
        }
        size_t cnt = 0;
        if (sparse) { /* a member left without its ROUND (no memory) is a drop-out */
            pki_len = 0;
            if (hush_secagg_neighbourhood(&sa_cfg, nb, m, &cnt, i, NULL) != HUSH_OK) continue;
            for (size_t k = 0; k < cnt; k++)
                pki_len += hush__nw_pki_entry_id(pki + pki_len, pki_cap - pki_len, nb[k], t->names[nb[k]],
                                                 pks + (size_t)nb[k] * 32);
            ri.pki_count = (uint32_t)cnt;
        }
        if (hush__nw_round(t->buf, t->buf_cap, &len, &ri, pki, pki_len) == HUSH_OK) send_member(h, t, c, t->buf, len);
    }
    free(pks);
    free(nb);
    free(mframe);
    memmove(t->waiting, t->waiting + n, (t->n_waiting - n) * sizeof *t->waiting);
    t->n_waiting -= n;
    t->gather_since = t->n_waiting ? now : 0;
    char d[160];
    snprintf(d, sizeof d, "task %s round %u started with %u participants", t->def.name, t->def.round, n);
    audit(h, now, NULL, "round-started", d);
    free(pki);
    free(plist);
    return HUSH_OK;
}

/* Starts the next round when the task has its full complement of participants, or when the
 * gathering deadline has passed and those present make a valid configuration; never sooner than
 * the task's interval after the last attempt ended. */
static void try_start(srv_hub *h, task_rt *t, double now) {
    if (t->running || strcmp(t->def.state, "open") || t->n_waiting < 2) return;
    if (t->ended_at > 0 && now - t->ended_at < t->def.interval) return;
    uint32_t n = t->n_waiting < t->def.clients ? (uint32_t)t->n_waiting : t->def.clients;
    if (n < t->def.clients && now - t->gather_since < t->def.deadline) return;
    if (n < t->def.threshold) return;
    int rc = start_round(h, t, n, now);
    if (rc != HUSH_OK && rc != HUSH_ERANGE && rc != HUSH_EARG) {
        char d[160];
        snprintf(d, sizeof d, "task %s round %u could not start: %s", t->def.name, t->def.round, hush_strerror(rc));
        audit(h, now, NULL, "round-failed", d);
    }
}

/* ---- messages ---- */

static void on_auth(srv_hub *h, conn *c, const hush__nw_msg *m, double now) {
    if (c->state != CONN_CHALLENGED) {
        refuse(h, c, HUSH_NET_E_STATE, "already authenticated", now);
        return;
    }
    char name[HUSH_NET_NAME_MAX + 1];
    memcpy(name, m->name.p, m->name.len);
    name[m->name.len] = 0;
    uint8_t tr[256];
    size_t tl;
    if (hush__nw_auth_transcript(tr, sizeof tr, &tl, c->nonce, name, m->pk, m->token) != HUSH_OK ||
        crypto_sign_verify_detached(m->sig, tr, tl, m->pk) != 0) {
        snprintf(c->name, sizeof c->name, "%s", name);
        refuse(h, c, HUSH_NET_E_AUTH, "bad signature", now);
        return;
    }
    int enrolled = 0;
    int code = srv_store_authenticate(h->store, name, m->pk, m->token, now, &enrolled);
    memcpy(c->name, name, sizeof name);
    if (code) {
        refuse(h, c, (uint16_t)code,
               code == HUSH_NET_E_TOKEN     ? "enrolment token wrong, expired or used"
               : code == HUSH_NET_E_REVOKED ? "identity revoked"
                                            : "unknown identity or wrong key",
               now);
        return;
    }
    /* One connection per identity: the newest wins (a participant that reconnects). */
    for (size_t i = 0; i < h->cap; i++) {
        conn *o = h->slots[i];
        if (o && o != &tombstone && o != c && o->state == CONN_READY && !strcmp(o->name, c->name))
            refuse(h, o, HUSH_NET_E_REPLACED, "the same identity connected again", now);
    }
    memcpy(c->pk, m->pk, 32);
    c->state = CONN_READY;
    h->n_unauth--;
    audit(h, now, c, enrolled ? "enrolled" : "authenticated", "");
    size_t n;
    if (hush__nw_welcome(h->scratch, sizeof h->scratch, &n, c->name, enrolled ? 1u : 0u) == HUSH_OK)
        send_frame(h, c, h->scratch, n);
}

static void on_join(srv_hub *h, conn *c, const hush__nw_msg *m, double now) {
    if (c->state != CONN_READY || c->task) {
        refuse(h, c, HUSH_NET_E_STATE, c->task ? "already joined a task" : "not authenticated", now);
        return;
    }
    char name[HUSH_NET_NAME_MAX + 1];
    memcpy(name, m->name.p, m->name.len);
    name[m->name.len] = 0;
    task_rt *t = task_lookup(h, name);
    if (!t || strcmp(t->def.state, "open")) {
        refuse(h, c, HUSH_NET_E_TASK, t ? "task finished" : "unknown task", now);
        return;
    }
    if (waiting_add(t, c->id, now) != HUSH_OK) {
        refuse(h, c, HUSH_NET_E_FULL, "out of memory", now);
        return;
    }
    c->task = t;
    c->waiting = 1;
    audit(h, now, c, "joined", name);
    try_start(h, t, now);
}

static void on_secagg(srv_hub *h, conn *c, const hush__nw_msg *m, size_t len, double now) {
    task_rt *t = c->task;
    if (c->state != CONN_READY || !t) {
        refuse(h, c, HUSH_NET_E_STATE, "not in a task", now);
        return;
    }
    if (!t->running || c->member < 0 || m->round != t->def.round) {
        audit(h, now, c, "ignored", "secure-aggregation message outside its round"); /* late: harmless */
        return;
    }
    t->bytes_in += len;
    uint32_t stage, sender, recipient;
    int rc = hush_secagg_message_route(&stage, &sender, &recipient, m->payload, m->payload_len);
    if (rc != HUSH_OK || sender != (uint32_t)c->member || recipient != HUSH_SECAGG_SERVER_ID) {
        /* Sending as someone else would let one participant spoil another's contribution. */
        refuse(h, c, HUSH_NET_E_ROUND, "secure-aggregation message with a wrong sender", now);
        return;
    }
    rc = hush_secagg_server_receive(t->sa, m->payload, m->payload_len);
    if (rc == HUSH_ESTATE) {
        audit(h, now, c, "ignored", "secure-aggregation message out of order or repeated");
        return;
    }
    if (rc != HUSH_OK) {
        char d[96];
        snprintf(d, sizeof d, "secure-aggregation message refused: %s", hush_strerror(rc));
        refuse(h, c, HUSH_NET_E_ROUND, d, now); /* also drops it from the round */
        return;
    }
    t->sent[c->member] = 1;
    if (stage_complete(t)) advance(h, t, now);
}

static void on_decline(srv_hub *h, conn *c, const hush__nw_msg *m, size_t len, double now) {
    task_rt *t = c->task;
    if (c->state != CONN_READY || !t || !is_fed(t) || m->name.len != strlen(t->def.name) ||
        memcmp(m->name.p, t->def.name, m->name.len)) {
        refuse(h, c, HUSH_NET_E_STATE, "decline outside a federated task", now);
        return;
    }
    if (!t->running || c->member < 0 || m->round != t->def.round || t->stage != 0 || t->sent[c->member]) {
        audit(h, now, c, "ignored", "decline outside its round's first stage");
        return;
    }
    /* Not a drop-out: it never enters the secure aggregation, and the round record says why. */
    t->bytes_in += len;
    t->declined[c->member] = 1;
    t->active[c->member] = 0;
    audit(h, now, c, "declined", m->reason == HUSH_NET_DECLINE_BUDGET ? "privacy budget" : "could not take part");
    if (stage_complete(t)) advance(h, t, now);
}

/* ---- entry points ---- */

int srv_hub_create(srv_hub **out, srv_store *store, const srv_limits *limits, const srv_io *io, double now) {
    if (!out || !store || !limits || !io || !io->send || !io->close) return HUSH_EARG;
    *out = NULL;
    srv_hub *h = calloc(1, sizeof *h);
    if (!h) return HUSH_ENOMEM;
    h->store = store;
    h->lim = *limits;
    h->io = *io;
    h->cap = 64;
    while (h->cap < 2 * (size_t)limits->max_connections + 2) h->cap *= 2;
    h->slots = calloc(h->cap, sizeof *h->slots);
    int rc = h->slots ? srv_store_task_each(store, task_add, h) : HUSH_ENOMEM;
    if (rc == HUSH_OK) rc = srv_p2p_create(&h->p2p, store, io, limits);
    if (rc) {
        srv_hub_free(h);
        return rc;
    }
    audit(h, now, NULL, "started", "");
    *out = h;
    return HUSH_OK;
}

void srv_hub_free(srv_hub *h) {
    if (!h) return;
    srv_p2p_free(h->p2p);
    for (size_t i = 0; h->slots && i < h->cap; i++)
        if (h->slots[i] && h->slots[i] != &tombstone) free(h->slots[i]);
    free(h->slots);
    while (h->tasks) {
        task_rt *t = h->tasks;
        h->tasks = t->next;
        round_free(t);
        free(t->waiting);
        free(t);
    }
    free(h);
}

int srv_hub_open(srv_hub *h, uint64_t id, const char *peer, double now) {
    if (!h || id == 0 || find(h, id)) return HUSH_EARG;
    if (h->n_conns >= h->lim.max_connections || h->n_unauth >= h->lim.max_unauthenticated) {
        char d[96];
        snprintf(d, sizeof d, "connection from %s refused: %u open, %u unauthenticated", peer ? peer : "?",
                 h->n_conns, h->n_unauth);
        audit(h, now, NULL, "refused", d);
        return HUSH_ERANGE;
    }
    conn *c = calloc(1, sizeof *c);
    if (!c) return HUSH_ERANGE;
    c->id = id;
    c->opened = now;
    c->bucket = h->lim.burst;
    c->bucket_at = now;
    c->p2p_bucket = h->lim.p2p_burst;
    c->p2p_bucket_at = now;
    c->member = -1;
    snprintf(c->peer, sizeof c->peer, "%s", peer ? peer : "?");
    if (insert(h, c) != HUSH_OK) {
        free(c);
        return HUSH_ERANGE;
    }
    h->n_conns++;
    h->n_unauth++;
    randombytes_buf(c->nonce, sizeof c->nonce);
    size_t n;
    if (hush__nw_challenge(h->scratch, sizeof h->scratch, &n, c->nonce, 0) == HUSH_OK) send_frame(h, c, h->scratch, n);
    return HUSH_OK;
}

void srv_hub_message(srv_hub *h, uint64_t id, const uint8_t *msg, size_t len, double now) {
    conn *c = h ? find(h, id) : NULL;
    if (!c || c->state == CONN_CLOSING) return; /* after a refusal nothing more is read */
    /* p2p frames (types 16..31) draw on their own, larger allowance */
    int p2p = len >= 4 && msg[3] >= HUSH_P2P_MSG_FIRST && msg[3] <= HUSH_P2P_MSG_LAST;
    double *bucket = p2p ? &c->p2p_bucket : &c->bucket, *at = p2p ? &c->p2p_bucket_at : &c->bucket_at;
    double rate = p2p ? h->lim.p2p_rate : h->lim.rate, burst = p2p ? h->lim.p2p_burst : h->lim.burst;
    *bucket += (now - *at) * rate;
    if (*bucket > burst) *bucket = burst;
    *at = now;
    if (*bucket < 1.0) {
        refuse(h, c, HUSH_NET_E_RATE, "too many messages", now);
        return;
    }
    *bucket -= 1.0;
    hush__nw_msg m;
    int rc = hush__nw_decode(&m, msg, len, h->lim.max_message);
    if (rc != HUSH_OK) {
        char d[96];
        snprintf(d, sizeof d, "malformed message: %s", hush_strerror(rc));
        refuse(h, c, rc == HUSH_ERANGE ? HUSH_NET_E_TOO_BIG : HUSH_NET_E_MALFORMED, d, now);
        return;
    }
    if (c->state == CONN_CHALLENGED && m.type != HUSH_NET_AUTH) {
        refuse(h, c, HUSH_NET_E_STATE, "authenticate first", now);
        return;
    }
    switch (m.type) {
    case HUSH_NET_AUTH: on_auth(h, c, &m, now); break;
    case HUSH_NET_JOIN: on_join(h, c, &m, now); break;
    case HUSH_NET_SECAGG: on_secagg(h, c, &m, len, now); break;
    case HUSH_NET_DECLINE: on_decline(h, c, &m, len, now); break;
    default:
        if (p2p) {
            const char *why = NULL;
            int code = srv_p2p_message(h->p2p, c->id, c->name, c->pk, msg, len, now, &why);
            if (code) refuse(h, c, (uint16_t)code, why ? why : "p2p message refused", now);
            break;
        }
        refuse(h, c, HUSH_NET_E_STATE, "not a client message", now);
        break;
    }
}

void srv_hub_closed(srv_hub *h, uint64_t id, double now) {
    conn *c = h ? find(h, id) : NULL;
    if (!c) return;
    if (c->state == CONN_CHALLENGED) h->n_unauth--;
    c->state = CONN_CLOSING;
    forget_round_member(h, c, now);
    srv_p2p_closed(h->p2p, c->id, now);
    erase(h, c);
    h->n_conns--;
    free(c);
}

void srv_hub_transport_refused(srv_hub *h, uint64_t id, uint16_t code, const char *why, double now) {
    conn *c = h ? find(h, id) : NULL;
    char d[160];
    snprintf(d, sizeof d, "%u %s", (unsigned)code, why ? why : "");
    if (c) audit(h, now, c, "refused", d);
}

void srv_hub_tick(srv_hub *h, double now) {
    if (!h) return;
    for (size_t i = 0; i < h->cap; i++) {
        conn *c = h->slots[i];
        if (c && c != &tombstone && c->state == CONN_CHALLENGED && now - c->opened > h->lim.handshake_timeout)
            refuse(h, c, HUSH_NET_E_TIMEOUT, "no authentication in time", now);
    }
    srv_p2p_tick(h->p2p, now);
    for (task_rt *t = h->tasks; t; t = t->next) {
        if (t->running && now >= t->stage_deadline)
            advance(h, t, now);
        else if (!t->running)
            try_start(h, t, now);
    }
    srv_store_flush(h->store);
}

void srv_hub_shutdown(srv_hub *h, double now) {
    if (!h) return;
    for (size_t i = 0; i < h->cap; i++) {
        conn *c = h->slots[i];
        if (c && c != &tombstone && c->state != CONN_CLOSING) {
            if (c->state == CONN_CHALLENGED) h->n_unauth--;
            c->state = CONN_CLOSING;
            h->io.close(h->io.ud, c->id, HUSH_NET_E_SHUTDOWN, "server shutting down");
        }
    }
    audit(h, now, NULL, "stopped", "");
    srv_store_flush(h->store);
}

uint32_t srv_hub_connections(const srv_hub *h) { return h ? h->n_conns : 0; }

int srv_hub_status_json(srv_hub *h, char **json, size_t *len) {
    if (!h) return HUSH_EARG;
    int rc = srv_store_status_json(h->store, h->n_conns, json, len);
    /* the p2p part goes before the closing brace: {"version",...,"dealer":{...},"banks":[...]} */
    char *p2p = NULL;
    size_t pl = 0;
    if (rc == HUSH_OK && *len && (*json)[*len - 1] == '}' && srv_p2p_status_json(h->p2p, &p2p, &pl) == HUSH_OK) {
        char *j = realloc(*json, *len + pl + 2);
        if (j) {
            j[*len - 1] = ',';
            memcpy(j + *len, p2p, pl);
            j[*len + pl] = '}';
            j[*len + pl + 1] = 0;
            *json = j;
            *len += pl + 1;
        }
    }
    free(p2p);
    return rc;
}

/* ---- p2p sessions ---- */

int srv_hub_enable_dealer(srv_hub *h, const uint8_t sk[64]) {
    if (!h) return HUSH_EARG;
    return srv_p2p_set_dealer(h->p2p, sk);
}

void srv_hub_drained(srv_hub *h, uint64_t conn, double now) {
    if (h) srv_p2p_drained(h->p2p, conn, now);
}

int srv_hub_rounds_json(srv_hub *h, const char *task, char **json, size_t *len) {
    if (!h || !task || !hush__nw_name_ok((const uint8_t *)task, strlen(task))) return HUSH_EARG;
    return srv_store_rounds_json(h->store, task, json, len);
}
