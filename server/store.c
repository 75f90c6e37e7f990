#define _POSIX_C_SOURCE 200809L /* strdup */
/* SQLite persistence for hush-server (see store.h). Every statement is prepared with bound
 * parameters; nothing from the network is ever pasted into SQL. */
#include "store.h"

#include "federated.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <sqlite3.h>

#ifdef HUSH_SERVER_TEST
#include <signal.h>
/* Test builds only (build/native/hush-server-test): HUSH_SERVER_FAULT=commit kills the process
 * inside a round's commit transaction, after its writes and before COMMIT, as a power cut or
 * `kill -9` would; =committed kills it right after COMMIT, before anyone is told. */
static void fault_point(const char *where) {
    const char *f = getenv("HUSH_SERVER_FAULT");
    if (f && !strcmp(f, where)) raise(SIGKILL);
}
#else
#define fault_point(where) ((void)0)
#endif

typedef struct audit_row {
    double at;
    char *who, *event, *detail;
} audit_row;

struct srv_store {
    sqlite3 *db;
    /* Audit entries wait here and are written in one transaction by srv_store_flush: one fsync
     * per entry would make a thousand connections cost seconds. A crash loses at most the
     * entries since the last flush, never committed state. */
    audit_row *audit;
    size_t n_audit, cap_audit;
    /* p2p sessions (see the section at the end), written by srv_store_flush like the audit */
    srv_p2p_record *p2p;
    size_t n_p2p, cap_p2p;
    int p2p_schema;
};

static int p2p_flush(srv_store *s);

static const char schema[] =
    "PRAGMA journal_mode=WAL;"
    "PRAGMA synchronous=FULL;"
    "PRAGMA foreign_keys=ON;"
    "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "INSERT OR IGNORE INTO meta VALUES('schema','1');"
    "CREATE TABLE IF NOT EXISTS identities(name TEXT PRIMARY KEY, pk BLOB NOT NULL UNIQUE,"
    " enrolled_at REAL NOT NULL, revoked_at REAL);"
    "CREATE TABLE IF NOT EXISTS tokens(hash BLOB PRIMARY KEY, name TEXT NOT NULL, created_at REAL NOT NULL,"
    " expires_at REAL NOT NULL, used_at REAL);"
    "CREATE TABLE IF NOT EXISTS tasks(seq INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL UNIQUE,"
    " kind TEXT NOT NULL, dim INTEGER NOT NULL, clients INTEGER NOT NULL, threshold INTEGER NOT NULL,"
    " bits INTEGER NOT NULL, neighbours INTEGER NOT NULL, max_corrupt INTEGER NOT NULL,"
    " rounds INTEGER NOT NULL, deadline REAL NOT NULL, created_at REAL NOT NULL,"
    " round INTEGER NOT NULL DEFAULT 1, committed INTEGER NOT NULL DEFAULT 0,"
    " last_result INTEGER NOT NULL DEFAULT 0, state TEXT NOT NULL DEFAULT 'open',"
    " fl BLOB, spec TEXT, input_size INTEGER NOT NULL DEFAULT 0, classes INTEGER NOT NULL DEFAULT 0,"
    " round_interval REAL NOT NULL DEFAULT 0);"
    /* Every global model version of a federated task: 0 is the initial model, r the result of
     * round r, written in the round's commit transaction. */
    "CREATE TABLE IF NOT EXISTS models(task TEXT NOT NULL, version INTEGER NOT NULL, model BLOB NOT NULL,"
    " state BLOB, metrics TEXT, created_at REAL NOT NULL, PRIMARY KEY(task, version));"
    "CREATE TABLE IF NOT EXISTS rounds(id INTEGER PRIMARY KEY AUTOINCREMENT, task TEXT NOT NULL,"
    " round INTEGER NOT NULL, session BLOB NOT NULL UNIQUE, state TEXT NOT NULL,"
    " started_at REAL NOT NULL, ended_at REAL, participants TEXT NOT NULL, survivors TEXT,"
    " dim INTEGER, result BLOB, detail TEXT, declined TEXT, metrics TEXT, bytes_in INTEGER, bytes_out INTEGER);"
    "CREATE INDEX IF NOT EXISTS rounds_task ON rounds(task, round);"
    "CREATE TABLE IF NOT EXISTS sessions(session BLOB PRIMARY KEY);"
    "CREATE TABLE IF NOT EXISTS audit(id INTEGER PRIMARY KEY AUTOINCREMENT, at REAL NOT NULL,"
    " who TEXT NOT NULL, event TEXT NOT NULL, detail TEXT NOT NULL);";

/* Columns added after the first release: a database made before them gets them on open (the
 * default fills existing rows). One transaction, so the CLI and a running server may both open
 * an old database at once. */
static const char *const added_columns[][3] = {
    {"tasks", "round_interval", "REAL NOT NULL DEFAULT 0"},
    {"rounds", "bytes_in", "INTEGER"},
    {"rounds", "bytes_out", "INTEGER"},
};

const char *srv_store_errmsg(const srv_store *s) { return s && s->db ? sqlite3_errmsg(s->db) : "no database"; }

static int exec(srv_store *s, const char *sql) {
    char *err = NULL;
    if (sqlite3_exec(s->db, sql, NULL, NULL, &err) != SQLITE_OK) {
        fprintf(stderr, "hush-server: sqlite: %s\n", err ? err : "?");
        sqlite3_free(err);
        return HUSH_EIO;
    }
    return HUSH_OK;
}

static sqlite3_stmt *prep(srv_store *s, const char *sql) {
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "hush-server: sqlite prepare: %s\n", sqlite3_errmsg(s->db));
        return NULL;
    }
    return st;
}

/* Runs a prepared statement to completion; HUSH_OK on SQLITE_DONE. */
static int step_done(sqlite3_stmt *st) {
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? HUSH_OK : HUSH_EIO;
}

