"""Keras callbacks that turn `fit()` into a ganzoo run: throughput, metrics CSV,
per-epoch visualizers, atomic checkpoints, a step limit and a guard against NaN.

Keras' own callbacks (progress bar, TensorBoard) are used as they are; these add
only what Keras does not do.
"""

from __future__ import annotations

import csv
import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import keras
import numpy as np

from ganzoo.artifacts.files import atomic_path, writing


def _floats(logs: dict[str, Any] | None) -> dict[str, float]:
    out = {}
    for key, value in (logs or {}).items():
        try:
            out[key] = float(np.asarray(value))
        except (TypeError, ValueError):
            continue
    return out


class Throughput(keras.callbacks.Callback):
    """Adds ``images_per_sec`` (real images consumed per second) to the logs.

    Placed before the progress bar, so the bar shows it. The run's first step, which
    traces and compiles the train step, is left out of the totals.
    """

    def __init__(self, images_per_step: int) -> None:
        super().__init__()
        self.images_per_step = images_per_step
        self._last: float | None = None
        self._steps = 0
        self.total_images = 0
        self.train_seconds = 0.0
        self._epoch_start = (0, 0.0)

    def on_train_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        if self._last is None:
            self._last = time.perf_counter()

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        now = time.perf_counter()
        elapsed = max(now - (self._last or now), 1e-9)
        self._last = now
        self._steps += 1
        if self._steps > 1:
            self.total_images += self.images_per_step
            self.train_seconds += elapsed
        if logs is not None:
            logs["images_per_sec"] = self.images_per_step / elapsed

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._epoch_start = (self.total_images, self.train_seconds)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self._last = None  # do not count visualizers and checkpoints as training time
        images, seconds = self._epoch_start
        if logs is not None and self.train_seconds > seconds:
            logs["images_per_sec"] = (self.total_images - images) / (self.train_seconds - seconds)

    @property
    def rate(self) -> float:
        """Steady-state images per second over the whole run."""
        return self.total_images / self.train_seconds if self.train_seconds else 0.0


class StepCounter(keras.callbacks.Callback):
    """Counts generator steps across epochs and stops `fit()` at ``max_steps``."""

    def __init__(self, max_steps: int, start_step: int = 0, start_epoch: int = 0) -> None:
        super().__init__()
        self.max_steps = max_steps
        self.step = start_step
        self.epoch = start_epoch

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self.epoch = epoch + 1

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        self.step += 1
        if self.max_steps and self.step >= self.max_steps:
            self.model.stop_training = True


class NonFiniteGuard(keras.callbacks.Callback):
    """Stops training when any logged loss is NaN or infinite (Keras' TerminateOnNaN
    only looks at ``loss``). The checkpointer also trips it when a weight is not finite;
    checkpointers consult ``tripped`` and never save after it."""

    def __init__(self, counter: StepCounter) -> None:
        super().__init__()
        self.counter = counter
        self.tripped: str | None = None

    def trip(self, why: str) -> None:
        if self.tripped is None:
            self.tripped = why

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        for key, value in _floats(logs).items():
            if not math.isfinite(value):
                self.trip(f"{key} became {value} at step {self.counter.step}")
                self.model.stop_training = True
                return


class MetricsCSV(keras.callbacks.Callback):
    """metrics.csv: one row per generator step with every logged value.

    Rows are kept in memory and appended to the file every 50 steps, before each
    checkpoint and at epoch and training ends; the file is open only while rows are
    written, so a failure anywhere (a full disk) leaves no open file to flush later.
    A refused write raises `WriteError`.
    """

    def __init__(self, path: Path, counter: StepCounter, append: bool = False,
                 extra_fields: tuple[str, ...] = ()) -> None:
        super().__init__()
        self.path = path
        self.counter = counter
        self.append = append
        #: columns that appear only on some rows (periodic evaluation); the header is
        #: fixed at the first row, so they are declared up front
        self.extra_fields = extra_fields
        self._fields: list[str] | None = None
        self._rows: list[dict[str, Any]] = []
        self._start = time.perf_counter()

    def on_train_begin(self, logs: dict | None = None) -> None:
        if not self.append:
            with writing(self.path):
                self.path.open("w", encoding="utf-8").close()
        self.append = True  # a second fit() (a resumed run's next epochs) appends

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        row = {"step": self.counter.step, "epoch": self.counter.epoch}
        row.update({k: f"{v:.6g}" for k, v in _floats(logs).items()})
        row["seconds"] = f"{time.perf_counter() - self._start:.3f}"
        self._rows.append(row)
        if self.counter.step % 50 == 0:
            self.flush()

    def flush(self) -> None:
        """Called before each checkpoint: the rows up to a checkpoint's step are on disk."""
        if not self._rows:
            return
        rows, self._rows = self._rows, []
        with writing(self.path), self.path.open("a", newline="", encoding="utf-8") as f:
            new_header = False
            if self._fields is None:
                header = _header(self.path)  # appending: keep the columns already there
                self._fields = header or list(rows[0]) + [
                    k for k in self.extra_fields if k not in rows[0]]
                new_header = not header
            writer = csv.DictWriter(f, fieldnames=self._fields, extrasaction="ignore")
            if new_header:
                writer.writeheader()
            writer.writerows(rows)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self.flush()

    def on_train_end(self, logs: dict | None = None) -> None:
        self.flush()


