"""The plugin host: finds plugins, calls their hooks, and fills a `Catalog`.

Built-in components are a plugin like any other, found through the ``ganzoo``
entry-point group. Each hook implementation is called on its own, with a
`register` callback bound to its plugin, so that every component knows which
plugin gave it and a broken plugin is reported without taking the others down.

Name clashes follow one rule (docs/PLUGINS.md, "Name clashes"): built-in plugins
are applied first, then third-party plugins in alphabetical order of their
names. A third-party component replaces a built-in one of the same name, with a
warning unless it was registered with ``replace=True``; when two third-party
plugins register the same name the first in alphabetical order keeps it and a
warning names both.

Environment (read on every discovery):
  GANZOO_PLUGINS          comma-separated plugin names: load only these third-party
                          plugins; ``none`` loads no third-party plugin at all
  GANZOO_BLOCK_PLUGINS    comma-separated plugin names never imported (``builtin`` too)
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable
from importlib import metadata
from typing import Any

import pluggy

from ganzoo.contract import hookspecs
from ganzoo.zoo.components import KINDS, Catalog, Component, PluginRecord
from ganzoo.zoo.outputs import check_outputs

BUILTIN = "builtin"
BUILTIN_MODULE = "ganzoo_plugins.builtin"
ENTRY_POINT_GROUP = "ganzoo"
#: ``GANZOO_PLUGINS=none``: no third-party plugins (the test suites' setting)
NO_THIRD_PARTY = "none"
#: Modules a plugin must not import when it is loaded: they make every command slow.
HEAVY_MODULES = ("tensorflow", "keras")
_MAX_ERROR = 500

_KIND_HOOKS: dict[str, str] = {
    "generator": "ganzoo_register_generators",
    "discriminator": "ganzoo_register_discriminators",
    "loss": "ganzoo_register_losses",
    "penalty": "ganzoo_register_penalties",
    "visualizer": "ganzoo_register_visualizers",
    "dataset": "ganzoo_register_datasets",
    "metric": "ganzoo_register_metrics",
    "augmentation": "ganzoo_register_augmentations",
}
MODEL_HOOK = "ganzoo_register_models"
assert set(_KIND_HOOKS) == set(KINDS)

_COMPONENT_ARGS = {"description", "params", "info", "replace"}
#: register() keywords that only some kinds take
_KIND_ARGS: dict[str, set[str]] = {"visualizer": {"outputs"}}
_MODEL_ARGS = {"source", "replace"}
_ALIASES = {"model": "entry", "dataset": "loader"}  # the second argument's documented names


def one_line(text: str, limit: int = _MAX_ERROR) -> str:
    """Collapse a (possibly multi-line) message to one line of at most `limit` characters."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def describe_exception(exc: BaseException) -> str:
    return one_line(f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)


def _env_names(var: str) -> set[str]:
    return {n.strip() for n in os.environ.get(var, "").split(",") if n.strip()}


def check_api(declared: Any) -> str | None:
    """Why a module's ``GANZOO_API`` is unacceptable, or None if this ganzoo provides it.

    A plugin declares the plugin API it was written for as an int (``GANZOO_API = 1``)
    or a list of ints it works with; undeclared is taken as the current version.
    """
    if declared is None:
        return None
    versions = list(declared) if isinstance(declared, list | tuple) else [declared]
    if not versions or not all(isinstance(v, int) and not isinstance(v, bool)
                               for v in versions):
        return (f"GANZOO_API must be an int or a list of ints (e.g. GANZOO_API = "
                f"{hookspecs.API_VERSION}), got {declared!r}")
    if hookspecs.API_VERSION in versions:
        return None
    from ganzoo.version import __version__

    wanted = " or ".join(str(v) for v in versions)
    return (f"needs ganzoo plugin API {wanted}, but this ganzoo ({__version__}) provides "
            f"API {hookspecs.API_VERSION}; install a release of the plugin made for API "
            f"{hookspecs.API_VERSION}, or a ganzoo that provides API {wanted}")


def _record_for(ep: metadata.EntryPoint, is_builtin: bool) -> PluginRecord:
    dist = getattr(ep, "dist", None)
    return PluginRecord(
        name=ep.name,
        distribution=dist.metadata["Name"] if dist else None,
        version=dist.version if dist else None,
        builtin=is_builtin,
        module=ep.value,
    )


