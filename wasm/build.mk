# WebAssembly builds, included by the root Makefile (which defines CORE_SRC, CLI_SRC, CSTD, CINC,
# SODIUM_EM, SODIUM_WASI).
#   build/web/hush.mjs + hush.wasm            Emscripten ES module, wasm SIMD (-msimd128)
#   build/web/hush-base.mjs + hush-base.wasm  same without SIMD, for engines that lack it
#   build/wasi/hush.wasm                      the CLI for WASI (run it with bin/hush-wasi.mjs)
# The web builds export exactly wasm/exports.txt; wasm/check-exports.sh fails the build when that
# list drifts from the public headers.

EMCC ?= emcc
# Debian's emcc ships a frozen prebuilt cache (/usr/share/emscripten/cache): never point EM_CACHE
# elsewhere, or every compile fails with "FROZEN_CACHE is set, but cache file is missing".
EMCC_RUN := env -u EM_CACHE $(EMCC)

WASM_C    := wasm/constants.c wasm/exports.c wasm/dp_exports.c
WEB_SRC   := $(CORE_SRC) $(WASM_C)
EM_CFLAGS := $(CSTD) $(CINC) -Iwasm -I$(SODIUM_EM)/include -O3
WEB_SIMD_OBJ := $(WEB_SRC:%.c=build/obj/web-simd/%.o)
WEB_BASE_OBJ := $(WEB_SRC:%.c=build/obj/web-base/%.o)

WASM_EXPORTS := $(shell sed -e 's/\#.*//' wasm/exports.txt)
wasm_empty :=
wasm_space := $(wasm_empty) $(wasm_empty)
wasm_comma := ,
# No eval/new Function at run time (CSP without unsafe-eval), no filesystem, no Node glue: the
# loader in web/ hands the module its bytes, so one file serves browsers, workers and Node.
EM_LDFLAGS := -O3 -sMODULARIZE -sEXPORT_ES6 -sEXPORT_NAME=createHushModule \
	-sENVIRONMENT=web,worker -sALLOW_MEMORY_GROWTH -sFILESYSTEM=0 -sDYNAMIC_EXECUTION=0 \
	-sTOTAL_STACK=1048576 -sEXPORTED_RUNTIME_METHODS=HEAPU8,UTF8ToString \
	-sEXPORTED_FUNCTIONS=$(subst $(wasm_space),$(wasm_comma),$(addprefix _,$(strip $(WASM_EXPORTS)))) \
	--pre-js wasm/pre.js

WASI_CC     := $(CLANG) --target=wasm32-wasi --sysroot=/usr
WASI_CFLAGS := $(CSTD) $(CINC) -I$(SODIUM_WASI)/include -O2 -msimd128
WASI_SRC    := $(CORE_SRC) $(CLI_PORTABLE_SRC) wasm/wasi_cwd.c
WASI_OBJ    := $(WASI_SRC:%.c=build/obj/wasi/%.o)
# libsodium-wasi is built with -D_WASI_EMULATED_SIGNAL (see scripts/bootstrap.sh).
WASI_LIBS   := $(SODIUM_WASI)/lib/libsodium.a -lwasi-emulated-signal -lm

.PHONY: wasm web wasi wasm-exports

wasm: web wasi
web: build/web/hush.mjs build/web/hush-base.mjs
wasi: build/wasi/hush.wasm

# Rewrites wasm/exports.txt from the headers after a deliberate API change.
wasm-exports:
	sh wasm/check-exports.sh "$(CC)" --update

build/obj/wasm-exports.ok: wasm/exports.txt wasm/check-exports.sh wasm/wasm_exports.h $(wildcard core/include/hush/*.h)
	@mkdir -p $(dir $@)
	sh wasm/check-exports.sh "$(CC)"
	@touch $@

build/obj/web-simd/%.o: %.c
	@mkdir -p $(dir $@)
	$(EMCC_RUN) $(EM_CFLAGS) -msimd128 -MMD -MP -c $< -o $@

build/obj/web-base/%.o: %.c
	@mkdir -p $(dir $@)
	$(EMCC_RUN) $(EM_CFLAGS) -MMD -MP -c $< -o $@

# The .wasm is written by the same command as the .mjs.
build/web/hush.wasm: build/web/hush.mjs
build/web/hush-base.wasm: build/web/hush-base.mjs

build/web/hush.mjs: build/obj/wasm-exports.ok $(WEB_SIMD_OBJ) wasm/pre.js $(SODIUM_EM)/lib/libsodium.a
	@mkdir -p $(dir $@)
	$(EMCC_RUN) $(WEB_SIMD_OBJ) $(SODIUM_EM)/lib/libsodium.a -msimd128 $(EM_LDFLAGS) -o $@
	@sh wasm/check-glue.sh $@ || { rm -f $@; exit 1; }

build/web/hush-base.mjs: build/obj/wasm-exports.ok $(WEB_BASE_OBJ) wasm/pre.js $(SODIUM_EM)/lib/libsodium.a
	@mkdir -p $(dir $@)
	$(EMCC_RUN) $(WEB_BASE_OBJ) $(SODIUM_EM)/lib/libsodium.a $(EM_LDFLAGS) -o $@
	@sh wasm/check-glue.sh $@ || { rm -f $@; exit 1; }

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
