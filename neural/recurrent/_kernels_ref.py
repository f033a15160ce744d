"""Plain-numpy references of :mod:`neural.recurrent._kernels` (same signatures, same buffers).

Slow (a Python loop over time with whole-array numpy operations per step) but obviously
right; the tests compare every kernel with its reference.
"""

from __future__ import annotations

import numpy as np

from pgm.runtime import sigmoid as _sig


def _order(T, reverse):
    return range(T - 1, -1, -1) if reverse else range(T)


def lstm_forward_ref(Xp, WhhT, bias, h0, c0, reverse, nchunk, Gates, Out, Hs, TCs):
    H = h0.shape[1]
    h, c = h0.copy(), c0.copy()
    for t in _order(len(Xp), reverse):
        a = Xp[t] + bias + h @ WhhT
        i, f = _sig(a[:, :H]), _sig(a[:, H:2 * H])
        g, o = np.tanh(a[:, 2 * H:3 * H]), _sig(a[:, 3 * H:])
        c = f * c + i * g
        h = o * np.tanh(c)
        Gates[t] = np.concatenate([i, f, g, o], axis=1)
        Out[t] = np.concatenate([h, c], axis=1)
        Hs[t] = h
        TCs[t] = np.tanh(c)


def lstm_backward_ref(Gates, Out, TCs, c0, Whh, G, reverse, nchunk, dG, dHtot, dH0, dC0):
    T = len(Gates)
    H = c0.shape[1]
    dh_next = np.zeros_like(c0)
    dc_next = np.zeros_like(c0)
    for t in _order(T, not reverse):
        first = t == (T - 1 if reverse else 0)
        cp = c0 if first else Out[t + 1 if reverse else t - 1][:, H:]
        i, f, g, o = (Gates[t][:, j * H:(j + 1) * H] for j in range(4))
        tc = TCs[t]
        dh = G[t][:, :H] + dh_next
        dHtot[t] = dh
        dc = G[t][:, H:] + dc_next + dh * o * (1 - tc ** 2)
        dG[t] = np.concatenate([dc * g * i * (1 - i), dc * cp * f * (1 - f),
                                dc * i * (1 - g ** 2), dh * tc * o * (1 - o)], axis=1)
        dc_next = dc * f
        dh_next = dG[t] @ Whh
    dH0[...] = dh_next
    dC0[...] = dc_next


def gru_forward_ref(Xp, WhhT, bhh, h0, reverse, Gates, HN, Hs):
    H = h0.shape[1]
    h = h0.copy()
    for t in _order(len(Xp), reverse):
        hp = h @ WhhT + bhh
        r = _sig(Xp[t][:, :H] + hp[:, :H])
        u = _sig(Xp[t][:, H:2 * H] + hp[:, H:2 * H])
        n = np.tanh(Xp[t][:, 2 * H:] + r * hp[:, 2 * H:])
        h = (1 - u) * n + u * h
        Gates[t] = np.concatenate([r, u, n], axis=1)
        HN[t], Hs[t] = hp[:, 2 * H:], h


def gru_backward_ref(Gates, HN, Hs, h0, Whh, gH, reverse, dXp, dHP, dHtot):
    T = len(Gates)
    H = h0.shape[1]
    dh_next = np.zeros_like(h0)
    for t in _order(T, not reverse):
        first = t == (T - 1 if reverse else 0)
        hp = h0 if first else Hs[t + 1 if reverse else t - 1]
        r, u, n = (Gates[t][:, j * H:(j + 1) * H] for j in range(3))
        dh = gH[t] + dh_next
        dHtot[t] = dh
        dan = dh * (1 - u) * (1 - n ** 2)
        dar = dan * HN[t] * r * (1 - r)
        dau = dh * (hp - n) * u * (1 - u)
        dXp[t] = np.concatenate([dar, dau, dan], axis=1)
        dHP[t] = np.concatenate([dar, dau, dan * r], axis=1)
        dh_next = dHP[t] @ Whh + dh * u
    return dh_next


def rnn_forward_ref(Xp, WhhT, h0, reverse, relu, residual, Ys, Hs):
    h = h0.copy()
    for t in _order(len(Xp), reverse):
        a = Xp[t] + h @ WhhT
        y = np.maximum(a, 0) if relu else np.tanh(a)
        h = h + y if residual else y
        Ys[t], Hs[t] = y, h


def rnn_backward_ref(Ys, Whh, gH, reverse, relu, residual, dA, dHtot):
    T, B, H = Ys.shape
    dh_next = np.zeros((B, H), Ys.dtype)
    for t in _order(T, not reverse):
        dh = gH[t] + dh_next
        dHtot[t] = dh
        dA[t] = dh * ((Ys[t] > 0) if relu else (1 - Ys[t] ** 2))
        dh_next = dA[t] @ Whh + (dh if residual else 0)
    return dh_next


def matmul_rows_ref(A, Bm, C, nchunk):
    C[...] = A @ Bm


def lstm_grads_ref(dG2, Wih, X2, dGr, Hr, dGf, h0, nchunk, gx, gwi, gwh, want):
    if want[0]:
        gx[...] = dG2 @ Wih
    if want[1]:
        gwi[...] = dG2.T @ X2
    if want[2]:
        gwh[...] = dGr.T @ Hr + dGf.T @ h0
