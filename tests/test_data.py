"""Tests for ganzoo.data.loading: every loader on tiny files written in tmp_path.

No test imports TensorFlow or touches the internet: GANZOO_OFFLINE=1 is set for all of
them, and the one download test replaces `keras` with a fake module.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import re
import struct
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import pytest

from ganzoo.contract.imagedata import ImageData
from ganzoo.data import loading as data
from ganzoo.data.loading import (
    load_array_file,
    load_cifar10_binary,
    load_dataset,
    load_embedded,
    load_idx_pair,
    load_image_folder,
    load_path,
    load_standard,
    read_idx,
    standard_search_paths,
)
from ganzoo.errors import DataError, GanzooError

REPO = Path(__file__).resolve().parent.parent

_IDX_CODES = {np.uint8: 0x08, np.int8: 0x09, np.int16: 0x0B, np.int32: 0x0C, np.float32: 0x0D}


def write_idx(path: Path, arr: np.ndarray, gz: bool | None = None) -> Path:
    """Write `arr` as an IDX file (gzipped when the name ends in .gz)."""
    code = _IDX_CODES[arr.dtype.type]
    header = bytes([0, 0, code, arr.ndim]) + struct.pack(f">{arr.ndim}I", *arr.shape)
    payload = header + arr.astype(arr.dtype.newbyteorder(">")).tobytes()
    if gz if gz is not None else path.suffix == ".gz":
        payload = gzip.compress(payload)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(payload)
    return path


def fake_mnist_like(folder: Path, n: int = 20, prefix: str = "train", seed: int = 0) -> None:
    """A tiny 28x28 IDX pair with labels 0..9, laid out like Fashion-MNIST."""
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    labels = (np.arange(n) % 10).astype(np.uint8)
    write_idx(folder / f"{prefix}-images-idx3-ubyte.gz", images)
    write_idx(folder / f"{prefix}-labels-idx1-ubyte.gz", labels)


def fake_cifar_bin(folder: Path, per_file: int = 2) -> None:
    """CIFAR-10 binary batches whose pixels encode (file, record, channel)."""
    folder.mkdir(parents=True, exist_ok=True)
    names = [f"data_batch_{i}.bin" for i in range(1, 6)] + ["test_batch.bin"]
    for f, name in enumerate(names):
        records = []
        for r in range(per_file):
            label = bytes([(f + r) % 10])
            planes = b"".join(bytes([10 * f + r + 100 * c]) * 1024 for c in range(3))
            records.append(label + planes)
        (folder / name).write_bytes(b"".join(records))


def save_png(path: Path, arr: np.ndarray, mode: str | None = None) -> Path:
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    img = Image.fromarray(arr)
    if mode is not None:
        img = img.convert(mode)
    img.save(path)
    return path


@pytest.fixture(autouse=True)
def offline_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test may download, or see the developer's own data folders."""
    monkeypatch.setenv("GANZOO_OFFLINE", "1")
    monkeypatch.delenv("GANZOO_DATA_DIR", raising=False)
    monkeypatch.delenv("KERAS_HOME", raising=False)


# ---------------------------------------------------------------------------
# IDX


@pytest.mark.parametrize("name", ["a-idx3-ubyte", "a-idx3-ubyte.gz"])
def test_idx_round_trip_raw_and_gzip(tmp_path: Path, name: str) -> None:
    arr = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    out = read_idx(write_idx(tmp_path / name, arr))
    assert out.dtype == np.uint8
    np.testing.assert_array_equal(out, arr)


def test_idx_gzip_detected_by_content_not_name(tmp_path: Path) -> None:
    arr = np.arange(6, dtype=np.uint8)
    out = read_idx(write_idx(tmp_path / "labels-no-suffix", arr, gz=True))
    np.testing.assert_array_equal(out, arr)


def test_idx_big_endian_types_come_back_native(tmp_path: Path) -> None:
    arr = np.array([[1, -2], [300000, -7]], dtype=np.int32)
    out = read_idx(write_idx(tmp_path / "x.idx", arr))
    assert out.dtype == np.dtype(np.int32) and out.dtype.isnative
    np.testing.assert_array_equal(out, arr)


