"""Data helpers: splits, mini-batches, standardisation, image augmentation, digits and IDX files.

Every random choice takes ``rng=`` (None, an int seed or a numpy Generator).

Examples
--------
>>> import numpy as np
>>> X, y = np.arange(20.0).reshape(10, 2), np.arange(10) % 2
>>> Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.3, rng=0)
>>> Xtr.shape, Xte.shape
((7, 2), (3, 2))
>>> [xb.shape[0] for xb, yb in minibatches(Xtr, ytr, batch_size=3, rng=0)]
[3, 3, 1]
"""

from __future__ import annotations

import gzip
import os
import struct

import numpy as np

from pgm.runtime import atomic_write
from pgm.runtime import check_alloc, check_array, check_finite, check_rng, check_scalar

__all__ = ["train_test_split", "minibatches", "Standardizer", "random_crop", "random_flip",
           "augment", "load_digits", "read_idx", "write_idx", "load_mnist"]


def train_test_split(*arrays, test_size=0.25, rng=0, stratify=None):
    """Split arrays (same first dimension) into a random train and test part.

    Parameters
    ----------
    *arrays : ndarrays of shape (n_samples, ...)
    test_size : float in (0, 1) or int
        Fraction (rounded up, as scikit-learn does) or number of test samples.
    rng : None, int or Generator, default 0
    stratify : array of shape (n_samples,), optional
        Class labels: each class is split in the same proportion.

    Returns
    -------
    list : train and test part of each array, in order (a_train, a_test, b_train, b_test, ...)
    """
    if not arrays:
        raise ValueError("train_test_split: needs at least one array")
    n = len(arrays[0])
    for i, a in enumerate(arrays):
        if len(a) != n:
            raise ValueError(f"train_test_split: array {i} has {len(a)} samples, array 0 has {n}")
    if isinstance(test_size, float):
        if not 0 < test_size < 1:
            raise ValueError(f"test_size: a fraction must be in (0, 1), got {test_size}")
        n_test = int(np.ceil(test_size * n))
    else:
        n_test = int(test_size)
    if not 0 < n_test < n:
        raise ValueError(f"test_size: gives {n_test} test samples out of {n}; need 0 < n_test < n")
    gen = check_rng(rng)
    if stratify is None:
        perm = gen.permutation(n)
        test, train = perm[:n_test], perm[n_test:]
    else:
        labels = np.asarray(stratify)
        test_parts = []
        for c in np.unique(labels):
            idx = gen.permutation(np.flatnonzero(labels == c))
            test_parts.append(idx[:int(round(len(idx) * n_test / n))])
        test = np.concatenate(test_parts)
        mask = np.ones(n, bool)
        mask[test] = False
        train = gen.permutation(np.flatnonzero(mask))
        test = gen.permutation(test)
    out = []
    for a in arrays:
        a = np.asarray(a)
        out += [a[train], a[test]]
    return out


def minibatches(X, y=None, batch_size=32, shuffle=True, rng=None, drop_last=False):
    """Iterate over mini-batches ``(X_batch, y_batch)`` (or ``X_batch`` when y is None).

    Parameters
    ----------
    X : ndarray of shape (n_samples, ...)
    y : ndarray of shape (n_samples, ...), optional
    batch_size : int
    shuffle : bool — a fresh permutation from ``rng`` on each call
    drop_last : bool — skip a last, smaller batch
    """
    n = len(X)
    if y is not None and len(y) != n:
        raise ValueError(f"minibatches: X has {n} samples but y has {len(y)}")
    if int(batch_size) < 1:
        raise ValueError(f"batch_size: must be >= 1, got {batch_size}")
    order = check_rng(rng).permutation(n) if shuffle else np.arange(n)
    stop = n - n % batch_size if drop_last else n
    for s in range(0, stop, batch_size):
        idx = order[s:s + batch_size]
        yield (X[idx], y[idx]) if y is not None else X[idx]


class Standardizer:
    """Zero mean, unit variance per feature (scikit-learn's StandardScaler habits).

    ``axis`` gives the axes averaged over: 0 for (n_samples, n_features) tables, (0, 2, 3)
    for per-channel image statistics. Constant features are left unscaled.

    Attributes
    ----------
    mean_, scale_ : ndarray
    """

    def __init__(self, axis=0):
        self.axis = axis

    def fit(self, X):
        X = check_array(X, "X", dtype_kind="iuf")
        check_finite(X, "X")
        self.mean_ = X.mean(axis=self.axis, keepdims=True)
        sd = X.std(axis=self.axis, keepdims=True)
        self.scale_ = np.where(sd > 0, sd, 1.0)
        return self

    def transform(self, X):
        if not hasattr(self, "mean_"):
            raise RuntimeError("Standardizer: call fit() before transform()")
        X = np.asarray(X)
        if X.shape[1:] != self.mean_.shape[1:] and self.axis == 0:
            raise ValueError(f"Standardizer: fitted on shape (*, {self.mean_.shape[1:]}), "
                             f"got {X.shape}")
        dt = X.dtype if X.dtype.kind == "f" else np.float64
        return ((X - self.mean_) / self.scale_).astype(dt)

    def fit_transform(self, X):
        return self.fit(X).transform(X)

    def inverse_transform(self, Z):
        return np.asarray(Z) * self.scale_ + self.mean_


