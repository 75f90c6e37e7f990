/* The participant side of hush.v1 (protocol and threat model in hush/net.h).
 *
 * A connection goes WAIT_CHALLENGE -> WAIT_WELCOME -> READY. Control frames (AUTH, JOIN) wait in
 * a small outbox; a round's secure-aggregation messages come straight from its
 * hush_secagg_client, framed on the way out. Every round gets a new secure-aggregation client
 * whose keys come from the OS CSPRNG, bound to the round's fresh session; the participant's
 * identity key signs its round-0 keys and its consistency message, and the round's PKI (checked
 * against the pins and for repeated names or keys) verifies everyone else's. */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "base/alloc.h"
#include "hush/net.h"
#include "hush/secagg.h"
#include "io/buf.h"
#include "io/netwire.h"

#define OUTBOX_BYTES 512 /* AUTH + JOIN: at most 1 + 64 + 32 + 1 + 32 + 64 + 8 and 1 + 64 + 8 */
#define EVENTS 8
#define SEEN_SESSIONS 64

enum { C_WAIT_CHALLENGE = 0, C_WAIT_WELCOME = 1, C_READY = 2 };

typedef struct pin {
    char name[HUSH_NET_NAME_MAX + 1];
    uint8_t pk[32];
} pin;

struct hush_net_client {
    hush_allocator alloc;
    const hush_allocator *a; /* &alloc or NULL */
    uint8_t sk[HUSH_NET_SECRET_KEY_BYTES], pk[32];
    char name[HUSH_NET_NAME_MAX + 1];
    uint8_t token[HUSH_NET_TOKEN_BYTES];
    int has_token;
    char task[HUSH_NET_NAME_MAX + 1];
    int joined_sent;
    pin *pins;
    size_t n_pins, cap_pins;

    int conn;
    uint8_t outbox[OUTBOX_BYTES];
    size_t outbox_len;

    hush_secagg_client *sa; /* the round in progress, NULL between rounds */
    uint32_t round, dim, bits;
    uint8_t session[HUSH_NET_SESSION_BYTES];
    int have_input;
    uint32_t *sum; /* last committed result */
    uint32_t sum_dim, sum_cap;
    int have_sum;

    /* the current federated round's MODEL: the task and the global model file */
    uint8_t *model;
    size_t model_len, model_cap;
    uint8_t fl_bytes[HUSH_FEDERATED_TASK_BYTES]; /* the terms as sent: bound into the round's session */
    uint32_t model_round;
    hush_federated_task fl;

    hush_net_event ev[EVENTS];
    size_t ev_head, ev_count;
    uint8_t seen[SEEN_SESSIONS][HUSH_NET_SESSION_BYTES];
    size_t seen_next, seen_count;
};

static void push_event(hush_net_client *c, const hush_net_event *e) {
    if (c->ev_count == EVENTS) { /* the driver is not draining: keep the newest */
        c->ev_head = (c->ev_head + 1) % EVENTS;
        c->ev_count--;
    }
    c->ev[(c->ev_head + c->ev_count) % EVENTS] = *e;
    c->ev_count++;
}

static void event_text(hush_net_event *e, const uint8_t *p, size_t len) {
    if (len > HUSH_NET_ERROR_TEXT_MAX) len = HUSH_NET_ERROR_TEXT_MAX;
    if (len) memcpy(e->text, p, len);
    e->text[len] = 0;
}

static void end_round(hush_net_client *c) {
    hush_secagg_client_free(c->sa); /* wipes its secrets */
    c->sa = NULL;
}

static void drop_model(hush_net_client *c) {
    c->model_len = 0;
    c->model_round = 0;
}

static int outbox_add(hush_net_client *c, const uint8_t *frame, size_t len) {
    if (len > OUTBOX_BYTES - c->outbox_len) return HUSH_ERANGE;
    memcpy(c->outbox + c->outbox_len, frame, len);
    c->outbox_len += len;
    return HUSH_OK;
}

static int queue_join(hush_net_client *c) {
    if (!c->task[0] || c->conn != C_READY || c->joined_sent) return HUSH_OK;
    uint8_t f[8 + 1 + HUSH_NET_NAME_MAX];
    size_t n;
    int rc = hush__nw_join(f, sizeof f, &n, c->task);
    if (rc == HUSH_OK) rc = outbox_add(c, f, n);
    if (rc == HUSH_OK) c->joined_sent = 1;
    return rc;
}

