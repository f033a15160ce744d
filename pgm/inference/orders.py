"""Greedy elimination orders of undirected graphs and the clique sizes they lead to.

:func:`elimination_order` (min-fill, min-degree, min-weight) runs in a numba kernel
(:mod:`pgm.inference._order_kernels`); ``_elimination_order_ref`` is its plain-Python reference.
The graphs are given as ``{node: set of neighbours}`` (or a :class:`networkx.Graph`); the moral
graph of a network comes from :func:`moral_adjacency` (the package's one builder, defined
beside :class:`pgm.dag.DAG` and re-exported here).

Examples
--------
>>> adj = moral_adjacency({"A": (), "B": ("A",), "C": ("A", "B"), "D": ("C",)})
>>> order = elimination_order(adj)
>>> order                         # D first: no fill-in and the smallest factor
['D', 'A', 'B', 'C']
>>> [sorted(c) for c in elimination_cliques(adj, order)]
[['C', 'D'], ['A', 'B', 'C'], ['B', 'C'], ['C']]
"""

from __future__ import annotations

import heapq
import math

import numpy as np

from ..dag import moral_adjacency
from ..runtime.jit import lazy_module, nx, use_jit

_K = lazy_module("pgm.inference._order_kernels")
#: clique weights saturate here (the kernel's ``WEIGHT_CAP``; a test checks they agree)
WEIGHT_CAP = 1 << 62

__all__ = ["elimination_order", "elimination_cliques", "moral_adjacency"]

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
    The elimination runs in a numba kernel (:func:`pgm.inference._order_kernels.greedy_elimination`) on a
    0/1 adjacency matrix; ``_elimination_order_ref`` is its plain-Python reference, and the
    function used for graphs of more than 4,096 nodes, where the kernel's dense O(n²) tables
    would take hundreds of megabytes, and for graphs too small to repay compiling the kernel
    (:func:`pgm.runtime.jit.use_jit`; same orders either way).

    Examples
    --------
    >>> import networkx as nx
    >>> elimination_order(nx.path_graph(4), heuristic="min_degree")
    [0, 1, 2, 3]
    """
    if heuristic not in ("min_fill", "min_degree", "min_weight"):
        raise ValueError(f"heuristic: expected 'min_fill', 'min_degree' or 'min_weight', got {heuristic!r}")
    nb = adj.adj if isinstance(adj, nx.Graph) else adj
    if len(nb) > _KERNEL_MAX_NODES or not use_jit("pgm.elimination_order", len(nb)):
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
    order, ptr, clq = _K.greedy_elimination(A, mask, card, rank, h)
    if _cliques is not None:
        clq = clq.tolist()
        ptr = ptr.tolist()
        _cliques.extend([nodes[k] for k in clq[ptr[s]:ptr[s + 1]]] for s in range(len(order)))
    return [nodes[k] for k in order.tolist()]


def _elimination_order_ref(adj, to_eliminate=None, heuristic="min_fill", cards=None,
                           _cliques=None) -> list:
    """Plain-Python reference of :func:`elimination_order` (same orders, same cliques as sets);
    the tests compare the numba kernel
    :func:`pgm.inference._order_kernels.greedy_elimination` with it.
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


def elimination_cliques(adj, order) -> list:
    """The clique (a set: the node and its neighbours then) of each step of eliminating
    ``order`` from graph ``adj`` (``{node: set of neighbours}``, not modified)."""
    nb = {v: set(s) for v, s in adj.items()}
    out = []
    for v in order:
        n = nb.pop(v)
        out.append(n | {v})
        for u in n:
            nb[u].discard(v)
            nb[u].update(n)
            nb[u].discard(u)
    return out


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
