"""The toy 2-D sets and their mode metrics, on hand-made points (no TensorFlow)."""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import numpy as np
import pytest

from ganzoo.artifacts.export import ExportMeta, read_meta
from ganzoo.artifacts.sampling import save
from ganzoo.contract.imagedata import ImageData
from ganzoo.data import toy
from ganzoo.data.loading import open_dataset
from ganzoo.errors import DataError, WeightsError


def ring_mode(k: int) -> np.ndarray:
    angle = 2 * np.pi * k / 8
    return np.array([np.cos(angle), np.sin(angle)])


def test_ring8_and_grid25_follow_the_papers() -> None:
    ring, grid = toy.toy_set("ring8"), toy.toy_set("grid25")
    assert ring.modes == 8 and ring.std == 0.01
    np.testing.assert_allclose(np.linalg.norm(ring.means, axis=1), 1.0)
    np.testing.assert_allclose(ring.means[2], [0.0, 1.0], atol=1e-12)
    assert grid.modes == 25 and grid.std == 0.05
    assert sorted(set(grid.means[:, 0])) == [-4, -2, 0, 2, 4]
    np.testing.assert_array_equal(grid.means[5 * 1 + 3], [-2.0, 2.0])  # mode 5a + b
    assert toy.toy_names() == ("ring8", "grid25")
    with pytest.raises(DataError, match="ring8, grid25"):
        toy.toy_set("ring9")


def test_mode_metrics_exact_counts_on_hand_made_points() -> None:
    std = 0.01
    points = np.array([
        ring_mode(0),                              # on mode 0: high quality
        ring_mode(0) + np.array([0.0, 2.9 * std]),           # 2.9 std from mode 0: high quality
        ring_mode(3) + np.array([3.1 * std, 0.0]),           # 3.1 std from mode 3: low quality
        ring_mode(5) + np.array([-2.0 * std, 2.0 * std]),    # 2.83 std from mode 5: high quality
        [0.0, 0.0],                                # the centre: far from every mode
        (ring_mode(1) + ring_mode(2)) / 2,         # between two modes
    ])
    m = toy.mode_metrics(points, "ring8")
    assert m["samples"] == 6 and m["modes"] == 8
    assert m["high_quality"] == 3
    assert m["high_quality_share"] == pytest.approx(0.5)
    assert m["modes_covered"] == 2 and m["covered"] == [0, 5]
    assert m["missed"] == [1, 2, 3, 4, 6, 7]
    assert m["per_mode"] == [2, 0, 0, 0, 0, 1, 0, 0]
    assert m["threshold_std"] == 3.0 and m["std"] == std
    json.dumps(m)  # JSON-ready, for `ganzoo eval --json`


def test_mode_metrics_assigns_each_sample_to_its_nearest_mode_only() -> None:
    # 0.1 from (2, 2) is 2 std of grid25: high quality for mode (2, 2) and no other.
    points = np.array([[2.1, 2.0], [2.0, 1.9], [-4.0, -4.0], [-4.0, -4.16]])
    m = toy.mode_metrics(points, "grid25")
    assert m["covered"] == [0, 18]          # (-4, -4) is mode 0; (2, 2) is 5 * 3 + 3
    assert m["per_mode"][18] == 2 and m["per_mode"][0] == 1
    assert m["high_quality"] == 3           # 0.16 = 3.2 std: not high quality


def test_mode_metrics_threshold_and_bad_input() -> None:
    point = np.array([ring_mode(4) + np.array([0.0, 0.04])])  # 4 std away
    assert toy.mode_metrics(point, "ring8")["high_quality"] == 0
    assert toy.mode_metrics(point, "ring8", threshold=5.0)["covered"] == [4]
    for bad in (np.zeros((0, 2)), np.zeros((3, 3)), np.zeros(4), np.array([["a", "b"]])):
        with pytest.raises(DataError):
            toy.mode_metrics(bad, "ring8")
    with pytest.raises(DataError):
        toy.mode_metrics(np.zeros((2, 2)), "ring8", threshold=0.0)


def test_non_finite_samples_are_never_high_quality() -> None:
    points = np.array([ring_mode(1), [np.nan, 0.0], [np.inf, np.inf]])
    m = toy.mode_metrics(points, "ring8")
    assert m["samples"] == 3 and m["high_quality"] == 1 and m["covered"] == [1]


