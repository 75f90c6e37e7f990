/* The public entry points of the MPC state machines (hush/mpc.h): creating a role with every
 * buffer laid out once, linking it to its peers through channels, and moving its messages in
 * and out of channel records. What each role computes lives in party.c, dealer.c, client.c.
 *
 * Receiving is two-step: the record is authenticated and decrypted without consuming it, the
 * message inside is checked completely against the state, and only an accepted message
 * consumes the record. So a refused message (even an authentic one that is merely early)
 * leaves both the role and its channel as they were. */
#include <string.h>

#include <sodium.h>

#include "base/alloc.h"
#include "channel/channel.h"
#include "mpc/role.h"

static const hush_allocator *A(const hush_mpc_party *p) { return p->has_alloc ? &p->alloc : NULL; }

void hush__mpc_set_pending(hush_mpc_party *p, uint32_t kind, uint32_t to, uint32_t seq, const uint64_t *w1,
                           size_t n1, const uint64_t *w2, size_t n2) {
    p->pend = 1;
    p->pend_kind = kind, p->pend_to = to, p->pend_seq = seq;
    p->pend_w1 = w1, p->pend_n1 = n1, p->pend_w2 = w2, p->pend_n2 = n2;
}

void hush__mpc_context(const hush_mpc_party *p, uint8_t ctx[HUSH__MPC_CONTEXT_BYTES], uint32_t seq, uint32_t kind) {
    memcpy(ctx, p->cfg.session, HUSH_MPC_SESSION_BYTES);
    for (int i = 0; i < 4; i++) ctx[HUSH_MPC_SESSION_BYTES + i] = (uint8_t)(seq >> (8 * i));
    ctx[HUSH_MPC_SESSION_BYTES + 4] = (uint8_t)kind;
}

void hush__mpc_seed_words(uint64_t w[SEED_WORDS], const uint8_t seed[HUSH_MPC_SEED_BYTES]) {
    for (int k = 0; k < SEED_WORDS; k++) {
        uint64_t x = 0;
        for (int b = 7; b >= 0; b--) x = x << 8 | seed[8 * k + b];
        w[k] = x;
    }
}

int hush__mpc_expand(const hush_mpc_party *p, uint64_t *out, size_t n, const uint64_t w[SEED_WORDS], uint32_t seq,
                     uint32_t kind) {
    uint8_t seed[HUSH_MPC_SEED_BYTES], ctx[HUSH__MPC_CONTEXT_BYTES];
    for (int i = 0; i < HUSH_MPC_SEED_BYTES; i++) seed[i] = (uint8_t)(w[i / 8] >> (8 * (i % 8)));
    hush__mpc_context(p, ctx, seq, kind);
    int rc = hush_mpc_share_expand(out, n, seed, ctx, sizeof ctx);
    sodium_memzero(seed, sizeof seed);
    return rc;
}

/* ---------------- layout ---------------- */

/* Words + 1 (no buffer is empty), counted into *total bytes; 0 when over the limit. */
static size_t words(uint64_t *total, uint64_t w) {
    w = hush__sat_add(w, 1);
    *total = hush__sat_add(*total, hush__sat_mul(w, 8));
    return *total > HUSH_MPC_MAX_PARTY_BYTES ? 0 : (size_t)w;
}
static size_t bytes(uint64_t *total, uint64_t b) {
    *total = hush__sat_add(*total, b);
    return *total > HUSH_MPC_MAX_PARTY_BYTES ? 0 : (size_t)b;
}

/* Every buffer of the role, in 64-bit arithmetic: HUSH_ERANGE if they would exceed
 * HUSH_MPC_MAX_PARTY_BYTES together with the program. */
