"""Convolution and pooling on NCHW tensors: ``Conv2d``, ``MaxPool2d``, ``AvgPool2d``.

PyTorch's conventions: ``weight`` of shape (out_channels, in_channels, kH, kW), the forward
pass is a cross-correlation, and the output size is
``floor((H + 2p - d(k-1) - 1)/s + 1)`` per spatial axis.

The backward passes are the course's derivations, computed through im2col (see
:mod:`neural.conv._kernels`):

* forward: ``Y = W·cols(X) + b``, one GEMM over all output positions;
* weight gradient = the correlation of the input with the output gradient: ``dW = G·cols(X)ᵀ``;
* input gradient = the full convolution of the output gradient with the 180°-rotated kernel:
  ``dX = col2im(Wᵀ·G)`` (col2im is the scatter-add adjoint of im2col, in numba);
* max pooling routes each output gradient to the argmax of its window; average pooling
  spreads it evenly (``count_include_pad=True`` as in PyTorch).

Where things are: :mod:`~neural.conv.functional` (:func:`conv2d`, :func:`max_pool2d`,
:func:`avg_pool2d`, :func:`conv_output_size`), :mod:`~neural.conv.layers` (the modules); the
numba kernels in ``_kernels.py`` with their numpy references in ``_kernels_ref.py``.

Examples
--------
>>> import numpy as np
>>> from neural import Conv2d, MaxPool2d
>>> conv = Conv2d(1, 6, 5, rng=0)
>>> y = MaxPool2d(2)(conv(np.zeros((2, 1, 28, 28), np.float32)))
>>> y.shape
(2, 6, 12, 12)
"""

from .functional import avg_pool2d, conv2d, conv_output_size, max_pool2d
from .layers import AvgPool2d, Conv2d, MaxPool2d

__all__ = ["conv2d", "max_pool2d", "avg_pool2d", "Conv2d", "MaxPool2d", "AvgPool2d",
           "conv_output_size"]
