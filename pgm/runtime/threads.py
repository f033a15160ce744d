"""When to run a numba-parallel kernel on one thread (private, shared by every kernel module).

Waking a thread pool costs microseconds on an idle machine, but on a busy one a parallel
region must wait until every thread gets a time slice: a tiny Ising grid swept 60,000 times
took minutes instead of a second, a digits CNN step 25 ms instead of 6. Below a given amount
of work the kernel runs in the caller's thread (``numba.set_num_threads(1)`` for the call).
"""

from __future__ import annotations

import contextlib
import os
import sys

#: default threshold: sites, elements or multiply-adds of one call
PARALLEL_MIN_WORK = 1 << 15


@contextlib.contextmanager
def threads_for(n_work: int, min_work: int = PARALLEL_MIN_WORK):
    """Context in which numba kernels use one thread when ``n_work < min_work``
    (the thread count is restored afterwards, also on errors)."""
    numba = sys.modules.get("numba")
    if numba is None:
        # no kernel loaded yet (numba is imported with the first): the block runs numpy
        # references, or loads its kernel inside, whose first call then keeps numba's default
        yield
        return
    before = numba.get_num_threads()
    if n_work >= min_work or before == 1:
        yield
        return
    numba.set_num_threads(1)
    try:
        yield
    finally:
        numba.set_num_threads(before)


def numba_threads() -> int:
    """numba's current thread count, without starting its pool when it has not been started
    (``numba.get_num_threads`` starts it; an idle OpenMP pool next to another library's
    spins and slows that library)."""
    # lazy: numba costs ~0.3 s of import, paid only once a kernel is needed
    import numba
    from numba.np.ufunc import parallel  # numba internals, read only when asked
    if not getattr(parallel, "_is_initialized", True):
        return int(numba.config.NUMBA_NUM_THREADS)
    return numba.get_num_threads()


def call(kernel, work, *args, min_work: int = PARALLEL_MIN_WORK):
    """``kernel(*args)`` under :func:`threads_for` (``work``, ``min_work``)."""
    with threads_for(work, min_work):
        return kernel(*args)


_KERNEL_BLAS = None


def _kernel_blas_libs():
    """threadpoolctl controllers of the BLAS that numba's ``np.dot`` calls (SciPy's, through
    ``scipy.linalg.cython_blas``); found once. numpy may carry a BLAS of its own (its wheels
    do): that one is left alone, so numpy's big products keep the user's thread count. Where
    SciPy's BLAS cannot be told apart (a shared system BLAS), every BLAS is limited."""
    global _KERNEL_BLAS
    if _KERNEL_BLAS is None:
        # lazy: scipy.linalg costs ~0.15 s of import; loaded here so that the BLAS numba's
        # np.dot calls is in the process when the controllers are listed
        import scipy
        import scipy.linalg.cython_blas  # noqa: F401
        from threadpoolctl import ThreadpoolController
        blas = ThreadpoolController().select(user_api="blas").lib_controllers
        d = os.path.dirname(os.path.realpath(scipy.__file__))
        own = [lib for lib in blas if os.path.realpath(lib.filepath).startswith(
            (d + os.sep, d + ".libs" + os.sep))]
        _KERNEL_BLAS = own or blas
    return _KERNEL_BLAS


@contextlib.contextmanager
def kernel_blas_single():
    """Context in which the BLAS called from numba kernels runs on one thread (restored
    afterwards, also on errors). Kernels that call ``np.dot`` once per step, or from several
    numba threads at once, need it: a multi-threaded BLAS on small products loses more to
    thread hand-off than it gains, and inside numba threads it would oversubscribe the cores.
    Costs about a microsecond (the controllers are found once, not per call as with
    ``threadpoolctl.threadpool_limits``)."""
    libs = _kernel_blas_libs()
    before = [lib.num_threads for lib in libs]
    changed = [lib for lib, n in zip(libs, before) if n != 1]
    for lib in changed:
        lib.set_num_threads(1)
    try:
        yield
    finally:
        for lib, n in zip(libs, before):
            if n != 1:
                lib.set_num_threads(n)
