"""The library's bottom layer: what :mod:`pgm`, :mod:`energy` and :mod:`neural` all share.

- :mod:`~pgm.runtime.checks` — the one random-number convention (:func:`check_rng`: ``rng=``
  is ``None``, an int seed or a :class:`numpy.random.Generator`) and the one way to validate
  input (errors name the argument, what was expected and what was given);
- :mod:`~pgm.runtime.io` — atomic file writes and checked ``.npz`` loading;
- :mod:`~pgm.runtime.threads` — the one numba-thread and BLAS-thread control;
- :mod:`~pgm.runtime.numerics` — the one stable sigmoid / softplus (numpy) and the
  vectorisable exp / sigmoid / tanh of the numba kernels;
- :mod:`~pgm.runtime.counter_rng` — the counter-based random numbers of every kernel;
- :mod:`~pgm.runtime.blas` — BLAS ``?gemm`` on strided blocks, callable from numba kernels.

Nothing here imports another module of the library.

>>> from pgm.runtime import check_rng, check_scalar
>>> int(check_rng(0).integers(1000)) == int(check_rng(0).integers(1000))
True
>>> check_scalar(-1, "beta", low=0)
Traceback (most recent call last):
    ...
ValueError: beta: must be >= 0, got -1
"""

from .checks import (MAX_ALLOC_BYTES, check_alloc, check_array, check_finite, check_rng,
                     check_scalar, check_spins)
from .io import atomic_write, load_npz_checked, npz_names, save_npz_atomic
from .numerics import sigmoid, softplus
from .threads import PARALLEL_MIN_WORK, call, kernel_blas_single, numba_threads, threads_for

__all__ = [
    "check_rng", "check_array", "check_finite", "check_spins", "check_scalar", "check_alloc",
    "MAX_ALLOC_BYTES",
    "atomic_write", "save_npz_atomic", "load_npz_checked", "npz_names", "sigmoid", "softplus",
    "PARALLEL_MIN_WORK", "threads_for", "numba_threads", "call", "kernel_blas_single",
]
