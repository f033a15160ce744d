"""Stochastic gradient descent with (Nesterov) momentum and weight decay.

The arithmetic of the update lives in :mod:`energy.optim._kernels` only: :meth:`SGD.step`
runs its numba kernel on big contiguous parameters and its numpy reference on the others, and
:meth:`SGD.fused_args` hands the same arguments to kernels that apply the update themselves
(the RBM's epoch kernel).

Examples
--------
>>> import numpy as np
>>> W = np.ones((2, 2)); b = np.ones(2)
>>> opt = SGD([W, b], lr=0.1, weight_decay=0.5)
>>> opt.step([np.zeros((2, 2)), np.zeros(2)])
>>> float(W[0, 0]), float(b[0])
(0.95, 1.0)
"""

from __future__ import annotations

import numpy as np

from energy.autodiff import Tensor

from pgm.runtime.jit import lazy_module

from ._kernels_ref import sgd_step_ref

_K = lazy_module("energy.optim._kernels")
from .base import Optimizer

__all__ = ["SGD"]


class SGD(Optimizer):
    """Stochastic gradient descent with (Nesterov) momentum and weight decay.

    ``v ← μ v + g``, ``θ ← θ - lr · v`` (heavy ball) or ``θ ← θ - lr · (g + μ v)`` (Nesterov),
    the formulation PyTorch uses, with ``g`` including the weight decay term.

    Parameters
    ----------
    params, lr, weight_decay, decay_bias, maximize : see :class:`Optimizer`
    momentum : float in [0, 1), default 0
    nesterov : bool, default False

    Examples
    --------
    >>> x = np.array([3.0])
    >>> opt = SGD([x], lr=0.1, momentum=0.9, nesterov=True)
    >>> for _ in range(200):
    ...     opt.step([2 * x])              # minimise x**2
    >>> bool(abs(x[0]) < 1e-6)
    True
    """

    def __init__(self, params, lr=0.01, momentum=0.0, nesterov=False, weight_decay=0.0,
                 decay_bias=False, maximize=False):
        super().__init__(params, lr, weight_decay, decay_bias, maximize)
        if not 0 <= momentum < 1:
            raise ValueError(f"momentum: must be in [0, 1), got {momentum}")
        if nesterov and momentum == 0:
            raise ValueError("nesterov: needs momentum > 0")
        self.momentum = float(momentum)
        self.nesterov = bool(nesterov)

    _FUSED_MIN = 1 << 14      # parameters at least this big take the one-pass numba kernel

    def step(self, grads=None):
        """Update every parameter in place (see :meth:`Optimizer.step`).

        Large contiguous parameters are updated in one fused, parallel pass
        (:func:`energy.optim._kernels.sgd_step`), the others by its numpy reference
        (:func:`energy.optim._kernels.sgd_step_ref`): the same arithmetic.
        """
        grads = self._grads(grads)
        self.steps += 1
        # the numpy path takes Python floats: numpy casts them to the parameter's dtype, as
        # the kernel's scalars of fused_args are (and it saves making numpy scalars per step)
        lr, mu, nesterov = self.lr, self.momentum, self.nesterov
        sign = -1.0 if self.maximize else 1.0
        for i, (p, g) in enumerate(zip(self.params, grads)):
            if g is None:
                continue
            a = p.data if isinstance(p, Tensor) else p
            if type(g) is not np.ndarray or g.dtype != a.dtype:
                g = np.asarray(g, dtype=a.dtype)
            if (a.size >= self._FUSED_MIN and a.flags.c_contiguous and g.flags.c_contiguous
                    and g.shape == a.shape):
                v, *scalars = self.fused_args(i)
                _K.sgd_step(a.reshape(-1), g.reshape(-1), v.reshape(-1), *scalars)
            else:
                v = self._velocity(i, a) if mu else None
                sgd_step_ref(a, g, v, lr, mu, self._decay[i], sign, nesterov)

    def _velocity(self, i, a):
        """The momentum buffer of parameter ``i`` (created at zero on first use)."""
        v = self.state[i].get("v")
        if v is None:
            v = self.state[i]["v"] = np.zeros_like(a)
        return v

    def fused_args(self, i):
        """``(v, lr, mu, wd, sign, nesterov)`` of parameter ``i`` for a kernel that applies
        this optimiser's update itself (:func:`energy.optim._kernels.sgd_run`, the arithmetic
        of :meth:`step`): ``v`` is the momentum buffer (created at zero; an empty array
        without momentum), the scalars in the parameter's dtype. A caller that updates
        parameter ``i`` this way passes ``None`` as its gradient to :meth:`step`."""
        p = self.params[i]
        a = p.data if isinstance(p, Tensor) else p
        if self.momentum:
            v = self._velocity(i, a)
        else:
            v = np.empty(a.shape[:-1] + (0,), a.dtype) if a.ndim else np.empty(0, a.dtype)
        t = a.dtype.type
        return (v, t(self.lr), t(self.momentum), t(self._decay[i]),
                t(-1 if self.maximize else 1), self.nesterov)
