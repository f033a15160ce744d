"""InfoGAN training on the 8x8 digits: seconds per epoch, ours vs the same network in PyTorch CPU.

    python benchmarks/bench_gan.py [--epochs 5] [--threads 2] [--blas-threads 1]

The network of ``examples/infogan_digits.py``: G (16 noise + 10 categorical + 2 continuous
codes) -> 128 -> BN -> ReLU -> 128 -> BN -> ReLU -> 64 sigmoid; D's trunk 64 -> 128 -> 128 -> 128
(LeakyReLU 0.2) with a real/fake head (128 -> 1) and Q (128 -> 64 -> 10 + 2, σ fixed at 1).
One epoch = 29 minibatches of 64 of scikit-learn's 1797 digits (all rows), each one D/Q step
(BCE on real and fake + λ·(-L_I) on the fakes) and one G step (non-saturating loss + λ·(-L_I)),
Adam (G 1e-3, D 2e-4, betas (0.5, 0.999)). Both sides start from the same weights and see the
same minibatches and latent draws; the figure is the median epoch after one warm-up epoch.
"""

from __future__ import annotations

import argparse
import os
import sys

ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
ap.add_argument("--epochs", type=int, default=5)
ap.add_argument("--threads", type=int, default=2, help="numba and torch threads")
ap.add_argument("--blas-threads", type=int, default=1, help="numpy BLAS threads")
args = ap.parse_args()
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = str(args.blas_threads)
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import platform  # noqa: E402
import time  # noqa: E402

import numba  # noqa: E402
import numpy as np  # noqa: E402

numba.set_num_threads(args.threads)

from neural import InfoGAN, load_digits  # noqa: E402

try:
    import torch
    torch.set_num_threads(args.threads)
except ImportError:  # pragma: no cover
    torch = None

NOISE, K, M, BATCH = 16, 10, 2, 64


def ours_model():
    return InfoGAN(64, noise_dim=NOISE, n_categorical=K, n_continuous=M, hidden_sizes=(128, 128),
                   generator_batchnorm=True, lambda_cat=1.0, lambda_cont=0.1, lr=1e-3, lr_d=2e-4,
                   rng=0)


def torch_model(ours):
    tnn = torch.nn

    def copy(seq_ours, seq_torch):
        with torch.no_grad():
            for (_, p), tp in zip(seq_ours.named_parameters(), seq_torch.parameters()):
                tp.copy_(torch.from_numpy(np.ascontiguousarray(p.data)))

    d_in = NOISE + K + M
    G = tnn.Sequential(tnn.Linear(d_in, 128), tnn.BatchNorm1d(128), tnn.ReLU(),
                       tnn.Linear(128, 128), tnn.BatchNorm1d(128), tnn.ReLU(),
                       tnn.Linear(128, 64), tnn.Sigmoid())
    trunk = tnn.Sequential(tnn.Linear(64, 128), tnn.LeakyReLU(0.2), tnn.Linear(128, 128),
                           tnn.LeakyReLU(0.2), tnn.Linear(128, 128), tnn.LeakyReLU(0.2))
    d_head = tnn.Linear(128, 1)
    q_head = tnn.Sequential(tnn.Linear(128, 64), tnn.LeakyReLU(0.2), tnn.Linear(64, K + M))
    for a, b in ((ours.generator, G), (ours.trunk, trunk), (ours.d_head, d_head),
                 (ours.q_head, q_head)):
        copy(a, b)
    return G, trunk, d_head, q_head


def torch_epoch(parts, opts, X, draws):
    G, trunk, d_head, q_head = parts
    opt_g, opt_d = opts
    F = torch.nn.functional
    d_params = list(trunk.parameters()) + list(d_head.parameters()) + list(q_head.parameters())

    def info(q, cat, cont):
        ce = F.cross_entropy(q[:, :K], cat)
        d = q[:, K:] - cont
        return ce + 0.1 * (0.5 * d * d + 0.5 * np.log(2 * np.pi)).sum(1).mean()

    for xb, gin, cat, cont in draws:
        n = len(xb)
        with torch.no_grad():
            fake = G(gin)
        opt_d.zero_grad()
        h = trunk(torch.cat([xb, fake]))
        logit, q = d_head(h), q_head(h)
        loss = (F.binary_cross_entropy_with_logits(logit[:n], torch.ones(n, 1))
                + F.binary_cross_entropy_with_logits(logit[n:], torch.zeros(n, 1))
                + info(q[n:], cat, cont))
        loss.backward()
        opt_d.step()
        opt_g.zero_grad()
        for p in d_params:
            p.requires_grad_(False)
        h = trunk(G(gin))
        loss = (F.binary_cross_entropy_with_logits(d_head(h), torch.ones(n, 1))
                + info(q_head(h), cat, cont))
        loss.backward()
        opt_g.step()
        for p in d_params:
            p.requires_grad_(True)


def main():
    X, _ = load_digits(as_images=False)
    X = X.astype(np.float32)
    print(f"python {platform.python_version()}, numpy {np.__version__}, numba "
          f"{numba.__version__} ({numba.get_num_threads()} threads), BLAS threads "
          f"{args.blas_threads}" + (f", torch {torch.__version__} ({torch.get_num_threads()} "
                                    f"threads)" if torch else ", torch not installed"))
    print(f"InfoGAN on the digits: {len(X)} rows, batch {BATCH}, "
          f"{-(-len(X) // BATCH)} D+G steps per epoch")
    ours = ours_model()
    t_ours = []
    for e in range(args.epochs + 1):
        t = time.perf_counter()
        ours.fit(X, epochs=1, batch_size=BATCH, rng=e)
        t_ours.append(time.perf_counter() - t)
    ours_s = float(np.median(t_ours[1:]))
    print(f"ours     {ours_s * 1e3:8.1f} ms/epoch")
    if torch is None:
        return
    fresh = ours_model()
    parts = torch_model(fresh)
    opts = (torch.optim.Adam(parts[0].parameters(), lr=1e-3, betas=(0.5, 0.999)),
            torch.optim.Adam([p for m in parts[1:] for p in m.parameters()], lr=2e-4,
                             betas=(0.5, 0.999)))
    t_torch = []
    for e in range(args.epochs + 1):
        gen = np.random.default_rng(e)
        order = gen.permutation(len(X))
        draws = []
        for s in range(0, len(X), BATCH):
            idx = order[s:s + BATCH]
            z, (cat, cont) = fresh._draw(len(idx), gen)
            draws.append((torch.from_numpy(X[idx]), torch.from_numpy(fresh._g_input(z, (cat, cont))),
                          torch.from_numpy(cat.astype(np.int64)), torch.from_numpy(cont)))
        t = time.perf_counter()
        torch_epoch(parts, opts, X, draws)
        t_torch.append(time.perf_counter() - t)
    torch_s = float(np.median(t_torch[1:]))
    print(f"pytorch  {torch_s * 1e3:8.1f} ms/epoch")
    print(f"ratio ours/pytorch {ours_s / torch_s:.2f}x  (our epoch includes drawing z and codes "
          f"and the per-batch finiteness checks; PyTorch's draws are made before the clock)")


if __name__ == "__main__":
    main()
