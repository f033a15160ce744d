"""Markov networks: construction checks, graphs, moralisation, and exact inference through
the same engines as Bayesian networks, against brute-force enumeration in numpy."""

import math
import string

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from pgm import (DiscreteFactor, ImpossibleEvidenceError, JunctionTree, MarkovNetwork,
                 TableTooLargeError, VariableElimination)

from ._bn_helpers import random_bn


def brute(mn, evidence=None):
    """Unnormalised joint over mn.variables (einsum of every factor), evidence as indices
    applied by zeroing the other states."""
    vs = mn.variables
    pos = {v: k for k, v in enumerate(vs)}
    args = []
    for f in mn.factors:
        args += [f.values, [pos[u] for u in f.variables]]
    J = np.einsum(*args, list(range(len(vs))))
    for v, k in (evidence or {}).items():
        mask = np.zeros(mn.cardinality[v])
        mask[k] = 1.0
        J = J * mask.reshape([-1 if u == v else 1 for u in vs])
    return J


def brute_marginal(mn, v, evidence=None):
    J = brute(mn, evidence)
    m = J.sum(axis=tuple(k for k, u in enumerate(mn.variables) if u != v))
    return m / m.sum()


def random_mn(seed, n_vars, n_factors, max_arity=3, zeros=False):
    rng = np.random.default_rng(seed)
    names = list(string.ascii_uppercase[:n_vars])
    cards = {v: int(rng.integers(2, 4)) for v in names}
    fs = []
    for _ in range(n_factors):
        k = int(rng.integers(1, min(max_arity, n_vars) + 1))
        sc = list(rng.choice(names, size=k, replace=False))
        t = rng.gamma(1.0, size=[cards[u] for u in sc]) + (0.0 if zeros else 0.05)
        if zeros:
            t[rng.random(t.shape) < 0.2] = 0.0
            t.flat[0] = 1.0
        fs.append(DiscreteFactor(sc, t))
    # every variable in some factor
    for v in names:
        fs.append(DiscreteFactor([v], rng.random(cards[v]) + 0.1))
    return MarkovNetwork(fs)


# ---------------------------------------------------------------- construction and checks
def test_attributes_and_default_state_names():
    mn = MarkovNetwork([DiscreteFactor(["B", "A"], np.ones((3, 2))),
                        DiscreteFactor(["C"], [1.0, 2.0])], state_names={"C": ["lo", "hi"]})
    assert mn.variables == ["B", "A", "C"]
    assert mn.cardinality == {"B": 3, "A": 2, "C": 2}
    assert mn.state_names == {"B": [0, 1, 2], "A": [0, 1], "C": ["lo", "hi"]}
    assert isinstance(mn.factors, tuple) and len(mn.factors) == 2
    assert mn.check_model()
    assert mn.encode_evidence({"C": "hi", "B": 2}) == {"C": 1, "B": 2}


def test_factors_are_copied_and_frozen():
    vals = np.array([1.0, 2.0])
    f = DiscreteFactor(["A"], vals, copy=False)
    mn = MarkovNetwork([f])
    vals[0] = 100.0
    assert mn.factors[0].values.tolist() == [1.0, 2.0]
    with pytest.raises(ValueError):
        mn.factors[0].values[0] = 5.0


@pytest.mark.parametrize("bad, msg", [
    (np.array([1.0, -0.5]), r"factors\[1\]: entries must be >= 0, found -0.5 at index \(1,\)"),
    (np.array([1.0, np.nan]), r"factors\[1\]: entries must be finite, found nan"),
    (np.array([np.inf, 1.0]), r"factors\[1\]: entries must be finite, found inf"),
    (np.array([0.0, 0.0]), r"factors\[1\]: every entry is 0"),
])
def test_bad_entries_are_refused_naming_the_factor(bad, msg):
    # built unchecked, as a caller that edits a table in place could
    f = DiscreteFactor(["B"], bad, copy=False, validate=False)
    with pytest.raises(ValueError, match=msg):
        MarkovNetwork([DiscreteFactor(["A"], [1.0, 1.0]), f])


def test_cardinality_mismatch_names_both_factors():
    with pytest.raises(ValueError, match=r"factors\[2\]: variable 'A' has 3 states here but 2 "
                                         r"in factors\[0\]"):
        MarkovNetwork([DiscreteFactor(["A", "B"], np.ones((2, 2))),
                       DiscreteFactor(["B"], [1.0, 1.0]),
                       DiscreteFactor(["A"], [1.0, 1.0, 1.0])])
    mn = MarkovNetwork([DiscreteFactor(["A"], [1.0, 1.0])])
    with pytest.raises(ValueError, match="factor: variable 'A' has 3 states"):
        mn.add_factor(DiscreteFactor(["A"], [1.0, 1.0, 1.0]))
    assert len(mn.factors) == 1  # refused: nothing added


