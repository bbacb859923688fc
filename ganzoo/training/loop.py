"""One stretch of training: Keras' `fit()` with ganzoo's callbacks, then the run's outputs.

Used for a new run and for a resumed one alike: steps ``start_step ..`` to the plan's
end, split into `fit()` calls by `fit_segments`.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ganzoo.artifacts.export import meta_for
from ganzoo.artifacts.files import write_json
from ganzoo.contract.visual import as_unit
from ganzoo.data.pipeline import fingerprint, make_input_pipeline
from ganzoo.engine.runtime import without_grappler_notices
from ganzoo.training.plan import Plan
from ganzoo.visual.context import build_context


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
    #: the run reached its planned end (and wrote its export)
    finished: bool = False
    #: stopped because a loss or a weight became NaN or Inf (resuming would repeat it)
    nonfinite: bool = False
    #: the newest checkpoint on disk when the run ended (the last good one after NaN)
    checkpoint: Path | None = None

    @property
    def status(self) -> str:
        """The word the run's summary line starts with: done, stopped or interrupted."""
        if self.finished:
            return "done"
        return "stopped" if self.nonfinite else "interrupted" if self.stopped else "done"


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


@dataclass
class Built:
    """A built GAN and everything derived from the plan that training needs."""

    gan: Any
    policy: str
    strategy: Any
    data_info: dict[str, Any]
    tf_version: str
    keras_version: str
    visualizers: list[tuple[str, Any]]
    scorer: Any  # evaluation.Scorer of eval_every, or None


def build(p: Plan, strategy: Any, policy: str | None = None) -> Built:
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
        gan = build_gan(p.catalog, config, data.image_shape, data.num_classes, policy=policy,
                        total_steps=p.total_steps)
    if config["sync_batchnorm"]:
        distribute.synchronize_batchnorm((gan.generator, gan.discriminator), strategy)
    data_info = {"name": data.name, "source": data.source, "images": len(data),
                 "image_shape": list(data.image_shape), "num_classes": data.num_classes,
                 "class_names": list(data.class_names), "fingerprint": fingerprint(data)}
    visualizers = build_visualizers(p.catalog, config["visualizers"])
    return Built(gan, policy, strategy, data_info, tf.__version__, keras.__version__,
                  visualizers, _scorer(p))




def announce(p: Plan, b: Built, version: str, echo: Callable[[str], None]) -> None:
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


def run_steps(p: Plan, b: Built, run_dir: Path, start_step: int, verbose: int | str,
         echo: Callable[[str], None], version: str) -> RunResult:
    """Train steps ``start_step ..`` to the plan's end with ganzoo's callbacks."""
    import keras

    from ganzoo.artifacts import export, runs
    from ganzoo.engine import distribute
    from ganzoo.training import callbacks as cb
    from ganzoo.training.checkpointer import Checkpointer
    from ganzoo.training.interrupts import Interrupts

    config, data, gan, strategy = p.config, p.data, b.gan, b.strategy
    visualizers = list(b.visualizers)
    counter = cb.StepCounter(p.total_steps, start_step, start_step // p.steps_per_epoch)
    real = as_unit(data.images[:100])

    def run_visualizers(epoch: int, final: bool) -> list[Path]:
        ctx = build_context(config, gan.sampler, model=p.model, dataset=data.name,
                            num_classes=data.num_classes, points=data.is_points,
                            class_names=data.class_names, run_dir=run_dir, epoch=epoch,
                            step=counter.step, final=final, real_samples=real,
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
    checkpointer = Checkpointer(run_dir / "checkpoints", counter, guard,
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
            with without_grappler_notices():
                gan.fit(dataset, initial_epoch=initial_epoch, epochs=epochs,
                        steps_per_epoch=steps, callbacks=callbacks, verbose=verbose,
                        shuffle=False)
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
    good = runs.latest_checkpoint(run_dir)
    if guard.tripped:
        stopped = guard.tripped
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
    if finished:
        export_path = run_dir / f"{p.model}.weights.h5"
        export.write(export_path, gan.sampler, gan.discriminator,
                     meta_for(p.model, p.entry, config, b.data_info, counter.step, version))
        files["weights"] = export_path
    if not interrupted and not guard.tripped:  # no views drawn from NaN weights
        for path in run_visualizers(counter.epoch, True):
            files.setdefault(path.stem, path)
    rate = throughput.rate
    result = RunResult(run_dir=run_dir, export_path=export_path, steps=counter.step,
                       epochs=counter.epoch, seconds=seconds, images_per_sec=rate,
                       precision=b.policy, stopped=stopped, files=files,
                       exit_code=interrupts.exit_code if interrupted else (1 if stopped else 0),
                       finished=finished, nonfinite=bool(guard.tripped),
                       checkpoint=good[0] if good else None)
    write_json(run_dir / "summary.json", {
        "steps": result.steps, "epochs": result.epochs, "seconds": round(seconds, 2),
        "images_per_sec": round(rate, 1), "precision": b.policy, "stopped": stopped,
        # `ganzoo resume` refuses a run stopped on NaN/Inf: it would repeat the same numbers
        "stopped_on": "nonfinite" if guard.tripped else "signal" if interrupted else None,
        "last_checkpoint": good[0].name if good else None,
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
    from ganzoo.engine import latent
    from ganzoo.engine.generate import batches, stream
    from ganzoo.evaluation import evaluate as evaluation
    from ganzoo.evaluation.samples import scorable
    from ganzoo.training import callbacks as cb

    n, seed = int(p.config["eval_n"]), int(p.config["seed"])
    z = latent.inputs(p.config, n, seed + 3_000_017)
    labels = (np.arange(n) % p.data.num_classes).astype(np.int32) if gan.conditional else None

    def score() -> dict[str, Any]:
        chunks = stream(gan.sampler, batches(z, labels), points=p.data.is_points)
        return scorer.score(scorable(chunks, n, p.data.is_points), seed=seed)["metrics"]

    return cb.PeriodicEval(score, every, min(p.steps_per_epoch, p.total_steps), counter, run_dir,
                           evaluation.HEADLINE)
