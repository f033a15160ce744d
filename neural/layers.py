"""Feedforward layers: Linear, Sequential, activations, Flatten, Dropout, BatchNorm, losses.

Conventions are PyTorch's: ``Linear`` holds ``weight`` of shape (out_features, in_features)
and computes ``x @ weight.T + bias``; ``BatchNorm`` uses eps = 1e-5, momentum = 0.1,
normalises with the biased batch variance and stores the unbiased one in ``running_var``.
Default dtype float32. Every layer's ``rng=`` follows :func:`pgm.runtime.check_rng`.

Examples
--------
>>> import numpy as np
>>> from neural import Linear, ReLU, Sequential
>>> net = Sequential(Linear(64, 32, rng=0), ReLU(), Linear(32, 10, rng=1))
>>> net(np.zeros((5, 64), np.float32)).shape
(5, 10)
"""

from __future__ import annotations

import math

import numpy as np

from energy import autodiff as ad
from energy.autodiff import Parameter, Tensor
from pgm.runtime import check_rng

from energy.autodiff.counting import mm as _mm

from .module import Module, _count_activation, _count_product

__all__ = [
    "linear", "batch_norm", "Linear", "Sequential", "Identity", "ReLU", "LeakyReLU", "Sigmoid",
    "Tanh", "Softplus", "Swish", "LogSoftmax", "Flatten", "Dropout", "BatchNorm1d", "BatchNorm2d",
    "CrossEntropyLoss", "MSELoss", "BCEWithLogitsLoss", "as_input",
]


def as_input(x, layer: str, dtype) -> Tensor:
    """Wrap ``x`` as a Tensor and check that its dtype is the layer's float dtype."""
    t = x if isinstance(x, Tensor) else Tensor(x)
    if t.dtype != dtype:
        if t.dtype.kind != "f":
            raise TypeError(f"{layer}: expected a floating-point input of dtype {dtype}, got "
                            f"{t.dtype}")
        raise TypeError(f"{layer}: input dtype {t.dtype} differs from the layer's {dtype}; "
                        f"convert the input (x.astype(np.{dtype})) or the model (model.to(np.{t.dtype}))")
    return t


def _act(out):
    """An activation's output, reported to :func:`~neural.count_backward_macs`."""
    _count_activation(out.size)
    return out


# ----------------------------------------------------------------------------- functional
def linear(x, weight, bias=None) -> Tensor:
    """``x @ weight.T + bias`` as one fused op.

    Parameters
    ----------
    x : Tensor of shape ``(*, in_features)``
    weight : Tensor of shape (out_features, in_features)
    bias : Tensor of shape (out_features,), optional

    VJP: dx = G W, dW = Gᵀ x, db = Σ_rows G.
    """
    x = x if isinstance(x, Tensor) else Tensor(x)
    weight = weight if isinstance(weight, Tensor) else Tensor(weight)
    if bias is not None and not isinstance(bias, Tensor):
        bias = Tensor(bias)
    X, W = x.data, weight.data
    lead = X.shape[:-1]
    X2 = X.reshape(-1, X.shape[-1])
    _count_product(X2.shape[0] * W.shape[0] * W.shape[1], weight)
    out = _mm(X2, W.T, "linear")
    if bias is not None:
        out += bias.data
    parents = (x, weight) if bias is None else (x, weight, bias)

    def backward(g):
        g2 = g.reshape(-1, g.shape[-1])
        gx = _mm(g2, W, "linear").reshape(X.shape) if x.requires_grad else None
        gw = _mm(g2.T, X2, "linear") if weight.requires_grad else None
        if bias is None:
            return gx, gw
        return gx, gw, (g2.sum(axis=0) if bias.requires_grad else None)
    return Tensor.from_op(out.reshape(lead + (W.shape[0],)), parents, backward, "linear")