def test_idx_bad_magic_names_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad-idx3-ubyte"
    bad.write_bytes(b"\x01\x02\x08\x01" + b"\x00" * 8)
    with pytest.raises(DataError, match=r"bad-idx3-ubyte.*not an IDX file"):
        read_idx(bad)


def test_idx_truncated_file_reports_byte_counts(tmp_path: Path) -> None:
    path = write_idx(tmp_path / "t-idx3-ubyte", np.zeros((4, 5, 5), dtype=np.uint8))
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(DataError, match=r"t-idx3-ubyte.*\(4, 5, 5\).*truncated"):
        read_idx(path)


def test_idx_extra_bytes_also_rejected(tmp_path: Path) -> None:
    path = write_idx(tmp_path / "t-idx1-ubyte", np.zeros(3, dtype=np.uint8))
    path.write_bytes(path.read_bytes() + b"\x00")
    with pytest.raises(DataError, match=r"3 bytes.*4 bytes"):
        read_idx(path)


def test_idx_short_header_and_missing_and_bad_gzip(tmp_path: Path) -> None:
    short = tmp_path / "short"
    short.write_bytes(b"\x00\x00\x08\x03\x00\x00")
    with pytest.raises(DataError, match=r"header is truncated"):
        read_idx(short)
    with pytest.raises(DataError, match=r"cannot read .*nope"):
        read_idx(tmp_path / "nope")
    broken = tmp_path / "broken.gz"
    broken.write_bytes(gzip.compress(b"\x00\x00\x08\x01\x00\x00\x00\x02ab")[:-6])
    with pytest.raises(DataError, match=r"broken.gz.*damaged gzip"):
        read_idx(broken)


def test_load_idx_pair_adds_channel_axis(tmp_path: Path) -> None:
    images = np.arange(3 * 4 * 5, dtype=np.uint8).reshape(3, 4, 5)
    ip = write_idx(tmp_path / "i-idx3-ubyte", images)
    lp = write_idx(tmp_path / "l-idx1-ubyte", np.array([0, 2, 1], dtype=np.uint8))
    d = load_idx_pair(ip, lp, "tiny")
    assert d.images.shape == (3, 4, 5, 1) and d.image_shape == (4, 5, 1) and len(d) == 3
    assert d.labels is not None and d.labels.dtype == np.int64
    assert d.labels.tolist() == [0, 2, 1] and d.num_classes == 3
    assert d.name == "tiny" and str(ip) in d.source and str(lp) in d.source
    np.testing.assert_array_equal(d.images[..., 0], images)

    unlabelled = load_idx_pair(ip, None, "u")
    assert unlabelled.labels is None and unlabelled.num_classes == 0


def test_load_idx_pair_count_mismatch_and_swapped_files(tmp_path: Path) -> None:
    ip = write_idx(tmp_path / "i-idx3-ubyte", np.zeros((3, 2, 2), dtype=np.uint8))
    lp = write_idx(tmp_path / "l-idx1-ubyte", np.zeros(2, dtype=np.uint8))
    with pytest.raises(DataError, match=r"2 labels for 3 images"):
        load_idx_pair(ip, lp, "x")
    with pytest.raises(DataError, match=r"holds labels, not images"):
        load_idx_pair(lp, None, "x")
    with pytest.raises(DataError, match=r"1-D IDX labels"):
        load_idx_pair(ip, ip, "x")


# ---------------------------------------------------------------------------
# .npy / .npz


def test_npy_uint8_gets_channel_axis(tmp_path: Path) -> None:
    arr = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3)
    np.save(tmp_path / "x.npy", arr)
    d = load_array_file(tmp_path / "x.npy")
    assert d.images.shape == (2, 3, 3, 1) and d.labels is None and d.num_classes == 0
    np.testing.assert_array_equal(d.images[..., 0], arr)


