"""Folders, files and locks that are not a ganzoo run's own: the user's project folder as
--out, symbolic link loops, a stale lock whose PID now belongs to another process, and
damaged data files (bad IDX magic, a truncated .npy). Each is one line, exit code 2,
nothing changed. No TensorFlow: all of it is refused before a network is built.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from ganzoo.artifacts import runs
from ganzoo.artifacts.files import check_writable_output
from ganzoo.cli.app import cli
from ganzoo.errors import GanzooError

RUN_CONFIG = {"model": "dcgan", "entry": {}, "config": {}, "data": {}, "ganzoo_version": "0"}


def snapshot(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): "dir" if p.is_dir() and not p.is_symlink()
            else os.readlink(p) if p.is_symlink() else hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*"))}


def fails_cleanly(args: list[str], *expected: str) -> str:
    """The command fails with one `error:` line holding `expected`, and changes nothing."""
    before = snapshot(Path.cwd())
    result = CliRunner().invoke(cli, args, obj={})
    assert result.exit_code == 2, (result.exit_code, result.output)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), lines
    assert "Traceback" not in result.output
    for text in expected:
        assert text in lines[0], (text, lines[0])
    assert snapshot(Path.cwd()) == before, "the failed command changed files"
    return lines[0]


@pytest.fixture
def project() -> Path:
    """A user's folder holding files of the names a run writes."""
    folder = Path("project")
    (folder / "samples").mkdir(parents=True)
    (folder / "grid.png").write_bytes(b"my drawing")
    (folder / "metrics.csv").write_text("my,numbers\n", encoding="utf-8")
    (folder / "samples" / "a.png").write_bytes(b"mine")
    return folder


# ---------------------------------------------------------------------------------- --out


@pytest.mark.parametrize("overwrite", [[], ["--overwrite"]])
def test_run_into_a_folder_that_is_not_a_run_is_refused(project: Path,
                                                        overwrite: list[str]) -> None:
    """--overwrite applies to runs only: the user's grid.png and metrics.csv stay."""
    fails_cleanly(["run", "dcgan", "--out", str(project), *overwrite],
                  "--out project: the folder holds other files (grid.png, metrics.csv, "
                  "samples) and no ganzoo run", "choose another folder")


def test_a_config_json_that_ganzoo_did_not_write_is_not_a_run() -> None:
    Path("proj").mkdir()
    Path("proj/config.json").write_text('{"name": "my app"}', encoding="utf-8")
    fails_cleanly(["run", "dcgan", "--out", "proj", "--overwrite"],
                  "holds other files (config.json) and no ganzoo run")


def test_out_empty_string_is_refused() -> None:
    Path("mine.txt").write_text("x", encoding="utf-8")
    fails_cleanly(["run", "dcgan", "--out", ""], '--out "": give a folder name')


def test_empty_folder_and_crash_leftovers_are_accepted(tmp_path: Path) -> None:
    """An empty folder is a new run's; so is one holding only what a crashed ganzoo left
    (a dead process's lock, a temporary)."""
    Path("empty").mkdir()
    assert runs.check_run_dir("dcgan", "empty") == Path("empty")
    Path("left").mkdir()
    (Path("left") / ".lock").write_text("999999999", encoding="utf-8")
    (Path("left") / ".config.json.ab12.tmp.json").write_text("{", encoding="utf-8")
    assert runs.check_run_dir("dcgan", "left") == Path("left")


def test_a_ganzoo_run_is_reused_with_overwrite_only() -> None:
    Path("old").mkdir()
    Path("old/config.json").write_text(json.dumps(RUN_CONFIG), encoding="utf-8")
    with pytest.raises(GanzooError, match="already holds a run"):
        runs.check_run_dir("dcgan", "old")
    assert runs.check_run_dir("dcgan", "old", overwrite=True) == Path("old")


@pytest.fixture
def loop() -> Path:
    os.symlink("loop-b", "loop-a")
    os.symlink("loop-a", "loop-b")
    return Path("loop-a")


@pytest.mark.parametrize("out", ["loop-a", "loop-a/run"])
def test_run_out_through_a_symlink_loop(loop: Path, out: str) -> None:
    fails_cleanly(["run", "dcgan", "--out", out],
                  f"--out {out}: loop-a is a symbolic link loop (it points to loop-b")


@pytest.mark.parametrize("dataset", ["loop-a", "loop-a/train.npy"])
def test_dataset_through_a_symlink_loop(loop: Path, dataset: str) -> None:
    """Not 'unknown data set ... nor an existing file': the path exists, it loops."""
    fails_cleanly(["run", "dcgan", "--dataset", dataset, "--steps", "1"],
                  f"--dataset {dataset}: loop-a is a symbolic link loop")


def test_resume_through_a_symlink_loop(loop: Path) -> None:
    fails_cleanly(["resume", "loop-a"], "loop-a is a symbolic link loop")


def test_output_files_refuse_folders_empty_names_and_loops(project: Path, loop: Path) -> None:
    """`sample/export/report --out` (and the API): a folder is never replaced, with or
    without --overwrite."""
    for overwrite in (False, True):
        with pytest.raises(GanzooError, match="--out project: is a folder; give a file name"):
            check_writable_output(project, overwrite)
    with pytest.raises(GanzooError, match='--out "": give a file name'):
        check_writable_output("", True)
    with pytest.raises(GanzooError, match="loop-a is a symbolic link loop"):
        check_writable_output("loop-a/x.png", True)
    assert check_writable_output("project/new.png", False) == Path("project/new.png")


