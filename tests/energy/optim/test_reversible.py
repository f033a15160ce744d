"""Reversible SGD with momentum: T steps forward and T back give θ_0 and v_0 bit for bit."""

import numpy as np
import pytest

from energy.optim.reversible import ReversibleSGD


def _logistic_grad(X, y):
    def grad(th):
        z = X @ th
        p = 1 / (1 + np.exp(-z))
        return X.T @ (p - y) / len(y) + 1e-3 * th
    return grad


def _net_grad(seed=0):
    """Gradient of a small tanh network's squared error (a non-convex loss)."""
    rng = np.random.default_rng(seed)
    X, Y = rng.standard_normal((20, 3)), rng.standard_normal((20, 1))

    def grad(th):
        W1, W2 = th[:12].reshape(3, 4), th[12:].reshape(4, 1)
        h = np.tanh(X @ W1)
        e = h @ W2 - Y
        gW2 = h.T @ e / 20
        gW1 = X.T @ ((e @ W2.T) * (1 - h * h)) / 20
        return np.concatenate([gW1.ravel(), gW2.ravel()])
    return grad


@pytest.mark.parametrize("momentum,frac_bits,mbits", [(0.9, 32, 8), (0.5, 40, 4), (0.99, 24, 12)])
def test_recovers_initial_parameters_bit_for_bit(momentum, frac_bits, mbits):
    rng = np.random.default_rng(1)
    X = rng.standard_normal((50, 5))
    y = (X @ rng.standard_normal(5) > 0).astype(float)
    theta0 = rng.standard_normal(5)
    opt = ReversibleSGD(theta0, _logistic_grad(X, y), lr=0.3, momentum=momentum,
                        frac_bits=frac_bits, momentum_bits=mbits)
    th_bits0, v_bits0 = opt.state_bits
    start = opt.theta
    assert opt.theta0_rounding <= 2.0 ** -(frac_bits + 1)
    opt.run(200)
    assert np.abs(opt.theta - start).max() > 1e-2          # it moved
    assert len(opt.lost_bits) == 200 and opt.lost_bits[0].dtype == np.uint16
    opt.reverse(200)
    th_bits, v_bits = opt.state_bits
    np.testing.assert_array_equal(th_bits, th_bits0)
    np.testing.assert_array_equal(v_bits, v_bits0)
    np.testing.assert_array_equal(opt.theta, start)
    assert opt.t == 0 and opt.lost_bits == []


def test_exactly_representable_theta0_comes_back_as_the_same_floats():
    theta0 = np.random.default_rng(2).integers(-2 ** 20, 2 ** 20, 16) / 2.0 ** 20
    opt = ReversibleSGD(theta0, _net_grad(), lr=np.linspace(0.05, 0.2, 100),
                        momentum=np.linspace(0.5, 0.95, 100))
    assert opt.theta0_rounding == 0.0
    opt.run(100)
    mid = opt.state_bits
    opt.reverse(60)
    opt.run(60)                                              # forward again: same trajectory
    for a, b in zip(opt.state_bits, mid):
        np.testing.assert_array_equal(a, b)
    opt.reverse(100)
    assert opt.theta.tobytes() == theta0.tobytes()


def test_float_momentum_sgd_is_not_reversible():
    """Why the fixed-point representation is needed: the same recursion in float64 drifts."""
    grad = _net_grad()
    theta0 = np.random.default_rng(3).standard_normal(16)
    th, v, lr, g = theta0.copy(), np.zeros(16), 0.1, 0.9
    for _ in range(100):
        v = g * v - (1 - g) * grad(th)
        th = th + lr * v
    for _ in range(100):
        th = th - lr * v
        v = (v + (1 - g) * grad(th)) / g
    assert not np.array_equal(th, theta0)


def test_reversible_sgd_minimises_like_momentum_sgd():
    A = np.diag([1.0, 10.0])
    opt = ReversibleSGD(np.array([1.0, -1.0]), lambda th: A @ th, lr=0.1, momentum=0.9)
    opt.run(300)
    assert np.linalg.norm(opt.theta) < 1e-3
    # the float recursion with γ = n/2^k gives the same path up to the fixed-point resolution
    th, v, gm = np.array([1.0, -1.0]), np.zeros(2), opt.gammas[0]
    for _ in range(300):
        v = gm * v - (1 - gm) * (A @ th)
        th = th + 0.1 * v
    np.testing.assert_allclose(opt.theta, th, atol=1e-6)


def test_bad_input():
    g = lambda th: th  # noqa: E731
    with pytest.raises(ValueError, match="NaN"):
        ReversibleSGD([np.nan], g, 0.1)
    with pytest.raises(ValueError, match="momentum"):
        ReversibleSGD([1.0], g, 0.1, momentum=1.0)
    with pytest.raises(ValueError, match="cannot be reversed"):
        ReversibleSGD([1.0], g, 0.1, momentum=0.0)
    with pytest.raises(OverflowError, match="fixed-point range"):
        ReversibleSGD([1e12], g, 0.1)
    with pytest.raises(ValueError, match="grad_fn: returned shape"):
        ReversibleSGD([1.0, 2.0], lambda th: th[:1], 0.1).step()
    with pytest.raises(RuntimeError, match="t = 0"):
        ReversibleSGD([1.0], g, 0.1).unstep()
    opt = ReversibleSGD([1.0], g, 0.1)
    opt.run(3)
    opt.grad_fn = lambda th: th + 1e-3                      # not the same gradient any more
    with pytest.raises(RuntimeError, match="inexact|deterministic"):
        opt.reverse(3)


def test_docstring_example_runs():
    import doctest

    import energy.optim.reversible as mod
    res = doctest.testmod(mod)
    assert res.attempted > 0 and res.failed == 0
