# WebAssembly builds, included by the root Makefile (which defines CORE_SRC, CLI_SRC, CSTD, CINC,
# SODIUM_EM, SODIUM_WASI).
#   build/web/hush.mjs + hush.wasm            the lean module, Emscripten ES module, wasm SIMD
#   build/web/hush-base.mjs + hush-base.wasm  the lean module without SIMD, for engines that lack it
#   build/web/hush-full.mjs + hush-full.wasm, hush-full-base.mjs + hush-full-base.wasm
#                                             the full module (SIMD and baseline): the lean one plus
#                                             secure aggregation, MPC, channels, hush-server's
#                                             client, federated learning and p2p, for load({ full: true })
#   build/wasi/hush.wasm                      the CLI for WASI (run it with bin/hush-wasi.mjs)
# Lean and full link the same objects; only their export lists differ, so the linker keeps in the
# lean module nothing the lean JS cannot reach (Ed25519, X25519 and the protocols). The full module
# is a superset (a federated participant trains and talks in one heap). The lean module exports
# exactly wasm/exports-lean.txt, the functions the lean JS (web/*.js but web/full.js and what it
# imports) calls; the full one exactly wasm/exports.txt, what all of web/ calls.
# wasm/check-exports.sh fails the build when either list drifts from web/ or the headers.
#
# Size: the lean bundle (hush.wasm + hush.mjs, gzipped; `make bench-size` prints it and the full
# one) has a 150 KB budget. Where the bytes go and what each measure saved is in wasm/SIZE.md. In
# short: only what web/ calls is exported, so the linker drops the rest; the hot training code (EM_HOT_SRC: the nn
# passes and optimisers, the rng's samplers, mathf, DP-SGD and its sampling) is compiled -O3 and
# everything else (parsers, protocols, accountants, model creation: once per call, not per
# example) -Oz; emmalloc replaces dlmalloc (nothing allocates per step) and the library formats
# its messages without printf (base/fmt.c). The link stays -O3: emcc -Oz would also link the
# size-optimised libc, whose byte-at-a-time memcpy cost a quarter of the web API's training speed.
# The optimisation level never changes a result (-ffp-contract=off, no fast-math):
# tests/node/parity.test.mjs still finds every build's model files identical.

EMCC ?= emcc
# Debian's emcc ships a frozen prebuilt cache (/usr/share/emscripten/cache): never point EM_CACHE
# elsewhere, or every compile fails with "FROZEN_CACHE is set, but cache file is missing".
EMCC_RUN := env -u EM_CACHE $(EMCC)

