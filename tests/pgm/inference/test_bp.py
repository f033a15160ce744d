"""Loopy belief propagation: exact on trees (against the junction tree), close on small loopy
grids, damping converging where the undamped parallel schedule oscillates."""

import math

import networkx as nx
import numpy as np
import pytest

from pgm import (BayesianNetwork, DiscreteFactor, ImpossibleEvidenceError, JunctionTree,
                 LoopyBP, MarkovNetwork, TabularCPD, VariableElimination)
from pgm.inference import BPReport


def random_tree_mn(seed, n=8):
    """Pairwise factors on a random tree, unary factors, and one 3-ary factor on a leaf pair
    of new variables (the factor graph stays a tree)."""
    rng = np.random.default_rng(seed)
    tree = nx.random_labeled_tree(n, seed=seed) if hasattr(nx, "random_labeled_tree") \
        else nx.random_tree(n, seed=seed)
    cards = {v: int(rng.integers(2, 4)) for v in range(n)}
    cards.update({"x": 2, "y": 3})
    fs = [DiscreteFactor([u, v], rng.gamma(1.0, size=(cards[u], cards[v])) + 0.05)
          for u, v in tree.edges]
    fs += [DiscreteFactor([v], rng.random(cards[v]) + 0.1) for v in range(0, n, 2)]
    fs.append(DiscreteFactor([0, "x", "y"], rng.gamma(1.0, size=(cards[0], 2, 3)) + 0.05))
    return MarkovNetwork(fs)


def grid_mn(n, m, coupling, field, seed):
    rng = np.random.default_rng(seed)
    fs = []
    for i in range(n):
        for j in range(m):
            fs.append(DiscreteFactor([(i, j)], np.exp(field * rng.uniform(-1, 1) * np.array([-1, 1]))))
            for di, dj in ((0, 1), (1, 0)):
                if i + di < n and j + dj < m:
                    c = coupling * rng.uniform(-1, 1)
                    fs.append(DiscreteFactor([(i, j), (i + di, j + dj)],
                                             np.exp(c * np.array([[1, -1], [-1, 1]]))))
    return MarkovNetwork(fs)


