"""Markov networks (undirected models): p(x) = (1/Z) Π_a φ_a(x_a) over factors of any scope.

:class:`MarkovNetwork` holds :class:`~pgm.factor.DiscreteFactor` s (the one factor algebra of
the package) and checks them at the point of entry: entries finite and >= 0, not all zero,
a variable's cardinality the same in every factor, state names known. It shows itself as
its Markov graph (:meth:`MarkovNetwork.to_networkx`: an edge between two variables that
share a factor) or as its factor graph (:meth:`MarkovNetwork.factor_graph`), and gives the
partition function Z through the exact engines of :mod:`pgm.inference`, which take a
Markov network as they take a Bayesian network (``VariableElimination(mn)``,
``JunctionTree(mn)``); loopy belief propagation is :class:`pgm.inference.LoopyBP`.

A Bayesian network becomes one by moralisation
(:meth:`pgm.bayesnet.BayesianNetwork.to_markov_network`: one factor per CPD).

Examples
--------
>>> ab = DiscreteFactor(["A", "B"], [[10.0, 1.0], [1.0, 10.0]])
>>> bc = DiscreteFactor(["B", "C"], [[5.0, 1.0], [1.0, 5.0]])
>>> mn = MarkovNetwork([ab, bc], state_names={"A": ["off", "on"]})
>>> mn.variables, mn.cardinality
(['A', 'B', 'C'], {'A': 2, 'B': 2, 'C': 2})
>>> round(mn.partition_function(), 10)
132.0
>>> sorted(mn.to_networkx().edges())
[('A', 'B'), ('B', 'C')]
"""

from __future__ import annotations

import math

import numpy as np

from .factor import DiscreteFactor, factor_product
from .inference import JunctionTree, VariableElimination
from .runtime.jit import nx

__all__ = ["MarkovNetwork"]


