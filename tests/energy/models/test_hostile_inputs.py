"""Hostile hyperparameters and starting points of the energy models: an absurd k is refused
before the epoch's seed table is allocated; mean_field's m0 is checked (shape, finite, [-1, 1])."""

import numpy as np
import pytest

from energy.models import BernoulliRBM, IsingModel


def test_an_absurd_number_of_gibbs_steps_is_refused_before_allocating():
    X = (np.random.default_rng(0).random((40, 6)) < 0.3).astype(float)
    with pytest.raises(ValueError, match=r"k: 100000000 needs a buffer of shape \(4, 200000001\)"
                                         r" of uint64 \(6\.4 GB\), over the limit"):
        BernoulliRBM(3, k=10 ** 8, n_iter=1, batch_size=10, random_state=0).fit(X)
    m = BernoulliRBM(3, k=2, n_iter=1, batch_size=10, random_state=0).fit(X)
    m.k = 10 ** 8
    with pytest.raises(ValueError, match="k: 100000000"):
        m.partial_fit(X)


@pytest.mark.parametrize("m0,match", [
    (np.full((4, 5), np.nan), "m0: must be finite"),
    (np.full((4, 5), 5.0), r"m0: magnetisations must lie in \[-1, 1\], got values in \[5, 5\]"),
    (np.zeros((5, 4)), r"m0: expected shape \(4, 5\)"),
    (np.zeros((4, 5), bool), "m0: expected dtype kind"),
])
def test_mean_field_checks_its_start(m0, match):
    y = np.where(np.random.default_rng(1).random((4, 5)) < 0.5, -1, 1)
    model = IsingModel(y, beta=0.5, eta=1.0)
    with pytest.raises((ValueError, TypeError), match=match):
        model.mean_field(m0=m0)
    r = model.mean_field(m0=np.zeros((4, 5)), max_iter=20)
    assert np.all(np.isfinite(r.marginals))


def test_parameters_whose_energies_overflow_are_refused():
    y = np.ones((4, 5), int)
    with pytest.raises(ValueError, match=r"beta, eta, h: the energies of a 5x4 image .*eta=1e\+308"):
        IsingModel(y, beta=1.0, eta=1e308)
    with pytest.raises(ValueError, match="beta=1e\\+307"):
        IsingModel(y, beta=1e307, eta=1.0)
    assert np.isfinite(IsingModel(y, beta=1.0, eta=1e300).graphcut().energy)
