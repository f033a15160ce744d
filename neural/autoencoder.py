"""Autoencoders on the one gradient engine: plain, tied, denoising and linear.

:class:`Autoencoder` maps X (n_samples, n_features) through an encoder of ``Linear`` layers and
activations to codes (n_samples, hidden_sizes[-1]) and back through a mirrored decoder; it is
trained on a reconstruction loss, ``"mse"`` (mean squared error over every entry) or ``"bce"``
(Bernoulli cross-entropy on the decoder's logits, for data in [0, 1]). With ``tied=True`` each
decoder layer uses the transpose of its encoder layer's weight *through the engine*
(``transpose(W)``), so the gradients of both uses accumulate into the one Parameter.
:class:`DenoisingAutoencoder` corrupts its input while training (``"mask"``: zero each entry
with probability ``noise``; ``"gaussian"``: add N(0, noise²)) and reconstructs the clean input.
:class:`LinearAutoencoder` has no nonlinearity and an MSE loss; trained to convergence it spans
the subspace of the first k principal components (``fit(..., method="lbfgs")`` reaches it to
high precision on small problems).

Training goes through :func:`neural.train.fit` with the clean data as its target (progress line
per epoch, divergence stops with :class:`neural.TrainingDiverged` and keeps the last good
parameters), or through scipy's L-BFGS on the engine's loss and flattened gradient.

The module also registers ``"autoencoder"`` and ``"denoising_autoencoder"`` in
:data:`neural.PRETRAINERS`: layer i of a stack is trained as a one-hidden-layer autoencoder on
the codes of layers < i and its encoder weight and bias are copied into the layer. Keywords:
the model's (``activation``, ``loss``, ``tied``, ``corruption``, ``noise``) and fit's (``lr``,
``batch_size``, ``optimizer``, ``tol``, ``verbose``, ``file``; ``fit_method`` for fit's
``method``); the pretrainer returns the list of fitted autoencoders, bottom first.

Examples
--------
>>> import numpy as np
>>> X = np.random.default_rng(0).random((50, 6))
>>> ae = Autoencoder(6, 3, loss="bce", rng=0).fit(X, epochs=2, batch_size=10)
>>> ae.encode(X).shape, ae.reconstruct(X).shape
((50, 3), (50, 6))
>>> lae = LinearAutoencoder(6, 2, rng=0).fit(X - X.mean(0), epochs=200, method="lbfgs")
>>> lae.decoder_weight().shape
(6, 2)
"""

from __future__ import annotations

import sys

import numpy as np

from energy import autodiff as ad
from energy.autodiff import Parameter, Tensor, no_grad
from energy.optim import Adam, SGD
from pgm.runtime import check_array, check_finite, check_rng, check_scalar

from .layers import Identity, Linear, ReLU, Sequential, Sigmoid, Tanh, linear
from .module import Module
from .pretrain import register_pretrainer
from .train import History, TrainingDiverged, fit as _fit_loop

__all__ = ["Autoencoder", "DenoisingAutoencoder", "LinearAutoencoder"]

_ACTS = {"sigmoid": Sigmoid, "tanh": Tanh, "relu": ReLU, "identity": Identity}
_LOSSES = ("mse", "bce")
_CORRUPTIONS = ("mask", "gaussian")


def _recon_loss(name):
    """loss_fn(output, target) for :func:`neural.train.fit` (output = decoder logits/values)."""
    if name == "mse":
        return lambda out, target: ad.mse_loss(out, target)
    return lambda out, target: ad.binary_cross_entropy_with_logits(out, target)


class _TiedDecoder(Module):
    """Decoder whose layer j computes ``z @ W + b`` with W an encoder weight (no copy)."""

    def __init__(self, enc_linears, act, dtype):
        super().__init__()
        object.__setattr__(self, "_enc", list(enc_linears))     # not registered twice
        for j, lin in enumerate(reversed(self._enc)):
            setattr(self, f"bias{j}", Parameter(np.zeros(lin.in_features, dtype)))
        self._act = act

    def forward(self, z):
        n = len(self._enc)
        for j, lin in enumerate(reversed(self._enc)):
            z = linear(z, ad.transpose(lin.weight), getattr(self, f"bias{j}"))
            if j < n - 1:
                z = self._act()(z)
        return z


