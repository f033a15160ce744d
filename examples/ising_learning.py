"""Learned Ising parameters: graph cut with (β, η, h) by pseudo-likelihood vs auto_parameters.
===========================================================================================

For each shipped image (horse, camera) and flip-noise rate (5 %, 10 %, 20 %; noise seeds 0, 1,
...) prints the error rate of the exact MAP (graph cut) with

* auto     -- :func:`energy.models.auto_parameters` (noise rate estimated, β by discrepancy);
* learned  -- :func:`energy.models.learn_parameters`, unsupervised: rounds of a joint
              pseudo-likelihood fit of ``p(x_i | x_-i, y)`` on the current restoration and a graph
              cut with the fit, from a median filter of y (the default);
* besag-1  -- one round of Besag's split (β, h from the prior's pseudo-likelihood on the
              median filter, η from its flip rate against y);
* besag    -- the same split iterated (up to ``--rounds`` rounds);
* clean-PL -- supervised: the pseudo-likelihood fit on the clean image (not available to a
              user; a reference),

and the learned parameters; then writes a figure (noisy / auto / learned) for one case.

    python examples/ising_learning.py [--seeds 1] [--rounds 5] [--quick] [-o FILE]

``--quick`` does the horse at 10 % only, with 3 rounds.
"""

from __future__ import annotations

import argparse
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from energy.images import add_flip_noise, error_rate, load_example  # noqa: E402
from energy.models import (IsingModel, auto_parameters, fit_pseudo_likelihood,  # noqa: E402
                           learn_parameters)


def _restore(y, p):
    return IsingModel(y, beta=max(p["beta"], 0.0), eta=p["eta"], h=p.get("h", 0.0)).graphcut().x


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=1, help="noise seeds per case")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--quick", action="store_true", help="horse at 10 %% only, 3 rounds")
    ap.add_argument("-o", "--output", default="ising_learning.png")
    a = ap.parse_args(argv)
    images, rates = (["horse"], [0.1]) if a.quick else (["horse", "camera"], [0.05, 0.1, 0.2])
    rounds = 3 if a.quick else a.rounds
    t0 = time.perf_counter()

    print(f"graph-cut error rate (%) with each parameter choice; noise seeds 0..{a.seeds - 1}")
    head = (f"{'image':<7}{'noise':>6}{'seed':>5}{'noisy':>7}{'auto':>7}{'learned':>8}"
            f"{'besag-1':>8}{'besag':>7}{'clean-PL':>9}   learned (beta, eta, h), rounds"
            f"   auto (beta, eta)")
    print(head)
    figure_case = None
    for name in images:
        clean = load_example(name)
        for rate in rates:
            for seed in range(a.seeds):
                y = add_flip_noise(clean, rate, rng=seed)
                auto = auto_parameters(y)
                x_auto = _restore(y, auto)
                learned = learn_parameters(y, rounds=rounds)
                b1 = learn_parameters(y, rounds=1, eta_from="noise")
                bn = learn_parameters(y, rounds=rounds, eta_from="noise")
                sup = fit_pseudo_likelihood(clean, y)
                errs = [error_rate(v, clean) for v in
                        (y, x_auto, learned.x, b1.x, bn.x, _restore(y, sup))]
                print(f"{name:<7}{rate:>6.2f}{seed:>5}" + "".join(
                    f"{100 * e:>{w}.2f}" for e, w in zip(errs, (7, 7, 8, 8, 7, 9)))
                    + f"   ({learned.beta:.2f}, {learned.eta:.2f}, {learned.h:.2f}), "
                      f"{len(learned.history)}{'' if learned.converged else '+'}"
                    + f"   ({auto['beta']:.2f}, {auto['eta']:.2f})", flush=True)
                if figure_case is None or (name, rate, seed) == ("horse", 0.1, 0):
                    figure_case = (name, rate, seed, y, x_auto, learned.x, errs)
    print("rounds: the rounds run ('+': stopped at --rounds with the restoration still "
          "changing)")

    name, rate, seed, y, x_auto, x_learned, errs = figure_case
    fig, axes = plt.subplots(1, 3, figsize=(10, 3.4))
    for ax, img, title in zip(axes, (y, x_auto, x_learned),
                              (f"noisy ({100 * errs[0]:.1f} %)", f"auto ({100 * errs[1]:.2f} %)",
                               f"learned ({100 * errs[2]:.2f} %)")):
        ax.imshow(img, cmap="gray", vmin=-1, vmax=1, interpolation="nearest")
        ax.set_title(title)
        ax.axis("off")
    fig.suptitle(f"{name}, {100 * rate:.0f} % flip noise (seed {seed}): graph cut")
    fig.tight_layout()
    fig.savefig(a.output, dpi=80)
    print(f"figure: {a.output}; {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
