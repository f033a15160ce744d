"""``Module`` (the engine's :class:`energy.autodiff.Module`, re-exported: parameters found by
attribute, train/eval, state) and the networks' counters: :func:`count_params`,
:func:`count_macs`, :func:`count_backward_macs` and the course's closed forms
:func:`mlp_backward_cost`, :func:`mdrnn_backward_cost`.

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

__all__ = ["Module", "Parameter", "count_params", "count_macs", "count_backward_macs",
           "mlp_backward_cost", "mdrnn_backward_cost"]


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
    """Active counters of :func:`count_macs` / :func:`count_backward_macs` (None when off).

    The fused ops (``linear``, ``conv2d``, the recurrent layers, ``mdrnn``) report their
    matrix-product multiply-adds with :func:`_count_product`, and the activations the number of
    units they apply to with :func:`_count_activation`.
    """

    total = None            # forward multiply-adds
    backward = 0            # backward multiplications, the course's convention
    seen = None             # ids of the weight tensors the counted products used


def _count_product(macs, *weights):
    """A fused op's forward matrix products: ``macs`` multiply-adds using ``weights``."""
    if _MacCounter.total is not None:
        _MacCounter.total += int(macs)
        _MacCounter.backward += 2 * int(macs)
        _MacCounter.seen.update(id(w) for w in weights)


def _count_activation(units):
    """An elementwise activation applied to ``units`` values."""
    if _MacCounter.total is not None:
        _MacCounter.backward += 2 * int(units)


def _check_shape(input_shape, where):
    try:
        shape = tuple(input_shape)
    except TypeError:
        raise TypeError(f"{where}: input_shape must be a tuple of positive ints, got "
                        f"{input_shape!r}") from None
    for v in shape:
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
            raise ValueError(f"{where}: input_shape must hold positive ints, got {input_shape!r}")
    return shape


def _run_counted(model, input_shape, dtype, where):
    shape = _check_shape(input_shape, where)
    if not isinstance(model, Module):
        raise TypeError(f"{where}: model must be a neural Module, got {type(model).__name__}")
    params = model.parameters()
    dt = dtype or (params[0].dtype if params else np.float32)
    was = model.training
    model.eval()
    _MacCounter.total, _MacCounter.backward, _MacCounter.seen = 0, 0, set()
    try:
        with no_grad():
            model(np.zeros(shape, dt))
        fwd, bwd, seen = _MacCounter.total, _MacCounter.backward, _MacCounter.seen
    finally:
        _MacCounter.total, _MacCounter.backward, _MacCounter.seen = None, 0, None
        model.train(was)
    modules = dict(model.named_modules())
    for name, p in model.named_parameters():
        if p.ndim >= 2 and id(p) not in seen:
            owner = name.rsplit(".", 1)[0] if "." in name else ""
            layer = type(modules.get(owner, model)).__name__
            raise TypeError(f"{where}: cannot count layer {owner or '<model>'!r} ({layer}): its "
                            f"weight {name!r} of shape {p.shape} was not used by a counted op "
                            f"(linear, conv2d, the fused RNN/LSTM/GRU layers, mdrnn)")
    return int(fwd), int(bwd)


def count_macs(model: Module, input_shape, dtype=None) -> int:
    """Multiply-adds of one forward pass of ``model`` on an input of ``input_shape``.

    Counts the matrix products, which dominate the cost: ``linear`` (N·in·out), ``conv2d``
    (N·O·Ho·Wo·C·kH·kW), the time-delay layer (its linear map over the K taps, T·B·K·I·H), the
    fused recurrent layers (T·B·G·H·(I + H) with G = 1, 4, 3 gates for RNN, LSTM, GRU, per
    layer and direction) and the 2-D RNN (N·R·C·H·(D + 2H)). Element-wise ops, pooling and
    normalisation are not counted. Runs one forward pass on zeros in evaluation mode without
    recording gradients.

    Raises
    ------
    TypeError
        When a weight (a parameter with two or more axes) of ``model`` is not used by a
        counted op: the message names the layer (e.g. an RNN built with ``fused=False``).
    ValueError
        When ``input_shape`` holds a size that is not a positive int.

    Examples
    --------
    >>> from neural import Linear, Sequential, ReLU
    >>> count_macs(Sequential(Linear(64, 32), ReLU(), Linear(32, 10)), (1, 64))
    2368
    """
    return _run_counted(model, input_shape, dtype, "count_macs")[0]