def test_collapse_to_one_mode_and_full_coverage() -> None:
    rng = np.random.default_rng(5)
    collapsed = ring_mode(6) + 0.01 * rng.standard_normal((2500, 2))
    m = toy.mode_metrics(collapsed, "ring8")
    assert m["modes_covered"] == 1 and m["covered"] == [6]
    assert 0.97 < m["high_quality_share"] < 1.0


def test_real_test_split_scores_every_mode_and_the_gaussian_mass() -> None:
    for name, modes in (("ring8", 8), ("grid25", 25)):
        data = toy.load_toy(name, "test")
        assert len(data) == toy.EVAL_SAMPLES
        m = toy.mode_metrics(data.images, name)
        assert m["modes_covered"] == modes
        # Mass of a 2-D Gaussian within 3 std: 1 - exp(-4.5) = 0.9889.
        assert m["high_quality_share"] == pytest.approx(1 - np.exp(-4.5), abs=0.01)


def test_splits_are_fixed_labelled_float32_points() -> None:
    train = toy.load_toy("ring8", "train")
    again = toy.load_toy("ring8", "train")
    assert isinstance(train, ImageData) and train.is_points
    assert train.images.dtype == np.float32 and train.images.shape == (100_000, 2)
    np.testing.assert_array_equal(train.images, again.images)
    assert train.num_classes == 8 and train.labels is not None
    assert train.class_names[0] == "mode 0 (1.00, 0.00)"
    # Labels are the modes the points were drawn from.
    nearest = np.linalg.norm(train.images[:, None] - toy.toy_set("ring8").means[None],
                             axis=2).argmin(axis=1)
    assert (nearest == train.labels).all()
    assert train.describe() == "100000 points in 2-D"
    test = toy.load_toy("ring8", "test")
    seen = {tuple(row) for row in train.images.tolist()}
    assert not any(tuple(row) in seen for row in test.images.tolist())  # another draw
    with pytest.raises(DataError):
        toy.load_toy("ring8", "valid")


def test_toy_sets_are_registered_data_sets(catalog) -> None:
    for name in ("ring8", "grid25"):
        data = open_dataset(catalog, name)
        assert data.name == name and data.image_shape == (2,)
    assert "mlp" in catalog.components["generator"]
    assert "mlp" in catalog.components["discriminator"]
    assert "scatter" in catalog.components["visualizer"]
    entry = catalog.models["toy-gan"][0]
    assert entry["dataset"] == "ring8" and entry["components"]["generator"] == "mlp"


def test_image_data_accepts_float32_points_only() -> None:
    points = ImageData(np.zeros((3, 2), np.float32), None, 0, "p", "s")
    assert points.is_points and points.image_shape == (2,)
    images = ImageData(np.zeros((2, 4, 4, 1), np.uint8), None, 0, "i", "s")
    assert not images.is_points and images.describe() == "2 images 4x4x1"
    for bad in (np.zeros((3, 2), np.float64), np.full((3, 2), np.nan, np.float32),
                np.zeros((3, 2), np.uint8)):
        with pytest.raises(ValueError):
            ImageData(bad, None, 0, "p", "s")


def _fake_export(path: Path, shape: list[int]) -> Path:
    meta = ExportMeta(model="toy-gan", entry={}, config={"latent_dim": 2},
                      image_shape=tuple(shape), num_classes=8, data={"name": "ring8"})
    with h5py.File(path, "w") as f:
        f.create_group("generator")
        for key, value in meta.attrs().items():
            f.attrs[key] = value
    return path


def test_export_metadata_reads_point_shapes(tmp_path: Path) -> None:
    meta = read_meta(_fake_export(tmp_path / "p.weights.h5", [2]))
    assert meta.image_shape == (2,) and meta.data == {"name": "ring8"}
    with pytest.raises(WeightsError, match="sample shape"):
        read_meta(_fake_export(tmp_path / "q.weights.h5", [2, 2]))


def test_saving_points_as_npy_and_scatter_png(tmp_path: Path) -> None:
    points = toy.load_toy("ring8", "test").images[:200]
    out = save(points, tmp_path / "p.npy")
    back = np.load(out)
    assert back.shape == (200, 2) and back.dtype == np.float32
    np.testing.assert_array_equal(back, points)
    for dataset in ("ring8", None):
        png = save(points, tmp_path / f"p-{dataset}.png", dataset=dataset)
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
