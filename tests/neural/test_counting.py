"""count_macs / count_backward_macs against the course's closed forms and against the
multiplications the engine executes (energy.autodiff.count_multiplications)."""

import numpy as np
import pytest

from energy.autodiff import Tensor, count_multiplications
from neural import (Linear, Sequential, Sigmoid, Tanh, ReLU, count_backward_macs, count_macs,
                    mdrnn_backward_cost, mlp_backward_cost)
from neural.recurrent import GRU, LSTM, MDRNN, RNN, ResidualRNN, TimeDelay

SIZES = [(3, 2, 2, 1), (4, 5, 3, 2), (7, 3, 4, 3), (10, 64, 10, 4)]


def _mlp(n, d, c, L, act=Sigmoid):
    layers, m = [], d
    for _ in range(L):
        layers += [Linear(m, n, rng=0, dtype=np.float64), act()]
        m = n
    return Sequential(*layers, Linear(n, c, rng=1, dtype=np.float64))


def _engine_count(model, x, x_grad):
    """Multiplications the engine does in forward and backward (backward from the output,
    with a given output gradient, so no loss is counted)."""
    xt = Tensor(x, requires_grad=x_grad)
    with count_multiplications() as cnt:
        out = model(xt)
        out.backward(np.ones(out.shape))
    return cnt


@pytest.mark.parametrize("n,d,c,L", SIZES)
def test_mlp_counters_match_closed_forms(n, d, c, L):
    net = _mlp(n, d, c, L)
    assert count_macs(net, (1, d)) == d * n + (L - 1) * n * n + n * c
    assert count_backward_macs(net, (1, d)) == mlp_backward_cost(n, d, c, L)
    assert count_backward_macs(net, (5, d)) == 5 * mlp_backward_cost(n, d, c, L)


@pytest.mark.parametrize("act", [Sigmoid, Tanh])
@pytest.mark.parametrize("n,d,c,L", SIZES)
def test_mlp_engine_count(n, d, c, L, act):
    net = _mlp(n, d, c, L, act)
    x = np.random.default_rng(0).standard_normal((1, d))
    cnt = _engine_count(net, x, x_grad=True)
    assert cnt.forward == count_macs(net, (1, d))
    # with the input's gradient formed, the engine does exactly the course's count
    assert cnt.backward == mlp_backward_cost(n, d, c, L)
    # the usual case, an input without gradient: the engine skips ∂L/∂x of the first layer
    cnt = _engine_count(net, x, x_grad=False)
    assert cnt.backward == mlp_backward_cost(n, d, c, L) - d * n


def test_relu_engine_count_differs_by_one_per_unit():
    n, d, c, L = 6, 4, 3, 2
    cnt = _engine_count(_mlp(n, d, c, L, ReLU), np.ones((1, d)), x_grad=True)
    assert cnt.backward == mlp_backward_cost(n, d, c, L) - L * n      # δ·1[a>0]: one per unit


@pytest.mark.parametrize("G,H,D", [(2, 1, 1), (3, 4, 2), (5, 3, 1), (4, 6, 3)])
def test_mdrnn_counts(G, H, D):
    md = MDRNN(D, H, rng=0, dtype=np.float64)
    cells = G * G
    assert count_macs(md, (1, D, G, G)) == cells * H * (D + 2 * H)
    exact = cells * H * (2 * D + 4 * H + 2)
    assert count_backward_macs(md, (1, D, G, G)) == exact
    assert mdrnn_backward_cost(G, H, D, n_a=3) == exact       # the course's form, n_a = 3
    assert mdrnn_backward_cost(G, H, D, n_a=2) == exact - cells * H
    x = np.random.default_rng(1).standard_normal((1, D, G, G))
    cnt = _engine_count(md, x, x_grad=True)
    assert cnt.forward == count_macs(md, (1, D, G, G))
    assert cnt.backward == exact
    assert _engine_count(md, x, x_grad=False).backward == exact - cells * H * D
    raster = MDRNN(D, H, order="raster", rng=0, dtype=np.float64)
    assert _engine_count(raster, x, x_grad=True).backward == exact


