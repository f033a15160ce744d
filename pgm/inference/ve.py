"""Exact P(Q | e), MAP assignments and log partition functions by variable elimination, on
Bayesian networks and Markov networks alike.

Before eliminating, the model is pruned to what the query needs. On a Bayesian network,
nodes that are not ancestors of Q ∪ E (barren nodes) are dropped, then every factor that the
evidence d-separates from Q (outside Q's connected component of the moral graph of the
ancestral set with the evidence removed) is dropped too. On a Markov network, the factors
outside Q's connected component of the Markov graph with the evidence removed are set aside
(they only scale the answer). Elimination orders: min-fill (default), min-degree,
min-weight, or an explicit list (:mod:`pgm.inference.orders`).

Impossible evidence (probability zero) raises :class:`pgm.errors.ImpossibleEvidenceError`.

Examples
--------
>>> from pgm.bayesnet import BayesianNetwork
>>> from pgm.cpd import TabularCPD
>>> bn = BayesianNetwork([("Rain", "Wet")])
>>> bn.add_cpds(TabularCPD("Rain", 2, [0.8, 0.2]),
...             TabularCPD("Wet", 2, [[0.9, 0.1], [0.1, 0.9]], ["Rain"], [2]))
>>> VariableElimination(bn).query(["Rain"], {"Wet": 1}).values.round(4).tolist()
[0.3077, 0.6923]
"""

from __future__ import annotations

import math

import numpy as np

from ..dag import moral_adjacency
from ..errors import ImpossibleEvidenceError, evidence_message
from ..factor import DiscreteFactor
from ._engine import _add, _Engine
from .orders import _max_clique_log_size, elimination_order

__all__ = ["VariableElimination"]

_AUTO_FRESH_LOG = math.log(2.0 ** 20)  # above this largest factor, "auto" tries a fresh order
# numpy.einsum takes at most 32 operands before numpy 2 and 64 since; when more factors meet
# in one step they are multiplied in chunks of this many (fewer: one einsum, the usual case)
_MAX_OPERANDS = 32


def _contract(fs, out_scope):
    """Sum the product of the factors ``fs`` (a list of (scope, table)) onto ``out_scope``:
    one einsum, or one per chunk of :data:`_MAX_OPERANDS` factors (each over the union of its
    chunk's scopes, inside the step's clique) when more meet."""
    while len(fs) > _MAX_OPERANDS:
        nxt = []
        for k in range(0, len(fs), _MAX_OPERANDS):
            chunk = fs[k:k + _MAX_OPERANDS]
            if len(chunk) == 1:
                nxt.append(chunk[0])
            else:
                sc = tuple(dict.fromkeys(u for s, _ in chunk for u in s))
                nxt.append((sc, _contract(chunk, sc)))
        fs = nxt
    loc: dict = {}
    args = []
    for s, t in fs:
        args.append(t)
        args.append([loc.setdefault(u, len(loc)) for u in s])
    return np.einsum(*args, [loc[u] for u in out_scope])


def _rescale(t, logs):
    """``t`` divided by its largest entry, whose log is appended to ``logs`` (an all-zero
    table is returned as is and -inf appended)."""
    m = t.max() if t.ndim else float(t)
    if m > 0:
        logs.append(math.log(m))
        return t / m
    logs.append(-math.inf)
    return t


def _log_product(fs, scope, shape):
    """The sum of the log tables ``fs`` (a list of (scope, table)) broadcast over ``scope``
    (axes in that order, sizes ``shape``)."""
    pos = {u: k for k, u in enumerate(scope)}
    full = None
    for s, t in fs:
        ax = [pos[u] for u in s]
        perm = sorted(range(len(ax)), key=ax.__getitem__)
        have = set(ax)
        x = t.transpose(perm).reshape([shape[k] if k in have else 1 for k in range(len(scope))])
        full = x if full is None else full + x
    if full.shape != tuple(shape):
        full = np.broadcast_to(full, shape)
    return full


