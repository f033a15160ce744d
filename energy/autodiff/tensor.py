"""The one reverse-mode gradient engine: a :class:`Tensor` on numpy arrays and a tape.

Every op computes its output with numpy and closes over its own vector-Jacobian product
(VJP): a function ``backward(g) -> (g_parent_0, g_parent_1, ...)`` that maps the gradient of
the loss with respect to the op's output to the gradients with respect to its inputs.
:meth:`Tensor.backward` sorts the computation DAG topologically (iteratively, so chains of
any length work) and runs the VJPs once each, in reverse order.

Conventions
-----------
* dtypes are kept: a float32 tensor gets float32 gradients. Python numbers and numpy
  constants combined with a tensor take the tensor's dtype (no silent float64 upcast).
* Broadcasting follows numpy; gradients are summed back ("un-broadcast") to each input's shape.
* Gradients accumulate in ``.grad`` of leaf tensors that require them (call ``zero_grad``).
* :class:`no_grad` switches recording off; :meth:`Tensor.detach` cuts a tensor from the tape.
* Fused ops with a hand-written backward (batch norm, convolution, an RBM free energy, an LSTM
  cell) are built with :meth:`Tensor.from_op`.

Examples
--------
>>> import numpy as np
>>> from energy.autodiff import Tensor
>>> w = Tensor(np.array([1.0, -2.0]), requires_grad=True)
>>> loss = (w * w).sum()
>>> loss.backward()
>>> w.grad
array([ 2., -4.])
"""

from __future__ import annotations

import numbers

import numpy as np

from pgm.runtime import check_rng
from pgm.runtime.numerics import sigmoid as _sigmoid, softplus as _softplus

__all__ = [
    "Tensor", "Parameter", "no_grad", "enable_grad", "is_grad_enabled", "tensor",
    "add", "sub", "mul", "div", "neg", "matmul", "exp", "log", "sqrt", "sigmoid", "tanh",
    "relu", "leaky_relu", "swish", "softplus", "log_softmax", "softmax", "cross_entropy",
    "mse_loss", "binary_cross_entropy_with_logits", "dropout", "concat", "stack", "where",
    "to_networkx",
]


# ----------------------------------------------------------------------------- grad mode
class _GradMode:
    enabled = True


def is_grad_enabled() -> bool:
    """True when ops record themselves on the tape."""
    return _GradMode.enabled


class no_grad:
    """Context manager (and decorator) under which ops are not recorded.

    Examples
    --------
    >>> with no_grad():
    ...     y = Tensor([1.0], requires_grad=True) * 2
    >>> y.requires_grad
    False
    """

    def __enter__(self):
        self._prev = _GradMode.enabled
        _GradMode.enabled = False
        return self

    def __exit__(self, *exc):
        _GradMode.enabled = self._prev
        return False

    def __call__(self, fn):
        def wrapper(*args, **kwargs):
            with self.__class__():
                return fn(*args, **kwargs)
        wrapper.__name__ = getattr(fn, "__name__", "wrapper")
        wrapper.__doc__ = getattr(fn, "__doc__", None)
        return wrapper


class enable_grad(no_grad):
    """Context manager that switches recording back on inside a :class:`no_grad` block."""

    def __enter__(self):
        self._prev = _GradMode.enabled
        _GradMode.enabled = True
        return self


# ----------------------------------------------------------------------------- helpers
def _unbroadcast(g: np.ndarray, shape: tuple) -> np.ndarray:
    """Sum ``g`` over the axes that broadcasting added or stretched, back to ``shape``."""
    if g.shape == shape:
        return g
    nd = g.ndim - len(shape)
    if nd > 0:
        g = g.sum(axis=tuple(range(nd)))
    axes = tuple(i for i, s in enumerate(shape) if s == 1 and g.shape[i] != 1)
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    return g.reshape(shape)


