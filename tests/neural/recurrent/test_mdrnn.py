"""The 2-D RNN (neural.recurrent.mdrnn): orders, gradcheck, module."""

import numpy as np
import pytest
from hypothesis import strategies as st

from energy.autodiff import Tensor, gradcheck
from neural import MDRNN
from neural.recurrent.mdrnn import _mdrnn_unfused, mdrnn
from tests.neural.recurrent.helpers import _r


# ----------------------------------------------------------------------------- MDRNN
def _md_weights(D, H, seed=0):
    return [_r(H, D, seed=seed, scale=0.5), _r(H, H, seed=seed + 1, scale=0.4),
            _r(H, H, seed=seed + 2, scale=0.4), _r(H, seed=seed + 3, scale=0.2)]


@pytest.mark.parametrize("shape", [(5, 5), (3, 6), (6, 2)])
def test_mdrnn_wavefront_equals_raster_and_counts_steps(shape):
    Rr, C = shape
    N, D, H = 3, 2, 4
    x = _r(N, D, Rr, C, seed=7)
    res = {}
    for order in ("wavefront", "raster"):
        ts = [Tensor(a.copy(), requires_grad=True) for a in [x] + _md_weights(D, H)]
        st = {}
        out = mdrnn(*ts, order=order, stats=st)
        (out * _r(*out.shape, seed=8)).sum().backward()
        res[order] = [out.data] + [t.grad for t in ts]
        assert st["forward_steps"] == st["backward_steps"] == (
            Rr + C - 1 if order == "wavefront" else Rr * C)
    for a, b in zip(res["wavefront"], res["raster"]):
        np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-14)
    # and both equal the cell-by-cell composition of engine ops
    ts = [Tensor(a.copy(), requires_grad=True) for a in [x] + _md_weights(D, H)]
    out = _mdrnn_unfused(*ts)
    (out * _r(*out.shape, seed=8)).sum().backward()
    for a, b in zip(res["wavefront"], [out.data] + [t.grad for t in ts]):
        np.testing.assert_allclose(a, b, rtol=1e-11, atol=1e-13)


def test_mdrnn_gradcheck_and_module():
    x = _r(2, 2, 3, 4, seed=1)
    res = gradcheck(lambda *a: mdrnn(*a), [x] + _md_weights(2, 3))
    assert res.passed, str(res)
    G, D, H = 6, 3, 5
    md = MDRNN(D, H, rng=0)
    n_weights = sum(p.size for n, p in md.named_parameters() if n != "bias")
    assert n_weights == (D + 2 * H) * H
    out = md(np.ones((2, D, G, G), np.float32))
    assert out.shape == (2, H, G, G) and out.dtype == np.float32
    assert md.n_steps_ == 2 * G - 1
    # the corner cell depends on every pixel, the first cell only on its own
    x = Tensor(_r(1, D, G, G, dtype=np.float32), requires_grad=True)
    md(x)[0, :, -1, -1].sum().backward()
    assert np.all(np.abs(x.grad).sum(axis=1) > 0)
