"""Data helpers (neural.data): split, batches, standardisation, augmentation, digits, IDX."""

import builtins
import gzip
import struct

import numpy as np
import pytest

from neural import (Standardizer, augment, load_digits, minibatches, random_crop, random_flip,
                    read_idx, train_test_split, write_idx)
from neural import data as D


# ----------------------------------------------------------------------------- split, batches
def test_train_test_split_is_a_seeded_partition():
    X = np.arange(40).reshape(20, 2)
    y = np.arange(20)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.25, rng=0)
    assert len(yte) == 5 and len(ytr) == 15
    assert sorted(np.concatenate([ytr, yte]).tolist()) == list(range(20))
    np.testing.assert_array_equal(Xtr[:, 0] // 2, ytr)                 # rows stay paired
    again = train_test_split(X, y, test_size=0.25, rng=0)
    np.testing.assert_array_equal(again[3], yte)
    other = train_test_split(X, y, test_size=0.25, rng=1)
    assert not np.array_equal(other[3], yte)
    labels = np.repeat([0, 1], [12, 8])
    _, yte_s = train_test_split(labels, test_size=0.25, rng=0, stratify=labels)
    assert np.bincount(yte_s).tolist() == [3, 2]
    with pytest.raises(ValueError, match="array 1 has 3 samples"):
        train_test_split(X, y[:3])


def test_minibatches_cover_everything_once_and_follow_rng():
    X = np.arange(10)
    bs = list(minibatches(X, X * 10, batch_size=4, rng=0))
    assert [len(b[0]) for b in bs] == [4, 4, 2]
    allx = np.concatenate([b[0] for b in bs])
    assert sorted(allx.tolist()) == list(range(10))
    np.testing.assert_array_equal(np.concatenate([b[1] for b in bs]), allx * 10)
    again = np.concatenate([b[0] for b in minibatches(X, X, 4, rng=0)])
    np.testing.assert_array_equal(again, allx)
    assert len(list(minibatches(X, batch_size=4, drop_last=True, rng=0))) == 2
    np.testing.assert_array_equal(next(iter(minibatches(X, batch_size=3, shuffle=False))), [0, 1, 2])


def test_standardizer():
    X = np.random.default_rng(0).normal(5, 3, (100, 3))
    X[:, 2] = 7.0
    s = Standardizer().fit(X)
    Z = s.transform(X)
    np.testing.assert_allclose(Z[:, :2].mean(0), 0, atol=1e-12)
    np.testing.assert_allclose(Z[:, :2].std(0), 1, atol=1e-12)
    np.testing.assert_allclose(Z[:, 2], 0)
    np.testing.assert_allclose(s.inverse_transform(Z), X)
    img = np.random.default_rng(1).normal(2, 4, (10, 3, 4, 4)).astype(np.float32)
    Zi = Standardizer(axis=(0, 2, 3)).fit_transform(img)
    assert Zi.dtype == np.float32
    np.testing.assert_allclose(Zi.mean(axis=(0, 2, 3)), 0, atol=1e-5)
    with pytest.raises(ValueError, match="finite"):
        Standardizer().fit(np.array([[1.0], [np.nan]]))


# ----------------------------------------------------------------------------- augmentation
def test_random_crop_is_a_shifted_window_of_the_padded_image():
    imgs = np.random.default_rng(0).random((20, 2, 5, 6))
    out = random_crop(imgs, 2, rng=0)
    assert out.shape == imgs.shape
    padded = np.pad(imgs, ((0, 0), (0, 0), (2, 2), (2, 2)))
    for k in range(20):
        hits = [(dy, dx) for dy in range(5) for dx in range(5)
                if np.array_equal(padded[k, :, dy:dy + 5, dx:dx + 6], out[k])]
        assert hits, f"image {k} is not a crop of its padded version"
    assert not np.array_equal(out, imgs)
    np.testing.assert_array_equal(random_crop(imgs, 2, rng=0), out)


def test_random_flip():
    imgs = np.random.default_rng(0).random((200, 1, 3, 4))
    out = random_flip(imgs, 0.5, rng=1)
    flipped = np.array([np.array_equal(o, i[..., ::-1]) for o, i in zip(out, imgs)])
    same = np.array([np.array_equal(o, i) for o, i in zip(out, imgs)])
    assert np.all(flipped | same) and 70 < flipped.sum() < 130
    assert augment(imgs, crop_padding=1, flip=True, rng=0).shape == imgs.shape


# ----------------------------------------------------------------------------- digits
def test_load_digits():
    pytest.importorskip("sklearn")
    X, y = load_digits()
    assert X.shape == (1797, 1, 8, 8) and X.dtype == np.float32 and y.shape == (1797,)
    assert X.min() == 0 and X.max() == 1 and set(y.tolist()) == set(range(10))
    assert load_digits(as_images=False)[0].shape == (1797, 64)


def test_load_digits_without_sklearn_says_how_to_install(monkeypatch):
    real = builtins.__import__

    def fake(name, *a, **k):
        if name.startswith("sklearn"):
            raise ImportError("no sklearn")
        return real(name, *a, **k)
    monkeypatch.setattr(builtins, "__import__", fake)
    with pytest.raises(ImportError, match=r'pip install "pgm-energy\[data\]"'):
        D.load_digits()


# ----------------------------------------------------------------------------- IDX
def _idx_bytes(arr, code):
    dt = {0x08: ">u1", 0x0C: ">i4", 0x0D: ">f4"}[code]
    return (bytes([0, 0, code, arr.ndim]) + struct.pack(f">{arr.ndim}I", *arr.shape)
            + arr.astype(dt).tobytes())


def test_read_idx_on_files_written_by_hand(tmp_path):
    imgs = np.random.default_rng(0).integers(0, 256, (3, 4, 5)).astype(np.uint8)
    (tmp_path / "img-idx3-ubyte").write_bytes(_idx_bytes(imgs, 0x08))
    np.testing.assert_array_equal(read_idx(tmp_path / "img-idx3-ubyte"), imgs)
    lab = np.array([7, -2, 300000], np.int32)
    with gzip.open(tmp_path / "lab.gz", "wb") as fh:
        fh.write(_idx_bytes(lab, 0x0C))
    out = read_idx(str(tmp_path / "lab.gz"))
    np.testing.assert_array_equal(out, lab)
    assert out.dtype == np.int32 and out.dtype.isnative
    f = np.array([[1.5, -2.25]], np.float32)
    (tmp_path / "f").write_bytes(_idx_bytes(f, 0x0D))
    np.testing.assert_array_equal(read_idx(tmp_path / "f"), f)
    write_idx(tmp_path / "w", imgs)
    assert (tmp_path / "w").read_bytes() == _idx_bytes(imgs, 0x08)
    with pytest.raises(FileExistsError):
        write_idx(tmp_path / "w", imgs)
    write_idx(tmp_path / "w", imgs[:1], overwrite=True)
    np.testing.assert_array_equal(read_idx(tmp_path / "w"), imgs[:1])


def test_mnist_loader(tmp_path):
    imgs = np.random.default_rng(0).integers(0, 256, (4, 28, 28)).astype(np.uint8)
    (tmp_path / "t10k-images-idx3-ubyte").write_bytes(_idx_bytes(imgs, 0x08))
    (tmp_path / "t10k-labels-idx1-ubyte").write_bytes(_idx_bytes(np.arange(4, dtype=np.uint8), 0x08))
    X, y = D.load_mnist(tmp_path, "t10k")
    assert X.shape == (4, 1, 28, 28) and X.max() <= 1 and y.tolist() == [0, 1, 2, 3]
    with pytest.raises(FileNotFoundError, match="train-images"):
        D.load_mnist(tmp_path, "train")


def test_corrupt_and_truncated_idx_are_clear_errors(tmp_path):
    good = _idx_bytes(np.zeros((2, 3, 3), np.uint8), 0x08)
    cases = {
        "trunc": (good[:-1], r"\(2, 3, 3\).*18 data bytes.*17"),
        "extra": (good + b"\x00", r"19 \(truncated or corrupt\)"),
        "magic": (b"\x01" + good[1:], "not an IDX file"),
        "type": (good[:2] + b"\x42" + good[3:], "unknown type code 0x42"),
        "header": (good[:6], "truncated header"),
        "tiny": (b"\x00\x00", "too short"),
    }
    for name, (raw, msg) in cases.items():
        (tmp_path / name).write_bytes(raw)
        with pytest.raises(ValueError, match=msg):
            read_idx(tmp_path / name)
    (tmp_path / "bad.gz").write_bytes(b"not gzip at all")
    with pytest.raises(ValueError, match="cannot read"):
        read_idx(tmp_path / "bad.gz")
