"""The Optimizer base: the fused-update hook refuses unless an optimiser implements it, and
an optimiser that implements no update says so."""

import numpy as np
import pytest

from energy.optim import SGD, Adam, Optimizer


class _NoUpdate(Optimizer):
    pass


def test_fused_update_hook_refuses_by_default_naming_the_optimiser():
    for opt, name in [(Adam([np.zeros(3)]), "Adam"),
                      (_NoUpdate([np.zeros(3)], lr=0.1), "_NoUpdate")]:
        with pytest.raises(NotImplementedError, match=rf"^{name} has no fused update; .*step\(\)"):
            opt.fused_args(0)
    assert len(SGD([np.zeros(3)], lr=0.1).fused_args(0)) == 6


def test_an_optimiser_without_an_update_says_so():
    opt = _NoUpdate([np.zeros(3)], lr=0.1)
    with pytest.raises(NotImplementedError, match="_NoUpdate must implement _update"):
        opt.step([np.ones(3)])
