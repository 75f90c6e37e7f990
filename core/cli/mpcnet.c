/* `hush mpc serve` (the bank) and `hush mpc apply` (applicants) over hush-server (hush/p2p.h).
 *
 * The protocol is the core's hush_p2p state machine; this file is its libwebsockets transport (one
 * connection, frames in and out, reconnection with backoff for the bank) and the two commands'
 * options and reports. Natively there are no WebRTC data channels: every session uses the
 * server's relay, which carries only channel records the server cannot read.
 */
#define _POSIX_C_SOURCE 200809L
#include "mpcnet.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libwebsockets.h>
#include <sodium.h>

#include "cli.h"
#include "hush/p2p.h"
#include "netclient.h"

/* ---------------- the transport ---------------- */

typedef struct p2p_net p2p_net;
typedef void (*p2p_event_fn)(p2p_net *n, const hush_p2p_event *e);

struct p2p_net {
    hush_p2p *p;
    p2p_event_fn on_event;
    void *ud;
    struct lws_context *ctx;
    struct lws *wsi;
    char host[256], path[256];
    int port, tls, reconnect;
    uint8_t *rx, *tx;
    size_t rx_len, rx_cap, tx_cap;
    uint32_t backoff_ms;
    lws_sorted_usec_list_t retry, watch;
    double deadline;
    int done, timed_out, lost;
    uint64_t connects;
};

static volatile sig_atomic_t stop_requested;
static void on_signal(int sig) {
    (void)sig;
    stop_requested = 1;
}

static int parse_url(p2p_net *n, const char *url) {
    const char *p;
    if (!strncmp(url, "ws://", 5)) p = url + 5, n->tls = 0, n->port = 80;
    else if (!strncmp(url, "wss://", 6)) p = url + 6, n->tls = 1, n->port = 443;
    else return HUSH_EARG;
    const char *slash = strchr(p, '/'), *colon = strchr(p, ':');
    const char *hend = colon && (!slash || colon < slash) ? colon : slash ? slash : p + strlen(p);
    if (hend == p || (size_t)(hend - p) >= sizeof n->host) return HUSH_EARG;
    memcpy(n->host, p, (size_t)(hend - p));
    n->host[hend - p] = 0;
    if (colon && (!slash || colon < slash)) {
        char *e;
        long v = strtol(colon + 1, &e, 10);
        if (e == colon + 1 || v <= 0 || v > 65535 || (*e && *e != '/')) return HUSH_EARG;
        n->port = (int)v;
    }
    snprintf(n->path, sizeof n->path, "%s", slash ? slash : "/ws");
    return HUSH_OK;
}

static void drain_events(p2p_net *n) {
    hush_p2p_event e;
    for (hush_p2p_event_next(n->p, &e); e.kind; hush_p2p_event_next(n->p, &e)) n->on_event(n, &e);
    if (n->wsi) lws_callback_on_writable(n->wsi);
}

static void connect_now(p2p_net *n);

static void on_retry(lws_sorted_usec_list_t *sul) {
    p2p_net *n = lws_container_of(sul, p2p_net, retry);
    if (!n->done) connect_now(n);
}

static void schedule_retry(p2p_net *n) {
    if (n->done || !n->reconnect) return;
    uint32_t ms = n->backoff_ms ? n->backoff_ms : 250;
    n->backoff_ms = ms >= 4000 ? 8000 : ms * 2;
    ms = ms * 3 / 4 + randombytes_uniform(ms / 2 + 1);
    lws_sul_schedule(n->ctx, 0, &n->retry, on_retry, (lws_usec_t)ms * LWS_US_PER_MS);
}

