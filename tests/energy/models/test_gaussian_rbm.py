"""GaussianBernoulliRBM: energy, conditionals, gradients, log Z (exact, numerical, AIS),
the sampler against the exact marginal, training, bad input."""

import itertools

import numpy as np
import pytest
from scipy import integrate
from scipy.special import expit, logsumexp

from energy.autodiff import Tensor, gradcheck
from energy.models import GaussianBernoulliRBM
from energy.models.gaussian_rbm import GaussianRBMChains, gaussian_rbm_log_partition
from energy.sampling import block_gibbs


def _model(V, H, seed=0, learn_sigma=True, scale=1.0):
    """A model with random parameters (σ between 0.5 and 2)."""
    rng = np.random.default_rng(seed)
    m = GaussianBernoulliRBM(H, n_iter=1, batch_size=5, learn_sigma=learn_sigma,
                             random_state=seed).fit(rng.standard_normal((10, V)))
    m.components_[...] = scale * rng.standard_normal((H, V))
    m.intercept_hidden_[...] = rng.standard_normal(H)
    m.intercept_visible_[...] = rng.standard_normal(V)
    ls = np.log(rng.uniform(0.5, 2.0, V))
    if learn_sigma:
        m.log_sigma.data[...] = ls
    else:
        m.log_sigma[...] = ls
    return m


def _all_h(H):
    return np.array(list(itertools.product([0.0, 1.0], repeat=H)))


def test_free_energy_is_minus_log_sum_over_h():
    m = _model(3, 4, seed=1)
    v = np.random.default_rng(2).standard_normal((1, 3))
    hs = _all_h(4)
    E = m.energy(np.repeat(v, len(hs), axis=0), hs)
    assert m.free_energy(v)[0] == pytest.approx(-logsumexp(-E), abs=1e-10)
    # the engine's form gives the same value
    assert float(m.free_energy(Tensor(v)).data[0]) == pytest.approx(-logsumexp(-E), abs=1e-10)


def test_hidden_conditional_by_enumeration():
    m = _model(3, 4, seed=3)
    v = np.random.default_rng(4).standard_normal((1, 3))
    hs = _all_h(4)
    logp = -m.energy(np.repeat(v, len(hs), axis=0), hs)
    p = np.exp(logp - logsumexp(logp))
    np.testing.assert_allclose(m.transform(v)[0], p @ hs, atol=1e-12)


def test_visible_conditional_mean_and_variance_by_integration():
    m = _model(2, 3, seed=5)
    h = np.array([[1.0, 0.0, 1.0]])
    v0 = np.zeros((1, 2))
    for i in range(2):
        def dens(x, k):
            v = v0.copy()
            v[0, i] = x
            return x ** k * np.exp(-m.energy(v, h)[0])
        Z = integrate.quad(dens, -40, 40, args=(0,))[0]
        mean = integrate.quad(dens, -40, 40, args=(1,))[0] / Z
        var = integrate.quad(dens, -40, 40, args=(2,))[0] / Z - mean ** 2
        s = m.sigma_[i]
        assert mean == pytest.approx(m.intercept_visible_[i] + s * (h @ m.components_)[0, i],
                                     abs=1e-7)
        assert var == pytest.approx(s ** 2, rel=1e-7)


def test_chain_draws_match_the_conditionals():
    """The sampler's block draws: h against p(h | v) (binomial z), v against N(mean, σ²)."""
    m = _model(3, 4, seed=6)
    n = 20000
    rng = np.random.default_rng(7)
    v = np.repeat(rng.standard_normal((1, 3)), n, axis=0)
    state = {"v": v.copy(), "h": np.zeros((n, 4))}
    ch = GaussianRBMChains(m)
    ch.sample_block(state, "h", 1.0, rng)
    p = m.transform(v[:1])[0]
    z = (state["h"].mean(0) - p) / np.sqrt(p * (1 - p) / n)
    assert np.all(np.abs(z) < 4), z
    h = np.repeat(np.array([[0.0, 1.0, 1.0, 0.0]]), n, axis=0)
    state = {"v": np.zeros((n, 3)), "h": h}
    ch.sample_block(state, "v", 1.0, rng)
    mu, s = m._mean_visibles(h[:1])[0], m.sigma_
    z = (state["v"].mean(0) - mu) / (s / np.sqrt(n))
    assert np.all(np.abs(z) < 4), z
    # variance: (n − 1) s² / σ² ~ χ²(n − 1), sd of the ratio ≈ √(2/n)
    r = state["v"].var(0, ddof=1) / s ** 2
    assert np.all(np.abs(r - 1) < 4 * np.sqrt(2 / n)), r


