"""Every numba kernel against its plain-numpy reference, on random grids and parameters."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from energy.models import _ising_kernels as K
from energy.models import _ising_kernels_ref as R
from energy.models._ising_kernels_ref import ising_energy_ref

params = st.tuples(
    st.integers(1, 9), st.integers(1, 11), st.sampled_from([4, 8]),
    st.floats(-2, 2).map(lambda v: round(v, 2)),      # round: exercises exact ties too
    st.floats(-3, 3).map(lambda v: round(v, 1)),
    st.floats(-2, 2).map(lambda v: round(v, 1)),
    st.integers(0, 2**32),
)


def _random_state(H, W, seed):
    rng = np.random.default_rng(seed)
    y = rng.choice(np.array([-1, 1], np.int8), size=(H, W))
    xp = np.zeros((H + 2, W + 2), np.int8)
    xp[1:-1, 1:-1] = rng.choice(np.array([-1, 1], np.int8), size=(H, W))
    return rng, y, xp


def _n_colours(Kc):
    return 2 if Kc == 4 else 4


@settings(max_examples=60, deadline=None)
@given(params)
def test_icm_colour_kernels_match_numpy(p):
    H, W, Kc, beta, eta, h, seed = p
    _, y, xp = _random_state(H, W, seed)
    xq = xp.copy()
    sign, lo, hi = K.icm_thresholds(beta, eta, h, Kc)
    for colour in list(range(_n_colours(Kc))) * 2:
        if Kc == 4:
            a = K.icm_checkerboard4(xp, y, colour, *K.icm_row_constants(sign, lo, hi))
        else:
            a = K.icm_colour8(xp, y, colour, sign, lo, hi)
        b = R.icm_colour_ref(xq, y, colour, Kc, beta, eta, h)
        assert a == b
        np.testing.assert_array_equal(xp, xq)
    assert np.all(xp[0] == 0) and np.all(xp[:, -1] == 0)   # the border stays zero


@settings(max_examples=40, deadline=None)
@given(params)
def test_raster_icm_matches_python_loop(p):
    H, W, Kc, beta, eta, h, seed = p
    _, y, xp = _random_state(H, W, seed)
    xq = xp.copy()
    sign, lo, hi = K.icm_thresholds(beta, eta, h, Kc)
    assert K.icm_raster(xp, y, Kc, sign, lo, hi) == R.raster_sweep_ref(xq, y, Kc, beta, eta, h)
    np.testing.assert_array_equal(xp, xq)


@settings(max_examples=40, deadline=None)
@given(params, st.floats(0.05, 5.0))
def test_gibbs_kernels_match_numpy_draw_for_draw(p, T):
    H, W, Kc, beta, eta, h, seed = p
    rng, y, xp = _random_state(H, W, seed)
    xq = xp.copy()
    thr = K.gibbs_thresholds(beta, eta, h, Kc, T)
    for colour in range(_n_colours(Kc)):
        s = int(rng.integers(2**63))
        a = (K.gibbs_checkerboard4(xp, y, colour, thr, s) if Kc == 4
             else K.gibbs_colour8(xp, y, colour, thr, s))
        assert a == R.gibbs_colour_ref(xq, y, colour, Kc, beta, eta, h, T, s)
        np.testing.assert_array_equal(xp, xq)
    s = int(rng.integers(2**63))
    assert K.gibbs_raster(xp, y, Kc, thr, s) == R.raster_sweep_ref(xq, y, Kc, beta, eta, h, T, s)
    np.testing.assert_array_equal(xp, xq)


@settings(max_examples=30, deadline=None)
@given(params, st.floats(0.2, 3.0), st.floats(0.1, 1.0))
def test_mean_field_kernel_matches_numpy(p, T, damping):
    H, W, Kc, beta, eta, h, seed = p
    rng, y, _ = _random_state(H, W, seed)
    mp = np.zeros((H + 2, W + 2))
    mp[1:-1, 1:-1] = rng.uniform(-1, 1, (H, W))
    mq = mp.copy()
    for colour in range(_n_colours(Kc)):
        a = K.mean_field_colour(mp, y, Kc, colour, beta, eta, h, T, damping)
        b = R.mean_field_colour_ref(mq, y, colour, Kc, beta, eta, h, T, damping)
        assert a == pytest.approx(b, abs=1e-12)
        np.testing.assert_allclose(mp, mq, atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(params)
def test_integer_energy_sums_match_reference(p):
    H, W, Kc, beta, eta, h, seed = p
    _, y, xp = _random_state(H, W, seed)
    s1, s2, s3 = K.ising_sums(xp, y, Kc)
    x = xp[1:-1, 1:-1]
    unary = h - eta * y.astype(float)
    assert h * s1 - eta * s2 - beta * s3 == pytest.approx(
        ising_energy_ref(x, unary, beta, Kc), abs=1e-9 * (1 + H * W))


def test_gibbs_draws_do_not_depend_on_thread_count():
    import numba
    rng, y, xp = _random_state(64, 80, 7)
    thr = K.gibbs_thresholds(0.8, 1.0, 0.1, 4, 1.5)
    outs = []
    old = numba.get_num_threads()
    try:
        for nt in sorted({1, numba.config.NUMBA_NUM_THREADS}):
            numba.set_num_threads(nt)
            x = xp.copy()
            for colour in (0, 1, 0, 1):
                K.gibbs_checkerboard4(x, y, colour, thr, 12345 + colour)
            outs.append(x)
    finally:
        numba.set_num_threads(old)
    for o in outs[1:]:
        np.testing.assert_array_equal(o, outs[0])


def test_draws_are_uniform():
    """The counter-based 31-bit draws: chi-square on 64 bins and lag-1 correlation."""
    from scipy import stats
    u = R.draws31(2024, np.zeros(200_000, np.int64), np.arange(200_000), 10**6).astype(float)
    u /= 2.0**31
    counts = np.histogram(u, bins=64, range=(0, 1))[0]
    assert stats.chisquare(counts).pvalue > 1e-6
    assert abs(np.corrcoef(u[:-1], u[1:])[0, 1]) < 0.02     # sd is 1/sqrt(2e5) ≈ 0.0022


def test_thresholds_are_probabilities_at_the_extremes():
    thr = K.gibbs_thresholds(1.0, 2.1, 0.0, 4, 1e-9)      # T → 0: P is 0 or 1 (or 1/2 at ties)
    assert set(np.unique(thr)) <= {0, 2**31, 2**30}
    thr = K.gibbs_thresholds(1.0, 2.1, 0.0, 4, 1e9)       # T → ∞: P → 1/2
    assert np.all(np.abs(thr.astype(float) / 2**31 - 0.5) < 1e-6)


wide = st.tuples(
    st.integers(1, 12), st.integers(1, 40),
    st.floats(-2, 2).map(lambda v: round(v, 2)),
    st.floats(-3, 3).map(lambda v: round(v, 1)),
    st.floats(-2, 2).map(lambda v: round(v, 1)),
    st.integers(0, 2**32), st.integers(1, 15),
)


@settings(max_examples=60, deadline=None)
@given(wide)
def test_fused_icm_sweep_equals_colour0_then_colour1_in_numpy(p):
    """One pass over memory (wavefront + chunks) == the two colours one after the other."""
    H, W, beta, eta, h, seed, n_chunks = p
    _, y, xp = _random_state(H, W, seed)
    xq = xp.copy()
    consts = K.icm_row_constants(*K.icm_thresholds(beta, eta, h, 4))
    for _ in range(2):
        c0, c1 = K.icm_sweep4(xp, y, *consts, n_chunks)
        assert c0 == R.icm_colour_ref(xq, y, 0, 4, beta, eta, h)
        assert c1 == R.icm_colour_ref(xq, y, 1, 4, beta, eta, h)
        np.testing.assert_array_equal(xp, xq)


@settings(max_examples=60, deadline=None)
@given(wide, st.floats(0.05, 5.0))
def test_fused_gibbs_sweep_matches_numpy_draw_for_draw(p, T):
    H, W, beta, eta, h, seed, n_chunks = p
    rng, y, xp = _random_state(H, W, seed)
    xq = xp.copy()
    thr = K.gibbs_thresholds(beta, eta, h, 4, T)
    for _ in range(2):
        s = int(rng.integers(2**63))
        c0, c1 = K.gibbs_sweep4(xp, y, thr, s, n_chunks)
        assert c0 == R.gibbs_colour_ref(xq, y, 0, 4, beta, eta, h, T, s)
        assert c1 == R.gibbs_colour_ref(xq, y, 1, 4, beta, eta, h, T, s)
        np.testing.assert_array_equal(xp, xq)


def test_change_count_is_exact_for_every_width():
    """The word-at-a-time change count (8 sites per uint64 plus a byte tail) is exact for
    widths on both sides of multiples of 8: force colour 0 to +1 (eta large) and count."""
    rng = np.random.default_rng(3)
    consts = K.icm_row_constants(*K.icm_thresholds(0.0, 5.0, 0.0, 4))
    for W in range(1, 35):
        cur = rng.choice(np.array([-1, 1], np.int8), size=(2, W))
        xp = np.zeros((4, W + 2), np.int8)
        xp[1:-1, 1:-1] = cur
        y = np.ones((2, W), np.int8)
        mask = R.colour_mask(2, W, 4, 0)
        assert K.icm_checkerboard4(xp, y, 0, *consts) == int(np.count_nonzero(cur[mask] != 1))
        assert np.all(xp[1:-1, 1:-1][mask] == 1)
        np.testing.assert_array_equal(xp[1:-1, 1:-1][~mask], cur[~mask])


def test_threads_for_runs_small_work_on_one_thread_and_restores():
    import numba

    before = numba.get_num_threads()
    with K.threads_for(10):
        assert numba.get_num_threads() == 1
    assert numba.get_num_threads() == before
    with K.threads_for(K.PARALLEL_MIN_WORK):
        assert numba.get_num_threads() == before
    with pytest.raises(RuntimeError):
        with K.threads_for(10):
            raise RuntimeError("boom")
    assert numba.get_num_threads() == before
