"""Learning-rate schedules."""

import math

import numpy as np
import pytest

from energy.optim import SGD, CosineLR, StepLR


def test_schedules():
    opt = SGD([np.zeros(1)], lr=1.0)
    s = StepLR(opt, step_size=3, gamma=0.1)
    lrs = [s.step() for _ in range(7)]
    np.testing.assert_allclose(lrs, [1, 1, 0.1, 0.1, 0.1, 0.01, 0.01])
    opt = SGD([np.zeros(1)], lr=2.0)
    c = CosineLR(opt, T_max=4, eta_min=0.5)
    lrs = [c.step() for _ in range(6)]
    expect = [0.5 + 1.5 * (1 + math.cos(math.pi * t / 4)) / 2 for t in (1, 2, 3, 4, 4, 4)]
    np.testing.assert_allclose(lrs, expect)
    assert opt.lr == pytest.approx(0.5)
