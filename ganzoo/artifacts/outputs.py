"""The one list of what a run folder holds: ganzoo's own files plus what visualizers declare.

``ganzoo run --overwrite`` removes exactly these, ``ganzoo report`` embeds the pictures
among them and the end-of-run summary lists them. Keeping one list means the three cannot
disagree: a picture that ``--overwrite`` left behind can no longer show up in the report of
the next run (issue #14). A visualizer's files are in the list only if it declares them
(``register(..., outputs=("view.png",))``, `ganzoo.zoo.components.Component.outputs`).
"""

from __future__ import annotations

import contextlib
import glob
import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from ganzoo.zoo.components import Catalog


@dataclass(frozen=True)
class Output:
    """Files of a run, by name or glob relative to the run folder."""

    #: ``"config.json"``, ``"samples/epoch_*.png"``; ``{model}`` stands for the model's name
    pattern: str
    #: what the end-of-run summary calls it: ``"config"``, or the visualizer's name
    label: str
    #: the visualizer that declared it; ``""`` for ganzoo's own files
    visualizer: str = ""
    #: a folder ganzoo owns whole (checkpoints, tensorboard): removed with what is in it
    folder: bool = False


#: ganzoo's own files, in the order the end-of-run summary lists them.
CORE: tuple[Output, ...] = (
    Output("config.json", "config"),
    Output("summary.json", "summary"),
    Output("metrics.csv", "metrics"),
    Output("checkpoints", "checkpoints", folder=True),
    Output("{model}.weights.h5", "weights"),  # the export; other .weights.h5 files stay
    Output("eval.json", "evaluation"),
    Output("eval.csv", "evaluation"),
    Output("report.html", "report"),
    Output("tensorboard", "tensorboard", folder=True),
)


class Found(NamedTuple):
    """An output and the paths that match it now (sorted)."""

    output: Output
    paths: list[Path]


def run_outputs(catalog: Catalog) -> list[Output]:
    """The core outputs, then each visualizer's declared ones in catalog order.

    Every visualizer of the catalog counts, not only those of one run: the run that
    ``--overwrite`` replaces may have used others than the new one.
    """
    outputs = list(CORE)
    for name, component in catalog.components["visualizer"].items():
        outputs += [Output(pattern, name, visualizer=name) for pattern in component.outputs]
    return outputs


def model_of(run_dir: Path) -> str | None:
    """The model named in a run folder's config.json, or None (missing or unreadable)."""
    try:
        model = json.loads((run_dir / "config.json").read_text(encoding="utf-8")).get("model")
    except (OSError, ValueError, AttributeError):
        return None
    return model if isinstance(model, str) and model else None


def _inside(run_dir: Path, path: Path) -> bool:
    """True when `path`'s folder is the run folder or below it (a symlinked sub-folder
    pointing elsewhere must not lead ``--overwrite`` out of the run folder)."""
    try:
        path.parent.resolve().relative_to(run_dir.resolve())
    except ValueError:
        return False
    return True


def matches(run_dir: Path, output: Output, model: str | None) -> list[Path]:
    """The paths `output` names in `run_dir` now, hidden names left out."""
    pattern = output.pattern
    if "{model}" in pattern:
        if model is None:
            return []
        pattern = pattern.replace("{model}", glob.escape(model))
    return sorted(p for p in run_dir.glob(pattern)
                  if not p.name.startswith(".") and _inside(run_dir, p))


def find(run_dir: str | Path, catalog: Catalog) -> list[Found]:
    """The run's outputs that exist, in list order, each with its paths."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        return []
    model = model_of(run_dir)
    found = [Found(o, matches(run_dir, o, model)) for o in run_outputs(catalog)]
    return [f for f in found if f.paths]


def clear(run_dir: str | Path, catalog: Catalog) -> list[Path]:
    """Remove every output of an earlier run (``--overwrite``); returns what was removed.

    Core folders go whole; a visualizer's pattern removes files only. Sub-folders that
    this empties (``samples/``) go too; anything else in the folder stays.
    """
    run_dir = Path(run_dir)
    removed: list[Path] = []
    for output, paths in find(run_dir, catalog):
        for path in paths:
            if output.folder and path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            elif path.is_file() or path.is_symlink():
                path.unlink()
            else:
                continue
            removed.append(path)
    root = run_dir.resolve()
    for folder in sorted({p.parent for p in removed}, key=lambda p: len(p.parts), reverse=True):
        while folder.resolve() != root and _inside(run_dir, folder):
            with contextlib.suppress(OSError):
                folder.rmdir()  # only when empty
            if folder.exists():
                break
            folder = folder.parent
    return removed
