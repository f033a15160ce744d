"""The first-call policy (pgm.runtime.jit): small problems take the numpy references and
compile nothing; the kernels, forced on, give the same results as the references."""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from pgm.runtime import jit
from pgm.runtime.jit import JIT_MIN_WORK, jit_policy, lazy_module, use_jit

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


def test_policy_by_size_and_forced(monkeypatch):
    monkeypatch.setattr(jit, "_SPENT", {})      # no reference time spent in this process
    for name, limit in JIT_MIN_WORK.items():
        assert not use_jit(name, limit - 1, mode="auto")
        assert use_jit(name, limit, mode="auto")
        assert use_jit(name, 0, mode="always") and not use_jit(name, 10**12, mode="never")
    with jit_policy("never"):
        assert not use_jit("energy.ising", 10**12)
        with jit_policy("always"):
            assert use_jit("energy.ising", 0)
        assert not use_jit("energy.ising", 10**12)


def test_bad_policy_is_named(monkeypatch):
    monkeypatch.setenv("PGM_ENERGY_JIT", "sometimes")
    with pytest.raises(ValueError, match="PGM_ENERGY_JIT"):
        jit.jit_mode()
    with pytest.raises(ValueError, match="mode"):
        with jit_policy("sometimes"):
            pass


def test_reference_time_buys_the_kernel(monkeypatch):
    """A dispatch point that times its reference moves to the kernel once the reference has
    cost JIT_BUY_SECONDS (a loop of small calls compiles once)."""
    monkeypatch.setattr(jit, "_SPENT", {})
    name = "energy.graphcut"
    assert not use_jit(name, 10, mode="auto")
    with jit.timed_reference(name):
        pass
    assert 0 < jit._SPENT[name] < jit.JIT_BUY_SECONDS and not use_jit(name, 10, mode="auto")
    jit._SPENT[name] += jit.JIT_BUY_SECONDS
    assert use_jit(name, 10, mode="auto")
    assert not use_jit(name, 10, mode="never")          # the forced policy still wins
    assert not use_jit("energy.ising", 10, mode="auto")  # other points keep their own account


def test_lazy_module_imports_on_first_attribute():
    name = "pgm.runtime.counter_ref"      # a module without numba, so the test imports little
    sys.modules.pop(name, None)
    m = jit.LazyModule(name)
    assert name not in sys.modules and "not loaded" in repr(m)
    assert m.GOLDEN == np.uint64(0x9E3779B97F4A7C15)
    assert name in sys.modules
    assert lazy_module("pgm.inference._jt_kernels") is lazy_module("pgm.inference._jt_kernels")


def test_weight_cap_agrees_with_the_kernel():
    from pgm.inference import _order_kernels, orders
    assert orders.WEIGHT_CAP == _order_kernels.WEIGHT_CAP


def _run(code, **env):
    e = dict(os.environ, **env)
    e.pop("PGM_ENERGY_JIT", None)
    e["PYTHONPATH"] = ROOT + os.pathsep + e.get("PYTHONPATH", "")
    r = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                       text=True, env=e, cwd=ROOT, timeout=600)
    assert r.returncode == 0, r.stderr
    return r.stdout


def test_import_loads_neither_numba_nor_heavy_scipy_nor_networkx():
    out = _run("""
        import sys
        import pgm, energy, neural
        print(sorted(m for m in ("numba", "llvmlite", "scipy.linalg", "scipy.special",
                                 "scipy.sparse", "matplotlib", "networkx") if m in sys.modules))
        """)
    assert out.strip() == "[]"


def test_small_problems_compile_no_kernel(tmp_path):
    # an empty numba cache: any kernel that ran would have been compiled here
    out = _run("""
        import sys
        import numpy as np
        from pgm import BayesianNetwork, JunctionTree, TabularCPD, VariableElimination
        from pgm import fit_mle, forward_sample
        from energy import BernoulliRBM, IsingModel, Tensor, load_example
        from neural import GRU, LSTM, RNN

        bn = BayesianNetwork([("C", "S"), ("C", "R"), ("S", "W"), ("R", "W")])
        bn.add_cpds(TabularCPD("C", 2, [0.5, 0.5]),
                    TabularCPD("S", 2, [[0.5, 0.9], [0.5, 0.1]], ["C"], [2]),
                    TabularCPD("R", 2, [[0.8, 0.2], [0.2, 0.8]], ["C"], [2]),
                    TabularCPD("W", 2, [[1.0, 0.1, 0.1, 0.01], [0.0, 0.9, 0.9, 0.99]],
                               ["S", "R"], [2, 2]))
        jt = JunctionTree(bn)
        jt.marginals({"W": 1}); jt.log_evidence({"W": 1})
        VariableElimination(bn).query(["R"], {"W": 1})
        fit_mle(bn, forward_sample(bn, 10, rng=0), pseudo_count=1.0)

        m = IsingModel(load_example("horse"))
        m.icm(); m.gibbs(n_sweeps=2, burn_in=1, rng=0); m.energy(m.y); m.graphcut()
        from energy.models import GridMRF, ab_swap, alpha_expansion
        mrf = GridMRF(np.random.default_rng(0).random((6, 7, 3)), "potts", weight=0.5)
        alpha_expansion(mrf); ab_swap(mrf); mrf.icm()

        X = (np.random.default_rng(0).random((100, 16)) < 0.5).astype(float)
        rbm = BernoulliRBM(n_components=4, n_iter=1).fit(X)
        rbm.transform(X); rbm.sample(n_samples=2, n_steps=2, rng=0)

        from neural import Conv2d, MaxPool2d
        x = Tensor(np.zeros((2, 1, 8, 8), np.float32), requires_grad=True)
        MaxPool2d(2)(Conv2d(1, 4, 3, rng=0)(x)).sum().backward()

        for cls in (LSTM, GRU, RNN):
            x = Tensor(np.zeros((5, 2, 4), np.float32), requires_grad=True)
            out = cls(4, 8, rng=0)(x)
            (out[0] if isinstance(out, tuple) else out).sum().backward()

        print("numba" in sys.modules)      # small problems never import numba
        from numba.core.registry import CPUDispatcher
        compiled = sorted(f"{n}.{k}" for n, mod in list(sys.modules.items())
                          if n.split(".")[0] in ("pgm", "energy", "neural")
                          for k, v in vars(mod).items()
                          if isinstance(v, CPUDispatcher) and v.signatures)
        loaded = sorted(n for n in sys.modules if n.startswith(("pgm", "energy", "neural"))
                        and "_kernels" in n and not n.endswith("_ref"))
        print(compiled, loaded)
        """, NUMBA_CACHE_DIR=str(tmp_path))
    assert out.split() == ["False", "[]", "[]"], out


