"""Optimisers, learning-rate schedules and gradient clipping, shared by every learned model.

An optimiser takes a list of parameters: engine tensors (their ``.grad`` is used) or plain
numpy float arrays (then pass the gradients to :meth:`Optimizer.step`). It updates them in
place, so a model that keeps its weights as numpy arrays (an RBM, a fused LSTM) can use the
same optimisers as a network of :class:`~energy.autodiff.Parameter` s.

Gradients are of a loss to *minimise*; pass ``maximize=True`` for an ascent direction (a
log-likelihood gradient, say).

Weight decay (L2, added to the gradient as ``wd * θ``) is applied by default only to
parameters with two or more dimensions — weight matrices and convolution kernels — and not to
biases or batch-norm scales/shifts (1-D). ``decay_bias=True`` decays everything.

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

import math

import numpy as np

from energy.optim._kernels import sgd_step as _sgd_kernel
from energy.autodiff import Tensor

__all__ = ["Optimizer", "SGD", "Adam", "StepLR", "CosineLR", "clip_grad_norm"]


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
        """``(v, lr, mu, wd, sign, nesterov)`` of parameter ``i`` for a kernel that applies
        this optimiser's update itself (:func:`energy.optim._kernels.sgd_run`, the arithmetic
        of :meth:`step`): ``v`` is the momentum buffer (created at zero; an empty array
        without momentum), the scalars in the parameter's dtype. A caller that updates
        parameter ``i`` this way passes ``None`` as its gradient to :meth:`step`."""
        a = self.params[i].data if isinstance(self.params[i], Tensor) else self.params[i]
        v = self.state[i].get("v")
        if v is None:
            if self.momentum:
                v = self.state[i]["v"] = np.zeros_like(a)
            else:
                v = np.empty(a.shape[:-1] + (0,), a.dtype) if a.ndim else np.empty(0, a.dtype)
        t = a.dtype.type
        return (v, t(self.lr), t(self.momentum), t(self._decay[i]),
                t(-1 if self.maximize else 1), self.nesterov)

    def _update(self, i, a, g):  # pragma: no cover - abstract
        raise NotImplementedError


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
        (:func:`energy.optim._kernels.sgd_step`, the same arithmetic as the numpy path).
        """
        grads = self._grads(grads)
        self.steps += 1
        for i, (p, g) in enumerate(zip(self.params, grads)):
            if g is None:
                continue
            a = p.data if isinstance(p, Tensor) else p
            g = np.asarray(g)
            if (a.size >= self._FUSED_MIN and a.flags.c_contiguous and g.dtype == a.dtype
                    and g.flags.c_contiguous and g.shape == a.shape):
                v, lr, mu, wd, sign, nesterov = self.fused_args(i)
                _sgd_kernel(a.reshape(-1), g.reshape(-1), v.reshape(-1), lr, mu, wd, sign,
                            nesterov)
                continue
            g = np.asarray(g, dtype=a.dtype)
            if self.maximize:
                g = -g
            if self._decay[i]:
                g = g + self._decay[i] * a
            self._update(i, a, g)

    def _update(self, i, a, g):
        # Python floats are "weak" scalars in numpy: a float32 array stays float32
        if self.momentum:
            mu = self.momentum
            v = self.state[i].get("v")
            if v is None:          # the first step: v = g (as v = μ·0 + g)
                v = self.state[i]["v"] = np.array(g, copy=True)
            else:
                v *= mu
                v += g
            d = g + mu * v if self.nesterov else v
            a -= self.lr * d
        else:
            a -= self.lr * g


