"""Convolution and pooling on NCHW tensors: ``Conv2d``, ``MaxPool2d``, ``AvgPool2d``.

PyTorch's conventions: ``weight`` of shape (out_channels, in_channels, kH, kW), the forward
pass is a cross-correlation, and the output size is
``floor((H + 2p - d(k-1) - 1)/s + 1)`` per spatial axis.

The backward passes are the course's derivations, computed through im2col (see
:mod:`neural._conv_kernels`):

* forward: ``Y = W·cols(X) + b``, one GEMM over all output positions;
* weight gradient = the correlation of the input with the output gradient: ``dW = G·cols(X)ᵀ``;
* input gradient = the full convolution of the output gradient with the 180°-rotated kernel:
  ``dX = col2im(Wᵀ·G)`` (col2im is the scatter-add adjoint of im2col, in numba);
* max pooling routes each output gradient to the argmax of its window; average pooling
  spreads it evenly (``count_include_pad=True`` as in PyTorch).

Examples
--------
>>> import numpy as np
>>> from neural import Conv2d, MaxPool2d
>>> conv = Conv2d(1, 6, 5, rng=0)
>>> y = MaxPool2d(2)(conv(np.zeros((2, 1, 28, 28), np.float32)))
>>> y.shape
(2, 6, 12, 12)
"""

from __future__ import annotations

import math
import numbers
import os

import numpy as np

from neural import _conv_kernels as K
from energy.autodiff import Parameter, Tensor
from pgm.runtime import check_rng

from .layers import as_input
from .module import Module, _MacCounter

__all__ = ["conv2d", "max_pool2d", "avg_pool2d", "Conv2d", "MaxPool2d", "AvgPool2d",
           "conv_output_size"]


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


_BATCHED_OK = None


