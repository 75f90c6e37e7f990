/* The replay guard: a set of the 128-bit session ids a role has used (hush/mpc.h, SESSIONS).
 * An open-addressing table at most half full, indexed by SipHash under a key drawn from the OS
 * when the guard is created, so a peer choosing ids cannot pile them into one probe chain.
 * The all-zero id marks an empty slot (no session may use it). */
#include <string.h>

#include <sodium.h>

#include "base/alloc.h"
#include "mpc/mpc.h"

struct hush_mpc_guard {
    hush_allocator alloc;
    int has_alloc;
    uint8_t key[crypto_shorthash_KEYBYTES];
    size_t capacity, count, slots; /* slots: a power of two >= 2 * capacity */
    uint8_t *table;                /* slots x HUSH_MPC_SESSION_BYTES */
};

int hush_mpc_guard_create(hush_mpc_guard **out, size_t capacity, const hush_allocator *alloc) {
    if (!hush__alloc_ok(alloc) || !out) return HUSH_EARG;
    *out = NULL;
    if (capacity == 0 || capacity > HUSH_MPC_GUARD_MAX) return HUSH_EARG;
    int rc = hush_init();
    if (rc != HUSH_OK) return rc;
    hush_mpc_guard *g = hush__calloc(alloc, 1, sizeof *g);
    if (!g) return HUSH_ENOMEM;
    if (alloc) g->alloc = *alloc, g->has_alloc = 1;
    g->capacity = capacity;
    g->slots = 2;
    while (g->slots < 2 * capacity) g->slots *= 2; /* capacity <= 2^22: no overflow */
    g->table = hush__calloc(alloc, g->slots, HUSH_MPC_SESSION_BYTES);
    if (!g->table) {
        hush__mpc_free(alloc, g, sizeof *g);
        return HUSH_ENOMEM;
    }
    hush_rng os;
    rc = hush_rng_init_random(&os);
    if (rc == HUSH_OK) rc = hush_rng_bytes(&os, g->key, sizeof g->key);
    hush_rng_clear(&os);
    if (rc != HUSH_OK) {
        hush_mpc_guard_free(g);
        return rc;
    }
    *out = g;
    return HUSH_OK;
}

void hush_mpc_guard_free(hush_mpc_guard *g) {
    if (!g) return;
    hush_allocator acopy = g->alloc;
    const hush_allocator *a = g->has_alloc ? &acopy : NULL;
    hush__mpc_free(a, g->table, g->slots * HUSH_MPC_SESSION_BYTES);
    hush__mpc_free(a, g, sizeof *g);
}

size_t hush_mpc_guard_count(const hush_mpc_guard *g) { return g ? g->count : 0; }

int hush_mpc_guard_add(hush_mpc_guard *g, const uint8_t *session, size_t session_len) {
    if (!g || !session || session_len != HUSH_MPC_SESSION_BYTES) return HUSH_EARG;
    if (sodium_is_zero(session, session_len)) return HUSH_EARG;
    uint8_t h[crypto_shorthash_BYTES];
    crypto_shorthash(h, session, session_len, g->key);
    uint64_t hv = 0;
    for (int i = 7; i >= 0; i--) hv = hv << 8 | h[i];
    size_t mask = g->slots - 1;
    for (size_t i = (size_t)(hv & mask);; i = (i + 1) & mask) {
        uint8_t *slot = g->table + i * HUSH_MPC_SESSION_BYTES;
        if (sodium_is_zero(slot, HUSH_MPC_SESSION_BYTES)) {
            if (g->count >= g->capacity) return HUSH_ERANGE;
            memcpy(slot, session, HUSH_MPC_SESSION_BYTES);
            g->count++;
            return HUSH_OK;
        }
        if (sodium_memcmp(slot, session, HUSH_MPC_SESSION_BYTES) == 0) return HUSH_ESTATE;
    }
}
