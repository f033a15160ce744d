"""Image helpers: reading, Otsu, binarising, noise, error rate, writing, shipped examples."""

import numpy as np
import pytest
from PIL import Image

from energy import images as I


def test_shipped_examples_are_binary_and_sized():
    h = I.load_example("horse")
    c = I.load_example("camera")
    assert h.shape == (328, 400) and c.shape == (512, 512)
    assert set(np.unique(h)) == {-1, 1} and h.dtype == np.int8
    with pytest.raises(ValueError, match="name: unknown example"):
        I.example_path("zebra")


def test_write_read_round_trip_is_exact(tmp_path):
    s = np.where(np.random.default_rng(0).random((17, 23)) < 0.4, 1, -1)
    p = tmp_path / "s.png"
    I.write_png(p, s)
    np.testing.assert_array_equal(I.binarize(I.read_image(p), 0.5), s)


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "LA", "P", "I;16", "1"])
def test_read_modes(tmp_path, mode):
    g = np.zeros((6, 8), np.uint8)
    g[:, 4:] = 255
    im = Image.fromarray(g)
    if mode == "I;16":
        im = Image.fromarray((g.astype(np.uint16) * 257))
    else:
        im = im.convert(mode)
    p = tmp_path / f"m.png"
    im.save(p)
    gray = I.read_image(p)
    np.testing.assert_allclose(gray, g / 255.0, atol=1e-6)


def test_luminance_weights(tmp_path):
    rgb = np.zeros((2, 2, 3), np.uint8)
    rgb[..., 0] = 255                       # pure red
    Image.fromarray(rgb).save(tmp_path / "r.png")
    assert I.read_image(tmp_path / "r.png")[0, 0] == pytest.approx(0.299)


def test_missing_and_corrupt_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="path: no such image"):
        I.read_image(tmp_path / "nope.png")
    (tmp_path / "t.png").write_text("not an image")
    with pytest.raises(ValueError, match="could not decode"):
        I.read_image(tmp_path / "t.png")
    Image.fromarray(np.zeros((40, 40), np.uint8)).save(tmp_path / "ok.png")
    data = (tmp_path / "ok.png").read_bytes()
    (tmp_path / "cut.png").write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="cut.png"):
        I.read_image(tmp_path / "cut.png")


def test_otsu_splits_a_bimodal_image_like_brute_force():
    rng = np.random.default_rng(1)
    g = np.clip(np.concatenate([rng.normal(0.25, 0.05, 3000), rng.normal(0.7, 0.08, 5000)]), 0, 1)
    g = g.reshape(80, 100)
    t = I.otsu_threshold(g)
    assert 0.3 < t < 0.65
    q = np.minimum((g * 255).round(), 255)

    def between(k):
        a, b = q[q <= k], q[q > k]
        if a.size == 0 or b.size == 0:
            return -1
        return a.size * b.size * (a.mean() - b.mean()) ** 2
    best = max(range(255), key=between)
    assert t == pytest.approx((best + 0.5) / 255)
    with pytest.raises(ValueError, match="constant image"):
        I.otsu_threshold(np.full((3, 3), 0.5))


def test_binarize_and_conversions():
    g = np.array([[0.1, 0.9], [0.6, 0.4]])
    np.testing.assert_array_equal(I.binarize(g, 0.5), [[-1, 1], [1, -1]])
    with pytest.raises(ValueError, match="gray: expected values in \\[0, 1\\]"):
        I.binarize(g * 3)
    with pytest.raises(ValueError, match="threshold"):
        I.binarize(g, 2.0)
    np.testing.assert_array_equal(I.to_spins([[0, 1]]), [[-1, 1]])
    with pytest.raises(ValueError, match="binary: expected only 0/1"):
        I.to_spins([[0, 2]])
    np.testing.assert_array_equal(I.spins_to_uint8([[1, -1]]), [[255, 0]])


def test_flip_noise_rate_reproducibility_and_input_untouched():
    clean = np.ones((512, 512), np.int8)
    before = clean.copy()
    a = I.add_flip_noise(clean, 0.1, rng=5)
    b = I.add_flip_noise(clean, 0.1, rng=5)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(clean, before)
    n = clean.size
    frac = np.mean(a != clean)
    assert abs(frac - 0.1) < 5 * np.sqrt(0.1 * 0.9 / n)
    np.testing.assert_array_equal(I.add_flip_noise(clean, 0.0, rng=1), clean)
    for bad in (-0.1, 1.0, float("nan")):
        with pytest.raises(ValueError, match="rate"):
            I.add_flip_noise(clean, bad)


def test_error_rate_and_median():
    a = np.ones((4, 4), int)
    b = a.copy()
    b[0, 0] = -1
    assert I.error_rate(b, a) == 1 / 16
    with pytest.raises(ValueError, match="shapes differ"):
        I.error_rate(a, np.ones((3, 4)))
    np.testing.assert_array_equal(I.median_filter(b), a)     # an isolated flip is removed
    with pytest.raises(ValueError, match="size: must be odd"):
        I.median_filter(b, 2)


def test_write_refuses_to_overwrite_the_input(tmp_path):
    src = tmp_path / "in.png"
    I.write_png(src, np.ones((3, 3), int))
    before = src.read_bytes()
    with pytest.raises(ValueError, match="refusing to overwrite the input"):
        I.write_png(tmp_path / "." / "in.png", -np.ones((3, 3), int), protect=[src])
    assert src.read_bytes() == before
    with pytest.raises(FileNotFoundError, match="folder"):
        I.write_png(tmp_path / "no" / "x.png", np.ones((2, 2), int))
