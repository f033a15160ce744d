"""The tape: backward, accumulation, grad mode, detach, custom ops, dtype casts,
un-broadcasting, and the DAG as a graph."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from energy import autodiff as ad
from energy.autodiff import Tensor, no_grad
from tests.energy.autodiff._helpers import R


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


def test_to_networkx_shows_the_dag():
    x = Tensor(R(2), requires_grad=True)
    y = (ad.exp(x) * x).sum()
    G = ad.to_networkx(y)
    ops = sorted(d["op"] for _, d in G.nodes(data=True))
    assert ops == ["exp", "leaf", "mul", "sum"]
    assert G.number_of_edges() == 4


def test_operator_methods_are_the_ops():
    """ops.py attaches Tensor's methods: each is the op itself (or its reflection)."""
    assert Tensor.__add__ is ad.add and Tensor.__matmul__ is ad.matmul
    assert Tensor.sum is ad.sum_ and Tensor.max is ad.max_ and Tensor.exp is ad.exp
    x = Tensor(np.array([1.0, 2.0]))
    np.testing.assert_array_equal((3.0 - x).data, [2.0, 1.0])
    np.testing.assert_array_equal(Tensor(np.ones((2, 3))).T.shape, (3, 2))
