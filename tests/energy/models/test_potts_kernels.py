"""Each numba kernel of the grid MRF against its plain-numpy reference."""

import numpy as np
import pytest

from energy.models import _potts_kernels as PK
from energy.models import _potts_kernels_ref as R
from energy.models.potts import GridMRF


def problem(conn, pairwise="truncated_quadratic", seed=0, H=7, W=9, K=5):
    rng = np.random.default_rng(seed)
    w = [rng.random((H, W - 1)) * 2, rng.random((H - 1, W)) * 2]
    if conn == 8:
        w += [rng.random((H - 1, W - 1)), rng.random((H - 1, W - 1))]
    w[0][0, 0] = 0.0                                   # a zero weight is skipped by both
    m = GridMRF(rng.normal(size=(H, W, K)), pairwise, weight=tuple(w), truncation=3.0,
                connectivity=conn)
    return m, rng.integers(0, K, size=(H, W)).astype(np.int32), rng


def buffers(m):
    H, W = m.shape
    N = (H + 2) * (W + 2)
    return np.zeros(N), np.zeros((N, m.connectivity))


@pytest.mark.parametrize("conn", [4, 8])
@pytest.mark.parametrize("pairwise", ["potts", "truncated_quadratic"])
def test_move_terms_match_the_reference(conn, pairwise):
    m, f, _ = problem(conn, pairwise)
    for alpha, beta in [(0, -1), (3, -1), (1, 4), (0, 2)]:
        a_tu, a_tp = buffers(m)
        b_tu, b_tp = buffers(m)
        if beta < 0:
            PK.expansion_terms(f, m.unary, m.wdir, m.V, alpha, a_tu, a_tp)
            R.expansion_terms(f, m.unary, m.wdir, m.V, alpha, b_tu, b_tp)
        else:
            PK.swap_terms(f, m.unary, m.wdir, m.V, alpha, beta, a_tu, a_tp)
            R.swap_terms(f, m.unary, m.wdir, m.V, alpha, beta, b_tu, b_tp)
        np.testing.assert_allclose(a_tu, b_tu, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(a_tp, b_tp, rtol=1e-12, atol=1e-12)
        assert np.all(a_tp >= 0) and np.count_nonzero(a_tp) > 0
        N, D2 = a_tp.shape
        rc1, rc2 = np.zeros((N, D2), np.int32), np.zeros((N, D2), np.int32)
        tr1, tr2 = np.zeros(N, np.int32), np.zeros(N, np.int32)
        PK.quantize(a_tu, a_tp, 1e6, rc1, tr1)
        R.quantize(a_tu, a_tp, 1e6, rc2, tr2)
        assert np.array_equal(rc1, rc2) and np.array_equal(tr1, tr2)


def test_move_terms_reproduce_the_energy_of_every_move():
    """const + Σ tu x + Σ tp (1 - x_p) x_q equals E of the moved labeling (metric V)."""
    m, f, rng = problem(4, "potts", H=4, W=5, K=4)
    H, W = m.shape
    tu, tp = buffers(m)
    PK.expansion_terms(f, m.unary, m.wdir, m.V, 2, tu, tp)
    for _ in range(20):
        x = rng.random((H, W)) < 0.5
        g = np.where(x, 2, f)
        xp = np.zeros((H + 2, W + 2))
        xp[1:-1, 1:-1] = x
        xv = xp.ravel()
        off = (1, -1, W + 2, -(W + 2))
        pair = sum(tp[q, d] * (1 - xv[q + off[d]]) * xv[q]
                   for q in range(xv.size) for d in range(4) if tp[q, d])
        assert m.energy(f) + tu @ xv + pair == pytest.approx(m.energy(g))


def test_apply_move_matches_the_reference():
    m, f, rng = problem(4)
    H, W = m.shape
    tree = rng.integers(0, 3, size=(H + 2) * (W + 2)).astype(np.int8)
    for alpha, beta in [(1, -1), (2, 3)]:
        a, b = f.copy(), f.copy()
        assert PK.apply_move(tree, a, alpha, beta) == R.apply_move(tree, b, alpha, beta) > 0
        assert np.array_equal(a, b)


@pytest.mark.parametrize("conn", [4, 8])
@pytest.mark.parametrize("T", [0.0, 0.7])
def test_sample_colour_matches_the_reference(conn, T):
    m, f, rng = problem(conn, "truncated_linear")
    f[2, 3] = 0
    m.unary[2, 3] = 0.0            # ties everywhere at this site: ICM keeps the label
    nc = 2 if conn == 4 else 4
    for colour in range(nc):
        u = rng.random(m.shape)
        a, b = f.copy(), f.copy()
        na = PK.sample_colour(a, m.unary, m.wdir, m.V, colour, nc, T, u, np.empty(5))
        nb = R.sample_colour(b, m.unary, m.wdir, m.V, colour, nc, T, u)
        assert na == nb > 0 and np.array_equal(a, b)
        assert np.array_equal(a[~R.colour_mask(*m.shape, nc, colour)],
                              f[~R.colour_mask(*m.shape, nc, colour)])