def test_sampler_reaches_the_exact_marginal():
    """Many chains of block_gibbs: mean and variance of v against the exact marginal
    p(v) = exp(−F(v)) / Z by numerical integration (V = 1, H = 2)."""
    m = _model(1, 2, seed=8, scale=1.5)
    fe = lambda x, k: x ** k * np.exp(-m.free_energy(np.array([[x]]))[0])   # noqa: E731
    Z = integrate.quad(fe, -50, 50, args=(0,), limit=200)[0]
    mean = integrate.quad(fe, -50, 50, args=(1,), limit=200)[0] / Z
    var = integrate.quad(fe, -50, 50, args=(2,), limit=200)[0] / Z - mean ** 2
    n = 4000
    ch = GaussianRBMChains(m)
    state = ch.base_sample(n, np.random.default_rng(9))
    block_gibbs(ch, state, temperature=1.0, max_sweeps=60, rng=10, record_energy=False)
    x = state["v"][:, 0]
    assert abs(x.mean() - mean) < 4 * np.sqrt(var / n)
    assert abs(x.var(ddof=1) / var - 1) < 5 * np.sqrt(2 / n)


@pytest.mark.parametrize("learn_sigma", [True, False])
def test_free_energy_gradient_against_finite_differences(learn_sigma):
    m = _model(3, 4, seed=11, learn_sigma=learn_sigma)
    v = Tensor(np.random.default_rng(12).standard_normal((5, 3)))
    params = m.parameters()
    assert len(params) == (4 if learn_sigma else 3)
    res = gradcheck(lambda *p: m.free_energy(v), params)
    assert res.passed, res


@pytest.mark.parametrize("V", [1, 2])
def test_exact_log_z_against_numerical_integral(V):
    m = _model(V, 2, seed=13 + V)
    f = lambda *x: np.exp(-m.free_energy(np.array([x]))[0])    # noqa: E731
    if V == 1:
        Z = integrate.quad(f, -60, 60, limit=200)[0]
    else:
        Z = integrate.dblquad(f, -30, 30, -30, 30, epsabs=1e-12, epsrel=1e-9)[0]
    assert m.log_partition("exact") == pytest.approx(np.log(Z), abs=1e-6)


def test_exact_log_z_refuses_large_hidden_layer():
    with pytest.raises(ValueError, match="limited to 24.*ais"):
        gaussian_rbm_log_partition(np.zeros((25, 3)), np.zeros(3), np.zeros(25), np.ones(3))


def _mixture(n, rng):
    """Two well-separated Gaussian clusters in 4-D, standardised."""
    c = rng.integers(0, 2, n)
    X = rng.standard_normal((n, 4)) * 0.4 + np.where(c[:, None] == 1, 1.5, -1.5) * np.array(
        [1.0, 1.0, -1.0, 0.5])
    return X


def test_ais_agrees_with_exact_log_z_on_a_trained_model():
    rng = np.random.default_rng(20)
    X = _mixture(400, rng)
    mu, sd = X.mean(0), X.std(0)
    m = GaussianBernoulliRBM(6, n_iter=10, batch_size=20, learning_rate=0.02,
                             random_state=0).fit((X - mu) / sd)
    exact = m.log_partition("exact")
    res = m.ais(n_runs=200, n_betas=2000, rng=1)
    assert abs(res.log_z - exact) < max(3 * res.stderr, 0.1), (res.log_z, exact, res.stderr)
    assert np.all(np.isfinite(res.log_weights))


def test_training_raises_exact_test_log_likelihood():
    rng = np.random.default_rng(21)
    X, Xt = _mixture(600, rng), _mixture(300, rng)
    mu, sd = X.mean(0), X.std(0)
    X, Xt = (X - mu) / sd, (Xt - mu) / sd
    m = GaussianBernoulliRBM(8, n_iter=1, batch_size=20, learning_rate=0.02, random_state=0)
    m.partial_fit(X)
    ll = [m.log_likelihood(Xt).mean()]
    for _ in range(14):
        m.partial_fit(X)
    ll.append(m.log_likelihood(Xt).mean())
    # the diagonal Gaussian fitted to the training data
    diag = (-0.5 * ((Xt - X.mean(0)) / X.std(0)) ** 2 - np.log(np.sqrt(2 * np.pi) * X.std(0))
            ).sum(1).mean()
    assert ll[1] > ll[0] + 0.5, ll
    assert ll[1] > diag + 0.5, (ll, diag)
    assert len(m.history_) == 15 and all(np.isfinite(h["reconstruction"]) for h in m.history_)


def test_learned_sigma_moves_and_persistent_adam_run():
    rng = np.random.default_rng(22)
    X = 0.5 * rng.standard_normal((100, 3))
    m = GaussianBernoulliRBM(4, n_iter=5, batch_size=10, learning_rate=0.05, learn_sigma=True,
                             persistent=True, k=2, optimizer="adam", random_state=0).fit(X)
    # data with sd 0.5 under σ = 1: the log σ gradient pulls σ down
    assert np.all(m.sigma_ < 0.95), m.sigma_
    assert "log_sigma" in dict(m.named_parameters())
    f = GaussianBernoulliRBM(4, n_iter=2, batch_size=10, sigma=0.7, random_state=0).fit(X)
    np.testing.assert_allclose(f.sigma_, 0.7)
    assert "log_sigma" not in dict(f.named_parameters())