def batch_norm(x, gamma, beta, running_mean, running_var, training, momentum=0.1, eps=1e-5):
    """Batch normalisation over every axis but 1 (the channel axis), one fused op.

    Parameters
    ----------
    x : Tensor of shape (N, C) or (N, C, H, W)
    gamma, beta : Tensor of shape (C,) or None
    running_mean, running_var : ndarray of shape (C,) or None
        Updated in place in training mode (unbiased variance stored).
    training : bool
        Batch statistics (training) or the running ones (evaluation).

    VJP (training): with x̂ the normalised input and dx̂ = g·γ,
    ``dx = (m·dx̂ - Σdx̂ - x̂·Σ(dx̂·x̂)) / (m·σ)``, dγ = Σ g·x̂, dβ = Σ g.
    """
    X = x.data
    axes = (0,) if X.ndim == 2 else (0,) + tuple(range(2, X.ndim))
    shape = [1] * X.ndim
    shape[1] = X.shape[1]
    m = X.size // X.shape[1]
    dt = X.dtype
    if training or running_mean is None:
        if m < 2 and training:
            raise ValueError(f"batch_norm: expected more than 1 value per channel in training, "
                             f"got input of shape {X.shape}")
        mu = X.mean(axis=axes)
        xc = X - mu.reshape(shape)
        var = (xc * xc).mean(axis=axes)
        if training and running_mean is not None:
            running_mean *= 1 - momentum
            running_mean += momentum * mu.astype(running_mean.dtype)
            running_var *= 1 - momentum
            running_var += (momentum * m / max(m - 1, 1)) * var.astype(running_var.dtype)
        batch_stats = True
    else:
        mu, var = running_mean.astype(dt), running_var.astype(dt)
        xc = X - mu.reshape(shape)
        batch_stats = False
    inv = (1.0 / np.sqrt(var + np.asarray(eps, dt))).astype(dt)
    xhat = xc * inv.reshape(shape)
    out = xhat
    if gamma is not None:
        out = xhat * gamma.data.reshape(shape) + beta.data.reshape(shape)
    parents = (x,) if gamma is None else (x, gamma, beta)

    def backward(g):
        dxhat = g * gamma.data.reshape(shape) if gamma is not None else g
        gx = None
        if x.requires_grad:
            if batch_stats:
                s1 = dxhat.sum(axis=axes).reshape(shape)
                s2 = (dxhat * xhat).sum(axis=axes).reshape(shape)
                gx = (dxhat - s1 / m - xhat * (s2 / m)) * inv.reshape(shape)
            else:
                gx = dxhat * inv.reshape(shape)
        if gamma is None:
            return (gx,)
        return gx, (g * xhat).sum(axis=axes), g.sum(axis=axes)
    return Tensor.from_op(out, parents, backward, "batch_norm")