static void connect_now(p2p_net *n) {
    hush_p2p_reset(n->p); /* sessions of a lost connection fail; a bank serves again */
    drain_events(n);
    n->rx_len = 0;
    struct lws_client_connect_info ci;
    memset(&ci, 0, sizeof ci);
    ci.context = n->ctx;
    ci.address = n->host;
    ci.port = n->port;
    ci.path = n->path;
    ci.host = n->host;
    ci.origin = n->host;
    ci.protocol = HUSH_NET_SUBPROTOCOL;
    ci.ssl_connection = n->tls ? LCCSCF_USE_SSL : 0;
    ci.userdata = n;
    ci.pwsi = &n->wsi;
    if (!lws_client_connect_via_info(&ci)) {
        n->wsi = NULL;
        if (n->reconnect) schedule_retry(n);
        else n->lost = 1, n->done = 1;
    }
}

static int cb(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len) {
    p2p_net *n = user;
    switch (reason) {
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
        n->backoff_ms = 0;
        n->connects++;
        return 0;
    case LWS_CALLBACK_CLIENT_RECEIVE: {
        if (lws_is_first_fragment(wsi)) n->rx_len = 0;
        size_t remaining = lws_remaining_packet_payload(wsi), need = n->rx_len + len + remaining;
        if (need > HUSH_NET_DEFAULT_MAX_MESSAGE + (size_t)HUSH_P2P_DESC_MAX) return -1;
        if (need > n->rx_cap) {
            uint8_t *b = realloc(n->rx, need);
            if (!b) return -1;
            n->rx = b;
            n->rx_cap = need;
        }
        memcpy(n->rx + n->rx_len, in, len);
        n->rx_len += len;
        if (lws_is_final_fragment(wsi) && remaining == 0) {
            int rc = hush_p2p_receive(n->p, n->rx, n->rx_len);
            (void)rc; /* a refused frame ends its session: the events say so */
            n->rx_len = 0;
            drain_events(n);
        }
        return 0;
    }
    case LWS_CALLBACK_CLIENT_WRITEABLE: {
        size_t w = 0;
        int rc = hush_p2p_next_message(n->p, n->tx + LWS_PRE, n->tx_cap, &w);
        if (rc == HUSH_ERANGE) {
            uint8_t *b = realloc(n->tx, LWS_PRE + w);
            if (!b) return -1;
            n->tx = b;
            n->tx_cap = w;
            rc = hush_p2p_next_message(n->p, n->tx + LWS_PRE, n->tx_cap, &w);
        }
        if (rc != HUSH_OK) return -1;
        if (w) {
            if (lws_write(wsi, n->tx + LWS_PRE, w, LWS_WRITE_BINARY) < (int)w) return -1;
            lws_callback_on_writable(wsi);
        } else if (n->done) {
            /* everything is out (a session's END above all): close */
            lws_close_reason(wsi, LWS_CLOSE_STATUS_NORMAL, (unsigned char *)"done", 4);
            return -1;
        }
        return 0;
    }
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
    case LWS_CALLBACK_CLIENT_CLOSED:
        if (n && n->wsi == wsi) {
            n->wsi = NULL;
            if (n->done) return 0;
            if (n->reconnect) {
                schedule_retry(n);
            } else {
                hush_p2p_reset(n->p); /* every session in progress fails with a clear reason */
                drain_events(n);
                n->lost = 1;
                n->done = 1;
            }
        }
        return 0;
    default: return 0;
    }
}

static double mono(void) { return cli_now(); }

static void on_watch(lws_sorted_usec_list_t *sul) {
    p2p_net *n = lws_container_of(sul, p2p_net, watch);
    if ((n->deadline > 0 && mono() > n->deadline) || stop_requested) {
        n->timed_out = !stop_requested;
        n->done = 1;
        lws_cancel_service(n->ctx);
        return;
    }
    lws_sul_schedule(n->ctx, 0, &n->watch, on_watch, 50 * LWS_US_PER_MS);
}

/* While closing: wake the loop regularly so a peer that never answers cannot hold it. */
static void on_wake(lws_sorted_usec_list_t *sul) {
    p2p_net *n = lws_container_of(sul, p2p_net, watch);
    lws_cancel_service(n->ctx);
    lws_sul_schedule(n->ctx, 0, &n->watch, on_wake, 100 * LWS_US_PER_MS);
}

