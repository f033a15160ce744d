"""The 2-D multi-dimensional RNN (Graves, Fernández & Schmidhuber 2007): the fused op
:func:`mdrnn`, its cell-by-cell definition ``_mdrnn_unfused`` and the module :class:`MDRNN`."""

from __future__ import annotations

import math

import numpy as np

from energy import autodiff as ad
from energy.autodiff import Parameter, Tensor
from energy.autodiff.counting import emul as _emul, mm as _mm
from pgm.runtime import check_rng

from ..layers import as_input
from ..module import Module, _count_activation, _count_product
from .functional import _affine, _zeros_bias

__all__ = ["mdrnn", "MDRNN"]


def _diag_cells(d, R, C):
    i = np.arange(max(0, d - C + 1), min(R - 1, d) + 1)
    return i, d - i


def mdrnn(x, weight_in, weight_w, weight_n, bias=None, order="wavefront", stats=None) -> Tensor:
    """A 2-D RNN over a grid (Graves, Fernández & Schmidhuber 2007), one fused engine op.

    ``h(i, j) = tanh(W_in x(i, j) + W_w h(i−1, j) + W_n h(i, j−1) + b)`` with h = 0 outside
    the grid, scanning from the top-left corner.

    Parameters
    ----------
    x : Tensor of shape (N, D, R, C)
        N grids of R×C cells with D features each (NCHW, like images).
    weight_in : Tensor of shape (H, D)
    weight_w : Tensor of shape (H, H)
        Applied to the state of the cell above, h(i−1, j).
    weight_n : Tensor of shape (H, H)
        Applied to the state of the cell to the left, h(i, j−1).
    bias : Tensor of shape (H,), optional
    order : {'wavefront', 'raster'}
        'wavefront' computes all cells of an anti-diagonal i + j = d at once (R + C − 1 steps,
        2G − 1 on a G×G grid, each one batched matrix product over the whole diagonal), in the
        forward and the backward pass; 'raster' visits the cells one by one, row by row (R·C
        steps). Both give the same values.
    stats : dict, optional
        Receives ``forward_steps`` and ``backward_steps``: the number of recurrent matrix
        products each pass made.

    Returns
    -------
    Tensor of shape (N, H, R, C): the hidden state of every cell.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = Tensor(rng.standard_normal((2, 1, 4, 4)))
    >>> W = [Tensor(rng.standard_normal(s)) for s in [(3, 1), (3, 3), (3, 3)]]
    >>> s = {}
    >>> mdrnn(x, *W, stats=s).shape, s["forward_steps"]
    ((2, 3, 4, 4), 7)
    """
    if order not in ("wavefront", "raster"):
        raise ValueError(f"order: expected 'wavefront' or 'raster', got {order!r}")
    X = x.data
    N, D, R, C = X.shape
    W_in, W_w, W_n = weight_in.data, weight_w.data, weight_n.data
    H = W_in.shape[0]
    dt = X.dtype
    if bias is None:
        bias = _zeros_bias(H, dt)
    Xc = np.ascontiguousarray(X.transpose(2, 3, 0, 1))           # (R, C, N, D)
    X2 = Xc.reshape(-1, D)
    _count_product(R * C * N * H * (D + 2 * H), weight_in, weight_w, weight_n)
    _count_activation(R * C * N * H)
    A = _mm(X2, W_in.T, "mdrnn").reshape(R, C, N, H)
    A += bias.data
    Wpair = np.ascontiguousarray(np.concatenate([W_w.T, W_n.T], axis=0))   # (2H, H)
    Hp = np.zeros((R + 1, C + 1, N, H), dt)                        # Hp[i+1, j+1] = h(i, j)
    if order == "wavefront":
        cells = [_diag_cells(d, R, C) for d in range(R + C - 1)]
    else:
        cells = [(np.array([i]), np.array([j])) for i in range(R) for j in range(C)]
    for i, j in cells:
        n = len(i)
        P = np.concatenate([Hp[i, j + 1], Hp[i + 1, j]], axis=-1).reshape(n * N, 2 * H)
        Hp[i + 1, j + 1] = np.tanh(A[i, j] + _mm(P, Wpair, "mdrnn").reshape(n, N, H))
    if stats is not None:
        stats["forward_steps"] = len(cells)
    Hgrid = Hp[1:, 1:]
    out = np.ascontiguousarray(Hgrid.transpose(2, 3, 0, 1))        # (N, H, R, C)

    def backward(g):
        dHp = np.zeros((R + 1, C + 1, N, H), dt)
        dHp[1:, 1:] = g.transpose(2, 3, 0, 1)
        dA = np.empty((R, C, N, H), dt)
        WpT = np.ascontiguousarray(Wpair.T)
        for i, j in reversed(cells):
            n = len(i)
            h = Hp[i + 1, j + 1]
            da = _emul(dHp[i + 1, j + 1], 1 - _emul(h, h, "mdrnn"), "mdrnn")
            dA[i, j] = da
            dP = _mm(da.reshape(n * N, H), WpT, "mdrnn").reshape(n, N, 2 * H)
            dHp[i, j + 1] += dP[..., :H]
            dHp[i + 1, j] += dP[..., H:]
        if stats is not None:
            stats["backward_steps"] = len(cells)
        dA2 = dA.reshape(-1, H)
        gx = gwi = gww = gwn = gb = None
        if x.requires_grad:
            gx = np.ascontiguousarray(_mm(dA2, W_in, "mdrnn").reshape(R, C, N, D)
                                      .transpose(2, 3, 0, 1))
        if weight_in.requires_grad:
            gwi = _mm(dA2.T, X2, "mdrnn")
        if weight_w.requires_grad or weight_n.requires_grad:
            P = np.concatenate([Hp[:-1, 1:], Hp[1:, :-1]], axis=-1).reshape(-1, 2 * H)
            gp = _mm(dA2.T, P, "mdrnn")                            # (H, 2H)
            gww, gwn = gp[:, :H], gp[:, H:]
        if bias.requires_grad:
            gb = dA2.sum(axis=0)
        return gx, gwi, gww, gwn, gb
    return Tensor.from_op(out, (x, weight_in, weight_w, weight_n, bias), backward, "mdrnn")


