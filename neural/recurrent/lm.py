"""The course's sequence model :class:`RecurrentLM` and its training helpers: truncated
backpropagation through time (:func:`truncated_bptt`) and :func:`detach_state`."""

from __future__ import annotations

import numpy as np

from energy import autodiff as ad
from energy.optim import clip_grad_norm
from pgm.runtime import check_rng

from ..layers import Linear
from ..module import Module
from .layers import GRU, LSTM, RNN, ResidualRNN

__all__ = ["RecurrentLM", "truncated_bptt", "detach_state"]


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