static int add_columns(srv_store *s) {
    if (exec(s, "BEGIN IMMEDIATE")) return HUSH_EIO;
    int rc = HUSH_OK;
    for (size_t i = 0; rc == HUSH_OK && i < sizeof added_columns / sizeof added_columns[0]; i++) {
        sqlite3_stmt *st = prep(s, "SELECT 1 FROM pragma_table_info(?1) WHERE name=?2");
        if (!st) {
            rc = HUSH_EIO;
            break;
        }
        sqlite3_bind_text(st, 1, added_columns[i][0], -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, added_columns[i][1], -1, SQLITE_STATIC);
        int r = sqlite3_step(st);
        sqlite3_finalize(st);
        if (r == SQLITE_ROW) continue;
        if (r != SQLITE_DONE) {
            rc = HUSH_EIO;
            break;
        }
        char sql[160]; /* constant names only, never anything from outside */
        snprintf(sql, sizeof sql, "ALTER TABLE %s ADD COLUMN %s %s", added_columns[i][0], added_columns[i][1],
                 added_columns[i][2]);
        rc = exec(s, sql);
    }
    if (rc == HUSH_OK && exec(s, "COMMIT") == HUSH_OK) return HUSH_OK;
    (void)exec(s, "ROLLBACK");
    return HUSH_EIO;
}

int srv_store_open(srv_store **out, const char *path) {
    if (!out || !path) return HUSH_EARG;
    *out = NULL;
    srv_store *s = calloc(1, sizeof *s);
    if (!s) return HUSH_ENOMEM;
    if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) !=
        SQLITE_OK) {
        fprintf(stderr, "hush-server: cannot open %s: %s\n", path, s->db ? sqlite3_errmsg(s->db) : "?");
        srv_store_close(s);
        return HUSH_EIO;
    }
    sqlite3_busy_timeout(s->db, 5000); /* the CLI may read while the server writes */
    if (exec(s, schema) || add_columns(s)) {
        srv_store_close(s);
        return HUSH_EIO;
    }
    *out = s;
    return HUSH_OK;
}

int srv_store_recover(srv_store *s, double now) {
    if (!s) return HUSH_EARG;
    /* A round still "running" when the server starts was interrupted (crash, kill -9): abandon
     * it; its task reruns that round number with a new session. */
    sqlite3_stmt *st = prep(s, "UPDATE rounds SET state='abandoned', ended_at=?1, detail='server restarted'"
                               " WHERE state='running'");
    if (!st) return HUSH_EIO;
    sqlite3_bind_double(st, 1, now);
    return step_done(st);
}

void srv_store_close(srv_store *s) {
    if (!s) return;
    if (s->db) (void)srv_store_flush(s);
    for (size_t i = 0; i < s->n_audit; i++) {
        free(s->audit[i].who);
        free(s->audit[i].event);
        free(s->audit[i].detail);
    }
    free(s->audit);
    free(s->p2p);
    if (s->db) sqlite3_close(s->db);
    free(s);
}

static void token_hash(uint8_t h[32], const uint8_t *token) {
    crypto_generichash(h, 32, token, HUSH_NET_TOKEN_BYTES, (const uint8_t *)"hush.v1.token", 13);
}

int srv_store_enroll(srv_store *s, const char *name, double now, double expires, uint8_t *token) {
    if (!s || !name || !token || !(expires > 0)) return HUSH_EARG;
    randombytes_buf(token, HUSH_NET_TOKEN_BYTES);
    uint8_t h[32];
    token_hash(h, token);
    sqlite3_stmt *st = prep(s, "INSERT INTO tokens(hash, name, created_at, expires_at) VALUES(?1, ?2, ?3, ?4)");
    if (!st) return HUSH_EIO;
    sqlite3_bind_blob(st, 1, h, 32, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_double(st, 3, now);
    sqlite3_bind_double(st, 4, now + expires);
    return step_done(st);
}

/* Looks up name: 1 found (pk, revoked set), 0 unknown, <0 error. */
static int find_identity(srv_store *s, const char *name, uint8_t pk[32], int *revoked) {
    sqlite3_stmt *st = prep(s, "SELECT pk, revoked_at IS NOT NULL FROM identities WHERE name=?1");
    if (!st) return HUSH_EIO;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st), found = 0;
    if (rc == SQLITE_ROW && sqlite3_column_bytes(st, 0) == 32) {
        memcpy(pk, sqlite3_column_blob(st, 0), 32);
        *revoked = sqlite3_column_int(st, 1);
        found = 1;
    } else if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
        found = HUSH_EIO;
    }
    sqlite3_finalize(st);
    return found;
}

int srv_store_authenticate(srv_store *s, const char *name, const uint8_t pk[32], const uint8_t *token, double now,
                           int *enrolled) {
    if (!s || !name || !pk || !enrolled) return HUSH_EARG;
    *enrolled = 0;
    uint8_t known[32];
    int revoked = 0;
    int f = find_identity(s, name, known, &revoked);
    if (f < 0) return HUSH_NET_E_AUTH;
    if (f == 1) {
        if (revoked) return HUSH_NET_E_REVOKED;
        return sodium_memcmp(known, pk, 32) == 0 ? 0 : HUSH_NET_E_AUTH;
    }
    if (!token) return HUSH_NET_E_AUTH;
    uint8_t h[32];
    token_hash(h, token);
    if (exec(s, "BEGIN IMMEDIATE")) return HUSH_NET_E_AUTH;
    int code = HUSH_NET_E_TOKEN;
    /* Spend the token: only an unused, unexpired token issued for this very name matches. */
    sqlite3_stmt *st = prep(s, "UPDATE tokens SET used_at=?1 WHERE hash=?2 AND name=?3 AND used_at IS NULL"
                               " AND expires_at > ?1");
    if (st) {
        sqlite3_bind_double(st, 1, now);
        sqlite3_bind_blob(st, 2, h, 32, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 3, name, -1, SQLITE_TRANSIENT);
        if (sqlite3_step(st) == SQLITE_DONE && sqlite3_changes(s->db) == 1) code = 0;
        sqlite3_finalize(st);
    }
    if (code == 0) {
        st = prep(s, "INSERT INTO identities(name, pk, enrolled_at) VALUES(?1, ?2, ?3)");
        if (!st) {
            code = HUSH_NET_E_AUTH;
        } else {
            sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
            sqlite3_bind_blob(st, 2, pk, 32, SQLITE_TRANSIENT);
            sqlite3_bind_double(st, 3, now);
            if (step_done(st)) code = HUSH_NET_E_AUTH; /* the key is enrolled under another name */
        }
    }
    if (code == 0 && exec(s, "COMMIT") == HUSH_OK) {
        *enrolled = 1;
        return 0;
    }
    (void)exec(s, "ROLLBACK");
    return code ? code : HUSH_NET_E_AUTH;
}