static int layout(mpc_layout *l, const mpc_prog *pg, uint32_t role, uint32_t n) {
    memset(l, 0, sizeof *l);
    uint64_t total = pg->bytes;
    int party = role < n, dealer = role == HUSH_MPC_ROLE_DEALER;
    uint64_t add = pg->max_add, keys = pg->max_keys, open = pg->max_open, io = pg->max_io;
    uint64_t hdr = HUSH_MPC_HEADER_BYTES;
    /* message payloads in words: dealer -> party, opening, input share, output share */
    uint64_t dealer_w = hush__sat_add(hush__sat_add(add, keys), SEED_WORDS), input_w = hush__sat_add(io, SEED_WORDS);
    uint64_t rx_w = 0, tx_w = 0;
    if (party) {
        rx_w = dealer_w > open ? dealer_w : open;
        if (input_w > rx_w) rx_w = input_w;
        tx_w = open > io ? open : io;
    } else if (dealer) {
        tx_w = dealer_w;
    } else {
        rx_w = io;
        tx_w = input_w;
    }
    l->ops1 = (size_t)pg->n_ops + 1; /* n_ops is bounded by the program's own allocation */
    if (!dealer) l->arena = words(&total, pg->arena_words);
    if (party) {
        l->mat = words(&total, hush__sat_add(add, keys));
        for (int i = 0; i < 3; i++) l->open = words(&total, open); /* acc[0], acc[1], openbuf */
        bytes(&total, l->ops1);
    } else {
        l->plain = words(&total, add > io ? add : io);
        if (dealer) {
            l->add = words(&total, add);
            for (int i = 0; i < 2; i++) l->keys = words(&total, keys); /* keys0, keys1 */
        } else {
            bytes(&total, hush__sat_mul(l->ops1, sizeof(uint32_t)));
        }
    }
    if (!dealer) l->rx = bytes(&total, hush__sat_add(hdr, hush__sat_mul(rx_w, 8)));
    uint64_t tx = hush__sat_add(hdr, hush__sat_mul(tx_w, 8));
    if (total > HUSH_MPC_MAX_PARTY_BYTES || tx > HUSH_MPC_MAX_PARTY_BYTES) return HUSH_ERANGE;
    l->tx = (size_t)tx;
    return HUSH_OK;
}

/* ---------------- create / free ---------------- */

void hush_mpc_party_free(hush_mpc_party *p) {
    if (!p) return;
    /* a copy: the handle (which holds the allocator) is wiped before it is freed */
    hush_allocator acopy = p->alloc;
    const hush_allocator *a = p->has_alloc ? &acopy : NULL;
    const mpc_layout *l = &p->lay;
    hush__mpc_free(a, p->arena, l->arena * 8);
    hush__mpc_free(a, p->mat, l->mat * 8);
    hush__mpc_free(a, p->acc[0], l->open * 8);
    hush__mpc_free(a, p->acc[1], l->open * 8);
    hush__mpc_free(a, p->openbuf, l->open * 8);
    hush__mpc_free(a, p->plain, l->plain * 8);
    hush__mpc_free(a, p->tmp, l->add * 8);
    hush__mpc_free(a, p->keys0, l->keys * 8);
    hush__mpc_free(a, p->keys1, l->keys * 8);
    hush__mpc_free(a, p->got, l->ops1);
    hush__mpc_free(a, p->out_mask, l->ops1 * sizeof *p->out_mask);
    hush__mpc_free(a, p->rx, l->rx);
    hush__mpc_free(a, p->model_norm, p->norm_len * sizeof *p->model_norm);
    hush__mpc_prog_free(&p->pg);
    hush_rng_clear(&p->rng);
    sodium_memzero(p, sizeof *p);
    hush__free(a, p, sizeof *p);
}

