/* MPC programs: the straight-line list of operations every role runs for one protocol
 * (prediction or training), built identically by the dealer, the client and each party from
 * public information only (architecture, shapes, schedule, shuffle seed). Values live in
 * registers (row-major u64 matrices in one arena); views are registers that share memory. */
#ifndef HUSH__MPC_PROG_H
#define HUSH__MPC_PROG_H

#include "hush/mpc.h"
#include "hush/nn.h"

enum mpc_op_kind {
    /* local */
    OP_AXPB = 1, /* dst = a * mul + add (add by party 0 only) */
    OP_ADD,      /* dst = a + b */
    OP_SUB,      /* dst = a - b */
    OP_ADDROW,   /* dst (m x p) = a + b (1 x p) broadcast */
    OP_GATHER,   /* dst (m x p) = rows perm[aux..aux+m) of a */
    OP_COLSUM,   /* dst (1 x p) = column sums of a (m x p) */
    OP_TRANSPOSE,/* dst (p x m) = a^T, a is m x p */
    OP_COL,      /* dst (m x 1) = column aux of a (m x p) */
    OP_KNOTS,    /* dst (K x m) = a - knot_j */
    OP_SPLINE,   /* dst (m) = sum_j slope_j * a[j] (a is K x m) */
    OP_SOFTDELTA,/* dst (m x 2) = [-a, a] */
    /* messages without dealer material */
    OP_INPUT,    /* dst <- client's input shares */
    OP_OUTPUT,   /* a -> client */
    /* one opening round with dealer material */
    OP_MATMUL,   /* dst (m x p) = a (m x k) b (k x p) */
    OP_MULE,     /* dst = a * b elementwise (m elements) */
    OP_TRUNC,    /* dst = a >> shift (m elements) */
    OP_LTZ,      /* dst = [a < 0] (m elements) */
    OP_LTZK      /* dst (K x m) = [a - knot_j < 0]: one opening and one key per element */
};
#define MPC_OP_INTERACTIVE(k) ((k) >= OP_MATMUL)

typedef struct mpc_op {
    uint32_t kind, dst, a, b;
    uint32_t m, k, p, shift, aux;
    uint64_t mul, add;
} mpc_op;

typedef struct mpc_reg {
    size_t off; /* < HUSH_MPC_MAX_PARTY_BYTES / 8: the arena is checked as it grows */
    uint32_t rows, cols;
} mpc_reg;

#define MPC_SPLINE_KNOTS 25

struct hush_mpc_model {
    hush_allocator alloc;
    int has_alloc;
    hush_layer_spec layers[HUSH_MODEL_MAX_LAYERS];
    uint32_t n_layers, in_size, out_size, frac_bits;
    int has_shares;
    size_t n_params;
    uint64_t *params; /* this party's shares (hush_model layout), or NULL */
    int has_norm;
    float *norm; /* shift[in], scale[in] */
};

/* Every size is in words (u64) and was checked against HUSH_MPC_MAX_PARTY_BYTES in 64-bit
 * arithmetic before it was stored, so it fits size_t even on wasm32. */
typedef struct mpc_prog {
    const hush_allocator *alloc;
    mpc_op *ops;
    size_t n_ops, cap_ops;
    mpc_reg *regs;
    size_t n_regs, cap_regs;
    size_t arena_words;
    uint32_t *perm;
    size_t perm_len;
    uint32_t *next_inter; /* per op: first interactive op at index > i, or UINT32_MAX */
    size_t max_add, max_keys, max_open, max_io;
    uint64_t bytes;       /* the program's own allocations */
    uint64_t rounds;      /* interactive operations: one opening round each */
    uint64_t truncations; /* truncated elements */
    int err;
    uint32_t protocol, n_dense, classes, rows, in_size;
    uint32_t x_reg, y_reg, logits_reg, idx_reg;
    uint32_t param_reg[2 * HUSH_MODEL_MAX_LAYERS]; /* W_l, b_l in hush_model order */
    uint64_t knot[MPC_SPLINE_KNOTS], slope[MPC_SPLINE_KNOTS], sig0;
} mpc_prog;

int hush__mpc_prog_build(mpc_prog *pg, const hush_mpc_config *cfg, const hush_mpc_model *mm,
                         const hush_allocator *alloc);
void hush__mpc_prog_free(mpc_prog *pg);
/* Per-party words of dealer material (additive part, DCF keys) and of the opening, in 64 bits. */
void hush__mpc_op_sizes(const mpc_op *op, uint64_t *add, uint64_t *keys, uint64_t *open);
int hush__mpc_config_check(const hush_mpc_config *cfg);

#endif
