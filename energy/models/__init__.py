"""Energy models on the one gradient engine and the one sampler: the :class:`EnergyModel`
base and generic contrastive divergence; the Ising model (ICM, Gibbs, annealing, mean field,
graph-cut MAP, parameters learned by maximum pseudo-likelihood); the restricted Boltzmann
machines — Bernoulli and Gaussian–Bernoulli (CD-k / PCD-k, AIS, exact log Z) — and deep
belief networks of them.
"""

from .base import EnergyModel, contrastive_divergence_loss
from .ising import METHODS, IsingModel, IsingResult, auto_parameters, estimate_noise_rate
from .ising_learning import fit_pseudo_likelihood, learn_parameters, log_pseudo_likelihood
from .plots import plot_filters, plot_samples
from .rbm import BernoulliRBM
from .gaussian_rbm import GaussianBernoulliRBM
from .dbn import DBN
from .rbm_sampling import AISResult, AnnealedRBMChains, RBMChains, exact_log_partition
from .potts import GridMRF, MRFResult, PottsModel, contrast_weights
from .potts_graphcut import ab_swap, alpha_expansion
from .potts_bp import loopy_bp

__all__ = [
    "EnergyModel", "contrastive_divergence_loss",
    "IsingModel", "IsingResult", "METHODS", "auto_parameters", "estimate_noise_rate",
    "fit_pseudo_likelihood", "learn_parameters", "log_pseudo_likelihood",
    "BernoulliRBM", "GaussianBernoulliRBM", "DBN", "RBMChains", "AnnealedRBMChains",
    "AISResult", "exact_log_partition", "plot_filters", "plot_samples",
    "GridMRF", "PottsModel", "MRFResult", "contrast_weights", "alpha_expansion", "ab_swap",
    "loopy_bp",
]