int srv_store_revoke(srv_store *s, const char *name, double now) {
    if (!s || !name) return HUSH_EARG;
    sqlite3_stmt *st = prep(s, "UPDATE identities SET revoked_at=?1 WHERE name=?2 AND revoked_at IS NULL");
    if (!st) return HUSH_EIO;
    sqlite3_bind_double(st, 1, now);
    sqlite3_bind_text(st, 2, name, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    int changed = sqlite3_changes(s->db);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) return HUSH_EIO;
    /* Unused tokens for the name die with it. */
    st = prep(s, "UPDATE tokens SET used_at=?1 WHERE name=?2 AND used_at IS NULL");
    if (st) {
        sqlite3_bind_double(st, 1, now);
        sqlite3_bind_text(st, 2, name, -1, SQLITE_TRANSIENT);
        (void)step_done(st);
    }
    return changed ? HUSH_OK : HUSH_EARG;
}

int srv_store_task_create(srv_store *s, const srv_task *t, const uint8_t *model, size_t model_len, double now) {
    int fed = t && !strcmp(t->kind, "fedavg");
    if (!s || !t || (fed && (!model || !model_len))) return HUSH_EARG;
    if (exec(s, "BEGIN IMMEDIATE")) return HUSH_EIO;
    sqlite3_stmt *st = prep(s, "INSERT INTO tasks(name, kind, dim, clients, threshold, bits, neighbours,"
                               " max_corrupt, rounds, deadline, created_at, fl, spec, input_size, classes,"
                               " round_interval) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16)");
    int rc = HUSH_EIO;
    if (st) {
        sqlite3_bind_text(st, 1, t->name, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 2, t->kind, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 3, t->dim);
        sqlite3_bind_int64(st, 4, t->clients);
        sqlite3_bind_int64(st, 5, t->threshold);
        sqlite3_bind_int64(st, 6, t->bits);
        sqlite3_bind_int64(st, 7, t->neighbours);
        sqlite3_bind_int64(st, 8, t->max_corrupt);
        sqlite3_bind_int64(st, 9, t->rounds);
        sqlite3_bind_double(st, 10, t->deadline);
        sqlite3_bind_double(st, 11, now);
        if (fed) {
            sqlite3_bind_blob(st, 12, t->fl, HUSH_FEDERATED_TASK_BYTES, SQLITE_TRANSIENT);
            sqlite3_bind_text(st, 13, t->spec, -1, SQLITE_TRANSIENT);
        }
        sqlite3_bind_int64(st, 14, t->input_size);
        sqlite3_bind_int64(st, 15, t->classes);
        sqlite3_bind_double(st, 16, t->interval);
        int r = sqlite3_step(st);
        sqlite3_finalize(st);
        rc = r == SQLITE_DONE ? HUSH_OK : r == SQLITE_CONSTRAINT ? HUSH_EARG : HUSH_EIO;
    }
    if (rc == HUSH_OK && fed) {
        st = prep(s, "INSERT INTO models(task, version, model, created_at) VALUES(?1, 0, ?2, ?3)");
        if (!st) {
            rc = HUSH_EIO;
        } else {
            sqlite3_bind_text(st, 1, t->name, -1, SQLITE_TRANSIENT);
            sqlite3_bind_blob(st, 2, model, (int)model_len, SQLITE_TRANSIENT);
            sqlite3_bind_double(st, 3, now);
            rc = step_done(st);
        }
    }
    if (rc == HUSH_OK && exec(s, "COMMIT") == HUSH_OK) return HUSH_OK;
    (void)exec(s, "ROLLBACK");
    return rc ? rc : HUSH_EIO;
}

static uint8_t *dup_blob(sqlite3_stmt *st, int col, size_t *len) {
    int n = sqlite3_column_bytes(st, col);
    const void *p = sqlite3_column_blob(st, col);
    *len = 0;
    if (!p || n <= 0) return NULL;
    uint8_t *b = malloc((size_t)n);
    if (b) {
        memcpy(b, p, (size_t)n);
        *len = (size_t)n;
    }
    return b;
}

int srv_store_model_get(srv_store *s, const char *task, int64_t version, uint8_t **model, size_t *model_len,
                        uint8_t **state, size_t *state_len, uint32_t *got) {
    if (!s || !task || !model || !model_len) return HUSH_EARG;
    *model = NULL;
    *model_len = 0;
    if (state) *state = NULL;
    if (state_len) *state_len = 0;
    sqlite3_stmt *st = prep(s, version < 0 ? "SELECT version, model, state FROM models WHERE task=?1"
                                             " ORDER BY version DESC LIMIT 1"
                                           : "SELECT version, model, state FROM models WHERE task=?1 AND version=?2");
    if (!st) return HUSH_EIO;
    sqlite3_bind_text(st, 1, task, -1, SQLITE_TRANSIENT);
    if (version >= 0) sqlite3_bind_int64(st, 2, version);
    int rc = sqlite3_step(st), out = HUSH_EARG;
    if (rc == SQLITE_ROW) {
        if (got) *got = (uint32_t)sqlite3_column_int64(st, 0);
        *model = dup_blob(st, 1, model_len);
        out = *model ? HUSH_OK : HUSH_ENOMEM;
        if (out == HUSH_OK && state && state_len && sqlite3_column_bytes(st, 2) > 0 &&
            !(*state = dup_blob(st, 2, state_len)))
            out = HUSH_ENOMEM;
        if (out != HUSH_OK) {
            free(*model);
            *model = NULL;
        }
    } else if (rc != SQLITE_DONE) {
        out = HUSH_EIO;
    }
    sqlite3_finalize(st);
    return out;
}

