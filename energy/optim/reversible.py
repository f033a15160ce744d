"""Reversible SGD with momentum (Maclaurin, Duvenaud & Adams 2015, "Gradient-based
hyperparameter optimization through reversible learning").

Momentum SGD,

    v ← γ v − (1 − γ) ∇L(θ),      θ ← θ + α v,

is invertible in exact arithmetic — θ ← θ − α v, then v ← (v + (1 − γ) ∇L(θ)) / γ — but not
in floating point: every multiplication by γ < 1 drops low bits, and running the steps
backwards from θ_T does not return to θ_0. Following the paper, θ and v are held in a
**fixed-point** representation (int64 counts of 2^-frac_bits), so additions are exact, and γ
is a fraction n / 2^k: multiplying v by γ is ``v·n`` (exact) followed by a shift right by k
bits, and the k bits shifted out are **stored** (one small integer per entry per step). The
reverse step puts them back — ``v = ((v' << k) | lost) / n``, an exact division — so after T
steps forward and T steps back, θ and v are the initial ones bit for bit.

The gradient only has to be a deterministic function of θ (the same θ bits give the same
gradient bits): the reverse pass recomputes it at the same θ_t the forward pass used.

Examples
--------
>>> import numpy as np
>>> A = np.diag([1.0, 10.0])
>>> opt = ReversibleSGD(np.array([1.0, -1.0]), lambda th: A @ th, lr=0.05, momentum=0.9)
>>> opt.run(100)
>>> bool(np.linalg.norm(opt.theta) < 0.5)
True
>>> opt.reverse(100)
>>> opt.theta
array([ 1., -1.])
"""

from __future__ import annotations

import numpy as np

__all__ = ["ReversibleSGD"]