static int alloc_buffers(hush_mpc_party *p, const hush_mpc_model *mm) {
    const hush_allocator *a = A(p);
    const mpc_layout *l = &p->lay;
    int party = p->role < p->n, dealer = p->role == HUSH_MPC_ROLE_DEALER;
    if (!dealer && !(p->arena = hush__calloc(a, l->arena, 8))) return HUSH_ENOMEM;
    if (!dealer && !(p->rx = hush__calloc(a, l->rx, 1))) return HUSH_ENOMEM;
    if (party) {
        if (!(p->mat = hush__calloc(a, l->mat, 8)) || !(p->acc[0] = hush__calloc(a, l->open, 8)) ||
            !(p->acc[1] = hush__calloc(a, l->open, 8)) || !(p->openbuf = hush__calloc(a, l->open, 8)) ||
            !(p->got = hush__calloc(a, l->ops1, 1)))
            return HUSH_ENOMEM;
        return HUSH_OK;
    }
    if (!(p->plain = hush__calloc(a, l->plain, 8))) return HUSH_ENOMEM;
    if (dealer) {
        if (!(p->tmp = hush__calloc(a, l->add, 8)) || !(p->keys0 = hush__calloc(a, l->keys, 8)) ||
            !(p->keys1 = hush__calloc(a, l->keys, 8)))
            return HUSH_ENOMEM;
        return HUSH_OK;
    }
    if (!(p->out_mask = hush__calloc(a, l->ops1, sizeof *p->out_mask))) return HUSH_ENOMEM;
    if (mm->has_norm) {
        if (!(p->model_norm = hush__calloc(a, 2 * (size_t)mm->in_size, sizeof *p->model_norm))) return HUSH_ENOMEM;
        p->norm_len = 2 * (size_t)mm->in_size;
        memcpy(p->model_norm, mm->norm, p->norm_len * sizeof *p->model_norm);
    }
    return HUSH_OK;
}

/* A compute party's own shares of the parameters, into their registers (PREDICT). */
static int load_params(hush_mpc_party *p, const hush_mpc_model *mm) {
    size_t off = 0;
    for (uint32_t q = 0; q < 2 * p->pg.n_dense; q++) {
        size_t n = hush__mpc_rsize(p, p->pg.param_reg[q]);
        if (off + n > mm->n_params) return HUSH_ESHAPE;
        memcpy(hush__mpc_reg(p, p->pg.param_reg[q]), mm->params + off, n * 8);
        off += n;
    }
    return off == mm->n_params ? HUSH_OK : HUSH_ESHAPE;
}

int hush_mpc_party_create(hush_mpc_party **out, hush_rng *rng, const hush_mpc_config *cfg, uint32_t role,
                          const hush_mpc_model *mm, hush_mpc_guard *guard, const hush_allocator *alloc) {
    if (!hush__alloc_ok(alloc) || !out) return HUSH_EARG;
    *out = NULL;
    int rc = hush_init();
    if (rc != HUSH_OK) return rc;
    if (!mm || (rc = hush__mpc_config_check(cfg)) != HUSH_OK) return rc ? rc : HUSH_EARG;
    if (sodium_is_zero(cfg->session, HUSH_MPC_SESSION_BYTES)) return HUSH_EARG;
    if (role >= cfg->n_parties && role != HUSH_MPC_ROLE_DEALER && role != HUSH_MPC_ROLE_CLIENT) return HUSH_EARG;
    int party = role < cfg->n_parties;
    if (cfg->protocol == HUSH_MPC_PREDICT && party && !mm->has_shares) return HUSH_EARG;
    if (mm->frac_bits && mm->has_shares && mm->frac_bits != cfg->frac_bits) return HUSH_EARG;
    hush_mpc_party *p = hush__calloc(alloc, 1, sizeof *p);
    if (!p) return HUSH_ENOMEM;
    if (alloc) p->alloc = *alloc, p->has_alloc = 1;
    p->cfg = *cfg;
    p->role = role;
    p->n = cfg->n_parties;
    rc = hush__mpc_prog_build(&p->pg, cfg, mm, A(p));
    if (rc == HUSH_OK) rc = layout(&p->lay, &p->pg, role, p->n);
    if (rc == HUSH_OK) rc = alloc_buffers(p, mm);
    if (rc == HUSH_OK && !party) {
        uint8_t seed[HUSH_RNG_SEED_BYTES];
        rc = rng ? hush_rng_bytes(rng, seed, sizeof seed) : HUSH_OK;
        if (rc == HUSH_OK) rc = rng ? hush_rng_init(&p->rng, seed) : hush_rng_init_random(&p->rng);
        sodium_memzero(seed, sizeof seed);
    }
    if (rc == HUSH_OK && party && cfg->protocol == HUSH_MPC_PREDICT) rc = load_params(p, mm);
    if (rc == HUSH_OK && role == HUSH_MPC_ROLE_DEALER) rc = hush__mpc_dealer_start(p);
    if (rc == HUSH_OK && party) hush__mpc_party_start(p);
    /* last: a role that could not be created does not use up its session id */
    if (rc == HUSH_OK && guard) rc = hush_mpc_guard_add(guard, cfg->session, HUSH_MPC_SESSION_BYTES);
    if (rc != HUSH_OK) {
        hush_mpc_party_free(p);
        return rc;
    }
    *out = p;
    return HUSH_OK;
}

