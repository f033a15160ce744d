"""InfoGAN's two label-free terms on real data (the code's information, RIM / CatGAN, and the
agreement of a row's code with its input-space neighbour's, SCAN-style) and the exact
nearest-neighbour table they use: values against numpy formulas and closed forms, gradients
against finite differences, bounds as properties, what each term does to Q in training, bad
input, reproducibility."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from scipy.spatial import cKDTree

from energy.autodiff import Tensor, gradcheck
from neural import (InfoGAN, code_information_loss, match_codes, nearest_neighbours,
                    neighbour_consistency_loss)


def _softmax(a):
    e = np.exp(a - a.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _h(p):
    return -np.sum(p * np.log(p), axis=-1)


# ---------------------------------------------------------------------- the two losses
def test_losses_equal_their_numpy_formulas_on_random_logits():
    rng = np.random.default_rng(0)
    for n, k in ((1, 2), (7, 3), (40, 10)):
        a, b = rng.normal(0, 3, (n, k)), rng.normal(0, 3, (n, k))
        p, q = _softmax(a), _softmax(b)
        info = -(_h(p.mean(axis=0)) - _h(p).mean())
        agree = -np.mean(np.log(np.sum(p * q, axis=1))) - _h(p.mean(axis=0))
        assert float(code_information_loss(a).data) == pytest.approx(info, abs=1e-12)
        assert float(neighbour_consistency_loss(a, b).data) == pytest.approx(agree, abs=1e-12)


def test_losses_closed_forms():
    k = 4
    sure_even = np.eye(k) * 200.0                      # each row sure, the codes used evenly
    assert float(code_information_loss(sure_even).data) == pytest.approx(-np.log(k), abs=1e-12)
    assert float(neighbour_consistency_loss(sure_even, sure_even).data) == \
        pytest.approx(-np.log(k), abs=1e-12)
    same = np.tile(np.arange(k, dtype=float), (6, 1))  # every row the same p: no information
    assert float(code_information_loss(same).data) == pytest.approx(0.0, abs=1e-12)
    flat = np.zeros((5, k))                             # uniform p and q: log k - log k
    assert float(neighbour_consistency_loss(flat, flat).data) == pytest.approx(0.0, abs=1e-12)
    # logits far apart stay finite (the log-sum-exps are shifted)
    big = np.array([[800.0, 0.0], [0.0, 800.0]])
    assert np.isfinite(float(neighbour_consistency_loss(big, big[::-1]).data))


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 12), st.integers(2, 6), st.integers(0, 2 ** 31 - 1),
       st.floats(0.01, 20.0))
def test_losses_bounds(n, k, seed, scale):
    """-log K <= code information loss <= 0; the neighbour loss >= -log K (equality only for
    a sure, agreeing, even assignment) and, with q = p, <= the code information loss."""
    rng = np.random.default_rng(seed)
    a, b = rng.normal(0, scale, (n, k)), rng.normal(0, scale, (n, k))
    info = float(code_information_loss(a).data)
    assert -np.log(k) - 1e-9 <= info <= 1e-9
    assert float(neighbour_consistency_loss(a, b).data) >= -np.log(k) - 1e-9
    # with q = p the agreement term is the mean Rényi-2 entropy, at most the Shannon one
    assert float(neighbour_consistency_loss(a, a).data) <= info + 1e-9


def test_losses_gradcheck():
    rng = np.random.default_rng(3)
    a, b = rng.normal(0, 2, (6, 4)), rng.normal(0, 2, (6, 4))
    for f, inputs in ((code_information_loss, [a]), (neighbour_consistency_loss, [a, b])):
        res = gradcheck(f, inputs, atol=1e-7, rtol=1e-5)
        assert res.passed, str(res)


def test_neighbour_loss_rejects_unequal_shapes():
    with pytest.raises(ValueError, match="neighbour_logits"):
        neighbour_consistency_loss(np.zeros((4, 3)), np.zeros((4, 2)))


# ---------------------------------------------------------------------- nearest neighbours
@pytest.mark.parametrize("block_bytes", [1 << 26, 200, 1])
def test_nearest_neighbours_match_a_kd_tree(block_bytes):
    X = np.random.default_rng(1).random((257, 6))
    got = nearest_neighbours(X, 7, block_bytes=block_bytes)
    _, want = cKDTree(X).query(X, 8)
    assert got.dtype == np.int64 and got.shape == (257, 7)
    np.testing.assert_array_equal(got, want[:, 1:])     # column 0 of the tree is the row itself


def test_nearest_neighbours_never_the_row_itself_but_its_duplicate():
    X = np.array([[0.0, 0.0], [5.0, 5.0], [0.0, 0.0], [5.0, 4.0]])
    nb = nearest_neighbours(X, 3)
    assert all(i not in nb[i] for i in range(4))
    assert nb[0, 0] == 2 and nb[2, 0] == 0 and nb[1, 0] == 3
    assert sorted(nb[1]) == [0, 2, 3]                   # k = n - 1: all the others


def test_nearest_neighbours_bad_input():
    with pytest.raises(ValueError, match="k"):
        nearest_neighbours(np.zeros((4, 2)), 4)
    with pytest.raises(ValueError, match="k"):
        nearest_neighbours(np.zeros((4, 2)), 0)
    with pytest.raises(ValueError, match="X"):
        nearest_neighbours(np.array([[0.0, np.nan], [1.0, 1.0]]), 1)
    with pytest.raises(ValueError, match="X"):
        nearest_neighbours(np.zeros(5), 1)


# ---------------------------------------------------------------------- in InfoGAN
def _two_clusters(n=200, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(2, size=n)
    X = np.where(y[:, None] == 1, 1.5, -1.5) * np.array([1.0, 0.6, -0.8]) \
        + rng.normal(0, 0.35, (n, 3))
    return X, y


def _model(**kw):
    return InfoGAN(3, noise_dim=2, n_categorical=2, n_continuous=0, hidden_sizes=(16,),
                   d_hidden_sizes=(16, 16), output="identity", info_update="joint", lr=2e-3,
                   lr_d=2e-3, lr_info=5e-3, rng=0, dtype=np.float64, **kw)


def test_each_real_term_alone_teaches_q_the_clusters():
    """With G's information weight at 0, only the real-data terms train Q: each alone makes Q
    sure of a code per row and split the two clusters. Measured at rng=0 after 15 epochs: code
    information 0.687 / 0.684 nats (log 2 = 0.693), accuracy 1.0 / 1.0 for the two terms; with
    neither, 0.032 nats (0.001 at the start; the untrained Q's argmax already splits these
    clusters, so only the information tells them apart)."""
    X, y = _two_clusters()
    for kw in (dict(real_information=1.0), dict(neighbour_consistency=1.0)):
        m = _model(lambda_cat=0.0, **kw).fit(X, epochs=15, batch_size=32)
        acc = match_codes(m.predict_code(X), y, 2, 2)[1]
        assert m.code_information(X) > 0.55 and acc == 1.0, (kw, m.code_information(X), acc)
    m = _model(lambda_cat=0.0).fit(X, epochs=15, batch_size=32)
    assert m.code_information(X) < 0.2


def test_real_terms_train_reproducibly_and_draw_from_rng():
    X, _ = _two_clusters(60)
    a = _model(real_information=1.0, neighbour_consistency=2.0, n_neighbours=3)
    b = _model(real_information=1.0, neighbour_consistency=2.0, n_neighbours=3)
    a.fit(X, epochs=2, batch_size=16)
    b.fit(X, epochs=2, batch_size=16)
    for p, q in zip(a.parameters(), b.parameters()):
        np.testing.assert_array_equal(p.data, q.data)
    c = _model(real_information=1.0, neighbour_consistency=2.0, n_neighbours=3)
    c.fit(X, epochs=2, batch_size=16, rng=1)
    assert any(not np.array_equal(p.data, q.data) for p, q in zip(a.parameters(), c.parameters()))


def test_plain_infogan_unchanged_by_zero_weights():
    """Weights of 0 draw nothing more from rng: the same parameters as the paper's objective."""
    X, _ = _two_clusters(60)
    a = _model().fit(X, epochs=2, batch_size=16)
    b = _model(real_information=0.0, neighbour_consistency=0.0, n_neighbours=9)
    b.fit(X, epochs=2, batch_size=16)
    for p, q in zip(a.parameters(), b.parameters()):
        np.testing.assert_array_equal(p.data, q.data)


def test_real_terms_bad_input_names_the_argument():
    for name in ("real_information", "neighbour_consistency"):
        with pytest.raises(ValueError, match=name):
            InfoGAN(4, info_update="objectives", **{name: 1.0})
        with pytest.raises(ValueError, match=name):
            InfoGAN(4, info_update="joint", **{name: -1.0})
        with pytest.raises(ValueError, match=name):
            InfoGAN(4, info_update="joint", **{name: float("nan")})
    with pytest.raises(ValueError, match="n_neighbours"):
        InfoGAN(4, info_update="joint", n_neighbours=0)
    m = _model(neighbour_consistency=1.0, n_neighbours=5)
    with pytest.raises(ValueError, match="n_neighbours"):
        m.fit(np.zeros((5, 3)), epochs=1)
