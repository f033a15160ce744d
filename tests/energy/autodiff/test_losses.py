"""Softmax, the losses and dropout: gradcheck, closed forms, stability, dtypes, bad targets."""

import warnings

import numpy as np
import pytest

from energy import autodiff as ad
from energy.autodiff import Tensor
from tests.energy.autodiff._helpers import R, check, rng


# ----------------------------------------------------------------------------- gradcheck
UNARY = {
    "log_softmax": (lambda x: ad.log_softmax(x, axis=1), R(3, 5)),
    "log_softmax0": (lambda x: ad.log_softmax(x, axis=0), R(3, 5)),
    "softmax": (lambda x: ad.softmax(x, axis=-1), R(3, 5)),
    "dropout": (lambda x: ad.dropout(x, 0.4, rng=3), R(5, 6)),
}


@pytest.mark.parametrize("name", sorted(UNARY))
def test_gradcheck_unary(name):
    f, x = UNARY[name]
    check(f, x)


BINARY = {
    "mse": (ad.mse_loss, R(3, 4), R(3, 4)),
    "mse_sum": (lambda a, b: ad.mse_loss(a, b, "sum"), R(3, 4), R(3, 4)),
    "mse_none": (lambda a, b: ad.mse_loss(a, b, "none"), R(3, 4), R(3, 4)),
}


@pytest.mark.parametrize("name", sorted(BINARY))
def test_gradcheck_binary(name):
    f, a, b = BINARY[name]
    check(f, a, b)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_gradcheck_cross_entropy(reduction):
    t = np.array([0, 3, 1, 4, 4])
    check(lambda x: ad.cross_entropy(x, t, reduction), R(5, 5, low=-4, high=4))
    p = rng.dirichlet(np.ones(5), size=5)
    check(lambda x: ad.cross_entropy(x, p, reduction), R(5, 5))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_gradcheck_bce_with_logits(reduction):
    t = (rng.random((4, 3)) > 0.5).astype(float)
    check(lambda x: ad.binary_cross_entropy_with_logits(x, t, reduction), R(4, 3, low=-5, high=5))


# ----------------------------------------------------------------------------- closed forms
def test_softmax_cross_entropy_gradient_is_softmax_minus_onehot():
    x = R(4, 6)
    t = np.array([5, 0, 2, 2])
    X = Tensor(x, requires_grad=True)
    ad.cross_entropy(X, t, reduction="sum").backward()
    z = np.exp(x) / np.exp(x).sum(1, keepdims=True)
    z[np.arange(4), t] -= 1
    np.testing.assert_allclose(X.grad, z, atol=1e-12)


def test_softmax_jacobian():
    x = R(5)
    X = Tensor(x, requires_grad=True)
    z = np.exp(x) / np.exp(x).sum()
    J = np.diag(z) - np.outer(z, z)
    for i in range(5):
        X.grad = None
        e = np.zeros(5)
        e[i] = 1
        ad.softmax(X).backward(e)
        np.testing.assert_allclose(X.grad, J[i], atol=1e-12)


# ----------------------------------------------------------------------------- stability
def test_huge_logits_are_stable():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        x = Tensor(np.array([[1000.0, -1000.0, 0.0], [-1e6, 1e6, 3.0]]), requires_grad=True)
        loss = ad.cross_entropy(x, np.array([1, 1]), reduction="none")
        np.testing.assert_allclose(loss.data, [2000.0, 0.0])
        loss.sum().backward()
        assert np.all(np.isfinite(x.grad))
        np.testing.assert_allclose(x.grad, [[1, -1, 0], [0, 0, 0]], atol=1e-12)
        for dt in (np.float32, np.float64):
            v = np.array([-1000.0, -50.0, 0.0, 50.0, 1000.0], dt)
            s = ad.sigmoid(v).data
            np.testing.assert_allclose(s, [0, 1 / (1 + np.exp(50.0)), 0.5,
                                           1 / (1 + np.exp(-50.0)), 1], rtol=1e-6)
            sp = ad.softplus(v).data
            np.testing.assert_allclose(sp, [0, np.exp(-50.0), np.log(2), 50, 1000], rtol=1e-6)
            ls = ad.log_softmax(v).data
            assert np.all(np.isfinite(ls)) and ls[-1] == 0
            b = ad.binary_cross_entropy_with_logits(Tensor(v, requires_grad=True),
                                                    np.array([1, 0, 1, 0, 1], dt), "none")
            assert np.all(np.isfinite(b.data)) and b.data[0] == pytest.approx(1000)
            assert b.dtype == dt


# ----------------------------------------------------------------------------- dtypes
OPS_FOR_DTYPE = [
    lambda x, w: ad.cross_entropy(x @ w, np.array([0, 1, 1])),
    lambda x, w: ad.mse_loss(ad.tanh(x @ w), np.zeros((3, 2))),
    lambda x, w: ad.binary_cross_entropy_with_logits(x @ w, np.ones((3, 2))),
    lambda x, w: ad.log_softmax(ad.sigmoid(x)).sum() + ad.softmax(ad.relu(x))[0, 1],
    lambda x, w: ad.dropout(x, 0.5, rng=0).sum() + ad.leaky_relu(x)[1:].sum(),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("k", range(len(OPS_FOR_DTYPE)))
def test_dtype_is_kept(dtype, k):
    x = Tensor(R(3, 4).astype(dtype), requires_grad=True)
    w = Tensor(R(4, 2).astype(dtype), requires_grad=True)
    out = OPS_FOR_DTYPE[k](x, w)
    assert out.dtype == dtype
    out.backward()
    assert x.grad.dtype == dtype
    assert w.grad is None or w.grad.dtype == dtype


def test_cross_entropy_bad_targets():
    x = Tensor(R(3, 4), requires_grad=True)
    with pytest.raises(ValueError, match=r"\(3,\).*\(3, 4\).*\(2,\)"):
        ad.cross_entropy(x, np.array([0, 1]))
    with pytest.raises(ValueError, match=r"\[0, 4\)"):
        ad.cross_entropy(x, np.array([0, 1, 4]))
    with pytest.raises(TypeError, match="dtype"):
        ad.cross_entropy(x, np.array(["a", "b", "c"]))
