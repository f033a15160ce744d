"""Generative adversarial nets on the one gradient engine: :class:`GAN`, and the losses and code
matching that :class:`neural.InfoGAN` (:mod:`neural.infogan`) shares.

A generator G maps latent vectors to samples, a discriminator D maps samples to a real/fake
logit; both are engine modules updated by Adam. D minimises the Bernoulli cross-entropy of
"real" on data and "fake" on G's samples (:func:`discriminator_loss`); G minimises the
non-saturating loss -log σ(D(G(z))) (:func:`generator_loss`).

:class:`~neural.infogan.InfoGAN` (Chen et al. 2016) feeds G a noise vector z together with latent codes c — one
categorical code (``n_categorical`` values, one-hot) and ``n_continuous`` codes uniform in
``continuous_range`` — and gives D a shared trunk with two heads: the real/fake logit and
Q(c | x) (the categorical code's logits, and a Gaussian mean, with a learned or a fixed standard
deviation, per continuous code). The variational lower bound of the mutual information
I(c; G(z, c)) is L_I = H(c) + E log Q(c | G(z, c)); :func:`mutual_info_loss` returns its
negative (without the constant H(c)) as the categorical cross-entropy and the continuous codes'
Gaussian negative log-likelihood, and both G's and D/Q's objectives add it, weighted by
λ (``lambda_cat``, ``lambda_cont``), as in the paper (or a third Adam step minimises it over G,
the trunk and Q together: ``info_update="joint"``). The categorical head serves as an
unsupervised classifier (``InfoGAN.predict_code``, :func:`match_codes`).

Every random draw (z, codes, minibatch order) comes from the ``rng=`` stream (None, int or
numpy Generator). A non-finite loss stops :meth:`GAN.fit` with :class:`neural.TrainingDiverged`
and the last good parameters.

Examples
--------
>>> import numpy as np
>>> X = np.random.default_rng(0).random((64, 4))
>>> gan = GAN(4, latent_dim=3, hidden_sizes=(8,), rng=0).fit(X, epochs=2, batch_size=16)
>>> gan.sample(5, rng=0).shape
(5, 4)
>>> gan.discriminate(X[:3]).shape
(3,)
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field

import numpy as np

from energy import autodiff as ad
from energy.autodiff import Tensor, no_grad
from energy.optim import Adam
from pgm.runtime import check_array, check_finite, check_rng, check_scalar

from .layers import BatchNorm1d, Identity, LeakyReLU, Linear, ReLU, Sequential, Sigmoid, Tanh
from .module import Module
from .train import TrainingDiverged

__all__ = ["GAN", "GANHistory", "discriminator_loss", "generator_loss",
           "mutual_info_loss", "match_codes"]

_OUTPUTS = {"sigmoid": Sigmoid, "tanh": Tanh, "identity": Identity}
_LOG_2PI = float(np.log(2 * np.pi))


# ---------------------------------------------------------------------- losses
def discriminator_loss(real_logits, fake_logits) -> Tensor:
    """D's loss: mean BCE of label 1 on ``real_logits`` plus mean BCE of 0 on ``fake_logits``.

    Both are Tensors of shape (n, 1) (or any shape); returns a scalar Tensor.
    """
    real_logits = real_logits if isinstance(real_logits, Tensor) else Tensor(real_logits)
    fake_logits = fake_logits if isinstance(fake_logits, Tensor) else Tensor(fake_logits)
    ones = np.ones(real_logits.shape, real_logits.dtype)
    zeros = np.zeros(fake_logits.shape, fake_logits.dtype)
    return (ad.binary_cross_entropy_with_logits(real_logits, ones)
            + ad.binary_cross_entropy_with_logits(fake_logits, zeros))


def generator_loss(fake_logits) -> Tensor:
    """The non-saturating generator loss: mean of -log σ(D(G(z))) = mean softplus(-logit)."""
    fake_logits = fake_logits if isinstance(fake_logits, Tensor) else Tensor(fake_logits)
    return ad.binary_cross_entropy_with_logits(
        fake_logits, np.ones(fake_logits.shape, fake_logits.dtype))


def mutual_info_loss(cat_logits, cat_codes, cont_mean=None, cont_codes=None, cont_log_std=None):
    """The negative mutual-information bound -L_I (up to the constant H(c)), in two terms.

    Parameters
    ----------
    cat_logits : Tensor of shape (n, n_categorical)
        Q's logits for the categorical code.
    cat_codes : int ndarray of shape (n,)
        The drawn categorical values.
    cont_mean : Tensor of shape (n, n_continuous), optional
        Q's Gaussian means for the continuous codes.
    cont_codes : ndarray of shape (n, n_continuous), optional
        The drawn continuous codes.
    cont_log_std : Tensor of shape (n, n_continuous), optional
        Q's log standard deviations; None fixes σ = 1.

    Returns
    -------
    (cat_term, cont_term) : scalar Tensors
        ``cat_term`` = mean cross-entropy -log softmax(cat_logits)[c];
        ``cont_term`` = mean over samples of the summed Gaussian negative log-likelihood
        Σ_j [log σ_j + (c_j - μ_j)² / 2σ_j² + log(2π)/2] (zero without continuous codes).

    Examples
    --------
    >>> logits = Tensor(np.log(np.array([[0.5, 0.25, 0.25]])))
    >>> cat, cont = mutual_info_loss(logits, np.array([0]))
    >>> round(float(cat.data), 4), float(cont.data)
    (0.6931, 0.0)
    """
    cat_term = ad.cross_entropy(cat_logits, np.asarray(cat_codes))
    if cont_mean is None:
        return cat_term, Tensor(np.zeros((), cat_term.dtype))
    mu = cont_mean if isinstance(cont_mean, Tensor) else Tensor(cont_mean)
    c = np.asarray(cont_codes, dtype=mu.dtype)
    if c.shape != mu.shape:
        raise ValueError(f"cont_codes: expected the means' shape {mu.shape}, got {c.shape}")
    n = mu.shape[0]
    d = mu - c
    if cont_log_std is None:
        nll = (d * d) * 0.5 + 0.5 * _LOG_2PI
    else:
        nll = cont_log_std + (d * d) * (ad.exp(cont_log_std * -2.0) * 0.5) + 0.5 * _LOG_2PI
    return cat_term, nll.sum() * (1.0 / n)


def _logsumexp(x, axis):
    """log Σ exp(x) along ``axis`` (a Tensor, the axis dropped), shifted by the data's max."""
    m = np.max(x.data, axis=axis, keepdims=True)
    return ad.log(ad.sum_(ad.exp(x - m), axis=axis)) + np.squeeze(m, axis=axis)


