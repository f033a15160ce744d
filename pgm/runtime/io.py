"""Atomic file writes and checked ``.npz`` loading, shared by the models that save themselves.

A write goes to a temporary file beside the target (same file system) that is flushed,
synced and renamed over the target with :func:`os.replace`, so a crash never leaves a half
written file, and an existing file is only replaced when the caller says so. The temporary
name, ``.NAME.<pid>.<hex>.tmp``, carries the writer's process id: a writer killed before the
rename (SIGKILL, power loss) leaves it behind, and the next write of the same target removes
the ones whose writer is dead or that are older than :data:`STALE_TMP_SECONDS`.

Loading reads only the members asked for, and checks each member's header (shape, dtype,
size) before reading its data: a small file cannot make the reader allocate or decompress
gigabytes.
"""

from __future__ import annotations

import os
import re
import secrets
import time
import zipfile

import numpy as np

__all__ = ["atomic_write", "save_npz_atomic", "load_npz_checked", "npz_names",
           "MAX_NPZ_MEMBER_BYTES", "STALE_TMP_SECONDS"]

#: largest member :func:`load_npz_checked` reads unless told otherwise (bytes, 4 GiB)
MAX_NPZ_MEMBER_BYTES = 4 << 30
#: a leftover temporary file of a live writer is removed once it is this old (seconds)
STALE_TMP_SECONDS = 600.0


def _tmp_pattern(base):
    return re.compile(r"\." + re.escape(base) + r"\.(\d+)\.[0-9a-f]{12}\.tmp\Z")


def _pid_alive(pid):
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True                      # exists (another user's) or cannot tell: keep it
    return True


def _remove_stale_tmp(folder, base, now=None):
    """Remove ``.BASE.<pid>.<hex>.tmp`` files in ``folder`` left by dead writers or older than
    :data:`STALE_TMP_SECONDS`; returns the removed names. Errors are ignored (best effort)."""
    pat = _tmp_pattern(base)
    now = time.time() if now is None else now
    removed = []
    try:
        names = os.listdir(folder)
    except OSError:
        return removed
    for name in names:
        m = pat.match(name)
        if m is None:
            continue
        full = os.path.join(folder, name)
        try:
            old = now - os.lstat(full).st_mtime > STALE_TMP_SECONDS
            if old or not _pid_alive(int(m.group(1))):
                os.unlink(full)
                removed.append(name)
        except OSError:
            pass
    return removed


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

    Errors of the write (no permission, disk full) name ``path``, not the temporary file.
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
    base = os.path.basename(path)
    _remove_stale_tmp(folder, base)
    tmp = os.path.join(folder, f".{base}.{os.getpid()}.{secrets.token_hex(6)}.tmp")
    try:
        # mode 0o666 so that the umask applies as for any new file
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0),
                     0o666)
    except OSError as exc:
        raise type(exc)(exc.errno, f"cannot write {path!r}: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError) and exc.errno is not None:
            raise type(exc)(exc.errno, f"cannot write {path!r}: {exc.strerror}") from None
        raise
    return path


def save_npz_atomic(path, arrays: dict, *, overwrite=False):
    """Save named arrays to an ``.npz`` file atomically (see :func:`atomic_write`)."""
    return atomic_write(path, lambda fh: np.savez(fh, **arrays), overwrite=overwrite,
                        suffix=".npz")


def _open_npz(path):
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"path: {path!r} does not exist")
    try:
        return zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile, EOFError, ValueError) as exc:
        raise ValueError(f"path: {path!r} is not a readable .npz file ({exc})") from None


def _members(zf):
    return {n[:-4]: n for n in zf.namelist() if n.endswith(".npy")}


def npz_names(path) -> list:
    """The array names an ``.npz`` file holds (read from its directory; no data is read)."""
    with _open_npz(path) as zf:
        return sorted(_members(zf))


def _read_member(zf, member, name, path, expect, max_bytes):
    fmt = np.lib.format
    with zf.open(member) as fh:
        version = fmt.read_magic(fh)
        if version == (1, 0):
            shape, fortran, dtype = fmt.read_array_header_1_0(fh)
        elif version == (2, 0):
            shape, fortran, dtype = fmt.read_array_header_2_0(fh)
        else:
            raise ValueError(f"{name}: unsupported .npy format version {version}")
        if dtype.hasobject:
            raise ValueError(f"{name}: holds Python objects (dtype {dtype}), not numbers")
        if expect is not None:
            e_shape, kinds = expect
            if e_shape is not None and tuple(shape) != tuple(e_shape):
                raise ValueError(f"{name}: expected shape {tuple(e_shape)}, the file says "
                                 f"{tuple(shape)}")
            if kinds is not None and dtype.kind not in kinds:
                raise ValueError(f"{name}: expected dtype kind in {kinds!r}, the file says "
                                 f"{dtype}")
        nbytes = int(np.prod(shape, dtype=object)) * dtype.itemsize
        if nbytes > max_bytes:
            raise ValueError(f"{name}: the file says shape {tuple(shape)} of {dtype} "
                             f"({nbytes} bytes), over the limit of {max_bytes} bytes")
    with zf.open(member) as fh:
        return np.lib.format.read_array(fh, allow_pickle=False)


def load_npz_checked(path, required, *, optional=(), expected=None,
                     max_bytes=MAX_NPZ_MEMBER_BYTES) -> dict:
    """Read the named arrays of an ``.npz`` file, checking each member before reading it.

    Parameters
    ----------
    path : str or os.PathLike
    required : sequence of str
        Names that must be present (an error lists the missing ones and what the file holds).
    optional : sequence of str
        Names read when present. Other members are never read (nor decompressed).
    expected : dict, optional
        ``name -> (shape or None, dtype kinds or None)``, e.g. ``{"w": ((3, 4), "f")}``:
        checked against the member's header before its data is read.
    max_bytes : int
        Largest member (from its header) that is read.

    Returns
    -------
    dict of name -> ndarray

    A missing file, a file that is not a readable ``.npz`` (corrupt, truncated, pickled
    objects), a missing name or a member whose header does not match is a ``ValueError``
    (``FileNotFoundError`` for a missing file) naming the file and what is wrong.

    Examples
    --------
    >>> import os, tempfile, numpy as np
    >>> from pgm.runtime import save_npz_atomic, load_npz_checked
    >>> p = os.path.join(tempfile.mkdtemp(), "a.npz")
    >>> _ = save_npz_atomic(p, {"w": np.ones((2, 3)), "extra": np.zeros(5)})
    >>> sorted(load_npz_checked(p, ["w"], expected={"w": ((2, 3), "f")}))
    ['w']
    """
    path = os.fspath(path)
    expected = expected or {}
    with _open_npz(path) as zf:
        members = _members(zf)
        missing = [k for k in required if k not in members]
        if missing:
            raise ValueError(f"path: {path!r} lacks the array(s) {missing}; it holds "
                             f"{sorted(members)}")
        out = {}
        for name in list(required) + [k for k in optional if k not in required]:
            if name not in members:
                continue
            try:
                out[name] = _read_member(zf, members[name], name, path, expected.get(name),
                                         max_bytes)
            except ValueError as exc:
                raise ValueError(f"path: {path!r}: {exc}") from None
            except (OSError, zipfile.BadZipFile, EOFError, KeyError) as exc:
                raise ValueError(f"path: {path!r} is not a readable .npz file "
                                 f"({name}: {exc})") from None
    return out