def test_state_names_errors():
    fs = [DiscreteFactor(["A"], [1.0, 1.0])]
    with pytest.raises(ValueError, match=r"state_names: 'Z' is not a variable of any factor"):
        MarkovNetwork(fs, state_names={"Z": [0, 1]})
    with pytest.raises(ValueError, match=r"state_names\['A'\]: 3 names for a variable with 2"):
        MarkovNetwork(fs, state_names={"A": ["x", "y", "z"]})
    with pytest.raises(ValueError, match="distinct"):
        MarkovNetwork(fs, state_names={"A": ["x", "x"]})
    with pytest.raises(TypeError, match="state_names"):
        MarkovNetwork(fs, state_names=[("A", [0, 1])])


def test_other_refusals():
    with pytest.raises(TypeError, match=r"factors\[0\]: expected a pgm.DiscreteFactor, got ndarray"):
        MarkovNetwork([np.ones(2)])
    with pytest.raises(ValueError, match=r"factors\[0\]: a factor needs at least one variable"):
        MarkovNetwork([DiscreteFactor([], 2.0)])
    with pytest.raises(ValueError, match="no factor"):
        MarkovNetwork([]).check_model()
    mn = MarkovNetwork([DiscreteFactor(["A"], [1.0, 1.0])], state_names={"A": ["no", "yes"]})
    with pytest.raises(ValueError, match="'maybe' is not a state of 'A'"):
        mn.encode_evidence({"A": "maybe"})
    with pytest.raises(ValueError, match="'Q' is not a variable"):
        mn.encode_evidence({"Q": 0})
    with pytest.raises(ValueError, match="boolean"):
        MarkovNetwork([DiscreteFactor(["A"], [1.0, 1.0])]).encode_evidence({"A": True})
    with pytest.raises(ValueError, match="method"):
        mn.log_partition_function(method="bp")


# ---------------------------------------------------------------- graphs
def test_markov_graph_and_factor_graph():
    mn = MarkovNetwork([DiscreteFactor(["A", "B", "C"], np.ones((2, 2, 2))),
                        DiscreteFactor(["C", "D"], np.ones((2, 3))),
                        DiscreteFactor(["E"], [1.0, 1.0])])
    g = mn.to_networkx()
    assert set(g.nodes) == {"A", "B", "C", "D", "E"}
    assert {frozenset(e) for e in g.edges} == {frozenset(p) for p in
                                               ["AB", "AC", "BC", "CD"]}
    assert g.nodes["D"]["cardinality"] == 3
    fg = mn.factor_graph()
    assert nx.is_bipartite(fg)
    assert fg.number_of_nodes() == 5 + 3 and fg.number_of_edges() == 3 + 2 + 1
    assert {n for n, d in fg.nodes(data=True) if d["bipartite"] == 1} == {
        ("factor", 0), ("factor", 1), ("factor", 2)}
    assert set(fg.neighbors(("factor", 1))) == {"C", "D"}


# ---------------------------------------------------------------- moralisation
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_bayesian_network_moralised(seed):
    bn = random_bn(seed, 7, max_parents=3, max_card=3, named_states=seed == 1)
    mn = bn.to_markov_network()
    assert len(mn.factors) == len(bn.nodes)
    assert nx.utils.graphs_equal(mn.to_networkx(), bn.moral_graph()) or (
        {frozenset(e) for e in mn.to_networkx().edges}
        == {frozenset(e) for e in bn.moral_graph().edges})
    assert set(mn.to_networkx().nodes) == set(bn.nodes)
    assert mn.state_names == {v: list(s) for v, s in bn.state_names.items()}
    assert abs(mn.log_partition_function()) < 1e-12
    v = bn.nodes[0]
    ev = {bn.nodes[-1]: bn.state_names[bn.nodes[-1]][1]}
    jt_bn, jt_mn = JunctionTree(bn), JunctionTree(mn)
    assert jt_mn.log_partition_function(ev) == pytest.approx(jt_bn.log_evidence(ev), abs=1e-12)
    for u, p in jt_bn.marginals(ev).items():
        np.testing.assert_allclose(jt_mn.marginals(ev)[u], p, atol=1e-12)
    np.testing.assert_allclose(VariableElimination(mn).query(v, ev).values,
                               VariableElimination(bn).query(v, ev).values, atol=1e-12)
    assert VariableElimination(mn).map_query(ev) == VariableElimination(bn).map_query(ev)


