/* The one constants table JS reads: every status code, size limit, enum value and struct layout
 * that web/ needs, rendered as a JSON object so JS never hard-codes a number C owns.
 *
 * Formatting uses a tiny appender instead of snprintf, which would pull printf into the bundle.
 * The caller owns the output buffer (no static state), in line with the rest of the core.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "hush/channel.h"
#include "hush/common.h"
#include "hush/data.h"
#include "hush/dp.h"
#include "hush/federated.h"
#include "hush/fl.h"
#include "hush/pate.h"
#include "hush/mpc.h"
#include "hush/net.h"
#include "hush/nn.h"
#include "hush/p2p.h"
#include "hush/rng.h"
#include "hush/secagg.h"
#include "hush/train.h"
#include "wasm_exports.h"

typedef struct out {
    char *p;
    size_t cap, len;
} out;

static void put(out *o, const char *s) {
    size_t n = strlen(s);
    /* Keep counting past the end so the caller learns the size it needs. */
    for (size_t i = 0; i < n; i++, o->len++)
        if (o->len < o->cap) o->p[o->len] = s[i];
}

static void put_int(out *o, int64_t v) {
    char tmp[24];
    size_t i = sizeof tmp;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    tmp[--i] = '\0';
    do {
        tmp[--i] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0) tmp[--i] = '-';
    put(o, tmp + i);
}

static void field(out *o, const char *name, int64_t v) {
    if (o->len > 1) put(o, ",");
    put(o, "\"");
    put(o, name);
    put(o, "\":");
    put_int(o, v);
}

static void field_str(out *o, const char *name, const char *v) {
    put(o, ",\"");
    put(o, name);
    put(o, "\":\"");
    put(o, v); /* C identifiers and stream names: nothing to escape */
    put(o, "\"");
}

