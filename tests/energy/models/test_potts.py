"""The multi-label grid MRF: energy against a brute-force sum, graph-cut moves against
exhaustive enumeration (factor-2 bound, local optimality), ICM fixed points, the Gibbs
sampler against the exact distribution, bad input."""

import itertools

import numpy as np
import pytest
from scipy import stats

from pgm.runtime.jit import jit_policy
from energy.models.potts import GridMRF, PottsModel, contrast_weights
from energy.models.potts_graphcut import ab_swap, alpha_expansion
from energy.sampling import block_gibbs

HALF = ((0, 1), (1, 0), (1, 1), (1, -1))


def brute_energy(unary, V, edges, F):
    """Energies of the labelings F (n, H, W): explicit sum over the listed edges."""
    H, W, _ = unary.shape
    e = np.zeros(F.shape[0])
    for i in range(H):
        for j in range(W):
            e += unary[i, j, F[:, i, j]]
    for (i, j), (k, l), w in edges:
        e += w * V[F[:, i, j], F[:, k, l]]
    return e


def edge_list(model):
    H, W = model.shape
    out = []
    for h in range(model.wdir.shape[0]):
        di, dj = HALF[h]
        for i in range(H):
            for j in range(W):
                if 0 <= i + di < H and 0 <= j + dj < W:
                    out.append(((i, j), (i + di, j + dj), model.wdir[h, i, j]))
    return out


def all_labelings(H, W, K):
    return np.array(list(itertools.product(range(K), repeat=H * W))).reshape(-1, H, W)


def random_weights(rng, H, W, conn):
    w = [rng.random((H, W - 1)) * 2, rng.random((H - 1, W)) * 2]
    if conn == 8:
        w += [rng.random((H - 1, W - 1)), rng.random((H - 1, W - 1))]
    return tuple(w)


@pytest.mark.parametrize("pairwise, T", [("potts", None), ("truncated_linear", 2.0),
                                         ("truncated_quadratic", 3.0)])
@pytest.mark.parametrize("conn", [4, 8])
def test_energy_equals_the_brute_force_sum(pairwise, T, conn):
    rng = np.random.default_rng(3)
    H, W, K = 3, 4, 4
    unary = rng.normal(size=(H, W, K))
    m = GridMRF(unary, pairwise, weight=random_weights(rng, H, W, conn), truncation=T,
                connectivity=conn, label_values=np.array([0.0, 1.0, 2.5, 3.0]))
    F = rng.integers(0, K, size=(20, H, W))
    want = brute_energy(unary, m.V, edge_list(m), F)
    got = [m.energy(f) for f in F]
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    assert len(edge_list(m)) == m.to_networkx().number_of_edges()


def test_scalar_weight_and_tables():
    m = GridMRF(np.zeros((2, 2, 3)), "truncated_linear", weight=2.0, truncation=1.5,
                connectivity=8)
    assert m.V.tolist() == [[0, 1, 1.5], [1, 0, 1], [1.5, 1, 0]]
    assert m.wdir[0, 0, 0] == 2.0 and m.wdir[2, 0, 0] == pytest.approx(2.0 / np.sqrt(2))
    assert m.wdir[0, :, 1].tolist() == [0.0, 0.0]          # no right neighbour
    assert m.is_metric
    q = GridMRF(np.zeros((2, 2, 4)), "truncated_quadratic", truncation=5.0)
    assert not q.is_metric                                  # 4 > 1 + 1
    assert PottsModel(np.zeros((2, 2, 3))).is_metric


def _instances(n, pairwise="potts", T=None, K=3, seed=0, conn=4):
    rng = np.random.default_rng(seed)
    for _ in range(n):
        unary = rng.random((3, 3, K)) * 3
        w = random_weights(rng, 3, 3, conn)
        yield GridMRF(unary, pairwise, weight=w, truncation=T, connectivity=conn)


def _best_expansion(m, f, alpha):
    """Lowest energy over all alpha-expansion moves from f, by enumeration."""
    free = np.argwhere(f.ravel() != alpha).ravel()
    masks = np.array(list(itertools.product((0, 1), repeat=free.size)), dtype=bool)
    F = np.repeat(f.ravel()[None], masks.shape[0], axis=0)
    F[:, free] = np.where(masks, alpha, F[:, free])
    return brute_energy(m.unary, m.V, edge_list(m), F.reshape(-1, *f.shape)).min()


def _best_swap(m, f, a, b):
    sites = np.argwhere((f.ravel() == a) | (f.ravel() == b)).ravel()
    masks = np.array(list(itertools.product((0, 1), repeat=sites.size)), dtype=bool)
    F = np.repeat(f.ravel()[None], masks.shape[0], axis=0)
    F[:, sites] = np.where(masks, a, b)
    return brute_energy(m.unary, m.V, edge_list(m), F.reshape(-1, *f.shape)).min()


