/* The in-process drivers: one session among all roles with a real channel on every link
 * (hush_mpc_run), encrypted prediction and training over many rows (hush_mpc_predict_run,
 * hush_mpc_train_run), and both compared with plaintext (hush_mpc_*_eval). The driver only
 * moves bytes: everything a role receives went through the wire encoding and a channel record,
 * exactly as it would between processes. */
#include <math.h>
#include <string.h>

#include <sodium.h>

#include "base/alloc.h"
#include "mpc/role.h"

/* ---------------- one session ---------------- */

static uint32_t slot_role(uint32_t slot, uint32_t n) {
    return slot < n ? slot : slot == n ? (uint32_t)HUSH_MPC_ROLE_DEALER : (uint32_t)HUSH_MPC_ROLE_CLIENT;
}

/* Creates both ends of a link and runs its handshake; counts the handshake bytes. */
static int open_link(hush__mpc_link *l, hush_rng *rng, const uint8_t *session, uint32_t n, uint8_t sk[][64], uint8_t pk[][32],
                     hush_mpc_stats *st, const hush_allocator *alloc) {
    hush_channel_config ci, cr;
    uint32_t ra = slot_role(l->a, n), rb = slot_role(l->b, n);
    int rc = hush_channel_config_init(&ci, HUSH_CHANNEL_INITIATOR, session, HUSH_MPC_SESSION_BYTES, ra, rb);
    if (rc == HUSH_OK) rc = hush_channel_config_init(&cr, HUSH_CHANNEL_RESPONDER, session, HUSH_MPC_SESSION_BYTES, rb, ra);
    if (rc == HUSH_OK) rc = hush_channel_create(&l->ca, rng, &ci, sk[l->a], 64, pk[l->b], 32, alloc);
    if (rc == HUSH_OK) rc = hush_channel_create(&l->cb, rng, &cr, sk[l->b], 64, pk[l->a], 32, alloc);
    uint8_t buf[HUSH_CHANNEL_HANDSHAKE_MAX_BYTES], none[1];
    size_t w = 0, n0 = 0;
    for (int step = 0; step < 3 && rc == HUSH_OK; step++) {
        hush_channel *from = step == 1 ? l->cb : l->ca, *to = step == 1 ? l->ca : l->cb;
        rc = hush_channel_next_message(from, buf, sizeof buf, &w);
        if (rc == HUSH_OK) rc = hush_channel_receive(to, none, sizeof none, &n0, buf, w);
        st->bytes += w, st->handshake_bytes += w;
    }
    return rc;
}

int hush__mpc_links_open(hush__mpc_link *links, size_t *nl, hush_mpc_party *const *by_slot, uint32_t n, hush_rng *rng,
                         hush_mpc_stats *st, const hush_allocator *alloc) {
    *nl = 0;
    hush_mpc_stats ignored;
    if (!st) st = &ignored;
    hush_rng os;
    int rc = HUSH_OK;
    if (!rng) {
        rc = hush_rng_init_random(&os);
        rng = &os;
    }
    /* a fresh identity per role: what an enrolled key would be in a deployment */
    uint8_t sk[LINK_SLOTS][64], pk[LINK_SLOTS][32];
    for (uint32_t s = 0; s < n + 2 && rc == HUSH_OK; s++) rc = hush_channel_keypair(rng, pk[s], 32, sk[s], 64);
    size_t k = 0;
    for (uint32_t i = 0; i < n; i++)
        for (uint32_t j = i + 1; j < n; j++) links[k++] = (hush__mpc_link){i, j, NULL, NULL};
    for (uint32_t i = 0; i < n; i++) links[k++] = (hush__mpc_link){n, i, NULL, NULL};
    for (uint32_t i = 0; i < n; i++) links[k++] = (hush__mpc_link){n + 1, i, NULL, NULL};
    *nl = k;
    const uint8_t *session = hush__mpc_party_session(by_slot[0]);
    for (size_t q = 0; q < k && rc == HUSH_OK; q++) {
        rc = open_link(&links[q], rng, session, n, sk, pk, st, alloc);
        if (rc == HUSH_OK) rc = hush_mpc_party_attach(by_slot[links[q].a], links[q].ca);
        if (rc == HUSH_OK) rc = hush_mpc_party_attach(by_slot[links[q].b], links[q].cb);
    }
    sodium_memzero(sk, sizeof sk);
    if (rng == &os) hush_rng_clear(&os);
    return rc;
}

