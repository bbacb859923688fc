"""Hyperparameters: the trainer's own, the components', and how a run resolves them.

A run's configuration is one flat mapping, resolved in this order (later wins):
trainer defaults -> the chosen components' params -> the registry entry's
``defaults`` -> ``--set KEY=VALUE`` and the CLI's own flags. Every key has a
type; a value of the wrong type or an unknown key is a `ConfigError` that lists
the valid keys.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ganzoo.errors import ConfigError
from ganzoo.zoo.components import Catalog, did_you_mean


@dataclass(frozen=True)
class Param:
    name: str
    default: Any
    help: str
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None

    @property
    def type(self) -> type:
        return type(self.default)


#: Component slots an entry fills; set like any key (``--set loss=hinge``).
SLOTS: dict[str, str] = {
    "generator": "generator",
    "discriminator": "discriminator",
    "loss": "loss",
    "penalties": "penalty",
    "visualizers": "visualizer",
    "augment": "augmentation",
}
#: slots holding a list of names (applied in order); an entry may leave them out
LIST_SLOTS = ("penalties", "visualizers", "augment")

TRAINER_PARAMS: tuple[Param, ...] = (
    Param("epochs", 1, "passes over the data set (ignored when steps > 0)", minimum=1),
    Param("steps", 0, "generator steps to train; 0 means use epochs", minimum=0),
    Param("batch_size", 64, "images per discriminator step", minimum=1),
    Param("latent_dim", 100, "size of the Gaussian noise vector z", minimum=1),
    Param("seed", 0, "seed for weights, noise, shuffling and sample grids", minimum=0,
          maximum=2**32 - 1),
    Param("optimizer", "adam", "optimizer for both networks", choices=("adam", "rmsprop")),
    Param("lr_g", 2e-4, "generator learning rate", minimum=0.0),
    Param("lr_d", 2e-4, "discriminator learning rate", minimum=0.0),
    Param("lr_schedule", "constant", "both learning rates over the run: constant; step "
          "(times lr_decay every lr_decay_steps generator steps, BEGAN's halving); linear "
          "(down to 0 at the run's last step, WGAN-GP's)",
          choices=("constant", "step", "linear")),
    Param("lr_decay", 0.5, "lr_schedule=step: the factor applied at each decay",
          minimum=0.01, maximum=1.0),
    Param("lr_decay_steps", 0, "lr_schedule=step: generator steps between decays",
          minimum=0),
    Param("beta1", 0.5, "Adam beta_1 (momentum)", minimum=0.0),
    Param("beta2", 0.999, "Adam beta_2", minimum=0.0),
    Param("d_steps", 1, "discriminator steps per generator step (WGAN's n_critic)", minimum=1),
    Param(
        "update",
        "simultaneous",
        "simultaneous: one forward pass updates D and G (the seed's two-tape step); "
        "alternating: D steps first, then a G step against the updated D",
        choices=("simultaneous", "alternating"),
    ),
    Param("clip_value", 0.0, "clip D weights to [-c, c] after each D step; 0 is off", minimum=0.0),
    Param("ema", 0.999, "decay of the generator's weight average used for samples; 0 is off",
          minimum=0.0),
    Param("precision", "auto", "auto picks bfloat16 where the CPU or GPU runs it natively",
          choices=("auto", "float32", "bfloat16")),
    Param("conditional", False, "feed class labels to G and D (needs a labelled data set)"),
    Param("d_labels", True, "conditional models also feed the label to D; off for models "
          "whose D predicts the class instead (ACGAN)"),
    Param("code_categorical", 0, "categories of a categorical latent code appended to z "
          "(InfoGAN); 0 is none", minimum=0),
    Param("code_continuous", 0, "continuous latent codes, uniform in [-1, 1], appended to z "
          "(InfoGAN)", minimum=0),
    Param("grid_rows", 10, "rows (and columns) of the per-epoch sample grid", minimum=1),
    Param("checkpoint_every", 0, "also checkpoint every N steps; 0 is at epoch ends only",
          minimum=0),
    Param("keep_checkpoints", 2, "how many recent checkpoints to keep", minimum=1),
    Param("eval_every", 0, "score samples every K epochs (ganzoo eval's metrics) into "
          "metrics.csv, eval.csv and TensorBoard; 0 is off", minimum=0),
    Param("eval_n", 10000, "samples scored by eval_every", minimum=10),
    Param("jit_compile", False, "compile the train step with XLA (slower on most CPUs)"),
    Param("deterministic", True, "TensorFlow op determinism: a seed gives bit-identical runs "
          "on one machine, and resumed runs match uninterrupted ones"),
    Param("strategy", "default", "tf.distribute strategy (docs/DISTRIBUTED.md); batch_size "
          "is the global batch", choices=("default", "mirrored", "multi-worker", "tpu")),
    Param("sync_batchnorm", True, "with several replicas, BatchNorm statistics over the "
          "global batch; false keeps per-replica statistics"),
)
TRAINER = {p.name: p for p in TRAINER_PARAMS}


def parse_value(key: str, raw: str, kind: type) -> Any:
    """Turn a ``--set`` string into the key's type."""
    text = raw.strip()
    if kind is bool:
        low = text.lower()
        if low in {"1", "true", "yes", "on"}:
            return True
        if low in {"0", "false", "no", "off"}:
            return False
        raise ConfigError(f"--set {key}={raw}: expected true or false")
    if kind is int:
        try:
            return int(text)
        except ValueError:
            try:
                as_float = float(text)
            except ValueError:
                as_float = math.nan
            if as_float.is_integer():
                return int(as_float)
            raise ConfigError(f"--set {key}={raw}: expected an integer") from None
    if kind is float:
        try:
            value = float(text)
        except ValueError:
            raise ConfigError(f"--set {key}={raw}: expected a number") from None
        if not math.isfinite(value):
            raise ConfigError(f"--set {key}={raw}: expected a finite number")
        return value
    if kind is list:
        return [part.strip() for part in text.split(",") if part.strip()]
    return text