def _lift(x, like: "Tensor") -> "Tensor":
    """Turn a constant into a Tensor; numbers and float arrays take ``like``'s float dtype."""
    if isinstance(x, Tensor):
        return x
    arr = np.asarray(x)
    if like.data.dtype.kind == "f" and arr.dtype != like.data.dtype and arr.dtype.kind in "biuf":
        arr = arr.astype(like.data.dtype)
    return Tensor(arr)


def _make(data, parents: tuple, backward, op: str) -> "Tensor":
    out = Tensor.__new__(Tensor)
    out.data = data if type(data) is np.ndarray else np.asarray(data)
    out.grad = None
    out.op = op
    out._retain = False
    if _GradMode.enabled:
        for p in parents:
            if p.requires_grad:
                out.requires_grad = True
                out._parents = parents
                out._backward = backward
                return out
    out.requires_grad = False
    out._parents = ()
    out._backward = None
    return out


def _check_float(arr, what):
    if arr.dtype.kind != "f":
        raise TypeError(f"{what}: only floating-point tensors can require gradients, got {arr.dtype}")


# ----------------------------------------------------------------------------- Tensor
class Tensor:
    """A numpy array that remembers the op that made it, and its gradient.

    Parameters
    ----------
    data : array_like
        The value; kept as a numpy array (its dtype is kept unless ``dtype`` is given).
    requires_grad : bool, default False
        Whether gradients with respect to this tensor are wanted (floating dtypes only).
    dtype : numpy dtype, optional

    Attributes
    ----------
    data : ndarray
    grad : ndarray of the same shape and dtype, or None
        Filled (accumulated) by :meth:`backward` for leaf tensors that require grad.
    """

    __slots__ = ("data", "grad", "requires_grad", "_parents", "_backward", "op", "_retain",
                 "__weakref__")
    __array_priority__ = 1000.0  # ndarray (op) Tensor -> Tensor's reflected op

    def __init__(self, data, requires_grad: bool = False, dtype=None):
        if isinstance(data, Tensor):
            data = data.data
        arr = np.asarray(data, dtype=dtype)
        if requires_grad:
            _check_float(arr, "Tensor")
        self.data = arr
        self.grad = None
        self.requires_grad = bool(requires_grad)
        self._parents = ()
        self._backward = None
        self.op = ""
        self._retain = False

    @staticmethod
    def from_op(data, parents, backward, op: str = "custom") -> "Tensor":
        """Build the output of a custom (fused) op.

        Parameters
        ----------
        data : ndarray
            The op's output.
        parents : sequence of Tensor
            The op's differentiable inputs.
        backward : callable
            ``backward(g)`` gets the output gradient (same shape as ``data``) and returns one
            gradient per parent (an array of the parent's shape, or None for no gradient).
        op : str
            A name shown in :func:`to_networkx` and error messages.

        Examples
        --------
        >>> def square(x):
        ...     return Tensor.from_op(x.data ** 2, (x,), lambda g: (2 * x.data * g,), "square")
        >>> x = Tensor(np.array([3.0]), requires_grad=True)
        >>> square(x).sum().backward(); x.grad
        array([6.])
        """
        return _make(np.asarray(data), tuple(parents), backward, op)

    # -- basic facts
    @property
    def shape(self):
        return self.data.shape

    @property
    def ndim(self):
        return self.data.ndim

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def size(self):
        return self.data.size

    @property
    def is_leaf(self):
        return self._backward is None

    def __len__(self):
        return len(self.data)

    def __repr__(self):
        extra = f", op={self.op!r}" if self.op else (", requires_grad=True" if self.requires_grad else "")
        return f"Tensor({np.array2string(self.data, precision=4, threshold=20)}, dtype={self.dtype}{extra})"

    def numpy(self) -> np.ndarray:
        """The underlying array (not a copy)."""
        return self.data

    def item(self) -> float:
        return self.data.item()

    def detach(self) -> "Tensor":
        """A new leaf tensor sharing the data, cut from the tape (no gradient flows through)."""
        return Tensor(self.data)

    def requires_grad_(self, flag: bool = True) -> "Tensor":
        if flag:
            _check_float(self.data, "requires_grad_")
        self.requires_grad = flag
        return self

    def retain_grad(self) -> "Tensor":
        """Also store ``.grad`` on this non-leaf tensor during backward."""
        self._retain = True
        return self

    def zero_grad(self):
        self.grad = None

    # -- the backward pass
    def backward(self, grad=None):
        """Accumulate d(self)/d(leaf) into ``leaf.grad`` for every leaf that requires grad.

        Parameters
        ----------
        grad : array_like of shape ``self.shape``, optional
            The gradient of some scalar with respect to ``self``. Required unless ``self``
            holds a single element (then it is 1).
        """
        if not self.requires_grad:
            raise RuntimeError("backward: this tensor does not require grad (no input that "
                               "requires grad was used to compute it, or it was made under no_grad)")
        if grad is None:
            if self.data.size != 1:
                raise RuntimeError(
                    f"backward: the output has shape {self.shape}; backward() without a "
                    f"gradient is only defined for a single-element output; pass "
                    f"grad= of shape {self.shape}")
            g = np.ones_like(self.data)
        else:
            g = np.asarray(grad.data if isinstance(grad, Tensor) else grad)
            if g.shape != self.shape:
                raise ValueError(f"backward: grad must have the output's shape {self.shape}, "
                                 f"got {g.shape}")
            g = g.astype(self.data.dtype, copy=False)

        # iterative depth-first topological sort (no recursion: any depth works)
        order = []
        seen = {id(self)}
        stack = [(self, iter(self._parents))]
        while stack:
            node, parents = stack[-1]
            for p in parents:
                if p.requires_grad and id(p) not in seen:
                    seen.add(id(p))
                    stack.append((p, iter(p._parents)))
                    break
            else:                       # all inputs placed: the node comes after them
                stack.pop()
                order.append(node)

        # one reversed loop: each op's VJP maps its output gradient to its inputs' gradients
        grads = {id(self): g}
        for node in reversed(order):
            g = grads.pop(id(node), None)
            if g is None:
                continue
            backward = node._backward
            if backward is None or node._retain:
                node.grad = np.array(g, copy=True) if node.grad is None else node.grad + g
                if backward is None:
                    continue
            for p, pg in zip(node._parents, backward(g)):
                if pg is None or not p.requires_grad:
                    continue
                if pg.shape != p.data.shape:
                    raise RuntimeError(f"backward of op {node.op!r} returned a gradient of shape "
                                       f"{pg.shape} for an input of shape {p.data.shape}")
                if pg.dtype != p.data.dtype:
                    pg = pg.astype(p.data.dtype)
                k = id(p)
                if k in grads:
                    grads[k] = grads[k] + pg
                else:
                    grads[k] = pg

    # -- arithmetic
    def __add__(self, other):
        return add(self, other)

    def __radd__(self, other):
        return add(_lift(other, self), self)

    def __sub__(self, other):
        return sub(self, other)

    def __rsub__(self, other):
        return sub(_lift(other, self), self)

    def __mul__(self, other):
        return mul(self, other)

    def __rmul__(self, other):
        return mul(_lift(other, self), self)

    def __truediv__(self, other):
        return div(self, other)

    def __rtruediv__(self, other):
        return div(_lift(other, self), self)

    def __neg__(self):
        return neg(self)

    def __pow__(self, p):
        return power(self, p)

    def __matmul__(self, other):
        return matmul(self, other)

    def __rmatmul__(self, other):
        return matmul(_lift(other, self), self)

    def __getitem__(self, idx):
        return getitem(self, idx)

    # -- methods mirroring the functions below
    def sum(self, axis=None, keepdims=False):
        return sum_(self, axis, keepdims)

    def mean(self, axis=None, keepdims=False):
        return mean(self, axis, keepdims)

    def max(self, axis=None, keepdims=False):
        return max_(self, axis, keepdims)

    def reshape(self, *shape):
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return reshape(self, shape)

    def transpose(self, *axes):
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        return transpose(self, axes or None)

    @property
    def T(self):
        return transpose(self, None)

    def exp(self):
        return exp(self)

    def log(self):
        return log(self)

    def sqrt(self):
        return sqrt(self)

    def sigmoid(self):
        return sigmoid(self)

    def tanh(self):
        return tanh(self)

    def relu(self):
        return relu(self)

    def astype(self, dtype):
        return astype(self, dtype)


