/* The client: the applicant (prediction) or the data owner (training). It holds its inputs in
 * the clear, applies the model's public input standardisation, shares them (seed-compressed:
 * party 0 gets the correction words, parties 1..n-1 a 32-byte seed each, expanded under the
 * session and operation), then sums the output shares the parties send it. It never talks to
 * the dealer. */
#include <string.h>

#include <sodium.h>

#include "base/norm.h"
#include "mpc/role.h"

int hush__mpc_client_advance(hush_mpc_party *p) {
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
        size_t n = hush__mpc_rsize(p, op->dst);
        if (i == 0) {
            uint8_t seeds[(HUSH_MPC_MAX_PARTIES - 1) * HUSH_MPC_SEED_BYTES], ctx[HUSH__MPC_CONTEXT_BYTES];
            hush__mpc_context(p, ctx, (uint32_t)p->pc, HUSH_MPC_MSG_INPUT);
            int rc = hush_mpc_share_split_seeded(&p->rng, p->plain, seeds, p->n, hush__mpc_reg(p, op->dst), n, ctx,
                                                 sizeof ctx);
            for (uint32_t q = 1; q < p->n; q++) hush__mpc_seed_words(p->seeds[q], seeds + (q - 1) * HUSH_MPC_SEED_BYTES);
            sodium_memzero(seeds, sizeof seeds);
            if (rc != HUSH_OK) return rc;
        }
        hush__mpc_set_pending(p, HUSH_MPC_MSG_INPUT, i, (uint32_t)p->pc, i == 0 ? p->plain : p->seeds[i],
                              i == 0 ? n : SEED_WORDS, NULL, 0);
        return HUSH_OK;
    }
    /* every input is out: the shares and seeds are no longer needed */
    sodium_memzero(p->plain, p->lay.plain * 8);
    sodium_memzero(p->seeds, sizeof p->seeds);
    return HUSH_OK;
}

int hush__mpc_client_on_message(hush_mpc_party *p, const hush__mpc_msg *m) {
    mpc_prog *pg = &p->pg;
    if (m->kind != HUSH_MPC_MSG_OUTPUT || m->from >= p->n) return HUSH_ESTATE;
    if (m->seq >= pg->n_ops || pg->ops[m->seq].kind != OP_OUTPUT) return HUSH_ESTATE;
    if (!p->input_set || (p->out_mask[m->seq] >> m->from) & 1u) return HUSH_ESTATE;
    uint32_t r = pg->ops[m->seq].a;
    size_t n = hush__mpc_rsize(p, r);
    if (m->n_words != n) return HUSH_EFORMAT;
    uint64_t *d = hush__mpc_reg(p, r);
    int first = p->out_mask[m->seq] == 0;
    for (size_t i = 0; i < n; i++) d[i] = (first ? 0 : d[i]) + hush__mpcwire_word(m, i);
    p->out_mask[m->seq] |= 1u << m->from;
    return HUSH_OK;
}

int hush__mpc_client_done(const hush_mpc_party *p) {
    uint32_t all = (1u << p->n) - 1;
    if (!p->input_set || p->pend || p->pc < p->pg.n_ops) return 0;
    for (size_t i = 0; i < p->pg.n_ops; i++)
        if (p->pg.ops[i].kind == OP_OUTPUT && p->out_mask[i] != all) return 0;
    return 1;
}

/* Encodes n floats, standardised with the model's norm when there is one. */
static int encode_inputs(hush_mpc_party *p, uint64_t *dst, const float *src, size_t n, int standardise) {
    const float *norm = standardise ? p->model_norm : NULL;
    size_t in = p->pg.in_size;
    double v = 0;
    int rc = HUSH_OK;
    for (size_t i = 0; i < n && rc == HUSH_OK; i++) {
        size_t j = i % in;
        v = norm ? (double)hush__norm_apply(src[i], norm[j], norm[in + j]) : (double)src[i];
        rc = hush_mpc_fixed_encode(dst + i, &v, 1, p->cfg.frac_bits);
    }
    sodium_memzero(&v, sizeof v);
    return rc;
}

