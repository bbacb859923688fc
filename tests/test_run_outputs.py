"""The one list of run outputs (ganzoo.artifacts.outputs) and the thin command line over
`ganzoo.api`: visualizers' declared `outputs`, what --overwrite removes, what the report
embeds and the summary lists, shell-quoted commands, and `--set`/flag folding written once.
None of these tests builds a network."""

from __future__ import annotations

import ast
import json
import shlex
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner, Result
from PIL import Image

import ganzoo
from ganzoo import api
from ganzoo.artifacts import runs
from ganzoo.cli.app import cli
from ganzoo.contract.hookspecs import hookimpl
from ganzoo.zoo.host import load_catalog

REPO = Path(__file__).resolve().parent.parent


class _Stamp:
    """A third-party plugin with a visualizer that writes a picture and a per-epoch folder."""

    def __init__(self, outputs: Any = ("stamp.png", "stamps/stamp_*.png"), **extra: Any):
        self.outputs, self.extra = outputs, extra

    @hookimpl
    def ganzoo_register_visualizers(self, register: Any) -> None:
        register("stamp", lambda ctx: None, description="a test stamp", outputs=self.outputs,
                 **self.extra)


def _catalog(**kwargs: Any) -> Any:
    return load_catalog(extra_plugins=[("stampplug", _Stamp(**kwargs))])


def invoke(*args: str, obj: dict[str, Any] | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), obj={} if obj is None else obj)


def _png(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.zeros((4, 4), np.uint8)).save(path)
    return path


# ----------------------------------------------------------------------- declaring outputs


def test_declared_outputs_are_kept_on_the_component() -> None:
    cat = _catalog()
    assert cat.plugins["stampplug"].error is None
    assert cat.get("visualizer", "stamp").outputs == ("stamp.png", "stamps/stamp_*.png")
    assert cat.get("visualizer", "grid").outputs == ("grid.png", "samples/epoch_*.png")


def test_every_builtin_visualizer_declares_its_outputs(catalog: Any) -> None:
    for name, component in catalog.components["visualizer"].items():
        assert component.outputs, name
        assert any(p.endswith((".png", ".gif")) for p in component.outputs), name


def test_the_example_plugin_declares_its_outputs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(REPO / "examples" / "ganzoo-resgan"))
    import ganzoo_resgan

    cat = load_catalog(extra_plugins=[("resgan", ganzoo_resgan)])
    assert cat.plugins["resgan"].error is None
    assert cat.get("visualizer", "moments").outputs == ("moments.png",)


@pytest.mark.parametrize(("declared", "text"), [
    ("stamp.png", "outputs must be a tuple of file names or globs"),
    ([""], "outputs must be non-empty strings"),
    ([3], "outputs must be non-empty strings"),
    (["/tmp/stamp.png"], "must be a file name or glob inside the run folder"),
    (["../stamp.png"], "must be a file name or glob inside the run folder"),
    (["a//stamp.png"], "must be a file name or glob inside the run folder"),
    ([".lock"], "must be a file name or glob inside the run folder"),
    (["**/stamp.png"], "must be a file name or glob inside the run folder"),
    (["*.png"], "would match other components' files"),
    (["samples/*"], "would match other components' files"),
])
def test_bad_outputs_break_the_plugin_with_a_reason(declared: Any, text: str) -> None:
    cat = _catalog(outputs=declared)
    error = cat.plugins["stampplug"].error
    assert error is not None and error.startswith("hook ganzoo_register_visualizers raised ")
    assert "visualizer 'stamp'" in error and text in error, error
    assert "stamp" not in cat.components["visualizer"]


def test_only_visualizers_take_outputs() -> None:
    class _Loss:
        @hookimpl
        def ganzoo_register_losses(self, register: Any) -> None:
            register("l", lambda ctx: None, outputs=("l.png",))

    cat = load_catalog(extra_plugins=[("lossplug", _Loss())])
    assert "unknown register() arguments ['outputs']" in cat.plugins["lossplug"].error


# ----------------------------------------------------------------------- --overwrite


def _old_run(folder: Path) -> Path:
    """An earlier run's folder: every kind of output, plus files that are not outputs."""
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({"model": "dcgan"}))
    for name in ("metrics.csv", "summary.json", "eval.json", "eval.csv", "report.html",
                 "dcgan.weights.h5", "histogram.json"):
        (folder / name).write_text("old")
    for sub in ("checkpoints", "tensorboard/train"):
        (folder / sub).mkdir(parents=True)
        (folder / sub / "x").write_text("old")
    for name in ("grid.png", "samples/epoch_001.png", "histogram.png", "stamp.png",
                 "stamps/stamp_001.png", "stamps/stamp_002.png"):
        _png(folder / name)
    # not outputs: the user's files, another export, the lock
    (folder / "notes.txt").write_text("mine")
    (folder / "best.weights.h5").write_text("mine")
    (folder / ".lock").write_text("1")
    (folder / "samples" / "keep.txt").write_text("mine")
    return folder


