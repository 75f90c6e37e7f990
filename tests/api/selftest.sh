#!/bin/sh
# wasm/check-api.sh must fail on each kind of violation it claims to catch, naming it: every case
# copies the public headers, the wasm header and STYLE.md, breaks one rule with sed, and expects
# a failure whose message contains the given text. The untouched copy must pass.
# Usage: tests/api/selftest.sh CC
set -eu
cc=${1:-cc}
tmp=${TMPDIR:-/tmp}/hush-api-self.$$
trap 'rm -rf "$tmp"' EXIT INT TERM
pass=0 fail=0

fresh() {
    rm -rf "$tmp"
    mkdir -p "$tmp/core/include" "$tmp/wasm"
    cp -R core/include/hush "$tmp/core/include/"
    cp wasm/wasm_exports.h "$tmp/wasm/"
    cp STYLE.md "$tmp/"
}

# expect NAME FILE SED-SCRIPT TEXT: after the edit, the lint fails and says TEXT.
expect() {
    fresh
    sed "$3" "$tmp/$2" > "$tmp/edit" && mv "$tmp/edit" "$tmp/$2"
    if cmp -s "$tmp/$2" "$2"; then
        echo "api self-test: the edit for '$1' changed nothing" >&2; fail=$((fail + 1)); return
    fi
    if out=$(sh wasm/check-api.sh "$cc" "$tmp" 2>&1); then
        echo "api self-test: '$1' passed the lint" >&2; fail=$((fail + 1))
    elif printf '%s\n' "$out" | grep -qF "$4"; then
        pass=$((pass + 1))
    else
        echo "api self-test: '$1' failed without saying \"$4\":" >&2; printf '%s\n' "$out" >&2
        fail=$((fail + 1))
    fi
}

fresh
if sh wasm/check-api.sh "$cc" "$tmp"; then pass=$((pass + 1)); else echo "api self-test: the clean copy fails" >&2; fail=$((fail + 1)); fi

H=core/include/hush
expect prefix $H/nn.h 's/^void hush_model_free(hush_model \*m);/&\
size_t hush_layer_count(const hush_model *m);/' \
    'nn.h: no prefix of this header (hush_model hush_optim): size_t hush_layer_count'
expect 'wasm prefix' wasm/wasm_exports.h 's/^size_t hush_wasm_heap_in_use(void);/size_t hush_heap_in_use(void);/' \
    'wasm_exports.h: no prefix of this header (hush_wasm): size_t hush_heap_in_use'
expect config_default $H/nn.h 's/^HUSH_NODISCARD int hush_optim_config_init(/void hush_optim_config_default(hush_optim_config *cfg);\
&/' \
    'nn.h: _config_default (use _config_init returning a status): void hush_optim_config_default'
expect 'version first' $H/secagg.h '/^    uint32_t version; .*HUSH_SECAGG_CONFIG_VERSION/d' \
    'secagg.h: config struct without uint32_t version as its first member: typedef struct hush_secagg_config {'
expect 'config without init' $H/fl.h 's/^typedef struct hush_fl_quant {/typedef struct hush_fl_config {\
    uint32_t version;\
} hush_fl_config;\
&/' \
    'fl.h: config struct without a _config_init: hush_fl_config'
expect 'init without a status' $H/channel.h 's/^HUSH_NODISCARD int hush_channel_config_init(/void hush_channel_config_init(/' \
    'channel.h: _config_init must be HUSH_NODISCARD int (a status): hush_channel_config_init'
expect 'BYTES message' $H/mpc.h 's/^#define HUSH_MPC_SEED_BYTES 32/#define HUSH_MPC_SEEDBYTES 32/' \
    '#define HUSH_MPC_SEEDBYTES 32 (spell it _BYTES)'
expect written $H/pate.h 's/size_t \*written, size_t examples,/size_t *count, size_t examples,/' \
    'pate.h: produced length "count" after an output buffer (name it written): HUSH_NODISCARD int hush_pate_indices_parse'
expect 'written n_' $H/nn.h 's/size_t max_layers, size_t \*written,/size_t max_layers, size_t *n_layers,/' \
    'nn.h: produced length "n_layers" after an output buffer'
expect bound $H/net.h 's/^size_t hush_net_client_max_message(/size_t hush_net_client_message_bound(/' \
    'net.h: a size accessor is _max_message, not _bound: size_t hush_net_client_message_bound'
expect 'start here missing' $H/train.h 's/^ \* Start here: / * To begin: /' \
    'train.h: no "Start here:" paragraph in its first six lines'
expect 'start here long' $H/rng.h 's/^ \* A hush_rng is a plain struct: no allocation\./&\
 * One more.\
 * And another./' \
    'rng.h: the Start here: paragraph is 6 lines (at most 5)'
expect 'state accessor' $H/secagg.h 's/^size_t hush_secagg_server_max_message(const hush_secagg_server \*s);/HUSH_NODISCARD int hush_secagg_server_max_message(const hush_secagg_server *s, size_t *bytes);/' \
    'secagg.h: a state accessor returns its value, not a status'
expect 'no table row' STYLE.md '/^| `fl.h` /d' 'fl.h: no row in STYLE.md'
expect 'stale table row' STYLE.md 's/^| `fl.h` | `hush_fl` |$/&\
| `gone.h` | `hush_gone` |/' \
    "STYLE.md's prefix table names gone.h"

echo "api self-test: $pass passed, $fail failed"
[ $fail -eq 0 ]
