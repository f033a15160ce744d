"""Image helpers: reading, Otsu, binarising, noise, error rate, median baseline, writing, examples."""

import os

import numpy as np
import pytest
from PIL import Image

from energy import images as I


def _halves(h=6, w=8):
    """Left half black, right half white, as uint8."""
    g = np.zeros((h, w), np.uint8)
    g[:, w // 2:] = 255
    return g


# --------------------------------------------------------------------------- shipped examples

def test_shipped_examples_are_binary_sized_and_fresh():
    h = I.load_example("horse")
    c = I.load_example("camera")
    assert h.shape == (328, 400) and c.shape == (512, 512)
    assert h.dtype == np.int8 and c.dtype == np.int8
    assert set(np.unique(h).tolist()) == {-1, 1} and set(np.unique(c).tolist()) == {-1, 1}
    # the horse is a black silhouette on white: mostly white
    assert 0.5 < np.mean(h == 1) < 0.95
    h[0, 0] = -h[0, 0]
    assert I.load_example("horse")[0, 0] == -h[0, 0]          # a new array each call
    assert os.path.isfile(I.example_path("horse"))
    assert I.example_path("camera").endswith("camera_binary.png")
    np.testing.assert_array_equal(I.binarize(I.read_image(I.example_path("camera")), 0.5), c)


@pytest.mark.parametrize("bad", ["zebra", "", None, 3])
def test_unknown_example_names_the_known_ones(bad):
    with pytest.raises(ValueError, match="name: unknown example.*'horse', 'camera'"):
        I.example_path(bad)
    with pytest.raises(ValueError, match="name: unknown example"):
        I.load_example(bad)


# --------------------------------------------------------------------------- reading

def test_write_read_round_trip_of_spins_is_exact(tmp_path):
    s = np.where(np.random.default_rng(0).random((17, 23)) < 0.4, 1, -1).astype(np.int8)
    p = tmp_path / "s.png"
    I.write_png(p, s)
    gray = I.read_image(p)
    assert gray.dtype == np.float64 and gray.shape == (17, 23)
    assert set(np.unique(gray).tolist()) == {0.0, 1.0}
    np.testing.assert_array_equal(I.binarize(gray, 0.5), s)
    with Image.open(p) as im:
        assert im.mode == "L"
        np.testing.assert_array_equal(np.asarray(im), I.spins_to_uint8(s))


def test_write_read_round_trip_of_gray_levels(tmp_path):
    g = np.arange(256, dtype=np.float64).reshape(16, 16) / 255
    I.write_png(tmp_path / "g.png", g)
    np.testing.assert_array_equal(I.read_image(tmp_path / "g.png"), g)


@pytest.mark.parametrize("mode", ["L", "RGB", "RGBA", "LA", "P", "1", "CMYK"])
def test_read_modes(tmp_path, mode):
    g = _halves()
    im = Image.fromarray(g).convert(mode)
    assert im.mode == mode
    p = tmp_path / ("m.tif" if mode == "CMYK" else "m.png")
    im.save(p)
    np.testing.assert_allclose(I.read_image(p), g / 255.0, atol=1e-12)


def test_read_16bit_uses_the_full_16bit_range(tmp_path):
    v = np.array([[0, 255, 256, 32768, 65535]], np.uint16)
    Image.fromarray(v).save(tmp_path / "a.png")
    with Image.open(tmp_path / "a.png") as im:
        assert im.mode.startswith("I")                        # really a 16-bit file
    np.testing.assert_allclose(I.read_image(tmp_path / "a.png"), v / 65535.0)
    # a dark 16-bit image (all values <= 255) is still scaled by 65535, not by 255
    dark = np.array([[0, 100, 255]], np.uint16)
    Image.fromarray(dark).save(tmp_path / "d.png")
    np.testing.assert_allclose(I.read_image(tmp_path / "d.png"), dark / 65535.0)


def test_read_luminance_weights_bt601(tmp_path):
    rgb = np.zeros((1, 3, 3), np.uint8)
    rgb[0, 0, 0] = rgb[0, 1, 1] = rgb[0, 2, 2] = 255            # red, green, blue
    Image.fromarray(rgb).save(tmp_path / "rgb.png")
    np.testing.assert_allclose(I.read_image(tmp_path / "rgb.png")[0], [0.299, 0.587, 0.114])


def test_read_palette_and_alpha_composited_on_white(tmp_path):
    im = Image.new("P", (2, 1))
    im.putpalette([255, 0, 0, 0, 0, 255] + [0] * 762)
    im.putpixel((0, 0), 0)
    im.putpixel((1, 0), 1)
    im.save(tmp_path / "p.png")
    np.testing.assert_allclose(I.read_image(tmp_path / "p.png")[0], [0.299, 0.114])
    # RGBA: black at alpha 0 is white, black at alpha 255 is black, half alpha is gray
    rgba = np.zeros((1, 3, 4), np.uint8)
    rgba[0, :, 3] = [0, 255, 51]
    Image.fromarray(rgba).save(tmp_path / "a.png")
    np.testing.assert_allclose(I.read_image(tmp_path / "a.png")[0], [1.0, 0.0, 0.8])
    la = np.array([[[0, 0], [255, 0], [0, 255], [100, 255]]], np.uint8)
    Image.fromarray(la, "LA").save(tmp_path / "la.png")
    np.testing.assert_allclose(I.read_image(tmp_path / "la.png")[0], [1, 1, 0, 100 / 255])


def test_read_jpeg_and_pathlike_and_str(tmp_path):
    g = _halves(16, 16)
    Image.fromarray(g).convert("RGB").save(tmp_path / "j.jpg", quality=95)
    out = I.read_image(str(tmp_path / "j.jpg"))
    assert out.shape == (16, 16)
    np.testing.assert_array_equal(I.binarize(out, 0.5), np.where(g > 127, 1, -1))


def test_read_float_and_int32_images_out_of_range(tmp_path):
    Image.fromarray(np.array([[0.0, 0.5]], np.float32), "F").save(tmp_path / "f.tif")
    np.testing.assert_allclose(I.read_image(tmp_path / "f.tif"), [[0.0, 0.5]])
    Image.fromarray(np.array([[0.0, 2.0]], np.float32), "F").save(tmp_path / "f2.tif")
    with pytest.raises(ValueError, match="path: .*f2.tif.*outside \\[0, 1\\]"):
        I.read_image(tmp_path / "f2.tif")
    Image.fromarray(np.array([[0, 70000]], np.int32), "I").save(tmp_path / "i.tif")
    with pytest.raises(ValueError, match="path: .*i.tif.*16-bit"):
        I.read_image(tmp_path / "i.tif")


def test_read_missing_folder_text_and_truncated_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="path: no such image file.*nope.png"):
        I.read_image(tmp_path / "nope.png")
    with pytest.raises(ValueError, match="path: .* is a folder"):
        I.read_image(tmp_path)
    (tmp_path / "t.png").write_text("not an image")
    with pytest.raises(ValueError, match="path: could not decode .*t.png"):
        I.read_image(tmp_path / "t.png")
    (tmp_path / "empty.png").write_bytes(b"")
    with pytest.raises(ValueError, match="could not decode .*empty.png"):
        I.read_image(tmp_path / "empty.png")
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 256, (64, 64), dtype=np.uint8)).save(tmp_path / "ok.png")
    data = (tmp_path / "ok.png").read_bytes()
    (tmp_path / "cut.png").write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="path: could not decode .*cut.png"):
        I.read_image(tmp_path / "cut.png")


