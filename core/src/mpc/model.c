/* Encrypted models: splitting a trained hush_model into per-party shares, and the in-process
 * driver that runs the state machines of party.c (used by tests, the CLI, JS and benchmarks).
 * The driver only moves bytes: everything it hands a role went through the wire encoding. */
#include <string.h>

#include <sodium.h>

#include "base/alloc.h"
#include "io/mpcwire.h"
#include "mpc/mpc.h"
#include "mpc/prog.h"

void hush_mpc_model_free(hush_mpc_model *mm) {
    if (!mm) return;
    /* a copy: the handle (which holds the allocator) is wiped before it is freed */
    hush_allocator acopy = mm->alloc;
    const hush_allocator *a = mm->has_alloc ? &acopy : NULL;
    if (mm->params) {
        sodium_memzero(mm->params, mm->n_params * 8);
        hush__free(a, mm->params, mm->n_params * 8);
    }
    hush__free(a, mm->norm, 2 * (size_t)mm->in_size * sizeof *mm->norm);
    sodium_memzero(mm, sizeof *mm);
    hush__free(a, mm, sizeof *mm);
}

static int model_new(hush_mpc_model **out, const hush_model *m, int with_params, const hush_allocator *alloc) {
    *out = NULL;
    size_t nl = hush_model_layer_count(m);
    const hush_layer_spec *ls = hush_model_layers(m);
    if (nl == 0 || nl > HUSH_MAX_LAYERS) return HUSH_EARG;
    for (size_t i = 0; i < nl; i++)
        if (ls[i].kind != HUSH_LAYER_DENSE && ls[i].kind != HUSH_LAYER_RELU && ls[i].kind != HUSH_LAYER_SIGMOID &&
            ls[i].kind != HUSH_LAYER_TANH)
            return HUSH_EUNSUPPORTED;
    hush_mpc_model *mm = hush__calloc(alloc, 1, sizeof *mm);
    if (!mm) return HUSH_ENOMEM;
    if (alloc) mm->alloc = *alloc, mm->has_alloc = 1;
    memcpy(mm->layers, ls, nl * sizeof *ls);
    mm->n_layers = (uint32_t)nl;
    mm->in_size = (uint32_t)hush_model_input_size(m);
    mm->out_size = (uint32_t)hush_model_output_size(m);
    mm->norm = hush__calloc(alloc, 2 * (size_t)mm->in_size, sizeof *mm->norm);
    if (!mm->norm) {
        hush_mpc_model_free(mm);
        return HUSH_ENOMEM;
    }
    int rc = hush_model_input_norm(m, mm->norm, mm->norm + mm->in_size, mm->in_size);
    mm->has_norm = rc == HUSH_OK;
    if (with_params) {
        mm->n_params = hush_model_param_count(m);
        mm->params = hush__calloc(alloc, mm->n_params ? mm->n_params : 1, 8);
        if (!mm->params) {
            mm->n_params = 0;
            hush_mpc_model_free(mm);
            return HUSH_ENOMEM;
        }
        if (!mm->n_params) mm->n_params = 1; /* keep free()'s size equal to the allocation */
        mm->has_shares = 1;
    }
    *out = mm;
    return HUSH_OK;
}

int hush_mpc_model_public(hush_mpc_model **out, const hush_model *m, const hush_allocator *alloc) {
    if (!hush__alloc_ok(alloc)) return HUSH_EARG;
    if (!out || !m) return HUSH_EARG;
    return model_new(out, m, 0, alloc);
}

