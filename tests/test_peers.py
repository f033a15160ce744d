"""The peers of the cross-checks are installed where they must be (CI sets
PGM_ENERGY_REQUIRE_PEERS=1), so that no comparison with PyTorch, scikit-learn or PyMaxflow and
no data-frame test (pandas) is skipped there. Elsewhere they skip when a peer is missing."""

import importlib
import os

import pytest

REQUIRED = os.environ.get("PGM_ENERGY_REQUIRE_PEERS") == "1"


@pytest.mark.skipif(not REQUIRED, reason="PGM_ENERGY_REQUIRE_PEERS is not set (CI sets it)")
@pytest.mark.parametrize("module", ["torch", "sklearn", "maxflow", "pandas"])
def test_peer_is_installed(module):
    mod = importlib.import_module(module)
    if module == "torch":
        assert mod.__version__.startswith("2.13.0"), mod.__version__
