"""InfoGAN's architecture options (batch norm in D's trunk and in Q, D's own widths) and the
joint information step: gradients against finite differences, which parameters each optimiser
moves, separate batch statistics for real and fake rows, a training smoke test, bad input."""

import numpy as np
import pytest

from energy.autodiff import Tensor, gradcheck
from neural import BatchNorm1d, InfoGAN
from neural.gan import discriminator_loss

F64 = dict(dtype=np.float64)
ALL_BN = dict(generator_batchnorm=True, discriminator_batchnorm=True, q_batchnorm=True)


def _tiny(**kw):
    return InfoGAN(3, noise_dim=2, n_categorical=3, n_continuous=2, hidden_sizes=(5,),
                   d_hidden_sizes=(4, 6), q_hidden=4, rng=0, **F64, **kw)


def test_architecture_options_build_the_paper_layers():
    ig = _tiny(**ALL_BN)
    assert [type(m).__name__ for m in ig.trunk] == ["Linear", "LeakyReLU", "Linear",
                                                    "BatchNorm1d", "LeakyReLU"]
    assert ig.trunk[2].weight.shape == (6, 4) and ig.d_head.weight.shape == (1, 6)
    assert any(isinstance(m, BatchNorm1d) for m in ig.q_head)
    assert any(isinstance(m, BatchNorm1d) for m in ig.generator)
    plain = InfoGAN(3, noise_dim=2, n_categorical=3, n_continuous=0, hidden_sizes=(5, 7), rng=0)
    assert plain.d_hidden_sizes == [7, 5, 5]        # the default: reversed, the last once more
    assert not any(isinstance(m, BatchNorm1d) for m in plain.trunk)


def test_joint_info_objective_and_split_d_loss_gradcheck():
    ig = _tiny(info_update="joint", **ALL_BN)
    ig.train()
    gen = np.random.default_rng(2)
    x = gen.random((5, 3))
    z, codes = ig._draw(5, gen)
    fake = ig.generator(ig._g_input(z, codes)).data

    def info(*_):                     # the joint step's loss reaches G, the trunk and Q
        _, q = ig._d_logits(ig.generator(ig._g_input(z, codes)))
        return ig._info(q, codes)[0]

    def d_loss(*_):                   # real and fake rows through D in two batches
        logits, _ = ig._d_pair(x, fake)
        return discriminator_loss(logits[:5], logits[5:])

    for f, params in ((info, ig.opt_i.params),
                      (d_loss, ig.trunk.parameters() + ig.d_head.parameters())):
        res = gradcheck(f, params, atol=1e-6, rtol=1e-4)
        assert res.passed, str(res)


def test_bn_discriminator_sees_real_and_fake_rows_as_two_batches():
    ig = _tiny(**ALL_BN)
    ig.train()
    gen = np.random.default_rng(3)
    x, f = gen.random((4, 3)), gen.random((4, 3)) + 2.0
    logits, q = ig._d_pair(x, f)
    np.testing.assert_allclose(logits.data[:4], ig._d_logits(x)[0].data, rtol=1e-12)
    np.testing.assert_allclose(q.data[4:], ig._d_logits(f)[1].data, rtol=1e-12)
    together = ig._d_logits(np.concatenate([x, f]))[0].data
    assert not np.allclose(logits.data, together)      # one batch would mix their statistics


def test_joint_mode_optimisers_and_the_information_step():
    ig = _tiny(info_update="joint", **ALL_BN)
    ids = {id(p) for p in ig.opt_d.params}
    assert not ids & {id(p) for p in ig.q_head.parameters()}
    assert {id(p) for p in ig.d_head.parameters()} <= ids
    ig.train()
    before = {name: [p.data.copy() for p in m.parameters()]
              for name, m in (("G", ig.generator), ("trunk", ig.trunk), ("d_head", ig.d_head),
                              ("Q", ig.q_head))}
    qv = ig._info_step(np.zeros((8, 3)), np.arange(8), np.random.default_rng(0))
    assert np.isfinite(qv)
    for name, m in (("G", ig.generator), ("trunk", ig.trunk), ("Q", ig.q_head)):
        assert any(not np.array_equal(a, p.data) for a, p in zip(before[name], m.parameters()))
    for a, p in zip(before["d_head"], ig.d_head.parameters()):
        np.testing.assert_array_equal(a, p.data)


def test_joint_training_smoke_q_loss_falls_below_log_k():
    # two clusters in 2-D, a 2-valued code: Q's cross-entropy starts near log 2 and falls once
    # G uses the code. Measured at rng=0..4 (10 epochs): last-epoch Q loss 0.50, 0.42, 0.50,
    # 0.41, 0.59 with info_update="joint"; an unused code would stay at log 2 = 0.69.
    rng = np.random.default_rng(0)
    y = rng.integers(2, size=400)
    X = np.where(y[:, None] == 1, 2.0, -2.0) * np.array([1.0, 0.5]) \
        + 0.3 * rng.standard_normal((400, 2))
    ig = InfoGAN(2, noise_dim=1, n_categorical=2, n_continuous=0, hidden_sizes=(16, 16),
                 output="identity", info_update="joint", lr=1e-3, lr_d=2e-4, rng=0, **ALL_BN)
    ig.fit(X, epochs=10, batch_size=32)
    q = ig.history_.q_loss
    assert len(q) == 10 and q[-1] < 0.8 * np.log(2) and q[-1] < q[0], q
    assert ig.predict_code(X).shape == (400,)


def test_option_errors_name_the_argument():
    with pytest.raises(ValueError, match="info_update"):
        InfoGAN(4, info_update="both")
    with pytest.raises(ValueError, match="d_hidden_sizes"):
        InfoGAN(4, d_hidden_sizes=(8, 0))
    with pytest.raises(ValueError, match="lr_info"):
        InfoGAN(4, info_update="joint", lr_info=0.0)


def test_code_information_is_the_mutual_information_of_q(monkeypatch):
    """log K for a sure Q that spreads the rows evenly, 0 for a Q that says the same thing
    of every row (sure or not), and the closed form in between."""
    from neural import InfoGAN
    m = InfoGAN(4, noise_dim=2, n_categorical=3, n_continuous=0, hidden_sizes=(8,), rng=0)
    X = np.zeros((6, 4))

    def with_probs(p):            # Q's logits log p (a zero probability as e^-100)
        logits = Tensor(np.log(np.maximum(np.asarray(p, float), np.exp(-100.0))))
        monkeypatch.setattr(m, "_d_logits", lambda X: (None, logits))
        return m.code_information(X)
    assert with_probs(np.eye(3)[[0, 1, 2, 0, 1, 2]]) == pytest.approx(np.log(3), abs=1e-12)
    assert with_probs(np.eye(3)[[1] * 6]) == pytest.approx(0.0, abs=1e-12)
    assert with_probs(np.full((6, 3), 1 / 3)) == pytest.approx(0.0, abs=1e-12)
    p = np.array([[0.5, 0.5, 0.0], [0.0, 0.0, 1.0]])
    h = lambda q: -sum(v * np.log(v) for v in q if v > 0)  # noqa: E731
    want = h([0.25, 0.25, 0.5]) - (h(p[0]) + h(p[1])) / 2
    assert with_probs(p) == pytest.approx(want, abs=1e-12)
