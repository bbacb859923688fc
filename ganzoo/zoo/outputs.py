"""The files a visualizer declares it writes (``outputs=`` at registration), checked.

They are the run's list of pictures for ``--overwrite``, the report and the summary
(`ganzoo.artifacts.outputs`), so a declaration must not reach outside its own files.
"""

from __future__ import annotations

from typing import Any

_WILDCARDS = set("*?[]")


def check_outputs(what: str, outputs: Any) -> tuple[str, ...]:
    """A visualizer's declared ``outputs``, checked: relative names or globs in the run folder.

    ``--overwrite`` deletes what they match, so each must name its own files: no absolute
    paths, no ``..``, no hidden names (the run's lock), no ``**``, and a last part that is
    more than wildcards (``*.png`` would take every picture in the folder).
    """
    if isinstance(outputs, str) or not isinstance(outputs, list | tuple):
        raise TypeError(f"{what}: outputs must be a tuple of file names or globs relative to "
                        f"the run folder, e.g. (\"view.png\",), got {outputs!r}")
    checked: list[str] = []
    for pattern in outputs:
        if not isinstance(pattern, str) or not pattern.strip():
            raise TypeError(f"{what}: outputs must be non-empty strings, got {pattern!r}")
        parts = pattern.split("/")
        if "\\" in pattern or pattern.startswith("/") or any(
                not part or part in (".", "..") or part.startswith(".") or part == "**"
                for part in parts):
            raise ValueError(f"{what}: output {pattern!r} must be a file name or glob inside "
                             "the run folder (no absolute path, '..', backslash, hidden name or "
                             "'**')")
        stem = parts[-1].split(".")[0]
        if not set(stem) - _WILDCARDS:
            raise ValueError(f"{what}: output {pattern!r} would match other components' files; "
                             "start its name with letters of its own (e.g. 'view_*.png')")
        checked.append(pattern)
    return tuple(checked)
