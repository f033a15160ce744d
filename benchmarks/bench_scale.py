"""Beyond one machine: tiled graph cut and Dask tables, from one run.

    python benchmarks/bench_scale.py [--quick] [--parts a b c] [--seam-size 4096]
        [--tile 512] [--overlaps 0 8 16 32] [--big 20000] [--big-tile 1024] [--inmem 4096]
        [--rows 20000000] [--chunk-rows 1000000] [--pgmpy-rows 1000000]

(a) seams: tiled graph cut (tile ``--tile``, halo 0/8/16/32) against global graph cut on a
    ``--seam-size`` square synthetic image with 10 % flip noise: the fraction of pixels that
    differ and the energy gap (E_tiled - E_global) / |E_global| (graph cut is the exact MAP,
    so the gap is >= 0).
(b) a ``--big`` square image written as a zarr store in ``--big-tile`` chunks, restored by
    tiled graph cut on a 2-worker ``LocalCluster`` (processes, one thread each) into a second store:
    wall time, peak resident memory of each worker, throughput; against in-memory graph cut
    on an ``--inmem`` square image (one process, one thread).
(c) ``--rows`` rows of alarm (the network pgmpy ships) drawn by the chunked counter-based
    sampler into a zarr store, then ``pgm.scale.fit_mle`` from the store with 1 and 2
    workers: rows/s; against pgmpy's maximum-likelihood estimator (and our in-memory
    ``fit_mle``) on a ``--pgmpy-rows`` table in memory.

``--quick``: 2048 (a), 4096 (b), 2,000,000 rows (c), 200,000 for pgmpy.
"""

from __future__ import annotations

import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import argparse  # noqa: E402
import gzip  # noqa: E402
import platform  # noqa: E402
import resource  # noqa: E402
import shutil  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import dask  # noqa: E402
import dask.array as da  # noqa: E402
from dask.distributed import Client, LocalCluster  # noqa: E402

from energy.images.tiled import open_image, save_image, tiled_graphcut  # noqa: E402
from energy.models import IsingModel  # noqa: E402
from pgm import DAG, fit_mle, read_bif  # noqa: E402
from pgm.runtime.counter_rng import splitmix64  # noqa: E402
from pgm import scale  # noqa: E402

BETA_OVER_ETA = 0.5


def eta_for(p):
    return 0.5 * np.log((1 - p) / p)


def noisy_block(shape, origin, width, rate, seed):
    """Blobs (a function of the pixel's coordinates) with counter-based flips."""
    r = np.arange(origin[0], origin[0] + shape[0], dtype=np.float64)[:, None]
    c = np.arange(origin[1], origin[1] + shape[1], dtype=np.float64)[None, :]
    f = np.sin(c / 37.0) * np.cos(r / 53.0) + 0.5 * np.sin((r + c) / 97.0)
    x = np.where(f > 0, 1, -1).astype(np.int8)
    k = r.astype(np.uint64) * np.uint64(width) + c.astype(np.uint64)
    u = (splitmix64(seed, k) >> np.uint64(11)) * 2.0**-53
    return np.where(u < rate, -x, x).astype(np.int8)


