"""The two training paths of the Bernoulli RBM: one epoch of CD-k / PCD-k; and the pieces
every RBM of the library trains with (:func:`rbm_optimizer`, :func:`finish_epoch`).

:func:`cd_epoch_fused` — the whole epoch in one numba call (the chains, the gradients and
SGD's update inside, :func:`energy.models._rbm_kernels.cd_epoch`), for an optimiser with a
fused update. :func:`cd_epoch_generic` — the chains through the one sampler, the gradient
from the engine, any optimiser's ``step()``. On the same seeds the two make the same
counter-based draws and end at the same parameters (tests/energy/models/test_base.py).
``self`` is the :class:`~energy.models.BernoulliRBM`.
"""

from __future__ import annotations

import math
import sys
import time

import numpy as np

from pgm.runtime import PARALLEL_MIN_WORK as _PARALLEL_MIN_WORK
from pgm.runtime import kernel_blas_single, softplus, threads_for

from energy.models.base import contrastive_divergence_loss
from energy.models.rbm_sampling import K, RBMChains
from energy.optim import SGD, Adam, Optimizer
from energy.sampling import block_gibbs

__all__ = ["cd_epoch_fused", "cd_epoch_generic", "rbm_optimizer", "finish_epoch", "DIVERGED"]

#: a weight or bias beyond this magnitude saturates every unit for any input: training that
#: reaches it has diverged (the last good parameters are restored and an error raised)
DIVERGED = 1e4


def rbm_optimizer(model):
    """The optimiser of an RBM's parameters, made once and kept in ``model._optim`` (made
    again when ``learning_rate`` changed): ``model.optimizer`` "sgd" (SGD with
    ``learning_rate``, ``momentum``, ``weight_decay``), "adam" (Adam with ``learning_rate``,
    ``weight_decay``) or a callable taking the parameter list and returning an Optimizer."""
    if model._optim is None or model._optim.lr != model.learning_rate:
        params = model.parameters()
        if callable(model.optimizer):
            opt = model.optimizer(params)
            if not isinstance(opt, Optimizer):
                raise TypeError(f"optimizer: the callable must return an energy.optim "
                                f"Optimizer, got {type(opt).__name__}")
        elif model.optimizer == "adam":
            opt = Adam(params, lr=float(model.learning_rate),
                       weight_decay=float(model.weight_decay))
        else:
            opt = SGD(params, lr=float(model.learning_rate), momentum=float(model.momentum),
                      weight_decay=float(model.weight_decay))
        model._optim = opt
    return model._optim


def finish_epoch(model, good, measure, value, t0, label, unit="nats/example"):
    """End an epoch of ``model``: check it, then record it.

    Divergence (``value`` not finite, or a parameter not finite or beyond :data:`DIVERGED`)
    restores ``good`` (copies of the parameters' arrays from before the epoch, in
    ``model.parameters()`` order), drops the optimiser's state and the persistent chains and
    raises ``FloatingPointError`` naming ``learning_rate``. Otherwise appends
    ``{"epoch", measure: value, "seconds"}`` to ``model.history_`` and, when
    ``model.verbose``, prints a line on stderr (``label``: the measure's name there).
    """
    big = max(float(np.abs(p.data).max()) for p in model.parameters())
    if not math.isfinite(value) or not math.isfinite(big) or big > DIVERGED:
        for p, g in zip(model.parameters(), good):
            p.data[...] = g
        model._optim = None
        model._chains = None
        raise FloatingPointError(
            f"training diverged ({measure} error {value:.4g}, largest |parameter| "
            f"{big:.4g}, limit {DIVERGED:g}): the parameters of the last good epoch are "
            f"kept; lower learning_rate (now {model.learning_rate})")
    sec = time.perf_counter() - t0
    model.history_.append({"epoch": len(model.history_) + 1, measure: value, "seconds": sec})
    if model.verbose:
        print(f"[{type(model).__name__}] epoch {len(model.history_)}: {label} "
              f"{value:.4f} {unit}, {sec:.2f} s", file=sys.stderr, flush=True)


