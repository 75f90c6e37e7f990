/* Builds the operation lists for encrypted prediction and encrypted SGD training (see prog.h).
 * Everything here is public: the same program is built by every role. */
#include <string.h>

#include "base/alloc.h"
#include "hush/mathf.h"
#include "mpc/mpc.h"
#include "mpc/prog.h"

#define NONE UINT32_MAX

/* Doubles an array, keeping the program's total allocation under the limit (HUSH_ERANGE). */
static void *grow(mpc_prog *pg, void *p, size_t *cap, size_t need, size_t elem) {
    if (need <= *cap) return p;
    uint64_t nc = *cap ? (uint64_t)*cap * 2 : 64;
    while (nc < need) nc *= 2;
    uint64_t bytes = hush__sat_add(pg->bytes - (uint64_t)*cap * elem, hush__sat_mul(nc, elem));
    if (bytes > HUSH_MPC_MAX_PARTY_BYTES) {
        pg->err = HUSH_ERANGE;
        return NULL;
    }
    void *q = hush__calloc(pg->alloc, (size_t)nc, elem);
    if (!q) {
        pg->err = HUSH_ENOMEM;
        return NULL;
    }
    if (p) {
        memcpy(q, p, *cap * elem);
        hush__mpc_free(pg->alloc, p, *cap * elem);
    }
    pg->bytes = bytes;
    *cap = (size_t)nc;
    return q;
}

/* The arena grows by rows x cols words; past the limit the program is HUSH_ERANGE. */
static int arena_add(mpc_prog *pg, uint32_t rows, uint32_t cols) {
    uint64_t words = hush__sat_add(pg->arena_words, hush__sat_mul(rows, cols));
    if (hush__sat_mul(words, 8) > HUSH_MPC_MAX_PARTY_BYTES) {
        pg->err = HUSH_ERANGE;
        return 0;
    }
    pg->arena_words = (size_t)words;
    return 1;
}

static uint32_t reg_new(mpc_prog *pg, uint32_t rows, uint32_t cols) {
    if (pg->err) return 0;
    mpc_reg *r = grow(pg, pg->regs, &pg->cap_regs, pg->n_regs + 1, sizeof *r);
    if (!r) return 0;
    pg->regs = r;
    size_t off = pg->arena_words;
    if (!arena_add(pg, rows, cols)) return 0;
    r[pg->n_regs].off = off;
    r[pg->n_regs].rows = rows;
    r[pg->n_regs].cols = cols;
    return (uint32_t)pg->n_regs++;
}

/* A view of `words` elements of register `base` starting at element `at`. */
static uint32_t reg_view(mpc_prog *pg, uint32_t base, size_t at, uint32_t rows, uint32_t cols) {
    if (pg->err) return 0;
    mpc_reg *r = grow(pg, pg->regs, &pg->cap_regs, pg->n_regs + 1, sizeof *r);
    if (!r) return 0;
    pg->regs = r;
    r[pg->n_regs].off = r[base].off + at;
    r[pg->n_regs].rows = rows;
    r[pg->n_regs].cols = cols;
    return (uint32_t)pg->n_regs++;
}

/* A register's words: under the arena limit, so it fits size_t (and uint32_t). */
static size_t reg_size(const mpc_prog *pg, uint32_t r) { return (size_t)pg->regs[r].rows * pg->regs[r].cols; }

void hush__mpc_op_sizes(const mpc_op *op, uint64_t *add, uint64_t *keys, uint64_t *open) {
    uint64_t m = op->m, k = op->k, p = op->p;
    *add = *keys = *open = 0;
    switch (op->kind) {
    case OP_MATMUL: {
        uint64_t mk = hush__sat_mul(m, k), kp = hush__sat_mul(k, p);
        *add = hush__sat_add(hush__sat_add(mk, kp), hush__sat_mul(m, p));
        *open = hush__sat_add(mk, kp);
        break;
    }
    case OP_MULE: *add = 3 * m, *open = 2 * m; break;
    case OP_TRUNC: *add = 3 * m, *open = m; break; /* r, r >> s, r >> 63 */
    case OP_LTZ:
    case OP_LTZK: *add = 2 * m, *keys = hush__sat_mul(m, HUSH__DCF_KEY_WORDS), *open = m; break;
    default: break;
    }
}

