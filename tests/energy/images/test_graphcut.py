"""Exact MAP by minimum cut: both solvers against brute-force enumeration, against each other,
max-flow = min-cut on the rounded capacities, memory accounting, and bad input."""

import itertools

import numpy as np

from energy.images import load_example
import pytest
from hypothesis import given, settings, strategies as st

from energy.models._ising_kernels_ref import ising_energy_ref
from energy.images.graphcut import (_GRID_TOP, _grid_solve, _scipy_solve, grid_edges, grid_maxflow,
                             grid_maxflow_memory_bytes, grid_workspace, ising_map_graphcut,
                             n_pairs, quantization_bound)
from energy.models.ising import IsingModel

SHAPES = [(h, w) for h in range(1, 17) for w in range(1, 17) if h * w <= 16]
_STATES = {}


def _all_states(H, W):
    if (H, W) not in _STATES:
        _STATES[(H, W)] = np.array(list(itertools.product([-1, 1], repeat=H * W)),
                                   dtype=np.float64).reshape(-1, H, W)
    return _STATES[(H, W)]


def _min_energy(u, beta, c):
    """min over all 2**(H W) labelings, vectorised (the same sum as ising_energy_ref)."""
    S = _all_states(*u.shape)
    E = (S * u).sum(axis=(1, 2))
    H, W = u.shape
    for di, dj in ((0, 1), (1, 0)) + (((1, 1), (1, -1)) if c == 8 else ()):
        j0, j1 = max(0, -dj), W - max(0, dj)
        E -= beta * (S[:, 0:H - di, j0:j1] * S[:, di:H, j0 + dj:j1 + dj]).sum(axis=(1, 2))
    return E.min()


def _assert_optimal(x, u, beta, c, solver):
    assert x.dtype == np.int8 and x.shape == u.shape
    assert np.all(np.abs(x) == 1)
    e = ising_energy_ref(x, u, beta, c)
    emin = _min_energy(u, beta, c)
    tol = 1e-9 * (1 + abs(emin))
    bound = quantization_bound(u, beta, connectivity=c, solver=solver)
    assert emin - tol <= e <= emin + max(tol, bound), (e, emin, bound)


def _problem(shape, beta, seed, integer):
    rng = np.random.default_rng(seed)
    u = rng.normal(0, 2, shape)
    if integer:                      # many exact ties
        u, beta = np.round(u), float(round(beta))
    return u, beta


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.sampled_from(SHAPES), st.sampled_from([4, 8]),
       st.one_of(st.just(0.0), st.floats(0, 3)), st.integers(0, 2**32), st.booleans())
def test_grid_energy_equals_brute_force_minimum(shape, c, beta, seed, integer):
    u, beta = _problem(shape, beta, seed, integer)
    _assert_optimal(ising_map_graphcut(u, beta, connectivity=c), u, beta, c, "grid")


@settings(max_examples=60, deadline=None, derandomize=True)
@given(st.sampled_from(SHAPES), st.sampled_from([4, 8]), st.floats(0, 3),
       st.integers(0, 2**32), st.booleans())
def test_scipy_energy_equals_brute_force_minimum(shape, c, beta, seed, integer):
    u, beta = _problem(shape, beta, seed, integer)
    _assert_optimal(ising_map_graphcut(u, beta, connectivity=c, solver="scipy"), u, beta, c,
                    "scipy")


@pytest.mark.parametrize("c", [4, 8])
@pytest.mark.parametrize("shape", [(1, 1), (1, 16), (16, 1), (2, 8), (8, 2), (3, 5), (4, 4)])
def test_every_extreme_shape_against_brute_force(shape, c):
    rng = np.random.default_rng(shape[0] * 100 + shape[1] + c)
    for beta in (0.0, 0.25, 1.0, 4.0):
        for integer in (False, True):
            u = rng.normal(0, 2, shape)
            if integer:
                u = np.round(u)
            _assert_optimal(ising_map_graphcut(u, beta, connectivity=c), u, beta, c, "grid")


def _quantized_cut(x, u, beta, c, scale):
    """Cut of the labeling x (+1 = source side) with the capacities rounded as the solvers do."""
    tcap = np.rint(2.0 * np.abs(u) * scale).astype(np.int64)
    pos = x > 0
    cut = int(tcap[pos & (u > 0)].sum() + tcap[~pos & (u < 0)].sum())
    a, b = grid_edges(*u.shape, c)
    xf = x.ravel()
    return cut + int(np.rint(2.0 * beta * scale)) * int(np.count_nonzero(xf[a] != xf[b]))


