"""The Ising engine and the pgm engines check each other on small grids: the Ising model's
own Gibbs sampler and graph-cut MAP against the junction tree's exact marginals and the
exact MAP of its Markov network (IsingModel.to_markov_network)."""

import itertools

import numpy as np
import pytest
from scipy import stats

from energy.models import IsingModel
from pgm import JunctionTree, LoopyBP, VariableElimination


def _model(seed, connectivity, shape=(3, 4)):
    """The same total coupling per site on both grids (beta 0.6 with 4 neighbours, 0.3 with
    8). With beta 0.6 on the 8-grid the single-site sampler leaves the dominant mode so
    rarely that runs of 800 sweeps from y are biased by ~0.006 (p ~ 1e-11 against the exact
    marginals; runs of 10,000 sweeps agree, p = 0.04): slow mixing, not a wrong sampler."""
    rng = np.random.default_rng(seed)
    y = rng.choice([-1, 1], size=shape)
    return IsingModel(y, beta=2.4 / connectivity, eta=0.8, h=0.15, connectivity=connectivity)


def _p_plus(mn, shape, T=1.0):
    m = JunctionTree(mn).marginals()
    return np.array([[m[(i, j)][1] for j in range(shape[1])] for i in range(shape[0])])


@pytest.mark.parametrize("connectivity", [4, 8])
def test_factors_give_the_energy(connectivity):
    model = _model(0, connectivity)
    T = 1.7
    mn = model.to_markov_network(T)
    n_edges = model.to_networkx().number_of_edges()
    assert len(mn.factors) == 12 + n_edges
    assert all(mn.state_names[v] == [-1, 1] for v in mn.variables)
    rng = np.random.default_rng(1)
    logw = []
    energies = []
    for _ in range(20):
        x = rng.choice([-1, 1], size=(3, 4))
        lw = sum(float(np.log(f.values[tuple(int(x[u] > 0) for u in f.variables)]))
                 for f in mn.factors)
        logw.append(lw)
        energies.append(model.energy(x))
    # log Π φ = −E / T exactly (no constant: the factors carry the energy and nothing else)
    np.testing.assert_allclose(logw, -np.array(energies) / T, atol=1e-10)


@pytest.mark.parametrize("connectivity", [4, 8])
def test_gibbs_marginals_against_the_junction_tree(connectivity):
    model = _model(2, connectivity)
    exact = _p_plus(model.to_markov_network(), model.shape)
    # independent runs of the Ising engine's own sampler (fixed seeds): a t-test per pixel
    runs = np.array([model.gibbs(1.0, n_sweeps=800, burn_in=50, rng=s).marginals
                     for s in range(16)])
    se = runs.std(axis=0, ddof=1) / np.sqrt(len(runs))
    t = (runs.mean(axis=0) - exact) / se
    p = 2 * stats.t.sf(np.abs(t), df=len(runs) - 1)
    print(f"connectivity {connectivity}: max |Gibbs - exact| = "
          f"{np.abs(runs.mean(axis=0) - exact).max():.4f}, min p = {p.min():.3g}")
    assert p.min() > 1e-5 / 12  # Bonferroni over the 12 pixels
    # the test has power: the marginals at another temperature are rejected
    other = _p_plus(model.to_markov_network(1.5), model.shape)
    t_other = (runs.mean(axis=0) - other) / se
    assert (2 * stats.t.sf(np.abs(t_other), df=len(runs) - 1)).min() < 1e-6


@pytest.mark.parametrize("seed, connectivity", [(3, 4), (4, 4), (5, 8), (6, 8)])
def test_graphcut_map_equals_exact_map(seed, connectivity):
    model = _model(seed, connectivity)
    mn = model.to_markov_network()
    assign = VariableElimination(mn).map_query()
    x_exact = np.array([[assign[(i, j)] for j in range(4)] for i in range(3)])
    x_cut = model.graphcut().x
    # and both against enumeration of the 4,096 states
    states = np.array(list(itertools.product([-1, 1], repeat=12))).reshape(-1, 3, 4)
    e = np.array([model.energy(s) for s in states])
    assert model.energy(x_cut) == pytest.approx(e.min(), abs=1e-9)
    assert model.energy(x_exact) == pytest.approx(e.min(), abs=1e-9)
    if np.sum(np.isclose(e, e.min())) == 1:  # a unique minimiser: the same image
        np.testing.assert_array_equal(x_cut, x_exact)


def test_loopy_bp_on_the_grid_is_close():
    model = _model(7, 4)
    mn = model.to_markov_network()
    bp = LoopyBP(mn)
    assert bp.run().converged
    b = bp.marginals()
    exact = _p_plus(mn, model.shape)
    approx = np.array([[b[(i, j)][1] for j in range(4)] for i in range(3)])
    err = np.abs(approx - exact).max()
    print(f"loopy BP on a 3x4 Ising grid: max marginal error {err:.2e}")
    assert err < 0.05


def test_large_images_are_refused():
    model = IsingModel(np.ones((21, 20), dtype=int))
    with pytest.raises(ValueError, match=r"21x20 = 420 pixels, more than max_pixels=400"):
        model.to_markov_network()
    assert len(model.to_markov_network(max_pixels=420).variables) == 420
    with pytest.raises(ValueError, match="temperature"):
        model.to_markov_network(0.0)
