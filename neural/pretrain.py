"""Greedy layer-wise pretraining of a stack of ``Linear`` layers from unlabelled data.

One entry point, :func:`pretrain`, for every method: it takes the layers (their sizes are the
stack's sizes), trains one unsupervised model per layer on the features of the layers below,
and copies each learned encoder (weight (out, in), bias) into its layer in place. The methods
live in a registry, :data:`PRETRAINERS`, name → function; a new one (an autoencoder, a
denoising autoencoder) is added with :func:`register_pretrainer` and every caller reaches it by
its name, with no change to :func:`pretrain`. ``method`` may also be the function itself.

A pretraining function has the signature ``fn(layers, X, *, epochs, rng, **kw) -> model``:
``layers`` the checked list of ``Linear`` (sizes chaining, ``layers[0].in_features ==
X.shape[1]``), ``X`` the checked float data; it must write every layer's ``weight`` and
``bias`` in place and return the fitted model (whatever it is).

``"rbm"``: a deep belief network (:class:`energy.models.DBN`) of Bernoulli RBMs, each RBM's
Wᵀ and hidden bias copied into its layer. A layer so initialised, followed by a sigmoid,
computes its RBM's p(h = 1 | v); :func:`mlp_from_dbn` builds that network (the default
``activation="sigmoid"`` matches the RBMs; another activation keeps the weights but not that
meaning).

Examples
--------
>>> import numpy as np
>>> from neural import Linear, Sigmoid, Sequential
>>> X = np.random.default_rng(0).random((60, 8))
>>> net = Sequential(Linear(8, 6, rng=0), Sigmoid(), Linear(6, 4, rng=1), Sigmoid(),
...                  Linear(4, 3, rng=2))
>>> dbn = pretrain([net[0], net[2]], X, epochs=2, rng=0, batch_size=10)
>>> bool(np.allclose(net[0].weight.data, dbn.rbms[0].components_))
True
>>> "rbm" in PRETRAINERS
True
"""

from __future__ import annotations

import numpy as np

from energy.models import DBN
from pgm.runtime import check_array, check_finite, check_scalar

from .layers import Identity, Linear, ReLU, Sequential, Sigmoid, Tanh
from .module import Module

__all__ = ["pretrain", "register_pretrainer", "PRETRAINERS", "mlp_from_dbn"]

#: name → pretraining function ``fn(layers, X, *, epochs, rng, **kw) -> model``
PRETRAINERS = {}


def register_pretrainer(name, fn=None):
    """Add a pretraining method under ``name`` (usable as a decorator).

    Parameters
    ----------
    name : str
    fn : callable ``fn(layers, X, *, epochs, rng, **kw) -> model``
        It must copy the learned encoder weights into ``layers`` in place.

    Returns
    -------
    fn (or a decorator when ``fn`` is None)
    """
    if not isinstance(name, str) or not name:
        raise TypeError(f"name: expected a non-empty str, got {name!r}")

    def add(f):
        if not callable(f):
            raise TypeError(f"fn: expected a callable, got {type(f).__name__}")
        PRETRAINERS[name] = f
        return f
    return add if fn is None else add(fn)


def _linear_stack(layers):
    if isinstance(layers, Linear):
        mods = [layers]
    elif isinstance(layers, Sequential):
        mods = list(layers)
        for i, m in enumerate(mods):
            if not isinstance(m, Linear) and m.parameters():
                raise TypeError(f"layers: the Sequential's module {i} ({type(m).__name__}) has "
                                f"parameters but is not a Linear; pass the Linear layers as a "
                                f"list")
        mods = [m for m in mods if isinstance(m, Linear)]
    elif isinstance(layers, (list, tuple)):
        mods = list(layers)
        for i, m in enumerate(mods):
            if not isinstance(m, Linear):
                raise TypeError(f"layers: entry {i} must be a neural.Linear, got "
                                f"{type(m).__name__}")
    else:
        raise TypeError(f"layers: expected a list of Linear layers or a Sequential, got "
                        f"{type(layers).__name__}")
    if not mods:
        raise ValueError("layers: expected at least one Linear layer, got none")
    for i in range(1, len(mods)):
        if mods[i].in_features != mods[i - 1].out_features:
            raise ValueError(f"layers: layer {i} has in_features={mods[i].in_features} but "
                             f"layer {i - 1} has out_features={mods[i - 1].out_features}; the "
                             f"sizes must chain")
    return mods


