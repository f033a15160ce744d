"""The tape of the reverse-mode gradient engine: grad mode, :class:`Tensor`, :class:`Parameter`
and :meth:`Tensor.backward`.

Every op computes its output with numpy and closes over its own vector-Jacobian product
(VJP): a function ``backward(g) -> (g_parent_0, g_parent_1, ...)`` that maps the gradient of
the loss with respect to the op's output to the gradients with respect to its inputs.
:meth:`Tensor.backward` sorts the computation DAG topologically (iteratively, so chains of
any length work) and runs the VJPs once each, in reverse order.

Layout of the engine
--------------------
* this module: grad mode, the helpers every op uses to record itself (``_make``, ``_lift``,
  ``_unbroadcast``, ``_t``, ``_pair``), :class:`Tensor`, :class:`Parameter`, the backward
  pass and :func:`to_networkx`. Of the engine it imports only :mod:`~energy.autodiff.counting`
  (the multiplication counter, whose backward phase the backward pass marks).
* :mod:`energy.autodiff.ops`: arithmetic, reductions, shape ops and elementwise activations.
  It imports this module and, in one table at its end, attaches Tensor's operator methods
  (``__add__``, ``.sum()``, ``.exp()``, ...) to :class:`Tensor`; importing the package
  :mod:`energy.autodiff` (which any import of this module does first) installs them.
* :mod:`energy.autodiff.losses`: log-softmax/softmax, the losses and dropout.
* :mod:`energy.autodiff.gradcheck`: finite-difference checks.

Conventions
-----------
* dtypes are kept: a float32 tensor gets float32 gradients. Python numbers and numpy
  constants combined with a tensor take the tensor's dtype (no silent float64 upcast).
* Broadcasting follows numpy; gradients are summed back ("un-broadcast") to each input's shape.
* Gradients accumulate in ``.grad`` of leaf tensors that require them (call ``zero_grad``).
* :class:`no_grad` switches recording off; :meth:`Tensor.detach` cuts a tensor from the tape.
* Fused ops with a hand-written backward (batch norm, convolution, an RBM free energy, an LSTM
  cell) are built with :meth:`Tensor.from_op`.
* Modified after use: backward through a tensor changed in place after an op used it is a
  ``RuntimeError``, not a gradient at the wrong value. Every tensor has a version, the time
  (one global counter) of its last in-place update by the library (the optimisers' steps,
  ``load_state_dict``, :meth:`Tensor.bump_version`); every recorded op notes the time it was
  made, and backward compares. That costs an int per op. A raw numpy edit of ``.data`` cannot
  bump anything (``.data`` is a plain array, for speed): for leaves that require grad and are
  not :class:`Parameter` (inputs whose gradient is wanted, e.g. in ``gradcheck``), each op
  also keeps a CRC-32 of their values, which backward compares; a raw edit of a Parameter's
  ``.data`` between forward and backward is, as for PyTorch's ``.data``, the caller's
  responsibility (call ``bump_version()`` after it to be warned).

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

import weakref
import zlib

import numpy as np

from .counting import _Active, _backward_phase

__all__ = ["Tensor", "Parameter", "no_grad", "enable_grad", "is_grad_enabled", "tensor",
           "to_networkx"]



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


# ----------------------------------------------------------------------------- versions
class _Clock:
    """The global version counter: in-place updates tick it, recorded ops note it. ``watched``
    counts the live non-Parameter leaves that require grad (0 in training: ops skip the
    CRC-32 then)."""
    now = 0
    watched = 0


def _unwatch():
    _Clock.watched -= 1


def _watch(t):
    if type(t) is Tensor and t._backward is None and not getattr(t, "_watching", False):
        t._watching = True
        _Clock.watched += 1
        weakref.finalize(t, _unwatch)


def _fingerprint(arr) -> int:
    return zlib.crc32(memoryview(np.ascontiguousarray(arr)).cast("B"))


def _watched(parents):
    """``((leaf, crc), ...)`` of the non-Parameter leaves requiring grad among ``parents``,
    or None (the common case: parameters and intermediate results only)."""
    out = None
    for q in parents:
        if q._backward is None and q.requires_grad and type(q) is Tensor:
            out = (out or ()) + ((q, _fingerprint(q.data)),)
    return out


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
    out._version = 0
    if _GradMode.enabled:
        for p in parents:
            if p.requires_grad:
                out.requires_grad = True
                out._parents = parents
                out._backward = backward
                out._stamp = _Clock.now
                out._seen = _watched(parents) if _Clock.watched else None
                return out
    out.requires_grad = False
    out._parents = ()
    out._backward = None
    return out


def _check_float(arr, what):
    if arr.dtype.kind != "f":
        raise TypeError(f"{what}: only floating-point tensors can require gradients, got {arr.dtype}")



def _t(x) -> "Tensor":
    """``x`` as a Tensor (a constant leaf when it is not one)."""
    return x if isinstance(x, Tensor) else Tensor(x)


def _pair(a, b):
    """Both operands of a binary op as Tensors, a constant taking the other's float dtype."""
    if isinstance(a, Tensor):
        return a, _lift(b, a)
    if isinstance(b, Tensor):
        return _lift(a, b), b
    return Tensor(a), Tensor(b)

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

    Notes
    -----
    The operator methods (``+``, ``@``, ``[]``, ``.sum()``, ``.reshape()``, ``.exp()``, ...)
    are the functions of :mod:`energy.autodiff.ops`, attached to this class by the table at
    the end of that module.
    """

    __slots__ = ("data", "grad", "requires_grad", "_parents", "_backward", "op", "_retain",
                 "_version", "_stamp", "_seen", "_watching", "__weakref__")
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
        self._version = 0
        if requires_grad:
            _watch(self)

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
            _watch(self)
        self.requires_grad = flag
        return self

    def retain_grad(self) -> "Tensor":
        """Also store ``.grad`` on this non-leaf tensor during backward."""
        self._retain = True
        return self

    def zero_grad(self):
        self.grad = None

    @property
    def version(self) -> int:
        """The time (global counter) of the last in-place update; see the module notes."""
        return self._version

    def bump_version(self) -> "Tensor":
        """Declare that ``.data`` was changed in place: backward through an op that used the
        old values then raises instead of giving a gradient at the wrong point.

        Examples
        --------
        >>> w = Parameter(np.array([2.0]))
        >>> y = w * w
        >>> w.data[...] = 10            # the optimisers and load_state_dict bump by themselves
        >>> _ = w.bump_version()
        >>> y.sum().backward()
        Traceback (most recent call last):
            ...
        RuntimeError: backward: an input of op 'mul' (a leaf of shape (1,)) was modified in place after the op used it; recompute the forward pass after changing it
        """
        _Clock.now += 1
        self._version = _Clock.now
        return self

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
        if _Active.counter is None:     # the usual case: no multiplication counter to tell
            self._run_backward(order, g)
        else:
            with _backward_phase():
                self._run_backward(order, g)

    def _run_backward(self, order, g):
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
            if node._stamp != _Clock.now:      # something was updated since the op ran
                for p in node._parents:
                    if p._version > node._stamp:
                        _modified(node, p)
            if node._seen is not None:
                for q, crc in node._seen:
                    if _fingerprint(q.data) != crc:
                        _modified(node, q)
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


def _modified(node, p):
    kind = "a leaf" if p._backward is None else f"the output of op {p.op!r}"
    raise RuntimeError(f"backward: an input of op {node.op!r} ({kind} of shape {p.shape}) was "
                       f"modified in place after the op used it; recompute the forward pass "
                       f"after changing it")


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


# ----------------------------------------------------------------------------- graphs
def to_networkx(output: Tensor):
    """The computation DAG that produced ``output`` as a :class:`networkx.DiGraph`.

    Nodes are ``id(tensor)`` with attributes ``op``, ``shape`` and ``dtype``; edges go from
    inputs to outputs.
    """
    # networkx is a heavy optional dependency: imported only when a graph is asked for
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
