/* The per-role state machines of an MPC program (prog.h): compute party, dealer, client.
 *
 * Compute party: runs the program; local operations immediately, and each interactive
 * operation in one round: wait for the dealer's material, broadcast its share of the masked
 * values, wait for the n-1 other shares, finish locally. A peer can be at most one
 * interactive operation ahead (it needs our share to finish the current one), so openings are
 * accumulated in two slots: the current operation and the next one.
 * Dealer: walks the same program and, per interactive operation, draws the plain correlated
 * randomness, splits it (parties 1..n-1 get a 32-byte seed, party 0 the correction words) and
 * emits one message per party, in party order.
 * Client: shares its inputs the same way (seed-compressed), then sums output shares.
 * Every received message is fully validated before it changes any state. */
#include <string.h>

#include <sodium.h>

#include "base/alloc.h"
#include "base/norm.h"
#include "io/mpcwire.h"
#include "mpc/mpc.h"
#include "mpc/prog.h"

#define NONE UINT32_MAX
#define SEED_WORDS (HUSH_MPC_SEEDBYTES / 8)

struct hush_mpc_party {
    hush_allocator alloc;
    int has_alloc;
    hush_mpc_config cfg;
    uint32_t role, n;
    mpc_prog pg;
    uint64_t *arena;
    size_t arena_words;
    size_t pc;
    /* compute party */
    uint64_t *mat; /* max_add additive words, then max_keys key words */
    int have_dealer, sent_own;
    uint64_t *acc[2];
    uint32_t mask[2];
    uint64_t *openbuf;
    uint8_t *got; /* per op: input received (party) / output mask (client, as uint32 below) */
    uint32_t *out_mask;
    /* pending message */
    int pend;
    uint32_t pend_kind, pend_to, pend_seq;
    const uint64_t *pend_w1, *pend_w2;
    size_t pend_n1, pend_n2;
    /* dealer and client */
    hush_rng rng;
    uint64_t *plain, *tmp, *keys0, *keys1;
    uint64_t seeds[HUSH_MPC_MAX_PARTIES][SEED_WORDS];
    uint32_t cursor; /* next party to send to */
    int input_set;
    float *model_norm; /* client, PREDICT: the model's public input standardisation */
    size_t norm_len;
};

static const hush_allocator *A(const hush_mpc_party *p) { return p->has_alloc ? &p->alloc : NULL; }

/* Buffer sizes in words (one word of slack so no allocation is empty). */
#define SZ_ARENA(pg) ((pg)->arena_words + 1)
#define SZ_MAT(pg) ((pg)->max_add + (pg)->max_keys + 1)
#define SZ_OPEN(pg) ((pg)->max_open + 1)
#define SZ_PLAIN(pg) (((pg)->max_add > (pg)->max_io ? (pg)->max_add : (pg)->max_io) + 1)
#define SZ_ADD(pg) ((pg)->max_add + 1)
#define SZ_KEYS(pg) ((pg)->max_keys + 1)

static uint64_t *wreg(hush_mpc_party *p, uint32_t r) { return p->arena + p->pg.regs[r].off; }
static size_t rsize(const hush_mpc_party *p, uint32_t r) {
    return (size_t)p->pg.regs[r].rows * p->pg.regs[r].cols;
}

static size_t cur_inter(const hush_mpc_party *p) {
    if (p->pc >= p->pg.n_ops) return NONE;
    return MPC_OP_INTERACTIVE(p->pg.ops[p->pc].kind) ? p->pc : p->pg.next_inter[p->pc];
}

static void seed_bytes(uint8_t out[HUSH_MPC_SEEDBYTES], const uint64_t w[SEED_WORDS]) {
    for (int i = 0; i < HUSH_MPC_SEEDBYTES; i++) out[i] = (uint8_t)(w[i / 8] >> (8 * (i % 8)));
}

static int expand_words(uint64_t *out, size_t n, const uint64_t w[SEED_WORDS]) {
    uint8_t seed[HUSH_MPC_SEEDBYTES];
    seed_bytes(seed, w);
    int rc = hush_share_expand(out, n, seed);
    sodium_memzero(seed, sizeof seed);
    return rc;
}

static void set_pending(hush_mpc_party *p, uint32_t kind, uint32_t to, uint32_t seq, const uint64_t *w1, size_t n1,
                        const uint64_t *w2, size_t n2) {
    p->pend = 1;
    p->pend_kind = kind, p->pend_to = to, p->pend_seq = seq;
    p->pend_w1 = w1, p->pend_n1 = n1, p->pend_w2 = w2, p->pend_n2 = n2;
}

/* ---------------- compute party ---------------- */

