"""Module, Linear, activations, Dropout, BatchNorm, losses, count_params, save/load."""

import numpy as np
import pytest

from energy.autodiff.gradcheck import gradcheck
from neural import (SGD, BatchNorm1d, BatchNorm2d, CrossEntropyLoss, Dropout, Flatten, LeakyReLU,
                    Linear, Module, Parameter, ReLU, Sequential, Sigmoid, Softplus, Swish, Tanh,
                    count_macs, count_params, init)


def _x(*shape, seed=0, dtype=np.float64):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


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


# ----------------------------------------------------------------------------- counting
@pytest.mark.parametrize("d,n,L,c", [(64, 32, 1, 10), (10, 7, 3, 4), (5, 20, 4, 2)])
def test_count_params_mlp_without_biases(d, n, L, c):
    layers = [Linear(d, n, bias=False, rng=0), ReLU()]
    for _ in range(L - 1):
        layers += [Linear(n, n, bias=False, rng=0), ReLU()]
    layers.append(Linear(n, c, bias=False, rng=0))
    net = Sequential(*layers)
    assert count_params(net) == d * n + (L - 1) * n * n + n * c
    net2 = Sequential(Linear(d, n, rng=0), Linear(n, c, rng=0))
    assert count_params(net2) == d * n + n + n * c + c


def test_count_macs_linear_and_conv():
    from neural import Conv2d, Flatten, MaxPool2d
    d, n, c, N = 64, 32, 10, 5
    mlp = Sequential(Linear(d, n, rng=0), ReLU(), Linear(n, c, rng=0))
    assert count_macs(mlp, (N, d)) == N * (d * n + n * c)
    cnn = Sequential(Conv2d(1, 6, 5, rng=0), ReLU(), MaxPool2d(2), Conv2d(6, 16, 5, rng=0),
                     MaxPool2d(2), Flatten(), Linear(16 * 4 * 4, 10, rng=0))
    expect = 2 * (6 * 24 * 24 * 25 + 16 * 8 * 8 * 150 + 256 * 10)
    assert count_macs(cnn, (2, 1, 28, 28)) == expect
    assert cnn.training                           # mode restored
    G = cnn.to_networkx((1, 1, 28, 28))
    ops = [d["op"] for _, d in G.nodes(data=True)]
    assert ops.count("conv2d") == 2 and ops.count("parameter") == 6 and ops.count("linear") == 1


# ----------------------------------------------------------------------------- zero init
def test_zero_init_keeps_hidden_units_identical():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 5)).astype(np.float32)
    y = rng.integers(0, 3, 40)

    def train(scheme):
        net = Sequential(Linear(5, 6, rng=1), Tanh(), Linear(6, 3, rng=2))
        if scheme == "zeros":
            for p in net.parameters():
                init.constant_(p, 0.1) if p.ndim == 2 else init.zeros_(p)
        opt = SGD(net.parameters(), lr=0.5)
        for _ in range(30):
            opt.zero_grad()
            CrossEntropyLoss()(net(X), y).backward()
            opt.step()
        return net
    net = train("zeros")
    W1 = net[0].weight.data
    assert np.allclose(W1, W1[:1])            # every hidden unit has the same incoming weights
    assert not np.allclose(W1, 0.1)           # ... although they did change
    W2 = net[2].weight.data
    assert np.allclose(W2, W2[:, :1])         # and the same outgoing weights
    W1r = train("random")[0].weight.data
    assert not np.allclose(W1r, W1r[:1])


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


# ----------------------------------------------------------------------------- state
class _Net(Module):
    def __init__(self):
        super().__init__()
        self.fc = Linear(3, 4, rng=0)
        self.bn = BatchNorm1d(4)
        self.head = Sequential(ReLU(), Linear(4, 2, rng=1))
        self.scale = Parameter(np.ones(1, np.float32))

    def forward(self, x):
        return self.head(self.bn(self.fc(x))) * self.scale


def test_parameters_found_by_attribute_and_state_dict_names():
    net = _Net()
    names = [n for n, _ in net.named_parameters()]
    assert names == ["scale", "fc.weight", "fc.bias", "bn.weight", "bn.bias", "head.1.weight",
                     "head.1.bias"]
    sd = net.state_dict()
    assert set(sd) == set(names) | {"bn.running_mean", "bn.running_var"}
    net.eval()
    assert not net.bn.training and not net.head[1].training
    net.train()
    assert net.bn.training


def test_save_load_roundtrip_and_atomic(tmp_path):
    net = _Net()
    net(np.random.default_rng(0).standard_normal((8, 3)).astype(np.float32))   # moves running stats
    path = tmp_path / "m.npz"
    net.save(path)
    assert [p.name for p in tmp_path.iterdir()] == ["m.npz"]      # no temp file left behind
    other = _Net()
    for p in other.parameters():
        p.data[...] = 0
    opt = SGD(other.parameters(), lr=0.1)
    other.load(path)
    for (n, a), (_, b) in zip(net.state_dict().items(), other.state_dict().items()):
        np.testing.assert_array_equal(a, b, err_msg=n)
    # loaded in place: the optimiser still updates the model's arrays
    other.zero_grad()
    (other(np.random.default_rng(1).standard_normal((4, 3)).astype(np.float32)) ** 2).sum().backward()
    before = other.fc.weight.data.copy()
    opt.step()
    assert not np.array_equal(before, other.fc.weight.data)
    with pytest.raises(FileExistsError, match="loaded from"):
        other.save(path)
    other.save(path, overwrite=True)
    other.save(tmp_path / "copy.npz")
    with pytest.raises(FileExistsError, match="overwrite"):
        other.save(tmp_path / "copy.npz")
    with pytest.raises(ValueError, match=".npz"):
        other.save(tmp_path / "model.bin")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["copy.npz", "m.npz"]


def test_loading_mismatched_state_is_a_clear_error(tmp_path):
    net = _Net()
    sd = net.state_dict()
    bad = dict(sd)
    del bad["fc.bias"]
    bad["extra"] = np.zeros(2)
    bad["fc.weight"] = np.zeros((3, 3))
    before = net.state_dict()
    with pytest.raises(ValueError) as e:
        net.load_state_dict(bad)
    msg = str(e.value)
    assert "missing: ['fc.bias']" in msg and "unexpected: ['extra']" in msg
    assert "fc.weight: expected shape (4, 3), got (3, 3)" in msg
    for k in before:   # nothing changed
        np.testing.assert_array_equal(before[k], net.state_dict()[k])
    p = tmp_path / "bad.npz"
    np.savez(p, **bad)
    with pytest.raises(ValueError, match="bad.npz.*does not match.*missing"):
        net.load(p)
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"not a zip file")
    with pytest.raises(ValueError, match="not a readable .npz"):
        net.load(junk)
    with pytest.raises(ValueError, match="NaN"):
        net.load_state_dict({**sd, "scale": np.array([np.nan], np.float32)})


def test_to_dtype_converts_parameters_and_buffers():
    net = _Net().double()
    assert all(p.dtype == np.float64 for p in net.parameters())
    assert net.bn.running_mean.dtype == np.float64
    out = net(np.ones((3, 3)))
    assert out.dtype == np.float64
    assert "Linear(in_features=3" in repr(net)
