"""The Bernoulli–Bernoulli restricted Boltzmann machine, trained by contrastive divergence.

    p(v, h) = exp(vᵀWh + bᵀv + aᵀh) / Z,     v ∈ {0,1}^V, h ∈ {0,1}^H

with W of shape (V, H) (``components_`` holds Wᵀ, shape (H, V), as in scikit-learn and as
the weight of a ``Linear(V, H)`` layer), visible bias b (``intercept_visible_``) and hidden
bias a (``intercept_hidden_``). The layers are conditionally independent given each other:

    p(h_j = 1 | v) = σ((Wᵀv + a)_j),      p(v_i = 1 | h) = σ((W h + b)_i),

and summing out h gives the free energy F(v) = −bᵀv − Σ_j softplus((Wᵀv + a)_j), with
p(v) = exp(−F(v)) / Z.

Training (CD-k / PCD-k) runs a whole epoch in one numba call (:mod:`energy.models._rbm_kernels`):
per batch, each Gibbs half-step is one matrix product with W split over blocks of units (one
per thread, BLAS at one thread inside) and a fused pass that makes the probabilities and the
Bernoulli draws; then the gradients and the update. The update is the gradient of the
free-energy difference ``mean F(v_data) − mean F(v_k)`` (v_k the chains' visible samples after
k steps), applied with the library's optimiser (:class:`energy.optim.SGD`, momentum and weight
decay on W only, its arithmetic run inside the kernel through ``SGD.fused_args``) — the tests
check the gradient against the gradient engine and a whole epoch against the numpy reference
chains followed by ``SGD.step``.

The RBM is also a model of the library's one sampler (:func:`energy.sampling.block_gibbs`):
:class:`RBMChains` has the blocks ``("h", "v")``.

Example
-------
>>> import numpy as np
>>> X = (np.random.default_rng(0).random((200, 12)) < 0.3).astype(float)
>>> rbm = BernoulliRBM(n_components=4, n_iter=5, batch_size=20, random_state=0).fit(X)
>>> rbm.transform(X).shape, rbm.components_.shape
((200, 4), (4, 12))
>>> bool(np.isfinite(rbm.log_likelihood(X)).all())
True
"""

from __future__ import annotations

import time

import numpy as np

from pgm.runtime import (check_alloc, check_array, check_rng, check_scalar, load_npz_checked,
                         save_npz_atomic, softplus, threads_for)
from pgm.runtime.jit import nx

from energy import autodiff as ad
from energy.autodiff import Parameter, Tensor
from energy.models import _rbm_kernels_ref as R
from energy.models._ising_kernels_ref import stable_sigmoid
from energy.models.rbm_base import RBMBase
from energy.models.rbm_sampling import (_EMPTY, AnnealedRBMChains, K, RBMChains, _seed,
                                         exact_log_partition, small_rbm)
from energy.models.rbm_training import (cd_epoch_fused, cd_epoch_generic, finish_epoch,
                                        rbm_optimizer)
from energy.sampling import ais_schedule, annealed_importance_sampling, block_gibbs

__all__ = ["BernoulliRBM"]

_PARALLEL_MIN_FLOPS = 1 << 20     # B·H·V of a batch's products


