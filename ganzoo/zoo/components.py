"""Descriptions of plugin-provided components, and the catalog that holds them.

A `Component` is what a plugin registered: a name, a kind, the factory that
builds it, the hyperparameters it reads (with defaults) and the plugin it came
from. Nothing here builds a component, so none of this imports TensorFlow.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

#: Component kinds, in the order `ganzoo info` shows them.
KINDS: tuple[str, ...] = (
    "generator",
    "discriminator",
    "loss",
    "penalty",
    "visualizer",
    "dataset",
    "metric",
    "augmentation",
)


@dataclass(frozen=True)
class Component:
    """One registered component; `factory` is called only when a model is built."""

    kind: str
    name: str
    factory: Callable[..., Any]
    plugin: str
    description: str = ""
    #: Hyperparameters this component reads, with their defaults. Their names
    #: are global to a run (``--set KEY=VALUE``), so prefix them (``g_``, ``d_``).
    params: Mapping[str, Any] = field(default_factory=dict)
    #: Free-form facts for listings (e.g. a data set's image shape).
    info: Mapping[str, Any] = field(default_factory=dict)
    #: Visualizers only: the files it writes, as names or globs relative to the run folder
    #: (``"grid.png"``, ``"samples/epoch_*.png"``). ``--overwrite`` removes them, the report
    #: embeds them and the end-of-run summary lists them (`ganzoo.artifacts.outputs`).
    outputs: tuple[str, ...] = ()


@dataclass
class PluginRecord:
    """A plugin as `ganzoo plugins` shows it."""

    name: str
    distribution: str | None = None
    version: str | None = None
    hooks: list[str] = field(default_factory=list)
    #: kind ("loss", "model", ...) -> names this plugin provides in the catalog
    provides: dict[str, list[str]] = field(default_factory=dict)
    #: why the plugin is unusable (one line), or None when it works
    error: str | None = None
    builtin: bool = False
    #: the module its entry point names (``ganzoo_mygan``), when known
    module: str | None = None
    #: the plugin API version(s) its module declares (``GANZOO_API``), None if undeclared
    api: int | list[int] | None = None
    #: problems that do not stop the plugin (e.g. it imports TensorFlow when loaded)
    warnings: list[str] = field(default_factory=list)
    #: why it was not loaded at all (GANZOO_PLUGINS / GANZOO_BLOCK_PLUGINS), else None
    skipped: str | None = None


@dataclass
class Catalog:
    """Every component and model entry that the loaded plugins registered."""

    components: dict[str, dict[str, Component]] = field(
        default_factory=lambda: {kind: {} for kind in KINDS}
    )
    #: model name -> (entry dict, plugin name, source file or None)
    models: dict[str, tuple[dict[str, Any], str, str | None]] = field(default_factory=dict)
    #: model name -> why its entry was rejected (shown by `list`, raised on use)
    invalid_models: dict[str, str] = field(default_factory=dict)
    plugins: dict[str, PluginRecord] = field(default_factory=dict)
    #: plugins found but not loaded (blocked or not selected), never imported
    skipped: dict[str, PluginRecord] = field(default_factory=dict)
    #: (kind, name) -> the broken plugin that registered it before failing ("model" too)
    broken: dict[tuple[str, str], str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    #: plugin -> its hooks that are never called (misspelled, or without @hookimpl); an
    #: unknown name may be meant to come from one of them
    hook_problems: dict[str, list[str]] = field(default_factory=dict)

    def get(self, kind: str, name: str) -> Component:
        try:
            return self.components[kind][name]
        except KeyError:
            pass
        self.raise_if_broken(kind, name)
        from ganzoo.errors import ConfigError

        known = ", ".join(sorted(self.components.get(kind, {}))) or "none"
        hint = _did_you_mean(name, self.components.get(kind, {}))
        raise ConfigError(
            f"unknown {kind} {name!r}{hint}; known {plural(kind)}: {known}"
            f"{self.failed_plugins_hint()}"
        )

    def names(self, kind: str) -> list[str]:
        return sorted(self.components[kind])

    def may_take(self, kind: str, name: str, owner: str, newcomer: str, replace: bool) -> bool:
        """The clash rule: may plugin `newcomer` take `name`, which `owner` registered?

        Plugins arrive built-ins first, then third parties alphabetically. A third party
        replaces a built-in (with a warning unless it passed ``replace=True``); between two
        third parties the first keeps the name and a warning names both.
        """
        owner_record = self.plugins.get(owner)
        if owner_record is not None and owner_record.builtin:
            if not replace:
                self.warnings.append(
                    f"plugin {newcomer!r} replaces the built-in {kind} {name!r}; if that is "
                    f"intended, register it with replace=True to silence this warning"
                )
            return True
        self.warnings.append(
            f"{kind} {name!r} is provided by plugins {owner!r} and {newcomer!r}; using "
            f"{owner!r} (first in alphabetical order); block one with GANZOO_BLOCK_PLUGINS"
        )
        return False

    def raise_if_broken(self, kind: str, name: str) -> None:
        """Raise `PluginError` naming the plugin if `name` comes from a broken plugin."""
        plugin = self.broken.get((kind, name))
        if plugin is None:
            return
        from ganzoo.errors import PluginError

        record = self.plugins[plugin]
        raise PluginError(
            f"{kind} {name!r} comes from plugin {plugin!r}{_dist(record)}, which is broken: "
            f"{record.error}; fix or reinstall that plugin (`ganzoo plugins` shows its state)"
        )

    def failed_plugins_hint(self) -> str:
        """A hint for 'unknown NAME' messages: the plugins that are broken or were not
        loaded, or have hooks that are never called, since NAME may be meant to come from
        one of them."""
        hints = []
        failed = [r for r in self.plugins.values() if r.error is not None]
        if len(failed) == 1:
            hints.append(f"plugin {failed[0].name!r}{_dist(failed[0])} may provide it but is "
                         f"broken: {failed[0].error}")
        elif failed:
            names = ", ".join(repr(r.name) for r in failed)
            hints.append(f"plugins {names} may provide it but are broken")
        for r in self.skipped.values():
            hints.append(f"plugin {r.name!r}{_dist(r)} is installed but {r.skipped}")
        for plugin, problems in sorted(self.hook_problems.items()):
            hints.extend(f"plugin {plugin!r} {problem}" for problem in problems)
        return "".join(f"; {h}" for h in hints) + (" (see `ganzoo plugins`)" if hints else "")


def _dist(record: PluginRecord) -> str:
    if not record.distribution:
        return ""
    return f" ({record.distribution} {record.version or ''})".replace(" )", ")")


def plural(kind: str) -> str:
    """'loss' -> 'losses', 'penalty' -> 'penalties', 'generator' -> 'generators'."""
    if kind.endswith("s"):
        return kind + "es"
    if kind.endswith("y"):
        return kind[:-1] + "ies"
    return kind + "s"


def _did_you_mean(name: str, choices: Mapping[str, Any] | list[str]) -> str:
    import difflib

    close = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


did_you_mean = _did_you_mean
