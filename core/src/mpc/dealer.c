/* The dealer (crypto provider): it holds no share and receives nothing. It walks the same
 * public program as the parties and, per interactive operation, draws the correlated
 * randomness in the clear (a Beaver triple, a truncation pair with r's top bit, comparison
 * material with DCF keys), splits it (parties 1..n-1 get a 32-byte seed, expanded under the
 * session and operation; party 0 the correction words; parties 0 and 1 the DCF keys) and emits
 * one message per party, in party order. Its plain material is overwritten by the next
 * operation's and wiped at free. */
#include <string.h>

#include <sodium.h>

#include "mpc/role.h"

static int generate(hush_mpc_party *p) {
    mpc_prog *pg = &p->pg;
    const mpc_op *op = &pg->ops[p->pc];
    uint64_t add64, keys64, open64;
    hush__mpc_op_sizes(op, &add64, &keys64, &open64);
    size_t add = (size_t)add64, m = op->m; /* within the layout checked at create */
    uint64_t *v = p->plain;
    int rc = HUSH_OK;
    switch (op->kind) {
    case OP_MATMUL: {
        size_t mk = (size_t)op->m * op->k, kp = (size_t)op->k * op->p, mp = (size_t)op->m * op->p;
        rc = hush__mpc_rng_words(&p->rng, v, mk + kp);
        memset(v + mk + kp, 0, mp * 8);
        hush__mpc_matmul_acc(v + mk + kp, v, v + mk, op->m, op->k, op->p);
        break;
    }
    case OP_MULE:
        rc = hush__mpc_rng_words(&p->rng, v, 2 * m);
        for (size_t i = 0; i < m; i++) v[2 * m + i] = v[i] * v[m + i];
        break;
    case OP_TRUNC:
        rc = hush__mpc_rng_words(&p->rng, v, m);
        for (size_t i = 0; i < m; i++) {
            v[m + i] = v[i] >> op->shift;
            v[2 * m + i] = v[i] >> 63;
        }
        break;
    case OP_LTZ:
    case OP_LTZK: rc = hush__ltz_gen(v, v + m, p->keys0, p->keys1, 1, m, &p->rng); break;
    default: return HUSH_ESTATE;
    }
    for (uint32_t i = 1; i < p->n && rc == HUSH_OK; i++) {
        uint8_t seed[HUSH_MPC_SEED_BYTES];
        rc = hush_rng_bytes(&p->rng, seed, sizeof seed);
        hush__mpc_seed_words(p->seeds[i], seed);
        sodium_memzero(seed, sizeof seed);
        if (rc == HUSH_OK) rc = hush__mpc_expand(p, p->tmp, add, p->seeds[i], (uint32_t)p->pc, HUSH_MPC_MSG_DEALER);
        for (size_t j = 0; j < add; j++) v[j] -= p->tmp[j];
    }
    sodium_memzero(p->tmp, add * 8);
    return rc;
}

/* Called whenever the pending message has been taken: the next party's message for the same
 * operation, or the first one of the next interactive operation. */
int hush__mpc_dealer_advance(hush_mpc_party *p) {
    mpc_prog *pg = &p->pg;
    if (p->pend) return HUSH_OK;
    if (p->cursor >= p->n) {
        p->pc = p->pc < pg->n_ops && pg->next_inter[p->pc] != NONE ? pg->next_inter[p->pc] : pg->n_ops;
        p->cursor = 0;
        if (p->pc < pg->n_ops) {
            int rc = generate(p);
            if (rc != HUSH_OK) return rc;
        }
    }
    if (p->pc >= pg->n_ops) {
        /* nothing more to deal: wipe the last material */
        sodium_memzero(p->plain, p->lay.plain * 8);
        sodium_memzero(p->keys0, p->lay.keys * 8);
        sodium_memzero(p->keys1, p->lay.keys * 8);
        sodium_memzero(p->seeds, sizeof p->seeds);
        return HUSH_OK;
    }
    uint64_t add, keys, open;
    hush__mpc_op_sizes(&pg->ops[p->pc], &add, &keys, &open);
    uint32_t i = p->cursor;
    const uint64_t *w1 = i == 0 ? p->plain : p->seeds[i];
    size_t n1 = i == 0 ? (size_t)add : SEED_WORDS;
    hush__mpc_set_pending(p, HUSH_MPC_MSG_DEALER, i, (uint32_t)p->pc, w1, n1, i == 0 ? p->keys0 : p->keys1,
                          i < 2 ? (size_t)keys : 0);
    return HUSH_OK;
}

int hush__mpc_dealer_start(hush_mpc_party *p) {
    mpc_prog *pg = &p->pg;
    p->pc = 0;
    while (p->pc < pg->n_ops && !MPC_OP_INTERACTIVE(pg->ops[p->pc].kind)) p->pc++;
    p->cursor = 0;
    if (p->pc < pg->n_ops) {
        int rc = generate(p);
        if (rc != HUSH_OK) return rc;
    }
    return hush__mpc_dealer_advance(p);
}