@pytest.mark.parametrize("pairwise, T, conn", [("potts", None, 4), ("truncated_linear", 2.0, 4),
                                               ("potts", None, 8)])
def test_alpha_expansion_is_a_local_optimum_within_the_factor_bound(pairwise, T, conn):
    for m in _instances(6, pairwise, T, conn=conn):
        E = brute_energy(m.unary, m.V, edge_list(m), all_labelings(3, 3, 3))
        res = alpha_expansion(m)
        assert res.converged and res.energy == pytest.approx(m.energy(res.labels))
        off = m.V[~np.eye(3, dtype=bool)]
        c = off.max() / off.min()
        assert E.min() - 1e-9 <= res.energy <= 2 * c * E.min() + 1e-9
        for alpha in range(3):          # no expansion move lowers the energy
            assert _best_expansion(m, res.labels, alpha) >= res.energy - 1e-9
        assert np.all(np.diff(res.energies) <= 0)


@pytest.mark.parametrize("pairwise, T, conn", [("potts", None, 4),
                                               ("truncated_quadratic", 2.0, 4),
                                               ("truncated_quadratic", 2.0, 8)])
def test_ab_swap_is_a_local_optimum(pairwise, T, conn):
    for m in _instances(6, pairwise, T, seed=1, conn=conn):
        E = brute_energy(m.unary, m.V, edge_list(m), all_labelings(3, 3, 3))
        res = ab_swap(m)
        assert res.converged and res.energy == pytest.approx(m.energy(res.labels))
        assert res.energy >= E.min() - 1e-9
        if pairwise == "potts":
            assert res.energy <= 2 * E.min() + 1e-9
        for a, b in itertools.combinations(range(3), 2):
            assert _best_swap(m, res.labels, a, b) >= res.energy - 1e-9


def test_expansion_on_a_non_metric_never_raises_the_energy():
    rng = np.random.default_rng(5)
    m = GridMRF(rng.random((12, 12, 5)) * 4, "truncated_quadratic", weight=1.0, truncation=4.0)
    f0 = m.initial_state()
    res = alpha_expansion(m, f0)
    assert not res.extra["metric"]
    assert res.energy <= m.energy(f0)
    assert np.all(np.diff(res.energies) <= 0)


def test_expansion_reaches_the_optimum_of_a_two_label_problem():
    # K = 2 Potts: one expansion is the exact binary min-cut
    rng = np.random.default_rng(2)
    m = PottsModel(rng.random((3, 4, 2)) * 2, weight=0.7)
    E = brute_energy(m.unary, m.V, edge_list(m), all_labelings(3, 4, 2))
    res = alpha_expansion(m, order="random", rng=0)
    assert res.energy == pytest.approx(E.min())
    assert 0 < res.extra["quantization_bound"] < 1e-6


def _single_site_optimal(m, f):
    base = m.energy(f)
    for i, j in itertools.product(range(f.shape[0]), range(f.shape[1])):
        for k in range(m.n_labels):
            g = f.copy()
            g[i, j] = k
            if m.energy(g) < base - 1e-12:
                return False
    return True


@pytest.mark.parametrize("conn", [4, 8])
def test_icm_reaches_a_fixed_point_with_monotone_energy(conn):
    rng = np.random.default_rng(4)
    m = GridMRF(rng.random((6, 7, 4)) * 3, "truncated_linear", weight=1.0, truncation=2.0,
                connectivity=conn)
    res = m.icm()
    assert res.converged and np.all(np.diff(res.energies) <= 1e-12)
    assert _single_site_optimal(m, res.labels)
    ann = m.anneal(n_sweeps=30, rng=0)
    assert _single_site_optimal(m, ann.labels)
    assert np.array_equal(ann.labels, m.anneal(n_sweeps=30, rng=0).labels)


@pytest.mark.parametrize("conn", [4, 8])
def test_gibbs_sweeps_sample_the_exact_distribution(conn):
    """Tiles of a 2x2 model with zero weights between them: independent copies."""
    rng = np.random.default_rng(7)
    K, M = 3, 1500
    tile_u = rng.random((2, 2, K)) * 1.5
    unary = np.tile(tile_u, (1, M, 1))
    tile_w = random_weights(rng, 2, 2, conn)
    H, W = 2, 2 * M
    w = [np.zeros((H, W - 1)), np.zeros((H - 1, W))] + \
        ([np.zeros((H - 1, W - 1)), np.zeros((H - 1, W - 1))] if conn == 8 else [])
    for t in range(M):
        w[0][:, 2 * t] = tile_w[0][:, 0]
        w[1][:, 2 * t:2 * t + 2] = tile_w[1]
        if conn == 8:
            w[2][:, 2 * t] = tile_w[2][:, 0]
            w[3][:, 2 * t] = tile_w[3][:, 0]
    m = GridMRF(unary, "truncated_linear", weight=tuple(w), truncation=1.5, connectivity=conn)
    tile = GridMRF(tile_u, "truncated_linear", weight=tile_w, truncation=1.5, connectivity=conn)
    state = m.initial_state()
    block_gibbs(m, state, temperature=1.0, max_sweeps=40, rng=1, record_energy=False)
    F = all_labelings(2, 2, K)
    p = np.exp(-np.array([tile.energy(f) for f in F]))
    p /= p.sum()
    codes = (state.reshape(2, M, 2).transpose(1, 0, 2).reshape(M, 4) * K ** np.arange(3, -1, -1)
             ).sum(axis=1)
    counts = np.bincount(codes, minlength=K**4)
    assert stats.chisquare(counts, p * M).pvalue > 1e-3


