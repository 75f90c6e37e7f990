/* hush-server's side of p2p sessions (hush/p2p.h): banks that serve a model, sessions between an
 * applicant and a bank, their relay and signalling, and the dealer (dealer.h). No sockets, no
 * clock: the hub (hub.c) hands it every frame of types 16..31 from an authenticated connection
 * and it answers through the hub's srv_io.
 *
 * What it learns and keeps, per session: who (applicant, bank), when, how many rows, which link,
 * how many bytes were relayed, signalled and dealt, and how it ended; the audit log records one
 * line per session and the table p2p_sessions one row. Relay and signalling frames are forwarded
 * byte for byte: they hold channel records and signed offers it cannot read or forge. Its dealer
 * receives only each party's handshake REPLY.
 *
 * Flow control: the dealer's records go out only while the recipient's send queue holds less
 * than a window (srv_io.queued), and resume when it drains (srv_p2p_drained), so a session with
 * many rows (tens of MB of dealer material) never trips the slow-reader limit. A relayed frame
 * whose recipient is already behind by half the queue limit is refused: its sender floods.
 */
#ifndef HUSH_SERVER_P2P_H
#define HUSH_SERVER_P2P_H

#include <stddef.h>
#include <stdint.h>

#include "hub.h"
#include "store.h"

typedef struct srv_p2p srv_p2p;

int srv_p2p_create(srv_p2p **out, srv_store *store, const srv_io *io, const srv_limits *limits);
void srv_p2p_free(srv_p2p *x);
/* Dealer mode with this identity (Ed25519, libsodium layout): sessions can start. */
int srv_p2p_set_dealer(srv_p2p *x, const uint8_t sk[64]);
/* One p2p frame from an authenticated connection. 0, or a close code (enum hush_net_error_code
 * or hush_p2p_error_code) with *why: the hub then refuses the connection. */
int srv_p2p_message(srv_p2p *x, uint64_t conn, const char *name, const uint8_t pk[32], const uint8_t *frame,
                    size_t len, double now, const char **why);
/* conn is gone: its sessions end (the peer is told), a bank stops serving. */
void srv_p2p_closed(srv_p2p *x, uint64_t conn, double now);
/* conn's send queue emptied: dealing to it resumes. */
void srv_p2p_drained(srv_p2p *x, uint64_t conn, double now);
/* Session timeouts. */
void srv_p2p_tick(srv_p2p *x, double now);
/* `"dealer":{...},"banks":[...]` for /api/status (caller frees). */
int srv_p2p_status_json(srv_p2p *x, char **json, size_t *len);

#endif
