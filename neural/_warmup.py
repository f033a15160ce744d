"""Warm-ups of neural's numba kernels, registered for ``pgm-energy warmup``
(:func:`pgm.runtime.jit.register_warm`): each runs a public entry point on a small problem
with the kernels forced on, which compiles them with the types the library uses (float32,
the layers' default; and fills numba's cache).
"""

from __future__ import annotations

import numpy as np

from energy.autodiff import Tensor
from pgm.runtime.jit import jit_policy, register_warm

from .conv import Conv2d, avg_pool2d, max_pool2d
from .recurrent import GRU, LSTM, RNN

__all__: list = []


def _recurrent(cls):
    def warm():
        x = Tensor(np.zeros((3, 2, 4), np.float32), requires_grad=True)
        with jit_policy("always"):
            out = cls(4, 5, rng=0)(x)
            (out[0] if isinstance(out, tuple) else out).sum().backward()
    return warm


def _conv():
    x = Tensor(np.zeros((2, 1, 6, 6), np.float32), requires_grad=True)
    with jit_policy("always"):
        out = Conv2d(1, 2, 3, rng=0)(x)
        (max_pool2d(out, 2).sum() + avg_pool2d(out, 2).sum()).backward()


for _name, _cls in (("lstm", LSTM), ("gru", GRU), ("rnn", RNN)):
    for _kernel in ("forward", "backward"):
        register_warm(f"neural.recurrent._kernels.{_name}_{_kernel}", _recurrent(_cls))
for _kernel in ("conv_forward_batched", "conv_backward_batched", "maxpool_forward",
                "maxpool_backward", "avgpool_forward", "avgpool_backward"):
    register_warm(f"neural.conv._kernels.{_kernel}", _conv)
