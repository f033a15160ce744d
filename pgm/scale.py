"""Bayesian networks on tables larger than memory, on Dask (optional extra ``[dask]``).

* :func:`fit_mle` — the CPDs of a DAG from a :class:`dask.dataframe.DataFrame` (or a dask
  array of state indices): the family counts of each partition are taken by the same numba
  kernel as :func:`pgm.learning.fit_mle` and summed, so the fitted tables equal the
  in-memory ones bit for bit.
* :func:`forward_sample` — ancestral samples as a dask array (or DataFrame) of any number of
  chunks. Every uniform is counter-based, keyed by (global row, node), so the rows do not
  depend on the chunking: the same seed gives the same table for 1 or 1,000 partitions.
  (They are not the rows of :func:`pgm.sampling.forward_sample`, which draws from numpy's
  Generator.)
* :func:`log_prob` and :func:`posteriors` — log p(x) of every row, and the junction-tree
  marginals of the unobserved variables for every row of an evidence table, per partition
  (one compiled :class:`pgm.inference.JunctionTree` per partition, one calibration per
  distinct evidence row).

Everything runs on the active Dask scheduler: with ``distributed.Client(...)`` the same code
runs on a local or a multi-machine cluster. This module imports dask and pandas at import
time; nothing else in :mod:`pgm` imports it.

Examples
--------
>>> from pgm import BayesianNetwork, TabularCPD
>>> from pgm import fit_mle as fit_in_memory
>>> bn = BayesianNetwork([("Rain", "Wet")])
>>> bn.add_cpds(TabularCPD("Rain", 2, [0.8, 0.2]),
...             TabularCPD("Wet", 2, [[0.9, 0.1], [0.1, 0.9]], ["Rain"], [2]))
>>> df = forward_sample(bn, 10_000, chunks=2_500, rng=0, as_frame=True)
>>> df.npartitions
4
>>> fitted = fit_mle(bn, df)
>>> same = fit_in_memory(bn, df.compute())
>>> bool((fitted.get_cpd("Wet").values == same.get_cpd("Wet").values).all())
True
"""

from __future__ import annotations

import dask
import dask.array as da
import dask.dataframe as dd
import numpy as np
import pandas as pd

from ._frames import row_label
from ._sampling_kernels import draw_node_counter, family_counts
from .bayesnet import BayesianNetwork
from .inference import JunctionTree
from .learning import check_fit_options, cpds_from_counts, family_layout
from .runtime import check_rng, check_scalar
from .sampling import _Plan, _labels

__all__ = ["fit_mle", "forward_sample", "log_prob", "posteriors"]


# ----------------------------------------------------------------------------- fitting
def _check_table(data, nodes, name="data"):
    if isinstance(data, dd.DataFrame):
        cols = list(data.columns)
        missing = [v for v in nodes if v not in cols]
        if missing:
            raise ValueError(f"{name}: no column for node(s) {missing} (columns {cols})")
        extra = [c for c in cols if c not in nodes]
        if extra:
            raise ValueError(f"{name}: column(s) {extra} are not nodes of the DAG")
        return "frame"
    if isinstance(data, da.Array):
        if data.ndim != 2 or data.shape[1] != len(nodes):
            raise ValueError(f"{name}: expected a dask array of shape (n_samples, {len(nodes)}) "
                             f"with columns {list(nodes)}, got shape {data.shape}")
        if data.dtype.kind not in "iu":
            raise TypeError(f"{name}: expected integer state indices, got dtype {data.dtype}")
        return "array"
    raise TypeError(f"{name}: expected a dask DataFrame or a dask array, got "
                    f"{type(data).__name__} (use pgm.fit_mle for tables in memory)")


def _check_partition(part, k, nodes, name="data"):
    if not isinstance(part, np.ndarray) and set(part.columns) != set(nodes):
        cols = list(part.columns)
        bad = [c for c in cols if c not in nodes] + [v for v in nodes if v not in cols]
        raise ValueError(f"{name}: partition {k} has columns {cols}, expected one per node "
                         f"{list(nodes)} (column {bad[0]!r})")


def _scan_partition(part, k, nodes, uniq, maxed):
    """The distinct labels of the columns ``uniq`` and the largest index of ``maxed``."""
    _check_partition(part, k, nodes)
    out = {}
    for v in uniq + maxed:
        col = part[:, nodes.index(v)] if isinstance(part, np.ndarray) else part[v].to_numpy()
        miss = pd.isna(col)
        if miss.any():
            r = int(np.flatnonzero(miss)[0])
            at = f"row {r}" if isinstance(part, np.ndarray) else row_label(part, r)
            raise ValueError(f"data: partition {k}, column {v!r}: missing value at {at}; "
                             "complete data is needed (drop or fill those rows)")
        out[v] = np.unique(col) if v in uniq else (int(col.max()) if len(col) else -1)
    return out


