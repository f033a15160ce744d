"""neural.autoencoder: PCA subspace of the linear AE, tied gradients, corruption, pretraining."""

import io

import numpy as np
import pytest
from scipy.linalg import subspace_angles

from energy import autodiff as ad
from energy.autodiff import Tensor, gradcheck
from neural import (PRETRAINERS, Autoencoder, DenoisingAutoencoder, Linear, LinearAutoencoder,
                    TrainingDiverged, linear, pretrain)

LOSSES = {"mse": ad.mse_loss, "bce": ad.binary_cross_entropy_with_logits}


@pytest.fixture(scope="module")
def gap_data():
    """200 x 10 data, covariance eigenvalues 10, 8, 6, 0.5, 0.4, ... in a random basis."""
    g = np.random.default_rng(0)
    ev = np.array([10, 8, 6, .5, .4, .3, .25, .2, .15, .1])
    Q, _ = np.linalg.qr(g.standard_normal((10, 10)))
    X = g.standard_normal((200, 10)) * np.sqrt(ev) @ Q.T
    return X - X.mean(axis=0)


@pytest.mark.parametrize("tied", [False, True])
def test_linear_autoencoder_spans_the_top_principal_subspace(gap_data, tied):
    k = 3
    _, _, Vt = np.linalg.svd(gap_data, full_matrices=False)
    lae = LinearAutoencoder(10, k, tied=tied, rng=1).fit(gap_data, epochs=2000, method="lbfgs")
    angles = np.degrees(subspace_angles(lae.decoder_weight(), Vt[:k].T))
    assert angles.max() <= 0.01
    # a random k-subspace is far from it: the check has teeth
    rand = np.random.default_rng(2).standard_normal((10, k))
    assert np.degrees(subspace_angles(rand, Vt[:k].T)).max() > 10


def test_lbfgs_lowers_the_loss_to_the_pca_residual(gap_data):
    k = 2
    U, S, _ = np.linalg.svd(gap_data, full_matrices=False)
    lae = LinearAutoencoder(10, k, rng=0)
    before = lae.loss(gap_data)
    lae.fit(gap_data, epochs=2000, method="lbfgs")
    pca_resid = (S[k:] ** 2).sum() / gap_data.size          # Eckart-Young optimum
    assert before > 2 * pca_resid
    assert lae.loss(gap_data) == pytest.approx(pca_resid, rel=1e-6)


@pytest.mark.parametrize("loss", ["mse", "bce"])
def test_tied_weight_gradients_match_finite_differences(loss):
    g = np.random.default_rng(3)
    X = g.random((6, 5))
    ae = Autoencoder(5, [4, 3], tied=True, loss=loss, rng=0)
    ae.eval()
    params = ae.parameters()
    assert len(params) == 6          # 2 encoder weights + 2 encoder biases + 2 decoder biases
    def f(*ps):
        return LOSSES[loss](ae.decoder(ae.encoder(Tensor(X))), X)
    res = gradcheck(f, params)
    assert res.passed, str(res)
    # both uses of the weight contribute: the tied gradient differs from the encoder-only one
    for p in params:
        p.grad = None
    f().backward()
    W = ae.encoder_linears()[0].weight
    full = W.grad.copy()
    ae.zero_grad()
    Wt = Tensor(W.data.T.copy())                             # decoder use frozen
    z = ae.encoder(Tensor(X))
    z = linear(ad.sigmoid(linear(z, ad.transpose(ae.encoder_linears()[1].weight),
                                 ae.decoder.bias0)), Wt, ae.decoder.bias1)
    LOSSES[loss](z, X).backward()
    assert not np.allclose(full, W.grad)


def test_mask_corruption_fraction_at_a_fixed_seed():
    dae = DenoisingAutoencoder(50, 5, corruption="mask", noise=0.3, rng=0)
    X = np.random.default_rng(1).random((400, 50)) + 0.5      # no zeros in the clean data
    Xc = dae.corrupt(X, rng=7)
    n = X.size
    frac = (Xc == 0).mean()
    # binomial(20000, 0.3): sd 0.0032; 4 sd
    assert abs(frac - 0.3) < 4 * np.sqrt(0.3 * 0.7 / n)
    kept = Xc != 0
    assert np.array_equal(Xc[kept], X[kept])
    assert np.array_equal(Xc, dae.corrupt(X, rng=7))         # the seed fixes the draw


def test_gaussian_corruption_sigma_at_a_fixed_seed():
    dae = DenoisingAutoencoder(40, 5, corruption="gaussian", noise=0.5, rng=0)
    X = np.random.default_rng(1).random((500, 40))
    E = dae.corrupt(X, rng=11) - X
    n = E.size
    assert abs(E.mean()) < 4 * 0.5 / np.sqrt(n)
    # sample sd of n normals: relative sd 1/sqrt(2n)
    assert abs(E.std() / 0.5 - 1) < 4 / np.sqrt(2 * n)


def test_denoising_training_sees_corrupted_inputs_and_clean_targets():
    X = np.random.default_rng(0).random((60, 8))
    dae = DenoisingAutoencoder(8, 4, noise=0.5, rng=0)
    dae.train()
    a = dae(X).data
    dae.eval()
    b = dae(X).data
    assert not np.allclose(a, b)                     # corrupted in training mode only
    assert np.allclose(b, dae.decoder(dae.encoder(X)).data)


@pytest.mark.parametrize("cls,kw", [(Autoencoder, {}),
                                    (DenoisingAutoencoder, {"corruption": "gaussian"})])
