"""pgm.runtime.io on hostile files: only the needed members of an .npz are read, each after
its header is checked (shape, dtype, size); leftover temporary files of killed writers are
removed by the next write of the same target; write errors name the target."""

import errno
import os
import subprocess
import sys
import time
import tracemalloc
import zipfile

import numpy as np
import pytest

from pgm.runtime import load_npz_checked, npz_names, save_npz_atomic
from pgm.runtime.io import STALE_TMP_SECONDS, atomic_write


def _header(shape, dtype="<f8"):
    d = {"descr": dtype, "fortran_order": False, "shape": tuple(shape)}
    buf = __import__("io").BytesIO()
    np.lib.format.write_array_header_1_0(buf, d)
    return buf.getvalue()        # magic string and header


def _npz_with(path, members, big_zero_member=None):
    """members: name -> array; big_zero_member: (name, n_bytes) of uint8 zeros, deflated."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, a in members.items():
            with zf.open(name + ".npy", "w") as fh:
                np.lib.format.write_array(fh, np.asarray(a))
        if big_zero_member is not None:
            name, n = big_zero_member
            with zf.open(name + ".npy", "w", force_zip64=True) as fh:
                fh.write(_header((n,), "|u1"))
                chunk = bytes(1 << 22)
                for _ in range(n // len(chunk)):
                    fh.write(chunk)


def test_an_unneeded_large_member_is_never_read(tmp_path):
    p = tmp_path / "m.npz"
    n = 256 << 20       # 256 MiB of zeros, about 250 kB compressed
    _npz_with(p, {"w": np.ones((2, 3))}, big_zero_member=("extra", n))
    assert os.path.getsize(p) < 2 << 20
    assert npz_names(p) == ["extra", "w"]
    tracemalloc.start()
    try:
        out = load_npz_checked(p, ["w"])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert sorted(out) == ["w"] and out["w"].shape == (2, 3)
    assert peak < 8 << 20, peak


def test_a_member_header_claiming_a_huge_shape_is_refused_before_allocating(tmp_path):
    p = tmp_path / "m.npz"
    with zipfile.ZipFile(p, "w") as zf:
        zf.writestr("w.npy", _header((2 ** 40,)) + b"\0" * 64)
    with pytest.raises(ValueError, match=r"m\.npz.*w: the file says shape \(1099511627776,\)"
                                         r".*over the limit"):
        load_npz_checked(p, ["w"])


def test_member_headers_are_checked_against_the_expected_shape_and_dtype(tmp_path):
    p = tmp_path / "m.npz"
    save_npz_atomic(p, {"w": np.ones((2, 3)), "b": np.ones(3, bool)})
    with pytest.raises(ValueError, match=r"w: expected shape \(3, 2\), the file says \(2, 3\)"):
        load_npz_checked(p, ["w"], expected={"w": ((3, 2), "f")})
    with pytest.raises(ValueError, match=r"b: expected dtype kind in 'iuf', the file says bool"):
        load_npz_checked(p, ["b"], expected={"b": (None, "iuf")})
    with pytest.raises(ValueError, match="lacks the array"):
        load_npz_checked(p, ["x"])
    assert sorted(load_npz_checked(p, ["w"], optional=["b", "x"])) == ["b", "w"]


def _dead_pid():
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_leftover_temporary_files_of_dead_or_old_writers_are_removed(tmp_path):
    target = tmp_path / "m.npz"
    dead = tmp_path / f".m.npz.{_dead_pid()}.{'a' * 12}.tmp"        # writer killed
    old = tmp_path / f".m.npz.{os.getppid()}.{'b' * 12}.tmp"         # writer alive, long ago
    live = tmp_path / f".m.npz.{os.getpid()}.{'c' * 12}.tmp"         # a writer at work now
    other = tmp_path / f".n.npz.{_dead_pid()}.{'d' * 12}.tmp"        # another target's
    for f in (dead, old, live, other):
        f.write_bytes(b"partial")
    t = time.time() - 2 * STALE_TMP_SECONDS
    os.utime(old, (t, t))
    save_npz_atomic(target, {"w": np.ones(2)})
    left = sorted(f.name for f in tmp_path.iterdir())
    assert left == sorted([target.name, live.name, other.name])


def test_a_failed_write_names_the_target_and_leaves_nothing(tmp_path):
    target = tmp_path / "m.npz"

    def full_disk(fh):
        fh.write(b"abc")
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(OSError, match=r"cannot write .*m\.npz'.*No space left") as e:
        atomic_write(target, full_disk)
    assert e.value.errno == errno.ENOSPC and ".tmp" not in str(e.value)
    assert list(tmp_path.iterdir()) == []
