"""Gibbs sampling of Bayesian networks through the one sampler, against exact inference."""

import numpy as np
import pytest
from scipy import stats

from energy.sampling import BayesNetGibbs, block_gibbs, gibbs_marginals
from pgm import ImpossibleEvidenceError, JunctionTree

from tests.pgm._bn_helpers import brute_conditional, chi2_p, random_bn, sprinkler

P_MIN = 1e-6  # a correct sampler fails one of these checks with probability ~1e-6 per check


def _gibbs_models():
    yield sprinkler(), {"WetGrass": "T"}
    for seed in (1, 2, 3):
        bn = random_bn(seed, 6, alpha=2.0)
        x = bn.sample(1, rng=seed)[0]
        yield bn, {bn.nodes[0]: int(x[0]), bn.nodes[3]: int(x[3])}


@pytest.mark.parametrize("case", range(4))
def test_gibbs_through_the_one_sampler_matches_exact_marginals(case):
    bn, ev = list(_gibbs_models())[case]
    enc = bn.encode_evidence(ev)
    g = BayesNetGibbs(bn, ev, n_chains=3000, rng=0)
    state = g.initial_state()
    res = block_gibbs(g, state, temperature=1.0, max_sweeps=40, rng=1, record_energy=True)
    assert np.all(np.isfinite(res.energies))
    # the final states of independent chains are (after burn-in) independent exact draws
    for k, v in enumerate(bn.nodes):
        if v in enc:
            assert np.all(state[:, k] == enc[v])
            continue
        exact = brute_conditional(bn, [v], enc)
        assert chi2_p(np.bincount(state[:, k], minlength=exact.size), exact) > P_MIN, v
    # the averaged estimate from gibbs_marginals is close too
    m = gibbs_marginals(bn, ev, n_sweeps=60, burn_in=10, n_chains=500, rng=2)
    jt = JunctionTree(bn).marginals(ev)
    for v in m:
        np.testing.assert_allclose(m[v], jt[v], atol=0.03)


def test_gibbs_at_zero_temperature_is_icm_and_never_raises_energy():
    bn = random_bn(5, 7)
    g = BayesNetGibbs(bn, None, n_chains=50, rng=0)
    res = block_gibbs(g, g.initial_state(), temperature=0.0, max_sweeps=50)
    assert np.all(np.diff(res.energies) <= 1e-9)
    assert res.converged
    # every chain ends in a local maximum: no single-node change increases p(x)
    st_ = res.state
    for v in g.blocks:
        lg = g.conditional_logits(st_, v)
        cur = lg[np.arange(len(st_)), st_[:, bn.nodes.index(v)]]
        assert np.all(cur >= lg.max(axis=1) - 1e-12)


def test_gibbs_on_impossible_evidence_fails_fast():
    bn = sprinkler()
    with pytest.raises(ImpossibleEvidenceError, match="no state of positive probability"):
        BayesNetGibbs(bn, {"Sprinkler": "F", "Rain": "F", "WetGrass": "T"}, n_chains=10,
                      rng=0, max_init_draws=20_000)
    with pytest.raises(ValueError, match="every variable is observed"):
        BayesNetGibbs(bn, {"Cloudy": "F", "Sprinkler": "F", "Rain": "F", "WetGrass": "F"})
