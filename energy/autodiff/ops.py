"""The engine's ops: arithmetic, reductions, shape ops and elementwise activations.

Each op computes its output with numpy and records itself on the tape with its VJP
(:mod:`energy.autodiff.tensor`). Functions take Tensors, numbers or arrays (constants take the
tensor operand's float dtype).

Tensor's operator methods
-------------------------
This module imports :mod:`energy.autodiff.tensor` (never the other way round) and, in the
table ``_TENSOR_METHODS`` at its end, attaches to :class:`~energy.autodiff.tensor.Tensor` the
methods that call these ops: ``a + b`` is :func:`add`, ``a.sum()`` is :func:`sum_`, ``a.T``
is :func:`transpose`, and so on. The table is the one place that says which method is which op.

Examples
--------
>>> import numpy as np
>>> from energy.autodiff import Tensor, matmul, relu
>>> x = Tensor(np.array([[1.0, -2.0]]), requires_grad=True)
>>> W = Tensor(np.array([[1.0], [1.0]]))
>>> relu(matmul(x, W) + 3).sum().backward()
>>> x.grad
array([[1., 1.]])
>>> (x * 2).sum() is not None, x.T.shape
(True, (2, 1))
"""

from __future__ import annotations

import numbers

import numpy as np

from pgm.runtime.numerics import sigmoid as _sigmoid, softplus as _softplus

from .counting import emul as _emul, mm as _mm
from .tensor import Tensor, _lift, _make, _pair, _t, _unbroadcast

__all__ = [
    "add", "sub", "mul", "div", "neg", "power", "astype", "matmul", "sum_", "mean", "max_",
    "reshape", "transpose", "getitem", "concat", "stack", "where", "exp", "log", "sqrt",
    "sigmoid", "tanh", "relu", "leaky_relu", "swish", "softplus",
]


# ----------------------------------------------------------------------------- arithmetic
def add(a, b) -> Tensor:
    """a + b with numpy broadcasting."""
    a, b = _pair(a, b)
    sa, sb = a.data.shape, b.data.shape
    return _make(a.data + b.data, (a, b),
                 lambda g: (_unbroadcast(g, sa), _unbroadcast(g, sb)), "add")


def sub(a, b) -> Tensor:
    """a - b with numpy broadcasting."""
    a, b = _pair(a, b)
    sa, sb = a.data.shape, b.data.shape
    return _make(a.data - b.data, (a, b),
                 lambda g: (_unbroadcast(g, sa), _unbroadcast(-g, sb)), "sub")


def mul(a, b) -> Tensor:
    """a * b (elementwise) with numpy broadcasting."""
    a, b = _pair(a, b)
    A, B = a.data, b.data

    def backward(g):
        return (_unbroadcast(_emul(g, B), A.shape) if a.requires_grad else None,
                _unbroadcast(_emul(g, A), B.shape) if b.requires_grad else None)
    return _make(_emul(A, B), (a, b), backward, "mul")


def div(a, b) -> Tensor:
    """a / b (elementwise) with numpy broadcasting."""
    a, b = _pair(a, b)
    A, B = a.data, b.data
    out = A / B

    def backward(g):
        return (_unbroadcast(g / B, A.shape) if a.requires_grad else None,
                _unbroadcast(-g * out / B, B.shape) if b.requires_grad else None)
    return _make(out, (a, b), backward, "div")


def neg(a) -> Tensor:
    a = _t(a)
    return _make(-a.data, (a,), lambda g: (-g,), "neg")


def power(a, p) -> Tensor:
    """a ** p for a constant real exponent p."""
    a = _t(a)
    if isinstance(p, Tensor):
        raise TypeError("power: the exponent must be a number, got a Tensor (use exp(p * log(a)))")
    A = a.data
    p = float(p)
    return _make(A ** p, (a,), lambda g: (g * p * A ** (p - 1),), "pow")


