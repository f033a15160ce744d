"""Exact inference on discrete Bayesian networks.

* :class:`VariableElimination` — P(Q | e) for any set of query variables and MAP (max-product)
  assignments. Before eliminating, the network is pruned to what the query needs: nodes that are
  not ancestors of Q ∪ E (barren nodes) are dropped, then every factor that the evidence
  d-separates from Q (outside Q's connected component of the moral graph of the ancestral
  set with the evidence removed) is dropped too. Elimination orders: min-fill (default),
  min-degree, min-weight, or an explicit list.
* :class:`JunctionTree` — compiled once (moral graph, min-fill triangulation, clique tree
  from the elimination, each CPD assigned to a clique; no clique table is built);
  :meth:`JunctionTree.marginals` then calibrates with evidence in one upward and one downward
  pass (Hugin-style, 0/0 := 0; the upward messages of evidence-free barren subtrees are
  identically 1 and skipped) and returns every single-node posterior marginal at once. The
  calibration runs in one numba call (:mod:`pgm._jt_kernels`): each clique is visited by a
  fused pass that forms its entries from the CPD tables and incoming messages and adds them
  straight into the outgoing separator marginals and the marginals of the variables whose
  home it is; observed variables restrict the visited box to their state. The numpy
  calibration (:meth:`JunctionTree.calibrate`, clique beliefs as arrays) is kept as the
  reference the tests compare against.
* :func:`elimination_order` — the greedy heuristics, on any undirected graph.

Impossible evidence (probability zero) raises ``ValueError``; no result is ever NaN.

Examples
--------
>>> from pgm.bayesnet import BayesianNetwork
>>> from pgm.cpd import TabularCPD
>>> bn = BayesianNetwork([("Rain", "Wet")])
>>> bn.add_cpds(TabularCPD("Rain", 2, [0.8, 0.2]),
...             TabularCPD("Wet", 2, [[0.9, 0.1], [0.1, 0.9]], ["Rain"], [2]))
>>> VariableElimination(bn).query(["Rain"], {"Wet": 1}).values.round(4).tolist()
[0.3077, 0.6923]
>>> JunctionTree(bn).marginals({"Wet": 1})["Rain"].round(4).tolist()
[0.3077, 0.6923]
"""

from __future__ import annotations

import heapq
import itertools
import math

import networkx as nx
import numpy as np

from ._jt_kernels import calibrate_flat
from ._kernels import WEIGHT_CAP, greedy_elimination
from .factor import DiscreteFactor

__all__ = ["VariableElimination", "JunctionTree", "elimination_order", "ImpossibleEvidenceError"]


_add = np.add.reduce  # ndarray.sum without the Python wrapper (hot in calibration)


class ImpossibleEvidenceError(ValueError):
    """The evidence has probability zero under the model."""


def _evidence_msg(evidence, names=None):
    if names is None:
        return str(evidence)
    return "{" + ", ".join(f"{k!r}: {names[k][v]!r}" for k, v in evidence.items()) + "}"


# ---------------------------------------------------------------------- elimination orders
_KERNEL_MAX_NODES = 4096  # larger graphs: the Python reference (the kernel's tables are O(n²))


def elimination_order(adj, to_eliminate=None, heuristic="min_fill", cards=None, _cliques=None) -> list:
    """A greedy elimination order.

    Parameters
    ----------
    adj : networkx.Graph or dict of sets
        The interaction (moral) graph.
    to_eliminate : iterable, optional
        Nodes to order (default all); the others stay in the graph and count for fill-in.
    heuristic : {"min_fill", "min_degree", "min_weight"}
        Cost of eliminating a node: the number of fill edges it adds, its degree, or the
        size of the factor it creates (product of cardinalities). Ties are broken by weight,
        then by the node's position in ``to_eliminate`` (or in the graph).
    cards : dict, optional
        Cardinalities for the weight (default 2 for all). Weights are exact integer
        products, saturated at 2**62 (a factor that size is far beyond exact inference).

    Returns
    -------
    list
        ``to_eliminate`` in elimination order.

    Notes
    -----
    The elimination runs in a numba kernel (:func:`pgm._kernels.greedy_elimination`) on a
    0/1 adjacency matrix; ``_elimination_order_ref`` is its plain-Python reference, and the
    function used for graphs of more than 4,096 nodes, where the kernel's dense O(n²) tables
    would take hundreds of megabytes (same orders either way).

    Examples
    --------
    >>> import networkx as nx
    >>> elimination_order(nx.path_graph(4), heuristic="min_degree")
    [0, 1, 2, 3]
    """
    if heuristic not in ("min_fill", "min_degree", "min_weight"):
        raise ValueError(f"heuristic: expected 'min_fill', 'min_degree' or 'min_weight', got {heuristic!r}")
    nb = adj.adj if isinstance(adj, nx.Graph) else adj
    if len(nb) > _KERNEL_MAX_NODES:
        return _elimination_order_ref(adj, to_eliminate, heuristic, cards, _cliques)
    nodes = list(nb)
    idx = {v: i for i, v in enumerate(nodes)}
    todo = nodes if to_eliminate is None else list(to_eliminate)
    n = len(nodes)
    A = np.zeros((n, n), dtype=np.uint8)
    if n:
        rows = [i for i, v in enumerate(nodes) for _ in nb[v]]
        cols = [idx[u] for v in nodes for u in nb[v]]
        A[rows, cols] = 1
        A[cols, rows] = 1
        np.fill_diagonal(A, 0)
    mask = np.zeros(n, dtype=np.bool_)
    rank = np.zeros(n, dtype=np.int64)
    for r, v in enumerate(todo):
        k = idx.get(v)
        if k is None:
            raise ValueError(f"to_eliminate: {v!r} is not a node of the graph")
        mask[k] = True
        rank[k] = r
    card = np.array([int(cards[v]) if cards else 2 for v in nodes], dtype=np.int64)
    h = ("min_fill", "min_degree", "min_weight").index(heuristic)
    order, ptr, clq = greedy_elimination(A, mask, card, rank, h)
    if _cliques is not None:
        clq = clq.tolist()
        ptr = ptr.tolist()
        _cliques.extend([nodes[k] for k in clq[ptr[s]:ptr[s + 1]]] for s in range(len(order)))
    return [nodes[k] for k in order.tolist()]


