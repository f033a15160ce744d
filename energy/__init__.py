"""Energies, their gradients and their samples.

- :mod:`energy.autodiff` — the one reverse-mode gradient engine (:class:`Tensor`, ops, losses,
  :func:`gradcheck`);
- :mod:`energy.optim` — the optimisers every model steps with;
- :mod:`energy.sampling` — the one block-Gibbs sampler (ICM at T = 0, annealing);
- :mod:`energy.models` — the Ising model and the restricted Boltzmann machine;
- :mod:`energy.images` — binary images, noise, error rates and exact graph-cut MAP.

>>> from energy import IsingModel, load_example, add_flip_noise, error_rate
>>> clean = load_example("horse")
>>> y = add_flip_noise(clean, 0.1, rng=0)
>>> error_rate(IsingModel(y, beta=1.0, eta=2.1).graphcut().x, clean) < 0.01
True
"""

from .autodiff import Parameter, Tensor, gradcheck, no_grad
from .images import (add_flip_noise, error_rate, ising_map_graphcut, load_example, read_image,
                     write_png)
from .models import AISResult, BernoulliRBM, IsingModel, IsingResult, auto_parameters
from .optim import SGD, Adam, CosineLR, ReversibleSGD, StepLR, clip_grad_norm
from .sampling import (BayesNetGibbs, SamplerResult, block_gibbs, gibbs_marginals,
                       temperature_schedule)
from . import _warmup  # noqa: F401  (registers the kernels' warm-ups for pgm-energy warmup)

__all__ = [
    "Tensor", "Parameter", "no_grad", "gradcheck", "SGD", "Adam", "StepLR", "CosineLR",
    "clip_grad_norm", "ReversibleSGD", "block_gibbs", "temperature_schedule", "SamplerResult",
    "BayesNetGibbs", "gibbs_marginals",
    "IsingModel", "IsingResult", "auto_parameters", "BernoulliRBM", "AISResult",
    "load_example", "read_image", "write_png", "add_flip_noise", "error_rate",
    "ising_map_graphcut",
]
