"""Parallel tempering (replica exchange) on the one block-Gibbs sampler.

One replica of the model's state per temperature of a ladder 1 = T_0 < T_1 < ... < T_{R-1}.
Each sweep moves every replica by one sweep of :func:`energy.sampling.block_gibbs` at its own
temperature (the same ``blocks`` / ``sample_block`` / optional ``sweep`` protocol, through
the same loop); every ``swap_every`` sweeps, neighbouring temperatures i and j = i + 1 propose
to exchange their states, accepted with the Metropolis probability

    min(1, exp((1/T_i − 1/T_j) (E_i − E_j))),

which leaves the product of the tempered distributions p_T(x) ∝ exp(−E(x) / T) invariant. The
hot replicas cross energy barriers; the exchanges carry what they found down to T = 1, whose
replica is the sample.

A model with a batch of independent chains (:class:`~energy.models.RBMChains`) gives each
chain its energy, ``model.chain_energies(state) -> ndarray (n_chains,)``, and the exchanges are
per chain: chain c of replica i swaps with chain c of replica j alone (rows of every array of
the state, :func:`swap_rows`; a model may provide its own ``swap_chains(a, b, mask)``). A model
without ``chain_energies`` is one chain: ``state_energy`` is its energy and an accepted
exchange swaps the whole states.

Examples
--------
>>> import numpy as np
>>> from energy.models import BernoulliRBM, RBMChains
>>> X = np.repeat([[0., 0, 0, 1, 1, 1], [1, 1, 1, 0, 0, 0]], 20, axis=0)
>>> chains = RBMChains(BernoulliRBM(n_components=3, n_iter=20, random_state=0).fit(X))
>>> states = [chains.initial_state(50, rng=k) for k in range(3)]
>>> res = parallel_tempering(chains, states, [1.0, 2.0, 4.0], n_sweeps=20, rng=0)
>>> res.state["v"].shape, res.acceptance.shape
((50, 6), (2,))
>>> bool(np.all((res.acceptance > 0) & (res.acceptance <= 1)))
True
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from pgm.runtime import check_array, check_finite, check_rng, check_scalar

from energy.sampling.gibbs import block_gibbs

__all__ = ["TemperingResult", "parallel_tempering", "swap_rows"]


@dataclass
class TemperingResult:
    """What a run of :func:`parallel_tempering` did.

    Attributes
    ----------
    state : object
        The T = 1 replica's final state (``states[0]``).
    states : list
        The final state of every replica, in the ladder's order (the objects passed in,
        updated in place; a single-chain model's exchanges reorder them).
    temperatures : ndarray of shape (R,)
        The ladder.
    acceptance : ndarray of shape (R - 1,)
        Fraction of the proposed exchanges accepted between T_i and T_{i+1} (over chains and
        exchange rounds).
    n_proposed : ndarray of shape (R - 1,)
        Number of exchanges proposed between each adjacent pair.
    mean : ndarray or None
        Average of ``model.observe`` of the T = 1 replica over the sweeps after ``burn_in``
        (``average=True``).
    n_averaged : int
        How many sweeps went into ``mean``.
    n_sweeps : int
        Sweeps run (each replica ran this many).
    seconds : float
        Wall-clock time.
    """

    state: object
    states: list
    temperatures: np.ndarray
    acceptance: np.ndarray
    n_proposed: np.ndarray
    mean: np.ndarray | None = None
    n_averaged: int = 0
    n_sweeps: int = 0
    seconds: float = 0.0


def swap_rows(a, b, mask):
    """Exchange, in place, the rows selected by ``mask`` between two states.

    Parameters
    ----------
    a, b : ndarray, dict, list or tuple of ndarrays
        Two states of the same structure; every array has the chains along axis 0.
    mask : ndarray of bool, shape (n_chains,)
        The chains to exchange.

    Examples
    --------
    >>> import numpy as np
    >>> a = {"v": np.zeros((3, 2)), "h": np.zeros((3, 1))}
    >>> b = {"v": np.ones((3, 2)), "h": np.ones((3, 1))}
    >>> swap_rows(a, b, np.array([True, False, True]))
    >>> a["v"][:, 0].tolist(), b["h"][:, 0].tolist()
    ([1.0, 0.0, 1.0], [0.0, 1.0, 0.0])
    """
    if isinstance(a, dict):
        if set(a) != set(b):
            raise ValueError(f"states: keys differ, {sorted(a)} vs {sorted(b)}")
        for k in a:
            swap_rows(a[k], b[k], mask)
    elif isinstance(a, (list, tuple)):
        for x, y in zip(a, b, strict=True):
            swap_rows(x, y, mask)
    else:
        if not (isinstance(a, np.ndarray) and isinstance(b, np.ndarray)):
            raise TypeError(f"states: expected arrays (or dicts/lists of arrays), got "
                            f"{type(a).__name__} and {type(b).__name__}")
        tmp = a[mask].copy()
        a[mask] = b[mask]
        b[mask] = tmp


def _structure(state):
    if isinstance(state, dict):
        return ("dict", tuple(sorted((k, _structure(v)) for k, v in state.items())))
    if isinstance(state, (list, tuple)):
        return ("seq", tuple(_structure(v) for v in state))
    return ("array", np.shape(state))


def _check_ladder(temperatures):
    t = check_array(temperatures, "temperatures", ndim=1, dtype_kind="iuf").astype(np.float64)
    check_finite(t, "temperatures")
    if t.size < 2:
        raise ValueError(f"temperatures: expected a ladder of at least 2 temperatures, got "
                         f"{t.size}")
    if t[0] != 1.0:
        raise ValueError(f"temperatures: the ladder must start at T_0 = 1 (the sampled "
                         f"distribution), got T_0 = {t[0]}")
    if np.any(np.diff(t) <= 0):
        raise ValueError(f"temperatures: must be strictly increasing, got {t.tolist()}")
    return t


def parallel_tempering(model, states, temperatures, *, n_sweeps, swap_every: int = 1,
                       burn_in: int = 0, rng=None, average: bool = False) -> TemperingResult:
    """Sample ``model`` at T = 1 by replica exchange along a temperature ladder.

    Parameters
    ----------
    model : object
        A model of :func:`energy.sampling.block_gibbs` (``blocks``, ``sample_block``,
        optional ``sweep``, ``state_energy``), with ``chain_energies(state) -> (n_chains,)``
        when a state holds a batch of chains (and ``observe`` when ``average=True``).
    states : sequence of R states
        One starting state per temperature, all of the same structure and shapes; updated in
        place.
    temperatures : array-like of shape (R,)
        The ladder: finite, strictly increasing, ``temperatures[0] == 1``, R >= 2.
    n_sweeps : int
        Sweeps of every replica (>= 1).
    swap_every : int
        Sweeps between exchange rounds (>= 1); a round proposes T_0 ↔ T_1, then T_1 ↔ T_2,
        ..., each chain on its own.
    burn_in : int
        Sweeps left out of the average.
    rng : None, int or numpy.random.Generator
        Source of randomness (see :func:`pgm.runtime.checks.check_rng`).
    average : bool
        Accumulate ``model.observe`` of the T = 1 replica after every sweep past ``burn_in``.

    Returns
    -------
    TemperingResult
    """
    temps = _check_ladder(temperatures)
    n = check_scalar(n_sweeps, "n_sweeps", low=1, integer=True)
    every = check_scalar(swap_every, "swap_every", low=1, integer=True)
    burn_in = check_scalar(burn_in, "burn_in", low=0, integer=True)
    if average and burn_in >= n:
        raise ValueError(f"burn_in: must be < n_sweeps ({n}) to average, got {burn_in}")
    if isinstance(states, dict) or not isinstance(states, (list, tuple)):
        raise TypeError(f"states: expected a list of {temps.size} states (one per "
                        f"temperature), got {type(states).__name__}")
    reps = list(states)
    if len(reps) != temps.size:
        raise ValueError(f"states: expected {temps.size} states (one per temperature), got "
                         f"{len(reps)}")
    shape0 = _structure(reps[0])
    for r, s in enumerate(reps[1:], 1):
        if _structure(s) != shape0:
            raise ValueError(f"states: state {r} has shapes {_structure(s)}, state 0 has "
                             f"{shape0}")
    gen = check_rng(rng)
    chain_energies = getattr(model, "chain_energies", None)
    swap = getattr(model, "swap_chains", swap_rows)

    def energies(s):
        if chain_energies is None:
            return np.array([model.state_energy(s)], dtype=np.float64)
        return np.asarray(chain_energies(s), dtype=np.float64)

    R = temps.size
    beta = 1.0 / temps
    accepted = np.zeros(R - 1, dtype=np.int64)
    proposed = np.zeros(R - 1, dtype=np.int64)
    acc, n_avg = None, 0
    t0 = time.perf_counter()
    for k in range(n):
        for r in range(R):
            block_gibbs(model, reps[r], temperature=temps[r], max_sweeps=1, rng=gen,
                        stop_when_converged=False, record_energy=False)
        if (k + 1) % every == 0:
            E = [energies(s) for s in reps]
            if E[0].ndim != 1 or any(e.shape != E[0].shape for e in E):
                raise ValueError(f"model: chain_energies must give one energy per chain, "
                                 f"(n_chains,), got shapes {[e.shape for e in E]}")
            for i in range(R - 1):
                j = i + 1
                log_a = (beta[i] - beta[j]) * (E[i] - E[j])
                mask = np.log(gen.random(log_a.size)) < log_a
                proposed[i] += log_a.size
                accepted[i] += int(np.count_nonzero(mask))
                if chain_energies is None:
                    if mask[0]:
                        reps[i], reps[j] = reps[j], reps[i]
                elif mask.any():
                    swap(reps[i], reps[j], mask)
                E[i], E[j] = np.where(mask, E[j], E[i]), np.where(mask, E[i], E[j])
        if average and k >= burn_in:
            obs = model.observe(reps[0])
            if acc is None:
                acc = np.zeros(np.shape(obs), dtype=np.float64)
            acc += obs
            n_avg += 1
    seconds = time.perf_counter() - t0
    return TemperingResult(
        state=reps[0], states=reps, temperatures=temps,
        acceptance=accepted / np.maximum(proposed, 1), n_proposed=proposed,
        mean=None if acc is None else acc / n_avg, n_averaged=n_avg, n_sweeps=n,
        seconds=seconds)