class Autoencoder(Module):
    """Encoder ``Linear → act → … → Linear → act``, a mirrored decoder (no output activation).

    Parameters
    ----------
    n_features : int
    hidden_sizes : int or sequence of int
        Widths of the encoder's layers; the last is the code size.
    activation : {"sigmoid", "tanh", "relu", "identity"}, default "sigmoid"
        After every encoder layer and every decoder layer but the last.
    loss : {"mse", "bce"}, default "mse"
        ``"bce"``: the decoder's outputs are logits, :meth:`reconstruct` returns their sigmoid,
        and X must lie in [0, 1].
    tied : bool, default False
        Decoder layer weights are the encoder weights' transposes (shared Parameters).
    rng : None, int or numpy.random.Generator
        Initialisation, and the default stream for shuffling (and corruption) in :meth:`fit`.
    dtype : float dtype, default np.float64

    Attributes
    ----------
    encoder : Sequential
    decoder : Sequential, or the tied decoder (biases only; weights are the encoder's)
    history_ : neural.History after :meth:`fit` (loss per epoch, or per L-BFGS iteration)

    Examples
    --------
    >>> X = np.random.default_rng(1).random((20, 5))
    >>> ae = Autoencoder(5, [4, 2], tied=True, rng=0)
    >>> [p.shape for p in ae.parameters()]
    [(4, 5), (4,), (2, 4), (2,), (4,), (5,)]
    >>> round(ae.loss(X), 3) > 0
    True
    """

    def __init__(self, n_features, hidden_sizes, *, activation="sigmoid", loss="mse",
                 tied=False, rng=None, dtype=np.float64):
        super().__init__()
        check_scalar(n_features, "n_features", low=1, integer=True)
        sizes = [hidden_sizes] if isinstance(hidden_sizes, (int, np.integer)) else hidden_sizes
        try:
            sizes = list(sizes)
        except TypeError:
            raise TypeError(f"hidden_sizes: expected an int or a sequence of ints, got "
                            f"{type(hidden_sizes).__name__}") from None
        if not sizes:
            raise ValueError("hidden_sizes: expected at least one layer width, got none")
        for s in sizes:
            if isinstance(s, bool) or not isinstance(s, (int, np.integer)) or s < 1:
                raise ValueError(f"hidden_sizes: every width must be an int >= 1, got "
                                 f"{hidden_sizes!r}")
        if activation not in _ACTS:
            raise ValueError(f"activation: expected one of {sorted(_ACTS)}, got {activation!r}")
        if loss not in _LOSSES:
            raise ValueError(f"loss: expected one of {list(_LOSSES)}, got {loss!r}")
        dt = np.dtype(dtype)
        if dt.kind != "f":
            raise TypeError(f"dtype: expected a float dtype, got {dt}")
        gen = check_rng(rng)
        self.n_features, self.hidden_sizes = int(n_features), [int(s) for s in sizes]
        self.activation, self.loss_name, self.tied, self.dtype = activation, loss, bool(tied), dt
        widths = [self.n_features] + self.hidden_sizes
        enc = []
        for a, b in zip(widths[:-1], widths[1:]):
            enc += [Linear(a, b, rng=gen, dtype=dt), _ACTS[activation]()]
        self.encoder = Sequential(*enc)
        if self.tied:
            self.decoder = _TiedDecoder(self.encoder_linears(), _ACTS[activation], dt)
        else:
            dec, back = [], widths[::-1]
            for i, (a, b) in enumerate(zip(back[:-1], back[1:])):
                dec.append(Linear(a, b, rng=gen, dtype=dt))
                if i < len(back) - 2:
                    dec.append(_ACTS[activation]())
            self.decoder = Sequential(*dec)
        object.__setattr__(self, "_rng", gen)
        object.__setattr__(self, "history_", None)

    # ------------------------------------------------------------------ pieces
    def encoder_linears(self):
        """The encoder's ``Linear`` layers, bottom first."""
        return [m for m in self.encoder if isinstance(m, Linear)]

    def decoder_weight(self):
        """The last decoder layer's weight as an array of shape (n_features, hidden) (a copy).

        For a one-layer linear autoencoder its column space is the learned subspace.
        """
        if self.tied:
            return self.encoder_linears()[0].weight.data.T.copy()
        return self.decoder[len(self.decoder) - 1].weight.data.copy()

    def _check_X(self, X, name="X", width=None):
        width = self.n_features if width is None else width
        X = check_array(X, name, ndim=2, dtype_kind="biuf")
        if X.shape[1] != width:
            raise ValueError(f"{name}: expected shape (n_samples, {width}), got {X.shape}")
        X = X.astype(self.dtype, copy=False)
        check_finite(X, name)
        return X

    def _check_target(self, X):
        if self.loss_name == "bce" and (X.min() < 0 or X.max() > 1):
            raise ValueError(f"X: loss='bce' needs values in [0, 1], got the range "
                             f"[{X.min():.4g}, {X.max():.4g}]")

    def forward(self, x):
        """Decoder output (values for "mse", logits for "bce") of x: Tensor (n, n_features)."""
        return self.decoder(self.encoder(x))

    # ------------------------------------------------------------------ numpy API
    def encode(self, X):
        """Codes of X: ndarray of shape (n_samples, hidden_sizes[-1])."""
        X = self._check_X(X)
        with no_grad():
            return self.encoder(X).data

    def decode(self, Z):
        """Reconstruction (sigmoid of the logits for "bce") from codes Z of shape (n, code)."""
        Z = self._check_X(Z, "Z", self.hidden_sizes[-1])
        with no_grad():
            out = self.decoder(Z).data
        return ad.sigmoid(out).data if self.loss_name == "bce" else out

    def reconstruct(self, X):
        """``decode(encode(X))`` on the clean X: ndarray of shape (n_samples, n_features)."""
        return self.decode(self.encode(X))

    def loss(self, X):
        """Mean reconstruction loss of the clean X (no corruption), a float."""
        X = self._check_X(X)
        self._check_target(X)
        with no_grad():
            return float(_recon_loss(self.loss_name)(self.decoder(self.encoder(X)), X).data)

    def fit(self, X, epochs=10, *, method="adam", lr=1e-3, batch_size=32, optimizer=None,
            tol=1e-12, rng=None, verbose=False, file=None):
        """Train on the reconstruction of X; returns self.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
        epochs : int
            Passes over X (``"adam"``/``"sgd"``), or the L-BFGS iteration limit.
        method : {"adam", "sgd", "lbfgs"}, default "adam"
            ``"lbfgs"``: scipy's L-BFGS-B on the full-batch loss and the engine's gradient
            (small models; deterministic objectives only, so not for denoising).
        lr, batch_size : mini-batch settings (``optimizer`` overrides ``method``/``lr``).
        tol : float
            L-BFGS gradient and loss tolerance.
        rng : None, int or Generator
            Shuffling (and corruption) stream; None uses the model's own (its ``rng=``).
        verbose : bool
            A progress line per epoch (per 10 L-BFGS iterations) on stderr or ``file``.

        Raises
        ------
        neural.TrainingDiverged
            The loss became non-finite; the model keeps the last good parameters.
        """
        X = self._check_X(X)
        self._check_target(X)
        check_scalar(epochs, "epochs", low=1, integer=True)
        if method not in ("adam", "sgd", "lbfgs"):
            raise ValueError(f"method: expected 'adam', 'sgd' or 'lbfgs', got {method!r}")
        if rng is not None:
            object.__setattr__(self, "_rng", check_rng(rng))
        if method == "lbfgs":
            self.history_ = self._fit_lbfgs(X, int(epochs), tol, verbose, file)
            return self
        check_scalar(lr, "lr", low=0, low_inclusive=False)
        check_scalar(batch_size, "batch_size", low=1, integer=True)
        if optimizer is None:
            optimizer = (Adam if method == "adam" else SGD)(self.parameters(), lr=lr)
        try:
            self.history_ = _fit_loop(self, X, X, optimizer, epochs=int(epochs),
                                      batch_size=int(batch_size),
                                      loss_fn=_recon_loss(self.loss_name), rng=self._rng,
                                      verbose=verbose, file=file)
        finally:
            self.eval()
        return self

    def _fit_lbfgs(self, X, maxiter, tol, verbose, file):
        out = sys.stderr if file is None else file
        params = self.parameters()
        shapes = [p.shape for p in params]
        sizes = [int(np.prod(s)) for s in shapes]
        loss_fn = _recon_loss(self.loss_name)
        hist = History()
        best = {"f": np.inf, "x": np.concatenate([p.data.ravel() for p in params])}

        def set_flat(x):
            for p, part in zip(params, np.split(x, np.cumsum(sizes)[:-1])):
                p.data[...] = part.reshape(p.shape)

        def fun(x):
            set_flat(x)
            for p in params:
                p.grad = None
            loss = loss_fn(self.decoder(self.encoder(X)), X)
            f = float(loss.data)
            if not np.isfinite(f):
                return np.inf, np.zeros_like(x)
            loss.backward()
            g = np.concatenate([(np.zeros(n) if p.grad is None else p.grad.ravel())
                                for p, n in zip(params, sizes)]).astype(np.float64)
            if f < best["f"]:
                best["f"], best["x"] = f, x.copy()
            return f, g

        def callback(xk):
            hist.loss.append(best["f"])
            if verbose and (len(hist.loss) % 10 == 0 or len(hist.loss) == maxiter):
                print(f"lbfgs iteration {len(hist.loss):4d}/{maxiter}  loss {best['f']:.6g}",
                      file=out, flush=True)

        self.eval()
        x0 = best["x"].astype(np.float64)
        # lazy: scipy.optimize adds ~0.1 s to `import neural`; only method='lbfgs' needs it
        from scipy.optimize import minimize
        minimize(fun, x0, jac=True, method="L-BFGS-B", callback=callback,
                 options={"maxiter": maxiter, "gtol": tol, "ftol": tol, "maxcor": 20})
        set_flat(best["x"])
        if not np.isfinite(best["f"]):
            raise TrainingDiverged("fit: the loss was non-finite at every L-BFGS evaluation; "
                                   "parameters left at their initial values")
        return hist


