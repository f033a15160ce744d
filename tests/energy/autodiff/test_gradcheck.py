"""gradcheck itself: it finds a wrong backward, names the entry, and wants float64."""

import numpy as np
import pytest

from energy import autodiff as ad
from energy.autodiff import Tensor
from energy.autodiff.gradcheck import gradcheck


def test_gradcheck_detects_wrong_backward():
    def bad_square(x):
        return Tensor.from_op(x.data ** 2, (x,), lambda g: (3 * x.data * g,), "bad")
    res = gradcheck(lambda x: bad_square(x).sum(), [np.array([1.0, 2.0, -1.5])])
    assert not res.passed
    assert res.worst_input == 0 and res.worst_index == (1,)
    assert res.analytic == pytest.approx(6.0) and res.numeric == pytest.approx(4.0)
    with pytest.raises(AssertionError, match="index \\(1,\\)"):
        gradcheck(lambda x: bad_square(x).sum(), [np.array([1.0, 2.0, -1.5])],
                  raise_exception=True)


def test_gradcheck_requires_float64_parameters():
    p = ad.Parameter(np.ones(3, np.float32))
    with pytest.raises(TypeError, match="float64"):
        gradcheck(lambda p: p.sum(), [p])
