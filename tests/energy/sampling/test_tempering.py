"""Parallel tempering: every replica of a tiny two-mode RBM against its exact tempered p_T(v)
(chi-square over independent chains at fixed seeds), the exchange acceptance against the
Metropolis formula on hand-made energies, row swaps, the per-chain energies, bad input, and
the example's quick run."""

import importlib.util
import itertools
import os

import numpy as np
import pytest
from scipy import stats
from scipy.special import logsumexp

from energy.models import BernoulliRBM, IsingModel, RBMChains
from energy.models.rbm_sampling import AnnealedRBMChains
from energy.sampling import TemperingResult, block_gibbs, parallel_tempering, swap_rows
from pgm.runtime import softplus

P_MIN = 1e-6  # a correct sampler fails one of these checks with probability ~1e-6 per check
EXAMPLES = os.path.join(os.path.dirname(__file__), "..", "..", "..", "examples")


def _two_mode_rbm(s=3.0):
    """V = 4, H = 3: hidden 0 switches the visibles between the modes 0011 and 1100 (a barrier
    of about 4s in energy); two weak hidden units break the symmetry."""
    m = BernoulliRBM(n_components=3, random_state=0)
    m._init(4)
    m.components_[...] = [[2 * s, 2 * s, -2 * s, -2 * s], [1, -1, 1, -1], [0.5, 0.5, 0.5, 0.5]]
    m.intercept_hidden_[...] = [0.0, -0.5, 0.3]
    m.intercept_visible_[...] = [-s, -s, s, s]
    return m


def _exact_pv(m, T):
    """p_T(v) ∝ Σ_h exp(−E(v, h) / T) over all 2^V visible states (v in binary order)."""
    vs = np.array(list(itertools.product([0.0, 1.0], repeat=m.n_features_in_)))
    lp = vs @ m.intercept_visible_ / T + softplus(
        (vs @ m.components_.T + m.intercept_hidden_) / T).sum(1)
    return np.exp(lp - logsumexp(lp))


def _counts(v):
    idx = (v @ (1 << np.arange(v.shape[1]))[::-1]).astype(int)
    return np.bincount(idx, minlength=1 << v.shape[1])


def _chi2_p(counts, p):
    """Chi-square p-value, cells expected below 5 pooled into one."""
    e = counts.sum() * p
    small = e < 5
    if small.any():
        counts = np.append(counts[~small], counts[small].sum())
        e = np.append(e[~small], e[small].sum())
    return stats.chisquare(counts, e).pvalue


def _stuck_states(n, R):
    """All chains of every replica start in the mode 1100."""
    return [{"v": np.tile([1.0, 1, 0, 0], (n, 1)), "h": np.zeros((n, 3))} for _ in range(R)]


def test_every_replica_follows_its_exact_tempered_distribution():
    """4,000 independent chains per replica, all started in one mode, 40 sweeps: the final
    visibles of replica r follow the exact p_{T_r}(v) (chi-square), T = 1 included, while
    plain Gibbs from the same start for as many sweeps has not left the mode."""
    m = _two_mode_rbm()
    chains = RBMChains(m)
    ladder = [1.0, 1.7, 3.0, 5.0]
    res = parallel_tempering(chains, _stuck_states(4000, 4), ladder, n_sweeps=40, rng=1)
    assert isinstance(res, TemperingResult) and res.n_sweeps == 40
    assert res.state is res.states[0]
    for state, T in zip(res.states, ladder):
        assert _chi2_p(_counts(state["v"]), _exact_pv(m, T)) > P_MIN, T
    # the T = 1 sample is not that of another temperature
    assert _chi2_p(_counts(res.state["v"]), _exact_pv(m, 1.7)) < P_MIN
    np.testing.assert_array_equal(res.n_proposed, [4000 * 40] * 3)
    # the same chains without exchanges stay in the mode they started in
    plain = _stuck_states(4000, 1)[0]
    block_gibbs(chains, plain, temperature=1.0, max_sweeps=40, rng=1, record_energy=False)
    assert _chi2_p(_counts(plain["v"]), _exact_pv(m, 1.0)) < P_MIN
    # exchanges every third sweep, and chains stored hidden-first ("v", "h" blocks)
    res = parallel_tempering(RBMChains(m, blocks=("v", "h")), _stuck_states(4000, 4), ladder,
                             n_sweeps=60, swap_every=3, rng=2)
    np.testing.assert_array_equal(res.n_proposed, [4000 * 20] * 3)
    for state, T in zip(res.states, ladder):
        assert _chi2_p(_counts(state["v"]), _exact_pv(m, T)) > P_MIN, T