def test_fit_is_reproducible_with_rng(cls, kw):
    X = np.random.default_rng(0).random((40, 6))
    a = cls(6, 3, rng=5, **kw).fit(X, epochs=3, batch_size=8, lr=0.01)
    b = cls(6, 3, rng=5, **kw).fit(X, epochs=3, batch_size=8, lr=0.01)
    c = cls(6, 3, rng=6, **kw).fit(X, epochs=3, batch_size=8, lr=0.01)
    assert np.array_equal(a.encode(X), b.encode(X))
    assert not np.allclose(a.encode(X), c.encode(X))


def test_fit_lowers_the_loss_and_prints_progress():
    X = np.random.default_rng(0).random((100, 8))
    ae = Autoencoder(8, 4, loss="bce", rng=0)
    before = ae.loss(X)
    buf = io.StringIO()
    ae.fit(X, epochs=4, lr=0.05, batch_size=10, verbose=True, file=buf)
    assert ae.loss(X) < before
    lines = buf.getvalue().strip().splitlines()
    assert len(lines) == 4 and all("loss" in ln and "acc" not in ln for ln in lines)
    assert len(ae.history_.loss) == 4


@pytest.mark.filterwarnings("ignore::RuntimeWarning")   # the overflow is the point
def test_divergence_stops_with_the_last_good_parameters():
    X = np.random.default_rng(0).standard_normal((64, 6)) * 10
    ae = Autoencoder(6, 3, activation="identity", rng=0)
    with pytest.raises(TrainingDiverged, match="loss became"):
        ae.fit(X, epochs=50, method="sgd", lr=1e3, batch_size=64)
    assert all(np.all(np.isfinite(p.data)) for p in ae.parameters())
    assert np.isfinite(ae.loss(X))


def test_bad_inputs_name_the_argument():
    X = np.random.default_rng(0).random((10, 4))
    ae = Autoencoder(4, 2, rng=0)
    bad = X.copy()
    bad[2, 1] = np.nan
    with pytest.raises(ValueError, match="X: must be finite"):
        ae.fit(bad)
    bad[2, 1] = np.inf
    with pytest.raises(ValueError, match="X: must be finite"):
        ae.encode(bad)
    with pytest.raises(ValueError, match=r"X: expected shape \(n_samples, 4\)"):
        ae.fit(X[:, :3])
    with pytest.raises(ValueError, match="X"):
        ae.encode(X[0])
    with pytest.raises(ValueError, match="Z: expected shape"):
        ae.decode(np.zeros((3, 3)))
    with pytest.raises(ValueError, match="hidden_sizes"):
        Autoencoder(4, 0)
    with pytest.raises(ValueError, match="hidden_sizes"):
        Autoencoder(4, [3, 0])
    with pytest.raises(ValueError, match="n_components"):
        LinearAutoencoder(4, 0)
    with pytest.raises(ValueError, match="loss"):
        Autoencoder(4, 2, loss="hinge")
    with pytest.raises(ValueError, match="activation"):
        Autoencoder(4, 2, activation="softmax")
    with pytest.raises(ValueError, match="noise"):
        DenoisingAutoencoder(4, 2, corruption="mask", noise=1.0)
    with pytest.raises(ValueError, match="noise"):
        DenoisingAutoencoder(4, 2, corruption="mask", noise=-0.1)
    with pytest.raises(ValueError, match="noise"):
        DenoisingAutoencoder(4, 2, corruption="gaussian", noise=-0.1)
    with pytest.raises(ValueError, match="corruption"):
        DenoisingAutoencoder(4, 2, corruption="salt")
    with pytest.raises(ValueError, match="method"):
        ae.fit(X, method="newton")
    with pytest.raises(ValueError, match="method"):
        DenoisingAutoencoder(4, 2).fit(X, method="lbfgs")
    with pytest.raises(ValueError, match=r"X: loss='bce' needs values in \[0, 1\]"):
        Autoencoder(4, 2, loss="bce").fit(X * 3)


@pytest.mark.parametrize("method,kw", [("autoencoder", {}),
                                       ("denoising_autoencoder", {"noise": 0.2})])
def test_pretrain_copies_encoders_in_place_and_codes_chain(method, kw):
    assert method in PRETRAINERS
    X = np.random.default_rng(5).random((80, 12))
    l0, l1 = Linear(12, 9, rng=0, dtype=np.float64), Linear(9, 5, rng=1, dtype=np.float64)
    w0 = l0.weight
    before = l0.weight.data.copy()
    aes = pretrain([l0, l1], X, method=method, epochs=3, rng=4, batch_size=10, lr=0.01, **kw)
    assert l0.weight is w0 and not np.allclose(l0.weight.data, before)
    assert len(aes) == 2
    for ae, lin in zip(aes, (l0, l1)):
        enc = ae.encoder_linears()[0]
        assert np.array_equal(lin.weight.data, enc.weight.data)
        assert np.array_equal(lin.bias.data, enc.bias.data)
    sig = lambda a: 1 / (1 + np.exp(-a))                                     # noqa: E731
    stack = sig(l1(sig(l0(X).data)).data)
    assert np.allclose(stack, aes[1].encode(aes[0].encode(X)))


def test_input_gradient_flows_through_the_autoencoder():
    ae = Autoencoder(4, [3, 2], activation="tanh", rng=0)      # training mode
    X = np.random.default_rng(1).standard_normal((5, 4))
    res = gradcheck(lambda x: ae(x), [X])
    assert res.passed, str(res)


def test_pretrain_passes_fit_method_and_model_keywords():
    X = np.random.default_rng(5).standard_normal((40, 6))
    lin = Linear(6, 3, rng=0, dtype=np.float64)
    aes = pretrain([lin], X, method="autoencoder", epochs=50, rng=0, activation="identity",
                   fit_method="lbfgs")
    assert aes[0].activation == "identity" and len(aes[0].history_.loss) > 1
    with pytest.raises(TypeError, match="colour"):
        pretrain([lin], X, method="autoencoder", epochs=1, colour="red")
