"""Interrupted runs: SIGKILL, SIGTERM and Ctrl-C mid-run, then `ganzoo resume`.

The runs are real processes started as a user starts them. They are kept tiny
(8-filter networks, batch 8, 256 images so that a run crosses epoch boundaries,
float32) so that the whole file takes well under a minute of CPU.
The reference run and the two runs that are interrupted go at the same time.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import h5py
import numpy as np
import pytest
from click.testing import CliRunner

import ganzoo
from ganzoo.cli.app import cli

pytestmark = pytest.mark.tf

STEPS = 80  # 32 steps per epoch: the run ends in the middle of its third epoch
EVERY = 7   # checkpoints at 7, 14, ...: never on an epoch boundary, so resumes start mid-epoch
ROOT = Path(ganzoo.__file__).resolve().parents[1]


def run_args(data: Path, out: Path, steps: int = STEPS) -> list[str]:
    return ["run", "dcgan", "--dataset", str(data), "--steps", str(steps), "--batch-size", "8",
            "--seed", "1", "--out", str(out), "--set", "g_filters=8", "--set", "d_filters=8",
            "--set", f"checkpoint_every={EVERY}", "--set", "precision=float32",
            # the learning rates fall at every step, to 0 at the run's end: a resumed run
            # must pick the schedule up at its step and keep the run's length
            "--set", "lr_schedule=linear",
            "--set", "visualizers="]


def start(args: list[str]) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get(
        "PYTHONPATH", "")]), "GANZOO_OFFLINE": "1"}
    return subprocess.Popen([sys.executable, "-m", "ganzoo.cli.app", *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for_checkpoint(run_dir: Path, proc: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not (run_dir / "checkpoints" / "latest.json").exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "no checkpoint appeared"
        time.sleep(0.01)


def arrays(path: Path) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    with h5py.File(path, "r") as f:
        f.visititems(lambda name, obj: out.__setitem__(name, obj[()])
                     if isinstance(obj, h5py.Dataset) else None)
    return out


def assert_bit_identical(a: Path, b: Path) -> None:
    x, y = arrays(a), arrays(b)
    assert x.keys() == y.keys()
    assert len(x) > 20
    for name in x:
        assert x[name].dtype == y[name].dtype and x[name].shape == y[name].shape, name
        assert np.array_equal(x[name], y[name]), f"{name} differs"


def losses(run_dir: Path) -> list[list[str]]:
    lines = (run_dir / "metrics.csv").read_text().splitlines()
    header = lines[0].split(",")
    cols = [header.index("step"), header.index("d_loss"), header.index("g_loss")]
    return [[line.split(",")[c] for c in cols] for line in lines[1:]]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A reference run, and runs killed by SIGKILL and stopped by SIGTERM, then resumed."""
    root = tmp_path_factory.mktemp("resume")
    data = root / "tiny.npy"
    np.save(data, np.random.default_rng(0).integers(0, 256, (256, 28, 28, 1), dtype=np.uint8))
    dirs = {name: root / name for name in ("reference", "killed", "terminated")}
    procs = {name: start(run_args(data, path)) for name, path in dirs.items()}

    wait_for_checkpoint(dirs["killed"], procs["killed"])
    procs["killed"].send_signal(signal.SIGKILL)
    wait_for_checkpoint(dirs["terminated"], procs["terminated"])
    procs["terminated"].send_signal(signal.SIGTERM)
    outputs = {name: proc.communicate(timeout=300) for name, proc in procs.items()}
    codes = {name: proc.returncode for name, proc in procs.items()}
    assert codes["reference"] == 0, outputs["reference"]
    assert codes["killed"] == -signal.SIGKILL, outputs["killed"]
    assert codes["terminated"] == 128 + signal.SIGTERM, outputs["terminated"]
    for name in ("killed", "terminated"):  # really stopped before the end
        assert not (dirs[name] / "dcgan.weights.h5").exists()
    stopped = {name: json.loads((dirs[name] / "checkpoints" / "latest.json").read_text())
               for name in ("killed", "terminated")}
    terminated_rows = len(losses(dirs["terminated"]))

    resumes = {name: start(["resume", str(dirs[name])]) for name in ("killed", "terminated")}
    resumed = {name: proc.communicate(timeout=300) for name, proc in resumes.items()}
    for name, proc in resumes.items():
        assert proc.returncode == 0, resumed[name]
    return {**dirs, "data": data, "stopped": stopped, "terminated_err": outputs["terminated"][1],
            "terminated_rows": terminated_rows, "resumed_err": resumed["killed"][1]}


