"""The RBM's chains on the one sampler, and its partition function (exact and AIS result).

:class:`RBMChains` is a batch of Gibbs chains of a fitted :class:`~energy.models.BernoulliRBM`
as a model of :func:`energy.sampling.block_gibbs` (blocks ``("h", "v")``);
:func:`exact_log_partition` sums out the smaller layer exactly; :class:`AISResult` holds an
annealed-importance-sampling estimate (``BernoulliRBM.ais``).

>>> import numpy as np
>>> W = np.zeros((3, 4)); a = np.zeros(3); b = np.zeros(4)
>>> abs(exact_log_partition(W, b, a) - 7 * float(np.log(2))) < 1e-12
True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import logsumexp

from pgm.runtime import check_rng, softplus, threads_for

from energy.models import _rbm_kernels as K

__all__ = ["RBMChains", "AISResult", "exact_log_partition"]

_EMPTY = {np.dtype(np.float64): np.empty((0, 0)), np.dtype(np.float32): np.empty((0, 0), np.float32)}


def _seed(gen) -> int:
    return int(gen.integers(0, 2**63))



@dataclass
class AISResult:
    """An annealed-importance-sampling estimate of log Z.

    Attributes
    ----------
    log_z : float
        log of the mean importance weight times Z of the base model.
    stderr : float
        Standard error of ``log_z`` (delta method: sd(w) / (mean(w) √M)).
    log_weights : ndarray of shape (n_runs,)
    log_z_base : float
    """

    log_z: float
    stderr: float
    log_weights: np.ndarray
    log_z_base: float


class RBMChains:
    """A batch of Gibbs chains of an RBM as a model of :func:`energy.sampling.block_gibbs`.

    The state is a dict ``{"v": (n, V), "h": (n, H)}`` of 0/1 floats; the blocks are
    ``("h", "v")``: a sweep draws h ~ p(h | v), then v ~ p(v | h) (each chain's units of a
    layer are conditionally independent, so a layer is one block). At temperature T the
    conditionals are σ(x / T); T = 0 takes the more probable value (ties keep the current).
    ``state_energy`` is the total energy Σ_chains E(v, h).
    """

    blocks = ("h", "v")

    def __init__(self, rbm):
        rbm._check_fitted()
        self.rbm = rbm

    def initial_state(self, n_chains, rng=None):
        """Uniformly random visibles and zero hiddens for ``n_chains`` chains."""
        gen = check_rng(rng)
        V = self.rbm.n_features_in_
        return {"v": (gen.random((n_chains, V)) < 0.5).astype(self.rbm._dtype),
                "h": np.zeros((n_chains, self.rbm.components_.shape[0]), self.rbm._dtype)}

    def sample_block(self, state, block, temperature, rng):
        r = self.rbm
        if block == "h":
            x, bias, out = state["v"] @ r.components_.T, r.intercept_hidden_, state["h"]
        elif block == "v":
            x, bias, out = state["h"] @ r.components_, r.intercept_visible_, state["v"]
        else:
            raise ValueError(f"block: expected 'h' or 'v', got {block!r}")
        old = out.copy()
        with threads_for(out.size):
            self._draw(x, bias, out, temperature, rng)
        return int(np.count_nonzero(out != old))

    @staticmethod
    def _draw(x, bias, out, temperature, rng):
        if temperature == 0:
            z = x + bias
            out[...] = np.where(z > 0, 1, np.where(z < 0, 0, out))
        else:
            T = float(temperature)
            K.sample_layer(np.ascontiguousarray(x / T), (bias / T).astype(x.dtype), _seed(rng),
                           _EMPTY[x.dtype], out, 1.0)

    def state_energy(self, state):
        return float(self.rbm.energy(state["v"], state["h"]).sum())

    def observe(self, state):
        return state["v"]


def exact_log_partition(components, visible_bias, hidden_bias, max_units=24):
    """log Z of an RBM by summing out the smaller layer exactly.

    With H ≤ V: log Z = logsumexp_h [aᵀh + Σ_i softplus(b_i + (Wh)_i)] over all 2^H hidden
    states (and symmetrically over v when V < H), in chunks of 2^14 states.
    """
    C = np.asarray(components, np.float64)
    a = np.asarray(hidden_bias, np.float64)
    b = np.asarray(visible_bias, np.float64)
    H, V = C.shape
    if min(H, V) > max_units:
        raise ValueError(f"exact log Z: the smaller layer has {min(H, V)} units; enumeration "
                         f"is limited to {max_units} (2^{max_units} states): use method='ais'")
    if H <= V:
        n, W, own, other = H, C.T, a, b        # enumerate h: other-layer pre = W h + b
    else:
        n, W, own, other = V, C, b, a
    parts = []
    chunk = 1 << min(n, 14)
    bits = np.arange(n)
    for start in range(0, 1 << n, chunk):
        idx = np.arange(start, min(start + chunk, 1 << n))
        s = ((idx[:, None] >> bits) & 1).astype(np.float64)
        parts.append(logsumexp(s @ own + softplus(s @ W.T + other).sum(axis=1)))
    return float(logsumexp(parts))
