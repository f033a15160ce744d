"""Bayesian networks: ours vs pgmpy on the same networks, from one run.

    python benchmarks/bench_bayesnet.py [--sizes 20 50 100 200] [--bif FILE ...]
                                        [--repeats 5] [--pgmpy-budget 30] [--no-pgmpy]

Workloads, per network:

* BIF load (the generated networks are written to a temporary ``.bif`` first; both libraries
  read that same file);
* one P(X | e) query, with and without evidence (3 observed nodes), median over ``--repeats``
  random (X, e);
* all single-node posterior marginals given the same 3 observations: ours = junction tree
  compiled once + one calibration, pgmpy = its VariableElimination built once + one query per
  unobserved node (both setup times are included, and printed apart). When
  pgmpy's loop would pass ``--pgmpy-budget`` seconds it stops and the remaining nodes are
  extrapolated at its measured per-node mean (printed with a ``~``);
* 100,000 ancestral samples (pgmpy: ``BayesianModelSampling.forward_sample``, ``n_jobs=1``);
* MLE of every CPD from 100,000 rows (pgmpy: ``DiscreteBayesianNetwork.fit`` with
  ``DiscreteMLE()`` on a DataFrame of state names).

Generated networks: a random DAG in which each node takes up to 3 parents among the previous
``--window`` nodes of a random order (bounded in-degree 3; the window keeps the treewidth
moderate so that exact inference is feasible for both libraries), cardinalities uniform in
2..4, CPD columns drawn from Dirichlet(1). BLAS/OpenMP threads are set to 1 before numpy is
imported. BIF files given with ``--bif`` are read with ``--atol`` (bnlearn files have columns
that sum to 0.9999999, which the default 1e-8 rejects).
"""

from __future__ import annotations

import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import argparse  # noqa: E402
import logging  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from pgm import (BayesianNetwork, JunctionTree, TabularCPD, VariableElimination,  # noqa: E402
                 fit_mle, forward_sample, read_bif, write_bif)


def generate(n, seed, window=10, max_parents=3):
    rng = np.random.default_rng(seed)
    names = [f"V{i}" for i in range(n)]
    cards = {v: int(rng.integers(2, 5)) for v in names}
    edges, cpds = [], []
    for i, v in enumerate(names):
        lo = max(0, i - window)
        k = int(rng.integers(0, min(max_parents, i - lo) + 1))
        pa = [names[j] for j in sorted(rng.choice(np.arange(lo, i), size=k, replace=False))] if k else []
        edges += [(p, v) for p in pa]
        pc = [cards[p] for p in pa]
        vals = rng.dirichlet(np.ones(cards[v]), size=int(np.prod(pc)) if pa else 1).T
        sn = {u: [f"s{j}" for j in range(cards[u])] for u in [v] + pa}
        cpds.append(TabularCPD(v, cards[v], vals, pa, pc, state_names=sn))
    bn = BayesianNetwork(edges, nodes=names)
    bn.add_cpds(*cpds)
    return bn


def timeit(fn, repeats):
    ts = []
    out = None
    for _ in range(repeats):
        t = time.perf_counter()
        out = fn()
        ts.append(time.perf_counter() - t)
    return float(np.median(ts)), out


def pick_queries(bn, rng, n_ev=3, count=5):
    X = forward_sample(bn, count, rng=rng)
    names = bn.state_names
    out = []
    for r in range(count):
        ev_vars = list(rng.choice(bn.nodes, size=min(n_ev, len(bn.nodes) - 1), replace=False))
        ev = {v: names[v][int(X[r, bn.nodes.index(v)])] for v in ev_vars}
        rest = [v for v in bn.nodes if v not in ev]
        out.append((rest[int(rng.integers(len(rest)))], ev))
    return out