# ---------------------------------------------------------------- exact inference on MNs
@pytest.mark.parametrize("seed", range(4))
def test_engines_against_brute_force(seed):
    mn = random_mn(seed, 6, 6, zeros=seed % 2 == 1)
    J = brute(mn)
    assert mn.partition_function() == pytest.approx(J.sum(), rel=1e-12)
    assert mn.log_partition_function(method="junction_tree") == pytest.approx(
        math.log(J.sum()), abs=1e-12)
    jt, ve = JunctionTree(mn), VariableElimination(mn)
    v0 = mn.variables[0]
    ev = {v0: int(np.unravel_index(np.argmax(J), J.shape)[0])}
    Je = brute(mn, ev)
    assert jt.log_partition_function(ev) == pytest.approx(math.log(Je.sum()), abs=1e-12)
    assert ve.log_partition_function(ev) == pytest.approx(math.log(Je.sum()), abs=1e-12)
    m_fused = jt.marginals(ev)
    beliefs, lz = jt.calibrate(ev)  # the numpy reference calibration
    assert lz == pytest.approx(math.log(Je.sum()), abs=1e-12)
    for v in mn.variables[1:]:
        exact = brute_marginal(mn, v, ev)
        np.testing.assert_allclose(m_fused[v], exact, atol=1e-12)
        np.testing.assert_allclose(ve.query(v, ev).values, exact, atol=1e-12)
    # a joint query
    a, b = mn.variables[1], mn.variables[2]
    Jab = Je.sum(axis=tuple(k for k, u in enumerate(mn.variables) if u not in (a, b)))
    np.testing.assert_allclose(ve.query([a, b], ev).values, Jab / Jab.sum(), atol=1e-12)
    # MAP: the brute-force argmax, and its probability normalised by Z
    assign, p = ve.map_query(return_probability=True)
    idx = tuple(mn.state_names[u].index(assign[u]) for u in mn.variables)
    assert J[idx] == pytest.approx(J.max(), rel=1e-12)
    assert p == pytest.approx(J.max() / J.sum(), rel=1e-10)


def test_map_query_with_state_names_and_evidence():
    mn = MarkovNetwork([DiscreteFactor(["A", "B"], [[1.0, 5.0], [2.0, 1.0]]),
                        DiscreteFactor(["B"], [1.0, 3.0])], state_names={"B": ["lo", "hi"]})
    assert VariableElimination(mn).map_query() == {"A": 0, "B": "hi"}
    assert VariableElimination(mn).map_query({"B": "lo"}) == {"A": 1}


def test_engines_notice_added_factors():
    mn = MarkovNetwork([DiscreteFactor(["A", "B"], [[1.0, 1.0], [1.0, 1.0]])])
    jt, ve = JunctionTree(mn), VariableElimination(mn)
    np.testing.assert_allclose(jt.marginals()["A"], [0.5, 0.5])
    mn.add_factor(DiscreteFactor(["B", "C"], [[3.0, 1.0], [1.0, 1.0]]))
    mn.add_factor(DiscreteFactor(["A", "C"], [[1.0, 0.0], [1.0, 1.0]]))
    exact = brute_marginal(mn, "A")
    np.testing.assert_allclose(jt.marginals()["A"], exact, atol=1e-12)
    np.testing.assert_allclose(ve.query("A").values, exact, atol=1e-12)


def test_no_overflow_on_a_long_chain():
    # Z = 2 (a + b)^(n-1) for the chain of [[a, b], [b, a]] factors; the product overflows
    n, a, b = 400, math.exp(5.0), math.exp(-5.0)
    t = [[a, b], [b, a]]
    mn = MarkovNetwork([DiscreteFactor([i, i + 1], t) for i in range(n - 1)])
    expect = math.log(2) + (n - 1) * math.log(a + b)
    assert expect > 1000  # far beyond float64 as a plain number
    assert mn.log_partition_function() == pytest.approx(expect, rel=1e-12)
    assert mn.log_partition_function(method="junction_tree") == pytest.approx(expect, rel=1e-12)
    assert mn.partition_function() == math.inf
    np.testing.assert_allclose(VariableElimination(mn).query(0, {n - 1: 1}).values,
                               JunctionTree(mn).marginals({n - 1: 1})[0], atol=1e-12)


