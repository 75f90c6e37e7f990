/* hush p2p: encrypted predictions between an applicant and a model owner (a bank) over
 * hush-server, which signals, relays and deals but learns neither side's secrets.
 *
 * Start here: both sides hold an enrolled hush.v1 identity (hush/net.h). A bank calls
 * hush_p2p_serve with its model; an applicant calls hush_p2p_describe(bank) for the bank's signed
 * description, then hush_p2p_apply(bank, features). The state machine owns the protocol: the
 * transport feeds it the server's frames (hush_p2p_receive) and sends hush_p2p_next_message's.
 *
 * A transport that can open direct links (WebRTC data channels) also moves link frames
 * (hush_p2p_link_receive / hush_p2p_link_next_message) and the signalling payloads it creates
 * (hush_p2p_signal, HUSH_P2P_EV_SIGNAL). Everything else is the core: the native CLI, Node and
 * the browser run the same code.
 *
 * ROLES (hush/mpc.h with two compute parties). Party 0 is the bank, party 1 and the client are
 * the applicant, the dealer is hush-server --dealer. Per session:
 *   applicant -> server  OPEN (bank, rows, link wanted)
 *   server -> both       SESSION: a fresh random 128-bit id (recorded, never reused), the peer's
 *                        name and identity key, the dealer's key
 *   dealer <-> each party an authenticated channel (hush/channel.h) in DEALER frames; after its
 *                        handshake the dealer only sends (correlated randomness) and refuses
 *                        anything a party sends
 *   applicant <-> bank   two channels over the link (the party channel 1<->0 and the client
 *                        channel client<->0): RELAY frames through the server, or a direct
 *                        WebRTC data channel whose offer, answer and candidates travel in SIGNAL
 *                        frames signed with both identity keys
 *   then the two-party prediction of hush/mpc.h; the client alone reconstructs the decisions.
 * The parameters are shared as (W - E, E): E, the applicant's share, is a PRG expansion of the
 * session id, so both sides build their party at once without a message. E is public, which is
 * as good as a zero share: every opening that involves the parameters is masked by dealer
 * randomness that neither the applicant nor the relay sees.
 *
 * WHO LEARNS WHAT (semi-honest parties; the dealer does not collude with either party).
 *  - The applicant learns the decision for each of her rows, the bank's public description
 *    (architecture, input standardisation, input schema) and nothing about the weights: her
 *    share is a public expansion, every opening is masked by dealer randomness.
 *  - The bank learns the session's public facts (applicant's name, rows, timing, sizes): its
 *    share of the inputs is masked by a seed only the applicant knows, the output shares go to
 *    the client, and openings are masked by the dealer.
 *  - The server learns who talked to whom, when, and how many bytes (recorded in its audit log):
 *    relay and signalling frames carry channel records it has no key for; its dealer receives
 *    nothing but two handshake messages per session.
 *  - The network learns the same as the server (use wss://).
 * AUTHENTICATION. Every channel is bound to the session id and both roles and checked against
 * the identity keys the server reports for the peer and the dealer; an applicant that does not
 * trust the server's enrolment pins the banks it accepts (hush_p2p_pin) and the dealer
 * (hush_p2p_pin_dealer). Signalling messages are Ed25519-signed over the session, both names,
 * their kind and sequence number, so the server cannot splice itself into a WebRTC connection
 * by swapping DTLS fingerprints; the channels run on top of the data channel anyway, so a
 * direct link carries nothing the relay would not. The bank's description is signed too.
 * REPLAY. Each role passes every session id through a hush_mpc_guard that lives as long as the
 * state machine: a reused session is refused by the bank and by the applicant.
 * FAILURES. A session ends with HUSH_P2P_EV_DONE (the decisions, hush_p2p_result) or with
 * HUSH_P2P_EV_FAILED (a code, a reason, and no output at all: partial results are wiped).
 */
#ifndef HUSH_P2P_H
#define HUSH_P2P_H

#include "common.h"
#include "net.h"

