"""Bayesian networks: model checks, joint and log-probability vs brute force, normalisation;
linear-Gaussian networks."""

import itertools

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from scipy import stats

from pgm import (BayesianNetwork, DAG, JunctionTree, LinearGaussianBayesianNetwork,
                 LinearGaussianCPD, TabularCPD, VariableElimination)

from tests.pgm._bn_helpers import brute_joint, networks, random_bn, sprinkler


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


def _random_lg(seed, n):
    rng = np.random.default_rng(seed)
    names = [f"x{i}" for i in range(n)]
    edges = []
    cpds = []
    for i in range(n):
        pa = [names[j] for j in range(i) if rng.random() < 0.5]
        edges += [(p, names[i]) for p in pa]
        cpds.append(LinearGaussianCPD(names[i], float(rng.normal()), rng.normal(size=len(pa)),
                                      pa, std=float(rng.uniform(0.3, 2.0))))
    g = LinearGaussianBayesianNetwork(edges, nodes=names)
    g.add_cpds(*cpds)
    return g


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 6))
def test_linear_gaussian_joint_is_spd_and_its_density_matches(seed, n):
    g = _random_lg(seed, n)
    mean, cov = g.to_joint_gaussian()
    np.testing.assert_allclose(cov, cov.T)
    assert np.linalg.eigvalsh(cov).min() > 0
    X = g.sample(5, rng=seed % 1000)
    # the product of the conditionals equals the implied joint Gaussian's density, exactly
    np.testing.assert_allclose(g.log_prob(X), stats.multivariate_normal(mean, cov).logpdf(X).reshape(-1),
                               rtol=1e-8, atol=1e-8)


@settings(max_examples=6, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(2, 5))
def test_linear_gaussian_sample_covariance_matches(seed, n):
    g = _random_lg(seed, n)
    mean, cov = g.to_joint_gaussian()
    N = 200_000
    X = g.sample(N, rng=1)
    sd = np.sqrt(np.diag(cov))
    corr = cov / np.outer(sd, sd)
    # standard error of a sample covariance entry: sqrt((s_ii s_jj + s_ij^2) / N)
    se = np.sqrt((np.outer(np.diag(cov), np.diag(cov)) + cov ** 2) / N)
    assert np.all(np.abs(np.cov(X.T) - cov) <= 6 * se)
    assert np.all(np.abs(X.mean(axis=0) - mean) <= 6 * sd / np.sqrt(N))
    assert np.all(np.abs(corr) <= 1 + 1e-12)


def test_linear_gaussian_normalization_integral():
    g = _random_lg(3, 2)
    rep = g.check_normalization()
    assert rep.ok and rep.global_sum == pytest.approx(1.0, abs=1e-6)
    g1 = _random_lg(4, 1)
    assert g1.check_normalization().global_sum == pytest.approx(1.0, abs=1e-8)


def test_linear_gaussian_model_errors():
    g = LinearGaussianBayesianNetwork([("x", "y")])
    with pytest.raises(ValueError, match="parents"):
        g.add_cpds(LinearGaussianCPD("y", 0.0))
    with pytest.raises(TypeError, match="LinearGaussianCPD"):
        g.add_cpds(TabularCPD("x", 2, [0.5, 0.5]))
    g.add_cpds(LinearGaussianCPD("x", 0.0))
    with pytest.raises(ValueError, match="'y' has no CPD"):
        g.to_joint_gaussian()
