/* Secure-aggregation server state machine (protocol and threat model in hush/secagg.h).
 *
 * The server routes and unmasks; it holds no secret of its own. It accumulates masked inputs
 * into one running sum as they arrive (so memory is O(dim), not O(n dim)), keeps the routed
 * ciphertexts and revealed shares in tables sized at create, and builds each outgoing message on
 * demand from that state. A round ends only when the driver says so (end_round = deadline), so
 * the state machine has no clock. */
#include <string.h>

#include <sodium.h>

#include "base/alloc.h"
#include "io/buf.h"
#include "io/secaggwire.h"
#include "secagg/sa.h"

#define SH 41 /* stored share: kind byte + 40 */

struct hush_secagg_server {
    hush_allocator alloc;
    int has_alloc;
    size_t total;
    hush_secagg_config cfg;
    uint32_t m;
    int state;
    uint32_t counts[5];
    int out_round;   /* round opened by the queued messages, 0 if none */
    uint32_t cursor; /* next recipient to consider */
    uint32_t *rows;  /* n * m */
    uint8_t *sent;   /* n: bit r = message of round r accepted */
    uint8_t *keys;   /* n * 128: c_pk, s_pk, sig */
    uint8_t *sigs3;  /* n * 64 */
    uint8_t *cts;    /* n * m * CT: [recipient][slot of sender] */
    uint8_t *shares; /* n * m * SH: [owner][slot of revealer] */
    uint32_t *sum;   /* dim */
    uint8_t *u3;     /* bitmap */
    uint64_t *lambda;
    const uint8_t **sp;
    uint32_t *ids;
};

static size_t align8(size_t v) { return (v + 7) & ~(size_t)7; }

