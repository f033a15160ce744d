"""Fixtures shared by the test packages."""

import pytest


@pytest.fixture(scope="session")
def client():
    """One in-process Dask LocalCluster (1 worker, 2 threads) for every test that runs on Dask
    (tests/energy/images/test_tiled.py, tests/pgm/test_scale.py)."""
    from dask.distributed import Client, LocalCluster  # only the Dask tests pay for it

    cluster = LocalCluster(processes=False, n_workers=1, threads_per_worker=2,
                           dashboard_address=":0")
    c = Client(cluster)
    yield c
    c.close()
    cluster.close()
