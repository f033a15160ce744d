"""Plain Gibbs vs parallel tempering on an RBM whose distribution has well-separated modes.
========================================================================================

    python examples/parallel_tempering.py [--quick] [--chains 16] [--replicas 8] [--t-max 6]
                                          [--seed 0] [-o parallel_tempering.png]

The RBM has V = 12 visible and H = 3 hidden units; hidden unit j switches the visibles to
the prototype p_j (111111000000, 000000111111, 101010101010), with weights ±s (s = 5) and a
hidden bias that gives the three modes the masses 0.5, 0.3, 0.2 and the 2^12 states with all
hiddens off 10^-4 of the mass. Leaving a mode takes a hidden unit switching off against a
logit of about 17 (less about 5 per visible bit off the prototype), so a Gibbs chain mostly
stays in the mode it first falls into (measured with 16 chains, seeds 0/1: 0 to 12 changes of
the nearest prototype per chain in 10^4 sweeps, 41 in all). Its exact p(v) over the 2^12
visible states is enumerated (summing the hiddens out). Both samplers start from the same uniformly random states of
``--chains`` chains and record the T = 1 visibles after every sweep; the table gives the total
variation distance ``TV = ½ Σ_v |p̂(v) − p(v)|`` between that histogram and p(v) after N sweeps,
for plain Gibbs (:func:`energy.sampling.block_gibbs`) and parallel tempering
(:func:`energy.sampling.parallel_tempering`, the same number of T = 1 sweeps, ``--replicas``
temperatures geometric from 1 to ``--t-max``, exchanges after every sweep; it costs
``replicas`` times the sweeps). "iid floor" is the TV of as many exact independent draws
(the histogram's own sampling noise). The figure (TV vs sweeps, log-log) goes to ``-o``.
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from scipy.special import logsumexp  # noqa: E402

from energy.models import BernoulliRBM, RBMChains  # noqa: E402
from energy.sampling import block_gibbs, parallel_tempering  # noqa: E402
from pgm.runtime import softplus  # noqa: E402

PROTOTYPES = np.array([[1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0],
                       [0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1],
                       [1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0]], dtype=float)
MODE_MASS = np.array([0.5, 0.3, 0.2])


def prototype_rbm(s=5.0, mass_vs_rest=1e4):
    """The three-mode RBM: W_j = s (2 p_j − 1), visible bias 0, hidden bias a_j such that
    p(h = e_j) ∝ exp(a_j) Π_i (1 + exp(W_ji)) is ``mass_vs_rest`` × MODE_MASS_j × 2^V
    (2^V: the mass of h = 0; states with two hiddens on have a negligible share)."""
    H, V = PROTOTYPES.shape
    W = s * (2 * PROTOTYPES - 1)
    log_mode = np.log1p(np.exp(W)).sum(axis=1)
    a = np.log(mass_vs_rest * MODE_MASS) + V * np.log(2.0) - log_mode
    # one epoch on the prototypes makes a fitted RBM of the right shape; its parameters are
    # then set by hand (the arrays are the model's Parameters, written in place)
    rbm = BernoulliRBM(n_components=H, n_iter=1, batch_size=3,
                       random_state=0).fit(PROTOTYPES)
    rbm.components_[...] = W
    rbm.intercept_hidden_[...] = a
    rbm.intercept_visible_[...] = 0.0
    return rbm


def exact_pv(rbm):
    """p(v) over all 2^V visible states, index = v read as a binary number (v_0 first)."""
    V = rbm.n_features_in_
    vs = np.array(list(itertools.product([0.0, 1.0], repeat=V)))
    lp = vs @ rbm.intercept_visible_ + softplus(vs @ rbm.components_.T
                                                + rbm.intercept_hidden_).sum(axis=1)
    return np.exp(lp - logsumexp(lp))


class HistogramChains(RBMChains):
    """RBM chains whose observation is the histogram of the chains' visible states, so that
    the samplers' average of ``observe`` is the empirical distribution over the sweeps."""

    def observe(self, state):
        v = state["v"]
        idx = (v @ (1 << np.arange(v.shape[1]))[::-1]).astype(np.int64)
        return np.bincount(idx, minlength=1 << v.shape[1]) / v.shape[0]


