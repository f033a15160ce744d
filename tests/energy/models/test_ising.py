"""The Ising denoising model: energies, conditionals, ICM, Gibbs, annealing, mean field."""

import itertools

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from scipy import stats

from energy.models._ising_kernels_ref import ising_energy_ref, local_field_ref
from energy.models.ising import IsingModel
from energy.sampling import block_gibbs, temperature_schedule

grids = st.tuples(st.integers(1, 8), st.integers(1, 8), st.sampled_from([4, 8]),
                  st.floats(-2, 2), st.floats(-3, 3), st.floats(-2, 2), st.integers(0, 2**32))


def _model(H, W, Kc, beta, eta, h, seed):
    rng = np.random.default_rng(seed)
    y = rng.choice([-1, 1], size=(H, W))
    x = rng.choice([-1, 1], size=(H, W))
    return IsingModel(y, beta=beta, eta=eta, h=h, connectivity=Kc), x


@settings(max_examples=80, deadline=None)
@given(grids)
def test_delta_energy_is_difference_of_two_full_energies(p):
    model, x = _model(*p)
    dE = model.delta_energy(x)
    E = model.energy(x)
    for i, j in itertools.product(range(x.shape[0]), range(x.shape[1])):
        x2 = x.copy()
        x2[i, j] = -x2[i, j]
        assert dE[i, j] == pytest.approx(model.energy(x2) - E, abs=1e-9 * (1 + abs(E)))


@settings(max_examples=60, deadline=None)
@given(grids)
def test_energy_and_field_match_reference(p):
    model, x = _model(*p)
    unary = model.h - model.eta * model.y
    assert model.energy(x) == pytest.approx(
        ising_energy_ref(x, unary, model.beta, model.connectivity), abs=1e-9 * (1 + x.size))
    np.testing.assert_allclose(model.local_field(x),
                               local_field_ref(x, unary, model.beta, model.connectivity))


def test_energy_formula_on_a_hand_example():
    # 1x3 chain, x = (+1, -1, -1), y = (+1, +1, -1): sum x = -1, sum xy = 1 - 1 + 1 = 1,
    # pairs: (+1)(-1) + (-1)(-1) = 0  ->  E = h*(-1) - beta*0 - eta*1
    m = IsingModel([[1, 1, -1]], beta=0.7, eta=2.0, h=0.5)
    assert m.energy([[1, -1, -1]]) == pytest.approx(-0.5 - 2.0)


def test_conditional_matches_exact_enumeration():
    rng = np.random.default_rng(3)
    y = rng.choice([-1, 1], size=(2, 3))
    m = IsingModel(y, beta=0.6, eta=0.8, h=-0.3, connectivity=8)
    T = 1.7
    states = np.array(list(itertools.product([-1, 1], repeat=6))).reshape(-1, 2, 3)
    E = np.array([m.energy(s) for s in states])
    for x in states[::7]:
        cond = m.conditional(x, T)
        for i, j in itertools.product(range(2), range(3)):
            # p(x_ij = +1 | rest) from the joint: the two states differing at (i, j)
            xp, xm = x.copy(), x.copy()
            xp[i, j], xm[i, j] = 1, -1
            ep, em = m.energy(xp), m.energy(xm)
            assert cond[i, j] == pytest.approx(1 / (1 + np.exp(-(em - ep) / T)), rel=1e-12)
    assert np.isfinite(E).all()


@pytest.mark.parametrize("order", ["checkerboard", "raster"])
@pytest.mark.parametrize("connectivity", [4, 8])
def test_icm_descends_to_a_single_flip_local_minimum(order, connectivity):
    rng = np.random.default_rng(1)
    y = rng.choice([-1, 1], size=(40, 50))
    m = IsingModel(y, beta=1.0, eta=0.9, h=0.1, connectivity=connectivity, order=order)
    res = m.icm()
    assert res.sampler.converged
    assert np.all(np.diff(np.concatenate([[m.energy(y)], res.energies])) <= 1e-9)
    assert np.all(m.delta_energy(res.x) >= 0)         # no single flip lowers the energy
    assert res.energy == pytest.approx(m.energy(res.x))


def test_icm_starts_from_a_given_x():
    y = np.ones((10, 10), dtype=int)
    x0 = -np.ones((10, 10), dtype=int)
    # strong coupling: the all -1 start is a fixed point although y says +1
    res = IsingModel(y, beta=2.0, eta=1.0).icm(x0)
    np.testing.assert_array_equal(res.x, x0)
    res = IsingModel(y, beta=2.0, eta=1.0).icm()
    np.testing.assert_array_equal(res.x, y)


