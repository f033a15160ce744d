"""Directed acyclic graphs over networkx: construction, orders, families, moralisation, d-separation.

A :class:`DAG` wraps a :class:`networkx.DiGraph` and keeps it acyclic: every edge that would
close a cycle is refused with an error that spells the cycle out. Orders and ancestor sets
are computed iteratively, so chains of many thousands of nodes are fine.

Examples
--------
>>> g = DAG([("Cloudy", "Rain"), ("Cloudy", "Sprinkler"), ("Rain", "Wet"), ("Sprinkler", "Wet")])
>>> g.parents("Wet")
('Rain', 'Sprinkler')
>>> g.is_d_separated("Rain", "Sprinkler", {"Cloudy"})
True
>>> g.is_d_separated("Rain", "Sprinkler", {"Cloudy", "Wet"})
False
"""

from __future__ import annotations

from collections import deque

from .runtime.jit import nx

__all__ = ["DAG", "moral_adjacency"]


def moral_adjacency(parents, nodes=None, drop=()) -> dict:
    """The moral graph as ``{node: set of neighbours}``: each family (a node and its parents)
    joined pairwise, directions dropped. The one moral-graph builder of the package
    (:meth:`DAG.moral_graph`, the inference engines and their pruning all use it).

    Parameters
    ----------
    parents : mapping
        ``{node: tuple of parents}``; its order is the node order of the result.
    nodes : iterable, optional
        Restrict to the subgraph induced by these nodes (the result follows their order).
    drop : container, optional
        Nodes removed after moralisation: a dropped node's parents are still married (the
        moral graph of an ancestral set with the evidence removed, for d-separation).

    Examples
    --------
    >>> adj = moral_adjacency({"a": (), "b": (), "c": ("a", "b")})
    >>> {v: sorted(s) for v, s in adj.items()}
    {'a': ['b', 'c'], 'b': ['a', 'c'], 'c': ['a', 'b']}
    >>> {v: sorted(s) for v, s in moral_adjacency({"a": (), "b": (), "c": ("a", "b")}, drop={"c"}).items()}
    {'a': ['b'], 'b': ['a']}
    """
    keep = parents if nodes is None else nodes
    inside = None if nodes is None else set(keep)
    adj = {v: set() for v in keep if v not in drop}
    for v in keep:
        fam = [u for u in (v, *parents[v]) if u not in drop and (inside is None or u in inside)]
        for u in fam:
            adj[u].update(fam)
    for v, s in adj.items():
        s.discard(v)
    return adj


def _check_name(node, what="node"):
    try:
        hash(node)
    except TypeError:
        raise TypeError(f"{what}: node names must be hashable, got {node!r}") from None
    if node is None:
        raise TypeError(f"{what}: None is not a valid node name")
    return node