@pytest.mark.parametrize("ikey,lkey", [("x", "y"), ("images", "labels"), ("x_train", "y_train")])
def test_npz_keys(tmp_path: Path, ikey: str, lkey: str) -> None:
    imgs = np.full((4, 2, 2, 3), 7, dtype=np.uint8)
    np.savez(tmp_path / "d.npz", **{ikey: imgs, lkey: np.array([0, 1, 1, 4])})
    d = load_array_file(tmp_path / "d.npz")
    assert d.image_shape == (2, 2, 3) and d.labels is not None
    assert d.labels.tolist() == [0, 1, 1, 4] and d.num_classes == 5


def test_npz_positional_array_and_missing_keys(tmp_path: Path) -> None:
    np.savez(tmp_path / "p.npz", np.zeros((2, 3, 3), dtype=np.uint8))
    assert load_array_file(tmp_path / "p.npz").images.shape == (2, 3, 3, 1)
    np.savez(tmp_path / "k.npz", pixels=np.zeros((2, 3, 3), dtype=np.uint8))
    with pytest.raises(DataError, match=r"no image array found.*file has pixels"):
        load_array_file(tmp_path / "k.npz")


def test_float_zero_one_scaled(tmp_path: Path) -> None:
    arr = np.array([0.0, 0.5, 1.0, 1 / 255], dtype=np.float32).reshape(1, 2, 2)
    np.save(tmp_path / "f.npy", arr)
    d = load_array_file(tmp_path / "f.npy")
    assert d.images.dtype == np.uint8
    assert d.images.ravel().tolist() == [0, 128, 255, 1]


def test_float_minus_one_one_mapped(tmp_path: Path) -> None:
    arr = np.array([-1.0, 0.0, 1.0, -0.5], dtype=np.float64).reshape(1, 2, 2)
    np.save(tmp_path / "f.npy", arr)
    assert load_array_file(tmp_path / "f.npy").images.ravel().tolist() == [0, 128, 255, 64]


def test_integer_pixels_in_byte_range_accepted(tmp_path: Path) -> None:
    np.save(tmp_path / "i.npy", np.array([[[0, 255]]], dtype=np.int64))
    assert load_array_file(tmp_path / "i.npy").images.ravel().tolist() == [0, 255]
    np.save(tmp_path / "j.npy", np.array([[[0, 256]]], dtype=np.int64))
    with pytest.raises(DataError, match=r"\[0, 256\]"):
        load_array_file(tmp_path / "j.npy")


@pytest.mark.parametrize(
    "arr,pattern",
    [
        (np.array([[[0.0, 255.0]]]), r"range over \[0, 255\].*divide"),
        (np.array([[[-2.0, 1.0]]]), r"range over \[-2, 1\]"),
        (np.array([[[0.0, np.nan]]]), "NaN"),
        (np.array([[[0.0, np.inf]]]), "infinite"),
        (np.zeros((2, 3), dtype=np.uint8), r"shape \(2, 3\)"),
        (np.zeros((1, 2, 2, 2, 2), dtype=np.uint8), r"shape \(1, 2, 2, 2, 2\)"),
        (np.zeros((1, 2, 2, 4), dtype=np.uint8), "4 channels.*alpha"),
        (np.zeros((1, 2, 2), dtype=bool), "dtype bool"),
        (np.zeros((0, 2, 2), dtype=np.uint8), "no pixels"),
    ],
)
def test_bad_arrays_rejected(tmp_path: Path, arr: np.ndarray, pattern: str) -> None:
    np.save(tmp_path / "bad.npy", arr)
    with pytest.raises(DataError, match=pattern):
        load_array_file(tmp_path / "bad.npy")


def test_bad_labels_rejected(tmp_path: Path) -> None:
    imgs = np.zeros((2, 2, 2), dtype=np.uint8)
    np.savez(tmp_path / "a.npz", x=imgs, y=np.array([0.5, 1.0]))
    with pytest.raises(DataError, match=r"integer class ids"):
        load_array_file(tmp_path / "a.npz")
    np.savez(tmp_path / "b.npz", x=imgs, y=np.array([0, -1]))
    with pytest.raises(DataError, match=r"negative"):
        load_array_file(tmp_path / "b.npz")


