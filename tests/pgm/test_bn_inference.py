"""Bayesian networks: model checks, joint and normalisation, VE / junction tree / MAP vs brute force."""

import itertools

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from pgm import (BayesianNetwork, ImpossibleEvidenceError, JunctionTree, TabularCPD,
                 VariableElimination)

from tests.pgm._bn_helpers import brute_conditional, brute_joint, networks, random_bn, sprinkler


# ---------------------------------------------------------------- model checks
def test_cpd_for_unknown_node_and_wrong_parents():
    bn = BayesianNetwork([("A", "B")])
    with pytest.raises(ValueError, match="CPD for 'C', which is not a node"):
        bn.add_cpds(TabularCPD("C", 2, [0.5, 0.5]))
    with pytest.raises(ValueError, match=r"CPD of 'B' has parents \[\] but the DAG gives \['A'\]"):
        bn.add_cpds(TabularCPD("B", 2, [0.5, 0.5]))
    with pytest.raises(TypeError, match="TabularCPD"):
        bn.add_cpds("not a cpd")


def test_check_model_names_missing_cpd_and_cardinality_mismatch():
    bn = BayesianNetwork([("A", "B")])
    bn.add_cpds(TabularCPD("A", 3, [0.2, 0.3, 0.5]))
    with pytest.raises(ValueError, match="node 'B' has no CPD"):
        bn.check_model()
    with pytest.raises(ValueError, match="node 'B' has no CPD"):
        VariableElimination(bn)
    with pytest.raises(ValueError, match="gives parent 'A' 2 states but the CPD of 'A' has 3"):
        bn.add_cpds(TabularCPD("B", 2, [[0.5, 0.5], [0.5, 0.5]], ["A"], [2]))
    bn.add_cpds(TabularCPD("B", 2, [[0.5, 0.5, 0.1], [0.5, 0.5, 0.9]], ["A"], [3]))
    with pytest.raises(ValueError, match="CPD of 'A' has 2 states but the CPD of its child 'B' expects 3"):
        bn.add_cpds(TabularCPD("A", 2, [0.5, 0.5]))
    # replacing both together is fine
    bn.add_cpds(TabularCPD("A", 2, [0.5, 0.5]), TabularCPD("B", 2, [[0.5, 0.5], [0.5, 0.5]], ["A"], [2]))
    assert bn.check_model()


def test_state_names_must_agree():
    bn = BayesianNetwork([("A", "B")])
    bn.add_cpds(TabularCPD("A", 2, [0.5, 0.5], state_names={"A": ["x", "y"]}),
                TabularCPD("B", 2, [[0.5, 0.5], [0.5, 0.5]], ["A"], [2],
                           state_names={"A": ["y", "x"]}))
    with pytest.raises(ValueError, match="state names of 'A' differ"):
        bn.check_model()


@settings(max_examples=100, deadline=None)
@given(networks)
def test_joint_sums_to_one_and_matches_brute_force(p):
    bn = random_bn(*p)
    J = brute_joint(bn)
    assert J.sum() == pytest.approx(1.0, abs=1e-12)
    f = bn.joint_factor()
    assert f.variables == bn.nodes
    np.testing.assert_allclose(f.values, J, rtol=1e-12, atol=1e-15)
    rep = bn.check_normalization()
    assert rep.ok and rep.global_sum == pytest.approx(1.0, abs=1e-12)
    assert [v for v, _ in rep.elimination] == bn.topological_order()[::-1]
    assert max(rep.local.values()) < 1e-12


@settings(max_examples=30, deadline=None)
@given(networks)
def test_log_prob_matches_brute_force_on_all_rows(p):
    bn = random_bn(*p)
    J = brute_joint(bn)
    rows = np.array(list(itertools.product(*[range(c) for c in J.shape])))[:500]
    np.testing.assert_allclose(bn.log_prob(rows), np.log(J[tuple(rows.T)]), rtol=1e-10)


