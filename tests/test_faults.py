"""Faults during a run: NaN/Inf, a failed start, --overwrite; and reproducibility by seed.

Tiny networks (8 filters), batch 8, float32, a 64-image data set: each run is a few
seconds once TensorFlow is imported.
"""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import numpy as np
import pytest
from click.testing import CliRunner

from ganzoo.cli.app import cli

pytestmark = pytest.mark.tf

TINY = ["--set", "g_filters=8", "--set", "d_filters=8", "--set", "precision=float32",
        "--set", "visualizers=", "--batch-size", "8"]


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): b"dir" if p.is_dir() else p.read_bytes()
            for p in sorted(folder.rglob("*"))}


@pytest.fixture
def data(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.npy"
    np.save(path, np.random.default_rng(0).integers(0, 256, (64, 28, 28, 1), dtype=np.uint8))
    return path


def invoke(*args: str) -> object:
    return CliRunner().invoke(cli, list(args), obj={})


def test_nan_loss_stops_the_run_and_keeps_the_last_good_checkpoint(data: Path) -> None:
    """Learning rates of 1e35 blow up at the second step: the run stops there, exits 1,
    says why, and the checkpoint of step 1 stays the latest; no export is written."""
    result = invoke("run", "dcgan", "--dataset", str(data), "--steps", "20", "--out", "nan",
                    "--set", "lr_g=1e35", "--set", "lr_d=1e35", "--set", "checkpoint_every=1",
                    "--set", "keep_checkpoints=5", *TINY)
    assert result.exit_code == 1, result.output
    assert "stopped: d_loss became nan at step 2" in result.output
    assert "the last good checkpoint (ckpt-00000001.weights.h5, step 1) is kept" in result.output
    ckpts = sorted(p.name for p in Path("nan/checkpoints").glob("ckpt-*"))
    assert ckpts == ["ckpt-00000001.weights.h5"]
    assert json.loads(Path("nan/checkpoints/latest.json").read_text())["step"] == 1
    with h5py.File("nan/checkpoints/ckpt-00000001.weights.h5", "r") as f:
        arrays = []
        f.visititems(lambda n, o: arrays.append(o[()]) if isinstance(o, h5py.Dataset) else None)
    assert all(np.isfinite(a).all() for a in arrays if a.dtype.kind == "f")
    assert not Path("nan/dcgan.weights.h5").exists()
    summary = json.loads(Path("nan/summary.json").read_text())
    assert summary["finished"] is False and "nan" in summary["stopped"]


def test_nonfinite_weights_are_never_checkpointed(data: Path, tmp_path: Path) -> None:
    """A weight turns NaN while the losses are still finite: the checkpointer sees it,
    stops the run and writes nothing, so the good checkpoints before it stay."""
    import keras

    import ganzoo
    from ganzoo.data.loading import load_path
    from ganzoo.data.pipeline import make_input_pipeline
    from ganzoo.training import callbacks as cb
    from ganzoo.training.checkpointer import Checkpointer

    gan = ganzoo.build("dcgan", overrides={"g_filters": 8, "d_filters": 8,
                                           "precision": "float32"})
    counter = cb.StepCounter(10)
    guard = cb.NonFiniteGuard(counter)
    folder = tmp_path / "ckpts"
    checkpointer = Checkpointer(folder, counter, guard, every=1, keep=5,
                                   steps_per_epoch=8)

    class Poison(keras.callbacks.Callback):
        def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
            if counter.step == 3:
                weight = gan.discriminator.trainable_weights[0]
                weight.assign(np.full(weight.shape, np.nan, dtype="float32"))

    pipeline = make_input_pipeline(load_path(str(data)), 8, 0, False, 0, 10)
    gan.fit(pipeline, epochs=2, steps_per_epoch=8, verbose=0, shuffle=False,
            callbacks=[counter, guard, Poison(), checkpointer])
    assert guard.tripped and "became non-finite by step 3" in guard.tripped
    assert counter.step == 3
    assert sorted(p.name for p in folder.glob("ckpt-*")) == [
        "ckpt-00000001.weights.h5", "ckpt-00000002.weights.h5"]
    assert json.loads((folder / "latest.json").read_text())["step"] == 2


def test_same_seed_same_losses_and_samples(data: Path) -> None:
    def run(name: str, seed: str) -> tuple[list[str], np.ndarray]:
        result = invoke("run", "dcgan", "--dataset", str(data), "--steps", "10", "--seed", seed,
                        "--out", name, *TINY)
        assert result.exit_code == 0, result.output
        assert invoke("sample", name, "--n", "16", "--seed", "4",
                      "--out", f"{name}.npy").exit_code == 0
        rows = Path(name, "metrics.csv").read_text().splitlines()[1:]
        return [",".join(r.split(",")[2:4]) for r in rows], np.load(f"{name}.npy")

    losses_a, samples_a = run("a", "7")
    losses_b, samples_b = run("b", "7")
    losses_c, samples_c = run("c", "8")
    assert losses_a == losses_b and np.array_equal(samples_a, samples_b)
    assert losses_a != losses_c and not np.array_equal(samples_a, samples_c)


def test_a_failed_start_leaves_no_folder(tmp_path: Path) -> None:
    """The build fails (a plugin refuses a value) after TensorFlow is up: no run folder,
    no runs/ parent, nothing else."""
    before = snapshot(tmp_path)
    for extra in (["--out", "new/run"], []):
        result = invoke("run", "dcgan", "--steps", "1", "--set", "g_norm=bogus", *extra)
        assert result.exit_code == 2, result.output
        assert "--set g_norm=bogus: choose one of batch" in result.stderr
    assert snapshot(tmp_path) == before


def test_overwrite_removes_the_old_runs_checkpoints(data: Path) -> None:
    """--overwrite must not leave an old checkpoint that `resume` would pick up."""
    old = Path("r/checkpoints")
    old.mkdir(parents=True)
    (old / "ckpt-00000999.weights.h5").write_bytes(b"old")
    # the record ganzoo writes into a run (model, entry, config, data): an older run of
    # another model, whose export the new run must remove
    Path("r/config.json").write_text(json.dumps(
        {"model": "old", "entry": {}, "config": {}, "data": {}}), encoding="utf-8")
    Path("r/old.weights.h5").write_bytes(b"old export")
    Path("r/notes.txt").write_text("mine", encoding="utf-8")
    Path("r/mine.weights.h5").write_bytes(b"someone's own file")
    result = invoke("run", "dcgan", "--dataset", str(data), "--steps", "2", "--out", "r",
                    "--overwrite", *TINY)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in old.glob("ckpt-*")) == ["ckpt-00000002.weights.h5"]
    assert not Path("r/old.weights.h5").exists()
    assert Path("r/notes.txt").read_text() == "mine"  # not a run output: left alone
    assert Path("r/mine.weights.h5").exists()
    assert not Path("r/.lock").exists()