def test_zero_probability_evidence_and_zero_Z():
    mn = MarkovNetwork([DiscreteFactor(["A", "B"], [[1.0, 0.0], [0.0, 1.0]]),
                        DiscreteFactor(["C", "D"], [[1.0, 0.0], [0.0, 1.0]])])
    with pytest.raises(ImpossibleEvidenceError):
        VariableElimination(mn).query("A", {"B": 1, "C": 0, "D": 1})  # C, D set aside
    with pytest.raises(ImpossibleEvidenceError):
        JunctionTree(mn).marginals({"C": 0, "D": 1})
    with pytest.raises(ImpossibleEvidenceError):
        VariableElimination(mn).map_query({"C": 0, "D": 1})
    assert VariableElimination(mn).log_partition_function({"C": 0, "D": 1}) == -math.inf
    assert JunctionTree(mn).log_partition_function({"C": 0, "D": 1}) == -math.inf


def test_zero_partition_function_is_named():
    mn = MarkovNetwork([DiscreteFactor(["A"], [1.0, 0.0]), DiscreteFactor(["A", "B"],
                                                                         [[0.0, 0.0], [1.0, 1.0]])])
    for call in (lambda: JunctionTree(mn).marginals(), lambda: VariableElimination(mn).query("B"),
                 lambda: VariableElimination(mn).map_query()):
        with pytest.raises(ImpossibleEvidenceError, match=r"Z = 0"):
            call()
    assert mn.log_partition_function() == -math.inf


def test_table_guard_points_to_loopy_bp():
    mn = MarkovNetwork([DiscreteFactor([i, (i + 1) % 12, (i + 5) % 12], np.ones((3, 3, 3)))
                        for i in range(12)])
    with pytest.raises(TableTooLargeError, match="LoopyBP"):
        JunctionTree(mn, max_table_entries=50)
    with pytest.raises(TableTooLargeError, match="LoopyBP"):
        VariableElimination(mn, max_table_entries=50).query(0)


def test_engine_refuses_other_models():
    with pytest.raises(TypeError, match="BayesianNetwork or a MarkovNetwork"):
        JunctionTree([DiscreteFactor(["A"], [1.0, 1.0])])


# ---------------------------------------------------------------- property test
@st.composite
def small_networks(draw):
    n = draw(st.integers(2, 5))
    names = [f"V{i}" for i in range(n)]
    cards = {v: draw(st.integers(2, 3)) for v in names}
    n_f = draw(st.integers(1, 5))
    fs = []
    for _ in range(n_f):
        sc = draw(st.lists(st.sampled_from(names), min_size=1, max_size=3, unique=True))
        size = math.prod(cards[u] for u in sc)
        vals = draw(st.lists(st.one_of(st.just(0.0), st.floats(1e-3, 10.0)), min_size=size,
                             max_size=size))
        if not any(vals):
            vals[0] = 1.0
        fs.append(DiscreteFactor(sc, np.reshape(vals, [cards[u] for u in sc])))
    seen = {u for f in fs for u in f.variables}
    for v in names:
        if v not in seen:  # every variable in some factor
            fs.append(DiscreteFactor([v], np.full(cards[v], 0.5)))
    return MarkovNetwork(fs)


@settings(max_examples=40, deadline=None)
@given(small_networks(), st.integers(0, 2 ** 31 - 1))
def test_partition_function_and_marginals_property(mn, seed):
    J = brute(mn)
    Z = J.sum()
    lz_ve = VariableElimination(mn).log_partition_function()
    lz_jt = JunctionTree(mn).log_partition_function()
    if Z == 0:
        assert lz_ve == -math.inf and lz_jt == -math.inf
        return
    assert lz_ve == pytest.approx(math.log(Z), abs=1e-9)
    assert lz_jt == pytest.approx(math.log(Z), abs=1e-9)
    m = JunctionTree(mn).marginals()
    ve = VariableElimination(mn)
    for v in mn.variables:
        exact = brute_marginal(mn, v)
        assert m[v].sum() == pytest.approx(1.0) and (m[v] >= 0).all()
        np.testing.assert_allclose(m[v], exact, atol=1e-9)
        np.testing.assert_allclose(ve.query(v).values, exact, atol=1e-9)
    # with evidence on one variable, at a state of positive probability
    rng = np.random.default_rng(seed)
    v0 = mn.variables[int(rng.integers(len(mn.variables)))]
    p0 = brute_marginal(mn, v0)
    k = int(rng.choice(np.flatnonzero(p0 > 0)))
    for v in mn.variables:
        if v != v0:
            np.testing.assert_allclose(JunctionTree(mn).marginals({v0: k})[v],
                                       brute_marginal(mn, v, {v0: k}), atol=1e-9)
