"""Recurrent numba kernels (neural.recurrent._kernels) against their numpy references,
serial against parallel, on any thread count."""

import numpy as np
import pytest

from neural.recurrent import _kernels as K
from neural.recurrent import _kernels_ref as R
from tests.neural.recurrent.helpers import _r


# ----------------------------------------------------------------------------- kernels
def _lstm_kernel_run(fwd, bwd, dtype, reverse, T, B, H, nchunk):
    Xp, WhhT = _r(T, B, 4 * H, seed=1, dtype=dtype), _r(H, 4 * H, seed=2, dtype=dtype)
    bias = _r(4 * H, seed=7, dtype=dtype)
    h0, c0 = _r(B, H, seed=3, dtype=dtype), _r(B, H, seed=4, dtype=dtype)
    fw = [np.empty((T, B, 4 * H), dtype), np.empty((T, B, 2 * H), dtype),
          np.empty((T, B, H), dtype), np.empty((T, B, H), dtype)]
    fwd(Xp, WhhT, bias, h0, c0, reverse, nchunk, *fw)
    Gates, Out, _, TCs = fw
    G = _r(T, B, 2 * H, seed=5, dtype=dtype)
    Whh = np.ascontiguousarray(WhhT.T)
    bw = [np.empty((T, B, 4 * H), dtype), np.empty((T, B, H), dtype), np.empty((B, H), dtype),
          np.empty((B, H), dtype)]
    bwd(Gates, Out, TCs, c0, Whh, G, reverse, nchunk, *bw)
    return fw + bw


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("B, nchunk", [(3, 1), (7, 3)])
def test_lstm_kernels_match_reference(dtype, reverse, B, nchunk):
    T, H = 6, 4
    got = _lstm_kernel_run(K.lstm_forward, K.lstm_backward, dtype, reverse, T, B, H, nchunk)
    ref = _lstm_kernel_run(R.lstm_forward_ref, R.lstm_backward_ref, dtype, reverse, T, B, H,
                           nchunk)
    tol = 1e-12 if dtype == np.float64 else 1e-5
    for a, b in zip(got, ref):
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol)
        assert a.dtype == dtype


@pytest.mark.parametrize("reverse", [False, True])
def test_lstm_parallel_kernels_equal_serial_for_any_thread_count(reverse):
    """The blocks of rows depend on the batch only: 1 or 2 numba threads, serial or parallel
    kernel, the results are bit-identical (also when the blocks outnumber the threads)."""
    import numba
    T, B, H = 5, 48, 16
    nchunk = K.lstm_chunks(B)
    assert nchunk == 3
    runs = [_lstm_kernel_run(K.lstm_forward, K.lstm_backward, np.float32, reverse, T, B, H,
                             nchunk)]
    before = numba.get_num_threads()
    try:
        for n in sorted({1, min(2, numba.config.NUMBA_NUM_THREADS)}):
            numba.set_num_threads(n)
            runs.append(_lstm_kernel_run(K.lstm_forward_par, K.lstm_backward_par, np.float32,
                                         reverse, T, B, H, nchunk))
    finally:
        numba.set_num_threads(before)
    for run in runs[1:]:
        for a, b in zip(runs[0], run):
            np.testing.assert_array_equal(a, b)


def test_lstm_serial_and_parallel_equal_when_one_comes_from_the_cache(tmp_path):
    """The failure this guards: the serial kernel compiled and cached in one process (as
    ``pgm-energy warmup`` does), the parallel one compiled in the next process against the
    cached row function, gave float32 results that differed in the last bits (the compiler
    reassociated the row function's arithmetic differently in the two; the recurrent kernels
    no longer allow reassociation)."""
    import os
    import subprocess
    import sys
    import textwrap
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(__file__))))
    code = textwrap.dedent("""
        import sys
        import numpy as np
        from neural.recurrent import _kernels as K
        from tests.neural.recurrent.test_kernels import _lstm_kernel_run
        args = (np.float32, False, 5, 48, 16, 3)
        a = _lstm_kernel_run(K.lstm_forward, K.lstm_backward, *args)
        if sys.argv[1] == "second":
            b = _lstm_kernel_run(K.lstm_forward_par, K.lstm_backward_par, *args)
            print(all(np.array_equal(x, y) for x, y in zip(a, b)))
        """)
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path),
               PYTHONPATH=root + os.pathsep + os.environ.get("PYTHONPATH", ""))
    for stage in ("first", "second"):
        r = subprocess.run([sys.executable, "-c", code, stage], env=env, cwd=root,
                           capture_output=True, text=True, timeout=600)
        assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["True"]


