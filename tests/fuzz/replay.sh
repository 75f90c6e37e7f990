#!/bin/sh
# Replays each fuzz target's committed seed corpus (tests/fuzz/corpus/<target>/) once per file,
# as part of `make test`. A libFuzzer binary given file arguments runs each once and exits
# non-zero on a crash, sanitizer report or leak, so one run per file names the culprit.
#   usage: sh tests/fuzz/replay.sh build/fuzz/fuzz_csv build/fuzz/fuzz_arff ...
# Prints "fuzz: N passed, M failed" and fails if any input failed or a corpus is missing.
pass=0 fail=0
for bin in "$@"; do
    name=${bin##*/}
    dir=tests/fuzz/corpus/$name
    if [ ! -d "$dir" ]; then
        echo "FAILED: $name has no corpus directory $dir"
        fail=$((fail + 1))
        continue
    fi
    n=0
    for f in "$dir"/*; do
        [ -f "$f" ] || continue
        n=$((n + 1))
        if out=$("$bin" -runs=1 "$f" 2>&1); then
            pass=$((pass + 1))
        else
            fail=$((fail + 1))
            printf '%s\n' "$out" | tail -n 30
            echo "FAILED: $name $f"
        fi
    done
    if [ $n -eq 0 ]; then
        echo "FAILED: $name: empty corpus $dir"
        fail=$((fail + 1))
    fi
done
echo "fuzz: $pass passed, $fail failed"
[ $fail -eq 0 ]