def _header(path: Path) -> list[str]:
    if not path.is_file():
        return []
    with path.open(newline="", encoding="utf-8") as f:
        return next(csv.reader(f), [])


def _rows_until(path: Path, step: int) -> list[dict[str, Any]]:
    """The rows of a CSV file up to `step` (a resumed run keeps its earlier evaluations)."""
    if not path.is_file():
        return []
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    try:
        return [row for row in rows if int(row.get("step") or 0) <= step]
    except ValueError:
        return []


def truncate_metrics(path: Path, step: int) -> None:
    """Drop the rows after `step` (steps a resumed run will train again)."""
    if not path.is_file():
        return
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    if not rows:
        return
    header, kept = rows[0], [rows[0]]
    col = header.index("step") if "step" in header else 0
    for row in rows[1:]:
        try:
            if int(row[col]) <= step:
                kept.append(row)
        except (ValueError, IndexError):
            break  # a row cut short by a crash ends the file
    with atomic_path(path) as tmp, tmp.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(kept)


class PeriodicEval(keras.callbacks.Callback):
    """Scores samples at the last step of every `every`-th epoch and at the end of training.

    Placed before `MetricsCSV`: the headline figures go into that step's logs (so into
    metrics.csv as ``eval_<name>`` columns and the progress bar); every figure goes to
    eval.csv (one row per evaluation, rewritten atomically) and to TensorBoard.
    """

    def __init__(self, score: Callable[[], dict[str, Any]], every: int, steps_per_epoch: int,
                 counter: StepCounter, run_dir: Path, headline: tuple[str, ...]) -> None:
        super().__init__()
        self.score = score
        self.every = every
        self.steps_per_epoch = steps_per_epoch
        self.counter = counter
        self.csv_path = run_dir / "eval.csv"
        self.tb_dir = run_dir / "tensorboard" / "eval"
        self.headline = headline
        self.rows: list[dict[str, Any]] = _rows_until(self.csv_path, counter.step)
        self._writer: Any = None

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        # By the global step, not Keras' batch index: a resumed run's first fit() starts
        # inside an epoch.
        end_of_epoch = (self.counter.step % self.steps_per_epoch == 0
                        and self.counter.epoch % self.every == 0)
        last = bool(self.counter.max_steps) and self.counter.step >= self.counter.max_steps
        if not (end_of_epoch or last):
            return
        figures = {k: v for k, v in self.score().items()
                   if isinstance(v, int | float) and not isinstance(v, bool)}
        if logs is not None:
            logs.update({f"eval_{k}": figures[k] for k in self.headline if k in figures})
        self.rows.append({"step": self.counter.step, "epoch": self.counter.epoch, **figures})
        self._write_csv()
        self._write_tensorboard(figures)

    def _write_csv(self) -> None:
        fields: list[str] = []
        for row in self.rows:
            fields += [k for k in row if k not in fields]
        with atomic_path(self.csv_path) as tmp, tmp.open("w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=fields)
            writer.writeheader()
            writer.writerows({k: (f"{v:.6g}" if isinstance(v, float) else v)
                              for k, v in row.items()} for row in self.rows)

    def _write_tensorboard(self, figures: dict[str, float]) -> None:
        import tensorflow as tf

        if self._writer is None:
            self._writer = tf.summary.create_file_writer(str(self.tb_dir))
        with self._writer.as_default():
            for key, value in figures.items():
                tf.summary.scalar(f"eval/{key}", value, step=self.counter.step)
        self._writer.flush()

    def on_train_end(self, logs: dict | None = None) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None


class Visuals(keras.callbacks.Callback):
    """Runs the model's visualizers after every epoch."""

    def __init__(self, run: Callable[[int, bool], list[Path]],
                 skip: Callable[[], bool] | None = None) -> None:
        super().__init__()
        self.run = run
        self.skip = skip or (lambda: False)
        self.written: list[Path] = []

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        # An interrupted run exits quickly; a run being stopped (NaN or Inf in a loss or a
        # weight) must not draw views from broken weights; the step limit ends the last
        # epoch, whose views the run draws once after fit().
        if not self.skip() and not self.model.stop_training:
            self.written = self.run(epoch + 1, False)


class StopOnSignal(keras.callbacks.Callback):
    """Ends `fit()` after the step during which SIGINT/SIGTERM arrived
    (see `ganzoo.training.interrupts`); the checkpointer then saves that step."""

    def __init__(self, interrupts: Any) -> None:
        super().__init__()
        self.interrupts = interrupts

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        if self.interrupts.signum is not None:
            self.model.stop_training = True