def test_contrast_weights_shapes_and_values():
    img = np.zeros((4, 5))
    img[:, 3:] = 100.0
    w = contrast_weights(img, scale=2.0, connectivity=8)
    assert [a.shape for a in w] == [(4, 4), (3, 5), (3, 4), (3, 4)]
    # 10 of the 55 pairs cross the edge: beta = 1 / (2 * 1e4 * 10 / 55)
    assert w[0][0, 0] == 2.0 and np.all(w[1] == 2.0)
    assert w[0][0, 2] == pytest.approx(2.0 * np.exp(-55 / 20))
    assert w[2][0, 0] == pytest.approx(2.0 / np.sqrt(2))
    m = GridMRF(np.zeros((4, 5, 2)), weight=w, connectivity=8)
    assert m.wdir[3, 0, 1] == w[3][0, 0]        # anti-diagonal (0, 1)-(1, 0)
    assert all(np.all(a == 1.0) for a in contrast_weights(np.ones((3, 3))))
    assert contrast_weights(np.stack([img, img], 2), beta=0.0)[0][0, 2] == 1.0


@pytest.mark.parametrize("kwargs, match", [
    (dict(unary=np.zeros((3, 3, 1))), "unary: needs K >= 2"),
    (dict(unary=np.zeros((3, 3))), "unary: expected a 3-D"),
    (dict(unary=np.full((2, 2, 2), np.nan)), "unary: must be finite"),
    (dict(truncation=0.0), "truncation: must be > 0"),
    (dict(truncation=-1.0), "truncation: must be > 0"),
    (dict(weight=-1.0), "weight: must be >= 0"),
    (dict(weight=(np.ones((3, 2)), np.ones((3, 3)))), r"weight\[1\] \(vertical\): expected shape"),
    (dict(weight=(np.ones((3, 2)), -np.ones((2, 3)))), r"weight\[1\] \(vertical\): weights must"),
    (dict(weight=(np.ones((3, 2)),)), "weight: expected a scalar or a tuple of 2"),
    (dict(weight=(np.ones((3, 2)), np.full((2, 3), np.nan))), r"weight\[1\]: must be finite"),
    (dict(connectivity=6), "connectivity: expected 4 or 8"),
    (dict(pairwise="linear"), "pairwise: expected one of"),
    (dict(pairwise=np.ones((3, 3))), "pairwise: the table must be"),
    (dict(pairwise=np.zeros((2, 2))), r"pairwise: expected a \(3, 3\) table"),
    (dict(label_values=[0, 1]), "label_values: expected 3 values"),
])
def test_bad_input_names_the_argument(kwargs, match):
    args = dict(unary=np.zeros((3, 3, 3)), pairwise="truncated_linear")
    args.update(kwargs)
    with pytest.raises((ValueError, TypeError), match=match):
        GridMRF(**args)


def test_bad_labels_and_solver_arguments():
    m = PottsModel(np.zeros((2, 3, 3)))
    with pytest.raises(ValueError, match=r"labels: labels must be in \[0, 3\)"):
        m.energy(np.full((2, 3), 3))
    with pytest.raises(ValueError, match="labels: expected shape"):
        m.energy(np.zeros((3, 2), int))
    with pytest.raises(TypeError, match="labels: expected dtype kind"):
        m.energy(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="max_cycles: must be >= 1"):
        alpha_expansion(m, max_cycles=0)
    with pytest.raises(ValueError, match="order: expected"):
        alpha_expansion(m, order="backwards")
    with pytest.raises(TypeError, match="model: expected a GridMRF"):
        ab_swap(np.zeros((2, 2, 2)))


@pytest.mark.parametrize("solver", [alpha_expansion, ab_swap, "icm"])
def test_numba_and_numpy_paths_give_the_same_result(solver):
    rng = np.random.default_rng(9)
    m = GridMRF(rng.random((36, 40, 4)) * 3, "truncated_quadratic", weight=0.6, truncation=2.0,
                connectivity=8)
    run = m.icm if solver == "icm" else (lambda: solver(m))
    with jit_policy("always"):                               # the numba kernels
        fast = run()
    with jit_policy("never"):                                # the numpy references
        ref = run()
    assert np.array_equal(fast.labels, ref.labels) and fast.energy == ref.energy
    assert fast.energy < m.energy(m.initial_state())
