/* libFuzzer target: hush_arff_parse on arbitrary text, then the preparation steps on whatever
 * parses. Invariants checked: a successful parse yields a consistent data set; a failed parse
 * yields no data set and a NUL-terminated message. */
#include <stdlib.h>
#include <string.h>

#include "hush/data.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    hush_dataset *d = (hush_dataset *)1;
    hush_parse_error e;
    int rc = hush_arff_parse(&d, (const char *)data, size, &e, NULL);
    if (memchr(e.msg, 0, sizeof e.msg) == NULL) abort();
    if (rc != HUSH_OK) {
        if (d != NULL) abort();
        return 0;
    }
    size_t rows = hush_dataset_rows(d), dim = hush_dataset_dim(d);
    uint32_t k = hush_dataset_classes(d);
    if (rows == 0 || dim == 0 || k == 0) abort();
    for (size_t i = 0; i < rows; i++)
        if (hush_dataset_labels(d)[i] >= k) abort();
    for (uint32_t c = 0; c < k; c++)
        if (!hush_dataset_class_name(d, c)) abort();
    hush_rng rng;
    hush_dataset *tr, *te;
    if (hush_rng_init_u64(&rng, size) != HUSH_OK) abort();
    if (hush_dataset_split(&tr, &te, &rng, d, 0.3, NULL) != HUSH_OK) abort();
    if (hush_dataset_standardize(tr, te) != HUSH_OK) abort();
    /* after standardising, every value is finite (missing values are gone) */
    for (size_t i = 0; i < hush_dataset_rows(tr) * dim; i++) {
        float v = hush_dataset_x(tr)[i];
        if (v != v) abort();
    }
    hush_dataset_free(tr);
    hush_dataset_free(te);
    hush_dataset_free(d);
    return 0;
}
