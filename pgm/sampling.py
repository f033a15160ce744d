"""Sampling from discrete Bayesian networks: ancestral, rejection, likelihood weighting.

* :func:`forward_sample` — ancestral sampling, vectorised over rows: nodes are visited in
  topological order and each node draws all N rows at once by inverse-CDF lookup in the
  column of its CPD chosen by the parents' sampled states.
* :func:`rejection_sample` — forward samples that match the evidence, with a bound on the
  number of draws (never loops forever on unlikely or impossible evidence).
* :func:`likelihood_weighting` — evidence clamped, each row weighted by Π p(e_v | pa_v);
  all-zero weights are an error, never a NaN estimate.

Gibbs sampling of a network goes through the library's one block-Gibbs sampler:
:class:`energy.sampling.BayesNetGibbs` and :func:`energy.sampling.gibbs_marginals` (``pgm``
does not import ``energy``).

Samples are ``ndarray of shape (n_samples, n_nodes)`` of state indices, columns in
``model.nodes`` order, of the smallest signed integer dtype holding every state.

Examples
--------
>>> from pgm.bayesnet import BayesianNetwork
>>> from pgm.cpd import TabularCPD
>>> bn = BayesianNetwork([("Rain", "Wet")])
>>> bn.add_cpds(TabularCPD("Rain", 2, [0.8, 0.2]),
...             TabularCPD("Wet", 2, [[0.9, 0.1], [0.1, 0.9]], ["Rain"], [2]))
>>> X = forward_sample(bn, 100_000, rng=0)
>>> X.shape, round(float(X[:, 0].mean()), 2)
((100000, 2), 0.2)
"""

from __future__ import annotations

import numpy as np

from ._sampling_ref import draw_node_ref
from .errors import ImpossibleEvidenceError
from .runtime import check_alloc, check_rng, check_scalar
from .runtime.jit import lazy_module, use_jit

_K = lazy_module("pgm._sampling_kernels")

__all__ = ["forward_sample", "rejection_sample", "likelihood_weighting",
           "likelihood_weighted_marginals"]


def _state_dtype(max_card):
    for dt in (np.int8, np.int16, np.int32):
        if max_card <= np.iinfo(dt).max:
            return dt
    return np.int64


class _Plan:
    """Per-node lookup tables for sampling (thresholds of the inverse CDF)."""

    def __init__(self, model):
        model.check_model()
        self.nodes = model.nodes
        self.col = {v: i for i, v in enumerate(self.nodes)}
        self.order = [self.col[v] for v in model.topological_order()]
        self.cpds = [model.get_cpd(v) for v in self.nodes]
        self.cards = np.array([c.cardinality for c in self.cpds])
        self.dtype = _state_dtype(int(self.cards.max()))
        self.parent_cols = []
        self.strides = []
        self.thresholds = []
        for cpd in self.cpds:
            self.parent_cols.append([self.col[p] for p in cpd.parents])
            pc = np.array(cpd.parents_card, dtype=np.int64)
            st = np.ones(len(pc), dtype=np.int64)
            if len(pc) > 1:
                st[:-1] = np.cumprod(pc[::-1])[:-1][::-1]
            self.strides.append(st)
            p = cpd.values.T  # (n_cols, card)
            thr = np.cumsum(p, axis=1)[:, :-1]
            tail = np.cumsum(p[:, ::-1], axis=1)[:, ::-1][:, 1:]  # mass of states > k
            thr = np.where(tail > 0, thr, np.inf)  # states of zero mass are never drawn
            self.thresholds.append(np.ascontiguousarray(thr))
        self.cols_arr = [np.array(c, dtype=np.int64) for c in self.parent_cols]

    def column_index(self, X, k):
        cols = self.parent_cols[k]
        if not cols:
            return None
        idx = X[:, cols[0]].astype(np.intp) * self.strides[k][0]
        for c, s in zip(cols[1:], self.strides[k][1:]):
            idx += X[:, c].astype(np.intp) * s
        return idx

    def draw(self, X, k, u):
        """Draw column ``k`` of ``X`` in place (numba kernel, one pass over the rows; numpy
        below the size where compiling it pays)."""
        draw = _K.draw_node if use_jit("pgm.forward_sample", X.size) else draw_node_ref
        draw(X, k, self.cols_arr[k], self.strides[k], self.thresholds[k], u)


