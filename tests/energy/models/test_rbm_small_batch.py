"""batch_size larger than the data set: the whole set is one batch (as scikit-learn does)."""

import numpy as np

from energy import BernoulliRBM


def test_batch_size_larger_than_the_data_uses_one_batch():
    X = (np.random.default_rng(0).random((7, 5)) > 0.5).astype(float)
    big = BernoulliRBM(3, batch_size=10, n_iter=3, random_state=0).fit(X)
    whole = BernoulliRBM(3, batch_size=7, n_iter=3, random_state=0).fit(X)
    assert len(big.history_) == 3
    np.testing.assert_array_equal(big.components_, whole.components_)
    # and it did learn something: the weights moved from their initial values
    init = BernoulliRBM(3, batch_size=7, n_iter=1, random_state=0).fit(X).components_
    assert not np.array_equal(init, whole.components_)
    big.partial_fit(X[:2])                                 # two rows, batch_size 10
    assert np.all(np.isfinite(big.components_))
