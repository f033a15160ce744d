"""The engine's ops: every one through gradcheck, the dtypes they keep, shape errors."""

import numpy as np
import pytest

from energy import autodiff as ad
from energy.autodiff import Tensor
from tests.energy.autodiff._helpers import R, check


# ----------------------------------------------------------------------------- every op
UNARY = {
    "exp": (ad.exp, R(3, 4)),
    "log": (ad.log, R(3, 4, low=0.5, high=3)),
    "sqrt": (ad.sqrt, R(3, 4, low=0.5, high=3)),
    "sigmoid": (ad.sigmoid, R(3, 4, low=-5, high=5)),
    "tanh": (ad.tanh, R(3, 4)),
    "relu": (ad.relu, R(3, 4) + 0.01),
    "leaky_relu": (lambda x: ad.leaky_relu(x, 0.1), R(3, 4) + 0.01),
    "softplus": (ad.softplus, R(3, 4, low=-5, high=5)),
    "neg": (ad.neg, R(3, 4)),
    "pow": (lambda x: x ** 3, R(3, 4)),
    "pow_frac": (lambda x: x ** 1.5, R(3, 4, low=0.5, high=2)),
    "sum_all": (lambda x: x.sum(), R(3, 4)),
    "sum_axis": (lambda x: x.sum(axis=1), R(3, 4)),
    "sum_keep": (lambda x: x.sum(axis=(0, 2), keepdims=True), R(2, 3, 4)),
    "mean": (lambda x: x.mean(axis=0), R(3, 4)),
    "mean_all": (lambda x: x.mean(), R(3, 4)),
    "max_axis": (lambda x: x.max(axis=1), R(3, 4)),
    "max_all": (lambda x: x.max(), R(3, 4)),
    "max_keep": (lambda x: x.max(axis=0, keepdims=True), R(3, 4)),
    "reshape": (lambda x: x.reshape(4, 3) * np.arange(12.0).reshape(4, 3), R(3, 4)),
    "transpose": (lambda x: x.transpose(2, 0, 1) * np.arange(24.0).reshape(4, 2, 3), R(2, 3, 4)),
    "T": (lambda x: x.T @ np.ones((3, 2)), R(3, 4)),
    "index_basic": (lambda x: x[1:, ::2], R(3, 4)),
    "index_int": (lambda x: x[2], R(3, 4)),
    "index_fancy_repeat": (lambda x: x[np.array([0, 2, 0, 0])], R(3, 4)),
    "index_pairs": (lambda x: x[np.arange(3), np.array([1, 3, 1])], R(3, 4)),
    "index_bool": (lambda x: x[x.data > 0], R(3, 4)),
    "astype": (lambda x: x.astype(np.float64) * 2, R(3, 4)),
    "swish_const": (lambda x: ad.swish(x, 1.7), R(3, 4)),
}


@pytest.mark.parametrize("name", sorted(UNARY))
def test_gradcheck_unary(name):
    f, x = UNARY[name]
    check(f, x)


BINARY = {
    "add": (ad.add, R(3, 4), R(3, 4)),
    "sub": (ad.sub, R(3, 4), R(3, 4)),
    "mul": (ad.mul, R(3, 4), R(3, 4)),
    "div": (ad.div, R(3, 4), R(3, 4, low=0.5, high=2)),
    "add_bcast": (ad.add, R(2, 3, 4), R(4)),
    "sub_bcast": (ad.sub, R(3, 1), R(1, 4)),
    "mul_bcast": (ad.mul, R(2, 1, 4), R(3, 1)),
    "div_bcast": (ad.div, R(3, 4), R(1, 4, low=0.5, high=2)),
    "matmul": (ad.matmul, R(3, 4), R(4, 5)),
    "matmul_batched": (ad.matmul, R(2, 3, 4), R(2, 4, 5)),
    "matmul_bcast": (ad.matmul, R(2, 3, 4), R(4, 5)),
    "matmul_vec_left": (ad.matmul, R(4), R(4, 5)),
    "matmul_vec_right": (ad.matmul, R(3, 4), R(4)),
    "matmul_dot": (ad.matmul, R(4), R(4)),
    "swish_beta": (ad.swish, R(3, 4), R(1)),
    "swish_beta_per_feature": (ad.swish, R(3, 4), R(4)),
    "concat": (lambda a, b: ad.concat([a, b], axis=1), R(3, 2), R(3, 4)),
    "stack": (lambda a, b: ad.stack([a, b], axis=1), R(3, 4), R(3, 4)),
    "where": (lambda a, b: ad.where(a.data > b.data, a, b), R(3, 4), R(3, 4)),
}


@pytest.mark.parametrize("name", sorted(BINARY))
def test_gradcheck_binary(name):
    f, a, b = BINARY[name]
    check(f, a, b)


def test_gradcheck_composite_and_shared_subgraph():
    def f(x, w):
        h = ad.tanh(x @ w)
        return (h * h + h).sum() + (h.mean(axis=0) * 3).sum()
    check(f, R(4, 3), R(3, 2))


def test_matmul_bad_shapes():
    x = Tensor(R(3, 4), requires_grad=True)
    with pytest.raises(ValueError, match="matmul.*\\(3, 4\\).*\\(3, 4\\)"):
        x @ x


# ----------------------------------------------------------------------------- dtypes
OPS_FOR_DTYPE = [
    lambda x, w: (x * 2.5 + 1).sum(),
    lambda x, w: (x @ w).sum(),
    lambda x, w: (ad.softplus(x) / np.float64(3.0) - np.float64(1)).mean(),
    lambda x, w: ad.swish(x, 1.5).max(axis=1).sum(),
    lambda x, w: ad.concat([x, x], 0).exp().sum() + ad.stack([x, x]).sum(),
    lambda x, w: (1.0 / (x * x + 1)).sqrt().log().sum(),
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
