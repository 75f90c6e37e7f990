# Node test suites (node:test), included by the root Makefile after wasm/build.mk.
#   make test-node   build both Emscripten builds, the WASI CLI and the native CLI, then run
#                    every tests/node/*.test.mjs (parity needs data/ from scripts/bootstrap.sh).
# TEST_NODE_DEPS lists what the suites need, for a combined `test` target.
TEST_NODE_DEPS := build/web/hush.mjs build/web/hush-base.mjs build/wasi/hush.wasm build/native/hush

test-node: $(TEST_NODE_DEPS)
	node --test tests/node/
