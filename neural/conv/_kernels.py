"""numba kernels of 2-D convolution and pooling on NCHW arrays (private).

Layout shared by the kernels:

* ``x`` : (N, C, H, W) input, not padded: the kernels test the bounds themselves, so no
  padded copy is made (padding is zero for convolution and average pooling, -inf for max).
* ``cols`` : (C·kH·kW, N·Ho·Wo) — the "im2col" matrix: row ``r = (c·kH + i)·kW + j`` holds,
  for every output position (n, oh, ow) at column ``n·Ho·Wo + oh·Wo + ow``, the input value
  ``x[n, c, oh·sH - pH + i·dH, ow·sW - pW + j·dW]`` (0 outside). A convolution is then one
  GEMM ``weight.reshape(O, -1) @ cols``.
* :func:`col2im` is the adjoint of :func:`im2col` (a scatter-add): it is how the input
  gradient, a full convolution with the 180°-rotated kernel, is computed from ``Wᵀ·G``.
* Pooling windows of size k, stride s, padding p; max-pooling records the flat index
  (``h·W + w``) of each window's maximum so that the backward pass routes the gradient there.

Parallelism: ``im2col`` is parallel over the rows of ``cols`` (contiguous writes);
``col2im`` and the pooling kernels over the N·C image planes (each plane is written by one
thread only, so the scatter-adds have no races).

Each kernel has a plain-numpy reference in :mod:`neural.conv._kernels_ref` that the tests
compare it with.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from pgm.runtime import call as _call

from ._kernels_ref import out_size  # noqa: F401 (one definition, pure Python)

#: below this much work (elements touched, or multiply-adds for the convolutions) a kernel
#: runs on the calling thread only (see pgm.runtime.threads_for)
PARALLEL_MIN_WORK = 1 << 17


def call(kernel, work, *args):
    """Run ``kernel(*args)``, on one thread when ``work < PARALLEL_MIN_WORK``."""
    return _call(kernel, work, *args, min_work=PARALLEL_MIN_WORK)


@njit(cache=True)
def _fill_plane(row, o0, x, n, c, i, j, sh, sw, ph, pw, dh, dw, Ho, Wo):
    """row[o0 + oh·Wo + ow] = x[n, c, oh·sh − ph + i·dh, ow·sw − pw + j·dw], 0 outside the
    image: one kernel offset (i, j) of channel c of image n, over every output position."""
    H, W = x.shape[2], x.shape[3]
    for oh in range(Ho):
        h = oh * sh - ph + i * dh
        o = o0 + oh * Wo
        if h < 0 or h >= H:
            for ow in range(Wo):
                row[o + ow] = 0
            continue
        for ow in range(Wo):
            w = ow * sw - pw + j * dw
            if 0 <= w < W:
                row[o + ow] = x[n, c, h, w]
            else:
                row[o + ow] = 0

@njit(cache=True, parallel=True)
def im2col(x, kh, kw, sh, sw, ph, pw, dh, dw, Ho, Wo):
    N, C, H, W = x.shape
    K = C * kh * kw
    P = Ho * Wo
    cols = np.empty((K, N * P), x.dtype)
    for r in prange(K):
        c = r // (kh * kw)
        i = (r // kw) % kh
        j = r % kw
        for n in range(N):
            _fill_plane(cols[r], n * P, x, n, c, i, j, sh, sw, ph, pw, dh, dw, Ho, Wo)
    return cols

@njit(cache=True, parallel=True)
def col2im(cols, N, C, H, W, kh, kw, sh, sw, ph, pw, dh, dw, Ho, Wo):
    P = Ho * Wo
    dx = np.zeros((N, C, H, W), cols.dtype)
    for nc in prange(N * C):
        n = nc // C
        c = nc % C
        base = n * P
        for i in range(kh):
            for j in range(kw):
                r = (c * kh + i) * kw + j
                for oh in range(Ho):
                    h = oh * sh - ph + i * dh
                    if h < 0 or h >= H:
                        continue
                    o = base + oh * Wo
                    for ow in range(Wo):
                        w = ow * sw - pw + j * dw
                        if 0 <= w < W:
                            dx[n, c, h, w] += cols[r, o + ow]
    return dx

@njit(cache=True, parallel=True)
def maxpool_forward(x, kh, kw, sh, sw, ph, pw, Ho, Wo):
    N, C, H, W = x.shape
    out = np.empty((N, C, Ho, Wo), x.dtype)
    arg = np.empty((N, C, Ho, Wo), np.int32)
    for nc in prange(N * C):
        n = nc // C
        c = nc % C
        if ph == 0 and pw == 0:          # every window lies inside the image: no bounds tests
            for oh in range(Ho):
                for ow in range(Wo):
                    h0 = oh * sh
                    w0 = ow * sw
                    best = x[n, c, h0, w0]
                    bi = h0 * W + w0
                    for i in range(kh):
                        for j in range(kw):
                            v = x[n, c, h0 + i, w0 + j]
                            if v > best:
                                best = v
                                bi = (h0 + i) * W + w0 + j
                    out[n, c, oh, ow] = best
                    arg[n, c, oh, ow] = bi
            continue
        for oh in range(Ho):
            for ow in range(Wo):
                best = -np.inf
                bi = -1
                for i in range(kh):
                    h = oh * sh - ph + i
                    if h < 0 or h >= H:
                        continue
                    for j in range(kw):
                        w = ow * sw - pw + j
                        if w < 0 or w >= W:
                            continue
                        v = x[n, c, h, w]
                        if v > best or bi < 0:
                            best = v
                            bi = h * W + w
                out[n, c, oh, ow] = best
                arg[n, c, oh, ow] = bi
    return out, arg

@njit(cache=True, parallel=True)
def maxpool_backward(g, arg, H, W):
    N, C, Ho, Wo = g.shape
    dx = np.zeros((N, C, H * W), g.dtype)
    for nc in prange(N * C):
        n = nc // C
        c = nc % C
        for oh in range(Ho):
            for ow in range(Wo):
                dx[n, c, arg[n, c, oh, ow]] += g[n, c, oh, ow]
    return dx.reshape((N, C, H, W))

@njit(cache=True, parallel=True)
def avgpool_forward(x, kh, kw, sh, sw, ph, pw, Ho, Wo):
    N, C, H, W = x.shape
    out = np.empty((N, C, Ho, Wo), x.dtype)
    inv = 1.0 / (kh * kw)
    for nc in prange(N * C):
        n = nc // C
        c = nc % C
        for oh in range(Ho):
            for ow in range(Wo):
                s = 0.0
                for i in range(kh):
                    h = oh * sh - ph + i
                    if h < 0 or h >= H:
                        continue
                    for j in range(kw):
                        w = ow * sw - pw + j
                        if 0 <= w < W:
                            s += x[n, c, h, w]
                out[n, c, oh, ow] = s * inv
    return out

@njit(cache=True, parallel=True)
def avgpool_backward(g, H, W, kh, kw, sh, sw, ph, pw):
    N, C, Ho, Wo = g.shape
    dx = np.zeros((N, C, H, W), g.dtype)
    inv = 1.0 / (kh * kw)
    for nc in prange(N * C):
        n = nc // C
        c = nc % C
        for oh in range(Ho):
            for ow in range(Wo):
                v = g[n, c, oh, ow] * inv
                for i in range(kh):
                    h = oh * sh - ph + i
                    if h < 0 or h >= H:
                        continue
                    for j in range(kw):
                        w = ow * sw - pw + j
                        if 0 <= w < W:
                            dx[n, c, h, w] += v
    return dx

# ----------------------------------------------------------------------------- per image
# The same im2col + GEMM, one image at a time inside a parallel loop over the batch: each
# image's column matrix (C·kH·kW, Ho·Wo) is small enough to stay in cache, each thread calls a
# single-threaded BLAS GEMM on it (numba's np.dot), and nothing of size (C·kH·kW, N·Ho·Wo)
# is ever allocated. Weight gradients are per-image partials that the caller sums.

@njit(cache=True)
def _im2col_one(x, n, kh, kw, sh, sw, ph, pw, dh, dw, Ho, Wo):
    _, C, H, W = x.shape
    cols = np.empty((C * kh * kw, Ho * Wo), x.dtype)
    for c in range(C):
        for i in range(kh):
            for j in range(kw):
                r = (c * kh + i) * kw + j
                _fill_plane(cols[r], 0, x, n, c, i, j, sh, sw, ph, pw, dh, dw, Ho, Wo)
    return cols

@njit(cache=True)
def _col2im_one(cols, dx, n, kh, kw, sh, sw, ph, pw, dh, dw, Ho, Wo):
    _, C, H, W = dx.shape
    for c in range(C):
        for i in range(kh):
            for j in range(kw):
                r = (c * kh + i) * kw + j
                for oh in range(Ho):
                    h = oh * sh - ph + i * dh
                    if h < 0 or h >= H:
                        continue
                    o = oh * Wo
                    for ow in range(Wo):
                        w = ow * sw - pw + j * dw
                        if 0 <= w < W:
                            dx[n, c, h, w] += cols[r, o + ow]

@njit(cache=True, parallel=True)
def conv_forward_batched(x, w2, b, kh, kw, sh, sw, ph, pw, dh, dw, Ho, Wo):
    """out[n] = w2 @ im2col(x[n]) + b for every image n; w2 is the (O, C·kH·kW) weight."""
    N = x.shape[0]
    O = w2.shape[0]
    out = np.empty((N, O, Ho, Wo), x.dtype)
    for n in prange(N):
        cols = _im2col_one(x, n, kh, kw, sh, sw, ph, pw, dh, dw, Ho, Wo)
        y = np.dot(w2, cols)
        for o in range(O):
            bo = b[o]
            for oh in range(Ho):
                for ow in range(Wo):
                    out[n, o, oh, ow] = y[o, oh * Wo + ow] + bo
    return out

@njit(cache=True, parallel=True)
def conv_backward_batched(x, w2, g, kh, kw, sh, sw, ph, pw, dh, dw, need_dx):
    """Per-image weight-gradient partials G[n]·im2col(x[n])ᵀ, shape (N, O, C·kH·kW), and the
    input gradient col2im(w2ᵀ·G[n]) (the full convolution with the rotated kernel)."""
    N, C, H, W = x.shape
    _, O, Ho, Wo = g.shape
    part = np.empty((N, O, w2.shape[1]), g.dtype)
    dx = np.zeros((N, C, H, W) if need_dx else (0, C, H, W), g.dtype)
    w2t = np.ascontiguousarray(w2.T)
    for n in prange(N):
        gn = np.ascontiguousarray(g[n].reshape(O, Ho * Wo))
        cols = _im2col_one(x, n, kh, kw, sh, sw, ph, pw, dh, dw, Ho, Wo)
        part[n] = np.dot(gn, cols.T)
        if need_dx:
            _col2im_one(np.dot(w2t, gn), dx, n, kh, kw, sh, sw, ph, pw, dh, dw, Ho, Wo)
    return part, dx
