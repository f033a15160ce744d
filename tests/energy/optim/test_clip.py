"""Gradient clipping by the joint norm, on arrays and on tensors' gradients."""

import math

import numpy as np
import pytest

from energy.autodiff import Parameter
from energy.optim import clip_grad_norm


def test_clip_grad_norm():
    a, b = np.array([3.0, 0.0]), np.array([[4.0]])
    n = clip_grad_norm([a, b], 1.0)
    assert n == pytest.approx(5.0)
    assert math.hypot(a[0], b[0, 0]) == pytest.approx(1.0)
    np.testing.assert_allclose(a[0] / b[0, 0], 0.75)
    p = Parameter(np.ones(4))
    (p * 2).sum().backward()
    assert clip_grad_norm([p], 10.0) == pytest.approx(4.0)
    np.testing.assert_allclose(p.grad, 2.0)        # under the limit: untouched
