"""Tables: data frames (pandas, or any object with .columns) in fit_mle, log_prob, evidence."""

import sys

import numpy as np
import pytest

from pgm import DAG, BayesianNetwork, TabularCPD, fit_mle, forward_sample, loads_bif
from pgm.io import dumps_bif

from tests.pgm._bn_helpers import random_bn


class MiniFrame:
    """The least a table needs: ``.columns``, ``df[c]`` giving a sequence, an ``index``."""

    def __init__(self, cols, index=None):
        self._cols = {k: list(v) for k, v in cols.items()}
        self.columns = list(cols)
        n = len(next(iter(self._cols.values())))
        self.index = list(range(n)) if index is None else list(index)

    def __getitem__(self, k):
        return self._cols[k]


def _labelled():
    """A network with string states (as read from a BIF file) and its label data."""
    bn = random_bn(3, 4, max_parents=2, max_card=3, named_states=True)
    bn = loads_bif(dumps_bif(bn))
    X = forward_sample(bn, 3000, rng=5)
    labels = {v: [bn.state_names[v][i] for i in X[:, k]] for k, v in enumerate(bn.nodes)}
    return bn, X, labels


def test_duck_typed_frame_in_fit_log_prob_and_evidence():
    bn, X, labels = _labelled()
    df = MiniFrame(labels)
    fit = fit_mle(bn, df, unseen="uniform")
    ref = fit_mle(DAG(bn.edges, bn.nodes), X, cardinality=bn.cardinality, unseen="uniform")
    for v in bn.nodes:  # the labels mean the network's states, in its order
        assert fit.state_names[v] == bn.state_names[v]
        np.testing.assert_array_equal(fit.get_cpd(v).values, ref.get_cpd(v).values)
    np.testing.assert_array_equal(bn.log_prob(df), bn.log_prob(X))
    v0 = bn.nodes[0]
    one = MiniFrame({v0: [bn.state_names[v0][1]]})
    assert bn.encode_evidence(one) == {v0: 1}


def test_counts_by_hand_from_labels():
    df = MiniFrame({"A": ["x", "y", "y", "y"], "B": ["u", "u", "v", "v"]})
    bn = fit_mle(DAG([("A", "B")]), df)
    assert bn.state_names["A"] == ("x", "y")
    np.testing.assert_allclose(bn.get_cpd("B").values, [[1.0, 1 / 3], [0.0, 2 / 3]])


def test_frame_errors_name_column_row_and_problem():
    bn, X, labels = _labelled()
    v = bn.nodes[1]
    bad = dict(labels)
    bad[v] = list(bad[v])
    bad[v][7] = "nonsense"
    with pytest.raises(ValueError, match=rf"data\['{v}'\]: 'nonsense' at row 7 \(index 'r7'\) is not a state"):
        bn.log_prob(MiniFrame(bad, index=[f"r{i}" for i in range(len(X))]))
    with pytest.raises(ValueError, match=rf"data\['{v}'\]: value 'nonsense' is not one of .*at row 7"):
        fit_mle(bn, MiniFrame(bad))
    bad[v][7] = None
    bad[v][9] = float("nan")
    for call in (bn.log_prob, lambda d: fit_mle(bn, d)):
        with pytest.raises(ValueError, match=rf"\['{v}'\]: 2 missing value\(s\), the first at row 7;"
                                             r".*not imputed"):
            call(MiniFrame(bad))
    with pytest.raises(ValueError, match=r"column\(s\) \['extra'\] are not"):
        bn.log_prob(MiniFrame({**labels, "extra": [0] * len(X)}))
    with pytest.raises(ValueError, match=r"no column for"):
        fit_mle(bn, MiniFrame({v: labels[v]}))
    with pytest.raises(ValueError, match="one row"):
        bn.encode_evidence(MiniFrame({v: labels[v][:2]}))
    with pytest.raises(ValueError, match="is not a variable"):
        bn.encode_evidence(MiniFrame({"nobody": [0]}))


def test_int_columns_are_indices_for_named_states():
    bn, X, _ = _labelled()
    cols = {v: X[:, k].astype(np.int64) for k, v in enumerate(bn.nodes)}
    np.testing.assert_array_equal(bn.log_prob(MiniFrame(cols)), bn.log_prob(X))


def test_pandas_frames():
    pd = pytest.importorskip("pandas")
    bn, X, labels = _labelled()
    df = pd.DataFrame(labels)
    np.testing.assert_array_equal(bn.log_prob(df), bn.log_prob(X))
    fit = fit_mle(bn, df, unseen="uniform")
    ref = fit_mle(DAG(bn.edges, bn.nodes), X, cardinality=bn.cardinality, unseen="uniform")
    for v in bn.nodes:
        np.testing.assert_array_equal(fit.get_cpd(v).values, ref.get_cpd(v).values)
    cat = df.astype("category")  # categorical columns read as their labels
    np.testing.assert_array_equal(bn.log_prob(cat), bn.log_prob(X))
    v = bn.nodes[2]
    assert bn.encode_evidence(df.iloc[[4]]) == {u: int(X[4, k]) for k, u in enumerate(bn.nodes)}
    df.loc[11, v] = None
    df.index = [f"s{i}" for i in range(len(df))]
    with pytest.raises(ValueError, match=rf"\['{v}'\]: 1 missing value\(s\), the first at row 11 "
                                         r"\(index 's11'\)"):
        fit_mle(bn, df)


def test_forward_sample_as_frame():
    pd = pytest.importorskip("pandas")
    bn, _, _ = _labelled()
    X = forward_sample(bn, 500, rng=9)
    df = forward_sample(bn, 500, rng=9, as_frame=True)
    assert isinstance(df, pd.DataFrame) and list(df.columns) == list(bn.nodes)
    for k, v in enumerate(bn.nodes):
        assert df[v].tolist() == [bn.state_names[v][i] for i in X[:, k]]
    ints = BayesianNetwork([("A", "B")])
    ints.add_cpds(TabularCPD("A", 2, [0.5, 0.5]), TabularCPD("B", 2, [[1, 0], [0, 1]], ["A"], [2]))
    d2 = forward_sample(ints, 50, rng=1, as_frame=True)
    assert d2["A"].dtype.kind == "i" and (d2["A"] == d2["B"]).all()


def test_forward_sample_as_frame_without_pandas(monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)  # import pandas now raises ImportError
    bn, _, _ = _labelled()
    with pytest.raises(ImportError, match=r"as_frame=True\) needs pandas.*as_frame=False"):
        forward_sample(bn, 5, rng=0, as_frame=True)
