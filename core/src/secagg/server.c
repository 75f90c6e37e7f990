/* Secure-aggregation server state machine (protocol and threat model in hush/secagg.h).
 *
 * The server routes and unmasks; it holds no secret of its own. It accumulates masked inputs
 * into one running sum as they arrive (so memory is O(dim), not O(n dim)), keeps the routed
 * ciphertexts with their share hashes and the revealed shares in tables sized at create, and
 * builds each outgoing message on demand from that state. A round ends only when the driver says
 * so (end_round = deadline), so the state machine has no clock. Everything a client could get
 * wrong on purpose is checked where the server can check it: keys (low order, duplicates,
 * signatures), consistency signatures, each revealed share against the hash its dealer sent, and
 * each reconstructed secret against its commitment or public key; the culprit is recorded. */
#include <string.h>

#include <sodium.h>

#include "base/alloc.h"
#include "io/buf.h"
#include "io/secaggwire.h"
#include "secagg/sa.h"

#define SH 41                                    /* stored share: kind byte + 40 */
#define CTE (2 * HUSH__SAW_HASH + HUSH__SA_CT_BYTES) /* stored ciphertext: hb, hs, ct */

enum { O_ROWS, O_SENT, O_FAULTS, O_PKS, O_KEYS, O_COMMITS, O_SIGS, O_CTS, O_BAD, O_SHARES, O_SUM, O_U3, O_LAMBDA,
       O_SP, O_IDS, O_COUNT };

struct hush_secagg_server {
    hush_allocator alloc;
    int has_alloc;
    size_t total;
    hush_secagg_config cfg;
    uint32_t m;
    int state, have_ids;
    uint32_t counts[5];
    int out_round;   /* round opened by the queued messages, 0 if none */
    uint32_t cursor; /* next recipient to consider */
    uint32_t *rows;  /* n * m */
    uint8_t *sent;   /* n: bit r = message of round r accepted */
    uint8_t *faults; /* n: enum hush_secagg_fault bits */
    uint8_t *pks;    /* n * 32: the PKI (authenticated) */
    uint8_t *keys;   /* n * 128: c_pk, s_pk, sig */
    uint8_t *commits; /* n * 32: commitments to b_u */
    uint8_t *sigs3;  /* n * 64 (authenticated) */
    uint8_t *cts;    /* n * m * CTE: [holder][slot of dealer] */
    uint8_t *bad;    /* n * m: [holder][slot of dealer] = holder reported the dealer's shares */
    uint8_t *shares; /* n * m * SH: [owner][slot of revealer] */
    uint32_t *sum;   /* dim */
    uint8_t *u3;     /* bitmap */
    uint64_t *lambda;
    const uint8_t **sp;
    uint32_t *ids;
};

int hush__sa_server_layout(const hush_secagg_config *cfg, uint64_t *total, uint64_t off[16]) {
    uint64_t n = cfg->n, m = hush__sa_degree(cfg) + 1, nm = n * m; /* < 2^32 */
    hush__sa_layout l = {sizeof(hush_secagg_server), 0};
    off[O_ROWS] = hush__sa_lay(&l, nm, 4);
    off[O_SENT] = hush__sa_lay(&l, n, 1);
    off[O_FAULTS] = hush__sa_lay(&l, n, 1);
    off[O_PKS] = hush__sa_lay(&l, cfg->authenticated ? n : 0, 32);
    off[O_KEYS] = hush__sa_lay(&l, n, 128);
    off[O_COMMITS] = hush__sa_lay(&l, n, 32);
    off[O_SIGS] = hush__sa_lay(&l, cfg->authenticated ? n : 0, 64);
    off[O_CTS] = hush__sa_lay(&l, nm, CTE);
    off[O_BAD] = hush__sa_lay(&l, nm, 1);
    off[O_SHARES] = hush__sa_lay(&l, nm, SH);
    off[O_SUM] = hush__sa_lay(&l, cfg->dim, 4);
    off[O_U3] = hush__sa_lay(&l, (n + 7) / 8, 1);
    off[O_LAMBDA] = hush__sa_lay(&l, m, 8);
    off[O_SP] = hush__sa_lay(&l, m, sizeof(const uint8_t *));
    off[O_IDS] = hush__sa_lay(&l, m, 4);
    *total = l.size;
    return l.overflow ? HUSH_ERANGE : HUSH_OK;
}

