"""Weights and stored configs that must not be trusted: exports with NaN or Inf weights
(refused when written and when read), a run that diverged (no views drawn from NaN
weights, no resume that would repeat it), and config.json files or export attributes of
many MB or nested too deeply (a size message, not MemoryError or RecursionError).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import h5py
import numpy as np
import pytest
from click.testing import CliRunner

from ganzoo.cli.app import cli

TINY = {"g_filters": 8, "d_filters": 8, "precision": "float32"}


def snapshot(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): "dir" if p.is_dir()
            else hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*"))}


def fails_cleanly(args: list[str], *expected: str) -> str:
    """The command fails with one `error:` line holding `expected`, and changes nothing."""
    before = snapshot(Path.cwd())
    result = CliRunner().invoke(cli, args, obj={})
    assert result.exit_code == 2, (result.exit_code, result.output)
    lines = result.stderr.strip().splitlines()
    assert lines and lines[-1].startswith("error: "), lines
    assert "Traceback" not in result.output
    for text in expected:
        assert text in lines[-1], (text, lines[-1])
    assert snapshot(Path.cwd()) == before, "the failed command changed files"
    return lines[-1]


def _run_folder(name: str, config: str | None = None) -> Path:
    folder = Path(name)
    folder.mkdir()
    (folder / "config.json").write_text(config if config is not None else json.dumps(
        {"model": "dcgan", "entry": {}, "config": {}, "data": {}}), encoding="utf-8")
    return folder


# ------------------------------------------------------------------- stored configs (no TF)


@pytest.mark.parametrize("command", [["resume", "run"], ["sample", "run", "--out", "s.png"],
                                     ["export", "run", "--out", "e.weights.h5"]])
def test_config_json_of_many_mb_is_refused_by_size(command: list[str]) -> None:
    entry = {"description": "x" * (6 << 20)}
    _run_folder("run", json.dumps({"model": "dcgan", "entry": entry, "config": {}, "data": {}}))
    fails_cleanly(command, "run/config.json: the run config is larger than 4 MiB",
                  "edited or damaged")


@pytest.mark.parametrize("command", [["resume", "run"], ["sample", "run", "--out", "s.png"]])
def test_config_json_nested_too_deeply_is_one_line(command: list[str]) -> None:
    _run_folder("run", "[" * 200_000 + "]" * 200_000)
    fails_cleanly(command, "run/config.json: the run config is nested too deeply")


def test_export_attribute_of_many_mb_is_refused_by_size() -> None:
    """A variable-length string of 24 MiB (HDF5 reports its storage as 16 bytes)."""
    with h5py.File("big.weights.h5", "w", libver="latest") as f:
        f.create_dataset("generator/layers/dense/vars/0", data=np.zeros((2, 2), np.float32))
        f.create_group("discriminator")
        for key, value in {"ganzoo_format": 1, "ganzoo_model": "dcgan", "ganzoo_entry": "{}",
                           "ganzoo_config": "{" + " " * (24 << 20) + "}",
                           "ganzoo_image_shape": "[28, 28, 1]"}.items():
            f.attrs[key] = value
    fails_cleanly(["sample", "big.weights.h5", "--out", "s.png"],
                  "big.weights.h5: attribute 'ganzoo_config' is larger than 1 MiB; refused")


# --------------------------------------------------------------- a run stopped on NaN (no TF)


@pytest.mark.parametrize("summary", [
    {"stopped": "d_loss became nan at step 2", "stopped_on": "nonfinite",
     "last_checkpoint": "ckpt-00000001.weights.h5", "finished": False},
    {"stopped": "g_loss became inf at step 9", "finished": False},  # before stopped_on
])
def test_resume_of_a_run_stopped_on_nan_says_why_not(summary: dict) -> None:
    run = _run_folder("nan")
    (run / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    line = fails_cleanly(["resume", "nan"], "nan: the run stopped on non-finite values",
                         summary["stopped"], "resuming would repeat the same numbers from the "
                         "last good checkpoint", "start a new run with lower learning rates")
    if "last_checkpoint" in summary:
        assert "(ckpt-00000001.weights.h5)" in line


def test_an_interrupted_run_is_still_resumable(tmp_path: Path) -> None:
    from ganzoo.training.trainer import _check_resumable

    (tmp_path / "summary.json").write_text(json.dumps(
        {"stopped": "interrupted by SIGINT at step 3", "stopped_on": "signal",
         "finished": False}), encoding="utf-8")
    _check_resumable(tmp_path)  # raises nothing


# --------------------------------------------------------------------- NaN weights (TF)


@pytest.fixture
def gan() -> object:
    import ganzoo

    return ganzoo.build("dcgan", overrides=TINY)


def _meta() -> object:
    """What `ganzoo sample` needs to rebuild the tiny DCGAN: its entry and resolved config."""
    from ganzoo.artifacts import export
    from ganzoo.zoo.config import resolve
    from ganzoo.zoo.host import load_catalog

    cat = load_catalog()
    entry = dict(cat.models["dcgan"][0])
    return export.ExportMeta(model="dcgan", entry=entry, config=resolve(entry, cat, TINY),
                             image_shape=(28, 28, 1), num_classes=0,
                             data={"name": "fashion-mnist-10k", "images": 10_000})


@pytest.mark.tf
def test_export_with_a_nan_weight_is_not_written(gan: object) -> None:
    from ganzoo.artifacts import export
    from ganzoo.errors import WeightsError

    variable = gan.discriminator.weights[0]  # type: ignore[attr-defined]
    values = np.array(variable.numpy())
    values.flat[3] = np.inf
    variable.assign(values)
    meta = _meta()
    with pytest.raises(WeightsError, match=r"e\.weights\.h5: not written: discriminator "
                                           rf"weight {variable.path} \(holds Inf\) is not "
                                           "finite"):
        export.write("e.weights.h5", gan.sampler, gan.discriminator, meta)  # type: ignore[attr-defined]
    assert list(Path.cwd().iterdir()) == []


@pytest.mark.tf
def test_export_with_a_nan_weight_is_not_loaded(gan: object) -> None:
    """An export a diverged model left (written by another tool, or an older ganzoo):
    `sample` and `eval` refuse it, naming the file and the first non-finite array, instead
    of drawing a blank grid with exit code 0."""
    from ganzoo.artifacts import export

    export.write("w.weights.h5", gan.sampler, gan.discriminator, _meta())  # type: ignore[attr-defined]
    arrays: list[str] = []
    with h5py.File("w.weights.h5", "r+") as f:
        f.visititems(lambda n, o: arrays.append(n) if isinstance(o, h5py.Dataset)
                     and n.startswith("generator/") else None)
        name = sorted(arrays)[0]
        data = f[name][()]
        data.flat[0] = np.nan
        f[name][...] = data
    for command in (["sample", "w.weights.h5", "--out", "s.png"],
                    ["eval", "w.weights.h5", "--n", "10", "--out", "e.json"]):
        fails_cleanly(command, f"w.weights.h5: weight {name} (holds NaN) is not finite",
                      "refused")


@pytest.mark.tf
def test_a_run_stopped_on_nan_draws_no_views_and_says_stopped(tmp_path: Path) -> None:
    """Learning rates of 1e35 blow up at step 2: the grid, loss plot and other views of the
    run are not drawn from NaN weights; summary.json records why it stopped; the result
    carries what the CLI prints (``stopped:``, not ``done:``); resume refuses it."""
    import ganzoo

    np.save("tiny.npy", np.random.default_rng(0).integers(0, 256, (64, 28, 28, 1), np.uint8))
    result = ganzoo.train("dcgan", dataset="tiny.npy", steps=20, batch_size=8, out="nan",
                          overrides={**TINY, "lr_g": 1e35, "lr_d": 1e35, "checkpoint_every": 1},
                          verbose=0)
    assert result.exit_code == 1 and result.nonfinite and not result.finished
    assert result.status == "stopped" and result.stopped == "d_loss became nan at step 2"
    assert result.checkpoint == Path("nan/checkpoints/ckpt-00000001.weights.h5")
    assert result.files == {} and result.export_path is None
    drawn = sorted(p.name for p in Path("nan").rglob("*") if p.suffix in (".png", ".gif"))
    assert drawn == []
    summary = json.loads(Path("nan/summary.json").read_text())
    assert summary["stopped_on"] == "nonfinite" and summary["finished"] is False
    assert summary["last_checkpoint"] == "ckpt-00000001.weights.h5"
    fails_cleanly(["resume", "nan"], "the run stopped on non-finite values (d_loss became nan "
                  "at step 2)", "(ckpt-00000001.weights.h5)", "lower learning rates")
