"""The base shared by the exact-inference engines: a validated, plain-dict snapshot of the
network (:class:`_Compiled`, rebuilt whenever the network changes), the checks of query
variables (:class:`_Engine`) and the bound on the size of the tables they build
(:func:`default_max_table_entries`, :meth:`_Engine._check_table`).

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

from ..bayesnet import BayesianNetwork
from ..errors import TableTooLargeError

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

    def __init__(self, model, max_table_entries=None):
        if not isinstance(model, BayesianNetwork):
            raise TypeError(f"model: expected a BayesianNetwork, got {type(model).__name__}")
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
            "likelihood weighting (pgm.likelihood_weighted_marginals) or Gibbs sampling "
            "(energy.sampling.gibbs_marginals)")

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
