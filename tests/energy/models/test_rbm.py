"""The Bernoulli RBM: kernels vs numpy, conditionals / free energy / log Z vs exact enumeration,
Gibbs chains vs the exact p(v), AIS vs exact log Z, the CD update vs the gradient engine,
reproducibility, bad input."""

import itertools

import numba
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from scipy import stats
from scipy.special import logsumexp

from energy.models import _rbm_kernels as K
from energy.models import _rbm_kernels_ref as R
from energy import autodiff as ad
from energy.optim._kernels import sgd_step_ref
from energy.models import BernoulliRBM, RBMChains, exact_log_partition
from pgm.runtime import softplus
from energy.sampling import block_gibbs


def _model(V, H, seed, scale=1.0, dtype=np.float64):
    """A fitted-looking RBM with random parameters (no training)."""
    rng = np.random.default_rng(seed)
    m = BernoulliRBM(n_components=H, random_state=seed, dtype=dtype)
    m._init(V)
    m.components_[...] = scale * rng.standard_normal((H, V))
    m.intercept_hidden_[...] = scale * rng.standard_normal(H)
    m.intercept_visible_[...] = scale * rng.standard_normal(V)
    m._data_marginals = None
    return m


def _states(n):
    return np.array(list(itertools.product([0.0, 1.0], repeat=n)))


def _joint(m):
    """Exact p(v, h) over all states: (vs, hs, P) with P of shape (2^V, 2^H)."""
    V, H = m.n_features_in_, m.n_components
    vs, hs = _states(V), _states(H)
    E = -(vs @ m.components_.T @ hs.T + (vs @ m.intercept_visible_)[:, None]
          + (hs @ m.intercept_hidden_)[None, :])
    logp = -E - logsumexp(-E)
    return vs, hs, np.exp(logp)


# ----------------------------------------------------------------------------- kernels
@settings(max_examples=40, deadline=None)
@given(st.integers(1, 9), st.integers(1, 40), st.integers(0, 2**62), st.floats(0.1, 30),
       st.sampled_from([np.float64, np.float32]))
def test_layer_kernels_match_numpy_draw_for_draw(R_, n, seed, scale, dt):
    rng = np.random.default_rng(seed % 1000)
    pre = (scale * rng.standard_normal((R_, n))).astype(dt)
    bias = rng.standard_normal(n).astype(dt)
    p_ref, s_ref = R.sample_layer_ref(pre, bias, seed)
    p, s = np.empty_like(pre), np.empty_like(pre)
    K.sample_layer(pre, bias, seed, p, s, -1.0)
    tol = 1e-12 if dt == np.float64 else 1e-6
    np.testing.assert_allclose(p, -p_ref, atol=tol)
    # a draw can differ only where u and p are within rounding of each other
    u = R.uniform53(seed, pre.shape)
    decided = np.abs(u - p_ref.astype(np.float64)) > 1e-6
    np.testing.assert_array_equal(s[decided], s_ref[decided])
    # the draw-only pass (no probabilities, no division) makes the same draws
    s2 = np.empty_like(pre)
    K.sample_layer(pre, bias, seed, np.empty((0, 0), dt), s2, 1.0)
    np.testing.assert_array_equal(s2, s)


def test_uniform_draws_are_uniform():
    u = R.uniform53(12345, (200_000,))
    assert stats.kstest(u, "uniform").pvalue > 1e-6
    assert u.min() >= 0 and u.max() < 1


# ----------------------------------------------------------------------------- exact quantities
@pytest.mark.parametrize("V,H", [(3, 2), (2, 4)])
def test_conditionals_factorise_as_the_exact_joint_says(V, H):
    m = _model(V, H, seed=V * 10 + H)
    vs, hs, P = _joint(m)
    # p(h | v) from the joint, vs the product of sigmoids
    cond_h = P / P.sum(axis=1, keepdims=True)
    ph = m._mean_hiddens(vs)                                  # (2^V, H)
    prod = np.prod(np.where(hs[None, :, :] == 1, ph[:, None, :], 1 - ph[:, None, :]), axis=2)
    np.testing.assert_allclose(cond_h, prod, atol=1e-12)
    cond_v = (P / P.sum(axis=0, keepdims=True)).T             # (2^H, 2^V)
    pv = m._mean_visibles(hs)
    prod_v = np.prod(np.where(vs[None] == 1, pv[:, None, :], 1 - pv[:, None, :]), axis=2)
    np.testing.assert_allclose(cond_v, prod_v, atol=1e-12)