def test_pickled_objects_never_loaded(tmp_path: Path) -> None:
    np.save(tmp_path / "o.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(DataError, match=r"for safety"):
        load_array_file(tmp_path / "o.npy")
    obj = np.empty(2, dtype=object)
    np.savez(tmp_path / "o.npz", x=obj)
    with pytest.raises(DataError, match=r"for safety"):
        load_array_file(tmp_path / "o.npz")


def test_garbage_npy_and_wrong_suffix(tmp_path: Path) -> None:
    (tmp_path / "g.npz").write_bytes(b"PK not really a zip")
    with pytest.raises(DataError, match=r"g.npz"):
        load_array_file(tmp_path / "g.npz")
    with pytest.raises(DataError, match=r"\.npy or \.npz"):
        load_array_file(tmp_path / "g.csv")


# ---------------------------------------------------------------------------
# Image folders


def test_image_folder_class_subfolders(tmp_path: Path) -> None:
    grey = np.zeros((5, 4), dtype=np.uint8)
    save_png(tmp_path / "dogs" / "a.png", grey + 10)
    save_png(tmp_path / "dogs" / "deep" / "b.PNG", grey + 20)
    save_png(tmp_path / "cats" / "c.png", grey + 30)
    save_png(tmp_path / ".hidden" / "x.png", np.zeros((9, 9), dtype=np.uint8))
    d = load_image_folder(tmp_path)
    assert d.class_names == ("cats", "dogs") and d.num_classes == 2
    assert d.images.shape == (3, 5, 4, 1)
    assert d.labels is not None
    by_value = {int(img[0, 0, 0]): int(lab) for img, lab in zip(d.images, d.labels, strict=True)}
    assert by_value == {30: 0, 10: 1, 20: 1}


def test_image_folder_flat_is_unlabelled_and_modes_converted(tmp_path: Path) -> None:
    rgb = np.zeros((3, 3, 3), dtype=np.uint8)
    rgb[..., 0] = 204  # a web-palette value, so the GIF keeps it exactly
    save_png(tmp_path / "a.png", rgb, mode="RGBA")
    save_png(tmp_path / "b.gif", rgb, mode="P")
    save_png(tmp_path / "c.bmp", rgb)
    d = load_image_folder(tmp_path)
    assert d.labels is None and d.num_classes == 0 and d.class_names == ()
    assert d.images.shape == (3, 3, 3, 3)
    assert (d.images[..., 0] == 204).all() and (d.images[..., 1:] == 0).all()


def test_image_folder_mixed_grey_and_rgb_becomes_rgb(tmp_path: Path) -> None:
    save_png(tmp_path / "g.png", np.full((2, 2), 77, dtype=np.uint8))
    save_png(tmp_path / "j.jpg", np.full((2, 2, 3), 255, dtype=np.uint8))
    d = load_image_folder(tmp_path)
    assert d.image_shape == (2, 2, 3)
    assert d.images[0].tolist() == np.full((2, 2, 3), 77).tolist()


def test_image_folder_grey_only_stays_one_channel_16bit_scaled(tmp_path: Path) -> None:
    save_png(tmp_path / "a.png", np.full((2, 3), 65535, dtype=np.uint16))
    save_png(tmp_path / "b.png", np.full((2, 3), 5, dtype=np.uint8))
    d = load_image_folder(tmp_path)
    assert d.image_shape == (2, 3, 1)
    assert d.images[:, 0, 0, 0].tolist() == [255, 5]


def test_image_folder_mixed_sizes_names_both_files(tmp_path: Path) -> None:
    save_png(tmp_path / "a.png", np.zeros((4, 4), dtype=np.uint8))
    save_png(tmp_path / "b.png", np.zeros((4, 6), dtype=np.uint8))
    with pytest.raises(DataError, match=r"a\.png is 4x4 but .*b\.png is 6x4; resize"):
        load_image_folder(tmp_path)


def test_image_folder_empty_and_broken(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("no images here")
    with pytest.raises(DataError, match=r"no images found"):
        load_image_folder(tmp_path)
    (tmp_path / "x.png").write_bytes(b"not a png")
    with pytest.raises(DataError, match=r"x\.png: not a readable image"):
        load_image_folder(tmp_path)


def test_image_folder_top_level_and_subfolders_mixed(tmp_path: Path) -> None:
    save_png(tmp_path / "a.png", np.zeros((2, 2), dtype=np.uint8))
    save_png(tmp_path / "cls" / "b.png", np.zeros((2, 2), dtype=np.uint8))
    with pytest.raises(DataError, match=r"both directly inside"):
        load_image_folder(tmp_path)


# ---------------------------------------------------------------------------
# CIFAR-10 binary


def test_cifar_binary_reader_layout(tmp_path: Path) -> None:
    fake_cifar_bin(tmp_path / "cifar-10-batches-bin")
    d = load_cifar10_binary(tmp_path / "cifar-10-batches-bin")
    assert d.images.shape == (10, 32, 32, 3) and d.num_classes == 10
    assert d.class_names[0] == "airplane" and d.class_names[9] == "truck"
    # record r of batch file f: channel c is filled with 10f + r + 100c (CHW -> HWC)
    assert d.images[3, 5, 7].tolist() == [11, 111, 211]
    assert d.labels is not None and d.labels[:4].tolist() == [0, 1, 1, 2]
    t = load_cifar10_binary(tmp_path / "cifar-10-batches-bin", split="test")
    assert len(t) == 2 and t.images[1, 0, 0].tolist() == [51, 151, 251]


def test_cifar_binary_truncated_and_missing(tmp_path: Path) -> None:
    folder = tmp_path / "c"
    fake_cifar_bin(folder)
    (folder / "data_batch_3.bin").write_bytes(b"\x00" * 100)
    with pytest.raises(DataError, match=r"data_batch_3.bin.*whole number of CIFAR-10 records"):
        load_cifar10_binary(folder)
    (folder / "data_batch_5.bin").unlink()
    with pytest.raises(DataError, match=r"missing: data_batch_5.bin"):
        load_cifar10_binary(folder)


# ---------------------------------------------------------------------------
# load_path dispatch


def test_load_path_dispatch(tmp_path: Path) -> None:
    idx_dir = tmp_path / "idx"
    fake_mnist_like(idx_dir, n=20)
    fake_mnist_like(idx_dir, n=10, prefix="t10k")
    assert len(load_path(idx_dir)) == 20
    test = load_path(idx_dir, split="test")
    assert len(test) == 10 and test.name == str(idx_dir)

    single = load_path(idx_dir / "t10k-images-idx3-ubyte.gz")  # finds its labels beside it
    assert len(single) == 10 and single.labels is not None

    lone = tmp_path / "lone" / "x-idx3-ubyte"
    write_idx(lone, np.zeros((2, 3, 3), dtype=np.uint8))
    assert load_path(lone).labels is None

    np.savez(tmp_path / "d.npz", x=np.zeros((3, 4, 4), dtype=np.uint8))
    assert load_path(tmp_path / "d.npz").image_shape == (4, 4, 1)

    save_png(tmp_path / "imgs" / "a" / "1.png", np.zeros((6, 6), dtype=np.uint8))
    assert load_path(tmp_path / "imgs").class_names == ("a",)

    fake_cifar_bin(tmp_path / "cif" / "cifar-10-batches-bin")
    cif = load_path(tmp_path / "cif")
    assert cif.image_shape == (32, 32, 3) and cif.name == str(tmp_path / "cif")


def test_load_path_errors(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"no such file or folder"):
        load_path(tmp_path / "missing")
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(DataError, match=r"unknown data format"):
        load_path(tmp_path / "notes.txt")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(DataError, match=r"found no data"):
        load_path(empty)
    save_png(tmp_path / "one.png", np.zeros((2, 2), dtype=np.uint8))
    with pytest.raises(DataError, match=r"single image"):
        load_path(tmp_path / "one.png")
    with pytest.raises(DataError, match=r"unknown split"):
        load_path(tmp_path, split="validation")


# ---------------------------------------------------------------------------
# Standard data sets


def test_search_paths_order_and_overrides(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home, sysroot = tmp_path / "home", tmp_path / "sys"
    paths = standard_search_paths("mnist", home=home, system_root=sysroot)
    assert paths == [
        home / ".keras/datasets/mnist",
        home / ".keras/datasets",
        sysroot / "mnist",
    ]
    monkeypatch.setenv("GANZOO_DATA_DIR", str(tmp_path / "dd"))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "kh"))
    paths = standard_search_paths("Fashion_MNIST", home=home, system_root=sysroot)
    assert paths[:4] == [
        tmp_path / "dd/fashion-mnist",
        tmp_path / "dd",
        tmp_path / "kh/datasets/fashion-mnist",
        tmp_path / "kh/datasets",
    ]
    assert paths[4] == sysroot / "fashion-mnist"
    assert standard_search_paths("mnist")[-1] == Path("/usr/share/datasets/mnist")


@pytest.mark.parametrize("sub", ["fashion-mnist", ""])
def test_standard_from_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sub: str) -> None:
    fake_mnist_like(tmp_path / "dd" / sub, n=30)
    fake_mnist_like(tmp_path / "dd" / sub, n=10, prefix="t10k")
    monkeypatch.setenv("GANZOO_DATA_DIR", str(tmp_path / "dd"))
    d = load_standard("fashion-mnist", home=tmp_path, system_root=tmp_path / "sys")
    assert len(d) == 30 and d.name == "fashion-mnist" and d.num_classes == 10
    assert d.class_names[0] == "T-shirt/top" and d.class_names[-1] == "Ankle boot"
    assert d.source.startswith(str(tmp_path / "dd"))
    t = load_standard("fashion-mnist", "test", home=tmp_path, system_root=tmp_path / "sys")
    assert len(t) == 10 and t.name == "fashion-mnist-test"