static const char task_cols[] = "name, kind, dim, clients, threshold, bits, neighbours, max_corrupt, rounds,"
                                " deadline, round, committed, last_result, state, fl, COALESCE(spec, ''),"
                                " input_size, classes, round_interval";

/* A fedavg task's terms as stored: the current encoding, or a version 1 one (96 bytes, from an
 * earlier hush-server) re-encoded so the rounds send the current one. Anything else stays zero and
 * fails the round's decode. */
static void fl_terms(uint8_t out[HUSH_FEDERATED_TASK_BYTES], const void *blob, size_t len) {
    hush_federated_task ft;
    size_t w;
    if (len == HUSH_FEDERATED_TASK_BYTES) memcpy(out, blob, len);
    else if (blob && hush_federated_task_decode(&ft, blob, len) == HUSH_OK &&
             hush_federated_task_encode(out, HUSH_FEDERATED_TASK_BYTES, &w, &ft) != HUSH_OK)
        memset(out, 0, HUSH_FEDERATED_TASK_BYTES);
}

static void read_task(sqlite3_stmt *st, srv_task *t) {
    memset(t, 0, sizeof *t);
    snprintf(t->name, sizeof t->name, "%s", (const char *)sqlite3_column_text(st, 0));
    snprintf(t->kind, sizeof t->kind, "%s", (const char *)sqlite3_column_text(st, 1));
    t->dim = (uint32_t)sqlite3_column_int64(st, 2);
    t->clients = (uint32_t)sqlite3_column_int64(st, 3);
    t->threshold = (uint32_t)sqlite3_column_int64(st, 4);
    t->bits = (uint32_t)sqlite3_column_int64(st, 5);
    t->neighbours = (uint32_t)sqlite3_column_int64(st, 6);
    t->max_corrupt = (uint32_t)sqlite3_column_int64(st, 7);
    t->rounds = (uint32_t)sqlite3_column_int64(st, 8);
    t->deadline = sqlite3_column_double(st, 9);
    t->round = (uint32_t)sqlite3_column_int64(st, 10);
    t->committed = (uint32_t)sqlite3_column_int64(st, 11);
    t->last_result = (uint32_t)sqlite3_column_int64(st, 12);
    snprintf(t->state, sizeof t->state, "%s", (const char *)sqlite3_column_text(st, 13));
    fl_terms(t->fl, sqlite3_column_blob(st, 14), (size_t)sqlite3_column_bytes(st, 14));
    snprintf(t->spec, sizeof t->spec, "%s", (const char *)sqlite3_column_text(st, 15));
    t->input_size = (uint32_t)sqlite3_column_int64(st, 16);
    t->classes = (uint32_t)sqlite3_column_int64(st, 17);
    t->interval = sqlite3_column_double(st, 18);
}

int srv_store_task_get(srv_store *s, const char *name, srv_task *t) {
    if (!s || !name || !t) return HUSH_EARG;
    char sql[384];
    snprintf(sql, sizeof sql, "SELECT %s FROM tasks WHERE name=?1", task_cols);
    sqlite3_stmt *st = prep(s, sql);
    if (!st) return HUSH_EIO;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) read_task(st, t);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? HUSH_OK : rc == SQLITE_DONE ? HUSH_EARG : HUSH_EIO;
}

int srv_store_task_each(srv_store *s, int (*fn)(void *ud, const srv_task *t), void *ud) {
    if (!s || !fn) return HUSH_EARG;
    char sql[384];
    snprintf(sql, sizeof sql, "SELECT %s FROM tasks ORDER BY seq", task_cols);
    sqlite3_stmt *st = prep(s, sql);
    if (!st) return HUSH_EIO;
    int rc, out = HUSH_OK;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        srv_task t;
        read_task(st, &t);
        if ((out = fn(ud, &t)) != HUSH_OK) break;
    }
    if (out == HUSH_OK && rc != SQLITE_DONE) out = HUSH_EIO;
    sqlite3_finalize(st);
    return out;
}

int srv_store_round_begin(srv_store *s, const char *task, uint32_t round, const uint8_t session[16],
                          const char *participants, double now) {
    if (!s || !task || !session || !participants) return HUSH_EARG;
    if (exec(s, "BEGIN IMMEDIATE")) return HUSH_EIO;
    int rc = HUSH_EIO;
    sqlite3_stmt *st = prep(s, "INSERT INTO sessions(session) VALUES(?1)");
    if (st) {
        sqlite3_bind_blob(st, 1, session, 16, SQLITE_TRANSIENT);
        int r = sqlite3_step(st);
        sqlite3_finalize(st);
        rc = r == SQLITE_DONE ? HUSH_OK : r == SQLITE_CONSTRAINT ? HUSH_ESTATE : HUSH_EIO;
    }
    if (rc == HUSH_OK) {
        st = prep(s, "INSERT INTO rounds(task, round, session, state, started_at, participants)"
                     " VALUES(?1, ?2, ?3, 'running', ?4, ?5)");
        if (!st) {
            rc = HUSH_EIO;
        } else {
            sqlite3_bind_text(st, 1, task, -1, SQLITE_TRANSIENT);
            sqlite3_bind_int64(st, 2, round);
            sqlite3_bind_blob(st, 3, session, 16, SQLITE_TRANSIENT);
            sqlite3_bind_double(st, 4, now);
            sqlite3_bind_text(st, 5, participants, -1, SQLITE_TRANSIENT);
            rc = step_done(st);
        }
    }
    if (rc == HUSH_OK && exec(s, "COMMIT") == HUSH_OK) return HUSH_OK;
    (void)exec(s, "ROLLBACK");
    return rc ? rc : HUSH_EIO;
}

