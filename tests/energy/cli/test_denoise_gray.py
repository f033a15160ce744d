"""``denoise --gray``: grey-level restoration by alpha-expansion from the command line."""

import re

import numpy as np
import pytest

from energy.cli import main
from energy.images import read_image, write_png


@pytest.fixture
def gray(tmp_path):
    i, j = np.indices((40, 48))
    img = np.where((i - 20) ** 2 + (j - 24) ** 2 < 150, 0.8, 0.2) + 0.1 * (j / 48)
    path = tmp_path / "gray.png"
    write_png(path, img)
    return path, img


def test_gray_restoration_beats_the_noisy_input(gray, tmp_path, capsys):
    path, img = gray
    out = tmp_path / "out.png"
    assert main(["denoise", str(path), "-o", str(out), "--gray", "--labels", "16",
                 "--noise", "25", "--clean", str(path), "--quiet"]) == 0
    msg = capsys.readouterr().out
    ours, noisy = map(float, re.search(r"PSNR ([\d.]+) dB \(input ([\d.]+) dB\)", msg).groups())
    assert "16 levels" in msg and ours > noisy + 3
    x = read_image(out)
    assert x.shape == img.shape and len(np.unique(np.round(255 * x))) <= 16


def test_binary_path_is_unchanged(gray, tmp_path, capsys):
    path, _ = gray
    out = tmp_path / "out.png"
    assert main(["denoise", str(path), "-o", str(out), "--quiet"]) == 0
    assert set(np.unique(read_image(out))) <= {0.0, 1.0}
    assert "error rate" not in capsys.readouterr().out


@pytest.mark.parametrize("args, option, code", [
    (["--gray", "--labels", "1"], "--labels", 2),
    (["--gray", "--labels", "x"], "--labels", 2),
    (["--gray", "--sigma", "0"], "--sigma", 2),
    (["--gray", "--truncation", "-1"], "--truncation", 2),
    (["--labels", "8"], "--labels", 2),            # needs --gray: reported by main
])
def test_bad_gray_options_are_named(gray, tmp_path, capsys, args, option, code):
    path, _ = gray
    out = tmp_path / "out.png"
    try:
        rc = main(["denoise", str(path), "-o", str(out), "--quiet"] + args)
    except SystemExit as exc:
        rc = exc.code
    assert rc == code and option in capsys.readouterr().err
    assert not out.exists()
