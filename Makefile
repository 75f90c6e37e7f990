# Hush: one C core, three builds (native, Emscripten, WASI). POSIX-plain make, no autotools.
#   make            build native, Emscripten and WASI
#   make demo       bootstrap, build, serve the demo and print its URL
#   make test       every test suite (C under ASan+UBSan, fuzz corpora, Node, browser)
#   make bench      benchmarks (not tests)
#   make fuzz       run the libFuzzer targets for FUZZ_SECONDS each

SODIUM_VERSION := 1.0.18
DEPS           := .deps
SODIUM_EM      := $(DEPS)/libsodium-$(SODIUM_VERSION)/emscripten
SODIUM_WASI    := $(DEPS)/libsodium-$(SODIUM_VERSION)/wasi
# Debian's emcc needs acorn from Debian's node modules when node is not Debian's own build.
export NODE_PATH := /usr/share/nodejs

CC      ?= cc
CLANG   ?= clang
# -ffp-contract=off: no fused multiply-add anywhere, so every build rounds identically.
CSTD    := -std=c11 -Wall -Wextra -Werror -ffp-contract=off -fno-math-errno
CINC    := -Icore/include -Icore/src
CFLAGS_NATIVE := $(CSTD) $(CINC) -O2 -fPIC
SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
CFLAGS_ASAN := $(CSTD) $(CINC) -O1 -g $(SAN)
CFLAGS_TSAN := $(CSTD) $(CINC) -O1 -g -fsanitize=thread

CORE_SRC := $(sort $(wildcard core/src/*/*.c))
CLI_SRC  := $(sort $(wildcard core/cli/*.c))
TEST_SRC := $(sort $(wildcard tests/c/test_*.c))
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))

NATIVE_OBJ := $(CORE_SRC:%.c=build/native/obj/%.o)
ASAN_OBJ   := $(CORE_SRC:%.c=build/asan/obj/%.o)
TEST_BIN   := $(TEST_SRC:tests/c/%.c=build/asan/tests/%)
# The tests that run threads also run under ThreadSanitizer.
TSAN_OBJ   := $(CORE_SRC:%.c=build/tsan/obj/%.o)
TSAN_BIN   := build/tsan/tests/test_dpsgd_prefetch
FUZZ_BIN   := $(FUZZ_SRC:tests/fuzz/%.c=build/fuzz/%)

.PHONY: all native wasm bootstrap demo test test-build test-c test-fuzz test-accuracy test-node test-e2e test-examples bench fuzz clean

all: native wasm

native: build/native/libhush.a build/native/hush

build/native/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_NATIVE) -MMD -MP -c $< -o $@

build/native/libhush.a: $(NATIVE_OBJ)
	@rm -f $@
	ar rcs $@ $^

build/native/hush: $(CLI_SRC) $(wildcard core/cli/*.h) build/native/libhush.a
	$(CC) $(CFLAGS_NATIVE) $(CLI_SRC) build/native/libhush.a -lsodium -lm -pthread -o $@

build/asan/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ASAN) -MMD -MP -c $< -o $@

build/asan/libhush.a: $(ASAN_OBJ)
	@rm -f $@
	ar rcs $@ $^

build/asan/tests/%: tests/c/%.c $(wildcard tests/c/*.h) build/asan/libhush.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ASAN) -Itests/c $< build/asan/libhush.a -lsodium -lm -pthread -o $@

build/tsan/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_TSAN) -MMD -MP -c $< -o $@

build/tsan/libhush.a: $(TSAN_OBJ)
	@rm -f $@
	ar rcs $@ $^

build/tsan/tests/%: tests/c/%.c $(wildcard tests/c/*.h) build/tsan/libhush.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_TSAN) -Itests/c $< build/tsan/libhush.a -lsodium -lm -pthread -o $@

# libFuzzer targets: the core is instrumented once (fuzzer-no-link), each target links it; run on
# their corpora by `make test`.
FUZZ_CFLAGS := $(CSTD) $(CINC) -g -O1 -fsanitize=fuzzer-no-link,address,undefined
FUZZ_OBJ    := $(CORE_SRC:%.c=build/fuzz/obj/%.o)

build/fuzz/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CLANG) $(FUZZ_CFLAGS) -MMD -MP -c $< -o $@

build/fuzz/libhush.a: $(FUZZ_OBJ)
	@rm -f $@
	ar rcs $@ $^

build/fuzz/%: tests/fuzz/%.c build/fuzz/libhush.a
	@mkdir -p $(dir $@)
	$(CLANG) $(CSTD) $(CINC) -g -O1 -fsanitize=fuzzer,address,undefined $< build/fuzz/libhush.a -lsodium -lm -o $@

bootstrap:
	@sh scripts/bootstrap.sh

# The two commands of the README. Both bootstrap first, so a fresh clone needs nothing else.
demo: bootstrap
	@$(MAKE) --no-print-directory -j$$(nproc) all
	@node scripts/serve.mjs

# Every suite runs even when an earlier one fails (-k); make still exits non-zero on any failure.
test: bootstrap
	@$(MAKE) --no-print-directory -j$$(nproc) test-build
	@$(MAKE) --no-print-directory -k test-c test-fuzz test-accuracy test-node test-e2e test-examples

# Everything the suites need, built in parallel; the suites themselves run one after another.
test-build: $(TEST_BIN) $(TSAN_BIN) $(FUZZ_BIN) native wasm

test-accuracy: build/native/hush
	node --test tests/accuracy/

test-e2e: wasm
	node --test tests/e2e/

# The README's C and JS examples must keep working: they are compiled and run here.
test-examples: build/native/libhush.a wasm
	$(CC) $(CFLAGS_NATIVE) examples/quickstart.c build/native/libhush.a -lsodium -lm -o build/native/quickstart
	./build/native/quickstart
	node examples/quickstart.mjs

test-c: $(TEST_BIN) $(TSAN_BIN) build/native/hush
	@sh tests/c/run.sh $(TEST_BIN) $(TSAN_BIN)

test-fuzz: $(FUZZ_BIN)
	@sh tests/fuzz/replay.sh $(FUZZ_BIN)

FUZZ_SECONDS ?= 60
fuzz: $(FUZZ_BIN)
	@for f in $(FUZZ_BIN); do n=$${f##*/}; mkdir -p build/fuzz/corpus/$$n; \
	  $$f -max_total_time=$(FUZZ_SECONDS) build/fuzz/corpus/$$n tests/fuzz/corpus/$$n || exit 1; done

-include wasm/build.mk
-include tests/tests.mk
-include bench/bench.mk

# Benchmarks, not tests: each prints its own table next to the peer measured in the same run.
.PHONY: bench bench-secagg bench-mpc bench-dpsgd bench-dpsgd-fashion pate-digits bench-pld
bench: bench-train bench-dpsgd bench-secagg bench-mpc

build/bench/dpsgd: bench/dpsgd.c bench/bench.h core/cli/prefetch.h build/native/libhush.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_NATIVE) bench/dpsgd.c build/native/libhush.a -lsodium -lm -pthread -o $@

