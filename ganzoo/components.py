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


@dataclass(frozen=True)
class BuildContext:
    """What a generator or discriminator factory needs to know to build itself."""

    #: shape of one sample: (H, W, C) for images, (D,) for point data (see `is_points`)
    image_shape: tuple[int, ...]
    latent_dim: int
    num_classes: int
    config: Mapping[str, Any]

    @property
    def is_points(self) -> bool:
        """The data are points (N, D) in their own coordinates, not images in [-1, 1]."""
        return len(self.image_shape) == 1

    @property
    def conditional(self) -> bool:
        """The generator takes a class label (and, unless `d_labels` is off, so does D)."""
        return bool(self.config.get("conditional", False)) and self.num_classes > 0

    @property
    def discriminator_conditional(self) -> bool:
        """D takes the label as an input; off for auxiliary-classifier models (ACGAN)."""
        return self.conditional and bool(self.config.get("d_labels", True))

    @property
    def code_categorical(self) -> int:
        """Categories of the one categorical latent code (InfoGAN); 0 is none."""
        return int(self.config.get("code_categorical", 0) or 0)

    @property
    def code_continuous(self) -> int:
        """Number of continuous latent codes, each uniform in [-1, 1] (InfoGAN)."""
        return int(self.config.get("code_continuous", 0) or 0)

    @property
    def code_dim(self) -> int:
        """Width of the code part of the generator input: one-hot categories + continuous."""
        return self.code_categorical + self.code_continuous

    @property
    def generator_input_dim(self) -> int:
        """Width of the generator's noise input: z followed by the latent codes."""
        return self.latent_dim + self.code_dim

    def get(self, key: str, default: Any = None) -> Any:
        return self.config.get(key, default)


@dataclass
class PluginRecord:
    """A plugin as `ganzoo plugins` shows it."""

    name: str
    distribution: str | None = None
    version: str | None = None
    hooks: list[str] = field(default_factory=list)
    provides: dict[str, list[str]] = field(default_factory=dict)
    error: str | None = None
    builtin: bool = False


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
    warnings: list[str] = field(default_factory=list)

    def get(self, kind: str, name: str) -> Component:
        from ganzoo.errors import ConfigError

        try:
            return self.components[kind][name]
        except KeyError:
            known = ", ".join(sorted(self.components.get(kind, {}))) or "none"
            hint = _did_you_mean(name, self.components.get(kind, {}))
            raise ConfigError(
                f"unknown {kind} {name!r}{hint}; known {plural(kind)}: {known}"
            ) from None

    def names(self, kind: str) -> list[str]:
        return sorted(self.components[kind])


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
