/* libwebsockets transport for hush-server (see net.h). The callbacks move frames between sockets
 * and the hub and enforce byte limits; every protocol decision is the hub's. */
#define _POSIX_C_SOURCE 200809L
#include "net.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libwebsockets.h>

#include "files.h"
#include "hush/net.h"

#define BUCKETS 4096
#define RX_KEEP (64 * 1024) /* an idle connection keeps at most this much receive buffer */

typedef struct qframe {
    struct qframe *next;
    size_t len;
    uint8_t buf[]; /* LWS_PRE + len */
} qframe;

typedef struct ws_pss {
    struct lws *wsi;
    uint64_t id;
    struct ws_pss *hnext;
    uint8_t *rx;
    size_t rx_len, rx_cap;
    int rx_skip;        /* discarding the rest of a refused message */
    size_t skipped;     /* bytes discarded so far */
    qframe *head, *tail;
    size_t queued;
    int closing;
    uint16_t close_code;
    char reason[100];
} ws_pss;

typedef struct http_pss {
    uint8_t *body; /* LWS_PRE + len */
    size_t len;
} http_pss;

typedef struct srv_net {
    const srv_net_config *cfg;
    srv_hub *hub;
    ws_pss *buckets[BUCKETS];
    uint64_t next_id;
    struct lws_context *ctx;
    lws_sorted_usec_list_t tick;
} srv_net;

static volatile sig_atomic_t interrupted;

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts); /* wall clock: enrolment tokens expire in real time */
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static ws_pss **bucket(srv_net *n, uint64_t id) { return &n->buckets[(id * 0x9e3779b97f4a7c15ull) >> 52]; }

static ws_pss *lookup(srv_net *n, uint64_t id) {
    for (ws_pss *p = *bucket(n, id); p; p = p->hnext)
        if (p->id == id) return p;
    return NULL;
}

static void unregister(srv_net *n, ws_pss *p) {
    for (ws_pss **pp = bucket(n, p->id); *pp; pp = &(*pp)->hnext)
        if (*pp == p) {
            *pp = p->hnext;
            return;
        }
}

static void drop_queue(ws_pss *p) {
    while (p->head) {
        qframe *f = p->head;
        p->head = f->next;
        free(f);
    }
    p->tail = NULL;
    p->queued = 0;
}

static void start_close(srv_net *n, ws_pss *p, uint16_t code, const char *reason, int ours) {
    if (p->closing) return;
    if (ours) srv_hub_transport_refused(n->hub, p->id, code, reason, now_s());
    p->closing = 1;
    p->close_code = code;
    snprintf(p->reason, sizeof p->reason, "%s", reason);
    lws_callback_on_writable(p->wsi);
}

/* ---- srv_io for the hub ---- */

static int io_send(void *ud, uint64_t id, const uint8_t *f, size_t len) {
    srv_net *n = ud;
    ws_pss *p = lookup(n, id);
    if (!p || p->closing) return 1;
    if (p->queued > n->cfg->max_queue) {
        /* Still behind by more than the limit: it does not read what it is sent. (The first
         * frame after an empty queue is always taken, however big: lws keeps the part the
         * socket refuses, so a connection holds at most one frame there and max_queue here.) */
        drop_queue(p);
        start_close(n, p, HUSH_NET_E_SLOW, "not reading", 1);
        return 1;
    }
    qframe *q = malloc(sizeof *q + LWS_PRE + len);
    if (!q) {
        start_close(n, p, HUSH_NET_E_FULL, "out of memory", 1);
        return 1;
    }
    q->next = NULL;
    q->len = len;
    memcpy(q->buf + LWS_PRE, f, len);
    if (p->tail)
        p->tail->next = q;
    else
        p->head = q;
    p->tail = q;
    p->queued += len;
    lws_callback_on_writable(p->wsi);
    return 0;
}

/* p2p flow control: what waits for this connection. */
static size_t io_queued(void *ud, uint64_t id) {
    srv_net *n = ud;
    ws_pss *p = lookup(n, id);
    return p ? p->queued : 0;
}

static void io_close(void *ud, uint64_t id, uint16_t code, const char *reason) {
    srv_net *n = ud;
    ws_pss *p = lookup(n, id);
    if (p) start_close(n, p, code, reason, 0);
}

/* ---- WebSocket: hush.v1 on /ws ---- */

static int refuse_now(struct lws *wsi, uint16_t code, const char *reason) {
    lws_close_reason(wsi, (enum lws_close_status)code, (unsigned char *)reason, strlen(reason));
    return -1;
}

