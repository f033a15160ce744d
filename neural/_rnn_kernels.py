"""numba kernels of the recurrent layers (private), with plain-numpy references.

Each kernel runs a whole sequence of one layer and one direction: the loop over time, the
hidden-to-hidden product of every step (``np.dot``, one BLAS call per step) and the
elementwise gate arithmetic fused in one pass, writing into preallocated buffers. The
input-to-hidden product of all time steps is one GEMM done by the caller (``Xp``); so are
the weight gradients after the backward kernel (one GEMM each over all steps).

Shapes: ``T`` steps, ``B`` batch, ``H`` hidden units; ``Xp`` of shape (T, B, k·H) holds
``x_t W_ihᵀ + b`` for every step; ``WhhT`` is ``W_hhᵀ`` of shape (H, k·H) (C-contiguous);
``Whh`` is ``W_hh`` of shape (k·H, H). ``reverse`` runs the layer from t = T−1 down to 0.
:mod:`neural._rnn_kernels_ref` holds the same arithmetic in numpy; tests compare them.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit


@njit(cache=True, inline="always")
def _sig(x):
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


# ----------------------------------------------------------------------------- LSTM
@njit(cache=True)
def lstm_forward(Xp, WhhT, h0, c0, reverse, Gates, Cs, Hs):
    """LSTM over a sequence (PyTorch gate order i, f, g, o).

    Writes the gate activations ``Gates`` (T, B, 4H), the cells ``Cs`` and hidden states
    ``Hs`` (T, B, H). ``Xp`` already includes both biases.
    """
    T, B, _ = Xp.shape
    H = h0.shape[1]
    h = h0.copy()
    c = c0.copy()
    for s in range(T):
        t = T - 1 - s if reverse else s
        z = np.dot(h, WhhT)
        for b in range(B):
            for k in range(H):
                i = _sig(Xp[t, b, k] + z[b, k])
                f = _sig(Xp[t, b, H + k] + z[b, H + k])
                g = math.tanh(Xp[t, b, 2 * H + k] + z[b, 2 * H + k])
                o = _sig(Xp[t, b, 3 * H + k] + z[b, 3 * H + k])
                cn = f * c[b, k] + i * g
                hn = o * math.tanh(cn)
                Gates[t, b, k] = i
                Gates[t, b, H + k] = f
                Gates[t, b, 2 * H + k] = g
                Gates[t, b, 3 * H + k] = o
                Cs[t, b, k] = cn
                Hs[t, b, k] = hn
                c[b, k] = cn
                h[b, k] = hn


@njit(cache=True)
def lstm_backward(Gates, Cs, c0, Whh, gH, gC, reverse, dG, dHtot):
    """Backward of :func:`lstm_forward` (the course's recursions for h̄_t and c̄_t).

    ``gH``/``gC`` (T, B, H) are the loss gradients arriving at each h_t / c_t from outside
    the recursion. Writes the pre-activation gate gradients ``dG`` (T, B, 4H) and the total
    ∂L/∂h_t into ``dHtot``; returns (∂L/∂h_0, ∂L/∂c_0).
    """
    T, B, _ = Gates.shape
    H = c0.shape[1]
    dh_next = np.zeros((B, H), dtype=Gates.dtype)
    dc_next = np.zeros((B, H), dtype=Gates.dtype)
    for s in range(T):
        t = s if reverse else T - 1 - s
        first = (t == T - 1) if reverse else (t == 0)
        tp = t + 1 if reverse else t - 1
        for b in range(B):
            for k in range(H):
                cp = c0[b, k] if first else Cs[tp, b, k]
                i = Gates[t, b, k]
                f = Gates[t, b, H + k]
                g = Gates[t, b, 2 * H + k]
                o = Gates[t, b, 3 * H + k]
                tc = math.tanh(Cs[t, b, k])
                dh = gH[t, b, k] + dh_next[b, k]
                dHtot[t, b, k] = dh
                dc = gC[t, b, k] + dc_next[b, k] + dh * o * (1.0 - tc * tc)
                dG[t, b, k] = dc * g * i * (1.0 - i)
                dG[t, b, H + k] = dc * cp * f * (1.0 - f)
                dG[t, b, 2 * H + k] = dc * i * (1.0 - g * g)
                dG[t, b, 3 * H + k] = dh * tc * o * (1.0 - o)
                dc_next[b, k] = dc * f
        dh_next = np.dot(dG[t], Whh)
    return dh_next, dc_next


# ----------------------------------------------------------------------------- GRU
@njit(cache=True)
def gru_forward(Xp, WhhT, bhh, h0, reverse, Gates, HN, Hs):
    """GRU over a sequence (gate order r, z, n; the reset gate acts after the hidden matmul).

    ``Xp`` holds ``x W_ihᵀ + b_ih``; ``bhh`` is b_hh. Writes the gate activations ``Gates``
    (T, B, 3H), the hidden part of the candidate ``HN`` = W_hn h + b_hn (T, B, H) and ``Hs``.
    """
    T, B, _ = Xp.shape
    H = h0.shape[1]
    h = h0.copy()
    for s in range(T):
        t = T - 1 - s if reverse else s
        z = np.dot(h, WhhT)
        for b in range(B):
            for k in range(H):
                r = _sig(Xp[t, b, k] + z[b, k] + bhh[k])
                u = _sig(Xp[t, b, H + k] + z[b, H + k] + bhh[H + k])
                hn = z[b, 2 * H + k] + bhh[2 * H + k]
                n = math.tanh(Xp[t, b, 2 * H + k] + r * hn)
                hnew = (1.0 - u) * n + u * h[b, k]
                Gates[t, b, k] = r
                Gates[t, b, H + k] = u
                Gates[t, b, 2 * H + k] = n
                HN[t, b, k] = hn
                Hs[t, b, k] = hnew
                h[b, k] = hnew


@njit(cache=True)
def gru_backward(Gates, HN, Hs, h0, Whh, gH, reverse, dXp, dHP, dHtot):
    """Backward of :func:`gru_forward`.

    Writes ``dXp`` (T, B, 3H), the gradient of ``x W_ihᵀ + b_ih``, ``dHP`` (T, B, 3H), the
    gradient of ``h W_hhᵀ + b_hh``, and ``dHtot``; returns ∂L/∂h_0.
    """
    T, B, _ = Gates.shape
    H = h0.shape[1]
    dh_next = np.zeros((B, H), dtype=Gates.dtype)
    carry = np.zeros((B, H), dtype=Gates.dtype)
    for s in range(T):
        t = s if reverse else T - 1 - s
        first = (t == T - 1) if reverse else (t == 0)
        tp = t + 1 if reverse else t - 1
        for b in range(B):
            for k in range(H):
                hp = h0[b, k] if first else Hs[tp, b, k]
                r = Gates[t, b, k]
                u = Gates[t, b, H + k]
                n = Gates[t, b, 2 * H + k]
                dh = gH[t, b, k] + dh_next[b, k]
                dHtot[t, b, k] = dh
                dan = dh * (1.0 - u) * (1.0 - n * n)
                dar = dan * HN[t, b, k] * r * (1.0 - r)
                dau = dh * (hp - n) * u * (1.0 - u)
                dXp[t, b, k] = dar
                dXp[t, b, H + k] = dau
                dXp[t, b, 2 * H + k] = dan
                dHP[t, b, k] = dar
                dHP[t, b, H + k] = dau
                dHP[t, b, 2 * H + k] = dan * r
                carry[b, k] = dh * u
        dh_next = np.dot(dHP[t], Whh) + carry
    return dh_next


# ----------------------------------------------------------------------------- Elman RNN
@njit(cache=True)
def rnn_forward(Xp, WhhT, h0, reverse, relu, residual, Ys, Hs):
    """Elman RNN h_t = φ(a_t), a_t = Xp_t + h_{t−1} W_hhᵀ (φ = tanh or ReLU); with
    ``residual`` h_t = h_{t−1} + φ(a_t). Writes ``Ys`` = φ(a_t) and ``Hs`` (T, B, H)."""
    T, B, _ = Xp.shape
    H = h0.shape[1]
    h = h0.copy()
    for s in range(T):
        t = T - 1 - s if reverse else s
        z = np.dot(h, WhhT)
        for b in range(B):
            for k in range(H):
                a = Xp[t, b, k] + z[b, k]
                y = (a if a > 0 else 0.0) if relu else math.tanh(a)
                hn = h[b, k] + y if residual else y
                Ys[t, b, k] = y
                Hs[t, b, k] = hn
                h[b, k] = hn


@njit(cache=True)
def rnn_backward(Ys, Whh, gH, reverse, relu, residual, dA, dHtot):
    """Backward of :func:`rnn_forward`: ∂L/∂h_{t−1} = (∂L/∂h_t ⊙ φ'(a_t)) W_hh (+ ∂L/∂h_t
    when residual). Writes ``dA`` (T, B, H) and ``dHtot``; returns ∂L/∂h_0."""
    T, B, H = Ys.shape
    dh_next = np.zeros((B, H), dtype=Ys.dtype)
    for s in range(T):
        t = s if reverse else T - 1 - s
        for b in range(B):
            for k in range(H):
                dh = gH[t, b, k] + dh_next[b, k]
                dHtot[t, b, k] = dh
                y = Ys[t, b, k]
                dA[t, b, k] = dh * ((1.0 if y > 0 else 0.0) if relu else 1.0 - y * y)
        if residual:
            dh_next = np.dot(dA[t], Whh) + dHtot[t]
        else:
            dh_next = np.dot(dA[t], Whh)
    return dh_next
