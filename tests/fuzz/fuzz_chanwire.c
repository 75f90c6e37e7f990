/* libFuzzer target: the channel decoder (core/src/io/chanwire.c) and the channel state machine
 * behind it. Each input is decoded and, when valid, re-encoded to the same bytes. Then it is
 * offered to channels in every state of the handshake of tests/vectors/channel/handshake.kat
 * (same keys, so the corpus's genuine messages are accepted and mutations reach the signature,
 * session, role, counter and tag checks). A refused input must leave the channel unchanged: the
 * genuine handshake and a record must still go through afterwards. */
#include <stdlib.h>
#include <string.h>

#include "hush.h"
#include "io/chanwire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t SESSION[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};

static void roundtrip(const uint8_t *data, size_t size) {
    hush__chan_msg m;
    if (hush__chanwire_decode(&m, data, size) != HUSH_OK) return;
    uint8_t out[HUSH_CHANNEL_HANDSHAKE_MAX_BYTES];
    switch (m.type) {
    case HUSH__CHAN_HELLO: hush__chanwire_hello(out, m.session, m.role_i, m.role_r, m.e); break;
    case HUSH__CHAN_REPLY: hush__chanwire_reply(out, m.e, m.sig); break;
    case HUSH__CHAN_FINISH: hush__chanwire_finish(out, m.sig); break;
    default: hush__chanwire_record_header(out, m.type, m.counter, m.length); size = HUSH_CHANNEL_RECORD_HEADER_BYTES;
    }
    if (memcmp(out, data, size) != 0) abort();
}

/* the named stream of a seed, as in the known-answer file */
static void stream(hush_rng *r, uint64_t seed, const char *name) {
    hush_rng master;
    if (hush_rng_init_u64(&master, seed) || hush_rng_derive(r, &master, name)) abort();
    hush_rng_clear(&master);
}

static hush_channel *make(uint32_t side, uint64_t id_seed, uint64_t peer_seed, uint64_t e_seed) {
    uint8_t pk[32], sk[64], ppk[32], psk[64];
    hush_rng r;
    hush_channel_config cfg;
    hush_channel *ch = NULL;
    int init = side == HUSH_CHANNEL_INITIATOR;
    stream(&r, id_seed, "channel");
    if (hush_channel_keypair(&r, pk, 32, sk, 64)) abort();
    stream(&r, peer_seed, "channel");
    if (hush_channel_keypair(&r, ppk, 32, psk, 64)) abort();
    if (hush_channel_config_init(&cfg, side, SESSION, 16, init ? 7 : 0xFFFE, init ? 0xFFFE : 7)) abort();
    stream(&r, e_seed, "channel.ephemeral");
    if (hush_channel_create(&ch, &r, &cfg, sk, 64, ppk, 32, NULL)) abort();
    hush_rng_clear(&r);
    return ch;
}

/* Offers the input; returns 1 if it was accepted. A refusal must not change the state. */
static int offer(hush_channel *ch, const uint8_t *data, size_t size) {
    uint8_t out[256];
    size_t w = 0;
    uint32_t s0 = hush_channel_state(ch);
    int rc = hush_channel_receive(ch, out, sizeof out, &w, data, size);
    if (rc != HUSH_OK && hush_channel_state(ch) != s0) abort();
    return rc == HUSH_OK;
}

static void step(hush_channel *from, hush_channel *to, int must) {
    uint8_t buf[HUSH_CHANNEL_HANDSHAKE_MAX_BYTES], out[8];
    size_t w = 0, n = 0;
    if (hush_channel_next_message(from, buf, sizeof buf, &w)) abort();
    int rc = hush_channel_receive(to, out, sizeof out, &n, buf, w);
    if (must && rc != HUSH_OK) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (hush_init() != HUSH_OK) abort();
    roundtrip(data, size);
    hush_channel *i = make(HUSH_CHANNEL_INITIATOR, 11, 12, 21), *r = make(HUSH_CHANNEL_RESPONDER, 12, 11, 22);
    int hit_i = offer(i, data, size), hit_r = offer(r, data, size);
    /* every later handshake step, with the input offered to both sides in between */
    uint8_t buf[HUSH_CHANNEL_HANDSHAKE_MAX_BYTES], out[256];
    size_t w = 0, n = 0;
    if (hush_channel_next_message(i, buf, sizeof buf, &w)) abort(); /* HELLO */
    hit_i |= offer(i, data, size);
    if (!hit_r) {
        if (hush_channel_receive(r, out, sizeof out, &n, buf, w)) abort();
        hit_r |= offer(r, data, size);
        if (!hit_i && !hit_r) {
            step(r, i, 1); /* REPLY */
            hit_r |= offer(r, data, size);
            step(i, r, !hit_r); /* FINISH */
            hit_i |= offer(i, data, size);
            hit_r |= offer(r, data, size);
            /* open both ways: a genuine record still goes through unless the input was one */
            if (hush_channel_state(i) == HUSH_CHANNEL_STATE_OPEN && hush_channel_state(r) == HUSH_CHANNEL_STATE_OPEN) {
                static const char text[] = "the applicant's features";
                if (hush_channel_seal(i, buf, sizeof buf, &w, (const uint8_t *)text, sizeof text)) abort();
                int rc = hush_channel_receive(r, out, sizeof out, &n, buf, w);
                if (!hit_r && (rc != HUSH_OK || n != sizeof text || memcmp(out, text, n) != 0)) abort();
            }
        }
    }
    hush_channel_free(i);
    hush_channel_free(r);
    return 0;
}
