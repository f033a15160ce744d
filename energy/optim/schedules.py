"""Learning-rate schedules: each ``step()`` (once per epoch) sets ``optimizer.lr``.

Examples
--------
>>> import numpy as np
>>> from energy.optim import SGD
>>> opt = SGD([np.zeros(1)], lr=1.0); s = CosineLR(opt, T_max=2)
>>> [s.step() for _ in range(3)]
[0.5, 0.0, 0.0]
"""

from __future__ import annotations

import math

from .base import Optimizer

__all__ = ["StepLR", "CosineLR"]


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
    >>> import numpy as np
    >>> from energy.optim import SGD
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
