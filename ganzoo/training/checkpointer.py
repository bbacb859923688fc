"""Checkpoints that hold the whole training state, written atomically.

Weights, optimizer states, the random generators' states and the data position: what
`ganzoo resume` needs to continue bit for bit (docs/RELIABILITY.md).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import keras
import numpy as np

from ganzoo.artifacts.files import write_json
from ganzoo.artifacts.runs import CHECKPOINT_FORMAT
from ganzoo.artifacts.weightsfile import write_weights
from ganzoo.training.callbacks import NonFiniteGuard, StepCounter


def _nonfinite_weights(model: Any) -> str | None:
    """The path of the first float weight of `model` holding NaN or Inf, or None."""
    for variable in model.weights:
        if "float" not in str(variable.dtype):
            continue
        if not np.isfinite(keras.ops.convert_to_numpy(variable)).all():
            return str(variable.path)
    return None


def _seed_states(model: Any) -> list[Any]:
    """The state variables of every `keras.random.SeedGenerator` of `model` (its own and its
    layers'), in tracking order; other variables outside ``model.weights`` are not RNG."""
    weights = {id(v) for v in model.weights}
    return [v for v in model.variables
            if id(v) not in weights and str(v.path).endswith("seed_generator_state")]


def rng_state(model: Any) -> list[list[int]]:
    """Every random generator state of `model`. Keras' ``save_weights`` leaves them out,
    so checkpoints store them."""
    return [[int(x) for x in np.asarray(keras.ops.convert_to_numpy(v)).ravel()]
            for v in _seed_states(model)]


def set_rng_state(model: Any, states: list[list[int]]) -> None:
    """Restore what `rng_state` returned; raises ValueError when it does not fit."""
    variables = _seed_states(model)
    if len(states) != len(variables):
        raise ValueError(f"{len(states)} random generator states for {len(variables)} "
                         "generators")
    for variable, state in zip(variables, states, strict=True):
        if len(state) != int(np.prod(variable.shape)):
            raise ValueError(f"random generator state of length {len(state)} for "
                             f"{tuple(variable.shape)}")
        variable.assign(np.asarray(state, dtype=str(variable.dtype)).reshape(variable.shape))


class Checkpointer(keras.callbacks.Callback):
    """Atomic checkpoints of the whole training state.

    ``checkpoints/ckpt-<step>.weights.h5`` holds the networks, the optimizers, the
    weight average (Keras' ``save_weights``) and, as the JSON attribute
    ``ganzoo_checkpoint``, the step, the epoch, the data position and the random
    generators' states. It is written to a temporary file and renamed;
    ``checkpoints/latest.json`` is replaced only after that, so a crash at any moment
    leaves the previous checkpoint readable. The last ``keep`` are kept.

    Before saving, every weight is checked: non-finite weights trip the guard and
    nothing is written, so a good checkpoint is never followed by a broken one.
    """

    def __init__(self, folder: Path, counter: StepCounter, guard: NonFiniteGuard,
                 every: int = 0, keep: int = 2, steps_per_epoch: int = 0,
                 seed: int = 0, before_save: Callable[[], None] | None = None) -> None:
        super().__init__()
        self.folder = folder
        self.counter = counter
        self.guard = guard
        self.every = every
        self.keep = keep
        self.steps_per_epoch = steps_per_epoch
        self.seed = seed
        self.before_save = before_save or (lambda: None)
        self.saved_step = counter.step  # the state we start from is already on disk
        self.saved_path: Path | None = None

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        if self.every and self.counter.step % self.every == 0:
            self.save()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self.save()

    def on_train_end(self, logs: dict | None = None) -> None:
        self.save()

    def state(self) -> dict[str, Any]:
        """What a checkpoint records besides the weights."""
        step = self.counter.step
        spe = max(self.steps_per_epoch, 1)
        return {"format": CHECKPOINT_FORMAT, "step": step, "epoch": self.counter.epoch,
                "data_position": {"epoch": step // spe, "batch": step % spe,
                                  "steps_per_epoch": self.steps_per_epoch, "seed": self.seed},
                "rng": rng_state(self.model)}

    def save(self) -> Path | None:
        import json

        step = self.counter.step
        if self.guard.tripped or step == self.saved_step:
            return None
        broken = _nonfinite_weights(self.model)
        if broken is not None:
            self.guard.trip(f"weight {broken} became non-finite by step {step}")
            self.model.stop_training = True
            return None
        self.before_save()
        path = self.folder / f"ckpt-{step:08d}.weights.h5"
        # A refused write (full disk) raises WriteError with nothing left behind; the
        # previous checkpoint and latest.json stay as they were.
        write_weights(self.model, path, {"ganzoo_checkpoint": json.dumps(self.state())})
        write_json(self.folder / "latest.json",
                   {"step": step, "epoch": self.counter.epoch, "file": path.name})
        self.saved_step = step
        self.saved_path = path
        for old in sorted(self.folder.glob("ckpt-*.weights.h5"))[:-self.keep]:
            old.unlink(missing_ok=True)
        return path
