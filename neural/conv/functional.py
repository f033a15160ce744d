"""Functional convolution and pooling on NCHW tensors, each one fused engine op:
:func:`conv2d`, :func:`max_pool2d`, :func:`avg_pool2d`, and :func:`conv_output_size`.

Examples
--------
>>> import numpy as np
>>> x = np.ones((2, 3, 8, 8), np.float32)
>>> w = np.ones((4, 3, 3, 3), np.float32)
>>> conv2d(x, w, padding=1).shape, conv_output_size(8, 3, padding=1)
((2, 4, 8, 8), 8)
>>> max_pool2d(x, 2).shape
(2, 3, 4, 4)
"""

from __future__ import annotations

import numbers

import numpy as np

from energy.autodiff import Tensor, record_multiplications
from pgm.runtime import kernel_blas_single

from pgm.runtime.jit import lazy_module, timed_reference, use_jit

from ..module import _count_product

from . import _kernels_ref as R

#: the numba kernels, loaded on first use: calls below JIT_MIN_WORK["neural.conv"] multiply-adds
#: (JIT_MIN_WORK["neural.pool"] window elements for pooling) run the numpy references and
#: compile nothing
K = lazy_module("neural.conv._kernels")


def _ref(fn, *args, point="neural.conv"):
    """A reference kernel, its time charged to the dispatch point (pgm.runtime.jit)."""
    with timed_reference(point):
        return fn(*args)

__all__ = ["conv2d", "max_pool2d", "avg_pool2d", "conv_output_size"]


def _pair(v, name, low=0):
    if isinstance(v, numbers.Integral) and not isinstance(v, bool):
        v = (int(v), int(v))
    try:
        a, b = v
        a, b = int(a), int(b)
    except (TypeError, ValueError):
        raise TypeError(f"{name}: expected an int or a pair of ints, got {v!r}") from None
    if a < low or b < low:
        raise ValueError(f"{name}: must be >= {low}, got {v!r}")
    return a, b


def conv_output_size(H, kernel_size, stride=1, padding=0, dilation=1):
    """Output length ``floor((H + 2p - d(k-1) - 1)/s + 1)`` along one spatial axis."""
    return R.out_size(H, kernel_size, stride, padding, dilation)


def _check_nchw(x, where, C=None):
    if x.ndim != 4 or (C is not None and x.shape[1] != C):
        want = f"(N, {C}, H, W)" if C is not None else "(N, C, H, W)"
        raise ValueError(f"{where}: expected input of shape {want}, got {x.shape}")


