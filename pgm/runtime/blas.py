"""General matrix products on strided sub-matrices, callable from numba kernels (private).

numba's ``np.dot`` wants contiguous operands, so a product with a block of columns of a
matrix (``h @ W[:, i0:i1]``) would need a copy first. :func:`mm` calls the BLAS ``?gemm``
that SciPy exports (the same library numba's ``np.dot`` uses, so the thread limits the caller
sets with threadpoolctl reach it) with explicit leading dimensions instead.

Row-major convention: ``mm(ta, tb, M, N, K, A, lda, B, ldb, C, ldc, beta)`` makes
``C[:M, :N] = op(A) @ op(B) + beta * C`` where ``op(A)`` is ``A`` (an M x K block whose rows
are ``lda`` elements apart) or, if ``ta``, the transpose of a K x M block; likewise ``B``;
``C`` is M x N with rows ``ldc`` apart. Each operand is passed as the array view whose first
element is the block's first element (``W[:, i0:]`` for the columns from ``i0``). float32 and
float64 (all operands of one dtype). :func:`mm_ref` is the numpy meaning, for the tests.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided
import scipy.linalg.cython_blas  # noqa: F401  (the exporting module must be loaded)
from llvmlite import binding as _llvm
from numba import njit, types
from numba.extending import get_cython_function_address

# The kernels refer to the BLAS routines by symbol name (so they can be cached on disk);
# the names are bound to SciPy's function addresses at every import, before any use.
for _name in ("dgemm", "sgemm"):
    _llvm.add_symbol(f"pgm_energy_{_name}",
                     get_cython_function_address("scipy.linalg.cython_blas", _name))
_GEMM_SIG = types.void(*([types.voidptr] * 13))
_dgemm = types.ExternalFunction("pgm_energy_dgemm", _GEMM_SIG)
_sgemm = types.ExternalFunction("pgm_energy_sgemm", _GEMM_SIG)
_N, _T = 78, 84          # ord("N"), ord("T")


@njit(cache=True)
def mm(ta, tb, M, N, K, A, lda, B, ldb, C, ldc, beta):
    """C = op(A) @ op(B) + beta·C on row-major strided blocks (see the module docstring)."""
    if M == 0 or N == 0:
        return
    # row-major C = op(A) op(B) is column-major Cᵀ = op(B)ᵀ op(A)ᵀ: swap the operands
    ch = np.empty(2, np.uint8)
    ch[0] = _T if tb else _N
    ch[1] = _T if ta else _N
    ii = np.empty(6, np.int32)
    ii[0] = N
    ii[1] = M
    ii[2] = K
    ii[3] = ldb
    ii[4] = lda
    ii[5] = ldc
    ab = np.empty(2, C.dtype)
    ab[0] = 1.0
    ab[1] = beta
    if C.itemsize == 8:
        _dgemm(ch[0:].ctypes, ch[1:].ctypes, ii[0:].ctypes, ii[1:].ctypes, ii[2:].ctypes,
               ab[0:].ctypes, B.ctypes, ii[3:].ctypes, A.ctypes, ii[4:].ctypes, ab[1:].ctypes,
               C.ctypes, ii[5:].ctypes)
    else:
        _sgemm(ch[0:].ctypes, ch[1:].ctypes, ii[0:].ctypes, ii[1:].ctypes, ii[2:].ctypes,
               ab[0:].ctypes, B.ctypes, ii[3:].ctypes, A.ctypes, ii[4:].ctypes, ab[1:].ctypes,
               C.ctypes, ii[5:].ctypes)


def mm_ref(ta, tb, M, N, K, A, lda, B, ldb, C, ldc, beta):
    """numpy version of :func:`mm` (in place on the block of ``C``)."""
    def block(X, rows, cols, ld):
        return as_strided(X, shape=(rows, cols), strides=(ld * X.itemsize, X.itemsize))
    a = block(A, K, M, lda).T if ta else block(A, M, K, lda)
    b = block(B, N, K, ldb).T if tb else block(B, K, N, ldb)
    c = block(C, M, N, ldc)
    c[...] = a @ b + beta * c
