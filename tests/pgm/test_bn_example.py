"""The sprinkler example runs, prints the exact posterior, and never replaces a foreign file."""

import os
import runpy

import pytest

EXAMPLE = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "bayesnet_sprinkler.py")


def test_example_runs_and_writes_its_plot(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    runpy.run_path(EXAMPLE, run_name="__main__")
    out = capsys.readouterr().out
    assert "P(Rain = T | W = T)      = 0.7079" in out
    png = tmp_path / "bayesnet_sprinkler.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    runpy.run_path(EXAMPLE, run_name="__main__")  # its own file may be replaced
    foreign = b"not written by the example"
    png.write_bytes(foreign)
    with pytest.raises(FileExistsError, match="not written by this example"):
        runpy.run_path(EXAMPLE, run_name="__main__")
    assert png.read_bytes() == foreign
