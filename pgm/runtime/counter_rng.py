"""Counter-based random numbers: the one way the numba kernels draw.

A draw is a pure function of ``(seed, counter)``: ``mix64(seed + counter * GOLDEN)``, the
splitmix64 finaliser. A kernel gives every element (pixel, unit, row) its own counter, so a
draw never depends on the thread, the tile or the partition that makes it: runs reproduce
exactly for any number of threads, and the numpy references below reproduce the kernels
draw for draw. Seeds come from the library's ``rng=`` convention
(:func:`pgm.runtime.check_rng`), one 64-bit integer drawn per call.

numba (inside ``@njit`` code): :func:`mix64`, :func:`uniform53`, :func:`draw31`.
numpy: :func:`splitmix64`, :func:`uniform53_ref`, :func:`draw31_ref` (from
:mod:`pgm.runtime.counter_ref`, which the numpy references import: it needs no numba).

>>> u = uniform53_ref(12345, (2, 3))
>>> u.shape, bool(((u >= 0) & (u < 1)).all())
((2, 3), True)
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .counter_ref import (_INV53, _M1, _M2, _S11, _S27, _S30, _S31, _S33, GOLDEN,  # noqa: F401
                          draw31_ref, splitmix64, uniform53_ref)

__all__ = ["GOLDEN", "mix64", "uniform53", "draw31", "splitmix64", "uniform53_ref",
           "draw31_ref"]


@njit(cache=True, inline="always")
def mix64(z):
    """The splitmix64 finaliser of a uint64 (numba only)."""
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@njit(cache=True, inline="always")
def uniform53(seed, k):
    """Uniform float64 in [0, 1) for counter ``k``: the top 53 bits of mix64(seed + k·G)."""
    return np.float64(mix64(seed + k * GOLDEN) >> _S11) * _INV53


@njit(cache=True, inline="always")
def draw31(seed, k):
    """Top 31 bits of mix64(seed + k·G) as uint32 (compared with round(p · 2**31))."""
    return np.uint32(mix64(seed + k * GOLDEN) >> _S33)
