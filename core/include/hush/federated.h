/* Federated learning rounds: FedAvg over secure aggregation, with differential privacy.
 *
 * Start here: server and participants agree on a hush_federated_task (sent with the MODEL of
 * hush/net.h). Each round a participant evaluates the global model on its validation rows, trains
 * it on its training rows (hush/train.h) and turns update, weight and metrics into one secure-
 * aggregation input (hush_federated_contribute); the server steps the global model with the sum
 * (hush_federated_server_apply). Files: core/src/fl/federated.c, core/src/io/fedtask.c.
 *
 * The vector (Z_2^bits, bits = the task's, 32 by default), for a model of P parameters:
 *   [0, P)  the update times its weight, quantised (hush/fl.h): w (new - global), the update
 *           first clipped to L2 norm `clip`. PRIVACY_USER: w = 1 and the update gets the
 *           participant's share of distributed discrete Gaussian noise (hush_fl_ddp_encode).
 *   P       the weight w: the number of training rows (NONE, RECORD), 1 (USER)
 *   P + 1   validation loss: rows times min(mean loss, 16), times 16, rounded (NONE only)
 *   P + 2   validation rows classified right, P + 3 validation rows (NONE, RECORD); USER: the
 *           participant's accuracy times 2^10 and 2^10 (each participant counts once)
 *   with privacy, each metric coordinate carries discrete Gaussian noise (see the privacy unit)
 * The server's step: avg = sum[0, P) / sum[P] (dequantised), then global += server_lr avg (FedAvg)
 * or the FedAdam update of Reddi et al., ICLR 2021 (beta1 0.9, beta2 0.99, tau 1e-3); with
 * freeze_head, on the body's parameters only (the head's noise, under USER, is dropped).
 *
 * Privacy units (what one round costs; a participant charges its odometer BEFORE it sends):
 *   NONE    no guarantee beyond secure aggregation: the server learns the sums only.
 *   RECORD  each participant trains with DP-SGD (clip, noise multiplier, Poisson sampling), so its
 *           update is (epsilon, delta)-DP for each of its training records; the metric counts of
 *           its validation records (disjoint from the training rows) get discrete Gaussian noise
 *           of multiplier metric_noise (L2 sensitivity sqrt 2). Cost: the DP-SGD steps as a
 *           sampled Gaussian event plus the metrics as a Gaussian event.
 *   USER    each participant's whole contribution is one unit: its update is clipped to L2 norm
 *           `clip` and noised (distributed discrete Gaussian, noise multiplier z for the sum over
 *           at least min_survivors honest participants), and its metrics (accuracy, 1) get noise
 *           of multiplier metric_noise (L2 sensitivity sqrt 2, in units of 2^10). Cost: a
 *           discrete-Gaussian-sum event (Kairouz, Liu, Steinke 2021) plus a Gaussian event.
 * The guarantee of USER assumes at least min_survivors participants add their noise honestly;
 * the server only ever sees the noisy sum (secure aggregation), never one participant's vector.
 */
#ifndef HUSH_FEDERATED_H
#define HUSH_FEDERATED_H

#include "common.h"
#include "data.h"
#include "dp.h"
#include "nn.h"
#include "rng.h"

