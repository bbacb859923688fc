"""Writing files so that a crash never leaves a half-written one behind.

Every output of a run (config, grids, plots, checkpoints, exports) is written to
a temporary file in the same folder and moved into place with `os.replace`,
which is atomic on POSIX and Windows. A write the place refuses (full disk,
quota, read-only, permission) becomes one `WriteError` line naming the file and
the cause; the temporary file is removed and the file it would replace is left
as it was.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from ganzoo.errors import GanzooError, check_no_link_loop

#: Why a place refuses a file, by errno: not a bug, the user frees space or picks another.
WRITE_ERRNOS = {
    errno.ENOSPC: "no space left on the device",
    errno.EDQUOT: "disk quota exceeded",
    errno.EFBIG: "file too large for the file system",
    errno.EROFS: "read-only file system",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
}
_SPACE = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)
#: Largest JSON file ganzoo reads back (config.json, summary.json): ganzoo writes a few KiB.
MAX_JSON_BYTES = 4 << 20


class WriteError(GanzooError):
    """A file the place would not take: full disk, quota, read-only, no permission.

    `what` says which file and why, without the advice, so that a caller (training)
    can give its own.
    """

    def __init__(self, message: str, code: int = 0, what: str = "") -> None:
        super().__init__(message)
        self.errno = code
        self.what = what or message


def write_errno(exc: BaseException) -> int | None:
    """The errno of a refused write, or None when `exc` is something else.

    h5py raises OSError with the errno, or, when closing fails, a RuntimeError that
    carries it only in its text (``errno = 28``).
    """
    code = exc.errno if isinstance(exc, OSError) else None
    if code is None and isinstance(exc, OSError | RuntimeError):
        found = re.search(r"errno = (\d+)", str(exc))
        code = int(found.group(1)) if found else None
    return code if code in WRITE_ERRNOS else None


def _short_write(path: Path, exc: BaseException) -> int | None:
    """ENOSPC for numpy's errno-less 'N requested and M written' when the file system has
    less room than the write wanted (``ndarray.tofile`` reports a full disk so)."""
    found = re.search(r"(\d+) requested and (\d+) written", str(exc))
    if not isinstance(exc, OSError) or exc.errno is not None or not found:
        return None
    folder = path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    try:
        stat = os.statvfs(folder)
    except (OSError, AttributeError):
        return None
    missing = int(found.group(1)) - int(found.group(2))
    return errno.ENOSPC if stat.f_bavail * stat.f_frsize < missing else None


def write_error(path: str | Path, exc: BaseException) -> WriteError | None:
    """`exc` as one line naming `path` and the cause, or None when it is not a refused write
    (or is about another file, e.g. one being read)."""
    code = write_errno(exc) or _short_write(Path(path), exc)
    if code is None:
        return None
    other = getattr(exc, "filename", None)
    if other:  # a temporary beside `path`, or one of the folders made for it
        other_path, path = Path(os.fsdecode(other)), Path(path)
        if other_path.parent != path.parent and other_path not in path.parents:
            return None
    hint = ("free some space (or choose another place) and try again" if code in _SPACE
            else "choose a place you can write to")
    what = f"cannot write {path}: {WRITE_ERRNOS[code]} ({errno.errorcode[code]})"
    return WriteError(f"{what}; {hint}", code, what)


def reported_write_error(exc: BaseException, default: str | Path) -> WriteError | None:
    """A refused write that a library reports only in its message (TensorFlow's event
    writer: ``PATH; No space left on device``), as a `WriteError`; None otherwise."""
    text = str(exc)
    for code in WRITE_ERRNOS:
        found = re.search(r"(\S+); " + re.escape(os.strerror(code)), text)
        if found or os.strerror(code) in text:
            return write_error(found.group(1) if found else default, OSError(code, ""))
    return None


@contextlib.contextmanager
def writing(path: str | Path) -> Iterator[None]:
    """Turn a refused write of `path` inside the block into a `WriteError`."""
    failure: WriteError | None = None
    try:
        yield
    except (OSError, RuntimeError) as exc:
        failure = write_error(path, exc)
        if failure is None:
            raise
    if failure is not None:
        raise failure from None


@contextlib.contextmanager
def atomic_path(path: str | Path, suffix: str | None = None,
                release: Callable[[Path], None] | None = None) -> Iterator[Path]:
    """Yield a temporary path beside `path`; on success it replaces `path`.

    `suffix` keeps the temporary name's ending (Keras insists on ``.weights.h5``).
    `release(tmp)` runs when the block fails, before the temporary file is removed:
    it closes what a library left open on it (`ganzoo.artifacts.weightsfile.release_hdf5`).
    A refused write raises `WriteError`; `path` is then untouched.
    """
    path = Path(path)
    suffix = suffix if suffix is not None else "".join(path.suffixes)
    with writing(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=f".tmp{suffix}",
                                        dir=path.parent)
        os.close(fd)
    tmp = Path(tmp_name)
    umask = os.umask(0)
    os.umask(umask)
    failure: WriteError | None = None
    try:
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; outputs get the usual mode
        yield tmp
        os.replace(tmp, path)
    except BaseException as exc:
        if release is not None:
            release(tmp)
        failure = write_error(path, exc)
        if failure is None:
            raise
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()
    if failure is not None:
        raise failure from None


def write_text(path: str | Path, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_json(path: str | Path, data: Any) -> None:
    write_text(path, json.dumps(data, indent=2, sort_keys=False, default=str) + "\n")


def read_json(path: str | Path, what: str, limit: int = MAX_JSON_BYTES) -> Any:
    """A JSON file ganzoo wrote, read back with a size bound; anything else is one line.

    A file of many MB, nested too deeply for Python's parser, or not JSON was edited or
    damaged: refused before it can exhaust memory or the stack.
    """
    path = Path(path)
    try:
        with path.open("rb") as f:
            raw = f.read(limit + 1)
    except OSError as exc:
        raise GanzooError(f"{path}: cannot read the {what}: {exc.strerror or exc}") from None
    if len(raw) > limit:
        raise GanzooError(f"{path}: the {what} is larger than {limit >> 20} MiB, far more than "
                          "ganzoo writes; the file was edited or damaged")
    try:
        return json.loads(raw.decode("utf-8"))
    except RecursionError:
        raise GanzooError(f"{path}: the {what} is nested too deeply to be one ganzoo wrote; "
                          "the file was edited or damaged") from None
    except ValueError as exc:  # also UnicodeDecodeError
        raise GanzooError(f"{path}: unreadable {what} ({exc})") from None


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
    writable; raised as `GanzooError` so the CLI prints one line.

    A folder is never a valid output file, with or without ``--overwrite``.
    """
    if not str(path).strip():
        raise GanzooError('--out "": give a file name')
    path = Path(path)
    check_no_link_loop(path, "--out")
    if path.is_dir():
        raise GanzooError(f"--out {path}: is a folder; give a file name (e.g. "
                          f"{path / 'samples.png'}); nothing in the folder is replaced")
    if (path.exists() or path.is_symlink()) and not overwrite:
        raise GanzooError(f"{path} already exists; choose another path or pass --overwrite")
    parent = path.parent if str(path.parent) else Path(".")
    while not parent.exists() and parent != parent.parent:  # folders made when writing
        parent = parent.parent
    if not parent.is_dir():
        raise GanzooError(f"cannot write {path}: {parent} is not a folder")
    if not can_write(parent):
        raise GanzooError(f"cannot write to {parent}: permission denied or read-only")
    return path