def conv2d(x, weight, bias=None, stride=1, padding=0, dilation=1, method=None) -> Tensor:
    """2-D cross-correlation of NCHW ``x`` with ``weight``, one fused op.

    Parameters
    ----------
    x : Tensor of shape (N, C, H, W)
    weight : Tensor of shape (O, C, kH, kW)
    bias : Tensor of shape (O,), optional
    stride, padding, dilation : int or (int, int)
    method : {None, 'batched', 'im2col', 'numpy'}
        'im2col' builds the (C·kH·kW, N·Ho·Wo) column matrix for the whole batch (numba) and
        does one GEMM; its input gradient is col2im (a numba scatter-add) of Wᵀ·G.
        'batched' does the same per image inside a numba loop that is parallel over the batch:
        each image's columns stay in cache and each thread runs a single-threaded GEMM; 2-4x
        faster on LeNet-sized layers (benchmarks/bench_cnn.py). The BLAS that numba calls runs
        on one thread during its kernels (:func:`pgm.runtime.kernel_blas_single`: a
        multi-threaded BLAS inside numba's threads oversubscribes the cores, measured 4-6x
        slower on 2 cores). 'numpy': the im2col path with the numpy references (strided views
        and a loop over the kernel offsets), which compiles nothing. None: 'numpy' below
        ``JIT_MIN_WORK["neural.conv"]`` multiply-adds (a small first call answers without
        compiling; :mod:`pgm.runtime.jit`), else 'batched'; same results up to the order of
        the float sums.

    Returns
    -------
    Tensor of shape (N, O, Ho, Wo)
    """
    x = x if isinstance(x, Tensor) else Tensor(x)
    weight = weight if isinstance(weight, Tensor) else Tensor(weight)
    if bias is not None and not isinstance(bias, Tensor):
        bias = Tensor(bias)
    sh, sw = _pair(stride, "stride", 1)
    ph, pw = _pair(padding, "padding", 0)
    dh, dw = _pair(dilation, "dilation", 1)
    O, Cw, kh, kw = weight.shape
    _check_nchw(x, "conv2d", Cw)
    N, C, H, W = x.shape
    Ho, Wo = R.out_size(H, kh, sh, ph, dh), R.out_size(W, kw, sw, pw, dw)
    if Ho < 1 or Wo < 1:
        raise ValueError(f"conv2d: input of shape {x.shape} is too small for kernel ({kh}, {kw}) "
                         f"with padding ({ph}, {pw}), dilation ({dh}, {dw}): output would be "
                         f"({Ho}, {Wo})")
    X = np.ascontiguousarray(x.data)
    Wt = np.ascontiguousarray(weight.data)
    if X.dtype != Wt.dtype:
        raise TypeError(f"conv2d: input dtype {X.dtype} differs from the weight's {Wt.dtype}")
    W2 = Wt.reshape(O, -1)
    if method is None:
        method = "batched" if use_jit("neural.conv", N * O * Ho * Wo * W2.shape[1]) else "numpy"
    if method not in ("batched", "im2col", "numpy"):
        raise ValueError(f"method: expected 'batched', 'im2col', 'numpy' or None, got {method!r}")
    parents = (x, weight) if bias is None else (x, weight, bias)
    _count_product(N * O * Ho * Wo * W2.shape[1], weight)
    record_multiplications(N * O * Ho * Wo * W2.shape[1], "conv2d")   # the kernels' products

    if method == "batched":
        bvec = bias.data if bias is not None else np.zeros(O, X.dtype)
        macs = N * O * Ho * Wo * W2.shape[1]
        with kernel_blas_single():
            out = K.call(K.conv_forward_batched, macs // 8, X, W2, bvec, kh, kw, sh, sw, ph, pw,
                         dh, dw, Ho, Wo)

        def backward(g):
            record_multiplications(macs * (1 + bool(x.requires_grad)), "conv2d")
            with kernel_blas_single():
                part, gx = K.call(K.conv_backward_batched, macs // 4, X, W2,
                                  np.ascontiguousarray(g), kh, kw, sh, sw, ph, pw, dh, dw,
                                  x.requires_grad)
            gw = part.sum(axis=0).reshape(Wt.shape) if weight.requires_grad else None
            gx = gx if x.requires_grad else None
            if bias is None:
                return gx, gw
            return gx, gw, (g.sum(axis=(0, 2, 3)) if bias.requires_grad else None)
        return Tensor.from_op(out, parents, backward, "conv2d")

    if method == "numpy":
        cols = _ref(R.im2col_ref, X, kh, kw, sh, sw, ph, pw, dh, dw, Ho, Wo)
    else:
        cols = K.call(K.im2col, N * Ho * Wo * W2.shape[1], X, kh, kw, sh, sw, ph, pw, dh, dw,
                      Ho, Wo)                                          # (C kh kw, N Ho Wo)
    out2 = W2 @ cols                                                   # (O, N Ho Wo)
    if bias is not None:
        out2 += bias.data[:, None]
    out = np.ascontiguousarray(out2.reshape(O, N, Ho, Wo).transpose(1, 0, 2, 3))

    def backward(g):
        record_multiplications(N * O * Ho * Wo * W2.shape[1] * (1 + bool(x.requires_grad)),
                               "conv2d")
        g2 = np.ascontiguousarray(g.transpose(1, 0, 2, 3)).reshape(O, -1)   # (O, N Ho Wo)
        gw = (cols @ g2.T).T.reshape(Wt.shape) if weight.requires_grad else None
        gx = None
        if x.requires_grad and method == "numpy":
            gx = _ref(R.col2im_ref, W2.T @ g2, N, C, H, W, kh, kw, sh, sw, ph, pw, dh, dw, Ho, Wo)
        elif x.requires_grad:
            gx = K.call(K.col2im, g2.size * W2.shape[1], W2.T @ g2, N, C, H, W, kh, kw, sh, sw, ph, pw,
                        dh, dw, Ho, Wo)
        if bias is None:
            return gx, gw
        return gx, gw, (g2.sum(axis=1) if bias.requires_grad else None)
    return Tensor.from_op(out, parents, backward, "conv2d")


