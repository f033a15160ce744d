"""A Gaussian–Bernoulli RBM on the 8x8 digits that ship with scikit-learn (real-valued pixels).
============================================================================================

The 1,797 images (64 grey levels 0..16) are split 75/25 with a fixed permutation. Each pixel
is standardised to zero mean and unit variance with the training split's mean and standard
deviation; pixels whose training standard deviation is below ``--min-sd`` grey levels (the
near-constant border pixels: 3 are exactly constant, 12 below 0.5 with the defaults) are
dropped, because a test value there becomes tens of standard deviations and dominates every
log-likelihood. A GB-RBM with σ = 1 fixed and ``--hidden`` (≤ 20) hidden units is trained by
CD-1; its exact test log-likelihood (nats per example, log Z by summing the 2^H hidden states)
is printed before training, every ``--eval-every`` epochs and at the end, against a diagonal
Gaussian fitted to the same training data; at the end AIS's log Z is compared with the exact
one. Both log-likelihoods are densities of the standardised features (the same change of
variables for both models, so they compare directly).

    pip install -e ".[data]" && python examples/gaussian_rbm_digits.py [--quick]
                                        [--epochs 40] [--hidden 16] [-o gaussian_rbm_digits.png]
"""

from __future__ import annotations

import argparse
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from energy.models import GaussianBernoulliRBM  # noqa: E402


def load(min_sd=0.5, seed=0):
    """(train, test, kept pixel indices): standardised with the training split's statistics."""
    from sklearn.datasets import load_digits    # optional dependency, only for this example
    X = load_digits().data.astype(np.float64)
    p = np.random.default_rng(seed).permutation(len(X))
    n = len(X) * 3 // 4
    tr, te = X[p[:n]], X[p[n:]]
    mu, sd = tr.mean(0), tr.std(0)
    keep = np.flatnonzero(sd >= min_sd)
    return (tr[:, keep] - mu[keep]) / sd[keep], (te[:, keep] - mu[keep]) / sd[keep], keep


def diagonal_gaussian_ll(train, test):
    """Mean exact test log-likelihood of the diagonal Gaussian fitted (ML) to ``train``."""
    mu, sd = train.mean(0), train.std(0)
    z = (test - mu) / sd
    return float((-0.5 * z ** 2 - np.log(np.sqrt(2 * np.pi) * sd)).sum(1).mean())


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=40)
    ap.add_argument("--hidden", type=int, default=16)
    ap.add_argument("--lr", type=float, default=0.005)
    ap.add_argument("--batch-size", type=int, default=10)
    ap.add_argument("--eval-every", type=int, default=5)
    ap.add_argument("--min-sd", type=float, default=0.5)
    ap.add_argument("--ais-runs", type=int, default=100)
    ap.add_argument("--ais-betas", type=int, default=5000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--quick", action="store_true", help="a few epochs, a short AIS")
    ap.add_argument("-o", "--output", default="gaussian_rbm_digits.png")
    a = ap.parse_args(argv)
    if a.quick:
        a.epochs, a.eval_every, a.ais_runs, a.ais_betas = 4, 2, 20, 500
    if not 1 <= a.hidden <= 20:
        ap.error(f"--hidden: expected 1..20 (exact log Z enumerates 2^H states), got {a.hidden}")
    t0 = time.perf_counter()
    train, test, keep = load(a.min_sd, a.seed)
    print(f"digits: {len(train)} training / {len(test)} test images, {len(keep)} of 64 pixels "
          f"kept (training sd >= {a.min_sd} grey levels), standardised on the training split")
    diag = diagonal_gaussian_ll(train, test)
    print(f"diagonal Gaussian: exact test log-likelihood {diag:.2f} nats/example")
    rbm = GaussianBernoulliRBM(a.hidden, learning_rate=a.lr, batch_size=a.batch_size, k=1,
                               momentum=0.5, random_state=a.seed)
    epochs, lls = [], []
    for ep in range(a.epochs + 1):
        if ep > 0:
            rbm.partial_fit(train)
        if ep == 0:
            rbm._init(train)        # the initial model (W ~ N(0, 0.01²), b = training mean)
        if ep % a.eval_every == 0 or ep == a.epochs:
            epochs.append(ep)
            lls.append(float(rbm.log_likelihood(test).mean()))
            rec = rbm.history_[-1]["reconstruction"] if rbm.history_ else float("nan")
            print(f"epoch {ep:3d}: exact test log-likelihood {lls[-1]:.2f} nats/example "
                  f"(train reconstruction error {rec:.2f})", flush=True)
    exact = rbm.log_partition("exact")
    ais = rbm.ais(n_runs=a.ais_runs, n_betas=a.ais_betas, rng=a.seed)
    print(f"log Z: exact {exact:.3f}, AIS {ais.log_z:.3f} ± {ais.stderr:.3f} "
          f"({a.ais_runs} runs, {a.ais_betas} betas): difference {ais.log_z - exact:+.3f} nats")
    print(f"final: GB-RBM {lls[-1]:.2f} vs diagonal Gaussian {diag:.2f} nats/example "
          f"({lls[-1] - diag:+.2f}); {time.perf_counter() - t0:.1f} s")
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(epochs, lls, "o-", label=f"GB-RBM, {a.hidden} hidden units (exact log Z)")
    ax.axhline(diag, color="k", ls="--", label="diagonal Gaussian")
    ax.set_xlabel("epoch")
    ax.set_ylabel("test log-likelihood (nats / example)")
    ax.set_title("Gaussian-Bernoulli RBM on standardised 8x8 digits")
    ax.legend()
    fig.tight_layout()
    fig.savefig(a.output, dpi=100)
    plt.close(fig)
    return {"epochs": epochs, "test_ll": lls, "diagonal_gaussian_ll": diag,
            "log_z_exact": exact, "log_z_ais": ais.log_z, "ais_stderr": ais.stderr}


if __name__ == "__main__":
    main()