/* ---------------- links ---------------- */

/* The link slot of a peer role, or -1 if it is not a peer of this role. */
static int slot_of(const hush_mpc_party *p, uint32_t peer) {
    int party = p->role < p->n;
    if (peer < p->n) return peer == p->role ? -1 : (int)peer;
    if (!party) return -1; /* the dealer and the client talk to compute parties only */
    if (peer == HUSH_MPC_ROLE_DEALER) return (int)p->n;
    if (peer == HUSH_MPC_ROLE_CLIENT) return (int)p->n + 1;
    return -1;
}

static int links_complete(const hush_mpc_party *p) {
    for (uint32_t i = 0; i < p->n; i++)
        if (i != p->role && !p->link[i]) return 0;
    if (p->role < p->n && (!p->link[p->n] || !p->link[p->n + 1])) return 0;
    return 1;
}

int hush_mpc_party_attach(hush_mpc_party *p, hush_channel *ch) {
    if (!p || !ch) return HUSH_EARG;
    if (!hush__channel_ready(ch)) return HUSH_ESTATE;
    if (sodium_memcmp(hush__channel_session(ch), p->cfg.session, HUSH_MPC_SESSION_BYTES) != 0) return HUSH_EARG;
    if (hush__channel_local_role(ch) != p->role) return HUSH_EARG;
    int s = slot_of(p, hush__channel_peer_role(ch));
    if (s < 0) return HUSH_EARG;
    if (p->link[s]) return HUSH_ESTATE;
    p->link[s] = ch;
    return HUSH_OK;
}

void hush__mpc_party_detach_all(hush_mpc_party *p) { memset(p->link, 0, sizeof p->link); }

int hush__mpc_party_linked(const hush_mpc_party *p) {
    for (size_t i = 0; i < LINK_SLOTS; i++)
        if (p->link[i]) return 1;
    return 0;
}

/* ---------------- state, receive, send ---------------- */

uint32_t hush_mpc_party_state(const hush_mpc_party *p, uint32_t *seq) {
    uint32_t sq = 0, st;
    if (!p) return 0;
    if (!links_complete(p)) {
        st = HUSH_MPC_STATE_LINK;
    } else if (p->pend) {
        st = HUSH_MPC_STATE_SEND, sq = p->pend_seq;
    } else if (p->role == HUSH_MPC_ROLE_DEALER) {
        st = HUSH_MPC_STATE_DONE;
    } else if (p->role == HUSH_MPC_ROLE_CLIENT) {
        st = !p->input_set ? HUSH_MPC_STATE_WAIT_INPUT
             : hush__mpc_client_done(p) ? HUSH_MPC_STATE_DONE
                                        : HUSH_MPC_STATE_WAIT_OUTPUT;
    } else {
        st = hush__mpc_party_state_of(p, &sq);
    }
    if (seq) *seq = sq;
    return st;
}

size_t hush_mpc_party_max_message(const hush_mpc_party *p) {
    return p ? HUSH_CHANNEL_OVERHEAD_BYTES + p->lay.tx : 0;
}

static int done(const hush_mpc_party *p) { return hush_mpc_party_state(p, NULL) == HUSH_MPC_STATE_DONE; }

