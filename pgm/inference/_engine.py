"""The base shared by the exact-inference engines: a validated, plain-dict snapshot of the
model as a list of factors (:class:`_Compiled`, rebuilt whenever the model changes), the
checks of query variables (:class:`_Engine`) and the bound on the size of the tables they
build (:func:`default_max_table_entries`, :meth:`_Engine._check_table`).

Both model kinds feed the same snapshot: a :class:`~pgm.bayesnet.BayesianNetwork` gives one
factor per node (its CPD, scope ``(node, *parents)``, keyed by the node; ``parents`` kept for
the pruning that only a directed model allows), a :class:`~pgm.markov.MarkovNetwork` its
factors (keyed by their index; ``parents`` is None). A model says which it is by the class
attribute ``_inference_kind`` ("directed" or "undirected"), so this module imports neither.

Examples
--------
>>> from pgm.bayesnet import BayesianNetwork
>>> from pgm.cpd import TabularCPD
>>> bn = BayesianNetwork([("Rain", "Wet")])
>>> bn.add_cpds(TabularCPD("Rain", 2, [0.8, 0.2]),
...             TabularCPD("Wet", 2, [[0.9, 0.1], [0.1, 0.9]], ["Rain"], [2]))
>>> c = _Compiled(bn)
>>> c.order, c.parents["Wet"], c.children["Rain"], c.scopes["Wet"]
(['Rain', 'Wet'], ('Rain',), ['Wet'], ('Wet', 'Rain'))
>>> _Engine(bn)._variables("Wet")
['Wet']
>>> _Engine("not a network")
Traceback (most recent call last):
...
TypeError: model: expected a BayesianNetwork or a MarkovNetwork, got str
>>> _Engine(bn, max_table_entries=2)._check_table("JunctionTree", ["Rain", "Wet"])
Traceback (most recent call last):
...
pgm.errors.TableTooLargeError: JunctionTree: a clique table over 2 variables ['Rain', 'Wet']
would hold 4 entries (32 B as float64), more than max_table_entries=2; ...
"""

from __future__ import annotations

import math
import os

import numpy as np

from ..dag import moral_adjacency
from ..errors import ImpossibleEvidenceError, TableTooLargeError

__all__: list = []

_add = np.add.reduce  # ndarray.sum without the Python wrapper (hot in elimination and calibration)

_CAP_ENTRIES = 1 << 27  # 1 GiB of float64: the default bound wherever memory is larger
_RAM_SHARE = 8  # else a table may take at most 1/8 of the machine's memory


