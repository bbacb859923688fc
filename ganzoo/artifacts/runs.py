"""Run folders: naming, the lock that keeps two runs apart, and the saved config.

A run folder holds ``config.json`` (everything needed to rebuild the run), and
what training writes next to it. It is locked while a process trains into it.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import os
import shlex
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ganzoo.artifacts.files import can_write
from ganzoo.errors import GanzooError
from ganzoo.zoo.components import Catalog

CONFIG = "config.json"
LOCK = ".lock"
#: Version of a checkpoint's ``ganzoo_checkpoint`` attribute; newer ones are not read.
CHECKPOINT_FORMAT = 1


def check_run_dir(model: str, out: str | Path | None, overwrite: bool = False) -> Path:
    """The folder a new run will write to, checked without creating anything.

    Refuses a path that is a file, a folder that holds a run (unless ``overwrite``)
    and a place that cannot be written; nothing is created, so a run that fails
    before training starts leaves nothing behind.
    """
    if out is None:
        stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        base = Path("runs") / f"{model}-{stamp}"
        path, n = base, 1
        while path.exists():
            n += 1
            path = base.with_name(f"{base.name}-{n}")
    else:
        path = Path(out)
        if path.exists() and not path.is_dir():
            raise GanzooError(f"--out {path}: exists and is not a folder")
        if (path / CONFIG).exists() and not overwrite:
            raise GanzooError(
                f"--out {path}: already holds a run; choose another folder, pass --overwrite, "
                f"or continue it with `ganzoo resume {shlex.quote(str(path))}`"
            )
    ancestor = path
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise GanzooError(f"--out {path}: {ancestor} is a file, not a folder")
    if not can_write(ancestor):
        raise GanzooError(f"--out {path}: cannot write to {ancestor} "
                          "(permission denied or read-only)")
    holder = lock_holder(path)
    if holder is not None:
        raise GanzooError(_in_use(path, holder))
    return path


def create_run_dir(path: Path) -> list[Path]:
    """Create `path` and its missing parents; returns the folders this call created."""
    missing: list[Path] = []
    p = path
    while not p.exists() and p != p.parent:
        missing.append(p)
        p = p.parent
    created: list[Path] = []
    for folder in reversed(missing):
        try:
            folder.mkdir()
        except FileExistsError:
            continue  # made by someone else in the meantime: not ours to remove
        except OSError as exc:
            remove_created(created)
            raise GanzooError(f"cannot create run folder {path}: {exc.strerror}") from None
        created.append(folder)
    if not os.access(path, os.W_OK):
        remove_created(created)
        raise GanzooError(f"cannot write to run folder {path}: permission denied")
    return created


def remove_created(created: list[Path]) -> None:
    """Undo `create_run_dir`: the run folder with what is in it, then empty parents."""
    for i, folder in enumerate(reversed(created)):
        if i == 0:
            shutil.rmtree(folder, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                folder.rmdir()


def clear_run_dir(path: Path, catalog: Catalog | None = None) -> list[Path]:
    """Remove an earlier run's outputs before a new run writes there (``--overwrite``), so
    that its checkpoints cannot be resumed into the new run and none of its pictures end
    up in the new run's report.

    What goes is the one list of run outputs (`ganzoo.artifacts.outputs`): ganzoo's own
    files and what every visualizer of `catalog` declares; other files stay. Without a
    catalog, the installed plugins' is loaded (the trainer should pass its plan's).
    """
    from ganzoo.artifacts import outputs

    if catalog is None:
        from ganzoo.zoo.host import load_catalog

        catalog = load_catalog()
    return outputs.clear(path, catalog)


def remove_temporaries(run_dir: Path) -> None:
    """Delete half-written files a killed process left (``files.atomic_path`` names)."""
    for folder in (run_dir, run_dir / "checkpoints", run_dir / "samples"):
        for tmp in [*folder.glob(".*.tmp*"), *folder.glob(".lock-*")]:
            if tmp.is_file():
                tmp.unlink(missing_ok=True)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def lock_holder(run_dir: Path) -> int | None:
    """The PID of the live process that holds `run_dir`'s lock, or None."""
    try:
        pid = int((run_dir / LOCK).read_text().strip() or 0)
    except (OSError, ValueError):
        return None
    return pid if pid and pid != os.getpid() and _pid_alive(pid) else None


