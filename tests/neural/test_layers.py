"""Linear, activations, Dropout, BatchNorm, losses (neural.layers)."""

import numpy as np
import pytest

from energy.autodiff import gradcheck
from neural import (SGD, BatchNorm1d, BatchNorm2d, CrossEntropyLoss, Dropout, Flatten, LeakyReLU,
                    Linear, ReLU, Sequential, Sigmoid, Softplus, Swish, Tanh)
from tests.neural.helpers import _x


# ----------------------------------------------------------------------------- gradchecks
def test_linear_gradcheck_and_convention():
    lin = Linear(4, 3, rng=0).double()
    x = _x(5, 4)
    np.testing.assert_allclose(lin(x).data, x @ lin.weight.data.T + lin.bias.data)
    res = gradcheck(lambda x, w, b: lin(x), [x, lin.weight, lin.bias])
    assert res.passed, str(res)
    x3 = _x(2, 5, 4)     # leading batch axes
    assert gradcheck(lambda x, w, b: lin(x), [x3, lin.weight, lin.bias]).passed


@pytest.mark.parametrize("cls,shape", [(BatchNorm1d, (6, 3)), (BatchNorm1d, (4, 3, 5)),
                                       (BatchNorm2d, (4, 3, 2, 3))])
@pytest.mark.parametrize("training", [True, False])
def test_batchnorm_gradcheck(cls, shape, training):
    bn = cls(3).double()
    bn.weight.data[:] = [0.5, 2.0, -1.0]
    bn.bias.data[:] = [0.1, -0.3, 0.7]
    bn.running_mean[:] = [0.2, -0.1, 0.3]
    bn.running_var[:] = [1.5, 0.5, 2.0]
    bn.train(training)
    x = _x(*shape, seed=1) * 2 + 1
    rm = bn.running_mean.copy()
    res = gradcheck(lambda x, w, b: bn(x), [x, bn.weight, bn.bias])
    assert res.passed, str(res)
    if not training:
        np.testing.assert_array_equal(bn.running_mean, rm)


def test_batchnorm_statistics_follow_pytorch_conventions():
    bn = BatchNorm2d(2)
    x = _x(4, 2, 3, 3, seed=2, dtype=np.float32) * 3 + 1
    y = bn(x).data
    axes = (0, 2, 3)
    m = x.mean(axis=axes)
    v = x.var(axis=axes)
    np.testing.assert_allclose(y, (x - m[:, None, None]) / np.sqrt(v[:, None, None] + 1e-5),
                               rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(bn.running_mean, 0.1 * m, rtol=1e-5)
    np.testing.assert_allclose(bn.running_var, 0.9 + 0.1 * x.var(axis=axes, ddof=1), rtol=1e-5)
    bn.eval()
    y2 = bn(x).data
    np.testing.assert_allclose(y2, (x - bn.running_mean[:, None, None]) /
                               np.sqrt(bn.running_var[:, None, None] + 1e-5), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("mod", [ReLU(), LeakyReLU(0.2), Sigmoid(), Tanh(), Softplus(),
                                 Swish(1.3).double(), Flatten()])
def test_activation_modules_gradcheck(mod):
    x = _x(3, 2, 4) + 0.01
    ps = mod.parameters()
    assert gradcheck(lambda x, *p: mod(x), [x] + ps).passed


def test_swish_learns_beta():
    sw = Swish(1.0, num_features=3).double()
    x = _x(2, 3, 4, 4)
    assert gradcheck(lambda x, b: sw(x), [x, sw.beta]).passed
    (sw(x) ** 2).sum().backward()
    assert sw.beta.grad.shape == (3,) and np.all(sw.beta.grad != 0)


def test_dropout_train_eval_and_rng():
    d = Dropout(0.5, rng=0)
    x = np.ones((200, 50), np.float32)
    y = d(x).data
    assert set(np.unique(y)) == {0.0, 2.0}
    assert abs((y == 0).mean() - 0.5) < 0.02
    assert y.dtype == np.float32
    np.testing.assert_array_equal(Dropout(0.5, rng=0)(x).data, y)   # same seed, same mask
    d.eval()
    np.testing.assert_array_equal(d(x).data, x)


# ----------------------------------------------------------------------------- training
def test_a_few_steps_lower_the_loss_float32():
    rng = np.random.default_rng(3)
    X = rng.standard_normal((64, 8)).astype(np.float32)
    y = (X[:, 0] + X[:, 1] > 0).astype(int) + (X[:, 2] > 1)
    net = Sequential(Linear(8, 16, rng=0), BatchNorm1d(16), ReLU(), Dropout(0.1, rng=0),
                     Linear(16, 3, rng=1))
    opt = SGD(net.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
    losses = []
    for _ in range(20):
        opt.zero_grad()
        loss = CrossEntropyLoss()(net(X), y)
        loss.backward()
        opt.step()
        losses.append(float(loss.data))
        assert loss.dtype == np.float32
    assert losses[-1] < 0.5 * losses[0]
    assert all(p.dtype == np.float32 and p.grad.dtype == np.float32 for p in net.parameters())


# ----------------------------------------------------------------------------- bad input
def test_shape_and_dtype_errors_name_layer_and_shapes():
    lin = Linear(4, 3, rng=0)
    with pytest.raises(ValueError, match=r"Linear\(in_features=4.*\(\*, 4\).*\(2, 5\)"):
        lin(np.zeros((2, 5), np.float32))
    with pytest.raises(TypeError, match="float64.*float32"):
        lin(np.zeros((2, 4)))
    with pytest.raises(TypeError, match="floating"):
        lin(np.zeros((2, 4), int))
    with pytest.raises(ValueError, match=r"BatchNorm2d\(num_features=3\).*\(N, 3, \*, \*\).*\(2, 4, 5, 5\)"):
        BatchNorm2d(3)(np.zeros((2, 4, 5, 5), np.float32))
    with pytest.raises(ValueError, match="more than 1 value"):
        BatchNorm1d(3)(np.zeros((1, 3), np.float32))
    with pytest.raises(ValueError, match="in_features"):
        Linear(0, 3)
    with pytest.raises(TypeError, match="argument 1"):
        Sequential(Linear(2, 2), "relu")
