"""The SGD update, written once in energy.optim._kernels: the numba kernel (sgd_run, and
sgd_step that runs it in parallel chunks) against its numpy reference, and SGD.step against
both (big parameters take the kernel, small ones the reference)."""

import numpy as np
import pytest

from energy.optim._kernels import sgd_run, sgd_step, sgd_step_ref
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


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("mu,nesterov,wd,sign", [(0.0, False, 0.1, -1.0), (0.9, False, 0.0, 1.0),
                                                 (0.7, True, 0.1, -1.0)])
def test_run_kernel_matches_numpy(dtype, mu, nesterov, wd, sign):
    """sgd_run, the loop the RBM's kernel calls, on one run of elements."""
    rng = np.random.default_rng(2)
    a = rng.standard_normal(300).astype(dtype)
    v = rng.standard_normal(300).astype(dtype) if mu else np.empty(0, dtype)
    a2, v2 = a.copy(), v.copy()
    g = rng.standard_normal(300).astype(dtype)
    sgd_run(a, g, v, dtype(0.1), dtype(mu), dtype(wd), dtype(sign), nesterov)
    sgd_step_ref(a2, g, v2, dtype(0.1), dtype(mu), dtype(wd), dtype(sign), nesterov)
    tol = 1e-12 if dtype == np.float64 else 1e-5
    np.testing.assert_allclose(a, a2, rtol=tol, atol=tol)
    np.testing.assert_allclose(v, v2, rtol=tol, atol=tol)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("kw", [dict(momentum=0.9, nesterov=True, weight_decay=0.1),
                                dict(momentum=0.0, weight_decay=0.1, maximize=True)])
def test_sgd_step_is_the_kernel_or_the_reference(dtype, kw):
    """SGD.step gives, bit for bit, what the kernel (big parameters) or the reference (small
    ones) give with the arguments of SGD.fused_args."""
    rng = np.random.default_rng(3)
    big = rng.standard_normal((200, 100)).astype(dtype)
    small = rng.standard_normal((10, 100)).astype(dtype)
    ref_opt = SGD([big.copy(), small.copy()], lr=0.05, **kw)
    opt = SGD([big, small], lr=0.05, **kw)
    for _ in range(3):
        g = [rng.standard_normal(big.shape).astype(dtype),
             rng.standard_normal(small.shape).astype(dtype)]
        opt.step(g)
        (vb, *sb), (vs, *ss) = ref_opt.fused_args(0), ref_opt.fused_args(1)
        sgd_step(ref_opt.params[0].reshape(-1), g[0].reshape(-1), vb.reshape(-1), *sb)
        sgd_step_ref(ref_opt.params[1], g[1], vs, *ss)
    np.testing.assert_array_equal(big, ref_opt.params[0])
    np.testing.assert_array_equal(small, ref_opt.params[1])
    assert big.dtype == small.dtype == dtype
