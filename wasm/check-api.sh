#!/bin/sh
# The C vocabulary of STYLE.md ("Names"), checked on every public header (core/include/hush/*.h)
# and on wasm/wasm_exports.h. It fails, naming the header and the declaration, on
#   1. a function without one of its header's prefixes (the table in STYLE.md, "Prefixes per
#      header"; a header without a row fails too),
#   2. a _config_default function,
#   3. a hush_<x>_config struct whose first member is not `uint32_t version`, or without a
#      HUSH_NODISCARD int hush_<x>_config_init,
#   4. a HUSH_...BYTES name without the underscore before BYTES,
#   5. a produced length not named written: a `size_t *` parameter named len, count, n, n_*,
#      *_len or *_count after an output buffer (a non-const pointer to plain data),
#   6. a size accessor named _bound or _message_bound (the name is _max_message),
#   7. a header that does not open with a `Start here:` paragraph (within its first six lines,
#      at most five lines long),
#   8. a state accessor (_state, _round, _count, _rows, _steps, _max_message or _save_size of a
#      const handle) that returns a status (HUSH_NODISCARD) instead of its value.
# Usage: wasm/check-api.sh CC [ROOT]
#   CC only runs the preprocessor, to drop comments and expand macros before reading
#   declarations. ROOT (default .) is the tree to check, so a copy can be checked too.
set -eu
cc=${1:-cc}
root=${2:-.}
tmp=${TMPDIR:-/tmp}/hush-api.$$
trap 'rm -f "$tmp".*' EXIT INT TERM
fail=0

# The prefix table: "header prefix prefix ..." per row, from the backquoted words of each row.
awk '/^### Prefixes per header/ { on = 1; next }
     on && /^#/ { exit }
     on && /^\| `/ {
         n = split($0, cell, "|"); line = ""
         for (i = 2; i < n; i++) {
             rest = cell[i]
             while (match(rest, /`[^`]*`/)) {
                 line = line " " substr(rest, RSTART + 1, RLENGTH - 2)
                 rest = substr(rest, RSTART + RLENGTH)
             }
         }
         print substr(line, 2)
     }' "$root/STYLE.md" > "$tmp.prefixes"
if [ ! -s "$tmp.prefixes" ]; then
    echo "check-api: no prefix table (### Prefixes per header) in $root/STYLE.md" >&2
    exit 1
fi