static void exec_local(hush_mpc_party *p, const mpc_op *op) {
    const mpc_prog *pg = &p->pg;
    uint32_t me = p->role;
    uint64_t *d = wreg(p, op->dst);
    const uint64_t *a = wreg(p, op->a), *b = wreg(p, op->b); /* b unused by unary ops */
    size_t m = op->m, pp = op->p;
    switch (op->kind) {
    case OP_AXPB:
        for (size_t i = 0; i < m; i++) d[i] = a[i] * op->mul + (me == 0 ? op->add : 0);
        break;
    case OP_ADD:
        for (size_t i = 0; i < m; i++) d[i] = a[i] + b[i];
        break;
    case OP_SUB:
        for (size_t i = 0; i < m; i++) d[i] = a[i] - b[i];
        break;
    case OP_ADDROW:
        for (size_t i = 0; i < m; i++)
            for (size_t j = 0; j < pp; j++) d[i * pp + j] = a[i * pp + j] + b[j];
        break;
    case OP_GATHER:
        for (size_t i = 0; i < m; i++) memcpy(d + i * pp, a + (size_t)pg->perm[op->aux + i] * pp, pp * sizeof *d);
        break;
    case OP_COLSUM:
        for (size_t j = 0; j < pp; j++) {
            uint64_t s = 0;
            for (size_t i = 0; i < m; i++) s += a[i * pp + j];
            d[j] = s;
        }
        break;
    case OP_TRANSPOSE:
        for (size_t i = 0; i < m; i++)
            for (size_t j = 0; j < pp; j++) d[j * m + i] = a[i * pp + j];
        break;
    case OP_COL:
        for (size_t i = 0; i < m; i++) d[i] = a[i * pp + op->aux];
        break;
    case OP_KNOTS:
        for (size_t j = 0; j < MPC_SPLINE_KNOTS; j++)
            for (size_t i = 0; i < m; i++) d[j * m + i] = a[i] - (me == 0 ? pg->knot[j] : 0);
        break;
    case OP_SPLINE:
        for (size_t i = 0; i < m; i++) {
            uint64_t s = 0;
            for (size_t j = 0; j < MPC_SPLINE_KNOTS; j++) s += pg->slope[j] * a[j * m + i];
            d[i] = s;
        }
        break;
    case OP_SOFTDELTA:
        for (size_t i = 0; i < m; i++) {
            d[2 * i] = (uint64_t)0 - a[i];
            d[2 * i + 1] = a[i];
        }
        break;
    default: break;
    }
}

static void open_share(hush_mpc_party *p, const mpc_op *op, uint64_t *out) {
    const uint64_t *x = wreg(p, op->a), *mat = p->mat;
    size_t m = op->m;
    switch (op->kind) {
    case OP_MATMUL: {
        size_t mk = (size_t)op->m * op->k, kp = (size_t)op->k * op->p;
        const uint64_t *y = wreg(p, op->b);
        for (size_t i = 0; i < mk; i++) out[i] = x[i] - mat[i];
        for (size_t i = 0; i < kp; i++) out[mk + i] = y[i] - mat[mk + i];
        break;
    }
    case OP_MULE: {
        const uint64_t *y = wreg(p, op->b);
        for (size_t i = 0; i < m; i++) {
            out[i] = x[i] - mat[i];
            out[m + i] = y[i] - mat[m + i];
        }
        break;
    }
    default: /* TRUNC, LTZ: c = x + r */
        for (size_t i = 0; i < m; i++) out[i] = x[i] + mat[i];
        break;
    }
}

static void finish(hush_mpc_party *p, const mpc_op *op) {
    uint64_t *d = wreg(p, op->dst), *mat = p->mat, *acc = p->acc[0];
    uint32_t me = p->role;
    size_t m = op->m;
    int rc = HUSH_OK;
    switch (op->kind) {
    case OP_MATMUL: {
        size_t mk = (size_t)op->m * op->k, kp = (size_t)op->k * op->p;
        rc = hush_beaver_matmul_finish(d, me, acc, acc + mk, mat, mat + mk, mat + mk + kp, op->m, op->k, op->p);
        break;
    }
    case OP_MULE: rc = hush_beaver_mul_finish(d, me, acc, acc + m, mat, mat + m, mat + 2 * m, m); break;
    case OP_TRUNC: rc = hush_trunc_finish(d, me, acc, mat + m, m, op->shift); break;
    case OP_LTZ: hush__ltz_finish(d, me, acc, mat + m, mat + p->pg.max_add, m); break;
    case OP_LTZK:
        hush__ltz_knots_finish(d, me, acc, mat + m, mat + p->pg.max_add, p->pg.knot, MPC_SPLINE_KNOTS, m);
        break;
    default: break;
    }
    (void)rc; /* arguments are valid by construction */
}

