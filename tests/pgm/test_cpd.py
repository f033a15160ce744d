"""Tabular and linear-Gaussian CPDs: validation messages, shapes, read-only values, tolerance."""

import numpy as np
import pytest
from pgm import LinearGaussianCPD, TabularCPD




def test_column_summing_to_1009_fails_with_column_and_deviation():
    with pytest.raises(ValueError) as ei:
        TabularCPD("X", 2, [[0.5, 0.3], [0.5, 0.709]], ["P"], [2],
                   state_names={"P": ["lo", "hi"]})
    msg = str(ei.value)
    assert "'X'" in msg and "column 1 (P=hi)" in msg and "1.009" in msg
    assert "+9.000e-03" in msg and "atol=1e-08" in msg


def test_columns_11_and_06_both_reported():
    with pytest.raises(ValueError, match=r"column 0 \(A=0\) sums to 1.1.*1 more column"):
        TabularCPD("X", 2, [[0.6, 0.3], [0.5, 0.3]], ["A"], [2])


@pytest.mark.parametrize("bad, pat", [(np.nan, "finite, found nan"), (np.inf, "finite, found inf"),
                                      (-0.1, ">= 0, found -0.1")])
def test_nan_inf_negative_rejected(bad, pat):
    with pytest.raises(ValueError, match=pat):
        TabularCPD("X", 2, [[bad, 0.5], [1.1, 0.5]], ["A"], [2])


def test_shapes_cards_and_state_names():
    with pytest.raises(ValueError, match=r"shape \(2, 4\)"):
        TabularCPD("X", 2, np.full((2, 3), 0.5), ["A", "B"], [2, 2])
    with pytest.raises(ValueError, match="3 names .* for a 2-state variable"):
        TabularCPD("X", 2, [0.5, 0.5], state_names={"X": ["a", "b", "c"]})
    with pytest.raises(ValueError, match="1 names"):
        TabularCPD("X", 2, [[0.5, 0.5], [0.5, 0.5]], ["A"], [2], state_names={"A": ["a"]})
    with pytest.raises(ValueError, match="neither the variable nor one of its parents"):
        TabularCPD("X", 2, [0.5, 0.5], state_names={"Y": ["a", "b"]})
    with pytest.raises(TypeError, match="cardinality"):
        TabularCPD("X", 2.0, [0.5, 0.5])
    with pytest.raises(ValueError, match="parents_card has 1"):
        TabularCPD("X", 2, [0.5, 0.5], ["A", "B"], [2])
    with pytest.raises(ValueError, match="own parent"):
        TabularCPD("X", 2, [[0.5, 0.5], [0.5, 0.5]], ["X"], [2])


def test_cpd_values_are_read_only():
    cpd = TabularCPD("X", 2, [[0.2, 0.4], [0.8, 0.6]], ["A"], [2])
    with pytest.raises(ValueError, match="read-only"):
        cpd.values[0, 0] = 0.9
    with pytest.raises(ValueError, match="read-only"):
        cpd.table[1, 1] = 0.9
    with pytest.raises(AttributeError):
        cpd.values = np.ones((2, 2))
    src = np.array([0.3, 0.7])
    c2 = TabularCPD("Y", 2, src)
    src[0] = 5.0  # the CPD holds its own copy
    assert c2.values[0, 0] == 0.3


def test_tolerance_is_stated_and_adjustable():
    TabularCPD("X", 2, [0.5, 0.5 + 5e-9])  # within 1e-8
    with pytest.raises(ValueError, match="atol=1e-08"):
        TabularCPD("X", 2, [0.5, 0.5 + 5e-8])
    TabularCPD("X", 2, [0.5, 0.5 + 5e-8], atol=1e-6)


def test_linear_gaussian_bad_input():
    with pytest.raises(ValueError, match="std must be finite and > 0, got -1.0"):
        LinearGaussianCPD("y", 0.0, std=-1.0)
    with pytest.raises(ValueError, match="std"):
        LinearGaussianCPD("y", 0.0, std=0.0)
    with pytest.raises(ValueError, match="bias .* must be finite, got nan"):
        LinearGaussianCPD("y", float("nan"))
    with pytest.raises(ValueError, match="weights must be finite"):
        LinearGaussianCPD("y", 0.0, [np.inf], ["x"])
    with pytest.raises(ValueError, match="2 weights for 1 parents"):
        LinearGaussianCPD("y", 0.0, [1.0, 2.0], ["x"])
    c = LinearGaussianCPD("y", 0.0, [1.0], ["x"])
    with pytest.raises(ValueError, match="read-only"):
        c.weights[0] = 3.0
