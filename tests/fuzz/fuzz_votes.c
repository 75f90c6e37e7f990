/* libFuzzer target: hush_pate_votes_parse and hush_pate_indices_parse on arbitrary bytes. A successful size
 * pass must be followed by a fill pass that agrees on every count and stays inside the buffer. */
#include <stdlib.h>
#include <string.h>

#include "hush.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    /* An exact-size heap copy, so ASan catches any read past the given length. */
    char *text = malloc(size ? size : 1);
    if (!text) abort();
    memcpy(text, data, size);
    size_t t = 0, e = 0, n = 0;
    uint32_t mx = 0;
    if (hush_pate_votes_parse(NULL, 0, &t, &e, &mx, text, size, NULL) == HUSH_OK) {
        size_t t2, e2;
        uint32_t mx2, *v = malloc(t * e * sizeof *v);
        if (!v || hush_pate_votes_parse(v, t * e, &t2, &e2, &mx2, text, size, NULL) != HUSH_OK || t2 != t || e2 != e ||
            mx2 != mx)
            abort();
        for (size_t i = 0; i < t * e; i++)
            if (v[i] > mx) abort();
        free(v);
    }
    if (hush_pate_indices_parse(NULL, 0, &n, 1000, text, size, NULL) == HUSH_OK) {
        uint32_t *v = malloc((n ? n : 1) * sizeof *v);
        size_t n2;
        if (!v || hush_pate_indices_parse(v, n, &n2, 1000, text, size, NULL) != HUSH_OK || n2 != n) abort();
        for (size_t i = 0; i < n; i++)
            if (v[i] >= 1000) abort();
        free(v);
    }
    free(text);
    return 0;
}