def _marginal_entropy(log_p):
    """H(mean_i p_i) of the rows' distributions p_i = exp(log_p[i]), a scalar Tensor."""
    log_m = _logsumexp(log_p, axis=0) - np.log(log_p.shape[0])
    return -ad.sum_(ad.exp(log_m) * log_m)


def code_information_loss(cat_logits) -> Tensor:
    """Minus the information of a categorical code on the rows it classifies (RIM / CatGAN).

    With p_i = softmax(cat_logits[i]): ``-(H(mean_i p_i) - mean_i H(p_i))``, between -log K
    (each row sure of its code, the codes used evenly) and 0 (every row the same p). Adding it
    to Q's loss on real data asks Q to put each real row in one code and to use all codes
    evenly (Krause et al. 2010, regularised information maximisation; Springenberg 2016,
    CatGAN). Its negative on Q's logits of X is :meth:`InfoGAN.code_information`.

    Parameters
    ----------
    cat_logits : Tensor or ndarray of shape (n, K)

    Returns
    -------
    Tensor, scalar

    Examples
    --------
    >>> sure_and_even = Tensor(np.log(np.eye(3) * 0.98 + 0.01))
    >>> round(float(code_information_loss(sure_and_even).data), 3)   # -log 3 = -1.099 if sure
    -0.988
    >>> float(code_information_loss(np.zeros((4, 3))).data)
    0.0
    """
    cat_logits = cat_logits if isinstance(cat_logits, Tensor) else Tensor(cat_logits)
    log_p = ad.log_softmax(cat_logits, axis=1)
    cond = -ad.mean(ad.sum_(ad.exp(log_p) * log_p, axis=1))
    return cond - _marginal_entropy(log_p)


