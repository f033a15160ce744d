"""Denoise a binary image larger than memory, tile by tile, on a Dask cluster.
===========================================================================

    python examples/denoise_large.py                    # 3072 x 3072, under a minute
    python examples/denoise_large.py --size 20000       # 400 megapixels (a few minutes)

1. A synthetic binary image (smooth blobs) with 10 % flip noise is written as a zarr store
   chunk by chunk: every pixel is a function of its coordinates and a counter-based draw, so
   no process ever holds the whole image.
2. A ``LocalCluster`` (``--workers`` processes, one thread each) restores it with graph cut
   (or ``--method icm``) tile by tile with a halo, with Dask's progress bar, and writes the
   result as a second zarr store (under a temporary name, renamed when complete).
3. The error rate against the clean image is computed tile by tile, and a region is written
   as a PNG (noisy | restored, downsampled by ``--stride``).

Point ``--scheduler tcp://host:8786`` at a running cluster to use it instead (the stores
must then be on a file system every worker sees).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import dask.array as da  # noqa: E402
from dask.distributed import Client, LocalCluster  # noqa: E402

from energy.images import write_png  # noqa: E402
from energy.images.tiled import open_image, save_image, tiled_graphcut, tiled_icm  # noqa: E402
from pgm.runtime.counter_rng import splitmix64  # noqa: E402


def clean_block(shape, origin):
    """The clean spins of the block at ``origin``: smooth blobs, a function of (row, column)."""
    r = np.arange(origin[0], origin[0] + shape[0], dtype=np.float64)[:, None]
    c = np.arange(origin[1], origin[1] + shape[1], dtype=np.float64)[None, :]
    f = np.sin(c / 37.0) * np.cos(r / 53.0) + 0.5 * np.sin((r + c) / 97.0)
    return np.where(f > 0, 1, -1).astype(np.int8)


def noisy_block(shape, origin, width, rate, seed):
    """Flip each clean pixel with probability ``rate``, keyed by its global index."""
    r = np.arange(origin[0], origin[0] + shape[0], dtype=np.uint64)[:, None]
    c = np.arange(origin[1], origin[1] + shape[1], dtype=np.uint64)[None, :]
    u = (splitmix64(seed, r * np.uint64(width) + c) >> np.uint64(11)) * 2.0**-53
    x = clean_block(shape, origin)
    return np.where(u < rate, -x, x).astype(np.int8)


def lazy_image(size, chunk, fn, *args):
    def block(block_info=None):
        loc = block_info[None]["array-location"]
        shape = (loc[0][1] - loc[0][0], loc[1][1] - loc[1][0])
        return fn(shape, (loc[0][0], loc[1][0]), *args)
    sizes = (chunk,) * (size // chunk) + ((size % chunk,) if size % chunk else ())
    return da.map_blocks(block, chunks=(sizes, sizes), dtype=np.int8,
                         meta=np.empty((0, 0), np.int8))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=3072, help="image side in pixels (3072)")
    ap.add_argument("--tile", type=int, default=512)
    ap.add_argument("--overlap", type=int, default=16)
    ap.add_argument("--noise", type=float, default=0.1)
    ap.add_argument("--method", choices=("graphcut", "icm"), default="graphcut")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--scheduler", default=None, help="address of a running scheduler")
    ap.add_argument("--out", default=None, help="folder for the stores and the PNG (temporary)")
    ap.add_argument("--stride", type=int, default=2, help="downsampling of the PNG region")
    ap.add_argument("--region", type=int, default=1024, help="side of the PNG region")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args(argv)
    out = a.out or tempfile.mkdtemp(prefix="denoise_large_")
    os.makedirs(out, exist_ok=True)
    eta = 0.5 * np.log((1 - a.noise) / a.noise)
    if a.scheduler:
        client = Client(a.scheduler)
    else:
        client = Client(LocalCluster(n_workers=a.workers, threads_per_worker=1,
                                     dashboard_address=":0"))
    try:
        print(f"{a.size} x {a.size} pixels, tiles {a.tile} + halo {a.overlap}, {a.method}, "
              f"folder {out}", flush=True)
        noisy_path = os.path.join(out, "noisy.zarr")
        t0 = time.perf_counter()
        save_image(lazy_image(a.size, a.tile, noisy_block, a.size, a.noise, a.seed), noisy_path,
                   overwrite=True, progress=True)
        print(f"\nwrote the noisy image in {time.perf_counter() - t0:.1f} s", flush=True)
        y = open_image(noisy_path)
        fn = tiled_graphcut if a.method == "graphcut" else tiled_icm
        x = fn(y, beta=0.5 * eta, eta=eta, overlap=a.overlap)
        restored_path = os.path.join(out, "restored.zarr")
        t0 = time.perf_counter()
        save_image(x, restored_path, overwrite=True, progress=True)
        sec = time.perf_counter() - t0
        print(f"\nrestored in {sec:.1f} s ({a.size ** 2 / sec / 1e6:.2f} Mpixel/s)", flush=True)
        clean = lazy_image(a.size, a.tile, clean_block)
        err_in, err_out = da.compute((y != clean).mean(), (open_image(restored_path) != clean).mean())
        print(f"error rate: noisy {100 * err_in:.3f} %, restored {100 * err_out:.3f} %")
        s = min(a.region, a.size)
        r0 = (a.size - s) // 2
        before = open_image(noisy_path)[r0:r0 + s:a.stride, r0:r0 + s:a.stride].compute()
        after = open_image(restored_path)[r0:r0 + s:a.stride, r0:r0 + s:a.stride].compute()
        gap = np.ones((before.shape[0], 8), np.int8)
        png = os.path.join(out, "before_after.png")
        write_png(png, np.concatenate([before, gap, after], axis=1))
        print(f"wrote {png} (region {s} x {s} at ({r0}, {r0}), one pixel in {a.stride} along each axis)")
    finally:
        client.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
