"""Exact inference on hostile inputs: tables too large to build, MAP underflow, many factors
meeting in one elimination step."""

import itertools
import math
import time

import numpy as np
import pytest

from pgm import (BayesianNetwork, ImpossibleEvidenceError, JunctionTree, TableTooLargeError,
                 TabularCPD, VariableElimination)
from tests.pgm._bn_helpers import brute_conditional, brute_joint


def grid_bn(n, seed=0):
    """An n x n grid of binary nodes, each with its left and upper neighbours as parents."""
    rng = np.random.default_rng(seed)
    names = [[f"g{i}_{j}" for j in range(n)] for i in range(n)]
    edges, cpds = [], []
    for i in range(n):
        for j in range(n):
            pa = ([names[i][j - 1]] if j else []) + ([names[i - 1][j]] if i else [])
            edges += [(p, names[i][j]) for p in pa]
            vals = rng.dirichlet([1.0, 1.0], size=2 ** len(pa)).T
            cpds.append(TabularCPD(names[i][j], 2, vals, pa, [2] * len(pa)))
    bn = BayesianNetwork(edges, nodes=[v for row in names for v in row])
    bn.add_cpds(*cpds)
    return bn


def _check_message(msg, engine):
    assert "33 variables" in msg or "variables [" in msg
    assert "entries" in msg and "GiB" in msg
    assert f"max_table_entries={134217728:,}" in msg
    assert f"{engine}(...)" in msg
    assert "likelihood" in msg and "gibbs_marginals" in msg


@pytest.fixture(scope="module")
def grid20():
    return grid_bn(20)


def test_junction_tree_refuses_a_20x20_grid_fast(grid20):
    # the first call may compile the elimination-order kernel (seconds with an empty numba
    # cache); the refusal itself, timed on the second call, allocates nothing and is quick
    with pytest.raises(TableTooLargeError):
        JunctionTree(grid20, max_table_entries=2 ** 27)
    t = time.perf_counter()
    with pytest.raises(TableTooLargeError) as exc:
        JunctionTree(grid20, max_table_entries=2 ** 27)
    assert time.perf_counter() - t < 1.0
    msg = str(exc.value)
    _check_message(msg, "JunctionTree")
    n = int(msg.split(" entries")[0].rsplit(" ", 1)[1].replace(",", ""))
    k = int(msg.split(" variables")[0].rsplit(" ", 1)[1])
    assert n == 2 ** k and n > 2 ** 27  # binary clique: 2**k entries, all of them named
    assert isinstance(exc.value, ValueError)


def test_variable_elimination_refuses_a_20x20_grid_fast(grid20):
    ve = VariableElimination(grid20, max_table_entries=2 ** 27)
    for run in (lambda: ve.query("g19_19", {"g0_0": 0}), lambda: ve.map_query({"g0_0": 0})):
        t = time.perf_counter()
        with pytest.raises(TableTooLargeError) as exc:
            run()
        assert time.perf_counter() - t < 1.0
        _check_message(str(exc.value), "VariableElimination")
    # a query that pruning keeps small is answered on the same network: P(g1_1) needs only
    # its ancestors g0_0, g0_1, g1_0
    sub = BayesianNetwork([("g0_0", "g0_1"), ("g0_0", "g1_0"), ("g0_1", "g1_1"),
                           ("g1_0", "g1_1")], nodes=["g0_0", "g0_1", "g1_0", "g1_1"])
    sub.add_cpds(*[grid20.get_cpd(v) for v in sub.nodes])
    want = brute_conditional(sub, ["g1_1"], {})
    np.testing.assert_allclose(ve.query("g1_1").values, want, rtol=1e-12)


def test_default_limit_refuses_the_grid_and_answers_what_fits(grid20):
    with pytest.raises(TableTooLargeError):
        JunctionTree(grid20)
    small = grid_bn(4, seed=1)
    ev = {"g0_0": 1, "g3_1": 0}
    idx = {v: small.state_index(v, s) for v, s in ev.items()}
    want = brute_conditional(small, ["g3_3"], idx)
    got_ve = VariableElimination(small).query("g3_3", ev).values
    got_jt = JunctionTree(small).marginals(ev)["g3_3"]
    np.testing.assert_allclose(got_ve, want, rtol=1e-10)
    np.testing.assert_allclose(got_jt, want, rtol=1e-10)


def test_raising_max_table_entries_lets_a_medium_case_through():
    bn = grid_bn(4, seed=2)
    ev = {"g3_3": 1}
    with pytest.raises(TableTooLargeError, match="max_table_entries=8"):
        JunctionTree(bn, max_table_entries=8)
    with pytest.raises(TableTooLargeError, match="max_table_entries=8"):
        VariableElimination(bn, max_table_entries=8).query("g0_0", ev)
    want = brute_conditional(bn, ["g0_0"], {"g3_3": 1})
    np.testing.assert_allclose(JunctionTree(bn, max_table_entries=10 ** 4).marginals(ev)["g0_0"],
                               want, rtol=1e-10)
    np.testing.assert_allclose(
        VariableElimination(bn, max_table_entries=10 ** 4).query("g0_0", ev).values, want,
        rtol=1e-10)


def test_a_joint_posterior_too_large_is_refused():
    coins = [f"c{i}" for i in range(40)]
    bn = BayesianNetwork([], nodes=coins)
    bn.add_cpds(*[TabularCPD(c, 2, [0.5, 0.5]) for c in coins])
    with pytest.raises(TableTooLargeError, match="joint posterior over 40 variables"):
        VariableElimination(bn, max_table_entries=2 ** 20).query(coins)


