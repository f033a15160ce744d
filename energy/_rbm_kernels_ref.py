"""Plain-numpy references for :mod:`energy._rbm_kernels` (private).

Same formulas and the same counter-based draws, written with whole-array numpy operations;
the tests compare each kernel with its reference draw for draw.
"""

from __future__ import annotations

import numpy as np

from ._kernels import stable_sigmoid
from ._kernels_ref import splitmix64


def uniform53(seed: int, shape) -> np.ndarray:
    """The kernels' uniforms for every element of an array of ``shape`` (row-major index)."""
    k = np.arange(int(np.prod(shape)), dtype=np.uint64).reshape(shape)
    return (splitmix64(seed, k) >> np.uint64(11)).astype(np.float64) * 2.0**-53


def sample_layer_ref(pre, bias, seed):
    """(p, s): sigmoid(pre + bias) and the Bernoulli draws, as the kernel makes them."""
    p = stable_sigmoid(pre + bias)
    s = (uniform53(seed, pre.shape) < p).astype(pre.dtype)
    return p.astype(pre.dtype), s


def reconstruction_error_ref(pre, bias, data):
    """Per-row cross-entropy of ``data`` under sigmoid(pre + bias), in nats."""
    x = pre + bias
    return (np.logaddexp(0.0, x) - data * x).sum(axis=1)
