"""InfoGAN on scikit-learn's 8x8 digits: the categorical code as an unsupervised classifier.
=========================================================================================

An MLP InfoGAN (neural.InfoGAN: G 16 noise + 10 categorical + 2 continuous codes -> 128 -> 128
-> 64 sigmoid; D trunk 64 -> 128 -> 128 with a real/fake head and a Q head 64 -> 10 + 2;
Adam at 1e-3 for G and 2e-4 for D, as the paper, batch 64) is
trained on 75 % of the digits (stratified split, rng=0), without labels. Q's categorical head
then assigns a code to each image; codes are mapped to labels by the Hungarian assignment
(scipy.optimize.linear_sum_assignment) on the training split, and the accuracy of that map is
reported on the held-out 25 %. Writes ``<prefix>_rows.png`` (one row per categorical value)
and ``<prefix>_trav<j>.png`` (continuous code j varied along the columns, a row per
categorical value).

    pip install -e ".[data]" && python examples/infogan_digits.py [--quick] [--seeds 0 1 2 3 4]

Measured on a loaded shared machine (2 cores, other jobs running), one run of the defaults
``python examples/infogan_digits.py --epochs 30`` (seed 0): held-out accuracy 0.23, 42 s
(0.5-3 s per epoch depending on the load). The targets (mean >= 0.88, min >= 0.82 over five
seeds) are NOT met: Q's categorical loss stays at log 10 (the code is not yet used by G) in the
first tens of epochs with these settings; the 5-seed figure was not run.

Returns a dict: ``acc[seed]`` held-out accuracy, ``train_acc[seed]``, ``seconds[seed]``.
"""

from __future__ import annotations

import argparse
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from neural import InfoGAN, load_digits, match_codes, train_test_split  # noqa: E402


def grid_png(images, path, title):
    """images: (rows, cols, 8, 8) in [0, 1] -> one PNG."""
    r, c = images.shape[:2]
    fig, axes = plt.subplots(r, c, figsize=(0.6 * c, 0.6 * r + 0.4), squeeze=False)
    for i in range(r):
        for j in range(c):
            axes[i, j].imshow(images[i, j], cmap="gray_r", vmin=0, vmax=1)
            axes[i, j].axis("off")
    fig.suptitle(title, fontsize=8)
    fig.savefig(path, dpi=80)
    plt.close(fig)


def run(seed, Xtr, ytr, Xte, yte, epochs, verbose, batch_size=32, lambda_cont=0.0):
    t0 = time.perf_counter()
    model = InfoGAN(64, noise_dim=16, n_categorical=10, n_continuous=2, hidden_sizes=(256, 128),
                    d_hidden_sizes=(128, 256), generator_batchnorm=True,
                    discriminator_batchnorm=True, q_batchnorm=True, info_update="joint",
                    lambda_cat=1.0, lambda_cont=lambda_cont, lr=1e-3, lr_d=2e-4, lr_info=2e-4,
                    image_shape=(8, 8), rng=seed)
    model.fit(Xtr, epochs=epochs, batch_size=batch_size, verbose=verbose)
    secs = time.perf_counter() - t0
    mapping, train_acc = match_codes(model.predict_code(Xtr), ytr, 10, 10)
    acc = float(np.mean(mapping[model.predict_code(Xte)] == yte))
    return model, mapping, acc, train_acc, secs


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="a few epochs, one seed (a smoke run)")
    ap.add_argument("--epochs", type=int, default=None)
    ap.add_argument("--seeds", type=int, nargs="+", default=None)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--lambda-cont", type=float, default=0.0)
    ap.add_argument("-o", "--prefix", default="infogan_digits")
    ap.add_argument("--verbose", action="store_true")
    a = ap.parse_args(argv)
    epochs = a.epochs or (3 if a.quick else 100)
    seeds = a.seeds or [0]
    X, y = load_digits(as_images=False)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.25, rng=0, stratify=y)
    res = {"acc": {}, "train_acc": {}, "seconds": {}}
    with threadpool_limits(1):              # small matrices: one BLAS thread is fastest
        for seed in seeds:
            model, mapping, acc, tr, secs = run(seed, Xtr, ytr, Xte, yte, epochs, a.verbose,
                                                 a.batch_size, a.lambda_cont)
            res["acc"][seed], res["train_acc"][seed], res["seconds"][seed] = acc, tr, secs
            print(f"seed {seed}: held-out accuracy {acc:.4f} (train {tr:.4f}), {epochs} epochs "
                  f"in {secs:.1f}s", flush=True)
            if seed == seeds[0]:
                order = np.argsort(mapping)             # rows sorted by the matched label
                rows = np.stack([model.sample(10, codes={"categorical": int(k),
                                                         "continuous": [0.0, 0.0]}, rng=1)
                                 for k in order])
                grid_png(rows, f"{a.prefix}_rows.png",
                         f"one row per categorical value (labels {list(mapping[order])})")
                for j in range(model.n_continuous):
                    trav = model.traversal(j, np.linspace(-2, 2, 9), rng=2)[order]
                    grid_png(trav, f"{a.prefix}_trav{j}.png",
                             f"continuous code {j} from -2 to 2 (rows: categorical values)")
    accs = np.array(list(res["acc"].values()))
    print(f"held-out accuracy over {len(accs)} seed(s): mean {accs.mean():.4f}, "
          f"min {accs.min():.4f}")
    return res


if __name__ == "__main__":
    main()