int hush_net_client_create(hush_net_client **out, const uint8_t sk[HUSH_NET_SECRET_KEY_BYTES], const char *name,
                           const uint8_t *token, const hush_allocator *alloc) {
    if (!hush__alloc_ok(alloc)) return HUSH_EARG;
    if (!out) return HUSH_EARG;
    *out = NULL;
    if (!sk || !name || !hush__nw_name_ok((const uint8_t *)name, strlen(name))) return HUSH_EARG;
    if (hush_init() != HUSH_OK) return HUSH_ECRYPTO;
    hush_net_client *c = hush__calloc(alloc, 1, sizeof *c);
    if (!c) return HUSH_ENOMEM;
    if (alloc) {
        c->alloc = *alloc;
        c->a = &c->alloc;
    }
    memcpy(c->sk, sk, sizeof c->sk);
    crypto_sign_ed25519_sk_to_pk(c->pk, c->sk);
    memcpy(c->name, name, strlen(name) + 1);
    if (token) {
        memcpy(c->token, token, sizeof c->token);
        c->has_token = 1;
    }
    *out = c;
    return HUSH_OK;
}

void hush_net_client_free(hush_net_client *c) {
    if (!c) return;
    end_round(c);
    /* a copy: the handle (which holds the allocator) is wiped before it is freed */
    hush_allocator acopy = c->alloc;
    const hush_allocator *a = c->a ? &acopy : NULL;
    hush__free(a, c->model, c->model_cap);
    if (c->sum) {
        sodium_memzero(c->sum, (size_t)c->sum_cap * 4);
        hush__free(a, c->sum, (size_t)c->sum_cap * 4);
    }
    hush__free(a, c->pins, c->cap_pins * sizeof *c->pins);
    sodium_memzero(c, sizeof *c);
    hush__free(a, c, sizeof *c);
}

int hush_net_client_join(hush_net_client *c, const char *task) {
    if (!c || !task || !hush__nw_name_ok((const uint8_t *)task, strlen(task))) return HUSH_EARG;
    if (c->task[0] && strcmp(c->task, task)) return HUSH_ESTATE; /* one task per connection */
    memcpy(c->task, task, strlen(task) + 1);
    return queue_join(c);
}

int hush_net_client_pin(hush_net_client *c, const char *name, const uint8_t pk[HUSH_NET_PUBLIC_KEY_BYTES]) {
    if (!c || !pk || !name || !hush__nw_name_ok((const uint8_t *)name, strlen(name))) return HUSH_EARG;
    for (size_t i = 0; i < c->n_pins; i++)
        if (!strcmp(c->pins[i].name, name)) return HUSH_EARG;
    if (c->n_pins == c->cap_pins) {
        size_t cap = c->cap_pins ? 2 * c->cap_pins : 16;
        if (cap > HUSH_SECAGG_MAX_CLIENTS) return HUSH_ERANGE;
        pin *p = hush__calloc(c->a, cap, sizeof *p);
        if (!p) return HUSH_ENOMEM;
        if (c->n_pins) memcpy(p, c->pins, c->n_pins * sizeof *p);
        hush__free(c->a, c->pins, c->cap_pins * sizeof *c->pins);
        c->pins = p;
        c->cap_pins = cap;
    }
    memcpy(c->pins[c->n_pins].name, name, strlen(name) + 1);
    memcpy(c->pins[c->n_pins].pk, pk, 32);
    c->n_pins++;
    return HUSH_OK;
}

void hush_net_client_reset(hush_net_client *c) {
    if (!c) return;
    end_round(c);
    drop_model(c);
    c->conn = C_WAIT_CHALLENGE;
    sodium_memzero(c->outbox, sizeof c->outbox);
    c->outbox_len = 0;
    c->joined_sent = 0;
}

static int on_challenge(hush_net_client *c, const hush__nw_msg *m) {
    if (c->conn != C_WAIT_CHALLENGE) return HUSH_ESTATE;
    uint8_t tr[256], sig[64], f[OUTBOX_BYTES];
    size_t tl, fl;
    const uint8_t *token = c->has_token ? c->token : NULL;
    int rc = hush__nw_auth_transcript(tr, sizeof tr, &tl, m->nonce, c->name, c->pk, token);
    if (rc) return rc;
    crypto_sign_detached(sig, NULL, tr, tl, c->sk);
    rc = hush__nw_auth(f, sizeof f, &fl, c->name, c->pk, token, sig);
    if (rc == HUSH_OK) rc = outbox_add(c, f, fl);
    sodium_memzero(f, sizeof f); /* the token */
    if (rc == HUSH_OK) c->conn = C_WAIT_WELCOME;
    return rc;
}

