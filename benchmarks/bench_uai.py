"""Exact marginals of UAI-format networks: ours vs pyAgrum on the same files, from one run.

    python benchmarks/bench_uai.py [--repeats 5] [--grid 10] [--seed 0]

Cases (each written to a temporary ``.uai`` with :func:`pgm.io.write_uai`; both libraries read
that same file):

* ``BAYES``: the alarm network (37 nodes) bundled with pgmpy (``alarm.bif.gz``, read with our
  BIF reader). Workloads: load the ``.uai``; every single-node posterior without evidence and
  given 3 observed nodes (read from a ``.evid`` file written with :func:`pgm.io.write_evid`).
  Ours: ``read_uai`` + ``JunctionTree(bn)`` (compiled once) + ``marginals(evidence)``;
  pyAgrum: ``gum.loadBN`` + ``LazyPropagation`` (built, ``makeInference``, ``posterior`` of
  every node). The setup is counted in both.
* ``MARKOV``: a ``--grid`` x ``--grid`` grid of binary variables with random unary and pairwise
  factors (entries exp(N(0, 1))). Ours: ``JunctionTree(mn)`` where it accepts a MarkovNetwork;
  pyAgrum: ``gum.loadMRF`` + ``ShaferShenoyMRFInference``. The marginals are also checked
  against an exact row-by-row transfer-matrix computation done here in numpy (independent of
  both libraries).

The UAI format lists a table with the last variable of the scope fastest. pyAgrum 3.3.1 reads
it otherwise (found by loading small files and printing the CPTs): for ``MARKOV`` the
lowest-index variable runs fastest whatever the scope's order, so the grid is written with every
scope in decreasing index order, where both readings agree; for ``BAYES`` the child runs fastest,
then the parents with the *first* listed fastest, so no order of a multi-parent scope is read
the same way by both. pyAgrum is therefore given a copy of the alarm file with each scope's
parents listed in reverse (same numbers, same size): under its reading that is the same
network. The run also reports pyAgrum on the file as written, to show the difference. pyAgrum
parses the numbers of a UAI file as single-precision floats, so about 1e-8 of difference is
its rounding.

Thread counts: BLAS/OpenMP/numba set to 1 before numpy is imported, pyAgrum set to 1 with
``gum.setNumberOfThreads(1)``; all printed.
"""

from __future__ import annotations

import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import argparse  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from pgm import JunctionTree, read_bif  # noqa: E402
from pgm.factor import DiscreteFactor  # noqa: E402
from pgm.io import read_evid, read_uai, write_evid, write_uai  # noqa: E402
from pgm.markov import MarkovNetwork  # noqa: E402


def median_time(fn, repeats):
    ts, out = [], None
    for _ in range(repeats):
        t = time.perf_counter()
        out = fn()
        ts.append(time.perf_counter() - t)
    return float(np.median(ts)), out


def parents_reversed(path, out):
    """A copy of a BAYES file written by ``write_uai`` (one scope per line, lines 5..4+m) with
    each scope's parents listed in reverse: pyAgrum 3.3.1's reading of the original."""
    lines = open(path).read().split("\n")
    m = int(lines[3])
    for k in range(4, 4 + m):
        s = lines[k].split()
        lines[k] = " ".join([s[0]] + s[1:-1][::-1] + [s[-1]])
    with open(out, "w") as fh:
        fh.write("\n".join(lines))


def grid_markov(n, seed):
    rng = np.random.default_rng(seed)
    idx = lambda r, c: r * n + c  # noqa: E731
    factors = [DiscreteFactor([idx(r, c)], np.exp(rng.normal(size=2)))
               for r in range(n) for c in range(n)]  # first: variable k is the k-th
    for r in range(n):
        for c in range(n):
            for r2, c2 in ((r, c + 1), (r + 1, c)):
                if r2 < n and c2 < n:  # scope in decreasing index order
                    factors.append(DiscreteFactor([idx(r2, c2), idx(r, c)],
                                                  np.exp(rng.normal(size=(2, 2)))))
    return MarkovNetwork(factors)


def grid_exact(mn, n):
    """Single-variable marginals of the grid by a forward-backward over rows (2^n row states)."""
    rows = np.array(list(np.ndindex(*(2,) * n)))  # (2^n, n): row configurations
    unary = np.zeros((n, 2 ** n))
    trans = np.zeros((n, 2 ** n, 2 ** n))  # trans[r]: log coupling between row r-1 and row r
    for f in mn.factors:
        lv = np.log(f.values)
        vs = f.variables
        if len(vs) == 1:
            r, c = divmod(vs[0], n)
            unary[r] += lv[rows[:, c]]
        else:
            (r1, c1), (r0, c0) = divmod(vs[0], n), divmod(vs[1], n)
            if r1 == r0:  # horizontal: inside row r0
                unary[r0] += lv[rows[:, c1], rows[:, c0]]
            else:  # vertical: row r0 above row r1
                trans[r1] += lv[rows[:, c1][None, :], rows[:, c0][:, None]]
    la = [unary[0]]
    for r in range(1, n):
        m = la[-1][:, None] + trans[r]
        la.append(unary[r] + np.logaddexp.reduce(m, axis=0))
    lb = [np.zeros(2 ** n)]
    for r in range(n - 1, 0, -1):
        m = trans[r] + (unary[r] + lb[0])[None, :]
        lb.insert(0, np.logaddexp.reduce(m, axis=1))
    out = {}
    for r in range(n):
        lp = la[r] + lb[r]
        p = np.exp(lp - lp.max())
        p /= p.sum()
        for c in range(n):
            out[r * n + c] = np.array([p[rows[:, c] == 0].sum(), p[rows[:, c] == 1].sum()])
    return out


