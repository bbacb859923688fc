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
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ganzoo.artifacts.files import can_write, read_json, writing
from ganzoo.errors import GanzooError, check_no_link_loop
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
        if not str(out).strip():
            raise GanzooError('--out "": give a folder name (without --out, runs go to '
                              "runs/NAME-TIMESTAMP)")
        path = Path(out)
        check_no_link_loop(path, "--out")
        if path.exists() and not path.is_dir():
            raise GanzooError(f"--out {path}: exists and is not a folder")
        if path.is_dir():
            owner = lock_owner(path)  # a run going on there says so first
            if owner is not None:
                raise GanzooError(_in_use(path, owner))
            _check_reusable(path, overwrite)
    ancestor = path
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise GanzooError(f"--out {path}: {ancestor} is a file, not a folder")
    if not can_write(ancestor):
        raise GanzooError(f"--out {path}: cannot write to {ancestor} "
                          "(permission denied or read-only)")
    owner = lock_owner(path)
    if owner is not None:
        raise GanzooError(_in_use(path, owner))
    return path


def _leftover(name: str) -> bool:
    """A file ganzoo itself leaves in a run folder after a crash (lock, temporaries)."""
    return name == LOCK or name.startswith(".lock-") or (name.startswith(".") and ".tmp" in name)


def holds_run(path: Path) -> bool:
    """Whether `path` holds a ganzoo run: a config.json that ganzoo wrote, not just any
    file of that name (``--overwrite`` deletes a run's outputs, never a user's files)."""
    if not (path / CONFIG).is_file():
        return False
    try:
        data = read_json(path / CONFIG, "run config")
    except GanzooError:
        return False
    return isinstance(data, dict) and all(k in data for k in ("model", "entry", "config", "data"))


def _check_reusable(path: Path, overwrite: bool) -> None:
    """An existing ``--out`` folder must be empty or hold a ganzoo run: a run writes
    grid.png, metrics.csv, samples/... and must never replace a user's files of those names."""
    if holds_run(path):
        if not overwrite:
            raise GanzooError(
                f"--out {path}: already holds a run; choose another folder, pass --overwrite, "
                f"or continue it with `ganzoo resume {shlex.quote(str(path))}`"
            )
        return
    try:
        others = sorted(p.name for p in path.iterdir() if not _leftover(p.name))
    except OSError as exc:
        raise GanzooError(f"--out {path}: cannot list the folder ({exc.strerror})") from None
    if others:
        shown = ", ".join(others[:3]) + (f" and {len(others) - 3} more" if len(others) > 3 else "")
        raise GanzooError(
            f"--out {path}: the folder holds other files ({shown}) and no ganzoo run; runs go "
            "only into a new or empty folder, so that none of your files is replaced "
            "(--overwrite does not apply); choose another folder"
        )


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


def process_start(pid: int) -> int | None:
    """When process `pid` started, in clock ticks since boot (Linux ``/proc``), or None.

    With the PID it names one process for good: a PID is reused, a (PID, start) pair
    is not.
    """
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8", errors="replace")
        return int(stat.rsplit(")", 1)[1].split()[19])  # field 22; the name may hold ')'
    except (OSError, IndexError, ValueError):
        return None


def _lock_record() -> str:
    pid = os.getpid()
    return json.dumps({"pid": pid, "start": process_start(pid), "host": socket.gethostname()})


def _read_lock(run_dir: Path) -> dict[str, Any] | None:
    """The lock's owner: ``{"pid", "start", "host"}``, or only the PID for locks written
    by ganzoo before the start time was recorded; None when there is no usable lock."""
    try:
        with (run_dir / LOCK).open("rb") as f:
            text = f.read(4096).decode("utf-8", errors="replace").strip()
    except OSError:
        return None
    if text.isdigit():
        return {"pid": int(text)}
    try:
        record = json.loads(text)
    except ValueError:
        return None
    if not isinstance(record, dict) or not isinstance(record.get("pid"), int):
        return None
    return record


def lock_owner(run_dir: Path) -> dict[str, Any] | None:
    """The live process that holds `run_dir`'s lock (``{"pid", ...}``), or None.

    A lock is stale when its process is gone, or when its PID now belongs to a process
    that started at another time (the PID was reused). A lock taken on another host
    cannot be checked from here and counts as held.
    """
    record = _read_lock(run_dir)
    if record is None or record["pid"] <= 0:
        return None
    pid, host = record["pid"], record.get("host")
    if isinstance(host, str) and host != socket.gethostname():
        return record
    if pid == os.getpid() or not _pid_alive(pid):
        return None
    start = record.get("start")
    if isinstance(start, int):
        now = process_start(pid)
        if now is not None and now != start:
            return None
    return record


def lock_holder(run_dir: Path) -> int | None:
    """The PID of the live process that holds `run_dir`'s lock, or None."""
    owner = lock_owner(run_dir)
    return None if owner is None else int(owner["pid"])


def _in_use(run_dir: Path, owner: dict[str, Any]) -> str:
    host = owner.get("host")
    if isinstance(host, str) and host != socket.gethostname():
        return (f"{run_dir} is in use by a ganzoo process on host {host} (pid {owner['pid']}); "
                f"wait for it or choose another folder (if none runs there, delete "
                f"{run_dir / LOCK})")
    return (f"{run_dir} is in use by another ganzoo process (pid {owner['pid']}); "
            "wait for it or choose another folder")


@contextlib.contextmanager
def locked(run_dir: Path) -> Iterator[None]:
    """Hold the run folder's lock; a lock left by a dead process is taken over."""
    lock = run_dir / LOCK
    # The owner is written first under another name, then hard-linked into place: the
    # lock never exists without its owner, and link() fails if it is there already.
    with writing(lock):
        fd, tmp_name = tempfile.mkstemp(prefix=".lock-", dir=run_dir)
    try:
        with writing(lock), os.fdopen(fd, "w") as f:
            f.write(_lock_record())
        for _ in range(3):
            try:
                os.link(tmp_name, lock)
                break
            except FileExistsError:
                owner = lock_owner(run_dir)
                if owner is not None:
                    raise GanzooError(_in_use(run_dir, owner)) from None
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
    check_no_link_loop(run_dir, "run folder")
    if not Path(run_dir).is_dir():
        raise GanzooError(f"{run_dir}: no such run folder")
    if not path.is_file():
        raise GanzooError(f"{run_dir}: not a ganzoo run folder (no {CONFIG})")
    data = read_json(path, "run config")
    if not isinstance(data, dict):
        raise GanzooError(f"{path}: the run config is not a JSON object; the file was edited "
                          "or damaged")
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
    except (OSError, ValueError, KeyError, TypeError, RecursionError):
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
