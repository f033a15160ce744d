"""The branch-free exp / sigmoid / tanh of pgm.runtime.numerics against numpy."""

import numpy as np
import pytest
from numba import njit

from pgm.runtime.numerics import exp_neg32 as _exp_neg32, exp_neg64 as _exp_neg64, fast_sigmoid as _sig, fast_tanh as _tanh


@njit(cache=False)
def _apply_exp64(a, out):
    for i in range(a.size):
        out[i] = _exp_neg64(a[i])


@njit(cache=False)
def _apply_exp32(a, out):
    for i in range(a.size):
        out[i] = _exp_neg32(a[i])


@njit(cache=False)
def _apply_sig_tanh(x, s, t):
    for i in range(x.size):
        s[i] = _sig(x[i])
        t[i] = _tanh(x[i])


def _grid(dtype):
    rng = np.random.default_rng(0)
    # every binade that the 2^-n scaling meets (n = 0 .. 58), its edges, and random points
    a = np.concatenate([np.linspace(0, 45, 200_001), rng.random(100_000) * 40,
                        np.arange(59) * np.log(2), np.arange(59) * np.log(2) + 0.5 * np.log(2)])
    return a.astype(dtype)


@pytest.mark.parametrize("dtype, fn, tol", [(np.float64, _apply_exp64, 4e-16),
                                            (np.float32, _apply_exp32, 2e-7)])
def test_exp_neg_relative_error_and_clip(dtype, fn, tol):
    a = _grid(dtype)
    out = np.empty_like(a)
    fn(a, out)
    assert out.dtype == dtype
    exact = np.exp(-a.astype(np.float64))
    inside = a < 40
    rel = np.abs(out[inside] / exact[inside] - 1)
    assert rel.max() <= tol, (rel.max(), a[inside][rel.argmax()])
    # clipped at 40: exp(-a) = exp(-40) beyond (sigmoid/tanh are saturated there)
    np.testing.assert_allclose(out[~inside], np.exp(-40.0), rtol=10 * tol)


@pytest.mark.parametrize("dtype, tol, tanh_atol", [(np.float64, 1e-15, 1e-16),
                                                   (np.float32, 4e-7, 6e-8)])
def test_sigmoid_and_tanh_match_numpy(dtype, tol, tanh_atol):
    x = np.concatenate([np.linspace(-60, 60, 100_001), [0.0, -0.0, 1e-30, -1e-30]]).astype(dtype)
    s = np.empty_like(x)
    t = np.empty_like(x)
    _apply_sig_tanh(x, s, t)
    xd = x.astype(np.float64)
    want_s = np.where(xd >= 0, 1 / (1 + np.exp(-np.abs(xd))), np.exp(-np.abs(xd)) / (1 + np.exp(-np.abs(xd))))
    inside = np.abs(xd) <= 40
    np.testing.assert_allclose(s[inside], want_s[inside], rtol=tol, atol=0)
    # beyond |x| = 40 the exp is clipped: sigmoid is 1 or at most e^-40 (4.2e-18) off
    np.testing.assert_allclose(s[~inside], want_s[~inside], rtol=0, atol=4.3e-18)
    # tanh = (1 - e)/(1 + e) cancels near 0: an absolute error of about one ulp of 1 there
    np.testing.assert_allclose(t, np.tanh(xd), rtol=tol, atol=tanh_atol)
