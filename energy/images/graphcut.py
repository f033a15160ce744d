"""Exact MAP of the binary Ising model by minimum s-t cut (Greig, Porteous & Seheult 1989).

For spins x in {-1, +1}^(H x W) and

    E(x) = Σ_i u_i x_i − β Σ_{i~j} x_i x_j        (u_i = h − η y_i for denoising)

with β ≥ 0 the energy is submodular: −β x_i x_j = −β + 2β [x_i ≠ x_j], so every
disagreeing pair costs 2β (an n-link of that capacity in both directions), and
u_i x_i = −|u_i| + 2|u_i| [x_i is the dearer label], a single t-link of capacity 2|u_i|
(s -> i when u_i < 0, i -> t when u_i > 0). Source side means +1. The minimum cut is then a
global minimum of E, and for every labeling::

    E(x) = cut(x) − Σ_i |u_i| − β m        (m = number of neighbouring pairs).

Two solvers:

* ``solver="grid"`` (default): Boykov–Kolmogorov max-flow written for the implicit grid
  (:mod:`energy.images._maxflow`), no graph is built; about 38 bytes per pixel for 4-connectivity
  and 54 for 8 (:func:`grid_maxflow_memory_bytes`). Below ``JIT_MIN_WORK["energy.graphcut"]``
  pixels (and until its reference runs have cost ``JIT_BUY_SECONDS``) it runs the kernel's
  reference instead, which compiles nothing (:mod:`energy.images._maxflow_ref`: scipy's
  max-flow on the same integer capacities, hence the same labeling and flow).
* ``solver="scipy"``: the reference, the explicit graph as a sparse matrix and
  :func:`scipy.sparse.csgraph.maximum_flow`.

Capacities. Both solvers work on integers, so the max-flow arithmetic is exact: the float
capacities are multiplied by ``scale`` and rounded. That solves exactly a problem whose every
capacity is within ``0.5 / scale`` of the true one, so the labeling returned has an energy at
most ``(n + m) / scale`` above the optimum (n sites, m pairs) — see :func:`quantization_bound`.
The grid solver stores int32 residuals and maps the largest of 2 max|u| and 2β to 2**29
(arc residuals reach twice an n-link, 2**30 < 2**31), so for the denoising problem the energy
is optimal to about 1e-8 relative. The scipy solver needs int32 capacities whose sums it does
not overflow, and maps the largest capacity to 2**20.
"""

from __future__ import annotations

import numpy as np

from pgm.runtime import check_array, check_finite, check_scalar
from pgm.runtime.jit import lazy_module, timed_reference, use_jit

from . import _maxflow_ref

#: the grid solver's numba kernels, loaded on its first use; grids below
#: JIT_MIN_WORK["energy.graphcut"] pixels run the reference (scipy's max-flow, same answers)
_maxflow = lazy_module("energy.images._maxflow")

__all__ = ["ising_map_graphcut", "grid_maxflow", "grid_maxflow_memory_bytes", "grid_workspace",
           "quantization_bound", "grid_edges", "SOLVERS"]

SOLVERS = ("grid", "scipy")
_HALF_OFFSETS = {4: ((0, 1), (1, 0)), 8: ((0, 1), (1, 0), (1, 1), (1, -1))}
_GRID_TOP = 2.0**29      # largest scaled capacity of the grid solver (int32 residuals)
_SCIPY_TOP = 2.0**20     # same for scipy's maximum_flow


# ----------------------------------------------------------------------------- checks
def _check_problem(unary, beta, connectivity):
    u = check_array(unary, "unary", ndim=2, dtype_kind="iuf")
    check_finite(u, "unary")
    u = u.astype(np.float64, copy=False)
    b = check_scalar(beta, "beta")
    if b < 0:
        raise ValueError(
            f"beta: graph cut needs beta >= 0 (got {b}); for beta < 0 the energy is not "
            "submodular and a minimum cut does not give the MAP — use ICM or annealing")
    if isinstance(connectivity, bool) or connectivity not in (4, 8):
        raise ValueError(f"connectivity: expected 4 or 8, got {connectivity!r}")
    return u, b, int(connectivity)


