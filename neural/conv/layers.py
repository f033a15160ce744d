"""Convolution and pooling modules: :class:`Conv2d`, :class:`MaxPool2d`, :class:`AvgPool2d`
(NCHW, PyTorch's conventions; see :mod:`neural.conv`).

Examples
--------
>>> import numpy as np
>>> AvgPool2d(2)(np.ones((1, 2, 4, 4), np.float32)).shape
(1, 2, 2, 2)
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from energy.autodiff import Parameter
from pgm.runtime import check_rng

from ..layers import as_input
from ..module import Module
from .functional import _pair, _pool_args, avg_pool2d, conv2d, max_pool2d

__all__ = ["Conv2d", "MaxPool2d", "AvgPool2d"]


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