def random_crop(images, padding, rng=None):
    """Zero-pad each image by ``padding`` pixels and crop back to its size at a random offset.

    Parameters
    ----------
    images : ndarray of shape (N, C, H, W)
    padding : int >= 0
    """
    images = check_array(images, "images", ndim=4)
    p = int(padding)
    if p < 0:
        raise ValueError(f"padding: must be >= 0, got {padding}")
    if p == 0:
        return images.copy()
    N, C, H, W = images.shape
    gen = check_rng(rng)
    padded = np.pad(images, ((0, 0), (0, 0), (p, p), (p, p)))
    dy = gen.integers(0, 2 * p + 1, N)
    dx = gen.integers(0, 2 * p + 1, N)
    rows = dy[:, None] + np.arange(H)[None, :]             # (N, H)
    cols = dx[:, None] + np.arange(W)[None, :]             # (N, W)
    n = np.arange(N)[:, None, None, None]
    c = np.arange(C)[None, :, None, None]
    return padded[n, c, rows[:, None, :, None], cols[:, None, None, :]]


def random_flip(images, p=0.5, rng=None):
    """Flip each image left-right with probability ``p``. images: (N, C, H, W)."""
    images = check_array(images, "images", ndim=4)
    flip = check_rng(rng).random(len(images)) < p
    out = images.copy()
    out[flip] = out[flip][..., ::-1]
    return out


def augment(images, crop_padding=0, flip=False, rng=None):
    """Pad-and-random-crop then (optionally) random horizontal flip, with one ``rng``."""
    gen = check_rng(rng)
    out = random_crop(images, crop_padding, gen) if crop_padding else images
    return random_flip(out, 0.5, gen) if flip else out


