"""A deep belief network: a stack of Bernoulli RBMs trained greedily, layer by layer.

Hinton, Osindero & Teh (2006): the first RBM models the data; each next RBM models the
hidden features of the one below,

    X⁽⁰⁾ = X,     RBMᵢ.fit(X⁽ⁱ⁾),     X⁽ⁱ⁺¹⁾ = p(h = 1 | X⁽ⁱ⁾) under RBMᵢ  (``RBMᵢ.transform``).

The upper RBMs read the probabilities p(h | v), not binary draws of h (as Hinton's code does):
the data they see is then deterministic given the lower layers, and is exactly what
:meth:`DBN.transform` — and a sigmoid network initialised from the stack — computes. So every
RBM above the first has ``visible="probability"`` (values in [0, 1]); the first reads the data
as ``visible`` says.

The stack initialises a feedforward network: RBMᵢ gives the weight Wᵢᵀ (out, in) and the hidden
bias of a ``Linear(n_i, n_{i+1})`` layer (:meth:`DBN.pretrained_arrays`); followed by a
sigmoid, that layer computes RBMᵢ's p(h | v). ``neural.pretrain`` builds such networks (this
package does not import ``neural``).

Example
-------
>>> import numpy as np
>>> X = (np.random.default_rng(0).random((100, 12)) < 0.3).astype(float)
>>> dbn = DBN([12, 8, 4], n_iter=3, batch_size=10, random_state=0).fit(X)
>>> dbn.transform(X).shape
(100, 4)
>>> [(W.shape, b.shape) for W, b in dbn.pretrained_arrays()]
[((8, 12), (8,)), ((4, 8), (4,))]
"""

from __future__ import annotations

import numpy as np

from pgm.runtime import check_array, check_rng

from energy.models.rbm import BernoulliRBM

__all__ = ["DBN"]


def _check_sizes(sizes):
    if isinstance(sizes, (str, bytes)) or not hasattr(sizes, "__len__"):
        raise TypeError(f"layers: expected a list of layer sizes (ints) or of BernoulliRBMs, "
                        f"got {type(sizes).__name__}")
    out = []
    for i, s in enumerate(sizes):
        if isinstance(s, bool) or not isinstance(s, (int, np.integer)):
            raise TypeError(f"layers: entry {i} must be an int layer size, got "
                            f"{type(s).__name__} ({s!r})")
        if s < 1:
            raise ValueError(f"layers: every size must be >= 1, got {int(s)} at entry {i}")
        out.append(int(s))
    if len(out) < 2:
        raise ValueError(f"layers: expected at least two sizes (visible, hidden...), got {out}")
    return out


def _fitted(rbm):
    return hasattr(rbm, "components_")


