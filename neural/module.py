"""``Module`` (the engine's :class:`energy.autodiff.Module`, re-exported: parameters found by
attribute, train/eval, state) and the networks' counters: :func:`count_params`,
:func:`count_macs`.

Examples
--------
>>> import numpy as np
>>> from neural import Linear, ReLU, Sequential, count_params
>>> net = Sequential(Linear(4, 8, rng=0), ReLU(), Linear(8, 3, rng=0))
>>> count_params(net)
67
>>> sorted(net.state_dict())
['0.bias', '0.weight', '2.bias', '2.weight']
"""

from __future__ import annotations

import numpy as np

from energy.autodiff import Module, Parameter, Tensor, no_grad

__all__ = ["Module", "Parameter", "count_params", "count_macs"]


def count_params(model: Module, trainable_only: bool = True) -> int:
    """Number of scalar parameters of ``model``.

    For an MLP with input d, L hidden layers of width n, c outputs and no biases this is
    ``d·n + (L-1)·n² + n·c``.
    """
    if isinstance(model, Tensor):
        return int(model.size)
    ps = model.parameters()
    return int(sum(p.size for p in ps if p.requires_grad or not trainable_only))


class _MacCounter:
    """Active counter of multiply-adds (set by :func:`count_macs`, read by linear/conv ops)."""

    total = None


def count_macs(model: Module, input_shape, dtype=None) -> int:
    """Multiply-adds of one forward pass of ``model`` on an input of ``input_shape``.

    Counts the matrix products of ``linear`` (N·in·out) and ``conv2d`` (N·O·Ho·Wo·C·kH·kW),
    which dominate the cost; element-wise ops, pooling and normalisation are not counted.
    Runs one forward pass on zeros in evaluation mode without recording gradients.

    Examples
    --------
    >>> from neural import Linear, Sequential, ReLU
    >>> count_macs(Sequential(Linear(64, 32), ReLU(), Linear(32, 10)), (1, 64))
    2368
    """
    params = model.parameters()
    dt = dtype or (params[0].dtype if params else np.float32)
    was = model.training
    model.eval()
    _MacCounter.total = 0
    try:
        with no_grad():
            model(np.zeros(tuple(input_shape), dt))
        return int(_MacCounter.total)
    finally:
        _MacCounter.total = None
        model.train(was)