static int end_round(srv_store *s, const char *task, uint32_t round, const uint8_t session[16], int committed,
                     const char *survivors, const uint32_t *sum, uint32_t dim, const srv_round_extra *x,
                     const char *why, double now) {
    if (exec(s, "BEGIN IMMEDIATE")) return HUSH_EIO;
    int rc = HUSH_EIO;
    sqlite3_stmt *st = prep(s, "UPDATE rounds SET state=?1, ended_at=?2, survivors=?3, dim=?4, result=?5, detail=?6,"
                               " declined=?10, metrics=?11"
                               " WHERE session=?7 AND task=?8 AND round=?9 AND state='running'");
    if (st) {
        sqlite3_bind_text(st, 1, committed ? "committed" : "aborted", -1, SQLITE_STATIC);
        sqlite3_bind_double(st, 2, now);
        if (survivors) sqlite3_bind_text(st, 3, survivors, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 4, dim);
        if (committed) {
            /* Little-endian words, so the stored bytes are the same on every host. */
            uint8_t *b = malloc((size_t)dim * 4 + 1);
            if (b) {
                for (uint32_t i = 0; i < dim; i++)
                    for (int k = 0; k < 4; k++) b[(size_t)i * 4 + (size_t)k] = (uint8_t)(sum[i] >> (8 * k));
                sqlite3_bind_blob(st, 5, b, (int)((size_t)dim * 4), free);
            }
        }
        if (why) sqlite3_bind_text(st, 6, why, -1, SQLITE_TRANSIENT);
        sqlite3_bind_blob(st, 7, session, 16, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 8, task, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 9, round);
        if (x && x->declined) sqlite3_bind_text(st, 10, x->declined, -1, SQLITE_TRANSIENT);
        if (x && x->metrics) sqlite3_bind_text(st, 11, x->metrics, -1, SQLITE_TRANSIENT);
        int r = sqlite3_step(st);
        int changed = sqlite3_changes(s->db);
        sqlite3_finalize(st);
        rc = r == SQLITE_DONE && changed == 1 ? HUSH_OK : HUSH_ESTATE;
    }
    if (rc == HUSH_OK) {
        /* The round number is used up either way; only a commit counts towards --rounds. */
        st = prep(s, committed ? "UPDATE tasks SET round=?2+1, committed=committed+1, last_result=?2,"
                                 " state=CASE WHEN rounds>0 AND committed+1>=rounds THEN 'done' ELSE state END"
                                 " WHERE name=?1"
                               : "UPDATE tasks SET round=?2+1 WHERE name=?1");
        if (!st) {
            rc = HUSH_EIO;
        } else {
            sqlite3_bind_text(st, 1, task, -1, SQLITE_TRANSIENT);
            sqlite3_bind_int64(st, 2, round);
            rc = step_done(st);
        }
    }
    if (rc == HUSH_OK && committed && x && x->model) {
        /* the next global model, in the same transaction as the round it comes from */
        st = prep(s, "INSERT INTO models(task, version, model, state, metrics, created_at) VALUES(?1,?2,?3,?4,?5,?6)");
        if (!st) {
            rc = HUSH_EIO;
        } else {
            sqlite3_bind_text(st, 1, task, -1, SQLITE_TRANSIENT);
            sqlite3_bind_int64(st, 2, round);
            sqlite3_bind_blob(st, 3, x->model, (int)x->model_len, SQLITE_TRANSIENT);
            if (x->state && x->state_len) sqlite3_bind_blob(st, 4, x->state, (int)x->state_len, SQLITE_TRANSIENT);
            if (x->metrics) sqlite3_bind_text(st, 5, x->metrics, -1, SQLITE_TRANSIENT);
            sqlite3_bind_double(st, 6, now);
            rc = step_done(st);
        }
    }
    if (rc == HUSH_OK && committed) fault_point("commit");
    if (rc == HUSH_OK && exec(s, "COMMIT") == HUSH_OK) {
        if (committed) fault_point("committed");
        return HUSH_OK;
    }
    (void)exec(s, "ROLLBACK");
    return rc ? rc : HUSH_EIO;
}

int srv_store_round_commit(srv_store *s, const char *task, uint32_t round, const uint8_t session[16],
                           const char *survivors, const uint32_t *sum, uint32_t dim, const srv_round_extra *extra,
                           double now) {
    if (!s || !task || !session || !survivors || (!sum && dim)) return HUSH_EARG;
    return end_round(s, task, round, session, 1, survivors, sum, dim, extra, NULL, now);
}

int srv_store_round_abort(srv_store *s, const char *task, uint32_t round, const uint8_t session[16],
                          const char *why, const char *declined, double now) {
    if (!s || !task || !session) return HUSH_EARG;
    srv_round_extra x;
    memset(&x, 0, sizeof x);
    x.declined = declined;
    return end_round(s, task, round, session, 0, NULL, NULL, 0, &x, why, now);
}

int srv_store_round_traffic(srv_store *s, const uint8_t session[16], uint64_t bytes_in, uint64_t bytes_out) {
    if (!s || !session || bytes_in > INT64_MAX || bytes_out > INT64_MAX) return HUSH_EARG;
    sqlite3_stmt *st = prep(s, "UPDATE rounds SET bytes_in=?2, bytes_out=?3 WHERE session=?1");
    if (!st) return HUSH_EIO;
    sqlite3_bind_blob(st, 1, session, 16, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)bytes_in);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)bytes_out);
    int r = sqlite3_step(st);
    int changed = sqlite3_changes(s->db);
    sqlite3_finalize(st);
    return r != SQLITE_DONE ? HUSH_EIO : changed == 1 ? HUSH_OK : HUSH_EARG;
}

