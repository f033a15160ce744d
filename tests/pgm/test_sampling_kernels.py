"""Sampling and counting kernels against their numpy references."""

import numpy as np
from hypothesis import given, settings, strategies as st
from pgm._sampling_kernels import draw_node, draw_node_ref, family_counts, family_counts_ref




def _families(rng, m, cards):
    cols, strides, ptr, offsets = [], [], [0], []
    size = 0
    for k in range(m):
        pa = sorted(rng.choice(m, size=int(rng.integers(0, min(3, m - 1) + 1)), replace=False).tolist())
        pa = [p for p in pa if p != k]
        fam = [k] + pa
        fc = [cards[u] for u in fam]
        st_ = np.ones(len(fc), dtype=np.int64)
        if len(fc) > 1:
            st_[:-1] = np.cumprod(fc[::-1])[:-1][::-1]
        cols += fam
        strides += st_.tolist()
        ptr.append(len(cols))
        offsets.append(size)
        size += int(np.prod(fc))
    return (np.array(cols, dtype=np.int64), np.array(strides, dtype=np.int64),
            np.array(ptr, dtype=np.int64), np.array(offsets, dtype=np.int64), size)


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 7), st.integers(1, 300),
       st.sampled_from([np.int8, np.int16, np.int64]))
def test_family_counts_matches_reference(seed, m, n, dtype):
    rng = np.random.default_rng(seed)
    cards = rng.integers(1, 5, size=m)
    X = (rng.random((n, m)) * cards).astype(dtype)
    cols, strides, ptr, offsets, size = _families(rng, m, cards)
    a = family_counts(X, cols, strides, ptr, offsets, np.zeros(size, dtype=np.int64))
    b = family_counts_ref(X, cols, strides, ptr, offsets, np.zeros(size, dtype=np.int64))
    np.testing.assert_array_equal(a, b)
    assert a.sum() == n * m


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 300), st.integers(1, 5),
       st.sampled_from([np.int8, np.int16, np.int64]))
def test_draw_node_matches_reference(seed, n, card, dtype):
    rng = np.random.default_rng(seed)
    pcards = rng.integers(1, 4, size=int(rng.integers(0, 3)))
    X = np.zeros((n, len(pcards) + 1), dtype=dtype)
    for j, c in enumerate(pcards):
        X[:, j] = rng.integers(0, c, size=n)
    ncols = int(np.prod(pcards)) if len(pcards) else 1
    p = rng.dirichlet(np.ones(card), size=ncols)
    p[rng.random(p.shape) < 0.2] = 0.0  # zero-mass states, including trailing ones
    p[:, 0] += (p.sum(axis=1) == 0)
    p /= p.sum(axis=1, keepdims=True)
    thr = np.cumsum(p, axis=1)[:, :-1]
    tail = np.cumsum(p[:, ::-1], axis=1)[:, ::-1][:, 1:]
    thr = np.ascontiguousarray(np.where(tail > 0, thr, np.inf))
    strides = np.ones(len(pcards), dtype=np.int64)
    if len(pcards) > 1:
        strides[:-1] = np.cumprod(pcards[::-1])[:-1][::-1]
    cols = np.arange(len(pcards), dtype=np.int64)
    u = rng.random(n)
    k = len(pcards)
    A, B = X.copy(), X.copy()
    draw_node(A, k, cols, strides, thr, u)
    draw_node_ref(B, k, cols, strides, thr, u)
    np.testing.assert_array_equal(A, B)
    colidx = (X[:, :k].astype(np.int64) * strides).sum(axis=1) if k else np.zeros(n, dtype=np.int64)
    assert np.all(p[colidx, A[:, k].astype(np.int64)] > 0)  # never a zero-mass state