def _merge_scans(a, b):
    return {v: (np.unique(np.concatenate([a[v], b[v]])) if isinstance(a[v], np.ndarray)
                else max(a[v], b[v])) for v in a}


def _encode_partition(part, k, nodes, cards, names, name="data"):
    """A partition (pandas frame or ndarray) → int64 (rows, n_nodes), checked, errors naming it."""
    _check_partition(part, k, nodes, name)
    if isinstance(part, np.ndarray) and not names:     # indices only: checked per column
        X = np.ascontiguousarray(part)                   # in its own dtype, as in memory
        hi = np.array([cards[v] for v in nodes], dtype=np.int64)
        if len(X) and ((X.min(axis=0) < 0).any() or (X.max(axis=0) >= hi).any()):
            r, i = (int(t) for t in np.argwhere((X < 0) | (X >= hi))[0])
            raise ValueError(f"{name}: partition {k}, column {nodes[i]!r}: state index {X[r, i]} "
                             f"at row {r}, expected 0..{hi[i] - 1}")
        return X
    X = np.empty((len(part), len(nodes)), dtype=np.int64, order="F")    # columns contiguous
    for i, v in enumerate(nodes):
        col = part[:, i] if isinstance(part, np.ndarray) else part[v].to_numpy()
        at_row = (lambda r: f"row {r}") if isinstance(part, np.ndarray) else (
            lambda r: row_label(part, r))
        if v in names:
            X[:, i] = pd.Index(list(names[v]), dtype=object).get_indexer(col)
            bad = X[:, i] < 0
            if bad.any():
                r = int(np.flatnonzero(bad)[0])
                raise ValueError(f"{name}: partition {k}, column {v!r}: value {col[r]!r} at "
                                 f"{at_row(r)} is not one of the states {list(names[v])}")
        else:
            if col.dtype.kind not in "iu":
                raise TypeError(f"{name}: partition {k}, column {v!r}: expected integer state "
                                f"indices, got dtype {col.dtype}")
            X[:, i] = col
            bad = (X[:, i] < 0) | (X[:, i] >= cards[v])
            if bad.any():
                r = int(np.flatnonzero(bad)[0])
                raise ValueError(f"{name}: partition {k}, column {v!r}: state index {X[r, i]} at "
                                 f"{at_row(r)}, expected 0..{cards[v] - 1}")
    return np.ascontiguousarray(X)


def _count(part, k, nodes, cards, names, layout):
    X = _encode_partition(part, k, nodes, cards, names)
    flat = np.zeros(layout[-1], dtype=np.int64)
    if X.shape[0]:
        family_counts(X, *layout[:-1], flat)
    return flat, X.shape[0]


def _add(a, b):
    return a[0] + b[0], a[1] + b[1]


def _tree_sum(parts, add=_add):
    """Pairwise reduction of delayed values (a tree, so no task receives every partition)."""
    while len(parts) > 1:
        parts = [dask.delayed(add)(parts[i], parts[i + 1]) if i + 1 < len(parts) else parts[i]
                 for i in range(0, len(parts), 2)]
    return parts[0]


def _own_states(dag):
    if not isinstance(dag, BayesianNetwork):
        return {}
    try:
        return dag.state_names
    except ValueError:
        return {}