static size_t open_words(const mpc_op *op) {
    size_t add, keys, open;
    hush__mpc_op_sizes(op, &add, &keys, &open);
    return open;
}

static void party_advance(hush_mpc_party *p) {
    mpc_prog *pg = &p->pg;
    uint32_t all = p->n >= 32 ? ~0u : (1u << p->n) - 1;
    while (!p->pend && p->pc < pg->n_ops) {
        const mpc_op *op = &pg->ops[p->pc];
        if (op->kind == OP_INPUT) {
            if (!p->got[p->pc]) return;
            p->pc++;
        } else if (op->kind == OP_OUTPUT) {
            set_pending(p, HUSH_MPC_MSG_OUTPUT, HUSH_MPC_ROLE_CLIENT, (uint32_t)p->pc, wreg(p, op->a), rsize(p, op->a),
                        NULL, 0);
            p->pc++;
        } else if (!MPC_OP_INTERACTIVE(op->kind)) {
            exec_local(p, op);
            p->pc++;
        } else {
            if (!p->have_dealer) return;
            size_t n = open_words(op);
            if (!p->sent_own) {
                open_share(p, op, p->openbuf);
                for (size_t i = 0; i < n; i++) p->acc[0][i] += p->openbuf[i];
                p->mask[0] |= 1u << p->role;
                p->sent_own = 1;
                set_pending(p, HUSH_MPC_MSG_OPEN, HUSH_MPC_BROADCAST, (uint32_t)p->pc, p->openbuf, n, NULL, 0);
                return;
            }
            if (p->mask[0] != all) return;
            finish(p, op);
            p->have_dealer = p->sent_own = 0;
            uint64_t *t = p->acc[0];
            p->acc[0] = p->acc[1];
            p->mask[0] = p->mask[1];
            p->acc[1] = t;
            p->mask[1] = 0;
            p->pc++;
            size_t c = cur_inter(p);
            if (c != NONE && pg->next_inter[c] != NONE) memset(p->acc[1], 0, open_words(&pg->ops[pg->next_inter[c]]) * 8);
        }
    }
}

static int party_receive(hush_mpc_party *p, const hush__mpc_msg *m) {
    mpc_prog *pg = &p->pg;
    uint32_t me = p->role;
    if (m->kind == HUSH_MPC_MSG_DEALER) {
        if (m->from != HUSH_MPC_ROLE_DEALER || m->to != me) return HUSH_ESTATE;
        if (p->pc >= pg->n_ops || m->seq != p->pc || !MPC_OP_INTERACTIVE(pg->ops[p->pc].kind) || p->have_dealer)
            return HUSH_ESTATE;
        size_t add, keys, open;
        hush__mpc_op_sizes(&pg->ops[p->pc], &add, &keys, &open);
        if (me > 1) keys = 0;
        size_t want = (me == 0 ? add : SEED_WORDS) + keys;
        if (m->n_words != want) return HUSH_EFORMAT;
        size_t k0 = 0;
        if (me == 0) {
            hush__mpcwire_words(m, p->mat, 0, add);
            k0 = add;
        } else {
            uint64_t s[SEED_WORDS];
            hush__mpcwire_words(m, s, 0, SEED_WORDS);
            int rc = expand_words(p->mat, add, s);
            sodium_memzero(s, sizeof s);
            if (rc != HUSH_OK) return rc;
            k0 = SEED_WORDS;
        }
        hush__mpcwire_words(m, p->mat + pg->max_add, k0, keys);
        p->have_dealer = 1;
        return HUSH_OK;
    }
    if (m->kind == HUSH_MPC_MSG_OPEN) {
        if (m->from >= p->n || m->from == me || m->to != HUSH_MPC_BROADCAST) return HUSH_ESTATE;
        size_t c = cur_inter(p);
        int slot = -1;
        if (c != NONE && m->seq == c) slot = 0;
        else if (c != NONE && m->seq == pg->next_inter[c]) slot = 1;
        if (slot < 0 || (p->mask[slot] >> m->from) & 1u) return HUSH_ESTATE;
        size_t n = open_words(&pg->ops[m->seq]);
        if (m->n_words != n) return HUSH_EFORMAT;
        uint64_t *acc = p->acc[slot];
        for (size_t i = 0; i < n; i++) acc[i] += hush__mpcwire_word(m, i);
        p->mask[slot] |= 1u << m->from;
        return HUSH_OK;
    }
    if (m->kind == HUSH_MPC_MSG_INPUT) {
        if (m->from != HUSH_MPC_ROLE_CLIENT || m->to != me) return HUSH_ESTATE;
        if (m->seq >= pg->n_ops || pg->ops[m->seq].kind != OP_INPUT || p->got[m->seq]) return HUSH_ESTATE;
        uint32_t r = pg->ops[m->seq].dst;
        size_t n = rsize(p, r);
        if (m->n_words != (me == 0 ? n : SEED_WORDS)) return HUSH_EFORMAT;
        if (me == 0) {
            hush__mpcwire_words(m, wreg(p, r), 0, n);
        } else {
            uint64_t s[SEED_WORDS];
            hush__mpcwire_words(m, s, 0, SEED_WORDS);
            int rc = expand_words(wreg(p, r), n, s);
            sodium_memzero(s, sizeof s);
            if (rc != HUSH_OK) return rc;
        }
        p->got[m->seq] = 1;
        return HUSH_OK;
    }
    return HUSH_ESTATE;
}

