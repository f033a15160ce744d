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
projects the inputs of all time steps, a numba kernel (:mod:`neural.recurrent._kernels`) runs the
recursion with the hidden product of every step, and the backward kernel runs the course's
recursions for h̄_t (and c̄_t) backwards in time; the weight gradients are then one GEMM each
over all steps. The LSTM runs blocks of batch rows (fixed by the batch size) on numba's
threads, each block its whole time loop, and its products over all steps there too, with
the BLAS at one thread inside; small layers (under ``_PAR_MIN_WORK`` multiply-adds) stay on
the caller's thread. Results do not depend on the thread count. ``fused=False`` builds the same layer out of elementary engine ops
(matmul, sigmoid, tanh, slicing), which the tests use as the definition.

Where things are: :mod:`~neural.recurrent.functional` (the functional layers and their
unfused definitions), :mod:`~neural.recurrent.layers` (the modules), :mod:`~neural.recurrent.mdrnn`,
:mod:`~neural.recurrent.lm` (the language model, truncated BPTT), :mod:`~neural.recurrent.diagnostics`
(:func:`hidden_grad_norms`); the numba kernels in ``_kernels.py`` with their numpy references
in ``_kernels_ref.py``.

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

from .diagnostics import hidden_grad_norms
from .functional import gru_layer, lstm_layer, rnn_layer
from .layers import GRU, LSTM, RNN, ResidualRNN, TimeDelay
from .lm import RecurrentLM, detach_state, truncated_bptt
from .mdrnn import MDRNN, mdrnn

__all__ = [
    "RNN", "LSTM", "GRU", "ResidualRNN", "TimeDelay", "MDRNN", "RecurrentLM", "lstm_layer",
    "gru_layer",
    "rnn_layer", "mdrnn", "truncated_bptt", "detach_state", "hidden_grad_norms",
]
