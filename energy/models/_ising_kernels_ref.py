"""Plain-numpy references for the kernels in :mod:`energy.models._ising_kernels` (private).

Same padded layout and the same decisions, written with whole-array numpy operations (the
checkerboard versions) or plain Python loops (the raster versions). Tests compare every
kernel with its reference; the benchmark uses :func:`icm_colour_ref` as the
vectorised-numpy baseline.
"""

from __future__ import annotations

import numpy as np

from energy.models._ising_kernels import probability_threshold, stable_sigmoid
from pgm.runtime.counter_rng import draw31_ref


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


def draws31(seed: int, r, c, Wp: int) -> np.ndarray:
    """The kernels' uniform 31-bit draws for padded sites (r, c), computed in numpy uint64."""
    site = (np.asarray(r, np.uint64) * np.uint64(Wp) + np.asarray(c, np.uint64))
    return draw31_ref(seed, site)


def gibbs_colour_ref(xp, y, colour, K, beta, eta, h, temperature, seed, origin=(0, 0),
                     width=None) -> int:
    """numpy Gibbs update of one colour at temperature T > 0 (in place); returns #changed.

    ``origin`` (r0, c0) and ``width``: the array is a tile of a grid ``width`` wide whose site
    (r0, c0) is the tile's (0, 0); colours and draws are the grid's (4-grid only).
    """
    H, W = y.shape
    r0, c0 = origin
    inner = xp[1:-1, 1:-1]
    a = local_field(neighbour_sum_padded(xp, K), y, beta, eta, h)
    thr = probability_threshold(stable_sigmoid(2.0 * a / temperature))
    i, j = np.indices((H, W))
    u = draws31(seed, i + r0 + 1, j + c0 + 1, (W if width is None else width) + 2)
    new = np.where(u < thr, 1, -1).astype(np.int8)
    m = colour_mask(H, W, K, (colour + r0 + c0) % 2 if K == 4 else colour)
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


# ----------------------------------------------------------------------------- energies
# Plain-numpy reference implementations of the Ising quantities.
# 
# Slow but obviously right: the numba kernels in :mod:`energy.models._ising_kernels` and the graph-cut
# solver are tested against these. Spins are ±1 arrays of shape (H, W); the grid has free
# (zero-padded) borders.
# 
#     E(x) = sum_i u_i x_i - beta * sum_{i~j} x_i x_j,     u_i = h - eta * y_i
# 
# with each neighbouring pair i~j counted once. ``connectivity`` is 4 (up/down/left/right)
# or 8 (also the diagonals, same beta).

def pair_sum(x: np.ndarray, connectivity: int = 4) -> float:
    """sum_{i~j} x_i x_j over the grid, each pair once (half the sum over ordered pairs)."""
    x = np.asarray(x, dtype=np.int64)
    return 0.5 * float(np.sum(x * neighbour_sum(x, connectivity)))


def neighbour_sum(x: np.ndarray, connectivity: int = 4) -> np.ndarray:
    """sum_{j in N(i)} x_j for every site, zero outside the grid; int array (H, W)."""
    x = x.astype(np.int64)
    p = np.pad(x, 1)
    H, W = x.shape
    s = p[0:H, 1:W + 1] + p[2:H + 2, 1:W + 1] + p[1:H + 1, 0:W] + p[1:H + 1, 2:W + 2]
    if connectivity == 8:
        s = s + p[0:H, 0:W] + p[0:H, 2:W + 2] + p[2:H + 2, 0:W] + p[2:H + 2, 2:W + 2]
    return s


def ising_energy_ref(x, unary, beta, connectivity: int = 4) -> float:
    """E(x) = sum_i unary_i x_i - beta sum_{i~j} x_i x_j (reference)."""
    x = np.asarray(x, dtype=np.float64)
    return float(np.sum(np.asarray(unary, dtype=np.float64) * x)) - beta * pair_sum(x, connectivity)


def local_field_ref(x, unary, beta, connectivity: int = 4) -> np.ndarray:
    """a_i = beta * sum_{j~i} x_j - unary_i, so that E = -sum_i x_i a_i + (terms without x_i)
    and the flip of x_i changes the energy by 2 x_i a_i."""
    return beta * neighbour_sum(x, connectivity) - np.asarray(unary, dtype=np.float64)
