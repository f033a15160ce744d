"""Shared helpers of the neural tests."""

import numpy as np


def _x(*shape, seed=0, dtype=np.float64):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)