void hush__mpc_links_close(hush__mpc_link *links, size_t nl, hush_mpc_party *const *by_slot, uint32_t n) {
    for (uint32_t s = 0; s < n + 2; s++)
        if (by_slot[s]) hush__mpc_party_detach_all(by_slot[s]);
    for (size_t k = 0; k < nl; k++) {
        hush_channel_free(links[k].ca);
        hush_channel_free(links[k].cb);
        links[k].ca = links[k].cb = NULL;
    }
}

int hush_mpc_run(hush_mpc_party **roles, size_t count, hush_rng *rng, hush_mpc_stats *stats,
                 const hush_allocator *alloc) {
    if (!hush__alloc_ok(alloc)) return HUSH_EARG;
    if (!roles || count < 4 || count > HUSH_MPC_MAX_PARTIES + 2) return HUSH_EARG;
    hush_mpc_party *by_slot[LINK_SLOTS] = {0};
    uint32_t n = 0;
    for (size_t i = 0; i < count; i++) {
        hush_mpc_party *p = roles[i];
        if (!p) return HUSH_EARG;
        if (i == 0) n = hush__mpc_party_parties(p);
        if (hush__mpc_party_parties(p) != n || count != (size_t)n + 2) return HUSH_EARG;
        if (sodium_memcmp(hush__mpc_party_session(p), hush__mpc_party_session(roles[0]), HUSH_MPC_SESSION_BYTES) != 0)
            return HUSH_EARG;
        if (hush__mpc_party_linked(p)) return HUSH_ESTATE; /* the driver makes the links itself */
        uint32_t role = hush__mpc_party_role(p);
        uint32_t s = role < n ? role : role == HUSH_MPC_ROLE_DEALER ? n : n + 1;
        if (by_slot[s]) return HUSH_EARG;
        by_slot[s] = p;
    }
    hush_mpc_party *dealer = by_slot[n], *client = by_slot[n + 1];
    hush_mpc_stats st;
    memset(&st, 0, sizeof st);
    hush__mpc_link links[HUSH__MPC_MAX_LINKS];
    size_t nl = 0;
    int rc = hush__mpc_links_open(links, &nl, by_slot, n, rng, &st, alloc);
    size_t bound = 0, held_cap = hush_mpc_party_max_message(dealer);
    for (size_t i = 0; i < count; i++)
        if (hush_mpc_party_max_message(roles[i]) > bound) bound = hush_mpc_party_max_message(roles[i]);
    uint8_t *buf = NULL, *held = NULL;
    size_t held_len[HUSH_MPC_MAX_PARTIES] = {0};
    uint64_t dealer_count = 0;
    if (rc == HUSH_OK) {
        buf = hush__alloc(alloc, bound);
        held = hush__calloc(alloc, n, held_cap); /* both sizes are under the party limit */
        if (!buf || !held) rc = HUSH_ENOMEM;
    }
    while (rc == HUSH_OK) {
        int progress = 0;
        /* The dealer's messages come in party order; hold one per party until it asks. */
        while (rc == HUSH_OK && hush_mpc_party_state(dealer, NULL) == HUSH_MPC_STATE_SEND) {
            uint32_t k = (uint32_t)(dealer_count % n), to = 0;
            if (held_len[k]) break;
            rc = hush_mpc_party_next_message(dealer, &to, held + k * held_cap, held_cap, &held_len[k]);
            if (rc == HUSH_OK && to != k) rc = HUSH_ESTATE;
            dealer_count++;
            progress = 1;
        }
        for (uint32_t k = 0; k < n && rc == HUSH_OK; k++) {
            if (!held_len[k] || hush_mpc_party_state(by_slot[k], NULL) != HUSH_MPC_STATE_WAIT_DEALER) continue;
            rc = hush_mpc_party_receive(by_slot[k], HUSH_MPC_ROLE_DEALER, held + k * held_cap, held_len[k]);
            if (rc == HUSH_ESTATE) { /* not this party's operation yet: keep it */
                rc = HUSH_OK;
                continue;
            }
            st.bytes += held_len[k], st.dealer_bytes += held_len[k], st.messages++;
            held_len[k] = 0;
            progress = 1;
        }
        for (size_t i = 0; i < count && rc == HUSH_OK; i++) {
            hush_mpc_party *p = roles[i];
            if (p == dealer) continue;
            for (;;) {
                size_t w = 0;
                uint32_t to = 0;
                rc = hush_mpc_party_next_message(p, &to, buf, bound, &w);
                if (rc != HUSH_OK || w == 0) break;
                progress = 1;
                /* nothing is ever addressed to the dealer: it has no receive path */
                hush_mpc_party *dst = to < n ? by_slot[to] : to == HUSH_MPC_ROLE_CLIENT ? client : NULL;
                rc = dst ? hush_mpc_party_receive(dst, hush__mpc_party_role(p), buf, w) : HUSH_ESTATE;
                st.bytes += w, st.messages++;
                if (rc != HUSH_OK) break;
            }
        }
        if (rc != HUSH_OK) break;
        int all_done = 1;
        for (size_t i = 0; i < count; i++)
            if (hush_mpc_party_state(roles[i], NULL) != HUSH_MPC_STATE_DONE) all_done = 0;
        if (all_done) break;
        if (!progress) rc = HUSH_ESTATE;
    }
    hush__mpc_links_close(links, nl, by_slot, n);
    hush__mpc_free(alloc, buf, bound);
    hush__mpc_free(alloc, held, (size_t)n * held_cap);
    if (rc == HUSH_OK) {
        hush__mpc_party_program(client, &st.rounds, &st.truncations);
        st.sessions = 1;
        if (stats) {
            stats->bytes += st.bytes, stats->dealer_bytes += st.dealer_bytes;
            stats->handshake_bytes += st.handshake_bytes, stats->messages += st.messages;
            stats->rounds += st.rounds, stats->sessions += st.sessions, stats->truncations += st.truncations;
        }
    }
    return rc;
}

