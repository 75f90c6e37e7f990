/* libFuzzer target: hush_idx_parse. The input is split into the two files by a length prefix:
 * byte 0..1 (little-endian u16) is the length of the images part, clamped to what is left; the
 * images file follows and the labels file is the rest. */
#include <stdlib.h>
#include <string.h>

#include "hush/data.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 2) return 0;
    size_t il = (size_t)data[0] | (size_t)data[1] << 8;
    if (il > size - 2) il = size - 2;
    /* separate exact-size copies, so ASan sees an over-read of either file */
    uint8_t *img = malloc(il ? il : 1), *lab = malloc(size - 2 - il ? size - 2 - il : 1);
    if (!img || !lab) abort();
    memcpy(img, data + 2, il);
    memcpy(lab, data + 2 + il, size - 2 - il);
    hush_dataset *d = (hush_dataset *)1;
    hush_parse_error e;
    int rc = hush_idx_parse(&d, img, il, lab, size - 2 - il, &e, NULL);
    if (rc == HUSH_OK) {
        hush_shape s = hush_dataset_shape(d);
        if ((size_t)s.h * s.w != hush_dataset_dim(d) || s.c != 1) abort();
        if (16 + hush_dataset_rows(d) * hush_dataset_dim(d) != il) abort();
        for (size_t i = 0; i < hush_dataset_rows(d); i++)
            if (hush_dataset_labels(d)[i] >= hush_dataset_classes(d)) abort();
        hush_dataset_free(d);
    } else if (d != NULL) {
        abort();
    }
    free(img);
    free(lab);
    return 0;
}
