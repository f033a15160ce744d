"""Binary images for the Ising denoising engine: read, binarise, add noise, compare, write.

Spins are int8 arrays of shape (H, W) with +1 for white and -1 for black. Gray images are
float64 arrays of shape (H, W) with values in [0, 1] (0 = black, 1 = white).

Example
-------
>>> clean = load_example("horse")
>>> clean.shape, clean.dtype
((328, 400), dtype('int8'))
>>> y = add_flip_noise(clean, 0.1, rng=0)
>>> round(error_rate(y, clean), 2)
0.1
"""

from __future__ import annotations

import os
import warnings
from importlib import resources

import numpy as np

from pgm.runtime import check_array, check_finite, check_rng, check_scalar, check_spins

from pgm.runtime import atomic_write

__all__ = ["read_image", "otsu_threshold", "binarize", "to_spins", "spins_to_uint8",
           "add_flip_noise", "error_rate", "median_filter", "write_png", "load_example",
           "example_path", "EXAMPLES"]

#: shipped images (energy/images/data/README.md): name -> file; the binary ones load as spins
EXAMPLES = {"horse": "horse.png", "camera": "camera_binary.png", "camera_gray": "camera_gray.png"}
_GRAY_EXAMPLES = ("camera_gray",)
#: largest image :func:`read_image` decodes (pixels, 8192 x 8192; checked from the header)
MAX_IMAGE_PIXELS = 1 << 26

# ITU-R BT.601 luma weights (the ones Pillow's own "L" conversion approximates in integers).
_LUMA = np.array([0.299, 0.587, 0.114])
_MODES_16BIT = ("I;16", "I;16L", "I;16B", "I;16N")


# --------------------------------------------------------------------------- reading

def read_image(path) -> np.ndarray:
    """Read an image file as grayscale luminance in [0, 1].

    Parameters
    ----------
    path : str or os.PathLike
        Any file Pillow decodes (PNG, JPEG, GIF, TIFF, BMP, ...). Multi-frame files give
        their first frame; an EXIF orientation tag is applied.

    Returns
    -------
    gray : ndarray of float64, shape (H, W)
        Values in [0, 1]. How each Pillow mode is mapped:

        - ``"1"`` (1-bit): 0 or 1.
        - ``"L"`` (8-bit gray): value / 255, exactly.
        - 16-bit gray (``"I;16*"``): value / 65535. Mode ``"I"`` (32-bit int) is taken as
          16-bit and must lie in [0, 65535]; mode ``"F"`` must already lie in [0, 1].
        - colour (``"RGB"``, palette ``"P"``, ``"CMYK"``, ...): converted to RGB by Pillow,
          then luminance ``0.299 R + 0.587 G + 0.114 B`` (ITU-R BT.601), computed in float.
        - with alpha (``"LA"``, ``"RGBA"``, ``"PA"``, a palette with transparency): composited
          on white, ``c * a + (1 - a)``, then as above; the alpha channel is then dropped.

    Raises
    ------
    FileNotFoundError
        No file at ``path``.
    ValueError
        ``path`` is a folder, the file cannot be decoded as an image (not an image,
        truncated, corrupt), its values are out of range, or the image has no pixels.

    Examples
    --------
    >>> gray = read_image(example_path("horse"))
    >>> gray.shape, float(gray.min()), float(gray.max())
    ((328, 400), 0.0, 1.0)
    """
    from PIL import Image  # lazy: Pillow (~45 ms) only for file I/O

    path = os.fspath(path)
    if os.path.isdir(path):
        raise ValueError(f"path: {path!r} is a folder, not an image file")
    try:
        fh = open(path, "rb")
    except FileNotFoundError:
        raise FileNotFoundError(f"path: no such image file: {path!r}") from None
    with fh:
        return _decode(fh, repr(path), Image)


