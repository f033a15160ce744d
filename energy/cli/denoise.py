"""``pgm-energy denoise IN.png -o OUT.png --method icm|graphcut|gibbs|anneal|meanfield``.

``--gray [--labels K]`` restores a grey-level image instead: K grey levels, Gaussian
likelihood of standard deviation ``--sigma`` (0-255 scale), truncated-linear prior
``--weight`` min(|a - b|, ``--truncation``) on the level indices, minimised by
alpha-expansion (:func:`energy.models.alpha_expansion`); ``--noise`` then adds Gaussian noise
of that standard deviation first, and ``--clean`` reports the PSNR.

Progress (energy per sweep) goes to stderr; a summary line goes to stdout. The input file
is never overwritten.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

from energy.cli._common import positive_int, threshold
from energy.images import add_flip_noise, binarize, error_rate, read_image, write_png
from energy.images import tiled
from energy.models.ising import METHODS, IsingModel, auto_parameters
from energy.models.potts import GridMRF
from energy.models.potts_graphcut import alpha_expansion


def add_parser(sub) -> None:
    """Register ``denoise`` on the subparsers ``sub`` of the ``pgm-energy`` parser."""
    d = sub.add_parser("denoise", help="restore a binary image with the Ising model (PRML 8.3.3)")
    d.add_argument("input", help="input image (PNG, JPEG, ...); binarised by --threshold")
    d.add_argument("-o", "--output", required=True, help="output PNG (must differ from the input)")
    d.add_argument("--method", choices=METHODS, default="icm")
    d.add_argument("--beta", type=float, default=1.0, help="coupling between neighbours (1.0)")
    d.add_argument("--eta", type=float, default=2.1, help="tie to the observed pixel (2.1)")
    d.add_argument("--h", type=float, default=0.0, help="bias (0.0)")
    d.add_argument("--connectivity", type=int, choices=(4, 8), default=4)
    d.add_argument("--noise", type=float, default=0.0,
                   help="first flip this fraction of the pixels (a demo of the noise model)")
    d.add_argument("--seed", type=int, default=0, help="seed for the noise and the samplers")
    d.add_argument("--threshold", type=threshold, default="otsu",
                   help="gray threshold in [0, 1] or 'otsu'")
    d.add_argument("--auto", action="store_true",
                   help="choose beta and eta from the noise rate (--noise, else estimated)")
    d.add_argument("--temperature", type=float, default=1.0, help="for gibbs and meanfield")
    d.add_argument("--sweeps", type=positive_int, default=None,
                   help="sweeps for gibbs/anneal (>= 1)")
    d.add_argument("--clean", help="clean reference image: report the pixel error rate")
    d.add_argument("--quiet", action="store_true", help="no per-sweep progress on stderr")
    g = d.add_argument_group("grey levels (--gray)")
    g.add_argument("--gray", action="store_true",
                   help="grey-level restoration by alpha-expansion (multi-label MRF)")
    g.add_argument("--labels", type=_labels, default=None, metavar="K",
                   help="number of grey levels, 2..256 (32); needs --gray")
    g.add_argument("--sigma", type=_positive_float, default=None,
                   help="noise standard deviation on the 0-255 scale (--noise, else 20)")
    g.add_argument("--weight", type=_positive_float, default=0.35, help="prior weight (0.35)")
    g.add_argument("--truncation", type=_positive_float, default=4.0,
                   help="prior truncation in levels (4)")
    # tiled restoration of images larger than memory (needs the [dask] extra)
    d.add_argument("--tile", type=positive_int, default=None,
                   help="restore tile by tile on Dask: IN and OUT are zarr stores or .npy files")
    d.add_argument("--overlap", type=int, default=None,
                   help="halo of each tile in pixels (default: 16 icm, 32 graphcut, "
                        "2 x sweeps gibbs/anneal: exact)")
    d.set_defaults(func=denoise_main)


def _labels(text):
    k = positive_int(text)
    if not 2 <= k <= 256:
        raise argparse.ArgumentTypeError(f"expected 2..256 grey levels, got {k}")
    return k


def _positive_float(text):
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number > 0, got {text!r}") from None
    if not (np.isfinite(v) and v > 0):
        raise argparse.ArgumentTypeError(f"expected a number > 0, got {v}")
    return v


def gray_main(a) -> int:
    """Grey-level restoration by alpha-expansion (``--gray``)."""
    y = 255.0 * read_image(a.input)
    clean = None
    if a.clean:
        clean = 255.0 * read_image(a.clean)
        if clean.shape != y.shape:
            raise ValueError(f"--clean: the clean image is {clean.shape[1]}x{clean.shape[0]} "
                             f"pixels, the input {y.shape[1]}x{y.shape[0]}")
    if a.noise < 0:
        raise ValueError(f"--noise: with --gray a standard deviation >= 0, got {a.noise}")
    if a.noise:
        y = y + np.random.default_rng(a.seed).normal(0.0, a.noise, y.shape)
    sigma = a.sigma or a.noise or 20.0
    K = a.labels or 32
    vals = (np.arange(K) + 0.5) * 256.0 / K
    unary = (y[..., None] - vals) ** 2 / (2.0 * sigma**2)
    model = GridMRF(unary, "truncated_linear", weight=a.weight, truncation=a.truncation,
                    connectivity=a.connectivity)
    res = alpha_expansion(model)
    if not a.quiet:
        for k, e in enumerate(res.energies):
            print(f"cycle {k + 1:3d}  E={e:.6g}", file=sys.stderr)
    x = np.clip(vals[res.labels] / 255.0, 0.0, 1.0)
    write_png(a.output, x, protect=[a.input] + ([a.clean] if a.clean else []))
    msg = (f"alpha-expansion ({K} levels, sigma {sigma:g}): energy {res.energy:.6g}, "
           f"{res.seconds:.3f} s, wrote {a.output}")
    if clean is not None:
        def psnr(z):
            return 10.0 * np.log10(255.0**2 / np.mean((z - clean) ** 2))
        msg += f", PSNR {psnr(255.0 * x):.2f} dB (input {psnr(y):.2f} dB)"
    print(msg)
    return 0


def denoise_main(a) -> int:
    if a.tile is not None:
        return denoise_tiled(a)
    if a.gray:
        return gray_main(a)
    if a.labels is not None:
        raise ValueError("--labels: needs --gray (grey-level restoration)")
    thr = a.threshold
    y = binarize(read_image(a.input), thr)
    clean = None
    if a.clean:         # checked before any work, so a mismatch never leaves an output behind
        clean = binarize(read_image(a.clean), thr)
        if clean.shape != y.shape:
            raise ValueError(f"--clean: the clean image is {clean.shape[1]}x{clean.shape[0]} "
                             f"pixels, the input {y.shape[1]}x{y.shape[0]}")
    rng = np.random.default_rng(a.seed)
    if a.noise:
        y = add_flip_noise(y, a.noise, rng=rng)
    beta, eta = a.beta, a.eta
    if a.auto:
        par = auto_parameters(y, a.noise or None, connectivity=a.connectivity, h=a.h)
        beta, eta = par["beta"], par["eta"]
        print(f"auto: noise rate {par['noise']:.4f} ({'estimated' if par['noise_estimated'] else 'given'}), "
              f"eta={eta:.4f}, beta={beta:.4f}", file=sys.stderr)
    model = IsingModel(y, beta=beta, eta=eta, h=a.h, connectivity=a.connectivity)
    progress = None if a.quiet else True
    kw = {}
    if a.method in ("icm", "gibbs", "anneal"):
        kw["progress"] = progress
    if a.method in ("gibbs", "anneal"):
        kw["rng"] = rng
        if a.sweeps is not None:
            kw["n_sweeps"] = a.sweeps
    if a.method in ("gibbs", "meanfield"):
        kw["temperature"] = a.temperature
    res = model.restore(a.method, **kw)
    write_png(a.output, res.x, protect=[a.input] + ([a.clean] if a.clean else []))
    msg = f"{a.method}: energy {res.energy:.6g}, {res.seconds:.3f} s, wrote {a.output}"
    if clean is not None:
        msg += f", error rate {100 * error_rate(res.x, clean):.3f}% (input {100 * error_rate(y, clean):.3f}%)"
    print(msg)
    return 0


# ----------------------------------------------------------------------------- --tile
def denoise_tiled(a) -> int:
    """``denoise IN -o OUT --tile N [--overlap M]`` for zarr stores and .npy files.

    Spins -1/+1 (signed integers) or a 0/1 image (bool or unsigned); the output keeps the
    input's convention and dtype, and is written under a temporary name, then renamed.
    """
    if a.method == "meanfield":
        raise ValueError("--method: meanfield has no tiled version; use icm, graphcut, gibbs "
                         "or anneal with --tile")
    for flag, on in (("--auto", a.auto), ("--noise", a.noise), ("--clean", a.clean),
                     ("--connectivity 8", a.connectivity == 8), ("--gray", a.gray),
                     ("--labels", a.labels is not None)):
        if on:
            raise ValueError(f"{flag}: not available with --tile")
    if os.path.abspath(a.output) == os.path.abspath(a.input):
        raise ValueError(f"-o/--output: must differ from the input {a.input!r}")
    y = tiled.open_image(a.input, tile=a.tile)
    binary = y.dtype.kind in "bu"
    spins = y.map_blocks(lambda b: (2 * (b == 1) - 1).astype("int8") if _zero_one(b) else b,
                         dtype="int8") if binary else y
    par = dict(beta=a.beta, eta=a.eta, h=a.h)
    ov = {} if a.overlap is None else {"overlap": a.overlap}
    sweeps = {} if a.sweeps is None else {"n_sweeps": a.sweeps}
    fn = {"icm": lambda: tiled.tiled_icm(spins, **par, **ov),
          "graphcut": lambda: tiled.tiled_graphcut(spins, **par, **ov),
          "gibbs": lambda: tiled.tiled_gibbs(spins, a.temperature, rng=a.seed, **par, **ov,
                                             **sweeps),
          "anneal": lambda: tiled.tiled_anneal(spins, rng=a.seed, **par, **ov, **sweeps)}
    x = fn[a.method]()
    if binary:
        x = (x == 1).astype(y.dtype)
    t0 = time.perf_counter()
    tiled.save_image(x, a.output, overwrite=True)
    print(f"{a.method} (tiled {a.tile}): {y.shape[0]}x{y.shape[1]} pixels in "
          f"{x.numblocks[0] * x.numblocks[1]} tiles, {time.perf_counter() - t0:.3f} s, "
          f"wrote {a.output}")
    return 0


def _zero_one(b) -> bool:
    if not np.all((b == 0) | (b == 1)):
        raise ValueError(f"input: expected 0/1 values in a {b.dtype} image, found "
                         f"{np.unique(b[(b != 0) & (b != 1)])[:5].tolist()}")
    return True
