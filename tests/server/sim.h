/* In-process network for the hub tests: the hub's srv_io queues frames per connection, and
 * participants (the core's hush_net_client, exactly what the real clients run) read and write
 * them. Time is simulated, so deadlines are exact and the tests never sleep. */
#ifndef HUSH_TEST_SERVER_SIM_H
#define HUSH_TEST_SERVER_SIM_H

#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "hub.h"
#include "hush.h"
#include "hush/net.h"
#include "io/netwire.h"
#include <sodium.h>

#define SIM_MAX 64

typedef struct sim_frame {
    uint8_t *p;
    size_t len;
    struct sim_frame *next;
} sim_frame;

typedef struct sim_conn {
    sim_frame *head, *tail;
    int open, close_requested;
    uint16_t close_code;
} sim_conn;

typedef struct sim_part {
    hush_net_client *c;
    uint8_t sk[64];
    char name[32];
    uint64_t conn;      /* 0 when not connected */
    uint32_t *x;        /* input */
    int drop_at;        /* stage before which it goes away (-1: never) */
    int mute_at;        /* stage from which it stays connected but sends nothing (-1: never) */
    int sent_in_round;  /* SECAGG frames sent in the current round */
    uint32_t rounds_committed, rounds_aborted, last_round;
    int last_error;
    uint32_t *sum;
    /* federated participants: called on ROUND instead of giving x (NULL: give x) */
    void (*on_round)(struct sim_part *p, const hush_net_event *ev);
    void *ud;
    uint32_t models; /* MODEL events seen */
} sim_part;

typedef struct sim sim;
struct sim {
    char db_path[64];
    srv_store *store;
    srv_hub *hub;
    srv_limits lim;
    sim_conn conns[4 * SIM_MAX + 1]; /* index = conn id */
    uint64_t next_conn;
    double now;
    sim_part parts[SIM_MAX];
    size_t n_parts;
    uint32_t dim;
    /* a hostile server: may replace a frame the hub sends (returns 1 and a malloc'ed frame) */
    int (*tamper)(sim *s, uint64_t id, const uint8_t *f, size_t len, uint8_t **out, size_t *out_len);
    /* bytes of the frames queued by the hub and handed to it, by hush.v1 frame type */
    uint64_t from_hub[256], to_hub[256];
};

static int sim_send(void *ud, uint64_t id, const uint8_t *f, size_t len) {
    sim *s = ud;
    sim_conn *c = &s->conns[id];
    if (!c->open || c->close_requested) return 1;
    if (len > 3) s->from_hub[f[3]] += len;
    sim_frame *fr = malloc(sizeof *fr);
    uint8_t *swapped = NULL;
    size_t swapped_len = 0;
    if (s->tamper && s->tamper(s, id, f, len, &swapped, &swapped_len)) {
        fr->p = swapped;
        fr->len = swapped_len;
    } else {
        fr->p = malloc(len);
        memcpy(fr->p, f, len);
        fr->len = len;
    }
    fr->next = NULL;
    if (c->tail)
        c->tail->next = fr;
    else
        c->head = fr;
    c->tail = fr;
    return 0;
}

static void sim_close(void *ud, uint64_t id, uint16_t code, const char *reason) {
    sim *s = ud;
    (void)reason;
    s->conns[id].close_requested = 1;
    s->conns[id].close_code = code;
}

static void sim_init(sim *s, const srv_limits *lim) {
    memset(s, 0, sizeof *s);
    snprintf(s->db_path, sizeof s->db_path, "/tmp/hush-hub-test-%d.db", (int)getpid());
    unlink(s->db_path);
    char wal[80];
    snprintf(wal, sizeof wal, "%s-wal", s->db_path);
    unlink(wal);
    snprintf(wal, sizeof wal, "%s-shm", s->db_path);
    unlink(wal);
    s->now = 1000.0;
    if (lim)
        s->lim = *lim;
    else
        srv_limits_default(&s->lim);
    CHECK_OK(srv_store_open(&s->store, s->db_path));
    srv_io io = {s, sim_send, sim_close, NULL};
    CHECK_OK(srv_hub_create(&s->hub, s->store, &s->lim, &io, s->now));
    s->next_conn = 1;
}

static void sim_free_frames(sim_conn *c) {
    while (c->head) {
        sim_frame *f = c->head;
        c->head = f->next;
        free(f->p);
        free(f);
    }
    c->tail = NULL;
}

static void sim_restart_hub(sim *s) {
    srv_hub_free(s->hub);
    srv_store_close(s->store);
    CHECK_OK(srv_store_open(&s->store, s->db_path));
    CHECK_OK(srv_store_recover(s->store, s->now));
    srv_io io = {s, sim_send, sim_close, NULL};
    CHECK_OK(srv_hub_create(&s->hub, s->store, &s->lim, &io, s->now));
}

static void sim_done(sim *s) {
    for (size_t i = 0; i < s->n_parts; i++) {
        hush_net_client_free(s->parts[i].c);
        free(s->parts[i].x);
        free(s->parts[i].sum);
    }
    for (size_t i = 0; i < sizeof s->conns / sizeof s->conns[0]; i++) sim_free_frames(&s->conns[i]);
    srv_hub_free(s->hub);
    srv_store_close(s->store);
    unlink(s->db_path);
}