static int on_welcome(hush_net_client *c, const hush__nw_msg *m) {
    if (c->conn != C_WAIT_WELCOME) return HUSH_ESTATE;
    if (m->name.len != strlen(c->name) || memcmp(m->name.p, c->name, m->name.len)) return HUSH_EFORMAT;
    c->conn = C_READY;
    /* Enrolled: the token is spent, never send it again. */
    sodium_memzero(c->token, sizeof c->token);
    c->has_token = 0;
    hush_net_event e;
    memset(&e, 0, sizeof e);
    e.kind = HUSH_NET_EV_WELCOME;
    e.flags = m->flags;
    event_text(&e, (const uint8_t *)c->name, strlen(c->name));
    push_event(c, &e);
    return queue_join(c);
}

static int is_task(const hush_net_client *c, hush__nw_name n) {
    return c->task[0] && n.len == strlen(c->task) && !memcmp(n.p, c->task, n.len);
}

static int cmp_key(const void *a, const void *b) { return memcmp(a, b, 32); }

/* The PKI of a ROUND: keys all distinct, our own entry at our id, with pins every entry pinned,
 * and a sparse PKI exactly our neighbourhood under cfg (self included, in id order). Fills pks
 * (n * 32; ids not listed stay zero: the secure-aggregation client only verifies signatures of
 * its neighbours) for the secure-aggregation client. */
static int check_pki(hush_net_client *c, const hush__nw_msg *m, const hush_secagg_config *cfg, uint8_t *pks) {
    size_t want = m->n, cnt = m->pki_count, ms = 0;
    uint32_t *nb = NULL;
    int rc = HUSH_OK;
    if (m->flags & HUSH__NW_ROUND_SPARSE) {
        ms = hush_secagg_neighbourhood_size(cfg);
        if (!(nb = hush__alloc(c->a, (ms ? ms : 1) * sizeof *nb))) return HUSH_ENOMEM;
        rc = hush_secagg_neighbourhood(cfg, nb, ms, &want, m->your_id, c->a);
    }
    uint8_t *sorted = rc == HUSH_OK ? hush__alloc(c->a, cnt * 32) : NULL;
    if (rc == HUSH_OK && !sorted) rc = HUSH_ENOMEM;
    if (rc == HUSH_OK && cnt != want) rc = HUSH_EFORMAT;
    memset(pks, 0, (size_t)m->n * 32);
    size_t pos = 0;
    for (uint32_t i = 0; rc == HUSH_OK && i < cnt; i++) {
        hush__nw_name nm;
        const uint8_t *pk;
        uint32_t id;
        hush__nw_pki_next(m, &pos, i, &id, &nm, &pk);
        if (nb && id != nb[i]) rc = HUSH_EFORMAT;
        memcpy(pks + (size_t)id * 32, pk, 32);
        memcpy(sorted + (size_t)i * 32, pk, 32);
        int own = nm.len == strlen(c->name) && !memcmp(nm.p, c->name, nm.len);
        if (own != (id == m->your_id)) rc = HUSH_EFORMAT;
        if (own && sodium_memcmp(pk, c->pk, 32) != 0) rc = HUSH_EFORMAT;
        if (rc == HUSH_OK && c->n_pins) {
            size_t k = 0;
            while (k < c->n_pins && !(strlen(c->pins[k].name) == nm.len && !memcmp(c->pins[k].name, nm.p, nm.len)))
                k++;
            if (k == c->n_pins || memcmp(c->pins[k].pk, pk, 32)) rc = HUSH_ECRYPTO;
        }
    }
    /* Distinct keys (a repeated key would give one identity two ids): sort a copy. Distinct names
     * follow once keys are distinct and pinned, and the server binds each name to one key. */
    if (rc == HUSH_OK) {
        qsort(sorted, cnt, 32, cmp_key);
        for (size_t i = 1; i < cnt; i++)
            if (!memcmp(sorted + (i - 1) * 32, sorted + i * 32, 32)) rc = HUSH_EFORMAT;
    }
    if (sorted) hush__free(c->a, sorted, cnt * 32);
    if (nb) hush__free(c->a, nb, (ms ? ms : 1) * sizeof *nb);
    return rc;
}