def _lstm_products_run(mm, grads, T, B, I, H, nchunk, want):
    dt = np.float32
    X2, Wih = _r(T * B, I, seed=1, dtype=dt), _r(4 * H, I, seed=2, dtype=dt)
    Xp = np.empty((T * B, 4 * H), dt)
    mm(X2, Wih.T, Xp, nchunk)
    dG, Hs, h0 = _r(T, B, 4 * H, seed=3, dtype=dt), _r(T, B, H, seed=4, dtype=dt), \
        _r(B, H, seed=5, dtype=dt)
    g = [np.zeros(s, dt) for s in ((T * B, I), (4 * H, I), (4 * H, H))]
    grads(dG.reshape(-1, 4 * H), Wih, X2, dG[1:].reshape(-1, 4 * H), Hs[:-1].reshape(-1, H),
          dG[0], h0, nchunk, *g, np.array(want))
    return [Xp] + g


@pytest.mark.parametrize("want", [(True, True, True), (False, True, False)])
def test_lstm_products_match_reference_and_equal_serial(want):
    import numba
    args = (6, 34, 5, 8, K.lstm_chunks(34), want)
    ref = _lstm_products_run(R.matmul_rows_ref, R.lstm_grads_ref, *args)
    got = [_lstm_products_run(K.matmul_rows, K.lstm_grads, *args)]
    before = numba.get_num_threads()
    try:
        for n in sorted({1, min(2, numba.config.NUMBA_NUM_THREADS)}):
            numba.set_num_threads(n)
            got.append(_lstm_products_run(K.matmul_rows_par, K.lstm_grads_par, *args))
    finally:
        numba.set_num_threads(before)
    for a, b in zip(got[0], ref):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)
    for run in got[1:]:
        for a, b in zip(got[0], run):
            np.testing.assert_array_equal(a, b)
    if not want[0]:                                  # products not wanted are not made
        assert not got[0][1].any() and not got[0][3].any()


def test_lstm_chunks_depend_on_batch_only():
    assert [K.lstm_chunks(B) for B in (1, 15, 16, 31, 32, 48, 128, 129, 4096)] == \
        [1, 1, 1, 1, 2, 3, 8, 8, 8]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("reverse", [False, True])
def test_gru_kernels_match_reference(dtype, reverse):
    T, B, H = 5, 2, 3
    Xp, WhhT = _r(T, B, 3 * H, seed=1, dtype=dtype), _r(H, 3 * H, seed=2, dtype=dtype)
    bhh, h0 = _r(3 * H, seed=3, dtype=dtype), _r(B, H, seed=4, dtype=dtype)
    bufs = [[np.empty((T, B, 3 * H), dtype), np.empty((T, B, H), dtype),
             np.empty((T, B, H), dtype)] for _ in range(2)]
    K.gru_forward(Xp, WhhT, bhh, h0, reverse, *bufs[0])
    R.gru_forward_ref(Xp, WhhT, bhh, h0, reverse, *bufs[1])
    tol = 1e-12 if dtype == np.float64 else 1e-5
    for a, b in zip(*bufs):
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol)
    Gates, HN, Hs = bufs[0]
    gH, Whh = _r(T, B, H, seed=5, dtype=dtype), np.ascontiguousarray(WhhT.T)
    outs = [[np.empty((T, B, 3 * H), dtype), np.empty((T, B, 3 * H), dtype),
             np.empty((T, B, H), dtype)] for _ in range(2)]
    r1 = K.gru_backward(Gates, HN, Hs, h0, Whh, gH, reverse, *outs[0])
    r2 = R.gru_backward_ref(Gates, HN, Hs, h0, Whh, gH, reverse, *outs[1])
    for a, b in zip([r1] + outs[0], [r2] + outs[1]):
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


@pytest.mark.parametrize("relu,residual,reverse", [(False, False, False), (True, False, True),
                                                   (False, True, False), (True, True, True)])
def test_rnn_kernels_match_reference(relu, residual, reverse):
    T, B, H = 7, 2, 3
    Xp, WhhT, h0 = _r(T, B, H, seed=1), _r(H, H, seed=2), _r(B, H, seed=3)
    bufs = [[np.empty((T, B, H)), np.empty((T, B, H))] for _ in range(2)]
    K.rnn_forward(Xp, WhhT, h0, reverse, relu, residual, *bufs[0])
    R.rnn_forward_ref(Xp, WhhT, h0, reverse, relu, residual, *bufs[1])
    for a, b in zip(*bufs):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
    gH, Whh = _r(T, B, H, seed=4), np.ascontiguousarray(WhhT.T)
    outs = [[np.empty((T, B, H)), np.empty((T, B, H))] for _ in range(2)]
    r1 = K.rnn_backward(bufs[0][0], Whh, gH, reverse, relu, residual, *outs[0])
    r2 = R.rnn_backward_ref(bufs[0][0], Whh, gH, reverse, relu, residual, *outs[1])
    for a, b in zip([r1] + outs[0], [r2] + outs[1]):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
