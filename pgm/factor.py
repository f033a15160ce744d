"""Discrete factors over named axes: product, marginalisation, evidence reduction, normalisation.

A factor φ(X_1, ..., X_k) is a non-negative table with one axis per variable. Operations work on
the variable *names*, never on axis positions, and are vectorised with :func:`numpy.einsum`
(no Python loop over table entries).

Examples
--------
>>> import numpy as np
>>> a = DiscreteFactor(["A"], [0.4, 0.6])
>>> ba = DiscreteFactor(["B", "A"], [[0.9, 0.2], [0.1, 0.8]])
>>> j = a * ba                      # P(A, B), axes ("A", "B")
>>> j.marginalize(["A"]).values.round(2).tolist()   # P(B)
[0.48, 0.52]
"""

from __future__ import annotations

import numpy as np

__all__ = ["DiscreteFactor", "factor_product"]

EINSUM_MAX = 52  # numpy.einsum handles at most 52 distinct axis labels (the one definition)


class DiscreteFactor:
    """A non-negative table over named discrete variables.

    Parameters
    ----------
    variables : sequence of hashable
        Names of the axes, unique.
    values : array-like of shape (card_1, ..., card_k)
        The table; ``values.ndim`` must equal ``len(variables)``. Must be finite and >= 0.
    copy : bool
        Copy ``values`` (default). Internal callers pass ``copy=False, validate=False``.
    validate : bool
        Check finiteness and non-negativity.

    Attributes
    ----------
    variables : tuple
        Axis names.
    values : ndarray of shape (card_1, ..., card_k)
        The table (float64).

    Examples
    --------
    >>> f = DiscreteFactor(["X", "Y"], [[1.0, 3.0], [2.0, 2.0]])
    >>> float(f.normalize().values.sum())
    1.0
    >>> f.reduce({"Y": 1}).values.tolist()
    [3.0, 2.0]
    """

    __slots__ = ("variables", "values")

    def __init__(self, variables, values, *, copy=True, validate=True):
        variables = tuple(variables)
        if validate:
            if len(set(variables)) != len(variables):
                dup = sorted({str(v) for v in variables if variables.count(v) > 1})
                raise ValueError(f"variables: names must be unique, repeated: {dup}")
            try:
                arr = np.array(values, dtype=np.float64, copy=copy)
            except (TypeError, ValueError) as exc:
                raise TypeError(f"values: cannot be read as a float array ({exc})") from None
            if arr.ndim != len(variables):
                raise ValueError(
                    f"values: expected a {len(variables)}-D table (one axis per variable "
                    f"{list(variables)}), got shape {arr.shape}")
            if not np.all(np.isfinite(arr)):
                raise ValueError(f"values: must be finite, found {arr[~np.isfinite(arr)][0]}")
            if np.any(arr < 0):
                raise ValueError(f"values: must be >= 0, found {arr.min()}")
        else:
            arr = np.array(values, dtype=np.float64, copy=True) if copy else values
        self.variables = variables
        self.values = arr

    # ------------------------------------------------------------------ basic facts
    @property
    def cardinality(self) -> tuple:
        """Tuple of axis lengths, one per variable."""
        return self.values.shape

    def __repr__(self):
        return f"DiscreteFactor(variables={list(self.variables)}, shape={self.values.shape})"

    def _axes(self, variables, what):
        pos = {v: i for i, v in enumerate(self.variables)}
        try:
            return [pos[v] for v in variables]
        except KeyError as exc:
            raise ValueError(f"{what}: variable {exc.args[0]!r} is not in this factor "
                             f"(its variables are {list(self.variables)})") from None

    # ------------------------------------------------------------------ operations
    def product(self, other: "DiscreteFactor") -> "DiscreteFactor":
        """Pointwise product; the result's axes are ``self.variables`` then new ones of ``other``."""
        return factor_product(self, other)

    __mul__ = product

    def marginalize(self, variables) -> "DiscreteFactor":
        """Sum out ``variables``; return a new factor over the rest."""
        variables = list(variables)
        axes = self._axes(variables, "marginalize")
        keep = tuple(v for v in self.variables if v not in set(variables))
        return DiscreteFactor(keep, self.values.sum(axis=tuple(axes)), copy=False, validate=False)

    def maximize(self, variables) -> "DiscreteFactor":
        """Max out ``variables`` (max-product elimination)."""
        variables = list(variables)
        axes = self._axes(variables, "maximize")
        keep = tuple(v for v in self.variables if v not in set(variables))
        return DiscreteFactor(keep, self.values.max(axis=tuple(axes)), copy=False, validate=False)

    def reduce(self, evidence: dict) -> "DiscreteFactor":
        """Fix variables to state indices: ``{name: index}``; their axes disappear."""
        idx = [slice(None)] * len(self.variables)
        pos = {v: i for i, v in enumerate(self.variables)}
        for v, s in evidence.items():
            if v not in pos:
                continue
            k = pos[v]
            card = self.values.shape[k]
            if not (isinstance(s, (int, np.integer)) and 0 <= s < card):
                raise ValueError(f"evidence: state of {v!r} must be an index in [0, {card}), got {s!r}")
            idx[k] = int(s)
        keep = tuple(v for v, i in zip(self.variables, idx) if isinstance(i, slice))
        return DiscreteFactor(keep, self.values[tuple(idx)], copy=False, validate=False)

    def normalize(self) -> "DiscreteFactor":
        """Divide by the total; a factor that sums to 0 is an error (never NaN)."""
        z = self.values.sum()
        if not z > 0:
            raise ValueError(f"normalize: factor over {list(self.variables)} sums to {z}; "
                             "cannot normalise (impossible evidence?)")
        return DiscreteFactor(self.variables, self.values / z, copy=False, validate=False)

    def transpose(self, variables) -> "DiscreteFactor":
        """The same factor with its axes in the order ``variables``."""
        variables = tuple(variables)
        if set(variables) != set(self.variables) or len(variables) != len(self.variables):
            raise ValueError(f"transpose: expected a permutation of {list(self.variables)}, "
                             f"got {list(variables)}")
        axes = self._axes(variables, "transpose")
        return DiscreteFactor(variables, np.transpose(self.values, axes), copy=False, validate=False)

    def allclose(self, other: "DiscreteFactor", **kw) -> bool:
        """True when ``other`` has the same variables and close values (any axis order)."""
        if set(self.variables) != set(other.variables):
            return False
        o = other.transpose(self.variables).values
        return o.shape == self.values.shape and np.allclose(self.values, o, **kw)