int hush_secagg_server_create(hush_secagg_server **out, const hush_secagg_config *cfg, const hush_allocator *alloc) {
    if (!hush__alloc_ok(alloc)) return HUSH_EARG;
    if (!out) return HUSH_EARG;
    *out = NULL;
    int rc = hush_secagg_config_check(cfg);
    if (rc) return rc;
    if (hush_init() != HUSH_OK) return HUSH_ECRYPTO;
    size_t n = cfg->n, m = hush__sa_degree(cfg) + 1;
    size_t o_rows = align8(sizeof(hush_secagg_server));
    size_t o_sent = align8(o_rows + n * m * 4);
    size_t o_keys = align8(o_sent + n);
    size_t o_sigs = align8(o_keys + n * 128);
    size_t o_cts = align8(o_sigs + (cfg->authenticated ? n * 64 : 0));
    size_t o_sh = align8(o_cts + n * m * HUSH__SA_CTBYTES);
    size_t o_sum = align8(o_sh + n * m * SH);
    size_t o_u3 = align8(o_sum + (size_t)cfg->dim * 4);
    size_t o_lam = align8(o_u3 + (n + 7) / 8);
    size_t o_sp = align8(o_lam + m * 8);
    size_t o_ids = align8(o_sp + m * sizeof(const uint8_t *));
    size_t total = o_ids + m * 4;
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
    s->rows = (uint32_t *)(blk + o_rows);
    s->sent = blk + o_sent;
    s->keys = blk + o_keys;
    s->sigs3 = cfg->authenticated ? blk + o_sigs : NULL;
    s->cts = blk + o_cts;
    s->shares = blk + o_sh;
    s->sum = (uint32_t *)(blk + o_sum);
    s->u3 = blk + o_u3;
    s->lambda = (uint64_t *)(blk + o_lam);
    s->sp = (const uint8_t **)(blk + o_sp);
    s->ids = (uint32_t *)(blk + o_ids);
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

int hush_secagg_server_round(const hush_secagg_server *s) { return s ? s->state : HUSH_EARG; }

uint32_t hush_secagg_server_count(const hush_secagg_server *s, uint32_t round) {
    return s && round < 5 ? s->counts[round] : 0;
}

size_t hush_secagg_server_max_message(const hush_secagg_server *s) {
    if (!s) return 0;
    size_t best = 0;
    for (int dir = 0; dir < 2; dir++)
        for (int r = 0; r <= 4; r++) {
            size_t z = hush__saw_size(&s->cfg, dir, r, s->m);
            if (z > best) best = z;
        }
    return best;
}

static const uint32_t *row_of(const hush_secagg_server *s, uint32_t u) { return s->rows + (size_t)u * s->m; }
static int has(const hush_secagg_server *s, uint32_t u, int r) { return (s->sent[u] >> r) & 1; }

/* The list a client must send in round 1 (recipients) or 4 (owners) is fully determined by
 * earlier rounds; anything else is rejected before it is recorded. */
static int check_list(const hush_secagg_server *s, const hush__saw_msg *msg, uint32_t u, int r) {
    const uint32_t *row = row_of(s, u);
    uint32_t k = 0;
    for (uint32_t j = 0; j < s->m; j++) {
        uint32_t v = row[j];
        if (r == 1 ? (v == u || !has(s, v, 0)) : !has(s, v, 1)) continue;
        if (k >= msg->count || hush__saw_id(msg, k) != v) return HUSH_EFORMAT;
        if (r == 4) {
            int want = has(s, v, 2) ? HUSH__SA_KIND_B : HUSH__SA_KIND_SK;
            if (hush__saw_entry(msg, k)[0] != want) return HUSH_EFORMAT;
        }
        k++;
    }
    return k == msg->count ? HUSH_OK : HUSH_EFORMAT;
}

int hush_secagg_server_receive(hush_secagg_server *s, const uint8_t *msg, size_t len) {
    if (!s || (!msg && len)) return HUSH_EARG;
    hush__saw_msg m;
    int rc = hush__saw_decode(&m, msg, len, &s->cfg);
    if (rc) return rc;
    if (m.dir != HUSH__SAW_UP) return HUSH_EFORMAT;
    uint32_t u = m.sender;
    int r = m.round;
    if (s->state > HUSH_SECAGG_ROUND_UNMASK || r != s->state) return HUSH_ESTATE;
    if (has(s, u, r)) return HUSH_ESTATE;              /* replay or duplicate */
    if (r > 0 && !has(s, u, r - 1)) return HUSH_ESTATE; /* dropped earlier: not in U_r */
    if (r == 1 || r == 4) {
        if ((rc = check_list(s, &m, u, r)) != HUSH_OK) return rc;
    }
    switch (r) {
    case 0:
        memcpy(s->keys + (size_t)u * 128, m.c_pk, 64);
        if (m.sig) memcpy(s->keys + (size_t)u * 128 + 64, m.sig, 64);
        break;
    case 1:
        for (uint32_t i = 0; i < m.count; i++) {
            uint32_t v = hush__saw_id(&m, i);
            long slot = hush__sa_slot(row_of(s, v), s->m, u);
            memcpy(s->cts + ((size_t)v * s->m + (size_t)slot) * HUSH__SA_CTBYTES, hush__saw_entry(&m, i),
                   HUSH__SA_CTBYTES);
        }
        break;
    case 2:
        hush__saw_add_values(s->sum, &m, s->cfg.bits);
        break;
    case 3:
        if (m.sig) memcpy(s->sigs3 + (size_t)u * 64, m.sig, 64);
        break;
    default:
        for (uint32_t i = 0; i < m.count; i++) {
            uint32_t v = hush__saw_id(&m, i);
            long slot = hush__sa_slot(row_of(s, v), s->m, u);
            memcpy(s->shares + ((size_t)v * s->m + (size_t)slot) * SH, hush__saw_entry(&m, i), SH);
        }
    }
    s->sent[u] |= (uint8_t)(1u << r);
    s->counts[r]++;
    return HUSH_OK;
}

static int abort_round(hush_secagg_server *s, int rc) {
    s->state = HUSH_SECAGG_ABORTED;
    s->out_round = 0;
    sodium_memzero(s->sum, (size_t)s->cfg.dim * 4);
    sodium_memzero(s->shares, (size_t)s->cfg.n * s->m * SH);
    sodium_memzero(s->cts, (size_t)s->cfg.n * s->m * HUSH__SA_CTBYTES);
    return rc;
}

/* Reconstructs owner's secret of `kind` from the first t revealed shares. */
static int recover(hush_secagg_server *s, uint32_t owner, int kind, uint8_t secret[32]) {
    const uint32_t *row = row_of(s, owner);
    uint32_t k = 0, t = s->cfg.threshold;
    for (uint32_t j = 0; j < s->m && k < t; j++) {
        const uint8_t *e = s->shares + ((size_t)owner * s->m + j) * SH;
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
    uint8_t secret[32], seed[32], pk[32];
    int rc = HUSH_OK;
    for (uint32_t u = 0; u < n && rc == HUSH_OK; u++) {
        if (!has(s, u, 2)) continue;
        if ((rc = recover(s, u, HUSH__SA_KIND_B, secret)) == HUSH_OK)
            hush__sa_prg_add(s->sum, s->cfg.dim, bits, secret, -1);
    }
    for (uint32_t v = 0; v < n && rc == HUSH_OK; v++) {
        if (!has(s, v, 1) || has(s, v, 2)) continue; /* v in U2 \ U3 */
        if ((rc = recover(s, v, HUSH__SA_KIND_SK, secret)) != HUSH_OK) break;
        const uint8_t *v_pk = s->keys + (size_t)v * 128 + 32;
        if (crypto_scalarmult_base(pk, secret) != 0 || sodium_memcmp(pk, v_pk, 32) != 0) {
            rc = HUSH_ECRYPTO;
            break;
        }
        const uint32_t *row = row_of(s, v);
        for (uint32_t j = 0; j < s->m && rc == HUSH_OK; j++) {
            uint32_t u = row[j];
            if (u == v || !has(s, u, 2)) continue;
            const uint8_t *u_pk = s->keys + (size_t)u * 128 + 32;
            rc = hush__sa_mask_seed(seed, s->cfg.session, secret, u_pk, u < v ? u_pk : v_pk, u < v ? v_pk : u_pk);
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
        memset(s->u3, 0, ((size_t)s->cfg.n + 7) / 8);
        for (uint32_t u = 0; u < s->cfg.n; u++)
            if (has(s, u, 2)) s->u3[u / 8] |= (uint8_t)(1u << (u % 8));
    }
    s->state = r + 1;
    s->out_round = r + 1;
    s->cursor = 0;
    return HUSH_OK;
}

int hush_secagg_server_next_message(hush_secagg_server *s, uint32_t *to, uint8_t *out, size_t cap, size_t *len) {
    if (!s || !to || !len || (!out && cap)) return HUSH_EARG;
    *len = 0;
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
    size_t need = hush__saw_size(&s->cfg, HUSH__SAW_DOWN, r, count);
    *to = u;
    *len = need;
    if (cap < need) return HUSH_ERANGE;
    hush__saw_header(out, &s->cfg, HUSH__SAW_DOWN, r, HUSH_SECAGG_SERVER_ID, u, need - HUSH_SECAGG_HEADERBYTES);
    uint8_t *p = out + HUSH_SECAGG_HEADERBYTES;
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
                memcpy(p, s->cts + ((size_t)u * s->m + j) * HUSH__SA_CTBYTES, HUSH__SA_CTBYTES);
                p += HUSH__SA_CTBYTES;
            } else if (sig) {
                memcpy(p, s->sigs3 + (size_t)v * 64, 64);
                p += 64;
            }
        }
    }
    s->cursor++;
    return HUSH_OK;
}

int hush_secagg_server_result(const hush_secagg_server *s, uint32_t *sum, size_t dim, uint8_t *included, size_t n) {
    if (!s || !sum || dim != s->cfg.dim || (included && n != s->cfg.n)) return HUSH_EARG;
    if (s->state != HUSH_SECAGG_DONE) return HUSH_ESTATE;
    memcpy(sum, s->sum, dim * sizeof *sum);
    if (included)
        for (uint32_t u = 0; u < s->cfg.n; u++) included[u] = (uint8_t)has(s, u, 2);
    return HUSH_OK;
}