def fit_mle(dag, data, cardinality=None, state_names=None, pseudo_count=0.0, unseen="error"):
    """:func:`pgm.learning.fit_mle` on a Dask table: counts per partition, summed (exact).

    Parameters
    ----------
    dag : DAG or BayesianNetwork
    data : dask.dataframe.DataFrame or dask array of shape (n_samples, n_nodes)
        One column per node, of state indices or labels (as for :func:`pgm.fit_mle`). Label
        columns without ``state_names`` (or the network's own names) take their states from
        one extra pass over the data (the sorted distinct labels), as in memory.
    cardinality, state_names, pseudo_count, unseen
        As for :func:`pgm.learning.fit_mle`.

    Returns
    -------
    BayesianNetwork
        Equal, table for table, to ``pgm.fit_mle(dag, data.compute(), ...)``.

    Raises
    ------
    ValueError
        A missing or unknown column, a label that is not a state or an index out of range
        (naming the partition, the column and the row), no rows at all.
    """
    check_fit_options(dag, pseudo_count, unseen)
    nodes = list(dag.nodes)
    kind = _check_table(data, nodes)
    own = _own_states(dag)
    state_names = dict(state_names or {})
    for v in state_names:
        if v not in dag:
            raise ValueError(f"state_names: {v!r} is not a node of the DAG")
    names, need_unique, need_max = {}, [], []
    for i, v in enumerate(nodes):
        dt = data[v].dtype if kind == "frame" else data.dtype
        if v in state_names:
            names[v] = tuple(state_names[v])
        elif dt.kind in "iu":
            if not (cardinality and v in cardinality):
                need_max.append(v)
        elif v in own:
            names[v] = tuple(own[v])
        else:
            need_unique.append(v)
    parts = (data.to_delayed() if kind == "frame"
             else list(data.rechunk({1: -1}).to_delayed().ravel()))
    # one pass for what the data must tell: the distinct labels and the largest indices
    maxs = {}
    if need_unique or need_max:
        scans = [dask.delayed(_scan_partition)(p, k, nodes, need_unique, need_max)
                 for k, p in enumerate(parts)]
        got = dask.compute(_tree_sum(scans, _merge_scans))[0]
        names.update({v: tuple(got[v].tolist()) for v in need_unique})
        maxs = {v: got[v] for v in need_max}
    cards = {}
    for v in nodes:
        if cardinality and v in cardinality:
            c = cardinality[v]
            if isinstance(c, bool) or not isinstance(c, (int, np.integer)) or c < 1:
                raise ValueError(f"cardinality[{v!r}]: expected a positive int, got {c!r}")
            cards[v] = int(c)
        elif v in names:
            cards[v] = len(names[v])
        else:
            cards[v] = int(maxs[v]) + 1
        if v in names and len(names[v]) != cards[v]:
            raise ValueError(f"state_names[{v!r}]: {len(names[v])} names for {cards[v]} states")
    layout = family_layout(dag, cards)
    counted = [dask.delayed(_count)(p, k, nodes, cards, names, layout)
               for k, p in enumerate(parts)]
    flat, n_rows = dask.compute(_tree_sum(counted))[0]
    if n_rows < 1:
        raise ValueError("data: needs at least one row")
    return cpds_from_counts(dag, flat, layout[3], cards, names, pseudo_count, unseen)


# ----------------------------------------------------------------------------- sampling
def _chunk_sizes(n, chunks):
    if isinstance(chunks, (tuple, list)):
        sizes = tuple(int(check_scalar(c, "chunks", low=1, integer=True)) for c in chunks)
        if sum(sizes) != n:
            raise ValueError(f"chunks: the sizes {sizes[:5]}... add up to {sum(sizes)}, not "
                             f"n_samples={n}")
        return sizes
    c = check_scalar(chunks, "chunks", low=1, integer=True)
    return (c,) * (n // c) + ((n % c,) if n % c else ())


def _sample_block(plan, seed, start, m):
    """Rows ``start .. start + m`` of the table: node k of row r uses counter r * n_nodes + k."""
    X = np.empty((m, len(plan.nodes)), dtype=plan.dtype)
    for k in plan.order:
        draw_node_counter(X, k, plan.cols_arr[k], plan.strides[k], plan.thresholds[k], seed,
                          start, len(plan.nodes))
    return X


def _frame_block(plan, names, seed, start, m):
    X = _sample_block(plan, seed, start, m)
    return pd.DataFrame({v: _labels(names[v], X[:, k]) for k, v in enumerate(plan.nodes)},
                        index=pd.RangeIndex(start, start + m))


def forward_sample(model, n_samples, rng=None, chunks=100_000, as_frame=False):
    """Ancestral samples as a lazy Dask table, identical for any chunking.

    Parameters
    ----------
    model : BayesianNetwork
    n_samples : int
    rng : None, int or numpy.random.Generator
        One 64-bit seed is drawn from it; row r, node k uses the counter-based uniform
        number r * n_nodes + k of that seed.
    chunks : int or tuple of int
        Rows per chunk (partition), or the size of every chunk.
    as_frame : bool
        A dask DataFrame of state labels (index: the global row number) instead of a dask
        array of state indices.

    Returns
    -------
    dask array of shape (n_samples, n_nodes), or dask DataFrame
    """
    n = check_scalar(n_samples, "n_samples", low=1, integer=True)
    sizes = _chunk_sizes(n, chunks)
    seed = int(check_rng(rng).integers(0, 2**63))
    plan = _Plan(model)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).tolist()
    if as_frame:
        names = {v: model.get_cpd(v).state_names[v] for v in plan.nodes}
        meta = _frame_block(plan, names, seed, 0, 0)
        parts = [dask.delayed(_frame_block)(plan, names, seed, s, m)
                 for s, m in zip(starts, sizes)]
        divisions = tuple(starts) + (n - 1,)
        return dd.from_delayed(parts, meta=meta, divisions=divisions, verify_meta=False)
    blocks = [da.from_delayed(dask.delayed(_sample_block)(plan, seed, s, m),
                              shape=(m, len(plan.nodes)), dtype=plan.dtype)
              for s, m in zip(starts, sizes)]
    return da.concatenate(blocks, axis=0)


