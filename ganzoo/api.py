"""The Python API: everything the CLI does, by name, from a script or notebook.

    import ganzoo
    result = ganzoo.train("dcgan", steps=500)
    images = ganzoo.sample(result.run_dir, n=16, seed=1)   # float32 in [0, 1]
    ganzoo.export_run(result.run_dir, "dcgan.weights.h5")

Every ``ganzoo`` command is one call of a function here, with the command's options as
keyword arguments of the same names: checks of what the user gave (flags, file names,
existing outputs) are made here, once, so that a script and the command line behave
alike. Nothing here imports TensorFlow until a model is built.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ganzoo.contract.hookspecs import API_VERSION
from ganzoo.errors import ConfigError, GanzooError
from ganzoo.zoo.components import Catalog

#: the plugin API this ganzoo provides (`GANZOO_API`; `ganzoo new-plugin` writes it)
PLUGIN_API_VERSION: int = API_VERSION

#: what ``overrides`` may be: typed values by key, or ``KEY=VALUE`` strings as ``--set`` takes
Overrides = Mapping[str, Any] | Iterable[str]


def catalog(registry_files: Iterable[str] = ()) -> Catalog:
    """Every model and component the installed plugins provide."""
    from ganzoo.zoo.host import load_catalog

    return load_catalog(registry_files=registry_files)


def list_models(cat: Catalog | None = None) -> list[str]:
    return sorted((cat or catalog()).models)


def _fold_overrides(overrides: Overrides | None = None, **flags: Any) -> dict[str, Any]:
    """One dict of hyperparameters from ``overrides`` and the flags of ``ganzoo run``.

    The flags (``epochs=3``...) win over the same keys in ``overrides``; ``None`` means not
    given. ``epochs`` turns the step count off (``steps=0``), since a plan takes one of them.
    """
    if flags.get("epochs") is not None and flags.get("steps") is not None:
        raise ConfigError("give either --epochs or --steps, not both")
    if overrides is None:
        folded: dict[str, Any] = {}
    elif isinstance(overrides, Mapping):
        folded = dict(overrides)
    else:
        from ganzoo.zoo.config import parse_assignments

        pairs = [overrides] if isinstance(overrides, str) else list(overrides)
        folded = dict(parse_assignments(pairs))
    folded.update({key: value for key, value in flags.items() if value is not None})
    if flags.get("epochs") is not None:
        folded["steps"] = 0
    return folded


def _training() -> tuple[Any, Any]:
    """(ganzoo.training.plan, ganzoo.training.trainer), imported when training starts."""
    from ganzoo.training import plan, trainer

    return plan, trainer


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
    overrides: Overrides | None = None,
    strategy: str | None = None,
    precision: str | None = None,
    verbose: int | str = "auto",
    cat: Catalog | None = None,
) -> Any:
    """Train `model` and write a run folder; returns a `ganzoo.training.trainer.RunResult`.

    The keywords are ``ganzoo run``'s options: ``overrides`` is ``--set`` (a dict, or
    ``"KEY=VALUE"`` strings), ``strategy`` (default, mirrored, multi-worker, tpu) spreads
    training with tf.distribute (docs/DISTRIBUTED.md), ``precision`` is auto, float32 or
    bfloat16. ``overwrite`` reuses an ``out`` folder that holds a run, removing its outputs.
    """
    plan_mod, trainer = _training()
    cat = cat or catalog()
    folded = _fold_overrides(overrides, epochs=epochs, steps=steps, batch_size=batch_size,
                            seed=seed, strategy=strategy, precision=precision)
    p = plan_mod.plan(model, catalog=cat, dataset=dataset, overrides=folded)
    return trainer.train(p, out=out, overwrite=overwrite, verbose=verbose)


def resume(run_dir: str | Path, verbose: int | str = "auto", cat: Catalog | None = None) -> Any:
    """Continue an interrupted run to its planned end; returns a `RunResult`."""
    _, trainer = _training()
    return trainer.resume(run_dir, catalog=cat or catalog(), verbose=verbose)


def run_files(run_dir: str | Path, cat: Catalog | None = None) -> list[Any]:
    """What a run folder holds now, by the one list of run outputs: ganzoo's own files, then
    each visualizer's declared ones (`ganzoo.artifacts.outputs.Found`: output, paths).

    ``--overwrite`` removes exactly these, and ``ganzoo report`` shows the pictures among them.
    """
    from ganzoo.artifacts import outputs

    return outputs.find(run_dir, cat or catalog())


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


@dataclass(frozen=True)
class SampleFile:
    """What `write_samples` wrote: where, how many, of which model, from which file."""

    path: Path
    n: int
    model: str
    origin: Path


def write_samples(
    source: str | Path, out: str | Path, *, n: int = 64, seed: int = 0,
    label: int | None = None, overwrite: bool = False, cat: Catalog | None = None,
) -> SampleFile:
    """``ganzoo sample``: draw `n` samples and write them to `out`.

    ``.png``: a grid (one row per class when `label` is None; a scatter plot for point
    data); ``.npy``: the float32 array. An existing `out` is kept unless `overwrite`.
    """
    from ganzoo.artifacts import sampling
    from ganzoo.artifacts.files import check_writable_output

    if Path(out).suffix not in {".png", ".npy"}:
        raise GanzooError(f"--out {out}: use a .png (grid) or .npy (array) file name")
    check_writable_output(out, overwrite)
    loaded = sampling.load(source, cat or catalog())
    path = sampling.write(loaded, out, n, seed=seed, label=label)  # streams .npy files
    return SampleFile(path, n, loaded.meta.model, loaded.origin)


def export_run(run_dir: str | Path, out: str | Path, cat: Catalog | None = None, *,
               overwrite: bool = False) -> Path:
    """Write a run's latest weights as one self-describing ``.weights.h5`` file."""
    from ganzoo.artifacts import export as export_mod
    from ganzoo.artifacts import sampling
    from ganzoo.artifacts.files import check_writable_output

    if not str(out).endswith(".weights.h5"):
        raise GanzooError(f"--out {out}: export names must end in .weights.h5 "
                          "(the only name Keras reads its weights layout from)")
    check_writable_output(out, overwrite)
    loaded = sampling.load(run_dir, cat or catalog(), prefer_checkpoint=True)
    return export_mod.write(out, loaded.generator, loaded.discriminator, loaded.meta)


