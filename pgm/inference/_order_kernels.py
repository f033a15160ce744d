"""numba kernel of the greedy elimination orders, with its plain-Python reference.

:func:`greedy_elimination` reproduces :func:`pgm.inference.orders._elimination_order_ref` step
for step; ``tests/pgm/inference/test_order_kernels.py`` compares them on random graphs.

Examples
--------
>>> import numpy as np
>>> A = np.array([[0, 1, 0], [1, 0, 1], [0, 1, 0]], dtype=np.uint8)   # the path 0 - 1 - 2
>>> order, ptr, clq = greedy_elimination(A, np.ones(3, dtype=np.bool_), np.full(3, 2),
...                                      np.arange(3), 1)
>>> order.tolist()
[0, 1, 2]
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["WEIGHT_CAP", "greedy_elimination"]


# ---------------------------------------------------------------------- elimination orders
WEIGHT_CAP = 1 << 62  # clique weights (products of cardinalities) saturate here


@njit(cache=True)
def _cost(u, nbr, cnt, adj, card, rank, heuristic, out):
    """The greedy cost of eliminating ``u`` as (c0, c1, rank) into ``out[u]``."""
    d = cnt[u]
    w = card[u]
    for k in range(d):
        cu = card[nbr[u, k]]
        w = WEIGHT_CAP if w > WEIGHT_CAP // cu else w * cu
    if heuristic == 0:  # min fill: missing edges among the neighbours
        present = 0
        for i in range(d):
            a = nbr[u, i]
            for j in range(d):
                present += adj[a, nbr[u, j]]
        out[u, 0] = (d * (d - 1) - present) // 2
        out[u, 1] = w
    elif heuristic == 1:  # min degree
        out[u, 0] = d
        out[u, 1] = w
    else:  # min weight
        out[u, 0] = w
        out[u, 1] = d
    out[u, 2] = rank[u]


@njit(cache=True)
def greedy_elimination(adj, todo, card, rank, heuristic):
    """Greedy elimination order of the nodes marked in ``todo`` (see
    :func:`pgm.inference.orders.elimination_order`, whose Python reference
    :func:`pgm.inference.orders._elimination_order_ref` this reproduces step for step).

    Parameters
    ----------
    adj : uint8 array of shape (n, n)
        Symmetric 0/1 adjacency, zero diagonal; receives the fill-in edges (modified).
    todo : bool array of shape (n,)
        The nodes to eliminate; the others stay in the graph.
    card : int64 array of shape (n,)
        Cardinalities (clique weights are their products, saturated at ``WEIGHT_CAP``).
    rank : int64 array of shape (n,)
        Tie-break position of each node to eliminate.
    heuristic : int
        0 min-fill (fill, weight, rank), 1 min-degree (degree, weight, rank), 2 min-weight
        (weight, degree, rank); the smallest tuple goes first.

    Returns
    -------
    order : int64 array of shape (m,)
    clq_ptr : int64 array of shape (m + 1,)
    clq : int64 array
        ``clq[clq_ptr[s]:clq_ptr[s + 1]]`` is step s's node and its neighbours then.
    """
    n = adj.shape[0]
    nbr = np.empty((n, max(n, 1)), np.int32)  # neighbour lists (dense rows: O(n²) memory)
    cnt = np.zeros(n, np.int64)
    for a in range(n):
        for b in range(n):
            if adj[a, b]:
                nbr[a, cnt[a]] = b
                cnt[a] += 1
    left = todo.copy()
    m = 0
    for a in range(n):
        if todo[a]:
            m += 1
    cost = np.zeros((n, 3), np.int64)
    for a in range(n):
        if todo[a]:
            _cost(a, nbr, cnt, adj, card, rank, heuristic, cost)
    order = np.empty(m, np.int64)
    clq_ptr = np.zeros(m + 1, np.int64)
    clq = np.empty(max(4 * m, 16), np.int64)
    mark = np.zeros(n, np.bool_)
    added = np.empty((16, 2), np.int64)  # this step's fill edges, grown on demand
    for s in range(m):
        v = -1
        for a in range(n):
            if left[a] and (v < 0 or cost[a, 0] < cost[v, 0]
                            or (cost[a, 0] == cost[v, 0] and (cost[a, 1] < cost[v, 1]
                                or (cost[a, 1] == cost[v, 1] and cost[a, 2] < cost[v, 2])))):
                v = a
        order[s] = v
        left[v] = False
        d = cnt[v]
        need = clq_ptr[s] + d + 1
        if need > clq.size:
            grown = np.empty(max(2 * clq.size, need), np.int64)
            grown[:clq_ptr[s]] = clq[:clq_ptr[s]]
            clq = grown
        p = clq_ptr[s]
        for k in range(d):
            clq[p + k] = nbr[v, k]
        clq[p + d] = v
        clq_ptr[s + 1] = p + d + 1
        # remove v from its neighbours' lists, then join the neighbours pairwise
        for k in range(d):
            u = nbr[v, k]
            for t in range(cnt[u]):
                if nbr[u, t] == v:
                    cnt[u] -= 1
                    nbr[u, t] = nbr[u, cnt[u]]
                    break
            adj[u, v] = 0
            adj[v, u] = 0
        cnt[v] = 0
        if d * (d - 1) // 2 > added.shape[0]:
            added = np.empty((d * (d - 1) // 2, 2), np.int64)
        na = 0
        for i in range(d):
            a = nbr[v, i]
            for j in range(i + 1, d):
                b = nbr[v, j]
                if not adj[a, b]:
                    adj[a, b] = 1
                    adj[b, a] = 1
                    nbr[a, cnt[a]] = b
                    cnt[a] += 1
                    nbr[b, cnt[b]] = a
                    cnt[b] += 1
                    added[na, 0] = a
                    added[na, 1] = b
                    na += 1
        for k in range(d):
            mark[nbr[v, k]] = True
        if heuristic == 0:  # fill changes for common neighbours of every new edge too
            for e in range(na):
                a = added[e, 0]
                b = added[e, 1]
                for t in range(cnt[a]):
                    x = nbr[a, t]
                    if adj[x, b]:
                        mark[x] = True
        for x in range(n):
            if mark[x]:
                mark[x] = False
                if left[x]:
                    _cost(x, nbr, cnt, adj, card, rank, heuristic, cost)
    return order, clq_ptr, clq