@pytest.mark.parametrize("V,H", [(4, 3), (3, 5), (6, 6)])
def test_free_energy_log_z_and_likelihood_match_enumeration(V, H):
    m = _model(V, H, seed=V + 7 * H, scale=1.5)
    vs, hs = _states(V), _states(H)
    E = np.array([[m.energy(v, h)[0] for h in hs] for v in vs])
    np.testing.assert_allclose(m.free_energy(vs), -logsumexp(-E, axis=1), atol=1e-10)
    log_z = logsumexp(-E)
    assert m.log_partition("exact") == pytest.approx(log_z, abs=1e-10)
    p = np.exp(m.log_likelihood(vs))
    assert p.sum() == pytest.approx(1.0, abs=1e-10)
    # exact pseudo-likelihood: sum_i log p(v_i | v_-i) from the exact p(v)
    pv = dict(zip(map(tuple, vs), p))
    pl = []
    for v in vs:
        tot = 0.0
        for i in range(V):
            f = v.copy()
            f[i] = 1 - f[i]
            tot += np.log(pv[tuple(v)] / (pv[tuple(v)] + pv[tuple(f)]))
        pl.append(tot)
    np.testing.assert_allclose(m.pseudo_likelihood(vs), pl, atol=1e-10)
    # scikit-learn's stochastic version is V times one of those terms
    s = m.score_samples(vs, rng=0)
    assert s.shape == (2**V,) and np.all(s <= 0)


def test_softplus_is_stable():
    x = np.array([-1000.0, -30.0, 0.0, 30.0, 1000.0])
    with np.errstate(over="raise", invalid="raise"):
        y = softplus(x)
    np.testing.assert_allclose(y, [0.0, np.log1p(np.exp(-30.0)), np.log(2), 30 + np.log1p(np.exp(-30.0)), 1000])


def test_exact_log_partition_refuses_large_layers():
    with pytest.raises(ValueError, match="use method='ais'"):
        exact_log_partition(np.zeros((30, 40)), np.zeros(40), np.zeros(30))


def test_ais_agrees_with_exact_log_z():
    m = _model(12, 10, seed=3, scale=0.6)
    exact = m.log_partition("exact")
    res = m.ais(n_runs=200, n_betas=3000, rng=0)
    assert abs(res.log_z - exact) < 0.05
    assert abs(res.log_z - exact) < 5 * res.stderr + 1e-3
    assert res.log_weights.shape == (200,) and res.stderr > 0
    # a deliberately short schedule is worse but still in range of its own error bar
    short = m.ais(n_runs=200, n_betas=20, rng=0)
    assert abs(short.log_z - exact) < 10 * short.stderr + 0.05


# ----------------------------------------------------------------------------- sampler
def test_gibbs_chains_sample_the_exact_visible_distribution():
    """5,000 independent chains through the library's sampler, 30 sweeps each: their final
    visible states follow the exact p(v) (chi-square), and not p(v) of another model."""
    m = _model(4, 3, seed=11, scale=1.0)
    vs = _states(4)
    p = np.exp(m.log_likelihood(vs))
    chains = RBMChains(m)
    state = chains.initial_state(5000, rng=1)
    res = block_gibbs(chains, state, temperature=1.0, max_sweeps=30, rng=2, record_energy=False)
    assert res.n_sweeps == 30
    idx = (state["v"] @ (1 << np.arange(4))[::-1]).astype(int)
    counts = np.bincount(idx, minlength=16)
    assert stats.chisquare(counts, 5000 * p).pvalue > 1e-4
    other = _model(4, 3, seed=12, scale=1.0)
    q = np.exp(other.log_likelihood(vs))
    assert stats.chisquare(counts, 5000 * q).pvalue < 1e-8


