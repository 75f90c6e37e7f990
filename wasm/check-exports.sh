#!/bin/sh
# Fails (and prints the difference) when wasm/exports.txt drifts from the C declarations:
# every hush_* function in core/include/hush/*.h and hush_wasm_* in wasm/wasm_exports.h must be
# listed, and nothing else except the allocator entries JS needs (malloc, free).
# Usage: wasm/check-exports.sh CC   (CC only runs the preprocessor, to drop comments and macros)
set -eu
cc=${1:-cc}
tmp=${TMPDIR:-/tmp}/hush-exports.$$
trap 'rm -f "$tmp".*' EXIT INT TERM
for h in core/include/hush/*.h wasm/wasm_exports.h; do printf '#include "%s"\n' "$h"; done |
    $cc -E -P -x c -Icore/include -I. - |
    grep -o 'hush_[a-z0-9_]*[[:space:]]*(' | sed 's/[[:space:](]//g' | sort -u > "$tmp.decl"
sed -e 's/#.*//' -e 's/[[:space:]]//g' wasm/exports.txt | grep -v -e '^$' -e '^malloc$' -e '^free$' |
    sort > "$tmp.list"
if ! cmp -s "$tmp.decl" "$tmp.list"; then
    echo "wasm/exports.txt is out of date with the headers (< declared only, > listed only):" >&2
    diff "$tmp.decl" "$tmp.list" | grep '^[<>]' >&2
    exit 1
fi
if [ "$(sort wasm/exports.txt | grep -v '^#' | uniq -d)" ]; then
    echo "wasm/exports.txt lists a name twice" >&2
    exit 1
fi
