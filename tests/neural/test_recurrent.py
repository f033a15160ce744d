"""Recurrent layers: kernels vs numpy references, fused vs unfused engine ops, gradchecks,
the course's BPTT closed forms, truncated BPTT, MDRNN orders, torch cross-checks, bad input."""

import numpy as np
import pytest

from energy import autodiff as ad
from energy.autodiff import Tensor, cross_entropy
from energy.autodiff.gradcheck import gradcheck
from neural import GRU, LSTM, MDRNN, RNN, Linear, ResidualRNN, TimeDelay
from neural import _rnn_kernels as K
from neural.layers import linear
from neural import _rnn_kernels_ref as R
import neural.recurrent as NR
from neural.recurrent import (_gru_layer_unfused, _lstm_layer_unfused, _mdrnn_unfused,
                              _rnn_layer_unfused, gru_layer, hidden_grad_norms, lstm_layer,
                              mdrnn, rnn_layer, truncated_bptt)


def _r(*shape, seed=0, dtype=np.float64, scale=1.0):
    return (scale * np.random.default_rng(seed).standard_normal(shape)).astype(dtype)


# ----------------------------------------------------------------------------- kernels
def _lstm_kernel_run(fwd, bwd, dtype, reverse, T, B, H, nchunk):
    Xp, WhhT = _r(T, B, 4 * H, seed=1, dtype=dtype), _r(H, 4 * H, seed=2, dtype=dtype)
    bias = _r(4 * H, seed=7, dtype=dtype)
    h0, c0 = _r(B, H, seed=3, dtype=dtype), _r(B, H, seed=4, dtype=dtype)
    fw = [np.empty((T, B, 4 * H), dtype), np.empty((T, B, 2 * H), dtype),
          np.empty((T, B, H), dtype), np.empty((T, B, H), dtype)]
    fwd(Xp, WhhT, bias, h0, c0, reverse, nchunk, *fw)
    Gates, Out, _, TCs = fw
    G = _r(T, B, 2 * H, seed=5, dtype=dtype)
    Whh = np.ascontiguousarray(WhhT.T)
    bw = [np.empty((T, B, 4 * H), dtype), np.empty((T, B, H), dtype), np.empty((B, H), dtype),
          np.empty((B, H), dtype)]
    bwd(Gates, Out, TCs, c0, Whh, G, reverse, nchunk, *bw)
    return fw + bw


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("B, nchunk", [(3, 1), (7, 3)])
def test_lstm_kernels_match_reference(dtype, reverse, B, nchunk):
    T, H = 6, 4
    got = _lstm_kernel_run(K.lstm_forward, K.lstm_backward, dtype, reverse, T, B, H, nchunk)
    ref = _lstm_kernel_run(R.lstm_forward_ref, R.lstm_backward_ref, dtype, reverse, T, B, H,
                           nchunk)
    tol = 1e-12 if dtype == np.float64 else 1e-5
    for a, b in zip(got, ref):
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol)
        assert a.dtype == dtype


@pytest.mark.parametrize("reverse", [False, True])
def test_lstm_parallel_kernels_equal_serial_for_any_thread_count(reverse):
    """The blocks of rows depend on the batch only: 1 or 2 numba threads, serial or parallel
    kernel, the results are bit-identical (also when the blocks outnumber the threads)."""
    import numba
    T, B, H = 5, 48, 16
    nchunk = K.lstm_chunks(B)
    assert nchunk == 3
    runs = [_lstm_kernel_run(K.lstm_forward, K.lstm_backward, np.float32, reverse, T, B, H,
                             nchunk)]
    before = numba.get_num_threads()
    try:
        for n in sorted({1, min(2, numba.config.NUMBA_NUM_THREADS)}):
            numba.set_num_threads(n)
            runs.append(_lstm_kernel_run(K.lstm_forward_par, K.lstm_backward_par, np.float32,
                                         reverse, T, B, H, nchunk))
    finally:
        numba.set_num_threads(before)
    for run in runs[1:]:
        for a, b in zip(runs[0], run):
            np.testing.assert_array_equal(a, b)


