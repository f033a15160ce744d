"""numba kernels of the Bernoulli RBM's Gibbs chains (private).

A Gibbs half-step of a batch of chains is one matrix product with W and one fused pass that
turns the pre-activations into probabilities and Bernoulli draws:

    p[r, j] = sigmoid(pre[r, j] + bias[j]),   s[r, j] = 1 if u(seed, r * n + j) < p[r, j] else 0

:func:`cd_batch` runs a whole CD-k / PCD-k update this way, blocks of chains in parallel,
each block doing its own products (numba's BLAS at one thread) and passes; :func:`sample_layer`
is the pass alone, for a product made by the caller (sampling, AIS, the sampler's chains).

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
from ._vecmath import _exp_neg64

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


# ----------------------------------------------------------------------------- row passes
# exp(-|x|) comes from energy._vecmath (branch-free, vectorised by LLVM; clipped at |x| = 40,
# where sigmoid is 1 or below 4e-18); log1p by the atanh series below. numba's np.exp /
# np.log1p are scalar libm calls, about 10 ns each, as costly as the matrix products.
# contraction into FMAs and reassociation (vectorised sums); NaN/inf semantics are kept
_FM = {"contract", "reassoc", "nsz", "arcp"}


@njit(cache=True, inline="always")
def _log1p_unit(e):
    """log(1 + e) for e in [0, 1]: 2 atanh(s), s = e / (2 + e) <= 1/3, odd series to s^35."""
    s = e / (2.0 + e)
    z = s * s
    q = 1.0 / 35.0
    q = q * z + 1.0 / 33.0
    q = q * z + 1.0 / 31.0
    q = q * z + 1.0 / 29.0
    q = q * z + 1.0 / 27.0
    q = q * z + 1.0 / 25.0
    q = q * z + 1.0 / 23.0
    q = q * z + 1.0 / 21.0
    q = q * z + 1.0 / 19.0
    q = q * z + 1.0 / 17.0
    q = q * z + 1.0 / 15.0
    q = q * z + 1.0 / 13.0
    q = q * z + 1.0 / 11.0
    q = q * z + 1.0 / 9.0
    q = q * z + 1.0 / 7.0
    q = q * z + 1.0 / 5.0
    q = q * z + 1.0 / 3.0
    q = q * z + 1.0
    return 2.0 * s * q


@njit(cache=True, inline="always")
def _sigmoid_row(pre, bias, x, e, p):
    """x = pre + bias, e = exp(-|x|), p = sigmoid(x) for one row (float64 scratch rows)."""
    n = pre.size
    for j in range(n):
        xj = np.float64(pre[j]) + np.float64(bias[j])
        x[j] = xj
        ej = _exp_neg64(abs(xj))
        e[j] = ej
        d = 1.0 / (1.0 + ej)
        p[j] = d if xj >= 0 else ej * d


@njit(cache=True, inline="always")
def _draw_row(p, seed, base, out):
    """out[j] = 1 if uniform(seed, base + j) < p[j] else 0 (vectorised counter-based draws)."""
    for j in range(p.size):
        out[j] = 1.0 if _uniform53(seed, base + np.uint64(j)) < p[j] else 0.0


@njit(cache=True, inline="always")
def _cross_entropy_row(x, e, v):
    """sum_j softplus(x_j) - v_j x_j, with e = exp(-|x|) already made."""
    c = 0.0
    for j in range(x.size):
        c += max(x[j], 0.0) + _log1p_unit(e[j]) - v[j] * x[j]
    return c


@njit(cache=True)
def _row_scratch(n):
    """Scratch rows x, e, p (float64), each of length n."""
    return np.empty(n), np.empty(n), np.empty(n)


@njit(cache=True)
def _n_chunks(R):
    return min(R, 64)


@njit(cache=True, parallel=True, fastmath=_FM)
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
        +1 or -1.
    """
    R, n = pre.shape
    useed = np.uint64(seed)
    want_p = prob.shape[0] > 0
    want_s = samp.shape[0] > 0
    nc = _n_chunks(R)
    for c in prange(nc):
        x, e, p = _row_scratch(n)
        d = np.empty(n)
        for r in range(c * R // nc, (c + 1) * R // nc):
            _sigmoid_row(pre[r], bias, x, e, p)
            if want_p:
                for j in range(n):
                    prob[r, j] = prob_sign * p[j]
            if want_s:
                _draw_row(p, useed, np.uint64(r) * np.uint64(n), d)
                for j in range(n):
                    samp[r, j] = d[j]


@njit(cache=True, parallel=True, fastmath=_FM)
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
        xh, eh, qh = _row_scratch(Hn)
        xv, ev, qv = _row_scratch(Vn)
        np.dot(vd[r0:r1], Ct, ph)
        for r in range(nb):
            _sigmoid_row(ph[r], a, xh, eh, pp[r])
            for j in range(Hn):
                H2T[j, r0 + r] = -pp[r, j] * inv
            if not persistent:
                _draw_row(pp[r], seeds[0], np.uint64((r0 + r) * Hn), hs[r])
            V2[r0 + r] = vd[r0 + r]
        if persistent:
            for r in range(nb):
                hs[r] = chains[r0 + r]
            np.dot(pp, C, pv)
            for r in range(nb):
                _sigmoid_row(pv[r], b, xv, ev, qv)
                ce[r0 + r] = _cross_entropy_row(xv, ev, vd[r0 + r])
        for s in range(k):
            np.dot(hs, C, pv)
            for r in range(nb):
                _sigmoid_row(pv[r], b, xv, ev, qv)
                if s == 0 and not persistent:
                    ce[r0 + r] = _cross_entropy_row(xv, ev, vd[r0 + r])
                _draw_row(qv, seeds[1 + 2 * s], np.uint64((r0 + r) * Vn), V2[Bn + r0 + r])
            np.dot(V2[Bn + r0:Bn + r1], Ct, ph)
            last = s == k - 1
            for r in range(nb):
                _sigmoid_row(ph[r], a, xh, eh, qh)
                if last:
                    for j in range(Hn):
                        H2T[j, Bn + r0 + r] = qh[j] * inv
                    if persistent:
                        _draw_row(qh, seeds[2 + 2 * s], np.uint64((r0 + r) * Hn), chains[r0 + r])
                else:
                    _draw_row(qh, seeds[2 + 2 * s], np.uint64((r0 + r) * Hn), hs[r])
    for blk in prange(n_blocks):
        j0 = blk * Hn // n_blocks
        j1 = (blk + 1) * Hn // n_blocks
        if j1 > j0:
            np.dot(H2T[j0:j1], V2, gW[j0:j1])