class Parameter(Tensor):
    """A leaf tensor that a model learns (``requires_grad=True``); modules find it by attribute.

    Examples
    --------
    >>> p = Parameter(np.zeros((2, 3), np.float32))
    >>> p.requires_grad, p.dtype
    (True, dtype('float32'))
    """

    __slots__ = ()

    def __init__(self, data, dtype=None):
        super().__init__(data, requires_grad=True, dtype=dtype)

    def __repr__(self):
        return f"Parameter(shape={self.shape}, dtype={self.dtype})"


def tensor(data, requires_grad=False, dtype=None) -> Tensor:
    """Shorthand for :class:`Tensor`."""
    return Tensor(data, requires_grad=requires_grad, dtype=dtype)


def _t(x) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def _pair(a, b):
    if isinstance(a, Tensor):
        return a, _lift(b, a)
    if isinstance(b, Tensor):
        return _lift(a, b), b
    return Tensor(a), Tensor(b)


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
        return (_unbroadcast(g * B, A.shape) if a.requires_grad else None,
                _unbroadcast(g * A, B.shape) if b.requires_grad else None)
    return _make(A * B, (a, b), backward, "mul")


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
        ga = _unbroadcast(g @ np.swapaxes(B, -1, -2), A.shape) if a.requires_grad else None
        gb = _unbroadcast(np.swapaxes(A, -1, -2) @ g, B.shape) if b.requires_grad else None
        return ga, gb
    return _make(A @ B, (a, b), backward, "matmul")


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
    return _make(out, (a,), lambda g: (g * out,), "exp")


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
    return _make(out, (a,), lambda g: (g * out * (1 - out),), "sigmoid")


