"""The main job: restore a noisy binary image with the Ising model (Bishop, PRML §8.3.3).
======================================================================================

Takes the horse silhouette that ships with the library (CC0, see energy/images/data/README.md),
flips 10% of its pixels, restores it with ICM, exact graph cut, simulated annealing, Gibbs
sampling (MPM), mean field, a 3x3 median filter and graph cut with parameters chosen
without the clean image (noise rate given, or estimated), prints error rate / energy / time for
each, and writes one PNG figure with the panels side by side.

    python examples/denoise_image.py [--image horse|camera] [--noise 0.1] [--seed 0] [-o FILE]

The figure goes to denoise_IMAGE.png in the current directory unless -o says otherwise.
"""

from __future__ import annotations

import argparse
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from energy.images import add_flip_noise, error_rate, load_example, median_filter  # noqa: E402
from energy.models import IsingModel, auto_parameters  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--image", default="horse", choices=["horse", "camera"])
    ap.add_argument("--noise", type=float, default=0.1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("-o", "--output", default=None,
                    help="figure to write (default denoise_IMAGE.png)")
    a = ap.parse_args(argv)
    if a.output is None:
        a.output = f"denoise_{a.image}.png"

    clean = load_example(a.image)
    y = add_flip_noise(clean, a.noise, rng=a.seed)
    prml = IsingModel(y, beta=1.0, eta=2.1, h=0.0)          # PRML's parameters
    print(f"{a.image} {clean.shape[0]}x{clean.shape[1]}, {100 * a.noise:.0f}% flip noise "
          f"(seed {a.seed}); PRML parameters h=0, beta=1.0, eta=2.1")
    print(f"{'method':<34}{'error %':>9}{'energy':>14}{'seconds':>9}")
    rows = [("noisy input", y, prml.energy(y), 0.0)]

    def run(name, model, method, **kw):
        r = model.restore(method, **kw)
        rows.append((name, r.x, prml.energy(r.x), r.seconds))

    model_jit = IsingModel(y[:8, :8])        # compile the numba kernels outside the timings
    model_jit.icm(), model_jit.anneal(n_sweeps=2, rng=0), model_jit.mean_field(max_iter=2)
    model_jit.gibbs(n_sweeps=2, burn_in=0, rng=0)

    run("ICM (checkerboard)", prml, "icm")
    run("ICM (raster, PRML order)", IsingModel(y, beta=1.0, eta=2.1, order="raster"), "icm")
    run("graph cut (exact MAP)", prml, "graphcut")
    run("annealing (100 sweeps)", prml, "anneal", rng=a.seed)
    run("Gibbs MPM (T=1; 200 sweeps)", prml, "gibbs", rng=a.seed)
    run("mean field (T=1)", prml, "meanfield")
    t = time.perf_counter()
    med = median_filter(y, 3)
    rows.append(("median filter 3x3", med, prml.energy(med), time.perf_counter() - t))
    for label, given in (("auto, p given", a.noise), ("auto, p estimated", None)):
        t = time.perf_counter()
        par = auto_parameters(y, given)
        auto = IsingModel(y, beta=par["beta"], eta=par["eta"]).graphcut()
        rows.append((f"{label} (b={par['beta']:.2f} e={par['eta']:.2f})", auto.x,
                     prml.energy(auto.x), time.perf_counter() - t))
    for name, x, e, s in rows:
        print(f"{name:<34}{100 * error_rate(x, clean):9.3f}{e:14.1f}{s:9.3f}")

    show = [("clean", clean, None)] + [(n, x, error_rate(x, clean)) for n, x, _, _ in rows
                                       if not n.startswith(("ICM (raster", "mean field", "auto, p given"))]
    fig, axes = plt.subplots(1, len(show), figsize=(2.6 * len(show), 3.2))
    for ax, (name, x, err) in zip(axes, show):
        ax.imshow(x, cmap="gray", vmin=-1, vmax=1, interpolation="nearest")
        ax.set_title(name if err is None else f"{name}\n{100 * err:.2f}% wrong", fontsize=7)
        ax.axis("off")
    fig.tight_layout()
    fig.savefig(a.output, dpi=110)
    print(f"wrote {a.output}")


if __name__ == "__main__":
    main()