def default_max_table_entries() -> int:
    """The default ``max_table_entries`` of the exact engines: the smaller of 2**27 entries
    (1 GiB of float64) and 1/8 of the total physical memory in float64 entries (2**27 when
    the memory size cannot be read).

    A table of that size is built in about a second; the engines hold a few tables of the
    largest size at once (factor and product, clique and message), so 1/8 of the memory
    leaves room for them and for the rest of the process.

    Examples
    --------
    >>> 0 < default_max_table_entries() <= 2 ** 27
    True
    """
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):  # no sysconf (Windows) or no such name
        return _CAP_ENTRIES
    if total <= 0:
        return _CAP_ENTRIES
    return int(max(1, min(_CAP_ENTRIES, total // _RAM_SHARE // 8)))


def _check_limit(value):
    """``max_table_entries`` checked (None: the default)."""
    if value is None:
        return default_max_table_entries()
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"max_table_entries: expected a positive integer or None, got {value!r}")
    return int(value)


def _bytes(n):
    """``n`` bytes in words (B, KiB, ... , EiB)."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if n < 1024:
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} EiB"


class _Compiled:
    """Plain-dict snapshot of a validated model (rebuilt when the model changes).

    ``scopes`` and ``tables``: ``{key: scope}`` and ``{key: table}`` of every factor (keys:
    the nodes of a Bayesian network, the factor indices of a Markov network); ``nodes`` the
    variables; ``order`` a topological order (directed) or the variables' order."""

    def __init__(self, model):
        model.check_model()
        self.version = model._version
        self.global_rank = None
        self.global_width = 0.0
        self._adj = None
        if model._inference_kind == "directed":
            self.directed = True
            self.nodes = model.nodes
            cpds = {v: model.get_cpd(v) for v in self.nodes}
            self.parents = {v: cpds[v].parents for v in self.nodes}
            self.tables = {v: cpds[v].table for v in self.nodes}
            self.scopes = {v: (v,) + self.parents[v] for v in self.nodes}
            self.cards = {v: cpds[v].cardinality for v in self.nodes}
            self.names = {v: cpds[v].state_names[v] for v in self.nodes}
            self.children = {v: [] for v in self.nodes}
            for v in self.nodes:
                for p in self.parents[v]:
                    self.children[p].append(v)
            self.order = model.topological_order()
        else:
            self.directed = False
            self.nodes = tuple(model.variables)
            self.parents = self.children = None
            fs = model.factors
            self.tables = {i: f.values for i, f in enumerate(fs)}
            self.scopes = {i: f.variables for i, f in enumerate(fs)}
            self.cards = dict(model.cardinality)
            self.names = {v: tuple(s) for v, s in model.state_names.items()}
            self.order = list(self.nodes)
        self.topo_rank = {v: i for i, v in enumerate(self.order)}

    @property
    def adjacency(self) -> dict:
        """The interaction graph ``{variable: set of neighbours}``: the moral graph of a
        Bayesian network, the Markov graph of a Markov network (built once)."""
        if self._adj is None:
            if self.directed:
                self._adj = moral_adjacency(self.parents)
            else:
                adj = {v: set() for v in self.nodes}
                for s in self.scopes.values():
                    for u in s:
                        adj[u].update(s)
                for v, nb in adj.items():
                    nb.discard(v)
                self._adj = adj
        return self._adj


class _Engine:
    """Base of the exact engines: the model check, the compiled snapshot kept up to date, and
    the validation of query variables."""

    def __init__(self, model, max_table_entries=None):
        if getattr(type(model), "_inference_kind", None) not in ("directed", "undirected"):
            raise TypeError("model: expected a BayesianNetwork or a MarkovNetwork, got "
                            f"{type(model).__name__}")
        self.max_table_entries = _check_limit(max_table_entries)
        self.model = model
        self._c = _Compiled(model)

    def _check_table(self, who, scope, what="a clique table"):
        """Raise :class:`TableTooLargeError` when a table over ``scope`` would hold more than
        ``max_table_entries`` entries (before anything of that size is allocated)."""
        cards = self._c.cards
        size = math.prod(cards[u] for u in scope)  # exact: Python integers
        limit = self.max_table_entries
        if size <= limit:
            return
        scope = list(scope)
        shown = repr(scope) if len(scope) <= 6 else "[" + ", ".join(map(repr, scope[:5])) + ", ...]"
        raise TableTooLargeError(
            f"{who}: {what} over {len(scope)} variables {shown} would hold {size:,} entries "
            f"({_bytes(8 * size)} as float64), more than max_table_entries={limit:,}; exact "
            f"inference is out of reach on this network (pass a larger max_table_entries= to "
            f"{type(self).__name__}(...) if the memory is there), or use an approximate method: "
            + ("likelihood weighting (pgm.likelihood_weighted_marginals) or Gibbs sampling "
               "(energy.sampling.gibbs_marginals)" if self._c.directed else
               "loopy belief propagation (pgm.inference.LoopyBP) or Gibbs sampling "
               "(energy.sampling.MarkovNetGibbs)"))

    def _zero_z(self, ev):
        """The error for a product of factors that is 0 everywhere with no evidence (a
        Markov network whose Z is 0), or None when there is evidence or the model is a
        Bayesian network (whose callers report the evidence)."""
        if ev or self._c.directed:
            return None
        return ImpossibleEvidenceError(
            "model: the factors multiply to 0 for every assignment (Z = 0); the Markov "
            "network defines no distribution")

    def _compiled(self):
        if self._c.version != self.model._version:  # the model changed: re-validate
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
