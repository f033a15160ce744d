"""MLE fitting, BIF round trips and malformed files, linear-Gaussian networks."""

import os

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from scipy import stats

from pgm import (DAG, BIFError, BayesianNetwork, LinearGaussianBayesianNetwork, LinearGaussianCPD,
                 TabularCPD, dumps_bif, fit_mle, loads_bif, read_bif, write_bif)

from tests.pgm._bn_helpers import random_bn, sprinkler


# ---------------------------------------------------------------- MLE
def test_mle_counts_by_hand_and_laplace():
    X = np.array([[0, 0], [0, 1], [1, 1], [1, 1], [1, 0]])
    bn = fit_mle(DAG([("A", "B")]), X)
    np.testing.assert_allclose(bn.get_cpd("A").values[:, 0], [2 / 5, 3 / 5])
    np.testing.assert_allclose(bn.get_cpd("B").values, [[1 / 2, 1 / 3], [1 / 2, 2 / 3]])
    bn1 = fit_mle(DAG([("A", "B")]), X, pseudo_count=1.0)
    np.testing.assert_allclose(bn1.get_cpd("B").values, [[2 / 4, 2 / 5], [2 / 4, 3 / 5]])


def test_mle_labels_and_unseen_label_state():
    data = {"A": np.array(["x", "y", "y"]), "B": np.array(["u", "u", "v"])}
    bn = fit_mle(DAG([("A", "B")]), data)
    assert bn.state_names["A"] == ("x", "y") and bn.state_names["B"] == ("u", "v")
    np.testing.assert_allclose(bn.get_cpd("B").values, [[1.0, 0.5], [0.0, 0.5]])
    with pytest.raises(ValueError, match=r"node 'B' has no rows with parents \(A=z\)"):
        fit_mle(DAG([("A", "B")]), data, state_names={"A": ["x", "y", "z"]})
    with pytest.raises(ValueError, match=r"data\['A'\]: value 'y' is not one of the state_names"):
        fit_mle(DAG([("A", "B")]), data, state_names={"A": ["x", "z"]})


def test_mle_unseen_configuration_policy():
    X = np.array([[0, 0], [0, 1]])
    with pytest.raises(ValueError, match=r"no rows with parents \(A=1\).*pseudo_count"):
        fit_mle(DAG([("A", "B")]), X, cardinality={"A": 2, "B": 2})
    bn = fit_mle(DAG([("A", "B")]), X, cardinality={"A": 2, "B": 2}, unseen="uniform")
    np.testing.assert_allclose(bn.get_cpd("B").values[:, 1], [0.5, 0.5])
    with pytest.raises(ValueError, match=r"row 1, column 'B' holds state 3 but cardinality\['B'\] = 2"):
        fit_mle(DAG([("A", "B")]), np.array([[0, 0], [0, 3]]), cardinality={"B": 2})
    with pytest.raises(ValueError, match=r"shape \(n_samples, 2\)"):
        fit_mle(DAG([("A", "B")]), np.zeros((4, 3), dtype=int))
    with pytest.raises(TypeError, match="integer state indices"):
        fit_mle(DAG([("A", "B")]), np.zeros((4, 2)))
    with pytest.raises(ValueError, match="pseudo_count"):
        fit_mle(DAG([("A", "B")]), X, pseudo_count=-1)


def test_mle_columns_fix_the_states():
    X = np.array([[0, 0], [0, 1]])
    bn = fit_mle(DAG([("A", "B")]), X, cardinality={"A": 2, "B": 2}, pseudo_count=0.5)
    assert bn.get_cpd("B").values.shape == (2, 2)


@settings(max_examples=8, deadline=None)
@given(st.tuples(st.integers(0, 2**32 - 1), st.integers(1, 5)))
def test_mle_on_samples_converges_to_the_generating_cpds(p):
    bn = random_bn(*p, max_parents=2, max_card=3, alpha=2.0)
    n = 200_000
    X = bn.sample(n, rng=99)
    fit = fit_mle(bn, X, cardinality=bn.cardinality, unseen="uniform")
    col = {v: i for i, v in enumerate(bn.nodes)}
    for v in bn.nodes:
        true = bn.get_cpd(v).values
        est = fit.get_cpd(v).values
        # rows per parent configuration, to scale the tolerance by the column's own count
        pa = bn.parents(v)
        if pa:
            idx = np.ravel_multi_index(tuple(X[:, col[u]].astype(np.intp) for u in pa),
                                       bn.get_cpd(v).parents_card)
            nj = np.bincount(idx, minlength=true.shape[1])
        else:
            nj = np.array([n])
        # the MLE is a count / n_j: each cell's count is Binomial(n_j, p), test it exactly
        for j in np.flatnonzero(nj > 0):
            k = np.rint(est[:, j] * nj[j]).astype(int)
            assert k.sum() == nj[j]
            for r in range(true.shape[0]):
                assert stats.binomtest(int(k[r]), int(nj[j]), true[r, j]).pvalue > 1e-7, (v, r, j)
        # and converges: the heavily observed columns are close in absolute terms
        big = nj >= 10_000
        assert np.all(np.abs(est - true)[:, big] < 0.02)