@pytest.mark.parametrize("schedule", ["parallel", "sequential"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_exact_on_trees(seed, schedule):
    mn = random_tree_mn(seed)
    jt, ve = JunctionTree(mn), VariableElimination(mn)
    bp = LoopyBP(mn, tol=1e-13, max_iter=100, schedule=schedule)
    for ev in (None, {3: 1, "y": 2}):
        rep = bp.run(ev)
        assert isinstance(rep, BPReport) and rep.converged and rep.mode == "sum"
        exact = jt.marginals(ev)
        approx = bp.marginals(evidence=ev)
        assert set(approx) == set(exact)
        err = max(np.abs(approx[v] - exact[v]).max() for v in exact)
        assert err < 1e-10
        # the Bethe free energy is exact on a tree
        assert bp.log_partition_function(ev) == pytest.approx(
            jt.log_partition_function(ev), abs=1e-10)
        assert bp.map_query(ev) == ve.map_query(ev)
    assert bp.report_.mode == "max"


def test_bayesian_network_polytree():
    bn = BayesianNetwork([("A", "C"), ("B", "C"), ("C", "D")])
    bn.add_cpds(TabularCPD("A", 2, [0.3, 0.7]), TabularCPD("B", 3, [0.2, 0.5, 0.3]),
                TabularCPD("C", 2, [[0.9, 0.5, 0.4, 0.6, 0.2, 0.1],
                                    [0.1, 0.5, 0.6, 0.4, 0.8, 0.9]], ["A", "B"], [2, 3]),
                TabularCPD("D", 2, [[0.7, 0.1], [0.3, 0.9]], ["C"], [2],
                           state_names={"D": ["no", "yes"]}))
    bp = LoopyBP(bn, tol=1e-13)
    exact = JunctionTree(bn).marginals({"D": "yes"})
    got = bp.marginals({"D": "yes"}, ["A", "B", "C"])
    for v in exact:
        np.testing.assert_allclose(got[v], exact[v], atol=1e-10)
    assert bp.log_partition_function({"D": "yes"}) == pytest.approx(
        JunctionTree(bn).log_evidence({"D": "yes"}), abs=1e-10)
    # the model changed: noticed
    bn.add_cpds(TabularCPD("A", 2, [0.9, 0.1]))
    np.testing.assert_allclose(bp.marginals({"D": "yes"}, ["A"])["A"],
                               JunctionTree(bn).marginals({"D": "yes"})["A"], atol=1e-10)


@pytest.mark.parametrize("coupling", [0.25, 0.5])
def test_close_on_small_loopy_grids(coupling):
    mn = grid_mn(3, 3, coupling, 0.5, seed=1)
    exact = JunctionTree(mn).marginals()
    bp = LoopyBP(mn)
    assert bp.run().converged
    approx = bp.marginals()
    err = max(np.abs(approx[v] - exact[v]).max() for v in exact)
    print(f"3x3 grid, couplings U(-{coupling}, {coupling}): max marginal error {err:.2e}")
    assert 0 < err < 1e-2  # loopy: not exact, but close at weak coupling


def frustrated_triangle():
    """Antiferromagnetic triangle (coupling 3) with a field on one spin."""
    fs = [DiscreteFactor([k, (k + 1) % 3], np.exp(3.0 * np.array([[-1, 1], [1, -1]])))
          for k in range(3)]
    return MarkovNetwork(fs + [DiscreteFactor([0], [1.0, 2.0])])


def test_damping_converges_on_a_frustrated_case():
    mn = frustrated_triangle()
    plain = LoopyBP(mn, max_iter=500).run()
    assert not plain.converged and plain.max_change > 1e-3  # the parallel schedule oscillates
    bp = LoopyBP(mn, damping=0.5, max_iter=500)
    rep = bp.run()
    assert rep.converged and rep.iterations < 500
    with pytest.warns(RuntimeWarning, match="no convergence"):
        LoopyBP(mn, max_iter=50).marginals()
    m = bp.marginals()
    for p in m.values():
        assert p.sum() == pytest.approx(1.0) and (p >= 0).all()


def test_evidence_and_errors():
    mn = MarkovNetwork([DiscreteFactor(["A", "B"], [[1.0, 0.0], [0.0, 1.0]]),
                        DiscreteFactor(["C"], [1.0, 1.0])], state_names={"C": ["c0", "c1"]})
    bp = LoopyBP(mn)
    assert bp.marginals({"A": 1}, ["B"])["B"].tolist() == [0.0, 1.0]
    assert bp.map_query({"A": 1}) == {"B": 1, "C": "c0"}
    with pytest.raises(ValueError, match="'A' is also an evidence variable"):
        bp.marginals({"A": 1}, ["A"])
    with pytest.raises(ValueError, match="not a variable"):
        bp.marginals(variables=["Z"])
    with pytest.raises(ImpossibleEvidenceError):
        LoopyBP(MarkovNetwork([DiscreteFactor(["A", "B"], [[1.0, 0.0], [0.0, 1.0]])])).run(
            {"A": 0, "B": 1})
    with pytest.raises(TypeError, match="MarkovNetwork or a BayesianNetwork"):
        LoopyBP("model")
    with pytest.raises(ValueError, match="damping"):
        LoopyBP(mn, damping=1.0)
    with pytest.raises(ValueError, match="schedule"):
        LoopyBP(mn, schedule="random")
    with pytest.raises(ValueError, match="mode"):
        bp.run(mode="min")
    with pytest.raises(ValueError, match="max_iter"):
        LoopyBP(mn, max_iter=0)


def test_all_variables_observed():
    mn = MarkovNetwork([DiscreteFactor(["A", "B"], [[1.0, 2.0], [3.0, 4.0]])])
    bp = LoopyBP(mn)
    assert bp.marginals(evidence={"A": 1, "B": 0}) == {}
    assert bp.log_partition_function({"A": 1, "B": 0}) == pytest.approx(math.log(3.0))
