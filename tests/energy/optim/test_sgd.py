"""SGD against hand-written update rules and torch; weight decay, maximize, float32, the
fused-update hook, bad input."""

import numpy as np
import pytest

from energy.autodiff import Parameter
from energy.optim import SGD
from tests.energy.optim._helpers import agree_with_torch, grad_seq


@pytest.mark.parametrize("nesterov", [False, True])
def test_sgd_momentum_matches_the_update_rule(nesterov):
    W0 = np.random.default_rng(1).standard_normal((3, 2))
    W = W0.copy()
    opt = SGD([W], lr=0.1, momentum=0.9, nesterov=nesterov, weight_decay=0.01)
    ref, v = W0.copy(), None
    for g in grad_seq((3, 2), 5):
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


def test_sgd_with_tensor_parameters_and_float32():
    p = Parameter(np.array([[3.0, -2.0]], np.float32))
    opt = SGD([p], lr=0.1, momentum=0.5)
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


def test_fused_args_contract():
    W, b = np.ones((3, 2), np.float32), np.ones(2, np.float32)
    opt = SGD([W, b], lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.5, maximize=True)
    v, lr, mu, wd, sign, nesterov = opt.fused_args(0)
    assert v is opt.state[0]["v"] and v.shape == W.shape and not v.any()
    assert opt.fused_args(0)[0] is v                     # the same buffer every time
    assert all(type(s) is np.float32 for s in (lr, mu, wd, sign))
    assert (lr, mu, wd, sign, nesterov) == (np.float32(0.1), np.float32(0.9), 0.5, -1, True)
    assert opt.fused_args(1)[3] == 0                     # biases are not decayed
    v0 = SGD([W], lr=0.1).fused_args(0)[0]               # no momentum: an empty buffer
    assert v0.shape == (3, 0) and v0.dtype == np.float32


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


def test_sgd_agrees_with_torch():
    torch = pytest.importorskip("torch")
    agree_with_torch(
        torch, lambda ps: SGD(ps, lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.1),
        lambda tp: torch.optim.SGD([{"params": [tp[0]], "weight_decay": 0.1},
                                    {"params": [tp[1]], "weight_decay": 0.0}],
                                   lr=0.05, momentum=0.9, nesterov=True))
