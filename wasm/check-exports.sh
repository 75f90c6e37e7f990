#!/bin/sh
# The Emscripten builds export exactly what the npm package calls, so the linker can drop every
# public function that web/ never reaches (bytes) and nothing is reachable from JS by accident.
# Two modules, two lists:
#   wasm/exports.txt       the full module (build/web/hush-full*.wasm): what all of web/ calls;
#   wasm/exports-lean.txt  the lean default (build/web/hush*.wasm): what the lean JS calls, i.e.
#                          web/*.js without web/full.js and the modules web/full.js imports (those
#                          run only on a full instance).
# This script fails (and prints the difference) unless, for each list,
#   1. every function its JS names as M._hush_* (or '_hush_*' in a string) is listed,
#   2. every listed function is named by its JS (malloc and free are always listed: the runtime
#      copies data in and out with them),
#   3. every listed hush_* is declared in core/include/hush/*.h or wasm/wasm_exports.h;
# and unless no lean file imports a full-only module (the lean module could not serve it).
# Usage: wasm/check-exports.sh CC [--update]
#   CC only runs the preprocessor (to drop comments and expand macros) for check 3.
#   --update rewrites both lists from web/ (`make wasm-exports`); review the diff, and declare any
#   new name in a header first.
set -eu
cc=${1:-cc}
tmp=${TMPDIR:-/tmp}/hush-exports.$$
trap 'rm -f "$tmp".*' EXIT INT TERM
fail=0

# The full-only modules: web/full.js and every web/ module it imports.
full_only="web/full.js $(sed -n "s|^import .* from '\./\([a-z0-9_/-]*\.js\)';.*|web/\1|p" web/full.js | tr '\n' ' ')"
all_js=$(ls web/*.js web/net/*.js 2>/dev/null)
lean_js=
for f in $all_js; do
    case " $full_only " in *" $f "*) ;; *) lean_js="$lean_js $f" ;; esac
done
for f in $lean_js; do
    for m in $full_only; do
        if grep -qE "^import .* from '\./$(basename "$m")'" "$f"; then
            echo "$f imports $m, which only a full instance loads (import it from web/full.js)" >&2
            fail=1
        fi
    done
done

# What JS calls: _hush_* not preceded by an identifier character (so sizeof_hush_rng, a
# constants-table key, is not a call).
calls() {
    # shellcheck disable=SC2086
    grep -ohE '(^|[^A-Za-z0-9_$])_hush_[a-z0-9_]+' $1 | sed 's/^[^_]*_hush_/hush_/' | sort -u
}
calls "$all_js" > "$tmp.web-full"
calls "$lean_js" > "$tmp.web-lean"
# What C declares.
for h in core/include/hush/*.h wasm/wasm_exports.h; do printf '#include "%s"\n' "$h"; done |
    $cc -E -P -x c -Icore/include -I. - |
    grep -o 'hush_[a-z0-9_]*[[:space:]]*(' | sed 's/[[:space:](]//g' | sort -u > "$tmp.decl"

check() { # list-file calls-file what
    list=$1
    if [ "${update:-}" = 1 ]; then
        {
            awk '/^#/ { print; next } { exit }' "$list"   # the header comment, kept
            printf 'malloc\nfree\n'
            cat "$2"
        } > "$tmp.new"
        mv "$tmp.new" "$list"
    fi
    sed -e 's/#.*//' -e 's/[[:space:]]//g' "$list" | grep -v -e '^$' > "$tmp.all"
    if [ "$(sort "$tmp.all" | uniq -d)" ]; then
        echo "$list lists a name twice:" >&2
        sort "$tmp.all" | uniq -d >&2
        fail=1
    fi
    for a in malloc free; do
        grep -qx "$a" "$tmp.all" || { echo "$list must list $a (web/runtime.js uses it)" >&2; fail=1; }
    done
    grep -v -e '^malloc$' -e '^free$' "$tmp.all" | sort -u > "$tmp.list"
    if ! cmp -s "$2" "$tmp.list"; then
        echo "$list differs from what $3 calls (< called but not exported, > exported but never" >&2
        echo "called); run 'make wasm-exports' and review:" >&2
        diff "$2" "$tmp.list" | grep '^[<>]' >&2
        fail=1
    fi
    undeclared=$(comm -23 "$tmp.list" "$tmp.decl")
    if [ -n "$undeclared" ]; then
        echo "$list lists functions no public header (core/include/hush/*.h) or" >&2
        echo "wasm/wasm_exports.h declares:" >&2
        echo "$undeclared" >&2
        fail=1
    fi
}

[ "${2:-}" = --update ] && update=1
check wasm/exports.txt "$tmp.web-full" "web/ (the full module's JS)"
check wasm/exports-lean.txt "$tmp.web-lean" "the lean JS (web/ without web/full.js and its imports)"
exit $fail
