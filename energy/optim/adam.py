"""Adam and AdamW.

Examples
--------
>>> import numpy as np
>>> x = np.array([3.0])
>>> opt = Adam([x], lr=0.1)
>>> for _ in range(500):
...     opt.step([2 * x])              # minimise x**2
>>> bool(abs(x[0]) < 1e-2)
True
"""

from __future__ import annotations

import numpy as np

from .base import Optimizer

__all__ = ["Adam"]


class Adam(Optimizer):
    """Adam (Kingma & Ba 2015) with bias correction; ``decoupled=True`` gives AdamW.

    ``m ← β₁m + (1-β₁)g``, ``v ← β₂v + (1-β₂)g²``,
    ``θ ← θ - lr · m̂ / (√v̂ + ε)`` with ``m̂ = m/(1-β₁ᵗ)``, ``v̂ = v/(1-β₂ᵗ)``.

    Parameters
    ----------
    params, lr, weight_decay, decay_bias, maximize : see :class:`Optimizer`
    betas : (float, float), default (0.9, 0.999)
    eps : float, default 1e-8
    decoupled : bool, default False
        Decay the weights directly (``θ ← θ(1 - lr·wd)``) instead of adding ``wd·θ`` to g.

    Adam has no fused update: :meth:`~energy.optim.Optimizer.fused_args` refuses with a
    :class:`NotImplementedError`.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                 decay_bias=False, decoupled=False, maximize=False):
        super().__init__(params, lr, weight_decay, decay_bias, maximize)
        b1, b2 = betas
        if not (0 <= b1 < 1 and 0 <= b2 < 1):
            raise ValueError(f"betas: each must be in [0, 1), got {betas}")
        self.betas = (float(b1), float(b2))
        self.eps = float(eps)
        self.decoupled = bool(decoupled)
        if decoupled:
            self._wd_decoupled, self._decay = self._decay, [0.0] * len(self._decay)

    def _update(self, i, a, g):
        b1, b2 = self.betas
        st = self.state[i]
        if "m" not in st:
            st["m"] = np.zeros_like(a)
            st["v"] = np.zeros_like(a)
            st["t"] = 0
        st["t"] += 1
        t = st["t"]
        m, v = st["m"], st["v"]
        m *= b1
        m += (1 - b1) * g
        v *= b2
        v += (1 - b2) * (g * g)
        if self.decoupled and self._wd_decoupled[i]:
            a *= 1 - self.lr * self._wd_decoupled[i]
        step = self.lr / (1 - b1 ** t)
        denom = np.sqrt(v / (1 - b2 ** t)) + self.eps
        a -= (step * m / denom).astype(a.dtype, copy=False)
