/* The default allocator is the C library's; sizes are passed to free so that custom allocators
 * (arenas, the fault-injecting test allocator) need no headers of their own. */
#include "alloc.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

int hush__alloc_ok(const hush_allocator *a) { return !a || (a->alloc && a->free); }

void *hush__alloc(const hush_allocator *a, size_t size) {
    if (size == 0) size = 1;
    if (!hush__alloc_ok(a)) return NULL;
    return a ? a->alloc(a->ud, size) : malloc(size);
}

void *hush__calloc(const hush_allocator *a, size_t count, size_t size) {
    if (size != 0 && count > SIZE_MAX / size) return NULL;
    void *p = hush__alloc(a, count * size);
    if (p) memset(p, 0, (count * size) != 0 ? count * size : 1);
    return p;
}

void hush__free(const hush_allocator *a, void *p, size_t size) {
    if (!p || !hush__alloc_ok(a)) return; /* nothing was ever allocated through a bad one */
    if (size == 0) size = 1;
    if (a)
        a->free(a->ud, p, size);
    else
        free(p);
}

void hush__free_wipe(const hush_allocator *a, void *p, size_t size) {
    if (!p) return;
    sodium_memzero(p, size ? size : 1);
    hush__free(a, p, size);
}
