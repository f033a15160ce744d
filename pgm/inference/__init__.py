"""Inference on discrete Bayesian networks and Markov networks (the same engines take both).

* :class:`VariableElimination` (:mod:`pgm.inference.ve`) — P(Q | e) for any set of query
  variables and MAP (max-product) assignments, on the network pruned to what the query needs.
* :class:`JunctionTree` (:mod:`pgm.inference.junction_tree`) — compiled once; every
  single-node posterior marginal from one calibration (a numba kernel,
  :mod:`pgm.inference._jt_kernels`).
* :class:`LoopyBP` (:mod:`pgm.inference.bp`) — approximate marginals and MAP by loopy belief
  propagation on the factor graph (exact on trees).
* :func:`elimination_order` (:mod:`pgm.inference.orders`) — the greedy heuristics (min-fill,
  min-degree, min-weight) on any undirected graph, e.g. the moral graph of
  :func:`moral_adjacency`.

Impossible evidence (probability zero) raises :class:`ImpossibleEvidenceError` (a
``ValueError``, defined in :mod:`pgm.errors`); no result is ever NaN. A query or a
triangulation that would build a table of more than ``max_table_entries`` entries (an
argument of both engines) raises :class:`TableTooLargeError` before allocating it.

Examples
--------
>>> from pgm.bayesnet import BayesianNetwork
>>> from pgm.cpd import TabularCPD
>>> bn = BayesianNetwork([("Rain", "Wet")])
>>> bn.add_cpds(TabularCPD("Rain", 2, [0.8, 0.2]),
...             TabularCPD("Wet", 2, [[0.9, 0.1], [0.1, 0.9]], ["Rain"], [2]))
>>> VariableElimination(bn).query(["Rain"], {"Wet": 1}).values.round(4).tolist()
[0.3077, 0.6923]
>>> JunctionTree(bn).marginals({"Wet": 1})["Rain"].round(4).tolist()
[0.3077, 0.6923]
>>> elimination_order(moral_adjacency({"Rain": (), "Wet": ("Rain",)}))
['Rain', 'Wet']
"""

from ..errors import ImpossibleEvidenceError, TableTooLargeError
from .junction_tree import JunctionTree
from .orders import elimination_order, moral_adjacency
from .ve import VariableElimination
from .bp import BPReport, LoopyBP

__all__ = ["VariableElimination", "JunctionTree", "elimination_order", "moral_adjacency",
           "ImpossibleEvidenceError", "TableTooLargeError", "LoopyBP", "BPReport"]
