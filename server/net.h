/* hush-server's transport: one libwebsockets event loop, single-threaded.
 *
 * It only moves bytes: WebSocket binary frames on /ws (subprotocol hush.v1) between sockets and
 * the hub (hub.h), GET /api/status, and files under --static. It enforces the limits that must
 * hold before any protocol logic runs: the frame size (checked against the announced length
 * before a byte is buffered), the bytes queued for a client that does not read, the number of
 * sockets, and the WebSocket ping/pong idle timeout.
 */
#ifndef HUSH_SERVER_NET_H
#define HUSH_SERVER_NET_H

#include <stddef.h>
#include <stdint.h>

#include "hub.h"

typedef struct srv_net_config {
    const char *host;        /* listen address; NULL: 127.0.0.1 */
    int port;                /* 0: a free port (printed) */
    const char *static_root; /* NULL: no static files */
    const char *static_allow; /* URL path prefixes served under it (comma-separated); NULL: all */
    const char *tls_cert, *tls_key;
    size_t max_message;
    uint32_t max_connections;
    uint32_t idle_timeout;   /* seconds without a pong before hanging up */
    size_t max_queue;        /* bytes waiting for a connection beyond which it counts as not reading */
    int log_level;           /* 0 errors, 1 warnings, 2 info, 3 debug */
} srv_net_config;

/* Runs until SIGINT or SIGTERM. `ready` (may be NULL) is called once listening, with the port.
 * dealer_sk (NULL: no dealer): the identity of hush-server --dealer (p2p sessions). */
int srv_net_run(const srv_net_config *cfg, srv_store *store, const srv_limits *limits, const uint8_t *dealer_sk,
                void (*ready)(int port, void *ud), void *ud);

#endif
