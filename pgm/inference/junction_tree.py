"""Exact posterior marginals by a junction tree (clique tree), compiled once.

Compilation: moral graph, triangulation (:mod:`pgm.inference.orders`), clique tree from the
elimination, each CPD assigned to a clique (no clique table is built).
:meth:`JunctionTree.marginals` calibrates in one numba call (:mod:`pgm.inference._jt_kernels`: Hugin-style, 0/0 := 0, fused
passes that add each clique's entries straight into separator and variable marginals; the
upward messages of evidence-free barren subtrees are identically 1 and skipped) and returns
every single-node posterior at once. The numpy calibration (:meth:`JunctionTree.calibrate`)
is the reference the tests compare against. Impossible evidence raises
:class:`pgm.errors.ImpossibleEvidenceError`.

Examples
--------
>>> from pgm.bayesnet import BayesianNetwork
>>> from pgm.cpd import TabularCPD
>>> bn = BayesianNetwork([("Rain", "Wet")])
>>> bn.add_cpds(TabularCPD("Rain", 2, [0.8, 0.2]),
...             TabularCPD("Wet", 2, [[0.9, 0.1], [0.1, 0.9]], ["Rain"], [2]))
>>> JunctionTree(bn).marginals({"Wet": 1})["Rain"].round(4).tolist()
[0.3077, 0.6923]
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import ImpossibleEvidenceError, evidence_message
from ..factor import EINSUM_MAX
from ..runtime.jit import lazy_module, nx, use_jit
from ._engine import _Engine, _add
from ._jt_reference import _NumpyCalibration
from .orders import elimination_cliques, elimination_order

_K = lazy_module("pgm.inference._jt_kernels")

__all__ = ["JunctionTree"]

_BLOCK = 16  # least number of entries of the kernel's inner block (see JunctionTree)
_SMALL = 64  # cliques up to this many entries are a single block


class JunctionTree(_NumpyCalibration, _Engine):
    """A clique tree compiled once; all posterior marginals in one calibration.

    Parameters
    ----------
    model : BayesianNetwork or MarkovNetwork
        A Markov network's factors are assigned to the cliques as a Bayesian network's
        CPDs are (the calibration is the same); only the skipping of barren subtrees is
        directed-only.
    elimination_order : {"auto", "min_fill", "min_degree", "min_weight"} or list
        Triangulation of the moral graph. ``"auto"`` (default) takes min-fill and, when its
        cliques hold more than 2^17 entries in all, also min-weight, keeping the order whose
        cliques are smaller in total.
    max_table_entries : int, optional
        Largest clique table (number of entries) the tree may hold; a triangulation with a
        larger clique raises :class:`pgm.errors.TableTooLargeError` at construction, before
        anything of that size is built. Default
        :func:`~pgm.inference._engine.default_max_table_entries`: the smaller of 2**27 and
        1/8 of the machine's memory in float64 entries.

    Attributes
    ----------
    cliques : list of tuple
        Variables of each clique (sorted by topological rank).
    parent : list of int
        Parent clique of each clique (-1 for roots); every child precedes its parent.
    max_clique_size : int
        Largest number of table entries of a clique.

    Examples
    --------
    >>> from pgm.bayesnet import BayesianNetwork
    >>> from pgm.cpd import TabularCPD
    >>> bn = BayesianNetwork([("A", "B"), ("B", "C")])
    >>> bn.add_cpds(TabularCPD("A", 2, [0.5, 0.5]),
    ...             TabularCPD("B", 2, [[0.9, 0.2], [0.1, 0.8]], ["A"], [2]),
    ...             TabularCPD("C", 2, [[0.7, 0.4], [0.3, 0.6]], ["B"], [2]))
    >>> jt = JunctionTree(bn)
    >>> m = jt.marginals({"C": 0})
    >>> sorted(m), round(float(m["A"][0]), 4)
    (['A', 'B'], 0.5929)
    """

    def __init__(self, model, elimination_order="auto", max_table_entries=None):
        super().__init__(model, max_table_entries)
        self._heuristic = elimination_order
        self._recompile()

    def _recompile(self):
        c = self._c
        rank = c.topo_rank
        moral = c.adjacency  # the moral graph, or a Markov network's own graph
        elim_sets = []
        if self._heuristic == "auto":
            # min-fill; when its cliques are large, min-weight as well, keeping the smaller tree
            order = elimination_order(moral, None, "min_fill", c.cards, _cliques=elim_sets)
            total = sum(math.prod(c.cards[u] for u in cs) for cs in elim_sets)
            if total > 1 << 17:
                alt_sets = []
                alt = elimination_order(moral, None, "min_weight", c.cards, _cliques=alt_sets)
                if sum(math.prod(c.cards[u] for u in cs) for cs in alt_sets) < total:
                    order, elim_sets = alt, alt_sets
        elif isinstance(self._heuristic, str):
            order = elimination_order(moral, None, self._heuristic, c.cards, _cliques=elim_sets)
        else:
            order = list(self._heuristic)
            if len(order) != len(c.nodes) or set(order) != set(c.nodes):
                raise ValueError("elimination_order: must list every node of the network once")
            elim_sets = elimination_cliques(moral, order)
        widest = max(elim_sets, key=lambda cs: math.prod(c.cards[u] for u in cs), default=())
        self._check_table("JunctionTree", sorted(widest, key=rank.__getitem__))
        pos = {v: i for i, v in enumerate(order)}
        cliques = [tuple(sorted(cs, key=rank.__getitem__)) for cs in elim_sets]
        # parent of clique i: the clique of the earliest-eliminated variable of its separator
        m = len(order)
        parent = [min((pos[u] for u in cliques[i] if u != v), default=-1)
                  for i, v in enumerate(order)]
        kids = [[] for _ in range(m)]
        for i in range(m):
            if parent[i] >= 0:
                kids[parent[i]].append(i)
        # a clique contained in a child's clique is not maximal: the child takes its place
        alias = list(range(m))
        alive = [True] * m
        csets = [set(cl) for cl in cliques]
        for i in range(m):  # children (smaller indices) are settled before their parent
            big = next((j for j in kids[i] if csets[i] <= csets[j]), None)
            if big is None:
                continue
            alive[i] = False
            alias[i] = big
            p = parent[i]
            parent[big] = p
            for k in kids[i]:
                if k != big:
                    parent[k] = big
                    kids[big].append(k)
            if p >= 0:
                kids[p] = [big if k == i else k for k in kids[p]]
        # renumber the surviving cliques so that every child comes before its parent
        bfs = [i for i in range(m) if alive[i] and parent[i] < 0]
        h = 0
        while h < len(bfs):
            bfs.extend(kids[bfs[h]])
            h += 1
        up = bfs[::-1]
        new = {old: k for k, old in enumerate(up)}
        cliques = [cliques[i] for i in up]
        parent = [new[parent[i]] if parent[i] >= 0 else -1 for i in up]
        seps = []
        for k, cl in enumerate(cliques):
            ps = set(cliques[parent[k]]) if parent[k] >= 0 else set()
            seps.append(tuple(u for u in cl if u in ps))
        home_of_elim = [new[alias[i]] for i in range(m)]
        self.cliques = cliques
        self.parent = parent
        self._seps = seps
        self._order = order
        # clique potentials: each factor (a CPD: its family) goes to the clique of its
        # scope's first-eliminated member
        assigned = [[] for _ in cliques]
        for v, fam in c.scopes.items():
            assigned[home_of_elim[min(pos[u] for u in fam)]].append(v)
        # Kernel axis order of each clique: the fused pass (_jt_kernels.clique_pass) runs
        # its inner loop over a block of trailing axes, and a table that holds none of the
        # block's variables is touched once per block rather than once per entry. So the block
        # takes the variables the fewest tables of this clique hold (separator messages and
        # ratios of the children and of the parent, marginal targets), until it has at least
        # _BLOCK entries; the other axes stay in topological order in front.
        count: dict = {}
        for cl in cliques:
            for u in cl:
                count[u] = count.get(u, 0) + 1
        sizes = [math.prod(c.cards[u] for u in cl) for cl in cliques]
        home_i: dict = {}
        for i, cl in enumerate(cliques):
            for u in cl:
                h = home_i.get(u)
                if h is None or sizes[i] < sizes[h]:
                    home_i[u] = i
        kid_seps = [[] for _ in cliques]
        for i, p in enumerate(parent):
            if p >= 0:
                kid_seps[p].append(set(seps[i]))
        korder, blk = [], []
        for i, cl in enumerate(cliques):
            if sizes[i] <= _SMALL:  # the whole clique is one block: a single outer step
                korder.append(cl)
                blk.append(len(cl))
                continue
            own = set(seps[i])
            fams = [set(c.scopes[v]) for v in assigned[i]]
            use = {u: 3 * sum(u in ks for ks in kid_seps[i]) + 2 * (u in own)
                   + 2 * sum(u in f for f in fams) + (home_i[u] == i) for u in cl}
            ranked = sorted(cl, key=lambda u: (use[u], -c.cards[u], rank[u]))
            b, size = [], 1
            for u in ranked:
                if size >= _BLOCK:
                    break
                b.append(u)
                size *= c.cards[u]
            bs = set(b)
            korder.append(tuple(u for u in cl if u not in bs) + tuple(reversed(b)))
            blk.append(len(b))
        self._blk = blk
        for cl in cliques:
            if len(cl) > EINSUM_MAX:
                raise ValueError(f"JunctionTree: a clique of {len(cl)} variables is too large "
                                 f"(more than {EINSUM_MAX}; exact inference is hopeless at that width)")
        # No clique table is built: the fused calibration reads each clique's potential as the
        # product of its assigned CPDs, straight from the CPD tables.
        self._assigned = assigned
        self._korder = korder
        self._count = count
        self._sizes = sizes
        self._pots_cache = None
        self._sum_axes = None
        self._home_cache = None
        self.max_clique_size = max(sizes, default=0)
        self._home_i = home_i
        # Barren subtrees. The variables that occur only below the separator of clique i are
        # those whose topmost clique (the largest index holding them) lies in i's subtree;
        # their CPDs are all assigned in that subtree. When the subtree holds no other CPD,
        # summing it out is summing a conditional distribution: without evidence below, the
        # upward message of i is identically 1 and need not be computed.
        top = {}
        for i, cl in enumerate(cliques):
            for u in cl:
                top[u] = i  # increasing i: the last one is the topmost
        sub_top = [0] * len(cliques)
        sub_cpd = [len(a) for a in assigned]
        for u, i in top.items():
            sub_top[i] += 1
        for i in range(len(cliques)):
            p = parent[i]
            if p >= 0:
                sub_top[p] += sub_top[i]
                sub_cpd[p] += sub_cpd[i]
        # (a Markov network's factors are no conditional distributions: nothing is barren)
        self._barren = [a == b and c.directed for a, b in zip(sub_top, sub_cpd)]
        self._flat = None       # the fused calibration's layout (small trees: never built)
        self._entries = sum(math.prod(c.cards[u] for u in cl) for cl in cliques)
        if self._fused():
            self._build_flat()

    def _build_flat(self):
        """The :class:`~pgm.inference._jt_kernels.JTIndex` of the forest (built field by
        field), packed into one flat int64 array for :func:`calibrate_flat`."""
        c = self._c
        cards = c.cards
        scopes = c.scopes
        cliques, parent, korder, seps = self.cliques, self.parent, self._korder, self._seps
        count, home_i = self._count, self._home_i
        n = len(cliques)
        nodes = c.nodes
        var_id = {v: k for k, v in enumerate(nodes)}
        self._var_id = var_id

        def c_strides(vs):
            st, acc = {}, 1
            for u in reversed(vs):
                st[u] = acc
                acc *= cards[u]
            return st, acc

        # every CPD table, flattened (C order over (variable, *parents)), then a 1.0 for
        # cliques without a CPD: the front of the workspace
        cpt_off, acc = {}, 0
        tabs = []
        for v in scopes:
            cpt_off[v] = acc
            t = c.tables[v]
            acc += t.size
            tabs.append(t.ravel())
        tabs.append(np.ones(1))
        self._cpt = np.concatenate(tabs)
        one = acc
        # workspace offsets: raw upward messages, normalised ones, downward ratios, private
        # blocks, then every variable's marginal
        sep_st, sep_size = [], []
        for i in range(n):
            st, size = c_strides(seps[i]) if parent[i] >= 0 else ({}, 0)
            sep_st.append(st)
            sep_size.append(size)
        tot_sep = sum(sep_size)
        raw_off, o = [], acc + 1
        for size in sep_size:
            raw_off.append(o)
            o += size
        msg_off = [r + tot_sep for r in raw_off]
        down_off = [r + 2 * tot_sep for r in raw_off]
        o += 2 * tot_sep
        kids = [[] for _ in range(n)]
        for i, p in enumerate(parent):
            if p >= 0:
                kids[p].append(i)
        ax_ptr, ax_var, ax_dim, ax_pstr, ax_own, ax_priv = [0], [], [], [], [], []
        pot_base = []
        xc_ptr, xc_base, xc_sbase, xc_str = [0], [], [], []
        kid_ptr, kid_list, kid_sbase, kid_str = [0], [], [], []
        home_ptr, home_var, home_ax = [0], [], []
        priv_ptr, priv_var, priv_stride = [0], [], []
        priv_size, priv_off = [], []
        max_in = max_out = max_blk = max_nd = 1
        for i in range(n):
            ko = korder[i]
            vs = self._assigned[i]
            if vs:
                pot_base.append(cpt_off[vs[0]])
                pst = c_strides(scopes[vs[0]])[0]
                for v in vs[1:]:
                    st = c_strides(scopes[v])[0]
                    xc_base.append(cpt_off[v])
                    xc_sbase.append(len(xc_str))
                    xc_str.extend([st.get(u, 0) for u in ko])
            else:
                pot_base.append(one)
                pst = {}
            xc_ptr.append(len(xc_base))
            priv = [u for u in ko if count[u] == 1]
            bst, bsize = c_strides(priv)
            priv_size.append(bsize)
            priv_off.append(o)
            o += bsize
            own = sep_st[i]
            nh = 0
            for k, u in enumerate(ko):
                ax_var.append(var_id[u])
                ax_dim.append(cards[u])
                ax_pstr.append(pst.get(u, 0))
                ax_own.append(own.get(u, 0))
                ax_priv.append(bst.get(u, 0))
                if count[u] > 1 and home_i[u] == i:
                    home_var.append(var_id[u])
                    home_ax.append(k)
                    nh += 1
            ax_ptr.append(len(ax_var))
            home_ptr.append(len(home_var))
            for j in kids[i]:
                kid_list.append(j)
                kid_sbase.append(len(kid_str))
                st = sep_st[j]
                kid_str.extend([st.get(u, 0) for u in ko])
            kid_ptr.append(len(kid_list))
            for u in priv:
                priv_var.append(var_id[u])
                priv_stride.append(bst[u])
            priv_ptr.append(len(priv_var))
            nk = len(kids[i])
            if nk + len(vs) + 1 > max_in:
                max_in = nk + len(vs) + 1
            if nk + nh + 1 > max_out:
                max_out = nk + nh + 1
            if len(ko) > max_nd:
                max_nd = len(ko)
            b = self._blk[i]
            bs = 1
            for u in ko[len(ko) - b:]:
                bs *= cards[u]
            if bs > max_blk:
                max_blk = bs
        card = [cards[v] for v in nodes]
        marg_off = []
        for k in card:
            marg_off.append(o)
            o += k
        self._wsize = o
        ix = _K.JTIndex(
            parent=parent, kid_ptr=kid_ptr, kid_list=kid_list, kid_sbase=kid_sbase,
            kid_str=kid_str, ax_ptr=ax_ptr, ax_var=ax_var, ax_dim=ax_dim, ax_pstr=ax_pstr,
            ax_own=ax_own, ax_priv=ax_priv, blk=self._blk, pot_off=pot_base, xc_ptr=xc_ptr,
            xc_base=xc_base, xc_sbase=xc_sbase, xc_str=xc_str, raw_off=raw_off,
            msg_off=msg_off, down_off=down_off, sep_size=sep_size, priv_off=priv_off,
            priv_size=priv_size, home_ptr=home_ptr, home_var=home_var, home_ax=home_ax,
            priv_ptr=priv_ptr, priv_var=priv_var, priv_stride=priv_stride, marg_off=marg_off,
            card=card, home_clique=[home_i[v] for v in nodes], barren=self._barren,
            max_nd=[max_nd], max_in=[max_in + 1], max_out=[max_out + 1], max_blk=[max_blk])
        self._flat, self._offs = _K.pack(ix)
        self._card = card
        self._marg_off = marg_off

    def to_networkx(self) -> nx.Graph:
        """The clique tree: nodes are clique indices with attribute ``variables``."""
        g = nx.Graph()
        for i, cl in enumerate(self.cliques):
            g.add_node(i, variables=cl)
        for i, p in enumerate(self.parent):
            if p >= 0:
                g.add_edge(i, p, separator=self._seps[i])
        return g

    def _needed(self, variables):
        """Cliques whose beliefs are needed for the marginals of ``variables``."""
        need = [False] * len(self.cliques)
        for v in variables:
            i = self._home_i[v]
            while i >= 0 and not need[i]:
                need[i] = True
                i = self.parent[i]
        return need

    def marginals(self, evidence=None, variables=None) -> dict:
        """All single-node posterior marginals P(X | evidence) from one calibration.

        Parameters
        ----------
        evidence : dict, optional
        variables : list, optional
            Which variables (default every non-evidence variable).

        Returns
        -------
        dict
            ``{variable: ndarray of shape (cardinality,)}``, each summing to 1.
        """
        self._compiled()
        ev = self.model.encode_evidence(evidence)
        if variables is None:
            variables = [v for v in self._c.nodes if v not in ev]
        else:
            variables = self._variables(variables)
            both = [v for v in variables if v in ev]
            if both:
                raise ValueError(f"variables: {both} are also evidence variables")
        if not self._fused():       # a small tree: the numpy calibration, same marginals
            beliefs, _ = self.calibrate(evidence, self._needed(variables))
            out = {}
            for v in variables:
                i, axes, _ = self._home[v]
                m = _add(beliefs[i], axes) if axes else beliefs[i].copy()
                out[v] = m / m.sum()
            return out
        W, _ = self._run(ev, variables)
        mo, card = self._marg_off, self._card
        vid = self._var_id
        out = {}
        for v in variables:
            k = vid[v]
            o = int(mo[k])
            out[v] = W[o:o + int(card[k])].copy()
        return out

    def _fused(self) -> bool:
        """Whether the tables are big enough to repay compiling the fused calibration
        (:func:`pgm.runtime.jit.use_jit`); else the numpy one runs (same results)."""
        return use_jit("pgm.junction_tree", self._entries)

    def _run(self, ev, variables):
        """The fused (numba) calibration: workspace with the marginals of ``variables``, log P(e)."""
        c = self._c
        if self._flat is None:
            self._build_flat()
        vid = self._var_id
        nv = len(vid)
        ev_state = np.full(nv, -1, dtype=np.int64)
        for v, k in ev.items():
            ev_state[vid[v]] = k
        want = np.zeros(nv, dtype=np.bool_)
        for v in variables:
            want[vid[v]] = True
        needed = np.asarray(self._needed(variables), dtype=np.bool_)
        W = np.empty(self._wsize)
        W[:self._cpt.size] = self._cpt
        status, log_z = _K.calibrate_flat(W, self._flat, self._offs, ev_state, needed, want)
        if status >= 0:
            raise self._zero_z(ev) or ImpossibleEvidenceError(
                f"evidence: {evidence_message(ev, c.names)} has probability zero under the model")
        return W, log_z

    def log_evidence(self, evidence=None) -> float:
        """log P(evidence) (0 without evidence); on a Markov network log Z(evidence)."""
        self._compiled()
        if not self._fused():
            return self.calibrate(evidence, [False] * len(self.cliques))[1]
        return self._run(self.model.encode_evidence(evidence), [])[1]

    def log_partition_function(self, evidence=None) -> float:
        """log Z(e): the log of the sum of the product of the factors over all non-evidence
        variables, from one calibration (log P(evidence) on a Bayesian network).

        Examples
        --------
        >>> from pgm.factor import DiscreteFactor
        >>> from pgm.markov import MarkovNetwork
        >>> mn = MarkovNetwork([DiscreteFactor(["A", "B"], [[1.0, 2.0], [3.0, 4.0]]),
        ...                     DiscreteFactor(["B", "C"], [[1.0, 1.0], [0.5, 2.0]])])
        >>> round(math.exp(JunctionTree(mn).log_partition_function()), 10)   # 4*2 + 6*2.5
        23.0
        """
        self._compiled()
        ev = self.model.encode_evidence(evidence)
        try:
            return self._run(ev, [])[1]
        except ImpossibleEvidenceError:  # Z(e) = 0
            return -math.inf
