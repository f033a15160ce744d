"""When to run a numba-parallel kernel on one thread (private, shared by every kernel module).

Waking a thread pool costs microseconds on an idle machine, but on a busy one a parallel
region must wait until every thread gets a time slice: a tiny Ising grid swept 60,000 times
took minutes instead of a second, a digits CNN step 25 ms instead of 6. Below a given amount
of work the kernel runs in the caller's thread (``numba.set_num_threads(1)`` for the call).
"""

from __future__ import annotations

import contextlib

import numba

#: default threshold: sites, elements or multiply-adds of one call
PARALLEL_MIN_WORK = 1 << 15


@contextlib.contextmanager
def threads_for(n_work: int, min_work: int = PARALLEL_MIN_WORK):
    """Context in which numba kernels use one thread when ``n_work < min_work``
    (the thread count is restored afterwards, also on errors)."""
    before = numba.get_num_threads()
    if n_work >= min_work or before == 1:
        yield
        return
    numba.set_num_threads(1)
    try:
        yield
    finally:
        numba.set_num_threads(before)


def call(kernel, work, *args, min_work: int = PARALLEL_MIN_WORK):
    """``kernel(*args)`` under :func:`threads_for` (``work``, ``min_work``)."""
    with threads_for(work, min_work):
        return kernel(*args)