static int session_seen(const hush_net_client *c, const uint8_t *s) {
    for (size_t i = 0; i < c->seen_count; i++)
        if (!memcmp(c->seen[i], s, HUSH_NET_SESSION_BYTES)) return 1;
    return 0;
}

static int on_model(hush_net_client *c, const hush__nw_msg *m) {
    if (c->conn != C_READY || !is_task(c, m->name)) return HUSH_ESTATE;
    hush_federated_task t;
    int rc = hush_federated_task_decode(&t, m->fl_task, HUSH_FEDERATED_TASK_BYTES);
    if (rc) return rc;
    if (m->payload_len > c->model_cap) {
        uint8_t *b = hush__alloc(c->a, m->payload_len);
        if (!b) return HUSH_ENOMEM;
        hush__free(c->a, c->model, c->model_cap);
        c->model = b;
        c->model_cap = m->payload_len;
    }
    memcpy(c->model, m->payload, m->payload_len);
    c->model_len = m->payload_len;
    c->model_round = m->round;
    c->fl = t;
    memcpy(c->fl_bytes, m->fl_task, sizeof c->fl_bytes);
    hush_net_event e;
    memset(&e, 0, sizeof e);
    e.kind = HUSH_NET_EV_MODEL;
    e.round = m->round;
    e.task_kind = HUSH_NET_TASK_FEDAVG;
    event_text(&e, m->name.p, m->name.len);
    push_event(c, &e);
    return HUSH_OK;
}

static int on_round(hush_net_client *c, const hush__nw_msg *m) {
    if (c->conn != C_READY || !is_task(c, m->name)) return HUSH_ESTATE;
    int fed = c->model_len && c->model_round == m->round;
    /* A federated round sums in the task's ring; anything else would garble the update. */
    if (fed && (m->bits != c->fl.bits || m->dim < HUSH_FEDERATED_METRICS)) return HUSH_EFORMAT;
    /* A session seen before would let the server replay a round against fresh inputs. */
    if (session_seen(c, m->session)) return HUSH_ESTATE;
    hush_secagg_config cfg;
    /* The participant checks the proposed configuration itself: a server that asks for a
     * threshold too low for its own declared corruption bound is refused here. */
    int rc = hush_secagg_config_init(&cfg, m->n, m->threshold, m->max_corrupt, m->dim);
    if (rc) return rc;
    cfg.bits = m->bits;
    cfg.neighbours = m->neighbours;
    cfg.authenticated = 1;
    memcpy(cfg.session, m->session, HUSH_NET_SESSION_BYTES);
    /* A federated round's masks and signatures are bound to the model and terms this participant
     * was sent: a participant sent anything else cannot be summed with the others. */
    if (fed && (rc = hush_federated_session(cfg.session, m->session, c->fl_bytes, c->model, c->model_len)) != HUSH_OK)
        return rc;
    if ((rc = hush_secagg_config_check(&cfg)) != HUSH_OK) return rc;
    uint8_t *pks = hush__alloc(c->a, (size_t)m->n * 32);
    if (!pks) return HUSH_ENOMEM;
    rc = check_pki(c, m, &cfg, pks);
    hush_secagg_client *sa = NULL;
    if (rc == HUSH_OK) rc = hush_secagg_client_create(&sa, &cfg, m->your_id, NULL, 0, c->a);
    if (rc == HUSH_OK) rc = hush_secagg_client_set_identity(sa, c->sk, sizeof c->sk, pks, (size_t)m->n * 32);
    hush__free(c->a, pks, (size_t)m->n * 32);
    if (rc != HUSH_OK) {
        hush_secagg_client_free(sa);
        return rc;
    }
    end_round(c); /* a round the server abandoned */
    c->sa = sa;
    c->round = m->round;
    memcpy(c->session, m->session, HUSH_NET_SESSION_BYTES);
    c->have_input = 0;
    c->dim = m->dim;
    c->bits = m->bits;
    memcpy(c->seen[c->seen_next], m->session, HUSH_NET_SESSION_BYTES);
    c->seen_next = (c->seen_next + 1) % SEEN_SESSIONS;
    if (c->seen_count < SEEN_SESSIONS) c->seen_count++;
    hush_net_event e;
    memset(&e, 0, sizeof e);
    e.kind = HUSH_NET_EV_ROUND;
    e.round = m->round;
    e.dim = m->dim;
    e.bits = m->bits;
    e.n = m->n;
    e.id = m->your_id;
    e.task_kind = fed ? HUSH_NET_TASK_FEDAVG : HUSH_NET_TASK_SUM;
    memcpy(e.session, m->session, HUSH_NET_SESSION_BYTES);
    if (!fed) drop_model(c);
    event_text(&e, m->name.p, m->name.len);
    push_event(c, &e);
    return HUSH_OK;
}