def test_standard_data_dir_wins_over_keras_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_mnist_like(tmp_path / "dd" / "mnist", n=12)
    fake_mnist_like(tmp_path / ".keras" / "datasets" / "mnist", n=14)
    monkeypatch.setenv("GANZOO_DATA_DIR", str(tmp_path / "dd"))
    assert len(load_standard("mnist", home=tmp_path, system_root=tmp_path / "sys")) == 12


def test_standard_from_fake_keras_cache(tmp_path: Path) -> None:
    fake_mnist_like(tmp_path / ".keras" / "datasets" / "fashion-mnist", n=20)
    d = load_standard("fashion-mnist", home=tmp_path, system_root=tmp_path / "sys")
    assert len(d) == 20 and ".keras" in d.source


def test_standard_mnist_npz_in_keras_cache(tmp_path: Path) -> None:
    cache = tmp_path / ".keras" / "datasets"
    cache.mkdir(parents=True)
    np.savez(
        cache / "mnist.npz",
        x_train=np.zeros((6, 28, 28), dtype=np.uint8),
        y_train=np.arange(6, dtype=np.uint8),
        x_test=np.ones((4, 28, 28), dtype=np.uint8),
        y_test=np.array([9, 8, 7, 6], dtype=np.uint8),
    )
    d = load_standard("mnist", "test", home=tmp_path, system_root=tmp_path / "sys")
    assert len(d) == 4 and d.labels is not None and d.labels.tolist() == [9, 8, 7, 6]
    assert d.class_names == tuple("0123456789") and "mnist.npz" in d.source