def _lstm_products_run(mm, grads, T, B, I, H, nchunk, want):
    dt = np.float32
    X2, Wih = _r(T * B, I, seed=1, dtype=dt), _r(4 * H, I, seed=2, dtype=dt)
    Xp = np.empty((T * B, 4 * H), dt)
    mm(X2, Wih.T, Xp, nchunk)
    dG, Hs, h0 = _r(T, B, 4 * H, seed=3, dtype=dt), _r(T, B, H, seed=4, dtype=dt), \
        _r(B, H, seed=5, dtype=dt)
    g = [np.zeros(s, dt) for s in ((T * B, I), (4 * H, I), (4 * H, H))]
    grads(dG.reshape(-1, 4 * H), Wih, X2, dG[1:].reshape(-1, 4 * H), Hs[:-1].reshape(-1, H),
          dG[0], h0, nchunk, *g, np.array(want))
    return [Xp] + g


@pytest.mark.parametrize("want", [(True, True, True), (False, True, False)])
def test_lstm_products_match_reference_and_equal_serial(want):
    import numba
    args = (6, 34, 5, 8, K.lstm_chunks(34), want)
    ref = _lstm_products_run(R.matmul_rows_ref, R.lstm_grads_ref, *args)
    got = [_lstm_products_run(K.matmul_rows, K.lstm_grads, *args)]
    before = numba.get_num_threads()
    try:
        for n in sorted({1, min(2, numba.config.NUMBA_NUM_THREADS)}):
            numba.set_num_threads(n)
            got.append(_lstm_products_run(K.matmul_rows_par, K.lstm_grads_par, *args))
    finally:
        numba.set_num_threads(before)
    for a, b in zip(got[0], ref):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)
    for run in got[1:]:
        for a, b in zip(got[0], run):
            np.testing.assert_array_equal(a, b)
    if not want[0]:                                  # products not wanted are not made
        assert not got[0][1].any() and not got[0][3].any()


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


def test_lstm_chunks_depend_on_batch_only():
    assert [K.lstm_chunks(B) for B in (1, 15, 16, 31, 32, 48, 128, 129, 4096)] == \
        [1, 1, 1, 1, 2, 3, 8, 8, 8]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("reverse", [False, True])
def test_gru_kernels_match_reference(dtype, reverse):
    T, B, H = 5, 2, 3
    Xp, WhhT = _r(T, B, 3 * H, seed=1, dtype=dtype), _r(H, 3 * H, seed=2, dtype=dtype)
    bhh, h0 = _r(3 * H, seed=3, dtype=dtype), _r(B, H, seed=4, dtype=dtype)
    bufs = [[np.empty((T, B, 3 * H), dtype), np.empty((T, B, H), dtype),
             np.empty((T, B, H), dtype)] for _ in range(2)]
    K.gru_forward(Xp, WhhT, bhh, h0, reverse, *bufs[0])
    R.gru_forward_ref(Xp, WhhT, bhh, h0, reverse, *bufs[1])
    tol = 1e-12 if dtype == np.float64 else 1e-5
    for a, b in zip(*bufs):
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol)
    Gates, HN, Hs = bufs[0]
    gH, Whh = _r(T, B, H, seed=5, dtype=dtype), np.ascontiguousarray(WhhT.T)
    outs = [[np.empty((T, B, 3 * H), dtype), np.empty((T, B, 3 * H), dtype),
             np.empty((T, B, H), dtype)] for _ in range(2)]
    r1 = K.gru_backward(Gates, HN, Hs, h0, Whh, gH, reverse, *outs[0])
    r2 = R.gru_backward_ref(Gates, HN, Hs, h0, Whh, gH, reverse, *outs[1])
    for a, b in zip([r1] + outs[0], [r2] + outs[1]):
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


@pytest.mark.parametrize("relu,residual,reverse", [(False, False, False), (True, False, True),
                                                   (False, True, False), (True, True, True)])
