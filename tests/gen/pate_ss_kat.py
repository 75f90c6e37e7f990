#!/usr/bin/env python3
"""The generator of tests/vectors/dp/pate_ss.kat (PATE 2018 smooth sensitivity). Two sources:

* tfp-*: the expected values of TF Privacy's research/pate_2018/smooth_sensitivity_test.py.
      python3 tests/gen/pate_ss_kat.py --reference /path/to/privacy/research/pate_2018
  recomputes them with that directory's smooth_sensitivity.py (needs numpy and scipy, which
  cannot be installed here: written as it would run there, not run) and checks the file within
  its rtol. Where the file's header documents a published entry that carries the reference's own
  double-precision loss, the check uses the file's tolerance, as the C test does.
* mp-release-*: from a 50-digit mpmath transcription of the reference's functions composed as
  hush_pate_release_gnmax documents (see the file's header). That transcription has not been
  committed by its author; until it is, these cases have no runnable generator here and
  --reference reports them as missing.
"""
import sys

KAT = "tests/vectors/dp/pate_ss.kat"


def load(path=KAT):
    cases, cur = [], {}
    for line in open(path):
        line = line.strip()
        if line.startswith("#"):
            continue
        if not line:
            if cur:
                cases.append(cur)
            cur = {}
            continue
        k, v = (s.strip() for s in line.split("=", 1))
        cur[k] = v
    if cur:
        cases.append(cur)
    return cases


def array(text):
    """Whitespace-separated numbers, "x*n" repeating x n times (the file's notation)."""
    out = []
    for tok in text.split():
        v, _, n = tok.partition("*")
        out += [float(v)] * (int(n) if n else 1)
    return out


def reference(research_dir):
    sys.path.insert(0, research_dir)
    import numpy as np
    import smooth_sensitivity as pate_ss
    bad = 0
    for c in load():
        kind, name = c["kind"], c["name"]
        if kind == "release":
            print("MISSING %s: no committed generator (mpmath transcription)" % name)
            bad += 1
            continue
        if kind == "conditions":
            got = pate_ss.check_conditions(float(c["sigma"]), int(c["classes"]), float(c["order"]))
            ok = (bool(got[0]), bool(got[1])) == (c["c5"] == "1", c["c6"] == "1")
        else:
            counts = np.array(array(c["counts"]))
            if kind == "ls_gnmax":
                got = pate_ss.compute_local_sensitivity_bounds_gnmax(
                    counts, int(c["teachers"]), float(c["sigma"]), float(c["order"]))
            else:
                got = pate_ss.compute_local_sensitivity_bounds_threshold(
                    counts, int(c["teachers"]), float(c["threshold"]), float(c["sigma"]), float(c["order"]))
            want, rtol = array(c["ls"]), float(c["rtol"])
            scale = max(abs(w) for w in want)
            ok = len(got) == len(want) and all(
                abs(g - w) <= rtol * (abs(w) if w else scale) for g, w in zip(got, want))
        print(("ok  " if ok else "BAD ") + name)
        bad += not ok
    return bad


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] != "--reference":
        print(__doc__)
        sys.exit(2)
    sys.exit(1 if reference(sys.argv[2]) else 0)
