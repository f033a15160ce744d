"""Losses on the engine's tensors: log-softmax/softmax, cross-entropy, mean squared error,
binary cross-entropy on logits, and dropout.

Each is one fused op (a single VJP written out by hand), stable for any logit size.

Examples
--------
>>> import numpy as np
>>> from energy.autodiff import Tensor, cross_entropy
>>> logits = Tensor(np.array([[2.0, 0.0], [0.0, 0.0]]), requires_grad=True)
>>> cross_entropy(logits, np.array([0, 1])).backward()
>>> np.round(logits.grad, 3)
array([[-0.06,  0.06],
       [ 0.25, -0.25]])
"""

from __future__ import annotations

import numpy as np

from pgm.runtime import check_rng
from pgm.runtime.numerics import sigmoid as _sigmoid, softplus as _softplus

from .tensor import Tensor, _lift, _make, _t

__all__ = ["log_softmax", "softmax", "cross_entropy", "mse_loss",
           "binary_cross_entropy_with_logits", "dropout"]


def _log_softmax(x, axis):
    z = x - x.max(axis=axis, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=axis, keepdims=True))


def log_softmax(a, axis=-1) -> Tensor:
    """log softmax along ``axis`` by log-sum-exp; VJP g - softmax · Σg."""
    a = _t(a)
    out = _log_softmax(a.data, axis)

    def backward(g):
        return (g - np.exp(out) * g.sum(axis=axis, keepdims=True),)
    return _make(out, (a,), backward, "log_softmax")


def softmax(a, axis=-1) -> Tensor:
    """softmax along ``axis``; VJP through the Jacobian δ_ij z_j - z_i z_j: z ⊙ (g - Σ g z)."""
    a = _t(a)
    out = np.exp(_log_softmax(a.data, axis))

    def backward(g):
        return (out * (g - (g * out).sum(axis=axis, keepdims=True)),)
    return _make(out, (a,), backward, "softmax")


def _check_reduction(reduction, name):
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{name}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def cross_entropy(logits, target, reduction: str = "mean") -> Tensor:
    """Softmax cross-entropy fused with log-softmax (stable for any logit size).

    Parameters
    ----------
    logits : Tensor of shape (n_samples, n_classes)
    target : ndarray of shape (n_samples,) with int class indices in [0, n_classes), or of
        shape (n_samples, n_classes) with class probabilities.
    reduction : {'mean', 'sum', 'none'}

    The VJP is ``softmax(logits) - onehot(target)`` (times the incoming gradient), the
    derivative of -log z_y through the softmax Jacobian.

    Examples
    --------
    >>> logits = Tensor(np.array([[1000.0, 0.0]]), requires_grad=True)
    >>> float(cross_entropy(logits, np.array([1])).data)
    1000.0
    """
    logits = _t(logits)
    t = np.asarray(target.data if isinstance(target, Tensor) else target)
    if logits.ndim != 2:
        raise ValueError(f"cross_entropy: logits must have shape (n_samples, n_classes), "
                         f"got {logits.shape}")
    n, c = logits.shape
    L = _log_softmax(logits.data, 1)
    if t.dtype.kind in "iu":
        if t.shape != (n,):
            raise ValueError(f"cross_entropy: integer targets must have shape ({n},) to match "
                             f"logits {logits.shape}, got {t.shape}")
        rows = np.arange(n)
        try:
            if n and t.min() < 0:
                raise IndexError
            per = -L[rows, t]           # an index >= n_classes raises IndexError here
        except IndexError:
            raise ValueError(f"cross_entropy: class indices must lie in [0, {c}), got values "
                             f"in [{t.min()}, {t.max()}]") from None

        def dlogits():
            d = np.exp(L)
            d[rows, t] -= 1
            return d
    elif t.dtype.kind == "f":
        if t.shape != (n, c):
            raise ValueError(f"cross_entropy: probability targets must have the logits' shape "
                             f"{logits.shape}, got {t.shape}")
        t = t.astype(L.dtype, copy=False)
        per = -(t * L).sum(axis=1)

        def dlogits():
            return np.exp(L) * t.sum(axis=1, keepdims=True) - t
    else:
        raise TypeError(f"cross_entropy: target must hold int class indices or float "
                        f"probabilities, got dtype {t.dtype}")
    _check_reduction(reduction, "cross_entropy")
    if reduction == "none":
        return _make(per, (logits,), lambda g: (dlogits() * g[:, None],), "cross_entropy")
    scale = 1.0 / n if reduction == "mean" else 1.0
    out = np.asarray(per.sum() * scale, dtype=L.dtype)
    return _make(out, (logits,), lambda g: (dlogits() * (g * scale),), "cross_entropy")


def mse_loss(pred, target, reduction: str = "mean") -> Tensor:
    """Mean squared error (pred - target)²; target may be a Tensor or an array of the same shape."""
    pred = _t(pred)
    target = _lift(target, pred)
    if pred.shape != target.shape:
        raise ValueError(f"mse_loss: pred and target must have the same shape, got {pred.shape} "
                         f"and {target.shape}")
    _check_reduction(reduction, "mse_loss")
    d = pred.data - target.data
    if reduction == "none":
        return _make(d * d, (pred, target), lambda g: (2 * d * g, -2 * d * g), "mse_loss")
    scale = 2.0 / d.size if reduction == "mean" else 2.0
    out = np.asarray((d * d).sum() * (scale / 2), dtype=d.dtype)
    return _make(out, (pred, target), lambda g: (d * (g * scale), d * (-g * scale)), "mse_loss")


def binary_cross_entropy_with_logits(logits, target, reduction: str = "mean") -> Tensor:
    """Binary cross-entropy on logits x: softplus(x) - t·x, stable; VJP σ(x) - t.

    Parameters
    ----------
    logits : Tensor of any shape
    target : array of the same shape with values in [0, 1]
    """
    logits = _t(logits)
    t = np.asarray(target.data if isinstance(target, Tensor) else target)
    if t.shape != logits.shape:
        raise ValueError(f"binary_cross_entropy_with_logits: target must have the logits' shape "
                         f"{logits.shape}, got {t.shape}")
    X = logits.data
    t = t.astype(X.dtype, copy=False)
    _check_reduction(reduction, "binary_cross_entropy_with_logits")
    per = _softplus(X) - t * X
    if reduction == "none":
        return _make(per, (logits,), lambda g: ((_sigmoid(X) - t) * g,), "bce_with_logits")
    scale = 1.0 / per.size if reduction == "mean" else 1.0
    out = np.asarray(per.sum() * scale, dtype=X.dtype)
    return _make(out, (logits,), lambda g: ((_sigmoid(X) - t) * (g * scale),), "bce_with_logits")


def dropout(a, p: float = 0.5, training: bool = True, rng=None) -> Tensor:
    """Inverted dropout: zero each entry with probability ``p``, scale the rest by 1/(1-p).

    ``rng`` is None, an int seed or a numpy Generator (see :func:`pgm.runtime.checks.check_rng`).
    In evaluation (``training=False``) or with p = 0 it is the identity.
    """
    a = _t(a)
    if not 0 <= p < 1:
        raise ValueError(f"dropout: p must be in [0, 1), got {p}")
    if not training or p == 0:
        return a
    gen = check_rng(rng)
    mask = (gen.random(a.shape, dtype=np.float64 if a.dtype != np.float32 else np.float32) >= p)
    mask = mask.astype(a.dtype) * np.asarray(1.0 / (1.0 - p), dtype=a.dtype)
    return _make(a.data * mask, (a,), lambda g: (g * mask,), "dropout")