def _decode(fileobj, label: str, Image) -> np.ndarray:
    """Decode an open binary file into gray [0, 1]; errors name ``label`` (the path)."""
    from PIL import ImageOps, UnidentifiedImageError  # lazy: Pillow only for file I/O

    try:
        with warnings.catch_warnings():     # the size is checked below, with the file named
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            im = Image.open(fileobj)
        with im:
            w, h = im.size
            if w * h > MAX_IMAGE_PIXELS:    # before decoding: no allocation for a bomb
                raise ValueError(f"path: {label} is {w}x{h} pixels ({w * h}), over the limit "
                                 f"of {MAX_IMAGE_PIXELS} pixels (energy.images.binary."
                                 f"MAX_IMAGE_PIXELS)")
            im.load()
            im = ImageOps.exif_transpose(im)
            gray = _to_gray(im)
    except Image.DecompressionBombError as exc:     # over Pillow's own limit, seen at open
        raise ValueError(f"path: {label} is too large to decode ({exc})") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        if isinstance(exc, ValueError) and str(exc).startswith("path:"):
            raise ValueError(str(exc).replace("path:", f"path: {label}:", 1)) from None
        raise ValueError(
            f"path: could not decode {label} as an image "
            f"({type(exc).__name__}: {exc})") from None
    if gray.size == 0:
        raise ValueError(f"path: image {label} has no pixels (shape {gray.shape})")
    return gray


def _to_gray(im) -> np.ndarray:
    """Pillow image → float64 (H, W) in [0, 1], per the table in :func:`read_image`."""
    mode = im.mode
    if mode == "1":
        return np.asarray(im, dtype=np.float64)
    if mode == "L":
        return np.asarray(im, dtype=np.float64) / 255.0
    if mode in _MODES_16BIT or mode == "I":
        arr = np.asarray(im).astype(np.float64)
        if arr.size and (arr.min() < 0 or arr.max() > 65535):
            raise ValueError(f"path: 32-bit integer image with values in "
                             f"[{arr.min():g}, {arr.max():g}], expected 16-bit [0, 65535]")
        return arr / 65535.0
    if mode == "F":
        arr = np.asarray(im).astype(np.float64)
        if arr.size and (not np.all(np.isfinite(arr)) or arr.min() < 0 or arr.max() > 1):
            raise ValueError("path: floating-point image with values outside [0, 1] "
                             "(or non-finite); rescale it first")
        return arr
    if mode == "LA":
        la = np.asarray(im, dtype=np.float64) / 255.0
        a = la[..., 1]
        return np.clip(la[..., 0] * a + (1.0 - a), 0.0, 1.0)
    rgba = np.asarray(im.convert("RGBA"), dtype=np.float64) / 255.0
    alpha = rgba[..., 3:4]
    rgb = rgba[..., :3] * alpha + (1.0 - alpha)          # composite on white
    return np.clip(rgb @ _LUMA, 0.0, 1.0)                # clip 1-ulp overshoot of the sum


# --------------------------------------------------------------------------- thresholds

def _check_gray(gray, name: str = "gray") -> np.ndarray:
    """A 2-D finite numeric array with values in [0, 1], as float64."""
    g = check_array(gray, name, ndim=2, dtype_kind="biuf").astype(np.float64)
    check_finite(g, name)
    lo, hi = g.min(), g.max()
    if lo < 0 or hi > 1:
        hint = "; an 8-bit image needs / 255" if hi > 1 and lo >= 0 else ""
        raise ValueError(f"{name}: expected values in [0, 1], got values in [{lo:g}, {hi:g}]{hint}")
    return g


