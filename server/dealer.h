/* hush-server --dealer: the MPC dealer of one p2p session (hush/p2p.h), without sockets.
 *
 * It is the core's dealer role (hush_mpc_party with HUSH_MPC_ROLE_DEALER) with an authenticated
 * channel to each party: the server's own identity key, the parties' enrolled keys, bound to the
 * session id. The dealer initiates both handshakes, takes exactly the one REPLY each party
 * sends, and from then on only produces records: correlated randomness drawn from the OS, one
 * message per party and operation, in the order of the public program. It never receives a
 * share, an opening or an output; srv_dealer_receive refuses anything after the handshake.
 * Its material is wiped as soon as it has been handed out (and at free).
 */
#ifndef HUSH_SERVER_DEALER_H
#define HUSH_SERVER_DEALER_H

#include <stddef.h>
#include <stdint.h>

#include "hush/mpc.h"

typedef struct srv_dealer srv_dealer;

/* pks: the bank's (party 0) and the applicant's (party 1) identity keys; sk: the server's.
 * guard (the server's): a session id used before is HUSH_ESTATE. */
int srv_dealer_create(srv_dealer **out, const uint8_t session[16], uint32_t rows, const hush_mpc_model *pub,
                      const uint8_t sk[64], const uint8_t pk_bank[32], const uint8_t pk_applicant[32],
                      hush_mpc_guard *guard);
void srv_dealer_free(srv_dealer *d);
/* The next handshake message for party 0 or 1 (*written = 0 if none now). */
int srv_dealer_handshake(srv_dealer *d, uint32_t party, uint8_t *out, size_t cap, size_t *written);
/* A handshake message from a party. HUSH_ESTATE once that party's channel is open: the dealer
 * receives nothing else. */
int srv_dealer_receive(srv_dealer *d, uint32_t party, const uint8_t *msg, size_t len);
/* The next record (*written = 0 if none: not linked yet, or everything dealt) and its party. */
int srv_dealer_next(srv_dealer *d, uint32_t *party, uint8_t *out, size_t cap, size_t *written);
/* Largest record srv_dealer_next produces. */
size_t srv_dealer_max_message(const srv_dealer *d);
/* 1 once every record has been produced. */
int srv_dealer_done(const srv_dealer *d);

#endif
