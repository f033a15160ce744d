"""The cost of the first call: each case in a fresh Python process, first with an empty numba
cache (cold), then again with the cache that run left (warm).

    python benchmarks/first_call.py [--repeats 3] [--tree PATH]

Prints a table: process wall time (interpreter start and imports included) cold and warm,
and the work alone (imports excluded) warm. ``--tree`` measures another checkout of the
library (its path goes first on PYTHONPATH), e.g. the tree before a change. Figures are the
median of ``--repeats`` runs (a fresh empty cache for each cold run).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

_TIMED = """
import time as _t
_t0 = _t.perf_counter()
{work}
print("WORK", _t.perf_counter() - _t0)
"""

CASES = {
    "import pgm, energy, neural": ("import pgm, energy, neural", "pass"),
    "sprinkler: JunctionTree + VE query + 10 samples": ("""
        from pgm import BayesianNetwork, JunctionTree, TabularCPD, VariableElimination
        from pgm import forward_sample
        tf = ["F", "T"]
        bn = BayesianNetwork([("Cloudy", "Sprinkler"), ("Cloudy", "Rain"),
                              ("Sprinkler", "WetGrass"), ("Rain", "WetGrass")])
        bn.add_cpds(
            TabularCPD("Cloudy", 2, [0.5, 0.5], state_names={"Cloudy": tf}),
            TabularCPD("Sprinkler", 2, [[0.5, 0.9], [0.5, 0.1]], ["Cloudy"], [2],
                       state_names={"Sprinkler": tf, "Cloudy": tf}),
            TabularCPD("Rain", 2, [[0.8, 0.2], [0.2, 0.8]], ["Cloudy"], [2],
                       state_names={"Rain": tf, "Cloudy": tf}),
            TabularCPD("WetGrass", 2, [[1.0, 0.1, 0.1, 0.01], [0.0, 0.9, 0.9, 0.99]],
                       ["Sprinkler", "Rain"], [2, 2],
                       state_names={"WetGrass": tf, "Sprinkler": tf, "Rain": tf}))
        """, """
        JunctionTree(bn).marginals({"WetGrass": "T"})
        VariableElimination(bn).query(["Rain"], {"WetGrass": "T"})
        forward_sample(bn, 10, rng=0)
        """),
    "IsingModel(horse).icm()": ("""
        from energy import IsingModel, load_example
        horse = load_example("horse")
        """, "IsingModel(horse).icm()"),
    "IsingModel(horse).graphcut()": ("""
        from energy import IsingModel, load_example
        horse = load_example("horse")
        """, "IsingModel(horse).graphcut()"),
    "alpha_expansion + ab_swap, 6x7 Potts, K=3": ("""
        import numpy as np
        from energy.models import GridMRF, ab_swap, alpha_expansion
        mrf = GridMRF(np.random.default_rng(0).random((6, 7, 3)), "potts", weight=0.5)
        """, "alpha_expansion(mrf); ab_swap(mrf)"),
    "BernoulliRBM(4, n_iter=1).fit(100x16)": ("""
        import numpy as np
        from energy import BernoulliRBM
        X = (np.random.default_rng(0).random((100, 16)) < 0.5).astype(float)
        """, "BernoulliRBM(n_components=4, n_iter=1).fit(X)"),
    "Conv2d(1, 4, 3) + MaxPool2d(2) forward + backward (2, 1, 8, 8)": ("""
        import numpy as np
        from energy import Tensor
        from neural import Conv2d, MaxPool2d
        x = Tensor(np.random.default_rng(0).standard_normal((2, 1, 8, 8)).astype(np.float32),
                   requires_grad=True)
        """, "MaxPool2d(2)(Conv2d(1, 4, 3, rng=0)(x)).sum().backward()"),
    "LSTM(4, 8) forward + backward (5, 2, 4)": ("""
        import numpy as np
        from energy import Tensor
        from neural import LSTM
        x = Tensor(np.random.default_rng(0).standard_normal((5, 2, 4)).astype(np.float32),
                   requires_grad=True)
        """, """
        out = LSTM(4, 8, rng=0)(x)
        (out[0] if isinstance(out, tuple) else out).sum().backward()
        """),
}


def run(setup, work, tree, cache):
    code = textwrap.dedent(setup) + _TIMED.format(work=textwrap.dedent(work))
    env = dict(os.environ, NUMBA_CACHE_DIR=cache,
               PYTHONPATH=tree + os.pathsep + os.environ.get("PYTHONPATH", ""))
    env.pop("PGM_ENERGY_JIT", None)
    t = time.perf_counter()
    r = subprocess.run([sys.executable, "-c", code], env=env, cwd=tree, capture_output=True,
                       text=True)
    wall = time.perf_counter() - t
    if r.returncode != 0:
        raise RuntimeError(r.stderr)
    work_s = float(r.stdout.split("WORK")[-1])
    return wall, work_s


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--tree", default=ROOT, help="checkout to measure (default: this one)")
    ap.add_argument("--only", nargs="*", default=None, help="cases whose name contains TEXT")
    args = ap.parse_args(argv)
    tree = os.path.abspath(args.tree)
    print(f"tree {tree}, median of {args.repeats}, load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print("| first call | cold (s) | warm (s) | work warm (s) |")
    print("|---|---|---|---|")
    for name, (setup, work) in CASES.items():
        if args.only and not any(t in name for t in args.only):
            continue
        cold, warm, work_w = [], [], []
        for _ in range(args.repeats):
            with tempfile.TemporaryDirectory() as cache:
                cold.append(run(setup, work, tree, cache)[0])
                w, ww = run(setup, work, tree, cache)
                warm.append(w)
                work_w.append(ww)
        print(f"| `{name}` | {statistics.median(cold):.2f} | {statistics.median(warm):.2f} | "
              f"{statistics.median(work_w):.3f} |", flush=True)


if __name__ == "__main__":
    main()