static int on_secagg(hush_net_client *c, const hush__nw_msg *m) {
    if (!c->sa || m->round != c->round) return HUSH_ESTATE;
    int rc = hush_secagg_client_receive(c->sa, m->payload, m->payload_len);
    /* A refused message aborts nothing by itself (the secure-aggregation client keeps its state);
     * a client that cannot go on reports ABORTED and is dropped by the server's deadline. */
    if (hush_secagg_client_round(c->sa) == HUSH_SECAGG_ABORTED) end_round(c);
    return rc;
}

static int on_result(hush_net_client *c, const hush__nw_msg *m) {
    if (c->conn != C_READY || !is_task(c, m->name)) return HUSH_ESTATE;
    if (m->round != c->round && c->sa) return HUSH_ESTATE;
    if (m->status == HUSH_NET_ROUND_COMMITTED) {
        if (m->dim > c->sum_cap) {
            uint32_t *s = hush__alloc(c->a, (size_t)m->dim * 4);
            if (!s) return HUSH_ENOMEM;
            if (c->sum) hush__free(c->a, c->sum, (size_t)c->sum_cap * 4);
            c->sum = s;
            c->sum_cap = m->dim;
        }
        for (uint32_t i = 0; i < m->dim; i++) c->sum[i] = hush__load32_le(m->values + (size_t)i * 4);
        c->sum_dim = m->dim;
        c->have_sum = 1;
    } else {
        c->have_sum = 0;
    }
    if (m->round == c->round) end_round(c); /* the model stays: after a commit it is the new one */
    hush_net_event e;
    memset(&e, 0, sizeof e);
    e.kind = HUSH_NET_EV_RESULT;
    e.round = m->round;
    e.status = m->status;
    e.flags = m->flags;
    e.dim = m->dim;
    event_text(&e, m->name.p, m->name.len);
    push_event(c, &e);
    return HUSH_OK;
}

static int on_error(hush_net_client *c, const hush__nw_msg *m) {
    hush_net_event e;
    memset(&e, 0, sizeof e);
    e.kind = HUSH_NET_EV_ERROR;
    e.code = m->code;
    event_text(&e, m->text, m->text_len);
    push_event(c, &e);
    end_round(c);
    return HUSH_OK;
}

int hush_net_client_receive(hush_net_client *c, const uint8_t *msg, size_t len) {
    if (!c || (!msg && len)) return HUSH_EARG;
    hush__nw_msg m;
    size_t max = hush_net_client_max_message(c);
    int rc = hush__nw_decode(&m, msg, len, max > HUSH_NET_DEFAULT_MAX_MESSAGE ? max : HUSH_NET_DEFAULT_MAX_MESSAGE);
    if (rc != HUSH_OK) return rc;
    switch (m.type) {
    case HUSH_NET_CHALLENGE: return on_challenge(c, &m);
    case HUSH_NET_WELCOME: return on_welcome(c, &m);
    case HUSH_NET_ERROR: return on_error(c, &m);
    case HUSH_NET_ROUND: return on_round(c, &m);
    case HUSH_NET_SECAGG: return on_secagg(c, &m);
    case HUSH_NET_RESULT: return on_result(c, &m);
    case HUSH_NET_MODEL: return on_model(c, &m);
    default: return HUSH_ESTATE; /* a client-to-server type */
    }
}

