/* libFuzzer target: the MPC wire decoder (core/src/io/mpcwire.c) and the state machines behind
 * it. Each input is decoded; a successful decode must re-encode to the same bytes. Then the input
 * is handed, as the plaintext of a record that passed the channel, to every role of a fresh
 * two-party prediction session on a tiny model, as if from every possible sender, as is and with
 * its session id forced to the session's, in every state the session passes through, so
 * mutations reach the sender, sequence, session and length checks. A refused message must change
 * nothing, and afterwards the session (with real channels on every link) must still end cleanly:
 * done, or an error status. */
#include <stdlib.h>
#include <string.h>

#include "hush.h"
#include "io/mpcwire.h"
#include "mpc/role.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t SESSION[16] = {9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9};

static void roundtrip(const uint8_t *data, size_t size) {
    hush__mpc_msg m;
    if (hush__mpcwire_decode(&m, data, size) != HUSH_OK) return;
    uint8_t *out = malloc(size);
    uint64_t *w = malloc(m.n_words ? m.n_words * 8 : 1);
    if (!out || !w) abort();
    hush__mpcwire_words(&m, w, 0, m.n_words);
    if (hush__mpcwire_header(out, size, m.kind, m.from, m.to, m.session, m.seq, m.n_words) != HUSH_OK) abort();
    hush__mpcwire_put(out + HUSH_MPC_HEADER_BYTES, 0, w, m.n_words);
    if (memcmp(out, data, size) != 0) abort();
    free(out);
    free(w);
}

static void offer_one(hush_mpc_party *p, uint32_t from, const uint8_t *data, size_t size) {
    uint32_t s0, s1, st0 = hush_mpc_party_state(p, &s0);
    int rc = hush__mpc_party_deliver(p, from, data, size);
    uint32_t st1 = hush_mpc_party_state(p, &s1);
    if (rc != HUSH_OK && (st0 != st1 || s0 != s1)) abort();
}

static void offer(hush_mpc_party **roles, const uint8_t *data, size_t size, uint8_t *tmp) {
    static const uint32_t from[4] = {0, 1, HUSH_MPC_ROLE_DEALER, HUSH_MPC_ROLE_CLIENT};
    for (int i = 0; i < 4; i++)
        for (int f = 0; f < 4; f++) {
            offer_one(roles[i], from[f], data, size);
            if (size >= HUSH_MPC_HEADER_BYTES) {
                memcpy(tmp, data, size);
                memcpy(tmp + 12, SESSION, 16);
                offer_one(roles[i], from[f], tmp, size);
            }
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (hush_init() != HUSH_OK) abort();
    roundtrip(data, size);
    hush_layer_spec ls[3] = {{HUSH_LAYER_DENSE, 2, 0, 0}, {HUSH_LAYER_RELU, 0, 0, 0}, {HUSH_LAYER_DENSE, 2, 0, 0}};
    hush_shape in = {2, 1, 1};
    hush_model *m = NULL;
    hush_rng r;
    if (hush_model_create(&m, ls, 3, in, 4, NULL) || hush_rng_init_u64(&r, 5) || hush_model_init_params(m, &r)) abort();
    hush_mpc_model *sh[2] = {0}, *pub = NULL;
    hush_mpc_party *roles[4] = {0};
    hush_mpc_config cfg;
    if (hush_mpc_config_init(&cfg, HUSH_MPC_PREDICT)) abort();
    cfg.output = HUSH_MPC_OUTPUT_LOGITS;
    memcpy(cfg.session, SESSION, 16);
    if (hush_mpc_model_share(sh, 2, &r, m, 16, NULL) || hush_mpc_model_public(&pub, m, NULL)) abort();
    for (uint32_t i = 0; i < 2; i++)
        if (hush_mpc_party_create(&roles[i], NULL, &cfg, i, sh[i], NULL, NULL)) abort();
    if (hush_mpc_party_create(&roles[2], &r, &cfg, HUSH_MPC_ROLE_DEALER, pub, NULL, NULL) ||
        hush_mpc_party_create(&roles[3], &r, &cfg, HUSH_MPC_ROLE_CLIENT, pub, NULL, NULL))
        abort();
    uint8_t *tmp = malloc(size ? size : 1);
    if (!tmp) abort();
    offer(roles, data, size, tmp);
    float x[2] = {0.5f, -1.5f};
    if (hush_mpc_party_set_input(roles[3], x, 2, NULL, 0, NULL, 0) != HUSH_OK) abort();
    offer(roles, data, size, tmp);
    /* An accepted fuzzed message (a forged input share, say) may change the result, but the run
     * itself must end cleanly. */
    int rc = hush_mpc_run(roles, 4, &r, NULL, NULL);
    (void)rc;
    free(tmp);
    for (int i = 0; i < 4; i++) hush_mpc_party_free(roles[i]);
    for (int i = 0; i < 2; i++) hush_mpc_model_free(sh[i]);
    hush_mpc_model_free(pub);
    hush_model_free(m);
    hush_rng_clear(&r);
    return 0;
}