def test_rnn_kernels_match_reference(relu, residual, reverse):
    T, B, H = 7, 2, 3
    Xp, WhhT, h0 = _r(T, B, H, seed=1), _r(H, H, seed=2), _r(B, H, seed=3)
    bufs = [[np.empty((T, B, H)), np.empty((T, B, H))] for _ in range(2)]
    K.rnn_forward(Xp, WhhT, h0, reverse, relu, residual, *bufs[0])
    R.rnn_forward_ref(Xp, WhhT, h0, reverse, relu, residual, *bufs[1])
    for a, b in zip(*bufs):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
    gH, Whh = _r(T, B, H, seed=4), np.ascontiguousarray(WhhT.T)
    outs = [[np.empty((T, B, H)), np.empty((T, B, H))] for _ in range(2)]
    r1 = K.rnn_backward(bufs[0][0], Whh, gH, reverse, relu, residual, *outs[0])
    r2 = R.rnn_backward_ref(bufs[0][0], Whh, gH, reverse, relu, residual, *outs[1])
    for a, b in zip([r1] + outs[0], [r2] + outs[1]):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


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


# ----------------------------------------------------------------------------- modules
def _module_pair(cls, **kw):
    a = cls(3, 4, rng=0, dtype=np.float64, **kw)
    b = cls(3, 4, rng=0, dtype=np.float64, fused=False, **kw)
    return a, b


