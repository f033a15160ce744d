"""Gibbs sampling of a discrete Bayesian network through the one block-Gibbs sampler.

:class:`BayesNetGibbs` is a network with evidence as a model of
:func:`energy.sampling.block_gibbs`: one block per unobserved node, many chains in parallel,
p(x_v | Markov blanket) computed from the node's CPD and its children's CPDs.
:func:`gibbs_marginals` runs it (or :class:`energy.sampling.MarkovNetGibbs` for a Markov
network) and returns posterior single-node marginals.
"""

from __future__ import annotations

import numpy as np

from pgm import ImpossibleEvidenceError, likelihood_weighting
from pgm.runtime import check_rng, check_scalar

from energy.sampling.gibbs import block_gibbs
from energy.sampling.markov import MarkovNetGibbs, _FactorGibbs

__all__ = ["BayesNetGibbs", "gibbs_marginals"]


class _Plan:
    """The network's columns, cardinalities, CPDs and parent columns (``model.nodes`` order)."""

    def __init__(self, model):
        model.check_model()
        nodes = model.nodes
        self.col = {v: i for i, v in enumerate(nodes)}
        self.cpds = [model.get_cpd(v) for v in nodes]
        self.cards = np.array([c.cardinality for c in self.cpds])
        self.parent_cols = [[self.col[p] for p in cpd.parents] for cpd in self.cpds]


class BayesNetGibbs(_FactorGibbs):
    """A Bayesian network with evidence, as a model for ``energy.sampling.block_gibbs``.

    The state is an int array of shape ``(n_chains, n_nodes)`` (columns in ``model.nodes``
    order); all chains are updated at once. Blocks are the unobserved nodes; a block's
    conditional is p(x_v | rest) ∝ p(x_v | pa_v) Π_{c ∈ children(v)} p(x_c | pa_c), raised to
    1/T (T = 0 takes the most probable state, ties keep the current one). The energy of a
    state is −Σ_chains log p(x).

    Parameters
    ----------
    model : BayesianNetwork
    evidence : dict, optional
    n_chains : int
        Independent chains run side by side.
    rng : None, int or numpy.random.Generator
        For the initial state (drawn by likelihood weighting among rows of positive weight).
    max_init_draws : int
        Bound on the likelihood-weighting draws used to find starting states.

    Notes
    -----
    Gibbs sampling is exact only in the limit and needs an ergodic chain: CPDs with zeros
    (deterministic relations) can trap it. Compare with exact inference on small models.

    Examples
    --------
    >>> from pgm import BayesianNetwork, TabularCPD
    >>> bn = BayesianNetwork([("Rain", "Wet")])
    >>> bn.add_cpds(TabularCPD("Rain", 2, [0.8, 0.2]),
    ...             TabularCPD("Wet", 2, [[0.9, 0.1], [0.1, 0.9]], ["Rain"], [2]))
    >>> g = BayesNetGibbs(bn, {"Wet": 1}, n_chains=2000, rng=0)
    >>> res = block_gibbs(g, g.initial_state(), temperature=1.0, max_sweeps=100,
    ...                   burn_in=20, average=True, rng=1)
    >>> p = g.marginals_from(res.mean)["Rain"]        # exact: [0.308, 0.692]
    >>> bool(abs(p[1] - 0.692) < 0.02)
    True
    """

    def __init__(self, model, evidence=None, n_chains=100, rng=None, max_init_draws=1_000_000):
        self.model = model
        self.n_chains = check_scalar(n_chains, "n_chains", low=1, integer=True)
        cap = check_scalar(max_init_draws, "max_init_draws", low=1, integer=True)
        plan = _Plan(model)
        self._plan = plan
        self.evidence = model.encode_evidence(evidence)
        self.blocks = tuple(v for v in model.nodes if v not in self.evidence)
        if not self.blocks:
            raise ValueError("evidence: every variable is observed; nothing to sample")
        self.free_cols = np.array([plan.col[v] for v in self.blocks])
        self.max_card = int(plan.cards.max())
        with np.errstate(divide="ignore"):
            self._logt = [np.log(c.table) for c in plan.cpds]
        # for each node: the factors that mention it: (table index, axis sources)
        self._terms = {}
        for v in self.blocks:
            k = plan.col[v]
            terms = []
            for h in [k] + [plan.col[c] for c in model.children(v)]:
                srcs = [h] + plan.parent_cols[h]
                terms.append((h, srcs))
            self._terms[v] = terms
        gen = check_rng(rng)
        need = self.n_chains
        drawn = 0
        rows = []
        while need > 0:
            if drawn >= cap:
                raise ImpossibleEvidenceError(
                    f"evidence: no state of positive probability found in {drawn} likelihood-"
                    f"weighting draws (max_init_draws={cap}); the evidence {evidence!r} is "
                    "impossible or too unlikely")
            m = min(max(4 * self.n_chains, 1000), cap - drawn)
            X, w = likelihood_weighting(model, m, evidence, gen)
            drawn += m
            if w.sum() > 0:
                pick = gen.choice(m, size=need, p=w / w.sum())
                rows.append(X[pick])
                need = 0
        self._init = np.concatenate(rows).astype(np.int64)

    def state_energy(self, state) -> float:
        """−Σ_chains log p(x) (finite for states of positive probability)."""
        return float(-self.model.log_prob(state).sum())


def gibbs_marginals(model, evidence, n_sweeps=500, burn_in=100, n_chains=100, rng=None):
    """Posterior single-node marginals by Gibbs sampling through the one sampler
    (:func:`energy.sampling.block_gibbs`).

    Parameters
    ----------
    model : BayesianNetwork or MarkovNetwork
    evidence : dict or None
    n_sweeps, burn_in, n_chains : int
    rng : None, int or numpy.random.Generator

    Returns
    -------
    dict
        ``{node: ndarray of shape (cardinality,)}`` for every unobserved node.
    """
    gen = check_rng(rng)
    kind = getattr(type(model), "_inference_kind", None)
    g = (MarkovNetGibbs if kind == "undirected" else BayesNetGibbs)(
        model, evidence, n_chains=n_chains, rng=gen)
    res = block_gibbs(g, g.initial_state(), temperature=1.0, max_sweeps=n_sweeps, burn_in=burn_in,
                  average=True, rng=gen, record_energy=False)
    return g.marginals_from(res.mean)