def test_read_image_with_no_pixels(tmp_path, monkeypatch):
    # Pillow refuses to write a 0-pixel file, so stand in for the decoder
    (tmp_path / "z.png").write_bytes(b"x")
    monkeypatch.setattr(Image, "open", lambda fh: Image.new("L", (0, 5)))
    with pytest.raises(ValueError, match="path: image .*z.png.* has no pixels"):
        I.read_image(tmp_path / "z.png")


# --------------------------------------------------------------------------- Otsu and binarize

def _otsu_brute_force(gray):
    """Try every split of the 256 levels; between-class variance straight from the definition."""
    q = np.rint(gray * 255).ravel()
    best_k, best_v = None, -1.0
    for k in range(256):
        a, b = q[q <= k], q[q > k]
        if a.size == 0 or b.size == 0:
            continue
        v = a.size * b.size * (a.mean() - b.mean()) ** 2 / q.size ** 2
        if v > best_v * (1 + 1e-12):
            best_k, best_v = k, v
    return (best_k + 0.5) / 255


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_otsu_splits_a_bimodal_image_like_brute_force(seed):
    rng = np.random.default_rng(seed)
    g = np.clip(np.concatenate([rng.normal(0.25, 0.05, 3000), rng.normal(0.7, 0.08, 5000)]), 0, 1)
    g = rng.permutation(g).reshape(80, 100)
    t = I.otsu_threshold(g)
    assert 0.25 + 0.05 < t < 0.7 - 0.05                   # between the modes
    assert t == pytest.approx(_otsu_brute_force(g), abs=1e-12)
    s = I.binarize(g)                                     # default "otsu"
    np.testing.assert_array_equal(s, np.where(g > t, 1, -1))


