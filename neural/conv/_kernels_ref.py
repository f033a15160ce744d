"""Plain-numpy references for :mod:`neural.conv._kernels` (private).

Same layouts and results, written with a zero/-inf padded copy, strided sliding-window views
(``numpy.lib.stride_tricks.as_strided``) and loops over the kernel offsets; plus a direct
loop convolution that follows the definition literally. Tests compare the kernels with these.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided


def out_size(H, k, s, p, d=1):
    """floor((H + 2p - d(k-1) - 1)/s + 1), PyTorch's output-size formula."""
    return (H + 2 * p - d * (k - 1) - 1) // s + 1


def _windows(xp, kh, kw, sh, sw, dh, dw, Ho, Wo):
    """View of shape (N, C, kh, kw, Ho, Wo) into a padded (N, C, Hp, Wp) array."""
    N, C, _, _ = xp.shape
    s0, s1, s2, s3 = xp.strides
    return as_strided(xp, (N, C, kh, kw, Ho, Wo), (s0, s1, s2 * dh, s3 * dw, s2 * sh, s3 * sw),
                      writeable=False)


def im2col_ref(x, kh, kw, sh, sw, ph, pw, dh, dw, Ho, Wo):
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    v = _windows(xp, kh, kw, sh, sw, dh, dw, Ho, Wo)            # N C kh kw Ho Wo
    N, C = x.shape[:2]
    return np.ascontiguousarray(v.transpose(1, 2, 3, 0, 4, 5)).reshape(C * kh * kw, N * Ho * Wo)


def col2im_ref(cols, N, C, H, W, kh, kw, sh, sw, ph, pw, dh, dw, Ho, Wo):
    c6 = cols.reshape(C, kh, kw, N, Ho, Wo)
    dxp = np.zeros((N, C, H + 2 * ph + sh * Ho + kh * dh, W + 2 * pw + sw * Wo + kw * dw), cols.dtype)
    for i in range(kh):
        for j in range(kw):
            h0, w0 = i * dh, j * dw
            dxp[:, :, h0:h0 + sh * Ho:sh, w0:w0 + sw * Wo:sw] += c6[:, i, j].transpose(1, 0, 2, 3)
    return np.ascontiguousarray(dxp[:, :, ph:ph + H, pw:pw + W])


def maxpool_forward_ref(x, kh, kw, sh, sw, ph, pw, Ho, Wo):
    N, C, H, W = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=-np.inf)
    v = _windows(xp, kh, kw, sh, sw, 1, 1, Ho, Wo).transpose(0, 1, 4, 5, 2, 3)
    v = v.reshape(N, C, Ho, Wo, kh * kw)
    k = v.argmax(axis=-1)
    out = np.take_along_axis(v, k[..., None], -1)[..., 0]
    i, j = k // kw, k % kw
    h = np.arange(Ho)[:, None] * sh - ph + i
    w = np.arange(Wo)[None, :] * sw - pw + j
    return out, (h * W + w).astype(np.int32)


def maxpool_backward_ref(g, arg, H, W):
    N, C = g.shape[:2]
    dx = np.zeros((N, C, H * W), g.dtype)
    n, c = np.indices((N, C))
    for idx in np.ndindex(*g.shape[2:]):
        np.add.at(dx, (n, c, arg[(..., *idx)]), g[(..., *idx)])
    return dx.reshape(N, C, H, W)


def avgpool_forward_ref(x, kh, kw, sh, sw, ph, pw, Ho, Wo):
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    v = _windows(xp, kh, kw, sh, sw, 1, 1, Ho, Wo)
    return v.mean(axis=(2, 3)).astype(x.dtype)


def avgpool_backward_ref(g, H, W, kh, kw, sh, sw, ph, pw):
    N, C, Ho, Wo = g.shape
    cols = np.broadcast_to((g / (kh * kw)).transpose(1, 0, 2, 3)[:, None, None],
                           (C, kh, kw, N, Ho, Wo)).reshape(C * kh * kw, N * Ho * Wo)
    return col2im_ref(np.ascontiguousarray(cols), N, C, H, W, kh, kw, sh, sw, ph, pw, 1, 1, Ho, Wo)


def conv2d_direct_ref(x, w, b=None, stride=(1, 1), padding=(0, 0), dilation=(1, 1)):
    """The definition, loop over output positions: out[n,o,y,x] = b[o] + Σ_{c,i,j} w[o,c,i,j]·x[n,c,y·s+i·d-p, x·s+j·d-p]."""
    N, C, H, W = x.shape
    O, _, kh, kw = w.shape
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    Ho = (H + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    Wo = (W + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    out = np.zeros((N, O, Ho, Wo), np.result_type(x, w))
    for n in range(N):
        for o in range(O):
            for y in range(Ho):
                for z in range(Wo):
                    acc = 0.0 if b is None else b[o]
                    for c in range(C):
                        for i in range(kh):
                            for j in range(kw):
                                hh, ww = y * sh - ph + i * dh, z * sw - pw + j * dw
                                if 0 <= hh < H and 0 <= ww < W:
                                    acc += w[o, c, i, j] * x[n, c, hh, ww]
                    out[n, o, y, z] = acc
    return out
