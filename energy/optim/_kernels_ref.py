"""The numpy reference of the SGD update of :mod:`energy.optim._kernels` (no numba import):
what :meth:`energy.optim.SGD.step` runs on small or non-contiguous parameters.

>>> import numpy as np
>>> a, g, v = np.ones(3), np.full(3, 2.0), np.zeros(3)
>>> sgd_step_ref(a, g, v, 0.1, 0.9, 0.0, 1.0, False); a
array([0.8, 0.8, 0.8])
"""

from __future__ import annotations

__all__ = ["sgd_step_ref"]


def sgd_step_ref(a, g, v, lr, mu, wd, sign, nesterov):
    """numpy version of :func:`sgd_step` (in place; ``g`` is not modified).

    The terms that are exact no-ops (``sign == 1``, ``wd == 0``) are skipped, which saves
    whole passes over small parameters and leaves the result unchanged.
    """
    d = g if sign == 1 else sign * g
    if wd != 0:
        d = d + wd * a
    if mu != 0:
        v *= mu
        v += d
        d = d + mu * v if nesterov else v
    a -= lr * d
