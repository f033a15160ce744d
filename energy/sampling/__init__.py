"""The one block-Gibbs sampler: sweeps, annealing schedules and ICM (temperature 0) over any
model that can sample a block of its variables given the rest; Bayesian networks as such a
model (:class:`BayesNetGibbs`, :func:`gibbs_marginals`); annealed importance sampling
(:func:`annealed_importance_sampling`).

>>> from energy.sampling import temperature_schedule
>>> temperature_schedule(4.0, 1.0, 3).round(2).tolist()
[4.0, 2.0, 1.0]
"""

from .gibbs import SamplerResult, block_gibbs, temperature_schedule
from .bayesnet import BayesNetGibbs, gibbs_marginals
from .markov import MarkovNetGibbs
from .ais import AISResult, ais_schedule, annealed_importance_sampling
from .tempering import TemperingResult, parallel_tempering, swap_rows

__all__ = ["SamplerResult", "block_gibbs", "temperature_schedule", "BayesNetGibbs", "MarkovNetGibbs",
           "gibbs_marginals", "AISResult", "ais_schedule", "annealed_importance_sampling",
           "TemperingResult", "parallel_tempering", "swap_rows"]
