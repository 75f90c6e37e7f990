/* libFuzzer target: hush_odometer_load on arbitrary bytes. A ledger that loads must save back to
 * the same bytes, and its queries must not crash. */
#include <stdlib.h>
#include <string.h>

#include "hush.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    uint8_t *buf = malloc(size ? size : 1); /* exact size: ASan sees any over-read */
    if (!buf) abort();
    memcpy(buf, data, size);
    hush_odometer *od = NULL;
    if (hush_odometer_load(&od, buf, size, NULL) == HUSH_OK) {
        size_t n = hush_odometer_save_size(od), w = 0;
        uint8_t *again = malloc(n);
        if (!again || n != size || hush_odometer_save(od, again, n, &w) != HUSH_OK || w != n ||
            memcmp(again, buf, n) != 0)
            abort();
        free(again);
        if (hush_odometer_count(od) <= 4) { /* keep each input fast */
            double lo, hi;
            int rc = hush_odometer_spent(od, &lo, &hi, 1e-6);
            if (rc == HUSH_OK && !(lo <= hi)) abort();
        }
        hush_odometer_free(od);
    } else if (od) {
        abort();
    }
    free(buf);
    return 0;
}
