"""InfoGAN (Chen et al. 2016) on the one gradient engine.

G(z, c) takes noise z ~ N(0, I) and latent codes c: one categorical code (``n_categorical``
values, one-hot) and ``n_continuous`` codes uniform in ``continuous_range``. The discriminator
has a shared trunk and two heads: the real/fake logit and Q(c | x) (the categorical logits and a
Gaussian mean per continuous code, with a learned or a fixed standard deviation). The negative
mutual-information bound -L_I (:func:`neural.gan.mutual_info_loss`), weighted by λ
(``lambda_cat``, ``lambda_cont``), is added to both G's and D/Q's objectives
(``info_update="objectives"``), or minimised by a third Adam step over G, the trunk and Q
together after each D and G step (``info_update="joint"``, as most public implementations); G
uses the non-saturating loss; all are updated with Adam (training loop: :meth:`neural.GAN.fit`).
The paper's architecture choices are options: batch normalisation in G
(``generator_batchnorm``), in D's trunk after every layer but the first
(``discriminator_batchnorm``; D then sees the real and the fake half of a step in two batches,
so that each has its own batch statistics) and in Q's hidden layer (``q_batchnorm``).

Beyond the paper, two label-free terms on the real rows can join the joint step, for when the
categorical code is wanted as a classifier: ``real_information`` (Q sure of one code per real
row, the codes used evenly: :func:`neural.gan.code_information_loss`) and
``neighbour_consistency`` (a row's code agrees with the code of one of its ``n_neighbours``
nearest training rows: :func:`neural.gan.neighbour_consistency_loss`). On the digits they
raise the code's held-out accuracy from 0.79 to 0.88-0.92 (means of 5 seeds,
``examples/infogan_digits.py``); both default to 0, the paper's InfoGAN.

Examples
--------
>>> import numpy as np
>>> X = np.random.default_rng(0).random((64, 4))
>>> ig = InfoGAN(4, noise_dim=3, n_categorical=3, n_continuous=1, hidden_sizes=(8,), rng=0)
>>> _ = ig.fit(X, epochs=1, batch_size=16)
>>> ig.predict_code(X[:6]).shape, ig.traversal(0, [-1.0, 0.0, 1.0], n_rows=2).shape
((6,), (2, 3, 4))
>>> ig.sample(4, codes={"categorical": 2}, rng=0).shape
(4, 4)
"""

from __future__ import annotations

import numpy as np

from energy import autodiff as ad
from energy.autodiff import Tensor, no_grad
from energy.optim import Adam
from pgm.runtime import check_array, check_finite, check_rng, check_scalar

from .data import nearest_neighbours
from .gan import (GAN, _OUTPUTS, _mlp, _probe, _sizes, code_information_loss, mutual_info_loss,
                  neighbour_consistency_loss)
from .layers import BatchNorm1d, LeakyReLU, Linear, ReLU, Sequential
from .module import Module

__all__ = ["InfoGAN"]


