"""numba kernel of the SGD update (private), with its plain-numpy reference.

One pass over the parameter, its gradient and its momentum buffer, in parallel, instead of
numpy's four or five passes and temporaries: this is what an RBM's or a big layer's update
costs per batch. :func:`sgd_step_ref` is the same arithmetic in numpy; a test compares them.
"""

from __future__ import annotations

from numba import njit, prange


@njit(cache=True, inline="always")
def sgd_run(a, g, v, lr, mu, wd, sign, nesterov):
    """The update of a run of elements (flat, contiguous ``a``, ``g`` and — with momentum —
    ``v``; see :func:`sgd_step`), one loop per case so that each vectorises. Kernels that make
    a gradient block by block (the RBM's) apply it while the block is in cache."""
    n = a.size
    if mu == 0:
        for i in range(n):
            a[i] -= lr * (sign * g[i] + wd * a[i])
    elif nesterov:
        for i in range(n):
            gi = sign * g[i] + wd * a[i]
            vi = mu * v[i] + gi
            v[i] = vi
            a[i] -= lr * (gi + mu * vi)
    else:
        for i in range(n):
            vi = mu * v[i] + (sign * g[i] + wd * a[i])
            v[i] = vi
            a[i] -= lr * vi


@njit(cache=True, parallel=True)
def sgd_step(a, g, v, lr, mu, wd, sign, nesterov):
    """In place on flat, contiguous arrays of one dtype:

    ``g' = sign·g + wd·a``; with momentum ``v ← μ v + g'`` and ``d = g' + μ v`` (Nesterov) or
    ``d = v``, else ``d = g'``; then ``a ← a − lr·d``. ``v`` is ignored when ``mu == 0``.
    """
    n = a.size
    chunk = 1 << 13
    for c in prange((n + chunk - 1) // chunk):
        i0 = c * chunk
        i1 = min(n, i0 + chunk)
        sgd_run(a[i0:i1], g[i0:i1], v[i0:i1] if mu != 0 else v, lr, mu, wd, sign, nesterov)


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