int srv_store_result(srv_store *s, const char *task, uint32_t round, uint32_t *sum, uint32_t cap, uint32_t *dim) {
    if (!s || !task || !dim || (!sum && cap)) return HUSH_EARG;
    sqlite3_stmt *st = prep(s, "SELECT dim, result FROM rounds WHERE task=?1 AND round=?2 AND state='committed'");
    if (!st) return HUSH_EIO;
    sqlite3_bind_text(st, 1, task, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, round);
    int rc = sqlite3_step(st), out = HUSH_EARG;
    if (rc == SQLITE_ROW) {
        uint32_t d = (uint32_t)sqlite3_column_int64(st, 0);
        const uint8_t *b = sqlite3_column_blob(st, 1);
        *dim = d;
        if ((size_t)sqlite3_column_bytes(st, 1) != (size_t)d * 4) {
            out = HUSH_ECHECKSUM;
        } else if (d > cap) {
            out = HUSH_ERANGE;
        } else {
            for (uint32_t i = 0; i < d; i++)
                sum[i] = (uint32_t)b[4 * i] | (uint32_t)b[4 * i + 1] << 8 | (uint32_t)b[4 * i + 2] << 16 |
                         (uint32_t)b[4 * i + 3] << 24;
            out = HUSH_OK;
        }
    } else if (rc != SQLITE_DONE) {
        out = HUSH_EIO;
    }
    sqlite3_finalize(st);
    return out;
}

void srv_store_audit(srv_store *s, double now, const char *who, const char *event, const char *detail) {
    if (!s) return;
    if (s->n_audit == s->cap_audit) {
        size_t cap = s->cap_audit ? 2 * s->cap_audit : 256;
        audit_row *a = realloc(s->audit, cap * sizeof *a);
        if (!a) {
            fprintf(stderr, "hush-server: audit entry lost (out of memory): %s %s\n", event, detail);
            return;
        }
        s->audit = a;
        s->cap_audit = cap;
    }
    audit_row *r = &s->audit[s->n_audit];
    r->at = now;
    r->who = strdup(who ? who : "-");
    r->event = strdup(event ? event : "-");
    r->detail = strdup(detail ? detail : "");
    if (!r->who || !r->event || !r->detail) {
        free(r->who);
        free(r->event);
        free(r->detail);
        return;
    }
    s->n_audit++;
}

int srv_store_flush(srv_store *s) {
    if (s && s->n_p2p) (void)p2p_flush(s);
    if (!s || !s->n_audit) return HUSH_OK;
    int rc = exec(s, "BEGIN IMMEDIATE");
    sqlite3_stmt *st = rc ? NULL : prep(s, "INSERT INTO audit(at, who, event, detail) VALUES(?1, ?2, ?3, ?4)");
    if (!st) rc = HUSH_EIO;
    for (size_t i = 0; i < s->n_audit; i++) {
        audit_row *r = &s->audit[i];
        if (rc == HUSH_OK) {
            sqlite3_bind_double(st, 1, r->at);
            sqlite3_bind_text(st, 2, r->who, -1, SQLITE_STATIC);
            sqlite3_bind_text(st, 3, r->event, -1, SQLITE_STATIC);
            sqlite3_bind_text(st, 4, r->detail, -1, SQLITE_STATIC);
            if (sqlite3_step(st) != SQLITE_DONE) rc = HUSH_EIO;
            sqlite3_reset(st);
        }
        free(r->who);
        free(r->event);
        free(r->detail);
    }
    s->n_audit = 0;
    if (st) sqlite3_finalize(st);
    if (rc == HUSH_OK) rc = exec(s, "COMMIT");
    if (rc != HUSH_OK) {
        (void)exec(s, "ROLLBACK");
        fprintf(stderr, "hush-server: audit entries lost: %s\n", sqlite3_errmsg(s->db));
    }
    return rc;
}

/* ---- status JSON ---- */

typedef struct jbuf {
    char *p;
    size_t len, cap;
    int err;
    srv_store *store; /* for nested queries */
} jbuf;