# ---------------------------------------------------------------------------------- locks


@pytest.fixture
def sleeper() -> Iterator[int]:
    """A live process that is not ganzoo: the PID a stale lock may come to name."""
    proc = subprocess.Popen(["sleep", "60"])
    yield proc.pid
    proc.kill()
    proc.wait()


def _lock(folder: Path, **record: object) -> Path:
    folder.mkdir(exist_ok=True)
    (folder / ".lock").write_text(json.dumps(record), encoding="utf-8")
    return folder


def test_lock_records_pid_start_time_and_host(tmp_path: Path) -> None:
    with runs.locked(tmp_path):
        record = json.loads((tmp_path / ".lock").read_text())
    assert record["pid"] == os.getpid() and record["host"] == socket.gethostname()
    if Path("/proc/self/stat").exists():
        assert record["start"] == runs.process_start(os.getpid()) is not None


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")
def test_stale_lock_whose_pid_was_reused_is_taken_over(sleeper: int) -> None:
    """The lock's PID is alive but belongs to a `sleep` started at another time than the
    ganzoo process that wrote the lock: stale, so resume and --out go ahead."""
    start = runs.process_start(sleeper)
    folder = _lock(Path("run"), pid=sleeper, start=start - 1, host=socket.gethostname())
    assert runs.lock_holder(folder) is None
    assert runs.check_run_dir("dcgan", "run") == folder  # only the lock there: empty
    with runs.locked(folder):
        assert json.loads((folder / ".lock").read_text())["pid"] == os.getpid()
    assert not (folder / ".lock").exists()


def test_lock_of_a_live_process_with_its_start_time_is_held(sleeper: int) -> None:
    folder = _lock(Path("busy"), pid=sleeper, start=runs.process_start(sleeper),
                   host=socket.gethostname())
    assert runs.lock_holder(folder) == sleeper
    fails_cleanly(["run", "dcgan", "--out", "busy"],
                  f"busy is in use by another ganzoo process (pid {sleeper})")


def test_old_pid_only_lock_is_still_read(sleeper: int, tmp_path: Path) -> None:
    folder = tmp_path / "old"
    folder.mkdir()
    (folder / ".lock").write_text(str(sleeper), encoding="utf-8")
    assert runs.lock_holder(folder) == sleeper
    (folder / ".lock").write_text("999999999", encoding="utf-8")  # no such process
    assert runs.lock_holder(folder) is None


def test_lock_from_another_host_is_held_and_says_where() -> None:
    _lock(Path("shared"), pid=1, start=1, host="elsewhere.example")
    fails_cleanly(["run", "dcgan", "--out", "shared"],
                  "in use by a ganzoo process on host elsewhere.example (pid 1)",
                  "delete shared/.lock")


# ------------------------------------------------------------------------------ data files


def test_bad_idx_magic_says_so() -> None:
    """A file named like IDX whose first bytes are not IDX's: not 'unknown data format'."""
    Path("train-images-idx3-ubyte").write_bytes(b"\x12\x34\x08\x03" + bytes(100))
    fails_cleanly(["run", "dcgan", "--dataset", "train-images-idx3-ubyte", "--steps", "1"],
                  "train-images-idx3-ubyte: bad IDX magic number 12 34 08 03",
                  "IDX files start with 00 00", "download or copy it again")
    Path("idx").mkdir()
    Path("idx/train-images-idx3-ubyte").write_bytes(b"\x00\x00\x07\x03" + bytes(100))
    fails_cleanly(["run", "dcgan", "--dataset", "idx", "--steps", "1"],
                  "idx/train-images-idx3-ubyte: bad IDX magic number 00 00 07 03")


def test_truncated_npy_is_called_truncated() -> None:
    """numpy's own message was taken for a pickle ('not a plain numpy array file')."""
    np.save("full.npy", np.zeros((10, 28, 28, 1), np.uint8))
    raw = Path("full.npy").read_bytes()
    Path("cut.npy").write_bytes(raw[:len(raw) // 2])
    line = fails_cleanly(["run", "dcgan", "--dataset", "cut.npy", "--steps", "1"],
                         "cut.npy: truncated: its header declares an array of shape "
                         "(10, 28, 28, 1) (uint8, 7840 bytes) but the file holds")
    assert "pickle" not in line
    Path("header.npy").write_bytes(raw[:40])
    fails_cleanly(["run", "dcgan", "--dataset", "header.npy", "--steps", "1"],
                  "header.npy: the .npy header is damaged or incomplete")
    Path("empty.npy").write_bytes(b"")
    fails_cleanly(["run", "dcgan", "--dataset", "empty.npy", "--steps", "1"],
                  "empty.npy: the file is empty (0 bytes)")


def test_pickled_npy_is_still_refused_as_such() -> None:
    np.save("obj.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    fails_cleanly(["run", "dcgan", "--dataset", "obj.npy", "--steps", "1"],
                  "obj.npy: is not a plain numpy array file (pickled")


def test_huge_or_deep_registry_file_is_one_line() -> None:
    Path("deep.json").write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    fails_cleanly(["--registry", "deep.json", "list"], "deep.json: JSON nested too deeply")
    if Path("/dev/zero").exists():  # reports size 0; read without a bound it never ends
        fails_cleanly(["--registry", "/dev/zero", "list"], "larger than 4 MiB")

