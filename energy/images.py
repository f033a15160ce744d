"""Binary images for the Ising denoising engine: read, binarise, add noise, compare, write.

Spins are int8 arrays of shape (H, W) with +1 for white and -1 for black.

Example
-------
>>> clean = load_example("horse")
>>> y = add_flip_noise(clean, 0.1, rng=0)
>>> round(error_rate(y, clean), 2)
0.1
"""

from __future__ import annotations

import os
import tempfile
from importlib import resources

import numpy as np

from pgm.utils import check_array, check_finite, check_rng, check_scalar, check_spins

__all__ = ["read_image", "otsu_threshold", "binarize", "to_spins", "spins_to_uint8",
           "add_flip_noise", "error_rate", "median_filter", "write_png", "load_example",
           "example_path", "EXAMPLES"]

EXAMPLES = {"horse": "horse.png", "camera": "camera_binary.png"}

# ITU-R BT.601 luma weights, as Pillow's "L" conversion uses.
_LUMA = np.array([0.299, 0.587, 0.114])


def read_image(path) -> np.ndarray:
    """Read an image file as grayscale luminance in [0, 1].

    Parameters
    ----------
    path : str or os.PathLike
        Any format Pillow reads (PNG, JPEG, ...). Colour is reduced to luminance with the
        BT.601 weights 0.299 R + 0.587 G + 0.114 B; an alpha channel is composited on white.

    Returns
    -------
    ndarray of float64, shape (H, W)

    Raises
    ------
    FileNotFoundError
        The file does not exist.
    ValueError
        The file cannot be decoded as an image, or has no pixels.
    """
    from PIL import Image, UnidentifiedImageError

    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"path: no such image file: {path!r}")
    try:
        with Image.open(path) as im:
            im.load()
            if im.mode == "P":
                im = im.convert("RGBA")
            if im.mode in ("I;16", "I;16B", "I;16L", "I"):
                arr = np.asarray(im, dtype=np.float64)
                gray = arr / (65535.0 if arr.max() > 255 else 255.0)
            elif im.mode == "1":
                gray = np.asarray(im, dtype=np.float64)
            else:
                rgba = np.asarray(im.convert("RGBA"), dtype=np.float64) / 255.0
                alpha = rgba[..., 3:4]
                rgb = rgba[..., :3] * alpha + (1.0 - alpha)      # composite on white
                gray = rgb @ _LUMA
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        raise ValueError(f"path: could not decode {path!r} as an image ({exc})") from None
    if gray.size == 0:
        raise ValueError(f"path: image {path!r} has no pixels")
    return np.clip(gray, 0.0, 1.0)


def _check_gray(gray, name="gray"):
    g = check_array(gray, name, ndim=2, dtype_kind="biuf").astype(np.float64)
    check_finite(g, name)
    if g.min() < 0 or g.max() > 1:
        raise ValueError(f"{name}: expected values in [0, 1], got [{g.min()}, {g.max()}]")
    return g


def otsu_threshold(gray) -> float:
    """Otsu's threshold: the gray level that maximises the between-class variance.

    Parameters
    ----------
    gray : array-like of shape (H, W), values in [0, 1]

    Returns
    -------
    float, the threshold t in [0, 1]; pixels > t are one class.
    """
    g = _check_gray(gray)
    if g.max() == g.min():
        raise ValueError("gray: cannot threshold a constant image; pass threshold= explicitly")
    hist = np.bincount(np.minimum((g * 255).round().astype(np.int64), 255).ravel(),
                       minlength=256).astype(np.float64)
    p = hist / hist.sum()
    levels = np.arange(256)
    w0 = np.cumsum(p)                 # weight of class 0: levels <= k
    mu = np.cumsum(p * levels)
    w1 = 1.0 - w0
    with np.errstate(divide="ignore", invalid="ignore"):
        between = (mu[-1] * w0 - mu) ** 2 / (w0 * w1)
    between[(w0 == 0) | (w1 <= 1e-15)] = -1.0
    k = int(np.argmax(between))
    return (k + 0.5) / 255.0


def binarize(gray, threshold="otsu") -> np.ndarray:
    """Spins +1 where ``gray > threshold``, -1 elsewhere (int8 (H, W)).

    ``threshold`` is a float in [0, 1] or ``"otsu"`` for :func:`otsu_threshold`.
    """
    g = _check_gray(gray)
    if isinstance(threshold, str):
        if threshold != "otsu":
            raise ValueError(f"threshold: expected a number in [0, 1] or 'otsu', got {threshold!r}")
        t = otsu_threshold(g)
    else:
        t = check_scalar(threshold, "threshold", low=0, high=1)
    return np.where(g > t, 1, -1).astype(np.int8)