def neighbour_consistency_loss(cat_logits, neighbour_logits) -> Tensor:
    """Agreement of a categorical code between rows and their neighbours (SCAN-style).

    With p_i = softmax(cat_logits[i]) and q_i = softmax(neighbour_logits[i]) (row i's
    neighbour): ``-mean_i log Σ_c p_ic q_ic - H(mean_i p_i)``. The first term is small when a
    row and its neighbour put their mass on the same code; the entropy of the mean keeps all
    codes in use (Van Gansbeke et al. 2020, SCAN, with neighbours taken in input space here).

    Parameters
    ----------
    cat_logits, neighbour_logits : Tensor or ndarray of shape (n, K)

    Returns
    -------
    Tensor, scalar; -log K at best (sure, agreeing, even), 0 for uniform p and q.

    Examples
    --------
    >>> sure = np.log(np.eye(2) * 0.998 + 0.001)
    >>> round(float(neighbour_consistency_loss(sure, sure).data), 3)   # -log 0.998 - log 2
    -0.691
    >>> round(float(neighbour_consistency_loss(sure, sure[::-1]).data), 3)   # -log 0.002 - log 2
    5.522
    """
    cat_logits = cat_logits if isinstance(cat_logits, Tensor) else Tensor(cat_logits)
    neighbour_logits = neighbour_logits if isinstance(neighbour_logits, Tensor) \
        else Tensor(neighbour_logits)
    if cat_logits.shape != neighbour_logits.shape:
        raise ValueError(f"neighbour_logits: expected the shape of cat_logits "
                         f"{cat_logits.shape}, got {neighbour_logits.shape}")
    log_p = ad.log_softmax(cat_logits, axis=1)
    log_q = ad.log_softmax(neighbour_logits, axis=1)
    agree = -ad.mean(_logsumexp(log_p + log_q, axis=1))
    return agree - _marginal_entropy(log_p)


def match_codes(codes, labels, n_codes=None, n_labels=None):
    """The one-to-one map code → label that maximises agreement (Hungarian assignment).

    Parameters
    ----------
    codes, labels : int arrays of shape (n,)
    n_codes, n_labels : int, optional (default: max + 1 of each)

    Returns
    -------
    mapping : int ndarray of shape (n_codes,)
        ``mapping[k]`` is the label given to code k (-1 for a code left unmatched).
    accuracy : float
        Fraction of the n samples with ``mapping[codes] == labels``.

    Examples
    --------
    >>> match_codes(np.array([2, 2, 0, 1]), np.array([0, 0, 1, 2]))
    (array([1, 2, 0]), 1.0)
    """
    codes, labels = np.asarray(codes, np.int64), np.asarray(labels, np.int64)
    if codes.shape != labels.shape or codes.ndim != 1:
        raise ValueError(f"codes, labels: expected two 1-D arrays of one length, got shapes "
                         f"{codes.shape} and {labels.shape}")
    kc = int(codes.max()) + 1 if n_codes is None else int(n_codes)
    kl = int(labels.max()) + 1 if n_labels is None else int(n_labels)
    counts = np.zeros((kc, kl), np.int64)
    np.add.at(counts, (codes, labels), 1)
    # lazy: scipy.optimize adds ~0.1 s to `import neural`; only the evaluation needs it
    from scipy.optimize import linear_sum_assignment
    rows, cols = linear_sum_assignment(-counts)
    mapping = np.full(kc, -1, np.int64)
    mapping[rows] = cols
    acc = float(np.mean(mapping[codes] == labels)) if codes.size else float("nan")
    return mapping, acc


# ---------------------------------------------------------------------- helpers
def _mlp(sizes, act, gen, dtype, out=None, batchnorm=False):
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(Linear(a, b, rng=gen, dtype=dtype))
        if i < len(sizes) - 2:
            if batchnorm:
                layers.append(BatchNorm1d(b, dtype=dtype))
            layers.append(act())
    if out is not None:
        layers.append(out())
    return Sequential(*layers)


def _sizes(hidden_sizes, name="hidden_sizes"):
    hs = [hidden_sizes] if isinstance(hidden_sizes, (int, np.integer)) else list(hidden_sizes)
    for s in hs:
        if isinstance(s, bool) or not isinstance(s, (int, np.integer)) or s < 1:
            raise ValueError(f"{name}: every width must be an int >= 1, got {hidden_sizes!r}")
    return [int(s) for s in hs]