def forward_sample(model, n_samples, rng=None, evidence=None, as_frame=False, _plan=None):
    """Ancestral (forward) samples of the joint.

    Parameters
    ----------
    model : BayesianNetwork
    n_samples : int
    rng : None, int or numpy.random.Generator
    evidence : dict, optional
        Clamp these nodes to the given states (their CPDs are not sampled; this is the
        proposal of likelihood weighting, *not* conditioning).
    as_frame : bool
        Return a pandas DataFrame of state labels (needs pandas; ImportError otherwise).

    Returns
    -------
    ndarray of shape (n_samples, n_nodes), or DataFrame
        State indices, columns in ``model.nodes`` order (or their labels in a DataFrame).
    """
    if as_frame:
        try:
            # function-level on purpose: pandas is a heavy optional dependency, needed only here
            import pandas as pd
        except ImportError:
            raise ImportError("forward_sample(as_frame=True) needs pandas, which is not installed "
                              "(pip install pandas), or use as_frame=False for an array of state "
                              "indices") from None
        X = forward_sample(model, n_samples, rng, evidence, _plan=_plan)
        return pd.DataFrame({v: _labels(model.get_cpd(v).state_names[v], X[:, k])
                             for k, v in enumerate(model.nodes)})
    n = check_scalar(n_samples, "n_samples", low=1, integer=True)
    gen = check_rng(rng)
    plan = _Plan(model) if _plan is None else _plan
    # refused up front (naming n_samples), not a MemoryError half way
    check_alloc((n, len(plan.nodes)), plan.dtype, "n_samples", n)
    ev = model.encode_evidence(evidence)
    # column-major while drawing (each node writes one contiguous column), row-major out
    X = np.empty((n, len(plan.nodes)), dtype=plan.dtype, order="F")
    for k in plan.order:
        v = plan.nodes[k]
        if v in ev:
            X[:, k] = ev[v]
        else:
            plan.draw(X, k, gen.random(n))
    return np.ascontiguousarray(X)


def _labels(names, idx):
    """The state names at ``idx``: an int array when the names are ints, else object."""
    if all(isinstance(x, (int, np.integer)) and not isinstance(x, bool) for x in names):
        return np.asarray(names, dtype=np.int64)[idx]
    arr = np.empty(len(names), dtype=object)
    arr[:] = list(names)
    return arr[idx]


def likelihood_weighting(model, n_samples, evidence, rng=None):
    """Samples with the evidence clamped and their likelihood weights.

    Parameters
    ----------
    model : BayesianNetwork
    n_samples : int
    evidence : dict
        ``{variable: state}``.
    rng : None, int or numpy.random.Generator

    Returns
    -------
    X : ndarray of shape (n_samples, n_nodes)
    weights : ndarray of shape (n_samples,)
        Π_{v in evidence} p(e_v | sampled parents of v).
    """
    gen = check_rng(rng)
    plan = _Plan(model)
    ev = model.encode_evidence(evidence)
    X = forward_sample(model, n_samples, gen, evidence, _plan=plan)
    w = np.ones(X.shape[0])
    for v, s in ev.items():
        k = plan.col[v]
        j = plan.column_index(X, k)
        col = plan.cpds[k].values[s]
        w *= col[0] if j is None else col[j]
    return X, w


def likelihood_weighted_marginals(model, n_samples, evidence, rng=None) -> dict:
    """Estimates of every non-evidence single-node posterior marginal by likelihood weighting.

    Raises
    ------
    ValueError
        All weights are zero (the evidence is impossible, or too unlikely for ``n_samples``).
    """
    X, w = likelihood_weighting(model, n_samples, evidence, rng)
    tot = w.sum()
    ev = model.encode_evidence(evidence)
    if not tot > 0:
        raise ImpossibleEvidenceError(
            f"evidence: all {X.shape[0]} likelihood weights are zero; the evidence {evidence!r} is "
            "impossible or too unlikely for this many samples")
    out = {}
    for k, v in enumerate(model.nodes):
        if v in ev:
            continue
        out[v] = np.bincount(X[:, k], weights=w, minlength=model.get_cpd(v).cardinality) / tot
    return out


def rejection_sample(model, n_samples, evidence, rng=None, max_draws=10_000_000,
                     batch_size=None):
    """Forward samples conditioned on ``evidence`` by rejection, with a bound.

    Parameters
    ----------
    model : BayesianNetwork
    n_samples : int
        Accepted rows wanted.
    evidence : dict
    rng : None, int or numpy.random.Generator
    max_draws : int
        At most this many forward samples are drawn in all.
    batch_size : int, optional
        Rows per forward-sampling batch (default ``max(10_000, 2 * n_samples)``).

    Returns
    -------
    ndarray of shape (n_samples, n_nodes)

    Raises
    ------
    ValueError
        Fewer than ``n_samples`` rows matched the evidence within ``max_draws`` draws.
    """
    n = check_scalar(n_samples, "n_samples", low=1, integer=True)
    cap = check_scalar(max_draws, "max_draws", low=1, integer=True)
    gen = check_rng(rng)
    plan = _Plan(model)
    ev = model.encode_evidence(evidence)
    bs = max(10_000, 2 * n) if batch_size is None else check_scalar(batch_size, "batch_size",
                                                                      low=1, integer=True)
    got = []
    n_got = 0
    drawn = 0
    while n_got < n:
        if drawn >= cap:
            raise ImpossibleEvidenceError(
                f"rejection_sample: only {n_got} of {drawn} draws matched the evidence {evidence!r} "
                f"(max_draws={cap}); the evidence is impossible or too unlikely — use "
                "likelihood weighting, Gibbs sampling or exact inference")
        m = min(bs, cap - drawn)
        X = forward_sample(model, m, gen, _plan=plan)
        drawn += m
        ok = np.ones(m, dtype=bool)
        for v, s in ev.items():
            ok &= X[:, plan.col[v]] == s
        if ok.any():
            got.append(X[ok])
            n_got += int(ok.sum())
    return np.concatenate(got)[:n]