def count_backward_macs(model: Module, input_shape, dtype=None) -> int:
    """Multiplications of one backward pass of ``model``, by the course's convention.

    The convention: a weight product with M forward multiply-adds costs 2M in the backward
    pass (M for the weight gradient ∂L/∂W = δ xᵀ, M for the input gradient Wᵀδ), and an
    elementwise activation costs 2 multiplications per unit (δ ⊙ σ'(a) with σ' = σ(1 − σ) or
    1 − tanh²). For a fully connected net with input d, L hidden layers of n units and c
    outputs (one example), layer by layer:

    * first layer, W (n×d): 2dn (the course counts the input gradient here too);
    * each of the L − 1 hidden-to-hidden layers, W (n×n): 2n², plus 2n for the activation
      of its input;
    * output layer, W (c×n): 2nc, plus 2n for the activation of its input;

    in total 2dn + (L − 1)(2n² + 2n) + 2nc + 2n = 2n[1 + d + c + (L − 1)(n + 1)]
    (:func:`mlp_backward_cost`). Per layer with W of shape (n×m): 2mn for the two products
    and 2m for the activation of the layer's input (none for the first layer).

    For the 2-D RNN of hidden size H on D features, one cell: 2·H(D + 2H) for the products
    (∂W_in, ∂x, ∂W_w, ∂W_n, and the two recurrent input gradients) and 2H for tanh',
    H(2D + 4H + 2) in all, G²·H(2D + 4H + 2) on a G×G grid. The recurrent layers count
    2·(forward products) + 2 per gate/cell activation (RNN: H, GRU: 3H, LSTM: 5H per step);
    their elementwise gate products (c = f⊙c + i⊙g, ...) are not counted, as in the forward.

    The engine's own count (:class:`energy.autodiff.count_multiplications`) differs where the
    engine skips work: it does not form ∂L/∂x for an input that does not require a gradient,
    and ReLU's derivative costs it one multiplication per unit, not two.

    Raises
    ------
    TypeError, ValueError
        As :func:`count_macs`.

    Examples
    --------
    >>> from neural import Linear, Sequential, Sigmoid
    >>> count_backward_macs(Sequential(Linear(5, 4), Sigmoid(), Linear(4, 3)), (1, 5))
    72
    >>> mlp_backward_cost(n=4, d=5, c=3, L=1)
    72
    """
    return _run_counted(model, input_shape, dtype, "count_backward_macs")[1]


def _pos_int(v, name, where, low=1):
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < low:
        raise ValueError(f"{where}: {name} must be an int >= {low}, got {v!r}")
    return int(v)


def mlp_backward_cost(n, d, c, L) -> int:
    """The course's backward cost of a fully connected net: 2n[1 + d + c + (L − 1)(n + 1)].

    Parameters
    ----------
    n : int >= 1   units per hidden layer
    d : int >= 1   inputs
    c : int >= 1   outputs
    L : int >= 1   hidden layers

    See :func:`count_backward_macs` for how it decomposes layer by layer.

    Examples
    --------
    >>> mlp_backward_cost(n=10, d=64, c=10, L=2)
    1720
    """
    n, d, c, L = (_pos_int(v, k, "mlp_backward_cost") for k, v in
                  (("n", n), ("d", d), ("c", c), ("L", L)))
    return 2 * n * (1 + d + c + (L - 1) * (n + 1))


def mdrnn_backward_cost(G, H, D, n_a) -> int:
    """The course's backward cost of a 2-D RNN on a G×G grid: G² · H(n_a + 2D + 4H − 1).

    H(n_a + 2D + 4H − 1) multiplications per hidden vector (per cell), O(G²H(D + H)) per
    grid. The library's MDRNN does H(2D + 4H + 2) per cell (:func:`count_backward_macs`),
    which is this expression with n_a = 3.

    Parameters
    ----------
    G : int >= 1   grid side
    H : int >= 1   hidden size
    D : int >= 1   input features per cell
    n_a : int >= 0 the course's n_a term

    Examples
    --------
    >>> mdrnn_backward_cost(G=4, H=3, D=1, n_a=3)
    768
    """
    G, H, D = (_pos_int(v, k, "mdrnn_backward_cost") for k, v in (("G", G), ("H", H), ("D", D)))
    n_a = _pos_int(n_a, "n_a", "mdrnn_backward_cost", low=0)
    return G * G * H * (n_a + 2 * D + 4 * H - 1)
