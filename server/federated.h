/* Federated tasks on hush-server: what the hub needs beyond a secure sum. Each round starts with
 * the task's latest global model sent to every participant (MODEL), and a committed round turns
 * the secure sum into the next model version with the core's server step
 * (hush_federated_server_apply), stored in the round's own commit transaction. The server sees
 * the model versions and the aggregate metrics, never one participant's update. */
#ifndef HUSH_SERVER_FEDERATED_H
#define HUSH_SERVER_FEDERATED_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

/* The MODEL frame of `round` for task t (its latest model version). *frame is malloc'ed. With a
 * session (the round's fresh one), bound gets the secure-aggregation session bound to this model
 * and the terms (hush_federated_session): what every participant sent this frame derives. */
int srv_fed_model_frame(srv_store *st, const srv_task *t, uint32_t round, const uint8_t *session, uint8_t *bound,
                        uint8_t **frame, size_t *len);

typedef struct srv_fed_result {
    uint8_t *model, *state; /* malloc'ed; free with srv_fed_result_free */
    size_t model_len, state_len;
    char metrics[512];      /* JSON object */
} srv_fed_result;

/* The next model from a committed round's sum (t->dim values) of `survivors` participants, of
 * whom `declined` sat the round out. */
int srv_fed_apply(srv_store *st, const srv_task *t, const uint32_t *sum, uint32_t survivors, uint32_t declined,
                  srv_fed_result *out);
void srv_fed_result_free(srv_fed_result *r);

/* The initial global model of a federated task: `spec` over `input_size` features with `classes`
 * outputs, parameters from seed (NULL: the OS), and, with bounds (n_bounds == input_size pairs),
 * an input scaling that maps each [lo, hi] to [-1, 1] (public bounds: nothing is learnt from
 * anyone's data). *model is malloc'ed. *np gets the parameter count. */
int srv_fed_initial_model(const char *spec, uint32_t input_size, uint32_t classes, const uint64_t *seed,
                          const double *bounds, size_t n_bounds, uint8_t **model, size_t *len, size_t *np);

/* The task's terms and what one round costs a participant under them, as a JSON object for the
 * status document (the published guarantee). */
int srv_fed_terms_json(const srv_task *t, char *out, size_t cap);

#endif