class BernoulliRBM(RBMBase):
    """Bernoulli–Bernoulli RBM trained by CD-k or persistent CD (PCD-k).

    An :class:`~energy.models.EnergyModel`: its parameters ``weight`` (H, V) = Wᵀ,
    ``hidden_bias`` and ``visible_bias`` are engine :class:`~energy.autodiff.Parameter` s
    (``state_dict``, ``to(dtype)``, any optimiser), exposed as numpy arrays through the
    scikit-learn attributes below.

    Parameters
    ----------
    n_components : int, default 256
        Number of hidden units H.
    learning_rate : float, default 0.1
    batch_size : int, default 10
        Examples per update; with fewer examples than that, the whole set is one batch.
    n_iter : int, default 10
        Epochs of :meth:`fit`.
    k : int, default 1
        Gibbs steps per update (CD-k; the course uses 1, 5, 10, 20).
    persistent : bool, default False
        PCD-k: the negative chains continue from where the last update left them
        (one chain per example of a batch) instead of restarting at the data.
    momentum : float in [0, 1), default 0.5
    weight_decay : float, default 0.0
        L2 penalty on W (not on the biases).
    sparsity_target : float in (0, 1) or None
        Target mean activation of the hidden units; adds ``sparsity_cost * (q_j − target)``
        to the hidden bias gradient (and the matching term to W), q_j the batch mean of
        p(h_j = 1 | v).
    sparsity_cost : float, default 0.1
    visible : {"binary", "probability"}, default "binary"
        "binary" requires data in {0, 1}; "probability" accepts values in [0, 1] (grey levels
        read as probabilities of a one, the continuous mode).
    dtype : numpy float dtype, default float64
    optimizer : {"sgd", "adam"} or callable, default "sgd"
        "sgd": :class:`~energy.optim.SGD` with ``learning_rate``, ``momentum`` and
        ``weight_decay``; "adam": :class:`~energy.optim.Adam` with ``learning_rate`` and
        ``weight_decay``; a callable gets the parameter list and returns an
        :class:`~energy.optim.Optimizer`.
    fused : {"auto", True, False}, default "auto"
        The fast path: a whole epoch in one numba call, the chains, the gradients and the
        update inside (:func:`energy.models._rbm_kernels.cd_epoch`). It needs an optimiser
        with a fused update (SGD; ``Optimizer.fused_args``). "auto" takes it when it can;
        False takes the generic path — the chains through :func:`energy.sampling.block_gibbs`,
        the gradient of mean F(v_data) − mean F(v_k) from the engine, ``optimizer.step()`` —
        which gives the same parameters on the same counter-based draws (tested); True
        refuses an optimiser without a fused update.
    verbose : bool, default False
        A progress line per epoch on stderr (reconstruction cross-entropy, seconds).
    random_state : None, int or numpy.random.Generator
        Initial weights (N(0, 0.01²)), batch order and every Gibbs draw; an int gives the
        same fit exactly, for any number of threads.

    Attributes
    ----------
    components_ : ndarray of shape (n_components, n_features)
        Wᵀ.
    intercept_hidden_ : ndarray of shape (n_components,)
    intercept_visible_ : ndarray of shape (n_features,)
    n_features_in_ : int
    history_ : list of dict
        Per epoch: ``epoch``, ``reconstruction`` (mean cross-entropy of the data under
        p(v | h) with h ~ p(h | v), nats per example), ``seconds``.
    """

    def __init__(self, n_components=256, *, learning_rate=0.1, batch_size=10, n_iter=10, k=1,
                 persistent=False, momentum=0.5, weight_decay=0.0, sparsity_target=None,
                 sparsity_cost=0.1, visible="binary", dtype=np.float64, optimizer="sgd",
                 fused="auto", verbose=False, random_state=None):
        super().__init__()
        self.n_components = n_components
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.n_iter = n_iter
        self.k = k
        self.persistent = persistent
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.sparsity_target = sparsity_target
        self.sparsity_cost = sparsity_cost
        self.visible = visible
        self.dtype = dtype
        self.optimizer = optimizer
        self.fused = fused
        self.verbose = verbose
        self.random_state = random_state

    # ------------------------------------------------------------------ checks
    def _check_params(self):
        self._check_training_params()
        if self.sparsity_target is not None:
            check_scalar(self.sparsity_target, "sparsity_target", low=0, high=1,
                         low_inclusive=False, high_inclusive=False)
            check_scalar(self.sparsity_cost, "sparsity_cost", low=0)
        if self.visible not in ("binary", "probability"):
            raise ValueError(f"visible: expected 'binary' or 'probability', got {self.visible!r}")
        dt = self._check_dtype_optimizer()
        if self.fused not in ("auto", True, False):
            raise ValueError(f"fused: expected 'auto', True or False, got {self.fused!r}")
        return dt

    def _check_X(self, X, name="X", *, fitted=True):
        X = check_array(X, name, ndim=2, dtype_kind="biuf")
        X = np.ascontiguousarray(X, dtype=getattr(self, "_dtype", np.dtype(self.dtype)))
        binary = self.visible == "binary"
        # one read of X: the kernel from 65,536 entries (the energy.rbm threshold / 64)
        first_invalid = R.first_invalid_ref if small_rbm(X.size, 64) else K.first_invalid
        bad = first_invalid(X, binary)     # one pass; NaN and inf fail both tests
        if bad >= 0:
            r, c = divmod(int(bad), X.shape[1])
            if not np.isfinite(X[r, c]):
                raise ValueError(f"{name}: contains NaN or inf (first at row {r}, column {c})")
            if binary:
                raise ValueError(
                    f"{name}: visible data must be binary (0 or 1), found {X[r, c]!r} at row {r}, "
                    f"column {c}; binarise it (e.g. X > 0.5) or use visible='probability' for "
                    f"values in [0, 1]")
            raise ValueError(f"{name}: visible='probability' needs values in [0, 1], found "
                             f"{X[r, c]!r} at row {r}, column {c}")
        if fitted and hasattr(self, "components_") and X.shape[1] != self.n_features_in_:
            raise ValueError(f"{name}: the model was fitted with {self.n_features_in_} features, "
                             f"got {X.shape[1]}")
        return X

    def _check_fitted(self):
        if "weight" not in self._parameters:
            raise ValueError("this BernoulliRBM is not fitted yet: call fit or partial_fit first")

    # ------------------------------------------------------------------ set-up
    def _init(self, n_features):
        dt = self._check_params()
        self._dtype = dt
        self._rng = check_rng(self.random_state)
        H = int(self.n_components)
        self.weight = Parameter((0.01 * self._rng.standard_normal((H, n_features))).astype(dt))
        self.hidden_bias = Parameter(np.zeros(H, dt))
        self.visible_bias = Parameter(np.zeros(n_features, dt))
        self.n_features_in_ = int(n_features)
        self.history_ = []
        self._optim = None
        self._chains = None

    def _optimizer(self):
        return rbm_optimizer(self)

    def _use_fused(self, opt):
        """Whether this epoch takes the fused kernel (see ``fused``)."""
        if self.fused is False:
            return False
        try:
            opt.fused_args(0)
        except NotImplementedError as exc:
            if self.fused is True:
                raise ValueError(f"fused: True needs an optimiser with a fused update: {exc}") \
                    from None
            return False
        return type(self).fused_epoch_ok

    # ------------------------------------------------------------------ conditionals
    def _hidden_pre(self, v):
        return v @ self.components_.T

    def _mean_hiddens(self, v):
        """p(h = 1 | v), shape (n, H)."""
        return stable_sigmoid(self._hidden_pre(v) + self.intercept_hidden_).astype(self._dtype)

    def _mean_visibles(self, h):
        """p(v = 1 | h), shape (n, V)."""
        return stable_sigmoid(h @ self.components_ + self.intercept_visible_).astype(self._dtype)

    def _sample(self, pre, bias, gen):
        s = np.empty_like(pre)
        if small_rbm(pre.shape[0], *self.components_.shape):
            R.draw_layer_ref(pre, bias, _seed(gen), s)
            return s
        with threads_for(s.size):
            K.sample_layer(pre, bias, _seed(gen), _EMPTY[pre.dtype], s, 1.0)
        return s

    def transform(self, X):
        """p(h_j = 1 | v) for every row: the hidden features, shape (n_samples, n_components)."""
        self._check_fitted()
        return self._mean_hiddens(self._check_X(X))

    def gibbs(self, v, rng=None):
        """One Gibbs step v → h → v' (draws), shape (n_samples, n_features).

        Uses the model's own random generator unless ``rng`` is given.
        """
        self._check_fitted()
        v = self._check_X(v, "v")
        gen = self._rng if rng is None else check_rng(rng)
        state = {"v": v.copy(), "h": np.empty((v.shape[0], self.components_.shape[0]),
                                              self._dtype)}
        block_gibbs(RBMChains(self), state, temperature=1.0, max_sweeps=1, rng=gen,
                    record_energy=False)        # one sweep: h ~ p(h | v), then v ~ p(v | h)
        return state["v"]

    # ------------------------------------------------------------------ energies
    def energy(self, v, h):
        """E(v, h) = −vᵀWh − bᵀv − aᵀh per row; v (n, V), h (n, H) → (n,).

        Arrays give float64; Tensors give a Tensor on the engine (differentiable with respect
        to the parameters)."""
        self._check_fitted()
        if isinstance(v, Tensor) or isinstance(h, Tensor):
            v = v if isinstance(v, Tensor) else Tensor(np.asarray(v, self._dtype))
            h = h if isinstance(h, Tensor) else Tensor(np.asarray(h, self._dtype))
            return -((ad.matmul(h, self.weight) * v).sum(axis=1) + v @ self.visible_bias
                     + h @ self.hidden_bias)
        v = np.atleast_2d(np.asarray(v, dtype=np.float64))
        h = np.atleast_2d(np.asarray(h, dtype=np.float64))
        return -(np.einsum("nj,jv,nv->n", h, self.components_, v)
                 + v @ self.intercept_visible_ + h @ self.intercept_hidden_)

    def free_energy(self, X):
        """F(v) = −bᵀv − Σ_j softplus((Wᵀv + a)_j), shape (n_samples,).

        An array ``X`` gives a float64 array; a :class:`~energy.autodiff.Tensor` gives a
        Tensor on the engine (the model's dtype), differentiable with respect to the
        parameters — the form contrastive divergence uses.
        """
        self._check_fitted()
        if isinstance(X, Tensor):
            pre = ad.matmul(X, self.weight.T) + self.hidden_bias
            return -(X @ self.visible_bias) - ad.softplus(pre).sum(axis=1)
        v = self._check_X(X).astype(np.float64)
        return -(v @ self.intercept_visible_) - softplus(
            v @ self.components_.T.astype(np.float64) + self.intercept_hidden_).sum(axis=1)

    def reconstruction_error(self, X, rng=None):
        """Mean cross-entropy (nats per example) of X under p(v | h), h ~ p(h | X)."""
        self._check_fitted()
        v = self._check_X(X)
        gen = self._rng if rng is None else check_rng(rng)
        h = self._sample(self._hidden_pre(v), self.intercept_hidden_, gen)
        x = (h @ self.components_ + self.intercept_visible_).astype(np.float64)
        return float((softplus(x) - v * x).sum(axis=1).mean())

    def score_samples(self, X, rng=None):
        """Pseudo-log-likelihood of each row, as scikit-learn computes it (float64, (n,)).

        V · log σ(F(ṽ) − F(v)) with ṽ = v with one randomly chosen unit flipped per row
        (a stochastic estimate of ``Σ_i log p(v_i | v_-i)``).
        """
        self._check_fitted()
        v = self._check_X(X).astype(np.float64)
        gen = self._rng if rng is None else check_rng(rng)
        idx = (np.arange(v.shape[0]), gen.integers(0, v.shape[1], v.shape[0]))
        flipped = v.copy()
        flipped[idx] = 1 - flipped[idx]
        fe = self.free_energy(v)
        fe_f = self.free_energy(flipped)
        return v.shape[1] * -softplus(-(fe_f - fe))

    def pseudo_likelihood(self, X):
        """Exact pseudo-log-likelihood ``Σ_i log p(v_i | v_-i)`` of each row (float64, (n,))."""
        self._check_fitted()
        v = self._check_X(X).astype(np.float64)
        fe = self.free_energy(v)
        out = np.zeros(v.shape[0])
        for i in range(v.shape[1]):
            f = v.copy()
            f[:, i] = 1 - f[:, i]
            out -= softplus(-(self.free_energy(f) - fe))
        return out

    # ------------------------------------------------------------------ likelihood
    def log_partition(self, method="exact", **ais_kwargs):
        """log Z: ``"exact"`` (enumerate the smaller layer, ≤ 24 units) or ``"ais"``.

        ``"ais"`` returns an :class:`AISResult`; ``"exact"`` a float.
        """
        self._check_fitted()
        if method == "exact":
            return exact_log_partition(self.components_, self.intercept_visible_,
                                       self.intercept_hidden_)
        if method == "ais":
            return self.ais(**ais_kwargs)
        raise ValueError(f"method: expected 'exact' or 'ais', got {method!r}")

    def ais(self, n_runs=100, n_betas=10000, base_visible_bias=None, rng=None):
        """Annealed importance sampling estimate of log Z (Salakhutdinov & Murray 2008).

        The base model has W = 0, hidden bias 0 and visible bias ``base_visible_bias``
        (default: the visible bias of the fitted data's marginals, log(p/(1−p)) from
        ``self._data_marginals`` when known, else 0); its log Z is exact. Intermediate models
        p_β(v) ∝ exp((1−β) b_Aᵀv + β bᵀv) Π_j (1 + exp(β (Wᵀv + a)_j)) for β from 0 to 1,
        linked by Gibbs transitions that leave each invariant.

        Parameters
        ----------
        n_runs : int
            Independent annealing runs M.
        n_betas : int or array-like
            Number of intermediate temperatures (a schedule 0 → 0.5 → 0.9 → 1 with 5%, 35%
            and 60% of the steps, as in the paper) or the β values themselves.
        rng : None, int or Generator

        Returns
        -------
        AISResult
        """
        self._check_fitted()
        gen = check_rng(rng)
        M = check_scalar(n_runs, "n_runs", low=2, integer=True)
        betas = ais_schedule(n_betas)
        b = self.intercept_visible_
        bA = (np.zeros(b.shape) if base_visible_bias is None
              else check_array(base_visible_bias, "base_visible_bias", ndim=1,
                               dtype_kind="f").astype(np.float64))
        if base_visible_bias is None and getattr(self, "_data_marginals", None) is not None:
            p = np.clip(self._data_marginals, 1e-3, 1 - 1e-3)
            bA = np.log(p) - np.log1p(-p)
        if bA.shape != b.shape:
            raise ValueError(f"base_visible_bias: expected shape {b.shape}, got {bA.shape}")
        if not np.all(np.isfinite(bA)):
            raise ValueError("base_visible_bias: holds NaN or inf")
        chains = AnnealedRBMChains(self, bA)
        state = chains.base_sample(M, gen)                  # exact draws from the base
        return annealed_importance_sampling(chains, state, betas, log_z_base=chains.log_z_base(),
                                            rng=gen)

    # ------------------------------------------------------------------ training
    def fit(self, X, y=None):
        """Fit to X (n_samples, n_features) for ``n_iter`` epochs from a fresh initialisation."""
        X = check_array(X, "X", ndim=2, dtype_kind="biuf")
        self._init(X.shape[1])
        X = self._check_X(X)
        self._check_seed_table(X)
        self._data_marginals = X.mean(axis=0).astype(np.float64)
        for _ in range(int(self.n_iter)):
            self._epoch(X)
        return self

    def partial_fit(self, X, y=None):
        """One pass of updates over the mini-batches of X (initialises on the first call)."""
        X = check_array(X, "X", ndim=2, dtype_kind="biuf")
        if not hasattr(self, "components_"):
            self._init(X.shape[1])
            self._data_marginals = None
        X = self._check_X(X)
        self._check_seed_table(X)
        self._epoch(X)
        return self

    #: largest per-epoch table of seeds (n_batches, 2k + 1) an epoch draws (bytes)
    _MAX_SEED_BYTES = 256 << 20

    def _check_seed_table(self, X):
        # an epoch draws 2k + 1 seeds per batch up front: an absurd k is refused, naming k
        n_batches = X.shape[0] // self._batch_size(X.shape[0])
        check_alloc((n_batches, 2 * int(self.k) + 1), np.uint64, "k", self.k,
                    limit=self._MAX_SEED_BYTES)

    def _epoch(self, X):
        t0 = time.perf_counter()
        n, V = X.shape
        B = self._batch_size(n)
        H = self.components_.shape[0]
        dt = self._dtype
        gen = self._rng
        order = gen.permutation(n)
        n_batches = n // B          # a last partial batch is left out of this epoch
        # threads pay off only when a batch's products are big (see pgm.runtime.threads)
        parallel = B * H * V >= _PARALLEL_MIN_FLOPS
        nblk = max(1, min(K.get_num_threads(), H)) if parallel else 1
        k = int(self.k)
        opt = self._optimizer()
        persistent = bool(self.persistent)
        if persistent and (self._chains is None or self._chains.shape != (B, H)):
            self._chains = self._sample(np.zeros((B, H), dt), self.intercept_hidden_, gen)
        seeds = gen.integers(0, 2**63, size=(n_batches, 2 * k + 1), dtype=np.uint64)
        good = [p.data.copy() for p in self.parameters()]
        # the fused kernel once an epoch is big enough to repay compiling it (pgm.runtime.jit);
        # smaller ones run the generic epoch, whose draws are the same
        if self._use_fused(opt) and not small_rbm(n, V, H):
            total_ce = cd_epoch_fused(self, X, order, seeds, opt, nblk, parallel)
            opt.steps += n_batches      # the kernel made the optimiser's steps
            for p in self.parameters():  # ... in place: graphs made before are stale
                p.bump_version()
        else:
            total_ce = cd_epoch_generic(self, X, order, seeds, opt)
        rec = total_ce / (n_batches * B)
        finish_epoch(self, good, "reconstruction", rec, t0, "reconstruction cross-entropy")

    # ------------------------------------------------------------------ generation
    def sample(self, n_samples=16, n_steps=1000, rng=None, progress=None):
        """Run ``n_samples`` Gibbs chains from uniformly random visibles for ``n_steps``
        steps through the library's sampler; return p(v | h) of the last step,
        shape (n_samples, n_features)."""
        self._check_fitted()
        n = check_scalar(n_samples, "n_samples", low=1, integer=True)
        steps = check_scalar(n_steps, "n_steps", low=1, integer=True)
        gen = check_rng(rng)
        chains = RBMChains(self)
        state = chains.initial_state(n, gen)
        block_gibbs(chains, state, temperature=1.0, max_sweeps=steps, rng=gen,
                    record_energy=progress is not None, progress=progress)
        return self._mean_visibles(state["h"])

    # ------------------------------------------------------------------ graph, pretraining, io
    def to_networkx(self) -> nx.Graph:
        """The bipartite graph: nodes ("v", i) and ("h", j) (attribute ``bipartite`` 0/1),
        an edge per weight with attribute ``weight``."""
        return self._bipartite_graph()

    def pretrained_arrays(self):
        """(weight, bias) to initialise a ``Linear(n_features, n_components)`` layer:
        weight = Wᵀ (out, in) and bias = the hidden bias, copies."""
        self._check_fitted()
        return self.components_.copy(), self.intercept_hidden_.copy()

    #: the fused numba epoch implements exactly this class's model (subclasses that change the
    #: energy set it False and train on the generic path)
    fused_epoch_ok = True

    _SAVED = ("components_", "intercept_hidden_", "intercept_visible_")

    def save(self, path, overwrite=False):
        """Write the fitted parameters to a ``.npz`` file (atomically; refuses to overwrite an
        existing file unless ``overwrite=True``)."""
        self._check_fitted()
        save_npz_atomic(path, {n: getattr(self, n) for n in self._SAVED}, overwrite=overwrite)

    @classmethod
    def load(cls, path, **params):
        """A fitted model from :meth:`save`'s file; a missing, corrupt or inconsistent file
        is an error that names it."""
        arr = load_npz_checked(path, cls._SAVED, expected={
            "components_": (None, "f"), "intercept_hidden_": (None, "f"),
            "intercept_visible_": (None, "f")})
        C, a, b = (arr[n] for n in cls._SAVED)
        if C.ndim != 2 or a.shape != (C.shape[0],) or b.shape != (C.shape[1],):
            raise ValueError(f"path: {path}: inconsistent shapes components_ {C.shape}, "
                             f"intercept_hidden_ {a.shape}, intercept_visible_ {b.shape}")
        for n, x in zip(cls._SAVED, (C, a, b)):
            if x.dtype.kind != "f" or not np.all(np.isfinite(x)):
                raise ValueError(f"path: {path}: {n} must be finite floats")
        m = cls(n_components=C.shape[0], dtype=C.dtype, **params)
        m._init(C.shape[1])
        m.components_[...] = C
        m.intercept_hidden_[...] = a
        m.intercept_visible_[...] = b
        m._data_marginals = None
        return m
