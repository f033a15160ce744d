"""Boykov–Kolmogorov max-flow on an implicit 2-D grid (private numba kernels).

The graph is never built. Site (i, j) of an H × W grid is node ``v = (i + 1) * Wp + (j + 1)``
of a padded (H + 2) × (W + 2) array (``Wp = W + 2``); the border nodes have no capacity in or
out, so no kernel ever tests for the edge of the image. The neighbour of ``v`` in direction
``d`` is ``v + off[d]``, with the directions ordered in opposite pairs so that the reverse of
``d`` is ``d ^ 1``::

    d   : 0   1   2    3    4       5       6       7
    off : +1  -1  +Wp  -Wp  +Wp+1   -Wp-1   +Wp-1   -Wp+1     (4-connectivity uses d < 4)

Working arrays (all allocated by the caller, see :func:`energy.images.graphcut.grid_workspace`;
N = (H + 2) * (W + 2), K = 4 or 8):

=========  ==========  =======================================================================
``rc``     int32 (N,K)  residual capacity of the arc v -> v + off[d]
``tr``     int32 (N,)   signed terminal residual: > 0 is s -> v, < 0 is v -> t
``tree``   int8 (N,)    0 free, 1 source tree S, 2 sink tree T
``parent`` int8 (N,)    direction to the parent, ``K`` = the terminal, ``K + 1`` = orphan
``nxt``    int32 (N,)   active FIFO as a linked list: -1 not active, ``nxt[v] == v`` last
``orph``   int32 (N,)   FIFO ring of orphans
``ts``     int32 (N,)   time stamp of ``dist`` (Boykov & Kolmogorov's distance heuristic)
``dist``   int32 (N,)   distance to the terminal, valid when ``ts == time``
=========  ==========  =======================================================================

(Besides these, :func:`bk_maxflow` allocates only a 2-element head/count pair for the orphan ring.)

Capacities are integers: the caller scales the float problem, so the arithmetic is exact and
max-flow equals min-cut to the last unit.

The algorithm is that of Boykov & Kolmogorov, "An experimental comparison of min-cut/max-flow
algorithms for energy minimization in vision" (PAMI 2004): two search trees grow from s and t
(growth), a path found where they touch is saturated (augmentation), and the nodes cut off
from their tree look for a new parent among their neighbours (adoption), preferring the one
nearest its terminal. It is preceded by one raster pass that saturates every path
s -> p -> q -> t of two sites (:func:`_push_pairs`), which settles most of the flow of a
denoising problem in cache order.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ._maxflow_ref import FREE, S_TREE, T_TREE, grid_offsets  # noqa: F401 (one definition)


@njit(cache=True)
def fill_capacities(u, two_beta, scale, K, rc, tr):
    """Scaled integer capacities of the Ising graph, written into ``rc`` and ``tr``.

    ``u`` : float64 (H, W) unary; the arc between two neighbouring sites gets
    ``round(two_beta * scale)`` both ways, site v gets ``tr = round(-2 u scale)`` (source side
    means +1: a site with u < 0 prefers +1 and is tied to s). Border arcs get 0.
    Returns the capacity ``c`` of one n-link (int).
    """
    H, W = u.shape
    Wp = W + 2
    c = np.int32(np.rint(two_beta * scale))
    rc[:, :] = 0
    tr[:] = 0
    for i in range(H):
        for j in range(W):
            v = (i + 1) * Wp + (j + 1)
            tr[v] = np.int32(np.rint(-2.0 * u[i, j] * scale))
            # arcs to the 8 neighbours when they are inside the grid
            rc[v, 0] = c if j + 1 < W else 0
            rc[v, 1] = c if j > 0 else 0
            rc[v, 2] = c if i + 1 < H else 0
            rc[v, 3] = c if i > 0 else 0
            if K == 8:
                rc[v, 4] = c if (i + 1 < H and j + 1 < W) else 0
                rc[v, 5] = c if (i > 0 and j > 0) else 0
                rc[v, 6] = c if (i + 1 < H and j > 0) else 0
                rc[v, 7] = c if (i > 0 and j + 1 < W) else 0
    return c


@njit(cache=True)
def _push_pairs(rc, tr, off, H, W):
    """Saturate the paths s -> p -> q -> t of two neighbouring sites, in raster order.

    Returns the flow pushed (int64). This is what the first growth steps of the search trees
    would do, without building the trees.
    """
    K = off.shape[0]
    Wp = W + 2
    flow = np.int64(0)
    for i in range(1, H + 1):
        for v in range(i * Wp + 1, i * Wp + W + 1):
            t = tr[v]
            if t == 0:
                continue
            if t > 0:
                for d in range(K):
                    q = v + off[d]
                    tq = tr[q]
                    r = rc[v, d]
                    if tq < 0 and r > 0:
                        f = min(t, -tq, r)
                        t -= f
                        tr[q] = tq + f
                        rc[v, d] = r - f
                        rc[q, d ^ 1] += f
                        flow += f
                        if t == 0:
                            break
            else:
                for d in range(K):
                    q = v + off[d]
                    tq = tr[q]
                    r = rc[q, d ^ 1]
                    if tq > 0 and r > 0:
                        f = min(-t, tq, r)
                        t += f
                        tr[q] = tq - f
                        rc[q, d ^ 1] = r - f
                        rc[v, d] += f
                        flow += f
                        if t == 0:
                            break
            tr[v] = t
    return flow


@njit(cache=True)
def _add_orphan(v, parent, orph, oq, orphan_code):
    """Mark ``v`` an orphan and append it to the orphan ring (``oq`` = [head, count])."""
    parent[v] = orphan_code
    n = orph.shape[0]
    pos = oq[0] + oq[1]
    if pos >= n:
        pos -= n
    orph[pos] = v
    oq[1] += 1


@njit(cache=True)
def bk_maxflow(rc, tr, tree, parent, nxt, orph, ts, dist, off, H, W):
    """Maximum flow from s to t on the implicit grid; returns the flow value (int64).

    On return ``tree[v] == 1`` exactly on the nodes reachable from s in the residual graph
    (the source side of a minimum cut). Returns -1 if an augmenting path had no capacity,
    which the invariants exclude (a guard against an endless loop, never seen). Arrays as in the module docstring; ``rc`` and ``tr``
    hold the capacities on entry and the residuals on return.
    """
    K = off.shape[0]
    TERM = K
    ORPHAN = K + 1
    Wp = W + 2
    N = tr.shape[0]
    INF = np.int32(2**31 - 1)

    flow = _push_pairs(rc, tr, off, H, W)

    # --- initial trees: every site with a terminal residual is a root, and active
    tree[:] = FREE
    parent[:] = -1
    nxt[:] = -1
    ts[:] = 0
    dist[:] = 0
    first = -1
    last = -1
    for i in range(1, H + 1):
        for v in range(i * Wp + 1, i * Wp + W + 1):
            t = tr[v]
            if t != 0:
                tree[v] = S_TREE if t > 0 else T_TREE
                parent[v] = TERM
                dist[v] = 1
                if last >= 0:
                    nxt[last] = v
                else:
                    first = v
                last = v
                nxt[v] = v

    oq = np.zeros(2, np.int64)  # orphan ring: head, count
    time = np.int32(0)
    cur = -1
    while True:
        # ---- pick the node to grow from: the current one again, or the next active one
        if cur >= 0:
            nxt[cur] = -1
            if tree[cur] == FREE:
                cur = -1
        if cur < 0:
            while first >= 0:
                v = first
                if nxt[v] == v:
                    first = -1
                    last = -1
                else:
                    first = nxt[v]
                nxt[v] = -1
                if tree[v] != FREE:
                    cur = v
                    break
            if cur < 0:
                break
        p = cur
        tp = tree[p]

        # ---- growth
        a = -1      # bridge: S-side node a, T-side node b = a + off[bd]
        bd = -1
        for d in range(K):
            q = p + off[d]
            if tp == S_TREE:
                cap = rc[p, d]
            else:
                cap = rc[q, d ^ 1]
            if cap <= 0:
                continue
            tq = tree[q]
            if tq == FREE:
                tree[q] = tp
                parent[q] = d ^ 1
                ts[q] = ts[p]
                dist[q] = dist[p] + 1
                if nxt[q] < 0:
                    if last >= 0:
                        nxt[last] = q
                    else:
                        first = q
                    last = q
                    nxt[q] = q
            elif tq != tp:
                if tp == S_TREE:
                    a = p
                    bd = d
                else:
                    a = q
                    bd = d ^ 1
                break
            elif ts[q] <= ts[p] and dist[q] > dist[p]:
                parent[q] = d ^ 1
                ts[q] = ts[p]
                dist[q] = dist[p] + 1

        time += 1
        if time == INF:          # after ~2**31 iterations: forget all stamps
            ts[:] = 0
            time = np.int32(1)
        if a < 0:
            cur = -1
            continue
        nxt[p] = p               # keep p outside the queue, but marked active
        b = a + off[bd]

        # ---- augmentation: find the bottleneck, then push it
        bott = rc[a, bd]
        v = a
        while True:
            pd = parent[v]
            if pd == TERM:
                if tr[v] < bott:
                    bott = tr[v]
                break
            w = v + off[pd]
            if rc[w, pd ^ 1] < bott:
                bott = rc[w, pd ^ 1]
            v = w
        v = b
        while True:
            pd = parent[v]
            if pd == TERM:
                if -tr[v] < bott:
                    bott = -tr[v]
                break
            if rc[v, pd] < bott:
                bott = rc[v, pd]
            v = v + off[pd]

        if bott <= 0:            # impossible unless the trees are corrupt: fail, never spin
            return np.int64(-1)
        rc[a, bd] -= bott
        rc[b, bd ^ 1] += bott
        v = a
        while True:
            pd = parent[v]
            if pd == TERM:
                tr[v] -= bott
                if tr[v] == 0:
                    _add_orphan(v, parent, orph, oq, ORPHAN)
                break
            w = v + off[pd]
            rc[w, pd ^ 1] -= bott
            rc[v, pd] += bott
            if rc[w, pd ^ 1] == 0:
                _add_orphan(v, parent, orph, oq, ORPHAN)
            v = w
        v = b
        while True:
            pd = parent[v]
            if pd == TERM:
                tr[v] += bott
                if tr[v] == 0:
                    _add_orphan(v, parent, orph, oq, ORPHAN)
                break
            w = v + off[pd]
            rc[v, pd] -= bott
            rc[w, pd ^ 1] += bott
            if rc[v, pd] == 0:
                _add_orphan(v, parent, orph, oq, ORPHAN)
            v = w
        flow += bott

        # ---- adoption
        while oq[1] > 0:
            o = orph[oq[0]]
            oq[0] += 1
            if oq[0] == N:
                oq[0] = 0
            oq[1] -= 1
            to = tree[o]
            best = -1
            dmin = INF
            for d in range(K):
                q = o + off[d]
                if tree[q] != to:
                    continue
                if to == S_TREE:
                    cap = rc[q, d ^ 1]
                else:
                    cap = rc[o, d]
                if cap <= 0:
                    continue
                # is q still rooted at a terminal? walk up, counting the distance
                j = q
                dd = np.int32(0)
                while True:
                    if ts[j] == time:
                        dd += dist[j]
                        break
                    pj = parent[j]
                    dd += 1
                    if pj == TERM:
                        ts[j] = time
                        dist[j] = 1
                        break
                    if pj == ORPHAN:
                        dd = INF
                        break
                    j = j + off[pj]
                if dd < INF:
                    if dd < dmin:
                        best = d
                        dmin = dd
                    j = q          # stamp the path with its distances
                    while ts[j] != time:
                        ts[j] = time
                        dist[j] = dd
                        dd -= 1
                        j = j + off[parent[j]]
            if best >= 0:
                parent[o] = best
                ts[o] = time
                dist[o] = dmin + 1
                continue
            # no parent: o becomes free; its neighbours in the tree may grow into it again
            for d in range(K):
                q = o + off[d]
                if tree[q] != to:
                    continue
                if to == S_TREE:
                    cap = rc[q, d ^ 1]
                else:
                    cap = rc[o, d]
                if cap > 0 and nxt[q] < 0:
                    if last >= 0:
                        nxt[last] = q
                    else:
                        first = q
                    last = q
                    nxt[q] = q
                if parent[q] == (d ^ 1):
                    _add_orphan(q, parent, orph, oq, ORPHAN)
            tree[o] = FREE
            parent[o] = -1
    return flow


@njit(cache=True)
def source_side(tree, H, W, out):
    """Write +1 where the site is in the source tree, -1 elsewhere, into ``out`` (int8 (H, W))."""
    Wp = W + 2
    for i in range(H):
        base = (i + 1) * Wp + 1
        for j in range(W):
            out[i, j] = 1 if tree[base + j] == S_TREE else -1