def test_clear_removes_core_and_every_declared_output_and_nothing_else(tmp_path: Path) -> None:
    run = _old_run(tmp_path / "run")
    removed = runs.clear_run_dir(run, _catalog())
    left = sorted(str(p.relative_to(run)) for p in run.rglob("*"))
    assert left == [".lock", "best.weights.h5", "notes.txt", "samples", "samples/keep.txt"]
    assert run / "stamps" / "stamp_002.png" in removed and run / "checkpoints" in removed


def test_clear_removes_folders_it_empties(tmp_path: Path) -> None:
    run = _old_run(tmp_path / "run")
    (run / "samples" / "keep.txt").unlink()
    runs.clear_run_dir(run, _catalog())
    assert not (run / "samples").exists() and not (run / "stamps").exists()


def test_clear_does_not_follow_a_symlinked_folder_out_of_the_run(tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    precious = _png(outside / "epoch_001.png")
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.json").write_text("{}")
    (run / "samples").symlink_to(outside, target_is_directory=True)
    runs.clear_run_dir(run, _catalog())
    assert precious.is_file()


def test_clear_without_a_catalog_uses_the_installed_plugins(tmp_path: Path) -> None:
    run = _old_run(tmp_path / "run")
    runs.clear_run_dir(run)
    assert not (run / "histogram.png").exists() and not (run / "grid.png").exists()
    assert (run / "stamp.png").is_file()  # no installed plugin declares it


# ----------------------------------------------------------------------- report and summary


def _report_run(tmp_path: Path) -> Path:
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.json").write_text(json.dumps({
        "model": "dcgan", "entry": {"description": "d"}, "config": {"seed": 0},
        "data": {"name": "x"}}))
    for name in ("stamp.png", "grid.png", "undeclared.png", "samples/epoch_001.png"):
        _png(run / name)
    return run


def test_report_embeds_the_declared_pictures_only(tmp_path: Path) -> None:
    run = _report_run(tmp_path)
    result = invoke("report", str(run), obj={"catalog": _catalog()})
    assert result.exit_code == 0, result.output
    page = (run / "report.html").read_text(encoding="utf-8")
    assert page.count("data:image/png;base64,") == 2  # grid.png and stamp.png
    assert 'alt="Final samples from the fixed noise batch"' in page
    assert 'alt="stamp: a test stamp"' in page
    assert page.index("Final samples") < page.index("stamp: a test stamp")
    assert "undeclared.png</td>" in page  # listed with the run's files, not embedded


def test_run_files_follow_the_one_list(tmp_path: Path) -> None:
    run = _report_run(tmp_path)
    found = ganzoo.run_files(run, cat=_catalog())
    assert [(f.output.label, f.output.pattern, [p.name for p in f.paths]) for f in found] == [
        ("config", "config.json", ["config.json"]),
        ("grid", "grid.png", ["grid.png"]),
        ("grid", "samples/epoch_*.png", ["epoch_001.png"]),
        ("stamp", "stamp.png", ["stamp.png"]),
    ]


def _fake_result(run_dir: Path, **changes: Any) -> SimpleNamespace:
    fields: dict[str, Any] = dict(run_dir=run_dir, export_path=run_dir / "dcgan.weights.h5",
                                  steps=4, epochs=2, seconds=61.5, images_per_sec=120.0,
                                  precision="float32", exit_code=0, chief=True)
    fields.update(changes)
    return SimpleNamespace(**fields)


def _trained(monkeypatch: pytest.MonkeyPatch, result: SimpleNamespace) -> list[dict]:
    """Replace training by `result`; returns the calls' keyword arguments."""
    calls: list[dict] = []

    def train(model: str, **kwargs: Any) -> SimpleNamespace:
        calls.append({"model": model, **kwargs})
        return result

    monkeypatch.setattr(api, "train", train)
    return calls


