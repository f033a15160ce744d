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
import scipy.linalg.cython_blas  # noqa: F401  (load the BLAS numba calls, so thread limits reach it)
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


@njit(cache=True, parallel=True)
def cd_batch(vd, C, a, b, seeds, k, persistent, chains, n_blocks, V2, H2T, gW, ce,
             PH, PP, PV, HS):
    """One CD-k / PCD-k update's Gibbs chains and its weight gradient, in parallel over blocks.

    The batch's chains are cut into ``n_blocks`` blocks of rows; each thread runs its block's
    whole chain — the matrix products with W (BLAS, which the caller keeps at one thread so
    the numba threads are the only ones) and the fused sigmoid + Bernoulli passes — so the
    cores never switch between a BLAS pool and numba's. The gradient product is then split
    over blocks of hidden units.

    Parameters
    ----------
    vd : (B, V) data batch; C : (H, V) = Wᵀ; a : (H,) hidden bias; b : (V,) visible bias.
    seeds : uint64 (2k + 1,)
        seeds[0]: hidden draws from the data; seeds[1 + 2s], seeds[2 + 2s]: the visible and
        hidden draws of Gibbs step s. Element (row r, unit j) of a layer uses counter
        r * n + j, as in :func:`sample_layer`.
    persistent : bool
        PCD: the chains start from ``chains`` (B, H) hidden states and leave their last hidden
        draw there; the reconstruction error is then that of p(v | p(h | v_data)) (one extra
        product). CD: the chains start from h ~ p(h | v_data) and the error is that of the
        first Gibbs step's p(v | h).
    V2 : (2B, V) out
        [v_data; v_k].
    H2T : (H, 2B) out
        [−p(h | v_data) / B, +p(h | v_k) / B] column-wise, so ``gW = H2T @ V2`` is the
        gradient of mean F(v_data) − mean F(v_k) with respect to Wᵀ, and ``H2T.sum(1)`` the
        hidden bias's.
    gW : (H, V) out.  ce : (B,) out, reconstruction cross-entropy per row (nats).
    PH, PP : (n_blocks, B, H), PV : (n_blocks, B, V), HS : (n_blocks, B, H) scratch.
    """
    Bn, Vn = vd.shape
    Hn = C.shape[0]
    inv = 1.0 / Bn
    Ct = C.T
    for blk in prange(n_blocks):
        r0 = blk * Bn // n_blocks
        r1 = (blk + 1) * Bn // n_blocks
        nb = r1 - r0
        if nb == 0:
            continue
        ph = PH[blk, :nb]
        pp = PP[blk, :nb]
        pv = PV[blk, :nb]
        hs = HS[blk, :nb]
        np.dot(vd[r0:r1], Ct, ph)
        s0 = seeds[0]
        for r in range(nb):
            base = np.uint64((r0 + r) * Hn)
            for j in range(Hn):
                p = _sigmoid(ph[r, j] + a[j])
                pp[r, j] = p
                H2T[j, r0 + r] = -p * inv
                if not persistent:
                    hs[r, j] = 1.0 if _uniform53(s0, base + np.uint64(j)) < p else 0.0
        for r in range(nb):
            V2[r0 + r] = vd[r0 + r]
            ce[r0 + r] = 0.0
        if persistent:
            for r in range(nb):
                hs[r] = chains[r0 + r]
            np.dot(pp, C, pv)
            for r in range(nb):
                e_r = 0.0
                for j in range(Vn):
                    x = pv[r, j] + b[j]
                    e_r += max(x, 0.0) + np.log1p(np.exp(-abs(x))) - vd[r0 + r, j] * x
                ce[r0 + r] = e_r
        for s in range(k):
            np.dot(hs, C, pv)
            sv = seeds[1 + 2 * s]
            score = s == 0 and not persistent
            for r in range(nb):
                base = np.uint64((r0 + r) * Vn)
                e_r = 0.0
                for j in range(Vn):
                    x = pv[r, j] + b[j]
                    e = np.exp(-abs(x))
                    p = 1.0 / (1.0 + e) if x >= 0 else e / (1.0 + e)
                    if score:
                        e_r += max(x, 0.0) + np.log1p(e) - vd[r0 + r, j] * x
                    V2[Bn + r0 + r, j] = 1.0 if _uniform53(sv, base + np.uint64(j)) < p else 0.0
                if score:
                    ce[r0 + r] = e_r
            np.dot(V2[Bn + r0:Bn + r1], Ct, ph)
            sh = seeds[2 + 2 * s]
            last = s == k - 1
            for r in range(nb):
                base = np.uint64((r0 + r) * Hn)
                for j in range(Hn):
                    p = _sigmoid(ph[r, j] + a[j])
                    if last:
                        H2T[j, Bn + r0 + r] = p * inv
                        if persistent:
                            chains[r0 + r, j] = 1.0 if _uniform53(sh, base + np.uint64(j)) < p else 0.0
                    else:
                        hs[r, j] = 1.0 if _uniform53(sh, base + np.uint64(j)) < p else 0.0
    for blk in prange(n_blocks):
        j0 = blk * Hn // n_blocks
        j1 = (blk + 1) * Hn // n_blocks
        if j1 > j0:
            np.dot(H2T[j0:j1], V2, gW[j0:j1])