/* max = max(max, v), with v checked against the party limit (in words). */
static void track(mpc_prog *pg, size_t *max, uint64_t v) {
    if (hush__sat_mul(v, 8) > HUSH_MPC_MAX_PARTY_BYTES) {
        pg->err = HUSH_ERANGE;
        return;
    }
    if (v > *max) *max = (size_t)v;
}

static void emit(mpc_prog *pg, mpc_op op) {
    if (pg->err) return;
    mpc_op *o = grow(pg, pg->ops, &pg->cap_ops, pg->n_ops + 1, sizeof *o);
    if (!o) return;
    pg->ops = o;
    o[pg->n_ops++] = op;
    uint64_t add, keys, open;
    hush__mpc_op_sizes(&op, &add, &keys, &open);
    track(pg, &pg->max_add, add);
    track(pg, &pg->max_keys, keys);
    track(pg, &pg->max_open, open);
    if (op.kind == OP_INPUT || op.kind == OP_OUTPUT) track(pg, &pg->max_io, reg_size(pg, op.kind == OP_INPUT ? op.dst : op.a));
    if (MPC_OP_INTERACTIVE(op.kind)) pg->rounds++;
    if (op.kind == OP_TRUNC) pg->truncations += op.m;
}

static mpc_op mk(uint32_t kind, uint32_t dst, uint32_t a, uint32_t b, uint32_t m) {
    mpc_op o;
    memset(&o, 0, sizeof o);
    o.kind = kind, o.dst = dst, o.a = a, o.b = b, o.m = m;
    return o;
}

static uint32_t axpb(mpc_prog *pg, uint32_t dst, uint32_t a, uint64_t mul, uint64_t add) {
    if (pg->err) return 0;
    mpc_op o = mk(OP_AXPB, dst, a, 0, (uint32_t)reg_size(pg, a));
    o.mul = mul, o.add = add;
    emit(pg, o);
    return dst;
}

static uint32_t elementwise(mpc_prog *pg, uint32_t kind, uint32_t a, uint32_t b) {
    if (pg->err) return 0;
    uint32_t d = reg_new(pg, pg->regs[a].rows, pg->regs[a].cols);
    emit(pg, mk(kind, d, a, b, (uint32_t)reg_size(pg, a)));
    return d;
}

static uint32_t trunc_(mpc_prog *pg, uint32_t a, uint32_t shift) {
    if (pg->err) return 0;
    uint32_t d = reg_new(pg, pg->regs[a].rows, pg->regs[a].cols);
    mpc_op o = mk(OP_TRUNC, d, a, 0, (uint32_t)reg_size(pg, a));
    o.shift = shift;
    emit(pg, o);
    return d;
}

static uint32_t matmul(mpc_prog *pg, uint32_t a, uint32_t b) {
    if (pg->err) return 0;
    uint32_t m = pg->regs[a].rows, k = pg->regs[a].cols, p = pg->regs[b].cols;
    uint32_t d = reg_new(pg, m, p);
    mpc_op o = mk(OP_MATMUL, d, a, b, m);
    o.k = k, o.p = p;
    emit(pg, o);
    return d;
}

static uint32_t transpose(mpc_prog *pg, uint32_t a) {
    if (pg->err) return 0;
    uint32_t d = reg_new(pg, pg->regs[a].cols, pg->regs[a].rows);
    mpc_op o = mk(OP_TRANSPOSE, d, a, 0, pg->regs[a].rows);
    o.p = pg->regs[a].cols;
    emit(pg, o);
    return d;
}

