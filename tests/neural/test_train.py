"""The training loop (neural.train): fit, evaluate, divergence, bad input."""

import io

import numpy as np
import pytest

from neural import SGD, Linear, ReLU, Sequential, TrainingDiverged, evaluate, fit


# ----------------------------------------------------------------------------- fit
def _blobs(n=200, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    X = (rng.standard_normal((n, 2)) * 0.5 + np.array([[0, 0], [3, 0], [0, 3]])[y]).astype(np.float32)
    return X, y


def test_fit_learns_records_history_and_prints_progress(tmp_path):
    X, y = _blobs()
    net = Sequential(Linear(2, 16, rng=0), ReLU(), Linear(16, 3, rng=1))
    buf = io.StringIO()
    h = fit(net, X, y, SGD(net.parameters(), lr=0.1, momentum=0.9), epochs=5, batch_size=20,
            X_val=X[:50], y_val=y[:50], rng=0, file=buf)
    assert len(h.loss) == len(h.val_acc) == 5
    assert h.loss[-1] < h.loss[0] and h.acc[-1] > 0.9
    lines = buf.getvalue().strip().splitlines()
    assert len(lines) == 5 and lines[-1].startswith("epoch   5/5") and "val_acc" in lines[-1]
    loss, acc = evaluate(net, X, y)
    assert acc > 0.9 and loss < h.loss[0]
    h.plot(tmp_path / "h.png")
    assert (tmp_path / "h.png").stat().st_size > 1000


def test_fit_stops_on_divergence_keeping_finite_parameters():
    X, y = _blobs()
    X = X * 1e3
    net = Sequential(Linear(2, 16, rng=0), ReLU(), Linear(16, 3, rng=1))
    with pytest.raises(TrainingDiverged, match="epoch .*batch"), np.errstate(all="ignore"):
        fit(net, X, y, SGD(net.parameters(), lr=1e6), epochs=50, rng=0, verbose=False)
    assert all(np.all(np.isfinite(p.data)) for p in net.parameters())
    loss, _ = evaluate(net, X, y)
    assert np.isfinite(loss)


def test_fit_refuses_non_finite_input():
    X, y = _blobs(20)
    X[3, 1] = np.inf
    net = Linear(2, 3, rng=0)
    with pytest.raises(ValueError, match=r"X: must be finite.*\(3, 1\)"):
        fit(net, X, y, SGD(net.parameters(), lr=0.1), epochs=1, verbose=False)


@pytest.mark.parametrize("kw, match", [({"epochs": -1}, "epochs"), ({"epochs": 0}, "epochs"),
                                       ({"batch_size": 2.5}, "batch_size"),
                                       ({"batch_size": 0}, "batch_size")])
def test_fit_refuses_bad_epochs_and_batch_sizes(kw, match):
    from neural import SGD, Linear, fit
    net = Linear(3, 2, rng=0)
    X = np.zeros((4, 3), np.float32)
    with pytest.raises((ValueError, TypeError), match=match):
        fit(net, X, np.zeros(4, np.int64), SGD(net.parameters(), lr=0.1), verbose=False, **kw)


def test_fit_refuses_an_empty_data_set():
    from neural import SGD, Linear, fit
    net = Linear(3, 2, rng=0)
    with pytest.raises(ValueError, match="X: no samples"):
        fit(net, np.zeros((0, 3), np.float32), np.zeros(0, np.int64),
            SGD(net.parameters(), lr=0.1), verbose=False)
