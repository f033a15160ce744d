"""The gradient engine: every op through gradcheck, dtypes, broadcasting, the tape itself."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from energy import autodiff as ad
from energy.autodiff import Tensor, no_grad
from energy.autodiff.gradcheck import gradcheck

rng = np.random.default_rng(0)


def R(*shape, low=-2.0, high=2.0, seed=None):
    g = np.random.default_rng(seed) if seed is not None else rng
    return g.uniform(low, high, size=shape)


def check(f, *inputs, **kw):
    res = gradcheck(f, list(inputs), **kw)
    assert res.passed, str(res)
    return res


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
    "log_softmax": (lambda x: ad.log_softmax(x, axis=1), R(3, 5)),
    "log_softmax0": (lambda x: ad.log_softmax(x, axis=0), R(3, 5)),
    "softmax": (lambda x: ad.softmax(x, axis=-1), R(3, 5)),
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
    "dropout": (lambda x: ad.dropout(x, 0.4, rng=3), R(5, 6)),
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


def test_gradcheck_composite_and_shared_subgraph():
    def f(x, w):
        h = ad.tanh(x @ w)
        return (h * h + h).sum() + (h.mean(axis=0) * 3).sum()
    check(f, R(4, 3), R(3, 2))


def test_gradcheck_detects_wrong_backward():
    def bad_square(x):
        return Tensor.from_op(x.data ** 2, (x,), lambda g: (3 * x.data * g,), "bad")
    res = gradcheck(lambda x: bad_square(x).sum(), [np.array([1.0, 2.0, -1.5])])
    assert not res.passed
    assert res.worst_input == 0 and res.worst_index == (1,)
    assert res.analytic == pytest.approx(6.0) and res.numeric == pytest.approx(4.0)
    with pytest.raises(AssertionError, match="index \\(1,\\)"):
        gradcheck(lambda x: bad_square(x).sum(), [np.array([1.0, 2.0, -1.5])],
                  raise_exception=True)


def test_gradcheck_requires_float64_parameters():
    p = ad.Parameter(np.ones(3, np.float32))
    with pytest.raises(TypeError, match="float64"):
        gradcheck(lambda p: p.sum(), [p])


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
    lambda x, w: (x * 2.5 + 1).sum(),
    lambda x, w: (x @ w).sum(),
    lambda x, w: ad.cross_entropy(x @ w, np.array([0, 1, 1])),
    lambda x, w: ad.mse_loss(ad.tanh(x @ w), np.zeros((3, 2))),
    lambda x, w: ad.binary_cross_entropy_with_logits(x @ w, np.ones((3, 2))),
    lambda x, w: (ad.softplus(x) / np.float64(3.0) - np.float64(1)).mean(),
    lambda x, w: ad.swish(x, 1.5).max(axis=1).sum(),
    lambda x, w: ad.log_softmax(ad.sigmoid(x)).sum() + ad.softmax(ad.relu(x))[0, 1],
    lambda x, w: ad.dropout(x, 0.5, rng=0).sum() + ad.leaky_relu(x)[1:].sum(),
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


def test_mixed_dtype_grads_cast_back_to_each_input():
    a = Tensor(R(3).astype(np.float32), requires_grad=True)
    b = Tensor(R(3), requires_grad=True)
    (a * b).sum().backward()
    assert a.grad.dtype == np.float32 and b.grad.dtype == np.float64


# ----------------------------------------------------------------------------- broadcasting
@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(1, 3), min_size=1, max_size=3), st.data())
def test_unbroadcast_matches_sum_over_broadcast_axes(shape, data):
    # b's shape: a suffix of shape with some entries replaced by 1
    k = data.draw(st.integers(0, len(shape)))
    bshape = [s if data.draw(st.booleans()) else 1 for s in shape[len(shape) - k:]]
    a = Tensor(np.random.default_rng(1).standard_normal(shape), requires_grad=True)
    b = Tensor(np.random.default_rng(2).standard_normal(bshape), requires_grad=True)
    g = np.random.default_rng(3).standard_normal(shape)
    (a * b).backward(g)
    assert b.grad.shape == tuple(bshape)
    full = np.broadcast_to(a.data * 0 + 1, shape) * g * a.data
    suffix = tuple(shape[len(shape) - k:])       # the axes b lines up with
    expect = full.reshape((-1,) + suffix).sum(0)
    axes = tuple(i for i, s in enumerate(bshape) if s == 1)
    expect = expect.sum(axis=axes, keepdims=True) if axes else expect
    np.testing.assert_allclose(b.grad, np.reshape(expect, bshape), atol=1e-12)
    np.testing.assert_allclose(a.grad, g * np.broadcast_to(b.data, shape), atol=1e-12)


# ----------------------------------------------------------------------------- the tape
def test_long_chain_has_no_recursion_limit():
    x = Tensor(np.array([1.0]), requires_grad=True)
    y = x
    for _ in range(5000):
        y = y * 1.0001
    y.sum().backward()
    np.testing.assert_allclose(x.grad, [1.0001 ** 5000])


def test_gradient_accumulates_and_zero_grad_resets():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    (x * x).sum().backward()
    (x * 3).sum().backward()
    np.testing.assert_allclose(x.grad, [5.0, 7.0])
    x.zero_grad()
    assert x.grad is None


def test_shared_node_gets_both_contributions():
    x = Tensor(np.array(3.0), requires_grad=True)
    y = x * x
    z = y * y + y        # x^4 + x^2
    z.backward()
    assert float(x.grad) == pytest.approx(4 * 27 + 6)


def test_backward_on_non_scalar_needs_gradient():
    x = Tensor(R(2, 3), requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match=r"shape \(2, 3\).*grad="):
        y.backward()
    with pytest.raises(ValueError, match="shape"):
        y.backward(np.ones(3))
    y.backward(np.ones((2, 3)))
    np.testing.assert_allclose(x.grad, 2 * np.ones((2, 3)))


def test_backward_without_grad_path_is_an_error():
    with pytest.raises(RuntimeError, match="does not require grad"):
        Tensor(np.ones(2)).sum().backward()


def test_no_grad_and_detach():
    x = Tensor(R(3), requires_grad=True)
    with no_grad():
        y = ad.exp(x) * 2
    assert not y.requires_grad and y._parents == ()
    z = (x.detach() * x).sum()
    z.backward()
    np.testing.assert_allclose(x.grad, x.data)     # only the non-detached factor counts
    assert ad.is_grad_enabled()

    @no_grad()
    def f(t):
        return t * 2
    assert not f(x).requires_grad


def test_int_tensor_cannot_require_grad():
    with pytest.raises(TypeError, match="floating"):
        Tensor(np.arange(3), requires_grad=True)


def test_from_op_checks_gradient_shapes():
    x = Tensor(R(3), requires_grad=True)
    y = Tensor.from_op(x.data.sum(), (x,), lambda g: (np.ones(4),), "wrong")
    with pytest.raises(RuntimeError, match="'wrong'.*shape"):
        y.backward()


def test_retain_grad_and_reflected_ops():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    h = (2.0 - x).retain_grad()
    y = (np.array([3.0, 4.0]) * h + 1 / x).sum()
    y.backward()
    np.testing.assert_allclose(h.grad, [3.0, 4.0])
    np.testing.assert_allclose(x.grad, [-3 - 1, -4 - 0.25])


def test_cross_entropy_bad_targets():
    x = Tensor(R(3, 4), requires_grad=True)
    with pytest.raises(ValueError, match=r"\(3,\).*\(3, 4\).*\(2,\)"):
        ad.cross_entropy(x, np.array([0, 1]))
    with pytest.raises(ValueError, match=r"\[0, 4\)"):
        ad.cross_entropy(x, np.array([0, 1, 4]))
    with pytest.raises(TypeError, match="dtype"):
        ad.cross_entropy(x, np.array(["a", "b", "c"]))
    with pytest.raises(ValueError, match="matmul.*\\(3, 4\\).*\\(3, 4\\)"):
        x @ x


def test_to_networkx_shows_the_dag():
    x = Tensor(R(2), requires_grad=True)
    y = (ad.exp(x) * x).sum()
    G = ad.to_networkx(y)
    ops = sorted(d["op"] for _, d in G.nodes(data=True))
    assert ops == ["exp", "leaf", "mul", "sum"]
    assert G.number_of_edges() == 4
