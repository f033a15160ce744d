"""The numpy calibration of :class:`pgm.inference.JunctionTree` (Hugin-style, with clique
tables as arrays): the reference the tests compare the fused numba calibration with
(:mod:`pgm.inference._jt_kernels`). :class:`_NumpyCalibration` is a base of ``JunctionTree``
and reads the layout that ``JunctionTree`` compiles (cliques, parent, separators, assigned
CPDs, home cliques).

Examples
--------
>>> from pgm.bayesnet import BayesianNetwork
>>> from pgm.cpd import TabularCPD
>>> from pgm.inference import JunctionTree
>>> bn = BayesianNetwork([("Rain", "Wet")])
>>> bn.add_cpds(TabularCPD("Rain", 2, [0.8, 0.2]),
...             TabularCPD("Wet", 2, [[0.9, 0.1], [0.1, 0.9]], ["Rain"], [2]))
>>> beliefs, log_z = JunctionTree(bn).calibrate({"Wet": 1})
>>> round(float(np.exp(log_z)), 4)
0.26
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import ImpossibleEvidenceError, evidence_message
from ._engine import _add

__all__: list = []


class _NumpyCalibration:
    """The numpy calibration and the clique tables it needs (a base of ``JunctionTree``)."""

    def _numpy_layout(self):
        """Axes of each separator inside its clique and its parent (numpy calibration only)."""
        if getattr(self, "_sum_axes", None) is not None:
            return
        c = self._c
        cliques, parent, seps = self.cliques, self.parent, self._seps
        sum_axes = []
        self._sep_shape_in_parent = []
        self._sum_axes_parent = []
        self._sep_shape_in_child = []
        for i, s in enumerate(seps):
            cl = cliques[i]
            ss = set(s)
            sum_axes.append(tuple(k for k, u in enumerate(cl) if u not in ss))
            self._sep_shape_in_child.append(tuple(c.cards[u] if u in ss else 1 for u in cl))
            p = parent[i]
            if p >= 0:
                pc = cliques[p]
                self._sum_axes_parent.append(tuple(k for k, u in enumerate(pc) if u not in ss))
                self._sep_shape_in_parent.append(tuple(c.cards[u] if u in ss else 1 for u in pc))
            else:
                self._sum_axes_parent.append(None)
                self._sep_shape_in_parent.append(None)
        self._sum_axes = sum_axes

    @property
    def _home(self):
        """``{variable: (clique, axes to sum over there, its own axis)}`` of its home clique
        (the smallest clique holding it)."""
        if self._home_cache is None:
            self._home_cache = {}
            for u, i in self._home_i.items():
                cl = self.cliques[i]
                k = cl.index(u)
                self._home_cache[u] = (i, tuple(a for a in range(len(cl)) if a != k), k)
        return self._home_cache

    @property
    def _pots(self):
        """Clique potentials in clique (topological) order, built on first use (numpy path)."""
        if self._pots_cache is None:
            c = self._c
            pots = []
            for cl, vs in zip(self.cliques, self._assigned):
                loc = {u: k for k, u in enumerate(cl)}
                shape = tuple(c.cards[u] for u in cl)
                t = None
                for v in vs:
                    ax = [loc[u] for u in c.scopes[v]]
                    perm = sorted(range(len(ax)), key=ax.__getitem__)
                    x = c.tables[v].transpose(perm)
                    if len(ax) != len(cl):
                        have = set(ax)
                        x = x.reshape([shape[k] if k in have else 1 for k in range(len(cl))])
                    t = x if t is None else t * x
                if t is None:
                    t = np.ones(shape)
                elif t.shape != shape:
                    t = np.ascontiguousarray(np.broadcast_to(t, shape))
                pots.append(t)
            self._pots_cache = pots
        return self._pots_cache


    def calibrate(self, evidence=None, needed=None):
        """Calibrate with ``evidence`` in numpy, clique beliefs as arrays (the reference of the
        fused calibration that :meth:`marginals` and :meth:`log_evidence` run).

        Returns
        -------
        beliefs : list
            Normalised clique beliefs (None for cliques ``needed`` leaves out; default: all).
        log_evidence : float
            log P(evidence).
        """
        c = self._compiled()
        self._numpy_layout()
        ev = self.model.encode_evidence(evidence)
        n = len(self.cliques)
        if needed is None:
            needed = [True] * n
        up = [None] * n
        inbox = [[] for _ in range(n)]
        for v, k in ev.items():
            i, _, ax = self._home[v]
            m = np.zeros(c.cards[v])
            m[k] = 1.0
            shape = [1] * len(self.cliques[i])
            shape[ax] = c.cards[v]
            inbox[i].append(m.reshape(shape))
        evbelow = [False] * n  # evidence in the clique's subtree
        for v in ev:
            i = self._home[v][0]
            while i >= 0 and not evbelow[i]:
                evbelow[i] = True
                i = self.parent[i]
        msgs = [None] * n  # None: a skipped message (a barren subtree); a root: its total
        lz_in = [0.0] * n  # log normalisers of the messages sent up inside each subtree
        log_z = 0.0
        for i in range(n):  # children before parents
            t = self._pots[i]
            box = inbox[i]
            if box:
                t = t * box[0]  # a new array; the rest multiply in place
                for m in box[1:]:
                    t *= m
            up[i] = t
            p = self.parent[i]
            if p >= 0 and (evbelow[i] or not self._barren[i]):
                raw = _add(t, self._sum_axes[i]) if self._sum_axes[i] else t
                z = float(_add(raw, None))
                if not z > 0:
                    raise self._zero_z(ev) or ImpossibleEvidenceError(
                        f"evidence: {evidence_message(ev, c.names)} has probability zero under the model")
                log_z += math.log(z)
                lz_in[p] += lz_in[i] + math.log(z)
                msgs[i] = raw  # kept unnormalised for the downward division
                inbox[p].append((raw / z).reshape(self._sep_shape_in_parent[i]))
            elif p >= 0:
                # barren: the exact message is 1, i.e. the product of the normalised messages
                # received below times their normalisers; those normalisers cancel
                log_z -= lz_in[i]
            else:  # a root: its total is P(evidence) over its tree (checked for every tree)
                z = float(_add(t, None))
                if not z > 0:
                    raise self._zero_z(ev) or ImpossibleEvidenceError(
                        f"evidence: {evidence_message(ev, c.names)} has probability zero under the model")
                log_z += math.log(z)
                msgs[i] = z
        beliefs = [None] * n
        for i in range(n - 1, -1, -1):  # parents before children
            if not needed[i]:
                continue
            p = self.parent[i]
            t = up[i]
            if p < 0:
                beliefs[i] = t / msgs[i]
            else:
                bp = beliefs[p]
                sep = _add(bp, self._sum_axes_parent[i]) if self._sum_axes_parent[i] else bp
                raw = msgs[i]
                # Hugin update b_i = up_i * sep / raw with 0/0 := 0: wherever raw = 0 the
                # parent's belief, which holds raw/z as a factor, is 0 on that separator state
                # too, so dividing by 1 there gives the 0. Since sep sums to 1 and
                # sum(up_i * sep / raw) = sum(sep), b_i comes out normalised.
                if raw is None:  # skipped message: up_i sums to a constant on the separator
                    b = t * sep.reshape(self._sep_shape_in_child[i])
                    beliefs[i] = b / _add(b, None)
                else:
                    ratio = sep / np.where(raw > 0, raw, 1.0)
                    beliefs[i] = t * ratio.reshape(self._sep_shape_in_child[i])
        return beliefs, log_z
