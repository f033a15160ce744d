"""DAG, factors and CPDs: structure queries, factor algebra vs brute force, validation errors."""

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from pgm import DAG, DiscreteFactor, LinearGaussianCPD, TabularCPD, factor_product

from tests.pgm._bn_helpers import random_bn, sprinkler


# ---------------------------------------------------------------- DAG
def test_cycle_is_named():
    with pytest.raises(ValueError, match=r"cycle a -> b -> c -> a"):
        DAG([("a", "b"), ("b", "c"), ("c", "a")])


def test_self_loop_and_duplicate_and_bad_edges():
    with pytest.raises(ValueError, match="self-loop 'x' -> 'x'"):
        DAG([("x", "x")])
    with pytest.raises(ValueError, match="given twice"):
        DAG([("a", "b"), ("a", "b")])
    with pytest.raises(TypeError, match="pair"):
        DAG([("a", "b", "c")])
    with pytest.raises(TypeError, match="hashable"):
        DAG([(["a"], "b")])


def test_add_edge_refuses_a_cycle_and_names_it():
    g = DAG([("a", "b"), ("b", "c")])
    with pytest.raises(ValueError, match="close the cycle c -> a -> b -> c"):
        g.add_edge("c", "a")
    with pytest.raises(ValueError, match="self-loop"):
        g.add_edge("c", "c")
    g.add_edge("a", "c")
    assert set(g.parents("c")) == {"a", "b"}


def test_families_on_sprinkler():
    g = sprinkler()
    assert g.parents("WetGrass") == ("Sprinkler", "Rain")
    assert set(g.children("Cloudy")) == {"Sprinkler", "Rain"}
    assert g.ancestors("WetGrass") == {"Sprinkler", "Rain", "Cloudy"}
    assert g.descendants("Cloudy") == {"Sprinkler", "Rain", "WetGrass"}
    assert g.markov_blanket("Sprinkler") == {"Cloudy", "WetGrass", "Rain"}
    m = g.moral_graph()
    assert m.has_edge("Sprinkler", "Rain") and m.number_of_edges() == 5
    assert isinstance(g.to_networkx(), nx.DiGraph)
    with pytest.raises(ValueError, match="'Snow' is not a node"):
        g.parents("Snow")


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 12))
def test_topological_order_and_relatives_match_networkx(seed, n):
    bn = random_bn(seed, n)
    G = bn.to_networkx()
    order = bn.topological_order()
    rank = {v: i for i, v in enumerate(order)}
    assert sorted(order) == sorted(bn.nodes)
    assert all(rank[u] < rank[v] for u, v in bn.edges)
    for k, other in enumerate(bn.topological_orders()):
        r = {v: i for i, v in enumerate(other)}
        assert all(r[u] < r[v] for u, v in bn.edges)
        if k == 20:
            break
    for v in bn.nodes:
        assert bn.ancestors(v) == nx.ancestors(G, v)
        assert bn.descendants(v) == nx.descendants(G, v)


