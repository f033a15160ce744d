"""Shared by the optimisers' tests: a sequence of random gradients, and a run against torch."""

import numpy as np

from energy.autodiff import Parameter, Tensor


def grad_seq(shape, n, seed=0):
    r = np.random.default_rng(seed)
    return [r.standard_normal(shape) for _ in range(n)]


def agree_with_torch(torch, make, tmake):
    """Four steps of ``make([W, b])`` and of the torch optimiser ``tmake([tW, tb])`` on the same
    loss give the same parameters."""
    W0 = np.random.default_rng(5).standard_normal((3, 4))
    b0 = np.random.default_rng(6).standard_normal(4)
    W, b = Parameter(W0.copy()), Parameter(b0.copy())
    tW = torch.tensor(W0.copy(), requires_grad=True)
    tb = torch.tensor(b0.copy(), requires_grad=True)
    opt, topt = make([W, b]), tmake([tW, tb])
    x = np.random.default_rng(7).standard_normal((5, 3))
    for _ in range(4):
        opt.zero_grad()
        ((Tensor(x) @ W + b).tanh() ** 2).sum().backward()
        opt.step()
        topt.zero_grad()
        ((torch.tensor(x) @ tW + tb).tanh() ** 2).sum().backward()
        topt.step()
    np.testing.assert_allclose(W.data, tW.detach().numpy(), atol=1e-10)
    np.testing.assert_allclose(b.data, tb.detach().numpy(), atol=1e-10)
