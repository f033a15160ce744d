"""Gradient clipping by the joint L2 norm.

Examples
--------
>>> import numpy as np
>>> g = np.array([3.0, 4.0])
>>> clip_grad_norm([g], 1.0)
5.0
>>> g
array([0.6, 0.8])
"""

from __future__ import annotations

import math

import numpy as np

from energy.autodiff import Tensor

__all__ = ["clip_grad_norm"]


def clip_grad_norm(params_or_grads, max_norm: float) -> float:
    """Scale gradients in place so that their joint L2 norm is at most ``max_norm``.

    Parameters
    ----------
    params_or_grads : iterable of Tensor (their ``.grad`` is scaled) or of ndarray (scaled)
    max_norm : float > 0

    Returns
    -------
    float
        The total norm before clipping.
    """
    if not max_norm > 0:
        raise ValueError(f"max_norm: must be > 0, got {max_norm}")
    gs = []
    for p in params_or_grads:
        g = p.grad if isinstance(p, Tensor) else p
        if g is not None:
            gs.append(g)
    total = math.sqrt(sum(float(np.vdot(g, g)) for g in gs))
    if total > max_norm:
        scale = max_norm / (total + 1e-12)
        for g in gs:
            g *= scale
    return total