def lazy_noisy(size, chunk, rate=0.1, seed=0):
    def block(block_info=None):
        loc = block_info[None]["array-location"]
        return noisy_block((loc[0][1] - loc[0][0], loc[1][1] - loc[1][0]),
                           (loc[0][0], loc[1][0]), size, rate, seed)
    sizes = (chunk,) * (size // chunk) + ((size % chunk,) if size % chunk else ())
    return da.map_blocks(block, chunks=(sizes, sizes), dtype=np.int8,
                         meta=np.empty((0, 0), np.int8))


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


# ----------------------------------------------------------------------------- (a)
def seams(a):
    n, p = a.seam_size, 0.1
    eta = eta_for(p)
    y = noisy_block((n, n), (0, 0), n, p, 0)
    model = IsingModel(y, beta=BETA_OVER_ETA * eta, eta=eta)
    t0 = time.perf_counter()
    ref = model.graphcut().x
    t_glob = time.perf_counter() - t0
    e_ref = model.energy(ref)
    print(f"\n(a) seams: {n} x {n}, noise {p}, beta {BETA_OVER_ETA * eta:.4f}, eta {eta:.4f}, "
          f"tile {a.tile}; global graph cut {t_glob:.2f} s, energy {e_ref:.6g}")
    print(f"  {'overlap':>7s} {'differ (fraction)':>18s} {'pixels':>8s} {'energy gap':>12s} "
          f"{'tiled s':>8s}")
    out = []
    for ov in a.overlaps:
        t0 = time.perf_counter()
        x = tiled_graphcut(da.from_array(y, chunks=a.tile), beta=BETA_OVER_ETA * eta, eta=eta,
                           overlap=ov).compute(scheduler="threads", num_workers=2)
        sec = time.perf_counter() - t0
        d = int(np.count_nonzero(x != ref))
        gap = (model.energy(x) - e_ref) / abs(e_ref)
        print(f"  {ov:7d} {d / x.size:18.3e} {d:8d} {gap:12.3e} {sec:8.2f}", flush=True)
        out.append((ov, d / x.size, gap))
    ok = [ov for ov, f, _ in out if f <= 1e-4 and ov <= 32]
    print(f"  target differ <= 1e-4 at some overlap <= 32: "
          f"{'met at overlap ' + str(ok[0]) if ok else 'NOT met'}")


# ----------------------------------------------------------------------------- (b)
def _warm_graphcut():
    from pgm.runtime.jit import jit_policy
    with jit_policy("always"):      # a 64 x 64 cut would run the reference: load the kernels
        IsingModel(noisy_block((64, 64), (0, 0), 64, 0.1, 1)).graphcut()


def big(a, folder):
    n, p = a.big, 0.1
    eta = eta_for(p)
    print(f"\n(b) {n} x {n} from a zarr store, tile {a.big_tile}, halo {a.big_overlap}, "
          "2 workers (processes, 1 thread each)")
    src, dst = os.path.join(folder, "noisy.zarr"), os.path.join(folder, "restored.zarr")
    t0 = time.perf_counter()
    with dask.config.set(scheduler="threads", num_workers=2):   # before the workers start
        save_image(lazy_noisy(n, a.big_tile), src)
    print(f"  wrote the input store in {time.perf_counter() - t0:.1f} s", flush=True)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=":0", memory_limit=0) as cluster, Client(cluster) as cl:
        cl.run(_warm_graphcut)    # numba's cached kernels loaded in each worker, not timed
        x = tiled_graphcut(open_image(src), beta=BETA_OVER_ETA * eta, eta=eta,
                           overlap=a.big_overlap)
        t0 = time.perf_counter()
        save_image(x, dst)
        sec = time.perf_counter() - t0
        peaks = cl.run(peak_rss_mb)
    print(f"  tiled graph cut: {sec:.1f} s, {n * n / sec / 1e6:.2f} Mpixel/s; peak RSS per "
          f"worker {', '.join(f'{v:.0f} MB' for v in peaks.values())} (target <= 1500 MB)")
    m = a.inmem
    y = noisy_block((m, m), (0, 0), m, p, 0)
    model = IsingModel(y, beta=BETA_OVER_ETA * eta, eta=eta)
    model.graphcut()           # compiled, warm
    t0 = time.perf_counter()
    model.graphcut()
    s2 = time.perf_counter() - t0
    print(f"  in-memory graph cut {m} x {m} (1 process, 1 thread): {s2:.2f} s, "
          f"{m * m / s2 / 1e6:.2f} Mpixel/s; tiled/in-memory throughput "
          f"{(n * n / sec) / (m * m / s2):.2f}")


# ----------------------------------------------------------------------------- (c)
def alarm():
    import pgmpy  # function-level: only to find the file pgmpy ships
    path = os.path.join(os.path.dirname(pgmpy.__file__), "utils", "example_models",
                        "alarm.bif.gz")
    tmp = tempfile.NamedTemporaryFile("wb", suffix=".bif", delete=False)
    tmp.write(gzip.decompress(open(path, "rb").read()))
    tmp.close()
    bn = read_bif(tmp.name, atol=1e-6)
    os.unlink(tmp.name)
    return bn