for h in "$root"/core/include/hush/*.h "$root/wasm/wasm_exports.h"; do
    base=${h##*/}
    prefixes=$(awk -v b="$base" '$1 == b { $1 = ""; sub(/^ /, ""); print }' "$tmp.prefixes")
    if [ -z "$prefixes" ]; then
        echo "$base: no row in STYLE.md's prefix table (### Prefixes per header)" >&2
        fail=1
    fi

    # 7. Start here.
    awk -v b="$base" '
        NR <= 6 && !start && /^(\/\*| \*) Start here: / { start = NR }
        start && NR > start && (/^ \*\/?[[:space:]]*$/ || /\*\//) { end = NR; exit }
        END {
            if (!start) { print b ": no \"Start here:\" paragraph in its first six lines" > "/dev/stderr"; exit 1 }
            if (!end) end = NR + 1
            if (end - start > 5) {
                print b ": the Start here: paragraph is " end - start " lines (at most 5)" > "/dev/stderr"; exit 1
            }
        }' "$h" || fail=1

    # 4. _BYTES, on the raw text (macros are gone after the preprocessor).
    if grep -n 'HUSH_[A-Z0-9_]*[A-Z0-9]BYTES' "$h" > "$tmp.bytes"; then
        sed "s|^|$base:|; s|$| (spell it _BYTES)|" "$tmp.bytes" >&2
        fail=1
    fi

    # The header's own declarations, one statement per line: the preprocessor's line markers say
    # which lines come from this file rather than from the headers it includes.
    $cc -E -x c -I"$root/core/include" -I"$root" "$h" |
        awk -v f="$h" '/^# [0-9]+ "/ { cur = $3; gsub(/"/, "", cur); next } cur == f' |
        tr '\n' ' ' | awk '{ gsub(/[;{}]/, "&\n"); print }' |
        sed 's/^[[:space:]]*//; s/[[:space:]][[:space:]]*/ /g' > "$tmp.decl"

    awk -v b="$base" -v prefixes="$prefixes" '
        BEGIN { np = split(prefixes, pre, " "); bad = 0 }
        function complain(msg, decl) {
            gsub(/__attribute__\(\(warn_unused_result\)\)/, "HUSH_NODISCARD", decl)
            print b ": " msg ": " decl > "/dev/stderr"; bad = 1
        }
        # 3. config structs: the member after the opening brace.
        want_version { if ($0 !~ /^uint32_t version ?;$/) complain("config struct without uint32_t version as its first member", want_version); want_version = "" }
        /struct hush_[a-z0-9_]*_config ?[{]$/ {
            want_version = $0
            s = $0; sub(/.*struct /, "", s); sub(/ ?[{]$/, "", s)
            configs[s] = 1
        }
        # Functions: the first hush_ name followed by "(" in a statement ending with ");".
        /\) ?;$/ && match($0, /hush_[a-z0-9_]* ?\(/) {
            name = substr($0, RSTART, RLENGTH); sub(/ ?\($/, "", name)
            head = substr($0, 1, RSTART - 1)
            params = substr($0, RSTART + RLENGTH); sub(/\) ?;$/, "", params)
            decl = $0
            declared[name] = head
            # 1. prefix
            ok = 0
            for (i = 1; i <= np; i++) if (name == pre[i] || index(name, pre[i] "_") == 1) ok = 1
            if (!ok) complain("no prefix of this header (" prefixes ")", decl)
            # 2., 6.
            if (name ~ /_config_default$/) complain("_config_default (use _config_init returning a status)", decl)
            if (name ~ /_bound$/) complain("a size accessor is _max_message, not _bound", decl)
            # 8. state accessors return the value, never a status
            if (name ~ /_(state|round|count|rows|steps|max_message|save_size)$/ && params ~ /^ ?const hush_/ &&
                head ~ /warn_unused_result/)
                complain("a state accessor returns its value, not a status", decl)
            # 5. produced lengths
            n = split(params, p, ",")
            out_seen = 0
            for (i = 1; i <= n; i++) {
                q = p[i]; sub(/^ /, "", q); sub(/ $/, "", q)
                if (q ~ /^size_t ?\* ?[a-z0-9_]+$/) {
                    v = q; sub(/.*[* ]/, "", v)
                    if (out_seen && (v == "len" || v == "count" || v == "n" || v ~ /^n_/ || v ~ /_len$/ || v ~ /_count$/))
                        complain("produced length \"" v "\" after an output buffer (name it written)", decl)
                }
                if (q !~ /const/ && q ~ /^(char|int|int8_t|uint8_t|int16_t|uint16_t|int32_t|uint32_t|int64_t|uint64_t|float|double|size_t|hush_layer_spec) ?(\* ?[a-z0-9_]+|[a-z0-9_]+ ?\[[^]]*\])$/)
                    out_seen = 1
            }
        }
        END {
            for (c in configs) {
                init = c "_init"
                if (!(init in declared)) complain("config struct without a _config_init", c)
                else if (declared[init] !~ /warn_unused_result/ || declared[init] !~ /int $/)
                    complain("_config_init must be HUSH_NODISCARD int (a status)", init)
            }
            exit bad
        }' "$tmp.decl" || fail=1
done

# A row for a header that no longer exists is stale.
while read -r base rest; do
    [ -f "$root/core/include/hush/$base" ] || [ "$base" = wasm_exports.h ] || {
        echo "STYLE.md's prefix table names $base, which is not a public header" >&2
        fail=1
    }
done < "$tmp.prefixes"
[ $fail -eq 0 ] || echo "check-api: see STYLE.md, \"Names\"" >&2
exit $fail
