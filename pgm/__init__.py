"""Graphs and probability: DAGs, factors, CPDs, Bayesian networks, exact inference, MRFs.

This layer knows nothing of :mod:`energy` or :mod:`neural`. For now it holds the input
checks and the random-number convention that every package of the library shares
(:func:`pgm.utils.check_rng`); the Bayesian-network core arrives with its own issue.
"""

from .utils import check_rng

__all__ = ["check_rng"]
__version__ = "0.1.0"