def test_log_prob_bad_rows():
    bn = sprinkler()
    with pytest.raises(ValueError, match="column 'Rain' holds state index 2, expected 0..1"):
        bn.log_prob(np.array([[0, 0, 2, 0]]))
    with pytest.raises(ValueError, match=r"shape \(n_samples, 4\)"):
        bn.log_prob(np.zeros((3, 2), dtype=int))
    assert bn.log_prob({"Cloudy": ["T"], "Sprinkler": ["F"], "Rain": ["T"], "WetGrass": ["T"]})[0] \
        == pytest.approx(np.log(0.5 * 0.9 * 0.8 * 0.9))


def test_normalization_check_names_the_failing_node():
    bn = BayesianNetwork([("A", "B")])
    bn.add_cpds(TabularCPD("A", 2, [0.5, 0.5]),
                # accepted only because its own tolerance was loosened to 0.1
                TabularCPD("B", 2, [[0.5, 0.5], [0.55, 0.5]], ["A"], [2], atol=0.1))
    rep = bn.check_normalization()
    assert not rep.ok
    assert any("node 'B'" in f for f in rep.failures)
    assert rep.local["B"] == pytest.approx(0.05)
    assert rep.global_sum == pytest.approx(1.025)  # the exact sum of the (improper) joint
    with pytest.raises(ValueError, match="node 'B'"):
        bn.check_normalization(raise_on_failure=True)


def test_normalization_of_a_2000_node_chain():
    n = 2000
    bn = BayesianNetwork([(f"x{i}", f"x{i + 1}") for i in range(n - 1)])
    cpds = [TabularCPD("x0", 2, [0.3, 0.7])]
    cpds += [TabularCPD(f"x{i}", 2, [[0.9, 0.2], [0.1, 0.8]], [f"x{i - 1}"], [2]) for i in range(1, n)]
    bn.add_cpds(*cpds)
    assert bn.check_normalization().ok
    m = JunctionTree(bn).marginals({"x0": 1})
    assert m[f"x{n - 1}"].sum() == pytest.approx(1.0)
    q = VariableElimination(bn).query([f"x{n - 1}"], {"x0": 1}).values
    np.testing.assert_allclose(q, m[f"x{n - 1}"], atol=1e-12)


# ---------------------------------------------------------------- exact inference
def _random_query(bn, seed):
    rng = np.random.default_rng(seed)
    nodes = list(bn.nodes)
    k_ev = int(rng.integers(0, len(nodes)))
    ev_vars = list(rng.choice(nodes, size=k_ev, replace=False)) if k_ev else []
    rest = [v for v in nodes if v not in ev_vars]
    q = list(rng.choice(rest, size=int(rng.integers(1, min(3, len(rest)) + 1)), replace=False))
    x = bn.sample(1, rng=rng)[0]  # a state of positive probability
    ev = {v: int(x[nodes.index(v)]) for v in ev_vars}
    return q, ev


@settings(max_examples=300, deadline=None)
@given(networks, st.integers(0, 2**32 - 1), st.sampled_from(["auto", "min_fill", "min_degree", "min_weight"]))
def test_variable_elimination_equals_brute_force(p, qseed, heuristic):
    bn = random_bn(*p)
    q, ev = _random_query(bn, qseed)
    got = VariableElimination(bn).query(q, ev, elimination_order=heuristic)
    want = brute_conditional(bn, q, ev)
    assert got.variables == tuple(q)
    np.testing.assert_allclose(got.values, want, atol=1e-10)
    assert got.values.sum() == pytest.approx(1.0)


@settings(max_examples=200, deadline=None)
@given(networks, st.integers(0, 2**32 - 1))
def test_junction_tree_marginals_and_evidence_equal_brute_force(p, qseed):
    bn = random_bn(*p)
    _, ev = _random_query(bn, qseed)
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


