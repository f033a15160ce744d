"""RBM training speed: seconds per epoch of CD-k on (n, 784) random binary data, 500 hidden,
batch 100 — ours (1 and 2 threads), scikit-learn's BernoulliRBM (PCD-1, at k = 1) and a
plain PyTorch CPU CD-k written here — each against this machine's compute limit: a loop
that does only the epoch's matrix products (same shapes, dtype and BLAS threads), from one run.

    python benchmarks/bench_rbm.py [--n 60000] [--ks 1 5 20] [--dtype float64] [--repeats 1]
                                   [--generic]

"fraction of limit" = (GEMM-only loop time) / (epoch time): 1.0 would mean the draws, the
sigmoids, the gradient bookkeeping and the optimiser cost nothing. Threads: BLAS via
threadpoolctl, numba via numba.set_num_threads, torch via torch.set_num_threads; all printed.
"""

import os

os.environ.setdefault("OMP_NUM_THREADS", "2")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "2")
os.environ.setdefault("MKL_NUM_THREADS", "2")

import argparse  # noqa: E402
import time  # noqa: E402

import numba  # noqa: E402
import numpy as np  # noqa: E402
from threadpoolctl import threadpool_info, threadpool_limits  # noqa: E402

from energy.models import BernoulliRBM  # noqa: E402

H = 500
B = 100


