"""Backward through a tensor modified in place after an op used it is an error, not a gradient
at the wrong point: raw edits of inputs that require grad (their CRC-32), optimiser steps,
load_state_dict and bump_version (the version counter); edits before use, abandoned graphs
and a forward after step() are fine."""

import numpy as np
import pytest

from energy.autodiff import Module, Parameter, Tensor
from energy.optim import SGD, Adam


def test_a_raw_edit_of_an_input_after_use_is_caught():
    x = Tensor(np.array([2.0]), requires_grad=True)
    y = x * x
    x.data[...] = 10
    with pytest.raises(RuntimeError, match=r"input of op 'mul' \(a leaf of shape \(1,\)\) was "
                                           r"modified in place after the op used it"):
        y.sum().backward()
    assert x.grad is None


def test_edits_before_use_and_abandoned_graphs_are_fine():
    x = Tensor(np.array([2.0]), requires_grad=True)
    x.data[...] = 3.0
    _ = x * x                        # abandoned
    x.data[...] = 5.0
    y = x * x + x
    y.sum().backward()
    np.testing.assert_allclose(x.grad, [11.0])


def test_a_modified_intermediate_result_is_caught():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    h = x * 3
    y = h * h
    h.data[...] = 0
    h.bump_version()
    with pytest.raises(RuntimeError, match=r"op 'mul' \(the output of op 'mul'"):
        y.sum().backward()


class _Lin(Module):
    def __init__(self):
        super().__init__()
        self.w = Parameter(np.array([1.0, -2.0, 0.5]))

    def forward(self, x):
        return (self.w * x).sum() ** 2


@pytest.mark.parametrize("opt_cls", [SGD, Adam])
def test_optimiser_steps_bump_and_a_second_forward_works(opt_cls):
    m = _Lin()
    opt = opt_cls(m.parameters(), lr=0.1)
    x = np.array([1.0, 2.0, 3.0])
    loss = m(x)
    loss.backward()
    opt.step()
    with pytest.raises(RuntimeError, match="modified in place"):
        loss.backward()              # the graph holds the weights before the step
    opt.zero_grad()
    loss2 = m(x)
    loss2.backward()                 # a fresh forward after step() works
    s = float(m.w.data @ x)
    np.testing.assert_allclose(m.w.grad, 2 * s * x)


def test_load_state_dict_bumps_the_parameters():
    m = _Lin()
    loss = m(np.ones(3))
    m.load_state_dict({"w": np.zeros(3)})
    with pytest.raises(RuntimeError, match="modified in place"):
        loss.backward()
    m(np.ones(3)).backward()
