/* libFuzzer target: hush_secagg_inputs_parse (core/src/io/secagginputs.c), the `hush secagg sim
 * --inputs` file. Byte 0 picks the ring size; the rest is the text. A successful size pass must be
 * followed by a fill pass that agrees on both counts, stays inside the buffer and writes only
 * values below 2^bits; a buffer one value short must be refused. */
#include <stdlib.h>
#include <string.h>

#include "hush.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    uint32_t bits = 1 + data[0] % 32;
    size_t len = size - 1;
    char *text = malloc(len ? len : 1); /* exact size, so ASan catches any read past it */
    if (!text) abort();
    memcpy(text, data + 1, len);
    size_t n = 0, d = 0;
    hush_parse_error err;
    if (hush_secagg_inputs_parse(NULL, 0, &n, &d, bits, text, len, &err) == HUSH_OK) {
        if (n < 2 || d < 1 || n * d > len) abort();
        uint32_t *v = malloc(n * d * sizeof *v);
        size_t n2 = 0, d2 = 0;
        if (!v || hush_secagg_inputs_parse(v, n * d, &n2, &d2, bits, text, len, &err) != HUSH_OK || n2 != n || d2 != d)
            abort();
        for (size_t i = 0; i < n * d; i++)
            if (bits < 32 && (v[i] >> bits)) abort();
        if (hush_secagg_inputs_parse(v, n * d - 1, &n2, &d2, bits, text, len, NULL) != HUSH_ERANGE) abort();
        free(v);
    } else if (err.msg[sizeof err.msg - 1] != '\0') {
        abort();
    }
    free(text);
    return 0;
}
