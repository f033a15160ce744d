"""Weight initialisers, in place on a Parameter (or array): Gaussian, Xavier/Glorot, He/MSRA, zeros.

Fans follow PyTorch: for a weight of shape ``(out, in, *kernel)``, ``fan_in = in·prod(kernel)``
and ``fan_out = out·prod(kernel)``.

* Xavier/Glorot (Glorot & Bengio 2010): Var = 2 / (fan_in + fan_out).
* He/MSRA (He et al. 2015): Var = gain² / fan_in with the ReLU gain √2.
* zeros: every hidden unit gets the same gradient and stays identical to the others (the
  symmetry problem; see the tests).

Examples
--------
>>> import numpy as np
>>> from neural import Linear
>>> from neural import init
>>> lin = init.kaiming_normal_(Linear(100, 50, rng=0).weight, rng=1)
>>> round(float(lin.data.std()), 2)
0.14
"""

from __future__ import annotations

import math

import numpy as np

from energy.autodiff import Tensor
from pgm.runtime import check_rng

__all__ = ["fan_in_out", "calculate_gain", "normal_", "uniform_", "zeros_", "constant_",
           "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_",
           "init_module"]


def _arr(t):
    return t.data if isinstance(t, Tensor) else t


def fan_in_out(shape):
    """(fan_in, fan_out) of a weight of shape ``(out, in, *kernel)``."""
    shape = tuple(shape)
    if len(shape) < 2:
        raise ValueError(f"fan_in_out: needs a weight with at least 2 dimensions, got shape {shape}")
    rf = int(np.prod(shape[2:])) if len(shape) > 2 else 1
    return shape[1] * rf, shape[0] * rf


def calculate_gain(nonlinearity="relu", param=None):
    """Recommended gain: 1 (linear/sigmoid), 5/3 (tanh), √2 (relu), √(2/(1+a²)) (leaky_relu)."""
    if nonlinearity in ("linear", "conv2d", "sigmoid", "identity"):
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        a = 0.01 if param is None else param
        return math.sqrt(2.0 / (1 + a * a))
    raise ValueError(f"nonlinearity: unknown {nonlinearity!r}")


def _fill(t, values):
    a = _arr(t)
    a[...] = values.astype(a.dtype)
    return t


def normal_(t, mean=0.0, std=1.0, rng=None):
    """Gaussian N(mean, std²) in place."""
    return _fill(t, check_rng(rng).normal(mean, std, _arr(t).shape))


def uniform_(t, low=0.0, high=1.0, rng=None):
    return _fill(t, check_rng(rng).uniform(low, high, _arr(t).shape))


def zeros_(t):
    _arr(t)[...] = 0
    return t


def constant_(t, value):
    _arr(t)[...] = value
    return t


def xavier_uniform_(t, gain=1.0, rng=None):
    """U(-a, a) with a = gain·√(6 / (fan_in + fan_out))."""
    fi, fo = fan_in_out(_arr(t).shape)
    a = gain * math.sqrt(6.0 / (fi + fo))
    return uniform_(t, -a, a, rng)


def xavier_normal_(t, gain=1.0, rng=None):
    """N(0, σ²) with σ = gain·√(2 / (fan_in + fan_out))."""
    fi, fo = fan_in_out(_arr(t).shape)
    return normal_(t, 0.0, gain * math.sqrt(2.0 / (fi + fo)), rng)


def kaiming_normal_(t, nonlinearity="relu", mode="fan_in", rng=None):
    """He/MSRA: N(0, σ²) with σ = gain / √fan (fan_in by default, ReLU gain √2)."""
    fi, fo = fan_in_out(_arr(t).shape)
    fan = fi if mode == "fan_in" else fo
    return normal_(t, 0.0, calculate_gain(nonlinearity) / math.sqrt(fan), rng)


def kaiming_uniform_(t, nonlinearity="relu", mode="fan_in", rng=None):
    """He/MSRA uniform: U(-a, a) with a = gain·√(3 / fan)."""
    fi, fo = fan_in_out(_arr(t).shape)
    fan = fi if mode == "fan_in" else fo
    a = calculate_gain(nonlinearity) * math.sqrt(3.0 / fan)
    return uniform_(t, -a, a, rng)


def init_module(model, scheme="he", rng=None, bias=0.0):
    """Re-initialise every weight (≥ 2-D parameter) of ``model`` with one scheme; biases to ``bias``.

    ``scheme`` is 'he', 'xavier', 'normal' (N(0, 0.01²)) or 'zeros'. Batch-norm scales (1-D,
    named ``weight``) are left alone.
    """
    gen = check_rng(rng)
    for name, p in model.named_parameters():
        if p.ndim >= 2:
            if scheme == "he":
                kaiming_normal_(p, rng=gen)
            elif scheme == "xavier":
                xavier_uniform_(p, rng=gen)
            elif scheme == "normal":
                normal_(p, 0.0, 0.01, rng=gen)
            elif scheme == "zeros":
                zeros_(p)
            else:
                raise ValueError(f"scheme: expected 'he', 'xavier', 'normal' or 'zeros', got {scheme!r}")
        elif name.endswith("bias"):
            constant_(p, bias)
    return model