def test_standard_from_system_root(tmp_path: Path) -> None:
    fake_mnist_like(tmp_path / "sys" / "mnist", n=8)
    d = load_standard("mnist", home=tmp_path, system_root=tmp_path / "sys")
    assert len(d) == 8 and str(tmp_path / "sys" / "mnist") in d.source


def test_standard_cifar_binary_in_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_cifar_bin(tmp_path / "dd" / "cifar-10-batches-bin")
    monkeypatch.setenv("GANZOO_DATA_DIR", str(tmp_path / "dd"))
    d = load_standard("cifar10", "test", home=tmp_path, system_root=tmp_path / "sys")
    assert d.name == "cifar10-test" and d.image_shape == (32, 32, 3) and len(d) == 2


def test_standard_offline_error_lists_every_place(tmp_path: Path) -> None:
    with pytest.raises(DataError) as info:
        load_standard("mnist", home=tmp_path, system_root=tmp_path / "sys")
    msg = str(info.value)
    for place in standard_search_paths("mnist", home=tmp_path, system_root=tmp_path / "sys"):
        assert str(place) in msg
    assert "GANZOO_OFFLINE" in msg and "GANZOO_DATA_DIR" in msg and "\n" not in msg


def test_standard_offline_error_fashion_suggests_apt(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"apt install dataset-fashion-mnist"):
        load_standard("fashion-mnist", home=tmp_path, system_root=tmp_path / "sys")