def build_plugin_manager(
    extra_plugins: Iterable[tuple[str, Any]] = (),
    skipped: dict[str, PluginRecord] | None = None,
    warnings: list[str] | None = None,
) -> tuple[pluggy.PluginManager, dict[str, PluginRecord]]:
    """Build the plugin manager from the entry-point group; never raises for a bad plugin.

    `extra_plugins` (name, module-or-object) pairs are registered as third-party plugins
    whatever the environment says (tests use them). Plugins left out by the environment
    go into `skipped`, problems with the environment itself into `warnings`.
    """
    pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    pm.add_hookspecs(hookspecs)
    records: dict[str, PluginRecord] = {}
    skipped = {} if skipped is None else skipped
    warnings = [] if warnings is None else warnings
    only, blocked = _env_names("GANZOO_PLUGINS"), _env_names("GANZOO_BLOCK_PLUGINS")
    no_third_party = NO_THIRD_PARTY in only

    eps = sorted(metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda ep: ep.name)
    seen_builtin = False
    for ep in eps:
        is_builtin = ep.name == BUILTIN and ep.value == BUILTIN_MODULE
        if ep.name in records:  # the same name from two distributions: neither is used
            other = _record_for(ep, is_builtin)
            first = records[ep.name]
            first.error = (
                f"the distributions {first.distribution!r} and {other.distribution!r} both "
                f"define the plugin name {ep.name!r}; uninstall one of them"
            )
            continue
        record = _record_for(ep, is_builtin)
        if ep.name in blocked:
            record.skipped = "blocked by GANZOO_BLOCK_PLUGINS"
        elif not is_builtin and no_third_party:
            record.skipped = "not loaded: GANZOO_PLUGINS=none"
        elif not is_builtin and only and ep.name not in only:
            record.skipped = "not listed in GANZOO_PLUGINS"
        if record.skipped:
            skipped[ep.name] = record
            continue
        records[ep.name] = record
        seen_builtin = seen_builtin or is_builtin
        _load(pm, record, ep.load)

    if not seen_builtin and BUILTIN not in blocked:
        # The built-ins come through the entry point like any plugin; without it ganzoo
        # was not installed (a source tree on sys.path): say how to fix that.
        warnings.append("the built-in plugin is not installed (no 'builtin' entry point in "
                        "group 'ganzoo'); install ganzoo with `pip install -e .` or "
                        "`pip install ganzoo`")

    for name, plugin in extra_plugins:
        record = PluginRecord(name=name, module=getattr(plugin, "__name__", None))
        records[name] = record
        _load(pm, record, lambda plugin=plugin: plugin)

    known = {ep.name for ep in eps} | {BUILTIN}
    for var, names in (("GANZOO_PLUGINS", only - {NO_THIRD_PARTY, BUILTIN}),
                       ("GANZOO_BLOCK_PLUGINS", blocked)):
        for name in sorted(names - known):
            warnings.append(
                f"{var} names {name!r}, which is not an installed plugin "
                f"(installed: {', '.join(sorted(known))})"
            )
    return pm, records


def _load(pm: pluggy.PluginManager, record: PluginRecord, load: Callable[[], Any]) -> None:
    heavy_before = {m for m in HEAVY_MODULES if m in sys.modules}
    try:
        module = load()
    except BaseException as exc:  # a broken plugin is reported, never fatal
        if isinstance(exc, KeyboardInterrupt):
            raise
        record.error = f"failed to load: {describe_exception(exc)}"
        return
    pulled_in = [m for m in HEAVY_MODULES if m in sys.modules and m not in heavy_before]
    if pulled_in:
        record.warnings.append(
            f"importing it imported {' and '.join(pulled_in)}, which slows down every ganzoo "
            f"command (even `ganzoo list`); import them inside factories instead"
        )
    record.api = getattr(module, "GANZOO_API", None)
    if isinstance(record.api, tuple):
        record.api = list(record.api)
    problem = check_api(record.api)
    if problem:
        record.error = f"incompatible: {problem}"
        return
    if record.api is None and not record.builtin:
        record.warnings.append(
            f"declares no GANZOO_API; taken as API {hookspecs.API_VERSION} "
            f"(set GANZOO_API = {hookspecs.API_VERSION} in its module)"
        )
    try:
        pm.register(module, name=record.name)
    except Exception as exc:
        record.error = f"failed to load: {describe_exception(exc)}"
        return
    record.hooks = sorted(c.name for c in pm.get_hookcallers(module) or [] if c.has_spec())


