#!/usr/bin/env python3
"""The generator of tests/vectors/dp/pld.kat: the cases and values of Google dp_accounting's
pld_privacy_accountant_test.py (PLDAccountant defaults: add-or-remove neighbours, value
discretisation 1e-4), whose events and expectations the file lists.

    python3 tests/gen/pld_kat.py --check      the exact value the header quotes for
        dpacc-gaussian-basic, Phi(-0.5) - e Phi(-1.5), in mpmath (runs here; make test-gen)
    python3 tests/gen/pld_kat.py --reference  every case through dp_accounting's PLDAccountant
        (pip dp-accounting: numpy/scipy cannot be installed here; written as it would run there,
        not run), checking delta(epsilon) and epsilon(delta) within the file's tolerance
"""
import sys

KAT = "tests/vectors/dp/pld.kat"


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


def check_exact():
    from mpmath import e, mp, ncdf, nstr
    mp.dps = 50
    got = nstr(ncdf(-0.5) - e * ncdf(-1.5), 15)
    want = "0.126936737506644"
    if got != want:
        print("%s: exact delta(1) of the unit Gaussian is %s, the header says %s" % (KAT, got, want))
        return 1
    return 0


def reference():
    from dp_accounting import dp_event
    from dp_accounting.pld import pld_privacy_accountant
    bad = 0
    for c in load():
        acc = pld_privacy_accountant.PLDAccountant()
        for ev in c["events"].split():
            kind, noise, rate, count = ev.split(":")
            if kind == "g":
                event = dp_event.GaussianDpEvent(float(noise))
            elif kind == "s":
                event = dp_event.PoissonSampledDpEvent(float(rate), dp_event.GaussianDpEvent(float(noise)))
            else:
                event = dp_event.LaplaceDpEvent(float(noise))
            acc.compose(event, int(count))
        eps, delta, tol = float(c["epsilon"]), float(c["delta"]), float(c["tol"])
        d, e = acc.get_delta(eps), acc.get_epsilon(delta)
        ok = abs(d - delta) <= tol and abs(e - eps) <= tol
        print(("ok  " if ok else "BAD ") + "%s: delta %.8g epsilon %.8g" % (c["name"], d, e))
        bad += not ok
    return bad


if __name__ == "__main__":
    mode = sys.argv[1] if len(sys.argv) > 1 else "--check"
    sys.exit(1 if (reference() if mode == "--reference" else check_exact()) else 0)
