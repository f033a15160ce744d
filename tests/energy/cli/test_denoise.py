"""The command line: options checked by argparse with the option named, nothing written when
the clean reference does not match, a run end to end."""

import pytest

from energy.cli import main
from energy.images import load_example, write_png


@pytest.fixture
def noisy(tmp_path):
    x = load_example("horse")[::5, ::5]        # (66, 80), both colours
    path = tmp_path / "in.png"
    write_png(path, x)
    return path, x


def test_denoise_end_to_end_reports_the_error_against_the_clean_image(noisy, tmp_path, capsys):
    path, x = noisy
    out = tmp_path / "out.png"
    assert main(["denoise", str(path), "-o", str(out), "--noise", "0.1", "--clean", str(path),
                 "--quiet"]) == 0
    assert out.exists() and "error rate" in capsys.readouterr().out


@pytest.mark.parametrize("args, option", [(["--sweeps", "0"], "--sweeps"),
                                          (["--sweeps", "-3"], "--sweeps"),
                                          (["--threshold", "abc"], "--threshold"),
                                          (["--threshold", "1.5"], "--threshold")])
def test_bad_options_are_named_and_nothing_is_written(noisy, tmp_path, capsys, args, option):
    path, _ = noisy
    out = tmp_path / "out.png"
    with pytest.raises(SystemExit) as exc:
        main(["denoise", str(path), "-o", str(out), "--method", "gibbs", "--quiet"] + args)
    assert exc.value.code == 2
    assert option in capsys.readouterr().err
    assert not out.exists()


def test_sweeps_given_are_used(noisy, tmp_path, capsys):
    path, _ = noisy
    out = tmp_path / "out.png"
    assert main(["denoise", str(path), "-o", str(out), "--method", "anneal", "--sweeps", "3"]) == 0
    assert out.exists()
    assert capsys.readouterr().err.count("/3 ") == 3   # the 3 annealing sweeps (then an ICM polish)


def test_a_clean_image_of_another_size_is_refused_before_any_output(noisy, tmp_path, capsys):
    path, x = noisy
    small = tmp_path / "small.png"
    write_png(small, x[:32, :40])
    out = tmp_path / "out.png"
    assert main(["denoise", str(path), "-o", str(out), "--clean", str(small), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "--clean" in err and "40x32" in err and "80x66" in err
    assert not out.exists()
