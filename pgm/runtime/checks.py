"""Shared conventions: one random-number convention and one way to validate input.

Every function of the library that draws random numbers takes ``rng=``: ``None`` (fresh
entropy), an ``int`` seed, or a :class:`numpy.random.Generator`, and turns it into a
Generator with :func:`check_rng`. Every check raises a ``ValueError``/``TypeError`` whose
message names the argument, what was expected and what was given.
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = ["check_rng", "check_array", "check_finite", "check_spins", "check_scalar",
           "check_alloc", "MAX_ALLOC_BYTES"]

#: largest single buffer an argument may make the library allocate (bytes, 16 GiB)
MAX_ALLOC_BYTES = 16 << 30


def check_rng(rng) -> np.random.Generator:
    """Return a :class:`numpy.random.Generator` for ``rng``.

    Parameters
    ----------
    rng : None, int or numpy.random.Generator
        ``None`` draws fresh entropy; an int seeds a new PCG64 generator (the same seed gives
        the same stream); a Generator is returned as is, so successive calls share its state.

    Examples
    --------
    >>> bool(check_rng(0).integers(10) == check_rng(0).integers(10))
    True
    """
    if rng is None or isinstance(rng, (numbers.Integral, np.integer)) and not isinstance(rng, bool):
        if rng is not None and int(rng) < 0:
            raise ValueError(f"rng: a seed must be a non-negative int, got {rng}")
        return np.random.default_rng(None if rng is None else int(rng))
    if isinstance(rng, np.random.Generator):
        return rng
    raise TypeError(
        f"rng: expected None, a non-negative int seed or a numpy.random.Generator, "
        f"got {type(rng).__name__}"
    )


def check_array(x, name: str, *, ndim=None, min_size: int = 1, dtype_kind: str | None = None):
    """Return ``np.asarray(x)`` after checking dimensionality, size and dtype kind.

    ``ndim`` is an int or a tuple of allowed ints; ``dtype_kind`` a string of allowed
    ``numpy.dtype.kind`` letters (``"biuf"`` for numbers). Nothing is converted silently:
    a wrong kind is an error.
    """
    try:
        arr = np.asarray(x)
    except Exception as exc:  # ragged lists and such
        raise TypeError(f"{name}: cannot be read as an array ({exc})") from None
    if arr.dtype == object:
        raise TypeError(f"{name}: expected a numeric array, got dtype object")
    if dtype_kind is not None and arr.dtype.kind not in dtype_kind:
        raise TypeError(
            f"{name}: expected dtype kind in {dtype_kind!r} (b=bool, i/u=int, f=float), "
            f"got {arr.dtype}"
        )
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if arr.ndim not in allowed:
            raise ValueError(
                f"{name}: expected a {' or '.join(map(str, allowed))}-D array, "
                f"got {arr.ndim}-D with shape {arr.shape}"
            )
    if arr.size < min_size:
        raise ValueError(f"{name}: expected at least {min_size} element(s), got shape {arr.shape}")
    return arr


def check_finite(arr: np.ndarray, name: str) -> np.ndarray:
    """Raise if a float array holds NaN or inf; say where the first one is."""
    if arr.dtype.kind in "fc" and not np.all(np.isfinite(arr)):
        bad = np.argwhere(~np.isfinite(arr))[0]
        raise ValueError(
            f"{name}: must be finite, found {arr[tuple(bad)]} at index {tuple(int(i) for i in bad)} "
            f"({int(np.count_nonzero(~np.isfinite(arr)))} non-finite value(s) in all)"
        )
    return arr


def check_spins(x, name: str, *, ndim=2) -> np.ndarray:
    """Validate an array of spins in {-1, +1} and return it as a C-contiguous int8 array.

    Accepts integer, bool-free numeric arrays whose every value is -1 or +1 (floats such as
    ``1.0`` are accepted only when exactly ±1). Anything else — 0/1 images, NaN, other values,
    empty arrays, wrong dimensionality — is an error naming ``name``.
    """
    arr = check_array(x, name, ndim=ndim, dtype_kind="iuf")
    check_finite(arr, name)
    ok = (arr == 1) | (arr == -1)
    if not np.all(ok):
        bad = np.argwhere(~ok)[0]
        vals = np.unique(arr[~ok])[:5]
        raise ValueError(
            f"{name}: spins must be -1 or +1, found {arr[tuple(bad)]} at index "
            f"{tuple(int(i) for i in bad)} (offending values include {vals.tolist()}); "
            f"for a 0/1 image use 2*img - 1"
        )
    return np.ascontiguousarray(arr, dtype=np.int8)


def check_scalar(value, name: str, *, low=None, high=None, low_inclusive=True,
                 high_inclusive=True, integer=False):
    """Validate a real (or integer) scalar within optional bounds and return it."""
    kinds = (numbers.Integral,) if integer else (numbers.Real,)
    if isinstance(value, bool) or not isinstance(value, kinds):
        raise TypeError(f"{name}: expected {'an int' if integer else 'a real number'}, "
                        f"got {value!r} of type {type(value).__name__}")
    if not integer and not np.isfinite(value):
        raise ValueError(f"{name}: must be finite, got {value}")
    if low is not None and (value < low or (not low_inclusive and value == low)):
        raise ValueError(f"{name}: must be {'>=' if low_inclusive else '>'} {low}, got {value}")
    if high is not None and (value > high or (not high_inclusive and value == high)):
        raise ValueError(f"{name}: must be {'<=' if high_inclusive else '<'} {high}, got {value}")
    return int(value) if integer else float(value)


def check_alloc(shape, dtype, name: str, value, limit=None) -> int:
    """Refuse, before allocating, a buffer of ``shape`` and ``dtype`` that argument ``name``
    (given as ``value``) would make larger than ``limit`` bytes (default
    :data:`MAX_ALLOC_BYTES`); returns the size in bytes.

    >>> check_alloc((10**11, 5), np.uint8, "n_samples", 10**11)
    Traceback (most recent call last):
        ...
    ValueError: n_samples: 100000000000 needs a buffer of shape (100000000000, 5) of uint8 (500.0 GB), over the limit of 17.2 GB
    """
    limit = MAX_ALLOC_BYTES if limit is None else limit
    nbytes = int(np.prod([int(s) for s in shape], dtype=object)) * np.dtype(dtype).itemsize
    if nbytes > limit:
        shape = tuple(int(s) for s in shape)
        raise ValueError(f"{name}: {value!r} needs a buffer of shape {shape} of "
                         f"{np.dtype(dtype)} ({nbytes / 1e9:.1f} GB), over the limit of "
                         f"{limit / 1e9:.1f} GB")
    return nbytes