def parse_assignments(pairs: list[str] | tuple[str, ...]) -> dict[str, str]:
    """Split ``KEY=VALUE`` strings; the value is typed later, once the keys are known."""
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ConfigError(f"--set {pair!r}: expected KEY=VALUE, e.g. --set lr_g=1e-4")
        out[key] = value
    return out


def _check(key: str, value: Any, spec: Param | None, where: str) -> Any:
    if spec is None:
        return value
    if spec.type is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, spec.type) or (spec.type is int and isinstance(value, bool)):
        raise ConfigError(
            f"{where}{key}={value!r}: expected {spec.type.__name__}, got {type(value).__name__}"
        )
    if isinstance(value, float) and not math.isfinite(value):
        raise ConfigError(f"{where}{key}={value!r}: expected a finite number")
    if spec.choices and value not in spec.choices:
        raise ConfigError(f"{where}{key}={value!r}: choose one of {', '.join(spec.choices)}")
    if spec.minimum is not None and value < spec.minimum:
        raise ConfigError(f"{where}{key}={value!r}: must be at least {spec.minimum}")
    if spec.maximum is not None and value > spec.maximum:
        raise ConfigError(f"{where}{key}={value!r}: must be at most {spec.maximum}")
    return value


def resolve(
    entry: Mapping[str, Any],
    catalog: Catalog,
    overrides: Mapping[str, Any] | None = None,
    *,
    entry_where: str = "",
) -> dict[str, Any]:
    """The full, typed configuration of a run of `entry` with `overrides` applied.

    `overrides` values may be strings (from ``--set``, typed here) or already typed
    values (from the Python API and the CLI's own flags).
    """
    overrides = dict(overrides or {})
    components = dict(entry["components"])
    for slot in LIST_SLOTS:
        components.setdefault(slot, [])
    for slot in SLOTS:
        if slot in overrides:
            raw = overrides.pop(slot)
            if slot in LIST_SLOTS:
                if isinstance(raw, str):
                    components[slot] = parse_value(slot, raw, list)
                elif isinstance(raw, list | tuple) and all(isinstance(v, str) for v in raw):
                    components[slot] = list(raw)
                else:
                    raise ConfigError(f"{slot}: expected a comma-separated list of names")
            else:
                components[slot] = str(raw)
    components.setdefault("penalties", [])
    components.setdefault("visualizers", [])

    specs = _specs(components, catalog)
    config: dict[str, Any] = {k: p.default for k, p in specs.items()}
    valid = sorted(set(specs) | set(SLOTS))
    for key, value in dict(entry.get("defaults", {})).items():
        if key in SLOTS:
            raise ConfigError(
                f"{entry_where}field 'defaults.{key}': {key!r} is a component slot; "
                f"name components under 'components', not 'defaults'"
            )
        if key not in specs:
            raise ConfigError(
                f"{entry_where}field 'defaults.{key}': unknown hyperparameter"
                f"{did_you_mean(key, valid)}; valid keys: {', '.join(valid)}"
            )
        config[key] = _check(key, value, specs[key], f"{entry_where}field 'defaults.{key}': ")
    for key, value in overrides.items():
        if key not in specs:
            raise ConfigError(
                f"unknown hyperparameter {key!r}{did_you_mean(key, valid)}; "
                f"valid keys: {', '.join(valid)}"
            )
        if isinstance(value, str) and specs[key].type is not str:
            value = parse_value(key, value, specs[key].type)
        config[key] = _check(key, value, specs[key], "--set ")
    for slot in SLOTS:
        config[slot] = components[slot]
    _check_schedule(config)
    return config


