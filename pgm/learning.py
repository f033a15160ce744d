"""Parameter learning: maximum-likelihood (and Dirichlet-smoothed) CPDs for a given DAG.

For each node the counts N(x_v, pa_v) are taken in one :func:`numpy.bincount` over a combined
index, then p̂(x_v | pa_v) = (N + α) / Σ_x (N + α) (α = 0: maximum likelihood; α = 1:
Laplace; α > 0: the posterior mean under a symmetric Dirichlet(α) prior).

Examples
--------
>>> import numpy as np
>>> from pgm.dag import DAG
>>> X = np.array([[0, 0], [0, 1], [1, 1], [1, 1]])
>>> bn = fit_mle(DAG([("A", "B")]), X, cardinality={"A": 2, "B": 2})
>>> bn.get_cpd("B").values.tolist()
[[0.5, 0.0], [0.5, 1.0]]
"""

from __future__ import annotations

import numbers

import numpy as np

from ._frames import first_row_not_in, frame_columns, is_frame, refuse_bools, row_label
from .bayesnet import BayesianNetwork
from .cpd import TabularCPD
from ._sampling_ref import family_counts_ref
from .dag import DAG
from .runtime.jit import lazy_module, use_jit

_K = lazy_module("pgm._sampling_kernels")

__all__ = ["fit_mle"]


def _network_states(dag):
    """A fully specified network's states: what its label columns mean (else {})."""
    if not isinstance(dag, BayesianNetwork):
        return {}
    try:
        return dag.state_names
    except ValueError:  # a node without a CPD yet
        return {}


def _columns(dag, data, cardinality, state_names):
    nodes = dag.nodes
    own = _network_states(dag)
    frame = data if is_frame(data) else None
    if frame is not None:  # pandas or any table with .columns: by column, no pandas import
        data = frame_columns(frame, "data")
    if isinstance(data, dict):
        missing = [v for v in nodes if v not in data]
        if missing:
            raise ValueError(f"data: no column for node(s) {missing}")
        extra = [k for k in data if k not in dag]
        if extra:
            raise ValueError(f"data: column(s) {extra} are not nodes of the DAG")
        cols = {}
        names = {}
        for v in nodes:
            col = np.asarray(data[v])
            if col.ndim != 1:
                raise ValueError(f"data[{v!r}]: expected a 1-D column, got shape {col.shape}")
            given = state_names.get(v) if state_names else None
            if given is None and col.dtype.kind not in "iu" and v in own:
                given = own[v]  # labels of a network's column keep its states and their order
            if given is not None:
                nm = tuple(given)
                refuse_bools(col, nm, f"data[{v!r}]", v)
                lut = {s: i for i, s in enumerate(nm)}
                try:
                    cols[v] = np.array([lut[s] for s in col.tolist()], dtype=np.int64)
                except (KeyError, TypeError):
                    r = first_row_not_in(col, lut)
                    at = row_label(frame, r) if frame is not None else f"row {r}"
                    raise ValueError(f"data[{v!r}]: value {col.tolist()[r]!r} is not one of the "
                                     f"state_names {list(nm)} (at {at})") from None
                names[v] = nm
            elif col.dtype.kind in "iu":
                cols[v] = col.astype(np.int64)
            else:
                nm, inv = np.unique(col, return_inverse=True)
                names[v] = tuple(nm.tolist())
                cols[v] = inv.astype(np.int64)
        lens = {len(c) for c in cols.values()}
        if len(lens) > 1:
            raise ValueError(f"data: columns have different lengths {sorted(lens)}")
        X = np.stack([cols[v] for v in nodes], axis=1)
    else:
        X = np.asarray(data)
        if X.ndim != 2 or X.shape[1] != len(nodes):
            raise ValueError(f"data: expected an int array of shape (n_samples, {len(nodes)}) with "
                             f"columns {list(nodes)}, got shape {X.shape}")
        if X.dtype.kind not in "iu":
            raise TypeError(f"data: expected integer state indices, got dtype {X.dtype}")
        names = {}
    if X.shape[0] < 1:
        raise ValueError("data: needs at least one row")
    cards = {}
    mins = X.min(axis=0)  # one pass over the rows for all columns
    maxs = X.max(axis=0)
    for i, v in enumerate(nodes):
        col = X[:, i]
        if mins[i] < 0:
            raise ValueError(f"data: column {v!r} holds a negative state index {mins[i]}")
        seen = int(maxs[i]) + 1
        if cardinality is not None and v in cardinality:
            c = cardinality[v]
            if isinstance(c, bool) or not isinstance(c, numbers.Integral) or c < 1:
                raise ValueError(f"cardinality[{v!r}]: expected a positive int, got {c!r}")
            if seen > c:
                r = int(np.argmax(col >= c))
                raise ValueError(f"data: row {r}, column {v!r} holds state {col[r]} but "
                                 f"cardinality[{v!r}] = {c}")
            cards[v] = int(c)
        elif v in names:
            cards[v] = len(names[v])
        elif state_names and v in state_names:
            cards[v] = len(state_names[v])
        else:
            cards[v] = seen
    for v, nm in (state_names or {}).items():
        if v not in dag:
            raise ValueError(f"state_names: {v!r} is not a node of the DAG")
        names.setdefault(v, tuple(nm))
        if len(names[v]) != cards[v]:
            raise ValueError(f"state_names[{v!r}]: {len(names[v])} names for {cards[v]} states")
    return X, cards, names