def _in_use(run_dir: Path, pid: int) -> str:
    return (f"{run_dir} is in use by another ganzoo process (pid {pid}); "
            "wait for it or choose another folder")


@contextlib.contextmanager
def locked(run_dir: Path) -> Iterator[None]:
    """Hold the run folder's lock; a lock left by a dead process is taken over."""
    lock = run_dir / LOCK
    # The PID is written first under another name, then hard-linked into place: the
    # lock never exists without its PID, and link() fails if it is there already.
    fd, tmp_name = tempfile.mkstemp(prefix=".lock-", dir=run_dir)
    try:
        with os.fdopen(fd, "w") as f:
            f.write(str(os.getpid()))
        for _ in range(3):
            try:
                os.link(tmp_name, lock)
                break
            except FileExistsError:
                pid = lock_holder(run_dir)
                if pid is not None:
                    raise GanzooError(_in_use(run_dir, pid)) from None
                lock.unlink(missing_ok=True)  # left by a process that is gone
        else:
            raise GanzooError(f"{run_dir}: cannot take the run folder's lock {lock}; "
                              "another process keeps taking it")
    finally:
        os.unlink(tmp_name)
    try:
        yield
    finally:
        lock.unlink(missing_ok=True)


def read_config(run_dir: str | Path) -> dict[str, Any]:
    """A run's config.json, or a one-line error saying why it cannot be used."""
    path = Path(run_dir) / CONFIG
    if not Path(run_dir).is_dir():
        raise GanzooError(f"{run_dir}: no such run folder")
    if not path.is_file():
        raise GanzooError(f"{run_dir}: not a ganzoo run folder (no {CONFIG})")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise GanzooError(f"{path}: unreadable run config ({exc})") from None
    for key in ("model", "entry", "config", "data"):
        if key not in data:
            raise GanzooError(f"{path}: run config lacks {key!r}")
    return data


def read_checkpoint_state(path: Path) -> dict[str, Any] | None:
    """A checkpoint's ``ganzoo_checkpoint`` attribute (step, epoch, data position, RNG),
    read with h5py alone; None when the file cannot be used."""
    import h5py

    try:
        with h5py.File(path, "r") as f:
            if "ganzoo_checkpoint" not in f.attrs:  # written before format 1: weights only
                step = int(path.name[len("ckpt-"):-len(".weights.h5")])
                return {"format": 0, "step": step} if "generator" in f else None
            if f.attrs.get_id("ganzoo_checkpoint").get_storage_size() > 1 << 20:
                return None
            raw = f.attrs["ganzoo_checkpoint"]
        state = json.loads(raw.decode("utf-8") if isinstance(raw, bytes) else str(raw))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not isinstance(state, dict) or not isinstance(state.get("step"), int):
        return None
    if not isinstance(state.get("format"), int) or state["format"] > CHECKPOINT_FORMAT:
        return None
    if f"ckpt-{state['step']:08d}.weights.h5" != path.name:
        return None
    return state


def latest_checkpoint(run_dir: str | Path) -> tuple[Path, dict[str, Any]] | None:
    """The newest complete checkpoint of a run, or None.

    Checkpoint files appear only complete (written under a temporary name, then
    renamed), so the newest readable one is the latest state, even when a crash came
    between the rename and the update of ``checkpoints/latest.json``.
    """
    folder = Path(run_dir) / "checkpoints"
    for path in sorted(folder.glob("ckpt-*.weights.h5"), reverse=True):
        state = read_checkpoint_state(path)
        if state is not None:
            return path, state
    return None
