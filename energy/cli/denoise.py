"""``pgm-energy denoise IN.png -o OUT.png --method icm|graphcut|gibbs|anneal|meanfield``.

Progress (energy per sweep) goes to stderr; a summary line goes to stdout. The input file
is never overwritten.
"""

from __future__ import annotations

import os
import sys
import time

import numpy as np

from energy.cli._common import positive_int, threshold
from energy.images import add_flip_noise, binarize, error_rate, read_image, write_png
from energy.images import tiled
from energy.models.ising import METHODS, IsingModel, auto_parameters


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
    # tiled restoration of images larger than memory (needs the [dask] extra)
    d.add_argument("--tile", type=positive_int, default=None,
                   help="restore tile by tile on Dask: IN and OUT are zarr stores or .npy files")
    d.add_argument("--overlap", type=int, default=None,
                   help="halo of each tile in pixels (default: 16 icm, 32 graphcut, "
                        "2 x sweeps gibbs/anneal: exact)")
    d.set_defaults(func=denoise_main)


def denoise_main(a) -> int:
    if a.tile is not None:
        return denoise_tiled(a)
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
                     ("--connectivity 8", a.connectivity == 8)):
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
