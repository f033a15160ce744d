"""Module.load / load_state_dict on hostile state: values are checked after the cast to the
parameter's dtype, dtype kinds and the modules' invariants are checked, and Module.load reads
only the members the model needs, each after its header is checked."""

import os
import tracemalloc
import zipfile

import numpy as np
import pytest

from neural import BatchNorm1d, Linear, Sequential
from tests.pgm.runtime.test_io import _header, _npz_with


def _net():
    return Sequential(Linear(3, 4, rng=0), BatchNorm1d(4))


def _unchanged(net, before):
    for k, v in before.items():
        np.testing.assert_array_equal(net.state_dict()[k], v, err_msg=k)


def test_a_value_that_overflows_the_parameter_dtype_is_refused():
    net = _net()
    sd = net.state_dict()
    before = net.state_dict()
    w = sd["0.weight"].astype(np.float64)
    w[0, 0] = 1e300                      # finite in float64, inf in float32
    with pytest.raises(ValueError, match=r"0\.weight: overflows float32 .*1e\+300"):
        net.load_state_dict({**sd, "0.weight": w})
    _unchanged(net, before)


def test_bool_weights_and_negative_running_variances_are_refused():
    net = _net()
    sd = net.state_dict()
    before = net.state_dict()
    with pytest.raises(ValueError, match=r"0\.weight: expected a numeric array castable to "
                                         r"float32, got dtype bool"):
        net.load_state_dict({**sd, "0.weight": np.ones((4, 3), bool)})
    with pytest.raises(ValueError, match=r"1\.running_var: negative variances \(min -1\)"):
        net.load_state_dict({**sd, "1.running_var": np.array([1, 1, -1, 1], np.float32)})
    _unchanged(net, before)
    net.load_state_dict({**sd, "0.weight": np.arange(12).reshape(4, 3)})   # ints are numbers
    np.testing.assert_array_equal(net[0].weight.data, np.arange(12).reshape(4, 3))


def test_load_reads_only_the_needed_members(tmp_path):
    net = _net()
    p = tmp_path / "m.npz"
    _npz_with(p, net.state_dict(), big_zero_member=("junk", 256 << 20))
    tracemalloc.start()
    try:
        net.load(p, strict=False)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 << 20, peak
    with pytest.raises(ValueError, match=r"m\.npz.*does not match.*unexpected: \['junk'\]"):
        net.load(p)


def test_load_checks_the_member_header_before_reading(tmp_path):
    net = _net()
    sd = net.state_dict()
    p = tmp_path / "m.npz"
    _npz_with(p, {k: v for k, v in sd.items() if k != "0.weight"})
    with zipfile.ZipFile(p, "a") as zf:
        zf.writestr("0.weight.npy", _header((2 ** 40,), "<f4") + b"\0" * 64)
    with pytest.raises(ValueError, match=r"m\.npz.*does not match.*0\.weight: expected shape "
                                         r"\(4, 3\), the file says \(1099511627776,\)"):
        net.load(p)
    assert os.path.exists(p)