def test_same_seed_same_fit_and_sample_shape():
    X = np.random.default_rng(23).standard_normal((60, 3))
    kw = dict(n_iter=2, batch_size=10, random_state=4)
    a = GaussianBernoulliRBM(3, **kw).fit(X)
    b = GaussianBernoulliRBM(3, **kw).fit(X)
    np.testing.assert_array_equal(a.components_, b.components_)
    assert a.sample(5, n_steps=10, rng=0).shape == (5, 3)
    g = a.to_networkx()
    assert g.number_of_edges() == 9 and g.nodes[("v", 0)]["sigma"] == pytest.approx(1.0)


def test_pretrained_arrays_give_the_hidden_preactivation():
    m = _model(3, 4, seed=24)
    W, a = m.pretrained_arrays()
    v = np.random.default_rng(25).standard_normal((6, 3))
    np.testing.assert_allclose(expit(v @ W.T + a), m.transform(v), atol=1e-12)


def test_divergence_restores_last_good_parameters():
    X = np.random.default_rng(26).standard_normal((50, 3))
    m = GaussianBernoulliRBM(4, n_iter=1, batch_size=10, random_state=0).fit(X)
    before = [p.data.copy() for p in m.parameters()]
    m.learning_rate = 1e12
    with pytest.raises(FloatingPointError, match="learning_rate"):
        m.partial_fit(X)
    for p, q in zip(m.parameters(), before):
        np.testing.assert_array_equal(p.data, q)


@pytest.mark.parametrize("kw, X, match", [
    ({}, np.array([[0.0, np.nan], [1.0, 2.0]]), "X: must be finite"),
    ({}, np.array([[0.0, np.inf], [1.0, 2.0]]), "X: .*"),
    ({"sigma": 0.0}, None, "sigma"),
    ({"sigma": -1.0}, None, "sigma"),
    ({"sigma": np.nan}, None, "sigma"),
    ({"sigma": [1.0, 2.0]}, None, "sigma"),
    ({"k": 0}, None, "k"),
    ({"n_components": 0}, None, "n_components"),
    ({}, np.zeros(5), "X"),
])
def test_bad_input(kw, X, match):
    if X is None:
        X = np.zeros((20, 3))
    with pytest.raises(ValueError, match=match):
        GaussianBernoulliRBM(**{"n_components": 2, "batch_size": 5, **kw}).fit(X)


def test_bad_input_after_fit():
    m = GaussianBernoulliRBM(2, n_iter=1, batch_size=5, random_state=0).fit(np.zeros((10, 3)))
    with pytest.raises(ValueError, match="X: the model was fitted with 3 features"):
        m.transform(np.zeros((2, 4)))
    with pytest.raises(ValueError, match="X: must be finite"):
        m.free_energy(np.array([[np.nan, 0.0, 0.0]]))
    with pytest.raises(ValueError, match="method"):
        m.log_partition("bogus")
    with pytest.raises(ValueError, match="not fitted"):
        GaussianBernoulliRBM(2).transform(np.zeros((2, 3)))


def test_digits_example_quick(tmp_path, monkeypatch):
    pytest.importorskip("sklearn")
    import importlib.util
    import os
    path = os.path.join(os.path.dirname(__file__), "..", "..", "..", "examples",
                        "gaussian_rbm_digits.py")
    spec = importlib.util.spec_from_file_location("gaussian_rbm_digits", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    monkeypatch.chdir(tmp_path)
    out = mod.main(["--quick", "-o", str(tmp_path / "gb.png")])
    assert (tmp_path / "gb.png").stat().st_size > 0
    assert out["epochs"] == [0, 2, 4] and np.all(np.isfinite(out["test_ll"]))
    # the initial model (W ≈ 0, b = training mean, σ = 1) is the diagonal Gaussian of the
    # standardised data up to the weights' noise; four epochs of CD-1 must improve on it
    assert out["test_ll"][0] == pytest.approx(out["diagonal_gaussian_ll"], abs=0.1)
    assert out["test_ll"][-1] > out["test_ll"][0] + 1.0
    assert np.isfinite(out["log_z_ais"]) and out["ais_stderr"] > 0


def test_float32_keeps_its_dtype():
    X = np.random.default_rng(27).standard_normal((40, 3))
    m = GaussianBernoulliRBM(3, n_iter=2, batch_size=10, dtype=np.float32, learn_sigma=True,
                             random_state=0).fit(X)
    assert all(p.data.dtype == np.float32 for p in m.parameters())
    assert m.transform(X).dtype == np.float32 and m.free_energy(X).dtype == np.float64