class Adam(Optimizer):
    """Adam (Kingma & Ba 2015) with bias correction; ``decoupled=True`` gives AdamW.

    ``m ← β₁m + (1-β₁)g``, ``v ← β₂v + (1-β₂)g²``,
    ``θ ← θ - lr · m̂ / (√v̂ + ε)`` with ``m̂ = m/(1-β₁ᵗ)``, ``v̂ = v/(1-β₂ᵗ)``.

    Parameters
    ----------
    params, lr, weight_decay, decay_bias, maximize : see :class:`Optimizer`
    betas : (float, float), default (0.9, 0.999)
    eps : float, default 1e-8
    decoupled : bool, default False
        Decay the weights directly (``θ ← θ(1 - lr·wd)``) instead of adding ``wd·θ`` to g.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                 decay_bias=False, decoupled=False, maximize=False):
        super().__init__(params, lr, weight_decay, decay_bias, maximize)
        b1, b2 = betas
        if not (0 <= b1 < 1 and 0 <= b2 < 1):
            raise ValueError(f"betas: each must be in [0, 1), got {betas}")
        self.betas = (float(b1), float(b2))
        self.eps = float(eps)
        self.decoupled = bool(decoupled)
        if decoupled:
            self._wd_decoupled, self._decay = self._decay, [0.0] * len(self._decay)

    def _update(self, i, a, g):
        b1, b2 = self.betas
        st = self.state[i]
        if "m" not in st:
            st["m"] = np.zeros_like(a)
            st["v"] = np.zeros_like(a)
            st["t"] = 0
        st["t"] += 1
        t = st["t"]
        m, v = st["m"], st["v"]
        m *= b1
        m += (1 - b1) * g
        v *= b2
        v += (1 - b2) * (g * g)
        if self.decoupled and self._wd_decoupled[i]:
            a *= 1 - self.lr * self._wd_decoupled[i]
        step = self.lr / (1 - b1 ** t)
        denom = np.sqrt(v / (1 - b2 ** t)) + self.eps
        a -= (step * m / denom).astype(a.dtype, copy=False)


# ----------------------------------------------------------------------------- schedules
class _Schedule:
    def __init__(self, optimizer):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"optimizer: expected an Optimizer, got {type(optimizer).__name__}")
        self.optimizer = optimizer
        self.base_lr = optimizer.lr
        self.epoch = 0

    def step(self):
        """Advance one epoch and set the optimiser's learning rate; returns it."""
        self.epoch += 1
        self.optimizer.lr = self.lr_at(self.epoch)
        return self.optimizer.lr


class StepLR(_Schedule):
    """Multiply the learning rate by ``gamma`` every ``step_size`` epochs.

    Examples
    --------
    >>> opt = SGD([np.zeros(1)], lr=1.0); s = StepLR(opt, step_size=2, gamma=0.5)
    >>> [s.step() for _ in range(4)]
    [1.0, 0.5, 0.5, 0.25]
    """

    def __init__(self, optimizer, step_size, gamma=0.1):
        super().__init__(optimizer)
        if int(step_size) < 1:
            raise ValueError(f"step_size: must be >= 1, got {step_size}")
        self.step_size, self.gamma = int(step_size), float(gamma)

    def lr_at(self, epoch):
        return self.base_lr * self.gamma ** (epoch // self.step_size)


class CosineLR(_Schedule):
    """Cosine annealing from the base rate to ``eta_min`` over ``T_max`` epochs.

    ``lr(t) = eta_min + (base - eta_min) (1 + cos(π t / T_max)) / 2`` (constant after T_max).
    """

    def __init__(self, optimizer, T_max, eta_min=0.0):
        super().__init__(optimizer)
        if int(T_max) < 1:
            raise ValueError(f"T_max: must be >= 1, got {T_max}")
        self.T_max, self.eta_min = int(T_max), float(eta_min)

    def lr_at(self, epoch):
        t = min(epoch, self.T_max)
        return self.eta_min + (self.base_lr - self.eta_min) * (1 + math.cos(math.pi * t / self.T_max)) / 2


# ----------------------------------------------------------------------------- clipping
def clip_grad_norm(params_or_grads, max_norm: float) -> float:
    """Scale gradients in place so that their joint L2 norm is at most ``max_norm``.

    Parameters
    ----------
    params_or_grads : iterable of Tensor (their ``.grad`` is scaled) or of ndarray (scaled)
    max_norm : float > 0

    Returns
    -------
    float
        The total norm before clipping.
    """
    if not max_norm > 0:
        raise ValueError(f"max_norm: must be > 0, got {max_norm}")
    gs = []
    for p in params_or_grads:
        g = p.grad if isinstance(p, Tensor) else p
        if g is not None:
            gs.append(g)
    total = math.sqrt(sum(float(np.vdot(g, g)) for g in gs))
    if total > max_norm:
        scale = max_norm / (total + 1e-12)
        for g in gs:
            g *= scale
    return total
