/* Native participants of hush.v1 over libwebsockets (native builds only: WASI has no sockets).
 *
 * Runs any number of participants in one event loop, each a hush_net_client (the core's protocol
 * state machine) on its own WebSocket connection. A dropped connection is retried with
 * exponential backoff (250 ms doubling to 8 s, with jitter) and the participant resumes at the
 * next round; refusals that retrying cannot fix (authentication, enrolment token, revocation,
 * unknown task) end it. Events go to a callback, which supplies round inputs and decides when a
 * participant is done.
 */
#ifndef HUSH_CLI_NETCLIENT_H
#define HUSH_CLI_NETCLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "hush/net.h"

typedef struct cli_peer cli_peer;

/* Called for every event; return 1 when this participant is done (it then disconnects), 0 to
 * go on, or a negative HUSH_E* status to stop it with that failure. */
typedef int (*cli_peer_event_fn)(cli_peer *p, const hush_net_event *ev, void *ud);

struct cli_peer {
    hush_net_client *client; /* owned by the caller */
    cli_peer_event_fn on_event;
    void *ud;
    /* Benchmarks and tests: leave for good just before sending the round's (drop_at + 1)-th
     * secure-aggregation frame, as a participant that goes away at that stage; -1: never. */
    int drop_at;
    /* filled by the loop */
    int done, status;        /* status: 0, a HUSH_E* status, or a HUSH_NET_E_* refusal */
    uint32_t connects;
    uint64_t bytes_in, bytes_out; /* WebSocket payload bytes received and sent */
};

typedef struct cli_net_opts {
    const char *url;     /* ws://HOST:PORT/ws or wss://... */
    const char *ca_file; /* wss: trust this certificate (self-signed test servers) */
    double timeout;      /* seconds for everything; 0 = none */
    int log_level;
} cli_net_opts;

/* Runs until every participant is done (or the timeout). HUSH_OK, HUSH_EARG for a bad URL,
 * HUSH_EIO if the loop could not start, HUSH_ESTATE on timeout. */
int cli_net_run(cli_peer *peers, size_t n, const cli_net_opts *o);

/* Loads the identity file at path, or creates it (mode 0600, never overwritten) when missing.
 * Prints its own errors. */
int cli_identity(const char *path, uint8_t sk[HUSH_NET_SECRET_KEY_BYTES]);
/* 64 hex digits -> HUSH_NET_TOKEN_BYTES bytes. */
int cli_token(const char *hex, uint8_t token[HUSH_NET_TOKEN_BYTES]);

/* The participant of the common options: --name, --identity KEYFILE (created on first use),
 * --token (NULL once enrolled), --task, --pins FILE (may be NULL). Prints its errors; returns 0,
 * CLI_EXIT_USAGE or CLI_EXIT_FAIL. The key never stays outside the client. */
int cli_participant(hush_net_client **out, const char *name, const char *identity, const char *token_hex,
                    const char *task, const char *pins);
/* The exit code of a finished cli_net_run, printing why it failed (quiet: the event callback
 * already said why the participant stopped). */
int cli_net_exit(int st, const cli_peer *p, const cli_net_opts *o, int quiet);

#endif
