"""Optimisers shared by the networks and the energy models: SGD (momentum, Nesterov, weight
decay), Adam/AdamW, learning-rate schedules, gradient clipping, and reversible momentum SGD.

Modules: :mod:`~energy.optim.base` (the :class:`Optimizer` base and its fused-update hook),
:mod:`~energy.optim.sgd` (its update written once in :mod:`~energy.optim._kernels`: numba
kernel and numpy reference), :mod:`~energy.optim.adam`, :mod:`~energy.optim.schedules`,
:mod:`~energy.optim.clip`, :mod:`~energy.optim.reversible`.

>>> import numpy as np
>>> from energy.autodiff import Parameter
>>> from energy.optim import SGD
>>> w = Parameter(np.array([1.0]))
>>> opt = SGD([w], lr=0.1)
>>> (w * w).sum().backward(); opt.step()
>>> w.data
array([0.8])
"""

from .base import Optimizer
from .sgd import SGD
from .adam import Adam
from .schedules import CosineLR, StepLR
from .clip import clip_grad_norm
from .reversible import ReversibleSGD

__all__ = ["Optimizer", "SGD", "Adam", "StepLR", "CosineLR", "clip_grad_norm", "ReversibleSGD"]
