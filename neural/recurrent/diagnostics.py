"""Diagnostics of recurrent models: :func:`hidden_grad_norms`, the recorder of ‖∂L/∂h_k‖
that shows vanishing and exploding gradients."""

from __future__ import annotations

import numpy as np

from .layers import _RNNBase

__all__ = ["hidden_grad_norms"]


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
