"""numba kernels of the Ising model on a grid (private).

Layout shared by every kernel:

* ``xp`` : int8 array of shape (H + 2, W + 2), the spins ±1 with a border of zeros, so a
  site's neighbour sum needs no boundary test (free boundary conditions).
* ``y``  : int8 array of shape (H, W), the observed spins ±1.
* The local field of site i is ``a_i = beta * n_i - (h - eta * y_i)`` where ``n_i`` is the sum
  of its neighbours (an integer in [-K, K], K = 4 or 8). Because ``n_i`` and ``y_i`` take so
  few values, every decision is precomputed in Python (:func:`icm_thresholds`,
  :func:`gibbs_thresholds`) and the kernels only add small integers and compare.
* Colours: site (i, j) of the unpadded grid has colour ``(i + j) % 2`` for the 4-neighbour
  grid and ``2 * (i % 2) + (j % 2)`` for the 8-neighbour grid. Sites of one colour are never
  neighbours, so each colour is updated in parallel (``prange`` over rows).

Random numbers: each call gets a 64-bit ``seed`` from the caller's numpy Generator; site
(r, c) of the padded array uses the top 31 bits of ``splitmix64(seed + (r * (W + 2) + c) * GOLDEN)``,
a counter-based generator: a draw depends only on (seed, site), never on the thread that makes
it, so runs reproduce exactly for any number of threads, and a whole row of draws is one
vectorised loop. The draw ``u`` is compared with ``thr = round(P(x_i = +1 | rest) * 2**31)``
from a lookup table: +1 when ``u < thr``.

Speed (see benchmarks/bench_ising.py): the 4-neighbour kernels evaluate a whole row
branch-free (both colours) into a small row buffer and keep the other colour's old values, so
every inner loop is contiguous and vectorises; that beats a stride-2 loop by 3-4x.

Every kernel has a plain-numpy reference in :mod:`energy.models._ising_kernels_ref` that the tests
compare it with.
"""

from __future__ import annotations

import numpy as np
from numba import get_num_threads, njit, prange  # noqa: F401  (get_num_threads: K.get_num_threads)

from pgm.runtime import PARALLEL_MIN_WORK, threads_for  # noqa: F401  (used as K.threads_for)
from pgm.runtime.counter_rng import draw31
from energy.models._ising_kernels_ref import (gibbs_thresholds, icm_row_constants,  # noqa: F401
                                              icm_thresholds, probability_threshold,
                                              stable_sigmoid)



@njit(cache=True, inline="always")
def _nsum(xp, r, c, K):
    """Sum of the K neighbours of padded site (r, c), as int32."""
    n = (np.int32(xp[r - 1, c]) + np.int32(xp[r + 1, c])
         + np.int32(xp[r, c - 1]) + np.int32(xp[r, c + 1]))
    if K == 8:
        n += (np.int32(xp[r - 1, c - 1]) + np.int32(xp[r - 1, c + 1])
              + np.int32(xp[r + 1, c - 1]) + np.int32(xp[r + 1, c + 1]))
    return n


@njit(cache=True, inline="always")
def _icm_decide(n, yv, sign, lo, hi, old):
    s = n * sign
    k = 1 if yv > 0 else 0
    return np.int8(1) if s >= hi[k] else (np.int8(-1) if s <= lo[k] else old)


@njit(cache=True)
def _parity_masks(W):
    """masks[p, j] = (j % 2 == p): a row's columns of one colour, as bytes the loops can vectorise."""
    m = np.zeros((2, W), np.bool_)
    for j in range(W):
        m[j & 1, j] = True
    return m


_ONES = np.uint64(0x0101010101010101)
_S1 = np.uint64(1)
_S56 = np.uint64(56)