@pytest.mark.parametrize("ref", [False, True], ids=["kernel", "reference"])
@pytest.mark.parametrize("c", [4, 8])
def test_max_flow_equals_min_cut_exactly_and_gives_the_energy(c, ref):
    rng = np.random.default_rng(c)
    for shape, beta in [((30, 40), 0.7), ((17, 5), 2.5), ((64, 64), 1.3), ((1, 50), 0.4)]:
        u = rng.normal(0, 1, shape)
        scale = _GRID_TOP / max(2 * np.abs(u).max(), 2 * beta)
        flow, x, _ = _grid_solve(u, beta, c, scale, ref=ref)
        assert flow == _quantized_cut(x, u, beta, c, scale)          # integers: exact
        flow_e, src = grid_maxflow(u, beta, connectivity=c)
        np.testing.assert_array_equal(src, x > 0)
        const = -np.abs(u).sum() - beta * n_pairs(*shape, c)
        e = ising_energy_ref(x, u, beta, c)
        assert e == pytest.approx(flow_e + const, abs=quantization_bound(u, beta, connectivity=c))


@pytest.mark.parametrize("c", [4, 8])
def test_grid_and_scipy_agree_on_random_problems(c):
    rng = np.random.default_rng(10 + c)
    for beta in (0.0, 0.3, 1.0, 2.5):
        for _ in range(3):
            u = rng.normal(rng.normal(0, 0.5), 1, (30, 40))
            eg = ising_energy_ref(ising_map_graphcut(u, beta, connectivity=c), u, beta, c)
            es = ising_energy_ref(ising_map_graphcut(u, beta, connectivity=c, solver="scipy"),
                                  u, beta, c)
            tol = 1e-9 * abs(es) + quantization_bound(u, beta, connectivity=c, solver="scipy")
            assert abs(eg - es) <= tol


@pytest.mark.parametrize("c", [4, 8])
def test_same_integer_problem_gives_the_same_minimal_source_set(c):
    """With integer capacities (scale=1) both solvers solve the same problem, and the set
    reachable from s after any maximum flow is unique: the labelings must be identical."""
    rng = np.random.default_rng(20 + c)
    for beta in (0.0, 1.0, 2.0, 5.0):
        u = rng.integers(-6, 7, (25, 31)).astype(np.float64)
        fg, xg, _ = _grid_solve(u, beta, c, 1.0, ref=False)        # the numba kernel
        fs, xs = _scipy_solve(u, beta, c, 1.0)
        assert fg == fs
        np.testing.assert_array_equal(xg, xs)
        fr, xr, _ = _grid_solve(u, beta, c, 1.0, ref=True)         # its reference
        assert fr == fg
        np.testing.assert_array_equal(xr, xg)


@pytest.mark.parametrize("c", [4, 8])
def test_kernel_and_reference_agree_on_per_arc_capacities(c):
    """The Potts moves give every arc its own capacity (zero on some, one-way on others): the
    kernel and its reference return the same flow and the same source tree; the reference
    fills the capacities as the kernel does."""
    from energy.images import _maxflow, _maxflow_ref
    rng = np.random.default_rng(40 + c)
    H, W = 19, 23
    for trial in range(6):
        wss = [grid_workspace(H, W, c) for _ in range(2)]
        u = rng.normal(0, 1, (H, W))
        caps = []
        for M, ws in zip((_maxflow, _maxflow_ref), wss):
            M.fill_capacities(u * 1000.0, 2000.0 * trial / 3, 1.0, c, ws["rc"], ws["tr"])
            caps.append((ws["rc"].copy(), ws["tr"].copy()))
        np.testing.assert_array_equal(caps[0][0], caps[1][0])
        np.testing.assert_array_equal(caps[0][1], caps[1][1])
        # random per-arc capacities on the arcs inside the grid, about a third of them zero
        # (trial 0 has beta 0: no arcs at all)
        rc = np.where(rng.random(wss[0]["rc"].shape) < 0.3, 0,
                      rng.integers(1, 50, wss[0]["rc"].shape)).astype(np.int32)
        rc[wss[0]["rc"] == 0] = 0
        for ws in wss:
            ws["rc"][:] = rc
        off = _maxflow_ref.grid_offsets(W, c)
        np.testing.assert_array_equal(off, _maxflow.grid_offsets(W, c))
        flows = [M.bk_maxflow(ws["rc"], ws["tr"], ws["tree"], ws["parent"], ws["nxt"],
                              ws["orph"], ws["ts"], ws["dist"], off, H, W)
                 for M, ws in zip((_maxflow, _maxflow_ref), wss)]
        assert flows[0] == flows[1]
        np.testing.assert_array_equal(wss[0]["tree"] == 1, wss[1]["tree"] == 1)
        xs = []
        for M, ws in zip((_maxflow, _maxflow_ref), wss):
            x = np.empty((H, W), np.int8)
            M.source_side(ws["tree"], H, W, x)
            xs.append(x)
        np.testing.assert_array_equal(*xs)


def _camera(n=128, rate=0.1, seed=0):
    clean = load_example("camera")[100:100 + n, 150:150 + n]
    rng = np.random.default_rng(seed)
    return np.where(rng.random(clean.shape) < rate, -clean, clean)