def astype(a, dtype) -> Tensor:
    """Cast to ``dtype``; the gradient is cast back to the input's dtype."""
    a = _t(a)
    return _make(a.data.astype(dtype), (a,), lambda g: (g,), "astype")


def matmul(a, b) -> Tensor:
    """Matrix product ``a @ b`` (numpy semantics: 1-D operands, batched stacks, broadcasting).

    VJP: dA = G Bᵀ, dB = Aᵀ G (transposes of the last two axes; batch axes un-broadcast).
    """
    a, b = _pair(a, b)
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(f"matmul: operands must be at least 1-D, got shapes {a.shape} and {b.shape}")
    if a.ndim == 1 and b.ndim == 1:
        if a.shape != b.shape:
            raise ValueError(f"matmul: inner dimensions differ: shapes {a.shape} and {b.shape}")
        return sum_(mul(a, b))
    if a.ndim == 1:
        return reshape(matmul(reshape(a, (1, -1)), b), b.shape[:-2] + b.shape[-1:])
    if b.ndim == 1:
        return reshape(matmul(a, reshape(b, (-1, 1))), a.shape[:-1])
    if a.shape[-1] != b.shape[-2]:
        raise ValueError(f"matmul: inner dimensions differ: shapes {a.shape} and {b.shape}")
    A, B = a.data, b.data

    def backward(g):
        ga = _unbroadcast(_mm(g, np.swapaxes(B, -1, -2)), A.shape) if a.requires_grad else None
        gb = _unbroadcast(_mm(np.swapaxes(A, -1, -2), g), B.shape) if b.requires_grad else None
        return ga, gb
    return _make(_mm(A, B), (a, b), backward, "matmul")


# ----------------------------------------------------------------------------- reductions
def _norm_axes(axis, ndim):
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, numbers.Integral):
        axis = (axis,)
    return tuple(int(ax) % ndim for ax in axis)


def _expand(g, shape, axes, keepdims):
    if not keepdims:
        g = np.expand_dims(g, axes) if axes else g
    return np.broadcast_to(g, shape)


def sum_(a, axis=None, keepdims=False) -> Tensor:
    """Sum over ``axis`` (int, tuple or None for all)."""
    a = _t(a)
    shape, axes = a.shape, _norm_axes(axis, a.ndim)
    return _make(np.asarray(a.data.sum(axis=axes, keepdims=keepdims)), (a,),
                 lambda g: (_expand(g, shape, axes, keepdims),), "sum")


def mean(a, axis=None, keepdims=False) -> Tensor:
    """Mean over ``axis``."""
    a = _t(a)
    shape, axes = a.shape, _norm_axes(axis, a.ndim)
    n = 1
    for ax in axes:
        n *= shape[ax]
    scale = np.asarray(1.0 / n, dtype=a.dtype if a.dtype.kind == "f" else np.float64)
    return _make(np.asarray(a.data.mean(axis=axes, keepdims=keepdims)), (a,),
                 lambda g: (_expand(g * scale, shape, axes, keepdims),), "mean")


def max_(a, axis=None, keepdims=False) -> Tensor:
    """Maximum over ``axis``; the gradient goes to the maximal entries (split evenly on ties)."""
    a = _t(a)
    axes = _norm_axes(axis, a.ndim)
    A = a.data
    m = A.max(axis=axes, keepdims=True)

    def backward(g):
        mask = (A == m).astype(A.dtype)
        mask /= mask.sum(axis=axes, keepdims=True)
        gk = g if keepdims else np.expand_dims(g, axes)
        return (mask * gk,)
    out = m if keepdims else np.squeeze(m, axis=axes)
    return _make(np.asarray(out), (a,), backward, "max")


# ----------------------------------------------------------------------------- shapes
def reshape(a, shape) -> Tensor:
    a = _t(a)
    old = a.shape
    return _make(a.data.reshape(shape), (a,), lambda g: (g.reshape(old),), "reshape")