class Evaluation(dict):
    """`evaluate`'s result: the JSON-ready dict (figures and protocol) saved at `path`."""

    path: Path

    def lines(self) -> list[str]:
        """The figures as a few lines for people (what ``ganzoo eval`` prints)."""
        from ganzoo.evaluation.evaluate import summary_lines

        return summary_lines(self)


def evaluate(
    source: str | Path, *, n: int = 10_000, dataset: str | None = None, seed: int = 0,
    out: str | Path | None = None, cat: Catalog | None = None,
) -> Evaluation:
    """``ganzoo eval``: score `n` samples of a run folder, an export or a .npy/.npz array
    (Fréchet distance, KID, precision/recall...; docs/EVALUATION.md).

    The result is saved as JSON at `out` (default RUN/eval.json, or FILE.eval.json beside
    a file) and returned; `dataset` names the reference (default: the run's).
    """
    from ganzoo.artifacts.files import write_json
    from ganzoo.evaluation.evaluate import default_output_for, evaluate_source

    result = Evaluation(evaluate_source(source, cat or catalog(), n=n, dataset=dataset,
                                        seed=seed))
    result.path = Path(out) if out is not None else default_output_for(source, result)
    write_json(result.path, dict(result))
    return result


def draw(source: str | Path, kind: str, out: str | Path, seed: int | None = None,
         cat: Catalog | None = None, *, overwrite: bool = False) -> Path:
    """Draw visualizer `kind` (grid, compare, histogram...) of a run folder or export to `out`;
    `out`'s suffix picks the file when the kind writes several (.png or .gif...).

    (Named `draw`, not `visualize`: `ganzoo.contract.visual` is a module.)"""
    from ganzoo.artifacts.files import check_writable_output
    from ganzoo.visual import viewer

    cat = cat or catalog()
    cat.get("visualizer", kind)  # an unknown kind fails before anything is loaded
    check_writable_output(out, overwrite)
    return viewer.visualize(source, kind, out, cat, seed=seed)


def write_report(run_dir: str | Path, out: str | Path | None = None, *,
                 overwrite: bool = False, cat: Catalog | None = None) -> Path:
    """Write a run as one self-contained HTML page (default RUN_DIR/report.html, replaced
    each time; another existing `out` only with `overwrite`)."""
    from ganzoo.artifacts.files import check_writable_output
    from ganzoo.visual import report as report_mod

    if out is not None:
        check_writable_output(out, overwrite)
    return report_mod.write_report(run_dir, out, catalog=cat or catalog())


def build(
    model: str,
    image_shape: tuple[int, ...] = (28, 28, 1),
    num_classes: int = 0,
    overrides: Overrides | None = None,
    cat: Catalog | None = None,
    total_steps: int = 0,
) -> Any:
    """A compiled `ganzoo.engine.gan.GAN` for `model`, ready for Keras' `fit()`.

    `image_shape` is the shape of one sample: (H, W, C), or (D,) for point data.
    `total_steps`, the generator steps `fit()` will run, is needed by
    ``lr_schedule=linear`` only.
    """
    from ganzoo.engine.builder import build_gan
    from ganzoo.engine.runtime import resolve_precision
    from ganzoo.zoo import registry
    from ganzoo.zoo.config import resolve

    cat = cat or catalog()
    entry, _, where = registry.get(cat, model)
    config = resolve(entry, cat, _fold_overrides(overrides), entry_where=where)
    return build_gan(cat, config, image_shape, num_classes,
                     policy=resolve_precision(config["precision"]), total_steps=total_steps)


def build_networks(config: Mapping[str, Any], image_shape: tuple[int, ...],
                   num_classes: int = 0, cat: Catalog | None = None) -> tuple[Any, Any]:
    """float32 (generator, discriminator) for a stored config (an export's ganzoo_config)."""
    from ganzoo.engine.builder import build_sampler

    return build_sampler(cat or catalog(), config, image_shape, num_classes)
