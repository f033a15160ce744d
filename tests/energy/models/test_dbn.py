"""DBN: greedy layer-wise training of stacked RBMs."""

import numpy as np
import pytest

from energy.models import DBN, BernoulliRBM

PARAMS = {"n_iter": 3, "batch_size": 10, "k": 1, "learning_rate": 0.1}


@pytest.fixture(scope="module")
def data():
    g = np.random.default_rng(3)
    return (g.random((120, 16)) < np.linspace(0.1, 0.8, 16)).astype(np.float64)


@pytest.fixture(scope="module")
def fitted(data):
    return DBN([16, 10, 6, 4], random_state=7, **PARAMS).fit(data)


def test_sizes_chain_and_upper_layers_read_probabilities():
    dbn = DBN([64, 100, 100], visible="probability", n_iter=2)
    assert [r.n_components for r in dbn.rbms] == [100, 100]
    assert [r.visible for r in dbn.rbms] == ["probability", "probability"]
    assert [r.n_iter for r in dbn.rbms] == [2, 2]
    assert DBN([5, 3, 2]).rbms[0].visible == "binary" and DBN([5, 3, 2]).rbms[1].visible == \
        "probability"


def test_greedy_fit_each_layer_trained_on_the_layer_below(data, fitted):
    """RBM i equals a lone RBM, same seed and parameters, fitted on RBM i-1's transform."""
    inputs = data
    for i, rbm in enumerate(fitted.rbms):
        lone = BernoulliRBM(rbm.n_components, visible="binary" if i == 0 else "probability",
                            random_state=rbm.random_state, **PARAMS).fit(inputs)
        np.testing.assert_array_equal(lone.components_, rbm.components_)
        np.testing.assert_array_equal(lone.intercept_hidden_, rbm.intercept_hidden_)
        np.testing.assert_array_equal(lone.intercept_visible_, rbm.intercept_visible_)
        np.testing.assert_allclose(fitted.transform(data, n_layers=i + 1), lone.transform(inputs))
        inputs = lone.transform(inputs)
    np.testing.assert_array_equal(fitted.transform(data), inputs)


def test_layers_get_different_seeds_and_fit_is_reproducible(data, fitted):
    seeds = [r.random_state for r in fitted.rbms]
    assert len(set(seeds)) == len(seeds)
    again = DBN([16, 10, 6, 4], random_state=7, **PARAMS).fit(data)
    for a, b in zip(fitted.pretrained_arrays(), again.pretrained_arrays()):
        np.testing.assert_array_equal(a[0], b[0])
        np.testing.assert_array_equal(a[1], b[1])


def test_transform_and_pretrained_arrays_shapes(data, fitted):
    T = fitted.transform(data)
    assert T.shape == (120, 4) and np.all((T > 0) & (T < 1))
    assert fitted.transform(data, n_layers=0).shape == (120, 16)
    arrays = fitted.pretrained_arrays()
    assert [(W.shape, b.shape) for W, b in arrays] == [((10, 16), (10,)), ((6, 10), (6,)),
                                                      ((4, 6), (4,))]
    arrays[0][0][...] = 0          # copies: the model is untouched
    assert np.abs(fitted.rbms[0].components_).max() > 0
    assert fitted.sizes == [16, 10, 6, 4] and len(fitted) == 3


def test_given_rbms_are_used_as_they_are(data):
    rbms = [BernoulliRBM(5, random_state=1, **PARAMS),
            BernoulliRBM(3, visible="probability", random_state=2, **PARAMS)]
    dbn = DBN(rbms).fit(data)
    assert dbn.rbms[0] is rbms[0] and rbms[1].random_state == 2
    lone = BernoulliRBM(5, random_state=1, **PARAMS).fit(data)
    np.testing.assert_array_equal(lone.components_, rbms[0].components_)
    assert dbn.transform(data).shape == (120, 3) and dbn.sizes == [16, 5, 3]


@pytest.mark.parametrize("layers, exc, words", [
    ([64], ValueError, "at least two sizes"),
    ([64, 0, 10], ValueError, ">= 1, got 0"),
    ([64, -3], ValueError, ">= 1, got -3"),
    ([64, 10.0], TypeError, "entry 1 must be an int"),
    ([64, True], TypeError, "entry 1 must be an int"),
    ("64,10", TypeError, "got str"),
    (64, TypeError, "got int"),
    ([BernoulliRBM(3), 4], TypeError, "all ints (sizes) or all BernoulliRBMs"),
    ([BernoulliRBM(3), BernoulliRBM(2)], ValueError, "visible='probability'"),
])
def test_bad_layers(layers, exc, words):
    with pytest.raises(exc, match="layers") as e:
        DBN(layers)
    assert words in str(e.value)


def test_fitted_rbms_that_do_not_chain(data):
    low = BernoulliRBM(5, **PARAMS).fit(data)
    top = BernoulliRBM(2, visible="probability", **PARAMS).fit(np.full((20, 4), 0.5))
    with pytest.raises(ValueError, match="layers: RBM 1 was fitted on 4 visible units but RBM 0 "
                                         "has 5 hidden"):
        DBN([low, top])


def test_other_bad_input(data):
    with pytest.raises(ValueError, match="visible: expected"):
        DBN([4, 2], visible="grey")
    with pytest.raises(ValueError, match="rbm_params"):
        DBN([BernoulliRBM(3)], n_iter=3)
    with pytest.raises(ValueError, match="X: the DBN's first layer has 8 visible units, got 16"):
        DBN([8, 4]).fit(data)
    with pytest.raises(ValueError, match="not fitted"):
        DBN([16, 4]).transform(data)
    with pytest.raises(ValueError, match="visible data must be binary"):
        DBN([3, 2], **PARAMS).fit(np.full((20, 3), 0.5))
    dbn = DBN([16, 4], **PARAMS).fit(data)
    with pytest.raises(ValueError, match="n_layers: expected an int in"):
        dbn.transform(data, n_layers=2)