# ---------------------------------------------------------------- BIF
@settings(max_examples=60, deadline=None)
@given(st.tuples(st.integers(0, 2**32 - 1), st.integers(1, 8)))
def test_bif_write_read_round_trips_exactly(p):
    bn = random_bn(*p, named_states=True)
    bn2 = loads_bif(dumps_bif(bn))
    assert bn2.nodes == bn.nodes
    assert set(bn2.edges) == set(bn.edges)
    for v in bn.nodes:
        assert bn2.get_cpd(v) == bn.get_cpd(v)  # bit-exact tables, same state names and parents


def test_bif_file_no_overwrite_and_atomic(tmp_path):
    bn = sprinkler()
    path = tmp_path / "sprinkler.bif"
    write_bif(bn, path)
    before = path.read_bytes()
    with pytest.raises(FileExistsError, match="overwrite=True"):
        write_bif(bn, path)
    assert path.read_bytes() == before
    write_bif(bn, path, overwrite=True)
    assert os.listdir(tmp_path) == ["sprinkler.bif"]  # no temporary left behind
    bn2 = read_bif(path)
    for v in bn.nodes:
        assert bn2.get_cpd(v) == bn.get_cpd(v)


def test_bif_writer_refuses_unwritable_names():
    bn = BayesianNetwork(nodes=["has space"])
    bn.add_cpds(TabularCPD("has space", 2, [0.5, 0.5]))
    with pytest.raises(ValueError, match="'has space' cannot be written"):
        dumps_bif(bn)


GOOD = """network test {
}
variable A {
  type discrete [ 2 ] { a0, a1 };
}
variable B {
  type discrete [ 2 ] { b0, b1 };
  property foo bar;
}
probability ( A ) {
  table 0.3, 0.7;
}
probability ( B | A ) {
  (a0) 0.9, 0.1;
  (a1) 0.2, 0.8;
}
"""


def test_bif_reads_the_good_file_with_comments():
    bn = loads_bif("// header\n/* block\ncomment */\n" + GOOD)
    assert bn.nodes == ("A", "B") and bn.name == "test"
    np.testing.assert_array_equal(bn.get_cpd("B").values, [[0.9, 0.2], [0.1, 0.8]])
    t = GOOD.replace("(a0) 0.9, 0.1;\n  (a1) 0.2, 0.8;", "table 0.9, 0.2, 0.1, 0.8;")
    np.testing.assert_array_equal(loads_bif(t).get_cpd("B").values, [[0.9, 0.2], [0.1, 0.8]])


@pytest.mark.parametrize("old, new, pat", [
    ("type discrete [ 2 ] { a0, a1 };", "type discrete [ 3 ] { a0, a1 };",
     r":4: variable 'A' declares \[ 3 \] states but lists 2"),
    ("(a1) 0.2, 0.8;", "(a2) 0.2, 0.8;", r":15: 'a2' is not a state of parent 'A'"),
    ("(a1) 0.2, 0.8;", "", r":13: probability block of 'B' has 1 of 2 parent configurations; missing e.g. \('a1',\)"),
    ("(a1) 0.2, 0.8;", "(a1) 0.2, 0.8, 0.0;", r":15: row \('a1',\) of 'B' has 3 probabilities, expected 2"),
    ("table 0.3, 0.7;", "table 0.3, 0.6;", r":10: TabularCPD 'A': column 0 \(no parents\) sums to 0.9"),
    ("table 0.3, 0.7;", "table 0.3, x7;", r":11: expected a number, got 'x7'"),
    ("table 0.3, 0.7;", "table 0.3 0.7;", r":11: expected ',' or ';' in a list of probabilities, got '0.7'"),
    ("probability ( B | A ) {", "probability ( B | C ) {", r":13: probability block uses 'C', which has no variable"),
    ("variable B {", "variable B ", r":7: expected '\{', got 'type'"),
    ("(a0) 0.9, 0.1;", "(a0) 0.9, nan;", r"finite"),
    ("(a0) 0.9, 0.1;", "(a1) 0.9, 0.1;", r":15: parent states \('a1',\) of 'B' given twice \(first on line 14\)"),
    ("probability ( A ) {\n  table 0.3, 0.7;\n}", "", r":3: variable 'A' has no probability block"),
    ("network test {", "netwerk test {", r":1: expected 'network', 'variable' or 'probability', got 'netwerk'"),
])
def test_malformed_bif_names_line_and_expectation(old, new, pat):
    assert old in GOOD
    with pytest.raises(BIFError, match=pat):
        loads_bif(GOOD.replace(old, new))


