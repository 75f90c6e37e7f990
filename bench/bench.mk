# Benchmarks (never tests), included by the root Makefile after wasm/build.mk.
#   make bench               training throughput: Hush native / WASI / Emscripten vs TF.js,
#                            table on stdout, JSON in build/bench/train.json
#   BENCH_SECONDS=1.5         seconds per timed repeat (3 repeats, interleaved across engines)
#   BENCH_ONLY=digits-mlp-b32,cnn-b64   restrict the cases
# One bench program, bench/train_native.c, is built three ways so every Hush build times the same
# C loop: natively against build/native/libhush.a, for WASI against the WASI build's own core
# objects, and with emcc against the web build's SIMD and baseline objects. The Emscripten web
# API (web/index.js, model.step from JS) is timed separately by bench/hush_web_train.mjs.
# Builds are made on demand by bench/run.mjs (`make native`, `make web`, `make wasi`), which
# reports a failed build as a failed row instead of stopping.

BENCH_SECONDS ?= 1.5
BENCH_ONLY    ?=
# The object lists come from wasm/build.mk (deferred with `=`, so include order does not matter):
# the WASI build's core objects without its CLI, and the web builds' objects as they are.
BENCH_CORE_WASI    = $(filter $(addprefix %/,$(CORE_SRC:.c=.o)),$(WASI_OBJ))
BENCH_CORE_EM_SIMD = $(WEB_SIMD_OBJ)
BENCH_CORE_EM_BASE = $(WEB_BASE_OBJ)
# SINGLE_FILE: emcc 3.1.6 would fetch() the .wasm by path, which Node 18+ rejects.
BENCH_EM_LDFLAGS := -O3 -sSINGLE_FILE -sENVIRONMENT=node -sALLOW_MEMORY_GROWTH -sTOTAL_STACK=1048576 -sEXIT_RUNTIME=1

.PHONY: bench-train bench-native bench-wasi bench-em

# Training throughput: Hush (native, Emscripten, WASI) against TensorFlow.js, one run.
bench-train:
	@node bench/run.mjs --seconds "$(BENCH_SECONDS)" --only "$(BENCH_ONLY)" --make "$(MAKE)" --breakdown

bench-native: build/bench/train_native
bench-wasi: build/bench/train_wasi.wasm
bench-em: build/bench/em/train_em_simd.js build/bench/em/train_em_base.js

build/bench/train_native: bench/train_native.c build/native/libhush.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_NATIVE) -g bench/train_native.c build/native/libhush.a -lsodium -lm -o $@

build/bench/train_wasi.wasm: bench/train_native.c $(BENCH_CORE_WASI) $(SODIUM_WASI)/lib/libsodium.a
	@mkdir -p $(dir $@)
	$(WASI_CC) $(WASI_CFLAGS) -DBENCH_ENGINE='"hush-wasi"' bench/train_native.c $(BENCH_CORE_WASI) \
	    $(WASI_LIBS) -o $@

# Node treats .js under this package as ES modules; emcc's Node output is CommonJS.
build/bench/em/package.json:
	@mkdir -p $(dir $@)
	echo '{"type":"commonjs"}' > $@

build/bench/em/train_em_simd.js: bench/train_native.c $(BENCH_CORE_EM_SIMD) $(SODIUM_EM)/lib/libsodium.a build/bench/em/package.json
	$(EMCC_RUN) $(EM_CFLAGS) -msimd128 -DBENCH_ENGINE='"hush-em-simd-c"' bench/train_native.c \
	    $(BENCH_CORE_EM_SIMD) $(SODIUM_EM)/lib/libsodium.a -msimd128 $(BENCH_EM_LDFLAGS) -o $@

build/bench/em/train_em_base.js: bench/train_native.c $(BENCH_CORE_EM_BASE) $(SODIUM_EM)/lib/libsodium.a build/bench/em/package.json
	$(EMCC_RUN) $(EM_CFLAGS) -DBENCH_ENGINE='"hush-em-base-c"' bench/train_native.c \
	    $(BENCH_CORE_EM_BASE) $(SODIUM_EM)/lib/libsodium.a $(BENCH_EM_LDFLAGS) -o $@
