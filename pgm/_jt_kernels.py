"""numba kernels of the junction-tree calibration, each with a plain-numpy reference.

``tests/pgm/test_bn_kernels.py`` compares :func:`clique_pass` with :func:`clique_pass_ref`;
the whole calibration (:func:`calibrate_tree`) is checked against brute-force enumeration and
against the numpy calibration :meth:`pgm.inference.JunctionTree.calibrate`.

Layout. Every table lives in one flat float64 array and is addressed by a base offset and one
stride per axis of the clique being visited (0 for a clique axis the table does not have), so
that a separator message, a private-variable block or a marginal is read or written by the
same mixed-radix arithmetic: entry ``(x_0, ..., x_{d-1})`` of the clique touches
``table[base + Σ_k x_k * stride_k]``. A pass visits the sub-box ``lo[k] <= x_k < lo[k] + cnt[k]``
(observed variables restrict their axis to one state: that is how evidence enters).

One pass over clique ``i`` computes, for every visited entry,
``v = pot[x] * Π_m inputs_m[x]`` and adds ``v`` into every output ``outputs_t[x]``; nothing of
clique size is ever written.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

__all__ = ["clique_pass", "clique_pass_ref", "calibrate_tree"]


@njit(cache=True)
def clique_pass(W, pot, p0, pstr, lo, cnt, nd, fb, fs, nin, ob, os_, nout, buf, idx, fo, oo):
    """One fused product-and-scatter pass over the sub-box of a clique.

    Parameters
    ----------
    W : float64 array, the workspace holding every input and output table
    pot : float64 array holding the clique potential (C order, strides ``pstr``) at ``p0``
    pstr, lo, cnt : int64 arrays of shape (>= nd,)
    nd : int, number of axes
    fb, fs : int64 arrays of shape (>= nin,) and (>= nin, >= nd): input bases and strides
    ob, os_ : int64 arrays of shape (>= nout,) and (>= nout, >= nd): output bases and strides
    buf : float64 scratch, at least the largest merged inner run
    idx, fo, oo : int64 scratch of shapes (>= nd,), (>= nin,), (>= nout,)

    The caller zeroes the outputs; this adds into them. Adjacent axes that every table
    (potential, inputs, outputs) lays out contiguously are merged first, so the inner loop
    runs over as long a stretch as the tables allow.
    """
    for k in range(nd):
        if cnt[k] == 0:
            return
    # start offsets
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
    # merge trailing axes: axis k-1 into k when every table has stride[k-1] == stride[k]*cnt[k]
    last = nd - 1
    L = cnt[last]
    while last > 0:
        k = last - 1
        c = cnt[last]
        ok = pstr[k] == pstr[last] * c
        for m in range(nin):
            if not ok:
                break
            ok = fs[m, k] == fs[m, last] * c
        for t in range(nout):
            if not ok:
                break
            ok = os_[t, k] == os_[t, last] * c
        if not ok:
            break
        L *= cnt[k]
        # the merged axis keeps the strides of `last`; shift it down to position k
        cnt[k] = L
        pstr[k] = pstr[last]
        for m in range(nin):
            fs[m, k] = fs[m, last]
        for t in range(nout):
            os_[t, k] = os_[t, last]
        last = k
    ps = pstr[last]
    outer = 1
    for k in range(last):
        outer *= cnt[k]
        idx[k] = 0
    for it in range(outer):
        scal = 1.0
        for m in range(nin):
            if fs[m, last] == 0:
                scal *= W[fo[m]]
        if scal != 0.0:
            for r in range(L):
                buf[r] = scal * pot[p + r * ps]
            for m in range(nin):
                s = fs[m, last]
                if s != 0:
                    o = fo[m]
                    for r in range(L):
                        buf[r] *= W[o + r * s]
            have = False
            tot = 0.0
            for t in range(nout):
                s = os_[t, last]
                o = oo[t]
                if s == 0:
                    if not have:
                        for r in range(L):
                            tot += buf[r]
                        have = True
                    W[o] += tot
                else:
                    for r in range(L):
                        W[o + r * s] += buf[r]
        # odometer over the outer axes
        k = last - 1
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


def clique_pass_ref(W, pot, p0, pstr, lo, cnt, nd, fb, fs, nin, ob, os_, nout):
    """numpy reference of :func:`clique_pass` (strided views, a product, sums per output)."""
    from numpy.lib.stride_tricks import as_strided

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


@njit(cache=True)
def calibrate_tree(POT, W, parent, kid_ptr, kid_list, kid_sbase, kid_str, ax_ptr, ax_var, ax_dim, ax_pstr,
                   ax_own, ax_priv, pot_off, raw_off, msg_off, down_off, sep_size, priv_off,
                   priv_size, home_ptr, home_var, home_ax, priv_ptr, priv_var, priv_stride,
                   marg_off, card, barren, ev_state, home_clique, needed, want, max_nd,
                   max_in, max_out, max_run):
    """Hugin calibration of a clique forest in fused passes; every requested marginal out.

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
    buf = np.empty(max_run, dtype=np.float64)
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
        for k in range(nd):
            pstr[k] = ax_pstr[a0 + k]
            e = ev_state[ax_var[a0 + k]]
            lo[k] = e if e >= 0 else 0
            cnt[k] = 1 if e >= 0 else ax_dim[a0 + k]
        nin = 0
        for q in range(kid_ptr[i], kid_ptr[i + 1]):
            j = kid_list[q]
            if active[j]:
                fb[nin] = msg_off[j]
                for k in range(nd):
                    fs[nin, k] = kid_str[kid_sbase[q] + k]
                nin += 1
        ob[0] = raw_off[i]
        for k in range(nd):
            os_[0, k] = ax_own[a0 + k]
        r0 = raw_off[i]
        for s in range(sep_size[i]):
            W[r0 + s] = 0.0
        clique_pass(W, POT, pot_off[i], pstr, lo, cnt, nd, fb, fs, nin, ob, os_, 1,
                    buf, idx, fo, oo)
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
        for k in range(nd):
            pstr[k] = ax_pstr[a0 + k]
            e = ev_state[ax_var[a0 + k]]
            lo[k] = e if e >= 0 else 0
            cnt[k] = 1 if e >= 0 else ax_dim[a0 + k]
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
        clique_pass(W, POT, pot_off[i], pstr, lo, cnt, nd, fb, fs, nin, ob, os_, nout,
                    buf, idx, fo, oo)
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
def _normalise(W, off, c):
    tot = 0.0
    for s in range(c):
        tot += W[off + s]
    if tot > 0:
        for s in range(c):
            W[off + s] /= tot
