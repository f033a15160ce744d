"""RBM training with momentum, and the weights learned by an RBM, an autoencoder and a denoising autoencoder shown as filters.
===========================================================================================================================

    python examples/course/rbm_momentum.py [--quick] [--data digits|synthetic] [--out DIR]

Left: the reconstruction error (the mean cross-entropy of a one-step reconstruction, recorded
by :class:`energy.BernoulliRBM` after every epoch of CD-1) against the epoch, for several
momentum values at the same learning rate, on scikit-learn's 8×8 digits (``--data
synthetic``: small generated bar images, what the test runs). The course's statement:
momentum speeds up RBM training (the same number of epochs gives a lower error with a larger
momentum). The script prints the final errors and whether they decrease with the momentum.
Measured with the defaults (digits, 36 hidden units, 20 epochs, learning rate 0.05): final
errors 23.19, 22.31 and 20.82 for momentum 0, 0.5 and 0.9 — the statement holds.

Right: the rows of W (one 8×8 tile per hidden unit) of the RBM with the largest momentum,
of an :class:`neural.Autoencoder` and of a :class:`neural.DenoisingAutoencoder` (masking
noise 0.3) with the same number of hidden units, sigmoid units, trained with Adam.
``--quick`` trains the RBM with the generic epoch (the sampler and the engine) instead of the
fused numba kernel, so that it does not wait for the kernel's first compilation.
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402

from _common import filter_grid, load_data, parser, save  # noqa: E402
from energy import BernoulliRBM  # noqa: E402
from neural import Autoencoder, DenoisingAutoencoder  # noqa: E402


def main(argv=None):
    args = parser(__doc__, with_data=True).parse_args(argv)
    n = 300 if args.quick else 1797
    X, name = load_data(args.data, n, seed=args.seed)
    H = 16 if args.quick else 36
    epochs = 6 if args.quick else 20
    momenta = (0.0, 0.5, 0.9)
    curves = {}
    rbm = None
    for mom in momenta:
        rbm = BernoulliRBM(H, learning_rate=0.05, batch_size=20, n_iter=epochs, momentum=mom,
                           visible="probability", fused=False if args.quick else "auto",
                           random_state=args.seed).fit(X)
        curves[mom] = np.array([h["reconstruction"] for h in rbm.history_])
    print(f"{name}: {X.shape[0]} images, {H} hidden units, {epochs} epochs, learning rate 0.05")
    print("momentum  reconstruction error: epoch 1 -> last")
    for mom in momenta:
        print(f"  {mom:<7} {curves[mom][0]:.4f} -> {curves[mom][-1]:.4f}")
    finals = [curves[m][-1] for m in momenta]
    holds = bool(np.all(np.diff(finals) < 0))
    print(f"course: larger momentum -> lower error after {epochs} epochs: {holds}")

    ae_epochs = 10 if args.quick else 60
    ae = Autoencoder(64, H, rng=args.seed).fit(X, ae_epochs, lr=1e-2, rng=args.seed)
    dae = DenoisingAutoencoder(64, H, noise=0.3, rng=args.seed).fit(X, ae_epochs, lr=1e-2,
                                                                   rng=args.seed)
    print(f"autoencoder loss {ae.loss(X):.4f}, denoising autoencoder loss (clean X) "
          f"{dae.loss(X):.4f} after {ae_epochs} epochs")

    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 4, figsize=(13, 3.4))
    for mom in momenta:
        axes[0].plot(np.arange(1, epochs + 1), curves[mom], "o-", ms=3, label=f"momentum {mom}")
    axes[0].set_xlabel("epoch")
    axes[0].set_ylabel("reconstruction error")
    axes[0].set_title(f"RBM on {name}")
    axes[0].legend(fontsize=7)
    filter_grid(axes[1], rbm.components_, f"RBM W (momentum {momenta[-1]})")
    filter_grid(axes[2], ae.encoder_linears()[0].weight.data, "autoencoder W")
    filter_grid(axes[3], dae.encoder_linears()[0].weight.data, "denoising AE W")
    path = save(fig, args, "rbm_momentum.png")
    return dict(curves=curves, holds=holds, ae_loss=ae.loss(X), dae_loss=dae.loss(X), png=path)


if __name__ == "__main__":
    main()