static uint32_t col(mpc_prog *pg, uint32_t a, uint32_t j) {
    if (pg->err) return 0;
    uint32_t d = reg_new(pg, pg->regs[a].rows, 1);
    mpc_op o = mk(OP_COL, d, a, 0, pg->regs[a].rows);
    o.p = pg->regs[a].cols, o.aux = j;
    emit(pg, o);
    return d;
}

/* [x >= 0] as a ring 0/1 value, and relu(x) = x [x >= 0]. */
static uint32_t relu(mpc_prog *pg, uint32_t x, uint32_t *bit_out) {
    uint32_t s = elementwise(pg, OP_LTZ, x, 0);
    uint32_t g = axpb(pg, s, s, (uint64_t)0 - 1, 1);
    if (bit_out) *bit_out = g;
    return elementwise(pg, OP_MULE, x, g);
}

/* Piecewise-linear sigmoid: sig(k0) + sum_j slope_j relu(x - k_j), flat outside [-6, 6]. */
static uint32_t sigmoid(mpc_prog *pg, uint32_t x, uint32_t frac) {
    if (pg->err) return 0;
    uint32_t n = (uint32_t)reg_size(pg, x);
    uint32_t t = reg_new(pg, MPC_SPLINE_KNOTS, n);
    emit(pg, mk(OP_KNOTS, t, x, 0, n));
    uint32_t s = reg_new(pg, MPC_SPLINE_KNOTS, n);
    emit(pg, mk(OP_LTZK, s, x, 0, n));
    uint32_t g = axpb(pg, s, s, (uint64_t)0 - 1, 1);
    uint32_t r = elementwise(pg, OP_MULE, t, g);
    uint32_t y = reg_new(pg, pg->regs[x].rows, pg->regs[x].cols);
    emit(pg, mk(OP_SPLINE, y, r, 0, n));
    y = trunc_(pg, y, frac);
    return axpb(pg, y, y, 1, pg->sig0);
}

static void spline_tables(mpc_prog *pg, uint32_t frac) {
    double sc = (double)((uint64_t)1 << frac), prev = 0;
    for (int j = 0; j < MPC_SPLINE_KNOTS; j++) {
        double k = -6.0 + 0.5 * j;
        double s0 = 1.0 / (1.0 + hush_exp(-k)), s1 = 1.0 / (1.0 + hush_exp(-(k + 0.5)));
        double m = j + 1 < MPC_SPLINE_KNOTS ? (s1 - s0) / 0.5 : 0.0;
        int64_t kq = (int64_t)(k * sc);
        double dm = (m - prev) * sc;
        int64_t dq = (int64_t)(dm + (dm >= 0 ? 0.5 : -0.5));
        pg->knot[j] = hush__mpc_from_i64(kq);
        pg->slope[j] = hush__mpc_from_i64(dq);
        prev = m;
        if (j == 0) {
            double c = s0 * sc;
            pg->sig0 = (uint64_t)(int64_t)(c + 0.5);
        }
    }
}

static uint64_t fixed1(uint32_t frac) { return (uint64_t)1 << frac; }

