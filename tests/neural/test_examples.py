"""The digits examples run end to end (short runs; the full runs are in benchmarks/README.md)."""

import importlib.util
import os

import numpy as np
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


@pytest.mark.slow
def test_digits_accuracy_targets(tmp_path, monkeypatch):
    """The issue's targets on the fixed split: softmax >= 95%, the CNN (all switches) >= 98.5%."""
    pytest.importorskip("sklearn")
    monkeypatch.chdir(tmp_path)
    assert _load("softmax_digits").main([]) >= 0.95
    cnn = _load("cnn_digits")
    from neural import Standardizer, load_digits, train_test_split
    X, y = load_digits()
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.25, rng=0)
    sc = Standardizer(axis=(0, 1, 2, 3)).fit(Xtr)
    _, _, acc = cnn.run(sc.transform(Xtr), ytr, sc.transform(Xte), yte, he=True, bn=True,
                        wd=True, aug=True, epochs=40, seed=0)
    assert acc >= 0.985


def test_rbm_digits_example(tmp_path, monkeypatch):
    """A short run of every section; the few-label part returns one accuracy per draw x seed."""
    pytest.importorskip("sklearn")
    monkeypatch.chdir(tmp_path)
    acc = _load("rbm_digits").main(["--epochs", "3", "--ks", "1", "--subsets", "2", "--seeds", "2",
                                    "-o", "rbm.png"])
    assert set(acc) == {"RBM-pretrained", "random init, same recipe",
                        "random init, its own best recipe"}
    for r in acc.values():
        assert r.shape == (2, 2) and np.all((r > 0.1) & (r <= 1))
    # 0.1 is chance on ten digits. Measured with these arguments and seeds (python -c "...
    # main(['--epochs', '3', '--ks', '1', '--subsets', '2', '--seeds', '2', '-o', 'rbm.png'])"
    # on examples/rbm_digits.py): RBM-pretrained 0.467-0.533, random init same recipe
    # 0.642-0.700, random init own recipe 0.731-0.764; asserted with a margin.
    floors = {"RBM-pretrained": 0.35, "random init, same recipe": 0.5,
              "random init, its own best recipe": 0.6}
    for k, lo in floors.items():
        assert acc[k].min() >= lo, (k, acc[k])
    assert {p.name for p in tmp_path.iterdir()} == {"rbm.png"}


def test_rbm_digits_protocol_example(tmp_path, monkeypatch):
    """A short run of the three checks: one accuracy per draw x seed for every condition."""
    pytest.importorskip("sklearn")
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(EXAMPLES)            # it imports the recipe from rbm_digits.py
    acc = _load("rbm_digits_protocol").main(["--subsets", "2", "--seeds", "1", "--rbm-epochs", "2",
                                             "--taus", "0.5", "2.0"])
    assert len(acc) == 8 and {"pseudo-labels, p >= 0.5", "random init, grey inputs"} <= set(acc)
    for r in acc.values():       # an accuracy each; the RBM-initialised ones may sit at chance
        assert r.shape == (2, 1) and np.all((r >= 0) & (r <= 1))
    # 0.1 is chance. Measured with these arguments (examples/rbm_digits_protocol.py main(
    # ['--subsets', '2', '--seeds', '1', '--rbm-epochs', '2', '--taus', '0.5', '2.0'])): random
    # init 0.781/0.787 (binary) and 0.817/0.867 (grey); the RBM-initialised conditions, with
    # two RBM epochs, 0.12-0.45 (one of them, RBM (grey), at 0.12/0.20: chance), so only the
    # random-init baselines get a floor, with a margin.
    assert acc["random init, binary inputs (rbm_digits.py)"].min() >= 0.65
    assert acc["random init, grey inputs"].min() >= 0.7
    assert not any(tmp_path.iterdir())