def test_chains_at_zero_temperature_descend_in_energy():
    m = _model(8, 5, seed=5)
    chains = RBMChains(m)
    state = chains.initial_state(50, rng=0)
    res = block_gibbs(chains, state, temperature=0.0, max_sweeps=50)
    assert res.converged
    assert np.all(np.diff(res.energies) <= 1e-9)


# ----------------------------------------------------------------------------- training
def _run_cd_batch(m, vd, k, persistent, n_blocks, seed=0, chains=None, biases=False,
                  sparsity=None):
    B, V = vd.shape
    H = m.n_components
    dt = m.components_.dtype
    seeds = np.random.default_rng(seed).integers(0, 2**63, size=2 * k + 1, dtype=np.uint64)
    V2, H2T, gW = np.empty((2 * B, V), dt), np.empty((H, 2 * B), dt), np.empty((H, V), dt)
    ga, gb = np.empty(H, dt), np.empty(V, dt)
    V2[:B] = vd
    cep = np.empty((n_blocks, B), dt)
    if chains is None:
        chains = np.zeros((B, H), dt)
    K.cd_batch(V2, m.components_, m.intercept_hidden_, m.intercept_visible_, seeds, k,
               persistent, chains, n_blocks, H2T, gW[None], ga, gb, cep, np.empty((B, H), dt),
               np.empty((B, V), dt), np.empty((B, H), dt), np.empty(V, dt), sparsity is not None,
               dt.type(sparsity or 0), dt.type(0.3), False, np.empty((H, 0), dt),
               dt.type(0), dt.type(0), dt.type(0), dt.type(1), False)
    out = (V2, H2T, gW, cep.sum(axis=0))
    return seeds, out + (ga, gb) if biases else out


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 12), st.integers(1, 20), st.integers(1, 9), st.integers(1, 4),
       st.booleans(), st.integers(1, 5), st.integers(0, 1000))
def test_cd_batch_kernel_matches_numpy_draw_for_draw(B, V, H, k, persistent, n_blocks, seed):
    m = _model(V, H, seed=seed, scale=0.7)
    rng = np.random.default_rng(seed)
    vd = (rng.random((B, V)) < 0.5).astype(float)
    chains0 = (rng.random((B, H)) < 0.5).astype(float)
    chains = chains0.copy()
    seeds, (V2, H2T, gW, ce, ga, gb) = _run_cd_batch(m, vd, k, persistent, n_blocks, seed,
                                                     chains, biases=True)
    ref_chains = chains0.copy()
    rV2, rH2T, rgW, rce = R.cd_batch_ref(vd, m.components_, m.intercept_hidden_,
                                         m.intercept_visible_, seeds, k, persistent, ref_chains)
    np.testing.assert_array_equal(V2, rV2)       # same draws (ties have probability ~1e-16)
    np.testing.assert_allclose(H2T, rH2T, atol=1e-13)
    np.testing.assert_allclose(gW, rgW, atol=1e-12)
    np.testing.assert_allclose(ce, rce, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(ga, rH2T.sum(axis=1), atol=1e-13)
    np.testing.assert_allclose(gb, rV2[B:].mean(axis=0) - rV2[:B].mean(axis=0), atol=1e-13)
    np.testing.assert_array_equal(chains, ref_chains)


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 9), st.integers(1, 40), st.integers(1, 70), st.integers(1, 3),
       st.integers(1, 4), st.integers(1, 9), st.sampled_from([0.0, 0.5]),
       st.sampled_from([0.0, 0.01]), st.booleans(), st.booleans(), st.integers(0, 1000))
