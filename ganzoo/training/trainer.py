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

from ganzoo.artifacts.files import write_json
from ganzoo.contract.imagedata import ImageData
from ganzoo.contract.visual import VisualContext, as_unit
from ganzoo.data.loading import load_path
from ganzoo.engine.distribute import check_name as check_strategy
from ganzoo.errors import DataError, GanzooError, PluginError
from ganzoo.zoo import registry
from ganzoo.zoo.components import Catalog, did_you_mean
from ganzoo.zoo.config import resolve


def open_dataset(catalog: Catalog, spec: str, split: str = "train") -> ImageData:
    """A data set by registered name, or else by path."""
    if spec in catalog.components["dataset"]:
        component = catalog.components["dataset"][spec]
        try:
            data = component.factory(split)
        except GanzooError:
            raise
        except Exception as exc:
            from ganzoo.zoo.host import describe_exception

            raise PluginError(
                f"dataset {spec!r} from plugin {component.plugin!r} failed to load: "
                f"{describe_exception(exc)}"
            ) from exc
        if not isinstance(data, ImageData):
            raise PluginError(
                f"dataset {spec!r} from plugin {component.plugin!r} returned "
                f"{type(data).__name__}, expected ganzoo.data.loading.ImageData"
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
    spec = dataset or entry.get("dataset") or "fashion-mnist-10k"
    data = open_dataset(catalog, spec)
    if len(data) == 0:
        raise DataError(f"data set {spec!r} holds no samples")
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
    #: what the CLI exits with: 0 done, 1 stopped on NaN/Inf, 128 + signal when interrupted
    exit_code: int = 0
    chief: bool = True  # False on a multi-worker worker whose run folder was temporary


def grid_inputs(config: Mapping[str, Any],
                num_classes: int) -> tuple[np.ndarray, np.ndarray | None]:
    """The fixed generator inputs of the per-epoch grid, and the label of each grid row.

    Conditional models draw one row per class; models with a categorical latent code
    (InfoGAN) one row per category, so a row shows what the code controls. The
    second value (None for a plain grid) is the class or category of each sample.
    """
    from ganzoo.engine import latent

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


def make_input_pipeline(data: ImageData, batch: int, seed: int, conditional: bool,
                        start_step: int = 0, stop_step: int | None = None) -> Any:
    """The batches of generator steps ``start_step .. stop_step - 1``, images in [-1, 1].

    The data order is a pure function of (seed, epoch): the batch of global step ``s``
    holds the images at positions ``b*i .. b*i + b - 1`` of epoch ``s // spe``'s
    permutation (``i = s % spe``, ``spe = N // b``; the last ``N % b`` are left out,
    different ones each epoch). The permutation is `tf.random.experimental.index_shuffle`,
    a stateless bijection, so a resumed run starts at its step without replaying the
    data, and sees exactly the batches the uninterrupted run saw. Point data are float32
    already in the models' coordinates and pass through unscaled.
    """
    import tensorflow as tf

    n = len(data)
    steps_per_epoch = n // batch
    stop = stop_step if stop_step is not None else 2**62
    images = tf.convert_to_tensor(data.images)
    labels = None
    if data.labels is not None and conditional:
        labels = tf.convert_to_tensor(data.labels.astype(np.int32))
    key = tf.constant(int(seed), tf.int64)
    points = data.is_points

    def batch_at(step: Any) -> Any:
        epoch = step // steps_per_epoch
        positions = (step % steps_per_epoch) * batch + tf.range(batch, dtype=tf.int64)
        index = tf.random.experimental.index_shuffle(
            positions, seed=tf.stack([key, epoch]), max_index=n - 1)
        x = tf.cast(tf.gather(images, index), tf.float32)
        if not points:
            x = x / 127.5 - 1.0
        return x if labels is None else (x, tf.gather(labels, index))

    ds = tf.data.Dataset.range(start_step, stop)
    ds = ds.map(batch_at, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    return ds.prefetch(tf.data.AUTOTUNE)


def fit_segments(start_step: int, total_steps: int,
                 steps_per_epoch: int) -> list[tuple[int, int, int, int]]:
    """How to cover steps ``start_step .. total_steps - 1`` with `fit()` calls:
    (initial_epoch, epochs, steps_per_epoch, first_step) each.

    Keras counts a fixed number of steps per epoch, so a run resumed in the middle of
    an epoch first finishes that epoch with a `fit()` of its remaining steps, then
    goes on with whole epochs. The data never depends on how the steps are split.
    """
    segments: list[tuple[int, int, int, int]] = []
    step = start_step
    epoch, offset = divmod(step, steps_per_epoch)
    if offset and step < total_steps:
        n = min(steps_per_epoch - offset, total_steps - step)
        segments.append((epoch, epoch + 1, n, step))
        step += n
        epoch += 1
    if step < total_steps:
        epochs = math.ceil(total_steps / steps_per_epoch)
        segments.append((epoch, epochs, min(steps_per_epoch, total_steps - step), step))
    return segments


def _echo(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@dataclass
class _Build:
    """A built GAN and everything derived from the plan that training needs."""

    gan: Any
    policy: str
    strategy: Any
    data_info: dict[str, Any]
    tf_version: str
    keras_version: str
    visualizers: list[tuple[str, Any]]
    scorer: Any  # evaluation.Scorer of eval_every, or None


def _build(p: Plan, strategy: Any, policy: str | None = None) -> _Build:
    """Determinism, the GAN: everything that can fail before a file is written."""
    from ganzoo.engine.runtime import import_tensorflow, resolve_precision

    tf = import_tensorflow()
    import keras

    from ganzoo.engine import distribute
    from ganzoo.engine.builder import build_gan, build_visualizers

    config, data = p.config, p.data
    policy = policy or resolve_precision(config["precision"])
    if config.get("deterministic", True):
        tf.config.experimental.enable_op_determinism()
    with strategy.scope():
        gan = build_gan(p.catalog, config, data.image_shape, data.num_classes, policy=policy)
    if config["sync_batchnorm"]:
        distribute.synchronize_batchnorm((gan.generator, gan.discriminator), strategy)
    data_info = {"name": data.name, "source": data.source, "images": len(data),
                 "image_shape": list(data.image_shape), "num_classes": data.num_classes,
                 "class_names": list(data.class_names), "fingerprint": fingerprint(data)}
    visualizers = build_visualizers(p.catalog, config["visualizers"])
    return _Build(gan, policy, strategy, data_info, tf.__version__, keras.__version__,
                  visualizers, _scorer(p))


def fingerprint(data: ImageData) -> str:
    """SHA-256 of the images and labels: `ganzoo resume` refuses data that changed."""
    import hashlib

    digest = hashlib.sha256(np.ascontiguousarray(data.images).data)
    if data.labels is not None:
        digest.update(np.ascontiguousarray(data.labels).data)
    return digest.hexdigest()


def _announce(p: Plan, b: _Build, version: str, echo: Callable[[str], None]) -> None:
    from ganzoo.engine import distribute

    data, config = p.data, p.config
    echo(f"ganzoo {version}: training {p.model} (plugin {p.plugin}) on {data.name}: "
         f"{data.describe()}, {data.num_classes or 'no'} classes")
    echo(f"  data from {data.source}")
    echo(f"  {p.total_steps} steps of {p.images_per_step} "
         f"{'points' if data.is_points else 'images'} "
         f"({p.steps_per_epoch} steps per epoch), precision {b.policy}, "
         f"seed {config['seed']}")
    if config["strategy"] != "default":
        echo(f"  {distribute.describe(b.strategy, config['strategy'])}")


#: strategies that run in one process, which is therefore the chief
_ONE_PROCESS = ("default", "mirrored")


def train(p: Plan, *, out: str | Path | None = None, overwrite: bool = False,
          verbose: int | str = "auto", echo: Callable[[str], None] = _echo) -> RunResult:
    """Run `fit()` for a checked plan and write the run folder (on the chief only).

    The folder is checked first, the GAN built next, and only then is the folder
    created and locked: a run that fails before training starts leaves nothing behind
    (and, with ``overwrite``, the earlier run is removed only once the new one can start).
    """
    from ganzoo.artifacts import runs
    from ganzoo.engine import distribute
    from ganzoo.version import __version__

    run_dir = None
    if p.config["strategy"] in _ONE_PROCESS:  # fail on a bad --out before TensorFlow starts
        run_dir = runs.check_run_dir(p.model, out, overwrite)
    # First TensorFlow work of the run: multi-worker must set up collectives before any other.
    strategy = distribute.make_strategy(p.config["strategy"])
    distribute.check_batch(int(p.config["batch_size"]), strategy)
    if not distribute.is_chief(strategy):
        b = _build(p, strategy)
        _announce(p, b, __version__, echo)
        with distribute.worker_dir(strategy) as tmp:
            result = _fit(p, b, tmp, 0, verbose, echo, __version__)
        result.chief = False
        return result
    if run_dir is None:
        run_dir = runs.check_run_dir(p.model, out, overwrite)
    b = _build(p, strategy)
    created = runs.create_run_dir(run_dir)
    started = False
    holding = False
    try:
        with runs.locked(run_dir):
            holding = True
            if overwrite:
                runs.clear_run_dir(run_dir)
            _announce(p, b, __version__, echo)
            write_json(run_dir / "config.json", {
                "ganzoo_version": __version__, "model": p.model, "plugin": p.plugin,
                "entry": p.entry, "config": p.config, "dataset": p.dataset,
                "data": b.data_info, "precision": b.policy,
                "steps_per_epoch": p.steps_per_epoch, "total_steps": p.total_steps,
                "keras_version": b.keras_version, "tensorflow_version": b.tf_version,
                "command": sys.argv})
            started = True
            return _fit(p, b, run_dir, 0, verbose, echo, __version__)
    except BaseException:
        if holding and not started:
            runs.remove_created(created)
        raise


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


def resume(run_dir: str | Path, *, catalog: Catalog, verbose: int | str = "auto",
           echo: Callable[[str], None] = _echo) -> RunResult:
    """Continue an interrupted run from its newest checkpoint to its planned end.

    The result is the one the uninterrupted run would have had: weights, optimizer
    states, random generator states and the data position all come back (see
    docs/RELIABILITY.md for the exact guarantee).
    """
    import json

    from ganzoo.artifacts import runs
    from ganzoo.engine import distribute
    from ganzoo.errors import GanzooError
    from ganzoo.version import __version__

    run_dir = Path(run_dir)
    run = runs.read_config(run_dir)
    summary = run_dir / "summary.json"
    if summary.is_file():
        try:
            done = json.loads(summary.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            done = {}
        if done.get("finished"):
            raise GanzooError(f"{run_dir}: the run finished ({done.get('steps')} steps); "
                              "nothing to resume (sample or export it, or start a new run)")
    p = plan_from_run(run, run_dir, catalog)
    if p.config["strategy"] not in _ONE_PROCESS:
        raise GanzooError(f"{run_dir}: resuming a {p.config['strategy']} run is not supported; "
                          "`ganzoo resume` continues runs of one process (default, mirrored)")
    policy = str(run.get("precision") or "")
    if policy not in ("float32", "mixed_bfloat16"):
        raise GanzooError(f"{run_dir}/config.json: unknown precision {policy!r}")
    with runs.locked(run_dir):
        runs.remove_temporaries(run_dir)
        found = runs.latest_checkpoint(run_dir)
        if found is not None and found[1].get("format", 0) < 1:
            raise GanzooError(f"{found[0]}: written by an older ganzoo without the step, RNG "
                              "and data position; it can be sampled but not resumed")
        b = _build(p, distribute.make_strategy(p.config["strategy"]), policy)
        start = 0
        if found is not None:
            path, state = found
            _restore(b.gan, path, state, p)
            start = int(state["step"])
        from ganzoo.training.callbacks import truncate_metrics

        truncate_metrics(run_dir / "metrics.csv", start)
        _announce(p, b, __version__, echo)
        echo(f"  resuming {run_dir} at step {start}"
             + (f" from {found[0].name}" if found else " (no checkpoint yet: from the start)"))
        return _fit(p, b, run_dir, start, verbose, echo, __version__)


def _restore(gan: Any, path: Path, state: Mapping[str, Any], p: Plan) -> None:
    from ganzoo.artifacts.export import CHECKPOINT_DTYPES, load_weights_strictly
    from ganzoo.errors import WeightsError
    from ganzoo.training.callbacks import set_rng_state

    position = state.get("data_position") or {}
    if (position.get("steps_per_epoch") != p.steps_per_epoch
            or position.get("seed") != p.config["seed"]):
        raise WeightsError(f"{path}: its data position ({position}) does not fit the run's "
                           f"config ({p.steps_per_epoch} steps per epoch, seed "
                           f"{p.config['seed']})")
    load_weights_strictly(gan, path, "checkpoint weights", CHECKPOINT_DTYPES)
    try:
        set_rng_state(gan, state.get("rng") or [])
    except (ValueError, TypeError) as exc:
        raise WeightsError(f"{path}: random generator state does not fit ({exc})") from None


def _fit(p: Plan, b: _Build, run_dir: Path, start_step: int, verbose: int | str,
         echo: Callable[[str], None], version: str) -> RunResult:
    """Train steps ``start_step ..`` to the plan's end with ganzoo's callbacks."""
    import keras

    from ganzoo.artifacts import export, runs
    from ganzoo.artifacts.images import to_unit
    from ganzoo.engine import distribute
    from ganzoo.training import callbacks as cb
    from ganzoo.training.interrupts import Interrupts

    config, data, gan, strategy = p.config, p.data, b.gan, b.strategy
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

    visualizers = list(b.visualizers)
    counter = cb.StepCounter(p.total_steps, start_step, start_step // p.steps_per_epoch)
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
                from ganzoo.zoo.host import describe_exception

                plugin = p.catalog.get("visualizer", name).plugin
                echo(f"warning: visualizer {name!r} from plugin {plugin!r} failed and is "
                     f"switched off for this run: {describe_exception(exc)}")
                visualizers.remove((name, visualizer))
        return written

    interrupts = Interrupts()
    evaluator = _periodic_eval(p, gan, counter, run_dir, b.scorer)
    last_epoch = math.ceil(p.total_steps / p.steps_per_epoch)
    throughput = cb.Throughput(p.images_per_step)
    guard = cb.NonFiniteGuard(counter)
    metrics = cb.MetricsCSV(run_dir / "metrics.csv", counter, append=start_step > 0,
                            extra_fields=tuple(f"eval_{k}" for k in evaluator.headline)
                            if evaluator else ())
    checkpointer = cb.Checkpointer(run_dir / "checkpoints", counter, guard,
                                   every=int(config["checkpoint_every"]),
                                   keep=int(config["keep_checkpoints"]),
                                   steps_per_epoch=p.steps_per_epoch, seed=int(config["seed"]),
                                   before_save=metrics.flush)
    callbacks = [
        counter,
        cb.StopOnSignal(interrupts),
        throughput,
        guard,
        *([evaluator] if evaluator else []),
        metrics,
        keras.callbacks.TensorBoard(str(run_dir / "tensorboard"), update_freq=50,
                                    write_graph=False, profile_batch=0),
        checkpointer,
        # The last epoch's views are drawn once, by the final pass after fit(); an
        # interrupted run skips them to exit quickly.
        cb.Visuals(lambda epoch, final: [] if epoch >= last_epoch
                   else run_visualizers(epoch, final),
                   skip=lambda: interrupts.signum is not None),
    ]
    start = time.perf_counter()
    if verbose == "auto":  # one line per epoch when the output is a log, not a terminal
        verbose = 1 if sys.stdout.isatty() else 2
    with interrupts, distribute.fit_scope(gan, strategy):
        for initial_epoch, epochs, steps, first in fit_segments(start_step, p.total_steps,
                                                                 p.steps_per_epoch):
            if guard.tripped or interrupts.signum is not None:
                break
            dataset = make_input_pipeline(data, p.images_per_step, int(config["seed"]),
                                          bool(config["conditional"]), first, p.total_steps)
            dataset = distribute.shard_dataset(dataset, strategy)
            gan.fit(dataset, initial_epoch=initial_epoch, epochs=epochs, steps_per_epoch=steps,
                    callbacks=callbacks, verbose=verbose, shuffle=False)
        checkpointer.save()  # no-op unless the loop ended between segments
    seconds = time.perf_counter() - start
    if config["strategy"] != "default":  # equal on every worker when replicas stayed in sync
        digest = distribute.weights_digest((gan, gan.g_optimizer, gan.d_optimizer))
        echo(f"weights digest {digest} after {counter.step} steps")

    finished = counter.step >= p.total_steps and not guard.tripped
    interrupted = interrupts.signum is not None and not finished and not guard.tripped
    files: dict[str, Path] = {}
    export_path: Path | None = None
    stopped: str | None = None
    if guard.tripped:
        stopped = guard.tripped
        good = runs.latest_checkpoint(run_dir)
        kept = (f"the last good checkpoint ({good[0].name}, step {good[1]['step']}) is kept"
                if good else "no checkpoint was written before it")
        echo(f"stopped: {guard.tripped}; {kept} in {run_dir / 'checkpoints'}. Resuming would "
             "repeat the same numbers: start a new run with lower learning rates (--set lr_g=, "
             "lr_d=) or another loss")
    elif interrupted:
        stopped = f"interrupted by {interrupts.name} at step {counter.step}"
        saved = checkpointer.saved_path or runs.latest_checkpoint(run_dir)
        echo(f"{stopped} of {p.total_steps}; checkpoint saved: "
             f"{saved[0] if isinstance(saved, tuple) else saved}")
        echo(f"continue with: ganzoo resume {run_dir}")
    if finished:
        export_path = run_dir / f"{p.model}.weights.h5"
        export.write(export_path, gan.sampler, gan.discriminator,
                     meta_for(p.model, p.entry, config, b.data_info, counter.step, version))
        files["weights"] = export_path
    if not interrupted:
        for path in run_visualizers(counter.epoch, True):
            files.setdefault(path.stem, path)
    rate = throughput.rate
    result = RunResult(run_dir=run_dir, export_path=export_path, steps=counter.step,
                       epochs=counter.epoch, seconds=seconds, images_per_sec=rate,
                       precision=b.policy, stopped=stopped, files=files,
                       exit_code=interrupts.exit_code if interrupted else (1 if stopped else 0))
    write_json(run_dir / "summary.json", {
        "steps": result.steps, "epochs": result.epochs, "seconds": round(seconds, 2),
        "images_per_sec": round(rate, 1), "precision": b.policy, "stopped": stopped,
        "finished": finished, "export": export_path.name if export_path else None,
    })
    return result


def _scorer(p: Plan) -> Any:
    """The scorer of ``eval_every``, its extractor and reference loaded (so that a problem
    shows before the run folder exists), or None when evaluation is off."""
    if int(p.config["eval_every"]) <= 0:
        return None
    from ganzoo.evaluation import evaluate as evaluation

    scorer = evaluation.Scorer(p.catalog, p.data.name, p.data.image_shape)
    scorer.extractor()
    scorer.reference()
    return scorer


def _periodic_eval(p: Plan, gan: Any, counter: Any, run_dir: Path, scorer: Any) -> Any:
    """The `PeriodicEval` callback of ``eval_every``, or None when it is off.

    Samples come from the generator used for samples (the weight average when kept), from
    fixed noise, so figures of successive epochs differ only by training.
    """
    every = int(p.config["eval_every"])
    if every <= 0 or scorer is None:
        return None
    import keras

    from ganzoo.artifacts.images import to_unit
    from ganzoo.engine import latent
    from ganzoo.evaluation import evaluate as evaluation
    from ganzoo.training import callbacks as cb

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

    from ganzoo.artifacts.export import ExportMeta

    return ExportMeta(
        model=model, entry=dict(entry), config=dict(config),
        image_shape=tuple(data_info["image_shape"]),
        num_classes=int(data_info["num_classes"]),
        class_names=tuple(data_info.get("class_names") or ()),
        data={k: data_info[k] for k in ("name", "images")},
        ganzoo_version=version, keras_version=keras.__version__,
        tensorflow_version=tf.__version__, step=step,
    )