int hush_secagg_server_create(hush_secagg_server **out, const hush_secagg_config *cfg, const hush_allocator *alloc) {
    if (!hush__alloc_ok(alloc)) return HUSH_EARG;
    if (!out) return HUSH_EARG;
    *out = NULL;
    int rc = hush_secagg_config_check(cfg);
    if (rc) return rc;
    if (hush_init() != HUSH_OK) return HUSH_ECRYPTO;
    uint64_t off[16], total64;
    if ((rc = hush__sa_server_layout(cfg, &total64, off)) != HUSH_OK) return rc;
    /* 32-bit size_t (wasm32): a layout that does not fit is refused, never wrapped */
    if (total64 > SIZE_MAX) return HUSH_ERANGE;
    size_t total = (size_t)total64, n = cfg->n, m = hush__sa_degree(cfg) + 1;
    uint8_t *blk = hush__alloc(alloc, total);
    if (!blk) return HUSH_ENOMEM;
    memset(blk, 0, total);
    hush_secagg_server *s = (hush_secagg_server *)blk;
    if (alloc) {
        s->alloc = *alloc;
        s->has_alloc = 1;
    }
    s->total = total;
    s->cfg = *cfg;
    s->m = (uint32_t)m;
    s->rows = (uint32_t *)(blk + off[O_ROWS]);
    s->sent = blk + off[O_SENT];
    s->faults = blk + off[O_FAULTS];
    s->pks = cfg->authenticated ? blk + off[O_PKS] : NULL;
    s->keys = blk + off[O_KEYS];
    s->commits = blk + off[O_COMMITS];
    s->sigs3 = cfg->authenticated ? blk + off[O_SIGS] : NULL;
    s->cts = blk + off[O_CTS];
    s->bad = blk + off[O_BAD];
    s->shares = blk + off[O_SHARES];
    s->sum = (uint32_t *)(blk + off[O_SUM]);
    s->u3 = blk + off[O_U3];
    s->lambda = (uint64_t *)(blk + off[O_LAMBDA]);
    s->sp = (const uint8_t **)(blk + off[O_SP]);
    s->ids = (uint32_t *)(blk + off[O_IDS]);
    uint32_t *perm = NULL;
    if (m < n && !(perm = hush__calloc(alloc, n, sizeof *perm))) {
        rc = HUSH_ENOMEM;
    } else {
        rc = hush__sa_graph(cfg, s->rows, perm);
        if (perm) hush__free(alloc, perm, n * sizeof *perm);
    }
    if (rc) {
        hush__free(alloc, blk, total);
        return rc;
    }
    s->state = HUSH_SECAGG_ROUND_ADVERTISE;
    *out = s;
    return HUSH_OK;
}

void hush_secagg_server_free(hush_secagg_server *s) {
    if (!s) return;
    hush_allocator a = s->alloc;
    int has = s->has_alloc;
    size_t total = s->total;
    sodium_memzero(s, total);
    hush__free(has ? &a : NULL, s, total);
}

int hush_secagg_server_set_identities(hush_secagg_server *s, const uint8_t *sign_pks, size_t pks_len) {
    if (!s || !sign_pks || pks_len != (size_t)s->cfg.n * HUSH_SECAGG_SIGN_PUBLIC_KEY_BYTES) return HUSH_EARG;
    if (!s->cfg.authenticated || s->state != HUSH_SECAGG_ROUND_ADVERTISE || s->counts[0]) return HUSH_ESTATE;
    memcpy(s->pks, sign_pks, pks_len);
    s->have_ids = 1;
    return HUSH_OK;
}

int hush_secagg_server_round(const hush_secagg_server *s) { return s ? s->state : HUSH_SECAGG_ABORTED; }

uint32_t hush_secagg_server_count(const hush_secagg_server *s, uint32_t round) {
    return s && round < 5 ? s->counts[round] : 0;
}

size_t hush_secagg_server_max_message(const hush_secagg_server *s) {
    if (!s) return 0;
    uint64_t z = hush__saw_max(&s->cfg, s->m);
    return z > SIZE_MAX ? SIZE_MAX : (size_t)z;
}

int hush_secagg_server_faults(const hush_secagg_server *s, uint8_t *faults, size_t faults_len) {
    if (!s || !faults || faults_len != s->cfg.n) return HUSH_EARG;
    memcpy(faults, s->faults, faults_len);
    return HUSH_OK;
}

