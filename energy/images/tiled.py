"""Tiled restoration of binary images larger than memory, on Dask (optional extra ``[dask]``).

Every function takes spins ``y`` as a :class:`dask.array.Array` (or anything
:func:`as_tiles` turns into one: a zarr array, a memory-mapped ``.npy``, a numpy array) and
returns the restored spins as a lazy dask array of the same shape and chunks (a last tile
thinner than the halo is merged into the one before it). Each tile is restored
with a halo of ``overlap`` pixels on every side that has a neighbour (``map_overlap`` with
no padding at the image border, so a border tile sees the same free boundary as the whole
image), and only the tile's interior is kept.

* :func:`tiled_icm`, :func:`tiled_graphcut`: the MAP methods per tile. Near a seam a tile
  does not see the whole image, so a few pixels can differ from the global result; the
  fraction falls quickly with the overlap (``benchmarks/bench_scale.py`` measures it).
* :func:`tiled_gibbs`, :func:`tiled_anneal`: Gibbs sampling with counter-based draws keyed
  by the pixel's *global* position and the sweep, so a tile draws exactly the numbers the
  untiled sampler draws. A checkerboard sweep carries information two pixels (one per
  colour), so after ``n`` sweeps a wrong value outside the halo has reached at most ``2 n``
  pixels into it: with ``overlap >= 2 * n_sweeps`` (the default) the tiled result equals
  :meth:`energy.models.IsingModel.gibbs` with the same ``rng`` exactly. A halo of
  ``n_sweeps`` pixels is no guarantee: a difference moves on only when it changes a draw's
  outcome, so in practice it travels slower (10 sweeps on the horse image at 20 % noise,
  64-pixel tiles: a halo of 5 changed 9 and 78 marginals in two settings, a halo of 10
  none), but the worst case is two pixels per sweep.
  The draws are :func:`energy.models._ising_kernels.gibbs_checkerboard4_at`'s: the
  untiled kernels' numbers at the tile's global offset.

Reading and writing: :func:`open_image` opens a zarr store or a ``.npy`` file lazily;
:func:`save_image` writes a dask array chunk by chunk to a temporary name beside the target
and renames it on success, so the target is never half written. Nothing here loads the
whole image into one process.

dask is imported when a function here first runs (an optional extra), so importing this
module (as the command line does) costs nothing without it.

Examples
--------
>>> import numpy as np
>>> import dask.array as da
>>> from energy.images import load_example, add_flip_noise
>>> from energy.models import IsingModel
>>> y = add_flip_noise(load_example("horse"), 0.1, rng=0)
>>> x = tiled_graphcut(da.from_array(y, chunks=128), beta=1.0, eta=2.1, overlap=32)
>>> x.shape == y.shape, x.dtype
(True, dtype('int8'))
>>> exact = IsingModel(y, beta=1.0, eta=2.1).graphcut().x
>>> float(np.mean(x.compute() != exact)) < 1e-3
True
"""

from __future__ import annotations

import os
import shutil
import secrets
from typing import TYPE_CHECKING

import numpy as np

from pgm.runtime import check_rng, check_scalar, check_spins, threads_for

from energy.models import _ising_kernels as K
from energy.models.ising import IsingModel
from energy.sampling import temperature_schedule

if TYPE_CHECKING:      # annotations only: dask is imported when a function runs
    import dask.array

__all__ = ["as_tiles", "open_image", "save_image", "tiled_icm", "tiled_graphcut",
           "tiled_gibbs", "tiled_anneal", "exact_overlap"]


# ----------------------------------------------------------------------------- inputs
def _dask():
    """``dask.array``, with a clear message when the optional extra is missing."""
    try:
        # function-level on purpose: dask is a heavy optional extra, needed only when tiling
        import dask.array as da
    except ImportError:
        raise ImportError("tiled restoration needs dask and zarr: pip install "
                          "'pgm-energy[dask]'") from None
    return da