def _frozen(factor, what):
    """A validated, read-only copy of ``factor`` (the network never shares a writeable table)."""
    if not isinstance(factor, DiscreteFactor):
        raise TypeError(f"{what}: expected a pgm.DiscreteFactor, got {type(factor).__name__}")
    vs = tuple(factor.variables)
    if not vs:
        raise ValueError(f"{what}: a factor needs at least one variable (got a constant); "
                         "a constant only scales Z, leave it out")
    if len(set(vs)) != len(vs):
        raise ValueError(f"{what}: variables must be unique, got {list(vs)}")
    try:
        arr = np.array(factor.values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{what}: values cannot be read as a float array ({exc})") from None
    if arr.ndim != len(vs):
        raise ValueError(f"{what}: expected a {len(vs)}-D table (one axis per variable "
                         f"{list(vs)}), got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{what}: a variable has 0 states (table shape {arr.shape})")
    bad = ~np.isfinite(arr)
    if bad.any():
        idx = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(f"{what}: entries must be finite, found {arr[idx]} at index {idx} "
                         f"(variables {list(vs)})")
    if (arr < 0).any():
        idx = tuple(int(i) for i in np.argwhere(arr < 0)[0])
        raise ValueError(f"{what}: entries must be >= 0, found {arr[idx]} at index {idx} "
                         f"(variables {list(vs)})")
    if not arr.any():
        raise ValueError(f"{what}: every entry is 0 (variables {list(vs)}); such a factor "
                         "gives every state probability zero")
    arr.setflags(write=False)
    return DiscreteFactor(vs, arr, copy=False, validate=False)


class MarkovNetwork:
    """A discrete Markov network: a product of non-negative factors, normalised by Z.

    Parameters
    ----------
    factors : iterable of DiscreteFactor
        Any scopes (at least one variable each). Each table is copied and frozen; entries
        must be finite and >= 0 and not all 0, and a variable must have the same number of
        states in every factor it appears in.
    state_names : dict, optional
        ``{variable: list of state names}`` for some or all variables (default
        ``list(range(cardinality))``); names of a variable must be distinct and as many as
        its states.

    Attributes
    ----------
    factors : tuple of DiscreteFactor
        The (read-only) factors, in the order given.
    variables : list
        The variables in order of first appearance in ``factors``.
    cardinality : dict
        ``{variable: number of states}``.
    state_names : dict
        ``{variable: list of state names}``.

    Raises
    ------
    TypeError
        A factor that is not a DiscreteFactor.
    ValueError
        Naming the factor by its index (``factors[i]``) and the rule broken: negative, NaN or
        infinite entries, an all-zero table, a constant factor, a cardinality that disagrees
        with an earlier factor; or a state-names entry for an unknown variable or of the
        wrong length.

    Examples
    --------
    >>> mn = MarkovNetwork([DiscreteFactor(["X"], [1.0, 3.0]),
    ...                     DiscreteFactor(["X", "Y"], [[2.0, 1.0], [1.0, 2.0]])])
    >>> round(mn.partition_function(), 10)     # 1*(2+1) + 3*(1+2)
    12.0
    >>> MarkovNetwork([DiscreteFactor(["X"], [1.0, 2.0]), DiscreteFactor(["X"], [1.0, 2.0, 3.0])])
    Traceback (most recent call last):
    ...
    ValueError: factors[1]: variable 'X' has 3 states here but 2 in factors[0]
    """

    _inference_kind = "undirected"  # how the exact engines read it (pgm.inference._engine)

    def __init__(self, factors, state_names=None):
        if isinstance(factors, DiscreteFactor):
            factors = [factors]
        try:
            factors = list(factors)
        except TypeError:
            raise TypeError(f"factors: expected an iterable of DiscreteFactor, got "
                            f"{type(factors).__name__}") from None
        self._factors: list = []
        self._cards: dict = {}
        self._first: dict = {}  # variable -> index of the first factor that has it
        self._names: dict = {}
        self._version = 0
        for i, f in enumerate(factors):
            self._add(f, f"factors[{i}]")
        if state_names is not None:
            if not isinstance(state_names, dict):
                raise TypeError(f"state_names: expected a dict {{variable: list of names}}, "
                                f"got {type(state_names).__name__}")
            for v, names in state_names.items():
                self._set_names(v, names)

    # ------------------------------------------------------------------ building
    def _add(self, factor, what):
        f = _frozen(factor, what)
        for v, k in zip(f.variables, f.values.shape):
            if v in self._cards and self._cards[v] != k:
                raise ValueError(f"{what}: variable {v!r} has {k} states here but "
                                 f"{self._cards[v]} in factors[{self._first[v]}]")
        for v, k in zip(f.variables, f.values.shape):
            if v not in self._cards:
                self._cards[v] = int(k)
                self._first[v] = len(self._factors)
        self._factors.append(f)
        self._version += 1

    def _set_names(self, v, names):
        if v not in self._cards:
            raise ValueError(f"state_names: {v!r} is not a variable of any factor "
                             f"(variables: {list(self._cards)})")
        if isinstance(names, (str, bytes)):
            raise TypeError(f"state_names[{v!r}]: expected a list of names, got a string")
        names = list(names)
        if len(names) != self._cards[v]:
            raise ValueError(f"state_names[{v!r}]: {len(names)} names for a variable with "
                             f"{self._cards[v]} states")
        try:
            distinct = len(set(names)) == len(names)
        except TypeError:
            raise TypeError(f"state_names[{v!r}]: names must be hashable, got {names!r}") from None
        if not distinct:
            raise ValueError(f"state_names[{v!r}]: names must be distinct, got {names}")
        self._names[v] = names
        self._version += 1

    def add_factor(self, factor):
        """Append a factor (checked as in the constructor); engines built on the network
        notice the change and re-validate.

        Examples
        --------
        >>> mn = MarkovNetwork([DiscreteFactor(["A"], [1.0, 1.0])])
        >>> mn.add_factor(DiscreteFactor(["A", "B"], [[1.0, 0.0], [0.0, 1.0]]))
        >>> mn.variables, mn.partition_function()
        (['A', 'B'], 2.0)
        """
        self._add(factor, "factor")

    # ------------------------------------------------------------------ basic facts
    @property
    def factors(self) -> tuple:
        """The factors (read-only tables), in the order given."""
        return tuple(self._factors)

    @property
    def variables(self) -> list:
        """The variables, in order of first appearance."""
        return list(self._cards)

    @property
    def cardinality(self) -> dict:
        """``{variable: number of states}``."""
        return dict(self._cards)

    @property
    def state_names(self) -> dict:
        """``{variable: list of state names}`` (default ``list(range(card))``)."""
        return {v: list(self._names.get(v, range(k))) for v, k in self._cards.items()}

    def __repr__(self):
        return (f"MarkovNetwork(n_variables={len(self._cards)}, "
                f"n_factors={len(self._factors)})")

    def __len__(self):
        return len(self._cards)

    def __contains__(self, variable):
        try:
            return variable in self._cards
        except TypeError:
            return False

    # ------------------------------------------------------------------ checks
    def check_model(self) -> bool:
        """Validate the whole model again; return True or raise ValueError naming the factor.

        Every table must still be the frozen, finite, non-negative, not-all-zero one, and
        every variable's cardinality the same across factors.
        """
        if not self._factors:
            raise ValueError("check_model: the network has no factor")
        cards: dict = {}
        for i, f in enumerate(self._factors):
            if f.values.flags.writeable:  # pragma: no cover - only by deliberate tampering
                raise ValueError(f"check_model: the table of factors[{i}] was made writeable")
            _frozen(f, f"check_model: factors[{i}]")
            for v, k in zip(f.variables, f.values.shape):
                if cards.setdefault(v, k) != k:
                    raise ValueError(f"check_model: variable {v!r} has {k} states in "
                                     f"factors[{i}] and {cards[v]} in an earlier factor")
        return True

    # ------------------------------------------------------------------ evidence
    def state_index(self, variable, state, what="evidence") -> int:
        """Index of ``state`` (a name, or an index when the states are unnamed)."""
        if variable not in self:
            raise ValueError(f"{what}: {variable!r} is not a variable of the network")
        card = self._cards[variable]
        names = self._names.get(variable)
        shown = names if names is not None else list(range(card))
        if isinstance(state, (bool, np.bool_)) and not any(
                isinstance(n, (bool, np.bool_)) for n in shown):
            raise ValueError(f"{what}: {state!r} for {variable!r} is a boolean, but its states "
                             f"are {shown}: give a state name or an integer index")
        if names is not None:
            try:
                if state in names:
                    return names.index(state)
            except TypeError:
                pass
        elif isinstance(state, (int, np.integer)) and 0 <= state < card:
            return int(state)
        raise ValueError(f"{what}: {state!r} is not a state of {variable!r} "
                         f"(its states are {shown})")

    def encode_evidence(self, evidence, what="evidence") -> dict:
        """``{variable: state}`` → ``{variable: index}``, every variable and state checked."""
        if evidence is None:
            return {}
        if not isinstance(evidence, dict):
            raise TypeError(f"{what}: expected a dict {{variable: state}}, got "
                            f"{type(evidence).__name__}")
        return {v: self.state_index(v, s, what) for v, s in evidence.items()}

    # ------------------------------------------------------------------ graphs
    def to_networkx(self) -> nx.Graph:
        """The Markov graph: one node per variable (attribute ``cardinality``), an edge
        between every two variables that share a factor.

        Examples
        --------
        >>> mn = MarkovNetwork([DiscreteFactor(["A", "B", "C"], np.ones((2, 2, 2)))])
        >>> sorted(mn.to_networkx().edges())
        [('A', 'B'), ('A', 'C'), ('B', 'C')]
        """
        g = nx.Graph()
        for v, k in self._cards.items():
            g.add_node(v, cardinality=k)
        for f in self._factors:
            vs = f.variables
            g.add_edges_from((vs[a], vs[b]) for a in range(len(vs)) for b in range(a + 1, len(vs)))
        return g

    def factor_graph(self) -> nx.Graph:
        """The factor graph: a bipartite :class:`networkx.Graph` with a node per variable
        (``bipartite=0``, ``kind="variable"``, ``cardinality``) and a node ``("factor", i)``
        per factor (``bipartite=1``, ``kind="factor"``, ``scope``), each factor joined to
        the variables of its scope.

        Examples
        --------
        >>> mn = MarkovNetwork([DiscreteFactor(["A", "B"], np.ones((2, 2))),
        ...                     DiscreteFactor(["B"], [1.0, 2.0])])
        >>> g = mn.factor_graph()
        >>> sorted(g.neighbors("B")), g.nodes[("factor", 0)]["scope"]
        ([('factor', 0), ('factor', 1)], ('A', 'B'))
        """
        g = nx.Graph()
        for v, k in self._cards.items():
            g.add_node(v, bipartite=0, kind="variable", cardinality=k)
        for i, f in enumerate(self._factors):
            node = ("factor", i)
            if node in self._cards:
                raise ValueError(f"factor_graph: a variable is named {node!r}, the name of a "
                                 "factor node; rename the variable")
            g.add_node(node, bipartite=1, kind="factor", scope=f.variables)
            g.add_edges_from((node, v) for v in f.variables)
        return g

    # ------------------------------------------------------------------ probabilities
    def log_partition_function(self, evidence=None, method="auto") -> float:
        """log Z (with ``evidence``: log Σ over the other variables), exactly.

        Parameters
        ----------
        evidence : dict, optional
        method : {"auto", "ve", "junction_tree"}
            Variable elimination (``"auto"``) or one junction-tree calibration.

        Returns
        -------
        float
            ``-inf`` when every state has probability zero.
        """
        if method not in ("auto", "ve", "junction_tree"):
            raise ValueError(f"method: expected 'auto', 've' or 'junction_tree', got {method!r}")
        if method == "junction_tree":
            return JunctionTree(self).log_partition_function(evidence)
        return VariableElimination(self).log_partition_function(evidence)

    def partition_function(self, evidence=None, method="auto") -> float:
        """Z = Σ_x Π_a φ_a(x_a) (``inf`` when it overflows a float; use
        :meth:`log_partition_function` then)."""
        lz = self.log_partition_function(evidence, method)
        return math.exp(lz) if lz < 709.78 else math.inf

    def joint_factor(self, max_entries: int = 2**24) -> DiscreteFactor:
        """The normalised joint p(x) as one factor, axes in ``self.variables`` order
        (refuses tables of more than ``max_entries`` entries).

        Examples
        --------
        >>> mn = MarkovNetwork([DiscreteFactor(["A"], [1.0, 3.0])])
        >>> mn.joint_factor().values.tolist()
        [0.25, 0.75]
        """
        self.check_model()
        size = math.prod(self._cards.values())
        if size > max_entries:
            raise ValueError(f"joint_factor: the joint has {size} entries > "
                             f"max_entries={max_entries}")
        return factor_product(*self._factors).transpose(self.variables).normalize()

    def copy(self) -> "MarkovNetwork":
        """A new network over the same (immutable) factors and state names."""
        return MarkovNetwork(self._factors, dict(self._names))
