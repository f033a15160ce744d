"""The numba part of :mod:`pgm.runtime.numerics`: branch-free exp, sigmoid and tanh for
``@njit`` code (see that module; import these names from it).

>>> import numpy as np
>>> from numba import njit
>>> from pgm.runtime.numerics import fast_sigmoid
>>> f = njit(lambda x: fast_sigmoid(x))
>>> round(float(f(np.float64(0.0))), 6)
0.5
"""

from __future__ import annotations

import math

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic, overload

__all__ = ["fast_sigmoid", "fast_tanh", "exp_neg32", "exp_neg64", "FASTMATH", "FAST_JIT"]

# exp, sigmoid and tanh written branch-free so that LLVM vectorises the gate loops (numba's
# math.exp / math.tanh are scalar libm calls, ~10–20 ns each, which cost more than the
# matrix products here), in the arrays' own precision (float32 runs twice the lanes).
# exp(−a) for a >= 0, clipped at 40 (sigmoid/tanh are saturated to 4e-18 there):
# n = round(a·log2 e), r = n·ln2 − a in [−ln2/2, ln2/2] (ln2 in two parts, Cody–Waite),
# exp(r) by its Taylor polynomial (degree 7 in float32, 13 in float64: relative error about
# 1e-7 and 1e-15), times 2^−n written straight into the exponent field (n <= 58 keeps it a
# normal number): one integer subtract and shift, where products of 2^−(2^k) selected by
# the bits of n cost eleven operations per element. Exact either way.
#: LLVM fast-math flags of the kernels: FMA contraction and reassociation; NaN/inf kept
FASTMATH = {"contract", "reassoc", "nsz", "arcp"}
#: numba options of the functions below and of the kernels that call them
FAST_JIT = {"fastmath": FASTMATH, "error_model": "numpy"}
_C32 = tuple(np.float32(1.0 / math.factorial(i)) for i in range(8))
_C64 = tuple(1.0 / math.factorial(i) for i in range(14))
_F32 = (np.float32(1.4426950408889634), np.float32(0.5), np.float32(40.0),
        np.float32(6.93145751953125e-01), np.float32(1.42860682030941723212e-06),
        np.float32(1.0), np.float32(2.0), np.float32(0.0))
_F64 = (1.4426950408889634, 0.5, 40.0, 6.93145751953125e-01, 1.42860682030941723212e-06,
        1.0, 2.0, 0.0)


@intrinsic
def _as_float(typingctx, bits):
    """Reinterpret the bits of an int32 / int64 as a float32 / float64 (no conversion)."""
    if isinstance(bits, types.Integer) and bits.bitwidth in (32, 64):
        out = types.float32 if bits.bitwidth == 32 else types.float64

        def codegen(context, builder, sig, args):
            return builder.bitcast(args[0], ir.FloatType() if bits.bitwidth == 32
                                   else ir.DoubleType())
        return out(bits), codegen


@njit(cache=True, inline="always", **FAST_JIT)
def exp_neg32(a):
    a = min(a, _F32[2])
    n = np.int32(a * _F32[0] + _F32[1])
    fn = np.float32(n)
    r = (fn * _F32[3] - a) + fn * _F32[4]
    p = _C32[7]
    p = p * r + _C32[6]
    p = p * r + _C32[5]
    p = p * r + _C32[4]
    p = p * r + _C32[3]
    p = p * r + _C32[2]
    p = p * r + _C32[1]
    p = p * r + _C32[0]
    return p * _as_float(np.int32((np.int32(127) - n) << np.int32(23)))


@njit(cache=True, inline="always", **FAST_JIT)
def exp_neg64(a):
    a = min(a, _F64[2])
    n = np.int32(a * _F64[0] + _F64[1])
    fn = np.float64(n)
    r = (fn * _F64[3] - a) + fn * _F64[4]
    p = _C64[13]
    p = p * r + _C64[12]
    p = p * r + _C64[11]
    p = p * r + _C64[10]
    p = p * r + _C64[9]
    p = p * r + _C64[8]
    p = p * r + _C64[7]
    p = p * r + _C64[6]
    p = p * r + _C64[5]
    p = p * r + _C64[4]
    p = p * r + _C64[3]
    p = p * r + _C64[2]
    p = p * r + _C64[1]
    p = p * r + _C64[0]
    return p * _as_float(np.int64((np.int64(1023) - np.int64(n)) << np.int64(52)))


def fast_sigmoid(x):
    """Logistic function 1/(1 + e^−x), stable for any x (never exp of a positive number)."""
    raise NotImplementedError("fast_sigmoid is only callable from numba kernels")


def fast_tanh(x):
    """tanh(x) = sign(x)·(1 − e)/(1 + e) with e = e^−2|x|."""
    raise NotImplementedError("fast_tanh is only callable from numba kernels")


def _sig32(x):
    e = exp_neg32(abs(x))
    d = _F32[5] / (_F32[5] + e)
    return d if x >= _F32[7] else e * d


def _sig64(x):
    x = np.float64(x)
    e = exp_neg64(abs(x))
    d = 1.0 / (1.0 + e)
    return d if x >= 0.0 else e * d


def _tanh32(x):
    e = exp_neg32(_F32[6] * abs(x))
    t = (_F32[5] - e) / (_F32[5] + e)
    return t if x >= _F32[7] else -t


def _tanh64(x):
    x = np.float64(x)
    e = exp_neg64(2.0 * abs(x))
    t = (1.0 - e) / (1.0 + e)
    return t if x >= 0.0 else -t


@overload(fast_sigmoid, jit_options=FAST_JIT)
def _sig_typed(x):
    return _sig32 if x == types.float32 else _sig64


@overload(fast_tanh, jit_options=FAST_JIT)
def _tanh_typed(x):
    return _tanh32 if x == types.float32 else _tanh64


