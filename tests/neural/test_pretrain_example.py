"""examples/pretrain_digits.py runs end to end with --quick (full-run figures: its docstring)."""

import importlib.util
import os

import numpy as np
import pytest

EXAMPLES = os.path.join(os.path.dirname(__file__), "..", "..", "examples")


def test_pretrain_digits_quick(tmp_path, monkeypatch):
    pytest.importorskip("sklearn")                   # the digits data ship with scikit-learn
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(EXAMPLES)            # it imports dbn_digits.py and rbm_digits.py
    spec = importlib.util.spec_from_file_location("pretrain_digits",
                                                  os.path.join(EXAMPLES, "pretrain_digits.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    acc = mod.main(["--quick"])
    assert set(acc) == {f"{arm}, {r}" for arm in ("random init", "RBM", "AE", "DAE")
                        for r in ("A", "B")}
    for r in acc.values():
        assert r.shape == (1, 1) and np.all((r >= 0) & (r <= 1))
    # 0.1 is chance. Measured with --quick: AE A/B 0.884/0.887, DAE 0.822/0.824, random init
    # B 0.682, RBM (3 epochs) 0.149/0.258. The autoencoder arms get a floor, with a margin.
    assert acc["AE, B"].min() >= 0.7 and acc["DAE, B"].min() >= 0.7
    assert list(tmp_path.iterdir()) == []
