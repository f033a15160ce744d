"""numba kernels of the Bernoulli RBM's Gibbs chains (private).

A Gibbs half-step of a batch of chains is one matrix product with W and one fused pass that
turns the pre-activations into probabilities and Bernoulli draws:

    p[r, j] = sigmoid(pre[r, j] + bias[j]),   s[r, j] = 1 if u(seed, r * n + j) < p[r, j] else 0

(the draw tested as u (1 + e) < 1 for x = pre + bias ≥ 0, u (1 + e) < e below, e = exp(−|x|):
the same event without a division, so passes that only draw never divide)

:func:`cd_batch` runs a whole CD-k / PCD-k update this way, each half-step split over blocks
of units in parallel (every thread multiplies by its own rows or columns of W, BLAS at one
thread, and makes its units' passes), and ends with the weight update itself, applied block
by block of gradient rows while they are in cache; :func:`sample_layer` is the pass alone,
for a product made by the caller (sampling, AIS, the sampler's chains).

Random numbers are counter based, as in the Ising kernels: the uniform of element (r, j) is
the top 53 bits of ``splitmix64(seed + (r * n + j) * GOLDEN)``, so a draw depends only on
(seed, element), never on the thread that makes it; runs reproduce exactly for any number of
threads, and :mod:`energy.models._rbm_kernels_ref` reproduces them draw for draw in numpy.

Every kernel has a plain-numpy reference there that the tests compare it with.
"""

from __future__ import annotations

import numpy as np
from numba import get_num_threads, njit, prange  # noqa: F401  (get_num_threads: K.get_num_threads)

from pgm.runtime.blas import mm
from energy.optim._kernels import sgd_run
from pgm.runtime.counter_rng import uniform53
from pgm.runtime.numerics import FASTMATH as _FM, exp_neg64

# ----------------------------------------------------------------------------- row passes
# exp(-|x|) comes from pgm.runtime.numerics (branch-free, vectorised by LLVM; clipped at |x| = 40,
# where sigmoid is 1 or below 4e-18); log1p by the atanh series below. numba's np.exp /
# np.log1p are scalar libm calls, about 10 ns each, as costly as the matrix products.


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
        ej = exp_neg64(abs(xj))
        e[j] = ej
        d = 1.0 / (1.0 + ej)
        p[j] = d if xj >= 0 else ej * d


@njit(cache=True, inline="always")
def _draw_xe_row(x, e, seed, base, out):
    """out[j] = 1 if u < sigmoid(x[j]) else 0, u = uniform(seed, base + j), given
    e = exp(-|x|): tested as u (1 + e) < (1 if x >= 0 else e), without the division."""
    for j in range(x.size):
        t = 1.0 if x[j] >= 0 else e[j]
        out[j] = 1.0 if uniform53(seed, base + np.uint64(j)) * (1.0 + e[j]) < t else 0.0


@njit(cache=True, inline="always")
def _draw_pre_row(pre, bias, seed, base, out, x, e):
    """The draws of :func:`_draw_xe_row` straight from pre-activations (x = pre + bias and
    e = exp(-|x|) left in the scratch rows), for passes that need no probabilities. Two
    loops: each vectorises better alone than the fused one (2.4 vs 2.7 ns per unit)."""
    for j in range(pre.size):
        xj = np.float64(pre[j]) + np.float64(bias[j])
        x[j] = xj
        e[j] = exp_neg64(abs(xj))
    _draw_xe_row(x, e, seed, base, out)


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
            base = np.uint64(r) * np.uint64(n)
            if want_p:
                _sigmoid_row(pre[r], bias, x, e, p)
                for j in range(n):
                    prob[r, j] = prob_sign * p[j]
                if want_s:
                    _draw_xe_row(x, e, useed, base, d)
            elif want_s:
                _draw_pre_row(pre[r], bias, useed, base, d, x, e)
            if want_s:
                for j in range(n):
                    samp[r, j] = d[j]


