"""Warm-ups of pgm's numba kernels, registered for ``pgm-energy warmup``
(:func:`pgm.runtime.jit.register_warm`): each runs a public entry point on a small problem
with the kernels forced on, which compiles them with the types the library uses (and fills
numba's cache).
"""

from __future__ import annotations

import numpy as np

from .bayesnet import BayesianNetwork
from .cpd import TabularCPD
from .inference import JunctionTree
from .learning import fit_mle
from .runtime.jit import jit_policy, register_warm
from .sampling import forward_sample

__all__: list = []


def _network():
    bn = BayesianNetwork([("A", "B"), ("A", "C"), ("B", "D"), ("C", "D")])
    bn.add_cpds(TabularCPD("A", 2, [0.4, 0.6]),
                TabularCPD("B", 2, [[0.2, 0.7], [0.8, 0.3]], ["A"], [2]),
                TabularCPD("C", 2, [[0.5, 0.9], [0.5, 0.1]], ["A"], [2]),
                TabularCPD("D", 2, [[1.0, 0.1, 0.1, 0.01], [0.0, 0.9, 0.9, 0.99]],
                           ["B", "C"], [2, 2]))
    return bn


def _junction_tree():
    with jit_policy("always"):
        jt = JunctionTree(_network())
        jt.marginals({"D": 1})
        jt.log_evidence({"D": 1})


def _forward_sample():
    with jit_policy("always"):
        forward_sample(_network(), 8, rng=0)


def _fit_mle():
    bn = _network()
    with jit_policy("always"):
        fit_mle(bn, np.zeros((4, 4), dtype=np.int64), pseudo_count=1.0)


register_warm("pgm.inference._order_kernels.greedy_elimination", _junction_tree)
register_warm("pgm.inference._jt_kernels.calibrate_flat", _junction_tree)
register_warm("pgm._sampling_kernels.draw_node", _forward_sample)
register_warm("pgm._sampling_kernels.family_counts", _fit_mle)
