/* The aggregator's protocol logic, without sockets or a clock.
 *
 * The transport (net.c: libwebsockets; the tests: plain function calls) tells the hub that a
 * connection opened, that a frame arrived, that a connection closed, and what time it is; the hub
 * answers through srv_io: frames to queue for a connection, connections to close with a code.
 * Everything else lives here: the challenge and authentication (enrolment included), limits that
 * need protocol knowledge (handshake timeout, message rate, unauthenticated connections, one
 * connection per identity), and the tasks: gathering participants, running each round's
 * authenticated secure aggregation (the core's hush_secagg_server) with per-stage deadlines,
 * committing results to the store, and telling participants.
 *
 * What the hub learns: who connected when, the names and keys of participants, each round's
 * survivor set and sum. Masked inputs, encrypted shares and signatures pass through it; the
 * secure-aggregation server state machine it drives unmasks only the sum.
 */
#ifndef HUSH_SERVER_HUB_H
#define HUSH_SERVER_HUB_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

typedef struct srv_io {
    void *ud;
    /* Queue one frame for conn. Nonzero: the connection is gone or over its queue limit (the
     * transport closes it and reports srv_hub_closed later). */
    int (*send)(void *ud, uint64_t conn, const uint8_t *frame, size_t len);
    /* Close conn once what is queued is sent, with a WebSocket close code and a short reason. */
    void (*close)(void *ud, uint64_t conn, uint16_t code, const char *reason);
    /* p2p (optional, NULL: 0): bytes queued for conn and not yet written (flow control). */
    size_t (*queued)(void *ud, uint64_t conn);
} srv_io;

typedef struct srv_limits {
    size_t max_message;           /* largest frame accepted (the transport refuses bigger ones first) */
    uint32_t max_connections;     /* all connections */
    uint32_t max_unauthenticated; /* connections that have not authenticated yet */
    double handshake_timeout;     /* seconds to authenticate */
    double rate, burst;           /* frames per second sustained, and the burst allowance */
    /* p2p (server/p2p.h): its frames have their own allowance (a session is dozens of frames),
     * and a relayed frame for a peer behind by more than max_queue / 2 is refused. */
    double p2p_rate, p2p_burst;
    size_t max_queue;
} srv_limits;

void srv_limits_default(srv_limits *l);

typedef struct srv_hub srv_hub;

int srv_hub_create(srv_hub **out, srv_store *store, const srv_limits *limits, const srv_io *io, double now);
void srv_hub_free(srv_hub *h);

/* A connection was accepted (peer: for the audit log). HUSH_ERANGE if a limit refuses it: the
 * transport closes it with HUSH_NET_E_FULL. Otherwise the CHALLENGE has been queued. */
int srv_hub_open(srv_hub *h, uint64_t conn, const char *peer, double now);
/* One complete frame from conn. */
void srv_hub_message(srv_hub *h, uint64_t conn, const uint8_t *msg, size_t len, double now);
/* conn is gone (whatever the reason); the hub forgets it. */
void srv_hub_closed(srv_hub *h, uint64_t conn, double now);
/* The transport closed conn itself (too big, not reading, ...): recorded in the audit log. */
void srv_hub_transport_refused(srv_hub *h, uint64_t conn, uint16_t code, const char *why, double now);
/* Deadlines: call often (the server: every 50 ms). */
void srv_hub_tick(srv_hub *h, double now);
/* Shutdown: rounds in progress stay "running" in the store (the next start abandons them). */
void srv_hub_shutdown(srv_hub *h, double now);

uint32_t srv_hub_connections(const srv_hub *h);

/* ---- p2p sessions (server/p2p.h) ---- */
/* Dealer mode: p2p sessions can start, dealt with this identity (published in /api/status). */
int srv_hub_enable_dealer(srv_hub *h, const uint8_t sk[64]);
/* conn's send queue emptied (the transport calls it; dealing resumes). */
void srv_hub_drained(srv_hub *h, uint64_t conn, double now);
/* /api/status: the store's status with the live connection count. Caller frees *json. */
int srv_hub_status_json(srv_hub *h, char **json, size_t *len);
/* /api/tasks/NAME/rounds: every attempt at the task's rounds, with their metrics. HUSH_EARG for a
 * name that is not a valid task name. */
int srv_hub_rounds_json(srv_hub *h, const char *task, char **json, size_t *len);

#endif
