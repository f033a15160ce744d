"""The optimiser base class: the parameter list, per-parameter weight decay, the gradients'
checks, and the fused-update hook.

An optimiser takes a list of parameters: engine tensors (their ``.grad`` is used) or plain
numpy float arrays (then pass the gradients to :meth:`Optimizer.step`). It updates them in
place, so a model that keeps its weights as numpy arrays (an RBM, a fused LSTM) can use the
same optimisers as a network of :class:`~energy.autodiff.Parameter` s.

Gradients are of a loss to *minimise*; pass ``maximize=True`` for an ascent direction (a
log-likelihood gradient, say).

Weight decay (L2, added to the gradient as ``wd * θ``) is applied by default only to
parameters with two or more dimensions — weight matrices and convolution kernels — and not to
biases or batch-norm scales/shifts (1-D). ``decay_bias=True`` decays everything.

A subclass implements ``_update(i, a, g)`` (the update of one parameter array ``a`` from its
gradient ``g``, already sign-flipped for ``maximize`` and with the weight decay added), or
overrides :meth:`Optimizer.step`. The fused-update hook :meth:`Optimizer.fused_args` lets a
numba kernel apply the update itself; an optimiser without such an update refuses it with
:class:`NotImplementedError`.

Examples
--------
>>> import numpy as np
>>> from energy.optim import SGD, Adam
>>> W = np.ones((2, 2)); b = np.ones(2)
>>> len(SGD([W, b], lr=0.1, momentum=0.9).fused_args(0))   # what a kernel needs
6
>>> Adam([W, b], lr=0.1).fused_args(0)
Traceback (most recent call last):
    ...
NotImplementedError: Adam has no fused update; ...
"""

from __future__ import annotations

import math

import numpy as np

from energy.autodiff import Tensor

__all__ = ["Optimizer"]


def _array_of(p, i):
    if isinstance(p, Tensor):
        return p.data
    if isinstance(p, np.ndarray):
        if p.dtype.kind != "f":
            raise TypeError(f"params[{i}]: expected a float array, got dtype {p.dtype}")
        return p
    raise TypeError(f"params[{i}]: expected a Tensor/Parameter or a numpy float array, "
                    f"got {type(p).__name__}")


class Optimizer:
    """Base class: keeps the parameter list, the per-parameter weight decay and ``lr``.

    Parameters
    ----------
    params : iterable of Tensor or ndarray
    lr : float
        Learning rate (a schedule changes ``optimizer.lr``).
    weight_decay : float, default 0
    decay_bias : bool, default False
        Also decay 0-/1-D parameters (biases, batch-norm affine parameters).
    maximize : bool, default False
    """

    def __init__(self, params, lr, weight_decay=0.0, decay_bias=False, maximize=False):
        if isinstance(params, (Tensor, np.ndarray)):
            raise TypeError("params: expected an iterable of parameters (e.g. model.parameters()"
                            " or [W, b]), got a single array")
        self.params = list(params)
        if not self.params:
            raise ValueError("params: the optimiser got an empty parameter list")
        self._arrays = [_array_of(p, i) for i, p in enumerate(self.params)]
        if not lr > 0 or not math.isfinite(lr):
            raise ValueError(f"lr: must be a positive finite number, got {lr}")
        if weight_decay < 0:
            raise ValueError(f"weight_decay: must be >= 0, got {weight_decay}")
        self.lr = float(lr)
        self.weight_decay = float(weight_decay)
        self.decay_bias = bool(decay_bias)
        self.maximize = bool(maximize)
        self._decay = [self.weight_decay if (decay_bias or a.ndim >= 2) else 0.0
                       for a in self._arrays]
        self.state = [dict() for _ in self.params]
        self._all_tensors = all(isinstance(p, Tensor) for p in self.params)
        self.steps = 0

    def zero_grad(self):
        """Forget the gradients stored on tensor parameters."""
        for p in self.params:
            if isinstance(p, Tensor):
                p.grad = None

    def _grads(self, grads):
        # every step updates the parameters in place: graphs made before it are stale
        now = None
        for p in self.params:
            if isinstance(p, Tensor):
                if now is None:
                    now = p.bump_version().version
                else:
                    p._version = now
        if grads is None and self._all_tensors:
            return [p.grad for p in self.params]
        if grads is None:
            out = []
            for i, p in enumerate(self.params):
                if not isinstance(p, Tensor):
                    raise ValueError(f"step: params[{i}] is a numpy array, so the gradients must "
                                     f"be passed: step(grads)")
                out.append(p.grad)
            return out
        grads = list(grads)
        if len(grads) != len(self.params):
            raise ValueError(f"step: expected {len(self.params)} gradients (one per parameter), "
                             f"got {len(grads)}")
        for i, (a, g) in enumerate(zip(self._arrays, grads)):
            if g is not None and np.shape(g) != a.shape:
                raise ValueError(f"step: grads[{i}] has shape {np.shape(g)}, expected the "
                                 f"parameter's shape {a.shape}")
        return grads

    def step(self, grads=None):
        """Update every parameter in place.

        Parameters
        ----------
        grads : list of ndarray, optional
            One gradient per parameter (None skips it). Default: the tensors' ``.grad``.
        """
        grads = self._grads(grads)
        self.steps += 1
        for i, (p, g) in enumerate(zip(self.params, grads)):
            if g is None:
                continue
            a = p.data if isinstance(p, Tensor) else p
            if type(g) is not np.ndarray or g.dtype != a.dtype:
                g = np.asarray(g, dtype=a.dtype)
            if self.maximize:
                g = -g
            if self._decay[i]:
                g = g + self._decay[i] * a
            self._update(i, a, g)

    def fused_args(self, i):
        """The fused-update hook: the arguments with which a numba kernel applies this
        optimiser's update to parameter ``i`` itself, instead of :meth:`step` (a caller that
        does so passes ``None`` as that parameter's gradient to :meth:`step`).

        Each optimiser either implements it (:meth:`energy.optim.SGD.fused_args`, for
        :func:`energy.optim._kernels.sgd_run`) or refuses, as this default does, with a
        :class:`NotImplementedError` that names it.

        Examples
        --------
        >>> import numpy as np
        >>> from energy.optim import Adam
        >>> Adam([np.zeros(2)]).fused_args(0)
        Traceback (most recent call last):
        ...
        NotImplementedError: Adam has no fused update; only SGD's update runs inside a kernel ...
        """
        raise NotImplementedError(
            f"{type(self).__name__} has no fused update; only SGD's update runs inside a kernel "
            f"(energy.optim._kernels.sgd_run): update its parameters with step()")

    def _update(self, i, a, g):
        """Update parameter array ``a`` (index ``i``) in place from its gradient ``g``."""
        raise NotImplementedError(f"{type(self).__name__} must implement _update(i, a, g) "
                                  f"or override step()")
