# Hush: one C core, three builds (native, Emscripten, WASI). GNU make (pattern rules, $(wildcard),
# $(shell), target-specific variables), no autotools.
#   make            build native, Emscripten and WASI
#   make demo       bootstrap, build, serve the demo and print its URL
#   make test       every test suite (the C vocabulary lint, C under ASan+UBSan, fuzz corpora,
#                   generated tables, Node, browser)
#   make bench      benchmarks (not tests; bench/bench.mk), make bench-size the bundle size
#   make fuzz       run the libFuzzer targets for FUZZ_SECONDS each
# CFLAGS and LDFLAGS are appended to the fixed flags of the native, sanitizer and fuzz builds
# (make CFLAGS=-g3); the fixed ones (-ffp-contract=off above all) keep every build bit-identical.

# Written once, in the script that builds it.
SODIUM_VERSION := $(shell sed -n 's/^SODIUM_VERSION=//p' scripts/bootstrap.sh)
DEPS           := .deps
SODIUM_EM      := $(DEPS)/libsodium-$(SODIUM_VERSION)/emscripten
SODIUM_WASI    := $(DEPS)/libsodium-$(SODIUM_VERSION)/wasi
# Debian's emcc needs acorn from Debian's node modules when node is not Debian's own build.
export NODE_PATH := /usr/share/nodejs

CC      ?= cc
CLANG   ?= clang
# -ffp-contract=off: no fused multiply-add anywhere, so every build rounds identically.
# -Wconversion -Wsign-conversion: every narrowing, sign change or int-to-float rounding is written
# as a cast, so the ones that matter on wasm32 (32-bit size_t) cannot hide among intended ones.
CSTD    := -std=c11 -Wall -Wextra -Wconversion -Wsign-conversion -Werror -ffp-contract=off -fno-math-errno
CINC    := -Icore/include -Icore/src
CFLAGS_NATIVE = $(CSTD) $(CINC) -O2 -fPIC $(CFLAGS)
SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
CFLAGS_ASAN = $(CSTD) $(CINC) -O1 -g $(SAN) $(CFLAGS)
CFLAGS_TSAN = $(CSTD) $(CINC) -O1 -g -fsanitize=thread $(CFLAGS)