class InfoGAN(GAN):
    """InfoGAN: G(z, c) and a discriminator with a shared trunk, a real/fake head and Q(c | x).

    Parameters
    ----------
    n_features : int
    noise_dim : int, default 62
        Width of the incompressible noise z ~ N(0, I).
    n_categorical : int, default 10
        Values of the categorical code (one-hot into G; >= 2).
    n_continuous : int, default 2
        Number of continuous codes, uniform in ``continuous_range``.
    continuous_range : (low, high), default (-1, 1)
    q_std : "learned" or float, default 1.0
        Standard deviation of Q's Gaussians: a learned head (its log), or fixed.
    lambda_cat, lambda_cont : float, default 1.0 and 0.1
        Weights λ of the categorical and continuous mutual-information terms.
    hidden_sizes : int or sequence of int, default (256, 256)
        Widths of G's hidden layers. Q has one hidden layer of ``q_hidden`` units (default:
        hidden_sizes[0] // 2) on the trunk.
    d_hidden_sizes : int or sequence of int, optional
        Widths of D's trunk (LeakyReLU 0.2); default: hidden_sizes reversed, then the last
        width once more.
    discriminator_batchnorm : bool, default False
        Batch normalisation after every trunk layer but the first (as the paper's D).
    q_batchnorm : bool, default False
        Batch normalisation in Q's hidden layer (as the paper's Q).
    info_update : {"objectives", "joint"}, default "objectives"
        "objectives": λ·(-L_I) is added to D/Q's and to G's loss (their own Adam steps);
        "joint": D and G steps use their GAN losses alone, and a third Adam (step ``lr_info``,
        default ``lr_d``) updates G, the trunk and Q together on λ·(-L_I) of fresh draws.
    real_information : float, default 0.0
        Weight of :func:`code_information_loss` on Q's code for each real minibatch, added to
        the joint information step (needs ``info_update="joint"``): Q should be sure of a code
        for each real row and use the codes evenly (RIM / CatGAN). 0 is the paper's InfoGAN.
    neighbour_consistency : float, default 0.0
        Weight of :func:`neighbour_consistency_loss` between each real row's code and the code
        of one of its ``n_neighbours`` nearest training rows (Euclidean, in input space; drawn
        from ``rng`` each step), also in the joint step. 0 is the paper's InfoGAN.
    n_neighbours : int, default 5
        Neighbours per training row for ``neighbour_consistency`` (computed once per
        :meth:`fit`, exactly, by :func:`neural.nearest_neighbours`).
    output, generator, generator_batchnorm, lr, lr_d, betas, image_shape, rng, dtype
        As :class:`GAN`
        (``generator`` maps (n, noise_dim + n_categorical + n_continuous) to (n, n_features)).

    Attributes
    ----------
    trunk, d_head, q_head : Module
        D's shared trunk, its real/fake head, and Q's head (outputs: n_categorical logits,
        n_continuous means, and n_continuous log standard deviations when learned).
    """

    _has_q = True

    def __init__(self, n_features, noise_dim=62, n_categorical=10, n_continuous=2, *,
                 continuous_range=(-1.0, 1.0), q_std=1.0, lambda_cat=1.0, lambda_cont=0.1,
                 hidden_sizes=(256, 256), q_hidden=None, output="sigmoid", generator=None,
                 generator_batchnorm=False, d_hidden_sizes=None, discriminator_batchnorm=False,
                 q_batchnorm=False, info_update="objectives", real_information=0.0,
                 neighbour_consistency=0.0, n_neighbours=5, lr=2e-4, lr_d=None, lr_info=None,
                 betas=(0.5, 0.999), image_shape=None, rng=None, dtype=np.float32):
        Module.__init__(self)
        self._setup(n_features, noise_dim, hidden_sizes, output, image_shape, rng, dtype)
        if isinstance(n_categorical, bool) or not isinstance(n_categorical, (int, np.integer)) \
                or n_categorical < 2:
            raise ValueError(f"n_categorical: a categorical code needs an int >= 2 values, got "
                             f"{n_categorical!r}")
        check_scalar(n_continuous, "n_continuous", low=0, integer=True)
        try:
            low, high = (float(v) for v in continuous_range)
        except (TypeError, ValueError):
            raise ValueError(f"continuous_range: expected (low, high), got "
                             f"{continuous_range!r}") from None
        if not (np.isfinite(low) and np.isfinite(high) and low < high):
            raise ValueError(f"continuous_range: expected finite low < high, got "
                             f"({low}, {high})")
        if isinstance(q_std, str):
            if q_std != "learned":
                raise ValueError(f"q_std: expected 'learned' or a positive float, got {q_std!r}")
        else:
            check_scalar(q_std, "q_std", low=0, low_inclusive=False)
        check_scalar(lambda_cat, "lambda_cat", low=0)
        if info_update not in ("objectives", "joint"):
            raise ValueError(f"info_update: expected 'objectives' or 'joint', got "
                             f"{info_update!r}")
        self.info_update = info_update
        check_scalar(real_information, "real_information", low=0)
        check_scalar(neighbour_consistency, "neighbour_consistency", low=0)
        check_scalar(n_neighbours, "n_neighbours", low=1, integer=True)
        for name, v in (("real_information", real_information),
                        ("neighbour_consistency", neighbour_consistency)):
            if v > 0 and info_update != "joint":
                raise ValueError(f"{name}: a real-data term is trained in the joint information "
                                 f"step; it needs info_update='joint', got {info_update!r}")
        self.real_information = float(real_information)
        self.neighbour_consistency = float(neighbour_consistency)
        self.n_neighbours = int(n_neighbours)
        object.__setattr__(self, "_joint_info", info_update == "joint")
        self.discriminator_batchnorm = bool(discriminator_batchnorm)
        check_scalar(lambda_cont, "lambda_cont", low=0)
        self.noise_dim, self.n_categorical = int(noise_dim), int(n_categorical)
        self.n_continuous, self.continuous_range = int(n_continuous), (low, high)
        self.q_std = q_std if isinstance(q_std, str) else float(q_std)
        self.lambda_cat, self.lambda_cont = float(lambda_cat), float(lambda_cont)
        self.input_dim = self.noise_dim + self.n_categorical + self.n_continuous
        gen, dt, hs = self._rng, self.dtype, self.hidden_sizes
        if generator is None:
            generator = _mlp([self.input_dim] + hs + [self.n_features], ReLU, gen, dt,
                             _OUTPUTS[output], bool(generator_batchnorm))
        else:
            _probe(generator, self.input_dim, self.n_features, dt, "generator",
                   "noise_dim + n_categorical + n_continuous")
        self.generator = generator
        ds = hs[::-1] + hs[:1] if d_hidden_sizes is None else \
            _sizes(d_hidden_sizes, "d_hidden_sizes")
        self.d_hidden_sizes = ds
        layers, width = [], self.n_features
        for i, w in enumerate(ds):
            layers.append(Linear(width, w, rng=gen, dtype=dt))
            if i > 0 and self.discriminator_batchnorm:
                layers.append(BatchNorm1d(w, dtype=dt))
            layers.append(LeakyReLU(0.2))
            width = w
        self.trunk = Sequential(*layers)
        self.d_head = Linear(width, 1, rng=gen, dtype=dt)
        qh = max(1, hs[0] // 2) if q_hidden is None else int(q_hidden)
        n_q = self.n_categorical + self.n_continuous * (2 if q_std == "learned" else 1)
        self.q_head = Sequential(Linear(width, qh, rng=gen, dtype=dt),
                                 *([BatchNorm1d(qh, dtype=dt)] if q_batchnorm else []),
                                 LeakyReLU(0.2), Linear(qh, n_q, rng=gen, dtype=dt))
        self._make_optimizers(lr, lr_d, betas)
        lr_info = self.opt_d.lr if lr_info is None else lr_info
        check_scalar(lr_info, "lr_info", low=0, low_inclusive=False)
        object.__setattr__(self, "opt_i", Adam(self.generator.parameters()
                                               + self.trunk.parameters()
                                               + self.q_head.parameters(), lr=lr_info,
                                               betas=betas) if self._joint_info else None)

    def d_parameters(self):
        """The trunk's and both heads' parameters (D's optimiser leaves Q's head to the
        joint information step when ``info_update="joint"``)."""
        return self.trunk.parameters() + self.d_head.parameters() + self.q_head.parameters()

    def _make_optimizers(self, lr, lr_d, betas):
        super()._make_optimizers(lr, lr_d, betas)
        if self._joint_info:
            object.__setattr__(self, "opt_d", Adam(self.trunk.parameters()
                                                   + self.d_head.parameters(),
                                                   lr=self.opt_d.lr, betas=betas))

    # ------------------------------------------------------------------ pieces
    def _d_logits(self, x):
        h = self.trunk(x)
        return self.d_head(h), self.q_head(h)

    def _d_pair(self, xb, fake):
        if not self.discriminator_batchnorm:
            return super()._d_pair(xb, fake)
        (lr_, qr), (lf, qf) = self._d_logits(xb), self._d_logits(fake)
        return ad.concat([lr_, lf], axis=0), ad.concat([qr, qf], axis=0)

    def _fit_context(self, X):
        """The nearest-neighbour table of X when ``neighbour_consistency`` is on, else None."""
        if not self.neighbour_consistency:
            return None
        if len(X) <= self.n_neighbours:
            raise ValueError(f"X: neighbour_consistency needs more rows than n_neighbours = "
                             f"{self.n_neighbours}, got {len(X)}")
        return nearest_neighbours(X, self.n_neighbours)

    def _info_step(self, X, rows, gen, neighbours=None):
        """One Adam step of G, the trunk and Q on λ·(-L_I) of len(rows) fresh draws, plus the
        real-data terms on X[rows] (and their neighbours); returns λ·(-L_I), or NaN (and no
        step) when the total is not finite."""
        z, codes = self._draw(len(rows), gen)
        self.opt_i.zero_grad()
        _, q = self._d_logits(self.generator(self._g_input(z, codes)))
        total, qv = self._info(q, codes)
        k = self.n_categorical
        if self.real_information or self.neighbour_consistency:
            cat = self._d_logits(X[rows])[1][:, :k]
            if self.real_information:
                total = total + code_information_loss(cat) * self.real_information
            if self.neighbour_consistency:
                pick = neighbours[rows, gen.integers(neighbours.shape[1], size=len(rows))]
                other = self._d_logits(X[pick])[1][:, :k]
                total = total + (neighbour_consistency_loss(cat, other)
                                 * self.neighbour_consistency)
        if not np.isfinite(float(total.data)):
            return float("nan")
        total.backward()
        self.opt_i.step()
        return qv

    def _draw(self, n, gen):
        z = gen.standard_normal((n, self.noise_dim)).astype(self.dtype)
        cat = gen.integers(self.n_categorical, size=n)
        cont = gen.uniform(*self.continuous_range, (n, self.n_continuous)).astype(self.dtype)
        return z, (cat, cont)

    def _g_input(self, z, codes):
        cat, cont = codes
        onehot = np.zeros((len(z), self.n_categorical), self.dtype)
        onehot[np.arange(len(z)), cat] = 1
        return np.concatenate([z, onehot, cont.astype(self.dtype)], axis=1)

    def _q_split(self, q):
        k, m = self.n_categorical, self.n_continuous
        cat = q[:, :k]
        if m == 0:
            return cat, None, None
        mean = q[:, k:k + m]
        log_std = q[:, k + m:] if self.q_std == "learned" else None
        if log_std is None and self.q_std != 1.0:
            log_std = Tensor(np.full(mean.shape, np.log(self.q_std), mean.dtype))
        return cat, mean, log_std

    def _info(self, q, codes):
        cat_l, mean, log_std = self._q_split(q)
        cat_t, cont_t = mutual_info_loss(cat_l, codes[0], mean, codes[1] if mean is not None
                                         else None, log_std)
        total = cat_t * self.lambda_cat + cont_t * self.lambda_cont
        return total, float(total.data)

    def info_loss(self, n=256, rng=None):
        """The weighted -L_I (without H(c)) on n fresh samples of G, a float."""
        gen = self._rng if rng is None else check_rng(rng)
        z, codes = self._draw(int(n), gen)
        with no_grad():
            _, q = self._d_logits(self.generator(self._g_input(z, codes)))
            return self._info(q, codes)[1]

    # ------------------------------------------------------------------ use
    def _check_codes(self, n, codes, gen):
        z, (cat, cont) = self._draw(n, gen)
        codes = {} if codes is None else dict(codes)
        unknown = set(codes) - {"categorical", "continuous", "noise"}
        if unknown:
            raise ValueError(f"codes: unknown keys {sorted(unknown)}; expected 'categorical', "
                             f"'continuous' and/or 'noise'")
        if "categorical" in codes:
            cat = np.broadcast_to(np.asarray(codes["categorical"]), (n,))
            if cat.dtype.kind not in "iu" or cat.min() < 0 or cat.max() >= self.n_categorical:
                raise ValueError(f"codes['categorical']: expected ints in [0, "
                                 f"{self.n_categorical}), got {codes['categorical']!r}")
        if "continuous" in codes:
            try:
                cont = np.broadcast_to(np.asarray(codes["continuous"], self.dtype),
                                       (n, self.n_continuous))
            except ValueError:
                raise ValueError(f"codes['continuous']: expected shape (n, {self.n_continuous}),"
                                 f" got {np.shape(codes['continuous'])}") from None
        if "noise" in codes:
            try:
                z = np.broadcast_to(np.asarray(codes["noise"], self.dtype), (n, self.noise_dim))
            except ValueError:
                raise ValueError(f"codes['noise']: expected shape (n, {self.noise_dim}), got "
                                 f"{np.shape(codes['noise'])}") from None
        return z, (cat, cont)

    def generate(self, z, codes):
        """G(z, c) for z (n, noise_dim) and codes (categorical ints (n,), continuous (n, m))."""
        z = check_array(z, "z", ndim=2, dtype_kind="biuf")
        if z.shape[1] != self.noise_dim:
            raise ValueError(f"z: expected shape (n, {self.noise_dim}), got {z.shape}")
        with no_grad():
            return self.generator(self._g_input(z.astype(self.dtype), codes)).data

    def sample(self, n, codes=None, rng=None):
        """n samples; ``codes`` (a dict with any of 'categorical' (ints, shape (n,) or one int),
        'continuous' (shape (n, n_continuous) or broadcastable) and 'noise') fixes those
        parts, the rest is drawn from ``rng``. Returns (n, n_features) or ``(n, *image_shape)``."""
        check_scalar(n, "n", low=1, integer=True)
        gen = self._rng if rng is None else check_rng(rng)
        z, codes = self._check_codes(int(n), codes, gen)
        return self._as_images(self.generate(z, codes))

    def q_outputs(self, X):
        """Q's outputs on X: (categorical probabilities (n, K), means (n, m), stds (n, m))."""
        X = self._check_X(X)
        with no_grad():
            cat, mean, log_std = self._q_split(self._d_logits(X)[1])
            probs = ad.softmax(cat, axis=1).data
            if mean is None:
                return probs, np.zeros((len(X), 0)), np.zeros((len(X), 0))
            std = np.ones(mean.shape) if log_std is None else np.exp(log_std.data)
            return probs, mean.data, std

    def code_information(self, X):
        """How much Q's categorical code says about the rows of X, in nats: the estimate
        ``H(mean_x Q(c|x)) - mean_x H(Q(c|x))`` of the mutual information between an image and
        its code (between 0 and log K; log K when Q spreads X evenly over the K codes and is
        sure of each). It uses no labels, so it can choose among checkpoints or restarts:
        on the digits it follows the code's accuracy (correlation 0.76 over 130 checkpoints of
        5 runs, ``examples/infogan_digits.py``).

        >>> import numpy as np
        >>> m = InfoGAN(4, noise_dim=2, n_categorical=3, n_continuous=0, hidden_sizes=(8,),
        ...             rng=0)
        >>> bool(0.0 <= m.code_information(np.random.default_rng(0).random((20, 4))) <= np.log(3))
        True
        """
        X = self._check_X(X)
        with no_grad():
            cat = self._d_logits(X)[1].data[:, :self.n_categorical].astype(np.float64)
            return float(max(0.0, -float(code_information_loss(cat).data)))

    def predict_code(self, X):
        """The categorical code Q assigns to each row of X (argmax): int ndarray of shape (n,)."""
        return self.q_outputs(X)[0].argmax(axis=1)

    def traversal(self, code_index, values=None, n_rows=None, rng=None):
        """Images with one code varied along the columns and the rest fixed per row.

        Parameters
        ----------
        code_index : int or "categorical"
            A continuous code (0 <= i < n_continuous), varied over ``values`` (default 7 points
            spanning ``continuous_range``), with row r at categorical value r % n_categorical
            and the other continuous codes 0; or ``"categorical"``: the columns run over every
            categorical value, continuous codes 0.
        n_rows : int, default n_categorical
            Rows, each with its own noise z (fixed along the row) from ``rng``.

        Returns
        -------
        ndarray of shape (n_rows, n_columns, n_features) (or ``(..., *image_shape)``)
        """
        gen = self._rng if rng is None else check_rng(rng)
        n_rows = self.n_categorical if n_rows is None else n_rows
        check_scalar(n_rows, "n_rows", low=1, integer=True)
        z = gen.standard_normal((int(n_rows), self.noise_dim)).astype(self.dtype)
        rows = np.arange(int(n_rows))
        if isinstance(code_index, str):
            if code_index != "categorical":
                raise ValueError(f"code_index: expected 'categorical' or an int in [0, "
                                 f"{self.n_continuous}), got {code_index!r}")
            vals = np.arange(self.n_categorical)
            cat = np.tile(vals, len(rows))
            cont = np.zeros((len(cat), self.n_continuous), self.dtype)
        else:
            if isinstance(code_index, bool) or not isinstance(code_index, (int, np.integer)) \
                    or not 0 <= code_index < self.n_continuous:
                raise ValueError(f"code_index: expected 'categorical' or an int in [0, "
                                 f"{self.n_continuous}), got {code_index!r}")
            vals = np.linspace(*self.continuous_range, 7) if values is None else \
                np.asarray(values, np.float64).ravel()
            check_finite(vals, "values")
            cat = np.repeat(rows % self.n_categorical, len(vals))
            cont = np.zeros((len(cat), self.n_continuous), self.dtype)
            cont[:, code_index] = np.tile(vals, len(rows))
        out = self.generate(np.repeat(z, len(vals), axis=0), (cat, cont))
        shape = (self.n_features,) if self.image_shape is None else self.image_shape
        return out.reshape((len(rows), len(vals)) + shape)
