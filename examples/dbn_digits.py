"""A deep belief network pretrains a 64-100-100-10 network that then learns from 50 labels.
========================================================================================

On the 8x8 digits that ship with scikit-learn (grey levels scaled to [0, 1], the fixed 25% test
split of rbm_digits.py), a DBN of two RBMs (64-100, 100-100) is trained greedily on all 1,347
training images without their labels (energy.models.DBN; the first RBM reads the grey levels
as probabilities, the second the first's p(h | v)). Its weights initialise the two sigmoid
hidden layers of a 64-100-100-10 network (neural.mlp_from_dbn), which is then trained on only
50 labelled images (5 per class); the same network from a random init (PyTorch's default,
U(±1/√fan_in)) is trained with the same recipe. 5 draws of the 50 labels x 3 seeds (a DBN and
the network's initialisation per seed); test accuracy on the 450 test images.

The recipe is fixed a priori, taken unchanged from rbm_digits.py (chosen there by
rbm_digits_select.py on validation images split off the training set, for a 64-100-10
network; the test images took no part, and nothing was tuned here):

  * each RBM: FEW_RBM (CD-5, lr 0.05, momentum 0.5, batch 10, sparsity target 0.1 with cost 0.3,
    no weight decay), ``--rbm-epochs`` (100) epochs;
  * fine-tuning, both inits, recipe A: FEW_FT_RANDOM, the random-init baseline's own best
    recipe there — SGD with momentum 0.9, batch 10, no weight decay; the output layer alone for
    50 epochs at lr 0.05 (logistic regression on the frozen hidden layers), then all layers for
    100 epochs at lr 0.005. The output layer starts from the same random draw in both arms.
  * recipe B, the same without the output-layer phase (all layers, 100 epochs at lr 0.05),
    added after recipe A left the random-init network unable to fit its 50 training labels
    (the "train" column: accuracy on those 50 labels, a training-set diagnostic). B was not
    tuned either: it is A's first-phase rate applied to every layer.

    pip install -e ".[data]" && python examples/dbn_digits.py [--quick] [-o dbn_digits.png]

20-40 s with the defaults on 2 (shared) cores after numba's first compile; ``--quick`` (5 RBM
epochs, 2 draws x 1 seed) under 10 s. Measured with the defaults (test accuracy over the
15 runs, mean / min; "train" the mean accuracy on the 50 labels)::

    DBN-pretrained, A   0.826 / 0.804   train 0.919
    random init,    A   0.334 / 0.109   train 0.425   (cannot fit its labels under A)
    DBN-pretrained, B   0.848 / 0.804   train 0.993
    random init,    B   0.739 / 0.682   train 0.985   (pretrained better in 15/15 paired runs)

Returns {"<init>, <recipe>": test accuracy array of
shape (draws, seeds)} for init "DBN-pretrained" | "random init" and recipe "A" | "B".
"""

from __future__ import annotations

import argparse
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from rbm_digits import FEW_FT_RANDOM, FEW_RBM, label_subset  # noqa: E402

from energy.models import DBN, plot_filters, plot_samples  # noqa: E402
from neural import (SGD, Linear, Sequential, Sigmoid, evaluate, fit,  # noqa: E402
                    load_digits, mlp_from_dbn, train_test_split)

SIZES = [64, 100, 100]
#: the two fine-tuning recipes, each applied to both inits (declared before any run; see above)
RECIPES = {"A": FEW_FT_RANDOM, "B": dict(FEW_FT_RANDOM, top_first=0)}


def random_net(seed):
    """The 64-100-100-10 sigmoid network from PyTorch's default init (float64)."""
    return Sequential(Linear(64, 100, rng=seed, dtype=np.float64), Sigmoid(),
                      Linear(100, 100, rng=seed + 1000, dtype=np.float64), Sigmoid(),
                      Linear(100, 10, rng=seed, dtype=np.float64))


