"""The one block-Gibbs sampler: schedules, argument checks, fused sweeps (an Ising model as
the model swept; its distributions are tested in tests/energy/models/test_ising.py)."""

import numpy as np
import pytest

from energy.models import IsingModel
from energy.sampling import block_gibbs, temperature_schedule


def test_schedule_and_sampler_arguments():
    t = temperature_schedule(4.0, 0.25, 5)
    np.testing.assert_allclose(t, [4, 2, 1, 0.5, 0.25])
    np.testing.assert_allclose(temperature_schedule(1.0, 0.0, 3, kind="linear"), [1, 0.5, 0])
    with pytest.raises(ValueError, match="t_end"):
        temperature_schedule(1.0, 2.0, 3)
    m = IsingModel(np.ones((4, 4)))
    with pytest.raises(ValueError, match="max_sweeps"):
        block_gibbs(m, m.initial_state(), temperature=[1.0, 0.5], max_sweeps=5)
    with pytest.raises(ValueError, match="temperature"):
        block_gibbs(m, m.initial_state(), temperature=[1.0, -0.5])
    with pytest.raises(ValueError, match="burn_in"):
        block_gibbs(m, m.initial_state(), temperature=1.0, max_sweeps=3, burn_in=3, average=True)
    with pytest.raises(TypeError, match="rng"):
        block_gibbs(m, m.initial_state(), rng="seed")
    res = block_gibbs(m, m.initial_state(), temperature=[2.0, 1.0, 0.0, 0.0, 0.0], rng=0)
    assert res.temperatures[-1] == 0 and res.n_sweeps <= 5


def test_sampler_uses_a_models_fused_sweep_and_it_equals_the_block_loop():
    rng = np.random.default_rng(8)
    y = rng.choice([-1, 1], size=(23, 37))
    m = IsingModel(y, beta=0.9, eta=1.3, h=0.1)
    a = m.initial_state()
    b = m.initial_state()
    for _ in range(3):
        assert m.sweep(a, 0.0, None) == sum(m.sample_block(b, c, 0.0, None) for c in m.blocks)
        np.testing.assert_array_equal(a, b)

    class Counting:
        blocks = (0, 1)
        calls = 0

        def sweep(self, state, T, rng):
            Counting.calls += 1
            return 0

        def sample_block(self, state, block, T, rng):   # must not be used
            raise AssertionError("sample_block called although sweep exists")

        def state_energy(self, state):
            return 0.0

    res = block_gibbs(Counting(), None, temperature=0.0, max_sweeps=5)
    assert Counting.calls == 1 and res.converged
