"""Numba kernels of the multi-label grid MRF (private; numpy references in
:mod:`energy.models._potts_kernels_ref`, compared by the tests).

Layout. Labels are int32 (H, W), unary costs float64 (H, W, K), the pairwise table V float64
(K, K), and the edge weights float64 ``wdir`` of shape (D, H, W), D = 2 (4-connectivity) or
4 (8-connectivity): ``wdir[h, i, j]`` is the weight of the pair (i, j) -- (i + DI[h], j + DJ[h])
for the half directions (0, 1), (1, 0), (1, 1), (1, -1), zero where that neighbour is outside
the grid.

Graph-cut moves use the padded grid of :mod:`energy.images._maxflow` (node
``v = (i + 1) * (W + 2) + (j + 1)``, half direction h is arc direction ``d = 2 h`` and its
reverse ``2 h + 1``). A move is a binary problem in x (x_v = 1: the site takes the new label
alpha, or alpha rather than beta for a swap), written as

    E(x) = const + Σ_v tu[v] x_v + Σ_(p,q) tp[q, 2h+1] (1 - x_p) x_q

with tp >= 0: the terms fill float arrays ``tu`` (N,) and ``tp`` (N, 2D), which
:func:`quantize` turns into the integer terminal residual ``tr = rint(-tu * scale)`` and the
arc capacities ``rc = rint(tp * scale)`` (x_v = 1 is the source side: a site pays
``tu[v] > 0`` on v -> t, ``-tu[v] > 0`` on s -> v; the pair term is the arc q -> p).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from energy.models._potts_kernels_ref import DI, DJ  # the neighbour offsets (one definition)


@njit(cache=True)
def expansion_terms(labels, unary, wdir, V, alpha, tu, tp):
    """Terms of the alpha-expansion move (Boykov, Veksler & Zabih 2001), into ``tu``, ``tp``.

    For a pair with current labels (a, b) and weight w: A = w V(a, b), B = w V(a, alpha),
    C = w V(alpha, b); tu[p] += C - A, tu[q] -= C, tp[q, 2h+1] += B + C - A. When V is not a
    metric B + C - A can be negative: it is clipped to 0 (B raised to A - C, the truncation of
    Rother et al. 2005), which never raises the energy of the current labeling, so the move
    still never increases E.
    """
    H, W, K = unary.shape
    D = wdir.shape[0]
    Wp = W + 2
    tu[:] = 0.0
    tp[:, :] = 0.0
    for i in range(H):
        for j in range(W):
            v = (i + 1) * Wp + j + 1
            a = labels[i, j]
            tu[v] += unary[i, j, alpha] - unary[i, j, a]
            for h in range(D):
                i2 = i + DI[h]
                j2 = j + DJ[h]
                if i2 >= H or j2 < 0 or j2 >= W:
                    continue
                w = wdir[h, i, j]
                if w == 0.0:
                    continue
                b = labels[i2, j2]
                A = w * V[a, b]
                B = w * V[a, alpha]
                C = w * V[alpha, b]
                P = B + C - A
                q = v + DI[h] * Wp + DJ[h]
                tu[v] += C - A
                tu[q] -= C
                if P > 0.0:
                    tp[q, 2 * h + 1] += P


@njit(cache=True)
def swap_terms(labels, unary, wdir, V, alpha, beta, tu, tp):
    """Terms of the alpha-beta swap move (x_v = 1: alpha, 0: beta) on the sites labelled
    alpha or beta; every other site has no term and stays out of the cut."""
    H, W, K = unary.shape
    D = wdir.shape[0]
    Wp = W + 2
    tu[:] = 0.0
    tp[:, :] = 0.0
    for i in range(H):
        for j in range(W):
            v = (i + 1) * Wp + j + 1
            a = labels[i, j]
            inp = a == alpha or a == beta
            if inp:
                tu[v] += unary[i, j, alpha] - unary[i, j, beta]
            for h in range(D):
                i2 = i + DI[h]
                j2 = j + DJ[h]
                if i2 >= H or j2 < 0 or j2 >= W:
                    continue
                w = wdir[h, i, j]
                if w == 0.0:
                    continue
                b = labels[i2, j2]
                inq = b == alpha or b == beta
                q = v + DI[h] * Wp + DJ[h]
                if inp and inq:
                    B = w * V[beta, alpha]
                    C = w * V[alpha, beta]
                    tu[v] += C
                    tu[q] -= C
                    tp[q, 2 * h + 1] += B + C
                elif inp:
                    tu[v] += w * (V[alpha, b] - V[beta, b])
                elif inq:
                    tu[q] += w * (V[a, alpha] - V[a, beta])


@njit(cache=True)
def quantize(tu, tp, scale, rc, tr):
    """``tr = rint(-tu * scale)``, ``rc[:, :D2] = rint(tp * scale)`` as int32 (in place)."""
    N, D2 = tp.shape
    for v in range(N):
        tr[v] = np.int32(np.rint(-tu[v] * scale))
        for d in range(D2):
            rc[v, d] = np.int32(np.rint(tp[v, d] * scale))


@njit(cache=True)
def apply_move(tree, labels, alpha, beta):
    """Relabel after a cut; returns how many sites changed.

    ``beta < 0``: expansion, a site on the source side (``tree == 1``) takes alpha.
    Otherwise swap: a site labelled alpha or beta takes alpha on the source side, else beta.
    """
    H, W = labels.shape
    Wp = W + 2
    changed = 0
    for i in range(H):
        for j in range(W):
            s = tree[(i + 1) * Wp + j + 1] == 1
            a = labels[i, j]
            if beta < 0:
                new = alpha if s else a
            elif a == alpha or a == beta:
                new = alpha if s else beta
            else:
                new = a
            if new != a:
                labels[i, j] = new
                changed += 1
    return changed


@njit(cache=True)
def sample_colour(labels, unary, wdir, V, colour, n_colours, temperature, u, cost):
    """Update, in place, the sites of one colour from p(label | neighbours)^(1/T).

    Colours: (i + j) % 2 when ``n_colours == 2`` (4-connectivity), 2 (i % 2) + j % 2 when 4
    (8-connectivity); no two sites of a colour are neighbours. At T = 0 the cheapest label
    (ties keep the current one: ICM); at T > 0 the first label whose cumulative weight
    exp(-(cost - min) / T) exceeds ``u[i, j]`` times the total. ``cost`` is a float64 (K,)
    scratch array. Returns the number of changed sites.
    """
    H, W, K = unary.shape
    D = wdir.shape[0]
    changed = 0
    for i in range(H):
        for j in range(W):
            c = (i + j) % 2 if n_colours == 2 else 2 * (i % 2) + j % 2
            if c != colour:
                continue
            for k in range(K):
                cost[k] = unary[i, j, k]
            for h in range(D):
                i2 = i + DI[h]
                j2 = j + DJ[h]
                if i2 < H and j2 >= 0 and j2 < W:
                    w = wdir[h, i, j]
                    b = labels[i2, j2]
                    for k in range(K):
                        cost[k] += w * V[k, b]
                i2 = i - DI[h]
                j2 = j - DJ[h]
                if i2 >= 0 and j2 >= 0 and j2 < W:
                    w = wdir[h, i2, j2]
                    b = labels[i2, j2]
                    for k in range(K):
                        cost[k] += w * V[k, b]
            cur = labels[i, j]
            best = cur
            if temperature == 0.0:
                bv = cost[cur]
                for k in range(K):
                    if cost[k] < bv:
                        bv = cost[k]
                        best = k
            else:
                m = cost[0]
                for k in range(1, K):
                    if cost[k] < m:
                        m = cost[k]
                total = 0.0
                for k in range(K):
                    cost[k] = np.exp(-(cost[k] - m) / temperature)
                    total += cost[k]
                r = u[i, j] * total
                acc = 0.0
                best = K - 1
                for k in range(K):
                    acc += cost[k]
                    if acc > r:
                        best = k
                        break
            if best != cur:
                labels[i, j] = best
                changed += 1
    return changed
