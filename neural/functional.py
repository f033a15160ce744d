"""The functional ops of :mod:`neural` in one place: each takes tensors (or arrays) and the
weights explicitly, and is one op of the gradient engine; the modules wrap them.

- dense: :func:`linear`, :func:`batch_norm` (:mod:`neural.layers`);
- convolution and pooling on NCHW: :func:`conv2d`, :func:`max_pool2d`, :func:`avg_pool2d`,
  :func:`conv_output_size` (:mod:`neural.conv`);
- recurrent, one layer and one direction over a whole sequence: :func:`lstm_layer`,
  :func:`gru_layer`, :func:`rnn_layer`, and the 2-D RNN :func:`mdrnn` (:mod:`neural.recurrent`).

The elementwise ops, losses and shape ops are the engine's (:mod:`energy.autodiff`).

Examples
--------
>>> import numpy as np
>>> from neural import functional as F
>>> x = np.ones((2, 1, 6, 6), np.float32)
>>> y = F.max_pool2d(F.conv2d(x, np.ones((3, 1, 3, 3), np.float32), padding=1), 2)
>>> F.linear(y.reshape(2, -1), np.ones((5, 27), np.float32)).shape
(2, 5)
"""

from .conv.functional import avg_pool2d, conv2d, conv_output_size, max_pool2d
from .layers import batch_norm, linear
from .recurrent.functional import gru_layer, lstm_layer, rnn_layer
from .recurrent.mdrnn import mdrnn

__all__ = ["linear", "batch_norm", "conv2d", "max_pool2d", "avg_pool2d", "conv_output_size",
           "lstm_layer", "gru_layer", "rnn_layer", "mdrnn"]
