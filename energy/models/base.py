"""``EnergyModel``: the base of the energy models, on the one gradient engine and the one
sampler.

An energy model defines p(x) ∝ exp(−E(x)); with latent units h summed out, the visible
units v have p(v) = exp(−F(v)) / Z with the free energy F(v) = −log Σ_h exp(−E(v, h)).
An :class:`EnergyModel` is a :class:`~energy.autodiff.Module`, so its parameters are found
by attribute, saved with ``state_dict`` / ``save`` / ``load``, converted with ``to(dtype)``
and stepped by any optimiser of :mod:`energy.optim`. A subclass provides

- ``free_energy(v)``: for a :class:`~energy.autodiff.Tensor` ``v`` of shape (n, V), a Tensor
  of shape (n,) computed on the engine (so its gradient with respect to the parameters is
  the engine's);
- ``chains(...)``: a model of the one sampler, :func:`energy.sampling.block_gibbs`
  (``blocks``, ``sample_block(state, block, T, rng)``, ``state_energy(state)``, ``observe``);
- ``to_networkx()``.

Contrastive divergence is then generic (:func:`contrastive_divergence_loss`): the loss
mean F(v_data) − mean F(v_model), with v_model from k sweeps of the sampler started at the
data (CD-k) or at persistent chains (PCD-k); its gradient is the usual CD update.

Examples
--------
>>> import numpy as np
>>> from energy.autodiff import Parameter, Tensor
>>> class Biases(EnergyModel):              # independent units: F(v) = −bᵀv
...     def __init__(self, n):
...         super().__init__()
...         self.b = Parameter(np.zeros(n))
...     def free_energy(self, v):
...         return -(v @ self.b)
>>> m = Biases(3)
>>> v_data, v_model = np.array([[1.0, 1.0, 0.0]]), np.array([[0.0, 1.0, 1.0]])
>>> loss = contrastive_divergence_loss(m, v_data, v_model)
>>> loss.backward()
>>> m.b.grad.tolist()                      # −v_data + v_model
[-1.0, 0.0, 1.0]
"""

from __future__ import annotations

import numpy as np

from energy.autodiff import Module, Tensor

__all__ = ["EnergyModel", "contrastive_divergence_loss"]


class EnergyModel(Module):
    """Base class of the energy models (see the module docstring for the protocol)."""

    def free_energy(self, v):  # pragma: no cover - abstract
        raise NotImplementedError(f"{type(self).__name__} must implement free_energy(v)")

    def forward(self, v):
        """The free energy of each row of ``v`` (a Tensor): calling the model gives F(v)."""
        return self.free_energy(v if isinstance(v, Tensor) else Tensor(np.asarray(v)))

    def to_networkx(self, *args, **kwargs):  # pragma: no cover - abstract
        raise NotImplementedError(f"{type(self).__name__} must implement to_networkx()")


def contrastive_divergence_loss(model, v_data, v_model) -> Tensor:
    """mean F(v_data) − mean F(v_model) as a Tensor on the engine.

    Its gradient with respect to the parameters is the contrastive-divergence update (the
    positive phase at the data, the negative phase at the model's samples; the samples are
    constants). ``v_data`` (n, V) and ``v_model`` (m, V) are arrays or Tensors without
    gradient.
    """
    vd = v_data if isinstance(v_data, Tensor) else Tensor(np.asarray(v_data))
    vm = v_model if isinstance(v_model, Tensor) else Tensor(np.asarray(v_model))
    if vd.requires_grad or vm.requires_grad:
        raise ValueError("v_data, v_model: samples are constants of the loss; pass arrays or "
                         "tensors that do not require gradients")
    if vd.ndim != 2 or vm.ndim != 2 or vd.shape[1] != vm.shape[1]:
        raise ValueError(f"v_data, v_model: expected 2-D batches with the same number of "
                         f"columns, got shapes {vd.shape} and {vm.shape}")
    return model.free_energy(vd).mean() - model.free_energy(vm).mean()
