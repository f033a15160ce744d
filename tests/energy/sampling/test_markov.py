"""Gibbs sampling of Markov networks through the one sampler, against exact inference."""

import numpy as np
import pytest

from energy.sampling import MarkovNetGibbs, block_gibbs, gibbs_marginals
from pgm import DiscreteFactor, ImpossibleEvidenceError, JunctionTree, MarkovNetwork

from tests.pgm._bn_helpers import chi2_p

P_MIN = 1e-6  # a correct sampler fails one of these checks with probability ~1e-6 per check


def _network(seed, zeros=False):
    """Six variables, cards 2-3, pairwise and 3-ary factors with a cycle (and some zeros)."""
    rng = np.random.default_rng(seed)
    names = list("ABCDEF")
    cards = dict(zip(names, rng.integers(2, 4, size=6).tolist()))
    scopes = [("A", "B"), ("B", "C"), ("C", "A"), ("C", "D", "E"), ("E", "F"), ("F",), ("A",)]
    fs = []
    for sc in scopes:
        t = rng.gamma(2.0, size=[cards[u] for u in sc]) + 0.1
        if zeros and len(sc) == 2:
            t.flat[1] = 0.0
        fs.append(DiscreteFactor(list(sc), t))
    return MarkovNetwork(fs, state_names={"F": [f"f{k}" for k in range(cards["F"])]})


@pytest.mark.parametrize("case", range(3))
def test_gibbs_through_the_one_sampler_matches_exact_marginals(case):
    mn = _network(case, zeros=case == 2)
    ev = {"D": 1} if case == 1 else None
    g = MarkovNetGibbs(mn, ev, n_chains=3000, rng=0)
    state = g.initial_state()
    assert np.all(np.isfinite(g.log_weight(state)))
    res = block_gibbs(g, state, temperature=1.0, max_sweeps=40, rng=1, record_energy=True)
    assert np.all(np.isfinite(res.energies))
    exact = JunctionTree(mn).marginals(ev)
    # the final states of independent chains are (after burn-in) independent exact draws
    for k, v in enumerate(mn.variables):
        if ev and v in ev:
            assert np.all(state[:, k] == ev[v])
            continue
        counts = np.bincount(state[:, k], minlength=mn.cardinality[v])
        assert chi2_p(counts, exact[v]) > P_MIN, v
    # and a sampler of the wrong distribution would fail: a flattened table for A
    wrong = np.sqrt(exact["A"]) / np.sqrt(exact["A"]).sum()
    assert chi2_p(np.bincount(state[:, 0], minlength=wrong.size), wrong) < P_MIN
    # the averaged estimate of gibbs_marginals (a Markov network accepted as is) is close too
    m = gibbs_marginals(mn, ev, n_sweeps=60, burn_in=10, n_chains=500, rng=2)
    for v in m:
        np.testing.assert_allclose(m[v], exact[v], atol=0.03)


def test_zero_temperature_is_icm():
    mn = _network(3)
    g = MarkovNetGibbs(mn, n_chains=20, rng=0)
    res = block_gibbs(g, g.initial_state(), temperature=0.0, max_sweeps=30)
    assert res.converged and np.all(np.diff(res.energies) <= 1e-9)


def test_energy_is_minus_the_log_weight():
    mn = MarkovNetwork([DiscreteFactor(["A", "B"], [[1.0, 2.0], [3.0, 4.0]])])
    g = MarkovNetGibbs(mn, n_chains=2, rng=0)
    x = np.array([[0, 1], [1, 1]])
    assert g.state_energy(x) == pytest.approx(-np.log(2.0) - np.log(4.0))


def test_refusals():
    mn = MarkovNetwork([DiscreteFactor(["A", "B"], [[1.0, 0.0], [0.0, 1.0]])])
    with pytest.raises(ValueError, match="every variable is observed"):
        MarkovNetGibbs(mn, {"A": 0, "B": 1}, n_chains=10, rng=0)
    with pytest.raises(ImpossibleEvidenceError):
        MarkovNetGibbs(MarkovNetwork([DiscreteFactor(["A", "B", "C"], np.eye(2)[:, :, None]
                                                     * np.array([1.0, 0.0]))]),
                       {"C": 1}, n_chains=10, rng=0)
    with pytest.raises(TypeError, match="MarkovNetwork"):
        MarkovNetGibbs("model")
    with pytest.raises(ValueError, match="n_chains"):
        MarkovNetGibbs(mn, n_chains=0)
