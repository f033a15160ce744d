"""AIS refuses a schedule with NaN and a non-finite base (log Z of the base, the runs' start)
up front, instead of a NaN estimate or a late error after the whole run."""

import numpy as np
import pytest

from energy.models import BernoulliRBM
from energy.models.rbm_sampling import AnnealedRBMChains
from energy.sampling import annealed_importance_sampling
from energy.sampling.ais import ais_schedule


def _rbm():
    X = (np.random.default_rng(0).random((40, 6)) < 0.3).astype(float)
    return BernoulliRBM(3, n_iter=1, batch_size=10, random_state=0).fit(X)


def test_a_schedule_with_nan_is_refused():
    b = np.linspace(0, 1, 10)
    b[4] = np.nan
    with pytest.raises(ValueError, match=r"n_betas: must be finite, found nan at index \(4,\)"):
        ais_schedule(b)
    with pytest.raises(ValueError, match="n_betas: must be finite"):
        _rbm().ais(n_runs=10, n_betas=b, rng=0)


def test_a_nan_base_is_refused_before_annealing():
    m = _rbm()
    bias = np.zeros(6)
    chains = AnnealedRBMChains(m, bias)
    state = chains.base_sample(5, np.random.default_rng(0))
    with pytest.raises(ValueError, match="log_z_base: must be finite, got nan"):
        annealed_importance_sampling(chains, state, ais_schedule(10), log_z_base=float("nan"))
    bias[2] = np.nan                 # the chains' base bias, edited after the checks
    with pytest.raises(ValueError, match="state: the base model gives .* non-finite"):
        annealed_importance_sampling(chains, state, ais_schedule(10), log_z_base=0.0)
    r = annealed_importance_sampling(AnnealedRBMChains(m, np.zeros(6)), state,
                                     ais_schedule(10), log_z_base=6 * np.log(2), rng=0)
    assert np.isfinite(r.log_z)
