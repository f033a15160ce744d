"""InfoGAN training on the 8x8 digits: seconds per epoch, ours vs the same network in PyTorch CPU.

    python benchmarks/bench_gan.py [--epochs 5] [--threads 2] [--blas-threads 1] [--paper]

The network and training step of ``examples/infogan_digits.py``: G (16 noise + 10 categorical +
2 continuous codes) -> 256 -> BN -> ReLU -> 128 -> BN -> ReLU -> 64 sigmoid; D's trunk
64 -> 128 (LeakyReLU 0.2) -> 256 -> BN -> LeakyReLU, with a real/fake head (256 -> 1) and Q
(256 -> 128 -> BN -> LeakyReLU -> 10 + 2, σ fixed at 1). One epoch = 113 minibatches of 16 of
scikit-learn's 1797 digits (all rows), each: a D step (BCE on the real and the fake rows, which
go through D as two batches; Adam 2e-4 on the trunk and the real/fake head), a G step
(non-saturating loss, Adam 1e-3) and a joint information step (λ·(-L_I) on fresh draws,
λ_cat 1, λ_cont 0.1; Adam 2e-4 on G, the trunk and Q) that by default also carries the example's
two real-data terms (the code's information on the real minibatch, weight 1, and its agreement
with one of each row's 5 nearest rows, weight 5: two more forward passes of D's trunk and Q;
``--paper`` leaves them out); betas (0.5, 0.999). Our epoch includes finding the 5 nearest
neighbours of the 1797 rows (``fit`` does it once per call; PyTorch gets our table before its
clock, as it gets its draws). Both sides start from
the same weights and see the same minibatches and draws; the figure is the median epoch after
one warm-up epoch. The last line checks the copy: both in float64, 20 steps from the same
weights, the largest difference of G's outputs and of Q's probabilities (measured: 4e-11 and
1e-11). In float32 the two drift apart within tens of steps (rounding differences of 1e-8,
amplified by the GAN's dynamics), so the check runs in float64.
"""

from __future__ import annotations

import argparse
import os
import sys

ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
ap.add_argument("--epochs", type=int, default=5)
ap.add_argument("--threads", type=int, default=2, help="numba and torch threads")
ap.add_argument("--blas-threads", type=int, default=1, help="numpy BLAS threads")
ap.add_argument("--paper", action="store_true", help="the paper's step: no real-data terms")
args = ap.parse_args()
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = str(args.blas_threads)
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import platform  # noqa: E402
import time  # noqa: E402

import numba  # noqa: E402
import numpy as np  # noqa: E402

numba.set_num_threads(args.threads)

from neural import InfoGAN, load_digits, nearest_neighbours  # noqa: E402

try:
    import torch
    torch.set_num_threads(args.threads)
except ImportError:  # pragma: no cover
    torch = None

NOISE, K, M, BATCH = 16, 10, 2, 16
LR_G, LR_D, LR_I, LAMBDA_CAT, LAMBDA_CONT = 1e-3, 2e-4, 2e-4, 1.0, 0.1
LAMBDA_REAL, LAMBDA_NB, N_NB = (0.0, 0.0, 5) if args.paper else (1.0, 5.0, 5)


def ours_model(dtype=np.float32):
    return InfoGAN(64, noise_dim=NOISE, n_categorical=K, n_continuous=M, hidden_sizes=(256, 128),
                   d_hidden_sizes=(128, 256), generator_batchnorm=True,
                   discriminator_batchnorm=True, q_batchnorm=True, info_update="joint",
                   lambda_cat=LAMBDA_CAT, lambda_cont=LAMBDA_CONT, real_information=LAMBDA_REAL,
                   neighbour_consistency=LAMBDA_NB, n_neighbours=N_NB, lr=LR_G, lr_d=LR_D,
                   lr_info=LR_I, rng=0, dtype=dtype)