def _degrees(H: int, W: int, connectivity: int) -> np.ndarray:
    """Number of neighbours of each site of an H × W grid, float64 (H, W)."""
    deg = np.zeros((H, W))
    for di, dj in _HALF_OFFSETS[connectivity]:
        j0, j1 = max(0, -dj), W - max(0, dj)
        deg[0:H - di, j0:j1] += 1
        deg[di:H, j0 + dj:j1 + dj] += 1
    return deg


def _pin(u: np.ndarray, b: float, connectivity: int) -> np.ndarray:
    """Unaries clipped to ±β (deg_i + 1) (±1 when β = 0): the same minimisers and max flow.

    A site with |u_i| > β deg_i takes −sign(u_i) in every minimiser, whatever its neighbours
    (giving it the other label raises E by 2 (|u_i| − β s) > 0, |s| ≤ deg_i). Clipping such a unary to a
    value still above β deg_i keeps it pinned; for the pinned labels the energies differ by a
    constant, so the minimisers are those of the original problem, and the max flow (the
    excess t-link capacity is never used) is the same. Hard constraints (seeds of ±1e9 beside
    unaries of 1e-2) then no longer dictate the integer scale that rounds the small
    capacities to zero, and ±1e308 no longer overflows.
    """
    with np.errstate(over="ignore"):            # β near 1e308: inf, nothing is clipped
        cap = b * (_degrees(*u.shape, connectivity) + 1.0) if b > 0 else 1.0
    # not below 1e-250 (a larger cap pins as well): a subnormal β must not make the scale inf
    return np.clip(u, -np.maximum(cap, 1e-250), np.maximum(cap, 1e-250))


def _default_scale(u: np.ndarray, b: float, top: float) -> float:
    # the largest capacity, 2 max(|u|, β), maps to top (halved first: 2 × 1e308 overflows)
    biggest = max(float(np.max(np.abs(u))), b)
    return min(top / 2.0 / biggest, 1e300) if biggest > 0 else 1.0


def _check_scale(scale, u, b, top):
    if scale is None:
        return _default_scale(u, b, top)
    scale = check_scalar(scale, "scale", low=0, low_inclusive=False)
    biggest = 2.0 * (max(float(np.max(np.abs(u))), b) * scale)
    if biggest > top:
        raise ValueError(f"scale: capacities up to {biggest:.4g} after scaling exceed {top:.4g} "
                         f"and could overflow int32; use scale <= {_default_scale(u, b, top):.6g}")
    return scale


def n_pairs(H: int, W: int, connectivity: int = 4) -> int:
    """Number m of neighbouring pairs of an H × W grid, each pair once."""
    m = H * (W - 1) + (H - 1) * W
    if connectivity == 8:
        m += 2 * (H - 1) * (W - 1)
    return m


def quantization_bound(unary, beta, *, connectivity: int = 4, solver: str = "grid",
                       scale: float | None = None) -> float:
    """Largest possible excess energy E(x_returned) − min E caused by rounding capacities.

    Every capacity is rounded to a multiple of ``1 / scale``, an error of at most
    ``0.5 / scale`` on each of the n t-links and m n-links; the optimum of the rounded problem
    is therefore within ``(n + m) / scale`` of the true optimum.
    """
    u, b, c = _check_problem(unary, beta, connectivity)
    u = _pin(u, b, c)
    top = _GRID_TOP if solver == "grid" else _SCIPY_TOP
    s = _check_scale(scale, u, b, top)
    return (u.size + n_pairs(*u.shape, c)) / s