def test_long_chain_has_no_recursion_limit():
    n = 2000
    g = DAG([(i, i + 1) for i in range(n - 1)])
    assert g.topological_order() == list(range(n))
    assert len(g.ancestors(n - 1)) == n - 1
    assert len(g.descendants(0)) == n - 1
    assert g.is_d_separated(0, n - 1, {n // 2})


def test_d_separation_rules():
    g = sprinkler()
    assert g.is_d_separated("Sprinkler", "Rain", {"Cloudy"})
    assert not g.is_d_separated("Sprinkler", "Rain", {"Cloudy", "WetGrass"})
    assert not g.is_d_separated("Sprinkler", "Rain", set())
    with pytest.raises(ValueError, match="disjoint"):
        g.is_d_separated("Rain", "Cloudy", {"Rain"})


# ---------------------------------------------------------------- factors
@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_factor_product_marginalize_reduce_vs_loops(seed):
    rng = np.random.default_rng(seed)
    cards = {"A": 2, "B": 3, "C": 4, "D": 2}
    fa = DiscreteFactor(["B", "A"], rng.random((3, 2)))
    fb = DiscreteFactor(["C", "B", "D"], rng.random((4, 3, 2)))
    p = factor_product(fa, fb)
    assert p.variables == ("B", "A", "C", "D")
    for b in range(3):
        for a in range(2):
            for c in range(4):
                for d in range(2):
                    assert p.values[b, a, c, d] == pytest.approx(fa.values[b, a] * fb.values[c, b, d])
    m = p.marginalize(["B", "D"])
    assert m.variables == ("A", "C")
    np.testing.assert_allclose(m.values, p.values.sum(axis=(0, 3)))
    r = p.reduce({"C": 3, "A": 1})
    np.testing.assert_allclose(r.values, p.values[:, 1, 3, :])
    n = p.normalize()
    assert n.values.sum() == pytest.approx(1.0)
    assert p.maximize(["A"]).values.shape == (3, 4, 2)
    assert p.transpose(["D", "C", "B", "A"]).allclose(p)
    assert set(cards) >= set(p.variables)


def test_factor_errors():
    with pytest.raises(ValueError, match="cardinality 2 in one factor and 3"):
        factor_product(DiscreteFactor(["A"], [1, 2]), DiscreteFactor(["A"], [1, 2, 3]))
    with pytest.raises(ValueError, match="expected a 2-D table"):
        DiscreteFactor(["A", "B"], [1, 2])
    with pytest.raises(ValueError, match="must be >= 0"):
        DiscreteFactor(["A"], [1, -2])
    with pytest.raises(ValueError, match="finite"):
        DiscreteFactor(["A"], [1, np.nan])
    with pytest.raises(ValueError, match="sums to 0"):
        DiscreteFactor(["A"], [0.0, 0.0]).normalize()
    with pytest.raises(ValueError, match="'Z' is not in this factor"):
        DiscreteFactor(["A"], [1, 2]).marginalize(["Z"])
    with pytest.raises(ValueError, match="unique"):
        DiscreteFactor(["A", "A"], np.ones((2, 2)))


# ---------------------------------------------------------------- CPDs
def test_column_summing_to_1009_fails_with_column_and_deviation():
    with pytest.raises(ValueError) as ei:
        TabularCPD("X", 2, [[0.5, 0.3], [0.5, 0.709]], ["P"], [2],
                   state_names={"P": ["lo", "hi"]})
    msg = str(ei.value)
    assert "'X'" in msg and "column 1 (P=hi)" in msg and "1.009" in msg
    assert "+9.000e-03" in msg and "atol=1e-08" in msg


def test_columns_11_and_06_both_reported():
    with pytest.raises(ValueError, match=r"column 0 \(A=0\) sums to 1.1.*1 more column"):
        TabularCPD("X", 2, [[0.6, 0.3], [0.5, 0.3]], ["A"], [2])


@pytest.mark.parametrize("bad, pat", [(np.nan, "finite, found nan"), (np.inf, "finite, found inf"),
                                      (-0.1, ">= 0, found -0.1")])
def test_nan_inf_negative_rejected(bad, pat):
    with pytest.raises(ValueError, match=pat):
        TabularCPD("X", 2, [[bad, 0.5], [1.1, 0.5]], ["A"], [2])


def test_shapes_cards_and_state_names():
    with pytest.raises(ValueError, match=r"shape \(2, 4\)"):
        TabularCPD("X", 2, np.full((2, 3), 0.5), ["A", "B"], [2, 2])
    with pytest.raises(ValueError, match="3 names .* for a 2-state variable"):
        TabularCPD("X", 2, [0.5, 0.5], state_names={"X": ["a", "b", "c"]})
    with pytest.raises(ValueError, match="1 names"):
        TabularCPD("X", 2, [[0.5, 0.5], [0.5, 0.5]], ["A"], [2], state_names={"A": ["a"]})
    with pytest.raises(ValueError, match="neither the variable nor one of its parents"):
        TabularCPD("X", 2, [0.5, 0.5], state_names={"Y": ["a", "b"]})
    with pytest.raises(TypeError, match="cardinality"):
        TabularCPD("X", 2.0, [0.5, 0.5])
    with pytest.raises(ValueError, match="parents_card has 1"):
        TabularCPD("X", 2, [0.5, 0.5], ["A", "B"], [2])
    with pytest.raises(ValueError, match="own parent"):
        TabularCPD("X", 2, [[0.5, 0.5], [0.5, 0.5]], ["X"], [2])


def test_cpd_values_are_read_only():
    cpd = TabularCPD("X", 2, [[0.2, 0.4], [0.8, 0.6]], ["A"], [2])
    with pytest.raises(ValueError, match="read-only"):
        cpd.values[0, 0] = 0.9
    with pytest.raises(ValueError, match="read-only"):
        cpd.table[1, 1] = 0.9
    with pytest.raises(AttributeError):
        cpd.values = np.ones((2, 2))
    src = np.array([0.3, 0.7])
    c2 = TabularCPD("Y", 2, src)
    src[0] = 5.0  # the CPD holds its own copy
    assert c2.values[0, 0] == 0.3


def test_tolerance_is_stated_and_adjustable():
    TabularCPD("X", 2, [0.5, 0.5 + 5e-9])  # within 1e-8
    with pytest.raises(ValueError, match="atol=1e-08"):
        TabularCPD("X", 2, [0.5, 0.5 + 5e-8])
    TabularCPD("X", 2, [0.5, 0.5 + 5e-8], atol=1e-6)


def test_linear_gaussian_bad_input():
    with pytest.raises(ValueError, match="std must be finite and > 0, got -1.0"):
        LinearGaussianCPD("y", 0.0, std=-1.0)
    with pytest.raises(ValueError, match="std"):
        LinearGaussianCPD("y", 0.0, std=0.0)
    with pytest.raises(ValueError, match="bias .* must be finite, got nan"):
        LinearGaussianCPD("y", float("nan"))
    with pytest.raises(ValueError, match="weights must be finite"):
        LinearGaussianCPD("y", 0.0, [np.inf], ["x"])
    with pytest.raises(ValueError, match="2 weights for 1 parents"):
        LinearGaussianCPD("y", 0.0, [1.0, 2.0], ["x"])
    c = LinearGaussianCPD("y", 0.0, [1.0], ["x"])
    with pytest.raises(ValueError, match="read-only"):
        c.weights[0] = 3.0
