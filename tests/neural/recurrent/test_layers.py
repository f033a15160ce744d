"""Recurrent modules (neural.recurrent.layers): fused vs unfused, dtypes, parameters, the
course's BPTT closed forms, time delay, torch cross-checks, bad input."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from energy.autodiff import Tensor, cross_entropy, gradcheck
from neural import GRU, LSTM, MDRNN, RNN, Linear, ResidualRNN, TimeDelay
from neural.layers import linear
from neural.recurrent.functional import rnn_layer
from neural.recurrent.lm import truncated_bptt
from tests.neural.recurrent.helpers import _r


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
