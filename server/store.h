/* hush-server's durable state: one SQLite database in WAL mode.
 *
 * Tables: identities (name -> Ed25519 key, revocation), tokens (hash of each one-time enrolment
 * token, its name, expiry, use), tasks (definition and progress), rounds (one row per attempt:
 * session, participants, survivors, result, state), sessions (every session id ever issued, so
 * none is reused) and audit (who did what, refusals included). Every change that must survive a
 * crash is one transaction: a committed round (its row, its result, the task's progress) is
 * written all at once or not at all, so `kill -9` at any moment leaves either the round committed
 * or still "running", and the next server to start marks running rounds abandoned, to be rerun
 * with a fresh session. One server serves a database at a time (main.c holds a lock); the admin
 * commands read and write beside it through SQLite's own locking.
 *
 * Nothing here is secret except the enrolment tokens, which are stored hashed (BLAKE2b-256): a
 * copy of the database does not let anyone enrol.
 */
#ifndef HUSH_SERVER_STORE_H
#define HUSH_SERVER_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "hush/net.h"

typedef struct srv_store srv_store;

#define SRV_TASK_NAME_MAX HUSH_NET_NAME_MAX

typedef struct srv_task {
    char name[SRV_TASK_NAME_MAX + 1];
    char kind[16];            /* "sum" or "fedavg" */
    uint32_t dim, clients, threshold, bits, neighbours, max_corrupt;
    uint32_t rounds;          /* committed rounds wanted; 0 = no limit */
    double deadline;          /* seconds per stage */
    double interval;          /* least seconds from the end of one attempt to the start of the next */
    /* progress */
    uint32_t round;           /* the round being run or next to run (from 1) */
    uint32_t committed;       /* committed rounds so far */
    uint32_t last_result;     /* last committed round number, 0 if none */
    char state[16];           /* "open", "done" */
    /* fedavg: the task's terms (hush_federated_task_encode) and the model's description */
    uint8_t fl[HUSH_FEDERATED_TASK_BYTES];
    char spec[256];
    uint32_t input_size, classes;
} srv_task;

/* Opens (creating if needed) the database. */
int srv_store_open(srv_store **out, const char *path);
/* The serving process, at start: marks rounds left running by a previous one as abandoned. */
int srv_store_recover(srv_store *s, double now);
void srv_store_close(srv_store *s);
const char *srv_store_errmsg(const srv_store *s);

/* Enrolment: a fresh token for name, valid for `expires` seconds. token gets HUSH_NET_TOKEN_BYTES. */
int srv_store_enroll(srv_store *s, const char *name, double now, double expires, uint8_t *token);
/* Binds name to pk with the token if name is unknown (token valid, unused, unexpired, issued for
 * name: consumed in the same transaction). Known name: pk must match, token ignored.
 * Returns 0, or a HUSH_NET_E_* code (AUTH, TOKEN, REVOKED); *enrolled = 1 if bound now. */
int srv_store_authenticate(srv_store *s, const char *name, const uint8_t pk[32], const uint8_t *token, double now,
                           int *enrolled);
int srv_store_revoke(srv_store *s, const char *name, double now); /* HUSH_EARG if unknown */

/* HUSH_EARG if it exists. fedavg: model (the initial global model file) becomes version 0, in
 * the same transaction. */
int srv_store_task_create(srv_store *s, const srv_task *t, const uint8_t *model, size_t model_len, double now);
/* A task's global model: version `version`, or the latest when version < 0 (*got = the version).
 * *model and *state are malloc'ed (the caller frees); HUSH_EARG if there is none. */
int srv_store_model_get(srv_store *s, const char *task, int64_t version, uint8_t **model, size_t *model_len,
                        uint8_t **state, size_t *state_len, uint32_t *got);
int srv_store_task_get(srv_store *s, const char *name, srv_task *t);    /* HUSH_EARG if unknown */
/* Every task, in creation order: calls fn for each. */
int srv_store_task_each(srv_store *s, int (*fn)(void *ud, const srv_task *t), void *ud);

