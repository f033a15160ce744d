"""Plain-numpy reference implementations of the Ising quantities.

Slow but obviously right: the numba kernels in :mod:`energy._kernels` and the graph-cut
solver are tested against these. Spins are ±1 arrays of shape (H, W); the grid has free
(zero-padded) borders.

    E(x) = sum_i u_i x_i - beta * sum_{i~j} x_i x_j,     u_i = h - eta * y_i

with each neighbouring pair i~j counted once. ``connectivity`` is 4 (up/down/left/right)
or 8 (also the diagonals, same beta).
"""

from __future__ import annotations

import numpy as np

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
