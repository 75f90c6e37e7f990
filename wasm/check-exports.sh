#!/bin/sh
# Fails (and prints the difference) when wasm/exports.txt drifts from the C declarations:
# every hush_* function in core/include/hush/*.h and hush_wasm_* in wasm/wasm_exports.h must be
# listed, and nothing else except the allocator entries JS needs (malloc, free).
# Usage: wasm/check-exports.sh CC [--update]
#   CC only runs the preprocessor (to drop comments and expand macros); --update rewrites the list
#   from the headers (review the diff: every new export is new public surface).
set -eu
cc=${1:-cc}
tmp=${TMPDIR:-/tmp}/hush-exports.$$
trap 'rm -f "$tmp".*' EXIT INT TERM
for h in core/include/hush/*.h wasm/wasm_exports.h; do printf '#include "%s"\n' "$h"; done |
    $cc -E -P -x c -Icore/include -I. - |
    grep -o 'hush_[a-z0-9_]*[[:space:]]*(' | sed 's/[[:space:](]//g' | sort -u > "$tmp.decl"
if [ "${2:-}" = --update ]; then
    {
        sed -n '/^#/p' wasm/exports.txt | grep -v '^# wasm-only' | sed '/^# /!d' | head -n 3
        printf 'malloc\nfree\n'
        grep -v '^hush_wasm_' "$tmp.decl"
        echo '# wasm-only helpers (wasm/wasm_exports.h)'
        grep '^hush_wasm_' "$tmp.decl"
    } > "$tmp.new"
    mv "$tmp.new" wasm/exports.txt
fi
sed -e 's/#.*//' -e 's/[[:space:]]//g' wasm/exports.txt | grep -v -e '^$' -e '^malloc$' -e '^free$' |
    sort > "$tmp.list"
if ! cmp -s "$tmp.decl" "$tmp.list"; then
    echo "wasm/exports.txt is out of date with the headers (< declared only, > listed only);" >&2
    echo "run 'sh wasm/check-exports.sh $cc --update' (or 'make wasm-exports') and review:" >&2
    diff "$tmp.decl" "$tmp.list" | grep '^[<>]' >&2
    exit 1
fi
if [ "$(sed -e 's/#.*//' wasm/exports.txt | grep -v '^$' | sort | uniq -d)" ]; then
    echo "wasm/exports.txt lists a name twice" >&2
    exit 1
fi
