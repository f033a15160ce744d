"""Maximum pseudo-likelihood for the Ising model: value, gradient, recovery, unsupervised."""

import itertools
import runpy
from pathlib import Path

import numpy as np
import pytest

from energy.autodiff import gradcheck
from energy.images import add_flip_noise, error_rate
from energy.models.ising import IsingModel
from energy.models.ising_learning import (fit_pseudo_likelihood, learn_parameters,
                                          log_pseudo_likelihood, site_statistics)
from energy.sampling import block_gibbs

ROOT = Path(__file__).resolve().parents[3]


def _spins(shape, seed):
    return np.random.default_rng(seed).choice([-1, 1], size=shape).astype(np.int8)


@pytest.mark.parametrize("connectivity", [4, 8])
def test_gradient_matches_finite_differences(connectivity):
    x, y = _spins((6, 7), 0), _spins((6, 7), 1)
    res = gradcheck(lambda b, e, h: log_pseudo_likelihood(x, y, b, e, h,
                                                          connectivity=connectivity),
                    [np.array(0.7), np.array(-0.4), np.array(0.3)], atol=1e-7, rtol=1e-6)
    assert res.passed, str(res)


@pytest.mark.parametrize("connectivity", [4, 8])
def test_value_matches_single_flip_energy_differences(connectivity):
    # p(x_i | rest) = exp(-E(x)) / (exp(-E(x)) + exp(-E(x with x_i flipped))), by brute force
    x, y = _spins((3, 4), 2), _spins((3, 4), 3)
    beta, eta, h = 0.8, 0.5, -0.3
    m = IsingModel(y, beta=beta, eta=eta, h=h, connectivity=connectivity)
    E = m.energy(x)
    total = 0.0
    for i, j in itertools.product(range(3), range(4)):
        xf = x.copy()
        xf[i, j] = -xf[i, j]
        total += -np.logaddexp(0.0, -(m.energy(xf) - E))
    got = float(log_pseudo_likelihood(x, y, beta, eta, h, connectivity=connectivity).data)
    assert got == pytest.approx(total, rel=1e-12)
    # and the per-site conditional agrees with IsingModel.conditional (sign conventions)
    p_plus = m.conditional(x)
    direct = np.sum(np.log(np.where(x == 1, p_plus, 1 - p_plus)))
    assert got == pytest.approx(direct, rel=1e-12)


def test_site_statistics_count_every_site():
    x, y = _spins((9, 11), 4), _spins((9, 11), 5)
    for c in (4, 8):
        rows, counts = site_statistics(x, y, connectivity=c)
        assert counts.sum() == x.size and len(rows) == len(np.unique(rows, axis=0))
        assert np.abs(rows[:, 0]).max() <= c


@pytest.mark.parametrize("connectivity, theta", [(4, (0.4, 0.8, 0.2)), (8, (0.2, 0.8, 0.2))])
def test_recovers_parameters_of_a_gibbs_sample(connectivity, theta):
    # x ~ p(x | y; θ) by 200 Gibbs sweeps on a 64 x 64 grid, y random. Over 8 seeds the
    # estimates had standard deviations (0.021, 0.039, 0.017) for (β, η, h) on the 4-grid and
    # (0.008, 0.036, 0.019) on the 8-grid: the tolerances below are about 4-5 of them.
    rng = np.random.default_rng(11)
    y = rng.choice([-1, 1], size=(64, 64)).astype(np.int8)
    m = IsingModel(y, beta=theta[0], eta=theta[1], h=theta[2], connectivity=connectivity)
    state = m.initial_state()
    block_gibbs(m, state, temperature=1.0, max_sweeps=200, rng=rng)
    fit = fit_pseudo_likelihood(m.spins(state).copy(), y, connectivity=connectivity)
    assert fit["converged"] and not fit["separated"] and fit["at_bound"] == ()
    np.testing.assert_allclose([fit["beta"], fit["eta"], fit["h"]], theta, atol=0.15)
    assert abs(fit["beta"] - theta[0]) < 0.1 and abs(fit["h"] - theta[2]) < 0.1
    np.testing.assert_allclose(fit["grad"], 0.0, atol=1e-4)


def test_fixed_parameters_stay_fixed():
    x, y = _spins((20, 20), 6), _spins((20, 20), 7)
    fit = fit_pseudo_likelihood(x, y, fit_h=False, fit_eta=False, eta=0.0, h=0.25)
    assert fit["eta"] == 0.0 and fit["h"] == 0.25 and fit["grad"].shape == (1,)


def test_x_equal_y_is_separable():
    y = _spins((20, 20), 8)
    fit = fit_pseudo_likelihood(y, y)
    assert fit["separated"] and fit["eta"] > 5
    fit = fit_pseudo_likelihood(y, y, max_param=2.0)
    assert "eta" in fit["at_bound"] and fit["eta"] == pytest.approx(2.0)


def _blocks(n=48):
    clean = -np.ones((n, n), np.int8)
    clean[8:30, 10:40] = 1
    clean[34:44, 4:20] = 1
    return clean


@pytest.mark.parametrize("eta_from, rounds", [("pseudo_likelihood", 6), ("noise", 1)])
def test_unsupervised_learning_restores_a_noisy_image(eta_from, rounds):
    # "noise" over more rounds collapses on this picture (see learn_parameters): one round here
    clean = _blocks()
    y = add_flip_noise(clean, 0.1, rng=0)
    res = learn_parameters(y, rounds=rounds, eta_from=eta_from)
    assert 1 <= len(res.history) <= rounds and res.beta > 0 and res.eta > 0
    assert error_rate(res.x, clean) < 0.3 * error_rate(y, clean)
    np.testing.assert_array_equal(res.model(y).graphcut().x, res.x)
    assert [r["round"] for r in res.history] == list(range(1, len(res.history) + 1))


def test_starting_from_y_is_a_degenerate_fixed_point():
    y = add_flip_noise(_blocks(), 0.1, rng=1)
    res = learn_parameters(y, rounds=3, init="y")
    assert res.converged and len(res.history) == 1
    np.testing.assert_array_equal(res.x, y)


@pytest.mark.parametrize("call, match", [
    (lambda: fit_pseudo_likelihood([[0, 1]], [[1, 1]]), "x: spins"),
    (lambda: fit_pseudo_likelihood([[1, 1]], [[1, np.nan]]), "y"),
    (lambda: fit_pseudo_likelihood([[1, 1]], [[1, 1, 1]]), "x and y"),
    (lambda: fit_pseudo_likelihood([[1, 1]], [[1, 1]], connectivity=6), "connectivity"),
    (lambda: fit_pseudo_likelihood([[1, 1]], [[1, 1]], max_param=0), "max_param"),
    (lambda: learn_parameters([[1, -1]], rounds=0), "rounds"),
    (lambda: learn_parameters([[1, 2]]), "y: spins"),
    (lambda: learn_parameters([[1, -1]], eta_from="em"), "eta_from"),
    (lambda: learn_parameters([[1, -1]], init="zeros"), "init"),
    (lambda: learn_parameters([[1, -1]], init=[[1, -1, 1]]), "x and y"),
])
def test_bad_input_is_rejected_naming_the_argument(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_example_script_quick(tmp_path, capsys):
    main = runpy.run_path(str(ROOT / "examples" / "ising_learning.py"))["main"]
    main(["--quick", "-o", str(tmp_path / "fig.png")])
    out = capsys.readouterr().out
    assert "auto" in out and "learned" in out and "horse" in out
    assert (tmp_path / "fig.png").stat().st_size > 1000
