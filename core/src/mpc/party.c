/* The compute party: it holds its shares of the model (prediction) or of everything (training)
 * and runs the program. Local operations run at once; each interactive operation takes one
 * round: wait for the dealer's material, send this party's share of the masked values to every
 * other party (never to the dealer or the client), wait for theirs, finish locally. A peer can
 * be at most one interactive operation ahead (it needs our share to finish the current one),
 * so openings accumulate in two slots: the current operation and the next one. */
#include <string.h>

#include <sodium.h>

#include "mpc/role.h"

static void exec_local(hush_mpc_party *p, const mpc_op *op) {
    const mpc_prog *pg = &p->pg;
    uint32_t me = p->role;
    uint64_t *d = hush__mpc_reg(p, op->dst);
    const uint64_t *a = hush__mpc_reg(p, op->a), *b = hush__mpc_reg(p, op->b); /* b unused by unary ops */
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
    const uint64_t *x = hush__mpc_reg(p, op->a), *mat = p->mat;
    size_t m = op->m;
    switch (op->kind) {
    case OP_MATMUL: {
        size_t mk = (size_t)op->m * op->k, kp = (size_t)op->k * op->p;
        const uint64_t *y = hush__mpc_reg(p, op->b);
        for (size_t i = 0; i < mk; i++) out[i] = x[i] - mat[i];
        for (size_t i = 0; i < kp; i++) out[mk + i] = y[i] - mat[mk + i];
        break;
    }
    case OP_MULE: {
        const uint64_t *y = hush__mpc_reg(p, op->b);
        for (size_t i = 0; i < m; i++) {
            out[i] = x[i] - mat[i];
            out[m + i] = y[i] - mat[m + i];
        }
        break;
    }
    case OP_TRUNC: { /* c = x + r + 2^62 (party 0): arguments valid by construction */
        int rc = hush_mpc_trunc_open(out, p->role, x, mat, m);
        (void)rc;
        break;
    }
    default: /* LTZ, LTZK: c = x + r */
        for (size_t i = 0; i < m; i++) out[i] = x[i] + mat[i];
        break;
    }
}

static void finish(hush_mpc_party *p, const mpc_op *op) {
    uint64_t *d = hush__mpc_reg(p, op->dst), *mat = p->mat, *acc = p->acc[0];
    uint32_t me = p->role;
    size_t m = op->m;
    int rc = HUSH_OK;
    switch (op->kind) {
    case OP_MATMUL: {
        size_t mk = (size_t)op->m * op->k, kp = (size_t)op->k * op->p;
        rc = hush_mpc_beaver_matmul_finish(d, me, acc, acc + mk, mat, mat + mk, mat + mk + kp, op->m, op->k, op->p);
        break;
    }
    case OP_MULE: rc = hush_mpc_beaver_mul_finish(d, me, acc, acc + m, mat, mat + m, mat + 2 * m, m); break;
    case OP_TRUNC: rc = hush_mpc_trunc_finish(d, me, acc, mat + m, mat + 2 * m, m, op->shift); break;
    case OP_LTZ: hush__ltz_finish(d, me, acc, mat + m, mat + p->pg.max_add, m); break;
    case OP_LTZK:
        hush__ltz_knots_finish(d, me, acc, mat + m, mat + p->pg.max_add, p->pg.knot, MPC_SPLINE_KNOTS, m);
        break;
    default: break;
    }
    (void)rc; /* arguments are valid by construction */
}

/* Clears the next operation's opening slot before any peer can write to it. */
static void clear_next_slot(hush_mpc_party *p) {
    mpc_prog *pg = &p->pg;
    size_t c = hush__mpc_cur_inter(p);
    if (c != NONE && pg->next_inter[c] != NONE) memset(p->acc[1], 0, hush__mpc_open_words(&pg->ops[pg->next_inter[c]]) * 8);
}

void hush__mpc_party_start(hush_mpc_party *p) {
    clear_next_slot(p);
    hush__mpc_party_advance(p);
}

void hush__mpc_party_advance(hush_mpc_party *p) {
    mpc_prog *pg = &p->pg;
    uint32_t all = p->n >= 32 ? ~0u : (1u << p->n) - 1;
    while (!p->pend && p->pc < pg->n_ops) {
        const mpc_op *op = &pg->ops[p->pc];
        if (op->kind == OP_INPUT) {
            if (!p->got[p->pc]) return;
            p->pc++;
        } else if (op->kind == OP_OUTPUT) {
            hush__mpc_set_pending(p, HUSH_MPC_MSG_OUTPUT, HUSH_MPC_ROLE_CLIENT, (uint32_t)p->pc, hush__mpc_reg(p, op->a),
                                  hush__mpc_rsize(p, op->a), NULL, 0);
            p->pc++;
        } else if (!MPC_OP_INTERACTIVE(op->kind)) {
            exec_local(p, op);
            p->pc++;
        } else {
            if (!p->have_dealer) return;
            size_t n = hush__mpc_open_words(op);
            if (!p->sent_own) {
                open_share(p, op, p->openbuf);
                for (size_t i = 0; i < n; i++) p->acc[0][i] += p->openbuf[i];
                p->mask[0] |= 1u << p->role;
                p->sent_own = 1;
                p->open_next = 0;
            }
            /* one message per other compute party: an opening is never addressed elsewhere */
            if (p->open_next == p->role) p->open_next++;
            if (p->open_next < p->n) {
                hush__mpc_set_pending(p, HUSH_MPC_MSG_OPEN, p->open_next++, (uint32_t)p->pc, p->openbuf, n, NULL, 0);
                return;
            }
            if (p->mask[0] != all) return;
            finish(p, op);
            p->have_dealer = p->sent_own = 0;
            sodium_memzero(p->openbuf, n * 8);
            uint64_t *t = p->acc[0];
            p->acc[0] = p->acc[1];
            p->mask[0] = p->mask[1];
            p->acc[1] = t;
            p->mask[1] = 0;
            p->pc++;
            clear_next_slot(p);
        }
    }
}

