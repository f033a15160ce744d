"""The grid MRF and pgm's Markov networks check each other: the exact engines of pgm on
GridMRF.to_markov_network() against brute-force enumeration of GridMRF.energy, and the
minimisers of energy/ against pgm's exact MAP."""

import itertools

import numpy as np
import pytest
from scipy.special import logsumexp

from energy.models import GridMRF, alpha_expansion, loopy_bp
from pgm import JunctionTree, LoopyBP, VariableElimination


def _all_energies(model):
    H, W = model.shape
    K = model.n_labels
    labs = list(itertools.product(range(K), repeat=H * W))
    return labs, np.array([model.energy(np.array(f).reshape(H, W)) for f in labs])


@pytest.mark.parametrize("pairwise, conn", [("potts", 4), ("truncated_linear", 8),
                                            ("truncated_quadratic", 4)])
def test_exact_engines_agree_with_enumeration(pairwise, conn):
    rng = np.random.default_rng(3)
    unary = rng.exponential(size=(2, 3, 3))
    trunc = None if pairwise == "potts" else 2.0
    model = GridMRF(unary, pairwise, weight=0.7, truncation=trunc, connectivity=conn)
    labs, E = _all_energies(model)
    mn = model.to_markov_network()
    # log Z of p(f) ∝ exp(-E(f))
    assert JunctionTree(mn).log_partition_function() == pytest.approx(logsumexp(-E), abs=1e-10)
    # marginals of one site
    p = np.exp(-E - logsumexp(-E))
    site0 = np.array([p[[f[0] == k for f in labs]].sum() for k in range(3)])
    np.testing.assert_allclose(JunctionTree(mn).marginals()[(0, 0)], site0, atol=1e-12)
    # the exact MAP is the minimiser of the energy
    best = np.array(labs[int(np.argmin(E))]).reshape(2, 3)
    mp = VariableElimination(mn).map_query()
    got = np.array([[mp[(i, j)] for j in range(3)] for i in range(2)])
    assert model.energy(got) == pytest.approx(E.min(), abs=1e-12)
    np.testing.assert_array_equal(got, best)


def test_energy_minimisers_against_pgm_map():
    rng = np.random.default_rng(5)
    model = GridMRF(rng.exponential(size=(1, 6, 4)), "truncated_linear", weight=1.5,
                    truncation=2.0)
    mn = model.to_markov_network()
    mp = VariableElimination(mn).map_query()
    exact = np.array([[mp[(0, j)] for j in range(6)]])
    # a chain: min-sum BP on the grid and max-product BP in pgm are both exact
    assert loopy_bp(model).energy == pytest.approx(model.energy(exact), abs=1e-12)
    bp = LoopyBP(mn, tol=1e-12).map_query()
    assert [bp[(0, j)] for j in range(6)] == exact[0].tolist()
    # alpha-expansion: within the factor-2c bound (c = 2 for truncation 2 on unit steps)
    assert alpha_expansion(model).energy <= 4 * model.energy(exact) + 1e-12


def test_size_limit_named():
    with pytest.raises(ValueError, match="max_sites=400"):
        GridMRF(np.zeros((30, 30, 2))).to_markov_network()
