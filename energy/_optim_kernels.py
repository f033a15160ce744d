"""numba kernel of the SGD update (private), with its plain-numpy reference.

One pass over the parameter, its gradient and its momentum buffer, in parallel, instead of
numpy's four or five passes and temporaries: this is what an RBM's or a big layer's update
costs per batch. :func:`sgd_step_ref` is the same arithmetic in numpy; a test compares them.
"""

from __future__ import annotations

from numba import njit, prange


@njit(cache=True, parallel=True)
def sgd_step(a, g, v, lr, mu, wd, sign, nesterov):
    """In place on flat, contiguous arrays of one dtype:

    ``g' = sign·g + wd·a``; with momentum ``v ← μ v + g'`` and ``d = g' + μ v`` (Nesterov) or
    ``d = v``, else ``d = g'``; then ``a ← a − lr·d``. ``v`` is ignored when ``mu == 0``.
    """
    n = a.size
    for i in prange(n):
        gi = sign * g[i] + wd * a[i]
        if mu != 0:
            vi = mu * v[i] + gi
            v[i] = vi
            d = gi + mu * vi if nesterov else vi
        else:
            d = gi
        a[i] -= lr * d


def sgd_step_ref(a, g, v, lr, mu, wd, sign, nesterov):
    """numpy version of :func:`sgd_step` (in place)."""
    gi = sign * g + wd * a
    if mu != 0:
        v *= mu
        v += gi
        d = gi + mu * v if nesterov else v
    else:
        d = gi
    a -= lr * d
