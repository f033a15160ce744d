"""predict / evaluate on hostile arguments: an empty X, batch_size 0, labels that do not
match are clear errors naming the argument."""

import numpy as np
import pytest

from neural import Linear
from neural.train import evaluate, predict


def test_predict_and_evaluate_check_their_arguments():
    net = Linear(3, 2, rng=0)
    X = np.zeros((4, 3), np.float32)
    y = np.zeros(4, int)
    with pytest.raises(ValueError, match=r"batch_size: must be >= 1, got 0"):
        predict(net, X, batch_size=0)
    with pytest.raises(ValueError, match=r"X: expected at least one example, got shape \(0, 3\)"):
        predict(net, X[:0])
    with pytest.raises(ValueError, match=r"X: expected at least one example"):
        evaluate(net, X[:0], y[:0])
    with pytest.raises(ValueError, match=r"y: expected one label per example of X \(4\), got 3"):
        evaluate(net, X, y[:3])
    assert predict(net, X, batch_size=3).shape == (4, 2)
