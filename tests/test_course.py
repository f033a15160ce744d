"""The course scripts (examples/course/): each --quick run writes its PNG, and its numbers
satisfy the checkable statements."""

import os
import runpy

import numpy as np
import pytest

COURSE = os.path.join(os.path.dirname(__file__), "..", "examples", "course")


def run(name, tmp_path, *extra):
    ns = runpy.run_path(os.path.join(COURSE, name + ".py"), run_name="course_" + name)
    res = ns["main"](["--quick", "--out", str(tmp_path), *extra])
    assert os.path.isfile(res["png"]) and os.path.getsize(res["png"]) > 1000
    assert res["png"] == os.path.join(str(tmp_path), name + ".png")
    return ns, res


def test_backward_cost(tmp_path, capsys):
    _, res = run("backward_cost", tmp_path)
    out = capsys.readouterr().out
    assert "MLP: closed form == counter == engine with ∂x: True" in out
    for r in res["rows"]:
        if r["kind"] == "mlp":
            n, d, c, L = r["size"]
            assert r["closed"] == r["counter"] == r["engine_dx"] == 2 * n * (1 + d + c + (L - 1) * (n + 1))
            assert r["engine"] == r["closed"] - d * n
        else:
            G, H, D = r["size"]
            assert r["counter"] == r["engine_dx"] == G * G * H * (2 * D + 4 * H + 2)
            assert r["closed"] == G * G * H * (2 + 2 * D + 4 * H - 1)
            assert r["engine"] == r["engine_dx"] - G * G * H * D


def test_reversible_sgd(tmp_path, capsys):
    ns, res = run("reversible_sgd", tmp_path)
    D = res["D"]
    assert res["ranks"][0.0] == D
    assert all(res["ranks"][b] == 2 * D for b in res["ranks"] if b > 0)
    assert "rank D for beta = 0, 2D for beta > 0: True" in capsys.readouterr().out
    assert res["fixed_point_error"] == 0.0
    assert np.all(res["errors"][0.9] < 1e-12)             # 40 steps at β = 0.9: still small
    assert res["errors"][0.5][-1] > 1e3 * res["errors"][0.5][1]   # β = 0.5: grows fast
    grad = ns["logistic_problem"](3)
    th, p = np.array([0.3, -1.0, 2.0]), np.array([0.1, 0.0, -0.2])
    back = ns["reverse_step"](*ns["step"](th, p, grad, 0.5, 0.7), grad, 0.5, 0.7)
    np.testing.assert_allclose(np.concatenate(back), np.concatenate([th, p]), atol=1e-14)
    for bad in (1.0, -0.1, 1.5):
        with pytest.raises(ValueError, match="beta"):
            ns["step"](th, p, grad, 0.5, bad)
    with pytest.raises(ValueError, match="beta"):
        ns["reverse_step"](th, p, grad, 0.5, 0.0)


def test_rbm_momentum(tmp_path, capsys):
    _, res = run("rbm_momentum", tmp_path, "--data", "synthetic")
    out = capsys.readouterr().out
    assert "synthetic: 300 images" in out
    for curve in res["curves"].values():
        assert len(curve) == 6 and np.all(np.isfinite(curve)) and curve[-1] < curve[0]
    finals = [res["curves"][m][-1] for m in sorted(res["curves"])]
    assert res["holds"] == bool(np.all(np.diff(finals) < 0))
    assert 0 < res["ae_loss"] < 0.25 and 0 < res["dae_loss"] < 0.25


def test_ae_hidden_sizes(tmp_path, capsys):
    _, res = run("ae_hidden_sizes", tmp_path, "--data", "synthetic")
    out = capsys.readouterr().out
    assert "course: larger h -> lower final loss" in out
    sizes = sorted(res["final"])
    assert res["lower"] == bool(np.all(np.diff([res["final"][h] for h in sizes]) < 0))
    assert res["smoother_tv"] == bool(np.all(np.diff([res["tv"][h] for h in sizes]) < 0))
    for h in sizes:
        assert 0 < res["up"][h] <= res["tv"][h]


def test_dying_relu(tmp_path, capsys):
    _, res = run("dying_relu", tmp_path, "--data", "synthetic")
    dead = res["dead"]
    # same initial weights: the same units start dead whatever the activation
    assert dead["ReLU"][0] == dead["LeakyReLU"][0] == dead["swish"][0] > 0.3
    # one hidden layer on fixed inputs: a dead ReLU unit gets no gradient and cannot revive
    assert res["relu_never_revives"] and np.all(np.diff(dead["ReLU"]) >= 0)
    assert "dead ReLU units never come back (fraction never decreases): True" in \
        capsys.readouterr().out
    for d in dead.values():
        assert np.all((0 <= d) & (d <= 1))


def test_gradient_through_time(tmp_path, capsys):
    _, res = run("gradient_through_time", tmp_path)
    assert all(len(g) == 40 for g in res["norms"].values())
    assert res["ratio"]["plain RNN (tanh)"] < 1e-3         # the plain RNN's gradient vanishes
    assert res["ratio"]["residual RNN"] >= 1                 # the identity path keeps it
    assert "residual RNN keeps it outright (ratio >= 1): True" in capsys.readouterr().out