def _gibbs_histogram(model, T, n_keep, thin, rng):
    """Visit counts of the 2^n states of a tiny model along one chain."""
    H, W = model.shape
    weights = 1 << np.arange(H * W)
    counts = np.zeros(2 ** (H * W), dtype=np.int64)
    state = model.initial_state()

    def record(sweep, n, temperature, energy, changed):
        if sweep % thin == 0:
            counts[int(((model.spins(state).ravel() > 0) * weights).sum())] += 1

    block_gibbs(model, state, temperature=T, max_sweeps=n_keep * thin, rng=rng, progress=record)
    return counts


def _exact_distribution(model, T):
    H, W = model.shape
    states = np.array(list(itertools.product([-1, 1], repeat=H * W)))[:, ::-1]
    E = np.array([model.energy(s.reshape(H, W)) for s in states])
    p = np.exp(-(E - E.min()) / T)
    # index of each state in the sampler's encoding (bit k = site k is +1)
    idx = ((states > 0) * (1 << np.arange(H * W))).sum(axis=1)
    out = np.empty_like(p)
    out[idx] = p / p.sum()
    return out


@pytest.mark.parametrize("order,connectivity", [("checkerboard", 4), ("checkerboard", 8),
                                                ("raster", 4)])
def test_gibbs_samples_follow_the_exact_distribution(order, connectivity):
    rng = np.random.default_rng(11)
    y = rng.choice([-1, 1], size=(2, 3))
    model = IsingModel(y, beta=0.4, eta=0.3, h=0.2, connectivity=connectivity, order=order)
    T = 1.3
    counts = _gibbs_histogram(model, T, n_keep=20000, thin=3, rng=5)
    p = _exact_distribution(model, T)
    res = stats.chisquare(counts, counts.sum() * p)
    assert res.pvalue > 1e-4, res
    # and a sampler that ignores the temperature would fail: compare with T = 3 * T
    wrong = _exact_distribution(model, 3 * T)
    assert stats.chisquare(counts, counts.sum() * wrong).pvalue < 1e-8


def test_gibbs_marginals_and_mpm_match_exact_marginals():
    rng = np.random.default_rng(2)
    y = rng.choice([-1, 1], size=(3, 3))
    model = IsingModel(y, beta=0.5, eta=0.4, h=0.0)
    res = model.gibbs(1.0, n_sweeps=40000, burn_in=100, rng=0)
    p = _exact_distribution(model, 1.0)
    states = np.array(list(itertools.product([-1, 1], repeat=9)))[:, ::-1]
    idx = ((states > 0) * (1 << np.arange(9))).sum(axis=1)
    exact = ((states > 0) * p[idx][:, None]).sum(axis=0).reshape(3, 3)
    np.testing.assert_allclose(res.marginals, exact, atol=0.03)   # ~6 sd of a correlated mean
    clear = np.abs(exact - 0.5) > 0.1
    np.testing.assert_array_equal(res.x[clear], np.where(exact > 0.5, 1, -1)[clear])


def test_gibbs_is_reproducible_and_seed_dependent():
    rng = np.random.default_rng(4)
    y = rng.choice([-1, 1], size=(30, 30))
    m = IsingModel(y, beta=0.8, eta=1.0)
    a = m.gibbs(1.0, n_sweeps=20, burn_in=5, rng=123)
    b = m.gibbs(1.0, n_sweeps=20, burn_in=5, rng=123)
    c = m.gibbs(1.0, n_sweeps=20, burn_in=5, rng=124)
    np.testing.assert_array_equal(a.marginals, b.marginals)
    assert not np.array_equal(a.marginals, c.marginals)
    g = np.random.default_rng(9)
    d1 = m.anneal(rng=g, n_sweeps=10)
    d2 = m.anneal(rng=np.random.default_rng(9), n_sweeps=10)
    np.testing.assert_array_equal(d1.x, d2.x)


def test_annealing_finds_the_ground_state_of_a_small_frustrated_model():
    rng = np.random.default_rng(8)
    y = rng.choice([-1, 1], size=(3, 4))
    m = IsingModel(y, beta=0.7, eta=0.6, h=0.1)
    states = np.array(list(itertools.product([-1, 1], repeat=12))).reshape(-1, 3, 4)
    emin = min(m.energy(s) for s in states)
    res = m.anneal(t_start=3.0, t_end=0.05, n_sweeps=300, rng=1)
    assert res.energy == pytest.approx(emin)
    assert res.sampler.converged
    assert np.all(m.delta_energy(res.x) >= 0)


def test_mean_field_reaches_its_fixed_point():
    rng = np.random.default_rng(5)
    y = rng.choice([-1, 1], size=(20, 25))
    m = IsingModel(y, beta=0.3, eta=0.7, h=0.1)
    res = m.mean_field(1.0, tol=1e-10, max_iter=2000)
    mag = 2 * res.marginals - 1
    fixed = np.tanh((m.beta * _nsum_float(mag) + m.eta * y - m.h) / 1.0)
    np.testing.assert_allclose(mag, fixed, atol=1e-8)
    assert np.all((res.x == 1) == (mag > 0))


