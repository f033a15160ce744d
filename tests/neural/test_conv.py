"""Conv2d and pooling: kernels vs numpy references, gradchecks, the course's identities, torch."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from neural.conv import _kernels as K
from neural.conv import _kernels_ref as R
from energy.autodiff import Tensor
from energy.autodiff.gradcheck import gradcheck
from neural import (AvgPool2d, BatchNorm2d, Conv2d, Linear, MaxPool2d, avg_pool2d, conv2d,
                    conv_output_size, max_pool2d)


def _x(*shape, seed=0, dtype=np.float64):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


geom = st.tuples(
    st.integers(1, 2), st.integers(1, 3), st.integers(4, 9), st.integers(4, 9),   # N C H W
    st.integers(1, 3), st.integers(1, 3),                                          # kh kw
    st.integers(1, 2), st.integers(1, 2), st.integers(0, 2), st.integers(0, 2),   # s, p
    st.integers(1, 2), st.integers(1, 2),                                          # d
)


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


# ----------------------------------------------------------------------------- conv2d
CASES = [
    dict(stride=1, padding=0, dilation=1),
    dict(stride=2, padding=1, dilation=1),
    dict(stride=(1, 2), padding=(2, 0), dilation=(2, 1)),
    dict(stride=1, padding=2, dilation=2),
]


WITH_METHODS = [dict(c, method=m) for c in CASES for m in ("batched", "im2col")]


@pytest.mark.parametrize("kw", WITH_METHODS)
def test_conv2d_matches_direct_loop_reference(kw):
    x, w, b = _x(2, 3, 7, 8), _x(4, 3, 3, 2, seed=1), _x(4, seed=2)
    y = conv2d(x, w, b, **kw).data
    kw = {k: v for k, v in kw.items() if k != "method"}
    pair = lambda v: (v, v) if isinstance(v, int) else v
    ref = R.conv2d_direct_ref(x, w, b, pair(kw["stride"]), pair(kw["padding"]), pair(kw["dilation"]))
    np.testing.assert_allclose(y, ref, atol=1e-12)


@pytest.mark.parametrize("kw", WITH_METHODS)
def test_conv2d_gradcheck(kw):
    conv = Conv2d(2, 3, (3, 2), rng=0, **kw).double()
    x = _x(2, 2, 6, 5)
    res = gradcheck(lambda x, w, b: conv(x), [x, conv.weight, conv.bias])
    assert res.passed, str(res)


def test_conv2d_without_bias_and_float32_dtype():
    conv = Conv2d(1, 2, 3, bias=False, rng=0)
    x = Tensor(_x(2, 1, 5, 5, dtype=np.float32), requires_grad=True)
    y = conv(x)
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == np.float32 and conv.weight.grad.dtype == np.float32
    assert conv.bias is None


@pytest.mark.parametrize("H,k,s,p,d", [(28, 5, 1, 0, 1), (32, 3, 2, 1, 1), (17, 3, 3, 2, 2),
                                       (10, 4, 1, 3, 3), (9, 2, 2, 0, 1)])
def test_output_size_formula(H, k, s, p, d):
    expect = int(np.floor((H + 2 * p - d * (k - 1) - 1) / s + 1))
    assert conv_output_size(H, k, s, p, d) == expect
    y = conv2d(_x(1, 1, H, H), _x(1, 1, k, k), stride=s, padding=p, dilation=d)
    assert y.shape == (1, 1, expect, expect)


@pytest.mark.parametrize("m,d", [(3, 1), (3, 2), (5, 3), (3, 4)])
def test_dilation_with_matching_padding_keeps_the_size(m, d):
    x = _x(1, 2, 11, 9)
    y = conv2d(x, _x(3, 2, m, m), padding=d * (m - 1) // 2, dilation=d)
    assert y.shape[2:] == x.shape[2:]


def _full_conv(a, b):
    """Full ('wide') 2-D convolution of a and b through conv2d: correlate with rot180(b), pad k-1."""
    kh, kw = b.shape
    return conv2d(a[None, None], b[::-1, ::-1][None, None].copy(), padding=(kh - 1, kw - 1)).data[0, 0]


def test_full_convolution_is_commutative():
    a, b = _x(5, 6), _x(3, 4, seed=1)
    # pad the smaller so both can serve as the "input" of conv2d
    ab = _full_conv(a, b)
    ba = _full_conv(b, a)
    np.testing.assert_allclose(ab, ba, atol=1e-12)
    assert ab.shape == (5 + 3 - 1, 6 + 4 - 1)


def _toeplitz(shape, w, **kw):
    """Matrix T with conv2d(x) = T @ x.ravel(), built column by column from unit inputs."""
    n = int(np.prod(shape))
    cols = [conv2d(np.eye(n)[i].reshape(shape), w, **kw).data.ravel() for i in range(n)]
    return np.stack(cols, axis=1)


@pytest.mark.parametrize("kw", [dict(), dict(stride=2, padding=1), dict(dilation=2, padding=2)])
def test_convolution_is_multiplication_by_its_toeplitz_matrix(kw):
    shape = (1, 2, 5, 6)
    w = _x(3, 2, 3, 3, seed=4)
    T = _toeplitz(shape, w, **kw)
    x = _x(*shape, seed=5)
    y = conv2d(x, w, **kw)
    np.testing.assert_allclose(y.data.ravel(), T @ x.ravel(), atol=1e-12)
    # the input gradient (full convolution with the rotated kernel) is multiplication by Tᵀ
    xt = Tensor(x, requires_grad=True)
    g = _x(*y.shape, seed=6)
    conv2d(xt, w, **kw).backward(g)
    np.testing.assert_allclose(xt.grad.ravel(), T.T @ g.ravel(), atol=1e-12)
    if not kw:   # T has the Toeplitz structure: entries depend only on the offset
        assert np.count_nonzero(np.unique(np.round(T, 12))) <= w.size


def test_backward_is_full_convolution_with_rotated_kernel_and_input_correlation():
    x, w = _x(2, 3, 6, 7), _x(4, 3, 3, 2, seed=1)
    xt, wt = Tensor(x, requires_grad=True), Tensor(w, requires_grad=True)
    g = _x(2, 4, 4, 6, seed=2)
    conv2d(xt, wt).backward(g)
    # dX = full convolution of G with rot180(W) (in/out channels swapped)
    w_rot = w[:, :, ::-1, ::-1].transpose(1, 0, 2, 3).copy()
    np.testing.assert_allclose(xt.grad, conv2d(g, w_rot, padding=(2, 1)).data, atol=1e-12)
    # dW = correlation of X with G (batch as channels)
    dW = conv2d(x.transpose(1, 0, 2, 3).copy(), g.transpose(1, 0, 2, 3).copy()).data
    np.testing.assert_allclose(wt.grad, dW.transpose(1, 0, 2, 3), atol=1e-12)


# ----------------------------------------------------------------------------- pooling
@pytest.mark.parametrize("pool", [lambda x: max_pool2d(x, 2), lambda x: max_pool2d(x, 3, 2, 1),
                                  lambda x: avg_pool2d(x, 2), lambda x: avg_pool2d(x, (3, 2), 1, 1)])
def test_pool_gradcheck(pool):
    x = np.random.default_rng(0).permutation(2 * 3 * 6 * 7).reshape(2, 3, 6, 7) / 10.0  # no ties
    assert gradcheck(pool, [x]).passed


def test_max_pool_routes_gradient_to_argmax():
    x = np.array([[[[1.0, 5.0], [3.0, 2.0]]]])
    xt = Tensor(x, requires_grad=True)
    MaxPool2d(2)(xt).backward(np.array([[[[7.0]]]]))
    np.testing.assert_array_equal(xt.grad, [[[[0, 7.0], [0, 0]]]])
    assert AvgPool2d(2)(x).data.item() == pytest.approx(2.75)


def test_conv_and_pool_bad_input():
    conv = Conv2d(3, 4, 3, rng=0)
    with pytest.raises(ValueError, match=r"Conv2d\(in_channels=3.*\(N, 3, H, W\).*\(2, 1, 8, 8\)"):
        conv(np.zeros((2, 1, 8, 8), np.float32))
    with pytest.raises(ValueError, match=r"\(1, 3, 2, 2\) is too small"):
        conv(np.zeros((1, 3, 2, 2), np.float32))
    with pytest.raises(ValueError, match=r"max_pool2d.*\(N, C, H, W\).*\(3, 3\)"):
        max_pool2d(np.zeros((3, 3)), 2)
    with pytest.raises(ValueError, match="padding"):
        MaxPool2d(2, padding=2)
    with pytest.raises(TypeError, match="stride"):
        Conv2d(1, 1, 3, stride="two")


# ----------------------------------------------------------------------------- torch
def test_against_torch_forward_and_backward():
    torch = pytest.importorskip("torch")
    tnn = torch.nn
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 3, 12, 11))

    conv = Conv2d(3, 5, (3, 4), stride=(2, 1), padding=(1, 2), dilation=(1, 2), rng=0).double()
    bn = BatchNorm2d(5).double()
    bn.weight.data[:] = rng.uniform(0.5, 1.5, 5)
    bn.bias.data[:] = rng.standard_normal(5)
    lin = Linear(5 * 3 * 4, 7, rng=1).double()

    tc = tnn.Conv2d(3, 5, (3, 4), stride=(2, 1), padding=(1, 2), dilation=(1, 2)).double()
    tb = tnn.BatchNorm2d(5).double()
    tl = tnn.Linear(60, 7).double()
    with torch.no_grad():
        tc.weight.copy_(torch.tensor(conv.weight.data))
        tc.bias.copy_(torch.tensor(conv.bias.data))
        tb.weight.copy_(torch.tensor(bn.weight.data))
        tb.bias.copy_(torch.tensor(bn.bias.data))
        tl.weight.copy_(torch.tensor(lin.weight.data))
        tl.bias.copy_(torch.tensor(lin.bias.data))

    xt = Tensor(x, requires_grad=True)
    h = max_pool2d(bn(conv(xt)), 2)
    y = lin(h.reshape(4, -1))
    g = rng.standard_normal(y.shape)
    y.backward(g)

    tx = torch.tensor(x, requires_grad=True)
    th = torch.nn.functional.max_pool2d(tb(tc(tx)), 2)
    ty = tl(th.reshape(4, -1))
    ty.backward(torch.tensor(g))

    np.testing.assert_allclose(y.data, ty.detach().numpy(), atol=1e-10)
    np.testing.assert_allclose(xt.grad, tx.grad.numpy(), atol=1e-10)
    for ours, theirs in [(conv.weight, tc.weight), (conv.bias, tc.bias), (bn.weight, tb.weight),
                         (bn.bias, tb.bias), (lin.weight, tl.weight), (lin.bias, tl.bias)]:
        np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), atol=1e-10)
    np.testing.assert_allclose(bn.running_mean, tb.running_mean.numpy(), atol=1e-12)
    np.testing.assert_allclose(bn.running_var, tb.running_var.numpy(), atol=1e-12)
    # average pooling with padding (count_include_pad) and eval-mode batch norm
    bn.eval()
    tb.eval()
    a = avg_pool2d(bn(conv(x)), 3, 2, 1).data
    ta = torch.nn.functional.avg_pool2d(tb(tc(torch.tensor(x))), 3, 2, 1).detach().numpy()
    np.testing.assert_allclose(a, ta, atol=1e-10)


@pytest.mark.parametrize("threshold", [0, 1 << 40])
def test_parallel_and_single_thread_paths_agree(monkeypatch, threshold):
    """conv2d / pooling through K.call on many threads (threshold 0) and on one thread."""
    monkeypatch.setattr(K, "PARALLEL_MIN_WORK", threshold)
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


def test_default_method_falls_back_to_im2col_without_threadpoolctl(monkeypatch):
    import neural.conv as C
    x, w = _x(2, 2, 6, 6), _x(3, 2, 3, 3, seed=1)
    y_batched = conv2d(x, w).data
    monkeypatch.setattr(C, "_BATCHED_OK", False)

    def no_batched(*a):
        raise AssertionError("the batched kernel should not run")
    monkeypatch.setattr(K, "conv_forward_batched", no_batched)
    np.testing.assert_allclose(conv2d(x, w).data, y_batched, atol=1e-12)
    with pytest.raises(ValueError, match="method"):
        conv2d(x, w, method="fft")
