"""EnergyModel and generic contrastive divergence: the RBM's two training paths (the fused
numba epoch and the engine + sampler path) against each other, any optimiser on the generic
path, the Module features an energy model gets, divergence handling."""

import numpy as np
import pytest

from energy.autodiff import Tensor
from energy.models import BernoulliRBM, EnergyModel, contrastive_divergence_loss
from energy.optim import SGD, Adam


def _prototypes(n, seed):
    rng = np.random.default_rng(seed)
    protos = np.array([[1] * 8 + [0] * 8, [0] * 8 + [1] * 8, [1, 0] * 8], dtype=float)
    X = protos[rng.integers(0, 3, n)]
    flip = rng.random(X.shape) < 0.05
    return np.where(flip, 1 - X, X)


@pytest.mark.parametrize("persistent", [False, True])
@pytest.mark.parametrize("k", [1, 3])
def test_fused_and_generic_paths_give_the_same_parameters(persistent, k):
    """Same seeds, same counter-based draws: the one-kernel epoch and the generic path (the
    chains through block_gibbs, the engine's gradient of mean F(v_data) − mean F(v_k),
    SGD.step) end at the same parameters, with momentum, weight decay and sparsity."""
    X = _prototypes(60, 1)
    kw = dict(k=k, batch_size=10, learning_rate=0.1, momentum=0.5, weight_decay=0.01,
              sparsity_target=0.2, sparsity_cost=0.1, persistent=persistent, n_iter=3,
              random_state=4)
    fast = BernoulliRBM(6, fused=True, **kw).fit(X)
    slow = BernoulliRBM(6, fused=False, **kw).fit(X)
    for name in ("components_", "intercept_hidden_", "intercept_visible_"):
        np.testing.assert_allclose(getattr(slow, name), getattr(fast, name), rtol=1e-9,
                                   atol=1e-12, err_msg=name)
    np.testing.assert_allclose([h["reconstruction"] for h in slow.history_],
                               [h["reconstruction"] for h in fast.history_], rtol=1e-9)
    assert slow._optim.steps == fast._optim.steps == 18


def test_free_energy_on_the_engine_matches_numpy_and_its_gradient_is_checked():
    m = BernoulliRBM(4, n_iter=1, batch_size=10, random_state=0).fit(_prototypes(30, 2))
    v = _prototypes(5, 3)
    np.testing.assert_allclose(m.free_energy(Tensor(v)).data, m.free_energy(v), rtol=1e-12)
    # d/dθ of sum F(v) against finite differences, through the engine
    m.zero_grad()
    m.free_energy(Tensor(v)).sum().backward()
    eps = 1e-6
    for p in m.parameters():
        num = np.zeros_like(p.data)
        for i in np.ndindex(p.data.shape):
            old = p.data[i]
            p.data[i] = old + eps
            up = m.free_energy(v).sum()
            p.data[i] = old - eps
            down = m.free_energy(v).sum()
            p.data[i] = old
            num[i] = (up - down) / (2 * eps)
        np.testing.assert_allclose(p.grad, num, rtol=1e-6, atol=1e-7)


def test_contrastive_divergence_loss_gradient_is_the_cd_update():
    m = BernoulliRBM(4, n_iter=1, batch_size=10, random_state=0).fit(_prototypes(30, 2))
    vd, vk = _prototypes(8, 5), _prototypes(8, 6)
    m.zero_grad()
    contrastive_divergence_loss(m, vd, vk).backward()
    ph_d, ph_k = m.transform(vd), m.transform(vk)
    np.testing.assert_allclose(m.weight.grad, -(ph_d.T @ vd - ph_k.T @ vk) / 8, atol=1e-12)
    np.testing.assert_allclose(m.hidden_bias.grad, -(ph_d - ph_k).mean(0), atol=1e-12)
    np.testing.assert_allclose(m.visible_bias.grad, -(vd - vk).mean(0), atol=1e-12)
    with pytest.raises(ValueError, match="same number of columns"):
        contrastive_divergence_loss(m, vd, vk[:, :5])