def otsu_threshold(gray) -> float:
    """Otsu's threshold: the gray level that maximises the between-class variance.

    The image is binned into 256 levels (``round(gray * 255)``); for each split
    "levels <= k" versus "levels > k" the between-class variance
    ``w0 w1 (mu0 - mu1)^2`` is computed at once from cumulative sums, and the best k wins
    (the lowest k on ties).

    Parameters
    ----------
    gray : array-like of shape (H, W)
        Values in [0, 1].

    Returns
    -------
    t : float
        ``(k + 0.5) / 255``, halfway between level k and k + 1, so that ``gray > t`` puts
        exactly the levels above k in the bright class.

    Raises
    ------
    ValueError
        ``gray`` is not 2-D, not finite or outside [0, 1], or all of it falls in one level
        (a constant image has no threshold; pass ``threshold=`` to :func:`binarize`).

    Examples
    --------
    >>> g = np.array([[0.1, 0.2], [0.8, 0.9]])
    >>> t = otsu_threshold(g)
    >>> 0.2 < t < 0.8
    True
    """
    g = _check_gray(gray)
    levels = np.rint(g * 255).astype(np.int64).ravel()
    hist = np.bincount(levels, minlength=256).astype(np.float64)
    if np.count_nonzero(hist) < 2:
        raise ValueError(
            f"gray: cannot threshold a constant image; pass threshold= explicitly "
            f"(every pixel falls in gray level {int(levels[0])}/255)")
    p = hist / hist.sum()
    k = np.arange(256, dtype=np.float64)
    w0 = np.cumsum(p)                  # weight of class "levels <= k"
    m0 = np.cumsum(p * k)              # its first moment
    mt = m0[-1]
    w1 = 1.0 - w0
    n0 = np.cumsum(hist)
    valid = (n0 > 0) & (n0 < n0[-1])   # both classes non-empty (exact, on counts)
    with np.errstate(divide="ignore", invalid="ignore"):
        between = (mt * w0 - m0) ** 2 / (w0 * w1)
    between = np.where(valid, between, -np.inf)
    return (int(np.argmax(between)) + 0.5) / 255.0


def binarize(gray, threshold="otsu") -> np.ndarray:
    """Spins from a gray image: +1 where ``gray > threshold``, -1 elsewhere.

    Parameters
    ----------
    gray : array-like of shape (H, W)
        Finite values in [0, 1] (use :func:`read_image` for a file).
    threshold : float in [0, 1] or "otsu", default "otsu"
        "otsu" uses :func:`otsu_threshold`, which refuses a constant image.

    Returns
    -------
    spins : ndarray of int8, shape (H, W)

    Examples
    --------
    >>> binarize(np.array([[0.1, 0.9], [0.6, 0.4]]), 0.5)
    array([[-1,  1],
           [ 1, -1]], dtype=int8)
    """
    g = _check_gray(gray)
    if isinstance(threshold, str):
        if threshold != "otsu":
            raise ValueError(f"threshold: expected a number in [0, 1] or 'otsu', got {threshold!r}")
        t = otsu_threshold(g)
    else:
        t = check_scalar(threshold, "threshold", low=0, high=1)
    return np.where(g > t, 1, -1).astype(np.int8)


# --------------------------------------------------------------------------- conversions

def to_spins(binary) -> np.ndarray:
    """A bool or 0/1 image → spins (1/True → +1, 0/False → -1).

    Parameters
    ----------
    binary : array-like of shape (H, W)
        bool, or numbers that are all exactly 0 or 1. Anything else (±1 spins, 0/255,
        NaN, ...) is an error.

    Returns
    -------
    spins : ndarray of int8, shape (H, W)

    Examples
    --------
    >>> to_spins([[0, 1], [1, 0]])
    array([[-1,  1],
           [ 1, -1]], dtype=int8)
    """
    b = check_array(binary, "binary", ndim=2, dtype_kind="biuf")
    check_finite(b, "binary")
    if b.dtype.kind != "b":
        ok = (b == 0) | (b == 1)
        if not np.all(ok):
            vals = np.unique(b[~ok])[:5].tolist()
            hint = "; this looks like spins already" if np.all((b == 1) | (b == -1)) else ""
            raise ValueError(f"binary: expected only 0/1 (or bool) values, found {vals}{hint}")
    return np.where(b == 1, 1, -1).astype(np.int8)


def spins_to_uint8(spins) -> np.ndarray:
    """Spins → an 8-bit gray image: +1 → 255 (white), -1 → 0 (black).

    Parameters
    ----------
    spins : array-like of shape (H, W), values -1/+1

    Returns
    -------
    ndarray of uint8, shape (H, W)

    Examples
    --------
    >>> spins_to_uint8([[1, -1]])
    array([[255,   0]], dtype=uint8)
    """
    s = check_spins(spins, "spins")
    return np.where(s > 0, 255, 0).astype(np.uint8)


# --------------------------------------------------------------------------- noise, scores, baseline

