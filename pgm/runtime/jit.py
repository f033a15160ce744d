"""When the numba kernels run, and loading them only then (the cost of the first call).

numba compiles a kernel on its first call: seconds per kernel, tens of seconds for a workload,
which a student's first small example would spend waiting. Every kernel has a plain-numpy
reference that gives the same results, so each dispatch point asks :func:`use_jit` whether
the problem is big enough to repay compiling: below the threshold of its name in
:data:`JIT_MIN_WORK` it takes the reference, at or above it the kernel. A dispatch point
whose reference is slow next to its kernel (the graph cut: 0.1 s against 4 ms on a 328 x 400
image) also times its reference runs (:func:`timed_reference`) and moves to the kernel once
they add up to :data:`JIT_BUY_SECONDS`, so a loop of small calls compiles once. The environment
variable ``PGM_ENERGY_JIT`` overrides the policy: ``always`` (every size on the kernels),
``never`` (every size on the references) or ``auto`` (the default, by size); it is read once,
at the first dispatch (set it before, or use :func:`jit_policy` in a program).

Kernel modules are loaded on first use: a module that dispatches declares its kernels with
:func:`lazy_module` at module level (``K = lazy_module("energy.models._ising_kernels")``),
which imports nothing until an attribute is read, so ``import pgm, energy, neural`` does not
import numba. Each dispatching module registers, with :func:`register_warm`, a warm-up of
each of its kernels: a small call of its public entry point under ``jit_policy("always")``,
which compiles the kernel (and fills numba's cache) with the types the library uses; that
registry is what ``pgm-energy warmup`` walks (:func:`warm_entries`).

The same lazy loading serves one third-party import: :data:`nx` is networkx, imported when a
graph is first built (about 0.1 s that ``import pgm`` no longer pays).

>>> use_jit("energy.ising", 10, mode="auto")
False
>>> use_jit("energy.ising", 10, mode="always")
True
>>> use_jit("no.such.point", 1)
Traceback (most recent call last):
    ...
ValueError: name: expected one of the dispatch points in JIT_MIN_WORK, got 'no.such.point'
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
import time

__all__ = ["JIT_MIN_WORK", "use_jit", "jit_mode", "jit_policy", "lazy_module",
           "kernel_modules", "register_warm", "warm_entries", "JIT_BUY_SECONDS",
           "timed_reference"]

#: work (of the unit named) from which each dispatch point compiles and runs its numba kernel;
#: below it the numpy reference runs (same results). Chosen so that the reference's time on
#: a problem just below the threshold is well under a second, and the benchmarks' problems are
#: above it.
JIT_MIN_WORK = {
    # total clique-table entries of the junction tree (the sprinkler network has 16; the
    # benchmark's 20-node network 1,315, where the fused query is 12x the numpy one)
    "pgm.junction_tree": 1 << 10,
    # nodes of the graph whose elimination order is searched
    "pgm.elimination_order": 16,
    # samples x nodes of an ancestral draw
    "pgm.forward_sample": 1 << 16,
    # rows x columns counted for maximum-likelihood learning
    "pgm.family_counts": 1 << 16,
    # sites of an Ising grid (the 328 x 400 example pictures are below, 512 x 512 above)
    "energy.ising": 1 << 18,
    # sites of a multi-label grid MRF (alpha-expansion / swap move terms, ICM / Gibbs colours)
    "energy.potts": 1 << 10,
    # pixels of a graph cut
    "energy.graphcut": 1 << 18,
    # multiply-adds of one RBM epoch (samples x visible x hidden)
    "energy.rbm": 1 << 22,
    # multiply-adds of one convolution call (N x O x Ho x Wo x C kH kW; LeNet's first layer on
    # a batch of 64 MNIST images: 5.5 M, above)
    "neural.conv": 1 << 22,
    # window elements of one pooling call (N x C x Ho x Wo x kH kW; LeNet's first pooling on
    # a batch of 64: 221 k, above)
    "neural.pool": 1 << 16,
    # multiply-adds of one recurrent layer call (steps x batch x 4 hidden x (input + hidden))
    "neural.rnn": 1 << 20,
}

_MODES = ("auto", "always", "never")


_FORCED: list = []
_ENV: list = []         # PGM_ENERGY_JIT as read by use_jit's first call (os.environ costs µs)


def jit_mode() -> str:
    """The policy in force: that of an enclosing :func:`jit_policy`, else ``PGM_ENERGY_JIT``
    (``auto``, ``always`` or ``never``), default auto."""
    if _FORCED:
        return _FORCED[-1]
    mode = os.environ.get("PGM_ENERGY_JIT", "auto").strip().lower() or "auto"
    if mode not in _MODES:
        raise ValueError(f"PGM_ENERGY_JIT: expected one of {_MODES}, got {mode!r}")
    return mode


@contextlib.contextmanager
def jit_policy(mode: str):
    """Context in which :func:`use_jit` follows ``mode`` (``auto``, ``always``, ``never``)."""
    if mode not in _MODES:
        raise ValueError(f"mode: expected one of {_MODES}, got {mode!r}")
    _FORCED.append(mode)
    try:
        yield
    finally:
        _FORCED.pop()


def use_jit(name: str, work, *, mode: str | None = None) -> bool:
    """Whether the dispatch point ``name`` runs its numba kernel for ``work`` units of work
    (``mode``: the policy, default :func:`jit_mode`). About a microsecond: the sweeps that
    ask it per call cost tens of microseconds and more."""
    limit = JIT_MIN_WORK.get(name)
    if limit is None:
        raise ValueError(f"name: expected one of the dispatch points in JIT_MIN_WORK, "
                         f"got {name!r}")
    if mode is None:
        if _FORCED:
            mode = _FORCED[-1]
        else:
            if not _ENV:
                _ENV.append(jit_mode())
            mode = _ENV[0]
    if mode == "always":
        return True
    if mode == "never":
        return False
    return work >= limit or (name in _SPENT and _SPENT[name] >= JIT_BUY_SECONDS)


#: seconds of reference time after which a dispatch point that records it (with
#: :func:`timed_reference`) runs its kernel at every size, for the rest of the process: a
#: program that calls a small problem again and again pays at most about twice the kernel's
#: compile time (rent until the rent paid equals the price, then buy)
JIT_BUY_SECONDS = 2.0

_SPENT: dict = {}


@contextlib.contextmanager
def timed_reference(name: str):
    """Context around a reference run of the dispatch point ``name``: adds its wall time to
    that point's account (see :data:`JIT_BUY_SECONDS`)."""
    t0 = time.perf_counter()
    try:
        yield
    finally:
        _SPENT[name] = _SPENT.get(name, 0.0) + (time.perf_counter() - t0)