build/bench/pate_digits: bench/pate_digits.c bench/bench.h build/native/libhush.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_NATIVE) bench/pate_digits.c build/native/libhush.a -lsodium -lm -o $@

# DP-SGD step cost against plain steps and TF.js (per-example loop and hand-vectorised), the credit
# MLP at epsilon 1 and 3; the long Fashion-MNIST and PATE runs have targets of their own.
bench-dpsgd: build/bench/dpsgd web
	./build/bench/dpsgd all && node bench/dpsgd_web.mjs

bench-dpsgd-fashion: build/bench/dpsgd
	./build/bench/dpsgd fashion

# PATE_SEEDS=1-12 runs twelve seeds and prints how many stay under the epsilon target.
PATE_SEEDS ?= 1
pate-digits: build/bench/pate_digits
	./build/bench/pate_digits 50 250 - - $(PATE_SEEDS)

# The PLD accountant across its promised range against the independent reference in
# tests/c/pld_ref.h (a few minutes; `build/bench/pld_table Q SIGMA STEPS DELTA` for one row).
build/bench/pld_table: bench/pld_table.c tests/c/pld_ref.h build/native/libhush.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_NATIVE) -Itests/c bench/pld_table.c build/native/libhush.a -lsodium -lm -o $@

bench-pld: build/bench/pld_table
	./build/bench/pld_table all

build/bench/mpc: bench/mpc.c bench/bench.h build/native/libhush.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_NATIVE) bench/mpc.c build/native/libhush.a -lsodium -lm -o $@

bench-mpc: build/bench/mpc
	./build/bench/mpc

build/bench/secagg: bench/secagg.c build/native/libhush.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_NATIVE) -D_POSIX_C_SOURCE=200809L bench/secagg.c build/native/libhush.a -lsodium -lm -o $@

bench-secagg: build/bench/secagg
	./build/bench/secagg

clean:
	rm -rf build

-include $(NATIVE_OBJ:.o=.d) $(ASAN_OBJ:.o=.d) $(TSAN_OBJ:.o=.d) $(FUZZ_OBJ:.o=.d)

build/native/tune_credit: tests/accuracy/tune_credit.c build/native/libhush.a
	$(CC) $(CFLAGS_NATIVE) $< build/native/libhush.a -lsodium -lm -o $@
