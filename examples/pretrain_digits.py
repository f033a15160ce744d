"""Few-label digits: RBM vs autoencoder vs denoising-autoencoder pretraining vs random init.
=========================================================================================

The protocol of dbn_digits.py, imported from it (its 64-100-100-10 sigmoid network, its
random init, its fine-tuning recipes A and B, its 25% test split and its draws of 50 labelled
training images, 5 per class), with the two hidden layers pretrained greedily on the 1,347
unlabelled training images by the one helper, ``neural.pretrain(layers, X, method=...)``:

  * "rbm": the DBN of dbn_digits.py (FEW_RBM of rbm_digits.py, ``--rbm-epochs`` per RBM);
  * "autoencoder": each layer a 1-hidden-layer sigmoid autoencoder (Bernoulli cross-entropy,
    untied, Adam lr 0.01, batch 10) on the codes below, ``--ae-epochs`` (30) epochs;
  * "denoising_autoencoder": the same, trained on inputs with 30% of the entries masked.

The autoencoder recipe was fixed before any run (a common default, not tuned on these data);
the output layer starts from the same random draw in every arm. 5 draws x 3 seeds (one
pretraining and one network init per seed); test accuracy on the 450 test images.

    pip install -e ".[data]" && python examples/pretrain_digits.py [--quick]

About 80 s with the defaults on 2 shared cores; ``--quick`` under 10 s. Measured with the
defaults (test accuracy over the 15 runs, mean / min / max; the random-init and RBM rows equal
dbn_digits.py's, the same runs)::

                    recipe A                  recipe B
    random init     0.334 / 0.109 / 0.529     0.739 / 0.682 / 0.793
    RBM (DBN)       0.826 / 0.804 / 0.842     0.848 / 0.804 / 0.900
    autoencoder     0.841 / 0.804 / 0.876     0.843 / 0.818 / 0.880
    denoising AE    0.865 / 0.824 / 0.907     0.864 / 0.831 / 0.909

Returns {"<arm>, <recipe>": test accuracy array of shape (draws, seeds)}.
"""

from __future__ import annotations

import argparse
import copy
import time

import numpy as np
from dbn_digits import RECIPES, finetune, random_net
from rbm_digits import FEW_RBM, label_subset

from neural import evaluate, load_digits, pretrain, train_test_split

AE = {"loss": "bce", "lr": 0.01, "batch_size": 10, "fit_method": "adam"}
ARMS = {"RBM": ("rbm", FEW_RBM), "AE": ("autoencoder", AE),
        "DAE": ("denoising_autoencoder", dict(AE, corruption="mask", noise=0.3))}


def pretrained_net(method, kw, X, epochs, seed):
    """random_net(seed) with its two hidden layers pretrained in place by ``method``."""
    net = random_net(seed)
    pretrain([net[0], net[2]], X, method=method, epochs=epochs, rng=seed, **kw)
    return net


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rbm-epochs", type=int, default=100, help="epochs per RBM")
    ap.add_argument("--ae-epochs", type=int, default=30, help="epochs per autoencoder")
    ap.add_argument("--subsets", type=int, default=5, help="draws of the 50 labelled images")
    ap.add_argument("--seeds", type=int, default=3, help="pretraining + network seeds per draw")
    ap.add_argument("--quick", action="store_true", help="3 epochs, 1 draw x 1 seed")
    a = ap.parse_args(argv)
    if a.quick:
        a.rbm_epochs, a.ae_epochs, a.subsets, a.seeds = 3, 3, 1, 1

    t0 = time.perf_counter()
    X, y = load_digits(as_images=False, dtype=np.float64)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.25, rng=0)
    templates = {"random init": [random_net(s) for s in range(a.seeds)]}
    for arm, (method, kw) in ARMS.items():
        ep = a.rbm_epochs if method == "rbm" else a.ae_epochs
        t1 = time.perf_counter()
        templates[arm] = [pretrained_net(method, kw, Xtr, ep, s) for s in range(a.seeds)]
        print(f"{arm}: pretrained {a.seeds} x 64-100-100 ({ep} epochs per layer, "
              f"{time.perf_counter() - t1:.1f}s)", flush=True)

    acc = {f"{arm}, {r}": np.zeros((a.subsets, a.seeds)) for r in RECIPES for arm in templates}
    for d in range(a.subsets):
        few = label_subset(ytr, d)
        for s in range(a.seeds):
            for r, ft in RECIPES.items():
                for arm, nets in templates.items():
                    net = finetune(copy.deepcopy(nets[s]), Xtr[few], ytr[few], s, **ft)
                    acc[f"{arm}, {r}"][d, s] = evaluate(net, Xte, yte)[1]
        print(f"  draw {d}: " + "; ".join(f"{n} {'/'.join(f'{x:.3f}' for x in v[d])}"
                                         for n, v in acc.items()), flush=True)
    print(f"\n{'64-100-100-10, 50 labels':<26} {'mean':>7} {'min':>7} {'max':>7}  (test accuracy "
          f"over {a.subsets} x {a.seeds} runs)")
    for name, v in acc.items():
        print(f"{name:<26} {v.mean():7.4f} {v.min():7.4f} {v.max():7.4f}")
    print(f"({time.perf_counter() - t0:.1f} s)")
    return acc


if __name__ == "__main__":
    main()
