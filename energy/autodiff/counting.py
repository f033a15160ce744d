"""Counting the scalar multiplications the engine performs: :class:`count_multiplications`.

Inside ``with count_multiplications() as c:`` every op that multiplies adds the number of
scalar multiplications it actually executes to ``c.forward`` (while computing its output) or
``c.backward`` (inside its vector-Jacobian product), and to ``c.by_op[op name]``. The ops count
at the point where they multiply, from the shapes of the arrays they multiply (helpers
:func:`mm` and :func:`emul`), so the count is what the code does, not a formula of the model.

What counts as one multiplication: one scalar product ``a·b`` of a matrix product (``m·k·n``
for an (m×k)@(k×n) product) or of an elementwise product (one per output element). Additions,
divisions, exponentials and comparisons are not counted. Ops that are not instrumented
(divisions, reductions, exp/log, losses) add nothing. When no counter is active an op pays
one attribute test.

Examples
--------
>>> import numpy as np
>>> from energy.autodiff import Tensor, matmul, sigmoid
>>> x = Tensor(np.ones((1, 3)), requires_grad=True)
>>> W = Tensor(np.ones((3, 2)), requires_grad=True)
>>> with count_multiplications() as c:
...     sigmoid(matmul(x, W)).sum().backward()
>>> c.forward, c.backward           # x@W: 6;  backward: dσ 2·2, dx 6, dW 6
(6, 16)
"""

from __future__ import annotations

import numpy as np

__all__ = ["count_multiplications", "record_multiplications", "mm", "emul"]


class _Active:
    counter = None          # the innermost active count_multiplications, or None
    phase = "forward"


class count_multiplications:
    """Context manager counting the scalar multiplications of forward and backward passes.

    Attributes
    ----------
    forward, backward : int
        Multiplications done while computing op outputs, and inside backward passes.
    by_op : dict
        ``{(op, phase): count}``.
    """

    def __init__(self):
        self.forward = 0
        self.backward = 0
        self.by_op = {}

    def __enter__(self):
        self._prev = _Active.counter
        _Active.counter = self
        return self

    def __exit__(self, *exc):
        _Active.counter = self._prev
        return False

    @property
    def total(self) -> int:
        return self.forward + self.backward

    def _add(self, n, op):
        phase = _Active.phase
        if phase == "backward":
            self.backward += n
        else:
            self.forward += n
        key = (op, phase)
        self.by_op[key] = self.by_op.get(key, 0) + n


def counting() -> bool:
    """True while a :class:`count_multiplications` block is active."""
    return _Active.counter is not None


def record_multiplications(n: int, op: str = "custom"):
    """Add ``n`` multiplications to the active counter (nothing when none is active)."""
    c = _Active.counter
    if c is not None:
        c._add(int(n), op)


class _backward_phase:
    """Marks the multiplications recorded inside it as backward ones (used by backward())."""

    def __enter__(self):
        self._prev = _Active.phase
        _Active.phase = "backward"

    def __exit__(self, *exc):
        _Active.phase = self._prev
        return False


def mm(a: np.ndarray, b: np.ndarray, op: str = "matmul") -> np.ndarray:
    """``a @ b``, counting prod(out.shape)·k multiplications (k the contracted length)."""
    out = a @ b
    c = _Active.counter
    if c is not None:
        k = a.shape[-1] if a.ndim else 1
        c._add(int(out.size) * int(k), op)
    return out


def emul(a, b, op: str = "mul"):
    """``a * b`` (numpy broadcasting), counting one multiplication per output element."""
    out = a * b
    c = _Active.counter
    if c is not None:
        c._add(int(np.size(out)), op)
    return out