int hush_mpc_model_share(hush_mpc_model **out, size_t n_parties, const hush_model *m, uint32_t frac_bits,
                         hush_rng *rng, const hush_allocator *alloc) {
    if (!hush__alloc_ok(alloc)) return HUSH_EARG;
    if (!out || !m || !rng) return HUSH_EARG;
    if (n_parties < 2 || n_parties > HUSH_MPC_MAX_PARTIES) return HUSH_EARG;
    if (frac_bits < 1 || frac_bits > HUSH_MPC_MAX_FRAC_BITS) return HUSH_EARG;
    for (size_t i = 0; i < n_parties; i++) out[i] = NULL;
    int rc = HUSH_OK;
    for (size_t i = 0; i < n_parties && rc == HUSH_OK; i++) {
        rc = model_new(&out[i], m, 1, alloc);
        if (rc == HUSH_OK) out[i]->frac_bits = frac_bits;
    }
    /* hush_model_params takes a non-const handle but only returns the pointer; we only read. */
    const float *w = hush_model_params((hush_model *)(uintptr_t)m);
    size_t np = hush_model_param_count(m);
    for (size_t j = 0; j < np && rc == HUSH_OK; j++) {
        double v = (double)w[j];
        uint64_t acc;
        rc = hush_fixed_encode(&acc, &v, 1, frac_bits);
        for (size_t i = 1; i < n_parties && rc == HUSH_OK; i++) {
            uint64_t s = hush_rng_u64(rng);
            out[i]->params[j] = s;
            acc -= s;
        }
        if (rc == HUSH_OK) out[0]->params[j] = acc;
    }
    if (rc != HUSH_OK) {
        for (size_t i = 0; i < n_parties; i++) {
            hush_mpc_model_free(out[i]);
            out[i] = NULL;
        }
    }
    return rc;
}

/* ---------------- in-process driver ---------------- */

