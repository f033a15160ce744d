"""Learning the Ising model's parameters (β, η, h) by maximum pseudo-likelihood.

The model of :mod:`energy.models.ising`,

    E(x, y) = h Σ_i x_i − β Σ_{i~j} x_i x_j − η Σ_i x_i y_i,

has the conditional of one spin given all the others (and y)

    p(x_i | x_−i, y) = σ(2 x_i a_i),     a_i = β n_i + η y_i − h,

with n_i = Σ_{j~i} x_j the neighbour sum (zero outside the grid) and a_i
:meth:`IsingModel.local_field`. The log pseudo-likelihood (Besag 1975)

    ℓ(β, η, h) = Σ_i log σ(2 x_i a_i) = −Σ_i softplus(−2 x_i a_i)

is concave in (β, η, h) and needs no partition function. It depends on the data only through
the per-site triples (x_i n_i, x_i y_i, x_i), which take at most 2 · 17 · 2 distinct values;
:func:`log_pseudo_likelihood` sums over those distinct rows with their counts, on the gradient
engine (:mod:`energy.autodiff`), so its gradient comes from the engine's backward pass.
:func:`fit_pseudo_likelihood` maximises it with L-BFGS-B (scipy) on the engine's value and
gradient.

:func:`learn_parameters` is the unsupervised form (Besag 1986, "On the statistical analysis of
dirty pictures"): starting from a median filter of y, alternate a pseudo-likelihood fit on the
current restoration x̂ and a graph-cut restoration with the fitted parameters.

Degenerate fixed points
-----------------------
* x̂ = y: every x_i y_i = +1, so the data are separated by η alone and ℓ increases without
  bound as η → ∞; the fit stops where ℓ is flat (η ≈ 10, ``separated`` is True) or on the box
  ``max_param`` (``at_bound``), and graph cut with that η returns y again — a fixed point
  that restores nothing (measured: β ≈ 0.3, 0 pixels changed on the horse at 10 % noise).
  Hence the default start is a median filter of y.
* x̂ a graph-cut MAP for (β, η, h): no single flip lowers the energy, so every margin
  2 x_i a_i ≥ 0 and the data are (weakly) separated by the very parameters that made x̂. The
  joint fit (``eta_from="pseudo_likelihood"``) then inflates the scale of (β, η, h) towards the
  bound from the second round on. The MAP depends only on the ratios β : η : h, so the
  restoration is what to look at, not the size of the numbers. Measured (graph cut error,
  noise seeds 0–2, ``examples/ising_learning.py --seeds 3``): as good as
  :func:`auto_parameters` on the horse (0.09–0.63 % against 0.11–0.59 %), 1.8–3.6 times worse
  on the camera (1.1–2.3 % against 0.4–1.2 %: β/η ≈ 1.4–1.7 there, auto's is 0.5).
  ``eta_from="noise"`` is Besag's own split, which stays finite: β and h by pseudo-likelihood of the prior alone
  (η = 0 in the conditional), η = ½ log((1 − p̂) / p̂) from the fraction p̂ of pixels where x̂
  and y differ (the flip-noise likelihood). The prior fitted on a MAP image is too smooth
  (β ≈ 3.9 from round 2 on the shipped images), and on a simple picture (two rectangles,
  48 × 48, 10 % noise) it collapses: β grows, the restoration fills with one colour, and
  the uniform x̂ (60 % of pixels off y) is a fixed point with η ≈ 0 — measured, rounds 2–5.

Examples
--------
>>> import numpy as np
>>> from energy.images import load_example, add_flip_noise, error_rate
>>> clean = load_example("horse")
>>> y = add_flip_noise(clean, 0.1, rng=0)
>>> fit = fit_pseudo_likelihood(clean, y)          # supervised: the clean image is known
>>> bool(fit["beta"] > 0 and fit["eta"] > 0)
True
>>> res = learn_parameters(y, rounds=4)            # unsupervised
>>> error_rate(res.x, clean) < 0.5 * error_rate(y, clean)
True
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from pgm.runtime import check_scalar, check_spins

from energy.autodiff import Parameter, Tensor, softplus
from energy.images import median_filter
from energy.models.ising import IsingModel

__all__ = ["site_statistics", "log_pseudo_likelihood", "fit_pseudo_likelihood",
           "learn_parameters", "LearnedParameters", "PARAMETERS"]

PARAMETERS = ("beta", "eta", "h")


def _check_pair(x, y, connectivity):
    xs = check_spins(x, "x")
    ys = check_spins(y, "y")
    if xs.shape != ys.shape:
        raise ValueError(f"x and y: expected the same shape, got x {xs.shape} and y {ys.shape}")
    if connectivity not in (4, 8) or isinstance(connectivity, bool):
        raise ValueError(f"connectivity: expected 4 or 8, got {connectivity!r}")
    return xs, ys


def site_statistics(x, y, *, connectivity: int = 4):
    """The distinct per-site triples (x_i n_i, x_i y_i, x_i) and how often each occurs.

    Parameters
    ----------
    x, y : array-like of shape (H, W), spins ±1
    connectivity : {4, 8}

    Returns
    -------
    rows : ndarray of float64, shape (K, 3)
        Distinct triples, K ≤ 68.
    counts : ndarray of float64, shape (K,)
        Number of sites with each triple (they sum to H·W).

    Examples
    --------
    >>> rows, counts = site_statistics([[1, 1, -1]], [[1, -1, -1]])
    >>> rows.tolist(), counts.tolist()
    ([[-1.0, 1.0, -1.0], [0.0, -1.0, 1.0], [1.0, 1.0, 1.0]], [1.0, 1.0, 1.0])
    """
    xs, ys = _check_pair(x, y, connectivity)
    n = IsingModel(ys, connectivity=connectivity).neighbour_sum(xs)
    xi = xs.astype(np.int64).ravel()
    trip = np.stack([xi * n.ravel(), xi * ys.ravel(), xi], axis=1)
    rows, counts = np.unique(trip, axis=0, return_counts=True)
    return rows.astype(np.float64), counts.astype(np.float64)


def log_pseudo_likelihood(x, y, beta, eta, h, *, connectivity: int = 4) -> Tensor:
    """ℓ = Σ_i log p(x_i | x_−i, y) = −Σ_i softplus(−2 x_i (β n_i + η y_i − h)), on the engine.

    Parameters
    ----------
    x, y : array-like of shape (H, W), spins ±1
        The spins whose conditionals are scored, and the observation.
    beta, eta, h : float or scalar Tensor
        Pass :class:`~energy.autodiff.Parameter` objects to get ∂ℓ/∂θ from ``backward()``.
    connectivity : {4, 8}

    Returns
    -------
    Tensor of shape ()
        The sum over all H·W sites (not the mean).

    Examples
    --------
    >>> from energy.autodiff import Parameter
    >>> x, y = np.array([[1, 1], [1, -1]]), np.array([[1, 1], [-1, -1]])
    >>> b = Parameter(np.array(0.5))
    >>> lpl = log_pseudo_likelihood(x, y, b, 1.0, 0.0)
    >>> lpl.backward()                                  # b.grad = ∂ℓ/∂β
    >>> p = IsingModel(y, beta=0.5, eta=1.0).conditional(x)   # p(x_i = +1 | rest)
    >>> bool(np.isclose(lpl.data, np.log(np.where(x == 1, p, 1 - p)).sum()))
    True
    """
    rows, counts = site_statistics(x, y, connectivity=connectivity)
    return _lpl_from_statistics(rows, counts, beta, eta, h)


def _lpl_from_statistics(rows, counts, beta, eta, h) -> Tensor:
    margin = (beta * Tensor(2.0 * rows[:, 0]) + eta * Tensor(2.0 * rows[:, 1])
              - h * Tensor(2.0 * rows[:, 2]))
    return -(softplus(-margin) * Tensor(counts)).sum()


def fit_pseudo_likelihood(x, y, *, connectivity: int = 4, fit_h: bool = True,
                          fit_eta: bool = True, beta: float = 0.0, eta: float = 0.0,
                          h: float = 0.0, max_param: float = 20.0, tol: float = 1e-9,
                          max_iter: int = 200) -> dict:
    """Maximum pseudo-likelihood estimate of (β, η, h) from spins x and observation y.

    Parameters
    ----------
    x, y : array-like of shape (H, W), spins ±1
        x: the clean (or restored) image; y: the observed one.
    connectivity : {4, 8}
    fit_h, fit_eta : bool, default True
        False keeps that parameter at its given value (``fit_eta=False, eta=0`` fits the prior
        alone: p(x_i | x_−i) without y).
    beta, eta, h : float
        Starting point (and the fixed value of a parameter that is not fitted).
    max_param : float > 0
        Box ``|θ| ≤ max_param`` for every fitted parameter. ℓ has no maximum when the data are
        separable (e.g. x = y); the estimate then stops on the box and ``at_bound`` names it.
    tol : float
        L-BFGS-B tolerance on the mean negative log pseudo-likelihood.
    max_iter : int

    Returns
    -------
    dict
        ``beta``, ``eta``, ``h`` (floats), ``log_pl`` (mean log pseudo-likelihood per site),
        ``grad`` (its gradient over the fitted parameters, ndarray), ``n_iter``,
        ``converged`` (bool), ``at_bound`` (tuple of the fitted names on the box),
        ``separated`` (bool: ``log_pl > -1e-6``, the fitted conditionals are near certain of
        every x_i — the data are separable and the estimate's scale is not identified).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = np.where(rng.random((30, 30)) < 0.5, 1, -1)
    >>> y = np.where(rng.random((30, 30)) < 0.8, x, -x)       # 20 % flips, no spatial prior
    >>> fit = fit_pseudo_likelihood(x, y)
    >>> bool(abs(fit["beta"]) < 0.2), bool(abs(fit["eta"] - 0.5 * np.log(4)) < 0.2)
    (True, True)
    """
    # lazy: scipy.optimize costs ~0.3 s of import and only fitting needs it
    from scipy.optimize import minimize

    rows, counts = site_statistics(x, y, connectivity=connectivity)
    start = {"beta": check_scalar(beta, "beta"), "eta": check_scalar(eta, "eta"),
             "h": check_scalar(h, "h")}
    bound = check_scalar(max_param, "max_param", low=0, low_inclusive=False)
    check_scalar(tol, "tol", low=0, low_inclusive=False)
    n_iter = check_scalar(max_iter, "max_iter", low=1, integer=True)
    free = [p for p, on in zip(PARAMETERS, (True, bool(fit_eta), bool(fit_h))) if on]
    N = float(counts.sum())

    def value_and_grad(theta):
        params = {p: Parameter(np.array(theta[free.index(p)])) if p in free
                  else start[p] for p in PARAMETERS}
        loss = -_lpl_from_statistics(rows, counts, params["beta"], params["eta"],
                                     params["h"]) / N
        loss.backward()
        return float(loss.data), np.array([float(params[p].grad) for p in free])

    x0 = np.clip([start[p] for p in free], -bound, bound)
    res = minimize(value_and_grad, x0, jac=True, method="L-BFGS-B",
                   bounds=[(-bound, bound)] * len(free),
                   options={"ftol": tol, "gtol": 1e-10, "maxiter": n_iter})
    out = dict(start)
    out.update({p: float(v) for p, v in zip(free, res.x)})
    loss, grad = value_and_grad(res.x)
    out.update(log_pl=-loss, grad=-grad, n_iter=int(res.nit), converged=bool(res.success),
               separated=bool(-loss > -1e-6),
               at_bound=tuple(p for p, v in zip(free, res.x)
                              if abs(v) >= bound * (1 - 1e-9)))
    return out


@dataclass
class LearnedParameters:
    """The outcome of :func:`learn_parameters`.

    Attributes
    ----------
    beta, eta, h : float
        The last round's parameters.
    x : ndarray of int8, shape (H, W)
        The graph-cut restoration with those parameters.
    history : list of dict
        One entry per round: ``round``, ``beta``, ``eta``, ``h``, ``log_pl`` (of the fit),
        ``at_bound``, ``changed`` (fraction of pixels where the new restoration differs from
        the previous one) and ``flipped`` (fraction where it differs from y).
    converged : bool
        Whether a round left the restoration unchanged (then the parameters are a fixed point).
    """

    beta: float
    eta: float
    h: float
    x: np.ndarray
    history: list = field(default_factory=list)
    converged: bool = False

    def model(self, y, connectivity: int = 4) -> IsingModel:
        """An :class:`IsingModel` of ``y`` with the learned parameters."""
        return IsingModel(y, beta=self.beta, eta=self.eta, h=self.h, connectivity=connectivity)


def learn_parameters(y, *, rounds: int = 5, connectivity: int = 4, init="median",
                     fit_h: bool = True, eta_from: str = "pseudo_likelihood",
                     max_param: float = 20.0) -> LearnedParameters:
    """Unsupervised (β, η, h): alternate pseudo-likelihood fits and graph-cut restorations.

    Round k fits the parameters on (x̂_{k−1}, y), then restores x̂_k = the graph-cut MAP of
    y with them; it stops after ``rounds`` rounds or as soon as x̂ no longer changes.

    Parameters
    ----------
    y : array-like of shape (H, W), spins ±1
        The noisy image.
    rounds : int >= 1
    connectivity : {4, 8}
    init : "median", "y" or array of shape (H, W)
        x̂_0: a 3 × 3 median filter of y (default), y itself (a degenerate start, see the
        module notes), or given spins.
    fit_h : bool
        False keeps h = 0.
    eta_from : {"pseudo_likelihood", "noise"}
        "pseudo_likelihood" (default): all of (β, η, h) by the joint pseudo-likelihood of
        p(x_i | x_−i, y) on (x̂, y); from round 2 on the data are separable and the scale of
        the estimate is wherever L-BFGS-B stops (8–13 on the shipped images), only the ratios
        β : η : h mean something (see the module notes). "noise" (Besag 1986): β, h by
        pseudo-likelihood of the prior on x̂, η from the flip rate between x̂ and y; finite,
        but the prior fitted on a MAP image is too smooth (β ≈ 3.9 measured on the shipped
        images, restorations 3–9 times worse than :func:`auto_parameters`) and it can
        collapse to a one-colour image (module notes); its first round is sound.
    max_param : float
        Box on every fitted parameter (see :func:`fit_pseudo_likelihood`).

    Returns
    -------
    LearnedParameters
    """
    ys = check_spins(y, "y")
    n_rounds = check_scalar(rounds, "rounds", low=1, integer=True)
    if eta_from not in ("noise", "pseudo_likelihood"):
        raise ValueError(f"eta_from: expected 'noise' or 'pseudo_likelihood', got {eta_from!r}")
    if isinstance(init, str):
        if init not in ("median", "y"):
            raise ValueError(f"init: expected 'median', 'y' or an array of spins, got {init!r}")
        x = median_filter(ys, 3) if init == "median" else ys.copy()
    else:
        x, _ = _check_pair(init, ys, connectivity)
        x = x.copy()
    history, converged = [], False
    params = {"beta": 0.0, "eta": 0.0, "h": 0.0}
    for k in range(1, n_rounds + 1):
        if eta_from == "noise":
            fit = fit_pseudo_likelihood(x, ys, connectivity=connectivity, fit_h=fit_h,
                                        fit_eta=False, eta=0.0, max_param=max_param)
            p = float(np.clip(np.mean(x != ys), 0.5 / ys.size, 0.5 - 0.5 / ys.size))
            fit["eta"] = float(min(0.5 * np.log((1 - p) / p), max_param))
        else:
            fit = fit_pseudo_likelihood(x, ys, connectivity=connectivity, fit_h=fit_h,
                                        max_param=max_param)
        params = {q: fit[q] for q in PARAMETERS}
        if params["beta"] < 0:  # graph cut needs β ≥ 0; a repulsive fit means no smoothing
            params["beta"] = 0.0
        x_new = IsingModel(ys, connectivity=connectivity, **params).graphcut().x
        changed = float(np.mean(x_new != x))
        history.append({"round": k, **params, "log_pl": fit["log_pl"],
                        "at_bound": fit["at_bound"], "changed": changed,
                        "flipped": float(np.mean(x_new != ys))})
        x = x_new
        if changed == 0.0:
            converged = True
            break
    return LearnedParameters(x=x, history=history, converged=converged, **params)