@settings(max_examples=40, deadline=None)
@given(networks, st.integers(0, 2**32 - 1))
def test_conditionals_sum_to_one_and_marginals_consistent(p, qseed):
    bn = random_bn(*p)
    q, ev = _random_query(bn, qseed)
    ve = VariableElimination(bn)
    f = ve.query(q, ev)
    assert f.values.sum() == pytest.approx(1.0)
    # the marginal of the joint query equals the single-variable query
    np.testing.assert_allclose(f.marginalize(q[1:]).values, ve.query([q[0]], ev).values, atol=1e-12)


@settings(max_examples=100, deadline=None)
@given(st.tuples(st.integers(0, 2**32 - 1), st.integers(1, 7)), st.integers(0, 2**32 - 1))
def test_map_equals_brute_force_argmax(p, qseed):
    bn = random_bn(*p)
    _, ev = _random_query(bn, qseed)
    assign, prob = VariableElimination(bn).map_query(ev, return_probability=True)
    J = brute_joint(bn)
    sub = J[tuple(ev.get(v, slice(None)) for v in bn.nodes)]
    assert prob == pytest.approx(sub.max(), rel=1e-10)
    rest = [v for v in bn.nodes if v not in ev]
    got = tuple(assign[v] for v in rest)
    assert sub[got] == pytest.approx(sub.max(), rel=1e-10)  # ties: any maximiser


@settings(max_examples=100, deadline=None)
@given(st.tuples(st.integers(0, 2**32 - 1), st.integers(3, 7)), st.integers(0, 2**32 - 1))
def test_d_separation_implies_independence_in_the_exact_joint(p, qseed):
    bn = random_bn(*p)
    rng = np.random.default_rng(qseed)
    nodes = list(bn.nodes)
    x, y = rng.choice(nodes, size=2, replace=False)
    others = [v for v in nodes if v not in (x, y)]
    z = [v for v in others if rng.random() < 0.5]
    J = brute_joint(bn)
    ax = {v: i for i, v in enumerate(nodes)}
    pxyz = J.sum(axis=tuple(ax[v] for v in nodes if v not in (x, y, *z)))
    keep = [v for v in nodes if v in (x, y, *z)]
    pxyz = np.moveaxis(pxyz, [keep.index(x), keep.index(y)], [0, 1])  # (x, y, *z)
    pz = pxyz.sum(axis=(0, 1))
    pxz = pxyz.sum(axis=1)
    pyz = pxyz.sum(axis=0)
    indep = np.allclose(pxyz * pz[None, None], pxz[:, None] * pyz[None, :], atol=1e-12)
    if bn.is_d_separated(x, y, set(z)):
        assert indep
    if x in bn.parents(y) or y in bn.parents(x):
        # the converse needs faithfulness; checked where the dependence is direct (an edge),
        # which random Dirichlet CPDs make far larger than the tolerance
        assert not bn.is_d_separated(x, y, set(z)) and not indep


def test_sprinkler_hand_values():
    bn = sprinkler()
    ve = VariableElimination(bn)
    # P(Rain=T | WetGrass=T) = 0.4581/0.6471 (Russell & Norvig / Murphy's classic numbers)
    r = ve.query("Rain", {"WetGrass": "T"}).values
    assert r[1] == pytest.approx(0.4581 / 0.6471, abs=1e-4)
    s = ve.query("Sprinkler", {"WetGrass": "T"}).values
    assert s[1] == pytest.approx(0.2781 / 0.6471, abs=1e-4)


def test_evidence_errors():
    bn = sprinkler()
    ve = VariableElimination(bn)
    with pytest.raises(ValueError, match="'Snow' is not a variable"):
        ve.query("Rain", {"Snow": "T"})
    with pytest.raises(ValueError, match=r"'maybe' is not a state of 'WetGrass' \(its states are \['F', 'T'\]\)"):
        ve.query("Rain", {"WetGrass": "maybe"})
    with pytest.raises(ValueError, match=r"\['Rain'\] are also evidence variables"):
        ve.query("Rain", {"Rain": "T"})
    with pytest.raises(ValueError, match="'Hail' is not a variable"):
        ve.query("Hail")
    with pytest.raises(ValueError, match="is not a state"):
        ve.query("Rain", {"WetGrass": 1})  # named states: indices are not accepted
    with pytest.raises(ValueError, match="also evidence"):
        JunctionTree(bn).marginals({"Rain": "T"}, variables=["Rain"])


