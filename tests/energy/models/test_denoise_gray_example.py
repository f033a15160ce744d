"""The grey-level restoration example runs (--quick) and writes its figure."""

import runpy
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_example_quick(tmp_path, capsys):
    main = runpy.run_path(str(ROOT / "examples" / "denoise_gray.py"))["main"]
    assert main(["--quick", "-o", str(tmp_path / "fig.png")]) == 0
    out = capsys.readouterr().out
    assert "quantised to 8 levels" in out and "alpha-expansion" in out and "loopy BP" in out
    assert (tmp_path / "fig.png").stat().st_size > 1000
