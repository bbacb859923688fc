"""The Python API: everything the CLI does, by name, from a script or notebook.

    import ganzoo
    result = ganzoo.train("dcgan", steps=500)
    images = ganzoo.sample(result.run_dir, n=16, seed=1)   # float32 in [0, 1]
    ganzoo.export_run(result.run_dir, "dcgan.weights.h5")

Nothing here imports TensorFlow until a model is built.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ganzoo.zoo.components import Catalog


def catalog(registry_files: Iterable[str] = ()) -> Catalog:
    """Every model and component the installed plugins provide."""
    from ganzoo.zoo.host import load_catalog

    return load_catalog(registry_files=registry_files)


def list_models(cat: Catalog | None = None) -> list[str]:
    return sorted((cat or catalog()).models)


def _overrides(
    overrides: Mapping[str, Any] | None, **flags: Any
) -> dict[str, Any]:
    out = dict(overrides or {})
    out.update({k: v for k, v in flags.items() if v is not None})
    return out


def train(
    model: str,
    *,
    dataset: str | None = None,
    epochs: int | None = None,
    steps: int | None = None,
    batch_size: int | None = None,
    seed: int | None = None,
    out: str | Path | None = None,
    overwrite: bool = False,
    overrides: Mapping[str, Any] | None = None,
    verbose: int | str = "auto",
    cat: Catalog | None = None,
    strategy: str | None = None,
) -> Any:
    """Train `model` and write a run folder; returns a `ganzoo.training.trainer.RunResult`.

    `strategy` (default, mirrored, multi-worker, tpu) spreads training with
    tf.distribute; see docs/DISTRIBUTED.md.
    """
    from ganzoo.training import plan as planning
    from ganzoo.training import trainer as training

    cat = cat or catalog()
    if steps is not None and epochs is not None:
        from ganzoo.errors import ConfigError

        raise ConfigError("give either epochs or steps, not both")
    flags = _overrides(overrides, epochs=epochs, steps=steps, batch_size=batch_size, seed=seed,
                       strategy=strategy)
    if epochs is not None:
        flags["steps"] = 0
    p = planning.plan(model, catalog=cat, dataset=dataset, overrides=flags)
    return training.train(p, out=out, overwrite=overwrite, verbose=verbose)


def resume(run_dir: str | Path, verbose: int | str = "auto", cat: Catalog | None = None) -> Any:
    """Continue an interrupted run to its planned end; returns a `RunResult`."""
    from ganzoo.training import trainer as training

    return training.resume(run_dir, catalog=cat or catalog(), verbose=verbose)


def load(source: str | Path, cat: Catalog | None = None) -> Any:
    """Rebuild the networks of a run folder or export (`ganzoo.artifacts.sampling.Loaded`)."""
    from ganzoo.artifacts import sampling

    return sampling.load(source, cat or catalog())


def sample(
    source: str | Path | Any, n: int = 16, seed: int = 0, label: int | None = None,
    cat: Catalog | None = None,
) -> np.ndarray:
    """n images in [0, 1], float32, (n, H, W, C); the same seed gives the same images."""
    from ganzoo.artifacts import sampling

    loaded = source if isinstance(source, sampling.Loaded) else load(source, cat)
    return sampling.sample(loaded, n, seed=seed, label=label)


def export_run(run_dir: str | Path, out: str | Path, cat: Catalog | None = None) -> Path:
    """Write a run's latest weights as one self-describing ``.weights.h5`` file."""
    from ganzoo.artifacts import export as export_mod
    from ganzoo.artifacts import sampling

    loaded = sampling.load(run_dir, cat or catalog(), prefer_checkpoint=True)
    return export_mod.write(out, loaded.generator, loaded.discriminator, loaded.meta)


def draw(source: str | Path, kind: str, out: str | Path, seed: int | None = None,
         cat: Catalog | None = None) -> Path:
    """Draw visualizer `kind` (grid, compare, histogram...) of a run folder or export to `out`;
    `out`'s suffix picks the file when the kind writes several (.png or .gif...).

    (Named `draw`, not `visualize`: `ganzoo.contract.visual` is a module.)"""
    from ganzoo.visual import viewer

    return viewer.visualize(source, kind, out, cat or catalog(), seed=seed)


def write_report(run_dir: str | Path, out: str | Path | None = None) -> Path:
    """Write a run as one self-contained HTML page (default RUN_DIR/report.html)."""
    from ganzoo.visual import report as report_mod

    return report_mod.write_report(run_dir, out)


def build(
    model: str,
    image_shape: tuple[int, ...] = (28, 28, 1),
    num_classes: int = 0,
    overrides: Mapping[str, Any] | None = None,
    cat: Catalog | None = None,
) -> Any:
    """A compiled `ganzoo.engine.gan.GAN` for `model`, ready for Keras' `fit()`.

    `image_shape` is the shape of one sample: (H, W, C), or (D,) for point data.
    """
    from ganzoo.engine.builder import build_gan
    from ganzoo.engine.runtime import resolve_precision
    from ganzoo.zoo import registry
    from ganzoo.zoo.config import resolve

    cat = cat or catalog()
    entry, _, where = registry.get(cat, model)
    config = resolve(entry, cat, overrides, entry_where=where)
    return build_gan(cat, config, image_shape, num_classes,
                     policy=resolve_precision(config["precision"]))


def build_networks(config: Mapping[str, Any], image_shape: tuple[int, ...],
                   num_classes: int = 0, cat: Catalog | None = None) -> tuple[Any, Any]:
    """float32 (generator, discriminator) for a stored config (an export's ganzoo_config)."""
    from ganzoo.engine.builder import build_sampler

    return build_sampler(cat or catalog(), config, image_shape, num_classes)
