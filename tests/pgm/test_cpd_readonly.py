"""CPD tables cannot be made writeable from outside (setflags(write=True) on the table, its
2-D view or any base fails), so an inference engine built on a network never sees a table
edited, unnormalised, behind its back."""

import numpy as np
import pytest

from pgm import LinearGaussianCPD
from tests.pgm._bn_helpers import sprinkler


def _chain(a):
    while isinstance(a, np.ndarray):
        yield a
        a = a.base


def test_cpd_tables_cannot_be_made_writeable():
    bn = sprinkler()
    for v in bn.nodes:
        cpd = bn.get_cpd(v)
        for arr in (cpd.table, cpd.values):
            for a in _chain(arr):
                with pytest.raises(ValueError, match="WRITEABLE"):
                    a.setflags(write=True)
            with pytest.raises(ValueError, match="read-only"):
                arr[(0,) * arr.ndim] = 0.5
        assert cpd.table.flags.aligned and cpd.table.flags.c_contiguous
    w = LinearGaussianCPD("y", 0.0, [1.0, 2.0], ["a", "b"]).weights
    for a in _chain(w):
        with pytest.raises(ValueError, match="WRITEABLE"):
            a.setflags(write=True)


def test_a_copied_cpd_is_equal_and_still_protected():
    cpd = sprinkler().get_cpd("WetGrass")
    c2 = cpd.copy()
    assert c2 == cpd and c2.table is not cpd.table
    with pytest.raises(ValueError):
        c2.table.setflags(write=True)
    np.testing.assert_allclose(c2.table.sum(axis=0), 1.0)
