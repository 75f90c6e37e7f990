/* Secure-aggregation memory layouts with a 32-bit and a 64-bit size_t (issue 10, point 5). This
 * file also runs as wasm32-wasi under Node (make test-wasi), where size_t is 32 bits.
 *
 * With the complete graph the server keeps state per ordered pair of clients, n^2 of them; at
 * n = 5400 that is more than 4 GiB, a size a 32-bit size_t cannot hold. The old code multiplied
 * in size_t, so on wasm32 it asked for a wrapped, far too small block and wrote past it. Now the
 * layout is computed in 64 bits with checked arithmetic: where it does not fit size_t, _create
 * returns HUSH_ERANGE before allocating anything; where it fits, the allocator is asked for
 * exactly the 64-bit size (this test's allocator records the request and refuses big ones). */
#include <stdint.h>

#include "check.h"
#include "hush.h"

typedef struct rec_alloc {
    size_t calls, last, live;
} rec_alloc;

#define REC_LIMIT ((size_t)64 << 20) /* anything larger is refused, so no test touches GiBs */

static void *rec_alloc_fn(void *ud, size_t size) {
    rec_alloc *r = ud;
    r->calls++;
    r->last = size;
    if (size > REC_LIMIT) return NULL;
    void *p = malloc(size);
    if (p) r->live++;
    return p;
}
static void rec_free_fn(void *ud, void *p, size_t size) {
    rec_alloc *r = ud;
    (void)size;
    r->live--;
    free(p);
}

/* Per-pair state the server must keep (neighbour row entry, routed ciphertext with its two share
 * hashes, the report flag, the revealed share), counted independently of server.c's layout. */
static uint64_t server_lower_bound(uint64_t n, uint64_t m, uint64_t dim) {
    return n * m * (4 + (32 + 32 + 104) + 1 + 41) + n * (1 + 1 + 128 + 32) + dim * 4;
}

/* The first n (complete graph, t = n/2 + 1) whose server layout does not fit size_t here. */
static uint32_t first_too_big(void) {
    uint32_t lo = 2, hi = HUSH_SECAGG_MAX_CLIENTS;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        hush_secagg_config cfg;
        uint64_t bytes = 0;
        if (hush_secagg_config_init(&cfg, mid, mid / 2 + 1, 0, 1) != HUSH_OK ||
            hush_secagg_memory(&cfg, NULL, &bytes) != HUSH_OK)
            return 0;
        if (bytes > SIZE_MAX) hi = mid;
        else lo = mid + 1;
    }
    return lo;
}

static void test_complete_graph_5400(void) {
    hush_secagg_config cfg;
    CHECK_OK(hush_secagg_config_init(&cfg, 5400, 2701, 0, 1));
    uint64_t cb = 0, sb = 0;
    CHECK_OK(hush_secagg_memory(&cfg, &cb, &sb));
    uint64_t lb = server_lower_bound(5400, 5400, 1);
    CHECK_MSG(sb >= lb && sb < lb + 4096 + 5400 * 96, "server bytes %llu, independent count %llu",
              (unsigned long long)sb, (unsigned long long)lb);
    CHECK(sb > 0xffffffffu); /* the case that wrapped on wasm32 */
    rec_alloc r = {0, 0, 0};
    hush_allocator a = {rec_alloc_fn, rec_free_fn, &r};
    hush_secagg_server *s = NULL;
    int rc = hush_secagg_server_create(&s, &cfg, &a);
    if (sizeof(size_t) < 8) {
        CHECK_RC(rc, HUSH_ERANGE);
        CHECK_MSG(r.calls == 0, "allocator called %zu times (last %zu bytes) for an impossible layout", r.calls, r.last);
    } else {
        CHECK_RC(rc, HUSH_ENOMEM);
        CHECK_MSG(r.calls == 1 && (uint64_t)r.last == sb, "asked for %zu bytes, layout is %llu", r.last,
                  (unsigned long long)sb);
    }
    CHECK(s == NULL && r.live == 0);
    /* a client of the same round is small and fine everywhere */
    hush_secagg_client *c = NULL;
    uint8_t seed[32] = {1};
    r.calls = 0;
    CHECK_OK(hush_secagg_client_create(&c, &cfg, 17, seed, 32, &a));
    CHECK((uint64_t)r.last == cb);
    hush_secagg_client_free(c);
    CHECK(r.live == 0);
}