static int build_predict(mpc_prog *pg, const hush_mpc_config *cfg, const hush_mpc_model *mm) {
    uint32_t f = cfg->frac_bits, B = cfg->rows;
    pg->x_reg = reg_new(pg, B, mm->in_size);
    emit(pg, mk(OP_INPUT, pg->x_reg, 0, 0, 0));
    uint32_t h = pg->x_reg, width = mm->in_size, np = 0;
    for (uint32_t l = 0; l < mm->n_layers && !pg->err; l++) {
        const hush_layer_spec *ls = &mm->layers[l];
        if (ls->kind == HUSH_LAYER_DENSE) {
            uint32_t w = reg_new(pg, width, ls->a), b = reg_new(pg, 1, ls->a);
            pg->param_reg[np++] = w;
            pg->param_reg[np++] = b;
            uint32_t z = trunc_(pg, matmul(pg, h, w), f);
            uint32_t y = reg_new(pg, B, ls->a);
            emit(pg, mk(OP_ADDROW, y, z, b, B));
            if (!pg->err) pg->ops[pg->n_ops - 1].p = ls->a;
            h = y;
            width = ls->a;
        } else if (ls->kind == HUSH_LAYER_RELU) {
            h = relu(pg, h, NULL);
        } else if (ls->kind == HUSH_LAYER_SIGMOID) {
            h = sigmoid(pg, h, f);
        } else if (ls->kind == HUSH_LAYER_TANH) {
            uint32_t x2 = reg_new(pg, B, width);
            axpb(pg, x2, h, 2, 0);
            uint32_t s = sigmoid(pg, x2, f);
            h = axpb(pg, s, s, 2, (uint64_t)0 - fixed1(f));
        } else {
            return HUSH_EUNSUPPORTED;
        }
    }
    pg->n_dense = np / 2;
    pg->logits_reg = h;
    pg->classes = width;
    /* The logits leave the parties only when the caller opted in (model extraction). */
    if (cfg->output == HUSH_MPC_OUTPUT_LOGITS) emit(pg, mk(OP_OUTPUT, 0, h, 0, 0));
    /* Secure argmax: a tournament keeping the first maximum, like hush_model_predict. */
    uint32_t cur = col(pg, h, 0);
    uint32_t idx = reg_new(pg, B, 1);
    axpb(pg, idx, cur, 0, 0);
    for (uint32_t j = 1; j < width && !pg->err; j++) {
        uint32_t zj = col(pg, h, j);
        uint32_t diff = elementwise(pg, OP_SUB, cur, zj);
        uint32_t s = elementwise(pg, OP_LTZ, diff, 0); /* 1 iff z_j > cur */
        uint32_t pack = reg_new(pg, 2 * B, 1), ss = reg_new(pg, 2 * B, 1);
        uint32_t lo = reg_view(pg, pack, 0, B, 1), hi = reg_view(pg, pack, B, B, 1);
        emit(pg, mk(OP_SUB, lo, zj, cur, B));
        axpb(pg, hi, idx, (uint64_t)0 - 1, j);
        axpb(pg, reg_view(pg, ss, 0, B, 1), s, 1, 0);
        axpb(pg, reg_view(pg, ss, B, B, 1), s, 1, 0);
        uint32_t prod = elementwise(pg, OP_MULE, pack, ss);
        emit(pg, mk(OP_ADD, cur, cur, reg_view(pg, prod, 0, B, 1), B));
        emit(pg, mk(OP_ADD, idx, idx, reg_view(pg, prod, B, B, 1), B));
    }
    pg->idx_reg = idx;
    emit(pg, mk(OP_OUTPUT, 0, idx, 0, 0));
    return pg->err;
}

/* Registers for one batch size, reused by every step of that size. */
typedef struct step_regs {
    uint32_t B, xb, yb;
} step_regs;