static void jb_put(jbuf *b, const char *s, size_t n) {
    if (b->err) return;
    if (n + 1 > b->cap - b->len) {
        size_t cap = b->cap ? b->cap : 256;
        while (n + 1 > cap - b->len) cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->err = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = 0;
}

static void jb_str(jbuf *b, const char *s) { jb_put(b, s, strlen(s)); }

static void jb_fmt(jbuf *b, const char *fmt, unsigned long long v) {
    char t[64];
    int n = snprintf(t, sizeof t, fmt, v);
    jb_put(b, t, (size_t)n);
}

/* Text into a JSON string: quotes, backslashes and control bytes dropped (audit text is ours). */
static void jb_safe(jbuf *b, const unsigned char *t) {
    for (; t && *t; t++)
        if (*t >= 0x20 && *t != '"' && *t != '\\' && *t < 0x7f) jb_put(b, (const char *)t, 1);
}

static int status_task(void *ud, const srv_task *t) {
    jbuf *b = ud;
    if (b->p[b->len - 1] != '[') jb_str(b, ",");
    /* Names and kinds are restricted to [A-Za-z0-9._-]: no JSON escaping needed. */
    jb_str(b, "{\"name\":\"");
    jb_str(b, t->name);
    jb_str(b, "\",\"kind\":\"");
    jb_str(b, t->kind);
    jb_str(b, "\"");
    jb_fmt(b, ",\"round\":%llu", t->round);
    jb_fmt(b, ",\"committed_rounds\":%llu", t->committed);
    jb_str(b, ",\"state\":\"");
    jb_str(b, t->state);
    jb_str(b, "\"");
    jb_fmt(b, ",\"last_result_round\":%llu", t->last_result);
    jb_fmt(b, ",\"clients\":%llu", t->clients);
    jb_fmt(b, ",\"threshold\":%llu", t->threshold);
    jb_fmt(b, ",\"dim\":%llu", t->dim);
    jb_fmt(b, ",\"rounds\":%llu", t->rounds);
    char iv[96];
    snprintf(iv, sizeof iv, ",\"deadline\":%.6g,\"interval\":%.6g", t->deadline, t->interval);
    jb_str(b, iv);
    if (!strcmp(t->kind, "fedavg")) {
        /* the published terms (what a round costs a participant) and the latest model's metrics */
        char terms[640];
        if (srv_fed_terms_json(t, terms, sizeof terms) == HUSH_OK) {
            jb_str(b, ",\"terms\":");
            jb_str(b, terms);
        }
        jb_str(b, ",\"model\":\"");
        jb_str(b, t->spec);
        jb_fmt(b, "\",\"input_size\":%llu", t->input_size);
        jb_fmt(b, ",\"classes\":%llu", t->classes);
        sqlite3_stmt *st = prep(b->store, "SELECT version, COALESCE(metrics, 'null') FROM models WHERE task=?1"
                                          " ORDER BY version DESC LIMIT 1");
        if (st) {
            sqlite3_bind_text(st, 1, t->name, -1, SQLITE_TRANSIENT);
            if (sqlite3_step(st) == SQLITE_ROW) {
                jb_fmt(b, ",\"model_version\":%llu,\"metrics\":", (unsigned long long)sqlite3_column_int64(st, 0));
                jb_str(b, (const char *)sqlite3_column_text(st, 1));
            }
            sqlite3_finalize(st);
        }
    }
    jb_str(b, "}");
    return b->err ? HUSH_ENOMEM : HUSH_OK;
}

static uint64_t count_lines(const unsigned char *t) {
    if (!t || !*t) return 0;
    uint64_t n = 1;
    for (; *t; t++) n += *t == '\n';
    return n;
}

int srv_store_rounds_json(srv_store *s, const char *task, char **json, size_t *len) {
    if (!s || !task || !json || !len) return HUSH_EARG;
    sqlite3_stmt *st = prep(s, "SELECT round, state, session, participants, survivors, COALESCE(detail, ''),"
                               " declined, COALESCE(metrics, 'null'), started_at, COALESCE(ended_at, 0),"
                               " bytes_in, bytes_out FROM rounds WHERE task=?1 ORDER BY id");
    if (!st) return HUSH_EIO;
    sqlite3_bind_text(st, 1, task, -1, SQLITE_TRANSIENT);
    jbuf b = {0};
    jb_str(&b, "[");
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (b.len > 1) jb_str(&b, ",");
        jb_fmt(&b, "{\"round\":%llu,\"state\":\"", (unsigned long long)sqlite3_column_int64(st, 0));
        jb_str(&b, (const char *)sqlite3_column_text(st, 1));
        jb_str(&b, "\",\"session\":\"");
        const uint8_t *sess = sqlite3_column_blob(st, 2);
        for (int i = 0; sess && i < sqlite3_column_bytes(st, 2); i++) jb_fmt(&b, "%02llx", sess[i]);
        jb_fmt(&b, "\",\"participants\":%llu", count_lines(sqlite3_column_text(st, 3)));
        jb_fmt(&b, ",\"survivors\":%llu,\"detail\":\"", count_lines(sqlite3_column_text(st, 4)));
        jb_safe(&b, sqlite3_column_text(st, 5)); /* server-written text: quotes and controls dropped */
        jb_fmt(&b, "\",\"declined\":%llu,\"metrics\":", count_lines(sqlite3_column_text(st, 6)));
        jb_str(&b, (const char *)sqlite3_column_text(st, 7)); /* our own JSON object, or null */
        double secs = sqlite3_column_double(st, 9) - sqlite3_column_double(st, 8);
        char d[48];
        snprintf(d, sizeof d, ",\"seconds\":%.3f", secs > 0 ? secs : 0);
        jb_str(&b, d);
        for (int k = 0; k < 2; k++) {
            jb_str(&b, k ? ",\"bytes_out\":" : ",\"bytes_in\":");
            if (sqlite3_column_type(st, 10 + k) == SQLITE_NULL) jb_str(&b, "null");
            else jb_fmt(&b, "%llu", (unsigned long long)sqlite3_column_int64(st, 10 + k));
        }
        jb_str(&b, "}");
    }
    sqlite3_finalize(st);
    jb_str(&b, "]");
    if (rc != SQLITE_DONE || b.err) {
        free(b.p);
        return rc != SQLITE_DONE ? HUSH_EIO : HUSH_ENOMEM;
    }
    *json = b.p;
    *len = b.len;
    return HUSH_OK;
}

int srv_store_audit_each(srv_store *s, int64_t since, void (*fn)(void *ud, const char *line), void *ud) {
    if (!s || !fn) return HUSH_EARG;
    sqlite3_stmt *st = prep(s, "SELECT id, at, who, event, detail FROM audit WHERE id > ?1 ORDER BY id");
    if (!st) return HUSH_EIO;
    sqlite3_bind_int64(st, 1, since);
    int rc, out = HUSH_OK;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        jbuf b = {0};
        char at[48];
        snprintf(at, sizeof at, "%.3f", sqlite3_column_double(st, 1));
        jb_fmt(&b, "{\"id\":%llu,\"at\":", (unsigned long long)sqlite3_column_int64(st, 0));
        jb_str(&b, at);
        jb_str(&b, ",\"who\":\"");
        jb_safe(&b, sqlite3_column_text(st, 2));
        jb_str(&b, "\",\"event\":\"");
        jb_safe(&b, sqlite3_column_text(st, 3));
        jb_str(&b, "\",\"detail\":\"");
        jb_safe(&b, sqlite3_column_text(st, 4));
        jb_str(&b, "\"}");
        if (b.err) out = HUSH_ENOMEM;
        else fn(ud, b.p);
        free(b.p);
        if (out) break;
    }
    if (out == HUSH_OK && rc != SQLITE_DONE) out = HUSH_EIO;
    sqlite3_finalize(st);
    return out;
}

int srv_store_integrity(srv_store *s, char *out, size_t cap) {
    if (!s || !out || !cap) return HUSH_EARG;
    sqlite3_stmt *st = prep(s, "PRAGMA integrity_check");
    if (!st) return HUSH_EIO;
    int rc = sqlite3_step(st);
    snprintf(out, cap, "%s", rc == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : "unreadable");
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? HUSH_OK : HUSH_EIO;
}

int srv_store_status_json(srv_store *s, uint32_t connections, char **json, size_t *len) {
    if (!s || !json || !len) return HUSH_EARG;
    jbuf b = {0};
    b.store = s;
    jb_str(&b, "{\"version\":\"");
    jb_str(&b, hush_version());
    jb_str(&b, "\"");
    jb_fmt(&b, ",\"connections\":%llu,\"tasks\":[", connections);
    int rc = b.err ? HUSH_ENOMEM : srv_store_task_each(s, status_task, &b);
    jb_str(&b, "]}");
    if (rc == HUSH_OK && b.err) rc = HUSH_ENOMEM;
    if (rc) {
        free(b.p);
        return rc;
    }
    *json = b.p;
    *len = b.len;
    return HUSH_OK;
}

