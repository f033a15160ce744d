"""The Gaussian–Bernoulli restricted Boltzmann machine: real-valued visible units.

Conventions of Cho et al. (2011) and Hinton's practical guide, with a standard deviation σ_i
per visible unit:

    E(v, h) = Σ_i (v_i − b_i)² / (2σ_i²) − Σ_j a_j h_j − Σ_ij (v_i / σ_i) W_ij h_j,
    v ∈ ℝ^V, h ∈ {0,1}^H, p(v, h) = exp(−E(v, h)) / Z,

with W of shape (V, H) (``components_`` holds Wᵀ, shape (H, V), as for
:class:`~energy.models.BernoulliRBM`), visible bias b (``intercept_visible_``), hidden bias a
(``intercept_hidden_``) and σ (``sigma_``). The conditionals are

    p(h_j = 1 | v) = sigmoid(a_j + Σ_i W_ij v_i / σ_i),
    p(v_i | h) = N(b_i + σ_i (W h)_i, σ_i²),

and summing out h gives the free energy

    F(v) = Σ_i (v_i − b_i)² / (2σ_i²) − Σ_j softplus(a_j + Σ_i W_ij v_i / σ_i).

Integrating v out instead (completing the square) gives log Z exactly as a sum over the 2^H
hidden states: log Z = Σ_i log(√(2π) σ_i) + logsumexp_h [aᵀh + Σ_i (b_i c_i / σ_i + c_i²/2)],
c = W h (:func:`gaussian_rbm_log_partition`).

σ is learned (``learn_sigma=True``: the parameter ``log_sigma``, so σ stays positive, its
gradient from the engine like the others') or fixed (the default, σ = 1 for data
standardised to zero mean and unit variance per feature). Training is the generic CD-k /
PCD-k of :mod:`energy.models.base`: the chains (:class:`GaussianRBMChains`, blocks
``("h", "v")``) through :func:`energy.sampling.block_gibbs`, the loss
``mean F(v_data) − mean F(v_k)`` backward through the engine, ``optimizer.step()``.

Example
-------
>>> import numpy as np
>>> X = np.random.default_rng(0).standard_normal((200, 5))
>>> rbm = GaussianBernoulliRBM(3, n_iter=3, batch_size=20, random_state=0).fit(X)
>>> rbm.transform(X).shape, rbm.components_.shape
((200, 3), (3, 5))
>>> bool(np.isfinite(rbm.log_likelihood(X)).all())
True
"""

from __future__ import annotations

import math
import time

import numpy as np

from pgm.runtime import check_array, check_finite, check_rng, check_scalar, softplus, threads_for
from pgm.runtime.jit import nx
from pgm.runtime.numerics import logsumexp

from energy import autodiff as ad
from energy.autodiff import Parameter, Tensor
from energy.models._ising_kernels_ref import stable_sigmoid
from energy.models.base import contrastive_divergence_loss
from energy.models.rbm_base import RBMBase
from energy.models.rbm_sampling import K
from energy.models.rbm_training import finish_epoch, rbm_optimizer
from energy.sampling import ais_schedule, annealed_importance_sampling, block_gibbs

__all__ = ["GaussianBernoulliRBM", "GaussianRBMChains", "gaussian_rbm_log_partition"]

_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)


def gaussian_rbm_log_partition(components, visible_bias, hidden_bias, sigma, max_units=24):
    """Exact log Z of a Gaussian–Bernoulli RBM, summing the hidden layer (≤ ``max_units``).

    log Z = Σ_i log(√(2π) σ_i) + logsumexp over h ∈ {0,1}^H of
    [aᵀh + Σ_i (b_i c_i / σ_i + c_i² / 2)], c = W h, in chunks of 2^14 states.

    >>> H, V = 3, 2
    >>> z = gaussian_rbm_log_partition(np.zeros((H, V)), np.zeros(V), np.zeros(H), np.ones(V))
    >>> bool(abs(z - (V * 0.5 * np.log(2 * np.pi) + H * np.log(2))) < 1e-12)
    True
    """
    C = np.asarray(components, np.float64)
    a = np.asarray(hidden_bias, np.float64)
    b = np.asarray(visible_bias, np.float64)
    s = np.asarray(sigma, np.float64)
    H = C.shape[0]
    if H > max_units:
        raise ValueError(f"exact log Z: the hidden layer has {H} units; enumeration is limited "
                         f"to {max_units} (2^{max_units} states): use method='ais'")
    parts = []
    bits = np.arange(H)
    chunk = 1 << min(H, 14)
    for start in range(0, 1 << H, chunk):
        idx = np.arange(start, min(start + chunk, 1 << H))
        h = ((idx[:, None] >> bits) & 1).astype(np.float64)
        c = h @ C
        parts.append(logsumexp(h @ a + c @ (b / s) + 0.5 * (c * c).sum(axis=1)))
    return float(np.log(s).sum() + s.size * _LOG_SQRT_2PI + logsumexp(parts))


