"""Grey-level image restoration with a multi-label MRF: alpha-expansion, ICM and loopy BP
======================================================================================

The picture is the "cameraman" (scikit-image's ``data.camera()``, CC0) averaged over 2 x 2
blocks to 256 x 256 and shipped with the project (``energy.images.load_gray_example()``);
``--full`` uses the 512 x 512 original, which needs scikit-image. Gaussian noise of standard deviation
sigma (0-255 scale) is added; the labels are K grey levels (the centres of K equal bins), the
unary cost is the Gaussian negative log-likelihood (y_p - v_k)^2 / (2 sigma^2), and the prior
a truncated linear cost ``w min(|a - b|, T)`` on the label indices (4-neighbours). The weight w
and truncation T are fixed for every sigma (they were picked by looking at sigma = 20 on this
picture). Compared, by PSNR against the clean picture:

* alpha-expansion (graph cuts, :func:`energy.models.alpha_expansion`),
* ICM (the block-Gibbs sampler at T = 0, from the cheapest unary label),
* min-sum loopy BP (:func:`energy.models.loopy_bp`, damping 0.5),
* a 3 x 3 median filter (scipy.ndimage),
* total-variation denoising, ``skimage.restoration.denoise_tv_chambolle`` (weight sigma/255),
  when scikit-image is installed.

The first row of the table is the clean picture quantised to the K levels: the best any
labeling can do, which shows what the quantisation costs.

    python examples/denoise_gray.py [--sigmas 10 20 30] [--labels 32] [--full] [--quick]
                                    [-o denoise_gray.png]
"""

from __future__ import annotations

import argparse
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from scipy import ndimage  # noqa: E402

from energy.images import load_gray_example  # noqa: E402
from energy.models import GridMRF, alpha_expansion, loopy_bp  # noqa: E402


def load_camera(full: bool) -> np.ndarray:
    if not full:
        return load_gray_example("camera_gray")   # shipped: 256 x 256, 8-bit
    try:
        from skimage import data  # optional: the 512 x 512 original ships with scikit-image
    except ImportError:
        raise SystemExit("--full needs scikit-image for the 512 x 512 picture "
                         "(pip install scikit-image)") from None
    return data.camera().astype(np.float64)


def psnr(x, ref) -> float:
    return float(10.0 * np.log10(255.0**2 / np.mean((np.asarray(x, float) - ref) ** 2)))


def tv_denoise(y, sigma):
    try:
        from skimage.restoration import denoise_tv_chambolle  # optional peer
    except ImportError:
        return None
    return 255.0 * denoise_tv_chambolle(y / 255.0, weight=sigma / 255.0)


def restore(clean, sigma, K, weight, truncation, bp_iter, rng):
    """Noisy picture and the restorations; returns (rows, images) for one sigma."""
    vals = (np.arange(K) + 0.5) * 256.0 / K
    y = clean + rng.normal(0.0, sigma, clean.shape)
    unary = (y[..., None] - vals) ** 2 / (2.0 * sigma**2)
    model = GridMRF(unary, "truncated_linear", weight=weight, truncation=truncation)
    rows, images = [("noisy input", psnr(y, clean), model.energy(model.initial_state()), 0.0)], {}
    images["noisy input"] = y
    for name, run in (("alpha-expansion", lambda: alpha_expansion(model)),
                      ("ICM", model.icm),
                      (f"loopy BP ({bp_iter} it.)",
                       lambda: loopy_bp(model, max_iter=bp_iter, record_energy=False))):
        res = run()
        x = vals[res.labels]
        rows.append((name, psnr(x, clean), res.energy, res.seconds))
        images[name] = x
    t = time.perf_counter()
    med = ndimage.median_filter(y, size=3)
    rows.append(("median 3x3", psnr(med, clean), np.nan, time.perf_counter() - t))
    images["median 3x3"] = med
    t = time.perf_counter()
    tv = tv_denoise(y, sigma)
    if tv is not None:
        rows.append(("TV (skimage chambolle)", psnr(tv, clean), np.nan, time.perf_counter() - t))
        images["TV (skimage chambolle)"] = tv
    return rows, images


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sigmas", type=float, nargs="+", default=[10.0, 20.0, 30.0])
    ap.add_argument("--labels", type=int, default=32, help="grey levels K (32)")
    ap.add_argument("--weight", type=float, default=0.35, help="prior weight w (0.35)")
    ap.add_argument("--truncation", type=float, default=4.0, help="truncation T in levels (4)")
    ap.add_argument("--bp-iter", type=int, default=10, help="loopy BP iterations (10)")
    ap.add_argument("--full", action="store_true", help="the 512 x 512 picture")
    ap.add_argument("--quick", action="store_true",
                    help="a 64 x 64 crop, 8 levels, sigma 20 only (a smoke test)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("-o", "--output", default="denoise_gray.png")
    a = ap.parse_args(argv)
    clean = load_camera(a.full)
    K, sigmas = a.labels, a.sigmas
    if a.quick:
        clean, K, sigmas = clean[40:104, 100:164], 8, [20.0]
    t_all = time.perf_counter()
    alpha_expansion(GridMRF(np.random.default_rng(0).random((6, 6, K)), "truncated_linear"))
    vals = (np.arange(K) + 0.5) * 256.0 / K
    quant = vals[np.argmin(np.abs(clean[..., None] - vals), axis=2)]
    print(f"camera {clean.shape[0]}x{clean.shape[1]} (the cameraman), K={K} "
          f"levels, prior w={a.weight} min(|a-b|, {a.truncation}), seed {a.seed}")
    print(f"clean picture quantised to {K} levels: PSNR {psnr(quant, clean):.2f} dB")
    rng = np.random.default_rng(a.seed)
    shown = None
    for sigma in sigmas:
        rows, images = restore(clean, sigma, K, a.weight, a.truncation, a.bp_iter, rng)
        print(f"\nsigma = {sigma:g}")
        print(f"  {'method':<26}{'PSNR dB':>9}{'energy':>14}{'seconds':>9}")
        for name, p, e, s in rows:
            en = "" if np.isnan(e) else f"{e:.6g}"
            print(f"  {name:<26}{p:9.2f}{en:>14}{s:9.2f}")
        if shown is None or sigma == 20.0:
            shown = (sigma, images, {r[0]: r[1] for r in rows})
    sigma, images, ps = shown
    fig, axes = plt.subplots(1, len(images) + 1, figsize=(2.6 * (len(images) + 1), 3.0))
    axes[0].imshow(clean, cmap="gray", vmin=0, vmax=255)
    axes[0].set_title("clean")
    for ax, (name, img) in zip(axes[1:], images.items()):
        ax.imshow(np.clip(img, 0, 255), cmap="gray", vmin=0, vmax=255)
        ax.set_title(f"{name}\n{ps[name]:.2f} dB", fontsize=8)
    for ax in axes:
        ax.axis("off")
    fig.suptitle(f"sigma = {sigma:g}, K = {K}")
    fig.tight_layout(rect=(0, 0, 1, 0.92))
    fig.savefig(a.output, dpi=100)
    plt.close(fig)
    print(f"\nwrote {a.output}; total {time.perf_counter() - t_all:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