@njit(cache=True, parallel=True, fastmath=_FM)
def cd_batch(V2, C, a, b, seeds, k, persistent, chains, n_blocks, H2T, gW, ga, gb, cep, PH,
             PV, HS, vbar, sparse, target, cost, update, vel, lr, mu, wd, sign, nesterov):
    """One CD-k / PCD-k update's Gibbs chains and its weight gradient (or weight update).

    Each half-step is one parallel pass over blocks of units: thread ``t`` makes the
    pre-activations of its block of units for every chain (a product with its rows or
    columns of W only, :func:`pgm.runtime.blas.mm` with BLAS at one thread inside the numba
    threads, which the caller arranges with threadpoolctl), then their probabilities and
    Bernoulli draws. The threads thus share the reading of W as a parallel BLAS would, and
    the draws, counter based on (row, unit), do not depend on the thread count.

    Parameters
    ----------
    V2 : (2B, V)
        In: the data batch in rows [0, B). Out: [v_data; v_k].
    C : (H, V) = Wᵀ; a : (H,) hidden bias; b : (V,) visible bias.
    seeds : uint64 (2k + 1,)
        seeds[0]: hidden draws from the data; seeds[1 + 2s], seeds[2 + 2s]: the visible and
        hidden draws of Gibbs step s. Element (row r, unit j) of a layer with n units uses
        counter r * n + j, as in :func:`sample_layer`.
    persistent : bool
        PCD: the chains start from ``chains`` (B, H) hidden states and leave their last hidden
        draw there; the reconstruction error is then that of p(v | p(h | v_data)) (one extra
        product). CD: the chains start from h ~ p(h | v_data) and the error is that of the
        first Gibbs step's p(v | h).
    n_blocks : int
        Blocks of units (one per thread).
    H2T : (H, 2B) out
        [−p(h | v_data) / B, +p(h | v_k) / B] column-wise, so ``H2T @ V2`` is the gradient
        of mean F(v_data) − mean F(v_k) with respect to Wᵀ, and ``H2T.sum(1)`` the hidden
        bias's.
    gW : (1, H, V) out, that gradient (``update`` False); or (n_blocks, m, V) scratch for
        blocks of m rows of it (``update`` True).
    ga : (H,) out, ``H2T.sum(1)``: the gradient with respect to the hidden bias.
    gb : (V,) out, mean v_k − mean v_data: the gradient with respect to the visible bias.
    cep : (n_blocks, B) out
        Reconstruction cross-entropy per row (nats), one partial sum per block of visible
        units: ``cep.sum(0)`` is the per-row error.
    PH : (B, H), PV : (B, V), HS : (B, H), vbar : (V,) scratch.
    sparse, target, cost : bool, float, float
        With ``sparse``, the sparsity penalty's gradient d_j = cost · (mean_r p(h_j | v_r)
        − target) is added to ``ga`` and d ⊗ mean(v_data) to the weight gradient (Lee et
        al. 2008's form, as :class:`energy.models.rbm.BernoulliRBM` documents it).
    update : bool
        Apply the optimiser's update to C in place, block by block of gradient rows as they
        are made (:func:`energy.optim._kernels.sgd_run`, with ``vel`` (H, V) the momentum
        buffer — (H, 0) without momentum — and the scalars ``lr, mu, wd, sign, nesterov`` of
        :meth:`energy.optim.SGD.fused_args`), instead of writing the gradient to ``gW``.
    """
    B2, Vn = V2.shape
    Bn = B2 // 2
    Hn = C.shape[0]
    inv = 1.0 / Bn
    vd = V2[:Bn]
    vk = V2[Bn:]
    cep[...] = 0.0          # blocks without visible units (n_blocks > V) add nothing
    # hidden units from the data
    for blk in prange(n_blocks):
        j0 = blk * Hn // n_blocks
        j1 = (blk + 1) * Hn // n_blocks
        if j1 > j0:
            x, e, q = _row_scratch(j1 - j0)
            mm(False, True, Bn, j1 - j0, Vn, vd, Vn, C[j0:], Vn, PH[:, j0:], Hn, 0.0)
            for r in range(Bn):
                _sigmoid_row(PH[r, j0:j1], a[j0:j1], x, e, q)
                for j in range(j1 - j0):
                    H2T[j0 + j, r] = -q[j] * inv
                if persistent:
                    PH[r, j0:j1] = q
                    HS[r, j0:j1] = chains[r, j0:j1]
                else:
                    _draw_xe_row(x, e, seeds[0], np.uint64(r * Hn + j0), HS[r, j0:j1])
    if persistent:          # reconstruction error of p(v | p(h | v_data))
        for blk in prange(n_blocks):
            i0 = blk * Vn // n_blocks
            i1 = (blk + 1) * Vn // n_blocks
            if i1 > i0:
                x, e, q = _row_scratch(i1 - i0)
                mm(False, False, Bn, i1 - i0, Hn, PH, Hn, C[:, i0:], Vn, PV[:, i0:], Vn, 0.0)
                for r in range(Bn):
                    _sigmoid_row(PV[r, i0:i1], b[i0:i1], x, e, q)
                    cep[blk, r] = _cross_entropy_row(x, e, vd[r, i0:i1])
    for s in range(k):
        for blk in prange(n_blocks):
            i0 = blk * Vn // n_blocks
            i1 = (blk + 1) * Vn // n_blocks
            if i1 > i0:
                x, e, q = _row_scratch(i1 - i0)
                mm(False, False, Bn, i1 - i0, Hn, HS, Hn, C[:, i0:], Vn, PV[:, i0:], Vn, 0.0)
                for r in range(Bn):
                    _draw_pre_row(PV[r, i0:i1], b[i0:i1], seeds[1 + 2 * s],
                                  np.uint64(r * Vn + i0), vk[r, i0:i1], x, e)
                    if s == 0 and not persistent:
                        cep[blk, r] = _cross_entropy_row(x, e, vd[r, i0:i1])
                if s == k - 1:          # the visible bias's gradient, for these units
                    for i in range(i1 - i0):
                        q[i] = 0.0
                        x[i] = 0.0
                    for r in range(Bn):
                        for i in range(i1 - i0):
                            q[i] += vk[r, i0 + i]
                            x[i] += vd[r, i0 + i]
                    for i in range(i1 - i0):
                        gb[i0 + i] = (q[i] - x[i]) * inv
                        vbar[i0 + i] = x[i] * inv
        last = s == k - 1
        for blk in prange(n_blocks):
            j0 = blk * Hn // n_blocks
            j1 = (blk + 1) * Hn // n_blocks
            if j1 > j0:
                x, e, q = _row_scratch(j1 - j0)
                mm(False, True, Bn, j1 - j0, Vn, vk, Vn, C[j0:], Vn, PH[:, j0:], Hn, 0.0)
                for r in range(Bn):
                    if last:
                        _sigmoid_row(PH[r, j0:j1], a[j0:j1], x, e, q)
                        for j in range(j1 - j0):
                            H2T[j0 + j, Bn + r] = q[j] * inv
                        if persistent:
                            _draw_xe_row(x, e, seeds[2 + 2 * s], np.uint64(r * Hn + j0),
                                         chains[r, j0:j1])
                    else:
                        _draw_pre_row(PH[r, j0:j1], a[j0:j1], seeds[2 + 2 * s],
                                      np.uint64(r * Hn + j0), HS[r, j0:j1], x, e)
    for blk in prange(n_blocks):
        j0 = blk * Hn // n_blocks
        j1 = (blk + 1) * Hn // n_blocks
        d = np.zeros(max(j1 - j0, 0), ga.dtype)
        for j in range(j0, j1):
            acc = 0.0
            for r in range(B2):
                acc += H2T[j, r]
            if sparse:
                acc_d = 0.0
                for r in range(Bn):
                    acc_d += H2T[j, r]
                d[j - j0] = cost * (-acc_d - target)
                acc += d[j - j0]
            ga[j] = acc
        if j1 > j0 and not update:
            g = gW[0]
            mm(False, False, j1 - j0, Vn, B2, H2T[j0:], B2, V2, Vn, g[j0:], Vn, 0.0)
            if sparse:
                for j in range(j0, j1):
                    for i in range(Vn):
                        g[j, i] += d[j - j0] * vbar[i]
        elif j1 > j0:
            g = gW[blk]
            step = g.shape[0]
            for jj in range(j0, j1, step):
                je = min(jj + step, j1)
                mm(False, False, je - jj, Vn, B2, H2T[jj:], B2, V2, Vn, g, Vn, 0.0)
                for j in range(je - jj):
                    if sparse:
                        for i in range(Vn):
                            g[j, i] += d[jj + j - j0] * vbar[i]
                    sgd_run(C[jj + j], g[j], vel[jj + j], lr, mu, wd, sign, nesterov)


