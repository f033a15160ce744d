"""The examples in the docstrings of pgm are true."""

import doctest
import importlib

import pytest

MODULES = ["pgm", "pgm.dag", "pgm.factor", "pgm.cpd", "pgm.bayesnet", "pgm.inference",
           "pgm.sampling", "pgm.learning", "pgm.bif"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    mod = importlib.import_module(name)
    res = doctest.testmod(mod, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert res.failed == 0
    assert res.attempted > 0 or name == "pgm"