class ReversibleSGD:
    """Momentum SGD that can be run backwards exactly.

    Parameters
    ----------
    theta0 : array_like of floats, any shape
        Initial parameters; converted to fixed point (rounded to the nearest multiple of
        2^-frac_bits; :attr:`theta0_rounding` says how far that moved them).
    grad_fn : callable
        ``grad_fn(theta) -> ndarray`` of theta's shape (float64 view of the current θ).
        Must be deterministic.
    lr : float or 1-D array of per-step values
        α (step t uses ``lr[t]`` when an array is given).
    momentum : float or 1-D array, in [0, 1)
        γ; rounded to n / 2^momentum_bits (see :attr:`gammas`); γ = 0 is not reversible.
    frac_bits : int, default 32
        Fractional bits of the fixed-point representation (resolution 2^-frac_bits);
        ``|θ|``, ``|v|`` must stay below 2^(62 − frac_bits − momentum_bits).
    momentum_bits : int in [1, 16], default 8
        k: γ = n / 2^k, and k bits per entry are stored at each step.

    Attributes
    ----------
    t : int
        Steps taken so far (forward minus reversed).
    lost_bits : list of uint16 ndarrays
        The bits dropped by each step's multiplication by γ (the information the reverse
        pass needs), one array per step taken.

    Notes
    -----
    The paper stores the lost bits in an arbitrary-precision integer buffer, so that only
    log2(1/γ) bits per entry per step are spent on average; here each step keeps its k low
    bits in a uint16 array (k bits of information per entry and step), which is simpler and
    equally exact.
    """

    def __init__(self, theta0, grad_fn, lr, momentum=0.9, frac_bits=32, momentum_bits=8):
        th = np.asarray(theta0, dtype=np.float64)
        if not np.all(np.isfinite(th)):
            raise ValueError("theta0: holds NaN or inf")
        if not 1 <= int(momentum_bits) <= 16:
            raise ValueError(f"momentum_bits: expected an int in [1, 16], got {momentum_bits}")
        if not 1 <= int(frac_bits) <= 52:
            raise ValueError(f"frac_bits: expected an int in [1, 52], got {frac_bits}")
        self.frac_bits, self.momentum_bits = int(frac_bits), int(momentum_bits)
        self.scale = float(2.0 ** self.frac_bits)
        self.limit = 2 ** (62 - self.frac_bits - self.momentum_bits)
        self._check_range(th, "theta0")
        self.shape = th.shape
        self.grad_fn = grad_fn
        self._lr = np.atleast_1d(np.asarray(lr, dtype=np.float64))
        mom = np.atleast_1d(np.asarray(momentum, dtype=np.float64))
        if np.any(mom < 0) or np.any(mom >= 1):
            raise ValueError(f"momentum: must lie in [0, 1), got {momentum}")
        if self._lr.ndim != 1 or mom.ndim != 1:
            raise ValueError("lr, momentum: expected a number or a 1-D array of per-step values")
        self._n = np.rint(mom * 2 ** self.momentum_bits).astype(np.int64)
        if np.any(self._n == 0):
            raise ValueError(f"momentum: γ = 0 (or below 2^-{self.momentum_bits + 1}) forgets v "
                             f"and cannot be reversed; got {momentum}")
        self._theta = np.rint(th * self.scale).astype(np.int64).reshape(-1)
        moved = np.abs(self._theta / self.scale - th.reshape(-1))
        self.theta0_rounding = float(moved.max(initial=0))
        self._v = np.zeros_like(self._theta)
        self.t = 0
        self.lost_bits = []

    # -- views
    @property
    def theta(self) -> np.ndarray:
        """Current parameters as float64 (a copy), shape of theta0."""
        return (self._theta / self.scale).reshape(self.shape)

    @property
    def velocity(self) -> np.ndarray:
        return (self._v / self.scale).reshape(self.shape)

    @property
    def gammas(self) -> np.ndarray:
        """The momentum values actually used, n / 2^momentum_bits."""
        return self._n / 2.0 ** self.momentum_bits

    @property
    def state_bits(self):
        """(θ, v) as their int64 fixed-point integers (copies): compare these for exactness."""
        return self._theta.copy(), self._v.copy()

    def _at(self, arr, t):
        return arr[t] if arr.size > 1 else arr[0]

    def _check_range(self, a, what):
        if np.abs(a).max(initial=0) >= self.limit:
            raise OverflowError(f"{what}: |values| reached {np.abs(a).max():.3g}, beyond the "
                                f"fixed-point range 2^{62 - self.frac_bits - self.momentum_bits} "
                                f"(lower frac_bits or momentum_bits, or the learning rate)")

    def _grad_fixed(self, t):
        g = np.asarray(self.grad_fn(self.theta), dtype=np.float64)
        if g.shape != self.shape:
            raise ValueError(f"grad_fn: returned shape {g.shape}, expected theta's {self.shape}")
        if not np.all(np.isfinite(g)):
            raise ValueError(f"grad_fn: returned NaN or inf at step {t}")
        gamma = self._at(self._n, t) / 2.0 ** self.momentum_bits
        return np.rint((1.0 - gamma) * g.reshape(-1) * self.scale).astype(np.int64)

    def _dtheta(self, t):
        return np.rint(self._at(self._lr, t) * self._v.astype(np.float64)).astype(np.int64)

    # -- forward
    def step(self):
        """One momentum step forward: v ← γ v − (1 − γ) ∇L(θ), θ ← θ + α v."""
        t = self.t
        if self._lr.size > 1 and t >= self._lr.size or self._n.size > 1 and t >= self._n.size:
            raise IndexError(f"step {t}: the lr/momentum schedules have no value for it")
        n = self._at(self._n, t)
        k = self.momentum_bits
        gfix = self._grad_fixed(t)
        prod = self._v * n                                   # exact (range checked)
        self.lost_bits.append((prod & ((1 << k) - 1)).astype(np.uint16))
        self._v = (prod >> k) - gfix
        self._check_range(self._v / self.scale, f"velocity at step {t}")
        self._theta = self._theta + self._dtheta(t)
        self._check_range(self._theta / self.scale, f"theta at step {t}")
        self.t += 1

    def run(self, n_steps):
        """``n_steps`` forward steps."""
        for _ in range(int(n_steps)):
            self.step()

    # -- reverse
    def unstep(self):
        """Undo the last step exactly: θ ← θ − α v, v ← (v + (1 − γ) ∇L(θ)) / γ."""
        if self.t == 0:
            raise RuntimeError("unstep: already at the initial parameters (t = 0)")
        t = self.t - 1
        n = self._at(self._n, t)
        k = self.momentum_bits
        self._theta = self._theta - self._dtheta(t)
        prod = ((self._v + self._grad_fixed(t)) << k) | self.lost_bits.pop().astype(np.int64)
        v, rem = np.divmod(prod, n)
        if np.any(rem):
            raise RuntimeError(f"unstep: inexact division at step {t}: the gradient is not "
                               f"a deterministic function of theta")
        self._v = v
        self.t = t

    def reverse(self, n_steps):
        """Undo ``n_steps`` steps."""
        for _ in range(int(n_steps)):
            self.unstep()