def _elimination_order_ref(adj, to_eliminate=None, heuristic="min_fill", cards=None,
                           _cliques=None) -> list:
    """Plain-Python reference of :func:`elimination_order` (same orders, same cliques as sets);
    the tests compare the numba kernel :func:`pgm._kernels.greedy_elimination` with it.
    """
    if heuristic not in ("min_fill", "min_degree", "min_weight"):
        raise ValueError(f"heuristic: expected 'min_fill', 'min_degree' or 'min_weight', got {heuristic!r}")
    if isinstance(adj, nx.Graph):
        nb = {v: set(adj.adj[v]) for v in adj.nodes}
    else:
        nb = {v: set(s) for v, s in adj.items()}
    todo = list(nb) if to_eliminate is None else list(to_eliminate)
    rank = {v: i for i, v in enumerate(todo)}
    todo_set = set(todo)
    # weights as exact integer products: a float sum of logs depends on the iteration order
    # of the neighbour set (string hashing varies per process), and its last-bit differences
    # would break ties differently from run to run
    card = {v: int(cards[v]) if cards else 2 for v in nb}

    min_fill = heuristic == "min_fill"

    def cost(v):
        n = nb[v]
        w = card[v]
        for u in n:
            w = WEIGHT_CAP if w > WEIGHT_CAP // card[u] else w * card[u]
        if min_fill:
            # missing edges among the neighbours: d(d-1)/2 minus the edges present
            d = len(n)
            present = 0
            for a in n:
                present += len(nb[a] & n)
            return ((d * (d - 1) - present) // 2, w, rank[v])
        if heuristic == "min_degree":
            return (len(n), w, rank[v])
        return (w, len(n), rank[v])

    current = {v: cost(v) for v in todo}
    heap = [(c, v) for v, c in current.items()]
    heapq.heapify(heap)
    order = []
    while heap:
        c, v = heapq.heappop(heap)
        if v not in todo_set or current.get(v) != c:
            continue
        order.append(v)
        todo_set.discard(v)
        n = nb.pop(v)
        if _cliques is not None:
            _cliques.append(n | {v})
        nl = list(n)
        for u in nl:
            nb[u].discard(v)
        added = []
        for i in range(len(nl)):
            a = nb[nl[i]]
            for j in range(i + 1, len(nl)):
                if nl[j] not in a:
                    a.add(nl[j])
                    nb[nl[j]].add(nl[i])
                    added.append((nl[i], nl[j]))
        touched = n
        if heuristic == "min_fill" and added:
            # fill-in changes for the neighbours of v and for common neighbours of a new edge
            touched = set(n)
            for a, b in added:
                touched |= nb[a] & nb[b]
        for u in touched:
            if u in todo_set:
                cu = cost(u)
                if cu != current[u]:
                    current[u] = cu
                    heapq.heappush(heap, (cu, u))
        current.pop(v, None)
    return order


_BLOCK = 16  # least number of entries of the kernel's inner block (see JunctionTree)
_SMALL = 64  # cliques up to this many entries are a single block
_AUTO_FRESH_LOG = math.log(2.0 ** 20)  # above this largest factor, "auto" tries a fresh order


def _max_clique_log_size(adj, order, cards):
    """log of the largest factor that eliminating ``order`` from graph ``adj`` creates."""
    nb = {v: set(s) for v, s in adj.items()}
    worst = 0.0
    for v in order:
        n = nb.pop(v, set())
        w = math.log(cards[v]) + sum(math.log(cards[u]) for u in n)
        worst = max(worst, w)
        for u in n:
            nb[u].discard(v)
            nb[u] |= n
            nb[u].discard(u)
    return worst


# ---------------------------------------------------------------------- shared checks
class _Compiled:
    """Plain-dict snapshot of a validated network (rebuilt when the network changes)."""

    def __init__(self, model):
        model.check_model()
        self.version = model._version
        self.nodes = model.nodes
        self.parents = {v: model.get_cpd(v).parents for v in self.nodes}
        self.tables = {v: model.get_cpd(v).table for v in self.nodes}
        self.cards = {v: model.get_cpd(v).cardinality for v in self.nodes}
        self.names = {v: model.get_cpd(v).state_names[v] for v in self.nodes}
        self.children = {v: [] for v in self.nodes}
        for v in self.nodes:
            for p in self.parents[v]:
                self.children[p].append(v)
        self.order = model.topological_order()
        self.global_rank = None
        self.global_width = 0.0
        self.topo_rank = {v: i for i, v in enumerate(self.order)}


class _Engine:
    def __init__(self, model):
        from .bayesnet import BayesianNetwork
        if not isinstance(model, BayesianNetwork):
            raise TypeError(f"model: expected a BayesianNetwork, got {type(model).__name__}")
        self.model = model
        self._c = _Compiled(model)

    def _compiled(self):
        if self._c.version != self.model._version:  # the network changed: re-validate
            self._c = _Compiled(self.model)
            self._recompile()
        return self._c

    def _recompile(self):
        pass

    def _variables(self, variables, what="variables"):
        c = self._c
        if variables is None:
            raise ValueError(f"{what}: expected a list of variables, got None")
        if isinstance(variables, (str, bytes)) or not isinstance(variables, (list, tuple, set, frozenset)):
            variables = [variables]
        out = []
        for v in variables:
            if v not in c.cards:
                raise ValueError(f"{what}: {v!r} is not a variable of the network")
            if v in out:
                raise ValueError(f"{what}: {v!r} is given twice")
            out.append(v)
        if not out:
            raise ValueError(f"{what}: need at least one variable")
        return out


# ---------------------------------------------------------------------- variable elimination
class VariableElimination(_Engine):
    """Exact P(Q | evidence) and MAP by variable elimination with pruning.

    Parameters
    ----------
    model : BayesianNetwork
        Validated on construction and again whenever it has changed since.

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

    def __init__(self, model):
        super().__init__(model)
        self._order([], [], "auto")  # the network's min-fill order, once

    def _recompile(self):
        self._order([], [], "auto")

    def _relevant(self, query, ev):
        """Families needed for P(query | ev): ancestral set, then d-separation pruning."""
        c = self._c
        pa = c.parents
        seen = set()
        stack = list(query) + list(ev)
        while stack:
            n = stack.pop()
            if n not in seen:
                seen.add(n)
                stack.extend(pa[n])
        # moral graph of the ancestral set with evidence removed: component of the query
        nbr: dict = {}
        for v in seen:
            fam = [u for u in (v,) + pa[v] if u not in ev]
            for u in fam:
                s = nbr.setdefault(u, set())
                s.update(fam)
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
        for v in fams:
            scope = (v,) + c.parents[v]
            t = c.tables[v]
            if any(u in ev for u in scope):
                idx = tuple(ev[u] if u in ev else slice(None) for u in scope)
                t = t[idx]
                scope = tuple(u for u in scope if u not in ev)
            out.append((scope, t))
        return out

    @staticmethod
    def _eliminate(factors, order, mode="sum", trace=None):
        """Eliminate ``order`` from a list of (scope, table); return the remaining factors."""
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
                for u in out_scope:
                    bu = by_var[u]
                    bu.discard(i)
                    bu.add(nxt)
                live[nxt] = (out_scope, t)
                nxt += 1
                continue
            fs = [live.pop(i) for i in ids]
            loc: dict = {}
            args = []
            for s, t in fs:
                args.append(t)
                args.append([loc.setdefault(u, len(loc)) for u in s])
            out_scope = tuple(u for u in loc if u != v)
            for u in out_scope:
                by_var[u] -= ids
            if mode == "sum":
                t = np.einsum(*args, [loc[u] for u in out_scope])
            else:
                full = np.einsum(*args, list(range(len(loc))))
                t = full.max(axis=loc[v])
                if trace is not None:
                    trace.append((v, tuple(loc), full))
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
        rest = self._eliminate(factors, order, "sum")
        loc: dict = {}
        args = []
        for s, t in rest:
            args.append(t)
            args.append([loc.setdefault(u, len(loc)) for u in s])
        for q in query:
            loc.setdefault(q, len(loc))
        if args:
            vals = np.einsum(*args, [loc[q] for q in query])
        else:
            vals = np.ones([c.cards[q] for q in query])
        if vals.shape != tuple(c.cards[q] for q in query):  # a query var in no factor
            vals = np.broadcast_to(vals, [c.cards[q] for q in query]).copy()
        z = vals.sum()
        if z > 0 and check_evidence and other:
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
            raise ImpossibleEvidenceError(
                f"evidence: {_evidence_msg(ev, c.names)} has probability zero under the model; "
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
        rest = self._eliminate(factors, self._order(factors, hidden, "auto"), "sum")
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
                moral = {v: set() for v in c.nodes}
                for v in c.nodes:
                    fam = (v,) + c.parents[v]
                    for a in fam:
                        moral[a].update(fam)
                for v in c.nodes:
                    moral[v].discard(v)
                sets = []
                glob = elimination_order(moral, None, "min_fill", c.cards, _cliques=sets)
                c.global_rank = {v: i for i, v in enumerate(glob)}
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

    def map_query(self, evidence=None, elimination_order="auto", return_probability=False):
        """The most probable joint assignment of all non-evidence variables (max-product).

        Parameters
        ----------
        evidence : dict, optional
        elimination_order : str or list
        return_probability : bool
            Also return P(x_map, evidence).

        Returns
        -------
        dict
            ``{variable: state name}`` for every non-evidence variable (ties: lowest index).
        float, optional
            The joint probability of the assignment with the evidence.
        """
        c = self._compiled()
        ev = self.model.encode_evidence(evidence)
        fams = list(c.nodes)
        factors = self._factors(fams, ev)
        hidden = [v for v in c.nodes if v not in ev]
        order = self._order(factors, hidden, elimination_order)
        trace = []
        rest = self._eliminate(factors, order, "max", trace)
        p = float(np.prod([float(t) for _, t in rest])) if rest else 1.0
        if not p > 0:
            raise ImpossibleEvidenceError(
                f"evidence: {_evidence_msg(ev, c.names)} has probability zero under the model")
        assign = {}
        for v, scope, full in reversed(trace):
            idx = tuple(assign[u] if u != v else slice(None) for u in scope)
            assign[v] = int(np.argmax(full[idx]))
        out = {v: c.names[v][assign[v]] for v in c.nodes if v in assign}
        return (out, p) if return_probability else out


# ---------------------------------------------------------------------- junction tree
class JunctionTree(_Engine):
    """A clique tree compiled once; all posterior marginals in one calibration.

    Parameters
    ----------
    model : BayesianNetwork
    elimination_order : {"auto", "min_fill", "min_degree", "min_weight"} or list
        Triangulation of the moral graph. ``"auto"`` (default) takes min-fill and, when its
        cliques hold more than 2^17 entries in all, also min-weight, keeping the order whose
        cliques are smaller in total.

    Attributes
    ----------
    cliques : list of tuple
        Variables of each clique (sorted by topological rank).
    parent : list of int
        Parent clique of each clique (-1 for roots); every child precedes its parent.
    max_clique_size : int
        Largest number of table entries of a clique.

    Examples
    --------
    >>> from pgm.bayesnet import BayesianNetwork
    >>> from pgm.cpd import TabularCPD
    >>> bn = BayesianNetwork([("A", "B"), ("B", "C")])
    >>> bn.add_cpds(TabularCPD("A", 2, [0.5, 0.5]),
    ...             TabularCPD("B", 2, [[0.9, 0.2], [0.1, 0.8]], ["A"], [2]),
    ...             TabularCPD("C", 2, [[0.7, 0.4], [0.3, 0.6]], ["B"], [2]))
    >>> jt = JunctionTree(bn)
    >>> m = jt.marginals({"C": 0})
    >>> sorted(m), round(float(m["A"][0]), 4)
    (['A', 'B'], 0.5929)
    """

    def __init__(self, model, elimination_order="auto"):
        super().__init__(model)
        self._heuristic = elimination_order
        self._recompile()

    def _recompile(self):
        c = self._c
        rank = c.topo_rank
        moral = {v: set() for v in c.nodes}
        for v in c.nodes:
            fam = (v,) + c.parents[v]
            for a in fam:
                moral[a].update(fam)
        for v in c.nodes:
            moral[v].discard(v)
        elim_sets = []
        if self._heuristic == "auto":
            # min-fill; when its cliques are large, min-weight as well, keeping the smaller tree
            order = elimination_order(moral, None, "min_fill", c.cards, _cliques=elim_sets)
            total = sum(math.prod(c.cards[u] for u in cs) for cs in elim_sets)
            if total > 1 << 17:
                alt_sets = []
                alt = elimination_order(moral, None, "min_weight", c.cards, _cliques=alt_sets)
                if sum(math.prod(c.cards[u] for u in cs) for cs in alt_sets) < total:
                    order, elim_sets = alt, alt_sets
        elif isinstance(self._heuristic, str):
            order = elimination_order(moral, None, self._heuristic, c.cards, _cliques=elim_sets)
        else:
            order = list(self._heuristic)
            if len(order) != len(c.nodes) or set(order) != set(c.nodes):
                raise ValueError("elimination_order: must list every node of the network once")
            nb = {v: set(s) for v, s in moral.items()}
            for v in order:
                n = nb.pop(v)
                elim_sets.append(n | {v})
                for u in n:
                    nb[u].discard(v)
                    nb[u].update(n)
                    nb[u].discard(u)
        pos = {v: i for i, v in enumerate(order)}
        cliques = [tuple(sorted(cs, key=rank.__getitem__)) for cs in elim_sets]
        # parent of clique i: the clique of the earliest-eliminated variable of its separator
        m = len(order)
        parent = [min((pos[u] for u in cliques[i] if u != v), default=-1)
                  for i, v in enumerate(order)]
        kids = [[] for _ in range(m)]
        for i in range(m):
            if parent[i] >= 0:
                kids[parent[i]].append(i)
        # a clique contained in a child's clique is not maximal: the child takes its place
        alias = list(range(m))
        alive = [True] * m
        csets = [set(cl) for cl in cliques]
        for i in range(m):  # children (smaller indices) are settled before their parent
            big = next((j for j in kids[i] if csets[i] <= csets[j]), None)
            if big is None:
                continue
            alive[i] = False
            alias[i] = big
            p = parent[i]
            parent[big] = p
            for k in kids[i]:
                if k != big:
                    parent[k] = big
                    kids[big].append(k)
            if p >= 0:
                kids[p] = [big if k == i else k for k in kids[p]]
        # renumber the surviving cliques so that every child comes before its parent
        bfs = [i for i in range(m) if alive[i] and parent[i] < 0]
        h = 0
        while h < len(bfs):
            bfs.extend(kids[bfs[h]])
            h += 1
        up = bfs[::-1]
        new = {old: k for k, old in enumerate(up)}
        cliques = [cliques[i] for i in up]
        parent = [new[parent[i]] if parent[i] >= 0 else -1 for i in up]
        seps = []
        for k, cl in enumerate(cliques):
            ps = set(cliques[parent[k]]) if parent[k] >= 0 else set()
            seps.append(tuple(u for u in cl if u in ps))
        home_of_elim = [new[alias[i]] for i in range(m)]
        self.cliques = cliques
        self.parent = parent
        self._seps = seps
        self._order = order
        # clique potentials: each CPD goes to the clique of its family's first-eliminated member
        assigned = [[] for _ in cliques]
        for v in c.nodes:
            fam = (v,) + c.parents[v]
            assigned[home_of_elim[min(pos[u] for u in fam)]].append(v)
        # Kernel axis order of each clique: the fused pass (pgm._jt_kernels.clique_pass) runs
        # its inner loop over a block of trailing axes, and a table that holds none of the
        # block's variables is touched once per block rather than once per entry. So the block
        # takes the variables the fewest tables of this clique hold (separator messages and
        # ratios of the children and of the parent, marginal targets), until it has at least
        # _BLOCK entries; the other axes stay in topological order in front.
        count: dict = {}
        for cl in cliques:
            for u in cl:
                count[u] = count.get(u, 0) + 1
        sizes = [math.prod(c.cards[u] for u in cl) for cl in cliques]
        home_i: dict = {}
        for i, cl in enumerate(cliques):
            for u in cl:
                h = home_i.get(u)
                if h is None or sizes[i] < sizes[h]:
                    home_i[u] = i
        kid_seps = [[] for _ in cliques]
        for i, p in enumerate(parent):
            if p >= 0:
                kid_seps[p].append(set(seps[i]))
        korder, blk = [], []
        for i, cl in enumerate(cliques):
            if sizes[i] <= _SMALL:  # the whole clique is one block: a single outer step
                korder.append(cl)
                blk.append(len(cl))
                continue
            own = set(seps[i])
            fams = [{v, *c.parents[v]} for v in assigned[i]]
            use = {u: 3 * sum(u in ks for ks in kid_seps[i]) + 2 * (u in own)
                   + 2 * sum(u in f for f in fams) + (home_i[u] == i) for u in cl}
            ranked = sorted(cl, key=lambda u: (use[u], -c.cards[u], rank[u]))
            b, size = [], 1
            for u in ranked:
                if size >= _BLOCK:
                    break
                b.append(u)
                size *= c.cards[u]
            bs = set(b)
            korder.append(tuple(u for u in cl if u not in bs) + tuple(reversed(b)))
            blk.append(len(b))
        self._blk = blk
        for cl in cliques:
            if len(cl) > 52:
                raise ValueError(f"JunctionTree: a clique of {len(cl)} variables is too large "
                                 "(more than 52; exact inference is hopeless at that width)")
        # No clique table is built: the fused calibration reads each clique's potential as the
        # product of its assigned CPDs, straight from the CPD tables.
        self._assigned = assigned
        self._korder = korder
        self._count = count
        self._sizes = sizes
        self._pots_cache = None
        self._sum_axes = None
        self._home_cache = None
        self.max_clique_size = max(sizes, default=0)
        self._home_i = home_i
        # Barren subtrees. The variables that occur only below the separator of clique i are
        # those whose topmost clique (the largest index holding them) lies in i's subtree;
        # their CPDs are all assigned in that subtree. When the subtree holds no other CPD,
        # summing it out is summing a conditional distribution: without evidence below, the
        # upward message of i is identically 1 and need not be computed.
        top = {}
        for i, cl in enumerate(cliques):
            for u in cl:
                top[u] = i  # increasing i: the last one is the topmost
        sub_top = [0] * len(cliques)
        sub_cpd = [len(a) for a in assigned]
        for u, i in top.items():
            sub_top[i] += 1
        for i in range(len(cliques)):
            p = parent[i]
            if p >= 0:
                sub_top[p] += sub_top[i]
                sub_cpd[p] += sub_cpd[i]
        self._barren = [a == b for a, b in zip(sub_top, sub_cpd)]
        self._build_flat()

    def _build_flat(self):
        """Flat int64 arrays describing the forest for :func:`calibrate_tree` (one array,
        sliced into the kernel's arguments)."""
        c = self._c
        cards = c.cards
        parents = c.parents
        cliques, parent, korder, seps = self.cliques, self.parent, self._korder, self._seps
        count, home_i = self._count, self._home_i
        n = len(cliques)
        nodes = c.nodes
        var_id = {v: k for k, v in enumerate(nodes)}
        self._var_id = var_id

        def c_strides(vs):
            st, acc = {}, 1
            for u in reversed(vs):
                st[u] = acc
                acc *= cards[u]
            return st, acc

        # every CPD table, flattened (C order over (variable, *parents)), then a 1.0 for
        # cliques without a CPD: the front of the workspace
        cpt_off, acc = {}, 0
        tabs = []
        for v in nodes:
            cpt_off[v] = acc
            t = c.tables[v]
            acc += t.size
            tabs.append(t.ravel())
        tabs.append(np.ones(1))
        self._cpt = np.concatenate(tabs)
        one = acc
        # workspace offsets: raw upward messages, normalised ones, downward ratios, private
        # blocks, then every variable's marginal
        sep_st, sep_size = [], []
        for i in range(n):
            st, size = c_strides(seps[i]) if parent[i] >= 0 else ({}, 0)
            sep_st.append(st)
            sep_size.append(size)
        tot_sep = sum(sep_size)
        raw_off, o = [], acc + 1
        for size in sep_size:
            raw_off.append(o)
            o += size
        msg_off = [r + tot_sep for r in raw_off]
        down_off = [r + 2 * tot_sep for r in raw_off]
        o += 2 * tot_sep
        kids = [[] for _ in range(n)]
        for i, p in enumerate(parent):
            if p >= 0:
                kids[p].append(i)
        ax_ptr, ax_var, ax_dim, ax_pstr, ax_own, ax_priv = [0], [], [], [], [], []
        pot_base = []
        xc_ptr, xc_base, xc_sbase, xc_str = [0], [], [], []
        kid_ptr, kid_list, kid_sbase, kid_str = [0], [], [], []
        home_ptr, home_var, home_ax = [0], [], []
        priv_ptr, priv_var, priv_stride = [0], [], []
        priv_size, priv_off = [], []
        max_in = max_out = max_blk = max_nd = 1
        for i in range(n):
            ko = korder[i]
            vs = self._assigned[i]
            if vs:
                pot_base.append(cpt_off[vs[0]])
                pst = c_strides((vs[0],) + parents[vs[0]])[0]
                for v in vs[1:]:
                    st = c_strides((v,) + parents[v])[0]
                    xc_base.append(cpt_off[v])
                    xc_sbase.append(len(xc_str))
                    xc_str.extend([st.get(u, 0) for u in ko])
            else:
                pot_base.append(one)
                pst = {}
            xc_ptr.append(len(xc_base))
            priv = [u for u in ko if count[u] == 1]
            bst, bsize = c_strides(priv)
            priv_size.append(bsize)
            priv_off.append(o)
            o += bsize
            own = sep_st[i]
            nh = 0
            for k, u in enumerate(ko):
                ax_var.append(var_id[u])
                ax_dim.append(cards[u])
                ax_pstr.append(pst.get(u, 0))
                ax_own.append(own.get(u, 0))
                ax_priv.append(bst.get(u, 0))
                if count[u] > 1 and home_i[u] == i:
                    home_var.append(var_id[u])
                    home_ax.append(k)
                    nh += 1
            ax_ptr.append(len(ax_var))
            home_ptr.append(len(home_var))
            for j in kids[i]:
                kid_list.append(j)
                kid_sbase.append(len(kid_str))
                st = sep_st[j]
                kid_str.extend([st.get(u, 0) for u in ko])
            kid_ptr.append(len(kid_list))
            for u in priv:
                priv_var.append(var_id[u])
                priv_stride.append(bst[u])
            priv_ptr.append(len(priv_var))
            nk = len(kids[i])
            if nk + len(vs) + 1 > max_in:
                max_in = nk + len(vs) + 1
            if nk + nh + 1 > max_out:
                max_out = nk + nh + 1
            if len(ko) > max_nd:
                max_nd = len(ko)
            b = self._blk[i]
            bs = 1
            for u in ko[len(ko) - b:]:
                bs *= cards[u]
            if bs > max_blk:
                max_blk = bs
        card = [cards[v] for v in nodes]
        marg_off = []
        for k in card:
            marg_off.append(o)
            o += k
        self._wsize = o
        parts = [parent, kid_ptr, kid_list, kid_sbase, kid_str, ax_ptr, ax_var, ax_dim, ax_pstr,
                 ax_own, ax_priv, self._blk, pot_base, xc_ptr, xc_base, xc_sbase, xc_str,
                 raw_off, msg_off, down_off, sep_size, priv_off, priv_size, home_ptr, home_var,
                 home_ax, priv_ptr, priv_var, priv_stride, marg_off, card,
                 [home_i[v] for v in nodes]]
        flat = np.fromiter(itertools.chain.from_iterable(parts), dtype=np.int64)
        offs = [0]
        for part in parts:
            offs.append(offs[-1] + len(part))
        self._flat = flat
        self._offs = np.array(offs, dtype=np.int64)
        self._barren_arr = np.array(self._barren, dtype=np.bool_)
        self._max = np.array([max_nd, max_in + 1, max_out + 1, max_blk], dtype=np.int64)
        self._card = card
        self._marg_off = marg_off

    def _numpy_layout(self):
        """Axes of each separator inside its clique and its parent (numpy calibration only)."""
        if getattr(self, "_sum_axes", None) is not None:
            return
        c = self._c
        cliques, parent, seps = self.cliques, self.parent, self._seps
        sum_axes = []
        self._sep_shape_in_parent = []
        self._sum_axes_parent = []
        self._sep_shape_in_child = []
        for i, s in enumerate(seps):
            cl = cliques[i]
            ss = set(s)
            sum_axes.append(tuple(k for k, u in enumerate(cl) if u not in ss))
            self._sep_shape_in_child.append(tuple(c.cards[u] if u in ss else 1 for u in cl))
            p = parent[i]
            if p >= 0:
                pc = cliques[p]
                self._sum_axes_parent.append(tuple(k for k, u in enumerate(pc) if u not in ss))
                self._sep_shape_in_parent.append(tuple(c.cards[u] if u in ss else 1 for u in pc))
            else:
                self._sum_axes_parent.append(None)
                self._sep_shape_in_parent.append(None)
        self._sum_axes = sum_axes

    @property
    def _home(self):
        """``{variable: (clique, axes to sum over there, its own axis)}`` of its home clique
        (the smallest clique holding it)."""
        if self._home_cache is None:
            self._home_cache = {}
            for u, i in self._home_i.items():
                cl = self.cliques[i]
                k = cl.index(u)
                self._home_cache[u] = (i, tuple(a for a in range(len(cl)) if a != k), k)
        return self._home_cache

    @property
    def _pots(self):
        """Clique potentials in clique (topological) order, built on first use (numpy path)."""
        if self._pots_cache is None:
            c = self._c
            pots = []
            for cl, vs in zip(self.cliques, self._assigned):
                loc = {u: k for k, u in enumerate(cl)}
                shape = tuple(c.cards[u] for u in cl)
                t = None
                for v in vs:
                    ax = [loc[u] for u in (v,) + c.parents[v]]
                    perm = sorted(range(len(ax)), key=ax.__getitem__)
                    x = c.tables[v].transpose(perm)
                    if len(ax) != len(cl):
                        have = set(ax)
                        x = x.reshape([shape[k] if k in have else 1 for k in range(len(cl))])
                    t = x if t is None else t * x
                if t is None:
                    t = np.ones(shape)
                elif t.shape != shape:
                    t = np.ascontiguousarray(np.broadcast_to(t, shape))
                pots.append(t)
            self._pots_cache = pots
        return self._pots_cache

    def to_networkx(self) -> nx.Graph:
        """The clique tree: nodes are clique indices with attribute ``variables``."""
        g = nx.Graph()
        for i, cl in enumerate(self.cliques):
            g.add_node(i, variables=cl)
        for i, p in enumerate(self.parent):
            if p >= 0:
                g.add_edge(i, p, separator=self._seps[i])
        return g

    def _needed(self, variables):
        """Cliques whose beliefs are needed for the marginals of ``variables``."""
        need = [False] * len(self.cliques)
        for v in variables:
            i = self._home_i[v]
            while i >= 0 and not need[i]:
                need[i] = True
                i = self.parent[i]
        return need

    def calibrate(self, evidence=None, needed=None):
        """Calibrate with ``evidence`` in numpy, clique beliefs as arrays (the reference of the
        fused calibration that :meth:`marginals` and :meth:`log_evidence` run).

        Returns
        -------
        beliefs : list
            Normalised clique beliefs (None for cliques ``needed`` leaves out; default: all).
        log_evidence : float
            log P(evidence).
        """
        c = self._compiled()
        self._numpy_layout()
        ev = self.model.encode_evidence(evidence)
        n = len(self.cliques)
        if needed is None:
            needed = [True] * n
        up = [None] * n
        inbox = [[] for _ in range(n)]
        for v, k in ev.items():
            i, _, ax = self._home[v]
            m = np.zeros(c.cards[v])
            m[k] = 1.0
            shape = [1] * len(self.cliques[i])
            shape[ax] = c.cards[v]
            inbox[i].append(m.reshape(shape))
        evbelow = [False] * n  # evidence in the clique's subtree
        for v in ev:
            i = self._home[v][0]
            while i >= 0 and not evbelow[i]:
                evbelow[i] = True
                i = self.parent[i]
        msgs = [None] * n  # None: a skipped message (a barren subtree); a root: its total
        lz_in = [0.0] * n  # log normalisers of the messages sent up inside each subtree
        log_z = 0.0
        for i in range(n):  # children before parents
            t = self._pots[i]
            box = inbox[i]
            if box:
                t = t * box[0]  # a new array; the rest multiply in place
                for m in box[1:]:
                    t *= m
            up[i] = t
            p = self.parent[i]
            if p >= 0 and (evbelow[i] or not self._barren[i]):
                raw = _add(t, self._sum_axes[i]) if self._sum_axes[i] else t
                z = float(_add(raw, None))
                if not z > 0:
                    raise ImpossibleEvidenceError(
                        f"evidence: {_evidence_msg(ev, c.names)} has probability zero under the model")
                log_z += math.log(z)
                lz_in[p] += lz_in[i] + math.log(z)
                msgs[i] = raw  # kept unnormalised for the downward division
                inbox[p].append((raw / z).reshape(self._sep_shape_in_parent[i]))
            elif p >= 0:
                # barren: the exact message is 1, i.e. the product of the normalised messages
                # received below times their normalisers; those normalisers cancel
                log_z -= lz_in[i]
            else:  # a root: its total is P(evidence) over its tree (checked for every tree)
                z = float(_add(t, None))
                if not z > 0:
                    raise ImpossibleEvidenceError(
                        f"evidence: {_evidence_msg(ev, c.names)} has probability zero under the model")
                log_z += math.log(z)
                msgs[i] = z
        beliefs = [None] * n
        for i in range(n - 1, -1, -1):  # parents before children
            if not needed[i]:
                continue
            p = self.parent[i]
            t = up[i]
            if p < 0:
                beliefs[i] = t / msgs[i]
            else:
                bp = beliefs[p]
                sep = _add(bp, self._sum_axes_parent[i]) if self._sum_axes_parent[i] else bp
                raw = msgs[i]
                # Hugin update b_i = up_i * sep / raw with 0/0 := 0: wherever raw = 0 the
                # parent's belief, which holds raw/z as a factor, is 0 on that separator state
                # too, so dividing by 1 there gives the 0. Since sep sums to 1 and
                # sum(up_i * sep / raw) = sum(sep), b_i comes out normalised.
                if raw is None:  # skipped message: up_i sums to a constant on the separator
                    b = t * sep.reshape(self._sep_shape_in_child[i])
                    beliefs[i] = b / _add(b, None)
                else:
                    ratio = sep / np.where(raw > 0, raw, 1.0)
                    beliefs[i] = t * ratio.reshape(self._sep_shape_in_child[i])
        return beliefs, log_z

    def marginals(self, evidence=None, variables=None) -> dict:
        """All single-node posterior marginals P(X | evidence) from one calibration.

        Parameters
        ----------
        evidence : dict, optional
        variables : list, optional
            Which variables (default every non-evidence variable).

        Returns
        -------
        dict
            ``{variable: ndarray of shape (cardinality,)}``, each summing to 1.
        """
        self._compiled()
        ev = self.model.encode_evidence(evidence)
        if variables is None:
            variables = [v for v in self._c.nodes if v not in ev]
        else:
            variables = self._variables(variables)
            both = [v for v in variables if v in ev]
            if both:
                raise ValueError(f"variables: {both} are also evidence variables")
        W, _ = self._run(ev, variables)
        mo, card = self._marg_off, self._card
        vid = self._var_id
        out = {}
        for v in variables:
            k = vid[v]
            o = int(mo[k])
            out[v] = W[o:o + int(card[k])].copy()
        return out

    def _run(self, ev, variables):
        """The fused (numba) calibration: workspace with the marginals of ``variables``, log P(e)."""
        c = self._c
        vid = self._var_id
        nv = len(vid)
        ev_state = np.full(nv, -1, dtype=np.int64)
        for v, k in ev.items():
            ev_state[vid[v]] = k
        want = np.zeros(nv, dtype=np.bool_)
        for v in variables:
            want[vid[v]] = True
        needed = np.asarray(self._needed(variables), dtype=np.bool_)
        W = np.empty(self._wsize)
        W[:self._cpt.size] = self._cpt
        status, log_z = calibrate_flat(W, self._flat, self._offs, self._barren_arr, ev_state,
                                       needed, want, self._max)
        if status >= 0:
            raise ImpossibleEvidenceError(
                f"evidence: {_evidence_msg(ev, c.names)} has probability zero under the model")
        return W, log_z

    def log_evidence(self, evidence=None) -> float:
        """log P(evidence) (0 without evidence)."""
        self._compiled()
        return self._run(self.model.encode_evidence(evidence), [])[1]