@pytest.mark.parametrize("cls", [LSTM, GRU, RNN, ResidualRNN])
def test_module_fused_equals_unfused_multilayer_bidirectional(cls):
    kw = dict(num_layers=2, bidirectional=True, batch_first=True)
    a, b = _module_pair(cls, **kw)
    x = _r(2, 5, 3, seed=1)           # batch first
    h0 = _r(4, 2, 4, seed=2, scale=0.5)
    hx = (h0, _r(4, 2, 4, seed=3, scale=0.5)) if cls is LSTM else h0
    res = []
    for m in (a, b):
        xt = Tensor(x.copy(), requires_grad=True)
        hxt = (tuple(Tensor(s.copy(), requires_grad=True) for s in hx) if cls is LSTM
               else Tensor(hx.copy(), requires_grad=True))
        out, hn = m(xt, hxt)
        hns = hn if cls is LSTM else (hn,)
        loss = (out * _r(*out.shape, seed=4)).sum()
        for k, s in enumerate(hns):
            loss = loss + (s * _r(*s.shape, seed=5 + k)).sum()
        loss.backward()
        states = hxt if cls is LSTM else (hxt,)
        res.append([out.data] + [s.data for s in hns] + [xt.grad] + [s.grad for s in states]
                   + [p.grad for p in m.parameters()])
    assert len(res[0]) == len(res[1])
    for u, v in zip(*res):
        np.testing.assert_allclose(u, v, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("cls", [LSTM, GRU, RNN])
def test_float32_in_float32_out(cls):
    m = cls(3, 4, num_layers=2, bidirectional=True, rng=0)
    out, hn = m(_r(5, 2, 3, dtype=np.float32))
    hns = hn if cls is LSTM else (hn,)
    (out.sum() + sum(s.sum() for s in hns)).backward()
    assert out.dtype == np.float32 and all(s.dtype == np.float32 for s in hns)
    assert all(p.grad.dtype == np.float32 for p in m.parameters())


def test_parameter_names_shapes_and_init():
    lstm = LSTM(3, 5, num_layers=2, bidirectional=True, rng=0)
    names = dict(lstm.named_parameters())
    assert names["weight_ih_l0"].shape == (20, 3)
    assert names["weight_ih_l1"].shape == (20, 10)
    assert names["weight_hh_l1_reverse"].shape == (20, 5)
    assert names["bias_hh_l0_reverse"].shape == (20,)
    assert len(names) == 16
    k = 1 / np.sqrt(5)
    assert all(np.abs(p.data).max() <= k for p in lstm.parameters())
    assert GRU(3, 5, rng=0).weight_hh_l0.shape == (15, 5)
    assert len(RNN(3, 5, bias=False, rng=0).parameters()) == 2


# ----------------------------------------------------------------------------- the course's RNN
def test_rnn_bptt_closed_forms():
    """∂L/∂W_hz = Σ_t (z_t − onehot(y_t)) h_tᵀ and ∂L/∂W_hh via the h̄_t recursion."""
    T, I, H, V = 6, 3, 5, 4
    rnn = RNN(I, H, rng=0, dtype=np.float64)
    head = Linear(H, V, rng=1, dtype=np.float64)
    x = _r(T, 1, I, seed=2)
    y = np.random.default_rng(3).integers(0, V, T)
    out, _ = rnn(x)
    loss = cross_entropy(head(out).reshape(T, V), y, reduction="sum")
    loss.backward()
    h = out.data[:, 0]                                    # (T, H)
    logits = h @ head.weight.data.T + head.bias.data
    z = np.exp(logits - logits.max(1, keepdims=True))
    z /= z.sum(1, keepdims=True)
    e = z - np.eye(V)[y]                                  # z_t − onehot(y_t)
    np.testing.assert_allclose(head.weight.grad, e.T @ h, rtol=1e-10, atol=1e-12)
    # h̄_T = W_hzᵀ e_T; h̄_t = W_hzᵀ e_t + W_hhᵀ diag(1 − h_{t+1}²) h̄_{t+1}
    W_hz, W_hh = head.weight.data, rnn.weight_hh_l0.data
    hbar = np.zeros((T, H))
    for t in range(T - 1, -1, -1):
        hbar[t] = W_hz.T @ e[t]
        if t < T - 1:
            hbar[t] += W_hh.T @ ((1 - h[t + 1] ** 2) * hbar[t + 1])
    hprev = np.vstack([np.zeros(H), h[:-1]])
    dW_hh = sum(np.outer((1 - h[t] ** 2) * hbar[t], hprev[t]) for t in range(T))
    np.testing.assert_allclose(rnn.weight_hh_l0.grad, dW_hh, rtol=1e-10, atol=1e-12)
    h0 = Tensor(np.zeros((1, H)))
    res = gradcheck(lambda wh, whz: cross_entropy(
        linear(rnn_layer(Tensor(x), h0, rnn.weight_ih_l0, wh, rnn.bias_ih_l0,
                         rnn.bias_hh_l0).reshape(T, H), whz, head.bias), y, reduction="sum"),
        [W_hh, W_hz])
    assert res.passed, str(res)


def _char_loss(rnn, head, V):
    def loss_fn(x, y, h):
        out, h = rnn(x, h)
        return cross_entropy(head(out).reshape(-1, V), y.reshape(-1), "sum"), h
    return loss_fn


@pytest.mark.parametrize("cls", [RNN, LSTM])
def test_truncated_bptt_equals_detached_windows(cls):
    T, B, I, H, V, win = 11, 2, 3, 4, 3, 4
    rnn, head = cls(I, H, rng=0, dtype=np.float64), Linear(H, V, rng=1, dtype=np.float64)
    x = _r(T, B, I, seed=2)
    y = np.random.default_rng(3).integers(0, V, (T, B))
    params = rnn.parameters() + head.parameters()
    loss_fn = _char_loss(rnn, head, V)
    total, _ = truncated_bptt(loss_fn, x, y, window=win)
    g_tbptt = [p.grad.copy() for p in params]
    # by hand: each window from the previous window's final state, detached
    for p in params:
        p.grad = None
    state, total2 = None, 0.0
    for s in range(0, T, win):
        if state is not None:
            state = tuple(Tensor(a.data.copy()) for a in state) if cls is LSTM else Tensor(state.data.copy())
        loss, state = loss_fn(x[s:s + win], y[s:s + win], state)
        loss.backward()
        total2 += float(loss.data)
    assert total == pytest.approx(total2, rel=1e-12)
    for a, p in zip(g_tbptt, params):
        np.testing.assert_allclose(a, p.grad, rtol=1e-12, atol=1e-14)
    # the full BPTT gradient is different (the windows cut the paths), window >= T equals it
    for p in params:
        p.grad = None
    loss, _ = loss_fn(x, y, None)
    loss.backward()
    g_full = [p.grad.copy() for p in params]
    assert total == pytest.approx(float(loss.data), rel=1e-12)     # same forward values
    assert not np.allclose(g_full[1], g_tbptt[1])
    for p in params:
        p.grad = None
    truncated_bptt(loss_fn, x, y, window=T)
    for a, p in zip(g_full, params):
        np.testing.assert_allclose(a, p.grad, rtol=1e-12, atol=1e-14)


def test_truncated_bptt_with_optimizer_and_clipping():
    from energy.optim import SGD
    rnn, head = RNN(3, 8, rng=0), Linear(8, 3, rng=1)
    params = rnn.parameters() + head.parameters()
    opt = SGD(params, lr=0.05)
    x = np.eye(3, dtype=np.float32)[np.arange(60) % 3][:, None]
    y = ((np.arange(60) + 1) % 3)[:, None]
    first, _ = truncated_bptt(_char_loss(rnn, head, 3), x, y, 10, optimizer=opt, max_norm=1.0)
    for _ in range(20):
        last, _ = truncated_bptt(_char_loss(rnn, head, 3), x, y, 10, optimizer=opt, max_norm=1.0)
    assert last < 0.5 * first
    assert all(p.grad is None for p in params)


# ----------------------------------------------------------------------------- gradient flow
def test_hidden_grad_norms_match_retained_gradients_and_show_vanishing():
    T = 30
    x = _r(T, 2, 3, seed=0)
    rnn = RNN(3, 6, rng=0, dtype=np.float64)
    norms = hidden_grad_norms(rnn, x)
    # the same quantities from the unfused graph with retained per-step gradients
    h = Tensor(np.zeros((2, 6)))
    hs = []
    for t in range(T):
        h = ad.tanh(ad.matmul(Tensor(x[t]), rnn.weight_ih_l0.T) + rnn.bias_ih_l0
                    + ad.matmul(h, rnn.weight_hh_l0.T) + rnn.bias_hh_l0)
        h.retain_grad()
        hs.append(h)
    hs[-1].sum().backward()
    ref = np.array([np.linalg.norm(hk.grad) for hk in hs])
    np.testing.assert_allclose(norms, ref, rtol=1e-10)
    assert norms[0] < 1e-3 * norms[-1]                     # vanishes through tanh and small W
    res = hidden_grad_norms(ResidualRNN(3, 6, rng=0, dtype=np.float64), x)
    assert res[0] > 0.1 * res[-1]                          # kept by the identity path
    lstm = hidden_grad_norms(LSTM(3, 6, rng=0, dtype=np.float64), x)
    assert lstm.shape == (T,) and np.all(np.isfinite(lstm))


# ----------------------------------------------------------------------------- time delay
def test_time_delay_formula_and_finite_reach():
    T, B, I, H, Kd = 8, 2, 3, 4, 3
    td = TimeDelay(I, H, delay=Kd, rng=0, dtype=np.float64)
    x = Tensor(_r(T, B, I, seed=1), requires_grad=True)
    out = td(x)
    W = td.weight.data
    for t in range(T):
        a = td.bias.data.copy()
        for d in range(Kd):
            if t - d >= 0:
                a = a + x.data[t - d] @ W[:, d * I:(d + 1) * I].T
        np.testing.assert_allclose(out.data[t], np.tanh(a), rtol=1e-12)
    out[T - 1].sum().backward()
    reach = np.abs(x.grad).sum(axis=(1, 2)) > 0
    assert list(reach) == [False] * (T - Kd) + [True] * Kd
    assert gradcheck(lambda xx: td(xx), [x.data]).passed


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


# ----------------------------------------------------------------------------- torch
def _torch_compare(kind, layers, bidirectional, batch_first, with_state):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    I, H, T, B = 3, 4, 5, 2
    nl = {}
    if kind == "RNN-relu":
        kind, nl = "RNN", {"nonlinearity": "relu"}
    tcls = {"LSTM": torch.nn.LSTM, "GRU": torch.nn.GRU, "RNN": torch.nn.RNN}[kind]
    ours_cls = {"LSTM": LSTM, "GRU": GRU, "RNN": RNN}[kind]
    tm = tcls(I, H, num_layers=layers, bidirectional=bidirectional,
              batch_first=batch_first, **nl).double()
    om = ours_cls(I, H, num_layers=layers, bidirectional=bidirectional, batch_first=batch_first,
                  rng=0, dtype=np.float64, **nl)
    om.load_state_dict({n: p.detach().numpy() for n, p in tm.named_parameters()})
    x = _r(*((B, T, I) if batch_first else (T, B, I)), seed=1)
    LD = layers * (2 if bidirectional else 1)
    states = [_r(LD, B, H, seed=2 + k, scale=0.5) for k in range(2 if kind == "LSTM" else 1)]
    xt = torch.tensor(x, requires_grad=True)
    st = [torch.tensor(s, requires_grad=True) for s in states]
    tx = None if not with_state else (tuple(st) if kind == "LSTM" else st[0])
    tout, thn = tm(xt, tx)
    thn = thn if kind == "LSTM" else (thn,)
    wo = _r(*tout.shape, seed=9)
    wh = [_r(*s.shape, seed=10 + k) for k, s in enumerate(thn)]
    tl = (tout * torch.tensor(wo)).sum() + sum((s * torch.tensor(w)).sum() for s, w in zip(thn, wh))
    tl.backward()
    xo = Tensor(x.copy(), requires_grad=True)
    so = [Tensor(s.copy(), requires_grad=True) for s in states]
    ox = None if not with_state else (tuple(so) if kind == "LSTM" else so[0])
    oout, ohn = om(xo, ox)
    ohn = ohn if kind == "LSTM" else (ohn,)
    ol = (oout * wo).sum() + sum((s * w).sum() for s, w in zip(ohn, wh))
    ol.backward()
    np.testing.assert_allclose(oout.data, tout.detach().numpy(), rtol=1e-10, atol=1e-12)
    for a, b in zip(ohn, thn):
        np.testing.assert_allclose(a.data, b.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(xo.grad, xt.grad.numpy(), rtol=1e-9, atol=1e-12)
    if with_state:
        for a, b in zip(so, st):
            np.testing.assert_allclose(a.grad, b.grad.numpy(), rtol=1e-9, atol=1e-12)
    ours = dict(om.named_parameters())
    for n, p in tm.named_parameters():
        np.testing.assert_allclose(ours[n].grad, p.grad.numpy(), rtol=1e-9, atol=1e-12,
                                   err_msg=n)


@pytest.mark.parametrize("kind", ["LSTM", "GRU", "RNN", "RNN-relu"])
@pytest.mark.parametrize("layers,bidirectional,batch_first,with_state",
                         [(1, False, False, False), (2, True, True, True), (2, False, False, True),
                          (1, True, False, True)])
def test_matches_torch(kind, layers, bidirectional, batch_first, with_state):
    _torch_compare(kind, layers, bidirectional, batch_first, with_state)


# ----------------------------------------------------------------------------- bad input
def test_bad_input_messages():
    lstm = LSTM(3, 4, num_layers=2, rng=0)
    with pytest.raises(ValueError, match=r"expected input of shape \(seq, batch, 3\).*got \(5, 2, 7\)"):
        lstm(np.zeros((5, 2, 7), np.float32))
    with pytest.raises(ValueError, match=r"\(batch, seq, 3\).*got \(2, 5\)"):
        LSTM(3, 4, batch_first=True, rng=0)(np.zeros((2, 5), np.float32))
    with pytest.raises(ValueError, match="empty input"):
        lstm(np.zeros((0, 2, 3), np.float32))
    with pytest.raises(ValueError, match="NaN"):
        lstm(np.full((4, 2, 3), np.nan, np.float32))
    with pytest.raises(ValueError, match=r"h0 must have shape.*\(2, 2, 4\).*got \(1, 2, 4\)"):
        lstm(np.zeros((4, 2, 3), np.float32), (np.zeros((1, 2, 4), np.float32),
                                               np.zeros((2, 2, 4), np.float32)))
    with pytest.raises(ValueError, match=r"c0 must have shape"):
        lstm(np.zeros((4, 2, 3), np.float32), (np.zeros((2, 2, 4), np.float32),
                                               np.zeros((2, 3, 4), np.float32)))
    with pytest.raises(TypeError, match="pair"):
        lstm(np.zeros((4, 2, 3), np.float32), np.zeros((2, 2, 4), np.float32))
    with pytest.raises(ValueError, match="NaN"):
        GRU(3, 4, rng=0)(np.zeros((4, 2, 3), np.float32), np.full((1, 2, 4), np.nan, np.float32))
    with pytest.raises(TypeError, match="dtype"):
        RNN(3, 4, rng=0)(np.zeros((4, 2, 3)))
    with pytest.raises(ValueError, match="hidden_size"):
        GRU(3, 0)
    with pytest.raises(ValueError, match="nonlinearity"):
        RNN(3, 4, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match=r"expected input of shape \(N, 2, rows, cols\), got \(1, 3, 4, 4\)"):
        MDRNN(2, 3, rng=0)(np.zeros((1, 3, 4, 4), np.float32))
    with pytest.raises(ValueError, match="order"):
        MDRNN(2, 3, order="spiral")
    with pytest.raises(ValueError, match="window"):
        truncated_bptt(lambda *a: None, np.zeros(3), np.zeros(3), 0)
    with pytest.raises(ValueError, match="empty"):
        TimeDelay(3, 4)(np.zeros((0, 1, 3), np.float32))


def test_docstring_examples_run():
    import doctest

    import neural.recurrent as mod
    res = doctest.testmod(mod, optionflags=doctest.ELLIPSIS)
    assert res.attempted > 20 and res.failed == 0


@pytest.mark.parametrize("cell", ["RNN", "LSTM", "GRU", "ResidualRNN"])
def test_recurrent_lm_loss_and_output_gradient_closed_form(cell):
    from neural import RecurrentLM
    T, B, V, H = 7, 3, 5, 6
    lm = RecurrentLM(V, H, cell=cell, rng=0, dtype=np.float64)
    rng = np.random.default_rng(1)
    ids, tg = rng.integers(0, V, (T, B)), rng.integers(0, V, (T, B))
    loss, _ = lm.loss(ids, tg)
    loss.backward()
    out, _ = lm.rnn(np.eye(V)[ids])
    h = out.data.reshape(T * B, H)
    logits = h @ lm.head.weight.data.T + lm.head.bias.data
    z = np.exp(logits - logits.max(1, keepdims=True))
    z /= z.sum(1, keepdims=True)
    y = tg.reshape(-1)
    assert float(loss.data) == pytest.approx(-np.log(z[np.arange(T * B), y]).sum() / B, rel=1e-12)
    e = (z - np.eye(V)[y]) / B
    np.testing.assert_allclose(lm.head.weight.grad, e.T @ h, rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(lm.head.bias.grad, e.sum(0), rtol=1e-10, atol=1e-13)
    with pytest.raises(ValueError, match=r"must lie in \[0, 5\)"):
        lm(np.array([[5]]))
    with pytest.raises(ValueError, match=r"shape \(seq, batch\)"):
        lm(np.array([1, 2]))
    with pytest.raises(ValueError, match="targets must have"):
        lm.loss(ids, tg[:-1])
    lm.float()
    loss32, _ = lm.loss(ids, tg)
    assert loss32.dtype == np.float32 and float(loss32.data) == pytest.approx(float(loss.data), rel=1e-5)


# ----------------------------------------------------------------------------- properties
from hypothesis import given, settings, strategies as st  # noqa: E402


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


@settings(max_examples=20, deadline=None)
@given(st.sampled_from([LSTM, GRU, RNN, ResidualRNN]), st.integers(2, 8), st.integers(0, 7))
def test_causal_output_at_t_ignores_later_inputs(cls, T, t):
    t = t % T
    m = cls(2, 3, rng=0, dtype=np.float64)
    x = _r(T, 2, 2, seed=T)
    y = x.copy()
    y[t + 1:] += 1.0
    np.testing.assert_array_equal(m(x)[0].data[:t + 1], m(y)[0].data[:t + 1])
    if t + 1 < T:
        assert not np.allclose(m(x)[0].data[t + 1:], m(y)[0].data[t + 1:])
