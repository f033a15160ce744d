"""The fused clique pass of the junction-tree calibration against its numpy reference; the
forest index (JTIndex) through its flat transport."""

import numpy as np
from hypothesis import given, settings, strategies as st

from pgm import JunctionTree
from pgm.inference._jt_kernels import JTIndex, clique_pass, clique_pass_ref, unpack

from tests.pgm._bn_helpers import random_bn


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


def test_jt_index_round_trips_through_the_flat_transport():
    # the calibration kernel receives the forest's JTIndex packed into one array: unpacking it
    # (in numba) gives back every field by name
    jt = JunctionTree(random_bn(4, 12))
    jt._build_flat()        # built on the fused calibration's first use
    back = unpack(jt._flat, jt._offs)
    assert type(back).__name__ == "JTIndex" and back._fields == JTIndex._fields
    for k, f in enumerate(JTIndex._fields):
        np.testing.assert_array_equal(getattr(back, f), jt._flat[jt._offs[k]:jt._offs[k + 1]])
    assert back.parent.tolist() == jt.parent
    assert back.card.tolist() == [jt._c.cards[v] for v in jt._c.nodes]