def tanh(a) -> Tensor:
    """tanh(a); d tanh = 1 - tanh²."""
    a = _t(a)
    out = np.tanh(a.data)
    return _make(out, (a,), lambda g: (g * (1 - out * out),), "tanh")


def relu(a) -> Tensor:
    """max(a, 0); the gradient at 0 is 0 (as in PyTorch)."""
    a = _t(a)
    A = a.data
    return _make(np.maximum(A, 0), (a,), lambda g: (g * (A > 0),), "relu")


def leaky_relu(a, negative_slope: float = 0.01) -> Tensor:
    """a for a > 0, ``negative_slope * a`` otherwise."""
    a = _t(a)
    A = a.data
    s = np.asarray(negative_slope, dtype=A.dtype)
    pos = A > 0
    return _make(np.where(pos, A, A * s), (a,), lambda g: (np.where(pos, g, g * s),), "leaky_relu")


def softplus(a) -> Tensor:
    """log(1 + exp(a)) computed stably; its derivative is σ(a)."""
    a = _t(a)
    A = a.data
    return _make(_softplus(A), (a,), lambda g: (g * _sigmoid(A),), "softplus")


def swish(a, beta=1.0) -> Tensor:
    """Swish a·σ(βa); ``beta`` may be a number or a (learnable) Tensor broadcastable to ``a``.

    VJP: d/da = s + βa·s(1 - s), d/dβ = a²·s(1 - s), with s = σ(βa).
    """
    a = _t(a)
    bt = beta if isinstance(beta, Tensor) else _lift(beta, a)
    A, B = a.data, bt.data
    s = _sigmoid(A * B)

    def backward(g):
        ds = s * (1 - s)
        ga = g * (s + B * A * ds) if a.requires_grad else None
        gb = _unbroadcast(g * A * A * ds, B.shape) if bt.requires_grad else None
        return ga, gb
    return _make(A * s, (a, bt), backward, "swish")


