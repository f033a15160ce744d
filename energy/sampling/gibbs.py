"""The library's one block-Gibbs sampler.

Every energy model of the library (the Ising model, the RBM, Gibbs queries on a Bayesian
network) is sampled, annealed and minimised by :func:`block_gibbs`. A model only has to say
how to draw one block of its variables from its conditional distribution given the rest:

``model.blocks``
    A tuple naming the blocks, swept in that order once per sweep (the Ising model's
    checkerboard colours; an RBM's ``("h", "v")``).
``model.sample_block(state, block, temperature, rng) -> int``
    Replace, in place, the variables of ``block`` in ``state`` by a draw from
    p(block | rest)^(1/T) (normalised); at ``temperature == 0`` take the most probable value
    instead (ties keep the current value). Return how many variables changed.
``model.sweep(state, temperature, rng) -> int`` (optional)
    One sweep of all blocks in order, in place, returning how many variables changed. When a
    model has it, the sampler calls it once per sweep instead of ``sample_block`` per block;
    it must draw from the same distribution (the Ising model fuses its two checkerboard
    colours into one pass over memory this way).
``model.state_energy(state) -> float``
    The energy E(state), so that p(state) ∝ exp(-E / T).
``model.observe(state) -> ndarray`` (only for ``average=True``)
    The array whose average over sweeps is wanted (for ±1 spins the spins themselves, whose
    mean m gives P(x = +1) = (1 + m) / 2).

Temperature ``T = 0`` is iterated conditional modes (ICM): each block moves to its most
probable value, the energy never increases, and a sweep that changes nothing is a fixed point
(the run stops there). A decreasing sequence of temperatures is simulated annealing. Random
numbers come from one ``numpy.random.Generator`` made by :func:`pgm.runtime.checks.check_rng` from
``rng=`` (int seed or Generator), so the same seed gives the same run exactly.

Example
-------
>>> import numpy as np
>>> from energy.models.ising import IsingModel
>>> y = np.where(np.random.default_rng(0).random((32, 32)) < 0.9, 1, -1)
>>> model = IsingModel(y, beta=1.0, eta=2.1)
>>> res = block_gibbs(model, model.initial_state(), temperature=0.0, max_sweeps=50)
>>> bool(res.converged) and bool(np.all(np.diff(res.energies) <= 0))
True
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field

import numpy as np

from pgm.runtime import check_array, check_finite, check_rng, check_scalar

__all__ = ["SamplerResult", "block_gibbs", "temperature_schedule"]


@dataclass
class SamplerResult:
    """What a run of :func:`block_gibbs` did.

    Attributes
    ----------
    state : object
        The final state (the model's own representation; modified in place).
    energies : ndarray of shape (n_sweeps,)
        Energy after each sweep (NaN where ``record_energy=False``).
    n_changed : ndarray of shape (n_sweeps,)
        Number of variables that changed in each sweep.
    temperatures : ndarray of shape (n_sweeps,)
        The temperature of each sweep.
    converged : bool
        True when a zero-temperature sweep changed nothing (a fixed point of ICM).
    mean : ndarray or None
        Average of ``model.observe(state)`` over the sweeps after ``burn_in`` (``average=True``).
    n_averaged : int
        How many sweeps went into ``mean``.
    seconds : float
        Wall-clock time of the sweeps.
    """

    state: object
    energies: np.ndarray
    n_changed: np.ndarray
    temperatures: np.ndarray
    converged: bool
    mean: np.ndarray | None = None
    n_averaged: int = 0
    seconds: float = 0.0
    extra: dict = field(default_factory=dict)

    @property
    def n_sweeps(self) -> int:
        """Number of sweeps run."""
        return int(self.n_changed.size)


def temperature_schedule(t_start: float, t_end: float, n_sweeps: int, kind: str = "geometric"):
    """Temperatures for simulated annealing, one per sweep.

    Parameters
    ----------
    t_start, t_end : float
        First and last temperature, ``t_start >= t_end > 0`` for ``"geometric"``,
        ``t_start >= t_end >= 0`` for ``"linear"``.
    n_sweeps : int
        Number of sweeps (>= 1).
    kind : {"geometric", "linear"}
        Geometric cooling T_k = t_start (t_end / t_start)^(k / (n - 1)) or linear.

    Returns
    -------
    ndarray of shape (n_sweeps,)

    Examples
    --------
    >>> temperature_schedule(4.0, 0.25, 5).round(3).tolist()
    [4.0, 2.0, 1.0, 0.5, 0.25]
    """
    n = check_scalar(n_sweeps, "n_sweeps", low=1, integer=True)
    if kind == "geometric":
        t0 = check_scalar(t_start, "t_start", low=0, low_inclusive=False)
        t1 = check_scalar(t_end, "t_end", low=0, low_inclusive=False)
    elif kind == "linear":
        t0 = check_scalar(t_start, "t_start", low=0)
        t1 = check_scalar(t_end, "t_end", low=0)
    else:
        raise ValueError(f"kind: expected 'geometric' or 'linear', got {kind!r}")
    if t1 > t0:
        raise ValueError(f"t_end: must be <= t_start for cooling, got t_start={t0}, t_end={t1}")
    if n == 1:
        return np.array([t0])
    if kind == "geometric":
        return t0 * (t1 / t0) ** (np.arange(n) / (n - 1))
    return np.linspace(t0, t1, n)


def _check_temperatures(temperature, max_sweeps):
    if np.ndim(temperature) == 0:
        t = check_scalar(temperature, "temperature", low=0)
        n = check_scalar(max_sweeps, "max_sweeps", low=1, integer=True)
        return np.full(n, t)
    temps = check_array(temperature, "temperature", ndim=1, dtype_kind="iuf").astype(np.float64)
    check_finite(temps, "temperature")
    if np.any(temps < 0):
        raise ValueError(f"temperature: a schedule must be >= 0, found {temps.min()}")
    if max_sweeps is not None and max_sweeps != temps.size:
        raise ValueError(
            f"max_sweeps: {max_sweeps} does not match the schedule's length {temps.size}; "
            "leave max_sweeps=None with a schedule"
        )
    return temps


def _print_progress(sweep, n, temperature, energy, changed):
    print(f"sweep {sweep + 1:4d}/{n}  T={temperature:.4g}  E={energy:.6g}  changed={changed}",
          file=sys.stderr, flush=True)


def block_gibbs(model, state, *, temperature=1.0, max_sweeps=None, burn_in: int = 0, rng=None,
                stop_when_converged: bool = True, record_energy: bool = True,
                average: bool = False, progress=None) -> SamplerResult:
    """Sweep the blocks of ``model`` at a temperature or along a temperature schedule.

    Parameters
    ----------
    model : object
        Has ``blocks``, ``sample_block``, ``state_energy`` (and ``observe`` when
        ``average=True``); see the module docstring.
    state : object
        The starting state, updated in place.
    temperature : float or array-like of shape (n_sweeps,)
        One temperature for every sweep (0 = ICM) or one per sweep (annealing).
    max_sweeps : int, optional
        Number of sweeps for a single temperature (default 100); must be None or the
        schedule's length when ``temperature`` is a schedule.
    burn_in : int
        Sweeps left out of the average.
    rng : None, int or numpy.random.Generator
        Source of randomness (see :func:`pgm.runtime.checks.check_rng`).
    stop_when_converged : bool
        Stop after a zero-temperature sweep that changed nothing.
    record_energy : bool
        Compute the energy after every sweep (costs about one sweep's time for large models).
    average : bool
        Accumulate ``model.observe(state)`` after ``burn_in`` sweeps.
    progress : None, True or callable
        True prints one line per sweep to stderr; a callable gets
        ``(sweep, n_sweeps, temperature, energy, n_changed)``.

    Returns
    -------
    SamplerResult
    """
    if max_sweeps is None and np.ndim(temperature) == 0:
        max_sweeps = 100
    temps = _check_temperatures(temperature, max_sweeps)
    burn_in = check_scalar(burn_in, "burn_in", low=0, integer=True)
    if average and burn_in >= temps.size:
        raise ValueError(f"burn_in: must be < the number of sweeps ({temps.size}) to average, "
                         f"got {burn_in}")
    gen = check_rng(rng)
    report = _print_progress if progress is True else progress
    if report is not None and not callable(report):
        raise TypeError(f"progress: expected None, True or a callable, got {progress!r}")
    blocks = tuple(model.blocks)
    if not blocks:
        raise ValueError("model: has no blocks to sample")
    sweep = getattr(model, "sweep", None)

    n = temps.size
    energies = np.full(n, np.nan)
    changed = np.zeros(n, dtype=np.int64)
    acc = None
    n_avg = 0
    converged = False
    t0 = time.perf_counter()
    done = 0
    for k in range(n):
        T = float(temps[k])
        if sweep is not None:
            c = int(sweep(state, T, gen))
        else:
            c = 0
            for b in blocks:
                c += int(model.sample_block(state, b, T, gen))
        changed[k] = c
        done = k + 1
        if record_energy or report is not None:
            energies[k] = model.state_energy(state)
        if average and k >= burn_in:
            obs = model.observe(state)
            if acc is None:
                acc = np.zeros(np.shape(obs), dtype=np.float64)
            acc += obs
            n_avg += 1
        if report is not None:
            report(k, n, T, energies[k], c)
        if T == 0 and c == 0:
            converged = True
            if stop_when_converged:
                break
    seconds = time.perf_counter() - t0
    return SamplerResult(
        state=state,
        energies=energies[:done],
        n_changed=changed[:done],
        temperatures=temps[:done].copy(),
        converged=converged,
        mean=None if acc is None else acc / n_avg,
        n_averaged=n_avg,
        seconds=seconds,
    )