# ----------------------------------------------------------------------------- inference
def _info_number(partition_info):
    return "?" if partition_info is None else partition_info.get("number", "?")


def _log_prob_part(part, model, partition_info=None):
    try:
        X = model.encode_data(part if isinstance(part, np.ndarray) else
                              {c: part[c].to_numpy() for c in part.columns})
    except (ValueError, TypeError) as e:
        raise type(e)(f"partition {_info_number(partition_info)}: {e}") from None
    out = model.log_prob(X)
    return out if isinstance(part, np.ndarray) else pd.Series(out, index=part.index)


def log_prob(model, data):
    """log p(x) of every row of a Dask table of full assignments.

    Parameters
    ----------
    model : BayesianNetwork
    data : dask DataFrame (one column per variable: indices or labels) or dask array of
        shape (n_samples, n_nodes) of state indices

    Returns
    -------
    dask Series (DataFrame input) or dask array of shape (n_samples,)
    """
    if not isinstance(model, BayesianNetwork):
        raise TypeError(f"model: expected a BayesianNetwork, got {type(model).__name__}")
    model.check_model()
    kind = _check_table(data, list(model.nodes))
    if kind == "frame":
        return data.map_partitions(_log_prob_part, model, meta=("log_prob", "f8"))
    data = data.rechunk({1: -1})
    return data.map_blocks(lambda b: _log_prob_part(b, model), drop_axis=1, dtype=np.float64)


def _posterior_columns(model, variables):
    return [f"{v}={s}" for v in variables for s in model.get_cpd(v).state_names[v]]


def _posteriors_part(part, model, variables, columns, partition_info=None):
    k = _info_number(partition_info)
    jt = JunctionTree(model)        # compiled once per partition
    out = np.empty((len(part), len(columns)))
    ev_cols = list(part.columns)
    if len(part):
        keys = pd.MultiIndex.from_frame(part[ev_cols]) if ev_cols else None
        codes, uniq = (pd.factorize(keys) if ev_cols else (np.zeros(len(part), np.int64), [()]))
        for u, ev in enumerate(uniq):
            evd = dict(zip(ev_cols, ev if isinstance(ev, tuple) else (ev,)))
            try:
                m = jt.marginals(evd, variables)
            except (ValueError, TypeError) as e:
                r = int(np.flatnonzero(codes == u)[0])
                raise type(e)(f"evidence: partition {k}, {row_label(part, r)}: {e}") from None
            out[codes == u] = np.concatenate([m[v] for v in variables])
    return pd.DataFrame(out, index=part.index, columns=columns)


def posteriors(model, evidence, variables=None):
    """Junction-tree marginals of ``variables`` for every row of an evidence table.

    Parameters
    ----------
    model : BayesianNetwork
    evidence : dask DataFrame
        One column per observed variable (state labels or indices), one row per case.
    variables : list, optional
        Variables to report (default: every variable that is not a column of ``evidence``).

    Returns
    -------
    dask DataFrame
        Columns ``"{variable}={state}"`` holding P(variable = state | the row's evidence),
        rows aligned with ``evidence``.

    Raises
    ------
    ValueError
        A column that is not a variable, a variable both observed and asked for; when
        computed, a state that is not a state of its variable or evidence of probability
        zero (naming the partition and the row).
    """
    if not isinstance(model, BayesianNetwork):
        raise TypeError(f"model: expected a BayesianNetwork, got {type(model).__name__}")
    if not isinstance(evidence, dd.DataFrame):
        raise TypeError(f"evidence: expected a dask DataFrame, got {type(evidence).__name__}")
    model.check_model()
    cols = list(evidence.columns)
    extra = [c for c in cols if c not in model]
    if extra:
        raise ValueError(f"evidence: column(s) {extra} are not variables of the network")
    if variables is None:
        variables = [v for v in model.nodes if v not in cols]
    else:
        variables = list(variables)
        unknown = [v for v in variables if v not in model]
        if unknown:
            raise ValueError(f"variables: {unknown} are not variables of the network")
        both = [v for v in variables if v in cols]
        if both:
            raise ValueError(f"variables: {both} are also evidence columns")
    columns = _posterior_columns(model, variables)
    meta = pd.DataFrame({c: pd.Series(dtype="f8") for c in columns})
    return evidence.map_partitions(_posteriors_part, model, variables, columns, meta=meta)