def as_tiles(y, tile=None, name: str = "y") -> "dask.array.Array":
    """``y`` as a 2-D dask array of spins, chunked ``(tile, tile)`` when ``tile`` is given.

    Parameters
    ----------
    y : dask array, zarr array, numpy array or memory map of shape (H, W)
        Spins -1/+1 of a signed integer dtype (checked per tile when computed).
    tile : int, optional
        Rechunk to square tiles of this many pixels; default: keep ``y``'s chunks (a zarr
        array's chunks, 1024 x 1024 for a memory map, one chunk for a numpy array).

    Raises
    ------
    TypeError
        ``y`` is not of a signed integer dtype (a 0/1 or float image: convert it first).
    ValueError
        ``y`` or its chunks are not 2-D, or ``tile`` < 1.
    """
    da = _dask()
    if not isinstance(y, da.Array):
        if not hasattr(y, "shape") or not hasattr(y, "dtype"):
            y = np.asarray(y)
        if tile is not None:
            chunks = (tile, tile)
        elif isinstance(getattr(y, "chunks", None), tuple):     # a zarr array: its own chunks
            chunks = y.chunks
        elif isinstance(y, np.memmap):
            chunks = tuple(min(s, 1024) for s in y.shape)
        else:
            chunks = y.shape
        y = da.from_array(y, chunks=chunks)
    if y.ndim != 2 or len(y.chunks) != 2:
        raise ValueError(f"{name}: expected a 2-D image with 2-D chunks, got {y.ndim}-D with "
                         f"chunks {y.chunks}")
    if y.dtype.kind != "i":
        raise TypeError(f"{name}: expected spins -1/+1 of a signed integer dtype (int8), got "
                        f"dtype {y.dtype}; convert a 0/1 image with 2*img - 1 (as int8)")
    if tile is not None:
        t = check_scalar(tile, "tile", low=1, integer=True)
        y = y.rechunk((t, t))
    return y


def _check_overlap(y, overlap):
    """(y, overlap) checked; a last tile thinner than the halo is merged into the one before."""
    d = check_scalar(overlap, "overlap", low=0, integer=True)
    chunks = []
    for ax, ch in enumerate(y.chunks):
        ch = tuple(ch)
        if len(ch) > 1 and ch[-1] < d:   # the remainder of a size that is no multiple of the tile
            ch = ch[:-2] + (ch[-2] + ch[-1],)
        if len(ch) > 1 and min(ch) < d:
            raise ValueError(
                f"overlap: {d} pixels is more than the tile along axis {ax} ({min(ch)} "
                f"pixels; chunks {ch[:4]}{'...' if len(ch) > 4 else ''}); use a tile of at "
                f"least {d} pixels or a smaller overlap")
        chunks.append(ch)
    if tuple(chunks) != y.chunks:
        y = y.rechunk(tuple(chunks))
    return y, d


def _origins(chunks, depth):
    """Global (row, column) of the top-left pixel of each tile *with* its halo."""
    out = []
    for ch in chunks:
        starts = np.concatenate([[0], np.cumsum(ch)[:-1]]).astype(np.int64)
        out.append([int(s - depth) if i > 0 else 0 for i, s in enumerate(starts)])
    return out


def _tile(y, block_id):
    try:
        return check_spins(y, "y")
    except ValueError as e:
        raise ValueError(f"tile {block_id}: {e}") from None


def _overlap(y, fn, depth, dtype, **kw):
    """``map_overlap`` of ``fn(tile, origin=(r0, c0), **kw)`` with the halo trimmed."""
    rows, cols = _origins(y.chunks, depth)

    def run(block, block_id=None):
        i, j = block_id
        with threads_for(0):   # dask runs the tiles in parallel: one thread per tile
            return fn(_tile(block, block_id), origin=(rows[i], cols[j]), **kw)

    return y.map_overlap(run, depth=depth, boundary="none", trim=True, dtype=dtype,
                         meta=np.empty((0, 0), dtype))


def _restore_chunks(x, chunks):
    """Back to the caller's chunks after :func:`_check_overlap` merged a thin last tile."""
    return x if x.chunks == chunks else x.rechunk(chunks)


def _model(beta, eta, h):
    check_scalar(beta, "beta")
    check_scalar(eta, "eta")
    check_scalar(h, "h")
    return dict(beta=float(beta), eta=float(eta), h=float(h))


# ----------------------------------------------------------------------------- MAP
def _icm_tile(y, origin, beta, eta, h, max_sweeps):
    return IsingModel(y, beta=beta, eta=eta, h=h).icm(max_sweeps=max_sweeps).x


