"""Recurrent training step (forward + backward over all steps), ours vs PyTorch CPU; MDRNN orders.

    python benchmarks/bench_rnn.py [--repeats 20] [--threads 2] [--blas-threads 2]

Part 1: LSTM, GRU and tanh RNN, one layer, seq 50, batch 32, input 64, hidden 128, float32.
One step = forward over the sequence, the loss sum(output · W) with a fixed random W (so
every h_t gets a gradient), backward into all weights and the input. Both libraries run in
this process on the same inputs and the same weights; the figure is the median over
``--repeats`` steps after warm-up.

Part 2: the MDRNN (``neural.mdrnn``) forward + backward by wavefront order (R + C − 1
batched products) vs raster order (R·C products) at G = 28, batch 32, H = 32, D = 1 and at
G = 32, batch 32, H = 64, with the largest difference between the two orders' outputs and
gradients.

Threads, set here and printed: torch gets ``--threads`` (2) intra-op threads, numba
``--threads`` (the LSTM kernels run blocks of batch rows on them); numpy's BLAS (the big
input-projection and weight-gradient GEMMs) gets ``--blas-threads`` (2); the BLAS that numba's
per-step products call (SciPy's) runs on one thread inside the kernels (the library sets
that itself, see ``pgm.runtime.threads.kernel_blas_single``).

PyTorch is measured twice: in this process after ours (numba's thread pool then exists, and
an idle OpenMP pool can slow another one), and in a separate process that never imports
numba or this library (``--torch-only``), on the same inputs and weights; both ratios are printed.
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
ap.add_argument("--blas-threads", type=int, default=2, help="numpy BLAS threads")
ap.add_argument("--torch-only", metavar="NPZ",
                help="measure only PyTorch on the inputs/weights in NPZ (no numba, no "
                     "pgm-energy import); prints JSON (used by this script itself)")
args = ap.parse_args()
os.environ["NUMBA_NUM_THREADS"] = str(args.threads)
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import json  # noqa: E402
import platform  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
from threadpoolctl import ThreadpoolController, threadpool_info  # noqa: E402

try:
    import torch
    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
except ImportError:  # pragma: no cover
    torch = None

_np_dir = os.path.dirname(os.path.realpath(np.__file__))
for _lib in ThreadpoolController().select(user_api="blas").lib_controllers:
    if os.path.realpath(_lib.filepath).startswith((_np_dir + os.sep, _np_dir + ".libs" + os.sep)):
        _lib.set_num_threads(args.blas_threads)


def median_ms(step, repeats):
    for _ in range(3):
        step()
    ts = []
    for _ in range(repeats):
        t = time.perf_counter()
        step()
        ts.append(time.perf_counter() - t)
    return 1e3 * float(np.median(ts))


def torch_ms(tcls, state, x, W, repeats):
    """Median ms of one PyTorch training step of ``tcls`` with the weights in ``state``."""
    I, H = x.shape[2], W.shape[2]
    tm = getattr(torch.nn, tcls)(I, H)
    with torch.no_grad():
        for n, p in tm.named_parameters():
            p.copy_(torch.from_numpy(state[n]))
    xt_t, Wt = torch.from_numpy(x), torch.from_numpy(W)

    def torch_step():
        tm.zero_grad()
        xx = xt_t.clone().requires_grad_(True)
        out, _ = tm(xx)
        (out * Wt).sum().backward()

    return median_ms(torch_step, repeats)


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
MODELS = (("LSTM", "LSTM"), ("GRU", "GRU"), ("tanh RNN", "RNN"))

if args.torch_only:
    # a process without numba or this library: PyTorch's figure undisturbed
    data = np.load(args.torch_only)
    res = {}
    for name, tcls in MODELS:
        if tcls in args.models:
            state = {k.split("/", 1)[1]: data[k] for k in data.files if k.startswith(tcls + "/")}
            res[tcls] = torch_ms(tcls, state, data["x"], data["W"], args.repeats)
    print(json.dumps(res))
    sys.exit(0)

import tempfile  # noqa: E402

import numba  # noqa: E402

from energy.autodiff import Tensor  # noqa: E402
from neural import GRU, LSTM, RNN, mdrnn  # noqa: E402

rng = np.random.default_rng(0)
x = rng.standard_normal((T, B, I)).astype(np.float32)
W = rng.standard_normal((T, B, H)).astype(np.float32)


def blas_info():
    return "; ".join(f"{os.path.basename(d['filepath'])} {d['num_threads']}"
                     for d in threadpool_info() if d["user_api"] == "blas")


print(f"machine: {cpu_name()}, {os.cpu_count()} cpus; python {platform.python_version()}, "
      f"numpy {np.__version__}, numba {numba.__version__}, torch "
      f"{torch.__version__ if torch else 'absent'}")
print(f"threads: numba {numba.config.NUMBA_NUM_THREADS}, torch "
      f"{torch.get_num_threads() if torch else '-'} intra-op / 1 inter-op; BLAS threads: "
      f"{blas_info()} (numba's per-step products: SciPy's BLAS, 1 thread inside the kernels)")
cls_of = {"LSTM": LSTM, "GRU": GRU, "RNN": RNN}
rows, states = [], {"x": x, "W": W}
for name, tcls in MODELS:
    if tcls not in args.models:
        continue
    ours = cls_of[tcls](I, H, rng=0)
    params = ours.parameters()

    def ours_step():
        for p in params:
            p.grad = None
        xt = Tensor(x, requires_grad=True)
        out, _ = ours(xt)
        (out * W).sum().backward()

    t_ours = median_ms(ours_step, args.repeats)
    state = {n: p.data for n, p in ours.named_parameters()}
    states.update({f"{tcls}/{n}": a for n, a in state.items()})
    t_same = torch_ms(tcls, state, x, W, args.repeats) if torch is not None else float("nan")
    rows.append((name, tcls, t_ours, t_same))
print(f"threading layer: {numba.threading_layer() if any(r[1] == 'LSTM' for r in rows) else '-'}"
      f"; numba threads now {numba.get_num_threads()}; BLAS threads after: {blas_info()}")

t_own = {}
if torch is not None:
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "rnn_state.npz")
        np.savez(path, **states)
        cmd = [sys.executable, os.path.abspath(__file__), "--torch-only", path,
               "--repeats", str(args.repeats), "--threads", str(args.threads),
               "--blas-threads", str(args.blas_threads), "--models", *args.models]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
        t_own = json.loads(out.strip().splitlines()[-1])

print(f"\nPart 1: one training step (forward + backward), seq {T}, batch {B}, input {I}, "
      f"hidden {H}, float32, median of {args.repeats}")
print("torch A: same process, after ours; torch B: own process (no numba, no pgm-energy)")
print(f"{'model':<10}{'ours ms':>10}{'torch A':>10}{'torch B':>10}{'ours/A':>8}{'ours/B':>8}")
for name, tcls, t_ours, t_same in rows:
    tb = t_own.get(tcls, float("nan"))
    print(f"{name:<10}{t_ours:>10.2f}{t_same:>10.2f}{tb:>10.2f}{t_ours / t_same:>8.2f}"
          f"{t_ours / tb:>8.2f}")

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