def _probe(module, width, expect, dtype, what, arg):
    """Run ``module`` on zeros of shape (2, width); check its output's width."""
    try:
        with no_grad():
            out = module(np.zeros((2, width), dtype))
    except (ValueError, TypeError) as e:
        raise ValueError(f"{arg}: the {what} does not accept inputs of width {width} "
                         f"({e})") from None
    if out.shape != (2, expect):
        raise ValueError(f"{what}: expected outputs of shape (n, {expect}) for inputs of width "
                         f"{width}, got {out.shape[1:]} per sample")


@dataclass
class GANHistory:
    """Per-epoch mean losses of :meth:`GAN.fit` (``q_loss`` stays empty for a plain GAN)."""

    d_loss: list = field(default_factory=list)
    g_loss: list = field(default_factory=list)
    q_loss: list = field(default_factory=list)
    seconds: list = field(default_factory=list)


# ---------------------------------------------------------------------- GAN
class GAN(Module):
    """A GAN with MLP generator and discriminator (or your own modules), trained with Adam.

    Parameters
    ----------
    n_features : int
        Width of a sample (an image is flattened; see ``image_shape``).
    latent_dim : int, default 16
        Width of z ~ N(0, I).
    hidden_sizes : int or sequence of int, default (128, 128)
        Hidden widths of both MLPs (G: ReLU, D: LeakyReLU(0.2)).
    output : {"sigmoid", "tanh", "identity"}, default "sigmoid"
        G's output activation (sigmoid for data in [0, 1]).
    generator, discriminator : Module, optional
        Replace the MLPs: G maps (n, latent_dim) to (n, n_features), D (n, n_features) to (n, 1).
    generator_batchnorm : bool, default False
        Batch normalisation after each hidden layer of the default G (as DCGAN and InfoGAN):
        at initialisation an MLP G's outputs hardly vary with its input (per-pixel spread
        ~0.01 on the digits), so neither D nor InfoGAN's Q has anything to work with; BN
        rescales that spread to unit variance per unit.
    lr, lr_d : float, default 2e-4 (lr_d defaults to lr)
        Adam step sizes of G and D; ``betas`` (0.5, 0.999) as DCGAN.
    image_shape : tuple, optional
        Accept X of shape ``(n, *image_shape)`` too (prod(image_shape) == n_features).
    rng : None, int or Generator
        Initialisation, and the default stream of :meth:`fit` and :meth:`sample`.
    dtype : float dtype, default np.float32

    Attributes
    ----------
    generator, discriminator : Module
    history_ : GANHistory after :meth:`fit`
    """

    def __init__(self, n_features, latent_dim=16, *, hidden_sizes=(128, 128), output="sigmoid",
                 generator=None, discriminator=None, generator_batchnorm=False, lr=2e-4,
                 lr_d=None, betas=(0.5, 0.999), image_shape=None, rng=None, dtype=np.float32):
        super().__init__()
        self._setup(n_features, latent_dim, hidden_sizes, output, image_shape, rng, dtype)
        gen = self._rng
        if generator is None:
            generator = _mlp([self.input_dim] + self.hidden_sizes + [self.n_features], ReLU,
                             gen, self.dtype, _OUTPUTS[output], bool(generator_batchnorm))
        else:
            _probe(generator, self.input_dim, self.n_features, self.dtype, "generator",
                   "latent_dim")
        if discriminator is None:
            discriminator = _mlp([self.n_features] + self.hidden_sizes[::-1] + [1],
                                 lambda: LeakyReLU(0.2), gen, self.dtype)
        else:
            _probe(discriminator, self.n_features, 1, self.dtype, "discriminator",
                   "n_features")
        self.generator, self.discriminator = generator, discriminator
        self._make_optimizers(lr, lr_d, betas)

    def _setup(self, n_features, latent_dim, hidden_sizes, output, image_shape, rng, dtype):
        check_scalar(n_features, "n_features", low=1, integer=True)
        check_scalar(latent_dim, "latent_dim", low=1, integer=True)
        if output not in _OUTPUTS:
            raise ValueError(f"output: expected one of {sorted(_OUTPUTS)}, got {output!r}")
        dt = np.dtype(dtype)
        if dt.kind != "f":
            raise TypeError(f"dtype: expected a float dtype, got {dt}")
        if image_shape is not None:
            image_shape = tuple(int(s) for s in image_shape)
            if int(np.prod(image_shape)) != int(n_features):
                raise ValueError(f"image_shape: {image_shape} holds {int(np.prod(image_shape))} "
                                 f"values, expected n_features = {n_features}")
        self.n_features, self.latent_dim = int(n_features), int(latent_dim)
        self.hidden_sizes, self.output, self.dtype = _sizes(hidden_sizes), output, dt
        self.image_shape = image_shape
        self.input_dim = self.latent_dim
        object.__setattr__(self, "_rng", check_rng(rng))
        object.__setattr__(self, "history_", None)

    def _make_optimizers(self, lr, lr_d, betas):
        check_scalar(lr, "lr", low=0, low_inclusive=False)
        lr_d = lr if lr_d is None else lr_d
        check_scalar(lr_d, "lr_d", low=0, low_inclusive=False)
        object.__setattr__(self, "opt_g", Adam(self.generator.parameters(), lr=lr, betas=betas))
        object.__setattr__(self, "opt_d", Adam(self.d_parameters(), lr=lr_d, betas=betas))

    def d_parameters(self):
        """The parameters D's optimiser updates."""
        return self.discriminator.parameters()

    # ------------------------------------------------------------------ checks and draws
    def _check_X(self, X, name="X"):
        X = check_array(X, name, dtype_kind="biuf")
        ok = X.ndim == 2 and X.shape[1] == self.n_features
        if not ok and self.image_shape is not None and X.shape[1:] == self.image_shape:
            X, ok = X.reshape(len(X), -1), True
        if not ok:
            also = "" if self.image_shape is None else f" or (n_samples, *{self.image_shape})"
            raise ValueError(f"{name}: expected shape (n_samples, {self.n_features}){also}, "
                             f"got {X.shape}")
        X = np.ascontiguousarray(X, dtype=self.dtype)
        check_finite(X, name)
        return X

    def _draw(self, n, gen):
        """(z, codes) for n samples; a plain GAN has no codes."""
        return gen.standard_normal((n, self.latent_dim)).astype(self.dtype), None

    def _g_input(self, z, codes):
        return z

    def _as_images(self, S):
        return S.reshape((len(S),) + self.image_shape) if self.image_shape is not None else S

    # ------------------------------------------------------------------ losses
    def _d_logits(self, x):
        return self.discriminator(x), None

    def _d_pair(self, xb, fake):
        """D's outputs on real rows then fake rows (one batch here)."""
        return self._d_logits(np.concatenate([xb, fake]))

    def _fit_context(self, X):
        """What :meth:`fit` computes once from the training rows (InfoGAN: neighbours)."""
        return None

    def _info(self, q, codes):
        """(weighted Q loss Tensor, its float) of Q's outputs q for the drawn codes; a plain
        GAN has none."""
        return None, float("nan")

    def _d_step(self, xb, z, codes):
        n = len(xb)
        with no_grad():
            fake = self.generator(self._g_input(z, codes)).data
        self.opt_d.zero_grad()
        logits, q = self._d_pair(xb, fake)
        loss = discriminator_loss(logits[:n], logits[n:])
        qt, qv = (None, float("nan")) if self._joint_info else \
            self._info(None if q is None else q[n:], codes)
        total = loss if qt is None else loss + qt
        dv = float(loss.data)
        if np.isfinite(dv) and (qt is None or np.isfinite(qv)):
            total.backward()
            self.opt_d.step()
        return dv, qv

    def _g_step(self, z, codes):
        self.opt_g.zero_grad()
        dps = self.d_parameters()
        for p in dps:
            p.requires_grad = False
        try:
            logits, q = self._d_logits(self.generator(self._g_input(z, codes)))
            loss = generator_loss(logits)
            qt, qv = (None, float("nan")) if self._joint_info else self._info(q, codes)
            gv = float(loss.data)
            if np.isfinite(gv) and (qt is None or np.isfinite(qv)):
                (loss if qt is None else loss + qt).backward()
                self.opt_g.step()
        finally:
            for p in dps:
                p.requires_grad = True
        return gv, qv

    # ------------------------------------------------------------------ training
    def fit(self, X, epochs=50, *, batch_size=64, rng=None, verbose=False, file=None):
        """Alternate one D step and one G step per minibatch of X; returns self.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features) (or ``(n_samples, *image_shape)``)
        epochs, batch_size : int
        rng : None, int or Generator
            Minibatch order, z and codes; None continues the model's own stream.
        verbose : bool
            One line per epoch (mean D/G(/Q) losses, seconds) on stderr or ``file``.

        Raises
        ------
        neural.TrainingDiverged
            A loss or parameter became non-finite; the model keeps the last good parameters
            and ``history_`` the epochs done.
        """
        X = self._check_X(X)
        check_scalar(epochs, "epochs", low=1, integer=True)
        check_scalar(batch_size, "batch_size", low=1, integer=True)
        if rng is not None:
            object.__setattr__(self, "_rng", check_rng(rng))
        gen, out = self._rng, (sys.stderr if file is None else file)
        params = self.parameters()
        hist = GANHistory()
        self.history_ = hist
        context = self._fit_context(X)
        self.train()
        try:
            for epoch in range(1, int(epochs) + 1):
                t0 = time.perf_counter()
                sums, seen = np.zeros(3), 0
                order = gen.permutation(len(X))
                for b, s in enumerate(range(0, len(X), int(batch_size))):
                    rows = order[s:s + int(batch_size)]
                    xb = X[rows]
                    good = [p.data.copy() for p in params]
                    z, codes = self._draw(len(xb), gen)
                    dv, qd = self._d_step(xb, z, codes)
                    gv, qg = self._g_step(z, codes) if np.isfinite(dv) else (dv, qd)
                    if self._joint_info and np.isfinite(gv):
                        qd = qg = self._info_step(X, rows, gen, context)
                    losses = {"D": dv, "G": gv}
                    if self._has_q:
                        losses["Q"] = qd if not np.isfinite(qd) else qg
                    bad = [k for k, v in losses.items() if not np.isfinite(v)]
                    if not bad and not all(np.all(np.isfinite(p.data)) for p in params):
                        bad = ["parameter"]
                    if bad:
                        for p, g in zip(params, good):
                            p.data[...] = g
                        raise TrainingDiverged(
                            f"fit: the {bad[0]} {'values' if bad[0] == 'parameter' else 'loss'} "
                            f"became non-finite at epoch {epoch}, batch {b}; stopped with the parameters "
                            f"of the last good step (lower lr or the λ weights)")
                    sums += np.array([dv, gv, qg if self._has_q else 0.0]) * len(xb)
                    seen += len(xb)
                hist.d_loss.append(sums[0] / seen)
                hist.g_loss.append(sums[1] / seen)
                if self._has_q:
                    hist.q_loss.append(sums[2] / seen)
                hist.seconds.append(time.perf_counter() - t0)
                if verbose:
                    line = (f"epoch {epoch:3d}/{epochs}  D {hist.d_loss[-1]:.4f}  "
                            f"G {hist.g_loss[-1]:.4f}")
                    line += f"  Q {hist.q_loss[-1]:.4f}" if self._has_q else ""
                    print(line + f"  {hist.seconds[-1]:.2f}s", file=out, flush=True)
        finally:
            self.eval()
        return self

    _has_q = False
    _joint_info = False

    # ------------------------------------------------------------------ use
    def generate(self, z, codes=None):
        """G's outputs for latent z of shape (n, latent_dim): ndarray (n, n_features)."""
        z = check_array(z, "z", ndim=2, dtype_kind="biuf")
        if z.shape[1] != self.latent_dim:
            raise ValueError(f"z: expected shape (n, {self.latent_dim}), got {z.shape}")
        with no_grad():
            return self.generator(self._g_input(z.astype(self.dtype), codes)).data

    def sample(self, n, rng=None):
        """n samples G(z), z ~ N(0, I) from ``rng`` (None: the model's stream):
        ndarray of shape (n, n_features), or ``(n, *image_shape)``."""
        check_scalar(n, "n", low=1, integer=True)
        gen = self._rng if rng is None else check_rng(rng)
        z, codes = self._draw(int(n), gen)
        return self._as_images(self.generate(z, codes))

    def discriminate(self, X):
        """D's probability that each row of X is real: ndarray of shape (n,)."""
        X = self._check_X(X)
        with no_grad():
            return ad.sigmoid(self._d_logits(X)[0]).data[:, 0]