/* A new attempt at round `round` of task: records the session (HUSH_ESTATE if it was ever used)
 * and the participants (newline-separated names). */
int srv_store_round_begin(srv_store *s, const char *task, uint32_t round, const uint8_t session[16],
                          const char *participants, double now);
/* What a committed round adds besides its sum: the next global model (version = the round) and
 * the server optimiser's state, and the round's metrics as a JSON object; declined: the
 * participants that sat the round out (newline-separated, may be NULL). */
typedef struct srv_round_extra {
    const uint8_t *model, *state;
    size_t model_len, state_len;
    const char *metrics, *declined;
} srv_round_extra;
/* Commits the attempt: survivors (newline-separated names), the sum (dim words), the extra
 * (may be NULL) and the task's progress, in one transaction. */
int srv_store_round_commit(srv_store *s, const char *task, uint32_t round, const uint8_t session[16],
                           const char *survivors, const uint32_t *sum, uint32_t dim, const srv_round_extra *extra,
                           double now);
/* Records the attempt as aborted (the round number is used; the next round is round + 1), with
 * the participants that declined it (newline-separated, may be NULL). */
int srv_store_round_abort(srv_store *s, const char *task, uint32_t round, const uint8_t session[16],
                          const char *why, const char *declined, double now);
/* The hush.v1 bytes (frames, without WebSocket framing) the attempt with this session received
 * from and sent to its participants, from its ROUND to its RESULT and the model it made.
 * HUSH_EARG if there is no such attempt. */
int srv_store_round_traffic(srv_store *s, const uint8_t session[16], uint64_t bytes_in, uint64_t bytes_out);
/* The committed sum of a round: HUSH_EARG if there is none. sum gets dim words (cap words). */
int srv_store_result(srv_store *s, const char *task, uint32_t round, uint32_t *sum, uint32_t cap, uint32_t *dim);

/* Appends to the audit log (buffered until srv_store_flush; srv_store_close flushes). Never
 * fails loudly: a lost entry is reported on stderr. */
void srv_store_audit(srv_store *s, double now, const char *who, const char *event, const char *detail);
int srv_store_flush(srv_store *s);

/* Every attempt at a task's rounds, oldest first, as a JSON array of {"round","state","session"
 * (hex),"participants","survivors","detail","declined","metrics","seconds","bytes_in","bytes_out"
 * (null until the attempt ends)}; and PRAGMA integrity_check ("ok" when sound). */
int srv_store_rounds_json(srv_store *s, const char *task, char **json, size_t *len);
int srv_store_integrity(srv_store *s, char *out, size_t cap);
/* Audit entries with id > since, oldest first, one JSON object per line
 * {"id","at","who","event","detail"}; fn gets each line. */
int srv_store_audit_each(srv_store *s, int64_t since, void (*fn)(void *ud, const char *line), void *ud);

/* The status document (also GET /api/status): {"version","connections","tasks":[...]}. */
int srv_store_status_json(srv_store *s, uint32_t connections, char **json, size_t *len);

/* ---- p2p sessions (server/p2p.c) ----
 * Buffered like the audit log and written by srv_store_flush (one transaction per tick): the
 * session's id joins `sessions`, its record `p2p_sessions`. */
typedef struct srv_p2p_record {
    uint8_t session[16];
    char applicant[HUSH_NET_NAME_MAX + 1], bank[HUSH_NET_NAME_MAX + 1];
    uint32_t rows;
    const char *link, *state; /* static strings: "relay"/"direct"/"none", "running"/"done"/"failed" */
    char detail[160];
    double started, ended;
    uint64_t relay_bytes, signal_bytes, dealer_bytes;
} srv_p2p_record;
/* 1 if the id was ever issued (a p2p session or a secure-aggregation round) or cannot be checked. */
int srv_store_p2p_used(srv_store *s, const uint8_t session[16]);
void srv_store_p2p_record(srv_store *s, const srv_p2p_record *r);
/* Sessions a bank has served to the end, and those that failed, from the table. */
int srv_store_p2p_count(srv_store *s, const char *bank, uint64_t *done, uint64_t *failed);

#endif