uint32_t hush__sa_server_faulty(const hush_secagg_server *s) {
    uint32_t k = 0;
    for (uint32_t u = 0; s && u < s->cfg.n; u++) k += s->faults[u] != 0;
    return k;
}

static const uint32_t *row_of(const hush_secagg_server *s, uint32_t u) { return s->rows + (size_t)u * s->m; }
static int has(const hush_secagg_server *s, uint32_t u, int r) { return (s->sent[u] >> r) & 1; }
static size_t pair(const hush_secagg_server *s, uint32_t u, long slot) { return (size_t)u * s->m + (size_t)slot; }

/* A share of `owner` held by `holder` is usable if the holder received it (the owner's shares
 * went to every neighbour that advertised) and did not report it. */
static int usable(const hush_secagg_server *s, uint32_t holder, uint32_t owner) {
    if (holder == owner) return 1;
    long slot = hush__sa_slot(row_of(s, holder), s->m, owner);
    return has(s, owner, 1) && !s->bad[pair(s, holder, slot)];
}

/* The list a client must send in round 1 (recipients) or 4 (owners) is fully determined by
 * earlier rounds; anything else is rejected before it is recorded. */
static int check_list(const hush_secagg_server *s, const hush__saw_msg *msg, uint32_t u, int r) {
    const uint32_t *row = row_of(s, u);
    uint32_t k = 0;
    for (uint32_t j = 0; j < s->m; j++) {
        uint32_t v = row[j];
        if (r == 1 ? (v == u || !has(s, v, 0)) : (!has(s, v, 1) || !usable(s, u, v))) continue;
        if (k >= msg->count || hush__saw_id(msg, k) != v) return HUSH_EFORMAT;
        if (r == 4) {
            int want = has(s, v, 2) ? HUSH__SA_KIND_B : HUSH__SA_KIND_SK;
            if (hush__saw_entry(msg, k)[0] != want) return HUSH_EFORMAT;
        }
        k++;
    }
    return k == msg->count ? HUSH_OK : HUSH_EFORMAT;
}

static int fault(hush_secagg_server *s, uint32_t u, int what) {
    s->faults[u] |= (uint8_t)what;
    return HUSH_ECRYPTO;
}

/* Round 0: keys a neighbour could not use, or could not be told apart from another's. */
static int check_keys(hush_secagg_server *s, const hush__saw_msg *m, uint32_t u) {
    if (!hush__sa_key_ok(m->c_pk) || !hush__sa_key_ok(m->s_pk) || !sodium_memcmp(m->c_pk, m->s_pk, 32))
        return fault(s, u, HUSH_SECAGG_FAULT_KEY);
    const uint32_t *row = row_of(s, u);
    for (uint32_t j = 0; j < s->m; j++) {
        uint32_t v = row[j];
        if (v == u || !has(s, v, 0)) continue;
        const uint8_t *k = s->keys + (size_t)v * 128;
        if (!sodium_memcmp(k, m->c_pk, 32) || !sodium_memcmp(k + 32, m->s_pk, 32) ||
            !sodium_memcmp(k, m->s_pk, 32) || !sodium_memcmp(k + 32, m->c_pk, 32))
            return fault(s, u, HUSH_SECAGG_FAULT_KEY);
    }
    if (s->cfg.authenticated) {
        uint8_t dg[64];
        hush__sa_adv_digest(dg, &s->cfg, u, m->c_pk, m->s_pk);
        if (crypto_sign_verify_detached(m->sig, dg, 64, s->pks + (size_t)u * 32) != 0)
            return fault(s, u, HUSH_SECAGG_FAULT_KEY);
    }
    return HUSH_OK;
}

/* Round 2: each reported peer must be one whose shares we delivered to u. */
static int check_reports(const hush_secagg_server *s, const hush__saw_msg *m, uint32_t u) {
    for (uint32_t i = 0; i < m->count; i++) {
        uint32_t v = hush__saw_id(m, i);
        if (hush__sa_slot(row_of(s, u), s->m, v) < 0 || !has(s, v, 1)) return HUSH_EFORMAT;
    }
    return HUSH_OK;
}

