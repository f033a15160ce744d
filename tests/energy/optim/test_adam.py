"""Adam/AdamW against the hand-written update rule and torch; float32; no fused update."""

import numpy as np
import pytest

from energy.autodiff import Parameter
from energy.optim import Adam
from tests.energy.optim._helpers import agree_with_torch, grad_seq


@pytest.mark.parametrize("decoupled", [False, True])
def test_adam_matches_the_update_rule(decoupled):
    W0 = np.random.default_rng(2).standard_normal((4, 3))
    W = W0.copy()
    opt = Adam([W], lr=0.01, weight_decay=0.1, decoupled=decoupled)
    ref, m, v = W0.copy(), 0, 0
    for t, g in enumerate(grad_seq((4, 3), 6), start=1):
        opt.step([g])
        if decoupled:
            ref = ref * (1 - 0.01 * 0.1)
        else:
            g = g + 0.1 * ref
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g * g
        ref = ref - 0.01 * (m / (1 - 0.9 ** t)) / (np.sqrt(v / (1 - 0.999 ** t)) + 1e-8)
    np.testing.assert_allclose(W, ref, atol=1e-12)


def test_adam_with_tensor_parameters_and_float32():
    p = Parameter(np.array([[3.0, -2.0]], np.float32))
    opt = Adam([p], lr=0.3)
    for _ in range(300):
        opt.zero_grad()
        (p * p).sum().backward()
        opt.step()
    assert p.dtype == np.float32
    assert np.abs(p.data).max() < 1e-2


def test_adam_has_no_fused_update():
    opt = Adam([np.zeros((2, 2))], lr=0.1)
    with pytest.raises(NotImplementedError,
                       match=r"^Adam has no fused update; only SGD's update runs inside a kernel"):
        opt.fused_args(0)


def test_adam_agrees_with_torch():
    torch = pytest.importorskip("torch")
    agree_with_torch(
        torch, lambda ps: Adam(ps, lr=0.05, weight_decay=0.1),
        lambda tp: torch.optim.Adam([{"params": [tp[0]], "weight_decay": 0.1},
                                     {"params": [tp[1]], "weight_decay": 0.0}], lr=0.05))
