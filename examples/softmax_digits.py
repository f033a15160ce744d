"""Multinomial logistic (softmax) regression on scikit-learn's 8×8 digits.
=======================================================================

One ``Linear(64, 10)`` layer trained with softmax cross-entropy and SGD with momentum on the
fixed split (25% test, seed 0; 20% of the training part held out for validation). Prints the
test accuracy and writes two PNG files in the current directory: the learned weights as ten
8×8 images, and the train/validation cross-entropy curves.

    python examples/softmax_digits.py [--epochs 60] [--seed 0]

Needs scikit-learn for the data (``pip install "pgm-energy[data]"``).
"""

from __future__ import annotations

import argparse

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from neural import (SGD, CosineLR, Linear, Standardizer, evaluate, fit,  # noqa: E402
                    load_digits, train_test_split)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=60)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--weights-png", default="softmax_digits_weights.png")
    ap.add_argument("--curves-png", default="softmax_digits_curves.png")
    a = ap.parse_args(argv)

    X, y = load_digits(as_images=False)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.25, rng=0)
    Xfit, Xval, yfit, yval = train_test_split(Xtr, ytr, test_size=0.2, rng=1)
    scaler = Standardizer().fit(Xfit)
    Xfit, Xval, Xte_s = scaler.transform(Xfit), scaler.transform(Xval), scaler.transform(Xte)

    model = Linear(64, 10, rng=a.seed)
    opt = SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=3e-3)
    hist = fit(model, Xfit, yfit, opt, epochs=a.epochs, batch_size=32, X_val=Xval, y_val=yval,
               scheduler=CosineLR(opt, a.epochs), rng=a.seed, verbose=False)
    print(f"softmax regression on digits: {len(yfit)} train / {len(yval)} validation / "
          f"{len(yte)} test images, {a.epochs} epochs, weight decay 3e-3 (chosen on validation)")
    print(f"final train CE {hist.loss[-1]:.4f}, validation CE {hist.val_loss[-1]:.4f}, "
          f"validation accuracy {hist.val_acc[-1]:.4f}")
    _, acc_fit = evaluate(model, Xte_s, yte)
    print(f"test accuracy of this model (trained on {len(yfit)}): {acc_fit:.4f}")

    # the same recipe refitted on the whole training part (train + validation)
    scaler = Standardizer().fit(Xtr)
    model = Linear(64, 10, rng=a.seed)
    opt = SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=3e-3)
    fit(model, scaler.transform(Xtr), ytr, opt, epochs=a.epochs, batch_size=32,
        scheduler=CosineLR(opt, a.epochs), rng=a.seed, verbose=False)
    test_loss, test_acc = evaluate(model, scaler.transform(Xte), yte)
    print(f"refitted on all {len(ytr)} training images: test cross-entropy {test_loss:.4f}, "
          f"test accuracy {test_acc:.4f}")

    # learned weights on the standardised pixels: red pixels vote for the class, blue against
    W = model.weight.data
    fig, axes = plt.subplots(2, 5, figsize=(8, 3.6))
    for k, ax in enumerate(axes.ravel()):
        v = np.abs(W[k]).max()
        ax.imshow(W[k].reshape(8, 8), cmap="RdBu_r", vmin=-v, vmax=v)
        ax.set_title(str(k))
        ax.axis("off")
    fig.suptitle(f"softmax regression weights (test accuracy {test_acc:.3f})")
    fig.tight_layout()
    fig.savefig(a.weights_png, dpi=100)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(5, 3.5))
    ep = np.arange(1, len(hist.loss) + 1)
    ax.plot(ep, hist.loss, label="train")
    ax.plot(ep, hist.val_loss, label="validation")
    ax.set_xlabel("epoch")
    ax.set_ylabel("cross-entropy")
    ax.set_yscale("log")
    ax.legend()
    fig.tight_layout()
    fig.savefig(a.curves_png, dpi=100)
    plt.close(fig)
    print(f"wrote {a.weights_png} and {a.curves_png}")
    return test_acc


if __name__ == "__main__":
    main()
