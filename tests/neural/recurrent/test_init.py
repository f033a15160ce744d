"""The neural.recurrent package as a whole: its docstring examples."""

import importlib


def test_docstring_examples_run():
    import doctest

    # the examples of the former single module neural/recurrent.py, now over its subpackage
    attempted = 0
    for name in ("", ".functional", ".layers", ".mdrnn", ".lm", ".diagnostics"):
        mod = importlib.import_module("neural.recurrent" + name)
        res = doctest.testmod(mod, optionflags=doctest.ELLIPSIS)
        assert res.failed == 0, name
        attempted += res.attempted
    assert attempted > 20