def _pool_args(kernel_size, stride, padding):
    kh, kw = _pair(kernel_size, "kernel_size", 1)
    sh, sw = _pair(kernel_size if stride is None else stride, "stride", 1)
    ph, pw = _pair(padding, "padding", 0)
    if ph > kh // 2 or pw > kw // 2:
        raise ValueError(f"padding: must be at most half the kernel size {(kh, kw)}, got {(ph, pw)}")
    return kh, kw, sh, sw, ph, pw


def max_pool2d(x, kernel_size, stride=None, padding=0) -> Tensor:
    """Max pooling over kH×kW windows (stride defaults to the kernel size); NCHW.

    The gradient of each output goes to the position of its window's maximum.
    """
    x = x if isinstance(x, Tensor) else Tensor(x)
    _check_nchw(x, "max_pool2d")
    kh, kw, sh, sw, ph, pw = _pool_args(kernel_size, stride, padding)
    N, C, H, W = x.shape
    Ho, Wo = R.out_size(H, kh, sh, ph), R.out_size(W, kw, sw, pw)
    if Ho < 1 or Wo < 1:
        raise ValueError(f"max_pool2d: input of shape {x.shape} is smaller than the window {(kh, kw)}")
    X = np.ascontiguousarray(x.data)
    if not use_jit("neural.pool", N * C * Ho * Wo * kh * kw):
        out, arg = _ref(R.maxpool_forward_ref, X, kh, kw, sh, sw, ph, pw, Ho, Wo,
                        point="neural.pool")
        return Tensor.from_op(out, (x,), lambda g: (
            _ref(R.maxpool_backward_ref, np.ascontiguousarray(g), arg, H, W,
                 point="neural.pool"),), "max_pool2d")
    out, arg = K.call(K.maxpool_forward, x.size, X, kh, kw, sh, sw, ph, pw, Ho, Wo)
    return Tensor.from_op(out, (x,),
                          lambda g: (K.call(K.maxpool_backward, x.size, np.ascontiguousarray(g), arg, H, W),),
                          "max_pool2d")


def avg_pool2d(x, kernel_size, stride=None, padding=0) -> Tensor:
    """Average pooling over kH×kW windows (zero padding counted, as in PyTorch); NCHW."""
    x = x if isinstance(x, Tensor) else Tensor(x)
    _check_nchw(x, "avg_pool2d")
    kh, kw, sh, sw, ph, pw = _pool_args(kernel_size, stride, padding)
    N, C, H, W = x.shape
    Ho, Wo = R.out_size(H, kh, sh, ph), R.out_size(W, kw, sw, pw)
    if Ho < 1 or Wo < 1:
        raise ValueError(f"avg_pool2d: input of shape {x.shape} is smaller than the window {(kh, kw)}")
    X = np.ascontiguousarray(x.data)
    if not use_jit("neural.pool", N * C * Ho * Wo * kh * kw):
        out = _ref(R.avgpool_forward_ref, X, kh, kw, sh, sw, ph, pw, Ho, Wo, point="neural.pool")
        return Tensor.from_op(out, (x,), lambda g: (
            _ref(R.avgpool_backward_ref, np.ascontiguousarray(g), H, W, kh, kw, sh, sw, ph,
                 pw, point="neural.pool"),), "avg_pool2d")
    out = K.call(K.avgpool_forward, x.size, X, kh, kw, sh, sw, ph, pw, Ho, Wo)
    return Tensor.from_op(
        out, (x,),
        lambda g: (K.call(K.avgpool_backward, x.size, np.ascontiguousarray(g), H, W, kh, kw, sh, sw,
                           ph, pw),),
        "avg_pool2d")


