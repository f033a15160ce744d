"""Plain-numpy references of :mod:`pgm._sampling_kernels` (the path of small problems, and
what the tests compare the kernels with; no numba import).

>>> import numpy as np
>>> X = np.array([[0, 1], [1, 1], [1, 0]])
>>> ptr = np.array([0, 1, 3]); cols = np.array([0, 1, 0]); strides = np.array([1, 2, 1])
>>> family_counts_ref(X, cols, strides, ptr, np.array([0, 2]), np.zeros(6, dtype=np.int64)).tolist()
[1, 2, 0, 1, 1, 1]
"""

from __future__ import annotations

import numpy as np

__all__ = ["family_counts_ref", "draw_node_ref"]


def family_counts_ref(X, fam_cols, fam_strides, fam_ptr, offsets, out):
    """numpy reference of :func:`family_counts`."""
    for k in range(len(fam_ptr) - 1):
        idx = np.full(X.shape[0], offsets[k], dtype=np.int64)
        for j in range(fam_ptr[k], fam_ptr[k + 1]):
            idx += X[:, fam_cols[j]].astype(np.int64) * fam_strides[j]
        out += np.bincount(idx, minlength=out.size)[: out.size]
    return out


def draw_node_ref(X, k, cols, strides, thresholds, u):
    """numpy reference of :func:`draw_node`."""
    col = np.zeros(X.shape[0], dtype=np.int64)
    for c, s in zip(cols, strides):
        col += X[:, c].astype(np.int64) * s
    X[:, k] = (u[:, None] >= thresholds[col]).sum(axis=1)
