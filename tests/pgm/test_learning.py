"""Maximum-likelihood estimation of tabular CPDs."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from scipy import stats

from pgm import DAG, fit_mle

from tests.pgm._bn_helpers import random_bn


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
