"""The recurrent family on the gradient engine: RNN, LSTM, GRU, residual RNN, time-delay
network and the 2-D multi-dimensional RNN (MDRNN), plus truncated BPTT and the recorder of
‖∂L/∂h_k‖ that shows vanishing and exploding gradients.

Conventions are PyTorch's, so weights compare one to one:

* layout ``(seq, batch, feature)``, or ``(batch, seq, feature)`` with ``batch_first=True``;
  initial states ``h0``/``c0`` are ``(num_layers·num_directions, batch, hidden)`` in both;
* LSTM gates i, f, g, o stacked in ``weight_ih_l{k}`` (4H × I) and ``weight_hh_l{k}`` (4H × H),
  ``c = f⊙c + i⊙g``, ``h = o⊙tanh(c)``; GRU gates r, z, n with
  ``n = tanh(W_in x + b_in + r⊙(W_hn h + b_hn))`` and ``h = (1 − z)⊙n + z⊙h_prev``;
* two biases per cell (``bias_ih_l{k}``, ``bias_hh_l{k}``), the reverse direction's
  parameters end in ``_reverse``; every parameter is initialised U(−1/√H, 1/√H);
* ``forward`` returns ``(output, h_n)`` (RNN, GRU) or ``(output, (h_n, c_n))`` (LSTM).

Each layer and direction is one fused op of the engine (:meth:`Tensor.from_op`): one GEMM
projects the inputs of all time steps, a numba kernel (:mod:`neural._rnn_kernels`) runs the
recursion with the hidden product of every step, and the backward kernel runs the course's
recursions for h̄_t (and c̄_t) backwards in time; the weight gradients are then one GEMM each
over all steps. The LSTM runs blocks of batch rows (fixed by the batch size) on numba's
threads, each block its whole time loop, and its products over all steps there too, with
the BLAS at one thread inside; small layers (under ``_PAR_MIN_WORK`` multiply-adds) stay on
the caller's thread. Results do not depend on the thread count. ``fused=False`` builds the same layer out of elementary engine ops
(matmul, sigmoid, tanh, slicing), which the tests use as the definition.

Examples
--------
>>> import numpy as np
>>> from neural import LSTM
>>> lstm = LSTM(input_size=3, hidden_size=5, num_layers=2, rng=0)
>>> x = np.zeros((7, 4, 3), np.float32)                # (seq, batch, feature)
>>> out, (h_n, c_n) = lstm(x)
>>> out.shape, h_n.shape, c_n.shape
((7, 4, 5), (2, 4, 5), (2, 4, 5))
"""

from __future__ import annotations

import math

import numpy as np

from energy import autodiff as ad
from energy.autodiff import Parameter, Tensor
from pgm.runtime import kernel_blas_single, numba_threads
from energy.optim import clip_grad_norm
from pgm.runtime import check_rng

from . import _rnn_kernels as K
from .layers import as_input
from .module import Module

__all__ = [
    "RNN", "LSTM", "GRU", "ResidualRNN", "TimeDelay", "MDRNN", "RecurrentLM", "lstm_layer",
    "gru_layer",
    "rnn_layer", "mdrnn", "truncated_bptt", "detach_state", "hidden_grad_norms",
]