def _nsum_float(m):
    p = np.pad(m, 1)
    return p[:-2, 1:-1] + p[2:, 1:-1] + p[1:-1, :-2] + p[1:-1, 2:]


def test_denoising_removes_most_noise_on_a_smooth_image():
    i, j = np.indices((64, 64))
    clean = np.where((i - 32) ** 2 + (j - 30) ** 2 < 400, 1, -1)
    y = np.where(np.random.default_rng(0).random(clean.shape) < 0.1, -clean, clean)
    m = IsingModel(y, beta=1.0, eta=2.1)
    noisy_err = np.mean(y != clean)
    for res in (m.icm(), m.gibbs(rng=0), m.anneal(rng=0), m.mean_field()):
        assert np.mean(res.x != clean) < noisy_err / 2, res.method


def test_to_networkx_grid():
    g4 = IsingModel(np.ones((3, 4)), beta=0.5).to_networkx()
    g8 = IsingModel(np.ones((3, 4)), connectivity=8).to_networkx()
    assert g4.number_of_nodes() == 12 and g4.number_of_edges() == 3 * 3 + 2 * 4
    assert g8.number_of_edges() == 17 + 2 * 2 * 3
    assert g4.nodes[(0, 0)]["y"] == 1 and g4.edges[(0, 0), (0, 1)]["beta"] == 0.5


@pytest.mark.parametrize("y,match", [
    (np.array([[0, 1], [1, 0]]), "y: spins must be -1 or \\+1"),
    (np.array([[1.0, np.nan]]), "y: must be finite"),
    (np.ones(5), "y: expected a 2-D array"),
    (np.ones((0, 3)), "y: expected at least 1"),
    (np.array([["a", "b"]]), "y: expected dtype kind"),
])
def test_bad_observations_are_rejected(y, match):
    with pytest.raises((ValueError, TypeError), match=match):
        IsingModel(y)


def test_bad_arguments_are_rejected():
    y = np.ones((3, 3))
    with pytest.raises(ValueError, match="connectivity"):
        IsingModel(y, connectivity=6)
    with pytest.raises(ValueError, match="order"):
        IsingModel(y, order="spiral")
    with pytest.raises(ValueError, match="beta: must be finite"):
        IsingModel(y, beta=float("inf"))
    with pytest.raises(ValueError, match="x0: expected shape"):
        IsingModel(y).icm(np.ones((2, 3)))
    with pytest.raises(ValueError, match="temperature"):
        IsingModel(y).gibbs(-1.0)
    with pytest.raises(ValueError, match="method"):
        IsingModel(y).restore("magic")
    with pytest.raises(ValueError, match="beta: graph cut needs beta >= 0"):
        IsingModel(y, beta=-0.5).graphcut()




def _blobs(n=160, seed=0):
    rng = np.random.default_rng(seed)
    i, j = np.indices((n, n))
    img = -np.ones((n, n), dtype=np.int8)
    for _ in range(6):
        ci, cj, r = rng.integers(20, n - 20, 2).tolist() + [int(rng.integers(8, 25))]
        img[(i - ci) ** 2 + (j - cj) ** 2 < r * r] = 1
    return img


@pytest.mark.parametrize("rate", [0.05, 0.1, 0.2])
def test_noise_rate_estimate_is_close_on_a_smooth_image(rate):
    from energy.models.ising import estimate_noise_rate
    clean = _blobs()
    y = np.where(np.random.default_rng(1).random(clean.shape) < rate, -clean, clean)
    true_rate = np.mean(y != clean)
    # binomial sd on ~25k flat pixels is < 0.003; allow 4 sd
    assert abs(estimate_noise_rate(y) - true_rate) < 0.012


def test_auto_parameters_beat_prml_parameters_without_the_clean_image():
    from energy.models.ising import auto_parameters
    clean = _blobs(seed=2)
    y = np.where(np.random.default_rng(3).random(clean.shape) < 0.15, -clean, clean)
    par = auto_parameters(y)
    assert par["noise_estimated"] and abs(par["noise"] - 0.15) < 0.02
    assert par["eta"] == pytest.approx(0.5 * np.log((1 - par["noise"]) / par["noise"]))
    assert 0 < par["beta"] <= par["eta"]
    auto = IsingModel(y, beta=par["beta"], eta=par["eta"]).graphcut().x
    prml = IsingModel(y, beta=1.0, eta=2.1).graphcut().x
    assert np.mean(auto != clean) < np.mean(prml != clean)
    assert np.mean(auto != clean) < 0.01
    with pytest.raises(ValueError, match="noise"):
        auto_parameters(y, noise=0.6)
