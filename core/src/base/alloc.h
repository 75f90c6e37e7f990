/* Internal allocation through the optional user allocator. */
#ifndef HUSH__ALLOC_H
#define HUSH__ALLOC_H

#include "hush/common.h"

/* The one check of a caller's allocator: NULL (the C library's) or both functions set. Every
 * public function taking an allocator refuses a half-filled one with HUSH_EARG on entry, and
 * hush__alloc refuses it too, so no path can call through a NULL pointer. */
int hush__alloc_ok(const hush_allocator *a);
void *hush__alloc(const hush_allocator *a, size_t size);
void *hush__calloc(const hush_allocator *a, size_t count, size_t size); /* overflow-checked */
void hush__free(const hush_allocator *a, void *p, size_t size);
/* hush__free after sodium_memzero of the block: for everything that may hold data or values
 * derived from it (rows, activations, parameters, gradients, optimiser state, parser scratch),
 * so nothing lingers in freed heap. */
void hush__free_wipe(const hush_allocator *a, void *p, size_t size);

#endif
