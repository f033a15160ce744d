"""energy.images.tiled on a local Dask cluster: exact tiled Gibbs, seams of the MAP methods,
zarr/.npy I/O that never leaves a half-written output, the --tile command line, bad input."""

import os

import numpy as np
import pytest

import dask.array as da
import zarr

from energy.cli import main
from energy.images import add_flip_noise, load_example
from energy.images import tiled
from energy.models import IsingModel
from energy.models import _ising_kernels as K
from energy.models import _ising_kernels_ref as R


@pytest.fixture(scope="module")
def noisy():
    return add_flip_noise(load_example("horse")[100:196, 140:260], 0.12, rng=0)   # 96 x 120


# ----------------------------------------------------------------------------- kernel
@pytest.mark.parametrize("origin", [(0, 0), (3, 8), (6, 1), (5, 5)])
def test_tile_kernel_matches_numpy_and_the_untiled_grid(origin):
    rng = np.random.default_rng(1)
    Hg, Wg = 20, 23
    yg = np.where(rng.random((Hg, Wg)) < 0.5, 1, -1).astype(np.int8)
    r0, c0 = origin
    H, W = 11, 13
    y = yg[r0:r0 + H, c0:c0 + W].copy()
    xp = np.zeros((H + 2, W + 2), np.int8)
    xp[1:-1, 1:-1] = np.where(rng.random((H, W)) < 0.5, 1, -1)
    xq = xp.copy()
    thr = K.gibbs_thresholds(0.8, 1.3, 0.1, 4, 1.5)
    for colour, seed in ((0, 123), (1, 456)):
        a = K.gibbs_checkerboard4_at(xp, y, colour, thr, seed, r0, c0, Wg)
        b = R.gibbs_colour_ref(xq, y, colour, 4, 0.8, 1.3, 0.1, 1.5, seed, origin=origin, width=Wg)
        assert a == b
        np.testing.assert_array_equal(xp, xq)
    if origin == (0, 0):        # the whole grid: exactly the untiled kernel
        xg = np.zeros((Hg + 2, Wg + 2), np.int8)
        xg[1:-1, 1:-1] = yg
        xh = xg.copy()
        for colour in (0, 1):
            K.gibbs_checkerboard4(xg, yg, colour, thr, 99)
            K.gibbs_checkerboard4_at(xh, yg, colour, thr, 99, 0, 0, Wg)
        np.testing.assert_array_equal(xg, xh)


# ----------------------------------------------------------------------------- restoration
def test_tiled_gibbs_equals_untiled_gibbs(client, noisy):
    n = 4
    ref = IsingModel(noisy, beta=0.9, eta=1.0).gibbs(1.0, n_sweeps=n, burn_in=1, rng=7)
    y = da.from_array(noisy, chunks=(40, 50))
    assert tiled.exact_overlap(n) == 8
    m = tiled.tiled_gibbs(y, 1.0, beta=0.9, eta=1.0, n_sweeps=n, burn_in=1, rng=7,
                          marginals=True).compute()
    np.testing.assert_array_equal(m, ref.marginals)
    x = tiled.tiled_gibbs(y, 1.0, beta=0.9, eta=1.0, n_sweeps=n, burn_in=1,
                          rng=np.random.default_rng(7)).compute()
    np.testing.assert_array_equal(x, ref.x)
    other = tiled.tiled_gibbs(y, 1.0, beta=0.9, eta=1.0, n_sweeps=n, burn_in=1, rng=8,
                              marginals=True).compute()
    assert not np.array_equal(other, ref.marginals)


def test_tiled_anneal_sweeps_match_untiled(client, noisy):
    y = da.from_array(noisy, chunks=(48, 60))
    x = tiled.tiled_anneal(y, n_sweeps=5, rng=3, final_sweeps=100).compute()
    ref = IsingModel(noisy).anneal(n_sweeps=5, rng=3).x
    assert np.mean(x != ref) <= 0.01


@pytest.mark.parametrize("method", ["icm", "graphcut"])
def test_tiled_map_close_to_global(client, noisy, method):
    model = IsingModel(noisy, beta=1.0, eta=1.0)
    ref = model.icm().x if method == "icm" else model.graphcut().x
    fn = tiled.tiled_icm if method == "icm" else tiled.tiled_graphcut
    y = da.from_array(noisy, chunks=32)
    x16 = fn(y, beta=1.0, eta=1.0, overlap=16).compute()
    assert x16.dtype == np.int8 and x16.shape == noisy.shape
    differ = np.mean(x16 != ref)
    assert differ <= 0.005, differ
    x0 = fn(y, beta=1.0, eta=1.0, overlap=0).compute()
    assert np.mean(x0 != ref) >= differ


