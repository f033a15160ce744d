"""Conditional probability distributions: tabular (discrete) and linear-Gaussian.

Every CPD is validated when it is built and is immutable afterwards: its table is a read-only
array, so a probability cannot be edited past the checks (build a new CPD instead).

Layout of a :class:`TabularCPD` table: one row per state of the variable, one column per
configuration of the parents, the *first* parent varying slowest (C order), exactly like the
rows of a BIF ``probability`` block. Column ``j`` is p(X | parents = config j) and must sum
to 1 within ``atol`` (default 1e-8, absolute).

Examples
--------
>>> cpd = TabularCPD("Wet", 2, [[1.0, 0.1, 0.1, 0.01],
...                             [0.0, 0.9, 0.9, 0.99]],
...                  parents=["Sprinkler", "Rain"], parents_card=[2, 2])
>>> cpd.table.shape            # (Wet, Sprinkler, Rain)
(2, 2, 2)
>>> TabularCPD("Rain", 2, [[0.5], [0.509]])
Traceback (most recent call last):
...
ValueError: TabularCPD 'Rain': column 0 (no parents) sums to 1.009, off by +9.000e-03; each column must sum to 1 within atol=1e-08
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from .factor import DiscreteFactor

__all__ = ["TabularCPD", "LinearGaussianCPD", "DEFAULT_ATOL", "MAX_PARENTS"]

DEFAULT_ATOL = 1e-8
_MAX_AXES = 64 if int(np.__version__.split(".")[0]) >= 2 else 32  # numpy's ndarray limit
MAX_PARENTS = _MAX_AXES - 1  # a CPD table has one axis per parent plus one


def _check_card(c, what):
    if isinstance(c, bool) or not isinstance(c, (numbers.Integral, np.integer)):
        raise TypeError(f"{what}: expected a positive int cardinality, got {c!r}")
    if c < 1:
        raise ValueError(f"{what}: cardinality must be >= 1, got {c}")
    return int(c)


def _readonly(a):
    """A read-only copy of ``a`` whose memory is an immutable ``bytes`` object: unlike a
    flag on an owned array, ``setflags(write=True)`` on it (or on its ``.base``) fails, so a
    built model (an elimination order, a compiled junction tree) cannot see it change."""
    a = np.ascontiguousarray(a)
    out = np.frombuffer(a.tobytes(), dtype=a.dtype).reshape(a.shape)
    if not out.flags.aligned:            # bytes are aligned in CPython; never silently slow
        out = np.ascontiguousarray(a).copy()
        out.setflags(write=False)
    return out


class TabularCPD:
    """p(variable | parents) as a table.

    Parameters
    ----------
    variable : hashable
        The child variable.
    cardinality : int
        Number of states of ``variable``.
    values : array-like of shape (cardinality, n_columns) or ``(cardinality, *parents_card)``
        Column ``j`` is the distribution of ``variable`` for the ``j``-th parent configuration
        (first parent slowest). For no parents, shape ``(cardinality,)`` or
        ``(cardinality, 1)``.
    parents : sequence of hashable, optional
        Parent variables, in the column order of ``values``.
    parents_card : sequence of int, optional
        Cardinality of each parent.
    state_names : dict, optional
        ``{variable: [names...]}`` for the variable and/or any parent; missing ones default
        to ``0..card-1``. The number of names must equal the cardinality.
    atol : float
        Absolute tolerance of the column sums (default 1e-8).

    Attributes
    ----------
    variable, cardinality, parents, parents_card, state_names
        As given (state names filled in).
    table : ndarray of shape ``(cardinality, *parents_card)``, read-only
    values : ndarray of shape (cardinality, prod(parents_card)), read-only
        The 2-D view of ``table``.

    Raises
    ------
    ValueError
        Non-finite or negative entries, a column not summing to 1 (the message names the
        column, its parent states and the deviation), wrong shapes, wrong number of state names.
    """

    __slots__ = ("variable", "cardinality", "parents", "parents_card", "state_names", "_table",
                 "atol")

    def __init__(self, variable, cardinality, values, parents=(), parents_card=(),
                 state_names=None, atol=DEFAULT_ATOL):
        try:
            hash(variable)
        except TypeError:
            raise TypeError(f"variable: must be hashable, got {variable!r}") from None
        self.variable = variable
        who = f"TabularCPD {variable!r}"
        self.cardinality = _check_card(cardinality, f"{who}: cardinality")
        parents = tuple(parents) if parents is not None else ()
        parents_card = tuple(parents_card) if parents_card is not None else ()
        if len(parents) != len(parents_card):
            raise ValueError(f"{who}: parents has {len(parents)} entries {list(parents)} but "
                             f"parents_card has {len(parents_card)} {list(parents_card)}")
        if len(parents) > MAX_PARENTS:
            raise ValueError(f"{who}: at most {MAX_PARENTS} parents (one table axis each, and "
                             f"numpy arrays have at most {_MAX_AXES} axes), got {len(parents)}")
        if variable in parents:
            raise ValueError(f"{who}: the variable cannot be its own parent")
        if len(set(parents)) != len(parents):
            raise ValueError(f"{who}: repeated parent in {list(parents)}")
        self.parents = parents
        self.parents_card = tuple(_check_card(c, f"{who}: parents_card[{p!r}]")
                                  for p, c in zip(parents, parents_card))
        self.atol = float(atol)
        if not (self.atol >= 0 and np.isfinite(self.atol)):
            raise ValueError(f"{who}: atol must be a finite number >= 0, got {atol}")

        try:
            arr = np.array(values, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"{who}: values cannot be read as a float array ({exc})") from None
        n_cols = math.prod(self.parents_card)  # a Python int: no int64 overflow
        full = (self.cardinality,) + self.parents_card
        if arr.shape == full:
            pass
        elif arr.shape == (self.cardinality, n_cols) or (not parents and arr.shape == (self.cardinality,)):
            arr = arr.reshape(full)
        else:
            raise ValueError(
                f"{who}: values must have shape ({self.cardinality}, {n_cols}) (states x parent "
                f"configurations) or {full}, got {arr.shape}")
        self.state_names = self._make_state_names(state_names, who)
        self._validate_table(arr, who)
        self._table = _readonly(arr)

    # ------------------------------------------------------------------ validation
    def _make_state_names(self, state_names, who):
        out = {}
        given = {} if state_names is None else state_names
        if not isinstance(given, dict):
            raise TypeError(f"{who}: state_names must be a dict {{variable: [names]}}, "
                            f"got {type(given).__name__}")
        cards = {self.variable: self.cardinality, **dict(zip(self.parents, self.parents_card))}
        for k in given:
            if k not in cards:
                raise ValueError(f"{who}: state_names has an entry for {k!r}, which is neither "
                                 f"the variable nor one of its parents {list(self.parents)}")
        for v, c in cards.items():
            if v in given:
                names = given[v]
                if isinstance(names, (str, bytes)) or not hasattr(names, "__len__"):
                    raise TypeError(f"{who}: state_names[{v!r}] must be a list of names, got {names!r}")
                names = tuple(names)
                if len(names) != c:
                    raise ValueError(f"{who}: state_names[{v!r}] has {len(names)} names "
                                     f"{list(names)} for a {c}-state variable")
                if len(set(names)) != len(names):
                    raise ValueError(f"{who}: state_names[{v!r}] repeats a name: {list(names)}")
                out[v] = names
            else:
                out[v] = tuple(range(c))
        return out

    def _col_desc(self, j):
        if not self.parents:
            return f"column {j} (no parents)"
        cfg = np.unravel_index(j, self.parents_card)
        parts = ", ".join(f"{p}={self.state_names[p][int(i)]}" for p, i in zip(self.parents, cfg))
        return f"column {j} ({parts})"

    def _validate_table(self, arr, who):
        flat = arr.reshape(self.cardinality, -1)
        bad = ~np.isfinite(flat)
        if bad.any():
            r, j = np.argwhere(bad)[0]
            raise ValueError(f"{who}: probabilities must be finite, found {flat[r, j]} at row {r} "
                             f"({self.variable}={self.state_names[self.variable][r]}), "
                             f"{self._col_desc(j)}")
        neg = flat < 0
        if neg.any():
            r, j = np.argwhere(neg)[0]
            raise ValueError(f"{who}: probabilities must be >= 0, found {flat[r, j]} at row {r} "
                             f"({self.variable}={self.state_names[self.variable][r]}), "
                             f"{self._col_desc(j)}")
        sums = flat.sum(axis=0)
        dev = sums - 1.0
        badc = np.flatnonzero(np.abs(dev) > self.atol)
        if badc.size:
            j = int(badc[0])
            more = f" ({badc.size - 1} more column(s) fail too)" if badc.size > 1 else ""
            raise ValueError(f"{who}: {self._col_desc(j)} sums to {sums[j]:.10g}, off by "
                             f"{dev[j]:+.3e}; each column must sum to 1 within "
                             f"atol={self.atol:g}{more}")

    # ------------------------------------------------------------------ access
    @property
    def table(self) -> np.ndarray:
        """Read-only table of shape ``(cardinality, *parents_card)``."""
        return self._table

    @property
    def values(self) -> np.ndarray:
        """Read-only 2-D table of shape ``(cardinality, prod(parents_card))``."""
        return self._table.reshape(self.cardinality, -1)

    @property
    def scope(self) -> tuple:
        """``(variable, *parents)``."""
        return (self.variable,) + self.parents

    def to_factor(self) -> DiscreteFactor:
        """The CPD as a factor over ``(variable, *parents)`` (a copy)."""
        return DiscreteFactor(self.scope, self._table.copy(), copy=False, validate=False)

    def column_sums(self) -> np.ndarray:
        """Sum of each column, shape ``(prod(parents_card),)``."""
        return self.values.sum(axis=0)

    def copy(self) -> "TabularCPD":
        return TabularCPD(self.variable, self.cardinality, self._table, self.parents,
                          self.parents_card, dict(self.state_names), self.atol)

    def __eq__(self, other):
        if not isinstance(other, TabularCPD):
            return NotImplemented
        return (self.variable == other.variable and self.parents == other.parents
                and self.cardinality == other.cardinality
                and self.parents_card == other.parents_card
                and self.state_names == other.state_names
                and np.array_equal(self._table, other._table))

    __hash__ = None

    def __repr__(self):
        pa = f" | {', '.join(map(str, self.parents))}" if self.parents else ""
        return f"TabularCPD(p({self.variable}{pa}), shape={self._table.shape})"


class LinearGaussianCPD:
    """x ~ N(bias + weights · parents, std²).

    Parameters
    ----------
    variable : hashable
    bias : float
        Finite intercept.
    weights : sequence of float, optional
        One finite weight per parent.
    parents : sequence of hashable, optional
    std : float
        Standard deviation, finite and > 0.

    Examples
    --------
    >>> LinearGaussianCPD("y", 1.0, [2.0], ["x"], std=0.5).mean_given({"x": 1.0})
    3.0
    >>> LinearGaussianCPD("y", 0.0, std=-1.0)
    Traceback (most recent call last):
    ...
    ValueError: LinearGaussianCPD 'y': std must be finite and > 0, got -1.0
    """

    __slots__ = ("variable", "bias", "_weights", "parents", "std")

    def __init__(self, variable, bias, weights=(), parents=(), std=1.0):
        try:
            hash(variable)
        except TypeError:
            raise TypeError(f"variable: must be hashable, got {variable!r}") from None
        who = f"LinearGaussianCPD {variable!r}"
        self.variable = variable
        for name, val in (("bias", bias), ("std", std)):
            if isinstance(val, bool) or not isinstance(val, (numbers.Real, np.floating, np.integer)):
                raise TypeError(f"{who}: {name} must be a real number, got {val!r}")
        if not np.isfinite(bias):
            raise ValueError(f"{who}: bias (the mean's intercept) must be finite, got {bias}")
        if not (np.isfinite(std) and std > 0):
            raise ValueError(f"{who}: std must be finite and > 0, got {std}")
        self.bias = float(bias)
        self.std = float(std)
        parents = tuple(parents)
        if len(set(parents)) != len(parents) or variable in parents:
            raise ValueError(f"{who}: parents must be distinct and exclude the variable, got {list(parents)}")
        try:
            w = np.array(weights, dtype=np.float64).reshape(-1)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"{who}: weights cannot be read as floats ({exc})") from None
        if w.size != len(parents):
            raise ValueError(f"{who}: {w.size} weights for {len(parents)} parents {list(parents)}")
        if not np.all(np.isfinite(w)):
            raise ValueError(f"{who}: weights must be finite, got {w.tolist()}")
        self.parents = parents
        self._weights = _readonly(w)

    @property
    def weights(self) -> np.ndarray:
        """Read-only weights, shape ``(n_parents,)``."""
        return self._weights

    def mean_given(self, parent_values: dict) -> float:
        """The conditional mean for a dict of parent values."""
        return self.bias + float(sum(w * parent_values[p] for w, p in zip(self._weights, self.parents)))

    def logpdf(self, x, parent_values) -> np.ndarray:
        """Log-density of ``x`` (array) given parent values (arrays, broadcastable)."""
        mu = self.bias + sum(w * np.asarray(parent_values[p], dtype=float)
                             for w, p in zip(self._weights, self.parents))
        z = (np.asarray(x, dtype=float) - mu) / self.std
        return -0.5 * z * z - np.log(self.std) - 0.5 * np.log(2 * np.pi)

    def __repr__(self):
        return (f"LinearGaussianCPD({self.variable!r} ~ N({self.bias:g} + "
                f"{self._weights.tolist()}·{list(self.parents)}, {self.std:g}^2))")
