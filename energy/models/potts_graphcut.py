"""Graph-cut moves for multi-label grid MRFs: alpha-expansion and alpha-beta swap.

Boykov, Veksler & Zabih, "Fast approximate energy minimization via graph cuts" (PAMI 2001).
Each move is a binary problem solved exactly by one minimum cut on the library's grid
max-flow (:mod:`energy.images._maxflow`, Boykov-Kolmogorov on the implicit grid, per-arc
capacities). An alpha-expansion lets every site keep its label or take alpha; an alpha-beta
swap lets the sites labelled alpha or beta exchange them. A cycle tries every alpha (every
pair); the run stops after a cycle that lowered nothing.

* For a metric V (Potts, truncated linear) the expansion move is submodular and the result is
  within a factor 2 c of the global minimum, c = max V / min_{a != b} V (c = 1 for Potts).
* The swap needs only a semi-metric (V >= 0, V(a, b) = 0 iff a = b), so it also handles the
  truncated quadratic exactly; it has no such factor bound.
* For a non-metric V (the truncated quadratic) an expansion pair term with B + C < A + D is
  clipped (Rother et al. 2005, "truncation"): the move solved is an upper bound of the true
  one that agrees on the current labeling, so the energy never rises, but the factor bound is
  lost. :attr:`GridMRF.is_metric` says which case holds.

Integer capacities. The max-flow works on int32: the float move terms are multiplied by
``scale = 2**29 / (largest term)`` and rounded, an error of at most 0.5 / scale per term.
The cut found is then optimal for the rounded move, so its true energy is within
``(n + m) / scale`` of the best move (n sites, m pairs), reported as
``extra["quantization_bound"]`` (the largest over the accepted moves). A move is kept only if
the exact energy (:meth:`GridMRF.energy`, float64) decreases, so the energies are monotone.
"""

from __future__ import annotations

import time

import numpy as np

from pgm.runtime import check_rng, check_scalar

from pgm.runtime.jit import lazy_module, use_jit

from energy.images import _maxflow_ref
from energy.images.graphcut import grid_workspace
from energy.models import _potts_kernels_ref as PR
from energy.models.potts import PK, GridMRF, MRFResult

#: the grid max-flow (numba), loaded on the first cut of a grid of JIT_MIN_WORK["energy.potts"]
#: sites or more; smaller grids cut with its reference (scipy's max-flow, same answers)
_maxflow = lazy_module("energy.images._maxflow")

__all__ = ["alpha_expansion", "ab_swap"]

_TOP = 2.0**29


class _Mover:
    """Working arrays shared by every move of one run."""

    def __init__(self, model: GridMRF):
        self.model = model
        H, W = model.shape
        self.H, self.W = H, W
        self.ws = grid_workspace(H, W, model.connectivity)
        N = (H + 2) * (W + 2)
        self.tu = np.zeros(N)
        self.tp = np.zeros((N, model.connectivity))
        self.off = _maxflow_ref.grid_offsets(W, model.connectivity)
        self.n_terms = H * W + int(np.count_nonzero(model.wdir))
        self.bound = 0.0
        jit = use_jit("energy.potts", H * W)          # references on small grids
        self.k = PK if jit else PR
        self.mf = _maxflow if jit else _maxflow_ref

    def move(self, f, energy, alpha, beta=-1):
        """Try one move from ``f`` (energy ``energy``); returns (labels, energy, accepted)."""
        m, k = self.model, self.k
        if beta < 0:
            k.expansion_terms(f, m.unary, m.wdir, m.V, alpha, self.tu, self.tp)
        else:
            k.swap_terms(f, m.unary, m.wdir, m.V, alpha, beta, self.tu, self.tp)
        big = max(float(np.max(np.abs(self.tu))), float(np.max(self.tp)))
        if big == 0.0:
            return f, energy, False
        scale = _TOP / big
        ws = self.ws
        k.quantize(self.tu, self.tp, scale, ws["rc"], ws["tr"])
        flow = self.mf.bk_maxflow(ws["rc"], ws["tr"], ws["tree"], ws["parent"], ws["nxt"],
                                  ws["orph"], ws["ts"], ws["dist"], self.off, self.H, self.W)
        if flow < 0:
            raise RuntimeError("grid max-flow: internal error (augmenting path without capacity)")
        new = f.copy()
        if k.apply_move(ws["tree"], new, alpha, beta) == 0:
            return f, energy, False
        e = m._energy(new)
        if e < energy:
            self.bound = max(self.bound, self.n_terms / scale)
            return new, e, True
        return f, energy, False


