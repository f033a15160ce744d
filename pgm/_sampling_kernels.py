"""numba kernels for the row loops of sampling and counting, each with a plain-numpy reference.

``tests/pgm/test_sampling_kernels.py`` compares every kernel with its reference (the greedy
elimination kernel lives beside the orders: :mod:`pgm.inference._order_kernels`).

Layout shared by both: ``X`` is an int array of shape (n_samples, n_nodes); a node's *family*
is given by ``cols`` (column indices in ``X``) and ``strides`` (the mixed-radix weight of each
column), so that the flat table index of a row is ``Σ_j X[i, cols[j]] * strides[j]``.

Examples
--------
>>> import numpy as np
>>> X = np.array([[0, 1], [1, 1], [1, 0]])
>>> out = np.zeros(2 + 4, dtype=np.int64)   # node 0: 2 states; node 1 given node 0: 2 x 2
>>> ptr = np.array([0, 1, 3]); cols = np.array([0, 1, 0]); strides = np.array([1, 2, 1])
>>> family_counts(X, cols, strides, ptr, np.array([0, 2]), out).tolist()
[1, 2, 0, 1, 1, 1]
>>> family_counts_ref(X, cols, strides, ptr, np.array([0, 2]), np.zeros(6, dtype=np.int64)).tolist()
[1, 2, 0, 1, 1, 1]
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ._sampling_ref import draw_node_ref, family_counts_ref  # noqa: F401  (the references)
from .runtime.counter_rng import splitmix64, uniform53

__all__ = ["family_counts", "family_counts_ref", "draw_node", "draw_node_ref",
           "draw_node_counter", "draw_node_counter_ref"]


@njit(cache=True)
def family_counts(X, fam_cols, fam_strides, fam_ptr, offsets, out):
    """Add the count of every family configuration of every node to ``out`` (flat).

    Parameters
    ----------
    X : int array of shape (n_samples, n_nodes)
    fam_cols, fam_strides : int64 arrays, concatenated families (CSR with ``fam_ptr``)
    fam_ptr : int64 array of shape (n_nodes + 1,)
    offsets : int64 array of shape (n_nodes,)
        Start of each node's table in ``out``.
    out : int64 array
    """
    n = X.shape[0]
    m = fam_ptr.shape[0] - 1
    for i in range(n):
        for k in range(m):
            idx = offsets[k]
            for j in range(fam_ptr[k], fam_ptr[k + 1]):
                idx += np.int64(X[i, fam_cols[j]]) * fam_strides[j]
            out[idx] += 1
    return out


@njit(cache=True)
def draw_node(X, k, cols, strides, thresholds, u):
    """Set ``X[:, k]`` by inverse-CDF lookup: the number of thresholds of the row's column <= u.

    Parameters
    ----------
    X : int array of shape (n_samples, n_nodes), parents' columns already drawn
    k : int
    cols, strides : int64 arrays of the parents' columns and strides
    thresholds : float64 array of shape (n_columns, cardinality - 1)
        Cumulative probabilities (``inf`` for states of zero remaining mass).
    u : float64 array of shape (n_samples,), uniform on [0, 1)
    """
    n = X.shape[0]
    c = thresholds.shape[1]
    for i in range(n):
        col = 0
        for j in range(cols.shape[0]):
            col += np.int64(X[i, cols[j]]) * strides[j]
        s = 0
        ui = u[i]
        while s < c and ui >= thresholds[col, s]:
            s += 1
        X[i, k] = s


@njit(cache=True)
def draw_node_counter(X, k, cols, strides, thresholds, seed, start, n_nodes):
    """:func:`draw_node` with counter-based uniforms: row i uses the uniform number
    ``(start + i) * n_nodes + k`` of ``seed`` (:func:`pgm.runtime.counter_rng.uniform53`), so
    a row's draws depend on its global index only, never on the chunk that holds it."""
    n = X.shape[0]
    c = thresholds.shape[1]
    useed = np.uint64(seed)
    nn = np.uint64(n_nodes)
    kk = np.uint64(k)
    s0 = np.uint64(start)
    for i in range(n):
        col = 0
        for j in range(cols.shape[0]):
            col += np.int64(X[i, cols[j]]) * strides[j]
        ui = uniform53(useed, (s0 + np.uint64(i)) * nn + kk)
        s = 0
        while s < c and ui >= thresholds[col, s]:
            s += 1
        X[i, k] = s


def draw_node_counter_ref(X, k, cols, strides, thresholds, seed, start, n_nodes):
    """numpy reference of :func:`draw_node_counter`."""
    rows = np.arange(start, start + X.shape[0], dtype=np.uint64) * np.uint64(n_nodes)
    u = (splitmix64(seed, rows + np.uint64(k)) >> np.uint64(11)).astype(np.float64) * 2.0**-53
    draw_node_ref(X, k, cols, strides, thresholds, u)