int hush_net_client_next_message(hush_net_client *c, uint8_t *out, size_t cap, size_t *written) {
    if (!c || !written || (!out && cap)) return HUSH_EARG;
    *written = 0;
    if (c->outbox_len) {
        size_t n = 8 + (size_t)hush__load32_le(c->outbox + 4); /* first queued frame */
        if (cap < n) {
            *written = n;
            return HUSH_ERANGE;
        }
        memcpy(out, c->outbox, n);
        memmove(c->outbox, c->outbox + n, c->outbox_len - n);
        c->outbox_len -= n;
        sodium_memzero(c->outbox + c->outbox_len, n);
        *written = n;
        return HUSH_OK;
    }
    if (!c->sa || c->conn != C_READY) return HUSH_OK;
    /* A federated round's keys go out only once the participant has its update (or it declines
     * first): training comes before the secure aggregation, and a decline stays a decline. */
    if (c->model_len && c->model_round == c->round && !c->have_input) return HUSH_OK;
    if (cap < HUSH__NW_SECAGG_PREFIX) {
        *written = hush_net_client_max_message(c);
        return HUSH_ERANGE;
    }
    size_t len = 0;
    int rc = hush_secagg_client_next_message(c->sa, out + HUSH__NW_SECAGG_PREFIX, cap - HUSH__NW_SECAGG_PREFIX, &len);
    if (rc == HUSH_ERANGE) {
        *written = len + HUSH__NW_SECAGG_PREFIX;
        return rc;
    }
    if (rc == HUSH_ESTATE && !c->have_input) return HUSH_OK; /* the masked input waits for set_input */
    if (rc != HUSH_OK || len == 0) return rc;
    hush__nw_secagg_header(out, c->round, len);
    *written = len + HUSH__NW_SECAGG_PREFIX;
    return HUSH_OK;
}

size_t hush_net_client_max_message(const hush_net_client *c) {
    if (!c) return 0;
    size_t m = OUTBOX_BYTES;
    if (c->sa) {
        size_t s = hush_secagg_client_max_message(c->sa) + HUSH__NW_SECAGG_PREFIX;
        if (s > m) m = s;
    }
    return m;
}

void hush_net_client_event(hush_net_client *c, hush_net_event *ev) {
    if (!ev) return;
    memset(ev, 0, sizeof *ev);
    if (!c || !c->ev_count) return;
    *ev = c->ev[c->ev_head];
    c->ev_head = (c->ev_head + 1) % EVENTS;
    c->ev_count--;
}

int hush_net_client_set_input(hush_net_client *c, const uint32_t *x, size_t dim) {
    if (!c || !x) return HUSH_EARG;
    if (!c->sa) return HUSH_ESTATE;
    if (dim != c->dim) return HUSH_ESHAPE;
    int rc = hush_secagg_client_set_input(c->sa, x, dim);
    if (rc == HUSH_OK) c->have_input = 1;
    return rc;
}

int hush_net_client_model(const hush_net_client *c, uint8_t *out, size_t cap, size_t *written,
                          hush_federated_task *task) {
    if (!c || !written || (!out && cap)) return HUSH_EARG;
    *written = 0;
    if (!c->model_len) return HUSH_ESTATE;
    *written = c->model_len;
    if (task) *task = c->fl;
    if (cap < c->model_len) return HUSH_ERANGE;
    memcpy(out, c->model, c->model_len);
    return HUSH_OK;
}

int hush_net_client_decline(hush_net_client *c, uint32_t reason) {
    if (!c || reason < HUSH_NET_DECLINE_BUDGET || reason > HUSH_NET_DECLINE_ERROR) return HUSH_EARG;
    if (!c->sa || c->conn != C_READY) return HUSH_ESTATE;
    uint8_t f[8 + 1 + HUSH_NET_NAME_MAX + 8];
    size_t n;
    int rc = hush__nw_decline(f, sizeof f, &n, c->task, c->round, reason);
    if (rc == HUSH_OK) rc = outbox_add(c, f, n);
    if (rc == HUSH_OK) end_round(c); /* nothing of this round is sent, its keys are wiped */
    return rc;
}