def _mdrnn_unfused(x, weight_in, weight_w, weight_n, bias=None):
    """The MDRNN cell by cell out of elementary engine ops (the definition the tests use)."""
    N, D, R, C = x.shape
    H = weight_in.shape[0]
    zero = Tensor(np.zeros((N, H), x.dtype))
    h = [[None] * C for _ in range(R)]
    for i in range(R):
        for j in range(C):
            a = _affine(x[:, :, i, j], weight_in, bias)
            a = a + ad.matmul(h[i - 1][j] if i else zero, weight_w.T)
            a = a + ad.matmul(h[i][j - 1] if j else zero, weight_n.T)
            h[i][j] = ad.tanh(a)
    rows = [ad.stack(r, axis=2) for r in h]                        # (N, H, C) each
    return ad.stack(rows, axis=2)                                   # (N, H, R, C)


class MDRNN(Module):
    """Two-dimensional RNN layer over an R×C grid (see :func:`mdrnn`).

    Parameters
    ----------
    input_size : int
        D, the features per cell (channels of an image).
    hidden_size : int
        H.
    order : {'wavefront', 'raster'}, default 'wavefront'
    rng : None, int or Generator
        Init U(−1/√H, 1/√H).
    dtype : default np.float32

    Attributes
    ----------
    weight_in : Parameter of shape (H, D)
    weight_w : Parameter of shape (H, H)  (state from the cell above, i − 1)
    weight_n : Parameter of shape (H, H)  (state from the cell to the left, j − 1)
    bias : Parameter of shape (H,)
        (D + 2H)·H weights plus H biases.
    n_steps_ : int
        Recurrent matrix products of the last forward pass (R + C − 1 by wavefront).

    Examples
    --------
    >>> md = MDRNN(1, 8, rng=0)
    >>> md(np.zeros((5, 1, 8, 8), np.float32)).shape, md.n_steps_
    ((5, 8, 8, 8), 15)
    """

    def __init__(self, input_size, hidden_size, order="wavefront", rng=None, dtype=np.float32):
        super().__init__()
        for n, v in (("input_size", input_size), ("hidden_size", hidden_size)):
            if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v < 1:
                raise ValueError(f"MDRNN: {n} must be a positive int, got {v!r}")
        if order not in ("wavefront", "raster"):
            raise ValueError(f"MDRNN: order must be 'wavefront' or 'raster', got {order!r}")
        self.input_size, self.hidden_size, self.order = int(input_size), int(hidden_size), order
        gen = check_rng(rng)
        H = self.hidden_size
        k = 1.0 / math.sqrt(H)
        self.weight_in = Parameter(gen.uniform(-k, k, (H, input_size)).astype(dtype))
        self.weight_w = Parameter(gen.uniform(-k, k, (H, H)).astype(dtype))
        self.weight_n = Parameter(gen.uniform(-k, k, (H, H)).astype(dtype))
        self.bias = Parameter(gen.uniform(-k, k, H).astype(dtype))
        self.n_steps_ = None

    def forward(self, x):
        """x : (N, D, R, C) -> hidden states (N, H, R, C)."""
        x = as_input(x, "MDRNN", self.weight_in.dtype)
        D = self.input_size
        if x.ndim != 4 or x.shape[1] != D:
            raise ValueError(f"MDRNN: expected input of shape (N, {D}, rows, cols), got {x.shape}")
        if 0 in x.shape:
            raise ValueError(f"MDRNN: empty input of shape {x.shape}")
        if not np.all(np.isfinite(x.data)):
            raise ValueError("MDRNN: input holds NaN or inf")
        stats = {}
        out = mdrnn(x, self.weight_in, self.weight_w, self.weight_n, self.bias, self.order, stats)
        self.n_steps_ = stats["forward_steps"]
        return out

    def extra_repr(self):
        return f"{self.input_size}, {self.hidden_size}, order={self.order!r}"