def test_otsu_two_levels_and_skewed():
    g = np.array([[0.0, 0.0, 0.0, 1.0]])
    t = I.otsu_threshold(g)
    assert 0 < t < 1 and t == pytest.approx(_otsu_brute_force(g))
    g = np.random.default_rng(4).random((30, 30)) ** 3
    assert I.otsu_threshold(g) == pytest.approx(_otsu_brute_force(g), abs=1e-12)


@pytest.mark.parametrize("g", [np.full((3, 3), 0.5), np.array([[0.5, 0.5005]]), np.zeros((1, 1))])
def test_otsu_refuses_a_constant_image(g):
    with pytest.raises(ValueError, match="gray: cannot threshold a constant image; pass threshold="):
        I.otsu_threshold(g)
    with pytest.raises(ValueError, match="constant image"):
        I.binarize(g)
    I.binarize(g, 0.5)                                     # an explicit threshold is fine


@pytest.mark.parametrize("fn", [I.otsu_threshold, lambda g: I.binarize(g, 0.5)])
def test_gray_input_is_validated(fn):
    with pytest.raises(ValueError, match="gray: expected values in \\[0, 1\\].*/ 255"):
        fn(np.array([[0, 255]]))
    with pytest.raises(ValueError, match="gray: expected values in \\[0, 1\\]"):
        fn(np.array([[-0.1, 0.5]]))
    with pytest.raises(ValueError, match="gray: must be finite"):
        fn(np.array([[np.nan, 0.5]]))
    with pytest.raises(ValueError, match="gray: expected a 2-D array"):
        fn(np.zeros((2, 2, 3)))
    with pytest.raises(ValueError, match="gray: expected at least 1"):
        fn(np.zeros((0, 3)))
    with pytest.raises(TypeError, match="gray"):
        fn(np.array([["a", "b"]]))


def test_binarize_strict_greater_and_threshold_checks():
    g = np.array([[0.1, 0.9], [0.5, 0.4]])
    np.testing.assert_array_equal(I.binarize(g, 0.5), [[-1, 1], [-1, -1]])
    assert I.binarize(g, 0.5).dtype == np.int8
    np.testing.assert_array_equal(I.binarize(g, 1.0), -np.ones((2, 2)))
    np.testing.assert_array_equal(I.binarize(np.array([[True, False]]), 0.5), [[1, -1]])
    for bad in (2.0, -0.1, float("nan")):
        with pytest.raises(ValueError, match="threshold"):
            I.binarize(g, bad)
    with pytest.raises(ValueError, match="threshold: expected a number in \\[0, 1\\] or 'otsu'"):
        I.binarize(g, "mean")
    with pytest.raises(TypeError, match="threshold"):
        I.binarize(g, None)


# --------------------------------------------------------------------------- conversions

def test_to_spins_accepts_only_bool_or_01():
    np.testing.assert_array_equal(I.to_spins([[0, 1]]), [[-1, 1]])
    np.testing.assert_array_equal(I.to_spins(np.array([[True, False]])), [[1, -1]])
    np.testing.assert_array_equal(I.to_spins(np.array([[0.0, 1.0]])), [[-1, 1]])
    assert I.to_spins([[0, 1]]).dtype == np.int8
    with pytest.raises(ValueError, match="binary: expected only 0/1.*spins already"):
        I.to_spins([[-1, 1]])
    with pytest.raises(ValueError, match="binary: expected only 0/1.*255"):
        I.to_spins(np.array([[0, 255]], np.uint8))
    with pytest.raises(ValueError, match="binary: expected only 0/1"):
        I.to_spins([[0, 0.5]])
    with pytest.raises(ValueError, match="binary: must be finite"):
        I.to_spins([[0, np.nan]])
    with pytest.raises(ValueError, match="binary: expected a 2-D"):
        I.to_spins([0, 1])


