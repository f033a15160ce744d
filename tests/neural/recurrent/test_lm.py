"""RecurrentLM and truncated BPTT (neural.recurrent.lm)."""

import numpy as np
import pytest

from energy.autodiff import Tensor, cross_entropy
from neural import LSTM, RNN, Linear
from neural.recurrent.lm import truncated_bptt
from tests.neural.recurrent.helpers import _r


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