/* ---------------- dealer ---------------- */

static int dealer_generate(hush_mpc_party *p) {
    mpc_prog *pg = &p->pg;
    const mpc_op *op = &pg->ops[p->pc];
    size_t add, keys, open, m = op->m;
    hush__mpc_op_sizes(op, &add, &keys, &open);
    uint64_t *v = p->plain;
    int rc = HUSH_OK;
    switch (op->kind) {
    case OP_MATMUL: {
        size_t mk = (size_t)op->m * op->k, kp = (size_t)op->k * op->p, mp = (size_t)op->m * op->p;
        hush__mpc_rng_words(&p->rng, v, mk + kp);
        memset(v + mk + kp, 0, mp * 8);
        hush__mpc_matmul_acc(v + mk + kp, v, v + mk, op->m, op->k, op->p);
        break;
    }
    case OP_MULE:
        hush__mpc_rng_words(&p->rng, v, 2 * m);
        for (size_t i = 0; i < m; i++) v[2 * m + i] = v[i] * v[m + i];
        break;
    case OP_TRUNC:
        hush__mpc_rng_words(&p->rng, v, m);
        for (size_t i = 0; i < m; i++) v[m + i] = v[i] >> op->shift;
        break;
    case OP_LTZ:
    case OP_LTZK: rc = hush__ltz_gen(v, v + m, p->keys0, p->keys1, 1, m, &p->rng); break;
    default: return HUSH_ESTATE;
    }
    if (rc != HUSH_OK) return rc;
    for (uint32_t i = 1; i < p->n && rc == HUSH_OK; i++) {
        uint8_t seed[HUSH_MPC_SEEDBYTES];
        rc = hush_rng_bytes(&p->rng, seed, sizeof seed);
        for (int w = 0; w < SEED_WORDS; w++) {
            uint64_t x = 0;
            for (int b = 7; b >= 0; b--) x = x << 8 | seed[8 * w + b];
            p->seeds[i][w] = x;
        }
        sodium_memzero(seed, sizeof seed);
        if (rc == HUSH_OK) rc = expand_words(p->tmp, add, p->seeds[i]);
        for (size_t j = 0; j < add; j++) v[j] -= p->tmp[j];
    }
    return rc;
}

/* Called whenever the pending message has been taken: the next party's message for the same
 * operation, or the first one of the next interactive operation. */
static int dealer_advance(hush_mpc_party *p) {
    mpc_prog *pg = &p->pg;
    if (p->pend) return HUSH_OK;
    if (p->cursor >= p->n) {
        p->pc = p->pc < pg->n_ops && pg->next_inter[p->pc] != NONE ? pg->next_inter[p->pc] : pg->n_ops;
        p->cursor = 0;
        if (p->pc < pg->n_ops) {
            int rc = dealer_generate(p);
            if (rc != HUSH_OK) return rc;
        }
    }
    if (p->pc >= pg->n_ops) return HUSH_OK;
    size_t add, keys, open;
    hush__mpc_op_sizes(&pg->ops[p->pc], &add, &keys, &open);
    uint32_t i = p->cursor;
    const uint64_t *w1 = i == 0 ? p->plain : p->seeds[i];
    size_t n1 = i == 0 ? add : SEED_WORDS;
    set_pending(p, HUSH_MPC_MSG_DEALER, i, (uint32_t)p->pc, w1, n1, i == 0 ? p->keys0 : p->keys1, i < 2 ? keys : 0);
    return HUSH_OK;
}

/* ---------------- client ---------------- */