static int build_train(mpc_prog *pg, const hush_mpc_config *cfg, const hush_mpc_model *mm) {
    uint32_t f = cfg->frac_bits, N = cfg->rows, np = 0;
    uint32_t relu_after[HUSH_MODEL_MAX_LAYERS], dims[HUSH_MODEL_MAX_LAYERS + 1], L = 0;
    dims[0] = mm->in_size;
    for (uint32_t l = 0; l < mm->n_layers; l++) {
        const hush_layer_spec *ls = &mm->layers[l];
        if (ls->kind == HUSH_LAYER_DENSE) {
            dims[L + 1] = ls->a;
            relu_after[L++] = 0;
        } else if (ls->kind == HUSH_LAYER_RELU && L > 0 && !relu_after[L - 1]) {
            relu_after[L - 1] = 1;
        } else {
            return HUSH_EUNSUPPORTED;
        }
    }
    if (L == 0 || dims[L] != 2 || relu_after[L - 1]) return HUSH_EUNSUPPORTED;
    pg->x_reg = reg_new(pg, N, mm->in_size);
    pg->y_reg = reg_new(pg, N, 1);
    emit(pg, mk(OP_INPUT, pg->x_reg, 0, 0, 0));
    emit(pg, mk(OP_INPUT, pg->y_reg, 0, 0, 0));
    for (uint32_t l = 0; l < L; l++) {
        pg->param_reg[np] = reg_new(pg, dims[l], dims[l + 1]);
        emit(pg, mk(OP_INPUT, pg->param_reg[np++], 0, 0, 0));
        pg->param_reg[np] = reg_new(pg, 1, dims[l + 1]);
        emit(pg, mk(OP_INPUT, pg->param_reg[np++], 0, 0, 0));
    }
    pg->n_dense = L;
    pg->classes = 2;
    /* The public minibatch order: hush_model_fit_epoch's, from the "shuffle" stream. */
    hush_rng master, shuf;
    memset(&shuf, 0, sizeof shuf);
    int rc = hush_rng_init_u64(&master, cfg->shuffle_seed);
    if (rc == HUSH_OK) rc = hush_rng_derive(&shuf, &master, "shuffle");
    hush_rng_clear(&master);
    if (rc != HUSH_OK) return rc;
    uint64_t perm_bytes = hush__sat_mul(hush__sat_mul(cfg->epochs, N), sizeof *pg->perm);
    if (hush__sat_add(pg->bytes, perm_bytes) > HUSH_MPC_MAX_PARTY_BYTES) {
        hush_rng_clear(&shuf);
        return HUSH_ERANGE;
    }
    pg->perm_len = (size_t)cfg->epochs * N;
    pg->perm = hush__calloc(pg->alloc, pg->perm_len, sizeof *pg->perm);
    if (!pg->perm) {
        hush_rng_clear(&shuf);
        return HUSH_ENOMEM;
    }
    pg->bytes += perm_bytes;
    for (uint32_t e = 0; e < cfg->epochs && rc == HUSH_OK; e++) {
        uint32_t *pm = pg->perm + (size_t)e * N;
        for (uint32_t i = 0; i < N; i++) pm[i] = i;
        rc = hush_rng_shuffle_u32(&shuf, pm, N);
    }
    hush_rng_clear(&shuf);
    if (rc != HUSH_OK) return rc;
    step_regs sr[2];
    memset(sr, 0, sizeof sr);
    sr[0].B = N < cfg->batch ? N : cfg->batch;
    sr[1].B = N > cfg->batch ? N % cfg->batch : 0;
    for (int q = 0; q < 2; q++)
        if (sr[q].B) {
            sr[q].xb = reg_new(pg, sr[q].B, mm->in_size);
            sr[q].yb = reg_new(pg, sr[q].B, 1);
        }
    /* A step's temporaries die with the step, so every step reuses the same arena space. */
    size_t mark = pg->arena_words, peak = mark;
    for (uint32_t e = 0; e < cfg->epochs && !pg->err; e++) {
        for (uint32_t s = 0; s < N && !pg->err; s += cfg->batch) {
            uint32_t B = N - s < cfg->batch ? N - s : cfg->batch;
            step_regs *st = sr[0].B == B ? &sr[0] : &sr[1];
            if (pg->arena_words > peak) peak = pg->arena_words;
            pg->arena_words = mark;
            mpc_op g = mk(OP_GATHER, st->xb, pg->x_reg, 0, B);
            g.p = mm->in_size, g.aux = (uint32_t)((size_t)e * N + s);
            emit(pg, g);
            g.dst = st->yb, g.a = pg->y_reg, g.p = 1;
            emit(pg, g);
            /* Temporaries are fresh registers per step: simple, and the arena stays small
             * enough for the credit-sized models this targets. */
            uint32_t h[HUSH_MODEL_MAX_LAYERS + 1], bits[HUSH_MODEL_MAX_LAYERS];
            h[0] = st->xb;
            for (uint32_t l = 0; l < L; l++) {
                uint32_t z = trunc_(pg, matmul(pg, h[l], pg->param_reg[2 * l]), f);
                uint32_t y = reg_new(pg, B, dims[l + 1]);
                mpc_op ar = mk(OP_ADDROW, y, z, pg->param_reg[2 * l + 1], B);
                ar.p = dims[l + 1];
                emit(pg, ar);
                h[l + 1] = relu_after[l] ? relu(pg, y, &bits[l]) : y;
            }
            uint32_t d = elementwise(pg, OP_SUB, col(pg, h[L], 1), col(pg, h[L], 0));
            uint32_t p = sigmoid(pg, d, f);
            uint32_t err = elementwise(pg, OP_SUB, p, st->yb);
            uint32_t dz = reg_new(pg, B, 2);
            emit(pg, mk(OP_SOFTDELTA, dz, err, 0, B));
            /* SGD with the mean gradient: lr/B as a fixed-point constant with g extra bits. */
            double step = (double)cfg->lr / (double)B;
            uint32_t gb = 0;
            while (gb < 40 && step * (double)((uint64_t)1 << gb) < 65536.0) gb++;
            uint64_t lrq = (uint64_t)(step * (double)((uint64_t)1 << gb) + 0.5);
            for (uint32_t l = L; l-- > 0 && !pg->err;) {
                uint32_t gw = trunc_(pg, matmul(pg, transpose(pg, h[l]), dz), f);
                uint32_t gbias = reg_new(pg, 1, dims[l + 1]);
                mpc_op cs = mk(OP_COLSUM, gbias, dz, 0, B);
                cs.p = dims[l + 1];
                emit(pg, cs);
                uint32_t ndz = 0;
                if (l > 0) {
                    uint32_t dh = trunc_(pg, matmul(pg, dz, transpose(pg, pg->param_reg[2 * l])), f);
                    ndz = relu_after[l - 1] ? elementwise(pg, OP_MULE, dh, bits[l - 1]) : dh;
                }
                for (uint32_t q = 0; q < 2; q++) {
                    uint32_t g2 = q ? gbias : gw, pr = pg->param_reg[2 * l + q];
                    uint32_t u = reg_new(pg, pg->regs[g2].rows, pg->regs[g2].cols);
                    axpb(pg, u, g2, lrq, 0);
                    u = trunc_(pg, u, gb);
                    emit(pg, mk(OP_SUB, pr, pr, u, (uint32_t)reg_size(pg, pr)));
                }
                dz = ndz;
            }
        }
    }
    if (pg->arena_words < peak) pg->arena_words = peak;
    for (uint32_t q = 0; q < 2 * L; q++) emit(pg, mk(OP_OUTPUT, 0, pg->param_reg[q], 0, 0));
    return pg->err;
}

