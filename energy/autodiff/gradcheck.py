"""Finite-difference checking of the engine's gradients.

:func:`gradcheck` compares the gradients that :meth:`Tensor.backward` computes with central
finite differences ``(f(x + ε e_i) - f(x - ε e_i)) / 2ε`` in float64, entry by entry, and
reports the worst entry (which input, which index, both values).

Examples
--------
>>> import numpy as np
>>> from energy.autodiff import tanh
>>> gradcheck(lambda x: tanh(x).sum(), [np.linspace(-2, 2, 5)]).passed
True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .tensor import Tensor, no_grad

__all__ = ["gradcheck", "GradcheckResult"]


@dataclass
class GradcheckResult:
    """Outcome of :func:`gradcheck`.

    Attributes
    ----------
    passed : bool
    max_abs_err : float
        Largest |analytic - numeric| over all entries of all inputs.
    max_rel_err : float
        Largest |analytic - numeric| / max(|numeric|, 1e-8) (over the entries that count).
    worst_input : int
        Index of the input holding the worst entry (the one furthest beyond the tolerance).
    worst_index : tuple
        Its index inside that input.
    analytic, numeric : float
        The two values at the worst entry.
    """

    passed: bool
    max_abs_err: float
    max_rel_err: float
    worst_input: int
    worst_index: tuple
    analytic: float
    numeric: float

    def __str__(self):
        return (f"gradcheck {'passed' if self.passed else 'FAILED'}: worst entry is input "
                f"{self.worst_input} at index {self.worst_index}: analytic {self.analytic:.10g}, "
                f"numeric {self.numeric:.10g} (max abs err {self.max_abs_err:.3g}, "
                f"max rel err {self.max_rel_err:.3g})")


def gradcheck(f, inputs, *, eps: float = 1e-6, atol: float = 1e-6, rtol: float = 1e-4,
              raise_exception: bool = False, seed: int = 0) -> GradcheckResult:
    """Check the gradients of ``f`` at ``inputs`` against central finite differences.

    Parameters
    ----------
    f : callable
        ``f(*tensors) -> Tensor``. A non-scalar output is reduced to the scalar
        ``sum(out * w)`` with a fixed random ``w`` (so every output entry is checked).
        ``f`` must be deterministic (seed any dropout inside it).
    inputs : sequence of array_like or Tensor
        Arrays become new float64 leaf tensors. A Tensor that already requires grad (a
        module's Parameter, say) is used as is and perturbed in place — it must be float64.
    eps : float
        Finite-difference step.
    atol, rtol : float
        An entry fails when ``|analytic - numeric| > atol + rtol * |numeric|``.
    raise_exception : bool
        Raise ``AssertionError`` with the report when the check fails.
    seed : int
        Seed of the projection ``w`` for non-scalar outputs.

    Returns
    -------
    GradcheckResult
    """
    xs = []
    for i, x in enumerate(inputs):
        if isinstance(x, Tensor) and x.requires_grad:
            if x.dtype != np.float64:
                raise TypeError(f"gradcheck: input {i} must be float64 for finite differences, "
                                f"got {x.dtype} (convert the module with .double())")
            if not x.is_leaf:
                raise ValueError(f"gradcheck: input {i} must be a leaf tensor")
            xs.append(x)
        else:
            arr = x.data if isinstance(x, Tensor) else x
            xs.append(Tensor(np.array(arr, dtype=np.float64), requires_grad=True))

    out = f(*xs)
    if not isinstance(out, Tensor):
        raise TypeError(f"gradcheck: f must return a Tensor, got {type(out).__name__}")
    w = None
    if out.size != 1:
        w = np.random.default_rng(seed).standard_normal(out.shape)

    def scalar(o):
        return float(o.data.sum()) if w is None else float((o.data * w).sum())

    saved = [x.grad for x in xs]
    for x in xs:
        x.grad = None
    if w is None:
        out.backward()
    else:
        out.backward(w)
    analytic = [np.zeros(x.shape) if x.grad is None else np.array(x.grad, dtype=np.float64)
                for x in xs]
    for x, g in zip(xs, saved):
        x.grad = g

    best = (-np.inf, 0, (), 0.0, 0.0)
    max_abs = max_rel = 0.0
    with no_grad():
        for k, x in enumerate(xs):
            flat = x.data.reshape(-1)
            num = np.empty(flat.size)
            for i in range(flat.size):
                old = flat[i]
                flat[i] = old + eps
                fp = scalar(f(*xs))
                flat[i] = old - eps
                fm = scalar(f(*xs))
                flat[i] = old
                num[i] = (fp - fm) / (2 * eps)
            a = analytic[k].reshape(-1)
            err = np.abs(a - num)
            if err.size:
                max_abs = max(max_abs, float(err.max()))
                max_rel = max(max_rel, float((err / np.maximum(np.abs(num), 1e-8)).max()))
                excess = err - (atol + rtol * np.abs(num))
                j = int(np.argmax(excess))
                if excess[j] > best[0]:
                    best = (float(excess[j]), k, np.unravel_index(j, x.shape), float(a[j]),
                            float(num[j]))
    res = GradcheckResult(passed=bool(best[0] <= 0), max_abs_err=max_abs, max_rel_err=max_rel,
                          worst_input=best[1], worst_index=tuple(int(v) for v in best[2]),
                          analytic=best[3], numeric=best[4])
    if raise_exception and not res.passed:
        raise AssertionError(str(res))
    return res