# ----------------------------------------------------------------------------- grid solver
def grid_workspace(H: int, W: int, connectivity: int = 4) -> dict:
    """Allocate the working arrays of the grid solver (see :mod:`energy.images._maxflow`).

    Returns a dict of arrays over the N = (H + 2) * (W + 2) nodes of the padded grid:
    ``rc`` int32 (N, K), ``tr`` int32 (N,), ``tree`` int8, ``parent`` int8, ``nxt``, ``orph``,
    ``ts``, ``dist`` int32 (N,). Their total size is :func:`grid_maxflow_memory_bytes`.
    """
    N = (H + 2) * (W + 2)
    K = connectivity
    return {
        "rc": np.empty((N, K), np.int32),
        "tr": np.empty(N, np.int32),
        "tree": np.empty(N, np.int8),
        "parent": np.empty(N, np.int8),
        "nxt": np.empty(N, np.int32),
        "orph": np.empty(N, np.int32),
        "ts": np.empty(N, np.int32),
        "dist": np.empty(N, np.int32),
    }


def grid_maxflow_memory_bytes(H: int, W: int, connectivity: int = 4) -> int:
    """Bytes of all working arrays of the grid solver for an H × W grid.

    ``(H + 2) * (W + 2) * (4 K + 22)``: 38 bytes per node for K = 4 and 54 for K = 8 (the
    int8 output and the float64 unary the caller passes are not counted).
    """
    if isinstance(connectivity, bool) or connectivity not in (4, 8):
        raise ValueError(f"connectivity: expected 4 or 8, got {connectivity!r}")
    return (H + 2) * (W + 2) * (4 * connectivity + 4 + 1 + 1 + 4 + 4 + 4 + 4)


def _grid_solve(u: np.ndarray, b: float, connectivity: int, scale: float, *, ref=None):
    """Run the grid solver; returns (integer flow, spins int8 (H, W), workspace). ``ref``:
    True for the reference (scipy), False for the kernel, None to ask the jit policy."""
    H, W = u.shape
    if ref is None:
        ref = not use_jit("energy.graphcut", H * W)
    if ref:
        with timed_reference("energy.graphcut"):
            return _solve_on(_maxflow_ref, u, b, connectivity, scale)
    return _solve_on(_maxflow, u, b, connectivity, scale)


def _solve_on(M, u, b, connectivity, scale):
    """The grid problem solved by the module ``M`` (the kernels or their reference)."""
    H, W = u.shape
    ws = grid_workspace(H, W, connectivity)
    u = np.ascontiguousarray(u, dtype=np.float64)
    # scaled first (2 u scale == 2 (u scale) exactly, without overflow for |u| near 1e308)
    M.fill_capacities(u * scale, 2.0 * (b * scale), 1.0, connectivity, ws["rc"], ws["tr"])
    off = M.grid_offsets(W, connectivity)
    flow = M.bk_maxflow(ws["rc"], ws["tr"], ws["tree"], ws["parent"], ws["nxt"],
                        ws["orph"], ws["ts"], ws["dist"], off, H, W)
    if flow < 0:
        raise RuntimeError("grid max-flow: internal error (augmenting path without capacity)")
    x = np.empty((H, W), np.int8)
    M.source_side(ws["tree"], H, W, x)
    return int(flow), x, ws


def grid_maxflow(unary, beta, *, connectivity: int = 4, scale: float | None = None):
    """Maximum flow and minimum cut of the Ising graph by the grid solver.

    Parameters
    ----------
    unary : array-like of shape (H, W)
        u_i, finite numbers.
    beta : float
        Coupling β ≥ 0.
    connectivity : {4, 8}
    scale : float, optional
        Capacities are multiplied by ``scale`` and rounded to integers; by default the
        largest maps to 2**29.

    Returns
    -------
    flow : float
        Value of the maximum flow of the rounded problem, in energy units (integer flow
        divided by ``scale``); ``E(x) ≈ flow − Σ|u_i| − β m`` up to :func:`quantization_bound`.
    source : ndarray of bool, shape (H, W)
        The source side of the minimum cut (the sites labelled +1): the sites reachable from
        s in the residual graph.
    """
    u, b, c = _check_problem(unary, beta, connectivity)
    u = _pin(u, b, c)
    s = _check_scale(scale, u, b, _GRID_TOP)
    flow, x, _ = _grid_solve(u, b, c, s)
    if not np.isfinite(flow / s):
        raise ValueError(f"unary, beta: the maximum flow ({flow} / scale {s:.3g}) overflows "
                         f"float64; divide the unaries and beta by a common factor")
    return flow / s, x > 0