/* ---------------- many rows ---------------- */

/* A fresh 128-bit session id (never all zero). */
static int new_session(hush_rng *rng, uint8_t session[HUSH_MPC_SESSION_BYTES]) {
    int rc;
    do rc = hush_rng_bytes(rng, session, HUSH_MPC_SESSION_BYTES);
    while (rc == HUSH_OK && sodium_is_zero(session, HUSH_MPC_SESSION_BYTES));
    return rc;
}

/* One session: n compute parties + dealer + the given client; frees what it created. */
static int run_session(hush_mpc_party *client, const hush_mpc_config *cfg, hush_mpc_model **shares,
                       const hush_mpc_model *pub, hush_mpc_guard **guards, hush_rng *rng, hush_mpc_stats *stats,
                       const hush_allocator *alloc) {
    hush_mpc_party *roles[HUSH_MPC_MAX_PARTIES + 2] = {0};
    size_t count = 0;
    int rc = HUSH_OK;
    for (uint32_t i = 0; i < cfg->n_parties && rc == HUSH_OK; i++)
        rc = hush_mpc_party_create(&roles[count++], NULL, cfg, i, shares ? shares[i] : pub, guards ? guards[i] : NULL,
                                   alloc);
    if (rc == HUSH_OK)
        rc = hush_mpc_party_create(&roles[count++], rng, cfg, HUSH_MPC_ROLE_DEALER, pub,
                                   guards ? guards[cfg->n_parties] : NULL, alloc);
    if (rc == HUSH_OK) {
        roles[count++] = client;
        rc = hush_mpc_run(roles, count, rng, stats, alloc);
        count--;
    }
    for (size_t i = 0; i < count; i++) hush_mpc_party_free(roles[i]);
    return rc;
}

