"""Graphs and probability: DAGs, factors, CPDs, Bayesian networks, exact inference, sampling, BIF.

This layer knows nothing of :mod:`energy` or :mod:`neural`. It holds the input checks and the
random-number convention that every package of the library shares (:func:`pgm.runtime.checks.check_rng`)
and the Bayesian-network core:

>>> from pgm import BayesianNetwork, TabularCPD, VariableElimination
>>> bn = BayesianNetwork([("Rain", "Wet")])
>>> bn.add_cpds(TabularCPD("Rain", 2, [0.8, 0.2]),
...             TabularCPD("Wet", 2, [[0.9, 0.1], [0.1, 0.9]], ["Rain"], [2]))
>>> VariableElimination(bn).query("Rain", {"Wet": 1}).values.round(3).tolist()
[0.308, 0.692]
"""

from .bayesnet import BayesianNetwork, LinearGaussianBayesianNetwork, NormalizationReport
from .io import BIFError, dumps_bif, loads_bif, read_bif, read_xmlbif, write_bif, write_xmlbif
from .cpd import LinearGaussianCPD, TabularCPD
from .dag import DAG
from .factor import DiscreteFactor, factor_product
from .errors import ImpossibleEvidenceError, TableTooLargeError
from .inference import JunctionTree, LoopyBP, VariableElimination, elimination_order
from .markov import MarkovNetwork
from .learning import fit_mle
from .sampling import (forward_sample, likelihood_weighted_marginals, likelihood_weighting,
                       rejection_sample)
from .runtime import check_rng
from . import _warmup  # noqa: F401  (registers the kernels' warm-ups for pgm-energy warmup)

__all__ = [
    "check_rng", "DAG", "DiscreteFactor", "factor_product", "TabularCPD", "LinearGaussianCPD",
    "BayesianNetwork", "LinearGaussianBayesianNetwork", "NormalizationReport",
    "VariableElimination", "JunctionTree", "elimination_order", "ImpossibleEvidenceError",
    "TableTooLargeError", "MarkovNetwork", "LoopyBP",
    "forward_sample", "rejection_sample", "likelihood_weighting", "likelihood_weighted_marginals",
    "fit_mle", "read_bif", "write_bif", "loads_bif",
    "dumps_bif", "BIFError", "read_xmlbif", "write_xmlbif",
]
__version__ = "0.1.0"