def test_spins_to_uint8_and_back():
    s = np.array([[1, -1], [-1, 1]], np.int8)
    u = I.spins_to_uint8(s)
    assert u.dtype == np.uint8
    np.testing.assert_array_equal(u, [[255, 0], [0, 255]])
    np.testing.assert_array_equal(I.to_spins(u // 255), s)
    with pytest.raises(ValueError, match="spins: spins must be -1 or \\+1"):
        I.spins_to_uint8([[0, 1]])
    with pytest.raises(ValueError, match="spins: expected a 2-D"):
        I.spins_to_uint8([1, -1])


# --------------------------------------------------------------------------- noise

def test_flip_noise_rate_reproducibility_and_input_untouched():
    clean = np.ones((512, 512), np.int8)
    clean[:, :200] = -1
    before = clean.copy()
    a = I.add_flip_noise(clean, 0.1, rng=5)
    b = I.add_flip_noise(clean, 0.1, rng=5)
    c = I.add_flip_noise(clean, 0.1, rng=6)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    np.testing.assert_array_equal(clean, before)
    assert a.dtype == np.int8 and set(np.unique(a).tolist()) == {-1, 1}
    n = clean.size
    frac = I.error_rate(a, clean)
    assert abs(frac - 0.1) < 5 * np.sqrt(0.1 * 0.9 / n)
    # a shared Generator advances: two draws differ
    g = np.random.default_rng(0)
    assert not np.array_equal(I.add_flip_noise(clean, 0.1, g), I.add_flip_noise(clean, 0.1, g))


def test_flip_noise_rate_zero_changes_nothing_and_returns_a_copy():
    clean = np.ones((20, 20), np.int8)
    out = I.add_flip_noise(clean, 0.0, rng=1)
    np.testing.assert_array_equal(out, clean)
    out[0, 0] = -1
    assert clean[0, 0] == 1


def test_flip_noise_errors():
    clean = np.ones((4, 4), np.int8)
    for bad in (-0.1, 1.0, 1.5, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="rate"):
            I.add_flip_noise(clean, bad)
    with pytest.raises(TypeError, match="rate"):
        I.add_flip_noise(clean, "0.1")
    with pytest.raises(ValueError, match="spins"):
        I.add_flip_noise(np.zeros((4, 4)), 0.1)
    with pytest.raises(TypeError, match="rng"):
        I.add_flip_noise(clean, 0.1, rng="seed")


# --------------------------------------------------------------------------- error rate, median

def test_error_rate():
    a = np.ones((4, 4), int)
    b = a.copy()
    b[0, 0] = -1
    assert I.error_rate(b, a) == 1 / 16
    assert I.error_rate(a, a) == 0.0 and I.error_rate(-a, a) == 1.0
    with pytest.raises(ValueError, match="x and clean: shapes differ.*\\(4, 4\\).*\\(3, 4\\)"):
        I.error_rate(a, np.ones((3, 4)))
    with pytest.raises(ValueError, match="x: spins must be"):
        I.error_rate(np.zeros((4, 4)), a)
    with pytest.raises(ValueError, match="clean: spins must be"):
        I.error_rate(a, np.zeros((4, 4)))


def _majority_brute_force(s, k):
    r = k // 2
    p = np.pad(s, r, mode="edge")
    out = np.empty_like(s)
    for i in range(s.shape[0]):
        for j in range(s.shape[1]):
            out[i, j] = 1 if p[i:i + k, j:j + k].sum() > 0 else -1
    return out


@pytest.mark.parametrize("k", [1, 3, 5])
def test_median_filter_is_a_majority_vote_with_nearest_borders(k):
    s = np.where(np.random.default_rng(k).random((12, 9)) < 0.5, 1, -1).astype(np.int8)
    out = I.median_filter(s, k)
    assert out.dtype == np.int8
    np.testing.assert_array_equal(out, _majority_brute_force(s, k))


def test_median_filter_removes_isolated_flips_and_checks_size():
    a = np.ones((5, 5), int)
    b = a.copy()
    b[2, 2] = -1
    np.testing.assert_array_equal(I.median_filter(b), a)
    with pytest.raises(ValueError, match="size: must be odd"):
        I.median_filter(b, 2)
    with pytest.raises(ValueError, match="size: must be >= 1"):
        I.median_filter(b, 0)
    with pytest.raises(TypeError, match="size"):
        I.median_filter(b, 3.0)
    with pytest.raises(ValueError, match="spins"):
        I.median_filter(np.zeros((3, 3)))


# --------------------------------------------------------------------------- writing

def test_write_refuses_to_overwrite_the_input(tmp_path):
    src = tmp_path / "in.png"
    I.write_png(src, np.ones((3, 3), int))
    before = src.read_bytes()
    other = -np.ones((3, 3), int)
    for spelling in (src, str(src), tmp_path / "." / "in.png", tmp_path / "x" / ".." / "in.png"):
        with pytest.raises(ValueError, match="path: refusing to overwrite the input file"):
            I.write_png(spelling, other, protect=[src])
    with pytest.raises(ValueError, match="refusing to overwrite the input file"):
        I.write_png(src, other, protect=str(src))             # a single path, not an iterable
    with pytest.raises(ValueError, match="refusing to overwrite the input file"):
        I.write_png(src, other, protect=(tmp_path / "a.png", src), overwrite=True)
    link = tmp_path / "link.png"
    link.symlink_to(src)
    with pytest.raises(ValueError, match="refusing to overwrite the input file"):
        I.write_png(link, other, protect=[src])
    assert src.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["in.png", "link.png"]
    I.write_png(tmp_path / "out.png", other, protect=[src])   # another output is fine
    assert src.read_bytes() == before


def test_write_overwrite_flag_folder_suffix_and_values(tmp_path):
    p = tmp_path / "o.png"
    I.write_png(p, np.ones((2, 2), int))
    first = p.read_bytes()
    with pytest.raises(FileExistsError, match="path: .*o.png.* overwrite=False"):
        I.write_png(p, -np.ones((2, 2), int), overwrite=False)
    assert p.read_bytes() == first
    I.write_png(p, -np.ones((2, 2), int))                     # overwrite=True by default
    np.testing.assert_array_equal(I.read_image(p), np.zeros((2, 2)))
    I.write_png(tmp_path / "new.png", np.ones((2, 2), int), overwrite=False)
    with pytest.raises(FileNotFoundError, match="path: the folder .* does not exist"):
        I.write_png(tmp_path / "no" / "x.png", np.ones((2, 2), int))
    with pytest.raises(ValueError, match="path: expected a file name ending in .png"):
        I.write_png(tmp_path / "x.jpg", np.ones((2, 2), int))
    (tmp_path / "d.png").mkdir()
    with pytest.raises(ValueError, match="path: .* is a folder"):
        I.write_png(tmp_path / "d.png", np.ones((2, 2), int))
    with pytest.raises(ValueError, match="spins_or_gray: expected values in \\[0, 1\\]"):
        I.write_png(tmp_path / "y.png", np.array([[0, 255]], np.uint8))
    with pytest.raises(ValueError, match="spins_or_gray: must be finite"):
        I.write_png(tmp_path / "y.png", np.array([[0.0, np.nan]]))
    with pytest.raises(ValueError, match="spins_or_gray: expected a 2-D"):
        I.write_png(tmp_path / "y.png", np.ones((2, 2, 3)))
    assert not (tmp_path / "y.png").exists()
    assert not [f for f in os.listdir(tmp_path) if f.endswith(".tmp")]


def test_write_float_spins_bool_and_01_give_the_same_picture(tmp_path):
    s = np.array([[1, -1], [-1, 1]])
    I.write_png(tmp_path / "a.png", s.astype(float))
    I.write_png(tmp_path / "b.png", s > 0)
    I.write_png(tmp_path / "c.png", (s > 0).astype(int))
    for name in "abc":
        np.testing.assert_array_equal(I.read_image(tmp_path / f"{name}.png"), (s > 0) * 1.0)


def test_write_failure_leaves_old_file_and_no_temp(tmp_path, monkeypatch):
    p = tmp_path / "o.png"
    I.write_png(p, np.ones((4, 4), int))
    before = p.read_bytes()

    def boom(self, *a, **k):
        raise OSError("disk full")
    monkeypatch.setattr(Image.Image, "save", boom)
    with pytest.raises(OSError, match="disk full"):
        I.write_png(p, -np.ones((4, 4), int))
    assert p.read_bytes() == before
    assert os.listdir(tmp_path) == ["o.png"]