int hush_mpc_predict_run(const hush_mpc_config *cfg_in, hush_rng *rng, hush_mpc_stats *stats, uint32_t *decisions,
                         size_t decisions_len, float *logits, size_t logits_len, const hush_model *m, const float *x,
                         size_t x_len, const hush_allocator *alloc) {
    if (!hush__alloc_ok(alloc)) return HUSH_EARG;
    int rc = hush__mpc_config_check(cfg_in);
    if (rc != HUSH_OK) return rc;
    if (cfg_in->protocol != HUSH_MPC_PREDICT || !m || !x || !decisions || decisions_len == 0) return HUSH_EARG;
    uint64_t rows = decisions_len, in = hush_model_input_size(m), k = hush_model_output_size(m);
    if ((uint64_t)x_len != hush__sat_mul(rows, in)) return HUSH_ESHAPE;
    int want_logits = cfg_in->output == HUSH_MPC_OUTPUT_LOGITS;
    if (want_logits != (logits != NULL)) return HUSH_EARG; /* logits only when opted in */
    if (logits && (uint64_t)logits_len != hush__sat_mul(rows, k)) return HUSH_ESHAPE;
    hush_mpc_config cfg = *cfg_in;
    uint64_t batch = cfg.rows, sessions = (rows + batch - 1) / batch;
    if (sessions > HUSH_MPC_GUARD_MAX) return HUSH_ERANGE;
    hush_rng os;
    if (!rng) {
        if ((rc = hush_rng_init_random(&os)) != HUSH_OK) return rc;
        rng = &os;
    }
    hush_mpc_model *shares[HUSH_MPC_MAX_PARTIES] = {0}, *pub = NULL;
    hush_mpc_guard *guards[HUSH_MPC_MAX_PARTIES + 1] = {0}; /* one per compute party and the dealer */
    rc = hush_mpc_model_public(&pub, m, alloc);
    if (rc == HUSH_OK) rc = hush_mpc_model_share(shares, cfg.n_parties, rng, m, cfg.frac_bits, alloc);
    for (uint32_t i = 0; i <= cfg.n_parties && rc == HUSH_OK; i++)
        rc = hush_mpc_guard_create(&guards[i], (size_t)sessions, alloc);
    for (uint64_t s = 0; s < rows && rc == HUSH_OK; s += batch) {
        uint64_t B = rows - s < batch ? rows - s : batch;
        cfg.rows = (uint32_t)B;
        rc = new_session(rng, cfg.session);
        hush_mpc_party *client = NULL;
        if (rc == HUSH_OK) rc = hush_mpc_party_create(&client, rng, &cfg, HUSH_MPC_ROLE_CLIENT, pub, NULL, alloc);
        if (rc == HUSH_OK) rc = hush_mpc_party_set_input(client, x + s * in, (size_t)(B * in), NULL, 0, NULL, 0);
        if (rc == HUSH_OK) rc = run_session(client, &cfg, shares, pub, guards, rng, stats, alloc);
        if (rc == HUSH_OK)
            rc = hush_mpc_predict_result(client, decisions + s, (size_t)B, logits ? logits + s * k : NULL,
                                         logits ? (size_t)(B * k) : 0);
        hush_mpc_party_free(client);
    }
    for (uint32_t i = 0; i < HUSH_MPC_MAX_PARTIES; i++) hush_mpc_model_free(shares[i]);
    for (uint32_t i = 0; i <= HUSH_MPC_MAX_PARTIES; i++) hush_mpc_guard_free(guards[i]);
    hush_mpc_model_free(pub);
    if (rng == &os) hush_rng_clear(&os);
    return rc;
}

int hush_mpc_train_run(const hush_mpc_config *cfg_in, hush_rng *rng, hush_mpc_stats *stats, hush_model *m,
                       const float *x, size_t x_len, const uint32_t *labels, size_t labels_len,
                       const hush_allocator *alloc) {
    if (!hush__alloc_ok(alloc)) return HUSH_EARG;
    int rc = hush__mpc_config_check(cfg_in);
    if (rc != HUSH_OK) return rc;
    if (cfg_in->protocol != HUSH_MPC_TRAIN || !m || !x || !labels || labels_len == 0) return HUSH_EARG;
    if (labels_len > UINT32_MAX) return HUSH_ERANGE;
    hush_mpc_config cfg = *cfg_in;
    cfg.rows = (uint32_t)labels_len;
    if ((rc = hush__mpc_config_check(&cfg)) != HUSH_OK) return rc;
    hush_rng os;
    if (!rng) {
        if ((rc = hush_rng_init_random(&os)) != HUSH_OK) return rc;
        rng = &os;
    }
    hush_mpc_model *pub = NULL;
    hush_mpc_party *client = NULL;
    size_t np = hush_model_param_count(m);
    rc = new_session(rng, cfg.session);
    if (rc == HUSH_OK) rc = hush_mpc_model_public(&pub, m, alloc);
    if (rc == HUSH_OK) rc = hush_mpc_party_create(&client, rng, &cfg, HUSH_MPC_ROLE_CLIENT, pub, NULL, alloc);
    if (rc == HUSH_OK) rc = hush_mpc_party_set_input(client, x, x_len, labels, labels_len, hush_model_params(m), np);
    /* one session with a fresh random id: no guard needed */
    if (rc == HUSH_OK) rc = run_session(client, &cfg, NULL, pub, NULL, rng, stats, alloc);
    if (rc == HUSH_OK) rc = hush_mpc_train_result(client, hush_model_params(m), np);
    hush_mpc_party_free(client);
    hush_mpc_model_free(pub);
    if (rng == &os) hush_rng_clear(&os);
    return rc;
}

