"""InfoGAN on scikit-learn's 8x8 digits: the categorical code as an unsupervised classifier.
=========================================================================================

An MLP InfoGAN with the paper's architecture choices (neural.InfoGAN): G (16 noise + 10
categorical + 2 continuous codes) -> 256 -> BN -> ReLU -> 128 -> BN -> ReLU -> 64 sigmoid; D's
trunk 64 -> 128 -> 256, LeakyReLU 0.2, batch norm on all but the first layer (the real and the
fake rows go through it as two batches), with a real/fake head and Q (256 -> 128 -> BN ->
LeakyReLU -> 10 + 2; Gaussians of σ 1 for the continuous codes, ``--q-std``); Adam (betas 0.5,
0.999) at 1e-3 for G and 2e-4 for D, and a joint information step (``info_update="joint"``: G,
the trunk and Q on λ·(-L_I) of fresh draws, Adam 2e-4), λ_cat 1, λ_cont 0.1
(``--lambda-cont``), batch 16 (``--batch-size``), 300 epochs. The joint step also carries two
label-free terms on the real digits (InfoGAN's ``real_information`` and
``neighbour_consistency``): the information of Q's code on each real minibatch (weight 1,
``--real-information``: Q sure of one code per digit, the codes used evenly; RIM, Krause et al.
2010, as in CatGAN, Springenberg 2016) and the agreement of each digit's code with the code of
one of its 5 nearest training digits in pixel space (weight 5, ``--neighbour-consistency``,
``--n-neighbours``; SCAN's loss, Van Gansbeke et al. 2020, with input-space neighbours, 97.5 %
of which share the digit's label). ``--paper`` sets both weights to 0: the paper's objective.
It is trained on 75 % of the digits (stratified split, rng=0), without labels. Every 10 epochs
(``--every``) the script measures how much Q's code says about the training images,
``InfoGAN.code_information`` (H(mean Q) - mean H(Q), in nats; no labels), and keeps the
checkpoint where it is largest (``--select last`` keeps the last epoch instead). Q's
categorical head then assigns a code to each image; codes are mapped to labels by the Hungarian
assignment (scipy.optimize.linear_sum_assignment) on the training split, and the accuracy of
that map is reported on the held-out 25 %, for the kept checkpoint and the last epoch. Writes
``<prefix>_rows.png`` (one row per categorical value, sorted by the label it is matched to) and
``<prefix>_trav<j>.png`` (continuous code j varied along the columns, a row per categorical
value).

    pip install -e ".[data]" && python examples/infogan_digits.py [--quick] [--seeds 0 1 2 3 4]

Measured (2-core VM, two seeds at a time, about 130 s per seed): ``python
examples/infogan_digits.py --seeds 0 2 4`` and ``--seeds 1 3`` side by side, and the same for
seeds 5 7 9 / 6 8 (held-out accuracy, kept checkpoint / last epoch):

=====================================  =============================  ===========
run                                    seeds                          mean / min
=====================================  =============================  ===========
default, seeds 0-4 (kept)              0.920 0.916 0.907 0.925 0.916  0.917/0.907
default, seeds 0-4 (last epoch)        0.905 0.916 0.902 0.909 0.927  0.912/0.902
default, seeds 5-9 (kept)              0.929 0.832 0.914 0.894 0.851  0.884/0.832
default, seeds 5-9 (last epoch)        0.929 0.834 0.911 0.894 0.827  0.879/0.827
neighbour weight 3, seeds 0-4 (kept)   0.823 0.909 0.916 0.843 0.918  0.882/0.823
``--paper``, seeds 0-4 (kept)          0.847 0.783 0.747 0.725 0.858  0.792/0.725
``--paper``, seeds 0-4 (last epoch)    0.727 0.661 0.683 0.758 0.851  0.736/0.661
=====================================  =============================  ===========

The weight 5 was chosen over 3 on seeds 0-4, so seeds 5-9 are the unbiased figure. Where runs
fall short, the 1s are split: in two PyTorch runs with the information term alone (0.81,
0.84), 22-24 of the 136 training 1s shared a code with the 2s, 60-70 one with the 8s and 40-50
a code that also took 8s and 9s. Label-free
clusterings of the same pixels (training split) reach 0.79 (k-means) and 0.89 (spectral
clustering of a 10-neighbour graph; 0.81 with 5 or 0.79 with 20 neighbours).
The continuous codes are the price: with these defaults G hardly uses them. The script prints,
per seed, how well Q reads them back from G's samples (the correlation between the code given
and Q's mean): 0.09, 0.04 (seed 0) and 0.08, 0.11 (seed 1), and the traversal grids barely
change along the columns. ``--lambda-cont 0.3 --q-std learned`` makes them carry the style
(correlations 0.78-0.94 on seeds 0-9, visible traversals) at a cost in the categorical code:
held-out accuracy 0.916, 0.918, 0.805, 0.825, 0.832 (mean 0.859, min 0.805) on seeds 0-4 and
0.918, 0.918, 0.843, 0.925, 0.920 (mean 0.905, min 0.843) on seeds 5-9. With σ fixed at 1
(seed 0, a scratch script with its own correlation draws): λ_cont 0.3 0.18, 0.14 at accuracy
0.931; 0.5 0.59, 0.56 at 0.772; 1.0 0.75, 0.82 at 0.805; learned σ at λ_cont 0.1: 0.26, 0.29 at
0.927. Bringing the continuous term in only after epoch 150 (λ_cont 0 then 0.3, learned σ,
the checkpoint chosen after the switch; a scratch script) did not avoid the cost: seeds 1-4
0.825, 0.902, 0.922, 0.823 with correlations 0.32-0.83. The accuracy target is the issue's, so
the defaults keep the categorical code first.
Tried and not kept (scripts outside the project, seeds 0-4 unless said; the paper's objective
unless said): an average of the parameters over epochs (EMA, decay 0.9 per epoch) or of Q's
outputs over the last 5 checkpoints: within 0.03 of the raw model; a convolutional trunk for D
and Q (3x3 convs 1 -> 16 -> 32, stride 2, on the 8x8 images; seeds 0, 1): 0.77, 0.70 at 100
epochs against 0.74, 0.78 (and 3-5 s per epoch); DCGAN-style convolutional G and D on the
digits upsampled to 16x16 (PyTorch, 32 and 64 channels, seeds 0, 1): 0.56, 0.53 after 60 epochs
at 1.8 s per epoch; the real-data information term alone (weight 1): most informative
checkpoint 0.836, 0.783, 0.829, 0.714, 0.847 (mean 0.802), with a batch of 32, a weight of 3 or
a one-pixel shift-consistency term (seeds 0, 1) no better; with the neighbour term at weight 1
(a separate neighbour stream): mean 0.847, min 0.814; 10 neighbours instead of 5 (weight 3,
seeds 0, 1, at epoch 90): 0.78, 0.85 against 0.89, 0.88 for 5. In PyTorch with the information
term (seeds 0, 1, 200 epochs, most informative checkpoint; 0.81, 0.84 without a change):
dropout 0.3 in D 0.74, 0.82; one-sided label smoothing 0.9 0.81, 0.80; a linear
learning-rate decay over the last 100 epochs 0.80, 0.85; 62 noise dimensions or a 512-wide
trunk: the code collapsed (information under 0.1 nats, accuracy 0.2-0.35); random one-pixel
shifts of D's inputs (DiffAugment-style, plain objective, seed 0) 0.72 against 0.82. Restarts
(best of 3 by information, the paper's objective): mean 0.84, min 0.73.
Earlier sessions (100-200 epochs, last epoch): λ_cont 0: mean 0.728; batch 32: 0.688; 4
continuous codes: 0.63, 0.77, 0.59 (seeds 0-2); noise 4: 0.59, 0.55; λ_cont 0.3: mean 0.712;
λ_cat 2: mean 0.693. benchmarks/bench_gan.py checks that the same network and step (with the
real-data terms) in PyTorch give the same numbers as ours.

Returns a dict: ``acc[seed]`` held-out accuracy, ``last_acc[seed]`` (of the last epoch),
``train_acc[seed]``, ``seconds[seed]``,
``epoch[seed]`` (of the checkpoint kept), ``information[seed]`` ([(epoch, nats)] of every
checkpoint), ``kept_information[seed]`` (the kept model's, recomputed) and ``continuous[seed]``
(per continuous code, the correlation between the code G was given and Q's mean on G's sample:
how much the code is used).
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


def continuous_recovery(model, n=1000, rng=0):
    """Per continuous code: the correlation between the code G was given and Q's mean for the
    sample G made (no labels; near 0 when G ignores the code, near 1 when Q reads it back)."""
    gen = np.random.default_rng(rng)
    z = gen.standard_normal((n, model.noise_dim)).astype(model.dtype)
    cat = gen.integers(model.n_categorical, size=n)
    cont = gen.uniform(*model.continuous_range, (n, model.n_continuous)).astype(model.dtype)
    mean = model.q_outputs(model.generate(z, (cat, cont)))[1]
    return [float(np.corrcoef(mean[:, j], cont[:, j])[0, 1]) for j in range(model.n_continuous)]


def run(seed, Xtr, ytr, Xte, yte, epochs, verbose, batch_size=16, lambda_cont=0.1, every=10,
        select="information", real_information=1.0, neighbour_consistency=5.0, n_neighbours=5,
        q_std=1.0):
    """Train one model; with ``select="information"`` keep the checkpoint (one every ``every``
    epochs) whose code says most about the training images (InfoGAN.code_information: no
    labels used), else the last one. Returns (model, mapping, acc, train_acc, secs, epoch,
    [(epoch, information) of every checkpoint], held-out accuracy of the last epoch)."""
    t0 = time.perf_counter()
    model = InfoGAN(64, noise_dim=16, n_categorical=10, n_continuous=2, q_std=q_std,
                    hidden_sizes=(256, 128),
                    d_hidden_sizes=(128, 256), generator_batchnorm=True,
                    discriminator_batchnorm=True, q_batchnorm=True, info_update="joint",
                    lambda_cat=1.0, lambda_cont=lambda_cont, real_information=real_information,
                    neighbour_consistency=neighbour_consistency, n_neighbours=n_neighbours,
                    lr=1e-3, lr_d=2e-4, lr_info=2e-4, image_shape=(8, 8), rng=seed)
    best, done, infos = (-np.inf, None, 0), 0, []
    while done < epochs:
        k = min(every, epochs - done)
        model.fit(Xtr, epochs=k, batch_size=batch_size)
        done += k
        info = model.code_information(Xtr)
        infos.append((done, info))
        h = model.history_
        if verbose:
            print(f"  seed {seed} epoch {done}/{epochs}  D {h.d_loss[-1]:.4f}  G {h.g_loss[-1]:.4f}"
                  f"  Q {h.q_loss[-1]:.4f}  I(x; c) {info:.4f} nats  {time.perf_counter() - t0:.0f}s",
                  flush=True)
        if select == "information" and info > best[0]:
            best = (info, model.state_dict(), done)
    epoch = done
    mapping, _ = match_codes(model.predict_code(Xtr), ytr, 10, 10)
    last_acc = float(np.mean(mapping[model.predict_code(Xte)] == yte))
    if select == "information":
        model.load_state_dict(best[1])
        epoch = best[2]
    secs = time.perf_counter() - t0
    mapping, train_acc = match_codes(model.predict_code(Xtr), ytr, 10, 10)
    acc = float(np.mean(mapping[model.predict_code(Xte)] == yte))
    return model, mapping, acc, train_acc, secs, epoch, infos, last_acc


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="a few epochs, one seed (a smoke run)")
    ap.add_argument("--epochs", type=int, default=None)
    ap.add_argument("--seeds", type=int, nargs="+", default=None)
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--lambda-cont", type=float, default=0.1)
    ap.add_argument("--select", choices=("information", "last"), default="information",
                    help="checkpoint kept: the most informative code (no labels) or the last")
    ap.add_argument("--every", type=int, default=10, help="epochs between checkpoints")
    ap.add_argument("--real-information", type=float, default=1.0,
                    help="weight of the code's information on real minibatches (0: the paper)")
    ap.add_argument("--neighbour-consistency", type=float, default=5.0,
                    help="weight of the code's agreement with a pixel-space neighbour (0: the "
                         "paper)")
    ap.add_argument("--n-neighbours", type=int, default=5)
    ap.add_argument("--q-std", default="1.0",
                    help="Q's standard deviation for the continuous codes: 'learned' or a float")
    ap.add_argument("--paper", action="store_true",
                    help="the paper's objective alone: both real-data weights 0")
    ap.add_argument("-o", "--prefix", default="infogan_digits")
    ap.add_argument("--verbose", action="store_true")
    a = ap.parse_args(argv)
    epochs = a.epochs or (4 if a.quick else 300)
    seeds = a.seeds or [0]
    X, y = load_digits(as_images=False)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.25, rng=0, stratify=y)
    if a.paper:
        a.real_information = a.neighbour_consistency = 0.0
    res = {"acc": {}, "train_acc": {}, "seconds": {}, "epoch": {}, "information": {},
           "kept_information": {}, "last_acc": {}, "continuous": {}}
    with threadpool_limits(1):              # small matrices: one BLAS thread is fastest
        for seed in seeds:
            model, mapping, acc, tr, secs, ep, infos, last = run(
                seed, Xtr, ytr, Xte, yte, epochs, a.verbose, a.batch_size, a.lambda_cont,
                2 if a.quick else a.every, a.select, a.real_information,
                a.neighbour_consistency, a.n_neighbours,
                a.q_std if a.q_std == "learned" else float(a.q_std))
            res["acc"][seed], res["train_acc"][seed], res["seconds"][seed] = acc, tr, secs
            res["epoch"][seed], res["information"][seed] = ep, infos
            res["kept_information"][seed] = model.code_information(Xtr)
            res["last_acc"][seed] = last
            res["continuous"][seed] = rec = continuous_recovery(model)
            print(f"seed {seed}: held-out accuracy {acc:.4f} (train {tr:.4f}), checkpoint of "
                  f"epoch {ep} of {epochs} ({a.select}); last epoch {last:.4f}; continuous "
                  f"codes read back by Q with correlation {', '.join(f'{r:.2f}' for r in rec)}; "
                  f"{secs:.1f}s", flush=True)
            if seed == seeds[0]:
                order = np.argsort(mapping)             # rows sorted by the matched label
                rows = np.stack([model.sample(10, codes={"categorical": int(k),
                                                         "continuous": [0.0, 0.0]}, rng=1)
                                 for k in order])
                grid_png(rows, f"{a.prefix}_rows.png",
                         "a row per code, matched to labels "
                         + "".join(str(int(v)) for v in mapping[order]))
                for j in range(model.n_continuous):
                    trav = model.traversal(j, np.linspace(-2, 2, 9), rng=2)[order]
                    grid_png(trav, f"{a.prefix}_trav{j}.png",
                             f"continuous code {j} from -2 to 2 (rows: categorical values)")
    accs = np.array(list(res["acc"].values()))
    last = np.array(list(res["last_acc"].values()))
    print(f"held-out accuracy over {len(accs)} seed(s): mean {accs.mean():.4f}, "
          f"min {accs.min():.4f} (last epoch: mean {last.mean():.4f}, min {last.min():.4f})")
    return res


if __name__ == "__main__":
    main()
