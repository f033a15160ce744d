"""Energy models on the one sampler: the Ising model (ICM, Gibbs, annealing, mean field,
graph-cut MAP) and the Bernoulli restricted Boltzmann machine (CD-k / PCD-k, AIS, exact log Z).
"""

from .base import EnergyModel, contrastive_divergence_loss
from .ising import METHODS, IsingModel, IsingResult, auto_parameters, estimate_noise_rate
from .plots import plot_filters, plot_samples
from .rbm import BernoulliRBM
from .gaussian_rbm import GaussianBernoulliRBM
from .rbm_sampling import AISResult, RBMChains, exact_log_partition

__all__ = ["EnergyModel", "contrastive_divergence_loss", "IsingModel", "IsingResult", "METHODS", "auto_parameters", "estimate_noise_rate",
           "BernoulliRBM", "GaussianBernoulliRBM", "RBMChains", "AISResult", "exact_log_partition", "plot_filters",
           "plot_samples"]
