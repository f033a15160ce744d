"""Junction tree: marginals and log P(e) vs brute force (with zeros), forests, heuristics."""

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from pgm import (BayesianNetwork, ImpossibleEvidenceError, JunctionTree, TabularCPD,
                 VariableElimination)

from tests.pgm._bn_helpers import (brute_conditional, brute_joint, dense_bn, networks, random_bn,
                                   random_query, with_zeros)


@settings(max_examples=200, deadline=None)
@given(networks, st.integers(0, 2**32 - 1))
def test_junction_tree_marginals_and_evidence_equal_brute_force(p, qseed):
    bn = random_bn(*p)
    _, ev = random_query(bn, qseed)
    jt = JunctionTree(bn)
    m = jt.marginals(ev)
    assert set(m) == set(bn.nodes) - set(ev)
    for v, dist in m.items():
        np.testing.assert_allclose(dist, brute_conditional(bn, [v], ev), atol=1e-10)
    J = brute_joint(bn)
    pe = J[tuple(ev.get(v, slice(None)) for v in bn.nodes)].sum()
    assert jt.log_evidence(ev) == pytest.approx(np.log(pe), abs=1e-9)
    beliefs, _ = jt.calibrate(ev)
    assert all(b.sum() == pytest.approx(1.0, abs=1e-9) for b in beliefs)
    # a clique forest with the running-intersection property covering every family
    T = jt.to_networkx()
    assert nx.is_forest(T)
    for v in bn.nodes:
        holding = [i for i, cl in enumerate(jt.cliques) if v in cl]
        assert holding and nx.is_connected(T.subgraph(holding))
        fam = {v, *bn.parents(v)}
        assert any(fam <= set(cl) for cl in jt.cliques)
    assert all(not set(a) < set(b) for a in jt.cliques for b in jt.cliques)  # all maximal


def test_impossible_evidence_in_another_tree_of_the_forest_is_caught():
    bn = BayesianNetwork([("A", "B"), ("C", "D")])
    bn.add_cpds(TabularCPD("A", 2, [0.5, 0.5]), TabularCPD("C", 2, [0.5, 0.5]),
                TabularCPD("B", 2, [[0.3, 0.6], [0.7, 0.4]], ["A"], [2]),
                TabularCPD("D", 2, [[1.0, 1.0], [0.0, 0.0]], ["C"], [2]))
    jt = JunctionTree(bn)
    with pytest.raises(ImpossibleEvidenceError):
        jt.marginals({"B": 1, "D": 1}, variables=["A"])
    np.testing.assert_allclose(jt.marginals({"B": 1, "D": 0}, variables=["A"])["A"],
                               [0.7 / 1.1, 0.4 / 1.1])


@pytest.mark.parametrize("seed", [0, 1])
def test_junction_tree_heuristics_agree_and_auto_keeps_the_smaller_tree(seed):
    bn = dense_bn(seed, 28)
    x = bn.sample(1, rng=seed)[0]
    ev = {bn.nodes[5]: int(x[5]), bn.nodes[20]: int(x[20])}
    trees = {h: JunctionTree(bn, elimination_order=h)
             for h in ("auto", "min_fill", "min_weight", "min_degree")}
    size = {h: sum(p.size for p in jt._pots) for h, jt in trees.items()}
    assert size["auto"] <= size["min_fill"]
    ref = trees["min_fill"].marginals(ev)
    ve = VariableElimination(bn)
    for h, jt in trees.items():
        m = jt.marginals(ev)
        for v in bn.nodes[::5]:
            if v not in ev:
                np.testing.assert_allclose(m[v], ref[v], atol=1e-10)
    for v in bn.nodes[::7]:
        if v not in ev:
            np.testing.assert_allclose(ref[v], ve.query(v, ev).values, atol=1e-10)


@settings(max_examples=300, deadline=None)
@given(st.tuples(st.integers(0, 2**32 - 1), st.integers(1, 9)), st.integers(0, 2**32 - 1),
       st.booleans())
def test_junction_tree_fused_calibration_with_zeros_equals_brute_force(p, qseed, zeros):
    # the numba calibration (marginals, log_evidence) on CPDs with many zeros and any evidence,
    # possible or not: exact marginals, log P(e), an error exactly when P(e) = 0; a requested
    # subset of variables gives the same marginals; the numpy calibration agrees
    rng = np.random.default_rng(qseed)
    bn = with_zeros(random_bn(*p, max_card=3 + int(rng.integers(0, 3))), rng) if zeros \
        else random_bn(*p)
    nodes = list(bn.nodes)
    ev = {v: int(rng.integers(bn.get_cpd(v).cardinality)) for v in nodes if rng.random() < 0.4}
    if rng.random() < 0.5:  # evidence of positive probability too
        x = bn.sample(1, rng=rng)[0]
        ev = {v: int(x[nodes.index(v)]) for v in ev}
    rest = [v for v in nodes if v not in ev]
    J = brute_joint(bn)
    pe = J[tuple(ev.get(v, slice(None)) for v in nodes)].sum()
    jt = JunctionTree(bn)
    if not pe > 0:
        with pytest.raises(ImpossibleEvidenceError, match="probability zero"):
            jt.marginals(ev)
        with pytest.raises(ImpossibleEvidenceError):
            jt.log_evidence(ev)
        return
    m = jt.marginals(ev)
    assert set(m) == set(rest)
    for v in rest:
        np.testing.assert_allclose(m[v], brute_conditional(bn, [v], ev), atol=1e-10)
        assert np.all(m[v] >= 0)
    assert jt.log_evidence(ev) == pytest.approx(np.log(pe), abs=1e-9)
    if rest:
        sub = list(rng.choice(rest, size=int(rng.integers(1, len(rest) + 1)), replace=False))
        ms = jt.marginals(ev, variables=sub)
        assert list(ms) == sub
        for v in sub:
            np.testing.assert_allclose(ms[v], m[v], atol=1e-12)
    beliefs, lz = jt.calibrate(ev)
    assert lz == pytest.approx(jt.log_evidence(ev), abs=1e-9)
    for v in rest:
        i, axes, _ = jt._home[v]
        b = beliefs[i].sum(axis=axes) if axes else beliefs[i]
        np.testing.assert_allclose(b / b.sum(), m[v], atol=1e-12)