/* Round 4: every revealed share must be the one its dealer hashed for this holder. */
static int check_shares(hush_secagg_server *s, const hush__saw_msg *m, uint32_t u) {
    uint8_t h[32];
    for (uint32_t i = 0; i < m->count; i++) {
        uint32_t v = hush__saw_id(m, i);
        if (v == u) continue; /* its own share of itself: a bad one fails v's commitment, v's fault */
        const uint8_t *e = hush__saw_entry(m, i);
        long slot = hush__sa_slot(row_of(s, u), s->m, v);
        const uint8_t *stored = s->cts + pair(s, u, slot) * CTE + (e[0] == HUSH__SA_KIND_B ? 0 : HUSH__SAW_HASH);
        hush__sa_share_hash(h, &s->cfg, v, u, e[0], e + 1);
        if (sodium_memcmp(h, stored, 32) != 0) return fault(s, u, HUSH_SECAGG_FAULT_SHARE);
    }
    return HUSH_OK;
}

int hush_secagg_server_receive(hush_secagg_server *s, const uint8_t *msg, size_t len) {
    if (!s || (!msg && len)) return HUSH_EARG;
    if (s->cfg.authenticated && !s->have_ids) return HUSH_ESTATE;
    hush__saw_msg m;
    int rc = hush__saw_decode(&m, msg, len, &s->cfg);
    if (rc) return rc;
    if (m.dir != HUSH__SAW_UP) return HUSH_EFORMAT;
    uint32_t u = m.sender;
    int r = m.round;
    if (s->state > HUSH_SECAGG_ROUND_UNMASK || r != s->state) return HUSH_ESTATE;
    if (has(s, u, r)) return HUSH_ESTATE;              /* replay or duplicate */
    if (r > 0 && !has(s, u, r - 1)) return HUSH_ESTATE; /* dropped earlier: not in U_r */
    if (r == 1 || r == 4) rc = check_list(s, &m, u, r);
    if (rc == HUSH_OK && r == 0) rc = check_keys(s, &m, u);
    if (rc == HUSH_OK && r == 2) rc = check_reports(s, &m, u);
    if (rc == HUSH_OK && r == 3 && s->cfg.authenticated) {
        uint8_t dg[64];
        hush__sa_u3_digest(dg, &s->cfg, u, s->u3, ((size_t)s->cfg.n + 7) / 8);
        if (crypto_sign_verify_detached(m.sig, dg, 64, s->pks + (size_t)u * 32) != 0)
            rc = fault(s, u, HUSH_SECAGG_FAULT_SIGNATURE);
    }
    if (rc == HUSH_OK && r == 4) rc = check_shares(s, &m, u);
    if (rc) return rc;
    switch (r) {
    case 0:
        memcpy(s->keys + (size_t)u * 128, m.c_pk, 64);
        if (m.sig) memcpy(s->keys + (size_t)u * 128 + 64, m.sig, 64);
        break;
    case 1:
        memcpy(s->commits + (size_t)u * 32, m.commit, 32);
        for (uint32_t i = 0; i < m.count; i++) {
            uint32_t v = hush__saw_id(&m, i);
            long slot = hush__sa_slot(row_of(s, v), s->m, u);
            memcpy(s->cts + pair(s, v, slot) * CTE, hush__saw_entry(&m, i), CTE);
        }
        break;
    case 2:
        for (uint32_t i = 0; i < m.count; i++) {
            uint32_t v = hush__saw_id(&m, i);
            s->bad[pair(s, u, hush__sa_slot(row_of(s, u), s->m, v))] = 1;
            s->faults[v] |= HUSH_SECAGG_FAULT_CIPHERTEXT;
        }
        hush__saw_add_values(s->sum, &m, s->cfg.bits);
        break;
    case 3:
        if (m.sig) memcpy(s->sigs3 + (size_t)u * 64, m.sig, 64);
        break;
    default:
        for (uint32_t i = 0; i < m.count; i++) {
            uint32_t v = hush__saw_id(&m, i);
            long slot = hush__sa_slot(row_of(s, v), s->m, u);
            memcpy(s->shares + pair(s, v, slot) * SH, hush__saw_entry(&m, i), SH);
        }
    }
    s->sent[u] |= (uint8_t)(1u << r);
    s->counts[r]++;
    return HUSH_OK;
}

static int abort_round(hush_secagg_server *s, int rc) {
    size_t nm = (size_t)s->cfg.n * s->m;
    s->state = HUSH_SECAGG_ABORTED;
    s->out_round = 0;
    sodium_memzero(s->sum, (size_t)s->cfg.dim * 4);
    sodium_memzero(s->shares, nm * SH);
    sodium_memzero(s->cts, nm * CTE);
    return rc;
}