static int client_advance(hush_mpc_party *p) {
    mpc_prog *pg = &p->pg;
    if (p->pend || !p->input_set) return HUSH_OK;
    while (p->pc < pg->n_ops) {
        const mpc_op *op = &pg->ops[p->pc];
        if (op->kind != OP_INPUT || p->cursor >= p->n) {
            p->pc++;
            p->cursor = 0;
            continue;
        }
        uint32_t i = p->cursor;
        size_t n = rsize(p, op->dst);
        if (i == 0) {
            uint8_t seeds[(HUSH_MPC_MAX_PARTIES - 1) * HUSH_MPC_SEEDBYTES];
            int rc = hush_share_split_seeded(p->plain, seeds, p->n, wreg(p, op->dst), n, &p->rng);
            for (uint32_t q = 1; q < p->n; q++)
                for (int w = 0; w < SEED_WORDS; w++) {
                    uint64_t x = 0;
                    for (int b = 7; b >= 0; b--) x = x << 8 | seeds[(q - 1) * HUSH_MPC_SEEDBYTES + 8 * w + b];
                    p->seeds[q][w] = x;
                }
            sodium_memzero(seeds, sizeof seeds);
            if (rc != HUSH_OK) return rc;
        }
        set_pending(p, HUSH_MPC_MSG_INPUT, i, (uint32_t)p->pc, i == 0 ? p->plain : p->seeds[i], i == 0 ? n : SEED_WORDS,
                    NULL, 0);
        return HUSH_OK;
    }
    return HUSH_OK;
}

static int client_receive(hush_mpc_party *p, const hush__mpc_msg *m) {
    mpc_prog *pg = &p->pg;
    if (m->kind != HUSH_MPC_MSG_OUTPUT || m->to != HUSH_MPC_ROLE_CLIENT || m->from >= p->n) return HUSH_ESTATE;
    if (m->seq >= pg->n_ops || pg->ops[m->seq].kind != OP_OUTPUT) return HUSH_ESTATE;
    if (!p->input_set || (p->out_mask[m->seq] >> m->from) & 1u) return HUSH_ESTATE;
    uint32_t r = pg->ops[m->seq].a;
    size_t n = rsize(p, r);
    if (m->n_words != n) return HUSH_EFORMAT;
    uint64_t *d = wreg(p, r);
    int first = p->out_mask[m->seq] == 0;
    for (size_t i = 0; i < n; i++) d[i] = (first ? 0 : d[i]) + hush__mpcwire_word(m, i);
    p->out_mask[m->seq] |= 1u << m->from;
    return HUSH_OK;
}

static int client_done(const hush_mpc_party *p) {
    uint32_t all = (1u << p->n) - 1;
    if (!p->input_set || p->pend || p->pc < p->pg.n_ops) return 0;
    for (size_t i = 0; i < p->pg.n_ops; i++)
        if (p->pg.ops[i].kind == OP_OUTPUT && p->out_mask[i] != all) return 0;
    return 1;
}

/* ---------------- public API ---------------- */

void hush_mpc_config_default(hush_mpc_config *cfg, uint32_t protocol) {
    if (!cfg) return;
    memset(cfg, 0, sizeof *cfg);
    cfg->protocol = protocol;
    cfg->n_parties = 2;
    cfg->frac_bits = HUSH_MPC_DEFAULT_FRAC_BITS;
    cfg->rows = 1;
    cfg->epochs = 10;
    cfg->batch = 32;
    cfg->lr = 0.01f;
    cfg->shuffle_seed = 1;
}

void hush_mpc_party_free(hush_mpc_party *p) {
    if (!p) return;
    /* a copy: the handle (which holds the allocator) is wiped before it is freed */
    hush_allocator acopy = p->alloc;
    const hush_allocator *a = p->has_alloc ? &acopy : NULL;
    mpc_prog *pg = &p->pg;
    uint64_t **wipe[] = {&p->arena, &p->mat, &p->acc[0], &p->acc[1], &p->openbuf, &p->plain, &p->tmp, &p->keys0, &p->keys1};
    size_t sizes[] = {SZ_ARENA(pg), SZ_MAT(pg), SZ_OPEN(pg), SZ_OPEN(pg), SZ_OPEN(pg), SZ_PLAIN(pg), SZ_ADD(pg), SZ_KEYS(pg), SZ_KEYS(pg)};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        if (!*wipe[i]) continue;
        sodium_memzero(*wipe[i], sizes[i] * 8);
        hush__free(a, *wipe[i], sizes[i] * 8);
    }
    hush__free(a, p->got, pg->n_ops + 1);
    hush__free(a, p->model_norm, p->norm_len * sizeof *p->model_norm);
    hush__free(a, p->out_mask, (pg->n_ops + 1) * sizeof *p->out_mask);
    hush__mpc_prog_free(pg);
    hush_rng_clear(&p->rng);
    sodium_memzero(p, sizeof *p);
    hush__free(a, p, sizeof *p);
}

