"""Samplers vs exact marginals (chi-square at fixed seeds), bounds on impossible evidence."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from scipy import stats

from pgm import (BayesianNetwork, ImpossibleEvidenceError, JunctionTree, TabularCPD,
                 forward_sample, likelihood_weighted_marginals,
                 likelihood_weighting, rejection_sample)

from tests.pgm._bn_helpers import brute_conditional, chi2_p, brute_joint, networks, random_bn, sprinkler


P_MIN = 1e-6  # a correct sampler fails one of these checks with probability ~1e-6 per check




@settings(max_examples=40, deadline=None)
@given(networks)
def test_forward_sample_frequencies_match_the_exact_joint(p):
    bn = random_bn(*p)
    X = forward_sample(bn, 20_000, rng=12345)
    assert X.shape == (20_000, len(bn.nodes))
    J = brute_joint(bn)
    for k, v in enumerate(bn.nodes):  # every single-node marginal
        marg = J.sum(axis=tuple(i for i in range(J.ndim) if i != k))
        assert chi2_p(np.bincount(X[:, k], minlength=J.shape[k]), marg) > P_MIN
    if J.size <= 2000:  # and the full joint when small enough to have counts everywhere
        flat = np.ravel_multi_index(tuple(X.T.astype(np.intp)), J.shape)
        assert chi2_p(np.bincount(flat, minlength=J.size), J) > P_MIN


def test_forward_sample_is_reproducible_and_never_draws_zero_mass():
    bn = sprinkler()
    a = forward_sample(bn, 5000, rng=3)
    b = forward_sample(bn, 5000, rng=np.random.default_rng(3))
    np.testing.assert_array_equal(a, b)
    s, r, w = (bn.nodes.index(x) for x in ("Sprinkler", "Rain", "WetGrass"))
    assert not np.any((a[:, s] == 0) & (a[:, r] == 0) & (a[:, w] == 1))
    # a zero-probability last state
    bn2 = BayesianNetwork(nodes=["A"])
    bn2.add_cpds(TabularCPD("A", 3, [0.5, 0.5, 0.0]))
    assert forward_sample(bn2, 100_000, rng=0).max() == 1
    with pytest.raises(ValueError, match="n_samples"):
        forward_sample(bn, 0)
    with pytest.raises(TypeError, match="rng"):
        forward_sample(bn, 10, rng="seed")


@settings(max_examples=15, deadline=None)
@given(st.tuples(st.integers(0, 2**32 - 1), st.integers(2, 6)), st.integers(0, 2**32 - 1))
def test_rejection_samples_follow_the_exact_conditional(p, qseed):
    bn = random_bn(*p)
    rng = np.random.default_rng(qseed)
    nodes = list(bn.nodes)
    e = nodes[int(rng.integers(len(nodes)))]
    x = bn.sample(1, rng=rng)[0]
    ev = {e: int(x[nodes.index(e)])}
    X = rejection_sample(bn, 5000, ev, rng=7)
    assert np.all(X[:, nodes.index(e)] == ev[e])
    for k, v in enumerate(nodes):
        if v == e:
            continue
        exact = brute_conditional(bn, [v], ev)
        assert chi2_p(np.bincount(X[:, k], minlength=exact.size), exact) > P_MIN


def test_rejection_is_bounded_on_impossible_evidence():
    bn = sprinkler()
    ev = {"Sprinkler": "F", "Rain": "F", "WetGrass": "T"}
    with pytest.raises(ImpossibleEvidenceError, match=r"only 0 of 50000 draws .*max_draws=50000"):
        rejection_sample(bn, 10, ev, rng=0, max_draws=50_000)


@settings(max_examples=20, deadline=None)
@given(networks, st.integers(0, 2**32 - 1))
def test_likelihood_weighting_converges_to_exact(p, qseed):
    bn = random_bn(*p)
    rng = np.random.default_rng(qseed)
    nodes = list(bn.nodes)
    x = bn.sample(1, rng=rng)[0]
    ev = {v: int(x[i]) for i, v in enumerate(nodes) if rng.random() < 0.3}
    if len(ev) == len(nodes):
        ev.pop(nodes[0])
    X, w = likelihood_weighting(bn, 20_000, ev, rng=11)
    assert X.shape == (20_000, len(nodes)) and np.all(w >= 0) and w.sum() > 0
    ess = w.sum() ** 2 / (w ** 2).sum()
    est = likelihood_weighted_marginals(bn, 20_000, ev, rng=11)
    for v, m in est.items():
        exact = brute_conditional(bn, [v], ev)
        # 8 standard errors of a weighted mean with effective sample size ess, plus slack for
        # the rare heavy weights that the normal approximation underrates
        assert np.all(np.abs(m - exact) <= 8 * np.sqrt(exact * (1 - exact) / ess) + 5e-3), v


def test_likelihood_weighting_all_zero_weights_is_an_error():
    bn = sprinkler()
    ev = {"Sprinkler": "F", "Rain": "F", "WetGrass": "T"}
    with pytest.raises(ImpossibleEvidenceError, match="all 1000 likelihood weights are zero"):
        likelihood_weighted_marginals(bn, 1000, ev, rng=0)
