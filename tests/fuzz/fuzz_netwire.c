/* libFuzzer target: hush.v1 frames (core/src/io/netwire.c), identity files
 * (core/src/io/identity.c) and pin files (core/src/io/pins.c). Byte 0 picks what is fuzzed
 * (mod 3): 0, one frame given to the decoder (whose accepted output must be self-consistent) and
 * to a participant state machine in each connection state; 1, an identity file; 2, a pin file.
 * Nothing may crash, leak or read past the input. */
#include <stdlib.h>
#include <string.h>

#include "hush.h"
#include "hush/net.h"
#include "io/netwire.h"
#include <sodium.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void feed(const uint8_t *msg, size_t len, int state) {
    static const uint8_t sk_seed[32] = {1, 2, 3};
    uint8_t sk[64], pk[32], out[4096];
    crypto_sign_seed_keypair(pk, sk, sk_seed);
    hush_net_client *c;
    if (hush_net_client_create(&c, sk, "fuzz", NULL, NULL) != HUSH_OK) abort();
    if (hush_net_client_join(c, "task") != HUSH_OK) abort();
    /* state 1: after a CHALLENGE; state 2: after CHALLENGE and WELCOME */
    if (state >= 1) {
        uint8_t f[64], nonce[32] = {9};
        size_t n;
        if (hush__nw_challenge(f, sizeof f, &n, nonce, 0) || hush_net_client_receive(c, f, n)) abort();
        if (state >= 2 && (hush__nw_welcome(f, sizeof f, &n, "fuzz", 0) || hush_net_client_receive(c, f, n))) abort();
    }
    (void)hush_net_client_receive(c, msg, len);
    size_t w;
    while (hush_net_client_next_message(c, out, sizeof out, &w) == HUSH_OK && w) {
    }
    hush_net_event ev;
    do hush_net_client_event(c, &ev);
    while (ev.kind);
    hush_net_client_free(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    size_t len = size - 1;
    uint8_t *msg = malloc(len ? len : 1); /* exact size, so ASan sees any over-read */
    if (!msg) abort();
    memcpy(msg, data + 1, len);
    if (data[0] % 3 == 2) {
        static const uint8_t sk_seed[32] = {4};
        uint8_t sk[64], pk[32];
        crypto_sign_seed_keypair(pk, sk, sk_seed);
        hush_net_client *c;
        size_t bad;
        if (hush_net_client_create(&c, sk, "fuzz", NULL, NULL) != HUSH_OK) abort();
        int rc = hush_net_client_pin_text(c, (const char *)msg, len, &bad);
        if (rc != HUSH_OK && bad == 0 && rc != HUSH_ERANGE && rc != HUSH_ENOMEM) abort();
        hush_net_client_free(c);
        free(msg);
        return 0;
    }
    if (data[0] % 3 == 1) {
        uint8_t sk[64], again[HUSH_NET_IDENTITY_FILE_BYTES];
        size_t w;
        if (hush_net_identity_load(sk, msg, len) == HUSH_OK) {
            /* a file that loads saves back to the same bytes */
            if (hush_net_identity_save(again, sizeof again, &w, sk) != HUSH_OK || w != len || memcmp(again, msg, len))
                abort();
        }
        free(msg);
        return 0;
    }
    hush__nw_msg m;
    if (hush__nw_decode(&m, msg, len, 1u << 20) == HUSH_OK) {
        if (m.type == HUSH_NET_ROUND) {
            size_t pos = 0;
            int own = 0;
            for (uint32_t i = 0, prev = 0; i < m.pki_count; i++) {
                hush__nw_name nm;
                const uint8_t *pk;
                uint32_t id;
                hush__nw_pki_next(&m, &pos, i, &id, &nm, &pk);
                /* ids in range and increasing (index order without SPARSE), ours among them */
                if (!hush__nw_name_ok(nm.p, nm.len) || id >= m.n || (i && id <= prev)) abort();
                own |= id == m.your_id;
                prev = id;
            }
            if (pos != m.pki_len || !own || m.pki_count > m.n) abort();
        }
    }
    for (int state = 0; state < 3; state++) feed(msg, len, state);
    free(msg);
    return 0;
}