class _Fixed:
    """Chains that never move (sample_block changes nothing): chain c's energy is x[c, 0]."""

    blocks = ("x",)

    def sample_block(self, state, block, temperature, rng):
        return 0

    def state_energy(self, state):
        return float(state["x"][:, 0].sum())

    def chain_energies(self, state):
        return state["x"][:, 0].copy()


def test_exchange_acceptance_is_the_metropolis_probability():
    """T = (1, 2): (1/T_0 − 1/T_1)(E_0 − E_1) = 0.5 (E_0 − E_1). Chains with E_0 > E_1
    always exchange; chains with E_0 − E_1 = −2 exchange with probability e^{-1}."""
    n = 20_000
    half = n // 2
    e0 = np.r_[np.full(half, 3.0), np.full(half, 0.0)]
    e1 = np.r_[np.full(half, 1.0), np.full(half, 2.0)]
    tag0, tag1 = np.arange(n) + 0.5, -np.arange(n) - 0.5      # to follow the rows
    a = {"x": np.c_[e0, tag0]}
    b = {"x": np.c_[e1, tag1]}
    res = parallel_tempering(_Fixed(), [a, b], [1.0, 2.0], n_sweeps=1, rng=5)
    swapped = a["x"][:, 1] < 0
    # a row moves whole, in both directions, and only under the mask
    np.testing.assert_array_equal(a["x"][:, 1], np.where(swapped, tag1, tag0))
    np.testing.assert_array_equal(b["x"][:, 1], np.where(swapped, tag0, tag1))
    np.testing.assert_array_equal(a["x"][:, 0], np.where(swapped, e1, e0))
    assert swapped[:half].all()
    k = int(swapped[half:].sum())
    assert stats.binomtest(k, half, np.exp(-1.0)).pvalue > P_MIN
    assert res.acceptance[0] == (half + k) / n and res.n_proposed[0] == n
    # the reversed sign (exp((1/T_j − 1/T_i)(E_i − E_j))) would have accepted all of them
    assert k < half * 0.5


def test_swap_every_and_one_chain_models():
    """swap_every=3 over 7 sweeps proposes twice; a model without chain_energies (an Ising
    model) is one chain whose exchanges swap the states; the average of observe is kept."""
    n = 50
    res = parallel_tempering(_Fixed(), [{"x": np.zeros((n, 1))}, {"x": np.zeros((n, 1))}],
                             [1.0, 3.0], n_sweeps=7, swap_every=3, rng=0)
    np.testing.assert_array_equal(res.n_proposed, [2 * n])
    assert res.acceptance[0] == 1.0                       # equal energies: always accepted
    ising = IsingModel(np.ones((6, 6)), beta=0.5, eta=0.5)
    s0, s1 = ising.initial_state(), -ising.initial_state()
    res = parallel_tempering(ising, [s0, s1], [1.0, 1.5], n_sweeps=5, rng=3, average=True,
                             burn_in=2)
    assert res.n_proposed.tolist() == [5] and res.n_averaged == 3
    assert res.mean.shape == (6, 6) and {id(s) for s in res.states} == {id(s0), id(s1)}


def test_chain_energies_of_the_rbm_chains():
    m = _two_mode_rbm()
    chains = RBMChains(m)
    st = chains.initial_state(7, rng=0)
    st["h"][...] = np.random.default_rng(1).random((7, 3)) < 0.5
    e = chains.chain_energies(st)
    assert e.shape == (7,)
    np.testing.assert_allclose(e, m.energy(st["v"], st["h"]))
    np.testing.assert_allclose(e.sum(), chains.state_energy(st))
    bA = np.array([0.3, -0.2, 0.1, 0.4])
    ann = AnnealedRBMChains(m, bA, beta=1.0)
    np.testing.assert_allclose(ann.chain_energies(st), e)
    ann.beta = 0.0
    np.testing.assert_allclose(ann.chain_energies(st), -(st["v"] @ bA))
    ann.beta = 0.4
    ref = -(0.6 * st["v"] @ bA) + 0.4 * e
    np.testing.assert_allclose(ann.chain_energies(st), ref)


