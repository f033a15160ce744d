"""Optimisers against hand-written update rules, schedules, clipping, bad input."""

import math

import numpy as np
import pytest

from energy.autodiff import Parameter, Tensor
from energy.optim import SGD, Adam, CosineLR, StepLR, clip_grad_norm


def _grad_seq(shape, n, seed=0):
    r = np.random.default_rng(seed)
    return [r.standard_normal(shape) for _ in range(n)]


@pytest.mark.parametrize("nesterov", [False, True])
def test_sgd_momentum_matches_the_update_rule(nesterov):
    W0 = np.random.default_rng(1).standard_normal((3, 2))
    W = W0.copy()
    opt = SGD([W], lr=0.1, momentum=0.9, nesterov=nesterov, weight_decay=0.01)
    ref, v = W0.copy(), None
    for g in _grad_seq((3, 2), 5):
        opt.step([g])
        gg = g + 0.01 * ref
        v = gg.copy() if v is None else 0.9 * v + gg
        ref = ref - 0.1 * (gg + 0.9 * v if nesterov else v)
    np.testing.assert_allclose(W, ref, atol=1e-12)


def test_weight_decay_skips_biases_by_default():
    W, b = np.ones((2, 2)), np.ones(2)
    SGD([W, b], lr=0.1, weight_decay=1.0).step([np.zeros((2, 2)), np.zeros(2)])
    np.testing.assert_allclose(W, 0.9)
    np.testing.assert_allclose(b, 1.0)
    b2 = np.ones(2)
    SGD([b2], lr=0.1, weight_decay=1.0, decay_bias=True).step([np.zeros(2)])
    np.testing.assert_allclose(b2, 0.9)


@pytest.mark.parametrize("decoupled", [False, True])
def test_adam_matches_the_update_rule(decoupled):
    W0 = np.random.default_rng(2).standard_normal((4, 3))
    W = W0.copy()
    opt = Adam([W], lr=0.01, weight_decay=0.1, decoupled=decoupled)
    ref, m, v = W0.copy(), 0, 0
    for t, g in enumerate(_grad_seq((4, 3), 6), start=1):
        opt.step([g])
        if decoupled:
            ref = ref * (1 - 0.01 * 0.1)
        else:
            g = g + 0.1 * ref
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g * g
        ref = ref - 0.01 * (m / (1 - 0.9 ** t)) / (np.sqrt(v / (1 - 0.999 ** t)) + 1e-8)
    np.testing.assert_allclose(W, ref, atol=1e-12)


def test_optimisers_with_tensor_parameters_and_float32():
    p = Parameter(np.array([[3.0, -2.0]], np.float32))
    for opt in (SGD([p], lr=0.1, momentum=0.5), Adam([p], lr=0.3)):
        p.data[...] = [[3.0, -2.0]]
        for _ in range(300):
            opt.zero_grad()
            (p * p).sum().backward()
            opt.step()
        assert p.dtype == np.float32
        assert np.abs(p.data).max() < 1e-2


def test_maximize_ascends():
    x = np.array([0.0])
    opt = SGD([x], lr=0.1, maximize=True)
    opt.step([np.array([1.0])])
    assert x[0] == pytest.approx(0.1)


def test_schedules():
    opt = SGD([np.zeros(1)], lr=1.0)
    s = StepLR(opt, step_size=3, gamma=0.1)
    lrs = [s.step() for _ in range(7)]
    np.testing.assert_allclose(lrs, [1, 1, 0.1, 0.1, 0.1, 0.01, 0.01])
    opt = SGD([np.zeros(1)], lr=2.0)
    c = CosineLR(opt, T_max=4, eta_min=0.5)
    lrs = [c.step() for _ in range(6)]
    expect = [0.5 + 1.5 * (1 + math.cos(math.pi * t / 4)) / 2 for t in (1, 2, 3, 4, 4, 4)]
    np.testing.assert_allclose(lrs, expect)
    assert opt.lr == pytest.approx(0.5)


def test_clip_grad_norm():
    a, b = np.array([3.0, 0.0]), np.array([[4.0]])
    n = clip_grad_norm([a, b], 1.0)
    assert n == pytest.approx(5.0)
    assert math.hypot(a[0], b[0, 0]) == pytest.approx(1.0)
    np.testing.assert_allclose(a[0] / b[0, 0], 0.75)
    p = Parameter(np.ones(4))
    (p * 2).sum().backward()
    assert clip_grad_norm([p], 10.0) == pytest.approx(4.0)
    np.testing.assert_allclose(p.grad, 2.0)        # under the limit: untouched


def test_bad_input():
    W = np.ones((2, 2))
    with pytest.raises(ValueError, match="lr"):
        SGD([W], lr=-1)
    with pytest.raises(ValueError, match="momentum"):
        SGD([W], lr=0.1, momentum=1.0)
    with pytest.raises(ValueError, match="empty"):
        SGD([], lr=0.1)
    with pytest.raises(TypeError, match="single array"):
        SGD(W, lr=0.1)
    with pytest.raises(TypeError, match=r"params\[0\].*int"):
        SGD([np.ones(2, int)], lr=0.1)
    opt = SGD([W], lr=0.1)
    with pytest.raises(ValueError, match=r"grads\[0\].*\(3,\).*\(2, 2\)"):
        opt.step([np.ones(3)])
    with pytest.raises(ValueError, match="gradients must be passed"):
        opt.step()
    with pytest.raises(ValueError, match="expected 1 gradients"):
        opt.step([W, W])


def test_sgd_and_adam_agree_with_torch():
    torch = pytest.importorskip("torch")
    W0 = np.random.default_rng(5).standard_normal((3, 4))
    b0 = np.random.default_rng(6).standard_normal(4)
    for make, tmake in [
        (lambda ps: SGD(ps, lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.1),
         lambda tp: torch.optim.SGD([{"params": [tp[0]], "weight_decay": 0.1},
                                     {"params": [tp[1]], "weight_decay": 0.0}],
                                    lr=0.05, momentum=0.9, nesterov=True)),
        (lambda ps: Adam(ps, lr=0.05, weight_decay=0.1),
         lambda tp: torch.optim.Adam([{"params": [tp[0]], "weight_decay": 0.1},
                                      {"params": [tp[1]], "weight_decay": 0.0}], lr=0.05)),
    ]:
        W, b = Parameter(W0.copy()), Parameter(b0.copy())
        tW = torch.tensor(W0.copy(), requires_grad=True)
        tb = torch.tensor(b0.copy(), requires_grad=True)
        opt, topt = make([W, b]), tmake([tW, tb])
        x = np.random.default_rng(7).standard_normal((5, 3))
        for _ in range(4):
            opt.zero_grad()
            ((Tensor(x) @ W + b).tanh() ** 2).sum().backward()
            opt.step()
            topt.zero_grad()
            ((torch.tensor(x) @ tW + tb).tanh() ** 2).sum().backward()
            topt.step()
        np.testing.assert_allclose(W.data, tW.detach().numpy(), atol=1e-10)
        np.testing.assert_allclose(b.data, tb.detach().numpy(), atol=1e-10)
