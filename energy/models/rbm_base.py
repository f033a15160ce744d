"""What every restricted Boltzmann machine of the library shares: the parameters ``weight``
(H, V), ``hidden_bias`` (H,) and ``visible_bias`` (V,) as engine Parameters behind the
scikit-learn attributes, dtype conversion, the batch check, log-likelihood from log Z, the
bipartite graph and the copy into a ``Linear`` layer.

>>> from energy.models import BernoulliRBM, GaussianBernoulliRBM
>>> issubclass(BernoulliRBM, RBMBase) and issubclass(GaussianBernoulliRBM, RBMBase)
True
"""

from __future__ import annotations

import numpy as np

from pgm.runtime import check_scalar
from pgm.runtime.jit import nx

from energy.models.base import EnergyModel

__all__ = ["RBMBase"]


class RBMBase(EnergyModel):
    """Base of the RBM family (subclasses define the energy, the conditionals, training,
    ``pretrained_arrays`` and ``log_partition``)."""

    # the fitted parameters as scikit-learn's attributes: the Parameters' arrays (views, so
    # in-place updates by a fused kernel and by the optimisers are seen by both)
    @property
    def components_(self):
        """Wᵀ, ndarray of shape (n_components, n_features)."""
        return self._param("weight")

    @property
    def intercept_hidden_(self):
        """Hidden bias a, ndarray of shape (n_components,)."""
        return self._param("hidden_bias")

    @property
    def intercept_visible_(self):
        """Visible bias b, ndarray of shape (n_features,)."""
        return self._param("visible_bias")

    def _param(self, name):
        p = self._parameters.get(name)
        if p is None:
            raise AttributeError(f"{type(self).__name__} is not fitted yet (no {name})")
        return p.data

    def to(self, dtype):
        """Convert the parameters to ``dtype`` (float32 or float64); the optimiser's state and
        persistent chains are reset."""
        super().to(dtype)
        self.dtype = self._dtype = np.dtype(dtype)
        self._optim = None
        self._chains = None
        return self

    def _check_training_params(self):
        """The hyperparameters every RBM trains with (errors name the parameter)."""
        check_scalar(self.n_components, "n_components", low=1, integer=True)
        check_scalar(self.learning_rate, "learning_rate", low=0, low_inclusive=False)
        check_scalar(self.batch_size, "batch_size", low=1, integer=True)
        check_scalar(self.n_iter, "n_iter", low=1, integer=True)
        if isinstance(self.k, bool) or not isinstance(self.k, (int, np.integer)) or self.k < 1:
            raise ValueError(f"k: the number of Gibbs steps must be an int >= 1, got {self.k!r}")
        check_scalar(self.momentum, "momentum", low=0, high=1, high_inclusive=False)
        check_scalar(self.weight_decay, "weight_decay", low=0)

    def _check_dtype_optimizer(self):
        """The parameters' dtype (float32 or float64) and the ``optimizer`` choice."""
        dt = np.dtype(self.dtype)
        if dt not in (np.dtype(np.float64), np.dtype(np.float32)):
            raise ValueError(f"dtype: expected float64 or float32, got {dt}")
        if not (callable(self.optimizer) or self.optimizer in ("sgd", "adam")):
            raise ValueError(f"optimizer: expected 'sgd', 'adam' or a callable returning an "
                             f"Optimizer, got {self.optimizer!r}")
        return dt

    def _batch_size(self, n):
        """The batch size an epoch on ``n`` examples uses: ``batch_size``, or the whole set as
        one batch when it has fewer rows (as scikit-learn does)."""
        return min(int(self.batch_size), int(n))

    def log_likelihood(self, X, log_z=None):
        """log p(v) = −F(v) − log Z per row (nats; a density for real-valued visibles);
        log Z exact unless given."""
        if log_z is None:
            log_z = self.log_partition("exact")
        return -self.free_energy(X) - float(log_z)

    def _bipartite_graph(self, visible_attrs=None) -> nx.Graph:
        """Nodes ("v", i) (``bipartite`` 0, plus ``visible_attrs[i]``) and ("h", j)
        (``bipartite`` 1), an edge per weight with attribute ``weight``."""
        self._check_fitted()
        g = nx.Graph()
        Hn, V = self.components_.shape
        extra = visible_attrs or [{}] * V
        g.add_nodes_from((("v", i), {"bipartite": 0, **extra[i]}) for i in range(V))
        g.add_nodes_from((("h", j) for j in range(Hn)), bipartite=1)
        g.add_weighted_edges_from((("v", i), ("h", j), float(self.components_[j, i]))
                                  for j in range(Hn) for i in range(V))
        return g

    def init_linear(self, layer):
        """Copy :meth:`pretrained_arrays` into ``layer`` (an engine ``Linear(V, H)``) in
        place."""
        W, a = self.pretrained_arrays()
        if tuple(layer.weight.shape) != W.shape:
            raise ValueError(f"layer: expected a Linear with weight shape {W.shape} "
                             f"(out=n_components, in=n_features), got {tuple(layer.weight.shape)}")
        layer.weight.data[...] = W.astype(layer.weight.data.dtype)
        if getattr(layer, "bias", None) is not None:
            layer.bias.data[...] = a.astype(layer.bias.data.dtype)
        return layer
