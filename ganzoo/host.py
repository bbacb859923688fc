"""The plugin host: finds plugins, calls their hooks, and fills a `Catalog`.

Built-in components are a plugin like any other, found through the ``ganzoo``
entry-point group. Each hook implementation is called on its own, with a
`register` callback bound to its plugin, so that every component knows which
plugin gave it and a broken plugin is reported without taking the others down.

Name clashes follow one rule (docs/DESIGN.md): built-in plugins are applied
first, then third-party plugins in alphabetical order of their names; a
third-party component replaces a built-in one of the same name (that is how a
plugin overrides a built-in on purpose), and when two third-party plugins
register the same name the first in alphabetical order keeps it and a warning
names both.

Environment:
  GANZOO_PLUGINS          comma-separated plugin names: load only these (plus ``builtin``)
  GANZOO_BLOCK_PLUGINS    comma-separated plugin names never imported (``builtin`` too)
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from importlib import metadata
from types import ModuleType
from typing import Any

import pluggy

from ganzoo import hookspecs
from ganzoo.components import KINDS, Catalog, Component, PluginRecord

BUILTIN = "builtin"
BUILTIN_MODULE = "ganzoo_plugins.builtin"
ENTRY_POINT_GROUP = "ganzoo"

_KIND_HOOKS: dict[str, str] = {
    "generator": "ganzoo_register_generators",
    "discriminator": "ganzoo_register_discriminators",
    "loss": "ganzoo_register_losses",
    "penalty": "ganzoo_register_penalties",
    "visualizer": "ganzoo_register_visualizers",
    "dataset": "ganzoo_register_datasets",
    "metric": "ganzoo_register_metrics",
}
assert set(_KIND_HOOKS) == set(KINDS)


def _env_names(var: str) -> set[str]:
    return {n.strip() for n in os.environ.get(var, "").split(",") if n.strip()}


def _check_api(module: ModuleType) -> None:
    wanted = getattr(module, "GANZOO_API", hookspecs.API_VERSION)
    if wanted != hookspecs.API_VERSION:
        raise RuntimeError(
            f"needs ganzoo plugin API {wanted}, this ganzoo provides API "
            f"{hookspecs.API_VERSION}; install a matching version of the plugin or of ganzoo"
        )


def build_plugin_manager(
    extra_plugins: Iterable[tuple[str, Any]] = (),
) -> tuple[pluggy.PluginManager, dict[str, PluginRecord]]:
    """Build the plugin manager from the entry-point group; never raises for a bad plugin."""
    pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    pm.add_hookspecs(hookspecs)
    records: dict[str, PluginRecord] = {}
    only, blocked = _env_names("GANZOO_PLUGINS"), _env_names("GANZOO_BLOCK_PLUGINS")

    eps = sorted(metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda ep: ep.name)
    seen_builtin = False
    for ep in eps:
        dist = getattr(ep, "dist", None)
        is_builtin = ep.name == BUILTIN and ep.value == BUILTIN_MODULE
        if ep.name in records:  # the same name from two distributions: first wins
            records[ep.name].error = (
                f"two installed distributions both define the plugin name {ep.name!r}"
            )
            continue
        if ep.name in blocked or (only and not is_builtin and ep.name not in only):
            continue
        record = PluginRecord(
            name=ep.name,
            distribution=dist.metadata["Name"] if dist else None,
            version=dist.version if dist else None,
            builtin=is_builtin,
        )
        records[ep.name] = record
        seen_builtin = seen_builtin or is_builtin
        _load(pm, record, ep.load)

    if not seen_builtin and BUILTIN not in blocked:
        # Running from a source tree without `pip install`: register the
        # built-ins directly so that ganzoo still works.
        from ganzoo import __version__

        record = PluginRecord(
            name=BUILTIN, distribution="ganzoo", version=__version__, builtin=True
        )
        records[BUILTIN] = record

        def _import_builtin() -> ModuleType:
            import importlib

            return importlib.import_module(BUILTIN_MODULE)

        _load(pm, record, _import_builtin)

    for name, plugin in extra_plugins:
        record = PluginRecord(name=name, distribution=None, version=None)
        records[name] = record
        _load(pm, record, lambda plugin=plugin: plugin)
    return pm, records


def _load(pm: pluggy.PluginManager, record: PluginRecord, load: Any) -> None:
    try:
        module = load()
        _check_api(module)
        pm.register(module, name=record.name)
    except Exception as exc:  # a broken plugin is reported, never fatal
        record.error = f"failed to load: {type(exc).__name__}: {exc}"
        return
    record.hooks = sorted(
        impl_hook
        for impl_hook in (h.name for h in pm.get_hookcallers(module) or [])
        if impl_hook.startswith("ganzoo_")
    )


def _plugin_order(records: dict[str, PluginRecord]) -> list[str]:
    """Built-ins first, then third parties alphabetically (the clash rule)."""
    return sorted(
        (n for n, r in records.items() if r.error is None),
        key=lambda n: (not records[n].builtin, n),
    )


def load_catalog(
    extra_plugins: Iterable[tuple[str, Any]] = (),
    registry_files: Iterable[str] = (),
) -> Catalog:
    """Discover plugins and collect what they register. Builds nothing.

    Each plugin's hooks are all called and checked before anything of it is applied,
    so a plugin that fails half-way leaves no trace (and replaces no built-in).
    """
    pm, records = build_plugin_manager(extra_plugins)
    catalog = Catalog(plugins=records)
    hooks = {**_KIND_HOOKS, "model": "ganzoo_register_models"}
    impls = {
        kind: {impl.plugin_name: impl for impl in getattr(pm.hook, name).get_hookimpls()}
        for kind, name in hooks.items()
    }
    for plugin_name in _plugin_order(records):
        record = records[plugin_name]
        staged = _collect(record, {kind: by[plugin_name] for kind, by in impls.items()
                                   if plugin_name in by})
        if staged is not None:
            _apply(catalog, record, staged)

    from ganzoo import registry

    for path in registry_files:
        registry.register_file(catalog, path, plugin=f"file:{path}")
    return catalog


_Staged = list[tuple[str, str, Any, dict[str, Any]]]


def _collect(record: PluginRecord, impls: dict[str, Any]) -> _Staged | None:
    """Call every hook of one plugin; None (and record.error set) if any of them fails."""
    staged: _Staged = []
    for kind, impl in impls.items():

        def register(name: str, factory: Any = None, _kind: str = kind, **kwargs: Any) -> None:
            if _kind != "model":
                _check_registration(_kind, name, factory, kwargs)
            staged.append((_kind, name, factory, kwargs))

        try:
            impl.function(register=register)
        except Exception as exc:
            record.error = f"hook {impl.function.__name__} raised {type(exc).__name__}: {exc}"
            return None
    return staged


def _apply(catalog: Catalog, record: PluginRecord, staged: _Staged) -> None:
    from ganzoo import registry

    for kind, name, value, kwargs in staged:
        if kind == "model":
            registry.add_entry(catalog, name, value, plugin=record.name,
                               source=kwargs.get("source"))
        else:
            _add_component(catalog, record, kind, name, value, kwargs)


def _check_registration(kind: str, name: Any, factory: Any, kwargs: dict) -> None:
    if not isinstance(name, str) or not name:
        raise TypeError(f"{kind} names must be non-empty strings, got {name!r}")
    if not callable(factory):
        raise TypeError(f"{kind} {name!r}: factory must be callable, got {type(factory).__name__}")
    unknown = set(kwargs) - {"description", "params", "info"}
    if unknown:
        raise TypeError(f"{kind} {name!r}: unknown register() arguments {sorted(unknown)}")
    if not isinstance(kwargs.get("params") or {}, dict):
        raise TypeError(f"{kind} {name!r}: params must be a dict of defaults")


def _add_component(
    catalog: Catalog, record: PluginRecord, kind: str, name: str, factory: Any, kwargs: dict
) -> None:
    component = Component(
        kind=kind,
        name=name,
        factory=factory,
        plugin=record.name,
        description=str(kwargs.get("description", "")),
        params=dict(kwargs.get("params") or {}),
        info=dict(kwargs.get("info") or {}),
    )
    existing = catalog.components[kind].get(name)
    if existing is not None and existing.plugin != record.name:
        owner = catalog.plugins.get(existing.plugin)
        if owner is None or not owner.builtin:
            catalog.warnings.append(
                f"{kind} {name!r} is provided by plugins {existing.plugin!r} and "
                f"{record.name!r}; using {existing.plugin!r} (first in alphabetical order)"
            )
            return
    catalog.components[kind][name] = component
    record.provides.setdefault(kind, []).append(name)