#ifdef __cplusplus
extern "C" {
#endif

#define HUSH_P2P_CONFIG_VERSION 0x50320001u
#define HUSH_P2P_HASH_BYTES 32        /* BLAKE2b-256 of a description */
#define HUSH_P2P_DESC_MAX (1u << 22)  /* a bank's public description (model file + schema) */
#define HUSH_P2P_SCHEMA_MAX (1u << 16)
#define HUSH_P2P_SIGNAL_MAX (1u << 14) /* one signalling payload (an SDP, a candidate) */
#define HUSH_P2P_MAX_SESSIONS 4096
#define HUSH_P2P_MAX_ROWS 4096
#define HUSH_P2P_DEFAULT_FRAME_MAX (64u << 10)
#define HUSH_P2P_DEFAULT_LINK_MAX (16u << 10)
#define HUSH_P2P_MIN_FRAME 256

enum hush_p2p_role { HUSH_P2P_BANK = 1, HUSH_P2P_APPLICANT = 2 };

/* How a session's applicant and bank reach each other. */
enum hush_p2p_link {
    HUSH_P2P_LINK_NONE = 0,   /* not decided yet: link frames wait */
    HUSH_P2P_LINK_RELAY = 1,  /* RELAY frames through the server */
    HUSH_P2P_LINK_DIRECT = 2  /* a direct link the transport opened (WebRTC data channel) */
};

enum hush_p2p_signal_kind {
    HUSH_P2P_SIGNAL_OFFER = 1,
    HUSH_P2P_SIGNAL_ANSWER = 2,
    HUSH_P2P_SIGNAL_CANDIDATE = 3,
    HUSH_P2P_SIGNAL_BYE = 4 /* this side gives up on a direct link */
};

/* hush.v1 frame types 16..31 (formats in core/src/io/p2pwire.h). */
enum hush_p2p_msg_type {
    HUSH_P2P_MSG_SERVE = 16,
    HUSH_P2P_MSG_DESCRIBE = 17,
    HUSH_P2P_MSG_MODEL = 18,
    HUSH_P2P_MSG_OPEN = 19,
    HUSH_P2P_MSG_SESSION = 20,
    HUSH_P2P_MSG_DEALER = 21,
    HUSH_P2P_MSG_RELAY = 22,
    HUSH_P2P_MSG_SIGNAL = 23,
    HUSH_P2P_MSG_END = 24,
    HUSH_P2P_MSG_REFUSE = 25
};
#define HUSH_P2P_MSG_FIRST 16
#define HUSH_P2P_MSG_LAST 31

/* Why a session ended (END frames, HUSH_P2P_EV_FAILED codes), after hush.v1's 4000-4013. */
enum hush_p2p_error_code {
    HUSH_P2P_E_OK = 0,
    HUSH_P2P_E_PEER_GONE = 4100, /* the other side disconnected mid-session */
    HUSH_P2P_E_REFUSED = 4101,   /* the other side's state machine refused the session */
    HUSH_P2P_E_NO_BANK = 4102,   /* no bank of that name is serving */
    HUSH_P2P_E_NO_DEALER = 4103, /* the server is not a dealer (hush-server serve --dealer) */
    HUSH_P2P_E_SESSION = 4104,   /* a frame for a session this connection is not in */
    HUSH_P2P_E_BUSY = 4105,      /* too many sessions, or too many rows */
    HUSH_P2P_E_TIMEOUT = 4106,   /* the session made no progress in time */
    HUSH_P2P_E_PROTOCOL = 4107,  /* a malformed or forged frame */
    HUSH_P2P_E_IDENTITY = 4108   /* an identity other than the one expected (pins) */
};

typedef struct hush_p2p_config {
    uint32_t version;        /* HUSH_P2P_CONFIG_VERSION, set by hush_p2p_config_init */
    uint32_t role;           /* enum hush_p2p_role */
    uint32_t max_sessions;   /* sessions at once (default 256) */
    uint32_t max_rows;       /* applicants in one session (bank: accepted; default 256) */
    uint32_t frame_max;      /* largest frame to the server; longer records are fragmented
                              * (default HUSH_P2P_DEFAULT_FRAME_MAX; keep under its --max-message) */
    uint32_t link_max;       /* largest direct-link message (default HUSH_P2P_DEFAULT_LINK_MAX) */
    uint32_t guard_capacity; /* session ids remembered (default 65536) */
    uint32_t direct;         /* 1: this transport can open direct links (WebRTC) */
} hush_p2p_config;

/* Every default for a role; HUSH_EARG for an unknown role. */
HUSH_NODISCARD int hush_p2p_config_init(hush_p2p_config *cfg, uint32_t role);

typedef struct hush_p2p hush_p2p;

enum hush_p2p_event_kind {
    HUSH_P2P_EV_NONE = 0,
    HUSH_P2P_EV_READY = 1,   /* authenticated (flags 1: enrolled by this connection) */
    HUSH_P2P_EV_MODEL = 2,   /* applicant: a bank's description arrived and verified (peer: the
                              * bank; data: its schema text, possibly empty) */
    HUSH_P2P_EV_SESSION = 3, /* a session started (slot, peer, rows, link): a transport with
                              * direct links starts signalling now (the applicant offers) */
    HUSH_P2P_EV_SIGNAL = 4,  /* a verified signalling payload for slot (signal; data: payload) */
    HUSH_P2P_EV_DONE = 5,    /* a session finished: applicant, hush_p2p_result; bank, served */
    HUSH_P2P_EV_FAILED = 6,  /* a session failed (code, text): no output */
    HUSH_P2P_EV_ERROR = 7    /* the server refused this connection (code, text); it closes next */
};

typedef struct hush_p2p_event {
    uint32_t kind;   /* enum hush_p2p_event_kind */
    uint32_t slot;   /* SESSION, SIGNAL, DONE, FAILED: the session's slot */
    uint32_t rows;   /* SESSION, DONE */
    uint32_t link;   /* SESSION: the link wanted; DONE: the link used (enum hush_p2p_link) */
    uint32_t signal; /* SIGNAL: enum hush_p2p_signal_kind */
    uint32_t flags;  /* READY: 1 enrolled; MODEL: the bank's flags (1: direct links) */
    int32_t code;    /* FAILED, ERROR: enum hush_p2p_error_code / hush_net_error_code, or the
                      * HUSH_E* status (negative) with which this side refused something */
    uint32_t data_len;            /* bytes hush_p2p_event_data returns for this event */
    uint64_t bytes_out, bytes_in; /* DONE, FAILED: this side's frame and link bytes of the session */
    uint8_t session[HUSH_NET_SESSION_BYTES];
    char peer[HUSH_NET_NAME_MAX + 1];
    char text[HUSH_NET_ERROR_TEXT_MAX + 1];
} hush_p2p_event;

/* sk: the enrolled identity; token: HUSH_NET_TOKEN_BYTES or NULL once enrolled. */
HUSH_NODISCARD int hush_p2p_create(hush_p2p **out, const hush_p2p_config *cfg, const uint8_t sk[HUSH_NET_SECRET_KEY_BYTES],
                                   const char *name, const uint8_t *token, const hush_allocator *alloc);
/* Wipes every secret (keys, inputs, shares, decisions) and frees. */
void hush_p2p_free(hush_p2p *p);
/* A new connection: every session in progress fails (wiped; HUSH_P2P_EV_FAILED), descriptions
 * and pins stay, a bank serves again once authenticated. Call before the new CHALLENGE. */
void hush_p2p_reset(hush_p2p *p);
/* Applicant: accept only these banks (a bank not pinned, or pinned with another key, is
 * refused with HUSH_P2P_E_IDENTITY); and only this dealer key. */
HUSH_NODISCARD int hush_p2p_pin(hush_p2p *p, const char *bank, const uint8_t pk[HUSH_NET_PUBLIC_KEY_BYTES]);
HUSH_NODISCARD int hush_p2p_pin_dealer(hush_p2p *p, const uint8_t pk[HUSH_NET_PUBLIC_KEY_BYTES]);
/* Bank: serve this model (a hush model file; dense, relu, sigmoid and tanh layers) with the
 * ARFF header its raw inputs follow (schema may be NULL). Only the public part (architecture and
 * input standardisation) is published, signed with the identity key. Sent once authenticated,
 * and again after every reset. */
HUSH_NODISCARD int hush_p2p_serve(hush_p2p *p, const uint8_t *model_file, size_t model_len, const char *schema,
                                  size_t schema_len);
/* Applicant: ask for a bank's description (HUSH_P2P_EV_MODEL when it arrives). */
HUSH_NODISCARD int hush_p2p_describe(hush_p2p *p, const char *bank);
/* Applicant: the described bank's public model file and schema (NULL pointers: sizes only). */
HUSH_NODISCARD int hush_p2p_description(const hush_p2p *p, const char *bank, uint8_t *model_file, size_t model_cap,
                                        size_t *model_written, char *schema, size_t schema_cap, size_t *schema_written);
/* Applicant: one session with a described bank for `rows` applicants' raw features (x is
 * rows x the model's input size; copied, wiped when the session ends). link: RELAY, or DIRECT
 * when the transport will open a direct link (it falls back with hush_p2p_link). *slot names
 * the session in events, links and hush_p2p_result. HUSH_ESTATE before the bank is described. */
HUSH_NODISCARD int hush_p2p_apply(hush_p2p *p, uint32_t *slot, const char *bank, const float *x, size_t x_len,
                                  uint32_t rows, uint32_t link);

/* One frame from the server. HUSH_E* for a frame this side refused (a session it concerned
 * fails; the connection itself goes on). */
HUSH_NODISCARD int hush_p2p_receive(hush_p2p *p, const uint8_t *msg, size_t len);
/* The next frame for the server (*written = 0 if none). HUSH_ERANGE with *written = the size
 * needed. */
HUSH_NODISCARD int hush_p2p_next_message(hush_p2p *p, uint8_t *out, size_t cap, size_t *written);
/* Largest frame next_message may produce now. */
size_t hush_p2p_max_message(const hush_p2p *p);

/* The session's link: DIRECT once the transport's direct link is open, RELAY to fall back.
 * Only the applicant falls back; a bank follows (a RELAY frame for a session without a link
 * switches it to the relay). HUSH_ESTATE once a link is in use. */
HUSH_NODISCARD int hush_p2p_link(hush_p2p *p, uint32_t slot, uint32_t link);
/* One message from a session's direct link. */
HUSH_NODISCARD int hush_p2p_link_receive(hush_p2p *p, uint32_t slot, const uint8_t *msg, size_t len);
/* The next message for a direct link, and its session (*written = 0 if none). */
HUSH_NODISCARD int hush_p2p_link_next_message(hush_p2p *p, uint32_t *slot, uint8_t *out, size_t cap,
                                              size_t *written);
/* A signalling payload (SDP, candidate) for the session's peer: signed and sent. */
HUSH_NODISCARD int hush_p2p_signal(hush_p2p *p, uint32_t slot, uint32_t kind, const uint8_t *payload, size_t len);

/* Pops the oldest event (HUSH_P2P_EV_NONE when there is none). Its data (ev->data_len bytes)
 * stays readable with hush_p2p_event_data until the next pop. */
void hush_p2p_event_next(hush_p2p *p, hush_p2p_event *ev);
HUSH_NODISCARD int hush_p2p_event_data(const hush_p2p *p, uint8_t *out, size_t cap, size_t *written);
/* Applicant, after HUSH_P2P_EV_DONE: the decisions (rows of them); releases the slot (and wipes
 * them). */
HUSH_NODISCARD int hush_p2p_result(hush_p2p *p, uint32_t slot, uint32_t *decisions, size_t rows);
/* Sessions in progress. */
size_t hush_p2p_sessions(const hush_p2p *p);

#ifdef __cplusplus
}
#endif
#endif