def tiled_icm(y, *, beta=1.0, eta=2.1, h=0.0, overlap: int = 16,
              max_sweeps: int = 100) -> "dask.array.Array":
    """ICM (:meth:`energy.models.IsingModel.icm`) tile by tile, 4-neighbour grid.

    Parameters
    ----------
    y : dask array of shape (H, W)
        Observed spins (see :func:`as_tiles`).
    beta, eta, h : float
        The Ising model's parameters.
    overlap : int
        Halo in pixels (>= 0, at most the smallest tile).
    max_sweeps : int

    Returns
    -------
    dask array of int8, shape (H, W)
    """
    y = as_tiles(y)
    chunks = y.chunks
    y, d = _check_overlap(y, overlap)
    n = check_scalar(max_sweeps, "max_sweeps", low=1, integer=True)
    x = _overlap(y, _icm_tile, d, np.int8, max_sweeps=n, **_model(beta, eta, h))
    return _restore_chunks(x, chunks)


def _graphcut_tile(y, origin, beta, eta, h):
    return IsingModel(y, beta=beta, eta=eta, h=h).graphcut().x


def tiled_graphcut(y, *, beta=1.0, eta=2.1, h=0.0, overlap: int = 32) -> "dask.array.Array":
    """Exact MAP per tile by graph cut (:meth:`energy.models.IsingModel.graphcut`).

    Parameters
    ----------
    y : dask array of shape (H, W)
    beta, eta, h : float
        The Ising model's parameters (beta >= 0).
    overlap : int
        Halo in pixels.

    Returns
    -------
    dask array of int8, shape (H, W)
    """
    y = as_tiles(y)
    chunks = y.chunks
    y, d = _check_overlap(y, overlap)
    par = _model(beta, eta, h)
    if par["beta"] < 0:
        raise ValueError(f"beta: graph cut needs beta >= 0, got {beta}")
    return _restore_chunks(_overlap(y, _graphcut_tile, d, np.int8, **par), chunks)


# ----------------------------------------------------------------------------- sampling
def exact_overlap(n_sweeps: int) -> int:
    """The halo that makes ``n_sweeps`` checkerboard sweeps per tile exact: ``2 * n_sweeps``.

    >>> exact_overlap(10)
    20
    """
    return 2 * check_scalar(n_sweeps, "n_sweeps", low=1, integer=True)


def _sweeps(y, origin, width, beta, eta, h, seeds, temps, burn_in):
    """Checkerboard Gibbs sweeps of one tile with the global draws; (state, mean or None)."""
    state = IsingModel(y, beta=beta, eta=eta, h=h).initial_state()
    r0, c0 = origin
    acc = None
    for k, (s, T) in enumerate(zip(seeds, temps)):
        thr = K.gibbs_thresholds(beta, eta, h, 4, float(T))
        for colour in (0, 1):
            K.gibbs_checkerboard4_at(state, y, colour, thr, s, r0, c0, width)
        if burn_in is not None and k >= burn_in:
            if acc is None:
                acc = np.zeros(y.shape, dtype=np.float64)
            acc += state[1:-1, 1:-1]
    mean = None if acc is None else acc / (len(seeds) - burn_in)
    return state, mean


def _gibbs_tile(y, origin, width, beta, eta, h, seeds, temps, burn_in, marginals):
    _, mean = _sweeps(y, origin, width, beta, eta, h, seeds, temps, burn_in)
    marg = (1.0 + mean) / 2.0
    if marginals:
        return marg
    return np.where(marg > 0.5, 1, np.where(marg < 0.5, -1, y)).astype(np.int8)


def _seeds(rng, n):
    gen = check_rng(rng)
    return [int(gen.integers(0, 2**63)) for _ in range(n)]