def hook_name_problems(pm: pluggy.PluginManager, plugin: Any) -> list[str]:
    """Warnings for hooks of `plugin` that ganzoo will never call: implementations of no
    hook spec (a misspelled name: pluggy registers it without complaint) and hook-named
    functions that lack ``@hookimpl`` (pluggy ignores them).

    A warning, not a broken plugin: adding a hook keeps the plugin API version, so a
    plugin written for a newer ganzoo may implement a hook this one does not know yet.
    """
    import difflib

    specs = sorted(n for n, caller in vars(pm.hook).items() if caller.has_spec())

    def close(name: str) -> str:
        match = difflib.get_close_matches(name, specs, n=1, cutoff=0.8)
        return f" (did you mean {match[0]}?)" if match else ""

    unknown = [c.name for c in pm.get_hookcallers(plugin) or [] if not c.has_spec()]
    problems = [f"implements {name}, which is not a ganzoo hook{close(name)}; ganzoo never "
                "calls it" for name in sorted(unknown)]
    for name in sorted(dir(plugin)):
        if not name.startswith("ganzoo_") or not (name in specs or close(name)):
            continue
        try:
            marked = pm.parse_hookimpl_opts(plugin, name) is not None
            function = callable(getattr(plugin, name))
        except Exception:  # an odd attribute is not worth a warning
            continue
        if function and not marked:
            hint = "" if name in specs else close(name)
            problems.append(f"defines {name}{hint} without @hookimpl, so ganzoo never calls "
                            "it; decorate it with @hookimpl (from ganzoo.plugin import hookimpl)")
    return problems


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
    so a plugin that fails half-way leaves no trace (and replaces no built-in); what it
    registered is remembered so that using it gives an error naming the plugin.
    """
    catalog = Catalog()
    pm, records = build_plugin_manager(extra_plugins, catalog.skipped, catalog.warnings)
    catalog.plugins = records
    for name, record in records.items():
        plugin = pm.get_plugin(name) if record.error is None else None
        problems = hook_name_problems(pm, plugin) if plugin is not None else []
        if problems:
            record.warnings.extend(problems)
            catalog.hook_problems[name] = problems
    hooks = {**_KIND_HOOKS, "model": MODEL_HOOK}
    impls = {
        kind: {impl.plugin_name: impl for impl in getattr(pm.hook, name).get_hookimpls()}
        for kind, name in hooks.items()
    }
    for plugin_name in _plugin_order(records):
        record = records[plugin_name]
        staged, errors = _collect({kind: by[plugin_name] for kind, by in impls.items()
                                   if plugin_name in by})
        if errors:
            record.error = "; ".join(errors)
            for kind, name, _, _ in staged:
                if isinstance(name, str):
                    catalog.broken.setdefault((kind, name), plugin_name)
            continue
        _apply(catalog, record, staged)

    from ganzoo.zoo import registry

    for path in registry_files:
        registry.register_file(catalog, path, plugin=f"file:{path}")
    _check_model_references(catalog)
    return catalog


def _check_model_references(catalog: Catalog) -> None:
    """Record an entry that names a component no plugin provides in `invalid_models`, so
    that `ganzoo list` warns about it at once (using it raises the same message)."""
    from ganzoo.errors import GanzooError
    from ganzoo.zoo import registry

    for name, (entry, plugin, source) in sorted(catalog.models.items()):
        try:
            registry.check_references(catalog, name, entry, plugin, source)
        except GanzooError as exc:
            catalog.invalid_models[name] = str(exc)


_Staged = list[tuple[str, str, Any, dict[str, Any]]]


def _collect(impls: dict[str, Any]) -> tuple[_Staged, list[str]]:
    """Call every hook of one plugin: (what it registered, one line per failed hook)."""
    staged: _Staged = []
    errors: list[str] = []
    seen: set[tuple[str, str]] = set()
    for kind, impl in impls.items():
        hook = impl.function.__name__

        def register(name: str, factory: Any = None, _kind: str = kind, **kwargs: Any) -> None:
            alias = _ALIASES.get(_kind)  # register(name, entry=...) / (name, loader=...)
            if factory is None and alias in kwargs:
                factory = kwargs.pop(alias)
            _check_registration(_kind, name, factory, kwargs)
            if (_kind, name) in seen:
                raise ValueError(f"{_kind} {name!r} is registered twice")
            seen.add((_kind, name))
            staged.append((_kind, name, factory, kwargs))

        try:
            impl.function(register=register)
        except Exception as exc:
            errors.append(f"hook {hook} raised {describe_exception(exc)}")
    return staged, errors


def _apply(catalog: Catalog, record: PluginRecord, staged: _Staged) -> None:
    from ganzoo.zoo import registry

    for kind, name, value, kwargs in staged:
        if kind == "model":
            registry.add_entry(catalog, name, value, plugin=record.name,
                               source=kwargs.get("source"),
                               replace=bool(kwargs.get("replace", False)))
        else:
            _add_component(catalog, record, kind, name, value, kwargs)


def _check_registration(kind: str, name: Any, factory: Any, kwargs: dict) -> None:
    if not isinstance(name, str) or not name:
        raise TypeError(f"{kind} names must be non-empty strings, got {name!r}")
    allowed = _MODEL_ARGS if kind == "model" else _COMPONENT_ARGS | _KIND_ARGS.get(kind, set())
    unknown = set(kwargs) - allowed
    if unknown:
        raise TypeError(f"{kind} {name!r}: unknown register() arguments {sorted(unknown)} "
                        f"(allowed: {', '.join(sorted(allowed))})")
    if kind == "model":
        return  # the entry itself is validated by ganzoo.zoo.registry
    if not callable(factory):
        raise TypeError(f"{kind} {name!r}: factory must be callable, got {type(factory).__name__}")
    if not isinstance(kwargs.get("params") or {}, dict):
        raise TypeError(f"{kind} {name!r}: params must be a dict of defaults")
    if "outputs" in kwargs:
        kwargs["outputs"] = check_outputs(f"{kind} {name!r}", kwargs["outputs"])


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
        outputs=tuple(kwargs.get("outputs") or ()),
    )
    existing = catalog.components[kind].get(name)
    if existing is not None and not catalog.may_take(kind, name, existing.plugin, record.name,
                                                     bool(kwargs.get("replace", False))):
        return
    if existing is not None:
        replaced = catalog.plugins[existing.plugin].provides.get(kind, [])
        if name in replaced:
            replaced.remove(name)
    catalog.components[kind][name] = component
    record.provides.setdefault(kind, []).append(name)