def test_cd_batch_fused_update_is_sgd_step_on_the_gradient(B, V, H, k, n_blocks, rows, mu, wd,
                                                           nesterov, sparse, seed):
    """update=True: W moves exactly as SGD.step would move it with the kernel's gradient,
    for any block count and any gradient-block height."""
    nesterov = nesterov and mu > 0
    m = _model(V, H, seed=seed, scale=0.7)
    rng = np.random.default_rng(seed)
    vd = (rng.random((B, V)) < 0.5).astype(float)
    C0 = m.components_.copy()
    seeds, (V2, H2T, gW, ce) = _run_cd_batch(m, vd, k, False, n_blocks, seed,
                                             sparsity=0.05 if sparse else None)
    np.testing.assert_array_equal(m.components_, C0)      # update=False leaves W alone
    vel = rng.standard_normal((H, V)) if mu else np.empty((H, 0))
    vel_ref = vel.copy()
    Cref = C0.copy()
    sgd_step_ref(Cref, gW, vel_ref, 0.1, mu, wd, 1.0, nesterov)
    V2b = np.empty_like(V2)
    V2b[:B] = vd
    K.cd_batch(V2b, m.components_, m.intercept_hidden_, m.intercept_visible_, seeds, k, False,
               np.zeros((B, H)), n_blocks, np.empty_like(H2T), np.empty((n_blocks, rows, V)),
               np.empty(H), np.empty(V), np.empty((n_blocks, B)), np.empty((B, H)),
               np.empty((B, V)), np.empty((B, H)), np.empty(V), sparse, 0.05, 0.3, True, vel, 0.1,
               mu, wd, 1.0, nesterov)
    np.testing.assert_array_equal(V2b, V2)
    np.testing.assert_allclose(m.components_, Cref, atol=1e-12)
    np.testing.assert_allclose(vel, vel_ref, atol=1e-12)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 90), st.integers(1, 12), st.booleans(),
       st.lists(st.tuples(st.integers(0, 10**6), st.sampled_from(
           [0.5, 2.0, -1.0, np.nan, np.inf, -np.inf, 1e-300, 1 - 1e-16])), max_size=3),
       st.sampled_from([np.float64, np.float32]), st.integers(0, 1000))
def test_first_invalid_kernel_matches_numpy(n, m, binary, bad, dtype, seed):
    rng = np.random.default_rng(seed)
    X = (rng.random((n, m)) < 0.5).astype(dtype)
    if not binary:
        X = X * rng.random((n, m)).astype(dtype)
    for pos, val in bad:
        X.reshape(-1)[pos % X.size] = val
    assert K.first_invalid(X, binary) == R.first_invalid_ref(X, binary)


@settings(max_examples=20, deadline=None)
@given(st.integers(1, 9), st.integers(1, 12), st.integers(1, 9), st.integers(1, 4),
       st.integers(0, 1000))
def test_cd_batch_sparsity_term(B, V, H, n_blocks, seed):
    """sparse: d = cost (mean_r p(h|v_r) − target) added to the hidden bias's gradient and
    d ⊗ mean(v_data) to the weight gradient; nothing else changes."""
    m = _model(V, H, seed=seed, scale=0.7)
    vd = (np.random.default_rng(seed).random((B, V)) < 0.5).astype(float)
    _, (V2, H2T, gW, ce, ga, gb) = _run_cd_batch(m, vd, 2, False, n_blocks, seed, biases=True)
    _, (V2s, H2Ts, gWs, ces, gas, gbs) = _run_cd_batch(m, vd, 2, False, n_blocks, seed,
                                                       biases=True, sparsity=0.05)
    d = 0.3 * (-H2T[:, :B].sum(axis=1) - 0.05)
    np.testing.assert_array_equal(V2s, V2)
    np.testing.assert_allclose(gas, ga + d, atol=1e-13)
    np.testing.assert_allclose(gWs, gW + np.outer(d, vd.mean(axis=0)), atol=1e-13)
    np.testing.assert_allclose(gbs, gb, atol=1e-15)