/* ---------------- against plaintext ---------------- */

int hush_mpc_predict_eval(const hush_mpc_config *cfg, hush_rng *rng, hush_mpc_report *report, hush_model *m,
                          const float *x, size_t x_len, const uint32_t *labels, size_t labels_len,
                          const hush_allocator *alloc) {
    if (!hush__alloc_ok(alloc)) return HUSH_EARG;
    if (!report || !m || !x || hush__mpc_config_check(cfg) != HUSH_OK) return HUSH_EARG;
    memset(report, 0, sizeof *report);
    size_t in = hush_model_input_size(m), k = hush_model_output_size(m), chunk = hush_model_max_batch(m);
    if (!in || x_len % in || x_len == 0) return HUSH_ESHAPE;
    size_t rows = x_len / in;
    if (labels && labels_len != rows) return HUSH_ESHAPE;
    int with_logits = cfg->output == HUSH_MPC_OUTPUT_LOGITS;
    uint64_t nl = with_logits ? hush__sat_mul(rows, k) : 0;
    if (hush__sat_mul(hush__sat_add(hush__sat_mul(rows, 2), hush__sat_mul(nl, 2)), 4) > SIZE_MAX / 2) return HUSH_ERANGE;
    uint32_t *dec = hush__calloc(alloc, rows, sizeof *dec), *pdec = hush__calloc(alloc, rows, sizeof *pdec);
    float *lg = with_logits ? hush__calloc(alloc, (size_t)nl, sizeof *lg) : NULL;
    float *plg = with_logits ? hush__calloc(alloc, (size_t)nl, sizeof *plg) : NULL;
    int rc = !dec || !pdec || (with_logits && (!lg || !plg)) ? HUSH_ENOMEM : HUSH_OK;
    for (size_t s = 0; s < rows && rc == HUSH_OK; s += chunk) {
        size_t B = rows - s < chunk ? rows - s : chunk;
        rc = hush_model_predict(m, pdec + s, x + s * in, B);
        if (rc == HUSH_OK && with_logits) rc = hush_model_forward(m, plg + s * k, B * k, x + s * in, B);
    }
    if (rc == HUSH_OK)
        rc = hush_mpc_predict_run(cfg, rng, &report->stats, dec, rows, lg, (size_t)nl, m, x, x_len, alloc);
    if (rc == HUSH_OK) {
        size_t agree = 0, correct = 0;
        double maxe = 0;
        for (size_t i = 0; i < rows; i++) {
            agree += dec[i] == pdec[i];
            correct += labels && dec[i] == labels[i];
        }
        for (size_t i = 0; i < (size_t)nl; i++) maxe = fmax(maxe, fabs((double)lg[i] - (double)plg[i]));
        report->rows = rows;
        report->decision_agreement = (double)agree / (double)rows;
        report->encrypted_accuracy = labels ? (double)correct / (double)rows : 0;
        report->max_abs_logit_error = maxe;
    }
    /* the applicants' outputs */
    hush__mpc_free(alloc, dec, rows * sizeof *dec);
    hush__mpc_free(alloc, pdec, rows * sizeof *pdec);
    hush__mpc_free(alloc, lg, (size_t)nl * sizeof *lg);
    hush__mpc_free(alloc, plg, (size_t)nl * sizeof *plg);
    return rc;
}