static const struct lws_protocols protocols[] = {
    {HUSH_NET_SUBPROTOCOL, cb, 0, 64 * 1024, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

/* Runs until n->done; HUSH_EARG for a bad URL, HUSH_EIO if lws cannot start. */
static int p2p_net_run(p2p_net *n, const char *url, const char *ca, double timeout) {
    if (parse_url(n, url) != HUSH_OK) return HUSH_EARG;
    lws_set_log_level(LLL_ERR, NULL);
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = protocols;
    info.timeout_secs = 10;
    if (n->tls) {
        info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
        info.client_ssl_ca_filepath = ca;
    }
    n->ctx = lws_create_context(&info);
    if (!n->ctx) return HUSH_EIO;
    n->tx_cap = 1 << 16;
    n->tx = malloc(LWS_PRE + n->tx_cap);
    if (!n->tx) {
        lws_context_destroy(n->ctx);
        return HUSH_ENOMEM;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGPIPE, SIG_IGN);
    if (timeout > 0) n->deadline = mono() + timeout;
    lws_sul_schedule(n->ctx, 0, &n->watch, on_watch, 50 * LWS_US_PER_MS);
    connect_now(n);
    while (!n->done && lws_service(n->ctx, 0) >= 0) {
    }
    /* let the last frames and a "done" close go out */
    double until = mono() + 2.0;
    lws_sul_schedule(n->ctx, 0, &n->watch, on_wake, 100 * LWS_US_PER_MS);
    if (n->wsi) lws_callback_on_writable(n->wsi);
    while (n->wsi && mono() < until && lws_service(n->ctx, 0) >= 0) {
    }
    lws_context_destroy(n->ctx);
    sodium_memzero(n->tx, LWS_PRE + n->tx_cap);
    free(n->tx);
    if (n->rx) sodium_memzero(n->rx, n->rx_cap);
    free(n->rx);
    return HUSH_OK;
}

static int hex_key(const char *hex, uint8_t pk[32], const char *what) {
    size_t bl = 0;
    if (!hex || strlen(hex) != 64 || sodium_hex2bin(pk, 32, hex, 64, NULL, &bl, NULL) != 0 || bl != 32) {
        cli_error("--%s must be 64 hex digits (an Ed25519 public key)", what);
        return CLI_EXIT_USAGE;
    }
    return 0;
}

static void print_hex(const uint8_t *p, size_t n) {
    for (size_t i = 0; i < n; i++) printf("%02x", p[i]);
}

/* ---------------- hush mpc serve ---------------- */

typedef struct serve_state {
    const char *name;
    uint8_t pk[32];
    uint64_t want, served, failed, rows, bytes;
    int json;
} serve_state;

static void serve_event(p2p_net *n, const hush_p2p_event *e) {
    serve_state *s = n->ud;
    switch (e->kind) {
    case HUSH_P2P_EV_READY:
        printf("{\"serving\":\"%s\",\"public_key\":\"", s->name);
        print_hex(s->pk, sizeof s->pk);
        printf("\",\"connects\":%llu}\n", (unsigned long long)n->connects);
        fflush(stdout);
        break;
    case HUSH_P2P_EV_DONE:
        s->served++;
        s->rows += e->rows;
        s->bytes += e->bytes_in + e->bytes_out;
        if (s->want && s->served >= s->want) n->done = 1;
        break;
    case HUSH_P2P_EV_FAILED:
        s->failed++;
        if (!s->json) fprintf(stderr, "%s: session with %s failed: %s (%d)\n", cli_prog, e->peer, e->text, e->code);
        break;
    case HUSH_P2P_EV_ERROR:
        cli_error("server: %s (%d)", e->text, e->code);
        if (e->code == HUSH_NET_E_AUTH || e->code == HUSH_NET_E_TOKEN || e->code == HUSH_NET_E_REVOKED ||
            e->code == HUSH_NET_E_REPLACED)
            n->done = 1;
        break;
    default: break;
    }
}

/* The header of an ARFF file (everything before @data), the form an applicant fills. */
static char *arff_header(const char *path, size_t *len) {
    size_t n = 0;
    unsigned char *t = cli_read_file(path, &n);
    if (!t) return NULL;
    size_t end = n;
    for (size_t i = 0; i + 5 <= n; i++) {
        if ((i == 0 || t[i - 1] == '\n') && t[i] == '@' && (t[i + 1] | 32) == 'd' && (t[i + 2] | 32) == 'a' &&
            (t[i + 3] | 32) == 't' && (t[i + 4] | 32) == 'a') {
            end = i;
            break;
        }
    }
    *len = end;
    return (char *)t;
}

int cmd_mpc_serve(int argc, char **argv) {
    static const char *const flags[] = {"json", NULL};
    cli_args a;
    int rc = cli_parse(&a, argc, argv, flags);
    if (rc) return rc;
    serve_state s;
    memset(&s, 0, sizeof s);
    const char *url = cli_str(&a, "url", NULL), *idp = cli_str(&a, "identity", NULL), *tok = cli_str(&a, "token", NULL);
    const char *mpath = cli_str(&a, "model", NULL), *schema = cli_str(&a, "schema", NULL), *ca = cli_str(&a, "ca", NULL);
    s.name = cli_str(&a, "name", NULL);
    s.json = cli_flag(&a, "json");
    uint64_t max_sessions, max_rows;
    double timeout;
    if ((rc = cli_u64(&a, "max-sessions", 256, 1, HUSH_P2P_MAX_SESSIONS, &max_sessions)) ||
        (rc = cli_u64(&a, "max-rows", 256, 1, HUSH_P2P_MAX_ROWS, &max_rows)) ||
        (rc = cli_u64(&a, "sessions", 0, 0, UINT32_MAX, &s.want)) || (rc = cli_f64(&a, "timeout", 0, 0, 1e9, &timeout)) ||
        (rc = cli_done(&a)))
        return rc;
    if (!url || !s.name || !idp || !mpath) {
        cli_error("mpc serve needs --url, --name, --identity and --model");
        return CLI_EXIT_USAGE;
    }
    uint8_t sk[HUSH_NET_SECRET_KEY_BYTES], token[HUSH_NET_TOKEN_BYTES];
    if (tok && (rc = cli_token(tok, token))) return rc;
    size_t mlen = 0, slen = 0;
    unsigned char *model = cli_read_file(mpath, &mlen);
    if (!model) return CLI_EXIT_FAIL;
    char *header = schema ? arff_header(schema, &slen) : NULL;
    if (schema && !header) {
        free(model);
        return CLI_EXIT_FAIL;
    }
    if ((rc = cli_identity(idp, sk)) || (rc = hush_net_identity_public(s.pk, sk) ? CLI_EXIT_FAIL : 0)) {
        free(model), free(header);
        return rc;
    }
    hush_p2p_config cfg;
    hush_p2p *p = NULL;
    int st = hush_p2p_config_init(&cfg, HUSH_P2P_BANK);
    cfg.max_sessions = (uint32_t)max_sessions;
    cfg.max_rows = (uint32_t)max_rows;
    if (st == HUSH_OK) st = hush_p2p_create(&p, &cfg, sk, s.name, tok ? token : NULL, NULL);
    sodium_memzero(sk, sizeof sk);
    sodium_memzero(token, sizeof token);
    if (st == HUSH_OK) st = hush_p2p_serve(p, model, mlen, header, slen);
    sodium_memzero(model, mlen);
    free(model);
    free(header);
    if (st != HUSH_OK) {
        cli_error(st == HUSH_EARG ? "--name must be 1-64 characters of [A-Za-z0-9._-]"
                  : st == HUSH_EUNSUPPORTED ? "the model must be dense layers (relu, sigmoid, tanh between them)"
                                            : "cannot serve the model: %s",
                  hush_strerror(st));
        hush_p2p_free(p);
        return st == HUSH_EARG ? CLI_EXIT_USAGE : CLI_EXIT_FAIL;
    }
    p2p_net n;
    memset(&n, 0, sizeof n);
    n.p = p;
    n.on_event = serve_event;
    n.ud = &s;
    n.reconnect = 1;
    double t0 = cli_now();
    st = p2p_net_run(&n, url, ca, timeout);
    double secs = cli_now() - t0;
    hush_p2p_free(p);
    if (st == HUSH_EARG) {
        cli_error("--url must be ws://HOST:PORT/ws or wss://HOST:PORT/ws");
        return CLI_EXIT_USAGE;
    }
    printf("{\"command\":\"mpc serve\",\"name\":\"%s\",\"sessions\":%llu,\"failed\":%llu,\"rows\":%llu,"
           "\"bytes_per_session\":%.1f,\"seconds\":%.3f,\"connects\":%llu}\n",
           s.name, (unsigned long long)s.served, (unsigned long long)s.failed, (unsigned long long)s.rows,
           s.served ? (double)s.bytes / (double)s.served : 0.0, secs, (unsigned long long)n.connects);
    return st == HUSH_OK && !n.timed_out ? 0 : CLI_EXIT_FAIL;
}

/* ---------------- hush mpc apply ---------------- */

typedef struct inflight {
    uint32_t slot;
    size_t first, rows;
    double t0;
} inflight;

typedef struct apply_state {
    const char *bank;
    const float *x;
    size_t in, n, rows_per, next, done_rows;
    uint32_t concurrency, link;
    uint32_t *dec;
    inflight *fly;
    size_t n_fly;
    double *lat;
    size_t n_lat;
    uint64_t bytes, sessions;
    double t_first, t_last;
    int described, failed;
    int32_t fail_code;
    char fail_text[HUSH_NET_ERROR_TEXT_MAX + 128];
    uint32_t bank_flags;
} apply_state;

static void apply_more(p2p_net *n) {
    apply_state *s = n->ud;
    while (!s->failed && s->next < s->n && s->n_fly < s->concurrency) {
        size_t r = s->n - s->next < s->rows_per ? s->n - s->next : s->rows_per;
        uint32_t slot = 0;
        double t = cli_now();
        int rc = hush_p2p_apply(n->p, &slot, s->bank, s->x + s->next * s->in, r * s->in, (uint32_t)r, s->link);
        if (rc != HUSH_OK) {
            s->failed = 1;
            s->fail_code = rc;
            snprintf(s->fail_text, sizeof s->fail_text, "cannot apply: %s", hush_strerror(rc));
            n->done = 1;
            return;
        }
        if (!s->t_first) s->t_first = t;
        s->fly[s->n_fly++] = (inflight){slot, s->next, r, t};
        s->next += r;
    }
}

static void apply_event(p2p_net *n, const hush_p2p_event *e) {
    apply_state *s = n->ud;
    switch (e->kind) {
    case HUSH_P2P_EV_READY: {
        int rc = hush_p2p_describe(n->p, s->bank);
        if (rc != HUSH_OK) {
            s->failed = 1;
            snprintf(s->fail_text, sizeof s->fail_text, "--bank: %s", hush_strerror(rc));
            n->done = 1;
        }
        break;
    }
    case HUSH_P2P_EV_MODEL:
        if (strcmp(e->peer, s->bank)) break;
        if (e->code) {
            s->failed = 1;
            s->fail_code = e->code;
            snprintf(s->fail_text, sizeof s->fail_text, "bank %s refused: %s", s->bank, e->text);
            n->done = 1;
            break;
        }
        s->described = 1;
        s->bank_flags = e->flags;
        apply_more(n);
        break;
    case HUSH_P2P_EV_DONE:
    case HUSH_P2P_EV_FAILED: {
        size_t k = 0;
        while (k < s->n_fly && s->fly[k].slot != e->slot) k++;
        if (k == s->n_fly) break;
        inflight f = s->fly[k];
        s->fly[k] = s->fly[--s->n_fly];
        if (e->kind == HUSH_P2P_EV_FAILED) {
            s->failed = 1;
            s->fail_code = e->code;
            snprintf(s->fail_text, sizeof s->fail_text, "%s", e->text);
            n->done = 1;
            break;
        }
        int rc = hush_p2p_result(n->p, e->slot, s->dec + f.first, f.rows);
        if (rc != HUSH_OK) {
            s->failed = 1;
            snprintf(s->fail_text, sizeof s->fail_text, "result: %s", hush_strerror(rc));
            n->done = 1;
            break;
        }
        double t = cli_now();
        s->lat[s->n_lat++] = t - f.t0;
        s->t_last = t;
        s->bytes += e->bytes_in + e->bytes_out;
        s->sessions++;
        s->done_rows += f.rows;
        if (s->done_rows == s->n) n->done = 1;
        else apply_more(n);
        break;
    }
    case HUSH_P2P_EV_ERROR:
        s->failed = 1;
        s->fail_code = e->code;
        snprintf(s->fail_text, sizeof s->fail_text, "server refused: %s (%d)", e->text, e->code);
        n->done = 1;
        break;
    default: break;
    }
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double pct(const double *v, size_t n, double q) {
    if (!n) return 0;
    size_t i = (size_t)(q * (double)(n - 1) + 0.5);
    return v[i < n ? i : n - 1];
}

int cmd_mpc_apply(int argc, char **argv) {
    static const char *const flags[] = {"json", "test-split", NULL};
    cli_args a;
    int rc = cli_parse(&a, argc, argv, flags);
    if (rc) return rc;
    apply_state s;
    memset(&s, 0, sizeof s);
    const char *url = cli_str(&a, "url", NULL), *name = cli_str(&a, "name", NULL), *idp = cli_str(&a, "identity", NULL);
    const char *tok = cli_str(&a, "token", NULL), *data = cli_str(&a, "data", NULL), *format = cli_str(&a, "format", NULL);
    const char *check = cli_str(&a, "check-model", NULL), *rows_s = cli_str(&a, "rows", "1");
    const char *bank_key = cli_str(&a, "bank-key", NULL), *dealer_key = cli_str(&a, "dealer-key", NULL);
    const char *out = cli_str(&a, "out", NULL), *ca = cli_str(&a, "ca", NULL), *link = cli_str(&a, "link", "relay");
    s.bank = cli_str(&a, "bank", NULL);
    int json = cli_flag(&a, "json"), test_split = cli_flag(&a, "test-split");
    uint64_t conc, seed, limit;
    double timeout, tf;
    if ((rc = cli_u64(&a, "concurrency", 1, 1, 1024, &conc)) || (rc = cli_u64(&a, "seed", 1, 0, UINT64_MAX, &seed)) ||
        (rc = cli_u64(&a, "limit", 0, 0, UINT32_MAX, &limit)) || (rc = cli_f64(&a, "timeout", 0, 0, 1e9, &timeout)) ||
        (rc = cli_f64(&a, "test-fraction", 0.2, 0.0, 0.99, &tf)) || (rc = cli_done(&a)))
        return rc;
    if (!url || !name || !idp || !s.bank || !data) {
        cli_error("mpc apply needs --url, --name, --identity, --bank and --data");
        return CLI_EXIT_USAGE;
    }
    if (strcmp(link, "relay")) {
        cli_error("--link: native applicants use the relay (direct links are WebRTC, in the browser)");
        return CLI_EXIT_USAGE;
    }
    s.link = HUSH_P2P_LINK_RELAY;
    uint8_t bpk[32], dpk[32];
    if ((bank_key && (rc = hex_key(bank_key, bpk, "bank-key"))) || (dealer_key && (rc = hex_key(dealer_key, dpk, "dealer-key"))))
        return rc;
    uint8_t sk[HUSH_NET_SECRET_KEY_BYTES], token[HUSH_NET_TOKEN_BYTES];
    if (tok && (rc = cli_token(tok, token))) return rc;
    hush_dataset *all = NULL, *train = NULL, *test = NULL;
    hush_model *plain = NULL;
    hush_p2p *p = NULL;
    uint32_t *want = NULL;
    int exit_code = CLI_EXIT_FAIL;
    if ((rc = cli_load_dataset(&all, data, format))) return rc;
    const hush_dataset *ds = all;
    if (test_split) {
        /* the held-out rows of `hush train --seed S` */
        hush_rng master, split;
        int st = hush_rng_init_u64(&master, seed);
        if (st == HUSH_OK) st = hush_rng_derive(&split, &master, "split");
        if (st == HUSH_OK) st = hush_dataset_split(&train, &test, &split, all, tf, NULL);
        hush_rng_clear(&master);
        hush_rng_clear(&split);
        if (st != HUSH_OK) {
            cli_error("split: %s", hush_strerror(st));
            goto done;
        }
        ds = test;
    }
    s.n = hush_dataset_rows(ds);
    if (limit && limit < s.n) s.n = (size_t)limit;
    s.in = hush_dataset_dim(ds);
    s.x = hush_dataset_x(ds);
    if (!strcmp(rows_s, "all")) {
        s.rows_per = s.n;
    } else {
        char *e;
        unsigned long long v = strtoull(rows_s, &e, 10);
        if (*e || v == 0 || v > HUSH_P2P_MAX_ROWS) {
            cli_error("--rows must be all or 1..%d", HUSH_P2P_MAX_ROWS);
            exit_code = CLI_EXIT_USAGE;
            goto done;
        }
        s.rows_per = (size_t)v;
    }
    if (s.rows_per > HUSH_P2P_MAX_ROWS) {
        cli_error("--rows all: %zu rows is more than one session takes (%d)", s.rows_per, HUSH_P2P_MAX_ROWS);
        goto done;
    }
    s.concurrency = (uint32_t)conc;
    s.dec = calloc(s.n, sizeof *s.dec);
    s.fly = calloc(conc, sizeof *s.fly);
    s.lat = calloc(s.n, sizeof *s.lat);
    if (!s.dec || !s.fly || !s.lat) goto done;
    if (check) {
        size_t ml = 0;
        unsigned char *mb = cli_read_file(check, &ml);
        int st = mb ? hush_model_load(&plain, mb, ml, 256, NULL) : HUSH_EIO;
        free(mb);
        if (st == HUSH_OK && hush_model_input_size(plain) != s.in) st = HUSH_ESHAPE;
        want = calloc(s.n, sizeof *want);
        if (st == HUSH_OK && !want) st = HUSH_ENOMEM;
        for (size_t i = 0; st == HUSH_OK && i < s.n; i += 256)
            st = hush_model_predict(plain, want + i, s.x + i * s.in, s.n - i < 256 ? s.n - i : 256);
        if (st != HUSH_OK) {
            cli_error("--check-model %s: %s", check, hush_strerror(st));
            goto done;
        }
    }
    if ((rc = cli_identity(idp, sk))) {
        exit_code = rc;
        goto done;
    }
    hush_p2p_config cfg;
    int st = hush_p2p_config_init(&cfg, HUSH_P2P_APPLICANT);
    cfg.max_sessions = (uint32_t)conc;
    cfg.max_rows = HUSH_P2P_MAX_ROWS;
    if (st == HUSH_OK) st = hush_p2p_create(&p, &cfg, sk, name, tok ? token : NULL, NULL);
    sodium_memzero(sk, sizeof sk);
    sodium_memzero(token, sizeof token);
    if (st == HUSH_OK && bank_key) st = hush_p2p_pin(p, s.bank, bpk);
    if (st == HUSH_OK && dealer_key) st = hush_p2p_pin_dealer(p, dpk);
    if (st != HUSH_OK) {
        cli_error(st == HUSH_EARG ? "--name and --bank must be 1-64 characters of [A-Za-z0-9._-]" : "%s",
                  hush_strerror(st));
        exit_code = st == HUSH_EARG ? CLI_EXIT_USAGE : CLI_EXIT_FAIL;
        goto done;
    }
    p2p_net n;
    memset(&n, 0, sizeof n);
    n.p = p;
    n.on_event = apply_event;
    n.ud = &s;
    st = p2p_net_run(&n, url, ca, timeout);
    if (st == HUSH_EARG) {
        cli_error("--url must be ws://HOST:PORT/ws or wss://HOST:PORT/ws");
        exit_code = CLI_EXIT_USAGE;
        goto done;
    }
    if (st != HUSH_OK || s.failed || n.timed_out || n.lost || s.done_rows != s.n) {
        if (s.failed) cli_error("%s%s", s.fail_text, s.described ? "; no decision was output for that session" : "");
        else if (n.timed_out) cli_error("timed out after %g s with %zu of %zu applicants decided", timeout, s.done_rows, s.n);
        else cli_error("the connection to the server was lost with %zu of %zu applicants decided", s.done_rows, s.n);
        goto done;
    }
    size_t approved = 0, agree = 0, correct = 0;
    const uint32_t *labels = hush_dataset_labels(ds);
    for (size_t i = 0; i < s.n; i++) {
        approved += s.dec[i] == 0;
        if (want) agree += s.dec[i] == want[i];
        if (labels) correct += s.dec[i] == labels[i];
    }
    if (out) {
        FILE *f = fopen(out, "w");
        for (size_t i = 0; f && i < s.n; i++) fprintf(f, "%u\n", s.dec[i]);
        if (!f || fclose(f) != 0) cli_error("cannot write '%s'", out);
    }
    qsort(s.lat, s.n_lat, sizeof *s.lat, cmp_double);
    double secs = s.t_last - s.t_first;
    if (json) {
        printf("{\"command\":\"mpc apply\",\"bank\":\"%s\",\"applicants\":%zu,\"sessions\":%llu,\"rows_per_session\":%zu,"
               "\"concurrency\":%u,\"link\":\"relay\",\"seconds\":%.4f,\"ms_per_applicant\":%.4f,"
               "\"decisions_per_second\":%.1f,\"latency_ms\":{\"p50\":%.3f,\"p90\":%.3f,\"p99\":%.3f,\"max\":%.3f},"
               "\"bytes_per_applicant\":%.1f,\"approved\":%zu,",
               s.bank, s.n, (unsigned long long)s.sessions, s.rows_per, s.concurrency, secs, 1e3 * secs / (double)s.n,
               secs > 0 ? (double)s.n / secs : 0.0, 1e3 * pct(s.lat, s.n_lat, 0.5), 1e3 * pct(s.lat, s.n_lat, 0.9),
               1e3 * pct(s.lat, s.n_lat, 0.99), 1e3 * pct(s.lat, s.n_lat, 1.0), (double)s.bytes / (double)s.n, approved);
        if (want) printf("\"decision_agreement\":%.6f,", (double)agree / (double)s.n);
        if (labels) printf("\"encrypted_accuracy\":%.6f,", (double)correct / (double)s.n);
        printf("\"private\":true}\n");
    } else {
        printf("%zu applicants in %llu sessions: %.3f ms and %.0f bytes per applicant, %zu approved", s.n,
               (unsigned long long)s.sessions, 1e3 * secs / (double)s.n, (double)s.bytes / (double)s.n, approved);
        if (want) printf(", decisions agree with the plaintext model on %.4f", (double)agree / (double)s.n);
        printf("\n");
    }
    exit_code = 0;
done:
    hush_p2p_free(p);
    hush_model_free(plain);
    hush_dataset_free(all);
    hush_dataset_free(train);
    hush_dataset_free(test);
    if (s.dec) sodium_memzero(s.dec, s.n * sizeof *s.dec);
    free(s.dec);
    free(s.fly);
    free(s.lat);
    free(want);
    return exit_code;
}