# ----------------------------------------------------------------------------- layers
class Linear(Module):
    """Affine layer ``y = x @ weight.T + bias``.

    Parameters
    ----------
    in_features, out_features : int
    bias : bool, default True
    rng : None, int or Generator
        For the default init U(-1/√in, 1/√in) of weight and bias (PyTorch's default).
    dtype : default np.float32

    Attributes
    ----------
    weight : Parameter of shape (out_features, in_features)
    bias : Parameter of shape (out_features,) or None

    Examples
    --------
    >>> lin = Linear(3, 2, rng=0)
    >>> lin.weight.shape, lin(np.ones((4, 3), np.float32)).shape
    ((2, 3), (4, 2))
    """

    def __init__(self, in_features, out_features, bias=True, rng=None, dtype=np.float32):
        super().__init__()
        for n, v in (("in_features", in_features), ("out_features", out_features)):
            if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v < 1:
                raise ValueError(f"Linear: {n} must be a positive int, got {v!r}")
        self.in_features, self.out_features = int(in_features), int(out_features)
        gen = check_rng(rng)
        k = 1.0 / math.sqrt(in_features)
        self.weight = Parameter(gen.uniform(-k, k, (out_features, in_features)).astype(dtype))
        self.bias = Parameter(gen.uniform(-k, k, out_features).astype(dtype)) if bias else None

    def forward(self, x):
        x = as_input(x, "Linear", self.weight.dtype)
        if x.ndim < 1 or x.shape[-1] != self.in_features:
            raise ValueError(f"Linear(in_features={self.in_features}, out_features="
                             f"{self.out_features}): expected input of shape (*, {self.in_features}),"
                             f" got {x.shape}")
        return linear(x, self.weight, self.bias)

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class Sequential(Module):
    """A chain of modules applied in order; indexable, named "0", "1", ...

    Examples
    --------
    >>> net = Sequential(Linear(2, 3, rng=0), Tanh())
    >>> len(net), type(net[1]).__name__
    (2, 'Tanh')
    """

    def __init__(self, *modules):
        super().__init__()
        for i, m in enumerate(modules):
            if not isinstance(m, Module):
                raise TypeError(f"Sequential: argument {i} must be a Module, got {type(m).__name__}")
            setattr(self, str(i), m)

    def append(self, module):
        setattr(self, str(len(self._modules)), module)
        return self

    def __len__(self):
        return len(self._modules)

    def __getitem__(self, i):
        mods = list(self._modules.values())
        if isinstance(i, slice):
            return Sequential(*mods[i])
        return mods[i]

    def __iter__(self):
        return iter(self._modules.values())

    def forward(self, x):
        for m in self._modules.values():
            x = m(x)
        return x


class Identity(Module):
    def forward(self, x):
        return x if isinstance(x, Tensor) else Tensor(x)


class ReLU(Module):
    """max(x, 0)."""

    def forward(self, x):
        return _act(ad.relu(x))


class LeakyReLU(Module):
    """x if x > 0 else negative_slope·x."""

    def __init__(self, negative_slope=0.01):
        super().__init__()
        self.negative_slope = float(negative_slope)

    def forward(self, x):
        return _act(ad.leaky_relu(x, self.negative_slope))

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}"


class Sigmoid(Module):
    """Stable logistic function."""

    def forward(self, x):
        return _act(ad.sigmoid(x))


class Tanh(Module):
    def forward(self, x):
        return _act(ad.tanh(x))


class Softplus(Module):
    """Stable log(1 + exp(x))."""

    def forward(self, x):
        return _act(ad.softplus(x))


class Swish(Module):
    """x·σ(βx) with β learnable (one scalar, or one per feature when ``num_features`` is given).

    Attributes
    ----------
    beta : Parameter of shape (1,) or (num_features,)
    """

    def __init__(self, beta=1.0, num_features=None, learnable=True, dtype=np.float32):
        super().__init__()
        shape = (1,) if num_features is None else (int(num_features),)
        b = np.full(shape, beta, dtype=dtype)
        self.num_features = num_features
        if learnable:
            self.beta = Parameter(b)
        else:
            self.register_buffer("beta", b)

    def forward(self, x):
        x = x if isinstance(x, Tensor) else Tensor(x)
        beta = self.beta
        if self.num_features is not None and x.ndim > 2:   # per-channel on NCHW
            beta = beta.reshape((-1,) + (1,) * (x.ndim - 2)) if isinstance(beta, Tensor) \
                else beta.reshape((-1,) + (1,) * (x.ndim - 2))
        return _act(ad.swish(x, beta))


class LogSoftmax(Module):
    def __init__(self, axis=-1):
        super().__init__()
        self.axis = axis

    def forward(self, x):
        return ad.log_softmax(x, self.axis)


class Flatten(Module):
    """Reshape (N, d1, d2, ...) to (N, d1·d2·...) (``start_dim=1`` as in PyTorch)."""

    def __init__(self, start_dim=1):
        super().__init__()
        self.start_dim = int(start_dim)

    def forward(self, x):
        x = x if isinstance(x, Tensor) else Tensor(x)
        return x.reshape(x.shape[:self.start_dim] + (-1,))


