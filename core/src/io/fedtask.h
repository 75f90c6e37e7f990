/* Byte formats of federated learning (hush/federated.h): the FedAdam state a server persists with
 * each global model version. The task's own encoding is public (hush_federated_task_encode). */
#ifndef HUSH__IO_FEDTASK_H
#define HUSH__IO_FEDTASK_H

#include <stddef.h>
#include <stdint.h>

/* "HFAD" | u32 version (1) | u32 params | u64 steps | params f32 first moments | params f32
 * second moments (finite, second >= 0). */
size_t hush__fedstate_bytes(size_t n_params);
int hush__fedstate_encode(uint8_t *out, size_t cap, size_t *written, const float *m, const float *v, size_t n_params,
                          uint64_t steps);
int hush__fedstate_decode(float *m, float *v, size_t n_params, uint64_t *steps, const uint8_t *buf, size_t len);

#endif
