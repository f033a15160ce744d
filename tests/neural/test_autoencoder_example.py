"""examples/autoencoder_pca.py runs end to end with --quick (full-run figures: its docstring)."""

import importlib.util
import os

import pytest

EXAMPLES = os.path.join(os.path.dirname(__file__), "..", "..", "examples")


def test_autoencoder_pca_quick(tmp_path, monkeypatch):
    pytest.importorskip("sklearn")                   # the digits data ship with scikit-learn
    monkeypatch.chdir(tmp_path)
    spec = importlib.util.spec_from_file_location("autoencoder_pca",
                                                  os.path.join(EXAMPLES, "autoencoder_pca.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    res = mod.main(["--quick", "-o", str(tmp_path / "ae.png")])
    assert set(res["angles"]) == {(2, True), (10, True)}
    # L-BFGS to convergence: measured 1.6e-4 and 4.0e-4 degrees; PCA's subspace within 0.01
    assert max(res["angles"].values()) <= 0.01
    assert set(res["mse"]) == {"AE", "DAE"}
    assert {p.name for p in tmp_path.iterdir()} == {"ae.png"}
