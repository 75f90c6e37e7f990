#!/usr/bin/env python3
"""The generator of tests/vectors/dp/pate.kat: PATE's 2017 moments analysis with the semantics of
PySyft 0.2's syft.frameworks.torch.dp.pate.perform_analysis (a port of TF's 2017 pate analysis.py),
transcribed here in pure Python (standard library only), operation for operation (q capped at
1 - 1/classes as there). The smoothed sensitivity the reference computes only for a printout is
left out: it changes neither returned value.

    python3 tests/gen/pate_kat.py --check    recomputes every case of the file (make test-gen)
    python3 tests/gen/pate_kat.py --print    prints dd and di for each case
    python3 tests/gen/pate_kat.py --reference  the same cases through PySyft 0.2 itself (torch,
        numpy, syft==0.2.x: cannot be installed here; written as it would run there, not run)

The udacity-lesson-* values are also the lesson's published outputs (see the file's header).
"""
import math
import sys

KAT = "tests/vectors/dp/pate.kat"


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


def votes(c):
    """teacher_preds[t][e] as the file's header defines them."""
    T, E, K = int(c["teachers"]), int(c["examples"]), int(c["classes"])
    zp, agree, mt, me = int(c["zero_prefix"]), int(c["agree_teachers"]), int(c["mul_t"]), int(c["mul_e"])
    return [[0 if e < zp else e % K if t < agree else (mt * t + me * e) % K for e in range(E)] for t in range(T)]


def indices(c):
    E, spec = int(c["examples"]), c["indices"].split()
    return list(range(E)) if spec[0] == "all" else [e % int(spec[1]) for e in range(E)]


# ---- pate.py, transcribed ----
def compute_q_noisy_max(counts, noise_eps):
    winner = max(range(len(counts)), key=lambda i: (counts[i], -i))  # np.argmax: first maximum
    normalized = [noise_eps * (c - counts[winner]) for c in counts]
    q = 0.0
    for i, c in enumerate(normalized):
        if i != winner:
            gap = -c
            q += (gap + 2.0) / (4.0 * math.exp(gap))
    return min(q, 1.0 - (1.0 / len(counts)))


def logmgf_exact(q, priv_eps, l):
    if q < 0.5:
        t_one = (1 - q) * math.pow((1 - q) / (1 - math.exp(priv_eps) * q), l)
        t_two = q * math.exp(priv_eps * l)
        t = t_one + t_two
        try:
            log_t = math.log(t)
        except ValueError:
            log_t = priv_eps * l
    else:
        log_t = priv_eps * l
    return min(0.5 * priv_eps * priv_eps * l * (l + 1), log_t, priv_eps * l)


def logmgf_from_counts(counts, noise_eps, l):
    return logmgf_exact(compute_q_noisy_max(counts, noise_eps), 2.0 * noise_eps, l)


def perform_analysis(teacher_preds, idx, noise_eps, classes, delta=1e-5, moments=8):
    num_teachers, num_examples = len(teacher_preds), len(teacher_preds[0])
    counts_mat = [[0] * classes for _ in range(num_examples)]
    for i in range(num_examples):
        for j in range(num_teachers):
            counts_mat[i][teacher_preds[j][i]] += 1
    l_list = [1.0 + m for m in range(moments)]
    total_log_mgf_nm = [0.0] * moments
    for i in idx:
        for m, l in enumerate(l_list):
            total_log_mgf_nm[m] += logmgf_from_counts(counts_mat[i], noise_eps, l)
    eps_list_nm = [(total_log_mgf_nm[m] - math.log(delta)) / l for m, l in enumerate(l_list)]
    data_ind = [num_examples * logmgf_exact(1.0, 2.0 * noise_eps, l) for l in l_list]
    data_ind_eps_list = [(data_ind[m] - math.log(delta)) / l for m, l in enumerate(l_list)]
    return min(eps_list_nm), min(data_ind_eps_list)


def analysis(c):
    return perform_analysis(votes(c), indices(c), float(c["noise_eps"]), int(c["classes"]),
                            float(c["delta"]), int(c["moments"]))


def reference(c):
    import numpy as np
    import torch  # noqa: F401  (syft 0.2 needs it)
    from syft.frameworks.torch.dp import pate
    preds = np.array(votes(c))
    return pate.perform_analysis(teacher_preds=preds, indices=np.array(indices(c)),
                                 noise_eps=float(c["noise_eps"]), delta=float(c["delta"]),
                                 moments=int(c["moments"]))


if __name__ == "__main__":
    mode = sys.argv[1] if len(sys.argv) > 1 else "--check"
    bad = 0
    for c in load():
        dd, di = reference(c) if mode == "--reference" else analysis(c)
        if mode == "--print":
            print("name = %s\ndd = %r\ndi = %r\n" % (c["name"], dd, di))
            continue
        tol = float(c["tol"])
        ok = abs(dd - float(c["dd"])) <= tol and abs(di - float(c["di"])) <= tol
        if not ok:
            print("%s: %s: dd %r di %r, the file says %s %s" % (KAT, c["name"], dd, di, c["dd"], c["di"]))
        bad += not ok
    sys.exit(1 if bad else 0)