class DAG:
    """A directed acyclic graph.

    Parameters
    ----------
    edges : iterable of (u, v) pairs, optional
        Directed edges u -> v. A self-loop or a cycle is an error naming it.
    nodes : iterable of hashable, optional
        Extra (possibly isolated) nodes; node order is first appearance in ``nodes`` then
        ``edges``.

    Examples
    --------
    >>> DAG([("a", "b"), ("b", "c")]).topological_order()
    ['a', 'b', 'c']
    >>> DAG([("a", "b"), ("b", "a")])
    Traceback (most recent call last):
    ...
    ValueError: edges: the graph has a cycle a -> b -> a; a DAG must have none
    """

    def __init__(self, edges=(), nodes=()):
        self._g = nx.DiGraph()
        self._parents: dict = {}
        for n in nodes:
            self._add_node(_check_name(n, "nodes"))
        edge_list = []
        for e in edges:
            try:
                u, v = e
            except (TypeError, ValueError):
                raise TypeError(f"edges: each edge must be a (parent, child) pair, got {e!r}") from None
            _check_name(u, "edges")
            _check_name(v, "edges")
            if u == v:
                raise ValueError(f"edges: self-loop {u!r} -> {v!r}; a DAG has no self-loops")
            edge_list.append((u, v))
        for u, v in edge_list:
            self._add_node(u)
            self._add_node(v)
            if u in self._parents[v]:
                raise ValueError(f"edges: edge {u!r} -> {v!r} is given twice")
            self._g.add_edge(u, v)
            self._parents[v] = self._parents[v] + (u,)
        if not nx.is_directed_acyclic_graph(self._g):
            cyc = nx.find_cycle(self._g)
            path = " -> ".join(str(a) for a, _ in cyc) + f" -> {cyc[0][0]}"
            raise ValueError(f"edges: the graph has a cycle {path}; a DAG must have none")
        self._topo = None

    # ------------------------------------------------------------------ building
    def _add_node(self, n):
        if n not in self._parents:
            self._g.add_node(n)
            self._parents[n] = ()

    def add_node(self, node):
        """Add an isolated node (no-op when present)."""
        self._add_node(_check_name(node))
        self._changed()

    def add_edge(self, u, v):
        """Add the edge ``u -> v``; refuse self-loops and edges that would close a cycle."""
        _check_name(u)
        _check_name(v)
        if u == v:
            raise ValueError(f"edge: self-loop {u!r} -> {v!r}; a DAG has no self-loops")
        if u in self._parents and v in self._parents:
            if u in self._parents[v]:
                raise ValueError(f"edge: {u!r} -> {v!r} is already in the graph")
            if nx.has_path(self._g, v, u):
                path = nx.shortest_path(self._g, v, u)
                cyc = " -> ".join(map(str, [u] + path))
                raise ValueError(f"edge: adding {u!r} -> {v!r} would close the cycle {cyc}")
        self._add_node(u)
        self._add_node(v)
        self._g.add_edge(u, v)
        self._parents[v] = self._parents[v] + (u,)
        self._changed()

    def _changed(self):
        self._topo = None

    # ------------------------------------------------------------------ queries
    @property
    def nodes(self) -> tuple:
        """Nodes in insertion order."""
        return tuple(self._parents)

    @property
    def edges(self) -> list:
        """List of (parent, child) pairs."""
        return list(self._g.edges())

    def __contains__(self, node):
        try:
            return node in self._parents
        except TypeError:
            return False

    def __len__(self):
        return len(self._parents)

    def _check_node(self, node, what="node"):
        if node not in self:
            raise ValueError(f"{what}: {node!r} is not a node of the graph")
        return node

    def _node_set(self, nodes, what):
        if nodes is None:
            return set()
        if isinstance(nodes, (set, frozenset, list, tuple)):
            return {self._check_node(n, what) for n in nodes}
        return {self._check_node(nodes, what)}

    def parents(self, node) -> tuple:
        """Parents of ``node`` in the order their edges were added."""
        return self._parents[self._check_node(node)]

    def children(self, node) -> tuple:
        """Children of ``node``."""
        return tuple(self._g.successors(self._check_node(node)))

    def ancestors(self, nodes) -> set:
        """Strict ancestors of a node or of a set of nodes (iterative search)."""
        start = self._node_set(nodes, "nodes")
        seen: set = set()
        stack = [p for n in start for p in self._parents[n]]
        while stack:
            n = stack.pop()
            if n not in seen:
                seen.add(n)
                stack.extend(self._parents[n])
        return seen

    def descendants(self, nodes) -> set:
        """Strict descendants of a node or a set of nodes."""
        start = self._node_set(nodes, "nodes")
        seen: set = set()
        stack = [c for n in start for c in self._g.successors(n)]
        while stack:
            n = stack.pop()
            if n not in seen:
                seen.add(n)
                stack.extend(self._g.successors(n))
        return seen

    def markov_blanket(self, node) -> set:
        """Parents, children and the children's other parents of ``node``."""
        node = self._check_node(node)
        mb = set(self._parents[node])
        for c in self._g.successors(node):
            mb.add(c)
            mb.update(self._parents[c])
        mb.discard(node)
        return mb

    def topological_order(self) -> list:
        """A topological order (parents before children), computed iteratively (Kahn).

        Ties are broken by insertion order, so the order is deterministic.
        """
        if self._topo is None:
            indeg = {n: len(p) for n, p in self._parents.items()}
            queue = deque(n for n, d in indeg.items() if d == 0)
            order = []
            while queue:
                n = queue.popleft()
                order.append(n)
                for c in self._g.successors(n):
                    indeg[c] -= 1
                    if indeg[c] == 0:
                        queue.append(c)
            self._topo = order
        return list(self._topo)

    def topological_orders(self):
        """Iterate over every topological order (networkx's ``all_topological_sorts``).

        Their number grows factorially with the number of unordered nodes: take a few.

        Examples
        --------
        >>> sorted(DAG([("a", "c"), ("b", "c")]).topological_orders())
        [['a', 'b', 'c'], ['b', 'a', 'c']]
        """
        return nx.all_topological_sorts(self._g)

    def moral_graph(self, nodes=None) -> nx.Graph:
        """The moral graph (parents married, directions dropped), optionally of a node subset.

        Parameters
        ----------
        nodes : iterable, optional
            Restrict to the subgraph induced by these nodes (an ancestral set gives the
            graph used by the d-separation criterion of Lauritzen).
        """
        keep = self.nodes if nodes is None else list(nodes)
        adj = moral_adjacency(self._parents, keep)
        pos = {v: i for i, v in enumerate(keep)}
        m = nx.Graph()
        m.add_nodes_from(keep)
        # edges in node order (deterministic whatever the sets' iteration order)
        m.add_edges_from((v, u) for v in keep for u in sorted(adj[v], key=pos.__getitem__)
                         if pos[u] > pos[v])
        return m

    def is_d_separated(self, x, y, z=()) -> bool:
        """True when node sets ``x`` and ``y`` are d-separated given ``z`` (networkx's test).

        Parameters
        ----------
        x, y, z : node or set of nodes
            ``x`` and ``y`` non-empty; all three disjoint.
        """
        xs, ys, zs = (self._node_set(a, n) for a, n in ((x, "x"), (y, "y"), (z, "z")))
        if not xs or not ys:
            raise ValueError("x, y: must name at least one node each")
        for a, b, na, nb in ((xs, ys, "x", "y"), (xs, zs, "x", "z"), (ys, zs, "y", "z")):
            if a & b:
                raise ValueError(f"{na}, {nb}: must be disjoint, both contain {sorted(map(str, a & b))}")
        fn = getattr(nx, "is_d_separator", None) or getattr(nx, "d_separated")
        return bool(fn(self._g, xs, ys, zs))

    def to_networkx(self) -> nx.DiGraph:
        """A copy of the graph as a :class:`networkx.DiGraph`."""
        return self._g.copy()

    def __repr__(self):
        return f"{type(self).__name__}(n_nodes={len(self)}, n_edges={self._g.number_of_edges()})"