@njit(cache=True)
def _row_buffer(W):
    """A scratch row of W int8 backed by uint64 words, and the words: ``(b, b64)``."""
    b64 = np.empty((W + 7) // 8, np.uint64)
    return b64.view(np.int8)[:W], b64


@njit(cache=True, inline="always")
def _commit_row(b, b64, cur):
    """Copy the new row ``b`` (backed by the words ``b64``) into ``cur``; return #changes.

    Spins are ±1 (bytes 0x01 / 0xFF), so a changed byte of ``b ^ cur`` is 0xFE and an unchanged
    one 0x00: the count is the byte sum of ``((b ^ cur) >> 1) & 0x0101...``, eight sites per
    64-bit word (a horizontal byte sum by one multiply), after a cheap OR over the words tells
    whether anything changed at all. Widening a per-byte compare to int32 lanes costs as much
    as the update itself.
    """
    W = b.size
    n8 = W // 8
    c64 = cur[:n8 * 8].view(np.uint64)
    dif = np.uint64(0)
    for k in range(n8):
        dif |= b64[k] ^ c64[k]
    c = 0
    for j in range(n8 * 8, W):
        c += np.int64(b[j] != cur[j])
    if dif != 0:
        cnt = np.uint64(0)
        for k in range(n8):
            x = ((b64[k] ^ c64[k]) >> _S1) & _ONES
            cnt += (x * _ONES) >> _S56
        c += np.int64(cnt)
    if c != 0:
        cur[:] = b
    return c


# ----------------------------------------------------------------------------- ICM
@njit(cache=True, inline="always")
def _icm_row4(xp, y, i, colour, masks, s2, A, d, B, e, b, b64):
    """Zero-temperature update of the sites of ``colour`` in row ``i`` (4-grid), via buffer ``b``.

    Every site of the row is evaluated branch-free into ``b``, sites of the other colour keep
    their value, and the buffer is copied back, so the loop is contiguous, free of
    loop-carried dependences, and vectorises on int8 lanes. Returns the number of changes.
    """
    W = y.shape[1]
    r = i + 1
    up = xp[r - 1, 1:W + 1]
    dn = xp[r + 1, 1:W + 1]
    lf = xp[r, 0:W]
    rt = xp[r, 2:W + 2]
    cur = xp[r, 1:W + 1]
    yr = y[i]
    mine = masks[(i + colour) & 1]    # this colour's columns
    for j in range(W):
        t = np.int8(np.int8(up[j] + dn[j] + lf[j] + rt[j]) * s2)
        yy = yr[j]
        old = cur[j]
        new = np.int8(1) if np.int8(t - d * yy) >= A else (
            np.int8(-1) if np.int8(t - e * yy) <= B else old)
        b[j] = new if mine[j] else old
    return _commit_row(b, b64, cur)


@njit(cache=True, parallel=True)
def icm_checkerboard4(xp, y, colour, s2, A, d, B, e):
    """Zero-temperature update of every site of ``colour`` (0 or 1) on the 4-neighbour grid.

    ``s2, A, d, B, e`` come from :func:`icm_row_constants`. Rows are independent (prange).
    Returns the number of changed spins.
    """
    H, W = y.shape
    masks = _parity_masks(W)
    changed = 0
    for i in prange(H):
        b, b64 = _row_buffer(W)
        changed += _icm_row4(xp, y, i, colour, masks, s2, A, d, B, e, b, b64)
    return changed


@njit(cache=True)
def _chunk_bounds(H, n_chunks):
    """Row bounds of ``n_chunks`` near-equal chunks of ``H`` rows: int64 (n_chunks + 1,)."""
    n = max(1, min(n_chunks, H))
    out = np.empty(n + 1, np.int64)
    for k in range(n + 1):
        out[k] = (k * H) // n
    return out


@njit(cache=True, parallel=True)
def icm_sweep4(xp, y, s2, A, d, B, e, n_chunks):
    """One full zero-temperature sweep, colour 0 then colour 1, in a single pass over memory.

    Identical to ``icm_checkerboard4(colour=0)`` followed by ``icm_checkerboard4(colour=1)``:
    colour 1 of row i - 1 depends only on colour 0 of rows i - 2 .. i, so it is updated right
    after colour 0 of row i, while those rows are still in cache (a wavefront lagging one row).
    The rows are cut into ``n_chunks`` chunks run in parallel; a chunk's first and last rows
    of colour 1 border the neighbouring chunks and are updated after all chunks finish colour
    0. The result does not depend on ``n_chunks``. Returns ``(changed0, changed1)``.
    """
    H, W = y.shape
    masks = _parity_masks(W)
    bounds = _chunk_bounds(H, n_chunks)
    n = bounds.size - 1
    c0 = 0
    c1 = 0
    for k in prange(n):
        a = bounds[k]
        z = bounds[k + 1]
        b, b64 = _row_buffer(W)
        m0 = 0
        m1 = 0
        for i in range(a, z):
            m0 += _icm_row4(xp, y, i, 0, masks, s2, A, d, B, e, b, b64)
            if i - 1 > a:
                m1 += _icm_row4(xp, y, i - 1, 1, masks, s2, A, d, B, e, b, b64)
        c0 += m0
        c1 += m1
    for k in prange(n):
        a = bounds[k]
        z = bounds[k + 1]
        b, b64 = _row_buffer(W)
        m1 = _icm_row4(xp, y, a, 1, masks, s2, A, d, B, e, b, b64)
        if z - 1 > a:
            m1 += _icm_row4(xp, y, z - 1, 1, masks, s2, A, d, B, e, b, b64)
        c1 += m1
    return c0, c1


@njit(cache=True, parallel=True)
def icm_colour8(xp, y, colour, sign, lo, hi):
    """Zero-temperature update of every site of ``colour`` (0..3) on the 8-neighbour grid."""
    H, W = y.shape
    ci = colour // 2
    cj = colour % 2
    changed = 0
    for ii in prange((H - ci + 1) // 2):
        i = ci + 2 * ii
        r = i + 1
        c = 0
        for j in range(cj, W, 2):
            old = xp[r, j + 1]
            new = _icm_decide(_nsum(xp, r, j + 1, 8), y[i, j], sign, lo, hi, old)
            c += np.int32(new != old)
            xp[r, j + 1] = new
        changed += c
    return changed


@njit(cache=True)
def icm_raster(xp, y, K, sign, lo, hi):
    """PRML's sequential ICM: sites in raster order, each update seen by the next.

    Returns the number of changed spins in the sweep.
    """
    H, W = y.shape
    changed = 0
    for i in range(H):
        r = i + 1
        for j in range(W):
            old = xp[r, j + 1]
            new = _icm_decide(_nsum(xp, r, j + 1, K), y[i, j], sign, lo, hi, old)
            changed += np.int32(new != old)
            xp[r, j + 1] = new
    return changed


# ----------------------------------------------------------------------------- Gibbs
@njit(cache=True, inline="always")
def _row_draws(useed, r, W, u):
    """u[j] = the 31-bit uniform of padded site (r, j + 1), for j < W (one vectorised loop)."""
    base = np.uint64(r * (W + 2) + 1)
    for j in range(W):
        u[j] = draw31(useed, base + np.uint64(j))


@njit(cache=True, inline="always")
def _gibbs_row4(xp, y, i, colour, masks, thr, u, idx, t, b, b64):
    """Draw the sites of ``colour`` in row ``i`` (4-grid) from their conditionals.

    ``u`` holds the row's draws (:func:`_row_draws`); ``idx, t, b`` are scratch rows. One
    vectorised loop of table indices, a lookup for this colour's sites, one vectorised
    compare-and-blend, and a copy back. Returns the number of changes.
    """
    W = y.shape[1]
    r = i + 1
    up = xp[r - 1, 1:W + 1]
    dn = xp[r + 1, 1:W + 1]
    lf = xp[r, 0:W]
    rt = xp[r, 2:W + 2]
    cur = xp[r, 1:W + 1]
    yr = y[i]
    par = (i + colour) & 1
    mine = masks[par]
    for j in range(W):
        idx[j] = np.uint8(np.int8(up[j] + dn[j] + lf[j] + rt[j] + 4 + 9 * (yr[j] > 0)))
    for j in range(par, W, 2):
        t[j] = thr[idx[j]]
    for j in range(W):
        new = np.int8(1) if u[j] < t[j] else np.int8(-1)
        b[j] = new if mine[j] else cur[j]
    return _commit_row(b, b64, cur)


@njit(cache=True, parallel=True)
def gibbs_checkerboard4(xp, y, colour, thr, seed):
    """Draw every site of ``colour`` (0 or 1, 4-neighbour grid) from its conditional.

    ``thr`` is :func:`gibbs_thresholds`' table for the temperature. Returns the number of
    changed spins.
    """
    H, W = y.shape
    useed = np.uint64(seed)
    masks = _parity_masks(W)
    changed = 0
    for i in prange(H):
        u = np.empty(W, np.uint32)
        idx = np.empty(W, np.uint8)
        t = np.zeros(W, np.uint32)
        b, b64 = _row_buffer(W)
        _row_draws(useed, i + 1, W, u)
        changed += _gibbs_row4(xp, y, i, colour, masks, thr, u, idx, t, b, b64)
    return changed


@njit(cache=True, parallel=True)
def gibbs_sweep4(xp, y, thr, seed, n_chunks):
    """One full Gibbs sweep, colour 0 then colour 1, in a single pass over memory.

    Identical to ``gibbs_checkerboard4(colour=0, seed)`` followed by
    ``gibbs_checkerboard4(colour=1, seed)`` with the same ``seed`` (each site uses its own
    draw once, so one seed serves both colours). Same wavefront and chunking as
    :func:`icm_sweep4`; a row's draws are made once and serve colour 0 of that row and, one
    row later, colour 1. The result does not depend on ``n_chunks``. Returns
    ``(changed0, changed1)``.
    """
    H, W = y.shape
    useed = np.uint64(seed)
    masks = _parity_masks(W)
    bounds = _chunk_bounds(H, n_chunks)
    n = bounds.size - 1
    c0 = 0
    c1 = 0
    for k in prange(n):
        a = bounds[k]
        z = bounds[k + 1]
        u = np.empty((2, W), np.uint32)
        idx = np.empty(W, np.uint8)
        t = np.zeros(W, np.uint32)
        b, b64 = _row_buffer(W)
        m0 = 0
        m1 = 0
        for i in range(a, z):
            ui = u[i & 1]
            _row_draws(useed, i + 1, W, ui)
            m0 += _gibbs_row4(xp, y, i, 0, masks, thr, ui, idx, t, b, b64)
            if i - 1 > a:
                m1 += _gibbs_row4(xp, y, i - 1, 1, masks, thr, u[(i - 1) & 1], idx, t, b, b64)
        c0 += m0
        c1 += m1
    for k in prange(n):
        a = bounds[k]
        z = bounds[k + 1]
        u = np.empty(W, np.uint32)
        idx = np.empty(W, np.uint8)
        t = np.zeros(W, np.uint32)
        b, b64 = _row_buffer(W)
        _row_draws(useed, a + 1, W, u)
        m1 = _gibbs_row4(xp, y, a, 1, masks, thr, u, idx, t, b, b64)
        if z - 1 > a:
            _row_draws(useed, z, W, u)
            m1 += _gibbs_row4(xp, y, z - 1, 1, masks, thr, u, idx, t, b, b64)
        c1 += m1
    return c0, c1


@njit(cache=True, parallel=True)
def gibbs_checkerboard4_at(xp, y, colour, thr, seed, r0, c0, width):
    """:func:`gibbs_checkerboard4` on a tile of a larger grid, with the larger grid's draws.

    The tile's site (i, j) is site (r0 + i, c0 + j) of a grid ``width`` sites wide: it has
    that site's colour ``(r0 + i + c0 + j) % 2`` and uses that site's draw
    ``splitmix64(seed + ((r0 + i + 1) * (width + 2) + c0 + j + 1) * GOLDEN)``, so sweeping
    overlapping tiles reproduces the untiled sweep site for site (``r0 = c0 = 0``,
    ``width = W``: exactly :func:`gibbs_checkerboard4`). Returns the number of changed spins.
    """
    H, W = y.shape
    useed = np.uint64(seed)
    masks = _parity_masks(W)
    local = (colour + r0 + c0) & 1
    changed = 0
    for i in prange(H):
        u = np.empty(W, np.uint32)
        idx = np.empty(W, np.uint8)
        t = np.zeros(W, np.uint32)
        b, b64 = _row_buffer(W)
        base = np.uint64((r0 + i + 1) * (width + 2) + c0 + 1)
        for j in range(W):
            u[j] = draw31(useed, base + np.uint64(j))
        changed += _gibbs_row4(xp, y, i, local, masks, thr, u, idx, t, b, b64)
    return changed


@njit(cache=True, parallel=True)
def gibbs_colour8(xp, y, colour, thr, seed):
    """Draw every site of ``colour`` (0..3, 8-neighbour grid) from its conditional."""
    H, W = y.shape
    Wp = W + 2
    useed = np.uint64(seed)
    ci = colour // 2
    cj = colour % 2
    changed = 0
    for ii in prange((H - ci + 1) // 2):
        i = ci + 2 * ii
        r = i + 1
        c = 0
        for j in range(cj, W, 2):
            k = 17 * (1 if y[i, j] > 0 else 0) + _nsum(xp, r, j + 1, 8) + 8
            new = np.int8(1) if draw31(useed, np.uint64(r * Wp + j + 1)) < thr[k] else np.int8(-1)
            c += np.int32(new != xp[r, j + 1])
            xp[r, j + 1] = new
        changed += c
    return changed


@njit(cache=True)
def gibbs_raster(xp, y, K, thr, seed):
    """Sequential (raster-order) Gibbs sweep; same random-number convention as the others."""
    H, W = y.shape
    Wp = W + 2
    useed = np.uint64(seed)
    changed = 0
    for i in range(H):
        r = i + 1
        for j in range(W):
            k = (2 * K + 1) * (1 if y[i, j] > 0 else 0) + _nsum(xp, r, j + 1, K) + K
            new = np.int8(1) if draw31(useed, np.uint64(r * Wp + j + 1)) < thr[k] else np.int8(-1)
            changed += np.int32(new != xp[r, j + 1])
            xp[r, j + 1] = new
    return changed


# ----------------------------------------------------------------------------- sums
@njit(cache=True, parallel=True)
def ising_sums(xp, y, K):
    """Integer sums that give the energy exactly: (sum x, sum x*y, sum over pairs x_i x_j)."""
    H, W = y.shape
    s1 = 0
    s2 = 0
    s3 = 0
    for i in prange(H):
        r = i + 1
        a1 = 0
        a2 = 0
        a3 = 0
        for j in range(W):
            x = np.int64(xp[r, j + 1])
            a1 += x
            a2 += x * y[i, j]
            # right and down neighbours (and the two lower diagonals for K = 8): each pair once
            p = np.int64(xp[r, j + 2]) + np.int64(xp[r + 1, j + 1])
            if K == 8:
                p += np.int64(xp[r + 1, j]) + np.int64(xp[r + 1, j + 2])
            a3 += x * p
        s1 += a1
        s2 += a2
        s3 += a3
    return s1, s2, s3


@njit(cache=True, parallel=True)
def neighbour_sums(xp, K, out):
    """out[i, j] = sum of the neighbours of site (i, j) (int32 (H, W))."""
    H, W = out.shape
    for i in prange(H):
        r = i + 1
        for j in range(W):
            out[i, j] = _nsum(xp, r, j + 1, K)


# ----------------------------------------------------------------------------- mean field
@njit(cache=True, parallel=True)
def mean_field_colour(mp, y, K, colour, beta, eta, h, temperature, damping):
    """Update the magnetisations m_i = E[x_i] of one colour:
    m_i <- (1 - damping) m_i + damping * tanh((beta * sum_j m_j - (h - eta y_i)) / T).

    ``mp`` is float64 (H + 2, W + 2) with a zero border. Returns the largest change.
    """
    H, W = y.shape
    delta = 0.0
    if K == 4:
        for i in prange(H):
            r = i + 1
            d = 0.0
            for j in range((i + colour) & 1, W, 2):
                c = j + 1
                n = mp[r - 1, c] + mp[r + 1, c] + mp[r, c - 1] + mp[r, c + 1]
                target = np.tanh((beta * n - (h - eta * y[i, j])) / temperature)
                new = (1.0 - damping) * mp[r, c] + damping * target
                d = max(d, abs(new - mp[r, c]))
                mp[r, c] = new
            delta = max(delta, d)
    else:
        ci = colour // 2
        cj = colour % 2
        for ii in prange((H - ci + 1) // 2):
            i = ci + 2 * ii
            r = i + 1
            d = 0.0
            for j in range(cj, W, 2):
                c = j + 1
                n = (mp[r - 1, c] + mp[r + 1, c] + mp[r, c - 1] + mp[r, c + 1]
                     + mp[r - 1, c - 1] + mp[r - 1, c + 1] + mp[r + 1, c - 1] + mp[r + 1, c + 1])
                target = np.tanh((beta * n - (h - eta * y[i, j])) / temperature)
                new = (1.0 - damping) * mp[r, c] + damping * target
                d = max(d, abs(new - mp[r, c]))
                mp[r, c] = new
            delta = max(delta, d)
    return delta