def tiled_gibbs(y, temperature: float = 1.0, *, beta=1.0, eta=2.1, h=0.0, n_sweeps: int = 200,
                burn_in: int = 50, rng=None, overlap=None, marginals: bool = False) -> "dask.array.Array":
    """Gibbs sampling of p(x | y) tile by tile; the MPM estimate or the marginals.

    Same as :meth:`energy.models.IsingModel.gibbs` (4-neighbour checkerboard sweeps, x = +1
    where the marginal exceeds 1/2, ties to y), and with ``overlap >= 2 * n_sweeps`` equal to
    it draw for draw for the same ``rng``: one seed per sweep is drawn from ``rng`` up front
    and every pixel's uniform is keyed by its global position.

    Parameters
    ----------
    y : dask array of shape (H, W)
    temperature : float
    beta, eta, h : float
    n_sweeps, burn_in : int
        Sweeps in all, and the first ones left out of the averages.
    rng : None, int or numpy.random.Generator
    overlap : int, optional
        Halo in pixels; default :func:`exact_overlap` (``2 * n_sweeps``). Smaller halos
        are faster and approximate.
    marginals : bool
        Return P(x_i = +1 | y) (float64) instead of the MPM spins (int8).

    Returns
    -------
    dask array of shape (H, W)
    """
    y = as_tiles(y)
    chunks = y.chunks
    T = check_scalar(temperature, "temperature", low=0, low_inclusive=False)
    n = check_scalar(n_sweeps, "n_sweeps", low=1, integer=True)
    b = check_scalar(burn_in, "burn_in", low=0, integer=True)
    if b >= n:
        raise ValueError(f"burn_in: must be < n_sweeps ({n}), got {b}")
    y, d = _check_overlap(y, exact_overlap(n) if overlap is None else overlap)
    x = _overlap(y, _gibbs_tile, d, np.float64 if marginals else np.int8,
                 width=int(y.shape[1]), seeds=_seeds(rng, n), temps=[T] * n, burn_in=b,
                 marginals=bool(marginals), **_model(beta, eta, h))
    return _restore_chunks(x, chunks)


def _anneal_tile(y, origin, width, beta, eta, h, seeds, temps, final_sweeps):
    state, _ = _sweeps(y, origin, width, beta, eta, h, seeds, temps, None)
    model = IsingModel(y, beta=beta, eta=eta, h=h)
    x = model.spins(state)
    return model.icm(x0=x, max_sweeps=final_sweeps).x


def tiled_anneal(y, schedule=None, *, beta=1.0, eta=2.1, h=0.0, t_start: float = 4.0,
                 t_end: float = 0.05, n_sweeps: int = 100, rng=None, overlap=None,
                 final_sweeps: int = 100) -> "dask.array.Array":
    """Simulated annealing tile by tile, then ICM to a fixed point in each tile.

    The annealing sweeps draw exactly what :meth:`energy.models.IsingModel.anneal` draws
    for the same ``rng`` and, with ``overlap >= 2 * len(schedule)`` (the default), give the
    same state; the final ICM sweeps converge per tile, so near seams the result can differ
    from the untiled one where those sweeps reach beyond the halo.

    Parameters
    ----------
    y : dask array of shape (H, W)
    schedule : array of float, optional
        Temperatures, one per sweep; default geometric from ``t_start`` to ``t_end``.
    beta, eta, h : float
    t_start, t_end : float
    n_sweeps : int
    rng : None, int or numpy.random.Generator
    overlap : int, optional
        Default ``2 * len(schedule)``.
    final_sweeps : int
        At most this many ICM sweeps after the schedule.

    Returns
    -------
    dask array of int8, shape (H, W)
    """
    y = as_tiles(y)
    chunks = y.chunks
    temps = np.asarray(temperature_schedule(t_start, t_end, n_sweeps) if schedule is None
                       else schedule, dtype=np.float64)
    if temps.ndim != 1 or temps.size < 1 or not np.all(temps > 0):
        raise ValueError(f"schedule: expected a 1-D array of temperatures > 0, got {temps!r}")
    y, d = _check_overlap(y, exact_overlap(temps.size) if overlap is None else overlap)
    m = check_scalar(final_sweeps, "final_sweeps", low=1, integer=True)
    x = _overlap(y, _anneal_tile, d, np.int8, width=int(y.shape[1]),
                 seeds=_seeds(rng, temps.size), temps=temps.tolist(), final_sweeps=m,
                 **_model(beta, eta, h))
    return _restore_chunks(x, chunks)


# ----------------------------------------------------------------------------- files
def _is_npy(path) -> bool:
    return os.fspath(path).lower().endswith(".npy")


