"""The base shared by the exact-inference engines: a validated, plain-dict snapshot of the
network (:class:`_Compiled`, rebuilt whenever the network changes) and the checks of query
variables (:class:`_Engine`).

Examples
--------
>>> from pgm.bayesnet import BayesianNetwork
>>> from pgm.cpd import TabularCPD
>>> bn = BayesianNetwork([("Rain", "Wet")])
>>> bn.add_cpds(TabularCPD("Rain", 2, [0.8, 0.2]),
...             TabularCPD("Wet", 2, [[0.9, 0.1], [0.1, 0.9]], ["Rain"], [2]))
>>> c = _Compiled(bn)
>>> c.order, c.parents["Wet"], c.children["Rain"]
(['Rain', 'Wet'], ('Rain',), ['Wet'])
>>> _Engine(bn)._variables("Wet")
['Wet']
>>> _Engine("not a network")
Traceback (most recent call last):
...
TypeError: model: expected a BayesianNetwork, got str
"""

from __future__ import annotations

import numpy as np

from ..bayesnet import BayesianNetwork

__all__: list = []

_add = np.add.reduce  # ndarray.sum without the Python wrapper (hot in elimination and calibration)


class _Compiled:
    """Plain-dict snapshot of a validated network (rebuilt when the network changes)."""

    def __init__(self, model):
        model.check_model()
        self.version = model._version
        self.nodes = model.nodes
        self.parents = {v: model.get_cpd(v).parents for v in self.nodes}
        self.tables = {v: model.get_cpd(v).table for v in self.nodes}
        self.cards = {v: model.get_cpd(v).cardinality for v in self.nodes}
        self.names = {v: model.get_cpd(v).state_names[v] for v in self.nodes}
        self.children = {v: [] for v in self.nodes}
        for v in self.nodes:
            for p in self.parents[v]:
                self.children[p].append(v)
        self.order = model.topological_order()
        self.global_rank = None
        self.global_width = 0.0
        self.topo_rank = {v: i for i, v in enumerate(self.order)}


class _Engine:
    """Base of the exact engines: the model check, the compiled snapshot kept up to date, and
    the validation of query variables."""

    def __init__(self, model):
        if not isinstance(model, BayesianNetwork):
            raise TypeError(f"model: expected a BayesianNetwork, got {type(model).__name__}")
        self.model = model
        self._c = _Compiled(model)

    def _compiled(self):
        if self._c.version != self.model._version:  # the network changed: re-validate
            self._c = _Compiled(self.model)
            self._recompile()
        return self._c

    def _recompile(self):
        pass

    def _variables(self, variables, what="variables"):
        c = self._c
        if variables is None:
            raise ValueError(f"{what}: expected a list of variables, got None")
        if isinstance(variables, (str, bytes)) or not isinstance(variables, (list, tuple, set, frozenset)):
            variables = [variables]
        out = []
        for v in variables:
            if v not in c.cards:
                raise ValueError(f"{what}: {v!r} is not a variable of the network")
            if v in out:
                raise ValueError(f"{what}: {v!r} is given twice")
            out.append(v)
        if not out:
            raise ValueError(f"{what}: need at least one variable")
        return out
