/* Tests for the authenticated channel (core/src/channel, core/src/io/chanwire.c): a handshake and
 * records checked against an independent re-derivation of the specification in hush/channel.h
 * with libsodium's primitives and against the known-answer file tests/vectors/channel/
 * handshake.kat; a man in the middle with the wrong identity, a substituted ephemeral key, a
 * low-order key, replayed, reordered, dropped, truncated, bit-flipped and reflected records, a
 * forged CLOSE, session and role binding, buffer sizes, fault injection, and wiping at free. */
#include <string.h>

#include <sodium.h>

#include "check.h"
#include "hush.h"
#include "io/chanwire.h"
#include "kat.h"

typedef struct peer {
    uint8_t pk[HUSH_CHANNEL_PUBLIC_KEY_BYTES], sk[HUSH_CHANNEL_SECRET_KEY_BYTES];
} peer;

static const uint8_t SESSION[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
enum { ROLE_I = 7, ROLE_R = 0xFFFE };

/* The canonical named streams JS uses too (hush.channel.keypair({ seed, reproducible }) and
 * Channel({ seed, reproducibleNoise })), so the known answers hold for both. */
static hush_rng stream(uint64_t seed, const char *name) {
    hush_rng master, r;
    memset(&r, 0, sizeof r);
    CHECK_OK(hush_rng_init_u64(&master, seed));
    CHECK_OK(hush_rng_derive(&r, &master, name));
    hush_rng_clear(&master);
    return r;
}

static void keypair(peer *p, uint64_t seed) {
    hush_rng r = stream(seed, "channel");
    CHECK_OK(hush_channel_keypair(&r, p->pk, sizeof p->pk, p->sk, sizeof p->sk));
    hush_rng_clear(&r);
}

/* A channel whose ephemeral key is the first 32 bytes of a named stream of eseed. */
static hush_channel *make(uint32_t side, const uint8_t *session, uint32_t me, uint32_t them, const peer *self,
                          const uint8_t *peer_pk, uint64_t eseed, const hush_allocator *alloc, int *rc_out) {
    hush_channel_config cfg;
    hush_channel *ch = NULL;
    hush_rng r = stream(eseed, "channel.ephemeral");
    int rc = hush_channel_config_init(&cfg, side, session, 16, me, them);
    if (rc == HUSH_OK) rc = hush_channel_create(&ch, &r, &cfg, self->sk, sizeof self->sk, peer_pk, 32, alloc);
    hush_rng_clear(&r);
    if (rc_out) *rc_out = rc;
    return ch;
}

/* 1 if field `name` of the case is the hex of bytes[0..len). */
static int kat_equal(const kat_case *c, const char *name, const uint8_t *bytes, size_t len) {
    const char *hex = kat_get(c, name);
    size_t n = 0;
    unsigned char *want = hex ? kat_hex(hex, &n) : NULL;
    int eq = want && n == len && memcmp(want, bytes, len) == 0;
    if (!eq && hex) {
        fprintf(stderr, "%s = ", name);
        for (size_t i = 0; i < len; i++) fprintf(stderr, "%02x", bytes[i]);
        fputc('\n', stderr);
    }
    free(want);
    return eq;
}

static uint8_t hs[3][HUSH_CHANNEL_HANDSHAKE_MAX_BYTES];
static size_t hs_len[3];

/* Runs the three handshake messages, keeping copies in hs[]. */
static int handshake(hush_channel *i, hush_channel *r) {
    int rc;
    uint8_t tmp[8];
    size_t w;
    if ((rc = hush_channel_next_message(i, hs[0], sizeof hs[0], &hs_len[0]))) return rc;
    if ((rc = hush_channel_receive(r, tmp, sizeof tmp, &w, hs[0], hs_len[0]))) return rc;
    if ((rc = hush_channel_next_message(r, hs[1], sizeof hs[1], &hs_len[1]))) return rc;
    if ((rc = hush_channel_receive(i, tmp, sizeof tmp, &w, hs[1], hs_len[1]))) return rc;
    if ((rc = hush_channel_next_message(i, hs[2], sizeof hs[2], &hs_len[2]))) return rc;
    return hush_channel_receive(r, tmp, sizeof tmp, &w, hs[2], hs_len[2]);
}

static void test_config(void) {
    hush_channel_config c;
    uint8_t zero[16] = {0};
    CHECK_OK(hush_channel_config_init(&c, HUSH_CHANNEL_INITIATOR, SESSION, 16, 1, 2));
    CHECK(c.version == HUSH_CHANNEL_CONFIG_VERSION && c.local_role == 1 && c.peer_role == 2);
    CHECK_RC(hush_channel_config_init(&c, 3, SESSION, 16, 1, 2), HUSH_EARG);
    CHECK_RC(hush_channel_config_init(&c, HUSH_CHANNEL_INITIATOR, SESSION, 15, 1, 2), HUSH_EARG);
    CHECK_RC(hush_channel_config_init(&c, HUSH_CHANNEL_INITIATOR, zero, 16, 1, 2), HUSH_EARG);
    CHECK_RC(hush_channel_config_init(&c, HUSH_CHANNEL_INITIATOR, SESSION, 16, 2, 2), HUSH_EARG);
    CHECK_RC(hush_channel_config_init(NULL, HUSH_CHANNEL_INITIATOR, SESSION, 16, 1, 2), HUSH_EARG);
    peer a;
    keypair(&a, 1);
    hush_channel *ch = NULL;
    memset(&c, 0, sizeof c); /* a zeroed config is never meaningful */
    CHECK_RC(hush_channel_create(&ch, NULL, &c, a.sk, 64, a.pk, 32, NULL), HUSH_EARG);
    CHECK_OK(hush_channel_config_init(&c, HUSH_CHANNEL_INITIATOR, SESSION, 16, 1, 2));
    CHECK_RC(hush_channel_create(&ch, NULL, &c, a.sk, 63, a.pk, 32, NULL), HUSH_EARG);
    CHECK_RC(hush_channel_create(&ch, NULL, &c, a.sk, 64, a.pk, 31, NULL), HUSH_EARG);
    CHECK(ch == NULL);
    CHECK(hush_channel_state(NULL) == 0);
    uint8_t pk[32], sk[64];
    CHECK_RC(hush_channel_keypair(NULL, pk, 31, sk, 64), HUSH_EARG);
    CHECK_OK(hush_channel_keypair(NULL, pk, 32, sk, 64)); /* OS randomness */
    CHECK(memcmp(sk + 32, pk, 32) == 0);
}

/* The specification, re-derived with libsodium directly: th, both signatures, the key split and
 * the first record of each direction. */
static void test_spec(void) {
    peer a, b;
    keypair(&a, 11);
    keypair(&b, 12);
    hush_channel *i = make(HUSH_CHANNEL_INITIATOR, SESSION, ROLE_I, ROLE_R, &a, b.pk, 21, NULL, NULL);
    hush_channel *r = make(HUSH_CHANNEL_RESPONDER, SESSION, ROLE_R, ROLE_I, &b, a.pk, 22, NULL, NULL);
    CHECK(hush_channel_state(i) == HUSH_CHANNEL_STATE_HANDSHAKE && hush_channel_state(r) == HUSH_CHANNEL_STATE_HANDSHAKE);
    CHECK_OK(handshake(i, r));
    CHECK(hush_channel_state(i) == HUSH_CHANNEL_STATE_OPEN && hush_channel_state(r) == HUSH_CHANNEL_STATE_OPEN);
    CHECK(hs_len[0] == 64 && hs_len[1] == 104 && hs_len[2] == 72);
    /* ephemeral secrets: the first 32 bytes of each rng */
    uint8_t ei_sk[32], er_sk[32], ei[32], er[32];
    hush_rng g = stream(21, "channel.ephemeral");
    CHECK_OK(hush_rng_bytes(&g, ei_sk, 32));
    g = stream(22, "channel.ephemeral");
    CHECK_OK(hush_rng_bytes(&g, er_sk, 32));
    hush_rng_clear(&g);
    CHECK(crypto_scalarmult_base(ei, ei_sk) == 0 && crypto_scalarmult_base(er, er_sk) == 0);
    CHECK(memcmp(hs[0], "HCHN\x01\x01\0\0", 8) == 0 && memcmp(hs[0] + 8, SESSION, 16) == 0);
    CHECK(hs[0][24] == ROLE_I && hs[0][28] == 0xFE && hs[0][29] == 0xFF && memcmp(hs[0] + 32, ei, 32) == 0);
    CHECK(memcmp(hs[1] + 8, er, 32) == 0);
    uint8_t th[64], roles[8] = {ROLE_I, 0, 0, 0, 0xFE, 0xFF, 0, 0};
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, 64);
    crypto_generichash_update(&st, (const uint8_t *)"hush-channel-v1", 15);
    crypto_generichash_update(&st, SESSION, 16);
    crypto_generichash_update(&st, roles, 8);
    crypto_generichash_update(&st, a.pk, 32);
    crypto_generichash_update(&st, b.pk, 32);
    crypto_generichash_update(&st, ei, 32);
    crypto_generichash_update(&st, er, 32);
    crypto_generichash_final(&st, th, 64);
    uint8_t msg[89];
    memcpy(msg, "hush-channel-v1 responder", 25);
    memcpy(msg + 25, th, 64);
    CHECK(crypto_sign_verify_detached(hs[1] + 40, msg, 89, b.pk) == 0);
    memcpy(msg, "hush-channel-v1 initiator", 25);
    CHECK(crypto_sign_verify_detached(hs[2] + 8, msg, 89, a.pk) == 0);
    uint8_t shared[32], okm[64];
    CHECK(crypto_scalarmult(shared, ei_sk, er) == 0);
    crypto_generichash_init(&st, shared, 32, 64);
    crypto_generichash_update(&st, (const uint8_t *)"hush-channel-v1 keys", 20);
    crypto_generichash_update(&st, th, 64);
    crypto_generichash_final(&st, okm, 64);
    /* initiator -> responder: okm[0..32), counter 0, then counter 1 */
    static const char text[] = "the applicant's features";
    uint8_t rec[128], back[64], nonce[24] = {0};
    size_t w, n;
    for (int k = 0; k < 2; k++) {
        CHECK_OK(hush_channel_seal(i, rec, sizeof rec, &w, (const uint8_t *)text, sizeof text));
        CHECK(w == sizeof text + HUSH_CHANNEL_OVERHEAD_BYTES);
        CHECK(rec[5] == 4 && rec[8] == k && rec[16] == sizeof text);
        nonce[0] = (uint8_t)k;
        unsigned long long ml = 0;
        CHECK(crypto_aead_xchacha20poly1305_ietf_decrypt(back, &ml, NULL, rec + 20, w - 20, rec, 20, nonce, okm) == 0);
        CHECK(ml == sizeof text && memcmp(back, text, sizeof text) == 0);
        CHECK_OK(hush_channel_receive(r, back, sizeof back, &n, rec, w));
        CHECK(n == sizeof text && memcmp(back, text, n) == 0);
    }
    /* responder -> initiator uses the second half */
    CHECK_OK(hush_channel_seal(r, rec, sizeof rec, &w, (const uint8_t *)text, 5));
    nonce[0] = 0;
    unsigned long long ml = 0;
    CHECK(crypto_aead_xchacha20poly1305_ietf_decrypt(back, &ml, NULL, rec + 20, w - 20, rec, 20, nonce, okm + 32) == 0);
    CHECK_OK(hush_channel_receive(i, back, sizeof back, &n, rec, w));
    CHECK(n == 5 && memcmp(back, text, 5) == 0);
    /* the known-answer file: the same seeds give the same bytes on every build */
    kat_file kf;
    if (kat_load(&kf, "tests/vectors/channel/handshake.kat") == 0) {
        CHECK(kf.n == 1);
        const char *names[3] = {"hello", "reply", "finish"};
        for (int k = 0; k < 3; k++)
            CHECK_MSG(kat_equal(&kf.cases[0], names[k], hs[k], hs_len[k]), "%s differs from the known answer", names[k]);
        hush_channel *i2 = make(HUSH_CHANNEL_INITIATOR, SESSION, ROLE_I, ROLE_R, &a, b.pk, 21, NULL, NULL);
        hush_channel *r2 = make(HUSH_CHANNEL_RESPONDER, SESSION, ROLE_R, ROLE_I, &b, a.pk, 22, NULL, NULL);
        CHECK_OK(handshake(i2, r2));
        CHECK_OK(hush_channel_seal(i2, rec, sizeof rec, &w, (const uint8_t *)text, sizeof text));
        CHECK_MSG(kat_equal(&kf.cases[0], "record", rec, w), "first record differs from the known answer");
        hush_channel_free(i2);
        hush_channel_free(r2);
        kat_free(&kf);
    } else {
        CHECK_MSG(0, "tests/vectors/channel/handshake.kat missing");
    }
    sodium_memzero(okm, sizeof okm);
    hush_channel_free(i);
    hush_channel_free(r);
}