def test_summary_lists_plugin_files_and_quotes_commands(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run = tmp_path / "my runs" / "it's a run"
    run.parent.mkdir()
    _old_run(run.parent / "x").rename(run)  # every kind of output, in a path with a space
    (run / "config.json").write_text(json.dumps({"model": "dcgan"}))
    _trained(monkeypatch, _fake_result(run))
    result = invoke("run", "dcgan", obj={"catalog": _catalog()})
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert "done: 4 steps, 2 epochs in 1m01.5s, 120 images/s (float32)" in lines
    assert f"  weights:      {run / 'dcgan.weights.h5'}" in lines
    assert f"  metrics:      {run / 'metrics.csv'}" in lines
    assert (f"  stamp:        {run / 'stamp.png'}, {run / 'stamps/stamp_*.png'} (2 files)"
            in lines)
    assert f"  grid:         {run / 'grid.png'}, {run / 'samples/epoch_*.png'} (1 file)" in lines
    assert f"  histogram:    {run / 'histogram.png'}, {run / 'histogram.json'}" in lines
    assert "notes.txt" not in result.stdout
    commands = {
        "tensorboard": ["tensorboard", "--logdir", str(run / "tensorboard")],
        "next:": ["ganzoo", "sample", str(run), "--n", "64", "--out", "samples.png"],
        "ganzoo report": ["ganzoo", "report", str(run)],
    }
    for start, words in commands.items():
        (line,) = [line for line in lines if start in line]
        shown = line.split(":", 1)[1] if start != "ganzoo report" else line
        assert shlex.split(shown.split("(the run")[0])[-len(words):] == words, line


def test_interrupted_run_says_how_to_resume_quoted(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run = tmp_path / "a run"
    run.mkdir()
    _trained(monkeypatch, _fake_result(run, exit_code=130, export_path=None))
    result = invoke("run", "dcgan")
    assert result.exit_code == 130
    (line,) = [line for line in result.stderr.splitlines() if line.startswith("continue with:")]
    assert shlex.split(line.split(":", 1)[1]) == ["ganzoo", "resume", str(run)]
    assert "done:" not in result.stdout


def test_resume_hint_of_a_folder_that_holds_a_run_is_quoted(tmp_path: Path) -> None:
    run = tmp_path / "old run"
    run.mkdir()
    (run / "config.json").write_text('{"model": "dcgan", "entry": {}, "config": {}, "data": {}}')
    result = invoke("run", "dcgan", "--steps", "1", "--out", str(run))
    assert result.exit_code == 2, result.output
    assert f"continue it with `ganzoo resume {shlex.quote(str(run))}`" in result.stderr


# ----------------------------------------------------------------------- flags folded once


def test_run_passes_every_flag_to_api_train(monkeypatch: pytest.MonkeyPatch,
                                            tmp_path: Path) -> None:
    calls = _trained(monkeypatch, _fake_result(tmp_path, exit_code=1))
    result = invoke("run", "dcgan", "--dataset", "mnist", "--epochs", "2", "--batch-size", "8",
                    "--seed", "3", "--out", "o", "--set", "lr_g=1e-3", "--overwrite",
                    "--strategy", "mirrored", "--precision", "float32")
    assert result.exit_code == 1  # RunResult's exit code (stopped on NaN) is kept
    (call,) = calls
    assert call["overrides"] == ("lr_g=1e-3",) and call["precision"] == "float32"
    assert {k: call[k] for k in ("model", "dataset", "epochs", "steps", "batch_size", "seed",
                                 "out", "overwrite", "strategy")} == {
        "model": "dcgan", "dataset": "mnist", "epochs": 2, "steps": None, "batch_size": 8,
        "seed": 3, "out": "o", "overwrite": True, "strategy": "mirrored"}


def test_api_train_folds_flags_into_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    """`--set` strings and flags become one dict, in one place (the plan sees it)."""
    plan_module, _ = api._training()
    seen: list[dict] = []

    def plan(model: str, *, catalog: Any, dataset: Any, overrides: dict) -> None:
        seen.append(overrides)
        raise ganzoo.GanzooError("stop here")

    monkeypatch.setattr(plan_module, "plan", plan)
    for kwargs in ({"overrides": ["lr_g=1e-3", "epochs=9", "seed=1"], "epochs": 2, "seed": 5,
                    "precision": "bfloat16", "strategy": "default", "batch_size": 4},
                   {"overrides": {"lr_g": 1e-3}, "steps": 7}):
        with pytest.raises(ganzoo.GanzooError, match="stop here"):
            api.train("dcgan", **kwargs)
    assert seen == [
        {"lr_g": "1e-3", "epochs": 2, "seed": 5, "precision": "bfloat16", "steps": 0,
         "strategy": "default", "batch_size": 4},
        {"lr_g": 1e-3, "steps": 7},
    ]
    with pytest.raises(ganzoo.GanzooError, match="give either --epochs or --steps, not both"):
        api.train("dcgan", epochs=1, steps=1)
    assert len(seen) == 2


def test_cli_imports_only_the_api_and_listings() -> None:
    """ganzoo.cli may import ganzoo.api, errors, version, zoo (listings) and itself: each
    command is a call of the Python API, so the two cannot drift apart."""
    allowed = ("ganzoo.api", "ganzoo.bench", "ganzoo.errors", "ganzoo.version", "ganzoo.zoo",
               "ganzoo.cli")
    for path in sorted((REPO / "ganzoo" / "cli").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module == "ganzoo":
                names = [f"ganzoo.{a.name}" for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                continue
            for name in names:
                if name.startswith("ganzoo"):
                    assert name.startswith(allowed), (path.name, name)


def test_cli_modules_stay_small() -> None:
    for path in (REPO / "ganzoo" / "cli").glob("*.py"):
        if path.name != "scaffold.py":  # templates of a plugin package, not commands
            assert len(path.read_text(encoding="utf-8").splitlines()) <= 400, path.name


@pytest.mark.parametrize("module", ["ganzoo.cli", "ganzoo.cli.app"])
def test_python_m_runs_the_command_line(tmp_path: Path, module: str) -> None:
    """Both spellings work, and print nothing else (no runpy warning about a module that
    its package had imported before)."""
    import subprocess

    proc = subprocess.run([sys.executable, "-m", module, "run"], capture_output=True,
                          text=True, cwd=tmp_path, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr == "error: missing argument 'NAME' (see 'ganzoo run --help')\n"
