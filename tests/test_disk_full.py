"""A full disk (or a quota, a read-only mount, a folder without permission) while writing:
one `error:` line naming the file and the cause, exit code 2, the temporary file removed,
the file it would have replaced untouched, and never a segfault.

Three levels: `files.atomic_path` with a failing body (no TensorFlow); the commands with
a fault-injecting writer (every file opened for writing under one folder fails with
ENOSPC); and, where this machine lets us mount one, a real 20 MB tmpfs, with the commands
run as processes so that a crash shows as its exit status.
"""

from __future__ import annotations

import csv
import errno
import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

from ganzoo.artifacts import files
from ganzoo.artifacts.files import WriteError, atomic_path, write_json
from ganzoo.cli.app import cli

ROOT = Path(__file__).resolve().parents[1]
TINY = ["--set", "g_filters=8", "--set", "d_filters=8", "--set", "precision=float32",
        "--set", "visualizers=", "--batch-size", "8", "--seed", "1"]


def leftovers(folder: Path) -> list[str]:
    """Temporary files `atomic_path` would leave if it did not clean up."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob(".*tmp*"))


# ----------------------------------------------------------------------- atomic_path, no TF


@pytest.mark.parametrize(("code", "cause"), [
    (errno.ENOSPC, "no space left on the device (ENOSPC); free some space"),
    (errno.EDQUOT, "disk quota exceeded (EDQUOT); free some space"),
    (errno.EROFS, "read-only file system (EROFS); choose a place you can write to"),
    (errno.EACCES, "permission denied (EACCES); choose a place you can write to"),
])
def test_refused_write_is_one_line_and_replaces_nothing(tmp_path: Path, code: int,
                                                        cause: str) -> None:
    target = tmp_path / "out" / "summary.json"
    write_json(target, {"old": True})
    with pytest.raises(WriteError) as caught, atomic_path(target) as tmp:
        tmp.write_text("half", encoding="utf-8")
        raise OSError(code, os.strerror(code))
    message = str(caught.value)
    assert message.startswith(f"cannot write {target}: {cause}") and "\n" not in message
    assert json.loads(target.read_text()) == {"old": True}
    assert leftovers(tmp_path) == []


def test_temporary_that_cannot_be_created(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def full(*args: Any, **kwargs: Any) -> Any:
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / ".x.tmp"))

    monkeypatch.setattr(files.tempfile, "mkstemp", full)
    with pytest.raises(WriteError, match=r"cannot write .*x\.png: no space left"):
        files.write_text(tmp_path / "x.png", "x")


def test_other_errors_are_not_disguised(tmp_path: Path) -> None:
    """A missing input read inside the block is a bug or another message, not a full disk."""
    with pytest.raises(FileNotFoundError), atomic_path(tmp_path / "a.txt"):
        (tmp_path / "missing").read_text()
    with pytest.raises(PermissionError), atomic_path(tmp_path / "a.txt"):
        raise PermissionError(errno.EACCES, "denied", "/elsewhere/input.csv")
    assert leftovers(tmp_path) == []


def test_failures_reported_in_words(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """h5py's close reports errno only in its text; numpy's tofile gives no errno at all;
    TensorFlow's event writer says 'PATH; No space left on device'."""
    h5 = RuntimeError("Can't decrement id ref count (file write failed: errno = 28, error "
                      "message = 'No space left on device')")
    assert files.write_errno(h5) == errno.ENOSPC
    short = OSError("1568000 requested and 2016 written")

    class Full:
        f_bavail, f_frsize = 0, 4096

    monkeypatch.setattr(files.os, "statvfs", lambda folder: Full())
    assert "no space left" in str(files.write_error(tmp_path / "s.npy", short))
    Full.f_bavail = 1 << 30
    assert files.write_error(tmp_path / "s.npy", short) is None  # room enough: not ours
    tf = Exception("run/tensorboard/train/events.out.tfevents.1.v2; No space left on device\n"
                   "\tFailed to flush 1 events")
    failure = files.reported_write_error(tf, "run/tensorboard")
    assert str(failure).startswith("cannot write run/tensorboard/train/events.out.tfevents.1"
                                   ".v2: no space left on the device (ENOSPC)")
    assert files.reported_write_error(Exception("shape mismatch"), "x") is None


# ------------------------------------------------------------ fault-injecting writer (TF)


class FullDisk:
    """Every file opened for writing under `folder` fails on write with ENOSPC, while
    `full` is true: what a disk that filled up does (creating an empty file still works)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder.resolve()
        self.full = True

    def refuses(self, file: Any, mode: str) -> bool:
        if not self.full or not any(c in mode for c in "wax+"):
            return False
        try:
            return Path(os.fsdecode(file)).resolve().is_relative_to(self.folder)
        except (TypeError, ValueError):
            return False


class _Refusing:
    """A file object whose writes fail like a full disk's."""

    def __init__(self, real: Any) -> None:
        self._real = real

    def write(self, data: Any) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def writelines(self, lines: Any) -> None:
        self.write(b"")

    def __enter__(self) -> _Refusing:
        return self

    def __exit__(self, *exc: object) -> None:
        self._real.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