#ifdef __cplusplus
extern "C" {
#endif

#define HUSH_FEDERATED_TASK_VERSION 2u
#define HUSH_FEDERATED_TASK_BYTES 100    /* encoded task (version 1, without freeze_head: 96) */
#define HUSH_FEDERATED_METRICS 4         /* vector entries after the update: weight + 3 metrics */
#define HUSH_FEDERATED_LOSS_CAP 16.0     /* per-row loss cap in the loss metric */
#define HUSH_FEDERATED_LOSS_SCALE 16.0   /* fixed point of the loss metric */
#define HUSH_FEDERATED_ACC_SCALE 1024.0  /* fixed point of a USER participant's accuracy */

enum hush_federated_privacy {
    HUSH_FEDERATED_PRIVACY_NONE = 1,
    HUSH_FEDERATED_PRIVACY_RECORD = 2,
    HUSH_FEDERATED_PRIVACY_USER = 3
};
enum hush_federated_server_optimizer { HUSH_FEDERATED_FEDAVG = 1, HUSH_FEDERATED_FEDADAM = 2 };

typedef struct hush_federated_task {
    uint32_t version;          /* HUSH_FEDERATED_TASK_VERSION, set by hush_federated_task_init */
    uint32_t privacy;          /* enum hush_federated_privacy */
    uint32_t local_epochs;     /* default 1 */
    uint32_t local_batch;      /* default 32 */
    uint32_t optimizer;        /* enum hush_optim_kind of local training, default SGD */
    double lr;                 /* local learning rate */
    uint32_t server_optimizer; /* enum hush_federated_server_optimizer, default FEDAVG */
    double server_lr;          /* default 1 (FedAvg), 0.01 is usual for FedAdam */
    double clip;               /* L2 bound of an update (all units; RECORD: also DP-SGD's clip) */
    double noise_multiplier;   /* RECORD: DP-SGD's; USER: the distributed noise of the sum */
    double metric_noise;       /* noise multiplier of the metrics (RECORD, USER), default 4 */
    double delta;              /* default 1e-5 */
    double validation_fraction; /* of each participant's rows, default 0.2 */
    uint32_t bits;             /* secure-aggregation ring: default 32, USER 24 (its noise, in grid
                                  units, must stay inside the exact sampler's range) */
    uint32_t max_participants; /* clients of a round (quantisation headroom) */
    uint32_t min_survivors;    /* USER: honest noise-adders assumed (the threshold) */
    uint32_t max_rows;         /* NONE, RECORD: the largest weight (training rows) a participant may
                                  claim; larger is clamped. Default min(65536, 2^23 / participants),
                                  so every sum fits the ring */
    uint32_t freeze_head;      /* 1: local training and the server's step leave the classifier (the
                                  last layer with parameters) at its initial values and train the
                                  body only (hush_model_freeze_head; FedBABU). Default 0 */
} hush_federated_task;

/* Defaults for `privacy` with the round's participants and threshold. HUSH_EARG for an unknown
 * privacy unit or participants < 2. */
HUSH_NODISCARD int hush_federated_task_init(hush_federated_task *t, uint32_t privacy, uint32_t participants,
                                            uint32_t min_survivors, double lr);
/* HUSH_OK if usable (ranges, and a quantisation that fits the ring); HUSH_EARG / HUSH_ERANGE. */
HUSH_NODISCARD int hush_federated_task_check(const hush_federated_task *t);
/* Fixed-size little-endian encoding (HUSH_FEDERATED_TASK_BYTES; core/src/io/fedtask.c) and its
 * parser (HUSH_ETRUNC, HUSH_EVERSION, HUSH_EFORMAT for a task that fails the check). The parser
 * also reads version 1 (96 bytes, stored by an earlier hush-server), as freeze_head 0; re-encoding
 * gives version 2. */
HUSH_NODISCARD int hush_federated_task_encode(uint8_t *out, size_t cap, size_t *written,
                                              const hush_federated_task *t);
HUSH_NODISCARD int hush_federated_task_decode(hush_federated_task *t, const uint8_t *buf, size_t len);

/* The secure-aggregation session of a federated round: BLAKE2b-128 of the server's fresh session,
 * the encoded terms and the global model file. Every participant derives it from what it was sent
 * and the server from what it sent, so a server that gives one participant a different model or
 * different terms (to isolate its update in the sum: the model-inconsistency attack of Pasquini,
 * Francati and Ateniese, CCS 2022) gives it a different session: its signed keys fail everyone
 * else's checks and its input never enters the sum. */
HUSH_NODISCARD int hush_federated_session(uint8_t out[16], const uint8_t session[16],
                                          const uint8_t terms[HUSH_FEDERATED_TASK_BYTES], const uint8_t *model_file,
                                          size_t model_len);

/* Secure-aggregation vector length for a model of n_params parameters. */
size_t hush_federated_dim(size_t n_params);

/* What one round costs a participant with `train_rows` training rows (0..2 events, *written set):
 * charge them to the participant's odometer (atomically, hush_odometer_charge_all) before
 * contributing. Each event's id is set to id_prefix + "/" + its index (id_prefix: e.g. the task,
 * round and session; at most HUSH_ODOMETER_ID_MAX - 3 bytes). NONE costs nothing (*written = 0). */
HUSH_NODISCARD int hush_federated_cost(hush_odometer_event *events, size_t cap, size_t *written,
                                       const hush_federated_task *t, size_t train_rows, size_t n_params,
                                       const uint8_t *id_prefix, size_t id_len);

typedef struct hush_federated_report {
    size_t train_rows, validation_rows;
    float validation_loss, validation_accuracy; /* of the global model, before training */
    float update_norm;                           /* L2 norm of the update before clipping */
    uint64_t steps;                              /* local training steps (DP-SGD: Poisson steps) */
} hush_federated_report;

/* One participant's contribution: loads the global model (model file bytes), evaluates it on
 * `validation`, trains a copy on `train` for the task's local epochs (the training driver; the
 * global model's input scaling is kept), and writes the secure-aggregation input (dim =
 * hush_federated_dim) into out. Randomness (DP-SGD noise and sampling, shuffling, stochastic
 * rounding, the distributed and metric noise) comes from rng, or the OS when rng is NULL: it
 * must be secret for the privacy units to mean anything. */
HUSH_NODISCARD int hush_federated_contribute(hush_rng *rng, uint32_t *out, size_t out_len,
                                             hush_federated_report *report, const hush_federated_task *t,
                                             const uint8_t *model_file, size_t model_len,
                                             const hush_dataset *train, const hush_dataset *validation,
                                             const hush_allocator *alloc);

/* ---- the server's step ---- */
typedef struct hush_federated_server hush_federated_server;

typedef struct hush_federated_metrics {
    double weight;            /* sum of the weights (training rows, or participants for USER) */
    double validation_loss;   /* mean per validation row (NaN with privacy) */
    double validation_accuracy; /* correct / rows (RECORD: noisy counts; USER: mean of noisy accuracies) */
    double validation_rows;   /* sum (noisy with RECORD; participants with USER) */
    double update_norm;       /* L2 norm of the averaged update */
} hush_federated_metrics;

/* The server side of a task: the current global model (model file bytes) and, for FedAdam, its
 * state (state/state_len from hush_federated_server_moments, or NULL/0 to start). */
HUSH_NODISCARD int hush_federated_server_create(hush_federated_server **out, const hush_federated_task *t,
                                                const uint8_t *model_file, size_t model_len, const uint8_t *state,
                                                size_t state_len, const hush_allocator *alloc);
void hush_federated_server_free(hush_federated_server *s);
/* A committed round: the secure sum (hush_federated_dim values) of `survivors` participants
 * becomes the next global model. HUSH_ERANGE if the total weight is not positive (nothing
 * changes). */
HUSH_NODISCARD int hush_federated_server_apply(hush_federated_server *s, hush_federated_metrics *metrics,
                                               const uint32_t *sum, size_t sum_len, uint32_t survivors);
/* The current global model as model-file bytes; HUSH_ERANGE with *written the size if cap is short. */
HUSH_NODISCARD int hush_federated_server_model(const hush_federated_server *s, uint8_t *out, size_t cap,
                                               size_t *written);
/* The server optimiser's state (FedAdam moments; empty for FedAvg), to persist with the model. */
HUSH_NODISCARD int hush_federated_server_moments(const hush_federated_server *s, uint8_t *out, size_t cap,
                                               size_t *written);
size_t hush_federated_server_params(const hush_federated_server *s);

#ifdef __cplusplus
}
#endif
#endif