/* Whose secrets the unmasking will need: b of every survivor, s_sk of every client that shared
 * keys but sent no masked input and has a surviving neighbour. Each needs t usable shares among
 * the survivors; when too few exist the round cannot finish, so it stops now, blaming a client
 * whose shares its neighbours reported as unusable. */
static int check_recoverable(hush_secagg_server *s) {
    int rc = HUSH_OK;
    for (uint32_t v = 0; v < s->cfg.n; v++) {
        if (!has(s, v, 1)) continue;
        const uint32_t *row = row_of(s, v);
        uint32_t holders = 0, alive = 0;
        for (uint32_t j = 0; j < s->m; j++) {
            uint32_t w = row[j];
            if (!has(s, w, 2)) continue;
            alive++;
            holders += (uint32_t)usable(s, w, v);
        }
        if ((has(s, v, 2) || alive) && holders < s->cfg.threshold) {
            if (holders < alive && (s->faults[v] & HUSH_SECAGG_FAULT_CIPHERTEXT)) return HUSH_ECRYPTO;
            rc = HUSH_ESTATE;
        }
    }
    return rc;
}

/* Reconstructs owner's secret of `kind` from the first t revealed shares. */
static int recover(hush_secagg_server *s, uint32_t owner, int kind, uint8_t secret[32]) {
    const uint32_t *row = row_of(s, owner);
    uint32_t k = 0, t = s->cfg.threshold;
    for (uint32_t j = 0; j < s->m && k < t; j++) {
        const uint8_t *e = s->shares + pair(s, owner, (long)j) * SH;
        if (!has(s, row[j], 4) || e[0] != kind) continue;
        s->sp[k] = e + 1;
        s->ids[k] = row[j];
        k++;
    }
    if (k < t) return HUSH_ESTATE;
    return hush__sa_reconstruct(secret, s->sp, s->ids, t, s->lambda);
}

static int unmask(hush_secagg_server *s) {
    uint32_t n = s->cfg.n, bits = s->cfg.bits;
    uint8_t secret[32], seed[32], pk[32], commit[32];
    int rc = HUSH_OK;
    for (uint32_t u = 0; u < n && rc == HUSH_OK; u++) {
        if (!has(s, u, 2)) continue;
        rc = recover(s, u, HUSH__SA_KIND_B, secret);
        if (rc == HUSH_OK) {
            /* every share passed its hash, so a wrong b_u means u dealt inconsistent shares */
            hush__sa_commit_b(commit, &s->cfg, u, secret);
            if (sodium_memcmp(commit, s->commits + (size_t)u * 32, 32) != 0) rc = fault(s, u, HUSH_SECAGG_FAULT_DEALER);
        } else if (rc == HUSH_EFORMAT) {
            rc = fault(s, u, HUSH_SECAGG_FAULT_DEALER);
        }
        if (rc == HUSH_OK) hush__sa_prg_add(s->sum, s->cfg.dim, bits, secret, -1);
    }
    for (uint32_t v = 0; v < n && rc == HUSH_OK; v++) {
        if (!has(s, v, 1) || has(s, v, 2)) continue; /* v in U2 \ U3 */
        const uint32_t *row = row_of(s, v);
        uint32_t alive = 0;
        for (uint32_t j = 0; j < s->m; j++) alive += row[j] != v && has(s, row[j], 2);
        if (!alive) continue; /* nobody masked with v's key made it into the sum */
        if ((rc = recover(s, v, HUSH__SA_KIND_SK, secret)) != HUSH_OK) {
            if (rc == HUSH_EFORMAT) rc = fault(s, v, HUSH_SECAGG_FAULT_DEALER);
            break;
        }
        const uint8_t *v_pk = s->keys + (size_t)v * 128 + 32;
        if (crypto_scalarmult_base(pk, secret) != 0 || sodium_memcmp(pk, v_pk, 32) != 0) {
            rc = fault(s, v, HUSH_SECAGG_FAULT_DEALER);
            break;
        }
        for (uint32_t j = 0; j < s->m && rc == HUSH_OK; j++) {
            uint32_t u = row[j];
            if (u == v || !has(s, u, 2)) continue;
            rc = hush__sa_mask_seed(seed, &s->cfg, v, u, secret, v_pk, s->keys + (size_t)u * 128 + 32);
            /* u added +PRG(s_uv) if v > u, -PRG(s_uv) if v < u: undo it */
            if (rc == HUSH_OK) hush__sa_prg_add(s->sum, s->cfg.dim, bits, seed, v > u ? -1 : 1);
        }
    }
    sodium_memzero(secret, sizeof secret);
    sodium_memzero(seed, sizeof seed);
    return rc;
}

