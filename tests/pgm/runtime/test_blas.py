"""pgm.runtime.blas.mm (BLAS gemm on strided blocks, callable from numba) against its numpy meaning."""

import numpy as np
from hypothesis import given, settings, strategies as st

from pgm.runtime.blas import mm, mm_ref


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 7), st.integers(1, 7), st.integers(1, 7), st.booleans(), st.booleans(),
       st.integers(0, 3), st.integers(0, 3), st.integers(0, 3), st.sampled_from([0.0, 1.0, -0.5]),
       st.sampled_from([np.float64, np.float32]), st.integers(0, 10_000))
def test_mm_on_blocks_of_wider_matrices_equals_numpy(M, N, K, ta, tb, pa, pb, pc, beta, dtype,
                                                     seed):
    """Each operand is a block inside a wider array (pa/pb/pc extra columns, offset by one
    column), so the leading dimensions and start pointers are exercised; C outside the
    block must not change."""
    rng = np.random.default_rng(seed)
    ra, ca = (K, M) if ta else (M, K)
    rb, cb = (N, K) if tb else (K, N)
    A = rng.standard_normal((ra, ca + 1 + pa)).astype(dtype)
    B = rng.standard_normal((rb, cb + 1 + pb)).astype(dtype)
    C0 = rng.standard_normal((M, N + 1 + pc)).astype(dtype)
    a = (A[:, 1:ca + 1].T if ta else A[:, 1:ca + 1]).astype(np.float64)
    b = (B[:, 1:cb + 1].T if tb else B[:, 1:cb + 1]).astype(np.float64)
    expect = a @ b + beta * C0[:, 1:N + 1].astype(np.float64)
    tol = 1e-12 if dtype == np.float64 else 1e-4
    for fn in (mm, mm_ref):
        C = C0.copy()
        fn(ta, tb, M, N, K, A[:, 1:], A.shape[1], B[:, 1:], B.shape[1], C[:, 1:], C.shape[1],
           dtype(beta))
        np.testing.assert_allclose(C[:, 1:N + 1], expect, rtol=tol, atol=tol)
        np.testing.assert_array_equal(C[:, :1], C0[:, :1])
        np.testing.assert_array_equal(C[:, N + 1:], C0[:, N + 1:])
