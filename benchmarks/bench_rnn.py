"""Recurrent training step (forward + backward over all steps), ours vs PyTorch CPU; MDRNN orders.

    python benchmarks/bench_rnn.py [--repeats 20] [--threads 2] [--blas-threads 1]

Part 1: LSTM, GRU and tanh RNN, one layer, seq 50, batch 32, input 64, hidden 128, float32.
One step = forward over the sequence, the loss sum(output · W) with a fixed random W (so
every h_t gets a gradient), backward into all weights and the input. Both libraries run in
this process on the same inputs and the same weights; the figure is the median over
``--repeats`` steps after warm-up.

Part 2: the MDRNN (``neural.mdrnn``) forward + backward by wavefront order (R + C − 1
batched products) vs raster order (R·C products) at G = 28, batch 32, H = 32, D = 1 and at
G = 32, batch 32, H = 64, with the largest difference between the two orders' outputs and
gradients.

Threads: torch gets ``--threads`` (2) intra-op threads; numpy's BLAS gets ``--blas-threads``
(default 1: our per-step products are small, and on 2 shared cores a multi-threaded OpenBLAS
made small transposed products up to 15× slower); numba's pool is not started (serial kernels).
"""

from __future__ import annotations

import argparse
import os
import sys

ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
ap.add_argument("--repeats", type=int, default=20)
ap.add_argument("--threads", type=int, default=2, help="numba and torch threads")
ap.add_argument("--models", nargs="+", default=["LSTM", "GRU", "RNN"])
ap.add_argument("--no-mdrnn", action="store_true")
ap.add_argument("--blas-threads", type=int, default=1, help="numpy BLAS threads")
args = ap.parse_args()
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = str(args.blas_threads)
os.environ["NUMBA_NUM_THREADS"] = str(args.threads)
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import platform  # noqa: E402
import time  # noqa: E402

import numba  # noqa: E402
import numpy as np  # noqa: E402

# numba's thread pool is not started: the recurrent kernels are serial (one BLAS call and
# one vectorised pass per step), and starting it (numba.set_num_threads) leaves a second
# OpenMP pool next to torch's, which slowed torch's RNN step three- to twenty-fold here.

from energy.autodiff import Tensor  # noqa: E402
from neural import GRU, LSTM, RNN, mdrnn  # noqa: E402

try:
    import torch
    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
except ImportError:  # pragma: no cover
    torch = None

try:
    from threadpoolctl import threadpool_info
    blas_info = "; ".join(f"{d.get('internal_api')} {d.get('num_threads')} threads"
                          for d in threadpool_info())
except ImportError:  # pragma: no cover
    blas_info = f"env {args.blas_threads}"


def median_ms(step, repeats):
    for _ in range(3):
        step()
    ts = []
    for _ in range(repeats):
        t = time.perf_counter()
        step()
        ts.append(time.perf_counter() - t)
    return 1e3 * float(np.median(ts))


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


T, B, I, H = 50, 32, 64, 128
rng = np.random.default_rng(0)
x = rng.standard_normal((T, B, I)).astype(np.float32)
W = rng.standard_normal((T, B, H)).astype(np.float32)

print(f"machine: {cpu_name()}, {os.cpu_count()} cpus; python {platform.python_version()}, "
      f"numpy {np.__version__}, numba {numba.__version__}, torch "
      f"{torch.__version__ if torch else 'absent'}")
print(f"threads: numba {numba.config.NUMBA_NUM_THREADS} (pool not started), torch "
      f"{torch.get_num_threads() if torch else '-'}, BLAS: {blas_info}")
print(f"\nPart 1: one training step (forward + backward), seq {T}, batch {B}, input {I}, "
      f"hidden {H}, float32, median of {args.repeats}")
print(f"{'model':<10}{'ours ms':>10}{'torch ms':>10}{'ratio':>8}")
rows = []
for name, cls, tcls in (("LSTM", LSTM, "LSTM"), ("GRU", GRU, "GRU"), ("tanh RNN", RNN, "RNN")):
    if tcls not in args.models:
        continue
    ours = cls(I, H, rng=0)
    params = ours.parameters()

    def ours_step():
        for p in params:
            p.grad = None
        xt = Tensor(x, requires_grad=True)
        out, _ = ours(xt)
        (out * W).sum().backward()

    t_ours = median_ms(ours_step, args.repeats)
    t_torch = float("nan")
    if torch is not None:
        tm = getattr(torch.nn, tcls)(I, H)
        with torch.no_grad():
            for n, p in tm.named_parameters():
                p.copy_(torch.from_numpy(getattr(ours, n).data))
        xt_t, Wt = torch.from_numpy(x), torch.from_numpy(W)

        def torch_step():
            tm.zero_grad()
            xx = xt_t.clone().requires_grad_(True)
            out, _ = tm(xx)
            (out * Wt).sum().backward()

        t_torch = median_ms(torch_step, args.repeats)
    rows.append((name, t_ours, t_torch))
    print(f"{name:<10}{t_ours:>10.2f}{t_torch:>10.2f}{t_ours / t_torch:>8.2f}")

if args.no_mdrnn:
    sys.exit(0)
print("\nPart 2: MDRNN forward + backward, tanh, D = 1, float32, median of "
      f"{max(3, args.repeats // 4)}")
print(f"{'G':>4}{'batch':>7}{'H':>5}{'wavefront ms':>14}{'raster ms':>11}{'speed-up':>10}"
      f"{'max |diff|':>12}")
for G, N, Hm in ((28, 32, 32), (32, 32, 64)):
    xs = rng.standard_normal((N, 1, G, G)).astype(np.float32)
    ws = [(rng.uniform(-1, 1, s) / np.sqrt(Hm)).astype(np.float32)
          for s in ((Hm, 1), (Hm, Hm), (Hm, Hm), (Hm,))]
    gout = rng.standard_normal((N, Hm, G, G)).astype(np.float32)
    results = {}

    def run(order):
        ts = [Tensor(a, requires_grad=True) for a in [xs] + ws]
        out = mdrnn(*ts, order=order)
        out.backward(gout)
        return [out.data] + [t.grad for t in ts]

    times = {}
    for order in ("wavefront", "raster"):
        times[order] = median_ms(lambda: run(order), max(3, args.repeats // 4))
        results[order] = run(order)
    diff = max(float(np.abs(a - b).max()) for a, b in zip(results["wavefront"], results["raster"]))
    print(f"{G:>4}{N:>7}{Hm:>5}{times['wavefront']:>14.1f}{times['raster']:>11.1f}"
          f"{times['raster'] / times['wavefront']:>10.2f}{diff:>12.2e}")
