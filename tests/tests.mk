# Test suites beyond the C unit tests, included by the root Makefile after wasm/build.mk.
#   make test-node   build both Emscripten builds, the WASI CLI and the native CLI, then run
#                    every tests/node/*.test.mjs (parity needs data/ from scripts/bootstrap.sh).
# TEST_NODE_DEPS lists what the suites need, for a combined `test` target.
TEST_NODE_DEPS := build/web/hush.mjs build/web/hush-base.mjs build/wasi/hush.wasm build/native/hush

test-node: $(TEST_NODE_DEPS)
	node --test tests/node/

# Generated tables and known-answer files (tests/gen/check.sh): each generator under tests/gen/
# must reproduce its committed file byte for byte.
.PHONY: test-node test-gen

# The C vocabulary of STYLE.md ("Names") on every public header: prefixes, configs, _BYTES,
# *written, _max_message, Start here (wasm/check-api.sh; the preprocessor is the only tool it needs),
# and the lint's own self-test: each rule broken on a copy must fail it (tests/api/selftest.sh).
test-api:
	@sh wasm/check-api.sh "$(CC)" && echo "api: every public header follows STYLE.md's names"
	@sh tests/api/selftest.sh "$(CC)"
test-gen: build/gen/secagg_wire_kat build/gen/channel_kat
	@sh tests/gen/check.sh

build/gen/%: tests/gen/%.c build/native/libhush.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_NATIVE) $< build/native/libhush.a $(LDFLAGS) -lsodium -lm -o $@

# How the credit hyper-parameters were chosen (nested cross-validation; not run by make test).
build/native/tune_credit: tests/accuracy/tune_credit.c build/native/libhush.a
	$(CC) $(CFLAGS_NATIVE) $< build/native/libhush.a $(LDFLAGS) -lsodium -lm -o $@