def test_cd_update_equals_engine_gradient_of_free_energy_difference():
    """The update direction is ∇[mean F(v_data) − mean F(v_k)] w.r.t. (Wᵀ, a, b), with v_k the
    chains' visible draws, as the one gradient engine computes it."""
    rng = np.random.default_rng(0)
    B, V, H = 7, 9, 5
    m = _model(V, H, seed=1)
    vd = (rng.random((B, V)) < 0.5).astype(float)
    _, (V2, H2T, gW, _, ga, gb) = _run_cd_batch(m, vd, 3, False, 2, biases=True)
    vk = V2[B:]

    C = ad.Parameter(m.components_.copy())
    a = ad.Parameter(m.intercept_hidden_.copy())
    b = ad.Parameter(m.intercept_visible_.copy())

    def F(v):
        return -(ad.tensor(v) @ b) - ad.softplus(ad.tensor(v) @ C.T + a).sum(axis=1)

    loss = F(vd).mean() - F(vk).mean()
    loss.backward()
    np.testing.assert_allclose(gW, C.grad, atol=1e-12)
    np.testing.assert_allclose(ga, a.grad, atol=1e-12)
    np.testing.assert_allclose(gb, b.grad, atol=1e-12)


def test_one_training_step_moves_parameters_by_minus_lr_times_that_gradient():
    rng = np.random.default_rng(1)
    B, V, H = 8, 6, 4
    X = (rng.random((B, V)) < 0.5).astype(float)
    m = BernoulliRBM(H, k=2, batch_size=B, learning_rate=0.3, momentum=0.0, random_state=5)
    m._init(V)
    m._data_marginals = None
    C0, a0, b0 = m.components_.copy(), m.intercept_hidden_.copy(), m.intercept_visible_.copy()
    # replay the generator the way one epoch uses it: batch order, then the step's seeds
    gen = np.random.default_rng(5)
    gen.standard_normal((H, V))                 # the initial weights
    order = gen.permutation(B)
    seeds = gen.integers(0, 2**63, size=5, dtype=np.uint64)
    V2, H2T, gW, _ = R.cd_batch_ref(X[order], C0, a0, b0, seeds, 2, False, None)
    m.partial_fit(X)
    np.testing.assert_allclose(m.components_, C0 - 0.3 * gW, atol=1e-12)
    np.testing.assert_allclose(m.intercept_hidden_, a0 - 0.3 * H2T.sum(axis=1), atol=1e-12)
    np.testing.assert_allclose(m.intercept_visible_,
                               b0 - 0.3 * (V2[B:].mean(0) - V2[:B].mean(0)), atol=1e-12)


