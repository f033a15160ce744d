"""Discrete factors: product, marginalisation and reduction against loops; errors."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from pgm import DiscreteFactor, factor_product




@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_factor_product_marginalize_reduce_vs_loops(seed):
    rng = np.random.default_rng(seed)
    cards = {"A": 2, "B": 3, "C": 4, "D": 2}
    fa = DiscreteFactor(["B", "A"], rng.random((3, 2)))
    fb = DiscreteFactor(["C", "B", "D"], rng.random((4, 3, 2)))
    p = factor_product(fa, fb)
    assert p.variables == ("B", "A", "C", "D")
    for b in range(3):
        for a in range(2):
            for c in range(4):
                for d in range(2):
                    assert p.values[b, a, c, d] == pytest.approx(fa.values[b, a] * fb.values[c, b, d])
    m = p.marginalize(["B", "D"])
    assert m.variables == ("A", "C")
    np.testing.assert_allclose(m.values, p.values.sum(axis=(0, 3)))
    r = p.reduce({"C": 3, "A": 1})
    np.testing.assert_allclose(r.values, p.values[:, 1, 3, :])
    n = p.normalize()
    assert n.values.sum() == pytest.approx(1.0)
    assert p.maximize(["A"]).values.shape == (3, 4, 2)
    assert p.transpose(["D", "C", "B", "A"]).allclose(p)
    assert set(cards) >= set(p.variables)


def test_factor_errors():
    with pytest.raises(ValueError, match="cardinality 2 in one factor and 3"):
        factor_product(DiscreteFactor(["A"], [1, 2]), DiscreteFactor(["A"], [1, 2, 3]))
    with pytest.raises(ValueError, match="expected a 2-D table"):
        DiscreteFactor(["A", "B"], [1, 2])
    with pytest.raises(ValueError, match="must be >= 0"):
        DiscreteFactor(["A"], [1, -2])
    with pytest.raises(ValueError, match="finite"):
        DiscreteFactor(["A"], [1, np.nan])
    with pytest.raises(ValueError, match="sums to 0"):
        DiscreteFactor(["A"], [0.0, 0.0]).normalize()
    with pytest.raises(ValueError, match="'Z' is not in this factor"):
        DiscreteFactor(["A"], [1, 2]).marginalize(["Z"])
    with pytest.raises(ValueError, match="unique"):
        DiscreteFactor(["A", "A"], np.ones((2, 2)))
