"""User-facing errors.

Anything a user can cause (a typo, a missing file, a bad value) is raised as a
`GanzooError`; the CLI prints its message on one line and exits with code 2.
Everything else is a bug and keeps its traceback. `check_no_link_loop` lives here, at
the bottom of the package, because every path a user gives (data, run folders,
outputs) needs the same message for a symbolic link loop.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path


class GanzooError(Exception):
    """A problem the user can fix; the message says what is wrong and how to fix it."""

    exit_code = 2


class ConfigError(GanzooError):
    """A bad model name, hyperparameter or registry entry."""


class DataError(GanzooError):
    """A data set that is missing, unreadable or not made of images."""


class WeightsError(GanzooError):
    """A weights file that cannot be trusted or does not fit the model."""


class PluginError(GanzooError):
    """A plugin that failed to load or returned something unusable."""


def check_no_link_loop(path: str | os.PathLike[str], what: str,
                       fix: str = "give a real file or folder",
                       error: type[GanzooError] = GanzooError) -> None:
    """Refuse a path that runs through a symbolic link loop, naming the looping link:
    ``Path.exists`` says False for it, and the message would wrongly say 'missing'."""
    path = Path(path)
    if _stat_errno(path) != errno.ELOOP:
        return
    looping = next((part for part in reversed([path, *path.parents])
                    if _stat_errno(part) == errno.ELOOP), path)
    target = os.readlink(looping) if looping.is_symlink() else "?"
    raise error(f"{what} {path}: {looping} is a symbolic link loop (it points to {target}, "
                f"which leads back to it); {fix}")


def _stat_errno(path: Path) -> int | None:
    try:
        os.stat(path)
    except OSError as exc:
        return exc.errno
    return None
