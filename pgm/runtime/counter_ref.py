"""The numpy side of :mod:`pgm.runtime.counter_rng`: the kernels' counter-based draws
reproduced with whole-array numpy operations (no numba import), for the kernels' numpy
references.

>>> u = uniform53_ref(12345, (2, 3))
>>> u.shape, bool(((u >= 0) & (u < 1)).all())
((2, 3), True)
"""

from __future__ import annotations

import numpy as np

__all__ = ["GOLDEN", "splitmix64", "uniform53_ref", "draw31_ref"]

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