int hush__mpc_config_check(const hush_mpc_config *cfg) {
    if (!cfg || cfg->version != HUSH_MPC_CONFIG_VERSION) return HUSH_EARG;
    if (cfg->n_parties < 2 || cfg->n_parties > HUSH_MPC_MAX_PARTIES) return HUSH_EARG;
    if (cfg->frac_bits < 1 || cfg->frac_bits > HUSH_MPC_MAX_FRAC_BITS) return HUSH_EARG;
    if (cfg->rows == 0 || cfg->rows > HUSH_MODEL_MAX_BATCH * 16u) return HUSH_ERANGE;
    if (cfg->protocol == HUSH_MPC_TRAIN) {
        if (cfg->epochs == 0 || cfg->epochs > 1000 || cfg->batch == 0 || cfg->batch > HUSH_MODEL_MAX_BATCH)
            return HUSH_ERANGE;
        if (!(cfg->lr > 0.0f) || !(cfg->lr < 1e3f)) return HUSH_ERANGE;
        /* the program lists every step: keep it to about a million steps */
        if ((uint64_t)cfg->epochs * ((cfg->rows + cfg->batch - 1) / cfg->batch) > ((uint64_t)1 << 20)) return HUSH_ERANGE;
    } else if (cfg->protocol != HUSH_MPC_PREDICT) {
        return HUSH_EARG;
    } else if (cfg->output != HUSH_MPC_OUTPUT_DECISION && cfg->output != HUSH_MPC_OUTPUT_LOGITS) {
        return HUSH_EARG;
    }
    return HUSH_OK;
}

