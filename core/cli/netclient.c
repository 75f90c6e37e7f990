/* Native hush.v1 participants on one libwebsockets client loop (see netclient.h). The callbacks
 * move frames between sockets and each participant's hush_net_client; nothing else. */
#define _POSIX_C_SOURCE 200809L
#include "netclient.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libwebsockets.h>
#include <sodium.h>

#include "cli.h"

typedef struct net_loop net_loop;

typedef struct peer_priv {
    cli_peer *pub;
    net_loop *loop;
    struct lws *wsi;
    uint8_t *rx;
    size_t rx_len, rx_cap;
    uint8_t *tx; /* LWS_PRE + tx_cap */
    size_t tx_cap;
    lws_sorted_usec_list_t retry;
    uint32_t backoff_ms;
    int want_close;
    int secagg_sent;
} peer_priv;

struct net_loop {
    struct lws_context *ctx;
    const cli_net_opts *o;
    char host[256], path[256];
    int port, tls;
    size_t n, n_done;
    peer_priv *pp;
    double deadline;
    lws_sorted_usec_list_t watch;
    int timed_out;
};

static double mono(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int parse_url(net_loop *L, const char *url) {
    const char *p;
    if (!strncmp(url, "ws://", 5)) {
        p = url + 5;
        L->tls = 0;
        L->port = 80;
    } else if (!strncmp(url, "wss://", 6)) {
        p = url + 6;
        L->tls = 1;
        L->port = 443;
    } else {
        return HUSH_EARG;
    }
    const char *slash = strchr(p, '/'), *colon = strchr(p, ':');
    const char *hend = colon && (!slash || colon < slash) ? colon : slash ? slash : p + strlen(p);
    if (hend == p || (size_t)(hend - p) >= sizeof L->host) return HUSH_EARG;
    memcpy(L->host, p, (size_t)(hend - p));
    L->host[hend - p] = 0;
    if (colon && (!slash || colon < slash)) {
        char *e;
        long v = strtol(colon + 1, &e, 10);
        if (e == colon + 1 || v <= 0 || v > 65535 || (*e && *e != '/')) return HUSH_EARG;
        L->port = (int)v;
    }
    snprintf(L->path, sizeof L->path, "%s", slash ? slash : "/ws");
    return HUSH_OK;
}

static void finish(peer_priv *pp, int status) {
    if (pp->pub->done) return;
    pp->pub->done = 1;
    pp->pub->status = status;
    pp->loop->n_done++;
    pp->want_close = 1;
    if (pp->wsi) lws_callback_on_writable(pp->wsi);
    if (pp->loop->n_done == pp->loop->n) lws_cancel_service(pp->loop->ctx);
}

static void connect_peer(peer_priv *pp);

static void on_retry(lws_sorted_usec_list_t *sul) {
    peer_priv *pp = lws_container_of(sul, peer_priv, retry);
    if (!pp->pub->done) connect_peer(pp);
}

static void schedule_retry(peer_priv *pp) {
    if (pp->pub->done) return;
    uint32_t ms = pp->backoff_ms ? pp->backoff_ms : 250;
    pp->backoff_ms = ms >= 4000 ? 8000 : ms * 2;
    ms = ms * 3 / 4 + randombytes_uniform(ms / 2 + 1); /* jitter: reconnects do not arrive in lockstep */
    lws_sul_schedule(pp->loop->ctx, 0, &pp->retry, on_retry, (lws_usec_t)ms * LWS_US_PER_MS);
}

static void connect_peer(peer_priv *pp) {
    net_loop *L = pp->loop;
    hush_net_client_reset(pp->pub->client);
    pp->rx_len = 0;
    pp->secagg_sent = 0;
    struct lws_client_connect_info ci;
    memset(&ci, 0, sizeof ci);
    ci.context = L->ctx;
    ci.address = L->host;
    ci.port = L->port;
    ci.path = L->path;
    ci.host = L->host;
    ci.origin = L->host;
    ci.protocol = HUSH_NET_SUBPROTOCOL;
    ci.ssl_connection = L->tls ? LCCSCF_USE_SSL : 0;
    ci.userdata = pp;
    ci.pwsi = &pp->wsi;
    if (!lws_client_connect_via_info(&ci)) {
        pp->wsi = NULL;
        schedule_retry(pp);
    }
}

/* Refusals that a reconnect cannot cure end the participant. */
static int fatal(int32_t code) {
    return code == HUSH_NET_E_AUTH || code == HUSH_NET_E_TOKEN || code == HUSH_NET_E_REVOKED ||
           code == HUSH_NET_E_TASK || code == HUSH_NET_E_REPLACED;
}

static void deliver(peer_priv *pp) {
    cli_peer *p = pp->pub;
    int rc = hush_net_client_receive(p->client, pp->rx, pp->rx_len);
    if (rc != HUSH_OK && pp->loop->o->log_level >= 2)
        fprintf(stderr, "%s: refused a server message: %s\n", cli_prog, hush_strerror(rc));
    hush_net_event ev;
    for (hush_net_client_event(p->client, &ev); ev.kind && !p->done; hush_net_client_event(p->client, &ev)) {
        int r = p->on_event ? p->on_event(p, &ev, p->ud) : 0;
        if (r != 0) finish(pp, r > 0 ? 0 : r);
        else if (ev.kind == HUSH_NET_EV_ERROR && fatal(ev.code)) finish(pp, ev.code);
    }
}

static int cb_client(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len) {
    peer_priv *pp = user;
    switch (reason) {
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
        pp->backoff_ms = 0;
        pp->pub->connects++;
        return 0;
    case LWS_CALLBACK_CLIENT_RECEIVE: {
        if (lws_is_first_fragment(wsi)) pp->rx_len = 0;
        size_t remaining = lws_remaining_packet_payload(wsi);
        size_t need = pp->rx_len + len + remaining;
        if (need > HUSH_NET_DEFAULT_MAX_MESSAGE) return -1; /* the decoder would refuse it anyway */
        if (need > pp->rx_cap) {
            uint8_t *b = realloc(pp->rx, need);
            if (!b) return -1;
            pp->rx = b;
            pp->rx_cap = need;
        }
        memcpy(pp->rx + pp->rx_len, in, len);
        pp->rx_len += len;
        pp->pub->bytes_in += len;
        if (lws_is_final_fragment(wsi) && remaining == 0) {
            deliver(pp);
            pp->rx_len = 0;
            lws_callback_on_writable(wsi);
        }
        return 0;
    }
    case LWS_CALLBACK_CLIENT_WRITEABLE: {
        /* A participant that is done still sends what it has queued (a DECLINE, say); one that
         * failed sends nothing more. */
        if (pp->want_close && pp->pub->status != 0) {
            lws_close_reason(wsi, LWS_CLOSE_STATUS_NORMAL, (unsigned char *)"done", 4);
            return -1;
        }
        size_t w = 0;
        int rc = hush_net_client_next_message(pp->pub->client, pp->tx + LWS_PRE, pp->tx_cap, &w);
        if (rc == HUSH_ERANGE) {
            uint8_t *b = realloc(pp->tx, LWS_PRE + w);
            if (!b) return -1;
            pp->tx = b;
            pp->tx_cap = w;
            rc = hush_net_client_next_message(pp->pub->client, pp->tx + LWS_PRE, pp->tx_cap, &w);
        }
        if (rc != HUSH_OK) {
            finish(pp, rc);
            return -1;
        }
        if (w && pp->tx[LWS_PRE + 3] == HUSH_NET_SECAGG && pp->pub->drop_at >= 0 &&
            pp->secagg_sent++ >= pp->pub->drop_at) {
            finish(pp, 0); /* gone for good, mid-round */
            return -1;
        }
        if (w) {
            if (lws_write(wsi, pp->tx + LWS_PRE, w, LWS_WRITE_BINARY) < (int)w) return -1;
            pp->pub->bytes_out += w;
            lws_callback_on_writable(wsi); /* there may be more */
        } else if (pp->want_close) {
            lws_close_reason(wsi, LWS_CLOSE_STATUS_NORMAL, (unsigned char *)"done", 4);
            return -1;
        }
        return 0;
    }
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
    case LWS_CALLBACK_CLIENT_CLOSED:
        if (pp && pp->wsi == wsi) {
            pp->wsi = NULL;
            if (!pp->pub->done) schedule_retry(pp);
        }
        return 0;
    default:
        return 0;
    }
}

static void on_watch(lws_sorted_usec_list_t *sul) {
    net_loop *L = lws_container_of(sul, net_loop, watch);
    if (L->deadline > 0 && mono() > L->deadline) {
        L->timed_out = 1;
        lws_cancel_service(L->ctx);
        return;
    }
    lws_sul_schedule(L->ctx, 0, &L->watch, on_watch, 100 * LWS_US_PER_MS);
}

static const struct lws_protocols cprotocols[] = {
    {HUSH_NET_SUBPROTOCOL, cb_client, 0, 64 * 1024, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

int cli_net_run(cli_peer *peers, size_t n, const cli_net_opts *o) {
    if (!peers || !n || !o || !o->url) return HUSH_EARG;
    net_loop L;
    memset(&L, 0, sizeof L);
    L.o = o;
    L.n = n;
    if (parse_url(&L, o->url) != HUSH_OK) return HUSH_EARG;
    L.pp = calloc(n, sizeof *L.pp);
    if (!L.pp) return HUSH_ENOMEM;
    int levels = LLL_ERR | (o->log_level >= 1 ? LLL_WARN : 0) | (o->log_level >= 3 ? LLL_NOTICE | LLL_INFO : 0);
    lws_set_log_level(levels, NULL);
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = cprotocols;
    info.fd_limit_per_thread = (unsigned)n + 64;
    info.timeout_secs = 10;
    if (L.tls) {
        info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
        info.client_ssl_ca_filepath = o->ca_file;
    }
    L.ctx = lws_create_context(&info);
    if (!L.ctx) {
        free(L.pp);
        return HUSH_EIO;
    }
    if (o->timeout > 0) L.deadline = mono() + o->timeout;
    lws_sul_schedule(L.ctx, 0, &L.watch, on_watch, 100 * LWS_US_PER_MS);
    for (size_t i = 0; i < n; i++) {
        peers[i].done = 0;
        peers[i].status = 0;
        L.pp[i].pub = &peers[i];
        L.pp[i].loop = &L;
        L.pp[i].tx_cap = 4096;
        L.pp[i].tx = malloc(LWS_PRE + L.pp[i].tx_cap);
        if (!L.pp[i].tx) {
            L.n = i;
            break;
        }
        connect_peer(&L.pp[i]);
    }
    while (L.n_done < L.n && !L.timed_out && lws_service(L.ctx, 0) >= 0) {
    }
    /* Let the "done" closes go out. */
    for (int k = 0; k < 20 && !L.timed_out; k++) {
        size_t open = 0;
        for (size_t i = 0; i < L.n; i++) open += L.pp[i].wsi != NULL;
        if (!open) break;
        lws_service(L.ctx, 0);
    }
    lws_context_destroy(L.ctx);
    for (size_t i = 0; i < n; i++) {
        free(L.pp[i].rx);
        if (L.pp[i].tx) sodium_memzero(L.pp[i].tx, LWS_PRE + L.pp[i].tx_cap);
        free(L.pp[i].tx);
    }
    free(L.pp);
    return L.timed_out ? HUSH_ESTATE : HUSH_OK;
}

int cli_identity(const char *path, uint8_t sk[HUSH_NET_SECRET_KEY_BYTES]) {
    size_t len = 0;
    FILE *f = fopen(path, "rb");
    if (f) {
        fclose(f);
        unsigned char *buf = cli_read_file(path, &len);
        if (!buf) return CLI_EXIT_FAIL;
        int rc = hush_net_identity_load(sk, buf, len);
        sodium_memzero(buf, len);
        free(buf);
        if (rc) {
            cli_error("%s: not a usable identity file: %s", path, hush_strerror(rc));
            return CLI_EXIT_FAIL;
        }
        return 0;
    }
    if (errno != ENOENT) {
        cli_error("cannot read '%s': %s", path, strerror(errno));
        return CLI_EXIT_FAIL;
    }
    uint8_t file[HUSH_NET_IDENTITY_FILE_BYTES];
    int rc = hush_net_identity_generate(sk);
    if (rc == HUSH_OK) rc = hush_net_identity_save(file, sizeof file, &len, sk);
    if (rc) {
        cli_error("cannot create an identity: %s", hush_strerror(rc));
        return CLI_EXIT_FAIL;
    }
    /* O_EXCL: never replace an identity that appeared meanwhile; 0600: the seed is a secret. */
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    int ok = fd >= 0 && write(fd, file, len) == (ssize_t)len && fsync(fd) == 0;
    if (fd >= 0 && close(fd) != 0) ok = 0;
    sodium_memzero(file, sizeof file);
    if (!ok) {
        cli_error("cannot write the identity file '%s': %s", path, strerror(errno));
        if (fd >= 0) unlink(path);
        return CLI_EXIT_FAIL;
    }
    return 0;
}

int cli_token(const char *hex, uint8_t token[HUSH_NET_TOKEN_BYTES]) {
    size_t bin_len = 0;
    if (!hex || strlen(hex) != 2 * HUSH_NET_TOKEN_BYTES ||
        sodium_hex2bin(token, HUSH_NET_TOKEN_BYTES, hex, strlen(hex), NULL, &bin_len, NULL) != 0 ||
        bin_len != HUSH_NET_TOKEN_BYTES) {
        cli_error("--token must be the %d hex digits printed by hush-server enroll", 2 * HUSH_NET_TOKEN_BYTES);
        return CLI_EXIT_USAGE;
    }
    return 0;
}

int cli_participant(hush_net_client **out, const char *name, const char *identity, const char *token_hex,
                    const char *task, const char *pins) {
    uint8_t sk[HUSH_NET_SECRET_KEY_BYTES], token[HUSH_NET_TOKEN_BYTES];
    int rc;
    *out = NULL;
    if (token_hex && (rc = cli_token(token_hex, token))) return rc;
    if ((rc = cli_identity(identity, sk))) return rc;
    hush_net_client *c = NULL;
    int st = hush_net_client_create(&c, sk, name, token_hex ? token : NULL, NULL);
    sodium_memzero(sk, sizeof sk);
    sodium_memzero(token, sizeof token);
    if (st == HUSH_OK) st = hush_net_client_join(c, task);
    if (st) {
        cli_error("%s", st == HUSH_EARG ? "--name and --task must be 1-64 characters of [A-Za-z0-9._-]"
                                        : hush_strerror(st));
        hush_net_client_free(c);
        return st == HUSH_EARG ? CLI_EXIT_USAGE : CLI_EXIT_FAIL;
    }
    if (pins) {
        size_t plen, bad = 0;
        unsigned char *text = cli_read_file(pins, &plen);
        st = text ? hush_net_client_pin_text(c, (const char *)text, plen, &bad) : HUSH_EIO;
        free(text);
        if (st) {
            if (bad) cli_error("%s:%zu: expected NAME and a 64-digit hex public key", pins, bad);
            hush_net_client_free(c);
            return CLI_EXIT_FAIL;
        }
    }
    *out = c;
    return 0;
}

int cli_net_exit(int st, const cli_peer *p, const cli_net_opts *o, int quiet) {
    if (st == HUSH_EARG) {
        cli_error("--url must be ws://HOST:PORT/ws or wss://HOST:PORT/ws");
        return CLI_EXIT_USAGE;
    }
    if (st == HUSH_ESTATE) {
        cli_error("timed out after %g s", o->timeout);
        return CLI_EXIT_FAIL;
    }
    if (st != HUSH_OK || p->status != 0) {
        if (!quiet && p->status < 0) cli_error("stopped: %s", hush_strerror(p->status));
        if (p->status >= 4000) cli_error("refused by the server (%d)", p->status);
        return CLI_EXIT_FAIL;
    }
    return 0;
}
