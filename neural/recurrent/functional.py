"""Functional recurrent layers: one layer, one direction, over a whole sequence.

:func:`lstm_layer`, :func:`gru_layer` and :func:`rnn_layer` are each one fused op of the
engine (:meth:`Tensor.from_op`): one GEMM projects the inputs of all time steps, a numba
kernel (:mod:`neural.recurrent._kernels`) runs the recursion with the hidden product of every
step, and the backward kernel runs the course's recursions for h̄_t (and c̄_t) backwards in
time; the weight gradients are then one GEMM each over all steps. The LSTM runs blocks of
batch rows (fixed by the batch size) on numba's threads, each block its whole time loop, and
its products over all steps there too, with the BLAS at one thread inside; small layers
(under ``_PAR_MIN_WORK`` multiply-adds) stay on the caller's thread. Results do not depend on
the thread count.

``_lstm_layer_unfused``, ``_gru_layer_unfused`` and ``_rnn_layer_unfused`` build the same
layers out of elementary engine ops (matmul, sigmoid, tanh, slicing): the definition the
tests compare the fused ops with, and what ``fused=False`` modules run.
"""

from __future__ import annotations

import numpy as np

from energy import autodiff as ad
from energy.autodiff import Tensor, record_multiplications
from pgm.runtime import kernel_blas_single, numba_threads
from pgm.runtime.jit import lazy_module, use_jit

from ..module import _count_activation, _count_product

#: the numba kernels, loaded on the first call big enough for them (pgm.runtime.jit); smaller
#: calls compose the engine's ops (the ``_*_layer_unfused`` definitions: the same results)
K = lazy_module("neural.recurrent._kernels")

__all__ = ["lstm_layer", "gru_layer", "rnn_layer"]

#: multiply-adds of a whole recurrent kernel call (T·B·k·H·H) from which its blocks of rows
#: go to numba's threads: one parallel region a call, so a few hundred microseconds of work
_PAR_MIN_WORK = 1 << 22


def _c(a):
    return np.ascontiguousarray(a)


def _prev_states(Hs, h0, reverse):
    """h_{t−1} for every t in processing order, laid out by time index (T, B, H)."""
    if reverse:
        return np.concatenate([Hs[1:], h0[None]], axis=0)
    return np.concatenate([h0[None], Hs[:-1]], axis=0)


def _run_rows(serial, parallel, nchunk, work, *args):
    """Run a recurrent kernel over ``nchunk`` blocks of batch rows: on numba's threads
    (``parallel``) when there are several blocks, several threads and enough work, else in
    the caller's thread (``serial``; numba's pool is then not started). The blocks are the
    same either way, so are the results. The BLAS called inside the kernels runs on one
    thread (see :func:`pgm.runtime.kernel_blas_single`)."""
    with kernel_blas_single():
        if nchunk > 1 and work >= _PAR_MIN_WORK and numba_threads() > 1:
            parallel(*args)
        else:
            serial(*args)


def _small(record, work):
    """Whether a layer call takes the engine's ops in place of the kernels: too little work
    to repay compiling them (``record`` needs the fused backward)."""
    return record is None and not use_jit("neural.rnn", work)


def _count_unfused(T, B, I, H, gates, units, weight_ih, weight_hh):
    """Report a layer that takes the engine's ops to count_macs / count_backward_macs (the
    same figures as the fused layer; the engine's own ops report to the multiplication
    counter themselves)."""
    _count_product(T * B * gates * H * (I + H), weight_ih, weight_hh)
    _count_activation(T * B * units)


def _zeros_bias(n, dtype):
    return Tensor(np.zeros(n, dtype))


def _count_layer(name, T, B, I, H, gates, units, weight_ih, weight_hh, x):
    """Report a fused layer's products: to count_macs (and the activation units to
    count_backward_macs), and to the engine's multiplication counter (its GEMMs and
    matrix-vector products only: the numba kernels' elementwise products are not counted)."""
    macs = T * B * gates * H * (I + H)
    _count_product(macs, weight_ih, weight_hh)
    _count_activation(T * B * units)
    record_multiplications(macs, name)

    def backward_count():
        record_multiplications(T * B * gates * H * (I * (1 + bool(x.requires_grad)) + 2 * H), name)
    return backward_count


