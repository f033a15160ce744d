"""The library's one set of numerics: stable sigmoid and softplus on numpy arrays, and the
vectorisable exp, sigmoid and tanh that the numba kernels (Ising, RBM, recurrent) call.

numpy (any caller): :func:`sigmoid` and :func:`softplus` never evaluate exp of a positive
number and keep the input's float dtype.

numba (from inside ``@njit`` code only): :func:`fast_sigmoid`, :func:`fast_tanh`,
:func:`exp_neg32`, :func:`exp_neg64`; :data:`FASTMATH` / :data:`FAST_JIT` are the options the
kernels that call them compile with.

numba's ``math.exp`` / ``math.tanh`` are scalar libm calls (about 10–20 ns each), which cost
as much as the matrix products around them; these are branch-free, so LLVM vectorises the
loops that call them, and they work in the arrays' own precision (float32 runs twice the
lanes). Call ``fast_sigmoid(x)`` / ``fast_tanh(x)`` / ``exp_neg64(a)`` from inside ``@njit`` code only.
The tests of the kernels that use them compare with numpy to the stated accuracy.
The numba part lives in :mod:`pgm.runtime.jit_math` (loaded on first use, so that importing
the numpy part does not import numba) and is read through this module's names.
"""

from __future__ import annotations

import numpy as np

from .jit import lazy_module

__all__ = ["sigmoid", "softplus", "logsumexp", "fast_sigmoid", "fast_tanh", "exp_neg32", "exp_neg64",
           "FASTMATH", "FAST_JIT"]


def sigmoid(x: np.ndarray) -> np.ndarray:
    """Stable logistic function 1 / (1 + exp(-x)) on an array, in the array's float dtype
    (never evaluates exp of a positive number).

    >>> sigmoid(np.array([-1000.0, 0.0, 1000.0]))
    array([0. , 0.5, 1. ])
    """
    x = np.asarray(x)
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)


def softplus(x: np.ndarray) -> np.ndarray:
    """Stable ``log(1 + exp(x)) = max(x, 0) + log1p(exp(-|x|))``.

    >>> softplus(np.array([-1000.0, 0.0, 1000.0])).round(4).tolist()
    [0.0, 0.6931, 1000.0]
    """
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


def logsumexp(a, axis=None, b=None, keepdims=False, return_sign=False):
    """:func:`scipy.special.logsumexp` (the same function, imported on first use).

    >>> round(float(logsumexp(np.log([1.0, 2.0, 3.0]))), 6)
    1.791759
    """
    # lazy: scipy.special costs ~0.1-0.3 s of import and few callers need it
    from scipy.special import logsumexp as scipy_logsumexp
    return scipy_logsumexp(a, axis=axis, b=b, keepdims=keepdims, return_sign=return_sign)


_JIT = lazy_module("pgm.runtime.jit_math")
_JIT_NAMES = frozenset({"fast_sigmoid", "fast_tanh", "exp_neg32", "exp_neg64", "FASTMATH",
                        "FAST_JIT"})


def __getattr__(name):
    """The numba part's names, loaded with numba on first use (PEP 562)."""
    if name in _JIT_NAMES:
        return getattr(_JIT, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
