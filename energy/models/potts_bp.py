"""Loopy belief propagation, min-sum (max-product in the log domain), on a grid MRF.

Messages m_{p->q}(l) = min_k [D_p(k) + Σ_{r~p, r!=q} m_{r->p}(k) + w_pq V(k, l)], shifted so
that their minimum is 0, updated for all edges at once (synchronous, vectorised numpy) and
damped: m <- (1 - damping) m_new + damping m_old. Beliefs b_p = D_p + Σ_r m_{r->p}; the
labels are their argmins. On a tree (a chain, a single row or column) the fixed point is
exact: b_p(k) - min b_p are the min-marginals min_{f: f_p = k} E(f) - min E.

The minimisation over k costs O(K) per message for the Potts table and for the truncated
linear one on sorted label values (two passes of a distance transform, Felzenszwalb &
Huttenlocher 2006), O(K^2) for any other table (one label at a time, memory O(K n)).
Arrays are held label-first, (K, H, W), so that every step works on contiguous planes.
"""

from __future__ import annotations

import time

import numpy as np

from pgm.runtime import check_scalar

from energy.models.potts import GridMRF, MRFResult

__all__ = ["loopy_bp"]

_HALF = ((0, 1), (1, 0), (1, 1), (1, -1))


def _slices(H, W, h):
    di, dj = _HALF[h]
    j0, j1 = max(0, -dj), W - max(0, dj)
    return (slice(0, H - di), slice(j0, j1)), (slice(di, H), slice(j0 + dj, j1 + dj))


def _kind(model):
    V = model.V
    K = V.shape[0]
    if model.pairwise == "potts" or np.array_equal(V, V[0, 1] * (1.0 - np.eye(K))):
        return "potts"
    vals = model.label_values
    if model.pairwise == "truncated_linear" and np.all(np.diff(vals) > 0):
        return "linear"
    return "table"


def _min_convolve(hv, w, model, kind):
    """out[l] = min_k hv[k] + w V(k, l); hv (K, h, w) label-first, w (h, w)."""
    V = model.V
    K = V.shape[0]
    if kind == "potts":
        return np.minimum(hv, hv.min(axis=0) + w * V[0, 1])
    if kind == "linear":
        out = hv.copy()
        step = np.diff(model.label_values)
        for k in range(1, K):
            np.minimum(out[k], out[k - 1] + w * step[k - 1], out=out[k])
        for k in range(K - 2, -1, -1):
            np.minimum(out[k], out[k + 1] + w * step[k], out=out[k])
        if model.truncation is not None:
            np.minimum(out, hv.min(axis=0) + w * model.truncation, out=out)
        return out
    out = np.empty_like(hv)
    for l in range(K):
        out[l] = np.min(hv + w * V[:, l, None, None], axis=0)
    return out


def loopy_bp(model: GridMRF, *, max_iter: int = 50, damping: float = 0.5, tol: float = 1e-6,
             record_energy: bool = True) -> MRFResult:
    """Min-sum loopy belief propagation on the grid.

    Parameters
    ----------
    model : GridMRF
    max_iter : int
        Synchronous iterations at most (>= 1).
    damping : float
        In [0, 1): weight of the old message.
    tol : float
        Stop when no message changed by more than ``tol`` (>= 0).
    record_energy : bool
        Decode and record the energy after every iteration (else only at the end).

    Returns
    -------
    MRFResult
        ``labels`` = argmin of the beliefs; ``extra["beliefs"]`` float64 (H, W, K) shifted to
        minimum 0 per site; ``extra["n_iter"]``; ``energies`` per iteration.

    Examples
    --------
    >>> import numpy as np
    >>> from energy.models.potts import PottsModel
    >>> unary = np.array([[[0., 2.], [1., 0.], [0., 2.]]])        # a chain of 3 sites
    >>> res = loopy_bp(PottsModel(unary, weight=1.0))
    >>> res.labels.tolist(), res.energy, res.converged
    ([[0, 0, 0]], 1.0, True)
    """
    if not isinstance(model, GridMRF):
        raise TypeError(f"model: expected a GridMRF, got {type(model).__name__}")
    n_iter = check_scalar(max_iter, "max_iter", low=1, integer=True)
    lam = check_scalar(damping, "damping", low=0, high=1, high_inclusive=False)
    tol = check_scalar(tol, "tol", low=0)
    t0 = time.perf_counter()
    H, W, K = model.unary.shape
    kind = _kind(model)
    D = model.wdir.shape[0]
    unary = np.ascontiguousarray(model.unary.transpose(2, 0, 1))          # (K, H, W)
    sl = [_slices(H, W, h) for h in range(D)]
    wts = [model.wdir[h][sl[h][0]] for h in range(D)]
    # fwd[h]: messages p -> q = p + (di, dj), stored at q; bwd[h]: q -> p, stored at p
    fwd = [np.zeros((K, H, W)) for _ in range(D)]
    bwd = [np.zeros((K, H, W)) for _ in range(D)]
    energies, converged, it = [], False, 0
    for it in range(1, n_iter + 1):
        b = unary + sum(fwd) + sum(bwd)
        delta = 0.0
        for h in range(D):
            ps, qs = sl[h]
            for src, dst, back, store in ((ps, qs, bwd[h], fwd[h]), (qs, ps, fwd[h], bwd[h])):
                src, dst = (slice(None),) + src, (slice(None),) + dst
                new = _min_convolve(b[src] - back[src], wts[h], model, kind)
                new -= new.min(axis=0)
                if lam > 0:
                    new *= 1.0 - lam
                    new += lam * store[dst]
                if new.size:
                    delta = max(delta, float(np.max(np.abs(new - store[dst]))))
                store[dst] = new
        if record_energy:
            energies.append(model._energy(_decode(unary, fwd, bwd)))
        if delta <= tol:
            converged = True
            break
    beliefs = unary + sum(fwd) + sum(bwd)
    beliefs -= beliefs.min(axis=0)
    f = _decode(beliefs, [], [])
    beliefs = np.ascontiguousarray(beliefs.transpose(1, 2, 0))
    return MRFResult(f, model._energy(f), "loopy_bp", np.array(energies), converged,
                     time.perf_counter() - t0, {"beliefs": beliefs, "n_iter": it})


def _decode(unary, fwd, bwd):
    b = unary + sum(fwd) + sum(bwd)
    return np.ascontiguousarray(np.argmin(b, axis=0), dtype=np.int32)