/* A man in the middle without the expected identity key is refused at every step, and a refused
 * message leaves the channel able to finish with the genuine peer. */
static void test_mitm(void) {
    peer a, b, m;
    keypair(&a, 31);
    keypair(&b, 32);
    keypair(&m, 33);
    uint8_t buf[128], tmp[8];
    size_t w, n;
    /* the responder is an impostor with its own key */
    hush_channel *i = make(HUSH_CHANNEL_INITIATOR, SESSION, ROLE_I, ROLE_R, &a, b.pk, 1, NULL, NULL);
    hush_channel *fake = make(HUSH_CHANNEL_RESPONDER, SESSION, ROLE_R, ROLE_I, &m, a.pk, 2, NULL, NULL);
    hush_channel *r = make(HUSH_CHANNEL_RESPONDER, SESSION, ROLE_R, ROLE_I, &b, a.pk, 3, NULL, NULL);
    CHECK_OK(hush_channel_next_message(i, buf, sizeof buf, &w));
    CHECK_OK(hush_channel_receive(fake, tmp, sizeof tmp, &n, buf, w));
    CHECK_OK(hush_channel_receive(r, tmp, sizeof tmp, &n, buf, w));
    uint8_t bad[128], good[128];
    size_t bw, gw;
    CHECK_OK(hush_channel_next_message(fake, bad, sizeof bad, &bw));
    CHECK_OK(hush_channel_next_message(r, good, sizeof good, &gw));
    CHECK_RC(hush_channel_receive(i, tmp, sizeof tmp, &n, bad, bw), HUSH_ECRYPTO);
    CHECK(hush_channel_state(i) == HUSH_CHANNEL_STATE_HANDSHAKE);
    /* the genuine ephemeral key with the impostor's signature, and the reverse */
    memcpy(buf, good, gw);
    memcpy(buf + 40, bad + 40, 64);
    CHECK_RC(hush_channel_receive(i, tmp, sizeof tmp, &n, buf, gw), HUSH_ECRYPTO);
    memcpy(buf, bad, bw);
    memcpy(buf + 40, good + 40, 64);
    CHECK_RC(hush_channel_receive(i, tmp, sizeof tmp, &n, buf, gw), HUSH_ECRYPTO);
    CHECK_OK(hush_channel_receive(i, tmp, sizeof tmp, &n, good, gw));
    /* the impostor cannot finish either: a FINISH signed by the wrong initiator */
    CHECK_OK(hush_channel_next_message(i, buf, sizeof buf, &w));
    uint8_t forged[72];
    memcpy(forged, buf, 72);
    forged[20] ^= 1;
    CHECK_RC(hush_channel_receive(r, tmp, sizeof tmp, &n, forged, 72), HUSH_ECRYPTO);
    CHECK(hush_channel_state(r) == HUSH_CHANNEL_STATE_HANDSHAKE);
    CHECK_RC(hush_channel_receive(fake, tmp, sizeof tmp, &n, buf, w), HUSH_ECRYPTO); /* signed for r's transcript */
    CHECK_OK(hush_channel_receive(r, tmp, sizeof tmp, &n, buf, w));
    CHECK(hush_channel_state(r) == HUSH_CHANNEL_STATE_OPEN);
    hush_channel_free(i);
    hush_channel_free(r);
    hush_channel_free(fake);

    /* A relaying attacker substitutes its own ephemeral key in HELLO: the responder signs a
     * transcript the initiator never saw. */
    i = make(HUSH_CHANNEL_INITIATOR, SESSION, ROLE_I, ROLE_R, &a, b.pk, 4, NULL, NULL);
    r = make(HUSH_CHANNEL_RESPONDER, SESSION, ROLE_R, ROLE_I, &b, a.pk, 5, NULL, NULL);
    CHECK_OK(hush_channel_next_message(i, buf, sizeof buf, &w));
    uint8_t esk[32], epk[32];
    randombytes_buf(esk, 32);
    CHECK(crypto_scalarmult_base(epk, esk) == 0);
    memcpy(buf + 32, epk, 32);
    CHECK_OK(hush_channel_receive(r, tmp, sizeof tmp, &n, buf, w));
    CHECK_OK(hush_channel_next_message(r, buf, sizeof buf, &w));
    CHECK_RC(hush_channel_receive(i, tmp, sizeof tmp, &n, buf, w), HUSH_ECRYPTO);
    hush_channel_free(i);
    hush_channel_free(r);

    /* A low-order ephemeral key gives no shared secret: refused, nothing changes. */
    r = make(HUSH_CHANNEL_RESPONDER, SESSION, ROLE_R, ROLE_I, &b, a.pk, 6, NULL, NULL);
    i = make(HUSH_CHANNEL_INITIATOR, SESSION, ROLE_I, ROLE_R, &a, b.pk, 7, NULL, NULL);
    CHECK_OK(hush_channel_next_message(i, buf, sizeof buf, &w));
    uint8_t low[64];
    memcpy(low, buf, 64);
    memset(low + 32, 0, 32); /* the identity point */
    CHECK_RC(hush_channel_receive(r, tmp, sizeof tmp, &n, low, 64), HUSH_ECRYPTO);
    CHECK_OK(hush_channel_next_message(r, tmp, sizeof tmp, &n));
    CHECK(n == 0);
    CHECK_OK(hush_channel_receive(r, tmp, sizeof tmp, &n, buf, w));
    hush_channel_free(i);
    hush_channel_free(r);
}

