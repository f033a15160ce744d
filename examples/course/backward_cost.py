"""Backward-pass cost: the course's closed forms against the library's counters and the multiplications the engine actually executes.
==================================================================================================================================

    python examples/course/backward_cost.py [--quick] [--out DIR]

The course: a fully connected net with input d, L hidden layers of n units and c outputs
costs 2n[1 + d + c + (L − 1)(n + 1)] multiplications in the backward pass; the 2-D RNN
(MDRNN) costs H(n_a + 2D + 4H − 1) per hidden vector, O(G²H(D + H)) on a G×G grid.

For each size the table prints the closed form, :func:`neural.count_backward_macs` (the
course's convention applied layer by layer) and the engine's own count
(:class:`energy.autodiff.count_multiplications`, the scalar multiplications the ops execute,
backward from the output with a given output gradient, so no loss is counted) with the
input's gradient formed ("engine, ∂x") and without it ("engine"). Sigmoid hidden units.

What it shows: for the MLP the closed form equals the counter and the engine's count when
∂L/∂x is formed; without it the engine does d·n fewer (the first layer's input gradient,
which the course counts but nobody needs). For the MDRNN the library does H(2D + 4H + 2)
per cell (∂W_in and ∂x: 2HD; ∂W_w, ∂W_n and the two recurrent input gradients: 4H²;
tanh' = 1 − h² and its product: 2H), which is the course's expression with n_a = 3; with
n_a = 2 (two predecessors in 2-D) the course's count is H lower per cell. The figure plots
counted against closed form (log–log, the diagonal is equality).
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402

from _common import parser, save  # noqa: E402
from energy.autodiff import Tensor, count_multiplications  # noqa: E402
from neural import (Linear, Sequential, Sigmoid, count_backward_macs,  # noqa: E402
                    mdrnn_backward_cost, mlp_backward_cost)
from neural.recurrent import MDRNN  # noqa: E402


def mlp(n, d, c, L):
    layers, m = [], d
    for i in range(L):
        layers += [Linear(m, n, rng=i, dtype=np.float64), Sigmoid()]
        m = n
    return Sequential(*layers, Linear(n, c, rng=L, dtype=np.float64))


def engine_backward(model, shape, x_grad):
    x = Tensor(np.random.default_rng(0).standard_normal(shape), requires_grad=x_grad)
    with count_multiplications() as cnt:
        out = model(x)
        out.backward(np.ones(out.shape))
    return cnt.backward


def main(argv=None):
    args = parser(__doc__).parse_args(argv)
    mlps = [(3, 2, 2, 1), (8, 16, 4, 2), (16, 64, 10, 3)]
    grids = [(3, 2, 1), (4, 4, 2)]
    if not args.quick:
        mlps += [(32, 64, 10, 4), (64, 256, 10, 2), (100, 784, 10, 3)]
        grids += [(8, 8, 1), (8, 16, 3), (16, 8, 2)]
    rows = []
    print("MLP (one example)                 closed form   counter   engine,∂x    engine")
    for n, d, c, L in mlps:
        net = mlp(n, d, c, L)
        r = dict(kind="mlp", size=(n, d, c, L), closed=mlp_backward_cost(n, d, c, L),
                 counter=count_backward_macs(net, (1, d)),
                 engine_dx=engine_backward(net, (1, d), True),
                 engine=engine_backward(net, (1, d), False))
        rows.append(r)
        print(f"  n={n:<3} d={d:<3} c={c:<3} L={L}      {r['closed']:>12} {r['counter']:>9} "
              f"{r['engine_dx']:>11} {r['engine']:>9}")
    print("MDRNN (one G×G grid)   course n_a=2  course n_a=3   counter   engine,∂x    engine")
    for G, H, D in grids:
        md = MDRNN(D, H, rng=0, dtype=np.float64)
        shape = (1, D, G, G)
        r = dict(kind="mdrnn", size=(G, H, D), closed=mdrnn_backward_cost(G, H, D, n_a=2),
                 closed3=mdrnn_backward_cost(G, H, D, n_a=3),
                 counter=count_backward_macs(md, shape),
                 engine_dx=engine_backward(md, shape, True),
                 engine=engine_backward(md, shape, False))
        rows.append(r)
        print(f"  G={G:<2} H={H:<3} D={D}       {r['closed']:>12} {r['closed3']:>13} "
              f"{r['counter']:>9} {r['engine_dx']:>11} {r['engine']:>9}")
    m_ok = all(r["closed"] == r["counter"] == r["engine_dx"] for r in rows if r["kind"] == "mlp")
    md_ok = all(r["closed3"] == r["counter"] == r["engine_dx"] for r in rows
                if r["kind"] == "mdrnn")
    print(f"MLP: closed form == counter == engine with ∂x: {m_ok}")
    print(f"MDRNN: course form with n_a=3 == counter == engine with ∂x: {md_ok}")

    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(5, 4.5))
    for kind, mk in (("mlp", "o"), ("mdrnn", "s")):
        rs = [r for r in rows if r["kind"] == kind]
        cf = np.array([r["closed"] for r in rs], float)
        ax.loglog(cf, [r["engine_dx"] for r in rs], mk, mfc="none", label=f"{kind}: engine, ∂x")
        ax.loglog(cf, [r["engine"] for r in rs], mk, ms=3, label=f"{kind}: engine")
    lim = [min(r["engine"] for r in rows) * 0.8, max(r["closed"] for r in rows) * 1.2]
    ax.plot(lim, lim, "k:", lw=1, label="equality")
    ax.set_xlabel("course closed form (MDRNN: n_a = 2)")
    ax.set_ylabel("multiplications counted")
    ax.legend(fontsize=7)
    path = save(fig, args, "backward_cost.png")
    return dict(rows=rows, png=path, mlp_ok=m_ok, mdrnn_ok=md_ok)


if __name__ == "__main__":
    main()
