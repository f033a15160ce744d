"""Variable elimination: queries and MAP vs brute force, pruning, impossible evidence,
auto orders."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from pgm import BayesianNetwork, ImpossibleEvidenceError, TabularCPD, VariableElimination

from tests.pgm._bn_helpers import (brute_conditional, brute_joint, dense_bn, networks, random_bn,
                                   random_query, sprinkler, with_zeros)


@settings(max_examples=300, deadline=None)
@given(networks, st.integers(0, 2**32 - 1), st.sampled_from(["auto", "min_fill", "min_degree", "min_weight"]))
def test_variable_elimination_equals_brute_force(p, qseed, heuristic):
    bn = random_bn(*p)
    q, ev = random_query(bn, qseed)
    got = VariableElimination(bn).query(q, ev, elimination_order=heuristic)
    want = brute_conditional(bn, q, ev)
    assert got.variables == tuple(q)
    np.testing.assert_allclose(got.values, want, atol=1e-10)
    assert got.values.sum() == pytest.approx(1.0)


@settings(max_examples=40, deadline=None)
@given(networks, st.integers(0, 2**32 - 1))
def test_conditionals_sum_to_one_and_marginals_consistent(p, qseed):
    bn = random_bn(*p)
    q, ev = random_query(bn, qseed)
    ve = VariableElimination(bn)
    f = ve.query(q, ev)
    assert f.values.sum() == pytest.approx(1.0)
    # the marginal of the joint query equals the single-variable query
    np.testing.assert_allclose(f.marginalize(q[1:]).values, ve.query([q[0]], ev).values, atol=1e-12)


@settings(max_examples=100, deadline=None)
@given(st.tuples(st.integers(0, 2**32 - 1), st.integers(1, 7)), st.integers(0, 2**32 - 1))
def test_map_equals_brute_force_argmax(p, qseed):
    bn = random_bn(*p)
    _, ev = random_query(bn, qseed)
    assign, prob = VariableElimination(bn).map_query(ev, return_probability=True)
    J = brute_joint(bn)
    sub = J[tuple(ev.get(v, slice(None)) for v in bn.nodes)]
    assert prob == pytest.approx(sub.max(), rel=1e-10)
    rest = [v for v in bn.nodes if v not in ev]
    got = tuple(assign[v] for v in rest)
    assert sub[got] == pytest.approx(sub.max(), rel=1e-10)  # ties: any maximiser


def test_sprinkler_hand_values():
    bn = sprinkler()
    ve = VariableElimination(bn)
    # P(Rain=T | WetGrass=T) = 0.4581/0.6471 (Russell & Norvig / Murphy's classic numbers)
    r = ve.query("Rain", {"WetGrass": "T"}).values
    assert r[1] == pytest.approx(0.4581 / 0.6471, abs=1e-4)
    s = ve.query("Sprinkler", {"WetGrass": "T"}).values
    assert s[1] == pytest.approx(0.2781 / 0.6471, abs=1e-4)


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


def test_auto_order_falls_back_to_a_fresh_order_on_wide_networks(monkeypatch):
    import pgm.inference.orders as inf
    import pgm.inference.ve as ve_mod
    bn = dense_bn(3, 24)
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
    bn = with_zeros(random_bn(*p), rng, keep=0.5)
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
