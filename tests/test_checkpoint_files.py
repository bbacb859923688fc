"""Which checkpoint a run resumes from, whatever a crash left in its folder (no TensorFlow:
checkpoint files are stood in for by small HDF5 files with the same attributes)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import h5py
import numpy as np
import pytest

from ganzoo.artifacts import runs
from ganzoo.errors import GanzooError


def checkpoint(folder: Path, step: int, fmt: int = 1) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"ckpt-{step:08d}.weights.h5"
    with h5py.File(path, "w") as f:
        f.create_dataset("generator/vars/0", data=np.zeros(2, np.float32))
        f.attrs["ganzoo_checkpoint"] = json.dumps({"format": fmt, "step": step, "rng": []})
    return path


def test_newest_complete_checkpoint_wins_over_a_stale_index(tmp_path: Path) -> None:
    """A kill between the checkpoint's rename and latest.json's update: the newer file
    is complete (it appeared by rename), so it is the one to resume from."""
    folder = tmp_path / "checkpoints"
    checkpoint(folder, 7)
    newest = checkpoint(folder, 14)
    (folder / "latest.json").write_text('{"step": 7, "file": "ckpt-00000007.weights.h5"}')
    path, state = runs.latest_checkpoint(tmp_path)
    assert path == newest and state["step"] == 14


def test_unreadable_newest_checkpoint_falls_back(tmp_path: Path) -> None:
    folder = tmp_path / "checkpoints"
    good = checkpoint(folder, 7)
    (folder / "ckpt-00000014.weights.h5").write_bytes(b"garbage")
    renamed = checkpoint(folder, 21)
    renamed.rename(folder / "ckpt-00000028.weights.h5")  # attribute says 21: refused
    checkpoint(folder, 35, fmt=99)  # a newer format than this ganzoo writes: refused
    path, state = runs.latest_checkpoint(tmp_path)
    assert path == good and state["step"] == 7


def test_no_checkpoint(tmp_path: Path) -> None:
    assert runs.latest_checkpoint(tmp_path) is None
    (tmp_path / "checkpoints").mkdir()
    assert runs.latest_checkpoint(tmp_path) is None


def test_half_written_temporaries_are_removed(tmp_path: Path) -> None:
    folder = tmp_path / "checkpoints"
    keep = checkpoint(folder, 7)
    tmp = folder / ".ckpt-00000014.weights.h5.abc123.tmp.weights.h5"
    tmp.write_bytes(b"half")
    top = tmp_path / ".metrics.csv.x1.tmp.csv"
    top.write_text("x")
    runs.remove_temporaries(tmp_path)
    assert keep.exists() and not tmp.exists() and not top.exists()


def test_lock_of_a_dead_process_is_taken_over(tmp_path: Path) -> None:
    (tmp_path / ".lock").write_text("999999999")  # no such process
    with runs.locked(tmp_path):
        assert json.loads((tmp_path / ".lock").read_text())["pid"] == os.getpid()
    assert not (tmp_path / ".lock").exists()


def test_lock_of_a_live_process_is_refused(tmp_path: Path) -> None:
    (tmp_path / ".lock").write_text(str(os.getppid()))
    with pytest.raises(GanzooError, match="in use by another ganzoo process"), \
            runs.locked(tmp_path):
        pass
    assert (tmp_path / ".lock").read_text() == str(os.getppid())
    assert [p.name for p in tmp_path.iterdir()] == [".lock"]  # no temporary left
