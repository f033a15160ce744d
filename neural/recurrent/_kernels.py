"""numba kernels of the recurrent layers (private), with plain-numpy references.

Each kernel runs a whole sequence of one layer and one direction: the loop over time, the
hidden-to-hidden product of every step (``np.dot``, one BLAS call per step) and the
elementwise gate arithmetic fused in one pass, writing into preallocated buffers. The
input-to-hidden product of all time steps is one GEMM done by the caller (``Xp``); so are
the weight gradients after the backward kernel (one GEMM each over all steps).

The LSTM kernels (the largest cell) also split the batch into blocks of rows fixed by the
batch size (:func:`lstm_chunks`); each block runs the whole time loop with its own per-step
products, so the blocks go to numba's threads with no barrier per step (``*_par``), and the
products over all steps run there too (:func:`matmul_rows`, :func:`lstm_grads`). The
caller keeps the BLAS at one thread inside (``pgm.runtime.kernel_blas_single``). The
blocks do not depend on the thread count, so the results are identical on any number.

Shapes: ``T`` steps, ``B`` batch, ``H`` hidden units; ``Xp`` of shape (T, B, k·H) holds
``x_t W_ihᵀ + b`` for every step (the LSTM's without the biases, which its kernel adds);
``WhhT`` is ``W_hhᵀ`` of shape (H, k·H) (C-contiguous);
``Whh`` is ``W_hh`` of shape (k·H, H). ``reverse`` runs the layer from t = T−1 down to 0.
The elementwise passes are short loops over one row (one sequence of the batch) with few
arrays each, so that LLVM vectorises them (``error_model="numpy"``: no division checks).
:mod:`neural.recurrent._kernels_ref` holds the same arithmetic in numpy; tests compare them.
"""

from __future__ import annotations


import numpy as np
import scipy.linalg.cython_blas  # noqa: F401  (the BLAS np.dot calls here; see pgm.runtime.kernel_blas_single)
from numba import njit, prange


from pgm.runtime.numerics import FASTMATH as _FM, fast_sigmoid as _sig, fast_tanh as _tanh


# ----------------------------------------------------------------------------- LSTM
# no reassociation: with it the compiler ordered the row functions' arithmetic differently
# when a caller was compiled against a cached callee, and the serial and parallel kernels
# stopped agreeing to the bit (float32) once one of them came from numba's cache
_KW = dict(cache=True, fastmath=_FM - {"reassoc"}, error_model="numpy")