# ----------------------------------------------------------------------------- fused layers
def lstm_layer(x, h0, c0, weight_ih, weight_hh, bias_ih=None, bias_hh=None, reverse=False,
               record=None) -> Tensor:
    """One LSTM layer over a whole sequence, one direction, as a single fused engine op.

    Parameters
    ----------
    x : Tensor of shape (T, B, I)
    h0, c0 : Tensor of shape (B, H)
    weight_ih : Tensor of shape (4H, I); weight_hh : Tensor of shape (4H, H)
        Gates stacked in PyTorch's order i, f, g, o.
    bias_ih, bias_hh : Tensor of shape (4H,), optional
    reverse : bool
        Run from t = T−1 down to 0 (the backward direction of a bidirectional layer).
    record : list, optional
        The backward pass appends ∂L/∂h_t (T, B, H) to it (see :func:`hidden_grad_norms`).

    Returns
    -------
    Tensor of shape (T, B, 2H)
        ``[h_t | c_t]`` for every t (hidden states, then cells, along the last axis).

    Notes
    -----
    Backward (the course's recursion), with h̄_t = ∂L/∂h_t and c̄_t = ∂L/∂c_t:
    ``c̄_t = c̄_t^out + f_{t+1} c̄_{t+1} + h̄_t o_t (1 − tanh² c_t)``,
    ``ī = c̄ g i(1−i)``, ``f̄ = c̄ c_{t−1} f(1−f)``, ``ḡ = c̄ i (1−g²)``,
    ``ō = h̄ tanh(c_t) o(1−o)``, ``h̄_{t−1} = h̄_{t−1}^out + [ī f̄ ḡ ō] W_hh``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = Tensor(rng.standard_normal((5, 2, 3)))
    >>> W_ih = Tensor(rng.standard_normal((8, 3)), requires_grad=True)
    >>> W_hh = Tensor(rng.standard_normal((8, 2)), requires_grad=True)
    >>> h0 = c0 = Tensor(np.zeros((2, 2)))
    >>> lstm_layer(x, h0, c0, W_ih, W_hh).shape
    (5, 2, 4)
    """
    X, W_ih, W_hh = x.data, _c(weight_ih.data), _c(weight_hh.data)
    T, B, I = X.shape
    H = W_hh.shape[1]
    dt = X.dtype
    for name, a in (("weight_ih", W_ih), ("weight_hh", W_hh), ("h0", h0.data), ("c0", c0.data)):
        if a.dtype != dt:
            raise TypeError(f"lstm_layer: {name} dtype {a.dtype} differs from x's {dt}")
    bias_ih = bias_ih if bias_ih is not None else _zeros_bias(4 * H, dt)
    bias_hh = bias_hh if bias_hh is not None else _zeros_bias(4 * H, dt)
    if _small(record, T * B * 4 * H * (I + H)):
        _count_unfused(T, B, I, H, 4, 5 * H, weight_ih, weight_hh)
        return _lstm_layer_unfused(x, h0, c0, weight_ih, weight_hh, bias_ih, bias_hh, reverse)
    X2 = _c(X.reshape(T * B, I))
    count_bwd = _count_layer("lstm_layer", T, B, I, H, 4, 5 * H, weight_ih, weight_hh, x)
    nchunk = K.lstm_chunks(B)
    work = T * B * 4 * H * H
    Xp = np.empty((T, B, 4 * H), dt)
    _run_rows(K.matmul_rows, K.matmul_rows_par, nchunk, work, X2, W_ih.T,
              Xp.reshape(T * B, 4 * H), nchunk)
    bias = bias_ih.data + bias_hh.data             # added inside the kernel
    H0, C0 = _c(h0.data), _c(c0.data)
    Gates = np.empty((T, B, 4 * H), dt)
    out = np.empty((T, B, 2 * H), dt)              # [h_t | c_t], written by the kernel
    Hs = np.empty((T, B, H), dt)
    TCs = np.empty((T, B, H), dt)
    _run_rows(K.lstm_forward, K.lstm_forward_par, nchunk, work, Xp, _c(W_hh.T), bias, H0, C0,
              bool(reverse), nchunk, Gates, out, Hs, TCs)

    def backward(g):
        count_bwd()
        dG = np.empty((T, B, 4 * H), dt)
        dHtot = np.empty((T, B, H), dt)
        dh0, dc0 = np.empty((B, H), dt), np.empty((B, H), dt)
        _run_rows(K.lstm_backward, K.lstm_backward_par, nchunk, work, Gates, out, TCs, C0,
                  W_hh, _c(g), bool(reverse), nchunk, dG, dHtot, dh0, dc0)
        if record is not None:
            record.append(dHtot)
        dG2 = dG.reshape(T * B, 4 * H)
        want = np.array([x.requires_grad, weight_ih.requires_grad, weight_hh.requires_grad])
        gx, gwi, gwh = (np.empty(s, dt) for s in ((T * B, I), (4 * H, I), (4 * H, H)))
        # Σ_t dG_tᵀ h_{t−1}: the steps whose h_{t−1} is an output, then the one with h0
        first = T - 1 if reverse else 0
        rest = (slice(0, T - 1), slice(1, T)) if reverse else (slice(1, T), slice(0, T - 1))
        _run_rows(K.lstm_grads, K.lstm_grads_par, nchunk, work, dG2, W_ih, X2,
                  dG[rest[0]].reshape(-1, 4 * H), Hs[rest[1]].reshape(-1, H), dG[first], H0,
                  nchunk, gx, gwi, gwh, want)
        gx = gx.reshape(T, B, I) if want[0] else None
        gwi = gwi if want[1] else None
        gwh = gwh if want[2] else None
        gb = dG2.sum(axis=0) if (bias_ih.requires_grad or bias_hh.requires_grad) else None
        return gx, dh0, dc0, gwi, gwh, gb, gb
    return Tensor.from_op(out, (x, h0, c0, weight_ih, weight_hh, bias_ih, bias_hh), backward,
                          "lstm_layer")