class GaussianRBMChains:
    """A batch of Gibbs chains of a :class:`GaussianBernoulliRBM`, annealed by ``beta``, as
    a model of :func:`energy.sampling.block_gibbs` (and of
    :func:`energy.sampling.annealed_importance_sampling`).

    p*_β(v, h) = exp(−Σ_i (v_i − b_i)²/(2σ_i²) + β (aᵀh + Σ_ij (v_i/σ_i) W_ij h_j)): at
    β = 1 (the default) the RBM, at β = 0 the base model of AIS (W = 0, hidden bias 0, the
    same Gaussian visibles; log Z = Σ_i log(√(2π) σ_i) + H log 2, :meth:`log_z_base`).
    The state is ``{"v": (n, V) reals, "h": (n, H) 0/1}``; the blocks are ``("h", "v")``:
    h ~ p_β(h | v) by the library's counter-based Bernoulli kernel
    (:func:`energy.models._rbm_kernels.sample_layer`, one seed per update from the
    sampler's ``rng``), then v ~ N(b + σ β W h, σ²) from the sampler's ``rng``. At
    temperature T the hidden conditionals are sigmoid(x / T) and the visible variance σ² T;
    T = 0 takes the most probable value (the mean for v; ties keep the current h).
    """

    def __init__(self, rbm, beta=1.0, dtype=None):
        rbm._check_fitted()
        dt = np.dtype(rbm._dtype if dtype is None else dtype)
        self.blocks = ("h", "v")
        self.beta = float(beta)
        self._C = np.ascontiguousarray(rbm.components_, dt)
        self._a = np.ascontiguousarray(rbm.intercept_hidden_, dt)
        self._b = np.ascontiguousarray(rbm.intercept_visible_, dt)
        self._s = np.ascontiguousarray(rbm.sigma_, dt)

    def sample_block(self, state, block, temperature, rng):
        beta, T = self.beta, float(temperature)
        if block == "h":
            out = state["h"]
            x = (beta * ((state["v"] / self._s) @ self._C.T)).astype(out.dtype)
            bias = (beta * self._a).astype(out.dtype)
            old = out.copy()
            if T == 0:
                z = x + bias
                out[...] = np.where(z > 0, 1, np.where(z < 0, 0, out))
            else:
                with threads_for(out.size):
                    K.sample_layer(np.ascontiguousarray(x / T), (bias / T).astype(out.dtype),
                                   int(rng.integers(0, 2**63)), np.empty((0, 0), out.dtype),
                                   out, 1.0)
            return int(np.count_nonzero(out != old))
        if block == "v":
            out = state["v"]
            mean = self._b + self._s * (beta * (state["h"] @ self._C))
            if T > 0:
                mean = mean + (self._s * math.sqrt(T)) * rng.standard_normal(out.shape)
            out[...] = mean
            return int(out.size)
        raise ValueError(f"block: expected 'h' or 'v', got {block!r}")

    def state_energy(self, state):
        """Σ over chains of E_β(v, h)."""
        v, h = state["v"], state["h"]
        u = (v - self._b) / self._s
        inter = np.einsum("nj,jv,nv->n", h, self._C, v / self._s) + h @ self._a
        return float((0.5 * (u * u).sum(axis=1) - self.beta * inter).sum())

    def observe(self, state):
        return state["v"]

    def log_pstar(self, state, beta):
        """log p*_β(v) with h summed out, per chain (float64, (n,))."""
        v = np.asarray(state["v"], np.float64)
        u = (v - self._b) / self._s
        return (-0.5 * (u * u).sum(axis=1)
                + softplus(beta * ((v / self._s) @ self._C.T + self._a)).sum(axis=1))

    def log_z_base(self):
        """Exact log Z of the base model (β = 0): Σ_i log(√(2π) σ_i) + H log 2."""
        return float(np.log(self._s.astype(np.float64)).sum() + self._s.size * _LOG_SQRT_2PI
                     + self._C.shape[0] * math.log(2.0))

    def base_sample(self, n_runs, rng):
        """Exact draws from the base model: v ~ N(b, σ²); h is drawn by the first sweep."""
        V, H = self._b.size, self._C.shape[0]
        v = self._b + self._s * rng.standard_normal((n_runs, V))
        return {"v": v.astype(self._b.dtype), "h": np.zeros((n_runs, H), self._b.dtype)}