def finetune(net, X, y, seed, lr=0.05, wd=0.0, top_first=0, epochs=100):
    """rbm_digits.finetune's recipe on any Sequential whose last module is the output Linear.

    SGD, momentum 0.9, batch 10, weight decay ``wd``; with ``top_first`` > 0 the output layer
    is trained alone for that many epochs first, then every layer for ``epochs`` at lr / 10.
    """
    if top_first:
        fit(net, X, y, SGD(net[len(net) - 1].parameters(), lr=lr, momentum=0.9,
                           weight_decay=wd), epochs=top_first, batch_size=10, rng=seed,
            verbose=False)
        lr = lr / 10
    fit(net, X, y, SGD(net.parameters(), lr=lr, momentum=0.9, weight_decay=wd), epochs=epochs,
        batch_size=10, rng=seed + 1, verbose=False)
    return net


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rbm-epochs", type=int, default=100, help="epochs per RBM")
    ap.add_argument("--subsets", type=int, default=5, help="draws of the 50 labelled images")
    ap.add_argument("--seeds", type=int, default=3, help="DBN + network seeds per draw")
    ap.add_argument("--quick", action="store_true", help="5 RBM epochs, 2 draws x 1 seed")
    ap.add_argument("-o", "--output", default="dbn_digits.png")
    a = ap.parse_args(argv)
    if a.quick:
        a.rbm_epochs, a.subsets, a.seeds = 5, 2, 1

    t0 = time.perf_counter()
    X, y = load_digits(as_images=False, dtype=np.float64)          # grey levels in [0, 1]
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.25, rng=0)
    print(f"digits: {len(Xtr)} train (unlabelled for the DBN) / {len(Xte)} test images; "
          f"a {'-'.join(map(str, SIZES))}-10 net on 50 labels, {a.subsets} draws x {a.seeds} "
          f"seeds")
    dbns = [DBN(SIZES, visible="probability", n_iter=a.rbm_epochs, random_state=s,
                **FEW_RBM).fit(Xtr) for s in range(a.seeds)]
    rec = [[r.history_[-1]["reconstruction"] for r in d.rbms] for d in dbns]
    print(f"DBNs: {a.rbm_epochs} epochs per RBM, last-epoch reconstruction cross-entropy per "
          f"layer (nats/example): " + "; ".join("/".join(f"{x:.2f}" for x in r) for r in rec))

    arms = ("DBN-pretrained", "random init")
    acc = {f"{arm}, {r}": np.zeros((a.subsets, a.seeds)) for r in RECIPES for arm in arms}
    train_acc = {k: np.zeros_like(v) for k, v in acc.items()}
    for d in range(a.subsets):
        few = label_subset(ytr, d)
        for s in range(a.seeds):
            for r, ft in RECIPES.items():
                nets = {"DBN-pretrained": mlp_from_dbn(dbns[s], 10, rng=s),  # head = random's
                        "random init": random_net(s)}
                for arm, net in nets.items():
                    finetune(net, Xtr[few], ytr[few], s, **ft)
                    acc[f"{arm}, {r}"][d, s] = evaluate(net, Xte, yte)[1]
                    train_acc[f"{arm}, {r}"][d, s] = evaluate(net, Xtr[few], ytr[few])[1]
        print(f"  draw {d}: " + "; ".join(f"{n} {'/'.join(f'{x:.3f}' for x in v[d])}"
                                         for n, v in acc.items()))
    print(f"\n{'64-100-100-10, 50 labels':<30} {'mean':>7} {'min':>7} {'max':>7} {'sd':>7} "
          f"{'train':>7}  (test accuracy over {a.subsets} x {a.seeds} runs; train: mean "
          f"accuracy on the 50 labels)")
    for name, v in acc.items():
        print(f"{name:<30} {v.mean():7.4f} {v.min():7.4f} {v.max():7.4f} {v.std():7.4f} "
              f"{train_acc[name].mean():7.4f}")
    for r in RECIPES:
        diff = acc[f"DBN-pretrained, {r}"] - acc[f"random init, {r}"]
        print(f"recipe {r}, paired difference (pretrained - random): mean {diff.mean():+.4f}, "
              f"{int((diff > 0).sum())}/{diff.size} runs better")

    fig, axes = plt.subplots(1, 3, figsize=(14, 4.5))
    plot_filters(dbns[0].rbms[0], (8, 8), n_cols=10, ax=axes[0])
    axes[0].set_title("RBM 1: the 100 first-layer filters", fontsize=9)
    top = dbns[0].rbms[1].components_ @ dbns[0].rbms[0].components_    # (100, 64)
    plot_samples(top, (8, 8), n_cols=10, ax=axes[1],
                 title="RBM 2 units through RBM 1 (rows of W2ᵀW1ᵀ, linear view)")
    for i, (name, v) in enumerate(acc.items()):
        axes[2].scatter(np.full(v.size, i) + np.linspace(-0.15, 0.15, v.size), v.ravel(), s=14)
    axes[2].set_xticks(range(len(acc)), [n.replace(", ", "\n") for n in acc], fontsize=8)
    axes[2].set_ylabel("test accuracy")
    axes[2].set_title(f"50 labels: {a.subsets} draws x {a.seeds} seeds", fontsize=9)
    fig.tight_layout()
    fig.savefig(a.output, dpi=100)
    plt.close(fig)
    print(f"wrote {a.output} ({time.perf_counter() - t0:.1f} s)")
    return acc


if __name__ == "__main__":
    main()
