"""Shared helpers of the recurrent tests."""

import numpy as np


def _r(*shape, seed=0, dtype=np.float64, scale=1.0):
    return (scale * np.random.default_rng(seed).standard_normal(shape)).astype(dtype)


def _layer_inputs(T, B, I, H, G, seed=0):
    return [_r(T, B, I, seed=seed), _r(B, H, seed=seed + 1, scale=0.5),
            _r(B, H, seed=seed + 2, scale=0.5), _r(G * H, I, seed=seed + 3, scale=0.5),
            _r(G * H, H, seed=seed + 4, scale=0.5), _r(G * H, seed=seed + 5, scale=0.3),
            _r(G * H, seed=seed + 6, scale=0.3)]