@pytest.mark.parametrize("c", [4, 8])
def test_grid_and_scipy_agree_on_a_noisy_image(c):
    y = _camera()
    for beta, eta in ((1.0, 2.1), (0.8, 0.5)):
        u = -eta * y.astype(np.float64)
        xg = ising_map_graphcut(u, beta, connectivity=c)
        xs = ising_map_graphcut(u, beta, connectivity=c, solver="scipy")
        eg, es = ising_energy_ref(xg, u, beta, c), ising_energy_ref(xs, u, beta, c)
        assert eg == pytest.approx(es, rel=1e-9)
        assert np.mean(xg != y) > 0.01                # it did smooth something


def test_against_pymaxflow_when_installed():
    maxflow = pytest.importorskip("maxflow")
    y = _camera(96, rate=0.2, seed=3)
    u = -0.7 * y.astype(np.float64)
    g = maxflow.Graph[float]()
    nodes = g.add_grid_nodes(u.shape)
    g.add_grid_edges(nodes, weights=2.0, symmetric=True)      # beta = 1
    g.add_grid_tedges(nodes, 2 * np.maximum(-u, 0), 2 * np.maximum(u, 0))
    peer = g.maxflow()
    flow, _ = grid_maxflow(u, 1.0)
    assert flow == pytest.approx(peer, rel=1e-8)


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


@pytest.mark.parametrize("solver", ["grid", "scipy"])
def test_a_hand_example(solver):
    y = np.array([[1, 1, 1], [1, -1, 1], [1, 1, 1]])
    np.testing.assert_array_equal(ising_map_graphcut(-2.1 * y, 1.0, solver=solver), np.ones((3, 3)))
    # a weak coupling keeps the observation
    np.testing.assert_array_equal(ising_map_graphcut(-2.1 * y, 0.1, solver=solver), y)
    # integer input is accepted
    np.testing.assert_array_equal(ising_map_graphcut(-2 * y, 0, solver=solver), y)


def test_grid_edges_and_pair_counts():
    a, b = grid_edges(3, 4, 4)
    assert a.size == 3 * 3 + 2 * 4 == n_pairs(3, 4, 4)
    a, b = grid_edges(3, 4, 8)
    assert a.size == 17 + 12 == n_pairs(3, 4, 8) and np.all(a < b)


@pytest.mark.parametrize("c", [4, 8])
def test_memory_accounting(c):
    ws = grid_workspace(7, 9, c)
    assert grid_maxflow_memory_bytes(7, 9, c) == sum(a.nbytes for a in ws.values())
    assert grid_maxflow_memory_bytes(2048, 2048, c) / 2048**2 <= 64


def test_bad_input():
    z = np.zeros((2, 2))
    with pytest.raises(ValueError, match="beta: graph cut needs beta >= 0.*not submodular"):
        ising_map_graphcut(z, -1.0)
    with pytest.raises(ValueError, match="beta: must be finite"):
        ising_map_graphcut(z, float("inf"))
    with pytest.raises(ValueError, match="beta: must be finite"):
        ising_map_graphcut(z, float("nan"))
    with pytest.raises(TypeError, match="beta"):
        ising_map_graphcut(z, "1")
    with pytest.raises(ValueError, match="unary: must be finite"):
        ising_map_graphcut(np.array([[0.0, np.nan]]), 1.0)
    with pytest.raises(ValueError, match="unary: must be finite"):
        ising_map_graphcut(np.array([[0.0, -np.inf]]), 1.0, solver="scipy")
    with pytest.raises(ValueError, match="unary: expected a 2-D"):
        ising_map_graphcut(np.zeros(4), 1.0)
    with pytest.raises(ValueError, match="unary: expected at least 1"):
        ising_map_graphcut(np.zeros((0, 3)), 1.0)
    with pytest.raises(TypeError, match="unary"):
        ising_map_graphcut(np.array([["a", "b"]]), 1.0)
    with pytest.raises(TypeError, match="unary"):
        ising_map_graphcut(np.ones((2, 2), dtype=bool), 1.0)
    with pytest.raises(ValueError, match="connectivity"):
        ising_map_graphcut(z, 1.0, connectivity=6)
    with pytest.raises(ValueError, match="connectivity"):
        ising_map_graphcut(z, 1.0, connectivity=True)
    with pytest.raises(ValueError, match="solver"):
        ising_map_graphcut(z, 1.0, solver="pymaxflow")
    with pytest.raises(ValueError, match="scale"):
        ising_map_graphcut(z + 1, 1.0, scale=2.0**40)
    with pytest.raises(ValueError, match="scale"):
        ising_map_graphcut(z, 1.0, scale=0.0)
    with pytest.raises(ValueError, match="connectivity"):
        grid_maxflow_memory_bytes(4, 4, 5)
