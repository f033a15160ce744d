"""Plain-numpy references for :mod:`energy.models._rbm_kernels` (private).

Same formulas and the same counter-based draws, written with whole-array numpy operations;
the tests compare each kernel with its reference draw for draw.
"""

from __future__ import annotations

import numpy as np

from pgm.runtime.counter_ref import uniform53_ref as uniform53

from energy.models._ising_kernels_ref import stable_sigmoid


def bernoulli_ref(x, seed):
    """Draws with probability sigmoid(x) as the kernels make them: u (1 + e) < 1 if x >= 0,
    u (1 + e) < e otherwise, with e = exp(-|x|) and u = uniform53(seed, element)."""
    e = np.exp(-np.abs(x))
    return uniform53(seed, x.shape) * (1.0 + e) < np.where(x >= 0, 1.0, e)


def sample_layer_ref(pre, bias, seed):
    """(p, s): sigmoid(pre + bias) and the Bernoulli draws, as the kernel makes them."""
    p = stable_sigmoid(pre + bias)
    s = bernoulli_ref(pre + bias, seed).astype(pre.dtype)
    return p.astype(pre.dtype), s


def draw_layer_ref(pre, bias, seed, out):
    """:func:`energy.models._rbm_kernels.sample_layer` writing only the draws (into ``out``),
    the path of small problems."""
    out[...] = bernoulli_ref(pre + bias, seed)


def cd_batch_ref(vd, C, a, b, seeds, k, persistent, chains):
    """numpy version of :func:`energy.models._rbm_kernels.cd_batch`: returns (V2, H2T, gW, ce) and
    updates ``chains`` in place (PCD)."""
    B, V = vd.shape
    H = C.shape[0]
    xd = vd @ C.T + a
    pd = stable_sigmoid(xd)
    if persistent:
        hs = chains.copy()
        x = pd @ C + b
        ce = (np.logaddexp(0.0, x) - vd * x).sum(axis=1)
    else:
        hs = bernoulli_ref(xd, seeds[0]).astype(vd.dtype)
    for s in range(k):
        x = hs @ C + b
        if s == 0 and not persistent:
            ce = (np.logaddexp(0.0, x) - vd * x).sum(axis=1)
        vk = bernoulli_ref(x, seeds[1 + 2 * s]).astype(vd.dtype)
        xk = vk @ C.T + a
        pk = stable_sigmoid(xk)
        draws = bernoulli_ref(xk, seeds[2 + 2 * s]).astype(vd.dtype)
        if s < k - 1:
            hs = draws
        elif persistent:
            chains[...] = draws
    V2 = np.concatenate([vd, vk])
    H2T = np.concatenate([-pd, pk]).T / B
    return V2, H2T, H2T @ V2, ce


def first_invalid_ref(X, binary):
    """numpy version of :func:`energy.models._rbm_kernels.first_invalid`."""
    ok = ((X == 0) | (X == 1)) if binary else ((X >= 0) & (X <= 1))
    bad = np.flatnonzero(~ok.reshape(-1))
    return int(bad[0]) if bad.size else -1