int hush_mpc_party_set_input(hush_mpc_party *p, const float *x, size_t x_len, const uint32_t *labels,
                             size_t labels_len, const float *params, size_t params_len) {
    if (!p || !x) return HUSH_EARG;
    if (p->role != HUSH_MPC_ROLE_CLIENT || p->input_set) return HUSH_ESTATE;
    mpc_prog *pg = &p->pg;
    if ((uint64_t)x_len != (uint64_t)pg->rows * pg->in_size) return HUSH_ESHAPE;
    int rc = HUSH_OK;
    if (pg->protocol == HUSH_MPC_TRAIN) {
        if (!labels || labels_len != pg->rows || !params) return HUSH_EARG;
        size_t np = 0;
        for (uint32_t q = 0; q < 2 * pg->n_dense; q++) np += hush__mpc_rsize(p, pg->param_reg[q]);
        if (params_len != np) return HUSH_ESHAPE;
        for (size_t i = 0; i < labels_len; i++)
            if (labels[i] > 1) return HUSH_ERANGE;
        uint64_t *yr = hush__mpc_reg(p, pg->y_reg);
        for (size_t i = 0; i < labels_len; i++) yr[i] = (uint64_t)labels[i] << p->cfg.frac_bits;
        for (uint32_t q = 0, off = 0; q < 2 * pg->n_dense && rc == HUSH_OK; q++) {
            size_t n = hush__mpc_rsize(p, pg->param_reg[q]);
            rc = encode_inputs(p, hush__mpc_reg(p, pg->param_reg[q]), params + off, n, 0);
            off += (uint32_t)n;
        }
    }
    if (rc == HUSH_OK) rc = encode_inputs(p, hush__mpc_reg(p, pg->x_reg), x, x_len, 1);
    if (rc != HUSH_OK) {
        sodium_memzero(p->arena, p->lay.arena * 8);
        return rc;
    }
    p->input_set = 1;
    p->pc = 0;
    p->cursor = 0;
    return hush__mpc_client_advance(p);
}

int hush_mpc_predict_result(const hush_mpc_party *p, uint32_t *decisions, size_t decisions_len, float *logits,
                            size_t logits_len) {
    if (!p || (!decisions && !logits)) return HUSH_EARG;
    if (p->role != HUSH_MPC_ROLE_CLIENT || p->pg.protocol != HUSH_MPC_PREDICT || !hush__mpc_client_done(p))
        return HUSH_ESTATE;
    /* the logits never left the parties unless the session opted in */
    if (logits && p->cfg.output != HUSH_MPC_OUTPUT_LOGITS) return HUSH_ESTATE;
    const mpc_prog *pg = &p->pg;
    size_t nl = (size_t)pg->rows * pg->classes;
    if ((logits && logits_len != nl) || (decisions && decisions_len != pg->rows)) return HUSH_ESHAPE;
    const uint64_t *lr = p->arena + pg->regs[pg->logits_reg].off, *ir = p->arena + pg->regs[pg->idx_reg].off;
    if (decisions)
        for (size_t i = 0; i < pg->rows; i++)
            if (ir[i] >= pg->classes) return HUSH_ENUMERIC;
    if (logits)
        for (size_t i = 0; i < nl; i++)
            logits[i] = (float)((double)hush__mpc_to_i64(lr[i]) * (1.0 / (double)((uint64_t)1 << p->cfg.frac_bits)));
    if (decisions)
        for (size_t i = 0; i < pg->rows; i++) decisions[i] = (uint32_t)ir[i];
    return HUSH_OK;
}

int hush_mpc_train_result(const hush_mpc_party *p, float *params, size_t params_len) {
    if (!p || !params) return HUSH_EARG;
    if (p->role != HUSH_MPC_ROLE_CLIENT || p->pg.protocol != HUSH_MPC_TRAIN || !hush__mpc_client_done(p))
        return HUSH_ESTATE;
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