def torch_model(ours):
    tnn = torch.nn

    def copy(seq_ours, seq_torch):
        with torch.no_grad():
            for (_, p), tp in zip(seq_ours.named_parameters(), seq_torch.parameters()):
                tp.copy_(torch.from_numpy(np.ascontiguousarray(p.data)))

    d_in = NOISE + K + M
    G = tnn.Sequential(tnn.Linear(d_in, 256), tnn.BatchNorm1d(256), tnn.ReLU(),
                       tnn.Linear(256, 128), tnn.BatchNorm1d(128), tnn.ReLU(),
                       tnn.Linear(128, 64), tnn.Sigmoid())
    trunk = tnn.Sequential(tnn.Linear(64, 128), tnn.LeakyReLU(0.2), tnn.Linear(128, 256),
                           tnn.BatchNorm1d(256), tnn.LeakyReLU(0.2))
    d_head = tnn.Linear(256, 1)
    q_head = tnn.Sequential(tnn.Linear(256, 128), tnn.BatchNorm1d(128), tnn.LeakyReLU(0.2),
                            tnn.Linear(128, K + M))
    parts = [m.to(torch.float64 if ours.dtype == np.float64 else torch.float32)
             for m in (G, trunk, d_head, q_head)]
    for a, b in zip((ours.generator, ours.trunk, ours.d_head, ours.q_head), parts):
        copy(a, b)
    return parts


def torch_optimizers(parts):
    G, trunk, d_head, q_head = parts
    adam = torch.optim.Adam
    return (adam(G.parameters(), lr=LR_G, betas=(0.5, 0.999)),
            adam(list(trunk.parameters()) + list(d_head.parameters()), lr=LR_D,
                 betas=(0.5, 0.999)),
            adam(list(G.parameters()) + list(trunk.parameters()) + list(q_head.parameters()),
                 lr=LR_I, betas=(0.5, 0.999)))


def torch_epoch(parts, opts, draws):
    G, trunk, d_head, q_head = parts
    opt_g, opt_d, opt_i = opts
    F = torch.nn.functional
    d_params = list(trunk.parameters()) + list(d_head.parameters()) + list(q_head.parameters())

    def info(q, cat, cont):
        ce = F.cross_entropy(q[:, :K], cat)
        d = q[:, K:] - cont
        return LAMBDA_CAT * ce + LAMBDA_CONT * (0.5 * d * d + 0.5 * np.log(2 * np.pi)).sum(1).mean()

    def marginal_entropy(lp):
        lm = torch.logsumexp(lp, 0) - np.log(lp.shape[0])
        return -(lm.exp() * lm).sum()

    for xb, (gin, cat, cont), (gin2, cat2, cont2), xnb in draws:
        n = len(xb)
        with torch.no_grad():
            fake = G(gin)
        opt_d.zero_grad()
        loss = (F.binary_cross_entropy_with_logits(d_head(trunk(xb)), torch.ones(n, 1))
                + F.binary_cross_entropy_with_logits(d_head(trunk(fake)), torch.zeros(n, 1)))
        loss.backward()
        opt_d.step()
        opt_g.zero_grad()
        for p in d_params:
            p.requires_grad_(False)
        loss = F.binary_cross_entropy_with_logits(d_head(trunk(G(gin))), torch.ones(n, 1))
        loss.backward()
        opt_g.step()
        for p in d_params:
            p.requires_grad_(True)
        opt_i.zero_grad()
        total = info(q_head(trunk(G(gin2))), cat2, cont2)
        if LAMBDA_REAL or LAMBDA_NB:
            lp = F.log_softmax(q_head(trunk(xb))[:, :K], 1)
            if LAMBDA_REAL:
                total = total + LAMBDA_REAL * (-(lp.exp() * lp).sum(1).mean()
                                               - marginal_entropy(lp))
            if LAMBDA_NB:
                lq = F.log_softmax(q_head(trunk(xnb))[:, :K], 1)
                total = total + LAMBDA_NB * (-torch.logsumexp(lp + lq, 1).mean()
                                             - marginal_entropy(lp))
        total.backward()
        opt_i.step()


