"""LeNet-5 training step (forward + backward + SGD), ours vs PyTorch CPU, and engine overhead.

    python benchmarks/bench_cnn.py [--repeats 30] [--threads 2] [--blas-threads 1]

Shapes: batch 64 of 1×28×28 and batch 128 of 3×32×32, float32. LeNet-5: conv5×5→6, ReLU,
maxpool2, conv5×5→16, ReLU, maxpool2, fc120, ReLU, fc84, ReLU, fc10; softmax cross-entropy;
SGD with momentum 0.9. Both libraries run in this process on the same inputs and the same
initial weights; the figure is the median over ``--repeats`` steps after warm-up.

Engine overhead: a 2-layer MLP (64-32-10, ReLU) trained with batch 1; the step time divided
by the number of ops on the tape, and the same minus a hand-written numpy step that does the
same arithmetic (the bookkeeping that the engine adds per op).
"""

from __future__ import annotations

import argparse
import os
import sys

ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
ap.add_argument("--repeats", type=int, default=30)
ap.add_argument("--threads", type=int, default=2, help="numba and torch threads")
ap.add_argument("--blas-threads", type=int, default=1,
                help="numpy BLAS threads (default 1: with 2, numpy's BLAS pool, numba's and "
                     "torch's oversubscribe the 2 cores and both sides run 3-4x slower)")
args = ap.parse_args()
blas = args.threads if args.blas_threads is None else args.blas_threads
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = str(blas)
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import platform  # noqa: E402
import time  # noqa: E402

import numba  # noqa: E402
import numpy as np  # noqa: E402

numba.set_num_threads(args.threads)

from energy.autodiff import to_networkx  # noqa: E402
from neural import (SGD, Conv2d, CrossEntropyLoss, Flatten, Linear, MaxPool2d, ReLU,  # noqa: E402
                    Sequential)

try:
    import torch
    torch.set_num_threads(args.threads)
except ImportError:  # pragma: no cover
    torch = None


