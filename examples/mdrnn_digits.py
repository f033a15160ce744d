"""A 2-D RNN (MDRNN, Graves et al. 2007) classifying the 8×8 handwritten digits.
=============================================================================

    python examples/mdrnn_digits.py [--epochs 30] [--hidden 32] [--order wavefront]

Each image is an 8×8 grid of cells with one feature (the pixel, scaled to [0, 1]); the MDRNN
scans it from the top-left corner, h(i, j) = tanh(W_in x(i, j) + W_w h(i−1, j) +
W_n h(i, j−1) + b), computed along the 15 anti-diagonals (one batched product each). The
classifier reads the bottom-right state (which has seen every pixel) and the mean state over
the grid, then a linear layer with softmax. Adam with a cosine learning-rate schedule, batch 32, on the fixed split
``train_test_split(X, y, test_size=0.25, rng=0)``; prints the test accuracy and writes
``mdrnn_digits.png`` (training curves) in the current directory.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from energy import autodiff as ad  # noqa: E402
from energy.autodiff import cross_entropy, no_grad  # noqa: E402
from energy.optim import Adam, CosineLR  # noqa: E402
from neural import (MDRNN, Linear, Module, count_params, load_digits, minibatches,  # noqa: E402
                    train_test_split)


class MDRNNClassifier(Module):
    def __init__(self, hidden, order, rng):
        super().__init__()
        self.md = MDRNN(1, hidden, order=order, rng=rng)
        self.out = Linear(2 * hidden, 10, rng=rng + 1)

    def forward(self, x):
        h = self.md(x)                                        # (N, H, 8, 8)
        feats = ad.concat([h[:, :, -1, -1], h.mean(axis=(2, 3))], axis=1)
        return self.out(feats)


def accuracy(model, X, y):
    with no_grad():
        return float((model(X).data.argmax(1) == y).mean())


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--hidden", type=int, default=32)
    ap.add_argument("--lr", type=float, default=5e-3)
    ap.add_argument("--order", choices=["wavefront", "raster"], default="wavefront")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    X, y = load_digits()                                      # (1797, 1, 8, 8) in [0, 1]
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.25, rng=0)
    model = MDRNNClassifier(args.hidden, args.order, args.seed)
    D, H = 1, args.hidden
    print(f"train {len(Xtr)}, test {len(Xte)}; MDRNN weights (D + 2H)·H = {(D + 2 * H) * H} "
          f"+ {H} biases; model parameters {count_params(model)}")
    opt = Adam(model.parameters(), lr=args.lr)
    sched = CosineLR(opt, T_max=args.epochs)
    rng = np.random.default_rng(args.seed)
    hist = {"loss": [], "train": [], "test": []}
    t0 = time.perf_counter()
    for epoch in range(args.epochs):
        total, n = 0.0, 0
        for xb, yb in minibatches(Xtr, ytr, batch_size=32, rng=rng):
            loss = cross_entropy(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += float(loss.data) * len(yb)
            n += len(yb)
        sched.step()
        hist["loss"].append(total / n)
        hist["train"].append(accuracy(model, Xtr, ytr))
        hist["test"].append(accuracy(model, Xte, yte))
        if epoch % 5 == 4 or epoch == args.epochs - 1:
            print(f"epoch {epoch + 1:3d}: loss {total / n:.4f}, train acc {hist['train'][-1]:.4f}, "
                  f"test acc {hist['test'][-1]:.4f} ({time.perf_counter() - t0:.1f} s, "
                  f"{model.md.n_steps_} wavefront steps per pass)")
    print(f"test accuracy after {args.epochs} epochs: {hist['test'][-1]:.4f} "
          f"({int(round(hist['test'][-1] * len(yte)))}/{len(yte)})")
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(9, 3.5))
    e = np.arange(1, args.epochs + 1)
    a1.plot(e, hist["loss"])
    a1.set_xlabel("epoch")
    a1.set_ylabel("training loss")
    a2.plot(e, hist["train"], label="train")
    a2.plot(e, hist["test"], label="test")
    a2.set_xlabel("epoch")
    a2.set_ylabel("accuracy")
    a2.legend()
    fig.suptitle(f"MDRNN (H = {H}) on the 8×8 digits")
    fig.tight_layout()
    fig.savefig("mdrnn_digits.png", dpi=110)
    print("wrote mdrnn_digits.png")


if __name__ == "__main__":
    main()
