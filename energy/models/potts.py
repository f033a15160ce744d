"""Multi-label Markov random fields on a grid: the Potts model and its truncated relatives.

Labels f in {0, ..., K-1}^(H x W), unary costs D (H, W, K), a pairwise cost V(a, b) between
the labels of neighbouring sites and a weight w_pq per edge:

    E(f) = Σ_p D_p(f_p) + Σ_(p,q) w_pq V(f_p, f_q)

on the 4-neighbour grid (``connectivity=8`` adds the diagonals), free borders. V is one of

* ``"potts"``: V(a, b) = [a != b] (a metric);
* ``"truncated_linear"``: ``V(a, b) = min(|v_a - v_b|, T)`` (a metric);
* ``"truncated_quadratic"``: V(a, b) = min((v_a - v_b)^2, T) (a semi-metric only);
* or a (K, K) array, symmetric, non-negative, zero on the diagonal;

with v the label values (by default the indices 0..K-1) and T the truncation (None: none).

Minimisers: :func:`~energy.models.potts_graphcut.alpha_expansion` and
:func:`~energy.models.potts_graphcut.ab_swap` (graph cuts on the library's grid max-flow),
:meth:`GridMRF.icm` and :meth:`GridMRF.anneal` (the one block-Gibbs sampler,
:func:`energy.sampling.block_gibbs`, on checkerboard colours) and
:func:`~energy.models.potts_bp.loopy_bp` (min-sum belief propagation). Each returns an
:class:`MRFResult` with the labels and their energy.

Example
-------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> truth = np.zeros((8, 8), dtype=int); truth[:, 4:] = 2
>>> noisy = np.clip(truth + rng.integers(-1, 2, truth.shape), 0, 2)
>>> unary = np.stack([(noisy - k) ** 2 for k in range(3)], axis=2).astype(float)
>>> model = PottsModel(unary, weight=1.0)
>>> res = model.icm()
>>> bool(res.energy <= model.energy(noisy))
True
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from pgm import DiscreteFactor, MarkovNetwork
from pgm.runtime import check_array, check_finite, check_rng, check_scalar

from pgm.runtime.jit import lazy_module, nx, use_jit

from energy.models import _potts_kernels_ref as PR
from energy.sampling import block_gibbs, temperature_schedule

__all__ = ["GridMRF", "PottsModel", "MRFResult", "contrast_weights", "PAIRWISE"]

PAIRWISE = ("potts", "truncated_linear", "truncated_quadratic")
#: the numba kernels, loaded on first use; grids below JIT_MIN_WORK["energy.potts"] sites
#: take the numpy references (same results, tested), so a small problem never compiles
PK = lazy_module("energy.models._potts_kernels")
_HALF = ((0, 1), (1, 0), (1, 1), (1, -1))


@dataclass
class MRFResult:
    """What a minimiser of a :class:`GridMRF` returned.

    Attributes
    ----------
    labels : ndarray of int32, shape (H, W)
        Label indices.
    energy : float
        E(labels), computed exactly by :meth:`GridMRF.energy`.
    method : str
    energies : ndarray of shape (n_steps,)
        Energy after each cycle (graph cuts), sweep (ICM, annealing) or iteration (BP).
    converged : bool
        Graph cuts: a whole cycle of moves lowered nothing; ICM: a sweep changed nothing;
        BP: the messages changed by less than ``tol``.
    seconds : float
    extra : dict
        Method-specific details (BP's ``beliefs``; the graph cuts' ``quantization_bound``).
    """

    labels: np.ndarray
    energy: float
    method: str
    energies: np.ndarray = field(default_factory=lambda: np.empty(0))
    converged: bool = False
    seconds: float = 0.0
    extra: dict = field(default_factory=dict)


def _pair_shape(H, W, h):
    di, dj = _HALF[h]
    return (H - di, W - abs(dj))


def _pad_weights(w, H, W, h):
    """A (pairs) array of half direction h into the (H, W) layout indexed by the first site."""
    out = np.zeros((H, W))
    di, dj = _HALF[h]
    out[0:H - di, max(0, -dj):W - max(0, dj)] = w
    return out


def contrast_weights(image, *, scale: float = 1.0, beta=None, connectivity: int = 4):
    """Contrast-sensitive edge weights ``w_pq = scale * exp(-beta |I_p - I_q|^2) / dist(p, q)``.

    The prior is weak across strong edges of the image (Boykov & Jolly 2001; GrabCut).

    Parameters
    ----------
    image : array-like of shape (H, W) or (H, W, C)
        Grey or colour intensities (finite).
    scale : float
        Weight of a pair of equal intensities (>= 0).
    beta : float, optional
        Contrast sensitivity (>= 0); by default ``1 / (2 <|I_p - I_q|^2>)``, the mean over all
        pairs (0 for a constant image).
    connectivity : {4, 8}

    Returns
    -------
    tuple of ndarrays
        ``(horizontal (H, W-1), vertical (H-1, W))`` and for 8-connectivity also
        ``(diagonal (H-1, W-1) pairing (i, j)-(i+1, j+1), anti-diagonal (H-1, W-1) pairing
        (i, j+1)-(i+1, j))``: the ``weight`` argument of :class:`GridMRF`.

    Examples
    --------
    >>> img = np.array([[0., 0., 10.], [0., 0., 10.]])
    >>> wh, wv = contrast_weights(img)
    >>> wh.round(3).tolist(), wv.tolist()       # beta = 1 / (2 * 200 / 7)
    ([[1.0, 0.174], [1.0, 0.174]], [[1.0, 1.0, 1.0]])
    """
    img = check_array(image, "image", ndim=(2, 3), dtype_kind="iuf").astype(np.float64)
    check_finite(img, "image")
    if img.ndim == 2:
        img = img[..., None]
    s = check_scalar(scale, "scale", low=0)
    if isinstance(connectivity, bool) or connectivity not in (4, 8):
        raise ValueError(f"connectivity: expected 4 or 8, got {connectivity!r}")
    H, W = img.shape[:2]
    diffs = [np.sum((img[:, 1:] - img[:, :-1]) ** 2, axis=2),
             np.sum((img[1:, :] - img[:-1, :]) ** 2, axis=2)]
    if connectivity == 8:
        diffs.append(np.sum((img[1:, 1:] - img[:-1, :-1]) ** 2, axis=2))
        diffs.append(np.sum((img[1:, :-1] - img[:-1, 1:]) ** 2, axis=2))
    if beta is None:
        mean = np.mean(np.concatenate([d.ravel() for d in diffs])) if H * W > 1 else 0.0
        b = 1.0 / (2.0 * mean) if mean > 0 else 0.0
    else:
        b = check_scalar(beta, "beta", low=0)
    dist = (1.0, 1.0, np.sqrt(2.0), np.sqrt(2.0))
    return tuple(s * np.exp(-b * d) / dist[k] for k, d in enumerate(diffs))


class GridMRF:
    """Multi-label pairwise MRF on a grid (see the module docstring for the energy).

    Parameters
    ----------
    unary : array-like of shape (H, W, K)
        D_p(k), finite, K >= 2 labels.
    pairwise : {"potts", "truncated_linear", "truncated_quadratic"} or array of shape (K, K)
    weight : float or tuple of arrays
        One weight (>= 0) for every edge, or per-edge weights (>= 0): ``(horizontal (H, W-1),
        vertical (H-1, W))``, plus ``(diagonal (H-1, W-1), anti-diagonal (H-1, W-1))`` for
        8-connectivity (as :func:`contrast_weights` returns them). A scalar weight on the
        diagonals is divided by sqrt(2), like the contrast weights.
    truncation : float, optional
        T > 0 for the truncated costs; None for no truncation.
    connectivity : {4, 8}
    label_values : array-like of shape (K,), optional
        The values v_k the truncated costs compare (default 0..K-1), e.g. grey levels.

    Attributes
    ----------
    V : ndarray of shape (K, K)
        The pairwise table.
    wdir : ndarray of shape (D, H, W)
        Weight of the pair (i, j)-(i + di, j + dj) for the half directions (0, 1), (1, 0) and,
        for 8-connectivity, (1, 1), (1, -1); 0 where the neighbour is outside.
    is_metric : bool
        V satisfies the triangle inequality (alpha-expansion then has its factor bound).
    blocks : tuple
        The sampler's blocks: checkerboard colours (2 for 4-connectivity, 4 for 8).

    Examples
    --------
    >>> y = np.array([[0., 0., 9., 9.], [0., 4., 9., 9.]])        # grey values
    >>> levels = np.array([0., 4.5, 9.])
    >>> unary = (y[..., None] - levels) ** 2 / 8.0
    >>> m = GridMRF(unary, "truncated_linear", weight=1.0, truncation=4.5,
    ...             label_values=levels)
    >>> m.V.tolist()
    [[0.0, 4.5, 4.5], [4.5, 0.0, 4.5], [4.5, 4.5, 0.0]]
    >>> res = m.icm()
    >>> res.labels.tolist(), res.energy, res.converged
    ([[0, 0, 2, 2], [0, 0, 2, 2]], 11.0, True)
    >>> m.anneal(n_sweeps=20, rng=0).energy       # 2 for the pixel 4, 2 x 4.5 for the edge
    11.0
    """

    def __init__(self, unary, pairwise="potts", weight=1.0, truncation=None, connectivity=4,
                 label_values=None):
        u = check_array(unary, "unary", ndim=3, dtype_kind="iuf")
        check_finite(u, "unary")
        if u.shape[2] < 2:
            raise ValueError(f"unary: needs K >= 2 labels on its last axis, got shape {u.shape}")
        self.unary = np.ascontiguousarray(u, dtype=np.float64)
        H, W, K = self.unary.shape
        if isinstance(connectivity, bool) or connectivity not in (4, 8):
            raise ValueError(f"connectivity: expected 4 or 8, got {connectivity!r}")
        self.connectivity = int(connectivity)
        if label_values is None:
            vals = np.arange(K, dtype=np.float64)
        else:
            vals = check_array(label_values, "label_values", ndim=1, dtype_kind="iuf")
            check_finite(vals, "label_values")
            if vals.size != K:
                raise ValueError(f"label_values: expected {K} values (one per label), "
                                 f"got {vals.size}")
            vals = vals.astype(np.float64)
        self.label_values = vals
        if truncation is not None:
            truncation = check_scalar(truncation, "truncation", low=0, low_inclusive=False)
        self.truncation = truncation
        self.pairwise = pairwise if isinstance(pairwise, str) else "table"
        self.V = self._table(pairwise, vals, truncation, K)
        self.wdir = self._weights(weight, H, W)
        self.is_metric = self._metric(self.V)

    @staticmethod
    def _table(pairwise, vals, T, K):
        if isinstance(pairwise, str):
            if pairwise not in PAIRWISE:
                raise ValueError(f"pairwise: expected one of {PAIRWISE} or a (K, K) array, "
                                 f"got {pairwise!r}")
            d = vals[:, None] - vals[None, :]
            V = {"potts": (d != 0).astype(np.float64), "truncated_linear": np.abs(d),
                 "truncated_quadratic": d * d}[pairwise]
            return np.ascontiguousarray(V if T is None else np.minimum(V, T))
        V = check_array(pairwise, "pairwise", ndim=2, dtype_kind="iuf").astype(np.float64)
        check_finite(V, "pairwise")
        if V.shape != (K, K):
            raise ValueError(f"pairwise: expected a ({K}, {K}) table, got shape {V.shape}")
        if np.any(V < 0) or np.any(np.diag(V) != 0) or not np.array_equal(V, V.T):
            raise ValueError("pairwise: the table must be symmetric, >= 0 and 0 on the diagonal")
        return np.ascontiguousarray(V)

    @staticmethod
    def _metric(V):
        # V(a, c) <= V(a, b) + V(b, c) for all a, b, c
        return bool(np.all(V[:, None, :] <= V[:, :, None] + V[None, :, :] + 1e-12))

    def _weights(self, weight, H, W):
        D = self.connectivity // 2
        wdir = np.zeros((D, H, W))
        if not isinstance(weight, (tuple, list, np.ndarray)):
            w = check_scalar(weight, "weight", low=0)
            for h in range(D):
                wdir[h] = _pad_weights(np.full(_pair_shape(H, W, h), w / (1.0, 1.0, 2**0.5,
                                                                         2**0.5)[h]), H, W, h)
            return wdir
        if not isinstance(weight, (tuple, list)) or len(weight) != D:
            raise ValueError(f"weight: expected a scalar or a tuple of {D} per-edge arrays for "
                             f"connectivity {self.connectivity}, got {type(weight).__name__}"
                             + (f" of length {len(weight)}" if isinstance(weight, (tuple, list))
                                else ""))
        names = ("horizontal", "vertical", "diagonal", "anti-diagonal")
        for h in range(D):
            a = check_array(weight[h], f"weight[{h}]", dtype_kind="iuf", min_size=0)
            want = _pair_shape(H, W, h)
            if a.shape != want:
                raise ValueError(f"weight[{h}] ({names[h]}): expected shape {want}, "
                                 f"got {a.shape}")
            check_finite(a, f"weight[{h}]")
            if a.size and a.min() < 0:
                raise ValueError(f"weight[{h}] ({names[h]}): weights must be >= 0, "
                                 f"found {a.min()}")
            wdir[h] = _pad_weights(a.astype(np.float64), H, W, h)
        return wdir

    # ------------------------------------------------------------------ basics
    @property
    def shape(self) -> tuple[int, int]:
        return self.unary.shape[:2]

    @property
    def n_labels(self) -> int:
        return self.unary.shape[2]

    def check_labels(self, labels, name="labels") -> np.ndarray:
        """Validate integer labels of shape (H, W) in [0, K); return them as int32."""
        f = check_array(labels, name, ndim=2, dtype_kind="iu")
        if f.shape != self.shape:
            raise ValueError(f"{name}: expected shape {self.shape}, got {f.shape}")
        if f.min() < 0 or f.max() >= self.n_labels:
            raise ValueError(f"{name}: labels must be in [0, {self.n_labels}), found "
                             f"{int(f.min())}..{int(f.max())}")
        return np.ascontiguousarray(f, dtype=np.int32)

    def initial_state(self, labels0=None) -> np.ndarray:
        """A fresh int32 labeling: ``labels0`` checked, or the cheapest unary label per site."""
        if labels0 is None:
            return np.ascontiguousarray(np.argmin(self.unary, axis=2), dtype=np.int32)
        return self.check_labels(labels0, "labels0").copy()

    def energy(self, labels) -> float:
        """E(labels), exactly (float64 sums).

        Examples
        --------
        >>> m = PottsModel(np.zeros((1, 3, 2)), weight=2.0)
        >>> m.energy(np.array([[0, 1, 1]]))
        2.0
        """
        f = self.check_labels(labels)
        return self._energy(f)

    def _energy(self, f) -> float:
        H, W = f.shape
        e = float(np.take_along_axis(self.unary, f[..., None].astype(np.int64), 2).sum())
        for h in range(self.wdir.shape[0]):
            di, dj = _HALF[h]
            j0, j1 = max(0, -dj), W - max(0, dj)
            a = f[0:H - di, j0:j1]
            b = f[di:H, j0 + dj:j1 + dj]
            e += float(np.sum(self.wdir[h, 0:H - di, j0:j1] * self.V[a, b]))
        return e

    def to_networkx(self) -> nx.Graph:
        """The grid graph, nodes (i, j), edges with their ``weight``."""
        g = nx.Graph()
        H, W = self.shape
        g.add_nodes_from((i, j) for i in range(H) for j in range(W))
        for h in range(self.wdir.shape[0]):
            di, dj = _HALF[h]
            for i, j in zip(*np.nonzero(self.wdir[h])):
                g.add_edge((int(i), int(j)), (int(i + di), int(j + dj)),
                           weight=float(self.wdir[h, i, j]))
        return g

    def to_markov_network(self, temperature: float = 1.0, *, max_sites: int = 400):
        """p(f) ∝ exp(−E(f) / T) as a :class:`pgm.MarkovNetwork` (small grids only), for the
        exact and approximate engines of :mod:`pgm.inference`.

        Variables are the sites ``(i, j)`` with states ``0..K-1``; one unary factor per site,
        exp(−D_p / T), and one pairwise factor per edge of :meth:`to_networkx`,
        exp(−w_pq V / T). ``max_sites`` (default 400) refuses larger grids: exact inference
        on an H × W grid builds tables of about K^min(H, W) entries.

        Examples
        --------
        >>> from pgm import VariableElimination
        >>> m = PottsModel(np.array([[[0., 2.], [1., 0.], [0., 2.]]]), weight=1.0)
        >>> mn = m.to_markov_network()
        >>> ve = VariableElimination(mn)
        >>> ve.map_query()                    # the exact minimiser of E: every site label 0
        {(0, 0): 0, (0, 1): 0, (0, 2): 0}
        """
        T = check_scalar(temperature, "temperature", low=0, low_inclusive=False)
        cap = check_scalar(max_sites, "max_sites", low=1, integer=True)
        H, W = self.shape
        if H * W > cap:
            raise ValueError(
                f"to_markov_network: the grid has {H}x{W} = {H * W} sites, more than "
                f"max_sites={cap}; exact inference on it builds tables of about "
                f"{self.n_labels}^min(H, W) entries; use alpha_expansion, loopy_bp or icm on "
                "this model, or pass a larger max_sites=")
        fs = [DiscreteFactor([(i, j)], np.exp(-self.unary[i, j] / T))
              for i in range(H) for j in range(W)]
        fs += [DiscreteFactor([u, v], np.exp(-d["weight"] * self.V / T))
               for u, v, d in self.to_networkx().edges(data=True)]
        return MarkovNetwork(fs)

    # ------------------------------------------------------------------ sampler protocol
    @property
    def blocks(self) -> tuple:
        return (0, 1) if self.connectivity == 4 else (0, 1, 2, 3)

    def sample_block(self, state, block, temperature: float, rng) -> int:
        """Update one colour in place: the cheapest label at T = 0, a draw at T > 0."""
        u = rng.random(self.shape) if temperature > 0 else np.zeros((1, 1))
        cost = np.empty(self.n_labels)
        kernels = PK if use_jit("energy.potts", state.size) else PR
        return int(kernels.sample_colour(state, self.unary, self.wdir, self.V, int(block),
                                    len(self.blocks), float(temperature), u, cost))

    def state_energy(self, state) -> float:
        return self._energy(state)

    # ------------------------------------------------------------------ sweeping minimisers
    def icm(self, labels0=None, *, max_sweeps: int = 100, progress=None) -> MRFResult:
        """Iterated conditional modes (the block-Gibbs sampler at T = 0) from ``labels0``
        (default: the cheapest unary label); stops at a sweep that changes nothing."""
        state = self.initial_state(labels0)
        res = block_gibbs(self, state, temperature=0.0, max_sweeps=max_sweeps, progress=progress)
        return MRFResult(state, self._energy(state), "icm", res.energies, res.converged,
                         res.seconds)

    def anneal(self, schedule=None, *, t_start: float = 2.0, t_end: float = 0.02,
               n_sweeps: int = 100, labels0=None, rng=None, progress=None) -> MRFResult:
        """Simulated annealing: Gibbs sweeps along a cooling schedule (geometric from
        ``t_start`` to ``t_end`` by default), then ICM sweeps (at most 100) to a fixed point."""
        if schedule is None:
            schedule = temperature_schedule(t_start, t_end, n_sweeps)
        gen = check_rng(rng)
        state = self.initial_state(labels0)
        t0 = time.perf_counter()
        res = block_gibbs(self, state, temperature=schedule, rng=gen, progress=progress)
        fin = block_gibbs(self, state, temperature=0.0, max_sweeps=100, progress=progress)
        energies = np.concatenate([res.energies, fin.energies])
        return MRFResult(state, self._energy(state), "anneal", energies, fin.converged,
                         time.perf_counter() - t0, {"sampler": (res, fin)})


class PottsModel(GridMRF):
    """The Potts model: :class:`GridMRF` with V(a, b) = [a != b].

    Examples
    --------
    >>> m = PottsModel(np.zeros((2, 2, 3)), weight=0.5)
    >>> m.V.tolist()
    [[0.0, 1.0, 1.0], [1.0, 0.0, 1.0], [1.0, 1.0, 0.0]]
    """

    def __init__(self, unary, weight=1.0, connectivity=4):
        super().__init__(unary, "potts", weight=weight, connectivity=connectivity)