int hush_mpc_config_init(hush_mpc_config *cfg, uint32_t protocol) {
    if (!cfg) return HUSH_EARG;
    memset(cfg, 0, sizeof *cfg);
    if (protocol != HUSH_MPC_PREDICT && protocol != HUSH_MPC_TRAIN) return HUSH_EARG;
    cfg->version = HUSH_MPC_CONFIG_VERSION;
    cfg->protocol = protocol;
    cfg->n_parties = 2;
    cfg->frac_bits = HUSH_MPC_DEFAULT_FRAC_BITS;
    cfg->output = HUSH_MPC_OUTPUT_DECISION;
    cfg->rows = 1;
    cfg->epochs = 10;
    cfg->batch = 32;
    cfg->lr = 0.01f;
    cfg->shuffle_seed = 1;
    return HUSH_OK;
}

int hush__mpc_prog_build(mpc_prog *pg, const hush_mpc_config *cfg, const hush_mpc_model *mm,
                         const hush_allocator *alloc) {
    memset(pg, 0, sizeof *pg);
    pg->alloc = alloc;
    int rc = hush__mpc_config_check(cfg);
    if (rc != HUSH_OK) return rc;
    if (!mm) return HUSH_EARG;
    pg->protocol = cfg->protocol;
    pg->rows = cfg->rows;
    pg->in_size = mm->in_size;
    spline_tables(pg, cfg->frac_bits);
    rc = cfg->protocol == HUSH_MPC_PREDICT ? build_predict(pg, cfg, mm) : build_train(pg, cfg, mm);
    if (rc == HUSH_OK) rc = pg->err;
    if (rc == HUSH_OK) {
        uint64_t nb = hush__sat_mul((uint64_t)pg->n_ops + 1, sizeof *pg->next_inter);
        if (hush__sat_add(pg->bytes, nb) > HUSH_MPC_MAX_PARTY_BYTES) rc = HUSH_ERANGE;
        else if (!(pg->next_inter = hush__calloc(alloc, pg->n_ops + 1, sizeof *pg->next_inter))) rc = HUSH_ENOMEM;
        else pg->bytes += nb;
    }
    if (rc != HUSH_OK) {
        hush__mpc_prog_free(pg);
        return rc;
    }
    uint32_t nx = NONE;
    pg->next_inter[pg->n_ops] = NONE;
    for (size_t i = pg->n_ops; i-- > 0;) {
        pg->next_inter[i] = nx;
        if (MPC_OP_INTERACTIVE(pg->ops[i].kind)) nx = (uint32_t)i;
    }
    return HUSH_OK;
}

void hush__mpc_prog_free(mpc_prog *pg) {
    if (!pg) return;
    hush__mpc_free(pg->alloc, pg->ops, pg->cap_ops * sizeof *pg->ops);
    hush__mpc_free(pg->alloc, pg->regs, pg->cap_regs * sizeof *pg->regs);
    hush__mpc_free(pg->alloc, pg->perm, pg->perm_len * sizeof *pg->perm);
    hush__mpc_free(pg->alloc, pg->next_inter, (pg->n_ops + 1) * sizeof *pg->next_inter);
    memset(pg, 0, sizeof *pg);
}
