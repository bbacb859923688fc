"""Model entries: read registry files, validate entries, look models up by name.

An entry names a model's components, its default hyperparameters, its default
data set, a description and the papers it comes from. Entries arrive from
plugins (the built-in one reads the repository's registry.json) and from
files given with ``--registry``. A malformed entry is kept out of the catalog
with a message naming the file, the entry and the field; using that model
raises the message, listing models shows it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ganzoo.errors import ConfigError
from ganzoo.zoo.components import Catalog, did_you_mean
from ganzoo.zoo.config import LIST_SLOTS, SLOTS

FORMAT_VERSION = 1
_ENTRY_FIELDS = {"description", "papers", "components", "dataset", "defaults", "notes"}
_PAPER_FIELDS = {"title", "authors", "year", "url"}
_MAX_FILE_BYTES = 4 * 1024 * 1024


def read_file(path: str | Path) -> dict[str, dict[str, Any]]:
    """Parse a registry file ({"format": 1, "models": {...}}) without validating entries."""
    path = Path(path)
    try:
        with path.open("rb") as f:  # a bounded read: a FIFO or /dev/zero reports size 0
            raw = f.read(_MAX_FILE_BYTES + 1)
        if len(raw) > _MAX_FILE_BYTES:
            raise ConfigError(f"{path}: registry file larger than 4 MiB; is it the right file?")
        text = raw.decode("utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: registry file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read registry file: {exc}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"{path}:{exc.lineno}:{exc.colno}: not valid JSON: {exc.msg}"
        ) from None
    except RecursionError:
        raise ConfigError(f"{path}: JSON nested too deeply for a registry file; is it the "
                          "right file?") from None
    if not isinstance(data, dict) or not isinstance(data.get("models"), dict):
        raise ConfigError(f'{path}: expected a JSON object {{"format": 1, "models": {{...}}}}')
    version = data.get("format")
    if version != FORMAT_VERSION:
        raise ConfigError(
            f"{path}: field 'format': registry format {version!r} is not supported "
            f"(this ganzoo reads format {FORMAT_VERSION})"
        )
    return data["models"]


def register_file(catalog: Catalog, path: str | Path, plugin: str) -> None:
    """Add every entry of a registry file to the catalog."""
    for name, entry in read_file(path).items():
        add_entry(catalog, name, entry, plugin=plugin, source=str(path))


def add_entry(
    catalog: Catalog, name: str, entry: Any, *, plugin: str, source: str | None,
    replace: bool = False,
) -> None:
    """Validate an entry's shape and add it; a bad entry is recorded, not raised.

    Clashes follow the catalog's rule (`Catalog.may_take`); ``--registry`` files
    (plugin ``file:PATH``) are applied last and win without a warning.
    """
    where = f"{source or 'plugin ' + repr(plugin)}: model {name!r}: "
    try:
        validate_entry(name, entry, where)
    except ConfigError as exc:
        catalog.invalid_models[name] = str(exc)
        catalog.models.pop(name, None)
        return
    if name in catalog.models and not plugin.startswith("file:"):
        _, other, _ = catalog.models[name]
        if other != plugin and not catalog.may_take("model", name, other, plugin, replace):
            return
    if name in catalog.models:
        _, other, _ = catalog.models[name]
        if other in catalog.plugins and name in catalog.plugins[other].provides.get("model", []):
            catalog.plugins[other].provides["model"].remove(name)
    catalog.invalid_models.pop(name, None)
    catalog.models[name] = (dict(entry), plugin, source)
    if plugin in catalog.plugins:
        catalog.plugins[plugin].provides.setdefault("model", []).append(name)


def validate_entry(name: Any, entry: Any, where: str) -> None:
    """Check an entry's fields and types; raises `ConfigError` naming the field."""

    def fail(field: str, problem: str) -> None:
        raise ConfigError(f"{where}field {field!r}: {problem}")

    plain = isinstance(name, str) and name.replace("-", "").replace("_", "").isalnum()
    if not plain:
        raise ConfigError(f"{where}model names use letters, digits, '-' and '_' only")
    if not isinstance(entry, dict):
        raise ConfigError(f"{where}an entry must be a JSON object")
    for field in entry:
        if field not in _ENTRY_FIELDS:
            fail(field, f"unknown field{did_you_mean(field, sorted(_ENTRY_FIELDS))}; "
                        f"allowed: {', '.join(sorted(_ENTRY_FIELDS))}")
    if not isinstance(entry.get("description"), str) or not entry["description"].strip():
        fail("description", "required, a non-empty string")
    papers = entry.get("papers", [])
    if not isinstance(papers, list):
        fail("papers", "must be a list of {title, authors, year, url}")
    for i, paper in enumerate(papers):
        if not isinstance(paper, dict) or not {"title", "authors", "year"} <= set(paper):
            fail(f"papers[{i}]", "needs title, authors and year")
        if set(paper) - _PAPER_FIELDS:
            fail(f"papers[{i}]", f"unknown keys {sorted(set(paper) - _PAPER_FIELDS)}")
        if not isinstance(paper["year"], int):
            fail(f"papers[{i}].year", "must be an integer")
    components = entry.get("components")
    if not isinstance(components, dict):
        fail("components", "required, an object naming generator, discriminator and loss")
    for slot in ("generator", "discriminator", "loss"):
        if not isinstance(components.get(slot), str) or not components[slot]:
            fail(f"components.{slot}", "required, the name of a registered component")
    for slot in LIST_SLOTS:
        value = components.get(slot, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            fail(f"components.{slot}", "must be a list of component names")
    for slot in components:
        if slot not in SLOTS:
            fail(f"components.{slot}", f"unknown slot; slots are {', '.join(SLOTS)}")
    if "dataset" in entry and not isinstance(entry["dataset"], str):
        fail("dataset", "must be a data set name or path")
    defaults = entry.get("defaults", {})
    if not isinstance(defaults, dict):
        fail("defaults", "must be an object of hyperparameter values")
    for key, value in defaults.items():
        if not isinstance(value, str | int | float | bool) or value is None:
            fail(f"defaults.{key}", "must be a string, number or boolean")


def get(catalog: Catalog, name: str) -> tuple[dict[str, Any], str, str]:
    """Look a model up; returns (entry, plugin, where-prefix for error messages)."""
    if name in catalog.invalid_models:
        raise ConfigError(catalog.invalid_models[name])
    if name not in catalog.models:
        catalog.raise_if_broken("model", name)
        known = ", ".join(sorted(catalog.models)) or "none (no plugin registered a model)"
        raise ConfigError(
            f"unknown model {name!r}{did_you_mean(name, sorted(catalog.models))}; "
            f"known models: {known} (see `ganzoo list`){catalog.failed_plugins_hint()}"
        )
    entry, plugin, source = catalog.models[name]
    check_references(catalog, name, entry, plugin, source)
    return entry, plugin, f"{source or 'plugin ' + repr(plugin)}: model {name!r}: "


def check_references(
    catalog: Catalog, name: str, entry: Mapping[str, Any], plugin: str, source: str | None
) -> None:
    """Every component an entry names must be registered by some loaded plugin."""
    where = f"{source or 'plugin ' + repr(plugin)}: model {name!r}: "
    for slot, kind in SLOTS.items():
        value = entry["components"].get(slot, [])
        for component in value if isinstance(value, list) else [value]:
            if component not in catalog.components[kind]:
                catalog.raise_if_broken(kind, component)
                known = ", ".join(catalog.names(kind)) or "none"
                raise ConfigError(
                    f"{where}field 'components.{slot}': no {kind} named {component!r}"
                    f"{did_you_mean(component, catalog.names(kind))} is registered "
                    f"(known: {known}); is the plugin that provides it installed?"
                    f"{catalog.failed_plugins_hint()}"
                )