def test_recurrent_and_time_delay_are_counted():
    T, B, I, H = 5, 2, 3, 4
    for cls, gates, units in ((RNN, 1, 1), (ResidualRNN, 1, 1), (GRU, 3, 3), (LSTM, 4, 5)):
        m = cls(I, H, num_layers=2, bidirectional=True, rng=0)
        macs = 2 * T * B * gates * H * ((I + H) + (2 * H + H))
        assert count_macs(m, (T, B, I)) == macs, cls.__name__
        assert count_backward_macs(m, (T, B, I)) == 2 * macs + 2 * 4 * T * B * units * H
    td = TimeDelay(I, H, delay=4, rng=0)
    assert count_macs(td, (T, B, I)) == T * B * 4 * I * H
    assert count_backward_macs(td, (T, B, I)) == 2 * T * B * 4 * I * H + 2 * T * B * H


def test_uncountable_layer_is_named():
    with pytest.raises(TypeError, match=r"RNN.*weight_ih_l0"):
        count_macs(RNN(3, 4, fused=False, rng=0), (5, 2, 3))
    with pytest.raises(TypeError, match=r"'1' \(LSTM\)"):
        count_backward_macs(Sequential(Linear(3, 3), LSTM(3, 2, fused=False)), (4, 1, 3))


@pytest.mark.parametrize("bad", [(0, 4), (1, -2), (1, 2.5), (True, 4)])
def test_bad_input_shape(bad):
    with pytest.raises(ValueError, match="input_shape"):
        count_macs(Linear(4, 2), bad)


@pytest.mark.parametrize("kw,name", [(dict(n=0, d=2, c=2, L=1), "n"),
                                     (dict(n=2, d=1.5, c=2, L=1), "d"),
                                     (dict(n=2, d=2, c=-1, L=1), "c"),
                                     (dict(n=2, d=2, c=2, L=0), "L")])
def test_closed_form_argument_errors(kw, name):
    with pytest.raises(ValueError, match=f"{name} must be an int"):
        mlp_backward_cost(**kw)


def test_mdrnn_closed_form_argument_errors():
    for kw, name in ((dict(G=0, H=1, D=1, n_a=2), "G"), (dict(G=2, H=2.0, D=1, n_a=2), "H"),
                     (dict(G=2, H=1, D=1, n_a=-1), "n_a")):
        with pytest.raises(ValueError, match=f"{name} must be an int"):
            mdrnn_backward_cost(**kw)


def test_counter_is_off_outside_the_block_and_nests():
    a = Tensor(np.ones((2, 3)), requires_grad=True)
    with count_multiplications() as outer:
        (a * a).sum()
        with count_multiplications() as inner:
            (a @ np.ones((3, 4))).sum()
    (a * a).sum().backward()                              # not counted anywhere
    assert (outer.forward, inner.forward) == (6, 24)
    assert outer.backward == inner.backward == 0
    assert inner.by_op == {("matmul", "forward"): 24}


def test_composite_models_are_counted():
    from neural import Autoencoder
    from neural.recurrent import RecurrentLM
    ae = Autoencoder(6, [4, 2], tied=True, rng=0)
    assert count_macs(ae, (1, 6)) == 2 * (6 * 4 + 4 * 2)
    lm = RecurrentLM(5, 8, cell="GRU", rng=0)
    assert count_macs(lm, (3, 2), dtype=np.int64) == 3 * 2 * (3 * 8 * (5 + 8) + 8 * 5)


def test_a_custom_layer_with_an_engine_matmul_is_named():
    from energy.autodiff import Module, Parameter, matmul

    class Bilinear(Module):
        def __init__(self):
            super().__init__()
            self.weight = Parameter(np.ones((3, 3)))

        def forward(self, x):
            return matmul(x, self.weight)

    with pytest.raises(TypeError, match=r"'<model>' \(Bilinear\).*'weight'"):
        count_macs(Bilinear(), (2, 3))
