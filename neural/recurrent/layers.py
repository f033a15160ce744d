"""Recurrent modules: :class:`RNN`, :class:`LSTM`, :class:`GRU`, :class:`ResidualRNN`
(stacked, optionally bidirectional, PyTorch's conventions; see :mod:`neural.recurrent`) and
the time-delay network :class:`TimeDelay` (a causal 1-D convolution over time).

Examples
--------
>>> import numpy as np
>>> out, h = GRU(3, 4, rng=0)(np.ones((6, 2, 3), np.float32))
>>> out.shape, h.shape
((6, 2, 4), (1, 2, 4))
"""

from __future__ import annotations

import math

import numpy as np

from energy import autodiff as ad
from energy.autodiff import Parameter, Tensor
from pgm.runtime import check_rng

from ..layers import as_input, linear
from ..module import Module, _count_activation
from .functional import (_gru_layer_unfused, _lstm_layer_unfused, _rnn_layer_unfused, gru_layer,
                         lstm_layer, rnn_layer)

__all__ = ["RNN", "LSTM", "GRU", "ResidualRNN", "TimeDelay"]

_GATES = {"LSTM": 4, "GRU": 3, "RNN": 1}


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
        out = linear(stacked, self.weight, self.bias)
        if self.nonlinearity == "tanh":
            out = ad.tanh(out)
        elif self.nonlinearity == "relu":
            out = ad.relu(out)
        if self.nonlinearity is not None:
            _count_activation(out.size)
        return out.transpose(1, 0, 2) if self.batch_first else out

    def extra_repr(self):
        return f"{self.input_size}, {self.hidden_size}, delay={self.delay}"