def run(checkpoints, n_chains, ladder, seed):
    """TV after each checkpoint for both samplers, the exchange rates and the times."""
    rbm = prototype_rbm()
    p = exact_pv(rbm)
    model = HistogramChains(rbm)
    start = model.initial_state(n_chains, rng=seed)
    gibbs_state = {k: v.copy() for k, v in start.items()}
    pt_states = [{k: v.copy() for k, v in start.items()} for _ in ladder]
    g_rng, pt_rng = np.random.default_rng(seed + 1), np.random.default_rng(seed + 1)
    g_sum, pt_sum = np.zeros_like(p), np.zeros_like(p)
    rows, done, accepted, proposed = [], 0, 0, 0
    g_sec = pt_sec = 0.0
    floor_rng = np.random.default_rng(seed + 2)
    for n in checkpoints:
        seg = n - done
        t = time.perf_counter()
        g = block_gibbs(model, gibbs_state, temperature=1.0, max_sweeps=seg, rng=g_rng,
                        record_energy=False, average=True)
        g_sec += time.perf_counter() - t
        t = time.perf_counter()
        r = parallel_tempering(model, pt_states, ladder, n_sweeps=seg, rng=pt_rng, average=True)
        pt_sec += time.perf_counter() - t
        pt_states = r.states
        g_sum += g.mean * seg
        pt_sum += r.mean * seg
        accepted = accepted + r.acceptance * r.n_proposed
        proposed = proposed + r.n_proposed
        done = n
        iid = np.bincount(floor_rng.choice(p.size, size=n * n_chains, p=p), minlength=p.size)
        rows.append((n, 0.5 * np.abs(g_sum / n - p).sum(), 0.5 * np.abs(pt_sum / n - p).sum(),
                     0.5 * np.abs(iid / (n * n_chains) - p).sum()))
    return np.array(rows), accepted / proposed, g_sec, pt_sec


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="N = 10, 100 sweeps (a smoke run)")
    ap.add_argument("--chains", type=int, default=16)
    ap.add_argument("--replicas", type=int, default=8)
    ap.add_argument("--t-max", type=float, default=6.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("-o", "--output", default="parallel_tempering.png")
    args = ap.parse_args(argv)
    checkpoints = [10, 100] if args.quick else [100, 1000, 10000]
    ladder = args.t_max ** (np.arange(args.replicas) / (args.replicas - 1))
    rows, acc, g_sec, pt_sec = run(checkpoints, args.chains, ladder, args.seed)
    print(f"RBM V=12, H=3, three prototypes; {args.chains} chains, seed {args.seed}; "
          f"ladder ({args.replicas} replicas): {np.round(ladder, 3).tolist()}")
    print(f"exchange acceptance per adjacent pair: {np.round(acc, 3).tolist()}")
    print(f"{'sweeps':>8} {'TV Gibbs':>10} {'TV tempering':>13} {'iid floor':>10}")
    for n, tg, tp, tf in rows:
        print(f"{int(n):>8d} {tg:>10.3f} {tp:>13.3f} {tf:>10.3f}")
    print(f"time: Gibbs {g_sec:.1f} s, tempering {pt_sec:.1f} s")
    fig, ax = plt.subplots(figsize=(5.5, 4))
    ax.loglog(rows[:, 0], rows[:, 1], "o-", label="block Gibbs")
    ax.loglog(rows[:, 0], rows[:, 2], "s-", label=f"parallel tempering ({args.replicas} T)")
    ax.loglog(rows[:, 0], rows[:, 3], ":", color="grey", label="exact iid draws")
    ax.set_xlabel("sweeps at T = 1")
    ax.set_ylabel("TV(sample histogram, exact p(v))")
    ax.set_title(f"RBM 12x3, three modes, {args.chains} chains")
    ax.legend()
    fig.tight_layout()
    fig.savefig(args.output, dpi=120)
    plt.close(fig)
    return rows, acc


if __name__ == "__main__":
    main()
