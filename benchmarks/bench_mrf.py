"""Multi-label grid MRF speed: alpha-expansion, ours against PyMaxflow's
``maxflow.fastmin.aexpansion_grid``, and seconds per loopy-BP iteration, from one run.

    python benchmarks/bench_mrf.py [--size 512] [--labels 16] [--bp-size 100] [--bp-iter 20]

Threads are set explicitly (numba 1, BLAS 1) and printed; both graph-cut codes are serial.
Wall-clock and process CPU seconds are both printed (the CPU time is the steadier figure on
a shared machine).
Input: scikit-image's camera (512 x 512) with Gaussian noise sigma = 20 (seed 0), K = 16 grey
levels (centres of equal bins), unary (y - v_k)^2 / (2 sigma^2), 4-neighbours, one pairwise
table for every edge (PyMaxflow's grid interface takes no per-edge weights): Potts with
w = 2 and truncated linear w min(|a - b|, 4) with w = 1 on the level indices. Both start
from the cheapest unary label and visit the labels in order 0..K-1 until a cycle changes
nothing; both final labelings are scored by our ``GridMRF.energy``. One run each (ours after
a small warm-up call that compiles the numba kernels).
"""

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import argparse  # noqa: E402
import platform  # noqa: E402
import time  # noqa: E402

import numba  # noqa: E402
import numpy as np  # noqa: E402

from energy.models import GridMRF, alpha_expansion, loopy_bp  # noqa: E402
from pgm.runtime.jit import jit_policy  # noqa: E402


def problem(n, K, sigma=20.0):
    try:
        from skimage import data  # optional: the picture ships with scikit-image
        img = data.camera().astype(np.float64)
    except ImportError:
        i, j = np.indices((512, 512))
        img = 128 + 100 * np.sin(i / 40.0) * np.cos(j / 55.0)
        print("  (scikit-image missing: a synthetic picture instead of the camera)")
    img = np.tile(img, (max(1, n // 512) + 1,) * 2)[:n, :n]
    y = img + np.random.default_rng(0).normal(0.0, sigma, img.shape)
    vals = (np.arange(K) + 0.5) * 256.0 / K
    return (y[..., None] - vals) ** 2 / (2.0 * sigma**2)


def bench_expansion(unary, pairwise, weight, T):
    m = GridMRF(unary, pairwise, weight=weight, truncation=T)
    with jit_policy("always"):      # compile the kernels (a 16 x 16 grid runs the references)
        alpha_expansion(GridMRF(unary[:16, :16], pairwise, weight=weight, truncation=T))
    t, c = time.perf_counter(), time.process_time()
    res = alpha_expansion(m)
    ours = (time.perf_counter() - t, res.energy, len(res.energies), res.extra,
            time.process_time() - c)
    try:
        from maxflow import fastmin  # optional peer
    except ImportError:
        return ours, None
    t, c = time.perf_counter(), time.process_time()
    lab = fastmin.aexpansion_grid(unary, weight * m.V)
    peer = (time.perf_counter() - t, m.energy(np.asarray(lab, dtype=np.int64)),
            time.process_time() - c)
    return ours, peer


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=512)
    ap.add_argument("--labels", type=int, default=16)
    ap.add_argument("--bp-size", type=int, default=100)
    ap.add_argument("--bp-iter", type=int, default=20)
    a = ap.parse_args()
    numba.set_num_threads(1)
    cpu = next((ln.split(":", 1)[1].strip() for ln in open("/proc/cpuinfo")
                if ln.startswith("model name")), platform.processor()) \
        if os.path.exists("/proc/cpuinfo") else platform.processor()
    print(f"numba {numba.__version__}, numpy {np.__version__}, cores {os.cpu_count()} ({cpu}), "
          f"BLAS threads {os.environ['OMP_NUM_THREADS']}, numba threads "
          f"{numba.get_num_threads()}")
    unary = problem(a.size, a.labels)
    print(f"\n== alpha-expansion, {a.size}x{a.size}, {a.labels} labels, sigma 20 ==")
    for name, pw, w, T in (("Potts w=2", "potts", 2.0, None),
                           ("trunc. linear w=1 T=4", "truncated_linear", 1.0, 4.0)):
        ours, peer = bench_expansion(unary, pw, w, T)
        print(f"  {name:<22} ours      {ours[0]:8.2f} s (CPU {ours[4]:6.2f} s)  "
              f"energy {ours[1]:.6f}  "
              f"({ours[2]} cycles, {ours[3]['moves']} moves, rounding bound "
              f"{ours[3]['quantization_bound']:.2g} per move)")
        if peer is None:
            print("  (PyMaxflow not installed: pip install -e '.[bench]')")
            continue
        print(f"  {'':<22} PyMaxflow {peer[0]:8.2f} s (CPU {peer[2]:6.2f} s)  "
              f"energy {peer[1]:.6f}")
        print(f"  {'':<22} ratio ours / PyMaxflow time {ours[0] / peer[0]:.2f} "
              f"(CPU {ours[4] / peer[2]:.2f}), "
              f"energy difference ours - PyMaxflow {ours[1] - peer[1]:+.6g}")
    n = a.bp_size
    rng = np.random.default_rng(1)
    u = problem(n, a.labels) if n <= 512 else rng.random((n, n, a.labels))
    print(f"\n== loopy BP (min-sum, damping 0.5), {n}x{n}, {a.labels} labels ==")
    for name, pw, w, T in (("Potts w=2", "potts", 2.0, None),
                           ("trunc. linear w=1 T=4", "truncated_linear", 1.0, 4.0),
                           ("trunc. quadratic w=1 T=16", "truncated_quadratic", 1.0, 16.0)):
        m = GridMRF(u, pw, weight=w, truncation=T)
        res = loopy_bp(m, max_iter=a.bp_iter, tol=0.0, record_energy=False)
        it = res.extra["n_iter"]
        print(f"  {name:<26} {1e3 * res.seconds / it:8.2f} ms/iteration ({it} iterations), "
              f"energy {res.energy:.6g}")


if __name__ == "__main__":
    main()
