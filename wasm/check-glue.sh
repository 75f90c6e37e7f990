#!/bin/sh
# Fails if an Emscripten glue file could need eval at run time (it must work under a
# Content-Security-Policy without 'unsafe-eval') or still carries Node-only code paths.
set -eu
f=$1
[ -s "$f" ] || { echo "$f: missing" >&2; exit 1; }
if grep -n -E '(^|[^A-Za-z0-9_$.])eval\(|new Function|\bFunction\(' "$f" >/dev/null; then
    echo "$f: contains eval/new Function" >&2
    grep -o -E '.{40}(eval\(|new Function|Function\().{40}' "$f" >&2
    exit 1
fi
# (libsodium's EM_ASM keeps a require("crypto") fallback; wasm/pre.js makes it unreachable.)
if grep -E '__dirname' "$f" >/dev/null; then
    echo "$f: contains Node-only glue (__dirname)" >&2
    exit 1
fi
