"""How the few-label recipe of ``rbm_digits.py`` (section 3) was chosen — without the test images.
===============================================================================================

The 1,347 training images of the fixed 25% split are split again: 301 labelled validation
images (stratified, rng 1) and 1,046 others. For each candidate RBM (100 hidden units, trained
on the 1,046 images, labels unused) and each fine-tuning recipe, a 64-100-10 sigmoid network
is trained on 50 labelled images (5 per class) drawn from the 1,046 and scored on the 301
validation images after every epoch. Scores are averaged over ``--subsets`` label draws ×
``--seeds`` seeds (the seed sets both the RBM and the network initialisation); the number of
fine-tuning epochs is chosen from the averaged curve. The same grid is run without pretraining,
so the baseline gets its own best recipe. The 450 test images are never loaded into a decision.

    python examples/rbm_digits_select.py [--subsets 20] [--seeds 2]      (about 6 minutes)
"""

from __future__ import annotations

import argparse
import itertools
import time

import numpy as np
from rbm_digits import FEW_RBM, finetune, label_subset

from energy.models import BernoulliRBM
from neural import load_digits, train_test_split

RBM_GRID = {"sparsity_cost": (0.1, 0.3, 1.0), "weight_decay": (0.0, 1e-3)}
FT_GRID = {"lr": (0.01, 0.05), "wd": (0.0, 1e-3), "top_first": (0, 50)}
EPOCHS = (5, 10, 15, 20, 30, 50, 75, 100)


def make_rbm(seed, sparsity_cost=0.3, weight_decay=0.0, n_iter=100):
    return BernoulliRBM(100, n_iter=n_iter, random_state=seed,
                        **dict(FEW_RBM, sparsity_cost=sparsity_cost, weight_decay=weight_decay))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--subsets", type=int, default=20)
    ap.add_argument("--seeds", type=int, default=2)
    a = ap.parse_args(argv)
    X, y = load_digits(as_images=False, dtype=np.float64)
    Xtr, _, ytr, _ = train_test_split((X > 0.5).astype(np.float64), y, test_size=0.25, rng=0)
    Xfit, Xval, yfit, yval = train_test_split(Xtr, ytr, test_size=300, rng=1, stratify=ytr)
    print(f"selection: RBM on {len(Xfit)} unlabelled images, 50 labelled drawn from them, "
          f"scored on {len(Xval)} validation images; {a.subsets} label draws x {a.seeds} seeds")
    subs = [label_subset(yfit, d) for d in range(100, 100 + a.subsets)]
    rbm_cfgs = [None] + [dict(zip(RBM_GRID, v)) for v in itertools.product(*RBM_GRID.values())]
    ft_cfgs = [dict(zip(FT_GRID, v)) for v in itertools.product(*FT_GRID.values())]
    rows = []
    for rc in rbm_cfgs:
        t = time.perf_counter()
        rbms = [None if rc is None else make_rbm(s, **rc).fit(Xfit) for s in range(a.seeds)]
        for fc in ft_cfgs:
            curves = np.array([finetune(rbms[s], Xfit[i], yfit[i], s, epochs=max(EPOCHS),
                                        X_val=Xval, y_val=yval, **fc)[1]
                               for i in subs for s in range(a.seeds)])
            m = curves.mean(axis=0)
            e = max(EPOCHS, key=lambda e: (round(m[e - 1], 4), -e))   # ties: fewer epochs
            rows.append((m[e - 1], curves[:, e - 1].std(), e, rc, fc))
            print(f"  rbm {rc} ft {fc}: " + " ".join(f"{x}:{m[x - 1]:.3f}" for x in EPOCHS)
                  + f"  -> {e} epochs {m[e - 1]:.4f}", flush=True)
        print(f"  ({time.perf_counter() - t:.0f} s)", flush=True)
    for pre in (False, True):
        best = max((r for r in rows if (r[3] is not None) == pre), key=lambda r: r[0])
        print(f"best {'with' if pre else 'without'} pretraining: validation accuracy "
              f"{best[0]:.4f} (sd {best[1]:.3f}), {best[2]} epochs, rbm {best[3]}, ft {best[4]}")
    return rows


if __name__ == "__main__":
    main()
