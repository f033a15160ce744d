"""Optimisers shared by the networks and the energy models: SGD (momentum, Nesterov, weight
decay), Adam/AdamW, learning-rate schedules, gradient clipping, and reversible momentum SGD.

>>> import numpy as np
>>> from energy.autodiff import Parameter
>>> from energy.optim import SGD
>>> w = Parameter(np.array([1.0]))
>>> opt = SGD([w], lr=0.1)
>>> (w * w).sum().backward(); opt.step()
>>> w.data
array([0.8])
"""

from .optimizers import SGD, Adam, CosineLR, Optimizer, StepLR, clip_grad_norm
from .reversible import ReversibleSGD

__all__ = ["Optimizer", "SGD", "Adam", "StepLR", "CosineLR", "clip_grad_norm", "ReversibleSGD"]
