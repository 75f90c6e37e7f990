/* Generates tests/vectors/channel/handshake.kat: the three handshake messages and the first record
 * of a channel with fixed identities and ephemeral keys (the streams are named in the file's
 * header). The bytes are Hush's own; tests/c/test_channel.c re-derives every field from the
 * specification with libsodium before comparing, and tests/node/channel.test.mjs checks the wasm
 * builds. Built and run by `make test-gen`:
 *   build/gen/channel_kat > tests/vectors/channel/handshake.kat */
#include <stdio.h>
#include <string.h>

#include "hush/channel.h"

static const uint8_t SESSION[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
enum { ROLE_I = 7, ROLE_R = 0xFFFE };

static int stream(hush_rng *r, uint64_t seed, const char *name) {
    hush_rng master;
    int rc = hush_rng_init_u64(&master, seed);
    if (rc == HUSH_OK) rc = hush_rng_derive(r, &master, name);
    hush_rng_clear(&master);
    return rc;
}

static int keypair(uint8_t pk[32], uint8_t sk[64], uint64_t seed) {
    hush_rng r;
    int rc = stream(&r, seed, "channel");
    if (rc == HUSH_OK) rc = hush_channel_keypair(&r, pk, 32, sk, 64);
    hush_rng_clear(&r);
    return rc;
}

static hush_channel *make(uint32_t side, uint32_t me, uint32_t them, const uint8_t *sk, const uint8_t *peer_pk,
                          uint64_t eseed) {
    hush_channel_config cfg;
    hush_channel *ch = NULL;
    hush_rng r;
    if (stream(&r, eseed, "channel.ephemeral") != HUSH_OK) return NULL;
    if (hush_channel_config_init(&cfg, side, SESSION, 16, me, them) == HUSH_OK)
        (void)!hush_channel_create(&ch, &r, &cfg, sk, 64, peer_pk, 32, NULL);
    hush_rng_clear(&r);
    return ch;
}

static void hex(const char *name, const uint8_t *b, size_t n) {
    printf("%s = ", name);
    for (size_t i = 0; i < n; i++) printf("%02x", b[i]);
    printf("\n");
}

/* Moves one handshake message from `from` to `to`, printing it. */
static int step(hush_channel *from, hush_channel *to, const char *name) {
    uint8_t msg[HUSH_CHANNEL_HANDSHAKE_MAX_BYTES], tmp[8];
    size_t w, n;
    if (hush_channel_next_message(from, msg, sizeof msg, &w) != HUSH_OK || !w) return 1;
    if (hush_channel_receive(to, tmp, sizeof tmp, &n, msg, w) != HUSH_OK) return 1;
    hex(name, msg, w);
    return 0;
}

int main(void) {
    uint8_t apk[32], ask[64], bpk[32], bsk[64];
    if (keypair(apk, ask, 11) || keypair(bpk, bsk, 12)) return 1;
    hush_channel *i = make(HUSH_CHANNEL_INITIATOR, ROLE_I, ROLE_R, ask, bpk, 21);
    hush_channel *r = make(HUSH_CHANNEL_RESPONDER, ROLE_R, ROLE_I, bsk, apk, 22);
    if (!i || !r) return 1;
    printf("# Channel handshake and first record (hush/channel.h), for fixed inputs:\n"
           "#   session 0102...0f10, initiator role 7, responder role 0xfffe;\n"
           "#   identity keys: hush_channel_keypair with the \"channel\" stream of seed 11 (initiator) and 12\n"
           "#   (responder) (hush_rng_init_u64, then hush_rng_derive);\n"
           "#   ephemeral keys: hush_channel_create with the \"channel.ephemeral\" stream of seeds 21 and 22;\n"
           "#   record: the initiator's first hush_channel_seal of \"the applicant's features\" with its NUL.\n"
           "# Source: this implementation (tests/gen/channel_kat.c). tests/c/test_channel.c re-derives every\n"
           "# field from the specification with libsodium (X25519, BLAKE2b, Ed25519, XChaCha20-Poly1305)\n"
           "# before comparing, and tests/node/channel.test.mjs checks that the wasm builds produce the same\n"
           "# bytes.\n");
    if (step(i, r, "hello") || step(r, i, "reply") || step(i, r, "finish")) return 1;
    static const char text[] = "the applicant's features";
    uint8_t rec[128];
    size_t w;
    if (hush_channel_seal(i, rec, sizeof rec, &w, (const uint8_t *)text, sizeof text) != HUSH_OK) return 1;
    hex("record", rec, w);
    hush_channel_free(i);
    hush_channel_free(r);
    return 0;
}