def _batched_blas_ready() -> bool:
    """Make the BLAS that numba's ``np.dot`` calls single-threaded, once; True when it is.

    The batched kernels call a GEMM from every numba thread; a multi-threaded BLAS inside
    them oversubscribes the cores (measured 4-6x slower on 2 cores). numba's ``np.dot`` goes
    through SciPy's BLAS (``scipy.linalg.cython_blas``), which in pip wheels is a library of
    its own (``scipy.libs/libscipy_openblas*``), separate from NumPy's. With threadpoolctl
    installed that library is set to one thread the first time a batched convolution runs
    (NumPy's own BLAS is left alone unless the two are the same library, as in conda).
    Without threadpoolctl the batched path is used only when ``OPENBLAS_NUM_THREADS`` /
    ``OMP_NUM_THREADS`` / ``MKL_NUM_THREADS`` is 1.
    """
    global _BATCHED_OK
    if _BATCHED_OK is None:
        try:
            import scipy.linalg.cython_blas  # noqa: F401  (load the BLAS numba calls)
            from threadpoolctl import ThreadpoolController
        except ImportError:
            _BATCHED_OK = any(os.environ.get(v) == "1" for v in
                              ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"))
            return _BATCHED_OK
        libs = [lib for lib in ThreadpoolController().lib_controllers if lib.user_api == "blas"]
        np_dir = os.path.dirname(np.__file__)
        own = [lib for lib in libs if not lib.filepath.startswith(np_dir)] or libs
        for lib in own:
            if lib.num_threads != 1:
                lib.set_num_threads(1)
        _BATCHED_OK = True
    return _BATCHED_OK


def conv_output_size(H, kernel_size, stride=1, padding=0, dilation=1):
    """Output length ``floor((H + 2p - d(k-1) - 1)/s + 1)`` along one spatial axis."""
    return K.out_size(H, kernel_size, stride, padding, dilation)


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
    method : {None, 'batched', 'im2col'}
        'im2col' builds the (C·kH·kW, N·Ho·Wo) column matrix for the whole batch (numba) and
        does one GEMM; its input gradient is col2im (a numba scatter-add) of Wᵀ·G.
        'batched' does the same per image inside a numba loop that is parallel over the batch:
        each image's columns stay in cache and each thread runs a single-threaded GEMM; 2-4x
        faster on LeNet-sized layers (benchmarks/bench_cnn.py). It sets the BLAS that numba
        calls to one thread (see :func:`_batched_blas_ready`). None: 'batched' when that is
        possible, else 'im2col'.

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
    Ho, Wo = K.out_size(H, kh, sh, ph, dh), K.out_size(W, kw, sw, pw, dw)
    if Ho < 1 or Wo < 1:
        raise ValueError(f"conv2d: input of shape {x.shape} is too small for kernel ({kh}, {kw}) "
                         f"with padding ({ph}, {pw}), dilation ({dh}, {dw}): output would be "
                         f"({Ho}, {Wo})")
    X = np.ascontiguousarray(x.data)
    Wt = np.ascontiguousarray(weight.data)
    if X.dtype != Wt.dtype:
        raise TypeError(f"conv2d: input dtype {X.dtype} differs from the weight's {Wt.dtype}")
    if method is None:
        method = "batched" if _batched_blas_ready() else "im2col"
    elif method == "batched":
        _batched_blas_ready()
    if method not in ("batched", "im2col"):
        raise ValueError(f"method: expected 'batched', 'im2col' or None, got {method!r}")
    parents = (x, weight) if bias is None else (x, weight, bias)
    W2 = Wt.reshape(O, -1)
    if _MacCounter.total is not None:
        _MacCounter.total += N * O * Ho * Wo * W2.shape[1]

    if method == "batched":
        bvec = bias.data if bias is not None else np.zeros(O, X.dtype)
        macs = N * O * Ho * Wo * W2.shape[1]
        out = K.call(K.conv_forward_batched, macs // 8, X, W2, bvec, kh, kw, sh, sw, ph, pw, dh,
                     dw, Ho, Wo)

        def backward(g):
            part, gx = K.call(K.conv_backward_batched, macs // 4, X, W2, np.ascontiguousarray(g), kh,
                              kw, sh, sw, ph, pw, dh, dw, x.requires_grad)
            gw = part.sum(axis=0).reshape(Wt.shape) if weight.requires_grad else None
            gx = gx if x.requires_grad else None
            if bias is None:
                return gx, gw
            return gx, gw, (g.sum(axis=(0, 2, 3)) if bias.requires_grad else None)
        return Tensor.from_op(out, parents, backward, "conv2d")

    cols = K.call(K.im2col, N * Ho * Wo * W2.shape[1], X, kh, kw, sh, sw, ph, pw, dh, dw, Ho,
                  Wo)                                                  # (C kh kw, N Ho Wo)
    out2 = W2 @ cols                                                   # (O, N Ho Wo)
    if bias is not None:
        out2 += bias.data[:, None]
    out = np.ascontiguousarray(out2.reshape(O, N, Ho, Wo).transpose(1, 0, 2, 3))

    def backward(g):
        g2 = np.ascontiguousarray(g.transpose(1, 0, 2, 3)).reshape(O, -1)   # (O, N Ho Wo)
        gw = (cols @ g2.T).T.reshape(Wt.shape) if weight.requires_grad else None
        gx = None
        if x.requires_grad:
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
    Ho, Wo = K.out_size(H, kh, sh, ph), K.out_size(W, kw, sw, pw)
    if Ho < 1 or Wo < 1:
        raise ValueError(f"max_pool2d: input of shape {x.shape} is smaller than the window {(kh, kw)}")
    out, arg = K.call(K.maxpool_forward, x.size, np.ascontiguousarray(x.data), kh, kw, sh, sw, ph, pw,
                      Ho, Wo)
    return Tensor.from_op(out, (x,),
                          lambda g: (K.call(K.maxpool_backward, x.size, np.ascontiguousarray(g), arg, H, W),),
                          "max_pool2d")


def avg_pool2d(x, kernel_size, stride=None, padding=0) -> Tensor:
    """Average pooling over kH×kW windows (zero padding counted, as in PyTorch); NCHW."""
    x = x if isinstance(x, Tensor) else Tensor(x)
    _check_nchw(x, "avg_pool2d")
    kh, kw, sh, sw, ph, pw = _pool_args(kernel_size, stride, padding)
    N, C, H, W = x.shape
    Ho, Wo = K.out_size(H, kh, sh, ph), K.out_size(W, kw, sw, pw)
    if Ho < 1 or Wo < 1:
        raise ValueError(f"avg_pool2d: input of shape {x.shape} is smaller than the window {(kh, kw)}")
    out = K.call(K.avgpool_forward, x.size, np.ascontiguousarray(x.data), kh, kw, sh, sw, ph, pw, Ho, Wo)
    return Tensor.from_op(
        out, (x,),
        lambda g: (K.call(K.avgpool_backward, x.size, np.ascontiguousarray(g), H, W, kh, kw, sh, sw,
                           ph, pw),),
        "avg_pool2d")


class Conv2d(Module):
    """2-D convolution layer (cross-correlation), NCHW, groups = 1.

    Parameters
    ----------
    in_channels, out_channels : int
    kernel_size, stride, padding, dilation : int or (int, int)
    bias : bool, default True
    rng : None, int or Generator — for PyTorch's default init U(-1/√fan_in, 1/√fan_in),
        fan_in = in_channels·kH·kW.
    dtype : default np.float32
    method : {None, 'batched', 'im2col'} — see :func:`conv2d`

    Attributes
    ----------
    weight : Parameter of shape (out_channels, in_channels, kH, kW)
    bias : Parameter of shape (out_channels,) or None
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 bias=True, rng=None, dtype=np.float32, method=None):
        super().__init__()
        self.method = method
        for n, v in (("in_channels", in_channels), ("out_channels", out_channels)):
            if not isinstance(v, numbers.Integral) or v < 1:
                raise ValueError(f"Conv2d: {n} must be a positive int, got {v!r}")
        self.in_channels, self.out_channels = int(in_channels), int(out_channels)
        self.kernel_size = _pair(kernel_size, "kernel_size", 1)
        self.stride = _pair(stride, "stride", 1)
        self.padding = _pair(padding, "padding", 0)
        self.dilation = _pair(dilation, "dilation", 1)
        gen = check_rng(rng)
        fan_in = in_channels * self.kernel_size[0] * self.kernel_size[1]
        k = 1.0 / math.sqrt(fan_in)
        self.weight = Parameter(gen.uniform(-k, k, (out_channels, in_channels) + self.kernel_size)
                                .astype(dtype))
        self.bias = Parameter(gen.uniform(-k, k, out_channels).astype(dtype)) if bias else None

    def forward(self, x):
        x = as_input(x, "Conv2d", self.weight.dtype)
        if x.ndim != 4 or x.shape[1] != self.in_channels:
            raise ValueError(f"Conv2d(in_channels={self.in_channels}, out_channels="
                             f"{self.out_channels}): expected input of shape (N, {self.in_channels},"
                             f" H, W), got {x.shape}")
        return conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation,
                      self.method)

    def extra_repr(self):
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, padding={self.padding}, dilation={self.dilation}")


class MaxPool2d(Module):
    """Max pooling; ``stride`` defaults to ``kernel_size``."""

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding
        _pool_args(kernel_size, stride, padding)

    def forward(self, x):
        return max_pool2d(x, self.kernel_size, self.stride, self.padding)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride or self.kernel_size}"


class AvgPool2d(Module):
    """Average pooling; ``stride`` defaults to ``kernel_size``."""

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding
        _pool_args(kernel_size, stride, padding)

    def forward(self, x):
        return avg_pool2d(x, self.kernel_size, self.stride, self.padding)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride or self.kernel_size}"
