"""Annealed importance sampling (Neal 2001; Salakhutdinov & Murray 2008) on the one sampler.

log Z of a model is estimated by annealing from a base model whose log Z is exact: runs start
with exact draws from the base (β = 0), and at each β_t of a rising schedule the importance
weight gains log p*_{β_t}(x) − log p*_{β_{t−1}}(x), then one sweep of
:func:`energy.sampling.block_gibbs` over the model at β_t (a transition that leaves p_{β_t}
invariant) moves the runs on. ``log Z ≈ log mean(w) + log Z_base``.

A model for :func:`annealed_importance_sampling` is a sampler model (``blocks``,
``sample_block``, ``state_energy``) with a settable attribute ``beta`` and a method
``log_pstar(state, beta)`` giving the unnormalised log-probability of each run's state at β,
an array of shape (n_runs,). The energy models provide one (``BernoulliRBM.ais``).

Examples
--------
>>> ais_schedule(20).round(3)[[0, 1, 8, -1]].tolist()
[0.0, 0.5, 0.9, 1.0]
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from pgm.runtime import check_array, check_finite, check_rng, check_scalar
from pgm.runtime.numerics import logsumexp

from energy.sampling.gibbs import block_gibbs

__all__ = ["AISResult", "ais_schedule", "annealed_importance_sampling"]


@dataclass
class AISResult:
    """An annealed-importance-sampling estimate of log Z.

    Attributes
    ----------
    log_z : float
        log of the mean importance weight times Z of the base model.
    stderr : float
        Standard error of ``log_z`` (delta method: sd(w) / (mean(w) √M)).
    log_weights : ndarray of shape (n_runs,)
    log_z_base : float
    """

    log_z: float
    stderr: float
    log_weights: np.ndarray
    log_z_base: float


def ais_schedule(n_betas):
    """The β schedule: ``n_betas`` values 0 → 0.5 → 0.9 → 1 with 5 %, 35 % and 60 % of the
    steps (as in Salakhutdinov & Murray 2008), or, for an array, that array checked (rising
    from 0 to 1, finite)."""
    if np.ndim(n_betas) == 0:
        n = check_scalar(n_betas, "n_betas", low=3, integer=True)
        n1, n2 = max(1, n // 20), max(1, (7 * n) // 20)
        return np.concatenate([np.linspace(0, 0.5, n1, endpoint=False),
                               np.linspace(0.5, 0.9, n2, endpoint=False),
                               np.linspace(0.9, 1.0, n - n1 - n2)])
    betas = check_array(n_betas, "n_betas", ndim=1, dtype_kind="f").astype(np.float64)
    check_finite(betas, "n_betas")
    if betas.size < 2 or betas[0] != 0 or betas[-1] != 1 or np.any(np.diff(betas) < 0):
        raise ValueError("n_betas: a schedule must rise from 0 to 1")
    return betas


def annealed_importance_sampling(model, state, betas, *, log_z_base, rng=None) -> AISResult:
    """log Z by AIS along ``betas`` (see the module docstring).

    Parameters
    ----------
    model : annealed sampler model
        ``beta`` (settable), ``log_pstar(state, beta)`` → (n_runs,), and the sampler protocol.
    state : object
        Exact draws from the base model (β = 0), one per run; updated in place.
    betas : ndarray of shape (n_betas,)
        Rising from 0 to 1 (:func:`ais_schedule`).
    log_z_base : float
        The base model's exact log Z.
    rng : None, int or numpy.random.Generator

    Returns
    -------
    AISResult
    """
    gen = check_rng(rng)
    betas = ais_schedule(betas)
    log_z_base = check_scalar(log_z_base, "log_z_base")        # a NaN base is no estimate
    prev = model.log_pstar(state, betas[0])
    if not np.all(np.isfinite(prev)):
        raise ValueError("state: the base model gives the runs' start a non-finite "
                         "log-probability (check the base model's parameters)")
    logw = np.zeros(np.shape(prev)[0])
    for t in range(1, betas.size):
        cur = model.log_pstar(state, betas[t])
        logw += cur - prev
        model.beta = float(betas[t])
        block_gibbs(model, state, temperature=1.0, max_sweeps=1, rng=gen, record_energy=False)
        prev = model.log_pstar(state, betas[t]) if t + 1 < betas.size else cur
    if not np.all(np.isfinite(logw)):
        raise FloatingPointError("AIS: non-finite importance weights (check the model's "
                                 "parameters and the base model)")
    M = logw.size
    log_mean = float(logsumexp(logw) - math.log(M))
    w = np.exp(logw - logw.max())
    stderr = float(w.std(ddof=1) / w.mean() / math.sqrt(M))
    return AISResult(log_mean + float(log_z_base), stderr, logw, float(log_z_base))
