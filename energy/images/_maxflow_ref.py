"""Plain numpy + scipy reference of the grid max-flow kernels (:mod:`energy.images._maxflow`).

Same arrays, same signatures, same answers: the capacities live on the padded grid of the
kernels (``rc`` int32 (N, K) per arc, ``tr`` int32 (N,) signed terminal capacity, see the
kernel module), the explicit graph is built from them as a sparse matrix and handed to
:func:`scipy.sparse.csgraph.maximum_flow`, and the source tree is the set of nodes reachable
from s in the residual graph. That set is the same after every maximum flow of one integer
problem (the smallest source side of a minimum cut), so this reference and the
Boykov-Kolmogorov kernel label every site alike and return the same flow; a test checks it.

It compiles nothing: the dispatch points (Ising graph cut, Potts moves) run it on small grids,
where importing scipy's graph routines (~0.2 s) is cheaper than compiling the kernel (~3 s),
and the kernel above :data:`pgm.runtime.jit.JIT_MIN_WORK`. Unlike the kernel it does not leave
the residual capacities in ``rc`` and ``tr`` (no caller reads them), and ``parent``, ``nxt``,
``orph``, ``ts`` and ``dist`` are not touched.
"""

from __future__ import annotations

import numpy as np

FREE, S_TREE, T_TREE = 0, 1, 2      # the kernel's tree codes (the reference writes 0 and 1)

#: (row, column) step of each direction d of the padded grid (see the kernel module)
_STEPS = ((0, 1), (0, -1), (1, 0), (-1, 0), (1, 1), (-1, -1), (1, -1), (-1, 1))


def grid_offsets(W: int, connectivity: int) -> np.ndarray:
    """Index offsets of the neighbours on the padded grid of width ``W + 2``; int64 (K,)."""
    Wp = W + 2
    return np.array([di * Wp + dj for di, dj in _STEPS[:connectivity]], dtype=np.int64)


def fill_capacities(u, two_beta, scale, K, rc, tr):
    """Scaled integer capacities of the Ising graph into ``rc`` and ``tr`` (as the kernel:
    ``round(two_beta * scale)`` on every arc between two sites, ``round(-2 u scale)`` on the
    terminal arc of each site, 0 on the border). Returns the n-link capacity (int32)."""
    H, W = u.shape
    c = np.int32(np.rint(two_beta * scale))
    rc[:, :] = 0
    tr[:] = 0
    tr.reshape(H + 2, W + 2)[1:-1, 1:-1] = np.rint(-2.0 * u * scale).astype(np.int32)
    rcg = rc.reshape(H + 2, W + 2, rc.shape[1])
    for d, (di, dj) in enumerate(_STEPS[:K]):
        # sites whose neighbour (i + di, j + dj) is inside the H x W grid
        rcg[1 + max(0, -di):H + 1 - max(0, di), 1 + max(0, -dj):W + 1 - max(0, dj), d] = c
    return c


def bk_maxflow(rc, tr, tree, parent, nxt, orph, ts, dist, off, H, W):
    """Maximum flow (int64) from s to t; writes ``tree``: 1 (the source tree) for the nodes
    reachable from s in the residual graph, 0 for all others (the kernel also marks its sink
    tree 2; every caller reads only the source tree). The other work arrays are not used."""
    from scipy import sparse  # lazy: scipy's sparse graphs only when a cut runs
    from scipy.sparse.csgraph import breadth_first_order, maximum_flow

    N, K = rc.shape
    s, t = N, N + 1
    v, d = np.nonzero(rc > 0)
    pos, neg = np.flatnonzero(tr > 0), np.flatnonzero(tr < 0)
    rows = np.concatenate([v, np.full(pos.size, s), neg])
    cols = np.concatenate([v + off[d], pos, np.full(neg.size, t)])
    data = np.concatenate([rc[v, d], tr[pos], -tr[neg]]).astype(np.int32)
    cap = sparse.csr_matrix((data, (rows, cols)), shape=(N + 2, N + 2))
    cap.sort_indices()
    flow = maximum_flow(cap, s, t).flow
    value = int(flow[s].toarray().astype(np.int64).sum())
    residual = (cap - flow).tocsr()
    residual.data[residual.data < 0] = 0
    residual.eliminate_zeros()
    tree[:] = FREE
    from_s = breadth_first_order(residual, s, directed=True, return_predecessors=False)
    tree[from_s[from_s < N]] = S_TREE
    return value


def source_side(tree, H, W, out):
    """Write +1 where the site is in the source tree, -1 elsewhere, into ``out`` (int8 (H, W))."""
    out[:, :] = np.where(tree.reshape(H + 2, W + 2)[1:-1, 1:-1] == S_TREE, 1, -1)
