"""The RBM's chains on the one sampler, and its partition function (exact and AIS result).

:class:`RBMChains` is a batch of Gibbs chains of a fitted :class:`~energy.models.BernoulliRBM`
as a model of :func:`energy.sampling.block_gibbs` (blocks ``("h", "v")``);
:func:`exact_log_partition` sums out the smaller layer exactly; :class:`AnnealedRBMChains`
is the RBM between a base model (β = 0) and itself (β = 1) for annealed importance sampling
(``BernoulliRBM.ais``, :func:`energy.sampling.annealed_importance_sampling`).

>>> import numpy as np
>>> W = np.zeros((3, 4)); a = np.zeros(3); b = np.zeros(4)
>>> abs(exact_log_partition(W, b, a) - 7 * float(np.log(2))) < 1e-12
True
"""

from __future__ import annotations

import numpy as np

from pgm.runtime import check_rng, softplus, threads_for
from pgm.runtime.numerics import logsumexp
from pgm.runtime.jit import lazy_module, use_jit

from energy.models import _rbm_kernels_ref as R
from energy.sampling import AISResult

__all__ = ["RBMChains", "AnnealedRBMChains", "AISResult", "exact_log_partition"]

#: the numba kernels, loaded on the first problem big enough for them (pgm.runtime.jit)
K = lazy_module("energy.models._rbm_kernels")


def small_rbm(n, V, H=1) -> bool:
    """Whether work of ``n`` rows through ``V`` x ``H`` weights takes the numpy references
    (below the ``energy.rbm`` threshold of :func:`pgm.runtime.jit.use_jit`)."""
    return not use_jit("energy.rbm", n * V * H)

_EMPTY = {np.dtype(np.float64): np.empty((0, 0)), np.dtype(np.float32): np.empty((0, 0), np.float32)}


def _seed(gen) -> int:
    return int(gen.integers(0, 2**63))



class RBMChains:
    """A batch of Gibbs chains of an RBM as a model of :func:`energy.sampling.block_gibbs`.

    The state is a dict ``{"v": (n, V), "h": (n, H)}`` of 0/1 floats; the blocks are
    ``("h", "v")``: a sweep draws h ~ p(h | v), then v ~ p(v | h) (each chain's units of a
    layer are conditionally independent, so a layer is one block); ``blocks=("v", "h")``
    sweeps the other way (persistent chains kept as hidden states). At temperature T the
    conditionals are σ(x / T); T = 0 takes the more probable value (ties keep the current).
    ``state_energy`` is the total energy Σ_chains E(v, h). ``seeds`` fixes the 64-bit seed
    of each block update's counter-based draws, in order (the fused training kernel's
    seeds, so that both training paths make the same draws); by default each update takes
    one from the sampler's ``rng``.
    """

    def __init__(self, rbm, blocks=("h", "v"), seeds=None):
        rbm._check_fitted()
        self.rbm = rbm
        if sorted(blocks) != ["h", "v"]:
            raise ValueError(f"blocks: expected an order of 'h' and 'v', got {blocks!r}")
        self.blocks = tuple(blocks)
        # seeds: the draws' 64-bit seeds, one per block update, in order (the fused training
        # kernel's); None takes one from the sampler's rng per update
        self._seeds = None if seeds is None else iter(np.asarray(seeds, np.uint64).tolist())

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

    def _draw(self, x, bias, out, temperature, rng):
        if temperature == 0:
            z = x + bias
            out[...] = np.where(z > 0, 1, np.where(z < 0, 0, out))
        else:
            T = float(temperature)
            seed = _seed(rng) if self._seeds is None else next(self._seeds)
            if small_rbm(x.shape[0], *self.rbm.components_.shape):
                R.draw_layer_ref(x / T, (bias / T).astype(x.dtype), seed, out)
                return
            K.sample_layer(np.ascontiguousarray(x / T), (bias / T).astype(x.dtype), seed,
                           _EMPTY[x.dtype], out, 1.0)

    def state_energy(self, state):
        return float(self.rbm.energy(state["v"], state["h"]).sum())

    def chain_energies(self, state):
        """E(v, h) of each chain, shape (n_chains,) (for parallel tempering's exchanges)."""
        return self.rbm.energy(state["v"], state["h"])

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


class AnnealedRBMChains(RBMChains):
    """The RBM annealed from a base model, as a model of the sampler for AIS.

    p*_β(v, h) = exp((1−β) b_Aᵀv + β (vᵀWh + bᵀv + aᵀh)): at β = 0 the base model (W = 0,
    hidden bias 0, visible bias ``base_visible_bias``: independent units, exact log Z), at
    β = 1 the RBM. Summing h out, log p*_β(v) = (1−β) b_Aᵀv + β bᵀv + Σ_j
    softplus(β (Wᵀv + a)_j) (:meth:`log_pstar`). A sweep draws h then v from the
    conditionals at the current ``beta``; the state is ``{"v", "h"}`` as for
    :class:`RBMChains`.
    """

    def __init__(self, rbm, base_visible_bias, beta=0.0):
        super().__init__(rbm)
        self.base_visible_bias = np.asarray(base_visible_bias, np.float64)
        self.beta = float(beta)
        self._C = rbm.components_.astype(np.float64)
        self._a = rbm.intercept_hidden_.astype(np.float64)
        self._b = rbm.intercept_visible_.astype(np.float64)

    def log_z_base(self):
        """Exact log Z of the base model: Σ_i softplus(b_A,i) + H log 2."""
        return float(softplus(self.base_visible_bias).sum()
                     + self._C.shape[0] * np.log(2.0))

    def base_sample(self, n_runs, rng):
        """Exact draws from the base model: the state ``{"v", "h"}`` of ``n_runs`` runs."""
        V, H = self._b.size, self._C.shape[0]
        v = np.empty((n_runs, V))
        K.sample_layer(np.zeros((n_runs, V)), self.base_visible_bias, _seed(rng),
                       _EMPTY[np.dtype(np.float64)], v, 1.0)
        return {"v": v, "h": np.empty((n_runs, H))}

    def log_pstar(self, state, beta):
        v = state["v"]
        bA = self.base_visible_bias
        return ((1 - beta) * (v @ bA) + beta * (v @ self._b)
                + softplus(beta * (v @ self._C.T + self._a)).sum(1))

    def sample_block(self, state, block, temperature, rng):
        beta = self.beta
        if block == "h":
            x, bias, out = beta * (state["v"] @ self._C.T), beta * self._a, state["h"]
        elif block == "v":
            x = beta * (state["h"] @ self._C)
            bias, out = (1 - beta) * self.base_visible_bias + beta * self._b, state["v"]
        else:
            raise ValueError(f"block: expected 'h' or 'v', got {block!r}")
        with threads_for(out.size):
            self._draw(x, bias, out, temperature, rng)
        return 0

    def state_energy(self, state):
        return float(-self.log_pstar(state, self.beta).sum())

    def chain_energies(self, state):
        """The joint energy at ``beta`` of each chain, −log p*_β(v, h), shape (n_chains,)."""
        v, h, b = state["v"], state["h"], self.beta
        return -((1 - b) * (v @ self.base_visible_bias) + b * (
            np.einsum("nj,jv,nv->n", h, self._C, v) + v @ self._b + h @ self._a))
