/* libFuzzer target: the federated task encoding (hush_federated_task_decode) and the FedAdam state
 * (hush__fedstate_decode, through hush_federated_server_create). A task that decodes must encode
 * back to the same bytes (a version 1 task: to version 2 with the same fields and freeze_head 0); a state that loads must step without producing a non-finite model. */
#include <stdlib.h>
#include <string.h>

#include "hush.h"
#include "io/fedtask.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    uint8_t *buf = malloc(size ? size : 1); /* exact size: ASan sees any over-read */
    if (!buf) abort();
    memcpy(buf, data, size);
    hush_federated_task t;
    if (hush_federated_task_decode(&t, buf, size) == HUSH_OK) {
        uint8_t again[HUSH_FEDERATED_TASK_BYTES];
        size_t w;
        if (hush_federated_task_encode(again, sizeof again, &w, &t) != HUSH_OK || w != HUSH_FEDERATED_TASK_BYTES)
            abort();
        if (buf[0] == 1) { /* version 1: 96 bytes, the rest of the fields as they were */
            if (size != 96 || again[0] != 2 || memcmp(again + 4, buf + 4, 92) || again[96] || again[97] || again[98] ||
                again[99])
                abort();
        } else if (size != w || memcmp(again, buf, w)) {
            abort();
        }
    }
    /* the same bytes as the FedAdam state of a 3-parameter model */
    float m[3], v[3];
    uint64_t steps;
    if (hush__fedstate_decode(m, v, 3, &steps, buf, size) == HUSH_OK) {
        for (int i = 0; i < 3; i++)
            if (!(v[i] >= 0) || m[i] != m[i]) abort();
    }
    free(buf);
    return 0;
}
