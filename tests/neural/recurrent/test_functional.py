"""Functional recurrent layers (neural.recurrent.functional): gradchecks, fused against
unfused engine ops, thread-count independence, reverse direction."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from energy.autodiff import Tensor, gradcheck
from neural.recurrent import _kernels as K
import neural.recurrent.functional as NR
from neural.recurrent.functional import (_gru_layer_unfused, _lstm_layer_unfused,
                                         _rnn_layer_unfused, gru_layer, lstm_layer, rnn_layer)
from tests.neural.recurrent.helpers import _layer_inputs, _r


def test_lstm_layer_same_result_on_one_and_two_threads():
    """Through the engine op: big enough for the parallel kernels, bit-identical results."""
    import numba
    T, B, I, H = 40, 32, 8, 32
    assert T * B * 4 * H * H >= NR._PAR_MIN_WORK and K.lstm_chunks(B) == 2
    x = _r(T, B, I, seed=1, dtype=np.float32)
    gout = _r(T, B, 2 * H, seed=2, dtype=np.float32)
    w = [_r(*s, seed=3 + k, dtype=np.float32, scale=0.3)
         for k, s in enumerate(((4 * H, I), (4 * H, H), (4 * H,), (4 * H,)))]
    h0, c0 = _r(B, H, seed=8, dtype=np.float32), _r(B, H, seed=9, dtype=np.float32)

    def run():
        ts = [Tensor(a, requires_grad=True) for a in [x, h0, c0] + w]
        out = lstm_layer(*ts)
        out.backward(gout)
        return [out.data] + [t.grad for t in ts]

    before = numba.get_num_threads()
    try:
        runs = []
        for n in sorted({1, min(2, numba.config.NUMBA_NUM_THREADS)}):
            numba.set_num_threads(n)
            runs.append(run())
    finally:
        numba.set_num_threads(before)
    for a, b in zip(runs[0], runs[-1]):
        np.testing.assert_array_equal(a, b)


# ----------------------------------------------------------------------------- fused layers
def _layer_inputs(T, B, I, H, G, seed=0):
    return [_r(T, B, I, seed=seed), _r(B, H, seed=seed + 1, scale=0.5),
            _r(B, H, seed=seed + 2, scale=0.5), _r(G * H, I, seed=seed + 3, scale=0.5),
            _r(G * H, H, seed=seed + 4, scale=0.5), _r(G * H, seed=seed + 5, scale=0.3),
            _r(G * H, seed=seed + 6, scale=0.3)]


@pytest.mark.parametrize("reverse", [False, True])
def test_lstm_layer_gradcheck_and_unfused(reverse):
    x, h0, c0, wi, wh, bi, bh = _layer_inputs(4, 2, 3, 3, 4)
    f = lambda *a: lstm_layer(*a, reverse=reverse)  # noqa: E731
    res = gradcheck(f, [x, h0, c0, wi, wh, bi, bh])
    assert res.passed, str(res)
    _compare_fused_unfused(lstm_layer, _lstm_layer_unfused, [x, h0, c0, wi, wh, bi, bh],
                           dict(reverse=reverse))


@pytest.mark.parametrize("reverse", [False, True])
def test_gru_layer_gradcheck_and_unfused(reverse):
    x, h0, _, wi, wh, bi, bh = _layer_inputs(4, 2, 3, 3, 3)
    f = lambda *a: gru_layer(*a, reverse=reverse)  # noqa: E731
    res = gradcheck(f, [x, h0, wi, wh, bi, bh])
    assert res.passed, str(res)
    _compare_fused_unfused(gru_layer, _gru_layer_unfused, [x, h0, wi, wh, bi, bh],
                           dict(reverse=reverse))


@pytest.mark.parametrize("nl,residual,reverse", [("tanh", False, False), ("relu", False, True),
                                                 ("tanh", True, True), ("relu", True, False)])
def test_rnn_layer_gradcheck_and_unfused(nl, residual, reverse):
    x, h0, _, wi, wh, bi, bh = _layer_inputs(5, 2, 3, 4, 1)
    kw = dict(reverse=reverse, nonlinearity=nl, residual=residual)
    res = gradcheck(lambda *a: rnn_layer(*a, **kw), [x, h0, wi, wh, bi, bh])
    assert res.passed, str(res)
    _compare_fused_unfused(rnn_layer, _rnn_layer_unfused, [x, h0, wi, wh, bi, bh], kw)


def _compare_fused_unfused(fused, unfused, arrays, kw):
    outs, grads = [], []
    for f in (fused, unfused):
        ts = [Tensor(a.copy(), requires_grad=True) for a in arrays]
        out = f(*ts, **kw)
        w = _r(*out.shape, seed=99)
        (out * w).sum().backward()
        outs.append(out.data)
        grads.append([t.grad for t in ts])
    np.testing.assert_allclose(outs[0], outs[1], rtol=1e-12, atol=1e-12)
    for a, b in zip(*grads):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


@settings(max_examples=25, deadline=None)
@given(st.sampled_from(["LSTM", "GRU", "RNN"]), st.integers(1, 6), st.integers(1, 3),
       st.integers(1, 4), st.integers(0, 10 ** 6))
def test_reverse_direction_is_the_forward_layer_on_the_flipped_sequence(kind, T, B, H, seed):
    G = {"LSTM": 4, "GRU": 3, "RNN": 1}[kind]
    x, h0, c0, wi, wh, bi, bh = _layer_inputs(T, B, 2, H, G, seed=seed % 1000)
    f = {"LSTM": lambda xx, r: lstm_layer(xx, Tensor(h0), Tensor(c0), Tensor(wi), Tensor(wh),
                                          Tensor(bi), Tensor(bh), reverse=r),
         "GRU": lambda xx, r: gru_layer(xx, Tensor(h0), Tensor(wi), Tensor(wh), Tensor(bi),
                                        Tensor(bh), reverse=r),
         "RNN": lambda xx, r: rnn_layer(xx, Tensor(h0), Tensor(wi), Tensor(wh), Tensor(bi),
                                        Tensor(bh), reverse=r)}[kind]
    xa, xb = Tensor(x.copy(), requires_grad=True), Tensor(x[::-1].copy(), requires_grad=True)
    ya, yb = f(xa, True), f(xb, False)
    np.testing.assert_allclose(ya.data, yb.data[::-1], rtol=1e-12, atol=1e-14)
    w = _r(*ya.shape, seed=seed % 1000 + 7)
    (ya * w).sum().backward()
    (yb * w[::-1].copy()).sum().backward()
    np.testing.assert_allclose(xa.grad, xb.grad[::-1], rtol=1e-10, atol=1e-13)