/* Opens a raw connection; returns its id (0 if the hub refused it). */
static uint64_t sim_open(sim *s) {
    uint64_t id = s->next_conn++;
    s->conns[id].open = 1;
    if (srv_hub_open(s->hub, id, "sim", s->now) != HUSH_OK) {
        s->conns[id].open = 0;
        return 0;
    }
    return id;
}

static void sim_drop_conn(sim *s, uint64_t id) {
    if (!s->conns[id].open) return;
    s->conns[id].open = 0;
    sim_free_frames(&s->conns[id]);
    srv_hub_closed(s->hub, id, s->now);
}

/* Pops the next server frame of a raw connection (caller frees), NULL if none. */
static sim_frame *sim_pop(sim *s, uint64_t id) {
    sim_conn *c = &s->conns[id];
    sim_frame *f = c->head;
    if (f) {
        c->head = f->next;
        if (!c->head) c->tail = NULL;
    }
    return f;
}

static sim_part *sim_add_part(sim *s, const char *name, int with_token, const char *task) {
    sim_part *p = &s->parts[s->n_parts++];
    memset(p, 0, sizeof *p);
    snprintf(p->name, sizeof p->name, "%s", name);
    CHECK_OK(hush_net_identity_generate(p->sk));
    uint8_t token[HUSH_NET_TOKEN_BYTES];
    if (with_token) CHECK_OK(srv_store_enroll(s->store, name, s->now, 3600, token));
    CHECK_OK(hush_net_client_create(&p->c, p->sk, name, with_token ? token : NULL, NULL));
    if (task) CHECK_OK(hush_net_client_join(p->c, task));
    p->drop_at = -1;
    p->mute_at = -1;
    p->x = calloc(s->dim ? s->dim : 1, sizeof *p->x);
    p->sum = calloc(s->dim ? s->dim : 1, sizeof *p->sum);
    return p;
}

static void sim_connect(sim *s, sim_part *p) {
    hush_net_client_reset(p->c);
    p->conn = sim_open(s);
}

/* Delivers everything until nothing moves. Returns the number of frames moved. */
static size_t sim_pump(sim *s) {
    size_t moved = 0, round_moved;
    uint8_t *buf = malloc(1 << 22);
    do {
        round_moved = 0;
        for (size_t i = 0; i < s->n_parts; i++) {
            sim_part *p = &s->parts[i];
            if (!p->conn) continue;
            sim_conn *c = &s->conns[p->conn];
            sim_frame *f;
            while ((f = sim_pop(s, p->conn))) {
                int rc = hush_net_client_receive(p->c, f->p, f->len);
                if (rc) p->last_error = rc;
                free(f->p);
                free(f);
                round_moved++;
            }
            hush_net_event ev;
            for (hush_net_client_event(p->c, &ev); ev.kind; hush_net_client_event(p->c, &ev)) {
                if (ev.kind == HUSH_NET_EV_MODEL) {
                    p->models++;
                } else if (ev.kind == HUSH_NET_EV_ROUND) {
                    if (p->on_round)
                        p->on_round(p, &ev);
                    else
                        CHECK_OK(hush_net_client_set_input(p->c, p->x, ev.dim));
                    p->sent_in_round = 0;
                    p->last_round = ev.round;
                } else if (ev.kind == HUSH_NET_EV_RESULT) {
                    if (ev.status == HUSH_NET_ROUND_COMMITTED) {
                        p->rounds_committed++;
                        if (ev.dim) CHECK_OK(hush_net_client_result(p->c, p->sum, ev.dim));
                    } else {
                        p->rounds_aborted++;
                    }
                } else if (ev.kind == HUSH_NET_EV_ERROR) {
                    p->last_error = ev.code;
                }
            }
            if (c->close_requested) { /* the server closed it: the transport goes away */
                sim_drop_conn(s, p->conn);
                p->conn = 0;
                continue;
            }
            for (;;) {
                size_t len = 0;
                int rc = hush_net_client_next_message(p->c, buf, 1 << 22, &len);
                CHECK_OK(rc);
                if (rc || !len) break;
                if (buf[3] == HUSH_NET_SECAGG) {
                    if (p->mute_at >= 0 && p->sent_in_round >= p->mute_at) continue; /* swallowed */
                    if (p->drop_at >= 0 && p->sent_in_round >= p->drop_at) {
                        sim_drop_conn(s, p->conn);
                        p->conn = 0;
                        break;
                    }
                    p->sent_in_round++;
                }
                s->to_hub[buf[3]] += len;
                srv_hub_message(s->hub, p->conn, buf, len, s->now);
                round_moved++;
            }
        }
        moved += round_moved;
    } while (round_moved);
    free(buf);
    return moved;
}

/* Pumps, and lets deadlines pass whenever the network is quiet, until `until` returns 1 or
 * max_ticks deadlines have passed. */
static void sim_run(sim *s, int (*until)(sim *), double step, int max_ticks) {
    for (int k = 0; k < max_ticks && !until(s); k++) {
        sim_pump(s);
        if (until(s)) break;
        s->now += step;
        srv_hub_tick(s->hub, s->now);
    }
    sim_pump(s);
}

#endif
