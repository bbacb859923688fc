"""Train a model by name: registry entry -> config -> data -> GAN -> `fit()` -> outputs.

`plan()` does everything that can fail on bad input (unknown model, bad
``--set``, missing data) before TensorFlow is imported or a folder is created;
`train()` then runs Keras' `fit()` with ganzoo's callbacks and writes the run.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ganzoo import registry
from ganzoo.components import Catalog, did_you_mean
from ganzoo.config import resolve
from ganzoo.data import ImageData, load_path
from ganzoo.distribute import check_name as check_strategy
from ganzoo.errors import DataError, GanzooError, PluginError
from ganzoo.files import write_json
from ganzoo.visualize import VisualContext, as_unit


def open_dataset(catalog: Catalog, spec: str, split: str = "train") -> ImageData:
    """A data set by registered name, or else by path."""
    if spec in catalog.components["dataset"]:
        component = catalog.components["dataset"][spec]
        try:
            data = component.factory(split)
        except GanzooError:
            raise
        except Exception as exc:
            from ganzoo.host import describe_exception

            raise PluginError(
                f"dataset {spec!r} from plugin {component.plugin!r} failed to load: "
                f"{describe_exception(exc)}"
            ) from exc
        if not isinstance(data, ImageData):
            raise PluginError(
                f"dataset {spec!r} from plugin {component.plugin!r} returned "
                f"{type(data).__name__}, expected ganzoo.data.ImageData"
            )
        return data
    if not Path(spec).exists():
        names = catalog.names("dataset")
        raise DataError(
            f"unknown data set {spec!r}{did_you_mean(spec, names)}: not a registered name "
            f"({', '.join(names)}) nor an existing file or folder"
        )
    return load_path(spec, split)


@dataclass
class Plan:
    """A checked run, before anything is built or written."""

    model: str
    plugin: str
    entry: dict[str, Any]
    config: dict[str, Any]
    data: ImageData
    catalog: Catalog = field(repr=False)

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
    spec = dataset or entry.get("dataset") or "fashion-mnist-10k"
    data = open_dataset(catalog, spec)
    if len(data) == 0:
        raise DataError(f"data set {spec!r} holds no samples")
    p = Plan(model=model, plugin=plugin, entry=dict(entry), config=config, data=data,
             catalog=catalog)
    if p.steps_per_epoch == 0:
        raise DataError(
            f"data set {data.name!r} has {len(data)} samples, fewer than one step needs "
            f"({p.images_per_step}); lower --batch-size"
        )
    if int(config["eval_every"]) > 0:
        from ganzoo.evaluation import check_training_eval

        check_training_eval(catalog, data)
    if config["conditional"] and data.num_classes < 2:
        raise DataError(
            f"{model} is conditional but data set {data.name!r} has no class labels; "
            "use a labelled set (IDX with labels, .npz with y, or class sub-folders)"
        )
    return p


@dataclass
class RunResult:
    run_dir: Path
    export_path: Path | None
    steps: int
    epochs: int
    seconds: float
    images_per_sec: float
    precision: str
    stopped: str | None = None
    files: dict[str, Path] = field(default_factory=dict)
    chief: bool = True  # False on a multi-worker worker whose run folder was temporary


def grid_inputs(config: Mapping[str, Any], num_classes: int,
                latent_dim: int | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    """The fixed generator inputs of the per-epoch grid, and the label of each grid row.

    Conditional models draw one row per class; models with a categorical latent code
    (InfoGAN) one row per category, so a row shows what the code controls. The
    second value (None for a plain grid) is the class or category of each sample.
    `latent_dim` is accepted for callers of the older signature; the config's is used.
    """
    from ganzoo import latent

    rows = int(config["grid_rows"])
    categories = int(config.get("code_categorical", 0) or 0)
    labels = None
    if config.get("conditional") and num_classes:
        labels = np.repeat(np.arange(num_classes, dtype=np.int32), rows)
    elif categories:
        labels = np.repeat(np.arange(categories, dtype=np.int32), rows)
    n = rows * rows if labels is None else len(labels)
    row_codes = labels if categories and not config.get("conditional") else None
    z = latent.inputs(config, n, int(config["seed"]) + 2_000_003, categories=row_codes)
    return z, labels


def make_input_pipeline(data: ImageData, batch: int, seed: int, conditional: bool) -> Any:
    """Shuffled, batched, prefetched tf.data pipeline of images in [-1, 1] (and labels).

    Point data are float32 already in the models' coordinates and pass through unscaled.
    """
    import tensorflow as tf

    images = data.images
    if data.labels is not None and conditional:
        ds = tf.data.Dataset.from_tensor_slices((images, data.labels.astype(np.int32)))
    else:
        ds = tf.data.Dataset.from_tensor_slices(images)
    ds = ds.shuffle(len(images), seed=seed, reshuffle_each_iteration=True).repeat()
    ds = ds.batch(batch, drop_remainder=True)

    def scale(x: Any, *rest: Any) -> Any:
        x = tf.cast(x, tf.float32) / 127.5 - 1.0
        return (x, *rest) if rest else x

    if not data.is_points:
        ds = ds.map(scale, num_parallel_calls=tf.data.AUTOTUNE)
    return ds.prefetch(tf.data.AUTOTUNE)


def _echo(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def train(p: Plan, *, out: str | Path | None = None, overwrite: bool = False,
          verbose: int | str = "auto", echo: Callable[[str], None] = _echo) -> RunResult:
    """Run `fit()` for a checked plan and write the run folder (on the chief only)."""
    from ganzoo import __version__, distribute, runs

    # First TensorFlow work of the run: multi-worker must set up collectives before any other.
    strategy = distribute.make_strategy(p.config["strategy"])
    distribute.check_batch(int(p.config["batch_size"]), strategy)
    if not distribute.is_chief(strategy):
        with distribute.worker_dir(strategy) as tmp:
            result = _train_locked(p, tmp, verbose, echo, __version__, strategy)
        result.chief = False
        return result
    run_dir = runs.new_run_dir(p.model, out, overwrite)
    with runs.locked(run_dir):
        return _train_locked(p, run_dir, verbose, echo, __version__, strategy)


def _train_locked(p: Plan, run_dir: Path, verbose: int | str,
                  echo: Callable[[str], None], version: str, strategy: Any) -> RunResult:
    from ganzoo.runtime import import_tensorflow, resolve_precision

    tf = import_tensorflow()
    import keras

    from ganzoo import callbacks as cb
    from ganzoo import distribute, export
    from ganzoo.builder import build_gan, build_visualizers
    from ganzoo.images import to_unit

    config, data = p.config, p.data
    policy = resolve_precision(config["precision"])
    echo(f"ganzoo {version}: training {p.model} (plugin {p.plugin}) on {data.name}: "
         f"{data.describe()}, {data.num_classes or 'no'} classes")
    echo(f"  data from {data.source}")
    echo(f"  {p.total_steps} steps of {p.images_per_step} "
         f"{'points' if data.is_points else 'images'} "
         f"({p.steps_per_epoch} steps per epoch), precision {policy}, seed {config['seed']}")
    if config["strategy"] != "default":
        echo(f"  {distribute.describe(strategy, config['strategy'])}")

    data_info = {"name": data.name, "source": data.source, "images": len(data),
                 "image_shape": list(data.image_shape), "num_classes": data.num_classes,
                 "class_names": list(data.class_names)}
    run_config = {"ganzoo_version": version, "model": p.model, "plugin": p.plugin,
                  "entry": p.entry, "config": config, "data": data_info, "precision": policy,
                  "keras_version": keras.__version__, "tensorflow_version": tf.__version__,
                  "command": sys.argv}
    write_json(run_dir / "config.json", run_config)

    with strategy.scope():
        gan = build_gan(p.catalog, config, data.image_shape, data.num_classes, policy=policy)
    if config["sync_batchnorm"]:
        distribute.synchronize_batchnorm((gan.generator, gan.discriminator), strategy)
    dataset = make_input_pipeline(data, p.images_per_step, int(config["seed"]),
                                  bool(config["conditional"]))
    dataset = distribute.shard_dataset(dataset, strategy)

    grid_z, grid_labels = grid_inputs(config, data.num_classes)
    conditional = bool(gan.conditional)

    def generate(z: np.ndarray, labels: np.ndarray | None = None) -> np.ndarray:
        """Samples of the weight-averaged generator in [0, 1] (points: as made), in batches.

        `labels` are class labels for conditional models; for others (InfoGAN grids
        label rows by category, which is already in z) they are ignored.
        """
        outs = []
        for start in range(0, len(z), 500):
            zs = keras.ops.convert_to_tensor(z[start:start + 500])
            ys = None if labels is None or not conditional else keras.ops.convert_to_tensor(
                labels[start:start + 500])
            outs.append(keras.ops.convert_to_numpy(gan.generate(zs, ys, model=gan.sampler)))
        out = np.concatenate(outs)
        return out.astype(np.float32) if data.is_points else to_unit(out)

    visualizers = build_visualizers(p.catalog, config["visualizers"])
    counter = cb.StepCounter(p.total_steps)
    real = as_unit(data.images[:100])

    def run_visualizers(epoch: int, final: bool) -> list[Path]:
        ctx = VisualContext(run_dir=run_dir, config={**config, "model": p.model,
                                                     "dataset": data.name}, epoch=epoch,
                            step=counter.step, final=final,
                            grid_samples=lambda: generate(grid_z, grid_labels),
                            grid_labels=grid_labels, class_names=data.class_names,
                            real_samples=real, generate=generate, latent_dim=gan.input_dim,
                            num_classes=data.num_classes if conditional else 0,
                            training_data=lambda: (data.images, data.labels))
        written: list[Path] = []
        for name, visualizer in list(visualizers):
            try:
                written.extend(visualizer(ctx) or [])
            except Exception as exc:  # a plugin's plot must not end a training run
                from ganzoo.host import describe_exception

                plugin = p.catalog.get("visualizer", name).plugin
                echo(f"warning: visualizer {name!r} from plugin {plugin!r} failed and is "
                     f"switched off for this run: {describe_exception(exc)}")
                visualizers.remove((name, visualizer))
        return written

    evaluator = _periodic_eval(p, gan, counter, run_dir)
    epochs = math.ceil(p.total_steps / p.steps_per_epoch)
    throughput = cb.Throughput(p.images_per_step)
    guard = cb.NonFiniteGuard(counter)
    checkpointer = cb.Checkpointer(run_dir / "checkpoints", counter, guard,
                                   every=int(config["checkpoint_every"]),
                                   keep=int(config["keep_checkpoints"]))
    callbacks = [
        counter,
        throughput,
        guard,
        *([evaluator] if evaluator else []),
        cb.MetricsCSV(run_dir / "metrics.csv", counter,
                      extra_fields=tuple(f"eval_{k}" for k in evaluator.headline)
                      if evaluator else ()),
        keras.callbacks.TensorBoard(str(run_dir / "tensorboard"), update_freq=50,
                                    write_graph=False, profile_batch=0),
        checkpointer,
        # The last epoch's views are drawn once, by the final pass after fit().
        cb.Visuals(lambda epoch, final: [] if epoch >= epochs else run_visualizers(epoch, final)),
    ]
    steps_per_epoch = min(p.steps_per_epoch, p.total_steps)
    start = time.perf_counter()
    if verbose == "auto":  # one line per epoch when the output is a log, not a terminal
        verbose = 1 if sys.stdout.isatty() else 2
    with distribute.fit_scope(gan, strategy):
        gan.fit(dataset, epochs=epochs, steps_per_epoch=steps_per_epoch, callbacks=callbacks,
                verbose=verbose, shuffle=False)
    seconds = time.perf_counter() - start
    if config["strategy"] != "default":  # equal on every worker when replicas stayed in sync
        digest = distribute.weights_digest((gan, gan.g_optimizer, gan.d_optimizer))
        echo(f"weights digest {digest} after {counter.step} steps")

    files: dict[str, Path] = {}
    export_path: Path | None = None
    if guard.tripped:
        echo(f"stopped: {guard.tripped}; the last good checkpoint is kept in "
             f"{run_dir / 'checkpoints'}")
    else:
        export_path = run_dir / f"{p.model}.weights.h5"
        export.write(export_path, gan.sampler, gan.discriminator,
                     meta_for(p.model, p.entry, config, data_info, counter.step, version))
        files["weights"] = export_path
    for path in run_visualizers(counter.epoch, True):
        files.setdefault(path.stem, path)
    rate = throughput.rate
    result = RunResult(run_dir=run_dir, export_path=export_path, steps=counter.step,
                       epochs=counter.epoch, seconds=seconds, images_per_sec=rate,
                       precision=policy, stopped=guard.tripped, files=files)
    write_json(run_dir / "summary.json", {
        "steps": result.steps, "epochs": result.epochs, "seconds": round(seconds, 2),
        "images_per_sec": round(rate, 1), "precision": policy, "stopped": guard.tripped,
        "export": export_path.name if export_path else None,
    })
    return result


def _periodic_eval(p: Plan, gan: Any, counter: Any, run_dir: Path) -> Any:
    """The `PeriodicEval` callback of ``eval_every``, or None when it is off.

    Samples come from the generator used for samples (the weight average when kept), from
    fixed noise, so figures of successive epochs differ only by training.
    """
    every = int(p.config["eval_every"])
    if every <= 0:
        return None
    import keras

    from ganzoo import callbacks as cb
    from ganzoo import evaluation, latent
    from ganzoo.images import to_unit

    scorer = evaluation.Scorer(p.catalog, p.data.name, p.data.image_shape)
    scorer.extractor()  # load both now, so that a problem shows before training
    scorer.reference()
    n, seed = int(p.config["eval_n"]), int(p.config["seed"])
    z = latent.inputs(p.config, n, seed + 3_000_017)
    labels = (np.arange(n) % p.data.num_classes).astype(np.int32) if gan.conditional else None

    def score() -> dict[str, Any]:
        parts = []
        for start in range(0, n, 500):
            zs = keras.ops.convert_to_tensor(z[start:start + 500])
            ls = None if labels is None else keras.ops.convert_to_tensor(labels[start:start + 500])
            parts.append(keras.ops.convert_to_numpy(gan.generate(zs, ls, model=gan.sampler)))
        images = evaluation.to_uint8(to_unit(np.concatenate(parts).astype(np.float32)))
        return scorer.score(images, seed=seed)["metrics"]

    return cb.PeriodicEval(score, every, min(p.steps_per_epoch, p.total_steps), counter, run_dir,
                           evaluation.HEADLINE)


def meta_for(model: str, entry: Mapping[str, Any], config: Mapping[str, Any],
             data_info: Mapping[str, Any], step: int, version: str) -> Any:
    import keras
    import tensorflow as tf

    from ganzoo.export import ExportMeta

    return ExportMeta(
        model=model, entry=dict(entry), config=dict(config),
        image_shape=tuple(data_info["image_shape"]),
        num_classes=int(data_info["num_classes"]),
        class_names=tuple(data_info.get("class_names") or ()),
        data={k: data_info[k] for k in ("name", "images")},
        ganzoo_version=version, keras_version=keras.__version__,
        tensorflow_version=tf.__version__, step=step,
    )
