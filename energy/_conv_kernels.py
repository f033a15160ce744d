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

Each kernel has a plain-numpy reference in :mod:`energy._conv_kernels_ref` that the tests
compare it with.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange


def out_size(H, k, s, p, d=1):
    """floor((H + 2p - d(k-1) - 1)/s + 1), PyTorch's output-size formula."""
    return (H + 2 * p - d * (k - 1) - 1) // s + 1


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
            base = n * P
            for oh in range(Ho):
                h = oh * sh - ph + i * dh
                o = base + oh * Wo
                if h < 0 or h >= H:
                    for ow in range(Wo):
                        cols[r, o + ow] = 0
                    continue
                for ow in range(Wo):
                    w = ow * sw - pw + j * dw
                    if 0 <= w < W:
                        cols[r, o + ow] = x[n, c, h, w]
                    else:
                        cols[r, o + ow] = 0
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


# ----------------------------------------------------------------------------- direct, stride 1
# For stride 1 and dilation 1 (after explicit zero padding) the convolution of one image is a
# sum of shifted copies of its planes. In the "wide" layout an output row is Wp long (the
# padded input's width; the last kW-1 entries of each row are junk that is never copied out),
# so output position q = oh·Wp + ow reads input position q + i·Wp + j of the flat plane: every
# inner loop is one contiguous, vectorisable run of L = (Ho-1)·Wp + Wo elements. Nothing of
# size (C·kH·kW, N·Ho·Wo) is ever built, which is what makes small-channel layers (LeNet's)
# fast. Parallel over images; the weight gradient is summed over per-image partials.

@njit(cache=True, parallel=True, fastmath=True)
def conv_forward_s1(xp, w, b, Ho, Wo):
    N, C, Hp, Wp = xp.shape
    O, _, kh, kw = w.shape
    L = (Ho - 1) * Wp + Wo
    out = np.empty((N, O, Ho, Wo), xp.dtype)
    xflat = xp.reshape(N * C, Hp * Wp)
    for n in prange(N):
        acc = np.empty(L, xp.dtype)
        for o in range(O):
            acc[:] = b[o]
            for c in range(C):
                xc = xflat[n * C + c]
                for i in range(kh):
                    for j in range(kw):
                        wv = w[o, c, i, j]
                        off = i * Wp + j
                        xs = xc[off:off + L]
                        for q in range(L):          # one contiguous, vectorised run
                            acc[q] += wv * xs[q]
            for oh in range(Ho):
                for ow in range(Wo):
                    out[n, o, oh, ow] = acc[oh * Wp + ow]
    return out


@njit(cache=True)
def _wide(g, n, Wp):
    _, O, Ho, Wo = g.shape
    L = (Ho - 1) * Wp + Wo
    gw = np.zeros((O, L), g.dtype)
    for o in range(O):
        for oh in range(Ho):
            for ow in range(Wo):
                gw[o, oh * Wp + ow] = g[n, o, oh, ow]
    return gw


@njit(cache=True, parallel=True, fastmath=True)
def conv_weight_grad_s1(xp, g, kh, kw):
    """Per-image partial weight gradients (N, O, C, kh, kw); the caller sums axis 0.

    dW[o, c, i, j] = Σ_q G[o, q] · X[c, q + i·Wp + j]: the correlation of the input with the
    output gradient."""
    N, C, Hp, Wp = xp.shape
    _, O, Ho, Wo = g.shape
    part = np.empty((N, O, C, kh, kw), g.dtype)
    L = (Ho - 1) * Wp + Wo
    xflat = xp.reshape(N * C, Hp * Wp)
    for n in prange(N):
        gw = _wide(g, n, Wp)
        for o in range(O):
            go = gw[o]
            for c in range(C):
                xc = xflat[n * C + c]
                for i in range(kh):
                    for j in range(kw):
                        off = i * Wp + j
                        xs = xc[off:off + L]
                        s = go[0] * 0
                        for q in range(L):
                            s += go[q] * xs[q]
                        part[n, o, c, i, j] = s
    return part


@njit(cache=True, parallel=True, fastmath=True)
def conv_input_grad_s1(g, w, Hp, Wp):
    """Gradient with respect to the padded input (N, C, Hp, Wp): the full convolution of g with
    the 180°-rotated kernel, written as a scatter of shifted copies (no races: one image per
    thread)."""
    N, O, Ho, Wo = g.shape
    _, C, kh, kw = w.shape
    L = (Ho - 1) * Wp + Wo
    dxp = np.zeros((N, C, Hp, Wp), g.dtype)
    dflat = dxp.reshape(N * C, Hp * Wp)
    for n in prange(N):
        gw = _wide(g, n, Wp)
        for c in range(C):
            dc = dflat[n * C + c]
            for o in range(O):
                go = gw[o]
                for i in range(kh):
                    for j in range(kw):
                        wv = w[o, c, i, j]
                        off = i * Wp + j
                        ds = dc[off:off + L]
                        for q in range(L):
                            ds[q] += wv * go[q]
    return dxp