def test_swap_rows_structures():
    a, b = [np.zeros((3, 2)), np.zeros(3)], [np.ones((3, 2)), np.ones(3)]
    swap_rows(a, b, np.array([False, True, False]))
    np.testing.assert_array_equal(a[1], [0, 1, 0])
    np.testing.assert_array_equal(b[0][:, 1], [1, 0, 1])
    with pytest.raises(ValueError, match="states"):
        swap_rows({"v": np.zeros(2)}, {"w": np.zeros(2)}, np.array([True, False]))
    with pytest.raises(TypeError, match="states"):
        swap_rows(1.0, 2.0, np.array([True]))


def test_bad_input():
    chains = RBMChains(_two_mode_rbm())
    st = [chains.initial_state(3, rng=k) for k in range(3)]
    ok = [1.0, 2.0, 4.0]
    for ladder, msg in [([2.0, 3.0, 4.0], "start at T_0 = 1"), ([1.0, 3.0, 2.0], "strictly"),
                        ([1.0, 2.0, 2.0], "strictly"), ([1.0, np.nan, 4.0], "temperatures"),
                        ([1.0, 2.0, np.inf], "temperatures"), ([1.0], "at least 2"),
                        ([[1.0, 2.0, 3.0]], "temperatures")]:
        with pytest.raises(ValueError, match="temperatures") as e:
            parallel_tempering(chains, st[:len(ladder)], ladder, n_sweeps=1)
        assert msg in str(e.value) or msg == "temperatures"
    with pytest.raises(ValueError, match="n_sweeps"):
        parallel_tempering(chains, st, ok, n_sweeps=0)
    with pytest.raises(ValueError, match="swap_every"):
        parallel_tempering(chains, st, ok, n_sweeps=1, swap_every=0)
    with pytest.raises(ValueError, match="states: expected 3"):
        parallel_tempering(chains, st[:2], ok, n_sweeps=1)
    with pytest.raises(ValueError, match="states: state 2"):
        parallel_tempering(chains, st[:2] + [chains.initial_state(4, rng=0)], ok, n_sweeps=1)
    with pytest.raises(TypeError, match="states"):
        parallel_tempering(chains, st[0], ok, n_sweeps=1)
    with pytest.raises(ValueError, match="burn_in"):
        parallel_tempering(chains, st, ok, n_sweeps=2, burn_in=2, average=True)
    with pytest.raises(TypeError, match="rng"):
        parallel_tempering(chains, st, ok, n_sweeps=1, rng="seed")


def _load_example(name):
    spec = importlib.util.spec_from_file_location(name, os.path.join(EXAMPLES, f"{name}.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_parallel_tempering_example_quick(tmp_path, monkeypatch):
    """The example's exact p(v) is the RBM's own exact likelihood; its quick run writes the
    figure and, at its fixed seeds, tempering is closer to p(v) than plain Gibbs (measured
    at N = 100: TV 0.066 vs 0.214, iid floor 0.032)."""
    ex = _load_example("parallel_tempering")
    rbm = ex.prototype_rbm()
    vs = np.array(list(itertools.product([0.0, 1.0], repeat=12)))
    np.testing.assert_allclose(ex.exact_pv(rbm), np.exp(rbm.log_likelihood(vs)), rtol=1e-9)
    monkeypatch.chdir(tmp_path)
    rows, acc = ex.main(["--quick", "-o", "pt.png"])
    assert (tmp_path / "pt.png").stat().st_size > 0
    assert rows.shape == (2, 4) and acc.shape == (7,)
    assert np.all((acc > 0) & (acc <= 1)) and np.all((rows[:, 1:] > 0) & (rows[:, 1:] <= 1))
    assert rows[-1, 2] < 0.5 * rows[-1, 1]
