"""The parts behind the visualizers, without TensorFlow: slerp, pixel histograms, nearest
neighbours, GIF writing, skipping non-image data, and the HTML report of a hand-made run."""

from __future__ import annotations

import csv
import hashlib
import json
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ganzoo.artifacts.images import save_gif
from ganzoo.contract.visual import VisualContext
from ganzoo.engine.latent import interpolation_paths, slerp
from ganzoo.visual.neighbours import nearest
from ganzoo.visual.pixelstats import pixel_histogram, total_variation


def test_slerp_ends_at_its_endpoints_and_stays_on_the_sphere() -> None:
    a, b = np.array([1.0, 0.0, 0.0]), np.array([0.0, 1.0, 0.0])
    path = slerp(a, b, np.linspace(0, 1, 5))
    assert np.allclose(path[0], a) and np.allclose(path[-1], b)
    assert np.allclose(np.linalg.norm(path, axis=1), 1.0, atol=1e-6)  # lerp's midpoint: 0.707
    assert np.allclose(slerp(a, b, 0.5), [2 ** -0.5, 2 ** -0.5, 0.0], atol=1e-6)
    same = slerp(a, 2 * a, np.array([0.5]))  # parallel: falls back to lerp, no NaN
    assert np.allclose(same, [[1.5, 0.0, 0.0]])


def test_interpolation_paths_shape() -> None:
    rng = np.random.default_rng(0)
    paths = interpolation_paths(rng.standard_normal((3, 100)), rng.standard_normal((3, 100)), 7)
    assert paths.shape == (3, 7, 100) and np.isfinite(paths).all()


@pytest.mark.parametrize("channels", [1, 3])
def test_pixel_histogram_bins_sum_to_the_sample_count(channels: int) -> None:
    images = np.random.default_rng(1).random((13, 9, 7, channels)).astype(np.float32)
    images[0, 0, 0] = 1.0  # the top edge belongs to the last bin
    images[0, 0, 1] = 0.0
    hist = pixel_histogram(images, bins=16)
    assert hist.counts.shape == (channels, 16) and len(hist.edges) == 17
    assert (hist.counts.sum(axis=1) == 13 * 9 * 7).all()
    assert np.allclose(hist.density.sum(axis=1), 1.0)
    assert np.allclose(total_variation(hist, hist), 0.0)
    other = pixel_histogram(np.zeros_like(images), bins=16)
    assert (total_variation(hist, other) > 0.5).all()


def test_nearest_matches_brute_force_across_chunks() -> None:
    rng = np.random.default_rng(2)
    train = rng.integers(0, 256, (50, 4, 4, 1), dtype=np.uint8)
    queries = train[[7, 31]].astype(np.float32) / 255.0 + 0.001
    idx, dist = nearest(queries, train, k=4, chunk=8,
                        to_unit=lambda x: x.astype(np.float32) / 255.0)
    flat = train.reshape(50, -1).astype(np.float64) / 255.0
    brute = np.linalg.norm(queries.reshape(2, -1)[:, None] - flat[None], axis=2)
    assert idx[:, 0].tolist() == [7, 31]
    assert np.array_equal(idx, np.argsort(brute, axis=1, kind="stable")[:, :4])
    assert np.allclose(dist, np.sort(brute, axis=1)[:, :4], atol=1e-6)
    # A feature function changes the space: here, mean brightness only.
    idx2, _ = nearest(queries, train, k=1, to_unit=lambda x: x / 255.0,
                      features=lambda x: x.reshape(len(x), -1).mean(axis=1, keepdims=True))
    assert idx2.shape == (2, 1)


def test_save_gif_frames_and_size(tmp_path: Path) -> None:
    frames = [np.full((10, 20, 3), v, dtype=np.uint8) for v in (0, 80, 160, 240)]
    path = save_gif(frames, tmp_path / "a.gif", duration_ms=50, hold_last_ms=400)
    with Image.open(path) as img:
        assert img.format == "GIF" and img.size == (20, 10) and img.n_frames == 4
    assert [p.name for p in tmp_path.iterdir()] == ["a.gif"]  # no temporary file left


def test_image_visualizers_skip_point_data(tmp_path: Path) -> None:
    """2-D toy sets make points (N, 2): image views skip with a reason instead of failing."""
    from ganzoo.zoo.host import load_catalog

    cat = load_catalog()
    points = np.random.default_rng(0).standard_normal((16, 2)).astype(np.float32)
    for kind in ("grid", "compare", "histogram", "interpolation", "neighbours"):
        ctx = VisualContext(run_dir=tmp_path, config={"seed": 0}, epoch=1, step=1, final=False,
                            grid_samples=lambda: points, real_samples=points,
                            generate=lambda z, y: points[:len(z)], latent_dim=2)
        assert cat.get("visualizer", kind).factory(None)(ctx) == [], kind
        assert ctx.skipped and "image data" in ctx.skipped[0], kind
    assert list(tmp_path.iterdir()) == []


