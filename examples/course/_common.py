"""Shared bits of the course scripts: the command line, the data, saving a figure."""

from __future__ import annotations

import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import numpy as np  # noqa: E402


def parser(doc, with_data=False):
    """argparse with --quick, --out (folder of the PNG), --seed; --data for the data scripts."""
    ap = argparse.ArgumentParser(description=doc.strip().splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="a smaller run (what the tests run)")
    ap.add_argument("--out", default=".", help="folder for the PNG figure (default: here)")
    ap.add_argument("--seed", type=int, default=0)
    if with_data:
        ap.add_argument("--data", choices=("digits", "synthetic"), default="digits",
                        help="scikit-learn's 8x8 digits (falls back to synthetic without "
                             "scikit-learn) or small generated binary images")
    return ap


def synthetic_images(n, side=8, seed=0, labels=False):
    """n binary side×side images: a random horizontal or vertical bar, flipped pixels 5%
    (and, with ``labels``, the class: the bar's position, + side for vertical bars)."""
    rng = np.random.default_rng(seed)
    X = np.zeros((n, side, side))
    pos = rng.integers(0, side, n)
    vert = rng.random(n) < 0.5
    X[vert, :, pos[vert]] = 1.0
    X[~vert, pos[~vert], :] = 1.0
    flip = rng.random(X.shape) < 0.05
    X[flip] = 1.0 - X[flip]
    X = X.reshape(n, side * side)
    return (X, pos + side * vert) if labels else X


def load_data(kind, n, seed=0, labels=False):
    """(X in [0, 1] of shape (n, 64), name), or (X, y, name) with ``labels``: the digits
    (first n) or synthetic images."""
    if kind == "digits":
        try:
            from neural.data import load_digits
            X, y = load_digits(as_images=False, dtype=np.float64)
            return (X[:n], y[:n], "digits") if labels else (X[:n], "digits")
        except ImportError:
            print("scikit-learn not installed: using synthetic images")
    if labels:
        X, y = synthetic_images(n, seed=seed, labels=True)
        return X, y, "synthetic"
    return synthetic_images(n, seed=seed), "synthetic"


def save(fig, args, name):
    import matplotlib.pyplot as plt
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, name)
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)
    print(f"wrote {path}")
    return path


def filter_grid(ax, W, title, side=8):
    """Rows of W (units × side²) as a grid of side×side tiles, each scaled to its own range."""
    k = W.shape[0]
    cols = int(np.ceil(np.sqrt(k)))
    rows = int(np.ceil(k / cols))
    img = np.full((rows * (side + 1), cols * (side + 1)), np.nan)
    for u in range(k):
        w = W[u].reshape(side, side)
        w = (w - w.min()) / (np.ptp(w) or 1.0)
        r, c = divmod(u, cols)
        img[r * (side + 1):r * (side + 1) + side, c * (side + 1):c * (side + 1) + side] = w
    ax.imshow(img, cmap="gray")
    ax.set_title(title)
    ax.axis("off")
