"""numba kernels of pgm vs their numpy references."""

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


# ---------------------------------------------------------------- junction-tree pass
from pgm.inference._jt_kernels import clique_pass, clique_pass_ref  # noqa: E402


def _subset_table(rng, dims, W_parts):
    """A table over a random subset of the clique's axes: its strides in the clique (0 for
    axes it lacks) and its size; the table's values are appended to W_parts."""
    nd = len(dims)
    keep = [k for k in range(nd) if rng.random() < 0.5]
    strides = np.zeros(nd, dtype=np.int64)
    acc = 1
    for k in reversed(keep):
        strides[k] = acc
        acc *= dims[k]
    return strides, acc


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 5), st.integers(0, 4), st.integers(0, 4),
       st.booleans())
def test_clique_pass_matches_reference(seed, nd, nin, nout, zeros):
    rng = np.random.default_rng(seed)
    dims = rng.integers(1, 5, size=nd).astype(np.int64)
    size = int(np.prod(dims))
    pstr = np.ones(nd, dtype=np.int64)
    for k in range(nd - 2, -1, -1):
        pstr[k] = pstr[k + 1] * dims[k + 1]
    pot = rng.random(size + 3)
    if zeros:  # zero-probability entries in the potential and the inputs
        pot[rng.random(pot.size) < 0.3] = 0.0
    p0 = 3
    pot[:3] = np.nan  # never read
    tables = []
    off = 0
    for _ in range(nin + nout):
        strides, n = _subset_table(rng, dims, None)
        tables.append((off, strides, n))
        off += n
    W = rng.random(off)
    if zeros:
        W[rng.random(off) < 0.3] = 0.0
    for b, _, n in tables[nin:]:
        W[b:b + n] = 0.0
    lo = np.array([int(rng.integers(0, d)) for d in dims], dtype=np.int64)
    cnt = np.array([int(rng.integers(0, d - l + 1)) for d, l in zip(dims, lo)], dtype=np.int64)
    if rng.random() < 0.5:
        lo[:] = 0
        cnt[:] = dims
    nb = int(rng.integers(1, nd + 1))
    mi, mo = max(nin, 1), max(nout, 1)
    fb = np.array([t[0] for t in tables[:nin]] or [0], dtype=np.int64)
    fs = np.zeros((mi, nd), dtype=np.int64)
    for m in range(nin):
        fs[m] = tables[m][1]
    ob = np.array([t[0] for t in tables[nin:]] or [0], dtype=np.int64)
    os_ = np.zeros((mo, nd), dtype=np.int64)
    for t in range(nout):
        os_[t] = tables[nin + t][1]
    want = W.copy()
    clique_pass_ref(want, pot, p0, pstr.copy(), lo, cnt.copy(), nd, nb, fb, fs.copy(), nin, ob,
                    os_.copy(), nout)
    got = W.copy()
    blk = int(np.prod(dims))
    clique_pass(got, pot, p0, pstr.copy(), lo.copy(), cnt.copy(), nd, nb, fb, fs.copy(), nin, ob,
                os_.copy(), nout, np.empty(blk), np.empty((1 + mi + mo, blk), dtype=np.int64),
                np.empty(nd, dtype=np.int64), np.empty(mi, dtype=np.int64),
                np.empty(mo, dtype=np.int64), np.empty(1 + mi + mo, dtype=np.int64))
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)
    # the inputs are untouched
    for b, _, n in tables[:nin]:
        np.testing.assert_array_equal(got[b:b + n], W[b:b + n])


@settings(max_examples=150, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(0, 25), st.floats(0.0, 0.6),
       st.sampled_from(["min_fill", "min_degree", "min_weight"]), st.booleans(), st.booleans())
def test_greedy_elimination_kernel_matches_the_python_reference(seed, n, p, heuristic, subset,
                                                               huge):
    # same order and same elimination cliques, step for step, on random graphs, cardinalities
    # (saturated weights included: cardinalities up to 2^20) and subsets of nodes to eliminate
    import networkx as nx
    from pgm.inference.orders import _elimination_order_ref, elimination_order
    rng = np.random.default_rng(seed)
    G = nx.gnp_random_graph(n, p, seed=int(rng.integers(2**31)))
    G = nx.relabel_nodes(G, {v: f"v{v}" for v in G.nodes})
    hi = 2**20 if huge else 5
    cards = {v: int(rng.integers(1, hi)) for v in G.nodes}
    todo = None
    if subset:
        todo = [v for v in rng.permutation(list(G.nodes)).tolist() if rng.random() < 0.7]
    got_c, want_c = [], []
    got = elimination_order(G, todo, heuristic, cards, _cliques=got_c)
    want = _elimination_order_ref({v: set(G.adj[v]) for v in G.nodes}, todo, heuristic, cards,
                                  _cliques=want_c)
    assert got == want
    assert [set(c) for c in got_c] == [set(c) for c in want_c]
    assert sorted(got) == sorted(G.nodes if todo is None else todo)


def test_large_graphs_use_the_python_reference(monkeypatch):
    # above the kernel's node limit elimination_order takes the reference: same answer
    import networkx as nx
    import pgm.inference.orders as inf
    G = nx.gnp_random_graph(30, 0.2, seed=3)
    want = inf.elimination_order(G, heuristic="min_fill")
    calls = []
    real = inf._elimination_order_ref
    monkeypatch.setattr(inf, "_KERNEL_MAX_NODES", 10)
    monkeypatch.setattr(inf, "_elimination_order_ref", lambda *a: calls.append(1) or real(*a))
    assert inf.elimination_order(G, heuristic="min_fill") == want
    assert calls == [1]