int hush__mpc_party_on_message(hush_mpc_party *p, const hush__mpc_msg *m) {
    mpc_prog *pg = &p->pg;
    uint32_t me = p->role;
    if (m->kind == HUSH_MPC_MSG_DEALER) {
        if (m->from != HUSH_MPC_ROLE_DEALER) return HUSH_ESTATE;
        if (p->pc >= pg->n_ops || m->seq != p->pc || !MPC_OP_INTERACTIVE(pg->ops[p->pc].kind) || p->have_dealer)
            return HUSH_ESTATE;
        uint64_t add, keys, open;
        hush__mpc_op_sizes(&pg->ops[p->pc], &add, &keys, &open);
        if (me > 1) keys = 0;
        uint64_t want = (me == 0 ? add : SEED_WORDS) + keys;
        if (m->n_words != want) return HUSH_EFORMAT;
        size_t k0 = 0;
        if (me == 0) {
            hush__mpcwire_words(m, p->mat, 0, (size_t)add);
            k0 = (size_t)add;
        } else {
            uint64_t s[SEED_WORDS];
            hush__mpcwire_words(m, s, 0, SEED_WORDS);
            int rc = hush__mpc_expand(p, p->mat, (size_t)add, s, m->seq, HUSH_MPC_MSG_DEALER);
            sodium_memzero(s, sizeof s);
            if (rc != HUSH_OK) return rc;
            k0 = SEED_WORDS;
        }
        hush__mpcwire_words(m, p->mat + pg->max_add, k0, (size_t)keys);
        p->have_dealer = 1;
        return HUSH_OK;
    }
    if (m->kind == HUSH_MPC_MSG_OPEN) {
        if (m->from >= p->n || m->from == me) return HUSH_ESTATE;
        size_t c = hush__mpc_cur_inter(p);
        int slot = -1;
        if (c != NONE && m->seq == c) slot = 0;
        else if (c != NONE && m->seq == pg->next_inter[c]) slot = 1;
        if (slot < 0 || (p->mask[slot] >> m->from) & 1u) return HUSH_ESTATE;
        size_t n = hush__mpc_open_words(&pg->ops[m->seq]);
        if (m->n_words != n) return HUSH_EFORMAT;
        uint64_t *acc = p->acc[slot];
        for (size_t i = 0; i < n; i++) acc[i] += hush__mpcwire_word(m, i);
        p->mask[slot] |= 1u << m->from;
        return HUSH_OK;
    }
    if (m->kind == HUSH_MPC_MSG_INPUT) {
        if (m->from != HUSH_MPC_ROLE_CLIENT) return HUSH_ESTATE;
        if (m->seq >= pg->n_ops || pg->ops[m->seq].kind != OP_INPUT || p->got[m->seq]) return HUSH_ESTATE;
        uint32_t r = pg->ops[m->seq].dst;
        size_t n = hush__mpc_rsize(p, r);
        if (m->n_words != (me == 0 ? n : SEED_WORDS)) return HUSH_EFORMAT;
        if (me == 0) {
            hush__mpcwire_words(m, hush__mpc_reg(p, r), 0, n);
        } else {
            uint64_t s[SEED_WORDS];
            hush__mpcwire_words(m, s, 0, SEED_WORDS);
            int rc = hush__mpc_expand(p, hush__mpc_reg(p, r), n, s, m->seq, HUSH_MPC_MSG_INPUT);
            sodium_memzero(s, sizeof s);
            if (rc != HUSH_OK) return rc;
        }
        p->got[m->seq] = 1;
        return HUSH_OK;
    }
    return HUSH_ESTATE;
}

uint32_t hush__mpc_party_state_of(const hush_mpc_party *p, uint32_t *seq) {
    const mpc_prog *pg = &p->pg;
    if (p->pc >= pg->n_ops) return HUSH_MPC_STATE_DONE;
    *seq = (uint32_t)p->pc;
    const mpc_op *op = &pg->ops[p->pc];
    return op->kind == OP_INPUT ? HUSH_MPC_STATE_WAIT_INPUT
           : !p->have_dealer    ? HUSH_MPC_STATE_WAIT_DEALER
                                : HUSH_MPC_STATE_WAIT_PEERS;
}