/* ---- p2p sessions (server/p2p.c) ----
 * One row per session: "running" once issued, then its outcome: who, when, rows, link, bytes. Rows
 * wait in memory
 * and are written by srv_store_flush (every tick): a commit per session would cost an fsync on
 * the event loop. The session ids also go into `sessions`, which secure-aggregation rounds use
 * too, so no id is ever issued twice by either. */
static const char p2p_schema[] =
    "CREATE TABLE IF NOT EXISTS p2p_sessions(session BLOB PRIMARY KEY, applicant TEXT NOT NULL,"
    " bank TEXT NOT NULL, rows INTEGER NOT NULL, link TEXT NOT NULL, state TEXT NOT NULL, detail TEXT NOT NULL,"
    " started_at REAL NOT NULL, ended_at REAL NOT NULL, relay_bytes INTEGER NOT NULL,"
    " signal_bytes INTEGER NOT NULL, dealer_bytes INTEGER NOT NULL);";

static int p2p_ready(srv_store *s) {
    if (!s->p2p_schema && exec(s, p2p_schema) == HUSH_OK) s->p2p_schema = 1;
    return s->p2p_schema ? HUSH_OK : HUSH_EIO;
}

int srv_store_p2p_used(srv_store *s, const uint8_t session[16]) {
    if (!s || !session) return 1;
    for (size_t i = 0; i < s->n_p2p; i++)
        if (!memcmp(s->p2p[i].session, session, 16)) return 1;
    sqlite3_stmt *st = prep(s, "SELECT 1 FROM sessions WHERE session=?1");
    if (!st) return 1;
    sqlite3_bind_blob(st, 1, session, 16, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc != SQLITE_DONE; /* a row, or an error: treat it as used */
}

void srv_store_p2p_record(srv_store *s, const srv_p2p_record *r) {
    if (!s || !r) return;
    if (s->n_p2p == s->cap_p2p) {
        size_t cap = s->cap_p2p ? 2 * s->cap_p2p : 64;
        srv_p2p_record *n = realloc(s->p2p, cap * sizeof *n);
        if (!n) {
            fprintf(stderr, "hush-server: p2p session record lost (out of memory)\n");
            return;
        }
        s->p2p = n;
        s->cap_p2p = cap;
    }
    s->p2p[s->n_p2p++] = *r;
}

static int p2p_flush(srv_store *s) {
    int rc = p2p_ready(s);
    if (rc == HUSH_OK) rc = exec(s, "BEGIN IMMEDIATE");
    sqlite3_stmt *a = rc ? NULL : prep(s, "INSERT OR IGNORE INTO sessions(session) VALUES(?1)");
    sqlite3_stmt *b = rc ? NULL
                         : prep(s, "INSERT OR REPLACE INTO p2p_sessions(session, applicant, bank, rows, link, state,"
                                   " detail, started_at, ended_at, relay_bytes, signal_bytes, dealer_bytes)"
                                   " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)");
    if (!a || !b) rc = HUSH_EIO;
    for (size_t i = 0; i < s->n_p2p && rc == HUSH_OK; i++) {
        const srv_p2p_record *r = &s->p2p[i];
        sqlite3_bind_blob(a, 1, r->session, 16, SQLITE_STATIC);
        if (sqlite3_step(a) != SQLITE_DONE) rc = HUSH_EIO;
        sqlite3_reset(a);
        sqlite3_bind_blob(b, 1, r->session, 16, SQLITE_STATIC);
        sqlite3_bind_text(b, 2, r->applicant, -1, SQLITE_STATIC);
        sqlite3_bind_text(b, 3, r->bank, -1, SQLITE_STATIC);
        sqlite3_bind_int64(b, 4, r->rows);
        sqlite3_bind_text(b, 5, r->link, -1, SQLITE_STATIC);
        sqlite3_bind_text(b, 6, r->state, -1, SQLITE_STATIC);
        sqlite3_bind_text(b, 7, r->detail, -1, SQLITE_STATIC);
        sqlite3_bind_double(b, 8, r->started);
        sqlite3_bind_double(b, 9, r->ended);
        sqlite3_bind_int64(b, 10, (sqlite3_int64)r->relay_bytes);
        sqlite3_bind_int64(b, 11, (sqlite3_int64)r->signal_bytes);
        sqlite3_bind_int64(b, 12, (sqlite3_int64)r->dealer_bytes);
        if (sqlite3_step(b) != SQLITE_DONE) rc = HUSH_EIO;
        sqlite3_reset(b);
    }
    if (a) sqlite3_finalize(a);
    if (b) sqlite3_finalize(b);
    s->n_p2p = 0;
    if (rc == HUSH_OK) rc = exec(s, "COMMIT");
    if (rc != HUSH_OK) {
        (void)exec(s, "ROLLBACK");
        fprintf(stderr, "hush-server: p2p session records lost: %s\n", sqlite3_errmsg(s->db));
    }
    return rc;
}

int srv_store_p2p_count(srv_store *s, const char *bank, uint64_t *done, uint64_t *failed) {
    if (!s || !bank || !done || !failed) return HUSH_EARG;
    *done = *failed = 0;
    if (p2p_ready(s) != HUSH_OK) return HUSH_EIO;
    sqlite3_stmt *st = prep(s, "SELECT state, COUNT(*) FROM p2p_sessions WHERE bank=?1 GROUP BY state");
    if (!st) return HUSH_EIO;
    sqlite3_bind_text(st, 1, bank, -1, SQLITE_TRANSIENT);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *state = (const char *)sqlite3_column_text(st, 0);
        uint64_t n = (uint64_t)sqlite3_column_int64(st, 1);
        if (state && !strcmp(state, "done")) *done += n;
        else if (state && !strcmp(state, "failed")) *failed += n; /* "running": not over yet */
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? HUSH_OK : HUSH_EIO;
}