def gru_layer(x, h0, weight_ih, weight_hh, bias_ih=None, bias_hh=None, reverse=False,
              record=None) -> Tensor:
    """One GRU layer over a whole sequence, one direction, as a single fused engine op.

    Parameters
    ----------
    x : Tensor of shape (T, B, I)
    h0 : Tensor of shape (B, H)
    weight_ih : Tensor of shape (3H, I); weight_hh : Tensor of shape (3H, H)
        Gates stacked in PyTorch's order r, z, n.
    bias_ih, bias_hh : Tensor of shape (3H,), optional
    reverse, record : see :func:`lstm_layer`

    Returns
    -------
    Tensor of shape (T, B, H): the hidden states.

    Notes
    -----
    With n̄ = h̄ (1 − z), the candidate's pre-activation gradient is ā_n = n̄ (1 − n²); the
    reset gate gets ā_r = ā_n (W_hn h + b_hn) r (1 − r), the update gate
    ā_z = h̄ (h_{t−1} − n) z (1 − z), and ``h̄_{t−1} = h̄ z + [ā_r, ā_z, r ā_n] W_hh``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = Tensor(rng.standard_normal((5, 2, 3)))
    >>> gru_layer(x, Tensor(np.zeros((2, 4))), Tensor(rng.standard_normal((12, 3))),
    ...           Tensor(rng.standard_normal((12, 4)))).shape
    (5, 2, 4)
    """
    X, W_ih, W_hh = x.data, weight_ih.data, weight_hh.data
    T, B, I = X.shape
    H = W_hh.shape[1]
    dt = X.dtype
    bias_ih = bias_ih if bias_ih is not None else _zeros_bias(3 * H, dt)
    bias_hh = bias_hh if bias_hh is not None else _zeros_bias(3 * H, dt)
    if _small(record, T * B * 3 * H * (I + H)):
        _count_unfused(T, B, I, H, 3, 3 * H, weight_ih, weight_hh)
        return _gru_layer_unfused(x, h0, weight_ih, weight_hh, bias_ih, bias_hh, reverse)
    X2 = X.reshape(T * B, I)
    count_bwd = _count_layer("gru_layer", T, B, I, H, 3, 3 * H, weight_ih, weight_hh, x)
    Xp = (X2 @ W_ih.T).reshape(T, B, 3 * H)
    Xp += bias_ih.data
    H0 = _c(h0.data)
    Gates = np.empty((T, B, 3 * H), dt)
    HN = np.empty((T, B, H), dt)
    Hs = np.empty((T, B, H), dt)
    with kernel_blas_single():
        K.gru_forward(Xp, _c(W_hh.T), _c(bias_hh.data), H0, bool(reverse), Gates, HN, Hs)

    def backward(g):
        count_bwd()
        dXp = np.empty((T, B, 3 * H), dt)
        dHP = np.empty((T, B, 3 * H), dt)
        dHtot = np.empty((T, B, H), dt)
        with kernel_blas_single():
            dh0 = K.gru_backward(Gates, HN, Hs, H0, _c(W_hh), _c(g), bool(reverse), dXp, dHP,
                                 dHtot)
        if record is not None:
            record.append(dHtot)
        dX2 = dXp.reshape(T * B, 3 * H)
        dP2 = dHP.reshape(T * B, 3 * H)
        gx = (dX2 @ W_ih).reshape(T, B, I) if x.requires_grad else None
        gwi = dX2.T @ X2 if weight_ih.requires_grad else None
        gwh = (dP2.T @ _prev_states(Hs, H0, reverse).reshape(T * B, H)
               if weight_hh.requires_grad else None)
        gbi = dX2.sum(axis=0) if bias_ih.requires_grad else None
        gbh = dP2.sum(axis=0) if bias_hh.requires_grad else None
        return gx, dh0, gwi, gwh, gbi, gbh
    return Tensor.from_op(Hs, (x, h0, weight_ih, weight_hh, bias_ih, bias_hh), backward,
                          "gru_layer")


