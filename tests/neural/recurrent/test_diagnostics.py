"""hidden_grad_norms (neural.recurrent.diagnostics)."""

import numpy as np

from energy import autodiff as ad
from energy.autodiff import Tensor
from neural import LSTM, RNN, ResidualRNN
from neural.recurrent.diagnostics import hidden_grad_norms
from tests.neural.recurrent.helpers import _r


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