@pytest.fixture
def full_disk(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> FullDisk:
    import builtins

    disk = FullDisk(tmp_path / "full")
    real_open = io.open

    def fake_open(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        handle = real_open(file, mode, *args, **kwargs)
        return _Refusing(handle) if disk.refuses(file, mode) else handle

    monkeypatch.setattr(io, "open", fake_open)
    monkeypatch.setattr(builtins, "open", fake_open)
    return disk


def invoke(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args), obj={})


def one_error_line(result: Any) -> str:
    assert result.exit_code == 2, (result.exit_code, result.output)
    assert "Traceback" not in result.output
    line = result.stderr.strip().splitlines()[-1]
    assert line.startswith("error: "), result.stderr
    return line


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished tiny run (8 steps) to sample, export and report from."""
    folder = tmp_path_factory.mktemp("source")
    data = folder / "tiny.npy"
    np.save(data, np.random.default_rng(0).integers(0, 256, (64, 28, 28, 1), np.uint8))
    with pytest.MonkeyPatch.context() as env:  # the autouse fixture is per test
        env.setenv("GANZOO_PLUGINS", "none")
        env.setenv("GANZOO_OFFLINE", "1")
        result = CliRunner().invoke(cli, ["run", "dcgan", "--dataset", str(data), "--steps",
                                          "8", "--out", str(folder / "run"), *TINY], obj={})
    assert result.exit_code == 0, result.output
    return folder / "run"


@pytest.mark.tf
@pytest.mark.parametrize("command", [
    ["sample", "RUN", "--out", "full/s.npy"], ["sample", "RUN", "--out", "full/s.png"],
    ["export", "RUN", "--out", "full/e.weights.h5"], ["report", "RUN", "--out", "full/r.html"],
])
def test_commands_onto_a_full_disk(finished_run: Path, full_disk: FullDisk,
                                   command: list[str]) -> None:
    """Each refused write is one line naming the file, nothing is left in the folder,
    and an earlier file of that name (replaced with --overwrite) is unchanged."""
    Path("full").mkdir()
    out = Path(command[-1])
    full_disk.full = False
    out.write_bytes(b"the user's earlier file")
    full_disk.full = True
    args = [str(finished_run) if a == "RUN" else a for a in command]
    line = one_error_line(invoke(*args, "--overwrite"))
    assert f"cannot write {out}: no space left on the device (ENOSPC)" in line
    assert out.read_bytes() == b"the user's earlier file"
    assert sorted(p.name for p in Path("full").iterdir()) == [out.name]


def _arrays(path: Path) -> dict[str, np.ndarray]:
    import h5py

    found: dict[str, np.ndarray] = {}
    with h5py.File(path, "r") as f:
        f.visititems(lambda n, o: found.setdefault(n, o[()]) if isinstance(o, h5py.Dataset)
                     else None)
    return found


@pytest.mark.tf
def test_disk_full_mid_training_keeps_the_last_good_checkpoint_and_resumes(
        full_disk: FullDisk, monkeypatch: pytest.MonkeyPatch) -> None:
    """The disk fills before the checkpoint of step 6: the run stops with one line naming
    the file, the checkpoint of step 4 stays the latest, nothing half-written is left;
    once there is room, `ganzoo resume` finishes the run with the same weights and losses
    as a run that never stopped."""
    from ganzoo.training.checkpointer import Checkpointer

    np.save("tiny.npy", np.random.default_rng(0).integers(0, 256, (64, 28, 28, 1), np.uint8))
    run = ["run", "dcgan", "--dataset", "tiny.npy", "--steps", "12", *TINY,
           "--set", "checkpoint_every=2"]
    save = Checkpointer.save

    def filling(self: Checkpointer) -> Any:
        if self.counter.step >= 6:
            full_disk.full = True
        return save(self)

    full_disk.full = False
    monkeypatch.setattr(Checkpointer, "save", filling)
    line = one_error_line(invoke(*run, "--out", "full/r"))
    assert "cannot write full/r/" in line and "no space left on the device (ENOSPC)" in line
    assert ("training stopped, the last good checkpoint (ckpt-00000004.weights.h5, step 4) is "
            "kept; once there is room, continue with: ganzoo resume full/r") in line
    ckpts = Path("full/r/checkpoints")
    assert sorted(p.name for p in ckpts.glob("ckpt-*")) == ["ckpt-00000002.weights.h5",
                                                           "ckpt-00000004.weights.h5"]
    assert json.loads((ckpts / "latest.json").read_text())["step"] == 4
    assert leftovers(Path("full")) == [] and not Path("full/r/summary.json").exists()

    full_disk.full = False  # space was freed
    monkeypatch.setattr(Checkpointer, "save", save)
    resumed = invoke("resume", "full/r")
    assert resumed.exit_code == 0, resumed.output
    assert invoke(*run, "--out", "whole").exit_code == 0
    mine, whole = (_arrays(Path(d, "checkpoints/ckpt-00000012.weights.h5"))
                   for d in ("full/r", "whole"))
    assert mine.keys() == whole.keys()
    for name in mine:
        np.testing.assert_array_equal(mine[name], whole[name], err_msg=name)

    def losses(folder: str) -> list[dict[str, str]]:
        with Path(folder, "metrics.csv").open(newline="") as f:  # not the timings
            return [{k: v for k, v in row.items() if "loss" in k or k == "step"}
                    for row in csv.DictReader(f)]

    assert losses("full/r") == losses("whole")


# --------------------------------------------------------------------- a real small tmpfs


@pytest.fixture
def tmpfs(tmp_path: Path) -> Iterator[Path]:
    """A 20 MB tmpfs (needs root and permission to mount); skipped where not allowed."""
    folder = tmp_path / "full"
    folder.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=20m", "tmpfs", str(folder)],
                             capture_output=True, check=False)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def fill(folder: Path, leave: int) -> Path:
    """Fill `folder`'s file system but for `leave` bytes."""
    stat = os.statvfs(folder)
    filler = folder / "filler"
    with filler.open("wb") as f:
        f.write(b"\0" * max(0, stat.f_bavail * stat.f_frsize - leave))
    return filler


def ganzoo(*args: str, script: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get(
        "PYTHONPATH", "")]), "GANZOO_OFFLINE": "1", "PYTHONFAULTHANDLER": "1"}
    command = ["-c", script, *args] if script else ["-m", "ganzoo.cli.app", *args]
    return subprocess.run([sys.executable, *command], env=env, capture_output=True,
                          text=True, timeout=300, check=False)