def lstm_chunks(B):
    """How many blocks of batch rows the LSTM kernels cut a batch of ``B`` into: at least
    16 rows a block, at most 8 blocks. It depends on ``B`` only, never on the thread count,
    so every row sees the same products (same BLAS calls, same sizes) with any number of
    threads, and the results are identical."""
    return max(1, min(8, B // 16))


@njit(cache=True, inline="always")
def _rows(B, nchunk, j):
    return j * B // nchunk, (j + 1) * B // nchunk


@njit(**_KW)
def _lstm_forward_rows(Xp, WhhT, bias, h0, c0, reverse, lo, hi, Gates, Out, Hs, TCs):
    """Rows ``lo:hi`` of :func:`lstm_forward`, the whole time loop (rows are independent)."""
    T = Xp.shape[0]
    H = h0.shape[1]
    n = hi - lo
    z = np.empty((n, 4 * H), Xp.dtype)
    for s in range(T):
        t = T - 1 - s if reverse else s
        tp = t + 1 if reverse else t - 1
        if s == 0:
            np.dot(h0[lo:hi], WhhT, z)
        else:
            np.dot(Hs[tp, lo:hi], WhhT, z)
        for r in range(n):
            b = lo + r
            g = Gates[t, b]
            zr = z[r]
            xr = Xp[t, b]
            for k in range(2 * H):
                g[k] = _sig(zr[k] + xr[k] + bias[k])
            for k in range(2 * H, 3 * H):
                g[k] = _tanh(zr[k] + xr[k] + bias[k])
            for k in range(3 * H, 4 * H):
                g[k] = _sig(zr[k] + xr[k] + bias[k])
            if s == 0:
                cp = c0[b]
                off = 0
            else:
                cp = Out[tp, b]
                off = H
            o = Out[t, b]
            tr = TCs[t, b]
            hr = Hs[t, b]
            for k in range(H):
                cn = g[H + k] * cp[off + k] + g[k] * g[2 * H + k]
                tc = _tanh(cn)
                h = g[3 * H + k] * tc
                o[H + k] = cn
                tr[k] = tc
                o[k] = h
                hr[k] = h


@njit(**_KW)
def lstm_forward(Xp, WhhT, bias, h0, c0, reverse, nchunk, Gates, Out, Hs, TCs):
    """LSTM over a sequence (PyTorch gate order i, f, g, o), ``nchunk`` blocks of batch rows
    one after another (see :func:`lstm_chunks`; :func:`lstm_forward_par` runs them in
    parallel, with identical results).

    ``Xp`` (T, B, 4H) is x_t W_ihᵀ without biases, ``bias`` (4H,) is b_ih + b_hh. Writes the
    gate activations ``Gates`` (T, B, 4H), ``Out`` (T, B, 2H) = [h_t | c_t], ``Hs``
    (T, B, H) = h_t again (contiguous, for the products) and ``TCs`` (T, B, H) = tanh(c_t).
    """
    B = Xp.shape[1]
    for j in range(nchunk):
        lo, hi = _rows(B, nchunk, j)
        _lstm_forward_rows(Xp, WhhT, bias, h0, c0, reverse, lo, hi, Gates, Out, Hs, TCs)


@njit(parallel=True, **_KW)
def lstm_forward_par(Xp, WhhT, bias, h0, c0, reverse, nchunk, Gates, Out, Hs, TCs):
    """:func:`lstm_forward` with the blocks of rows on numba's threads (no barrier per step:
    each thread runs the whole time loop of its rows; call with the BLAS at one thread)."""
    B = Xp.shape[1]
    for j in prange(nchunk):
        lo, hi = _rows(B, nchunk, j)
        _lstm_forward_rows(Xp, WhhT, bias, h0, c0, reverse, lo, hi, Gates, Out, Hs, TCs)


@njit(**_KW)
def _lstm_backward_rows(Gates, Out, TCs, c0, Whh, G, reverse, lo, hi, dG, dHtot, dH0, dC0):
    """Rows ``lo:hi`` of :func:`lstm_backward`."""
    T = Gates.shape[0]
    H = c0.shape[1]
    n = hi - lo
    dhn = np.zeros((n, H), Gates.dtype)   # ∂L/∂h_t from step t+1 (processing order)
    dcn = np.zeros((n, H), Gates.dtype)
    for s in range(T):
        t = s if reverse else T - 1 - s
        tp = t + 1 if reverse else t - 1
        for r in range(n):
            b = lo + r
            if s == T - 1:
                cp = c0[b]
                off = 0
            else:
                cp = Out[tp, b]
                off = H
            g = Gates[t, b]
            d = dG[t, b]
            dh = dHtot[t, b]
            gr = G[t, b]
            dhr = dhn[r]
            dcr = dcn[r]
            tr = TCs[t, b]
            for k in range(H):
                dh[k] = gr[k] + dhr[k]
            for k in range(H):
                i = g[k]
                f = g[H + k]
                gg = g[2 * H + k]
                o = g[3 * H + k]
                tc = tr[k]
                dc = gr[H + k] + dcr[k] + dh[k] * o * (1.0 - tc * tc)
                d[k] = dc * gg * i * (1.0 - i)
                d[H + k] = dc * cp[off + k] * f * (1.0 - f)
                d[2 * H + k] = dc * i * (1.0 - gg * gg)
                d[3 * H + k] = dh[k] * tc * o * (1.0 - o)
                dcr[k] = dc * f
        np.dot(dG[t, lo:hi], Whh, dhn)
    dH0[lo:hi] = dhn
    dC0[lo:hi] = dcn


@njit(**_KW)
def lstm_backward(Gates, Out, TCs, c0, Whh, G, reverse, nchunk, dG, dHtot, dH0, dC0):
    """Backward of :func:`lstm_forward` (the course's recursions for h̄_t and c̄_t).

    ``G`` (T, B, 2H) is the loss gradient arriving at ``Out`` = [h_t | c_t] from outside the
    recursion. Writes the pre-activation gate gradients ``dG`` (T, B, 4H), the total ∂L/∂h_t
    into ``dHtot`` (T, B, H), and ∂L/∂h_0, ∂L/∂c_0 into ``dH0``, ``dC0`` (B, H).
    """
    B = Gates.shape[1]
    for j in range(nchunk):
        lo, hi = _rows(B, nchunk, j)
        _lstm_backward_rows(Gates, Out, TCs, c0, Whh, G, reverse, lo, hi, dG, dHtot, dH0, dC0)


@njit(parallel=True, **_KW)
def lstm_backward_par(Gates, Out, TCs, c0, Whh, G, reverse, nchunk, dG, dHtot, dH0, dC0):
    """:func:`lstm_backward` with the blocks of rows on numba's threads."""
    B = Gates.shape[1]
    for j in prange(nchunk):
        lo, hi = _rows(B, nchunk, j)
        _lstm_backward_rows(Gates, Out, TCs, c0, Whh, G, reverse, lo, hi, dG, dHtot, dH0, dC0)


# ----------------------------------------------------------------------------- GRU
@njit(**_KW)
def gru_forward(Xp, WhhT, bhh, h0, reverse, Gates, HN, Hs):
    """GRU over a sequence (gate order r, z, n; the reset gate acts after the hidden matmul).

    ``Xp`` holds ``x W_ihᵀ + b_ih``; ``bhh`` is b_hh. Writes the gate activations ``Gates``
    (T, B, 3H), the hidden part of the candidate ``HN`` = W_hn h + b_hn (T, B, H) and ``Hs``.
    """
    T, B, _ = Xp.shape
    H = h0.shape[1]
    for s in range(T):
        t = T - 1 - s if reverse else s
        tp = t + 1 if reverse else t - 1
        hprev = h0 if s == 0 else Hs[tp]
        z = np.dot(hprev, WhhT)
        for b in range(B):
            g = Gates[t, b]
            zr = z[b]
            xr = Xp[t, b]
            hn = HN[t, b]
            for k in range(2 * H):
                g[k] = _sig(zr[k] + bhh[k] + xr[k])
            for k in range(H):
                hn[k] = zr[2 * H + k] + bhh[2 * H + k]
            for k in range(H):
                g[2 * H + k] = _tanh(xr[2 * H + k] + g[k] * hn[k])
            hr = Hs[t, b]
            hp = hprev[b]
            for k in range(H):
                u = g[H + k]
                hr[k] = (1.0 - u) * g[2 * H + k] + u * hp[k]


@njit(**_KW)
def gru_backward(Gates, HN, Hs, h0, Whh, gH, reverse, dXp, dHP, dHtot):
    """Backward of :func:`gru_forward`.

    Writes ``dXp`` (T, B, 3H), the gradient of ``x W_ihᵀ + b_ih``, ``dHP`` (T, B, 3H), the
    gradient of ``h W_hhᵀ + b_hh``, and ``dHtot``; returns ∂L/∂h_0.
    """
    T, B, _ = Gates.shape
    H = h0.shape[1]
    dh_next = np.zeros((B, H), dtype=Gates.dtype)
    for s in range(T):
        t = s if reverse else T - 1 - s
        first = s == T - 1
        tp = t + 1 if reverse else t - 1
        hprev = h0 if first else Hs[tp]
        for b in range(B):
            g = Gates[t, b]
            dh = dHtot[t, b]
            ghr = gH[t, b]
            dhn = dh_next[b]
            for k in range(H):
                dh[k] = ghr[k] + dhn[k]
            hp = hprev[b]
            hn = HN[t, b]
            dx = dXp[t, b]
            dp = dHP[t, b]
            for k in range(H):
                r = g[k]
                u = g[H + k]
                n = g[2 * H + k]
                dan = dh[k] * (1.0 - u) * (1.0 - n * n)
                dar = dan * hn[k] * r * (1.0 - r)
                dau = dh[k] * (hp[k] - n) * u * (1.0 - u)
                dx[k] = dar
                dx[H + k] = dau
                dx[2 * H + k] = dan
                dp[k] = dar
                dp[H + k] = dau
                dp[2 * H + k] = dan * r
        dh_next = np.dot(dHP[t], Whh)
        for b in range(B):
            dhn = dh_next[b]
            dh = dHtot[t, b]
            g = Gates[t, b]
            for k in range(H):
                dhn[k] += dh[k] * g[H + k]
    return dh_next


# ----------------------------------------------------------------------------- Elman RNN
@njit(**_KW)
def rnn_forward(Xp, WhhT, h0, reverse, relu, residual, Ys, Hs):
    """Elman RNN h_t = φ(a_t), a_t = Xp_t + h_{t−1} W_hhᵀ (φ = tanh or ReLU); with
    ``residual`` h_t = h_{t−1} + φ(a_t). Writes ``Ys`` = φ(a_t) and ``Hs`` (T, B, H)."""
    T, B, H = Xp.shape
    for s in range(T):
        t = T - 1 - s if reverse else s
        tp = t + 1 if reverse else t - 1
        hprev = h0 if s == 0 else Hs[tp]
        z = np.dot(hprev, WhhT)
        for b in range(B):
            y = Ys[t, b]
            zr = z[b]
            xr = Xp[t, b]
            if relu:
                for k in range(H):
                    y[k] = max(zr[k] + xr[k], 0.0)
            else:
                for k in range(H):
                    y[k] = _tanh(zr[k] + xr[k])
            hr = Hs[t, b]
            if residual:
                hp = hprev[b]
                for k in range(H):
                    hr[k] = hp[k] + y[k]
            else:
                for k in range(H):
                    hr[k] = y[k]


@njit(**_KW)
def rnn_backward(Ys, Whh, gH, reverse, relu, residual, dA, dHtot):
    """Backward of :func:`rnn_forward`: ∂L/∂h_{t−1} = (∂L/∂h_t ⊙ φ'(a_t)) W_hh (+ ∂L/∂h_t
    when residual). Writes ``dA`` (T, B, H) and ``dHtot``; returns ∂L/∂h_0."""
    T, B, H = Ys.shape
    dh_next = np.zeros((B, H), dtype=Ys.dtype)
    for s in range(T):
        t = s if reverse else T - 1 - s
        for b in range(B):
            dh = dHtot[t, b]
            ghr = gH[t, b]
            dhn = dh_next[b]
            for k in range(H):
                dh[k] = ghr[k] + dhn[k]
            y = Ys[t, b]
            da = dA[t, b]
            if relu:
                for k in range(H):
                    da[k] = dh[k] if y[k] > 0 else 0.0
            else:
                for k in range(H):
                    da[k] = dh[k] * (1.0 - y[k] * y[k])
        dh_next = np.dot(dA[t], Whh)
        if residual:
            dh_next += dHtot[t]
    return dh_next


# ----------------------------------------------------------------------------- big products
# The products over all steps (the input projection, the input and weight gradients) run on
# numba's threads too, each product whole on one thread with the BLAS at one thread: a
# multi-threaded BLAS pool next to numba's keeps spinning after its calls and halved the
# speed of the parallel recursion that follows. The split depends on the shapes only.
@njit(**_KW)
def _matmul_block(A, Bm, C, nchunk, j):
    lo, hi = _rows(A.shape[0], nchunk, j)
    np.dot(A[lo:hi], Bm, C[lo:hi])


@njit(**_KW)
def matmul_rows(A, Bm, C, nchunk):
    """``C = A @ Bm`` with the rows of ``A`` in ``nchunk`` blocks, one product each."""
    for j in range(nchunk):
        _matmul_block(A, Bm, C, nchunk, j)


@njit(parallel=True, **_KW)
def matmul_rows_par(A, Bm, C, nchunk):
    """:func:`matmul_rows` with the blocks on numba's threads."""
    for j in prange(nchunk):
        _matmul_block(A, Bm, C, nchunk, j)


@njit(**_KW)
def _lstm_grads_task(j, dG2, Wih, X2, dGr, Hr, dGf, h0, gx, gwi, gwh, want):
    if j == 0:
        if want[0]:
            np.dot(dG2, Wih, gx)
        if want[1]:
            np.dot(dG2.T, X2, gwi)
    elif want[2]:
        np.dot(dGr.T, Hr, gwh)
        gwh += np.dot(dGf.T, h0)


@njit(**_KW)
def lstm_grads(dG2, Wih, X2, dGr, Hr, dGf, h0, nchunk, gx, gwi, gwh, want):
    """The LSTM's products after its backward recursion: ``gx = dG2 W_ih``, ``gwi =
    dG2ᵀ X2`` and ``gwh = dGrᵀ Hr + dGfᵀ h0`` (the steps whose h_{t−1} is an output, then
    the one whose h_{t−1} is h0); ``want`` (3 booleans) says which to make. Two tasks
    (gx and gwi; gwh), one after the other (``nchunk`` is unused, for the same signature as
    :func:`lstm_grads_par`)."""
    for j in range(2):
        _lstm_grads_task(j, dG2, Wih, X2, dGr, Hr, dGf, h0, gx, gwi, gwh, want)


@njit(parallel=True, **_KW)
def lstm_grads_par(dG2, Wih, X2, dGr, Hr, dGf, h0, nchunk, gx, gwi, gwh, want):
    """:func:`lstm_grads` with the two tasks on numba's threads."""
    for j in prange(2):
        _lstm_grads_task(j, dG2, Wih, X2, dGr, Hr, dGf, h0, gx, gwi, gwh, want)
