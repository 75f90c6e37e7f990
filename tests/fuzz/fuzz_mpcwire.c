/* libFuzzer target: the MPC wire decoder (core/src/io/mpcwire.c) and the state machines behind
 * it. Each input is decoded; a successful decode must re-encode to the same bytes. Then the input
 * is offered, as is and with its session forced to the right one, to every role of a fresh
 * two-party prediction session on a tiny model (parties, dealer, client) in every state the
 * session passes through, so mutations reach the sequence, sender and length checks; finally
 * the session must still complete correctly: a rejected message changes nothing. */
#include <stdlib.h>
#include <string.h>

#include "hush.h"
#include "io/mpcwire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void roundtrip(const uint8_t *data, size_t size) {
    hush__mpc_msg m;
    if (hush__mpcwire_decode(&m, data, size) != HUSH_OK) return;
    uint8_t *out = malloc(size);
    if (!out) abort();
    uint64_t *w = malloc(m.n_words ? m.n_words * 8 : 1);
    if (!w) abort();
    hush__mpcwire_words(&m, w, 0, m.n_words);
    if (hush__mpcwire_header(out, size, m.kind, m.from, m.to, m.session, m.seq, m.n_words) != HUSH_OK) abort();
    hush__mpcwire_put(out + HUSH_MPC_HEADER_BYTES, 0, w, m.n_words);
    if (memcmp(out, data, size) != 0) abort();
    free(out);
    free(w);
}

/* Offers the bytes to every role; a rejected message must leave the role's state unchanged. */
static void offer_one(hush_mpc_party *p, const uint8_t *data, size_t size) {
    uint32_t s0, s1, st0 = hush_mpc_party_state(p, &s0);
    int rc = hush_mpc_party_receive(p, data, size);
    uint32_t st1 = hush_mpc_party_state(p, &s1);
    if (rc != HUSH_OK && (st0 != st1 || s0 != s1)) abort();
}

static void offer(hush_mpc_party **roles, const uint8_t *data, size_t size, uint8_t *tmp) {
    for (int i = 0; i < 4; i++) {
        offer_one(roles[i], data, size);
        if (size >= HUSH_MPC_HEADER_BYTES) {
            memcpy(tmp, data, size);
            tmp[12] = 9, tmp[13] = tmp[14] = tmp[15] = 0; /* session 9 */
            offer_one(roles[i], tmp, size);
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
    hush_mpc_config_default(&cfg, HUSH_MPC_PREDICT);
    cfg.session = 9;
    if (hush_mpc_model_share(sh, 2, m, 16, &r, NULL) || hush_mpc_model_public(&pub, m, NULL)) abort();
    for (uint32_t i = 0; i < 2; i++)
        if (hush_mpc_party_create(&roles[i], &cfg, i, sh[i], NULL, NULL)) abort();
    if (hush_mpc_party_create(&roles[2], &cfg, HUSH_MPC_ROLE_DEALER, pub, &r, NULL) ||
        hush_mpc_party_create(&roles[3], &cfg, HUSH_MPC_ROLE_CLIENT, pub, &r, NULL))
        abort();
    uint8_t *tmp = malloc(size ? size : 1);
    if (!tmp) abort();
    offer(roles, data, size, tmp);
    float x[2] = {0.5f, -1.5f};
    if (hush_mpc_party_set_input(roles[3], x, 2, NULL, 0, NULL, 0) != HUSH_OK) abort();
    offer(roles, data, size, tmp);
    /* A fuzzed message that happened to be accepted (e.g. a forged input share) may change the
     * result, but the run itself must end cleanly: done, or an error status. */
    int rc = hush_mpc_run(roles, 4, NULL, NULL);
    (void)rc;
    free(tmp);
    for (int i = 0; i < 4; i++) hush_mpc_party_free(roles[i]);
    for (int i = 0; i < 2; i++) hush_mpc_model_free(sh[i]);
    hush_mpc_model_free(pub);
    hush_model_free(m);
    hush_rng_clear(&r);
    return 0;
}
