"""Min-sum belief propagation: exact min-marginals on chains, a good minimum on a grid."""

import itertools

import numpy as np
import pytest

from energy.models.potts import GridMRF, PottsModel
from energy.models.potts_bp import loopy_bp
from energy.models.potts_graphcut import alpha_expansion


def min_marginals(m):
    H, W, K = m.unary.shape
    F = np.array(list(itertools.product(range(K), repeat=H * W))).reshape(-1, H, W)
    E = np.array([m.energy(f) for f in F])
    out = np.array([[[E[F[:, i, j] == k].min() for k in range(K)] for j in range(W)]
                    for i in range(H)])
    return out - E.min(), E.min()


@pytest.mark.parametrize("pairwise, T", [("potts", None), ("truncated_linear", 1.5),
                                         ("truncated_quadratic", 3.0)])
@pytest.mark.parametrize("shape", [(1, 6), (5, 1)])
@pytest.mark.parametrize("damping", [0.0, 0.5])
def test_bp_on_a_chain_gives_the_exact_min_marginals(pairwise, T, shape, damping):
    rng = np.random.default_rng(11)
    H, W = shape
    w = (rng.random((H, W - 1)) * 2, rng.random((H - 1, W)) * 2)
    m = GridMRF(rng.random((H, W, 3)) * 3, pairwise, weight=w, truncation=T,
                label_values=[0.0, 0.7, 2.0])
    res = loopy_bp(m, damping=damping, tol=1e-12, max_iter=300)
    mm, best = min_marginals(m)
    assert res.converged
    np.testing.assert_allclose(res.extra["beliefs"], mm, atol=1e-8)
    assert res.energy == pytest.approx(best)


def test_bp_on_a_diagonal_forest_is_exact():
    """8-connectivity with only the diagonal edges weighted: two trees, BP is exact."""
    rng = np.random.default_rng(12)
    H, W = 2, 3
    w = (np.zeros((H, W - 1)), np.zeros((H - 1, W)), rng.random((1, 2)) + 0.5,
         rng.random((1, 2)) + 0.5)
    m = GridMRF(rng.random((H, W, 3)) * 2, "truncated_quadratic", weight=w, truncation=2.0,
                connectivity=8)
    res = loopy_bp(m, damping=0.2, tol=1e-12, max_iter=300)
    mm, best = min_marginals(m)
    np.testing.assert_allclose(res.extra["beliefs"], mm, atol=1e-8)
    assert res.energy == pytest.approx(best)


def test_bp_on_a_loopy_grid_finds_a_low_energy():
    rng = np.random.default_rng(2)
    truth = np.zeros((30, 30), int)
    truth[8:22, 8:22] = 1
    truth[12:18, 12:18] = 2
    noisy = truth + rng.normal(0, 0.6, truth.shape)
    unary = np.stack([(noisy - k) ** 2 for k in range(3)], axis=2)
    m = PottsModel(unary, weight=0.8)
    bp = loopy_bp(m, max_iter=60)
    ae = alpha_expansion(m)
    start = m.energy(m.initial_state())
    assert bp.energy < start and bp.energy <= 1.02 * ae.energy
    assert bp.energy == pytest.approx(m.energy(bp.labels))


def test_bp_bad_arguments():
    m = PottsModel(np.zeros((2, 2, 2)))
    with pytest.raises(ValueError, match="damping: must be < 1"):
        loopy_bp(m, damping=1.0)
    with pytest.raises(ValueError, match="max_iter: must be >= 1"):
        loopy_bp(m, max_iter=0)
