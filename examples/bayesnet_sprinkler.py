"""The classic cloudy / sprinkler / rain / wet-grass Bayesian network, end to end.
===============================================================================

    python examples/bayesnet_sprinkler.py

1. builds the network (every CPD validated on construction),
2. prints the joint p(C, S, R, W) = p(C) p(S | C) p(R | C) p(W | S, R) as a table,
3. checks normalisation at every level: each CPD column sums to 1 (local), the joint sums to 1
   by eliminating the nodes in reverse topological order (global, as in the proof), and the
   explicit joint table sums to 1,
4. answers P(Rain | WetGrass = T) and P(Sprinkler | WetGrass = T) exactly (variable
   elimination and junction tree), and the most probable explanation (MAP),
5. compares 100,000 ancestral samples and 2,000 Gibbs chains (through the library's one
   block-Gibbs sampler) with the exact answers,
6. draws the network to ``bayesnet_sprinkler.png`` in the current directory (refusing to
   replace a file of that name that it did not write itself).
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import networkx as nx  # noqa: E402
import numpy as np  # noqa: E402

from energy.sampling import BayesNetGibbs, block_gibbs  # noqa: E402
from pgm import (BayesianNetwork, JunctionTree, TabularCPD,  # noqa: E402
                 VariableElimination, forward_sample, rejection_sample)

OUT = "bayesnet_sprinkler.png"
MARK = b"pgm-energy bayesnet_sprinkler example"


def build():
    tf = ["F", "T"]
    bn = BayesianNetwork([("Cloudy", "Sprinkler"), ("Cloudy", "Rain"),
                          ("Sprinkler", "WetGrass"), ("Rain", "WetGrass")])
    bn.add_cpds(
        TabularCPD("Cloudy", 2, [0.5, 0.5], state_names={"Cloudy": tf}),
        # columns: Cloudy = F, T
        TabularCPD("Sprinkler", 2, [[0.5, 0.9],
                                    [0.5, 0.1]], ["Cloudy"], [2],
                   state_names={"Sprinkler": tf, "Cloudy": tf}),
        TabularCPD("Rain", 2, [[0.8, 0.2],
                               [0.2, 0.8]], ["Cloudy"], [2],
                   state_names={"Rain": tf, "Cloudy": tf}),
        # columns: (S, R) = (F, F), (F, T), (T, F), (T, T)
        TabularCPD("WetGrass", 2, [[1.0, 0.1, 0.1, 0.01],
                                   [0.0, 0.9, 0.9, 0.99]], ["Sprinkler", "Rain"], [2, 2],
                   state_names={"WetGrass": tf, "Sprinkler": tf, "Rain": tf}),
    )
    bn.check_model()
    return bn


def save_plot(bn, path):
    if os.path.exists(path):
        with open(path, "rb") as fh:
            if MARK not in fh.read():
                raise FileExistsError(f"{path} exists and was not written by this example; "
                                      "move it away first")
    g = bn.to_networkx()
    pos = {"Cloudy": (0, 1), "Sprinkler": (-1, 0), "Rain": (1, 0), "WetGrass": (0, -1)}
    fig, ax = plt.subplots(figsize=(5, 4.5))
    nx.draw_networkx(g, pos, ax=ax, node_size=2600, node_color="#cfe3f7", edgecolors="#1f4e79",
                     arrowsize=22, font_size=9)
    ax.set_title("p(C) p(S|C) p(R|C) p(W|S,R)")
    ax.axis("off")
    ax.margins(0.2)
    tmp = path + ".tmp"
    fig.savefig(tmp, dpi=100, format="png", metadata={"Software": MARK.decode()})
    plt.close(fig)
    os.replace(tmp, path)


def main():
    bn = build()
    names = bn.state_names

    print("Joint p(Cloudy, Sprinkler, Rain, WetGrass):")
    J = bn.joint_factor().values
    for idx in np.ndindex(*J.shape):
        lab = ", ".join(f"{v}={names[v][i]}" for v, i in zip(bn.nodes, idx))
        print(f"  {lab:50s} {J[idx]:.4f}")

    rep = bn.check_normalization()
    print("\nNormalisation")
    print("  local  (max |column sum - 1| per CPD):",
          {v: f"{d:.1e}" for v, d in rep.local.items()})
    print("  global (reverse topological elimination):",
          " -> ".join(f"sum_{v} = 1 ± {d:.1e}" for v, d in rep.elimination),
          f"=> total {rep.global_sum:.15f}")
    print(f"  explicit joint table sums to {J.sum():.15f}; ok = {rep.ok}")
    assert rep.ok and abs(J.sum() - 1) < 1e-12

    ve = VariableElimination(bn)
    ev = {"WetGrass": "T"}
    p_rain = ve.query("Rain", ev).values
    p_spr = ve.query("Sprinkler", ev).values
    jt = JunctionTree(bn).marginals(ev)
    print("\nExact inference given WetGrass = T")
    print(f"  P(Rain = T | W = T)      = {p_rain[1]:.4f}   (junction tree {jt['Rain'][1]:.4f})")
    print(f"  P(Sprinkler = T | W = T) = {p_spr[1]:.4f}   (junction tree {jt['Sprinkler'][1]:.4f})")
    p_rs = ve.query("Rain", {"WetGrass": "T", "Sprinkler": "T"}).values
    print(f"  P(Rain = T | W = T, S = T) = {p_rs[1]:.4f}  (explaining away: lower than {p_rain[1]:.4f})")
    mpe, p = ve.map_query(ev, return_probability=True)
    print(f"  most probable explanation: {mpe}  (joint probability {p:.4f})")

    X = forward_sample(bn, 100_000, rng=0)
    ri = bn.nodes.index("Rain")
    wi = bn.nodes.index("WetGrass")
    exact_rain = ve.query("Rain").values[1]
    print("\nSampling (100,000 ancestral samples, seed 0)")
    print(f"  P(Rain = T): sampled {X[:, ri].mean():.4f}, exact {exact_rain:.4f}")
    wet = X[:, wi] == 1
    print(f"  P(Rain = T | W = T) from the {wet.sum()} wet rows: {X[wet, ri].mean():.4f}, "
          f"exact {p_rain[1]:.4f}")
    Xr = rejection_sample(bn, 20_000, ev, rng=1)
    print(f"  rejection sampling, 20,000 rows: {Xr[:, ri].mean():.4f}")
    g = BayesNetGibbs(bn, ev, n_chains=2000, rng=2)      # through the one sampler
    res = block_gibbs(g, g.initial_state(), temperature=1.0, max_sweeps=200, burn_in=20,
                      average=True, rng=3, record_energy=False)
    m = g.marginals_from(res.mean)
    print(f"  Gibbs (2,000 chains x 180 sweeps averaged): P(Rain = T | W = T) = {m['Rain'][1]:.4f}")

    save_plot(bn, OUT)
    print(f"\nwrote {OUT}")


if __name__ == "__main__":
    main()