def test_standard_cifar_pickle_version_is_not_read(tmp_path: Path) -> None:
    pickled = tmp_path / ".keras" / "datasets" / "cifar-10-batches-py"
    pickled.mkdir(parents=True)
    (pickled / "data_batch_1").write_bytes(b"pickle would run here")
    with pytest.raises(DataError, match=r"python-pickle version at .*not read for safety"):
        load_standard("cifar10", home=tmp_path, system_root=tmp_path / "sys")


def test_standard_wrong_files_and_missing_labels(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dd = tmp_path / "dd" / "mnist"
    write_idx(dd / "train-images-idx3-ubyte.gz", np.zeros((2, 10, 10), dtype=np.uint8))
    monkeypatch.setenv("GANZOO_DATA_DIR", str(tmp_path / "dd"))
    with pytest.raises(DataError, match=r"images but not their labels file"):
        load_standard("mnist", home=tmp_path, system_root=tmp_path / "sys")
    write_idx(dd / "train-labels-idx1-ubyte.gz", np.zeros(2, dtype=np.uint8))
    with pytest.raises(DataError, match=r"\(10, 10, 1\).*\(28, 28, 1\)"):
        load_standard("mnist", home=tmp_path, system_root=tmp_path / "sys")


def test_standard_bad_name_and_split(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"unknown data set 'imagenet'"):
        load_standard("imagenet")
    with pytest.raises(DataError, match=r"unknown split"):
        load_standard("mnist", "valid", home=tmp_path, system_root=tmp_path)


def test_download_fallback_uses_keras_only_when_online(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []

    def load_data() -> tuple:
        calls.append("cifar10")
        x = np.zeros((3, 32, 32, 3), dtype=np.uint8)
        return (x, np.array([[1], [2], [3]])), (x[:1], np.array([[4]]))

    fake = types.ModuleType("keras")
    fake.datasets = types.SimpleNamespace(cifar10=types.SimpleNamespace(load_data=load_data))
    monkeypatch.setitem(sys.modules, "keras", fake)
    with pytest.raises(DataError):
        load_standard("cifar10", home=tmp_path, system_root=tmp_path / "sys")
    assert calls == []  # GANZOO_OFFLINE=1 keeps Keras out of it

    monkeypatch.setenv("GANZOO_OFFLINE", "0")
    d = load_standard("cifar10", home=tmp_path, system_root=tmp_path / "sys")
    assert calls == ["cifar10"] and "keras.datasets.cifar10" in d.source
    assert d.labels is not None and d.labels.tolist() == [1, 2, 3]


def test_download_failure_still_lists_places(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def load_data() -> tuple:
        raise OSError("URL fetch failure\non two lines")

    fake = types.ModuleType("keras")
    fake.datasets = types.SimpleNamespace(mnist=types.SimpleNamespace(load_data=load_data))
    monkeypatch.setitem(sys.modules, "keras", fake)
    monkeypatch.setenv("GANZOO_OFFLINE", "0")
    with pytest.raises(DataError) as info:
        load_standard("mnist", home=tmp_path, system_root=tmp_path / "sys")
    msg = str(info.value)
    assert "URL fetch failure" in msg and str(tmp_path / "sys" / "mnist") in msg
    assert "\n" not in msg


# ---------------------------------------------------------------------------
# Embedded subset


def test_embedded_subset() -> None:
    d = load_embedded()
    assert d.name == "fashion-mnist-10k" and len(d) == 10_000
    assert d.images.dtype == np.uint8 and d.image_shape == (28, 28, 1)
    assert d.labels is not None and np.bincount(d.labels).tolist() == [1000] * 10
    assert d.num_classes == 10 and d.class_names[7] == "Sneaker"
    assert 0 < float(d.images.mean()) < 255


def test_embedded_has_no_test_split() -> None:
    with pytest.raises(DataError, match=r"only a train split.*--dataset fashion-mnist"):
        load_embedded("test")


def test_embedded_readme_hashes_match_files() -> None:
    folder = REPO / "ganzoo" / "datafiles" / "fashion-mnist-10k"
    readme = (folder / "README.md").read_text(encoding="utf-8")
    assert "arXiv:1708.07747" in readme and "Zalando SE" in readme and "MIT" in readme
    for name in ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"):
        digest = hashlib.sha256((folder / name).read_bytes()).hexdigest()
        assert re.search(rf"{digest}\s+{re.escape(name)}", readme)


def test_make_embedded_data_rule_is_deterministic(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("mked", REPO / "tools/make_embedded_data.py")
    assert spec is not None and spec.loader is not None
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)

    src = tmp_path / "src"
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 10, size=200).astype(np.uint8)
    images = np.arange(200, dtype=np.uint8)[:, None, None] * np.ones((1, 28, 28), np.uint8)
    write_idx(src / "train-images-idx3-ubyte.gz", images)
    write_idx(src / "train-labels-idx1-ubyte.gz", labels)
    first = tool.build(src, tmp_path / "a", per_class=3)
    second = tool.build(src, tmp_path / "b", per_class=3)
    assert first == second
    for name in first:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    d = load_path(tmp_path / "a")
    assert d.labels is not None and np.bincount(d.labels).tolist() == [3] * 10
    order = d.images[:, 0, 0, 0].astype(int)  # pixel value == original index
    assert (np.diff(order) > 0).all()
    np.testing.assert_array_equal(labels[order], d.labels)


# ---------------------------------------------------------------------------
# ImageData and load_dataset


def test_image_data_invariants() -> None:
    d = ImageData(np.zeros((2, 3, 4, 1), np.uint8), None, 0, "n", "s")
    assert len(d) == 2 and d.image_shape == (3, 4, 1)
    assert "n=2" in repr(d) and "image_shape=(3, 4, 1)" in repr(d)
    with pytest.raises(ValueError):
        ImageData(np.zeros((2, 3, 4), np.uint8), None, 0, "n", "s")
    with pytest.raises(ValueError):
        ImageData(np.zeros((2, 3, 4, 1), np.uint8), np.zeros(2, np.int32), 1, "n", "s")
    assert issubclass(DataError, GanzooError)


def test_load_dataset_resolves_names_and_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert load_dataset(None).name == "fashion-mnist-10k"
    fake_mnist_like(tmp_path / "dd" / "mnist", n=11)
    monkeypatch.setenv("GANZOO_DATA_DIR", str(tmp_path / "dd"))
    assert load_dataset("MNIST").name == "mnist"
    assert len(load_dataset(str(tmp_path / "dd" / "mnist"))) == 11


def test_import_pulls_in_no_heavy_modules() -> None:
    code = (
        "import sys, ganzoo.data.loading; "
        "bad = [m for m in ('tensorflow', 'keras', 'PIL') if m in sys.modules]; "
        "assert not bad, bad"
    )
    subprocess.run(
        [sys.executable, "-c", code], check=True, cwd=REPO, env={"PYTHONPATH": str(REPO)}
    )


def test_module_constants_consistent() -> None:
    assert set(data.CLASS_NAMES) == set(data.STANDARD_NAMES)
    assert all(len(v) == 10 for v in data.CLASS_NAMES.values())
