/* Internals of the channel shared with the modules that carry their messages over it (mpc):
 * read-only facts about a channel and a two-step receive, so a consumer can refuse a record's
 * payload (for instance "not expected yet") and leave the channel exactly as it was. */
#ifndef HUSH__CHANNEL_CHANNEL_H
#define HUSH__CHANNEL_CHANNEL_H

#include "hush/channel.h"

const uint8_t *hush__channel_session(const hush_channel *ch);
uint32_t hush__channel_local_role(const hush_channel *ch);
uint32_t hush__channel_peer_role(const hush_channel *ch);
/* 1 if records can be sealed and received now (handshake done, nothing pending, not closed). */
int hush__channel_ready(const hush_channel *ch);
/* Authenticates and decrypts one record without consuming it: the payload goes to out, *close
 * says whether it is the peer's CLOSE. The channel is unchanged until hush__channel_commit. */
HUSH_NODISCARD int hush__channel_open(hush_channel *ch, uint8_t *out, size_t cap, size_t *written, int *close,
                                      const uint8_t *msg, size_t len);
/* Consumes the record hush__channel_open just accepted. */
void hush__channel_commit(hush_channel *ch, int close);

#endif
