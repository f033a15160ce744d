"""forward_sample refuses, before allocating, a number of samples whose output would not fit
(a clear error naming n_samples and the size, not a MemoryError)."""

import pytest

from pgm import forward_sample
from tests.pgm._bn_helpers import sprinkler


def test_an_absurd_number_of_samples_is_refused_up_front():
    bn = sprinkler()
    with pytest.raises(ValueError, match=r"n_samples: 100000000000 needs a buffer of shape "
                                         r"\(100000000000, 4\) of int8 \(400\.0 GB\)"):
        forward_sample(bn, 10 ** 11, rng=0)
    assert forward_sample(bn, 5, rng=0).shape == (5, 4)