CORE_SRC := $(sort $(wildcard core/src/*/*.c))
CLI_SRC  := $(sort $(wildcard core/cli/*.c))
# The network commands need sockets (libwebsockets): native only, never in the WASI CLI.
CLI_NET_SRC      := core/cli/agg.c core/cli/fl.c core/cli/netclient.c core/cli/mpcnet.c
CLI_PORTABLE_SRC := $(filter-out $(CLI_NET_SRC),$(CLI_SRC))
TEST_SRC := $(sort $(wildcard tests/c/test_*.c))
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))

NATIVE_OBJ := $(CORE_SRC:%.c=build/native/obj/%.o)
ASAN_OBJ   := $(CORE_SRC:%.c=build/asan/obj/%.o)
TEST_BIN   := $(TEST_SRC:tests/c/%.c=build/asan/tests/%)
# The tests that run threads also run under ThreadSanitizer.
TSAN_OBJ   := $(CORE_SRC:%.c=build/tsan/obj/%.o)
TSAN_BIN   := build/tsan/tests/test_dpsgd_prefetch
FUZZ_BIN   := $(FUZZ_SRC:tests/fuzz/%.c=build/fuzz/%)

# C tests that also run built for wasm32-wasi (32-bit size_t) under Node's WASI, with the WASI
# toolchain and libsodium of wasm/build.mk: list a test's name here to run it there too.
WASI_TESTS    := test_secagg_sizes test_mpc_sizes
WASI_TEST_BIN := $(WASI_TESTS:%=build/wasi/tests/%.wasm)

include server/server.mk
.DEFAULT_GOAL := all

.PHONY: all native wasm bootstrap demo test test-build test-api test-c test-wasi test-fuzz test-accuracy test-server test-e2e test-examples fuzz clean

all: native wasm

native: build/native/libhush.a build/native/hush build/native/hush-server

build/native/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_NATIVE) -MMD -MP -c $< -o $@

build/native/libhush.a: $(NATIVE_OBJ)
	@rm -f $@
	ar rcs $@ $^

build/native/hush: $(CLI_SRC) $(wildcard core/cli/*.h) build/native/libhush.a
	$(CC) $(CFLAGS_NATIVE) -DHUSH_CLI_NET $(CLI_SRC) build/native/libhush.a $(LDFLAGS) -lwebsockets -lsodium -lm -pthread -o $@

build/asan/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ASAN) -MMD -MP -c $< -o $@

build/asan/libhush.a: $(ASAN_OBJ)
	@rm -f $@
	ar rcs $@ $^

build/asan/tests/%: tests/c/%.c $(wildcard tests/c/*.h) build/asan/libhush.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ASAN) -Itests/c $< build/asan/libhush.a $(LDFLAGS) -lsodium -lm -pthread -o $@

build/tsan/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_TSAN) -MMD -MP -c $< -o $@

build/tsan/libhush.a: $(TSAN_OBJ)
	@rm -f $@
	ar rcs $@ $^

build/tsan/tests/%: tests/c/%.c $(wildcard tests/c/*.h) build/tsan/libhush.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_TSAN) -Itests/c $< build/tsan/libhush.a $(LDFLAGS) -lsodium -lm -pthread -o $@

# libFuzzer targets: the core is instrumented once (fuzzer-no-link), each target links it; run on
# their corpora by `make test`.
FUZZ_CFLAGS = $(CSTD) $(CINC) -g -O1 -fsanitize=fuzzer-no-link,address,undefined $(CFLAGS)
FUZZ_OBJ    := $(CORE_SRC:%.c=build/fuzz/obj/%.o)

build/fuzz/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CLANG) $(FUZZ_CFLAGS) -MMD -MP -c $< -o $@

build/fuzz/libhush.a: $(FUZZ_OBJ)
	@rm -f $@
	ar rcs $@ $^

build/fuzz/%: tests/fuzz/%.c build/fuzz/libhush.a
	@mkdir -p $(dir $@)
	$(CLANG) $(CSTD) $(CINC) -g -O1 -fsanitize=fuzzer,address,undefined $(CFLAGS) $< build/fuzz/libhush.a \
	    $(LDFLAGS) -lsodium -lm -o $@

bootstrap:
	@sh scripts/bootstrap.sh

# The two commands of the README. Both bootstrap first, so a fresh clone needs nothing else.
demo: bootstrap
	@$(MAKE) --no-print-directory -j$$(nproc) all
	@node scripts/serve.mjs

# Every suite runs even when an earlier one fails (-k); make still exits non-zero on any failure.
test: bootstrap
	@$(MAKE) --no-print-directory -j$$(nproc) test-build
	@$(MAKE) --no-print-directory -k test-api test-c test-wasi test-fuzz test-gen test-accuracy test-node test-server test-e2e test-examples

# Everything the suites need, built in parallel; the suites themselves run one after another.
test-build: $(TEST_BIN) $(SERVER_TEST_BIN) $(TSAN_BIN) $(WASI_TEST_BIN) $(FUZZ_BIN) native wasm $(SERVER_TEST_DEPS)

test-accuracy: build/native/hush
	node --test tests/accuracy/

test-e2e: wasm native
	node --test tests/e2e/

# The README's C and JS examples must keep working: they are compiled and run here.
test-examples: build/native/libhush.a wasm
	$(CC) $(CFLAGS_NATIVE) examples/quickstart.c build/native/libhush.a $(LDFLAGS) -lsodium -lm -o build/native/quickstart
	./build/native/quickstart
	node examples/quickstart.mjs

test-c: $(TEST_BIN) $(SERVER_TEST_BIN) $(TSAN_BIN) build/native/hush
	@sh tests/c/run.sh $(TEST_BIN) $(SERVER_TEST_BIN) $(TSAN_BIN)

test-wasi: $(WASI_TEST_BIN)
	@sh tests/c/run.sh $(WASI_TEST_BIN)

test-fuzz: $(FUZZ_BIN)
	@sh tests/fuzz/replay.sh $(FUZZ_BIN)

FUZZ_SECONDS ?= 60
fuzz: $(FUZZ_BIN)
	@for f in $(FUZZ_BIN); do n=$${f##*/}; mkdir -p build/fuzz/corpus/$$n; \
	  $$f -max_total_time=$(FUZZ_SECONDS) build/fuzz/corpus/$$n tests/fuzz/corpus/$$n || exit 1; done

# In-repo fragments: a missing one is an error, not a silently smaller build.
include wasm/build.mk
include tests/tests.mk
include bench/bench.mk

clean:
	rm -rf build

-include $(NATIVE_OBJ:.o=.d) $(ASAN_OBJ:.o=.d) $(TSAN_OBJ:.o=.d) $(FUZZ_OBJ:.o=.d)
