/* Internal allocation through the optional user allocator. */
#ifndef HUSH__ALLOC_H
#define HUSH__ALLOC_H

#include "hush/common.h"

void *hush__alloc(const hush_allocator *a, size_t size);
void *hush__calloc(const hush_allocator *a, size_t count, size_t size); /* overflow-checked */
void hush__free(const hush_allocator *a, void *p, size_t size);

#endif
