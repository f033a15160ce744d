"""Markov networks (undirected factor models) over discrete variables.

A stand-in with the constructor and attributes of the full class: it records the factors and
derives the variables and cardinalities, and validates nothing beyond what
:class:`~pgm.factor.DiscreteFactor` already checked.

Examples
--------
>>> from pgm.factor import DiscreteFactor
>>> mn = MarkovNetwork([DiscreteFactor(["A", "B"], [[1.0, 2.0], [3.0, 4.0]]),
...                     DiscreteFactor(["B", "C"], [[1.0, 1.0, 2.0], [2.0, 1.0, 1.0]])])
>>> mn.variables, mn.cardinality
(('A', 'B', 'C'), {'A': 2, 'B': 2, 'C': 3})
"""

from __future__ import annotations

__all__ = ["MarkovNetwork"]


class MarkovNetwork:
    """p(x) ∝ the product of ``factors``.

    Parameters
    ----------
    factors : list of DiscreteFactor
    state_names : dict, optional
        ``{variable: [names]}``; kept as given.

    Attributes
    ----------
    factors : list of DiscreteFactor
    variables : tuple
        Every variable of a factor, in order of first appearance.
    cardinality : dict
        ``{variable: number of states}``.
    """

    def __init__(self, factors, state_names=None):
        self.factors = list(factors)
        self.state_names = state_names
        self.cardinality = {}
        for f in self.factors:
            for v, c in zip(f.variables, f.values.shape):
                self.cardinality.setdefault(v, int(c))
        self.variables = tuple(self.cardinality)