int hush_mpc_party_create(hush_mpc_party **out, const hush_mpc_config *cfg, uint32_t role, const hush_mpc_model *mm,
                          hush_rng *rng, const hush_allocator *alloc) {
    if (!hush__alloc_ok(alloc)) return HUSH_EARG;
    if (!out) return HUSH_EARG;
    *out = NULL;
    int rc = hush_init();
    if (rc != HUSH_OK) return rc;
    if (!mm || (rc = hush__mpc_config_check(cfg)) != HUSH_OK) return rc ? rc : HUSH_EARG;
    if (role >= cfg->n_parties && role != HUSH_MPC_ROLE_DEALER && role != HUSH_MPC_ROLE_CLIENT) return HUSH_EARG;
    int party = role < cfg->n_parties;
    if (cfg->protocol == HUSH_MPC_PREDICT && party && !mm->has_shares) return HUSH_EARG;
    if (mm->frac_bits && mm->has_shares && mm->frac_bits != cfg->frac_bits) return HUSH_EARG;
    hush_mpc_party *p = hush__calloc(alloc, 1, sizeof *p);
    if (!p) return HUSH_ENOMEM;
    if (alloc) p->alloc = *alloc, p->has_alloc = 1;
    const hush_allocator *a = A(p);
    p->cfg = *cfg;
    p->role = role;
    p->n = cfg->n_parties;
    rc = hush__mpc_prog_build(&p->pg, cfg, mm, a);
    if (rc != HUSH_OK) {
        hush__free(a, p, sizeof *p);
        return rc;
    }
    mpc_prog *pg = &p->pg;
    if (role != HUSH_MPC_ROLE_DEALER) {
        p->arena_words = pg->arena_words;
        p->arena = hush__calloc(a, SZ_ARENA(pg), 8);
        if (!p->arena) rc = HUSH_ENOMEM;
    }
    if (rc == HUSH_OK && party) {
        p->mat = hush__calloc(a, SZ_MAT(pg), 8);
        p->acc[0] = hush__calloc(a, SZ_OPEN(pg), 8);
        p->acc[1] = hush__calloc(a, SZ_OPEN(pg), 8);
        p->openbuf = hush__calloc(a, SZ_OPEN(pg), 8);
        p->got = hush__calloc(a, pg->n_ops + 1, 1);
        if (!p->mat || !p->acc[0] || !p->acc[1] || !p->openbuf || !p->got) rc = HUSH_ENOMEM;
    }
    if (rc == HUSH_OK && !party) {
        p->plain = hush__calloc(a, SZ_PLAIN(pg), 8);
        if (!p->plain) rc = HUSH_ENOMEM;
        if (rc == HUSH_OK && role == HUSH_MPC_ROLE_DEALER) {
            p->tmp = hush__calloc(a, SZ_ADD(pg), 8);
            p->keys0 = hush__calloc(a, SZ_KEYS(pg), 8);
            p->keys1 = hush__calloc(a, SZ_KEYS(pg), 8);
            if (!p->tmp || !p->keys0 || !p->keys1) rc = HUSH_ENOMEM;
        }
        if (rc == HUSH_OK && role == HUSH_MPC_ROLE_CLIENT) {
            p->out_mask = hush__calloc(a, pg->n_ops + 1, sizeof *p->out_mask);
            if (!p->out_mask) rc = HUSH_ENOMEM;
            if (rc == HUSH_OK && cfg->protocol == HUSH_MPC_PREDICT && mm->has_norm) {
                p->model_norm = hush__calloc(a, 2 * (size_t)mm->in_size, sizeof *p->model_norm);
                if (!p->model_norm) rc = HUSH_ENOMEM;
                else {
                    p->norm_len = 2 * (size_t)mm->in_size;
                    memcpy(p->model_norm, mm->norm, p->norm_len * sizeof *p->model_norm);
                }
            }
        }
        if (rc == HUSH_OK) {
            uint8_t seed[HUSH_RNG_SEEDBYTES];
            rc = rng ? hush_rng_bytes(rng, seed, sizeof seed) : HUSH_OK;
            if (rc == HUSH_OK) rc = rng ? hush_rng_init(&p->rng, seed) : hush_rng_init_random(&p->rng);
            sodium_memzero(seed, sizeof seed);
        }
    }
    if (rc == HUSH_OK && party && cfg->protocol == HUSH_MPC_PREDICT) {
        size_t off = 0;
        for (uint32_t q = 0; q < 2 * pg->n_dense; q++) {
            size_t n = rsize(p, pg->param_reg[q]);
            if (off + n > mm->n_params) {
                rc = HUSH_ESHAPE;
                break;
            }
            memcpy(wreg(p, pg->param_reg[q]), mm->params + off, n * 8);
            off += n;
        }
        if (rc == HUSH_OK && off != mm->n_params) rc = HUSH_ESHAPE;
    }
    if (rc != HUSH_OK) {
        hush_mpc_party_free(p);
        return rc;
    }
    if (role == HUSH_MPC_ROLE_DEALER) {
        p->pc = 0;
        while (p->pc < pg->n_ops && !MPC_OP_INTERACTIVE(pg->ops[p->pc].kind)) p->pc++;
        p->cursor = 0;
        if (p->pc < pg->n_ops) rc = dealer_generate(p);
        if (rc == HUSH_OK) rc = dealer_advance(p);
        if (rc != HUSH_OK) {
            hush_mpc_party_free(p);
            return rc;
        }
    } else if (party) {
        size_t c = cur_inter(p);
        if (c != NONE && pg->next_inter[c] != NONE) memset(p->acc[1], 0, open_words(&pg->ops[pg->next_inter[c]]) * 8);
        party_advance(p);
    }
    *out = p;
    return HUSH_OK;
}