def test_sigkill_then_resume_equals_uninterrupted_run(runs: dict) -> None:
    assert 0 < runs["stopped"]["killed"]["step"] < STEPS
    assert f"resuming {runs['killed']}" in runs["resumed_err"]
    assert_bit_identical(runs["reference"] / "dcgan.weights.h5",
                         runs["killed"] / "dcgan.weights.h5")
    # The whole state, optimizers and weight average included, not only the export.
    final = f"checkpoints/ckpt-{STEPS:08d}.weights.h5"
    assert_bit_identical(runs["reference"] / final, runs["killed"] / final)
    # metrics.csv: the steps lost with the kill are trained again, with the same losses.
    assert losses(runs["killed"]) == losses(runs["reference"])
    assert len(losses(runs["reference"])) == STEPS


def test_sigterm_finishes_the_step_checkpoints_and_says_how_to_resume(runs: dict) -> None:
    err = runs["terminated_err"]
    step = runs["stopped"]["terminated"]["step"]
    assert f"interrupted by SIGTERM at step {step} of {STEPS}" in err
    assert f"continue with: ganzoo resume {runs['terminated']}" in err
    assert "Traceback" not in err
    # The checkpoint is of the step the signal interrupted, not of the last multiple of 7.
    assert runs["terminated_rows"] == step
    assert_bit_identical(runs["reference"] / "dcgan.weights.h5",
                         runs["terminated"] / "dcgan.weights.h5")
    assert losses(runs["terminated"]) == losses(runs["reference"])


def test_resume_refuses_a_finished_run(runs: dict) -> None:
    before = {p: p.stat().st_mtime_ns for p in runs["reference"].rglob("*")}
    result = CliRunner().invoke(cli, ["resume", str(runs["reference"])], obj={})
    assert result.exit_code == 2
    assert "the run finished (80 steps); nothing to resume" in result.output
    assert {p: p.stat().st_mtime_ns for p in runs["reference"].rglob("*")} == before


def test_ctrl_c_in_process_exits_130_with_a_checkpoint(runs: dict, tmp_path: Path) -> None:
    """SIGINT to a run inside this process (CLI runner): the step ends, a checkpoint is
    written, the exit code is 130, and the message says how to resume."""
    out = tmp_path / "ctrl-c"
    ckpt = out / "checkpoints" / "latest.json"

    def press_ctrl_c() -> None:
        deadline = time.monotonic() + 120
        while not ckpt.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        os.kill(os.getpid(), signal.SIGINT)

    presser = threading.Thread(target=press_ctrl_c, daemon=True)
    presser.start()
    result = CliRunner().invoke(cli, run_args(runs["data"], out, steps=1000), obj={})
    presser.join()
    assert result.exit_code == 130, result.output
    step = json.loads(ckpt.read_text())["step"]
    assert f"interrupted by SIGINT at step {step} of 1000" in result.output
    assert f"continue with: ganzoo resume {out}" in result.output
    assert not (out / "dcgan.weights.h5").exists()
    assert json.loads((out / "summary.json").read_text())["finished"] is False


def test_a_checkpoint_of_a_scheduled_run_samples_like_its_export(runs: dict,
                                                                  tmp_path: Path) -> None:
    """A run stopped before its export is sampled from its checkpoint, which must load into
    a GAN built with the run's learning-rate schedule (Keras stores a constant rate as an
    optimizer variable and a schedule not, so the two checkpoints differ)."""
    stopped = tmp_path / "stopped"
    (stopped / "checkpoints").mkdir(parents=True)
    (stopped / "config.json").write_bytes((runs["reference"] / "config.json").read_bytes())
    name = f"ckpt-{STEPS:08d}.weights.h5"
    (stopped / "checkpoints" / name).write_bytes(
        (runs["reference"] / "checkpoints" / name).read_bytes())
    (stopped / "checkpoints" / "latest.json").write_text(
        json.dumps({"step": STEPS, "epoch": 3, "file": name}))
    arrays_ = {}
    for label, source in (("checkpoint", stopped), ("export", runs["reference"])):
        out = tmp_path / f"{label}.npy"
        result = CliRunner().invoke(cli, ["sample", str(source), "--n", "8", "--out", str(out)],
                                    obj={})
        assert result.exit_code == 0, result.output
        arrays_[label] = np.load(out)
    assert arrays_["checkpoint"].shape == (8, 28, 28, 1)
    np.testing.assert_array_equal(arrays_["checkpoint"], arrays_["export"])
