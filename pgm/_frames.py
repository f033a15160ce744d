"""Tables without a pandas dependency: a data frame is anything with ``.columns`` and column
access (``df[c]``, optionally ``.to_numpy()``), read column by column into numpy arrays.

Missing values (None, NaN, pandas' NA/NaT) are refused with the column and the row that hold
them: the fitting and scoring code needs complete data (EM for missing data is not
implemented), and nothing is dropped or filled in silently.
"""

from __future__ import annotations

import numpy as np

_NA_TYPES = frozenset({"NAType", "NaTType"})


def is_frame(obj) -> bool:
    """A data-frame-like object: ``.columns`` and ``__getitem__`` (not a dict or an array)."""
    return (hasattr(obj, "columns") and hasattr(obj, "__getitem__")
            and not isinstance(obj, (dict, np.ndarray)))


def _missing(arr):
    if arr.dtype.kind in "fc":
        return np.isnan(arr)
    if arr.dtype.kind in "mM":
        return np.isnat(arr)
    if arr.dtype.kind == "O":
        return np.fromiter(((x is None or (isinstance(x, float) and x != x)
                             or type(x).__name__ in _NA_TYPES) for x in arr.tolist()),
                           dtype=bool, count=arr.shape[0])
    return np.zeros(arr.shape[0], dtype=bool)


def row_label(df, r) -> str:
    """``row r`` plus the frame's index label when it has one that differs from ``r``."""
    index = getattr(df, "index", None)
    try:
        lab = index[r] if index is not None else r
    except (TypeError, IndexError, KeyError):
        lab = r
    return f"row {r}" if lab is r or (type(lab) is type(r) and lab == r) else \
        f"row {r} (index {lab!r})"


def frame_columns(df, name="data") -> dict:
    """``{column: 1-D ndarray}`` of a data frame, missing values refused.

    Raises
    ------
    ValueError
        Repeated column names, a column that is not 1-D, or a missing value (the message
        names the column, the first such row and how many there are).
    """
    cols = list(df.columns)
    if len(set(cols)) != len(cols):
        dup = sorted({str(c) for c in cols if cols.count(c) > 1})
        raise ValueError(f"{name}: repeated column name(s) {dup}")
    out = {}
    for c in cols:
        col = df[c]
        arr = np.asarray(col.to_numpy() if hasattr(col, "to_numpy") else col)
        if arr.ndim != 1:
            raise ValueError(f"{name}[{c!r}]: expected a 1-D column, got shape {arr.shape}")
        miss = _missing(arr)
        if miss.any():
            r = int(np.flatnonzero(miss)[0])
            raise ValueError(f"{name}[{c!r}]: {int(miss.sum())} missing value(s), the first at "
                             f"{row_label(df, r)}; complete data is needed (missing values are not "
                             "imputed and EM is not implemented): drop or fill those rows")
        out[c] = arr
    return out


def first_row_not_in(col, lut) -> int:
    """Position of the first value of ``col`` that is not a key of ``lut``."""
    for r, s in enumerate(col.tolist()):
        try:
            if s not in lut:
                return r
        except TypeError:  # unhashable
            return r
    return -1


def refuse_bools(col, names, what, v):
    """Refuse booleans in ``col`` where the states ``names`` are not booleans: True == 1 would
    silently be state 1 (as for evidence, ``BayesianNetwork.state_index``)."""
    if any(isinstance(n, (bool, np.bool_)) for n in names):
        return
    if col.dtype.kind == "b":
        r = 0
    elif col.dtype.kind == "O":
        r = next((i for i, x in enumerate(col.tolist()) if isinstance(x, (bool, np.bool_))), -1)
        if r < 0:
            return
    else:
        return
    raise ValueError(f"{what}: {col.tolist()[r]!r} at row {r} is a boolean, but the states of "
                     f"{v!r} are {list(names)}: give state names or integer indices")
