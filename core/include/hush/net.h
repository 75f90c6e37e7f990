/* hush.v1: the network protocol between participants and hush-server.
 *
 * Start here: a participant holds an Ed25519 identity key (hush_net_identity_*), connects to
 * ws(s)://HOST:PORT/ws (WebSocket subprotocol "hush.v1"), and hands every binary frame to a
 * hush_net_client; whatever hush_net_client_next_message produces goes back as one binary frame.
 * The state machine owns the protocol, the transport (browser WebSocket, Node, libwebsockets)
 * only moves frames, and it reports what happened through hush_net_client_event.
 *
 * Protocol (frame formats in core/src/io/netwire.h):
 *   server -> CHALLENGE (a fresh 32-byte nonce per connection)
 *   client -> AUTH: name, identity public key, optional one-time enrolment token, and an Ed25519
 *             signature over "hush.v1.auth" | nonce | name | key | token, so a captured AUTH is
 *             useless on another connection. A known name with the same key authenticates; an
 *             unknown name needs a valid, unexpired, unused token issued for that name and is
 *             enrolled (name bound to key) by this connection.
 *   server -> WELCOME, or ERROR and a close. Before WELCOME the server sends nothing else.
 *   client -> JOIN task: take part in the task's rounds from now on.
 *   per round: [server -> MODEL (federated tasks: the task's terms and the global model file)]
 *             server -> ROUND (task, round number, a fresh random session, the secure-aggregation
 *             configuration, the participant's id in this round, and the round's PKI: name and
 *             identity key of every participant, or under SecAgg+ of exactly the participant's
 *             neighbourhood, whose keys are all it verifies); then SECAGG messages both ways, the
 *             authenticated secure aggregation of hush/secagg.h with those keys; server -> RESULT
 *             (committed with the sum, or aborted; a federated task sends the new MODEL first and no
 *             sum). A participant may answer ROUND with DECLINE
 *             instead (a federated participant whose privacy budget the round would exceed).
 *
 * Threat model. The operator is trusted for enrolment only: it decides which name is bound to
 * which key (a deployment that does not trust it pins the expected identities,
 * hush_net_client_pin, and refuses rounds whose PKI contains anything else). It is NOT trusted
 * with round contents: everything a participant contributes goes through secure aggregation with
 * signed keys, so the server (even an active one, within the corruption bound of the round's
 * configuration) learns the sum and the survivor set, never an individual input. Authentication
 * keeps strangers out and lets the server enforce limits; TLS (wss://) hides the sum and the
 * metadata from the network and authenticates the server to the client. Without TLS an active
 * network attacker can relay a whole connection (the nonce is not bound to a TLS channel) and
 * sees what the server sees, but cannot read or alter masked inputs or shares, which secure
 * aggregation protects end to end. A participant learns the round's PKI (SecAgg+: its
 * neighbourhood's) and the result.
 * Federated tasks: the secure aggregation of a round runs under a session bound to the model and
 * terms each participant was sent (hush_federated_session), so a server that sends one
 * participant a different model to isolate its update in the sum only excludes it from the
 * round; the server learns the summed update, weight and metrics and each model version it made,
 * never one participant's. A participant learns every global model version it takes part in.
 */
#ifndef HUSH_NET_H
#define HUSH_NET_H

#include "common.h"
#include "federated.h"

