#!/bin/sh
# The Emscripten builds export exactly what the npm package calls, so the linker can drop every
# public function that web/ never reaches (bytes) and nothing is reachable from JS by accident.
# wasm/exports.txt is that list; this script fails (and prints the difference) unless
#   1. every function web/*.js names as M._hush_* (or '_hush_*' in a string) is listed,
#   2. every listed function is named by web/*.js (malloc and free are always listed: the
#      runtime copies data in and out with them),
#   3. every listed hush_* is declared in core/include/hush/*.h or wasm/wasm_exports.h.
# Usage: wasm/check-exports.sh CC [--update]
#   CC only runs the preprocessor (to drop comments and expand macros) for check 3.
#   --update rewrites the list from web/*.js (`make wasm-exports`); review the diff, and declare
#   any new name in a header first.
set -eu
cc=${1:-cc}
tmp=${TMPDIR:-/tmp}/hush-exports.$$
trap 'rm -f "$tmp".*' EXIT INT TERM
fail=0

# What web/ calls: _hush_* not preceded by an identifier character (so sizeof_hush_rng, a
# constants-table key, is not a call).
grep -ohE '(^|[^A-Za-z0-9_$])_hush_[a-z0-9_]+' web/*.js | sed 's/^[^_]*_hush_/hush_/' | sort -u > "$tmp.web"
# What C declares.
for h in core/include/hush/*.h wasm/wasm_exports.h; do printf '#include "%s"\n' "$h"; done |
    $cc -E -P -x c -Icore/include -I. - |
    grep -o 'hush_[a-z0-9_]*[[:space:]]*(' | sed 's/[[:space:](]//g' | sort -u > "$tmp.decl"

if [ "${2:-}" = --update ]; then
    {
        awk '/^#/ { print; next } { exit }' wasm/exports.txt   # the header comment, kept
        printf 'malloc\nfree\n'
        cat "$tmp.web"
    } > "$tmp.new"
    mv "$tmp.new" wasm/exports.txt
fi

sed -e 's/#.*//' -e 's/[[:space:]]//g' wasm/exports.txt | grep -v -e '^$' > "$tmp.all"
if [ "$(sort "$tmp.all" | uniq -d)" ]; then
    echo "wasm/exports.txt lists a name twice:" >&2
    sort "$tmp.all" | uniq -d >&2
    fail=1
fi
for a in malloc free; do
    grep -qx "$a" "$tmp.all" || { echo "wasm/exports.txt must list $a (web/runtime.js uses it)" >&2; fail=1; }
done
grep -v -e '^malloc$' -e '^free$' "$tmp.all" | sort -u > "$tmp.list"
if ! cmp -s "$tmp.web" "$tmp.list"; then
    echo "wasm/exports.txt differs from what web/*.js calls (< called by web/ but not exported," >&2
    echo "> exported but never called); run 'make wasm-exports' and review:" >&2
    diff "$tmp.web" "$tmp.list" | grep '^[<>]' >&2
    fail=1
fi
undeclared=$(comm -23 "$tmp.list" "$tmp.decl")
if [ -n "$undeclared" ]; then
    echo "wasm/exports.txt lists functions no public header (core/include/hush/*.h) or" >&2
    echo "wasm/wasm_exports.h declares:" >&2
    echo "$undeclared" >&2
    fail=1
fi
exit $fail