# ------------------------------------------------------------------ kernels == references
def test_junction_tree_fused_equals_numpy():
    from pgm import JunctionTree
    from tests.pgm._bn_helpers import random_bn
    bn = random_bn(3, 9)
    ev = {bn.nodes[0]: 1}
    res = {}
    for mode in ("never", "always"):
        with jit_policy(mode):
            jt = JunctionTree(bn)
            res[mode] = jt.marginals(ev), jt.log_evidence(ev)
    assert res["never"][0].keys() == res["always"][0].keys()
    for v in res["never"][0]:
        np.testing.assert_allclose(res["never"][0][v], res["always"][0][v], rtol=1e-12,
                                   atol=1e-14)
    assert res["never"][1] == pytest.approx(res["always"][1], rel=1e-12)


def test_sampling_and_counting_kernels_equal_references():
    from pgm import fit_mle, forward_sample
    from tests.pgm._bn_helpers import random_bn
    bn = random_bn(5, 7)
    out = {}
    for mode in ("never", "always"):
        with jit_policy(mode):
            X = forward_sample(bn, 200, rng=1)
            cpds = fit_mle(bn, X, pseudo_count=1.0).cpds
            out[mode] = X, [c.values for c in cpds]
    np.testing.assert_array_equal(out["never"][0], out["always"][0])
    for a, b in zip(out["never"][1], out["always"][1]):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("connectivity, order", [(4, "checkerboard"), (8, "checkerboard"),
                                                 (4, "raster")])
def test_ising_kernels_equal_references(connectivity, order):
    from energy import IsingModel, add_flip_noise, load_example
    y = add_flip_noise(load_example("horse")[::6, ::6], 0.1, rng=0)
    out = {}
    for mode in ("never", "always"):
        with jit_policy(mode):
            m = IsingModel(y, connectivity=connectivity, order=order)
            icm = m.icm()
            gibbs = m.gibbs(n_sweeps=3, burn_in=1, rng=2)
            mf = m.mean_field(max_iter=5)
            out[mode] = (icm.x, icm.energy, gibbs.x, m.neighbour_sum(icm.x), mf.x, mf.marginals)
    for a, b in zip(out["never"][:-1], out["always"][:-1]):
        np.testing.assert_array_equal(a, b)
    # mean field: numpy's tanh and the kernel's differ in the last bit
    np.testing.assert_allclose(out["never"][-1], out["always"][-1], rtol=1e-12, atol=1e-15)


def test_rbm_fused_epoch_equals_generic_numpy_epoch():
    from energy import BernoulliRBM
    X = (np.random.default_rng(0).random((60, 10)) < 0.4).astype(float)
    out = {}
    for mode in ("never", "always"):
        with jit_policy(mode):
            m = BernoulliRBM(n_components=3, n_iter=2, batch_size=10, random_state=0).fit(X)
            out[mode] = m.components_.copy(), m.sample(n_samples=3, n_steps=4, rng=1)
    for a, b in zip(out["never"], out["always"]):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-13)


def test_recurrent_kernels_equal_engine_ops():
    from energy import Tensor
    from neural import GRU, LSTM, RNN
    for cls in (LSTM, GRU, RNN):
        out = {}
        for mode in ("never", "always"):
            with jit_policy(mode):
                m = cls(4, 6, rng=0)
                x = Tensor(np.random.default_rng(1).standard_normal((5, 2, 4)).astype(np.float32),
                           requires_grad=True)
                y = m(x)
                y = y[0] if isinstance(y, tuple) else y
                (y * y).sum().backward()
                out[mode] = [y.data, x.grad] + [p.grad for p in m.parameters()]
        for a, b in zip(out["never"], out["always"]):
            np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