static int cb_ws(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len) {
    srv_net *n = lws_context_user(lws_get_context(wsi));
    ws_pss *p = user;
    switch (reason) {
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION: {
        char uri[64];
        if (lws_hdr_copy(wsi, uri, sizeof uri, WSI_TOKEN_GET_URI) < 0 || strcmp(uri, "/ws")) return -1;
        return 0;
    }
    case LWS_CALLBACK_ESTABLISHED: {
        memset(p, 0, sizeof *p);
        p->wsi = wsi;
        p->id = ++n->next_id;
        char peer[64];
        lws_get_peer_simple(wsi, peer, sizeof peer);
        p->hnext = *bucket(n, p->id);
        *bucket(n, p->id) = p;
        if (srv_hub_open(n->hub, p->id, peer, now_s()) != HUSH_OK) {
            unregister(n, p);
            p->id = 0;
            return refuse_now(wsi, HUSH_NET_E_FULL, "connection limit");
        }
        return 0;
    }
    case LWS_CALLBACK_RECEIVE: {
        if (!p->id || p->closing) return 0;
        if (lws_is_first_fragment(wsi) && !p->rx_skip) p->rx_len = 0;
        if (p->rx_skip) {
            /* Read and drop the rest of a refused message, then close: closing with unread data
             * would reset the connection and the client would never see the close code. A sender
             * that keeps going past twice the limit gets the reset. */
            p->skipped += len;
            if ((lws_is_final_fragment(wsi) && lws_remaining_packet_payload(wsi) == 0) ||
                p->skipped > 2 * n->cfg->max_message) {
                p->rx_skip = 0;
                start_close(n, p, HUSH_NET_E_TOO_BIG, "message too big", 0);
            }
            return 0;
        }
        if (!lws_frame_is_binary(wsi)) {
            start_close(n, p, HUSH_NET_E_MALFORMED, "binary frames only", 1);
            return 0;
        }
        size_t remaining = lws_remaining_packet_payload(wsi);
        size_t max = n->cfg->max_message;
        /* Refuse by the announced length, before buffering a byte of it. */
        if (len > max || remaining > max - len || p->rx_len > max - len - remaining) {
            srv_hub_transport_refused(n->hub, p->id, HUSH_NET_E_TOO_BIG, "message too big", now_s());
            p->rx_skip = 1;
            p->skipped = len;
            p->rx_len = 0;
            if (lws_is_final_fragment(wsi) && remaining == 0) {
                p->rx_skip = 0;
                start_close(n, p, HUSH_NET_E_TOO_BIG, "message too big", 0);
            }
            return 0;
        }
        size_t need = p->rx_len + len + remaining;
        if (need > p->rx_cap) {
            uint8_t *b = realloc(p->rx, need);
            if (!b) return refuse_now(wsi, HUSH_NET_E_FULL, "out of memory");
            p->rx = b;
            p->rx_cap = need;
        }
        memcpy(p->rx + p->rx_len, in, len);
        p->rx_len += len;
        if (lws_is_final_fragment(wsi) && remaining == 0) {
            size_t got = p->rx_len;
            p->rx_len = 0;
            srv_hub_message(n->hub, p->id, p->rx, got, now_s());
            if (p->rx_cap > RX_KEEP) {
                free(p->rx);
                p->rx = NULL;
                p->rx_cap = 0;
            }
        }
        return 0;
    }
    case LWS_CALLBACK_SERVER_WRITEABLE: {
        if (!p->id) return -1;
        if (p->head) {
            qframe *f = p->head;
            int w = lws_write(wsi, f->buf + LWS_PRE, f->len, LWS_WRITE_BINARY);
            p->head = f->next;
            if (!p->head) p->tail = NULL;
            p->queued -= f->len;
            free(f);
            if (w < 0) return -1;
            if (!p->head && !p->closing) srv_hub_drained(n->hub, p->id, now_s()); /* p2p: deal on */
            if (p->head || p->closing) lws_callback_on_writable(wsi);
            return 0;
        }
        if (p->closing) return refuse_now(wsi, p->close_code, p->reason);
        return 0;
    }
    case LWS_CALLBACK_CLOSED:
        if (p && p->id) {
            unregister(n, p);
            srv_hub_closed(n->hub, p->id, now_s());
            p->id = 0;
        }
        if (p) {
            drop_queue(p);
            free(p->rx);
            p->rx = NULL;
        }
        return 0;
    default:
        return 0;
    }
}

/* ---- HTTP: /api/status and static files ---- */

