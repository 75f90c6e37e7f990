/* The common shell of every MPC role (compute party, dealer, client): the handle, its buffers
 * laid out once in 64-bit checked arithmetic, its channels, and the pending outgoing message.
 * role.c owns the public entry points (create, attach, receive, next_message); party.c,
 * dealer.c and client.c hold what each role computes and what it holds. */
#ifndef HUSH__MPC_ROLE_H
#define HUSH__MPC_ROLE_H

#include "hush/channel.h"
#include "hush/mpc.h"
#include "io/mpcwire.h"
#include "mpc/mpc.h"
#include "mpc/prog.h"

#define NONE UINT32_MAX
#define SEED_WORDS (HUSH_MPC_SEED_BYTES / 8)
/* link slots: compute parties by index, then the dealer, then the client */
#define LINK_SLOTS (HUSH_MPC_MAX_PARTIES + 2)

/* Buffer sizes in words (bytes for rx/tx/ops1 arrays of bytes), all under the party limit. */
typedef struct mpc_layout {
    size_t arena, mat, open, plain, add, keys; /* words, each + 1 so nothing is empty */
    size_t ops1;                               /* n_ops + 1 */
    size_t rx;                                 /* bytes: largest message received */
    size_t tx;                                 /* bytes: largest message sent (before the channel) */
} mpc_layout;

struct hush_mpc_party {
    hush_allocator alloc;
    int has_alloc;
    hush_mpc_config cfg;
    uint32_t role, n;
    mpc_prog pg;
    mpc_layout lay;
    uint64_t *arena;
    size_t pc;
    hush_channel *link[LINK_SLOTS]; /* borrowed */
    uint8_t *rx;                    /* one decrypted message, wiped after use */
    /* compute party */
    uint64_t *mat; /* max_add additive words, then max_keys key words */
    int have_dealer, sent_own;
    uint32_t open_next; /* next party this operation's opening goes to */
    uint64_t *acc[2];
    uint32_t mask[2];
    uint64_t *openbuf;
    uint8_t *got; /* per op: input received */
    /* pending outgoing message */
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
    float *model_norm; /* client: the model's public input standardisation */
    size_t norm_len;
    uint32_t *out_mask; /* client: per op, which parties' output shares arrived */
};

static inline uint64_t *hush__mpc_reg(hush_mpc_party *p, uint32_t r) { return p->arena + p->pg.regs[r].off; }
static inline size_t hush__mpc_rsize(const hush_mpc_party *p, uint32_t r) {
    return (size_t)p->pg.regs[r].rows * p->pg.regs[r].cols;
}
/* The interactive operation the party is at or will reach next, or NONE. */
static inline size_t hush__mpc_cur_inter(const hush_mpc_party *p) {
    if (p->pc >= p->pg.n_ops) return NONE;
    return MPC_OP_INTERACTIVE(p->pg.ops[p->pc].kind) ? p->pc : p->pg.next_inter[p->pc];
}
static inline size_t hush__mpc_open_words(const mpc_op *op) {
    uint64_t add, keys, open;
    hush__mpc_op_sizes(op, &add, &keys, &open);
    return (size_t)open; /* checked against the limit when the program was built */
}

void hush__mpc_set_pending(hush_mpc_party *p, uint32_t kind, uint32_t to, uint32_t seq, const uint64_t *w1,
                           size_t n1, const uint64_t *w2, size_t n2);
/* The seed-expansion context of a message: session || le32 seq || kind. */
#define HUSH__MPC_CONTEXT_BYTES (HUSH_MPC_SESSION_BYTES + 5)
void hush__mpc_context(const hush_mpc_party *p, uint8_t ctx[HUSH__MPC_CONTEXT_BYTES], uint32_t seq, uint32_t kind);
/* Expands a seed (as little-endian words) under the context of (seq, kind). */
int hush__mpc_expand(const hush_mpc_party *p, uint64_t *out, size_t n, const uint64_t w[SEED_WORDS], uint32_t seq,
                     uint32_t kind);
void hush__mpc_seed_words(uint64_t w[SEED_WORDS], const uint8_t seed[HUSH_MPC_SEED_BYTES]);

/* compute party (party.c) */
void hush__mpc_party_start(hush_mpc_party *p);
void hush__mpc_party_advance(hush_mpc_party *p);
int hush__mpc_party_on_message(hush_mpc_party *p, const hush__mpc_msg *m);
uint32_t hush__mpc_party_state_of(const hush_mpc_party *p, uint32_t *seq);
/* dealer (dealer.c) */
int hush__mpc_dealer_start(hush_mpc_party *p);
int hush__mpc_dealer_advance(hush_mpc_party *p);
/* client (client.c) */
int hush__mpc_client_advance(hush_mpc_party *p);
int hush__mpc_client_on_message(hush_mpc_party *p, const hush__mpc_msg *m);
int hush__mpc_client_done(const hush_mpc_party *p);

/* The inner half of hush_mpc_party_receive: one decrypted message from role `from`, checked
 * and applied (or refused with the party unchanged). The channel around it is the caller's. */
int hush__mpc_party_deliver(hush_mpc_party *p, uint32_t from, const uint8_t *msg, size_t len);

/* Every link of one session (party-party with the lower index initiating, dealer-party,
 * client-party), by slot (compute parties by index, then the dealer, then the client): both
 * channel ends created with fresh identities from rng, handshaken and attached. */
typedef struct hush__mpc_link {
    uint32_t a, b;         /* slots: initiator, responder */
    hush_channel *ca, *cb; /* their ends */
} hush__mpc_link;
#define HUSH__MPC_MAX_LINKS (HUSH_MPC_MAX_PARTIES * (HUSH_MPC_MAX_PARTIES - 1) / 2 + 2 * HUSH_MPC_MAX_PARTIES)
int hush__mpc_links_open(hush__mpc_link *links, size_t *nl, hush_mpc_party *const *by_slot, uint32_t n, hush_rng *rng,
                         hush_mpc_stats *st, const hush_allocator *alloc);
void hush__mpc_links_close(hush__mpc_link *links, size_t nl, hush_mpc_party *const *by_slot, uint32_t n);

/* for the in-process driver (run.c) */
uint32_t hush__mpc_party_role(const hush_mpc_party *p);
uint32_t hush__mpc_party_parties(const hush_mpc_party *p);
const uint8_t *hush__mpc_party_session(const hush_mpc_party *p);
void hush__mpc_party_program(const hush_mpc_party *p, uint64_t *rounds, uint64_t *truncations);
void hush__mpc_party_detach_all(hush_mpc_party *p);
/* 1 if any channel is attached. */
int hush__mpc_party_linked(const hush_mpc_party *p);

#endif
