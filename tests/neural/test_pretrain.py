"""neural.pretrain: one greedy pretraining entry point, weights copied in place."""

import numpy as np
import pytest

from energy.models import DBN
from neural import (PRETRAINERS, Linear, ReLU, Sequential, Sigmoid, mlp_from_dbn, pretrain,
                    register_pretrainer)

KW = {"batch_size": 10, "k": 1, "learning_rate": 0.1}


@pytest.fixture(scope="module")
def X():
    g = np.random.default_rng(5)
    return g.random((80, 12)) * np.linspace(0.2, 1.0, 12)       # values in [0, 1]


@pytest.fixture(scope="module")
def dbn(X):
    return DBN([12, 9, 5], visible="probability", n_iter=3, random_state=4, **KW).fit(X)


def test_rbm_pretraining_copies_the_dbn_weights_in_place(X):
    l0, l1 = Linear(12, 9, rng=0), Linear(9, 5, rng=1)
    w0, w1 = l0.weight, l1.weight                       # the same Parameter objects after
    before = l0.weight.data.copy()
    model = pretrain([l0, l1], X, epochs=3, rng=4, **KW)
    assert isinstance(model, DBN) and model.sizes == [12, 9, 5]
    assert l0.weight is w0 and l1.weight is w1
    assert not np.allclose(l0.weight.data, before)
    assert l0.weight.dtype == np.float32
    ref = DBN([12, 9, 5], visible="probability", n_iter=3, random_state=4, **KW).fit(X)
    for layer, (W, b) in zip((l0, l1), ref.pretrained_arrays()):
        np.testing.assert_array_equal(layer.weight.data, W.astype(np.float32))
        np.testing.assert_array_equal(layer.bias.data, b.astype(np.float32))


def test_a_sequential_gives_its_linear_layers(X):
    net = Sequential(Linear(12, 9, rng=0, dtype=np.float64), Sigmoid(),
                     Linear(9, 5, rng=1, dtype=np.float64), Sigmoid())
    model = pretrain(net, X, epochs=2, rng=0, **KW)
    np.testing.assert_array_equal(net[2].weight.data, model.rbms[1].components_)
    np.testing.assert_array_equal(net[0].bias.data, model.rbms[0].intercept_hidden_)


def test_mlp_from_dbn_computes_the_dbn_features(X, dbn):
    net = mlp_from_dbn(dbn, 3, rng=0)
    assert [type(m).__name__ for m in net] == ["Linear", "Sigmoid", "Linear", "Sigmoid", "Linear"]
    assert net[4].weight.shape == (3, 5) and net[0].weight.dtype == np.float64
    np.testing.assert_allclose(net[:4](X).data, dbn.transform(X), atol=1e-6, rtol=0)
    np.testing.assert_allclose(net[:2](X).data, dbn.transform(X, n_layers=1), atol=1e-6, rtol=0)
    assert net(X).shape == (80, 3)
    feats = mlp_from_dbn(dbn)                            # no head: the features alone
    assert len(feats) == 4
    np.testing.assert_allclose(feats(X).data, dbn.transform(X), atol=1e-6, rtol=0)
    relu = mlp_from_dbn(dbn, 2, activation="relu", dtype=np.float32)
    assert isinstance(relu[1], ReLU) and relu[0].weight.dtype == np.float32
    np.testing.assert_allclose(relu[0].weight.data, dbn.rbms[0].components_, rtol=1e-6)


def test_a_registered_method_is_reached_by_name(X):
    calls = []

    def fake(layers, X, *, epochs, rng, scale=1.0):
        calls.append((len(layers), X.shape, epochs, rng))
        for layer in layers:
            layer.weight.data[...] = scale
        return "model"

    register_pretrainer("test_fake", fake)
    try:
        layers = [Linear(12, 4, rng=0), Linear(4, 2, rng=0)]
        assert pretrain(layers, X, method="test_fake", epochs=7, rng=3, scale=2.0) == "model"
        assert calls == [(2, (80, 12), 7, 3)] and np.all(layers[1].weight.data == 2.0)
        assert pretrain(layers, X, method=fake, epochs=1) == "model"    # a callable directly
    finally:
        del PRETRAINERS["test_fake"]


def test_unknown_method_lists_the_known_ones(X):
    with pytest.raises(ValueError, match=r"method: unknown pretraining method 'autoencoderr'; "
                                         r"known: .*'rbm'"):
        pretrain([Linear(12, 4)], X, method="autoencoderr")
    with pytest.raises(TypeError, match="method: expected a method name or a callable"):
        pretrain([Linear(12, 4)], X, method=3)


@pytest.mark.parametrize("layers, exc, words", [
    ([Linear(12, 4), Linear(5, 2)], ValueError, "layer 1 has in_features=5 but layer 0 has "
                                                "out_features=4"),
    ([Linear(12, 4), Sigmoid()], TypeError, "entry 1 must be a neural.Linear, got Sigmoid"),
    ([], ValueError, "at least one Linear"),
    ("Linear", TypeError, "expected a list of Linear layers"),
    ([np.zeros((4, 12))], TypeError, "entry 0 must be a neural.Linear, got ndarray"),
])
def test_bad_layers(X, layers, exc, words):
    with pytest.raises(exc, match="layers") as e:
        pretrain(layers, X)
    assert words in str(e.value)


def test_bad_data_and_arguments(X):
    with pytest.raises(ValueError, match="X: the first layer has in_features=10, got 12"):
        pretrain([Linear(10, 4)], X)
    bad = X.copy()
    bad[3, 2] = np.nan
    with pytest.raises(ValueError, match="X: must be finite"):
        pretrain([Linear(12, 4)], bad)
    with pytest.raises(ValueError, match="visible='probability' needs values in \\[0, 1\\]"):
        pretrain([Linear(12, 4)], X + 1.0, epochs=1, **KW)
    with pytest.raises(ValueError, match="epochs: must be >= 1"):
        pretrain([Linear(12, 4)], X, epochs=0)
    with pytest.raises(TypeError, match="dbn: expected an energy.models.DBN"):
        mlp_from_dbn([Linear(12, 4)], 3)
    dbn = DBN([12, 3])
    with pytest.raises(ValueError, match="not fitted"):
        mlp_from_dbn(dbn, 3)
    with pytest.raises(ValueError, match="activation: expected one of"):
        mlp_from_dbn(dbn, 3, activation="softsign")
    with pytest.raises(ValueError, match="n_classes: must be >= 1"):
        mlp_from_dbn(dbn, 0)
    with pytest.raises(TypeError, match="name: expected a non-empty str"):
        register_pretrainer("", lambda *a, **k: None)