def factor_product(*factors: DiscreteFactor) -> DiscreteFactor:
    """Pointwise product of factors with a single :func:`numpy.einsum` call.

    Parameters
    ----------
    *factors : DiscreteFactor
        At least one factor. Shared variables must have equal cardinalities.

    Returns
    -------
    DiscreteFactor
        Over the union of the variables, in order of first appearance.

    Examples
    --------
    >>> f = factor_product(DiscreteFactor(["A"], [1.0, 2.0]), DiscreteFactor(["B"], [3.0, 4.0]))
    >>> f.variables, f.values.tolist()
    (('A', 'B'), [[3.0, 4.0], [6.0, 8.0]])
    """
    if not factors:
        raise ValueError("factors: need at least one factor")
    ids: dict = {}
    cards: dict = {}
    args = []
    for f in factors:
        sub = []
        for v, c in zip(f.variables, f.values.shape):
            if v in cards and cards[v] != c:
                raise ValueError(f"factor_product: variable {v!r} has cardinality {cards[v]} in "
                                 f"one factor and {c} in another")
            cards[v] = c
            sub.append(ids.setdefault(v, len(ids)))
        args.append(f.values)
        args.append(sub)
    if len(ids) > EINSUM_MAX:
        raise ValueError(f"factor_product: the product has {len(ids)} variables; at most "
                         f"{EINSUM_MAX} are supported (the table would be astronomically large)")
    out = np.einsum(*args, list(range(len(ids))))
    return DiscreteFactor(tuple(ids), out, copy=False, validate=False)
