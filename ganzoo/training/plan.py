"""A checked run, before anything is built or written.

`plan()` does everything that can fail on bad input (unknown model, bad ``--set``,
missing data) before TensorFlow is imported or a folder is created; `plan_from_run()`
does the same for the config.json of a run being resumed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ganzoo.contract.imagedata import DEFAULT_DATASET, ImageData
from ganzoo.data.loading import open_dataset
from ganzoo.data.pipeline import fingerprint
from ganzoo.engine.distribute import check_name as check_strategy
from ganzoo.errors import DataError
from ganzoo.zoo import registry
from ganzoo.zoo.components import Catalog
from ganzoo.zoo.config import adapt_to_points, resolve


@dataclass
class Plan:
    """A checked run, before anything is built or written."""

    model: str
    plugin: str
    entry: dict[str, Any]
    config: dict[str, Any]
    data: ImageData
    catalog: Catalog = field(repr=False)
    #: the data set as given (registered name or path); `ganzoo resume` opens it again
    dataset: str = ""

    @property
    def images_per_step(self) -> int:
        return int(self.config["batch_size"]) * int(self.config["d_steps"])

    @property
    def steps_per_epoch(self) -> int:
        return len(self.data) // self.images_per_step

    @property
    def total_steps(self) -> int:
        steps = int(self.config["steps"])
        return steps if steps > 0 else int(self.config["epochs"]) * self.steps_per_epoch


def plan(
    model: str,
    *,
    catalog: Catalog,
    dataset: str | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Plan:
    entry, plugin, where = registry.get(catalog, model)
    config = resolve(entry, catalog, overrides, entry_where=where)
    check_strategy(config["strategy"])
    spec = dataset or entry.get("dataset") or DEFAULT_DATASET
    data = open_dataset(catalog, spec)
    if len(data) == 0:
        raise DataError(f"data set {spec!r} holds no samples")
    if data.is_points and (adapted := adapt_to_points(entry, catalog, overrides)):
        entry = adapted  # recorded in config.json, so `ganzoo resume` rebuilds the same
        config = resolve(entry, catalog, overrides, entry_where=where)
    if spec not in catalog.components["dataset"]:
        spec = str(Path(spec).resolve())  # so that `ganzoo resume` finds it from anywhere
    p = Plan(model=model, plugin=plugin, entry=dict(entry), config=config, data=data,
             catalog=catalog, dataset=spec)
    if p.steps_per_epoch == 0:
        raise DataError(
            f"data set {data.name!r} has {len(data)} samples, fewer than one step needs "
            f"({p.images_per_step}); lower --batch-size"
        )
    if int(config["eval_every"]) > 0:
        from ganzoo.evaluation.evaluate import check_training_eval

        check_training_eval(catalog, data)
    if config["conditional"] and data.num_classes < 2:
        raise DataError(
            f"{model} is conditional but data set {data.name!r} has no class labels; "
            "use a labelled set (IDX with labels, .npz with y, or class sub-folders)"
        )
    return p


def plan_from_run(run: Mapping[str, Any], run_dir: Path, catalog: Catalog) -> Plan:
    """The plan of a run folder's config.json, checked again (plugins, data set)."""
    from ganzoo.errors import ConfigError

    where = run_dir / "config.json"
    entry, stored, want = run["entry"], run["config"], run["data"]
    if not all(isinstance(v, dict) for v in (entry, stored, want)) or not isinstance(
            run["model"], str):
        raise ConfigError(f"{where}: 'entry', 'config' and 'data' must be JSON objects and "
                          "'model' a string; the file was edited or damaged")
    try:
        registry.validate_entry(run["model"], entry, "")
        registry.check_references(catalog, str(run["model"]), entry, str(run.get("plugin")),
                                  None)
        config = resolve(entry, catalog, stored)
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc}") from None
    spec = str(run.get("dataset") or want.get("name") or "")
    data = open_dataset(catalog, spec)
    p = Plan(model=str(run["model"]), plugin=str(run.get("plugin", "")), entry=dict(entry),
             config=config, data=data, catalog=catalog, dataset=spec)
    if (len(data) != want.get("images") or list(data.image_shape) != want.get("image_shape")
            or want.get("fingerprint", fingerprint(data)) != fingerprint(data)):
        raise DataError(
            f"{run_dir}: the data set {spec!r} has changed since the run started "
            f"(now {len(data)} images {list(data.image_shape)}, the run used "
            f"{want.get('images')} {want.get('image_shape')}, or other pixels); resume needs "
            "the same data"
        )
    return p
