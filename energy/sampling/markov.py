"""Gibbs sampling of a discrete Markov network through the one block-Gibbs sampler.

:class:`MarkovNetGibbs` is a :class:`pgm.MarkovNetwork` with evidence as a model of
:func:`energy.sampling.block_gibbs`: one block per unobserved variable, many chains in
parallel, p(x_v | rest) ∝ Π_{a ∋ v} φ_a(x_a) from the factors that hold v.
:class:`_FactorGibbs` is the block update that it shares with
:class:`energy.sampling.BayesNetGibbs` (a Bayesian network is the special case whose
factors are the CPDs).
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from pgm import VariableElimination
from pgm.runtime import check_rng, check_scalar

__all__ = ["MarkovNetGibbs"]


class _FactorGibbs:
    """The block update of a product of log tables over the columns of an int state.

    A subclass sets ``_plan`` (``col``: ``{variable: column}``, ``cards``: int array by
    column), ``_logt`` (log tables), ``_terms`` (``{variable: [(table index, columns of its
    axes)]}``), ``blocks``, ``free_cols``, ``max_card`` and ``_init``.
    """

    def initial_state(self) -> np.ndarray:
        """A fresh copy of the starting states, shape (n_chains, n_variables)."""
        return self._init.copy()

    def conditional_logits(self, state, block) -> np.ndarray:
        """log p(x_block = k | rest) + const for every chain, shape (n_chains, card)."""
        k0 = self._plan.col[block]
        card = int(self._plan.cards[k0])
        ks = np.arange(card)[None, :]
        out = np.zeros((state.shape[0], card))
        for h, srcs in self._terms[block]:
            idx = tuple(ks if s == k0 else state[:, s][:, None] for s in srcs)
            out += self._logt[h][idx]
        return out

    def sample_block(self, state, block, temperature, rng) -> int:
        """Redraw variable ``block`` in every chain from p(x | rest)^(1/T); return the number
        changed (T = 0: the most probable state, ties keep the current one)."""
        k0 = self._plan.col[block]
        lg = self.conditional_logits(state, block)
        cur = state[:, k0].copy()
        if temperature == 0:
            best = lg.max(axis=1)
            keep = lg[np.arange(lg.shape[0]), cur] >= best
            new = np.where(keep, cur, np.argmax(lg, axis=1))
        else:
            z = lg / temperature
            z -= z.max(axis=1, keepdims=True)
            p = np.exp(z)
            c = np.cumsum(p, axis=1)
            u = rng.random(lg.shape[0]) * c[:, -1]
            new = (u[:, None] >= c[:, :-1]).sum(axis=1)
            # guard the edge u == total (zero-mass last states): never draw a zero-mass state
            new = np.where(p[np.arange(p.shape[0]), new] > 0, new, np.argmax(p, axis=1))
        state[:, k0] = new
        return int(np.count_nonzero(new != cur))

    def observe(self, state) -> np.ndarray:
        """Frequencies of each state of each unobserved variable, shape (n_blocks, max_card)."""
        out = np.zeros((len(self.blocks), self.max_card))
        for i, k in enumerate(self.free_cols):
            out[i, : self._plan.cards[k]] = np.bincount(state[:, k], minlength=self._plan.cards[k])
        return out / state.shape[0]

    def marginals_from(self, mean) -> dict:
        """``{variable: marginal}`` from an average of :meth:`observe`."""
        return {v: np.asarray(mean[i, : self._plan.cards[self._plan.col[v]]])
                for i, v in enumerate(self.blocks)}


class MarkovNetGibbs(_FactorGibbs):
    """A Markov network with evidence, as a model for ``energy.sampling.block_gibbs``.

    The state is an int array of shape ``(n_chains, n_variables)`` of state indices (columns
    in ``model.variables`` order); all chains are updated at once. Blocks are the unobserved
    variables. The energy of a state is −Σ_chains Σ_a log φ_a(x_a) (unnormalised: log Z is
    left out).

    Parameters
    ----------
    model : MarkovNetwork
    evidence : dict, optional
    n_chains : int
    rng : None, int or numpy.random.Generator
        For the initial states: uniform draws of the unobserved variables; a chain whose draw
        has probability zero (factors with zeros) starts from the exact MAP assignment
        instead (:meth:`pgm.VariableElimination.map_query`, which also refuses impossible
        evidence).

    Notes
    -----
    Gibbs sampling is exact only in the limit and needs an ergodic chain: factors with zeros
    (hard constraints) can trap it. Compare with exact inference on small models.

    Examples
    --------
    >>> from pgm import DiscreteFactor, MarkovNetwork
    >>> from energy.sampling import block_gibbs
    >>> mn = MarkovNetwork([DiscreteFactor(["A", "B"], [[4.0, 1.0], [1.0, 4.0]]),
    ...                     DiscreteFactor(["A"], [1.0, 3.0])])
    >>> g = MarkovNetGibbs(mn, n_chains=4000, rng=0)
    >>> res = block_gibbs(g, g.initial_state(), temperature=1.0, max_sweeps=20, rng=1)
    >>> p = g.marginals_from(g.observe(res.state))["B"]      # exact: [0.35, 0.65]
    >>> bool(abs(p[1] - 0.65) < 0.03)
    True
    """

    def __init__(self, model, evidence=None, n_chains=100, rng=None):
        if getattr(type(model), "_inference_kind", None) != "undirected":
            raise TypeError(f"model: expected a pgm.MarkovNetwork, got {type(model).__name__}")
        model.check_model()
        self.model = model
        self.n_chains = check_scalar(n_chains, "n_chains", low=1, integer=True)
        variables = model.variables
        col = {v: i for i, v in enumerate(variables)}
        cards = model.cardinality
        self._plan = SimpleNamespace(col=col, cards=np.array([cards[v] for v in variables]))
        self.evidence = model.encode_evidence(evidence)
        self.blocks = tuple(v for v in variables if v not in self.evidence)
        if not self.blocks:
            raise ValueError("evidence: every variable is observed; nothing to sample")
        self.free_cols = np.array([col[v] for v in self.blocks])
        self.max_card = int(self._plan.cards.max())
        with np.errstate(divide="ignore"):
            self._logt = [np.log(f.values) for f in model.factors]
        self._srcs = [[col[u] for u in f.variables] for f in model.factors]
        self._terms = {v: [] for v in self.blocks}
        for h, f in enumerate(model.factors):
            for u in f.variables:
                if u in self._terms:
                    self._terms[u].append((h, self._srcs[h]))
        gen = check_rng(rng)
        X = np.empty((self.n_chains, len(variables)), dtype=np.int64)
        for v, k in col.items():
            X[:, k] = self.evidence[v] if v in self.evidence else gen.integers(
                cards[v], size=self.n_chains)
        bad = ~np.isfinite(self.log_weight(X))
        if bad.any():  # a zero of some factor: start those chains at the exact MAP
            names = model.state_names
            best = VariableElimination(model).map_query(evidence)
            X[bad] = [self.evidence[v] if v in self.evidence else names[v].index(best[v])
                      for v in variables]
        self._init = X

    def log_weight(self, state) -> np.ndarray:
        """Σ_a log φ_a(x_a) of each row, shape (n_chains,) (``-inf`` where a factor is 0)."""
        out = np.zeros(state.shape[0])
        for t, srcs in zip(self._logt, self._srcs):
            out += t[tuple(state[:, s] for s in srcs)]
        return out

    def state_energy(self, state) -> float:
        """−Σ_chains Σ_a log φ_a(x_a)."""
        return float(-self.log_weight(state).sum())
