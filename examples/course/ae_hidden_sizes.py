"""Autoencoder loss curves for several hidden sizes.
=================================================

    python examples/course/ae_hidden_sizes.py [--quick] [--data digits|synthetic] [--out DIR]

One-hidden-layer sigmoid :class:`neural.Autoencoder` (64 → h → 64, MSE), trained with the
same mini-batch SGD with momentum (learning rate 0.5, momentum 0.9, batches of 32, the same
shuffling) for several hidden sizes h. The curve is the mini-batch loss at every update,
smoothed by nothing. The course's statement: a larger hidden layer gives a lower and smoother
loss curve. Measured: the final loss (mean over the last epoch's updates; lower is better)
and two roughness figures of the per-update curve, its total variation Σ|L(t+1) − L(t)| and
the part of it that goes up, Σ max(0, L(t+1) − L(t)) (0 for a monotone curve; the total
variation also counts the descent itself, which is larger when the loss falls further), and
the upward variation of log L, which does not shrink just because the loss is smaller. The
script prints them and whether each half of the statement holds on this run. Measured with
the defaults (digits, 30 epochs): the final loss and both absolute roughness figures
decrease with h; the relative one (log L) increases with h (44 to 68 from h = 2 to 64): the
larger hidden layers' curves are smoother in absolute terms because their loss is lower,
not relative to it.
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402

from _common import load_data, parser, save  # noqa: E402
from energy import autodiff as ad  # noqa: E402
from energy.optim import SGD  # noqa: E402
from neural import Autoencoder  # noqa: E402
from neural.data import minibatches  # noqa: E402


def train_curve(X, h, epochs, seed):
    """Per-update mini-batch losses of a 64 → h → 64 sigmoid autoencoder."""
    ae = Autoencoder(X.shape[1], h, rng=seed)
    opt = SGD(ae.parameters(), lr=0.5, momentum=0.9)
    rng = np.random.default_rng(seed)
    losses = []
    for _ in range(epochs):
        for xb in minibatches(X, batch_size=32, rng=rng):
            opt.zero_grad()
            loss = ad.mse_loss(ae(ad.Tensor(xb)), ad.Tensor(xb))
            loss.backward()
            opt.step()
            losses.append(float(loss.item()))
    return np.array(losses)


def main(argv=None):
    args = parser(__doc__, with_data=True).parse_args(argv)
    n = 400 if args.quick else 1797
    X, name = load_data(args.data, n, seed=args.seed)
    sizes = (2, 8, 32) if args.quick else (2, 4, 8, 16, 32, 64)
    epochs = 8 if args.quick else 30
    per_epoch = int(np.ceil(X.shape[0] / 32))
    curves, final, tv, up, uplog = {}, {}, {}, {}, {}
    print(f"{name}: {X.shape[0]} images, {epochs} epochs of {per_epoch} updates")
    print("  h    final loss    total variation    upward variation    upward var. of log L")
    for h in sizes:
        c = train_curve(X, h, epochs, args.seed)
        d = np.diff(c)
        curves[h], final[h] = c, float(c[-per_epoch:].mean())
        tv[h], up[h] = float(np.abs(d).sum()), float(np.clip(d, 0, None).sum())
        uplog[h] = float(np.clip(np.diff(np.log(c)), 0, None).sum())
        print(f"  {h:<4} {final[h]:<13.5f} {tv[h]:<18.4f} {up[h]:<19.4f} {uplog[h]:.3f}")
    lower = bool(np.all(np.diff([final[h] for h in sizes]) < 0))
    smoother_tv = bool(np.all(np.diff([tv[h] for h in sizes]) < 0))
    smoother_up = bool(np.all(np.diff([up[h] for h in sizes]) < 0))
    smoother_log = bool(np.all(np.diff([uplog[h] for h in sizes]) < 0))
    print(f"course: larger h -> lower final loss: {lower}")
    print(f"course: larger h -> smoother (total variation decreasing): {smoother_tv}; "
          f"(upward variation decreasing): {smoother_up}; (upward variation of log L "
          f"decreasing): {smoother_log}")

    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6, 4))
    for h in sizes:
        ax.plot(curves[h], lw=0.8, label=f"h = {h}")
    ax.set_yscale("log")
    ax.set_xlabel("update")
    ax.set_ylabel("mini-batch MSE")
    ax.set_title(f"autoencoder 64 → h → 64 on {name}")
    ax.legend(fontsize=7)
    path = save(fig, args, "ae_hidden_sizes.png")
    return dict(final=final, tv=tv, up=up, uplog=uplog, lower=lower, smoother_tv=smoother_tv,
                smoother_up=smoother_up, smoother_log=smoother_log, png=path)


if __name__ == "__main__":
    main()