class DenoisingAutoencoder(Autoencoder):
    """An :class:`Autoencoder` trained to reconstruct X from a corrupted copy of it.

    Parameters
    ----------
    n_features, hidden_sizes, activation, loss, tied, rng, dtype
        As :class:`Autoencoder`.
    corruption : {"mask", "gaussian"}, default "mask"
        ``"mask"``: each entry set to 0 with probability ``noise`` (masking noise, no
        rescaling); ``"gaussian"``: N(0, noise²) added to each entry.
    noise : float, default 0.3
        The masked fraction, in [0, 1), or the Gaussian σ >= 0.

    Examples
    --------
    >>> dae = DenoisingAutoencoder(4, 2, corruption="mask", noise=0.5, rng=0)
    >>> Xc = dae.corrupt(np.ones((1000, 4)), rng=0)
    >>> bool(abs((Xc == 0).mean() - 0.5) < 0.05)
    True
    """

    def __init__(self, n_features, hidden_sizes, *, corruption="mask", noise=0.3,
                 activation="sigmoid", loss="mse", tied=False, rng=None, dtype=np.float64):
        if corruption not in _CORRUPTIONS:
            raise ValueError(f"corruption: expected one of {list(_CORRUPTIONS)}, got "
                             f"{corruption!r}")
        if corruption == "mask":
            check_scalar(noise, "noise", low=0, high=1, high_inclusive=False)
        else:
            check_scalar(noise, "noise", low=0)
        super().__init__(n_features, hidden_sizes, activation=activation, loss=loss, tied=tied,
                         rng=rng, dtype=dtype)
        self.corruption, self.noise = corruption, float(noise)

    def _draw(self, shape, dtype, gen):
        if self.corruption == "mask":
            return (gen.random(shape) >= self.noise).astype(dtype)      # 1 = kept
        return gen.normal(0.0, self.noise, shape).astype(dtype)

    def _apply(self, x, draw):
        return x * draw if self.corruption == "mask" else x + draw

    def corrupt(self, X, rng=None):
        """A corrupted copy of X (same shape and dtype), drawn from ``rng``."""
        X = np.asarray(X)
        return self._apply(X, self._draw(X.shape, X.dtype, check_rng(rng)))

    def forward(self, x):
        """As :meth:`Autoencoder.forward`, on a corrupted x in training mode (drawn from the
        model's stream; through the engine, so x keeps its gradient)."""
        x = x if isinstance(x, Tensor) else Tensor(x)
        if self.training:
            x = self._apply(x, Tensor(self._draw(x.shape, x.dtype, self._rng)))
        return self.decoder(self.encoder(x))

    def fit(self, X, epochs=10, *, method="adam", **kw):
        if method == "lbfgs":
            raise ValueError("method: 'lbfgs' needs a deterministic objective; a denoising "
                             "autoencoder's corruption is random (use 'adam' or 'sgd')")
        return super().fit(X, epochs, method=method, **kw)

    fit.__doc__ = Autoencoder.fit.__doc__


