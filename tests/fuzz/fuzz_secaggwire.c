/* libFuzzer target: secure-aggregation wire messages (core/src/io/secaggwire.c) through both
 * state machines. Byte 0 picks the configuration (bit 0 authenticated, bit 1 SecAgg+, bits 2-3
 * the ring size); the rest is one message, given to a fresh server (as a round-0 message) and to
 * a fresh client, and to the decoder directly, whose accepted output must be self-consistent. */
#include <stdlib.h>
#include <string.h>

#include "hush/secagg.h"
#include "io/secaggwire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    static const uint32_t bits[4] = {32, 16, 7, 1};
    hush_secagg_config cfg;
    if (hush_secagg_config_init(&cfg, 8, 5, 4) != HUSH_OK) abort();
    cfg.authenticated = data[0] & 1;
    if (data[0] & 2) {
        cfg.neighbours = 4;
        cfg.threshold = 3;
    }
    cfg.bits = bits[(data[0] >> 2) & 3];
    memcpy(cfg.session, "hush-fuzz-sessio", 16);
    size_t len = size - 1;
    uint8_t *msg = malloc(len ? len : 1); /* exact size, so ASan sees any over-read */
    if (!msg) abort();
    memcpy(msg, data + 1, len);
    hush__saw_msg m;
    int rc = hush__saw_decode(&m, msg, len, &cfg);
    if (rc == HUSH_OK) {
        if (hush__saw_size(&cfg, m.dir, m.round, m.count) != len) abort();
        for (uint32_t i = 1; m.entries && i < m.count; i++)
            if (hush__saw_id(&m, i) <= hush__saw_id(&m, i - 1)) abort();
    }
    hush_secagg_server *s;
    if (hush_secagg_server_create(&s, &cfg, NULL) != HUSH_OK) abort();
    rc = hush_secagg_server_receive(s, msg, len);
    if (rc == HUSH_OK && hush_secagg_server_count(s, 0) != 1) abort();
    hush_secagg_server_free(s);
    hush_secagg_client *c;
    uint8_t seed[32] = {7};
    if (hush_secagg_client_create(&c, &cfg, m.recipient < 8 ? m.recipient : 0, seed, 32, NULL) != HUSH_OK) abort();
    if (!cfg.authenticated) {
        uint8_t out[1024];
        size_t ol;
        if (hush_secagg_client_next_message(c, out, sizeof out, &ol) != HUSH_OK) abort();
    }
    (void)hush_secagg_client_receive(c, msg, len);
    hush_secagg_client_free(c);
    free(msg);
    return 0;
}
