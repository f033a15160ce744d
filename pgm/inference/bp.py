"""Loopy belief propagation on the factor graph (sum-product and max-product, log space).

:class:`LoopyBP` runs on a :class:`~pgm.markov.MarkovNetwork` or a
:class:`~pgm.bayesnet.BayesianNetwork` (moralised by ``to_markov_network``). Evidence is
entered by slicing the factors. Messages live in log space, in two arrays of shape
``(n_edges, max_cardinality)`` (factor → variable ``nu``, variable → factor ``mu``; states
beyond a variable's cardinality hold ``-inf``), and one update handles all the factors of one
table shape at once:

* ``nu[a→i](x_i) = log Σ_{x_a \\ x_i} φ_a(x_a) Π_{j ∈ a, j ≠ i} exp mu[j→a](x_j)`` (max
  instead of the sum for max-product), normalised to sum 1;
* ``mu[i→a](x_i) = Σ_{b ∋ i, b ≠ a} nu[b→i](x_i)`` (a -inf — a zero — counted apart, so that
  leaving one message out never computes -inf - (-inf)).

``schedule="parallel"`` updates every message from the previous iteration's (flooding);
``"sequential"`` visits the factors one by one, each seeing the messages already updated in
the sweep (a Python loop per factor: for small models). ``damping`` λ mixes each new message
with the old one in probability space, ``(1 − λ) new + λ old``. On a tree (a factor graph
without cycles) BP is exact: the marginals, the max-marginals and the Bethe free energy
(:meth:`LoopyBP.log_partition_function`) equal the exact ones at convergence.

Examples
--------
>>> from pgm.factor import DiscreteFactor
>>> from pgm.markov import MarkovNetwork
>>> mn = MarkovNetwork([DiscreteFactor(["A", "B"], [[4.0, 1.0], [1.0, 4.0]]),
...                     DiscreteFactor(["A"], [1.0, 3.0])])
>>> bp = LoopyBP(mn)
>>> bp.run().converged
True
>>> bp.marginals(variables=["B"])["B"].round(4).tolist()     # exact: (1*4 + 3*1, 1*1 + 3*4) / 20
[0.35, 0.65]
>>> bp.map_query()
{'A': 1, 'B': 1}
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np

from ..errors import ImpossibleEvidenceError, evidence_message
from ..runtime import check_scalar

__all__ = ["LoopyBP", "BPReport"]

_SCHEDULES = ("parallel", "sequential")


@dataclass
class BPReport:
    """What a run of :meth:`LoopyBP.run` did.

    Attributes
    ----------
    iterations : int
        Sweeps done (each updates every message once).
    converged : bool
        The largest change of a message (in probability) in the last sweep was <= ``tol``.
    max_change : float
        That largest change.
    mode : str
        ``"sum"`` (marginals) or ``"max"`` (MAP).
    """

    iterations: int
    converged: bool
    max_change: float
    mode: str


def _lse(x, axes):
    """log Σ exp over ``axes`` (tuple), exact for rows of -inf (result -inf)."""
    m = x.max(axis=axes, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    with np.errstate(divide="ignore"):
        return np.log(np.exp(x - m).sum(axis=axes)) + m.reshape(
            [s for k, s in enumerate(m.shape) if k not in axes])


def _normalise(nu):
    """Rows of log messages shifted to log-probabilities (a row of -inf stays)."""
    z = _lse(nu, (1,))
    return nu - np.where(np.isfinite(z), z, 0.0)[:, None]


class _FactorGraph:
    """The factor graph of a Markov network with evidence, laid out for the updates."""

    def __init__(self, mn, ev, sequential):
        names = mn.state_names
        self.free = [v for v in mn.variables if v not in ev]
        vid = {v: k for k, v in enumerate(self.free)}
        cards = mn.cardinality
        self.cards = np.array([cards[v] for v in self.free], dtype=np.int64)
        self.K = int(self.cards.max()) if len(self.free) else 1
        self.log_const = 0.0  # log of the factors that the evidence fixes completely
        edge_var, tabs, scopes = [], [], []
        for f in mn.factors:
            t = f.values
            if any(v in ev for v in f.variables):
                t = t[tuple(ev.get(v, slice(None)) for v in f.variables)]
            sc = [v for v in f.variables if v not in ev]
            if not sc:
                c = float(t)
                if not c > 0:
                    raise ImpossibleEvidenceError(
                        f"evidence: {evidence_message(ev, names)} has probability zero under "
                        "the model (a factor over observed variables only is 0 there)")
                self.log_const += math.log(c)
                continue
            with np.errstate(divide="ignore"):
                tabs.append(np.log(t))
            scopes.append([vid[v] for v in sc])
        self.n_edges = sum(len(s) for s in scopes)
        # groups of factors with the same table shape: (log tables (G, *shape), edges (G, k))
        by_shape: dict = {}
        e = 0
        self.factor_edges = []
        for t, sc in zip(tabs, scopes):
            ids = list(range(e, e + len(sc)))
            e += len(sc)
            edge_var.extend(sc)
            self.factor_edges.append((t, ids))
            by_shape.setdefault(t.shape, []).append((t, ids))
        self.edge_var = np.array(edge_var, dtype=np.int64)
        if sequential:
            self.groups = [(t[None], np.array([ids], dtype=np.int64))
                           for t, ids in self.factor_edges]
        else:
            self.groups = [(np.stack([t for t, _ in fs]), np.array([i for _, i in fs], np.int64))
                           for fs in by_shape.values()]
        self.degree = np.bincount(self.edge_var, minlength=len(self.free))
        pad = np.arange(self.K)[None, :] >= self.cards[self.edge_var][:, None]
        self.pad = pad  # (n_edges, K): states beyond the variable's cardinality

    def totals(self, nu):
        """Σ over the edges of each variable of ``nu``: finite part and count of -inf."""
        fin = np.where(np.isfinite(nu), nu, 0.0)
        ninf = (nu == -np.inf).astype(np.float64)
        n = len(self.free)
        tf = np.stack([np.bincount(self.edge_var, fin[:, k], n) for k in range(self.K)], 1)
        ti = np.stack([np.bincount(self.edge_var, ninf[:, k], n) for k in range(self.K)], 1)
        return fin, ninf, tf, ti

    def mu(self, nu, edges=None):
        """Variable → factor messages (all edges, or ``edges``), normalised."""
        fin, ninf, tf, ti = self.totals(nu)
        ev = self.edge_var if edges is None else self.edge_var[edges]
        fe = fin if edges is None else fin[edges]
        ie = ninf if edges is None else ninf[edges]
        out = tf[ev] - fe
        out[(ti[ev] - ie) > 0.5] = -np.inf
        return _normalise(out)

    def beliefs(self, nu):
        """Log beliefs of the free variables, normalised, shape (n_free, K)."""
        _, _, tf, ti = self.totals(nu)
        b = np.where(ti > 0.5, -np.inf, tf)
        return _normalise(b)

    @staticmethod
    def incoming(T, mus, skip):
        """``T`` plus the messages ``mus`` (one per axis after the first) except ``skip``."""
        S = T
        k = T.ndim - 1
        for q, m in enumerate(mus):
            if q != skip:
                shape = [m.shape[0]] + [1] * k
                shape[q + 1] = m.shape[1]
                S = S + m.reshape(shape)
        return S

    def update(self, group, mu, nu_out, mode):
        """Factor → variable messages of one group into ``nu_out`` (unnormalised)."""
        T, E = group
        k = T.ndim - 1
        mus = [mu[E[:, p], :T.shape[p + 1]] for p in range(k)]
        for p in range(k):
            S = self.incoming(T, mus, p)
            axes = tuple(a for a in range(1, k + 1) if a != p + 1)
            if not axes:
                r = S
            elif mode == "sum":
                r = _lse(S, axes)
            else:
                r = S.max(axis=axes)
            nu_out[E[:, p], :T.shape[p + 1]] = r


class LoopyBP:
    """Loopy belief propagation: approximate marginals (sum-product) and MAP (max-product).

    Parameters
    ----------
    model : MarkovNetwork or BayesianNetwork
        A Bayesian network is moralised (:meth:`~pgm.bayesnet.BayesianNetwork.to_markov_network`);
        a change of the model after construction is noticed (its ``_version``).
    damping : float in [0, 1)
        Weight λ of the old message: ``(1 − λ) new + λ old`` (in probability space).
    max_iter : int
        Most sweeps per run.
    tol : float
        A run has converged when no message changed by more than ``tol`` (in probability).
    schedule : {"parallel", "sequential"}
        All messages from the previous sweep's, or factor after factor.

    Attributes
    ----------
    report_ : BPReport or None
        The report of the latest run.

    Examples
    --------
    >>> from pgm.factor import DiscreteFactor
    >>> from pgm.markov import MarkovNetwork
    >>> tri = [DiscreteFactor([a, b], [[1.0, 3.0], [3.0, 1.0]]) for a, b in ("AB", "BC", "CA")]
    >>> bp = LoopyBP(MarkovNetwork(tri), damping=0.5)
    >>> rep = bp.run()
    >>> rep.converged, rep.iterations < 100
    (True, True)
    """

    def __init__(self, model, damping=0.0, max_iter=100, tol=1e-8, schedule="parallel"):
        kind = getattr(type(model), "_inference_kind", None)
        if kind not in ("directed", "undirected"):
            raise TypeError("model: expected a MarkovNetwork or a BayesianNetwork, got "
                            f"{type(model).__name__}")
        self.model = model
        self.damping = check_scalar(damping, "damping", low=0, high=1, high_inclusive=False)
        self.max_iter = check_scalar(max_iter, "max_iter", low=1, integer=True)
        self.tol = check_scalar(tol, "tol", low=0)
        if schedule not in _SCHEDULES:
            raise ValueError(f"schedule: expected one of {_SCHEDULES}, got {schedule!r}")
        self.schedule = schedule
        self.report_ = None
        self._mn = None
        self._seen = None
        self._last = None  # (key, graph, nu, report)

    def _network(self):
        """The Markov network (rebuilt when the model changed)."""
        if self._mn is None or self._seen != self.model._version:
            if self.model._inference_kind == "directed":
                self._mn = self.model.to_markov_network()
            else:
                self.model.check_model()
                self._mn = self.model
            self._seen = self.model._version
            self._last = None
        return self._mn

    def run(self, evidence=None, mode="sum") -> BPReport:
        """Pass messages until they change by at most ``tol`` or ``max_iter`` sweeps.

        Parameters
        ----------
        evidence : dict, optional
            ``{variable: state}``.
        mode : {"sum", "max"}
            Sum-product (marginals) or max-product (MAP).

        Returns
        -------
        BPReport
        """
        if mode not in ("sum", "max"):
            raise ValueError(f"mode: expected 'sum' or 'max', got {mode!r}")
        mn = self._network()
        ev = mn.encode_evidence(evidence)
        g = _FactorGraph(mn, ev, self.schedule == "sequential")
        E, K = g.n_edges, g.K
        nu = np.where(g.pad, -np.inf, -np.log(g.cards[g.edge_var])[:, None]) if E else \
            np.zeros((0, K))
        lam = self.damping
        change, it = 0.0, 0
        for it in range(1, self.max_iter + 1):
            if self.schedule == "parallel":
                new = np.full_like(nu, -np.inf)
                mu = g.mu(nu)
                for grp in g.groups:
                    g.update(grp, mu, new, mode)
                new, change = self._mix(g, nu, new, lam)
                nu = new
            else:
                change = 0.0
                for grp in g.groups:
                    edges = grp[1][0]
                    mu = np.full_like(nu, -np.inf)
                    mu[edges] = g.mu(nu, edges)
                    new = nu.copy()
                    g.update(grp, mu, new, mode)
                    new[edges], d = self._mix(g, nu[edges], new[edges], lam)
                    nu = new
                    change = max(change, d)
            if change <= self.tol:
                break
        rep = BPReport(iterations=it, converged=bool(change <= self.tol),
                       max_change=float(change), mode=mode)
        self.report_ = rep
        self._last = ((mode, frozenset(ev.items())), g, nu, ev, rep)
        return rep

    @staticmethod
    def _mix(g, old, new, lam):
        """Normalise ``new``, damp it with ``old``; return it and the largest change."""
        new = _normalise(new)
        if np.isneginf(new).all(axis=1).any():
            raise ImpossibleEvidenceError(
                "LoopyBP: a message vanished (every state has probability zero): the evidence "
                "is impossible or contradicts hard zeros of the factors")
        p_old, p_new = np.exp(old), np.exp(new)
        if lam > 0:
            p_new = (1.0 - lam) * p_new + lam * p_old
            with np.errstate(divide="ignore"):
                new = np.log(p_new)
        d = float(np.abs(p_new - p_old).max()) if p_new.size else 0.0
        return new, d

    def _state(self, evidence, mode):
        mn = self._network()
        ev = mn.encode_evidence(evidence)
        key = (mode, frozenset(ev.items()))
        if self._last is None or self._last[0] != key:
            self.run(evidence, mode)
        _, g, nu, ev, rep = self._last
        if not rep.converged:
            warnings.warn(f"LoopyBP: no convergence in {rep.iterations} sweeps (largest "
                          f"message change {rep.max_change:.3g} > tol={self.tol:g}); the "
                          "result is approximate — try damping= or more max_iter=",
                          RuntimeWarning, stacklevel=3)
        return mn, g, nu, ev

    def marginals(self, evidence=None, variables=None) -> dict:
        """Approximate P(X | evidence) of single variables (sum-product beliefs).

        Parameters
        ----------
        evidence : dict, optional
        variables : list, optional
            Default every non-evidence variable (the order of :meth:`JunctionTree.marginals`).

        Returns
        -------
        dict
            ``{variable: ndarray of shape (cardinality,)}``, each summing to 1 (exact on a
            tree at convergence).
        """
        mn, g, nu, ev = self._state(evidence, "sum")
        free = {v: k for k, v in enumerate(g.free)}
        if variables is None:
            variables = list(g.free)
        else:
            if isinstance(variables, (str, bytes)) or not isinstance(variables, (list, tuple)):
                variables = [variables]
            for v in variables:
                if v not in mn:
                    raise ValueError(f"variables: {v!r} is not a variable of the network")
                if v in ev:
                    raise ValueError(f"variables: {v!r} is also an evidence variable")
        b = np.exp(g.beliefs(nu))
        return {v: b[free[v], :g.cards[free[v]]].copy() for v in variables}

    def map_query(self, evidence=None) -> dict:
        """Approximate MAP of the non-evidence variables: each variable's most probable
        state under its max-product belief (ties: lowest index). Exact on a tree whose MAP
        is unique.

        Returns
        -------
        dict
            ``{variable: state name}``.
        """
        mn, g, nu, ev = self._state(evidence, "max")
        names = mn.state_names
        b = g.beliefs(nu)
        return {v: names[v][int(np.argmax(b[k, :g.cards[k]]))] for k, v in enumerate(g.free)}

    def log_partition_function(self, evidence=None) -> float:
        """The Bethe approximation of log Z(evidence) from the sum-product beliefs:
        Σ_a E_{b_a}[log φ_a] + Σ_a H(b_a) + Σ_i (1 − d_i) H(b_i) (d_i: the number of factors
        of variable i); exact on a tree at convergence."""
        mn, g, nu, ev = self._state(evidence, "sum")
        mu = g.mu(nu)
        total = g.log_const
        for T, E in g.groups:
            k = T.ndim - 1
            S = g.incoming(T, [mu[E[:, p], :T.shape[p + 1]] for p in range(k)], -1)
            axes = tuple(range(1, k + 1))
            lb = S - _lse(S, axes).reshape([-1] + [1] * k)
            b = np.exp(lb)
            ok = b > 0
            total += float(np.sum(np.where(ok, b * (T - lb), 0.0)))
        lb = g.beliefs(nu)
        b = np.exp(lb)
        ent = -np.where(b > 0, b * np.where(b > 0, lb, 0.0), 0.0).sum(axis=1)
        return float(total + np.sum((1 - g.degree) * ent))
