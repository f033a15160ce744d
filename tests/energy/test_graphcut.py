"""Exact MAP by minimum cut against brute-force enumeration; ICM never beats it."""

import itertools

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from energy._reference import ising_energy_ref
from energy.graphcut import grid_edges, ising_map_graphcut
from energy.ising import IsingModel

SHAPES = [(h, w) for h in range(1, 17) for w in range(1, 17) if h * w <= 16]
_STATES = {}


def _all_states(H, W):
    if (H, W) not in _STATES:
        _STATES[(H, W)] = np.array(list(itertools.product([-1, 1], repeat=H * W))).reshape(-1, H, W)
    return _STATES[(H, W)]


def _min_energy(u, beta, c):
    S = _all_states(*u.shape).astype(np.float64)
    E = (S * u).sum(axis=(1, 2))
    for di, dj in ((0, 1), (1, 0)) + (((1, 1), (1, -1)) if c == 8 else ()):
        H, W = u.shape
        j0, j1 = max(0, -dj), W - max(0, dj)
        E -= beta * (S[:, 0:H - di, j0:j1] * S[:, di:H, j0 + dj:j1 + dj]).sum(axis=(1, 2))
    return E.min()


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(SHAPES), st.sampled_from([4, 8]), st.floats(0, 3), st.integers(0, 2**32),
       st.booleans())
def test_graphcut_energy_equals_brute_force_minimum(shape, c, beta, seed, integer):
    rng = np.random.default_rng(seed)
    u = rng.normal(0, 2, shape)
    if integer:                      # many exact ties
        u, beta = np.round(u), float(round(beta))
    x = ising_map_graphcut(u, beta, connectivity=c)
    e = ising_energy_ref(x, u, beta, c)
    emin = _min_energy(u, beta, c)
    assert e == pytest.approx(emin, abs=1e-5 * (1 + abs(emin)))


def test_icm_and_annealing_never_go_below_graphcut():
    rng = np.random.default_rng(0)
    for connectivity in (4, 8):
        for _ in range(3):
            y = rng.choice([-1, 1], size=(30, 40))
            m = IsingModel(y, beta=float(rng.uniform(0.2, 1.5)), eta=float(rng.uniform(0.2, 2)),
                           h=float(rng.normal(0, 0.3)), connectivity=connectivity)
            gc = m.graphcut()
            for res in (m.icm(), m.anneal(n_sweeps=30, rng=1), m.gibbs(rng=2, n_sweeps=20, burn_in=5)):
                assert res.energy >= gc.energy - 1e-6, res.method


def test_a_hand_example():
    y = np.array([[1, 1, 1], [1, -1, 1], [1, 1, 1]])
    np.testing.assert_array_equal(ising_map_graphcut(-2.1 * y, 1.0), np.ones((3, 3)))
    # a weak coupling keeps the observation
    np.testing.assert_array_equal(ising_map_graphcut(-2.1 * y, 0.1), y)


def test_grid_edges_counts():
    a, b = grid_edges(3, 4, 4)
    assert a.size == 3 * 3 + 2 * 4
    a, b = grid_edges(3, 4, 8)
    assert a.size == 17 + 12 and np.all(a < b)


def test_bad_input():
    with pytest.raises(ValueError, match="beta: graph cut needs beta >= 0.*not submodular"):
        ising_map_graphcut(np.zeros((2, 2)), -1.0)
    with pytest.raises(ValueError, match="unary: must be finite"):
        ising_map_graphcut(np.array([[0.0, np.nan]]), 1.0)
    with pytest.raises(ValueError, match="unary: expected a 2-D"):
        ising_map_graphcut(np.zeros(4), 1.0)
    with pytest.raises(ValueError, match="connectivity"):
        ising_map_graphcut(np.zeros((2, 2)), 1.0, connectivity=6)