static int http_body(struct lws *wsi, http_pss *h, const char *type, const char *body, size_t len) {
    uint8_t buf[LWS_PRE + 1024], *start = buf + LWS_PRE, *p = start, *end = buf + sizeof buf - 1;
    h->body = malloc(LWS_PRE + len + 1);
    if (!h->body) return 1;
    memcpy(h->body + LWS_PRE, body, len);
    h->len = len;
    if (lws_add_http_common_headers(wsi, HTTP_STATUS_OK, type, len, &p, end) ||
        lws_add_http_header_by_name(wsi, (const unsigned char *)"cache-control:", (const unsigned char *)"no-store",
                                    8, &p, end) ||
        lws_finalize_write_http_header(wsi, start, &p, end))
        return 1;
    lws_callback_on_writable(wsi);
    return 0;
}

static int cb_http(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len) {
    srv_net *n = lws_context_user(lws_get_context(wsi));
    http_pss *h = user;
    switch (reason) {
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
        return -1; /* a WebSocket without the hush.v1 subprotocol */
    case LWS_CALLBACK_HTTP: {
        char uri[1024];
        memset(h, 0, sizeof *h);
        /* GET and HEAD only (lws serves HEAD as GET without the body). */
        enum lws_token_indexes tok = lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI) > 0    ? WSI_TOKEN_GET_URI
                                     : lws_hdr_total_length(wsi, WSI_TOKEN_HEAD_URI) > 0 ? WSI_TOKEN_HEAD_URI
                                                                                         : WSI_TOKEN_COUNT;
        if (tok == WSI_TOKEN_COUNT) {
            lws_return_http_status(wsi, HTTP_STATUS_METHOD_NOT_ALLOWED, NULL);
            return lws_http_transaction_completed(wsi) ? -1 : 0;
        }
        if (lws_hdr_copy(wsi, uri, sizeof uri, tok) < 0) {
            lws_return_http_status(wsi, HTTP_STATUS_BAD_REQUEST, NULL);
            return -1;
        }
        if (!strcmp(uri, "/api/status")) {
            char *json = NULL;
            size_t jl = 0;
            if (srv_hub_status_json(n->hub, &json, &jl) != HUSH_OK) {
                lws_return_http_status(wsi, HTTP_STATUS_INTERNAL_SERVER_ERROR, NULL);
                return -1;
            }
            int r = http_body(wsi, h, "application/json", json, jl);
            free(json);
            return r;
        }
        static const char pre[] = "/api/tasks/", post[] = "/rounds";
        size_t ul = strlen(uri);
        if (!strncmp(uri, pre, sizeof pre - 1) && ul > sizeof pre - 1 + sizeof post - 1 &&
            !strcmp(uri + ul - (sizeof post - 1), post)) {
            char task[HUSH_NET_NAME_MAX + 1];
            size_t tl = ul - (sizeof pre - 1) - (sizeof post - 1);
            char *json = NULL;
            size_t jl = 0;
            if (tl <= HUSH_NET_NAME_MAX) {
                memcpy(task, uri + sizeof pre - 1, tl);
                task[tl] = 0;
            }
            if (tl > HUSH_NET_NAME_MAX || srv_hub_rounds_json(n->hub, task, &json, &jl) != HUSH_OK) {
                lws_return_http_status(wsi, HTTP_STATUS_NOT_FOUND, NULL);
                return lws_http_transaction_completed(wsi) ? -1 : 0;
            }
            int r = http_body(wsi, h, "application/json", json, jl);
            free(json);
            return r;
        }
        if (!n->cfg->static_root) {
            lws_return_http_status(wsi, HTTP_STATUS_NOT_FOUND, NULL);
            return lws_http_transaction_completed(wsi) ? -1 : 0;
        }
        uint8_t buf[LWS_PRE + 1024], *start = buf + LWS_PRE, *p = start, *end = buf + sizeof buf - 1;
        char path[4096];
        size_t size = 0;
        int st = !strcmp(uri, "/") ? 302 : srv_files_resolve(n->cfg->static_root, n->cfg->static_allow, uri, path, sizeof path, &size);
        if (st == 301 || st == 302) {
            const char *loc = st == 302 ? "/demo/" : path;
            if (lws_http_redirect(wsi, st, (const unsigned char *)loc, (int)strlen(loc), &p, end) < 0) return -1;
            return lws_http_transaction_completed(wsi) ? -1 : 0;
        }
        if (st != 200) {
            lws_return_http_status(wsi, (unsigned int)st, NULL);
            return lws_http_transaction_completed(wsi) ? -1 : 0;
        }
        static const char extra[] = "cache-control: no-store\r\n";
        int r = lws_serve_http_file(wsi, path, srv_files_mime(path), extra, (int)sizeof extra - 1);
        if (r < 0 || (r > 0 && lws_http_transaction_completed(wsi))) return -1;
        return 0;
    }
    case LWS_CALLBACK_HTTP_WRITEABLE:
        if (!h->body) break;
        if (lws_write(wsi, h->body + LWS_PRE, h->len, LWS_WRITE_HTTP_FINAL) != (int)h->len) return -1;
        free(h->body);
        h->body = NULL;
        return lws_http_transaction_completed(wsi) ? -1 : 0;
    case LWS_CALLBACK_CLOSED_HTTP:
        free(h->body);
        h->body = NULL;
        break;
    default:
        break;
    }
    return lws_callback_http_dummy(wsi, reason, user, in, len);
}

