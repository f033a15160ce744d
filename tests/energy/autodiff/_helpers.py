"""Shared by the engine's tests: random inputs and a gradcheck that must pass."""

import numpy as np

from energy.autodiff.gradcheck import gradcheck

rng = np.random.default_rng(0)


def R(*shape, low=-2.0, high=2.0, seed=None):
    g = np.random.default_rng(seed) if seed is not None else rng
    return g.uniform(low, high, size=shape)


def check(f, *inputs, **kw):
    res = gradcheck(f, list(inputs), **kw)
    assert res.passed, str(res)
    return res