# ----------------------------------------------------------------------------- scipy solver
def grid_edges(H: int, W: int, connectivity: int = 4):
    """Index pairs (a, b) of the neighbouring sites of an H × W grid, each pair once.

    Sites are numbered row-major, ``i * W + j``. Returns two int64 arrays of equal length.
    """
    idx = np.arange(H * W).reshape(H, W)
    a_parts, b_parts = [], []
    for di, dj in _HALF_OFFSETS[connectivity]:
        j0, j1 = max(0, -dj), W - max(0, dj)
        a_parts.append(idx[0:H - di, j0:j1].ravel())
        b_parts.append(idx[di:H, j0 + dj:j1 + dj].ravel())
    return np.concatenate(a_parts), np.concatenate(b_parts)


def _scipy_solve(u: np.ndarray, b: float, connectivity: int, scale: float):
    """The scipy solver: the reference of the grid solver (explicit graph, scipy's
    maximum_flow) at the scipy solver's scale; returns (integer flow, spins int8 (H, W))."""
    flow, x, _ = _solve_on(_maxflow_ref, u, b, connectivity, scale)
    return flow, x


# ----------------------------------------------------------------------------- public
def ising_map_graphcut(unary, beta, *, connectivity: int = 4, solver: str = "grid",
                       scale: float | None = None) -> np.ndarray:
    """Global minimiser of E(x) = Σ u_i x_i − β Σ_{i~j} x_i x_j by a minimum s-t cut.

    Parameters
    ----------
    unary : array-like of shape (H, W)
        u_i, finite numbers (for denoising ``h - eta * y``).
    beta : float
        Coupling, β ≥ 0 (for β < 0 the energy is not submodular and a cut does not give
        the MAP: use ICM or annealing).
    connectivity : {4, 8}
        Neighbours up/down/left/right, or also the diagonals (same β).
    solver : {"grid", "scipy"}
        ``"grid"`` is the Boykov–Kolmogorov max-flow on the implicit grid
        (:mod:`energy.images._maxflow`; small grids run its reference, same result);
        ``"scipy"`` builds the explicit graph as a CSR matrix and calls
        :func:`scipy.sparse.csgraph.maximum_flow` (slower; the reference).
    scale : float, optional
        Capacities are multiplied by ``scale`` and rounded to integers, and the max-flow is
        exact for these integers. By default the largest capacity maps to 2**29 (grid) or
        2**20 (scipy); the energy returned is within :func:`quantization_bound` of the
        optimum.

    Returns
    -------
    x : ndarray of int8, shape (H, W)
        Spins ±1; +1 on the source side of the cut (the sites reachable from s in the
        residual graph, so among several optima the one with the fewest +1).

    Examples
    --------
    >>> import numpy as np
    >>> y = np.array([[1, 1, 1], [1, -1, 1], [1, 1, 1]])
    >>> ising_map_graphcut(-2.1 * y, 1.0).tolist()     # the isolated -1 is smoothed away
    [[1, 1, 1], [1, 1, 1], [1, 1, 1]]
    >>> ising_map_graphcut(-2.1 * y, 0.1, solver="scipy").tolist()   # weak coupling keeps y
    [[1, 1, 1], [1, -1, 1], [1, 1, 1]]
    """
    u, b, c = _check_problem(unary, beta, connectivity)
    u = _pin(u, b, c)
    if solver == "grid":
        s = _check_scale(scale, u, b, _GRID_TOP)
        return _grid_solve(u, b, c, s)[1]
    if solver == "scipy":
        s = _check_scale(scale, u, b, _SCIPY_TOP)
        return _scipy_solve(u, b, c, s)[1]
    raise ValueError(f"solver: expected one of {SOLVERS}, got {solver!r}")
