"""Atomic file writes and checked ``.npz`` loading, shared by the models that save themselves.

A write goes to a temporary file beside the target (same file system) that is flushed,
synced and renamed over the target with :func:`os.replace`, so a crash never leaves a half
written file, and an existing file is only replaced when the caller says so.
"""

from __future__ import annotations

import os
import secrets
import zipfile

import numpy as np

__all__ = ["atomic_write", "save_npz_atomic", "load_npz_checked"]


def atomic_write(path, write, *, overwrite=False, suffix=None):
    """Call ``write(fh)`` on a temporary binary file and rename it to ``path``.

    Parameters
    ----------
    path : str or os.PathLike
    write : callable
        Receives the open binary file.
    overwrite : bool
        Replace an existing ``path``; otherwise an existing file is a ``FileExistsError``.
    suffix : str, optional
        Required file-name ending (e.g. ``".npz"``), checked case-insensitively.
    """
    path = os.fspath(path)
    if suffix is not None and not path.lower().endswith(suffix):
        raise ValueError(f"path: expected a file name ending in {suffix}, got {path!r}")
    if os.path.isdir(path):
        raise ValueError(f"path: {path!r} is a folder, expected a file name")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"path: the folder {folder!r} does not exist (writing {path!r})")
    if not overwrite and os.path.lexists(path):
        raise FileExistsError(f"path: {path!r} exists and overwrite=False")
    # mode 0o666 so that the umask applies as for any new file
    tmp = os.path.join(folder, f".{os.path.basename(path)}.{secrets.token_hex(6)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return path


def save_npz_atomic(path, arrays: dict, *, overwrite=False):
    """Save named arrays to an ``.npz`` file atomically (see :func:`atomic_write`)."""
    return atomic_write(path, lambda fh: np.savez(fh, **arrays), overwrite=overwrite,
                        suffix=".npz")


def load_npz_checked(path, required) -> dict:
    """Read every array of an ``.npz`` file; a missing file, a file that is not a readable
    ``.npz`` (corrupt, truncated, pickled objects) or one without the ``required`` names is
    an error naming the file and what is wrong."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"path: {path!r} does not exist")
    try:
        with np.load(path, allow_pickle=False) as z:
            if not hasattr(z, "files"):
                raise ValueError("it holds a single array, not named arrays")
            arrays = {k: z[k] for k in z.files}
    except (ValueError, OSError, zipfile.BadZipFile, EOFError, KeyError) as exc:
        raise ValueError(f"path: {path!r} is not a readable .npz file ({exc})") from None
    missing = [k for k in required if k not in arrays]
    if missing:
        raise ValueError(f"path: {path!r} lacks the array(s) {missing}; it holds "
                         f"{sorted(arrays)}")
    return arrays
