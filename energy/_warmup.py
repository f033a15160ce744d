"""Warm-ups of energy's numba kernels, registered for ``pgm-energy warmup``
(:func:`pgm.runtime.jit.register_warm`): each runs a public entry point on a small problem
with the kernels forced on, which compiles them with the types the library uses (and fills
numba's cache).
"""

from __future__ import annotations

import numpy as np

from pgm.runtime.jit import jit_policy, register_warm

from energy.models import BernoulliRBM, GridMRF, IsingModel, ab_swap, alpha_expansion
from energy.optim import SGD

__all__: list = []


def _picture():
    y = np.ones((6, 7), np.int8)
    y[2, 3] = y[4, 1] = -1
    return y


def _icm():
    with jit_policy("always"):
        m = IsingModel(_picture())
        m.icm()
        m.energy(m.y)


def _gibbs():
    with jit_policy("always"):
        IsingModel(_picture()).gibbs(n_sweeps=2, burn_in=1, rng=0)


def _graphcut():
    with jit_policy("always"):
        IsingModel(_picture()).graphcut()


def _rbm():
    X = (np.random.default_rng(0).random((20, 6)) < 0.5).astype(np.float64)
    with jit_policy("always"):
        BernoulliRBM(n_components=3, n_iter=1, batch_size=10, random_state=0).fit(X)


def _rbm_sample():
    X = (np.random.default_rng(0).random((20, 6)) < 0.5).astype(np.float64)
    m = BernoulliRBM(n_components=3, n_iter=1, batch_size=10, random_state=0, fused=False)
    m.fit(X)
    with jit_policy("always"):
        m.sample(n_samples=2, n_steps=1, rng=0)


def _potts_model():
    unary = np.random.default_rng(0).random((5, 6, 3))
    return GridMRF(unary, "truncated_linear", weight=0.5, truncation=2.0, connectivity=8)


def _potts_moves():
    with jit_policy("always"):
        alpha_expansion(_potts_model())
        ab_swap(_potts_model())


def _potts_sampler():
    with jit_policy("always"):
        _potts_model().icm()


def _sgd():
    a = np.zeros(SGD._FUSED_MIN)
    opt = SGD([a], lr=0.1, momentum=0.5)
    opt.step([np.ones_like(a)])


register_warm("energy.models._ising_kernels.icm_sweep4", _icm)
register_warm("energy.models._ising_kernels.ising_sums", _icm)
register_warm("energy.models._ising_kernels.gibbs_sweep4", _gibbs)
register_warm("energy.images._maxflow.bk_maxflow", _graphcut)
register_warm("energy.models._rbm_kernels.first_invalid", _rbm)
register_warm("energy.models._rbm_kernels.cd_epoch", _rbm)
register_warm("energy.models._rbm_kernels.sample_layer", _rbm_sample)
register_warm("energy.optim._kernels.sgd_step", _sgd)
register_warm("energy.models._potts_kernels.expansion_terms", _potts_moves)
register_warm("energy.models._potts_kernels.swap_terms", _potts_moves)
register_warm("energy.models._potts_kernels.quantize", _potts_moves)
register_warm("energy.models._potts_kernels.apply_move", _potts_moves)
register_warm("energy.models._potts_kernels.sample_colour", _potts_sampler)