@pytest.mark.parametrize("bad", [0, -3, 2.5, True, "big"])
def test_max_table_entries_is_checked(bad):
    bn = grid_bn(2)
    for engine in (JunctionTree, VariableElimination):
        with pytest.raises(ValueError, match="max_table_entries: expected a positive integer"):
            engine(bn, max_table_entries=bad)


@pytest.mark.parametrize("n", [1100, 3000])
def test_map_of_many_fair_coins_does_not_underflow(n):
    coins = [f"c{i}" for i in range(n)]
    bn = BayesianNetwork([], nodes=coins)
    bn.add_cpds(*[TabularCPD(c, 2, [0.5, 0.5]) for c in coins])
    ve = VariableElimination(bn)
    assign = ve.map_query()  # the product 2**-n underflowed: "probability zero"
    assert sorted(assign) == sorted(coins) and set(assign.values()) <= {0, 1}
    assign, p, logp = ve.map_query(return_probability=True, return_log_probability=True)
    assert sorted(assign) == sorted(coins) and set(assign.values()) <= {0, 1}
    assert logp == pytest.approx(n * math.log(0.5), rel=1e-12)
    assert p == 0.0  # 2**-1100 underflows a float: the log is the answer


def test_map_with_evidence_among_many_biased_coins_is_the_mode():
    coins = [f"c{i}" for i in range(1500)]
    rng = np.random.default_rng(3)
    heads = rng.uniform(0.05, 0.95, size=len(coins))
    bn = BayesianNetwork([], nodes=coins)
    bn.add_cpds(*[TabularCPD(c, 2, [1 - h, h]) for c, h in zip(coins, heads)])
    assign, logp = VariableElimination(bn).map_query({"c0": 0}, return_log_probability=True)
    want = {c: int(h > 0.5) for c, h in zip(coins[1:], heads[1:])}
    assert assign == want
    expect = math.log(1 - heads[0]) + sum(math.log(max(h, 1 - h)) for h in heads[1:])
    assert logp == pytest.approx(expect, rel=1e-12)
    with pytest.raises(ImpossibleEvidenceError):
        bad = BayesianNetwork([], nodes=coins)
        bad.add_cpds(TabularCPD("c0", 2, [1.0, 0.0]),
                     *[TabularCPD(c, 2, [0.5, 0.5]) for c in coins[1:]])
        VariableElimination(bad).map_query({"c0": 1})


def chain_bn(n, card, seed):
    rng = np.random.default_rng(seed)
    names = [f"x{i}" for i in range(n)]
    bn = BayesianNetwork(list(zip(names, names[1:])), nodes=names)
    cpds = [TabularCPD(names[0], card, rng.dirichlet(np.ones(card)))]
    for a, b in zip(names, names[1:]):
        cpds.append(TabularCPD(b, card, rng.dirichlet(np.ones(card) * 0.5, size=card).T,
                               [a], [card]))
    bn.add_cpds(*cpds)
    return bn


@pytest.mark.parametrize("seed", range(5))
def test_map_of_a_chain_equals_enumeration(seed):
    bn = chain_bn(7, 3, seed)
    ev = {"x3": 2}
    assign, p, logp = VariableElimination(bn).map_query(ev, return_probability=True,
                                                        return_log_probability=True)
    J = brute_joint(bn)
    nodes = list(bn.nodes)
    sub = J[tuple(ev.get(v, slice(None)) for v in nodes)]
    best = max(itertools.product(range(3), repeat=len(nodes) - 1), key=lambda x: sub[x])
    rest = [v for v in nodes if v not in ev]
    assert sub[tuple(assign[v] for v in rest)] == pytest.approx(sub[best], rel=1e-12)
    assert p == pytest.approx(sub[best], rel=1e-12)
    assert logp == pytest.approx(math.log(sub[best]), rel=1e-12)


def naive_bayes(n_features, seed):
    rng = np.random.default_rng(seed)
    feats = [f"f{i}" for i in range(n_features)]
    bn = BayesianNetwork([("C", f) for f in feats], nodes=["C"] + feats)
    prior = rng.dirichlet([2.0, 2.0, 2.0])
    like = {f: rng.uniform(0.3, 0.7, size=3) for f in feats}  # P(f = 1 | C)
    bn.add_cpds(TabularCPD("C", 3, prior),
                *[TabularCPD(f, 2, [1 - like[f], like[f]], ["C"], [3]) for f in feats])
    return bn, prior, like


def test_naive_bayes_with_70_observed_features():
    bn, prior, like = naive_bayes(70, seed=4)
    rng = np.random.default_rng(5)
    ev = {f: int(x) for f, x in zip(like, rng.integers(0, 2, size=len(like)))}
    log_post = np.log(prior) + sum(np.log(like[f] if x else 1 - like[f]) for f, x in ev.items())
    want = np.exp(log_post - log_post.max())
    want /= want.sum()
    got = VariableElimination(bn).query("C", ev).values
    np.testing.assert_allclose(got, want, rtol=1e-9)
    np.testing.assert_allclose(JunctionTree(bn).marginals(ev)["C"], want, rtol=1e-9)
    # and with the class eliminated: 70 factors meet when a feature is the query
    q = next(iter(like))
    rest = {f: x for f, x in ev.items() if f != q}
    lp = np.log(prior) + sum(np.log(like[f] if x else 1 - like[f]) for f, x in rest.items())
    pc = np.exp(lp - lp.max())
    pc /= pc.sum()
    p1 = float(pc @ like[q])
    np.testing.assert_allclose(VariableElimination(bn).query(q, rest).values, [1 - p1, p1],
                               rtol=1e-9)