def test_any_optimiser_trains_on_the_generic_path():
    X = _prototypes(120, 7)
    kw = dict(batch_size=10, n_iter=15, k=1, random_state=0)
    base = BernoulliRBM(6, n_iter=1, batch_size=10, random_state=0).fit(X)
    ll0 = base.log_likelihood(X).mean()
    adam = BernoulliRBM(6, optimizer="adam", learning_rate=0.02, **kw).fit(X)
    assert isinstance(adam._optim, Adam) and not adam._use_fused(adam._optim)
    ll = adam.log_likelihood(X).mean()
    assert ll > ll0 + 1.0, (ll0, ll)     # nats per example over the one-epoch model
    custom = BernoulliRBM(6, optimizer=lambda ps: SGD(ps, lr=0.1, nesterov=True, momentum=0.5),
                          **kw).fit(X)
    assert custom.log_likelihood(X).mean() > ll0 + 1.0
    with pytest.raises(ValueError, match="fused: True needs an optimiser with a fused update"):
        BernoulliRBM(6, optimizer="adam", fused=True, **kw).fit(X)
    with pytest.raises(ValueError, match="optimizer: expected"):
        BernoulliRBM(6, optimizer="lbfgs", **kw).fit(X)
    with pytest.raises(TypeError, match="optimizer: the callable must return"):
        BernoulliRBM(6, optimizer=lambda ps: None, **kw).fit(X)


def test_an_rbm_is_a_module_state_dict_and_to():
    X = _prototypes(40, 8)
    m = BernoulliRBM(5, n_iter=2, batch_size=10, random_state=0).fit(X)
    assert isinstance(m, EnergyModel)
    sd = m.state_dict()
    assert list(sd) == ["weight", "hidden_bias", "visible_bias"]
    np.testing.assert_array_equal(sd["weight"], m.components_)
    m.to(np.float32)
    assert m.components_.dtype == np.float32 and m.transform(X).dtype == np.float32
    m.partial_fit(X)                                  # trains on in float32
    assert m.components_.dtype == np.float32
    m2 = BernoulliRBM(5, n_iter=1, batch_size=10, random_state=3).fit(X)
    m2.load_state_dict(m.state_dict())
    np.testing.assert_array_equal(m2.components_, m.components_.astype(np.float64))


def test_divergence_stops_training_and_keeps_the_last_good_parameters():
    X = _prototypes(40, 9)
    m = BernoulliRBM(5, n_iter=1, batch_size=10, learning_rate=0.05, random_state=0).fit(X)
    good = [m.components_.copy(), m.intercept_hidden_.copy(), m.intercept_visible_.copy()]
    m.learning_rate = 1e10
    with pytest.raises(FloatingPointError, match="diverged.*last good epoch are kept"):
        m.partial_fit(X)
    for a, b in zip(good, (m.components_, m.intercept_hidden_, m.intercept_visible_)):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(FloatingPointError, match="learning_rate"):
        BernoulliRBM(5, n_iter=3, batch_size=10, learning_rate=1e10, random_state=0).fit(X)


def test_joint_energy_on_the_engine_matches_numpy_and_sums_to_the_free_energy():
    """E(v, h) as a Tensor equals the numpy value, and −log Σ_h exp(−E(v, h)) = F(v)."""
    import itertools
    from scipy.special import logsumexp
    m = BernoulliRBM(3, n_iter=1, batch_size=10, random_state=0).fit(_prototypes(30, 2))
    v = _prototypes(4, 11)
    hs = np.array(list(itertools.product([0.0, 1.0], repeat=3)))
    for row in v:
        V = np.repeat(row[None], len(hs), axis=0)
        e_t = m.energy(Tensor(V), Tensor(hs))
        np.testing.assert_allclose(e_t.data, m.energy(V, hs), rtol=1e-12)
        np.testing.assert_allclose(-logsumexp(-e_t.data), m.free_energy(row[None])[0],
                                   rtol=1e-10)
    m.zero_grad()
    m.energy(Tensor(v), Tensor(m.transform(v))).sum().backward()
    np.testing.assert_allclose(m.visible_bias.grad, -v.sum(axis=0), atol=1e-12)
