"""Convolution and pooling numba kernels (neural.conv._kernels) against their numpy
references; the parallel and single-thread paths."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from energy.autodiff import Tensor
from pgm.runtime import jit
from neural import avg_pool2d, conv2d, max_pool2d
from neural.conv import _kernels as K
from neural.conv import _kernels_ref as R
from tests.neural.conv.helpers import geom
from tests.neural.helpers import _x


# ----------------------------------------------------------------------------- kernels
@settings(max_examples=30, deadline=None)
@given(geom, st.sampled_from([np.float32, np.float64]))
def test_im2col_col2im_match_references(g, dtype):
    N, C, H, W, kh, kw, sh, sw, ph, pw, dh, dw = g
    Ho, Wo = K.out_size(H, kh, sh, ph, dh), K.out_size(W, kw, sw, pw, dw)
    if Ho < 1 or Wo < 1:
        return
    x = _x(N, C, H, W, dtype=dtype)
    args = (kh, kw, sh, sw, ph, pw, dh, dw, Ho, Wo)
    cols = K.im2col(x, *args)
    np.testing.assert_array_equal(cols, R.im2col_ref(x, *args))
    c = _x(*cols.shape, seed=1, dtype=dtype)
    np.testing.assert_allclose(K.col2im(c, N, C, H, W, *args),
                               R.col2im_ref(c, N, C, H, W, *args), rtol=1e-5, atol=1e-5)
    # col2im is the adjoint of im2col: <im2col(x), c> == <x, col2im(c)>
    lhs = float((cols.astype(np.float64) * c).sum())
    rhs = float((x.astype(np.float64) * K.col2im(c, N, C, H, W, *args)).sum())
    assert lhs == pytest.approx(rhs, rel=1e-4, abs=1e-4)


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 2), st.integers(1, 3), st.integers(3, 9), st.integers(3, 9),
       st.integers(1, 3), st.integers(1, 3), st.integers(1, 3), st.integers(0, 1),
       st.sampled_from([np.float32, np.float64]))
def test_pool_kernels_match_references(N, C, H, W, kh, kw, s, p, dtype):
    p = min(p, kh // 2, kw // 2)
    Ho, Wo = K.out_size(H, kh, s, p), K.out_size(W, kw, s, p)
    if Ho < 1 or Wo < 1:
        return
    x = _x(N, C, H, W, dtype=dtype)
    out, arg = K.maxpool_forward(x, kh, kw, s, s, p, p, Ho, Wo)
    out_r, arg_r = R.maxpool_forward_ref(x, kh, kw, s, s, p, p, Ho, Wo)
    np.testing.assert_array_equal(out, out_r)
    np.testing.assert_array_equal(arg, arg_r)
    g = _x(*out.shape, seed=2, dtype=dtype)
    np.testing.assert_allclose(K.maxpool_backward(g, arg, H, W), R.maxpool_backward_ref(g, arg, H, W),
                               rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(K.avgpool_forward(x, kh, kw, s, s, p, p, Ho, Wo),
                               R.avgpool_forward_ref(x, kh, kw, s, s, p, p, Ho, Wo), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(K.avgpool_backward(g, H, W, kh, kw, s, s, p, p),
                               R.avgpool_backward_ref(g, H, W, kh, kw, s, s, p, p), rtol=1e-5, atol=1e-6)


@settings(max_examples=30, deadline=None)
@given(geom, st.integers(1, 3), st.sampled_from([np.float32, np.float64]))
def test_batched_kernels_match_whole_batch_im2col(g, O, dtype):
    """The per-image ('batched') kernels against the whole-batch im2col/GEMM/col2im path
    (forward and both gradients), and the forward against the numpy im2col reference."""
    N, C, H, W, kh, kw, sh, sw, ph, pw, dh, dw = g
    Ho, Wo = K.out_size(H, kh, sh, ph, dh), K.out_size(W, kw, sw, pw, dw)
    if Ho < 1 or Wo < 1:
        return
    x = Tensor(_x(N, C, H, W, dtype=dtype), requires_grad=True)
    w = Tensor(_x(O, C, kh, kw, seed=1, dtype=dtype), requires_grad=True)
    b = Tensor(_x(O, seed=2, dtype=dtype), requires_grad=True)
    outs = {}
    for m in ("batched", "im2col"):
        for t in (x, w, b):
            t.grad = None
        y = conv2d(x, w, b, (sh, sw), (ph, pw), (dh, dw), method=m)
        y.backward(_x(*y.shape, seed=3, dtype=dtype))
        outs[m] = [y.data, x.grad, w.grad, b.grad]
    tol = 1e-4 if dtype == np.float32 else 1e-10
    for a, c in zip(outs["batched"], outs["im2col"]):
        assert a.dtype == dtype
        np.testing.assert_allclose(a, c, rtol=tol, atol=tol)
    cols = R.im2col_ref(x.data, kh, kw, sh, sw, ph, pw, dh, dw, Ho, Wo)
    ref = (w.data.reshape(O, -1) @ cols).reshape(O, N, Ho, Wo).transpose(1, 0, 2, 3) + b.data[:, None, None]
    np.testing.assert_allclose(outs["batched"][0], ref, rtol=tol, atol=tol)


@pytest.mark.parametrize("threshold", [0, 1 << 40])
def test_parallel_and_single_thread_paths_agree(monkeypatch, threshold):
    """conv2d / pooling through K.call on many threads (threshold 0) and on one thread."""
    monkeypatch.setattr(K, "PARALLEL_MIN_WORK", threshold)
    monkeypatch.setattr(jit, "_FORCED", ["always"])       # the kernels, whatever the size
    rng = np.random.default_rng(0)
    x = Tensor(rng.standard_normal((6, 3, 11, 10)), requires_grad=True)
    w = Tensor(rng.standard_normal((5, 3, 3, 3)), requires_grad=True)
    res = {}
    for m in ("batched", "im2col"):
        x.grad = w.grad = None
        y = avg_pool2d(max_pool2d(conv2d(x, w, None, 1, 1, method=m), 2), 2, 1)
        y.backward(np.ones(y.shape))
        res[m] = (y.data, x.grad, w.grad)
    for a, b in zip(res["batched"], res["im2col"]):
        np.testing.assert_allclose(a, b, atol=1e-10)
    ref = R.conv2d_direct_ref(x.data, w.data, None, (1, 1), (1, 1), (1, 1))
    o, _ = R.maxpool_forward_ref(ref, 2, 2, 2, 2, 0, 0, 5, 5)
    np.testing.assert_allclose(res["batched"][0], R.avgpool_forward_ref(o, 2, 2, 1, 1, 0, 0, 4, 4),
                               atol=1e-10)