class Dropout(Module):
    """Inverted dropout with probability ``p``; identity in eval mode.

    Parameters
    ----------
    p : float in [0, 1)
    rng : None, int or Generator — the stream of dropout masks.
    """

    def __init__(self, p=0.5, rng=None):
        super().__init__()
        if not 0 <= p < 1:
            raise ValueError(f"Dropout: p must be in [0, 1), got {p}")
        self.p = float(p)
        self.rng = check_rng(rng)

    def forward(self, x):
        return ad.dropout(x, self.p, self.training, self.rng)

    def extra_repr(self):
        return f"p={self.p}"


class _BatchNorm(Module):
    _ndim = 2

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True,
                 track_running_stats=True, dtype=np.float32):
        super().__init__()
        if not isinstance(num_features, (int, np.integer)) or num_features < 1:
            raise ValueError(f"{type(self).__name__}: num_features must be a positive int, "
                             f"got {num_features!r}")
        self.num_features, self.eps, self.momentum = int(num_features), float(eps), float(momentum)
        self.affine = affine
        self.weight = Parameter(np.ones(num_features, dtype)) if affine else None
        self.bias = Parameter(np.zeros(num_features, dtype)) if affine else None
        if track_running_stats:
            self.register_buffer("running_mean", np.zeros(num_features, dtype))
            self.register_buffer("running_var", np.ones(num_features, dtype))
        else:
            self.running_mean = self.running_var = None

    def forward(self, x):
        name = type(self).__name__
        dt = self.weight.dtype if self.affine else (self.running_mean.dtype
                                                    if self.running_mean is not None else None)
        x = as_input(x, name, dt) if dt is not None else (x if isinstance(x, Tensor) else Tensor(x))
        ok = x.ndim in self._ndims and x.shape[1] == self.num_features
        if not ok:
            want = " or ".join(f"({', '.join(['N', str(self.num_features)] + ['*'] * (d - 2))})"
                               for d in self._ndims)
            raise ValueError(f"{name}(num_features={self.num_features}): expected input of shape "
                             f"{want}, got {x.shape}")
        return batch_norm(x, self.weight, self.bias, self.running_mean, self.running_var,
                          self.training or self.running_mean is None, self.momentum, self.eps)

    def _check_loaded(self, name, value):
        if name == "running_var" and value.size and float(np.min(value)) < 0:
            return f"negative variances (min {float(np.min(value)):.3g})"
        return None

    def extra_repr(self):
        return f"{self.num_features}, eps={self.eps}, momentum={self.momentum}"


class BatchNorm1d(_BatchNorm):
    """Batch norm over (N, C) or (N, C, L) inputs; see :func:`batch_norm`.

    Attributes
    ----------
    weight, bias : Parameter of shape (C,) (γ = 1, β = 0 at init)
    running_mean, running_var : ndarray of shape (C,) (0 and 1 at init)
    """

    _ndims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch norm over (N, C, H, W) inputs, per channel; see :class:`BatchNorm1d`."""

    _ndims = (4,)


# ----------------------------------------------------------------------------- losses
class CrossEntropyLoss(Module):
    """Softmax cross-entropy on logits (N, C) and int targets (N,); see :func:`energy.autodiff.cross_entropy`."""

    def __init__(self, reduction="mean"):
        super().__init__()
        self.reduction = reduction

    def forward(self, logits, target):
        return ad.cross_entropy(logits, target, self.reduction)


class MSELoss(Module):
    def __init__(self, reduction="mean"):
        super().__init__()
        self.reduction = reduction

    def forward(self, pred, target):
        return ad.mse_loss(pred, target, self.reduction)


class BCEWithLogitsLoss(Module):
    def __init__(self, reduction="mean"):
        super().__init__()
        self.reduction = reduction

    def forward(self, logits, target):
        return ad.binary_cross_entropy_with_logits(logits, target, self.reduction)