def cd_epoch_fused(self, X, order, seeds, opt, nblk, parallel):
    """The epoch in one numba call (SGD's update inside); returns the summed
    reconstruction cross-entropy."""
    n, V = X.shape
    B = self._batch_size(n)
    H = self.components_.shape[0]
    dt = self._dtype
    k = int(self.k)
    persistent = bool(self.persistent)
    (vel, lr, mu, wd, sign, nesterov), (vel_a, _, _, wd_a, _, _), (vel_b, _, _, wd_b, _, _) = (
        opt.fused_args(i) for i in range(3))
    PH = np.empty((B, H), dt)
    chains = self._chains if persistent else PH
    sparse = self.sparsity_target is not None
    # the whole epoch in one kernel: per batch, the Gibbs chains, the gradients and the
    # optimiser's update (SGD.fused_args: the arithmetic of SGD.step), no Python between;
    # BLAS runs single-threaded inside the numba threads (one pool busy at a time)
    with kernel_blas_single(), \
            threads_for(_PARALLEL_MIN_WORK if parallel else 0):
        total_ce = K.cd_epoch(
            X, order, seeds, self.components_, self.intercept_hidden_,
            self.intercept_visible_, k, persistent, chains, nblk,
            np.empty((2 * B, V), dt), np.empty((H, 2 * B), dt),
            np.empty((nblk, -(-H // nblk), V), dt), np.empty(H, dt), np.empty(V, dt),
            np.empty((nblk, B), dt), PH, np.empty((B, V), dt), np.empty((B, H), dt),
            np.empty(V, dt), sparse, dt.type(self.sparsity_target if sparse else 0),
            dt.type(self.sparsity_cost), vel, vel_a, vel_b, lr, mu, wd, wd_a, wd_b, sign,
            nesterov)
    return total_ce

def cd_epoch_generic(self, X, order, seeds, opt):
    """The epoch on the one sampler and the engine: per batch, k sweeps of
    :class:`RBMChains` through :func:`block_gibbs` (the draws of ``seeds[m]``, consumed
    in the fused kernel's order), the loss mean F(v_data) − mean F(v_k) backward, the
    sparsity term added to the gradients, ``opt.step()``. Returns the summed
    reconstruction cross-entropy."""
    B = self._batch_size(X.shape[0])
    H = self.components_.shape[0]
    k = int(self.k)
    persistent = bool(self.persistent)
    sparse = self.sparsity_target is not None
    total = 0.0
    for m in range(seeds.shape[0]):
        vd = X[order[m * B:(m + 1) * B]]
        if persistent:
            # the chains continue from their hidden states: v then h, k times (seeds 1..2k)
            chains = RBMChains(self, blocks=("v", "h"), seeds=seeds[m, 1:])
            state = {"v": np.empty_like(vd), "h": self._chains}
            block_gibbs(chains, state, temperature=1.0, max_sweeps=k, record_energy=False)
            x = (self._mean_hiddens(vd) @ self.components_
                 + self.intercept_visible_).astype(np.float64)
        else:
            # from the data: h then v, k times (seeds 0..2k-1); the error is that of the
            # first step's p(v | h)
            chains = RBMChains(self, blocks=("h", "v"), seeds=seeds[m])
            state = {"v": vd.copy(), "h": np.empty((B, H), self._dtype)}
            block_gibbs(chains, state, temperature=1.0, max_sweeps=1, record_energy=False)
            x = (state["h"] @ self.components_ + self.intercept_visible_).astype(np.float64)
            if k > 1:
                block_gibbs(chains, state, temperature=1.0, max_sweeps=k - 1,
                            record_energy=False)
        total += float((softplus(x) - vd * x).sum())
        opt.zero_grad()
        contrastive_divergence_loss(self, vd, state["v"]).backward()
        if sparse:      # Lee et al.'s sparsity term, as the fused kernel adds it
            q = self._mean_hiddens(vd).mean(axis=0)
            d = (float(self.sparsity_cost) * (q - float(self.sparsity_target))).astype(
                self._dtype)
            self.hidden_bias.grad += d
            self.weight.grad += np.outer(d, vd.mean(axis=0)).astype(self._dtype)
        opt.step()
    return total