def add_flip_noise(spins, rate: float, rng=None) -> np.ndarray:
    """Flip each pixel independently with probability ``rate`` (binary symmetric channel).

    Parameters
    ----------
    spins : array-like of shape (H, W), values -1/+1
    rate : float in [0, 1)
    rng : None, int or numpy.random.Generator
        See :func:`pgm.runtime.checks.check_rng`; the same int seed gives the same noise.

    Returns
    -------
    noisy : ndarray of int8, shape (H, W)
        A new array; ``spins`` is never modified.

    Examples
    --------
    >>> x = np.ones((100, 100), np.int8)
    >>> y = add_flip_noise(x, 0.2, rng=0)
    >>> bool(np.all(x == 1)), 0.18 < error_rate(y, x) < 0.22
    (True, True)
    """
    s = check_spins(spins, "spins")
    r = check_scalar(rate, "rate", low=0, high=1, high_inclusive=False)
    flip = check_rng(rng).random(s.shape) < r
    return np.where(flip, -s, s).astype(np.int8)


def error_rate(x, clean) -> float:
    """Fraction of pixels where ``x`` differs from ``clean``.

    Parameters
    ----------
    x, clean : array-like of shape (H, W), values -1/+1, the same shape

    Returns
    -------
    float in [0, 1]

    Examples
    --------
    >>> error_rate([[1, 1], [1, -1]], [[1, 1], [1, 1]])
    0.25
    """
    a = check_spins(x, "x")
    b = check_spins(clean, "clean")
    if a.shape != b.shape:
        raise ValueError(f"x and clean: shapes differ, x has shape {a.shape} and clean {b.shape}")
    return float(np.mean(a != b))


def median_filter(spins, size: int = 3) -> np.ndarray:
    """The classical baseline: a ``size`` × ``size`` majority (median) filter.

    Uses :func:`scipy.ndimage.median_filter` with ``mode="nearest"`` (the border pixel is
    repeated outwards).

    Parameters
    ----------
    spins : array-like of shape (H, W), values -1/+1
    size : odd int >= 1, default 3
        Odd so that the window holds an odd number of ±1 values and the median is ±1.

    Returns
    -------
    ndarray of int8, shape (H, W)

    Examples
    --------
    >>> x = np.ones((3, 3), np.int8); x[1, 1] = -1
    >>> median_filter(x).tolist()
    [[1, 1, 1], [1, 1, 1], [1, 1, 1]]
    """
    from scipy import ndimage  # lazy: scipy.ndimage costs ~0.3 s of import

    s = check_spins(spins, "spins")
    k = check_scalar(size, "size", low=1, integer=True)
    if k % 2 == 0:
        raise ValueError(f"size: must be odd so the median of ±1 values is ±1, got {k}")
    return ndimage.median_filter(s, size=k, mode="nearest").astype(np.int8)


# --------------------------------------------------------------------------- writing

def _same_file(a: str, b: str) -> bool:
    if os.path.realpath(a) == os.path.realpath(b):
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:                     # one of them does not exist
        return False


def write_png(path, spins_or_gray, *, overwrite: bool = True, protect=()) -> None:
    """Write spins or a gray image as an 8-bit grayscale PNG, atomically.

    The PNG goes to a temporary file in the same folder, which then replaces ``path``
    (:func:`os.replace`), so a failed write never leaves a half-written file and never
    destroys an existing one.

    Parameters
    ----------
    path : str or os.PathLike
        Output file; must end in ``.png`` and its folder must exist.
    spins_or_gray : array-like of shape (H, W)
        Spins (every value -1 or +1; +1 → 255, -1 → 0) or a gray image with values in
        [0, 1] (written as ``round(255 * gray)``). An array of 0s and 1s is gray, which
        gives the same picture. Anything else (0..255 values, NaN) is an error.
    overwrite : bool, default True
        If False and ``path`` exists, raise :class:`FileExistsError`.
    protect : path or iterable of paths, default ()
        Input files that must never be overwritten: if ``path`` is any of them (same
        resolved path, or :func:`os.path.samefile`), nothing is written.

    Raises
    ------
    ValueError
        ``path`` is a protected file, a folder or not ``.png``; bad image values.
    FileNotFoundError
        The folder of ``path`` does not exist.
    FileExistsError
        ``overwrite=False`` and ``path`` exists.

    Examples
    --------
    >>> import tempfile
    >>> out = os.path.join(tempfile.mkdtemp(), "out.png")
    >>> write_png(out, load_example("horse"), protect=[example_path("horse")])
    >>> bool(np.all(binarize(read_image(out), 0.5) == load_example("horse")))
    True
    """
    from PIL import Image  # lazy: Pillow (~45 ms) only for file I/O

    path = os.fspath(path)
    if isinstance(protect, (str, bytes, os.PathLike)):
        protect = [protect]
    for p in protect:
        p = os.fsdecode(os.fspath(p))
        if _same_file(path, p):
            raise ValueError(f"path: refusing to overwrite the input file {p!r} "
                             f"(given as output {path!r}); choose another output path")
    if not path.lower().endswith(".png"):
        raise ValueError(f"path: expected a file name ending in .png, got {path!r}")
    if os.path.isdir(path):
        raise ValueError(f"path: {path!r} is a folder, expected a file name")

    arr = check_array(spins_or_gray, "spins_or_gray", ndim=2, dtype_kind="biuf")
    if arr.dtype.kind != "b" and np.all((arr == 1) | (arr == -1)):
        data = spins_to_uint8(arr)
    else:
        data = np.rint(_check_gray(arr, "spins_or_gray") * 255).astype(np.uint8)

    atomic_write(path, lambda fh: Image.fromarray(data).save(fh, format="PNG"),
                 overwrite=overwrite)