_GATES = {"LSTM": 4, "GRU": 3, "RNN": 1}
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
    thread (see :func:`pgm.runtime.threads.kernel_blas_single`)."""
    with kernel_blas_single():
        if nchunk > 1 and work >= _PAR_MIN_WORK and numba_threads() > 1:
            parallel(*args)
        else:
            serial(*args)


def _zeros_bias(n, dtype):
    return Tensor(np.zeros(n, dtype))


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
    X2 = _c(X.reshape(T * B, I))
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
    X2 = X.reshape(T * B, I)
    Xp = (X2 @ W_ih.T).reshape(T, B, 3 * H)
    Xp += bias_ih.data
    H0 = _c(h0.data)
    Gates = np.empty((T, B, 3 * H), dt)
    HN = np.empty((T, B, H), dt)
    Hs = np.empty((T, B, H), dt)
    with kernel_blas_single():
        K.gru_forward(Xp, _c(W_hh.T), _c(bias_hh.data), H0, bool(reverse), Gates, HN, Hs)

    def backward(g):
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
    X2 = X.reshape(T * B, I)
    Xp = (X2 @ W_ih.T).reshape(T, B, H)
    Xp += bias_ih.data + bias_hh.data
    H0 = _c(h0.data)
    Ys = np.empty((T, B, H), dt)
    Hs = np.empty((T, B, H), dt)
    with kernel_blas_single():
        K.rnn_forward(Xp, _c(W_hh.T), H0, bool(reverse), relu, bool(residual), Ys, Hs)

    def backward(g):
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


# ----------------------------------------------------------------------------- modules
class _RNNBase(Module):
    """Shared machinery of :class:`RNN`, :class:`LSTM` and :class:`GRU` (see the module doc)."""

    mode = "RNN"

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 bidirectional=False, *, nonlinearity="tanh", residual=False, fused=True,
                 rng=None, dtype=np.float32):
        super().__init__()
        name = type(self).__name__
        for n, v in (("input_size", input_size), ("hidden_size", hidden_size),
                     ("num_layers", num_layers)):
            if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v < 1:
                raise ValueError(f"{name}: {n} must be a positive int, got {v!r}")
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"{name}: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        self.input_size, self.hidden_size = int(input_size), int(hidden_size)
        self.num_layers = int(num_layers)
        self.bias, self.batch_first = bool(bias), bool(batch_first)
        self.bidirectional = bool(bidirectional)
        self.nonlinearity, self.residual, self.fused = nonlinearity, bool(residual), bool(fused)
        self._record = None
        gen = check_rng(rng)
        H, G = self.hidden_size, _GATES[self.mode]
        k = 1.0 / math.sqrt(H)
        D = 2 if self.bidirectional else 1
        for layer in range(self.num_layers):
            I = self.input_size if layer == 0 else H * D
            for d in range(D):
                sfx = f"_l{layer}" + ("_reverse" if d else "")
                setattr(self, "weight_ih" + sfx,
                        Parameter(gen.uniform(-k, k, (G * H, I)).astype(dtype)))
                setattr(self, "weight_hh" + sfx,
                        Parameter(gen.uniform(-k, k, (G * H, H)).astype(dtype)))
                if self.bias:
                    for n in ("bias_ih", "bias_hh"):
                        setattr(self, n + sfx, Parameter(gen.uniform(-k, k, G * H).astype(dtype)))

    @property
    def num_directions(self):
        return 2 if self.bidirectional else 1

    def _weights(self, layer, d):
        sfx = f"_l{layer}" + ("_reverse" if d else "")
        get = lambda n: getattr(self, n + sfx, None)  # noqa: E731
        return get("weight_ih"), get("weight_hh"), get("bias_ih"), get("bias_hh")

    def _layout(self):
        return "(batch, seq, feature)" if self.batch_first else "(seq, batch, feature)"

    def _check_input(self, x):
        name = type(self).__name__
        x = as_input(x, name, self.weight_ih_l0.dtype)
        I = self.input_size
        if x.ndim != 3 or x.shape[-1] != I:
            exp = "(batch, seq, %d)" % I if self.batch_first else "(seq, batch, %d)" % I
            raise ValueError(f"{name}: expected input of shape {exp} (layout {self._layout()}"
                             f"{', batch_first=True' if self.batch_first else ''}), got {x.shape}")
        if 0 in x.shape:
            raise ValueError(f"{name}: empty input of shape {x.shape} in layout "
                             f"{self._layout()}; need at least one step and one sequence")
        if not np.all(np.isfinite(x.data)):
            raise ValueError(f"{name}: input holds NaN or inf")
        return x

    def _check_state(self, s, what, B, dtype):
        name = type(self).__name__
        exp = (self.num_layers * self.num_directions, B, self.hidden_size)
        s = s if isinstance(s, Tensor) else Tensor(np.asarray(s))
        if s.shape != exp:
            raise ValueError(f"{name}: {what} must have shape (num_layers*num_directions, batch, "
                             f"hidden_size) = {exp} (also with batch_first), got {s.shape}")
        if s.dtype != dtype:
            raise TypeError(f"{name}: {what} dtype {s.dtype} differs from the layer's {dtype}")
        if not np.all(np.isfinite(s.data)):
            raise ValueError(f"{name}: {what} holds NaN or inf")
        return s

    def _run_layer(self, x, states, weights, reverse, record):
        raise NotImplementedError

    def forward(self, x, hx=None):
        """Run the layers over a batch of sequences.

        Parameters
        ----------
        x : ndarray or Tensor of shape (seq, batch, input_size), or (batch, seq, input_size)
            with ``batch_first=True``
        hx : initial state, optional (zeros by default)
            RNN/GRU: ``h0`` of shape (num_layers·num_directions, batch, hidden_size);
            LSTM: a pair ``(h0, c0)`` of that shape.

        Returns
        -------
        output : Tensor of shape (seq, batch, num_directions·hidden_size) (batch first if set)
        h_n : Tensor of shape (num_layers·num_directions, batch, hidden_size), or for the LSTM
            the pair ``(h_n, c_n)``
        """
        name = type(self).__name__
        x = self._check_input(x)
        if self.batch_first:
            x = x.transpose(1, 0, 2)
        B, dt = x.shape[1], x.dtype
        LD = self.num_layers * self.num_directions
        lstm = self.mode == "LSTM"
        if hx is None:
            zeros = Tensor(np.zeros((LD, B, self.hidden_size), dt))
            states = (zeros, zeros) if lstm else (zeros,)
        elif lstm:
            if not isinstance(hx, (tuple, list)) or len(hx) != 2:
                raise TypeError(f"{name}: hx must be a pair (h0, c0), got {type(hx).__name__}")
            states = (self._check_state(hx[0], "h0", B, dt), self._check_state(hx[1], "c0", B, dt))
        else:
            states = (self._check_state(hx, "h0", B, dt),)
        finals = [[] for _ in states]
        inp = x
        for layer in range(self.num_layers):
            outs = []
            for d in range(self.num_directions):
                idx = layer * self.num_directions + d
                rec = None
                if self._record is not None:
                    rec = self._record.setdefault((layer, d), [])
                st = [s[idx] for s in states]
                packed = self._run_layer(inp, st, self._weights(layer, d), bool(d), rec)
                H = self.hidden_size
                last = 0 if d else -1
                if lstm:
                    outs.append(packed[:, :, :H])
                    finals[0].append(packed[last, :, :H])
                    finals[1].append(packed[last, :, H:])
                else:
                    outs.append(packed)
                    finals[0].append(packed[last])
            inp = outs[0] if len(outs) == 1 else ad.concat(outs, axis=2)
        out = inp.transpose(1, 0, 2) if self.batch_first else inp
        fin = [ad.stack(f) for f in finals]
        return (out, (fin[0], fin[1])) if lstm else (out, fin[0])

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.batch_first:
            s += ", batch_first=True"
        if self.bidirectional:
            s += ", bidirectional=True"
        return s


class LSTM(_RNNBase):
    """Long short-term memory (Hochreiter & Schmidhuber 1997) with PyTorch's equations.

    Parameters
    ----------
    input_size, hidden_size : int
    num_layers : int, default 1
    bias : bool, default True
    batch_first : bool, default False
    bidirectional : bool, default False
    fused : bool, default True
        One fused op per layer and direction (numba kernels); False composes elementary
        engine ops (slow; the reference definition).
    rng : None, int or Generator
    dtype : default np.float32

    Attributes
    ----------
    weight_ih_l{k} : Parameter of shape (4H, I) (I = input_size for k = 0, else D·H)
    weight_hh_l{k} : Parameter of shape (4H, H)
    bias_ih_l{k}, bias_hh_l{k} : Parameter of shape (4H,)
        (and the same with suffix ``_reverse`` when bidirectional)

    Examples
    --------
    >>> lstm = LSTM(3, 4, batch_first=True, bidirectional=True, rng=0)
    >>> out, (h, c) = lstm(np.ones((2, 6, 3), np.float32))
    >>> out.shape, h.shape
    ((2, 6, 8), (2, 2, 4))
    """

    mode = "LSTM"

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 bidirectional=False, *, fused=True, rng=None, dtype=np.float32):
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, bidirectional,
                         fused=fused, rng=rng, dtype=dtype)

    def _run_layer(self, x, st, w, reverse, record):
        f = lstm_layer if self.fused else _lstm_layer_unfused
        return f(x, st[0], st[1], *w, reverse=reverse, record=record)


class GRU(_RNNBase):
    """Gated recurrent unit (Cho et al. 2014) with PyTorch's equations (gates r, z, n).

    Parameters and attributes as :class:`LSTM`, with 3H instead of 4H rows.

    Examples
    --------
    >>> gru = GRU(3, 4, num_layers=2, rng=0)
    >>> out, h = gru(np.ones((6, 2, 3), np.float32))
    >>> out.shape, h.shape
    ((6, 2, 4), (2, 2, 4))
    """

    mode = "GRU"

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 bidirectional=False, *, fused=True, rng=None, dtype=np.float32):
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, bidirectional,
                         fused=fused, rng=rng, dtype=dtype)

    def _run_layer(self, x, st, w, reverse, record):
        f = gru_layer if self.fused else _gru_layer_unfused
        return f(x, st[0], *w, reverse=reverse, record=record)


class RNN(_RNNBase):
    """Elman RNN ``h_t = φ(W_ih x_t + b_ih + W_hh h_{t−1} + b_hh)``, φ = tanh or ReLU.

    The course's model adds an output layer ``z_t = softmax(W_hz h_t + b_z)`` and the loss
    ``Σ_t −log z_{t,y_t}``: put a :class:`~neural.Linear` on ``output`` and use
    :func:`~energy.autodiff.cross_entropy` (see ``examples/char_rnn.py``).

    Parameters
    ----------
    input_size, hidden_size, num_layers, bias, batch_first, bidirectional, fused, rng, dtype
        As :class:`LSTM`.
    nonlinearity : {'tanh', 'relu'}, default 'tanh'

    Examples
    --------
    >>> rnn = RNN(3, 4, nonlinearity="relu", rng=0)
    >>> out, h = rnn(np.ones((6, 2, 3), np.float32))
    >>> out.shape, rnn.weight_hh_l0.shape
    ((6, 2, 4), (4, 4))
    """

    mode = "RNN"

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True,
                 batch_first=False, bidirectional=False, *, fused=True, rng=None,
                 dtype=np.float32, residual=False):
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, bidirectional,
                         nonlinearity=nonlinearity, residual=residual, fused=fused, rng=rng,
                         dtype=dtype)

    def _run_layer(self, x, st, w, reverse, record):
        f = rnn_layer if self.fused else _rnn_layer_unfused
        return f(x, st[0], *w, reverse=reverse, nonlinearity=self.nonlinearity,
                 residual=self.residual, record=record)


class ResidualRNN(RNN):
    """Residual RNN ``h_t = h_{t−1} + g(x_t, h_{t−1})`` with ``g = φ(W_ih x_t + W_hh h_{t−1} + b)``.

    The identity path carries ∂L/∂h_t back unchanged (∂h_t/∂h_{t−1} = I + ∂g/∂h_{t−1}), so
    gradients neither vanish like a tanh RNN's nor need gates. Same parameters as :class:`RNN`.

    Examples
    --------
    >>> out, h = ResidualRNN(3, 4, rng=0)(np.ones((6, 2, 3), np.float32))
    >>> out.shape
    (6, 2, 4)
    """

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True,
                 batch_first=False, bidirectional=False, *, fused=True, rng=None,
                 dtype=np.float32):
        super().__init__(input_size, hidden_size, num_layers, nonlinearity, bias, batch_first,
                         bidirectional, fused=fused, rng=rng, dtype=dtype, residual=True)


class TimeDelay(Module):
    """Time-delay neural network layer: a causal 1-D convolution over time.

    ``h_t = φ(Σ_{d=0}^{K−1} W_d x_{t−d} + b)`` with x_t = 0 for t < 0: each output sees a
    fixed window of K inputs and there is no recurrence (gradients reach exactly K steps back).

    Parameters
    ----------
    input_size, hidden_size : int
    delay : int, default 3
        The window length K.
    nonlinearity : {'tanh', 'relu', None}, default 'tanh'
    batch_first : bool, default False
    rng, dtype : as :class:`LSTM`

    Attributes
    ----------
    weight : Parameter of shape (hidden_size, delay·input_size)
        ``weight[:, d·I:(d+1)·I]`` is W_d, applied to x_{t−d}.
    bias : Parameter of shape (hidden_size,)

    Examples
    --------
    >>> tdnn = TimeDelay(3, 4, delay=5, rng=0)
    >>> tdnn(np.ones((10, 2, 3), np.float32)).shape
    (10, 2, 4)
    """

    def __init__(self, input_size, hidden_size, delay=3, nonlinearity="tanh", batch_first=False,
                 rng=None, dtype=np.float32):
        super().__init__()
        for n, v in (("input_size", input_size), ("hidden_size", hidden_size), ("delay", delay)):
            if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v < 1:
                raise ValueError(f"TimeDelay: {n} must be a positive int, got {v!r}")
        if nonlinearity not in ("tanh", "relu", None):
            raise ValueError(f"TimeDelay: nonlinearity must be 'tanh', 'relu' or None, got "
                             f"{nonlinearity!r}")
        self.input_size, self.hidden_size = int(input_size), int(hidden_size)
        self.delay = int(delay)
        self.nonlinearity, self.batch_first = nonlinearity, bool(batch_first)
        gen = check_rng(rng)
        k = 1.0 / math.sqrt(self.delay * self.input_size)
        shape = (hidden_size, self.delay * input_size)
        self.weight = Parameter(gen.uniform(-k, k, shape).astype(dtype))
        self.bias = Parameter(gen.uniform(-k, k, hidden_size).astype(dtype))

    def forward(self, x):
        """x : (seq, batch, input_size) (or batch first) -> (seq, batch, hidden_size)."""
        x = as_input(x, "TimeDelay", self.weight.dtype)
        I = self.input_size
        if x.ndim != 3 or x.shape[-1] != I:
            exp = f"(batch, seq, {I})" if self.batch_first else f"(seq, batch, {I})"
            raise ValueError(f"TimeDelay: expected input of shape {exp}, got {x.shape}")
        if 0 in x.shape:
            raise ValueError(f"TimeDelay: empty input of shape {x.shape}")
        if not np.all(np.isfinite(x.data)):
            raise ValueError("TimeDelay: input holds NaN or inf")
        if self.batch_first:
            x = x.transpose(1, 0, 2)
        T, B, _ = x.shape
        Kd = self.delay
        xp = x
        if Kd > 1:
            xp = ad.concat([Tensor(np.zeros((Kd - 1, B, I), x.dtype)), x], axis=0)
        taps = [xp[Kd - 1 - d:Kd - 1 - d + T] for d in range(Kd)]
        stacked = taps[0] if Kd == 1 else ad.concat(taps, axis=2)
        from .layers import linear
        out = linear(stacked, self.weight, self.bias)
        if self.nonlinearity == "tanh":
            out = ad.tanh(out)
        elif self.nonlinearity == "relu":
            out = ad.relu(out)
        return out.transpose(1, 0, 2) if self.batch_first else out

    def extra_repr(self):
        return f"{self.input_size}, {self.hidden_size}, delay={self.delay}"


# ----------------------------------------------------------------------------- MDRNN
def _diag_cells(d, R, C):
    i = np.arange(max(0, d - C + 1), min(R - 1, d) + 1)
    return i, d - i


def mdrnn(x, weight_in, weight_w, weight_n, bias=None, order="wavefront", stats=None) -> Tensor:
    """A 2-D RNN over a grid (Graves, Fernández & Schmidhuber 2007), one fused engine op.

    ``h(i, j) = tanh(W_in x(i, j) + W_w h(i−1, j) + W_n h(i, j−1) + b)`` with h = 0 outside
    the grid, scanning from the top-left corner.

    Parameters
    ----------
    x : Tensor of shape (N, D, R, C)
        N grids of R×C cells with D features each (NCHW, like images).
    weight_in : Tensor of shape (H, D)
    weight_w : Tensor of shape (H, H)
        Applied to the state of the cell above, h(i−1, j).
    weight_n : Tensor of shape (H, H)
        Applied to the state of the cell to the left, h(i, j−1).
    bias : Tensor of shape (H,), optional
    order : {'wavefront', 'raster'}
        'wavefront' computes all cells of an anti-diagonal i + j = d at once (R + C − 1 steps,
        2G − 1 on a G×G grid, each one batched matrix product over the whole diagonal), in the
        forward and the backward pass; 'raster' visits the cells one by one, row by row (R·C
        steps). Both give the same values.
    stats : dict, optional
        Receives ``forward_steps`` and ``backward_steps``: the number of recurrent matrix
        products each pass made.

    Returns
    -------
    Tensor of shape (N, H, R, C): the hidden state of every cell.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = Tensor(rng.standard_normal((2, 1, 4, 4)))
    >>> W = [Tensor(rng.standard_normal(s)) for s in [(3, 1), (3, 3), (3, 3)]]
    >>> s = {}
    >>> mdrnn(x, *W, stats=s).shape, s["forward_steps"]
    ((2, 3, 4, 4), 7)
    """
    if order not in ("wavefront", "raster"):
        raise ValueError(f"order: expected 'wavefront' or 'raster', got {order!r}")
    X = x.data
    N, D, R, C = X.shape
    W_in, W_w, W_n = weight_in.data, weight_w.data, weight_n.data
    H = W_in.shape[0]
    dt = X.dtype
    if bias is None:
        bias = _zeros_bias(H, dt)
    Xc = np.ascontiguousarray(X.transpose(2, 3, 0, 1))           # (R, C, N, D)
    X2 = Xc.reshape(-1, D)
    A = (X2 @ W_in.T).reshape(R, C, N, H)
    A += bias.data
    Wpair = np.ascontiguousarray(np.concatenate([W_w.T, W_n.T], axis=0))   # (2H, H)
    Hp = np.zeros((R + 1, C + 1, N, H), dt)                        # Hp[i+1, j+1] = h(i, j)
    if order == "wavefront":
        cells = [_diag_cells(d, R, C) for d in range(R + C - 1)]
    else:
        cells = [(np.array([i]), np.array([j])) for i in range(R) for j in range(C)]
    for i, j in cells:
        n = len(i)
        P = np.concatenate([Hp[i, j + 1], Hp[i + 1, j]], axis=-1).reshape(n * N, 2 * H)
        Hp[i + 1, j + 1] = np.tanh(A[i, j] + (P @ Wpair).reshape(n, N, H))
    if stats is not None:
        stats["forward_steps"] = len(cells)
    Hgrid = Hp[1:, 1:]
    out = np.ascontiguousarray(Hgrid.transpose(2, 3, 0, 1))        # (N, H, R, C)

    def backward(g):
        dHp = np.zeros((R + 1, C + 1, N, H), dt)
        dHp[1:, 1:] = g.transpose(2, 3, 0, 1)
        dA = np.empty((R, C, N, H), dt)
        WpT = np.ascontiguousarray(Wpair.T)
        for i, j in reversed(cells):
            n = len(i)
            h = Hp[i + 1, j + 1]
            da = dHp[i + 1, j + 1] * (1 - h * h)
            dA[i, j] = da
            dP = (da.reshape(n * N, H) @ WpT).reshape(n, N, 2 * H)
            dHp[i, j + 1] += dP[..., :H]
            dHp[i + 1, j] += dP[..., H:]
        if stats is not None:
            stats["backward_steps"] = len(cells)
        dA2 = dA.reshape(-1, H)
        gx = gwi = gww = gwn = gb = None
        if x.requires_grad:
            gx = np.ascontiguousarray((dA2 @ W_in).reshape(R, C, N, D).transpose(2, 3, 0, 1))
        if weight_in.requires_grad:
            gwi = dA2.T @ X2
        if weight_w.requires_grad or weight_n.requires_grad:
            P = np.concatenate([Hp[:-1, 1:], Hp[1:, :-1]], axis=-1).reshape(-1, 2 * H)
            gp = dA2.T @ P                                         # (H, 2H)
            gww, gwn = gp[:, :H], gp[:, H:]
        if bias.requires_grad:
            gb = dA2.sum(axis=0)
        return gx, gwi, gww, gwn, gb
    return Tensor.from_op(out, (x, weight_in, weight_w, weight_n, bias), backward, "mdrnn")


def _mdrnn_unfused(x, weight_in, weight_w, weight_n, bias=None):
    """The MDRNN cell by cell out of elementary engine ops (the definition the tests use)."""
    N, D, R, C = x.shape
    H = weight_in.shape[0]
    zero = Tensor(np.zeros((N, H), x.dtype))
    h = [[None] * C for _ in range(R)]
    for i in range(R):
        for j in range(C):
            a = _affine(x[:, :, i, j], weight_in, bias)
            a = a + ad.matmul(h[i - 1][j] if i else zero, weight_w.T)
            a = a + ad.matmul(h[i][j - 1] if j else zero, weight_n.T)
            h[i][j] = ad.tanh(a)
    rows = [ad.stack(r, axis=2) for r in h]                        # (N, H, C) each
    return ad.stack(rows, axis=2)                                   # (N, H, R, C)


class MDRNN(Module):
    """Two-dimensional RNN layer over an R×C grid (see :func:`mdrnn`).

    Parameters
    ----------
    input_size : int
        D, the features per cell (channels of an image).
    hidden_size : int
        H.
    order : {'wavefront', 'raster'}, default 'wavefront'
    rng : None, int or Generator
        Init U(−1/√H, 1/√H).
    dtype : default np.float32

    Attributes
    ----------
    weight_in : Parameter of shape (H, D)
    weight_w : Parameter of shape (H, H)  (state from the cell above, i − 1)
    weight_n : Parameter of shape (H, H)  (state from the cell to the left, j − 1)
    bias : Parameter of shape (H,)
        (D + 2H)·H weights plus H biases.
    n_steps_ : int
        Recurrent matrix products of the last forward pass (R + C − 1 by wavefront).

    Examples
    --------
    >>> md = MDRNN(1, 8, rng=0)
    >>> md(np.zeros((5, 1, 8, 8), np.float32)).shape, md.n_steps_
    ((5, 8, 8, 8), 15)
    """

    def __init__(self, input_size, hidden_size, order="wavefront", rng=None, dtype=np.float32):
        super().__init__()
        for n, v in (("input_size", input_size), ("hidden_size", hidden_size)):
            if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v < 1:
                raise ValueError(f"MDRNN: {n} must be a positive int, got {v!r}")
        if order not in ("wavefront", "raster"):
            raise ValueError(f"MDRNN: order must be 'wavefront' or 'raster', got {order!r}")
        self.input_size, self.hidden_size, self.order = int(input_size), int(hidden_size), order
        gen = check_rng(rng)
        H = self.hidden_size
        k = 1.0 / math.sqrt(H)
        self.weight_in = Parameter(gen.uniform(-k, k, (H, input_size)).astype(dtype))
        self.weight_w = Parameter(gen.uniform(-k, k, (H, H)).astype(dtype))
        self.weight_n = Parameter(gen.uniform(-k, k, (H, H)).astype(dtype))
        self.bias = Parameter(gen.uniform(-k, k, H).astype(dtype))
        self.n_steps_ = None

    def forward(self, x):
        """x : (N, D, R, C) -> hidden states (N, H, R, C)."""
        x = as_input(x, "MDRNN", self.weight_in.dtype)
        D = self.input_size
        if x.ndim != 4 or x.shape[1] != D:
            raise ValueError(f"MDRNN: expected input of shape (N, {D}, rows, cols), got {x.shape}")
        if 0 in x.shape:
            raise ValueError(f"MDRNN: empty input of shape {x.shape}")
        if not np.all(np.isfinite(x.data)):
            raise ValueError("MDRNN: input holds NaN or inf")
        stats = {}
        out = mdrnn(x, self.weight_in, self.weight_w, self.weight_n, self.bias, self.order, stats)
        self.n_steps_ = stats["forward_steps"]
        return out

    def extra_repr(self):
        return f"{self.input_size}, {self.hidden_size}, order={self.order!r}"


class RecurrentLM(Module):
    """The course's sequence model: one-hot symbols, a recurrent layer, softmax outputs.

    ``h_t = cell(x_t, h_{t−1})``, ``z_t = softmax(W_hz h_t + b_z)`` and the loss
    ``L = Σ_t −log z_{t, y_t}`` (summed over steps, averaged over the batch).

    Parameters
    ----------
    vocab_size : int
        Number of symbols V (inputs are int ids in [0, V)).
    hidden_size : int
    cell : {'RNN', 'LSTM', 'GRU', 'ResidualRNN'}, default 'RNN'
    num_layers : int, default 1
    rng, dtype : as :class:`LSTM`

    Attributes
    ----------
    rnn : the recurrent layer (input size V)
    head : :class:`~neural.Linear` — ``head.weight`` is W_hz (V × H), ``head.bias`` is b_z

    Examples
    --------
    >>> lm = RecurrentLM(5, 8, cell="GRU", rng=0)
    >>> ids = np.array([[0, 1], [2, 3], [4, 0]])            # (seq, batch)
    >>> logits, h = lm(ids)
    >>> logits.shape
    (3, 2, 5)
    >>> loss, h = lm.loss(ids[:-1], ids[1:])
    >>> loss.shape
    ()
    """

    def __init__(self, vocab_size, hidden_size, cell="RNN", num_layers=1, rng=None,
                 dtype=np.float32):
        super().__init__()
        cells = {"RNN": RNN, "LSTM": LSTM, "GRU": GRU, "ResidualRNN": ResidualRNN}
        if cell not in cells:
            raise ValueError(f"RecurrentLM: cell must be one of {sorted(cells)}, got {cell!r}")
        if not isinstance(vocab_size, (int, np.integer)) or vocab_size < 1:
            raise ValueError(f"RecurrentLM: vocab_size must be a positive int, got {vocab_size!r}")
        from .layers import Linear
        gen = check_rng(rng)
        self.vocab_size, self.cell = int(vocab_size), cell
        self.rnn = cells[cell](vocab_size, hidden_size, num_layers, rng=gen, dtype=dtype)
        self.head = Linear(hidden_size, vocab_size, rng=gen, dtype=dtype)
        self._eye = np.eye(vocab_size, dtype=dtype)

    def _ids(self, ids, what):
        a = np.asarray(ids)
        if a.dtype.kind not in "iu" or a.ndim != 2:
            raise ValueError(f"RecurrentLM: {what} must be int ids of shape (seq, batch), got "
                             f"shape {a.shape} and dtype {a.dtype}")
        if a.size and (a.min() < 0 or a.max() >= self.vocab_size):
            raise ValueError(f"RecurrentLM: {what} must lie in [0, {self.vocab_size}), got values "
                             f"in [{a.min()}, {a.max()}]")
        return a

    def forward(self, ids, state=None):
        """ids (seq, batch) -> (logits of shape (seq, batch, V), final state)."""
        ids = self._ids(ids, "ids")
        dt = self.head.weight.dtype
        if self._eye.dtype != dt:                  # after model.to(...) / .double()
            self._eye = np.eye(self.vocab_size, dtype=dt)
        out, state = self.rnn(self._eye[ids], state)
        return self.head(out), state

    def loss(self, ids, targets, state=None):
        """(L = Σ_t −log z_{t, y_t} averaged over the batch, final state)."""
        ids, targets = self._ids(ids, "ids"), self._ids(targets, "targets")
        if ids.shape != targets.shape:
            raise ValueError(f"RecurrentLM: targets must have the ids' shape {ids.shape}, got "
                             f"{targets.shape}")
        logits, state = self(ids, state)
        V = self.vocab_size
        return ad.cross_entropy(logits.reshape(-1, V), targets.reshape(-1),
                                reduction="sum") * (1.0 / ids.shape[1]), state


# ----------------------------------------------------------------------------- training helpers
def detach_state(state):
    """Cut a recurrent state (a Tensor, or a tuple of them) from the tape."""
    if state is None:
        return None
    if isinstance(state, (tuple, list)):
        return type(state)(detach_state(s) for s in state)
    return state.detach()


def truncated_bptt(loss_fn, inputs, targets, window, state=None, optimizer=None, params=None,
                   max_norm=None):
    """Truncated backpropagation through time over windows of ``window`` steps.

    The sequence is cut along axis 0 into windows; each window runs forward from the state
    the previous one ended in, *detached* (so gradients stop at the window's start), and is
    backpropagated at once. With ``optimizer`` the parameters are updated after every window
    (clipped to ``max_norm`` first, if given); without, the windows' gradients accumulate.

    Parameters
    ----------
    loss_fn : callable
        ``loss_fn(x_window, y_window, state) -> (loss, new_state)`` with a scalar Tensor loss.
    inputs, targets : arrays with the time steps along axis 0
    window : int >= 1
    state : initial state passed to the first window (None: the model's default)
    optimizer : :class:`~energy.optim.Optimizer`, optional
    params : list of Parameter, optional
        Needed for ``max_norm``.
    max_norm : float, optional

    Returns
    -------
    total_loss : float
        The sum of the windows' losses.
    state : the final (detached) state

    Examples
    --------
    >>> from neural import RNN, Linear
    >>> from energy.autodiff import cross_entropy
    >>> rnn, head = RNN(2, 3, rng=0), Linear(3, 2, rng=0)
    >>> def loss_fn(x, y, h):
    ...     out, h = rnn(x, h)
    ...     return cross_entropy(head(out).reshape(-1, 2), y.reshape(-1), "sum"), h
    >>> x = np.ones((10, 1, 2), np.float32); y = np.zeros((10, 1), np.int64)
    >>> total, h = truncated_bptt(loss_fn, x, y, window=4)
    >>> h.shape
    (1, 1, 3)
    """
    if not isinstance(window, (int, np.integer)) or window < 1:
        raise ValueError(f"window: must be a positive int, got {window!r}")
    T = len(inputs)
    if len(targets) != T:
        raise ValueError(f"truncated_bptt: inputs have {T} steps but targets {len(targets)}")
    if T == 0:
        raise ValueError("truncated_bptt: empty sequence (0 steps)")
    total = 0.0
    for s in range(0, T, window):
        loss, state = loss_fn(inputs[s:s + window], targets[s:s + window], state)
        loss.backward()
        total += float(loss.data)
        if optimizer is not None:
            if max_norm is not None:
                clip_grad_norm(params if params is not None else optimizer.params, max_norm)
            optimizer.step()
            optimizer.zero_grad()
        state = detach_state(state)
    return total, state


def hidden_grad_norms(model, x, loss_fn=None, hx=None):
    """‖∂L/∂h_k‖ for every step k of a recurrent model's last layer (forward direction).

    Runs ``model`` on ``x``, backpropagates ``L = loss_fn(output)`` (default: the sum of the
    last step's output, so L depends on h_T alone) and reads the total derivatives ∂L/∂h_k
    that the fused backward pass computes anyway. Plotted over k this shows gradients
    vanishing (tanh RNN) or being kept (LSTM, GRU, residual RNN) as they travel back in time.

    Parameters
    ----------
    model : RNN, LSTM, GRU or ResidualRNN (with ``fused=True``)
    x : input of shape (seq, batch, input_size) (or batch first)
    loss_fn : callable, optional
        ``loss_fn(output) -> scalar Tensor``.
    hx : initial state, optional

    Returns
    -------
    ndarray of shape (seq,)
        Entry k is the Frobenius norm over batch and units of ∂L/∂h_k (time order).

    Examples
    --------
    >>> from neural import RNN
    >>> norms = hidden_grad_norms(RNN(2, 8, rng=0), np.ones((20, 1, 2), np.float32))
    >>> norms.shape, bool(norms[0] < norms[-1])
    ((20,), True)
    """
    if not isinstance(model, _RNNBase) or not model.fused:
        raise TypeError(f"hidden_grad_norms: model must be a fused RNN/LSTM/GRU/ResidualRNN, "
                        f"got {type(model).__name__}")
    for p in model.parameters():
        p.grad = None
    model._record = {}
    try:
        out, _ = model(x, hx)
        if loss_fn is None:
            last = out[:, -1] if model.batch_first else out[-1]
            loss = last.sum()
        else:
            loss = loss_fn(out)
        loss.backward()
        rec = model._record.get((model.num_layers - 1, 0))
    finally:
        model._record = None
    for p in model.parameters():
        p.grad = None
    if not rec:
        raise RuntimeError("hidden_grad_norms: the loss does not depend on the last layer")
    dH = rec[-1].astype(np.float64)
    return np.sqrt((dH * dH).sum(axis=(1, 2)))