def pretrain(layers, X, *, method="rbm", epochs=10, rng=None, **kw):
    """Pretrain a stack of ``Linear`` layers greedily on unlabelled X; weights set in place.

    Parameters
    ----------
    layers : list of Linear, or Sequential
        The stack, bottom first (``Linear(n_features, h1)``, ``Linear(h1, h2)``, ...); a
        Sequential's Linear children are all taken (pass the hidden layers alone to leave an
        output layer out).
    X : ndarray of shape (n_samples, n_features)
        Unlabelled data; for ``"rbm"`` values in [0, 1].
    method : str or callable, default "rbm"
        A name in :data:`PRETRAINERS` or a pretraining function (see the module docstring).
    epochs : int, default 10
        Training epochs per layer.
    rng : None, int or numpy.random.Generator
    **kw
        Passed to the method. ``"rbm"``: :class:`energy.models.BernoulliRBM` parameters
        (``k``, ``learning_rate``, ``batch_size``, ``sparsity_target``, ...) and ``visible``
        (default "probability": the first RBM reads the data as probabilities of a one).

    Returns
    -------
    The method's fitted model (``"rbm"``: the :class:`energy.models.DBN`).
    """
    mods = _linear_stack(layers)
    if isinstance(method, str):
        if method not in PRETRAINERS:
            raise ValueError(f"method: unknown pretraining method {method!r}; known: "
                             f"{', '.join(repr(k) for k in sorted(PRETRAINERS))} (or a callable)")
        fn = PRETRAINERS[method]
    elif callable(method):
        fn = method
    else:
        raise TypeError(f"method: expected a method name or a callable, got "
                        f"{type(method).__name__}")
    check_scalar(epochs, "epochs", low=1, integer=True)
    X = check_array(X, "X", ndim=2, dtype_kind="biuf")
    check_finite(X, "X")
    if X.shape[1] != mods[0].in_features:
        raise ValueError(f"X: the first layer has in_features={mods[0].in_features}, got "
                         f"{X.shape[1]} features")
    return fn(mods, X, epochs=int(epochs), rng=rng, **kw)


@register_pretrainer("rbm")
def _pretrain_rbm(layers, X, *, epochs, rng, visible="probability", **kw):
    """A DBN with the layers' sizes; RBM i's Wᵀ and hidden bias go into layer i."""
    sizes = [layers[0].in_features] + [m.out_features for m in layers]
    dbn = DBN(sizes, visible=visible, n_iter=epochs, random_state=rng, **kw).fit(X)
    for rbm, layer in zip(dbn.rbms, layers):
        rbm.init_linear(layer)
    return dbn


_ACTIVATIONS = {"sigmoid": Sigmoid, "tanh": Tanh, "relu": ReLU, "identity": Identity}


def mlp_from_dbn(dbn, n_classes=None, *, activation="sigmoid", rng=None, dtype=None):
    """``Sequential(Linear, act, ..., Linear, act[, Linear(top, n_classes)])`` from a DBN.

    Each hidden ``Linear`` gets its RBM's Wᵀ and hidden bias. With ``activation="sigmoid"``
    (the default) hidden layer i computes exactly RBM i's p(h = 1 | v), so the network's
    hidden features are ``dbn.transform``'s; another activation keeps the weights only.

    Parameters
    ----------
    dbn : energy.models.DBN, fitted
    n_classes : int, optional
        Adds an output ``Linear(sizes[-1], n_classes)`` with the default random init
        (U(±1/√in)), no activation after it (logits). None: the feature stack alone.
    activation : {"sigmoid", "tanh", "relu", "identity"} or callable returning a Module
    rng : None, int or Generator
        For the output layer's init (the hidden layers' random init is overwritten).
    dtype : float dtype, default the DBN's (float64 unless its RBMs were set otherwise)

    Returns
    -------
    Sequential
    """
    if not isinstance(dbn, DBN):
        raise TypeError(f"dbn: expected an energy.models.DBN, got {type(dbn).__name__}")
    if isinstance(activation, str):
        if activation not in _ACTIVATIONS:
            raise ValueError(f"activation: expected one of {sorted(_ACTIVATIONS)} or a callable "
                             f"returning a Module, got {activation!r}")
        make = _ACTIVATIONS[activation]
    elif callable(activation):
        make = activation
    else:
        raise TypeError(f"activation: expected a name or a callable, got "
                        f"{type(activation).__name__}")
    if n_classes is not None:
        check_scalar(n_classes, "n_classes", low=1, integer=True)
    arrays = dbn.pretrained_arrays()
    dt = np.dtype(arrays[0][0].dtype if dtype is None else dtype)
    mods = []
    for W, b in arrays:
        lin = Linear(W.shape[1], W.shape[0], dtype=dt)
        lin.weight.data[...] = W
        lin.bias.data[...] = b
        act = make()
        if not isinstance(act, Module):
            raise TypeError(f"activation: the callable must return a Module, got "
                            f"{type(act).__name__}")
        mods += [lin, act]
    if n_classes is not None:
        mods.append(Linear(arrays[-1][0].shape[0], int(n_classes), rng=rng, dtype=dt))
    return Sequential(*mods)