def fit_mle(dag, data, cardinality=None, state_names=None, pseudo_count=0.0, unseen="error"):
    """Fit the CPDs of a DAG to complete data.

    Parameters
    ----------
    dag : DAG or BayesianNetwork
        The structure. A network's tables are ignored; its named states (when every node has
        a CPD) are the default ``state_names``, so labels keep its state order.
    data : ndarray of shape (n_samples, n_nodes), dict or data frame
        Int state indices with columns in ``dag.nodes`` order, or ``{node: column}`` of
        indices or state labels (labels are sorted to give the states unless
        ``state_names`` fixes them), or a data frame (pandas, or any object with
        ``.columns`` and column access) read as that dict; missing values are refused. A
        boolean column is a variable with the states (False, True); booleans where the
        states are given and are not booleans are refused, as boolean evidence is.
    cardinality : dict, optional
        ``{node: n_states}``; default: 1 + the largest index seen.
    state_names : dict, optional
        ``{node: [names]}``.
    pseudo_count : float
        Dirichlet pseudo-count α ≥ 0 added to every cell (0 = maximum likelihood).
    unseen : {"error", "uniform"}
        What to do with a parent configuration that never occurs when α = 0: raise (default;
        nothing is filled in silently) or use the uniform distribution.

    Returns
    -------
    BayesianNetwork
        The DAG with the fitted CPDs.
    """
    check_fit_options(dag, pseudo_count, unseen)
    X, cards, names = _columns(dag, data, cardinality, state_names)
    layout = family_layout(dag, cards)
    flat = np.zeros(layout[-1], dtype=np.int64)
    count = _K.family_counts if use_jit("pgm.family_counts", X.size) else family_counts_ref
    count(np.ascontiguousarray(X), *layout[:-1], flat)
    return cpds_from_counts(dag, flat, layout[3], cards, names, pseudo_count, unseen)


def check_fit_options(dag, pseudo_count, unseen):
    """The checks of :func:`fit_mle`'s ``dag``, ``pseudo_count`` and ``unseen``."""
    if not isinstance(dag, DAG):
        raise TypeError(f"dag: expected a DAG or BayesianNetwork, got {type(dag).__name__}")
    if isinstance(pseudo_count, bool) or not isinstance(pseudo_count, numbers.Real) \
            or not np.isfinite(pseudo_count) or pseudo_count < 0:
        raise ValueError(f"pseudo_count: expected a finite number >= 0, got {pseudo_count!r}")
    if unseen not in ("error", "uniform"):
        raise ValueError(f"unseen: expected 'error' or 'uniform', got {unseen!r}")


def family_layout(dag, cards):
    """Where each node's family counts go in one flat table (shared with :mod:`pgm.scale`).

    Returns ``(fam_cols, fam_strides, fam_ptr, offsets, size)`` for
    :func:`pgm._sampling_kernels.family_counts`, node v's table laid out as
    (card_v, *parents_card) in C order, columns in ``dag.nodes`` order.
    """
    col = {v: i for i, v in enumerate(dag.nodes)}
    fam_cols, fam_strides, fam_ptr, offsets = [], [], [0], []
    size = 0
    for v in dag.nodes:
        fam = (v,) + tuple(dag.parents(v))
        fc = [cards[u] for u in fam]
        st = np.ones(len(fc), dtype=np.int64)
        if len(fc) > 1:
            st[:-1] = np.cumprod(fc[::-1])[:-1][::-1]
        fam_cols += [col[u] for u in fam]
        fam_strides += st.tolist()
        fam_ptr.append(len(fam_cols))
        offsets.append(size)
        size += int(np.prod(fc, dtype=np.int64))
    return (np.array(fam_cols, dtype=np.int64), np.array(fam_strides, dtype=np.int64),
            np.array(fam_ptr, dtype=np.int64), np.array(offsets, dtype=np.int64), size)


def cpds_from_counts(dag, flat, offsets, cards, names, pseudo_count=0.0, unseen="error"):
    """The fitted network from the flat family counts of :func:`family_layout`."""
    bn = BayesianNetwork(dag.edges, dag.nodes)
    cpds = []
    for k, v in enumerate(dag.nodes):
        pa = dag.parents(v)
        pc = [cards[p] for p in pa]
        ncols = int(np.prod(pc, dtype=np.int64)) if pa else 1
        counts = flat[offsets[k]: offsets[k] + cards[v] * ncols].reshape(cards[v], ncols).astype(float)
        counts += pseudo_count
        tot = counts.sum(axis=0)
        empty = tot == 0
        if empty.any():
            if unseen == "error":
                j = int(np.flatnonzero(empty)[0])
                cfg = np.unravel_index(j, pc)
                desc = ", ".join(f"{p}={names.get(p, range(cards[p]))[int(i)]}" for p, i in zip(pa, cfg))
                raise ValueError(
                    f"data: node {v!r} has no rows with parents ({desc}) ({int(empty.sum())} such "
                    "column(s) in all); give pseudo_count > 0 or unseen='uniform'")
            counts[:, empty] = 1.0
            tot = counts.sum(axis=0)
        sn = {u: names[u] for u in (v,) + tuple(pa) if u in names}
        cpds.append(TabularCPD(v, cards[v], counts / tot, pa, pc, state_names=sn or None))
    bn.add_cpds(*cpds)
    bn.check_model()
    return bn
