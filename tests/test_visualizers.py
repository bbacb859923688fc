"""Every built-in visualizer on a tiny real run: during training (each epoch), afterwards
through `ganzoo visualize` on the run folder and on an export, and the run report rendered
by headless Chromium where one is installed.

One unconditional run (3 epochs of 4 steps on 64 images) and one conditional run
(2 steps) are shared by the whole module.
"""

from __future__ import annotations

import html
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from ganzoo.cli.app import cli
from ganzoo.contract.hookspecs import hookimpl

pytestmark = pytest.mark.tf

ALL = "grid,compare,losses,metrics,histogram,interpolation,progress,neighbours"
# 4x4 grid of 28x28 images scaled 2x with 2-pixel gutters
GRID = 2 * (4 * 30 + 2)
CAPTION, GAP = 16, 8
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def invoke(*args: str) -> object:
    return CliRunner().invoke(cli, list(args), obj={}, catch_exceptions=False)


def tiny_data(path: Path) -> Path:
    """64 labelled images of the shipped subset, as an .npz file."""
    from ganzoo.data.loading import load_embedded

    data = load_embedded("train")
    np.savez(path, x=data.images[:64], y=data.labels[:64])
    return path


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("vis")
    data = tiny_data(root / "tiny.npz")
    run = root / "run"
    result = invoke("run", "dcgan", "--dataset", str(data), "--epochs", "3", "--batch-size", "16",
                    "--seed", "1", "--out", str(run), "--set", "grid_rows=4",
                    "--set", f"visualizers={ALL}", "--set", "precision=float32",
                    "--set", "interp_rows=3", "--set", "interp_steps=5",
                    "--set", "nn_samples=4", "--set", "nn_k=3", "--set", "hist_samples=50")
    assert result.exit_code == 0, result.output
    cond = root / "cond"
    result = invoke("run", "dcgan", "--dataset", str(data), "--steps", "2", "--batch-size", "8",
                    "--out", str(cond), "--set", "conditional=true", "--set", "grid_rows=2",
                    "--set", "visualizers=grid,compare,interpolation,neighbours",
                    "--set", "interp_steps=3", "--set", "nn_k=2", "--set", "precision=float32")
    assert result.exit_code == 0, result.output
    return {"root": root, "run": run, "cond": cond, "data": data}


def png_size(path: Path) -> tuple[int, int]:
    assert path.read_bytes()[:8] == PNG_MAGIC, path
    with Image.open(path) as img:
        img.verify()
    with Image.open(path) as img:
        return img.size


def gif_info(path: Path) -> tuple[tuple[int, int], int]:
    assert path.read_bytes()[:6] in (b"GIF89a", b"GIF87a"), path
    with Image.open(path) as img:
        return img.size, img.n_frames


def test_every_epoch_writes_grid_and_the_progress_gif_has_one_frame_per_epoch(runs) -> None:
    run = runs["run"]
    for epoch in (1, 2, 3):
        assert png_size(run / "samples" / f"epoch_{epoch:03d}.png") == (GRID, GRID)
    assert png_size(run / "grid.png") == (GRID, GRID)
    assert gif_info(run / "progress.gif") == ((GRID, GRID + CAPTION), 3)


def test_compare_puts_real_beside_generated(runs) -> None:
    assert png_size(runs["run"] / "compare.png") == (2 * GRID + GAP, GRID + CAPTION)


def test_interpolation_grid_and_gif(runs) -> None:
    run = runs["run"]
    # 3 paths of 5 steps: 3 rows, 5 columns; the GIF goes there and back (2*5-2 frames),
    # each frame the 3 paths' images on a 2x2 grid.
    assert png_size(run / "interpolation.png") == (2 * (5 * 30 + 2), 2 * (3 * 30 + 2))
    assert gif_info(run / "interpolation.gif") == ((2 * (2 * 30 + 2), 2 * (2 * 30 + 2)), 8)


