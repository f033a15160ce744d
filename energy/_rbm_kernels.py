"""numba kernels of the Bernoulli RBM's Gibbs chains (private).

A Gibbs half-step of a batch of chains is one matrix product (numpy's BLAS, outside these
kernels) and one fused pass that turns the pre-activations into probabilities and Bernoulli
draws, in parallel over the chains (``prange`` over rows):

    p[r, j] = sigmoid(pre[r, j] + bias[j]),   s[r, j] = 1 if u(seed, r * n + j) < p[r, j] else 0

Random numbers are counter based, as in the Ising kernels: the uniform of element (r, j) is
the top 53 bits of ``splitmix64(seed + (r * n + j) * GOLDEN)``, so a draw depends only on
(seed, element), never on the thread that makes it; runs reproduce exactly for any number of
threads, and :mod:`energy._rbm_kernels_ref` reproduces them draw for draw in numpy.

Every kernel has a plain-numpy reference there that the tests compare it with.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from ._kernels import GOLDEN, _M1, _M2, _S27, _S30, _S31

_S11 = np.uint64(11)
_INV53 = 1.0 / 9007199254740992.0      # 2**-53


@njit(cache=True, inline="always")
def _uniform53(seed, k):
    """Uniform float64 in [0, 1) for element ``k``: the top 53 bits of splitmix64(seed + k·G)."""
    z = seed + k * GOLDEN
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    z = z ^ (z >> _S31)
    return np.float64(z >> _S11) * _INV53


@njit(cache=True, inline="always")
def _sigmoid(x):
    """1 / (1 + exp(-x)) without overflow (one exp of a non-positive number)."""
    e = np.exp(-abs(x))
    return 1.0 / (1.0 + e) if x >= 0 else e / (1.0 + e)


@njit(cache=True, parallel=True)
def sample_layer(pre, bias, seed, prob, samp, prob_sign):
    """Probabilities and Bernoulli draws of one layer for a batch of chains.

    Parameters
    ----------
    pre : float array (n_chains, n)
        The layer's input from the other layer (``v @ W`` or ``h @ W.T``), without bias.
    bias : float array (n,)
    seed : int
        64-bit seed of this call's draws.
    prob : float array (n_chains, n) or (0, 0)
        Receives ``prob_sign * p`` (skipped when empty).
    samp : float array (n_chains, n) or (0, 0)
        Receives the draws as 0.0 / 1.0 (skipped when empty).
    prob_sign : float
        +1 or -1 (the negative phase stores -p so one matrix product gives both terms of
        the gradient).
    """
    R, n = pre.shape
    useed = np.uint64(seed)
    want_p = prob.shape[0] > 0
    want_s = samp.shape[0] > 0
    for r in prange(R):
        base = np.uint64(r) * np.uint64(n)
        for j in range(n):
            p = _sigmoid(pre[r, j] + bias[j])
            if want_p:
                prob[r, j] = prob_sign * p
            if want_s:
                samp[r, j] = 1.0 if _uniform53(useed, base + np.uint64(j)) < p else 0.0


@njit(cache=True, parallel=True)
def sample_visible_with_error(pre, bias, seed, data, samp, ce_rows):
    """:func:`sample_layer` for the visible layer that also scores the reconstruction.

    ``ce_rows[r]`` receives the cross-entropy of ``data[r]`` under p(v | h) (nats):
    ``sum_j softplus(x) - data * x`` with ``x = pre + bias``, computed stably.
    """
    R, n = pre.shape
    useed = np.uint64(seed)
    for r in prange(R):
        base = np.uint64(r) * np.uint64(n)
        ce = 0.0
        for j in range(n):
            x = pre[r, j] + bias[j]
            e = np.exp(-abs(x))
            p = 1.0 / (1.0 + e) if x >= 0 else e / (1.0 + e)
            ce += max(x, 0.0) + np.log1p(e) - data[r, j] * x
            samp[r, j] = 1.0 if _uniform53(useed, base + np.uint64(j)) < p else 0.0
        ce_rows[r] = ce


@njit(cache=True, parallel=True)
def reconstruction_error(pre, bias, data):
    """Per-row cross-entropy of ``data`` under sigmoid(pre + bias), in nats: (n_rows,)."""
    R, n = pre.shape
    out = np.empty(R)
    for r in prange(R):
        ce = 0.0
        for j in range(n):
            x = pre[r, j] + bias[j]
            ce += max(x, 0.0) + np.log1p(np.exp(-abs(x))) - data[r, j] * x
        out[r] = ce
    return out