def _check_schedule(config: Mapping[str, Any]) -> None:
    step = config["lr_schedule"] == "step"
    if step and config["lr_decay_steps"] == 0:
        raise ConfigError("lr_schedule=step needs the generator steps between decays: add "
                          "--set lr_decay_steps=N")
    if not step and config["lr_decay_steps"] > 0:
        raise ConfigError(f"lr_decay_steps={config['lr_decay_steps']} applies only to "
                          f"lr_schedule=step (this run's is {config['lr_schedule']}): add "
                          "--set lr_schedule=step, or drop lr_decay_steps")


def _specs(components: Mapping[str, Any], catalog: Catalog) -> dict[str, Param]:
    defaults: dict[str, Any] = {}
    # A key may be shared by several components (BEGAN's G and D both read began_skip).
    readers: dict[str, list[str]] = {}
    for slot, kind in SLOTS.items():
        names = components[slot] if slot in LIST_SLOTS else [components[slot]]
        for name in names:
            component = catalog.get(kind, name)
            for key, default in component.params.items():
                if key in TRAINER or key in SLOTS:
                    raise ConfigError(
                        f"{kind} {name!r} (plugin {component.plugin!r}) declares the "
                        f"hyperparameter {key!r}, which belongs to the trainer; rename it"
                    )
                if key in defaults and defaults[key] != default:
                    raise ConfigError(
                        f"{kind} {name!r} (plugin {component.plugin!r}) and "
                        f"{', '.join(readers[key])} "
                        f"give the hyperparameter {key!r} different defaults"
                    )
                defaults[key] = default
                readers.setdefault(key, []).append(f"{kind} {name!r}")
    specs: dict[str, Param] = dict(TRAINER)
    for key, default in defaults.items():
        specs[key] = Param(key, default, "read by " + ", ".join(readers[key]))
    return specs


def describe(entry: Mapping[str, Any], catalog: Catalog) -> list[tuple[str, Any, str]]:
    """(key, default, help) for every hyperparameter of a model, for `ganzoo info`."""
    config = resolve(entry, catalog)
    specs = _specs(config, catalog)
    return [(key, config[key], spec.help) for key, spec in specs.items()]


#: a network registers ``info={"points": True}`` when it trains on point data (N, D)
POINTS_INFO = "points"
#: the networks an entry's image-only networks are replaced with on point data
POINT_NETWORK = "mlp"


def adapt_to_points(entry: Mapping[str, Any], catalog: Catalog,
                    overrides: Mapping[str, Any] | None = None) -> dict[str, Any] | None:
    """The entry for point data: networks that train on images only become the MLPs.

    So `ganzoo run nsgan --dataset ring8` trains without extra flags. Slots the user set
    explicitly stay as set; the entry's defaults that only the replaced networks read are
    dropped, and the sample grid becomes a scatter plot. None when nothing changes.
    """
    overrides = overrides or {}
    components = dict(entry["components"])
    replaced = []
    for slot in ("generator", "discriminator"):
        if slot in overrides or POINT_NETWORK not in catalog.components[slot]:
            continue
        if not catalog.get(slot, components[slot]).info.get(POINTS_INFO):
            replaced.append(f"{slot} {components[slot]!r}")
            components[slot] = POINT_NETWORK
    if not replaced:
        return None
    loss = catalog.get("loss", components["loss"])
    wanted = loss.info.get("discriminators")
    if wanted and components["discriminator"] not in wanted:
        raise ConfigError(
            f"loss {loss.name!r} needs the discriminator {' or '.join(map(repr, wanted))}, "
            "which trains on images only; pick another model for point data")
    visualizers = list(components.get("visualizers", []))
    if "visualizers" not in overrides and "scatter" in catalog.components["visualizer"]:
        visualizers = ["scatter" if v == "grid" else v for v in visualizers]
        components["visualizers"] = list(dict.fromkeys(visualizers))
    for slot in LIST_SLOTS:
        components.setdefault(slot, [])
    known = _specs(components, catalog)
    defaults = {k: v for k, v in dict(entry.get("defaults", {})).items() if k in known}
    note = (f"point data: the {' and '.join(replaced)} (image networks) replaced by "
            f"{POINT_NETWORK!r}")
    return {**entry, "components": components, "defaults": defaults,
            "notes": f"{entry.get('notes', '')} [{note}]".strip()}