def test_histogram_bins_sum_to_the_sample_count(runs) -> None:
    run = runs["run"]
    assert png_size(run / "histogram.png")[0] > 300
    hist = json.loads((run / "histogram.json").read_text())
    assert len(hist["bins"]) == 33 and hist["channels"] == ["grey"]
    assert hist["real"]["images"] == hist["generated"]["images"] == 50
    assert hist["pixels_per_channel"] == 50 * 28 * 28
    for side in ("real", "generated"):
        assert [sum(c) for c in hist[side]["counts"]] == [50 * 28 * 28]
    assert 0.0 < hist["total_variation"][0] <= 1.0  # an untrained G is far from the data


def test_neighbours_are_sorted_training_images(runs) -> None:
    run = runs["run"]
    # 4 rows: one generated image, a gap, then its 3 neighbours; a caption on top.
    assert png_size(run / "neighbours.png") == (2 * 32 + GAP + 2 * (3 * 30 + 2),
                                                4 * 2 * 32 + CAPTION)
    found = json.loads((run / "neighbours.json").read_text())
    # 28x28 grey: distances in the evaluation classifier's feature space, not pixels
    assert found["feature_space"] == "ganzoo-fmnist-cnn classifier" and found["k"] == 3
    assert found["training_images"] == 64
    dist = np.array(found["distances"])
    index = np.array(found["indices"])
    assert dist.shape == index.shape == (4, 3)
    assert (np.diff(dist, axis=1) >= 0).all() and (dist > 0).all()
    assert ((index >= 0) & (index < 64)).all()


def test_loss_and_metric_curves(runs) -> None:
    run = runs["run"]
    assert png_size(run / "losses.png") == (800, 450)
    assert png_size(run / "metrics.png")[0] >= 400  # images_per_sec at least


def test_every_file_a_run_writes_is_in_the_one_list_of_outputs(runs, catalog) -> None:
    """The built-in visualizers declare what they write: nothing a run wrote is missing from
    the list of run outputs, so --overwrite removes it and the report may show it."""
    from ganzoo.artifacts import outputs

    for run in (runs["run"], runs["cond"]):
        listed: set[Path] = set()
        for found in outputs.find(run, catalog):
            for path in found.paths:
                listed.update([path, *path.rglob("*")] if path.is_dir() else [path])
        written = {p for p in run.rglob("*") if p.is_file() and not p.name.startswith(".")}
        assert sorted(written - listed) == []
        assert {p.name for p in written} >= {"grid.png", "compare.png", "neighbours.json"}


def test_overwrite_leaves_no_picture_of_the_earlier_run(runs, tmp_path: Path) -> None:
    """--overwrite removes every visualizer's files, not only the ones the new run makes:
    the new run's report and summary show none of the earlier run's pictures."""
    out = tmp_path / "again"
    args = ["run", "dcgan", "--dataset", str(runs["data"]), "--steps", "2", "--batch-size", "8",
            "--out", str(out), "--set", "precision=float32", "--set", "g_filters=8",
            "--set", "d_filters=8", "--set", "grid_rows=4"]
    first = invoke(*args, "--set", "visualizers=grid,compare,histogram,interpolation",
                   "--set", "hist_samples=10", "--set", "interp_steps=3")
    assert first.exit_code == 0, first.output
    earlier = {"compare.png", "histogram.png", "histogram.json", "interpolation.png",
               "interpolation.gif"}
    assert earlier <= {p.name for p in out.iterdir()}
    assert f"  histogram:    {out / 'histogram.png'}, {out / 'histogram.json'}" in first.stdout
    second = invoke(*args, "--overwrite", "--set", "visualizers=grid")
    assert second.exit_code == 0, second.output
    assert not earlier & {p.name for p in out.iterdir()}
    assert "histogram" not in second.stdout and f"  grid:         {out / 'grid.png'}" in (
        second.stdout)
    assert invoke("report", str(out)).exit_code == 0
    page = (out / "report.html").read_text(encoding="utf-8")
    assert page.count("data:image/") == 1 and "compare.png" not in page


