"""Graph cut with hard constraints and extreme unaries: seeds of ±1e9 beside unaries of 1e-2
give the optimum (PyMaxflow's float graph, brute force on tiny grids), ±1e308 neither
overflows nor divides by zero."""

import itertools

import numpy as np
import pytest

from energy.images.graphcut import grid_maxflow, ising_map_graphcut
from energy.models._ising_kernels_ref import ising_energy_ref


def _seeded(H, W, seed, beta=0.05):
    """Unaries of ~1e-2 with 20 seed pixels pinned by ±1e9 (segmentation seeds)."""
    rng = np.random.default_rng(seed)
    u = rng.normal(0, 1e-2, (H, W))
    idx = rng.choice(H * W, 20, replace=False)
    u.ravel()[idx] = np.where(rng.random(20) < 0.5, -1e9, 1e9)
    return u, beta


def _pymaxflow_labels(maxflow, u, beta, c):
    g = maxflow.Graph[float]()
    nodes = g.add_grid_nodes(u.shape)
    if c == 4:
        g.add_grid_edges(nodes, weights=2.0 * beta, symmetric=True)
    else:
        st = np.array([[0, 0, 0], [0, 0, 1], [1, 1, 1]])
        g.add_grid_edges(nodes, weights=2.0 * beta, structure=st, symmetric=True)
    g.add_grid_tedges(nodes, 2 * np.maximum(-u, 0), 2 * np.maximum(u, 0))
    g.maxflow()
    return np.where(g.get_grid_segments(nodes), -1, 1)          # sink side is -1


@pytest.mark.parametrize("c", [4, 8])
@pytest.mark.parametrize("solver", ["grid", "scipy"])
def test_seeds_of_1e9_beside_small_unaries_match_pymaxflow(c, solver):
    maxflow = pytest.importorskip("maxflow")
    u, beta = _seeded(48, 64, seed=c)
    x = ising_map_graphcut(u, beta, connectivity=c, solver=solver)
    ref = _pymaxflow_labels(maxflow, u, beta, c)
    e, e_ref = ising_energy_ref(x, u, beta, c), ising_energy_ref(ref, u, beta, c)
    assert e <= e_ref + 1e-6, (e - e_ref, int(np.sum(x != ref)))
    hard = np.abs(u) > 1
    np.testing.assert_array_equal(x[hard], -np.sign(u[hard]))


def _brute_min(u, beta, c):
    H, W = u.shape
    best = np.inf
    for s in itertools.product([-1, 1], repeat=H * W):
        best = min(best, ising_energy_ref(np.array(s, np.int8).reshape(H, W), u, beta, c))
    return best


@pytest.mark.parametrize("seed", range(6))
def test_hard_and_tiny_unaries_against_brute_force(seed):
    rng = np.random.default_rng(100 + seed)
    H, W, c = 3, 3, (4, 8)[seed % 2]
    u = rng.normal(0, 1e-2, (H, W))
    u[rng.random((H, W)) < 0.3] *= 1e11                      # a few of ~±1e9
    beta = float(rng.choice([0.0, 3e-3, 0.05]))
    emin = _brute_min(u, beta, c)
    for solver in ("grid", "scipy"):
        x = ising_map_graphcut(u, beta, connectivity=c, solver=solver)
        # the energies hold terms of 1e9 (ulp 1e-7); a wrong small label costs ~1e-3 or more
        assert ising_energy_ref(x, u, beta, c) <= emin + 1e-5, solver


def test_unaries_of_1e308_neither_overflow_nor_divide_by_zero():
    u = np.array([[1e308, -1e308]])
    for solver in ("grid", "scipy"):
        assert ising_map_graphcut(u, 0.0, solver=solver).tolist() == [[-1, 1]]
        assert ising_map_graphcut(u, 1.0, solver=solver).tolist() == [[-1, 1]]
    flow, src = grid_maxflow(u, 0.0)
    assert flow == 0.0 and src.tolist() == [[False, True]]
    flow, src = grid_maxflow(u, 1.0)          # min E + Σ|u| + β m = (-2e308 + 1) + 2e308 + 1
    assert flow == pytest.approx(2.0, rel=1e-6) and src.tolist() == [[False, True]]