int hush_secagg_server_end_round(hush_secagg_server *s) {
    if (!s) return HUSH_EARG;
    if (s->state > HUSH_SECAGG_ROUND_UNMASK) return HUSH_ESTATE;
    int r = s->state;
    if (s->counts[r] < s->cfg.threshold) return abort_round(s, HUSH_ESTATE);
    if (r == HUSH_SECAGG_ROUND_UNMASK) {
        int rc = unmask(s);
        if (rc) return abort_round(s, rc);
        s->state = HUSH_SECAGG_DONE;
        s->out_round = 0;
        sodium_memzero(s->shares, (size_t)s->cfg.n * s->m * SH);
        return HUSH_OK;
    }
    if (r == HUSH_SECAGG_ROUND_MASKED_INPUT) {
        int rc = check_recoverable(s);
        if (rc) return abort_round(s, rc);
        memset(s->u3, 0, ((size_t)s->cfg.n + 7) / 8);
        for (uint32_t u = 0; u < s->cfg.n; u++)
            if (has(s, u, 2)) s->u3[u / 8] |= (uint8_t)(1u << (u % 8));
    }
    s->state = r + 1;
    s->out_round = r + 1;
    s->cursor = 0;
    return HUSH_OK;
}

int hush_secagg_server_next_message(hush_secagg_server *s, uint32_t *to, uint8_t *out, size_t cap, size_t *written) {
    if (!s || !to || !written || (!out && cap)) return HUSH_EARG;
    *written = 0;
    int r = s->out_round;
    if (r == 0) return HUSH_OK;
    while (s->cursor < s->cfg.n && !has(s, s->cursor, r - 1)) s->cursor++;
    if (s->cursor >= s->cfg.n) return HUSH_OK;
    uint32_t u = s->cursor;
    const uint32_t *row = row_of(s, u);
    uint32_t count = 0;
    int need_bit = r == 1 ? 0 : r == 2 ? 1 : 3;
    if (r != 3)
        for (uint32_t j = 0; j < s->m; j++) count += has(s, row[j], need_bit) && !(r == 2 && row[j] == u);
    uint64_t need64 = hush__saw_size(&s->cfg, HUSH__SAW_DOWN, r, count);
    if (need64 > SIZE_MAX) return HUSH_ERANGE;
    size_t need = (size_t)need64;
    *to = u;
    *written = need;
    if (cap < need) return HUSH_ERANGE;
    hush__saw_header(out, &s->cfg, HUSH__SAW_DOWN, r, HUSH_SECAGG_SERVER_ID, u, need - HUSH_SECAGG_HEADER_BYTES);
    uint8_t *p = out + HUSH_SECAGG_HEADER_BYTES;
    if (r == 3) {
        hush__store32_le(p, s->cfg.n);
        memcpy(p + 4, s->u3, ((size_t)s->cfg.n + 7) / 8);
    } else {
        hush__store32_le(p, count);
        p += 4;
        size_t sig = s->cfg.authenticated ? 64 : 0;
        for (uint32_t j = 0; j < s->m; j++) {
            uint32_t v = row[j];
            if (!has(s, v, need_bit) || (r == 2 && v == u)) continue;
            hush__store32_le(p, v);
            p += 4;
            if (r == 1) {
                memcpy(p, s->keys + (size_t)v * 128, 64 + sig);
                p += 64 + sig;
            } else if (r == 2) {
                memcpy(p, s->cts + pair(s, u, (long)j) * CTE, CTE);
                p += CTE;
            } else if (sig) {
                memcpy(p, s->sigs3 + (size_t)v * 64, 64);
                p += 64;
            }
        }
    }
    s->cursor++;
    return HUSH_OK;
}

int hush_secagg_server_result(const hush_secagg_server *s, uint32_t *sum, size_t sum_len, uint8_t *included,
                              size_t included_len) {
    if (!s || !sum || sum_len != s->cfg.dim || (included && included_len != s->cfg.n)) return HUSH_EARG;
    if (s->state != HUSH_SECAGG_DONE) return HUSH_ESTATE;
    memcpy(sum, s->sum, sum_len * sizeof *sum);
    if (included)
        for (uint32_t u = 0; u < s->cfg.n; u++) included[u] = (uint8_t)has(s, u, 2);
    return HUSH_OK;
}