def test_bif_cycle_and_truncation():
    cyc = GOOD + "probability ( A | B ) {\n (b0) 0.5, 0.5;\n (b1) 0.5, 0.5;\n}\n"
    with pytest.raises(BIFError, match="second probability block for 'A'"):
        loads_bif(cyc)
    with pytest.raises(BIFError, match="end of file"):
        loads_bif(GOOD[:-3])


def test_read_bif_gzip(tmp_path):
    import gzip
    p = tmp_path / "g.bif.gz"
    p.write_bytes(gzip.compress(GOOD.encode()))
    assert read_bif(p).nodes == ("A", "B")


# ---------------------------------------------------------------- linear Gaussian
def _random_lg(seed, n):
    rng = np.random.default_rng(seed)
    names = [f"x{i}" for i in range(n)]
    edges = []
    cpds = []
    for i in range(n):
        pa = [names[j] for j in range(i) if rng.random() < 0.5]
        edges += [(p, names[i]) for p in pa]
        cpds.append(LinearGaussianCPD(names[i], float(rng.normal()), rng.normal(size=len(pa)),
                                      pa, std=float(rng.uniform(0.3, 2.0))))
    g = LinearGaussianBayesianNetwork(edges, nodes=names)
    g.add_cpds(*cpds)
    return g


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 6))
def test_linear_gaussian_joint_is_spd_and_its_density_matches(seed, n):
    g = _random_lg(seed, n)
    mean, cov = g.to_joint_gaussian()
    np.testing.assert_allclose(cov, cov.T)
    assert np.linalg.eigvalsh(cov).min() > 0
    X = g.sample(5, rng=seed % 1000)
    # the product of the conditionals equals the implied joint Gaussian's density, exactly
    np.testing.assert_allclose(g.log_prob(X), stats.multivariate_normal(mean, cov).logpdf(X).reshape(-1),
                               rtol=1e-8, atol=1e-8)


@settings(max_examples=6, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(2, 5))
def test_linear_gaussian_sample_covariance_matches(seed, n):
    g = _random_lg(seed, n)
    mean, cov = g.to_joint_gaussian()
    N = 200_000
    X = g.sample(N, rng=1)
    sd = np.sqrt(np.diag(cov))
    corr = cov / np.outer(sd, sd)
    # standard error of a sample covariance entry: sqrt((s_ii s_jj + s_ij^2) / N)
    se = np.sqrt((np.outer(np.diag(cov), np.diag(cov)) + cov ** 2) / N)
    assert np.all(np.abs(np.cov(X.T) - cov) <= 6 * se)
    assert np.all(np.abs(X.mean(axis=0) - mean) <= 6 * sd / np.sqrt(N))
    assert np.all(np.abs(corr) <= 1 + 1e-12)


def test_linear_gaussian_normalization_integral():
    g = _random_lg(3, 2)
    rep = g.check_normalization()
    assert rep.ok and rep.global_sum == pytest.approx(1.0, abs=1e-6)
    g1 = _random_lg(4, 1)
    assert g1.check_normalization().global_sum == pytest.approx(1.0, abs=1e-8)


def test_linear_gaussian_model_errors():
    g = LinearGaussianBayesianNetwork([("x", "y")])
    with pytest.raises(ValueError, match="parents"):
        g.add_cpds(LinearGaussianCPD("y", 0.0))
    with pytest.raises(TypeError, match="LinearGaussianCPD"):
        g.add_cpds(TabularCPD("x", 2, [0.5, 0.5]))
    g.add_cpds(LinearGaussianCPD("x", 0.0))
    with pytest.raises(ValueError, match="'y' has no CPD"):
        g.to_joint_gaussian()