class _StampPlugin:
    """A third-party visualizer that declares a picture and a per-epoch folder."""

    @hookimpl
    def ganzoo_register_visualizers(self, register: Any) -> None:
        def build(ctx: Any) -> Any:
            def stamp(run: Any) -> list[Path]:
                paths = [run.out / "stamp.png", run.out / "stamps" / f"s_{run.epoch:03d}.png"]
                for path in paths:
                    path.parent.mkdir(exist_ok=True)
                    Image.fromarray(np.zeros((4, 4), np.uint8)).save(path)
                return paths

            return stamp

        register("stamp", build, outputs=("stamp.png", "stamps/s_*.png"))


def test_overwrite_removes_a_plugin_visualizers_files(runs, tmp_path: Path) -> None:
    from ganzoo.zoo.host import load_catalog

    cat = load_catalog(extra_plugins=[("stampplug", _StampPlugin())])
    out = tmp_path / "stamped"
    args = ["run", "dcgan", "--dataset", str(runs["data"]), "--steps", "2", "--batch-size", "8",
            "--out", str(out), "--set", "precision=float32", "--set", "g_filters=8",
            "--set", "d_filters=8", "--set", "grid_rows=4"]
    first = CliRunner().invoke(cli, [*args, "--set", "visualizers=grid,stamp"],
                               obj={"catalog": cat}, catch_exceptions=False)
    assert first.exit_code == 0, first.output
    assert (out / "stamp.png").is_file() and f"  stamp:        {out / 'stamp.png'}" in (
        first.stdout)
    second = CliRunner().invoke(cli, [*args, "--overwrite", "--set", "visualizers=grid"],
                                obj={"catalog": cat}, catch_exceptions=False)
    assert second.exit_code == 0, second.output
    assert not (out / "stamp.png").exists() and not (out / "stamps").exists()


def test_conditional_views_have_one_row_per_class(runs) -> None:
    cond = runs["cond"]
    rows, cols = 10, 2  # 10 classes, grid_rows=2 samples of each
    grid = (2 * (cols * 30 + 2), 2 * (rows * 30 + 2))
    assert png_size(cond / "grid.png") == grid
    assert png_size(cond / "compare.png") == (2 * grid[0] + GAP, grid[1] + CAPTION)
    assert png_size(cond / "interpolation.png") == (2 * (3 * 30 + 2), 2 * (rows * 30 + 2))
    found = json.loads((cond / "neighbours.json").read_text())
    assert found["labels"] == list(range(10)) and len(found["indices"]) == 10


@pytest.mark.parametrize(("kind", "suffix"), [
    ("grid", ".png"), ("compare", ".png"), ("losses", ".png"), ("metrics", ".png"),
    ("histogram", ".png"), ("histogram", ".json"), ("interpolation", ".gif"),
    ("progress", ".gif"), ("neighbours", ".png"),
])
def test_visualize_a_run_folder_afterwards(runs, kind: str, suffix: str) -> None:
    out = runs["root"] / "after" / f"{kind}{suffix}"
    result = invoke("visualize", str(runs["run"]), "--kind", kind, "--out", str(out))
    assert result.exit_code == 0, result.output
    data = out.read_bytes()
    if suffix == ".png":
        assert data[:8] == PNG_MAGIC
    elif suffix == ".gif":
        assert data[:6] == b"GIF89a"
    else:
        assert json.loads(data)
    assert [p.name for p in out.parent.iterdir() if p.name.startswith(".")] == []
    if kind in ("grid", "progress"):  # the same pictures training wrote
        assert data == (runs["run"] / f"{kind}{suffix}").read_bytes()