def rnn_layer(x, h0, weight_ih, weight_hh, bias_ih=None, bias_hh=None, reverse=False,
              nonlinearity="tanh", residual=False, record=None) -> Tensor:
    """One Elman RNN layer (tanh or ReLU; optionally residual) over a sequence, fused.

    ``h_t = φ(W_ih x_t + b_ih + W_hh h_{t−1} + b_hh)``, or with ``residual=True``
    ``h_t = h_{t−1} + φ(...)``.

    Parameters
    ----------
    x : Tensor of shape (T, B, I)
    h0 : Tensor of shape (B, H)
    weight_ih : Tensor of shape (H, I); weight_hh : Tensor of shape (H, H)
    bias_ih, bias_hh : Tensor of shape (H,), optional
    reverse, record : see :func:`lstm_layer`
    nonlinearity : {'tanh', 'relu'}
    residual : bool

    Returns
    -------
    Tensor of shape (T, B, H)

    Notes
    -----
    BPTT: ``h̄_{t−1} = h̄_{t−1}^out + (h̄_t ⊙ φ'(a_t)) W_hh`` (plus h̄_t when residual), and
    ``∂L/∂W_hh = Σ_t (h̄_t ⊙ φ'(a_t)) h_{t−1}ᵀ``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> rnn_layer(Tensor(rng.standard_normal((5, 2, 3))), Tensor(np.zeros((2, 4))),
    ...           Tensor(rng.standard_normal((4, 3))), Tensor(rng.standard_normal((4, 4)))).shape
    (5, 2, 4)
    """
    if nonlinearity not in ("tanh", "relu"):
        raise ValueError(f"nonlinearity: expected 'tanh' or 'relu', got {nonlinearity!r}")
    relu = nonlinearity == "relu"
    X, W_ih, W_hh = x.data, weight_ih.data, weight_hh.data
    T, B, I = X.shape
    H = W_hh.shape[1]
    dt = X.dtype
    bias_ih = bias_ih if bias_ih is not None else _zeros_bias(H, dt)
    bias_hh = bias_hh if bias_hh is not None else _zeros_bias(H, dt)
    if _small(record, T * B * H * (I + H)):
        _count_unfused(T, B, I, H, 1, H, weight_ih, weight_hh)
        return _rnn_layer_unfused(x, h0, weight_ih, weight_hh, bias_ih, bias_hh, reverse,
                                  nonlinearity, residual)
    X2 = X.reshape(T * B, I)
    count_bwd = _count_layer("rnn_layer", T, B, I, H, 1, H, weight_ih, weight_hh, x)
    Xp = (X2 @ W_ih.T).reshape(T, B, H)
    Xp += bias_ih.data + bias_hh.data
    H0 = _c(h0.data)
    Ys = np.empty((T, B, H), dt)
    Hs = np.empty((T, B, H), dt)
    with kernel_blas_single():
        K.rnn_forward(Xp, _c(W_hh.T), H0, bool(reverse), relu, bool(residual), Ys, Hs)

    def backward(g):
        count_bwd()
        dA = np.empty((T, B, H), dt)
        dHtot = np.empty((T, B, H), dt)
        with kernel_blas_single():
            dh0 = K.rnn_backward(Ys, _c(W_hh), _c(g), bool(reverse), relu, bool(residual), dA,
                                 dHtot)
        if record is not None:
            record.append(dHtot)
        dA2 = dA.reshape(T * B, H)
        gx = (dA2 @ W_ih).reshape(T, B, I) if x.requires_grad else None
        gwi = dA2.T @ X2 if weight_ih.requires_grad else None
        gwh = (dA2.T @ _prev_states(Hs, H0, reverse).reshape(T * B, H)
               if weight_hh.requires_grad else None)
        gb = dA2.sum(axis=0) if (bias_ih.requires_grad or bias_hh.requires_grad) else None
        return gx, dh0, gwi, gwh, gb, gb
    return Tensor.from_op(Hs, (x, h0, weight_ih, weight_hh, bias_ih, bias_hh), backward,
                          "rnn_layer")


