"""The fused SGD kernel against its numpy reference, and SGD's fused path against its numpy
path (big parameters take the kernel, small ones numpy)."""

import numpy as np
import pytest

from energy.optim._kernels import sgd_step, sgd_step_ref
from energy.optim import SGD


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("mu,nesterov,wd,sign", [(0.0, False, 0.0, 1.0), (0.9, False, 0.01, 1.0),
                                                 (0.5, True, 0.0, -1.0), (0.7, True, 0.1, 1.0)])
def test_kernel_matches_numpy(dtype, mu, nesterov, wd, sign):
    rng = np.random.default_rng(0)
    a = rng.standard_normal(1000).astype(dtype)
    v = rng.standard_normal(1000).astype(dtype)
    a2, v2 = a.copy(), v.copy()
    for _ in range(3):
        g = rng.standard_normal(1000).astype(dtype)
        sgd_step(a, g, v, dtype(0.1), dtype(mu), dtype(wd), dtype(sign), nesterov)
        sgd_step_ref(a2, g, v2, dtype(0.1), dtype(mu), dtype(wd), dtype(sign), nesterov)
    tol = 1e-12 if dtype == np.float64 else 1e-5
    np.testing.assert_allclose(a, a2, rtol=tol, atol=tol)
    if mu:
        np.testing.assert_allclose(v, v2, rtol=tol, atol=tol)
    assert a.dtype == dtype


@pytest.mark.parametrize("kw", [dict(momentum=0.9), dict(momentum=0.9, nesterov=True),
                                dict(momentum=0.0, weight_decay=0.1),
                                dict(momentum=0.5, weight_decay=0.01, maximize=True)])
def test_sgd_fused_path_equals_numpy_path(kw):
    rng = np.random.default_rng(1)
    big = rng.standard_normal((200, 100))           # 20,000 entries: fused kernel
    small = [big[i * 10:(i + 1) * 10].copy() for i in range(20)]   # 10 x 100 each: numpy
    opt_big = SGD([big], lr=0.05, **kw)
    opt_small = SGD(small, lr=0.05, **kw)
    assert big.size >= SGD._FUSED_MIN > small[0].size
    for _ in range(4):
        g = rng.standard_normal((200, 100))
        opt_big.step([g])
        opt_small.step([g[i * 10:(i + 1) * 10] for i in range(20)])
    np.testing.assert_allclose(big, np.concatenate(small), rtol=1e-12, atol=1e-12)