class VariableElimination(_Engine):
    """Exact P(Q | evidence) and MAP by variable elimination with pruning.

    Parameters
    ----------
    model : BayesianNetwork or MarkovNetwork
        Validated on construction and again whenever it has changed since.
    max_table_entries : int, optional
        Largest factor (number of entries) an elimination may build: a query whose
        elimination order would build a larger one (or whose answer is larger) raises
        :class:`pgm.errors.TableTooLargeError` before anything of that size is allocated.
        Default :func:`~pgm.inference._engine.default_max_table_entries`: the smaller of
        2**27 and 1/8 of the machine's memory in float64 entries.

    Examples
    --------
    >>> from pgm.bayesnet import BayesianNetwork
    >>> from pgm.cpd import TabularCPD
    >>> bn = BayesianNetwork([("A", "B"), ("A", "C")])
    >>> bn.add_cpds(TabularCPD("A", 2, [0.6, 0.4]),
    ...             TabularCPD("B", 2, [[0.9, 0.3], [0.1, 0.7]], ["A"], [2]),
    ...             TabularCPD("C", 2, [[0.8, 0.5], [0.2, 0.5]], ["A"], [2]))
    >>> ve = VariableElimination(bn)
    >>> f = ve.query(["A", "C"], {"B": 1})        # a joint posterior, axes (A, C)
    >>> f.values.round(3).tolist()
    [[0.141, 0.035], [0.412, 0.412]]
    >>> ve.map_query({"B": 1})
    {'A': 1, 'C': 0}
    """

    def __init__(self, model, max_table_entries=None):
        super().__init__(model, max_table_entries)
        self._order([], [], "auto")  # the network's min-fill order, once

    def _recompile(self):
        self._order([], [], "auto")

    def _relevant(self, query, ev):
        """Factors needed for P(query | ev): ancestral set, then d-separation pruning (a
        Markov network: the factors that touch the query's component without the evidence)."""
        c = self._c
        if not c.directed:
            adj = c.adjacency
            comp = set()
            stack = list(query)
            while stack:
                n = stack.pop()
                if n not in comp:
                    comp.add(n)
                    stack.extend(u for u in adj[n] if u not in ev)
            fams, other = [], []
            for k, sc in c.scopes.items():
                (fams if any(u in comp for u in sc) else other).append(k)
            return fams, comp, other
        pa = c.parents
        seen = set()
        stack = list(query) + list(ev)
        while stack:
            n = stack.pop()
            if n not in seen:
                seen.add(n)
                stack.extend(pa[n])
        # moral graph of the ancestral set with evidence removed: component of the query
        nbr = moral_adjacency(pa, seen, drop=ev)
        comp = set()
        stack = list(query)
        while stack:
            n = stack.pop()
            if n not in comp:
                comp.add(n)
                stack.extend(nbr.get(n, ()))
        fams = []
        other = []
        for v in seen:
            if (v in comp) or (v in ev and any(p in comp for p in pa[v])):
                fams.append(v)
            else:
                other.append(v)
        return fams, comp, other  # other: evidence families set aside (they only scale)

    def _factors(self, fams, ev):
        c = self._c
        out = []
        scopes = c.scopes
        for v in fams:
            scope = scopes[v]
            t = c.tables[v]
            if any(u in ev for u in scope):
                idx = tuple(ev[u] if u in ev else slice(None) for u in scope)
                t = t[idx]
                scope = tuple(u for u in scope if u not in ev)
            out.append((scope, t))
        return out

    def _guard(self, who, factors, order, heuristic):
        """Raise :class:`TableTooLargeError` when eliminating ``order`` from ``factors`` would
        build a factor (the product of the factors that meet at a step, the eliminated
        variable included) of more than ``max_table_entries`` entries; scopes only, no table.
        An ``"auto"`` order is never wider than the network's own triangulation (see
        :meth:`_order`): when that fits, nothing is checked."""
        if (isinstance(heuristic, str) and heuristic == "auto"
                and self._c.global_entries <= self.max_table_entries):
            return
        cards = self._c.cards
        by_var: dict = {}
        scopes = {}
        for i, (s, _) in enumerate(factors):
            scopes[i] = set(s)
            for u in s:
                by_var.setdefault(u, set()).add(i)
        nxt = len(factors)
        best, size = (), 1
        for v in order:
            ids = by_var.pop(v, None)
            if not ids:
                continue
            sc = set().union(*[scopes.pop(i) for i in ids])
            n = math.prod(cards[u] for u in sc)
            if n > size:
                best, size = tuple(sc), n
            sc.discard(v)
            for u in sc:
                bu = by_var[u]
                bu -= ids
                bu.add(nxt)
            scopes[nxt] = sc
            nxt += 1
        if size > self.max_table_entries:
            rank = self._c.topo_rank
            self._check_table(who, sorted(best, key=rank.__getitem__), "an intermediate factor")

    @staticmethod
    def _eliminate(factors, order, mode="sum", trace=None, logs=None):
        """Eliminate ``order`` from a list of (scope, table); return the remaining factors.
        ``mode="max"``: the tables are log tables, max-sum (the product never underflows).
        ``logs`` (a list, sum mode): each new table is divided by its largest entry and the
        log of that entry appended, so no product underflows (an all-zero table stays)."""
        by_var: dict = {}
        live = {}
        for i, (s, t) in enumerate(factors):
            live[i] = (s, t)
            for u in s:
                by_var.setdefault(u, set()).add(i)
        nxt = len(factors)
        for v in order:
            ids = by_var.pop(v, None)
            if not ids:
                continue
            if len(ids) == 1 and mode == "sum":  # one factor: a plain sum over v's axis
                (i,) = ids
                s, t = live.pop(i)
                k = s.index(v)
                out_scope = s[:k] + s[k + 1:]
                t = _add(t, k)
                if logs is not None:
                    t = _rescale(t, logs)
                for u in out_scope:
                    bu = by_var[u]
                    bu.discard(i)
                    bu.add(nxt)
                live[nxt] = (out_scope, t)
                nxt += 1
                continue
            fs = [live.pop(i) for i in ids]
            scope = tuple(dict.fromkeys(u for s, _ in fs for u in s))
            out_scope = tuple(u for u in scope if u != v)
            for u in out_scope:
                by_var[u] -= ids
            if mode == "sum":
                t = _contract(fs, out_scope)
                if logs is not None:
                    t = _rescale(t, logs)
            else:
                shape = [0] * len(scope)
                for s, x in fs:
                    for u, k in zip(s, x.shape):
                        shape[scope.index(u)] = k
                full = _log_product(fs, scope, shape)
                t = full.max(axis=scope.index(v))
                if trace is not None:
                    trace.append((v, scope, full))
            live[nxt] = (out_scope, t)
            for u in out_scope:
                by_var[u].add(nxt)
            nxt += 1
        return list(live.values())

    def query(self, variables, evidence=None, elimination_order="auto",
              check_evidence=True) -> DiscreteFactor:
        """The posterior P(variables | evidence).

        Parameters
        ----------
        variables : hashable or list of hashable
            Query variables (not evidence variables).
        evidence : dict, optional
            ``{variable: state}`` with state names (or indices for unnamed states).
        elimination_order : {"auto", "min_fill", "min_degree", "min_weight"} or list
            ``"auto"`` (default): one min-fill order of the whole moral graph, computed once
            per network and restricted to the variables left after pruning (the pruned graph
            is a subgraph, so the restricted order is no wider); on networks whose own
            triangulation has factors of more than 2^20 entries, a fresh min-fill order of
            the pruned graph is also tried and the narrower one kept. A heuristic name
            computes a fresh greedy order on the pruned graph; a list gives an explicit order
            of (at least) the variables to eliminate.
        check_evidence : bool
            Also sum out the evidence families that pruning set aside (they only scale the
            answer) to make sure the evidence has positive probability (default True). With
            False, evidence that is impossible only in a part of the network the query does
            not depend on goes unnoticed.

        Returns
        -------
        DiscreteFactor
            Over ``variables`` in the given order, normalised to sum 1.

        Raises
        ------
        ValueError
            Unknown variable or state, a query variable in the evidence, or evidence of
            probability zero (:class:`ImpossibleEvidenceError`).
        """
        c = self._compiled()
        query = self._variables(variables)
        ev = self.model.encode_evidence(evidence)
        both = [q for q in query if q in ev]
        if both:
            raise ValueError(f"variables: {both} are also evidence variables; query the others "
                             "(an observed variable's posterior is a point mass)")
        fams, comp, other = self._relevant(query, ev)
        factors = self._factors(fams, ev)
        qs = set(query)
        hidden = [v for v in comp if v not in qs]
        order = self._order(factors, hidden, elimination_order)
        self._guard("VariableElimination.query", factors, order, elimination_order)
        self._check_table("VariableElimination.query", query, "the joint posterior")
        # a Markov network's products can overflow or underflow: rescaled at every step
        rest = self._eliminate(factors, order, "sum", logs=None if c.directed else [])
        if rest:
            vals = _contract(rest, query)
        else:
            vals = np.ones([c.cards[q] for q in query])
        if vals.shape != tuple(c.cards[q] for q in query):  # a query var in no factor
            vals = np.broadcast_to(vals, [c.cards[q] for q in query]).copy()
        z = vals.sum()
        if z > 0 and check_evidence and other and not c.directed:
            # a Markov network: the factors set aside only scale, but their sum can vanish
            if not self._constant(self._factors(other, ev)) > 0:
                z = 0.0
        elif z > 0 and check_evidence and other:
            # The set-aside families multiply to sum_h prod_u p(u | pa_u) prod_v p(e_v | pa_v)
            # (u unobserved, v observed). A term is > 0 when all its factors are; rows
            # p(e_v | .) > 0 for every parent state never vanish, and the unobserved CPDs that
            # are not ancestors of a "risky" observed node (one whose evidence row has a zero)
            # sum to 1 whatever the rest. So only the risky nodes and their ancestors among
            # the set-aside families are summed, and nothing at all when there are none.
            keep = self._risky_families(other, ev)
            if keep and not (self._witness(keep, ev)
                             or self._constant(self._factors(list(keep), ev)) > 0):
                z = 0.0
        if not z > 0:
            raise self._zero_z(ev) or ImpossibleEvidenceError(
                f"evidence: {evidence_message(ev, c.names)} has probability zero under the model; "
                "P(variables | evidence) is undefined")
        return DiscreteFactor(tuple(query), vals / z, copy=False, validate=False)

    def _risky_families(self, other, ev):
        """The set-aside families ``other`` whose sum can vanish: the observed nodes whose
        evidence row has a zero ("risky") and their ancestors among ``other`` (empty when no
        observed node is risky)."""
        pa = self._c.parents
        pool = set(other)
        keep = set()
        stack = [v for v in other if v in ev and not self._positive_row(v, ev[v])]
        while stack:
            u = stack.pop()
            if u in pool and u not in keep:
                keep.add(u)
                stack.extend(pa[u])
        return keep

    def _witness(self, keep, ev):
        """Whether one assignment of ``keep`` gives every factor a positive value.

        ``keep`` is closed under unobserved parents. In topological order each unobserved
        node takes its most probable state given the parents' states chosen so far (that
        entry is > 0: its column sums to 1) and each observed node's evidence entry is
        checked. True proves the set-aside evidence possible (its sum has a positive term);
        False proves nothing, and the caller sums exactly.
        """
        c = self._c
        x = {}
        for u in sorted(keep, key=c.topo_rank.__getitem__):
            try:
                col = c.tables[u][(slice(None),) + tuple(
                    x[p] if p in x else ev[p] for p in c.parents[u])]
            except KeyError:  # a parent outside ``keep`` and unobserved: prove nothing
                return False
            if u in ev:
                if not col[ev[u]] > 0:
                    return False
            else:
                x[u] = int(col.argmax())
        return True

    def _positive_row(self, v, k):
        """Whether p(v = k | pa) > 0 for every parent configuration (cached)."""
        pos = self._c.__dict__.setdefault("positive", {})
        key = (v, k)
        if key not in pos:
            pos[key] = bool(self._c.tables[v][k].min() > 0)
        return pos[key]

    def _constant(self, factors):
        """Sum of the product of ``factors`` over all their variables (scaled, > 0 test only)."""
        hidden = list({u for sc, _ in factors for u in sc})
        order = self._order(factors, hidden, "auto")
        self._guard("VariableElimination.query (evidence check)", factors, order, "auto")
        rest = self._eliminate(factors, order, "sum", logs=[])
        tot = 1.0
        for _, t in rest:
            t = float(np.sum(t))
            tot *= t / (abs(t) if t else 1.0)  # keep the sign of positivity, avoid underflow
            if tot == 0:
                return 0.0
        return tot

    def _order(self, factors, hidden, heuristic):
        if heuristic == "auto":
            c = self._c
            if getattr(c, "global_rank", None) is None:
                moral = c.adjacency
                sets = []
                glob = elimination_order(moral, None, "min_fill", c.cards, _cliques=sets)
                c.global_rank = {v: i for i, v in enumerate(glob)}
                c.global_entries = max((math.prod(c.cards[u] for u in cs) for cs in sets),
                                       default=1)
                c.global_width = max((sum(math.log(c.cards[u]) for u in cs) for cs in sets),
                                     default=0.0)
                c.global_cliques = dict(zip(glob, sets))
            order = sorted(hidden, key=c.global_rank.__getitem__)
            if len(order) <= 2 or c.global_width <= _AUTO_FRESH_LOG:
                return order
            # Eliminating in this order on the pruned graph (a subgraph of the moral graph)
            # creates cliques inside the network's own elimination cliques: bound by those.
            live = {u for sc, _ in factors for u in sc}
            lc = {u: math.log(self._c.cards[u]) for u in live}
            bound = max(sum(lc[u] for u in c.global_cliques[v] if u in lc) for v in order)
            if bound <= _AUTO_FRESH_LOG:
                return order
            # The restriction is never wider than the network's own triangulation, but that
            # can be far wider than the pruned graph needs (dense networks such as munin):
            # when its largest factor is big, try a fresh min-fill on the pruned graph too.
            nb = self._interaction(factors)
            width = _max_clique_log_size(nb, order, self._c.cards)
            if width > _AUTO_FRESH_LOG:
                fresh = elimination_order(nb, hidden, "min_fill", self._c.cards)
                if _max_clique_log_size(nb, fresh, self._c.cards) < width:
                    order = fresh
            return order
        if not isinstance(heuristic, str):
            order = list(heuristic)
            missing = set(hidden) - set(order)
            if missing:
                raise ValueError(f"elimination_order: misses variable(s) {sorted(map(str, missing))}")
            hs = set(hidden)
            return [v for v in order if v in hs]
        if len(hidden) <= 1:
            return list(hidden)
        return elimination_order(self._interaction(factors), hidden, heuristic, self._c.cards)

    @staticmethod
    def _interaction(factors):
        nb: dict = {}
        for s, _ in factors:
            for u in s:
                nb.setdefault(u, set()).update(s)
        for u in nb:
            nb[u].discard(u)
        return nb

    def map_query(self, evidence=None, elimination_order="auto", return_probability=False,
                  return_log_probability=False):
        """The most probable joint assignment of all non-evidence variables (max-product,
        computed as max-sum of log probabilities: no underflow on large networks).

        Parameters
        ----------
        evidence : dict, optional
        elimination_order : str or list
        return_probability : bool
            Also return P(x_map, evidence) (a float: 0.0 when it underflows, e.g. below
            1e-308 for more than about 1,020 independent fair coins). On a Markov network
            the product of the factors divided by the partition function.
        return_log_probability : bool
            Also return log P(x_map, evidence) (after the probability when both are asked).

        Returns
        -------
        dict
            ``{variable: state name}`` for every non-evidence variable (ties: lowest index).
        float, optional
            The joint probability of the assignment with the evidence.
        float, optional
            Its natural logarithm.

        Examples
        --------
        >>> from pgm.bayesnet import BayesianNetwork
        >>> from pgm.cpd import TabularCPD
        >>> coins = [f"c{i}" for i in range(2000)]
        >>> bn = BayesianNetwork([], nodes=coins)
        >>> bn.add_cpds(*[TabularCPD(c, 2, [0.4, 0.6]) for c in coins])
        >>> assign, p, logp = VariableElimination(bn).map_query(
        ...     return_probability=True, return_log_probability=True)
        >>> set(assign.values()), p, round(logp / 2000, 6) == round(math.log(0.6), 6)
        ({1}, 0.0, True)
        """
        c = self._compiled()
        ev = self.model.encode_evidence(evidence)
        fams = list(c.scopes)
        factors = self._factors(fams, ev)
        hidden = [v for v in c.nodes if v not in ev]
        order = self._order(factors, hidden, elimination_order)
        self._guard("VariableElimination.map_query", factors, order, elimination_order)
        with np.errstate(divide="ignore"):  # log 0 = -inf: an impossible entry
            factors = [(sc, np.log(t)) for sc, t in factors]
        trace = []
        rest = self._eliminate(factors, order, "max", trace)
        logp = math.fsum(float(t) for _, t in rest)
        if not logp > -math.inf:
            raise self._zero_z(ev) or ImpossibleEvidenceError(
                f"evidence: {evidence_message(ev, c.names)} has probability zero under the model")
        assign = {}
        for v, scope, full in reversed(trace):
            idx = tuple(assign[u] if u != v else slice(None) for u in scope)
            assign[v] = int(np.argmax(full[idx]))
        out = {v: c.names[v][assign[v]] for v in c.nodes if v in assign}
        if not c.directed and (return_probability or return_log_probability):
            logp -= self.log_partition_function()  # a Markov network: normalise by Z
        extra = (((math.exp(logp),) if return_probability else ())
                 + ((logp,) if return_log_probability else ()))
        return (out,) + extra if extra else out

    def log_partition_function(self, evidence=None) -> float:
        """log Z(e): the log of the sum over all non-evidence variables of the product of
        the factors with the evidence fixed (log P(evidence) on a Bayesian network, 0
        without evidence). Every elimination step is rescaled: no overflow or underflow.

        Parameters
        ----------
        evidence : dict, optional

        Returns
        -------
        float
            ``-inf`` when the evidence (or, on a Markov network, every state) has
            probability zero.

        Examples
        --------
        >>> from pgm.markov import MarkovNetwork
        >>> mn = MarkovNetwork([DiscreteFactor(["A", "B"], [[1.0, 2.0], [3.0, 4.0]])])
        >>> ve = VariableElimination(mn)
        >>> round(math.exp(ve.log_partition_function()), 10), round(math.exp(
        ...     ve.log_partition_function({"A": 1})), 10)
        (10.0, 7.0)
        """
        c = self._compiled()
        ev = self.model.encode_evidence(evidence)
        factors = self._factors(list(c.scopes), ev)
        hidden = [v for v in c.nodes if v not in ev]
        order = self._order(factors, hidden, "auto")
        self._guard("VariableElimination.log_partition_function", factors, order, "auto")
        logs = []
        rest = self._eliminate(factors, order, "sum", logs=logs)
        for _, t in rest:
            _rescale(np.asarray(_add(t, None)), logs)
        return math.fsum(logs) if -math.inf not in logs else -math.inf
