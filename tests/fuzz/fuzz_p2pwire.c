/* libFuzzer target: the p2p frames of hush.v1 (core/src/io/p2pwire.c) and the state machine that
 * takes them (core/src/p2p/p2p.c). Byte 0 picks (mod 4): 0, one frame to the decoder, whose
 * accepted output must be self-consistent; 1, a description (model file and schema) to the
 * splitter; 2, a link frame; 3, one frame to an applicant and to a bank that are authenticated,
 * described and serving, each with a session running (its roles created, channels waiting).
 * Nothing may crash, leak or read past the input. */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "hush.h"
#include "hush/p2p.h"
#include "io/netwire.h"
#include "io/p2pwire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void drain(hush_p2p *p) {
    uint8_t out[1 << 16];
    size_t w;
    while (hush_p2p_next_message(p, out, sizeof out, &w) == HUSH_OK && w) {
    }
    uint32_t slot;
    while (hush_p2p_link_next_message(p, &slot, out, sizeof out, &w) == HUSH_OK && w) {
    }
    hush_p2p_event e;
    do hush_p2p_event_next(p, &e);
    while (e.kind);
}

static void feed(hush_p2p *p, const uint8_t *f, size_t n) {
    int rc = hush_p2p_receive(p, f, n);
    (void)rc;
    drain(p);
}

/* A small model's file, the bank's, whose description the applicant gets. */
static size_t model_file(uint8_t *out, size_t cap) {
    hush_layer_spec layers[4];
    size_t nl = 0, w = 0;
    hush_shape in = {3, 1, 1};
    hush_model *m = NULL;
    hush_rng r;
    if (hush_model_spec_parse(layers, 4, &nl, "dense:2,relu,dense:2", NULL) ||
        hush_model_create(&m, layers, nl, in, 1, NULL) || hush_rng_init_u64(&r, 1) || hush_model_init_params(m, &r) ||
        hush_model_save(m, out, cap, &w))
        abort();
    hush_model_free(m);
    return w;
}

/* CHALLENGE (the AUTH it answers is dropped) and WELCOME; what follows stays queued. */
static void authenticate(hush_p2p *p, const char *name) {
    uint8_t f[256], nonce[32] = {7};
    size_t n;
    if (hush__nw_challenge(f, sizeof f, &n, nonce, 0)) abort();
    feed(p, f, n);
    if (hush__nw_welcome(f, sizeof f, &n, name, 0) || hush_p2p_receive(p, f, n)) abort();
    hush_p2p_event e;
    do hush_p2p_event_next(p, &e);
    while (e.kind);
}

static void run_roles(const uint8_t *msg, size_t len) {
    static const uint8_t seeds[3][32] = {{1}, {2}, {3}};
    uint8_t sk[3][64], pk[3][32];
    for (int i = 0; i < 3; i++) crypto_sign_seed_keypair(pk[i], sk[i], seeds[i]);
    uint8_t file[4096];
    size_t flen = model_file(file, sizeof file);
    hush_p2p_config cb, ca;
    hush_p2p *bank = NULL, *app = NULL;
    if (hush_p2p_config_init(&cb, HUSH_P2P_BANK) || hush_p2p_config_init(&ca, HUSH_P2P_APPLICANT)) abort();
    cb.direct = ca.direct = 1;
    if (hush_p2p_create(&bank, &cb, sk[0], "bank", NULL, NULL) || hush_p2p_create(&app, &ca, sk[1], "app", NULL, NULL))
        abort();
    if (hush_p2p_serve(bank, file, flen, "@relation x\n", 12)) abort();
    authenticate(bank, "bank");
    authenticate(app, "app");
    drain(app);
    /* the bank's SERVE frame is the MODEL frame's content */
    uint8_t out[1 << 16];
    size_t w = 0;
    if (hush_p2p_next_message(bank, out, sizeof out, &w) || !w) abort();
    hush__pw_msg m;
    if (hush__pw_decode(&m, out, w, sizeof out)) abort();
    size_t ml = hush__pw_model_size("bank", m.desc_len);
    uint8_t *mf = malloc(ml);
    if (!mf || hush__pw_model(mf, ml, &ml, "bank", pk[0], m.flags, m.max_rows, m.desc, m.desc_len, m.sig)) abort();
    uint8_t hash[32];
    crypto_generichash(hash, sizeof hash, m.desc, m.desc_len, NULL, 0);
    if (hush_p2p_describe(app, "bank")) abort();
    feed(app, mf, ml);
    free(mf);
    float x[3] = {1, 2, 3};
    uint32_t slot;
    if (hush_p2p_apply(app, &slot, "bank", x, 3, 1, HUSH_P2P_LINK_DIRECT)) abort();
    drain(app);
    uint8_t sid[16] = {9, 9, 9}, f[512];
    size_t n;
    if (hush__pw_session(f, sizeof f, &n, slot, sid, 1, "bank", pk[0], pk[2], 1, HUSH_P2P_LINK_DIRECT, hash)) abort();
    feed(app, f, n);
    if (hush__pw_session(f, sizeof f, &n, 0, sid, 0, "app", pk[1], pk[2], 1, HUSH_P2P_LINK_DIRECT, hash)) abort();
    feed(bank, f, n);
    /* the fuzzed frame, to both, and as a direct-link message */
    feed(app, msg, len);
    feed(bank, msg, len);
    if (hush_p2p_link(app, slot, HUSH_P2P_LINK_DIRECT) == HUSH_OK) {
        int rc = hush_p2p_link_receive(app, slot, msg, len);
        (void)rc;
        drain(app);
    }
    hush_p2p_free(app);
    hush_p2p_free(bank);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    size_t len = size - 1;
    uint8_t *msg = malloc(len ? len : 1); /* exact size, so ASan sees any over-read */
    if (!msg) abort();
    memcpy(msg, data + 1, len);
    switch (data[0] % 4) {
    case 0: {
        hush__pw_msg m;
        if (hush__pw_decode(&m, msg, len, 1u << 24) == HUSH_OK) {
            if (m.type < HUSH_P2P_MSG_FIRST || m.type > HUSH_P2P_MSG_LAST) abort();
            if (m.name.p && !hush__nw_name_ok(m.name.p, m.name.len)) abort();
            if (m.desc && (m.model_len + m.schema_len + 8 != m.desc_len)) abort();
        }
        break;
    }
    case 1: {
        const uint8_t *mo, *sc;
        size_t ml, sl;
        if (hush__pw_desc_split(msg, len, &mo, &ml, &sc, &sl) == HUSH_OK && ml + sl + 8 != len) abort();
        break;
    }
    case 2: {
        uint32_t tag, flags;
        const uint8_t *b;
        size_t n;
        if (hush__pw_link_decode(msg, len, &tag, &flags, &b, &n) == HUSH_OK && n + 2 != len) abort();
        break;
    }
    default: run_roles(msg, len); break;
    }
    free(msg);
    return 0;
}