# --------------------------------------------------------------------------- shipped examples

def _example_resource(name):
    if not isinstance(name, str) or name not in EXAMPLES:
        raise ValueError(f"name: unknown example {name!r}; known examples: "
                         f"{', '.join(repr(k) for k in EXAMPLES)}")
    return resources.files("energy.images") / "data" / EXAMPLES[name]


def example_path(name: str = "horse") -> str:
    """File path of a shipped example image (package data, see ``energy/images/data/README.md``).

    Parameters
    ----------
    name : {"horse", "camera"}, default "horse"

    Returns
    -------
    str

    Examples
    --------
    >>> os.path.basename(example_path("camera"))
    'camera_binary.png'
    """
    return str(_example_resource(name))


def load_example(name: str = "horse") -> np.ndarray:
    """The clean spins of a shipped binary image.

    Parameters
    ----------
    name : {"horse", "camera"}, default "horse"
        "horse": 328 × 400 silhouette; "camera": 512 × 512 binarised photograph. (The grey
        picture "camera_gray" loads with :func:`load_gray_example`.)

    Returns
    -------
    spins : ndarray of int8, shape (H, W)
        +1 white, -1 black. A new array on every call.

    Examples
    --------
    >>> load_example("camera").shape
    (512, 512)
    """
    from PIL import Image  # lazy: Pillow (~45 ms) only for file I/O

    if name in _GRAY_EXAMPLES:
        raise ValueError(f"name: {name!r} is a grey-level picture; load it with "
                         f"load_gray_example({name!r})")
    res = _example_resource(name)
    with res.open("rb") as fh:
        gray = _decode(fh, repr(str(res)), Image)
    if not np.all((gray == 0) | (gray == 1)):
        raise ValueError(f"name: the shipped example {name!r} is not a black/white image")
    return to_spins(gray)


def load_gray_example(name: str = "camera_gray") -> np.ndarray:
    """A shipped grey-level picture as grey levels 0-255.

    Parameters
    ----------
    name : {"camera_gray"}, default "camera_gray"
        "camera_gray": scikit-image's 512 × 512 ``camera`` photograph (CC0) averaged over
        2 × 2 blocks to 256 × 256 and rounded to 8 bits.

    Returns
    -------
    image : ndarray of float64, shape (H, W)
        Grey levels in [0, 255]. A new array on every call.

    Examples
    --------
    >>> img = load_gray_example()
    >>> img.shape, img.dtype, bool(0 <= img.min() < img.max() <= 255)
    ((256, 256), dtype('float64'), True)
    """
    from PIL import Image  # lazy: Pillow (~45 ms) only for file I/O

    if name not in _GRAY_EXAMPLES:
        raise ValueError(f"name: unknown grey-level example {name!r}; known: "
                         f"{', '.join(repr(k) for k in _GRAY_EXAMPLES)}")
    res = _example_resource(name)
    with res.open("rb") as fh:
        gray = _decode(fh, repr(str(res)), Image)
    return np.round(gray * 255.0)
