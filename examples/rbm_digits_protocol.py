"""Three checks of the few-label protocol of ``rbm_digits.py`` (section 3).
========================================================================

Issue 5 asks a 64-100-10 network trained on 50 labelled digits to reach 0.85 test accuracy
with RBM pretraining ("about 0.77 without"); ours reaches 0.830 (0.750 without). This script
measures three explanations of the gap that the recipe search of ``rbm_digits_select.py`` does
not cover:

1. Inputs. The network reads the binarised images (as the issue says); here it also reads the
   grey levels in [0, 1] (the RBM trained on the binarised images, or on the grey levels in its
   ``visible="probability"`` mode). If the issue's figures came from grey-level inputs, the
   random-init baseline would sit near 0.77 with them.
2. Self-training (pseudo-labels, Lee 2013): after the chosen recipe, the network labels the
   unlabelled training images; those predicted with probability >= tau join the 50 labelled
   ones and the network is trained again from the RBM (``--rounds`` times). Uses no more labels.
3. Transductive pretraining: the RBM is trained on the training images *and* the images that
   are scored (their labels unused), as some papers' protocols do.

By default everything is scored on the validation split of ``rbm_digits_select.py`` (301
images carved out of the training set, 10 draws of 50 labels x 2 seeds). ``--test`` scores on
the 450 test images with the 5 draws x 3 seeds of ``rbm_digits.py``: a diagnostic of the
protocol, not a way to choose a recipe (none is chosen here).

    python examples/rbm_digits_protocol.py [--test]       (about 1 minute on one core)

Returns {condition: accuracy array of shape (draws, seeds)}.
"""

from __future__ import annotations

import argparse

import numpy as np
from rbm_digits import FEW_FT_PRETRAINED, FEW_FT_RANDOM, FEW_RBM, finetune, label_subset

from energy.autodiff import softmax
from energy.models import BernoulliRBM
from neural import evaluate, load_digits, predict, train_test_split


def report(name, acc):
    """One line: the condition, its mean accuracy and its mean per label draw."""
    print(f"   {name:<48} {acc.mean():.4f}; {' / '.join(f'{m:.3f}' for m in acc.mean(1))}",
          flush=True)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--test", action="store_true", help="score on the test images (diagnostic)")
    ap.add_argument("--taus", type=float, nargs="+", default=[0.0, 0.9, 0.99])
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--subsets", type=int, help="label draws (default 10; 5 with --test)")
    ap.add_argument("--seeds", type=int, help="RBM + network seeds (default 2; 3 with --test)")
    ap.add_argument("--rbm-epochs", type=int, default=100)
    a = ap.parse_args(argv)

    X, y = load_digits(as_images=False, dtype=np.float64)          # grey levels in [0, 1]
    Gtr, Gte, ytr, yte = train_test_split(X, y, test_size=0.25, rng=0)
    if a.test:
        G, Gv, yf, yv = Gtr, Gte, ytr, yte
        draws, seeds, where = range(a.subsets or 5), a.seeds or 3, "test"
    else:   # the same split as rbm_digits_select.py (it splits the binarised copy identically)
        G, Gv, yf, yv = train_test_split(Gtr, ytr, test_size=300, rng=1, stratify=ytr)
        draws, seeds, where = range(100, 100 + (a.subsets or 10)), a.seeds or 2, "validation"
    data = {"binary": ((G > 0.5).astype(np.float64), (Gv > 0.5).astype(np.float64)),
            "grey": (G, Gv)}
    subs = [label_subset(yf, d) for d in draws]
    print(f"{len(G)} training images (labels of 50 used), scored on {len(Gv)} {where} images, "
          f"{len(subs)} label draws x {seeds} seeds")

    B = data["binary"][0]

    def train_rbms(V, **kw):
        return [BernoulliRBM(100, n_iter=a.rbm_epochs, random_state=s, **dict(FEW_RBM, **kw)).fit(V)
                for s in range(seeds)]
    rbm_b, rbm_g = train_rbms(B), train_rbms(G, visible="probability")

    def score(rbms, inp, ft, labels=None):
        Xf, Xv = data[inp]
        acc = np.zeros((len(subs), seeds))
        for d, i in enumerate(subs):
            for s in range(seeds):
                net, _ = finetune(None if rbms is None else rbms[s], Xf[i], yf[i], s, **ft)
                acc[d, s] = evaluate(net, Xv, yv)[1] if labels is None else labels(net, i, s)
        return acc

    results = {}
    print("1. inputs (mean accuracy; draw means)")
    for name, rbms, inp, ft in [("RBM-pretrained, binary inputs (rbm_digits.py)", rbm_b, "binary",
                                 FEW_FT_PRETRAINED),
                                ("random init, binary inputs (rbm_digits.py)", None, "binary",
                                 FEW_FT_RANDOM),
                                ("RBM (binary) -> net on grey inputs", rbm_b, "grey",
                                 FEW_FT_PRETRAINED),
                                ("RBM (grey) -> net on grey inputs", rbm_g, "grey",
                                 FEW_FT_PRETRAINED),
                                ("random init, grey inputs", None, "grey", FEW_FT_RANDOM)]:
        results[name] = score(rbms, inp, ft)
        report(name, results[name])

    print(f"2. self-training on the unlabelled images, binary inputs, {a.rounds} round(s)")
    Xf, Xv = data["binary"]
    for tau in a.taus:
        def self_train(net, i, s, tau=tau):
            for r in range(a.rounds):
                p = softmax(predict(net, Xf)).data
                keep = p.max(axis=1) >= tau
                keep[i] = False                          # the labelled images keep their labels
                net, _ = finetune(rbm_b[s], np.concatenate([Xf[i], Xf[keep]]),
                                  np.concatenate([yf[i], p.argmax(axis=1)[keep]]), s + 10 * (r + 1),
                                  **FEW_FT_PRETRAINED)
            return evaluate(net, Xv, yv)[1]
        name = f"pseudo-labels, p >= {tau}"
        results[name] = score(rbm_b, "binary", FEW_FT_PRETRAINED, labels=self_train)
        report(name, results[name])

    print("3. transductive pretraining, binary inputs")
    results["transductive RBM"] = score(train_rbms(np.concatenate([Xf, Xv])), "binary",
                                        FEW_FT_PRETRAINED)
    report(f"RBM on the training + the {len(Xv)} scored images", results["transductive RBM"])
    return results


if __name__ == "__main__":
    main()