def gum_posteriors(ie_factory, model, evidence):
    ie = ie_factory(model)
    ie.setNumberOfThreads(1)
    if evidence:
        ie.setEvidence(evidence)
    ie.makeInference()
    names = model.names()
    return {nm: ie.posterior(nm).toarray() for nm in names if nm not in evidence}


def ratio(a, b):
    return f"{b / a:8.2f}x" if a and b else "     n/a"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--grid", type=int, default=10)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    import pyagrum as gum  # the peer: an optional dependency
    import pgmpy

    gum.setNumberOfThreads(1)
    print(f"python {platform.python_version()}, numpy {np.__version__}, {platform.machine()}, "
          f"{os.cpu_count()} CPUs; threads: " +
          ", ".join(f"{v}={os.environ.get(v)}" for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                                                           "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"))
          + f", pyAgrum {gum.getNumberOfThreads()}")
    print(f"pyAgrum {gum.__version__}; medians of {args.repeats} repeats; times in ms; "
          "ratio = pyAgrum / ours (> 1: ours faster)")
    rng = np.random.default_rng(args.seed)
    with tempfile.TemporaryDirectory() as d:
        # ---------------------------------------------------------------- BAYES: alarm
        alarm = read_bif(os.path.join(os.path.dirname(pgmpy.__file__), "utils", "example_models",
                                      "alarm.bif.gz"))
        bn0 = alarm
        path = os.path.join(d, "alarm.uai")
        write_uai(bn0, path)
        gpath = os.path.join(d, "alarm_for_pyagrum.uai")
        parents_reversed(path, gpath)
        names = list(bn0.nodes)
        ev_nodes = sorted(rng.choice(len(names), size=3, replace=False).tolist())
        ev_in = {names[k]: bn0.state_names[names[k]][int(rng.integers(
            bn0.get_cpd(names[k]).cardinality))] for k in ev_nodes}
        write_evid(ev_in, bn0, os.path.join(d, "alarm.evid"))
        print(f"\n== BAYES alarm: {len(names)} nodes, {len(bn0.edges)} edges; evidence (from "
              f".evid) on nodes {ev_nodes}")
        t_lo, bn = median_time(lambda: read_uai(path), args.repeats)
        ev = read_evid(os.path.join(d, "alarm.evid"), bn)
        g_lo, g = median_time(lambda: gum.loadBN(gpath), args.repeats)
        print(f"  {'workload':42s} {'ours':>9s} {'pyAgrum':>9s} {'ratio':>9s}  max |diff|")
        print(f"  {'load .uai':42s} {t_lo * 1e3:9.2f} {g_lo * 1e3:9.2f} {ratio(t_lo, g_lo)}")
        for label, e in (("all marginals, no evidence", {}), ("all marginals, 3 observed", ev)):
            t_m, ours = median_time(lambda: JunctionTree(bn).marginals(e), args.repeats)
            ge = {str(v): int(s) for v, s in e.items()}
            g_m, theirs = median_time(lambda: gum_posteriors(gum.LazyPropagation, g, ge),
                                      args.repeats)
            diff = max(float(np.abs(ours[int(nm)] - p).max()) for nm, p in theirs.items())
            print(f"  {label + ' (setup incl.)':42s} {t_m * 1e3:9.2f} {g_m * 1e3:9.2f} "
                  f"{ratio(t_m, g_m)}  {diff:.2e}")
        ours = JunctionTree(bn).marginals()
        theirs = gum_posteriors(gum.LazyPropagation, gum.loadBN(path), {})
        diff = max(float(np.abs(ours[int(nm)] - p).max()) for nm, p in theirs.items())
        print(f"  note: pyAgrum loading the file as written (parents not reversed): "
              f"max |ours - pyAgrum| = {diff:.2e}")
        # ---------------------------------------------------------------- MARKOV: grid
        n = args.grid
        mn0 = grid_markov(n, args.seed)
        path = os.path.join(d, "grid.uai")
        write_uai(mn0, path)
        print(f"\n== MARKOV grid {n}x{n}: {n * n} binary variables, {len(mn0.factors)} factors")
        t_lo, mn = median_time(lambda: read_uai(path), args.repeats)
        g_lo, gm = median_time(lambda: gum.loadMRF(path), args.repeats)
        exact = grid_exact(mn, n)
        print(f"  {'workload':42s} {'ours':>9s} {'pyAgrum':>9s} {'ratio':>9s}  max |diff|")
        print(f"  {'load .uai':42s} {t_lo * 1e3:9.2f} {g_lo * 1e3:9.2f} {ratio(t_lo, g_lo)}")
        g_m, theirs = median_time(lambda: gum_posteriors(gum.ShaferShenoyMRFInference, gm,
                                                         {}), args.repeats)
        d_g = max(float(np.abs(exact[int(nm)] - p).max()) for nm, p in theirs.items())
        try:
            t_m, ours = median_time(lambda: JunctionTree(mn).marginals(), args.repeats)
        except (TypeError, AttributeError, ValueError) as exc:
            t_m, ours = None, None
            print(f"  ours: JunctionTree does not take a MarkovNetwork here ({type(exc).__name__}:"
                  f" {str(exc)[:80]}); pyAgrum alone")
        tm_txt = f"{t_m * 1e3:9.2f}" if t_m else f"{'n/a':>9s}"
        d_o = (f"; ours {max(float(np.abs(exact[v] - ours[v]).max()) for v in exact):.2e}"
               if ours else "")
        print(f"  {'all marginals (setup incl.)':42s} {tm_txt} {g_m * 1e3:9.2f} "
              f"{ratio(t_m, g_m)}  vs exact: pyAgrum {d_g:.2e}{d_o}")


if __name__ == "__main__":
    main()