def lenet(cin, hw):
    s = ((hw - 4) // 2 - 4) // 2
    return Sequential(Conv2d(cin, 6, 5, rng=0), ReLU(), MaxPool2d(2), Conv2d(6, 16, 5, rng=1),
                      ReLU(), MaxPool2d(2), Flatten(), Linear(16 * s * s, 120, rng=2), ReLU(),
                      Linear(120, 84, rng=3), ReLU(), Linear(84, 10, rng=4))


def torch_lenet(ours, cin, hw):
    tnn = torch.nn
    s = ((hw - 4) // 2 - 4) // 2
    net = tnn.Sequential(tnn.Conv2d(cin, 6, 5), tnn.ReLU(), tnn.MaxPool2d(2), tnn.Conv2d(6, 16, 5),
                         tnn.ReLU(), tnn.MaxPool2d(2), tnn.Flatten(), tnn.Linear(16 * s * s, 120),
                         tnn.ReLU(), tnn.Linear(120, 84), tnn.ReLU(), tnn.Linear(84, 10))
    with torch.no_grad():
        for (_, p), tp in zip(ours.named_parameters(), net.parameters()):
            tp.copy_(torch.from_numpy(p.data.copy()))
    return net


def median_ms(step, repeats):
    for _ in range(5):
        step()
    ts = []
    for _ in range(repeats):
        t = time.perf_counter()
        step()
        ts.append(time.perf_counter() - t)
    return 1e3 * float(np.median(ts))


def interleaved_ms(steps, repeats, block=3):
    """Median ms per step of each callable, timed in alternating blocks so that a change of
    machine load during the run affects all of them alike."""
    for f in steps:
        for _ in range(5):
            f()
    ts = [[] for _ in steps]
    for _ in range(max(1, repeats // block)):
        for k, f in enumerate(steps):
            for _ in range(block):
                t = time.perf_counter()
                f()
                ts[k].append(time.perf_counter() - t)
    return [1e3 * float(np.median(t)) for t in ts]


def bench_lenet(n, c, hw, repeats):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, c, hw, hw)).astype(np.float32)
    y = rng.integers(0, 10, n)
    net = lenet(c, hw)
    opt = SGD(net.parameters(), lr=0.01, momentum=0.9)
    lossf = CrossEntropyLoss()

    def ours():
        opt.zero_grad()
        loss = lossf(net(X), y)
        loss.backward()
        opt.step()
        return loss
    row = {"shape": f"{n}×{c}×{hw}×{hw}"}
    if torch is None:
        row["ours"] = median_ms(ours, repeats)
    else:
        tnet = torch_lenet(lenet(c, hw), c, hw)
        topt = torch.optim.SGD(tnet.parameters(), lr=0.01, momentum=0.9)
        tX, ty = torch.from_numpy(X), torch.from_numpy(y)
        tlf = torch.nn.CrossEntropyLoss()

        def theirs():
            topt.zero_grad()
            loss = tlf(tnet(tX), ty)
            loss.backward()
            topt.step()
        row["ours"], row["torch"] = interleaved_ms([ours, theirs], repeats)
        # same first-step loss from the same weights (a sanity check of the comparison)
        n2 = lenet(c, hw)
        t2 = torch_lenet(n2, c, hw)
        with torch.no_grad():
            row["loss_diff"] = abs(float(lossf(n2(X), y).data) - float(tlf(t2(tX), ty)))
    return row


def bench_overhead(repeats=2000):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1, 64)).astype(np.float32)
    y = np.array([3])
    net = Sequential(Linear(64, 32, rng=0), ReLU(), Linear(32, 10, rng=1))
    opt = SGD(net.parameters(), lr=0.01)
    lossf = CrossEntropyLoss()
    loss = lossf(net(x), y)
    n_ops = sum(1 for _, d in to_networkx(loss).nodes(data=True) if d["op"] not in ("leaf", "parameter"))

    def step():
        opt.zero_grad()
        loss = lossf(net(x), y)
        loss.backward()
        opt.step()

    W1, b1 = net[0].weight.data.copy(), net[0].bias.data.copy()
    W2, b2 = net[2].weight.data.copy(), net[2].bias.data.copy()

    def numpy_step():   # the same arithmetic, hand-written
        h = x @ W1.T + b1
        r = np.maximum(h, 0)
        z = r @ W2.T + b2
        m = z - z.max(1, keepdims=True)
        p = np.exp(m) / np.exp(m).sum(1, keepdims=True)
        g = p.copy()
        g[0, y] -= 1
        gW2, gb2 = g.T @ r, g.sum(0)
        gr = g @ W2
        gh = gr * (h > 0)
        gW1, gb1 = gh.T @ x, gh.sum(0)
        for a, ga in ((W1, gW1), (b1, gb1), (W2, gW2), (b2, gb2)):
            a -= 0.01 * ga
    t_eng, t_np = (1e3 * v for v in interleaved_ms([step, numpy_step], repeats, block=50))
    return n_ops, t_eng, t_np


def main():
    print(f"machine: {platform.machine()} {platform.processor() or ''} cpus={os.cpu_count()} "
          f"python {platform.python_version()} numpy {np.__version__} numba {numba.__version__}"
          + (f" torch {torch.__version__}" if torch else " torch: not installed"))
    print(f"threads: numba={numba.get_num_threads()} BLAS(OMP/OPENBLAS/MKL)={blas} "
          f"torch={torch.get_num_threads() if torch else '-'}")
    rows = [bench_lenet(64, 1, 28, args.repeats), bench_lenet(128, 3, 32, args.repeats)]
    print("\nLeNet-5 training step, float32, median ms")
    print(f"{'batch':>14} {'ours':>9} {'torch':>9} {'ours/torch':>11}")
    for r in rows:
        t = r.get("torch")
        print(f"{r['shape']:>14} {r['ours']:9.2f} {t if t is None else f'{t:9.2f}'} "
              f"{'' if t is None else format(r['ours'] / t, '11.2f')}"
              + (f"   (first-step loss diff {r['loss_diff']:.1e})" if t is not None else ""))
    n_ops, t_eng, t_np = bench_overhead()
    print(f"\nengine overhead, 2-layer MLP 64-32-10, batch 1: {n_ops} ops on the tape, "
          f"step {t_eng:.1f} µs (numpy by hand {t_np:.1f} µs): {t_eng / n_ops:.2f} µs per op, "
          f"{(t_eng - t_np) / n_ops:.2f} µs per op above plain numpy")


if __name__ == "__main__":
    main()
