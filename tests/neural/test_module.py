"""The Module base (neural.module): count_params, count_macs, parameters, state dicts,
save/load, dtype conversion."""

import numpy as np
import pytest

from neural import (SGD, BatchNorm1d, Flatten, Linear, Module, Parameter, ReLU, Sequential,
                    count_macs, count_params)


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