uint32_t hush_mpc_party_state(const hush_mpc_party *p, uint32_t *seq) {
    uint32_t sq = 0, st;
    if (!p) return 0;
    const mpc_prog *pg = &p->pg;
    if (p->pend) {
        st = HUSH_MPC_STATE_SEND, sq = p->pend_seq;
    } else if (p->role == HUSH_MPC_ROLE_DEALER) {
        st = HUSH_MPC_STATE_DONE;
    } else if (p->role == HUSH_MPC_ROLE_CLIENT) {
        st = !p->input_set ? HUSH_MPC_STATE_WAIT_INPUT : client_done(p) ? HUSH_MPC_STATE_DONE : HUSH_MPC_STATE_WAIT_OUTPUT;
    } else if (p->pc >= pg->n_ops) {
        st = HUSH_MPC_STATE_DONE;
    } else {
        sq = (uint32_t)p->pc;
        const mpc_op *op = &pg->ops[p->pc];
        st = op->kind == OP_INPUT ? HUSH_MPC_STATE_WAIT_INPUT
             : !p->have_dealer    ? HUSH_MPC_STATE_WAIT_DEALER
                                  : HUSH_MPC_STATE_WAIT_PEERS;
    }
    if (seq) *seq = sq;
    return st;
}

size_t hush_mpc_party_message_bound(const hush_mpc_party *p) {
    if (!p) return 0;
    const mpc_prog *pg = &p->pg;
    size_t w = pg->max_add + pg->max_keys + SEED_WORDS;
    if (pg->max_open > w) w = pg->max_open;
    if (pg->max_io + SEED_WORDS > w) w = pg->max_io + SEED_WORDS;
    return hush__mpcwire_size(w);
}

int hush_mpc_party_receive(hush_mpc_party *p, const uint8_t *msg, size_t len) {
    if (!p || (!msg && len)) return HUSH_EARG;
    hush__mpc_msg m;
    int rc = hush__mpcwire_decode(&m, msg, len);
    if (rc != HUSH_OK) return rc;
    if (m.session != p->cfg.session) return HUSH_ESTATE;
    if (p->role == HUSH_MPC_ROLE_DEALER) return HUSH_ESTATE;
    if (p->role == HUSH_MPC_ROLE_CLIENT) return client_receive(p, &m);
    rc = party_receive(p, &m);
    if (rc == HUSH_OK) party_advance(p);
    return rc;
}

int hush_mpc_party_next_message(hush_mpc_party *p, uint8_t *out, size_t cap, size_t *written) {
    if (!p || !written) return HUSH_EARG;
    *written = 0;
    if (!p->pend) return HUSH_OK;
    size_t n = p->pend_n1 + p->pend_n2, size = hush__mpcwire_size(n);
    if (!out || cap < size) {
        *written = size;
        return HUSH_ERANGE;
    }
    uint32_t from = p->role;
    int rc = hush__mpcwire_header(out, cap, p->pend_kind, from, p->pend_to, p->cfg.session, p->pend_seq, n);
    if (rc != HUSH_OK) return rc;
    hush__mpcwire_put(out + HUSH_MPC_HEADER_BYTES, 0, p->pend_w1, p->pend_n1);
    hush__mpcwire_put(out + HUSH_MPC_HEADER_BYTES, p->pend_n1, p->pend_w2, p->pend_n2);
    *written = size;
    p->pend = 0;
    if (p->role == HUSH_MPC_ROLE_DEALER) {
        p->cursor++;
        return dealer_advance(p);
    }
    if (p->role == HUSH_MPC_ROLE_CLIENT) {
        p->cursor++;
        return client_advance(p);
    }
    party_advance(p);
    return HUSH_OK;
}

static int encode_floats(uint64_t *dst, const float *src, size_t n, uint32_t frac) {
    for (size_t i = 0; i < n; i++) {
        double v = (double)src[i];
        int rc = hush_fixed_encode(dst + i, &v, 1, frac);
        if (rc != HUSH_OK) return rc;
    }
    return HUSH_OK;
}