def test_impossible_evidence_is_an_error_not_nan():
    bn = sprinkler()
    ev = {"Sprinkler": "F", "Rain": "F", "WetGrass": "T"}  # P(W=T | S=F, R=F) = 0
    with pytest.raises(ImpossibleEvidenceError, match="probability zero"):
        VariableElimination(bn).query("Cloudy", ev)
    with pytest.raises(ImpossibleEvidenceError, match="probability zero"):
        JunctionTree(bn).marginals(ev)
    with pytest.raises(ImpossibleEvidenceError):
        VariableElimination(bn).map_query(ev)


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


def test_replacing_a_cpd_is_revalidated_by_existing_engines():
    bn = sprinkler()
    ve = VariableElimination(bn)
    jt = JunctionTree(bn)
    before = ve.query("Rain").values.copy()
    bn.add_cpds(TabularCPD("Rain", 2, [[0.9, 0.9], [0.1, 0.1]], ["Cloudy"], [2],
                           state_names={"Rain": ["F", "T"], "Cloudy": ["F", "T"]}))
    np.testing.assert_allclose(ve.query("Rain").values, [0.9, 0.1])
    np.testing.assert_allclose(jt.marginals()["Rain"], [0.9, 0.1])
    np.testing.assert_allclose(before, [0.5, 0.5])
    with pytest.raises(ValueError, match="child 'WetGrass' expects 2"):
        bn.add_cpds(TabularCPD("Rain", 3, [[0.5, 0.5], [0.25, 0.25], [0.25, 0.25]], ["Cloudy"], [2],
                               state_names={"Cloudy": ["F", "T"]}))
    np.testing.assert_allclose(ve.query("Rain").values, [0.9, 0.1])  # the refused CPD left no trace


def test_editing_the_graph_after_the_cpds_is_caught():
    bn = sprinkler()
    ve = VariableElimination(bn)
    bn.add_edge("Cloudy", "WetGrass")
    with pytest.raises(ValueError, match="the CPD of 'WetGrass' has parents"):
        ve.query("Rain")


def test_impossible_evidence_in_a_pruned_branch_is_still_caught():
    # Rain's query does not need the (d-separated) branch, yet its evidence is impossible
    bn = BayesianNetwork([("A", "B"), ("C", "D")])
    bn.add_cpds(TabularCPD("A", 2, [0.5, 0.5]), TabularCPD("C", 2, [0.5, 0.5]),
                TabularCPD("B", 2, [[0.3, 0.6], [0.7, 0.4]], ["A"], [2]),
                TabularCPD("D", 2, [[1.0, 1.0], [0.0, 0.0]], ["C"], [2]))
    ve = VariableElimination(bn)
    with pytest.raises(ImpossibleEvidenceError):
        ve.query("A", {"B": 1, "D": 1})
    np.testing.assert_allclose(ve.query("A", {"B": 1, "D": 1}, check_evidence=False).values,
                               [0.7 / 1.1, 0.4 / 1.1])
    np.testing.assert_allclose(ve.query("A", {"B": 1, "D": 0}).values, [0.7 / 1.1, 0.4 / 1.1])
    # a zero in the evidence row that other parent states make up for: possible evidence
    bn.add_cpds(TabularCPD("D", 2, [[1.0, 0.5], [0.0, 0.5]], ["C"], [2]))
    np.testing.assert_allclose(ve.query("A", {"B": 1, "D": 1}).values, [0.7 / 1.1, 0.4 / 1.1])


