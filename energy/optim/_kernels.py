"""The SGD update, written once: a numba kernel (private) and its plain-numpy reference.

In place, on a parameter ``a``, its gradient ``g`` and its momentum buffer ``v``, with
scalars ``lr``, ``mu`` (momentum), ``wd`` (weight decay), ``sign`` (+1 to descend, -1 for
``maximize``) and the flag ``nesterov``::

    g' = sign·g + wd·a
    v ← μ v + g'                     (only when μ ≠ 0; ``v`` is ignored otherwise)
    d = g' + μ v  (Nesterov),  v  (heavy ball),  g'  (μ = 0)
    a ← a − lr·d

* :func:`sgd_run` is the kernel: one loop over a run of elements. Other numba kernels call it
  (the RBM's epoch kernel, :mod:`energy.models._rbm_kernels`, applies it block by block while
  a gradient block is in cache), with the arguments of :meth:`energy.optim.SGD.fused_args`.
* :func:`sgd_step` runs :func:`sgd_run` over chunks of a big flat parameter in parallel: one
  pass instead of numpy's four or five passes and temporaries.
* :func:`sgd_step_ref` is the same arithmetic in numpy (any shapes, broadcasting), which
  :meth:`energy.optim.SGD.step` uses for small or non-contiguous parameters; a test compares
  it with the kernel.

Examples
--------
>>> import numpy as np
>>> a, g, v = np.ones(3), np.full(3, 2.0), np.zeros(3)
>>> sgd_step_ref(a, g, v, 0.1, 0.9, 0.0, 1.0, False); a
array([0.8, 0.8, 0.8])
>>> a2, v2 = np.ones(3), np.zeros(3)
>>> sgd_step(a2, g, v2, 0.1, 0.9, 0.0, 1.0, False); bool(np.array_equal(a, a2))
True
"""

from __future__ import annotations

from numba import njit, prange

from energy.optim._kernels_ref import sgd_step_ref  # noqa: F401  (the reference, beside)

__all__ = ["sgd_run", "sgd_step", "sgd_step_ref"]


@njit(cache=True, inline="always")
def sgd_run(a, g, v, lr, mu, wd, sign, nesterov):
    """The update of a run of elements (flat, contiguous ``a``, ``g`` and — with momentum —
    ``v``; see the module docstring), one loop per case so that each vectorises. Kernels that
    make a gradient block by block (the RBM's) apply it while the block is in cache."""
    n = a.size
    if mu == 0:
        for i in range(n):
            a[i] -= lr * (sign * g[i] + wd * a[i])
    elif nesterov:
        for i in range(n):
            gi = sign * g[i] + wd * a[i]
            vi = mu * v[i] + gi
            v[i] = vi
            a[i] -= lr * (gi + mu * vi)
    else:
        for i in range(n):
            vi = mu * v[i] + (sign * g[i] + wd * a[i])
            v[i] = vi
            a[i] -= lr * vi


@njit(cache=True, parallel=True)
def sgd_step(a, g, v, lr, mu, wd, sign, nesterov):
    """:func:`sgd_run` over flat, contiguous arrays of one dtype, in parallel chunks (in place).

    ``g' = sign·g + wd·a``; with momentum ``v ← μ v + g'`` and ``d = g' + μ v`` (Nesterov) or
    ``d = v``, else ``d = g'``; then ``a ← a − lr·d``. ``v`` is ignored when ``mu == 0``.
    """
    n = a.size
    chunk = 1 << 13
    for c in prange((n + chunk - 1) // chunk):
        i0 = c * chunk
        i1 = min(n, i0 + chunk)
        sgd_run(a[i0:i1], g[i0:i1], v[i0:i1] if mu != 0 else v, lr, mu, wd, sign, nesterov)