int hush_mpc_run(hush_mpc_party **roles, size_t count, hush_mpc_stats *stats, const hush_allocator *alloc) {
    if (!hush__alloc_ok(alloc)) return HUSH_EARG;
    if (!roles || count == 0 || count > HUSH_MPC_MAX_PARTIES + 2) return HUSH_EARG;
    hush_mpc_party *party[HUSH_MPC_MAX_PARTIES] = {0}, *dealer = NULL, *client = NULL;
    uint32_t n = 0, session0 = 0;
    size_t bound = 0;
    for (size_t i = 0; i < count; i++) {
        hush_mpc_party *p = roles[i];
        if (!p) return HUSH_EARG;
        uint32_t role, np, session;
        hush__mpc_party_info(p, &role, &np, &session);
        if (i == 0) n = np, session0 = session;
        if (np != n || session != session0) return HUSH_EARG;
        if (role == HUSH_MPC_ROLE_DEALER) {
            if (dealer) return HUSH_EARG;
            dealer = p;
        } else if (role == HUSH_MPC_ROLE_CLIENT) {
            if (client) return HUSH_EARG;
            client = p;
        } else {
            if (party[role]) return HUSH_EARG;
            party[role] = p;
        }
        size_t b = hush_mpc_party_message_bound(p);
        if (b > bound) bound = b;
    }
    for (uint32_t i = 0; i < n; i++)
        if (!party[i]) return HUSH_EARG;
    size_t held_cap = dealer ? hush_mpc_party_message_bound(dealer) : 0;
    uint8_t *buf = hush__alloc(alloc, bound);
    uint8_t *held = held_cap ? hush__calloc(alloc, n, held_cap) : NULL;
    size_t held_len[HUSH_MPC_MAX_PARTIES] = {0};
    uint32_t held_seq[HUSH_MPC_MAX_PARTIES] = {0};
    uint64_t dealer_count = 0;
    hush_mpc_stats st;
    memset(&st, 0, sizeof st);
    int rc = HUSH_OK;
    if (!buf || (held_cap && !held)) rc = HUSH_ENOMEM;
    while (rc == HUSH_OK) {
        int progress = 0;
        /* The dealer's messages come in party order; hold one per party until it asks. */
        while (rc == HUSH_OK && dealer && hush_mpc_party_state(dealer, NULL) == HUSH_MPC_STATE_SEND) {
            uint32_t k = (uint32_t)(dealer_count % n);
            if (held_len[k]) break;
            size_t w = 0;
            rc = hush_mpc_party_next_message(dealer, held + k * held_cap, held_cap, &w);
            uint32_t to = 0;
            if (rc == HUSH_OK) rc = hush_mpc_message_route(held + k * held_cap, w, NULL, NULL, &to, &held_seq[k]);
            if (rc == HUSH_OK && to != k) rc = HUSH_ESTATE;
            held_len[k] = w;
            dealer_count++;
            progress = 1;
        }
        for (uint32_t k = 0; k < n && rc == HUSH_OK; k++) {
            uint32_t seq;
            if (held_len[k] && hush_mpc_party_state(party[k], &seq) == HUSH_MPC_STATE_WAIT_DEALER && seq == held_seq[k]) {
                rc = hush_mpc_party_receive(party[k], held + k * held_cap, held_len[k]);
                st.bytes += held_len[k], st.dealer_bytes += held_len[k], st.messages++;
                held_len[k] = 0;
                progress = 1;
            }
        }
        for (size_t i = 0; i < count && rc == HUSH_OK; i++) {
            hush_mpc_party *p = roles[i];
            if (p == dealer) continue;
            for (;;) {
                size_t w = 0;
                rc = hush_mpc_party_next_message(p, buf, bound, &w);
                if (rc != HUSH_OK || w == 0) break;
                progress = 1;
                uint32_t kind = 0, from = 0, to = 0, seq = 0;
                rc = hush_mpc_message_route(buf, w, &kind, &from, &to, &seq);
                if (rc != HUSH_OK) break;
                if (kind == HUSH_MPC_MSG_OPEN) {
                    if (from == 0) st.rounds++;
                    for (uint32_t k = 0; k < n && rc == HUSH_OK; k++) {
                        if (k == from) continue;
                        rc = hush_mpc_party_receive(party[k], buf, w);
                        st.bytes += w, st.messages++;
                    }
                } else if (kind == HUSH_MPC_MSG_INPUT && to < n) {
                    rc = hush_mpc_party_receive(party[to], buf, w);
                    st.bytes += w, st.messages++;
                } else if (kind == HUSH_MPC_MSG_OUTPUT && client) {
                    rc = hush_mpc_party_receive(client, buf, w);
                    st.bytes += w, st.messages++;
                } else {
                    rc = HUSH_ESTATE;
                }
                if (rc != HUSH_OK) break;
            }
        }
        if (rc != HUSH_OK) break;
        int done = 1;
        for (size_t i = 0; i < count; i++)
            if (hush_mpc_party_state(roles[i], NULL) != HUSH_MPC_STATE_DONE) done = 0;
        if (done) break;
        if (!progress) rc = HUSH_ESTATE;
    }
    hush__free(alloc, buf, bound);
    if (held) {
        sodium_memzero(held, n * held_cap);
        hush__free(alloc, held, n * held_cap);
    }
    if (stats) {
        stats->bytes += st.bytes, stats->dealer_bytes += st.dealer_bytes;
        stats->messages += st.messages, stats->rounds += st.rounds;
    }
    return rc;
}

/* One session: n parties + dealer + client; frees everything it created. */
static int run_session(hush_mpc_party *client, const hush_mpc_config *cfg, hush_mpc_model **shares,
                       const hush_mpc_model *pub, hush_rng *rng, hush_mpc_stats *stats, const hush_allocator *alloc) {
    hush_mpc_party *roles[HUSH_MPC_MAX_PARTIES + 2] = {0};
    size_t count = 0;
    int rc = HUSH_OK;
    for (uint32_t i = 0; i < cfg->n_parties && rc == HUSH_OK; i++)
        rc = hush_mpc_party_create(&roles[count++], cfg, i, shares ? shares[i] : pub, NULL, alloc);
    if (rc == HUSH_OK) rc = hush_mpc_party_create(&roles[count++], cfg, HUSH_MPC_ROLE_DEALER, pub, rng, alloc);
    if (rc == HUSH_OK) {
        roles[count++] = client;
        rc = hush_mpc_run(roles, count, stats, alloc);
        count--;
    }
    for (size_t i = 0; i < count; i++) hush_mpc_party_free(roles[i]);
    return rc;
}

