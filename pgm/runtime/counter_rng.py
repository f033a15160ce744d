"""Counter-based random numbers: the one way the numba kernels draw.

A draw is a pure function of ``(seed, counter)``: ``mix64(seed + counter * GOLDEN)``, the
splitmix64 finaliser. A kernel gives every element (pixel, unit, row) its own counter, so a
draw never depends on the thread, the tile or the partition that makes it: runs reproduce
exactly for any number of threads, and the numpy references below reproduce the kernels
draw for draw. Seeds come from the library's ``rng=`` convention
(:func:`pgm.runtime.check_rng`), one 64-bit integer drawn per call.

numba (inside ``@njit`` code): :func:`mix64`, :func:`uniform53`, :func:`draw31`.
numpy: :func:`splitmix64`, :func:`uniform53_ref`, :func:`draw31_ref`.

>>> u = uniform53_ref(12345, (2, 3))
>>> u.shape, bool(((u >= 0) & (u < 1)).all())
((2, 3), True)
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["GOLDEN", "mix64", "uniform53", "draw31", "splitmix64", "uniform53_ref",
           "draw31_ref"]

#: the counter stride: 2**64 / golden ratio (odd), as in splitmix64
GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S11 = np.uint64(11)
_S27 = np.uint64(27)
_S30 = np.uint64(30)
_S31 = np.uint64(31)
_S33 = np.uint64(33)
_INV53 = 1.0 / 9007199254740992.0      # 2**-53


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


def splitmix64(seed: int, k) -> np.ndarray:
    """splitmix64(seed + k * GOLDEN) for a uint64 array of counters ``k`` (numpy uint64)."""
    with np.errstate(over="ignore"):
        z = np.uint64(seed) + np.asarray(k, np.uint64) * GOLDEN
        z = (z ^ (z >> np.uint64(30))) * _M1
        z = (z ^ (z >> np.uint64(27))) * _M2
        return z ^ (z >> np.uint64(31))


def uniform53_ref(seed: int, shape) -> np.ndarray:
    """The kernels' uniforms for every element of an array of ``shape`` (row-major counter)."""
    k = np.arange(int(np.prod(shape)), dtype=np.uint64).reshape(shape)
    return (splitmix64(seed, k) >> _S11).astype(np.float64) * 2.0**-53


def draw31_ref(seed: int, k) -> np.ndarray:
    """The kernels' 31-bit draws for counters ``k`` (uint32)."""
    return (splitmix64(seed, k) >> _S33).astype(np.uint32)