@njit(cache=True, parallel=True)
def _gather_rows(X, idx, out, n_blocks):
    """out[r] = X[idx[r]], blocks of rows in parallel."""
    n = idx.size
    for blk in prange(n_blocks):
        for r in range(blk * n // n_blocks, (blk + 1) * n // n_blocks):
            out[r] = X[idx[r]]


@njit(cache=True)
def cd_epoch(X, order, seeds, C, a, b, k, persistent, chains, n_blocks, V2, H2T, G, ga, gb,
             cep, PH, PV, HS, vbar, sparse, target, cost, vel, vel_a, vel_b, lr, mu, wd, wd_a,
             wd_b, sign, nesterov):
    """A whole epoch of CD-k / PCD-k updates: for each batch m, gather rows
    ``order[m B : (m + 1) B]`` of X, run :func:`cd_batch` with ``seeds[m]`` (applying W's
    update), then update the biases with the same arithmetic (``vel_a``, ``vel_b``: their
    momentum buffers; ``wd_a``, ``wd_b``: their decay). Returns the summed reconstruction
    cross-entropy. No Python between batches: the per-batch work of the interpreter (gather,
    dispatch, the bias updates) would be a tenth of a two-thread CD-1 batch."""
    Bn = V2.shape[0] // 2
    total = 0.0
    for m in range(seeds.shape[0]):
        _gather_rows(X, order[m * Bn:(m + 1) * Bn], V2[:Bn], n_blocks)
        cd_batch(V2, C, a, b, seeds[m], k, persistent, chains, n_blocks, H2T, G, ga, gb, cep,
                 PH, PV, HS, vbar, sparse, target, cost, True, vel, lr, mu, wd, sign, nesterov)
        total += cep.sum()
        sgd_run(a, ga, vel_a, lr, mu, wd_a, sign, nesterov)
        sgd_run(b, gb, vel_b, lr, mu, wd_b, sign, nesterov)
    return total


@njit(cache=True, parallel=True)
def first_invalid(X, binary):
    """Flat index of the first entry of the 2-D array ``X`` that is not 0 or 1 (``binary``)
    or not in [0, 1] (NaN and inf never pass), or -1 if all pass: one parallel read of X in
    place of numpy's isfinite / compare / any passes and their temporaries."""
    n, m = X.shape
    nc = min(n, 64)
    firsts = np.full(nc, -1, np.int64)
    for c in prange(nc):
        for r in range(c * n // nc, (c + 1) * n // nc):
            bad = False
            for j in range(m):
                x = X[r, j]
                ok = (x == 0) | (x == 1) if binary else (x >= 0) & (x <= 1)
                bad |= not ok
            if bad:
                for j in range(m):
                    x = X[r, j]
                    if not ((x == 0) | (x == 1) if binary else (x >= 0) & (x <= 1)):
                        firsts[c] = r * m + j
                        break
                break
    for c in range(nc):
        if firsts[c] >= 0:
            return firsts[c]
    return -1