int hush_mpc_party_receive(hush_mpc_party *p, uint32_t from, const uint8_t *record, size_t len) {
    if (!p || (!record && len)) return HUSH_EARG;
    int s = slot_of(p, from);
    if (s < 0) return HUSH_EARG;
    hush_channel *ch = p->link[s];
    if (!ch || p->role == HUSH_MPC_ROLE_DEALER) return HUSH_ESTATE; /* the dealer receives nothing */
    size_t w = 0;
    int close = 0;
    int rc = hush__channel_open(ch, p->rx, p->lay.rx, &w, &close, record, len);
    if (rc == HUSH_ERANGE) return HUSH_EFORMAT; /* larger than any message of this protocol */
    if (rc != HUSH_OK) return rc;
    if (close) {
        /* the peer ended its direction: fine once the protocol is over, a truncation before */
        if (!done(p)) return HUSH_ESTATE;
        hush__channel_commit(ch, 1);
        return HUSH_OK;
    }
    rc = hush__mpc_party_deliver(p, from, p->rx, w);
    sodium_memzero(p->rx, w);
    if (rc != HUSH_OK) return rc;
    hush__channel_commit(ch, 0);
    return HUSH_OK;
}

int hush__mpc_party_deliver(hush_mpc_party *p, uint32_t from, const uint8_t *msg, size_t len) {
    if (p->role == HUSH_MPC_ROLE_DEALER) return HUSH_ESTATE;
    hush__mpc_msg m;
    int rc = hush__mpcwire_decode(&m, msg, len);
    if (rc != HUSH_OK) return rc;
    /* the channel names the sender; the header must agree, and name this role and session */
    if (m.from != from || m.to != p->role) return HUSH_ESTATE;
    if (sodium_memcmp(m.session, p->cfg.session, HUSH_MPC_SESSION_BYTES) != 0) return HUSH_ESTATE;
    rc = p->role == HUSH_MPC_ROLE_CLIENT ? hush__mpc_client_on_message(p, &m) : hush__mpc_party_on_message(p, &m);
    if (rc == HUSH_OK && p->role < p->n) hush__mpc_party_advance(p);
    return rc;
}

int hush_mpc_party_next_message(hush_mpc_party *p, uint32_t *to, uint8_t *out, size_t cap, size_t *written) {
    if (!p || !to || !written) return HUSH_EARG;
    *written = 0;
    *to = 0;
    if (!p->pend) return HUSH_OK;
    int s = slot_of(p, p->pend_to);
    hush_channel *ch = s < 0 ? NULL : p->link[s];
    if (!ch) return HUSH_ESTATE;
    size_t n = p->pend_n1 + p->pend_n2, plain = hush__mpcwire_size(n), size = plain + HUSH_CHANNEL_OVERHEAD_BYTES;
    if (!out || cap < size) {
        *written = size;
        return HUSH_ERANGE;
    }
    /* the message is written where the channel seals it in place: no plaintext copy remains */
    uint8_t *body = out + HUSH_CHANNEL_RECORD_HEADER_BYTES;
    int rc = hush__mpcwire_header(body, plain, p->pend_kind, p->role, p->pend_to, p->cfg.session, p->pend_seq, n);
    if (rc == HUSH_OK) {
        hush__mpcwire_put(body + HUSH_MPC_HEADER_BYTES, 0, p->pend_w1, p->pend_n1);
        hush__mpcwire_put(body + HUSH_MPC_HEADER_BYTES, p->pend_n1, p->pend_w2, p->pend_n2);
        rc = hush_channel_seal(ch, out, cap, written, body, plain);
    }
    if (rc != HUSH_OK) {
        sodium_memzero(out, size);
        *written = 0;
        return rc;
    }
    *to = p->pend_to;
    p->pend = 0;
    if (p->role == HUSH_MPC_ROLE_DEALER) {
        p->cursor++;
        return hush__mpc_dealer_advance(p);
    }
    if (p->role == HUSH_MPC_ROLE_CLIENT) {
        p->cursor++;
        return hush__mpc_client_advance(p);
    }
    hush__mpc_party_advance(p);
    return HUSH_OK;
}

/* ---------------- for the driver ---------------- */

uint32_t hush__mpc_party_role(const hush_mpc_party *p) { return p->role; }
uint32_t hush__mpc_party_parties(const hush_mpc_party *p) { return p->n; }
const uint8_t *hush__mpc_party_session(const hush_mpc_party *p) { return p->cfg.session; }
void hush__mpc_party_program(const hush_mpc_party *p, uint64_t *rounds, uint64_t *truncations) {
    *rounds = p->pg.rounds;
    *truncations = p->pg.truncations;
}
