/* libFuzzer target: hush_train_bounds_parse on arbitrary bytes. A successful counting pass must be
 * followed by a fill pass that agrees on the count, stays inside the buffer and yields only finite
 * lo < hi pairs; a buffer one pair short must be refused with HUSH_ERANGE. Also the whole data
 * dispatch (hush_train_data_parse) in every format, whose parsers have fuzzers of their own. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hush.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    /* An exact-size heap copy, so ASan catches any read past the given length. */
    char *text = malloc(size ? size : 1);
    if (!text) abort();
    memcpy(text, data, size);
    size_t n = 0;
    hush_parse_error err;
    if (hush_train_bounds_parse(NULL, 0, &n, text, size, &err) == HUSH_OK) {
        double *b = malloc((n ? n : 1) * 2 * sizeof *b);
        size_t n2 = 0;
        if (!b || hush_train_bounds_parse(b, n, &n2, text, size, &err) != HUSH_OK || n2 != n) abort();
        for (size_t i = 0; i < n; i++)
            if (!(b[2 * i] < b[2 * i + 1]) || !isfinite(b[2 * i]) || !isfinite(b[2 * i + 1])) abort();
        if (n && hush_train_bounds_parse(b, n - 1, &n2, text, size, &err) != HUSH_ERANGE) abort();
        free(b);
    } else if (!memchr(err.msg, 0, sizeof err.msg)) {
        abort();
    }
    for (uint32_t f = HUSH_TRAIN_FORMAT_ARFF; f <= HUSH_TRAIN_FORMAT_DIGITS; f++) {
        hush_dataset *ds = NULL;
        if (hush_train_data_parse(&ds, f, (const uint8_t *)text, size, NULL, 0, &err, NULL) == HUSH_OK) {
            if (!ds) abort();
            hush_dataset_free(ds);
        } else if (ds) {
            abort();
        }
    }
    free(text);
    return 0;
}
