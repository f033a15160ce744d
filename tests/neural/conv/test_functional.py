"""conv2d and pooling ops (neural.conv.functional): direct-loop references, gradchecks,
the course's identities, methods."""

import numpy as np
import pytest

from energy.autodiff import Tensor, gradcheck
from neural import AvgPool2d, Conv2d, MaxPool2d, avg_pool2d, conv2d, conv_output_size, max_pool2d
from neural.conv import _kernels as K
from neural.conv import _kernels_ref as R
from pgm.runtime.jit import jit_policy
from tests.neural.helpers import _x


# ----------------------------------------------------------------------------- conv2d
CASES = [
    dict(stride=1, padding=0, dilation=1),
    dict(stride=2, padding=1, dilation=1),
    dict(stride=(1, 2), padding=(2, 0), dilation=(2, 1)),
    dict(stride=1, padding=2, dilation=2),
]


WITH_METHODS = [dict(c, method=m) for c in CASES for m in ("batched", "im2col", "numpy")]


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
POOLS = [lambda x: max_pool2d(x, 2), lambda x: max_pool2d(x, 3, 2, 1),
         lambda x: avg_pool2d(x, 2), lambda x: avg_pool2d(x, (3, 2), 1, 1)]


@pytest.mark.parametrize("mode", ["always", "never"], ids=["kernels", "references"])
@pytest.mark.parametrize("pool", POOLS)
def test_pool_gradcheck(pool, mode):
    x = np.random.default_rng(0).permutation(2 * 3 * 6 * 7).reshape(2, 3, 6, 7) / 10.0  # no ties
    with jit_policy(mode):
        assert gradcheck(pool, [x]).passed


@pytest.mark.parametrize("pool", POOLS)
def test_pool_kernels_equal_references(pool):
    """Pooling forward and backward on the numba kernels (policy always) and on the numpy
    references (never, what small inputs run): the same numbers."""
    x = np.random.default_rng(1).permutation(3 * 2 * 9 * 8).reshape(3, 2, 9, 8) / 7.0
    g = None
    res = {}
    for mode in ("always", "never"):
        xt = Tensor(x, requires_grad=True)
        with jit_policy(mode):
            y = pool(xt)
            g = _x(*y.shape, seed=4) if g is None else g
            y.backward(g)
        res[mode] = (y.data, xt.grad)
    for a, b in zip(res["always"], res["never"]):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


def test_max_pool_routes_gradient_to_argmax():
    x = np.array([[[[1.0, 5.0], [3.0, 2.0]]]])
    xt = Tensor(x, requires_grad=True)
    MaxPool2d(2)(xt).backward(np.array([[[[7.0]]]]))
    np.testing.assert_array_equal(xt.grad, [[[[0, 7.0], [0, 0]]]])
    assert AvgPool2d(2)(x).data.item() == pytest.approx(2.75)


def test_small_default_runs_the_references(monkeypatch):
    """Below JIT_MIN_WORK["neural.conv"] the default method is 'numpy': no kernel is called
    (each would raise here), and the result is that of the kernels."""
    from pgm.runtime import jit
    monkeypatch.setattr(jit, "_SPENT", {})   # the earlier tests' reference time would buy the kernels
    x, w = _x(2, 2, 6, 6), _x(3, 2, 3, 3, seed=1)
    with jit_policy("always"):
        want = max_pool2d(conv2d(x, w), 2).data
    for name in ("conv_forward_batched", "conv_backward_batched", "im2col", "col2im",
                 "maxpool_forward", "maxpool_backward"):
        monkeypatch.setattr(K, name, None)
    with jit_policy("auto"):
        xt = Tensor(x, requires_grad=True)
        y = max_pool2d(conv2d(xt, w), 2)
        y.backward(np.ones(y.shape))
    np.testing.assert_allclose(y.data, want, rtol=1e-12)
    assert xt.grad is not None


def test_default_method_is_batched_with_one_blas_thread_restored_after(monkeypatch):
    """Above the first-call threshold (forced here) the default method is the batched kernel; the BLAS that numba calls runs on one thread
    during it (pgm.runtime.kernel_blas_single) and the thread counts are restored after.
    (Before, a missing threadpoolctl made the default fall back to im2col; threadpoolctl is a
    dependency, so that fallback is gone.)"""
    from threadpoolctl import threadpool_info, threadpool_limits

    def blas():
        return [(i["filepath"], i["num_threads"]) for i in threadpool_info()
                if i["user_api"] == "blas"]
    x, w = _x(2, 2, 6, 6), _x(3, 2, 3, 3, seed=1)
    y_im2col = conv2d(x, w, method="im2col").data
    inside = []
    for name in ("conv_forward_batched", "conv_backward_batched"):
        def spy(*a, _real=getattr(K, name)):
            inside.append(blas())
            return _real(*a)
        monkeypatch.setattr(K, name, spy)
    with threadpool_limits(limits=2, user_api="blas"), jit_policy("always"):
        before = blas()
        xt = Tensor(x, requires_grad=True)
        y = conv2d(xt, w)
        y.backward(np.ones(y.shape))
        assert blas() == before
    assert len(inside) == 2
    assert all(any(n == 1 for _, n in libs) for libs in inside)
    np.testing.assert_allclose(y.data, y_im2col, atol=1e-12)
    with pytest.raises(ValueError, match="method"):
        conv2d(x, w, method="fft")