def gemm_loop(X, k, dtype):
    """Only the matrix products of one CD-k epoch: 1 + 2k products of the chains with W and
    one (H x 2B) @ (2B x V) gradient product per batch, into preallocated outputs."""
    n, V = X.shape
    rng = np.random.default_rng(0)
    C = (0.01 * rng.standard_normal((H, V))).astype(dtype)
    v = np.ascontiguousarray(X[:B], dtype=dtype)
    h = (rng.random((B, H)) < 0.5).astype(dtype)
    V2 = np.concatenate([v, v])
    H2 = np.concatenate([h, h])
    pre_h, pre_v, g = np.empty((B, H), dtype), np.empty((B, V), dtype), np.empty((H, V), dtype)
    t = time.perf_counter()
    for _ in range(n // B):
        np.matmul(v, C.T, out=pre_h)
        for _ in range(k):
            np.matmul(h, C, out=pre_v)
            np.matmul(v, C.T, out=pre_h)
        np.matmul(H2.T, V2, out=g)
    return time.perf_counter() - t


def ours(X, k, dtype, fused=True):
    """One epoch of partial_fit: the fused numba epoch, or (fused=False) the generic path —
    the chains through the one sampler, the engine's gradient, SGD.step per batch."""
    m = BernoulliRBM(H, k=k, batch_size=B, n_iter=1, learning_rate=0.01, momentum=0.5,
                     dtype=dtype, fused=fused, random_state=0)
    m.fit(X[:2 * B])                                   # compile / warm
    t = time.perf_counter()
    m.partial_fit(X)
    return time.perf_counter() - t


def sklearn_pcd1(X):
    from sklearn.neural_network import BernoulliRBM as SkRBM

    m = SkRBM(n_components=H, batch_size=B, n_iter=1, learning_rate=0.01, random_state=0)
    t = time.perf_counter()
    m.fit(X)
    return time.perf_counter() - t


def torch_cdk(X, k, dtype):
    import torch

    tdt = torch.float64 if dtype == np.float64 else torch.float32
    Xt = torch.from_numpy(np.ascontiguousarray(X, dtype=dtype))
    g = torch.Generator().manual_seed(0)
    W = 0.01 * torch.randn(H, X.shape[1], generator=g, dtype=tdt)
    a = torch.zeros(H, dtype=tdt)
    b = torch.zeros(X.shape[1], dtype=tdt)
    vel = [torch.zeros_like(W), torch.zeros_like(a), torch.zeros_like(b)]
    lr, mom = 0.01, 0.5
    t = time.perf_counter()
    perm = torch.randperm(X.shape[0], generator=g)
    for m in range(X.shape[0] // B):
        vd = Xt[perm[m * B:(m + 1) * B]]
        ph = torch.sigmoid(vd @ W.T + a)
        hs = torch.bernoulli(ph, generator=g)
        for s in range(k):
            vk = torch.bernoulli(torch.sigmoid(hs @ W + b), generator=g)
            phk = torch.sigmoid(vk @ W.T + a)
            if s < k - 1:
                hs = torch.bernoulli(phk, generator=g)
        grads = [-(ph.T @ vd - phk.T @ vk) / B, -(ph.mean(0) - phk.mean(0)),
                 -(vd.mean(0) - vk.mean(0))]
        for p, v, gr in zip((W, a, b), vel, grads):
            v.mul_(mom).add_(gr)
            p.sub_(lr * v)
    return time.perf_counter() - t


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=60000)
    ap.add_argument("--ks", type=int, nargs="+", default=[1, 5, 20])
    ap.add_argument("--dtype", default="float64", choices=["float64", "float32"])
    ap.add_argument("--repeats", type=int, default=1, help="median of this many epochs")
    ap.add_argument("--generic", action="store_true",
                    help="also time the generic training path (block_gibbs + engine + SGD.step)")
    a = ap.parse_args()
    dtype = np.dtype(a.dtype).type
    X = (np.random.default_rng(0).random((a.n, 784)) < 0.5).astype(dtype)
    blas = [f"{d['internal_api']} {d.get('version')} ({d.get('architecture')})"
            for d in threadpool_info() if d["user_api"] == "blas"]
    print(f"numpy {np.__version__} BLAS {blas}, numba {numba.__version__}, cores {os.cpu_count()}")
    print(f"data ({a.n}, 784) random binary, {H} hidden, batch {B}, {a.dtype}; "
          f"seconds per epoch, median of {a.repeats}")

    def med(fn):
        return float(np.median([fn() for _ in range(a.repeats)]))

    results = {}
    for nt in (1, 2):
        numba.set_num_threads(nt)
        with threadpool_limits(limits=nt, user_api="blas"):
            for k in a.ks:
                lim = med(lambda: gemm_loop(X, k, dtype))
                t = med(lambda: ours(X, k, dtype))
                results[(nt, k)] = t
                print(f"  ours CD-{k:<2} {nt} thread(s): {t:7.2f} s   GEMM-only loop {lim:7.2f} s"
                      f"   fraction of limit {lim / t:.2f}", flush=True)
                if nt == 2 and a.generic:
                    tg = med(lambda: ours(X, k, dtype, fused=False))
                    print(f"  ours CD-{k:<2} generic path (sampler + engine), {nt} thread(s): "
                          f"{tg:7.2f} s   fraction of limit {lim / tg:.2f}   "
                          f"{tg / t:.2f}x the fused epoch", flush=True)
    numba.set_num_threads(2)
    with threadpool_limits(limits=2, user_api="blas"):
        try:
            import sklearn
            if 1 in a.ks:
                t = med(lambda: sklearn_pcd1(X.astype(np.float64)))
                lim = gemm_loop(X, 1, np.float64)
                print(f"  scikit-learn {sklearn.__version__} BernoulliRBM PCD-1, 2 threads: "
                      f"{t:7.2f} s   fraction of limit (float64) {lim / t:.2f}   "
                      f"ours CD-1 is {t / results[(2, 1)]:.2f}x faster", flush=True)
        except ImportError:
            print("  (scikit-learn not installed: pip install -e '.[bench]')")
        try:
            import torch
            torch.set_num_threads(2)
            for k in a.ks:
                t = med(lambda: torch_cdk(X, k, dtype))
                lim = gemm_loop(X, k, dtype)
                print(f"  PyTorch {torch.__version__} plain CD-{k:<2}, 2 threads: {t:7.2f} s   "
                      f"fraction of limit {lim / t:.2f}   ours is {t / results[(2, k)]:.2f}x "
                      f"faster", flush=True)
        except ImportError:
            print("  (torch not installed: pip install torch==2.13.0)")


if __name__ == "__main__":
    main()
