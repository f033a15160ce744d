"""Energy models on the one sampler: the Ising model (ICM, Gibbs, annealing, mean field,
graph-cut MAP) and the Bernoulli restricted Boltzmann machine (CD-k / PCD-k, AIS, exact log Z).
"""

from .ising import METHODS, IsingModel, IsingResult, auto_parameters, estimate_noise_rate
from .rbm import AISResult, BernoulliRBM, RBMChains, plot_filters, plot_samples

__all__ = ["IsingModel", "IsingResult", "METHODS", "auto_parameters", "estimate_noise_rate",
           "BernoulliRBM", "RBMChains", "AISResult", "plot_filters", "plot_samples"]
