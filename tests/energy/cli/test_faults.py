"""The command line under faults: an oversized image (checked from its header, before
decoding), a folder without write permission and a full disk end in exit status 2 and one
line naming the file (the target, not the hidden temporary file), with nothing left behind."""

import errno
import os
import struct
import zlib

import pytest

from energy.cli import main
from energy.images import load_example, read_image, write_png


def _png_header_only(path, width, height):
    """A PNG whose header claims width x height 8-bit gray pixels (no pixel data)."""
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b""))


@pytest.mark.parametrize("side", [20000, 9000])    # over Pillow's own limit; over ours only
def test_an_oversized_image_is_refused_naming_its_size(tmp_path, capsys, side):
    big = tmp_path / "big.png"
    _png_header_only(big, side, side)
    with pytest.raises(ValueError, match=rf"big\.png.* {side}x{side} pixels|"
                                         rf"big\.png.*too large.*{side * side} pixels"):
        read_image(big)
    out = tmp_path / "out.png"
    assert main(["denoise", str(big), "-o", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "big.png" in err and str(side * side) in err
    assert not out.exists()


@pytest.fixture
def small(tmp_path):
    path = tmp_path / "in.png"
    write_png(path, load_example("horse")[::8, ::8])
    return path


def _listing(folder):
    return sorted(p.name for p in folder.iterdir())


def test_an_output_folder_without_write_permission_is_exit_2(small, tmp_path, capsys,
                                                             monkeypatch):
    real_open = os.open

    def no_permission(path, *a, **k):      # as in a read-only folder (root ignores chmod)
        if os.path.basename(str(path)).startswith(".out.png."):
            raise PermissionError(errno.EACCES, "Permission denied", path)
        return real_open(path, *a, **k)

    monkeypatch.setattr(os, "open", no_permission)
    out = tmp_path / "out.png"
    assert main(["denoise", str(small), "-o", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Permission denied" in err
    assert "out.png'" in err and ".tmp" not in err
    assert _listing(tmp_path) == ["in.png"]


def test_a_full_disk_is_exit_2_naming_the_output(small, tmp_path, capsys, monkeypatch):
    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    out = tmp_path / "out.png"
    assert main(["denoise", str(small), "-o", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "No space left" in err
    assert "out.png'" in err and ".tmp" not in err
    assert _listing(tmp_path) == ["in.png"]


def test_an_eta_whose_energies_overflow_is_exit_2(small, tmp_path, capsys):
    out = tmp_path / "out.png"
    assert main(["denoise", str(small), "-o", str(out), "--eta", "1e308", "--method",
                 "graphcut", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "eta=1e+308" in err
    assert not out.exists()