def to_spins(binary) -> np.ndarray:
    """Bool or 0/1 array → spins (1 → +1, 0 → -1), int8 (H, W)."""
    b = check_array(binary, "binary", ndim=2, dtype_kind="biuf")
    check_finite(b, "binary")
    if not np.all((b == 0) | (b == 1)):
        raise ValueError(f"binary: expected only 0/1 (or bool) values, found {np.unique(b)[:5].tolist()}")
    return np.where(b == 1, 1, -1).astype(np.int8)


def spins_to_uint8(spins) -> np.ndarray:
    """Spins → an 8-bit image: +1 → 255 (white), -1 → 0 (black)."""
    s = check_spins(spins, "spins")
    return np.where(s > 0, 255, 0).astype(np.uint8)


def add_flip_noise(spins, rate: float, rng=None) -> np.ndarray:
    """Flip each pixel independently with probability ``rate`` (a new array).

    Parameters
    ----------
    spins : array-like of shape (H, W), values ±1
    rate : float in [0, 1)
    rng : None, int or numpy.random.Generator

    Returns
    -------
    ndarray of int8, shape (H, W); the input is not modified.
    """
    s = check_spins(spins, "spins")
    r = check_scalar(rate, "rate", low=0, high=1, high_inclusive=False)
    flip = check_rng(rng).random(s.shape) < r
    return np.where(flip, -s, s).astype(np.int8)


def error_rate(x, clean) -> float:
    """Fraction of pixels where ``x`` differs from ``clean`` (both spins of one shape)."""
    a = check_spins(x, "x")
    b = check_spins(clean, "clean")
    if a.shape != b.shape:
        raise ValueError(f"x and clean: shapes differ, x {a.shape} vs clean {b.shape}")
    return float(np.mean(a != b))


def median_filter(spins, size: int = 3) -> np.ndarray:
    """The classical baseline: a size × size median of the spins (borders: nearest pixel)."""
    from scipy import ndimage

    s = check_spins(spins, "spins")
    k = check_scalar(size, "size", low=1, integer=True)
    if k % 2 == 0:
        raise ValueError(f"size: must be odd so the median of ±1 values is ±1, got {k}")
    return ndimage.median_filter(s, size=k, mode="nearest").astype(np.int8)


def write_png(path, image, *, protect=()) -> None:
    """Write spins (±1) or a gray image in [0, 1] as an 8-bit grayscale PNG, atomically.

    The data goes to a temporary file in the same folder, then replaces ``path``, so a
    failed write never leaves a half-written file. ``protect`` lists input files that must
    never be overwritten: if ``path`` is one of them, nothing is written and a ValueError
    is raised.
    """
    from PIL import Image

    path = os.fspath(path)
    for p in protect:
        p = os.fspath(p)
        same = (os.path.exists(path) and os.path.exists(p) and os.path.samefile(path, p)) or \
            os.path.realpath(path) == os.path.realpath(p)
        if same:
            raise ValueError(f"path: refusing to overwrite the input file {p!r}; choose another output")
    arr = np.asarray(image)
    if arr.dtype.kind in "iu" and np.all((arr == 1) | (arr == -1)):
        data = spins_to_uint8(arr)
    else:
        data = (np.round(_check_gray(arr, "image") * 255)).astype(np.uint8)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"path: the folder {folder!r} does not exist")
    fd, tmp = tempfile.mkstemp(suffix=".png", dir=folder)
    try:
        with os.fdopen(fd, "wb") as fh:
            Image.fromarray(data).save(fh, format="PNG")
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def example_path(name: str = "horse") -> str:
    """Path of a shipped example image (see ``energy/data/README.md``): "horse" or "camera"."""
    if name not in EXAMPLES:
        raise ValueError(f"name: unknown example {name!r}; known: {', '.join(EXAMPLES)}")
    return str(resources.files("energy") / "data" / EXAMPLES[name])


def load_example(name: str = "horse") -> np.ndarray:
    """The clean spins of a shipped binary image: "horse" (328 × 400) or "camera" (512 × 512)."""
    return binarize(read_image(example_path(name)), 0.5)