int hush_net_client_fl_charge(hush_net_client *c, hush_odometer *od, int *declined, size_t train_rows) {
    if (!c || !declined) return HUSH_EARG;
    *declined = 0;
    if (!c->sa || !c->model_len || c->model_round != c->round) return HUSH_ESTATE;
    if (!od) return HUSH_OK;
    hush_model *g = NULL;
    int rc = hush_model_load(&g, c->model, c->model_len, 1, c->a);
    if (rc) return rc;
    size_t np = hush_model_param_count(g);
    hush_model_free(g);
    /* id: the round, bound to its task and fresh session */
    uint8_t id[16], r4[4];
    hush__store32_le(r4, c->round);
    crypto_generichash_state st;
    crypto_generichash_init(&st, (const uint8_t *)"hush.fl.round", 13, sizeof id);
    crypto_generichash_update(&st, (const uint8_t *)c->task, strlen(c->task) + 1);
    crypto_generichash_update(&st, r4, 4);
    crypto_generichash_update(&st, c->session, HUSH_NET_SESSION_BYTES);
    crypto_generichash_final(&st, id, sizeof id);
    hush_odometer_event ev[2];
    size_t n = 0, charged = 0;
    rc = hush_federated_cost(ev, 2, &n, &c->fl, train_rows, np, id, sizeof id);
    if (rc == HUSH_OK) rc = hush_odometer_charge_all(od, &charged, ev, n);
    if (rc == HUSH_EBUDGET) {
        *declined = 1;
        return hush_net_client_decline(c, HUSH_NET_DECLINE_BUDGET);
    }
    return rc;
}

int hush_net_client_fl_split(const hush_net_client *c, hush_dataset **train, hush_dataset **validation,
                             const hush_dataset *d, const hush_allocator *alloc) {
    if (train) *train = NULL;
    if (validation) *validation = NULL;
    if (!c || !train || !validation || !d) return HUSH_EARG;
    if (!c->model_len) return HUSH_ESTATE;
    uint8_t key[HUSH_RNG_SEED_BYTES];
    crypto_generichash_state st;
    crypto_generichash_init(&st, c->sk, 32, sizeof key); /* the seed half of the Ed25519 key */
    crypto_generichash_update(&st, (const uint8_t *)"hush.fl.split", 14);
    crypto_generichash_update(&st, (const uint8_t *)c->task, strlen(c->task) + 1);
    crypto_generichash_final(&st, key, sizeof key);
    hush_rng rng;
    int rc = hush_rng_init(&rng, key);
    sodium_memzero(key, sizeof key);
    sodium_memzero(&st, sizeof st);
    if (rc == HUSH_OK) rc = hush_dataset_split(train, validation, &rng, d, c->fl.validation_fraction, alloc);
    hush_rng_clear(&rng);
    return rc;
}

int hush_net_client_fl_contribute(hush_net_client *c, hush_rng *rng, hush_federated_report *report,
                                  const hush_dataset *train, const hush_dataset *validation,
                                  const hush_allocator *alloc) {
    if (!c || !report || !train) return HUSH_EARG;
    if (!c->sa || !c->model_len || c->model_round != c->round) return HUSH_ESTATE;
    uint32_t *x = hush__calloc(alloc, c->dim, sizeof *x);
    if (!x) return HUSH_ENOMEM;
    int rc = hush_federated_contribute(rng, x, c->dim, report, &c->fl, c->model, c->model_len, train, validation, alloc);
    if (rc == HUSH_OK) rc = hush_net_client_set_input(c, x, c->dim);
    sodium_memzero(x, (size_t)c->dim * sizeof *x);
    hush__free(alloc, x, (size_t)c->dim * sizeof *x);
    return rc;
}

int hush_net_client_result(const hush_net_client *c, uint32_t *sum, size_t dim) {
    if (!c || !sum) return HUSH_EARG;
    if (!c->have_sum) return HUSH_ESTATE;
    if (dim != c->sum_dim) return HUSH_ESHAPE;
    memcpy(sum, c->sum, dim * 4);
    return HUSH_OK;
}

int hush_net_identity_generate(uint8_t sk[HUSH_NET_SECRET_KEY_BYTES]) {
    if (!sk) return HUSH_EARG;
    if (hush_init() != HUSH_OK) return HUSH_ECRYPTO;
    uint8_t pk[32];
    return crypto_sign_keypair(pk, sk) == 0 ? HUSH_OK : HUSH_ECRYPTO;
}

int hush_net_identity_public(uint8_t pk[HUSH_NET_PUBLIC_KEY_BYTES], const uint8_t sk[HUSH_NET_SECRET_KEY_BYTES]) {
    if (!pk || !sk) return HUSH_EARG;
    if (hush_init() != HUSH_OK) return HUSH_ECRYPTO;
    return crypto_sign_ed25519_sk_to_pk(pk, sk) == 0 ? HUSH_OK : HUSH_ECRYPTO;
}
