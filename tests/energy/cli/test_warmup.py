"""``pgm-energy warmup``: lists the registered kernels and compiles what it lists."""

import os
import subprocess
import sys

import pytest

from energy.cli import main
from energy.cli.warmup import dispatcher, selected

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


def _cli(*args, cache=None):
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    if cache is not None:
        env["NUMBA_CACHE_DIR"] = str(cache)
    return subprocess.run([sys.executable, "-m", "energy.cli", "warmup", *args], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=1800)


def test_list_names_a_numba_kernel_of_every_package(capsys):
    assert main(["warmup", "--list"]) == 0
    names = capsys.readouterr().out.split()
    assert len(names) == len(set(names)) >= 20
    assert {n.split(".")[0] for n in names} == {"pgm", "energy", "neural"}
    for n in names:
        assert hasattr(dispatcher(n), "signatures"), n      # a numba dispatcher


def test_only_selects_and_a_selection_of_nothing_is_an_error(capsys):
    assert [n for n, _ in selected(["family_counts"])] == ["pgm._sampling_kernels.family_counts"]
    assert main(["warmup", "--only", "no-such-kernel"]) == 2
    assert "--only" in capsys.readouterr().err


def test_warmup_compiles_what_it_lists(tmp_path):
    # an empty cache: the kernel is compiled here, and the command checks its signatures
    r = _cli("--only", "family_counts", cache=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "[1/1] pgm._sampling_kernels.family_counts:" in r.stderr
    assert "NOT compiled" not in r.stderr and "warmup: 1 kernels in" in r.stderr
    assert any(tmp_path.rglob("*.nbi"))            # numba's cache was filled


def test_warmup_of_a_kernel_below_the_first_call_threshold_still_compiles_it(tmp_path):
    # the convolution warm-up runs a small problem, which the jit policy sends to the numpy
    # references unless the warm-up forces the kernels (it once did not: "NOT compiled")
    r = _cli("--only", "neural.conv._kernels.avgpool_backward", cache=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "NOT compiled" not in r.stderr and "warmup: 1 kernels in" in r.stderr


@pytest.mark.slow
def test_full_warmup_compiles_every_kernel(tmp_path):
    r = _cli(cache=tmp_path)
    assert r.returncode == 0, r.stderr
    n = len(_cli("--list").stdout.split())
    assert f"warmup: {n} kernels in" in r.stderr and "NOT compiled" not in r.stderr