@pytest.mark.parametrize("persistent", [False, True])
def test_an_epoch_equals_the_reference_batches_and_the_optimiser_replayed(persistent):
    """Several batches with momentum, weight decay and a sparsity term: the one-kernel epoch
    moves (W, a, b) as the numpy reference chains + the sparsity formula + energy.optim.SGD
    do, batch after batch."""
    from energy.optim import SGD

    rng = np.random.default_rng(2)
    n, B, V, H, k = 30, 10, 7, 5, 2
    X = (rng.random((n, V)) < 0.5).astype(float)
    kw = dict(k=k, batch_size=B, learning_rate=0.2, momentum=0.5, weight_decay=0.01,
              sparsity_target=0.1, sparsity_cost=0.2, persistent=persistent, random_state=7)
    m = BernoulliRBM(H, **kw)
    m._init(V)
    m._data_marginals = None
    C, a, b = m.components_.copy(), m.intercept_hidden_.copy(), m.intercept_visible_.copy()
    gen = np.random.default_rng(7)
    gen.standard_normal((H, V))                 # the initial weights
    order = gen.permutation(n)
    chains = None
    if persistent:
        chains = R.sample_layer_ref(np.zeros((B, H)), a, int(gen.integers(0, 2**63)))[1]
    seeds = gen.integers(0, 2**63, size=(n // B, 2 * k + 1), dtype=np.uint64)
    opt = SGD([C, a, b], lr=0.2, momentum=0.5, weight_decay=0.01)
    for i in range(n // B):
        vd = X[order[i * B:(i + 1) * B]]
        V2, H2T, gW, _ = R.cd_batch_ref(vd, C, a, b, seeds[i], k, persistent, chains)
        d = 0.2 * (-H2T[:, :B].sum(axis=1) - 0.1)
        opt.step([gW + np.outer(d, vd.mean(axis=0)), H2T.sum(axis=1) + d,
                  V2[B:].mean(0) - V2[:B].mean(0)])
    m.partial_fit(X)
    np.testing.assert_allclose(m.components_, C, atol=1e-12)
    np.testing.assert_allclose(m.intercept_hidden_, a, atol=1e-12)
    np.testing.assert_allclose(m.intercept_visible_, b, atol=1e-12)
    assert m._optim.steps == n // B


def _prototypes(n, seed):
    """Noisy copies of three 16-pixel prototypes: data an RBM can learn quickly."""
    rng = np.random.default_rng(seed)
    protos = (rng.random((3, 16)) < 0.5).astype(float)
    X = protos[rng.integers(0, 3, n)]
    flip = rng.random(X.shape) < 0.05
    return np.where(flip, 1 - X, X)


@pytest.mark.parametrize("persistent,k", [(False, 1), (False, 5), (True, 1)])
def test_training_raises_the_exact_likelihood(persistent, k):
    X = _prototypes(400, 0)
    m = BernoulliRBM(6, k=k, persistent=persistent, learning_rate=0.05, n_iter=1,
                     batch_size=20, random_state=0)
    m.fit(X)
    before = m.log_likelihood(X).mean()
    for _ in range(30):
        m.partial_fit(X)
    after = m.log_likelihood(X).mean()
    assert after > before + 2.0, (before, after)
    # noise of 5% on 16 pixels has entropy 16 H(0.05) + log 3 ≈ 4.1 nats: the best possible
    assert after > -9.0
    assert len(m.history_) == 31 and m.history_[-1]["reconstruction"] < m.history_[0]["reconstruction"]


def test_fit_is_reproducible_for_any_thread_count():
    X = _prototypes(200, 1)
    kw = dict(n_components=5, k=2, n_iter=3, batch_size=10, random_state=42)
    n0 = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        a = BernoulliRBM(**kw).fit(X)
        numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
        b = BernoulliRBM(**kw).fit(X)
    finally:
        numba.set_num_threads(n0)
    np.testing.assert_array_equal(a.components_, b.components_)
    c = BernoulliRBM(**{**kw, "random_state": 43}).fit(X)
    assert not np.array_equal(a.components_, c.components_)


def test_float32_training_keeps_float32():
    X = _prototypes(100, 2)
    m = BernoulliRBM(4, n_iter=2, batch_size=10, dtype=np.float32, random_state=0).fit(X)
    assert m.components_.dtype == np.float32 and m.transform(X).dtype == np.float32


def test_sparsity_target_lowers_mean_activation():
    X = _prototypes(300, 3)
    kw = dict(n_components=8, n_iter=20, batch_size=20, learning_rate=0.1, random_state=0)
    plain = BernoulliRBM(**kw).fit(X).transform(X).mean()
    sparse = BernoulliRBM(**kw, sparsity_target=0.05, sparsity_cost=0.5).fit(X).transform(X).mean()
    assert sparse < plain - 0.05, (plain, sparse)


def test_sample_returns_probabilities_of_the_learned_modes():
    X = _prototypes(400, 0)
    m = BernoulliRBM(6, learning_rate=0.05, n_iter=40, batch_size=20, random_state=0).fit(X)
    s = m.sample(30, n_steps=200, rng=0)
    assert s.shape == (30, 16) and np.all((s >= 0) & (s <= 1))
    # every sample is close to one of the training patterns
    d = np.abs(np.round(s)[:, None, :] - np.unique(X, axis=0)[None]).sum(axis=2).min(axis=1)
    assert np.median(d) <= 2


# ----------------------------------------------------------------------------- api, io, errors
def test_transform_gibbs_and_networkx():
    X = _prototypes(60, 4)
    m = BernoulliRBM(3, n_iter=2, batch_size=10, random_state=0).fit(X)
    assert m.transform(X).shape == (60, 3)
    g = m.gibbs(X[:5], rng=0)
    assert g.shape == (5, 16) and set(np.unique(g)) <= {0.0, 1.0}
    G = m.to_networkx()
    assert G.number_of_nodes() == 19 and G.number_of_edges() == 48
    assert G.edges[("v", 2), ("h", 1)]["weight"] == m.components_[1, 2]


def test_init_linear_from_a_trained_rbm():
    from neural.layers import Linear

    X = _prototypes(60, 4)
    m = BernoulliRBM(3, n_iter=2, batch_size=10, random_state=0).fit(X)
    lin = m.init_linear(Linear(16, 3, rng=0))
    np.testing.assert_allclose(lin.weight.data, m.components_, rtol=1e-6)
    np.testing.assert_allclose(lin.bias.data, m.intercept_hidden_, rtol=1e-6)
    with pytest.raises(ValueError, match="weight shape"):
        m.init_linear(Linear(16, 4, rng=0))


def test_save_and_load_round_trip_and_refusals(tmp_path):
    X = _prototypes(60, 4)
    m = BernoulliRBM(3, n_iter=2, batch_size=10, random_state=0).fit(X)
    p = tmp_path / "rbm.npz"
    m.save(p)
    back = BernoulliRBM.load(p)
    np.testing.assert_array_equal(back.transform(X), m.transform(X))
    with pytest.raises(FileExistsError):
        m.save(p)
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"PK\x03\x04 this is not a zip file")
    with pytest.raises(ValueError, match="not a readable .npz"):
        BernoulliRBM.load(bad)
    np.savez(tmp_path / "partial.npz", components_=np.zeros((2, 3)))
    with pytest.raises(ValueError, match="lacks"):
        BernoulliRBM.load(tmp_path / "partial.npz")
    np.savez(tmp_path / "shapes.npz", components_=np.zeros((2, 3)),
             intercept_hidden_=np.zeros(3), intercept_visible_=np.zeros(3))
    with pytest.raises(ValueError, match="inconsistent shapes"):
        BernoulliRBM.load(tmp_path / "shapes.npz")
    with pytest.raises(FileNotFoundError):
        BernoulliRBM.load(tmp_path / "missing.npz")


@pytest.mark.parametrize("X,match", [
    (np.array([[0, 1, 2]]), "must be binary"),
    (np.array([[0.0, np.nan, 1.0]]), "NaN"),
    (np.array([0, 1, 1]), "2-D"),
    (np.array([["a", "b"]]), "dtype"),
])
def test_bad_data_is_rejected(X, match):
    with pytest.raises((ValueError, TypeError), match=match):
        BernoulliRBM(2, batch_size=1).fit(X)


def test_bad_parameters_and_shapes_are_rejected():
    X = _prototypes(20, 5)
    for kw, match in [({"k": 0}, "k: the number of Gibbs steps"), ({"k": 1.5}, "k:"),
                      ({"batch_size": 0}, "batch_size"),
                      ({"learning_rate": -1}, "learning_rate"),
                      ({"momentum": 1.0}, "momentum"), ({"visible": "gauss"}, "visible"),
                      ({"dtype": np.int32}, "dtype")]:
        with pytest.raises((ValueError, TypeError), match=match):
            BernoulliRBM(2, **kw).fit(X)
    m = BernoulliRBM(2, batch_size=5, n_iter=1, random_state=0).fit(X)
    with pytest.raises(ValueError, match="fitted with 16 features, got 15"):
        m.transform(X[:, :15])
    with pytest.raises(ValueError, match="not fitted"):
        BernoulliRBM(2).transform(X)
    grey = X * 0.5
    with pytest.raises(ValueError, match="visible='probability'"):
        m.transform(grey)
    p = BernoulliRBM(2, batch_size=5, n_iter=1, visible="probability", random_state=0).fit(grey)
    assert p.transform(grey).shape == (20, 2)
