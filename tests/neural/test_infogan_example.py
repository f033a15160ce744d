"""examples/infogan_digits.py runs end to end with --quick and writes its grids."""

import importlib.util
import os

import numpy as np
import pytest

EXAMPLES = os.path.join(os.path.dirname(__file__), "..", "..", "examples")


def test_infogan_digits_quick(tmp_path, monkeypatch):
    pytest.importorskip("sklearn")                   # the digits data ship with scikit-learn
    monkeypatch.chdir(tmp_path)
    spec = importlib.util.spec_from_file_location("infogan_digits",
                                                  os.path.join(EXAMPLES, "infogan_digits.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    res = mod.main(["--quick", "-o", str(tmp_path / "ig")])     # 4 epochs, checkpoints at 2, 4
    assert set(res["acc"]) == {0} and 0.0 <= res["acc"][0] <= 1.0
    assert 0.0 <= res["last_acc"][0] <= 1.0
    assert len(res["continuous"][0]) == 2 and all(-1.0 <= r <= 1.0 for r in res["continuous"][0])
    # the checkpoint kept is the one whose code carries the most information (no labels)
    epochs, infos = zip(*res["information"][0])
    assert epochs == (2, 4) and infos[0] != infos[1]
    assert res["epoch"][0] == epochs[int(np.argmax(infos))]
    assert res["kept_information"][0] == max(infos)
    assert {p.name for p in tmp_path.iterdir()} == {"ig_rows.png", "ig_trav0.png",
                                                    "ig_trav1.png"}
