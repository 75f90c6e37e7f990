/* Layouts of the MPC roles in 64-bit checked arithmetic (issue 10, point 5): every buffer of a
 * role is sized before anything is allocated and a config that would need more than
 * HUSH_MPC_MAX_PARTY_BYTES, or whose sizes would wrap a 32-bit size_t (wasm32), is HUSH_ERANGE.
 * Before the fix, the DCF key buffers of a 15000-applicant session of a 2048-unit ReLU layer
 * (47 GB) were requested from the allocator (a crash under ASan), and on wasm32 the arena size
 * rows x cols wrapped to a small number. Portable C only (no files, threads or clocks): the same
 * file runs natively and under WASI. */
#include <string.h>

#include "check.h"
#include "hush.h"
#include "io/chanwire.h"
#include "io/mpcwire.h"

/* dense:hidden,relu,dense:2 on `in` features, or dense:2 alone when hidden is 0. */
static hush_model *model(uint32_t in, uint32_t hidden) {
    hush_layer_spec deep[3] = {{HUSH_LAYER_DENSE, hidden, 0, 0}, {HUSH_LAYER_RELU, 0, 0, 0}, {HUSH_LAYER_DENSE, 2, 0, 0}};
    hush_layer_spec flat[1] = {{HUSH_LAYER_DENSE, 2, 0, 0}};
    hush_shape shape = {in, 1, 1};
    hush_model *m = NULL;
    CHECK_OK(hush_model_create(&m, hidden ? deep : flat, hidden ? 3 : 1, shape, 1, NULL));
    return m;
}

/* Every role of a session with this config and model: the expected status for each. */
static void roles(const hush_mpc_config *c, const hush_model *m, int want) {
    hush_mpc_model *pub = NULL, *sh[2] = {0};
    hush_rng r;
    CHECK_OK(hush_rng_init_u64(&r, 1));
    CHECK_OK(hush_mpc_model_public(&pub, m, NULL));
    if (c->protocol == HUSH_MPC_PREDICT) CHECK_OK(hush_mpc_model_share(sh, 2, &r, m, 16, NULL));
    uint32_t rl[4] = {0, 1, HUSH_MPC_ROLE_DEALER, HUSH_MPC_ROLE_CLIENT};
    for (int i = 0; i < 4; i++) {
        hush_mpc_party *p = NULL;
        const hush_mpc_model *mm = i < 2 && c->protocol == HUSH_MPC_PREDICT ? sh[i] : pub;
        CHECK_RC(hush_mpc_party_create(&p, &r, c, rl[i], mm, NULL, NULL), want);
        if (p) {
            CHECK(hush_mpc_party_max_message(p) <= HUSH_CHANNEL_OVERHEAD_BYTES + HUSH_MPC_MAX_PARTY_BYTES);
            hush_mpc_party_free(p);
        }
    }
    for (int i = 0; i < 2; i++) hush_mpc_model_free(sh[i]);
    hush_mpc_model_free(pub);
    hush_rng_clear(&r);
}

static hush_mpc_config config(uint32_t protocol, uint32_t rows) {
    hush_mpc_config c;
    CHECK_OK(hush_mpc_config_init(&c, protocol));
    c.rows = rows;
    c.session[0] = 1;
    return c;
}

int main(void) {
    if (hush_init() != HUSH_OK) return 1;
    /* DCF keys: 15000 x 2048 comparisons x 192 words; the registers alone would fit */
    hush_model *wide = model(1, 2048);
    hush_mpc_config c = config(HUSH_MPC_PREDICT, 15000);
    if (wide) roles(&c, wide, HUSH_ERANGE);
    /* a modest session of the same model is fine */
    c = config(HUSH_MPC_PREDICT, 4);
    if (wide) roles(&c, wide, HUSH_OK);
    hush_model_free(wide);
    /* the input register alone: 65536 rows x 65536 features = 2^32 words (0 on 32 bits) */
    hush_model *tall = model(65536, 0);
    c = config(HUSH_MPC_PREDICT, 65536);
    if (tall) roles(&c, tall, HUSH_ERANGE);
    c = config(HUSH_MPC_PREDICT, 65537); /* 2^32 + 2^16 words: wraps to 65536 */
    if (tall) roles(&c, tall, HUSH_ERANGE);
    hush_model_free(tall);
    /* training: the public shuffle order of 1000 epochs of 2^20 rows is 4 GiB */
    hush_model *lin = model(1, 0);
    c = config(HUSH_MPC_TRAIN, 1u << 20);
    c.epochs = 1000, c.batch = 65536;
    if (lin) roles(&c, lin, HUSH_ERANGE);
    c.epochs = 1, c.rows = 1000, c.batch = 100;
    if (lin) roles(&c, lin, HUSH_OK);
    /* the drivers refuse what they cannot lay out, before allocating */
    uint32_t d[4];
    float x[4] = {0};
    c = config(HUSH_MPC_PREDICT, 1);
    if (lin) {
        CHECK_RC(hush_mpc_predict_run(&c, NULL, NULL, d, 4, NULL, 0, lin, x, 3, NULL), HUSH_ESHAPE);
        CHECK_RC(hush_mpc_predict_run(&c, NULL, NULL, d, (size_t)-1 / 2, NULL, 0, lin, x, 4, NULL), HUSH_ESHAPE);
    }
    hush_model_free(lin);
    /* wire sizes: word and byte counts near 2^32 are refused without wrapping */
    uint8_t buf[64] = {0}, sid[16] = {1};
    hush__mpc_msg m;
    CHECK_OK(hush__mpcwire_header(buf, sizeof buf, HUSH_MPC_MSG_OPEN, 0, 1, sid, 0, 1));
    memset(buf + 32, 0xff, 4); /* n_words = 2^32 - 1: 8 * n_words wraps on 32 bits */
    CHECK_RC(hush__mpcwire_decode(&m, buf, HUSH_MPC_HEADER_BYTES + 8), HUSH_ERANGE);
    buf[32] = 0, buf[33] = 0, buf[34] = 0, buf[35] = 0x20; /* 2^29 words: over the limit */
    CHECK_RC(hush__mpcwire_decode(&m, buf, HUSH_MPC_HEADER_BYTES + 8), HUSH_ERANGE);
    buf[35] = 0x08; /* 2^27 words: allowed, but the buffer is short */
    CHECK_RC(hush__mpcwire_decode(&m, buf, HUSH_MPC_HEADER_BYTES + 8), HUSH_ETRUNC);
    CHECK_RC(hush__mpcwire_header(buf, sizeof buf, HUSH_MPC_MSG_OPEN, 0, 1, sid, 0, (size_t)1 << 28), HUSH_ERANGE);
    hush__chan_msg cm;
    hush__chanwire_record_header(buf, HUSH__CHAN_DATA, 0, HUSH_CHANNEL_MAX_PAYLOAD_BYTES);
    CHECK_RC(hush__chanwire_decode(&cm, buf, 64), HUSH_ETRUNC);
    hush__chanwire_record_header(buf, HUSH__CHAN_DATA, 0, 0xFFFFFFF0u); /* + 36 wraps on 32 bits */
    CHECK_RC(hush__chanwire_decode(&cm, buf, 20), HUSH_EFORMAT);
    /* a guard's table: capacity is bounded so 2 x capacity x 16 bytes cannot wrap */
    hush_mpc_guard *g = NULL;
    CHECK_RC(hush_mpc_guard_create(&g, (size_t)HUSH_MPC_GUARD_MAX + 1, NULL), HUSH_EARG);
    CHECK(g == NULL);
    CHECK_SUMMARY();
}