def _setup(model, labels0, max_cycles):
    if not isinstance(model, GridMRF):
        raise TypeError(f"model: expected a GridMRF, got {type(model).__name__}")
    n = check_scalar(max_cycles, "max_cycles", low=1, integer=True)
    return model.initial_state(labels0), n


def _run(model, labels0, max_cycles, method, cycle):
    """Cycles of moves until one lowers nothing (or ``max_cycles``): ``cycle(K)`` gives each
    cycle's moves, as the (alpha,) or (alpha, beta) arguments of :meth:`_Mover.move`.
    Returns the :class:`MRFResult` (its energy recomputed exactly)."""
    f, n_cycles = _setup(model, labels0, max_cycles)
    t0 = time.perf_counter()
    mover = _Mover(model)
    e = model._energy(f)
    energies, moves, converged = [], 0, False
    for _ in range(n_cycles):
        improved = False
        for args in cycle(model.n_labels):
            f, e, acc = mover.move(f, e, *args)
            moves += 1
            improved |= acc
        energies.append(e)
        if not improved:
            converged = True
            break
    return MRFResult(f, model._energy(f), method, np.array(energies), converged,
                     time.perf_counter() - t0,
                     {"quantization_bound": mover.bound, "moves": moves,
                      "metric": model.is_metric})


def alpha_expansion(model: GridMRF, labels0=None, *, max_cycles: int = 100,
                    order: str = "sequential", rng=None) -> MRFResult:
    """Minimise E by alpha-expansion moves.

    Parameters
    ----------
    model : GridMRF
    labels0 : array-like of int, shape (H, W), optional
        Start; by default the cheapest unary label of each site.
    max_cycles : int
        Cycles over all labels at most (>= 1).
    order : {"sequential", "random"}
        Labels in the order 0..K-1 each cycle, or a fresh random permutation (``rng``).
    rng : None, int or numpy.random.Generator

    Returns
    -------
    MRFResult
        ``energies`` after each cycle; ``extra["quantization_bound"]`` (see the module
        docstring), ``extra["moves"]`` the number of moves tried, ``extra["metric"]``.

    Examples
    --------
    >>> import numpy as np
    >>> from energy.models.potts import PottsModel
    >>> unary = np.zeros((3, 3, 3)); unary[..., 0] = 1.0; unary[1, 1] = [0, 1, 1]
    >>> res = alpha_expansion(PottsModel(unary, weight=1.0))
    >>> res.labels.tolist(), res.energy
    ([[1, 1, 1], [1, 1, 1], [1, 1, 1]], 1.0)
    """
    if order not in ("sequential", "random"):
        raise ValueError(f"order: expected 'sequential' or 'random', got {order!r}")
    gen = check_rng(rng)

    def cycle(K):
        labels = range(K) if order == "sequential" else gen.permutation(K)
        return [(int(alpha),) for alpha in labels]
    return _run(model, labels0, max_cycles, "alpha_expansion", cycle)


def ab_swap(model: GridMRF, labels0=None, *, max_cycles: int = 100) -> MRFResult:
    """Minimise E by alpha-beta swap moves (every pair alpha < beta once per cycle).

    Parameters and result as :func:`alpha_expansion`.

    Examples
    --------
    >>> import numpy as np
    >>> from energy.models.potts import GridMRF
    >>> unary = np.zeros((1, 4, 3)); unary[0, :, 2] = 5.0; unary[0, 0] = [0, 1, 5]
    >>> res = ab_swap(GridMRF(unary, "truncated_quadratic", weight=1.0, truncation=4.0))
    >>> res.labels.tolist(), res.energy
    ([[0, 0, 0, 0]], 0.0)
    """
    def cycle(K):
        return [(alpha, beta) for alpha in range(K) for beta in range(alpha + 1, K)]
    return _run(model, labels0, max_cycles, "ab_swap", cycle)
