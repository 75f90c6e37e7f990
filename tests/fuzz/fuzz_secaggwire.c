/* libFuzzer target: secure-aggregation wire messages (core/src/io/secaggwire.c) through the decoder
 * and both state machines, at any round.
 *
 * Byte 0 picks the configuration: bit 0 authenticated, bit 1 SecAgg+, bits 2-3 the ring size,
 * bits 4-6 a stage s (mod 5). An honest round of 8 seeded clients is played up to stage s: the
 * server then waits for round-s messages, and every client has sent its round-s message (not
 * delivered) and waits for the server's round s + 1. The rest of the input is one message,
 * given to the decoder (whose accepted output must be self-consistent), to that server and to
 * the client it names as recipient. So reports, share hashes, signatures and lists are all
 * reached, not only the round-0 checks.
 *
 * Corpus: built with -DHUSH_FUZZ_GEN_CORPUS (no libFuzzer) this file is a program that writes
 * every honest message of every configuration and stage into the directory given as argv[1]:
 *   cc -DHUSH_FUZZ_GEN_CORPUS -Icore/include -Icore/src tests/fuzz/fuzz_secaggwire.c \
 *      build/native/libhush.a -lsodium -lm -o /tmp/gen && /tmp/gen tests/fuzz/corpus/fuzz_secaggwire */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "hush/secagg.h"
#include "io/secaggwire.h"

#define N 8

typedef struct world {
    hush_secagg_config cfg;
    hush_secagg_server *s;
    hush_secagg_client *c[N];
    uint8_t *buf, *ups[N]; /* ups: each client's round-s message, not yet delivered */
    size_t cap, up_len[N];
} world;

static void die(const char *what) {
    fprintf(stderr, "fuzz_secaggwire: %s\n", what);
    abort();
}

static void world_free(world *w) {
    for (int u = 0; u < N; u++) {
        hush_secagg_client_free(w->c[u]);
        free(w->ups[u]);
    }
    hush_secagg_server_free(w->s);
    free(w->buf);
}

/* Callback for every honest message, for the corpus generator; NULL while fuzzing. */
typedef void (*emit_fn)(uint8_t cfgbyte, const uint8_t *msg, size_t len);