# ----------------------------------------------------------------------------- unfused (definition)
def _time_order(T, reverse):
    return range(T - 1, -1, -1) if reverse else range(T)


def _affine(x, W, b):
    out = ad.matmul(x, W.T)
    return out if b is None else out + b


def _lstm_layer_unfused(x, h0, c0, weight_ih, weight_hh, bias_ih=None, bias_hh=None,
                        reverse=False, record=None):
    T, H = x.shape[0], weight_hh.shape[1]
    h, c = h0, c0
    hs, cs = [None] * T, [None] * T
    for t in _time_order(T, reverse):
        a = _affine(x[t], weight_ih, bias_ih) + _affine(h, weight_hh, bias_hh)
        i, f = ad.sigmoid(a[:, :H]), ad.sigmoid(a[:, H:2 * H])
        g, o = ad.tanh(a[:, 2 * H:3 * H]), ad.sigmoid(a[:, 3 * H:])
        c = f * c + i * g
        h = o * ad.tanh(c)
        hs[t], cs[t] = h, c
    return ad.concat([ad.stack(hs), ad.stack(cs)], axis=2)


def _gru_layer_unfused(x, h0, weight_ih, weight_hh, bias_ih=None, bias_hh=None, reverse=False,
                       record=None):
    T, H = x.shape[0], weight_hh.shape[1]
    h = h0
    hs = [None] * T
    for t in _time_order(T, reverse):
        ax = _affine(x[t], weight_ih, bias_ih)
        ah = _affine(h, weight_hh, bias_hh)
        r = ad.sigmoid(ax[:, :H] + ah[:, :H])
        z = ad.sigmoid(ax[:, H:2 * H] + ah[:, H:2 * H])
        n = ad.tanh(ax[:, 2 * H:] + r * ah[:, 2 * H:])
        h = (1 - z) * n + z * h
        hs[t] = h
    return ad.stack(hs)


def _rnn_layer_unfused(x, h0, weight_ih, weight_hh, bias_ih=None, bias_hh=None, reverse=False,
                       nonlinearity="tanh", residual=False, record=None):
    phi = ad.relu if nonlinearity == "relu" else ad.tanh
    h = h0
    hs = [None] * x.shape[0]
    for t in _time_order(x.shape[0], reverse):
        y = phi(_affine(x[t], weight_ih, bias_ih) + _affine(h, weight_hh, bias_hh))
        h = h + y if residual else y
        hs[t] = h
    return ad.stack(hs)