/* Around the boundary of this target's size_t: one n below, the allocator gets the exact 64-bit
 * size; at the boundary, HUSH_ERANGE and no allocation. On 64-bit hosts there is no boundary
 * below HUSH_SECAGG_MAX_CLIENTS and every size is requested exactly. */
static void test_boundary(void) {
    uint32_t nb = first_too_big();
    CHECK(nb >= 2);
    if (sizeof(size_t) < 8) CHECK_MSG(nb > 4000 && nb < 5400, "first n that does not fit: %u", nb);
    uint32_t ns[2] = {nb - 1, nb};
    for (int i = 0; i < 2; i++) {
        if (ns[i] > HUSH_SECAGG_MAX_CLIENTS) continue;
        hush_secagg_config cfg;
        CHECK_OK(hush_secagg_config_init(&cfg, ns[i], ns[i] / 2 + 1, 0, 1));
        uint64_t sb = 0;
        CHECK_OK(hush_secagg_memory(&cfg, NULL, &sb));
        rec_alloc r = {0, 0, 0};
        hush_allocator a = {rec_alloc_fn, rec_free_fn, &r};
        hush_secagg_server *s = NULL;
        int rc = hush_secagg_server_create(&s, &cfg, &a);
        if (sb > SIZE_MAX) {
            CHECK_RC(rc, HUSH_ERANGE);
            CHECK(r.calls == 0);
        } else {
            CHECK_RC(rc, sb > REC_LIMIT ? HUSH_ENOMEM : HUSH_OK);
            CHECK_MSG((uint64_t)r.last == sb, "n=%u: asked for %zu bytes, layout is %llu", ns[i], r.last,
                      (unsigned long long)sb);
        }
        hush_secagg_server_free(s);
        CHECK(r.live == 0);
    }
}

/* Sizes that fit: create asks for exactly hush_secagg_memory's numbers, and a whole round runs. */
static void test_small_round(void) {
    hush_secagg_config cfg;
    CHECK_OK(hush_secagg_config_init(&cfg, 6, 4, 1, 9));
    cfg.bits = 13;
    uint64_t cb = 0, sb = 0;
    CHECK_OK(hush_secagg_memory(&cfg, &cb, &sb));
    CHECK(sb >= server_lower_bound(6, 6, 9));
    rec_alloc r = {0, 0, 0};
    hush_allocator a = {rec_alloc_fn, rec_free_fn, &r};
    hush_secagg_server *s = NULL;
    CHECK_OK(hush_secagg_server_create(&s, &cfg, &a));
    CHECK((uint64_t)r.last == sb);
    hush_secagg_server_free(s);
    uint32_t x[54], sum[9], want[9] = {0};
    for (int i = 0; i < 54; i++) x[i] = (uint32_t)(i * 977) & 0x1fff;
    for (int i = 0; i < 54; i++) want[i % 9] = (want[i % 9] + x[i]) & 0x1fff;
    hush_rng rng;
    CHECK_OK(hush_rng_init_u64(&rng, 3));
    hush_secagg_stats st;
    CHECK_OK(hush_secagg_run(&cfg, &rng, &st, sum, 9, NULL, 0, x, 54, NULL, 0, NULL, &a));
    CHECK(memcmp(sum, want, sizeof sum) == 0);
    CHECK(r.live == 0);
    /* the largest vector a client may hold: its layout and messages stay below 2^32 */
    CHECK_OK(hush_secagg_config_init(&cfg, 3, 2, 0, HUSH_SECAGG_MAX_DIM));
    CHECK_OK(hush_secagg_memory(&cfg, &cb, &sb));
    CHECK(cb > (uint64_t)HUSH_SECAGG_MAX_DIM * 4 && cb < 0xffffffffu);
    hush_rng_clear(&rng);
}

int main(void) {
    if (hush_init() != HUSH_OK) return 1;
    printf("size_t is %zu bits\n", 8 * sizeof(size_t));
    test_complete_graph_5400();
    test_boundary();
    test_small_round();
    CHECK_SUMMARY();
}
