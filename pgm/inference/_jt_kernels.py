"""numba kernels of the junction-tree calibration, each with a plain-numpy reference.

``tests/pgm/inference/test_jt_kernels.py`` compares :func:`clique_pass` with
:func:`clique_pass_ref`; the whole calibration (:func:`calibrate_tree`) is checked against
brute-force enumeration and against the numpy calibration
:meth:`pgm.inference.JunctionTree.calibrate`.

The forest is described by :class:`JTIndex`, a named tuple of int64 arrays (built by
:meth:`pgm.inference.JunctionTree._build_flat`). It travels to the kernel as one flat array
(:func:`pack`, read back field by field in :func:`unpack`): one array to unbox per call rather
than one per field, which matters on small networks.

Layout. Every table lives in one flat float64 array and is addressed by a base offset and one
stride per axis of the clique being visited (0 for a clique axis the table does not have), so
that a separator message, a private-variable block or a marginal is read or written by the
same mixed-radix arithmetic: entry ``(x_0, ..., x_{d-1})`` of the clique touches
``table[base + Σ_k x_k * stride_k]``. A pass visits the sub-box ``lo[k] <= x_k < lo[k] + cnt[k]``
(observed variables restrict their axis to one state: that is how evidence enters).

One pass over clique ``i`` computes, for every visited entry,
``v = pot[x] * Π_m inputs_m[x]`` and adds ``v`` into every output ``outputs_t[x]``; nothing of
clique size is ever written.

Examples
--------
>>> ix = JTIndex(**{f: np.arange(k + 1, dtype=np.int64) for k, f in enumerate(JTIndex._fields)})
>>> flat, offs = pack(ix)
>>> back = unpack(flat, offs)
>>> all(np.array_equal(getattr(back, f), getattr(ix, f)) for f in JTIndex._fields)
True
>>> back.kid_ptr.tolist()
[0, 1]
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numba import njit
from numpy.lib.stride_tricks import as_strided

__all__ = ["JTIndex", "pack", "unpack", "clique_pass", "clique_pass_ref", "calibrate_tree",
           "calibrate_flat"]


class JTIndex(NamedTuple):
    """The index arrays (all int64, 1-D) that describe a clique forest to the calibration.

    Cliques are numbered children before parents; "W" is the float64 workspace (CPD tables at
    the front, then messages, ratios, private blocks and marginals); a clique's *axes* are its
    variables in kernel order, CSR-indexed by ``ax_ptr``.
    """

    parent: np.ndarray      # (n_cliques,) parent clique, -1 for roots
    kid_ptr: np.ndarray     # (n_cliques + 1,) CSR over the children of each clique
    kid_list: np.ndarray    # children, by kid_ptr
    kid_sbase: np.ndarray   # start in kid_str of each child's separator strides
    kid_str: np.ndarray     # stride of each parent axis in the child's separator table
    ax_ptr: np.ndarray      # (n_cliques + 1,) CSR over the axes of each clique
    ax_var: np.ndarray      # variable of each axis
    ax_dim: np.ndarray      # cardinality of each axis
    ax_pstr: np.ndarray     # stride of each axis in the clique's first CPD table (0: absent)
    ax_own: np.ndarray      # stride of each axis in the clique's own separator table
    ax_priv: np.ndarray     # stride of each axis in the clique's private block
    blk: np.ndarray         # (n_cliques,) number of trailing axes of the inner block
    pot_off: np.ndarray     # (n_cliques,) W offset of the first CPD table (or of a 1.0)
    xc_ptr: np.ndarray      # (n_cliques + 1,) CSR over the clique's other CPD tables
    xc_base: np.ndarray     # W offset of each other CPD table
    xc_sbase: np.ndarray    # start in xc_str of its strides
    xc_str: np.ndarray      # stride of each clique axis in that table
    raw_off: np.ndarray     # (n_cliques,) W offset of the raw upward message
    msg_off: np.ndarray     # (n_cliques,) W offset of the normalised upward message
    down_off: np.ndarray    # (n_cliques,) W offset of the downward ratio
    sep_size: np.ndarray    # (n_cliques,) entries of the separator table (0 for roots)
    priv_off: np.ndarray    # (n_cliques,) W offset of the private block
    priv_size: np.ndarray   # (n_cliques,) entries of the private block
    home_ptr: np.ndarray    # (n_cliques + 1,) CSR over the shared variables homed here
    home_var: np.ndarray    # such a variable
    home_ax: np.ndarray     # its axis in the clique
    priv_ptr: np.ndarray    # (n_cliques + 1,) CSR over the private variables
    priv_var: np.ndarray    # such a variable
    priv_stride: np.ndarray  # its stride in the private block
    marg_off: np.ndarray    # (n_vars,) W offset of each variable's marginal
    card: np.ndarray        # (n_vars,) cardinalities
    home_clique: np.ndarray  # (n_vars,) home clique of each variable
    barren: np.ndarray      # (n_cliques,) 1 where the subtree's upward message is identically 1
    max_nd: np.ndarray      # (1,) scratch sizes: most axes of a clique,
    max_in: np.ndarray      # (1,) most inputs of a pass (+ 1),
    max_out: np.ndarray     # (1,) most outputs of a pass (+ 1),
    max_blk: np.ndarray     # (1,) largest inner block


def pack(ix):
    """``ix`` as one flat int64 array and the offsets of its fields (field ``k`` is
    ``flat[offs[k]:offs[k + 1]]``, in the order of ``JTIndex._fields``)."""
    parts = [np.asarray(getattr(ix, f), dtype=np.int64).ravel() for f in JTIndex._fields]
    offs = np.zeros(len(parts) + 1, dtype=np.int64)
    np.cumsum([p.size for p in parts], out=offs[1:])
    return np.concatenate(parts), offs


@njit(cache=True, inline="always")
def _seg(flat, offs, k):
    return flat[offs[k]:offs[k + 1]]


@njit(cache=True)
def unpack(flat, offs):
    """The :class:`JTIndex` that :func:`pack` flattened (views into ``flat``)."""
    return JTIndex(*_fields_of(flat, offs))


@njit(cache=True, inline="always")
def _fields_of(flat, offs):
    # one segment per field of JTIndex, in its field order (the count is checked on compile)
    return (_seg(flat, offs, 0), _seg(flat, offs, 1), _seg(flat, offs, 2), _seg(flat, offs, 3),
            _seg(flat, offs, 4), _seg(flat, offs, 5), _seg(flat, offs, 6), _seg(flat, offs, 7),
            _seg(flat, offs, 8), _seg(flat, offs, 9), _seg(flat, offs, 10), _seg(flat, offs, 11),
            _seg(flat, offs, 12), _seg(flat, offs, 13), _seg(flat, offs, 14),
            _seg(flat, offs, 15), _seg(flat, offs, 16), _seg(flat, offs, 17),
            _seg(flat, offs, 18), _seg(flat, offs, 19), _seg(flat, offs, 20),
            _seg(flat, offs, 21), _seg(flat, offs, 22), _seg(flat, offs, 23),
            _seg(flat, offs, 24), _seg(flat, offs, 25), _seg(flat, offs, 26),
            _seg(flat, offs, 27), _seg(flat, offs, 28), _seg(flat, offs, 29),
            _seg(flat, offs, 30), _seg(flat, offs, 31), _seg(flat, offs, 32),
            _seg(flat, offs, 33), _seg(flat, offs, 34), _seg(flat, offs, 35),
            _seg(flat, offs, 36))


@njit(cache=True)
def clique_pass(W, pot, p0, pstr, lo, cnt, nd, nb, fb, fs, nin, ob, os_, nout, buf, pat, idx,
                fo, oo, hit):
    """One fused product-and-scatter pass over the sub-box of a clique.

    Parameters
    ----------
    W : float64 array, the workspace holding every input and output table
    pot : float64 array holding the clique potential at offset ``p0`` (strides ``pstr``)
    pstr, lo, cnt : int64 arrays of shape (>= nd,)
    nd : int, number of axes
    nb : int, number of trailing axes that form the inner block (1 <= nb <= nd)
    fb, fs : int64 arrays of shape (>= nin,) and (>= nin, >= nd): input bases and strides
    ob, os_ : int64 arrays of shape (>= nout,) and (>= nout, >= nd): output bases and strides
    buf : float64 scratch of at least the block size (product of the trailing ``cnt``)
    pat : int64 scratch of shape (>= 1 + nin + nout, >= block size)
    idx, fo, oo, hit : int64 scratch of shapes (>= nd,), (>= nin,), (>= nout,), (>= 1 + nin + nout,)

    The caller zeroes the outputs; this adds into them. For each position of the outer axes
    the block of entries is formed in ``buf``; tables that do not vary over the block (stride
    0 on every block axis) are read or written once per block instead of once per entry, so
    the block axes are best chosen among the variables the fewest tables hold.
    """
    for k in range(nd):
        if cnt[k] == 0:
            return
    p = p0
    for k in range(nd):
        p += lo[k] * pstr[k]
    for m in range(nin):
        o = fb[m]
        for k in range(nd):
            o += lo[k] * fs[m, k]
        fo[m] = o
    for t in range(nout):
        o = ob[t]
        for k in range(nd):
            o += lo[k] * os_[t, k]
        oo[t] = o
    first = nd - nb
    B = 1
    for k in range(first, nd):
        B *= cnt[k]
    # offset patterns over the block: row 0 the potential, then inputs, then outputs
    na = 1 + nin + nout
    for a in range(na):
        hit[a] = 0
        for k in range(first, nd):
            if a == 0:
                s = pstr[k]
            elif a <= nin:
                s = fs[a - 1, k]
            else:
                s = os_[a - 1 - nin, k]
            if s != 0 and cnt[k] > 1:
                hit[a] = 1
    for k in range(first, nd):
        idx[k] = 0
    for r in range(B):
        for a in range(na):
            o = 0
            if hit[a]:
                for k in range(first, nd):
                    if a == 0:
                        o += idx[k] * pstr[k]
                    elif a <= nin:
                        o += idx[k] * fs[a - 1, k]
                    else:
                        o += idx[k] * os_[a - 1 - nin, k]
            pat[a, r] = o
        k = nd - 1
        while k >= first:
            idx[k] += 1
            if idx[k] < cnt[k]:
                break
            idx[k] = 0
            k -= 1
    outer = 1
    for k in range(first):
        outer *= cnt[k]
        idx[k] = 0
    for it in range(outer):
        scal = 1.0
        for m in range(nin):
            if not hit[1 + m]:
                scal *= W[fo[m]]
        if scal != 0.0:
            for r in range(B):
                buf[r] = scal * pot[p + pat[0, r]]
            for m in range(nin):
                if hit[1 + m]:
                    o = fo[m]
                    for r in range(B):
                        buf[r] *= W[o + pat[1 + m, r]]
            have = False
            tot = 0.0
            for t in range(nout):
                o = oo[t]
                if hit[1 + nin + t]:
                    a = 1 + nin + t
                    for r in range(B):
                        W[o + pat[a, r]] += buf[r]
                else:
                    if not have:
                        for r in range(B):
                            tot += buf[r]
                        have = True
                    W[o] += tot
        # odometer over the outer axes
        k = first - 1
        while k >= 0:
            idx[k] += 1
            p += pstr[k]
            for m in range(nin):
                fo[m] += fs[m, k]
            for t in range(nout):
                oo[t] += os_[t, k]
            if idx[k] < cnt[k]:
                break
            idx[k] = 0
            p -= pstr[k] * cnt[k]
            for m in range(nin):
                fo[m] -= fs[m, k] * cnt[k]
            for t in range(nout):
                oo[t] -= os_[t, k] * cnt[k]
            k -= 1


def clique_pass_ref(W, pot, p0, pstr, lo, cnt, nd, nb, fb, fs, nin, ob, os_, nout):
    """numpy reference of :func:`clique_pass` (strided views, a product, sums per output;
    ``nb`` only shapes the kernel's loops and is ignored here)."""
    lo = np.asarray(lo[:nd], dtype=np.int64)
    cnt = tuple(int(c) for c in cnt[:nd])
    if min(cnt, default=1) == 0:
        return
    isz = W.itemsize

    def view(arr, base, strides):
        start = int(base + lo @ np.asarray(strides[:nd], dtype=np.int64))
        return as_strided(arr[start:], shape=cnt, strides=[int(s) * isz for s in strides[:nd]])

    v = view(pot, p0, pstr).copy()
    for m in range(nin):
        v = v * view(W, fb[m], fs[m])
    for t in range(nout):
        st_ = np.asarray(os_[t][:nd], dtype=np.int64)
        zero = tuple(k for k in range(nd) if st_[k] == 0)
        s = v.sum(axis=zero) if zero else v
        kept = [k for k in range(nd) if st_[k] != 0]
        start = int(ob[t] + lo @ st_)
        if kept:
            tgt = as_strided(W[start:], shape=[cnt[k] for k in kept],
                             strides=[int(st_[k]) * isz for k in kept], writeable=True)
            tgt += s
        else:
            W[start] += s


@njit(cache=True, inline="always")
def _clique_box(a0, nd, ax_pstr, ax_var, ax_dim, ev_state, pstr, lo, cnt):
    """Fill the potential strides and the visited sub-box of a clique (axes a0 .. a0+nd−1):
    an observed variable's axis is restricted to its state."""
    for k in range(nd):
        pstr[k] = ax_pstr[a0 + k]
        e = ev_state[ax_var[a0 + k]]
        lo[k] = e if e >= 0 else 0
        cnt[k] = 1 if e >= 0 else ax_dim[a0 + k]


@njit(cache=True, inline="always")
def _other_cpds(i, nd, nin, xc_ptr, xc_base, xc_sbase, xc_str, fb, fs):
    """Append clique i's other CPD tables to the inputs (bases fb, strides fs); return the
    new input count."""
    for q in range(xc_ptr[i], xc_ptr[i + 1]):
        fb[nin] = xc_base[q]
        for k in range(nd):
            fs[nin, k] = xc_str[xc_sbase[q] + k]
        nin += 1
    return nin


@njit(cache=True)
def calibrate_tree(W, ix, ev_state, needed, want):
    """Hugin calibration of a clique forest in fused passes; every requested marginal out.

    ``W`` is the workspace (CPD tables already at the front), ``ix`` the :class:`JTIndex` of
    the forest; ``ev_state`` (per variable: observed state or -1), ``needed`` (per clique)
    and ``want`` (per variable) say what is observed and which beliefs and marginals to form.

    Cliques are numbered children before parents. Upward: each clique whose subtree holds
    evidence or is not barren sends its separator message (normalised; its normaliser goes to
    log P(e)). Downward (only cliques in ``needed``): the clique's belief, never stored, is
    ``pot × messages from below × (parent's separator marginal / own upward message)``; one
    pass adds it into the separator marginal of every needed child, into the marginals of
    the variables whose home this clique is, and into the block of its private variables.

    Returns
    -------
    status : int
        -1, or the clique at which the evidence turned out to have probability zero.
    log_z : float
        log P(evidence).
    """
    parent, barren, home_clique = ix.parent, ix.barren, ix.home_clique
    kid_ptr, kid_list, kid_sbase, kid_str = ix.kid_ptr, ix.kid_list, ix.kid_sbase, ix.kid_str
    ax_ptr, ax_var, ax_dim = ix.ax_ptr, ix.ax_var, ix.ax_dim
    ax_pstr, ax_own, ax_priv, blk = ix.ax_pstr, ix.ax_own, ix.ax_priv, ix.blk
    pot_off, xc_ptr, xc_base = ix.pot_off, ix.xc_ptr, ix.xc_base
    xc_sbase, xc_str = ix.xc_sbase, ix.xc_str
    raw_off, msg_off, down_off, sep_size = ix.raw_off, ix.msg_off, ix.down_off, ix.sep_size
    priv_off, priv_size = ix.priv_off, ix.priv_size
    home_ptr, home_var, home_ax = ix.home_ptr, ix.home_var, ix.home_ax
    priv_ptr, priv_var, priv_stride = ix.priv_ptr, ix.priv_var, ix.priv_stride
    marg_off, card = ix.marg_off, ix.card
    max_nd, max_in, max_out, max_blk = ix.max_nd[0], ix.max_in[0], ix.max_out[0], ix.max_blk[0]
    n = parent.shape[0]
    evbelow = np.zeros(n, dtype=np.bool_)
    for v in range(ev_state.shape[0]):
        if ev_state[v] >= 0:
            i = home_clique[v]
            while i >= 0 and not evbelow[i]:
                evbelow[i] = True
                i = parent[i]
    active = np.zeros(n, dtype=np.bool_)
    for i in range(n):
        active[i] = parent[i] >= 0 and (evbelow[i] or not barren[i])
    pstr = np.empty(max_nd, dtype=np.int64)
    lo = np.empty(max_nd, dtype=np.int64)
    cnt = np.empty(max_nd, dtype=np.int64)
    idx = np.empty(max_nd, dtype=np.int64)
    fb = np.empty(max_in, dtype=np.int64)
    fs = np.empty((max_in, max_nd), dtype=np.int64)
    fo = np.empty(max_in, dtype=np.int64)
    ob = np.empty(max_out, dtype=np.int64)
    os_ = np.empty((max_out, max_nd), dtype=np.int64)
    oo = np.empty(max_out, dtype=np.int64)
    buf = np.empty(max_blk, dtype=np.float64)
    pat = np.empty((1 + max_in + max_out, max_blk), dtype=np.int64)
    hit = np.empty(1 + max_in + max_out, dtype=np.int64)
    lz_in = np.zeros(n)
    log_z = 0.0
    # ---------------------------------------------------------------- upward
    for i in range(n):
        p = parent[i]
        if p < 0:
            continue  # roots: their pass is the downward one
        if not active[i]:
            log_z -= lz_in[i]  # barren: the normalisers received below cancel
            continue
        a0 = ax_ptr[i]
        nd = ax_ptr[i + 1] - a0
        _clique_box(a0, nd, ax_pstr, ax_var, ax_dim, ev_state, pstr, lo, cnt)
        nin = 0
        for q in range(kid_ptr[i], kid_ptr[i + 1]):
            j = kid_list[q]
            if active[j]:
                fb[nin] = msg_off[j]
                for k in range(nd):
                    fs[nin, k] = kid_str[kid_sbase[q] + k]
                nin += 1
        nin = _other_cpds(i, nd, nin, xc_ptr, xc_base, xc_sbase, xc_str, fb, fs)
        ob[0] = raw_off[i]
        for k in range(nd):
            os_[0, k] = ax_own[a0 + k]
        r0 = raw_off[i]
        for s in range(sep_size[i]):
            W[r0 + s] = 0.0
        clique_pass(W, W, pot_off[i], pstr, lo, cnt, nd, blk[i], fb, fs, nin, ob, os_, 1,
                    buf, pat, idx, fo, oo, hit)
        z = 0.0
        for s in range(sep_size[i]):
            z += W[r0 + s]
        if not z > 0:
            return i, 0.0
        lz = math.log(z)
        log_z += lz
        lz_in[p] += lz_in[i] + lz
        m0 = msg_off[i]
        for s in range(sep_size[i]):
            W[m0 + s] = W[r0 + s] / z
    # ---------------------------------------------------------------- downward
    for i in range(n - 1, -1, -1):
        p = parent[i]
        if p >= 0 and not needed[i]:
            continue
        a0 = ax_ptr[i]
        nd = ax_ptr[i + 1] - a0
        _clique_box(a0, nd, ax_pstr, ax_var, ax_dim, ev_state, pstr, lo, cnt)
        nin = 0
        nout = 0
        for q in range(kid_ptr[i], kid_ptr[i + 1]):
            j = kid_list[q]
            base = kid_sbase[q]
            if active[j]:
                fb[nin] = msg_off[j]
                for k in range(nd):
                    fs[nin, k] = kid_str[base + k]
                nin += 1
            if needed[j]:
                ob[nout] = down_off[j]
                for k in range(nd):
                    os_[nout, k] = kid_str[base + k]
                d0 = down_off[j]
                for s in range(sep_size[j]):
                    W[d0 + s] = 0.0
                nout += 1
        nin = _other_cpds(i, nd, nin, xc_ptr, xc_base, xc_sbase, xc_str, fb, fs)
        if p >= 0:  # the ratio from the parent (computed into down_off[i])
            fb[nin] = down_off[i]
            for k in range(nd):
                fs[nin, k] = ax_own[a0 + k]
            nin += 1
        for h in range(home_ptr[i], home_ptr[i + 1]):
            v = home_var[h]
            if want[v]:
                ob[nout] = marg_off[v]
                for k in range(nd):
                    os_[nout, k] = 0
                os_[nout, home_ax[h]] = 1
                for s in range(card[v]):
                    W[marg_off[v] + s] = 0.0
                nout += 1
        ob[nout] = priv_off[i]
        for k in range(nd):
            os_[nout, k] = ax_priv[a0 + k]
        b0 = priv_off[i]
        for s in range(priv_size[i]):
            W[b0 + s] = 0.0
        nout += 1
        clique_pass(W, W, pot_off[i], pstr, lo, cnt, nd, blk[i], fb, fs, nin, ob, os_, nout,
                    buf, pat, idx, fo, oo, hit)
        z = 0.0
        for s in range(priv_size[i]):
            z += W[b0 + s]
        if not z > 0:
            return i, 0.0
        if p < 0:
            log_z += math.log(z)
        # normalise what went out; turn each child's separator marginal into its ratio
        for s in range(priv_size[i]):
            W[b0 + s] /= z
        for h in range(home_ptr[i], home_ptr[i + 1]):
            v = home_var[h]
            if want[v]:
                _normalise(W, marg_off[v], card[v])
        for q in range(kid_ptr[i], kid_ptr[i + 1]):
            j = kid_list[q]
            if not needed[j]:
                continue
            d0 = down_off[j]
            tot = 0.0
            for s in range(sep_size[j]):
                tot += W[d0 + s]
            if not tot > 0:
                return i, 0.0
            if active[j]:
                r0 = raw_off[j]
                for s in range(sep_size[j]):
                    r = W[r0 + s]
                    W[d0 + s] = W[d0 + s] / tot / r if r > 0 else 0.0
            else:
                for s in range(sep_size[j]):
                    W[d0 + s] /= tot
        # private variables: marginals from the block
        for h in range(priv_ptr[i], priv_ptr[i + 1]):
            v = priv_var[h]
            if not want[v]:
                continue
            m0 = marg_off[v]
            c = card[v]
            st = priv_stride[h]
            for s in range(c):
                W[m0 + s] = 0.0
            for e in range(priv_size[i]):
                W[m0 + (e // st) % c] += W[b0 + e]
    return -1, log_z


@njit(cache=True)
def calibrate_flat(W, flat, offs, ev_state, needed, want):
    """:func:`calibrate_tree` on the :class:`JTIndex` that :func:`pack` flattened into
    ``flat``/``offs``."""
    return calibrate_tree(W, unpack(flat, offs), ev_state, needed, want)


@njit(cache=True)
def _normalise(W, off, c):
    tot = 0.0
    for s in range(c):
        tot += W[off + s]
    if tot > 0:
        for s in range(c):
            W[off + s] /= tot