def test_python_api_visualize_and_report(runs) -> None:
    import ganzoo

    root = runs["root"]
    out = ganzoo.draw(runs["run"], "histogram", root / "api-hist.json", seed=5)
    hist = json.loads(out.read_text())
    assert [sum(c) for c in hist["generated"]["counts"]] == [50 * 28 * 28]
    page = ganzoo.write_report(runs["run"], root / "api-report.html")
    assert page.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_visualize_an_export_reopens_its_data_set_by_name(runs) -> None:
    root = runs["root"]
    export = root / "e.weights.h5"
    shutil.copy(runs["run"] / "dcgan.weights.h5", export)
    out = root / "e-neighbours.json"
    assert invoke("visualize", str(export), "--kind", "neighbours", "--out", str(out)
                  ).exit_code == 0
    assert json.loads(out.read_text())["training_images"] == 64  # the run's tiny.npz
    gif = root / "e-interp.gif"
    assert invoke("visualize", str(export), "--kind", "interpolation", "--out", str(gif)
                  ).exit_code == 0
    assert gif_info(gif)[1] == 8
    with h5py.File(export, "r+") as f:  # a registered name works too
        f.attrs["ganzoo_data"] = json.dumps({"name": "fashion-mnist-10k", "images": 10000})
    out = root / "e-neighbours2.json"
    assert invoke("visualize", str(export), "--kind", "neighbours", "--out", str(out)
                  ).exit_code == 0
    assert json.loads(out.read_text())["training_images"] == 10000


def test_visualize_errors_are_one_line(runs) -> None:
    root, run = runs["root"], runs["run"]
    export = root / "gone.weights.h5"
    shutil.copy(run / "dcgan.weights.h5", export)
    with h5py.File(export, "r+") as f:
        f.attrs["ganzoo_data"] = json.dumps({"name": "no-such-set", "images": 1})
    cases = [
        ((str(export), "--kind", "histogram", "--out", str(root / "x.png")),
         "training data set 'no-such-set', which is not available here"),
        ((str(export), "--kind", "progress", "--out", str(root / "x.gif")), "needs a run folder"),
        ((str(run), "--kind", "interpolation", "--out", str(root / "x.jpg")),
         "writes .gif, .png files"),
        ((str(run), "--kind", "nope", "--out", str(root / "x.png")), "unknown visualizer 'nope'"),
        ((str(root / "missing"), "--kind", "grid", "--out", str(root / "x.png")), "no such run"),
        ((str(run), "--kind", "grid", "--out", str(run / "grid.png")), "--overwrite"),
    ]
    for args, message in cases:
        result = invoke("visualize", *args)
        assert result.exit_code == 2, (args, result.output)
        assert message in result.output and result.output.startswith("error: "), result.output
    assert not any(root.glob("x.*"))


def _browser() -> str | None:
    return next((b for b in ("chromium", "chromium-browser", "google-chrome")
                 if shutil.which(b)), None)


def test_report_renders_in_headless_chromium(runs, tmp_path: Path) -> None:
    run = runs["run"]
    result = invoke("report", str(run))
    assert result.exit_code == 0, result.output
    page = (run / "report.html").read_text(encoding="utf-8")
    from ganzoo.visual.report import CAPTIONS

    for caption in CAPTIONS.values():  # every built-in view, with its caption
        assert f'alt="{html.escape(caption)}"' in page, caption
    assert page.count("data:image/png;base64,") == 7 and page.count("data:image/gif;") == 2
    browser = _browser()
    if browser is None:
        pytest.skip("no Chromium installed (apt-get install chromium) to render the report")
    shot = tmp_path / "shot.png"
    proc = subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}",
         f"--screenshot={shot}", "--window-size=1200,2000", (run / "report.html").as_uri()],
        capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and shot.is_file(), proc.stderr[-2000:]
    with Image.open(shot) as img:
        assert img.size == (1200, 2000)
        pixels = np.asarray(img.convert("L"), dtype=np.float32)
    # Not blank: text, tables and pictures darken a good share of the page.
    assert pixels.std() > 20 and (pixels < 128).mean() > 0.02
