/* libFuzzer target: hush_csv_parse on arbitrary text. */
#include <stdlib.h>
#include <string.h>

#include "hush/data.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    hush_dataset *d = (hush_dataset *)1;
    hush_parse_error e;
    int rc = hush_csv_parse(&d, (const char *)data, size, &e, NULL);
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
    for (size_t i = 0; i < rows * dim; i++) {
        float v = hush_dataset_x(d)[i];
        if (v != v || v - v != 0.0f) abort(); /* parsed numbers are always finite */
    }
    if (hush_dataset_standardize(d, NULL) != HUSH_OK) abort();
    hush_dataset_free(d);
    return 0;
}