def _log_softmax(x, axis):
    z = x - x.max(axis=axis, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=axis, keepdims=True))


def log_softmax(a, axis=-1) -> Tensor:
    """log softmax along ``axis`` by log-sum-exp; VJP g - softmax · Σg."""
    a = _t(a)
    out = _log_softmax(a.data, axis)

    def backward(g):
        return (g - np.exp(out) * g.sum(axis=axis, keepdims=True),)
    return _make(out, (a,), backward, "log_softmax")


def softmax(a, axis=-1) -> Tensor:
    """softmax along ``axis``; VJP through the Jacobian δ_ij z_j - z_i z_j: z ⊙ (g - Σ g z)."""
    a = _t(a)
    out = np.exp(_log_softmax(a.data, axis))

    def backward(g):
        return (out * (g - (g * out).sum(axis=axis, keepdims=True)),)
    return _make(out, (a,), backward, "softmax")


def _check_reduction(reduction, name):
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{name}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def cross_entropy(logits, target, reduction: str = "mean") -> Tensor:
    """Softmax cross-entropy fused with log-softmax (stable for any logit size).

    Parameters
    ----------
    logits : Tensor of shape (n_samples, n_classes)
    target : ndarray of shape (n_samples,) with int class indices in [0, n_classes), or of
        shape (n_samples, n_classes) with class probabilities.
    reduction : {'mean', 'sum', 'none'}

    The VJP is ``softmax(logits) - onehot(target)`` (times the incoming gradient), the
    derivative of -log z_y through the softmax Jacobian.

    Examples
    --------
    >>> logits = Tensor(np.array([[1000.0, 0.0]]), requires_grad=True)
    >>> float(cross_entropy(logits, np.array([1])).data)
    1000.0
    """
    logits = _t(logits)
    t = np.asarray(target.data if isinstance(target, Tensor) else target)
    if logits.ndim != 2:
        raise ValueError(f"cross_entropy: logits must have shape (n_samples, n_classes), "
                         f"got {logits.shape}")
    n, c = logits.shape
    L = _log_softmax(logits.data, 1)
    if t.dtype.kind in "iu":
        if t.shape != (n,):
            raise ValueError(f"cross_entropy: integer targets must have shape ({n},) to match "
                             f"logits {logits.shape}, got {t.shape}")
        rows = np.arange(n)
        try:
            if n and t.min() < 0:
                raise IndexError
            per = -L[rows, t]           # an index >= n_classes raises IndexError here
        except IndexError:
            raise ValueError(f"cross_entropy: class indices must lie in [0, {c}), got values "
                             f"in [{t.min()}, {t.max()}]") from None

        def dlogits():
            d = np.exp(L)
            d[rows, t] -= 1
            return d
    elif t.dtype.kind == "f":
        if t.shape != (n, c):
            raise ValueError(f"cross_entropy: probability targets must have the logits' shape "
                             f"{logits.shape}, got {t.shape}")
        t = t.astype(L.dtype, copy=False)
        per = -(t * L).sum(axis=1)

        def dlogits():
            return np.exp(L) * t.sum(axis=1, keepdims=True) - t
    else:
        raise TypeError(f"cross_entropy: target must hold int class indices or float "
                        f"probabilities, got dtype {t.dtype}")
    _check_reduction(reduction, "cross_entropy")
    if reduction == "none":
        return _make(per, (logits,), lambda g: (dlogits() * g[:, None],), "cross_entropy")
    scale = 1.0 / n if reduction == "mean" else 1.0
    out = np.asarray(per.sum() * scale, dtype=L.dtype)
    return _make(out, (logits,), lambda g: (dlogits() * (g * scale),), "cross_entropy")