int hush_mpc_predict_run(float *logits, uint32_t *decisions, const hush_model *m, const float *x, size_t rows,
                         uint32_t n_parties, uint32_t frac_bits, uint32_t batch, hush_rng *rng, hush_mpc_stats *stats,
                         const hush_allocator *alloc) {
    if (!hush__alloc_ok(alloc)) return HUSH_EARG;
    if (!m || !x || !rng || (!logits && !decisions) || rows == 0) return HUSH_EARG;
    if (n_parties < 2 || n_parties > HUSH_MPC_MAX_PARTIES) return HUSH_EARG;
    size_t in = hush_model_input_size(m), k = hush_model_output_size(m);
    if (batch == 0 || batch > rows) batch = (uint32_t)(rows < HUSH_MAX_BATCH ? rows : HUSH_MAX_BATCH);
    hush_mpc_model *shares[HUSH_MPC_MAX_PARTIES] = {0}, *pub = NULL;
    int rc = hush_mpc_model_public(&pub, m, alloc);
    if (rc == HUSH_OK) rc = hush_mpc_model_share(shares, n_parties, m, frac_bits, rng, alloc);
    for (size_t s = 0, sess = 0; s < rows && rc == HUSH_OK; s += batch, sess++) {
        size_t B = rows - s < batch ? rows - s : batch;
        hush_mpc_config cfg;
        hush_mpc_config_default(&cfg, HUSH_MPC_PREDICT);
        cfg.n_parties = n_parties, cfg.frac_bits = frac_bits, cfg.rows = (uint32_t)B, cfg.session = (uint32_t)sess;
        hush_mpc_party *client = NULL;
        rc = hush_mpc_party_create(&client, &cfg, HUSH_MPC_ROLE_CLIENT, pub, rng, alloc);
        if (rc == HUSH_OK) rc = hush_mpc_party_set_input(client, x + s * in, B * in, NULL, 0, NULL, 0);
        if (rc == HUSH_OK) rc = run_session(client, &cfg, shares, pub, rng, stats, alloc);
        if (rc == HUSH_OK)
            rc = hush_mpc_predict_result(client, logits ? logits + s * k : NULL, logits ? B * k : 0,
                                         decisions ? decisions + s : NULL, decisions ? B : 0);
        hush_mpc_party_free(client);
    }
    for (uint32_t i = 0; i < n_parties; i++) hush_mpc_model_free(shares[i]);
    hush_mpc_model_free(pub);
    return rc;
}

int hush_mpc_train_run(hush_model *m, const hush_mpc_config *cfg_in, const float *x, const uint32_t *labels,
                       size_t rows, hush_rng *rng, hush_mpc_stats *stats, const hush_allocator *alloc) {
    if (!hush__alloc_ok(alloc)) return HUSH_EARG;
    if (!m || !cfg_in || !x || !labels || !rng || rows == 0 || rows > UINT32_MAX) return HUSH_EARG;
    hush_mpc_config cfg = *cfg_in;
    cfg.protocol = HUSH_MPC_TRAIN;
    cfg.rows = (uint32_t)rows;
    hush_mpc_model *pub = NULL;
    hush_mpc_party *client = NULL;
    size_t np = hush_model_param_count(m), in = hush_model_input_size(m);
    int rc = hush_mpc_model_public(&pub, m, alloc);
    if (rc == HUSH_OK) rc = hush_mpc_party_create(&client, &cfg, HUSH_MPC_ROLE_CLIENT, pub, rng, alloc);
    if (rc == HUSH_OK)
        rc = hush_mpc_party_set_input(client, x, rows * in, labels, rows, hush_model_params(m), np);
    if (rc == HUSH_OK) rc = run_session(client, &cfg, NULL, pub, rng, stats, alloc);
    if (rc == HUSH_OK) rc = hush_mpc_train_result(client, hush_model_params(m), np);
    hush_mpc_party_free(client);
    hush_mpc_model_free(pub);
    return rc;
}