def transpose(a, axes=None) -> Tensor:
    """Permute axes (reverse them when ``axes`` is None)."""
    a = _t(a)
    inv = None if axes is None else tuple(np.argsort(axes))
    return _make(a.data.transpose(axes), (a,), lambda g: (g.transpose(inv),), "transpose")


def _is_basic_index(idx):
    items = idx if isinstance(idx, tuple) else (idx,)
    return all(isinstance(i, (numbers.Integral, slice, type(None), type(Ellipsis))) and
               not isinstance(i, bool) for i in items)


def getitem(a, idx) -> Tensor:
    """Indexing and slicing (basic and fancy); repeated fancy indices accumulate gradients."""
    a = _t(a)
    if isinstance(idx, Tensor):
        idx = idx.data
    if isinstance(idx, tuple):
        idx = tuple(i.data if isinstance(i, Tensor) else i for i in idx)
    A = a.data
    basic = _is_basic_index(idx)

    def backward(g):
        out = np.zeros_like(A)
        if basic:
            out[idx] = g
        else:
            np.add.at(out, idx, g)
        return (out,)
    return _make(np.asarray(A[idx]), (a,), backward, "getitem")


def concat(tensors, axis=0) -> Tensor:
    """Join tensors along an existing axis."""
    ts = [_t(t) for t in tensors]
    if not ts:
        raise ValueError("concat: need at least one tensor")
    ax = axis % ts[0].ndim
    sizes = np.cumsum([t.shape[ax] for t in ts])[:-1]
    return _make(np.concatenate([t.data for t in ts], axis=ax), tuple(ts),
                 lambda g: tuple(np.split(g, sizes, axis=ax)), "concat")


def stack(tensors, axis=0) -> Tensor:
    """Join tensors along a new axis."""
    ts = [_t(t) for t in tensors]
    if not ts:
        raise ValueError("stack: need at least one tensor")
    out = np.stack([t.data for t in ts], axis=axis)
    ax = axis % out.ndim
    return _make(out, tuple(ts),
                 lambda g: tuple(np.take(g, i, axis=ax) for i in range(len(ts))), "stack")


def where(cond, a, b) -> Tensor:
    """Elementwise ``cond ? a : b`` (cond is a constant boolean array)."""
    a, b = _pair(a, b)
    c = np.asarray(cond.data if isinstance(cond, Tensor) else cond, dtype=bool)
    sa, sb = a.shape, b.shape
    return _make(np.where(c, a.data, b.data), (a, b),
                 lambda g: (_unbroadcast(np.where(c, g, 0), sa),
                            _unbroadcast(np.where(c, 0, g), sb)), "where")


# ----------------------------------------------------------------------------- elementwise
def exp(a) -> Tensor:
    a = _t(a)
    out = np.exp(a.data)
    return _make(out, (a,), lambda g: (_emul(g, out, "exp"),), "exp")


def log(a) -> Tensor:
    a = _t(a)
    A = a.data
    return _make(np.log(A), (a,), lambda g: (g / A,), "log")


def sqrt(a) -> Tensor:
    a = _t(a)
    out = np.sqrt(a.data)
    return _make(out, (a,), lambda g: (g / (2 * out),), "sqrt")


def sigmoid(a) -> Tensor:
    """σ(a) = 1 / (1 + exp(-a)), stable at ±1000; dσ = σ(1 - σ)."""
    a = _t(a)
    out = _sigmoid(a.data)
    return _make(out, (a,), lambda g: (_emul(_emul(g, out, "sigmoid"), 1 - out, "sigmoid"),),
                 "sigmoid")


def tanh(a) -> Tensor:
    """tanh(a); d tanh = 1 - tanh²."""
    a = _t(a)
    out = np.tanh(a.data)
    return _make(out, (a,), lambda g: (_emul(g, 1 - _emul(out, out, "tanh"), "tanh"),), "tanh")