def tables(a, folder):
    bn = alarm()
    dag = DAG(bn.edges, bn.nodes)
    store = os.path.join(folder, "alarm.zarr")
    print(f"\n(c) alarm ({len(bn.nodes)} nodes): {a.rows:,} rows in chunks of "
          f"{a.chunk_rows:,}, drawn by pgm.scale.forward_sample into a zarr store")
    with LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=":0") as cluster, \
            Client(cluster) as cl:
        cl.run(lambda: scale.forward_sample(bn, 10, rng=0).compute(scheduler="sync"))  # warm
        t0 = time.perf_counter()
        save_image(scale.forward_sample(bn, a.rows, rng=0, chunks=a.chunk_rows), store)
        sec = time.perf_counter() - t0
        print(f"  sampled and written in {sec:.1f} s ({a.rows / sec:,.0f} rows/s, 2 workers)")
    res = {}
    Xw = scale.forward_sample(bn, 100, rng=2).compute(scheduler="sync")
    for w in (1, 2):
        with LocalCluster(n_workers=w, threads_per_worker=1, dashboard_address=":0") as cluster, \
                Client(cluster) as cl:
            cl.run(lambda: fit_mle(dag, Xw, cardinality=bn.cardinality, unseen="uniform"))  # warm
            X = da.from_zarr(store)
            t0 = time.perf_counter()
            fitted = scale.fit_mle(dag, X, cardinality=bn.cardinality)
            res[w] = time.perf_counter() - t0
        print(f"  pgm.scale.fit_mle from the store, {w} worker(s): {res[w]:.1f} s, "
              f"{a.rows / res[w]:,.0f} rows/s", flush=True)
    assert fitted.nodes == bn.nodes
    m = a.pgmpy_rows
    Xm = scale.forward_sample(bn, m, rng=1, chunks=m).compute(scheduler="sync")
    t0 = time.perf_counter()
    fit_mle(dag, Xm, cardinality=bn.cardinality)
    t_ours = time.perf_counter() - t0
    print(f"  in-memory pgm.fit_mle, {m:,} rows: {t_ours:.2f} s, {m / t_ours:,.0f} rows/s")
    try:
        import pandas as pd
        from pgmpy.models import DiscreteBayesianNetwork
        try:
            from pgmpy.parameter_estimator import DiscreteMLE as Est     # pgmpy >= 1.1
        except ImportError:
            from pgmpy.estimators import MaximumLikelihoodEstimator as Est
    except ImportError:
        print("  pgmpy not installed: no peer figure")
        return
    names = bn.state_names
    df = pd.DataFrame({v: np.asarray(names[v], dtype=object)[Xm[:, i].astype(np.intp)]
                       for i, v in enumerate(bn.nodes)})
    pm = DiscreteBayesianNetwork(bn.edges)
    pm.add_nodes_from(bn.nodes)
    t0 = time.perf_counter()
    try:
        pm.fit(df, estimator=Est())
    except TypeError:        # older pgmpy: the estimator class
        pm.fit(df, estimator=Est)
    t_p = time.perf_counter() - t0
    print(f"  pgmpy {Est.__name__}, {m:,} rows: {t_p:.2f} s, {m / t_p:,.0f} rows/s; "
          f"ours 2 workers from disk / pgmpy in memory: "
          f"{(a.rows / res[2]) / (m / t_p):.1f}x rows/s")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--parts", nargs="*", default=["a", "b", "c"], choices=["a", "b", "c"])
    ap.add_argument("--seam-size", type=int, default=None)
    ap.add_argument("--tile", type=int, default=512)
    ap.add_argument("--overlaps", type=int, nargs="*", default=[0, 8, 16, 32])
    ap.add_argument("--big", type=int, default=None)
    ap.add_argument("--big-tile", type=int, default=1024,
                    help="tile of (b); 512 gives 4x the tasks and measured 3x slower")
    ap.add_argument("--big-overlap", type=int, default=16)
    ap.add_argument("--inmem", type=int, default=4096)
    ap.add_argument("--rows", type=int, default=None)
    ap.add_argument("--chunk-rows", type=int, default=1_000_000)
    ap.add_argument("--pgmpy-rows", type=int, default=None)
    ap.add_argument("--folder", default=None, help="for the stores (default: a temporary one)")
    a = ap.parse_args(argv)
    q = a.quick
    a.seam_size = a.seam_size or (2048 if q else 4096)
    a.big = a.big or (4096 if q else 20000)
    a.rows = a.rows or (2_000_000 if q else 20_000_000)
    a.pgmpy_rows = a.pgmpy_rows or (200_000 if q else 1_000_000)
    a.chunk_rows = min(a.chunk_rows, a.rows)
    print(f"bench_scale: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
          f"dask {dask.__version__}, parts {' '.join(a.parts)}{' (quick)' if q else ''}")
    folder = a.folder or tempfile.mkdtemp(prefix="bench_scale_")
    try:
        if "a" in a.parts:
            seams(a)
        if "b" in a.parts:
            big(a, folder)
        if "c" in a.parts:
            tables(a, folder)
    finally:
        if a.folder is None:
            shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