int hush_mpc_party_set_input(hush_mpc_party *p, const float *x, size_t x_len, const uint32_t *labels,
                             size_t labels_len, const float *params, size_t params_len) {
    if (!p || !x) return HUSH_EARG;
    if (p->role != HUSH_MPC_ROLE_CLIENT || p->input_set) return HUSH_ESTATE;
    mpc_prog *pg = &p->pg;
    uint32_t f = p->cfg.frac_bits;
    if (x_len != (size_t)pg->rows * pg->in_size) return HUSH_ESHAPE;
    uint64_t *xr = wreg(p, pg->x_reg);
    int rc = HUSH_OK;
    if (pg->protocol == HUSH_MPC_PREDICT) {
        const float *norm = p->model_norm;
        for (size_t i = 0; i < x_len && rc == HUSH_OK; i++) {
            size_t j = i % pg->in_size;
            float v = norm ? hush__norm_apply(x[i], norm[j], norm[pg->in_size + j]) : x[i];
            rc = encode_floats(xr + i, &v, 1, f);
        }
    } else {
        if (!labels || labels_len != pg->rows || !params) return HUSH_EARG;
        size_t np = 0;
        for (uint32_t q = 0; q < 2 * pg->n_dense; q++) np += rsize(p, pg->param_reg[q]);
        if (params_len != np) return HUSH_ESHAPE;
        for (size_t i = 0; i < labels_len; i++)
            if (labels[i] > 1) return HUSH_ERANGE;
        rc = encode_floats(xr, x, x_len, f);
        uint64_t *yr = wreg(p, pg->y_reg);
        for (size_t i = 0; i < labels_len; i++) yr[i] = (uint64_t)labels[i] << f;
        size_t off = 0;
        for (uint32_t q = 0; q < 2 * pg->n_dense && rc == HUSH_OK; q++) {
            size_t n = rsize(p, pg->param_reg[q]);
            rc = encode_floats(wreg(p, pg->param_reg[q]), params + off, n, f);
            off += n;
        }
    }
    if (rc != HUSH_OK) {
        sodium_memzero(p->arena, SZ_ARENA(pg) * 8);
        return rc;
    }
    p->input_set = 1;
    p->pc = 0;
    p->cursor = 0;
    return client_advance(p);
}

int hush_mpc_predict_result(const hush_mpc_party *p, float *logits, size_t logits_len, uint32_t *decisions,
                            size_t decisions_len) {
    if (!p) return HUSH_EARG;
    if (p->role != HUSH_MPC_ROLE_CLIENT || p->pg.protocol != HUSH_MPC_PREDICT || !client_done(p)) return HUSH_ESTATE;
    const mpc_prog *pg = &p->pg;
    size_t nl = (size_t)pg->rows * pg->classes;
    if ((logits && logits_len != nl) || (decisions && decisions_len != pg->rows)) return HUSH_ESHAPE;
    const uint64_t *lr = p->arena + pg->regs[pg->logits_reg].off, *ir = p->arena + pg->regs[pg->idx_reg].off;
    if (logits)
        for (size_t i = 0; i < nl; i++) {
            logits[i] = (float)((double)hush__mpc_to_i64(lr[i]) * (1.0 / (double)((uint64_t)1 << p->cfg.frac_bits)));
        }
    if (decisions)
        for (size_t i = 0; i < pg->rows; i++) {
            if (ir[i] >= pg->classes) return HUSH_ENUMERIC;
            decisions[i] = (uint32_t)ir[i];
        }
    return HUSH_OK;
}

int hush_mpc_train_result(const hush_mpc_party *p, float *params, size_t params_len) {
    if (!p || !params) return HUSH_EARG;
    if (p->role != HUSH_MPC_ROLE_CLIENT || p->pg.protocol != HUSH_MPC_TRAIN || !client_done(p)) return HUSH_ESTATE;
    const mpc_prog *pg = &p->pg;
    size_t off = 0;
    for (uint32_t q = 0; q < 2 * pg->n_dense; q++) off += (size_t)pg->regs[pg->param_reg[q]].rows * pg->regs[pg->param_reg[q]].cols;
    if (params_len != off) return HUSH_ESHAPE;
    off = 0;
    for (uint32_t q = 0; q < 2 * pg->n_dense; q++) {
        const mpc_reg *r = &pg->regs[pg->param_reg[q]];
        for (size_t i = 0; i < (size_t)r->rows * r->cols; i++) {
            double v = (double)hush__mpc_to_i64(p->arena[r->off + i]) / (double)((uint64_t)1 << p->cfg.frac_bits);
            params[off++] = (float)v;
        }
    }
    return HUSH_OK;
}

void hush__mpc_party_info(const hush_mpc_party *p, uint32_t *role, uint32_t *n_parties, uint32_t *session) {
    *role = p->role, *n_parties = p->n, *session = p->cfg.session;
}