def relu(a) -> Tensor:
    """max(a, 0); the gradient at 0 is 0 (as in PyTorch)."""
    a = _t(a)
    A = a.data
    return _make(np.maximum(A, 0), (a,), lambda g: (_emul(g, A > 0, "relu"),), "relu")


def leaky_relu(a, negative_slope: float = 0.01) -> Tensor:
    """a for a > 0, ``negative_slope * a`` otherwise."""
    a = _t(a)
    A = a.data
    s = np.asarray(negative_slope, dtype=A.dtype)
    pos = A > 0
    return _make(np.where(pos, A, _emul(A, s, "leaky_relu")), (a,),
                 lambda g: (np.where(pos, g, _emul(g, s, "leaky_relu")),), "leaky_relu")


def softplus(a) -> Tensor:
    """log(1 + exp(a)) computed stably; its derivative is σ(a)."""
    a = _t(a)
    A = a.data
    return _make(_softplus(A), (a,), lambda g: (_emul(g, _sigmoid(A), "softplus"),), "softplus")


def swish(a, beta=1.0) -> Tensor:
    """Swish a·σ(βa); ``beta`` may be a number or a (learnable) Tensor broadcastable to ``a``.

    VJP: d/da = s + βa·s(1 - s), d/dβ = a²·s(1 - s), with s = σ(βa).
    """
    a = _t(a)
    bt = beta if isinstance(beta, Tensor) else _lift(beta, a)
    A, B = a.data, bt.data
    s = _sigmoid(_emul(A, B, "swish"))

    def backward(g):
        ds = _emul(s, 1 - s, "swish")
        ga = _emul(g, s + _emul(_emul(B, A, "swish"), ds, "swish"), "swish") \
            if a.requires_grad else None
        gb = _unbroadcast(_emul(_emul(_emul(g, A, "swish"), A, "swish"), ds, "swish"), B.shape) \
            if bt.requires_grad else None
        return ga, gb
    return _make(_emul(A, s, "swish"), (a, bt), backward, "swish")



# ----------------------------------------------------------------------------- Tensor methods
def _reflected(op):
    """The reflected method of a binary op: ``other (op) self`` with ``other`` a constant."""
    def method(self, other):
        return op(_lift(other, self), self)
    method.__name__ = f"r{op.__name__}"
    method.__doc__ = f"Reflected :func:`{op.__name__}` (a constant on the left)."
    return method


def _reshape_method(self, *shape):
    """``t.reshape(2, 3)`` or ``t.reshape((2, 3))``: :func:`reshape`."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return reshape(self, shape)


def _transpose_method(self, *axes):
    """``t.transpose()``, ``t.transpose(1, 0)`` or ``t.transpose((1, 0))``: :func:`transpose`."""
    if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
        axes = tuple(axes[0])
    return transpose(self, axes or None)


# method name -> the op it calls (plain functions become methods; ``self`` is the first operand)
_TENSOR_METHODS = {
    "__add__": add, "__radd__": _reflected(add),
    "__sub__": sub, "__rsub__": _reflected(sub),
    "__mul__": mul, "__rmul__": _reflected(mul),
    "__truediv__": div, "__rtruediv__": _reflected(div),
    "__matmul__": matmul, "__rmatmul__": _reflected(matmul),
    "__neg__": neg,
    "__pow__": power,
    "__getitem__": getitem,
    "sum": sum_, "mean": mean, "max": max_,
    "reshape": _reshape_method, "transpose": _transpose_method,
    "T": property(lambda self: transpose(self, None), doc="The reversed-axes :func:`transpose`."),
    "exp": exp, "log": log, "sqrt": sqrt, "sigmoid": sigmoid, "tanh": tanh, "relu": relu,
    "astype": astype,
}

for _name, _op in _TENSOR_METHODS.items():
    setattr(Tensor, _name, _op)
del _name, _op
