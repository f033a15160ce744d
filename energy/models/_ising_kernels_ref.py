"""Plain-numpy references for the kernels in :mod:`energy.models._ising_kernels` (private).

Also the plain helpers the model and the kernels share (decision thresholds, the stable
sigmoid): importing this module does not import numba. Same padded layout and the same
decisions, written with whole-array numpy operations (the
checkerboard versions) or plain Python loops (the raster versions). Tests compare every
kernel with its reference; the benchmark uses :func:`icm_colour_ref` as the
vectorised-numpy baseline.
"""

from __future__ import annotations

import numpy as np

from pgm.runtime.counter_ref import draw31_ref
from pgm.runtime.numerics import sigmoid as _sigmoid


# ----------------------------------------------------------------------------- decisions
def icm_thresholds(beta: float, eta: float, h: float, K: int):
    """Integer thresholds that decide the zero-temperature update of a site.

    For ``s = sign * n`` (``sign`` = -1 when beta < 0, else +1) the new spin is +1 when
    ``s >= hi[y]``, -1 when ``s <= lo[y]``, and unchanged otherwise (a tie, a_i == 0).
    Index 0 is y = -1, index 1 is y = +1. Returns ``(sign, lo, hi)`` with lo, hi int8 (2,).

    Derived by evaluating ``a = beta * n - (h - eta * y)`` at every n in [-K, K], exactly the
    expression the references use, so ties are decided identically.
    """
    sign = -1 if beta < 0 else 1
    lo = np.empty(2, np.int8)
    hi = np.empty(2, np.int8)
    for k, yv in enumerate((-1, 1)):
        lo_k, hi_k = -K - 1, K + 1
        for n in range(-K, K + 1):
            a = beta * n - (h - eta * yv)
            if a < 0:
                lo_k = max(lo_k, sign * n)
            elif a > 0:
                hi_k = min(hi_k, sign * n)
        lo[k], hi[k] = lo_k, hi_k
    return sign, lo, hi


def icm_row_constants(sign, lo, hi):
    """Fold the y-dependent thresholds into four int8 constants for the branch-free row kernel.

    With ``t = 2 * sign * n``: ``s >= hi[y]`` iff ``t - d*y >= A`` and ``s <= lo[y]`` iff
    ``t - e*y <= B`` (y = ±1), where A = hi[1] + hi[0], d = hi[1] - hi[0], B = lo[1] + lo[0],
    e = lo[1] - lo[0]. All values stay within int8.
    """
    A = int(hi[1]) + int(hi[0])
    d = int(hi[1]) - int(hi[0])
    B = int(lo[1]) + int(lo[0])
    e = int(lo[1]) - int(lo[0])
    return np.int8(2 * sign), np.int8(A), np.int8(d), np.int8(B), np.int8(e)


def gibbs_thresholds(beta: float, eta: float, h: float, K: int, temperature: float):
    """Lookup table ``thr[(2K + 1) * y_index + n + K] = round(P(x_i = +1 | rest) * 2**31)``.

    uint32 of shape (2 * (2K + 1),), y_index 0 for y = -1 and 1 for y = +1.
    ``P(x_i = +1 | rest) = sigmoid(2 a_i / T)`` with ``a_i = beta n_i - (h - eta y_i)``; a
    uniform 31-bit draw ``u`` gives +1 when ``u < thr``, so the probability is exact to 2**-31
    (P = 1 gives thr = 2**31, always +1; P = 0 gives 0, never).
    """
    n = np.arange(-K, K + 1, dtype=np.float64)
    yv = np.repeat(np.array([-1.0, 1.0]), 2 * K + 1)
    a = beta * np.tile(n, 2) - (h - eta * yv)
    return probability_threshold(stable_sigmoid(2.0 * a / temperature))


def stable_sigmoid(z):
    """1 / (1 + exp(-z)) without overflow for large |z|, as a float64 array (the engine's
    stable sigmoid, :func:`pgm.runtime.numerics.sigmoid`, on float64)."""
    return _sigmoid(np.asarray(z, dtype=np.float64))


def probability_threshold(p):
    """round(p * 2**31) as uint32: the integer a 31-bit uniform is compared with."""
    return np.round(np.asarray(p, dtype=np.float64) * 2.0**31).astype(np.uint32)


# ----------------------------------------------------------------------------- helpers


def ising_sums_ref(xp, y, K) -> tuple:
    """numpy version of :func:`energy.models._ising_kernels.ising_sums`: exact integer
    (sum x, sum x*y, sum over pairs x_i x_j) of a zero-padded state."""
    x = xp[1:-1, 1:-1].astype(np.int64)
    n = neighbour_sum_padded(xp, K).astype(np.int64)
    return int(x.sum()), int((x * y).sum()), int((x * n).sum()) // 2


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