/* ---- the loop ---- */

static void on_tick(lws_sorted_usec_list_t *sul) {
    srv_net *n = lws_container_of(sul, srv_net, tick);
    srv_hub_tick(n->hub, now_s());
    lws_sul_schedule(n->ctx, 0, &n->tick, on_tick, 50 * LWS_US_PER_MS);
}

static void on_signal(int sig) {
    (void)sig;
    interrupted = 1;
}

static const struct lws_protocols protocols[] = {
    {"http", cb_http, sizeof(http_pss), 0, 0, NULL, 0},
    {HUSH_NET_SUBPROTOCOL, cb_ws, sizeof(ws_pss), 64 * 1024, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

static const struct lws_protocol_vhost_options hdr_ref = {NULL, NULL, "referrer-policy:", "no-referrer"};
static const struct lws_protocol_vhost_options hdr_coop = {&hdr_ref, NULL, "cross-origin-opener-policy:", "same-origin"};
static const struct lws_protocol_vhost_options hdr_nosniff = {&hdr_coop, NULL, "x-content-type-options:", "nosniff"};
static const struct lws_protocol_vhost_options hdr_csp = {&hdr_nosniff, NULL, "content-security-policy:", SRV_CSP};

int srv_net_run(const srv_net_config *cfg, srv_store *store, const srv_limits *limits, const uint8_t *dealer_sk,
                void (*ready)(int port, void *ud), void *ud) {
    srv_net *n = calloc(1, sizeof *n);
    if (!n) return HUSH_ENOMEM;
    n->cfg = cfg;
    srv_io io = {n, io_send, io_close, io_queued};
    int rc = srv_hub_create(&n->hub, store, limits, &io, now_s());
    if (rc == HUSH_OK && dealer_sk) rc = srv_hub_enable_dealer(n->hub, dealer_sk);
    if (rc) {
        srv_hub_free(n->hub);
        free(n);
        return rc;
    }
    int levels = LLL_ERR | (cfg->log_level >= 1 ? LLL_WARN : 0) | (cfg->log_level >= 2 ? LLL_NOTICE : 0) |
                 (cfg->log_level >= 3 ? LLL_INFO : 0);
    lws_set_log_level(levels, NULL);
    static lws_retry_bo_t retry;
    memset(&retry, 0, sizeof retry);
    retry.secs_since_valid_ping = (uint16_t)(cfg->idle_timeout > 1 ? cfg->idle_timeout / 2 : 1);
    retry.secs_since_valid_hangup = (uint16_t)(cfg->idle_timeout ? cfg->idle_timeout : 1);
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.port = cfg->port;
    info.iface = cfg->host ? cfg->host : "127.0.0.1";
    info.protocols = protocols;
    info.vhost_name = "hush";
    info.user = n;
    info.headers = &hdr_csp;
    info.retry_and_idle_policy = &retry;
    info.timeout_secs = 10;
    info.fd_limit_per_thread = cfg->max_connections + 64;
    info.max_http_header_data = 4096;
    info.options = LWS_SERVER_OPTION_DISABLE_IPV6;
    if (cfg->tls_cert) {
        info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
        info.ssl_cert_filepath = cfg->tls_cert;
        info.ssl_private_key_filepath = cfg->tls_key;
    }
    n->ctx = lws_create_context(&info);
    if (!n->ctx) {
        fprintf(stderr, "hush-server: cannot listen on %s:%d\n", info.iface, cfg->port);
        srv_hub_free(n->hub);
        free(n);
        return HUSH_EIO;
    }
    int port = lws_get_vhost_listen_port(lws_get_vhost_by_name(n->ctx, "hush"));
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGPIPE, SIG_IGN);
    lws_sul_schedule(n->ctx, 0, &n->tick, on_tick, 50 * LWS_US_PER_MS);
    if (ready) ready(port, ud);
    while (!interrupted && lws_service(n->ctx, 0) >= 0) {
    }
    srv_hub_shutdown(n->hub, now_s());
    lws_context_destroy(n->ctx);
    srv_hub_free(n->hub);
    free(n);
    return HUSH_OK;
}
