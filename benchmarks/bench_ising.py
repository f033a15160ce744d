"""Ising engine speed: ns per site per sweep of the numba kernels vs vectorised numpy, and
graph-cut seconds (ours: grid Boykov-Kolmogorov and the scipy reference; PyMaxflow when
installed) and the grid solver's bytes per pixel, from one run.

    python benchmarks/bench_ising.py [--sizes 512 2048] [--repeats 7]

Threads are set explicitly (numba 1 and 2; BLAS 1) and printed. Figures are medians.
Input: the shipped 512x512 camera image (tiled 4x4 for 2048), 10% flip noise, PRML's
parameters h=0, beta=1, eta=2.1.
"""

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import argparse  # noqa: E402
import time  # noqa: E402

import numba  # noqa: E402
import numpy as np  # noqa: E402

from energy.models import _ising_kernels_ref as R  # noqa: E402
from energy.images import grid_maxflow_memory_bytes  # noqa: E402
from energy.images import add_flip_noise, load_example  # noqa: E402
from energy.models import IsingModel  # noqa: E402


def median_time(fn, repeats):
    ts = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t)
    return float(np.median(ts))


def problem(n):
    base = load_example("camera")
    clean = np.tile(base, (n // 512, n // 512)) if n >= 512 else base[:n, :n]
    return add_flip_noise(clean, 0.1, rng=0)


def bench_sweeps(y, repeats):
    """ns per site per sweep. "sweep" is what the sampler runs (both colours fused in one pass
    over memory, IsingModel.sweep); "2-pass" is one sample_block call per colour. Repeated
    sweeps run on the same state, which ICM has converged after a few sweeps, so the ICM
    figures are the steady state; "icm first sweep" starts from the noisy image every time
    (a quarter of the sites change), the worst case."""
    n_sites = y.size
    m = IsingModel(y, beta=1.0, eta=2.1)
    state = m.initial_state()
    out = {}
    for nt in (1, 2):
        numba.set_num_threads(nt)
        rng = np.random.default_rng(0)
        for T in (0.0, 1.0):                                   # compile / warm
            m.sweep(state, T, rng)
            m.sample_block(state, 0, T, rng)
        state[:] = m.initial_state()
        out[f"icm sweep {nt}t"] = median_time(lambda: m.sweep(state, 0.0, None), repeats)
        out[f"icm 2-pass {nt}t"] = median_time(
            lambda: [m.sample_block(state, b, 0.0, None) for b in m.blocks], repeats)
        ts = []
        for _ in range(repeats):
            state[:] = m.initial_state()
            t = time.perf_counter()
            m.sweep(state, 0.0, None)
            ts.append(time.perf_counter() - t)
        out[f"icm first sweep {nt}t"] = float(np.median(ts))
        out[f"gibbs T=1 sweep {nt}t"] = median_time(lambda: m.sweep(state, 1.0, rng), repeats)
        out[f"gibbs T=1 2-pass {nt}t"] = median_time(
            lambda: [m.sample_block(state, b, 1.0, rng) for b in m.blocks], repeats)
    xp = m.initial_state()
    out["icm numpy"] = median_time(
        lambda: [R.icm_colour_ref(xp, m.y, c, 4, 1.0, 2.1, 0.0) for c in (0, 1)],
        max(3, repeats // 2))
    return {k: v / n_sites * 1e9 for k, v in out.items()}


def bench_graphcut(y, repeats):
    """Seconds of the whole call for ours (grid BK and the scipy reference); PyMaxflow's
    maxflow() alone with its graph built beforehand. Returns (times, energies)."""
    m = IsingModel(y, beta=1.0, eta=2.1)
    times, energies = {}, {}
    for solver, reps in (("grid", repeats), ("scipy", max(1, repeats // 3))):
        m.graphcut(solver=solver) if solver == "grid" else None       # compile
        times[f"ours ({solver})"] = median_time(lambda: m.graphcut(solver=solver), reps)
        energies[f"ours ({solver})"] = m.graphcut(solver=solver).energy
    try:
        import maxflow
    except ImportError:
        print("  (PyMaxflow not installed: pip install -e '.[bench]')")
        return times, energies
    ts = []
    for _ in range(repeats):
        g = maxflow.Graph[float]()
        ids = g.add_grid_nodes(y.shape)
        g.add_grid_edges(ids, 2.0)
        d = 2 * 2.1 * y.astype(np.float64)
        g.add_grid_tedges(ids, np.maximum(d, 0), np.maximum(-d, 0))
        t = time.perf_counter()
        g.maxflow()
        ts.append(time.perf_counter() - t)
    times["PyMaxflow"] = float(np.median(ts))
    energies["PyMaxflow"] = m.energy(np.where(g.get_grid_segments(ids), -1, 1))
    return times, energies


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[512, 2048])
    ap.add_argument("--repeats", type=int, default=7)
    a = ap.parse_args()
    import platform
    cpu = next((ln.split(":", 1)[1].strip() for ln in open("/proc/cpuinfo")
                if ln.startswith("model name")), platform.processor()) \
        if os.path.exists("/proc/cpuinfo") else platform.processor()
    print(f"numba {numba.__version__}, numpy {np.__version__}, cores {os.cpu_count()} ({cpu}), "
          f"BLAS threads {os.environ['OMP_NUM_THREADS']}, numba threads 1 and 2 as labelled")
    for n in a.sizes:
        y = problem(n)
        print(f"\n== {n}x{n}, 10% flip noise, h=0 beta=1 eta=2.1 ==")
        ns = bench_sweeps(y, a.repeats)
        for k, v in ns.items():
            print(f"  {k:<24} {v:9.3f} ns/site/sweep")
        for nt in (1, 2):
            print(f"  ratio numpy / numba ICM sweep {nt}t: "
                  f"{ns['icm numpy'] / ns[f'icm sweep {nt}t']:.0f}x")
        numba.set_num_threads(1)
        gc, en = bench_graphcut(y, a.repeats)
        for k, v in gc.items():
            print(f"  graph cut {k:<16} {v:8.3f} s   energy {en[k]:.1f}")
        if "PyMaxflow" in gc:
            print(f"  ratio ours (grid) / PyMaxflow: {gc['ours (grid)'] / gc['PyMaxflow']:.2f}")
        print(f"  grid solver memory: {grid_maxflow_memory_bytes(n, n, 4) / n**2:.1f} bytes/pixel")


if __name__ == "__main__":
    main()
