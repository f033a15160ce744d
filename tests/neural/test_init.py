"""Initialisers (neural.init): statistics, and what zero init does to hidden units."""

import numpy as np
import pytest

from neural import SGD, BatchNorm1d, CrossEntropyLoss, Linear, Sequential, Tanh, init


# ----------------------------------------------------------------------------- init
def test_initialiser_statistics():
    from energy.autodiff import Parameter
    w = Parameter(np.zeros((400, 200, 3, 3), np.float32))
    init.kaiming_normal_(w, rng=0)
    assert w.dtype == np.float32
    assert w.data.std() == pytest.approx(np.sqrt(2 / (200 * 9)), rel=0.02)
    init.xavier_uniform_(w, rng=0)
    assert w.data.var() == pytest.approx(2 / (200 * 9 + 400 * 9), rel=0.02)
    init.xavier_normal_(w, rng=0)
    assert w.data.std() == pytest.approx(np.sqrt(2 / (200 * 9 + 400 * 9)), rel=0.02)
    init.kaiming_uniform_(w, rng=0)
    assert np.abs(w.data).max() <= np.sqrt(2) * np.sqrt(3 / (200 * 9)) + 1e-6
    init.normal_(w, 0, 0.5, rng=0)
    assert w.data.std() == pytest.approx(0.5, rel=0.02)
    init.zeros_(w)
    assert not w.data.any()
    net = init.init_module(Sequential(Linear(10, 5, rng=0), BatchNorm1d(5)), "he", rng=0)
    assert not net[0].bias.data.any() and np.all(net[1].weight.data == 1)
    with pytest.raises(ValueError, match="2 dimensions"):
        init.xavier_uniform_(Parameter(np.zeros(3)))


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
