"""A small CNN (conv-pool-conv-pool-fc) on scikit-learn's 8×8 digits, with switches.
=================================================================================

    conv3×3→16 [BN] ReLU maxpool2 → conv3×3→32 [BN] ReLU maxpool2 → fc 128→10

Trained with SGD (momentum 0.9, cosine schedule) on the fixed split (25% test, seed 0). The
four switches — He initialisation (else PyTorch's default uniform), batch norm, weight decay
(5e-4 on weights, not biases) and augmentation (pad-1 random crops; no flips: digits are not
mirror-symmetric) — are turned off one at a time from the full configuration, and each run's
test accuracy is printed (mean over ``--seeds`` seeds). Writes in the current directory:
the first-layer filters of the full model and the loss curves of every configuration (PNG).

    python examples/cnn_digits.py [--epochs 40] [--seeds 2]

Needs scikit-learn for the data (``pip install "pgm-energy[data]"``).
"""

from __future__ import annotations

import argparse
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from neural import (SGD, BatchNorm2d, Conv2d, CosineLR, Flatten, Identity, Linear,  # noqa: E402
                    MaxPool2d, ReLU, Sequential, Standardizer, augment, count_params,
                    evaluate, fit, init, load_digits, train_test_split)


def make_cnn(he=True, bn=True, rng=0):
    gen = np.random.default_rng(rng)
    net = Sequential(
        Conv2d(1, 16, 3, padding=1, bias=not bn, rng=gen), BatchNorm2d(16) if bn else Identity(),
        ReLU(), MaxPool2d(2),
        Conv2d(16, 32, 3, padding=1, bias=not bn, rng=gen), BatchNorm2d(32) if bn else Identity(),
        ReLU(), MaxPool2d(2),
        Flatten(), Linear(32 * 2 * 2, 10, rng=gen))
    if he:
        for m in (net[0], net[4]):
            init.kaiming_normal_(m.weight, rng=gen)
        init.xavier_uniform_(net[9].weight, rng=gen)
    return net


def run(Xtr, ytr, Xte, yte, he, bn, wd, aug, epochs, seed):
    net = make_cnn(he, bn, rng=seed)
    opt = SGD(net.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4 if wd else 0.0)
    aug_fn = (lambda xb, gen: augment(xb, crop_padding=1, rng=gen)) if aug else None
    hist = fit(net, Xtr, ytr, opt, epochs=epochs, batch_size=32, X_val=Xte, y_val=yte,
               scheduler=CosineLR(opt, epochs), augment=aug_fn, rng=seed, verbose=False)
    return net, hist, evaluate(net, Xte, yte)[1]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=40)
    ap.add_argument("--seeds", type=int, default=2)
    ap.add_argument("--filters-png", default="cnn_digits_filters.png")
    ap.add_argument("--curves-png", default="cnn_digits_curves.png")
    a = ap.parse_args(argv)

    X, y = load_digits(as_images=True)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.25, rng=0)
    scaler = Standardizer(axis=(0, 1, 2, 3)).fit(Xtr)      # one mean/scale for all pixels
    Xtr, Xte = scaler.transform(Xtr), scaler.transform(Xte)
    print(f"CNN on digits: {len(ytr)} train / {len(yte)} test images, {a.epochs} epochs, "
          f"{count_params(make_cnn())} parameters, mean of {a.seeds} seed(s)")

    configs = [("all on (He, BN, WD, aug)", dict(he=True, bn=True, wd=True, aug=True)),
               ("no He init", dict(he=False, bn=True, wd=True, aug=True)),
               ("no batch norm", dict(he=True, bn=False, wd=True, aug=True)),
               ("no weight decay", dict(he=True, bn=True, wd=False, aug=True)),
               ("no augmentation", dict(he=True, bn=True, wd=True, aug=False)),
               ("all off", dict(he=False, bn=False, wd=False, aug=False))]
    print(f"{'configuration':<28}{'test acc':>10}{'per seed':>24}{'seconds':>9}")
    results, first = {}, None
    for name, cfg in configs:
        t0 = time.perf_counter()
        accs, hists = [], []
        for seed in range(a.seeds):
            net, hist, acc = run(Xtr, ytr, Xte, yte, epochs=a.epochs, seed=seed, **cfg)
            accs.append(acc)
            hists.append(hist)
            if first is None:
                first = net
        results[name] = (float(np.mean(accs)), hists)
        per = " ".join(f"{v:.4f}" for v in accs)
        print(f"{name:<28}{np.mean(accs):10.4f}{per:>24}{time.perf_counter() - t0:9.1f}",
              flush=True)

    W = first[0].weight.data[:, 0]
    fig, axes = plt.subplots(2, 8, figsize=(8, 2.4))
    for k, ax in enumerate(axes.ravel()):
        v = np.abs(W[k]).max()
        ax.imshow(W[k], cmap="RdBu_r", vmin=-v, vmax=v)
        ax.axis("off")
    fig.suptitle("first-layer 3×3 filters (all switches on, seed 0)")
    fig.tight_layout()
    fig.savefig(a.filters_png, dpi=100)
    plt.close(fig)

    fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 3.8))
    for name, (acc, hists) in results.items():
        h = hists[0]
        ep = np.arange(1, len(h.loss) + 1)
        line, = a1.plot(ep, h.loss, label=f"{name}")
        a2.plot(ep, h.val_loss, color=line.get_color(), label=f"{name} ({acc:.3f})")
    for ax, t in ((a1, "train cross-entropy"), (a2, "test cross-entropy")):
        ax.set_yscale("log")
        ax.set_xlabel("epoch")
        ax.set_title(t)
    a2.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(a.curves_png, dpi=100)
    plt.close(fig)
    print(f"wrote {a.filters_png} and {a.curves_png}")
    return results


if __name__ == "__main__":
    main()
