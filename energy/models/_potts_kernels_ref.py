"""Plain-numpy references for :mod:`energy.models._potts_kernels` (private).

Same layout and the same decisions as the kernels, written with whole-array operations;
the tests compare each kernel with its reference.
"""

from __future__ import annotations

import numpy as np

#: the half-neighbourhood offsets (row, column) of the four edge directions: horizontal,
#: vertical, diagonal, anti-diagonal (the kernels use the same arrays)
DI = np.array([0, 1, 1, 1], dtype=np.int64)
DJ = np.array([1, 0, 1, -1], dtype=np.int64)


def _pair_slices(H, W, h):
    """Slices of the first and second site of the pairs of half direction h."""
    di, dj = int(DI[h]), int(DJ[h])
    j0, j1 = max(0, -dj), W - max(0, dj)
    return (slice(0, H - di), slice(j0, j1)), (slice(di, H), slice(j0 + dj, j1 + dj))


def expansion_terms(labels, unary, wdir, V, alpha, tu, tp):
    H, W, K = unary.shape
    tu3 = tu.reshape(H + 2, W + 2)
    tp3 = tp.reshape(H + 2, W + 2, -1)
    tu3[:] = 0.0
    tp3[:] = 0.0
    inner = (slice(1, H + 1), slice(1, W + 1))
    un = np.take_along_axis(unary, labels[..., None].astype(np.int64), 2)[..., 0]
    tu3[inner] += unary[..., alpha] - un
    for h in range(wdir.shape[0]):
        ps, qs = _pair_slices(H, W, h)
        a, b, w = labels[ps], labels[qs], wdir[h][ps]
        A, B, C = w * V[a, b], w * V[a, alpha], w * V[alpha, b]
        pp = (slice(ps[0].start + 1, ps[0].stop + 1), slice(ps[1].start + 1, ps[1].stop + 1))
        qq = (slice(qs[0].start + 1, qs[0].stop + 1), slice(qs[1].start + 1, qs[1].stop + 1))
        tu3[pp] += np.where(w != 0, C - A, 0.0)
        tu3[qq] -= np.where(w != 0, C, 0.0)
        tp3[qq + (2 * h + 1,)] += np.where(w != 0, np.maximum(B + C - A, 0.0), 0.0)


def swap_terms(labels, unary, wdir, V, alpha, beta, tu, tp):
    H, W, K = unary.shape
    tu3 = tu.reshape(H + 2, W + 2)
    tp3 = tp.reshape(H + 2, W + 2, -1)
    tu3[:] = 0.0
    tp3[:] = 0.0
    ins = (labels == alpha) | (labels == beta)
    tu3[1:-1, 1:-1] += np.where(ins, unary[..., alpha] - unary[..., beta], 0.0)
    for h in range(wdir.shape[0]):
        ps, qs = _pair_slices(H, W, h)
        a, b, w = labels[ps], labels[qs], wdir[h][ps]
        ip, iq = ins[ps], ins[qs]
        both = ip & iq & (w != 0)
        only_p = ip & ~iq & (w != 0)
        only_q = iq & ~ip & (w != 0)
        B, C = w * V[beta, alpha], w * V[alpha, beta]
        pp = (slice(ps[0].start + 1, ps[0].stop + 1), slice(ps[1].start + 1, ps[1].stop + 1))
        qq = (slice(qs[0].start + 1, qs[0].stop + 1), slice(qs[1].start + 1, qs[1].stop + 1))
        tu3[pp] += np.where(both, C, 0.0) + np.where(only_p, w * (V[alpha, b] - V[beta, b]), 0.0)
        tu3[qq] += np.where(both, -C, 0.0) + np.where(only_q, w * (V[a, alpha] - V[a, beta]), 0.0)
        tp3[qq + (2 * h + 1,)] += np.where(both, B + C, 0.0)


def quantize(tu, tp, scale, rc, tr):
    tr[:] = np.rint(-tu * scale).astype(np.int32)
    rc[:, :tp.shape[1]] = np.rint(tp * scale).astype(np.int32)


def apply_move(tree, labels, alpha, beta):
    H, W = labels.shape
    s = tree.reshape(H + 2, W + 2)[1:-1, 1:-1] == 1
    if beta < 0:
        new = np.where(s, alpha, labels)
    else:
        ins = (labels == alpha) | (labels == beta)
        new = np.where(ins, np.where(s, alpha, beta), labels)
    changed = int(np.count_nonzero(new != labels))
    labels[:] = new
    return changed


def local_costs(labels, unary, wdir, V):
    """cost[i, j, k] = unary[i, j, k] + Σ_neighbours w V(k, label of the neighbour), in the
    kernels' order of summation; float64 (H, W, K)."""
    H, W, K = unary.shape
    cost = unary.copy()
    for h in range(wdir.shape[0]):
        ps, qs = _pair_slices(H, W, h)
        w = wdir[h][ps][..., None]
        fwd = np.zeros_like(cost)
        bwd = np.zeros_like(cost)
        fwd[ps] = w * np.moveaxis(V[:, labels[qs]], 0, -1)
        bwd[qs] = w * np.moveaxis(V[:, labels[ps]], 0, -1)
        cost += fwd
        cost += bwd
    return cost


def colour_mask(H, W, n_colours, colour):
    i, j = np.indices((H, W))
    c = (i + j) % 2 if n_colours == 2 else 2 * (i % 2) + j % 2
    return c == colour


def sample_colour(labels, unary, wdir, V, colour, n_colours, temperature, u, cost=None):
    H, W, K = unary.shape
    c = local_costs(labels, unary, wdir, V)
    cur = labels.astype(np.int64)
    if temperature == 0.0:
        best = np.argmin(c, axis=2)
        cbest = np.take_along_axis(c, best[..., None], 2)[..., 0]
        ccur = np.take_along_axis(c, cur[..., None], 2)[..., 0]
        new = np.where(ccur <= cbest, cur, best)
    else:
        p = np.exp(-(c - c.min(axis=2, keepdims=True)) / temperature)
        cum = np.cumsum(p, axis=2)
        r = u * cum[..., -1]
        new = np.minimum(np.sum(cum <= r[..., None], axis=2), K - 1)
    mask = colour_mask(H, W, n_colours, colour)
    new = np.where(mask, new, cur)
    changed = int(np.count_nonzero(new != cur))
    labels[:] = new
    return changed
