"""Writing files so that a crash never leaves a half-written one behind.

Every output of a run (config, grids, plots, checkpoints, exports) is written to
a temporary file in the same folder and moved into place with `os.replace`,
which is atomic on POSIX and Windows.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any


@contextlib.contextmanager
def atomic_path(path: str | Path, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside `path`; on success it replaces `path`.

    `suffix` keeps the temporary name's ending (Keras insists on ``.weights.h5``).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    suffix = suffix if suffix is not None else "".join(path.suffixes)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=f".tmp{suffix}",
                                    dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; outputs get the usual mode
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def write_text(path: str | Path, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_json(path: str | Path, data: Any) -> None:
    write_text(path, json.dumps(data, indent=2, sort_keys=False, default=str) + "\n")


def can_write(folder: str | Path) -> bool:
    """Whether a file can be created in `folder`, found by creating (and removing) one:
    `os.access` says yes to root and on read-only mounts."""
    try:
        fd, name = tempfile.mkstemp(prefix=".ganzoo-probe-", dir=folder)
    except OSError:
        return False
    os.close(fd)
    os.unlink(name)
    return True


def check_writable_output(path: str | Path, overwrite: bool) -> Path:
    """Refuse to replace an existing file unless asked, and fail early if the folder is not
    writable; raised as `GanzooError` so the CLI prints one line."""
    from ganzoo.errors import GanzooError

    path = Path(path)
    if path.exists() and not overwrite:
        raise GanzooError(f"{path} already exists; choose another path or pass --overwrite")
    if path.is_dir():
        raise GanzooError(f"{path} is a folder; give a file name")
    parent = path.parent if str(path.parent) else Path(".")
    while not parent.exists() and parent != parent.parent:  # folders made when writing
        parent = parent.parent
    if not parent.is_dir():
        raise GanzooError(f"cannot write {path}: {parent} is not a folder")
    if not can_write(parent):
        raise GanzooError(f"cannot write to {parent}: permission denied or read-only")
    return path