def refused(proc: subprocess.CompletedProcess) -> str:
    """A process that stopped with exit code 2 and one error line: no crash, no traceback."""
    assert proc.returncode == 2, (proc.returncode, proc.stderr[-3000:])
    assert "Traceback" not in proc.stderr and "Fatal Python error" not in proc.stderr
    line = proc.stderr.strip().splitlines()[-1]
    assert line.startswith("error: ") and "(ENOSPC)" in line, proc.stderr[-3000:]
    return line


_DRIVER = """
import json, sys
from click.testing import CliRunner
from ganzoo.cli.app import cli
out = []
for args in json.loads(sys.argv[1]):
    r = CliRunner().invoke(cli, args, obj={})
    out.append([r.exit_code, r.stderr.strip().splitlines()[-1:], "Traceback" in r.output])
print(json.dumps(out))
"""


@pytest.mark.tf
def test_real_full_tmpfs(tmpfs: Path) -> None:
    """The report's own case: a 20 MB tmpfs as --out. `run` and `export` used to die with
    a segfault (exit 139) after h5py tracebacks, `sample` and `report` with a traceback.
    Now: one line each, the run keeps its last good checkpoint and resumes once the filler
    is gone; and the process exits normally (no HDF5 crash at exit)."""
    from ganzoo.artifacts import runs

    np.save("tiny.npy", np.random.default_rng(0).integers(0, 256, (64, 28, 28, 1), np.uint8))
    filler = fill(tmpfs, 4_500_000)  # one 2.8 MB checkpoint fits, the next one does not
    run = tmpfs / "r"
    line = refused(ganzoo("run", "dcgan", "--dataset", "tiny.npy", "--steps", "16", "--out",
                          str(run), *TINY, "--set", "checkpoint_every=4"))
    assert "training stopped" in line and f"ganzoo resume {run}" in line
    found = runs.latest_checkpoint(run)
    assert found is not None and found[1]["step"] == 4
    assert leftovers(tmpfs) == []
    filler.unlink()
    done = ganzoo("resume", str(run))
    assert done.returncode == 0, done.stderr[-3000:]
    assert (run / "dcgan.weights.h5").is_file()

    fill(tmpfs, 8192)
    commands = [["export", str(run), "--out", str(tmpfs / "e.weights.h5")],
                ["sample", str(run), "--n", "2000", "--out", str(tmpfs / "s.npy")],
                ["sample", str(run), "--out", str(tmpfs / "s.png")],
                ["report", str(run), "--out", str(tmpfs / "r.html")]]
    proc = ganzoo(json.dumps(commands), script=_DRIVER)
    assert proc.returncode == 0, (proc.returncode, proc.stderr[-3000:])  # 139 was a segfault
    for (code, lines, traceback), args in zip(json.loads(proc.stdout.splitlines()[-1]),
                                              commands, strict=True):
        assert code == 2 and not traceback, (args, code, lines)
        assert lines[0].startswith(f"error: cannot write {args[-1]}: no space left"), lines
    assert leftovers(tmpfs) == []
