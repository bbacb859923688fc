"""The one builder of the `VisualContext` that visualizers are handed.

The trainer (after each epoch, `ganzoo.training.loop`) and ``ganzoo visualize``
(`ganzoo.visual.viewer`, on a run folder or an export) both call `build_context`, so
a view drawn during training and the same view drawn afterwards read the same config,
the same fixed grid inputs, the same input layout (z and InfoGAN's codes) and the same
batched generator call (`ganzoo.engine.generate`). When they were built in two places,
``ganzoo visualize`` fed InfoGAN's generator ``latent_dim`` columns instead of
``latent_dim`` + code columns, and handed its grid the categories as labels.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ganzoo.contract.visual import VisualContext
from ganzoo.engine import latent
from ganzoo.engine.generate import generate as generate_samples


def build_context(
    config: Mapping[str, Any],
    generator: Callable[..., Any],
    *,
    model: str,
    dataset: str | None,
    num_classes: int,
    points: bool,
    class_names: Sequence[str] = (),
    run_dir: Path | None = None,
    out_dir: Path | None = None,
    epoch: int = 0,
    step: int = 0,
    final: bool = True,
    real_samples: np.ndarray | None = None,
    training_data: Callable[[], tuple[np.ndarray, np.ndarray | None]] | None = None,
    seed: int | None = None,
) -> VisualContext:
    """A context for `generator` (the model samples come from: the weight average when
    one is kept) trained with resolved `config` on `num_classes` classes.

    `seed` replaces the run's seed (``ganzoo visualize --seed``). Labels reach the
    generator only for conditional models; InfoGAN's grid labels name each row's code
    category, which is already part of the grid's inputs.
    """
    config = {**config, "model": model, "dataset": dataset}
    if seed is not None:
        config["seed"] = seed
    conditional = bool(config.get("conditional")) and num_classes > 0
    classes = num_classes if conditional else 0
    grid_z, grid_labels = latent.grid_inputs(config, classes)

    def generate(z: np.ndarray, labels: np.ndarray | None = None) -> np.ndarray:
        return generate_samples(generator, z, labels if conditional else None, points=points)

    def draw_inputs(n: int, seed: int) -> np.ndarray:
        return latent.inputs(config, n, seed)

    return VisualContext(
        run_dir=run_dir, out_dir=out_dir, config=config, epoch=epoch, step=step, final=final,
        grid_samples=lambda: generate(grid_z, grid_labels), grid_labels=grid_labels,
        class_names=tuple(class_names), real_samples=real_samples, generate=generate,
        latent_dim=latent.input_dim(config), num_classes=classes,
        training_data=training_data, draw_inputs=draw_inputs,
    )