WASM_C    := wasm/constants.c wasm/exports.c wasm/dp_exports.c
WEB_SRC   := $(CORE_SRC) $(WASM_C)
EM_CFLAGS_COMMON := $(CSTD) $(CINC) -Iwasm -I$(SODIUM_EM)/include
EM_CFLAGS := $(EM_CFLAGS_COMMON) -O3
EM_HOT_SRC := $(filter-out core/src/nn/spec.c core/src/nn/modelio.c,$(wildcard core/src/nn/*.c)) \
	$(wildcard core/src/rng/*.c) core/src/base/mathf.c core/src/dp/dpsgd.c core/src/dp/sample.c
EM_HOT_OPT  ?= -O3
EM_COLD_OPT ?= -Oz
em_opt = $(if $(filter $(EM_HOT_SRC),$<),$(EM_HOT_OPT),$(EM_COLD_OPT))
WEB_SIMD_OBJ := $(WEB_SRC:%.c=build/obj/web-simd/%.o)
WEB_BASE_OBJ := $(WEB_SRC:%.c=build/obj/web-base/%.o)

WASM_EXPORTS      := $(shell sed -e 's/\#.*//' wasm/exports.txt)
WASM_EXPORTS_LEAN := $(shell sed -e 's/\#.*//' wasm/exports-lean.txt)
wasm_empty :=
wasm_space := $(wasm_empty) $(wasm_empty)
wasm_comma := ,
em_exported = -sEXPORTED_FUNCTIONS=$(subst $(wasm_space),$(wasm_comma),$(addprefix _,$(strip $(1))))
# No eval/new Function at run time (CSP without unsafe-eval), no filesystem, no Node glue: the
# loader in web/ hands the module its bytes, so one file serves browsers, workers and Node.
EM_LDFLAGS := -O3 -sMODULARIZE -sEXPORT_ES6 -sEXPORT_NAME=createHushModule -sMALLOC=emmalloc \
	-sENVIRONMENT=web,worker -sALLOW_MEMORY_GROWTH -sFILESYSTEM=0 -sDYNAMIC_EXECUTION=0 \
	-sTOTAL_STACK=1048576 -sEXPORTED_RUNTIME_METHODS=HEAPU8,UTF8ToString --pre-js wasm/pre.js

WASI_CC     := $(CLANG) --target=wasm32-wasi --sysroot=/usr
WASI_CFLAGS := $(CSTD) $(CINC) -I$(SODIUM_WASI)/include -O2 -msimd128
WASI_SRC    := $(CORE_SRC) $(CLI_PORTABLE_SRC) wasm/wasi_cwd.c
WASI_OBJ    := $(WASI_SRC:%.c=build/obj/wasi/%.o)
# libsodium-wasi is built with -D_WASI_EMULATED_SIGNAL (see scripts/bootstrap.sh).
WASI_LIBS   := $(SODIUM_WASI)/lib/libsodium.a -lwasi-emulated-signal -lm

.PHONY: wasm web wasi wasm-exports

wasm: web wasi
WEB_MODULES := build/web/hush.mjs build/web/hush-base.mjs build/web/hush-full.mjs build/web/hush-full-base.mjs
web: $(WEB_MODULES)
wasi: build/wasi/hush.wasm

# Rewrites wasm/exports.txt and wasm/exports-lean.txt from what web/*.js calls, after web/ starts or
# stops calling a function.
wasm-exports:
	sh wasm/check-exports.sh "$(CC)" --update

build/obj/wasm-exports.ok: wasm/exports.txt wasm/exports-lean.txt wasm/check-exports.sh wasm/wasm_exports.h $(wildcard core/include/hush/*.h) \
	$(wildcard web/*.js web/net/*.js)
	@mkdir -p $(dir $@)
	sh wasm/check-exports.sh "$(CC)"
	@touch $@

# The objects depend on this file, so a change of optimisation level rebuilds them.
build/obj/web-simd/%.o: %.c wasm/build.mk
	@mkdir -p $(dir $@)
	$(EMCC_RUN) $(EM_CFLAGS_COMMON) $(em_opt) -msimd128 -MMD -MP -c $< -o $@

build/obj/web-base/%.o: %.c wasm/build.mk
	@mkdir -p $(dir $@)
	$(EMCC_RUN) $(EM_CFLAGS_COMMON) $(em_opt) -MMD -MP -c $< -o $@

# The .wasm is written by the same command as the .mjs.
build/web/hush.wasm: build/web/hush.mjs
build/web/hush-base.wasm: build/web/hush-base.mjs
build/web/hush-full.wasm: build/web/hush-full.mjs
build/web/hush-full-base.wasm: build/web/hush-full-base.mjs

# $(call em_link,OBJECTS,EXPORTS,EXTRA FLAGS)
define em_link
@mkdir -p $(dir $@)
$(EMCC_RUN) $(1) $(SODIUM_EM)/lib/libsodium.a $(3) $(EM_LDFLAGS) $(call em_exported,$(2)) -o $@
@sh wasm/check-glue.sh $@ || { rm -f $@; exit 1; }
endef

WEB_LINK_DEPS := build/obj/wasm-exports.ok wasm/pre.js $(SODIUM_EM)/lib/libsodium.a
build/web/hush.mjs: $(WEB_LINK_DEPS) $(WEB_SIMD_OBJ)
	$(call em_link,$(WEB_SIMD_OBJ),$(WASM_EXPORTS_LEAN),-msimd128)

build/web/hush-base.mjs: $(WEB_LINK_DEPS) $(WEB_BASE_OBJ)
	$(call em_link,$(WEB_BASE_OBJ),$(WASM_EXPORTS_LEAN),)

build/web/hush-full.mjs: $(WEB_LINK_DEPS) $(WEB_SIMD_OBJ)
	$(call em_link,$(WEB_SIMD_OBJ),$(WASM_EXPORTS),-msimd128)

build/web/hush-full-base.mjs: $(WEB_LINK_DEPS) $(WEB_BASE_OBJ)
	$(call em_link,$(WEB_BASE_OBJ),$(WASM_EXPORTS),)

build/obj/wasi/%.o: %.c
	@mkdir -p $(dir $@)
	$(WASI_CC) $(WASI_CFLAGS) -MMD -MP -c $< -o $@

build/wasi/hush.wasm: $(WASI_OBJ) $(SODIUM_WASI)/lib/libsodium.a
	@mkdir -p $(dir $@)
	$(WASI_CC) -O2 -Wl,--strip-debug $(WASI_OBJ) $(WASI_LIBS) -o $@

# C tests for wasm32-wasi (WASI_TESTS in the Makefile), linked against the WASI core objects.
WASI_CORE_OBJ = $(filter $(addprefix %/,$(CORE_SRC:.c=.o)),$(WASI_OBJ)) build/obj/wasi/wasm/wasi_cwd.o
build/wasi/tests/%.wasm: tests/c/%.c $(wildcard tests/c/*.h) $(WASI_CORE_OBJ) $(SODIUM_WASI)/lib/libsodium.a
	@mkdir -p $(dir $@)
	$(WASI_CC) $(WASI_CFLAGS) -Itests/c $< $(WASI_CORE_OBJ) $(WASI_LIBS) -o $@

-include $(WEB_SIMD_OBJ:.o=.d) $(WEB_BASE_OBJ:.o=.d) $(WASI_OBJ:.o=.d)