def _fake_run(root: Path) -> Path:
    """A run folder as training leaves it, hand-made (no TensorFlow)."""
    run = root / "run"
    (run / "checkpoints").mkdir(parents=True)
    nasty = '<script>alert("x")</script>'
    (run / "config.json").write_text(json.dumps({
        "model": "dcgan", "plugin": "builtin", "ganzoo_version": "0.1.0",
        "entry": {"description": f"desc {nasty}", "papers": [
            {"title": "T & <b>", "authors": "A", "year": 2016, "url": "https://x"}]},
        "config": {"seed": 0, "loss": nasty, "visualizers": ["grid"]},
        "data": {"name": "fashion-mnist-10k", "images": 64, "image_shape": [28, 28, 1],
                 "num_classes": 10},
    }))
    with (run / "metrics.csv").open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["step", "epoch", "d_loss", "g_loss"])
        writer.writerows([[1, 1, 1.5, 0.7], [2, 1, 1.25, 0.875]])
    (run / "eval.csv").write_text("step,fid\n2,123.5\n")
    (run / "summary.json").write_text(json.dumps({"steps": 2, "stopped": None}))
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(run / "grid.png")
    save_gif([np.zeros((4, 4, 1), np.uint8), np.ones((4, 4, 1), np.uint8) * 255],
             run / "progress.gif")
    (run / "dcgan.weights.h5").write_bytes(b"weights" * 100)
    (run / "checkpoints" / "latest.json").write_text("{}")
    (run / ".lock").write_text("1")
    return run


def test_report_is_self_contained_and_escaped(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from ganzoo.cli.app import cli

    run = _fake_run(tmp_path)
    result = CliRunner().invoke(cli, ["report", str(run)], obj={})
    assert result.exit_code == 0, result.output
    page = (run / "report.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    # Everything from the run is escaped: no tag of the config survives.
    assert "<script" not in page and "&lt;script&gt;" in page and "T &amp; &lt;b&gt;" in page
    # Self-contained: pictures are data URIs; nothing is fetched from elsewhere.
    sources = re.findall(r'(?:src|href)="([^"]*)"', page)
    assert sources and all(s.startswith("data:image/") for s in sources)
    assert page.count("data:image/png;base64,") == 1 and page.count("data:image/gif;base64,") == 1
    # Final metrics from both CSV files, and the summary.
    assert "0.875" in page and "123.5" in page and "fid" in page
    # Files with sizes and digests; hidden files and the report itself are left out.
    digest = hashlib.sha256((run / "dcgan.weights.h5").read_bytes()).hexdigest()
    assert "dcgan.weights.h5" in page and digest in page and "700 B" in page
    assert "checkpoints/latest.json" in page and ".lock" not in page
    assert "report.html</td>" not in page
    # Written atomically: no temporary file beside it.
    assert sorted(p.name for p in run.iterdir() if p.name.startswith(".")) == [".lock"]


def test_report_refuses_what_it_cannot_write(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from ganzoo.cli.app import cli

    run = _fake_run(tmp_path)
    bad = CliRunner().invoke(cli, ["report", str(run), "--out", str(tmp_path / "r.txt")], obj={})
    assert bad.exit_code == 2 and "end the name in .html" in bad.output
    missing = CliRunner().invoke(cli, ["report", str(tmp_path / "nope")], obj={})
    assert missing.exit_code == 2 and "no such run folder" in missing.output
    out = tmp_path / "r.html"
    out.write_text("old")
    again = CliRunner().invoke(cli, ["report", str(run), "--out", str(out)], obj={})
    assert again.exit_code == 2 and "--overwrite" in again.output
    ok = CliRunner().invoke(cli, ["report", str(run), "--out", str(out), "--overwrite"], obj={})
    assert ok.exit_code == 0 and out.read_text().startswith("<!DOCTYPE html>")


def test_progress_gif_stays_small_for_long_runs(tmp_path: Path) -> None:
    """30 epochs of 604-pixel grids: 13 frames (first and last epoch kept), half size."""
    from ganzoo.zoo.host import load_catalog

    samples = tmp_path / "samples"
    samples.mkdir()
    for epoch in range(1, 31):
        Image.fromarray(np.full((604, 604), epoch * 8, np.uint8)).save(
            samples / f"epoch_{epoch:03d}.png")
    ctx = VisualContext(run_dir=tmp_path, config={}, epoch=30, step=1, final=True,
                        grid_samples=lambda: np.zeros((1, 28, 28, 1), np.float32))
    (path,) = load_catalog().get("visualizer", "progress").factory(None)(ctx)
    with Image.open(path) as img:
        assert img.n_frames == 13 and img.size == (302, 302 + 16)
        img.seek(12)
        assert np.asarray(img.convert("L"))[-1, -1] == 30 * 8