#ifdef __cplusplus
extern "C" {
#endif

#define HUSH_NET_VERSION 1
#define HUSH_NET_SUBPROTOCOL "hush.v1"
#define HUSH_NET_NAME_MAX 64
#define HUSH_NET_NONCE_BYTES 32
#define HUSH_NET_TOKEN_BYTES 32
#define HUSH_NET_PUBLIC_KEY_BYTES 32 /* Ed25519 */
#define HUSH_NET_SECRET_KEY_BYTES 64 /* Ed25519, libsodium layout (seed | public key) */
#define HUSH_NET_SIGNATURE_BYTES 64
#define HUSH_NET_SESSION_BYTES 16
#define HUSH_NET_IDENTITY_FILE_BYTES 60
#define HUSH_NET_ERROR_TEXT_MAX 200

enum hush_net_msg_type {
    HUSH_NET_CHALLENGE = 1,
    HUSH_NET_AUTH = 2,
    HUSH_NET_WELCOME = 3,
    HUSH_NET_ERROR = 4,
    HUSH_NET_JOIN = 5,
    HUSH_NET_ROUND = 6,
    HUSH_NET_SECAGG = 7,
    HUSH_NET_RESULT = 8,
    HUSH_NET_MODEL = 9,  /* S->C before a federated round's ROUND: the task and the global model */
    HUSH_NET_DECLINE = 10 /* C->S: this participant sits the round out (e.g. its budget) */
};

/* What a task sums: plain vectors, or federated model updates (hush/federated.h). */
enum hush_net_task_kind { HUSH_NET_TASK_SUM = 1, HUSH_NET_TASK_FEDAVG = 2 };
/* Why a participant declines a round. */
enum hush_net_decline_reason { HUSH_NET_DECLINE_BUDGET = 1, HUSH_NET_DECLINE_ERROR = 2 };

/* Refusals: the code of an ERROR message and of the WebSocket close that follows it. */
enum hush_net_error_code {
    HUSH_NET_E_MALFORMED = 4000,   /* a frame the decoder refused */
    HUSH_NET_E_STATE = 4001,       /* a valid message at the wrong time */
    HUSH_NET_E_AUTH = 4002,        /* bad signature, unknown name, name bound to another key */
    HUSH_NET_E_TOKEN = 4003,       /* enrolment token wrong, expired or already used */
    HUSH_NET_E_REVOKED = 4004,
    HUSH_NET_E_TASK = 4005,        /* unknown or finished task */
    HUSH_NET_E_TOO_BIG = 4006,     /* over the message size limit */
    HUSH_NET_E_RATE = 4007,        /* over the message rate limit */
    HUSH_NET_E_TIMEOUT = 4008,     /* handshake or idle timeout */
    HUSH_NET_E_FULL = 4009,        /* connection limits reached */
    HUSH_NET_E_SLOW = 4010,        /* does not read what it is sent */
    HUSH_NET_E_ROUND = 4011,       /* a secure-aggregation message the round refused */
    HUSH_NET_E_REPLACED = 4012,    /* the same identity connected again */
    HUSH_NET_E_SHUTDOWN = 4013
};

enum hush_net_round_status { HUSH_NET_ROUND_COMMITTED = 1, HUSH_NET_ROUND_ABORTED = 2 };

/* ---- identities ---- */
/* A new Ed25519 identity from the OS CSPRNG. */
HUSH_NODISCARD int hush_net_identity_generate(uint8_t sk[HUSH_NET_SECRET_KEY_BYTES]);
HUSH_NODISCARD int hush_net_identity_public(uint8_t pk[HUSH_NET_PUBLIC_KEY_BYTES],
                                            const uint8_t sk[HUSH_NET_SECRET_KEY_BYTES]);
/* Identity file: "hush-id\0" | u32 version (1) | seed[32] | BLAKE2b-128 of the preceding bytes
 * (HUSH_NET_IDENTITY_FILE_BYTES). The file holds the secret: keep it mode 0600. */
HUSH_NODISCARD int hush_net_identity_save(uint8_t *out, size_t cap, size_t *written,
                                          const uint8_t sk[HUSH_NET_SECRET_KEY_BYTES]);
/* HUSH_ETRUNC / HUSH_EFORMAT / HUSH_EVERSION / HUSH_ECHECKSUM for a damaged file. */
HUSH_NODISCARD int hush_net_identity_load(uint8_t sk[HUSH_NET_SECRET_KEY_BYTES], const uint8_t *buf, size_t len);

/* ---- participant state machine ---- */
typedef struct hush_net_client hush_net_client;

enum hush_net_event_kind {
    HUSH_NET_EV_NONE = 0,
    HUSH_NET_EV_WELCOME = 1, /* authenticated (enrolled = 1 if this connection enrolled) */
    HUSH_NET_EV_ROUND = 2,   /* a round started: give it an input of `dim` values < 2^bits */
    HUSH_NET_EV_RESULT = 3,  /* a round ended: status, and the sum (hush_net_client_result) */
    HUSH_NET_EV_ERROR = 4,   /* the server refused something (code, text); it closes next */
    HUSH_NET_EV_MODEL = 5    /* a federated task's global model arrived (round: the round it
                                starts; hush_net_client_model), before that round and after
                                each committed round */
};

typedef struct hush_net_event {
    uint32_t kind;   /* enum hush_net_event_kind */
    uint32_t round;  /* ROUND, RESULT */
    uint32_t status; /* RESULT: enum hush_net_round_status */
    uint32_t flags;  /* WELCOME: 1 enrolled; RESULT: 1 task finished */
    uint32_t dim, bits, n, id; /* ROUND (dim also RESULT) */
    int32_t code;    /* ERROR: enum hush_net_error_code from the server, or the HUSH_E* status
                      * (negative) with which this client refused a server message */
    uint32_t task_kind; /* ROUND: enum hush_net_task_kind (FEDAVG: hush_net_client_model) */
    uint8_t session[HUSH_NET_SESSION_BYTES]; /* ROUND: the round's fresh session (an odometer id) */
    char text[HUSH_NET_ERROR_TEXT_MAX + 1]; /* ERROR text; ROUND/RESULT: the task name */
} hush_net_event;

/* sk: the identity; name: as enrolled; token: HUSH_NET_TOKEN_BYTES or NULL once enrolled. */
HUSH_NODISCARD int hush_net_client_create(hush_net_client **out, const uint8_t sk[HUSH_NET_SECRET_KEY_BYTES],
                                          const char *name, const uint8_t *token, const hush_allocator *alloc);
void hush_net_client_free(hush_net_client *c);
/* Take part in this task's rounds (sent once authenticated, and again after each reset). */
HUSH_NODISCARD int hush_net_client_join(hush_net_client *c, const char *task);
/* Expected identities: once any is pinned, a ROUND whose PKI holds a name not pinned, or a
 * pinned name with another key, is refused. */
HUSH_NODISCARD int hush_net_client_pin(hush_net_client *c, const char *name,
                                       const uint8_t pk[HUSH_NET_PUBLIC_KEY_BYTES]);
/* Pins from a text file: one "NAME HEX-PUBLIC-KEY" per line (64 hex digits; blank lines and
 * lines starting with # ignored). HUSH_EFORMAT with *bad_line (1-based) on a bad line; the pins
 * before it stay. */
HUSH_NODISCARD int hush_net_client_pin_text(hush_net_client *c, const char *text, size_t len, size_t *bad_line);
/* A new connection: forget the connection and any round in progress (wiped); keep the identity,
 * the task and the pins. Call before the new connection's CHALLENGE arrives. */
void hush_net_client_reset(hush_net_client *c);
/* One frame from the server. HUSH_E* for a malformed or unexpected frame; the state is then
 * unchanged except that a round in progress is abandoned (the server will count this
 * participant as dropped). */
HUSH_NODISCARD int hush_net_client_receive(hush_net_client *c, const uint8_t *msg, size_t len);
/* The next frame to send, *written = 0 if none. HUSH_ERANGE with *written = the size needed. */
HUSH_NODISCARD int hush_net_client_next_message(hush_net_client *c, uint8_t *out, size_t cap, size_t *written);
/* Largest frame next_message may produce now (grows when a round starts). */
size_t hush_net_client_max_message(const hush_net_client *c);
/* Pops the oldest event (kind HUSH_NET_EV_NONE when there is none). */
void hush_net_client_event(hush_net_client *c, hush_net_event *ev);
/* After HUSH_NET_EV_ROUND: this round's input (dim values < 2^bits); copied, wiped later. */
HUSH_NODISCARD int hush_net_client_set_input(hush_net_client *c, const uint32_t *x, size_t dim);
/* The latest global model file of a federated task (into out; HUSH_ERANGE with *written the size
 * if cap is short) and its terms (task may be NULL): during a FEDAVG round, the one it starts
 * from; after the last committed round, the final one. HUSH_ESTATE before any MODEL. */
HUSH_NODISCARD int hush_net_client_model(const hush_net_client *c, uint8_t *out, size_t cap, size_t *written,
                                         hush_federated_task *task);
/* Sits the round out (after HUSH_NET_EV_ROUND, instead of set_input): the server is told, the
 * round's keys are wiped. A declined participant is not a drop-out. */
HUSH_NODISCARD int hush_net_client_decline(hush_net_client *c, uint32_t reason);
/* After a FEDAVG HUSH_NET_EV_ROUND: the participant's own rows split into training and
 * validation rows (the task's validation_fraction). The shuffle is keyed by the identity's secret
 * key and the task name, so the split is the same in every round, across restarts and
 * reconnects (a record never moves between the two), and nobody else can know it. */
HUSH_NODISCARD int hush_net_client_fl_split(const hush_net_client *c, hush_dataset **train, hush_dataset **validation,
                                            const hush_dataset *d, const hush_allocator *alloc);
/* A federated participant's two steps after a FEDAVG HUSH_NET_EV_ROUND (nothing of the round is
 * sent in between, so the caller can persist its ledger first):
 *  1. hush_net_client_fl_charge charges the round's cost (hush_federated_cost for `train_rows`)
 *     to the odometer atomically, under an id made of the task, round and session (so the same
 *     round is never charged twice, across reloads too). Over budget: the round is declined
 *     (HUSH_NET_DECLINE_BUDGET) and *declined = 1. od NULL: no budget is kept.
 *  2. hush_net_client_fl_contribute trains on the participant's rows from the round's global
 *     model and sets the secure-aggregation input (hush_federated_contribute). */
HUSH_NODISCARD int hush_net_client_fl_charge(hush_net_client *c, hush_odometer *od, int *declined, size_t train_rows);
HUSH_NODISCARD int hush_net_client_fl_contribute(hush_net_client *c, hush_rng *rng, hush_federated_report *report,
                                                 const hush_dataset *train, const hush_dataset *validation,
                                                 const hush_allocator *alloc);
/* After a committed HUSH_NET_EV_RESULT: the sum (dim values). HUSH_ESTATE otherwise. */
HUSH_NODISCARD int hush_net_client_result(const hush_net_client *c, uint32_t *sum, size_t dim);
/* Largest frame this protocol accepts by default (servers and clients may set lower). */
#define HUSH_NET_DEFAULT_MAX_MESSAGE (16u << 20)

#ifdef __cplusplus
}
#endif
#endif