# ----------------------------------------------------------------------------- files
@pytest.mark.parametrize("ext", [".npy", ".zarr"])
def test_save_and_open_round_trip(client, noisy, tmp_path, ext):
    path = tmp_path / f"img{ext}"
    tiled.save_image(da.from_array(noisy, chunks=(40, 50)), path)
    back = tiled.open_image(path, tile=64)
    assert back.chunks[0][0] == 64
    np.testing.assert_array_equal(back.compute(), noisy)
    with pytest.raises(FileExistsError):
        tiled.save_image(da.from_array(noisy, chunks=40), path)
    x = tiled.tiled_graphcut(back, overlap=8)
    want = x.compute()
    tiled.save_image(x, path, overwrite=True)      # reads the old store while writing the new
    np.testing.assert_array_equal(tiled.open_image(path).compute(), want)
    assert sorted(os.listdir(tmp_path)) == [f"img{ext}"]


@pytest.mark.parametrize("ext", [".npy", ".zarr"])
def test_a_failed_write_leaves_nothing_under_the_final_name(client, noisy, tmp_path, ext):
    bad = noisy.copy()
    bad[90, 110] = 0                       # not a spin: the last tile fails
    x = tiled.tiled_icm(da.from_array(bad, chunks=(48, 60)), overlap=4)
    with pytest.raises(ValueError, match=r"tile \(1, 1\): y: spins must be -1 or \+1"):
        tiled.save_image(x, tmp_path / f"out{ext}")
    assert os.listdir(tmp_path) == []


def test_bad_input(client, noisy, tmp_path):
    y = da.from_array(noisy, chunks=32)
    with pytest.raises(ValueError, match="overlap: 40 pixels is more than the tile"):
        tiled.tiled_graphcut(y, overlap=40)
    with pytest.raises(ValueError, match="overlap"):
        tiled.tiled_icm(y, overlap=-1)
    with pytest.raises(ValueError, match="expected a 2-D image with 2-D chunks"):
        tiled.tiled_icm(da.ones((4, 8, 8), dtype=np.int8, chunks=4))
    with pytest.raises(TypeError, match="signed integer dtype"):
        tiled.tiled_icm(da.from_array(noisy.astype(np.float32), chunks=32))
    z = tmp_path / "float.zarr"
    zarr.open_array(str(z), mode="w", shape=(64, 64), chunks=(32, 32), dtype="f8")[:] = 1.0
    with pytest.raises(TypeError, match="got dtype float64"):
        tiled.tiled_graphcut(tiled.open_image(z))
    with pytest.raises(ValueError, match="expected a .npy file or a zarr store"):
        tiled.open_image(__file__)
    with pytest.raises(ValueError, match="overlap: 8 pixels is more than the tile"):
        tiled.tiled_gibbs(da.from_array(noisy, chunks=6), n_sweeps=4, burn_in=1)


# ----------------------------------------------------------------------------- command line
def test_cli_tile(client, noisy, tmp_path, capsys):
    src = tmp_path / "in.npy"
    np.save(src, (noisy == 1).astype(np.uint8))          # a 0/1 image stays 0/1
    out = tmp_path / "out.zarr"
    assert main(["denoise", str(src), "-o", str(out), "--tile", "48", "--overlap", "8",
                 "--method", "graphcut"]) == 0
    got = zarr.open_array(str(out), mode="r")[:]
    want = tiled.tiled_graphcut(da.from_array(noisy, chunks=48), overlap=8).compute()
    np.testing.assert_array_equal(got, (want == 1).astype(np.uint8))
    assert "graphcut (tiled 48)" in capsys.readouterr().out
    assert main(["denoise", str(src), "-o", str(tmp_path / "x.npy"), "--tile", "4",
                 "--overlap", "8"]) == 2
    assert "overlap: 8 pixels is more than the tile" in capsys.readouterr().err
    assert not (tmp_path / "x.npy").exists()


def test_the_library_and_its_command_line_import_no_dask():
    import subprocess
    import sys
    code = ("import sys, pgm, energy, neural, energy.cli, energy.images.tiled; "
            "print(sorted(m for m in ('dask', 'zarr', 'distributed') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
                             os.path.abspath(__file__))))))
    assert out.stdout.strip() == "[]"


def test_as_tiles_keeps_a_zarr_arrays_chunks_and_tiles_a_memory_map(noisy, tmp_path):
    z = zarr.open_array(str(tmp_path / "a.zarr"), mode="w", shape=noisy.shape, chunks=(32, 40),
                        dtype="i1")
    z[:] = noisy
    assert tiled.as_tiles(z).chunks == ((32, 32, 32), (40, 40, 40))
    np.save(tmp_path / "b.npy", noisy)
    mm = np.load(tmp_path / "b.npy", mmap_mode="r")
    assert tiled.as_tiles(mm).chunks == ((96,), (120,))
    assert tiled.as_tiles(mm, tile=50).chunks == ((50, 46), (50, 50, 20))