def nearest_neighbours(X, k, *, block_bytes=1 << 26):
    """The k nearest other rows of each row of X (Euclidean), nearest first.

    Exact brute force in blocks of rows (each block's distance matrix stays under
    ``block_bytes``), so memory is O(n k) plus one block; time is O(n² d).

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), finite
    k : int, 1 <= k < n_samples
    block_bytes : int, default 64 MiB

    Returns
    -------
    ndarray of int64, shape (n_samples, k)
        Row indices; a row is never its own neighbour (a duplicate row is, at distance 0).
        Equal distances come in an unspecified (but repeatable) order.

    Examples
    --------
    >>> nearest_neighbours(np.array([[0.0], [1.0], [3.0], [7.0]]), 2).tolist()
    [[1, 2], [0, 2], [1, 0], [2, 1]]
    """
    X = check_array(X, "X", ndim=2, dtype_kind="biuf")
    check_finite(X, "X")
    n = len(X)
    k = check_scalar(k, "k", low=1, high=n - 1, integer=True)
    check_alloc((n, k), np.int64, "k", k)
    Xf = np.asarray(X, dtype=np.float64)
    sq = np.einsum("ij,ij->i", Xf, Xf)
    rows = max(1, int(block_bytes) // (8 * n))
    out = np.empty((n, k), np.int64)
    for s in range(0, n, rows):
        e = min(n, s + rows)
        d = sq[s:e, None] + sq[None, :] - 2.0 * (Xf[s:e] @ Xf.T)
        np.maximum(d, 0.0, out=d)
        d[np.arange(e - s), np.arange(s, e)] = np.inf
        part = np.argpartition(d, k, axis=1)[:, :k + 1]
        order = np.argsort(np.take_along_axis(d, part, axis=1), axis=1, kind="stable")[:, :k]
        out[s:e] = np.take_along_axis(part, order, axis=1)
    return out


def load_digits(as_images=True, dtype=np.float32):
    """scikit-learn's bundled 8×8 handwritten digits (1,797 images, 10 classes), offline.

    Parameters
    ----------
    as_images : bool
        Return X of shape (1797, 1, 8, 8) (True) or (1797, 64).
    dtype : float dtype of X; pixel values are scaled from 0..16 to [0, 1].

    Returns
    -------
    X : ndarray, y : int64 ndarray of shape (1797,)

    Raises
    ------
    ImportError
        When scikit-learn is not installed (``pip install "pgm-energy[data]"``).
    """
    try:
        from sklearn.datasets import load_digits as _ld
    except ImportError:
        raise ImportError('load_digits needs scikit-learn, which ships the digits data: '
                          'pip install "pgm-energy[data]" (or pip install scikit-learn)') from None
    d = _ld()
    X = (d.data / 16.0).astype(dtype)
    return (X.reshape(-1, 1, 8, 8) if as_images else X), d.target.astype(np.int64)


_IDX_TYPES = {0x08: np.dtype(np.uint8), 0x09: np.dtype(np.int8), 0x0B: np.dtype(">i2"),
              0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}


def read_idx(path):
    """Read an IDX file (the MNIST format), optionally gzip-compressed.

    Format: two zero bytes, a type code (0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32,
    0x0D float32, 0x0E float64), the number of dimensions, then each dimension as a big-endian
    uint32, then the data in C order, big-endian.

    Returns
    -------
    ndarray of the stored shape, in native byte order.

    Raises
    ------
    ValueError
        Bad magic number, unknown type code, or a data size that does not match the header
        (a truncated or padded file); the message names the file and both sizes.
    """
    path = os.fspath(path)
    opener = gzip.open if path.endswith(".gz") else open
    try:
        with opener(path, "rb") as fh:
            raw = fh.read()
    except (OSError, EOFError) as exc:
        if isinstance(exc, FileNotFoundError):
            raise
        raise ValueError(f"read_idx: cannot read {path!r} ({exc})") from None
    if len(raw) < 4:
        raise ValueError(f"read_idx: {path!r} is too short for an IDX header ({len(raw)} bytes)")
    z0, z1, code, ndim = raw[0], raw[1], raw[2], raw[3]
    if z0 != 0 or z1 != 0:
        raise ValueError(f"read_idx: {path!r} is not an IDX file (magic starts with "
                         f"{z0:#04x} {z1:#04x}, expected 0x00 0x00)")
    if code not in _IDX_TYPES:
        raise ValueError(f"read_idx: {path!r} has unknown type code {code:#04x}; expected one of "
                         f"{[hex(c) for c in _IDX_TYPES]}")
    if ndim == 0 or len(raw) < 4 + 4 * ndim:
        raise ValueError(f"read_idx: {path!r} has a truncated header ({ndim} dimensions)")
    shape = struct.unpack(f">{ndim}I", raw[4:4 + 4 * ndim])
    dt = _IDX_TYPES[code]
    expect = int(np.prod(shape, dtype=np.int64)) * dt.itemsize
    got = len(raw) - 4 - 4 * ndim
    if got != expect:
        raise ValueError(f"read_idx: {path!r}: header says shape {shape} of {dt} = {expect} data "
                         f"bytes, the file has {got} (truncated or corrupt)")
    arr = np.frombuffer(raw, dtype=dt, offset=4 + 4 * ndim).reshape(shape)
    return arr.astype(dt.newbyteorder("="))


def write_idx(path, array, overwrite=False):
    """Write ``array`` as an IDX file, atomically; an existing file needs ``overwrite=True``."""
    a = np.asarray(array)
    codes = {v.newbyteorder("=") if v.itemsize > 1 else v: k for k, v in _IDX_TYPES.items()}
    key = a.dtype.newbyteorder("=") if a.dtype.itemsize > 1 else a.dtype
    if key not in codes:
        raise TypeError(f"write_idx: dtype {a.dtype} has no IDX type code")
    dt = _IDX_TYPES[codes[key]]
    header = bytes([0, 0, codes[key], a.ndim]) + struct.pack(f">{a.ndim}I", *a.shape)
    return atomic_write(path, lambda fh: fh.write(header + a.astype(dt).tobytes()),
                        overwrite=overwrite)


def load_mnist(directory, kind="train", dtype=np.float32):
    """Read MNIST (or Fashion-MNIST) IDX files from ``directory``.

    Looks for ``{kind}-images-idx3-ubyte`` and ``{kind}-labels-idx1-ubyte`` (``kind`` 'train'
    or 't10k'), with or without ``.gz``. Returns X (N, 1, 28, 28) scaled to [0, 1] and y int64.
    """
    def find(stem):
        for name in (stem, stem + ".gz"):
            p = os.path.join(directory, name)
            if os.path.exists(p):
                return p
        raise FileNotFoundError(f"load_mnist: no {stem}[.gz] in {directory!r}")
    X = read_idx(find(f"{kind}-images-idx3-ubyte"))
    y = read_idx(find(f"{kind}-labels-idx1-ubyte"))
    if X.ndim != 3 or y.ndim != 1 or len(X) != len(y):
        raise ValueError(f"load_mnist: images of shape {X.shape} and labels of shape {y.shape} "
                         f"do not match")
    return (X[:, None].astype(dtype) / 255).astype(dtype), y.astype(np.int64)
