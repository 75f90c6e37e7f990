#!/bin/sh
# Runs every C test binary (built with ASan+UBSan, or TSan for the threaded ones; a .wasm is a
# test built for wasm32-wasi and runs under Node's WASI) from the repository root and sums the
# results.
pass=0 fail=0 bad=0
for t in "$@"; do
    case $t in
    *.wasm) out=$(HUSH_WASI_MODULE=$t node bin/hush-wasi.mjs 2>&1); rc=$? ;;
    *) out=$("$t" 2>&1); rc=$? ;;
    esac
    line=$(printf '%s\n' "$out" | grep -E '[0-9]+ passed, [0-9]+ failed' | tail -n 1)
    p=$(printf '%s' "$line" | sed -n 's/.* \([0-9][0-9]*\) passed.*/\1/p')
    f=$(printf '%s' "$line" | sed -n 's/.* \([0-9][0-9]*\) failed.*/\1/p')
    pass=$((pass + ${p:-0})); fail=$((fail + ${f:-0}))
    if [ $rc -ne 0 ] || [ -z "$line" ]; then
        bad=$((bad + 1)); printf '%s\n' "$out" | tail -n 40; echo "FAILED: $t (exit $rc)"
    else
        echo "ok  $t: $p checks"
    fi
done
echo "c: $pass passed, $fail failed"
[ $bad -eq 0 ] && [ $fail -eq 0 ]
