"""Run folders: naming, the lock that keeps two runs apart, and the saved config.

A run folder holds ``config.json`` (everything needed to rebuild the run), and
what training writes next to it. It is locked while a process trains into it.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ganzoo.errors import GanzooError

CONFIG = "config.json"
LOCK = ".lock"


def new_run_dir(model: str, out: str | Path | None, overwrite: bool = False) -> Path:
    """The folder a new run writes to; refuses to reuse a folder that holds a run."""
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
                f"--out {path}: already holds a run; choose another folder or pass --overwrite"
            )
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise GanzooError(f"cannot create run folder {path}: {exc.strerror}") from None
    if not os.access(path, os.W_OK):
        raise GanzooError(f"cannot write to run folder {path}: permission denied")
    return path


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextlib.contextmanager
def locked(run_dir: Path) -> Iterator[None]:
    """Hold the run folder's lock; a lock left by a dead process is taken over."""
    lock = run_dir / LOCK
    for _ in range(2):
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            try:
                pid = int(lock.read_text().strip() or 0)
            except (OSError, ValueError):
                pid = 0
            if pid and pid != os.getpid() and _pid_alive(pid):
                raise GanzooError(
                    f"{run_dir} is in use by another ganzoo process (pid {pid}); "
                    "wait for it or choose another folder"
                ) from None
            lock.unlink(missing_ok=True)
            continue
        with os.fdopen(fd, "w") as f:
            f.write(str(os.getpid()))
        break
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


def latest_checkpoint(run_dir: str | Path) -> tuple[Path, dict[str, Any]] | None:
    """The newest complete checkpoint of a run, or None.

    ``checkpoints/latest.json`` is replaced only after its weights file is in place,
    so whatever it names is complete.
    """
    index = Path(run_dir) / "checkpoints" / "latest.json"
    if not index.exists():
        return None
    try:
        info = json.loads(index.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    path = index.parent / str(info.get("file", ""))
    return (path, info) if path.is_file() else None