class DBN:
    """Deep belief network: BernoulliRBMs stacked and trained greedily.

    Parameters
    ----------
    layers : list of int, or list of BernoulliRBM
        Sizes ``[n_features, h_1, ..., h_L]`` (L ≥ 1 RBMs ``n_features → h_1``, ``h_1 → h_2``,
        ...), built with ``rbm_params``; or the RBMs themselves (their own parameters, used as
        given; ``rbm_params`` must then be empty and ``visible`` is not applied). The RBMs'
        hidden sizes must chain: an RBM already fitted must have ``n_features_in_`` equal to
        the hidden size of the one below.
    visible : {"binary", "probability"}, default "binary"
        The first RBM's visible mode (the data); every upper RBM reads probabilities.
    random_state : None, int or numpy.random.Generator
        One seed per RBM is drawn from it at :meth:`fit` (for RBMs built from sizes), so each
        layer can be refitted alone: ``rbms[i].random_state`` holds it after the fit.
    **rbm_params
        Passed to every :class:`BernoulliRBM` built from sizes (``n_iter``, ``k``,
        ``learning_rate``, ``sparsity_target``, ...).

    Attributes
    ----------
    rbms : list of BernoulliRBM
        The stack, bottom first.
    sizes : list of int
        ``[n_features, h_1, ..., h_L]`` (n_features is None before :meth:`fit` when built
        from unfitted RBMs).
    """

    def __init__(self, layers, *, visible="binary", random_state=None, **rbm_params):
        if visible not in ("binary", "probability"):
            raise ValueError(f"visible: expected 'binary' or 'probability', got {visible!r}")
        self.visible = visible
        self.random_state = random_state
        seq = list(layers) if isinstance(layers, (list, tuple)) else layers
        if isinstance(seq, list) and seq and all(isinstance(r, BernoulliRBM) for r in seq):
            if rbm_params:
                raise ValueError(f"rbm_params: the RBMs are given, so no RBM parameters may be "
                                 f"passed, got {sorted(rbm_params)}")
            self.rbms = seq
            self._seeded = [False] * len(seq)
            first = seq[0].n_features_in_ if _fitted(seq[0]) else None
            self.sizes = [first] + [int(r.n_components) for r in seq]
            for i in range(1, len(seq)):
                if seq[i].visible != "probability":
                    raise ValueError(f"layers: RBM {i} reads the probabilities p(h | v) of RBM "
                                     f"{i - 1}, so it needs visible='probability', got "
                                     f"{seq[i].visible!r}")
                if _fitted(seq[i]) and seq[i].n_features_in_ != self.sizes[i]:
                    raise ValueError(f"layers: RBM {i} was fitted on {seq[i].n_features_in_} "
                                     f"visible units but RBM {i - 1} has {self.sizes[i]} hidden "
                                     f"units; the sizes must chain")
            return
        if isinstance(seq, list) and any(isinstance(r, BernoulliRBM) for r in seq):
            raise TypeError(f"layers: expected all ints (sizes) or all BernoulliRBMs, got "
                            f"{[type(r).__name__ for r in seq]}")
        self.sizes = _check_sizes(seq)
        self.rbms = [BernoulliRBM(h, visible=visible if i == 0 else "probability", **rbm_params)
                     for i, h in enumerate(self.sizes[1:])]
        self._seeded = [True] * len(self.rbms)

    def __len__(self):
        return len(self.rbms)

    def __repr__(self):
        return f"DBN({self.sizes})"

    def _check_fitted(self):
        if not all(_fitted(r) for r in self.rbms):
            raise ValueError("this DBN is not fitted yet: call fit first")

    def fit(self, X, y=None):
        """Greedy layer-wise training: RBM i is fitted on the features of RBMs 0..i−1.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            Unlabelled data (binary, or in [0, 1] with ``visible="probability"``).

        Returns
        -------
        self
        """
        X = check_array(X, "X", ndim=2, dtype_kind="biuf")
        if self.sizes[0] is not None and X.shape[1] != self.sizes[0]:
            raise ValueError(f"X: the DBN's first layer has {self.sizes[0]} visible units, got "
                             f"{X.shape[1]} features")
        gen = check_rng(self.random_state)
        seeds = gen.integers(0, 2**63, size=len(self.rbms))
        data = X
        for i, rbm in enumerate(self.rbms):
            if self._seeded[i]:
                rbm.random_state = int(seeds[i])
            rbm.fit(data)
            data = rbm.transform(data)
        self.sizes[0] = int(X.shape[1])
        return self

    def transform(self, X, n_layers=None):
        """The top features p(h_L = 1 | ...) (each layer's p(h | v) fed to the next).

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
        n_layers : int, optional
            Stop after this many RBMs (default: all).

        Returns
        -------
        ndarray of shape (n_samples, sizes[n_layers])
        """
        self._check_fitted()
        L = len(self.rbms) if n_layers is None else n_layers
        if isinstance(L, bool) or not isinstance(L, (int, np.integer)) or not 0 <= L <= len(self):
            raise ValueError(f"n_layers: expected an int in [0, {len(self)}], got {n_layers!r}")
        out = check_array(X, "X", ndim=2, dtype_kind="biuf")
        for rbm in self.rbms[:L]:
            out = rbm.transform(out)
        return out

    def pretrained_arrays(self):
        """[(weight, bias), ...] bottom first, to initialise ``Linear(sizes[i], sizes[i+1])``:
        weight = Wᵢᵀ of shape (out, in) and bias = the hidden bias (out,), copies."""
        self._check_fitted()
        return [rbm.pretrained_arrays() for rbm in self.rbms]
