#!/usr/bin/env python3
"""The generator of tests/vectors/dp/rdp.kat (RDP accountant known answers); the file's header
names each case's source. Two kinds of cases:

* frac-*: RDP of the Poisson-subsampled Gaussian at fractional orders, computed here with mpmath
  (50 digits) by numerical integration of the defining integral (Mironov, Talwar, Zhang 2019)
      A_a = E_{z~N(0,s^2)}[(1 - q + q e^{(2z-1)/(2s^2)})^a],  rdp = log(A_a) / (a - 1) per step,
  integrating A_a - 1 through expm1/log1p so nothing cancels. Runs here (python3-mpmath):
      python3 tests/gen/rdp_kat.py --check    recomputes them; `make test-gen` runs this
      python3 tests/gen/rdp_kat.py --print    prints them as .kat fields
  q is the decimal in the file, except the MNIST rate 256/60000, taken as the double nearest to
  it (as TF Privacy's tutorial computes batch / N).

* everything else: values published by, or computed with, reference libraries that cannot be
  installed here (no numpy/TensorFlow/PyTorch): TF Privacy's tutorial table, Opacus'
  accountants_test.py and dp_accounting's rdp_privacy_accountant_test.py. With those installed,
      python3 tests/gen/rdp_kat.py --reference
  recomputes each such case with its library and checks the file's value within its tolerance.
  That mode is written as it would run there (tensorflow-privacy 0.8, opacus 1.4,
  dp-accounting 0.4); it has not been run on this machine.
"""
import sys

KAT = "tests/vectors/dp/rdp.kat"
MNIST_Q = "0.004266666666666667"


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


def frac_rdp(q, sigma, order):
    from mpmath import expm1, exp, inf, log1p, mp, mpf, pi, quad, sqrt
    mp.dps = 50
    q = mpf(float(q)) if q == MNIST_Q else mpf(q)
    s, a = mpf(sigma), mpf(order)

    def integrand(z):
        density = exp(-z * z / (2 * s * s)) / (s * sqrt(2 * pi))
        return density * expm1(a * log1p(q * expm1((2 * z - 1) / (2 * s * s))))

    # split points every half sigma over +-20 sigma: quad then resolves the peak wherever q puts it
    points = [-inf] + [mpf(k) / 2 * s for k in range(-40, 41)] + [inf]
    return log1p(quad(integrand, points)) / (a - 1)


def mpmath_cases():
    from mpmath import nstr
    for c in load():
        if c.get("kind") == "order" and c["name"].startswith("frac-"):
            yield c, nstr(frac_rdp(c["q"], c["sigma"], c["order"]) * int(c["count"]), 17)


def legacy_orders():
    return [1 + x / 10.0 for x in range(1, 100)] + list(range(12, 64))


def reference():
    """Checks the library-sourced cases with the libraries (not installable here)."""
    import math
    bad = 0
    for c in load():
        name, kind = c["name"], c.get("kind")
        if name.startswith("frac-"):
            continue
        if name.startswith("tfp-"):
            from tensorflow_privacy.privacy.analysis.rdp_accountant import compute_rdp, get_privacy_spent
            orders = legacy_orders()
            rdp = compute_rdp(float(c["q"]), float(c["sigma"]), int(c["steps"]), orders)
            got = get_privacy_spent(orders, rdp, target_delta=float(c["delta"]))[0]
        elif name.startswith("opacus-"):
            from opacus.accountants.analysis import rdp as opacus_rdp
            orders = legacy_orders()
            rdp = opacus_rdp.compute_rdp(q=float(c["q"]), noise_multiplier=float(c["sigma"]),
                                         steps=int(c["steps"]), orders=orders)
            got = opacus_rdp.get_privacy_spent(orders=orders, rdp=rdp, delta=float(c["delta"]))[0]
        elif kind == "conversion":
            from dp_accounting.rdp import rdp_privacy_accountant as dpa
            orders = [float(o) for o in c["orders"].split()]
            got, order = dpa.compute_epsilon(orders, [float(c["rdp"])] * len(orders), float(c["delta"]))
            assert order == float(c["order"]), (name, order)
        elif name.startswith("dpacc-int-"):
            from dp_accounting.rdp import rdp_privacy_accountant as dpa
            got = dpa._compute_rdp_poisson_subsampled_gaussian(
                float(c["q"]), float(c["sigma"]), [float(c["order"])])[0] * int(c["count"])
        else:
            print("no reference for", name)
            bad += 1
            continue
        want = float(c.get("epsilon", c.get("rdp")))
        tol = float(c["tol"]) if "tol" in c else float(c["rtol"]) * abs(want)
        ok = math.isclose(got, want, rel_tol=0, abs_tol=tol)
        print(("ok  " if ok else "BAD ") + "%s: %.12g (file %s)" % (name, got, want))
        bad += not ok
    return bad


if __name__ == "__main__":
    mode = sys.argv[1] if len(sys.argv) > 1 else "--check"
    if mode == "--reference":
        sys.exit(1 if reference() else 0)
    bad = 0
    for c, value in mpmath_cases():
        if mode == "--print":
            print("name = %s\nrdp = %s" % (c["name"], value))
        elif value != c["rdp"]:
            print("%s: %s computes rdp = %s, the file says %s" % (KAT, c["name"], value, c["rdp"]))
            bad += 1
    sys.exit(1 if bad else 0)