int hush_wasm_constants(char *buf, size_t cap, size_t *written) {
    if (!written || (!buf && cap)) return HUSH_EARG;
    out o = {buf, cap, 0};
    put(&o, "{");
    put(&o, "\"HUSH_VERSION_STRING\":\"" HUSH_VERSION_STRING "\"");
#define HUSH__STATUS_FIELD(name, value, msg) field(&o, #name, value);
    HUSH_STATUS_LIST(HUSH__STATUS_FIELD)
#undef HUSH__STATUS_FIELD
#define F(name) field(&o, #name, (int64_t)(name));
    F(HUSH_MODEL_MAX_LAYERS) F(HUSH_MODEL_MAX_UNITS) F(HUSH_MODEL_MAX_KERNEL) F(HUSH_MODEL_MAX_BATCH)
    F(HUSH_MODEL_MAX_PARAMS)
    F(HUSH_LAYER_DENSE) F(HUSH_LAYER_CONV2D) F(HUSH_LAYER_MAXPOOL) F(HUSH_LAYER_RELU)
    F(HUSH_LAYER_TANH) F(HUSH_LAYER_SIGMOID) F(HUSH_PAD_VALID) F(HUSH_PAD_SAME)
    F(HUSH_OPTIM_SGD) F(HUSH_OPTIM_MOMENTUM) F(HUSH_OPTIM_ADAM)
    F(HUSH_DATA_MAX_ROWS) F(HUSH_DATA_MAX_COLS) F(HUSH_DATA_MAX_CLASSES)
    F(HUSH_RNG_SEED_BYTES) F(HUSH_RNG_NONCE_BYTES) F(HUSH_RNG_BUF_BYTES)
    F(HUSH_SECAGG_SESSION_BYTES) F(HUSH_SECAGG_SEED_BYTES) F(HUSH_SECAGG_MAX_CLIENTS) F(HUSH_SECAGG_MAX_DIM)
    F(HUSH_SECAGG_MAX_BITS) F(HUSH_SECAGG_HEADER_BYTES) F(HUSH_SECAGG_WIRE_VERSION) F(HUSH_SECAGG_CONFIG_VERSION)
    F(HUSH_SECAGG_ROUND_ADVERTISE) F(HUSH_SECAGG_ROUND_SHARE) F(HUSH_SECAGG_ROUND_MASKED_INPUT)
    F(HUSH_SECAGG_ROUND_CONSISTENCY) F(HUSH_SECAGG_ROUND_UNMASK) F(HUSH_SECAGG_DONE) F(HUSH_SECAGG_ABORTED)
    F(HUSH_SECAGG_FAULT_KEY) F(HUSH_SECAGG_FAULT_SIGNATURE) F(HUSH_SECAGG_FAULT_SHARE) F(HUSH_SECAGG_FAULT_DEALER)
    F(HUSH_SECAGG_FAULT_CIPHERTEXT) F(HUSH_SECAGG_SIGN_SECRET_KEY_BYTES) F(HUSH_SECAGG_SIGN_PUBLIC_KEY_BYTES)
    F(HUSH_ACCOUNTANT_RDP) F(HUSH_ACCOUNTANT_PLD) F(HUSH_DP_EVENT_GAUSSIAN) F(HUSH_DP_EVENT_SAMPLED_GAUSSIAN)
    F(HUSH_DP_EVENT_LAPLACE) F(HUSH_DP_EVENT_RDP_CURVE) F(HUSH_DP_EVENT_DISCRETE_GAUSSIAN_SUM)
    F(HUSH_DP_EVENT_EPSILON_DELTA) F(HUSH_DP_CONVERSION_IMPROVED) F(HUSH_DP_CONVERSION_CLASSIC)
    F(HUSH_PLD_DEFAULT_MAX_BINS) F(HUSH_ODOMETER_ID_MAX) F(HUSH_ODOMETER_CURVE_MAX) F(HUSH_ODOMETER_MAX_EVENTS)
    F(HUSH_RDP_DEFAULT_ORDERS_COUNT) F(HUSH_DPSGD_POISSON) F(HUSH_DPSGD_SHUFFLE)
    F(HUSH_DPSGD_NOISE_FAST) F(HUSH_DPSGD_NOISE_SECURE) F(HUSH_DPSGD_CONFIG_VERSION)
    F(HUSH_INPUT_SCALING_CUSTOM) F(HUSH_INPUT_SCALING_STATS) F(HUSH_INPUT_SCALING_BOUNDS) F(HUSH_INPUT_SCALING_DP)
    F(HUSH_TRAIN_FORMAT_ARFF) F(HUSH_TRAIN_FORMAT_CSV) F(HUSH_TRAIN_FORMAT_DIGITS) F(HUSH_TRAIN_FORMAT_IDX)
    F(HUSH_TRAIN_SCALING_AUTO) F(HUSH_TRAIN_SCALING_NONE) F(HUSH_TRAIN_SCALING_STATS) F(HUSH_TRAIN_SCALING_BOUNDS)
    F(HUSH_TRAIN_SCALING_DP) F(HUSH_TRAIN_NOISE_OS) F(HUSH_TRAIN_NOISE_SEED) F(HUSH_TRAIN_CONFIG_VERSION)
    F(HUSH_TRAIN_START) F(HUSH_TRAIN_EPOCH) F(HUSH_TRAIN_END) F(HUSH_TRAIN_SPLIT_TRAIN) F(HUSH_TRAIN_SPLIT_TEST)
    F(HUSH_TRAIN_MAX_FOLDS) F(HUSH_TRAIN_MAX_BOUNDS)
    F(HUSH_PATE_LNMAX) F(HUSH_PATE_GNMAX) F(HUSH_PATE_CONFIDENT)
    F(HUSH_MPC_CONFIG_VERSION) F(HUSH_MPC_DEFAULT_FRAC_BITS) F(HUSH_MPC_MAX_FRAC_BITS) F(HUSH_MPC_MAX_PARTIES)
    F(HUSH_MPC_SEED_BYTES) F(HUSH_MPC_SESSION_BYTES) F(HUSH_MPC_HEADER_BYTES) F(HUSH_MPC_MAX_PARTY_BYTES)
    F(HUSH_MPC_GUARD_MAX) F(HUSH_MPC_ROLE_DEALER) F(HUSH_MPC_ROLE_CLIENT)
    F(HUSH_MPC_MSG_DEALER) F(HUSH_MPC_MSG_OPEN) F(HUSH_MPC_MSG_INPUT) F(HUSH_MPC_MSG_OUTPUT) F(HUSH_MPC_PREDICT)
    F(HUSH_MPC_TRAIN) F(HUSH_MPC_OUTPUT_DECISION) F(HUSH_MPC_OUTPUT_LOGITS) F(HUSH_MPC_STATE_LINK)
    F(HUSH_MPC_STATE_SEND) F(HUSH_MPC_STATE_WAIT_DEALER) F(HUSH_MPC_STATE_WAIT_PEERS)
    F(HUSH_MPC_STATE_WAIT_INPUT) F(HUSH_MPC_STATE_WAIT_OUTPUT) F(HUSH_MPC_STATE_DONE)
    F(HUSH_CHANNEL_CONFIG_VERSION) F(HUSH_CHANNEL_SESSION_BYTES) F(HUSH_CHANNEL_PUBLIC_KEY_BYTES)
    F(HUSH_CHANNEL_SECRET_KEY_BYTES) F(HUSH_CHANNEL_RECORD_HEADER_BYTES) F(HUSH_CHANNEL_TAG_BYTES)
    F(HUSH_CHANNEL_OVERHEAD_BYTES) F(HUSH_CHANNEL_HANDSHAKE_MAX_BYTES) F(HUSH_CHANNEL_MAX_PAYLOAD_BYTES)
    F(HUSH_CHANNEL_INITIATOR) F(HUSH_CHANNEL_RESPONDER) F(HUSH_CHANNEL_STATE_HANDSHAKE) F(HUSH_CHANNEL_STATE_OPEN)
    F(HUSH_CHANNEL_STATE_CLOSED)
    F(HUSH_NET_VERSION) F(HUSH_NET_NAME_MAX) F(HUSH_NET_TOKEN_BYTES) F(HUSH_NET_PUBLIC_KEY_BYTES)
    F(HUSH_NET_SECRET_KEY_BYTES) F(HUSH_NET_IDENTITY_FILE_BYTES) F(HUSH_NET_ERROR_TEXT_MAX)
    F(HUSH_NET_EV_NONE) F(HUSH_NET_EV_WELCOME) F(HUSH_NET_EV_ROUND) F(HUSH_NET_EV_RESULT) F(HUSH_NET_EV_ERROR)
    F(HUSH_NET_EV_MODEL) F(HUSH_NET_TASK_SUM) F(HUSH_NET_TASK_FEDAVG) F(HUSH_NET_DECLINE_BUDGET) F(HUSH_NET_DECLINE_ERROR)
    F(HUSH_FEDERATED_PRIVACY_NONE) F(HUSH_FEDERATED_PRIVACY_RECORD) F(HUSH_FEDERATED_PRIVACY_USER)
    F(HUSH_FEDERATED_FEDAVG) F(HUSH_FEDERATED_FEDADAM)
    F(HUSH_NET_ROUND_COMMITTED) F(HUSH_NET_ROUND_ABORTED) F(HUSH_NET_SECAGG) F(HUSH_NET_ROUND) F(HUSH_NET_MODEL)
    F(HUSH_NET_E_MALFORMED) F(HUSH_NET_E_STATE) F(HUSH_NET_E_AUTH) F(HUSH_NET_E_TOKEN) F(HUSH_NET_E_REVOKED)
    F(HUSH_NET_E_TASK) F(HUSH_NET_E_TOO_BIG) F(HUSH_NET_E_RATE) F(HUSH_NET_E_TIMEOUT) F(HUSH_NET_E_FULL)
    F(HUSH_NET_E_SLOW) F(HUSH_NET_E_ROUND) F(HUSH_NET_E_REPLACED) F(HUSH_NET_E_SHUTDOWN)
    /* p2p (hush/p2p.h) */
    F(HUSH_P2P_CONFIG_VERSION) F(HUSH_P2P_BANK) F(HUSH_P2P_APPLICANT) F(HUSH_P2P_LINK_NONE) F(HUSH_P2P_LINK_RELAY)
    F(HUSH_P2P_LINK_DIRECT) F(HUSH_P2P_SIGNAL_OFFER) F(HUSH_P2P_SIGNAL_ANSWER) F(HUSH_P2P_SIGNAL_CANDIDATE)
    F(HUSH_P2P_SIGNAL_BYE) F(HUSH_P2P_EV_NONE) F(HUSH_P2P_EV_READY) F(HUSH_P2P_EV_MODEL) F(HUSH_P2P_EV_SESSION)
    F(HUSH_P2P_EV_SIGNAL) F(HUSH_P2P_EV_DONE) F(HUSH_P2P_EV_FAILED) F(HUSH_P2P_EV_ERROR) F(HUSH_P2P_E_PEER_GONE)
    F(HUSH_P2P_E_REFUSED) F(HUSH_P2P_E_NO_BANK) F(HUSH_P2P_E_NO_DEALER) F(HUSH_P2P_E_SESSION) F(HUSH_P2P_E_BUSY)
    F(HUSH_P2P_E_TIMEOUT) F(HUSH_P2P_E_PROTOCOL) F(HUSH_P2P_E_IDENTITY) F(HUSH_P2P_DESC_MAX) F(HUSH_P2P_SCHEMA_MAX)
    F(HUSH_P2P_SIGNAL_MAX) F(HUSH_P2P_MAX_SESSIONS) F(HUSH_P2P_MAX_ROWS) F(HUSH_P2P_DEFAULT_FRAME_MAX)
    F(HUSH_P2P_DEFAULT_LINK_MAX)
#undef F
    /* Struct layouts JS allocates or reads in the wasm heap. */
    field(&o, "sizeof_hush_rng", (int64_t)sizeof(hush_rng));
    field(&o, "sizeof_hush_parse_error", (int64_t)sizeof(hush_parse_error));
    field(&o, "offsetof_hush_parse_error_line", (int64_t)offsetof(hush_parse_error, line));
    field(&o, "offsetof_hush_parse_error_offset", (int64_t)offsetof(hush_parse_error, offset));
    field(&o, "offsetof_hush_parse_error_msg", (int64_t)offsetof(hush_parse_error, msg));
    field(&o, "sizeof_hush_parse_error_msg", (int64_t)sizeof(((hush_parse_error *)0)->msg));
    field(&o, "sizeof_hush_layer_spec", (int64_t)sizeof(hush_layer_spec));
    field(&o, "sizeof_hush_secagg_config", (int64_t)sizeof(hush_secagg_config));
#define SA(f) field(&o, "offsetof_hush_secagg_config_" #f, (int64_t)offsetof(hush_secagg_config, f));
    SA(version) SA(n) SA(threshold) SA(max_corrupt) SA(min_honest) SA(bits) SA(dim) SA(neighbours)
    SA(authenticated) SA(session)
#undef SA
    field(&o, "sizeof_hush_secagg_stats", (int64_t)sizeof(hush_secagg_stats));
#define SS(f) field(&o, "offsetof_hush_secagg_stats_" #f, (int64_t)offsetof(hush_secagg_stats, f));
    SS(survivors) SS(aborted_round) SS(remaining) SS(faulty) SS(messages) SS(bytes_up) SS(bytes_down)
    SS(max_client_bytes_up) SS(max_client_bytes_down)
#undef SS
    field(&o, "sizeof_hush_fl_quant", (int64_t)sizeof(hush_fl_quant));
#define FQ(f) field(&o, "offsetof_hush_fl_quant_" #f, (int64_t)offsetof(hush_fl_quant, f));
    FQ(bits) FQ(clients) FQ(bound) FQ(headroom) FQ(scale)
#undef FQ
    field(&o, "sizeof_hush_fl_ddp", (int64_t)sizeof(hush_fl_ddp));
#define FD(f) field(&o, "offsetof_hush_fl_ddp_" #f, (int64_t)offsetof(hush_fl_ddp, f));
    FD(clip) FD(noise_multiplier) FD(sensitivity) FD(sigma) FD(var_num) FD(var_den)
#undef FD
#define MC(f) field(&o, "offsetof_hush_mpc_config_" #f, (int64_t)offsetof(hush_mpc_config, f));
    field(&o, "sizeof_hush_mpc_config", (int64_t)sizeof(hush_mpc_config));
    MC(version) MC(protocol) MC(n_parties) MC(frac_bits) MC(output) MC(rows) MC(epochs) MC(batch) MC(lr)
    MC(shuffle_seed) MC(session)
#undef MC
#define MS(f) field(&o, "offsetof_hush_mpc_stats_" #f, (int64_t)offsetof(hush_mpc_stats, f));
    field(&o, "sizeof_hush_mpc_stats", (int64_t)sizeof(hush_mpc_stats));
    MS(bytes) MS(dealer_bytes) MS(handshake_bytes) MS(messages) MS(rounds) MS(sessions) MS(truncations)
#undef MS
#define MR(f) field(&o, "offsetof_hush_mpc_report_" #f, (int64_t)offsetof(hush_mpc_report, f));
    field(&o, "sizeof_hush_mpc_report", (int64_t)sizeof(hush_mpc_report));
    MR(stats) MR(rows) MR(decision_agreement) MR(encrypted_accuracy) MR(max_abs_logit_error) MR(test_accuracy)
    MR(plaintext_test_accuracy) MR(test_loss) MR(plaintext_test_loss) MR(max_param_difference)
#undef MR
    field(&o, "sizeof_hush_channel_config", (int64_t)sizeof(hush_channel_config));
#define NE(f) field(&o, "offsetof_hush_net_event_" #f, (int64_t)offsetof(hush_net_event, f));
    field(&o, "sizeof_hush_net_event", (int64_t)sizeof(hush_net_event));
    NE(kind) NE(round) NE(status) NE(flags) NE(dim) NE(bits) NE(n) NE(id) NE(code) NE(task_kind) NE(text)
#undef NE
#define FT(f) field(&o, "offsetof_hush_federated_task_" #f, (int64_t)offsetof(hush_federated_task, f));
    field(&o, "sizeof_hush_federated_task", (int64_t)sizeof(hush_federated_task));
    FT(privacy) FT(local_epochs) FT(local_batch) FT(optimizer) FT(lr) FT(server_optimizer) FT(server_lr) FT(clip)
    FT(noise_multiplier) FT(metric_noise) FT(delta) FT(validation_fraction) FT(bits) FT(max_participants)
    FT(min_survivors) FT(max_rows) FT(freeze_head)
#undef FT
#define FR(f) field(&o, "offsetof_hush_federated_report_" #f, (int64_t)offsetof(hush_federated_report, f));
    field(&o, "sizeof_hush_federated_report", (int64_t)sizeof(hush_federated_report));
    FR(train_rows) FR(validation_rows) FR(validation_loss) FR(validation_accuracy) FR(update_norm) FR(steps)
#undef FR
#define PC(f) field(&o, "offsetof_hush_p2p_config_" #f, (int64_t)offsetof(hush_p2p_config, f));
    field(&o, "sizeof_hush_p2p_config", (int64_t)sizeof(hush_p2p_config));
    PC(version) PC(role) PC(max_sessions) PC(max_rows) PC(frame_max) PC(link_max) PC(guard_capacity) PC(direct)
#undef PC
#define PE(f) field(&o, "offsetof_hush_p2p_event_" #f, (int64_t)offsetof(hush_p2p_event, f));
    field(&o, "sizeof_hush_p2p_event", (int64_t)sizeof(hush_p2p_event));
    PE(kind) PE(slot) PE(rows) PE(link) PE(signal) PE(flags) PE(code) PE(data_len) PE(bytes_out) PE(bytes_in)
    PE(session) PE(peer) PE(text)
#undef PE
    field(&o, "sizeof_hush_pate_config", (int64_t)sizeof(hush_pate_config));
    field(&o, "sizeof_hush_odometer_event", (int64_t)sizeof(hush_odometer_event));
    field(&o, "offsetof_hush_odometer_event_kind", (int64_t)offsetof(hush_odometer_event, kind));
    field(&o, "offsetof_hush_odometer_event_noise_multiplier", (int64_t)offsetof(hush_odometer_event, noise_multiplier));
    field(&o, "offsetof_hush_odometer_event_sampling_rate", (int64_t)offsetof(hush_odometer_event, sampling_rate));
    field(&o, "offsetof_hush_odometer_event_epsilon", (int64_t)offsetof(hush_odometer_event, epsilon));
    field(&o, "offsetof_hush_odometer_event_delta", (int64_t)offsetof(hush_odometer_event, delta));
    field(&o, "offsetof_hush_odometer_event_id_len", (int64_t)offsetof(hush_odometer_event, id_len));
    field(&o, "offsetof_hush_odometer_event_id", (int64_t)offsetof(hush_odometer_event, id));
    field(&o, "sizeof_hush_pate_report", (int64_t)sizeof(hush_pate_report));
#define PR(f) field(&o, "offsetof_hush_pate_report_" #f, (int64_t)offsetof(hush_pate_report, f));
    PR(teachers) PR(examples) PR(classes) PR(answered) PR(queries) PR(epsilon) PR(data_dependent_eps)
    PR(data_independent_eps) PR(delta) PR(order) PR(beta) PR(sigma_ss) PR(smooth_sensitivity) PR(release_rdp)
    PR(released_data_dependent_eps)
#undef PR
#define TC(f) field(&o, "offsetof_hush_train_config_" #f, (int64_t)offsetof(hush_train_config, f));
    field(&o, "sizeof_hush_train_config", (int64_t)sizeof(hush_train_config));
    TC(version) TC(format) TC(epochs) TC(batch) TC(max_batch) TC(optimizer) TC(lr) TC(weight_decay) TC(test_fraction)
    TC(folds) TC(fold) TC(scaling) TC(bounds) TC(n_bounds) TC(scaling_noise) TC(dp) TC(dpsgd) TC(target_epsilon)
    TC(noise_source)
#undef TC
#define DC(f) field(&o, "offsetof_hush_dpsgd_config_" #f, (int64_t)offsetof(hush_dpsgd_config, f));
    field(&o, "sizeof_hush_dpsgd_config", (int64_t)sizeof(hush_dpsgd_config));
    DC(version) DC(sampling) DC(sampling_rate) DC(l2_norm_clip) DC(noise_multiplier) DC(batch_size)
    DC(num_microbatches) DC(noise) DC(delta)
#undef DC
#define TS(f) field(&o, "offsetof_hush_train_status_" #f, (int64_t)offsetof(hush_train_status, f));
    field(&o, "sizeof_hush_train_status", (int64_t)sizeof(hush_train_status));
    TS(event) TS(fold) TS(epoch) TS(epochs) TS(loss) TS(steps)
#undef TS
#define TP(f) field(&o, "offsetof_hush_train_privacy_" #f, (int64_t)offsetof(hush_train_privacy, f));
    field(&o, "sizeof_hush_train_privacy", (int64_t)sizeof(hush_train_privacy));
    TP(dp) TP(noise_source) TP(sampling) TP(noise) TP(sampling_rate) TP(noise_multiplier) TP(l2_norm_clip) TP(delta)
    TP(steps) TP(planned_steps) TP(scaling) TP(scaling_noise) TP(runs) TP(epsilon) TP(scaling_epsilon) TP(planned_epsilon)
#undef TP
    field_str(&o, "HUSH_TRAIN_STREAM_SPLIT", HUSH_TRAIN_STREAM_SPLIT);
    field_str(&o, "HUSH_TRAIN_STREAM_INIT", HUSH_TRAIN_STREAM_INIT);
    field_str(&o, "HUSH_TRAIN_STREAM_SHUFFLE", HUSH_TRAIN_STREAM_SHUFFLE);
    field_str(&o, "HUSH_TRAIN_STREAM_DPSGD", HUSH_TRAIN_STREAM_DPSGD);
    field_str(&o, "HUSH_TRAIN_STREAM_SCALING", HUSH_TRAIN_STREAM_SCALING);
    field(&o, "sizeof_size_t", (int64_t)sizeof(size_t));
    field(&o, "sizeof_pointer", (int64_t)sizeof(void *));
    put(&o, "}");
    *written = o.len;
    if (o.len >= cap) return HUSH_ERANGE; /* room for the NUL too */
    buf[o.len] = '\0';
    return HUSH_OK;
}