/* Records: replay, reorder, drop, truncation, bit flips, reflection, forged and genuine CLOSE. */
static void test_records(void) {
    peer a, b;
    keypair(&a, 41);
    keypair(&b, 42);
    hush_channel *i = make(HUSH_CHANNEL_INITIATOR, SESSION, ROLE_I, ROLE_R, &a, b.pk, 8, NULL, NULL);
    hush_channel *r = make(HUSH_CHANNEL_RESPONDER, SESSION, ROLE_R, ROLE_I, &b, a.pk, 9, NULL, NULL);
    uint8_t out[64];
    size_t n;
    /* nothing can be sealed before the handshake (and before the FINISH went out) */
    uint8_t rec[4][64];
    size_t rl[4];
    CHECK_RC(hush_channel_seal(i, rec[0], sizeof rec[0], &rl[0], (const uint8_t *)"x", 1), HUSH_ESTATE);
    CHECK_OK(handshake(i, r));
    for (int k = 0; k < 4; k++) {
        uint8_t p[8] = {'m', 's', 'g', (uint8_t)('0' + k)};
        CHECK_OK(hush_channel_seal(i, rec[k], sizeof rec[k], &rl[k], p, 4));
    }
    /* reordered and dropped: record 1 before record 0 */
    CHECK_RC(hush_channel_receive(r, out, sizeof out, &n, rec[1], rl[1]), HUSH_ESTATE);
    CHECK_OK(hush_channel_receive(r, out, sizeof out, &n, rec[0], rl[0]));
    CHECK(n == 4 && out[3] == '0');
    /* replayed */
    CHECK_RC(hush_channel_receive(r, out, sizeof out, &n, rec[0], rl[0]), HUSH_ESTATE);
    /* every truncation */
    for (size_t l = 0; l < rl[1]; l++) {
        int rc = hush_channel_receive(r, out, sizeof out, &n, rec[1], l);
        CHECK_MSG(rc == HUSH_ETRUNC || rc == HUSH_EFORMAT, "length %zu: %s", l, hush_status_name(rc));
    }
    /* every single bit flip */
    uint8_t bad[64];
    long accepted = 0;
    for (size_t bit = 0; bit < 8 * rl[1]; bit++) {
        memcpy(bad, rec[1], rl[1]);
        bad[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        accepted += hush_channel_receive(r, out, sizeof out, &n, bad, rl[1]) == HUSH_OK;
    }
    CHECK_MSG(accepted == 0, "%ld bit-flipped records accepted", accepted);
    /* reflection: the initiator's own record sent back to it (its counter is the one the
     * initiator expects next, so only the per-direction key refuses it) */
    CHECK_RC(hush_channel_receive(i, out, sizeof out, &n, rec[0], rl[0]), HUSH_ECRYPTO);
    CHECK_RC(hush_channel_receive(i, out, sizeof out, &n, hs[0], hs_len[0]), HUSH_ESTATE);
    CHECK_RC(hush_channel_receive(r, out, sizeof out, &n, hs[1], hs_len[1]), HUSH_ESTATE);
    /* a replayed handshake message after the handshake */
    CHECK_RC(hush_channel_receive(r, out, sizeof out, &n, hs[0], hs_len[0]), HUSH_ESTATE);
    CHECK_RC(hush_channel_receive(r, out, sizeof out, &n, hs[2], hs_len[2]), HUSH_ESTATE);
    /* a too-small output buffer reports the size and consumes nothing */
    CHECK_RC(hush_channel_receive(r, out, 3, &n, rec[1], rl[1]), HUSH_ERANGE);
    CHECK(n == 4);
    /* none of that moved the stream: records 1..3 in order are accepted */
    for (int k = 1; k < 4; k++) {
        CHECK_OK(hush_channel_receive(r, out, sizeof out, &n, rec[k], rl[k]));
        CHECK(n == 4 && out[3] == '0' + k);
    }
    /* truncation of the stream: without the peer's CLOSE the state stays OPEN */
    CHECK(hush_channel_state(r) == HUSH_CHANNEL_STATE_OPEN);
    uint8_t cl[64];
    size_t cw;
    CHECK_OK(hush_channel_close(i, cl, sizeof cl, &cw));
    CHECK(cw == HUSH_CHANNEL_OVERHEAD_BYTES);
    CHECK_RC(hush_channel_seal(i, rec[0], sizeof rec[0], &rl[0], (const uint8_t *)"x", 1), HUSH_ESTATE);
    memcpy(bad, cl, cw);
    bad[cw - 1] ^= 0x80; /* a forged CLOSE */
    CHECK_RC(hush_channel_receive(r, out, sizeof out, &n, bad, cw), HUSH_ECRYPTO);
    CHECK(hush_channel_state(r) == HUSH_CHANNEL_STATE_OPEN);
    /* a DATA record relabelled as CLOSE: malformed (CLOSE carries nothing) or a bad tag */
    memcpy(bad, rec[3], rl[3]);
    bad[5] = 5;
    CHECK_RC(hush_channel_receive(r, out, sizeof out, &n, bad, rl[3]), HUSH_EFORMAT);
    CHECK_OK(hush_channel_receive(r, out, sizeof out, &n, cl, cw));
    CHECK(n == 0 && hush_channel_state(r) == HUSH_CHANNEL_STATE_CLOSED);
    CHECK_RC(hush_channel_receive(r, out, sizeof out, &n, cl, cw), HUSH_ESTATE);
    /* the other direction still works until its own CLOSE */
    CHECK_OK(hush_channel_seal(r, rec[0], sizeof rec[0], &rl[0], (const uint8_t *)"ok", 2));
    CHECK_OK(hush_channel_receive(i, out, sizeof out, &n, rec[0], rl[0]));
    CHECK(n == 2 && hush_channel_state(i) == HUSH_CHANNEL_STATE_OPEN);
    hush_channel_free(i);
    hush_channel_free(r);
}

/* Session and role binding: another session or another pair of roles never connects, and
 * records of one session mean nothing in another. */
static void test_binding(void) {
    peer a, b;
    keypair(&a, 51);
    keypair(&b, 52);
    uint8_t other[16];
    memcpy(other, SESSION, 16);
    other[15] ^= 1;
    uint8_t buf[128], tmp[64];
    size_t w, n;
    hush_channel *i = make(HUSH_CHANNEL_INITIATOR, SESSION, ROLE_I, ROLE_R, &a, b.pk, 1, NULL, NULL);
    hush_channel *r1 = make(HUSH_CHANNEL_RESPONDER, other, ROLE_R, ROLE_I, &b, a.pk, 2, NULL, NULL);
    hush_channel *r2 = make(HUSH_CHANNEL_RESPONDER, SESSION, 3, ROLE_I, &b, a.pk, 2, NULL, NULL);
    hush_channel *r3 = make(HUSH_CHANNEL_RESPONDER, SESSION, ROLE_R, 4, &b, a.pk, 2, NULL, NULL);
    CHECK_OK(hush_channel_next_message(i, buf, sizeof buf, &w));
    CHECK_RC(hush_channel_receive(r1, tmp, sizeof tmp, &n, buf, w), HUSH_ESTATE);
    CHECK_RC(hush_channel_receive(r2, tmp, sizeof tmp, &n, buf, w), HUSH_ESTATE);
    CHECK_RC(hush_channel_receive(r3, tmp, sizeof tmp, &n, buf, w), HUSH_ESTATE);
    /* a HELLO edited to the responder's session passes the check but the signatures bind the
     * initiator's own session: its REPLY is refused */
    memcpy(buf + 8, other, 16);
    CHECK_OK(hush_channel_receive(r1, tmp, sizeof tmp, &n, buf, w));
    CHECK_OK(hush_channel_next_message(r1, buf, sizeof buf, &w));
    CHECK_RC(hush_channel_receive(i, tmp, sizeof tmp, &n, buf, w), HUSH_ECRYPTO);
    hush_channel_free(i);
    hush_channel_free(r1);
    hush_channel_free(r2);
    hush_channel_free(r3);
    /* two sessions between the same identities: records do not cross */
    hush_channel *i1 = make(HUSH_CHANNEL_INITIATOR, SESSION, ROLE_I, ROLE_R, &a, b.pk, 1, NULL, NULL);
    hush_channel *q1 = make(HUSH_CHANNEL_RESPONDER, SESSION, ROLE_R, ROLE_I, &b, a.pk, 2, NULL, NULL);
    hush_channel *i2 = make(HUSH_CHANNEL_INITIATOR, other, ROLE_I, ROLE_R, &a, b.pk, 1, NULL, NULL);
    hush_channel *q2 = make(HUSH_CHANNEL_RESPONDER, other, ROLE_R, ROLE_I, &b, a.pk, 2, NULL, NULL);
    CHECK_OK(handshake(i1, q1));
    CHECK_OK(handshake(i2, q2));
    CHECK_OK(hush_channel_seal(i1, buf, sizeof buf, &w, (const uint8_t *)"s1", 2));
    CHECK_RC(hush_channel_receive(q2, tmp, sizeof tmp, &n, buf, w), HUSH_ECRYPTO);
    CHECK_OK(hush_channel_receive(q1, tmp, sizeof tmp, &n, buf, w));
    hush_channel_free(i1);
    hush_channel_free(q1);
    hush_channel_free(i2);
    hush_channel_free(q2);
}

static void test_buffers(void) {
    peer a, b;
    keypair(&a, 61);
    keypair(&b, 62);
    hush_channel *i = make(HUSH_CHANNEL_INITIATOR, SESSION, ROLE_I, ROLE_R, &a, b.pk, 1, NULL, NULL);
    hush_channel *r = make(HUSH_CHANNEL_RESPONDER, SESSION, ROLE_R, ROLE_I, &b, a.pk, 2, NULL, NULL);
    uint8_t buf[256], tmp[64];
    size_t w, n;
    CHECK_RC(hush_channel_next_message(i, buf, 10, &w), HUSH_ERANGE);
    CHECK(w == 64);
    CHECK_OK(handshake(i, r));
    CHECK_OK(hush_channel_next_message(i, buf, sizeof buf, &w)); /* nothing left */
    CHECK(w == 0);
    CHECK_RC(hush_channel_seal(i, buf, 40, &w, tmp, 10), HUSH_ERANGE);
    CHECK(w == 10 + HUSH_CHANNEL_OVERHEAD_BYTES);
    /* in place: the payload already sits after the header */
    memcpy(buf + HUSH_CHANNEL_RECORD_HEADER_BYTES, "in place", 8);
    CHECK_OK(hush_channel_seal(i, buf, sizeof buf, &w, buf + HUSH_CHANNEL_RECORD_HEADER_BYTES, 8));
    CHECK_OK(hush_channel_receive(r, tmp, sizeof tmp, &n, buf, w));
    CHECK(n == 8 && memcmp(tmp, "in place", 8) == 0);
    CHECK_RC(hush_channel_seal(i, buf, sizeof buf, &w, buf + 3, 8), HUSH_EARG); /* any other overlap */
    /* empty records are records */
    CHECK_OK(hush_channel_seal(i, buf, sizeof buf, &w, NULL, 0));
    CHECK_OK(hush_channel_receive(r, tmp, sizeof tmp, &n, buf, w));
    CHECK(n == 0 && hush_channel_state(r) == HUSH_CHANNEL_STATE_OPEN);
    CHECK_RC(hush_channel_seal(i, buf, sizeof buf, &w, buf, (size_t)HUSH_CHANNEL_MAX_PAYLOAD_BYTES + 1), HUSH_ERANGE);
    hush_channel_free(i);
    hush_channel_free(r);
}

/* Every create path fails cleanly; and at free every byte the channel held has been wiped. */
typedef struct wipe_check {
    long dirty, blocks;
} wipe_check;
static void *wc_alloc(void *ud, size_t n) {
    (void)ud;
    return malloc(n);
}
static void wc_free(void *ud, void *p, size_t n) {
    wipe_check *z = ud;
    z->blocks++;
    z->dirty += !sodium_is_zero(p, n);
    free(p);
}

static void test_alloc_and_wipe(void) {
    peer a, b;
    keypair(&a, 71);
    keypair(&b, 72);
    for (long k = 1; k < 4; k++) {
        check_alloc ca = {0, k, 0, 0};
        hush_allocator al = CHECK_ALLOCATOR(ca);
        int rc;
        hush_channel *i = make(HUSH_CHANNEL_INITIATOR, SESSION, ROLE_I, ROLE_R, &a, b.pk, 1, &al, &rc);
        CHECK(k > 1 ? rc == HUSH_OK : rc == HUSH_ENOMEM);
        hush_channel_free(i);
        CHECK(ca.live_blocks == 0 && ca.live_bytes == 0);
    }
    wipe_check z = {0, 0};
    hush_allocator wa = {wc_alloc, wc_free, &z};
    hush_channel *i = make(HUSH_CHANNEL_INITIATOR, SESSION, ROLE_I, ROLE_R, &a, b.pk, 1, &wa, NULL);
    hush_channel *r = make(HUSH_CHANNEL_RESPONDER, SESSION, ROLE_R, ROLE_I, &b, a.pk, 2, &wa, NULL);
    CHECK_OK(handshake(i, r));
    hush_channel_free(i);
    hush_channel_free(r);
    CHECK(z.blocks == 2 && z.dirty == 0);
    hush_allocator half = {wc_alloc, NULL, &z};
    hush_channel_config cfg;
    hush_channel *ch = NULL;
    CHECK_OK(hush_channel_config_init(&cfg, HUSH_CHANNEL_INITIATOR, SESSION, 16, 1, 2));
    CHECK_RC(hush_channel_create(&ch, NULL, &cfg, a.sk, 64, b.pk, 32, &half), HUSH_EARG);
}

/* The decoder on its own: sizes, preamble, version, types. */
static void test_decoder(void) {
    hush__chan_msg m;
    uint8_t buf[128] = {0};
    CHECK_RC(hush__chanwire_decode(&m, buf, 0), HUSH_ETRUNC);
    memcpy(buf, "HCHN\x01\x03\0\0", 8);
    CHECK_RC(hush__chanwire_decode(&m, buf, 71), HUSH_ETRUNC);
    CHECK_OK(hush__chanwire_decode(&m, buf, 72));
    CHECK(m.type == HUSH__CHAN_FINISH);
    CHECK_RC(hush__chanwire_decode(&m, buf, 73), HUSH_EFORMAT);
    buf[4] = 2;
    CHECK_RC(hush__chanwire_decode(&m, buf, 72), HUSH_EVERSION);
    buf[4] = 1, buf[5] = 9;
    CHECK_RC(hush__chanwire_decode(&m, buf, 72), HUSH_EFORMAT);
    buf[5] = 3, buf[6] = 1;
    CHECK_RC(hush__chanwire_decode(&m, buf, 72), HUSH_EFORMAT);
    buf[6] = 0, buf[0] = 'X';
    CHECK_RC(hush__chanwire_decode(&m, buf, 72), HUSH_EFORMAT);
    /* records: the length field against the bytes, and its bound */
    hush__chanwire_record_header(buf, HUSH__CHAN_DATA, 3, 5);
    CHECK_OK(hush__chanwire_decode(&m, buf, 41));
    CHECK(m.counter == 3 && m.length == 5);
    CHECK_RC(hush__chanwire_decode(&m, buf, 40), HUSH_ETRUNC);
    CHECK_RC(hush__chanwire_decode(&m, buf, 42), HUSH_EFORMAT);
    hush__chanwire_record_header(buf, HUSH__CHAN_DATA, 0, 0xFFFFFFFFu);
    CHECK_RC(hush__chanwire_decode(&m, buf, 128), HUSH_EFORMAT);
    hush__chanwire_record_header(buf, HUSH__CHAN_CLOSE, 0, 1);
    CHECK_RC(hush__chanwire_decode(&m, buf, 37), HUSH_EFORMAT);
    CHECK_RC(hush__chanwire_decode(NULL, buf, 37), HUSH_EARG);
}

int main(void) {
    if (hush_init() != HUSH_OK) return 1;
    test_config();
    test_spec();
    test_mitm();
    test_records();
    test_binding();
    test_buffers();
    test_alloc_and_wipe();
    test_decoder();
    CHECK_SUMMARY();
}