def test_pruning_ignores_unrelated_impossible_structure():
    # a barren deterministic child and a d-separated branch do not change the answer
    bn = sprinkler()
    ve = VariableElimination(bn)
    fams, comp, other = ve._relevant(["Rain"], {"Cloudy": 1})
    assert "WetGrass" not in fams and "Sprinkler" not in comp
    np.testing.assert_allclose(ve.query("Rain", {"Cloudy": "T"}).values, [0.2, 0.8])


def _dense_bn(seed, n, card=3):
    rng = np.random.default_rng(seed)
    names = [f"X{i}" for i in range(n)]
    edges, cpds = [], []
    for i, v in enumerate(names):
        pa = [names[j] for j in sorted(rng.choice(i, size=min(3, i), replace=False))] if i else []
        edges += [(p, v) for p in pa]
        cpds.append(TabularCPD(v, card, rng.dirichlet(np.ones(card), size=card ** len(pa)).T,
                               pa, [card] * len(pa)))
    bn = BayesianNetwork(edges, nodes=names)
    bn.add_cpds(*cpds)
    return bn


@pytest.mark.parametrize("seed", [0, 1])
def test_junction_tree_heuristics_agree_and_auto_keeps_the_smaller_tree(seed):
    bn = _dense_bn(seed, 28)
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


def test_auto_order_falls_back_to_a_fresh_order_on_wide_networks(monkeypatch):
    import pgm.inference.orders as inf
    import pgm.inference.ve as ve_mod
    bn = _dense_bn(3, 24)
    x = bn.sample(1, rng=0)[0]
    ev = {bn.nodes[2]: int(x[2])}
    want = VariableElimination(bn).query([bn.nodes[-1], bn.nodes[7]], ev, elimination_order="min_fill")
    monkeypatch.setattr(ve_mod, "_AUTO_FRESH_LOG", 0.0)  # every network counts as wide
    got = VariableElimination(bn).query([bn.nodes[-1], bn.nodes[7]], ev)
    np.testing.assert_allclose(got.values, want.values, atol=1e-12)
    nb = {v: set() for v in "abcd"}
    for a, b in [("a", "b"), ("b", "c"), ("c", "d"), ("d", "a")]:
        nb[a].add(b)
        nb[b].add(a)
    # eliminating a 4-cycle: the first elimination creates a factor over 3 binary variables
    assert inf._max_clique_log_size(nb, list("abcd"), dict.fromkeys("abcd", 2)) == pytest.approx(3 * np.log(2))


@settings(max_examples=150, deadline=None)
@given(st.tuples(st.integers(0, 2**32 - 1), st.integers(2, 7)), st.integers(0, 2**32 - 1))
def test_impossible_evidence_is_always_detected(p, qseed):
    # CPDs with many zeros: whatever evidence is drawn, VE raises exactly when P(e) = 0
    bn0 = random_bn(*p)
    bn = BayesianNetwork(bn0.edges, bn0.nodes)
    rng = np.random.default_rng(qseed)
    cpds = []
    for v in bn0.nodes:
        c = bn0.get_cpd(v)
        t = c.values * (rng.random(c.values.shape) < 0.6)
        t[0, t.sum(axis=0) == 0] = 1.0
        cpds.append(TabularCPD(v, c.cardinality, t / t.sum(axis=0), c.parents, c.parents_card))
    bn.add_cpds(*cpds)
    nodes = list(bn.nodes)
    ev = {v: int(rng.integers(bn.get_cpd(v).cardinality)) for v in nodes if rng.random() < 0.5}
    rest = [v for v in nodes if v not in ev]
    if not rest:
        return
    q = rest[int(rng.integers(len(rest)))]
    J = brute_joint(bn)
    pe = J[tuple(ev.get(v, slice(None)) for v in nodes)].sum()
    ve = VariableElimination(bn)
    if pe > 0:
        np.testing.assert_allclose(ve.query([q], ev).values, brute_conditional(bn, [q], ev), atol=1e-10)
    else:
        with pytest.raises(ImpossibleEvidenceError):
            ve.query([q], ev)