class GaussianBernoulliRBM(RBMBase):
    """Gaussian–Bernoulli RBM (real-valued visibles) trained by CD-k or PCD-k.

    An :class:`~energy.models.EnergyModel` (see the module docstring for the energy): its
    parameters ``weight`` (H, V) = Wᵀ, ``hidden_bias``, ``visible_bias`` and, when
    ``learn_sigma``, ``log_sigma`` are engine :class:`~energy.autodiff.Parameter` s (a fixed
    σ is the buffer ``log_sigma``), exposed as numpy arrays through the attributes below.

    Parameters
    ----------
    n_components : int, default 64
        Number of hidden units H.
    learning_rate : float, default 0.01
    batch_size : int, default 10
    n_iter : int, default 10
        Epochs of :meth:`fit`.
    k : int, default 1
        Gibbs steps per update.
    persistent : bool, default False
        PCD-k: the negative chains (one per example of a batch, started at the first batch)
        continue from where the last update left them instead of restarting at the data.
    momentum : float in [0, 1), default 0.5
    weight_decay : float, default 0.0
    optimizer : {"sgd", "adam"} or callable, default "sgd"
        As for :class:`~energy.models.BernoulliRBM`.
    learn_sigma : bool, default False
        Learn σ (as log σ) with the other parameters; otherwise σ stays at ``sigma``.
    sigma : float or array-like of shape (n_features,), default 1.0
        The fixed σ, or the initial σ when learned; finite and > 0.
    dtype : numpy float dtype, default float64
    verbose : bool, default False
        A progress line per epoch on stderr.
    random_state : None, int or numpy.random.Generator
        Initial weights (N(0, 0.01²)), batch order and every Gibbs draw.

    Attributes
    ----------
    components_ : ndarray of shape (n_components, n_features)
        Wᵀ.
    intercept_hidden_ : ndarray of shape (n_components,)
    intercept_visible_ : ndarray of shape (n_features,)
        b, initialised at the mean of the data of the first fit / partial_fit call.
    sigma_ : ndarray of shape (n_features,)
    n_features_in_ : int
    history_ : list of dict
        Per epoch: ``epoch``, ``reconstruction`` (mean over examples of the squared error
        ‖v − E[v | h = p(h | v)]‖², summed over features), ``seconds``.
    """

    def __init__(self, n_components=64, *, learning_rate=0.01, batch_size=10, n_iter=10, k=1,
                 persistent=False, momentum=0.5, weight_decay=0.0, optimizer="sgd",
                 learn_sigma=False, sigma=1.0, dtype=np.float64, verbose=False,
                 random_state=None):
        super().__init__()
        self.n_components = n_components
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.n_iter = n_iter
        self.k = k
        self.persistent = persistent
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.optimizer = optimizer
        self.learn_sigma = learn_sigma
        self.sigma = sigma
        self.dtype = dtype
        self.verbose = verbose
        self.random_state = random_state

    # ------------------------------------------------------------------ checks
    def _check_params(self, n_features):
        self._check_training_params()
        dt = self._check_dtype_optimizer()
        s = check_array(self.sigma, "sigma", ndim=(0, 1), dtype_kind="biuf").astype(np.float64)
        if s.ndim == 1 and s.shape != (n_features,):
            raise ValueError(f"sigma: expected a scalar or shape ({n_features},), got shape "
                             f"{s.shape}")
        if not np.all(np.isfinite(s)) or not np.all(s > 0):
            raise ValueError(f"sigma: the standard deviations must be finite and > 0, got "
                             f"{s.ravel()[~(np.isfinite(s.ravel()) & (s.ravel() > 0))][0]!r}")
        return dt, np.broadcast_to(s, (n_features,))

    def _check_X(self, X, name="X"):
        X = check_array(X, name, ndim=2, dtype_kind="biuf")
        check_finite(X.astype(np.float64, copy=False), name)
        if hasattr(self, "n_features_in_") and X.shape[1] != self.n_features_in_:
            raise ValueError(f"{name}: the model was fitted with {self.n_features_in_} "
                             f"features, got {X.shape[1]}")
        return np.ascontiguousarray(X, dtype=getattr(self, "_dtype", np.dtype(self.dtype)))

    def _check_fitted(self):
        if "weight" not in self._parameters:
            raise ValueError(f"this {type(self).__name__} is not fitted yet: call fit or "
                             f"partial_fit first")

    # ------------------------------------------------------------------ set-up
    def _init(self, X):
        dt, s = self._check_params(X.shape[1])
        self._dtype = dt
        self._rng = check_rng(self.random_state)
        H, V = int(self.n_components), X.shape[1]
        self.weight = Parameter((0.01 * self._rng.standard_normal((H, V))).astype(dt))
        self.hidden_bias = Parameter(np.zeros(H, dt))
        self.visible_bias = Parameter(X.mean(axis=0).astype(dt))
        if self.learn_sigma:
            self.log_sigma = Parameter(np.log(s).astype(dt))
        else:
            self.register_buffer("log_sigma", np.log(s).astype(dt))
        self.n_features_in_ = V
        self.history_ = []
        self._optim = None
        self._chains = None

    @property
    def sigma_(self):
        """σ = exp(log σ), ndarray of shape (n_features,)."""
        self._check_fitted()
        ls = self.log_sigma
        return np.exp(ls.data if isinstance(ls, Tensor) else ls)

    # ------------------------------------------------------------------ conditionals
    def _mean_hiddens(self, v):
        """p(h = 1 | v), shape (n, H)."""
        pre = (v / self.sigma_) @ self.components_.T + self.intercept_hidden_
        return stable_sigmoid(pre).astype(self._dtype)

    def _mean_visibles(self, h):
        """E[v | h] = b + σ (W h), shape (n, V)."""
        return (self.intercept_visible_ + self.sigma_ * (h @ self.components_)).astype(
            self._dtype)

    def transform(self, X):
        """p(h_j = 1 | v) for every row: the hidden features, shape (n_samples, n_components)."""
        self._check_fitted()
        return self._mean_hiddens(self._check_X(X))

    # ------------------------------------------------------------------ energies
    def energy(self, v, h):
        """E(v, h) per row; v (n, V), h (n, H) → (n,) float64."""
        self._check_fitted()
        v = np.atleast_2d(np.asarray(v, dtype=np.float64))
        h = np.atleast_2d(np.asarray(h, dtype=np.float64))
        s = self.sigma_.astype(np.float64)
        u = (v - self.intercept_visible_) / s
        return (0.5 * (u * u).sum(axis=1) - h @ self.intercept_hidden_
                - np.einsum("nj,jv,nv->n", h, self.components_, v / s))

    def free_energy(self, X):
        """F(v) = Σ_i (v_i − b_i)²/(2σ_i²) − Σ_j softplus(a_j + Σ_i W_ij v_i/σ_i), shape (n,).

        An array ``X`` gives a float64 array; a :class:`~energy.autodiff.Tensor` gives a
        Tensor on the engine, differentiable with respect to the parameters (log σ included
        when learned) — the form contrastive divergence uses.
        """
        self._check_fitted()
        if isinstance(X, Tensor):
            ls = self.log_sigma if isinstance(self.log_sigma, Tensor) else Tensor(self.log_sigma)
            s = ad.exp(ls)
            u = (X - self.visible_bias) / s
            pre = ad.matmul(X / s, self.weight.T) + self.hidden_bias
            return 0.5 * (u * u).sum(axis=1) - ad.softplus(pre).sum(axis=1)
        v = self._check_X(X).astype(np.float64)
        s = self.sigma_.astype(np.float64)
        u = (v - self.intercept_visible_) / s
        pre = (v / s) @ self.components_.T.astype(np.float64) + self.intercept_hidden_
        return 0.5 * (u * u).sum(axis=1) - softplus(pre).sum(axis=1)

    # ------------------------------------------------------------------ likelihood
    def log_partition(self, method="exact", **ais_kwargs):
        """log Z: ``"exact"`` (sum the hidden layer, ≤ 24 units; a float) or ``"ais"``
        (:meth:`ais`; an :class:`~energy.sampling.AISResult`)."""
        self._check_fitted()
        if method == "exact":
            return gaussian_rbm_log_partition(self.components_, self.intercept_visible_,
                                              self.intercept_hidden_, self.sigma_)
        if method == "ais":
            return self.ais(**ais_kwargs)
        raise ValueError(f"method: expected 'exact' or 'ais', got {method!r}")

    def ais(self, n_runs=100, n_betas=10000, rng=None):
        """Annealed importance sampling estimate of log Z.

        From the base model (W = 0, hidden bias 0, the same Gaussian visibles; exact log Z
        Σ_i log(√(2π) σ_i) + H log 2) to the RBM through p*_β, which scales the interaction
        and the hidden bias by β (:class:`GaussianRBMChains`), one Gibbs sweep per β.

        Parameters
        ----------
        n_runs : int
            Independent annealing runs.
        n_betas : int or array-like
            Number of temperatures (:func:`energy.sampling.ais_schedule`) or the β values.
        rng : None, int or Generator

        Returns
        -------
        AISResult
        """
        self._check_fitted()
        gen = check_rng(rng)
        M = check_scalar(n_runs, "n_runs", low=2, integer=True)
        betas = ais_schedule(n_betas)
        chains = GaussianRBMChains(self, beta=0.0, dtype=np.float64)
        state = chains.base_sample(M, gen)
        return annealed_importance_sampling(chains, state, betas,
                                            log_z_base=chains.log_z_base(), rng=gen)

    # ------------------------------------------------------------------ training
    def fit(self, X, y=None):
        """Fit to X (n_samples, n_features) for ``n_iter`` epochs from a fresh initialisation."""
        X = self._check_X_new(X)
        self._init(X)
        X = self._check_X(X)
        for _ in range(int(self.n_iter)):
            self._epoch(X)
        return self

    def partial_fit(self, X, y=None):
        """One pass of updates over the mini-batches of X (initialises on the first call)."""
        if "weight" not in self._parameters:
            self._init(self._check_X_new(X))
        X = self._check_X(X)
        self._epoch(X)
        return self

    def _check_X_new(self, X):
        X = check_array(X, "X", ndim=2, dtype_kind="biuf")
        return check_finite(X.astype(np.float64, copy=False), "X")

    def _epoch(self, X):
        """One epoch of CD-k / PCD-k on the sampler and the engine."""
        t0 = time.perf_counter()
        B, k, gen = self._batch_size(X.shape[0]), int(self.k), self._rng
        H = self.components_.shape[0]
        order = gen.permutation(X.shape[0])
        n_batches = X.shape[0] // B     # a last partial batch is left out of this epoch
        opt = rbm_optimizer(self)
        good = [p.data.copy() for p in self.parameters()]
        total = 0.0
        with np.errstate(over="ignore", invalid="ignore"):
            for m in range(n_batches):
                vd = X[order[m * B:(m + 1) * B]]
                if self.persistent:
                    if self._chains is None or self._chains.shape != vd.shape:
                        self._chains = vd.copy()
                    state = {"v": self._chains, "h": np.zeros((B, H), self._dtype)}
                else:
                    state = {"v": vd.copy(), "h": np.zeros((B, H), self._dtype)}
                block_gibbs(GaussianRBMChains(self), state, temperature=1.0, max_sweeps=k,
                            rng=gen, record_energy=False)
                r = vd - self._mean_visibles(self._mean_hiddens(vd))
                total += float((r.astype(np.float64) ** 2).sum())
                opt.zero_grad()
                contrastive_divergence_loss(self, vd, state["v"]).backward()
                opt.step()
        finish_epoch(self, good, "reconstruction", total / (n_batches * B), t0,
                     "reconstruction squared error", unit="per example")

    # ------------------------------------------------------------------ generation
    def sample(self, n_samples=16, n_steps=1000, rng=None):
        """Run ``n_samples`` Gibbs chains from v ~ N(b, σ²) for ``n_steps`` sweeps through
        the library's sampler; return E[v | h] of the last step, shape
        (n_samples, n_features)."""
        self._check_fitted()
        n = check_scalar(n_samples, "n_samples", low=1, integer=True)
        steps = check_scalar(n_steps, "n_steps", low=1, integer=True)
        gen = check_rng(rng)
        chains = GaussianRBMChains(self)
        state = chains.base_sample(n, gen)
        block_gibbs(chains, state, temperature=1.0, max_sweeps=steps, rng=gen,
                    record_energy=False)
        return self._mean_visibles(state["h"])

    # ------------------------------------------------------------------ graph, pretraining
    def to_networkx(self) -> nx.Graph:
        """The bipartite graph: nodes ("v", i) (attributes ``bipartite`` 0, ``sigma``) and
        ("h", j) (``bipartite`` 1), an edge per weight with attribute ``weight``."""
        self._check_fitted()
        return self._bipartite_graph([{"sigma": float(s)} for s in self.sigma_])

    def pretrained_arrays(self):
        """(weight, bias) for a ``Linear(n_features, n_components)`` layer whose output is
        the hidden pre-activation a + Wᵀ(v / σ): weight = Wᵀ / σ (column i divided by σ_i,
        shape (out, in)) and bias = a, copies."""
        self._check_fitted()
        return ((self.components_ / self.sigma_).astype(self._dtype),
                self.intercept_hidden_.copy())

