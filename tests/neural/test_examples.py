"""The two digits examples run end to end (a short run; the full runs are in benchmarks/README.md)."""

import importlib.util
import os

import pytest

EXAMPLES = os.path.join(os.path.dirname(__file__), "..", "..", "examples")


def _load(name):
    spec = importlib.util.spec_from_file_location(name, os.path.join(EXAMPLES, f"{name}.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_softmax_digits_example(tmp_path, monkeypatch):
    pytest.importorskip("sklearn")
    monkeypatch.chdir(tmp_path)
    acc = _load("softmax_digits").main(["--epochs", "8"])
    assert acc > 0.9
    assert {p.name for p in tmp_path.iterdir()} == {"softmax_digits_weights.png",
                                                     "softmax_digits_curves.png"}


def test_cnn_digits_example(tmp_path, monkeypatch):
    pytest.importorskip("sklearn")
    monkeypatch.chdir(tmp_path)
    res = _load("cnn_digits").main(["--epochs", "2", "--seeds", "1"])
    assert len(res) == 6 and res["all on (He, BN, WD, aug)"][0] > 0.7
    assert {p.name for p in tmp_path.iterdir()} == {"cnn_digits_filters.png",
                                                     "cnn_digits_curves.png"}
