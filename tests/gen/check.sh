#!/bin/sh
# `make test-gen`: every generated table and known-answer file is what its generator under
# tests/gen/ writes today, byte for byte, and every tests/vectors/**/*.kat has a generator listed
# here. Generators that need a reference library that cannot run here (TF Privacy, dp_accounting,
# Opacus, PySyft) are listed as "reference": committed as they would run there, not run.
# Run from the repository root, after building build/gen/*.
set -u
fail=0 checked=0

# check GENERATOR-COMMAND TARGET: runs the generator and compares its output with TARGET.
check() {
    out=$(mktemp)
    if ! sh -c "$1" > "$out" 2> "$out.err"; then
        echo "FAILED: $1 exited non-zero:"; cat "$out.err"; fail=1
    elif ! cmp -s "$out" "$2"; then
        echo "FAILED: $2 is not what '$1' writes (regenerate it and review the diff):"
        diff "$2" "$out" | head -n 20; fail=1
    else
        echo "ok  $2 = $1"; checked=$((checked + 1))
    fi
    rm -f "$out" "$out.err"
}

# run COMMAND: a generator that checks its own file (it exits non-zero on a difference).
run() {
    if sh -c "$1"; then echo "ok  $1"; checked=$((checked + 1)); else echo "FAILED: $1"; fail=1; fi
}

check 'node tests/gen/ziggurat.mjs' core/src/rng/ziggurat.h
check 'node tests/gen/chacha20_kat.mjs' tests/vectors/rng/chacha20.kat
check 'node tests/gen/secagg_prg_kat.mjs' tests/vectors/secagg/prg.kat
check 'build/gen/secagg_wire_kat' tests/vectors/secagg/wire.kat
check 'build/gen/channel_kat' tests/vectors/channel/handshake.kat
check 'python3 tests/gen/modelfile_kat.py' tests/vectors/modelfile/tiny.kat
run 'python3 tests/gen/pate_kat.py --check'
if python3 -c 'import mpmath' 2>/dev/null; then
    check 'python3 tests/gen/gaussian_kat.py' tests/vectors/dp/gaussian.kat
    run 'python3 tests/gen/rdp_kat.py --check'
    run 'python3 tests/gen/pld_kat.py --check'
else
    echo "note: python3 mpmath missing (Debian: python3-mpmath): the mpmath generators were not run"
fi

# The inventory: every known-answer file and who makes it.
inventory='
tests/vectors/rng/chacha20.kat        tests/gen/chacha20_kat.mjs
tests/vectors/secagg/prg.kat          tests/gen/secagg_prg_kat.mjs
tests/vectors/secagg/wire.kat         tests/gen/secagg_wire_kat.c
tests/vectors/channel/handshake.kat   tests/gen/channel_kat.c
tests/vectors/modelfile/tiny.kat      tests/gen/modelfile_kat.py
tests/vectors/dp/gaussian.kat         tests/gen/gaussian_kat.py
tests/vectors/dp/rdp.kat              tests/gen/rdp_kat.py
tests/vectors/dp/pld.kat              tests/gen/pld_kat.py
tests/vectors/dp/pate.kat             tests/gen/pate_kat.py
tests/vectors/dp/pate_ss.kat          tests/gen/pate_ss_kat.py
'
for k in $(find tests/vectors -name '*.kat' | sort); do
    gen=$(printf '%s\n' "$inventory" | awk -v k="$k" '$1 == k { print $2 }')
    if [ -z "$gen" ]; then
        echo "FAILED: $k has no generator listed in tests/gen/check.sh"; fail=1
    elif [ ! -f "$gen" ]; then
        echo "FAILED: $k: generator $gen is missing"; fail=1
    fi
done
echo "gen: $checked reproduced$( [ $fail -eq 0 ] || echo ', FAILURES above')"
exit $fail