static void world_init(world *w, uint8_t cfgbyte, int stage, emit_fn emit) {
    static const uint32_t bits[4] = {32, 16, 7, 1};
    memset(w, 0, sizeof *w);
    if (hush_secagg_config_init(&w->cfg, N, 5, 0, 4) != HUSH_OK) die("config");
    w->cfg.authenticated = cfgbyte & 1;
    if (cfgbyte & 2) {
        w->cfg.neighbours = 4;
        w->cfg.threshold = 3;
    }
    w->cfg.bits = bits[(cfgbyte >> 2) & 3];
    memcpy(w->cfg.session, "hush-fuzz-sessio", 16);
    uint8_t sks[N * 64], pks[N * 32];
    for (int u = 0; u < N; u++) {
        uint8_t seed[32] = {(uint8_t)u, 0xf0};
        crypto_sign_seed_keypair(pks + 32 * u, sks + 64 * u, seed);
    }
    if (hush_secagg_server_create(&w->s, &w->cfg, NULL) != HUSH_OK) die("server");
    if (w->cfg.authenticated && hush_secagg_server_set_identities(w->s, pks, sizeof pks) != HUSH_OK) die("pki");
    w->cap = hush_secagg_server_max_message(w->s);
    if (!(w->buf = malloc(w->cap))) die("oom");
    for (int u = 0; u < N; u++) {
        uint8_t seed[32] = {(uint8_t)u, 7};
        uint32_t x[4] = {(uint32_t)u & 1, 1, 0, (uint32_t)u & 1};
        if (hush_secagg_client_create(&w->c[u], &w->cfg, (uint32_t)u, seed, 32, NULL) != HUSH_OK) die("client");
        if (w->cfg.authenticated && hush_secagg_client_set_identity(w->c[u], sks + 64 * u, 64, pks, sizeof pks))
            die("identity");
        if (hush_secagg_client_set_input(w->c[u], x, 4) != HUSH_OK) die("input");
    }
    for (int r = 0; r <= stage; r++) {
        for (int u = 0; u < N; u++) {
            size_t len;
            if (hush_secagg_client_next_message(w->c[u], w->buf, w->cap, &len) != HUSH_OK || !len) die("send");
            if (emit) emit(cfgbyte, w->buf, len);
            if (r < stage && hush_secagg_server_receive(w->s, w->buf, len) != HUSH_OK) die("receive");
            if (r == stage) {
                if (!(w->ups[u] = malloc(len))) die("oom");
                memcpy(w->ups[u], w->buf, len);
                w->up_len[u] = len;
            }
        }
        if (r == stage) break;
        if (hush_secagg_server_end_round(w->s) != HUSH_OK) die("end round");
        for (;;) {
            uint32_t to;
            size_t len;
            if (hush_secagg_server_next_message(w->s, &to, w->buf, w->cap, &len) != HUSH_OK) die("next");
            if (!len) break;
            if (emit) emit(cfgbyte, w->buf, len);
            if (hush_secagg_client_receive(w->c[to], w->buf, len) != HUSH_OK) die("deliver");
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    world w;
    int stage = ((data[0] >> 4) & 7) % 5;
    world_init(&w, data[0], stage, NULL);
    size_t len = size - 1;
    uint8_t *msg = malloc(len ? len : 1); /* exact size, so ASan sees any over-read */
    if (!msg) die("oom");
    memcpy(msg, data + 1, len);
    hush__saw_msg m;
    int rc = hush__saw_decode(&m, msg, len, &w.cfg);
    if (rc == HUSH_OK) {
        if (hush__saw_size(&w.cfg, m.dir, m.round, m.count) != len) die("size");
        for (uint32_t i = 1; m.entries && i < m.count; i++)
            if (hush__saw_id(&m, i) <= hush__saw_id(&m, i - 1)) die("order");
        if (m.dir == HUSH__SAW_UP && m.round == 2) {
            uint32_t sum[4] = {0};
            hush__saw_add_values(sum, &m, w.cfg.bits);
            for (int i = 0; i < 4; i++)
                if (w.cfg.bits < 32 && (sum[i] >> w.cfg.bits)) die("value");
        }
    }
    uint32_t before = hush_secagg_server_count(w.s, (uint32_t)stage);
    rc = hush_secagg_server_receive(w.s, msg, len);
    if ((rc == HUSH_OK) != (hush_secagg_server_count(w.s, (uint32_t)stage) == before + 1)) die("count");
    if (rc == HUSH_OK) {
        /* the honest rest of the round (the accepted sender's own message is now a duplicate) */
        for (int u = 0; u < N; u++)
            if (hush_secagg_server_receive(w.s, w.ups[u], w.up_len[u]) != HUSH_OK) continue;
    }
    if (rc == HUSH_OK && hush_secagg_server_end_round(w.s) == HUSH_OK) {
        /* whatever got accepted must still give well-formed messages */
        for (;;) {
            uint32_t to;
            size_t ol;
            if (hush_secagg_server_next_message(w.s, &to, w.buf, w.cap, &ol) != HUSH_OK) die("next after");
            if (!ol) break;
            hush__saw_msg d;
            if (hush__saw_decode(&d, w.buf, ol, &w.cfg) != HUSH_OK) die("server wrote a bad message");
        }
    }
    uint32_t to = len >= 28 ? (uint32_t)msg[24] % N : 0;
    if (hush_secagg_client_receive(w.c[to], msg, len) != HUSH_OK) { /* refusals are the point */
    }
    size_t ol;
    int crc = hush_secagg_client_next_message(w.c[to], w.buf, w.cap, &ol);
    if (crc == HUSH_OK && ol) {
        hush__saw_msg d;
        if (hush__saw_decode(&d, w.buf, ol, &w.cfg) != HUSH_OK) die("client wrote a bad message");
    }
    free(msg);
    world_free(&w);
    return 0;
}

#ifdef HUSH_FUZZ_GEN_CORPUS
static const char *out_dir;
static unsigned counter;

static void emit_file(uint8_t cfgbyte, const uint8_t *msg, size_t len) {
    /* one file per (configuration, direction, round), the first honest message of each */
    static uint8_t seen[256][2][5];
    int dir = msg[2] & 1, round = msg[1] % 5;
    if (seen[cfgbyte][dir][round]++) return;
    /* the stage at which this message is what the fuzzer's world expects */
    int stage = dir == HUSH__SAW_UP ? round : round - 1;
    uint8_t b = (uint8_t)((cfgbyte & 0x0f) | (stage << 4));
    char path[512];
    snprintf(path, sizeof path, "%s/v2_c%x_%s%d.bin", out_dir, cfgbyte & 0x0f, dir ? "down" : "up", round);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(&b, 1, 1, f) != 1 || fwrite(msg, 1, len, f) != len) die(path);
    fclose(f);
    counter++;
}

int main(int argc, char **argv) {
    if (argc != 2 || hush_init() != HUSH_OK) return 2;
    out_dir = argv[1];
    static const uint8_t cfgs[] = {0x0, 0x1, 0x2, 0x3, 0x4, 0x8, 0xc, 0xb};
    for (size_t i = 0; i < sizeof cfgs; i++) {
        world w;
        world_init(&w, cfgs[i], 4, emit_file);
        world_free(&w);
    }
    printf("%u files\n", counter);
    return 0;
}
#endif