def torch_draws(fresh, X, seed):
    """The minibatches, latent draws and neighbours ``InfoGAN.fit(X, epochs=1, rng=seed)``
    makes."""
    gen = np.random.default_rng(seed)
    table = nearest_neighbours(X, N_NB) if LAMBDA_NB else None
    order = gen.permutation(len(X))
    draws = []
    for s in range(0, len(X), BATCH):
        idx = order[s:s + BATCH]
        two = []
        for _ in range(2):                       # the D/G steps' draw, the information step's
            z, (cat, cont) = fresh._draw(len(idx), gen)
            two.append((torch.from_numpy(fresh._g_input(z, (cat, cont))),
                        torch.from_numpy(cat.astype(np.int64)), torch.from_numpy(cont)))
        nb = None
        if LAMBDA_NB:                            # the information step's neighbour picks
            nb = torch.from_numpy(X[table[idx, gen.integers(N_NB, size=len(idx))]])
        draws.append((torch.from_numpy(X[idx]), two[0], two[1], nb))
    return draws


def main():
    X, _ = load_digits(as_images=False)
    X = X.astype(np.float32)
    print(f"python {platform.python_version()}, numpy {np.__version__}, numba "
          f"{numba.__version__} ({numba.get_num_threads()} threads), BLAS threads "
          f"{args.blas_threads}" + (f", torch {torch.__version__} ({torch.get_num_threads()} "
                                    f"threads)" if torch else ", torch not installed"))
    print(f"InfoGAN on the digits: {len(X)} rows, batch {BATCH}, "
          f"{-(-len(X) // BATCH)} D+G steps per epoch, "
          + ("the paper's step" if args.paper else
             f"real-data terms {LAMBDA_REAL} (information) and {LAMBDA_NB} ({N_NB} neighbours)"))
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
    opts = torch_optimizers(parts)
    t_torch = []
    for e in range(args.epochs + 1):
        draws = torch_draws(fresh, X, e)
        t = time.perf_counter()
        torch_epoch(parts, opts, draws)
        t_torch.append(time.perf_counter() - t)
    torch_s = float(np.median(t_torch[1:]))
    print(f"pytorch  {torch_s * 1e3:8.1f} ms/epoch")
    print(f"ratio ours/pytorch {ours_s / torch_s:.2f}x  (our epoch includes drawing z and codes "
          f"and the per-batch finiteness checks; PyTorch's draws are made before the clock)")
    check_copy(X[:320].astype(np.float64))


def check_copy(X):
    """Both sides in float64 from the same weights, one epoch of X (20 steps of D, G and the
    information step): the largest differences of G's outputs and of Q's probabilities."""
    ours = ours_model(np.float64)
    G, trunk, d_head, q_head = parts = torch_model(ours_model(np.float64))
    opts = torch_optimizers(parts)
    ours.fit(X, epochs=1, batch_size=BATCH, rng=0)
    draws = torch_draws(ours_model(np.float64), X, 0)
    torch_epoch(parts, opts, draws)
    gin = draws[0][1][0]
    ours.train()
    for m in parts:
        m.train()
    with torch.no_grad():
        g_t = G(gin).numpy()
        q_t = torch.softmax(q_head(trunk(torch.from_numpy(X)))[:, :K], 1).numpy()
    g_o, q_o = ours.generator(gin.numpy()).data, ours.q_outputs(X)[0]
    ours.eval()
    print(f"copy check (float64, {-(-len(X) // BATCH)} steps from the same weights): "
          f"max |G ours - G pytorch| {np.abs(g_o - g_t).max():.1e}, "
          f"max |Q ours - Q pytorch| {np.abs(q_o - q_t).max():.1e}")

if __name__ == "__main__":
    main()