def run_case(label, path, atol, args, rows):
    r = {"case": label}
    t_ours, bn = timeit(lambda: read_bif(path, atol=atol), args.repeats)
    r["n"] = len(bn.nodes)
    r["edges"] = len(bn.edges)
    r["load"] = [t_ours, None]
    rng = np.random.default_rng(args.seed)
    queries = pick_queries(bn, rng, count=args.repeats)
    ve = VariableElimination(bn)
    t_compile, jt = timeit(lambda: JunctionTree(bn), args.repeats)
    r["max_clique"] = jt.max_clique_size

    def q_ours(with_ev):
        ts = []
        for q, ev in queries:
            t = time.perf_counter()
            ve.query([q], ev if with_ev else None)
            ts.append(time.perf_counter() - t)
        return float(np.median(ts))

    r["query_ev"] = [q_ours(True), None]
    r["query"] = [q_ours(False), None]
    ev0 = queries[0][1]
    t_cal, marg = timeit(lambda: jt.marginals(ev0), args.repeats)
    r["all_marg"] = [t_compile + t_cal, None]
    r["calibrate"] = t_cal
    n_rows = 100_000
    t_s, X = timeit(lambda: forward_sample(bn, n_rows, rng=1), max(1, args.repeats // 2))
    r["sample"] = [t_s, None]
    card = bn.cardinality
    t_f, _ = timeit(lambda: fit_mle(bn, X, cardinality=card, unseen="uniform"), max(1, args.repeats // 2))
    r["mle"] = [t_f, None]
    r["pgmpy_note"] = ""

    if not args.no_pgmpy:
        try:
            import pandas as pd
            from pgmpy.inference import VariableElimination as PVE
            from pgmpy.models import DiscreteBayesianNetwork
            from pgmpy.parameter_estimator import DiscreteMLE
            from pgmpy.readwrite import BIFReader
            from pgmpy.sampling import BayesianModelSampling
        except ImportError:
            args.no_pgmpy = True
            print("pgmpy not installed: ours only", flush=True)
    if not args.no_pgmpy:
        reps = max(1, min(3, args.repeats))
        t_p, pm = timeit(lambda: BIFReader(path).get_model(), reps)
        r["load"][1] = t_p
        t_pinit, pve = timeit(lambda: PVE(pm), reps)

        def q_p(with_ev):
            ts = []
            for q, ev in queries:
                t = time.perf_counter()
                res = pve.query([q], evidence=ev if with_ev else None, show_progress=False)
                ts.append(time.perf_counter() - t)
            return float(np.median(ts)), res

        r["query_ev"][1], res = q_p(True)
        # same numbers from both libraries on the last query
        q, ev = queries[-1]
        ours = ve.query([q], ev).values
        theirs = res.values
        order = [res.state_names[q].index(s) for s in bn.state_names[q]]
        r["max_diff"] = float(np.max(np.abs(ours - theirs[order])))
        r["query"][1], _ = q_p(False)
        # all marginals: one query per unobserved node, under a time budget
        targets = [v for v in bn.nodes if v not in ev0]
        t0 = time.perf_counter()
        done = 0
        diffs = []
        for v in targets:
            res = pve.query([v], evidence=ev0, show_progress=False)
            order = [res.state_names[v].index(s) for s in bn.state_names[v]]
            diffs.append(float(np.max(np.abs(res.values[order] - marg[v]))))
            done += 1
            if time.perf_counter() - t0 > args.pgmpy_budget:
                break
        el = time.perf_counter() - t0
        r["all_marg"][1] = t_pinit + el / done * len(targets)
        r["pgmpy_calib"] = el / done * len(targets)
        r["max_diff"] = max(r["max_diff"], max(diffs))
        if done < len(targets):
            r["pgmpy_note"] += f" all-marginals extrapolated from {done}/{len(targets)} nodes;"
        r["extrap"] = done < len(targets)
        # sampling
        sampler = BayesianModelSampling(pm)
        t_ps, df = timeit(lambda: sampler.forward_sample(size=n_rows, show_progress=False, seed=1,
                                                        n_jobs=1), 1)
        r["sample"][1] = t_ps
        # MLE from 100,000 rows (the rows we sampled, as state names)
        names = bn.state_names
        data = pd.DataFrame({v: np.asarray(names[v], dtype=object)[X[:, i].astype(np.intp)]
                             for i, v in enumerate(bn.nodes)})

        def fit_p():
            m = DiscreteBayesianNetwork(bn.edges)
            m.add_nodes_from(bn.nodes)
            m.fit(data, estimator=DiscreteMLE())
            return m

        t_pf, _ = timeit(fit_p, 1)
        r["mle"][1] = t_pf
    rows.append(r)
    show(r)


def fmt(t, unit):
    if t is None:
        return "—"
    return f"{t * 1e3:.2f} ms" if unit == "ms" else f"{t:.3f} s"


def show(r):
    print(f"\n== {r['case']}: {r['n']} nodes, {r['edges']} edges, largest clique table "
          f"{r['max_clique']} entries", flush=True)
    spec = [("BIF load", "load", "ms", 20), ("P(X | 3 evidence)", "query_ev", "ms", 3),
            ("P(X) no evidence", "query", "ms", 3),
            ("all marginals | 3 evidence", "all_marg", "ms", 15),
            ("100k ancestral samples", "sample", "s", 5), ("MLE from 100k rows", "mle", "s", 5)]
    print(f"  {'workload':28s} {'ours':>11s} {'pgmpy':>12s} {'ratio':>9s}  target")
    for name, key, unit, target in spec:
        o, p = r[key]
        ratio = (p / o) if p else None
        mark = "" if ratio is None else ("met" if ratio >= target else "NOT met")
        ptxt = fmt(p, unit)
        if key == "all_marg" and r.get("extrap"):
            ptxt = "~" + ptxt
        rt = "—" if ratio is None else f"{ratio:.1f}x"
        print(f"  {name:28s} {fmt(o, unit):>11s} {ptxt:>12s} {rt:>9s}  >= {target}x {mark}")
    line = (f"  (ours all-marginals = compile {fmt(r['all_marg'][0] - r['calibrate'], 'ms')} + "
            f"calibrate {fmt(r['calibrate'], 'ms')}")
    if r.get("pgmpy_calib"):
        line += (f"; pgmpy = VE init {fmt(r['all_marg'][1] - r['pgmpy_calib'], 'ms')} + queries "
                 f"{fmt(r['pgmpy_calib'], 'ms')}; queries / calibrate alone: "
                 f"{r['pgmpy_calib'] / r['calibrate']:.1f}x")
    print(line + ")")
    if "max_diff" in r:
        print(f"  max |ours - pgmpy| over the compared posteriors: {r['max_diff']:.2e}")
    if r["pgmpy_note"]:
        print("  note:" + r["pgmpy_note"])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", type=int, nargs="*", default=[20, 50, 100, 200])
    ap.add_argument("--bif", nargs="*", default=[])
    ap.add_argument("--atol", type=float, default=1e-6, help="column-sum tolerance for --bif files")
    ap.add_argument("--window", type=int, default=10)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--pgmpy-budget", type=float, default=30.0,
                    help="seconds for pgmpy's all-marginals loop before extrapolating")
    ap.add_argument("--no-pgmpy", action="store_true")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    warnings.filterwarnings("ignore")
    logging.getLogger("pgmpy").setLevel(logging.ERROR)
    print(f"python {platform.python_version()}, numpy {np.__version__}, {platform.machine()}, "
          f"{os.cpu_count()} CPUs; threads: " +
          ", ".join(f"{v}={os.environ.get(v)}" for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                                                           "MKL_NUM_THREADS", "NUMBA_NUM_THREADS")))
    try:
        import pgmpy
        print(f"pgmpy {pgmpy.__version__}")
    except ImportError:
        pass
    print(f"medians of {args.repeats} repeats (pgmpy: <= 3 for loads and VE setup, 1 for sampling/MLE); "
          f"pgmpy all-marginals budget {args.pgmpy_budget:g} s")
    rows = []
    with tempfile.TemporaryDirectory() as d:
        for n in args.sizes:
            bn = generate(n, args.seed + n, window=args.window)
            path = os.path.join(d, f"generated_{n}.bif")
            write_bif(bn, path, name=f"generated_{n}")
            run_case(f"generated n={n} (window {args.window})", path, 1e-8, args, rows)
        for path in args.bif:
            if path.endswith(".gz"):  # pgmpy's reader wants plain text: decompress to the tmp dir
                import gzip
                plain = os.path.join(d, os.path.basename(path)[:-3])
                with open(plain, "wb") as fh:
                    fh.write(gzip.decompress(open(path, "rb").read()))
                path = plain
            run_case(os.path.basename(path), path, args.atol, args, rows)
    return rows


if __name__ == "__main__":
    main()