int hush_mpc_train_eval(const hush_mpc_config *cfg, hush_rng *rng, hush_mpc_report *report, hush_model *m,
                        const float *x, size_t x_len, const uint32_t *labels, size_t labels_len, const float *test_x,
                        size_t test_x_len, const uint32_t *test_labels, size_t test_labels_len,
                        const hush_allocator *alloc) {
    if (!hush__alloc_ok(alloc)) return HUSH_EARG;
    if (!m || !report || !x || !labels || !test_x || !test_labels || hush__mpc_config_check(cfg) != HUSH_OK)
        return HUSH_EARG;
    memset(report, 0, sizeof *report);
    size_t in = hush_model_input_size(m), np = hush_model_param_count(m);
    if ((uint64_t)x_len != hush__sat_mul(labels_len, in) || (uint64_t)test_x_len != hush__sat_mul(test_labels_len, in) ||
        labels_len == 0 || test_labels_len == 0)
        return HUSH_ESHAPE;
    /* the plaintext reference: same architecture, norm and initial parameters */
    hush_model *ref = NULL;
    hush_optim *opt = NULL;
    hush_optim_config oc;
    hush_rng master, shuf;
    memset(&shuf, 0, sizeof shuf);
    float *norm = hush__calloc(alloc, 2 * in, sizeof *norm);
    uint32_t *perm = hush__calloc(alloc, labels_len, sizeof *perm);
    int rc = norm && perm ? HUSH_OK : HUSH_ENOMEM;
    if (rc == HUSH_OK)
        rc = hush_model_create(&ref, hush_model_layers(m), hush_model_layer_count(m), hush_model_input_shape(m),
                               cfg->batch, alloc);
    if (rc == HUSH_OK && hush_model_input_norm(m, norm, norm + in, in) == HUSH_OK)
        rc = hush_model_set_input_norm(ref, norm, norm + in, in);
    if (rc == HUSH_OK) {
        memcpy(hush_model_params(ref), hush_model_params(m), np * sizeof(float));
        rc = hush_optim_config_init(&oc, HUSH_OPTIM_SGD, cfg->lr);
        if (rc == HUSH_OK) rc = hush_optim_create(&opt, &oc, np, alloc);
    }
    if (rc == HUSH_OK) rc = hush_rng_init_u64(&master, cfg->shuffle_seed);
    if (rc == HUSH_OK) rc = hush_rng_derive(&shuf, &master, "shuffle");
    hush_rng_clear(&master);
    for (uint32_t e = 0; e < cfg->epochs && rc == HUSH_OK; e++) {
        float loss;
        rc = hush_model_fit_epoch(ref, &shuf, opt, perm, &loss, x, labels, labels_len, cfg->batch);
    }
    if (rc == HUSH_OK) rc = hush_mpc_train_run(cfg, rng, &report->stats, m, x, x_len, labels, labels_len, alloc);
    float el = 0, ea = 0, pl = 0, pa = 0;
    if (rc == HUSH_OK) rc = hush_model_evaluate(m, &el, &ea, test_x, test_labels, test_labels_len);
    if (rc == HUSH_OK) rc = hush_model_evaluate(ref, &pl, &pa, test_x, test_labels, test_labels_len);
    if (rc == HUSH_OK) {
        double maxd = 0;
        const float *a = hush_model_params(m), *b = hush_model_params(ref);
        for (size_t i = 0; i < np; i++) maxd = fmax(maxd, fabs((double)a[i] - (double)b[i]));
        report->rows = labels_len;
        report->test_accuracy = ea, report->plaintext_test_accuracy = pa;
        report->test_loss = el, report->plaintext_test_loss = pl;
        report->max_param_difference = maxd;
    }
    hush_rng_clear(&shuf);
    hush_optim_free(opt);
    if (ref) sodium_memzero(hush_model_params(ref), np * sizeof(float)); /* the plaintext-trained weights */
    hush_model_free(ref);
    hush__mpc_free(alloc, norm, 2 * in * sizeof *norm);
    hush__mpc_free(alloc, perm, labels_len * sizeof *perm);
    return rc;
}
