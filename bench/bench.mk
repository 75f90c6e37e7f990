# Every benchmark rule (never tests), included by the root Makefile after wasm/build.mk. Each
# prints its own table next to the peer measured in the same run; only ratios within one run mean
# anything on a shared machine.
#   make bench               all of the below but the long runs
#   make bench-train         training throughput: Hush native / WASI / Emscripten vs TF.js,
#                            table on stdout, JSON in build/bench/train.json
#   make bench-size          the bundle, hush.wasm + hush.mjs gzipped, against its 150 KB budget
#   make bench-dpsgd, bench-secagg, bench-mpc; the long runs bench-dpsgd-fashion, pate-digits
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

.PHONY: bench bench-train bench-size bench-native bench-wasi bench-em bench-secagg bench-mpc bench-dpsgd \
	bench-dpsgd-fashion pate-digits
bench: bench-train bench-dpsgd bench-secagg bench-mpc

# Training throughput: Hush (native, Emscripten, WASI) against TensorFlow.js, one run.
bench-train:
	@node bench/run.mjs --seconds "$(BENCH_SECONDS)" --only "$(BENCH_ONLY)" --make "$(MAKE)" --breakdown

# The bundle size alone (bench-train prints it too), from a fresh `make web`.
bench-size: web
	@node bench/size.mjs

bench-native: build/bench/train_native
bench-wasi: build/bench/train_wasi.wasm
bench-em: build/bench/em/train_em_simd.js build/bench/em/train_em_base.js

build/bench/train_native: bench/train_native.c build/native/libhush.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_NATIVE) -g bench/train_native.c build/native/libhush.a $(LDFLAGS) -lsodium -lm -o $@

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

build/bench/dpsgd: bench/dpsgd.c bench/bench.h core/cli/prefetch.h build/native/libhush.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_NATIVE) bench/dpsgd.c build/native/libhush.a $(LDFLAGS) -lsodium -lm -pthread -o $@

build/bench/pate_digits: bench/pate_digits.c bench/bench.h build/native/libhush.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_NATIVE) bench/pate_digits.c build/native/libhush.a $(LDFLAGS) -lsodium -lm -o $@

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

build/bench/mpc: bench/mpc.c bench/bench.h build/native/libhush.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_NATIVE) bench/mpc.c build/native/libhush.a $(LDFLAGS) -lsodium -lm -o $@

bench-mpc: build/bench/mpc
	./build/bench/mpc

build/bench/secagg: bench/secagg.c build/native/libhush.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_NATIVE) -D_POSIX_C_SOURCE=200809L bench/secagg.c build/native/libhush.a $(LDFLAGS) -lsodium -lm -o $@

bench-secagg: build/bench/secagg
	./build/bench/secagg

# Encrypted credit decisions over hush-server (dealer, native bank, native and Node applicants) at
# 1, 10 and 100 sessions in flight, next to the in-process `hush mpc predict` (bench/mpc_net.mjs).
.PHONY: bench-mpc-net
bench-mpc-net: build/native/hush-server build/native/hush web
	node bench/mpc_net.mjs

# hush-server over loopback next to the in-process round of the same configuration (bench/server.mjs).
.PHONY: bench-server
bench-server: build/native/hush-server build/native/hush-swarm build/native/hush
	node bench/server.mjs

# The PLD accountant across its promised range against the independent reference in
# tests/c/pld_ref.h (quick: 135 rows, half a minute), then the whole range by its bracket alone
# (`build/bench/pld_table all` for every row against the reference: hours; Q SIGMA STEPS DELTA: one row).
.PHONY: bench-pld
build/bench/pld_table: bench/pld_table.c tests/c/pld_ref.h build/native/libhush.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_NATIVE) -Itests/c bench/pld_table.c build/native/libhush.a $(LDFLAGS) -lsodium -lm -o $@

bench-pld: build/bench/pld_table
	./build/bench/pld_table quick
	./build/bench/pld_table bracket

# Federated learning (bench/fl.mjs): rounds through hush-server with native (hush-swarm --fedavg)
# and Node (bench/fl_node.mjs) participants next to the in-process round of the same configuration
# (build/bench/fl round); table on stdout, JSON in build/bench/fl.json. FL_QUICK=1 runs the
# 10- and 100-participant rows only. bench-fl-quality: the quality bars of the federated tasks
# (credit IID vs centralised, record privacy; Fashion-MNIST non-IID, user privacy), in process
# through build/bench/fl quality; JSON in build/bench/fl-quality.json.
.PHONY: bench-fl bench-fl-quality
build/bench/fl: bench/fl.c core/cli/util.c core/cli/cli.h build/native/libhush.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_NATIVE) -Icore/cli bench/fl.c core/cli/util.c build/native/libhush.a $(LDFLAGS) -lsodium -lm -o $@

bench-fl: build/bench/fl build/native/hush-server build/native/hush-swarm web
	node bench/fl.mjs

bench-fl-quality: build/bench/fl build/native/hush-server build/native/hush-swarm
	node bench/fl.mjs --quality