def _with_zeros(bn0, rng, keep=0.6):
    """The same DAG with many zero-probability CPD entries (every column still sums to 1)."""
    bn = BayesianNetwork(bn0.edges, bn0.nodes)
    cpds = []
    for v in bn0.nodes:
        c = bn0.get_cpd(v)
        t = c.values * (rng.random(c.values.shape) < keep)
        t[0, t.sum(axis=0) == 0] = 1.0
        cpds.append(TabularCPD(v, c.cardinality, t / t.sum(axis=0), c.parents, c.parents_card))
    bn.add_cpds(*cpds)
    return bn


@settings(max_examples=300, deadline=None)
@given(st.tuples(st.integers(0, 2**32 - 1), st.integers(1, 9)), st.integers(0, 2**32 - 1),
       st.booleans())
def test_junction_tree_fused_calibration_with_zeros_equals_brute_force(p, qseed, zeros):
    # the numba calibration (marginals, log_evidence) on CPDs with many zeros and any evidence,
    # possible or not: exact marginals, log P(e), an error exactly when P(e) = 0; a requested
    # subset of variables gives the same marginals; the numpy calibration agrees
    rng = np.random.default_rng(qseed)
    bn = _with_zeros(random_bn(*p, max_card=3 + int(rng.integers(0, 3))), rng) if zeros \
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


def test_set_aside_evidence_proved_possible_by_one_assignment(monkeypatch):
    # D = 1 has a zero in its row (a "risky" observation in the pruned branch): the most
    # probable C (= 1) already gives it positive probability, so no sum is needed; when the
    # most probable parent state is the zero, the exact sum decides (both ways)
    bn = BayesianNetwork([("A", "B"), ("C", "D")])
    bn.add_cpds(TabularCPD("A", 2, [0.5, 0.5]), TabularCPD("C", 2, [0.3, 0.7]),
                TabularCPD("B", 2, [[0.3, 0.6], [0.7, 0.4]], ["A"], [2]),
                TabularCPD("D", 2, [[1.0, 0.4], [0.0, 0.6]], ["C"], [2]))
    ve = VariableElimination(bn)
    sums = []
    real = VariableElimination._constant
    monkeypatch.setattr(VariableElimination, "_constant",
                        lambda self, f: sums.append(1) or real(self, f))
    np.testing.assert_allclose(ve.query("A", {"B": 1, "D": 1}).values, [0.7 / 1.1, 0.4 / 1.1])
    assert sums == []
    bn.add_cpds(TabularCPD("D", 2, [[0.4, 1.0], [0.6, 0.0]], ["C"], [2]))
    np.testing.assert_allclose(ve.query("A", {"B": 1, "D": 1}).values, [0.7 / 1.1, 0.4 / 1.1])
    assert sums == [1]
    bn.add_cpds(TabularCPD("D", 2, [[1.0, 1.0], [0.0, 0.0]], ["C"], [2]))
    with pytest.raises(ImpossibleEvidenceError):
        ve.query("A", {"B": 1, "D": 1})


@settings(max_examples=200, deadline=None)
@given(st.tuples(st.integers(0, 2**32 - 1), st.integers(2, 7)), st.integers(0, 2**32 - 1))
def test_witness_is_sound(p, qseed):
    # whenever the one-assignment shortcut says "possible", the exact sum over the same
    # families is positive (it may say "not proved" on possible evidence, never the reverse)
    rng = np.random.default_rng(qseed)
    bn = _with_zeros(random_bn(*p), rng, keep=0.5)
    nodes = list(bn.nodes)
    ev = {v: int(rng.integers(bn.get_cpd(v).cardinality)) for v in nodes if rng.random() < 0.5}
    rest = [v for v in nodes if v not in ev]
    if not rest:
        return
    ve = VariableElimination(bn)
    _, _, other = ve._relevant([rest[0]], ev)
    keep = ve._risky_families(other, ev)
    if keep and ve._witness(keep, ev):
        assert ve._constant(ve._factors(list(keep), ev)) > 0