class LazyModule:
    """A module imported on the first read of one of its attributes (each read goes to the
    module itself, so that what is patched there is seen here)."""

    __slots__ = ("_lazy_name", "_module")

    def __init__(self, name: str):
        object.__setattr__(self, "_lazy_name", name)
        object.__setattr__(self, "_module", None)

    def _load(self):
        mod = self._module
        if mod is None:
            mod = importlib.import_module(self._lazy_name)
            object.__setattr__(self, "_module", mod)
        return mod

    def __getattr__(self, attr):
        if attr.startswith("__"):      # copy, pickle, inspect: no import for them
            raise AttributeError(attr)
        return getattr(self._load(), attr)

    def __repr__(self):
        state = "loaded" if self._lazy_name in sys.modules else "not loaded"
        return f"<lazy module {self._lazy_name!r} ({state})>"


#: networkx, imported on the first use of one of its attributes (about 0.1 s, a quarter of
#: ``import pgm, energy, neural``); the modules that build graphs import it from here
nx = LazyModule("networkx")

_DECLARED: dict[str, LazyModule] = {}


def lazy_module(name: str) -> LazyModule:
    """The module ``name`` (absolute), imported when one of its attributes is first read;
    registered as a kernel module for :func:`kernel_modules` (declare it at module level:
    the layout test reads these declarations as imports)."""
    if name not in _DECLARED:
        _DECLARED[name] = LazyModule(name)
    return _DECLARED[name]


def kernel_modules() -> list[str]:
    """Names of the kernel modules declared so far with :func:`lazy_module`, in order."""
    return list(_DECLARED)


_WARM: dict = {}


def register_warm(kernel: str, fn) -> None:
    """Register ``fn`` as the warm-up of ``kernel`` (``"module.dispatcher"``): a call of the
    public entry point on a small problem under ``jit_policy("always")`` that compiles the
    kernel with the argument types the library uses (``pgm-energy warmup`` runs them)."""
    _WARM[kernel] = fn


def warm_entries() -> list[tuple[str, object]]:
    """``(module.kernel, warm-up)`` of every registered kernel, in registration order (import
    the packages first: their modules register on import)."""
    return list(_WARM.items())