class LinearAutoencoder(Autoencoder):
    """One hidden layer of ``n_components`` units, no nonlinearity, MSE loss.

    Trained to convergence (``method="lbfgs"``) on centred data, the decoder's column space is
    the span of the first ``n_components`` principal components.

    Examples
    --------
    >>> lae = LinearAutoencoder(5, 2, rng=0)
    >>> lae.encode(np.zeros((3, 5))).shape
    (3, 2)
    """

    def __init__(self, n_features, n_components, *, tied=False, rng=None, dtype=np.float64):
        if isinstance(n_components, bool) or not isinstance(n_components, (int, np.integer)) \
                or n_components < 1:
            raise ValueError(f"n_components: expected an int >= 1, got {n_components!r}")
        super().__init__(n_features, int(n_components), activation="identity", loss="mse",
                         tied=tied, rng=rng, dtype=dtype)


# ---------------------------------------------------------------------- greedy pretraining
def _pretrain_stack(cls, layers, X, epochs, rng, fit_kw, **model_kw):
    gen = check_rng(rng)
    fit_kw.setdefault("method", "adam")
    models, H = [], X
    for layer in layers:
        ae = cls(layer.in_features, layer.out_features, rng=gen,
                 dtype=layer.weight.dtype, **model_kw)
        ae.fit(H, epochs, rng=gen, **fit_kw)
        lin = ae.encoder_linears()[0]
        layer.weight.data[...] = lin.weight.data
        if layer.bias is not None:
            layer.bias.data[...] = lin.bias.data
        H = ae.encode(H)
        models.append(ae)
    return models


_FIT_KEYS = ("lr", "batch_size", "optimizer", "tol", "verbose", "file")


def _split(kw):
    """(fit keywords, model keywords); ``fit_method`` is fit's ``method`` (pretrain has one)."""
    fit_kw = {k: kw.pop(k) for k in list(kw) if k in _FIT_KEYS}
    if "fit_method" in kw:
        fit_kw["method"] = kw.pop("fit_method")
    return fit_kw, kw


@register_pretrainer("autoencoder")
def _pretrain_autoencoder(layers, X, *, epochs, rng, **kw):
    """Each layer an :class:`Autoencoder` on the codes below; returns the list of them."""
    fit_kw, model_kw = _split(dict(kw))
    return _pretrain_stack(Autoencoder, layers, X, epochs, rng, fit_kw, **model_kw)


@register_pretrainer("denoising_autoencoder")
def _pretrain_denoising(layers, X, *, epochs, rng, **kw):
    """Each layer a :class:`DenoisingAutoencoder` on the (clean) codes below."""
    fit_kw, model_kw = _split(dict(kw))
    return _pretrain_stack(DenoisingAutoencoder, layers, X, epochs, rng, fit_kw, **model_kw)
