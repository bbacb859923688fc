"""``ganzoo visualize``: run one visualizer after training, on a run folder or an export.

It builds the `VisualContext` with the trainer's own builder
(`ganzoo.visual.context.build_context`), for the model rebuilt by
`ganzoo.artifacts.sampling.load`, so every visualizer works in both places.
The visualizer writes into a temporary folder beside ``--out``; the file whose
suffix matches ``--out`` is then moved into place (atomically), so one kind that
writes a PNG and a GIF serves ``--out x.png`` and ``--out x.gif``.

Views that compare with the training images (compare, histogram, neighbours)
reopen the run's data set by the name stored in the run folder or the export;
where it is not available they stop with a one-line error saying so.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ganzoo.contract.visual import VisualContext
from ganzoo.errors import DataError, GanzooError, PluginError
from ganzoo.zoo.components import Catalog


def _data_names(source: Path, meta: Any) -> list[str]:
    """Where the run's training data can be found: registered name, then recorded source."""
    names: list[str] = []
    if source.is_dir():
        from ganzoo.artifacts import runs

        data = runs.read_config(source).get("data", {})
        names += [str(data[k]) for k in ("name", "source") if data.get(k)]
    elif meta.data and meta.data.get("name"):
        names.append(str(meta.data["name"]))
    return list(dict.fromkeys(names))


def training_data_loader(catalog: Catalog, names: list[str], model: str
                         ) -> Callable[[], tuple[np.ndarray, np.ndarray | None]]:
    """A lazy loader of the training images: only views that need them open the data set."""
    cache: dict[str, Any] = {}

    def load() -> tuple[np.ndarray, np.ndarray | None]:
        from ganzoo.data.loading import open_dataset

        if "data" not in cache:
            if not names:
                raise DataError(f"this {model} file does not say which data set it was trained "
                                "on; this view needs the training images")
            errors = []
            for name in names:
                try:
                    data = open_dataset(catalog, name)
                    break
                except GanzooError as exc:
                    errors.append(str(exc))
            else:
                raise DataError(f"this view needs {model}'s training data set {names[0]!r}, "
                                f"which is not available here ({errors[0]}); install or point "
                                "GANZOO_DATA_DIR at it")
            cache["data"] = (data.images, data.labels)
        return cache["data"]

    return load


def context_for(source: str | Path, catalog: Catalog, out_dir: Path,
                seed: int | None = None) -> VisualContext:
    """A `VisualContext` for a run folder or export, writing into `out_dir`: the trainer's
    context (`ganzoo.visual.context.build_context`) for the model rebuilt from SOURCE."""
    from ganzoo.artifacts import sampling
    from ganzoo.visual.context import build_context

    source = Path(source)
    loaded = sampling.load(source, catalog)
    meta = loaded.meta
    return build_context(
        meta.config, loaded.generator, model=meta.model, dataset=loaded.dataset,
        num_classes=meta.num_classes, points=loaded.is_points, class_names=meta.class_names,
        run_dir=source if source.is_dir() else None, out_dir=out_dir, step=meta.step,
        training_data=training_data_loader(catalog, _data_names(source, meta), meta.model),
        seed=seed,
    )


def visualize(source: str | Path, kind: str, out: str | Path, catalog: Catalog,
              seed: int | None = None) -> Path:
    """Run visualizer `kind` on SOURCE and write the file it makes with `out`'s suffix."""
    out = Path(out)
    from ganzoo.engine.builder import build_visualizers
    from ganzoo.zoo.host import describe_exception

    component = catalog.get("visualizer", kind)
    ((_, visualizer),) = build_visualizers(catalog, [kind])
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f".{out.name}.", dir=out.parent) as tmp:
        ctx = context_for(source, catalog, Path(tmp), seed=seed)
        try:
            written = [Path(p) for p in visualizer(ctx) or []]
        except GanzooError:
            raise
        except Exception as exc:
            raise PluginError(f"visualizer {kind!r} from plugin {component.plugin!r} failed: "
                              f"{describe_exception(exc)}") from exc
        if not written:
            why = "; ".join(ctx.skipped) or "it wrote no file"
            raise GanzooError(f"visualizer {kind!r} cannot run on {source}: {why}")
        matching = [p for p in written if p.suffix.lower() == out.suffix.lower()]
        if not matching:
            kinds = ", ".join(sorted({p.suffix for p in written}))
            raise GanzooError(f"--out {out}: visualizer {kind!r} writes {kinds} files; "
                              "give --out one of those suffixes")
        os.replace(matching[0], out)
    return out
