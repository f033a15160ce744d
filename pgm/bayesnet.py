"""Bayesian networks: a DAG with one CPD per node, p(x) = Π_k p(x_k | pa_k).

:class:`BayesianNetwork` holds :class:`~pgm.cpd.TabularCPD` s and checks the whole model (each
node has a CPD, its parents are the DAG's, cardinalities and state names agree). It gives the
joint as a factor product, log-probabilities of full assignments (vectorised over rows), and
normalisation checks at the levels of the course proof:

1. local — every column of every CPD sums to 1;
2. exact global — the joint is summed over all states by eliminating the variables in reverse
   topological order, each elimination summing one CPD over its child, exactly as in the
   proof (the full joint table is never built);
3. continuous — :class:`LinearGaussianBayesianNetwork` gives the implied joint Gaussian
   (mean, covariance) and integrates small networks numerically with scipy.

Data layout: an ``ndarray of shape (n_samples, n_nodes)`` of state *indices*, columns in
``model.nodes`` order, or a dict ``{node: array of indices or state names}``.

Examples
--------
>>> from pgm.cpd import TabularCPD
>>> bn = BayesianNetwork([("Rain", "Wet")])
>>> bn.add_cpds(TabularCPD("Rain", 2, [0.8, 0.2]),
...             TabularCPD("Wet", 2, [[0.9, 0.1], [0.1, 0.9]], ["Rain"], [2]))
>>> bn.check_normalization().ok
True
>>> round(float(np.exp(bn.log_prob(np.array([[1, 1]])))[0]), 12)   # P(Rain=1, Wet=1)
0.18
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ._frames import first_row_not_in, frame_columns, is_frame, refuse_bools, row_label
from .cpd import DEFAULT_ATOL, LinearGaussianCPD, TabularCPD
from .dag import DAG
from .factor import DiscreteFactor, factor_product
from .markov import MarkovNetwork
from .runtime import check_rng, check_scalar
from .sampling import forward_sample

__all__ = ["BayesianNetwork", "LinearGaussianBayesianNetwork", "NormalizationReport"]


@dataclass
class NormalizationReport:
    """Result of :meth:`BayesianNetwork.check_normalization`.

    Attributes
    ----------
    ok : bool
        Every check passed within ``atol``.
    local : dict
        ``{node: max |column sum - 1|}`` (level 1).
    global_sum : float or None
        Σ_x p(x) by reverse-topological elimination (level 2); None when not run.
    elimination : list of (node, max ``|Σ_{x_node} p(x_node | pa) - 1|``)
        One entry per eliminated node, in elimination order (the steps of the proof).
    failures : list of str
        One message per failing node (empty when ``ok``).
    atol : float
    """

    ok: bool
    local: dict
    global_sum: float | None
    elimination: list = field(default_factory=list)
    failures: list = field(default_factory=list)
    atol: float = DEFAULT_ATOL
    extra: dict = field(default_factory=dict)


class BayesianNetwork(DAG):
    """A discrete Bayesian network.

    Parameters
    ----------
    edges : iterable of (parent, child), optional
    nodes : iterable, optional
        Extra isolated nodes.

    Examples
    --------
    >>> from pgm.cpd import TabularCPD
    >>> bn = BayesianNetwork([("A", "B")])
    >>> bn.add_cpds(TabularCPD("A", 2, [0.3, 0.7]),
    ...             TabularCPD("B", 2, [[1, 0.5], [0, 0.5]], ["A"], [2]))
    >>> bn.joint_factor().values.round(2).tolist()
    [[0.3, 0.0], [0.35, 0.35]]
    """

    _inference_kind = "directed"  # how the exact engines read it (pgm.inference._engine)

    def __init__(self, edges=(), nodes=()):
        super().__init__(edges, nodes)
        self._cpds: dict = {}
        self._version = 0

    # ------------------------------------------------------------------ building
    def _changed(self):
        super()._changed()
        self._version = getattr(self, "_version", 0) + 1

    def add_cpds(self, *cpds):
        """Attach CPDs (replacing any earlier CPD of the same node).

        Each CPD must be a :class:`TabularCPD` for a node of the graph whose parents are
        exactly the node's parents in the DAG (any order).
        """
        for cpd in cpds:
            if not isinstance(cpd, TabularCPD):
                raise TypeError(f"cpds: expected TabularCPD, got {type(cpd).__name__}"
                                + (" (use LinearGaussianBayesianNetwork)" if
                                   isinstance(cpd, LinearGaussianCPD) else ""))
            v = cpd.variable
            if v not in self:
                raise ValueError(f"cpds: CPD for {v!r}, which is not a node of the network "
                                 f"(nodes: {list(self.nodes)})")
            dag_pa = set(self._parents[v])
            if set(cpd.parents) != dag_pa:
                raise ValueError(f"cpds: the CPD of {v!r} has parents {list(cpd.parents)} but the "
                                 f"DAG gives {list(self._parents[v])}")
        # cardinalities and state names must agree with the CPDs already there (or given now)
        proposed = {**self._cpds, **{c.variable: c for c in cpds}}
        for cpd in cpds:
            v = cpd.variable
            for p, card in zip(cpd.parents, cpd.parents_card):
                if p in proposed and proposed[p].cardinality != card:
                    raise ValueError(f"cpds: the CPD of {v!r} gives parent {p!r} {card} states but "
                                     f"the CPD of {p!r} has {proposed[p].cardinality}")
            for ch in self._g.successors(v):
                if ch in proposed:
                    cc = proposed[ch]
                    card = cc.parents_card[cc.parents.index(v)]
                    if card != cpd.cardinality:
                        raise ValueError(f"cpds: the CPD of {v!r} has {cpd.cardinality} states but the "
                                         f"CPD of its child {ch!r} expects {card}; replace both together")
        for cpd in cpds:
            self._cpds[cpd.variable] = cpd
        self._changed()

    def remove_cpds(self, *nodes):
        for n in nodes:
            self._cpds.pop(self._check_node(n), None)
        self._changed()

    def get_cpd(self, node) -> TabularCPD:
        """The CPD of ``node`` (error when missing)."""
        self._check_node(node)
        if node not in self._cpds:
            raise ValueError(f"node {node!r} has no CPD yet (add_cpds)")
        return self._cpds[node]

    @property
    def cpds(self) -> list:
        """CPDs in node order."""
        return [self._cpds[n] for n in self.nodes if n in self._cpds]

    # ------------------------------------------------------------------ model checks
    def check_model(self) -> bool:
        """Validate the whole model; return True or raise ValueError naming the problem.

        Checks that every node has a CPD, that each CPD's parents are the node's parents in the
        DAG, that each parent's cardinality and state names in a child's CPD agree with the
        parent's own CPD, and that every table is still the validated one.
        """
        for v in self.nodes:
            if v not in self._cpds:
                raise ValueError(f"check_model: node {v!r} has no CPD")
        for v in self.nodes:
            cpd = self._cpds[v]
            if set(cpd.parents) != set(self._parents[v]):
                raise ValueError(f"check_model: the CPD of {v!r} has parents {list(cpd.parents)}, "
                                 f"the DAG gives {list(self._parents[v])}")
            if cpd.table.flags.writeable:  # pragma: no cover - only by deliberate tampering
                raise ValueError(f"check_model: the table of {v!r} was made writeable")
            for p, c in zip(cpd.parents, cpd.parents_card):
                pc = self._cpds[p]
                if pc.cardinality != c:
                    raise ValueError(f"check_model: the CPD of {v!r} gives parent {p!r} {c} states "
                                     f"but the CPD of {p!r} has {pc.cardinality}")
                if cpd.state_names[p] != pc.state_names[p] and cpd.state_names[p] != tuple(range(c)):
                    raise ValueError(f"check_model: state names of {p!r} differ between its CPD "
                                     f"{list(pc.state_names[p])} and the CPD of {v!r} "
                                     f"{list(cpd.state_names[p])}")
        return True

    @property
    def cardinality(self) -> dict:
        """``{node: number of states}`` (needs every CPD)."""
        return {v: self.get_cpd(v).cardinality for v in self.nodes}

    @property
    def state_names(self) -> dict:
        """``{node: tuple of state names}``."""
        return {v: self.get_cpd(v).state_names[v] for v in self.nodes}

    # ------------------------------------------------------------------ evidence/data encoding
    def state_index(self, node, state, what="evidence") -> int:
        """Index of ``state`` (a name, or an index when the states are unnamed) of ``node``."""
        if node not in self:
            raise ValueError(f"{what}: {node!r} is not a variable of the network")
        names = self.get_cpd(node).state_names[node]
        if isinstance(state, (bool, np.bool_)) and not any(
                isinstance(n, (bool, np.bool_)) for n in names):
            # True == 1 in Python: {"Wet": True} would silently select state 1
            raise ValueError(f"{what}: {state!r} for {node!r} is a boolean, but the states of "
                             f"{node!r} are {list(names)}: give a state name or an integer index")
        try:
            if state in names:
                return names.index(state)
        except TypeError:
            pass
        if (isinstance(state, (int, np.integer)) and not isinstance(state, bool)
                and names == tuple(range(len(names))) and 0 <= state < len(names)):
            return int(state)
        raise ValueError(f"{what}: {state!r} is not a state of {node!r} "
                         f"(its states are {list(names)})")

    def encode_evidence(self, evidence, what="evidence") -> dict:
        """``{node: state}`` → ``{node: index}``, every node and state checked.

        A one-row data frame (an object with ``.columns``, e.g. pandas) is read as
        ``{column: value}``."""
        evidence = _one_row(evidence, what) if is_frame(evidence) else evidence
        if evidence is None:
            return {}
        if not isinstance(evidence, dict):
            raise TypeError(f"{what}: expected a dict {{variable: state}}, got {type(evidence).__name__}")
        return {v: self.state_index(v, s, what) for v, s in evidence.items()}

    def encode_data(self, data, name="data") -> np.ndarray:
        """Data → int64 array of shape (n_samples, n_nodes) in ``self.nodes`` order, checked."""
        cards = np.array([self.get_cpd(v).cardinality for v in self.nodes])
        frame = data if is_frame(data) else None
        if frame is not None:  # pandas or any table with .columns: by column, no pandas import
            data = frame_columns(frame, name)
        if isinstance(data, dict):
            missing = [v for v in self.nodes if v not in data]
            if missing:
                raise ValueError(f"{name}: no column for variable(s) {missing}")
            extra = [k for k in data if k not in self]
            if extra:
                raise ValueError(f"{name}: column(s) {extra} are not variables of the network")
            cols = []
            for v in self.nodes:
                col = np.asarray(data[v])
                if col.ndim != 1:
                    raise ValueError(f"{name}[{v!r}]: expected a 1-D column, got shape {col.shape}")
                names = self.get_cpd(v).state_names[v]
                refuse_bools(col, names, f"{name}[{v!r}]", v)
                # integers are state indices unless the states themselves are other integers
                if col.dtype.kind in "iu" and (names == tuple(range(len(names))) or not any(
                        isinstance(x, (int, np.integer)) for x in names)):
                    cols.append(col.astype(np.int64))
                else:
                    lut = {s: i for i, s in enumerate(names)}
                    try:
                        cols.append(np.array([lut[s] for s in col.tolist()], dtype=np.int64))
                    except (KeyError, TypeError):
                        r = first_row_not_in(col, lut)
                        at = row_label(frame, r) if frame is not None else f"row {r}"
                        raise ValueError(f"{name}[{v!r}]: {col.tolist()[r]!r} at {at} is not a "
                                         f"state of {v!r} (states {list(names)})") from None
            lens = {len(c) for c in cols}
            if len(lens) > 1:
                raise ValueError(f"{name}: columns have different lengths {sorted(lens)}")
            X = np.stack(cols, axis=1) if cols else np.zeros((0, 0), np.int64)
        else:
            X = np.asarray(data)
            if X.ndim != 2 or X.shape[1] != len(self.nodes):
                raise ValueError(f"{name}: expected an int array of shape (n_samples, "
                                 f"{len(self.nodes)}) with columns {list(self.nodes)}, got shape {X.shape}")
            if X.dtype.kind not in "iu":
                raise TypeError(f"{name}: expected integer state indices, got dtype {X.dtype}")
            X = X.astype(np.int64, copy=False)
        bad = (X < 0) | (X >= cards[None, :])
        if bad.any():
            r, c = np.argwhere(bad)[0]
            raise ValueError(f"{name}: row {r}, column {self.nodes[c]!r} holds state index "
                             f"{X[r, c]}, expected 0..{cards[c] - 1}")
        return X

    # ------------------------------------------------------------------ probabilities
    def joint_factor(self, max_entries: int = 2**24) -> DiscreteFactor:
        """The joint p(x) as one factor (product of all CPDs), axes in ``self.nodes`` order.

        Refuses tables with more than ``max_entries`` entries.
        """
        self.check_model()
        size = math.prod(self.get_cpd(v).cardinality for v in self.nodes)
        if size > max_entries:
            raise ValueError(f"joint_factor: the joint has {size} entries > max_entries={max_entries}")
        f = factor_product(*[c.to_factor() for c in self.cpds])
        return f.transpose(self.nodes)

    def log_prob(self, data) -> np.ndarray:
        """log p(x) for each row of full assignments.

        Parameters
        ----------
        data : ndarray of shape (n_samples, n_nodes) or dict
            State indices, columns in ``self.nodes`` order (or a dict of columns).

        Returns
        -------
        ndarray of shape (n_samples,)
            ``-inf`` where the assignment has probability zero.
        """
        self.check_model()
        X = self.encode_data(data)
        col = {v: i for i, v in enumerate(self.nodes)}
        out = np.zeros(X.shape[0])
        with np.errstate(divide="ignore"):
            for v in self.nodes:
                cpd = self._cpds[v]
                idx = (X[:, col[v]],) + tuple(X[:, col[p]] for p in cpd.parents)
                out += np.log(cpd.table[idx])
        return out

    # ------------------------------------------------------------------ normalisation
    def check_normalization(self, level="all", atol=DEFAULT_ATOL, raise_on_failure=False):
        """Check that the model is a normalised distribution.

        Parameters
        ----------
        level : {"local", "global", "all"}
            ``"local"``: every CPD column sums to 1. ``"global"``: Σ_x p(x) = 1 by eliminating
            nodes in reverse topological order (each step sums one child out of its CPD; the
            intermediate factors never exceed one CPD's size). ``"all"``: both.
        atol : float
            Absolute tolerance.
        raise_on_failure : bool
            Raise ValueError naming the failing node(s) instead of returning a failed report.

        Returns
        -------
        NormalizationReport
        """
        if level not in ("local", "global", "all"):
            raise ValueError(f"level: expected 'local', 'global' or 'all', got {level!r}")
        self.check_model()
        failures = []
        local = {}
        if level in ("local", "all"):
            for v in self.nodes:
                d = float(np.max(np.abs(self._cpds[v].column_sums() - 1.0)))
                local[v] = d
                if d > atol:
                    failures.append(f"node {v!r}: a column of its CPD is off by {d:.3e} > atol={atol:g}")
        gsum = None
        elim = []
        if level in ("global", "all"):
            # Reverse topological order: when v is eliminated its children are gone, so v
            # occurs in its own CPD only (plus any message kept below), and summing it out
            # leaves a message over its parents that is identically 1 when the CPD is valid.
            # A message within atol of 1 is dropped (the step of the proof; the total is then
            # exact up to n_nodes * atol); a message off 1 by more is kept and multiplied on,
            # so the total reports the actual sum of the (improper) joint.
            factors = [self._cpds[v].to_factor() for v in self.nodes]
            for v in reversed(self.topological_order()):
                mine = [f for f in factors if v in f.variables]
                factors = [f for f in factors if v not in f.variables]
                s = factor_product(*mine).marginalize([v])
                d = float(np.max(np.abs(s.values - 1.0)))
                elim.append((v, d))
                if d > atol:
                    failures.append(f"node {v!r}: summing it out of p({v} | parents) leaves values "
                                    f"off 1 by {d:.3e} > atol={atol:g}")
                    factors.append(s)
            total = float(np.prod([float(f.values) for f in factors])) if factors else 1.0
            gsum = total
            if abs(gsum - 1.0) > atol * max(1, len(self.nodes)):
                failures.append(f"global: the joint sums to {gsum!r}, not 1")
        rep = NormalizationReport(ok=not failures, local=local, global_sum=gsum,
                                  elimination=elim, failures=failures, atol=atol)
        if raise_on_failure and failures:
            raise ValueError("check_normalization: " + "; ".join(failures))
        return rep

    # ------------------------------------------------------------------ conveniences
    def sample(self, n_samples, rng=None):
        """Ancestral samples, see :func:`pgm.sampling.forward_sample`."""
        return forward_sample(self, n_samples, rng=rng)

    def to_markov_network(self) -> MarkovNetwork:
        """Moralisation: a :class:`~pgm.markov.MarkovNetwork` with one factor per CPD (over
        the node's family), the same state names, Z = 1 and the same distribution; its
        Markov graph is :meth:`moral_graph`.

        Examples
        --------
        >>> from pgm.cpd import TabularCPD
        >>> bn = BayesianNetwork([("A", "C"), ("B", "C")])
        >>> bn.add_cpds(TabularCPD("A", 2, [0.5, 0.5]), TabularCPD("B", 2, [0.5, 0.5]),
        ...             TabularCPD("C", 2, [[1, 0.5, 0.5, 0], [0, 0.5, 0.5, 1]], ["A", "B"], [2, 2]))
        >>> mn = bn.to_markov_network()
        >>> sorted(mn.to_networkx().edges()) == sorted(bn.moral_graph().edges())
        True
        """
        self.check_model()
        return MarkovNetwork([self._cpds[v].to_factor() for v in self.nodes],
                             state_names={v: list(s) for v, s in self.state_names.items()})

    def copy(self) -> "BayesianNetwork":
        bn = BayesianNetwork(self.edges, self.nodes)
        bn.add_cpds(*self.cpds)  # CPDs are immutable, sharing them is safe
        return bn


def _one_row(frame, what):
    cols = frame_columns(frame, what)
    n = {len(c) for c in cols.values()}
    if n != {1}:
        raise ValueError(f"{what}: expected a data frame with one row (one assignment), got "
                         f"{sorted(n)[0] if n else 0} rows")
    return {k: c[0].item() if isinstance(c[0], np.generic) else c[0] for k, c in cols.items()}


class LinearGaussianBayesianNetwork(DAG):
    """A Bayesian network of linear-Gaussian CPDs, x_k ~ N(b_k + w_k · pa_k, σ_k²).

    The joint is Gaussian: with B the weight matrix (B[k, j] = weight of parent j in x_k) and
    A = (I - B)⁻¹, the mean is A b and the covariance A diag(σ²) Aᵀ.

    Examples
    --------
    >>> from pgm.cpd import LinearGaussianCPD
    >>> g = LinearGaussianBayesianNetwork([("x", "y")])
    >>> g.add_cpds(LinearGaussianCPD("x", 0.0, std=1.0), LinearGaussianCPD("y", 1.0, [2.0], ["x"], std=1.0))
    >>> mean, cov = g.to_joint_gaussian()
    >>> mean.tolist(), cov.tolist()
    ([0.0, 1.0], [[1.0, 2.0], [2.0, 5.0]])
    """

    def __init__(self, edges=(), nodes=()):
        super().__init__(edges, nodes)
        self._cpds: dict = {}

    def add_cpds(self, *cpds):
        for cpd in cpds:
            if not isinstance(cpd, LinearGaussianCPD):
                raise TypeError(f"cpds: expected LinearGaussianCPD, got {type(cpd).__name__}")
            v = cpd.variable
            if v not in self:
                raise ValueError(f"cpds: CPD for {v!r}, which is not a node of the network")
            if set(cpd.parents) != set(self._parents[v]):
                raise ValueError(f"cpds: the CPD of {v!r} has parents {list(cpd.parents)} but the "
                                 f"DAG gives {list(self._parents[v])}")
        for cpd in cpds:
            self._cpds[cpd.variable] = cpd

    def get_cpd(self, node) -> LinearGaussianCPD:
        self._check_node(node)
        if node not in self._cpds:
            raise ValueError(f"node {node!r} has no CPD yet (add_cpds)")
        return self._cpds[node]

    @property
    def cpds(self):
        return [self._cpds[n] for n in self.nodes if n in self._cpds]

    def check_model(self) -> bool:
        for v in self.nodes:
            cpd = self.get_cpd(v)
            if set(cpd.parents) != set(self._parents[v]):
                raise ValueError(f"check_model: the CPD of {v!r} has parents {list(cpd.parents)}, "
                                 f"the DAG gives {list(self._parents[v])}")
        return True

    def to_joint_gaussian(self):
        """Mean and covariance of the joint, in ``self.nodes`` order.

        Returns
        -------
        mean : ndarray of shape (n_nodes,)
        cov : ndarray of shape (n_nodes, n_nodes)
            Symmetric positive definite (every σ > 0).
        """
        self.check_model()
        nodes = self.nodes
        pos = {v: i for i, v in enumerate(nodes)}
        n = len(nodes)
        B = np.zeros((n, n))
        b = np.zeros(n)
        s = np.zeros(n)
        for v in nodes:
            c = self._cpds[v]
            b[pos[v]] = c.bias
            s[pos[v]] = c.std
            for w, p in zip(c.weights, c.parents):
                B[pos[v], pos[p]] = w
        # (I - B) is unit lower-triangular in topological order: solve instead of inverting
        A = np.linalg.solve(np.eye(n) - B, np.eye(n))
        mean = A @ b
        L = A * s[None, :]
        cov = L @ L.T
        cov = 0.5 * (cov + cov.T)
        return mean, cov

    def log_prob(self, X) -> np.ndarray:
        """Σ_k log N(x_k; b_k + w_k·pa_k, σ_k²) for rows X of shape (n_samples, n_nodes)."""
        self.check_model()
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != len(self.nodes):
            raise ValueError(f"X: expected shape (n_samples, {len(self.nodes)}), got {X.shape}")
        col = {v: X[:, i] for i, v in enumerate(self.nodes)}
        return sum(self._cpds[v].logpdf(col[v], col) for v in self.nodes)

    def sample(self, n_samples, rng=None) -> np.ndarray:
        """Ancestral samples, shape (n_samples, n_nodes), columns in ``self.nodes`` order."""
        n = check_scalar(n_samples, "n_samples", low=1, integer=True)
        gen = check_rng(rng)
        self.check_model()
        out = np.empty((n, len(self.nodes)))
        pos = {v: i for i, v in enumerate(self.nodes)}
        for v in self.topological_order():
            c = self._cpds[v]
            mu = np.full(n, c.bias)
            for w, p in zip(c.weights, c.parents):
                mu += w * out[:, pos[p]]
            out[:, pos[v]] = mu + c.std * gen.standard_normal(n)
        return out

    def check_normalization(self, integrate_max_nodes=2, atol=1e-6, raise_on_failure=False):
        """Check that the joint density integrates to 1.

        Local: each CPD is a proper Gaussian (σ > 0, finite; guaranteed at construction and
        re-checked). Joint: the implied covariance is symmetric positive definite. Numeric:
        for networks of at most ``integrate_max_nodes`` nodes, ∫ p(x) dx by
        :func:`scipy.integrate.nquad` over ℝⁿ.

        Returns
        -------
        NormalizationReport
            ``extra`` holds ``min_eigenvalue`` and, when integrated, ``integral``.
        """
        # lazy on purpose: scipy.integrate adds ~0.2 s to `import pgm` and only this check uses it
        from scipy import integrate
        failures = []
        local = {}
        for v in self.nodes:
            c = self.get_cpd(v)
            ok = np.isfinite(c.std) and c.std > 0 and np.isfinite(c.bias) and np.all(np.isfinite(c.weights))
            local[v] = 0.0 if ok else np.inf
            if not ok:
                failures.append(f"node {v!r}: not a proper Gaussian (std={c.std}, bias={c.bias})")
        mean, cov = self.to_joint_gaussian()
        ev = np.linalg.eigvalsh(cov)
        extra = {"min_eigenvalue": float(ev.min()), "mean": mean, "cov": cov}
        if not (np.allclose(cov, cov.T) and ev.min() > 0):
            failures.append(f"joint covariance is not SPD (min eigenvalue {ev.min():.3e})")
        gsum = None
        if len(self.nodes) <= integrate_max_nodes:
            order = self.topological_order()
            pos = {v: i for i, v in enumerate(self.nodes)}

            def dens(*xs):
                x = np.empty(len(self.nodes))
                for v, xv in zip(order, xs):
                    x[pos[v]] = xv
                return float(np.exp(self.log_prob(x[None, :])[0]))

            # integrate around the mean, ±12 standard deviations (the tail beyond is < 1e-30)
            sd = np.sqrt(np.diag(cov))
            ranges = [(mean[pos[v]] - 12 * sd[pos[v]], mean[pos[v]] + 12 * sd[pos[v]]) for v in order]
            val, _ = integrate.nquad(dens, ranges,
                                     opts={"epsabs": 1e-10, "epsrel": 1e-10, "limit": 200})
            gsum = float(val)
            extra["integral"] = gsum
            if abs(gsum - 1) > atol:
                failures.append(f"global: the density integrates to {gsum!r}, not 1 within {atol:g}")
        rep = NormalizationReport(ok=not failures, local=local, global_sum=gsum, failures=failures,
                                  atol=atol, extra=extra)
        if raise_on_failure and failures:
            raise ValueError("check_normalization: " + "; ".join(failures))
        return rep