def open_image(path, tile=None) -> "dask.array.Array":
    """Open a zarr store or a ``.npy`` file of shape (H, W) as a lazy dask array.

    A ``.npy`` file is memory-mapped read-only; a zarr store keeps its chunks unless
    ``tile`` rechunks it. Nothing is read until the result is computed.

    Raises
    ------
    FileNotFoundError
        ``path`` does not exist.
    ValueError
        ``path`` is neither a ``.npy`` file nor a zarr store, or not 2-D.
    """
    da = _dask()
    p = os.fspath(path)
    if not os.path.exists(p):
        raise FileNotFoundError(f"path: {p!r} does not exist")
    if _is_npy(p):
        arr = np.load(p, mmap_mode="r")
        y = da.from_array(arr, chunks=tuple(min(s, 1024) for s in arr.shape) if tile is None
                          else (tile,) * arr.ndim)
    elif os.path.isdir(p):
        try:
            y = da.from_zarr(p)
        except Exception as e:  # zarr's errors for a folder that is not a store vary by version
            raise ValueError(f"path: {p!r} is a folder but not a zarr array ({e})") from None
    else:
        raise ValueError(f"path: expected a .npy file or a zarr store (folder), got {p!r}")
    if y.ndim != 2:
        raise ValueError(f"path: {p!r} holds a {y.ndim}-D array of shape {y.shape}, expected 2-D")
    if tile is not None:
        y = y.rechunk((tile, tile))
    return y


class _NpyTarget:
    """A picklable ``__setitem__`` target writing into a ``.npy`` file (reopened per write)."""

    def __init__(self, path):
        self.path = path

    def __setitem__(self, key, value):
        mm = np.load(self.path, mmap_mode="r+")
        mm[key] = value
        mm.flush()
        del mm


def _run(task, progress):
    """Compute ``task``, with Dask's progress bar when asked (distributed's or the local one)."""
    if not progress:
        task.compute()
        return
    # function-level on purpose: distributed is part of the optional extra
    from dask.diagnostics import ProgressBar
    try:
        from distributed import default_client, progress as bar
        client = default_client()
    except (ImportError, ValueError):
        client = None
    if client is None:
        with ProgressBar():
            task.compute()
        return
    fut = client.compute(task)
    bar(fut)
    fut.result()


def save_image(x, path, *, overwrite: bool = False, progress: bool = False):
    """Write the dask array ``x`` to a zarr store or a ``.npy`` file, atomically.

    The chunks are written to a temporary name beside ``path``, which is renamed to
    ``path`` only when every chunk is written; on an error the temporary is removed and
    ``path`` is untouched. Runs on the current Dask scheduler (a ``distributed.Client``
    when one is active; the workers must see the same file system).

    Parameters
    ----------
    x : dask array
    path : str or os.PathLike
        Ending in ``.npy`` for a NumPy file, anything else for a zarr store (a folder).
    overwrite : bool
        Replace an existing ``path``.
    progress : bool
        Show Dask's progress bar while the tiles are computed and written.

    Returns
    -------
    str
        ``path``.
    """
    da = _dask()
    p = os.fspath(path)
    if not isinstance(x, da.Array):
        raise TypeError(f"x: expected a dask array, got {type(x).__name__}")
    folder = os.path.dirname(os.path.abspath(p))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"path: the folder {folder!r} does not exist (writing {p!r})")
    if os.path.lexists(p) and not overwrite:
        raise FileExistsError(f"path: {p!r} exists and overwrite=False")
    tmp = os.path.join(folder, f".{os.path.basename(p)}.{secrets.token_hex(6)}.tmp")
    try:
        if _is_npy(p):
            np.lib.format.open_memmap(tmp, mode="w+", dtype=x.dtype, shape=x.shape).flush()
            task = da.store(x, _NpyTarget(tmp), lock=False, compute=False)
        else:
            task = x.to_zarr(tmp, compute=False)
        _run(task, progress)
        if os.path.isdir(p) and not os.path.islink(p):
            shutil.rmtree(p)
        os.replace(tmp, p)
    except BaseException:
        if os.path.isdir(tmp):
            shutil.rmtree(tmp, ignore_errors=True)
        elif os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return p