def mse_loss(pred, target, reduction: str = "mean") -> Tensor:
    """Mean squared error (pred - target)²; target may be a Tensor or an array of the same shape."""
    pred = _t(pred)
    target = _lift(target, pred)
    if pred.shape != target.shape:
        raise ValueError(f"mse_loss: pred and target must have the same shape, got {pred.shape} "
                         f"and {target.shape}")
    _check_reduction(reduction, "mse_loss")
    d = pred.data - target.data
    if reduction == "none":
        return _make(d * d, (pred, target), lambda g: (2 * d * g, -2 * d * g), "mse_loss")
    scale = 2.0 / d.size if reduction == "mean" else 2.0
    out = np.asarray((d * d).sum() * (scale / 2), dtype=d.dtype)
    return _make(out, (pred, target), lambda g: (d * (g * scale), d * (-g * scale)), "mse_loss")


def binary_cross_entropy_with_logits(logits, target, reduction: str = "mean") -> Tensor:
    """Binary cross-entropy on logits x: softplus(x) - t·x, stable; VJP σ(x) - t.

    Parameters
    ----------
    logits : Tensor of any shape
    target : array of the same shape with values in [0, 1]
    """
    logits = _t(logits)
    t = np.asarray(target.data if isinstance(target, Tensor) else target)
    if t.shape != logits.shape:
        raise ValueError(f"binary_cross_entropy_with_logits: target must have the logits' shape "
                         f"{logits.shape}, got {t.shape}")
    X = logits.data
    t = t.astype(X.dtype, copy=False)
    _check_reduction(reduction, "binary_cross_entropy_with_logits")
    per = _softplus(X) - t * X
    if reduction == "none":
        return _make(per, (logits,), lambda g: ((_sigmoid(X) - t) * g,), "bce_with_logits")
    scale = 1.0 / per.size if reduction == "mean" else 1.0
    out = np.asarray(per.sum() * scale, dtype=X.dtype)
    return _make(out, (logits,), lambda g: ((_sigmoid(X) - t) * (g * scale),), "bce_with_logits")


def dropout(a, p: float = 0.5, training: bool = True, rng=None) -> Tensor:
    """Inverted dropout: zero each entry with probability ``p``, scale the rest by 1/(1-p).

    ``rng`` is None, an int seed or a numpy Generator (see :func:`pgm.runtime.checks.check_rng`).
    In evaluation (``training=False``) or with p = 0 it is the identity.
    """
    a = _t(a)
    if not 0 <= p < 1:
        raise ValueError(f"dropout: p must be in [0, 1), got {p}")
    if not training or p == 0:
        return a
    gen = check_rng(rng)
    mask = (gen.random(a.shape, dtype=np.float64 if a.dtype != np.float32 else np.float32) >= p)
    mask = mask.astype(a.dtype) * np.asarray(1.0 / (1.0 - p), dtype=a.dtype)
    return _make(a.data * mask, (a,), lambda g: (g * mask,), "dropout")


# ----------------------------------------------------------------------------- graphs
def to_networkx(output: Tensor):
    """The computation DAG that produced ``output`` as a :class:`networkx.DiGraph`.

    Nodes are ``id(tensor)`` with attributes ``op``, ``shape`` and ``dtype``; edges go from
    inputs to outputs.
    """
    import networkx as nx
    G = nx.DiGraph()
    stack, seen = [output], set()
    while stack:
        t = stack.pop()
        if id(t) in seen:
            continue
        seen.add(id(t))
        G.add_node(id(t), op=t.op or ("parameter" if isinstance(t, Parameter) else "leaf"),
                   shape=t.shape, dtype=str(t.dtype))
        for p in t._parents:
            G.add_edge(id(p), id(t))
            stack.append(p)
    return G
