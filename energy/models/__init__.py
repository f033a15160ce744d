"""Energy models on the one sampler: the Ising model (ICM, Gibbs, annealing, mean field,
graph-cut MAP) and the Bernoulli restricted Boltzmann machine (CD-k / PCD-k, AIS, exact log Z).
"""

from .base import EnergyModel, contrastive_divergence_loss
from .ising import METHODS, IsingModel, IsingResult, auto_parameters, estimate_noise_rate
from .ising_learning import fit_pseudo_likelihood, learn_parameters, log_pseudo_likelihood
from .plots import plot_filters, plot_samples
from .rbm import BernoulliRBM
from .rbm_sampling import AISResult, RBMChains, exact_log_partition

__all__ = ["EnergyModel", "contrastive_divergence_loss", "IsingModel", "IsingResult", "METHODS", "auto_parameters", "estimate_noise_rate",
           "BernoulliRBM", "RBMChains", "AISResult", "exact_log_partition", "plot_filters",
           "plot_samples", "fit_pseudo_likelihood", "learn_parameters", "log_pseudo_likelihood"]
