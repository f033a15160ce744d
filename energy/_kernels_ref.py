"""Plain-numpy references for the kernels in :mod:`energy._kernels` (private).

Same padded layout and the same decisions, written with whole-array numpy operations (the
checkerboard versions) or plain Python loops (the raster versions). Tests compare every
kernel with its reference; the benchmark uses :func:`icm_colour_ref` as the
vectorised-numpy baseline.
"""

from __future__ import annotations

import numpy as np

from ._kernels import GOLDEN, probability_threshold, stable_sigmoid

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


def colour_mask(H: int, W: int, K: int, colour: int) -> np.ndarray:
    """Boolean (H, W) mask of the sites of ``colour`` (see the kernels' module docstring)."""
    i, j = np.indices((H, W))
    if K == 4:
        return (i + j) % 2 == colour
    return 2 * (i % 2) + (j % 2) == colour


def neighbour_sum_padded(xp: np.ndarray, K: int) -> np.ndarray:
    """Neighbour sums of the interior of a zero-padded array, int32 (H, W)."""
    p = xp.astype(np.int32)
    n = p[:-2, 1:-1] + p[2:, 1:-1] + p[1:-1, :-2] + p[1:-1, 2:]
    if K == 8:
        n = n + p[:-2, :-2] + p[:-2, 2:] + p[2:, :-2] + p[2:, 2:]
    return n


def local_field(n, y, beta, eta, h):
    """a = beta * n - (h - eta * y), the expression every kernel decides with."""
    return beta * n.astype(np.float64) - (h - eta * y.astype(np.float64))


def icm_colour_ref(xp, y, colour, K, beta, eta, h) -> int:
    """Vectorised-numpy zero-temperature update of one colour (in place); returns #changed."""
    H, W = y.shape
    inner = xp[1:-1, 1:-1]
    a = local_field(neighbour_sum_padded(xp, K), y, beta, eta, h)
    new = np.where(a > 0, 1, np.where(a < 0, -1, inner)).astype(np.int8)
    m = colour_mask(H, W, K, colour)
    changed = int(np.count_nonzero(new[m] != inner[m]))
    inner[m] = new[m]
    return changed


def splitmix64(seed: int, k) -> np.ndarray:
    """splitmix64(seed + k * GOLDEN) for a uint64 array of counters ``k`` (numpy uint64)."""
    with np.errstate(over="ignore"):
        z = np.uint64(seed) + np.asarray(k, np.uint64) * GOLDEN
        z = (z ^ (z >> np.uint64(30))) * _M1
        z = (z ^ (z >> np.uint64(27))) * _M2
        return z ^ (z >> np.uint64(31))


def draws31(seed: int, r, c, Wp: int) -> np.ndarray:
    """The kernels' uniform 31-bit draws for padded sites (r, c), computed in numpy uint64."""
    site = (np.asarray(r, np.uint64) * np.uint64(Wp) + np.asarray(c, np.uint64))
    return (splitmix64(seed, site) >> np.uint64(33)).astype(np.uint32)


def gibbs_colour_ref(xp, y, colour, K, beta, eta, h, temperature, seed) -> int:
    """numpy Gibbs update of one colour at temperature T > 0 (in place); returns #changed."""
    H, W = y.shape
    inner = xp[1:-1, 1:-1]
    a = local_field(neighbour_sum_padded(xp, K), y, beta, eta, h)
    thr = probability_threshold(stable_sigmoid(2.0 * a / temperature))
    i, j = np.indices((H, W))
    u = draws31(seed, i + 1, j + 1, W + 2)
    new = np.where(u < thr, 1, -1).astype(np.int8)
    m = colour_mask(H, W, K, colour)
    changed = int(np.count_nonzero(new[m] != inner[m]))
    inner[m] = new[m]
    return changed


def raster_sweep_ref(xp, y, K, beta, eta, h, temperature=0.0, seed=0) -> int:
    """Sequential sweep in raster order with plain Python loops (ICM when T == 0)."""
    H, W = y.shape
    changed = 0
    for i in range(H):
        for j in range(W):
            r, c = i + 1, j + 1
            win = xp[r - 1:r + 2, c - 1:c + 2].astype(np.int64)
            n = win[0, 1] + win[2, 1] + win[1, 0] + win[1, 2]
            if K == 8:
                n += win[0, 0] + win[0, 2] + win[2, 0] + win[2, 2]
            a = beta * float(n) - (h - eta * float(y[i, j]))
            old = xp[r, c]
            if temperature == 0:
                new = 1 if a > 0 else (-1 if a < 0 else old)
            else:
                thr = probability_threshold(stable_sigmoid(2.0 * a / temperature))
                new = 1 if draws31(seed, r, c, W + 2) < thr else -1
            changed += int(new != old)
            xp[r, c] = new
    return changed


def mean_field_colour_ref(mp, y, colour, K, beta, eta, h, temperature, damping) -> float:
    """numpy damped mean-field update of one colour (in place); returns the largest change."""
    H, W = y.shape
    p = mp
    n = p[:-2, 1:-1] + p[2:, 1:-1] + p[1:-1, :-2] + p[1:-1, 2:]
    if K == 8:
        n = n + p[:-2, :-2] + p[:-2, 2:] + p[2:, :-2] + p[2:, 2:]
    target = np.tanh((beta * n - (h - eta * y.astype(np.float64))) / temperature)
    inner = mp[1:-1, 1:-1]
    m = colour_mask(H, W, K, colour)
    new = (1.0 - damping) * inner[m] + damping * target[m]
    delta = float(np.max(np.abs(new - inner[m]), initial=0.0))
    inner[m] = new
    return delta
